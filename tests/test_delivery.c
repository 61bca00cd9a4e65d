/* test_delivery.c - delivery accounting by IP packet size (delivery.c). */
#include <stdlib.h>

#include "testutil.h"

#include "delivery.h"

static struct delivery D;

static const struct dl_size *sz(const struct delivery *d, uint16_t size)
{
    for (int i = 0; i < d->nexact; i++)
        if (d->exact[i].size == size)
            return &d->exact[i];
    fail_msg("size %u not in the exact table", size);
    return NULL;
}

static void ack(struct delivery *d, uint32_t a)
{
    delivery_ack(d, a, NULL, 0);
}

static void test_simple_acked(void **state)
{
    (void)state;
    delivery_init(&D);
    for (uint32_t i = 0; i < 3; i++)
        assert_true(delivery_send(&D, 1000 + i * 460, 460, 500, false, i + 1, i) == INT64_MIN);
    assert_int_equal(D.nsegs, 1); /* one run of three equal segments */
    ack(&D, 1000 + 2 * 460);
    assert_int_equal(D.st.delivered, 2);
    ack(&D, 1000 + 3 * 460);
    delivery_finish(&D, true);
    assert_int_equal(D.st.sent, 3);
    assert_int_equal(D.st.delivered, 3);
    assert_int_equal(D.st.lost + D.st.unacked + D.st.superseded + D.st.evicted, 0);
    assert_int_equal(D.st.largest_delivered, 500);
    assert_int_equal(D.st.smallest_lost, 0);
    assert_int_equal(sz(&D, 500)->sent, 3);
    assert_int_equal(sz(&D, 500)->delivered, 3);
}

/* Without SACK (RFC 2018) the cumulative ACK cannot pass the first hole:
 * a segment behind it is never covered, arrived or not, and its re-send (a
 * tail loss probe, RFC 8985; a go-back-N sender) shows no size that failed.
 * Only the segment at the hole does.  With SACK, one behind it that arrived
 * would have been reported, so it is judged.  (suricata-verify
 * ssh-hassh-incomplete's shape: a 1492-byte segment at the hole re-sent
 * with backoff, a 580-byte one behind it probed once.) */
static void test_behind_the_hole_judged_only_with_sack(void **state)
{
    (void)state;
    for (int sack = 0; sack < 2; sack++) {
        delivery_init(&D);
        uint32_t seq = 1;
        delivery_send(&D, seq, 41, 93, false, 1, 0);
        ack(&D, seq + 41);
        seq += 41;
        delivery_send(&D, seq, 1440, 1492, false, 2, 10);      /* at the hole */
        delivery_send(&D, seq + 1440, 528, 580, false, 3, 11); /* behind it */
        delivery_send(&D, seq + 1440, 528, 580, true, 4, 400); /* probed once */
        for (int k = 0; k < 4; k++)                            /* backing off */
            delivery_send(&D, seq, 1440, 1492, true, 5 + (uint64_t)k, 1000 << k);
        delivery_finish(&D, sack != 0);
        assert_int_equal(D.st.smallest_lost, sack ? 580 : 1492);
        assert_int_equal(sz(&D, 1492)->lost, 5);
        assert_int_equal(sz(&D, 580)->lost, sack ? 2 : 0);
        assert_int_equal(D.st.unacked, sack ? 0 : 2);
        if (!sack)
            delivery_release(&D);
    }
}

