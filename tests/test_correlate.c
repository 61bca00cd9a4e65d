/* test_correlate.c - matching packets across two captures (correlate.c):
 * the keys of each kind, and the matcher's loss, reordering, clock offset,
 * window ageing, coverage and cap. */
#include <stdint.h>
#include <stdlib.h>

#include "testutil.h"

#include "correlate.h"

static struct pb B;
static struct packet P;

#define NS 1000000000ll

/* A WireGuard data message of `inner` ciphertext bytes (+ 16 tag), in UDP
 * over IPv4 over Ethernet. */
static void build_wg_df(uint32_t receiver, uint64_t counter, size_t inner, const char *src,
                        const char *dst, uint16_t id, uint16_t df);

static void build_wg(uint32_t receiver, uint64_t counter, size_t inner, const char *src,
                     const char *dst, uint16_t id)
{
    build_wg_df(receiver, counter, inner, src, dst, id, IP_DF);
}

/* The same with DF as given (0: clear, a router may cut it). */
static void build_wg_df(uint32_t receiver, uint64_t counter, size_t inner, const char *src,
                        const char *dst, uint16_t id, uint16_t df)
{
    pb_init(&B);
    uint8_t h[16] = {4, 0, 0, 0};
    for (int i = 0; i < 4; i++)
        h[4 + i] = (uint8_t)(receiver >> (8 * i));
    for (int i = 0; i < 8; i++)
        h[8 + i] = (uint8_t)(counter >> (8 * i));
    pb_append(&B, h, sizeof h);
    pb_fill(&B, inner + 16, 0xab);
    pb_udp(&B, 51820, 51820);
    pb_ipv4_id(&B, IP_PROTO_UDP, src, dst, df, id);
    pb_eth(&B, ETH_TYPE_IP);
    tu_decode(&P, DLT_EN10MB, &B);
}

static void build_tcp(uint32_t seq, uint32_t ack, size_t len, uint16_t id)
{
    pb_init(&B);
    pb_fill(&B, len, 'x');
    pb_tcp(&B, 40000, 8080, seq, ack, TH_ACK);
    pb_ipv4_id(&B, IP_PROTO_TCP, "10.0.0.1", "10.0.0.2", IP_DF, id);
    pb_eth(&B, ETH_TYPE_IP);
    tu_decode(&P, DLT_EN10MB, &B);
}

static void test_key_wireguard(void **state)
{
    (void)state;
    struct corr_key k[CORR_MAX_KEYS], k2[CORR_MAX_KEYS];
    build_wg(0xda3fab77, 7, 1408, "10.61.2.2", "10.61.1.2", 1);
    tu_assert_stack(&P, "eth/ipv4/udp/wg");
    assert_int_equal(corr_keys(&P, k), 1);
    assert_int_equal(k[0].kind, CORR_WG);
    assert_int_equal(k[0].depth, 0);
    assert_int_equal(k[0].a, 0xda3fab77);
    assert_int_equal(k[0].c, 7);
    assert_int_equal(k[0].size, 20 + 8 + 16 + 1408 + 16); /* 1468 */
    /* the IP ID is not part of a WireGuard key (a NAT may rewrite it)... */
    build_wg(0xda3fab77, 7, 1408, "10.61.2.2", "10.61.1.2", 999);
    assert_int_equal(corr_keys(&P, k2), 1);
    assert_memory_equal(&k[0], &k2[0], sizeof k[0]);
    /* ...the counter is */
    build_wg(0xda3fab77, 8, 1408, "10.61.2.2", "10.61.1.2", 1);
    assert_int_equal(corr_keys(&P, k2), 1);
    assert_memory_not_equal(&k[0], &k2[0], sizeof k[0]);
}

static void test_key_tcp_and_ipv4(void **state)
{
    (void)state;
    struct corr_key k[CORR_MAX_KEYS];
    build_tcp(1000, 2000, 100, 0x4321);
    assert_int_equal(corr_keys(&P, k), 1);
    assert_int_equal(k[0].kind, CORR_TCP);
    assert_int_equal(k[0].a, 1000);
    assert_int_equal(k[0].b, 2000);
    assert_int_equal(k[0].c, 100 | ((uint64_t)0x4321 + 1) << 16);
    assert_int_equal(k[0].sport, 40000);
    assert_int_equal(k[0].size, 140);

    /* ICMP echo: an IPv4 key of addresses, protocol, ID, length */
    pb_init(&B);
    pb_fill(&B, 56, 0);
    uint8_t *ic = pb_prepend(&B, 8);
    memset(ic, 0, 8);
    ic[0] = 8;
    pb_ipv4_id(&B, IP_PROTO_ICMP, "10.0.0.1", "10.0.0.2", 0, 77);
    pb_eth(&B, ETH_TYPE_IP);
    tu_decode(&P, DLT_EN10MB, &B);
    /* DF clear: a router may cut it, so its datagram is keyed too */
    assert_int_equal(corr_keys(&P, k), 2);
    assert_int_equal(k[0].kind, CORR_IPV4);
    assert_int_equal(k[0].a, 77);
    assert_int_equal(k[0].proto, IP_PROTO_ICMP);
    assert_int_equal(k[1].kind, CORR_DATAGRAM);
    assert_int_equal(k[1].a, 77);
    assert_int_equal(k[1].proto, IP_PROTO_ICMP);
    assert_int_equal(k[1].size, 64); /* its payload bytes, for the matcher */
    assert_int_equal(k[0].size, 84);

    /* IPv6 UDP: nothing identifies it */
    pb_init(&B);
    pb_fill(&B, 20, 0);
    pb_udp(&B, 1000, 2000);
    pb_ipv6(&B, IP_PROTO_UDP, "2001:db8::1", "2001:db8::2");
    pb_eth(&B, ETH_TYPE_IPV6);
    tu_decode(&P, DLT_EN10MB, &B);
    assert_int_equal(corr_keys(&P, k), 0);
}

