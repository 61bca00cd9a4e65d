/* test_tunnels.c - the tunnel facts table (tunnels.c): overheads per outer
 * IP version from the protocols' header sizes, names, and which tunnels
 * hide their inner packets. */
#include "testutil.h"

#include "tunnels.h"

/* Table-driven: (layer, outer IP version, measured, want), each from the
 * header sizes in the protocol's RFC or whitepaper. */
static void test_overheads_follow_the_headers(void **state)
{
    (void)state;
    static const struct {
        uint8_t layer;
        int v;
        uint32_t measured, want;
    } cases[] = {
        /* WireGuard: IP + UDP 8 + type/reserved/receiver/counter 16 + Poly1305 tag 16 */
        {LAYER_WIREGUARD, 4, 0, 60},
        {LAYER_WIREGUARD, 6, 0, 80},
        /* VXLAN (RFC 7348): IP + UDP 8 + VXLAN 8 + inner Ethernet 14 */
        {LAYER_VXLAN, 4, 0, 50},
        {LAYER_VXLAN, 6, 0, 70},
        /* IP in IP (RFC 2003), 6in4 (RFC 4213), 4in6 (RFC 2473): the outer header */
        {LAYER_IPV4, 4, 0, 20},
        {LAYER_IPV6, 6, 0, 40},
        /* GRE's options vary per tunnel (RFC 2890): what was measured */
        {LAYER_GRE, 4, 28, 28},
        {LAYER_GENEVE, 6, 78, 78},
        {LAYER_ESP, 4, 57, 57},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(tunnel_overhead_bytes(cases[i].layer, cases[i].v, cases[i].measured),
                         cases[i].want);
}

/* The tunnel MTU over an exactly known underlay: the path less the headers,
 * each row from the protocol's header sizes (the textbook values on a
 * 1500-byte path: VXLAN 1450, GRE 1476, IPIP 1480, WireGuard 1420 over IPv6). */
static void test_tunnel_mtu_is_the_pinned_underlay_less_the_headers(void **state)
{
    (void)state;
    static const struct {
        uint8_t layer;
        int v;
        uint32_t measured;
        bool udp;
        uint32_t path, want;
    } cases[] = {
        {LAYER_VXLAN, 4, 0, false, 1500, 1450},
        {LAYER_VXLAN, 6, 0, false, 1500, 1430},
        {LAYER_VXLAN, 4, 0, false, 1400, 1350},
        /* GENEVE: 50 without options, each option (here 8 bytes) more */
        {LAYER_GENEVE, 4, 50, false, 1500, 1450},
        {LAYER_GENEVE, 4, 58, false, 1500, 1442},
        /* GRE 4 bytes, + 4 each for its key, sequence number and checksum */
        {LAYER_GRE, 4, 24, false, 1500, 1476},
        {LAYER_GRE, 4, 28, false, 1500, 1472},
        {LAYER_GRE, 4, 36, false, 1500, 1464},
        {LAYER_GRE, 6, 44, false, 1500, 1456},
        /* IPIP and 6in4: the outer IPv4 header; 4in6: the outer IPv6 */
        {LAYER_IPV4, 4, 0, false, 1500, 1480},
        {LAYER_IPV6, 4, 0, false, 1500, 1480},
        {LAYER_IPV4, 6, 0, false, 1500, 1460},
        /* WireGuard: padding stops at the MTU, so no rounding */
        {LAYER_WIREGUARD, 4, 0, false, 1500, 1440},
        {LAYER_WIREGUARD, 6, 0, false, 1500, 1420},
        {LAYER_WIREGUARD, 4, 0, false, 1434, 1374},
        /* ESP, AES-CBC + SHA-256: 20 + 8 + 16 + 16 and the block: 1438
         * (Cisco's and strongSwan's figure); in UDP (NAT-T) 1422 */
        {LAYER_ESP, 4, 0, false, 1500, 1438},
        {LAYER_ESP, 4, 0, true, 1500, 1422},
        {LAYER_ESP, 6, 0, false, 1500, 1406},
        {LAYER_ESP, 4, 0, false, 1400, 1326},
        /* nothing of 68 bytes fits: no value */
        {LAYER_VXLAN, 4, 0, false, 100, 0},
        {LAYER_VXLAN, 4, 0, false, 40, 0},
        {LAYER_ESP, 4, 0, false, 62, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(tunnel_mtu_for_path(cases[i].layer, cases[i].v, cases[i].measured,
                                             cases[i].udp, cases[i].path),
                         cases[i].want);
}

/* Linux names IP-in-IP devices by the two IP versions. */
static void test_ip_in_ip_named_as_linux_does(void **state)
{
    (void)state;
    assert_string_equal(tunnel_type_name(LAYER_IPV4, 4, 4), "ipip");
    assert_string_equal(tunnel_type_name(LAYER_IPV6, 4, 6), "sit");
    assert_string_equal(tunnel_type_name(LAYER_IPV4, 6, 4), "ipip6");
    assert_string_equal(tunnel_type_name(LAYER_IPV6, 6, 6), "ip6ip6");
    assert_string_equal(tunnel_type_name(LAYER_WIREGUARD, 4, 0), "wireguard");
    assert_null(tunnel_type_name(LAYER_TCP, 4, 0));
}

/* Encrypted tunnels hide their inner packets: the receiver-side TCP rules
 * cannot see inside them. */
static void test_opaque_tunnels_are_the_encrypted_ones(void **state)
{
    (void)state;
    assert_true(tunnel_fact(LAYER_WIREGUARD)->opaque);
    assert_true(tunnel_fact(LAYER_ESP)->opaque);
    assert_true(tunnel_fact(LAYER_OPENVPN)->opaque);
    assert_false(tunnel_fact(LAYER_VXLAN)->opaque);
    assert_false(tunnel_fact(LAYER_GRE)->opaque);
    assert_int_equal(tunnel_fact(LAYER_WIREGUARD)->pad_to, 16);
    assert_int_equal(tunnel_fact(LAYER_WIREGUARD)->how, TUNNEL_SET_WG_CONFIG);
}

/* A usual MTU plus the overhead it assumes is the 1500-byte Ethernet path
 * it was chosen for (WireGuard's 1420 also fits IPv6's 80: 1500). */
static void test_usual_mtus_fill_a_1500_byte_path(void **state)
{
    (void)state;
    int n;
    const struct tunnel_fact *f = tunnel_facts_all(&n);
    int with = 0;
    for (int i = 0; i < n; i++) {
        if (!f[i].usual_mtu)
            continue;
        with++;
        assert_non_null(f[i].usual_what);
        if (f[i].layer == LAYER_WIREGUARD)
            assert_int_equal(f[i].usual_mtu + 80, 1500);
        else
            assert_int_equal(f[i].usual_mtu + f[i].usual_overhead, 1500);
    }
    assert_int_equal(with, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overheads_follow_the_headers),
        cmocka_unit_test(test_tunnel_mtu_is_the_pinned_underlay_less_the_headers),
        cmocka_unit_test(test_ip_in_ip_named_as_linux_does),
        cmocka_unit_test(test_opaque_tunnels_are_the_encrypted_ones),
        cmocka_unit_test(test_usual_mtus_fill_a_1500_byte_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
