/*
 * bench-gen.c - deterministic large captures for `make bench` (issue 7).
 *
 *   bench-gen bulk|short|many|tunnel|synflood OUT.pcap [SCALE]
 *
 * bulk    ~1.5 GB x SCALE: four bulk TCP flows of full-size segments, one
 *         data segment in a thousand lost after the capture point (the
 *         receiver dup-ACKs it three times, the sender fast-retransmits it).
 * short   ~2 million packets x SCALE: 100,500 x SCALE short TCP connections
 *         (handshake, a request, 8 response segments, FIN both ways; one in
 *         200 loses a response segment and retransmits it), 32 in progress at
 *         once, ~330 new per second, as a busy web server sees them.
 * tunnel  ~500 MB x SCALE: inner bulk TCP flows in VXLAN (decoded) and in
 *         WireGuard (opaque data messages with counters), interleaved.
 * many    153,600 x SCALE short TCP connections (as `short`), ~7,000 new per
 *         second (22 s), one in 200 losing a response segment: tens of
 *         thousands of connections live at once (each closed one stays for
 *         the closed-TCP timeout), the case of issue 18.
 * synflood 70,000 x SCALE SYNs, each from its own source address and port,
 *         10 us apart: one packet per flow, all of them live at the end (the
 *         memory cost of a live flow that never carries data).
 *
 * SCALE multiplies the length of the capture, never its rates, so 1x and 4x
 * have the same traffic mix and the same number of live flows: that is what
 * the RSS comparison needs.  The output depends only on the arguments (a fixed
 * PRNG seed and a synthetic clock), so every machine benches the same bytes.
 *
 * It writes through libpcap (pcap_dump) with a large stdio buffer and builds
 * headers with libdnet; the payload bytes are a fixed pattern written once.
 */
#include <dumbnet.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SNAP 262144
#define FRAME_MAX 2048
#define MSS_ETH 1460 /* full-size: 1500-byte IP packets, 1514-byte frames */
#define BULK_FLOWS 4
#define BULK_LOSS 1000 /* one data segment in BULK_LOSS is lost */
#define SHORT_SLOTS 32
#define SHORT_PER_CONN_NS 3000000LL /* ~330 connections a second */
#define SHORT_LOSS 200
#define TUN_FLOWS 4

struct out {
    pcap_t *dead;
    pcap_dumper_t *d;
    FILE *fp;
    int64_t now_ns; /* synthetic clock */
    uint64_t packets, bytes;
    uint64_t rng;
    uint8_t frame[FRAME_MAX];
    uint8_t inner[FRAME_MAX];
};

/* xorshift64*: deterministic, and fast enough not to show in the profile */
static uint32_t rnd(struct out *o)
{
    o->rng ^= o->rng >> 12;
    o->rng ^= o->rng << 25;
    o->rng ^= o->rng >> 27;
    return (uint32_t)((o->rng * 2685821657736338717ull) >> 32);
}

static void emit(struct out *o, const uint8_t *buf, uint32_t len)
{
    struct pcap_pkthdr h;
    h.ts.tv_sec = (time_t)(o->now_ns / 1000000000LL);
    h.ts.tv_usec = (suseconds_t)(o->now_ns % 1000000000LL / 1000);
    h.caplen = h.len = len;
    pcap_dump((u_char *)o->d, &h, buf);
    o->packets++;
    o->bytes += len + 16;
}

/* An IPv4 TCP packet at ip (checksums filled); returns the IP length. */
static uint32_t put_tcp(uint8_t *ip, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                        uint32_t seq, uint32_t ack, uint8_t flags, uint16_t len, uint16_t mss)
{
    uint32_t optlen = (flags & TH_SYN) ? 4 : 0;
    uint32_t iplen = IP_HDR_LEN + TCP_HDR_LEN + optlen + len;
    uint8_t *tcp = ip + IP_HDR_LEN;
    ip_pack_hdr(ip, 0, iplen, (uint16_t)seq, IP_DF, 64, IP_PROTO_TCP, src, dst);
    tcp_pack_hdr(tcp, sport, dport, seq, ack, flags, 65535, 0);
    if (optlen) {
        tcp[12] = (uint8_t)((TCP_HDR_LEN + optlen) / 4 << 4);
        tcp[20] = 2;
        tcp[21] = 4;
        tcp[22] = (uint8_t)(mss >> 8);
        tcp[23] = (uint8_t)mss;
    }
    /* the payload region keeps its pattern: only the headers are rewritten */
    ip_checksum(ip, iplen);
    return iplen;
}

