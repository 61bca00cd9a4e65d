/*
 * test_decode_transport.c - TCP (with options) and UDP.
 *
 * Two kinds of tests.  The "layer" tests call decode_tcp()/decode_udp()
 * directly on a record that already holds a hand-made IP layer, so they pin
 * this module's behaviour whatever state the link and IP decoders are in.
 * The "stack" tests decode whole frames through decode_frame() and check the
 * final layer stack: they also need decode_link.c, decode_ip.c and
 * decode_tunnel.c to be complete.
 */
#include "testutil.h"

#include "decode_transport.h"

/* ---- a record with a hand-made IP layer ---- */

struct harness {
    struct packet pkt;
    struct dstate d;
};

static void h_start(struct harness *h, const uint8_t *base, size_t caplen, size_t wirelen,
                    uint8_t lflags)
{
    memset(&h->pkt, 0, sizeof h->pkt);
    h->pkt.frame = 1;
    h->pkt.caplen = (uint32_t)caplen;
    h->pkt.wirelen = (uint32_t)wirelen;
    h->pkt.data = base;
    h->d.pkt = &h->pkt;
    h->d.base = base;
    h->d.tunnel = 0;
    h->d.lflags = lflags;
}

/* Pushes an IP layer whose length field leaves payload_len bytes. */
static struct layer *h_ip(struct harness *h, enum layer_type t, size_t payload_len,
                          uint16_t ipflags)
{
    struct cursor c = cur_make(h->d.base, 0);
    struct layer *l = dec_push(&h->d, t, &c);
    assert_non_null(l);
    l->u.ip.version = t == LAYER_IPV4 ? 4 : 6;
    l->u.ip.hdr_len = t == LAYER_IPV4 ? 20 : 40;
    l->u.ip.payload_len = (uint16_t)payload_len;
    l->u.ip.ip_len = (uint16_t)(payload_len + l->u.ip.hdr_len);
    l->u.ip.flags = ipflags;
    return l;
}

/* A TCP header with options at h (no checksum: nobody checks it here). */
static size_t tcp_hdr(uint8_t *h, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                      uint8_t flags, uint16_t win, const uint8_t *opts, size_t optlen)
{
    tcp_pack_hdr(h, sport, dport, seq, ack, flags, win, 0);
    h[12] = (uint8_t)(((TCP_HDR_LEN + optlen) / 4) << 4);
    if (optlen)
        memcpy(h + TCP_HDR_LEN, opts, optlen);
    return TCP_HDR_LEN + optlen;
}

/* Decodes `seg` (caplen bytes of it) as TCP after an IPv4 layer of payload ip_payload. */
static struct layer *run_tcp(struct harness *h, const uint8_t *seg, size_t caplen,
                             size_t ip_payload, size_t wirelen_extra)
{
    h_start(h, seg, caplen, caplen + wirelen_extra, 0);
    h_ip(h, LAYER_IPV4, ip_payload, IPF_DF);
    decode_tcp(&h->d, cur_make(seg, caplen));
    assert_int_equal(h->pkt.nlayers, 2);
    assert_int_equal(h->pkt.layers[1].type, LAYER_TCP);
    return &h->pkt.layers[1];
}

/* Every option we read, one we skip, then EOL followed by a byte that would
 * be malformed if it were parsed. */
static const uint8_t all_opts[] = {
    2,    4,  0x05, 0xb4,                                     /* MSS 1460 */
    1,                                                        /* NOP */
    3,    3,  7,                                              /* window scale 7 */
    4,    2,                                                  /* SACK permitted */
    8,    10, 0x00, 0x00, 0x30, 0x39, 0xde, 0xad, 0xbe, 0xef, /* TS 12345, 0xdeadbeef */
    34,   6,  0xaa, 0xbb, 0xcc, 0xdd, /* TFO cookie (unknown to us): skipped */
    0,                                /* EOL */
    0x05,                             /* after EOL: never read */
};