/* A fragment is keyed as the packet it is: id, offset, its own size. */
static void test_key_fragment(void **state)
{
    (void)state;
    struct corr_key k[CORR_MAX_KEYS];
    pb_init(&B);
    pb_fill(&B, 1200, 'z');
    pb_ipv4_id(&B, IP_PROTO_UDP, "10.0.0.1", "10.0.0.2", IP_MF | (1480 >> 3), 0x777);
    pb_eth(&B, ETH_TYPE_IP);
    tu_decode(&P, DLT_EN10MB, &B);
    assert_int_equal(corr_keys(&P, k), 2);
    assert_int_equal(k[0].kind, CORR_IPV4);
    assert_int_equal(k[0].a, 0x777);
    assert_int_equal(k[0].b, 1480);
    assert_int_equal(k[1].kind, CORR_DATAGRAM);
    assert_int_equal(k[1].a, 0x777);
    assert_int_equal(k[0].c, 1);
    assert_int_equal(k[0].size, 1220);
    assert_string_equal(corr_kind_name(CORR_IPV4), "ip");
}

static void test_key_vxlan_two_depths(void **state)
{
    (void)state;
    struct corr_key k[CORR_MAX_KEYS];
    pb_init(&B);
    pb_fill(&B, 50, 'y');
    pb_tcp(&B, 1234, 80, 5, 6, TH_ACK);
    pb_ipv4_id(&B, IP_PROTO_TCP, "192.168.0.1", "192.168.0.2", IP_DF, 9);
    pb_eth(&B, ETH_TYPE_IP);
    pb_vxlan(&B, 42);
    pb_udp(&B, 55555, 4789);
    pb_ipv4_id(&B, IP_PROTO_UDP, "10.0.0.1", "10.0.0.2", 0, 3);
    pb_eth(&B, ETH_TYPE_IP);
    tu_decode(&P, DLT_EN10MB, &B);
    assert_int_equal(corr_keys(&P, k), 3); /* the outer one has DF clear: its datagram too */
    assert_int_equal(k[0].kind, CORR_IPV4);
    assert_int_equal(k[0].depth, 0);
    assert_int_equal(k[0].a, 3);
    assert_int_equal(k[1].kind, CORR_DATAGRAM);
    assert_int_equal(k[2].kind, CORR_TCP);
    assert_int_equal(k[2].depth, 1);
    assert_int_equal(k[2].size, 90);
}

/* A synthetic key: a WireGuard message of counter c and size `size` from
 * 10.0.0.1 to 10.0.0.2 (or back when rev). */
static struct corr_key wk(uint64_t c, uint32_t size, bool rev)
{
    struct corr_key k;
    memset(&k, 0, sizeof k);
    k.kind = CORR_WG;
    k.version = 4;
    uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};
    memcpy(k.src, rev ? b : a, 4);
    memcpy(k.dst, rev ? a : b, 4);
    k.sport = k.dport = 51820;
    k.a = rev ? 0x22 : 0x11;
    k.c = c;
    k.size = size;
    return k;
}

static void add1(struct corr_matcher *m, int side, int64_t t, uint64_t frame, struct corr_key k)
{
    corr_matcher_add(m, side, t, frame, &k, 1);
}

/* Side 0 sends 10 messages, the 1480-byte ones (every third) never reach
 * side 1; side 1 sees the rest 1 ms later and out of order. */
static void test_matcher_loss_and_reorder(void **state)
{
    (void)state;
    struct corr_matcher *m = corr_matcher_new(CORR_WINDOW_NS, 1000);
    assert_non_null(m);
    for (uint64_t c = 0; c < 10; c++)
        add1(m, 0, (int64_t)c * NS / 10, c + 1, wk(c, c % 3 == 2 ? 1480 : 124 + (uint32_t)c, 0));
    /* delivered ones, two swapped (reordering), each 1 ms after its send */
    uint64_t order[] = {0, 1, 4, 3, 6, 7, 9};
    for (int i = 0; i < 7; i++) {
        uint64_t c = order[i];
        add1(m, 1, (int64_t)c * NS / 10 + 1000000, 100 + (uint64_t)i, wk(c, 124 + (uint32_t)c, 0));
    }
    /* side 1 keeps capturing long enough to cover the losses */
    corr_matcher_add(m, 1, 5 * NS, 200, NULL, 0);
    corr_matcher_finish(m);
    assert_int_equal(corr_matcher_matches(m), 7);
    assert_int_equal(corr_matcher_ndirs(m), 1);
    const struct corr_dir *d = corr_matcher_dir(m, 0);
    assert_int_equal(d->matched, 7);
    assert_int_equal(d->only[0], 3);
    assert_int_equal(d->only[1], 0);
    assert_int_equal(d->upstream, 0);
    assert_int_equal(d->delay_median_ns, 1000000);
    assert_int_equal(d->largest_matched, 133);
    assert_int_equal(d->largest_frame[0], 10);
    assert_int_equal(d->largest_frame[1], 106);
    struct corr_verdict v;
    assert_true(corr_dir_verdict(d, &v));
    assert_int_equal(v.largest_delivered, 133);
    assert_int_equal(v.smallest_lost, 1480);
    assert_int_equal(v.lost_at_smallest, 3);
    assert_int_equal(v.lost_at_or_above, 3);
    assert_true(v.all_lost_above);
    assert_int_equal(v.lost_frame, 3); /* counter 2, the first 1480-byte one */
    assert_int_equal(v.lost_val, 2);
    char f[320];
    corr_dir_filter(d, &v, f, sizeof f);
    assert_string_equal(f, "ip.src == 10.0.0.1 && ip.dst == 10.0.0.2 && wg.receiver == "
                           "0x00000011 && wg.counter >= 2 && !icmp && ip.len >= 1480");
    corr_matcher_free(m);
}

