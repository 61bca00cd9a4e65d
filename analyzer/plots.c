/*
 * plots.c - the charts of `-o DIR` (plots.h): data files, gnuplot scripts
 * filled from the templates in plots/, and gnuplot really run on them.
 *
 * The size-delivery charts and the goodput chart are drawn here from numbers
 * the earlier stages kept (results.h, stats.h, inference.h when it has run);
 * the per-packet charts come from a second read of the inputs (plots_tsg.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compare.h"
#include "inference.h"
#include "plots_int.h"
#include "spawn.h"

#define SIZE_MAX_POINTS 1024    /* distinct sizes in one size chart */
#define GOODPUT_MAX_LABELS 25   /* label each point only when they stay readable */
#define GOODPUT_MAX_POINTS 5000 /* flows drawn; results.h keeps at most 25000 */

static const char *const dir_short[2] = {"c2s", "s2c"};
const char *const plots_dir_long[2] = {"client -> server", "server -> client"};

static const struct flow_summary *find_flow(const struct results *res, uint64_t id)
{
    for (uint32_t i = 0; i < res->nflows; i++)
        if (res->flows[i].id == id)
            return &res->flows[i];
    return NULL;
}

/* ---------------------------------------------------------------- files */

/* The templates: next to the binary (the source tree: ./mtuscope and
 * build/test/mtuscope), installed under share/, or where MTUSCOPE_PLOTS
 * says.  Looked up by a file every template set has. */
static bool find_templates(char *buf, size_t size)
{
    const char *env = getenv("MTUSCOPE_PLOTS");
    char exe[PATH_MAX - 64], cand[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n < 0)
        n = 0;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    static const char *const rel[] = {"plots", "../plots", "../../plots",
                                      "../share/mtuscope/plots"};
    for (int i = -1; i < (int)(sizeof rel / sizeof rel[0]) + 1; i++) {
        if (i == -1) {
            if (!env || !*env)
                continue;
            snprintf(cand, sizeof cand, "%s", env);
        } else if (i < (int)(sizeof rel / sizeof rel[0])) {
            if (!exe[0])
                continue;
            snprintf(cand, sizeof cand, "%s/%s", exe, rel[i]);
        } else {
#ifdef MTUSCOPE_PLOTDIR
            snprintf(cand, sizeof cand, "%s", MTUSCOPE_PLOTDIR);
#else
            continue;
#endif
        }
        char probe[PATH_MAX + 32];
        snprintf(probe, sizeof probe, "%s/size-delivery.gp", cand);
        if (access(probe, R_OK) == 0) {
            snprintf(buf, size, "%s", cand);
            return true;
        }
    }
    return false;
}

FILE *plots_open_out(const char *dir, const char *name, const char *ext, FILE *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext);
    FILE *fp = fopen(path, "w");
    if (!fp)
        fprintf(err, "mtuscope: %s: %s\n", path, strerror(errno));
    return fp;
}

bool plots_close_out(FILE *fp, const char *dir, const char *name, const char *ext, FILE *err)
{
    bool bad = ferror(fp) != 0;
    if (fclose(fp) != 0 || bad) {
        fprintf(err, "mtuscope: %s/%s.%s: write error\n", dir, name, ext);
        return false;
    }
    return true;
}

/* A gnuplot single-quoted string: only the quote itself needs doubling. */
void plots_gp_string(FILE *gp, const char *s)
{
    fputc('\'', gp);
    for (; *s; s++) {
        if (*s == '\'')
            fputc('\'', gp);
        if (*s != '\n')
            fputc(*s, gp);
    }
    fputc('\'', gp);
}

/* Starts NAME.gp: what the template needs to know.  The caller adds its own
 * values, then plots_gp_finish() appends the template. */
FILE *plots_gp_begin(const char *dir, const char *name, const char *tmpl, const char *title,
                     bool has_data, FILE *err)
{
    FILE *gp = plots_open_out(dir, name, "gp", err);
    if (!gp)
        return NULL;
    fprintf(gp,
            "# %s.gp - written by mtuscope %s: the values below, then the template\n"
            "# plots/%s.gp.  Render again with: gnuplot %s.gp\n",
            name, MTUSCOPE_VERSION, tmpl, name);
    fprintf(gp, "out = ");
    plots_gp_string(gp, name);
    fprintf(gp, "\ndatafile = ");
    char dat[96];
    snprintf(dat, sizeof dat, "%s.dat", name);
    plots_gp_string(gp, dat);
    fprintf(gp, "\nchart_title = ");
    /* A title wider than the picture is cut at its edge (gnuplot does not
     * wrap): a 1200-pixel chart holds about 90 characters at the title's
     * 16 points, so a longer one goes on two lines, broken after its first
     * ": " (the chart's name, then what it is about: flows, addresses). */
    const char *brk = strlen(title) > 90 ? strstr(title, ": ") : NULL;
    int keep = 1, skip = 2; /* ": ": the colon stays on the first line */
    if (!brk || brk - title < 10 || brk - title >= 80) {
        brk = strlen(title) > 90 ? strstr(title, " (") : NULL; /* else before a " (...)" */
        keep = 0;
        skip = 1;
    }
    if (brk && brk - title >= 10 && brk - title < 80) {
        char head[96];
        snprintf(head, sizeof head, "%.*s", (int)(brk - title + keep), title);
        plots_gp_string(gp, head);
        fprintf(gp, " . \"\\n\" . ");
        plots_gp_string(gp, brk + skip);
    } else {
        plots_gp_string(gp, title);
    }
    fprintf(gp, "\nhas_data = %d\n", has_data ? 1 : 0);
    /* titles carry addresses and names: no enhanced-text markup in them */
    fprintf(gp, "set title noenhanced\n");
    return gp;
}

