/* test_resend.c - runs of large datagrams re-sent at doubling intervals
 * (resend.c): the doubling, bursts, constant intervals, a larger size taking
 * over, out-of-order timestamps, and what crossed meanwhile. */
#include <string.h>

#include "testutil.h"

#include "infer.h"
#include "resend.h"

#define MS 1000000ll

static struct resend_track T;

static void reset(void)
{
    memset(&T, 0, sizeof T);
}

/* A burst of 1480-byte datagrams, then the inner TCP's RTO backoff: the
 * last of the burst and four re-sends at 200, 400, 800, 1600 ms. */
static void test_doubling_run(void **state)
{
    (void)state;
    reset();
    for (int i = 0; i < 5; i++)
        resend_packet(&T, 1480, i * 1000, (uint64_t)(10 + i)); /* 1 us apart */
    int64_t t = 4000, gap = 200 * MS;
    for (int i = 0; i < 4; i++) {
        t += gap;
        resend_packet(&T, 1480, t, (uint64_t)(20 + i));
        gap *= 2;
    }
    const struct resend_run *r = resend_best(&T);
    assert_int_equal(r->size, 1480);
    assert_int_equal(r->copies, 5);
    assert_int_equal(r->nintervals, 4);
    assert_int_equal(r->interval_us[0], 200000);
    assert_int_equal(r->interval_us[3], 1600000);
    assert_int_equal(r->nframes, 4);
    assert_int_equal(r->frames[0], 14); /* the last of the burst */
    assert_int_equal(r->frames[1], 20);
    assert_int_equal(r->frames[3], 22);
    assert_int_equal(r->first_ns, 4000);
    assert_int_equal(r->last_ns, 4000 + 3000 * MS);
}

/* Smaller datagrams of the sender and the peer's packets during the run
 * are counted: the tunnel carried them while the big one did not cross. */
static void test_counts_during_run(void **state)
{
    (void)state;
    reset();
    resend_packet(&T, 1480, 0, 1);
    resend_packet(&T, 124, 10 * MS, 2); /* before the first re-send: in the run */
    resend_peer_packet(&T, 20 * MS);
    resend_packet(&T, 1480, 250 * MS, 3); /* +250 */
    resend_packet(&T, 300, 300 * MS, 4);
    resend_peer_packet(&T, 310 * MS);
    resend_peer_packet(&T, 320 * MS);
    resend_packet(&T, 1480, 750 * MS, 5);  /* +500 */
    resend_packet(&T, 1480, 1750 * MS, 6); /* +1000 */
    const struct resend_run *r = resend_best(&T);
    assert_int_equal(r->copies, 4);
    assert_int_equal(r->smaller, 2);
    assert_int_equal(r->peer, 3);
    resend_packet(&T, 200, 1800 * MS, 7); /* after the run's last copy: not in it */
    assert_int_equal(resend_best(&T)->smaller, 2);
}

/* A constant interval (a periodic sender, a keepalive) is no backoff: every
 * copy restarts the run, which never passes 2 copies. */
static void test_constant_interval(void **state)
{
    (void)state;
    reset();
    for (int i = 0; i < 10; i++)
        resend_packet(&T, 1400, i * 1000 * MS, (uint64_t)i + 1);
    const struct resend_run *r = resend_best(&T);
    /* at 0, 1 and 3 s, skipping the copy at 2 s as another segment; then two
     * copies in one interval end it: a steady stream gives no run worth a
     * finding */
    assert_true(r->copies < RESEND_MIN_COPIES);
    assert_int_equal(r->frames[0], 1);
    assert_int_equal(r->frames[1], 2);
}

/* A ratio outside [1.5, 2.6] restarts the run from the previous copy. */
static void test_ratio_bounds(void **state)
{
    (void)state;
    reset();
    resend_packet(&T, 1400, 0, 1);
    resend_packet(&T, 1400, 200 * MS, 2);  /* 200 */
    resend_packet(&T, 1400, 500 * MS, 3);  /* 300: ratio 1.5, kept */
    resend_packet(&T, 1400, 1280 * MS, 4); /* 780: 2.6, kept */
    assert_int_equal(resend_best(&T)->copies, 4);
    resend_packet(&T, 1400, 3300 * MS, 5); /* 2020: 2.59, kept */
    assert_int_equal(resend_best(&T)->copies, 5);
    resend_packet(&T, 1400, 9000 * MS, 6); /* 5700: 2.82, a new run from frame 5 */
    const struct resend_run *r = resend_best(&T);
    assert_int_equal(r->copies, 5); /* the earlier run stays the best */
    assert_int_equal(T.cur.copies, 2);
    assert_int_equal(T.cur.frames[0], 5);
    assert_int_equal(T.cur.frames[1], 6);
}

