/* test_compare.c - the comparison of flows (compare.c): flows whose packets
 * stay small and deliver everything beside flows that share a host with
 * them and stall on larger packets make one sentence, with the small
 * flows' largest delivered packet as a lower bound and the smallest lost as
 * the upper one, never a setting; no sentence when nothing stalls, when the
 * flows share no host or IP version, and a sentence against the MTU when a
 * working flow delivered packets as large as the lost ones. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "compare.h"
#include "inference.h"

/* One download: the server sends the data (direction 1). */
struct dl {
    const char *client, *server;
    uint16_t port;
    uint8_t version;
    uint16_t client_mss;
    uint16_t largest; /* largest packet sent */
    bool stalls;      /* its largest packets never delivered: a black hole */
};

struct cmp_case {
    const char *name;
    struct dl flows[4];
    int nflows;
    uint32_t fix_mtu; /* an exact fix with a WireGuard block; 0 none */
    /* what the comparison must say */
    const char *must[3]; /* in the sentence */
    const char *never;   /* not in the sentence (NULL: none) */
    bool sentence;
    uint32_t works_up_to, stalls_from;
};

/* clang-format off */
static const struct cmp_case cases[] = {
    /* the phone's MSS 1240 gives 1280-byte packets that cross; the PC's 1380
     * gives 1420-byte ones the path drops: 1280 crossed, 1420 lost */
    {"phone works, PC stalls: a lower and an upper bound, no setting",
     {{"10.6.0.2", "10.6.0.1", 80, 4, 1240, 1280, false},
      {"10.6.0.3", "10.6.0.1", 80, 4, 1380, 1420, true},
      {"10.6.0.3", "10.6.0.1", 445, 4, 1380, 1420, true}}, 3, 0,
     {"at or below 1280 bytes work (10.6.0.2, MSS 1240: #1 (HTTP))",
      "stall (10.6.0.3, MSS 1380: #2 (HTTP), #3 (SMB))", "carries 1280..1419 bytes"},
     "MTU = ", true, 1280, 1420},
    /* the fix proves 1374: the sentence names it, as the fix's */
    {"an exact fix is named as the setting",
     {{"10.6.0.2", "10.6.0.1", 80, 4, 1240, 1280, false},
      {"10.6.0.3", "10.6.0.1", 80, 4, 1380, 1420, true}}, 2, 1374,
     {"set `MTU = 1374` (the fix above)", "carries 1280..1419 bytes", NULL}, NULL, true, 1280, 1420},
    /* a working flow to another server, from another client: no host in
     * common, no common bottleneck proven */
    {"no host in common: nothing concluded",
     {{"10.6.0.2", "10.9.0.9", 80, 4, 1240, 1280, false},
      {"10.6.0.3", "10.6.0.1", 80, 4, 1380, 1420, true}}, 2, 0,
     {NULL, NULL, NULL}, NULL, false, 0, 0},
    /* every flow delivered everything: nothing to blame */
    {"all work: no sentence",
     {{"10.6.0.2", "10.6.0.1", 80, 4, 1240, 1280, false},
      {"10.6.0.3", "10.6.0.1", 80, 4, 1380, 1420, false}}, 2, 0,
     {NULL, NULL, NULL}, NULL, false, 0, 0},
    /* a working flow delivered 1420 bytes where the stalled one lost 1420:
     * size does not separate them */
    {"size does not separate them: no bound, another cause",
     {{"10.6.0.2", "10.6.0.1", 80, 4, 1380, 1420, false},
      {"10.6.0.3", "10.6.0.1", 80, 4, 1380, 1420, true}}, 2, 0,
     {"Packet size does not separate", NULL, NULL}, "carries", true, 0, 0},
    /* the stalled flow over IPv6, the working one over IPv4: no address in common */
    {"another IP version, no host in common: nothing concluded",
     {{"10.6.0.2", "10.6.0.1", 80, 4, 1240, 1280, false},
      {"2001:db8::3", "2001:db8::1", 80, 6, 1380, 1440, true}}, 2, 0,
     {NULL, NULL, NULL}, NULL, false, 0, 0},
};
/* clang-format on */

