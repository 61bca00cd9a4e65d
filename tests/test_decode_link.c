/*
 * test_decode_link.c - Ethernet II and 802.3/LLC/SNAP, Linux cooked v1/v2,
 * BSD NULL/LOOP and PPP.
 *
 * Two groups.  The first checks only what decode_link.c itself decides: its
 * fields, its anomalies, where the next layer starts and which one it is; it
 * passes whether or not the IP and transport decoders are written yet.  The
 * second ("full stacks") checks whole decodes down to TCP and so also depends
 * on decode_ip.c and decode_transport.c.
 */
#include <stdlib.h>

#include "testutil.h"

#include "decode_link.h"

#define PAYLOAD 10
#define IP_TCP_LEN (IP_HDR_LEN + TCP_HDR_LEN + PAYLOAD)

#define BIT(a) (1ull << (a))

static const uint8_t mac_dst[6] = {0x02, 0, 0, 0, 0, 0x02};
static const uint8_t mac_src[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t sll_addr[8] = {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef, 0, 0};

/* ---- builders ---- */

static void pb_ipv4_tcp(struct pb *b)
{
    pb_init(b);
    pb_fill(b, PAYLOAD, 'x');
    pb_tcp(b, 40000, 443, 1000, 2000, TH_ACK | TH_PUSH);
    pb_ipv4(b, IP_PROTO_TCP, "192.0.2.1", "198.51.100.2", IP_DF);
}

static void pb_ipv6_tcp(struct pb *b)
{
    pb_init(b);
    pb_fill(b, PAYLOAD, 'x');
    pb_tcp(b, 40000, 443, 1000, 2000, TH_ACK);
    pb_ipv6(b, IP_PROTO_TCP, "2001:db8::1", "2001:db8::2");
}

/* 802.3 header + LLC/SNAP in front of what is in the buffer; the length
 * field counts the LLC header and the payload. */
static void pb_eth_snap(struct pb *b, uint32_t oui, uint16_t type)
{
    uint8_t *h = pb_prepend(b, 8);
    h[0] = 0xaa, h[1] = 0xaa, h[2] = 0x03;
    h[3] = (uint8_t)(oui >> 16), h[4] = (uint8_t)(oui >> 8), h[5] = (uint8_t)oui;
    pb_be16(h + 6, type);
    pb_eth(b, (uint16_t)pb_len(b));
}

static void pb_sll(struct pb *b, uint16_t pkttype, uint16_t hatype, uint16_t halen, uint16_t proto)
{
    uint8_t *h = pb_prepend(b, 16);
    pb_be16(h, pkttype);
    pb_be16(h + 2, hatype);
    pb_be16(h + 4, halen);
    memcpy(h + 6, sll_addr, 8);
    pb_be16(h + 14, proto);
}

static void pb_sll2(struct pb *b, uint16_t proto, uint32_t ifindex, uint16_t hatype,
                    uint8_t pkttype, uint8_t halen)
{
    uint8_t *h = pb_prepend(b, 20);
    pb_be16(h, proto);
    pb_be32(h + 4, ifindex);
    pb_be16(h + 8, hatype);
    h[10] = pkttype;
    h[11] = halen;
    memcpy(h + 12, sll_addr, 8);
}

/* 4-byte loopback family, in the byte order given. */
static void pb_loop(struct pb *b, uint32_t family, bool big_endian)
{
    uint8_t *h = pb_prepend(b, 4);
    if (big_endian) {
        pb_be32(h, family);
    } else {
        h[0] = (uint8_t)family, h[1] = (uint8_t)(family >> 8);
        h[2] = (uint8_t)(family >> 16), h[3] = (uint8_t)(family >> 24);
    }
}

/* ---- checks ---- */

/* Decodes a copy of exactly caplen bytes, so that ASan sees any read past
 * the captured part. */
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

/* The stack starts with `prefix`, whole layer names only; the last one may
 * be marked truncated (it belongs to another decoder, or the caller checks
 * the flags itself). */
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

static void assert_next_layer(const struct packet *p, enum layer_type t, uint32_t offset)
{
    int i = pkt_find(p, t, 1);
    assert_true(i >= 1);
    assert_int_equal(p->layers[i].offset, offset);
    assert_int_equal(p->layers[i].tunnel, 0);
}

/* ---- Ethernet ---- */

static void test_eth_ii(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    pb_ipv4_tcp(&b);
    pb_eth(&b, ETH_TYPE_IP);
    tu_decode(&p, DLT_EN10MB, &b);
    assert_prefix(&p, "eth/ipv4");
    assert_no_anomalies(&p);
    const struct layer *l = &p.layers[0];
    assert_int_equal(l->offset, 0);
    assert_int_equal(l->flags, 0);
    assert_memory_equal(l->u.eth.dst, mac_dst, 6);
    assert_memory_equal(l->u.eth.src, mac_src, 6);
    assert_int_equal(l->u.eth.ethertype, 0x0800);
    assert_int_equal(l->u.eth.llc_len, 0);
    assert_int_equal(l->u.eth.snap_type, 0);
    assert_next_layer(&p, LAYER_IPV4, 14);

    pb_ipv6_tcp(&b);
    pb_eth(&b, ETH_TYPE_IPV6);
    tu_decode(&p, DLT_EN10MB, &b);
    assert_prefix(&p, "eth/ipv6");
    assert_no_anomalies(&p);
    assert_int_equal(p.layers[0].u.eth.ethertype, 0x86dd);
    assert_next_layer(&p, LAYER_IPV6, 14);
}

static void test_eth_other_ethertypes(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    /* ARP, and 0x0600 (XNS), the smallest value that is a type, not a length */
    static const uint16_t types[] = {0x0806, 0x0600, 0x88cc};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        pb_init(&b);
        pb_fill(&b, 46, 0);
        pb_eth(&b, types[i]);
        tu_decode(&p, DLT_EN10MB, &b);
        tu_assert_stack(&p, "eth");
        assert_no_anomalies(&p);
        assert_int_equal(p.layers[0].u.eth.ethertype, types[i]);
        assert_int_equal(p.layers[0].u.eth.llc_len, 0);
    }
}