/* A back-to-back copy (< 150 ms) is another segment of a burst: the run
 * restarts there. */
static void test_burst_restarts(void **state)
{
    (void)state;
    reset();
    resend_packet(&T, 1400, 0, 1);
    resend_packet(&T, 1400, 200 * MS, 2);
    resend_packet(&T, 1400, 600 * MS, 3);
    resend_packet(&T, 1400, 610 * MS, 4); /* 10 ms: a burst */
    assert_int_equal(T.cur.copies, 1);
    assert_int_equal(T.cur.frames[0], 4);
    assert_int_equal(resend_best(&T)->copies, 3);
}

/* A larger datagram takes over; the smaller size's run stays the best
 * until the larger one's run is longer. */
static void test_larger_size_takes_over(void **state)
{
    (void)state;
    reset();
    resend_packet(&T, 1000, 0, 1);
    resend_packet(&T, 1000, 200 * MS, 2);
    resend_packet(&T, 1000, 600 * MS, 3);
    resend_packet(&T, 1480, 700 * MS, 4);
    resend_packet(&T, 1000, 1400 * MS, 5); /* smaller now: counted only */
    assert_int_equal(T.cur.size, 1480);
    assert_int_equal(resend_best(&T)->size, 1000);
    assert_int_equal(resend_best(&T)->copies, 3);
    resend_packet(&T, 1480, 900 * MS, 6);
    resend_packet(&T, 1480, 1300 * MS, 7);
    assert_int_equal(resend_best(&T)->size, 1480); /* a tie: the larger size */
    assert_int_equal(resend_best(&T)->smaller, 1);
    resend_packet(&T, 1480, 2100 * MS, 8);
    assert_int_equal(resend_best(&T)->copies, 4);
}

/* A timestamp older than the last copy gives no interval: ignored. */
static void test_out_of_order(void **state)
{
    (void)state;
    reset();
    resend_packet(&T, 1400, 1000 * MS, 1);
    resend_packet(&T, 1400, 500 * MS, 2);
    resend_packet(&T, 1400, 1200 * MS, 3);
    assert_int_equal(resend_best(&T)->copies, 2);
    assert_int_equal(resend_best(&T)->frames[0], 1);
    assert_int_equal(resend_best(&T)->frames[1], 3);
}

/* Nothing re-sent: no run. */
static void test_empty(void **state)
{
    (void)state;
    reset();
    assert_int_equal(resend_best(&T)->copies, 0);
    resend_packet(&T, 1400, 0, 1);
    assert_int_equal(resend_best(&T)->copies, 0); /* one copy is not a run */
}

/* One bulk transfer and nothing else: the peer acknowledged 30 ms before
 * the original left (less than the first interval, an RTO, which is never
 * shorter than the round trip), then fell silent for the whole run. */
static void test_peer_heard_just_before_run(void **state)
{
    (void)state;
    reset();
    resend_packet(&T, 1480, 0, 1);
    resend_peer_packet(&T, 40 * MS); /* the ACK of frame 1 */
    int64_t t = 70 * MS, gap = 300 * MS;
    for (int i = 0; i < 5; i++, t += gap, gap *= 2) /* the original, then four re-sends */
        resend_packet(&T, 1480, t, (uint64_t)(2 + i));
    const struct resend_run *r = resend_best(&T);
    assert_int_equal(r->copies, 5);
    assert_int_equal(r->peer, 0);
    assert_int_equal(r->smaller, 0);
    assert_int_equal(r->peer_before_ns, 30 * MS);
    assert_false(r->recovered);
}

/* The peer never heard before the run: nothing says the path was up. */
static void test_peer_never_heard(void **state)
{
    (void)state;
    reset();
    int64_t t = 0, gap = 1000 * MS;
    for (int i = 0; i < 5; i++, t += gap, gap *= 2)
        resend_packet(&T, 1480, t, (uint64_t)(1 + i));
    assert_int_equal(resend_best(&T)->peer_before_ns, -1);
}

