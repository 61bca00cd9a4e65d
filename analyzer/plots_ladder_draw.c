/*
 * plots_ladder_draw.c - the ladder diagram chart (plots_ladder.h), its
 * second half: the collected events judged and chosen by ladder.c, then
 * written as ladder.dat (arrows, labels, losses, the time axis) and
 * ladder.gp (template plots/ladder.gp).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "inference.h"
#include "ladder.h"
#include "plots_int.h"
#include "plots_ladder.h"
#include "plots_ladder_int.h"

enum style {
    ST_NONE,     /* the placeholder row every block starts with */
    ST_DATA,     /* data that crossed */
    ST_LOST,     /* lost on the way */
    ST_CONTROL,  /* handshake, ACKs, FIN */
    ST_ICMP,     /* frag-needed / packet-too-big */
    ST_NOANSWER, /* never acknowledged, nothing heard after it */
    ST_HOLE,     /* bytes that never arrived */
    ST_HEALED,   /* data re-sent that crossed */
};

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static void event_label1(const struct ladder_event *e, char *buf, size_t size);

static void event_label(const struct ladder_event *e, char *buf, size_t size)
{
    event_label1(e, buf, size);
    if (e->repeat > 1) {
        size_t len = strlen(buf);
        snprintf(buf + len, size - len, " (x%u)", e->repeat);
    }
}

static void event_label1(const struct ladder_event *e, char *buf, size_t size)
{
    if (e->kind == LADDER_DGRAM) {
        static const char *const wg[] = {"", "WG handshake", "WG handshake reply", "WG cookie"};
        char frag[48] = "";
        if (e->frag_max)
            snprintf(frag, sizeof frag, " cut to %u B fragments", e->frag_max);
        snprintf(buf, size, "%s%s%u B%s%s", e->flags && e->flags < 4 ? wg[e->flags] : "",
                 e->flags && e->flags < 4 ? ", " : "", e->ip_len, frag,
                 e->fate == LADDER_LOST         ? ", lost"
                 : e->fate == LADDER_UNANSWERED ? ", not seen at the other end"
                                                : "");
        return;
    }
    if (e->kind == LADDER_ICMP) {
        if (e->mtu)
            snprintf(buf, size, "%s: MTU %u", e->v6 ? "packet-too-big" : "frag-needed", e->mtu);
        else
            snprintf(buf, size, "%s (no MTU given)", e->v6 ? "packet-too-big" : "frag-needed");
        return;
    }
    if (e->kind == LADDER_HOLE) {
        snprintf(buf, size, "%u bytes never arrived", e->payload_len);
        return;
    }
    if (e->kind == LADDER_ECHO) {
        snprintf(buf, size, "%s %u B%s", e->flags ? "ping" : "reply", e->ip_len,
                 e->fate == LADDER_LOST         ? ", no reply"
                 : e->fate == LADDER_UNANSWERED ? ", no reply yet"
                                                : "");
        return;
    }
    const char *fate = e->fate == LADDER_LOST         ? ", lost"
                       : e->fate == LADDER_UNANSWERED ? ", no ACK"
                                                      : "";
    if (e->flags & TCPF_SYN) {
        char mss[48] = "";
        if (e->mss && e->mss2 && e->mss2 != e->mss) /* rewritten on the way: a clamp */
            snprintf(mss, sizeof mss, ", MSS %u, arrives as %u", e->mss, e->mss2);
        else if (e->mss)
            snprintf(mss, sizeof mss, ", MSS %u", e->mss);
        snprintf(buf, size, "%s%s%s%s", (e->flags & TCPF_ACK) ? "SYN-ACK" : "SYN", mss,
                 e->retrans ? " again" : "", fate);
    } else if (e->flags & TCPF_RST) {
        snprintf(buf, size, "RST");
    } else if (e->payload_len) {
        snprintf(buf, size, "%u B%s%s%s", e->ip_len, (e->flags & TCPF_FIN) ? " +FIN" : "",
                 e->retrans ? " re-sent" : "", fate);
    } else if (e->flags & TCPF_FIN) {
        snprintf(buf, size, "FIN%s", fate);
    } else {
        snprintf(buf, size, "ACK");
    }
}

