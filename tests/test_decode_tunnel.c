/*
 * test_decode_tunnel.c - GRE (PPTP, ERSPAN), VXLAN, GENEVE, GTP-U, L2TPv2, Teredo.
 *
 * Two kinds of test for each tunnel:
 *  - "_fields" tests run the tunnel decoder directly on the bytes from its
 *    header on (with, where it matters, a UDP or IP layer in front that
 *    declares the length, as decode_udp/decode_ipv4 would): they check this
 *    module's work, whatever state the other decoders are in;
 *  - "_stack" tests decode the whole frame from Ethernet and check the final
 *    layer stack: they need the link, IP and transport decoders too.
 */
#include "testutil.h"

#include "decode_tunnel.h"

#define AN(a) (1ull << (a))

typedef void (*decoder_fn)(struct dstate *, struct cursor);

/* The layer in front of a directly run decoder and the length it declares. */
struct encl {
    int type; /* LAYER_UDP, LAYER_IPV4, or -1: none */
    uint32_t len;
};
#define NO_ENCL ((struct encl){-1, 0})
#define UDP_ENCL(n) ((struct encl){LAYER_UDP, (n)})
#define IP_ENCL(n) ((struct encl){LAYER_IPV4, (n)})

/* Runs fn on buf[0, caplen) of a frame of wirelen bytes, at tunnel depth
 * `depth`, with `lflags` (LF_QUOTED: inside an ICMP quote).  Returns the index
 * of the decoder's own layer. */
static int run_full(struct packet *p, decoder_fn fn, const uint8_t *buf, size_t caplen,
                    size_t wirelen, struct encl e, uint8_t depth, uint8_t lflags)
{
    memset(p, 0, sizeof *p);
    p->frame = 1;
    p->caplen = (uint32_t)caplen;
    p->wirelen = (uint32_t)wirelen;
    p->data = buf;
    struct dstate d = {p, buf, depth, lflags, 0};
    struct cursor c = cur_make(buf, caplen);
    if (e.type >= 0) {
        struct layer *o = dec_push(&d, (enum layer_type)e.type, &c);
        assert_non_null(o);
        if (e.type == LAYER_UDP) {
            o->u.udp.len = (uint16_t)(e.len + 8);
            o->u.udp.payload_len = (uint16_t)e.len;
        } else {
            o->u.ip.version = 4;
            o->u.ip.hdr_len = 20;
            o->u.ip.ip_len = (uint16_t)(e.len + 20);
            o->u.ip.payload_len = (uint16_t)e.len;
        }
    }
    fn(&d, c);
    assert_true(p->nlayers >= 1);
    return e.type >= 0 ? 1 : 0;
}

static int run(struct packet *p, decoder_fn fn, const uint8_t *buf, size_t len, struct encl e)
{
    return run_full(p, fn, buf, len, len, e, 0, 0);
}

/* The decoder's layer i is followed by an inner layer of type t at offset off, one tunnel deeper.
 */
static void assert_inner(const struct packet *p, int i, enum layer_type t, uint32_t off)
{
    assert_true(p->nlayers >= i + 2);
    assert_int_equal(p->layers[i + 1].type, t);
    assert_int_equal(p->layers[i + 1].offset, p->layers[i].offset + off);
    assert_int_equal(p->layers[i + 1].tunnel, p->layers[i].tunnel + 1);
    assert_int_equal(p->ntunnels, p->layers[i].tunnel + 1);
}

/* Nothing was decoded after layer i. */
static void assert_no_inner(const struct packet *p, int i)
{
    assert_int_equal(p->nlayers, i + 1);
}

/*
 * Cuts buf (a tunnel header of hdr_len bytes and what follows, `full` bytes in
 * all) at every length below hdr_len: the decoder's layer must be flagged
 * truncated, no inner layer decoded, and exactly AN_TRUNCATED recorded when the
 * snap length cut it, or `short_an(caplen)` when the frame really was that short
 * (AN__COUNT: no anomaly at all, the bytes are a complete message).
 */
static void sweep_header(decoder_fn fn, const uint8_t *buf, size_t hdr_len, size_t full,
                         enum layer_type t, enum anomaly (*short_an)(size_t caplen))
{
    struct packet p;
    for (size_t cap = 0; cap < hdr_len; cap++) {
        int i = run_full(&p, fn, buf, cap, full, NO_ENCL, 0, 0);
        assert_int_equal(p.layers[i].type, t);
        assert_true(p.layers[i].flags & LF_TRUNCATED);
        assert_no_inner(&p, i);
        assert_int_equal(p.anomalies, AN(AN_TRUNCATED));

        i = run_full(&p, fn, buf, cap, cap, NO_ENCL, 0, 0);
        enum anomaly a = short_an(cap);
        uint64_t want = a == AN__COUNT ? 0 : AN(a);
        if (p.anomalies != want)
            print_error("caplen %zu: anomalies %#llx, expected %#llx\n", cap,
                        (unsigned long long)p.anomalies, (unsigned long long)want);
        assert_int_equal(p.anomalies, want);
        assert_no_inner(&p, i);
    }
}

static enum anomaly always_short(size_t caplen)
{
    (void)caplen;
    return AN_SHORT_FRAME;
}

/* ---- packet builders ---- */

static void pb_put_be16(struct pb *b, uint16_t v)
{
    pb_be16(pb_prepend(b, 2), v);
}
static void pb_put_be32(struct pb *b, uint32_t v)
{
    pb_be32(pb_prepend(b, 4), v);
}

/* Ethernet/IPv4/TCP with 40 bytes of payload: what most tunnels carry here. */
static void inner_eth_tcp(struct pb *b)
{
    pb_fill(b, 40, 'i');
    pb_tcp(b, 33000, 443, 1000, 2000, TH_ACK);
    pb_ipv4(b, IP_PROTO_TCP, "10.1.0.1", "10.1.0.2", IP_DF);
    pb_eth(b, ETH_TYPE_IP);
}

static void inner_ipv4_tcp(struct pb *b)
{
    pb_fill(b, 40, 'i');
    pb_tcp(b, 33000, 443, 1000, 2000, TH_ACK);
    pb_ipv4(b, IP_PROTO_TCP, "10.1.0.1", "10.1.0.2", IP_DF);
}

static void inner_ipv6_tcp(struct pb *b)
{
    pb_fill(b, 40, 'i');
    pb_tcp(b, 33000, 443, 1000, 2000, TH_ACK);
    pb_ipv6(b, IP_PROTO_TCP, "2001:db8::1", "2001:db8::2");
}

/* PPP in HDLC-like framing (ff 03), protocol IPv4. */
static void inner_ppp_ipv4_tcp(struct pb *b)
{
    inner_ipv4_tcp(b);
    uint8_t *h = pb_prepend(b, 4);
    h[0] = 0xff;
    h[1] = 0x03;
    pb_be16(h + 2, 0x0021);
}

/*
 * libdnet's *_pack_hdr write through struct pointers, so the outer headers
 * must land 4-byte aligned (UBSan checks).  Moves the packet built so far to
 * the aligned start of a fresh buffer, then remembers where the tunnel header
 * (the first byte) is: later prepends do not move it.
 */
struct at {
    const uint8_t *p;
    size_t len;
};

static void pb_rebase(struct pb *b, struct at *t)
{
    static uint8_t tmp[PB_SIZE];
    size_t n = pb_len(b);
    memcpy(tmp, pb_data(b), n);
    pb_init(b);
    pb_append(b, tmp, n);
    if (t) {
        t->p = pb_data(b);
        t->len = n;
    }
}

static void outer_udp(struct pb *b, uint16_t dport, struct at *t)
{
    pb_rebase(b, t);
    pb_udp(b, 40000, dport);
    pb_ipv4(b, IP_PROTO_UDP, "192.0.2.1", "198.51.100.2", IP_DF);
    pb_eth(b, ETH_TYPE_IP);
}

