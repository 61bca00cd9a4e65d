/*
 * scen_tunnel.c - stories about encapsulation overhead: MPLS and QinQ
 * carried correctly, GENEVE options counted, ESP/NAT-T/GRE keys, a VXLAN
 * overlay whose inner MTU ignores the 50 bytes of outer headers, a
 * WireGuard tunnel over IPv6 whose 80 bytes do not fit a 1480-byte path, the
 * same tunnel told so by a packet-too-big (and fragmenting from then on), and
 * an IPsec tunnel whose full-size ESP datagrams vanish on a silent link.
 */
#include "gen.h"

#include <pcap/dlt.h>
#include <string.h>

#define ETH_TYPE_TEB 0x6558 /* transparent Ethernet bridging */
#define ETH_TYPE_QINQ 0x88a8
#define ETH_TYPE_MPLS_UC 0x8847
#define PORT_VXLAN 4789
#define PORT_GENEVE 6081
#define PORT_NAT_T 4500
#define PORT_WG 51820

static const eth_addr_t MAC_VM0 = {{0x02, 0x42, 0xc0, 0x00, 0x02, 0x50}};
static const eth_addr_t MAC_VM1 = {{0x02, 0x42, 0xc0, 0x00, 0x02, 0x1e}};

/* An IPv4 underlay between two tunnel endpoints; side 0's endpoint is local. */
struct tun {
    ip_addr_t outer[2];
    uint16_t uport[2]; /* UDP source port each endpoint hashes the flow to */
    uint16_t ipid[2];
    uint32_t gre_seq[2];
    uint32_t key, vni;
    bool csum;
    uint32_t mpls[2][2]; /* per direction: transport label, service label */
};

static void tun_init(struct tun *u, const char *a, const char *b, struct prng *r)
{
    memset(u, 0, sizeof *u);
    u->outer[0] = ip4(a);
    u->outer[1] = ip4(b);
    for (int s = 0; s < 2; s++) {
        u->uport[s] = (uint16_t)prng_range(r, 49152, 65535);
        u->ipid[s] = (uint16_t)prng_next(r);
    }
}

/* The outer IPv4 (DF set, as OVS and `vxlan df set` do) and Ethernet. */
static void tun_outer(struct tcpflow *f, struct tun *u, int side, uint64_t t, struct pkt *p,
                      uint8_t proto)
{
    pkt_ipv4(p, proto, u->outer[side], u->outer[!side], u->ipid[side]++, true, side == 0 ? 64 : 55);
    emit_eth(f, side, t, p);
}

static void inner_eth(struct pkt *p, int side)
{
    pkt_eth(p, side == 0 ? MAC_VM0 : MAC_VM1, side == 0 ? MAC_VM1 : MAC_VM0, ETH_TYPE_IP);
}

/* ---- 4. MPLS (two labels) and QinQ, both healthy ---- */

static void emit_mpls(struct tcpflow *f, int side, uint64_t t, struct pkt *p)
{
    struct tun *u = f->ctx;
    pkt_mpls(p, u->mpls[side][1], 0, true, 62);
    pkt_mpls(p, u->mpls[side][0], 0, false, 62);
    pkt_eth(p, side == 0 ? MAC_HOST : MAC_GW, side == 0 ? MAC_GW : MAC_HOST, ETH_TYPE_MPLS_UC);
    trace_add_pkt(f->tr, t, 0, p);
}

static void emit_qinq(struct tcpflow *f, int side, uint64_t t, struct pkt *p)
{
    pkt_vlan(p, 20, 0, ETH_TYPE_IP);     /* C-tag: the customer's VLAN */
    pkt_vlan(p, 100, 0, ETH_TYPE_8021Q); /* S-tag: the provider's */
    pkt_eth(p, side == 0 ? MAC_HOST : MAC_GW, side == 0 ? MAC_GW : MAC_HOST, ETH_TYPE_QINQ);
    trace_add_pkt(f->tr, t, 0, p);
}