static enum style event_style(const struct ladder_event *e)
{
    if (e->kind == LADDER_ICMP)
        return ST_ICMP;
    if (e->kind == LADDER_HOLE)
        return ST_HOLE;
    if (e->fate == LADDER_LOST)
        return ST_LOST;
    if (e->fate == LADDER_UNANSWERED)
        return ST_NOANSWER;
    if (!e->payload_len)
        return ST_CONTROL;
    return e->retrans ? ST_HEALED : ST_DATA;
}

struct geometry {
    double x1, y1, x2, y2;
    bool cross; /* ends on the path with a cross */
};

/* Where an event's arrow goes: lanes x 0 (client), 0.5 (the path), 1
 * (server); row y.  Seen leaving, it starts at its row; seen arriving, it
 * ends there. */
static struct geometry place(const struct ladder_event *e, double y, const struct ladder_event *ev,
                             const size_t *keep, const double *rows, size_t k)
{
    struct geometry g;
    double from = e->dir == 0 ? 0 : 1, to = 1 - from;
    g.cross = false;
    if (e->kind == LADDER_HOLE) {
        g.x1 = from;
        g.y1 = y - LADDER_SLOPE;
        g.x2 = 0.5;
        g.y2 = y - LADDER_SLOPE / 2;
        g.cross = true;
        return g;
    }
    if (e->kind == LADDER_ICMP) {
        /* back to the sender of the quoted segment, from where that segment
         * ended when it is drawn lost */
        g.x1 = 0.5;
        g.y1 = y - LADDER_SLOPE / 2;
        for (size_t i = k; i-- > 0;) {
            const struct ladder_event *q = &ev[keep[i]];
            uint32_t end = q->repeat > 1 ? q->seq_end : q->seq + ladder_seq_len(q);
            bool same = q->kind == LADDER_ECHO ? q->flags && q->seq == e->seq
                        : q->kind == LADDER_DGRAM
                            ? q->ip_len == e->payload_len && !q->frag_max
                            : q->kind == LADDER_TCP && (int32_t)(e->seq - q->seq) >= 0 &&
                                  (int32_t)(end - e->seq) > 0;
            if (same && q->dir == e->dir && q->fate != LADDER_ARRIVED) {
                if (q->fate == LADDER_LOST || q->fate == LADDER_UNANSWERED)
                    g.y1 = rows[i] + LADDER_SLOPE / 2;
                break;
            }
        }
        g.x2 = from;
        g.y2 = y;
        return g;
    }
    if (e->fate == LADDER_ARRIVED) {
        g.x1 = from;
        g.y1 = y - LADDER_SLOPE;
        g.x2 = to;
        g.y2 = y;
        return g;
    }
    g.x1 = from;
    g.y1 = y;
    if (e->fate == LADDER_LOST || e->fate == LADDER_UNANSWERED) {
        g.x2 = 0.5;
        g.y2 = y + LADDER_SLOPE / 2;
        g.cross = e->fate == LADDER_LOST;
    } else {
        g.x2 = to;
        g.y2 = y + LADDER_SLOPE;
    }
    return g;
}

static void lane_heading(FILE *gp, int id, double x, const char *role, const struct addr *a,
                         uint16_t port, const char *capture)
{
    char ab[64], line[128];
    addr_text(a, ab, sizeof ab);
    bool v6 = a->addr_type == ADDR_TYPE_IP6;
    if (port)
        snprintf(line, sizeof line, "%s%s%s:%u", v6 ? "[" : "", ab, v6 ? "]" : "", port);
    else /* pings: no port */
        snprintf(line, sizeof line, "%s", ab);
    fprintf(gp, "set label %d \"%s\\n\".", id, role);
    plots_gp_string(gp, line);
    fprintf(gp, " at %.2f, first -2.6 center font ',18' noenhanced front\n", x);
    if (capture) {
        /* the file name stays a single-quoted string */
        fprintf(gp, "set label %d \"captured here:\\n\".", id + 10);
        plots_gp_string(gp, capture);
        fprintf(gp, " at %.2f, first -1.2 center font ',11' tc rgb '#555555' noenhanced front\n",
                x);
    }
}

/* The events to draw, judged: one capture's, or two matched.  *n_out;
 * *pair: from two captures; lanes: vantage host per side.  NULL when out
 * of memory. */