static void outer_gre(struct pb *b, struct at *t)
{
    pb_rebase(b, t);
    pb_ipv4(b, IP_PROTO_GRE, "192.0.2.1", "198.51.100.2", IP_DF);
    pb_eth(b, ETH_TYPE_IP);
}

/* GRE version 0 header with the optional fields its flags name. */
static void pb_gre(struct pb *b, uint16_t flags, uint16_t proto, uint32_t key, uint32_t seq)
{
    if (flags & 0x1000)
        pb_put_be32(b, seq);
    if (flags & 0x2000)
        pb_put_be32(b, key);
    if (flags & 0x8000)
        pb_put_be32(b, 0xbeef0000); /* checksum (not verified) + reserved1 */
    pb_put_be16(b, proto);
    pb_put_be16(b, flags);
}

static struct at mark(struct pb *b)
{
    struct at a = {pb_data(b), pb_len(b)};
    return a;
}

static void decode_full(struct packet *p, struct pb *b, const char *stack)
{
    tu_decode(p, DLT_EN10MB, b);
    tu_assert_stack(p, stack);
}

/* ================= VXLAN ================= */

static void build_vxlan(struct pb *b, struct at *t)
{
    pb_init(b);
    inner_eth_tcp(b);
    pb_vxlan(b, 0x123456);
    outer_udp(b, 4789, t);
}

static void check_vxlan(const struct layer *l)
{
    assert_int_equal(l->type, LAYER_VXLAN);
    assert_int_equal(l->u.vxlan.flags, 0x08);
    assert_int_equal(l->u.vxlan.vni, 0x123456);
    assert_int_equal(l->flags, 0);
}

static void test_vxlan_fields(void **state)
{
    (void)state;
    static struct pb b;
    struct at t;
    struct packet p;
    build_vxlan(&b, &t);
    int i = run(&p, decode_vxlan, t.p, t.len, UDP_ENCL((uint32_t)t.len));
    check_vxlan(&p.layers[i]);
    assert_inner(&p, i, LAYER_ETH, 8);
    assert_no_anomalies(&p);
}

static void test_vxlan_stack(void **state)
{
    (void)state;
    static struct pb b;
    struct at t;
    struct packet p;
    build_vxlan(&b, &t);
    decode_full(&p, &b, "eth/ipv4/udp/vxlan/eth/ipv4/tcp");
    assert_no_anomalies(&p);
    check_vxlan(&p.layers[3]);
    assert_int_equal(p.layers[3].offset, 14 + 20 + 8);
    assert_int_equal(p.ntunnels, 1);
    for (int i = 0; i < p.nlayers; i++)
        assert_int_equal(p.layers[i].tunnel, i >= 4 ? 1 : 0);
}

static void test_vxlan_bad_flags(void **state)
{
    (void)state;
    static struct pb b;
    struct at t;
    struct packet p;
    build_vxlan(&b, &t);
    ((uint8_t *)t.p)[0] = 0x80; /* a reserved bit instead of I */
    int i = run(&p, decode_vxlan, t.p, t.len, UDP_ENCL((uint32_t)t.len));
    assert_int_equal(p.anomalies, AN(AN_BAD_VXLAN));
    assert_true(p.layers[i].flags & LF_MALFORMED);
    assert_int_equal(p.layers[i].u.vxlan.vni, 0x123456);
    assert_no_inner(&p, i);
}

static void test_vxlan_truncated(void **state)
{
    (void)state;
    static struct pb b;
    struct at t;
    build_vxlan(&b, &t);
    sweep_header(decode_vxlan, t.p, 8, t.len, LAYER_VXLAN, always_short);
}

static void test_vxlan_in_vxlan_in_vxlan(void **state)
{
    (void)state;
    static struct pb b;
    struct packet p;
    pb_init(&b);
    inner_eth_tcp(&b);
    for (uint32_t vni = 3; vni >= 1; vni--) {
        pb_vxlan(&b, vni);
        outer_udp(&b, 4789, NULL);
    }
    decode_full(&p, &b, "eth/ipv4/udp/vxlan/eth/ipv4/udp/vxlan/eth/ipv4/udp/vxlan/eth/ipv4/tcp");
    assert_no_anomalies(&p);
    assert_int_equal(p.ntunnels, 3);
    /* eth/ipv4/udp/vxlan repeats, one tunnel deeper each time */
    for (int i = 0, n = 0; i < p.nlayers; i++) {
        if (p.layers[i].type == LAYER_VXLAN)
            assert_int_equal(p.layers[i].u.vxlan.vni, (uint32_t)++n);
        assert_int_equal(p.layers[i].tunnel, i / 4);
    }
    assert_int_equal(p.layers[p.nlayers - 1].tunnel, 3);
}

static void test_vxlan_nested_fields(void **state)
{
    (void)state;
    /* VXLAN/Ethernet directly: this module's part of VXLAN-in-VXLAN */
    static struct pb b;
    struct packet p;
    pb_init(&b);
    inner_eth_tcp(&b);
    pb_vxlan(&b, 2);
    struct at t = mark(&b);
    int i = run_full(&p, decode_vxlan, t.p, t.len, t.len, UDP_ENCL((uint32_t)t.len), 2, 0);
    assert_int_equal(p.layers[i].tunnel, 2);
    assert_inner(&p, i, LAYER_ETH, 8);
    assert_int_equal(p.layers[i + 1].tunnel, 3);
}

/* ================= GRE ================= */

static void build_gre_ksc(struct pb *b, struct at *t)
{
    pb_init(b);
    inner_ipv4_tcp(b);
    pb_gre(b, 0xb000, ETH_TYPE_IP, 0xdeadbeef, 77); /* C K S */
    outer_gre(b, t);
}

static void check_gre_ksc(const struct layer *l)
{
    assert_int_equal(l->type, LAYER_GRE);
    assert_int_equal(l->u.gre.version, 0);
    assert_int_equal(l->u.gre.proto, ETH_TYPE_IP);
    assert_int_equal(l->u.gre.flags, GREF_CSUM | GREF_KEY | GREF_SEQ);
    assert_int_equal(l->u.gre.hdr_len, 16);
    assert_int_equal(l->u.gre.key, 0xdeadbeef);
    assert_int_equal(l->u.gre.seq, 77);
    assert_int_equal(l->u.gre.erspan, 0);
    assert_int_equal(l->flags, 0);
}

static void test_gre_key_seq_csum_fields(void **state)
{
    (void)state;
    static struct pb b;
    struct at t;
    struct packet p;
    build_gre_ksc(&b, &t);
    int i = run(&p, decode_gre, t.p, t.len, IP_ENCL((uint32_t)t.len));
    check_gre_ksc(&p.layers[i]);
    assert_inner(&p, i, LAYER_IPV4, 16);
    assert_no_anomalies(&p);
}

static void test_gre_key_seq_csum_stack(void **state)
{
    (void)state;
    static struct pb b;
    struct at t;
    struct packet p;
    build_gre_ksc(&b, &t);
    decode_full(&p, &b, "eth/ipv4/gre/ipv4/tcp");
    assert_no_anomalies(&p);
    check_gre_ksc(&p.layers[2]);
    assert_int_equal(p.layers[3].tunnel, 1);
    assert_int_equal(p.layers[3].offset, 14 + 20 + 16);
}