int gen_mpls_qinq(const char *dir, struct trace *tr)
{
    struct tcpflow a, b;
    struct tun lsp;
    struct prng r;

    prng_seed(&r, 3032);
    /* A provider link: an L3VPN flow (transport + VPN label) and an
     * 802.1ad service.  Both add 8 bytes, and the core carries 1508-byte
     * payloads, so 1500-byte packets pass untouched. */
    memset(&lsp, 0, sizeof lsp);
    lsp.mpls[0][0] = 16004;
    lsp.mpls[0][1] = 24015;
    lsp.mpls[1][0] = 16002;
    lsp.mpls[1][1] = 24011;
    flow_init(&a, tr, emit_mpls, &lsp, "192.0.2.10", 50100, "203.0.113.80", 80, &r);
    a.rtt = 22 * NS_PER_MS;
    flow_http(&a, 0, gen_time(4), 1460, 1460, "www.example.com", "/mpls/20k.bin", 20000);

    flow_init(&b, tr, emit_qinq, NULL, "198.51.100.40", 50200, "203.0.113.81", 80, &r);
    b.rtt = 18 * NS_PER_MS;
    flow_http(&b, 0, gen_time(4) + NS_PER_SEC, 1460, 1460, "www.example.org", "/qinq/12k.bin",
              12000);
    return gen_write_pcap(dir, "gen-mpls-qinq.pcap", tr, DLT_EN10MB, false);
}

/* ---- 6. GENEVE with 8 bytes of options ---- */

static void emit_geneve(struct tcpflow *f, int side, uint64_t t, struct pkt *p)
{
    /* One OVN option (class 0x0102, type 0x80, 4 bytes: ingress and egress
     * logical ports): option header 4 + data 4 = 8 bytes, Opt Len 2. */
    static const uint8_t opts[8] = {0x01, 0x02, 0x80, 0x01, 0x00, 0x01, 0x00, 0x02};
    struct tun *u = f->ctx;

    inner_eth(p, side);
    pkt_geneve(p, u->vni, ETH_TYPE_TEB, opts, sizeof opts);
    pkt_udp(p, u->uport[side], PORT_GENEVE);
    tun_outer(f, u, side, t, p, IP_PROTO_UDP);
}

int gen_geneve_options(const char *dir, struct trace *tr)
{
    struct tcpflow f;
    struct tun u;
    struct prng r;

    prng_seed(&r, 8926);
    /* Two hypervisors; the VMs' MTU accounts for 20 + 8 + 8 + 8 (options)
     * + 14 = 58 bytes, so 1442 inner, MSS 1402, and the outer packets are
     * exactly 1500. */
    tun_init(&u, "198.51.100.10", "198.51.100.20", &r);
    u.vni = 0x00a1b2;
    flow_init(&f, tr, emit_geneve, &u, "192.0.2.11", 40022, "192.0.2.12", 8080, &r);
    f.rtt = 12 * NS_PER_MS;
    flow_http(&f, 0, gen_time(6), 1402, 1402, "192.0.2.12:8080", "/geneve/16k.bin", 16000);
    return gen_write_pcap(dir, "gen-geneve-options.pcap", tr, DLT_EN10MB, false);
}

/* ---- 7. ESP, ESP in UDP (NAT-T), GRE with key and sequence ---- */

static void emit_gre(struct tcpflow *f, int side, uint64_t t, struct pkt *p)
{
    struct tun *u = f->ctx;
    pkt_gre(p, ETH_TYPE_IP, u->csum, true, u->key, true, u->gre_seq[side]++);
    tun_outer(f, u, side, t, p, IP_PROTO_GRE);
}

struct esp_sa {
    ip_addr_t addr[2];
    uint16_t port[2]; /* 0: plain ESP (protocol 50) */
    uint32_t spi[2], seq[2];
    uint16_t ipid[2];
    bool df; /* outer DF: Linux copies the inner packet's (xfrm's default) */
};

