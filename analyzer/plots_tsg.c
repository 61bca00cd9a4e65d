/*
 * plots_tsg.c - the charts drawn from a second read of the inputs (plots.h):
 * the time-sequence graphs of the flagged TCP flows and the retransmission
 * timeline.  The report stages keep summaries of bounded size, and a
 * time-sequence graph needs every segment: the second read writes rows
 * straight into the data files, so memory stays fixed whatever the
 * capture's length.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "inference.h"
#include "pipeline.h"
#include "plots_int.h"
#include "plots_ladder.h"
#include "plots_spill.h"

#define TL_BINS 120         /* retransmission timeline intervals, at most */
#define TSG_MAX_ROWS 200000 /* data rows per time-sequence graph (~6 MB) */
/* A long flow is drawn downsampled, not cut: a 1200-pixel-wide picture
 * shows no more than a column of pixels per TSG_BUCKETS-th of the flow's
 * time.  Past TSG_FULL packets, each bucket keeps its first and last new
 * segment and the lowest and highest (the extremes: a hole or a jump
 * stays visible), up to TSG_RETX_KEPT retransmissions (the story of the
 * chart, red), and the first and last ACK (the step line).  At most
 * TSG_BUCKETS * (4 + TSG_RETX_KEPT + 2) rows, whatever the flow's length:
 * a healthy 6-minute transfer is drawn whole, not stopped at a cut. */
#define TSG_FULL 20000
#define TSG_BUCKETS 2000
#define TSG_RETX_KEPT 8
#define TSG_MAX_ICMP_LINES 40 /* frag-needed arrivals marked per graph */

static int64_t to_ns(int64_t sec, uint32_t nsec)
{
    return sec * 1000000000LL + (int64_t)nsec;
}

/* A row held back until its bucket ends (downsampling). */
struct tsg_row {
    bool set;
    int retx;
    double rel;
    uint32_t s, e; /* data: first and end sequence; an ACK: s */
};

struct tsg {
    const struct flow_summary *f;
    uint8_t dir; /* the data direction drawn */
    bool base_set, ack_set;
    uint32_t base, last_ack;
    uint64_t rows;
    bool truncated;
    int64_t bucket_ns; /* 0: every row drawn */
    int64_t bucket;    /* the bucket the held rows are in */
    struct tsg_row first, last, lo, hi, ack_first, ack_last;
    uint32_t retx_kept;       /* in this bucket */
    uint64_t segs, segs_kept; /* data segments seen and drawn */
    FILE *dat, *acks;         /* acks: the second data block, appended at the end */
    char name[64];
};

struct replay {
    struct tsg tsg[PLOTS_MAX_TSG];
    int ntsg;
    int64_t t0_ns, bin_ns;
    int nbins;
    uint64_t retx[TL_BINS + 2], pkts[TL_BINS + 2];
    struct plots_ladder *ladder; /* the ladder diagram's collector (plots_ladder.h) */
    bool ladder_enough;          /* the ladder's own read: it has all it can use */
};

static void put_data(struct tsg *g, const struct tsg_row *r)
{
    fprintf(g->dat, "%.6f %d %u %u\n", r->rel, r->retx, r->s, r->e);
    g->rows++;
    g->segs_kept++;
}

static void put_ack(struct tsg *g, const struct tsg_row *r)
{
    fprintf(g->acks, "%.6f %u\n", r->rel, r->s);
    g->rows++;
}

static bool same_row(const struct tsg_row *a, const struct tsg_row *b)
{
    return a->rel == b->rel && a->s == b->s && a->e == b->e;
}

/* The rows a bucket kept, once it ends: the data rows each once (first,
 * lowest, highest, last may be the same segment), the ACKs in time order
 * (the step line needs it). */