/* Peer packets known before the tracker existed (allocated at the first
 * large datagram) count as heard at their latest time. */
static void test_peer_seen_before_tracker(void **state)
{
    (void)state;
    reset();
    resend_peer_seen(&T, 5 * MS, 3);
    resend_packet(&T, 1400, 50 * MS, 1);
    assert_int_equal(T.cur.peer_before_ns, 45 * MS);
    resend_peer_seen(&T, 0, 0); /* nothing: no change */
    assert_int_equal(T.peer, 3);
}

/* The peer heard at 0, then five copies of a 1480-byte datagram from 10 ms
 * at doubling intervals from 200 ms (frames 1-5): an RTO backoff.  Returns
 * the time of the last copy; *next the time the sixth would have left. */
static int64_t answered_then_run(int64_t *next)
{
    reset();
    resend_peer_packet(&T, 0);
    int64_t t = 10 * MS, gap = 200 * MS;
    for (int i = 0; i < 5; i++, t += gap, gap *= 2)
        resend_packet(&T, 1480, t, (uint64_t)(1 + i));
    if (next)
        *next = t;
    return t - gap / 2;
}

/* An outage: after the run the same size is sent again and the peer answers
 * within the run's first interval: that size crosses, the run was no MTU. */
static void test_same_size_answered_after_run_is_recovery(void **state)
{
    (void)state;
    int64_t last = answered_then_run(NULL);
    assert_false(resend_best(&T)->recovered);
    resend_packet(&T, 1480, last + 5000 * MS, 10); /* breaks the doubling: after the run */
    resend_peer_packet(&T, last + 5000 * MS + 150 * MS);
    assert_true(resend_best(&T)->recovered);
}

/* A peer packet long after the size was sent again (a keepalive on its own
 * clock, later than one RTO) proves nothing crossed. */
static void test_late_peer_packet_is_no_recovery(void **state)
{
    (void)state;
    int64_t last = answered_then_run(NULL);
    resend_packet(&T, 1480, last + 5000 * MS, 10);
    resend_peer_packet(&T, last + 5000 * MS + 900 * MS); /* > 200 ms */
    assert_false(resend_best(&T)->recovered);
    /* smaller datagrams after the run (the sender stepped down) are no
     * recovery of the size either */
    int64_t t;
    answered_then_run(&t);
    resend_packet(&T, 1200, t + 10 * MS, 20);
    resend_peer_packet(&T, t + 50 * MS);
    assert_false(resend_best(&T)->recovered);
}

/* A peer that talks on its own clock (an echo every 100 ms, as the lab's
 * mixed traffic) answers within any interval: its packet after the size
 * went again proves nothing crossed.  The same packet from a peer that had
 * been silent for the run's first interval (the outage above) does. */
static void test_chatty_peer_is_no_recovery(void **state)
{
    (void)state;
    int64_t last = answered_then_run(NULL);
    int64_t again = last + 5000 * MS;
    for (int64_t t = last; t < again; t += 100 * MS)
        resend_peer_packet(&T, t); /* talking all along */
    resend_packet(&T, 1480, again, 10);
    resend_peer_packet(&T, again + 50 * MS);
    assert_false(resend_best(&T)->recovered);
}

/* What a run says (inf_tunnel.c): heard from the peer during the run, the
 * path was up while the copies failed, the size does not cross, whatever
 * the peer sent later on its own clock; a run in silence is an outage when
 * the size was answered later, a size when the peer had answered just
 * before it or smaller ones went meanwhile. */
