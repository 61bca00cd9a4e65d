/*
 * compare.c - the flows that work beside the flows that stall (compare.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "infer.h"
#include "inference.h"

const char *compare_service_name(uint16_t port)
{
    static const struct {
        uint16_t port;
        const char *name;
    } known[] = {{20, "FTP data"}, {21, "FTP"},          {22, "SSH"},     {23, "Telnet"},
                 {25, "SMTP"},     {53, "DNS"},          {80, "HTTP"},    {110, "POP3"},
                 {143, "IMAP"},    {443, "HTTPS"},       {445, "SMB"},    {587, "SMTP"},
                 {993, "IMAPS"},   {995, "POP3S"},       {1433, "MSSQL"}, {3306, "MySQL"},
                 {3389, "RDP"},    {5432, "PostgreSQL"}, {8080, "HTTP"},  {8443, "HTTPS"}};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (known[i].port == port)
            return known[i].name;
    return NULL;
}

/* Delivered everything it sent and never sent above `limit`: small packets
 * crossed this flow's path, and nothing of it was lost to any cause. */
bool compare_small_flow_works(const struct flow_summary *g, int d, uint32_t limit)
{
    const struct flow_dir_summary *x = &g->dir[d];
    return !g->stalled && x->dl_delivered && !x->dl_lost && (!limit || x->max_packet <= limit);
}

bool compare_later_view(const struct comparison *c, uint64_t flow)
{
    for (int i = 0; c && i < c->nrows; i++)
        for (int k = 1; k < c->rows[i].nviews && k < CMP_MAX_VIEWS; k++)
            if (c->rows[i].view_flows[k] == flow)
                return true;
    return false;
}

const char *compare_state_name(uint8_t state)
{
    switch (state) {
    case CMP_WORKS:
        return "works";
    case CMP_STALLS:
        return "stalls";
    case CMP_RECOVERED:
        return "recovered";
    default:
        return "untested";
    }
}

static void fill_end(struct cmp_end *e, const struct addr *a, uint16_t port,
                     const struct flow_dir_summary *x, uint8_t v)
{
    e->addr = *a;
    e->port = port;
    e->mss = x->mss;
    /* the speedguide reading: a host announces its interface MTU less the
     * IP and TCP headers without options (RFC 879, RFC 8200's 40-byte
     * header) */
    e->mtu = x->mss ? (uint16_t)(x->mss + (v == 6 ? 60 : 40)) : 0;
    e->wscale = x->wscale;
    e->ttl = x->ttl;
    e->sack = x->sack_permitted;
    e->timestamps = x->timestamps;
}

/* A TCP flow that carried data, as a row; false when it carried none. */
static bool make_row(const struct flow_summary *f, const struct inference *inf, struct cmp_row *r)
{
    if (f->proto != IP_PROTO_TCP || (!f->dir[0].dl_sent && !f->dir[1].dl_sent))
        return false;
    memset(r, 0, sizeof *r);
    r->flow = f->id;
    r->nviews = 1;
    r->view_flows[0] = f->id;
    r->view_inputs[0] = f->input;
    r->ip_version = f->ip_version;
    int d = f->dir[1].dl_sent > f->dir[0].dl_sent;
    const struct inf_blackhole *bh = inf ? inference_blackhole(inf, f->id) : NULL;
    if (bh)
        d = bh->dir;
    r->data_dir = (uint8_t)d;
    fill_end(&r->end[0], &f->client, f->client_port, &f->dir[0], f->ip_version);
    fill_end(&r->end[1], &f->server, f->server_port, &f->dir[1], f->ip_version);
    r->service = compare_service_name(f->server_port);
    for (int k = 0; k < 2; k++)
        if (!(bh && !bh->healed) && compare_small_flow_works(f, k, 0))
            r->clean_delivered[k] = f->dir[k].largest_delivered;
    const struct flow_dir_summary *x = &f->dir[d];
    r->largest_sent = x->max_packet;
    r->largest_delivered = x->largest_delivered;
    r->smallest_lost = x->smallest_lost;
    r->acked_bytes = x->acked_bytes;
    r->duration_ns = f->last_ns - f->first_ns;
    r->goodput_bps = r->acked_bytes && r->duration_ns > 0
                         ? (double)r->acked_bytes * 8e9 / (double)r->duration_ns
                         : -1;
    if (bh && !bh->healed) {
        r->state = CMP_STALLS;
        r->suspected = bh->suspected;
        if (bh->largest_delivered > r->largest_delivered)
            r->largest_delivered = bh->largest_delivered;
        /* seen from the receiver, the size is what the connection allows,
         * not a packet proven lost */
        r->smallest_lost = bh->suspected       ? 0
                           : bh->smallest_lost ? bh->smallest_lost
                                               : r->smallest_lost;
        r->stall_at = bh->suspected ? bh->smallest_lost : r->smallest_lost;
    } else if (bh || x->dl_lost)
        r->state = f->stalled ? CMP_STALLS : CMP_RECOVERED;
    if (r->state == CMP_STALLS && !r->stall_at)
        r->stall_at = r->smallest_lost;
    else if (f->stalled)
        r->state = CMP_STALLS;
    else if (x->dl_delivered)
        r->state = CMP_WORKS;
    else
        r->state = CMP_UNTESTED;
    return true;
}