static void test_tcp_every_field_and_option(void **state)
{
    (void)state;
    uint8_t seg[200];
    size_t hl = tcp_hdr(seg, 40000, 443, 0x01020304, 0xa0b0c0d0, TH_SYN | TH_ACK | TH_ECE, 29200,
                        all_opts, sizeof all_opts);
    assert_int_equal(hl, 48);
    memset(seg + hl, 'x', 100);

    struct harness h;
    struct layer *l = run_tcp(&h, seg, hl + 100, hl + 100, 0);
    const struct tcp_info *t = &l->u.tcp;
    assert_int_equal(t->sport, 40000);
    assert_int_equal(t->dport, 443);
    assert_int_equal(t->seq, 0x01020304);
    assert_int_equal(t->ack, 0xa0b0c0d0);
    assert_int_equal(t->flags, TCPF_SYN | TCPF_ACK | TCPF_ECE);
    assert_int_equal(t->window, 29200);
    assert_int_equal(t->hdr_len, 48);
    assert_int_equal(t->payload_len, 100);
    assert_int_equal(t->opts, TCPO_MSS | TCPO_WSCALE | TCPO_SACKPERM | TCPO_TS);
    assert_int_equal(t->mss, 1460);
    assert_int_equal(t->wscale, 7);
    assert_int_equal(t->ts_val, 12345);
    assert_int_equal(t->ts_ecr, 0xdeadbeef);
    assert_int_equal(t->nsack, 0);
    assert_int_equal(l->flags, 0);
    assert_int_equal(l->offset, 0);
    assert_no_anomalies(&h.pkt);
}

static void test_tcp_sack_one_block(void **state)
{
    (void)state;
    static const uint8_t opts[] = {1, 1, 5, 10, 0, 0, 0x10, 0, 0, 0, 0x20, 0};
    uint8_t seg[64];
    size_t hl = tcp_hdr(seg, 80, 50000, 7, 4096, TH_ACK, 500, opts, sizeof opts);
    struct harness h;
    struct layer *l = run_tcp(&h, seg, hl, hl, 0);
    assert_int_equal(l->u.tcp.opts, TCPO_SACK);
    assert_int_equal(l->u.tcp.nsack, 1);
    assert_int_equal(l->u.tcp.sack[0].left, 0x1000);
    assert_int_equal(l->u.tcp.sack[0].right, 0x2000);
    assert_int_equal(l->u.tcp.payload_len, 0);
    assert_no_anomalies(&h.pkt);
}

static void test_tcp_sack_four_blocks(void **state)
{
    (void)state;
    uint8_t opts[36] = {1, 1, 5, 34};
    for (int i = 0; i < 8; i++)
        pb_be32(opts + 4 + 4 * i, 1000u * (uint32_t)(i + 1));
    uint8_t seg[64];
    size_t hl = tcp_hdr(seg, 80, 50000, 7, 4096, TH_ACK, 500, opts, sizeof opts);
    assert_int_equal(hl, 56);
    struct harness h;
    struct layer *l = run_tcp(&h, seg, hl, hl, 0);
    assert_int_equal(l->u.tcp.opts, TCPO_SACK);
    assert_int_equal(l->u.tcp.nsack, 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(l->u.tcp.sack[i].left, 1000u * (uint32_t)(2 * i + 1));
        assert_int_equal(l->u.tcp.sack[i].right, 1000u * (uint32_t)(2 * i + 2));
    }
    assert_no_anomalies(&h.pkt);
}

/* Options that cannot be framed: the header is kept, parsing stops, what came
 * before stays. */
static void check_bad_option(const uint8_t *opts, size_t optlen, uint8_t expect_opts)
{
    uint8_t seg[64];
    size_t hl = tcp_hdr(seg, 1, 2, 3, 4, TH_ACK, 5, opts, optlen);
    struct harness h;
    struct layer *l = run_tcp(&h, seg, hl, hl, 0);
    assert_int_equal(l->u.tcp.sport, 1);
    assert_int_equal(l->u.tcp.dport, 2);
    assert_int_equal(l->u.tcp.seq, 3);
    assert_int_equal(l->u.tcp.ack, 4);
    assert_int_equal(l->u.tcp.window, 5);
    assert_int_equal(l->u.tcp.hdr_len, hl);
    assert_int_equal(l->u.tcp.opts, expect_opts);
    assert_int_equal(l->flags, LF_MALFORMED);
    assert_int_equal(h.pkt.anomalies, 1ull << AN_BAD_TCP_OPTION);
}

