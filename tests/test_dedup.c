/* test_dedup.c - the capture's own copies (dedup.c): a SPAN copy, a packet
 * forwarded in and out of the capturing router, a real retransmission (a new
 * IP ID), IPv6 without timestamps (identical bytes may be a retransmission:
 * only -i any's in/out makes it a copy), and the window. */
#include "testutil.h"

#include "dedup.h"

static struct packet P;
static struct pb B;
static uint64_t frames; /* numbers the packets built */

enum { ETHER, COOKED_IN, COOKED_OUT, VLAN42 };

/* Wraps the IP packet in B in the link layer asked for, decodes it into P
 * at time t, numbers it. */
static void frame(int link, uint16_t ethertype, double t)
{
    if (link == ETHER || link == VLAN42) {
        if (link == VLAN42) {
            pb_vlan(&B, 0x8100, 42, ethertype);
            pb_eth(&B, 0x8100);
        } else {
            pb_eth(&B, ethertype);
        }
        tu_decode(&P, DLT_EN10MB, &B);
    } else {
        uint8_t *h = pb_prepend(&B, 16); /* Linux cooked v1 */
        memset(h, 0, 16);
        pb_be16(h, link == COOKED_OUT ? 4 : 0);
        pb_be16(h + 2, 1);
        pb_be16(h + 4, 6);
        pb_be16(h + 14, ethertype);
        tu_decode(&P, DLT_LINUX_SLL, &B);
    }
    P.ts_sec = (int64_t)t;
    P.ts_nsec = (uint32_t)((t - (int64_t)t) * 1e9);
    P.frame = ++frames;
}

/* A 1200-byte TCP data segment 10.0.0.1 -> 10.0.0.2, IPv4 ID id, TTL ttl,
 * its sequence number 1000 + seq. */
static void tcp4s(int link, uint16_t id, uint8_t ttl, double t, uint32_t seq)
{
    pb_init(&B);
    pb_fill(&B, 1160, 'd');
    pb_tcp(&B, 40000, 443, 1000 + seq, 5000, TH_ACK);
    pb_ipv4_id(&B, IP_PROTO_TCP, "10.0.0.1", "10.0.0.2", IP_DF, id);
    pb_data(&B)[8] = ttl; /* a router's hop: only the TTL (and the IP checksum) change */
    frame(link, ETH_TYPE_IP, t);
}

static void tcp4(int link, uint16_t id, uint8_t ttl, double t)
{
    tcp4s(link, id, ttl, t, 0);
}

/* The same over IPv6 with no TCP timestamp: nothing in it changes between two
 * transmissions by the sender. */
static void tcp6(int link, double t)
{
    pb_init(&B);
    pb_fill(&B, 1160, 'd');
    pb_tcp(&B, 40000, 443, 1000, 5000, TH_ACK);
    pb_ipv6(&B, IP_PROTO_TCP, "2001:db8::1", "2001:db8::2");
    frame(link, ETH_TYPE_IPV6, t);
}

/* (what, the two packets' builders, the verdict on the second) */
static void test_copies_and_retransmissions(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        int link1, link2;
        uint16_t id1, id2;
        uint8_t ttl1, ttl2;
        double dt;
        enum dedup_kind want;
    } cases[] = {
        /* a SPAN port mirroring both directions: the very same packet */
        {"span copy", ETHER, ETHER, 77, 77, 64, 64, 0.000004, DEDUP_COPY},
        /* a router captured on two interfaces: one hop lower on the way out */
        {"forwarded", ETHER, ETHER, 77, 77, 64, 63, 0.0003, DEDUP_FORWARDED},
        /* queued 400 ms in a bloated buffer: still the same packet */
        {"forwarded late", COOKED_IN, COOKED_OUT, 77, 77, 64, 63, 0.4, DEDUP_FORWARDED},
        /* a retransmission: the sender's IP ID counter moved */
        {"retransmission", ETHER, ETHER, 77, 78, 64, 64, 0.2, DEDUP_ORIGINAL},
        /* a stack that re-sends with the ID unchanged, an RTO later, on its link */
        {"same ID, same link, an RTO later", ETHER, ETHER, 77, 77, 64, 64, 0.3, DEDUP_ORIGINAL},
        /* the same packet mirrored from another VLAN, 50 ms later */
        {"another VLAN", ETHER, VLAN42, 77, 77, 64, 64, 0.05, DEDUP_COPY},
        /* seconds later the ID may have wrapped: no longer judged */
        {"outside the window", ETHER, ETHER, 77, 77, 64, 64, 1.5, DEDUP_ORIGINAL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct dedup *d = dedup_new();
        assert_non_null(d);
        frames = 0;
        uint64_t first = 0;
        tcp4(cases[i].link1, cases[i].id1, cases[i].ttl1, 100.0);
        assert_int_equal(dedup_packet(d, &P, &first), DEDUP_ORIGINAL);
        tcp4(cases[i].link2, cases[i].id2, cases[i].ttl2, 100.0 + cases[i].dt);
        enum dedup_kind got = dedup_packet(d, &P, &first);
        if (got != cases[i].want)
            fail_msg("%s: got %d, want %d", cases[i].what, got, cases[i].want);
        if (got != DEDUP_ORIGINAL)
            assert_int_equal(first, 1);
        dedup_free(d);
    }
}

