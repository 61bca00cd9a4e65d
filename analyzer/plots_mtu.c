/*
 * plots_mtu.c - throughput against the MTU setting (issue 16 item 4): given
 * captures of the same transfer at several MTU settings, one capture per
 * setting, the goodput of each against its setting, the settings whose
 * transfer stalled marked, the recommended MTU drawn (chart mtu-goodput).
 *
 * An input's setting is read from what the capture shows of it:
 *   - the MSS its transfer's ends announced, the smaller of the two, plus 40
 *     (IPv4) or 60 (IPv6): a host announces its interface MTU less the IP
 *     and TCP headers (an MTU of 1374 gives an MSS of 1334), and the
 *     smaller of the two limits the transfer's packets both ways, whichever
 *     end's interface (a tunnel's, at one end or both) was set;
 *   - without a SYN, the largest inner packet of the tunnel the transfer
 *     rides in (a decoded tunnel: GRE, VXLAN, IP-in-IP), which full-size
 *     segments fill up to the tunnel's MTU.
 * An input's transfer is its TCP flow that delivered the most data (acked
 * bytes), or, when none did, the one that sent the most; its goodput is
 * the data bytes acknowledged * 8 over the flow's duration, its stall the
 * flow's (data outstanding and no progress by its end).
 *
 * The chart is drawn when at least two inputs have a transfer with a known
 * setting and the settings differ: captures of one transfer at several
 * vantage points share their setting, and say nothing about another.
 *
 * What is recommended is what the series proves: the largest setting whose
 * transfer delivered everything and did not stall, when every setting that
 * stalled is larger (a stall below a working setting is not the MTU's
 * doing, and then nothing is recommended from the series); and the fix's
 * MTU when the fix proves one (wording_fix.c).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "inference.h"
#include "inputs.h"
#include "plots_int.h"
#include "pmtud.h"
#include "stats.h"

#define MTU_SERIES_MAX 64 /* inputs drawn */

struct mtu_point {
    uint32_t setting;
    double kbps; /* < 0: nothing delivered */
    bool stalled;
    int input;
    uint64_t flow;
};

/* A flow the diagnosis says the setting broke: stalled, or a black hole
 * that did not heal (seen from the receiver nothing is outstanding). */
static bool broken(const struct inference *inf, const struct flow_summary *f)
{
    const struct inf_blackhole *bh = inf ? inference_blackhole(inf, f->id) : NULL;
    return f->stalled || (bh && !bh->healed);
}

/* The transfer of file `k` of input `in`: the TCP flow starting in it that
 * the setting broke (a stalled download beside a working echo is the
 * transfer: the echo's small packets test nothing), else the one with the
 * most acknowledged data, else the most data sent; NULL when none sent
 * data.  Files captured one after the other (one per setting) are read as
 * one input when they follow each other in time (inputs.h): a flow's file
 * is the one its first frame is in. */
static const struct flow_summary *transfer_of(const struct results *res,
                                              const struct inference *inf,
                                              const struct input_stats *s, int in, int k)
{
    const struct flow_summary *best = NULL;
    bool best_broken = false;
    uint64_t best_acked = 0, best_sent = 0;
    for (uint32_t i = 0; i < res->nflows; i++) {
        const struct flow_summary *f = &res->flows[i];
        uint64_t n;
        if (f->input != in || f->proto != IP_PROTO_TCP ||
            (s->group && inputs_frame_file(s->group, f->first_frame, &n) != k))
            continue;
        uint64_t acked = (uint64_t)f->dir[0].acked_bytes + f->dir[1].acked_bytes;
        uint64_t sent = (uint64_t)f->dir[0].dl_sent + f->dir[1].dl_sent;
        if (!sent)
            continue;
        bool b = broken(inf, f);
        if (!best || (b && !best_broken) ||
            (b == best_broken &&
             (acked > best_acked || (acked == best_acked && sent > best_sent)))) {
            best = f;
            best_broken = b;
            best_acked = acked;
            best_sent = sent;
        }
    }
    return best;
}

/* The MTU setting its capture shows (see above); 0 unknown. */
static uint32_t setting_of(const struct results *res, const struct flow_summary *f)
{
    uint32_t mss = f->dir[0].mss && f->dir[1].mss
                       ? (f->dir[0].mss < f->dir[1].mss ? f->dir[0].mss : f->dir[1].mss)
                       : (f->dir[0].mss | f->dir[1].mss);
    if (mss)
        return mss + (f->ip_version == 6 ? 60 : 40);
    for (uint32_t i = 0; f->tunnel && i < res->ntunnels; i++)
        if (res->tunnels[i].id == f->tunnel)
            return res->tunnels[i].inner_max;
    return 0;
}

static int by_setting(const void *x, const void *y)
{
    const struct mtu_point *a = x, *b = y;
    if (a->setting != b->setting)
        return a->setting < b->setting ? -1 : 1;
    return a->input - b->input;
}

/* The largest setting that worked, below every setting that stalled; 0
 * when the series does not show one. */
