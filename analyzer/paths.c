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

void inf_bound_upper(struct inf_path *p, uint32_t v)
{
    if (p && v && (!p->upper || v < p->upper))
        p->upper = v;
}

/* After every collector: the lower bound's reason becomes evidence, a
 * contradiction is flagged and resolved toward what crossed, and bounds that
 * meet fix the MTU. */
void inf_paths_fold(struct inference *inf)
{
    /* an exact value where the bounds meet */
    for (int k = 0; k < inf->npaths; k++) {
        struct inf_path *p = &inf->paths[k];
        if (p->lower_why && p->lower_why[0])
            inf_evidence(p, "lower bound: %s", p->lower_why);
        if (p->upper && p->lower > p->upper) {
            /* contradictory evidence (e.g. a router's MTU for another hop): keep both, flag */
            inf_evidence(p, "note: a %u-byte packet crossed although a bound said %u", p->lower,
                         p->upper);
            p->upper = p->lower;
        }
        if (p->upper && p->lower == p->upper)
            p->mtu = p->upper;
    }
}