/* One tunnel-mode ESP packet carrying an inner packet of `inner` bytes. */
static void esp_send(struct trace *tr, struct esp_sa *sa, struct prng *r, int side, uint64_t t,
                     size_t inner)
{
    struct pkt p;

    pkt_init(&p);
    pkt_random(&p, r, inner);
    pkt_esp(&p, r, sa->spi[side], ++sa->seq[side]); /* RFC 4303: the first is 1 */
    if (sa->port[0])
        pkt_udp(&p, sa->port[side], sa->port[!side]);
    pkt_ipv4(&p, sa->port[0] ? IP_PROTO_UDP : IP_PROTO_ESP, sa->addr[side], sa->addr[!side],
             sa->ipid[side]++, sa->df, side == 0 ? 64 : 49);
    pkt_eth(&p, side == 0 ? MAC_HOST : MAC_GW, side == 0 ? MAC_GW : MAC_HOST, ETH_TYPE_IP);
    trace_add_pkt(tr, t, 0, &p);
}

/* The sizes of a short TCP exchange inside the tunnel, inner MSS clamped to
 * 1360 (inner packets <= 1400), as most IPsec gateways do. */
static const struct {
    int side;
    uint16_t inner;
    uint32_t after_us; /* since the previous packet */
} esp_script[] = {
    {1, 60, 0},      {0, 60, 60},   {1, 52, 30000}, {1, 330, 90},   {0, 52, 50},
    {0, 1400, 4000}, {0, 1400, 12}, {0, 1400, 12},  {1, 52, 30000}, {0, 680, 60},
    {1, 52, 30000},  {1, 52, 2000}, {0, 52, 60},    {1, 52, 30000},
};

static uint64_t esp_exchange(struct trace *tr, struct esp_sa *sa, struct prng *r, uint64_t t)
{
    for (size_t i = 0; i < sizeof esp_script / sizeof esp_script[0]; i++) {
        t += esp_script[i].after_us * NS_PER_US;
        esp_send(tr, sa, r, esp_script[i].side, t, esp_script[i].inner);
    }
    return t;
}

static void esp_sa_init(struct esp_sa *sa, const char *a, const char *b, uint16_t pa, uint16_t pb,
                        struct prng *r)
{
    sa->addr[0] = ip4(a);
    sa->addr[1] = ip4(b);
    sa->port[0] = pa;
    sa->port[1] = pb;
    for (int s = 0; s < 2; s++) {
        sa->spi[s] = (uint32_t)prng_next(r) | 0x100; /* SPIs 1..255 are reserved */
        sa->seq[s] = 0;
        sa->ipid[s] = (uint16_t)prng_next(r);
    }
    sa->df = false;
}

int gen_esp_gre_keys(const char *dir, struct trace *tr)
{
    struct esp_sa esp, natt;
    struct tun g1, g2;
    struct tcpflow f1, f2;
    struct prng r;
    struct pkt p;

    prng_seed(&r, 4303);
    /* Everything is captured on the head-end 203.0.113.1, which terminates
     * a site-to-site SA, a road warrior behind NAT and two GRE tunnels. */
    uint64_t t = gen_time(7);
    esp_sa_init(&esp, "203.0.113.1", "198.51.100.1", 0, 0, &r);
    esp_exchange(tr, &esp, &r, t);

    esp_sa_init(&natt, "203.0.113.1", "192.0.2.33", PORT_NAT_T, 61022, &r);
    uint64_t end = esp_exchange(tr, &natt, &r, t + 500 * NS_PER_MS);
    /* RFC 3948 NAT-keepalive: one 0xFF byte, keeps the NAT binding alive. */
    pkt_init(&p);
    pkt_append(&p, "\xff", 1);
    pkt_udp(&p, natt.port[1], natt.port[0]);
    pkt_ipv4(&p, IP_PROTO_UDP, natt.addr[1], natt.addr[0], natt.ipid[1]++, false, 49);
    pkt_eth(&p, MAC_GW, MAC_HOST, ETH_TYPE_IP);
    trace_add_pkt(tr, end + 400 * NS_PER_MS, 0, &p);

    /* GRE with key and sequence: 20 + 12 bytes, tunnel MTU 1468, MSS 1428. */
    tun_init(&g1, "203.0.113.1", "198.51.100.2", &r);
    g1.key = 1001;
    flow_init(&f1, tr, emit_gre, &g1, "203.0.113.100", 80, "192.0.2.65", 51300, &r);
    f1.rtt = 31 * NS_PER_MS;
    flow_http(&f1, 1, t + 1500 * NS_PER_MS, 1428, 1428, "intranet.example.com", "/gre/8k.bin",
              8000);

    /* The same with the checksum present: 36 bytes, MTU 1464, MSS 1424. */
    tun_init(&g2, "203.0.113.1", "198.51.100.3", &r);
    g2.key = 2002;
    g2.csum = true;
    flow_init(&f2, tr, emit_gre, &g2, "203.0.113.100", 80, "192.0.2.129", 51400, &r);
    f2.rtt = 26 * NS_PER_MS;
    flow_http(&f2, 1, t + 2500 * NS_PER_MS, 1424, 1424, "intranet.example.com", "/gre/6k.bin",
              6000);
    return gen_write_pcap(dir, "gen-esp-gre-keys.pcap", tr, DLT_EN10MB, false);
}