/* The same inner packet inside a tunnel in one capture (depth 1: the outer
 * interface of a VXLAN host) and outermost in the other (its tunnel
 * interface): matched, counted as a cross-depth match, the direction an
 * inner one. */
static void test_matcher_cross_depth(void **state)
{
    (void)state;
    struct corr_matcher *m = corr_matcher_new(CORR_WINDOW_NS, 1000);
    assert_non_null(m);
    for (uint64_t c = 0; c < 4; c++) {
        struct corr_key in = wk(c, 1450, 0), out = in;
        in.kind = out.kind = CORR_TCP;
        out.depth = 1;
        add1(m, 0, (int64_t)c * NS, c + 1, in);
        if (c != 3)
            add1(m, 1, (int64_t)c * NS + 1000, c + 1, out);
    }
    struct corr_key same = wk(9, 100, 0); /* same depth both sides: no cross-depth count */
    add1(m, 0, 5 * NS, 5, same);
    add1(m, 1, 5 * NS + 1000, 5, same);
    corr_matcher_add(m, 1, 9 * NS, 9, NULL, 0);
    corr_matcher_finish(m);
    assert_int_equal(corr_matcher_matches(m), 4);
    assert_int_equal(corr_matcher_ndirs(m), 1);
    const struct corr_dir *d = corr_matcher_dir(m, 0);
    assert_int_equal(d->matched, 4);
    assert_int_equal(d->cross_depth, 3);
    assert_int_equal(d->depth, 1);
    assert_int_equal(d->only[0], 1); /* the fourth never came out of the tunnel */
    corr_matcher_free(m);
}

/* Timestamps that jump back (a clock stepped while capturing): a key waits a
 * whole window of the merged clock, not of its own timestamp, so its twin
 * still finds it.  The same capture on both sides loses nothing. */
static void test_matcher_time_goes_back(void **state)
{
    (void)state;
    struct corr_matcher *m = corr_matcher_new(CORR_WINDOW_NS, 1000);
    assert_non_null(m);
    int64_t t[] = {100 * NS, 101 * NS, 1 * NS, 2 * NS};
    for (uint64_t i = 0; i < 4; i++) {
        add1(m, 0, t[i], i + 1, wk(i, 200, 0));
        add1(m, 1, t[i], i + 1, wk(i, 200, 0));
    }
    corr_matcher_finish(m);
    assert_int_equal(corr_matcher_matches(m), 4);
    const struct corr_dir *d = corr_matcher_dir(m, 0);
    assert_int_equal(d->matched, 4);
    assert_int_equal(d->only[0] + d->only[1], 0);
    corr_matcher_free(m);
}

/* One packet repeated (a flood, or a capture of retransmitted copies that
 * carry the same key): each copy on one side matches one copy on the other,
 * whichever side comes first, and none is left over. */
static void test_matcher_repeated_key(void **state)
{
    (void)state;
    struct corr_matcher *m = corr_matcher_new(CORR_WINDOW_NS, 1000);
    assert_non_null(m);
    for (uint64_t i = 0; i < 300; i++)
        add1(m, 0, NS, i + 1, wk(7, 300, 0));
    for (uint64_t i = 0; i < 300; i++)
        add1(m, 1, NS + 1000, i + 1, wk(7, 300, 0));
    for (uint64_t i = 0; i < 50; i++) { /* and interleaved, the other side first */
        add1(m, 1, 2 * NS, 400 + i, wk(8, 300, 0));
        add1(m, 0, 2 * NS, 400 + i, wk(8, 300, 0));
    }
    corr_matcher_finish(m);
    assert_int_equal(corr_matcher_matches(m), 350);
    const struct corr_dir *d = corr_matcher_dir(m, 0);
    assert_int_equal(d->matched, 350);
    assert_int_equal(d->only[0] + d->only[1], 0);
    assert_int_equal(corr_matcher_cap_hits(m), 0);
    corr_matcher_free(m);
}

/* Side 1 is upstream for the reverse direction: the sign of the delay. */
static void test_matcher_upstream_both_ways(void **state)
{
    (void)state;
    struct corr_matcher *m = corr_matcher_new(CORR_WINDOW_NS, 1000);
    for (uint64_t c = 0; c < 5; c++) {
        int64_t t = (int64_t)c * NS;
        add1(m, 0, t, 2 * c + 1, wk(c, 200, 0));
        add1(m, 1, t + 3000000, 2 * c + 1, wk(c, 200, 0));
        add1(m, 1, t + 500000000, 2 * c + 2, wk(c, 300, 1));
        add1(m, 0, t + 503000000, 2 * c + 2, wk(c, 300, 1));
    }
    corr_matcher_finish(m);
    assert_int_equal(corr_matcher_ndirs(m), 2);
    assert_int_equal(corr_matcher_dir(m, 0)->upstream, 0);
    assert_int_equal(corr_matcher_dir(m, 0)->delay_median_ns, 3000000);
    assert_int_equal(corr_matcher_dir(m, 1)->upstream, 1);
    assert_int_equal(corr_matcher_dir(m, 1)->delay_median_ns, -3000000);
    assert_int_equal(corr_matcher_dir(m, 1)->matched, 5);
    corr_matcher_free(m);
}