static uint32_t put_eth(uint8_t *f, uint16_t type, uint8_t who)
{
    static const uint8_t base[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x00};
    eth_addr_t a, b;
    memcpy(&a, base, 6);
    memcpy(&b, base, 6);
    a.data[5] = who;
    b.data[5] = (uint8_t)(who ^ 1);
    eth_pack_hdr(f, b, a, type);
    return ETH_HDR_LEN;
}

/* An outer Ethernet/IPv4/UDP header before `plen` bytes of UDP payload;
 * the UDP checksum is 0 (allowed over IPv4, and what VXLAN and WireGuard
 * senders commonly do). */
static uint32_t put_udp_outer(uint8_t *f, uint32_t src, uint32_t dst, uint16_t sport,
                              uint16_t dport, uint32_t plen, uint8_t who)
{
    uint32_t n = put_eth(f, ETH_TYPE_IP, who);
    uint8_t *ip = f + n;
    uint32_t iplen = IP_HDR_LEN + UDP_HDR_LEN + plen;
    ip_pack_hdr(ip, 0, iplen, 0, IP_DF, 64, IP_PROTO_UDP, src, dst);
    udp_pack_hdr(ip + IP_HDR_LEN, sport, dport, UDP_HDR_LEN + plen);
    ((struct ip_hdr *)ip)->ip_sum = 0;
    int sum = ip_cksum_add(ip, IP_HDR_LEN, 0);
    ((struct ip_hdr *)ip)->ip_sum = (uint16_t)ip_cksum_carry(sum);
    return n + IP_HDR_LEN + UDP_HDR_LEN;
}

/* ---- one TCP connection's packets, with optional encapsulation ---- */

enum encap { ENC_NONE, ENC_VXLAN, ENC_WG };

struct conn {
    uint32_t addr[2];
    uint16_t port[2];
    uint32_t seq[2]; /* next sequence per direction */
    uint16_t mss;
    enum encap enc;
    uint32_t outer[2]; /* tunnel endpoints */
    uint16_t oport[2];
    uint32_t vni, wg_rx[2];
    uint64_t wg_ctr[2];
};

/* Sends one segment from side `d` (0 client) with `len` payload bytes at
 * sequence seq; ACK field = the peer's next sequence unless ack_override. */
static void seg(struct out *o, struct conn *c, int d, uint32_t seq, uint8_t flags, uint16_t len,
                const uint32_t *ack_override)
{
    uint32_t ack = ack_override ? *ack_override : c->seq[!d];
    if (c->enc == ENC_NONE) {
        uint32_t n = put_eth(o->frame, ETH_TYPE_IP, (uint8_t)d);
        n += put_tcp(o->frame + n, c->addr[d], c->addr[!d], c->port[d], c->port[!d], seq, ack,
                     flags, len, c->mss);
        emit(o, o->frame, n);
    } else if (c->enc == ENC_VXLAN) {
        uint32_t in = put_eth(o->inner, ETH_TYPE_IP, (uint8_t)(d + 8));
        in += put_tcp(o->inner + in, c->addr[d], c->addr[!d], c->port[d], c->port[!d], seq, ack,
                      flags, len, c->mss);
        uint32_t n = put_udp_outer(o->frame, c->outer[d], c->outer[!d], c->oport[d], 4789, 8 + in,
                                   (uint8_t)d);
        uint8_t *vx = o->frame + n;
        memset(vx, 0, 8);
        vx[0] = 0x08;
        vx[4] = (uint8_t)(c->vni >> 16);
        vx[5] = (uint8_t)(c->vni >> 8);
        vx[6] = (uint8_t)c->vni;
        memcpy(vx + 8, o->inner, in);
        emit(o, o->frame, n + 8 + in);
    } else {
        uint32_t in = put_tcp(o->inner, c->addr[d], c->addr[!d], c->port[d], c->port[!d], seq, ack,
                              flags, len, c->mss);
        uint32_t padded = (in + 15) & ~15u; /* WireGuard pads to 16 */
        uint32_t plen = 16 + padded + 16;   /* header, ciphertext, Poly1305 tag */
        uint32_t n = put_udp_outer(o->frame, c->outer[d], c->outer[!d], c->oport[d], c->oport[!d],
                                   plen, (uint8_t)d);
        uint8_t *wg = o->frame + n;
        memset(wg, 0, 16);
        wg[0] = 4; /* transport data */
        memcpy(wg + 4, &c->wg_rx[!d], 4);
        uint64_t ctr = c->wg_ctr[d]++;
        for (int i = 0; i < 8; i++)
            wg[8 + i] = (uint8_t)(ctr >> (8 * i)); /* little-endian counter */
        memcpy(wg + 16, o->inner, in);             /* "ciphertext": its bytes do not matter */
        memset(wg + 16 + in, 0, padded - in + 16);
        emit(o, o->frame, n + plen);
    }
}