static struct ladder_event *judged_events(struct plots_ladder *l, size_t *n_out, bool *pair,
                                          int vantage[2])
{
    *pair = l->f[1] && l->n[1] && l->n[0];
    if (!*pair) {
        int s = l->n[0] || !l->f[1] ? 0 : 1;
        vantage[s] = ladder_vantage(l->ev[s], l->n[s], l->fallback_vantage);
        vantage[1 - s] = 1 - vantage[s];
        size_t n = ladder_judge(l->ev[s], l->n[s], LADDER_MAX_EVENTS, vantage[s]);
        if (l->run.size)
            ladder_mark_resent(l->ev[s], n, l->run_dir, l->run.size, l->run.first_ns,
                               l->run.last_ns);
        if (is_tunnel(l->f[s]))
            ladder_mark_refused(l->ev[s], n);
        *n_out = ladder_collapse(l->ev[s], n);
        return l->ev[s];
    }
    size_t cap = l->n[0] + l->n[1];
    struct ladder_event *m = malloc((cap + 1) * sizeof *m);
    if (!m)
        return NULL;
    int client_side;
    *n_out = ladder_collapse(
        m, ladder_match(l->ev[0], l->n[0], l->ev[1], l->n[1], l->offset_ns, m, cap, &client_side));
    if (client_side < 0) /* unknown: where the handshake says */
        client_side = ladder_vantage(l->ev[0], l->n[0], 0) == 0 ? 0 : 1;
    vantage[client_side] = 0;
    vantage[1 - client_side] = 1;
    return m;
}

static bool write_empty(const char *dir, const char *tdir, const struct report_data *r,
                        struct plots *p, FILE *err)
{
    bool opaque = false; /* the connections ride inside an encrypted tunnel */
    for (uint32_t i = 0; i < r->res->nflows; i++)
        opaque |= r->res->flows[i].opaque != 0;
    const char *name = "ladder";
    FILE *dat = plots_open_out(dir, name, "dat", err);
    if (!dat)
        return false;
    fprintf(dat, "# no TCP connection or ping to draw\n0 0 0 0 0 0\n\n\n0 0 0 \"\" 0\n\n\n0 "
                 "0\n\n\n0 0 0 \"\"\n");
    if (!plots_close_out(dat, dir, name, "dat", err))
        return false;
    const char *title = "Ladder diagram: no TCP connection or ping in this capture";
    FILE *gp = plots_gp_begin(dir, name, "ladder", title, false, err);
    if (!gp)
        return false;
    fprintf(gp, "ymax = 4\nheight = 700\n");
    if (opaque)
        fprintf(gp, "set label 7 'the connections ride inside an encrypted tunnel: capture the "
                    "tunnel interface to see them' at 0.5, first 2.6 center font ',14'\n");
    if (!plots_gp_finish(gp, dir, name, tdir, "ladder", err))
        return false;
    plots_add_chart(p, name, title,
                    opaque ? "No TCP connection is visible here: the traffic is inside an "
                             "encrypted tunnel; a capture of the tunnel interface shows it."
                           : "No TCP connection or ping in this capture, so there is no "
                             "exchange to draw.");
    return true;
}

/* ladder.dat: the k arrows kept (keep[], rows[], their times t[] from t0,
 * skipped[] events not drawn before each), in four blocks: arrows, labels,
 * losses on the path, the time axis. */
