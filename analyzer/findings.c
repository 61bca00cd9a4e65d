/*
 * findings.c - what the inference's collectors share (infer.h): text
 * allocated to its length, findings, recommendations, black holes, and
 * small questions about flows.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "infer.h"

/* Text the inference writes is allocated to its length: a sentence that
 * quotes a 300-character file name or two IPv6 addresses is kept whole.
 * When an allocation fails the text is NO_TEXT (empty), never freed. */
static const char NO_TEXT[] = "";

void inf_text_free(char *s)
{
    if (s != NO_TEXT)
        free(s);
}

void inf_vfmt(char **dst, const char *f, va_list ap)
{
    va_list c;
    va_copy(c, ap);
    int n = vsnprintf(NULL, 0, f, c);
    va_end(c);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s)
        vsnprintf(s, (size_t)n + 1, f, ap);
    inf_text_free(*dst); /* after formatting: an argument may be the old text */
    *dst = s ? s : (char *)NO_TEXT;
}

void inf_fmt(char **dst, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    inf_vfmt(dst, f, ap);
    va_end(ap);
}

struct inf_finding *inf_add_finding(struct inference *inf, enum inf_severity sev, const char *kind,
                                    uint64_t flow, int input)
{
    if (inf->nfindings == INF_MAX_FINDINGS)
        return NULL;
    struct inf_finding *f = &inf->findings[inf->nfindings++];
    memset(f, 0, sizeof *f);
    f->severity = (uint8_t)sev;
    snprintf(f->kind, sizeof f->kind, "%s", kind);
    f->flow = flow;
    f->input = input;
    return f;
}

static int frame_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

void inf_frames_filter(const struct inf_finding *f, char *buf, size_t size)
{
    uint64_t fr[INF_MAX_FRAMES];
    int n = 0;
    for (int i = 0; i < f->nframes && i < INF_MAX_FRAMES; i++)
        if (f->frames[i])
            fr[n++] = f->frames[i];
    qsort(fr, (size_t)n, sizeof fr[0], frame_cmp);
    int u = 0; /* each frame once */
    for (int i = 0; i < n; i++)
        if (!u || fr[i] != fr[u - 1])
            fr[u++] = fr[i];
    if (!size)
        return;
    buf[0] = '\0';
    if (!u)
        return;
    size_t o = 0;
    int k;
    if (u == 1)
        k = snprintf(buf, size, "frame.number == %" PRIu64, fr[0]);
    else
        k = snprintf(buf, size, "frame.number in {");
    if (k < 0 || (size_t)k >= size) {
        buf[0] = '\0';
        return;
    }
    o = (size_t)k;
    for (int i = 0; u > 1 && i < u;) {
        int j = i; /* a run of consecutive frames, i..j */
        while (j + 1 < u && fr[j + 1] == fr[j] + 1)
            j++;
        if (j - i >= 2)
            k = snprintf(buf + o, size - o, "%s%" PRIu64 "..%" PRIu64, i ? ", " : "", fr[i], fr[j]);
        else
            k = snprintf(buf + o, size - o, "%s%" PRIu64, i ? ", " : "", fr[i]);
        i = j - i >= 2 ? j + 1 : i + 1;
        if (k < 0 || (size_t)k >= size - o) {
            buf[0] = '\0';
            return;
        }
        o += (size_t)k;
    }
    if (u > 1 && (o + 1 >= size || snprintf(buf + o, size - o, "}") != 1))
        buf[0] = '\0';
}

bool inf_add_rec(struct inference *inf, const char *text)
{
    for (int i = 0; i < inf->nrecs; i++)
        if (strcmp(inf->recs[i], text) == 0)
            return false;
    if (inf->nrecs == INF_MAX_RECS)
        return false;
    inf_fmt(&inf->recs[inf->nrecs++], "%s", text);
    return true;
}

uint32_t inf_flow_mss(const struct flow_summary *f)
{
    uint32_t a = f->dir[0].mss, b = f->dir[1].mss;
    return a && b ? (a < b ? a : b) : a ? a : b;
}

uint32_t inf_tcpip_hdr(const struct flow_summary *f)
{
    return f->ip_version == 6 ? 60 : 40;
}

/* The ICMP message list is per input; this finds message k of input i in
 * the flat honored[] array. */
int inf_icmp_flat_index(struct input_stats *const *inputs, int input, int k)
{
    int n = 0;
    for (int i = 0; i < input; i++)
        n += inputs[i]->nicmp;
    return n + k;
}

/* A black hole on a flow's direction: a zeroed entry to fill in, or NULL when
 * the table is full or that direction already has one (the first evidence,
 * the strongest, stays). */
struct inf_blackhole *inf_add_blackhole(struct inference *inf, uint64_t flow, int dir,
                                        bool suspected)
{
    for (int i = 0; i < inf->nblackholes; i++)
        if (inf->blackholes[i].flow == flow && inf->blackholes[i].dir == dir)
            return NULL;
    if (inf->nblackholes == INF_MAX_BLACKHOLES)
        return NULL;
    struct inf_blackhole *bh = &inf->blackholes[inf->nblackholes++];
    memset(bh, 0, sizeof *bh);
    bh->flow = flow;
    bh->dir = (uint8_t)dir;
    bh->suspected = suspected;
    return bh;
}

enum inf_layer inf_flow_layer(const struct flow_summary *f)
{
    return f->tunnel ? INF_INNER : INF_OUTER;
}

void inf_direction_addrs(const struct flow_summary *f, int d, const struct addr **src,
                         const struct addr **dst)
{
    *src = d ? &f->server : &f->client;
    *dst = d ? &f->client : &f->server;
}

uint64_t inf_anomaly_total(struct input_stats *const *inputs, int ninputs, enum anomaly a)
{
    uint64_t n = 0;
    for (int i = 0; i < ninputs; i++)
        n += inputs[i]->anomalies[a];
    return n;
}
