/*
 * test_decode_l2.c - 802.1Q/802.1ad tags, PPPoE session and discovery, MPLS.
 *
 * Two groups, as in test_decode_link.c: the first checks what decode_l2.c
 * decides (fields, anomalies, which layer comes next and where); the second
 * ("full stacks") also depends on the IP and transport decoders.
 */
#include <stdlib.h>

#include "testutil.h"

#include "decode_l2.h"

#define PAYLOAD 10
#define IP_TCP_LEN (IP_HDR_LEN + TCP_HDR_LEN + PAYLOAD)
#define BIT(a) (1ull << (a))

/* ---- builders ---- */

static void pb_ipv4_tcp(struct pb *b)
{
    pb_init(b);
    pb_fill(b, PAYLOAD, 'x');
    pb_tcp(b, 40000, 443, 1000, 2000, TH_ACK | TH_PUSH);
    pb_ipv4(b, IP_PROTO_TCP, "192.0.2.1", "198.51.100.2", IP_DF);
}

static void pb_ipv4_udp(struct pb *b)
{
    pb_init(b);
    pb_fill(b, PAYLOAD, 'u');
    pb_udp(b, 5000, 5001);
    pb_ipv4(b, IP_PROTO_UDP, "192.0.2.1", "198.51.100.2", 0);
}

static void pb_ipv6_tcp(struct pb *b)
{
    pb_init(b);
    pb_fill(b, PAYLOAD, 'x');
    pb_tcp(b, 40000, 443, 1000, 2000, TH_ACK);
    pb_ipv6(b, IP_PROTO_TCP, "2001:db8::1", "2001:db8::2");
}

/* A tag with a full TCI (testutil's pb_vlan sets only the VID). */
static void pb_tag(struct pb *b, uint16_t tci, uint16_t inner_type)
{
    uint8_t *h = pb_prepend(b, 4);
    pb_be16(h, tci);
    pb_be16(h + 2, inner_type);
}

/* PPP protocol field (2 bytes, or 1 when `proto` < 0x100 and compress) and
 * the PPPoE header, whose length counts the PPP protocol and payload. */
static void pb_pppoe(struct pb *b, uint8_t vertype, uint8_t code, uint16_t session, uint16_t proto,
                     bool compress)
{
    if (compress) {
        *pb_prepend(b, 1) = (uint8_t)proto;
    } else {
        pb_be16(pb_prepend(b, 2), proto);
    }
    uint16_t len = (uint16_t)pb_len(b);
    uint8_t *h = pb_prepend(b, 6);
    h[0] = vertype;
    h[1] = code;
    pb_be16(h + 2, session);
    pb_be16(h + 4, len);
}

static void pb_mpls(struct pb *b, uint32_t label, uint8_t tc, bool bos, uint8_t ttl)
{
    pb_be32(pb_prepend(b, 4), label << 12 | (uint32_t)tc << 9 | (uint32_t)bos << 8 | ttl);
}

/* Ethernet header written byte by byte: libdnet's eth_pack_hdr (behind
 * testutil's pb_eth) stores through a struct pointer, which UBSan rejects
 * when an odd-sized header (a 1-byte PPP protocol) leaves the frame at an odd
 * address. */
static void pb_eth_bytes(struct pb *b, uint16_t ethertype)
{
    uint8_t *h = pb_prepend(b, ETH_HDR_LEN);
    static const uint8_t macs[12] = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01};
    memcpy(h, macs, sizeof macs);
    pb_be16(h + 12, ethertype);
}

/* eth/vlan/pppoe/ipv4/tcp, 76 bytes */
static void pb_vlan_pppoe(struct pb *b)
{
    pb_ipv4_tcp(b);
    pb_pppoe(b, 0x11, 0, 0x0101, 0x0021, false);
    pb_tag(b, 0x0007, ETH_TYPE_PPPOE);
    pb_eth(b, ETH_TYPE_8021Q);
}

/* ---- checks ---- */

static void decode_exact(struct packet *p, int dlt, const uint8_t *data, size_t caplen,
                         size_t wirelen)
{
    uint8_t *copy = malloc(caplen ? caplen : 1);
    assert_non_null(copy);
    memcpy(copy, data, caplen);
    tu_decode_buf(p, dlt, copy, caplen, wirelen);
    free(copy);
    p->data = NULL;
}

/* The stack starts with `prefix` (whole names; its last layer may be marked
 * truncated: that one belongs to another decoder). */
static void assert_prefix(const struct packet *p, const char *prefix)
{
    char buf[512];
    pkt_describe(p, buf, sizeof buf);
    size_t n = strlen(prefix);
    bool ok = strncmp(buf, prefix, n) == 0 && (buf[n] == '\0' || buf[n] == '/' || buf[n] == '!');
    if (!ok)
        print_error("layer stack: got \"%s\", expected a prefix \"%s\"\n", buf, prefix);
    assert_true(ok);
}

static void assert_layer_at(const struct packet *p, int i, enum layer_type t, uint32_t offset)
{
    assert_true(i < p->nlayers);
    assert_int_equal(p->layers[i].type, t);
    assert_int_equal(p->layers[i].offset, offset);
    assert_int_equal(p->layers[i].tunnel, 0);
}

/* ---- VLAN ---- */

