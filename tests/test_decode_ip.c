/* test_decode_ip.c - IPv4 (options, fragments, TSO), IPv6 (extension headers, jumbograms), AH.
 *
 * Most tests decode from DLT_RAW / DLT_IPV4 / DLT_IPV6 so the IP layer is the
 * first one and its fields can be checked whatever state the link decoders are
 * in.  The tests named *_final check whole stacks through Ethernet and the
 * transport decoders. */
#include "testutil.h"

#include "decode_ip.h"

#define BIT(a) (1ull << (a))

static struct packet pkt;
static struct pb b;

static void assert_addr(const struct addr *a, const char *s)
{
    struct addr want = tu_addr(s);
    if (addr_cmp(a, &want) != 0)
        print_error("address %s, expected %s\n", addr_ntoa(a), s);
    assert_int_equal(addr_cmp(a, &want), 0);
    assert_int_equal(a->addr_type, want.addr_type);
    assert_int_equal(a->addr_bits, want.addr_bits);
}

/* IPv4 header with options (optlen a multiple of 4), checksum of the header only. */
static void pb_ipv4_opts(struct pb *p, uint8_t proto, const uint8_t *opts, size_t optlen,
                         uint16_t off_flags)
{
    size_t hl = IP_HDR_LEN + optlen;
    size_t len = pb_len(p) + hl;
    struct addr s = tu_addr("10.0.0.1"), d = tu_addr("10.0.0.2");
    uint8_t *h = pb_prepend(p, hl);
    ip_pack_hdr(h, 0, len, 0x1234, off_flags, 64, proto, s.addr_ip, d.addr_ip);
    h[0] = (uint8_t)(0x40 | hl / 4);
    memcpy(h + IP_HDR_LEN, opts, optlen);
    ip_checksum(h, hl);
}

static void ipv4_recsum(uint8_t *h)
{
    h[10] = h[11] = 0;
    ip_checksum(h, (size_t)(h[0] & 0x0f) * 4);
}

/* A generic IPv6 extension header: next, length in 8-byte units - 1, body. */
static void pb_ext(struct pb *p, uint8_t next, const uint8_t *body, size_t bodylen)
{
    assert_int_equal((bodylen + 2) % 8, 0);
    uint8_t *h = pb_prepend(p, bodylen + 2);
    h[0] = next;
    h[1] = (uint8_t)((bodylen + 2) / 8 - 1);
    if (bodylen)
        memcpy(h + 2, body, bodylen);
}

static void pb_frag6(struct pb *p, uint8_t next, uint16_t off, bool more, uint32_t id)
{
    uint8_t *h = pb_prepend(p, 8);
    h[0] = next;
    pb_be16(h + 2, (uint16_t)(off | (more ? 1 : 0)));
    pb_be32(h + 4, id);
}

static void pb_ah(struct pb *p, uint8_t next, uint8_t len, uint32_t spi, uint32_t seq)
{
    size_t n = ((size_t)len + 2) * 4;
    uint8_t *h = pb_prepend(p, n < 12 ? 12 : n);
    h[0] = next;
    h[1] = len;
    pb_be32(h + 4, spi);
    pb_be32(h + 8, seq);
}

static const uint8_t padn6[6] = {1, 4, 0, 0, 0, 0}; /* PadN filling an 8-byte header */

/* eth? / ipv6 / HBH / routing / dstopts / tcp, 10 bytes of data */
static void build_ipv6_ext_tcp(struct pb *p)
{
    static const uint8_t rtg[22] = {4, 1}; /* type 4 (SRH), segments left 1, one address */
    pb_init(p);
    pb_fill(p, 10, 'd');
    pb_tcp(p, 40000, 443, 1, 2, TH_ACK);
    pb_ext(p, IP_PROTO_TCP, padn6, sizeof padn6);
    pb_ext(p, IP_PROTO_DSTOPTS, rtg, sizeof rtg);
    pb_ext(p, IP_PROTO_ROUTING, padn6, sizeof padn6);
    pb_ipv6(p, IP_PROTO_HOPOPTS, "2001:db8::1", "2001:db8::2");
}

/* ---- IPv4 ---- */

static void test_ipv4_fields(void **state)
{
    (void)state;
    pb_init(&b);
    pb_fill(&b, 100, 'x');
    pb_tcp(&b, 1234, 80, 1000, 0, TH_ACK);
    pb_ipv4_id(&b, IP_PROTO_TCP, "192.0.2.1", "198.51.100.7", IP_DF, 0xbeef);
    uint8_t *h = pb_data(&b);
    h[1] = 0xb8; /* DSCP EF */
    h[8] = 37;   /* TTL */
    ipv4_recsum(h);
    tu_decode(&pkt, DLT_RAW, &b);
    assert_no_anomalies(&pkt);
    tu_assert_stack(&pkt, "ipv4/tcp");
    const struct layer *l = &pkt.layers[0];
    const struct ip_info *ip = &l->u.ip;
    assert_int_equal(l->offset, 0);
    assert_int_equal(l->flags, 0);
    assert_int_equal(l->tunnel, 0);
    assert_int_equal(ip->version, 4);
    assert_int_equal(ip->hdr_len, 20);
    assert_int_equal(ip->ip_len, 140);
    assert_int_equal(ip->payload_len, 120);
    assert_int_equal(ip->payload_off, 20);
    assert_int_equal(ip->id, 0xbeef);
    assert_int_equal(ip->ttl, 37);
    assert_int_equal(ip->tos, 0xb8);
    assert_int_equal(ip->proto, IP_PROTO_TCP);
    assert_int_equal(ip->flags, IPF_DF);
    assert_int_equal(ip->frag_off, 0);
    assert_int_equal(ip->reasm_len, 0);
    assert_int_equal(ip->flowlabel, 0);
    assert_addr(&ip->src, "192.0.2.1");
    assert_addr(&ip->dst, "198.51.100.7");
    assert_int_equal(pkt.layers[1].offset, 20);
}

