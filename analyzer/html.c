/*
 * html.c - the HTML report (html.h).
 *
 * The page is built from what the other outputs already say, never from new
 * computations: the verdict and findings from the inference stage (or, while
 * it has not run, from the text report's first lines), the charts' SVG files
 * as gnuplot wrote them, the flow summaries, and the whole text report,
 * escaped, at the end.  Everything is inline so the file can be mailed or
 * opened offline; the one script is inline (the fix's copy buttons) and
 * loads nothing.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "escape.h"
#include "html.h"
#include "inference.h"
#include "report_compare.h"
#include "verdict.h"

#define HTML_MAX_FLOW_ROWS 1000 /* the rest is in report.json */
#define HTML_MAX_SVG (16u << 20)

static const char style[] =
    "body{font-family:sans-serif;margin:1.5em auto;max-width:1260px;color:#222;"
    "line-height:1.4}\n"
    "h1{font-size:1.6em;margin-bottom:0}h2{border-bottom:1px solid #ccc;padding-bottom:.2em}\n"
    ".inputs{color:#555;margin-top:.2em}\n"
    "#contents{margin:.6em 0 1em;color:#555}\n"
    ".verdict{padding:.8em 1.2em;border-radius:6px;border-left:8px solid #888;"
    "background:#f4f4f4}\n"
    ".verdict h2{border:0;margin:.1em 0 .3em 0}\n"
    ".verdict.bad{border-color:#d62728;background:#fdecea}\n"
    ".verdict.good{border-color:#2ca02c;background:#eaf6ea}\n"
    ".verdict.unknown{border-color:#ff7f0e;background:#fff4e5}\n"
    "figure{margin:1.5em 0;border:1px solid #ddd;padding:.5em;background:#fff}\n"
    "figure svg{width:100%;height:auto;display:block}\n"
    "figcaption{color:#444;font-size:.95em;margin-top:.4em}\n"
    "table{border-collapse:collapse;font-size:.85em;width:100%}\n"
    "th,td{border:1px solid #ddd;padding:.25em .5em;text-align:right;white-space:nowrap}\n"
    "th{background:#f0f0f0}td.l,th.l{text-align:left}\n"
    "tr.stalled td{background:#fdecea}tr.retx td{background:#fff4e5}\n"
    "pre{background:#f7f7f7;padding:1em;overflow-x:auto;font-size:.85em}\n"
    "code{font-size:.9em}.note{color:#8a5a00}\n"
    ".fixblock{position:relative;margin:.6em 0}.fixblock p{margin:.2em 0}\n"
    ".fixblock pre{margin:.2em 0;padding:.6em 5em .6em .8em;white-space:pre}\n"
    ".fixblock button.copy{position:absolute;right:.4em;bottom:.5em;font-size:.8em}\n"
    ".key{display:inline-block;margin:.4em 0 .6em;padding:.3em .9em;border:3px solid #1f77b4;"
    "border-radius:6px;background:#fff}\n"
    ".key .num{font-size:2.4em;font-weight:bold;color:#1f77b4;margin-right:.3em}\n"
    ".key.bounded{border-style:dashed;border-color:#8a5a00}.key.bounded .num{color:#8a5a00}\n"
    "#truth .side{display:flex;gap:1.5em;flex-wrap:wrap}\n"
    "#truth .side>div{flex:1 1 28em;border:1px solid #ddd;padding:.5em 1em}\n"
    "#truth .side>div.given{background:#f3f8fd}\n"
    "#truth table td{white-space:normal;text-align:left}\n";

/* Text as HTML character data or attribute value. */
static void esc_n(FILE *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n && s[i]; i++) {
        switch (s[i]) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&#39;", out);
            break;
        case '\033': /* a colour escape has no place in a page */
            break;
        default:
            fputc(s[i], out);
        }
    }
}

static void esc(FILE *out, const char *s)
{
    esc_n(out, s, strlen(s));
}