static void test_eth_8023_snap(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    pb_ipv4_tcp(&b);
    pb_eth_snap(&b, 0x000000, ETH_TYPE_IP);
    pb_fill(&b, 4, 0xee); /* an FCS or padding after the 802.3 length */
    tu_decode(&p, DLT_EN10MB, &b);
    assert_prefix(&p, "eth/ipv4");
    assert_no_anomalies(&p);
    assert_int_equal(p.layers[0].u.eth.ethertype, 8 + IP_TCP_LEN);
    assert_int_equal(p.layers[0].u.eth.llc_len, 8);
    assert_int_equal(p.layers[0].u.eth.snap_type, 0x0800);
    assert_next_layer(&p, LAYER_IPV4, 22);

    /* IEEE 802.1H bridge-tunnel OUI: also an ethertype */
    pb_ipv6_tcp(&b);
    pb_eth_snap(&b, 0x0000f8, ETH_TYPE_IPV6);
    tu_decode(&p, DLT_EN10MB, &b);
    assert_prefix(&p, "eth/ipv6");
    assert_no_anomalies(&p);
    assert_next_layer(&p, LAYER_IPV6, 22);

    /* Cisco's OUI numbers its own protocols: 0x2000 is CDP, not followed,
     * and neither is an id that happens to equal an ethertype */
    pb_ipv4_tcp(&b);
    pb_eth_snap(&b, 0x00000c, 0x0800);
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth");
    assert_no_anomalies(&p);
    assert_int_equal(p.layers[0].u.eth.snap_type, 0x0800);
    assert_int_equal(p.layers[0].u.eth.llc_len, 8);
}

/* The payload handed on is cut to the 802.3 length: a VLAN tag half inside
 * the length is short even though the frame holds the rest of it. */
static void test_eth_8023_length_limits_payload(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    pb_init(&b);
    uint8_t *h = pb_prepend(&b, 8 + 2);
    h[0] = 0xaa, h[1] = 0xaa, h[2] = 0x03;
    pb_be16(h + 6, ETH_TYPE_8021Q);
    pb_be16(h + 8, 0x0064);
    pb_eth(&b, (uint16_t)pb_len(&b));
    pb_fill(&b, 40, 0x08); /* would complete the tag if the length were ignored */
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/vlan!");
    assert_int_equal(p.anomalies, BIT(AN_SHORT_FRAME));
}

static void test_eth_8023_llc_not_snap(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    /* spanning tree: DSAP/SSAP 0x42, UI */
    pb_init(&b);
    static const uint8_t stp[] = {0x42, 0x42, 0x03, 0, 0, 0, 0};
    pb_append(&b, stp, sizeof stp);
    pb_eth(&b, (uint16_t)pb_len(&b));
    pb_fill(&b, 39, 0); /* padding to 60 bytes */
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth");
    assert_no_anomalies(&p);
    assert_int_equal(p.layers[0].u.eth.ethertype, 7);
    assert_int_equal(p.layers[0].u.eth.llc_len, 3);
    assert_int_equal(p.layers[0].u.eth.snap_type, 0);

    /* an I-format frame (control low bit 0) has a 2-byte control field */
    pb_init(&b);
    static const uint8_t iframe[] = {0xf0, 0xf0, 0x00, 0x02, 0xab};
    pb_append(&b, iframe, sizeof iframe);
    pb_eth(&b, (uint16_t)pb_len(&b));
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth");
    assert_no_anomalies(&p);
    assert_int_equal(p.layers[0].u.eth.llc_len, 4);

    /* SNAP SAPs without the UI control: not SNAP */
    pb_init(&b);
    static const uint8_t notui[] = {0xaa, 0xaa, 0x13, 0, 0, 0, 0x08, 0x00, 0x45};
    pb_append(&b, notui, sizeof notui);
    pb_eth(&b, (uint16_t)pb_len(&b));
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth");
    assert_no_anomalies(&p);
    assert_int_equal(p.layers[0].u.eth.llc_len, 3);
    assert_int_equal(p.layers[0].u.eth.snap_type, 0);
}

static void test_eth_bad_length_type(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    /* 1501..1535 are neither a length nor a type */
    static const uint16_t bad[] = {1501, 0x05ff};
    for (size_t i = 0; i < 2; i++) {
        pb_init(&b);
        pb_fill(&b, 1600, 0xaa);
        pb_eth(&b, bad[i]);
        tu_decode(&p, DLT_EN10MB, &b);
        tu_assert_stack(&p, "eth");
        assert_int_equal(p.anomalies, BIT(AN_BAD_LINK_HDR));
        assert_int_equal(p.layers[0].flags, LF_MALFORMED);
        assert_int_equal(p.layers[0].u.eth.ethertype, bad[i]);
    }
    /* 1500 is a length: LLC (here SNAP/IPv4) follows */
    pb_init(&b);
    uint8_t *h = pb_prepend(&b, 8);
    h[0] = 0xaa, h[1] = 0xaa, h[2] = 0x03;
    pb_be16(h + 6, 0x0800);
    pb_fill(&b, 1492, 0x45);
    pb_eth(&b, 1500);
    tu_decode(&p, DLT_EN10MB, &b);
    assert_prefix(&p, "eth/ipv4");
    assert_int_equal(p.layers[0].u.eth.llc_len, 8);
}