static void test_ipv4_fragments_stop(void **state)
{
    (void)state;
    /* first fragment: MF, offset 0 */
    pb_init(&b);
    pb_fill(&b, 1472, 'a');
    pb_udp(&b, 1, 2);
    pb_ipv4_id(&b, IP_PROTO_UDP, "10.0.0.1", "10.0.0.2", IP_MF, 7);
    tu_decode(&pkt, DLT_RAW, &b);
    assert_no_anomalies(&pkt);
    tu_assert_stack(&pkt, "ipv4");
    assert_int_equal(pkt.layers[0].u.ip.flags, IPF_MF | IPF_FRAGMENT);
    assert_int_equal(pkt.layers[0].u.ip.frag_off, 0);
    assert_int_equal(pkt.layers[0].u.ip.payload_len, 1480);

    /* middle: MF, offset 185 * 8 */
    pb_init(&b);
    pb_fill(&b, 1480, 'b');
    pb_ipv4_id(&b, IP_PROTO_UDP, "10.0.0.1", "10.0.0.2", IP_MF | 185, 7);
    tu_decode(&pkt, DLT_RAW, &b);
    assert_no_anomalies(&pkt);
    tu_assert_stack(&pkt, "ipv4");
    assert_int_equal(pkt.layers[0].u.ip.flags, IPF_MF | IPF_FRAGMENT);
    assert_int_equal(pkt.layers[0].u.ip.frag_off, 1480);

    /* last: offset only, with DF as Linux sets it on PMTU-discovered fragments */
    pb_init(&b);
    pb_fill(&b, 40, 'c');
    pb_ipv4_id(&b, IP_PROTO_UDP, "10.0.0.1", "10.0.0.2", IP_DF | 370, 7);
    tu_decode(&pkt, DLT_RAW, &b);
    assert_no_anomalies(&pkt);
    tu_assert_stack(&pkt, "ipv4");
    assert_int_equal(pkt.layers[0].u.ip.flags, IPF_DF | IPF_FRAGMENT);
    assert_int_equal(pkt.layers[0].u.ip.frag_off, 2960);
    assert_int_equal(pkt.layers[0].u.ip.payload_len, 40);
}

static void test_ipv4_options_good(void **state)
{
    (void)state;
    /* NOP, NOP, record route (7 bytes, room for one address), EOL, padding */
    static const uint8_t opts[12] = {1, 1, 7, 7, 4, 0, 0, 0, 0, 0, 0, 0};
    pb_init(&b);
    pb_fill(&b, 20, 'x');
    pb_udp(&b, 5000, 5001);
    pb_ipv4_opts(&b, IP_PROTO_UDP, opts, sizeof opts, 0);
    tu_decode(&pkt, DLT_RAW, &b);
    assert_no_anomalies(&pkt);
    tu_assert_stack(&pkt, "ipv4/udp");
    const struct ip_info *ip = &pkt.layers[0].u.ip;
    assert_int_equal(ip->flags, IPF_OPTIONS);
    assert_int_equal(ip->hdr_len, 32);
    assert_int_equal(ip->payload_off, 32);
    assert_int_equal(ip->ip_len, 60);
    assert_int_equal(ip->payload_len, 28);
    assert_int_equal(pkt.layers[1].offset, 32);

    /* options filling the header exactly, no EOL (router alert, RFC 2113) */
    static const uint8_t ra[4] = {0x94, 4, 0, 0};
    pb_init(&b);
    pb_udp(&b, 5000, 5001);
    pb_ipv4_opts(&b, IP_PROTO_UDP, ra, sizeof ra, 0);
    tu_decode(&pkt, DLT_RAW, &b);
    assert_no_anomalies(&pkt);
    assert_int_equal(pkt.layers[0].u.ip.hdr_len, 24);
}

static void test_ipv4_options_bad(void **state)
{
    (void)state;
    static const uint8_t bad[][4] = {
        {7, 1, 0, 0},  /* length below 2 */
        {1, 1, 7, 9},  /* length past the header */
        {1, 1, 1, 68}, /* a type with no room for its length */
        {7, 0, 0, 0},  /* length 0: would loop forever if trusted */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pb_init(&b);
        pb_fill(&b, 8, 'x');
        pb_udp(&b, 5000, 5001);
        pb_ipv4_opts(&b, IP_PROTO_UDP, bad[i], 4, 0);
        tu_decode(&pkt, DLT_RAW, &b);
        assert_int_equal(pkt.anomalies, BIT(AN_BAD_IP_OPTION));
        assert_true(pkt.layers[0].flags & LF_MALFORMED);
        assert_int_equal(pkt.layers[0].u.ip.flags, IPF_OPTIONS);
        /* IHL still delimits the options: the payload is decoded */
        tu_assert_stack(&pkt, "ipv4/udp");
        assert_int_equal(pkt.layers[1].offset, 24);
    }
}

static void build_udp4(struct pb *p, size_t n)
{
    pb_init(p);
    pb_fill(p, n, 'u');
    pb_udp(p, 1000, 2000);
    pb_ipv4(p, IP_PROTO_UDP, "10.1.1.1", "10.2.2.2", 0);
}

static void test_ipv4_bad_version(void **state)
{
    (void)state;
    build_udp4(&b, 10);
    pb_data(&b)[0] = 0x65;
    tu_decode(&pkt, DLT_IPV4, &b); /* DLT_IPV4 promises IPv4: the header says otherwise */
    assert_int_equal(pkt.anomalies, BIT(AN_BAD_IP_VERSION));
    tu_assert_stack(&pkt, "ipv4");
    assert_int_equal(pkt.layers[0].flags, LF_MALFORMED);
    assert_int_equal(pkt.layers[0].u.ip.version, 6);
}

static void test_ipv4_bad_ihl(void **state)
{
    (void)state;
    for (uint8_t ihl = 0; ihl < 5; ihl++) {
        build_udp4(&b, 10);
        pb_data(&b)[0] = (uint8_t)(0x40 | ihl);
        tu_decode(&pkt, DLT_RAW, &b);
        assert_int_equal(pkt.anomalies, BIT(AN_BAD_IP_HDR_LEN));
        tu_assert_stack(&pkt, "ipv4");
        assert_int_equal(pkt.layers[0].flags, LF_MALFORMED);
        assert_int_equal(pkt.layers[0].u.ip.hdr_len, ihl * 4);
    }
    /* IHL 15 (60 bytes) on a 38-byte packet: the header itself is cut */
    build_udp4(&b, 10);
    pb_data(&b)[0] = 0x4f;
    tu_decode(&pkt, DLT_RAW, &b);
    assert_int_equal(pkt.anomalies, BIT(AN_SHORT_FRAME));
    tu_assert_stack(&pkt, "ipv4!");
}