static void flush_bucket(struct tsg *g)
{
    const struct tsg_row *keep[4] = {&g->first, &g->lo, &g->hi, &g->last};
    for (int i = 0; i < 4; i++) {
        if (!keep[i]->set)
            continue;
        bool dup = false;
        for (int j = 0; j < i; j++)
            dup = dup || (keep[j]->set && same_row(keep[j], keep[i]));
        if (!dup)
            put_data(g, keep[i]);
    }
    if (g->ack_first.set)
        put_ack(g, &g->ack_first);
    if (g->ack_last.set && !same_row(&g->ack_first, &g->ack_last))
        put_ack(g, &g->ack_last);
    g->first.set = g->last.set = g->lo.set = g->hi.set = false;
    g->ack_first.set = g->ack_last.set = false;
    g->retx_kept = 0;
}

/* Moves to the bucket of time t (ns since the flow's first packet). */
static void to_bucket(struct tsg *g, int64_t since_ns)
{
    int64_t b = since_ns > 0 ? since_ns / g->bucket_ns : 0;
    if (b != g->bucket) {
        flush_bucket(g);
        g->bucket = b;
    }
}

static void add_data(struct tsg *g, const struct tsg_row *r, int64_t since_ns)
{
    g->segs++;
    if (!g->bucket_ns) {
        if (g->rows >= TSG_MAX_ROWS) {
            g->truncated = true;
            return;
        }
        put_data(g, r);
        return;
    }
    to_bucket(g, since_ns);
    if (r->retx && g->retx_kept < TSG_RETX_KEPT) {
        put_data(g, r); /* retransmissions as they come: they are the story */
        g->retx_kept++;
        return;
    }
    if (r->retx)
        return; /* more in this column of pixels than can be told apart */
    if (!g->first.set)
        g->first = *r;
    g->last = *r;
    if (!g->lo.set || r->s < g->lo.s)
        g->lo = *r;
    if (!g->hi.set || r->e > g->hi.e)
        g->hi = *r;
}

static void add_ack(struct tsg *g, const struct tsg_row *r, int64_t since_ns)
{
    if (!g->bucket_ns) {
        if (g->rows >= TSG_MAX_ROWS) {
            g->truncated = true;
            return;
        }
        put_ack(g, r);
        return;
    }
    to_bucket(g, since_ns);
    if (!g->ack_first.set)
        g->ack_first = *r;
    g->ack_last = *r;
}

/* One packet for the timeline and the time-sequence graphs, as the first
 * pass recorded it (plots_spill.h) or as a second read converts it. */
static void chart_packet(struct replay *rp, const struct chart_rec *c)
{
    int64_t t = c->t_ns;
    if (rp->nbins) {
        int64_t b = (t - rp->t0_ns) / rp->bin_ns;
        if (b < 0)
            b = 0;
        if (b >= rp->nbins)
            b = rp->nbins - 1;
        rp->pkts[b]++;
        if (c->bits & CR_RETX)
            rp->retx[b]++;
    }
    if (!c->flow)
        return;
    for (int i = 0; i < rp->ntsg; i++) {
        struct tsg *g = &rp->tsg[i];
        if (g->f->id != c->flow)
            continue;
        if (!(c->bits & CR_TCP))
            return;
        double rel = (double)(t - g->f->first_ns) / 1e9;
        if (c->dir == g->dir) {
            if (!g->base_set && (c->tcp_flags & TCPF_SYN)) {
                g->base = c->seq + 1; /* relative sequence 0 is the first data byte */
                g->base_set = true;
            }
            if (!c->payload_len)
                return;
            if (!g->base_set) {
                g->base = c->seq;
                g->base_set = true;
            }
            uint32_t s = c->seq - g->base; /* modulo 2^32, as TCP compares */
            struct tsg_row r = {true, (c->bits & CR_RETX) ? 1 : 0, rel, s, s + c->payload_len};
            add_data(g, &r, t - g->f->first_ns);
        } else if ((c->tcp_flags & TCPF_ACK) && g->base_set) {
            uint32_t a = c->ack - g->base;
            if (a > (1u << 31)) /* an ACK of the SYN, before the first data byte */
                a = 0;
            if (g->ack_set && a == g->last_ack)
                return;
            g->last_ack = a;
            g->ack_set = true;
            struct tsg_row r = {true, 0, rel, a, a};
            add_ack(g, &r, t - g->f->first_ns);
        }
        return;
    }
}

/* A packet of a second read for every chart (no records of the first
 * pass). */