static void test_vlan_single(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    pb_ipv4_tcp(&b);
    pb_tag(&b, 5 << 13 | 1 << 12 | 100, ETH_TYPE_IP);
    pb_eth(&b, ETH_TYPE_8021Q);
    tu_decode(&p, DLT_EN10MB, &b);
    assert_prefix(&p, "eth/vlan/ipv4");
    assert_no_anomalies(&p);
    const struct layer *l = &p.layers[1];
    assert_layer_at(&p, 1, LAYER_VLAN, 14);
    assert_int_equal(l->flags, 0);
    assert_int_equal(l->u.vlan.tpid, 0x8100);
    assert_int_equal(l->u.vlan.pcp, 5);
    assert_int_equal(l->u.vlan.dei, 1);
    assert_int_equal(l->u.vlan.vid, 100);
    assert_int_equal(l->u.vlan.ethertype, 0x0800);
    assert_layer_at(&p, 2, LAYER_IPV4, 18);

    /* every TCI bit lands in the right field */
    pb_ipv6_tcp(&b);
    pb_tag(&b, 0xffff & ~0x0001, ETH_TYPE_IPV6); /* pcp 7, dei 1, vid 4094 */
    pb_eth(&b, ETH_TYPE_8021Q);
    tu_decode(&p, DLT_EN10MB, &b);
    assert_prefix(&p, "eth/vlan/ipv6");
    assert_no_anomalies(&p);
    assert_int_equal(p.layers[1].u.vlan.pcp, 7);
    assert_int_equal(p.layers[1].u.vlan.dei, 1);
    assert_int_equal(p.layers[1].u.vlan.vid, 4094);
    assert_int_equal(p.layers[1].u.vlan.ethertype, 0x86dd);
    assert_layer_at(&p, 2, LAYER_IPV6, 18);

    /* VID 0: a priority-only tag, perfectly valid */
    pb_ipv4_tcp(&b);
    pb_tag(&b, 3 << 13, ETH_TYPE_IP);
    pb_eth(&b, ETH_TYPE_8021Q);
    tu_decode(&p, DLT_EN10MB, &b);
    assert_prefix(&p, "eth/vlan/ipv4");
    assert_no_anomalies(&p);
    assert_int_equal(p.layers[1].u.vlan.vid, 0);
    assert_int_equal(p.layers[1].u.vlan.pcp, 3);
    assert_int_equal(p.layers[1].u.vlan.dei, 0);
}

static void test_vlan_qinq(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    pb_ipv4_tcp(&b);
    pb_tag(&b, 100, ETH_TYPE_IP);
    pb_tag(&b, 2 << 13 | 200, ETH_TYPE_8021Q);
    pb_eth(&b, 0x88a8);
    tu_decode(&p, DLT_EN10MB, &b);
    assert_prefix(&p, "eth/vlan/vlan/ipv4");
    assert_no_anomalies(&p);
    assert_layer_at(&p, 1, LAYER_VLAN, 14);
    assert_int_equal(p.layers[1].u.vlan.tpid, 0x88a8);
    assert_int_equal(p.layers[1].u.vlan.vid, 200);
    assert_int_equal(p.layers[1].u.vlan.pcp, 2);
    assert_int_equal(p.layers[1].u.vlan.ethertype, 0x8100);
    assert_layer_at(&p, 2, LAYER_VLAN, 18);
    assert_int_equal(p.layers[2].u.vlan.tpid, 0x8100);
    assert_int_equal(p.layers[2].u.vlan.vid, 100);
    assert_int_equal(p.layers[2].u.vlan.ethertype, 0x0800);
    assert_layer_at(&p, 3, LAYER_IPV4, 22);

    /* the pre-standard 0x9100 TPID */
    pb_ipv4_tcp(&b);
    pb_tag(&b, 10, ETH_TYPE_IP);
    pb_tag(&b, 20, ETH_TYPE_8021Q);
    pb_eth(&b, 0x9100);
    tu_decode(&p, DLT_EN10MB, &b);
    assert_prefix(&p, "eth/vlan/vlan/ipv4");
    assert_int_equal(p.layers[1].u.vlan.tpid, 0x9100);
    assert_int_equal(p.layers[1].u.vlan.vid, 20);
    assert_int_equal(p.layers[2].u.vlan.vid, 10);
}

static void test_vlan_bad(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    /* VID 0xfff is reserved: flagged, the packet still decoded */
    pb_ipv4_tcp(&b);
    pb_tag(&b, 0x0fff, ETH_TYPE_IP);
    pb_eth(&b, ETH_TYPE_8021Q);
    tu_decode(&p, DLT_EN10MB, &b);
    assert_prefix(&p, "eth/vlan/ipv4");
    assert_int_equal(p.anomalies, BIT(AN_BAD_VLAN));
    assert_int_equal(p.layers[1].flags, LF_MALFORMED);
    assert_int_equal(p.layers[1].u.vlan.vid, 0xfff);

    /* neither a length nor an ethertype */
    pb_init(&b);
    pb_fill(&b, 46, 0);
    pb_tag(&b, 1, 1501);
    pb_eth(&b, ETH_TYPE_8021Q);
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/vlan");
    assert_int_equal(p.anomalies, BIT(AN_BAD_VLAN));
    assert_int_equal(p.layers[1].flags, LF_MALFORMED);
    assert_int_equal(p.layers[1].u.vlan.ethertype, 1501);
}

static void test_vlan_non_ip_inside(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    /* an 802.3 length inside the tag (LLC): not followed, not wrong */
    pb_init(&b);
    static const uint8_t llc[] = {0x42, 0x42, 0x03, 0, 0};
    pb_append(&b, llc, sizeof llc);
    pb_tag(&b, 1, (uint16_t)sizeof llc);
    pb_eth(&b, ETH_TYPE_8021Q);
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/vlan");
    assert_no_anomalies(&p);
    assert_int_equal(p.layers[1].u.vlan.ethertype, 5);

    /* ARP */
    pb_init(&b);
    pb_fill(&b, 28, 0);
    pb_tag(&b, 1, ETH_TYPE_ARP);
    pb_eth(&b, ETH_TYPE_8021Q);
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/vlan");
    assert_no_anomalies(&p);
}

