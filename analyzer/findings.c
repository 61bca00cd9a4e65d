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