/* The 802.3 length says more than the frame holds. */
static void test_eth_8023_length_overrun(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    pb_ipv4_tcp(&b);
    pb_eth_snap(&b, 0, ETH_TYPE_IP);
    pb_data(&b)[12] = 0x05, pb_data(&b)[13] = 0xdc; /* 1500 */

    /* whole frame: the field is wrong; still decode what is there */
    tu_decode(&p, DLT_EN10MB, &b);
    assert_prefix(&p, "eth/ipv4");
    assert_int_equal(p.anomalies & BIT(AN_BAD_LINK_HDR), BIT(AN_BAD_LINK_HDR));
    assert_false(pkt_has_anomaly(&p, AN_TRUNCATED));
    assert_int_equal(p.layers[0].flags, LF_MALFORMED);
    assert_next_layer(&p, LAYER_IPV4, 22);

    /* snapped frame: that is truncation, not a bad field */
    tu_decode_buf(&p, DLT_EN10MB, pb_data(&b), pb_len(&b), 14 + 1500);
    assert_prefix(&p, "eth!/ipv4");
    assert_anomaly(&p, AN_TRUNCATED);
    assert_false(pkt_has_anomaly(&p, AN_BAD_LINK_HDR));
    assert_int_equal(p.layers[0].flags, LF_TRUNCATED);
}

/* The 802.3 length cannot even hold the LLC header it announces. */
static void test_eth_8023_length_too_small(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    static const uint16_t lens[] = {0, 2, 5, 7}; /* < 3: no LLC; < 8: no SNAP */
    for (size_t i = 0; i < 4; i++) {
        pb_ipv4_tcp(&b);
        pb_eth_snap(&b, 0, ETH_TYPE_IP);
        pb_data(&b)[12] = 0, pb_data(&b)[13] = (uint8_t)lens[i];
        tu_decode(&p, DLT_EN10MB, &b);
        tu_assert_stack(&p, "eth");
        assert_int_equal(p.anomalies, BIT(AN_BAD_LINK_HDR));
        assert_int_equal(p.layers[0].flags, LF_MALFORMED);
    }
}

/* Every cut of an 802.3/SNAP/IPv4/TCP frame, snapped and whole. */
static void test_eth_8023_truncation_every_offset(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    pb_ipv4_tcp(&b);
    pb_eth_snap(&b, 0, ETH_TYPE_IP);
    size_t total = pb_len(&b);
    assert_int_equal(total, 22 + IP_TCP_LEN);
    for (size_t n = 0; n < total; n++) {
        decode_exact(&p, DLT_EN10MB, pb_data(&b), n, total);
        if (n < 22) {
            tu_assert_stack(&p, "eth!");
            assert_int_equal(p.anomalies, BIT(AN_TRUNCATED));
        } else {
            assert_prefix(&p, "eth!/ipv4");
            assert_anomaly(&p, AN_TRUNCATED);
        }
        assert_int_equal(p.layers[0].flags, LF_TRUNCATED);

        decode_exact(&p, DLT_EN10MB, pb_data(&b), n, n);
        if (n < 14) {
            tu_assert_stack(&p, "eth!");
            assert_int_equal(p.anomalies, BIT(AN_SHORT_FRAME));
            assert_int_equal(p.layers[0].flags, LF_TRUNCATED);
        } else if (n < 22) {
            /* the length overruns the frame and the frame ends in the LLC */
            tu_assert_stack(&p, "eth!");
            assert_int_equal(p.anomalies, BIT(AN_SHORT_FRAME) | BIT(AN_BAD_LINK_HDR));
            assert_int_equal(p.layers[0].flags, LF_TRUNCATED | LF_MALFORMED);
        } else {
            assert_prefix(&p, "eth/ipv4");
            assert_anomaly(&p, AN_BAD_LINK_HDR);
            assert_false(pkt_has_anomaly(&p, AN_TRUNCATED));
            assert_int_equal(p.layers[0].flags, LF_MALFORMED);
        }
    }
}

static void test_eth_ii_truncation_every_offset(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    pb_ipv4_tcp(&b);
    pb_eth(&b, ETH_TYPE_IP);
    for (size_t n = 0; n < 14; n++) {
        decode_exact(&p, DLT_EN10MB, pb_data(&b), n, pb_len(&b));
        tu_assert_stack(&p, "eth!");
        assert_int_equal(p.anomalies, BIT(AN_TRUNCATED));
        decode_exact(&p, DLT_EN10MB, pb_data(&b), n, n);
        tu_assert_stack(&p, "eth!");
        assert_int_equal(p.anomalies, BIT(AN_SHORT_FRAME));
    }
    for (size_t n = 14; n < pb_len(&b); n++) {
        decode_exact(&p, DLT_EN10MB, pb_data(&b), n, pb_len(&b));
        assert_prefix(&p, "eth/ipv4");
        assert_int_equal(p.layers[0].flags, 0); /* Ethernet II has no length */
    }
}