/* ---- 11. VXLAN whose overlay MTU is 1500 on a 1500-byte underlay ---- */

static void emit_vxlan(struct tcpflow *f, int side, uint64_t t, struct pkt *p)
{
    struct tun *u = f->ctx;
    inner_eth(p, side);
    pkt_vxlan(p, u->vni);
    pkt_udp(p, u->uport[side], PORT_VXLAN);
    tun_outer(f, u, side, t, p, IP_PROTO_UDP);
}

int gen_vxlan_toobig(const char *dir, struct trace *tr)
{
    static const char resp_head[] = "HTTP/1.1 200 OK\r\nServer: synthetic\r\n"
                                    "Content-Type: application/octet-stream\r\n"
                                    "Content-Length: 48000\r\n\r\n";
    struct tcpflow f;
    struct tun u;
    struct prng r;

    prng_seed(&r, 7348);
    /* Captured on the server's VTEP uplink (MTU 9000).  The overlay MTU is
     * 1500, so a full inner packet becomes 1550 outer bytes with DF; a
     * 1500-byte link in the underlay drops them and its ICMP is filtered.
     * Inner packets up to 1450 would pass. */
    tun_init(&u, "198.51.100.10", "203.0.113.20", &r);
    u.vni = 4242;
    flow_init(&f, tr, emit_vxlan, &u, "192.0.2.80", 80, "192.0.2.30", 43120, &r);
    f.rtt = 16 * NS_PER_MS;
    f.head[0] = resp_head;
    f.head[1] = "GET /vxlan/48k.bin HTTP/1.1\r\nHost: 192.0.2.80\r\n"
                "User-Agent: curl/8.1.2\r\nAccept: */*\r\n\r\n";

    uint64_t t = flow_handshake(&f, 1, gen_time(11), 1460, 1460);
    t += 150 * NS_PER_US;
    flow_data(&f, 1, t, strlen(f.head[1]));
    flow_delivered(&f, 1);
    t += f.local;
    /* The header is its own write: small, it arrives and is acknowledged. */
    flow_data(&f, 0, t, strlen(resp_head));
    flow_delivered(&f, 0);
    flow_ack(&f, 1, t + f.rtt);

    /* The body: ten full segments (inner 1500, outer 1550), none arrive. */
    t += 2 * NS_PER_MS;
    uint32_t lost = f.nxt[0];
    for (int i = 0; i < 10; i++) {
        flow_seg(&f, 0, t + (uint64_t)i * f.gap, f.nxt[0], 1460, TH_ACK);
        f.nxt[0] += 1460;
    }
    /* Linux: RTO = 200 ms floor + RTT, doubled per expiry; only the first
     * unacknowledged segment is resent, always at full size. */
    uint64_t rto = 216 * NS_PER_MS;
    for (int i = 0; i < 5; i++, rto *= 2) {
        t += rto;
        flow_seg(&f, 0, t, lost, 1460, TH_ACK);
    }
    return gen_write_pcap(dir, "gen-vxlan-toobig.pcap", tr, DLT_EN10MB, false);
}

/* ---- 12. WireGuard over IPv6: MTU 1420 on a 1480-byte path ---- */

#define WG_MTU 1420
#define WG_TAG 16 /* Poly1305 */