static void replay_packet(void *ctx, const struct packet *pkt, const struct flow_pkt *fp)
{
    struct replay *rp = ctx;
    plots_ladder_packet(rp->ladder, pkt, fp);
    struct chart_rec c;
    chart_rec_from(pkt, fp, &c);
    chart_packet(rp, &c);
}

/* A packet of the ladder's own read (the first pass's records drew the
 * rest): it stops once the ladder has all it can use. */
static void ladder_packet(void *ctx, const struct packet *pkt, const struct flow_pkt *fp)
{
    struct replay *rp = ctx;
    plots_ladder_packet(rp->ladder, pkt, fp);
    rp->ladder_enough = plots_ladder_enough(rp->ladder, pkt);
}

/* The flows drawn: those with a black hole first, then stalled ones, then
 * those that retransmitted; when none is flagged, the TCP flow that carried
 * most, as the healthy picture. */
static int pick_tsg(const struct report_data *r, const struct flow_summary **out, bool *flagged)
{
    const struct results *res = r->res;
    int n = 0;
    for (int pass = 0; pass < 3; pass++)
        for (uint32_t i = 0; i < res->nflows && n < PLOTS_MAX_TSG; i++) {
            const struct flow_summary *f = &res->flows[i];
            if (f->proto != IP_PROTO_TCP)
                continue;
            bool bh = r->inf && inference_blackhole(r->inf, f->id);
            if (pass == 0   ? bh
                : pass == 1 ? !bh && f->stalled
                            : !bh && !f->stalled && f->retransmissions)
                out[n++] = f;
        }
    *flagged = n > 0;
    if (n)
        return n;
    const struct flow_summary *best = NULL;
    for (uint32_t i = 0; i < res->nflows; i++) {
        const struct flow_summary *f = &res->flows[i];
        if (f->proto == IP_PROTO_TCP &&
            (!best || f->dir[0].bytes + f->dir[1].bytes > best->dir[0].bytes + best->dir[1].bytes))
            best = f;
    }
    if (best)
        out[n++] = best;
    return n;
}

/* The direction a graph follows: the one that stalled, else the one that
 * retransmitted more, else the one that sent more data. */
static uint8_t tsg_dir(const struct flow_summary *f)
{
    const struct flow_dir_summary *c = &f->dir[0], *s = &f->dir[1];
    if (c->stalled != s->stalled)
        return s->stalled ? 1 : 0;
    if (c->tcp.retrans != s->tcp.retrans)
        return s->tcp.retrans > c->tcp.retrans ? 1 : 0;
    return s->bytes > c->bytes ? 1 : 0;
}

static void bin_label(int64_t ns, char *buf, size_t size)
{
    if (ns >= 1000000000LL)
        snprintf(buf, size, "%g s", (double)ns / 1e9);
    else
        snprintf(buf, size, "%g ms", (double)ns / 1e6);
}

/* The interval: about TL_BINS across the capture, rounded up to 1, 2 or 5
 * times a power of ten, at least a millisecond. */
static int64_t nice_bin(int64_t dur_ns)
{
    int64_t raw = dur_ns / TL_BINS + 1, step = 1000000;
    for (;;) {
        if (step >= raw)
            return step;
        if (2 * step >= raw)
            return 2 * step;
        if (5 * step >= raw)
            return 5 * step;
        step *= 10;
    }
}

