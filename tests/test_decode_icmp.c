/*
 * test_decode_icmp.c - ICMP and ICMPv6, with the packet an error quotes.
 *
 * The "layer" tests call decode_icmp()/decode_icmp6() on a record that
 * already holds a hand-made outer IP layer: the ICMP fields and the anomalies
 * are this module's alone.  The quoted packet goes through the real IP and
 * transport decoders, so the checks of quoted layers (and the "stack" tests,
 * which decode whole Ethernet frames) also rely on decode_ip.c,
 * decode_transport.c, decode_link.c and decode_vpn.c.
 */
#include "testutil.h"

#include "decode_icmp.h"

/* ICMPv6 types (RFC 4443, RFC 4861): libdnet names none of them. */
#define ICMP6_DST_UNREACH 1
#define ICMP6_PACKET_TOO_BIG 2
#define ICMP6_TIME_EXCEEDED 3
#define ICMP6_PARAM_PROB 4
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129
#define ND_NEIGHBOR_SOLICIT 135

/* ---- builders: every header written byte by byte ---- */

static void put_addr(uint8_t *dst, const char *s, size_t n)
{
    struct addr a = tu_addr(s);
    memcpy(dst, n == 4 ? (const void *)&a.addr_ip : (const void *)&a.addr_ip6, n);
}

/* IPv4 header (correct header checksum) whose total length says `tot`, or the
 * bytes in the buffer plus 20 when tot is 0.  Written byte by byte: headers
 * nested in quotes land on any alignment. */