static void test_ipv4_bad_total_len(void **state)
{
    (void)state;
    build_udp4(&b, 10);
    uint8_t *h = pb_data(&b);
    pb_be16(h + 2, 19);
    ipv4_recsum(h);
    tu_decode(&pkt, DLT_RAW, &b);
    assert_int_equal(pkt.anomalies, BIT(AN_BAD_IP_TOTAL_LEN));
    tu_assert_stack(&pkt, "ipv4");
    assert_int_equal(pkt.layers[0].flags, LF_MALFORMED);
    assert_int_equal(pkt.layers[0].u.ip.ip_len, 19);

    /* longer than the frame, nothing cut by the snap length, every header
     * there: the length field is wrong (a sanitiser cut the payload, or the
     * frame ended early), and the layers inside get the frame's bytes, as in
     * Wireshark; the field itself is kept */
    build_udp4(&b, 10);
    h = pb_data(&b);
    pb_be16(h + 2, 100);
    ipv4_recsum(h);
    tu_decode(&pkt, DLT_RAW, &b);
    assert_int_equal(pkt.anomalies, BIT(AN_IP_LEN_BEYOND_FRAME));
    tu_assert_stack(&pkt, "ipv4/udp");
    assert_int_equal(pkt.layers[0].u.ip.ip_len, 100);
    assert_int_equal(pkt.layers[0].u.ip.payload_len, 18);
    assert_int_equal(pkt.layers[0].u.ip.flags, IPF_LEN_CLAMPED);
}

/*
 * An IP length beyond the frame on the wire (issue 15 item 6): a SYN whose
 * length field claims 12 bytes the frame does not carry.  When the frame was
 * whole (caplen == wire length), those bytes never were on the wire: TCP gets
 * the frame's bytes, so the SYN takes one sequence number, not 13 (else the
 * first data segment looks like a retransmission of phantom bytes).  When
 * the snap length cut it, the bytes were on the wire: a truncation, and the
 * declared length stands.  When even the wire length is shorter than the
 * field, the wire is the limit.  The field itself is kept in every case.
 */
struct beyond_case {
    const char *name;
    bool v6;
    size_t cut;      /* bytes of the 12-byte payload not captured */
    size_t wire_cut; /* bytes not on the wire either */
    uint64_t want;   /* anomalies */
    uint16_t tcp_payload;
    bool clamped;
};

static const struct beyond_case beyond_cases[] = {
    {"v4 whole frame, field 12 too long", false, 12, 12, BIT(AN_IP_LEN_BEYOND_FRAME), 0, true},
    {"v4 field 5 too long", false, 5, 5, BIT(AN_IP_LEN_BEYOND_FRAME), 7, true},
    {"v4 snap length cut: real bytes", false, 12, 0, BIT(AN_TRUNCATED), 12, false},
    /* both: 8 bytes on the wire were not captured, 4 never were there */
    {"v4 snapped, wire still short", false, 12, 4, BIT(AN_IP_LEN_BEYOND_FRAME) | BIT(AN_TRUNCATED),
     8, true},
    {"v6 whole frame, field 12 too long", true, 12, 12, BIT(AN_IP_LEN_BEYOND_FRAME), 0, true},
    {"v6 snap length cut: real bytes", true, 12, 0, BIT(AN_TRUNCATED), 12, false},
};

static void test_ip_len_beyond_frame_clamped_like_wireshark(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof beyond_cases / sizeof beyond_cases[0]; i++) {
        const struct beyond_case *c = &beyond_cases[i];
        pb_init(&b);
        pb_fill(&b, 12, 'x');
        pb_tcp(&b, 40000, 443, 1000, 0, TH_SYN);
        if (c->v6)
            pb_ipv6(&b, IP_PROTO_TCP, "2001:db8::1", "2001:db8::2");
        else
            pb_ipv4(&b, IP_PROTO_TCP, "10.0.0.1", "10.0.0.2", IP_DF);
        pb_eth(&b, c->v6 ? ETH_TYPE_IPV6 : ETH_TYPE_IP);
        size_t len = pb_len(&b);
        tu_decode_buf(&pkt, DLT_EN10MB, pb_data(&b), len - c->cut, len - c->wire_cut);
        if (pkt.anomalies != c->want)
            print_error("%s: anomalies %#llx\n", c->name, (unsigned long long)pkt.anomalies);
        assert_int_equal(pkt.anomalies, c->want);
        int ip = pkt_find(&pkt, c->v6 ? LAYER_IPV6 : LAYER_IPV4, 0);
        int tcp = pkt_find(&pkt, LAYER_TCP, 0);
        assert_true(ip >= 0 && tcp >= 0);
        assert_int_equal(pkt.layers[ip].u.ip.ip_len, (c->v6 ? 40 : 20) + 20 + 12);
        assert_int_equal(!!(pkt.layers[ip].u.ip.flags & IPF_LEN_CLAMPED), c->clamped);
        assert_int_equal(pkt.layers[ip].u.ip.payload_len, 20 + 12 - (c->clamped ? c->wire_cut : 0));
        assert_int_equal(pkt.layers[tcp].u.tcp.payload_len, c->tcp_payload);
        assert_int_equal(pkt.layers[tcp].u.tcp.flags, TH_SYN);
    }
}

static void test_ipv4_bad_checksum(void **state)
{
    (void)state;
    build_udp4(&b, 10);
    pb_data(&b)[10] ^= 0x01;
    tu_decode(&pkt, DLT_RAW, &b);
    assert_int_equal(pkt.anomalies, BIT(AN_BAD_IP_CHECKSUM));
    assert_int_equal(pkt.layers[0].u.ip.flags, IPF_BAD_CSUM);
    assert_true(pkt.layers[0].flags & LF_MALFORMED);
    tu_assert_stack(&pkt, "ipv4/udp"); /* decoding goes on */

    /* a checksum of 0 is not "no checksum" in IPv4 */
    build_udp4(&b, 10);
    pb_data(&b)[10] = pb_data(&b)[11] = 0;
    tu_decode(&pkt, DLT_RAW, &b);
    assert_int_equal(pkt.anomalies, BIT(AN_BAD_IP_CHECKSUM));
}

/* The header sum is taken four bytes at a time in the machine's byte order
 * (decode_ip.c): on headers of every length (IHL 5 to 15) with random
 * fields and options, a header libdnet's ip_checksum() made passes, and a
 * header with one bit flipped anywhere after the length field fails (one
 * flipped bit moves the one's complement sum by a power of two, never by a
 * multiple of 0xffff: RFC 1071 catches every single-bit error). */
