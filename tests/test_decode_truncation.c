/*
 * test_decode_truncation.c - whole frames through tunnels, cut at every length.
 *
 * Each packet is decoded at every caplen from 0 to its full length, twice:
 *  - wirelen = full length (the snap length cut it): AN_TRUNCATED and nothing
 *    else, at every cut;
 *  - wirelen = caplen (the frame on the wire really was that short): the
 *    anomaly the outermost layer whose declared length overruns the frame
 *    raises, asserted exactly below;
 * and at full length: no anomaly, the full stack.  ASan and UBSan watch every
 * read.  These need every decoder from Ethernet to TCP, not only tunnels.
 */
#include "testutil.h"

#define AN(a) (1ull << (a))

/* libdnet's *_pack_hdr write through struct pointers: headers prepended after
 * an odd-sized one (Ethernet) would be misaligned, so the packet built so far
 * is moved back to the aligned start of the buffer first. */
static void pb_rebase(struct pb *b)
{
    static uint8_t tmp[PB_SIZE];
    size_t n = pb_len(b);
    memcpy(tmp, pb_data(b), n);
    pb_init(b);
    pb_append(b, tmp, n);
}

/* MSS 1460, SACK permitted, timestamps, NOP, window scale 7: 20 bytes */
static const uint8_t tcp_opts[] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0,
                                   0, 1, 0,    0,    0, 2, 1, 3,  3, 7};

/* Eth/IPv4/UDP(4789)/VXLAN/Eth/IPv6/TCP(options)/100 bytes */
static void build_vxlan_v6(struct pb *b)
{
    pb_init(b);
    pb_fill(b, 100, 'p');
    pb_tcp_opts(b, 40000, 443, 0x01020304, 0x0a0b0c0d, TH_ACK | TH_PUSH, tcp_opts, sizeof tcp_opts);
    pb_ipv6(b, IP_PROTO_TCP, "2001:db8:a::1", "2001:db8:b::2");
    pb_eth(b, ETH_TYPE_IPV6);
    pb_rebase(b);
    pb_vxlan(b, 4242);
    pb_udp(b, 50000, 4789);
    pb_ipv4(b, IP_PROTO_UDP, "192.0.2.10", "198.51.100.20", IP_DF);
    pb_eth(b, ETH_TYPE_IP);
}

/* Eth/IPv6/UDP/WireGuard data: a 100-byte inner packet padded to 112, + 32 */
static void build_wg_v6(struct pb *b)
{
    pb_init(b);
    uint8_t m[144];
    for (size_t i = 0; i < sizeof m; i++)
        m[i] = (uint8_t)(i * 7 + 1);
    m[0] = 4;
    m[1] = m[2] = m[3] = 0;
    pb_append(b, m, sizeof m);
    pb_udp(b, 51820, 51820);
    pb_ipv6(b, IP_PROTO_UDP, "2001:db8:1::1", "2001:db8:2::2");
    pb_eth(b, ETH_TYPE_IPV6);
}

/* Eth/IPv4/GRE(key)/IPv4/TCP/60 bytes */
static void build_gre_key(struct pb *b)
{
    pb_init(b);
    pb_fill(b, 60, 'g');
    pb_tcp(b, 22, 50000, 7, 9, TH_ACK);
    pb_ipv4(b, IP_PROTO_TCP, "10.9.0.1", "10.9.0.2", IP_DF);
    uint8_t *h = pb_prepend(b, 8);
    pb_be16(h, 0x2000); /* K */
    pb_be16(h + 2, ETH_TYPE_IP);
    pb_be32(h + 4, 0x00c0ffee);
    pb_ipv4(b, IP_PROTO_GRE, "192.0.2.1", "203.0.113.9", IP_DF);
    pb_eth(b, ETH_TYPE_IP);
}

/*
 * The anomaly of a frame that really ends after `caplen` bytes.  Every IP,
 * UDP and tunnel length in these packets is consistent with the full frame,
 * so cutting the frame leaves the outermost IP length claiming bytes that
 * are not there.  When the cut falls inside a header (before `hdr_end`, where
 * the innermost header ends) a header the lengths say is there is missing:
 * AN_SHORT_FRAME.  When every header is whole and only payload is missing,
 * the IP length is what overran the frame: AN_IP_LEN_BEYOND_FRAME, and the
 * packet is clamped to the frame (decode_ip.c).  No layer's length field
 * contradicts another (that would be AN_BAD_IP_TOTAL_LEN, AN_BAD_UDP_LEN, ...).
 * `bare`: where a UDP payload recognised by its content (not its port)
 * starts; a cut in its first 4 bytes leaves too little to recognise it
 * (wireguard_looks_like() reads 4), so it is payload, and only payload is
 * missing (SIZE_MAX: none).
 */
