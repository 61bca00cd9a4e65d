/* box.c - the capturing host as two vantage points (box.h). */
#include <stdlib.h>
#include <string.h>

#include "box.h"
#include "dedup.h"

void box_init(struct box *b)
{
    memset(b, 0, sizeof *b);
    ht_init(&b->index);
}

void box_free(struct box *b)
{
    free(b->dirs);
    free(b->q);
    ht_free(&b->index);
    memset(b, 0, sizeof *b);
}

int box_way(const struct packet *p)
{
    if (!p->nlayers || (p->layers[0].type != LAYER_SLL && p->layers[0].type != LAYER_SLL2))
        return -1;
    /* PACKET_OUTGOING (4) went out; host, broadcast, multicast and
     * other-host (0-3) came in; loopback and the rest say nothing */
    uint16_t t = p->layers[0].u.sll.pkttype;
    return t == 4 ? 0 : t <= 3 ? 1 : -1;
}

static struct box_dir *dir_of(struct box *b, uint64_t flow, uint8_t dir, uint32_t *idx)
{
    uint64_t key = flow << 1 | dir;
    uint64_t h = hash_u64(b->index.seed, key);
    struct ht_probe pr;
    for (uint32_t id = ht_first(&b->index, h, &pr); id != HT_NONE; id = ht_next(&b->index, &pr))
        if (b->dirs[id - 1].flow == flow && b->dirs[id - 1].dir == dir) {
            *idx = id - 1;
            return &b->dirs[id - 1];
        }
    if (b->ndirs == BOX_MAX_DIRS)
        return NULL;
    if (b->ndirs == b->capdirs) {
        uint32_t cap = b->capdirs ? 2 * b->capdirs : 16;
        struct box_dir *d = realloc(b->dirs, cap * sizeof *d);
        if (!d)
            return NULL;
        b->dirs = d;
        b->capdirs = cap;
    }
    if (!ht_insert(&b->index, h, b->ndirs + 1))
        return NULL;
    struct box_dir *d = &b->dirs[b->ndirs];
    memset(d, 0, sizeof *d);
    d->flow = flow;
    d->dir = dir;
    *idx = b->ndirs++;
    return d;
}

/* The oldest waiting packet leaves the queue: lost if it never left. */
static void judge_oldest(struct box *b)
{
    struct box_pend *e = &b->q[b->qhead];
    if (e->size) {
        struct box_dir *d = &b->dirs[e->d];
        if (!d->lost || e->size < d->lost_min)
            d->lost_min = e->size;
        d->lost++;
        if (d->nframes < BOX_FRAMES)
            d->frames[d->nframes++] = e->frame;
    }
    b->qhead = (b->qhead + 1) % b->qcap;
    b->qlen--;
}

void box_in(struct box *b, uint64_t frame, int64_t now, uint64_t flow, uint8_t dir, uint32_t size)
{
    b->seen = true;
    uint32_t idx;
    if (!flow || !size || !dir_of(b, flow, dir, &idx)) {
        b->unjudged++;
        return;
    }
    box_expire(b, now);
    if (b->qlen == b->qcap) {
        if (b->qcap == BOX_MAX_PENDING) { /* full: the oldest is judged early */
            b->unjudged++;
            b->q[b->qhead].size = 0;
            judge_oldest(b);
        } else {
            uint32_t cap = b->qcap ? 2 * b->qcap : 256;
            struct box_pend *q = malloc(cap * sizeof *q);
            if (!q) {
                b->unjudged++;
                return;
            }
            for (uint32_t i = 0; i < b->qlen; i++) /* unrolled, oldest first */
                q[i] = b->q[(b->qhead + i) % b->qcap];
            free(b->q);
            b->q = q;
            b->qhead = 0;
            b->qcap = cap;
        }
    }
    struct box_pend *e = &b->q[(b->qhead + b->qlen++) % b->qcap];
    e->frame = frame;
    e->t_ns = now;
    e->size = size;
    e->d = idx;
}

void box_out(struct box *b, uint64_t in_frame)
{
    b->seen = true;
    for (uint32_t k = 0; k < b->qlen && k < BOX_LOOKBACK; k++) {
        struct box_pend *e = &b->q[(b->qhead + b->qlen - 1 - k) % b->qcap];
        if (e->frame != in_frame)
            continue;
        if (e->size) {
            struct box_dir *d = &b->dirs[e->d];
            d->forwarded++;
            if (e->size > d->fwd_max) {
                d->fwd_max = e->size;
                d->fwd_frame = e->frame;
            }
            e->size = 0;
        }
        return;
    }
}

void box_expire(struct box *b, int64_t now)
{
    /* DEDUP_WINDOW_NS: longer than any queue holds a packet (dedup.h) */
    while (b->qlen && now - b->q[b->qhead].t_ns > DEDUP_WINDOW_NS)
        judge_oldest(b);
}

void box_end(struct box *b, int64_t now)
{
    box_expire(b, now);
    for (uint32_t k = 0; k < b->qlen; k++)
        if (b->q[(b->qhead + k) % b->qcap].size)
            b->unjudged++;
    b->qlen = 0;
}