static void test_gre_plain_and_ipv6(void **state)
{
    (void)state;
    static struct pb b;
    struct packet p;
    pb_init(&b);
    inner_ipv6_tcp(&b);
    pb_gre(&b, 0, ETH_TYPE_IPV6, 0, 0);
    struct at t;
    outer_gre(&b, &t);
    int i = run(&p, decode_gre, t.p, t.len, IP_ENCL((uint32_t)t.len));
    assert_int_equal(p.layers[i].u.gre.hdr_len, 4);
    assert_int_equal(p.layers[i].u.gre.flags, 0);
    assert_int_equal(p.layers[i].u.gre.proto, ETH_TYPE_IPV6);
    assert_inner(&p, i, LAYER_IPV6, 4);
    assert_no_anomalies(&p);
}

static void test_gre_ipv6_stack(void **state)
{
    (void)state;
    static struct pb b;
    struct packet p;
    pb_init(&b);
    inner_ipv6_tcp(&b);
    pb_gre(&b, 0, ETH_TYPE_IPV6, 0, 0);
    outer_gre(&b, NULL);
    decode_full(&p, &b, "eth/ipv4/gre/ipv6/tcp");
    assert_no_anomalies(&p);
}

static void build_gre_teb(struct pb *b, struct at *t)
{
    pb_init(b);
    inner_eth_tcp(b);
    pb_gre(b, 0x2000, 0x6558, 1001, 0);
    outer_gre(b, t);
}

static void test_gre_teb(void **state)
{
    (void)state;
    static struct pb b;
    struct at t;
    struct packet p;
    build_gre_teb(&b, &t);
    int i = run(&p, decode_gre, t.p, t.len, IP_ENCL((uint32_t)t.len));
    assert_int_equal(p.layers[i].u.gre.proto, 0x6558);
    assert_int_equal(p.layers[i].u.gre.flags, GREF_KEY);
    assert_int_equal(p.layers[i].u.gre.key, 1001);
    assert_int_equal(p.layers[i].u.gre.hdr_len, 8);
    assert_inner(&p, i, LAYER_ETH, 8);
    assert_no_anomalies(&p);
}

static void test_gre_teb_stack(void **state)
{
    (void)state;
    static struct pb b;
    struct at t;
    struct packet p;
    build_gre_teb(&b, &t);
    decode_full(&p, &b, "eth/ipv4/gre/eth/ipv4/tcp");
    assert_no_anomalies(&p);
}

static void test_gre_bad(void **state)
{
    (void)state;
    static const struct {
        uint16_t flags;
        const char *why;
    } bad[] = {
        {0x4000, "R: routing present"},
        {0x0800, "s: strict source route"},
        {0x0002, "version 2"},
        {0x0007, "version 7"},
    };
    static struct pb b;
    struct packet p;
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        pb_init(&b);
        inner_ipv4_tcp(&b);
        pb_gre(&b, bad[k].flags, ETH_TYPE_IP, 0, 0);
        struct at t = mark(&b);
        int i = run(&p, decode_gre, t.p, t.len, IP_ENCL((uint32_t)t.len));
        if (p.anomalies != AN(AN_BAD_GRE))
            print_error("%s not flagged\n", bad[k].why);
        assert_int_equal(p.anomalies, AN(AN_BAD_GRE));
        assert_true(p.layers[i].flags & LF_MALFORMED);
        assert_int_equal(p.layers[i].u.gre.version, bad[k].flags & 7);
        assert_no_inner(&p, i);
    }
}

static void test_gre_truncated(void **state)
{
    (void)state;
    static struct pb b;
    struct at t;
    build_gre_ksc(&b, &t);
    sweep_header(decode_gre, t.p, 16, t.len, LAYER_GRE, always_short);
}

/* ---- PPTP (GRE version 1, RFC 2637) ---- */

static void pb_pptp(struct pb *b, bool s, bool a, uint16_t call, uint32_t seq, uint32_t ack)
{
    uint16_t plen = (uint16_t)pb_len(b);
    if (a)
        pb_put_be32(b, ack);
    if (s)
        pb_put_be32(b, seq);
    pb_put_be16(b, call);
    pb_put_be16(b, plen);
    pb_put_be16(b, 0x880b);
    pb_put_be16(b, (uint16_t)(0x2001 | (s ? 0x1000 : 0) | (a ? 0x0080 : 0)));
}

static void build_pptp(struct pb *b, struct at *t, size_t *ppp_len)
{
    pb_init(b);
    inner_ppp_ipv4_tcp(b);
    *ppp_len = pb_len(b);
    pb_pptp(b, true, true, 0x4321, 5, 4);
    outer_gre(b, t);
}

static void test_pptp_fields(void **state)
{
    (void)state;
    static struct pb b;
    struct at t;
    size_t plen;
    struct packet p;
    build_pptp(&b, &t, &plen);
    int i = run(&p, decode_gre, t.p, t.len, IP_ENCL((uint32_t)t.len));
    const struct gre_info *g = &p.layers[i].u.gre;
    assert_int_equal(g->version, 1);
    assert_int_equal(g->proto, 0x880b);
    assert_int_equal(g->flags, GREF_KEY | GREF_SEQ | GREF_ACK);
    assert_int_equal(g->hdr_len, 16);
    assert_int_equal(g->key, (uint32_t)plen << 16 | 0x4321);
    assert_int_equal(g->seq, 5);
    assert_int_equal(g->ack, 4);
    assert_inner(&p, i, LAYER_PPP, 16);
    assert_no_anomalies(&p);
}

static void test_pptp_stack(void **state)
{
    (void)state;
    static struct pb b;
    struct at t;
    size_t plen;
    struct packet p;
    build_pptp(&b, &t, &plen);
    decode_full(&p, &b, "eth/ipv4/gre/ppp/ipv4/tcp");
    assert_no_anomalies(&p);
    assert_int_equal(p.layers[2].u.gre.version, 1);
}

static void test_pptp_ack_only(void **state)
{
    (void)state;
    static struct pb b;
    struct packet p;
    pb_init(&b);
    pb_pptp(&b, false, true, 7, 0, 99);
    struct at t = mark(&b);
    int i = run(&p, decode_gre, t.p, t.len, IP_ENCL((uint32_t)t.len));
    assert_int_equal(p.layers[i].u.gre.hdr_len, 12);
    assert_int_equal(p.layers[i].u.gre.flags, GREF_KEY | GREF_ACK);
    assert_int_equal(p.layers[i].u.gre.ack, 99);
    assert_int_equal(p.layers[i].u.gre.key, 7);
    assert_no_inner(&p, i);
    assert_no_anomalies(&p);
}

static void test_pptp_bad(void **state)
{
    (void)state;
    static struct pb b;
    struct at t;
    size_t plen;
    struct packet p;
    int i;

    build_pptp(&b, &t, &plen);
    uint8_t *h = (uint8_t *)t.p;
    h[0] &= (uint8_t)~0x20; /* no key */
    i = run(&p, decode_gre, t.p, t.len, IP_ENCL((uint32_t)t.len));
    assert_int_equal(p.anomalies, AN(AN_BAD_GRE));
    assert_no_inner(&p, i);

    build_pptp(&b, &t, &plen);
    h = (uint8_t *)t.p;
    h[0] |= 0x80; /* checksum: RFC 2637 says never */
    i = run(&p, decode_gre, t.p, t.len, IP_ENCL((uint32_t)t.len));
    assert_int_equal(p.anomalies, AN(AN_BAD_GRE));
    assert_no_inner(&p, i);

    build_pptp(&b, &t, &plen);
    h = (uint8_t *)t.p;
    pb_be16(h + 2, 0x0800); /* not PPP */
    i = run(&p, decode_gre, t.p, t.len, IP_ENCL((uint32_t)t.len));
    assert_int_equal(p.anomalies, AN(AN_BAD_GRE));
    assert_no_inner(&p, i);

    /* the key's payload length is one byte more than the IP packet holds */
    build_pptp(&b, &t, &plen);
    h = (uint8_t *)t.p;
    pb_be16(h + 4, (uint16_t)(plen + 1));
    i = run(&p, decode_gre, t.p, t.len, IP_ENCL((uint32_t)t.len));
    assert_int_equal(p.anomalies, AN(AN_BAD_GRE));
    assert_true(p.layers[i].flags & LF_MALFORMED);
    assert_no_inner(&p, i);

    /* the same bytes with no IP layer in front: only the cursor bounds it */
    i = run(&p, decode_gre, t.p, t.len, NO_ENCL);
    assert_int_equal(p.anomalies, AN(AN_BAD_GRE));
}