static void test_ipv4_checksum_every_header_length(void **state)
{
    (void)state;
    uint32_t x = 0x12345678u; /* xorshift32: the same headers every run */
    for (int round = 0; round < 64; round++) {
        for (size_t optlen = 0; optlen <= 40; optlen += 4) {
            uint8_t opts[40];
            for (size_t i = 0; i < optlen; i++) {
                x ^= x << 13, x ^= x >> 17, x ^= x << 5;
                opts[i] = (uint8_t)x;
            }
            pb_init(&b);
            pb_fill(&b, 8, 'u');
            pb_ipv4_opts(&b, IP_PROTO_UDP, opts, optlen, (round & 1) ? IP_DF : 0);
            uint8_t *h = pb_data(&b);
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            h[4] = (uint8_t)x, h[5] = (uint8_t)(x >> 8), h[8] = (uint8_t)(x >> 16);
            h[1] = (uint8_t)(x >> 24);
            ipv4_recsum(h);
            tu_decode(&pkt, DLT_RAW, &b);
            assert_int_equal(pkt.layers[0].type, LAYER_IPV4);
            assert_false(pkt.layers[0].u.ip.flags & IPF_BAD_CSUM);
            assert_false(pkt.anomalies & BIT(AN_BAD_IP_CHECKSUM));

            size_t hl = IP_HDR_LEN + optlen, at = 4 + x % (hl - 4); /* not version, length */
            h[at] ^= (uint8_t)(1u << (x >> 8) % 8);
            tu_decode(&pkt, DLT_RAW, &b);
            assert_true(pkt.layers[0].u.ip.flags & IPF_BAD_CSUM);
            assert_true(pkt.anomalies & BIT(AN_BAD_IP_CHECKSUM));
        }
    }
}

static void test_ipv4_padding_ignored(void **state)
{
    (void)state;
    build_udp4(&b, 4); /* 32 bytes of IP */
    pb_fill(&b, 14, 0);
    tu_decode(&pkt, DLT_RAW, &b);
    assert_no_anomalies(&pkt);
    assert_int_equal(pkt.layers[0].u.ip.ip_len, 32);
    assert_int_equal(pkt.layers[0].u.ip.payload_len, 12);

    /* The payload cursor ends at the total length: an IPIP inner header with
     * a zero length (taken from the cursor) shows where it ends. */
    pb_init(&b);
    pb_fill(&b, 4, 'i');
    pb_udp(&b, 7, 7);
    pb_ipv4(&b, IP_PROTO_UDP, "10.9.9.1", "10.9.9.2", 0);
    pb_be16(pb_data(&b) + 2, 0);
    ipv4_recsum(pb_data(&b));
    pb_ipv4(&b, IP_PROTO_IPIP, "10.0.0.1", "10.0.0.2", 0);
    pb_fill(&b, 20, 0); /* padding */
    tu_decode(&pkt, DLT_RAW, &b);
    assert_no_anomalies(&pkt);
    tu_assert_stack(&pkt, "ipv4/ipv4/udp");
    assert_int_equal(pkt.layers[1].tunnel, 1);
    assert_int_equal(pkt.layers[1].u.ip.ip_len, 32);
}

static void test_ipv4_padding_final(void **state)
{
    (void)state;
    build_udp4(&b, 4);
    pb_eth(&b, ETH_TYPE_IP);
    pb_fill(&b, 60 - pb_len(&b), 0); /* 46 bytes: Ethernet pads to 60 */
    tu_decode(&pkt, DLT_EN10MB, &b);
    assert_no_anomalies(&pkt);
    tu_assert_stack(&pkt, "eth/ipv4/udp");
    assert_int_equal(pkt.layers[1].u.ip.ip_len, 32);
    assert_int_equal(pkt.layers[2].u.udp.len, 12);
    assert_int_equal(pkt.layers[2].u.udp.payload_len, 4);
}

static void test_ipv4_tso_zero_length(void **state)
{
    (void)state;
    pb_init(&b);
    pb_fill(&b, 2000, 't');
    pb_tcp(&b, 22, 50000, 1, 1, TH_ACK);
    pb_ipv4(&b, IP_PROTO_TCP, "10.0.0.1", "10.0.0.2", IP_DF);
    uint8_t *h = pb_data(&b);
    pb_be16(h + 2, 0);
    h[10] ^= 0xff; /* the checksum is not checked either: it never was on a wire */
    tu_decode(&pkt, DLT_RAW, &b);
    assert_no_anomalies(&pkt);
    tu_assert_stack(&pkt, "ipv4/tcp");
    assert_int_equal(pkt.layers[0].u.ip.ip_len, 2040);
    assert_int_equal(pkt.layers[0].u.ip.payload_len, 2020);
    assert_int_equal(pkt.layers[0].u.ip.flags, IPF_DF);

    /* cut by the snap length: the wire length tells the rest */
    tu_decode_buf(&pkt, DLT_RAW, pb_data(&b), 96, pb_len(&b));
    assert_int_equal(pkt.anomalies, BIT(AN_TRUNCATED));
    assert_int_equal(pkt.layers[0].u.ip.ip_len, 2040);
    assert_true(pkt.layers[0].flags & LF_TRUNCATED);

    /* over 64 KiB (BIG TCP): 16 bits cannot say it */
    tu_decode_buf(&pkt, DLT_RAW, pb_data(&b), 96, 70000);
    assert_int_equal(pkt.anomalies, BIT(AN_TRUNCATED));
    assert_int_equal(pkt.layers[0].u.ip.ip_len, 0);
    assert_int_equal(pkt.layers[0].u.ip.flags, IPF_DF | IPF_JUMBO);
    assert_int_equal(pkt.layers[0].u.ip.payload_len, 65535);
}

/*
 * Every cut of a whole packet whose IP layer starts at ip_at with a fixed
 * header of ip_fixed bytes and ends in `payload` bytes of payload.  Cut by
 * the snap length (wire_longer): AN_TRUNCATED everywhere.  A frame that
 * really ended there: a cut inside a header is a short frame; a cut in the
 * payload (every header whole) leaves the IP length beyond the frame, and
 * from the end of the fixed header on, the IP length is clamped to the frame
 * (decode_ip.c: clamp_to_wire).
 */