static void test_tcp_bad_options(void **state)
{
    (void)state;
    static const uint8_t len0[] = {2, 4, 0x05, 0xb4, 30, 0, 3, 3, 7, 1, 1, 1};
    static const uint8_t len1[] = {2, 4, 0x05, 0xb4, 30, 1, 3, 3, 7, 1, 1, 1};
    static const uint8_t past_end[] = {2, 4, 0x05, 0xb4, 1, 1, 30, 7, 0, 0, 0, 0};
    static const uint8_t no_len_byte[] = {3, 3, 7, 1, 1, 1, 1, 2};
    static const uint8_t sack_past_end[] = {1, 1, 5, 42, 0, 0, 0, 0}; /* 5 blocks */
    check_bad_option(len0, sizeof len0, TCPO_MSS);
    check_bad_option(len1, sizeof len1, TCPO_MSS);
    check_bad_option(past_end, sizeof past_end, TCPO_MSS);
    check_bad_option(no_len_byte, sizeof no_len_byte, TCPO_WSCALE);
    check_bad_option(sack_past_end, sizeof sack_past_end, 0);
}

/* A known option with the wrong length is malformed but framed by its length:
 * it is skipped, not recorded, and the options after it are read. */
static void test_tcp_known_option_wrong_length(void **state)
{
    (void)state;
    static const uint8_t opts[] = {
        2, 5,  0x05, 0xb4, 0,                      /* MSS with length 5 */
        5, 12, 0,    0,    0, 1, 0, 0, 0, 2, 0, 0, /* SACK with length 12 (not 2 + 8n) */
        3, 3,  9,                                  /* window scale 9: fine */
        8, 9,  0,    0,    0, 0, 0, 0, 0,          /* timestamps with length 9 */
        1, 1,  1,                                  /* NOP */
    };
    uint8_t seg[64];
    size_t hl = tcp_hdr(seg, 1, 2, 3, 4, TH_ACK, 5, opts, sizeof opts);
    struct harness h;
    struct layer *l = run_tcp(&h, seg, hl, hl, 0);
    assert_int_equal(l->u.tcp.opts, TCPO_WSCALE);
    assert_int_equal(l->u.tcp.wscale, 9);
    assert_int_equal(l->u.tcp.mss, 0);
    assert_int_equal(l->u.tcp.nsack, 0);
    assert_int_equal(l->flags, LF_MALFORMED);
    assert_int_equal(h.pkt.anomalies, 1ull << AN_BAD_TCP_OPTION);
}

static void test_tcp_bad_data_offset(void **state)
{
    (void)state;
    uint8_t seg[80];
    struct harness h;

    /* data offset 4: below the fixed header */
    size_t hl = tcp_hdr(seg, 1, 2, 3, 4, TH_ACK, 5, NULL, 0);
    memset(seg + hl, 0, 40);
    seg[12] = 4 << 4;
    struct layer *l = run_tcp(&h, seg, 60, 60, 0);
    assert_int_equal(l->u.tcp.hdr_len, 16);
    assert_int_equal(l->u.tcp.sport, 1);
    assert_int_equal(l->u.tcp.ack, 4);
    assert_int_equal(l->u.tcp.payload_len, 0);
    assert_int_equal(l->flags, LF_MALFORMED);
    assert_int_equal(h.pkt.anomalies, 1ull << AN_BAD_TCP_HDR_LEN);

    /* data offset 15 (60 bytes) in a 40-byte segment, captured bytes or not */
    seg[12] = 15 << 4;
    l = run_tcp(&h, seg, 60, 40, 0);
    assert_int_equal(l->u.tcp.hdr_len, 60);
    assert_int_equal(l->flags, LF_MALFORMED);
    assert_int_equal(h.pkt.anomalies, 1ull << AN_BAD_TCP_HDR_LEN);

    /* an IP length that leaves less than a TCP header, the rest being padding */
    seg[12] = 5 << 4;
    l = run_tcp(&h, seg, 60, 12, 0);
    assert_int_equal(l->u.tcp.sport, 1);
    assert_int_equal(l->u.tcp.seq, 3);
    assert_int_equal(l->u.tcp.ack, 4);
    assert_int_equal(l->u.tcp.window, 0); /* byte 14: past the segment */
    assert_int_equal(l->flags, LF_MALFORMED);
    assert_int_equal(h.pkt.anomalies, 1ull << AN_BAD_TCP_HDR_LEN);
}

