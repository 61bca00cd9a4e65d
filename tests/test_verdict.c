/* test_verdict.c - the verdict table (verdict.c): each rule alone on a
 * hand-built evidence set, each rule against the next one in the table, the
 * exceptions the rules carry, and one name and tone per status. */
#include <string.h>

#include "testutil.h"

#include "verdict.h"

/* The smallest evidence that makes rule `id` hold. */
static struct verdict_evidence minimal(enum verdict_rule_id id)
{
    struct verdict_evidence e = {0};
    switch (id) {
    case VR_FRAGMENT_SIZE_LIMIT:
        e.frag_incomplete = 1;
        e.frag_lost_by_size = 1;
        e.retransmissions = 1;
        break;
    case VR_FRAGMENT_LOSS:
        e.frag_incomplete = 1;
        e.retransmissions = 1;
        break;
    case VR_DF_CLEAR_LOSS:
        e.blackholes = 1;
        e.df_clear_lost = 1;
        break;
    case VR_SENDER_BLACKHOLE:
        e.blackholes = 1;
        break;
    case VR_MEASURED_LOSS:
        e.measured = 1;
        break;
    case VR_RECEIVER_SUSPECTED:
        e.suspected = 1;
        break;
    case VR_HEALED_BY_SENDER:
        e.healed = 1;
        break;
    case VR_WG_COUNTER_GAP:
        e.wg_suspected = 1;
        break;
    case VR_TUNNEL_RESEND:
        e.resends = 1;
        break;
    case VR_SILENT_SENDER:
        e.silent = 1;
        break;
    case VR_SWEEP_CLIFF:
        e.sweep_cliffs = 1;
        break;
    case VR_ICMP_IGNORED:
        e.icmp_ignored = 1;
        break;
    case VR_STORM:
        e.storms = 1;
        break;
    case VR_CAPPED_BELOW_MSS:
        e.capped = 1;
        break;
    case VR_PMTUD_WORKING:
        e.pmtud_ok = 1;
        break;
    case VR_MSS_CLAMPED:
        e.clamped = 1;
        break;
    case VR_UDP_RESENT:
        e.udp_resent = 1;
        break;
    case VR_TCP_DELIVERED:
        e.tcp_delivered = 1;
        e.tcp_tested = 1;
        break;
    case VR_UNTESTED:
        e.tcp_delivered = 1;
        break;
    case VR_TUNNEL_CLEAN:
        e.tunnel_clean = 1;
        break;
    case VR_FRAGMENTS_ARRIVED:
        e.frag_arrived = 1;
        break;
    case VR_SYN_FLOOD:
        e.syn_floods = 1;
        break;
    case VR_NO_EVIDENCE:
    case VR__COUNT:
        break;
    }
    return e;
}

/* Both evidence sets at once: counts added. */
static struct verdict_evidence both(struct verdict_evidence a, struct verdict_evidence b)
{
    a.frag_incomplete += b.frag_incomplete;
    a.frag_lost_by_size += b.frag_lost_by_size;
    a.retransmissions += b.retransmissions;
    a.storms += b.storms;
    a.blackholes += b.blackholes;
    a.measured += b.measured;
    a.suspected += b.suspected;
    a.healed += b.healed;
    a.wg_suspected += b.wg_suspected;
    a.resends += b.resends;
    a.df_clear_lost += b.df_clear_lost;
    a.silent += b.silent;
    a.sweep_cliffs += b.sweep_cliffs;
    a.icmp_ignored += b.icmp_ignored;
    a.capped += b.capped;
    a.pmtud_ok += b.pmtud_ok;
    a.clamped += b.clamped;
    a.tcp_delivered += b.tcp_delivered;
    a.tcp_tested += b.tcp_tested;
    a.tunnel_clean += b.tunnel_clean;
    a.syn_floods += b.syn_floods;
    a.frag_arrived += b.frag_arrived;
    a.udp_resent += b.udp_resent;
    return a;
}

/* The table is in id order, and each row's evidence alone selects it. */
static void test_each_rule_alone_decides(void **state)
{
    (void)state;
    for (int i = 0; i < VR__COUNT; i++) {
        assert_int_equal(verdict_rules[i].id, i);
        struct verdict_evidence e = minimal((enum verdict_rule_id)i);
        const struct verdict_rule *r = verdict_decide(&e);
        if ((int)r->id != i)
            fail_msg("rule %d (%s) alone gave rule %d", i, verdict_rules[i].headline, r->id);
        assert_non_null(verdict_rules[i].why);
        assert_true(strlen(verdict_rules[i].why) > 20);
    }
}

/* Rules that step aside for a later one: the reason is in their `why`.
 * (rule, the later rule whose evidence explains it away) */