/* Tags nested past the record's capacity: bounded, recorded, no overflow. */
static void test_vlan_too_many(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    pb_ipv4_tcp(&b);
    pb_tag(&b, 1, ETH_TYPE_IP);
    for (int i = 0; i < 40; i++)
        pb_tag(&b, 1, ETH_TYPE_8021Q);
    pb_eth(&b, ETH_TYPE_8021Q);
    tu_decode(&p, DLT_EN10MB, &b);
    assert_int_equal(p.nlayers, PKT_MAX_LAYERS);
    assert_int_equal(p.anomalies, BIT(AN_TOO_MANY_LAYERS));
    for (int i = 1; i < PKT_MAX_LAYERS; i++)
        assert_layer_at(&p, i, LAYER_VLAN, (uint32_t)(14 + 4 * (i - 1)));
}

/* ---- PPPoE ---- */

static void test_pppoe_session(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    pb_ipv4_tcp(&b);
    pb_pppoe(&b, 0x11, 0, 0x1234, 0x0021, false);
    pb_eth(&b, ETH_TYPE_PPPOE);
    tu_decode(&p, DLT_EN10MB, &b);
    assert_prefix(&p, "eth/pppoe/ipv4");
    assert_no_anomalies(&p);
    const struct layer *l = &p.layers[1];
    assert_layer_at(&p, 1, LAYER_PPPOE, 14);
    assert_int_equal(l->flags, 0);
    assert_int_equal(l->u.pppoe.code, 0);
    assert_int_equal(l->u.pppoe.session, 0x1234);
    assert_int_equal(l->u.pppoe.length, 2 + IP_TCP_LEN);
    assert_int_equal(l->u.pppoe.ppp_proto, 0x0021);
    assert_layer_at(&p, 2, LAYER_IPV4, 22);

    pb_ipv6_tcp(&b);
    pb_pppoe(&b, 0x11, 0, 0xffff, 0x0057, false);
    pb_eth(&b, ETH_TYPE_PPPOE);
    tu_decode(&p, DLT_EN10MB, &b);
    assert_prefix(&p, "eth/pppoe/ipv6");
    assert_no_anomalies(&p);
    assert_int_equal(p.layers[1].u.pppoe.session, 0xffff);
    assert_int_equal(p.layers[1].u.pppoe.ppp_proto, 0x0057);
    assert_layer_at(&p, 2, LAYER_IPV6, 22);

    /* RFC 1661 protocol-field compression: one byte */
    pb_ipv4_tcp(&b);
    pb_pppoe(&b, 0x11, 0, 7, 0x21, true);
    pb_eth_bytes(&b, ETH_TYPE_PPPOE);
    tu_decode(&p, DLT_EN10MB, &b);
    assert_prefix(&p, "eth/pppoe/ipv4");
    assert_no_anomalies(&p);
    assert_int_equal(p.layers[1].u.pppoe.length, 1 + IP_TCP_LEN);
    assert_int_equal(p.layers[1].u.pppoe.ppp_proto, 0x0021);
    assert_layer_at(&p, 2, LAYER_IPV4, 21);

    /* IPCP: control traffic, nothing to follow (LCP, which states the
     * link's MRU, is decode_ppp.c's: test_decode_ppp.c) */
    pb_init(&b);
    pb_fill(&b, 14, 1);
    pb_pppoe(&b, 0x11, 0, 7, 0x8021, false);
    pb_eth(&b, ETH_TYPE_PPPOE);
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/pppoe");
    assert_no_anomalies(&p);
    assert_int_equal(p.layers[1].u.pppoe.ppp_proto, 0x8021);
}

/* The length cuts off the Ethernet padding: an MPLS label half inside the
 * PPPoE length is short although the frame holds all of it. */
static void test_pppoe_length_limits_payload(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    pb_init(&b);
    static const uint8_t half_label[] = {0x00, 0x01};
    pb_append(&b, half_label, 2);
    pb_pppoe(&b, 0x11, 0, 1, 0x0281, false);
    pb_eth(&b, ETH_TYPE_PPPOE);
    pb_fill(&b, 30, 0x41); /* padding that would complete the label */
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/pppoe/mpls!");
    assert_int_equal(p.anomalies, BIT(AN_SHORT_FRAME));
    assert_int_equal(p.layers[1].u.pppoe.length, 4);
    assert_int_equal(p.layers[1].flags, 0);
}

static void test_pppoe_bad_version(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    static const struct {
        uint8_t vertype, code;
    } bad[] = {{0x21, 0}, {0x12, 0}, {0x00, 0}, {0x11, 0x09}, {0x11, 0xa7}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pb_ipv4_tcp(&b);
        pb_pppoe(&b, bad[i].vertype, bad[i].code, 1, 0x0021, false);
        pb_eth(&b, ETH_TYPE_PPPOE);
        tu_decode(&p, DLT_EN10MB, &b);
        tu_assert_stack(&p, "eth/pppoe");
        assert_int_equal(p.anomalies, BIT(AN_BAD_PPPOE));
        assert_int_equal(p.layers[1].flags, LF_MALFORMED);
        assert_int_equal(p.layers[1].u.pppoe.code, bad[i].code);
        assert_int_equal(p.layers[1].u.pppoe.session, 1);
    }
}

