/*
 * test_decode_vpn.c - WireGuard, ESP (over IP and NAT-T) and OpenVPN.
 *
 * As in test_decode_tunnel.c, "_fields" tests run this module's decoders
 * directly (behind a UDP or IP layer that declares the length, as decode_udp
 * and decode_ipv4 would); "_stack" tests decode whole Ethernet frames and
 * need the link, IP and transport decoders as well.
 */
#include "testutil.h"

#include "decode_vpn.h"

#define AN(a) (1ull << (a))

typedef void (*decoder_fn)(struct dstate *, struct cursor);

struct encl {
    int type; /* LAYER_UDP, LAYER_IPV4, or -1: none */
    uint32_t len;
};
#define NO_ENCL ((struct encl){-1, 0})
#define UDP_ENCL(n) ((struct encl){LAYER_UDP, (n)})
#define IP_ENCL(n) ((struct encl){LAYER_IPV4, (n)})

/* Runs fn on buf[0, caplen) of a frame of wirelen bytes; returns the index of
 * the decoder's own layer. */
static int run_full(struct packet *p, decoder_fn fn, const uint8_t *buf, size_t caplen,
                    size_t wirelen, struct encl e, uint8_t lflags)
{
    memset(p, 0, sizeof *p);
    p->frame = 1;
    p->caplen = (uint32_t)caplen;
    p->wirelen = (uint32_t)wirelen;
    p->data = buf;
    struct dstate d = {p, buf, 0, lflags, 0};
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
    return run_full(p, fn, buf, len, len, e, 0);
}

static void esp_over_ip(struct dstate *d, struct cursor c)
{
    decode_esp(d, c, false);
}
static void esp_over_udp(struct dstate *d, struct cursor c)
{
    decode_esp(d, c, true);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* A WireGuard message of `len` bytes: type, zero reserved, then for each
 * type its index fields; the rest stands in for keys and ciphertext. */
static void wg_message(uint8_t *m, size_t len, uint8_t type)
{
    for (size_t i = 0; i < len; i++)
        m[i] = (uint8_t)(0x5a ^ i);
    m[0] = type;
    m[1] = m[2] = m[3] = 0;
    switch (type) {
    case WG_INITIATION:
        put_le32(m + 4, 0x11223344);
        break;
    case WG_RESPONSE:
        put_le32(m + 4, 0x55667788);
        put_le32(m + 8, 0x11223344);
        break;
    case WG_COOKIE:
        put_le32(m + 4, 0x55667788);
        break;
    case WG_DATA:
        put_le32(m + 4, 0xa1b2c3d4);
        put_le32(m + 8, 0x04030201); /* counter, little-endian 64 bits */
        put_le32(m + 12, 0x08070605);
        break;
    }
}

/* Eth/IPv4 (or IPv6)/UDP around a payload already in b. */
static void outer_udp(struct pb *b, uint16_t sport, uint16_t dport, bool v6)
{
    pb_udp(b, sport, dport);
    if (v6) {
        pb_ipv6(b, IP_PROTO_UDP, "2001:db8:1::1", "2001:db8:2::2");
        pb_eth(b, ETH_TYPE_IPV6);
    } else {
        pb_ipv4(b, IP_PROTO_UDP, "192.0.2.1", "198.51.100.2", IP_DF);
        pb_eth(b, ETH_TYPE_IP);
    }
}

/* ================= WireGuard ================= */

static void test_wireguard_looks_like(void **state)
{
    (void)state;
    static const struct {
        uint8_t type;
        uint32_t len;
        bool yes;
    } cases[] = {
        {WG_INITIATION, 148, true},
        {WG_INITIATION, 147, false},
        {WG_INITIATION, 92, false},
        {WG_RESPONSE, 92, true},
        {WG_RESPONSE, 148, false},
        {WG_COOKIE, 64, true},
        {WG_COOKIE, 80, false},
        {WG_DATA, 32, true},
        {WG_DATA, 48, true},
        {WG_DATA, 1456, true},
        {WG_DATA, 40, false},
        {WG_DATA, 16, false},
        /* padding capped at the MTU: 1420-byte inner packet, MTU 1420 */
        {WG_DATA, 1452, true},
        {WG_DATA, 32 + 576, true},
        {WG_DATA, 32 + 575, false},
        {WG_DATA, 32 + 577, true},
        {WG_DATA, 33, false},
        {WG_DATA, 32 + 100, false},
        {WG_DATA, 0, false},
        {0, 148, false},
        {5, 32, false},
        {0xff, 64, false},
    };
    uint8_t m[1500];
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        wg_message(m, sizeof m, cases[k].type);
        struct cursor c = cur_make(m, cases[k].len < 4 ? 4 : cases[k].len);
        if (wireguard_looks_like(&c, cases[k].len) != cases[k].yes)
            print_error("type %u len %u\n", cases[k].type, cases[k].len);
        assert_int_equal(wireguard_looks_like(&c, cases[k].len), cases[k].yes);
        assert_false(c.err);
        assert_ptr_equal(c.p, m); /* a question, not a read */
    }
    /* each reserved byte must be zero */
    for (int r = 1; r <= 3; r++) {
        wg_message(m, 148, WG_INITIATION);
        m[r] = 1;
        struct cursor c = cur_make(m, 148);
        assert_false(wireguard_looks_like(&c, 148));
    }
    /* a quote holding only 16 bytes of a 1452-byte data message still counts */
    wg_message(m, 32, WG_DATA);
    struct cursor c = cur_make(m, 16);
    assert_true(wireguard_looks_like(&c, 1452));
    /* fewer than 4 bytes: the reserved bytes cannot be checked */
    c = cur_make(m, 3);
    assert_false(wireguard_looks_like(&c, 32));
    c = cur_make(m, 32);
    c.err = true;
    assert_false(wireguard_looks_like(&c, 32));
}

