/* test_corr_feed.c - the correlation's frames from the first pass's
 * records (corr_feed.h): they give the matcher exactly what a second read
 * of the inputs gives (frames, times, keys and their order), on pairs of
 * captures made differently; the compact records survive keys that leave
 * the slot cache, times running backwards and frame numbers that jump; and
 * records that are incomplete (a full disk, the size limit) are never read
 * from: the input is read again, or, when it cannot be (standard input),
 * the correlation says so. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "corr_feed.h"
#include "correlate.h"
#include "pipeline.h"
#include "replay.h"
#include "tmpspill.h"

/* ---- what a merged read gives the matcher ---- */

struct seen {
    int side;
    int64_t t_ns;
    uint64_t frame;
    int nkeys;
    struct corr_key keys[CORR_MAX_KEYS];
};

struct seen_list {
    struct seen *v;
    size_t n, cap;
};

static bool collect(void *ctx, int side, int64_t t_ns, uint64_t frame, const struct corr_key *keys,
                    int nkeys)
{
    struct seen_list *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 1024;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        assert_non_null(l->v);
    }
    struct seen *s = &l->v[l->n++];
    memset(s, 0, sizeof *s);
    s->side = side;
    s->t_ns = t_ns;
    s->frame = frame;
    s->nkeys = nkeys;
    memcpy(s->keys, keys, (size_t)nkeys * sizeof *keys);
    return true;
}

static void assert_same_frames(const struct seen_list *a, const struct seen_list *b,
                               const char *what)
{
    if (a->n != b->n)
        fail_msg("%s: %zu frames against %zu", what, a->n, b->n);
    for (size_t i = 0; i < a->n; i++)
        if (memcmp(&a->v[i], &b->v[i], sizeof a->v[i]) != 0)
            fail_msg("%s: frame %zu differs (side %d frame %llu against side %d frame %llu)", what,
                     i, a->v[i].side, (unsigned long long)a->v[i].frame, b->v[i].side,
                     (unsigned long long)b->v[i].frame);
}

/* The first pass over both inputs, recording for the correlation within
 * max_bytes. */
static struct corr_feed *first_pass(const char *const *paths, uint64_t max_bytes,
                                    const struct pipeline_opts *po)
{
    struct corr_feed *f = corr_feed_new(2, max_bytes);
    assert_non_null(f);
    struct results res;
    assert_true(results_init(&res));
    struct pipeline_hooks hooks = {corr_feed_packet, f, NULL};
    for (int i = 0; i < 2; i++) {
        struct input_stats *s = stats_new(paths[i]);
        corr_feed_begin(f, i);
        assert_int_equal(pipeline_run(paths[i], i, po, s, &res, &hooks), PIPELINE_OK);
        corr_feed_end(f, i, true);
        stats_free(s);
    }
    results_free(&res);
    return f;
}

static void merged(struct corr_feed *f, struct replay_src *rs, int64_t offset,
                   struct seen_list *out)
{
    struct corr_feed_src fs = {f, rs};
    memset(out, 0, sizeof *out);
    assert_true(corr_feed_pair(&fs, 0, 1, offset, collect, out));
}

/* Why the records may stand for a second read: the matcher must see the
 * same packets in the same order either way, whatever the capture holds.
 * The pairs: two ends of a WireGuard path; a router's "-i any" capture
 * (every forwarded packet twice: the copies are not packets, either way)
 * with its second interface; VXLAN with fragments lost (reassembly);
 * IPv6 WireGuard.  Each merged read is compared with the inputs read again,
 * with a clock offset (ties broken by the same rule), with a filter and
 * --count, and with the second input's records cut by the size limit (one
 * side from records, the other read again). */