static void test_pppoe_bad_length(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    pb_ipv4_tcp(&b);
    pb_pppoe(&b, 0x11, 0, 1, 0x0021, false);
    pb_eth(&b, ETH_TYPE_PPPOE);
    pb_be16(pb_data(&b) + 18, 1400);

    /* whole frame: the length is wrong; what is there is still decoded */
    tu_decode(&p, DLT_EN10MB, &b);
    assert_prefix(&p, "eth/pppoe/ipv4");
    assert_anomaly(&p, AN_BAD_PPPOE);
    assert_false(pkt_has_anomaly(&p, AN_TRUNCATED));
    assert_int_equal(p.layers[1].flags, LF_MALFORMED);
    assert_int_equal(p.layers[1].u.pppoe.length, 1400);
    assert_int_equal(p.layers[1].u.pppoe.ppp_proto, 0x0021);
    assert_layer_at(&p, 2, LAYER_IPV4, 22);

    /* snapped: truncation, not a bad length */
    tu_decode_buf(&p, DLT_EN10MB, pb_data(&b), pb_len(&b), 14 + 6 + 1400);
    assert_prefix(&p, "eth/pppoe!/ipv4");
    assert_anomaly(&p, AN_TRUNCATED);
    assert_false(pkt_has_anomaly(&p, AN_BAD_PPPOE));
    assert_int_equal(p.layers[1].flags, LF_TRUNCATED);

    /* too small to hold the PPP protocol field */
    for (uint16_t len = 0; len < 2; len++) {
        pb_be16(pb_data(&b) + 18, len);
        tu_decode(&p, DLT_EN10MB, &b);
        tu_assert_stack(&p, "eth/pppoe");
        assert_int_equal(p.anomalies, BIT(AN_BAD_PPPOE));
        assert_int_equal(p.layers[1].flags, LF_MALFORMED);
    }
}

/* RFC 1661: a protocol whose low octet is even does not exist. */
static void test_pppoe_bad_protocol(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    pb_ipv4_tcp(&b);
    pb_pppoe(&b, 0x11, 0, 1, 0x0020, false);
    pb_eth(&b, ETH_TYPE_PPPOE);
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/pppoe");
    assert_int_equal(p.anomalies, BIT(AN_BAD_PPPOE));
    assert_int_equal(p.layers[1].flags, LF_MALFORMED);
    assert_int_equal(p.layers[1].u.pppoe.ppp_proto, 0x0020);
}

static void test_pppoe_discovery(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    /* PADI with a Service-Name tag (type 0x0101, empty) */
    static const uint8_t padi[] = {0x11, 0x09, 0x00, 0x00, 0x00, 0x04, 0x01, 0x01, 0x00, 0x00};
    pb_init(&b);
    pb_append(&b, padi, sizeof padi);
    pb_eth(&b, ETH_TYPE_PPPOEDISC);
    pb_fill(&b, 36, 0);
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/pppoe");
    assert_no_anomalies(&p);
    assert_layer_at(&p, 1, LAYER_PPPOE, 14);
    assert_int_equal(p.layers[1].u.pppoe.code, 0x09);
    assert_int_equal(p.layers[1].u.pppoe.session, 0);
    assert_int_equal(p.layers[1].u.pppoe.length, 4);
    assert_int_equal(p.layers[1].u.pppoe.ppp_proto, 0);

    /* PADT names the session it ends */
    static const uint8_t padt[] = {0x11, 0xa7, 0x12, 0x34, 0x00, 0x00};
    pb_init(&b);
    pb_append(&b, padt, sizeof padt);
    pb_eth(&b, ETH_TYPE_PPPOEDISC);
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/pppoe");
    assert_no_anomalies(&p);
    assert_int_equal(p.layers[1].u.pppoe.code, 0xa7);
    assert_int_equal(p.layers[1].u.pppoe.session, 0x1234);

    /* bad version/type */
    pb_init(&b);
    pb_append(&b, padi, sizeof padi);
    pb_data(&b)[0] = 0x22;
    pb_eth(&b, ETH_TYPE_PPPOEDISC);
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/pppoe");
    assert_int_equal(p.anomalies, BIT(AN_BAD_PPPOE));
    assert_int_equal(p.layers[1].flags, LF_MALFORMED);

    /* length past the frame: bad when whole, truncated when snapped */
    pb_init(&b);
    pb_append(&b, padi, sizeof padi);
    pb_data(&b)[5] = 40;
    pb_eth(&b, ETH_TYPE_PPPOEDISC);
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/pppoe");
    assert_int_equal(p.anomalies, BIT(AN_BAD_PPPOE));
    tu_decode_buf(&p, DLT_EN10MB, pb_data(&b), pb_len(&b), pb_len(&b) + 36);
    tu_assert_stack(&p, "eth/pppoe!");
    assert_int_equal(p.anomalies, BIT(AN_TRUNCATED));

    /* cut inside the 6-byte header */
    for (size_t n = 14; n < 20; n++) {
        decode_exact(&p, DLT_EN10MB, pb_data(&b), n, n);
        tu_assert_stack(&p, "eth/pppoe!");
        assert_int_equal(p.anomalies, BIT(AN_SHORT_FRAME));
    }
}

/* eth/vlan/pppoe/ipv4/tcp cut at every byte, snapped and whole.  Only what
 * the link and shim layers decide is checked here; the full expectation is
 * in test_full_truncation_every_offset. */
