/*
 * test_decode_ppp.c - PPP's LCP (decode_ppp.c) and the PPPoE discovery
 * PPP-Max-Payload tag (decode_l2.c): the MRU a link states.
 *
 * Frames are built with testutil's libdnet builders: LCP inside PPPoE on
 * Ethernet (tagged and untagged) and on a PPP link; the malformed cases are
 * lengths that would make an option loop or read past the packet.
 */
#include <stdlib.h>

#include "testutil.h"

#include "decode_ppp.h"

#define BIT(a) (1ull << (a))
#define PPP_LCP 0xc021

/* An LCP packet: code, identifier, length (the four header bytes and the
 * options), then `opts`; `len` 0 means the right length. */
static void pb_lcp(struct pb *b, uint8_t code, uint8_t ident, const uint8_t *opts, size_t n,
                   uint16_t len)
{
    pb_init(b);
    pb_append(b, opts, n);
    uint8_t *h = pb_prepend(b, 4);
    h[0] = code;
    h[1] = ident;
    pb_be16(h + 2, len ? len : (uint16_t)(n + 4));
}

/* PPP protocol, then the PPPoE session header (its length counts both). */
static void pb_pppoe_session(struct pb *b, uint16_t session, uint16_t proto)
{
    pb_be16(pb_prepend(b, 2), proto);
    uint16_t len = (uint16_t)pb_len(b);
    uint8_t *h = pb_prepend(b, 6);
    h[0] = 0x11;
    h[1] = 0;
    pb_be16(h + 2, session);
    pb_be16(h + 4, len);
}

/* MRU 1492 and a magic number, as a PPPoE client asks (RFC 2516 section 7) */
static const uint8_t OPTS_MRU_MAGIC[] = {0x01, 0x04, 0x05, 0xd4, 0x05,
                                         0x06, 0xde, 0xad, 0xbe, 0xef};
/* the magic number first: the MRU is found wherever it is */
static const uint8_t OPTS_MAGIC_MRU[] = {0x05, 0x06, 0xde, 0xad, 0xbe,
                                         0xef, 0x01, 0x04, 0x05, 0xd0};
static const uint8_t OPTS_MAGIC[] = {0x05, 0x06, 0xde, 0xad, 0xbe, 0xef};

struct lcp_case {
    const char *name;
    uint8_t code, ident;
    const uint8_t *opts;
    size_t n;
    bool vlan;    /* inside an 802.1Q tag */
    uint16_t mru; /* what the decoder must find */
};

/* The MRU is read from the Configure packets wherever the option sits, in
 * tagged and untagged PPPoE, and never invented for the others (an
 * Echo-Request carries a magic number, not options). */