static void test_records_give_the_matcher_what_a_second_read_gives(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {
        {"samples/lab-incident-wg1420-path1434-client-outer.pcap",
         "samples/lab-incident-wg1420-path1434-server-outer.pcap"},
        {"samples/lab-router-blackhole-path1300-router-any.pcap",
         "samples/lab-router-blackhole-path1300-router-any2.pcap"},
        {"samples/lab-vxlan-fragloss-path1380-client-outer.pcap",
         "samples/lab-vxlan-fragloss-path1380-server-outer.pcap"},
        {"samples/lab-v6-wg1420-path1450-client-outer.pcap",
         "samples/lab-v6-wg1420-path1450-server-outer.pcap"},
    };
    struct pipeline_opts plain = {.quiet = true};
    struct pipeline_opts cut = {.quiet = true, .filter = "ip or ip6", .count = 150};
    const struct pipeline_opts *opts[] = {&plain, &cut};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        for (size_t o = 0; o < 2; o++) {
            struct replay_src rs = {pairs[i], 2, opts[o]};
            struct corr_feed *f = first_pass(pairs[i], CORR_FEED_MAX, opts[o]);
            assert_true(corr_feed_whole(f, 0) && corr_feed_whole(f, 1));
            for (int64_t offset = 0; offset <= 3000000; offset += 3000000) {
                struct seen_list rec, again;
                merged(f, &rs, offset, &rec);
                merged(NULL, &rs, offset, &again); /* no records: both read again */
                assert_true(rec.n > 100);
                char what[300];
                snprintf(what, sizeof what, "%s, %s, offset %lld", pairs[i][0],
                         o ? "filter and count" : "whole", (long long)offset);
                assert_same_frames(&rec, &again, what);
                /* compact: a key's addresses and ports are written once
                 * for its slot, so a record is far under a 64-byte key
                 * (measured: 18-24 bytes a packet with one or two keys,
                 * 48 with VXLAN's four) */
                uint64_t keys = 0;
                for (size_t k = 0; k < rec.n; k++)
                    keys += (uint64_t)rec.v[k].nkeys;
                assert_true(corr_feed_bytes(f) < 8 * (uint64_t)rec.n + 24 * keys);
                free(rec.v);
                free(again.v);
            }
            /* the limit reached in the second input, one byte short: its
             * records are not read, it is read again */
            uint64_t all_bytes = corr_feed_bytes(f);
            corr_feed_free(f);
            /* the same bytes on every run (the slots' seed is fixed), so
             * the limit takes the same way every time */
            f = first_pass(pairs[i], CORR_FEED_MAX, opts[o]);
            assert_int_equal(corr_feed_bytes(f), all_bytes);
            corr_feed_free(f);
            struct corr_feed *g = first_pass(pairs[i], all_bytes - 1, opts[o]);
            assert_true(corr_feed_whole(g, 0));
            assert_false(corr_feed_whole(g, 1));
            struct seen_list mixed, all;
            merged(g, &rs, 0, &mixed);
            merged(NULL, &rs, 0, &all);
            assert_same_frames(&mixed, &all, "second input past the limit");
            free(mixed.v);
            free(all.v);
            corr_feed_free(g);
        }
    }
}

/* ---- the records themselves ---- */

/* A TCP segment between one of many hosts and another, decoded. */
static void segment(struct packet *p, int host, uint32_t seq, uint16_t id, size_t len)
{
    char src[32];
    snprintf(src, sizeof src, "10.%d.%d.1", host / 250, host % 250);
    struct pb b;
    pb_init(&b);
    pb_fill(&b, len, 'x');
    pb_tcp(&b, (uint16_t)(40000 + host), 443, seq, 7, TH_ACK);
    pb_ipv4_id(&b, IP_PROTO_TCP, src, "192.0.2.9", host % 3 ? IP_DF : 0, id); /* DF clear: 2 keys */
    pb_eth(&b, ETH_TYPE_IP);
    memset(p, 0, sizeof *p);
    tu_decode(p, DLT_EN10MB, &b);
}

/* The slot cache holds 1024 keys' addresses and ports: 3000 hosts coming
 * back in turns push each out before it returns, so every key is written
 * whole again, and the reader must follow.  Times go backwards now and
 * then (a capture's clock stepped), frame numbers jump (a filter), sizes
 * and counters span their varints: each key read back is corr_keys()'s. */
static void test_records_come_back_whole_past_the_slot_cache(void **state)
{
    (void)state;
    enum { N = 20000 };
    struct corr_feed *f = corr_feed_new(2, CORR_FEED_MAX);
    assert_non_null(f);
    struct packet *p = calloc(1, sizeof *p);
    struct seen_list want = {0};
    corr_feed_begin(f, 0);
    uint64_t frame = 0;
    for (int i = 0; i < N; i++) {
        int host = (i * 7) % 3000;
        segment(p, host, 0x80000000u + (uint32_t)i * 1448u, (uint16_t)i, (size_t)(i % 1400));
        frame += 1 + (uint64_t)(i % 5 == 0) * 1000;
        p->frame = frame;
        p->input = 0;
        p->ts_sec = 1700000000 + i / 100;
        p->ts_nsec = (i % 50 == 0) ? 0 : (uint32_t)(i % 100) * 9999999u; /* back at times */
        corr_feed_packet(f, p, NULL);
        struct corr_key k[CORR_MAX_KEYS];
        int n = corr_keys(p, k);
        assert_true(n >= 1);
        collect(&want, 0, p->ts_sec * 1000000000ll + p->ts_nsec, p->frame, k, n);
    }
    corr_feed_end(f, 0, true);
    corr_feed_begin(f, 1);
    corr_feed_end(f, 1, true); /* whole, and empty */
    assert_true(corr_feed_whole(f, 0) && corr_feed_whole(f, 1));
    const char *paths[2] = {"/nonexistent-a", "/nonexistent-b"}; /* never opened */
    struct pipeline_opts po = {.quiet = true};
    struct replay_src rs = {paths, 2, &po};
    struct corr_feed_src fs = {f, &rs};
    struct seen_list got = {0};
    assert_true(corr_feed_pair(&fs, 0, 1, 0, collect, &got));
    assert_same_frames(&got, &want, "records read back");
    int64_t t;
    assert_true(corr_feed_first_time(&fs, 0, &t));
    assert_int_equal(t, want.v[0].t_ns);
    assert_false(corr_feed_first_time(&fs, 1, &t)); /* no packet: no first time */
    free(got.v);
    free(want.v);
    free(p);
    corr_feed_free(f);
}

