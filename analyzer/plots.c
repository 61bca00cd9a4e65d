/*
 * plots.c - the charts of `-o DIR` (plots.h): data files, gnuplot scripts
 * filled from the templates in plots/, and gnuplot really run on them.
 *
 * Every chart is drawn from numbers the earlier stages kept (results.h,
 * stats.h, inference.h when it has run) or, for the per-packet charts, from a
 * second read of the inputs: the report stages keep summaries of bounded
 * size, and a time-sequence graph needs every segment.  The second read
 * writes rows straight into the data files, so memory stays fixed whatever
 * the capture's length.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "inference.h"
#include "plots.h"
#include "spawn.h"

#define TL_BINS 120             /* retransmission timeline intervals, at most */
#define TSG_MAX_ROWS 200000     /* data rows per time-sequence graph (~6 MB) */
#define SIZE_MAX_POINTS 1024    /* distinct sizes in one size chart */
#define TSG_MAX_ICMP_LINES 40   /* frag-needed arrivals marked per graph */
#define GOODPUT_MAX_LABELS 25   /* label each point only when they stay readable */
#define GOODPUT_MAX_POINTS 5000 /* flows drawn; results.h keeps at most 25000 */

static const char *const dir_short[2] = {"c2s", "s2c"};
static const char *const dir_long[2] = {"client -> server", "server -> client"};

static int64_t to_ns(int64_t sec, uint32_t nsec)
{
    return sec * 1000000000LL + (int64_t)nsec;
}

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

static FILE *open_out(const char *dir, const char *name, const char *ext, FILE *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext);
    FILE *fp = fopen(path, "w");
    if (!fp)
        fprintf(err, "mtuscope: %s: %s\n", path, strerror(errno));
    return fp;
}

static bool close_out(FILE *fp, const char *dir, const char *name, const char *ext, FILE *err)
{
    bool bad = ferror(fp) != 0;
    if (fclose(fp) != 0 || bad) {
        fprintf(err, "mtuscope: %s/%s.%s: write error\n", dir, name, ext);
        return false;
    }
    return true;
}

/* A gnuplot single-quoted string: only the quote itself needs doubling. */
static void gp_string(FILE *gp, const char *s)
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
 * values, then gp_finish() appends the template. */
static FILE *gp_begin(const char *dir, const char *name, const char *tmpl, const char *title,
                      bool has_data, FILE *err)
{
    FILE *gp = open_out(dir, name, "gp", err);
    if (!gp)
        return NULL;
    fprintf(gp,
            "# %s.gp - written by mtuscope %s: the values below, then the template\n"
            "# plots/%s.gp.  Render again with: gnuplot %s.gp\n",
            name, MTUSCOPE_VERSION, tmpl, name);
    fprintf(gp, "out = ");
    gp_string(gp, name);
    fprintf(gp, "\ndatafile = ");
    char dat[96];
    snprintf(dat, sizeof dat, "%s.dat", name);
    gp_string(gp, dat);
    fprintf(gp, "\nchart_title = ");
    gp_string(gp, title);
    fprintf(gp, "\nhas_data = %d\n", has_data ? 1 : 0);
    /* titles carry addresses and names: no enhanced-text markup in them */
    fprintf(gp, "set title noenhanced\n");
    return gp;
}

static bool gp_finish(FILE *gp, const char *dir, const char *name, const char *tdir,
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
    return close_out(gp, dir, name, "gp", err);
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
    gp_string(gp, label);
    /* the label on the side with room: right of a line in the left half */
    bool left = x < xmax / 2;
    fprintf(gp, " at %.3f, graph %.2f %s offset %s,0 tc rgb '%s' front noenhanced\n", x,
            0.80 - 0.05 * row, left ? "left" : "right", left ? "0.6" : "-0.6", color);
}