/* Small segments ACKed, one full-size segment sent four times, never ACKed. */
static void test_blackhole(void **state)
{
    (void)state;
    delivery_init(&D);
    uint32_t seq = 1;
    for (int i = 0; i < 4; i++, seq += 536)
        delivery_send(&D, seq, 536, 576, false, (uint64_t)i + 1, i);
    ack(&D, seq);
    assert_true(delivery_send(&D, seq, 1448, 1500, false, 10, 100) == INT64_MIN);
    assert_true(delivery_send(&D, seq, 1448, 1500, true, 11, 200) == 100);
    assert_true(delivery_send(&D, seq, 1448, 1500, true, 12, 400) == 200);
    assert_true(delivery_send(&D, seq, 1448, 1500, true, 13, 800) == 400);
    ack(&D, seq); /* duplicate ACKs change nothing */
    delivery_finish(&D, true);
    assert_int_equal(D.st.sent, 8);
    assert_int_equal(D.st.delivered, 4);
    assert_int_equal(D.st.lost, 4);
    assert_int_equal(D.st.unacked, 0);
    assert_int_equal(D.st.largest_delivered, 576);
    assert_int_equal(D.st.smallest_lost, 1500);
    assert_int_equal(sz(&D, 576)->delivered, 4);
    assert_int_equal(sz(&D, 1500)->sent, 4);
    assert_int_equal(sz(&D, 1500)->lost, 4);
    assert_int_equal(sz(&D, 1500)->delivered, 0);
    assert_int_equal(D.st.nframes, 2);
    assert_int_equal(D.st.lost_frames[0], 10);
    assert_int_equal(D.st.lost_frames[1], 13);
}

/* A segment sent once and not ACKed when the capture ends is not "lost". */
static void test_unacked_is_not_lost(void **state)
{
    (void)state;
    delivery_init(&D);
    delivery_send(&D, 1, 100, 140, false, 1, 0);
    delivery_finish(&D, true);
    assert_int_equal(D.st.unacked, 1);
    assert_int_equal(D.st.lost, 0);
    assert_int_equal(D.st.smallest_lost, 0);
}

static void test_sack_marks_delivery(void **state)
{
    (void)state;
    delivery_init(&D);
    /* four 100-byte segments in different sizes so none coalesce */
    delivery_send(&D, 1, 100, 140, false, 1, 0);
    delivery_send(&D, 101, 100, 141, false, 2, 0);
    delivery_send(&D, 201, 100, 142, false, 3, 0);
    delivery_send(&D, 301, 100, 143, false, 4, 0);
    const uint32_t blocks[2][2] = {{201, 401}, {50, 60}}; /* the second is a D-SACK */
    delivery_ack(&D, 101, blocks, 2);
    assert_int_equal(D.st.delivered, 3);
    assert_int_equal(sz(&D, 141)->delivered, 0);
    assert_int_equal(sz(&D, 142)->delivered, 1);
    assert_int_equal(D.st.largest_delivered, 143);
    delivery_finish(&D, true);
    assert_int_equal(D.st.unacked, 1);
}

/* SACK of a hole in the middle of a run splits it. */
static void test_sack_splits_run(void **state)
{
    (void)state;
    delivery_init(&D);
    for (uint32_t i = 0; i < 10; i++)
        delivery_send(&D, 1 + i * 1000, 1000, 1052, false, i + 1, i);
    assert_int_equal(D.nsegs, 1);
    ack(&D, 5001);
    assert_int_equal(D.st.delivered, 5);
    assert_int_equal(D.nsegs, 1);
    const uint32_t blk[1][2] = {{7001, 8001}};
    delivery_ack(&D, 5001, blk, 1);
    assert_int_equal(D.st.delivered, 6);
    assert_int_equal(D.nsegs, 2);
    /* a block that covers only part of a segment delivers nothing */
    const uint32_t half[1][2] = {{8001, 8500}};
    delivery_ack(&D, 5001, half, 1);
    assert_int_equal(D.st.delivered, 6);
    delivery_finish(&D, true);
    assert_int_equal(D.st.unacked, 4);
}

/* A 1500 segment re-sent as 1300 + 240 after PMTUD: the credit goes to the
 * latest transmissions, the original is superseded, nothing is lost. */
static void test_resegmented_retransmission(void **state)
{
    (void)state;
    delivery_init(&D);
    delivery_send(&D, 0, 1448, 1500, false, 1, 0);
    delivery_send(&D, 0, 1248, 1300, true, 2, 10);
    delivery_send(&D, 1248, 200, 240, true, 3, 11);
    ack(&D, 1248);
    assert_int_equal(D.st.delivered, 1);
    ack(&D, 1448);
    delivery_finish(&D, true);
    assert_int_equal(D.st.delivered, 2);
    assert_int_equal(D.st.superseded, 1);
    assert_int_equal(D.st.lost, 0);
    assert_int_equal(D.st.largest_delivered, 1300);
    assert_int_equal(sz(&D, 1500)->delivered, 0);
    assert_int_equal(sz(&D, 1300)->delivered, 1);
    assert_int_equal(sz(&D, 240)->delivered, 1);
}

