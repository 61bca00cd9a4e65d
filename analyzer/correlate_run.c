/*
 * correlate_run.c - correlation driven over the inputs (correlate.h's
 * correlate_run): which inputs share traffic, each such pair read together
 * through the matcher of correlate.c, the clock offset estimated from the
 * first matches, and the pairs' results kept for the inference.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "correlate.h"
#include "hashtab.h"

/* ---- matching two inputs read together ---- */

/* One pass of the matcher over a merged read: it stops after stop_matches
 * matches or span_ns of capture time (0: never). */
struct match_run {
    struct corr_matcher *m;
    uint64_t stop_matches;
    int64_t span_ns;
    bool started;
    int64_t start;
};

static bool match_frame(void *ctx, int side, int64_t t_ns, uint64_t frame,
                        const struct corr_key *keys, int nkeys)
{
    struct match_run *r = ctx;
    if (!r->started) {
        r->start = t_ns;
        r->started = true;
    }
    if (r->span_ns && t_ns - r->start > r->span_ns)
        return false;
    corr_matcher_add(r->m, side, t_ns, frame, keys, nkeys);
    return !(r->stop_matches && corr_matcher_matches(r->m) >= r->stop_matches);
}

/* Runs inputs a and b through a matcher, b shifted by -offset. */
static struct corr_matcher *match_inputs(const struct corr_source *src, int a, int b,
                                         int64_t offset, int64_t window, uint64_t stop_matches,
                                         int64_t span_ns)
{
    struct match_run r = {corr_matcher_new(window, CORR_MAX_PENDING), stop_matches, span_ns, false,
                          0};
    if (!r.m)
        return NULL;
    if (!src->pair(src->src, a, b, offset, match_frame, &r)) {
        corr_matcher_free(r.m);
        return NULL;
    }
    corr_matcher_finish(r.m);
    return r.m;
}

/* The clock offset from the calibration's medians: a host pair seen both
 * ways gives offset and delay apart (symmetric delays assumed); the pair
 * with the most matches wins. */
static bool estimate_offset(const struct corr_matcher *m, int64_t *offset)
{
    uint64_t best = 0;
    int n = corr_matcher_ndirs(m);
    for (int i = 0; i < n; i++) {
        const struct corr_dir *d = corr_matcher_dir(m, i);
        for (int j = i + 1; j < n; j++) {
            const struct corr_dir *r = corr_matcher_dir(m, j);
            if (r->depth != d->depth || memcmp(r->src, d->dst, 16) || memcmp(r->dst, d->src, 16))
                continue;
            if (!d->ndelays || !r->ndelays || d->matched + r->matched <= best)
                continue;
            best = d->matched + r->matched;
            *offset = (d->delay_median_ns + r->delay_median_ns) / 2;
        }
    }
    return best > 0;
}

/* ---- which inputs share traffic ---- */

struct flow_tag {
    uint64_t h;
    int input;
};

static int cmp_tag(const void *a, const void *b)
{
    const struct flow_tag *x = a, *y = b;
    if (x->h != y->h)
        return x->h < y->h ? -1 : 1;
    return (x->input > y->input) - (x->input < y->input);
}

/* A flow's identity whichever side saw it: protocol and the two endpoints,
 * in a fixed order, through hashtab.h's hash (equal flows hash alike; the
 * sort below compares hashes only, so a 64-bit collision could join two
 * flows: the chance is 2^-64 per pair). */
static uint64_t flow_hash(uint64_t seed, const struct flow_summary *f)
{
    uint8_t e[2][18];
    memset(e, 0, sizeof e);
    addr_bytes(&f->client, e[0]);
    addr_bytes(&f->server, e[1]);
    memcpy(e[0] + 16, &f->client_port, 2);
    memcpy(e[1] + 16, &f->server_port, 2);
    int lo = memcmp(e[0], e[1], sizeof e[0]) <= 0 ? 0 : 1;
    uint8_t key[1 + sizeof e];
    key[0] = f->proto;
    memcpy(key + 1, e[lo], sizeof e[0]);
    memcpy(key + 1 + sizeof e[0], e[lo ^ 1], sizeof e[0]);
    return hash_bytes(seed, key, sizeof key);
}

/* shared[i * n + j]: inputs i and j have a flow in common. */
static bool shared_inputs(const struct results *res, int n, bool *shared, bool *opaque)
{
    struct flow_tag *t = malloc((res->nflows ? res->nflows : 1) * sizeof *t);
    if (!t)
        return false;
    uint64_t seed = hash_seed();
    uint32_t k = 0;
    for (uint32_t i = 0; i < res->nflows; i++) {
        const struct flow_summary *f = &res->flows[i];
        if (f->input >= n)
            continue;
        if (f->opaque == LAYER_WIREGUARD || f->opaque == LAYER_ESP)
            opaque[f->input] = true;
        t[k].h = flow_hash(seed, f);
        t[k++].input = f->input;
    }
    qsort(t, k, sizeof *t, cmp_tag);
    for (uint32_t i = 0; i < k; i++)
        for (uint32_t j = i + 1; j < k && t[j].h == t[i].h; j++)
            if (t[j].input != t[i].input)
                shared[t[i].input * n + t[j].input] = shared[t[j].input * n + t[i].input] = true;
    free(t);
    return true;
}

static struct corr_pair *new_pair(struct correlation *c, int a, int b)
{
    if (c->npairs == CORR_MAX_PAIRS) {
        c->pairs_unlisted++;
        return NULL;
    }
    struct corr_pair *p = &c->pairs[c->npairs++];
    memset(p, 0, sizeof *p);
    p->a = a;
    p->b = b;
    return p;
}