/* decode_eth() from a tunnel, inside an ICMP quote: a length overrun is
 * expected there and is not counted. */
static void test_eth_quoted_overrun_not_counted(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    pb_ipv4_tcp(&b);
    pb_eth_snap(&b, 0, ETH_TYPE_IP);
    pb_data(&b)[12] = 0x05, pb_data(&b)[13] = 0xdc;
    memset(&p, 0, sizeof p);
    p.caplen = p.wirelen = (uint32_t)pb_len(&b);
    struct dstate d = {&p, pb_data(&b), 2, LF_QUOTED, 0};
    decode_eth(&d, cur_make(pb_data(&b), 30));
    assert_no_anomalies(&p);
    assert_int_equal(p.layers[0].type, LAYER_ETH);
    assert_int_equal(p.layers[0].flags, LF_QUOTED | LF_TRUNCATED);
    assert_int_equal(p.layers[0].tunnel, 2);
}

/* ---- Linux cooked ---- */

static void test_sll_v1(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    pb_ipv4_tcp(&b);
    pb_sll(&b, 4, 1, 6, ETH_TYPE_IP);
    tu_decode(&p, DLT_LINUX_SLL, &b);
    assert_prefix(&p, "sll/ipv4");
    assert_no_anomalies(&p);
    const struct sll_info *s = &p.layers[0].u.sll;
    assert_int_equal(s->pkttype, 4);
    assert_int_equal(s->hatype, 1);
    assert_int_equal(s->proto, 0x0800);
    assert_int_equal(s->ifindex, 0);
    assert_int_equal(s->addr_len, 6);
    assert_memory_equal(s->addr, sll_addr, 6);
    assert_int_equal(s->addr[6], 0);
    assert_next_layer(&p, LAYER_IPV4, 16);

    /* an InfiniBand address (20 bytes) is cut to the 8 the header holds */
    pb_ipv6_tcp(&b);
    pb_sll(&b, 0, 32, 20, ETH_TYPE_IPV6);
    tu_decode(&p, DLT_LINUX_SLL, &b);
    assert_prefix(&p, "sll/ipv6");
    assert_int_equal(p.layers[0].u.sll.addr_len, 8);
    assert_memory_equal(p.layers[0].u.sll.addr, sll_addr, 8);
    assert_next_layer(&p, LAYER_IPV6, 16);

    /* no address at all (a tun device): the field is zeroed */
    pb_ipv4_tcp(&b);
    pb_sll(&b, 0, 65534, 0, ETH_TYPE_IP);
    tu_decode(&p, DLT_LINUX_SLL, &b);
    assert_prefix(&p, "sll/ipv4");
    assert_int_equal(p.layers[0].u.sll.addr_len, 0);
    assert_int_equal(p.layers[0].u.sll.addr[0], 0);
    assert_int_equal(p.layers[0].u.sll.hatype, 65534);
}

static void test_sll_v2(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    pb_ipv4_tcp(&b);
    pb_sll2(&b, ETH_TYPE_IP, 0x01020304, 1, 3, 6);
    tu_decode(&p, DLT_LINUX_SLL2, &b);
    assert_prefix(&p, "sll2/ipv4");
    assert_no_anomalies(&p);
    const struct sll_info *s = &p.layers[0].u.sll;
    assert_int_equal(s->proto, 0x0800);
    assert_int_equal(s->ifindex, 0x01020304);
    assert_int_equal(s->hatype, 1);
    assert_int_equal(s->pkttype, 3);
    assert_int_equal(s->addr_len, 6);
    assert_memory_equal(s->addr, sll_addr, 6);
    assert_next_layer(&p, LAYER_IPV4, 20);

    pb_ipv6_tcp(&b);
    pb_sll2(&b, ETH_TYPE_IPV6, 7, 1, 0, 6);
    tu_decode(&p, DLT_LINUX_SLL2, &b);
    assert_prefix(&p, "sll2/ipv6");
    assert_next_layer(&p, LAYER_IPV6, 20);
}

/* Linux's own protocol numbers below 0x0600, and netlink, end the decode. */
static void test_sll_special_protocols(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    static const uint16_t special[] = {0x0001, 0x0003, 0x0004, 0x000c, 0x000d, 0x05ff};
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) {
        pb_ipv4_tcp(&b); /* an IPv4 packet that must not be decoded */
        pb_sll(&b, 0, 1, 6, special[i]);
        tu_decode(&p, DLT_LINUX_SLL, &b);
        tu_assert_stack(&p, "sll");
        assert_no_anomalies(&p);
        assert_int_equal(p.layers[0].u.sll.proto, special[i]);

        pb_ipv4_tcp(&b);
        pb_sll2(&b, special[i], 1, 1, 0, 6);
        tu_decode(&p, DLT_LINUX_SLL2, &b);
        tu_assert_stack(&p, "sll2");
        assert_no_anomalies(&p);
    }

    /* ARPHRD_NETLINK: the field is a netlink family, whatever its value */
    pb_ipv4_tcp(&b);
    pb_sll(&b, 4, 824, 0, 0x0800);
    tu_decode(&p, DLT_LINUX_SLL, &b);
    tu_assert_stack(&p, "sll");
    assert_no_anomalies(&p);
    assert_int_equal(p.layers[0].u.sll.hatype, 824);

    pb_ipv4_tcp(&b);
    pb_sll2(&b, 0x0800, 1, 824, 4, 0);
    tu_decode(&p, DLT_LINUX_SLL2, &b);
    tu_assert_stack(&p, "sll2");
    assert_no_anomalies(&p);
}