/* Same segment three times then ACKed: one delivered, two superseded; a
 * copy sent after the ACK is superseded too. */
static void test_merge_and_spurious(void **state)
{
    (void)state;
    delivery_init(&D);
    for (int i = 0; i < 3; i++)
        delivery_send(&D, 500, 100, 140, i > 0, (uint64_t)i + 1, i);
    assert_int_equal(D.nsegs, 1);
    ack(&D, 600);
    assert_int_equal(D.st.delivered, 1);
    assert_int_equal(D.st.superseded, 2);
    delivery_send(&D, 500, 100, 140, true, 4, 5);
    assert_int_equal(D.st.superseded, 3);
    assert_int_equal(sz(&D, 140)->sent, 4);
    delivery_finish(&D, true);
    assert_int_equal(D.st.lost + D.st.unacked, 0);
}

static void test_wraparound(void **state)
{
    (void)state;
    delivery_init(&D);
    uint32_t seq = 0xffffff00u;
    delivery_send(&D, seq, 200, 240, false, 1, 0);       /* crosses 2^32 */
    delivery_send(&D, seq + 200, 200, 240, false, 2, 1); /* coalesces after the wrap */
    assert_int_equal(D.nsegs, 1);
    ack(&D, seq + 200);
    assert_int_equal(D.st.delivered, 1);
    ack(&D, seq + 400);
    assert_int_equal(D.st.delivered, 2);
    assert_int_equal(D.nsegs, 0);
}

static void test_eviction_and_size_classes(void **state)
{
    (void)state;
    delivery_init(&D);
    /* 30 entries that cannot coalesce (gaps between them), 30 distinct sizes */
    for (uint32_t i = 0; i < 30; i++)
        delivery_send(&D, i * 10000, 100, (uint16_t)(200 + i), false, i + 1, i);
    assert_int_equal(D.nsegs, DL_MAX_SEGS);
    assert_int_equal(D.st.evicted, 30 - DL_MAX_SEGS);
    assert_int_equal(D.nexact, DL_MAX_SIZES);
    /* sizes 224..229 went to the 128-255 class */
    assert_int_equal(delivery_class(224), 1);
    assert_int_equal(D.cls[1].sent, 6);
    assert_int_equal(D.cls_bytes[1], 224 + 225 + 226 + 227 + 228 + 229);
    uint16_t lo, hi;
    delivery_class_bounds(12, &lo, &hi);
    assert_int_equal(lo, 1500);
    assert_int_equal(hi, 1500);
    delivery_class_bounds(DL_NCLASSES - 1, &lo, &hi);
    assert_int_equal(lo, 9001);
    assert_int_equal(hi, 65535);
    assert_int_equal(delivery_class(0), 0);
    assert_int_equal(delivery_class(65535), DL_NCLASSES - 1);
    /* the results' layout carries the same counts */
    struct dl_sizes out;
    delivery_sizes(&D, &out);
    assert_int_equal(out.nexact, DL_MAX_SIZES);
    assert_int_equal(out.exact[0].size, 200);
    assert_int_equal(out.cls[1].sent, 6);
    assert_int_equal(out.cls[12].size, 1500);
}

/* A table costs what its direction uses: a request or a loss-free run of
 * equal segments stays in the first slots inside the table (nothing on the
 * heap); more outstanding ranges or sizes move to the full heap tables
 * without losing an entry, and the pool's count of held bytes goes back
 * down when the table is returned. */