static void test_pptp_payload_snapped(void **state)
{
    (void)state;
    static struct pb b;
    struct at t;
    size_t plen;
    struct packet p;
    build_pptp(&b, &t, &plen);
    /* snap length cut 10 bytes into the PPP frame: GRE flagged, PPP still decoded */
    int i = run_full(&p, decode_gre, t.p, 16 + 10, t.len, IP_ENCL((uint32_t)t.len), 0, 0);
    assert_true(p.layers[i].flags & LF_TRUNCATED);
    assert_true(p.anomalies & AN(AN_TRUNCATED));
    assert_int_equal(p.anomalies & ~AN(AN_TRUNCATED), 0);
    assert_inner(&p, i, LAYER_PPP, 16);
}

/* ---- ERSPAN ---- */

static void build_erspan(struct pb *b, struct at *t, int type, bool o_bit)
{
    pb_init(b);
    inner_eth_tcp(b);
    if (type == 2) {
        uint8_t *h = pb_prepend(b, 8);
        pb_be16(h, 0x1000 | 10);     /* ver 1, vlan 10 */
        pb_be16(h + 2, 0x0000 | 55); /* session 55 */
        pb_be32(h + 4, 0x00000123);  /* index */
        pb_gre(b, 0x1000, 0x88be, 0, 9);
    } else if (type == 3) {
        if (o_bit)
            memset(pb_prepend(b, 8), 0xaa, 8); /* platform-specific subheader */
        uint8_t *h = pb_prepend(b, 12);
        pb_be16(h, 0x2000 | 10); /* ver 2 */
        pb_be16(h + 2, 55);
        pb_be32(h + 4, 0x11223344); /* timestamp */
        pb_be16(h + 8, 0x0000);     /* SGT */
        h[10] = 0x00;               /* P, FT 0 (Ethernet), HwID */
        h[11] = o_bit ? 0x01 : 0x00;
        pb_gre(b, 0x1000, 0x22eb, 0, 9);
    } else {
        pb_gre(b, 0x0000, 0x88be, 0, 0); /* type I: no sequence, no header */
    }
    outer_gre(b, t);
}

static void test_erspan(void **state)
{
    (void)state;
    static const struct {
        int type;
        bool o;
        uint32_t inner_off;
    } cases[] = {{1, false, 4}, {2, false, 8 + 8}, {3, false, 8 + 12}, {3, true, 8 + 12 + 8}};
    static struct pb b;
    struct at t;
    struct packet p;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        build_erspan(&b, &t, cases[k].type, cases[k].o);
        int i = run(&p, decode_gre, t.p, t.len, IP_ENCL((uint32_t)t.len));
        assert_int_equal(p.layers[i].u.gre.erspan, cases[k].type);
        assert_int_equal(p.layers[i].u.gre.hdr_len, cases[k].type == 1 ? 4 : 8);
        assert_inner(&p, i, LAYER_ETH, cases[k].inner_off);
        assert_no_anomalies(&p);
    }
}

static void test_erspan_stack(void **state)
{
    (void)state;
    static struct pb b;
    struct at t;
    struct packet p;
    for (int type = 1; type <= 3; type++) {
        build_erspan(&b, &t, type, type == 3);
        decode_full(&p, &b, "eth/ipv4/gre/eth/ipv4/tcp");
        assert_no_anomalies(&p);
        assert_int_equal(p.layers[2].u.gre.erspan, type);
    }
}

static void test_erspan_bad_and_other_frames(void **state)
{
    (void)state;
    static struct pb b;
    struct at t;
    struct packet p;
    int i;

    build_erspan(&b, &t, 2, false);
    ((uint8_t *)t.p)[8] = 0x20; /* ERSPAN version 2 under the type II protocol */
    i = run(&p, decode_gre, t.p, t.len, IP_ENCL((uint32_t)t.len));
    assert_int_equal(p.anomalies, AN(AN_BAD_GRE));
    assert_no_inner(&p, i);

    build_erspan(&b, &t, 3, false);
    ((uint8_t *)t.p)[8] = 0x10; /* version 1 under type III */
    i = run(&p, decode_gre, t.p, t.len, IP_ENCL((uint32_t)t.len));
    assert_int_equal(p.anomalies, AN(AN_BAD_GRE));
    assert_no_inner(&p, i);

    build_erspan(&b, &t, 3, false);
    ((uint8_t *)t.p)[8 + 10] = 2 << 2; /* frame type 2: not Ethernet, not followed */
    i = run(&p, decode_gre, t.p, t.len, IP_ENCL((uint32_t)t.len));
    assert_no_anomalies(&p);
    assert_no_inner(&p, i);

    /* type III with the O bit, cut inside the platform subheader */
    build_erspan(&b, &t, 3, true);
    i = run_full(&p, decode_gre, t.p, 8 + 12 + 4, t.len, NO_ENCL, 0, 0);
    assert_int_equal(p.anomalies, AN(AN_TRUNCATED));
    assert_true(p.layers[i].flags & LF_TRUNCATED);
    assert_no_inner(&p, i);
}

/* ================= GENEVE ================= */

static void build_geneve(struct pb *b, struct at *t, uint16_t proto, uint8_t flags)
{
    pb_init(b);
    if (proto == 0x6558)
        inner_eth_tcp(b);
    else
        inner_ipv4_tcp(b);
    uint8_t *opt = pb_prepend(b, 8); /* one option: class 0x0102, type 0x80, 4 bytes */
    pb_be16(opt, 0x0102);
    opt[2] = 0x80;
    opt[3] = 1;
    pb_be32(opt + 4, 0xcafef00d);
    uint8_t *h = pb_prepend(b, 8);
    h[0] = 8 / 4; /* version 0, option length in words */
    h[1] = flags;
    pb_be16(h + 2, proto);
    pb_be32(h + 4, 0xabcdefu << 8);
    outer_udp(b, 6081, t);
}

static void test_geneve_fields(void **state)
{
    (void)state;
    static struct pb b;
    struct at t;
    struct packet p;
    build_geneve(&b, &t, 0x6558, 0x40);
    int i = run(&p, decode_geneve, t.p, t.len, UDP_ENCL((uint32_t)t.len));
    const struct geneve_info *g = &p.layers[i].u.geneve;
    assert_int_equal(g->vni, 0xabcdef);
    assert_int_equal(g->proto, 0x6558);
    assert_int_equal(g->opt_len, 8);
    assert_int_equal(g->flags, 0x40);
    assert_inner(&p, i, LAYER_ETH, 16);
    assert_no_anomalies(&p);

    build_geneve(&b, &t, ETH_TYPE_IP, 0x80);
    i = run(&p, decode_geneve, t.p, t.len, UDP_ENCL((uint32_t)t.len));
    assert_int_equal(p.layers[i].u.geneve.flags, 0x80);
    assert_inner(&p, i, LAYER_IPV4, 16);
    assert_no_anomalies(&p);
}

static void test_geneve_stack(void **state)
{
    (void)state;
    static struct pb b;
    struct at t;
    struct packet p;
    build_geneve(&b, &t, 0x6558, 0);
    decode_full(&p, &b, "eth/ipv4/udp/geneve/eth/ipv4/tcp");
    assert_no_anomalies(&p);
    assert_int_equal(p.layers[3].u.geneve.opt_len, 8);
    build_geneve(&b, &t, ETH_TYPE_IP, 0);
    decode_full(&p, &b, "eth/ipv4/udp/geneve/ipv4/tcp");
    assert_no_anomalies(&p);
}