/* ARPHRD_IPGRE (778): the field is a GRE protocol type, i.e. an ethertype. */
static void test_sll_ipgre(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    pb_ipv4_tcp(&b);
    pb_sll(&b, 0, 778, 4, 0x0800);
    tu_decode(&p, DLT_LINUX_SLL, &b);
    assert_prefix(&p, "sll/ipv4");
    assert_no_anomalies(&p);
    assert_int_equal(p.layers[0].u.sll.hatype, 778);
    assert_int_equal(p.layers[0].u.sll.addr_len, 4);

    /* gretap: transparent Ethernet bridging */
    pb_ipv4_tcp(&b);
    pb_eth(&b, ETH_TYPE_IP);
    pb_sll(&b, 0, 778, 4, 0x6558);
    tu_decode(&p, DLT_LINUX_SLL, &b);
    assert_prefix(&p, "sll/eth/ipv4");
    assert_no_anomalies(&p);
    assert_next_layer(&p, LAYER_ETH, 16);
    assert_next_layer(&p, LAYER_IPV4, 30);
}

static void test_sll_truncation_every_offset(void **state)
{
    (void)state;
    struct pb b1, b2;
    struct packet p;
    pb_ipv4_tcp(&b1);
    pb_sll(&b1, 0, 1, 6, ETH_TYPE_IP);
    pb_ipv4_tcp(&b2);
    pb_sll2(&b2, ETH_TYPE_IP, 2, 1, 0, 6);
    for (size_t n = 0; n < pb_len(&b1); n++) {
        decode_exact(&p, DLT_LINUX_SLL, pb_data(&b1), n, pb_len(&b1));
        if (n < 16) {
            tu_assert_stack(&p, "sll!");
            assert_int_equal(p.anomalies, BIT(AN_TRUNCATED));
        } else {
            assert_prefix(&p, "sll/ipv4");
        }
        decode_exact(&p, DLT_LINUX_SLL, pb_data(&b1), n, n);
        if (n < 16) {
            tu_assert_stack(&p, "sll!");
            assert_int_equal(p.anomalies, BIT(AN_SHORT_FRAME));
        } else {
            assert_prefix(&p, "sll/ipv4");
        }
    }
    for (size_t n = 0; n < pb_len(&b2); n++) {
        decode_exact(&p, DLT_LINUX_SLL2, pb_data(&b2), n, pb_len(&b2));
        if (n < 20) {
            tu_assert_stack(&p, "sll2!");
            assert_int_equal(p.anomalies, BIT(AN_TRUNCATED));
        } else {
            assert_prefix(&p, "sll2/ipv4");
        }
        decode_exact(&p, DLT_LINUX_SLL2, pb_data(&b2), n, n);
        if (n < 20) {
            tu_assert_stack(&p, "sll2!");
            assert_int_equal(p.anomalies, BIT(AN_SHORT_FRAME));
        } else {
            assert_prefix(&p, "sll2/ipv4");
        }
    }
}

/* ---- BSD loopback ---- */

static void test_null_both_byte_orders(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    for (int be = 0; be <= 1; be++) {
        pb_ipv4_tcp(&b);
        pb_loop(&b, 2, be);
        tu_decode(&p, DLT_NULL, &b);
        assert_prefix(&p, "loop/ipv4");
        assert_no_anomalies(&p);
        assert_int_equal(p.layers[0].u.loop.family, 2);
        assert_next_layer(&p, LAYER_IPV4, 4);

        static const uint32_t inet6[] = {10, 24, 28, 30};
        for (size_t i = 0; i < 4; i++) {
            pb_ipv6_tcp(&b);
            pb_loop(&b, inet6[i], be);
            tu_decode(&p, DLT_NULL, &b);
            assert_prefix(&p, "loop/ipv6");
            assert_no_anomalies(&p);
            assert_int_equal(p.layers[0].u.loop.family, inet6[i]);
            assert_next_layer(&p, LAYER_IPV6, 4);
        }
    }
}

static void test_loop_network_order(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    pb_ipv4_tcp(&b);
    pb_loop(&b, 2, true);
    tu_decode(&p, DLT_LOOP, &b);
    assert_prefix(&p, "loop/ipv4");
    assert_int_equal(p.layers[0].u.loop.family, 2);

    pb_ipv6_tcp(&b);
    pb_loop(&b, 30, true);
    tu_decode(&p, DLT_LOOP, &b);
    assert_prefix(&p, "loop/ipv6");

    /* LOOP is defined big-endian: a little-endian 2 is not AF_INET */
    pb_ipv4_tcp(&b);
    pb_loop(&b, 2, false);
    tu_decode(&p, DLT_LOOP, &b);
    tu_assert_stack(&p, "loop");
    assert_no_anomalies(&p);
    assert_int_equal(p.layers[0].u.loop.family, 0x02000000);
}

static void test_loop_other_families(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    static const uint32_t other[] = {0, 1, 7, 23, 0x1e000100};
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
        pb_ipv4_tcp(&b);
        pb_loop(&b, other[i], true);
        tu_decode(&p, DLT_NULL, &b);
        tu_assert_stack(&p, "loop");
        assert_no_anomalies(&p);
    }
}

