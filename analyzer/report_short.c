/*
 * report_short.c - the short text report, mtuscope's default (issue 16
 * item 5): the verdict, the fix, the strongest evidence, then one line per
 * further section.  `-v` (or --full, and report.txt under -o DIR) prints
 * every section in full (report_text.c); the JSON report is always
 * complete.
 *
 * The strongest evidence is the first finding that says what the verdict
 * says (else the first of the highest severity; the inference lists
 * measured evidence first).  The other findings of the same kind are the
 * same problem seen from other vantage points or layers (a black hole seen from the client's outer
 * interface, the server's, and inside the tunnel): one line each, as views of it, never as separate
 * problems.  What a capture normally shows is no anomaly here: packets cut by a header-only snap
 * length (and the fragments they cut), datagrams still open when the capture stopped.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "anomaly.h"
#include "compare.h"
#include "correlate.h"
#include "escape.h"
#include "inference.h"
#include "report.h"
#include "report_text.h"

/* The strongest finding: the first that says what the verdict says (its
 * kind is the verdict's status: a black hole for "blackhole", the obeyed
 * ICMP for "pmtud-working"), else the first of the highest severity
 * (INF_ERROR is the lowest value).  -1 when there is none. */
static int strongest(const struct inference *inf)
{
    int best = -1;
    for (int i = 0; i < inf->nfindings; i++)
        if (inf->status && !strcmp(inf->findings[i].kind, inf->status))
            return i;
    for (int i = 0; i < inf->nfindings; i++)
        if (best < 0 || inf->findings[i].severity < inf->findings[best].severity)
            best = i;
    return best;
}

/* A finding's words up to the first colon: what it is, without the detail
 * ("black hole suspected (receiver side)"). */
static void finding_head(const struct inf_finding *f, char *buf, size_t size)
{
    const char *m = f->message ? f->message : "";
    const char *colon = strchr(m, ':');
    size_t n = colon ? (size_t)(colon - m) : strlen(m);
    if (n > 120)
        n = 120;
    snprintf(buf, size, "%.*s", (int)n, m);
}

static void short_evidence(FILE *out, const struct report_data *r, const char *bold,
                           const char *off)
{
    const struct inference *inf = r->inf;
    int s = strongest(inf);
    if (s < 0)
        return;
    const struct inf_finding *top = &inf->findings[s];
    if (inf->nfindings == 1)
        fprintf(out, "\n%sevidence:%s\n", bold, off);
    else
        fprintf(out, "\n%sevidence%s (the strongest; -v shows all %d findings in full):\n", bold,
                off, inf->nfindings);
    report_text_finding(out, r, top);
    int views = 0;
    for (int i = 0; i < inf->nfindings; i++) {
        const struct inf_finding *f = &inf->findings[i];
        if (i == s || strcmp(f->kind, top->kind))
            continue;
        if (!views++)
            fprintf(out, "  the same kind of finding (%s), seen %s:\n", top->kind,
                    r->ninputs > 1 ? "from other vantage points or layers" : "on other flows");
        char head[160], line[640];
        finding_head(f, head, sizeof head);
        int n = snprintf(line, sizeof line, "- ");
        if (f->flow && n > 0 && (size_t)n < sizeof line)
            n += snprintf(line + n, sizeof line - (size_t)n, "flow #%" PRIu64 ", ", f->flow);
        if (r->ninputs > 1 && f->input >= 0 && f->input < r->ninputs && n > 0 &&
            (size_t)n < sizeof line)
            n += snprintf(line + n, sizeof line - (size_t)n, "in %s: ", r->inputs[f->input]->path);
        if (n > 0 && (size_t)n < sizeof line)
            snprintf(line + n, sizeof line - (size_t)n, "%s", head);
        report_wrap(out, 4, line, 98);
    }
}

/* The first bounded path (the full report's order), and how many more. */
static void short_paths(FILE *out, const struct inference *inf)
{
    const struct inf_path *first = NULL;
    int more = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < inf->npaths; i++) {
            const struct inf_path *p = &inf->paths[i];
            if (pass == 0 ? !p->upper : (p->upper || !p->nevidence))
                continue;
            if (!first)
                first = p;
            else
                more++;
        }
    if (!first)
        return;
    char a[64], b[64], line[320];
    int n = snprintf(
        line, sizeof line, "- path MTU: %s -> %s%s: ", addr_text(&first->src, a, sizeof a),
        addr_text(&first->dst, b, sizeof b), first->layer == INF_INNER ? " (in a tunnel)" : "");
    if (n < 0 || (size_t)n >= sizeof line)
        return;
    size_t k = (size_t)n;
    /* an unknown bound is unknown, never 0 (issue 14 item 3) */
    if (first->mtu)
        n = snprintf(line + k, sizeof line - k, "exactly %u bytes", first->mtu);
    else if (first->upper && first->lower)
        n = snprintf(line + k, sizeof line - k, "between %u and %u bytes", first->lower,
                     first->upper);
    else if (first->upper)
        n = snprintf(line + k, sizeof line - k, "at most %u bytes", first->upper);
    else if (first->lower)
        n = snprintf(line + k, sizeof line - k, "at least %u bytes", first->lower);
    else
        n = snprintf(line + k, sizeof line - k, "no bound, only evidence");
    if (n > 0 && (k += (size_t)n) < sizeof line && more)
        snprintf(line + k, sizeof line - k, "; %d more path%s", more, more == 1 ? "" : "s");
    report_wrap(out, 2, line, 98);
}

