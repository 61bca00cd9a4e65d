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

#define TL_BINS 120           /* retransmission timeline intervals, at most */
#define TSG_MAX_ROWS 200000   /* data rows per time-sequence graph (~6 MB) */
#define TSG_MAX_ICMP_LINES 40 /* frag-needed arrivals marked per graph */

static int64_t to_ns(int64_t sec, uint32_t nsec)
{
    return sec * 1000000000LL + (int64_t)nsec;
}

struct tsg {
    const struct flow_summary *f;
    uint8_t dir; /* the data direction drawn */
    bool base_set, ack_set;
    uint32_t base, last_ack;
    uint64_t rows;
    /* a long flow is drawn whole, downsampled (issue 16 item 7: a healthy
     * six-minute transfer cut after its first rows looks stalled): one data
     * segment in `stride` and one ACK in `stride`, every retransmission */
    uint32_t stride;
    uint64_t seen_data, seen_acks;
    bool truncated;
    FILE *dat, *acks; /* acks: the second data block, appended at the end */
    char name[64];
};

struct replay {
    struct tsg tsg[PLOTS_MAX_TSG];
    int ntsg;
    int64_t t0_ns, bin_ns;
    int nbins;
    uint64_t retx[TL_BINS + 2], pkts[TL_BINS + 2];
};

static const struct layer *tcp_layer(const struct packet *pkt)
{
    for (int i = pkt->nlayers - 1; i >= 0; i--)
        if (pkt->layers[i].type == LAYER_TCP && !(pkt->layers[i].flags & LF_QUOTED))
            return &pkt->layers[i];
    return NULL;
}

static void replay_packet(void *ctx, const struct packet *pkt, const struct flow_pkt *fp)
{
    struct replay *rp = ctx;
    int64_t t = to_ns(pkt->ts_sec, pkt->ts_nsec);
    if (rp->nbins) {
        int64_t b = (t - rp->t0_ns) / rp->bin_ns;
        if (b < 0)
            b = 0;
        if (b >= rp->nbins)
            b = rp->nbins - 1;
        rp->pkts[b]++;
        if (fp->ta & TA_ANY_RETRANS)
            rp->retx[b]++;
    }
    if (!fp->flow)
        return;
    for (int i = 0; i < rp->ntsg; i++) {
        struct tsg *g = &rp->tsg[i];
        if (g->f->id != fp->flow)
            continue;
        const struct layer *l = tcp_layer(pkt);
        if (!l)
            return;
        const struct tcp_info *tc = &l->u.tcp;
        double rel = (double)(t - g->f->first_ns) / 1e9;
        if (fp->dir == g->dir) {
            if (!g->base_set && (tc->flags & TCPF_SYN)) {
                g->base = tc->seq + 1; /* relative sequence 0 is the first data byte */
                g->base_set = true;
            }
            if (!tc->payload_len)
                return;
            if (!g->base_set) {
                g->base = tc->seq;
                g->base_set = true;
            }
            bool retx = (fp->ta & TA_ANY_RETRANS) != 0;
            if (g->seen_data++ % g->stride && !retx)
                return;
            if (g->rows >= TSG_MAX_ROWS) {
                g->truncated = true;
                return;
            }
            uint32_t s = tc->seq - g->base; /* modulo 2^32, as TCP compares */
            fprintf(g->dat, "%.6f %d %u %u\n", rel, (fp->ta & TA_ANY_RETRANS) ? 1 : 0, s,
                    s + tc->payload_len);
            g->rows++;
        } else if ((tc->flags & TCPF_ACK) && g->base_set) {
            uint32_t a = tc->ack - g->base;
            if (a > (1u << 31)) /* an ACK of the SYN, before the first data byte */
                a = 0;
            if (g->ack_set && a == g->last_ack)
                return;
            if (g->seen_acks++ % g->stride)
                return;
            if (g->rows >= TSG_MAX_ROWS) {
                g->truncated = true;
                return;
            }
            fprintf(g->acks, "%.6f %u\n", rel, a);
            g->last_ack = a;
            g->ack_set = true;
            g->rows++;
        }
        return;
    }
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
             g->truncated    ? " (only the first rows are drawn)"
             : g->stride > 1 ? " (a long flow: one segment and one ACK in every few drawn, "
                               "every retransmission)"
                             : "");

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
        /* its packets both ways bound its rows: room for all of them, with
         * a quarter of the rows kept for retransmissions */
        uint64_t pk = g->f->dir[0].packets + g->f->dir[1].packets;
        uint64_t room = TSG_MAX_ROWS - TSG_MAX_ROWS / 4;
        g->stride = pk > room ? (uint32_t)((pk + room - 1) / room) : 1;
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

/* The second read (main's replay.h): the same options and order, so the
 * flow ids match; every packet goes to replay_packet().  False only when
 * memory ran out. */
static bool replay_read(const struct plots_inputs *in, struct replay *rp, FILE *err)
{
    struct pipeline_hooks hooks = {replay_packet, rp};
    if (!in->reread.inputs(in->reread.src, &hooks)) {
        fprintf(err, "mtuscope: out of memory\n");
        return false;
    }
    return true;
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
    return ok;
}

bool plots_replay(const char *dir, const char *tdir, const struct report_data *r,
                  const struct plots_inputs *in, struct plots *p, FILE *err)
{
    for (int i = 0; i < in->npaths; i++)
        if (!in->reread.rereadable(in->reread.src, i)) {
            plots_add_note(p, "time-sequence graphs and the retransmission timeline are not drawn: "
                              "they read the packets a second time, and an input that is not a "
                              "regular file (standard input, a pipe) cannot be read twice (save "
                              "the capture to a file first)");
            return true;
        }
    struct replay *rp = calloc(1, sizeof *rp);
    if (!rp) {
        fprintf(err, "mtuscope: out of memory\n");
        return false;
    }
    replay_bins(rp, r);
    bool flagged;
    bool ok = tsg_open(rp, dir, r, &flagged, err) && replay_read(in, rp, err) &&
              replay_write(dir, tdir, r, rp, flagged, p, err);
    for (int i = 0; i < rp->ntsg; i++) {
        if (rp->tsg[i].acks)
            fclose(rp->tsg[i].acks);
        if (rp->tsg[i].dat)
            fclose(rp->tsg[i].dat);
    }
    free(rp);
    return ok;
}