struct wg {
    struct trace *tr;
    struct prng *r;
    ip6_addr_t addr[2];
    uint16_t port[2];
    uint32_t index[2];   /* each peer's sender index */
    uint64_t counter[2]; /* each peer's next nonce counter */
    /* Side 0's kernel: the path MTU it learnt from a packet-too-big (0:
     * none yet), its fragment identification, and the last datagram it
     * sent as one packet (what a router's ICMPv6 error quotes). */
    uint16_t pmtu;
    uint32_t frag_id;
    uint8_t last[PKT_SIZE];
    size_t last_len;
};

/* RFC 8200 section 4.5: the source splits a datagram larger than its path
 * MTU; the IPv6 header is the unfragmentable part, every fragment but the
 * last carries a multiple of 8 bytes.  With a path MTU of 1420, Linux's
 * ip6_fragment cuts (1420 - 40 - 8) & ~7 = 1368 bytes: 1416 + 140 for a
 * 1500-byte datagram. */
static void wg_fragment(struct wg *w, uint64_t t, const uint8_t *ip, size_t len)
{
    size_t body = len - IP6_HDR_LEN, chunk = (w->pmtu - IP6_HDR_LEN - 8u) & ~(size_t)7;
    uint32_t id = w->frag_id++;
    struct pkt p;

    for (size_t off = 0; off < body; off += chunk) {
        size_t n = body - off < chunk ? body - off : chunk;
        bool more = off + n < body;
        pkt_init(&p);
        pkt_append(&p, ip + IP6_HDR_LEN + off, n);
        uint8_t *fh = pkt_prepend(&p, 8);
        fh[0] = IP_PROTO_UDP;
        put_be16(fh + 2, (uint16_t)(off | (more ? 1 : 0))); /* off is a multiple of 8 */
        put_be32(fh + 4, id);
        uint8_t *h = pkt_prepend(&p, IP6_HDR_LEN);
        ip6_pack_hdr(h, 0, 0, 8 + n, IP_PROTO_FRAGMENT, ip[7], w->addr[0], w->addr[1]);
        pkt_eth(&p, MAC_HOST, MAC_GW, ETH_TYPE_IPV6);
        trace_add_pkt(w->tr, t, 0, &p);
    }
}

static void wg_send(struct wg *w, int side, uint64_t t, struct pkt *p)
{
    pkt_udp(p, w->port[side], w->port[!side]);
    pkt_ipv6(p, IP_PROTO_UDP, w->addr[side], w->addr[!side], side == 0 ? 64 : 57);
    if (side == 0 && w->pmtu && pkt_len(p) > w->pmtu) {
        wg_fragment(w, t, pkt_data(p), pkt_len(p));
        return;
    }
    if (side == 0) {
        memcpy(w->last, pkt_data(p), pkt_len(p));
        w->last_len = pkt_len(p);
    }
    pkt_eth(p, side == 0 ? MAC_HOST : MAC_GW, side == 0 ? MAC_GW : MAC_HOST, ETH_TYPE_IPV6);
    trace_add_pkt(w->tr, t, 0, p);
}

/* Handshake messages: type, 3 reserved bytes, the sender index, then
 * seeded noise of the exact size of the remaining fields; mac2 stays zero
 * (no cookie, as when the responder is not under load). */
static void wg_handshake(struct wg *w, int side, uint64_t t, uint8_t type, size_t len)
{
    struct pkt p;
    uint8_t h[12] = {type};

    pkt_init(&p);
    put_le32(h + 4, w->index[side]);
    put_le32(h + 8, w->index[!side]);
    pkt_append(&p, h, type == 1 ? 8 : 12); /* the response names the receiver too */
    pkt_random(&p, w->r, len - pkt_len(&p) - 16);
    pkt_append(&p, (const uint8_t[16]){0}, 16);
    wg_send(w, side, t, &p);
}

/* A transport data message (type 4).  Linux pads the plaintext to 16 bytes
 * but never past the device MTU (send.c calculate_skb_padding), so a
 * 1420-byte packet stays 1420: message 16 + 1420 + 16, outer 1500. */
static void wg_data(struct wg *w, int side, uint64_t t, size_t inner)
{
    struct pkt p;
    uint8_t h[16] = {4};
    size_t padded = (inner + 15) & ~(size_t)15;

    if (padded > WG_MTU)
        padded = WG_MTU;
    put_le32(h + 4, w->index[!side]);
    put_le64(h + 8, w->counter[side]++);
    pkt_init(&p);
    pkt_append(&p, h, sizeof h);
    pkt_random(&p, w->r, padded + WG_TAG);
    wg_send(w, side, t, &p);
}