static void test_grows_from_first_slots(void **state)
{
    (void)state;
    struct dl_pool *p = dl_pool_new();
    assert_non_null(p);
    struct delivery *d = dl_pool_get(p);
    assert_non_null(d);
    uint64_t table = dl_pool_bytes(p);
    for (uint32_t i = 0; i < 100; i++) /* one run: one entry */
        delivery_send(d, 1 + i * 1448, 1448, 1500, false, i + 1, i);
    assert_int_equal(d->nsegs, 1);
    assert_ptr_equal(d->segs, d->segs_first);
    assert_int_equal(dl_pool_bytes(p), table);
    /* gaps: each send its own entry, in DL_MAX_SIZES + 2 sizes */
    for (uint32_t i = 0; i < DL_FIRST_SEGS + 3; i++)
        delivery_send(d, 1000000 + i * 10000, 100, (uint16_t)(140 + i), false, 200 + i, 200);
    assert_int_equal(d->nsegs, 1 + DL_FIRST_SEGS + 3);
    assert_int_equal(d->st.evicted, 0);
    assert_true(d->segs != d->segs_first);
    assert_int_equal(d->nexact, 1 + DL_FIRST_SEGS + 3);
    assert_true(dl_pool_bytes(p) > table);
    delivery_ack(d, 1 + 100 * 1448, NULL, 0);
    assert_int_equal(d->st.delivered, 100);
    delivery_ack(d, 1000000 + (DL_FIRST_SEGS + 3) * 10000, NULL, 0);
    assert_int_equal(d->st.delivered, 100 + DL_FIRST_SEGS + 3);
    dl_pool_put(p, d);
    assert_int_equal(dl_pool_bytes(p), table);
    dl_pool_free(p);
}

/* A segment partly below the cumulative ACK keeps only its new part. */
static void test_partly_acked_send(void **state)
{
    (void)state;
    delivery_init(&D);
    delivery_send(&D, 1, 100, 140, false, 1, 0);
    ack(&D, 51);
    assert_int_equal(D.st.delivered, 0); /* half a segment is not a delivery */
    ack(&D, 101);
    assert_int_equal(D.st.delivered, 1);
    delivery_send(&D, 51, 100, 140, true, 2, 1); /* bytes 51..150: new part 101..150 */
    ack(&D, 151);
    assert_int_equal(D.st.delivered, 2);
}

/* A script of n sends of 1000 bytes in `nsizes` sizes, the peer SACKing all
 * but every hole-th (outstanding, they pile up), then the first one and the
 * last but one re-sent, and the first half ACKed.  park: the table is
 * parked and unparked after every step. */
static struct delivery *play(struct dl_pool *pool, int n, int nsizes, int hole, bool park)
{
    struct delivery *d = dl_pool_get(pool);
    assert_non_null(d);
    for (int i = 0; i <= n; i++) {
        if (i < n) {
            uint32_t seq = 1 + 1000u * (uint32_t)i;
            delivery_send(d, seq, 1000, (uint16_t)(100 + 40 * (i % nsizes)), false, (uint64_t)i + 1,
                          i * 1000);
            const uint32_t sack[1][2] = {{seq, seq + 1000}};
            delivery_ack(d, 1, sack, i % hole ? 1 : 0);
        } else {
            delivery_send(d, 1, 1000, 100, true, (uint64_t)n + 1, n * 1000);
            uint32_t last = 1 + 1000u * (uint32_t)(n - 2); /* a hole when hole is 2: lost */
            delivery_send(d, last, 1000, (uint16_t)(100 + 40 * ((n - 2) % nsizes)), true,
                          (uint64_t)n + 2, n * 1000 + 1);
            ack(d, 1 + 1000u * (uint32_t)(n / 2));
        }
        if (park) {
            struct dl_parked *p = delivery_park(d);
            assert_non_null(p);
            dl_pool_put(pool, d);
            d = dl_pool_get(pool);
            assert_non_null(d);
            assert_true(delivery_unpark(d, p));
            free(p);
        }
    }
    delivery_finish(d, true);
    return d;
}

/* A table parked (flow.h: its flow set aside by the live-flow cap) and
 * unparked comes back the same table, so the flow's report is the one it
 * would have had without the cap: in its first slots, with its entries and
 * its exact sizes on the heap, with size classes, and with entries evicted
 * from the full table. */