/* The text report, rendered once: the verdict fallback and the <pre>. */
static char *render_text(const struct report_data *r, const struct report_opts *ro)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m)
        return NULL;
    struct report_opts o = *ro;
    o.color = false;
    report_text(m, r, &o);
    if (fclose(m) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* The page's colour for a status: verdict.h's tone, as every output. */
static const char *verdict_class(const char *status)
{
    enum verdict_status v = verdict_status_from_name(status);
    if (v == VS__COUNT)
        return "unknown";
    return verdict_names[v].tone == TONE_PROBLEM ? "bad"
           : verdict_names[v].tone == TONE_OK    ? "good"
                                                 : "unknown";
}

/* Without the inference: the text report starts "verdict: STATUS" and its
 * indented summary lines follow, up to a blank line. */
static void verdict_from_text(FILE *out, const char *text)
{
    const char *nl = strchr(text, '\n');
    size_t first = nl ? (size_t)(nl - text) : strlen(text);
    const char *status = "inconclusive";
    char buf[64];
    if (first > 9 && strncmp(text, "verdict: ", 9) == 0) {
        snprintf(buf, sizeof buf, "%.*s", (int)(first - 9 < 63 ? first - 9 : 63), text + 9);
        status = buf;
    }
    fprintf(out,
            "<section id=\"verdict\" class=\"verdict %s\">\n<h2>Verdict: ", verdict_class(status));
    esc(out, status);
    fputs("</h2>\n<p id=\"summary\">", out);
    const char *p = nl ? nl + 1 : text + first;
    while (*p == ' ') {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        while (n && *p == ' ') {
            p++;
            n--;
        }
        esc_n(out, p, n);
        fputc(' ', out);
        p += n;
        if (*p == '\n')
            p++;
    }
    fputs("</p>\n</section>\n", out);
}

/* The copy buttons: inline, no network (the page works offline); the
 * clipboard API where the page is a secure context (file:// is), else the
 * older selection copy. */
static const char copy_script[] =
    "document.querySelectorAll('button.copy').forEach(function(b){"
    "b.addEventListener('click',function(){"
    "var t=document.getElementById(b.getAttribute('data-copy')).textContent;"
    "function done(){b.textContent='Copied';setTimeout(function(){b.textContent='Copy'},1500);}"
    "function old(){var a=document.createElement('textarea');a.value=t;"
    "document.body.appendChild(a);a.select();"
    "try{document.execCommand('copy');done();}catch(e){}document.body.removeChild(a);}"
    "if(navigator.clipboard&&window.isSecureContext){navigator.clipboard.writeText(t)"
    ".then(done,old);}else{old();}});});\n";

/* The fix: headline, reason, each block to paste as <pre><code> with its
 * copy button, then the rest of the advice in words. */
static void html_fix(FILE *out, const struct inference *inf)
{
    const struct inf_fix *fx = &inf->fix;
    fputs("<h3>The fix</h3>\n", out);
    if (fx->headline) {
        fprintf(out, "<p id=\"fix-headline\" class=\"%s\"><b>", fx->exact ? "exact" : "bounded");
        esc(out, fx->headline);
        fputs("</b></p>\n", out);
    }
    if (fx->why) {
        fputs("<p class=\"why\">Why: ", out);
        esc(out, fx->why);
        fputs("</p>\n", out);
    }
    if (fx->safe) {
        fputs("<p class=\"safe\">Safe meanwhile: ", out);
        esc(out, fx->safe);
        fputs("</p>\n", out);
    }
    for (int i = 0; i < fx->nblocks; i++) {
        const struct inf_fix_block *b = &fx->blocks[i];
        fputs("<div class=\"fixblock\">", out);
        if (b->title) {
            fputs("<p>", out);
            esc(out, b->title);
            fputs("</p>", out);
        }
        fprintf(out, "<pre><code id=\"fix-%d\" class=\"lang-", i + 1);
        esc(out, b->lang);
        fputs("\" data-kind=\"", out);
        esc(out, b->kind);
        fputs("\">", out);
        esc(out, b->text ? b->text : "");
        fprintf(out,
                "</code></pre><button type=\"button\" class=\"copy\" data-copy=\"fix-%d\">Copy"
                "</button></div>\n",
                i + 1);
    }
    bool any = false;
    for (int i = 0; i < inf->nrecs && i < INF_MAX_RECS; i++) {
        if (inf->advice[i].kind == ADV_SET_TUNNEL_MTU && fx->exact && inf->advice[i].n1 == fx->mtu)
            continue; /* the blocks above show it */
        fputs(any ? "" : "<ul id=\"recommendations\">\n", out);
        any = true;
        fputs("<li>", out);
        esc(out, inf->recs[i]);
        fputs("</li>\n", out);
    }
    if (any)
        fputs("</ul>\n", out);
    if (fx->nblocks)
        fprintf(out, "<script>%s</script>\n", copy_script);
}

/* The number a lesson turns on, large: the MTU to set when the evidence
 * pins it, else an exact path MTU; when the capture only bounds the path,
 * the bounds, drawn dashed and said to be bounds (never a bound shown as
 * the value to set). */
static void key_number(FILE *out, const struct inference *inf)
{
    const struct inf_fix *fx = &inf->fix;
    if (fx->exact && fx->mtu) {
        fprintf(out,
                "<div id=\"key-number\" class=\"key\"><span class=\"num\">%u</span>"
                "<span class=\"what\">bytes: the MTU to set (the fix below)</span></div>\n",
                fx->mtu);
        return;
    }
    for (int i = 0; i < inf->npaths && i < INF_MAX_PATHS; i++) {
        const struct inf_path *pa = &inf->paths[i];
        if (!pa->mtu)
            continue;
        char a[64], b[64];
        addr_text(&pa->src, a, sizeof a);
        addr_text(&pa->dst, b, sizeof b);
        fprintf(out,
                "<div id=\"key-number\" class=\"key\"><span class=\"num\">%u</span>"
                "<span class=\"what\">bytes: the path MTU from %s to %s, exact</span></div>\n",
                pa->mtu, a, b);
        return;
    }
    if (!fx->lower && !fx->upper)
        return;
    fputs("<div id=\"key-number\" class=\"key bounded\"><span class=\"num\">", out);
    if (fx->lower && fx->upper)
        fprintf(out, "%u&ndash;%u", fx->lower, fx->upper);
    else
        fprintf(out, "%s %u", fx->upper ? "&le;" : "&ge;", fx->upper ? fx->upper : fx->lower);
    fputs("</span><span class=\"what\">bytes: what the path carries, bounds only: this "
          "capture has no exact number to set (the fix below says how to measure it)</span>"
          "</div>\n",
          out);
}

static void verdict_from_inference(FILE *out, const struct inference *inf)
{
    const char *status = inf->status ? inf->status : "inconclusive";
    fprintf(out,
            "<section id=\"verdict\" class=\"verdict %s\">\n<h2>Verdict: ", verdict_class(status));
    esc(out, status);
    fputs("</h2>\n<p id=\"summary\">", out);
    esc(out, inf->summary);
    fputs("</p>\n", out);
    key_number(out, inf);
    if (inf->fix.headline || inf->nrecs)
        html_fix(out, inf);
    fputs("</section>\n", out);
    if (inf->nfindings) {
        static const char *const sev[] = {"error", "warning", "info"};
        fputs("<section id=\"findings\">\n<h2>Evidence</h2>\n<ul>\n", out);
        for (int i = 0; i < inf->nfindings && i < INF_MAX_FINDINGS; i++) {
            const struct inf_finding *fd = &inf->findings[i];
            fprintf(out, "<li><b>%s</b> ", fd->severity < 3 ? sev[fd->severity] : "info");
            esc(out, fd->kind);
            fputs(": ", out);
            esc(out, fd->message);
            if (fd->flow)
                fprintf(out, " (flow #%" PRIu64 ")", fd->flow);
            if (fd->nframes) {
                fputs(" frames", out);
                for (int k = 0; k < fd->nframes && k < INF_MAX_FRAMES; k++)
                    fprintf(out, " %" PRIu64, fd->frames[k]);
            }
            if (fd->wireshark_filter[0]) {
                fputs("<br>Wireshark: <code>", out);
                esc(out, fd->wireshark_filter);
                fputs("</code>", out);
            }
            fputs("</li>\n", out);
        }
        fputs("</ul>\n</section>\n", out);
    }
}

/* A cell of the ground-truth table, escaped twice: what escape.c makes of
 * control bytes, bidi overrides and broken UTF-8 (the table is a file like
 * any other), then HTML's special characters. */
static void esc_cell(FILE *out, const char *s)
{
    char *e = escape_dup(s);
    esc(out, e ? e : "(out of memory)");
    free(e);
}

/* What mtuscope claims, in the words the ground truth's columns use:
 * verdict, each path's bounds, each tunnel's recommended MTU. */
static void claims(FILE *out, const struct inference *inf)
{
    fputs("<div class=\"claims\"><h3>What mtuscope says</h3>\n<table>\n", out);
    fputs("<tr><th class=\"l\">verdict</th><td>", out);
    esc(out, inf && inf->status ? inf->status : "inconclusive");
    fputs("</td></tr>\n", out);
    for (int i = 0; inf && i < inf->npaths && i < INF_MAX_PATHS; i++) {
        const struct inf_path *pa = &inf->paths[i];
        char a[64], b[64];
        addr_text(&pa->src, a, sizeof a);
        addr_text(&pa->dst, b, sizeof b);
        fprintf(out, "<tr><th class=\"l\">path MTU %s%s &rarr; %s</th><td>",
                pa->layer == INF_INNER ? "(inside the tunnel) " : "", a, b);
        if (pa->mtu)
            fprintf(out, "exactly %u", pa->mtu);
        else if (pa->lower && pa->upper)
            fprintf(out, "%u to %u", pa->lower, pa->upper);
        else if (pa->upper)
            fprintf(out, "at most %u", pa->upper);
        else if (pa->lower)
            fprintf(out, "at least %u", pa->lower);
        else
            fputs("no bound", out);
        fputs("</td></tr>\n", out);
    }
    for (uint32_t i = 0; inf && i < inf->ntunnels; i++)
        if (inf->tunnels[i].recommended_mtu)
            fprintf(out, "<tr><th class=\"l\">tunnel #%u: recommended MTU</th><td>%u</td></tr>\n",
                    inf->tunnels[i].id, inf->tunnels[i].recommended_mtu);
    if (inf && inf->fix.headline) {
        fputs("<tr><th class=\"l\">fix</th><td>", out);
        esc(out, inf->fix.headline);
        fputs("</td></tr>\n", out);
    }
    fputs("</table></div>\n", out);
}

/* --truth: each input's row of the teacher's table beside what mtuscope
 * says.  Only here, and only when asked for (truth.h). */
static void truth_section(FILE *out, const struct report_data *r, const struct truth_table *t)
{
    fputs("<section id=\"truth\">\n<h2>Ground truth beside the claims</h2>\n"
          "<p class=\"note\">From <code>",
          out);
    esc_cell(out, t->path);
    fputs("</code> (given with --truth): what the sample really is, as its maker recorded "
          "it. mtuscope did not read it; compare.</p>\n<div class=\"side\">\n",
          out);
    claims(out, r->inf);
    for (int i = 0; i < r->ninputs; i++) {
        int row = truth_find(t, r->inputs[i]->path);
        fputs("<div class=\"given\"><h3>Ground truth: <code>", out);
        esc_cell(out, r->inputs[i]->path);
        fputs("</code></h3>\n", out);
        if (row < 0) {
            fputs("<p>The table has no row for this input.</p></div>\n", out);
            continue;
        }
        fputs("<table>\n", out);
        for (int c = 0; c < t->ncols; c++) {
            fputs("<tr><th class=\"l\">", out);
            esc_cell(out, t->cols[c]);
            fputs("</th><td>", out);
            esc_cell(out, truth_cell(t, row, c));
            fputs("</td></tr>\n", out);
        }
        fputs("</table></div>\n", out);
    }
    fputs("</div>\n</section>\n", out);
}

/* Copies NAME.svg from its <svg> element on (the XML prolog and doctype are
 * not allowed inside HTML).  gnuplot names its ids the same in every file;
 * they are made unique per chart so one chart's markers never point into
 * another's.  An SVG over HTML_MAX_SVG is not inlined (a page of hundreds of
 * megabytes helps nobody, and cutting it would break the page mid-tag): the
 * caller shows the PNG instead.  *too_big says which. */
static bool inline_svg(FILE *out, const char *dir, const char *name, int chart, bool *too_big)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s.svg", dir, name);
    *too_big = false;
    FILE *fp = fopen(path, "r");
    if (!fp)
        return false;
    struct stat st;
    if (fstat(fileno(fp), &st) != 0 || st.st_size < 0 || st.st_size > (off_t)HTML_MAX_SVG) {
        *too_big = true;
        fclose(fp);
        return false;
    }
    size_t cap = (size_t)st.st_size + 1;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(fp);
        return false;
    }
    size_t len = fread(buf, 1, cap - 1, fp);
    int c = fgetc(fp); /* grown since fstat: not the file it was */
    fclose(fp);
    if (c != EOF) {
        free(buf);
        *too_big = true;
        return false;
    }
    buf[len] = '\0';
    char *start = strstr(buf, "<svg");
    if (!start) {
        free(buf);
        return false;
    }
    /* id='X' -> id='cN-X', and href references '#X' -> '#cN-X' */
    for (char *p = start; *p; p++) {
        if (strncmp(p, "id='", 4) == 0 || strncmp(p, "id=\"", 4) == 0) {
            fwrite(p, 1, 4, out);
            fprintf(out, "c%d-", chart);
            p += 3;
        } else if ((strncmp(p, "href='#", 7) == 0 || strncmp(p, "href=\"#", 7) == 0)) {
            fwrite(p, 1, 7, out);
            fprintf(out, "c%d-", chart);
            p += 6;
        } else if (strncmp(p, "url(#", 5) == 0) {
            fprintf(out, "url(#c%d-", chart);
            p += 4;
        } else {
            fputc(*p, out);
        }
    }
    free(buf);
    return true;
}