static void check_truncation(struct pb *p, int dlt, size_t ip_at, size_t ip_fixed, size_t payload,
                             bool wire_longer)
{
    size_t len = pb_len(p);
    for (size_t k = 0; k < len; k++) {
        tu_decode_buf(&pkt, dlt, pb_data(p), k, wire_longer ? len : k);
        enum anomaly want = wire_longer         ? AN_TRUNCATED
                            : k < len - payload ? AN_SHORT_FRAME
                                                : AN_IP_LEN_BEYOND_FRAME;
        if (pkt.anomalies != BIT(want))
            print_error("cut at %zu of %zu: anomalies %#llx\n", k, len,
                        (unsigned long long)pkt.anomalies);
        assert_int_equal(pkt.anomalies, BIT(want));
        if (k > ip_at) {
            int i = pkt_find(&pkt, LAYER_IPV4, 0) >= 0 ? pkt_find(&pkt, LAYER_IPV4, 0)
                                                       : pkt_find(&pkt, LAYER_IPV6, 0);
            assert_true(i >= 0);
            assert_int_equal(pkt.layers[i].offset, ip_at);
            assert_false(pkt.layers[i].flags & LF_MALFORMED);
            bool clamped = !wire_longer && k >= ip_at + ip_fixed;
            assert_int_equal(!!(pkt.layers[i].u.ip.flags & IPF_LEN_CLAMPED), clamped);
            if (!clamped || want == AN_SHORT_FRAME)
                assert_true(pkt.layers[pkt.nlayers - 1].flags & LF_TRUNCATED);
        }
    }
    tu_decode_buf(&pkt, dlt, pb_data(p), len, len);
    assert_no_anomalies(&pkt);
}

static void test_ipv4_truncation_every_offset(void **state)
{
    (void)state;
    static const uint8_t opts[4] = {1, 1, 1, 0};
    pb_init(&b);
    pb_fill(&b, 6, 'x');
    pb_tcp(&b, 1, 2, 3, 4, TH_SYN);
    pb_ipv4_opts(&b, IP_PROTO_TCP, opts, sizeof opts, IP_DF);
    check_truncation(&b, DLT_RAW, 0, 24, 6, true);
    check_truncation(&b, DLT_RAW, 0, 24, 6, false);
}

static void test_ipv4_quoted(void **state)
{
    (void)state;
    /* What an ICMP frag-needed quotes: a 1500-byte packet's header + 8 bytes. */
    pb_init(&b);
    pb_fill(&b, 1460, 'q');
    pb_tcp(&b, 443, 40000, 0x11223344, 0, TH_ACK);
    pb_ipv4(&b, IP_PROTO_TCP, "10.0.0.1", "10.0.0.2", IP_DF);
    memset(&pkt, 0, sizeof pkt);
    pkt.caplen = pkt.wirelen = 28;
    pkt.data = pb_data(&b);
    struct dstate d = {&pkt, pb_data(&b), 0, LF_QUOTED, 0};
    decode_ipv4(&d, cur_make(pb_data(&b), 28));
    assert_no_anomalies(&pkt);
    assert_int_equal(pkt.layers[0].flags, LF_QUOTED | LF_TRUNCATED);
    assert_int_equal(pkt.layers[0].u.ip.ip_len, 1500);
    assert_int_equal(pkt.nlayers, 2);
    assert_int_equal(pkt.layers[1].type, LAYER_TCP);
    assert_int_equal(pkt.layers[1].offset, 20);

    /* a quoted first fragment is decoded on: defrag never sees quotes */
    pb_init(&b);
    pb_fill(&b, 1472, 'q');
    pb_udp(&b, 53, 5353);
    pb_ipv4(&b, IP_PROTO_UDP, "10.0.0.1", "10.0.0.2", IP_MF);
    memset(&pkt, 0, sizeof pkt);
    d.lflags = LF_QUOTED;
    decode_ipv4(&d, cur_make(pb_data(&b), 28));
    assert_no_anomalies(&pkt);
    assert_int_equal(pkt.nlayers, 2);
    assert_int_equal(pkt.layers[1].type, LAYER_UDP);
}

/* ---- IPv6 ---- */

static void test_ipv6_fields(void **state)
{
    (void)state;
    pb_init(&b);
    pb_fill(&b, 50, 'z');
    pb_tcp(&b, 1, 2, 3, 4, TH_ACK);
    pb_ipv6(&b, IP_PROTO_TCP, "2001:db8::a", "fe80::1:2");
    uint8_t *h = pb_data(&b);
    pb_be32(h, 6u << 28 | 0x2eu << 20 | 0xabcde); /* traffic class 0x2e, flow label */
    h[7] = 3;                                     /* hop limit */
    tu_decode(&pkt, DLT_RAW, &b);
    assert_no_anomalies(&pkt);
    tu_assert_stack(&pkt, "ipv6/tcp");
    const struct ip_info *ip = &pkt.layers[0].u.ip;
    assert_int_equal(ip->version, 6);
    assert_int_equal(ip->tos, 0x2e);
    assert_int_equal(ip->flowlabel, 0xabcde);
    assert_int_equal(ip->ttl, 3);
    assert_int_equal(ip->ip_len, 110);
    assert_int_equal(ip->hdr_len, 40);
    assert_int_equal(ip->payload_len, 70);
    assert_int_equal(ip->payload_off, 40);
    assert_int_equal(ip->proto, IP_PROTO_TCP);
    assert_int_equal(ip->flags, 0);
    assert_int_equal(ip->id, 0);
    assert_addr(&ip->src, "2001:db8::a");
    assert_addr(&ip->dst, "fe80::1:2");
    assert_int_equal(pkt.layers[1].offset, 40);

    /* padding after the payload length is not payload either */
    pb_fill(&b, 6, 0);
    tu_decode(&pkt, DLT_IPV6, &b);
    assert_no_anomalies(&pkt);
    assert_int_equal(pkt.layers[0].u.ip.ip_len, 110);
}

static void test_ipv6_bad_version(void **state)
{
    (void)state;
    pb_init(&b);
    pb_tcp(&b, 1, 2, 3, 4, TH_ACK);
    pb_ipv6(&b, IP_PROTO_TCP, "2001:db8::a", "2001:db8::b");
    pb_data(&b)[0] = 0x45;
    tu_decode(&pkt, DLT_IPV6, &b);
    assert_int_equal(pkt.anomalies, BIT(AN_BAD_IP_VERSION));
    tu_assert_stack(&pkt, "ipv6");
    assert_int_equal(pkt.layers[0].u.ip.version, 4);
}