/* Ethernet pads a 54-byte frame to 60: the segment length is the IP's. */
static void test_tcp_payload_len_ignores_padding(void **state)
{
    (void)state;
    uint8_t seg[40] = {0};
    size_t hl = tcp_hdr(seg, 1, 2, 3, 4, TH_ACK, 5, NULL, 0);
    struct harness h;
    struct layer *l = run_tcp(&h, seg, hl + 6, hl, 0);
    assert_int_equal(l->u.tcp.payload_len, 0);
    assert_no_anomalies(&h.pkt);
}

/* A snap length cuts the payload: payload_len still says what was sent; the
 * layer is marked (its declared payload was cut) and the cut is counted. */
static void test_tcp_snapped_payload(void **state)
{
    (void)state;
    uint8_t seg[64];
    size_t hl = tcp_hdr(seg, 1, 2, 3, 4, TH_ACK, 5, NULL, 0);
    memset(seg + hl, 'x', 10);
    struct harness h;
    struct layer *l = run_tcp(&h, seg, hl + 10, 1460, 1400);
    assert_int_equal(l->u.tcp.payload_len, 1440);
    assert_int_equal(l->flags, LF_TRUNCATED);
    assert_int_equal(h.pkt.anomalies, 1ull << AN_TRUNCATED);
}

/* AH sits between IP and TCP: its bytes are in the IP payload length. */
static void test_tcp_after_ah(void **state)
{
    (void)state;
    uint8_t seg[200] = {0};
    size_t hl = tcp_hdr(seg, 1, 2, 3, 4, TH_ACK, 5, NULL, 0);
    struct harness h;
    h_start(&h, seg, hl + 100, hl + 100, 0);
    h_ip(&h, LAYER_IPV6, 24 + 20 + 100, 0);
    struct cursor c0 = cur_make(seg, 0);
    struct layer *ah = dec_push(&h.d, LAYER_AH, &c0);
    ah->u.ah.len = 24;
    decode_tcp(&h.d, cur_make(seg, hl + 100));
    assert_int_equal(h.pkt.layers[2].type, LAYER_TCP);
    assert_int_equal(h.pkt.layers[2].u.tcp.payload_len, 100);
    assert_no_anomalies(&h.pkt);
}

/* A first fragment holds only part of the segment: payload_len is unknown (0). */
static void test_tcp_first_fragment(void **state)
{
    (void)state;
    uint8_t seg[64];
    size_t hl = tcp_hdr(seg, 1, 2, 3, 4, TH_ACK, 5, NULL, 0);
    struct harness h;
    h_start(&h, seg, hl, hl, 0);
    h_ip(&h, LAYER_IPV4, hl + 8, IPF_MF | IPF_FRAGMENT);
    decode_tcp(&h.d, cur_make(seg, hl));
    assert_int_equal(h.pkt.layers[1].u.tcp.payload_len, 0);
    assert_int_equal(h.pkt.layers[1].u.tcp.seq, 3);
    assert_no_anomalies(&h.pkt);
}

/* Without an IP layer (or in a reassembled datagram) the cursor is the length. */
static void test_tcp_length_from_cursor(void **state)
{
    (void)state;
    uint8_t seg[64] = {0};
    size_t hl = tcp_hdr(seg, 1, 2, 3, 4, TH_ACK, 5, NULL, 0);
    struct harness h;
    h_start(&h, seg, hl + 30, hl + 30, 0);
    decode_tcp(&h.d, cur_make(seg, hl + 30));
    assert_int_equal(h.pkt.layers[0].u.tcp.payload_len, 30);

    h_start(&h, seg, hl + 30, hl + 30, LF_REASSEMBLED);
    h_ip(&h, LAYER_IPV4, 8, IPF_FRAGMENT); /* the completing fragment: 8 bytes */
    decode_tcp(&h.d, cur_make(seg, hl + 30));
    assert_int_equal(h.pkt.layers[1].u.tcp.payload_len, 30);
    assert_int_equal(h.pkt.layers[1].flags, LF_REASSEMBLED);
    assert_no_anomalies(&h.pkt);
}