static void pb_ipv4_raw(struct pb *b, uint8_t proto, const char *src, const char *dst, uint16_t tot,
                        uint16_t off)
{
    size_t len = tot ? tot : pb_len(b) + IP_HDR_LEN;
    uint8_t *h = pb_prepend(b, IP_HDR_LEN);
    h[0] = 0x45;
    pb_be16(h + 2, (uint16_t)len);
    pb_be16(h + 4, 0x4d2);
    pb_be16(h + 6, off);
    h[8] = 64;
    h[9] = proto;
    put_addr(h + 12, src, 4);
    put_addr(h + 16, dst, 4);
    uint32_t sum = 0;
    for (int i = 0; i < IP_HDR_LEN; i += 2)
        sum += (uint32_t)(h[i] << 8 | h[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    pb_be16(h + 10, (uint16_t)~sum);
}

static void pb_ipv6_raw(struct pb *b, uint8_t nxt, const char *src, const char *dst, uint16_t plen)
{
    size_t len = plen ? plen : pb_len(b);
    uint8_t *h = pb_prepend(b, IP6_HDR_LEN);
    h[0] = 0x60;
    pb_be16(h + 4, (uint16_t)len);
    h[6] = nxt;
    h[7] = 64;
    put_addr(h + 8, src, 16);
    put_addr(h + 24, dst, 16);
}

static void pb_icmp_hdr(struct pb *b, uint8_t type, uint8_t code, uint32_t word)
{
    uint8_t *h = pb_prepend(b, 8);
    h[0] = type;
    h[1] = code;
    pb_be32(h + 4, word);
}

/* The first `n` bytes of a TCP header, as an ICMP error quotes them. */
static void pb_append_tcp_start(struct pb *b, size_t n)
{
    uint8_t t[20] = {0};
    pb_be16(t, 51000);
    pb_be16(t + 2, 443);
    pb_be32(t + 4, 0xcafef00d);
    pb_be32(t + 8, 0x11223344);
    t[12] = 5 << 4;
    t[13] = TH_ACK;
    pb_be16(t + 14, 501);
    pb_append(b, t, n);
}

/* What a router sends back for a 1500-byte TCP packet: IPv4 header + 8 bytes
 * (RFC 792), RFC 4884 length byte `len4884` in the second word. */
static void build_frag_needed_msg(struct pb *b, uint16_t mtu, uint8_t len4884)
{
    pb_init(b);
    pb_append_tcp_start(b, 8);
    pb_ipv4_raw(b, IP_PROTO_TCP, "10.0.0.1", "192.0.2.9", 1500, IP_DF);
    pb_icmp_hdr(b, ICMP_UNREACH, ICMP_UNREACH_NEEDFRAG, (uint32_t)len4884 << 16 | mtu);
}

/* A WireGuard data message carrying a 1408-byte inner packet: 16 + 1408 + 16. */
#define WG_MSG_LEN 1440
static void pb_append_wg_data(struct pb *b, size_t n)
{
    uint8_t w[WG_MSG_LEN];
    memset(w, 0xa5, sizeof w);
    w[0] = 4;
    w[1] = w[2] = w[3] = 0;
    w[4] = 0x44, w[5] = 0x33, w[6] = 0x22, w[7] = 0x11; /* receiver, little-endian */
    memset(w + 8, 0, 8);
    w[8] = 7; /* counter */
    pb_append(b, w, n);
}

/* ---- a record with a hand-made outer IP layer ---- */

struct harness {
    struct packet pkt;
    struct dstate d;
};

/* Decodes caplen bytes of the ICMP message in b after an IP layer whose
 * length leaves msglen bytes; wire_extra bytes were on the wire but not captured. */
static struct layer *run_icmp(struct harness *h, enum layer_type ip, const uint8_t *msg,
                              size_t caplen, size_t msglen, size_t wire_extra, uint8_t lflags)
{
    memset(&h->pkt, 0, sizeof h->pkt);
    h->pkt.frame = 1;
    h->pkt.caplen = (uint32_t)caplen;
    h->pkt.wirelen = (uint32_t)(caplen + wire_extra);
    h->pkt.data = msg;
    h->d.pkt = &h->pkt;
    h->d.base = msg;
    h->d.tunnel = 0;
    h->d.lflags = lflags;

    struct cursor c0 = cur_make(msg, 0);
    struct layer *l = dec_push(&h->d, ip, &c0);
    assert_non_null(l);
    l->u.ip.version = ip == LAYER_IPV4 ? 4 : 6;
    l->u.ip.hdr_len = ip == LAYER_IPV4 ? 20 : 40;
    l->u.ip.payload_len = (uint16_t)msglen;
    l->u.ip.ip_len = (uint16_t)(msglen + l->u.ip.hdr_len);

    if (ip == LAYER_IPV4)
        decode_icmp(&h->d, cur_make(msg, caplen));
    else
        decode_icmp6(&h->d, cur_make(msg, caplen));
    assert_true(h->pkt.nlayers >= 2);
    assert_int_equal(h->pkt.layers[1].type, ip == LAYER_IPV4 ? LAYER_ICMP : LAYER_ICMP6);
    return &h->pkt.layers[1];
}

static struct layer *run_pb(struct harness *h, enum layer_type ip, struct pb *b)
{
    return run_icmp(h, ip, pb_data(b), pb_len(b), pb_len(b), 0, 0);
}

/* ---- ICMP, this module's fields ---- */

static void test_icmp_echo(void **state)
{
    (void)state;
    struct pb b;
    pb_init(&b);
    pb_fill(&b, 56, 'p');
    pb_icmp_hdr(&b, ICMP_ECHO, 0, 0x12340007);
    pb_fill(&b, 6, 0); /* link padding after the message */
    struct harness h;
    struct layer *l = run_icmp(&h, LAYER_IPV4, pb_data(&b), pb_len(&b), 64, 0, 0);
    assert_int_equal(l->u.icmp.type, 8);
    assert_int_equal(l->u.icmp.code, 0);
    assert_int_equal(l->u.icmp.id, 0x1234);
    assert_int_equal(l->u.icmp.seq, 7);
    assert_int_equal(l->u.icmp.payload_len, 56);
    assert_int_equal(l->u.icmp.mtu, 0);
    assert_int_equal(l->u.icmp.quote_layer, 0);
    assert_int_equal(l->flags, 0);
    assert_int_equal(h.pkt.nlayers, 2);
    assert_no_anomalies(&h.pkt);

    pb_data(&b)[0] = ICMP_ECHOREPLY;
    l = run_icmp(&h, LAYER_IPV4, pb_data(&b), pb_len(&b), 64, 0, 0);
    assert_int_equal(l->u.icmp.type, 0);
    assert_int_equal(l->u.icmp.id, 0x1234);
    assert_int_equal(l->u.icmp.seq, 7);
}

static void test_icmp_frag_needed(void **state)
{
    (void)state;
    struct pb b;
    build_frag_needed_msg(&b, 1400, 0);
    struct harness h;
    struct layer *l = run_pb(&h, LAYER_IPV4, &b);
    assert_int_equal(l->u.icmp.type, 3);
    assert_int_equal(l->u.icmp.code, 4);
    assert_int_equal(l->u.icmp.mtu, 1400);
    assert_int_equal(l->u.icmp.payload_len, 28);
    assert_int_equal(l->u.icmp.quote_layer, 2);
    assert_int_equal(l->u.icmp.id, 0);
    assert_int_equal(l->flags, 0);
    assert_no_anomalies(&h.pkt);
    assert_int_equal(h.pkt.layers[2].offset, 8);
    assert_true(h.pkt.layers[2].flags & LF_QUOTED);
}

/* The quoted layers, decoded by the IP and TCP decoders. */
static void test_icmp_frag_needed_quoted_layers(void **state)
{
    (void)state;
    struct pb b;
    build_frag_needed_msg(&b, 1400, 0);
    struct harness h;
    run_pb(&h, LAYER_IPV4, &b);
    assert_int_equal(h.pkt.nlayers, 4);
    const struct layer *ip = &h.pkt.layers[2], *tcp = &h.pkt.layers[3];
    assert_int_equal(ip->type, LAYER_IPV4);
    assert_int_equal(ip->flags, LF_QUOTED | LF_TRUNCATED);
    assert_int_equal(ip->u.ip.ip_len, 1500);
    assert_int_equal(tcp->type, LAYER_TCP);
    assert_int_equal(tcp->flags, LF_QUOTED | LF_TRUNCATED);
    assert_int_equal(tcp->u.tcp.sport, 51000);
    assert_int_equal(tcp->u.tcp.dport, 443);
    assert_int_equal(tcp->u.tcp.seq, 0xcafef00d);
    assert_int_equal(tcp->u.tcp.ack, 0);
    assert_no_anomalies(&h.pkt);

    /* link padding after the message is not quote: the quoted TCP still ends
     * after 8 bytes */
    pb_fill(&b, 12, 0x77);
    run_icmp(&h, LAYER_IPV4, pb_data(&b), pb_len(&b), pb_len(&b) - 12, 0, 0);
    assert_int_equal(h.pkt.nlayers, 4);
    assert_int_equal(h.pkt.layers[1].u.icmp.payload_len, 28);
    assert_int_equal(h.pkt.layers[3].u.tcp.ack, 0);
    assert_int_equal(h.pkt.layers[3].flags, LF_QUOTED | LF_TRUNCATED);
    assert_no_anomalies(&h.pkt);
}

/* Pre-RFC-1191 routers leave the MTU 0: kept as 0 for inference to guess. */
static void test_icmp_frag_needed_mtu_zero(void **state)
{
    (void)state;
    struct pb b;
    build_frag_needed_msg(&b, 0, 0);
    struct harness h;
    struct layer *l = run_pb(&h, LAYER_IPV4, &b);
    assert_int_equal(l->u.icmp.code, 4);
    assert_int_equal(l->u.icmp.mtu, 0);
    assert_int_equal(l->u.icmp.quote_layer, 2);
    assert_no_anomalies(&h.pkt);
}

/* Only code 4 carries an MTU; the same bytes in a port unreachable are not one. */
static void test_icmp_other_unreach_has_no_mtu(void **state)
{
    (void)state;
    struct pb b;
    build_frag_needed_msg(&b, 1400, 0);
    pb_data(&b)[1] = ICMP_UNREACH_PORT;
    struct harness h;
    struct layer *l = run_pb(&h, LAYER_IPV4, &b);
    assert_int_equal(l->u.icmp.code, 3);
    assert_int_equal(l->u.icmp.mtu, 0);
    assert_int_equal(l->u.icmp.quote_layer, 2);

    /* redirect and source quench quote too, and have no RFC 4884 length */
    static const uint8_t types[] = {ICMP_SRCQUENCH, ICMP_REDIRECT};
    for (size_t i = 0; i < sizeof types; i++) {
        build_frag_needed_msg(&b, 0xffff, 0xff);
        pb_data(&b)[0] = types[i];
        pb_data(&b)[1] = 0;
        l = run_pb(&h, LAYER_IPV4, &b);
        assert_int_equal(l->u.icmp.mtu, 0);
        assert_int_equal(l->u.icmp.quote_layer, 2);
        assert_no_anomalies(&h.pkt);
    }
}

/* RFC 4884: the sixth octet, in 32-bit words, for types 3, 11 and 12. */
static void test_icmp_rfc4884_length_byte(void **state)
{
    (void)state;
    struct pb b;
    struct harness h;
    static const uint8_t types[] = {ICMP_UNREACH, ICMP_TIMEXCEED, ICMP_PARAMPROB};
    for (size_t i = 0; i < sizeof types; i++) {
        /* 7 words = the 28 bytes quoted: fine */
        build_frag_needed_msg(&b, 1400, 7);
        pb_data(&b)[0] = types[i];
        struct layer *l = run_pb(&h, LAYER_IPV4, &b);
        assert_int_equal(l->flags, 0);
        assert_int_equal(l->u.icmp.quote_layer, 2);
        assert_no_anomalies(&h.pkt);

        /* 8 words = 32 bytes: more than the message holds */
        build_frag_needed_msg(&b, 1400, 8);
        pb_data(&b)[0] = types[i];
        l = run_pb(&h, LAYER_IPV4, &b);
        assert_int_equal(l->flags, LF_MALFORMED);
        assert_int_equal(h.pkt.anomalies, 1ull << AN_BAD_ICMP);
        assert_int_equal(l->u.icmp.quote_layer, 2); /* still decoded */

        /* the fifth octet is not the length */
        build_frag_needed_msg(&b, 1400, 0);
        pb_data(&b)[0] = types[i];
        pb_data(&b)[4] = 0xff;
        l = run_pb(&h, LAYER_IPV4, &b);
        assert_int_equal(l->flags, 0);
        assert_no_anomalies(&h.pkt);
    }
}

/* A non-zero length limits the quote: what follows is an extension structure. */
static void test_icmp_rfc4884_limits_quote(void **state)
{
    (void)state;
    struct pb b;
    struct harness h;

    /* 8 words: the IPv4 header and 12 bytes of TCP; the rest of the TCP header
     * sits in the message after them and must not be read as quote */
    pb_init(&b);
    pb_append_tcp_start(&b, 20);
    pb_ipv4_raw(&b, IP_PROTO_TCP, "10.0.0.1", "192.0.2.9", 1500, IP_DF);
    pb_icmp_hdr(&b, ICMP_TIMEXCEED, 0, 8 << 16);
    struct layer *l = run_pb(&h, LAYER_IPV4, &b);
    assert_int_equal(l->u.icmp.payload_len, 40);
    assert_int_equal(l->flags, 0);
    assert_no_anomalies(&h.pkt);
    assert_int_equal(h.pkt.nlayers, 4);
    const struct layer *tcp = &h.pkt.layers[3];
    assert_int_equal(tcp->type, LAYER_TCP);
    assert_int_equal(tcp->u.tcp.ack, 0x11223344); /* bytes 8-11: inside */
    assert_int_equal(tcp->u.tcp.window, 0);       /* bytes 14-15: outside */
    assert_int_equal(tcp->flags, LF_QUOTED | LF_TRUNCATED);

    /* the same message without the length: the whole TCP header is quote */
    pb_data(&b)[5] = 0;
    run_pb(&h, LAYER_IPV4, &b);
    assert_int_equal(h.pkt.layers[3].u.tcp.window, 501);
}

/* traceroute through MPLS: a 60-byte UDP probe padded to 128 bytes (32
 * words), then an RFC 4950 extension structure. */
static void build_traceroute_reply(struct pb *b)
{
    pb_init(b);
    pb_fill(b, 32, 0x40);          /* probe payload */
    uint8_t *u = pb_prepend(b, 8); /* UDP header */
    pb_be16(u, 45000), pb_be16(u + 2, 33434), pb_be16(u + 4, 40);
    pb_ipv4_raw(b, IP_PROTO_UDP, "10.0.0.1", "192.0.2.9", 60, 0);
    pb_fill(b, 128 - 60, 0);                               /* RFC 4884 padding */
    static const uint8_t ext[] = {0x20, 0,    0,    0,     /* version 2, checksum */
                                  0,    8,    1,    1,     /* object: length 8, MPLS stack */
                                  0x01, 0x00, 0x01, 0x01}; /* label 4096, S, TTL 1 */
    pb_append(b, ext, sizeof ext);
    pb_icmp_hdr(b, ICMP_TIMEXCEED, 0, 32 << 16);
}

static void test_icmp_rfc4884_traceroute(void **state)
{
    (void)state;
    struct pb b;
    build_traceroute_reply(&b);
    struct harness h;
    struct layer *l = run_pb(&h, LAYER_IPV4, &b);
    assert_int_equal(l->u.icmp.type, 11);
    assert_int_equal(l->u.icmp.payload_len, 128 + 12);
    assert_int_equal(l->u.icmp.quote_layer, 2);
    assert_int_equal(l->flags, 0);
    assert_no_anomalies(&h.pkt);
    assert_int_equal(h.pkt.nlayers, 4);
    assert_int_equal(h.pkt.layers[2].flags, LF_QUOTED);
    assert_int_equal(h.pkt.layers[3].type, LAYER_UDP);
    assert_int_equal(h.pkt.layers[3].flags, LF_QUOTED);
    assert_int_equal(h.pkt.layers[3].u.udp.dport, 33434);
}

static void test_icmp_too_short(void **state)
{
    (void)state;
    static const uint8_t m[8] = {ICMP_ECHO, 0, 0, 0, 0x12, 0x34, 0, 1};
    struct harness h;

    /* the IP length says 6 bytes, all of them captured: malformed */
    struct layer *l = run_icmp(&h, LAYER_IPV4, m, 6, 6, 0, 0);
    assert_int_equal(l->u.icmp.type, 8);
    assert_int_equal(l->u.icmp.id, 0); /* half a word is no identifier */
    assert_int_equal(l->flags, LF_MALFORMED);
    assert_int_equal(h.pkt.anomalies, 1ull << AN_BAD_ICMP);

    /* the IP length says 8, the capture stopped at 6 */
    l = run_icmp(&h, LAYER_IPV4, m, 6, 8, 2, 0);
    assert_int_equal(l->flags, LF_TRUNCATED);
    assert_int_equal(h.pkt.anomalies, 1ull << AN_TRUNCATED);
    l = run_icmp(&h, LAYER_IPV4, m, 6, 8, 0, 0);
    assert_int_equal(l->flags, LF_TRUNCATED);
    assert_int_equal(h.pkt.anomalies, 1ull << AN_SHORT_FRAME);

    /* inside a quote: marked, not counted */
    l = run_icmp(&h, LAYER_IPV4, m, 6, 6, 0, LF_QUOTED);
    assert_int_equal(l->flags, LF_QUOTED | LF_MALFORMED);
    assert_no_anomalies(&h.pkt);

    l = run_icmp(&h, LAYER_IPV6, m, 7, 7, 0, 0);
    assert_int_equal(l->flags, LF_MALFORMED);
    assert_int_equal(h.pkt.anomalies, 1ull << AN_BAD_ICMP);
}

static void test_icmp_error_without_quote(void **state)
{
    (void)state;
    struct pb b;
    pb_init(&b);
    pb_icmp_hdr(&b, ICMP_UNREACH, ICMP_UNREACH_NEEDFRAG, 1400);
    struct harness h;
    struct layer *l = run_pb(&h, LAYER_IPV4, &b);
    assert_int_equal(l->u.icmp.mtu, 1400);
    assert_int_equal(l->u.icmp.payload_len, 0);
    assert_int_equal(l->u.icmp.quote_layer, 0);
    assert_int_equal(l->flags, LF_MALFORMED);
    assert_int_equal(h.pkt.nlayers, 2);
    assert_int_equal(h.pkt.anomalies, 1ull << AN_BAD_ICMP);
}

/* Cut the message at every byte.  Inside the ICMP header: the ICMP layer is
 * truncated.  Inside the quote: the ICMP layer is marked (its message was
 * cut) and the cut counted once; the quoted layers are marked, never counted. */
static void test_icmp_truncated_at_every_offset(void **state)
{
    (void)state;
    struct pb b;
    build_frag_needed_msg(&b, 1400, 0);
    size_t total = pb_len(&b);
    assert_int_equal(total, 36);
    for (size_t n = 0; n <= total; n++) {
        for (int snapped = 0; snapped <= 1; snapped++) {
            struct harness h;
            size_t extra = snapped ? total - n : 0;
            struct layer *l = run_icmp(&h, LAYER_IPV4, pb_data(&b), n, total, extra, 0);
            const struct icmp_info *ic = &l->u.icmp;
            if (n < total) {
                assert_int_equal(l->flags, LF_TRUNCATED);
                assert_int_equal(h.pkt.anomalies,
                                 1ull << (snapped ? AN_TRUNCATED : AN_SHORT_FRAME));
            } else {
                assert_int_equal(l->flags, 0);
                assert_no_anomalies(&h.pkt);
            }
            assert_int_equal(ic->type, n >= 1 ? 3 : 0);
            assert_int_equal(ic->code, n >= 2 ? 4 : 0);
            assert_int_equal(ic->mtu, n >= 8 ? 1400 : 0);
            assert_int_equal(ic->payload_len, n >= 8 ? 28 : 0);
            if (n > 8) {
                assert_int_equal(ic->quote_layer, 2);
                for (int i = 2; i < h.pkt.nlayers; i++)
                    assert_int_equal(h.pkt.layers[i].flags, LF_QUOTED | LF_TRUNCATED);
            } else {
                assert_int_equal(ic->quote_layer, 0);
                assert_int_equal(h.pkt.nlayers, 2);
            }
            /* the quoted TCP appears once its header starts */
            assert_int_equal(h.pkt.nlayers, n >= 28 ? 4 : n > 8 ? 3 : 2);
        }
    }
}

/* ---- ICMPv6 ---- */

static void test_icmp6_echo(void **state)
{
    (void)state;
    struct pb b;
    pb_init(&b);
    pb_fill(&b, 10, 'p');
    pb_icmp_hdr(&b, ICMP6_ECHO_REQUEST, 0, 0xbeef0102);
    struct harness h;
    struct layer *l = run_pb(&h, LAYER_IPV6, &b);
    assert_int_equal(l->type, LAYER_ICMP6);
    assert_int_equal(l->u.icmp.type, 128);
    assert_int_equal(l->u.icmp.id, 0xbeef);
    assert_int_equal(l->u.icmp.seq, 0x0102);
    assert_int_equal(l->u.icmp.payload_len, 10);
    assert_int_equal(h.pkt.nlayers, 2);
    assert_no_anomalies(&h.pkt);

    pb_data(&b)[0] = ICMP6_ECHO_REPLY;
    l = run_pb(&h, LAYER_IPV6, &b);
    assert_int_equal(l->u.icmp.type, 129);
    assert_int_equal(l->u.icmp.id, 0xbeef);
}

/* What a router with a 1280-byte link sends back for a 1488-byte IPv6
 * WireGuard packet: as much of it as fits in 1280 bytes (RFC 4443 2.4). */
static void build_ptb_msg(struct pb *b, uint32_t mtu)
{
    pb_init(b);
    pb_append_wg_data(b, 1280 - 40 - 8 - 40 - 8);
    uint8_t *u = pb_prepend(b, 8);
    pb_be16(u, 40001), pb_be16(u + 2, 51820), pb_be16(u + 4, 8 + WG_MSG_LEN);
    pb_ipv6_raw(b, IP_PROTO_UDP, "2001:db8::1", "2001:db8:1::9", 8 + WG_MSG_LEN);
    pb_icmp_hdr(b, ICMP6_PACKET_TOO_BIG, 0, mtu);
}

static void test_icmp6_packet_too_big(void **state)
{
    (void)state;
    struct pb b;
    build_ptb_msg(&b, 1280);
    struct harness h;
    struct layer *l = run_pb(&h, LAYER_IPV6, &b);
    assert_int_equal(l->u.icmp.type, 2);
    assert_int_equal(l->u.icmp.code, 0);
    assert_int_equal(l->u.icmp.mtu, 1280);
    assert_int_equal(l->u.icmp.payload_len, 1232);
    assert_int_equal(l->u.icmp.quote_layer, 2);
    assert_int_equal(l->flags, 0);
    assert_no_anomalies(&h.pkt);

    /* the MTU is the whole 32-bit word: its first byte is not an RFC 4884 length */
    build_ptb_msg(&b, 0x01000500);
    l = run_pb(&h, LAYER_IPV6, &b);
    assert_int_equal(l->u.icmp.mtu, 0x01000500);
    assert_int_equal(l->flags, 0);
    assert_no_anomalies(&h.pkt);
    assert_true(pkt_find(&h.pkt, LAYER_UDP, 2) == 3); /* an 8-byte limit would hide it */
}

static void test_icmp6_quoted_wireguard(void **state)
{
    (void)state;
    struct pb b;
    build_ptb_msg(&b, 1280);
    struct harness h;
    run_pb(&h, LAYER_IPV6, &b);
    assert_int_equal(h.pkt.nlayers, 5);
    assert_int_equal(h.pkt.layers[2].type, LAYER_IPV6);
    assert_int_equal(h.pkt.layers[2].flags, LF_QUOTED | LF_TRUNCATED);
    const struct layer *u = &h.pkt.layers[3];
    assert_int_equal(u->type, LAYER_UDP);
    assert_int_equal(u->flags, LF_QUOTED | LF_TRUNCATED);
    assert_int_equal(u->u.udp.sport, 40001);
    assert_int_equal(u->u.udp.dport, 51820);
    assert_int_equal(u->u.udp.payload_len, WG_MSG_LEN);
    const struct layer *w = &h.pkt.layers[4];
    assert_int_equal(w->type, LAYER_WIREGUARD);
    assert_true(w->flags & LF_QUOTED);
    assert_int_equal(w->u.wg.msg_type, WG_DATA);
    assert_int_equal(w->u.wg.receiver, 0x11223344);
    assert_int_equal(w->u.wg.inner_len, 1408);
    assert_no_anomalies(&h.pkt);
}

/* RFC 4884 for ICMPv6: the fifth octet, in 64-bit words, types 1 and 3 only. */
static void test_icmp6_rfc4884_length_byte(void **state)
{
    (void)state;
    struct pb b;
    struct harness h;
    static const uint8_t types[] = {ICMP6_DST_UNREACH, ICMP6_TIME_EXCEEDED};
    for (size_t i = 0; i < sizeof types; i++) {
        pb_init(&b);
        uint8_t *u = pb_prepend(&b, 8);
        pb_be16(u, 1000), pb_be16(u + 2, 2000), pb_be16(u + 4, 100);
        pb_ipv6_raw(&b, IP_PROTO_UDP, "2001:db8::1", "2001:db8:1::9", 100);
        pb_icmp_hdr(&b, types[i], 0, 6u << 24); /* 6 words = the 48 bytes quoted */
        struct layer *l = run_pb(&h, LAYER_IPV6, &b);
        assert_int_equal(l->flags, 0);
        assert_int_equal(l->u.icmp.quote_layer, 2);
        assert_int_equal(h.pkt.nlayers, 4);
        assert_no_anomalies(&h.pkt);

        pb_data(&b)[4] = 7; /* 56 bytes: more than there is */
        l = run_pb(&h, LAYER_IPV6, &b);
        assert_int_equal(l->flags, LF_MALFORMED);
        assert_int_equal(h.pkt.anomalies, 1ull << AN_BAD_ICMP);

        pb_data(&b)[4] = 5; /* 40 bytes: the IPv6 header only, the UDP header is not quote */
        l = run_pb(&h, LAYER_IPV6, &b);
        assert_int_equal(l->flags, 0);
        assert_int_equal(h.pkt.nlayers, 4);
        assert_int_equal(h.pkt.layers[3].flags, LF_QUOTED | LF_TRUNCATED);
        assert_int_equal(h.pkt.layers[3].u.udp.sport, 0);

        pb_data(&b)[4] = 0;
        pb_data(&b)[5] = 0xff; /* the sixth octet is not the length in ICMPv6 */
        l = run_pb(&h, LAYER_IPV6, &b);
        assert_int_equal(l->flags, 0);
        assert_int_equal(h.pkt.nlayers, 4);
        assert_int_equal(h.pkt.layers[3].u.udp.sport, 1000);
        assert_no_anomalies(&h.pkt);
    }

    /* parameter problem quotes, with a 32-bit pointer and no length */
    pb_init(&b);
    uint8_t *u = pb_prepend(&b, 8);
    pb_be16(u, 1000), pb_be16(u + 2, 2000), pb_be16(u + 4, 100);
    pb_ipv6_raw(&b, IP_PROTO_UDP, "2001:db8::1", "2001:db8:1::9", 100);
    pb_icmp_hdr(&b, ICMP6_PARAM_PROB, 0, 0xff000006);
    struct layer *l = run_pb(&h, LAYER_IPV6, &b);
    assert_int_equal(l->u.icmp.quote_layer, 2);
    assert_int_equal(l->u.icmp.mtu, 0);
    assert_int_equal(h.pkt.nlayers, 4);
    assert_no_anomalies(&h.pkt);
}

/* Neighbor discovery and the rest: the layer, nothing more. */
static void test_icmp6_ndp_layer_only(void **state)
{
    (void)state;
    struct pb b;
    pb_init(&b);
    uint8_t target[16];
    put_addr(target, "fe80::1", 16);
    pb_append(&b, target, 16);
    pb_icmp_hdr(&b, ND_NEIGHBOR_SOLICIT, 0, 0);
    struct harness h;
    struct layer *l = run_pb(&h, LAYER_IPV6, &b);
    assert_int_equal(l->u.icmp.type, 135);
    assert_int_equal(l->u.icmp.payload_len, 16);
    assert_int_equal(l->u.icmp.quote_layer, 0);
    assert_int_equal(l->u.icmp.id, 0);
    assert_int_equal(h.pkt.nlayers, 2);
    assert_no_anomalies(&h.pkt);

    /* an ICMPv4 type in ICMPv6 means something else: 3 is time exceeded,
     * 0 is nothing we know */
    pb_data(&b)[0] = 0;
    l = run_pb(&h, LAYER_IPV6, &b);
    assert_int_equal(l->u.icmp.id, 0);
    assert_int_equal(h.pkt.nlayers, 2);
}

/* ---- whole frames ---- */

static void frame_frag_needed(struct pb *b, uint16_t mtu)
{
    build_frag_needed_msg(b, mtu, 0);
    pb_ipv4_raw(b, IP_PROTO_ICMP, "198.51.100.1", "10.0.0.1", 0, 0);
    pb_eth(b, ETH_TYPE_IP);
}

static void test_stack_frag_needed(void **state)
{
    (void)state;
    struct pb b;
    frame_frag_needed(&b, 1400);
    struct packet p;
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/ipv4/icmp/[ipv4!/tcp!");
    assert_no_anomalies(&p);
    assert_int_equal(p.layers[2].u.icmp.mtu, 1400);
    assert_int_equal(p.layers[2].u.icmp.quote_layer, 3);
    assert_int_equal(p.layers[2].u.icmp.payload_len, 28);
    assert_int_equal(p.layers[3].flags, LF_QUOTED | LF_TRUNCATED);
    assert_int_equal(p.layers[4].flags, LF_QUOTED | LF_TRUNCATED);
    assert_int_equal(p.layers[4].u.tcp.sport, 51000);
    assert_int_equal(p.layers[4].u.tcp.dport, 443);
    assert_int_equal(p.layers[4].u.tcp.seq, 0xcafef00d);

    frame_frag_needed(&b, 0);
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/ipv4/icmp/[ipv4!/tcp!");
    assert_int_equal(p.layers[2].u.icmp.mtu, 0);
    assert_no_anomalies(&p);
}

/* eth/ipv4/icmp/[ipv4/tcp] cut at every byte, snapped and not: the outer IP
 * layer counts the cut of its declared length even when it falls inside the
 * quote; nothing inside the quote adds an anomaly of its own.  Not snapped,
 * with the ICMP header whole (n >= 42): the outer IP length is beyond the
 * frame, clamped to it, and the ICMP message is what the frame carried. */
static void test_stack_frag_needed_truncated_at_every_offset(void **state)
{
    (void)state;
    struct pb b;
    frame_frag_needed(&b, 1400);
    size_t total = pb_len(&b);
    assert_int_equal(total, 70);
    for (size_t n = 0; n < total; n++) {
        for (int snapped = 0; snapped <= 1; snapped++) {
            struct packet p;
            tu_decode_buf(&p, DLT_EN10MB, pb_data(&b), n, snapped ? total : n);
            enum anomaly want = snapped  ? AN_TRUNCATED
                                : n < 42 ? AN_SHORT_FRAME
                                         : AN_IP_LEN_BEYOND_FRAME;
            assert_int_equal(p.anomalies, 1ull << want);
            int icmp = pkt_find(&p, LAYER_ICMP, 0);
            if (n < 34) {
                assert_int_equal(icmp, -1);
                continue;
            }
            assert_int_equal(icmp, 2);
            const struct layer *l = &p.layers[icmp];
            assert_int_equal(l->flags, want == AN_IP_LEN_BEYOND_FRAME ? 0 : LF_TRUNCATED);
            assert_int_equal(l->u.icmp.mtu, n >= 42 ? 1400 : 0);
            assert_int_equal(l->u.icmp.quote_layer, n > 42 ? 3 : 0);
            assert_int_equal(p.nlayers, n >= 62 ? 5 : n > 42 ? 4 : 3);
            for (int i = 3; i < p.nlayers; i++)
                assert_int_equal(p.layers[i].flags, LF_QUOTED | LF_TRUNCATED);
            if (n >= 62)
                assert_int_equal(p.layers[4].u.tcp.sport, n >= 64 ? 51000 : 0);
        }
    }
}

static void test_stack_icmp_echo_padded(void **state)
{
    (void)state;
    struct pb b;
    pb_init(&b);
    pb_fill(&b, 10, 'p');
    pb_icmp_hdr(&b, ICMP_ECHO, 0, 0x00010002);
    pb_ipv4_raw(&b, IP_PROTO_ICMP, "10.0.0.1", "10.0.0.2", 0, 0);
    pb_eth(&b, ETH_TYPE_IP);
    pb_fill(&b, 8, 0); /* 52 -> 60 */
    struct packet p;
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/ipv4/icmp");
    assert_no_anomalies(&p);
    assert_int_equal(p.layers[2].u.icmp.payload_len, 10);
    assert_int_equal(p.layers[2].u.icmp.seq, 2);
}

static void test_stack_icmp6_ptb_wireguard(void **state)
{
    (void)state;
    struct pb b;
    build_ptb_msg(&b, 1280);
    pb_ipv6_raw(&b, IP_PROTO_ICMPV6, "2001:db8:ffff::1", "2001:db8::1", 0);
    pb_eth(&b, ETH_TYPE_IPV6);
    struct packet p;
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/ipv6/icmp6/[ipv6!/udp!/wg!");
    assert_no_anomalies(&p);
    assert_int_equal(p.layers[1].u.ip.ip_len, 1280);
    assert_int_equal(p.layers[2].u.icmp.mtu, 1280);
    assert_int_equal(p.layers[2].u.icmp.quote_layer, 3);
    assert_int_equal(p.layers[4].u.udp.dport, 51820);
    assert_int_equal(p.layers[5].u.wg.receiver, 0x11223344);
}

static void test_stack_traceroute_rfc4884(void **state)
{
    (void)state;
    struct pb b;
    build_traceroute_reply(&b);
    pb_ipv4_raw(&b, IP_PROTO_ICMP, "198.51.100.1", "10.0.0.1", 0, 0);
    pb_eth(&b, ETH_TYPE_IP);
    struct packet p;
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/ipv4/icmp/[ipv4/udp");
    assert_no_anomalies(&p);
    assert_int_equal(p.layers[4].u.udp.payload_len, 32);
}

/* A time-exceeded quoting a frag-needed quoting a UDP packet. */
static void test_stack_nested_quotes(void **state)
{
    (void)state;
    struct pb b;
    pb_init(&b);
    uint8_t *u = pb_prepend(&b, 8);
    pb_be16(u, 1000), pb_be16(u + 2, 2000), pb_be16(u + 4, 108);
    pb_ipv4_raw(&b, IP_PROTO_UDP, "10.0.0.1", "192.0.2.9", 128, IP_DF);
    pb_icmp_hdr(&b, ICMP_UNREACH, ICMP_UNREACH_NEEDFRAG, 576);
    pb_ipv4_raw(&b, IP_PROTO_ICMP, "198.51.100.1", "10.0.0.1", 0, 0);
    pb_icmp_hdr(&b, ICMP_TIMEXCEED, 0, 0);
    pb_ipv4_raw(&b, IP_PROTO_ICMP, "203.0.113.1", "198.51.100.1", 0, 0);
    pb_eth(&b, ETH_TYPE_IP);
    struct packet p;
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/ipv4/icmp/[ipv4/icmp/ipv4!/udp!");
    assert_no_anomalies(&p);
    assert_int_equal(p.layers[2].u.icmp.type, 11);
    assert_int_equal(p.layers[2].u.icmp.quote_layer, 3);
    assert_int_equal(p.layers[4].u.icmp.mtu, 576);
    assert_int_equal(p.layers[4].u.icmp.quote_layer, 5);
    assert_int_equal(p.layers[4].flags, LF_QUOTED);
    assert_int_equal(p.layers[6].u.udp.sport, 1000);
    assert_int_equal(p.layers[6].u.udp.payload_len, 100);
}

/* Hostile: errors quoting errors, deeper than the record holds. */
static void test_stack_nesting_hits_layer_cap(void **state)
{
    (void)state;
    struct pb b;
    pb_init(&b);
    uint8_t *u = pb_prepend(&b, 8);
    pb_be16(u, 1000), pb_be16(u + 2, 2000), pb_be16(u + 4, 8);
    pb_ipv4_raw(&b, IP_PROTO_UDP, "10.0.0.1", "192.0.2.9", 0, 0);
    for (int i = 0; i < 40; i++) {
        pb_icmp_hdr(&b, ICMP_UNREACH, ICMP_UNREACH_NEEDFRAG, 1000);
        pb_ipv4_raw(&b, IP_PROTO_ICMP, "198.51.100.1", "10.0.0.1", 0, 0);
    }
    pb_eth(&b, ETH_TYPE_IP);
    struct packet p;
    tu_decode(&p, DLT_EN10MB, &b);
    assert_int_equal(p.nlayers, PKT_MAX_LAYERS);
    assert_int_equal(p.anomalies, 1ull << AN_TOO_MANY_LAYERS);
    assert_int_equal(p.layers[PKT_MAX_LAYERS - 1].type, LAYER_IPV4);
    assert_int_equal(p.layers[PKT_MAX_LAYERS - 2].u.icmp.quote_layer, PKT_MAX_LAYERS - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_icmp_echo),
        cmocka_unit_test(test_icmp_frag_needed),
        cmocka_unit_test(test_icmp_frag_needed_quoted_layers),
        cmocka_unit_test(test_icmp_frag_needed_mtu_zero),
        cmocka_unit_test(test_icmp_other_unreach_has_no_mtu),
        cmocka_unit_test(test_icmp_rfc4884_length_byte),
        cmocka_unit_test(test_icmp_rfc4884_limits_quote),
        cmocka_unit_test(test_icmp_rfc4884_traceroute),
        cmocka_unit_test(test_icmp_too_short),
        cmocka_unit_test(test_icmp_error_without_quote),
        cmocka_unit_test(test_icmp_truncated_at_every_offset),
        cmocka_unit_test(test_icmp6_echo),
        cmocka_unit_test(test_icmp6_packet_too_big),
        cmocka_unit_test(test_icmp6_quoted_wireguard),
        cmocka_unit_test(test_icmp6_rfc4884_length_byte),
        cmocka_unit_test(test_icmp6_ndp_layer_only),
        cmocka_unit_test(test_stack_frag_needed),
        cmocka_unit_test(test_stack_frag_needed_truncated_at_every_offset),
        cmocka_unit_test(test_stack_icmp_echo_padded),
        cmocka_unit_test(test_stack_icmp6_ptb_wireguard),
        cmocka_unit_test(test_stack_traceroute_rfc4884),
        cmocka_unit_test(test_stack_nested_quotes),
        cmocka_unit_test(test_stack_nesting_hits_layer_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