static void test_geneve_bad_version(void **state)
{
    (void)state;
    static struct pb b;
    struct at t;
    struct packet p;
    build_geneve(&b, &t, 0x6558, 0);
    ((uint8_t *)t.p)[0] |= 0x40; /* version 1 */
    int i = run(&p, decode_geneve, t.p, t.len, UDP_ENCL((uint32_t)t.len));
    assert_int_equal(p.anomalies, AN(AN_BAD_GENEVE));
    assert_true(p.layers[i].flags & LF_MALFORMED);
    assert_no_inner(&p, i);
}

static void test_geneve_truncated(void **state)
{
    (void)state;
    static struct pb b;
    struct at t;
    build_geneve(&b, &t, 0x6558, 0);
    sweep_header(decode_geneve, t.p, 16, t.len, LAYER_GENEVE, always_short);
}

/* ================= GTP-U ================= */

/* G-PDU with E set: seq 0x0102, N-PDU 0, next type 0x85 (PDU session
 * container, one 4-byte unit), then IPv4/TCP. */
static void build_gtpu_ext(struct pb *b, struct at *t)
{
    pb_init(b);
    inner_ipv4_tcp(b);
    uint8_t *e = pb_prepend(b, 4);
    e[0] = 1;    /* length: 1 unit of 4 bytes */
    e[1] = 0x10; /* PDU type 1, ... */
    e[2] = 0x09; /* QFI 9 */
    e[3] = 0;    /* no next extension */
    uint16_t len = (uint16_t)(pb_len(b) + 4);
    uint8_t *h = pb_prepend(b, 12);
    h[0] = 0x34; /* version 1, PT 1, E */
    h[1] = 255;
    pb_be16(h + 2, len);
    pb_be32(h + 4, 0x0badcafe);
    pb_be16(h + 8, 0x0102);
    h[10] = 0;
    h[11] = 0x85;
    outer_udp(b, 2152, t);
}

static void check_gtpu_ext(const struct layer *l, size_t len)
{
    const struct gtpu_info *g = &l->u.gtpu;
    assert_int_equal(l->type, LAYER_GTPU);
    assert_int_equal(g->flags, 0x34);
    assert_int_equal(g->msg_type, 255);
    assert_int_equal(g->length, len - 8);
    assert_int_equal(g->teid, 0x0badcafe);
    assert_int_equal(g->seq, 0x0102);
    assert_int_equal(g->n_ext, 1);
    assert_int_equal(g->hdr_len, 16);
    assert_int_equal(l->flags, 0);
}

static void test_gtpu_ext_fields(void **state)
{
    (void)state;
    static struct pb b;
    struct at t;
    struct packet p;
    build_gtpu_ext(&b, &t);
    int i = run(&p, decode_gtpu, t.p, t.len, UDP_ENCL((uint32_t)t.len));
    check_gtpu_ext(&p.layers[i], t.len);
    assert_inner(&p, i, LAYER_IPV4, 16);
    assert_no_anomalies(&p);
}

static void test_gtpu_ext_stack(void **state)
{
    (void)state;
    static struct pb b;
    struct at t;
    struct packet p;
    build_gtpu_ext(&b, &t);
    decode_full(&p, &b, "eth/ipv4/udp/gtpu/ipv4/tcp");
    assert_no_anomalies(&p);
    check_gtpu_ext(&p.layers[3], t.len);
}

/* A plain G-PDU, and one with two extension headers (2 units, then 1). */
static void test_gtpu_variants(void **state)
{
    (void)state;
    static struct pb b;
    struct packet p;
    pb_init(&b);
    inner_ipv6_tcp(&b);
    uint8_t *h = pb_prepend(&b, 8);
    h[0] = 0x30;
    h[1] = 255;
    pb_be16(h + 2, (uint16_t)(pb_len(&b) - 8));
    pb_be32(h + 4, 1);
    struct at t = mark(&b);
    int i = run(&p, decode_gtpu, t.p, t.len, UDP_ENCL((uint32_t)t.len));
    assert_int_equal(p.layers[i].u.gtpu.hdr_len, 8);
    assert_int_equal(p.layers[i].u.gtpu.n_ext, 0);
    assert_inner(&p, i, LAYER_IPV6, 8);
    assert_no_anomalies(&p);

    pb_init(&b);
    inner_ipv4_tcp(&b);
    static const uint8_t ext[] = {2, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x40, /* next 0x40 */
                                  1, 0x12, 0x34, 0x00};
    pb_prepend_bytes(&b, ext, sizeof ext);
    h = pb_prepend(&b, 12);
    h[0] = 0x36; /* E and S */
    h[1] = 255;
    pb_be16(h + 2, (uint16_t)(pb_len(&b) - 8));
    pb_be32(h + 4, 2);
    pb_be16(h + 8, 9);
    h[11] = 0x20;
    t = mark(&b);
    i = run(&p, decode_gtpu, t.p, t.len, UDP_ENCL((uint32_t)t.len));
    assert_int_equal(p.layers[i].u.gtpu.hdr_len, 24);
    assert_int_equal(p.layers[i].u.gtpu.n_ext, 2);
    assert_int_equal(p.layers[i].u.gtpu.seq, 9);
    assert_inner(&p, i, LAYER_IPV4, 24);
    assert_no_anomalies(&p);

    /* S alone: the next-type byte is present but not to be read */
    h[0] = 0x32;
    memmove(h + 12, h + 24, t.len - 24);
    pb_be16(h + 2, (uint16_t)(t.len - 12 - 8));
    i = run(&p, decode_gtpu, t.p, t.len - 12, UDP_ENCL((uint32_t)t.len - 12));
    assert_int_equal(p.layers[i].u.gtpu.hdr_len, 12);
    assert_int_equal(p.layers[i].u.gtpu.n_ext, 0);
    assert_inner(&p, i, LAYER_IPV4, 12);
    assert_no_anomalies(&p);

    /* echo request: header only, nothing follows */
    static const uint8_t echo[] = {0x32, 1, 0, 4, 0, 0, 0, 0, 0, 7, 0, 0};
    i = run(&p, decode_gtpu, echo, sizeof echo, UDP_ENCL(sizeof echo));
    assert_int_equal(p.layers[i].u.gtpu.msg_type, 1);
    assert_int_equal(p.layers[i].u.gtpu.seq, 7);
    assert_no_inner(&p, i);
    assert_no_anomalies(&p);
}

static void expect_bad_gtpu(const uint8_t *buf, size_t len, struct encl e)
{
    struct packet p;
    int i = run(&p, decode_gtpu, buf, len, e);
    assert_int_equal(p.anomalies, AN(AN_BAD_GTPU));
    assert_true(p.layers[i].flags & LF_MALFORMED);
    assert_no_inner(&p, i);
}