static const struct {
    enum verdict_rule_id rule, by;
} exceptions[] = {
    /* one datagram that lost a fragment other than its large ones: not
     * loss by size alone, fragments are dropped */
    {VR_FRAGMENT_SIZE_LIMIT, VR_FRAGMENT_LOSS},
    /* a loss with DF set beside: a router could have said so, a black hole */
    {VR_DF_CLEAR_LOSS, VR_SENDER_BLACKHOLE},
    {VR_DF_CLEAR_LOSS, VR_TUNNEL_RESEND},
    /* a pause explained by PMTUD, a sender capping its packets, a clamp */
    {VR_SILENT_SENDER, VR_PMTUD_WORKING},
    {VR_SILENT_SENDER, VR_CAPPED_BELOW_MSS},
    {VR_SILENT_SENDER, VR_MSS_CLAMPED},
    /* unanswered big pings after a router's obeyed message: the limit was told */
    {VR_SWEEP_CLIFF, VR_PMTUD_WORKING},
    /* PMTUD's first losses are expected */
    {VR_STORM, VR_PMTUD_WORKING},
    {VR_STORM, VR_CAPPED_BELOW_MSS},
    /* an obeyed ICMP message says what capping only implies */
    {VR_CAPPED_BELOW_MSS, VR_PMTUD_WORKING},
};

static bool excepted(int rule, int by)
{
    for (size_t i = 0; i < sizeof exceptions / sizeof exceptions[0]; i++)
        if ((int)exceptions[i].rule == rule && (int)exceptions[i].by == by)
            return true;
    return false;
}

/* With the evidence of two rules, the earlier row wins, except where the
 * earlier rule names the later one's evidence as its explanation. */
static void test_each_rule_precedes_the_next(void **state)
{
    (void)state;
    for (int i = 0; i + 1 < VR__COUNT; i++) {
        struct verdict_evidence e =
            both(minimal((enum verdict_rule_id)i), minimal((enum verdict_rule_id)(i + 1)));
        int want = excepted(i, i + 1) ? i + 1 : i;
        int got = (int)verdict_decide(&e)->id;
        if (got != want)
            fail_msg("rules %d and %d: got %d, want %d", i, i + 1, got, want);
    }
}

/* Every pair, not only neighbours: the earlier row wins unless excepted;
 * an excepted pair goes to a rule at or after the explaining one. */
static void test_every_pair_follows_the_table_order(void **state)
{
    (void)state;
    for (int i = 0; i < VR__COUNT; i++)
        for (int k = i + 1; k < VR__COUNT; k++) {
            struct verdict_evidence e =
                both(minimal((enum verdict_rule_id)i), minimal((enum verdict_rule_id)k));
            int got = (int)verdict_decide(&e)->id;
            bool ok = excepted(i, k) ? got != i : got == i;
            if (!ok)
                fail_msg("rules %d and %d: got %d", i, k, got);
        }
}

/* Fragments lost while nothing retransmits or stalls prove nothing about
 * the flows: incomplete datagrams at the capture's end are normal. */
static void test_fragment_loss_needs_flows_that_suffer(void **state)
{
    (void)state;
    struct verdict_evidence e = {0};
    e.frag_incomplete = 3;
    assert_int_equal(verdict_decide(&e)->id, VR_NO_EVIDENCE);
    e.suspected = 1;
    assert_int_equal(verdict_decide(&e)->id, VR_FRAGMENT_LOSS);
}

/* Datagrams of which only the small last fragment came lost their
 * largest packets: a size limit (blackhole), not a fragment filter; one
 * that lost another fragment makes it fragment loss again. */
static void
test_only_small_last_fragments_arriving_is_a_size_limit_not_a_fragment_filter(void **state)
{
    (void)state;
    struct verdict_evidence e = {0};
    e.frag_incomplete = 4;
    e.frag_lost_by_size = 4;
    e.frag_none_reassembled = true;
    const struct verdict_rule *r = verdict_decide(&e);
    assert_int_equal(r->id, VR_FRAGMENT_SIZE_LIMIT);
    assert_string_equal(verdict_names[r->status].name, "blackhole");
    e.frag_lost_by_size = 3;
    assert_int_equal(verdict_decide(&e)->id, VR_FRAGMENT_LOSS);
}

/* No router refuses a DF-clear packet: it fragments it (RFC 791), so a
 * sender re-sending DF-clear packets never acknowledged lost fragments
 * (fragmentation-loss), a tunnel's re-sent outer datagrams as a TCP
 * sender's; one loss with DF set among them is a black hole again. */