bool plots_gp_finish(FILE *gp, const char *dir, const char *name, const char *tdir,
                     const char *tmpl, FILE *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s.gp", tdir, tmpl);
    FILE *t = fopen(path, "r");
    if (!t) {
        fprintf(err, "mtuscope: %s: %s\n", path, strerror(errno));
        fclose(gp);
        return false;
    }
    fprintf(gp, "\n# ---- plots/%s.gp ----\n", tmpl);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, t)) > 0)
        fwrite(buf, 1, n, gp);
    fclose(t);
    return plots_close_out(gp, dir, name, "gp", err);
}

/* A vertical line at x with a label near the top, numbered from 10 so
 * templates keep 1..9 for their own. */
static void gp_vline(FILE *gp, int id, double x, double xmax, const char *label, const char *color,
                     int row)
{
    fprintf(gp,
            "set arrow %d from %.3f, graph 0 to %.3f, graph 1 nohead lw 2 dt 2 lc rgb '%s' "
            "front\n",
            id, x, x, color);
    fprintf(gp, "set label %d ", id);
    plots_gp_string(gp, label);
    /* the label on the side with room: right of a line in the left half */
    bool left = x < xmax / 2;
    fprintf(gp, " at %.3f, graph %.2f %s offset %s,0 tc rgb '%s' front noenhanced\n", x,
            0.80 - 0.05 * row, left ? "left" : "right", left ? "0.6" : "-0.6", color);
}

struct plot_chart *plots_add_chart(struct plots *p, const char *name, const char *title,
                                   const char *what)
{
    if (p->ncharts == PLOTS_MAX_CHARTS)
        return NULL;
    struct plot_chart *c = &p->charts[p->ncharts++];
    snprintf(c->name, sizeof c->name, "%s", name);
    snprintf(c->title, sizeof c->title, "%s", title);
    snprintf(c->what, sizeof c->what, "%s", what);
    c->rendered = false;
    return c;
}

void plots_add_note(struct plots *p, const char *text)
{
    if (p->nnotes < PLOTS_MAX_NOTES)
        snprintf(p->notes[p->nnotes++], PLOTS_TEXT, "%s", text);
}

/* ------------------------------------------------------ path-MTU bounds */

struct bound_line {
    uint32_t value;
    char label[96];
};

/* The bounds inferred for the path src -> dst, as lines to draw (at most 3:
 * the exact MTU, or the proven lower and upper bounds).  None when the
 * inference has not run: the charts never guess. */
static int path_bounds(const struct inference *inf, const struct addr *src, const struct addr *dst,
                       struct bound_line *out)
{
    if (!inf)
        return 0;
    for (int i = 0; i < inf->npaths; i++) {
        const struct inf_path *pa = &inf->paths[i];
        if (addr_cmp(&pa->src, src) != 0 || addr_cmp(&pa->dst, dst) != 0)
            continue;
        int n = 0;
        if (pa->mtu) {
            out[n].value = pa->mtu;
            snprintf(out[n++].label, sizeof out[0].label, "path MTU %u", pa->mtu);
            return n;
        }
        if (pa->lower) {
            out[n].value = pa->lower;
            snprintf(out[n++].label, sizeof out[0].label, "%u crossed (lower bound)", pa->lower);
        }
        if (pa->upper) {
            out[n].value = pa->upper;
            snprintf(out[n++].label, sizeof out[0].label, "nothing above %u crosses", pa->upper);
        }
        return n;
    }
    return 0;
}

static uint32_t round_up(uint32_t v, uint32_t step)
{
    return (v + step - 1) / step * step;
}

/* ---------------------------------------------------- delivery by size */

struct size_point {
    uint32_t size;
    uint64_t sent, delivered, lost;
};

static void size_add(struct size_point *pts, int *n, uint32_t size, const struct dl_size *s)
{
    int i;
    for (i = 0; i < *n; i++)
        if (pts[i].size == size)
            break;
    if (i == *n) {
        if (*n == SIZE_MAX_POINTS) { /* full: the nearest size takes it */
            int best = 0;
            for (int k = 1; k < *n; k++)
                if ((pts[k].size > size ? pts[k].size - size : size - pts[k].size) <
                    (pts[best].size > size ? pts[best].size - size : size - pts[best].size))
                    best = k;
            i = best;
        } else {
            pts[i].size = size;
            pts[i].sent = pts[i].delivered = pts[i].lost = 0;
            (*n)++;
        }
    }
    pts[i].sent += s->sent;
    pts[i].delivered += s->delivered;
    pts[i].lost += s->lost;
}

static int cmp_size(const void *a, const void *b)
{
    const struct size_point *x = a, *y = b;
    return (x->size > y->size) - (x->size < y->size);
}