static void correlate_pair(struct corr_pair *p, const struct corr_source *src)
{
    /* Calibration, first assuming the clocks agree; when nothing matches
     * and the captures started far apart, again with their start times
     * aligned (captures started together on badly set clocks). */
    int64_t guess = 0, ta, tb;
    struct corr_matcher *m = match_inputs(src, p->a, p->b, guess, CORR_CALIB_WINDOW_NS,
                                          CORR_CALIB_MATCHES, CORR_CALIB_SPAN_NS);
    if (m && !corr_matcher_matches(m) && src->first_time(src->src, p->a, &ta) &&
        src->first_time(src->src, p->b, &tb) &&
        (tb - ta > CORR_CALIB_WINDOW_NS / 2 || ta - tb > CORR_CALIB_WINDOW_NS / 2)) {
        corr_matcher_free(m);
        guess = tb - ta;
        m = match_inputs(src, p->a, p->b, guess, CORR_CALIB_WINDOW_NS, CORR_CALIB_MATCHES,
                         CORR_CALIB_SPAN_NS);
    }
    if (!m) {
        p->failed = true;
        snprintf(p->note, sizeof p->note, "could not read the inputs again (or out of memory)");
        return;
    }
    int64_t residual = 0;
    p->offset_known = estimate_offset(m, &residual);
    corr_matcher_free(m);
    int64_t offset = guess + residual;
    p->offset_ns = offset;

    m = match_inputs(src, p->a, p->b, offset, CORR_WINDOW_NS, 0, 0);
    if (!m) {
        p->failed = true;
        snprintf(p->note, sizeof p->note, "could not read the inputs again (or out of memory)");
        return;
    }
    p->matched = corr_matcher_matches(m);
    p->cap_hits = corr_matcher_cap_hits(m);
    p->dirs_unlisted = corr_matcher_dirs_unlisted(m);
    int n = corr_matcher_ndirs(m);
    p->dirs = calloc(n ? (size_t)n : 1, sizeof *p->dirs);
    if (p->dirs) {
        /* only directions that something matched in: the rest is traffic
         * one capture saw and the other could not (another interface) */
        for (int i = 0; i < n; i++) {
            const struct corr_dir *d = corr_matcher_dir(m, i);
            if (d->matched)
                p->dirs[p->ndirs++] = *d;
        }
    }
    if (!p->matched)
        snprintf(p->note, sizeof p->note,
                 "the inputs have flows in common but no packet matched: addresses or IP IDs "
                 "rewritten on the way (NAT), or the captures do not overlap in time");
    corr_matcher_free(m);
}

/* A pair matched; when the flow list was full (unlisted flows), whether
 * the inputs share a flow was not known, and a pair that matched nothing
 * says so instead of "flows in common". */
static void correlate_full_pair(struct corr_pair *p, const struct corr_source *src,
                                uint64_t unlisted)
{
    correlate_pair(p, src);
    if (unlisted && !p->matched && !p->failed)
        snprintf(p->note, sizeof p->note,
                 "read together because the flow list was full (%" PRIu64
                 " flows not kept: which inputs share a flow is not known); no packet matched",
                 unlisted);
}

bool correlate_run(struct correlation *c, const struct corr_source *src, int ninputs,
                   const struct results *res)
{
    memset(c, 0, sizeof *c);
    c->ninputs = ninputs;
    if (ninputs < 2)
        return true;
    c->pairs = calloc(CORR_MAX_PAIRS, sizeof *c->pairs);
    bool *shared = calloc((size_t)ninputs * (size_t)ninputs, sizeof *shared);
    bool *opaque = calloc((size_t)ninputs, sizeof *opaque);
    if (!c->pairs || !shared || !opaque || !shared_inputs(res, ninputs, shared, opaque)) {
        free(shared);
        free(opaque);
        correlate_free(c);
        return false;
    }
    /* The flow list is bounded (results.h): when flows were left out of it,
     * "no flow in common" is not known, so every pair is matched, and the
     * pairs say why (a limit that changes a result is named). */
    if (res->flows_unlisted)
        for (int k = 0; k < ninputs * ninputs; k++)
            shared[k] = true;
    for (int a = 0; a < ninputs; a++)
        for (int b = a + 1; b < ninputs; b++)
            if (shared[a * ninputs + b])
                c->any_shared = true;
    for (int a = 0; a < ninputs; a++) {
        for (int b = a + 1; b < ninputs; b++) {
            bool sh = shared[a * ninputs + b];
            if (c->any_shared && !sh)
                continue; /* pairs that share nothing are listed only when none do */
            struct corr_pair *p = new_pair(c, a, b);
            if (!p)
                continue;
            p->shared_flows = sh;
            if (sh && (!src->rereadable(src->src, a) || !src->rereadable(src->src, b)))
                snprintf(p->note, sizeof p->note,
                         "an input that is not a regular file (standard input, a pipe, a process "
                         "substitution) cannot be read a second time, and the first pass's record "
                         "of its packets is incomplete (no temporary file, or its size limit): "
                         "save it to a file to correlate it");
            else if (sh)
                correlate_full_pair(p, src, res->flows_unlisted);
            else
                snprintf(p->note, sizeof p->note, "no flow in common, so no packet to match%s",
                         opaque[a] != opaque[b]
                             ? ": one input carries an encrypting tunnel (WireGuard, ESP) "
                               "whose packets the other sees only decrypted, as the tunnel "
                               "interface of the same host does"
                             : "");
        }
    }
    free(shared);
    free(opaque);
    return true;
}

void correlate_free(struct correlation *c)
{
    for (int i = 0; c->pairs && i < c->npairs; i++)
        free(c->pairs[i].dirs);
    free(c->pairs);
    memset(c, 0, sizeof *c);
}