static bool write_tsg_script(const char *dir, const char *tdir, const struct report_data *r,
                             struct tsg *g, bool flagged, struct plots *p, FILE *err)
{
    const struct flow_summary *f = g->f;
    const struct flow_dir_summary *x = &f->dir[g->dir];
    char a[64], b[64], title[PLOTS_TEXT], what[PLOTS_TEXT];
    const struct addr *src = g->dir ? &f->server : &f->client;
    const struct addr *dst = g->dir ? &f->client : &f->server;
    uint16_t sp = g->dir ? f->server_port : f->client_port;
    uint16_t dp = g->dir ? f->client_port : f->server_port;
    snprintf(
        title, sizeof title,
        "Time-sequence graph, flow #%" PRIu64 ": %s:%u -> %s:%u (%" PRIu64 " retransmissions%s%s)",
        f->id, addr_text(src, a, sizeof a), sp, addr_text(dst, b, sizeof b), dp, f->retransmissions,
        x->stalled ? ", stalled" : "", flagged ? "" : ", the busiest flow");
    snprintf(what, sizeof what,
             "Sequence number against time for the %s data of flow #%" PRIu64
             ": blue bars are segments, red ones retransmissions, the green steps the peer's "
             "ACKs%s.%s",
             plots_dir_long[g->dir], f->id, x->stalled ? ", the shaded band the stall" : "",
             g->truncated ? " (only the first rows are drawn)" : "");
    if (g->bucket_ns) {
        size_t n = strlen(what);
        snprintf(what + n, sizeof what - n,
                 " Downsampled: %" PRIu64 " of %" PRIu64
                 " data segments drawn (per slice of time the first, last, lowest, highest "
                 "and retransmissions).",
                 g->segs_kept, g->segs);
    }

    FILE *gp = plots_gp_begin(dir, g->name, "tsg", title, g->rows > 0, err);
    if (!gp)
        return false;
    int nicmp = 0;
    for (int i = 0; i < r->ninputs; i++) {
        const struct input_stats *s = r->inputs[i];
        for (int k = 0; k < s->nicmp && nicmp < TSG_MAX_ICMP_LINES; k++) {
            const struct icmp_mtu_msg *m = &s->icmp[k];
            if (m->flow != f->id)
                continue;
            double t = (double)(to_ns(m->ts_sec, m->ts_nsec) - f->first_ns) / 1e9;
            fprintf(gp,
                    "set arrow %d from %.6f, graph 0 to %.6f, graph 1 nohead lw 2 lc rgb "
                    "'#9467bd' front\n",
                    10 + nicmp, t, t);
            if (nicmp == 0)
                fprintf(gp,
                        "set label 9 '%s MTU %u' at %.6f, graph 0.03 left offset 0.5,0 tc rgb "
                        "'#9467bd' front\n",
                        m->v6 ? "packet-too-big" : "frag-needed", m->mtu, t);
            nicmp++;
        }
    }
    fprintf(gp, "nicmp = %d\nstalled = %d\n", nicmp, x->stalled ? 1 : 0);
    if (x->stalled && x->stall_ns) {
        double t1 = (double)(x->stall_ns - f->first_ns) / 1e9;
        double t2 = (double)(f->last_ns - f->first_ns) / 1e9;
        if (t2 <= t1)
            t2 = t1 + 0.001;
        fprintf(gp,
                "set object 1 rect from %.6f, graph 0 to %.6f, graph 1 fc rgb '#ffbb78' fs "
                "solid 0.5 noborder behind\n",
                t1, t2);
        fprintf(gp,
                "set label 8 'stalled from frame %u: data outstanding, no progress' at %.6f, "
                "graph 0.5 left offset 0.5,0 front\n",
                x->stall_frame, t1);
    }
    if (!plots_gp_finish(gp, dir, g->name, tdir, "tsg", err))
        return false;
    plots_add_chart(p, g->name, title, what);
    return true;
}

/* No TCP flow at all (a capture of the outside of an encrypted tunnel, a
 * ping sweep): the chart says so, and where to look instead. */
static bool write_tsg_empty(const char *dir, const char *tdir, const struct report_data *r,
                            struct plots *p, FILE *err)
{
    const char *name = "tsg";
    bool opaque = false;
    for (uint32_t i = 0; i < r->res->nflows; i++)
        opaque |= r->res->flows[i].opaque != 0;
    FILE *dat = plots_open_out(dir, name, "dat", err);
    if (!dat)
        return false;
    fprintf(dat, "# no TCP flow in this capture\n");
    if (!plots_close_out(dat, dir, name, "dat", err))
        return false;
    const char *title = "Time-sequence graph: no TCP flow in this capture";
    FILE *gp = plots_gp_begin(dir, name, "tsg", title, false, err);
    if (!gp)
        return false;
    fprintf(gp, "nicmp = 0\nstalled = 0\n");
    if (opaque)
        fprintf(gp, "set label 2 'the TCP flows ride inside an encrypted tunnel: capture "
                    "the tunnel interface to see them' at graph 0.5, graph 0.42 center\n");
    if (!plots_gp_finish(gp, dir, name, tdir, "tsg", err))
        return false;
    plots_add_chart(p, name, title,
                    opaque ? "No TCP flow is visible here: the traffic is inside an encrypted "
                             "tunnel; a capture of the tunnel interface shows its flows."
                           : "No TCP flow in this capture, so there is no sequence to draw.");
    return true;
}

