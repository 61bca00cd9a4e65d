/*
 * paths.c - path-MTU bounds per path (infer.h): the collectors raise lower
 * bounds (a packet that crossed) and lower upper bounds (a reported MTU, a
 * size seen lost); inf_paths_fold() turns them into the exact MTU where they
 * meet, and notes evidence that contradicts itself.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "infer.h"

/* What addr_cmp() compares (type, bits, the address bytes), in a fixed
 * layout: equal addresses hash alike. */
static uint64_t pair_hash(const struct hashtab *t, const struct addr *src, const struct addr *dst)
{
    unsigned char k[2 * (2 + 16)] = {0};
    const struct addr *a[2] = {src, dst};
    for (int i = 0; i < 2; i++) {
        unsigned char *o = k + i * 18;
        o[0] = (unsigned char)a[i]->addr_type;
        o[1] = (unsigned char)a[i]->addr_bits;
        size_t n = a[i]->addr_bits / 8u;
        memcpy(o + 2, a[i]->addr_data8, n < 16 ? n : 16);
    }
    return hash_bytes(t->seed, k, sizeof k);
}

struct inf_path *inf_path_for(struct inference *inf, const struct addr *src, const struct addr *dst,
                              enum inf_layer layer, uint32_t tunnel)
{
    /* A path is its two addresses: the same inner packets seen inside a
     * tunnel in one capture and on the tunnel's interface in another (where
     * nothing encloses them) travel one path, inside the tunnel.  Every TCP
     * flow looks its paths up: hashed, not scanned. */
    uint64_t h = pair_hash(&inf->path_index, src, dst);
    struct ht_probe pr;
    for (uint32_t id = ht_first(&inf->path_index, h, &pr); id != HT_NONE;
         id = ht_next(&inf->path_index, &pr)) {
        struct inf_path *p = &inf->paths[id - 1];
        if (addr_cmp(&p->src, src) == 0 && addr_cmp(&p->dst, dst) == 0) {
            if (layer == INF_INNER && p->layer != INF_INNER) {
                p->layer = INF_INNER;
                p->tunnel = tunnel;
            }
            return p;
        }
    }
    if (inf->npaths == INF_MAX_PATHS)
        return NULL;
    if (!ht_insert(&inf->path_index, h, (uint32_t)inf->npaths + 1))
        return NULL; /* out of memory: the bound is not kept */
    struct inf_path *p = &inf->paths[inf->npaths++];
    memset(p, 0, sizeof *p);
    p->src = *src;
    p->dst = *dst;
    p->layer = (uint8_t)layer;
    p->tunnel = tunnel;
    return p;
}

void inf_evidence(struct inf_path *p, const char *f, ...)
{
    if (!p || p->nevidence == INF_MAX_EVIDENCE)
        return;
    va_list ap;
    va_start(ap, f);
    inf_vfmt(&p->evidence[p->nevidence++], f, ap);
    va_end(ap);
}

void inf_bound_lower(struct inf_path *p, uint32_t v, const char *why, ...)
{
    if (!p || v <= p->lower)
        return;
    p->lower = v;
    va_list ap;
    va_start(ap, why);
    inf_vfmt(&p->lower_why, why, ap);
    va_end(ap);
}

/* Keeps v among the path's upper bounds (loss: a size seen lost); when
 * they are all kept, the largest gives way to a smaller one. */
static void upper_keep(struct inf_path *p, uint32_t v, bool loss)
{
    int at = -1;
    for (int i = 0; i < p->nuppers; i++) {
        if (p->uppers[i] == v) {
            p->uppers_loss[i] |= loss;
            return;
        }
        if (at < 0 || p->uppers[i] > p->uppers[at])
            at = i;
    }
    if (p->nuppers < INF_MAX_UPPERS)
        at = p->nuppers++;
    else if (p->uppers[at] < v)
        return;
    p->uppers[at] = v;
    p->uppers_loss[at] = loss;
}

void inf_bound_upper(struct inf_path *p, uint32_t v)
{
    if (!p || !v)
        return;
    upper_keep(p, v, false);
    if (!p->upper || v < p->upper)
        p->upper = v;
}

void inf_bound_upper_loss(struct inf_path *p, uint32_t v)
{
    if (!p || !v)
        return;
    upper_keep(p, v, true);
    if (!p->upper || v <= p->upper) {
        p->upper = v;
        p->upper_loss = true;
    }
}

/* The smallest upper bound kept that is not below v, 0 when none is; *loss:
 * whether a size seen lost gave it. */
static uint32_t upper_from(const struct inf_path *p, uint32_t v, bool *loss)
{
    uint32_t best = 0;
    *loss = false;
    for (int i = 0; i < p->nuppers; i++) {
        uint32_t u = p->uppers[i];
        if (u < v || (best && u > best))
            continue;
        *loss = (best == u && *loss) || p->uppers_loss[i];
        best = u;
    }
    return best;
}

/* After every collector: the lower bound's reason becomes evidence, a
 * contradiction is flagged and resolved toward what crossed, and bounds that
 * meet fix the MTU.
 *
 * A packet that crossed is the stronger evidence: an upper bound below it
 * was inferred (a router's MTU for another hop, a loss that was not the
 * size's), while the crossing was seen.  Such a bound is set aside, and the
 * next bound not below the crossing stands; when none does, the path has
 * no upper bound.  Setting aside is not pinning: the bounds meet only when
 * a bound left standing equals what crossed. */
void inf_paths_fold(struct inference *inf)
{
    /* an exact value where the bounds meet */
    for (int k = 0; k < inf->npaths; k++) {
        struct inf_path *p = &inf->paths[k];
        if (p->lower_why && p->lower_why[0])
            inf_evidence(p, "lower bound: %s", p->lower_why);
        if (p->upper && p->lower > p->upper) {
            bool loss;
            uint32_t next = upper_from(p, p->lower, &loss);
            if (next)
                inf_evidence(p,
                             "note: a %u-byte packet crossed although a bound said %u: that "
                             "bound is set aside, and the next one, %u, stands",
                             p->lower, p->upper, next);
            else
                inf_evidence(p,
                             "note: a %u-byte packet crossed although a bound said %u: that "
                             "bound is set aside, and no other bound is above %u",
                             p->lower, p->upper, p->lower);
            p->upper = next;
            p->upper_loss = loss;
        }
        if (p->upper && p->lower == p->upper)
            p->mtu = p->upper;
    }
}