/* NAME.png as a data: URI, for a chart whose SVG is too large to inline:
 * the page stays self-contained.  False when it is missing or too large. */
static bool inline_png(FILE *out, const char *dir, const char *name)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s.png", dir, name);
    FILE *fp = fopen(path, "rb");
    struct stat st;
    if (!fp)
        return false;
    if (fstat(fileno(fp), &st) != 0 || st.st_size <= 0 || st.st_size > (off_t)HTML_MAX_SVG) {
        fclose(fp);
        return false;
    }
    fprintf(out,
            "<p class=\"note\">(the SVG is over %u MiB, too large to inline: the PNG is "
            "shown)</p>\n<img alt=\"%s\" style=\"max-width:100%%\" src=\"data:image/png;base64,",
            HTML_MAX_SVG >> 20, name);
    unsigned char in[3];
    size_t n;
    while ((n = fread(in, 1, 3, fp)) > 0) {
        unsigned v =
            (unsigned)in[0] << 16 | (n > 1 ? (unsigned)in[1] << 8 : 0) | (n > 2 ? in[2] : 0);
        fputc(b64[v >> 18 & 63], out);
        fputc(b64[v >> 12 & 63], out);
        fputc(n > 1 ? b64[v >> 6 & 63] : '=', out);
        fputc(n > 2 ? b64[v & 63] : '=', out);
        if (n < 3)
            break;
    }
    fclose(fp);
    fputs("\">\n", out);
    return true;
}