static bool write_timeline(const char *dir, const char *tdir, const struct report_data *r,
                           const struct replay *rp, struct plots *p, FILE *err)
{
    const char *name = "retrans-timeline";
    FILE *dat = plots_open_out(dir, name, "dat", err);
    if (!dat)
        return false;
    char bl[32];
    bin_label(rp->bin_ns, bl, sizeof bl);
    uint64_t total = 0, peak = 0;
    fprintf(dat, "# per interval of %s: start_s tcp_retransmissions packets\n", bl);
    for (int i = 0; i < rp->nbins; i++) {
        fprintf(dat, "%.6f %" PRIu64 " %" PRIu64 "\n", (double)(i * rp->bin_ns) / 1e9, rp->retx[i],
                rp->pkts[i]);
        total += rp->retx[i];
        if (rp->retx[i] > peak)
            peak = rp->retx[i];
    }
    if (!plots_close_out(dat, dir, name, "dat", err))
        return false;
    const struct results *res = r->res;
    char title[PLOTS_TEXT];
    snprintf(title, sizeof title,
             "TCP retransmissions over time (%" PRIu64 " retransmissions, %u storm%s)", total,
             res->nstorms, res->nstorms == 1 ? "" : "s");
    FILE *gp = plots_gp_begin(dir, name, "retrans-timeline", title, rp->nbins > 0, err);
    if (!gp)
        return false;
    fprintf(gp, "bin_label = ");
    plots_gp_string(gp, bl);
    fprintf(gp, "\nbinw = %.6f\nnstorms = %u\n", (double)rp->bin_ns / 1e9, res->nstorms);
    if (peak < 8) /* counts: no fractional tics */
        fprintf(gp, "set ytics 1\nset yrange [0:%" PRIu64 "]\n", peak + 1);
    for (uint32_t i = 0; i < res->nstorms && i < 200; i++) {
        const struct flow_storm *st = &res->storms[i];
        double t1 = (double)(st->start_ns - rp->t0_ns) / 1e9;
        double t2 = (double)(st->end_ns - rp->t0_ns) / 1e9;
        if (t2 - t1 < (double)rp->bin_ns / 1e9 / 2) /* keep a short storm visible */
            t2 = t1 + (double)rp->bin_ns / 1e9 / 2;
        fprintf(gp,
                "set object %u rect from %.6f, graph 0 to %.6f, graph 1 fc rgb '#ffd0d0' fs "
                "solid 0.6 noborder behind\n",
                10 + i, t1, t2);
    }
    if (!plots_gp_finish(gp, dir, name, tdir, "retrans-timeline", err))
        return false;
    plots_add_chart(
        p, name, title,
        "Red bars: TCP retransmissions per interval across the capture; grey steps: all "
        "packets per interval; shaded: retransmission storms.");
    return true;
}

/* Copies the ACK block after the segments: gnuplot's index 1. */
static bool tsg_close(struct tsg *g, const char *dir, FILE *err)
{
    bool ok = true;
    if (g->bucket_ns)
        flush_bucket(g); /* the last bucket's rows */
    if (g->acks) {
        fprintf(g->dat, "\n\n# index 1: time_s acked_relative_seq\n");
        if (!g->ack_set) /* gnuplot wants a row in every block it is told to read */
            fprintf(g->dat, "0 0\n");
        rewind(g->acks);
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, g->acks)) > 0)
            fwrite(buf, 1, n, g->dat);
        /* the last ACK held to the flow's end: a stall shows as a flat line */
        if (g->ack_set)
            fprintf(g->dat, "%.6f %u\n", (double)(g->f->last_ns - g->f->first_ns) / 1e9,
                    g->last_ack);
        fclose(g->acks);
        g->acks = NULL;
    }
    if (g->dat) {
        ok = plots_close_out(g->dat, dir, g->name, "dat", err);
        g->dat = NULL;
    }
    return ok;
}