/* A copy arriving after the window is two one-sided packets, not a match;
 * a packet after the other capture's end is not counted lost. */
static void test_matcher_window_and_coverage(void **state)
{
    (void)state;
    struct corr_matcher *m = corr_matcher_new(2 * NS, 1000);
    add1(m, 0, 0, 1, wk(1, 500, 0));
    add1(m, 1, 0, 1, wk(0, 100, 0));      /* side 1 starts: covers side 0 from t = 0 */
    add1(m, 0, 1, 2, wk(0, 100, 0));      /* matched */
    add1(m, 1, 3 * NS, 2, wk(1, 500, 0)); /* 3 s late: the first copy aged out at 2 s */
    add1(m, 1, 10 * NS, 3, wk(5, 100, 0));
    add1(m, 0, 10 * NS + 1, 3, wk(5, 100, 0));
    add1(m, 0, 20 * NS, 4, wk(9, 700, 0)); /* side 1 ended at 10 s: not covered */
    corr_matcher_finish(m);
    assert_int_equal(corr_matcher_matches(m), 2);
    const struct corr_dir *d = corr_matcher_dir(m, 0);
    assert_int_equal(d->only[0], 1);
    assert_int_equal(d->only[1], 1);
    assert_int_equal(d->uncovered[0], 1);
    assert_int_equal(d->uncovered[1], 0);
    /* sizes: 100 matched twice, 500 once on each side only, 700 uncovered */
    assert_int_equal(d->nsizes, 3);
    assert_int_equal(d->sizes[0].size, 100);
    assert_int_equal(d->sizes[0].matched, 2);
    assert_int_equal(d->sizes[1].size, 500);
    assert_int_equal(d->sizes[1].only[0], 1);
    assert_int_equal(d->sizes[1].only[1], 1);
    assert_int_equal(d->sizes[2].uncovered[0], 1);
    /* one lost copy is not enough for an upper bound */
    struct corr_verdict v;
    assert_true(corr_dir_verdict(d, &v));
    assert_int_equal(v.smallest_lost, 500);
    assert_int_equal(v.lost_at_or_above, 1);
    corr_matcher_free(m);
}

/* Side 1's clock runs 1 hour ahead: with the offset removed before the
 * matcher (as correlate_run does) everything matches in a 10 s window. */
static void test_matcher_clock_offset(void **state)
{
    (void)state;
    const int64_t offset = 3600 * NS;
    struct corr_matcher *m = corr_matcher_new(CORR_WINDOW_NS, 1000);
    for (uint64_t c = 0; c < 20; c++) {
        int64_t t = (int64_t)c * NS / 2;
        add1(m, 0, t, c + 1, wk(c, 200, 0));
        int64_t t1 = t + offset + 2000000; /* as side 1 stamped it */
        add1(m, 1, t1 - offset, c + 1, wk(c, 200, 0));
    }
    corr_matcher_finish(m);
    assert_int_equal(corr_matcher_matches(m), 20);
    assert_int_equal(corr_matcher_dir(m, 0)->delay_median_ns, 2000000);
    assert_int_equal(corr_matcher_dir(m, 0)->only[0], 0);
    corr_matcher_free(m);
    /* without the offset nothing matches within the window */
    m = corr_matcher_new(CORR_WINDOW_NS, 1000);
    for (uint64_t c = 0; c < 20; c++)
        add1(m, 0, (int64_t)c * NS / 2, c + 1, wk(c, 200, 0));
    for (uint64_t c = 0; c < 20; c++)
        add1(m, 1, (int64_t)c * NS / 2 + offset, c + 1, wk(c, 200, 0));
    corr_matcher_finish(m);
    assert_int_equal(corr_matcher_matches(m), 0);
    corr_matcher_free(m);
}

/* At most max_pending keys wait: the oldest leaves unresolved (counted),
 * never as a loss. */
static void test_matcher_cap(void **state)
{
    (void)state;
    struct corr_matcher *m = corr_matcher_new(CORR_WINDOW_NS, 8);
    add1(m, 1, 0, 1, wk(1000, 100, 1)); /* side 1 running; its key waits too */
    for (uint64_t c = 0; c < 20; c++)
        add1(m, 0, 1 + (int64_t)c, c + 1, wk(c, 100, 0));
    /* 8 held: counters 12..19; key 1000 and counters 0..11 were pushed out */
    assert_int_equal(corr_matcher_cap_hits(m), 13);
    for (uint64_t c = 12; c < 20; c++)
        add1(m, 1, 100 + (int64_t)c, c + 2, wk(c, 100, 0));
    corr_matcher_add(m, 1, 5 * NS, 99, NULL, 0);
    corr_matcher_finish(m);
    assert_int_equal(corr_matcher_matches(m), 8);
    assert_int_equal(corr_matcher_cap_hits(m), 13);
    const struct corr_dir *d = corr_matcher_dir(m, 1);
    assert_int_equal(d->matched, 8);
    assert_int_equal(d->only[0], 0);
    assert_int_equal(d->only[1], 0);
    corr_matcher_free(m);
}

/* The ring and its index start small and grow (correlate.c grow()): here
 * after the ring's head moved and its slots wrapped, then up to the cap.
 * Nothing changes with the growth: every key finds its twin, two copies of
 * one key are matched newest first, and at the cap the oldest leave.  The
 * numbers are those of the fixed-size ring before the growth came in. */