/* Every kept TCP flow's table for direction d, summed by size.  Sizes past
 * a flow's exact table were counted by class: they are drawn at the
 * class's middle. */
static int size_collect(const struct results *res, int d, struct size_point *pts, uint64_t *flows)
{
    int n = 0;
    *flows = 0;
    for (uint32_t i = 0; i < res->nsizes; i++) {
        const struct dl_sizes *t = &res->sizes[i].dir[d];
        bool any = false;
        for (int k = 0; k < t->nexact; k++)
            if (t->exact[k].sent) {
                size_add(pts, &n, t->exact[k].size, &t->exact[k]);
                any = true;
            }
        for (int c = 0; c < DL_NCLASSES; c++)
            if (t->cls[c].sent) {
                uint16_t lo, hi;
                delivery_class_bounds(c, &lo, &hi);
                size_add(pts, &n, ((uint32_t)lo + hi) / 2, &t->cls[c]);
                any = true;
            }
        *flows += any;
    }
    qsort(pts, (size_t)n, sizeof *pts, cmp_size);
    return n;
}

/* The flow whose direction d best stands for the chart: the first with a
 * loss (problem flows come first in results.h), else the first that sent. */
static const struct flow_summary *size_key_flow(const struct results *res, int d)
{
    const struct flow_summary *any = NULL;
    for (uint32_t i = 0; i < res->nsizes; i++) {
        const struct flow_summary *f = find_flow(res, res->sizes[i].flow);
        if (!f)
            continue;
        if (f->dir[d].dl_lost)
            return f;
        if (!any && f->dir[d].dl_sent)
            any = f;
    }
    return any;
}

static bool chart_sizes(const char *dir, const char *tdir, const struct report_data *r, int d,
                        const char *name, struct plots *p, FILE *err)
{
    struct size_point *pts = malloc(SIZE_MAX_POINTS * sizeof *pts);
    if (!pts) {
        fprintf(err, "mtuscope: out of memory\n");
        return false;
    }
    uint64_t nflows = 0;
    int n = d >= 0 ? size_collect(r->res, d, pts, &nflows) : 0;

    char title[PLOTS_TEXT], what[PLOTS_TEXT];
    struct bound_line bl[3];
    int nb = 0;
    const struct flow_summary *key = d >= 0 ? size_key_flow(r->res, d) : NULL;
    if (key) {
        const struct addr *src = d == 0 ? &key->client : &key->server;
        const struct addr *dst = d == 0 ? &key->server : &key->client;
        char a[64], b[64];
        nb = path_bounds(r->inf, src, dst, bl);
        snprintf(title, sizeof title,
                 "TCP data delivered by IP packet size, %s (%s -> %s%s, %" PRIu64 " flow%s)",
                 plots_dir_long[d], addr_text(src, a, sizeof a), addr_text(dst, b, sizeof b),
                 nflows > 1 ? " and others" : "", nflows, nflows == 1 ? "" : "s");
    } else {
        snprintf(title, sizeof title, "TCP data delivered by IP packet size");
    }
    snprintf(what, sizeof what,
             "Bars: TCP data transmissions sent, delivered (ACKed) and lost (retransmitted, never "
             "delivered) per IP packet size; line: the share delivered.%s",
             nb ? " Dashed lines: the inferred path-MTU bounds." : "");

    bool ok = false;
    FILE *dat = plots_open_out(dir, name, "dat", err);
    if (!dat)
        goto out;
    fprintf(dat, "# %s: TCP data transmissions by IP packet size, %s\n", title,
            d >= 0 ? plots_dir_long[d] : "no data");
    fprintf(dat, "# size_bytes sent delivered lost delivered_percent\n");
    uint32_t xmax = 0;
    uint64_t most = 0, least = 0;
    for (int i = 0; i < n; i++) {
        if (pts[i].sent > most)
            most = pts[i].sent;
        if (!least || pts[i].sent < least)
            least = pts[i].sent;
        fprintf(dat, "%u %" PRIu64 " %" PRIu64 " %" PRIu64 " %.1f\n", pts[i].size, pts[i].sent,
                pts[i].delivered, pts[i].lost,
                100.0 * (double)pts[i].delivered / (double)pts[i].sent);
        if (pts[i].size > xmax)
            xmax = pts[i].size;
    }
    if (!plots_close_out(dat, dir, name, "dat", err))
        goto out;
    for (int i = 0; i < nb; i++)
        if (bl[i].value > xmax)
            xmax = bl[i].value;
    xmax = round_up(xmax + 60, 100);
    if (xmax < 200)
        xmax = 200;

    FILE *gp = plots_gp_begin(dir, name, "size-delivery", title, n > 0, err);
    if (!gp)
        goto out;
    fprintf(gp, "xmin = 0\nxmax = %u\nbw = %.1f\ncounts = %d\nnbounds = %d\n", xmax, xmax / 90.0,
            n <= 12 ? 1 : 0, nb);
    /* a bulk transfer's thousands of full-size segments would flatten the
     * few probes and losses that make the point: counts go logarithmic */
    fprintf(gp, "logy = %d\n", least && most / least > 30 ? 1 : 0);
    for (int i = 0; i < nb; i++)
        gp_vline(gp, 10 + i, bl[i].value, xmax, bl[i].label, "#9467bd", i);
    if (!plots_gp_finish(gp, dir, name, tdir, "size-delivery", err))
        goto out;
    plots_add_chart(p, name, title, what);
    ok = true;
out:
    free(pts);
    return ok;
}