/* A write that fails (the file-size limit, as a full disk would) leaves
 * the records incomplete: the input is read again when it can be, and one
 * that cannot (standard input) is not taken for correlatable. */
static void test_failed_write_is_never_read_from(void **state)
{
    (void)state;
    struct corr_feed *f = corr_feed_new(2, CORR_FEED_MAX);
    assert_non_null(f);
    struct packet *p = calloc(1, sizeof *p);
    segment(p, 1, 1, 1, 100);
    struct tu_fsize lim;
    tu_fsize_limit(&lim, 100000); /* under the first buffer's 262,144 bytes */
    for (int i = 0; i < 2; i++) {
        corr_feed_begin(f, i);
        p->input = (uint16_t)i;
        for (int k = 0; k < 20000; k++) {
            p->frame = (uint64_t)k + 1;
            corr_feed_packet(f, p, NULL);
        }
        corr_feed_end(f, i, true);
    }
    tu_fsize_restore(&lim);
    assert_false(corr_feed_whole(f, 0));
    assert_false(corr_feed_whole(f, 1));
    const char *paths[2] = {"-", "samples/lab-incident-wg1420-path1434-server-outer.pcap"};
    struct pipeline_opts po = {.quiet = true};
    struct replay_src rs = {paths, 2, &po};
    struct corr_feed_src fs = {f, &rs};
    assert_false(corr_feed_rereadable(&fs, 0)); /* standard input, records incomplete */
    assert_true(corr_feed_rereadable(&fs, 1));  /* a file: read again */
    struct seen_list got = {0};
    assert_false(corr_feed_pair(&fs, 0, 1, 0, collect, &got)); /* never half the records */
    assert_int_equal(got.n, 0);
    free(p);
    corr_feed_free(f);
}

/* Records that are whole make an input that cannot be read twice (standard
 * input, a pipe) correlatable; an input that could not be opened has no
 * records to stand for it, whatever its file. */
static void test_whole_records_stand_for_standard_input(void **state)
{
    (void)state;
    struct corr_feed *f = corr_feed_new(2, CORR_FEED_MAX);
    struct packet *p = calloc(1, sizeof *p);
    segment(p, 1, 1, 1, 100);
    corr_feed_begin(f, 0);
    corr_feed_packet(f, p, NULL);
    corr_feed_end(f, 0, true);
    corr_feed_begin(f, 1);
    corr_feed_end(f, 1, false); /* not opened */
    const char *paths[2] = {"-", "/nonexistent"};
    struct pipeline_opts po = {.quiet = true};
    struct replay_src rs = {paths, 2, &po};
    struct corr_feed_src fs = {f, &rs};
    assert_true(corr_feed_rereadable(&fs, 0));
    assert_false(corr_feed_whole(f, 1));
    assert_false(corr_feed_rereadable(&fs, 1));
    struct seen_list got = {0};
    assert_false(corr_feed_pair(&fs, 0, 1, 0, collect, &got));
    free(p);
    corr_feed_free(f);
}

/* A cursor reads what was put, in pieces of any size across its buffer,
 * and a peek never goes past the end. */
static void test_spill_cursor_reads_what_was_put(void **state)
{
    (void)state;
    struct tmpspill *t = tmpspill_new("test", 1u << 22);
    assert_non_null(t);
    unsigned char b[300];
    uint64_t total = 0;
    for (int i = 0; total + sizeof b <= (1u << 21); i++) {
        size_t n = (size_t)(i * 37 % 300) + 1;
        for (size_t k = 0; k < n; k++)
            b[k] = (unsigned char)(total + k);
        assert_true(tmpspill_put(t, b, n));
        total += n;
    }
    assert_false(tmpspill_put(t, b, (1u << 22))); /* past max: refused whole, and from now on */
    assert_true(tmpspill_full(t));
    assert_false(tmpspill_flush(t));
    struct tmpspill_cursor *c = malloc(sizeof *c);
    tmpspill_cursor_start(t, c);
    uint64_t at = 0;
    for (;;) {
        const unsigned char *q;
        size_t have = tmpspill_peek(c, 1000, &q);
        if (!have)
            break;
        size_t use = have < 700 ? have : 700;
        for (size_t k = 0; k < use; k++)
            if (q[k] != (unsigned char)(at + k))
                fail_msg("byte %llu", (unsigned long long)(at + k));
        tmpspill_skip(c, use);
        at += use;
    }
    assert_false(c->failed);
    assert_int_equal(at, total);
    free(c);
    tmpspill_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records_give_the_matcher_what_a_second_read_gives),
        cmocka_unit_test(test_records_come_back_whole_past_the_slot_cache),
        cmocka_unit_test(test_failed_write_is_never_read_from),
        cmocka_unit_test(test_whole_records_stand_for_standard_input),
        cmocka_unit_test(test_spill_cursor_reads_what_was_put),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