static struct plot_chart *add_chart(struct plots *p, const char *name, const char *title,
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

static void add_note(struct plots *p, const char *text)
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
                 dir_long[d], addr_text(src, a, sizeof a), addr_text(dst, b, sizeof b),
                 nflows > 1 ? " and others" : "", nflows, nflows == 1 ? "" : "s");
    } else {
        snprintf(title, sizeof title, "TCP data delivered by IP packet size");
    }
    snprintf(what, sizeof what,
             "Bars: TCP data transmissions sent, delivered (ACKed) and lost (retransmitted, never "
             "delivered) per IP packet size; line: the share delivered.%s",
             nb ? " Dashed lines: the inferred path-MTU bounds." : "");

    bool ok = false;
    FILE *dat = open_out(dir, name, "dat", err);
    if (!dat)
        goto out;
    fprintf(dat, "# %s: TCP data transmissions by IP packet size, %s\n", title,
            d >= 0 ? dir_long[d] : "no data");
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
    if (!close_out(dat, dir, name, "dat", err))
        goto out;
    for (int i = 0; i < nb; i++)
        if (bl[i].value > xmax)
            xmax = bl[i].value;
    xmax = round_up(xmax + 60, 100);
    if (xmax < 200)
        xmax = 200;

    FILE *gp = gp_begin(dir, name, "size-delivery", title, n > 0, err);
    if (!gp)
        goto out;
    fprintf(gp, "xmin = 0\nxmax = %u\nbw = %.1f\ncounts = %d\nnbounds = %d\n", xmax, xmax / 90.0,
            n <= 12 ? 1 : 0, nb);
    /* a bulk transfer's thousands of full-size segments would flatten the
     * few probes and losses that make the point: counts go logarithmic */
    fprintf(gp, "logy = %d\n", least && most / least > 30 ? 1 : 0);
    for (int i = 0; i < nb; i++)
        gp_vline(gp, 10 + i, bl[i].value, xmax, bl[i].label, "#9467bd", i);
    if (!gp_finish(gp, dir, name, tdir, "size-delivery", err))
        goto out;
    add_chart(p, name, title, what);
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

static bool chart_goodput(const char *dir, const char *tdir, const struct report_data *r,
                          struct plots *p, FILE *err)
{
    const struct results *res = r->res;
    const char *name = "goodput";
    FILE *dat = open_out(dir, name, "dat", err);
    if (!dat)
        return false;
    fprintf(dat, "# per-flow goodput: IP bytes delivered (both directions) * 8 / flow duration\n"
                 "# largest_packet_bytes goodput_kbps status(0 healthy, 1 retransmissions, "
                 "2 stalled) mss flow label\n");
    /* first pass: how many points, and the smallest goodput above zero
     * (flows that delivered nothing are drawn one decade below it) */
    int npts = 0;
    double minpos = 0;
    uint32_t xmax = 0;
    for (uint32_t i = 0; i < res->nflows && npts < GOODPUT_MAX_POINTS; i++) {
        const struct flow_summary *f = &res->flows[i];
        if (f->proto != IP_PROTO_TCP || !(f->dir[0].dl_sent + f->dir[1].dl_sent))
            continue;
        npts++;
        double dur = (double)(f->last_ns - f->first_ns) / 1e9;
        double kbps = (delivered_bytes(res, f, 0) + delivered_bytes(res, f, 1)) * 8 / 1e3 /
                      (dur > 1e-3 ? dur : 1e-3);
        if (kbps > 0 && (minpos == 0 || kbps < minpos))
            minpos = kbps;
        uint32_t big = f->dir[0].max_packet > f->dir[1].max_packet ? f->dir[0].max_packet
                                                                   : f->dir[1].max_packet;
        if (big > xmax)
            xmax = big;
    }
    double floor_kbps = 1;
    if (minpos > 0) {
        floor_kbps = 1e-6;
        while (floor_kbps * 10 <= minpos)
            floor_kbps *= 10;
        floor_kbps /= 10;
    }
    bool labels = npts <= GOODPUT_MAX_LABELS;
    int written = 0;
    for (uint32_t i = 0; i < res->nflows && written < npts; i++) {
        const struct flow_summary *f = &res->flows[i];
        if (f->proto != IP_PROTO_TCP || !(f->dir[0].dl_sent + f->dir[1].dl_sent))
            continue;
        written++;
        double dur = (double)(f->last_ns - f->first_ns) / 1e9;
        double kbps = (delivered_bytes(res, f, 0) + delivered_bytes(res, f, 1)) * 8 / 1e3 /
                      (dur > 1e-3 ? dur : 1e-3);
        int status = f->stalled ? 2 : f->retransmissions ? 1 : 0;
        uint32_t big = f->dir[0].max_packet > f->dir[1].max_packet ? f->dir[0].max_packet
                                                                   : f->dir[1].max_packet;
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
        fprintf(dat, "%u %.6g %d %u %" PRIu64 " \"%s\"\n", big, kbps > 0 ? kbps : floor_kbps,
                status, mss, f->id, label);
    }
    if (!close_out(dat, dir, name, "dat", err))
        return false;