/* One chart per direction that lost data; when none did, the direction that
 * sent the largest packets; a placeholder when no TCP data was seen. */
static bool charts_sizes(const char *dir, const char *tdir, const struct report_data *r,
                         struct plots *p, FILE *err)
{
    uint64_t lost[2] = {0, 0}, sent[2] = {0, 0};
    uint32_t maxsize[2] = {0, 0};
    const struct results *res = r->res;
    for (uint32_t i = 0; i < res->nsizes; i++)
        for (int d = 0; d < 2; d++) {
            const struct dl_sizes *t = &res->sizes[i].dir[d];
            for (int k = 0; k < t->nexact; k++) {
                lost[d] += t->exact[k].lost;
                sent[d] += t->exact[k].sent;
                if (t->exact[k].sent && t->exact[k].size > maxsize[d])
                    maxsize[d] = t->exact[k].size;
            }
            for (int c = 0; c < DL_NCLASSES; c++) {
                lost[d] += t->cls[c].lost;
                sent[d] += t->cls[c].sent;
                if (t->cls[c].sent && t->cls[c].size > maxsize[d])
                    maxsize[d] = t->cls[c].size;
            }
        }
    bool want[2] = {lost[0] > 0, lost[1] > 0};
    /* a black hole seen from the receiving side loses nothing visibly: the
     * direction it is in still deserves its chart */
    for (int i = 0; r->inf && i < r->inf->nblackholes; i++)
        want[r->inf->blackholes[i].dir] = true;
    if (!want[0] && !want[1] && (sent[0] || sent[1]))
        want[maxsize[1] > maxsize[0] || (maxsize[1] == maxsize[0] && sent[1] > sent[0])] = true;
    bool ok = true;
    for (int d = 0; d < 2; d++)
        if (want[d]) {
            char name[64];
            snprintf(name, sizeof name, "size-delivery-%s", dir_short[d]);
            ok = chart_sizes(dir, tdir, r, d, name, p, err) && ok;
        }
    if (!want[0] && !want[1])
        ok = chart_sizes(dir, tdir, r, -1, "size-delivery", p, err);
    return ok;
}

/* --------------------------------------------------------- goodput */

/* IP bytes of direction d that reached the peer: from the size tables when
 * kept (sizes * deliveries), else the direction's bytes scaled by the share
 * of its data transmissions delivered. */
static double delivered_bytes(const struct results *res, const struct flow_summary *f, int d)
{
    const struct results_sizes *rs = results_sizes_of(res, f->id);
    const struct flow_dir_summary *x = &f->dir[d];
    if (rs) {
        const struct dl_sizes *t = &rs->dir[d];
        double b = 0;
        for (int k = 0; k < t->nexact; k++)
            b += (double)t->exact[k].size * t->exact[k].delivered;
        for (int c = 0; c < DL_NCLASSES; c++)
            if (t->cls[c].sent)
                b += (double)t->cls_bytes[c] * t->cls[c].delivered / t->cls[c].sent;
        return b;
    }
    if (!x->dl_sent)
        return 0;
    return (double)x->bytes * x->dl_delivered / x->dl_sent;
}

/* The goodput chart's points: the TCP flows that sent data. */
static bool goodput_drawn(const struct report_data *r, const struct flow_summary *f)
{
    /* a connection seen at two vantage points is one point (issue 16 item 7):
     * its first view, as the comparison merged them (compare.h) */
    return f->proto == IP_PROTO_TCP && (f->dir[0].dl_sent + f->dir[1].dl_sent) &&
           !compare_later_view(r->inf ? r->inf->cmp : NULL, f->id);
}

/* IP bytes delivered (both directions) * 8 / the flow's duration (a
 * millisecond at least), in kbit/s. */
static double goodput_kbps(const struct results *res, const struct flow_summary *f)
{
    double dur = (double)(f->last_ns - f->first_ns) / 1e9;
    return (delivered_bytes(res, f, 0) + delivered_bytes(res, f, 1)) * 8 / 1e3 /
           (dur > 1e-3 ? dur : 1e-3);
}

static uint32_t largest_packet(const struct flow_summary *f)
{
    return f->dir[0].max_packet > f->dir[1].max_packet ? f->dir[0].max_packet
                                                       : f->dir[1].max_packet;
}

/* A flow's colour is its diagnosis (issue 16 item 7): stalled, or a black
 * hole that did not heal, is red even when nothing is outstanding in the
 * capture (seen from the receiver, the lost packets never show, and the
 * sender's retransmissions neither); a healed black hole or
 * retransmissions, orange; green only for a flow with nothing against it. */
static int goodput_status(const struct inference *inf, const struct flow_summary *f)
{
    const struct inf_blackhole *bh = inf ? inference_blackhole(inf, f->id) : NULL;
    if (f->stalled || (bh && !bh->healed))
        return 2;
    return bh || f->retransmissions ? 1 : 0;
}