static void test_truncation_every_offset(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    pb_vlan_pppoe(&b);
    size_t total = pb_len(&b);
    assert_int_equal(total, 14 + 4 + 6 + 2 + IP_TCP_LEN);
    for (size_t n = 0; n <= total; n++) {
        /* snapped */
        decode_exact(&p, DLT_EN10MB, pb_data(&b), n, total);
        if (n < 14) {
            tu_assert_stack(&p, "eth!");
            assert_int_equal(p.anomalies, BIT(AN_TRUNCATED));
        } else if (n < 18) {
            tu_assert_stack(&p, "eth/vlan!");
            assert_int_equal(p.anomalies, BIT(AN_TRUNCATED));
        } else if (n < 26) {
            tu_assert_stack(&p, "eth/vlan/pppoe!");
            assert_int_equal(p.anomalies, BIT(AN_TRUNCATED));
        } else if (n < total) {
            assert_prefix(&p, "eth/vlan/pppoe!/ipv4");
            assert_anomaly(&p, AN_TRUNCATED);
            assert_false(pkt_has_anomaly(&p, AN_BAD_PPPOE));
            assert_int_equal(p.layers[2].flags, LF_TRUNCATED);
        } else {
            assert_prefix(&p, "eth/vlan/pppoe/ipv4");
            assert_no_anomalies(&p);
        }

        /* whole frame that is simply short */
        decode_exact(&p, DLT_EN10MB, pb_data(&b), n, n);
        if (n < 14) {
            tu_assert_stack(&p, "eth!");
            assert_int_equal(p.anomalies, BIT(AN_SHORT_FRAME));
        } else if (n < 18) {
            tu_assert_stack(&p, "eth/vlan!");
            assert_int_equal(p.anomalies, BIT(AN_SHORT_FRAME));
        } else if (n < 24) {
            tu_assert_stack(&p, "eth/vlan/pppoe!");
            assert_int_equal(p.anomalies, BIT(AN_SHORT_FRAME));
            assert_int_equal(p.layers[2].flags, LF_TRUNCATED);
        } else if (n < 26) {
            /* the PPPoE length overruns the frame, which ends in the PPP
             * protocol field */
            tu_assert_stack(&p, "eth/vlan/pppoe!");
            assert_int_equal(p.anomalies, BIT(AN_SHORT_FRAME) | BIT(AN_BAD_PPPOE));
            assert_int_equal(p.layers[2].flags, LF_TRUNCATED | LF_MALFORMED);
        } else if (n < total) {
            assert_prefix(&p, "eth/vlan/pppoe/ipv4");
            assert_anomaly(&p, AN_BAD_PPPOE);
            assert_false(pkt_has_anomaly(&p, AN_TRUNCATED));
            assert_int_equal(p.layers[2].flags, LF_MALFORMED);
        } else {
            assert_prefix(&p, "eth/vlan/pppoe/ipv4");
            assert_no_anomalies(&p);
        }
        if (n >= 18)
            assert_int_equal(p.layers[1].flags, 0);
    }
}

/* ---- MPLS ---- */

static void test_mpls_two_labels(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    pb_ipv4_udp(&b);
    pb_mpls(&b, 0xfffff, 2, true, 63);
    pb_mpls(&b, 1000, 5, false, 64);
    pb_eth(&b, ETH_TYPE_MPLS);
    tu_decode(&p, DLT_EN10MB, &b);
    assert_prefix(&p, "eth/mpls/mpls/ipv4");
    assert_no_anomalies(&p);
    assert_layer_at(&p, 1, LAYER_MPLS, 14);
    assert_int_equal(p.layers[1].flags, 0);
    assert_int_equal(p.layers[1].u.mpls.label, 1000);
    assert_int_equal(p.layers[1].u.mpls.tc, 5);
    assert_int_equal(p.layers[1].u.mpls.bos, 0);
    assert_int_equal(p.layers[1].u.mpls.ttl, 64);
    assert_layer_at(&p, 2, LAYER_MPLS, 18);
    assert_int_equal(p.layers[2].u.mpls.label, 0xfffff);
    assert_int_equal(p.layers[2].u.mpls.tc, 2);
    assert_int_equal(p.layers[2].u.mpls.bos, 1);
    assert_int_equal(p.layers[2].u.mpls.ttl, 63);
    assert_layer_at(&p, 3, LAYER_IPV4, 22);

    /* IPv6 by the nibble, over the multicast ethertype */
    pb_ipv6_tcp(&b);
    pb_mpls(&b, 16, 0, true, 255);
    pb_eth(&b, ETH_TYPE_MPLS_MCAST);
    tu_decode(&p, DLT_EN10MB, &b);
    assert_prefix(&p, "eth/mpls/ipv6");
    assert_no_anomalies(&p);
    assert_int_equal(p.layers[1].u.mpls.ttl, 255);
    assert_layer_at(&p, 2, LAYER_IPV6, 18);
}

/* Explicit null labels name the IP version, whatever the first nibble says;
 * only the bottom label counts. */