static uint32_t series_recommends(const struct mtu_point *pt, int n)
{
    uint32_t best = 0, lowest_stall = 0;
    for (int i = 0; i < n; i++) {
        if (pt[i].stalled) {
            if (!lowest_stall || pt[i].setting < lowest_stall)
                lowest_stall = pt[i].setting;
        } else if (pt[i].kbps > 0 && pt[i].setting > best) {
            best = pt[i].setting;
        }
    }
    if (!best || (lowest_stall && lowest_stall <= best))
        return 0;
    /* a setting that worked and one that stalled at the same value would
     * be two transfers disagreeing: caught by lowest_stall <= best */
    return best;
}

static void vline(FILE *gp, int id, uint32_t x, const char *label, const char *color, int row)
{
    fprintf(gp, "set arrow %d from %u, graph 0 to %u, graph 1 nohead lw 2 dt 2 lc rgb '%s' front\n",
            id, x, x, color);
    fprintf(gp, "set label %d ", id);
    plots_gp_string(gp, label);
    fprintf(gp, " at %u, graph %.2f right offset -0.6,0 tc rgb '%s' front noenhanced\n", x,
            0.92 - 0.06 * row, color);
}

bool plots_mtu_series(const char *dir, const char *tdir, const struct report_data *r,
                      struct plots *p, FILE *err)
{
    const struct results *res = r->res;
    struct mtu_point pt[MTU_SERIES_MAX];
    int n = 0, capture = 0;
    for (int in = 0; in < r->ninputs && n < MTU_SERIES_MAX; in++) {
        int nfiles = r->inputs[in]->group ? r->inputs[in]->group->nfiles : 1;
        for (int k = 0; k < nfiles && n < MTU_SERIES_MAX; k++) {
            capture++;
            const struct flow_summary *f = transfer_of(res, r->inf, r->inputs[in], in, k);
            uint32_t s = f ? setting_of(res, f) : 0;
            if (!s)
                continue;
            double dur = (double)(f->last_ns - f->first_ns) / 1e9;
            uint64_t acked = (uint64_t)f->dir[0].acked_bytes + f->dir[1].acked_bytes;
            pt[n].setting = s;
            pt[n].kbps = acked && dur > 0 ? (double)acked * 8 / 1e3 / dur : -1;
            pt[n].stalled = broken(r->inf, f); /* as the goodput chart colours it */
            pt[n].input = capture - 1;
            pt[n].flow = f->id;
            n++;
        }
    }
    bool differ = false;
    for (int i = 1; i < n; i++)
        differ |= pt[i].setting != pt[0].setting;
    if (n < 2 || !differ)
        return true; /* not a series: no chart, nothing to say */
    qsort(pt, (size_t)n, sizeof *pt, by_setting);

    const char *name = "mtu-goodput";
    FILE *dat = plots_open_out(dir, name, "dat", err);
    if (!dat)
        return false;
    double ymax = 0;
    for (int i = 0; i < n; i++)
        ymax = pt[i].kbps > ymax ? pt[i].kbps : ymax;
    fprintf(dat, "# goodput of each input's transfer against its MTU setting\n"
                 "# setting_bytes goodput_kbps stalled(0/1) capture(file, from 1) flow label\n");
    for (int i = 0; i < n; i++) {
        /* a transfer that delivered nothing is drawn at 0 */
        fprintf(dat, "%u %.6g %d %d %" PRIu64 " \"MTU %u%s\"\n", pt[i].setting,
                pt[i].kbps > 0 ? pt[i].kbps : 0.0, pt[i].stalled ? 1 : 0, pt[i].input + 1,
                pt[i].flow, pt[i].setting, pt[i].stalled ? ", stalled" : "");
    }
    if (!plots_close_out(dat, dir, name, "dat", err))
        return false;

    uint32_t rec = series_recommends(pt, n);
    uint32_t fix = r->inf && r->inf->fix.exact ? r->inf->fix.mtu : 0;
    uint32_t xmin = pt[0].setting, xmax = pt[n - 1].setting;
    if (fix && fix < xmin)
        xmin = fix;
    if (fix > xmax)
        xmax = fix;
    char title[PLOTS_TEXT];
    snprintf(title, sizeof title, "Goodput against the MTU setting (%d captures)", n);
    FILE *gp = plots_gp_begin(dir, name, "mtu-goodput", title, true, err);
    if (!gp)
        return false;
    uint32_t pad = (xmax - xmin) / 10 + 10;
    fprintf(gp, "xmin = %u\nxmax = %u\nymax = %g\n", xmin > pad ? xmin - pad : 0, xmax + pad,
            ymax > 0 ? ymax * 1.25 : 1.0);
    int row = 0;
    char label[96];
    if (rec) {
        snprintf(label, sizeof label, "largest setting that worked: %u", rec);
        vline(gp, 10, rec, label, "#2ca02c", row++);
    }
    if (fix && fix != rec) {
        snprintf(label, sizeof label, "the fix: MTU %u", fix);
        vline(gp, 11, fix, label, "#9467bd", row++);
    } else if (fix) {
        fprintf(gp,
                "set label 12 'the fix sets it too' at %u, graph %.2f right offset -0.6,0 "
                "tc rgb '#9467bd' front\n",
                fix, 0.92 - 0.06 * row);
    }
    if (!plots_gp_finish(gp, dir, name, tdir, "mtu-goodput", err))
        return false;
    plots_add_chart(p, name, title,
                    "One point per capture: the goodput of its transfer against the MTU setting "
                    "it shows (its MSS + 40, + 60 over IPv6); stalled transfers in red at the "
                    "bottom; the line is the largest setting that worked below every one that "
                    "stalled.");
    return true;
}