static uint64_t short_frame_anomaly(size_t caplen, size_t hdr_end, size_t bare)
{
    if (caplen < hdr_end && !(caplen >= bare && caplen - bare < 4))
        return AN(AN_SHORT_FRAME);
    return AN(AN_IP_LEN_BEYOND_FRAME);
}

static void sweep(struct pb *b, const char *full_stack, size_t hdr_end, size_t bare)
{
    struct packet p;
    size_t full = pb_len(b);
    for (size_t cap = 0; cap < full; cap++) {
        tu_decode_buf(&p, DLT_EN10MB, pb_data(b), cap, full);
        if (p.anomalies != AN(AN_TRUNCATED)) {
            char s[512];
            pkt_describe(&p, s, sizeof s);
            print_error("snapped at %zu of %zu: %s, anomalies %#llx\n", cap, full, s,
                        (unsigned long long)p.anomalies);
        }
        assert_int_equal(p.anomalies, AN(AN_TRUNCATED));
        assert_true(p.nlayers >= 1);
        /* the innermost layer decoded is the one the cut ran into */
        assert_true(p.layers[p.nlayers - 1].flags & LF_TRUNCATED);

        tu_decode_buf(&p, DLT_EN10MB, pb_data(b), cap, cap);
        if (p.anomalies != short_frame_anomaly(cap, hdr_end, bare)) {
            char s[512];
            pkt_describe(&p, s, sizeof s);
            print_error("frame of %zu of %zu: %s, anomalies %#llx\n", cap, full, s,
                        (unsigned long long)p.anomalies);
        }
        assert_int_equal(p.anomalies, short_frame_anomaly(cap, hdr_end, bare));
    }
    tu_decode_buf(&p, DLT_EN10MB, pb_data(b), full, full);
    tu_assert_stack(&p, full_stack);
    assert_no_anomalies(&p);
}

static void test_vxlan_ipv6_tcp(void **state)
{
    (void)state;
    static struct pb b;
    build_vxlan_v6(&b);
    assert_int_equal(pb_len(&b), 14 + 20 + 8 + 8 + 14 + 40 + 40 + 100);
    sweep(&b, "eth/ipv4/udp/vxlan/eth/ipv6/tcp", 14 + 20 + 8 + 8 + 14 + 40 + 40, SIZE_MAX);

    struct packet p;
    tu_decode(&p, DLT_EN10MB, &b);
    assert_int_equal(p.layers[3].u.vxlan.vni, 4242);
    assert_int_equal(p.layers[6].u.tcp.payload_len, 100);
    assert_int_equal(p.layers[6].u.tcp.mss, 1460);
    assert_int_equal(p.layers[6].tunnel, 1);
}

static void test_wireguard_ipv6(void **state)
{
    (void)state;
    static struct pb b;
    build_wg_v6(&b);
    /* WireGuard is found by its content on any port; its ciphertext is the
     * layer's own (decode_vpn.c), so a cut anywhere in it is a short frame */
    sweep(&b, "eth/ipv6/udp/wg", pb_len(&b), 14 + 40 + 8);

    struct packet p;
    tu_decode(&p, DLT_EN10MB, &b);
    assert_int_equal(p.layers[3].u.wg.msg_type, WG_DATA);
    assert_int_equal(p.layers[3].u.wg.inner_len, 112);
}

static void test_gre_key(void **state)
{
    (void)state;
    static struct pb b;
    build_gre_key(&b);
    sweep(&b, "eth/ipv4/gre/ipv4/tcp", 14 + 20 + 8 + 20 + 20, SIZE_MAX);

    struct packet p;
    tu_decode(&p, DLT_EN10MB, &b);
    assert_int_equal(p.layers[2].u.gre.key, 0x00c0ffee);
    assert_int_equal(p.layers[2].u.gre.hdr_len, 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vxlan_ipv6_tcp),
        cmocka_unit_test(test_wireguard_ipv6),
        cmocka_unit_test(test_gre_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