static void test_df_clear_losses_are_fragment_loss_df_set_a_blackhole(void **state)
{
    (void)state;
    static const struct {
        int blackholes, resends, df_clear;
        enum verdict_rule_id want;
        const char *status;
    } cases[] = {
        {1, 0, 1, VR_DF_CLEAR_LOSS, "fragmentation-loss"},
        {0, 1, 1, VR_DF_CLEAR_LOSS, "fragmentation-loss"},
        {2, 1, 3, VR_DF_CLEAR_LOSS, "fragmentation-loss"},
        {1, 0, 0, VR_SENDER_BLACKHOLE, "blackhole"},
        {0, 1, 0, VR_TUNNEL_RESEND, "blackhole"},
        {1, 1, 1, VR_SENDER_BLACKHOLE, "blackhole"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct verdict_evidence e = {0};
        e.blackholes = cases[i].blackholes;
        e.resends = cases[i].resends;
        e.df_clear_lost = cases[i].df_clear;
        const struct verdict_rule *r = verdict_decide(&e);
        if (r->id != cases[i].want)
            fail_msg("case %zu: rule %d, want %d", i, r->id, cases[i].want);
        assert_string_equal(verdict_names[r->status].name, cases[i].status);
    }
}

/* Small packets delivered prove nothing about the MTU: inconclusive until
 * one near full size was. */
static void test_small_deliveries_are_untested_not_healthy(void **state)
{
    (void)state;
    struct verdict_evidence e = {0};
    e.tcp_delivered = 3;
    const struct verdict_rule *r = verdict_decide(&e);
    assert_int_equal(r->id, VR_UNTESTED);
    assert_string_equal(verdict_names[r->status].name, "inconclusive");
    e.tcp_tested = 1;
    assert_string_equal(verdict_names[verdict_decide(&e)->status].name, "healthy");
}

/* A SYN carries no data: a flood of unanswered ones leaves the path MTU
 * untested (inconclusive), and data delivered near full size beside it
 * still tests the path (healthy; the flood stays a finding). */
static void test_syn_flood_is_untested_not_a_verdict_on_the_mtu(void **state)
{
    (void)state;
    struct verdict_evidence e = {0};
    e.syn_floods = 1;
    const struct verdict_rule *r = verdict_decide(&e);
    assert_int_equal(r->id, VR_SYN_FLOOD);
    assert_string_equal(verdict_names[r->status].name, "inconclusive");
    e.tcp_delivered = 1;
    assert_int_equal(verdict_decide(&e)->id, VR_SYN_FLOOD);
    e.tcp_tested = 1;
    assert_string_equal(verdict_names[verdict_decide(&e)->status].name, "healthy");
}

/* Fragments cut to a link's MTU that arrived whole past a router are
 * full-size packets delivered: healthy, like a full-size TCP segment
 * acknowledged; but a single datagram whose fragments never all came
 * beside them is loss, never healthy. */
static void test_udp_fragments_arrived_past_a_router_test_the_path_unless_one_was_lost(void **state)
{
    (void)state;
    struct verdict_evidence e = {0};
    e.frag_arrived = 1;
    const struct verdict_rule *r = verdict_decide(&e);
    assert_int_equal(r->id, VR_FRAGMENTS_ARRIVED);
    assert_string_equal(verdict_names[r->status].name, "healthy");
    e.frag_incomplete = 1;
    assert_string_equal(verdict_names[verdict_decide(&e)->status].name, "inconclusive");
}

/* No evidence of any kind: inconclusive, never healthy. */
static void test_nothing_is_inconclusive(void **state)
{
    (void)state;
    struct verdict_evidence e = {0};
    const struct verdict_rule *r = verdict_decide(&e);
    assert_int_equal(r->id, VR_NO_EVIDENCE);
    assert_string_equal(verdict_names[r->status].name, "inconclusive");
    assert_int_equal(verdict_names[r->status].tone, TONE_UNKNOWN);
}

/* One name per status, the contract's spelling, found back by name. */
static void test_status_names_round_trip(void **state)
{
    (void)state;
    static const char *const contract[] = {
        "blackhole", "pmtud-working", "fragmentation-loss", "mss-clamped", "retransmission-storm",
        "healthy",   "inconclusive"};
    assert_int_equal(sizeof contract / sizeof contract[0], VS__COUNT);
    for (int i = 0; i < VS__COUNT; i++) {
        assert_string_equal(verdict_names[i].name, contract[i]);
        assert_int_equal(verdict_status_from_name(contract[i]), i);
        assert_non_null(verdict_names[i].meaning);
    }
    assert_int_equal(verdict_status_from_name("problem"), VS__COUNT);
    assert_int_equal(verdict_names[VS_BLACKHOLE].tone, TONE_PROBLEM);
    assert_int_equal(verdict_names[VS_HEALTHY].tone, TONE_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_rule_alone_decides),
        cmocka_unit_test(test_each_rule_precedes_the_next),
        cmocka_unit_test(test_every_pair_follows_the_table_order),
        cmocka_unit_test(test_fragment_loss_needs_flows_that_suffer),
        cmocka_unit_test(test_small_deliveries_are_untested_not_healthy),
        cmocka_unit_test(test_df_clear_losses_are_fragment_loss_df_set_a_blackhole),
        cmocka_unit_test(test_nothing_is_inconclusive),
        cmocka_unit_test(
            test_only_small_last_fragments_arriving_is_a_size_limit_not_a_fragment_filter),
        cmocka_unit_test(
            test_udp_fragments_arrived_past_a_router_test_the_path_unless_one_was_lost),
        cmocka_unit_test(test_syn_flood_is_untested_not_a_verdict_on_the_mtu),
        cmocka_unit_test(test_status_names_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