static void test_loop_truncation_every_offset(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    pb_ipv4_tcp(&b);
    pb_loop(&b, 2, false);
    for (size_t n = 0; n < pb_len(&b); n++) {
        decode_exact(&p, DLT_NULL, pb_data(&b), n, pb_len(&b));
        if (n < 4) {
            tu_assert_stack(&p, "loop!");
            assert_int_equal(p.anomalies, BIT(AN_TRUNCATED));
        } else {
            assert_prefix(&p, "loop/ipv4");
        }
        decode_exact(&p, DLT_LOOP, pb_data(&b), n, n);
        if (n < 4) {
            tu_assert_stack(&p, "loop!");
            assert_int_equal(p.anomalies, BIT(AN_SHORT_FRAME));
        }
    }
}

/* ---- PPP ---- */

static void pb_ppp_hdr(struct pb *b, const uint8_t *hdr, size_t n)
{
    pb_prepend_bytes(b, hdr, n);
}

static void test_ppp_framings(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    static const struct {
        uint8_t hdr[4];
        size_t len;
    } forms[] = {
        {{0xff, 0x03, 0x00, 0x21}, 4}, /* HDLC-like framing, RFC 1662 */
        {{0x00, 0x21}, 2},             /* address/control compressed */
        {{0xff, 0x03, 0x21}, 3},       /* protocol field compressed */
        {{0x21}, 1},                   /* both */
    };
    static const int dlts[] = {DLT_PPP, DLT_PPP_SERIAL};
    for (size_t k = 0; k < 2; k++) {
        for (size_t i = 0; i < 4; i++) {
            pb_ipv4_tcp(&b);
            pb_ppp_hdr(&b, forms[i].hdr, forms[i].len);
            tu_decode(&p, dlts[k], &b);
            assert_prefix(&p, "ppp/ipv4");
            assert_no_anomalies(&p);
            assert_int_equal(p.layers[0].u.ppp.proto, 0x0021);
            assert_int_equal(p.layers[0].flags, 0);
            assert_next_layer(&p, LAYER_IPV4, (uint32_t)forms[i].len);
        }
    }

    static const uint8_t v6[] = {0xff, 0x03, 0x00, 0x57};
    pb_ipv6_tcp(&b);
    pb_ppp_hdr(&b, v6, 4);
    tu_decode(&p, DLT_PPP, &b);
    assert_prefix(&p, "ppp/ipv6");
    assert_int_equal(p.layers[0].u.ppp.proto, 0x0057);
    assert_next_layer(&p, LAYER_IPV6, 4);

    /* MPLS unicast over PPP, one label */
    static const uint8_t mpls[] = {0xff, 0x03, 0x02, 0x81, 0x00, 0x01, 0x01, 0x40};
    pb_ipv4_tcp(&b);
    pb_ppp_hdr(&b, mpls, sizeof mpls);
    tu_decode(&p, DLT_PPP, &b);
    assert_prefix(&p, "ppp/mpls/ipv4");
    assert_int_equal(p.layers[0].u.ppp.proto, 0x0281);
    assert_next_layer(&p, LAYER_MPLS, 4);
    assert_next_layer(&p, LAYER_IPV4, 8);
}

static void test_ppp_control_protocols(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    /* IPCP, IPv6CP, CHAP: control traffic, nothing to follow, nothing wrong
     * (LCP states the link's MRU and gets a layer: test_decode_ppp.c) */
    static const uint16_t ctl[] = {0x8021, 0x8057, 0xc223};
    for (size_t i = 0; i < 3; i++) {
        pb_init(&b);
        pb_fill(&b, 10, 0x01);
        uint8_t *h = pb_prepend(&b, 4);
        h[0] = 0xff, h[1] = 0x03;
        pb_be16(h + 2, ctl[i]);
        tu_decode(&p, DLT_PPP, &b);
        tu_assert_stack(&p, "ppp");
        assert_no_anomalies(&p);
        assert_int_equal(p.layers[0].u.ppp.proto, ctl[i]);
    }
}

static void test_ppp_bad_header(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    /* RFC 1661: a protocol with an even low octet does not exist */
    static const uint8_t even[] = {0xff, 0x03, 0x00, 0x20};
    pb_ipv4_tcp(&b);
    pb_ppp_hdr(&b, even, 4);
    tu_decode(&p, DLT_PPP, &b);
    tu_assert_stack(&p, "ppp");
    assert_int_equal(p.anomalies, BIT(AN_BAD_LINK_HDR));
    assert_int_equal(p.layers[0].flags, LF_MALFORMED);
    assert_int_equal(p.layers[0].u.ppp.proto, 0x0020);

    /* the all-stations address with a control byte other than UI */
    static const uint8_t ctrl[] = {0xff, 0x13, 0x00, 0x21};
    pb_ipv4_tcp(&b);
    pb_ppp_hdr(&b, ctrl, 4);
    tu_decode(&p, DLT_PPP_SERIAL, &b);
    tu_assert_stack(&p, "ppp");
    assert_int_equal(p.anomalies, BIT(AN_BAD_LINK_HDR));
    assert_int_equal(p.layers[0].flags, LF_MALFORMED);
}

static void test_ppp_truncation_every_offset(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    static const uint8_t hdr[] = {0xff, 0x03, 0x00, 0x21};
    pb_ipv4_tcp(&b);
    pb_ppp_hdr(&b, hdr, 4);
    for (size_t n = 0; n < pb_len(&b); n++) {
        decode_exact(&p, DLT_PPP, pb_data(&b), n, pb_len(&b));
        if (n < 4) {
            tu_assert_stack(&p, "ppp!");
            assert_int_equal(p.anomalies, BIT(AN_TRUNCATED));
        } else {
            assert_prefix(&p, "ppp/ipv4");
        }
        decode_exact(&p, DLT_PPP, pb_data(&b), n, n);
        if (n < 4) {
            tu_assert_stack(&p, "ppp!");
            assert_int_equal(p.anomalies, BIT(AN_SHORT_FRAME));
        }
    }
}