static void make_flow(const struct dl *d, uint64_t id, struct flow_summary *f)
{
    memset(f, 0, sizeof *f);
    f->id = id;
    f->proto = IP_PROTO_TCP;
    f->ip_version = d->version;
    assert_int_equal(addr_pton(d->client, &f->client), 0);
    assert_int_equal(addr_pton(d->server, &f->server), 0);
    f->client_port = (uint16_t)(40000 + id);
    f->server_port = d->port;
    f->first_ns = 1000000000;
    f->last_ns = 3000000000;
    f->dir[0].mss = d->client_mss;
    f->dir[1].mss = 1460;
    f->dir[0].wscale = f->dir[1].wscale = 0xff;
    struct flow_dir_summary *x = &f->dir[1];
    x->max_packet = d->largest;
    x->dl_sent = 10;
    if (d->stalls) { /* a small segment delivered, the full-size ones lost */
        x->dl_delivered = 1;
        x->dl_lost = 9;
        x->largest_delivered = 340;
        x->smallest_lost = d->largest;
        x->stalled = f->stalled = true;
    } else {
        x->dl_delivered = 10;
        x->largest_delivered = d->largest;
        x->acked_bytes = 10000;
    }
}

static void run_case(const struct cmp_case *c)
{
    struct flow_summary flows[4];
    struct results res;
    memset(&res, 0, sizeof res);
    struct inference *inf = calloc(1, sizeof *inf); /* large: the heap */
    assert_non_null(inf);
    for (int i = 0; i < c->nflows; i++) {
        make_flow(&c->flows[i], (uint64_t)i + 1, &flows[i]);
        if (c->flows[i].stalls) {
            struct inf_blackhole *bh = &inf->blackholes[inf->nblackholes++];
            bh->flow = (uint64_t)i + 1;
            bh->dir = 1;
            bh->largest_delivered = 340;
            bh->smallest_lost = c->flows[i].largest;
        }
    }
    res.flows = flows;
    res.nflows = (uint32_t)c->nflows;
    if (c->fix_mtu) {
        inf->fix.exact = true;
        inf->fix.mtu = c->fix_mtu;
        inf->fix.nblocks = 1;
        strcpy(inf->fix.blocks[0].kind, "wireguard-config");
    }
    struct comparison *cmp = compare_run(&res, inf);
    assert_non_null(cmp);
    if (!c->sentence) {
        if (cmp->sentence)
            fail_msg("%s: %s", c->name, cmp->sentence);
    } else {
        if (!cmp->sentence)
            fail_msg("%s: no sentence", c->name);
        for (int k = 0; k < 3; k++)
            if (c->must[k] && !strstr(cmp->sentence, c->must[k]))
                fail_msg("%s: \"%s\" not in: %s", c->name, c->must[k], cmp->sentence);
        if (c->never && strstr(cmp->sentence, c->never))
            fail_msg("%s: \"%s\" in: %s", c->name, c->never, cmp->sentence);
    }
    assert_int_equal(cmp->works_up_to, c->works_up_to);
    assert_int_equal(cmp->stalls_from, c->stalls_from);
    assert_int_equal(cmp->set_mtu, c->sentence && c->works_up_to ? c->fix_mtu : 0);
    compare_free(cmp);
    free(inf);
}

static void test_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(&cases[i]);
}

/* The MSS implies the interface MTU: + 40 over IPv4, + 60 over IPv6. */
static void test_implied_mtu(void **state)
{
    (void)state;
    struct flow_summary flows[2];
    struct dl a = {"2001:db8::2", "2001:db8::1", 22, 6, 1220, 300, false};
    struct dl b = {"10.0.0.2", "10.0.0.1", 80, 4, 1240, 1280, false};
    make_flow(&a, 1, &flows[0]);
    make_flow(&b, 2, &flows[1]);
    struct results res;
    memset(&res, 0, sizeof res);
    res.flows = flows;
    res.nflows = 2;
    struct comparison *cmp = compare_run(&res, NULL);
    assert_non_null(cmp);
    assert_int_equal(cmp->nrows, 2);
    for (int i = 0; i < 2; i++) {
        const struct cmp_row *r = &cmp->rows[i];
        assert_int_equal(r->end[0].mtu, 1280); /* 1220 + 60, 1240 + 40 */
        assert_int_equal(r->state, CMP_WORKS);
        assert_true(r->goodput_bps > 0);
    }
    assert_string_equal(cmp->rows[0].service, "SSH");
    compare_free(cmp);
}