static void check_wg(const struct layer *l, uint8_t type, uint32_t len)
{
    const struct wireguard_info *w = &l->u.wg;
    assert_int_equal(l->type, LAYER_WIREGUARD);
    assert_int_equal(w->msg_type, type);
    assert_int_equal(w->sender, type == WG_INITIATION ? 0x11223344
                                : type == WG_RESPONSE ? 0x55667788
                                                      : 0);
    assert_int_equal(w->receiver, type == WG_RESPONSE ? 0x11223344
                                  : type == WG_COOKIE ? 0x55667788
                                  : type == WG_DATA   ? 0xa1b2c3d4
                                                      : 0);
    assert_true(w->counter == (type == WG_DATA ? 0x0807060504030201ull : 0));
    assert_int_equal(w->inner_len, type == WG_DATA ? len - 32 : 0);
    assert_int_equal(l->flags, 0);
}

static const struct {
    uint8_t type;
    uint32_t len;
} wg_kinds[] = {
    {WG_INITIATION, 148}, {WG_RESPONSE, 92}, {WG_COOKIE, 64}, {WG_DATA, 32}, {WG_DATA, 1452},
};

static void test_wireguard_fields(void **state)
{
    (void)state;
    uint8_t m[1452];
    struct packet p;
    for (size_t k = 0; k < sizeof wg_kinds / sizeof wg_kinds[0]; k++) {
        wg_message(m, wg_kinds[k].len, wg_kinds[k].type);
        int i = run(&p, decode_wireguard, m, wg_kinds[k].len, UDP_ENCL(wg_kinds[k].len));
        check_wg(&p.layers[i], wg_kinds[k].type, wg_kinds[k].len);
        assert_int_equal(p.nlayers, i + 1); /* nothing decoded inside */
        assert_no_anomalies(&p);
        /* without a UDP layer in front, the bytes give the length */
        i = run(&p, decode_wireguard, m, wg_kinds[k].len, NO_ENCL);
        check_wg(&p.layers[i], wg_kinds[k].type, wg_kinds[k].len);
        assert_no_anomalies(&p);
    }
}