static void test_ipv6_extension_chain(void **state)
{
    (void)state;
    build_ipv6_ext_tcp(&b);
    /* add an atomic fragment header (RFC 6946) after destination options */
    pb_init(&b);
    pb_fill(&b, 10, 'd');
    pb_tcp(&b, 40000, 443, 1, 2, TH_ACK);
    pb_frag6(&b, IP_PROTO_TCP, 0, false, 0xcafe0001);
    pb_ext(&b, IP_PROTO_FRAGMENT, padn6, sizeof padn6);
    static const uint8_t rtg[22] = {4, 1};
    pb_ext(&b, IP_PROTO_DSTOPTS, rtg, sizeof rtg);
    pb_ext(&b, IP_PROTO_ROUTING, padn6, sizeof padn6);
    pb_ipv6(&b, IP_PROTO_HOPOPTS, "2001:db8::1", "2001:db8::2");
    tu_decode(&pkt, DLT_RAW, &b);
    assert_no_anomalies(&pkt);
    tu_assert_stack(&pkt, "ipv6/tcp");
    const struct ip_info *ip = &pkt.layers[0].u.ip;
    assert_int_equal(ip->flags, IPF_HBH | IPF_RTG | IPF_DSTOPT | IPF_FRAGHDR);
    assert_int_equal(ip->hdr_len, 40 + 8 + 24 + 8 + 8);
    assert_int_equal(ip->payload_off, 88);
    assert_int_equal(ip->ip_len, 88 + 30);
    assert_int_equal(ip->payload_len, 30);
    assert_int_equal(ip->proto, IP_PROTO_TCP);
    assert_int_equal(ip->id, 0xcafe0001);
    assert_int_equal(ip->frag_off, 0);
    assert_int_equal(pkt.layers[1].offset, 88);
}

static void test_ipv6_fragment(void **state)
{
    (void)state;
    pb_init(&b);
    pb_fill(&b, 1232, 'f');
    pb_frag6(&b, IP_PROTO_UDP, 1232, true, 0xdeadbeef);
    pb_ext(&b, IP_PROTO_FRAGMENT, padn6, sizeof padn6);
    pb_ipv6(&b, IP_PROTO_HOPOPTS, "2001:db8::1", "2001:db8::2");
    tu_decode(&pkt, DLT_RAW, &b);
    assert_no_anomalies(&pkt);
    tu_assert_stack(&pkt, "ipv6");
    const struct ip_info *ip = &pkt.layers[0].u.ip;
    assert_int_equal(ip->flags, IPF_HBH | IPF_FRAGHDR | IPF_MF | IPF_FRAGMENT);
    assert_int_equal(ip->frag_off, 1232);
    assert_int_equal(ip->id, 0xdeadbeef);
    assert_int_equal(ip->proto, IP_PROTO_UDP);
    assert_int_equal(ip->hdr_len, 56);
    assert_int_equal(ip->payload_off, 56);
    assert_int_equal(ip->payload_len, 1232);
    assert_int_equal(ip->ip_len, 1288);

    /* the last fragment: offset, no M */
    pb_init(&b);
    pb_fill(&b, 100, 'f');
    pb_frag6(&b, IP_PROTO_UDP, 2464, false, 0xdeadbeef);
    pb_ipv6(&b, IP_PROTO_FRAGMENT, "2001:db8::1", "2001:db8::2");
    tu_decode(&pkt, DLT_RAW, &b);
    assert_no_anomalies(&pkt);
    tu_assert_stack(&pkt, "ipv6");
    assert_int_equal(pkt.layers[0].u.ip.flags, IPF_FRAGHDR | IPF_FRAGMENT);
    assert_int_equal(pkt.layers[0].u.ip.frag_off, 2464);
}

static void test_ipv6_jumbo(void **state)
{
    (void)state;
    const size_t data = 65600 - 16;
    pb_init(&b);
    pb_fill(&b, data - 12, 'j');
    pb_tcp(&b, 1, 2, 3, 4, TH_ACK);
    uint8_t hbh[6] = {0xc2, 4};
    pb_be32(hbh + 2, 65600);
    pb_ext(&b, IP_PROTO_TCP, hbh, sizeof hbh);
    pb_ipv6(&b, IP_PROTO_HOPOPTS, "2001:db8::1", "2001:db8::2");
    pb_be16(pb_data(&b) + 4, 0);
    pb_fill(&b, 4, 0); /* bytes after the jumbo length are not payload */
    tu_decode(&pkt, DLT_RAW, &b);
    assert_no_anomalies(&pkt);
    tu_assert_stack(&pkt, "ipv6/tcp");
    const struct ip_info *ip = &pkt.layers[0].u.ip;
    assert_int_equal(ip->flags, IPF_HBH | IPF_JUMBO);
    assert_int_equal(ip->ip_len, 0);
    assert_int_equal(ip->hdr_len, 48);
    assert_int_equal(ip->payload_len, 65535); /* 65592 does not fit in 16 bits */

    /* a jumbo option with a non-zero payload length (RFC 2675 section 3) */
    pb_init(&b);
    pb_fill(&b, 8, 'j');
    pb_be32(hbh + 2, 70000);
    pb_ext(&b, IP_PROTO_NONE, hbh, sizeof hbh);
    pb_ipv6(&b, IP_PROTO_HOPOPTS, "2001:db8::1", "2001:db8::2");
    tu_decode(&pkt, DLT_RAW, &b);
    assert_int_equal(pkt.anomalies, BIT(AN_BAD_IPV6_EXT));
    assert_int_equal(pkt.layers[0].u.ip.flags, IPF_HBH);
    assert_int_equal(pkt.layers[0].u.ip.ip_len, 56);
}