    struct bound_line bl[3];
    int nb = 0;
    /* the tightest bound over every path: what a flow's packets must fit */
    if (r->inf)
        for (int i = 0; i < r->inf->npaths; i++) {
            const struct inf_path *pa = &r->inf->paths[i];
            uint32_t v = pa->mtu ? pa->mtu : pa->upper;
            if (v && (nb == 0 || v < bl[0].value)) {
                nb = 1;
                bl[0].value = v;
                snprintf(bl[0].label, sizeof bl[0].label, "%s %u",
                         pa->mtu ? "path MTU" : "nothing above crosses:", v);
            }
        }
    if (nb && bl[0].value > xmax)
        xmax = bl[0].value;
    xmax = round_up(xmax + 250, 100); /* room for the points' labels */

    char title[PLOTS_TEXT];
    snprintf(title, sizeof title, "Goodput per TCP flow against its largest packet (%d flow%s)",
             npts, npts == 1 ? "" : "s");
    FILE *gp = gp_begin(dir, name, "goodput", title, npts > 0, err);
    if (!gp)
        return false;
    fprintf(gp, "xmin = 0\nxmax = %u\nfloor_kbps = %g\nlabels = %d\nnbounds = %d\n", xmax,
            floor_kbps, labels ? 1 : 0, nb);
    if (minpos == 0 || floor_kbps < minpos)
        fprintf(gp, "set yrange [%g:*]\n", floor_kbps / 2);
    if (nb)
        gp_vline(gp, 10, bl[0].value, xmax, bl[0].label, "#9467bd", 0);
    if (!gp_finish(gp, dir, name, tdir, "goodput", err))
        return false;
    add_chart(p, name, title,
              "One point per TCP flow: its goodput against the largest IP packet it sent; flows "
              "that delivered nothing sit on the bottom line. Small-packet flows work, big-packet "
              "flows stall when the path MTU is the problem.");
    return true;
}

/* ------------------------------------- second read: per-packet charts */

struct tsg {
    const struct flow_summary *f;
    uint8_t dir; /* the data direction drawn */
    bool base_set, ack_set;
    uint32_t base, last_ack;
    uint64_t rows;
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
             dir_long[g->dir], f->id, x->stalled ? ", the shaded band the stall" : "",
             g->truncated ? " (only the first rows are drawn)" : "");

    FILE *gp = gp_begin(dir, g->name, "tsg", title, g->rows > 0, err);
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
    if (!gp_finish(gp, dir, g->name, tdir, "tsg", err))
        return false;
    add_chart(p, g->name, title, what);
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
    FILE *dat = open_out(dir, name, "dat", err);
    if (!dat)
        return false;
    fprintf(dat, "# no TCP flow in this capture\n");
    if (!close_out(dat, dir, name, "dat", err))
        return false;
    const char *title = "Time-sequence graph: no TCP flow in this capture";
    FILE *gp = gp_begin(dir, name, "tsg", title, false, err);
    if (!gp)
        return false;
    fprintf(gp, "nicmp = 0\nstalled = 0\n");
    if (opaque)
        fprintf(gp, "set label 2 'the TCP flows ride inside an encrypted tunnel: capture "
                    "the tunnel interface to see them' at graph 0.5, graph 0.42 center\n");
    if (!gp_finish(gp, dir, name, tdir, "tsg", err))
        return false;
    add_chart(p, name, title,
              opaque ? "No TCP flow is visible here: the traffic is inside an encrypted "
                       "tunnel; a capture of the tunnel interface shows its flows."
                     : "No TCP flow in this capture, so there is no sequence to draw.");
    return true;
}