static int key_cmp(const struct cmp_row *a, const struct cmp_row *b)
{
    int c = addr_cmp(&a->end[0].addr, &b->end[0].addr);
    if (!c)
        c = addr_cmp(&a->end[1].addr, &b->end[1].addr);
    if (!c)
        c = (int)a->end[0].port - (int)b->end[0].port;
    if (!c)
        c = (int)a->end[1].port - (int)b->end[1].port;
    return c;
}

static int by_key(const void *x, const void *y)
{
    const struct cmp_row *a = x, *b = y;
    int c = key_cmp(a, b);
    return c ? c : a->flow < b->flow ? -1 : a->flow > b->flow;
}

static int state_rank(uint8_t s)
{
    return s == CMP_STALLS ? 0 : s == CMP_RECOVERED ? 1 : s == CMP_WORKS ? 2 : 3;
}

static int by_listing(const void *x, const void *y)
{
    const struct cmp_row *a = x, *b = y;
    int c = state_rank(a->state) - state_rank(b->state);
    return c ? c : a->flow < b->flow ? -1 : a->flow > b->flow;
}

/* The same connection seen at two vantage points: the same addresses and
 * ports in another input.  Its views are one row; a stall seen at either
 * point is the connection's (a receiver sees what a sender cannot), and
 * what was delivered is the most any view proves. */
static void merge_view(struct cmp_row *a, const struct cmp_row *b)
{
    if (a->nviews < CMP_MAX_VIEWS) {
        a->view_flows[a->nviews] = b->flow;
        a->view_inputs[a->nviews] = b->view_inputs[0];
    }
    a->nviews++;
    if (state_rank(b->state) < state_rank(a->state)) {
        a->state = b->state;
        a->suspected = b->suspected;
        a->stall_at = b->stall_at;
    } else if (b->state == CMP_STALLS && a->suspected && !b->suspected) {
        a->suspected = false; /* a view that proves the loss wins */
        a->stall_at = b->stall_at;
    }
    if (b->largest_delivered > a->largest_delivered)
        a->largest_delivered = b->largest_delivered;
    if (b->smallest_lost && (!a->smallest_lost || b->smallest_lost < a->smallest_lost))
        a->smallest_lost = b->smallest_lost;
    if (b->largest_sent > a->largest_sent)
        a->largest_sent = b->largest_sent;
    for (int k = 0; k < 2; k++)
        if (b->clean_delivered[k] > a->clean_delivered[k])
            a->clean_delivered[k] = b->clean_delivered[k];
    if (b->goodput_bps > a->goodput_bps) {
        a->goodput_bps = b->goodput_bps;
        a->acked_bytes = b->acked_bytes;
        a->duration_ns = b->duration_ns;
    }
    for (int e = 0; e < 2; e++)
        if (!a->end[e].mss && b->end[e].mss)
            a->end[e] = b->end[e];
}

static bool same_time(const struct flow_summary *a, const struct flow_summary *b)
{
    /* clocks of two capture hosts differ by well under a second when
     * synchronised; 10 s is correlate.h's window for the same packet */
    const int64_t slack = 10000000000ll;
    return a->first_ns <= b->last_ns + slack && b->first_ns <= a->last_ns + slack;
}

/* The largest packet a working flow delivered on a part of the path it
 * shares with stalled flow s's data: one of its directions that delivered
 * everything, from the same sender as s's data or to the same receiver
 * (the server both download from, the client that runs both
 * applications), over the same IP version.  Packets from one sender leave
 * by the same links and tunnel, packets to one receiver arrive by them:
 * the bottleneck there limits both.  0 when they share none. */
static uint32_t shared_delivered(const struct cmp_row *s, const struct cmp_row *g)
{
    if (g->state != CMP_WORKS || s->ip_version != g->ip_version)
        return 0;
    const struct addr *ss = &s->end[s->data_dir].addr, *sr = &s->end[!s->data_dir].addr;
    uint32_t best = 0;
    for (int k = 0; k < 2; k++) {
        if (!g->clean_delivered[k])
            continue;
        if ((!addr_cmp(&g->end[k].addr, ss) || !addr_cmp(&g->end[!k].addr, sr)) &&
            g->clean_delivered[k] > best)
            best = g->clean_delivered[k];
    }
    return best;
}