static void test_mpls_explicit_null(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    pb_ipv4_tcp(&b);
    pb_mpls(&b, 0, 0, true, 64);
    pb_eth(&b, ETH_TYPE_MPLS);
    tu_decode(&p, DLT_EN10MB, &b);
    assert_prefix(&p, "eth/mpls/ipv4");
    assert_no_anomalies(&p);

    pb_ipv6_tcp(&b);
    pb_mpls(&b, 2, 0, true, 64);
    pb_eth(&b, ETH_TYPE_MPLS);
    tu_decode(&p, DLT_EN10MB, &b);
    assert_prefix(&p, "eth/mpls/ipv6");
    assert_no_anomalies(&p);

    /* mismatches: the label wins (the IP decoder then flags the version) */
    pb_ipv6_tcp(&b);
    pb_mpls(&b, 0, 0, true, 64);
    pb_eth(&b, ETH_TYPE_MPLS);
    tu_decode(&p, DLT_EN10MB, &b);
    assert_prefix(&p, "eth/mpls/ipv4");
    assert_false(pkt_has_anomaly(&p, AN_BAD_MPLS));

    pb_ipv4_tcp(&b);
    pb_mpls(&b, 2, 0, true, 64);
    pb_eth(&b, ETH_TYPE_MPLS);
    tu_decode(&p, DLT_EN10MB, &b);
    assert_prefix(&p, "eth/mpls/ipv6");
    assert_false(pkt_has_anomaly(&p, AN_BAD_MPLS));

    /* an explicit null with nothing under it: the stack is what is short */
    pb_init(&b);
    pb_mpls(&b, 0, 0, true, 64);
    pb_eth(&b, ETH_TYPE_MPLS);
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/mpls!");
    assert_int_equal(p.anomalies, BIT(AN_SHORT_FRAME));

    /* IPv6 explicit null above a bottom label: the nibble decides */
    pb_ipv4_tcp(&b);
    pb_mpls(&b, 300, 0, true, 64);
    pb_mpls(&b, 2, 0, false, 64);
    pb_eth(&b, ETH_TYPE_MPLS);
    tu_decode(&p, DLT_EN10MB, &b);
    assert_prefix(&p, "eth/mpls/mpls/ipv4");
    assert_no_anomalies(&p);
}

static void test_mpls_pw_control_word(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    pb_ipv4_tcp(&b);
    pb_eth(&b, ETH_TYPE_IP);
    pb_be32(pb_prepend(&b, 4), 0x0000002a); /* control word, sequence 42 */
    pb_mpls(&b, 5000, 0, true, 64);
    pb_eth(&b, ETH_TYPE_MPLS);
    tu_decode(&p, DLT_EN10MB, &b);
    assert_prefix(&p, "eth/mpls/eth/ipv4");
    assert_no_anomalies(&p);
    assert_int_equal(p.layers[1].u.mpls.label, 5000);
    assert_layer_at(&p, 2, LAYER_ETH, 22);
    assert_int_equal(p.layers[2].u.eth.ethertype, 0x0800);
    assert_layer_at(&p, 3, LAYER_IPV4, 36);

    /* the control word itself cut short */
    pb_init(&b);
    static const uint8_t cw_part[] = {0x00, 0x00};
    pb_append(&b, cw_part, 2);
    pb_mpls(&b, 5000, 0, true, 64);
    pb_eth(&b, ETH_TYPE_MPLS);
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/mpls!");
    assert_int_equal(p.anomalies, BIT(AN_SHORT_FRAME));
}

static void test_mpls_non_ip_payload(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    /* G-ACh (RFC 5586, under the GAL label 13) and an unknown nibble */
    static const uint8_t first[] = {0x10, 0x50, 0xf0};
    for (size_t i = 0; i < 3; i++) {
        pb_init(&b);
        pb_fill(&b, 40, first[i]);
        pb_mpls(&b, i == 0 ? 13 : 100, 0, true, 1);
        pb_eth(&b, ETH_TYPE_MPLS);
        tu_decode(&p, DLT_EN10MB, &b);
        tu_assert_stack(&p, "eth/mpls");
        assert_no_anomalies(&p);
    }
}

static void test_mpls_too_deep(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    /* 17 entries: too deep, stopped after 16 */
    pb_ipv4_udp(&b);
    pb_mpls(&b, 17, 0, true, 64);
    for (uint32_t i = 16; i >= 1; i--)
        pb_mpls(&b, i, 0, false, 64);
    pb_eth(&b, ETH_TYPE_MPLS);
    tu_decode(&p, DLT_EN10MB, &b);
    assert_int_equal(p.anomalies, BIT(AN_BAD_MPLS));
    assert_int_equal(p.nlayers, 1 + 16);
    for (int i = 1; i <= 16; i++) {
        assert_layer_at(&p, i, LAYER_MPLS, (uint32_t)(14 + 4 * (i - 1)));
        assert_int_equal(p.layers[i].u.mpls.label, (uint32_t)i);
        assert_int_equal(p.layers[i].flags, i == 16 ? LF_MALFORMED : 0);
    }

    /* 16 is still fine */
    pb_ipv4_udp(&b);
    pb_mpls(&b, 16, 0, true, 64);
    for (uint32_t i = 15; i >= 1; i--)
        pb_mpls(&b, i, 0, false, 64);
    pb_eth(&b, ETH_TYPE_MPLS);
    tu_decode(&p, DLT_EN10MB, &b);
    assert_no_anomalies(&p);
    assert_int_equal(p.layers[16].u.mpls.bos, 1);
    assert_layer_at(&p, 17, LAYER_IPV4, 14 + 16 * 4);
}

static void test_mpls_truncation_every_offset(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    pb_ipv4_udp(&b);
    pb_mpls(&b, 200, 0, true, 63);
    pb_mpls(&b, 100, 0, false, 64);
    pb_eth(&b, ETH_TYPE_MPLS);
    for (size_t n = 0; n < pb_len(&b); n++) {
        for (int snapped = 0; snapped <= 1; snapped++) {
            decode_exact(&p, DLT_EN10MB, pb_data(&b), n, snapped ? pb_len(&b) : n);
            uint64_t an = BIT(snapped ? AN_TRUNCATED : AN_SHORT_FRAME);
            if (n < 14) {
                tu_assert_stack(&p, "eth!");
                assert_int_equal(p.anomalies, an);
            } else if (n < 18) {
                tu_assert_stack(&p, "eth/mpls!");
                assert_int_equal(p.anomalies, an);
            } else if (n <= 22) {
                /* at 22 the stack is whole but nothing is under it */
                tu_assert_stack(&p, "eth/mpls/mpls!");
                assert_int_equal(p.anomalies, an);
            } else {
                assert_prefix(&p, "eth/mpls/mpls/ipv4");
                assert_int_equal(p.layers[1].flags | p.layers[2].flags, 0);
            }
        }
    }
}