/* decode_ppp() as L2TP or PPTP call it: not the first layer, inside a
 * tunnel, offsets measured from the frame. */
static void test_ppp_inside_tunnel(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    static const uint8_t hdr[] = {0xff, 0x03, 0x00, 0x21};
    pb_ipv4_tcp(&b);
    pb_ppp_hdr(&b, hdr, 4);
    pb_prepend(&b, 30); /* stands for the outer headers */
    memset(&p, 0, sizeof p);
    p.caplen = p.wirelen = (uint32_t)pb_len(&b);
    p.nlayers = 3; /* as if eth/ipv4/udp were already there */
    struct dstate d = {&p, pb_data(&b), 1, 0, 0};
    decode_ppp(&d, cur_make(pb_data(&b) + 30, pb_len(&b) - 30));
    assert_int_equal(p.layers[3].type, LAYER_PPP);
    assert_int_equal(p.layers[3].offset, 30);
    assert_int_equal(p.layers[3].tunnel, 1);
    assert_int_equal(p.layers[3].u.ppp.proto, 0x0021);
    assert_int_equal(p.layers[4].type, LAYER_IPV4);
    assert_int_equal(p.layers[4].offset, 34);
    assert_int_equal(p.layers[4].tunnel, 1);
    assert_no_anomalies(&p);

    /* quoted in an ICMP error and cut after the address byte: not counted */
    memset(&p, 0, sizeof p);
    p.caplen = p.wirelen = (uint32_t)pb_len(&b);
    struct dstate q = {&p, pb_data(&b), 1, LF_QUOTED, 0};
    decode_ppp(&q, cur_make(pb_data(&b) + 30, 1));
    assert_int_equal(p.nlayers, 1);
    assert_int_equal(p.layers[0].flags, LF_QUOTED | LF_TRUNCATED);
    assert_no_anomalies(&p);
}

/* A full record: the link decoder stops instead of writing past it. */
static void test_record_full(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    pb_ipv4_tcp(&b);
    pb_eth(&b, ETH_TYPE_IP);
    memset(&p, 0, sizeof p);
    p.nlayers = PKT_MAX_LAYERS;
    p.caplen = p.wirelen = (uint32_t)pb_len(&b);
    struct dstate d = {&p, pb_data(&b), 0, 0, 0};
    decode_eth(&d, cur_make(pb_data(&b), pb_len(&b)));
    decode_sll(&d, cur_make(pb_data(&b), pb_len(&b)));
    decode_sll2(&d, cur_make(pb_data(&b), pb_len(&b)));
    decode_loop(&d, cur_make(pb_data(&b), pb_len(&b)), false);
    decode_ppp(&d, cur_make(pb_data(&b), pb_len(&b)));
    assert_int_equal(p.nlayers, PKT_MAX_LAYERS);
    assert_int_equal(p.anomalies, BIT(AN_TOO_MANY_LAYERS));
}

/* ---- full stacks: these also need decode_ip.c and decode_transport.c ---- */

static void test_full_eth(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    pb_ipv4_tcp(&b);
    pb_eth(&b, ETH_TYPE_IP);
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/ipv4/tcp");
    assert_no_anomalies(&p);

    pb_ipv4_tcp(&b);
    pb_eth_snap(&b, 0, ETH_TYPE_IP);
    pb_fill(&b, 4, 0xee);
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/ipv4/tcp");
    assert_no_anomalies(&p);

    pb_ipv6_tcp(&b);
    pb_eth(&b, ETH_TYPE_IPV6);
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/ipv6/tcp");
    assert_no_anomalies(&p);
}

/* An 802.3 length bounds the LLC/SNAP packet as a PPPoE length does
 * (test_decode_l2.c): an IP length past it disagrees with the link layer,
 * and only what the link layer carries is decoded. */
static void test_full_8023_bounds_ip(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    pb_ipv4_tcp(&b);
    pb_eth_snap(&b, 0, ETH_TYPE_IP);
    pb_be16(pb_data(&b) + 12, 8 + IP_TCP_LEN - 3);
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/ipv4/tcp");
    assert_int_equal(p.anomalies, BIT(AN_BAD_IP_TOTAL_LEN));
    assert_int_equal(p.layers[0].flags, 0);
    assert_int_equal(p.layers[1].flags, LF_MALFORMED);
    assert_int_equal(p.layers[1].u.ip.ip_len, IP_TCP_LEN - 3);
    assert_int_equal(p.layers[2].u.tcp.payload_len, PAYLOAD - 3);

    /* Ethernet II has no length: the same IP packet in a frame 3 bytes
     * shorter than it says, not cut by the snap length, has an IP length
     * beyond the frame; the field is kept, and TCP gets the frame's bytes, as
     * in Wireshark (no phantom bytes in the sequence space) */
    pb_ipv4_tcp(&b);
    pb_eth(&b, ETH_TYPE_IP);
    tu_decode_buf(&p, DLT_EN10MB, pb_data(&b), pb_len(&b) - 3, pb_len(&b) - 3);
    tu_assert_stack(&p, "eth/ipv4/tcp");
    assert_int_equal(p.anomalies, BIT(AN_IP_LEN_BEYOND_FRAME));
    assert_int_equal(p.layers[1].u.ip.ip_len, IP_TCP_LEN);
    assert_int_equal(p.layers[1].u.ip.flags & IPF_LEN_CLAMPED, IPF_LEN_CLAMPED);
    assert_int_equal(p.layers[2].u.tcp.payload_len, PAYLOAD - 3);
}