static void test_lcp_mru_cases(void **state)
{
    (void)state;
    static const struct lcp_case cases[] = {
        {"request", LCP_CONF_REQ, 1, OPTS_MRU_MAGIC, sizeof OPTS_MRU_MAGIC, false, 1492},
        {"ack in a vlan", LCP_CONF_ACK, 1, OPTS_MRU_MAGIC, sizeof OPTS_MRU_MAGIC, true, 1492},
        {"mru after magic", LCP_CONF_REQ, 9, OPTS_MAGIC_MRU, sizeof OPTS_MAGIC_MRU, false, 1488},
        {"nak", LCP_CONF_NAK, 2, OPTS_MAGIC_MRU, sizeof OPTS_MAGIC_MRU, true, 1488},
        {"no mru", LCP_CONF_REQ, 3, OPTS_MAGIC, sizeof OPTS_MAGIC, false, 0},
        {"echo request", 9, 4, OPTS_MRU_MAGIC + 6, 4, false, 0},
        {"empty request", LCP_CONF_REQ, 5, OPTS_MAGIC, 0, false, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct lcp_case *k = &cases[i];
        struct pb b;
        struct packet p;
        pb_lcp(&b, k->code, k->ident, k->opts, k->n, 0);
        pb_pppoe_session(&b, 0x0042, PPP_LCP);
        if (k->vlan) {
            pb_vlan(&b, ETH_TYPE_8021Q, 7, ETH_TYPE_PPPOE);
            pb_eth(&b, ETH_TYPE_8021Q);
        } else {
            pb_eth(&b, ETH_TYPE_PPPOE);
        }
        tu_decode(&p, DLT_EN10MB, &b);
        tu_assert_stack(&p, k->vlan ? "eth/vlan/pppoe/lcp" : "eth/pppoe/lcp");
        if (p.anomalies)
            print_error("case %s: anomalies %llx\n", k->name, (unsigned long long)p.anomalies);
        assert_no_anomalies(&p);
        const struct lcp_info *l = &p.layers[p.nlayers - 1].u.lcp;
        assert_int_equal(l->code, k->code);
        assert_int_equal(l->ident, k->ident);
        assert_int_equal(l->length, k->n + 4);
        if (l->mru != k->mru)
            print_error("case %s: mru %u, want %u\n", k->name, l->mru, k->mru);
        assert_int_equal(l->mru, k->mru);
    }
}

/* On a PPP link (DLT_PPP, RFC 1662 address and control in front) LCP is the
 * same packet: the link's MRU is read there too. */
static void test_lcp_on_ppp_link(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    pb_lcp(&b, LCP_CONF_ACK, 17, OPTS_MRU_MAGIC, sizeof OPTS_MRU_MAGIC, 0);
    pb_be16(pb_prepend(&b, 2), PPP_LCP);
    uint8_t *h = pb_prepend(&b, 2);
    h[0] = 0xff;
    h[1] = 0x03;
    tu_decode(&p, DLT_PPP, &b);
    tu_assert_stack(&p, "ppp/lcp");
    assert_no_anomalies(&p);
    assert_int_equal(p.layers[1].u.lcp.mru, 1492);
    assert_int_equal(p.layers[1].u.lcp.ident, 17);
}

/* Bytes after the LCP length are padding (RFC 1661 section 5): an MRU
 * option there is not read. */
static void test_lcp_padding_not_read(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    pb_lcp(&b, LCP_CONF_REQ, 1, OPTS_MAGIC_MRU, sizeof OPTS_MAGIC_MRU, 4 + 6);
    pb_pppoe_session(&b, 1, PPP_LCP);
    pb_eth(&b, ETH_TYPE_PPPOE);
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/pppoe/lcp");
    assert_no_anomalies(&p);
    assert_int_equal(p.layers[2].u.lcp.mru, 0);
}

struct bad_case {
    const char *name;
    uint8_t opts[12];
    size_t n;
    uint16_t len; /* the LCP length field, 0: right */
};

/* Lengths that cannot be: an option of length 0 or 1 (its walk would never
 * advance), an MRU option that is not 4 bytes (RFC 1661 section 6.1), an
 * option running past the LCP length, an LCP length below its own header.
 * Each is bad-lcp and no MRU is taken from it. */
static void test_lcp_bad_lengths(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        {"option length 0", {0x01, 0x00, 0x05, 0xd4}, 4, 0},
        {"option length 1", {0x05, 0x01, 0x01, 0x04, 0x05, 0xd4}, 6, 0},
        {"mru of 3 bytes", {0x01, 0x03, 0x05, 0x00}, 4, 0},
        {"mru of 6 bytes", {0x01, 0x06, 0x05, 0xd4, 0, 0}, 6, 0},
        {"option past the length", {0x01, 0x04, 0x05, 0xd4, 0x05, 0x06, 0xde}, 7, 0},
        {"length below the header", {0x01, 0x04, 0x05, 0xd4}, 4, 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct bad_case *k = &cases[i];
        struct pb b;
        struct packet p;
        pb_lcp(&b, LCP_CONF_REQ, 1, k->opts, k->n, k->len);
        pb_pppoe_session(&b, 1, PPP_LCP);
        pb_eth(&b, ETH_TYPE_PPPOE);
        tu_decode(&p, DLT_EN10MB, &b);
        tu_assert_stack(&p, "eth/pppoe/lcp");
        if (p.anomalies != BIT(AN_BAD_LCP))
            print_error("case %s: anomalies %llx\n", k->name, (unsigned long long)p.anomalies);
        assert_int_equal(p.anomalies, BIT(AN_BAD_LCP));
        assert_true(p.layers[2].flags & LF_MALFORMED);
        if (strcmp(k->name, "option past the length") != 0)
            assert_int_equal(p.layers[2].u.lcp.mru, 0);
    }
}

/* Cut at every byte, snapped and whole: truncated or short, never a crash,
 * and an MRU only when its option was captured whole. */
static void test_lcp_truncation_every_offset(void **state)
{
    (void)state;
    struct pb b;
    pb_lcp(&b, LCP_CONF_REQ, 1, OPTS_MAGIC_MRU, sizeof OPTS_MAGIC_MRU, 0);
    pb_pppoe_session(&b, 1, PPP_LCP);
    pb_eth(&b, ETH_TYPE_PPPOE);
    size_t whole = pb_len(&b);
    size_t mru_end = 14 + 6 + 2 + 4 + sizeof OPTS_MAGIC_MRU;
    for (size_t n = 0; n < whole; n++) {
        for (int snapped = 0; snapped < 2; snapped++) {
            struct packet p;
            tu_decode_prefix(&p, DLT_EN10MB, &b, n, snapped ? whole : n);
            int l = pkt_find(&p, LAYER_LCP, 0);
            if (l >= 0) {
                assert_true(p.layers[l].u.lcp.mru == 0 || n >= mru_end);
                assert_true(p.layers[l].flags & (LF_TRUNCATED | LF_MALFORMED));
            }
            assert_true(p.anomalies != 0);
        }
    }
}

/* PPPoE discovery: the PPP-Max-Payload tag (RFC 4638) after other tags;
 * its absence is 0; a tag of the wrong size is bad-pppoe. */
static void test_pppoe_max_payload_tag(void **state)
{
    (void)state;
    static const uint8_t padr[] = {0x11, 0x19, 0x00, 0x00, 0x00, 0x0a,  /* header, length 10 */
                                   0x01, 0x01, 0x00, 0x00,              /* Service-Name, empty */
                                   0x01, 0x20, 0x00, 0x02, 0x05, 0xdc}; /* PPP-Max-Payload 1500 */
    struct pb b;
    struct packet p;
    pb_init(&b);
    pb_append(&b, padr, sizeof padr);
    pb_eth(&b, ETH_TYPE_PPPOEDISC);
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/pppoe");
    assert_no_anomalies(&p);
    assert_int_equal(p.layers[1].u.pppoe.max_payload, 1500);

    /* the PPPoE length ends before the tag: not read */
    pb_init(&b);
    pb_append(&b, padr, sizeof padr);
    pb_data(&b)[5] = 4;
    pb_eth(&b, ETH_TYPE_PPPOEDISC);
    tu_decode(&p, DLT_EN10MB, &b);
    assert_no_anomalies(&p);
    assert_int_equal(p.layers[1].u.pppoe.max_payload, 0);

    /* a 3-byte value */
    static const uint8_t bad[] = {0x11, 0x19, 0x00, 0x00, 0x00, 0x07, 0x01,
                                  0x20, 0x00, 0x03, 0x05, 0xdc, 0x00};
    pb_init(&b);
    pb_append(&b, bad, sizeof bad);
    pb_eth(&b, ETH_TYPE_PPPOEDISC);
    tu_decode(&p, DLT_EN10MB, &b);
    assert_int_equal(p.anomalies, BIT(AN_BAD_PPPOE));
    assert_int_equal(p.layers[1].u.pppoe.max_payload, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lcp_mru_cases),
        cmocka_unit_test(test_lcp_on_ppp_link),
        cmocka_unit_test(test_lcp_padding_not_read),
        cmocka_unit_test(test_lcp_bad_lengths),
        cmocka_unit_test(test_lcp_truncation_every_offset),
        cmocka_unit_test(test_pppoe_max_payload_tag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
