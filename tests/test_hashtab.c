/* test_hashtab.c - the one hash index (hashtab.c): every id found after any
 * mix of inserts and deletes (against a plain array as the model), clusters
 * that wrap the table's end, growth, and seeds that differ per table. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "hashtab.h"

static bool found(const struct hashtab *t, uint64_t h, uint32_t id)
{
    struct ht_probe p;
    for (uint32_t x = ht_first(t, h, &p); x != HT_NONE; x = ht_next(t, &p))
        if (x == id)
            return true;
    return false;
}

/* Backward-shift delete must keep every other entry reachable from its home
 * slot: checked after each of 20000 random operations against a model. */
static void test_random_inserts_and_deletes_match_a_model(void **state)
{
    (void)state;
    enum { N = 2000 };
    static uint64_t hash[N + 1];
    static bool in[N + 1];
    struct hashtab t;
    ht_init(&t);
    srand(7);
    for (int i = 1; i <= N; i++)
        hash[i] = (uint64_t)rand() << 33 ^ (uint64_t)rand() << 2 ^ (uint64_t)(rand() % 4);
    for (int op = 0; op < 20000; op++) {
        uint32_t id = 1 + (uint32_t)(rand() % N);
        if (in[id]) {
            assert_true(ht_remove(&t, hash[id], id));
            in[id] = false;
        } else {
            assert_true(ht_insert(&t, hash[id], id));
            in[id] = true;
        }
        if (op % 997 == 0)
            for (uint32_t k = 1; k <= N; k++)
                assert_int_equal(found(&t, hash[k], k), in[k]);
    }
    uint32_t count = 0;
    for (uint32_t k = 1; k <= N; k++) {
        assert_int_equal(found(&t, hash[k], k), in[k]);
        count += in[k];
    }
    assert_int_equal(t.count, count);
    assert_true((uint64_t)t.count * 2 <= (uint64_t)t.mask + 1); /* at most half full */
    ht_free(&t);
}

/* All hashes equal (the attacker's dream, or a seedless bug): one long
 * cluster that wraps past the last slot; deletes in any order keep the
 * rest reachable. */
static void test_one_cluster_wrapping_the_end(void **state)
{
    (void)state;
    struct hashtab t;
    ht_init(&t);
    uint64_t h = 0xffffffffull; /* tag 0xffffffff: home is the last slot */
    for (uint32_t id = 1; id <= 7; id++)
        assert_true(ht_insert(&t, h, id));
    assert_int_equal(t.mask, 15);
    assert_true(ht_remove(&t, h, 3));
    assert_true(ht_remove(&t, h, 1));
    for (uint32_t id = 1; id <= 7; id++)
        assert_int_equal(found(&t, h, id), id != 1 && id != 3);
    assert_false(ht_remove(&t, h, 3));
    ht_free(&t);
}

/* A key that moves to another of the caller's places (flow.c: a parked
 * flow into its compact record and back) keeps its slot under a new id, in
 * the middle of a cluster as at its end; an id that is not there is not
 * replaced, and the count does not change. */
static void test_replace_moves_an_id_in_place(void **state)
{
    (void)state;
    struct hashtab t;
    ht_init(&t);
    uint64_t h = 0xffffffffull; /* one cluster wrapping the end */
    for (uint32_t id = 1; id <= 5; id++)
        assert_true(ht_insert(&t, h, id));
    assert_true(ht_replace(&t, h, 3, 30));
    assert_true(ht_replace(&t, h, 5, 50));
    assert_false(ht_replace(&t, h, 3, 31)); /* 3 is gone */
    assert_int_equal(t.count, 5);
    uint32_t want[] = {1, 2, 30, 4, 50};
    for (int i = 0; i < 5; i++)
        assert_true(found(&t, h, want[i]));
    assert_false(found(&t, h, 3));
    assert_true(ht_remove(&t, h, 30));
    assert_true(found(&t, h, 50));
    ht_free(&t);
}

/* Tables get their own seeds: a key's hash under one says nothing of its
 * hash under another, so colliding keys cannot be prepared in advance. */
static void test_seeds_differ_and_change_the_hash(void **state)
{
    (void)state;
    struct hashtab a, b;
    ht_init(&a);
    ht_init(&b);
    assert_true(a.seed != b.seed);
    const char key[] = "10.0.0.1:443 -> 10.0.0.2:51234";
    assert_true(hash_bytes(a.seed, key, sizeof key) != hash_bytes(b.seed, key, sizeof key));
    assert_int_equal(hash_bytes(a.seed, key, sizeof key), hash_bytes(a.seed, key, sizeof key));
    assert_true(hash_u64(a.seed, 1) != hash_u64(a.seed, 2));
    ht_free(&a);
    ht_free(&b);
}

/* Keys that differ in one byte anywhere, tail included, hash apart. */
static void test_every_byte_counts(void **state)
{
    (void)state;
    unsigned char k[37] = {0};
    uint64_t base = hash_bytes(42, k, sizeof k);
    for (size_t i = 0; i < sizeof k; i++) {
        k[i] = 1;
        assert_true(hash_bytes(42, k, sizeof k) != base);
        k[i] = 0;
    }
    assert_true(hash_bytes(42, k, 36) != base); /* the length counts */
}

/* The inline copy the flow table uses is the same hash: every length, and a
 * constant one the compiler specialises; probing an empty table finds
 * nothing. */
static void test_inline_hash_and_probe(void **state)
{
    (void)state;
    unsigned char k[64];
    for (size_t i = 0; i < sizeof k; i++)
        k[i] = (unsigned char)(i * 37 + 1);
    for (size_t n = 0; n <= sizeof k; n++)
        assert_true(hash_bytes_inline(99, k, n) == hash_bytes(99, k, n));
    assert_true(hash_bytes_inline(7, k, 48) == hash_bytes(7, k, 48));
    struct hashtab t;
    ht_init(&t);
    struct ht_probe p;
    assert_int_equal(ht_first(&t, 12345, &p), HT_NONE);
    assert_true(ht_insert(&t, 12345, 9));
    assert_int_equal(ht_first(&t, 12345, &p), 9);
    assert_int_equal(ht_next(&t, &p), HT_NONE);
    ht_free(&t);
    assert_int_equal(ht_first(&t, 12345, &p), HT_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_inserts_and_deletes_match_a_model),
        cmocka_unit_test(test_one_cluster_wrapping_the_end),
        cmocka_unit_test(test_replace_moves_an_id_in_place),
        cmocka_unit_test(test_seeds_differ_and_change_the_hash),
        cmocka_unit_test(test_every_byte_counts),
        cmocka_unit_test(test_inline_hash_and_probe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