struct wg_ev {
    uint64_t t;
    int side;
    uint16_t inner;
};

/* Insertion sort by time: stable (equal times keep their order), n is tiny. */
static void wg_ev_sort(struct wg_ev *ev, size_t n)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && ev[j - 1].t > ev[j].t; j--) {
            struct wg_ev x = ev[j];
            ev[j] = ev[j - 1];
            ev[j - 1] = x;
        }
}

int gen_wireguard_ipv6_outer(const char *dir, struct trace *tr)
{
    /* The hidden inner exchange, from the capture host A (uploading):
     * inner packet sizes; 0 means a keepalive.  40 + 8 + 32 = 80 bytes of
     * overhead: 1420 inner is 1500 outer, which a 1480-byte path (6in4
     * somewhere in the middle) drops without a word. */
    const uint64_t rtt = 46 * NS_PER_MS, turn = 60 * NS_PER_US;
    struct wg w;
    struct prng r;

    prng_seed(&r, 51820);
    w.tr = tr;
    w.r = &r;
    w.addr[0] = ip6("2001:db8:a::10");
    w.addr[1] = ip6("2001:db8:b::1");
    w.port[0] = 41414;
    w.port[1] = PORT_WG;
    w.pmtu = 0;
    for (int s = 0; s < 2; s++) {
        w.index[s] = (uint32_t)prng_next(&r);
        w.counter[s] = 0;
    }

    uint64_t t = gen_time(12);
    wg_handshake(&w, 0, t, 1, 148); /* initiation */
    t += rtt;
    wg_handshake(&w, 1, t, 2, 92); /* response */
    t += turn;
    wg_data(&w, 0, t, 60); /* the queued inner SYN goes first */
    t += rtt;
    wg_data(&w, 1, t, 60); /* SYN-ACK */
    t += turn;
    wg_data(&w, 0, t, 52);                        /* ACK */
    wg_data(&w, 0, t + 20 * NS_PER_US, 52 + 240); /* the upload's request header */
    t += rtt;
    wg_data(&w, 1, t, 52); /* delivered */

    /* The body: four full 1420-byte packets, all lost past the 1480 hop;
     * the inner TCP resends the first at each RTO.  Meanwhile pings through
     * the tunnel: 84 and 1392 bytes (outer 1472) come back; 1393..1420 would
     * be padded past 1400 and vanish.  Counters must rise with time, so the
     * events are collected first and sent in time order. */
    struct wg_ev ev[32];
    size_t n = 0;
    t += turn;
    for (int i = 0; i < 4; i++)
        ev[n++] = (struct wg_ev){t + (uint64_t)i * 12 * NS_PER_US, 0, WG_MTU};
    uint64_t rto = 250 * NS_PER_MS, tr_t = t;
    for (int i = 0; i < 4; i++, rto *= 2) {
        tr_t += rto;
        ev[n++] = (struct wg_ev){tr_t, 0, WG_MTU};
    }
    static const uint16_t pings[] = {84, 1392, 84, 1392};
    for (size_t i = 0; i < sizeof pings / sizeof pings[0]; i++) {
        uint64_t tp = t + 400 * NS_PER_MS + i * 1000 * NS_PER_MS;
        ev[n++] = (struct wg_ev){tp, 0, pings[i]};
        ev[n++] = (struct wg_ev){tp + rtt, 1, pings[i]};
    }
    wg_ev_sort(ev, n);
    for (size_t i = 0; i < n; i++)
        wg_data(&w, ev[i].side, ev[i].t, ev[i].inner);
    return gen_write_pcap(dir, "gen-wireguard-ipv6-outer.pcap", tr, DLT_EN10MB, false);
}

/* ---- 13. WireGuard over IPv6, MTU 1420, a 1420-byte link: packet-too-big ---- */

/* A router's ICMPv6 packet-too-big (RFC 4443 3.2): MTU, then as much of the
 * offending packet as fits in 1280 bytes, its hop limit as received. */