/* An ICMP error quotes 8 bytes of TCP: ports and sequence number. */
static void test_tcp_quoted_eight_bytes(void **state)
{
    (void)state;
    uint8_t seg[64];
    tcp_hdr(seg, 51000, 22, 0xcafef00d, 77, TH_ACK, 5, NULL, 0);
    struct harness h;
    h_start(&h, seg, 8, 8, LF_QUOTED);
    h_ip(&h, LAYER_IPV4, 1480, IPF_DF);
    decode_tcp(&h.d, cur_make(seg, 8));
    const struct layer *l = &h.pkt.layers[1];
    assert_int_equal(l->type, LAYER_TCP);
    assert_int_equal(l->u.tcp.sport, 51000);
    assert_int_equal(l->u.tcp.dport, 22);
    assert_int_equal(l->u.tcp.seq, 0xcafef00d);
    assert_int_equal(l->u.tcp.ack, 0);
    assert_int_equal(l->flags, LF_QUOTED | LF_TRUNCATED);
    assert_no_anomalies(&h.pkt);
}

/* Cut the segment at every byte: the layer is truncated (header, options or
 * declared payload) and the anomaly names the cause; an option is either read
 * whole or not recorded; the fields before the cut are kept. */
static void test_tcp_truncated_at_every_offset(void **state)
{
    (void)state;
    uint8_t seg[200];
    size_t hl =
        tcp_hdr(seg, 40000, 443, 0x01020304, 0xa0b0c0d0, TH_SYN, 29200, all_opts, sizeof all_opts);
    memset(seg + hl, 'x', 20);
    size_t total = hl + 20;

    for (size_t n = 0; n <= total; n++) {
        for (int snapped = 0; snapped <= 1; snapped++) {
            struct harness h;
            size_t extra = snapped ? total - n : 0;
            struct layer *l = run_tcp(&h, seg, n, total, extra);
            const struct tcp_info *t = &l->u.tcp;
            if (n < total) {
                assert_int_equal(l->flags, LF_TRUNCATED);
                assert_int_equal(h.pkt.anomalies,
                                 1ull << (snapped ? AN_TRUNCATED : AN_SHORT_FRAME));
            } else {
                assert_int_equal(l->flags, 0);
                assert_no_anomalies(&h.pkt);
            }
            assert_int_equal(t->payload_len, n >= 20 ? 20 : 0); /* once the offset is read */
            assert_int_equal(t->sport, n >= 2 ? 40000 : 0);
            assert_int_equal(t->seq, n >= 8 ? 0x01020304 : 0);
            assert_true(t->mss == 0 || t->mss == 1460);
            assert_int_equal(!!(t->opts & TCPO_MSS), n >= 24);
            assert_int_equal(!!(t->opts & TCPO_WSCALE), n >= 28);
            assert_int_equal(!!(t->opts & TCPO_TS), n >= 40);
            assert_int_equal(t->ts_ecr, n >= 40 ? 0xdeadbeef : 0);
        }
    }
}

static void test_tcp_layer_cap(void **state)
{
    (void)state;
    uint8_t seg[64];
    size_t hl = tcp_hdr(seg, 1, 2, 3, 4, TH_ACK, 5, NULL, 0);
    struct harness h;
    h_start(&h, seg, hl, hl, 0);
    for (int i = 0; i < PKT_MAX_LAYERS; i++)
        h_ip(&h, LAYER_IPV4, hl, 0);
    decode_tcp(&h.d, cur_make(seg, hl));
    decode_udp(&h.d, cur_make(seg, hl));
    assert_int_equal(h.pkt.nlayers, PKT_MAX_LAYERS);
    assert_int_equal(h.pkt.anomalies, 1ull << AN_TOO_MANY_LAYERS);
}

/* ---- UDP ---- */

static struct layer *run_udp(struct harness *h, const uint8_t *dgram, size_t caplen,
                             size_t ip_payload, uint16_t ipflags, uint8_t lflags)
{
    h_start(h, dgram, caplen, caplen, lflags);
    h_ip(h, LAYER_IPV4, ip_payload, ipflags);
    decode_udp(&h->d, cur_make(dgram, caplen));
    assert_true(h->pkt.nlayers >= 2);
    assert_int_equal(h->pkt.layers[1].type, LAYER_UDP);
    return &h->pkt.layers[1];
}

static size_t udp_hdr(uint8_t *h, uint16_t sport, uint16_t dport, uint16_t len)
{
    udp_pack_hdr(h, sport, dport, len);
    h[6] = h[7] = 0;
    return UDP_HDR_LEN;
}