static void test_ipv6_zero_length_offload(void **state)
{
    (void)state;
    pb_init(&b);
    pb_fill(&b, 3000, 'g');
    pb_tcp(&b, 1, 2, 3, 4, TH_ACK);
    pb_ipv6(&b, IP_PROTO_TCP, "2001:db8::1", "2001:db8::2");
    pb_be16(pb_data(&b) + 4, 0);
    tu_decode(&pkt, DLT_RAW, &b);
    assert_no_anomalies(&pkt);
    tu_assert_stack(&pkt, "ipv6/tcp");
    assert_int_equal(pkt.layers[0].u.ip.ip_len, 3060);
    assert_int_equal(pkt.layers[0].u.ip.payload_len, 3020);

    /* zero length and no next header: an empty packet, padding stays padding */
    pb_init(&b);
    pb_ipv6(&b, IP_PROTO_NONE, "2001:db8::1", "2001:db8::2");
    pb_fill(&b, 6, 0);
    tu_decode(&pkt, DLT_RAW, &b);
    assert_no_anomalies(&pkt);
    tu_assert_stack(&pkt, "ipv6");
    assert_int_equal(pkt.layers[0].u.ip.ip_len, 40);
    assert_int_equal(pkt.layers[0].u.ip.proto, IP_PROTO_NONE);
}

static void build_dstopts_chain(struct pb *p, unsigned n)
{
    pb_init(p);
    pb_tcp(p, 1, 2, 3, 4, TH_ACK);
    uint8_t next = IP_PROTO_TCP;
    for (unsigned i = 0; i < n; i++) {
        pb_ext(p, next, padn6, sizeof padn6);
        next = IP_PROTO_DSTOPTS;
    }
    pb_ipv6(p, next, "2001:db8::1", "2001:db8::2");
}

static void test_ipv6_too_many_ext(void **state)
{
    (void)state;
    build_dstopts_chain(&b, 16);
    tu_decode(&pkt, DLT_RAW, &b);
    assert_no_anomalies(&pkt);
    tu_assert_stack(&pkt, "ipv6/tcp");
    assert_int_equal(pkt.layers[0].u.ip.hdr_len, 40 + 16 * 8);

    build_dstopts_chain(&b, 17);
    tu_decode(&pkt, DLT_RAW, &b);
    assert_int_equal(pkt.anomalies, BIT(AN_BAD_IPV6_EXT));
    tu_assert_stack(&pkt, "ipv6");
    assert_int_equal(pkt.layers[0].flags, LF_MALFORMED);
}

static void test_ipv6_bad_ext(void **state)
{
    (void)state;
    /* hop-by-hop after destination options (RFC 8200 4.1) */
    pb_init(&b);
    pb_tcp(&b, 1, 2, 3, 4, TH_ACK);
    pb_ext(&b, IP_PROTO_TCP, padn6, sizeof padn6);
    pb_ext(&b, IP_PROTO_HOPOPTS, padn6, sizeof padn6);
    pb_ipv6(&b, IP_PROTO_DSTOPTS, "2001:db8::1", "2001:db8::2");
    tu_decode(&pkt, DLT_RAW, &b);
    assert_int_equal(pkt.anomalies, BIT(AN_BAD_IPV6_EXT));
    tu_assert_stack(&pkt, "ipv6");

    /* a header longer than the payload length, all of it captured */
    pb_init(&b);
    pb_tcp(&b, 1, 2, 3, 4, TH_ACK);
    pb_ext(&b, IP_PROTO_TCP, padn6, sizeof padn6);
    pb_ipv6(&b, IP_PROTO_DSTOPTS, "2001:db8::1", "2001:db8::2");
    pb_data(&b)[41] = 200; /* 1608 bytes */
    tu_decode(&pkt, DLT_RAW, &b);
    assert_int_equal(pkt.anomalies, BIT(AN_BAD_IPV6_EXT));
    assert_int_equal(pkt.layers[0].flags, LF_MALFORMED);
    tu_assert_stack(&pkt, "ipv6");

    /* an option running past its header: flagged, the header length still holds */
    static const uint8_t badopt[6] = {1, 9, 0, 0, 0, 0};
    pb_init(&b);
    pb_tcp(&b, 1, 2, 3, 4, TH_ACK);
    pb_ext(&b, IP_PROTO_TCP, badopt, sizeof badopt);
    pb_ipv6(&b, IP_PROTO_DSTOPTS, "2001:db8::1", "2001:db8::2");
    tu_decode(&pkt, DLT_RAW, &b);
    assert_int_equal(pkt.anomalies, BIT(AN_BAD_IPV6_EXT));
    tu_assert_stack(&pkt, "ipv6/tcp");
    assert_int_equal(pkt.layers[0].u.ip.flags, IPF_DSTOPT);
}

static void test_ipv6_no_next_header(void **state)
{
    (void)state;
    pb_init(&b);
    pb_fill(&b, 8, 0xee); /* RFC 8200 4.7: bytes after 59 are ignored */
    pb_ext(&b, IP_PROTO_NONE, padn6, sizeof padn6);
    pb_ipv6(&b, IP_PROTO_DSTOPTS, "2001:db8::1", "2001:db8::2");
    tu_decode(&pkt, DLT_RAW, &b);
    assert_no_anomalies(&pkt);
    tu_assert_stack(&pkt, "ipv6");
    assert_int_equal(pkt.layers[0].u.ip.proto, IP_PROTO_NONE);
    assert_int_equal(pkt.layers[0].u.ip.hdr_len, 48);
    assert_int_equal(pkt.layers[0].u.ip.payload_len, 8);
}

static void test_ipv6_truncation_every_offset(void **state)
{
    (void)state;
    build_ipv6_ext_tcp(&b);
    check_truncation(&b, DLT_RAW, 0, 40, 10, true);
    check_truncation(&b, DLT_RAW, 0, 40, 10, false);
}

static void test_ipv6_truncation_every_offset_final(void **state)
{
    (void)state;
    build_ipv6_ext_tcp(&b);
    pb_eth(&b, ETH_TYPE_IPV6);
    tu_decode(&pkt, DLT_EN10MB, &b);
    tu_assert_stack(&pkt, "eth/ipv6/tcp");
    check_truncation(&b, DLT_EN10MB, 14, 40, 10, true);
    check_truncation(&b, DLT_EN10MB, 14, 40, 10, false);
}

/* ---- AH ---- */

