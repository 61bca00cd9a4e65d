/* dedup.c - recognising the capture's own copies of a packet (dedup.h). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dedup.h"
#include "hashtab.h"

struct entry {
    uint64_t hash;
    int64_t t_ns;
    uint64_t frame;
    uint8_t ttl;
    int8_t dir; /* Linux cooked capture: 1 sent by this host, 0 received, -1 unknown */
    bool strong;
};

struct dedup {
    struct hashtab ix;
    struct entry *ring; /* DEDUP_MAX, oldest at `head` once full */
    uint32_t head, count;
};

struct dedup *dedup_new(void)
{
    struct dedup *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->ring = calloc(DEDUP_MAX, sizeof *d->ring);
    if (!d->ring) {
        free(d);
        return NULL;
    }
    ht_init(&d->ix);
    return d;
}

void dedup_free(struct dedup *d)
{
    if (!d)
        return;
    ht_free(&d->ix);
    free(d->ring);
    free(d);
}

/* The outermost IP layer of the frame itself (not a quote, not a reassembly). */
static const struct layer *outer_ip(const struct packet *p)
{
    for (int i = 0; i < p->nlayers; i++) {
        const struct layer *l = &p->layers[i];
        if (l->flags & (LF_QUOTED | LF_REASSEMBLED))
            return NULL;
        if (l->type == LAYER_IPV4 || l->type == LAYER_IPV6)
            return l;
    }
    return NULL;
}

/* -i any's packet type: sent by this host (4, PACKET_OUTGOING) or received. */
static int8_t sll_dir(const struct packet *p)
{
    if (p->nlayers && (p->layers[0].type == LAYER_SLL || p->layers[0].type == LAYER_SLL2))
        return p->layers[0].u.sll.pkttype == 4 ? 1 : 0;
    return -1;
}

static void forget_oldest(struct dedup *d)
{
    struct entry *e = &d->ring[d->head];
    ht_remove(&d->ix, e->hash, d->head + 1);
    d->head = (d->head + 1) % DEDUP_MAX;
    d->count--;
}

enum dedup_kind dedup_packet(struct dedup *d, const struct packet *p, uint64_t *first)
{
    const struct layer *l = outer_ip(p);
    if (!l || !p->data)
        return DEDUP_ORIGINAL;
    const struct ip_info *ip = &l->u.ip;
    int64_t now = p->ts_sec * 1000000000ll + p->ts_nsec;
    /* what no hop changes: addresses, protocol, length, ID, the payload as
     * captured (the snap length cuts copies alike) */
    uint32_t from = ip->payload_off, to = ip->payload_off + ip->payload_len;
    if (to > p->caplen)
        to = p->caplen;
    if (from > to)
        from = to;
    unsigned char k[48] = {0};
    k[0] = ip->version;
    k[1] = ip->proto;
    memcpy(k + 2, &ip->ip_len, 4);
    memcpy(k + 6, &ip->id, 4);
    memcpy(k + 10, ip->src.addr_data8, ip->version == 4 ? 4 : 16);
    memcpy(k + 26, ip->dst.addr_data8, ip->version == 4 ? 4 : 16);
    uint64_t body = hash_bytes(d->ix.seed, p->data + from, to - from);
    memcpy(k + 42, &body, 6);
    uint64_t h = hash_bytes(d->ix.seed, k, sizeof k);
    bool strong = ip->version == 4 && ip->id != 0;
    int8_t dir = sll_dir(p);

    while (d->count && (d->count == DEDUP_MAX || now - d->ring[d->head].t_ns > DEDUP_WINDOW_NS))
        forget_oldest(d);
    struct ht_probe pr;
    for (uint32_t id = ht_first(&d->ix, h, &pr); id != HT_NONE; id = ht_next(&d->ix, &pr)) {
        const struct entry *e = &d->ring[id - 1];
        if (e->hash != h || now - e->t_ns > DEDUP_WINDOW_NS || now < e->t_ns)
            continue;
        bool in_out = e->dir >= 0 && dir >= 0 && e->dir != dir;
        if (!(strong && e->strong) && !in_out)
            continue; /* identical bytes may be a real retransmission */
        *first = e->frame;
        return ip->ttl + 1 == e->ttl ? DEDUP_FORWARDED : DEDUP_COPY;
    }
    uint32_t slot = (d->head + d->count) % DEDUP_MAX;
    d->ring[slot] = (struct entry){h, now, p->frame, ip->ttl, dir, strong};
    if (ht_insert(&d->ix, h, slot + 1))
        d->count++;
    return DEDUP_ORIGINAL;
}