static void test_udp_fields(void **state)
{
    (void)state;
    uint8_t dg[100];
    udp_hdr(dg, 5353 + 1, 33434, 40);
    memset(dg + 8, 0x40, 32);
    struct harness h;
    struct layer *l = run_udp(&h, dg, 40 + 6, 40, 0, 0); /* with 6 bytes of padding */
    assert_int_equal(l->u.udp.sport, 5354);
    assert_int_equal(l->u.udp.dport, 33434);
    assert_int_equal(l->u.udp.len, 40);
    assert_int_equal(l->u.udp.payload_len, 32);
    assert_int_equal(l->flags, 0);
    assert_int_equal(h.pkt.nlayers, 2); /* no tunnel on those ports */
    assert_no_anomalies(&h.pkt);

    /* shorter than the IP payload (trailing bytes): legal, the UDP length wins */
    dg[5] = 20;
    l = run_udp(&h, dg, 40, 40, 0, 0);
    assert_int_equal(l->u.udp.payload_len, 12);
    assert_no_anomalies(&h.pkt);
}

static void test_udp_bad_length(void **state)
{
    (void)state;
    uint8_t dg[100] = {0};
    struct harness h;

    udp_hdr(dg, 1000, 2000, 7); /* below the header */
    struct layer *l = run_udp(&h, dg, 40, 40, 0, 0);
    assert_int_equal(l->u.udp.len, 7);
    assert_int_equal(l->u.udp.payload_len, 32); /* what the IP length leaves */
    assert_int_equal(l->flags, LF_MALFORMED);
    assert_int_equal(h.pkt.anomalies, 1ull << AN_BAD_UDP_LEN);

    udp_hdr(dg, 1000, 2000, 41); /* past the IP payload */
    l = run_udp(&h, dg, 40, 40, 0, 0);
    assert_int_equal(l->u.udp.len, 41);
    assert_int_equal(l->u.udp.payload_len, 32);
    assert_int_equal(h.pkt.anomalies, 1ull << AN_BAD_UDP_LEN);

    /* an IP length too small for a UDP header */
    l = run_udp(&h, dg, 40, 6, 0, 0);
    assert_int_equal(l->u.udp.sport, 1000);
    assert_int_equal(l->u.udp.dport, 2000);
    assert_int_equal(l->u.udp.len, 41);
    assert_int_equal(l->u.udp.payload_len, 0);
    assert_int_equal(l->flags, LF_MALFORMED);
    assert_int_equal(h.pkt.anomalies, 1ull << AN_BAD_UDP_LEN);
    l = run_udp(&h, dg, 40, 5, 0, 0);
    assert_int_equal(l->u.udp.len, 0); /* byte 5 is past the IP length */
    assert_int_equal(l->flags, LF_MALFORMED);
    assert_int_equal(h.pkt.anomalies, 1ull << AN_BAD_UDP_LEN);

    /* the same inside a quote: marked, not counted */
    udp_hdr(dg, 1000, 2000, 3);
    l = run_udp(&h, dg, 40, 40, 0, LF_QUOTED);
    assert_int_equal(l->flags, LF_QUOTED | LF_MALFORMED);
    assert_no_anomalies(&h.pkt);
}

/* In a first fragment the UDP length covers the whole datagram. */
static void test_udp_first_fragment(void **state)
{
    (void)state;
    uint8_t dg[100] = {0};
    udp_hdr(dg, 4789, 4789, 1408);
    struct harness h;
    struct layer *l = run_udp(&h, dg, 48, 48, IPF_MF | IPF_FRAGMENT, 0);
    assert_int_equal(l->u.udp.len, 1408);
    assert_int_equal(l->u.udp.payload_len, 1400);
    assert_int_equal(h.pkt.nlayers, 2); /* left for decode_reassembled */
    assert_no_anomalies(&h.pkt);
}

