/*
 * test_decode_routing.c - OSPFv2 and OSPFv3 headers and the interface MTU
 * of a Database Description (decode_routing.c), checked against the layouts
 * of RFC 2328 A.3.1/A.3.3 and RFC 5340 A.3.1/A.3.3 (which tshark decodes as
 * ospf.db.interface_mtu: the v2 MTU right after the 24-byte header, the v3
 * one after the 16-byte header and 4 bytes of reserved + options).
 */
#include <stdlib.h>

#include "testutil.h"

#include "decode_routing.h"

#define BIT(a) (1ull << (a))
#define IP_PROTO_OSPF 89

/* An OSPF packet of `version` and `type`: the common header, then for a DBD
 * the fixed fields (MTU, flags, DD sequence) and `lsas` 20-byte LSA headers.
 * `len` 0: the right packet length. */
static void pb_ospf(struct pb *b, uint8_t version, uint8_t type, uint32_t router, uint16_t mtu,
                    uint8_t flags, uint32_t seq, int lsas, uint16_t len)
{
    pb_init(b);
    if (type == OSPF_DBD) {
        uint8_t dbd[12] = {0};
        if (version == 2) {
            pb_be16(dbd, mtu);
            dbd[2] = 0x42; /* options: O and E */
            dbd[3] = flags;
            pb_be32(dbd + 4, seq);
            pb_append(b, dbd, 8);
        } else {
            dbd[3] = 0x13; /* options: V6, E, R */
            pb_be16(dbd + 4, mtu);
            dbd[7] = flags;
            pb_be32(dbd + 8, seq);
            pb_append(b, dbd, 12);
        }
        pb_fill(b, (size_t)lsas * 20, 0xab);
    } else {
        pb_fill(b, 20, 0x11); /* a Hello's body: not read */
    }
    size_t hdr = version == 2 ? 24 : 16;
    uint16_t plen = len ? len : (uint16_t)(pb_len(b) + hdr);
    uint8_t *h = pb_prepend(b, hdr);
    memset(h, 0, hdr);
    h[0] = version;
    h[1] = type;
    pb_be16(h + 2, plen);
    pb_be32(h + 4, router);
    pb_be32(h + 8, 0); /* area 0 */
}

struct dbd_case {
    const char *name;
    uint8_t version;
    bool vlan;
    uint16_t mtu;
    uint8_t flags;
    int lsas;
};

/* The MTU and the flags of a DBD are where the RFCs put them, in both
 * versions, with and without a VLAN tag and LSA headers after them. */