/* "192.0.2.7, MSS 1240: #3 (HTTP), #4 (SMB)": rows grouped by their client,
 * the device that opened them (the phone, the PC), with the MSS it
 * announced: the size it lets the server send it. */
static void name_side(char **out, const struct cmp_row *const *rows, int n)
{
    bool *done = calloc((size_t)n ? (size_t)n : 1, sizeof *done);
    if (!done)
        return;
    int named = 0;
    for (int i = 0; i < n && named < CMP_MAX_NAMED; i++) {
        if (done[i])
            continue;
        const struct cmp_end *rx = &rows[i]->end[0];
        char a[64];
        addr_text(&rx->addr, a, sizeof a);
        if (rx->mss)
            inf_fmt(out, "%s%s%s, MSS %u:", *out ? *out : "", *out ? "; " : "", a, rx->mss);
        else
            inf_fmt(out, "%s%s%s:", *out ? *out : "", *out ? "; " : "", a);
        for (int k = i, first = 1; k < n && named < CMP_MAX_NAMED; k++) {
            const struct cmp_end *rk = &rows[k]->end[0];
            if (done[k] || addr_cmp(&rk->addr, &rx->addr) || rk->mss != rx->mss)
                continue;
            done[k] = true;
            named++;
            if (rows[k]->service)
                inf_fmt(out, "%s%s #%" PRIu64 " (%s)", *out, first ? "" : ",", rows[k]->flow,
                        rows[k]->service);
            else
                inf_fmt(out, "%s%s #%" PRIu64 " (port %u)", *out, first ? "" : ",", rows[k]->flow,
                        rows[k]->end[1].port);
            first = 0;
        }
    }
    if (named < n)
        inf_fmt(out, "%s and %d more", *out ? *out : "", n - named);
    free(done);
}

/* The fix's value when the fix proves one (never a bound: wording_fix.c
 * sets exact only for an MTU the evidence pins), and its WireGuard line. */
static void say_setting(struct comparison *c, const struct inference *inf)
{
    if (!inf || !inf->fix.exact || !inf->fix.mtu) {
        inf_fmt(&c->sentence,
                "%s; the exact MTU is not in %s: the fix above says how to measure it.",
                c->sentence, c->stalls_from ? "the capture (both are bounds)" : "the capture");
        return;
    }
    c->set_mtu = inf->fix.mtu;
    bool wg = inf_fix_has(&inf->fix, "wireguard-config");
    if (wg)
        inf_fmt(&c->sentence, "%s; set `MTU = %u` (the fix above).", c->sentence, c->set_mtu);
    else
        inf_fmt(&c->sentence, "%s; set the MTU to %u (the fix above).", c->sentence, c->set_mtu);
}

/* The sentence.  Stalled flows beside working flows that share a host with
 * them: when every such working flow's packets stayed below the size the
 * stalled ones failed at, packet size separates them, the signature of a
 * path MTU (a router drops or cannot forward what exceeds its link, and
 * nothing smaller).  When a working flow delivered packets as large as
 * those a stalled flow lost, size does not explain the stall, and that is
 * what is said. */