static void test_udp_truncated_at_every_offset(void **state)
{
    (void)state;
    uint8_t dg[40];
    udp_hdr(dg, 1000, 2000, 40);
    memset(dg + 8, 0x40, 32);
    for (size_t n = 0; n < 8; n++) {
        for (int snapped = 0; snapped <= 1; snapped++) {
            struct harness h;
            h_start(&h, dg, n, snapped ? 40 : n, 0);
            h_ip(&h, LAYER_IPV4, 40, 0);
            decode_udp(&h.d, cur_make(dg, n));
            const struct layer *l = &h.pkt.layers[1];
            assert_int_equal(h.pkt.nlayers, 2);
            assert_int_equal(l->flags, LF_TRUNCATED);
            assert_int_equal(l->u.udp.sport, n >= 2 ? 1000 : 0);
            assert_int_equal(l->u.udp.dport, n >= 4 ? 2000 : 0);
            assert_int_equal(l->u.udp.len, n >= 6 ? 40 : 0);
            assert_int_equal(h.pkt.anomalies, 1ull << (snapped ? AN_TRUNCATED : AN_SHORT_FRAME));
        }
    }
}

/* The payload goes to decode_udp_payload, which picks VXLAN by port; the
 * next layer starts right after the 8-byte header. */
static void test_udp_to_vxlan_port(void **state)
{
    (void)state;
    struct pb b;
    pb_init(&b);
    pb_fill(&b, 20, 'x');
    pb_tcp(&b, 1234, 80, 1000, 0, TH_ACK);
    pb_ipv4(&b, IP_PROTO_TCP, "192.168.0.1", "192.168.0.2", IP_DF);
    pb_eth(&b, ETH_TYPE_IP);
    pb_vxlan(&b, 42);
    pb_udp(&b, 51000, 4789);
    size_t len = pb_len(&b);
    struct harness h;
    struct layer *l = run_udp(&h, pb_data(&b), len, len, 0, 0);
    assert_int_equal(l->u.udp.dport, 4789);
    assert_int_equal(l->u.udp.payload_len, len - 8);
    assert_true(h.pkt.nlayers >= 3);
    assert_int_equal(h.pkt.layers[2].type, LAYER_VXLAN);
    assert_int_equal(h.pkt.layers[2].offset, 8);
    assert_int_equal(h.pkt.layers[2].flags, 0);
    int tcp = pkt_find(&h.pkt, LAYER_TCP, 0);
    assert_int_equal(tcp, 5); /* ipv4/udp/vxlan/eth/ipv4/tcp */
    assert_int_equal(h.pkt.layers[tcp].flags, 0);

    /* a UDP length 10 bytes short of the IP payload: what follows it is not
     * the tunnel's, so the inner segment comes up short */
    pb_be16(pb_data(&b) + 4, (uint16_t)(len - 10));
    l = run_udp(&h, pb_data(&b), len, len, 0, 0);
    assert_int_equal(l->u.udp.payload_len, len - 18);
    assert_int_equal(h.pkt.layers[tcp].type, LAYER_TCP);
    assert_int_equal(h.pkt.layers[tcp].flags, LF_TRUNCATED);
}

/* ---- whole frames (need the link, IP and tunnel decoders) ---- */

/*
 * An IPv4 header written byte by byte.  testutil's pb_ipv4() packs through a
 * struct ip_hdr pointer, which UBSan rejects when the header lands on an
 * address that is 2 mod 4, as an outer header in front of a 14-byte inner
 * Ethernet header does.  No transport checksum (0 is valid for UDP/IPv4).
 */