static void handshake(struct out *o, struct conn *c, int64_t gap_ns)
{
    seg(o, c, 0, c->seq[0]++, TH_SYN, 0, NULL);
    o->now_ns += gap_ns;
    seg(o, c, 1, c->seq[1]++, TH_SYN | TH_ACK, 0, NULL);
    o->now_ns += gap_ns;
    seg(o, c, 0, c->seq[0], TH_ACK, 0, NULL);
    o->now_ns += gap_ns;
}

static void teardown(struct out *o, struct conn *c, int64_t gap_ns)
{
    seg(o, c, 1, c->seq[1]++, TH_FIN | TH_ACK, 0, NULL);
    o->now_ns += gap_ns;
    seg(o, c, 0, c->seq[0]++, TH_FIN | TH_ACK, 0, NULL);
    o->now_ns += gap_ns;
    seg(o, c, 1, c->seq[1], TH_ACK, 0, NULL);
    o->now_ns += gap_ns;
}

/* Bulk sender state: client -> server data, server ACKs every second
 * segment; a lost segment is dup-ACKed three times and fast-retransmitted. */
struct bulk {
    struct conn c;
    uint32_t hole; /* seq of the lost segment */
    int dups;      /* dup ACKs sent for it; -1 no hole */
    int since_ack;
};

static void bulk_step(struct out *o, struct bulk *b, int64_t gap_ns)
{
    struct conn *c = &b->c;
    uint32_t seq = c->seq[0];
    c->seq[0] += c->mss;
    seg(o, c, 0, seq, TH_ACK, c->mss, NULL);
    o->now_ns += gap_ns;
    if (b->dups < 0 && rnd(o) % BULK_LOSS == 0) {
        b->hole = seq; /* lost after the capture point: the receiver never sees it */
        b->dups = 0;
        return;
    }
    if (b->dups >= 0) {
        seg(o, c, 1, c->seq[1], TH_ACK, 0, &b->hole);
        o->now_ns += gap_ns;
        if (++b->dups == 3) {
            seg(o, c, 0, b->hole, TH_ACK, c->mss, NULL);
            o->now_ns += gap_ns;
            seg(o, c, 1, c->seq[1], TH_ACK, 0, NULL);
            o->now_ns += gap_ns;
            b->dups = -1;
            b->since_ack = 0;
        }
        return;
    }
    if (++b->since_ack == 2) {
        seg(o, c, 1, c->seq[1], TH_ACK, 0, NULL);
        o->now_ns += gap_ns;
        b->since_ack = 0;
    }
}

static void bulk_init(struct bulk *b, int i, enum encap enc, uint16_t mss)
{
    memset(b, 0, sizeof *b);
    b->c.addr[0] = htonl(0x0a000001u + (uint32_t)i * 256); /* 10.0.i.1 */
    b->c.addr[1] = htonl(0xc6336401u + (uint32_t)i);       /* 198.51.100.1+i */
    b->c.port[0] = (uint16_t)(40000 + i);
    b->c.port[1] = (uint16_t)(i & 1 ? 443 : 5201);
    b->c.seq[0] = 0x10000000u * (uint32_t)(i + 1) + 12345;
    b->c.seq[1] = 0xf0000000u - 0x01000000u * (uint32_t)i; /* near the wrap */
    b->c.mss = mss;
    b->c.enc = enc;
    b->c.outer[0] = htonl(0xcb007101u + (uint32_t)i); /* 203.0.113.1.. */
    b->c.outer[1] = htonl(0xcb007164u + (uint32_t)i); /* 203.0.113.100.. */
    b->c.oport[0] = enc == ENC_WG ? 51820 : (uint16_t)(50000 + i);
    b->c.oport[1] = 51820;
    b->c.vni = 100 + (uint32_t)i;
    b->c.wg_rx[0] = 0x11110000u + (uint32_t)i;
    b->c.wg_rx[1] = 0x22220000u + (uint32_t)i;
    b->dups = -1;
}