static bool write_dat(const char *dir, const char *name, const struct flow_summary *f, bool pair,
                      const struct ladder_event *ev, const size_t *keep, const double *rows,
                      const int64_t *t, const uint32_t *skipped, size_t k, int64_t t0, FILE *err)
{
    FILE *dat = plots_open_out(dir, name, "dat", err);
    if (!dat)
        return false;
    fprintf(dat,
            "# ladder diagram of flow #%" PRIu64 "%s: x 0 client, 0.5 the path, 1 server; "
            "y rows down in time\n# index 0 arrows: x1 y1 x2 y2 style (1 data, 2 lost, 3 "
            "control, 4 ICMP, 5 unanswered, 6 hole, 7 re-sent data that crossed) frame\n",
            f->id, pair ? " (two captures matched)" : "");
    fprintf(dat, "0 0 0 0 0 0\n");
    for (size_t i = 0; i < k; i++) {
        const struct ladder_event *e = &ev[keep[i]];
        struct geometry g = place(e, rows[i], ev, keep, rows, i);
        fprintf(dat, "%.3f %.3f %.3f %.3f %d %" PRIu64 "\n", g.x1, g.y1, g.x2, g.y2,
                (int)event_style(e), e->frame);
    }
    fprintf(dat, "\n\n# index 1 arrow labels: x y style text align (0 centre, 1 right, 2 "
                 "left)\n0 0 0 \"\" 0\n");
    for (size_t i = 0; i < k; i++) {
        const struct ladder_event *e = &ev[keep[i]];
        struct geometry g = place(e, rows[i], ev, keep, rows, i);
        char label[96];
        event_label(e, label, sizeof label);
        /* near the start of the arrow, where arrows from the other side
         * do not pass */
        /* a short arrow (ending on the path): its middle, clear of the lane */
        double at = g.x2 == 0.5 ? 0.5 : 0.3;
        double fx = g.x1 + (g.x2 - g.x1) * at, fy = g.y1 + (g.y2 - g.y1) * at - 0.3;
        int align = 0; /* centred above the arrow */
        if (e->kind == LADDER_ICMP) {
            /* beside the path, on the side no arrow of the loss crosses */
            fx = 0.5 + (g.x2 > 0.5 ? -0.02 : 0.02);
            fy = g.y1 + 0.15;
            align = g.x2 > 0.5 ? 1 : 2;
        }
        fprintf(dat, "%.3f %.3f %d \"%s\" %d\n", fx, fy, (int)event_style(e), label, align);
    }
    fprintf(dat, "\n\n# index 2 losses on the path: x y\n0 -100\n");
    for (size_t i = 0; i < k; i++) {
        struct geometry g = place(&ev[keep[i]], rows[i], ev, keep, rows, i);
        if (g.cross)
            fprintf(dat, "%.3f %.3f\n", g.x2, g.y2);
    }
    fprintf(dat, "\n\n# index 3 time axis: x y kind (0 time, 1 gap, 2 packets not drawn) "
                 "text\n0 -100 0 \"\"\n");
    for (size_t i = 0; i < k; i++) {
        double rel = (double)(t[i] - t0) / 1e9;
        if (rel < 1)
            fprintf(dat, "-0.04 %.3f 0 \"%.1f ms\"\n", rows[i], rel * 1e3);
        else
            fprintf(dat, "-0.04 %.3f 0 \"%.3f s\"\n", rows[i], rel);
        if (i && t[i] - t[i - 1] >= LADDER_STRETCH_NS)
            fprintf(dat, "-0.22 %.3f 1 \"+%.2f s\"\n", (rows[i] + rows[i - 1]) / 2,
                    (double)(t[i] - t[i - 1]) / 1e9);
        if (i && skipped[i]) /* before the first arrow: the window's start */
            fprintf(dat, "0.5 %.3f 2 \"... %u packet%s not drawn ...\"\n", rows[i] - 1.1,
                    skipped[i], skipped[i] == 1 ? "" : "s");
    }
    return plots_close_out(dat, dir, name, "dat", err);
}