static void test_full_sll(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    pb_ipv4_tcp(&b);
    pb_sll(&b, 0, 1, 6, ETH_TYPE_IP);
    tu_decode(&p, DLT_LINUX_SLL, &b);
    tu_assert_stack(&p, "sll/ipv4/tcp");
    assert_no_anomalies(&p);

    pb_ipv4_tcp(&b);
    pb_sll2(&b, ETH_TYPE_IP, 3, 1, 4, 6);
    tu_decode(&p, DLT_LINUX_SLL2, &b);
    tu_assert_stack(&p, "sll2/ipv4/tcp");
    assert_no_anomalies(&p);
}

static void test_full_loop(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    for (int be = 0; be <= 1; be++) {
        pb_ipv4_tcp(&b);
        pb_loop(&b, 2, be);
        tu_decode(&p, DLT_NULL, &b);
        tu_assert_stack(&p, "loop/ipv4/tcp");
        assert_no_anomalies(&p);

        pb_ipv6_tcp(&b);
        pb_loop(&b, 30, be);
        tu_decode(&p, DLT_NULL, &b);
        tu_assert_stack(&p, "loop/ipv6/tcp");
        assert_no_anomalies(&p);
    }
    pb_ipv4_tcp(&b);
    pb_loop(&b, 2, true);
    tu_decode(&p, DLT_LOOP, &b);
    tu_assert_stack(&p, "loop/ipv4/tcp");
    assert_no_anomalies(&p);
}

static void test_full_ppp(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    static const uint8_t hdr[] = {0xff, 0x03, 0x00, 0x21};
    pb_ipv4_tcp(&b);
    pb_ppp_hdr(&b, hdr, 4);
    tu_decode(&p, DLT_PPP, &b);
    tu_assert_stack(&p, "ppp/ipv4/tcp");
    assert_no_anomalies(&p);

    static const uint8_t pfc[] = {0x21};
    pb_ipv4_tcp(&b);
    pb_ppp_hdr(&b, pfc, 1);
    tu_decode(&p, DLT_PPP_SERIAL, &b);
    tu_assert_stack(&p, "ppp/ipv4/tcp");
    assert_no_anomalies(&p);
}

/* Snapped anywhere past the link header: only "truncated", and every layer
 * whose header or declared payload the cut went through is marked (packet.h). */
static void test_full_sll_truncation(void **state)
{
    (void)state;
    struct pb b;
    struct packet p;
    pb_ipv4_tcp(&b);
    pb_sll(&b, 0, 1, 6, ETH_TYPE_IP);
    for (size_t n = 16; n < pb_len(&b); n++) {
        decode_exact(&p, DLT_LINUX_SLL, pb_data(&b), n, pb_len(&b));
        tu_assert_stack(&p, n < 16 + IP_HDR_LEN ? "sll/ipv4!" : "sll/ipv4!/tcp!");
        assert_int_equal(p.anomalies, BIT(AN_TRUNCATED));
    }
}

int main(void)
{
    const struct CMUnitTest own[] = {
        cmocka_unit_test(test_eth_ii),
        cmocka_unit_test(test_eth_other_ethertypes),
        cmocka_unit_test(test_eth_8023_snap),
        cmocka_unit_test(test_eth_8023_length_limits_payload),
        cmocka_unit_test(test_eth_8023_llc_not_snap),
        cmocka_unit_test(test_eth_bad_length_type),
        cmocka_unit_test(test_eth_8023_length_overrun),
        cmocka_unit_test(test_eth_8023_length_too_small),
        cmocka_unit_test(test_eth_8023_truncation_every_offset),
        cmocka_unit_test(test_eth_ii_truncation_every_offset),
        cmocka_unit_test(test_eth_quoted_overrun_not_counted),
        cmocka_unit_test(test_sll_v1),
        cmocka_unit_test(test_sll_v2),
        cmocka_unit_test(test_sll_special_protocols),
        cmocka_unit_test(test_sll_ipgre),
        cmocka_unit_test(test_sll_truncation_every_offset),
        cmocka_unit_test(test_null_both_byte_orders),
        cmocka_unit_test(test_loop_network_order),
        cmocka_unit_test(test_loop_other_families),
        cmocka_unit_test(test_loop_truncation_every_offset),
        cmocka_unit_test(test_ppp_framings),
        cmocka_unit_test(test_ppp_control_protocols),
        cmocka_unit_test(test_ppp_bad_header),
        cmocka_unit_test(test_ppp_truncation_every_offset),
        cmocka_unit_test(test_ppp_inside_tunnel),
        cmocka_unit_test(test_record_full),
    };
    const struct CMUnitTest full[] = {
        cmocka_unit_test(test_full_eth),
        cmocka_unit_test(test_full_sll),
        cmocka_unit_test(test_full_loop),
        cmocka_unit_test(test_full_ppp),
        cmocka_unit_test(test_full_sll_truncation),
        cmocka_unit_test(test_full_8023_bounds_ip),
    };
    int failed = cmocka_run_group_tests_name("link layers", own, NULL, NULL);
    failed += cmocka_run_group_tests_name("link layers, full stacks", full, NULL, NULL);
    return failed;
}