static void test_matcher_grows(void **state)
{
    (void)state;
    struct corr_matcher *m = corr_matcher_new(CORR_WINDOW_NS, 100);
    assert_non_null(m);
    for (uint64_t c = 0; c < 40; c++) { /* matched at once: the head moves on */
        add1(m, 0, (int64_t)c, c + 1, wk(c, 100, 0));
        add1(m, 1, (int64_t)c, 1000 + c, wk(c, 100, 0));
    }
    add1(m, 0, 50, 500, wk(7777, 1400, 0));
    add1(m, 0, 51, 501, wk(7777, 1400, 0)); /* the same key again */
    for (uint64_t c = 100; c < 190; c++)    /* 92 held: two growths, the first wrapped */
        add1(m, 0, 100 + (int64_t)c, 2000 + c, wk(c, 100, 0));
    assert_int_equal(corr_matcher_cap_hits(m), 0);
    add1(m, 1, 300, 3000, wk(7777, 1400, 0));
    for (uint64_t c = 190; c-- > 100;)
        add1(m, 1, 400, 4000 + c, wk(c, 100, 0));
    assert_int_equal(corr_matcher_matches(m), 131);
    for (uint64_t c = 200; c < 310; c++) /* past the cap */
        add1(m, 0, 500 + (int64_t)c, 5000 + c, wk(c, 100, 0));
    assert_int_equal(corr_matcher_cap_hits(m), 11);
    for (uint64_t c = 200; c < 310; c += 3)
        add1(m, 1, 900, 6000 + c, wk(c, 100, 0));
    corr_matcher_add(m, 1, 5 * NS, 99999, NULL, 0);
    corr_matcher_finish(m);
    assert_int_equal(corr_matcher_matches(m), 163);
    assert_int_equal(corr_matcher_cap_hits(m), 16);
    assert_int_equal(corr_matcher_ndirs(m), 1);
    const struct corr_dir *d = corr_matcher_dir(m, 0);
    assert_int_equal(d->matched, 163);
    assert_int_equal(d->only[0], 63);
    assert_int_equal(d->only[1], 0);
    assert_int_equal(d->uncovered[1], 5);
    assert_int_equal(d->largest_matched, 1400);
    assert_int_equal(d->largest_frame[0], 501); /* the newer copy */
    assert_int_equal(d->largest_frame[1], 3000);
    corr_matcher_free(m);
}

/* ---- correlate_run() fed by a source of packets, as main() feeds it from
 * replay.c: no file is opened here ---- */

/* Two captures of one TCP connection, one at each host: a->b packets are
 * seen at A first and at B one delay later, b->a the other way round.  B's
 * clock is CLOCK_B ahead, so nothing matches within the calibration window
 * until the start times are aligned. */
#define CLOCK_B (3 * 3600 * NS)
#define DELAY (5 * NS / 1000) /* 5 ms one way */
#define NPKT 40

struct fake_frame {
    int64_t t; /* on its own capture's clock */
    bool rev;  /* b -> a */
    uint32_t seq;
    uint64_t frame;
};

struct fake {
    struct fake_frame f[2][NPKT];
    int n[2];
    int passes, first_times;
    bool lose_big; /* side 0's packets of 1400 bytes never reach B */
};

static void fake_build(const struct fake_frame *x, uint32_t len)
{
    pb_init(&B);
    pb_fill(&B, len, 'x');
    const char *a = "10.0.0.1", *b = "10.0.0.2";
    pb_tcp(&B, x->rev ? 8080 : 40000, x->rev ? 40000 : 8080, x->seq, 1, TH_ACK);
    pb_ipv4_id(&B, IP_PROTO_TCP, x->rev ? b : a, x->rev ? a : b, IP_DF, (uint16_t)x->seq);
    pb_eth(&B, ETH_TYPE_IP);
    tu_decode(&P, DLT_EN10MB, &B);
    P.frame = x->frame;
}

static uint32_t fake_len(const struct fake_frame *x)
{
    return !x->rev && x->seq % 4 == 2 ? 1360 : 100; /* every other a->b segment is large */
}

static void fake_init(struct fake *fk, bool lose_big)
{
    memset(fk, 0, sizeof *fk);
    fk->lose_big = lose_big;
    for (int i = 0; i < NPKT; i++) {
        struct fake_frame x = {(int64_t)i * NS / 10, i % 2 == 1, (uint32_t)i, 0};
        if (!(lose_big && !x.rev && fake_len(&x) > 1000)) {
            struct fake_frame y = x;
            y.t = x.t + CLOCK_B + (x.rev ? 0 : DELAY);
            y.frame = (uint64_t)fk->n[1] + 1;
            fk->f[1][fk->n[1]++] = y;
        }
        x.t += x.rev ? DELAY : 0;
        x.frame = (uint64_t)fk->n[0] + 1;
        fk->f[0][fk->n[0]++] = x;
    }
}

static bool fake_pair(void *src, int a, int b, int64_t offset, corr_frame_fn fn, void *ctx)
{
    struct fake *fk = src;
    assert_int_equal(a, 0);
    assert_int_equal(b, 1);
    fk->passes++;
    int i[2] = {0, 0};
    while (i[0] < fk->n[0] || i[1] < fk->n[1]) {
        int64_t t1 = i[1] < fk->n[1] ? fk->f[1][i[1]].t - offset : INT64_MAX;
        int64_t t0 = i[0] < fk->n[0] ? fk->f[0][i[0]].t : INT64_MAX;
        int x = t1 < t0;
        const struct fake_frame *f = &fk->f[x][i[x]++];
        fake_build(f, fake_len(f));
        struct corr_key keys[CORR_MAX_KEYS];
        int n = corr_keys(&P, keys);
        if (!fn(ctx, x, x ? t1 : t0, P.frame, keys, n))
            break;
    }
    return true;
}