/* One point of goodput.dat; a flow that delivered nothing sits on floor_kbps. */
static void goodput_row(FILE *dat, const struct report_data *r, const struct flow_summary *f,
                        double floor_kbps)
{
    const struct results *res = r->res;
    double kbps = goodput_kbps(res, f);
    int status = goodput_status(r->inf, f);
    uint16_t mss = f->dir[0].mss && f->dir[1].mss
                       ? (f->dir[0].mss < f->dir[1].mss ? f->dir[0].mss : f->dir[1].mss)
                       : (f->dir[0].mss | f->dir[1].mss);
    char label[64];
    if (mss)
        snprintf(label, sizeof label, "#%" PRIu64 " MSS %u%s", f->id, mss,
                 kbps > 0 ? "" : ", nothing delivered");
    else
        snprintf(label, sizeof label, "#%" PRIu64 "%s", f->id,
                 kbps > 0 ? "" : ", nothing delivered");
    fprintf(dat, "%u %.6g %d %u %" PRIu64 " \"%s\"\n", largest_packet(f),
            kbps > 0 ? kbps : floor_kbps, status, mss, f->id, label);
}

/* The tightest bound over every path, what a flow's packets must fit, as
 * the one line to draw (0 when no path has an upper bound). */
static int goodput_bound(const struct inference *inf, struct bound_line *bl)
{
    int nb = 0;
    for (int i = 0; inf && i < inf->npaths; i++) {
        const struct inf_path *pa = &inf->paths[i];
        uint32_t v = pa->mtu ? pa->mtu : pa->upper;
        if (v && (nb == 0 || v < bl->value)) {
            nb = 1;
            bl->value = v;
            snprintf(bl->label, sizeof bl->label, "%s %u",
                     pa->mtu ? "path MTU" : "nothing above crosses:", v);
        }
    }
    return nb;
}

static bool chart_goodput(const char *dir, const char *tdir, const struct report_data *r,
                          struct plots *p, FILE *err)
{
    const struct results *res = r->res;
    const char *name = "goodput";
    FILE *dat = plots_open_out(dir, name, "dat", err);
    if (!dat)
        return false;
    fprintf(dat, "# per-flow goodput: IP bytes delivered (both directions) * 8 / flow duration\n"
                 "# largest_packet_bytes goodput_kbps status(0 healthy, 1 retransmissions or a "
                 "healed black hole, 2 stalled or a black hole) mss flow label\n");
    /* first pass: how many points, and the smallest goodput above zero
     * (flows that delivered nothing are drawn one decade below it) */
    int npts = 0;
    double minpos = 0;
    uint32_t xmax = 0;
    for (uint32_t i = 0; i < res->nflows && npts < GOODPUT_MAX_POINTS; i++) {
        const struct flow_summary *f = &res->flows[i];
        if (!goodput_drawn(r, f))
            continue;
        npts++;
        double kbps = goodput_kbps(res, f);
        if (kbps > 0 && (minpos == 0 || kbps < minpos))
            minpos = kbps;
        if (largest_packet(f) > xmax)
            xmax = largest_packet(f);
    }
    double floor_kbps = 1;
    if (minpos > 0) {
        floor_kbps = 1e-6;
        while (floor_kbps * 10 <= minpos)
            floor_kbps *= 10;
        floor_kbps /= 10;
    }
    int written = 0;
    for (uint32_t i = 0; i < res->nflows && written < npts; i++)
        if (goodput_drawn(r, &res->flows[i])) {
            goodput_row(dat, r, &res->flows[i], floor_kbps);
            written++;
        }
    if (!plots_close_out(dat, dir, name, "dat", err))
        return false;

    struct bound_line bl;
    int nb = goodput_bound(r->inf, &bl);
    if (nb && bl.value > xmax)
        xmax = bl.value;
    xmax = round_up(xmax + 250, 100); /* room for the points' labels */

    char title[PLOTS_TEXT];
    snprintf(title, sizeof title, "Goodput per TCP flow against its largest packet (%d flow%s)",
             npts, npts == 1 ? "" : "s");
    FILE *gp = plots_gp_begin(dir, name, "goodput", title, npts > 0, err);
    if (!gp)
        return false;
    fprintf(gp, "xmin = 0\nxmax = %u\nfloor_kbps = %g\nlabels = %d\nnbounds = %d\n", xmax,
            floor_kbps, npts <= GOODPUT_MAX_LABELS ? 1 : 0, nb);
    if (minpos == 0 || floor_kbps < minpos)
        fprintf(gp, "set yrange [%g:*]\n", floor_kbps / 2);
    if (nb)
        gp_vline(gp, 10, bl.value, xmax, bl.label, "#9467bd", 0);
    if (!plots_gp_finish(gp, dir, name, tdir, "goodput", err))
        return false;
    plots_add_chart(
        p, name, title,
        "One point per TCP flow: its goodput against the largest IP packet it sent; flows "
        "that delivered nothing sit on the bottom line. Small-packet flows work, big-packet "
        "flows stall when the path MTU is the problem.");
    return true;
}

/* ------------------------------------------------------------ gnuplot */