static void ptb_send(struct wg *w, uint64_t t, ip6_addr_t router, uint16_t mtu, uint8_t hops)
{
    enum { QUOTE = 1280 - IP6_HDR_LEN - 8 };
    uint8_t q[QUOTE];
    size_t n = w->last_len < QUOTE ? w->last_len : QUOTE;
    struct pkt p;

    memcpy(q, w->last, n);
    q[7] = (uint8_t)(q[7] - hops);
    pkt_init(&p);
    pkt_append(&p, q, n);
    uint8_t *h = pkt_prepend(&p, 8);
    h[0] = 2; /* packet too big, code 0 */
    put_be32(h + 4, mtu);
    pkt_ipv6(&p, IP_PROTO_ICMPV6, router, w->addr[0], (uint8_t)(64 - hops));
    pkt_eth(&p, MAC_GW, MAC_HOST, ETH_TYPE_IPV6);
    trace_add_pkt(w->tr, t, 0, &p);
}

int gen_wireguard_ipv6_ptb(const char *dir, struct trace *tr)
{
    /* Site A (2001:db8:c::10) uploads to site B through WireGuard (MTU
     * 1420, both ends on port 51820).  Two hops out, a router forwards onto
     * a 1420-byte link (another tunnel carrying this one) and answers each
     * 1500-byte outer datagram with packet-too-big 1420.  A's kernel caches
     * 1420 for B and from then on fragments the outer datagrams itself
     * (1416 + 140); the inner TCP never learns anything (the WireGuard
     * device's MTU is still 1420), it only loses its first flight and
     * resends it at the RTO.  Inner MTU that fits: 1420 - 80 = 1340. */
    enum { PATH_MTU = 1420, HOPS = 2, SEGS = 40, IW = 10 };
    const uint64_t rtt = 38 * NS_PER_MS, turn = 60 * NS_PER_US, gap = 12 * NS_PER_US;
    const ip6_addr_t router = ip6("2001:db8:e::1");
    struct wg w;
    struct prng r;

    prng_seed(&r, 4443);
    w.tr = tr;
    w.r = &r;
    w.addr[0] = ip6("2001:db8:c::10");
    w.addr[1] = ip6("2001:db8:d::1");
    w.port[0] = w.port[1] = PORT_WG;
    for (int s = 0; s < 2; s++) {
        w.index[s] = (uint32_t)prng_next(&r);
        w.counter[s] = 0;
    }
    w.pmtu = 0;
    w.frag_id = (uint32_t)prng_next(&r);
    w.last_len = 0;

    uint64_t t = gen_time(17);
    wg_handshake(&w, 0, t, 1, 148);
    t += rtt;
    wg_handshake(&w, 1, t, 2, 92);
    t += turn;
    wg_data(&w, 0, t, 60); /* inner SYN (MSS 1380) */
    t += rtt;
    wg_data(&w, 1, t, 60); /* SYN-ACK */
    t += turn;
    wg_data(&w, 0, t, 52);
    wg_data(&w, 0, t + 20 * NS_PER_US, 52 + 310); /* the PUT's header */
    t += rtt;
    wg_data(&w, 1, t, 52);

    /* The first flight (IW10): ten 1420-byte inner packets, outer 1500.
     * The router answers the first six; its ICMPv6 rate limit (a burst of
     * six per peer, then one a second) swallows the rest. */
    t += turn;
    for (int i = 0; i < IW; i++) {
        uint64_t ts = t + (uint64_t)i * gap;
        wg_data(&w, 0, ts, WG_MTU);
        if (i < 6)
            ptb_send(&w, ts + 2 * NS_PER_MS, router, PATH_MTU, HOPS);
    }
    w.pmtu = PATH_MTU;

    /* Linux's RTO (200 ms + RTT): the first segment again, fragmented now;
     * it arrives, and slow start from one segment resends the rest of the
     * flight and the remaining body, every full packet in two fragments. */
    t += 238 * NS_PER_MS;
    int sent = 0;
    for (unsigned cwnd = 1; sent < SEGS; cwnd *= 2) {
        unsigned k = 0;
        for (; k < cwnd && sent < SEGS; k++, sent++)
            wg_data(&w, 0, t + k * gap, WG_MTU);
        t += rtt;
        for (unsigned a = 0; a < (k + 1) / 2; a++) /* one ACK per two segments */
            wg_data(&w, 1, t + a * 2 * gap, 52);
        t += k * gap + turn;
    }
    wg_data(&w, 0, t, 52); /* FIN */
    t += rtt;
    wg_data(&w, 1, t, 52); /* FIN-ACK */
    wg_data(&w, 0, t + turn, 52);
    return gen_write_pcap(dir, "gen-wireguard-ipv6-ptb.pcap", tr, DLT_EN10MB, false);
}