static void conclude(struct comparison *c, const struct cmp_row *all, size_t n,
                     const struct inference *inf)
{
    const struct cmp_row **w = calloc(n ? n : 1, sizeof *w), **s = calloc(n ? n : 1, sizeof *s);
    if (!w || !s) {
        free(w);
        free(s);
        return;
    }
    int nw = 0, ns = 0;
    uint32_t lower = 0, upper = 0, big = 0;
    const struct cmp_row *as_big = NULL, *as_big_stalled = NULL;
    uint32_t as_big_size = 0;
    bool proven = false;
    /* all[] lists the stalled rows first (by_listing): the first
     * CMP_MAX_STALLED of them are weighed, so a capture of thousands of
     * stalled connections costs O(CMP_MAX_STALLED x n), not O(n^2) */
    for (size_t i = 0, examined = 0; i < n && examined < CMP_MAX_STALLED; i++) {
        if (all[i].state != CMP_STALLS)
            continue;
        examined++;
        bool paired = false;
        for (size_t k = 0; k < n; k++) {
            uint32_t got = shared_delivered(&all[i], &all[k]);
            if (!got)
                continue;
            paired = true;
            /* only a loss proven says which size failed */
            if (!all[i].suspected && all[i].stall_at && got >= all[i].stall_at && !as_big) {
                as_big = &all[k];
                as_big_size = got;
                as_big_stalled = &all[i];
            }
        }
        if (!paired)
            continue;
        s[ns++] = &all[i];
        if (all[i].stall_at && (!big || all[i].stall_at < big))
            big = all[i].stall_at;
        proven |= !all[i].suspected;
        if (all[i].smallest_lost && (!upper || all[i].smallest_lost < upper))
            upper = all[i].smallest_lost;
    }
    for (size_t k = 0; k < n && ns; k++) {
        uint32_t best = 0;
        for (int i = 0; i < ns; i++) {
            uint32_t got = shared_delivered(s[i], &all[k]);
            best = got > best ? got : best;
        }
        if (!best)
            continue;
        w[nw++] = &all[k];
        lower = best > lower ? best : lower;
    }
    if (as_big) {
        inf_fmt(&c->sentence,
                "Packet size does not separate the flows that work from those that stall: "
                "#%" PRIu64 " delivered %u-byte packets while #%" PRIu64
                " stalls on %u-byte ones; look for another cause than the path MTU.",
                as_big->flow, as_big_size, as_big_stalled->flow, as_big_stalled->stall_at);
    } else if (nw && ns) {
        char *ws = NULL, *ss = NULL;
        name_side(&ws, w, nw);
        name_side(&ss, s, ns);
        c->works_up_to = lower;
        c->stalls_from = upper;
        if (!big)
            inf_fmt(&c->sentence,
                    "Flows whose packets stay at or below %u bytes work (%s); others stall (%s)",
                    lower, ws ? ws : "", ss ? ss : "");
        else if (proven)
            inf_fmt(&c->sentence,
                    "Flows whose packets stay at or below %u bytes work (%s); those sending "
                    "%u-byte packets stall (%s)",
                    lower, ws ? ws : "", big, ss ? ss : "");
        else /* seen from the receiver: what the MSS allows never arrived */
            inf_fmt(&c->sentence,
                    "Flows whose packets stay at or below %u bytes work (%s); those whose MSS "
                    "allows %u-byte packets stall, nothing that large arriving (%s)",
                    lower, ws ? ws : "", big, ss ? ss : "");
        if (upper > lower)
            inf_fmt(&c->sentence,
                    "%s: the path they share carries %u..%u bytes (%u crossed: a lower bound; %u "
                    "was lost: an upper bound)",
                    c->sentence, lower, upper - 1, lower, upper);
        else
            inf_fmt(&c->sentence,
                    "%s: the path they share carries at least %u bytes (nothing larger is proven "
                    "lost, seen from the receiving side)",
                    c->sentence, lower);
        say_setting(c, inf);
        inf_text_free(ws);
        inf_text_free(ss);
    }
    free(w);
    free(s);
}

struct comparison *compare_run(const struct results *res, const struct inference *inf)
{
    struct cmp_row *all = calloc(res->nflows ? res->nflows : 1, sizeof *all);
    if (!all)
        return NULL;
    size_t n = 0;
    for (uint32_t i = 0; i < res->nflows; i++)
        n += make_row(&res->flows[i], inf, &all[n]);
    /* Views merge only across inputs: with every row from one input (one
     * capture, the usual case) nothing merges, and the order by_listing
     * gives below is total (a flow id is in one row only), whatever the
     * order before it: the sort by key is skipped (on a capture of 1000
     * connections it cost about 50 instructions a packet). */
    bool one_input = true;
    for (size_t i = 1; i < n && one_input; i++)
        one_input = all[i].view_inputs[0] == all[0].view_inputs[0];
    if (!one_input)
        qsort(all, n, sizeof *all, by_key);
    /* the views of one connection are next to each other now */
    size_t m = one_input ? n : 0;
    for (size_t i = m; i < n; i++) {
        if (m && !key_cmp(&all[m - 1], &all[i]) &&
            all[m - 1].view_inputs[0] != all[i].view_inputs[0] &&
            same_time(results_flow(res, all[m - 1].flow), results_flow(res, all[i].flow))) {
            merge_view(&all[m - 1], &all[i]);
            continue;
        }
        all[m++] = all[i];
    }
    if (m < 2) {
        free(all);
        return NULL;
    }
    struct comparison *c = calloc(1, sizeof *c);
    if (!c) {
        free(all);
        return NULL;
    }
    qsort(all, m, sizeof *all, by_listing);
    conclude(c, all, m, inf);
    c->nrows = m < CMP_MAX_ROWS ? (int)m : CMP_MAX_ROWS;
    c->rows_unlisted = m - (size_t)c->nrows;
    memcpy(c->rows, all, (size_t)c->nrows * sizeof *all);
    free(all);
    return c;
}

void compare_free(struct comparison *c)
{
    if (!c)
        return;
    inf_text_free(c->sentence);
    free(c);
}