/* A gnuplot process renders a batch of charts, one script after the
 * other, each in a fresh session (`reset session` between them: the
 * variables and settings of one script never reach the next, and the
 * pictures are byte for byte those of one process per chart).  Starting
 * gnuplot (its fonts and cairo) costs about 20 ms a process, as much as
 * drawing one of our small charts, PNG and SVG: the eight small charts of
 * a capture of many short connections took 0.43 s one process each and
 * 0.25 s in one (best of 5, warm). */
#define RENDER_MAX 4        /* gnuplots at once, at most */
#define RENDER_BATCH_MAX 16 /* charts one gnuplot draws, at most */
_Static_assert(RENDER_BATCH_MAX >= PLOTS_MAX_CHARTS, "a batch can hold every chart");

/* Starts gnuplot on the batch's NAME.gp files in dir (the private staging
 * directory of outdir.h: nothing there can be swapped by another user), its
 * messages appended to dir/gnuplot.log, with the per-chart timeout for each
 * chart of the batch.  gnuplot is the one found in PATH's absolute entries
 * (spawn.h). */
static enum spawn_status start_gnuplot(const char *gnuplot, const char *dir, const struct plots *p,
                                       const int *batch, int n, const struct plots_inputs *in,
                                       struct spawn_child *c, int *code)
{
    char scripts[RENDER_BATCH_MAX][96], log[PATH_MAX];
    char *argv[3 * RENDER_BATCH_MAX]; /* gnuplot, the scripts, -e 'reset session' between, NULL */
    int k = 0;
    argv[k++] = "gnuplot";
    for (int i = 0; i < n; i++) {
        if (i > 0) {
            argv[k++] = "-e";
            argv[k++] = "reset session";
        }
        snprintf(scripts[i], sizeof scripts[i], "%s.gp", p->charts[batch[i]].name);
        argv[k++] = scripts[i];
    }
    argv[k] = NULL;
    snprintf(log, sizeof log, "%s/gnuplot.log", dir);
    int logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0644);
    struct spawn_opts so = {dir, -1, logfd, logfd, in->gnuplot_timeout_s * n, in->stop};
    enum spawn_status st = spawn_start(gnuplot, argv, &so, c, code);
    if (logfd >= 0)
        close(logfd); /* the child holds its own copy */
    return st;
}

static bool nonempty(const char *dir, const char *name, const char *ext)
{
    char path[PATH_MAX];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext);
    return stat(path, &st) == 0 && st.st_size > 0;
}

/* The charts rendering: started as soon as their scripts are written, so
 * that gnuplot draws the charts of the first pass while the inputs are
 * read again for the others (render_pump), and finished at the end
 * (render_finish).  Charts are independent: as many gnuplots at once as
 * there are processors for this process (at most RENDER_MAX), the charts
 * waiting shared out between them in batches (take_batch), each chart with
 * its own timeout.  A
 * batch that fails is drawn again one chart a gnuplot, so that one bad
 * chart costs only itself (gnuplot stops at a script's error), and its
 * message is in gnuplot.log.  A batch that times out stops the rest: a
 * gnuplot that hangs on one chart would hang on the next, and the page is
 * written without them, saying why. */
struct render {
    char gnuplot[PATH_MAX];
    bool found; /* gnuplot is in PATH */
    int width;
    struct spawn_child run[RENDER_MAX];
    int batch[RENDER_MAX][RENDER_BATCH_MAX], nbatch[RENDER_MAX];
    double cost[RENDER_MAX]; /* the batch's, chart_cost() */
    int nrun, next, failed, undrawn;
    int alone[PLOTS_MAX_CHARTS], nalone; /* charts of failed batches, to draw one by one */
    enum spawn_status stopped;           /* SPAWN_TIMEOUT / _INTERRUPTED: stopping */
    const char *stopped_at;              /* the first chart the stopped batch had not drawn */
    int stopped_n;                       /* the charts of that batch */
    long nap_ns;
};

static void render_begin(struct render *rd)
{
    memset(rd, 0, sizeof *rd);
    rd->stopped = SPAWN_EXITED;
    rd->nap_ns = 1000000;
    rd->found = spawn_find("gnuplot", rd->gnuplot, sizeof rd->gnuplot);
    int ncpu = spawn_cores();
    rd->width = ncpu > RENDER_MAX ? RENDER_MAX : ncpu;
}

/* What a batch that ended did to each of its charts. */
static void batch_ended(struct render *rd, int k, enum spawn_status st, int code, const char *dir,
                        struct plots *p)
{
    int n = rd->nbatch[k];
    const int *b = rd->batch[k];
    if (st == SPAWN_TIMEOUT || st == SPAWN_INTERRUPTED) {
        const char *at = NULL;
        for (int i = 0; i < n; i++) {
            struct plot_chart *c = &p->charts[b[i]];
            c->rendered = false; /* what it wrote may be cut short */
            rd->undrawn++;
            if (!at && !(nonempty(dir, c->name, "png") && nonempty(dir, c->name, "svg")))
                at = c->name; /* the first one it had not drawn */
        }
        if (rd->stopped == SPAWN_EXITED) {
            rd->stopped = st;
            rd->stopped_at = at ? at : p->charts[b[n - 1]].name;
            rd->stopped_n = n;
            for (int j = 0; j < rd->nrun; j++) /* the others in flight too */
                if (j != k)
                    spawn_stop(&rd->run[j]);
        }
        return;
    }
    bool ok = st == SPAWN_EXITED && code == 0;
    if (!ok && n > 1 && rd->stopped == SPAWN_EXITED) {
        for (int i = 0; i < n; i++) /* each again on its own */
            rd->alone[rd->nalone++] = b[i];
        return;
    }
    for (int i = 0; i < n; i++) {
        struct plot_chart *c = &p->charts[b[i]];
        c->rendered = ok && nonempty(dir, c->name, "png") && nonempty(dir, c->name, "svg");
        if (rd->stopped != SPAWN_EXITED && !c->rendered)
            rd->undrawn++; /* stopped with the one that hung */
        else
            rd->failed += !c->rendered;
    }
}