static void gen_bulk(struct out *o, double scale)
{
    uint64_t target = (uint64_t)(1.5e9 * scale);
    struct bulk b[BULK_FLOWS];
    for (int i = 0; i < BULK_FLOWS; i++) {
        bulk_init(&b[i], i, ENC_NONE, MSS_ETH);
        handshake(o, &b[i].c, 20000);
    }
    /* ~1 Gbit/s: 12 us per full-size frame */
    for (uint64_t n = 0; o->bytes < target; n++)
        bulk_step(o, &b[n % BULK_FLOWS], 12000);
    for (int i = 0; i < BULK_FLOWS; i++)
        teardown(o, &b[i].c, 20000);
}

static void gen_tunnel(struct out *o, double scale)
{
    uint64_t target = (uint64_t)(5e8 * scale);
    struct bulk b[TUN_FLOWS];
    for (int i = 0; i < TUN_FLOWS; i++) {
        bool wg = i % 2 == 1;
        /* inner MTUs: 1450 under VXLAN (1500 - 50), 1420 under WireGuard */
        bulk_init(&b[i], i, wg ? ENC_WG : ENC_VXLAN, wg ? 1368 : 1398);
        handshake(o, &b[i].c, 20000);
    }
    for (uint64_t n = 0; o->bytes < target; n++)
        bulk_step(o, &b[n % TUN_FLOWS], 12000);
    for (int i = 0; i < TUN_FLOWS; i++)
        teardown(o, &b[i].c, 20000);
}

/* ---- short connections ---- */

#define SHORT_MAX_PKTS 24
#define SHORT_RESP_SEGS 8
#define SHORT_REQ 320
#define SHORT_SEG 1448

struct pkt {
    uint8_t dir, flags;
    uint16_t len;
    uint32_t seq, ack;
};

/* One short connection, scripted up front and sent one packet per turn. */
struct slot {
    struct conn c;
    struct pkt p[SHORT_MAX_PKTS];
    int step, n;
};

static void add(struct slot *s, int dir, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t len)
{
    struct pkt *p = &s->p[s->n++];
    p->dir = (uint8_t)dir;
    p->seq = seq;
    p->ack = ack;
    p->flags = flags;
    p->len = len;
}

/* Handshake, a request, the server's ACK, 8 response segments with a client
 * ACK after every second one, FINs both ways: 20 packets.  A lossy one loses
 * response segment 3 after the capture point: the client's ACKs stop at it,
 * and the server retransmits it at the end (22 packets). */
static void short_init(struct out *o, struct slot *s, uint64_t i)
{
    memset(s, 0, sizeof *s);
    /* unique 5-tuples over the whole capture */
    uint32_t cl = (uint32_t)(i / 60000), port = (uint32_t)(i % 60000);
    s->c.addr[0] = htonl(0x0a010000u + cl * 256 + (uint32_t)(i % 251) + 1);
    s->c.addr[1] = htonl(0xc0000200u + (uint32_t)(i % 8) + 10); /* 192.0.2.10-17 */
    s->c.port[0] = (uint16_t)(1024 + port);
    s->c.port[1] = 443;
    s->c.mss = 1460;
    bool lossy = i % SHORT_LOSS == 7;
    uint32_t cs = rnd(o), ss = rnd(o), ce = cs + 1 + SHORT_REQ;
    uint32_t se = ss + 1 + SHORT_RESP_SEGS * SHORT_SEG, hole = ss + 1 + 3 * SHORT_SEG;
    add(s, 0, cs, 0, TH_SYN, 0);
    add(s, 1, ss, cs + 1, TH_SYN | TH_ACK, 0);
    add(s, 0, cs + 1, ss + 1, TH_ACK, 0);
    add(s, 0, cs + 1, ss + 1, TH_ACK | TH_PUSH, SHORT_REQ);
    add(s, 1, ss + 1, ce, TH_ACK, 0);
    for (uint32_t d = 0; d < SHORT_RESP_SEGS; d++) {
        add(s, 1, ss + 1 + d * SHORT_SEG, ce, TH_ACK, SHORT_SEG);
        if (d % 2 == 1) {
            uint32_t got = ss + 1 + (d + 1) * SHORT_SEG;
            add(s, 0, ce, lossy && d >= 3 ? hole : got, TH_ACK, 0);
        }
    }
    if (lossy) {
        add(s, 1, hole, ce, TH_ACK | TH_PUSH, SHORT_SEG);
        add(s, 0, ce, se, TH_ACK, 0);
    }
    add(s, 1, se, ce, TH_FIN | TH_ACK, 0);
    add(s, 0, ce, se + 1, TH_FIN | TH_ACK, 0);
    add(s, 1, se + 1, ce + 1, TH_ACK, 0);
}