/* Fewer than two flows with data: nothing to compare. */
static void test_one_flow(void **state)
{
    (void)state;
    struct flow_summary f;
    struct dl a = {"10.0.0.2", "10.0.0.1", 80, 4, 1240, 1280, false};
    make_flow(&a, 1, &f);
    struct results res;
    memset(&res, 0, sizeof res);
    res.flows = &f;
    res.nflows = 1;
    assert_null(compare_run(&res, NULL));
}

/* The rows list stalled flows first, then the others, each by flow id,
 * whatever order the flows ended in (the results keep them in that order). */
static void test_rows_stalled_first_then_by_flow(void **state)
{
    (void)state;
    struct dl works = {"10.6.0.2", "10.6.0.1", 80, 4, 1240, 1280, false};
    struct dl stalls = {"10.6.0.3", "10.6.0.1", 80, 4, 1380, 1420, true};
    static const uint64_t ended[4] = {4, 2, 3, 1}; /* 1 and 3 stall */
    struct flow_summary flows[4];
    for (int i = 0; i < 4; i++)
        make_flow(ended[i] % 2 ? &stalls : &works, ended[i], &flows[i]);
    struct results res;
    memset(&res, 0, sizeof res);
    res.flows = flows;
    res.nflows = 4;
    struct comparison *cmp = compare_run(&res, NULL);
    assert_non_null(cmp);
    assert_int_equal(cmp->nrows, 4);
    static const uint64_t listed[4] = {1, 3, 2, 4};
    for (int i = 0; i < 4; i++)
        assert_int_equal(cmp->rows[i].flow, listed[i]);
    assert_int_equal(cmp->rows[0].state, CMP_STALLS);
    assert_int_equal(cmp->rows[2].state, CMP_WORKS);
    compare_free(cmp);
}

/* One connection captured at two points (its addresses and ports in two
 * inputs, at the same time) is one row with two views; the same addresses
 * and ports twice in one input are two connections, two rows. */
static void test_views_merge_across_inputs_only(void **state)
{
    (void)state;
    struct dl a = {"10.6.0.2", "10.6.0.1", 80, 4, 1240, 1280, false};
    struct dl b = {"10.6.0.3", "10.6.0.1", 80, 4, 1380, 1420, true};
    for (int inputs = 1; inputs <= 2; inputs++) {
        struct flow_summary flows[3];
        make_flow(&a, 3, &flows[0]);
        make_flow(&b, 2, &flows[1]);
        make_flow(&a, 1, &flows[2]);
        flows[2].client_port = flows[0].client_port;
        flows[2].input = (uint16_t)(inputs - 1);
        struct results res;
        memset(&res, 0, sizeof res);
        res.flows = flows;
        res.nflows = 3;
        struct comparison *cmp = compare_run(&res, NULL);
        assert_non_null(cmp);
        if (inputs == 2) {
            assert_int_equal(cmp->nrows, 2);
            assert_int_equal(cmp->rows[0].flow, 2); /* the stalled one */
            assert_int_equal(cmp->rows[1].nviews, 2);
            assert_int_equal(cmp->rows[1].flow, 1); /* the first view, by id */
            assert_int_equal(cmp->rows[1].view_flows[1], 3);
            assert_int_equal(cmp->rows[1].view_inputs[1], 0);
        } else {
            assert_int_equal(cmp->nrows, 3);
            assert_int_equal(cmp->rows[1].flow, 1);
            assert_int_equal(cmp->rows[1].nviews, 1);
            assert_int_equal(cmp->rows[2].flow, 3);
        }
        compare_free(cmp);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_implied_mtu),
        cmocka_unit_test(test_one_flow),
        cmocka_unit_test(test_rows_stalled_first_then_by_flow),
        cmocka_unit_test(test_views_merge_across_inputs_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