static bool write_timeline(const char *dir, const char *tdir, const struct report_data *r,
                           const struct replay *rp, struct plots *p, FILE *err)
{
    const char *name = "retrans-timeline";
    FILE *dat = open_out(dir, name, "dat", err);
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
    if (!close_out(dat, dir, name, "dat", err))
        return false;
    const struct results *res = r->res;
    char title[PLOTS_TEXT];
    snprintf(title, sizeof title,
             "TCP retransmissions over time (%" PRIu64 " retransmissions, %u storm%s)", total,
             res->nstorms, res->nstorms == 1 ? "" : "s");
    FILE *gp = gp_begin(dir, name, "retrans-timeline", title, rp->nbins > 0, err);
    if (!gp)
        return false;
    fprintf(gp, "bin_label = ");
    gp_string(gp, bl);
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
    if (!gp_finish(gp, dir, name, tdir, "retrans-timeline", err))
        return false;
    add_chart(p, name, title,
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
        ok = close_out(g->dat, dir, g->name, "dat", err);
        g->dat = NULL;
    }
    return ok;
}

static bool charts_replay(const char *dir, const char *tdir, const struct report_data *r,
                          const struct plots_inputs *in, struct plots *p, FILE *err)
{
    for (int i = 0; i < in->npaths; i++)
        if (strcmp(in->paths[i], "-") == 0) {
            add_note(p, "time-sequence graphs and the retransmission timeline are not drawn: "
                        "they read the packets a second time, and standard input cannot be "
                        "read twice (save the capture to a file first)");
            return true;
        }
    struct replay *rp = calloc(1, sizeof *rp);
    if (!rp) {
        fprintf(err, "mtuscope: out of memory\n");
        return false;
    }
    bool ok = false;
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

    const struct flow_summary *picked[PLOTS_MAX_TSG];
    bool flagged;
    rp->ntsg = pick_tsg(r, picked, &flagged);
    for (int i = 0; i < rp->ntsg; i++) {
        struct tsg *g = &rp->tsg[i];
        g->f = picked[i];
        const struct inf_blackhole *bh = r->inf ? inference_blackhole(r->inf, g->f->id) : NULL;
        g->dir = bh ? bh->dir : tsg_dir(g->f);
        snprintf(g->name, sizeof g->name, "tsg-flow%" PRIu64, g->f->id);
        g->dat = open_out(dir, g->name, "dat", err);
        g->acks = tmpfile();
        if (!g->dat || !g->acks) {
            if (!g->acks)
                fprintf(err, "mtuscope: temporary file: %s\n", strerror(errno));
            goto out;
        }
        fprintf(g->dat,
                "# flow #%" PRIu64 ", %s data; index 0: time_s retransmission(0/1) "
                "seq_first seq_end (relative: 0 is the first data byte)\n",
                g->f->id, dir_long[g->dir]);
    }

    /* the second read: the same options and order, so the flow ids match */
    struct pipeline_opts po = *in->po;
    po.progress = false;
    po.quiet = true;
    struct results res2;
    if (!results_init(&res2)) {
        fprintf(err, "mtuscope: out of memory\n");
        goto out;
    }
    struct pipeline_hooks hooks = {replay_packet, rp};
    for (int i = 0; i < in->npaths; i++) {
        struct input_stats *s2 = stats_new(in->paths[i]);
        if (!s2) {
            fprintf(err, "mtuscope: out of memory\n");
            results_free(&res2);
            goto out;
        }
        enum pipeline_status st = pipeline_run(in->paths[i], i, &po, s2, &res2, &hooks);
        stats_free(s2);
        if (st == PIPELINE_BAD_FILTER)
            break;
    }
    results_free(&res2);

    ok = true;
    for (int i = 0; i < rp->ntsg; i++) {
        ok = tsg_close(&rp->tsg[i], dir, err) && ok;
        if (ok)
            ok = write_tsg_script(dir, tdir, r, &rp->tsg[i], flagged, p, err);
    }
    if (rp->ntsg == 0 && ok)
        ok = write_tsg_empty(dir, tdir, r, p, err);
    if (ok)
        ok = write_timeline(dir, tdir, r, rp, p, err);
out:
    for (int i = 0; i < rp->ntsg; i++) {
        if (rp->tsg[i].acks)
            fclose(rp->tsg[i].acks);
        if (rp->tsg[i].dat)
            fclose(rp->tsg[i].dat);
    }
    free(rp);
    return ok;
}