static bool fake_first_time(void *src, int input, int64_t *t)
{
    struct fake *fk = src;
    fk->first_times++;
    *t = fk->f[input][0].t;
    return true;
}

static bool fake_rereadable(void *src, int input)
{
    (void)src;
    return input >= 0 && input < 2;
}

static void fake_results(struct results *res, struct flow_summary fl[2])
{
    memset(res, 0, sizeof *res);
    memset(fl, 0, 2 * sizeof *fl);
    for (int i = 0; i < 2; i++) {
        addr_pton("10.0.0.1", &fl[i].client);
        addr_pton("10.0.0.2", &fl[i].server);
        fl[i].client_port = 40000;
        fl[i].server_port = 8080;
        fl[i].proto = IP_PROTO_TCP;
        fl[i].input = (uint16_t)i;
    }
    res->flows = fl;
    res->nflows = 2;
}

/* One correlate_run() over the fake pair: the source, its results and the
 * correlation it fills (correlate_free(&r->c) after). */
struct fake_run {
    struct fake fk;
    struct results res;
    struct flow_summary fl[2];
    struct corr_source src;
    struct correlation c;
};

static void fake_run(struct fake_run *r, bool lose_large, int ninputs)
{
    fake_init(&r->fk, lose_large);
    fake_results(&r->res, r->fl);
    r->src = (struct corr_source){fake_pair, fake_first_time, fake_rereadable, &r->fk};
    assert_true(correlate_run(&r->c, &r->src, ninputs, &r->res));
}

/* Clocks 3 h apart: the first calibration pass matches nothing, the start
 * times are read, the second pass with them aligned finds the offset (mean
 * of the two directions' medians, the delays being symmetric), and the
 * final pass matches every packet: nothing lost, delay 5 ms each way. */
static void test_run_clocks_hours_apart_found_from_start_times(void **state)
{
    (void)state;
    struct fake_run r;
    fake_run(&r, false, 2);
    struct fake *fk = &r.fk;
    assert_int_equal(r.c.npairs, 1);
    const struct corr_pair *p = &r.c.pairs[0];
    assert_true(p->shared_flows);
    assert_false(p->failed);
    assert_int_equal(fk->passes, 3);      /* calibration, again aligned, the match */
    assert_int_equal(fk->first_times, 2); /* read once the first pass matched nothing */
    assert_true(p->offset_known);
    assert_int_equal(p->offset_ns, CLOCK_B);
    assert_int_equal(p->matched, NPKT);
    assert_int_equal(p->ndirs, 2);
    for (int i = 0; i < p->ndirs; i++) {
        assert_int_equal(p->dirs[i].only[0] + p->dirs[i].only[1], 0);
        assert_int_equal(p->dirs[i].delay_median_ns < 0 ? -p->dirs[i].delay_median_ns
                                                        : p->dirs[i].delay_median_ns,
                         DELAY);
    }
    correlate_free(&r.c);
}

/* The large a->b segments never reach B: measured loss by size, from the
 * upstream side A, with every smaller size delivered.  Of the ten lost, the
 * three sent in B's last second (3.0, 3.4, 3.8 s; B's last frame at 3.9 s)
 * may have been in flight when B stopped: not counted as lost. */
static void test_run_large_packets_lost_between_vantage_points(void **state)
{
    (void)state;
    struct fake_run r;
    fake_run(&r, true, 2);
    const struct corr_pair *p = &r.c.pairs[0];
    assert_true(p->offset_known);
    assert_int_equal(p->offset_ns, CLOCK_B);
    const struct corr_dir *d = NULL;
    for (int i = 0; i < p->ndirs; i++)
        if (p->dirs[i].src[3] == 1) /* 10.0.0.1 -> */
            d = &p->dirs[i];
    assert_non_null(d);
    assert_int_equal(d->upstream, 0);
    struct corr_verdict v;
    assert_true(corr_dir_verdict(d, &v));
    assert_int_equal(v.largest_delivered, 140);
    assert_int_equal(v.smallest_lost, 1400);
    assert_int_equal(v.lost_at_or_above, 7);
    assert_true(v.all_lost_above);
    assert_int_equal(d->sizes[d->nsizes - 1].uncovered[0], 3);
    correlate_free(&r.c);
}

/* An input that cannot be read again (standard input) is listed with a
 * note and never read. */
static void test_run_stdin_not_read_again(void **state)
{
    (void)state;
    struct fake_run r;
    fake_run(&r, false, 3);                   /* input 2: not rereadable */
    assert_int_equal(r.fk.passes, 1 + 1 + 1); /* the 0-1 pair alone was read */
    correlate_free(&r.c);
}

/* A router cuts a DF-clear IPv4 packet into fragments that carry its ID,
 * addresses and protocol (RFC 791): a whole packet on one side whose
 * fragments are on the other crossed.  Not lost, no match at its size; a
 * fragment lost between two captures of fragments still is lost, and so
 * is a whole packet whose ID no fragment carries.  Keys from packets built
 * and decoded, as corr_keys() makes them; side 1's fragments come before
 * or after side 0's packet (clock offset), in any order. */
static int keys_of_frag(struct corr_key *k, uint16_t id, uint16_t off, bool more, size_t len,
                        uint16_t df)
{
    pb_init(&B);
    pb_fill(&B, len, 'f');
    pb_ipv4_id(&B, IP_PROTO_UDP, "10.0.0.1", "10.0.0.2",
               (uint16_t)(df | (more ? IP_MF : 0) | (off >> 3)), id);
    pb_eth(&B, ETH_TYPE_IP);
    tu_decode(&P, DLT_EN10MB, &B);
    return corr_keys(&P, k);
}

