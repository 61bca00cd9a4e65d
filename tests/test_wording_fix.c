/* test_wording_fix.c - the fix as blocks to paste (wording_fix.c): a
 * setting the evidence pins gives its configuration and shell lines with
 * that number; a path that is only bounded gives no setting from the bound,
 * the value proven safe (or none) and the probe with sizes for the path and
 * the tunnel; every shell block sets the names it uses on its own first
 * line, never a <placeholder>. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "infer.h"
#include "tunnels.h"

struct fix_case {
    const char *name;
    int version;             /* of the outer path */
    uint32_t lower, upper;   /* the outer path's bounds */
    uint32_t tunnel_rec;     /* inf_tunnel.c's recommended MTU (0: none) */
    bool wg_flow;            /* a WireGuard flow between the path's ends */
    enum advice_kind advice; /* the verdict's advice (ADV__COUNT: none) */
    /* what the fix must say */
    bool exact;
    uint32_t mtu;
    const char *must[4]; /* text every one of which a block holds */
    const char *never;   /* text no block holds (NULL: none) */
};

/* clang-format off */
static const struct fix_case cases[] = {
    /* a router reports 1434 for WireGuard's packets (IPv4): 1434 - 60 */
    {"tunnel recommended", 4, 0, 1434, 1374, true, ADV__COUNT, true, 1374,
     {"[Interface]\nMTU = 1374", "ip link set dev \"$IFACE\" mtu 1374", "--set-mss 1334",
      "wireguard.mtu 1374"}, NULL},
    /* a DF sweep pins 1452 between two hosts, no tunnel: the host MTU and MSS */
    {"exact host path", 4, 1452, 1452, 0, false, ADV_KEEP_BELOW, true, 1452,
     {"ip link set dev \"$IFACE\" mtu 1452", "--set-mss 1412", "maxseg size set 1412", NULL},
     "ip6tables"},
    /* a DF sweep pins 1434 between a WireGuard tunnel's ends: 1434 - 60 */
    {"exact path, WireGuard between its ends", 4, 1434, 1434, 0, true, ADV_KEEP_BELOW, true, 1374,
     {"[Interface]\nMTU = 1374", NULL, NULL, NULL}, NULL},
    /* the demo: 316 crossed, 1480 lost: the bound 1419 is no setting */
    {"bounded, WireGuard over IPv4", 4, 316, 1479, 0, true, ADV_WG_MTU_BELOW, false, 0,
     {"lo=316 hi=1480", "$((mid - 28))", "ping -D -c 2 -s 1312", "ping -f -n 2 -l 1451"},
     "MTU = "},
    /* IPv6: 1280 crosses every path, so 1280 - 80 is safe meanwhile */
    {"bounded, WireGuard over IPv6", 6, 0, 1499, 0, true, ADV_WG_MTU_BELOW, false, 1200,
     {"[Interface]\nMTU = 1200", "lo=1280 hi=1500", "$((mid - 48))", "ping6 -m -c 2 -s 1312"},
     "ping -f"},
    /* a sweep with gaps over a 1452-byte path: 1452 proven, 1456 lost */
    {"bounded, WireGuard, a sweep with gaps", 4, 1452, 1455, 0, true, ADV_KEEP_BELOW, false, 1392,
     {"[Interface]\nMTU = 1392", "lo=1452 hi=1456", NULL, NULL}, "MTU = 1395"},
};
/* clang-format on */

static void addr4(const char *s, struct addr *a)
{
    assert_int_equal(addr_pton(s, a), 0);
}

