/*
 * build.c - packet construction: libdnet packs the IP, TCP, UDP and ICMP
 * headers and computes their checksums; the link and tunnel headers libdnet
 * does not know (VLAN, MPLS, PPPoE, GRE, VXLAN, GENEVE, ESP) are written byte
 * by byte here.  Also the PRNG and the frame list of a trace.
 */
#include "gen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const eth_addr_t MAC_HOST = {{0x02, 0x00, 0x5e, 0x10, 0x00, 0x01}};
const eth_addr_t MAC_GW = {{0x02, 0x00, 0x5e, 0x10, 0x00, 0xfe}};

static void die(const char *what)
{
    fprintf(stderr, "mtuscope-gen: %s\n", what);
    exit(2);
}

/* ---- PRNG: splitmix64 (Steele, Lea, Flood 2014) ---- */

void prng_seed(struct prng *r, uint64_t seed)
{
    r->s = seed;
}

uint64_t prng_next(struct prng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The modulo bias is irrelevant for jitter and filler bytes. */
uint32_t prng_range(struct prng *r, uint32_t lo, uint32_t hi)
{
    return lo + (uint32_t)(prng_next(r) % ((uint64_t)hi - lo + 1));
}

void prng_fill(struct prng *r, uint8_t *dst, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = (uint8_t)(prng_next(r) >> 56);
}

/* ---- byte helpers ---- */

void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

void put_be32(uint8_t *p, uint32_t v)
{
    put_be16(p, (uint16_t)(v >> 16));
    put_be16(p + 2, (uint16_t)v);
}

void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

ip_addr_t ip4(const char *s)
{
    ip_addr_t a;
    if (ip_pton(s, &a) < 0)
        die("bad IPv4 literal");
    return a;
}

ip6_addr_t ip6(const char *s)
{
    ip6_addr_t a;
    if (ip6_pton(s, &a) < 0)
        die("bad IPv6 literal");
    return a;
}

eth_addr_t mac(const char *s)
{
    eth_addr_t a;
    if (eth_pton(s, &a) < 0)
        die("bad MAC literal");
    return a;
}

/* ---- the builder ---- */

void pkt_init(struct pkt *p)
{
    p->start = p->end = PKT_HEAD;
}

uint8_t *pkt_prepend(struct pkt *p, size_t n)
{
    if (p->start < n)
        die("packet headroom exhausted");
    p->start -= n;
    memset(p->buf + p->start, 0, n);
    return p->buf + p->start;
}

void pkt_append(struct pkt *p, const void *data, size_t n)
{
    if (p->end + n > PKT_SIZE)
        die("packet buffer exhausted");
    memcpy(p->buf + p->end, data, n);
    p->end += n;
}

/* 61 characters: a prime length, so segment boundaries never line up with
 * the text and every segment looks different in a hex dump. */
static const char stream_text[] = "mtuscope synthetic stream: the same bytes on every run. 0123\n";

void pkt_stream(struct pkt *p, const char *head, uint32_t off, size_t n)
{
    const size_t tl = sizeof(stream_text) - 1, hl = head ? strlen(head) : 0;

    if (p->end + n > PKT_SIZE)
        die("packet buffer exhausted");
    for (size_t i = 0; i < n; i++) {
        size_t o = (size_t)off + i;
        p->buf[p->end + i] = (uint8_t)(o < hl ? head[o] : stream_text[(o - hl) % tl]);
    }
    p->end += n;
}

void pkt_random(struct pkt *p, struct prng *r, size_t n)
{
    if (p->end + n > PKT_SIZE)
        die("packet buffer exhausted");
    prng_fill(r, p->buf + p->end, n);
    p->end += n;
}

/* MSS (RFC 793) and window scale (RFC 7323) on SYNs only, like every stack. */
void pkt_tcp(struct pkt *p, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
             uint8_t flags, uint16_t win, uint16_t mss, uint8_t wscale)
{
    uint8_t opt[8];
    size_t optlen = 0;

    if (mss) {
        opt[0] = TCP_OPT_MSS;
        opt[1] = 4;
        put_be16(opt + 2, mss);
        optlen = 4;
        if (wscale != 0xff) {
            opt[4] = TCP_OPT_NOP;
            opt[5] = TCP_OPT_WSCALE;
            opt[6] = 3;
            opt[7] = wscale;
            optlen = 8;
        }
    }
    uint8_t *h = pkt_prepend(p, TCP_HDR_LEN + optlen);
    tcp_pack_hdr(h, sport, dport, seq, ack, flags, win, 0);
    ((struct tcp_hdr *)h)->th_off = (uint8_t)((TCP_HDR_LEN + optlen) / 4);
    memcpy(h + TCP_HDR_LEN, opt, optlen);
}

void pkt_udp(struct pkt *p, uint16_t sport, uint16_t dport)
{
    size_t len = pkt_len(p) + UDP_HDR_LEN;
    uint8_t *h = pkt_prepend(p, UDP_HDR_LEN);
    udp_pack_hdr(h, sport, dport, len);
}

/* The echo data is already in place behind the 8-byte header, so libdnet's
 * memmove of the data onto itself is a no-op. */
void pkt_icmp_echo(struct pkt *p, uint8_t type, uint16_t id, uint16_t seq)
{
    size_t dlen = pkt_len(p);
    uint8_t *h = pkt_prepend(p, 8);
    icmp_pack_hdr_echo(h, type, 0, id, seq, h + 8, dlen);
}

/* The quoted datagram is the current content (RFC 792: IP header + 8 bytes). */
void pkt_icmp_needfrag(struct pkt *p, uint16_t mtu)
{
    size_t qlen = pkt_len(p);
    uint8_t *h = pkt_prepend(p, 8);
    icmp_pack_hdr_needfrag(h, ICMP_UNREACH, ICMP_UNREACH_NEEDFRAG, mtu, h + 8, qlen);
}

void pkt_ipv4(struct pkt *p, uint8_t proto, ip_addr_t src, ip_addr_t dst, uint16_t id, bool df,
              uint8_t ttl)
{
    size_t len = pkt_len(p) + IP_HDR_LEN;
    uint8_t *h = pkt_prepend(p, IP_HDR_LEN);
    ip_pack_hdr(h, 0, len, id, df ? IP_DF : 0, ttl, proto, src, dst);
    ip_checksum(h, len);
}

void pkt_ipv6(struct pkt *p, uint8_t nxt, ip6_addr_t src, ip6_addr_t dst, uint8_t hlim)
{
    size_t plen = pkt_len(p);
    uint8_t *h = pkt_prepend(p, IP6_HDR_LEN);
    ip6_pack_hdr(h, 0, 0, plen, nxt, hlim, src, dst);
    ip6_checksum(h, plen + IP6_HDR_LEN);
}

void pkt_eth(struct pkt *p, eth_addr_t src, eth_addr_t dst, uint16_t type)
{
    uint8_t *h = pkt_prepend(p, ETH_HDR_LEN);
    eth_pack_hdr(h, dst, src, type);
}

/* IEEE 802.1Q tag as it sits after the TPID: TCI, then the next ethertype. */
void pkt_vlan(struct pkt *p, uint16_t vid, uint8_t pcp, uint16_t inner_type)
{
    uint8_t *h = pkt_prepend(p, 4);
    put_be16(h, (uint16_t)((pcp & 7) << 13 | (vid & 0xfff)));
    put_be16(h + 2, inner_type);
}

/* RFC 3032 label stack entry: label 20, TC 3, S 1, TTL 8 bits. */
void pkt_mpls(struct pkt *p, uint32_t label, uint8_t tc, bool bos, uint8_t ttl)
{
    uint8_t *h = pkt_prepend(p, 4);
    put_be32(h, (label & 0xfffff) << 12 | (uint32_t)(tc & 7) << 9 | (uint32_t)bos << 8 | ttl);
}

/* RFC 2516 session stage: ver 1, type 1, code 0; the length covers the PPP
 * protocol field and the payload, which is why PPPoE costs 8 bytes. */
void pkt_pppoe(struct pkt *p, uint16_t session, uint16_t ppp_proto)
{
    put_be16(pkt_prepend(p, 2), ppp_proto);
    size_t len = pkt_len(p);
    uint8_t *h = pkt_prepend(p, 6);
    h[0] = 0x11;
    h[1] = 0x00;
    put_be16(h + 2, session);
    put_be16(h + 4, (uint16_t)len);
}

/* RFC 2784 + RFC 2890: C, K, S bits; the checksum covers header and payload. */
void pkt_gre(struct pkt *p, uint16_t proto, bool csum, bool has_key, uint32_t key, bool has_seq,
             uint32_t seq)
{
    size_t hl = 4 + (csum ? 4 : 0) + (has_key ? 4 : 0) + (has_seq ? 4 : 0);
    uint8_t *h = pkt_prepend(p, hl);
    uint8_t *o = h + 4;

    h[0] = (uint8_t)((csum ? 0x80 : 0) | (has_key ? 0x20 : 0) | (has_seq ? 0x10 : 0));
    h[1] = 0; /* version 0 */
    put_be16(h + 2, proto);
    if (csum)
        o += 4; /* checksum + reserved1, filled below */
    if (has_key) {
        put_be32(o, key);
        o += 4;
    }
    if (has_seq)
        put_be32(o, seq);
    if (csum) {
        int sum = ip_cksum_add(h, pkt_len(p), 0);
        uint16_t c = (uint16_t)ip_cksum_carry(sum);
        memcpy(h + 4, &c, 2); /* already in network order: summed as raw words */
    }
}

/* RFC 7348: flags with I set, 24-bit VNI. */
void pkt_vxlan(struct pkt *p, uint32_t vni)
{
    uint8_t *h = pkt_prepend(p, 8);
    h[0] = 0x08;
    put_be32(h + 4, vni << 8);
}

/* RFC 8926: Opt Len counts 4-byte words; options follow the fixed 8 bytes. */
void pkt_geneve(struct pkt *p, uint32_t vni, uint16_t proto, const uint8_t *opts, size_t optlen)
{
    uint8_t *h = pkt_prepend(p, 8 + optlen);
    h[0] = (uint8_t)((optlen / 4) & 0x3f);
    put_be16(h + 2, proto);
    put_be32(h + 4, vni << 8);
    memcpy(h + 8, opts, optlen);
}

/* RFC 4303 with AES-GCM (RFC 4106): 8-byte IV, the payload + pad + pad
 * length + next header rounded to 4 bytes, 16-byte ICV.  The plaintext is
 * replaced by seeded noise of exactly the encrypted size. */
void pkt_esp(struct pkt *p, struct prng *r, uint32_t spi, uint32_t seq)
{
    size_t enc = (pkt_len(p) + 2 + 3) & ~(size_t)3;

    p->end = p->start;
    pkt_random(p, r, 8 + enc + 16);
    uint8_t *h = pkt_prepend(p, 8);
    put_be32(h, spi);
    put_be32(h + 4, seq);
}

/* ---- traces ---- */

void trace_reset(struct trace *t)
{
    t->nf = t->used = 0;
}

void trace_add(struct trace *t, uint64_t t_ns, uint32_t ifidx, const uint8_t *data, size_t len)
{
    if (t->nf == TRACE_MAX_FRAMES || t->used + len > TRACE_ARENA)
        die("trace too large");
    struct frame *f = &t->f[t->nf];
    f->t_ns = t_ns;
    f->seq = (uint32_t)t->nf;
    f->ifidx = ifidx;
    f->caplen = f->wirelen = (uint32_t)len;
    f->off = t->used;
    memcpy(t->arena + t->used, data, len);
    t->used += len;
    t->nf++;
}

void trace_add_pkt(struct trace *t, uint64_t t_ns, uint32_t ifidx, struct pkt *p)
{
    trace_add(t, t_ns, ifidx, pkt_data(p), pkt_len(p));
}

static int frame_cmp(const void *a, const void *b)
{
    const struct frame *x = a, *y = b;
    if (x->t_ns != y->t_ns)
        return x->t_ns < y->t_ns ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Scenarios add each side's packets as they compute them; the capture is in
 * time order.  The insertion number breaks ties, so the order is total and
 * qsort's instability cannot change the output. */
void trace_sort(struct trace *t)
{
    qsort(t->f, t->nf, sizeof t->f[0], frame_cmp);
}