bool plots_ladder_write(struct plots_ladder *l, const char *dir, const char *tdir,
                        const struct report_data *r, struct plots *p, FILE *err)
{
    if (!l || !l->f[0])
        return write_empty(dir, tdir, r, p, err);
    size_t n;
    bool pair;
    int vantage[2] = {0, 1};
    struct ladder_event *ev = judged_events(l, &n, &pair, vantage);
    if (!ev) {
        fprintf(err, "mtuscope: out of memory\n");
        return false;
    }
    size_t keep[LADDER_MAX_ARROWS];
    uint32_t skipped[LADDER_MAX_ARROWS];
    int64_t t[LADDER_MAX_ARROWS];
    double rows[LADDER_MAX_ARROWS];
    size_t k = ladder_select(ev, n, LADDER_MAX_ARROWS, keep, skipped);
    for (size_t i = 0; i < k; i++)
        t[i] = ev[keep[i]].t_ns;
    ladder_rows(t, skipped, k, rows);
    double ymax = k ? rows[k - 1] + LADDER_SLOPE : 1;
    int64_t t0 = n ? ev[0].t_ns : 0;
    const struct flow_summary *f = l->f[0];
    bool ok = false;

    const char *name = "ladder";
    if (!write_dat(dir, name, f, pair, ev, keep, rows, t, skipped, k, t0, err))
        goto out;

    char a[64], b[64], title[PLOTS_TEXT], what[PLOTS_TEXT];
    uint64_t first = k ? ev[keep[0]].frame : 0, last = k ? ev[keep[k - 1]].frame : 0;
    size_t nlost = 0;
    for (size_t i = 0; i < k; i++)
        nlost += ev[keep[i]].fate == LADDER_LOST;
    if (is_tunnel(f) && f->opaque == LAYER_ESP) /* one SA, one way: its SPI names it */
        snprintf(title, sizeof title,
                 "Ladder diagram, flow #%" PRIu64 ": ESP SPI 0x%08x %s -> %s (%s)", f->id, f->spi,
                 addr_text(&f->client, a, sizeof a), addr_text(&f->server, b, sizeof b),
                 pair ? "two captures matched" : "one capture");
    else if (is_tunnel(f))
        snprintf(title, sizeof title,
                 "Ladder diagram, flow #%" PRIu64 ": WireGuard %s:%u <-> %s:%u (%s)", f->id,
                 addr_text(&f->client, a, sizeof a), f->client_port,
                 addr_text(&f->server, b, sizeof b), f->server_port,
                 pair ? "two captures matched" : "one capture");
    else if (is_echo(f))
        snprintf(title, sizeof title,
                 "Ladder diagram, flow #%" PRIu64 ": pings from %s to %s (echo id %u%s)", f->id,
                 addr_text(&f->client, a, sizeof a), addr_text(&f->server, b, sizeof b),
                 f->client_port, l->full[0] ? ", the first ones" : "");
    else
        snprintf(title, sizeof title, "Ladder diagram, flow #%" PRIu64 ": %s:%u <-> %s:%u (%s%s)",
                 f->id, addr_text(&f->client, a, sizeof a), f->client_port,
                 addr_text(&f->server, b, sizeof b), f->server_port,
                 pair ? "two captures matched" : "one capture",
                 l->full[0] || l->full[1] ? ", its first packets" : "");
    snprintf(what, sizeof what,
             "Time runs down, long gaps stretched; each arrow a packet and its IP size (frames "
             "%" PRIu64 "-%" PRIu64 "); red: lost (%zu), ending on the path; purple: ICMP; %s.",
             first, last, nlost, pair ? "both ends captured: losses measured" : "one end captured");
    FILE *gp = plots_gp_begin(dir, name, "ladder", title, k > 0, err);
    if (!gp)
        goto out;
    int height = (int)(220 + 34 * (ymax + 3));
    height = height < 700 ? 700 : height > 1800 ? 1800 : height;
    fprintf(gp, "ymax = %.3f\nheight = %d\n", ymax, height);
    const char *cap[2] = {NULL, NULL}; /* the capture at the client, at the server */
    for (int s = 0; s < 2 && l->f[s]; s++)
        if (pair || l->n[s] || s == 0)
            cap[vantage[s]] = base_name(r->inputs[l->f[s]->input]->path);
    if (!pair) /* one capture: only its own end */
        cap[1 - vantage[l->n[0] || !l->f[1] ? 0 : 1]] = NULL;
    bool echo = is_echo(f);
    lane_heading(gp, 1, 0, echo ? "pinging" : "client", &f->client, echo ? 0 : f->client_port,
                 cap[0]);
    lane_heading(gp, 2, 1, echo ? "pinged" : "server", &f->server, echo ? 0 : f->server_port,
                 cap[1]);
    fprintf(gp,
            "set label 3 \"the path\\n%s\" at 0.5, first -2.6 center font ',14' "
            "tc rgb '#555555' front\n",
            pair ? "(between the captures)" : "(where the bottleneck is)");
    if (!plots_gp_finish(gp, dir, name, tdir, "ladder", err))
        goto out;
    plots_add_chart(p, name, title, what);
    ok = true;
out:
    if (pair)
        free(ev);
    return ok;
}