static void test_wireguard_stack(void **state)
{
    (void)state;
    static struct pb b;
    struct packet p;
    uint8_t m[1452];
    for (int v6 = 0; v6 <= 1; v6++) {
        for (size_t k = 0; k < sizeof wg_kinds / sizeof wg_kinds[0]; k++) {
            pb_init(&b);
            wg_message(m, wg_kinds[k].len, wg_kinds[k].type);
            pb_append(&b, m, wg_kinds[k].len);
            outer_udp(&b, 51820, 41000, v6);
            tu_decode(&p, DLT_EN10MB, &b);
            tu_assert_stack(&p, v6 ? "eth/ipv6/udp/wg" : "eth/ipv4/udp/wg");
            assert_no_anomalies(&p);
            check_wg(&p.layers[3], wg_kinds[k].type, wg_kinds[k].len);
        }
    }
}

/* 148 bytes like an initiation, but a reserved byte is not zero: not WireGuard. */
static void test_not_wireguard_stack(void **state)
{
    (void)state;
    static struct pb b;
    struct packet p;
    uint8_t m[148];
    wg_message(m, sizeof m, WG_INITIATION);
    m[2] = 0x40;
    pb_init(&b);
    pb_append(&b, m, sizeof m);
    outer_udp(&b, 40000, 51820, false);
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/ipv4/udp");
    assert_no_anomalies(&p);

    struct cursor c = cur_make(m, sizeof m);
    assert_false(wireguard_looks_like(&c, sizeof m));
}

/* An ICMP error quotes the first bytes of a 1452-byte data message: the UDP
 * length still says how big the inner packet was. */
static void test_wireguard_quoted(void **state)
{
    (void)state;
    uint8_t m[1452];
    struct packet p;
    wg_message(m, sizeof m, WG_DATA);
    int i = run_full(&p, decode_wireguard, m, 16, 1500, UDP_ENCL(sizeof m), LF_QUOTED);
    assert_int_equal(p.layers[i].u.wg.inner_len, 1420);
    assert_int_equal(p.layers[i].u.wg.receiver, 0xa1b2c3d4);
    assert_true(p.layers[i].u.wg.counter == 0x0807060504030201ull);
    assert_int_equal(p.layers[i].flags, LF_QUOTED | LF_TRUNCATED);
    assert_no_anomalies(&p);

    /* cut inside the header: what was read is kept */
    i = run_full(&p, decode_wireguard, m, 8, 1500, UDP_ENCL(sizeof m), LF_QUOTED);
    assert_int_equal(p.layers[i].u.wg.receiver, 0xa1b2c3d4);
    assert_true(p.layers[i].u.wg.counter == 0);
    assert_true(p.layers[i].flags & LF_TRUNCATED);
    assert_no_anomalies(&p);
}

/* Every cut of a data message: flagged truncated, TRUNCATED only. */
static void test_wireguard_truncated(void **state)
{
    (void)state;
    uint8_t m[64];
    struct packet p;
    wg_message(m, sizeof m, WG_DATA);
    for (size_t cap = 0; cap < sizeof m; cap++) {
        int i = run_full(&p, decode_wireguard, m, cap, 1000, UDP_ENCL(sizeof m), 0);
        assert_true(p.layers[i].flags & LF_TRUNCATED);
        assert_int_equal(p.anomalies, AN(AN_TRUNCATED));
        assert_int_equal(p.layers[i].u.wg.inner_len, cap >= 1 ? 32 : 0); /* from the type */
        /* the frame really ends there, though UDP says 64: a short frame */
        i = run_full(&p, decode_wireguard, m, cap, cap, UDP_ENCL(sizeof m), 0);
        assert_true(p.layers[i].flags & LF_TRUNCATED);
        assert_int_equal(p.anomalies, AN(AN_SHORT_FRAME));
    }
}

/* ================= ESP ================= */

