/* test_cursor.c - the bounds-checked cursor every decoder reads through. */
#include "testutil.h"

#include "cursor.h"

static void test_reads_big_endian(void **state)
{
    (void)state;
    static const uint8_t b[] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde};
    struct cursor c = cur_make(b, sizeof b);
    assert_int_equal(cur_u8(&c), 0x12);
    assert_int_equal(cur_be16(&c), 0x3456);
    assert_int_equal(cur_be32(&c), 0x789abcde);
    assert_false(c.err);
    assert_int_equal(cur_left(&c), 0);
}

static void test_reads_little_endian(void **state)
{
    (void)state;
    static const uint8_t b[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    struct cursor c = cur_make(b, sizeof b);
    assert_int_equal(cur_le16(&c), 0x0201);
    assert_true(cur_le64(&c) == 0x0a09080706050403ull);
    assert_false(c.err);
}

static void test_overrun_is_sticky(void **state)
{
    (void)state;
    static const uint8_t b[] = {1, 2, 3};
    struct cursor c = cur_make(b, sizeof b);
    assert_int_equal(cur_be32(&c), 0);
    assert_true(c.err);
    assert_int_equal(cur_left(&c), 3); /* the failed read consumed nothing */
    assert_int_equal(cur_u8(&c), 0);   /* and later reads fail too */
    assert_false(cur_skip(&c, 1));
}

static void test_every_read_at_every_length(void **state)
{
    (void)state;
    uint8_t b[8] = {0};
    for (size_t len = 0; len <= 8; len++) {
        struct cursor c;
        c = cur_make(b, len), cur_u8(&c), assert_int_equal(c.err, len < 1);
        c = cur_make(b, len), cur_be16(&c), assert_int_equal(c.err, len < 2);
        c = cur_make(b, len), cur_be24(&c), assert_int_equal(c.err, len < 3);
        c = cur_make(b, len), cur_be32(&c), assert_int_equal(c.err, len < 4);
        c = cur_make(b, len), cur_le64(&c), assert_int_equal(c.err, len < 8);
        c = cur_make(b, len), cur_skip(&c, 5), assert_int_equal(c.err, len < 5);
    }
}

static void test_sub_cursor(void **state)
{
    (void)state;
    static const uint8_t b[] = {1, 2, 3, 4, 5};
    struct cursor c = cur_make(b, sizeof b);
    struct cursor s = cur_sub(&c, 2);
    assert_false(c.err);
    assert_int_equal(cur_left(&s), 2);
    assert_int_equal(cur_u8(&c), 3);
    assert_int_equal(cur_be16(&s), 0x0102);
    assert_int_equal(cur_u8(&s), 0);
    assert_true(s.err);
    assert_false(c.err); /* the sub-cursor's error stays in the sub-cursor */

    /* a declared length longer than what remains: partial view, parent flagged */
    c = cur_make(b, sizeof b);
    s = cur_sub(&c, 9);
    assert_true(c.err);
    assert_int_equal(cur_left(&s), 5);
}

static void test_peek_does_not_fail(void **state)
{
    (void)state;
    static const uint8_t b[] = {0x60, 0x01};
    struct cursor c = cur_make(b, sizeof b);
    assert_int_equal(cur_peek_u8(&c, 0), 0x60);
    assert_int_equal(cur_peek_u8(&c, 5), 0);
    assert_int_equal(cur_peek_be16(&c, 0), 0x6001);
    assert_int_equal(cur_peek_be16(&c, 1), 0);
    assert_false(c.err);
    assert_int_equal(cur_left(&c), 2);
}

static void test_limit(void **state)
{
    (void)state;
    static const uint8_t b[] = {1, 2, 3, 4};
    struct cursor c = cur_make(b, sizeof b);
    cur_limit(&c, 2);
    assert_int_equal(cur_left(&c), 2);
    cur_limit(&c, 10);
    assert_int_equal(cur_left(&c), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_big_endian),
        cmocka_unit_test(test_reads_little_endian),
        cmocka_unit_test(test_overrun_is_sticky),
        cmocka_unit_test(test_every_read_at_every_length),
        cmocka_unit_test(test_sub_cursor),
        cmocka_unit_test(test_peek_does_not_fail),
        cmocka_unit_test(test_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