/* Reaps the gnuplots that ended; true when one did. */
static bool render_reap(struct render *rd, const char *dir, struct plots *p)
{
    bool ended = false;
    for (int k = 0; k < rd->nrun; k++) {
        enum spawn_status st;
        int code;
        if (!spawn_poll(&rd->run[k], &st, &code))
            continue;
        batch_ended(rd, k, st, code, dir, p);
        int last = rd->nrun - 1;
        rd->run[k] = rd->run[last];
        rd->nbatch[k] = rd->nbatch[last];
        rd->cost[k] = rd->cost[last];
        memcpy(rd->batch[k], rd->batch[last], sizeof rd->batch[k]);
        rd->nrun--;
        k--;
        ended = true;
    }
    return ended;
}

/* What drawing a chart costs gnuplot, roughly, in bytes of its data file:
 * a fixed part, as if it had 16 KB more, and its data's bytes.  Measured
 * (best of 5, warm, startup included): charts under 2 KB 40-60 ms, a
 * time-sequence chart of 190 KB 90 ms, the goodput chart of 5,000 flows
 * (208 KB) 230 ms.  The fixed part is lighter than those say, on purpose:
 * batches come out larger, each saving a gnuplot's startup. */
#define CHART_COST_FIXED 16384

static double chart_cost(const char *dir, const struct plot_chart *c)
{
    char path[PATH_MAX];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s.dat", dir, c->name);
    return CHART_COST_FIXED + (stat(path, &st) == 0 ? (double)st.st_size : 0);
}

/* The next batch into run slot rd->nrun: a chart of a failed batch alone,
 * or the charts waiting, in their order, until the batch holds its share
 * of all the work there is (the charts waiting and the batches running, as
 * if they had just started): one gnuplot's startup saved per chart added,
 * and no gnuplot left idle while another has a long queue.  false when
 * there is nothing to start. */
static bool take_batch(struct render *rd, const char *dir, const struct plots *p)
{
    int k = rd->nrun, *b = rd->batch[k];
    if (rd->nalone) {
        b[0] = rd->alone[0];
        memmove(rd->alone, rd->alone + 1, (size_t)--rd->nalone * sizeof rd->alone[0]);
        rd->nbatch[k] = 1;
        rd->cost[k] = chart_cost(dir, &p->charts[b[0]]);
        return true;
    }
    if (rd->next >= p->ncharts)
        return false;
    double cost[PLOTS_MAX_CHARTS], all = 0;
    for (int i = rd->next; i < p->ncharts; i++)
        all += cost[i] = chart_cost(dir, &p->charts[i]);
    for (int j = 0; j < rd->nrun; j++)
        all += rd->cost[j];
    double share = all / rd->width, have = 0;
    int n = 0;
    while (rd->next < p->ncharts && (n == 0 || have + cost[rd->next] <= share)) {
        have += cost[rd->next];
        b[n++] = rd->next++;
    }
    rd->nbatch[k] = n;
    rd->cost[k] = have;
    return true;
}

/* Starts the charts written so far, as many gnuplots as there is room
 * for, after reaping those that ended; wait: until every chart written
 * has ended. */
static void render_pump(struct render *rd, const char *dir, const struct plots_inputs *in,
                        struct plots *p, bool wait)
{
    if (!rd->found)
        return;
    for (;;) {
        while (rd->nrun < rd->width && rd->stopped == SPAWN_EXITED && take_batch(rd, dir, p)) {
            int k = rd->nrun, code;
            if (start_gnuplot(rd->gnuplot, dir, p, rd->batch[k], rd->nbatch[k], in, &rd->run[k],
                              &code) == SPAWN_STARTED) {
                rd->nrun++;
            } else {
                for (int i = 0; i < rd->nbatch[k]; i++) {
                    p->charts[rd->batch[k][i]].rendered = false;
                    rd->failed++;
                }
            }
        }
        if (render_reap(rd, dir, p)) {
            rd->nap_ns = 1000000;
            continue; /* room for the next */
        }
        if (!wait || (rd->nrun == 0 &&
                      ((rd->next == p->ncharts && rd->nalone == 0) || rd->stopped != SPAWN_EXITED)))
            return;
        spawn_wait(rd->run, rd->nrun, 100, &rd->nap_ns);
    }
}