static void charts(FILE *out, const char *dir, const struct plots *p)
{
    fputs("<section id=\"charts\">\n<h2>Charts</h2>\n", out);
    if (!p) {
        fputs("<p class=\"note\">Charts were not requested (--no-plots).</p>\n", out);
    } else {
        int shown = 0;
        /* the ladder diagram first: the story, then the measurements */
        for (int k = 0; k < 2 * p->ncharts; k++) {
            int i = k % p->ncharts;
            const struct plot_chart *c = &p->charts[i];
            if (!c->rendered || (strcmp(c->name, "ladder") == 0) != (k < p->ncharts))
                continue;
            fprintf(out, "<figure id=\"chart-%s\" class=\"chart\">\n", c->name);
            bool too_big;
            if (inline_svg(out, dir, c->name, i, &too_big))
                ;
            else if (too_big && inline_png(out, dir, c->name))
                ;
            else if (too_big)
                fprintf(out,
                        "<p class=\"note\">(the chart's SVG and PNG are over %u MiB, too large "
                        "to put in this page: open %s.png beside it)</p>\n",
                        HTML_MAX_SVG >> 20, c->name);
            else
                fputs("<p class=\"note\">(the SVG file could not be read)</p>\n", out);
            fputs("<figcaption><b>", out);
            esc(out, c->title);
            fputs("</b><br>", out);
            esc(out, c->what);
            fprintf(out,
                    " Files: <code>%s.png</code>, <code>%s.svg</code>, data "
                    "<code>%s.dat</code>, script <code>%s.gp</code>.</figcaption>\n</figure>\n",
                    c->name, c->name, c->name, c->name);
            shown++;
        }
        for (int i = 0; i < p->nnotes; i++) {
            fputs("<p class=\"note\">", out);
            esc(out, p->notes[i]);
            fputs("</p>\n", out);
        }
        if (!shown && !p->nnotes)
            fputs("<p class=\"note\">No chart could be drawn.</p>\n", out);
    }
    fputs("</section>\n", out);
}