static const uint8_t esp_pkt[] = {0x00, 0x00, 0x12, 0x34, 0x00, 0x00, 0x00, 0x2a, /* SPI, seq */
                                  0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04,
                                  0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c};

static void check_esp(const struct layer *l, bool nat_t)
{
    assert_int_equal(l->type, LAYER_ESP);
    assert_int_equal(l->u.esp.spi, 0x1234);
    assert_int_equal(l->u.esp.seq, 42);
    assert_int_equal(l->u.esp.nat_t, nat_t);
    assert_int_equal(l->flags, 0);
}

static void test_esp_fields(void **state)
{
    (void)state;
    struct packet p;
    int i = run(&p, esp_over_ip, esp_pkt, sizeof esp_pkt, IP_ENCL(sizeof esp_pkt));
    check_esp(&p.layers[i], false);
    assert_int_equal(p.nlayers, i + 1);
    assert_no_anomalies(&p);
    i = run(&p, esp_over_udp, esp_pkt, sizeof esp_pkt, UDP_ENCL(sizeof esp_pkt));
    check_esp(&p.layers[i], true);
    assert_no_anomalies(&p);
}

static void test_esp_stack(void **state)
{
    (void)state;
    static struct pb b;
    struct packet p;

    pb_init(&b);
    pb_append(&b, esp_pkt, sizeof esp_pkt);
    pb_ipv4(&b, IP_PROTO_ESP, "192.0.2.1", "198.51.100.2", IP_DF);
    pb_eth(&b, ETH_TYPE_IP);
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/ipv4/esp");
    assert_no_anomalies(&p);
    check_esp(&p.layers[2], false);

    pb_init(&b);
    pb_append(&b, esp_pkt, sizeof esp_pkt);
    outer_udp(&b, 4500, 4500, false);
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/ipv4/udp/esp");
    assert_no_anomalies(&p);
    check_esp(&p.layers[3], true);

    pb_init(&b);
    pb_append(&b, esp_pkt, sizeof esp_pkt);
    pb_ipv6(&b, IP_PROTO_ESP, "2001:db8::1", "2001:db8::2");
    pb_eth(&b, ETH_TYPE_IPV6);
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/ipv6/esp");
    assert_no_anomalies(&p);

    /* NAT-T keepalive (one 0xff byte) and IKE (non-ESP marker): no ESP */
    static const uint8_t keepalive[] = {0xff};
    static const uint8_t ike[] = {0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44, 0, 0, 0, 0};
    pb_init(&b);
    pb_append(&b, keepalive, sizeof keepalive);
    outer_udp(&b, 4500, 4500, false);
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/ipv4/udp");
    pb_init(&b);
    pb_append(&b, ike, sizeof ike);
    outer_udp(&b, 4500, 4500, false);
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/ipv4/udp");
}

static void test_esp_bad(void **state)
{
    (void)state;
    struct packet p;
    uint8_t m[sizeof esp_pkt];
    memcpy(m, esp_pkt, sizeof m);
    m[2] = m[3] = 0; /* SPI 0 */
    int i = run(&p, esp_over_ip, m, sizeof m, IP_ENCL(sizeof m));
    assert_int_equal(p.anomalies, AN(AN_BAD_ESP));
    assert_true(p.layers[i].flags & LF_MALFORMED);
    assert_int_equal(p.layers[i].u.esp.seq, 42);

    /* the IP length leaves 9 bytes: header, and no room for the trailer */
    i = run(&p, esp_over_ip, esp_pkt, 9, IP_ENCL(9));
    assert_int_equal(p.anomalies, AN(AN_BAD_ESP));
    assert_true(p.layers[i].flags & LF_MALFORMED);
    assert_int_equal(p.layers[i].u.esp.spi, 0x1234);
    /* 10 bytes is the smallest possible ESP packet */
    run(&p, esp_over_ip, esp_pkt, 10, IP_ENCL(10));
    assert_no_anomalies(&p);
    /* 4 bytes of UDP payload to port 4500 */
    i = run(&p, esp_over_udp, esp_pkt, 4, UDP_ENCL(4));
    assert_int_equal(p.anomalies, AN(AN_BAD_ESP));
}