static void test_gtpu_bad(void **state)
{
    (void)state;
    static struct pb b;
    struct at t;
    uint8_t *h;

    build_gtpu_ext(&b, &t);
    h = (uint8_t *)t.p;
    h[0] = 0x54; /* version 2 */
    expect_bad_gtpu(t.p, t.len, UDP_ENCL((uint32_t)t.len));
    h[0] = 0x24; /* PT 0: GTP' */
    expect_bad_gtpu(t.p, t.len, UDP_ENCL((uint32_t)t.len));

    build_gtpu_ext(&b, &t);
    ((uint8_t *)t.p)[12] = 0; /* extension length 0 */
    expect_bad_gtpu(t.p, t.len, UDP_ENCL((uint32_t)t.len));

    build_gtpu_ext(&b, &t);
    ((uint8_t *)t.p)[12] = 200; /* extension runs past the GTP length */
    expect_bad_gtpu(t.p, t.len, UDP_ENCL((uint32_t)t.len));

    /* length one byte longer than the UDP payload */
    build_gtpu_ext(&b, &t);
    pb_be16((uint8_t *)t.p + 2, (uint16_t)(t.len - 8 + 1));
    expect_bad_gtpu(t.p, t.len, UDP_ENCL((uint32_t)t.len));
    expect_bad_gtpu(t.p, t.len, NO_ENCL); /* whole frame captured: the cursor is the bound */

    /* an empty G-PDU */
    static const uint8_t empty[] = {0x30, 255, 0, 0, 0, 0, 0, 1};
    expect_bad_gtpu(empty, sizeof empty, UDP_ENCL(sizeof empty));

    /* 17 chained extension headers of 4 bytes */
    static uint8_t chain[12 + 17 * 4];
    memset(chain, 0, sizeof chain);
    chain[0] = 0x34;
    chain[1] = 255;
    pb_be16(chain + 2, sizeof chain - 8);
    chain[11] = 0x40;
    for (int k = 0; k < 17; k++) {
        chain[12 + 4 * k] = 1;
        chain[12 + 4 * k + 3] = 0x40;
    }
    expect_bad_gtpu(chain, sizeof chain, UDP_ENCL(sizeof chain));
    chain[12 + 15 * 4 + 3] = 0; /* 16 are fine */
    struct packet p;
    int i = run(&p, decode_gtpu, chain, sizeof chain, UDP_ENCL(sizeof chain));
    assert_int_equal(p.layers[i].u.gtpu.n_ext, 16);
    assert_int_equal(p.layers[i].u.gtpu.hdr_len, 12 + 64);
    /* what follows (01 00 00 40, the 17th header) is no IP packet */
    assert_int_equal(p.anomalies, AN(AN_BAD_IP_VERSION));
}

static void test_gtpu_payload_snapped(void **state)
{
    (void)state;
    static struct pb b;
    struct at t;
    struct packet p;
    build_gtpu_ext(&b, &t);
    int i = run_full(&p, decode_gtpu, t.p, 16 + 6, t.len, UDP_ENCL((uint32_t)t.len), 0, 0);
    assert_int_equal(p.layers[i].u.gtpu.teid, 0x0badcafe);
    assert_int_equal(p.layers[i].u.gtpu.hdr_len, 16);
    assert_true(p.layers[i].flags & LF_TRUNCATED);
    assert_int_equal(p.anomalies & ~AN(AN_TRUNCATED), 0);
    assert_inner(&p, i, LAYER_IPV4, 16);
}

static enum anomaly gtpu_short(size_t caplen)
{
    /* 8 bytes in, the length field claims more than the frame holds */
    return caplen < 8 ? AN_SHORT_FRAME : AN_BAD_GTPU;
}

static void test_gtpu_truncated(void **state)
{
    (void)state;
    static struct pb b;
    struct at t;
    build_gtpu_ext(&b, &t);
    sweep_header(decode_gtpu, t.p, 16, t.len, LAYER_GTPU, gtpu_short);
}

/* ================= L2TPv2 ================= */

/* Data message with L, S and O (2 bytes of offset padding), PPP, IPv4/TCP. */
static void build_l2tp(struct pb *b, struct at *t)
{
    pb_init(b);
    inner_ppp_ipv4_tcp(b);
    uint8_t *h = pb_prepend(b, 16);
    uint16_t len = (uint16_t)pb_len(b);
    pb_be16(h, 0x4a02); /* L S O, version 2 */
    pb_be16(h + 2, len);
    pb_be16(h + 4, 11); /* tunnel */
    pb_be16(h + 6, 22); /* session */
    pb_be16(h + 8, 3);  /* Ns */
    pb_be16(h + 10, 4); /* Nr */
    pb_be16(h + 12, 2); /* offset size */
    h[14] = h[15] = 0xee;
    outer_udp(b, 1701, t);
}

static void check_l2tp(const struct layer *l, size_t len)
{
    const struct l2tp_info *t = &l->u.l2tp;
    assert_int_equal(l->type, LAYER_L2TP);
    assert_int_equal(t->flags, 0x4a02);
    assert_int_equal(t->version, 2);
    assert_int_equal(t->length, len);
    assert_int_equal(t->tunnel, 11);
    assert_int_equal(t->session, 22);
    assert_int_equal(t->ns, 3);
    assert_int_equal(t->nr, 4);
    assert_int_equal(t->hdr_len, 16);
    assert_int_equal(l->flags, 0);
}

static void test_l2tp_fields(void **state)
{
    (void)state;
    static struct pb b;
    struct at t;
    struct packet p;
    build_l2tp(&b, &t);
    int i = run(&p, decode_l2tp, t.p, t.len, UDP_ENCL((uint32_t)t.len));
    check_l2tp(&p.layers[i], t.len);
    assert_inner(&p, i, LAYER_PPP, 16);
    assert_no_anomalies(&p);
}

static void test_l2tp_stack(void **state)
{
    (void)state;
    static struct pb b;
    struct at t;
    struct packet p;
    build_l2tp(&b, &t);
    decode_full(&p, &b, "eth/ipv4/udp/l2tp/ppp/ipv4/tcp");
    assert_no_anomalies(&p);
    check_l2tp(&p.layers[3], t.len);
}

static void test_l2tp_minimal_control_v3(void **state)
{
    (void)state;
    struct packet p;
    int i;
    /* data, no optional fields: PPP right after tunnel and session */
    static const uint8_t data[] = {0x00, 0x02, 0, 5, 0, 6, 0xff, 0x03, 0x00, 0x21, 0x45};
    i = run_full(&p, decode_l2tp, data, sizeof data, 200, UDP_ENCL(200), 0, 0);
    assert_int_equal(p.layers[i].u.l2tp.tunnel, 5);
    assert_int_equal(p.layers[i].u.l2tp.session, 6);
    assert_int_equal(p.layers[i].u.l2tp.hdr_len, 6);
    assert_inner(&p, i, LAYER_PPP, 6);
    assert_false(p.layers[i].flags & (LF_TRUNCATED | LF_MALFORMED));

    /* control message (SCCRQ-like): the layer only */
    static const uint8_t ctl[] = {0xc8, 0x02, 0,    20,   0, 0, 0, 0, 0, 0,
                                  0,    0,    0x80, 0x08, 0, 0, 0, 0, 0, 1};
    i = run(&p, decode_l2tp, ctl, sizeof ctl, UDP_ENCL(sizeof ctl));
    assert_int_equal(p.layers[i].u.l2tp.flags, 0xc802);
    assert_int_equal(p.layers[i].u.l2tp.length, 20);
    assert_int_equal(p.layers[i].u.l2tp.hdr_len, 12);
    assert_no_inner(&p, i);
    assert_no_anomalies(&p);

    /* L2TPv3 over UDP: recognised, not followed, not an anomaly */
    static const uint8_t v3[] = {0xc8, 0x03, 0, 12, 0, 0, 0, 1, 0, 0, 0, 0};
    i = run(&p, decode_l2tp, v3, sizeof v3, UDP_ENCL(sizeof v3));
    assert_int_equal(p.layers[i].u.l2tp.version, 3);
    assert_no_inner(&p, i);
    assert_no_anomalies(&p);
}

static void expect_bad_l2tp(const uint8_t *buf, size_t len, struct encl e)
{
    struct packet p;
    int i = run(&p, decode_l2tp, buf, len, e);
    assert_int_equal(p.anomalies, AN(AN_BAD_L2TP));
    assert_true(p.layers[i].flags & LF_MALFORMED);
    assert_no_inner(&p, i);
}