/* A 1208-byte middle fragment 10.0.0.1 -> 10.0.0.2 of the UDP datagram
 * with IPv4 ID 77, at byte offset off, payload all 'x' (a DNS answer's
 * padding): every middle fragment of it is byte for byte alike but for the
 * offset. */
static void frag4(double t, uint16_t off)
{
    pb_init(&B);
    pb_fill(&B, 1208, 'x');
    pb_ipv4_id(&B, IP_PROTO_UDP, "10.0.0.1", "10.0.0.2", IP_MF | (off / 8), 77);
    frame(ETHER, ETH_TYPE_IP, t);
}

/* The fragments of one datagram share its ID, addresses and protocol (RFC
 * 791), the middle ones their length, and a repetitive payload its first
 * bytes: they leave the sender back to back, microseconds apart, on one link
 * -- what a SPAN copy looks like -- yet are distinct packets.  The offset
 * tells them apart (lab matrix m015: a 3714-byte answer's third fragment was
 * taken for a copy of the second, and the datagram for lost). */
static void test_fragments_of_one_datagram_are_not_copies(void **state)
{
    (void)state;
    struct dedup *d = dedup_new();
    assert_non_null(d);
    frames = 0;
    uint64_t first = 0;
    frag4(100.0, 1208);
    assert_int_equal(dedup_packet(d, &P, &first), DEDUP_ORIGINAL);
    frag4(100.000004, 2416);
    assert_int_equal(dedup_packet(d, &P, &first), DEDUP_ORIGINAL);
    /* a SPAN copy of the second fragment is still a copy */
    frag4(100.000008, 2416);
    assert_int_equal(dedup_packet(d, &P, &first), DEDUP_COPY);
    assert_int_equal(first, 2);
    dedup_free(d);
}

/* IPv6 without timestamps: a fast retransmit repeats every byte, so identical
 * packets are a copy only when -i any says one came in and one went out. */
static void test_weak_identity_needs_in_and_out(void **state)
{
    (void)state;
    struct dedup *d = dedup_new();
    uint64_t first = 0;
    frames = 0;
    tcp6(ETHER, 10.0);
    assert_int_equal(dedup_packet(d, &P, &first), DEDUP_ORIGINAL);
    tcp6(ETHER, 10.0005);
    assert_int_equal(dedup_packet(d, &P, &first), DEDUP_ORIGINAL);
    dedup_free(d);

    d = dedup_new();
    frames = 0;
    tcp6(COOKED_IN, 20.0);
    assert_int_equal(dedup_packet(d, &P, &first), DEDUP_ORIGINAL);
    tcp6(COOKED_OUT, 20.0002);
    assert_int_equal(dedup_packet(d, &P, &first), DEDUP_COPY); /* same hop limit here */
    dedup_free(d);
}

/* A sender's stream at a million packets a second: its ID wraps within the
 * window, but its sequence numbers move; none is called a copy. */