static void test_park_unpark_gives_the_same_table(void **state)
{
    (void)state;
    static const struct {
        int n, nsizes, hole;
    } cases[] = {
        {6, 2, 3},   /* the first slots only */
        {20, 3, 2},  /* ten outstanding: the entries on the heap */
        {12, 8, 4},  /* eight sizes: the exact sizes on the heap */
        {80, 40, 2}, /* size classes, and 40 outstanding: the full table evicts */
    };
    struct dl_pool *pool = dl_pool_new();
    assert_non_null(pool);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct delivery *a = play(pool, cases[k].n, cases[k].nsizes, cases[k].hole, false);
        struct delivery *b = play(pool, cases[k].n, cases[k].nsizes, cases[k].hole, true);
        assert_int_equal(a->st.sent, b->st.sent);
        assert_int_equal(a->st.delivered, b->st.delivered);
        assert_int_equal(a->st.superseded, b->st.superseded);
        assert_int_equal(a->st.lost, b->st.lost);
        assert_int_equal(a->st.unacked, b->st.unacked);
        assert_int_equal(a->st.evicted, b->st.evicted);
        assert_int_equal(a->st.largest_delivered, b->st.largest_delivered);
        assert_int_equal(a->st.smallest_lost, b->st.smallest_lost);
        assert_int_equal(a->st.nframes, b->st.nframes);
        assert_memory_equal(a->st.lost_frames, b->st.lost_frames, sizeof a->st.lost_frames);
        assert_int_equal(a->capsegs, b->capsegs);
        assert_int_equal(a->capexact, b->capexact);
        struct dl_sizes sa, sb;
        delivery_sizes(a, &sa);
        delivery_sizes(b, &sb);
        assert_memory_equal(&sa, &sb, sizeof sa);
        if (k == 3) /* the case means what it says */
            assert_true(a->st.evicted > 0 && a->cls != NULL && a->st.lost > 0);
        dl_pool_put(pool, a);
        dl_pool_put(pool, b);
    }
    dl_pool_free(pool);
}

/* A parked table costs what it holds: 112 bytes, 48 an outstanding entry,
 * 16 an exact size (delivery.h quotes these). */
static void test_parked_size(void **state)
{
    (void)state;
    delivery_init(&D);
    delivery_send(&D, 1, 1000, 1040, false, 1, 0);
    delivery_send(&D, 2001, 500, 540, false, 2, 1); /* a hole before it: two entries */
    struct dl_parked *p = delivery_park(&D);
    assert_non_null(p);
    /* the state as the live table holds it (struct dl_state, 112) and the
     * counts of what follows it (8 with the padding) */
    assert_int_equal(delivery_parked_bytes(p), 120 + 2 * 48 + 2 * 16);
    uint64_t frame = 0;
    assert_int_equal(delivery_parked_outstanding(p, 2001, &frame), 540);
    assert_int_equal(frame, 2);
    free(p);
}

/* The heap parts of D, after each test (LeakSanitizer checks). */
static int release(void **state)
{
    (void)state;
    delivery_release(&D);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_simple_acked, release),
        cmocka_unit_test_teardown(test_blackhole, release),
        cmocka_unit_test_teardown(test_behind_the_hole_judged_only_with_sack, release),
        cmocka_unit_test_teardown(test_unacked_is_not_lost, release),
        cmocka_unit_test_teardown(test_sack_marks_delivery, release),
        cmocka_unit_test_teardown(test_sack_splits_run, release),
        cmocka_unit_test_teardown(test_resegmented_retransmission, release),
        cmocka_unit_test_teardown(test_merge_and_spurious, release),
        cmocka_unit_test_teardown(test_wraparound, release),
        cmocka_unit_test_teardown(test_eviction_and_size_classes, release),
        cmocka_unit_test_teardown(test_partly_acked_send, release),
        cmocka_unit_test_teardown(test_grows_from_first_slots, release),
        cmocka_unit_test(test_park_unpark_gives_the_same_table),
        cmocka_unit_test_teardown(test_parked_size, release),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
