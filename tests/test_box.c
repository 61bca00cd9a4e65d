/* test_box.c - the capturing host as two vantage points (box.c): what came
 * in and never went out within a second is lost there; a direction never
 * forwarded is not judged; the capture's last second is not judged. */
#include "testutil.h"

#include "box.h"
#include "dedup.h"

#define S 1000000000ll

/* A router drops everything above 1434 bytes and forwards the rest: the
 * dropped ones are lost at the box, the forwarded ones bound it from below
 * (the packet left, so the way out carried it). */
static void test_dropped_above_a_size_is_loss_at_the_box(void **state)
{
    (void)state;
    struct box b;
    box_init(&b);
    static const uint32_t sizes[] = {60, 1434, 1500, 1200, 1500, 1435};
    uint64_t frame = 1;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        int64_t t = (int64_t)i * S / 10;
        uint64_t in = frame++;
        box_in(&b, in, t, 7, 1, sizes[i]);
        if (sizes[i] <= 1434) {
            frame++;
            box_out(&b, in);
        }
    }
    box_in(&b, frame++, 3 * S, 7, 1, 60); /* 2 s on: the rest are judged */
    box_out(&b, frame - 1);
    box_end(&b, 3 * S);
    assert_int_equal(b.ndirs, 1);
    const struct box_dir *d = &b.dirs[0];
    assert_int_equal(d->forwarded, 4);
    assert_int_equal(d->fwd_max, 1434);
    assert_int_equal(d->lost, 3);
    assert_int_equal(d->lost_min, 1435);
    assert_int_equal(d->nframes, 3);
    assert_int_equal(d->frames[0], 5); /* the first 1500: frames 1-4 were two in and out */
    assert_int_equal(b.unjudged, 0);
    box_free(&b);
}

/* The way out may come after the capture stopped: what came in during its
 * last second is counted unjudged, never lost. */
static void test_the_last_second_is_not_judged(void **state)
{
    (void)state;
    struct box b;
    box_init(&b);
    box_in(&b, 1, 0, 3, 0, 1500);
    box_in(&b, 2, S / 2, 3, 0, 1500);
    box_end(&b, S / 2 + S / 4);
    assert_int_equal(b.dirs[0].lost, 0);
    assert_int_equal(b.unjudged, 2);
    box_free(&b);
}

/* A packet leaves within the window (DEDUP_WINDOW_NS: longer than any
 * queue): forwarded, even after hundreds of others came in. */
static void test_a_late_way_out_is_forwarded(void **state)
{
    (void)state;
    struct box b;
    box_init(&b);
    for (uint64_t k = 1; k <= 600; k++)
        box_in(&b, k, (int64_t)k * 1000000, 5, 0, 1400);
    box_out(&b, 1);
    box_end(&b, 10 * S);
    assert_int_equal(b.dirs[0].forwarded, 1);
    assert_int_equal(b.dirs[0].lost, 599);
    assert_int_equal(b.dirs[0].frames[0], 2);
    box_free(&b);
}

/* Linux cooked capture's packet type: 4 (outgoing) went out; 0-3 came in;
 * anything else, or another link type, says nothing. */
static void test_the_packet_type_says_the_way(void **state)
{
    (void)state;
    static struct packet p;
    memset(&p, 0, sizeof p);
    p.nlayers = 1;
    p.layers[0].type = LAYER_SLL2;
    static const struct {
        uint16_t t;
        int way;
    } cases[] = {{0, 1}, {1, 1}, {2, 1}, {3, 1}, {4, 0}, {5, -1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        p.layers[0].u.sll.pkttype = cases[i].t;
        assert_int_equal(box_way(&p), cases[i].way);
    }
    p.layers[0].type = LAYER_ETH;
    assert_int_equal(box_way(&p), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dropped_above_a_size_is_loss_at_the_box),
        cmocka_unit_test(test_the_last_second_is_not_judged),
        cmocka_unit_test(test_a_late_way_out_is_forwarded),
        cmocka_unit_test(test_the_packet_type_says_the_way),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
