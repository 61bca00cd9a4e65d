/* test_paths.c - a path's bounds (paths.c): upper bounds kept, and the fold
 * that meets a crossing larger than one of them.  A packet seen to cross is
 * stronger evidence than an upper bound inferred from a loss or a router's
 * message: the fold sets such a bound aside and takes the next one above
 * the crossing, and it pins the MTU only where a bound equals what crossed,
 * never by lowering a bound to the crossing. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "infer.h"
#include "inference.h"

#define MAX_GIVEN 12

struct fold_case {
    const char *name;
    uint32_t given[MAX_GIVEN]; /* upper bounds, in the order the collectors give them */
    bool loss[MAX_GIVEN];      /* given by a size seen lost (inf_bound_upper_loss) */
    int ngiven;
    uint32_t lower;
    uint32_t want_upper, want_mtu;
    bool want_loss;
    const char *want_note; /* in the evidence; NULL: no note */
};

static const struct fold_case CASES[] = {
    /* lab matrix SEED=4 m016 pair: fragments lost for being fragments said
     * 620; the router's own fragments say 1372 to 1379; 1372 crossed */
    {"crossing_above_a_bound_sets_it_aside_the_next_stands",
     {620, 1379, 1507},
     {true, true, false},
     3,
     1372,
     1379,
     0,
     true,
     "crossed although a bound said 620: that bound is set aside, and the next one, 1379, stands"},
    {"crossing_above_every_bound_leaves_the_path_unbounded_not_pinned",
     {620, 900},
     {true, false},
     2,
     1372,
     0,
     0,
     false,
     "no other bound is above 1372"},
    /* a router's MTU of 1300 for another hop, and 1400 from a lost size:
     * 1400 crossed, so 1400 is both bounds */
    {"a_bound_equal_to_the_crossing_pins_the_mtu",
     {1300, 1400},
     {false, true},
     2,
     1400,
     1400,
     1400,
     true,
     "the next one, 1400, stands"},
    {"no_contradiction_leaves_the_bounds_as_they_are",
     {1400, 1450},
     {true, false},
     2,
     1300,
     1400,
     0,
     true,
     NULL},
    {"bounds_that_meet_without_contradiction_pin_the_mtu",
     {1372},
     {false},
     1,
     1372,
     1372,
     1372,
     false,
     NULL},
    /* more bounds than a path keeps: the largest give way, so a crossing
     * above all that are kept finds none: unbounded, never pinned */
    {"bounds_beyond_those_kept_never_pin_the_mtu",
     {1900, 1800, 1700, 1600, 1500, 1400, 1300, 1200, 1100, 1000},
     {false},
     10,
     1750,
     0,
     0,
     false,
     "no other bound is above 1750"},
};

static bool has_evidence(const struct inf_path *p, const char *s)
{
    for (int i = 0; i < p->nevidence; i++)
        if (strstr(p->evidence[i], s))
            return true;
    return false;
}

static void run_case(const struct fold_case *c)
{
    struct inference *inf = calloc(1, sizeof *inf);
    assert_non_null(inf);
    ht_init(&inf->path_index);
    struct addr a = tu_addr("10.61.2.2"), b = tu_addr("10.61.1.2");
    struct inf_path *p = inf_path_for(inf, &a, &b, INF_OUTER, 0);
    assert_non_null(p);
    for (int i = 0; i < c->ngiven; i++) {
        if (c->loss[i])
            inf_bound_upper_loss(p, c->given[i]);
        else
            inf_bound_upper(p, c->given[i]);
    }
    inf_bound_lower(p, c->lower, "a %u-byte packet crossed", c->lower);
    inf_paths_fold(inf);
    if (p->upper != c->want_upper || p->mtu != c->want_mtu || p->upper_loss != c->want_loss)
        fail_msg("%s: upper %u mtu %u loss %d", c->name, p->upper, p->mtu, p->upper_loss);
    if (c->want_note && !has_evidence(p, c->want_note))
        fail_msg("%s: no note \"%s\"", c->name, c->want_note);
    if (!c->want_note && has_evidence(p, "set aside"))
        fail_msg("%s: a bound set aside", c->name);
    assert_true(p->lower == c->lower);
    inference_free(inf);
    free(inf);
}

static void test_fold_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++)
        run_case(&CASES[i]);
}

/* A zero bound is no bound, and a NULL path (the path table full) is
 * ignored. */
static void test_zero_and_null_are_no_bound(void **state)
{
    (void)state;
    struct inference *inf = calloc(1, sizeof *inf);
    assert_non_null(inf);
    ht_init(&inf->path_index);
    struct addr a = tu_addr("10.0.0.1"), b = tu_addr("10.0.0.2");
    struct inf_path *p = inf_path_for(inf, &a, &b, INF_OUTER, 0);
    inf_bound_upper(p, 0);
    inf_bound_upper_loss(p, 0);
    inf_bound_upper(NULL, 1400);
    inf_bound_upper_loss(NULL, 1400);
    assert_int_equal(p->upper, 0);
    assert_int_equal(p->nuppers, 0);
    inference_free(inf);
    free(inf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold_cases),
        cmocka_unit_test(test_zero_and_null_are_no_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