static void test_matcher_packet_cut_on_the_way_crossed_as_fragments(void **state)
{
    (void)state;
    for (int order = 0; order < 3; order++) {
        struct corr_matcher *m = corr_matcher_new(CORR_WINDOW_NS, 1000);
        assert_non_null(m);
        struct corr_key k[CORR_MAX_KEYS];
        int64_t t0 = order == 2 ? NS / 2 : 0; /* order 2: the fragments first */
        int64_t t1 = order == 2 ? 0 : NS / 2;
        corr_matcher_add(m, 0, 0, 1, NULL, 0); /* both captures running from 0 */
        corr_matcher_add(m, 1, 0, 1, NULL, 0);
        t0 += NS / 10;
        t1 += NS / 10;
        /* side 0: whole 1500-byte packets, DF clear, IDs 10..12 and 14; 13 with DF set */
        for (uint16_t id = 10; id < 15; id++) {
            int n = keys_of_frag(k, id, 0, false, 1480, id == 13 ? IP_DF : 0);
            corr_matcher_add(m, 0, t0 + id * 1000, id, k, n);
        }
        /* side 1: IDs 10 and 11 as 1236 + 284 fragments (order 1: last first),
         * 12 never, fragments of ID 13 (no packet of ID 13 was cut: DF), and
         * of 14 the first fragment only (the rest lost: fragment loss) */
        for (uint16_t id = 10; id < 15; id++) {
            if (id == 12)
                continue;
            for (int f = 0; f < 2; f++) {
                int ff = order == 1 ? 1 - f : f;
                if (id == 14 && ff)
                    continue;
                int n = keys_of_frag(k, id, ff ? 1216 : 0, !ff, ff ? 264 : 1216, 0);
                corr_matcher_add(m, 1, t1 + id * 1000 + f, 100 + id * 2 + (uint64_t)f, k, n);
            }
        }
        corr_matcher_add(m, 0, 5 * NS, 50, NULL, 0);
        corr_matcher_add(m, 1, 5 * NS, 500, NULL, 0);
        corr_matcher_finish(m);
        const struct corr_dir *d = corr_matcher_dir(m, 0);
        assert_non_null(d);
        assert_int_equal(d->matched, 0);
        assert_int_equal(d->fragmented[0], 3); /* IDs 10, 11 and 14 */
        assert_int_equal(d->fragmented[1], 5);
        assert_int_equal(d->fragmented_incomplete, 1); /* 14 */
        assert_int_equal(d->largest_fragmented, 1500);
        assert_int_equal(d->fragmented_side, 0);
        assert_int_equal(d->only[0], 2); /* 12 lost; 13 (DF set) lost */
        assert_int_equal(d->only[1], 2); /* the fragments of 13 */
        corr_matcher_free(m);
    }
    /* fragments on both sides, the second of one datagram lost: lost */
    struct corr_matcher *m = corr_matcher_new(CORR_WINDOW_NS, 1000);
    struct corr_key k[CORR_MAX_KEYS];
    corr_matcher_add(m, 1, 0, 1, NULL, 0);
    for (int side = 0; side < 2; side++)
        for (int f = 0; f < 2; f++) {
            if (side == 1 && f == 1)
                continue;
            int n = keys_of_frag(k, 77, f ? 1216 : 0, !f, f ? 264 : 1216, 0);
            corr_matcher_add(m, side, side * 1000000 + f, 1 + (uint64_t)f, k, n);
        }
    corr_matcher_add(m, 1, 5 * NS, 9, NULL, 0);
    corr_matcher_finish(m);
    const struct corr_dir *d = corr_matcher_dir(m, 0);
    assert_int_equal(d->matched, 1);
    assert_int_equal(d->only[0], 1);
    assert_int_equal(d->fragmented[0] + d->fragmented[1], 0);
    corr_matcher_free(m);
}

/* An IPv4 fragment lost between two captures lost nothing by its size: it
 * is sent DF clear, and a router cuts a DF-clear packet that is too big
 * rather than drop it (RFC 791); it was dropped for being a fragment (a
 * filter that needs ports, which a later fragment does not carry), or cut
 * again into pieces of other sizes.  Lab matrix SEED=4 m016 pair: 1500-byte first fragments
 * arrived re-cut to 1372 bytes, the rest of every answer was dropped, and
 * the 600-byte last fragments made "all 621 bytes and up lost". */