static void test_ah(void **state)
{
    (void)state;
    pb_init(&b);
    pb_fill(&b, 10, 'a');
    pb_udp(&b, 500, 500);
    pb_ah(&b, IP_PROTO_UDP, 4, 0x1000, 77); /* 24 bytes: 12 + 96-bit ICV */
    pb_ipv4(&b, IP_PROTO_AH, "10.0.0.1", "10.0.0.2", 0);
    tu_decode(&pkt, DLT_RAW, &b);
    assert_no_anomalies(&pkt);
    tu_assert_stack(&pkt, "ipv4/ah/udp");
    const struct ah_info *ah = &pkt.layers[1].u.ah;
    assert_int_equal(ah->next, IP_PROTO_UDP);
    assert_int_equal(ah->len, 24);
    assert_int_equal(ah->spi, 0x1000);
    assert_int_equal(ah->seq, 77);
    assert_int_equal(pkt.layers[1].offset, 20);
    assert_int_equal(pkt.layers[2].offset, 44);

    /* in IPv6, after a hop-by-hop header */
    pb_init(&b);
    pb_tcp(&b, 1, 2, 3, 4, TH_ACK);
    pb_ah(&b, IP_PROTO_TCP, 4, 0xfeedf00d, 0xffffffff);
    pb_ext(&b, IP_PROTO_AH, padn6, sizeof padn6);
    pb_ipv6(&b, IP_PROTO_HOPOPTS, "2001:db8::1", "2001:db8::2");
    tu_decode(&pkt, DLT_RAW, &b);
    assert_no_anomalies(&pkt);
    tu_assert_stack(&pkt, "ipv6/ah/tcp");
    assert_int_equal(pkt.layers[0].u.ip.proto, IP_PROTO_AH);
    assert_int_equal(pkt.layers[0].u.ip.hdr_len, 48);
    assert_int_equal(pkt.layers[1].u.ah.spi, 0xfeedf00d);
    assert_int_equal(pkt.layers[1].u.ah.seq, 0xffffffff);
    assert_int_equal(pkt.layers[2].offset, 72);
}

static void test_ah_bad(void **state)
{
    (void)state;
    /* length 0: 8 bytes, no room for the sequence number */
    pb_init(&b);
    pb_fill(&b, 20, 0);
    pb_ah(&b, IP_PROTO_UDP, 0, 1, 1);
    pb_ipv4(&b, IP_PROTO_AH, "10.0.0.1", "10.0.0.2", 0);
    tu_decode(&pkt, DLT_RAW, &b);
    assert_int_equal(pkt.anomalies, BIT(AN_BAD_AH));
    tu_assert_stack(&pkt, "ipv4/ah");
    assert_int_equal(pkt.layers[1].flags, LF_MALFORMED);

    /* an ICV longer than the packet */
    pb_init(&b);
    pb_ah(&b, IP_PROTO_UDP, 4, 1, 1);
    pb_data(&b)[1] = 200;
    pb_ipv4(&b, IP_PROTO_AH, "10.0.0.1", "10.0.0.2", 0);
    tu_decode(&pkt, DLT_RAW, &b);
    assert_int_equal(pkt.anomalies, BIT(AN_SHORT_FRAME));
    tu_assert_stack(&pkt, "ipv4/ah!");
    assert_int_equal(pkt.layers[1].u.ah.len, 808);

    /* every cut of a whole AH packet */
    pb_init(&b);
    pb_udp(&b, 1, 2);
    pb_ah(&b, IP_PROTO_UDP, 4, 9, 9);
    pb_ipv4(&b, IP_PROTO_AH, "10.0.0.1", "10.0.0.2", 0);
    check_truncation(&b, DLT_RAW, 0, 20, 0, true);
}

/* ---- whole stacks (need the link, VLAN and transport decoders) ---- */

static void test_stacks_final(void **state)
{
    (void)state;
    pb_init(&b);
    pb_fill(&b, 100, 'x');
    pb_tcp(&b, 1234, 80, 1000, 0, TH_ACK);
    pb_ipv4(&b, IP_PROTO_TCP, "10.0.0.1", "10.0.0.2", IP_DF);
    pb_vlan(&b, ETH_TYPE_8021Q, 100, ETH_TYPE_IP);
    pb_eth(&b, ETH_TYPE_8021Q);
    tu_decode(&pkt, DLT_EN10MB, &b);
    assert_no_anomalies(&pkt);
    tu_assert_stack(&pkt, "eth/vlan/ipv4/tcp");
    assert_int_equal(pkt.layers[2].offset, 18);
    assert_int_equal(pkt.layers[2].u.ip.payload_off, 38);

    pb_init(&b);
    pb_fill(&b, 10, 'd');
    pb_udp(&b, 1, 2);
    pb_ipv6(&b, IP_PROTO_UDP, "2001:db8::1", "2001:db8::2");
    pb_eth(&b, ETH_TYPE_IPV6);
    tu_decode(&pkt, DLT_EN10MB, &b);
    assert_no_anomalies(&pkt);
    tu_assert_stack(&pkt, "eth/ipv6/udp");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4_fields),
        cmocka_unit_test(test_ipv4_fragments_stop),
        cmocka_unit_test(test_ipv4_options_good),
        cmocka_unit_test(test_ipv4_options_bad),
        cmocka_unit_test(test_ipv4_bad_version),
        cmocka_unit_test(test_ipv4_bad_ihl),
        cmocka_unit_test(test_ipv4_bad_total_len),
        cmocka_unit_test(test_ip_len_beyond_frame_clamped_like_wireshark),
        cmocka_unit_test(test_ipv4_bad_checksum),
        cmocka_unit_test(test_ipv4_checksum_every_header_length),
        cmocka_unit_test(test_ipv4_padding_ignored),
        cmocka_unit_test(test_ipv4_tso_zero_length),
        cmocka_unit_test(test_ipv4_truncation_every_offset),
        cmocka_unit_test(test_ipv4_quoted),
        cmocka_unit_test(test_ipv6_fields),
        cmocka_unit_test(test_ipv6_bad_version),
        cmocka_unit_test(test_ipv6_extension_chain),
        cmocka_unit_test(test_ipv6_fragment),
        cmocka_unit_test(test_ipv6_jumbo),
        cmocka_unit_test(test_ipv6_zero_length_offload),
        cmocka_unit_test(test_ipv6_too_many_ext),
        cmocka_unit_test(test_ipv6_bad_ext),
        cmocka_unit_test(test_ipv6_no_next_header),
        cmocka_unit_test(test_ipv6_truncation_every_offset),
        cmocka_unit_test(test_ah),
        cmocka_unit_test(test_ah_bad),
        /* these wait on decode_link / decode_l2 / decode_transport */
        cmocka_unit_test(test_ipv4_padding_final),
        cmocka_unit_test(test_ipv6_truncation_every_offset_final),
        cmocka_unit_test(test_stacks_final),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