/* A chart's name in the table of contents. */
static const char *chart_short_name(const char *name)
{
    static const struct {
        const char *prefix, *label;
    } names[] = {
        {"ladder", "ladder diagram"},
        {"size-delivery-c2s", "delivery by size, client to server"},
        {"size-delivery-s2c", "delivery by size, server to client"},
        {"size-delivery", "delivery by size"},
        {"tsg-flow", "time-sequence graph"},
        {"tsg", "time-sequence graph"},
        {"retrans-timeline", "retransmission timeline"},
        {"goodput", "goodput per flow"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strncmp(name, names[i].prefix, strlen(names[i].prefix)) == 0)
            return names[i].label;
    return name;
}

/* The table of contents: a handout is read in pieces (and projected one
 * section at a time), so every section and chart has an anchor to link. */
static void contents(FILE *out, const struct report_data *r, const struct plots *p,
                     const struct truth_table *truth)
{
    fputs("<nav id=\"contents\"><b>Contents:</b> <a href=\"#verdict\">verdict and fix</a>", out);
    if (truth)
        fputs(" &middot; <a href=\"#truth\">ground truth</a>", out);
    if (r->inf && r->inf->nfindings)
        fputs(" &middot; <a href=\"#findings\">evidence</a>", out);
    fputs(" &middot; <a href=\"#charts\">charts</a>", out);
    int shown = 0;
    for (int k = 0; p && k < 2 * p->ncharts; k++) { /* in the order charts() shows them */
        const struct plot_chart *c = &p->charts[k % p->ncharts];
        if (!c->rendered || (strcmp(c->name, "ladder") == 0) != (k < p->ncharts))
            continue;
        fprintf(out, "%s<a href=\"#chart-%s\">", shown++ ? ", " : " (", c->name);
        esc(out, chart_short_name(c->name));
        const char *num = strncmp(c->name, "tsg-flow", 8) == 0 ? c->name + 8 : NULL;
        if (num)
            fprintf(out, " #%s", num); /* tsg-flowN: N is digits (plots_owns_name) */
        fputs("</a>", out);
    }
    fputs(shown ? ")" : "", out);
    fputs(" &middot; <a href=\"#flows\">flows</a> &middot; <a href=\"#text\">the text "
          "report</a></nav>\n",
          out);
}

static void endpoint(FILE *out, const struct flow_summary *f, const struct addr *a, unsigned port)
{
    char buf[64];
    addr_text(a, buf, sizeof buf);
    if (f->proto == IP_PROTO_TCP || f->proto == IP_PROTO_UDP) {
        if (a->addr_type == ADDR_TYPE_IP6)
            fprintf(out, "<td class=\"l\">[%s]:%u</td>", buf, port);
        else
            fprintf(out, "<td class=\"l\">%s:%u</td>", buf, port);
    } else {
        fprintf(out, "<td class=\"l\">%s</td>", buf);
    }
}

static void flows_table(FILE *out, const struct results *res)
{
    fprintf(out,
            "<section id=\"flows\">\n<h2>Flows</h2>\n<p>%" PRIu64 " flows (%" PRIu64
            " TCP, %" PRIu64 " UDP), %" PRIu64 " TCP retransmissions.",
            res->total_flows, res->tcp_flows, res->udp_flows, res->retransmissions);
    if (res->flows_unlisted)
        fprintf(out, " %" PRIu64 " healthy flows were not kept.", res->flows_unlisted);
    fputs("</p>\n<table>\n<thead><tr><th>#</th><th class=\"l\">proto</th>"
          "<th class=\"l\">client</th><th class=\"l\">server</th><th>tunnel</th>"
          "<th>packets</th><th>bytes</th><th>largest packet c / s (bytes)</th>"
          "<th>MSS c / s</th><th>retrans.</th><th>never delivered c / s</th>"
          "<th class=\"l\">state</th></tr></thead>\n<tbody>\n",
          out);
    uint32_t n = res->nflows < HTML_MAX_FLOW_ROWS ? res->nflows : HTML_MAX_FLOW_ROWS;
    for (uint32_t i = 0; i < n; i++) {
        const struct flow_summary *f = &res->flows[i];
        const char *cls = f->stalled ? "stalled" : f->retransmissions ? "retx" : "ok";
        fprintf(out, "<tr class=\"%s\"><td>%" PRIu64 "</td><td class=\"l\">%s</td>", cls, f->id,
                results_flow_proto(f));
        endpoint(out, f, &f->client, f->client_port);
        endpoint(out, f, &f->server, f->server_port);
        if (f->tunnel)
            fprintf(out, "<td>#%u</td>", f->tunnel);
        else
            fputs("<td></td>", out);
        fprintf(out, "<td>%" PRIu64 "</td><td>%" PRIu64 "</td><td>%u / %u</td>",
                f->dir[0].packets + f->dir[1].packets, f->dir[0].bytes + f->dir[1].bytes,
                f->dir[0].max_packet, f->dir[1].max_packet);
        if (f->proto == IP_PROTO_TCP)
            fprintf(out, "<td>%u / %u</td><td>%" PRIu64 "</td><td>%u / %u</td>", f->dir[0].mss,
                    f->dir[1].mss, f->retransmissions, f->dir[0].dl_lost, f->dir[1].dl_lost);
        else
            fputs("<td></td><td></td><td></td>", out);
        fprintf(out, "<td class=\"l\">%s</td></tr>\n",
                f->stalled                    ? "stalled"
                : f->retransmissions          ? "retransmissions"
                : results_flow_has_problem(f) ? "problem"
                                              : "ok");
    }
    fputs("</tbody>\n</table>\n", out);
    if (res->nflows > n)
        fprintf(out, "<p class=\"note\">%u more flows are listed in report.json.</p>\n",
                res->nflows - n);
    fputs("</section>\n", out);
}

bool html_write(const char *dir, const struct report_data *r, const struct report_opts *ro,
                const struct plots *p, const struct truth_table *truth, FILE *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/report.html", dir);
    char *text = render_text(r, ro);
    if (!text) {
        fprintf(err, "mtuscope: out of memory\n");
        return false;
    }
    FILE *out = fopen(path, "w");
    if (!out) {
        fprintf(err, "mtuscope: %s: %s\n", path, strerror(errno));
        free(text);
        return false;
    }
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<title>mtuscope report</title>\n<style>\n",
          out);
    fputs(style, out);
    fprintf(out,
            "</style>\n</head>\n<body>\n<header>\n<h1>mtuscope report</h1>\n"
            "<p class=\"inputs\">mtuscope %s &middot; ",
            MTUSCOPE_VERSION);
    for (int i = 0; i < r->ninputs; i++) {
        if (i)
            fputs(", ", out);
        fputs("<code>", out);
        esc(out, r->inputs[i]->path);
        fputs("</code>", out);
    }
    fputs("</p>\n</header>\n", out);
    contents(out, r, p, truth);
    if (r->inf)
        verdict_from_inference(out, r->inf);
    else
        verdict_from_text(out, text);
    if (truth)
        truth_section(out, r, truth);
    charts(out, dir, p);
    report_compare_html(out, r->inf ? r->inf->cmp : NULL, esc);
    flows_table(out, r->res);
    fputs("<section id=\"text\">\n<h2>The text report</h2>\n<pre>", out);
    esc(out, text);
    fputs("</pre>\n</section>\n</body>\n</html>\n", out);
    free(text);
    bool bad = ferror(out) != 0;
    if (fclose(out) != 0 || bad) {
        fprintf(err, "mtuscope: %s: write error\n", path);
        return false;
    }
    return true;
}