/* ------------------------------------------------------- ping sweep */

/* A DF ping sweep (pmtud.h): echo requests of several sizes, answered
 * and unanswered by size (issue 16 item 7), the path MTU marked: exact when
 * the answered sizes meet the unanswered ones (the inference's path), else
 * the largest answered and the smallest unanswered, the two bounds.  One
 * chart, for the first sweep that found a cliff (else the first sweep): the
 * one the verdict speaks of. */
static const struct pmtud_sweep *chosen_sweep(const struct results *res)
{
    const struct pmtud_sweep *first = NULL;
    for (int i = 0; res->pmtud && i < pmtud_nsweeps(res->pmtud); i++) {
        const struct pmtud_sweep *s = pmtud_sweep_get(res->pmtud, i);
        if (s->sizes < 3 || !s->nby_size) /* a plain ping, not a sweep (inf_measured.c) */
            continue;
        if (s->largest_answered && s->smallest_unanswered > s->largest_answered)
            return s;
        if (!first)
            first = s;
    }
    return first;
}

bool plots_ping_sweep(const char *dir, const char *tdir, const struct report_data *r,
                      struct plots *p, FILE *err)
{
    const struct pmtud_sweep *s = chosen_sweep(r->res);
    if (!s)
        return true;
    const char *name = "ping-sweep";
    FILE *dat = plots_open_out(dir, name, "dat", err);
    if (!dat)
        return false;
    fprintf(dat, "# echo requests by IP size: answered, unanswered\n"
                 "# size_bytes answered unanswered\n");
    uint32_t xmin = UINT32_MAX, xmax = 0, ymax = 1;
    /* in the order of size: the table is in the order first seen */
    uint32_t last = 0;
    for (int n = 0; n < s->nby_size; n++) {
        int best = -1;
        for (int i = 0; i < s->nby_size; i++)
            if (s->by_size[i].size > last &&
                (best < 0 || s->by_size[i].size < s->by_size[best].size))
                best = i;
        if (best < 0)
            break;
        last = s->by_size[best].size;
        fprintf(dat, "%u %u %u\n", s->by_size[best].size, s->by_size[best].answered,
                s->by_size[best].unanswered);
        xmin = last < xmin ? last : xmin;
        xmax = last > xmax ? last : xmax;
        uint32_t hi = s->by_size[best].answered > s->by_size[best].unanswered
                          ? s->by_size[best].answered
                          : s->by_size[best].unanswered;
        ymax = hi > ymax ? hi : ymax;
    }
    if (!plots_close_out(dat, dir, name, "dat", err))
        return false;
    uint32_t exact = 0;
    for (int i = 0; r->inf && i < r->inf->npaths; i++) {
        const struct inf_path *pa = &r->inf->paths[i];
        if (!addr_cmp(&pa->src, &s->src) && !addr_cmp(&pa->dst, &s->dst) && pa->mtu)
            exact = pa->mtu;
    }
    char a[64], b[64], title[PLOTS_TEXT];
    snprintf(
        title, sizeof title, "Ping sweep %s -> %s: echo requests by size (%u sent, %u answered)",
        addr_text(&s->src, a, sizeof a), addr_text(&s->dst, b, sizeof b), s->requests, s->answered);
    FILE *gp = plots_gp_begin(dir, name, "ping-sweep", title, true, err);
    if (!gp)
        return false;
    uint32_t pad = (xmax - xmin) / 10 + 10;
    fprintf(gp, "xmin = %u\nxmax = %u\nymax = %u\n", xmin > pad ? xmin - pad : 0, xmax + pad, ymax);
    char label[96];
    if (exact) {
        snprintf(label, sizeof label, "path MTU %u", exact);
        vline(gp, 10, exact, label, "#9467bd", 0);
    } else {
        if (s->largest_answered) {
            snprintf(label, sizeof label, "largest answered: %u", s->largest_answered);
            vline(gp, 10, s->largest_answered, label, "#2ca02c", 0);
        }
        if (s->smallest_unanswered > s->largest_answered) {
            snprintf(label, sizeof label, "smallest unanswered: %u", s->smallest_unanswered);
            vline(gp, 11, s->smallest_unanswered, label, "#d62728", 1);
        }
    }
    if (!plots_gp_finish(gp, dir, name, tdir, "ping-sweep", err))
        return false;
    plots_add_chart(p, name, title,
                    "Each echo request size: how many were answered (up, green) and how many were "
                    "not (down, red); the path MTU where the answered sizes meet the unanswered "
                    "ones, else the two bounds.");
    return true;
}