static void pb_ipv4_unaligned(struct pb *b, uint8_t proto, const char *src, const char *dst)
{
    size_t len = pb_len(b) + IP_HDR_LEN;
    struct addr s = tu_addr(src), d = tu_addr(dst);
    uint8_t *h = pb_prepend(b, IP_HDR_LEN);
    h[0] = 0x45;
    pb_be16(h + 2, (uint16_t)len);
    pb_be16(h + 4, 0x4321);
    h[8] = 64;
    h[9] = proto;
    memcpy(h + 12, &s.addr_ip, 4);
    memcpy(h + 16, &d.addr_ip, 4);
    uint32_t sum = 0;
    for (int i = 0; i < IP_HDR_LEN; i += 2)
        sum += (uint32_t)(h[i] << 8 | h[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    pb_be16(h + 10, (uint16_t)~sum);
}

static void test_stack_eth_ipv4_tcp_padded(void **state)
{
    (void)state;
    struct pb b;
    pb_init(&b);
    pb_tcp(&b, 1234, 80, 1000, 2000, TH_ACK);
    pb_ipv4(&b, IP_PROTO_TCP, "10.0.0.1", "10.0.0.2", IP_DF);
    pb_eth(&b, ETH_TYPE_IP);
    pb_fill(&b, 6, 0); /* Ethernet minimum frame: 54 -> 60 */
    struct packet p;
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/ipv4/tcp");
    assert_no_anomalies(&p);
    int i = pkt_find(&p, LAYER_TCP, 0);
    assert_int_equal(i, 2);
    assert_int_equal(p.layers[i].u.tcp.payload_len, 0);
    assert_int_equal(p.layers[i].u.tcp.ack, 2000);
    assert_int_equal(p.layers[i].offset, 34);
}

static void test_stack_vlan_tcp_snapped(void **state)
{
    (void)state;
    struct pb b;
    pb_init(&b);
    pb_fill(&b, 1400, 'x');
    pb_tcp_opts(&b, 1234, 80, 1000, 2000, TH_ACK, (const uint8_t[]){1, 1, 4, 2}, 4);
    pb_ipv4(&b, IP_PROTO_TCP, "10.0.0.1", "10.0.0.2", IP_DF);
    pb_vlan(&b, ETH_TYPE_8021Q, 100, ETH_TYPE_IP);
    pb_eth(&b, ETH_TYPE_8021Q);
    struct packet p;
    tu_decode_buf(&p, DLT_EN10MB, pb_data(&b), 96, pb_len(&b));
    int i = pkt_find(&p, LAYER_TCP, 0);
    assert_int_equal(i, 3);
    assert_int_equal(p.layers[i].u.tcp.payload_len, 1400);
    assert_int_equal(p.layers[i].u.tcp.opts, TCPO_SACKPERM);
    assert_int_equal(p.layers[i].flags, LF_TRUNCATED);
    tu_assert_stack(&p, "eth/vlan/ipv4!/tcp!");
    assert_int_equal(p.anomalies, 1ull << AN_TRUNCATED);
}

static void test_stack_udp_vxlan(void **state)
{
    (void)state;
    struct pb b;
    pb_init(&b);
    pb_fill(&b, 20, 'x');
    pb_tcp(&b, 1234, 80, 1000, 0, TH_ACK);
    pb_ipv4(&b, IP_PROTO_TCP, "192.168.0.1", "192.168.0.2", IP_DF);
    pb_eth(&b, ETH_TYPE_IP);
    pb_vxlan(&b, 42);
    pb_udp(&b, 51000, 4789);
    pb_ipv4_unaligned(&b, IP_PROTO_UDP, "10.0.0.1", "10.0.0.2");
    pb_eth(&b, ETH_TYPE_IP);
    struct packet p;
    tu_decode(&p, DLT_EN10MB, &b);
    tu_assert_stack(&p, "eth/ipv4/udp/vxlan/eth/ipv4/tcp");
    assert_no_anomalies(&p);
    assert_int_equal(p.layers[2].u.udp.payload_len, 8 + 14 + 20 + 20 + 20);
    assert_int_equal(p.layers[6].u.tcp.payload_len, 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_every_field_and_option),
        cmocka_unit_test(test_tcp_sack_one_block),
        cmocka_unit_test(test_tcp_sack_four_blocks),
        cmocka_unit_test(test_tcp_bad_options),
        cmocka_unit_test(test_tcp_known_option_wrong_length),
        cmocka_unit_test(test_tcp_bad_data_offset),
        cmocka_unit_test(test_tcp_payload_len_ignores_padding),
        cmocka_unit_test(test_tcp_snapped_payload),
        cmocka_unit_test(test_tcp_after_ah),
        cmocka_unit_test(test_tcp_first_fragment),
        cmocka_unit_test(test_tcp_length_from_cursor),
        cmocka_unit_test(test_tcp_quoted_eight_bytes),
        cmocka_unit_test(test_tcp_truncated_at_every_offset),
        cmocka_unit_test(test_tcp_layer_cap),
        cmocka_unit_test(test_udp_fields),
        cmocka_unit_test(test_udp_bad_length),
        cmocka_unit_test(test_udp_first_fragment),
        cmocka_unit_test(test_udp_truncated_at_every_offset),
        cmocka_unit_test(test_udp_to_vxlan_port),
        cmocka_unit_test(test_stack_eth_ipv4_tcp_padded),
        cmocka_unit_test(test_stack_vlan_tcp_snapped),
        cmocka_unit_test(test_stack_udp_vxlan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
