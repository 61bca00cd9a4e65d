/* test_storms.c - the storm window (storms.c) packet by packet: a storm
 * runs from its first to its last retransmission and counts every packet
 * between them, the packets of a storm still open counted even when they
 * are not retransmissions; a window slides by 100 ms buckets, so packets
 * of a bucket that left it no longer dilute the rate.  Both hold for the
 * packets that storm_add() counts on its fast path (no retransmission, the
 * newest bucket) as for the others. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "storms.h"

#define MS 1000000ll

struct sink {
    int n;
    struct flow_storm st[4];
};

static void on_emit(void *ctx, const struct flow_storm *st)
{
    struct sink *k = ctx;
    if (k->n < 4)
        k->st[k->n] = *st;
    k->n++;
}

struct pkt {
    int64_t ms;
    bool retx;
    int times; /* the packet repeated, one frame each */
};

/* The packets into one window, frames numbered from 1; the storms it emits
 * (the open one emitted at the end). */
static void run(const struct pkt *p, int np, struct sink *k, int *opened)
{
    struct storm_pool sp;
    memset(&sp, 0, sizeof sp);
    sp.emit = on_emit;
    sp.ctx = k;
    struct storm_win w;
    memset(&w, 0, sizeof w);
    memset(k, 0, sizeof *k);
    *opened = 0;
    uint64_t frame = 0;
    for (int i = 0; i < np; i++)
        for (int j = 0; j < p[i].times; j++)
            *opened += storm_add(&sp, &w, p[i].ms * MS, ++frame, p[i].retx, 7);
    storm_emit(&sp, &w);
    storm_release(&sp, &w);
    storm_pool_free(&sp);
}

/* Ten retransmissions open a storm (10 of 10 packets); five packets that
 * are not retransmissions follow it in the same bucket, then one more
 * retransmission extends it: 16 packets, 11 retransmissions, frames 1..16.
 * The five are the storm's (they came between its retransmissions). */
static void test_storm_counts_packets_between_its_retransmissions(void **state)
{
    (void)state;
    static const struct pkt p[] = {{1, true, 10}, {11, false, 5}, {16, true, 1}, {17, false, 3}};
    struct sink k;
    int opened;
    run(p, sizeof p / sizeof p[0], &k, &opened);
    assert_int_equal(opened, 1);
    assert_int_equal(k.n, 1);
    assert_int_equal(k.st[0].flow, 7);
    assert_int_equal(k.st[0].retransmissions, 11);
    assert_int_equal(k.st[0].packets, 16); /* not the 3 after the last retransmission */
    assert_int_equal(k.st[0].start_frame, 1);
    assert_int_equal(k.st[0].end_frame, 16);
    assert_int_equal(k.st[0].start_ns, 1 * MS);
    assert_int_equal(k.st[0].end_ns, 16 * MS);
}

/* A storm opened by ten retransmissions of ten packets stays open while 60
 * packets that are not retransmissions dilute it below the rule (10 of 70),
 * and the fifth retransmission after them brings it back (15 of 75): the
 * 60 are the storm's too.  Five more extend it: 80 packets, 20
 * retransmissions. */
static void test_storm_counts_packets_while_diluted(void **state)
{
    (void)state;
    static const struct pkt p[] = {{1, true, 10}, {2, false, 60}, {3, true, 10}};
    struct sink k;
    int opened;
    run(p, sizeof p / sizeof p[0], &k, &opened);
    assert_int_equal(opened, 1);
    assert_int_equal(k.n, 1);
    assert_int_equal(k.st[0].retransmissions, 20);
    assert_int_equal(k.st[0].packets, 80);
    assert_int_equal(k.st[0].start_frame, 1);
    assert_int_equal(k.st[0].end_frame, 80);
}

/* One retransmission among 101 packets in the first bucket, nine more
 * retransmissions at 950 ms: 10 of 110, below 20%.  At 1050 ms the first
 * bucket has left the window: a tenth retransmission there makes 10 of 10
 * and opens a storm of the last two buckets' packets (the 100 counted on
 * the fast path no longer count). */
static void test_storm_after_the_window_slides(void **state)
{
    (void)state;
    static const struct pkt p[] = {{0, true, 1}, {5, false, 100}, {950, true, 9}, {1050, true, 1}};
    struct sink k;
    int opened;
    run(p, sizeof p / sizeof p[0], &k, &opened);
    assert_int_equal(opened, 1);
    assert_int_equal(k.n, 1);
    assert_int_equal(k.st[0].retransmissions, 10);
    assert_int_equal(k.st[0].packets, 10);
    assert_int_equal(k.st[0].start_frame, 102);
    assert_int_equal(k.st[0].start_ns, 950 * MS);
    assert_int_equal(k.st[0].end_frame, 111);
}

/* The same traffic without the slide: an eleventh retransmission at 990 ms
 * is 11 of 111 packets, no storm.  With the 100 packets uncounted it would
 * be 11 of 11. */
static void test_no_storm_when_diluted(void **state)
{
    (void)state;
    static const struct pkt p[] = {{0, true, 1}, {5, false, 100}, {950, true, 9}, {990, true, 1}};
    struct sink k;
    int opened;
    run(p, sizeof p / sizeof p[0], &k, &opened);
    assert_int_equal(opened, 0);
    assert_int_equal(k.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_storm_counts_packets_between_its_retransmissions),
        cmocka_unit_test(test_storm_counts_packets_while_diluted),
        cmocka_unit_test(test_storm_after_the_window_slides),
        cmocka_unit_test(test_no_storm_when_diluted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