static void render_finish(struct render *rd, const char *dir, const struct plots_inputs *in,
                          struct plots *p, FILE *err)
{
    render_pump(rd, dir, in, p, true);
    if (!rd->found) {
        fprintf(err, "mtuscope: gnuplot not found in PATH (its absolute entries): the charts' "
                     "data and scripts are written; render them with: gnuplot NAME.gp\n");
        plots_add_note(p, "gnuplot is not installed: the charts' data and scripts are written; "
                          "render them with: gnuplot NAME.gp");
        return;
    }
    if (rd->stopped != SPAWN_EXITED) {
        rd->undrawn += p->ncharts - rd->next + rd->nalone;
        char note[PLOTS_TEXT];
        if (rd->stopped == SPAWN_TIMEOUT && rd->stopped_n == 1)
            snprintf(note, sizeof note,
                     "gnuplot did not finish the chart %s within %g s (--plot-timeout): it "
                     "was stopped, and %d chart%s not drawn",
                     rd->stopped_at, in->gnuplot_timeout_s, rd->undrawn,
                     rd->undrawn == 1 ? " is" : "s are");
        else if (rd->stopped == SPAWN_TIMEOUT)
            snprintf(note, sizeof note,
                     "gnuplot did not finish the chart %s within %g s (--plot-timeout: %g s for "
                     "each of the %d charts it was drawing): it was stopped, and %d chart%s "
                     "not drawn",
                     rd->stopped_at, in->gnuplot_timeout_s * rd->stopped_n, in->gnuplot_timeout_s,
                     rd->stopped_n, rd->undrawn, rd->undrawn == 1 ? " is" : "s are");
        else
            snprintf(note, sizeof note, "interrupted: %d chart%s not drawn", rd->undrawn,
                     rd->undrawn == 1 ? " is" : "s are");
        fprintf(err, "mtuscope: %s\n", note);
        plots_add_note(p, note);
        return;
    }
    if (rd->failed) {
        fprintf(err, "mtuscope: gnuplot failed on %d chart%s: see gnuplot.log\n", rd->failed,
                rd->failed == 1 ? "" : "s");
        plots_add_note(p, "gnuplot failed on some charts: see gnuplot.log");
    }
}

/* Moves charts[from, ncharts) to position at, the others after them in
 * their order: the page lists the charts in the order of the story, not
 * in the order they were drawn. */
static void charts_move(struct plots *p, int at, int from)
{
    for (int k = from; k < p->ncharts; k++) {
        struct plot_chart c = p->charts[k];
        memmove(&p->charts[at + 1], &p->charts[at], (size_t)(k - at) * sizeof c);
        p->charts[at++] = c;
    }
}

bool plots_owns_name(const char *name)
{
    static const char *const stems[] = {"size-delivery", "size-delivery-c2s", "size-delivery-s2c",
                                        "tsg",           "retrans-timeline",  "goodput",
                                        "mtu-goodput",   "ping-sweep",        "ladder"};
    static const char *const exts[] = {".gp", ".dat", ".png", ".svg"};
    if (strcmp(name, "gnuplot.log") == 0)
        return true;
    const char *dot = strrchr(name, '.');
    if (!dot)
        return false;
    bool ext = false;
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        ext = ext || strcmp(dot, exts[i]) == 0;
    if (!ext)
        return false;
    size_t stem = (size_t)(dot - name);
    for (size_t i = 0; i < sizeof stems / sizeof stems[0]; i++)
        if (strlen(stems[i]) == stem && strncmp(name, stems[i], stem) == 0)
            return true;
    /* tsg-flowN: N a flow id */
    if (stem > 8 && strncmp(name, "tsg-flow", 8) == 0) {
        for (size_t i = 8; i < stem; i++)
            if (name[i] < '0' || name[i] > '9')
                return false;
        return true;
    }
    return false;
}

bool plots_write(const char *dir, const struct report_data *r, const struct plots_inputs *in,
                 struct plots *out, FILE *err)
{
    memset(out, 0, sizeof *out);
    char tdir[PATH_MAX];
    if (!find_templates(tdir, sizeof tdir)) {
        fprintf(err, "mtuscope: the chart templates (plots/*.gp) were not found next to the "
                     "binary nor installed; set MTUSCOPE_PLOTS to their directory\n");
        plots_add_note(out, "no charts: the gnuplot templates (plots/*.gp) were not found");
        return true; /* the reports themselves are fine */
    }
    /* The charts of the first pass are written and started before the
     * second read (plots_replay), which then runs beside their gnuplots
     * (with the pidfd waits: -o on the 1.5 GB bench capture a-bulk 1.11-1.16
     * -> 1.03-1.11 s, measured before the first pass recorded the graphs);
     * the page lists them in the story's order all the same. */
    struct render rd;
    render_begin(&rd);
    bool ok = charts_sizes(dir, tdir, r, out, err);
    int sizes = out->ncharts;
    ok = chart_goodput(dir, tdir, r, out, err) && ok;
    ok = plots_mtu_series(dir, tdir, r, out, err) && ok;
    ok = plots_ping_sweep(dir, tdir, r, out, err) && ok;
    int first_pass = out->ncharts;
    render_pump(&rd, dir, in, out, false);
    ok = plots_replay(dir, tdir, r, in, out, err) && ok;
    render_finish(&rd, dir, in, out, err);
    charts_move(out, sizes, first_pass);
    return ok;
}