/* ---- full stacks: these also need decode_ip.c and decode_transport.c ---- */

static void test_full_qinq(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    pb_ipv4_tcp(&b);
    pb_tag(&b, 100, ETH_TYPE_IP);
    pb_tag(&b, 200, ETH_TYPE_8021Q);
    pb_eth(&b, 0x88a8);
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/vlan/vlan/ipv4/tcp");
    assert_no_anomalies(&p);
}

static void test_full_pppoe(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    pb_ipv4_tcp(&b);
    pb_pppoe(&b, 0x11, 0, 0x1234, 0x0021, false);
    pb_eth(&b, ETH_TYPE_PPPOE);
    pb_fill(&b, 8, 0); /* trailing Ethernet padding */
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/pppoe/ipv4/tcp");
    assert_no_anomalies(&p);

    pb_vlan_pppoe(&b);
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/vlan/pppoe/ipv4/tcp");
    assert_no_anomalies(&p);
}

/* Where a PPPoE length and an IP length disagree, the shorter PPPoE length
 * bounds the packet, as in Wireshark: what lies past it is not decoded even
 * when the frame holds it.  The IP length field is what is flagged. */
static void test_full_pppoe_bounds_ip(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    const size_t ip = 14 + 6 + 2; /* where the IPv4 header starts */

    /* IPv4 says 50 bytes, PPPoE carries 44 of them: 4 of the 10 TCP bytes */
    pb_ipv4_tcp(&b);
    pb_pppoe(&b, 0x11, 0, 1, 0x0021, false);
    pb_eth(&b, ETH_TYPE_PPPOE);
    pb_be16(pb_data(&b) + 18, 2 + IP_TCP_LEN - 6);
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/pppoe/ipv4/tcp");
    assert_int_equal(p.anomalies, BIT(AN_BAD_IP_TOTAL_LEN));
    assert_int_equal(p.layers[1].flags, 0);
    assert_int_equal(p.layers[2].flags, LF_MALFORMED);
    assert_int_equal(p.layers[2].u.ip.ip_len, IP_TCP_LEN - 6);
    assert_int_equal(p.layers[2].u.ip.payload_len, TCP_HDR_LEN + PAYLOAD - 6);
    assert_int_equal(p.layers[3].flags, 0);
    assert_int_equal(p.layers[3].u.tcp.payload_len, PAYLOAD - 6);

    /* the corpus case (zeek pppoe-over-qinq.pcap): PPPoE ends with the TCP
     * header, IPv4 declares 6 bytes of data after it: a pure ACK */
    pb_be16(pb_data(&b) + 18, 2 + IP_HDR_LEN + TCP_HDR_LEN);
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/pppoe/ipv4/tcp");
    assert_int_equal(p.anomalies, BIT(AN_BAD_IP_TOTAL_LEN));
    assert_int_equal(p.layers[2].u.ip.ip_len, IP_HDR_LEN + TCP_HDR_LEN);
    assert_int_equal(p.layers[2].u.ip.payload_len, TCP_HDR_LEN);
    assert_int_equal(p.layers[3].u.tcp.payload_len, 0);

    /* snapped where the PPPoE length ends: the packet the link layer gives
     * is all there, so the disagreement is still the only anomaly */
    tu_decode_buf(&p, DLT_EN10MB, pb_data(&b), ip + IP_HDR_LEN + TCP_HDR_LEN, pb_len(&b));
    tu_assert_stack(&p, "eth/pppoe/ipv4/tcp");
    assert_int_equal(p.anomalies, BIT(AN_BAD_IP_TOTAL_LEN));
    assert_int_equal(p.layers[3].u.tcp.payload_len, 0);

    /* snapped before the PPPoE length ends: truncation; no length can be
     * proved wrong and TCP gets what the IP header declares */
    pb_be16(pb_data(&b) + 18, 2 + IP_TCP_LEN - 6);
    tu_decode_buf(&p, DLT_EN10MB, pb_data(&b), ip + IP_HDR_LEN + TCP_HDR_LEN, pb_len(&b));
    tu_assert_stack(&p, "eth/pppoe!/ipv4!/tcp!");
    assert_int_equal(p.anomalies, BIT(AN_TRUNCATED));
    assert_int_equal(p.layers[2].u.ip.ip_len, IP_TCP_LEN);
    assert_int_equal(p.layers[3].u.tcp.payload_len, PAYLOAD);

    /* a PPPoE length too short for the IPv4 header: the header is cut */
    pb_be16(pb_data(&b) + 18, 2 + IP_HDR_LEN - 1);
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/pppoe/ipv4!");
    assert_int_equal(p.anomalies, BIT(AN_SHORT_FRAME));

    /* a PPPoE length longer than the IP packet: the bytes after it are
     * padding inside PPPoE, nothing is wrong */
    pb_ipv4_tcp(&b);
    pb_fill(&b, 4, 0);
    pb_pppoe(&b, 0x11, 0, 1, 0x0021, false);
    pb_eth(&b, ETH_TYPE_PPPOE);
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/pppoe/ipv4/tcp");
    assert_no_anomalies(&p);
    assert_int_equal(p.layers[1].u.pppoe.length, 2 + IP_TCP_LEN + 4);
    assert_int_equal(p.layers[2].u.ip.ip_len, IP_TCP_LEN);
    assert_int_equal(p.layers[3].u.tcp.payload_len, PAYLOAD);

    /* IPv6 says 70 bytes, PPPoE carries 66 of them (behind a VLAN tag) */
    pb_ipv6_tcp(&b);
    pb_pppoe(&b, 0x11, 0, 1, 0x0057, false);
    pb_tag(&b, 7, ETH_TYPE_PPPOE);
    pb_eth(&b, ETH_TYPE_8021Q);
    const size_t ip6_len = IP6_HDR_LEN + TCP_HDR_LEN + PAYLOAD;
    pb_be16(pb_data(&b) + 22, (uint16_t)(2 + ip6_len - 4));
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/vlan/pppoe/ipv6/tcp");
    assert_int_equal(p.anomalies, BIT(AN_BAD_IP_TOTAL_LEN));
    assert_int_equal(p.layers[3].flags, LF_MALFORMED);
    assert_int_equal(p.layers[3].u.ip.ip_len, ip6_len - 4);
    assert_int_equal(p.layers[3].u.ip.payload_len, TCP_HDR_LEN + PAYLOAD - 4);
    assert_int_equal(p.layers[4].u.tcp.payload_len, PAYLOAD - 4);

    /* ... and none of the TCP payload */
    pb_be16(pb_data(&b) + 22, (uint16_t)(2 + IP6_HDR_LEN + TCP_HDR_LEN));
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/vlan/pppoe/ipv6/tcp");
    assert_int_equal(p.anomalies, BIT(AN_BAD_IP_TOTAL_LEN));
    assert_int_equal(p.layers[3].u.ip.ip_len, IP6_HDR_LEN + TCP_HDR_LEN);
    assert_int_equal(p.layers[4].u.tcp.payload_len, 0);
}

