/* test_wgcount.c - a WireGuard flow's counters (wgcount.c): gaps counted as
 * lost and taken back when the counter arrives late, per receiver index and
 * direction; the replay window's edge; the receiver cap. */
#include <string.h>

#include "testutil.h"

#include "wgcount.h"

static void msg(struct wg_count *c, uint32_t receiver, uint64_t counter, int dir, uint64_t frame)
{
    struct wireguard_info w;
    memset(&w, 0, sizeof w);
    w.msg_type = WG_DATA;
    w.receiver = receiver;
    w.counter = counter;
    wg_count_data(c, &w, dir, frame);
}

static void sized(struct wg_count *c, uint32_t receiver, uint64_t counter, int dir, uint16_t inner)
{
    struct wireguard_info w;
    memset(&w, 0, sizeof w);
    w.msg_type = WG_DATA;
    w.receiver = receiver;
    w.counter = counter;
    w.inner_len = inner;
    wg_count_data(c, &w, dir, counter + 1);
}

/* A counter skipped shows only when a later one arrives: the largest
 * message of a direction is followed once a later counter of its receiver
 * index arrives, whatever its size; a larger message starts over. */
static void test_largest_message_followed_by_later_counter(void **state)
{
    (void)state;
    struct wg_count c;
    memset(&c, 0, sizeof c);
    sized(&c, 9, 0, 1, 64);
    sized(&c, 9, 1, 1, 1420);
    assert_int_equal(c.big_len[1], 1420);
    assert_int_equal(c.big_followed, 0); /* the last one: nothing after it */
    sized(&c, 7, 0, 0, 48);              /* the other direction proves nothing here */
    assert_int_equal(c.big_followed, 0);
    sized(&c, 9, 2, 1, 1420); /* the same size again follows the first */
    assert_int_equal(c.big_followed, 2);
    sized(&c, 9, 3, 1, 1436); /* larger: not followed yet */
    assert_int_equal(c.big_followed, 0);
    sized(&c, 5, 4, 1, 64); /* another receiver index (a rekey): not a later counter of it */
    assert_int_equal(c.big_followed, 0);
    sized(&c, 9, 4, 1, 64);
    assert_int_equal(c.big_followed, 2);
}

static void test_gap_and_late_arrival(void **state)
{
    (void)state;
    struct wg_count c;
    memset(&c, 0, sizeof c);
    msg(&c, 7, 1, 0, 10);
    msg(&c, 7, 2, 0, 11);
    msg(&c, 7, 5, 0, 12); /* 3 and 4 skipped */
    assert_int_equal(c.lost, 2);
    assert_int_equal(c.lost_by[0], 2);
    assert_int_equal(c.gap_frame, 12);
    msg(&c, 7, 3, 0, 13); /* late: taken back */
    msg(&c, 7, 3, 0, 14); /* a replay: nothing */
    assert_int_equal(c.lost, 1);
    assert_int_equal(c.data, 5);
    assert_int_equal(c.receivers, 1);
    msg(&c, 9, 100, 1, 15); /* another receiver starts its own window */
    msg(&c, 9, 103, 1, 16);
    assert_int_equal(c.lost, 3);
    assert_int_equal(c.lost_by[1], 2);
    assert_int_equal(c.gap_frame, 12); /* the first gap stays the evidence */
}

/* Past 64 below the highest counter, a late message is too old to know:
 * its loss stays counted, as WireGuard would have rejected it. */
static void test_window_edge(void **state)
{
    (void)state;
    struct wg_count c;
    memset(&c, 0, sizeof c);
    msg(&c, 1, 0, 0, 1);
    msg(&c, 1, 100, 0, 2); /* 99 skipped */
    assert_int_equal(c.lost, 99);
    msg(&c, 1, 36, 0, 3); /* 64 below: outside */
    assert_int_equal(c.lost, 99);
    msg(&c, 1, 37, 0, 4); /* 63 below: inside */
    assert_int_equal(c.lost, 98);
}

static void test_receiver_cap(void **state)
{
    (void)state;
    struct wg_count c;
    memset(&c, 0, sizeof c);
    for (uint32_t r = 0; r < FLOW_MAX_WG_RECEIVERS + 2; r++) {
        msg(&c, r, 1, 0, r);
        msg(&c, r, 3, 0, r);
    }
    assert_int_equal(c.receivers, FLOW_MAX_WG_RECEIVERS);
    assert_int_equal(c.lost, FLOW_MAX_WG_RECEIVERS); /* one per followed receiver */
    assert_int_equal(c.data, 2 * (FLOW_MAX_WG_RECEIVERS + 2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gap_and_late_arrival),
        cmocka_unit_test(test_window_edge),
        cmocka_unit_test(test_receiver_cap),
        cmocka_unit_test(test_largest_message_followed_by_later_counter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