static void test_esp_truncated(void **state)
{
    (void)state;
    struct packet p;
    for (size_t cap = 0; cap < 8; cap++) {
        int i = run_full(&p, esp_over_ip, esp_pkt, cap, 100, IP_ENCL(sizeof esp_pkt), 0);
        assert_true(p.layers[i].flags & LF_TRUNCATED);
        assert_int_equal(p.anomalies, AN(AN_TRUNCATED));
        /* a frame really that short, whose IP length promised more */
        i = run_full(&p, esp_over_ip, esp_pkt, cap, cap, IP_ENCL(sizeof esp_pkt), 0);
        assert_int_equal(p.anomalies, AN(AN_SHORT_FRAME));
        assert_true(p.layers[i].flags & LF_TRUNCATED);
        /* the same with nothing in front: the frame is all there is, too short for ESP */
        i = run_full(&p, esp_over_ip, esp_pkt, cap, cap, NO_ENCL, 0);
        assert_int_equal(p.anomalies, AN(AN_BAD_ESP));
        /* in an ICMP quote: flagged, not counted */
        i = run_full(&p, esp_over_ip, esp_pkt, cap, 1500, IP_ENCL(sizeof esp_pkt), LF_QUOTED);
        assert_true(p.layers[i].flags & LF_TRUNCATED);
        assert_no_anomalies(&p);
    }
}

/* ================= OpenVPN ================= */

static void test_openvpn_looks_like(void **state)
{
    (void)state;
    static const struct {
        uint8_t first;
        uint32_t len;
        bool yes;
    } cases[] = {
        {7 << 3, 14, true}, /* P_CONTROL_HARD_RESET_CLIENT_V2 */
        {7 << 3, 10, true},    {7 << 3, 9, false},
        {1 << 3, 10, true},    {11 << 3 | 2, 50, true}, /* P_CONTROL_WKC_V1, key id 2 */
        {6 << 3 | 1, 2, true},                          /* P_DATA_V1 */
        {9 << 3, 2, true},                              /* P_DATA_V2 */
        {9 << 3, 1, false},    {0, 100, false},
        {12 << 3, 100, false}, {31 << 3 | 7, 100, false},
    };
    uint8_t m[64] = {0};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        m[0] = cases[k].first;
        struct cursor c = cur_make(m, cases[k].len);
        assert_int_equal(openvpn_looks_like(&c, cases[k].len), cases[k].yes);
        assert_false(c.err);
    }
    struct cursor c = cur_make(m, 0);
    assert_false(openvpn_looks_like(&c, 14));
}

static const uint8_t ovpn_reset[] = {7 << 3 | 0, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
                                     0x07,       0x08, 0x00, 0x00, 0x00, 0x00, 0x00};
static const uint8_t ovpn_data2[] = {9 << 3 | 1, 0x00, 0x00, 0x05, 0xaa, 0xbb, 0xcc, 0xdd};
static const uint8_t ovpn_data1[] = {6 << 3 | 2, 0xaa, 0xbb};

static void test_openvpn_fields(void **state)
{
    (void)state;
    struct packet p;
    int i = run(&p, decode_openvpn, ovpn_reset, sizeof ovpn_reset, UDP_ENCL(sizeof ovpn_reset));
    const struct openvpn_info *o = &p.layers[i].u.ovpn;
    assert_int_equal(o->opcode, 7);
    assert_int_equal(o->key_id, 0);
    assert_true(o->session_id == 0x0102030405060708ull);
    assert_int_equal(o->peer_id, 0);
    assert_int_equal(o->tcp, 0);
    assert_int_equal(p.nlayers, i + 1);
    assert_no_anomalies(&p);

    i = run(&p, decode_openvpn, ovpn_data2, sizeof ovpn_data2, UDP_ENCL(sizeof ovpn_data2));
    o = &p.layers[i].u.ovpn;
    assert_int_equal(o->opcode, 9);
    assert_int_equal(o->key_id, 1);
    assert_int_equal(o->peer_id, 5);
    assert_true(o->session_id == 0);
    assert_no_anomalies(&p);

    i = run(&p, decode_openvpn, ovpn_data1, sizeof ovpn_data1, UDP_ENCL(sizeof ovpn_data1));
    o = &p.layers[i].u.ovpn;
    assert_int_equal(o->opcode, 6);
    assert_int_equal(o->key_id, 2);
    assert_int_equal(o->peer_id, 0);
    assert_no_anomalies(&p);
}