static void test_flood_of_distinct_packets(void **state)
{
    (void)state;
    struct dedup *d = dedup_new();
    uint64_t first;
    frames = 0;
    for (int i = 0; i < 3 * DEDUP_MAX / 2; i++) {
        tcp4s(ETHER, (uint16_t)(i + 1), 64, 1.0 + i * 1e-6, (uint32_t)i * 1160);
        assert_int_equal(dedup_packet(d, &P, &first), DEDUP_ORIGINAL);
    }
    dedup_free(d);
}

/* The prefetch computes the identity from the raw frame, before it is
 * decoded: for every Ethernet/IPv4 frame it must be the one dedup_packet()
 * computes, or the prefetch asks for the wrong line (no result changes,
 * only the time).  The frames: a data segment, a pure ACK, a payload under
 * the 16 hashed bytes, a first and a later fragment, IP options, a frame
 * cut by the snap length; and what the raw parse leaves alone (VLAN,
 * IPv6, -i any) gives 0, never a wrong identity. */
static void test_raw_identity_is_the_decoded_one(void **state)
{
    (void)state;
    struct dedup *d = dedup_new();
    enum { SEGMENT, ACK, SHORT, FRAG_FIRST, FRAG_LATER, OPTIONS, SNAPPED, VLAN, V6, COOKED };
    static const char *const names[] = {
        "segment",        "ACK",        "short payload",          "first fragment",
        "later fragment", "IP options", "cut by the snap length", "VLAN",
        "IPv6",           "-i any"};
    for (int c = SEGMENT; c <= COOKED; c++) {
        pb_init(&B);
        pb_fill(&B, c == ACK ? 0 : c == SHORT ? 5 : 1160, 'd');
        if (c == V6) {
            pb_tcp(&B, 40000, 443, 1, 2, TH_ACK);
            pb_ipv6(&B, IP_PROTO_TCP, "2001:db8::1", "2001:db8::2");
            frame(ETHER, ETH_TYPE_IPV6, 1.0);
        } else {
            if (c != FRAG_LATER)
                pb_tcp(&B, 40000, 443, 1, 2, TH_ACK);
            pb_ipv4_id(&B, IP_PROTO_TCP, "10.0.0.1", "10.0.0.2", 0, 77);
            uint8_t *ip = pb_data(&B);
            if (c == FRAG_FIRST)
                pb_be16(ip + 6, 0x2000); /* MF */
            if (c == FRAG_LATER)
                pb_be16(ip + 6, 185); /* offset 1480 */
            if (c == OPTIONS) {       /* a 4-byte option (NOP x4), IHL 6, lengths moved */
                uint8_t *h = pb_prepend(&B, 4);
                memmove(h, h + 4, 20);
                memset(h + 20, 1, 4);
                h[0] = 0x46;
                pb_be16(h + 2, (uint16_t)pb_len(&B));
            }
            frame(c == VLAN ? VLAN42 : c == COOKED ? COOKED_OUT : ETHER, ETH_TYPE_IP, 1.0);
        }
        uint32_t caplen = c == SNAPPED ? 14 + 20 + 9 : (uint32_t)pb_len(&B);
        if (c == SNAPPED)
            tu_decode_buf(&P, DLT_EN10MB, pb_data(&B), caplen, pb_len(&B)); /* B stays */
        int dlt = c == COOKED ? DLT_LINUX_SLL : DLT_EN10MB;
        uint64_t raw = dedup_identity_raw(d, dlt, pb_data(&B), caplen);
        uint64_t decoded = dedup_identity(d, &P);
        assert_int_not_equal(decoded, 0);
        if (c >= VLAN) {
            if (raw != 0)
                fail_msg("%s: the raw parse should leave it alone", names[c]);
        } else if (raw != decoded) {
            fail_msg("%s: raw identity %llx, decoded %llx", names[c], (unsigned long long)raw,
                     (unsigned long long)decoded);
        }
    }
    dedup_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copies_and_retransmissions),
        cmocka_unit_test(test_weak_identity_needs_in_and_out),
        cmocka_unit_test(test_flood_of_distinct_packets),
        cmocka_unit_test(test_fragments_of_one_datagram_are_not_copies),
        cmocka_unit_test(test_raw_identity_is_the_decoded_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