/* The timeline's intervals: about TL_BINS across all the inputs' span. */
static void replay_bins(struct replay *rp, const struct report_data *r)
{
    bool have_time = false;
    int64_t t1 = 0;
    for (int i = 0; i < r->ninputs; i++) {
        const struct input_stats *s = r->inputs[i];
        if (!s->has_time)
            continue;
        int64_t a = to_ns(s->first_sec, s->first_nsec), b = to_ns(s->last_sec, s->last_nsec);
        if (!have_time || a < rp->t0_ns)
            rp->t0_ns = a;
        if (!have_time || b > t1)
            t1 = b;
        have_time = true;
    }
    if (have_time) {
        rp->bin_ns = nice_bin(t1 - rp->t0_ns);
        rp->nbins = (int)((t1 - rp->t0_ns) / rp->bin_ns) + 1;
        if (rp->nbins > TL_BINS + 2)
            rp->nbins = TL_BINS + 2;
    } else {
        rp->bin_ns = 1000000;
    }
}

/* Picks the flows to graph and opens their data files (and the temporary
 * file of their ACKs); *flagged: they have problems.  False, said on err,
 * when a file cannot be opened: the caller closes those that were. */
static bool tsg_open(struct replay *rp, const char *dir, const struct report_data *r, bool *flagged,
                     FILE *err)
{
    const struct flow_summary *picked[PLOTS_MAX_TSG];
    rp->ntsg = pick_tsg(r, picked, flagged);
    for (int i = 0; i < rp->ntsg; i++) {
        struct tsg *g = &rp->tsg[i];
        g->f = picked[i];
        const struct inf_blackhole *bh = r->inf ? inference_blackhole(r->inf, g->f->id) : NULL;
        g->dir = bh ? bh->dir : tsg_dir(g->f);
        uint64_t pkts = g->f->dir[0].packets + g->f->dir[1].packets;
        int64_t span = g->f->last_ns - g->f->first_ns;
        if (pkts > TSG_FULL && span > 0)
            g->bucket_ns = span / TSG_BUCKETS + 1;
        snprintf(g->name, sizeof g->name, "tsg-flow%" PRIu64, g->f->id);
        g->dat = plots_open_out(dir, g->name, "dat", err);
        g->acks = tmpfile();
        if (!g->dat || !g->acks) {
            if (!g->acks)
                fprintf(err, "mtuscope: temporary file: %s\n", strerror(errno));
            return false;
        }
        fprintf(g->dat,
                "# flow #%" PRIu64 ", %s data; index 0: time_s retransmission(0/1) "
                "seq_first seq_end (relative: 0 is the first data byte)\n",
                g->f->id, plots_dir_long[g->dir]);
    }
    return true;
}

/* The inputs read again (main's replay.h), with the same options and in
 * the same order, so the flow ids match; every packet goes to hooks.
 * False only when memory ran out (said on err). */
static bool reread(const struct plots_inputs *in, const struct pipeline_hooks *hooks, FILE *err)
{
    if (!in->reread.inputs(in->reread.src, hooks)) {
        fprintf(err, "mtuscope: out of memory\n");
        return false;
    }
    return true;
}

/* The second read for every chart (no records of the first pass). */
static bool replay_read(const struct plots_inputs *in, struct replay *rp, FILE *err)
{
    struct pipeline_hooks hooks = {replay_packet, rp, NULL};
    return reread(in, &hooks, err);
}

/* The first pass's records for the timeline and the graphs; false when
 * the file could not be read back (said on err). */