static void test_openvpn_truncated(void **state)
{
    (void)state;
    struct packet p;
    for (size_t cap = 0; cap < 9; cap++) {
        int i = run_full(&p, decode_openvpn, ovpn_reset, cap, 100, NO_ENCL, 0);
        assert_true(p.layers[i].flags & LF_TRUNCATED);
        assert_int_equal(p.anomalies, AN(AN_TRUNCATED));
        run_full(&p, decode_openvpn, ovpn_reset, cap, cap, NO_ENCL, 0);
        assert_int_equal(p.anomalies, AN(AN_SHORT_FRAME));
    }
    for (size_t cap = 0; cap < 4; cap++) {
        int i = run_full(&p, decode_openvpn, ovpn_data2, cap, 100, NO_ENCL, 0);
        assert_true(p.layers[i].flags & LF_TRUNCATED);
        assert_int_equal(p.anomalies, AN(AN_TRUNCATED));
    }
}

static void test_openvpn_stack(void **state)
{
    (void)state;
    static struct pb b;
    struct packet p;
    pb_init(&b);
    pb_append(&b, ovpn_reset, sizeof ovpn_reset);
    outer_udp(&b, 41000, 1194, false);
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/ipv4/udp/openvpn");
    assert_no_anomalies(&p);
    assert_int_equal(p.layers[3].u.ovpn.opcode, 7);

    /* not on port 1194: not guessed */
    pb_init(&b);
    pb_append(&b, ovpn_reset, sizeof ovpn_reset);
    outer_udp(&b, 41000, 1195, false);
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/ipv4/udp");
}

/* ================= the record and the quote ================= */

static void test_layer_record_full(void **state)
{
    (void)state;
    uint8_t m[64];
    wg_message(m, sizeof m, WG_DATA);
    static const decoder_fn fns[] = {decode_wireguard, esp_over_ip, esp_over_udp, decode_openvpn};
    for (size_t k = 0; k < sizeof fns / sizeof fns[0]; k++) {
        struct packet p;
        memset(&p, 0, sizeof p);
        p.caplen = p.wirelen = sizeof m;
        p.nlayers = PKT_MAX_LAYERS;
        struct dstate d = {&p, m, 0, 0, 0};
        fns[k](&d, cur_make(m, sizeof m));
        assert_int_equal(p.nlayers, PKT_MAX_LAYERS);
        assert_int_equal(p.anomalies, AN(AN_TOO_MANY_LAYERS));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wireguard_looks_like),
        cmocka_unit_test(test_wireguard_fields),
        cmocka_unit_test(test_wireguard_quoted),
        cmocka_unit_test(test_wireguard_truncated),
        cmocka_unit_test(test_esp_fields),
        cmocka_unit_test(test_esp_bad),
        cmocka_unit_test(test_esp_truncated),
        cmocka_unit_test(test_openvpn_looks_like),
        cmocka_unit_test(test_openvpn_fields),
        cmocka_unit_test(test_openvpn_truncated),
        cmocka_unit_test(test_layer_record_full),
        /* full-frame stacks: need the link, IP and transport decoders */
        cmocka_unit_test(test_wireguard_stack),
        cmocka_unit_test(test_not_wireguard_stack),
        cmocka_unit_test(test_esp_stack),
        cmocka_unit_test(test_openvpn_stack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