static void short_comparison(FILE *out, const struct comparison *c)
{
    if (!c)
        return;
    char line[160];
    if (c->sentence) {
        char *t = NULL;
        size_t n = strlen(c->sentence) + 16;
        t = malloc(n);
        if (t) {
            snprintf(t, n, "- comparison: %s", c->sentence);
            report_wrap(out, 2, t, 98);
            free(t);
        }
        return;
    }
    snprintf(line, sizeof line,
             "- comparison: %d TCP flows with data%s, none stalls beside one that works", c->nrows,
             c->rows_unlisted ? " and more" : "");
    report_wrap(out, 2, line, 98);
}

static void short_vantage(FILE *out, const struct report_data *r)
{
    const struct correlation *c = r->res ? r->res->correlation : NULL;
    if (!c || c->ninputs < 2)
        return;
    uint64_t matched = 0;
    int pairs = 0;
    for (int i = 0; i < c->npairs; i++)
        if (c->pairs[i].shared_flows && c->pairs[i].matched) {
            pairs++;
            matched += c->pairs[i].matched;
        }
    if (pairs)
        fprintf(out,
                "  - vantage points: %d inputs, %d pair%s of them share packets (%" PRIu64
                " matched)\n",
                c->ninputs, pairs, pairs == 1 ? "" : "s", matched);
    else
        fprintf(out, "  - vantage points: %d inputs, no two share packets\n", c->ninputs);
}

/* Anomalies a capture does not normally show: a header-only snap length
 * cuts every large packet (and the fragments it cuts), and a capture
 * stopped mid-datagram leaves it open; fragment-incomplete is the total of
 * the fragment classes, counted once through them. */
static uint64_t unusual_anomalies(const struct input_stats *s)
{
    uint64_t n = 0;
    for (int a = 0; a < AN__COUNT; a++)
        if (a != AN_TRUNCATED && a != AN_FRAG_SNAPCUT && a != AN_FRAG_OPEN_AT_END &&
            a != AN_FRAG_INCOMPLETE)
            n += s->anomalies[a];
    return n;
}

static void short_inputs(FILE *out, const struct report_data *r)
{
    uint64_t packets = 0, unusual = 0, errors = 0;
    for (int i = 0; i < r->ninputs; i++) {
        packets += r->inputs[i]->packets;
        unusual += unusual_anomalies(r->inputs[i]);
        errors += r->inputs[i]->error[0] != 0 || r->inputs[i]->interrupted;
    }
    fprintf(out, "  - input%s: %d, %" PRIu64 " packets", r->ninputs == 1 ? "" : "s", r->ninputs,
            packets);
    if (unusual)
        fprintf(out, "; %" PRIu64 " malformed or unusual packets", unusual);
    if (errors)
        fprintf(out, "; %" PRIu64 " not read to the end", errors);
    fputc('\n', out);
    /* what stopped an input is never hidden: the report covers less */
    for (int i = 0; i < r->ninputs; i++) {
        const struct input_stats *s = r->inputs[i];
        if (s->error[0])
            escape_line(out, "    READ ERROR: %s (the frames before it were analysed)", s->error);
        if (s->interrupted)
            escape_line(out, "    INTERRUPTED (Ctrl-C): %s was read only in part", s->path);
    }
}

static void short_flows(FILE *out, const struct results *res)
{
    if (!res)
        return;
    report_text_flow_counts(out, "  - ", res);
    if (res->ntunnels)
        fprintf(out, "  - tunnels: %u\n", res->ntunnels);
}

static void short_other_findings(FILE *out, const struct inference *inf)
{
    int s = strongest(inf), n[3] = {0, 0, 0};
    for (int i = 0; i < inf->nfindings; i++) {
        const struct inf_finding *f = &inf->findings[i];
        if (s >= 0 && !strcmp(f->kind, inf->findings[s].kind))
            continue; /* the strongest and its views */
        if (f->severity < 3)
            n[f->severity]++;
    }
    if (!n[0] && !n[1] && !n[2])
        return;
    fprintf(out, "  - other findings:");
    const char *names[3] = {"error", "warning", "info"};
    for (int k = 0, first = 1; k < 3; k++)
        if (n[k]) {
            fprintf(out, "%s %d %s%s", first ? "" : ",", n[k], names[k],
                    n[k] == 1 || k == 2 ? "" : "s");
            first = 0;
        }
    fputc('\n', out);
}

void report_text_short(FILE *out, const struct report_data *r, const struct report_opts *o)
{
    const char *bold = o->color ? "\033[1m" : "", *off = o->color ? "\033[0m" : "";
    if (!report_text_verdict(out, r, o))
        return;
    const struct inference *inf = r->inf;
    short_evidence(out, r, bold, off);
    fprintf(out, "\n%smore%s (-v prints each in full; --json has everything):\n", bold, off);
    short_paths(out, inf);
    short_comparison(out, inf->cmp);
    short_vantage(out, r);
    short_inputs(out, r);
    short_flows(out, r->res);
    short_other_findings(out, inf);
}