/* ---- 14. An IPsec tunnel (ESP, DF copied) across a silent 1492-byte link ---- */

int gen_esp_blackhole(const char *dir, struct trace *tr)
{
    /* Captured on gateway A's outside interface (203.0.113.2).  Site B's
     * gateway (198.51.100.20) sits behind a PPPoE line (1492) whose ICMP is
     * filtered.  The gateways clamp the inner MSS to 1406, which fits a
     * 1500-byte path: inner 1446 + ESP (8 SPI/seq + 8 IV + 2 trailer + 16
     * ICV, no pad) + 20 = 1500.  The outer DF is copied from the inner
     * packet, so full-size ESP datagrams vanish at the 1492 link.  Inner
     * client 10.2.0.20 (B) downloads from 10.1.0.10 (A); a monitor on A
     * pings B's gateway (inner 84 and 1400 bytes, outer 140 and 1456) all
     * along, and every ping is answered.  Inner MTU that fits: 1438. */
    /* inner sizes: SYN, SYN-ACK, ACK, GET; ACK, response header; its ACK */
    static const struct {
        int side;
        uint16_t inner;
        uint32_t after_us;
    } script[] = {
        {1, 60, 0},  {0, 60, 50},        {1, 52, 24000}, {1, 52 + 126, 40},
        {0, 52, 60}, {0, 52 + 290, 900}, {1, 52, 24000},
    };
    enum { FLIGHT = 10, FULL = 1446 };
    const uint64_t rtt = 24 * NS_PER_MS;
    struct esp_sa sa;
    struct prng r;

    prng_seed(&r, 4301);
    esp_sa_init(&sa, "203.0.113.2", "198.51.100.20", 0, 0, &r);
    sa.df = true;

    /* Every packet is listed first and sent in time order: an SA's
     * sequence numbers rise with time (RFC 4303 3.3.3). */
    struct wg_ev ev[64];
    size_t n = 0;
    uint64_t t0 = gen_time(18), t = t0;
    for (size_t i = 0; i < sizeof script / sizeof script[0]; i++) {
        t += script[i].after_us * NS_PER_US;
        ev[n++] = (struct wg_ev){t, script[i].side, script[i].inner};
    }
    /* The body: a flight of full-size segments, none acknowledged. */
    t += 300 * NS_PER_US;
    for (int i = 0; i < FLIGHT; i++)
        ev[n++] = (struct wg_ev){t + (uint64_t)i * 12 * NS_PER_US, 0, FULL};
    /* Linux: RTO = 200 ms + RTT, doubled per expiry; each resend of the
     * first segment is a new ESP packet (next sequence number), same size. */
    uint64_t rto = 200 * NS_PER_MS + rtt, lost = t;
    for (int i = 0; i < 5; i++, rto *= 2) {
        lost += rto;
        ev[n++] = (struct wg_ev){lost, 0, FULL};
    }
    /* The monitor's pings, one a second, answered after one RTT. */
    for (int i = 0; i < 8; i++) {
        uint16_t inner = i % 2 ? 1400 : 84;
        uint64_t tp = t0 + 200 * NS_PER_MS + (uint64_t)i * NS_PER_SEC;
        ev[n++] = (struct wg_ev){tp, 0, inner};
        ev[n++] = (struct wg_ev){tp + rtt + 80 * NS_PER_US, 1, inner};
    }
    wg_ev_sort(ev, n);
    for (size_t i = 0; i < n; i++)
        esp_send(tr, &sa, &r, ev[i].side, ev[i].t, ev[i].inner);
    return gen_write_pcap(dir, "gen-esp-blackhole.pcap", tr, DLT_EN10MB, false);
}