/* ------------------------------------------------------------ gnuplot */

/* Runs gnuplot on NAME.gp in dir (the private staging directory of
 * outdir.h: nothing there can be swapped by another user), its messages
 * appended to dir/gnuplot.log.  gnuplot is the one found in PATH's absolute
 * entries (spawn.h). */
static enum spawn_status run_gnuplot(const char *gnuplot, const char *dir, const char *name,
                                     const struct plots_inputs *in, int *code)
{
    char script[96], log[PATH_MAX];
    snprintf(script, sizeof script, "%s.gp", name);
    snprintf(log, sizeof log, "%s/gnuplot.log", dir);
    int logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0644);
    char *argv[] = {"gnuplot", script, NULL};
    struct spawn_opts so = {dir, -1, logfd, logfd, in->gnuplot_timeout_s, in->stop};
    enum spawn_status st = spawn_run(gnuplot, argv, &so, code);
    if (logfd >= 0)
        close(logfd);
    return st;
}

static bool nonempty(const char *dir, const char *name, const char *ext)
{
    char path[PATH_MAX];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext);
    return stat(path, &st) == 0 && st.st_size > 0;
}

static void render(const char *dir, const struct plots_inputs *in, struct plots *p, FILE *err)
{
    char gnuplot[PATH_MAX];
    if (!spawn_find("gnuplot", gnuplot, sizeof gnuplot)) {
        fprintf(err, "mtuscope: gnuplot not found in PATH (its absolute entries): the charts' "
                     "data and scripts are written; render them with: gnuplot NAME.gp\n");
        add_note(p, "gnuplot is not installed: the charts' data and scripts are written; "
                    "render them with: gnuplot NAME.gp");
        return;
    }
    int failed = 0;
    for (int i = 0; i < p->ncharts; i++) {
        struct plot_chart *c = &p->charts[i];
        int code;
        enum spawn_status st = run_gnuplot(gnuplot, dir, c->name, in, &code);
        if (st == SPAWN_TIMEOUT || st == SPAWN_INTERRUPTED) {
            /* a gnuplot that hangs on one chart would hang on the next: the
             * page is written without the rest, and says why */
            char note[PLOTS_TEXT];
            if (st == SPAWN_TIMEOUT)
                snprintf(note, sizeof note,
                         "gnuplot did not finish the chart %s within %g s (--plot-timeout): it "
                         "was stopped, and the %d charts from it on are not drawn",
                         c->name, in->gnuplot_timeout_s, p->ncharts - i);
            else
                snprintf(note, sizeof note, "interrupted: the %d charts from %s on are not drawn",
                         p->ncharts - i, c->name);
            fprintf(err, "mtuscope: %s\n", note);
            add_note(p, note);
            return;
        }
        c->rendered = st == SPAWN_EXITED && code == 0 && nonempty(dir, c->name, "png") &&
                      nonempty(dir, c->name, "svg");
        failed += !c->rendered;
    }
    if (failed) {
        fprintf(err, "mtuscope: gnuplot failed on %d chart%s: see gnuplot.log\n", failed,
                failed == 1 ? "" : "s");
        add_note(p, "gnuplot failed on some charts: see gnuplot.log");
    }
}

bool plots_owns_name(const char *name)
{
    static const char *const stems[] = {"size-delivery-c2s", "size-delivery-s2c", "tsg",
                                        "retrans-timeline", "goodput"};
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
        add_note(out, "no charts: the gnuplot templates (plots/*.gp) were not found");
        return true; /* the reports themselves are fine */
    }
    bool ok = charts_sizes(dir, tdir, r, out, err);
    ok = charts_replay(dir, tdir, r, in, out, err) && ok;
    ok = chart_goodput(dir, tdir, r, out, err) && ok;
    render(dir, in, out, err);
    return ok;
}