static bool spill_read(const struct plots_inputs *in, struct replay *rp, FILE *err)
{
    struct chart_rec c;
    bool failed = false;
    /* Ctrl-C stops it as it stops a second read: the charts show what came
     * before */
    while (!(in->stop && *in->stop) && plots_spill_next(in->spill, &c, &failed))
        chart_packet(rp, &c);
    if (failed)
        fprintf(err, "mtuscope: the charts' temporary file could not be read back: the "
                     "time-sequence graphs and the timeline are cut short\n");
    return !failed;
}

/* The ladder's own read, once the records drew the rest: the inputs again,
 * until the ladder's connection has ended (plots_ladder_enough), which
 * comes early in a long capture of few connections (the headline's
 * connection fills the ladder's events in its first 10,000 packets). */
static bool ladder_read(const struct plots_inputs *in, struct replay *rp, FILE *err)
{
    rp->ladder_enough = plots_ladder_enough(rp->ladder, NULL);
    if (rp->ladder_enough)
        return true; /* no connection to draw */
    struct pipeline_hooks hooks = {ladder_packet, rp, &rp->ladder_enough};
    return reread(in, &hooks, err);
}

/* After the second read: every graph's data file completed (even after
 * one failed), their scripts, and the timeline's. */
static bool replay_write(const char *dir, const char *tdir, const struct report_data *r,
                         struct replay *rp, bool flagged, struct plots *p, FILE *err)
{
    bool ok = true;
    for (int i = 0; i < rp->ntsg; i++) {
        ok = tsg_close(&rp->tsg[i], dir, err) && ok;
        if (ok)
            ok = write_tsg_script(dir, tdir, r, &rp->tsg[i], flagged, p, err);
    }
    if (rp->ntsg == 0 && ok)
        ok = write_tsg_empty(dir, tdir, r, p, err);
    if (ok)
        ok = write_timeline(dir, tdir, r, rp, p, err);
    if (ok && rp->ladder) /* none: the inputs cannot be read twice */
        ok = plots_ladder_write(rp->ladder, dir, tdir, r, p, err);
    return ok;
}

bool plots_replay(const char *dir, const char *tdir, const struct report_data *r,
                  const struct plots_inputs *in, struct plots *p, FILE *err)
{
    bool rereadable = true;
    for (int i = 0; i < in->npaths; i++)
        rereadable = rereadable && in->reread.rereadable(in->reread.src, i);
    bool spilled = in->spill && plots_spill_rewind(in->spill);
    if (!rereadable && !spilled) {
        const char *why = in->spill ? plots_spill_why(in->spill) : NULL;
        char note[PLOTS_TEXT];
        snprintf(note, sizeof note,
                 "time-sequence graphs, the retransmission timeline and the ladder diagram are "
                 "not drawn: they read the packets a second time%s%s%s, and an input that is "
                 "not a regular file (standard input, a pipe) cannot be read twice (save the "
                 "capture to a file first)",
                 why ? " (" : "", why ? why : "", why ? ")" : "");
        plots_add_note(p, note);
        return true;
    }
    struct replay *rp = calloc(1, sizeof *rp);
    if (!rp) {
        fprintf(err, "mtuscope: out of memory\n");
        return false;
    }
    replay_bins(rp, r);
    bool flagged;
    rp->ladder = plots_ladder_open(r, in, p, err);
    bool ok = rp->ladder && tsg_open(rp, dir, r, &flagged, err);
    if (ok && spilled)
        ok = spill_read(in, rp, err) && (!rereadable || ladder_read(in, rp, err));
    else if (ok)
        ok = replay_read(in, rp, err);
    if (ok && !rereadable) {
        plots_add_note(p, "the ladder diagram is not drawn: it reads the packets a second "
                          "time, and an input that is not a regular file (standard input, a "
                          "pipe) cannot be read twice (save the capture to a file first)");
        plots_ladder_free(rp->ladder);
        rp->ladder = NULL;
    }
    ok = ok && replay_write(dir, tdir, r, rp, flagged, p, err);
    plots_ladder_free(rp->ladder);
    for (int i = 0; i < rp->ntsg; i++) {
        if (rp->tsg[i].acks)
            fclose(rp->tsg[i].acks);
        if (rp->tsg[i].dat)
            fclose(rp->tsg[i].dat);
    }
    free(rp);
    return ok;
}