static void test_l2tp_bad(void **state)
{
    (void)state;
    static struct pb b;
    struct at t;
    uint8_t *h;

    static const uint8_t v1[] = {0x00, 0x01, 0, 5, 0, 6, 0xff, 0x03};
    expect_bad_l2tp(v1, sizeof v1, UDP_ENCL(sizeof v1));
    static const uint8_t ctl_no_len[] = {0x88, 0x02, 0, 0, 0, 0, 0, 0, 0, 0};
    expect_bad_l2tp(ctl_no_len, sizeof ctl_no_len, UDP_ENCL(sizeof ctl_no_len));
    static const uint8_t ctl_offset[] = {0xca, 0x02, 0, 14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    expect_bad_l2tp(ctl_offset, sizeof ctl_offset, UDP_ENCL(sizeof ctl_offset));

    build_l2tp(&b, &t);
    h = (uint8_t *)t.p;
    pb_be16(h + 2, 11); /* shorter than its own header */
    expect_bad_l2tp(t.p, t.len, UDP_ENCL((uint32_t)t.len));

    build_l2tp(&b, &t);
    h = (uint8_t *)t.p;
    pb_be16(h + 2, (uint16_t)(t.len + 1)); /* longer than the UDP payload */
    expect_bad_l2tp(t.p, t.len, UDP_ENCL((uint32_t)t.len));

    build_l2tp(&b, &t);
    h = (uint8_t *)t.p;
    pb_be16(h + 2, 15); /* length ends inside the offset padding */
    expect_bad_l2tp(t.p, t.len, UDP_ENCL((uint32_t)t.len));
}

static enum anomaly l2tp_short(size_t caplen)
{
    /* from 12 bytes on the header's length field claims more than the frame */
    return caplen < 12 ? AN_SHORT_FRAME : AN_BAD_L2TP;
}

static void test_l2tp_truncated(void **state)
{
    (void)state;
    static struct pb b;
    struct at t;
    build_l2tp(&b, &t);
    sweep_header(decode_l2tp, t.p, 16, t.len, LAYER_L2TP, l2tp_short);

    /* cut inside the PPP frame: L2TP flagged, PPP decoded as far as it goes */
    struct packet p;
    int i = run_full(&p, decode_l2tp, t.p, 20, t.len, UDP_ENCL((uint32_t)t.len), 0, 0);
    assert_true(p.layers[i].flags & LF_TRUNCATED);
    assert_int_equal(p.anomalies & ~AN(AN_TRUNCATED), 0);
    assert_inner(&p, i, LAYER_PPP, 16);
}

/* ================= Teredo ================= */

/* IPv6/TCP behind an optional authentication indicator (2-byte client id,
 * 3-byte value) and an origin indicator (port 3544 ^ ffff, 192.0.2.45 ^ ff..) */
static size_t build_teredo(struct pb *b, struct at *t, bool auth, bool origin)
{
    pb_init(b);
    inner_ipv6_tcp(b);
    size_t hdr = 0;
    if (origin) {
        static const uint8_t o[] = {0x00, 0x00, 0xf2, 0x27, 0x3f, 0xff, 0xfd, 0xd2};
        pb_prepend_bytes(b, o, sizeof o);
        hdr += sizeof o;
    }
    if (auth) {
        static const uint8_t a[] = {0x00, 0x01, 2, 3, 'i', 'd', 'v', 'a', 'l',
                                    1,    2,    3, 4, 5,   6,   7,   8,   0};
        pb_prepend_bytes(b, a, sizeof a);
        hdr += sizeof a;
    }
    outer_udp(b, 3544, t);
    return hdr;
}

static void test_teredo_fields(void **state)
{
    (void)state;
    static struct pb b;
    struct at t;
    struct packet p;
    for (int k = 0; k < 4; k++) {
        bool auth = k & 1, origin = k & 2;
        size_t hdr = build_teredo(&b, &t, auth, origin);
        int i = run(&p, decode_teredo, t.p, t.len, UDP_ENCL((uint32_t)t.len));
        const struct teredo_info *te = &p.layers[i].u.teredo;
        assert_int_equal(te->hdr_len, hdr);
        assert_int_equal(te->indicators, (auth ? TEREDO_AUTH : 0) | (origin ? TEREDO_ORIGIN : 0));
        if (origin) {
            struct addr want = tu_addr("192.0.2.45");
            assert_int_equal(te->origin_port, 3544);
            assert_int_equal(addr_cmp(&te->origin, &want), 0);
        } else {
            assert_int_equal(te->origin_port, 0);
        }
        assert_inner(&p, i, LAYER_IPV6, (uint32_t)hdr);
        assert_no_anomalies(&p);
    }
}

static void test_teredo_stack(void **state)
{
    (void)state;
    static struct pb b;
    struct at t;
    struct packet p;
    build_teredo(&b, &t, false, true);
    decode_full(&p, &b, "eth/ipv4/udp/teredo/ipv6/tcp");
    assert_no_anomalies(&p);
    assert_int_equal(p.layers[3].u.teredo.origin_port, 3544);
}

static void test_teredo_not_ipv6(void **state)
{
    (void)state;
    struct packet p;
    int i;
    static const uint8_t v4[] = {0x45, 0, 0, 20};
    i = run(&p, decode_teredo, v4, sizeof v4, UDP_ENCL(sizeof v4));
    assert_no_inner(&p, i);
    assert_no_anomalies(&p);
    static const uint8_t unknown_ind[] = {0x00, 0x05, 0x60, 0, 0, 0};
    i = run(&p, decode_teredo, unknown_ind, sizeof unknown_ind, UDP_ENCL(sizeof unknown_ind));
    assert_no_inner(&p, i);
    assert_no_anomalies(&p);
    i = run(&p, decode_teredo, v4, 0, UDP_ENCL(0));
    assert_no_inner(&p, i);
    assert_no_anomalies(&p);
}

static enum anomaly teredo_short(size_t caplen)
{
    /* Nothing, or an authentication indicator and nothing after it, is a
     * complete (empty) Teredo message when the frame really ends there. */
    return caplen == 0 || caplen == 18 ? AN__COUNT : AN_SHORT_FRAME;
}

static void test_teredo_truncated(void **state)
{
    (void)state;
    static struct pb b;
    struct at t;
    size_t hdr = build_teredo(&b, &t, true, true);
    sweep_header(decode_teredo, t.p, hdr, t.len, LAYER_TEREDO, teredo_short);
}

/* ================= every tunnel ================= */

static const struct {
    decoder_fn fn;
    enum layer_type type;
    void (*build)(struct pb *, struct at *);
} all_tunnels[] = {
    {decode_vxlan, LAYER_VXLAN, build_vxlan}, {decode_gre, LAYER_GRE, build_gre_ksc},
    {decode_gre, LAYER_GRE, build_gre_teb},   {decode_gtpu, LAYER_GTPU, build_gtpu_ext},
    {decode_l2tp, LAYER_L2TP, build_l2tp},
};

static void build_geneve_eth(struct pb *b, struct at *t)
{
    build_geneve(b, t, 0x6558, 0);
}
static void build_teredo_origin(struct pb *b, struct at *t)
{
    build_teredo(b, t, false, true);
}
static void build_pptp_any(struct pb *b, struct at *t)
{
    size_t plen;
    build_pptp(b, t, &plen);
}
static void build_erspan2(struct pb *b, struct at *t)
{
    build_erspan(b, t, 2, false);
}

static void for_each_tunnel(void (*check)(decoder_fn, enum layer_type, const struct at *))
{
    static struct pb b;
    struct at t;
    for (size_t k = 0; k < sizeof all_tunnels / sizeof all_tunnels[0]; k++) {
        all_tunnels[k].build(&b, &t);
        check(all_tunnels[k].fn, all_tunnels[k].type, &t);
    }
    build_geneve_eth(&b, &t);
    check(decode_geneve, LAYER_GENEVE, &t);
    build_teredo_origin(&b, &t);
    check(decode_teredo, LAYER_TEREDO, &t);
    build_pptp_any(&b, &t);
    check(decode_gre, LAYER_GRE, &t);
    build_erspan2(&b, &t);
    check(decode_gre, LAYER_GRE, &t);
}

static void check_depth_cap(decoder_fn fn, enum layer_type type, const struct at *t)
{
    struct packet p;
    int i = run_full(&p, fn, t->p, t->len, t->len, UDP_ENCL((uint32_t)t->len), PKT_MAX_TUNNELS, 0);
    assert_int_equal(p.layers[i].type, type);
    assert_int_equal(p.anomalies, AN(AN_TUNNEL_TOO_DEEP));
    assert_no_inner(&p, i);
    /* one level less is still followed */
    i = run_full(&p, fn, t->p, t->len, t->len, UDP_ENCL((uint32_t)t->len), PKT_MAX_TUNNELS - 1, 0);
    assert_true(p.nlayers >= i + 2);
    assert_int_equal(p.layers[i + 1].tunnel, PKT_MAX_TUNNELS);
    assert_false(p.anomalies & AN(AN_TUNNEL_TOO_DEEP));
}

static void test_depth_cap_every_tunnel(void **state)
{
    (void)state;
    for_each_tunnel(check_depth_cap);
}

static void check_record_full(decoder_fn fn, enum layer_type type, const struct at *t)
{
    struct packet p;
    memset(&p, 0, sizeof p);
    p.caplen = p.wirelen = (uint32_t)t->len;
    p.nlayers = PKT_MAX_LAYERS;
    struct dstate d = {&p, t->p, 0, 0, 0};
    fn(&d, cur_make(t->p, t->len));
    (void)type;
    assert_int_equal(p.nlayers, PKT_MAX_LAYERS);
    assert_int_equal(p.anomalies, AN(AN_TOO_MANY_LAYERS));
}

static void test_layer_record_full(void **state)
{
    (void)state;
    for_each_tunnel(check_record_full);
}

/* Inside an ICMP quote the header is usually cut: decode as far as it goes,
 * flag the layer, record no anomaly on the packet. */
static void check_quoted_cut(decoder_fn fn, enum layer_type type, const struct at *t)
{
    struct packet p;
    for (size_t cap = 0; cap < 8; cap++) {
        int i = run_full(&p, fn, t->p, cap, 1500, UDP_ENCL((uint32_t)t->len), 0, LF_QUOTED);
        assert_int_equal(p.layers[i].type, type);
        assert_true(p.layers[i].flags & LF_QUOTED);
        assert_true(p.layers[i].flags & LF_TRUNCATED);
        assert_no_anomalies(&p);
    }
}

static void test_quoted_cut_every_tunnel(void **state)
{
    (void)state;
    for_each_tunnel(check_quoted_cut);
}

static void test_quoted_fields_survive(void **state)
{
    (void)state;
    static struct pb b;
    struct at t;
    struct packet p;
    /* a quoted GTP-U header: 8 bytes, the rest of the quote lost */
    build_gtpu_ext(&b, &t);
    int i = run_full(&p, decode_gtpu, t.p, 8, 1500, UDP_ENCL((uint32_t)t.len), 0, LF_QUOTED);
    assert_int_equal(p.layers[i].u.gtpu.teid, 0x0badcafe);
    assert_true(p.layers[i].flags & LF_TRUNCATED);
    assert_no_anomalies(&p);
    /* a malformed quoted header is marked but not counted */
    ((uint8_t *)t.p)[0] = 0x54;
    i = run_full(&p, decode_gtpu, t.p, 8, 1500, UDP_ENCL((uint32_t)t.len), 0, LF_QUOTED);
    assert_true(p.layers[i].flags & LF_MALFORMED);
    assert_no_anomalies(&p);
}

/* ================= IPIP depth cap (decode.c + decode_ip) ================= */

static void test_ipip_nested_12(void **state)
{
    (void)state;
    static struct pb b;
    struct packet p;
    pb_init(&b);
    pb_fill(&b, 20, 'x');
    pb_tcp(&b, 1, 2, 3, 4, TH_ACK);
    pb_ipv4(&b, IP_PROTO_TCP, "10.0.0.1", "10.0.0.2", 0);
    for (int k = 0; k < 12; k++)
        pb_ipv4(&b, IP_PROTO_IPIP, "10.0.0.1", "10.0.0.2", 0);
    pb_eth(&b, ETH_TYPE_IP);
    tu_decode(&p, DLT_EN10MB, &b);
    /* the outer IPv4 and PKT_MAX_TUNNELS (8) nested ones; the ninth is refused */
    tu_assert_stack(&p, "eth/ipv4/ipv4/ipv4/ipv4/ipv4/ipv4/ipv4/ipv4/ipv4");
    assert_int_equal(p.anomalies, AN(AN_TUNNEL_TOO_DEEP));
    assert_int_equal(p.ntunnels, PKT_MAX_TUNNELS);
    assert_int_equal(p.nlayers, 2 + PKT_MAX_TUNNELS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vxlan_fields),
        cmocka_unit_test(test_vxlan_bad_flags),
        cmocka_unit_test(test_vxlan_truncated),
        cmocka_unit_test(test_vxlan_nested_fields),
        cmocka_unit_test(test_gre_key_seq_csum_fields),
        cmocka_unit_test(test_gre_plain_and_ipv6),
        cmocka_unit_test(test_gre_teb),
        cmocka_unit_test(test_gre_bad),
        cmocka_unit_test(test_gre_truncated),
        cmocka_unit_test(test_pptp_fields),
        cmocka_unit_test(test_pptp_ack_only),
        cmocka_unit_test(test_pptp_bad),
        cmocka_unit_test(test_pptp_payload_snapped),
        cmocka_unit_test(test_erspan),
        cmocka_unit_test(test_erspan_bad_and_other_frames),
        cmocka_unit_test(test_geneve_fields),
        cmocka_unit_test(test_geneve_bad_version),
        cmocka_unit_test(test_geneve_truncated),
        cmocka_unit_test(test_gtpu_ext_fields),
        cmocka_unit_test(test_gtpu_variants),
        cmocka_unit_test(test_gtpu_bad),
        cmocka_unit_test(test_gtpu_payload_snapped),
        cmocka_unit_test(test_gtpu_truncated),
        cmocka_unit_test(test_l2tp_fields),
        cmocka_unit_test(test_l2tp_minimal_control_v3),
        cmocka_unit_test(test_l2tp_bad),
        cmocka_unit_test(test_l2tp_truncated),
        cmocka_unit_test(test_teredo_fields),
        cmocka_unit_test(test_teredo_not_ipv6),
        cmocka_unit_test(test_teredo_truncated),
        cmocka_unit_test(test_depth_cap_every_tunnel),
        cmocka_unit_test(test_layer_record_full),
        cmocka_unit_test(test_quoted_cut_every_tunnel),
        cmocka_unit_test(test_quoted_fields_survive),
        /* full-frame stacks: need the link, IP and transport decoders */
        cmocka_unit_test(test_vxlan_stack),
        cmocka_unit_test(test_vxlan_in_vxlan_in_vxlan),
        cmocka_unit_test(test_gre_key_seq_csum_stack),
        cmocka_unit_test(test_gre_ipv6_stack),
        cmocka_unit_test(test_erspan_stack),
        cmocka_unit_test(test_gre_teb_stack),
        cmocka_unit_test(test_pptp_stack),
        cmocka_unit_test(test_geneve_stack),
        cmocka_unit_test(test_gtpu_ext_stack),
        cmocka_unit_test(test_l2tp_stack),
        cmocka_unit_test(test_teredo_stack),
        cmocka_unit_test(test_ipip_nested_12),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