/* Sends the slot's next packet; false when the connection is over. */
static bool short_step(struct out *o, struct slot *s)
{
    const struct pkt *p = &s->p[s->step++];
    seg(o, &s->c, p->dir, p->seq, p->flags, p->len, &p->ack);
    return s->step < s->n;
}

static void gen_conns(struct out *o, uint64_t nconn, int64_t per_conn_ns)
{
    uint64_t started = 0, done = 0;
    struct slot *sl = calloc(SHORT_SLOTS, sizeof *sl);
    bool live[SHORT_SLOTS] = {false};
    /* ~20 packets per connection, one connection every per_conn_ns */
    int64_t gap = per_conn_ns / 20;
    for (uint64_t n = 0; done < nconn; n++) {
        int i = (int)(n % SHORT_SLOTS);
        if (!live[i]) {
            if (started == nconn)
                continue;
            short_init(o, &sl[i], started++);
            live[i] = true;
        }
        if (!short_step(o, &sl[i])) {
            live[i] = false;
            done++;
        }
        o->now_ns += gap;
    }
    free(sl);
}

static void gen_short(struct out *o, double scale)
{
    gen_conns(o, (uint64_t)(100500 * scale), SHORT_PER_CONN_NS);
}

/* 7,000 connections a second (one every 142,857 ns) */
static void gen_many(struct out *o, double scale)
{
    gen_conns(o, (uint64_t)(153600 * scale), 1000000000LL / 7000);
}

static void gen_synflood(struct out *o, double scale)
{
    uint64_t n = (uint64_t)(70000 * scale);
    uint32_t dst = htonl(0xc0a80001); /* 192.168.0.1:80 */
    for (uint64_t i = 0; i < n; i++) {
        uint32_t src = htonl(0x0a000000u | (uint32_t)(i >> 4)); /* 10.x.y.z */
        uint16_t sport = (uint16_t)(1024 + (i & 15) * 4000 + (rnd(o) & 1023));
        uint32_t len = put_eth(o->frame, ETH_TYPE_IP, 0);
        len += put_tcp(o->frame + len, src, dst, sport, 80, rnd(o), 0, TH_SYN, 0, 1460);
        emit(o, o->frame, len);
        o->now_ns += 10000;
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench-gen bulk|short|many|tunnel|synflood OUT.pcap [SCALE]\n");
        return 2;
    }
    double scale = argc > 3 ? atof(argv[3]) : 1.0;
    struct out *o = calloc(1, sizeof *o);
    if (!o || scale <= 0)
        return 2;
    o->rng = 0x9e3779b97f4a7c15ull;
    o->now_ns = 1700000000LL * 1000000000LL;
    memset(o->frame, 'x', sizeof o->frame);
    memset(o->inner, 'y', sizeof o->inner);
    o->dead = pcap_open_dead(DLT_EN10MB, SNAP);
    o->fp = fopen(argv[2], "wb");
    if (!o->dead || !o->fp) {
        perror(argv[2]);
        return 1;
    }
    setvbuf(o->fp, NULL, _IOFBF, 1 << 20);
    o->d = pcap_dump_fopen(o->dead, o->fp);
    if (!o->d) {
        fprintf(stderr, "bench-gen: %s\n", pcap_geterr(o->dead));
        return 1;
    }
    if (strcmp(argv[1], "bulk") == 0)
        gen_bulk(o, scale);
    else if (strcmp(argv[1], "short") == 0)
        gen_short(o, scale);
    else if (strcmp(argv[1], "many") == 0)
        gen_many(o, scale);
    else if (strcmp(argv[1], "tunnel") == 0)
        gen_tunnel(o, scale);
    else if (strcmp(argv[1], "synflood") == 0)
        gen_synflood(o, scale);
    else {
        fprintf(stderr, "bench-gen: unknown kind %s\n", argv[1]);
        return 2;
    }
    if (pcap_dump_flush(o->d) != 0) {
        fprintf(stderr, "bench-gen: %s: write error\n", argv[2]);
        return 1;
    }
    pcap_dump_close(o->d);
    pcap_close(o->dead);
    printf("%s: %llu packets, %llu bytes\n", argv[2], (unsigned long long)o->packets,
           (unsigned long long)o->bytes + 24);
    free(o);
    return 0;
}