static void test_dbd_cases(void **state)
{
    (void)state;
    static const struct dbd_case cases[] = {
        {"v2 exstart 1500", 2, false, 1500, 0x07, 0},
        {"v2 tagged 1496", 2, true, 1496, 0x07, 0},
        {"v2 exchange with lsas", 2, false, 9000, 0x03, 3},
        {"v3 exstart 1496", 3, false, 1496, 0x07, 0},
        {"v3 tagged slave 1500", 3, true, 1500, 0x00, 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct dbd_case *k = &cases[i];
        struct pb b;
        struct packet p;
        pb_ospf(&b, k->version, OSPF_DBD, 0x0a000001, k->mtu, k->flags, 7000 + (uint32_t)i, k->lsas,
                0);
        if (k->version == 2)
            pb_ipv4(&b, IP_PROTO_OSPF, "10.0.0.1", "10.0.0.2", 0);
        else
            pb_ipv6(&b, IP_PROTO_OSPF, "fe80::1", "fe80::2");
        uint16_t et = k->version == 2 ? ETH_TYPE_IP : ETH_TYPE_IPV6;
        if (k->vlan) {
            pb_vlan(&b, ETH_TYPE_8021Q, 10, et);
            pb_eth(&b, ETH_TYPE_8021Q);
        } else {
            pb_eth(&b, et);
        }
        tu_decode(&p, DLT_EN10MB, &b);
        const char *want = k->version == 2 ? (k->vlan ? "eth/vlan/ipv4/ospf" : "eth/ipv4/ospf")
                                           : (k->vlan ? "eth/vlan/ipv6/ospf" : "eth/ipv6/ospf");
        tu_assert_stack(&p, want);
        assert_no_anomalies(&p);
        const struct ospf_info *o = &p.layers[p.nlayers - 1].u.ospf;
        if (o->iface_mtu != k->mtu)
            print_error("case %s: mtu %u, want %u\n", k->name, o->iface_mtu, k->mtu);
        assert_int_equal(o->version, k->version);
        assert_int_equal(o->type, OSPF_DBD);
        assert_int_equal(o->router_id, 0x0a000001);
        assert_int_equal(o->iface_mtu, k->mtu);
        assert_int_equal(o->dbd_flags, k->flags);
        assert_int_equal(o->dd_seq, 7000 + i);
    }
}

/* A Hello names its router but states no MTU: 0, not a guess. */
static void test_hello_has_no_mtu(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    pb_ospf(&b, 2, 1, 0x01010101, 0, 0, 0, 0, 0);
    pb_ipv4(&b, IP_PROTO_OSPF, "10.0.0.1", "224.0.0.5", 0);
    pb_eth(&b, ETH_TYPE_IP);
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/ipv4/ospf");
    assert_no_anomalies(&p);
    assert_int_equal(p.layers[2].u.ospf.type, 1);
    assert_int_equal(p.layers[2].u.ospf.router_id, 0x01010101);
    assert_int_equal(p.layers[2].u.ospf.iface_mtu, 0);
}

/* An unknown version, a packet length shorter than the header, a DBD
 * length shorter than its fixed fields: bad-ospf, and no MTU read. */
static void test_bad_ospf(void **state)
{
    (void)state;
    struct {
        const char *name;
        uint8_t version;
        uint16_t len;
    } cases[] = {{"version 4", 4, 0},
                 {"v2 length 20", 2, 20},
                 {"v3 dbd length 20", 3, 20},
                 {"v2 dbd length 28", 2, 28}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pb b;
        struct packet p;
        pb_ospf(&b, cases[i].version == 4 ? 2 : cases[i].version, OSPF_DBD, 1, 1500, 7, 1, 0,
                cases[i].len);
        pb_data(&b)[0] = cases[i].version;
        pb_ipv4(&b, IP_PROTO_OSPF, "10.0.0.1", "10.0.0.2", 0);
        pb_eth(&b, ETH_TYPE_IP);
        tu_decode(&p, DLT_EN10MB, &b);
        tu_assert_stack(&p, "eth/ipv4/ospf");
        if (p.anomalies != BIT(AN_BAD_OSPF))
            print_error("case %s: anomalies %llx\n", cases[i].name,
                        (unsigned long long)p.anomalies);
        assert_int_equal(p.anomalies, BIT(AN_BAD_OSPF));
        assert_int_equal(p.layers[2].u.ospf.iface_mtu, 0);
    }
}

/* Cut at every byte, snapped and whole: an MTU only when the DBD's fixed
 * fields were captured whole, never a crash. */
static void test_dbd_truncation_every_offset(void **state)
{
    (void)state;
    for (int v = 2; v <= 3; v++) {
        struct pb b;
        pb_ospf(&b, (uint8_t)v, OSPF_DBD, 1, 1496, 7, 1, 0, 0);
        if (v == 2)
            pb_ipv4(&b, IP_PROTO_OSPF, "10.0.0.1", "10.0.0.2", 0);
        else
            pb_ipv6(&b, IP_PROTO_OSPF, "fe80::1", "fe80::2");
        pb_eth(&b, v == 2 ? ETH_TYPE_IP : ETH_TYPE_IPV6);
        size_t whole = pb_len(&b);
        for (size_t n = 0; n < whole; n++)
            for (int snapped = 0; snapped < 2; snapped++) {
                struct packet p;
                tu_decode_prefix(&p, DLT_EN10MB, &b, n, snapped ? whole : n);
                int l = pkt_find(&p, LAYER_OSPF, 0);
                if (l >= 0)
                    assert_int_equal(p.layers[l].u.ospf.iface_mtu, 0);
                assert_true(p.anomalies != 0);
            }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dbd_cases),
        cmocka_unit_test(test_hello_has_no_mtu),
        cmocka_unit_test(test_bad_ospf),
        cmocka_unit_test(test_dbd_truncation_every_offset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