static void test_run_with_peer_heard_is_a_size_whatever_came_after(void **state)
{
    (void)state;
    struct flow_summary f;
    memset(&f, 0, sizeof f);
    f.ip_version = 4;
    static const struct {
        uint32_t peer, smaller;
        bool recovered;
        int64_t peer_before_ms;
        bool size;
    } cases[] = {
        {32, 17, true, 3, true},   /* chatty peer (lab m004): a size */
        {32, 0, false, -1, true},  /* peer heard during the run */
        {0, 5, true, -1, false},   /* silence, answered later: an outage */
        {0, 5, false, -1, true},   /* silence, smaller ones sent meanwhile */
        {0, 0, false, 100, true},  /* the peer answered 100 ms before the first copy */
        {0, 0, false, 900, false}, /* heard long before: the path may have gone */
        {0, 0, false, -1, false},  /* never heard: a dead peer */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct resend_run r;
        memset(&r, 0, sizeof r);
        r.size = 1480;
        r.copies = 5;
        r.nintervals = 4;
        r.interval_us[0] = 200000;
        r.peer = cases[i].peer;
        r.smaller = cases[i].smaller;
        r.recovered = cases[i].recovered;
        r.peer_before_ns = cases[i].peer_before_ms < 0 ? -1 : cases[i].peer_before_ms * MS;
        if (inf_resend_says_size(&f, &r) != cases[i].size)
            fail_msg("case %zu: says size %d", i, !cases[i].size);
    }
}

/* A timeout that doubles cannot fire before RESEND_RATIO_MIN times the
 * last interval: copies of the same size earlier than that are other
 * segments (a second flow inside the tunnel), and the run of re-sends goes
 * on through them.  The lab's mixed traffic: re-sends at +208, +440, +832,
 * +1664, +3425 ms, with bursts of another flow's full-size datagrams at
 * 1.008 and 2.010 s between them. */
static void test_run_goes_on_through_other_full_size_datagrams(void **state)
{
    (void)state;
    reset();
    static const struct {
        int64_t ms;
        bool run; /* a copy of the run */
    } seq[] = {{12, true},   {220, true},   {660, true},   {1008, false}, {1009, false},
               {1492, true}, {2010, false}, {2011, false}, {3156, true},  {6580, true}};
    int copies = 0;
    for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++) {
        resend_packet(&T, 1480, seq[i].ms * MS, (uint64_t)(100 + i));
        copies += seq[i].run;
    }
    const struct resend_run *r = resend_best(&T);
    assert_int_equal(r->size, 1480);
    assert_int_equal(r->copies, copies);
    assert_int_equal(r->first_ns, 12 * MS);
    assert_int_equal(r->last_ns, 6580 * MS);
    assert_int_equal(r->interval_us[2], 832000);
    assert_int_equal(r->smaller, 0); /* the other flow's copies are not smaller ones crossing */
}

/* A sender of one full-size datagram at a steady rate (a stream, a
 * keepalive) is no timeout backing off, whatever copies are skipped as
 * "another segment": at every period from the minimum gap up, and with a
 * second datagram right behind each one, no run reaches RESEND_MIN_COPIES. */
static void test_steady_stream_is_never_a_run(void **state)
{
    (void)state;
    static const int64_t periods_ms[] = {150, 151, 200, 250, 333, 500, 1000, 2000};
    for (size_t p = 0; p < sizeof periods_ms / sizeof periods_ms[0]; p++)
        for (int pair = 0; pair < 2; pair++) {
            reset();
            uint64_t frame = 1;
            for (int64_t t = 0; t < 120000; t += periods_ms[p]) {
                resend_packet(&T, 1480, t * MS, frame++);
                if (pair)
                    resend_packet(&T, 1480, t * MS + 100000, frame++); /* 0.1 ms behind */
            }
            if (resend_best(&T)->copies >= RESEND_MIN_COPIES)
                fail_msg("period %lld ms%s: a run of %u copies", (long long)periods_ms[p],
                         pair ? " (pairs)" : "", resend_best(&T)->copies);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doubling_run),
        cmocka_unit_test(test_counts_during_run),
        cmocka_unit_test(test_constant_interval),
        cmocka_unit_test(test_ratio_bounds),
        cmocka_unit_test(test_burst_restarts),
        cmocka_unit_test(test_larger_size_takes_over),
        cmocka_unit_test(test_out_of_order),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_peer_heard_just_before_run),
        cmocka_unit_test(test_peer_never_heard),
        cmocka_unit_test(test_peer_seen_before_tracker),
        cmocka_unit_test(test_same_size_answered_after_run_is_recovery),
        cmocka_unit_test(test_late_peer_packet_is_no_recovery),
        cmocka_unit_test(test_chatty_peer_is_no_recovery),
        cmocka_unit_test(test_run_with_peer_heard_is_a_size_whatever_came_after),
        cmocka_unit_test(test_run_goes_on_through_other_full_size_datagrams),
        cmocka_unit_test(test_steady_stream_is_never_a_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