static void run_case(const struct fix_case *c)
{
    const char *sa = c->version == 6 ? "2001:db8:2::2" : "10.61.2.2";
    const char *sb = c->version == 6 ? "2001:db8:1::2" : "10.61.1.2";
    struct flow_summary f;
    memset(&f, 0, sizeof f);
    f.id = 1;
    f.proto = IP_PROTO_UDP;
    f.ip_version = (uint8_t)c->version;
    f.opaque = c->wg_flow ? LAYER_WIREGUARD : 0;
    addr4(sa, &f.client);
    addr4(sb, &f.server);
    struct flow_tunnel tun;
    memset(&tun, 0, sizeof tun);
    tun.id = 1;
    tun.type = LAYER_WIREGUARD;
    tun.ip_version = (uint8_t)c->version;
    tun.outer_src = f.client;
    tun.outer_dst = f.server;
    struct results res;
    memset(&res, 0, sizeof res);
    res.flows = &f;
    res.nflows = 1;
    res.tunnels = &tun;
    res.ntunnels = c->tunnel_rec ? 1 : 0;

    struct inference *inf = calloc(1, sizeof *inf);
    assert_non_null(inf);
    struct inf_tunnel it;
    memset(&it, 0, sizeof it);
    it.id = 1;
    it.overhead = tunnel_overhead_bytes(LAYER_WIREGUARD, c->version, 0);
    it.path_upper = c->upper;
    it.recommended_mtu = c->tunnel_rec;
    inf->tunnels = &it;
    inf->ntunnels = c->tunnel_rec ? 1 : 0;
    struct inf_path *p = &inf->paths[inf->npaths++];
    p->src = f.client;
    p->dst = f.server;
    p->layer = INF_OUTER;
    p->lower = c->lower;
    p->upper = c->upper;
    p->mtu = c->lower && c->lower == c->upper ? c->lower : 0;
    p->upper_loss = !p->mtu;
    if (c->advice != ADV__COUNT) {
        inf->advice[0].kind = c->advice;
        inf->advice[0].ip_version = (uint8_t)c->version;
        inf->advice[0].src = f.client;
        inf->advice[0].dst = f.server;
        inf->advice[0].n1 = c->advice == ADV_WG_MTU_BELOW ? c->upper + 1 : c->upper;
        inf->recs[0] = NULL;
        inf->nrecs = 1;
    }

    inf_fix(inf, &res);
    const struct inf_fix *fx = &inf->fix;
    if (fx->exact != c->exact || fx->mtu != c->mtu)
        fail_msg("%s: exact %d mtu %u, want %d %u", c->name, fx->exact, fx->mtu, c->exact, c->mtu);
    assert_non_null(fx->headline);
    assert_non_null(fx->why);
    for (int k = 0; k < 4 && c->must[k]; k++) {
        bool found = false;
        for (int i = 0; i < fx->nblocks; i++)
            found |= strstr(fx->blocks[i].text, c->must[k]) != NULL;
        if (!found)
            fail_msg("%s: no block holds %s", c->name, c->must[k]);
    }
    for (int i = 0; i < fx->nblocks; i++) {
        const struct inf_fix_block *b = &fx->blocks[i];
        assert_non_null(b->text);
        assert_non_null(b->title);
        if (c->never && strstr(b->text, c->never))
            fail_msg("%s: block %s holds %s: %s", c->name, b->kind, c->never, b->text);
        if (strcmp(b->lang, "sh") == 0 && strchr(b->text, '<'))
            fail_msg("%s: a placeholder in %s", c->name, b->text);
        /* a variable used is set on the block's first line */
        if (strstr(b->text, "\"$IFACE\"") && strncmp(b->text, "IFACE=", 6) != 0)
            fail_msg("%s: $IFACE used, not set first: %s", c->name, b->text);
        if (strstr(b->text, "\"$CONN\"") && strncmp(b->text, "CONN=", 5) != 0)
            fail_msg("%s: $CONN used, not set first: %s", c->name, b->text);
    }
    inf->tunnels = NULL;
    inf_fix_free(&inf->fix);
    free(inf);
}

static void test_a_pinned_mtu_is_pasted_and_a_bound_is_no_setting(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(&cases[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_pinned_mtu_is_pasted_and_a_bound_is_no_setting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