static void test_verdict_lost_ipv4_fragments_are_no_size_that_failed(void **state)
{
    (void)state;
    for (int whole_lost = 0; whole_lost < 2; whole_lost++) {
        struct corr_matcher *m = corr_matcher_new(CORR_WINDOW_NS, 1000);
        assert_non_null(m);
        struct corr_key k[CORR_MAX_KEYS];
        corr_matcher_add(m, 0, 0, 1, NULL, 0);
        corr_matcher_add(m, 1, 0, 1, NULL, 0);
        uint64_t fr0 = 10, fr1 = 100;
        for (uint16_t id = 1; id <= 3; id++) { /* small whole packets (DF), both sides */
            int n = keys_of_frag(k, id, 0, false, 180, IP_DF);
            corr_matcher_add(m, 0, id * NS / 10, fr0++, k, n);
            corr_matcher_add(m, 1, id * NS / 10 + 1000, fr1++, k, n);
        }
        for (uint16_t id = 20; id <= 22; id++) { /* answers of 1480 + 580 payload bytes */
            int64_t t = id * NS / 10;
            int n = keys_of_frag(k, id, 0, true, 1480, 0);
            corr_matcher_add(m, 0, t, fr0++, k, n);
            n = keys_of_frag(k, id, 1480, false, 580, 0);
            corr_matcher_add(m, 0, t + 10, fr0++, k, n);
            /* past the router: the first fragment re-cut, its first piece only */
            n = keys_of_frag(k, id, 0, true, 1352, 0);
            corr_matcher_add(m, 1, t + 1000, fr1++, k, n);
        }
        uint64_t lost_frame = fr0;
        if (whole_lost) { /* a whole 1414-byte packet with DF set: a size that failed */
            int n = keys_of_frag(k, 30, 0, false, 1394, IP_DF);
            corr_matcher_add(m, 0, 3 * NS, fr0++, k, n);
        }
        corr_matcher_add(m, 0, 5 * NS, fr0, NULL, 0);
        corr_matcher_add(m, 1, 5 * NS, fr1, NULL, 0);
        corr_matcher_finish(m);
        const struct corr_dir *d = corr_matcher_dir(m, 0);
        assert_non_null(d);
        assert_int_equal(d->matched, 3);
        assert_int_equal(d->only[0], 6 + whole_lost); /* still counted as not seen there */
        struct corr_verdict v;
        assert_true(corr_dir_verdict(d, &v));
        assert_int_equal(v.largest_delivered, 200);
        if (whole_lost) {
            assert_int_equal(v.smallest_lost, 1414);
            assert_int_equal(v.lost_at_or_above, 1);
            assert_true(v.all_lost_above);
            assert_int_equal(v.lost_frame, lost_frame);
        } else {
            assert_int_equal(v.smallest_lost, 0); /* nothing lost by its size */
            assert_int_equal(v.lost_at_or_above, 0);
            assert_false(v.all_lost_above);
        }
        corr_matcher_free(m);
    }
}

/* A WireGuard datagram sent DF clear that a router cut arrived as fragments
 * carrying its IP ID (RFC 791): it crossed, and is no loss at its size.  Its
 * key leaves the ID out (a NAT may rewrite it), so its entry keeps the ID
 * beside the key for the datagram's marker.  Lab matrix SEED=6 m022 pair:
 * "all 260 packets of 1384 bytes lost" on a healthy path with DF off. */
static void test_matcher_wireguard_cut_on_the_way_crossed_as_fragments(void **state)
{
    (void)state;
    struct corr_matcher *m = corr_matcher_new(CORR_WINDOW_NS, 1000);
    assert_non_null(m);
    struct corr_key k[CORR_MAX_KEYS];
    corr_matcher_add(m, 0, 0, 1, NULL, 0);
    corr_matcher_add(m, 1, 0, 1, NULL, 0);
    for (uint16_t c = 0; c < 4; c++) {
        int64_t t = NS / 10 + c * (NS / 10);
        /* side 0: a 1368-byte datagram, DF clear, IP ID 40 + c */
        build_wg_df(0x77, c, 1308, "10.0.0.1", "10.0.0.2", (uint16_t)(40 + c), 0);
        int n = corr_keys(&P, k);
        assert_int_equal(n, 2); /* its WireGuard key and its datagram key */
        corr_matcher_add(m, 0, t, 10 + c, k, n);
        /* side 1: its two fragments, 1236 + 152 bytes (payloads 1216 + 132), the same ID */
        for (int f = 0; f < 2; f++) {
            n = keys_of_frag(k, (uint16_t)(40 + c), f ? 1216 : 0, !f, f ? 132 : 1216, 0);
            corr_matcher_add(m, 1, t + 1000 + f, 100 + 2 * c + (uint64_t)f, k, n);
        }
    }
    corr_matcher_add(m, 0, 5 * NS, 50, NULL, 0);
    corr_matcher_add(m, 1, 5 * NS, 500, NULL, 0);
    corr_matcher_finish(m);
    const struct corr_dir *d = corr_matcher_dir(m, 0);
    assert_non_null(d);
    assert_int_equal(d->fragmented[0], 4);
    assert_int_equal(d->fragmented_incomplete, 0);
    assert_int_equal(d->largest_fragmented, 1368); /* a whole datagram, not a fragment */
    assert_int_equal(d->only[0], 0);
    struct corr_verdict v;
    corr_dir_verdict(d, &v);
    assert_int_equal(v.smallest_lost, 0);
    corr_matcher_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_wireguard),
        cmocka_unit_test(test_key_tcp_and_ipv4),
        cmocka_unit_test(test_key_fragment),
        cmocka_unit_test(test_key_vxlan_two_depths),
        cmocka_unit_test(test_matcher_cross_depth),
        cmocka_unit_test(test_matcher_time_goes_back),
        cmocka_unit_test(test_matcher_repeated_key),
        cmocka_unit_test(test_matcher_loss_and_reorder),
        cmocka_unit_test(test_matcher_upstream_both_ways),
        cmocka_unit_test(test_matcher_window_and_coverage),
        cmocka_unit_test(test_matcher_clock_offset),
        cmocka_unit_test(test_matcher_cap),
        cmocka_unit_test(test_matcher_grows),
        cmocka_unit_test(test_run_clocks_hours_apart_found_from_start_times),
        cmocka_unit_test(test_run_large_packets_lost_between_vantage_points),
        cmocka_unit_test(test_run_stdin_not_read_again),
        cmocka_unit_test(test_matcher_packet_cut_on_the_way_crossed_as_fragments),
        cmocka_unit_test(test_verdict_lost_ipv4_fragments_are_no_size_that_failed),
        cmocka_unit_test(test_matcher_wireguard_cut_on_the_way_crossed_as_fragments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