static void test_full_mpls(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    pb_ipv4_udp(&b);
    pb_mpls(&b, 200, 0, true, 63);
    pb_mpls(&b, 100, 0, false, 64);
    pb_eth(&b, ETH_TYPE_MPLS);
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/mpls/mpls/ipv4/udp");
    assert_no_anomalies(&p);

    pb_ipv4_tcp(&b);
    pb_eth(&b, ETH_TYPE_IP);
    pb_be32(pb_prepend(&b, 4), 0);
    pb_mpls(&b, 5000, 0, true, 64);
    pb_eth(&b, ETH_TYPE_MPLS);
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/mpls/eth/ipv4/tcp");
    assert_no_anomalies(&p);

    /* explicit null that contradicts the packet: the IP decoder objects */
    pb_ipv6_tcp(&b);
    pb_mpls(&b, 0, 0, true, 64);
    pb_eth(&b, ETH_TYPE_MPLS);
    tu_decode(&p, DLT_EN10MB, &b);
    assert_anomaly(&p, AN_BAD_IP_VERSION);
}

static void test_full_truncation_every_offset(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    pb_vlan_pppoe(&b);
    size_t total = pb_len(&b);
    const size_t ip = 26, tcp = ip + IP_HDR_LEN, data = tcp + TCP_HDR_LEN;
    for (size_t n = ip; n < total; n++) {
        decode_exact(&p, DLT_EN10MB, pb_data(&b), n, total);
        tu_assert_stack(&p, n < tcp ? "eth/vlan/pppoe!/ipv4!" : "eth/vlan/pppoe!/ipv4!/tcp!");
        assert_int_equal(p.anomalies, BIT(AN_TRUNCATED));

        decode_exact(&p, DLT_EN10MB, pb_data(&b), n, n);
        assert_anomaly(&p, AN_BAD_PPPOE);
        assert_false(pkt_has_anomaly(&p, AN_TRUNCATED));
        if (n < data)
            assert_anomaly(&p, AN_SHORT_FRAME);
    }
}

int main(void)
{
    const struct CMUnitTest own[] = {
        cmocka_unit_test(test_vlan_single),
        cmocka_unit_test(test_vlan_qinq),
        cmocka_unit_test(test_vlan_bad),
        cmocka_unit_test(test_vlan_non_ip_inside),
        cmocka_unit_test(test_vlan_too_many),
        cmocka_unit_test(test_pppoe_session),
        cmocka_unit_test(test_pppoe_length_limits_payload),
        cmocka_unit_test(test_pppoe_bad_version),
        cmocka_unit_test(test_pppoe_bad_length),
        cmocka_unit_test(test_pppoe_bad_protocol),
        cmocka_unit_test(test_pppoe_discovery),
        cmocka_unit_test(test_truncation_every_offset),
        cmocka_unit_test(test_mpls_two_labels),
        cmocka_unit_test(test_mpls_explicit_null),
        cmocka_unit_test(test_mpls_pw_control_word),
        cmocka_unit_test(test_mpls_non_ip_payload),
        cmocka_unit_test(test_mpls_too_deep),
        cmocka_unit_test(test_mpls_truncation_every_offset),
    };
    const struct CMUnitTest full[] = {
        cmocka_unit_test(test_full_qinq),
        cmocka_unit_test(test_full_pppoe),
        cmocka_unit_test(test_full_pppoe_bounds_ip),
        cmocka_unit_test(test_full_mpls),
        cmocka_unit_test(test_full_truncation_every_offset),
    };
    int failed = cmocka_run_group_tests_name("L2 shims", own, NULL, NULL);
    failed += cmocka_run_group_tests_name("L2 shims, full stacks", full, NULL, NULL);
    return failed;
}
