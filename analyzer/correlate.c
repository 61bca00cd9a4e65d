/*
 * correlate.c - matching the same packets across two captures (see
 * correlate.h for the keys, the window and the clock offset).
 *
 * The matcher is a hash table of the keys not matched yet, whose entries sit
 * in a ring in arrival order: ageing looks only at the ring's head, so each
 * key costs O(1) to insert, match and expire, and the ring's size is the
 * memory bound.  A matched entry is unlinked from its hash chain at once and
 * left dead in the ring until the head passes it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "correlate.h"
#include "hashtab.h"

/* ---- keys ---- */

const char *corr_kind_name(enum corr_kind k)
{
    switch (k) {
    case CORR_WG:
        return "wireguard";
    case CORR_ESP:
        return "esp";
    case CORR_TCP:
        return "tcp";
    case CORR_IPV4:
        return "ip";
    case CORR_DATAGRAM:
        return "datagram";
    }
    return "?";
}

/* Whether the first `hdr` bytes of layer l were captured: a payload cut by
 * the snap length is fine, a cut inside the identifying header is not. */
static bool header_whole(const struct packet *p, const struct layer *l, uint32_t hdr)
{
    if (l->flags & LF_REASSEMBLED)
        return true; /* a complete datagram */
    return (uint64_t)l->offset + hdr <= p->caplen;
}

/* The key of the IP layer at index i, from the layers that follow it. */
static bool key_at(const struct packet *p, int i, struct corr_key *k)
{
    const struct layer *l = &p->layers[i];
    const struct ip_info *ip = &l->u.ip;
    memset(k, 0, sizeof *k);
    if (ip->src.addr_type != ADDR_TYPE_IP && ip->src.addr_type != ADDR_TYPE_IP6)
        return false;
    k->depth = l->tunnel;
    k->version = ip->version;
    k->proto = ip->proto;
    addr_bytes(&ip->src, k->src);
    addr_bytes(&ip->dst, k->dst);
    k->size = ip->ip_len;
    if (ip->flags & IPF_FRAGMENT) {
        /* Each fragment is a packet that crossed (or not) at its own size,
         * whatever became of the datagram: keyed by the fragment id (IPv4
         * ID or IPv6 fragment identification) and offset.  A reassembled
         * datagram's size is no packet size, so it gets no key; its inner
         * IP layers, which follow, do. */
        k->kind = CORR_IPV4;
        k->a = ip->id;
        k->b = ip->frag_off;
        k->c = (ip->flags & IPF_MF) ? 1 : 0;
        return true;
    }
    const struct layer *n = i + 1 < p->nlayers ? &p->layers[i + 1] : NULL;
    const struct layer *n2 = i + 2 < p->nlayers ? &p->layers[i + 2] : NULL;
    if (n && (n->flags & LF_QUOTED))
        n = n2 = NULL;
    if (n && n->type == LAYER_UDP && n2 && n2->type == LAYER_WIREGUARD &&
        n2->u.wg.msg_type == WG_DATA && header_whole(p, n2, 16)) {
        k->kind = CORR_WG;
        k->sport = n->u.udp.sport;
        k->dport = n->u.udp.dport;
        k->a = n2->u.wg.receiver;
        k->c = n2->u.wg.counter;
        return true;
    }
    const struct layer *esp = n && n->type == LAYER_ESP                                  ? n
                              : n && n->type == LAYER_UDP && n2 && n2->type == LAYER_ESP ? n2
                                                                                         : NULL;
    if (esp && header_whole(p, esp, 8)) {
        k->kind = CORR_ESP;
        k->a = esp->u.esp.spi;
        k->b = esp->u.esp.seq;
        return true;
    }
    if (n && n->type == LAYER_TCP && header_whole(p, n, 20)) {
        k->kind = CORR_TCP;
        k->sport = n->u.tcp.sport;
        k->dport = n->u.tcp.dport;
        k->a = n->u.tcp.seq;
        k->b = n->u.tcp.ack;
        k->c = n->u.tcp.payload_len;
        if (ip->version == 4) /* + 1: an ID of 0 stays distinct from "no ID" */
            k->c |= ((uint64_t)ip->id + 1) << 16;
        return true;
    }
    if (ip->version == 4) {
        k->kind = CORR_IPV4;
        k->a = ip->id;
        return true;
    }
    return false; /* IPv6 without TCP, WireGuard or ESP: no identifying field */
}

/* A datagram key's b: the packet was whole, a fragment, or (a marker the
 * matcher makes) the datagram was seen whole on one side and in fragments
 * on the other.  Whole meets fragment, never its own shape: fragments on
 * both sides are matched one by one by their own keys. */
enum { DG_WHOLE, DG_FRAGMENT, DG_CROSSED };

/* The IPv4 ID a key holds: TCP and plain IPv4 keys carry it; WireGuard and
 * ESP keys leave it out (a NAT may rewrite it, and their own fields name the
 * packet), so their entries keep it beside the key (struct entry). */
static bool key_ipv4_id(const struct corr_key *k, uint32_t *id)
{
    if (k->kind == CORR_TCP)
        *id = (uint32_t)(k->c >> 16) - 1;
    else if (k->kind == CORR_IPV4)
        *id = k->a;
    else
        return false;
    return true;
}

/* The datagram key of IPv4 key k of IP ID id, from a layer with these
 * flags: a packet a router may cut (DF clear, RFC 791), or a fragment
 * (correlate.h).  Any kind: a WireGuard or ESP datagram sent DF clear is
 * cut by a router as a TCP segment is. */
static bool datagram_key(const struct corr_key *k, uint16_t ipflags, uint32_t id,
                         struct corr_key *out)
{
    if (k->version != 4 || (!(ipflags & IPF_FRAGMENT) && (ipflags & IPF_DF)))
        return false;
    memset(out, 0, sizeof *out);
    out->kind = CORR_DATAGRAM;
    out->depth = k->depth;
    out->version = 4;
    out->proto = k->proto;
    memcpy(out->src, k->src, 16);
    memcpy(out->dst, k->dst, 16);
    out->a = id;
    out->b = (ipflags & IPF_FRAGMENT) ? DG_FRAGMENT : DG_WHOLE;
    return true;
}

int corr_keys(const struct packet *p, struct corr_key out[CORR_MAX_KEYS])
{
    int n = 0;
    for (int i = 0; i < p->nlayers && n + 1 < CORR_MAX_KEYS; i++) {
        const struct layer *l = &p->layers[i];
        if (l->flags & LF_QUOTED)
            break; /* the quoted packet of an ICMP error and all after it */
        if (l->type != LAYER_IPV4 && l->type != LAYER_IPV6)
            continue;
        if (key_at(p, i, &out[n])) {
            n++;
            if (datagram_key(&out[n - 1], l->u.ip.flags, l->u.ip.id, &out[n])) {
                /* for the matcher's byte count, not compared (add_key()) */
                out[n].size = l->u.ip.payload_len;
                out[n].c = (l->u.ip.flags & IPF_FRAGMENT) && !(l->u.ip.flags & IPF_MF);
                n++;
            }
        }
    }
    return n;
}

/* ---- matcher ---- */

struct entry {
    struct corr_key key;
    int64_t t_ns;
    int64_t age_ns; /* the matcher's clock when it came: timestamps may go back */
    uint64_t frame;
    int32_t next, prev; /* hash chain, both ways (O(1) unlink); -1 = end */
    uint32_t bucket;
    int16_t dir; /* index in m->dirs, -1 = not tracked */
    uint8_t side;
    uint8_t depth; /* the key's tunnel depth (key.depth is held as 0) */
    bool alive;
    /* CORR_DATAGRAM: the whole packet's payload bytes (0: not seen), the
     * fragments' bytes so far, and whether its last fragment came */
    bool dg_last;
    uint32_t dg_need, dg_have;
    /* a key that leaves the IPv4 ID out (WireGuard, ESP): the ID of its
     * packet when it was DF clear, for its datagram's marker */
    bool has_dg_id;
    uint32_t dg_id;
};

struct side_span {
    bool started;
    int64_t first, last;
};

/* The ring and the hash index grow with the keys held (grow()), up to cap
 * slots: a short capture does not pay for 65,536 (7 MB). */
struct corr_matcher {
    uint64_t seed; /* of key_hash() */
    int64_t window_ns;
    uint32_t cap;   /* slots at most */
    uint32_t alloc; /* slots allocated, <= cap */
    struct entry *ring;
    uint32_t head, used; /* oldest slot, slots in use (dead ones included) */
    int32_t *buckets;
    uint32_t nbuckets; /* power of two, at least 2 * alloc */
    int64_t now;
    struct side_span span[2];
    uint64_t matches, cap_hits, dirs_unlisted;
    int ndirs, cap_dirs;
    struct corr_dir *dirs; /* up to CORR_MAX_DIRS (10 KB each), allocated as they come */
};

/* hashtab.h's keyed hash of the key's bytes: the keys are the captured
 * packets' fields, chosen by whoever sent them.  A bucket's chain is
 * compared key by key, newest first, so the seed changes no match. */
static uint32_t key_hash(const struct corr_matcher *m, const struct corr_key *k)
{
    return (uint32_t)hash_bytes_inline(m->seed, k, sizeof *k);
}

/* A ring of `alloc` slots (more than m->alloc, at most m->cap) with the held
 * keys in the same order, oldest at slot 0, and their index rebuilt: each
 * bucket's chain is newest first, as add_key() leaves it, so the lookups
 * find what they found before.  false when out of memory (m unchanged). */
static bool grow(struct corr_matcher *m, uint32_t alloc)
{
    uint32_t nbuckets = 1;
    while (nbuckets < 2 * alloc)
        nbuckets <<= 1;
    struct entry *ring = malloc(alloc * sizeof *ring);
    int32_t *buckets = malloc(nbuckets * sizeof *buckets);
    if (!ring || !buckets) {
        free(ring);
        free(buckets);
        return false;
    }
    memset(buckets, 0xff, nbuckets * sizeof *buckets); /* -1 everywhere */
    for (uint32_t i = 0; i < m->used; i++) {
        struct entry *e = &ring[i];
        *e = m->ring[(m->head + i) % m->alloc];
        if (!e->alive)
            continue; /* dead: in no chain */
        e->bucket = key_hash(m, &e->key) & (nbuckets - 1);
        e->prev = -1;
        e->next = buckets[e->bucket];
        if (e->next != -1)
            ring[e->next].prev = (int32_t)i;
        buckets[e->bucket] = (int32_t)i;
    }
    free(m->ring);
    free(m->buckets);
    m->ring = ring;
    m->buckets = buckets;
    m->alloc = alloc;
    m->nbuckets = nbuckets;
    m->head = 0;
    return true;
}

struct corr_matcher *corr_matcher_new(int64_t window_ns, uint32_t max_pending)
{
    struct corr_matcher *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->seed = hash_seed();
    m->window_ns = window_ns;
    m->cap = max_pending ? max_pending : 1;
    if (!grow(m, m->cap < 64 ? m->cap : 64)) {
        corr_matcher_free(m);
        return NULL;
    }
    return m;
}

void corr_matcher_free(struct corr_matcher *m)
{
    if (!m)
        return;
    free(m->ring);
    free(m->buckets);
    free(m->dirs);
    free(m);
}

/* The direction of a key: its addresses, at any depth (the same packet is
 * inside a tunnel in a capture of the outer interface and outermost in one of
 * the tunnel interface); -1 when the table is full. */
static int dir_of(struct corr_matcher *m, const struct corr_key *k)
{
    for (int i = 0; i < m->ndirs; i++) {
        struct corr_dir *d = &m->dirs[i];
        if (d->version == k->version && !memcmp(d->src, k->src, 16) &&
            !memcmp(d->dst, k->dst, 16)) {
            if (k->depth > d->depth)
                d->depth = k->depth; /* inside a tunnel somewhere: an inner path */
            if (k->kind == CORR_WG && !(d->kinds & (1u << CORR_WG))) {
                d->sport = k->sport;
                d->dport = k->dport;
                d->wg_receiver = k->a;
            }
            d->kinds |= (uint8_t)(1u << k->kind);
            return i;
        }
    }
    if (m->ndirs == m->cap_dirs) {
        int c = m->cap_dirs ? 2 * m->cap_dirs : 2;
        if (c > CORR_MAX_DIRS)
            c = CORR_MAX_DIRS;
        struct corr_dir *t = c > m->cap_dirs ? realloc(m->dirs, (size_t)c * sizeof *t) : NULL;
        if (!t) { /* full, or out of memory */
            m->dirs_unlisted++;
            return -1;
        }
        m->dirs = t;
        m->cap_dirs = c;
    }
    struct corr_dir *d = &m->dirs[m->ndirs];
    memset(d, 0, sizeof *d);
    d->depth = k->depth;
    d->version = k->version;
    memcpy(d->src, k->src, 16);
    memcpy(d->dst, k->dst, 16);
    d->kinds = (uint8_t)(1u << k->kind);
    if (k->kind == CORR_WG) {
        d->sport = k->sport;
        d->dport = k->dport;
        d->wg_receiver = k->a;
    }
    d->upstream = -1;
    return m->ndirs++;
}

/* The size's row in a direction's table, kept ascending; when the table is
 * full the smallest size is merged into d->small, since what matters for
 * the MTU is at the large end. */
static struct corr_size *size_row(struct corr_dir *d, uint32_t size)
{
    if (d->small.size && size <= d->small.size)
        return &d->small;
    uint32_t lo = 0, hi = d->nsizes;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (d->sizes[mid].size < size)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < d->nsizes && d->sizes[lo].size == size)
        return &d->sizes[lo];
    if (d->nsizes == CORR_MAX_SIZES) {
        struct corr_size *s = &d->sizes[0], *t = &d->small;
        t->size = s->size;
        t->matched += s->matched;
        for (int x = 0; x < 2; x++) {
            t->only[x] += s->only[x];
            t->frag_only[x] += s->frag_only[x];
            t->uncovered[x] += s->uncovered[x];
            if (!t->first_only_frame[x]) {
                t->first_only_frame[x] = s->first_only_frame[x];
                t->first_only_val[x] = s->first_only_val[x];
                t->first_only_kind[x] = s->first_only_kind[x];
            }
        }
        memmove(&d->sizes[0], &d->sizes[1], (d->nsizes - 1) * sizeof d->sizes[0]);
        d->nsizes--;
        if (size <= t->size)
            return t;
        lo--;
    }
    memmove(&d->sizes[lo + 1], &d->sizes[lo], (d->nsizes - lo) * sizeof d->sizes[0]);
    memset(&d->sizes[lo], 0, sizeof d->sizes[0]);
    d->sizes[lo].size = size;
    d->nsizes++;
    return &d->sizes[lo];
}

static uint64_t key_val(const struct corr_key *k)
{
    switch (k->kind) {
    case CORR_WG:
        return k->c;
    case CORR_ESP:
        return k->b;
    default:
        return k->a; /* TCP seq, IPv4 ID */
    }
}

/* Whether side s's capture was running when a packet of the other side,
 * at time t, would have been in it. */
static bool covered(const struct corr_matcher *m, int s, int64_t t, bool ended)
{
    const struct side_span *sp = &m->span[s];
    if (!sp->started || sp->first > t)
        return false;
    return !ended || t + CORR_EDGE_NS <= sp->last;
}

static void unlink_entry(struct corr_matcher *m, uint32_t idx)
{
    struct entry *e = &m->ring[idx];
    if (e->prev != -1)
        m->ring[e->prev].next = e->next;
    else
        m->buckets[e->bucket] = e->next;
    if (e->next != -1)
        m->ring[e->next].prev = e->prev;
    e->alive = false;
}

static int32_t find_entry(const struct corr_matcher *m, const struct corr_key *k)
{
    uint32_t h = key_hash(m, k) & (m->nbuckets - 1);
    for (int32_t i = m->buckets[h]; i != -1; i = m->ring[i].next)
        if (!memcmp(&m->ring[i].key, k, sizeof *k))
            return i;
    return -1;
}

/* The marker of the datagram of key k, when it was seen whole on one side
 * and in fragments on the other (correlate.h); NULL otherwise.  A marker is
 * held anew after every key of the packets it was made from (add_key()),
 * so it is still there when they are resolved. */
static const struct entry *datagram_marker(const struct corr_matcher *m, const struct entry *e)
{
    const struct corr_key *k = &e->key;
    struct corr_key dk;
    uint32_t id = e->dg_id;
    if ((!key_ipv4_id(k, &id) && !e->has_dg_id) || !datagram_key(k, 0, id, &dk))
        return NULL;
    dk.depth = 0;
    dk.b = DG_CROSSED;
    dk.size = 0;
    dk.c = 0;
    int32_t i = find_entry(m, &dk);
    return i >= 0 ? &m->ring[i] : NULL;
}

/* An IPv4 fragment's key (corr_keys(): keyed by ID, offset and MF). */
static bool ipv4_fragment(const struct corr_key *k)
{
    return k->kind == CORR_IPV4 && k->version == 4 && (k->b || k->c);
}

/* An entry that never met its match. */
static void resolve_unmatched(struct corr_matcher *m, uint32_t idx, bool ended)
{
    struct entry *e = &m->ring[idx];
    unlink_entry(m, idx);
    if (e->dir < 0)
        return;
    struct corr_dir *d = &m->dirs[e->dir];
    const struct entry *mark = datagram_marker(m, e);
    if (mark) {
        d->fragmented[e->side]++;
        /* a fragment's key is a plain IPv4 one with an offset or MF */
        bool whole = e->key.kind != CORR_IPV4 || !(e->key.b || e->key.c);
        /* every byte of it came as fragments, up to the last one: it
         * crossed; else the rest is fragment loss, not a size that failed */
        if (whole && !(mark->dg_last && mark->dg_have >= mark->dg_need))
            d->fragmented_incomplete++;
        if (whole && e->key.size > d->largest_fragmented) {
            d->largest_fragmented = e->key.size;
            d->largest_fragmented_frame = e->frame;
            d->fragmented_side = (int8_t)e->side;
        }
        return;
    }
    struct corr_size *z = size_row(d, e->key.size);
    if (covered(m, !e->side, e->t_ns, ended)) {
        d->only[e->side]++;
        z->only[e->side]++;
        if (ipv4_fragment(&e->key))
            z->frag_only[e->side]++;
        else if (!z->first_only_frame[e->side]) {
            z->first_only_frame[e->side] = e->frame;
            z->first_only_val[e->side] = key_val(&e->key);
            z->first_only_kind[e->side] = e->key.kind;
        }
    } else {
        d->uncovered[e->side]++;
        z->uncovered[e->side]++;
    }
}

/* Drops the ring's head; an entry still alive there is resolved. */
static void pop_head(struct corr_matcher *m, bool ended)
{
    if (m->ring[m->head].alive)
        resolve_unmatched(m, m->head, ended);
    m->head = (m->head + 1) % m->alloc;
    m->used--;
}

static void expire(struct corr_matcher *m)
{
    while (m->used) {
        struct entry *e = &m->ring[m->head];
        /* by arrival on the merged clock, which never goes back: a packet
         * whose timestamp jumps back still waits a whole window */
        if (e->alive && e->age_ns >= m->now - m->window_ns)
            break;
        pop_head(m, false);
    }
}

static void record_match(struct corr_matcher *m, const struct entry *e, int side, int64_t t_ns,
                         uint64_t frame)
{
    m->matches++;
    if (e->dir < 0)
        return;
    struct corr_dir *d = &m->dirs[e->dir];
    uint64_t f[2];
    int64_t t[2];
    f[e->side] = e->frame;
    t[e->side] = e->t_ns;
    f[side] = frame;
    t[side] = t_ns;
    d->matched++;
    if (!d->match_frame[0]) {
        d->match_frame[0] = f[0];
        d->match_frame[1] = f[1];
    }
    if (e->key.size >= d->largest_matched) {
        d->largest_matched = e->key.size;
        d->largest_frame[0] = f[0];
        d->largest_frame[1] = f[1];
    }
    size_row(d, e->key.size)->matched++;
    if (d->ndelays < CORR_MAX_DELAYS)
        d->delays[d->ndelays++] = t[1] - t[0];
}

static void add_key(struct corr_matcher *m, int side, int64_t t_ns, uint64_t frame,
                    const struct corr_key *key, const struct corr_key *dg)
{
    /* Matched at any tunnel depth: held and compared with depth 0 */
    struct corr_key mk = *key;
    mk.depth = 0;
    const struct corr_key *k = &mk;
    uint32_t need = 0, have = 0;
    bool last = false;
    if (k->kind == CORR_DATAGRAM) {
        /* its payload bytes and last-fragment flag ride in size and c
         * (datagram_key()): held in the entry, not compared */
        if (mk.b == DG_WHOLE)
            need = mk.size;
        else
            have = mk.size;
        last = mk.c != 0;
        mk.size = 0;
        mk.c = 0;
        /* whole on one side, fragments on the other: the marker, held
         * anew after the keys of every packet of the datagram, so that
         * resolve_unmatched() finds it when they go */
        struct corr_key x = mk;
        x.b = DG_CROSSED;
        int32_t i = find_entry(m, &x);
        if (i < 0) {
            x.b = mk.b == DG_WHOLE ? DG_FRAGMENT : DG_WHOLE;
            i = find_entry(m, &x);
            if (i >= 0 && m->ring[i].side == side)
                i = -1;
        }
        int32_t j = i >= 0 ? -1 : find_entry(m, &mk);
        if (j >= 0) {
            /* the same shape held already: more fragments of a datagram
             * from the same side, or fragments on both sides (matched one
             * by one by their own keys) */
            struct entry *g = &m->ring[j];
            if (g->side == side && mk.b == DG_FRAGMENT) {
                g->dg_have += have;
                g->dg_last |= last;
            }
            return;
        }
        if (i >= 0) {
            const struct entry *g = &m->ring[i];
            need += g->dg_need;
            have += g->dg_have;
            last |= g->dg_last;
            unlink_entry(m, (uint32_t)i);
            mk.b = DG_CROSSED;
        }
    }
    uint32_t h = key_hash(m, k) & (m->nbuckets - 1);
    for (int32_t i = k->kind == CORR_DATAGRAM ? -1 : m->buckets[h]; i != -1; i = m->ring[i].next) {
        struct entry *e = &m->ring[i];
        if (memcmp(&e->key, k, sizeof *k))
            continue;
        /* The unmatched copies of one key are all from one side: a copy
         * from the other side would have matched one.  So the first copy
         * found decides, and a flood of one repeated packet stays O(1). */
        if (e->side == side)
            break;
        if (e->dir >= 0) {
            struct corr_dir *d = &m->dirs[e->dir];
            if (key->depth > d->depth)
                d->depth = key->depth;
            if (key->depth != e->depth)
                d->cross_depth++;
        }
        record_match(m, e, side, t_ns, frame);
        unlink_entry(m, (uint32_t)i);
        return;
    }
    if (m->used == m->alloc && m->alloc < m->cap) {
        uint32_t alloc = m->alloc < m->cap / 2 ? 2 * m->alloc : m->cap;
        if (grow(m, alloc)) /* (out of memory: as if full) */
            h = key_hash(m, k) & (m->nbuckets - 1);
    }
    if (m->used == m->alloc) {
        /* full: the oldest key leaves unresolved rather than counted lost */
        if (m->ring[m->head].alive) {
            m->cap_hits++;
            unlink_entry(m, m->head);
        }
        m->head = (m->head + 1) % m->alloc;
        m->used--;
    }
    uint32_t idx = (m->head + m->used) % m->alloc;
    struct entry *e = &m->ring[idx];
    memcpy(&e->key, k, sizeof *k);
    e->t_ns = t_ns;
    e->age_ns = m->now;
    e->frame = frame;
    e->side = (uint8_t)side;
    e->depth = key->depth;
    e->alive = true;
    e->dg_need = need;
    e->dg_have = have;
    e->dg_last = last;
    e->has_dg_id = dg != NULL;
    e->dg_id = dg ? dg->a : 0;
    e->dir = k->kind == CORR_DATAGRAM ? -1 : (int16_t)dir_of(m, key); /* no direction's count */
    e->next = m->buckets[h];
    e->prev = -1;
    e->bucket = h;
    if (e->next != -1)
        m->ring[e->next].prev = (int32_t)idx;
    m->buckets[h] = (int32_t)idx;
    m->used++;
}

void corr_matcher_add(struct corr_matcher *m, int side, int64_t t_ns, uint64_t frame,
                      const struct corr_key *keys, int nkeys)
{
    struct side_span *sp = &m->span[side];
    if (!sp->started) {
        sp->started = true;
        sp->first = sp->last = t_ns;
    }
    if (t_ns < sp->first)
        sp->first = t_ns;
    if (t_ns > sp->last)
        sp->last = t_ns;
    if (t_ns > m->now)
        m->now = t_ns;
    expire(m);
    for (int i = 0; i < nkeys; i++) {
        /* corr_keys() puts a packet's datagram key right after its key */
        const struct corr_key *dg =
            i + 1 < nkeys && keys[i].kind != CORR_DATAGRAM && keys[i + 1].kind == CORR_DATAGRAM
                ? &keys[i + 1]
                : NULL;
        add_key(m, side, t_ns, frame, &keys[i], dg);
    }
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

void corr_matcher_finish(struct corr_matcher *m)
{
    while (m->used)
        pop_head(m, true);
    for (int i = 0; i < m->ndirs; i++) {
        struct corr_dir *d = &m->dirs[i];
        if (!d->ndelays)
            continue;
        int64_t s[CORR_MAX_DELAYS];
        memcpy(s, d->delays, d->ndelays * sizeof s[0]);
        qsort(s, d->ndelays, sizeof s[0], cmp_i64);
        d->delay_median_ns = s[d->ndelays / 2];
        d->upstream = d->delay_median_ns >= 0 ? 0 : 1;
    }
}

uint64_t corr_matcher_matches(const struct corr_matcher *m)
{
    return m->matches;
}
uint64_t corr_matcher_cap_hits(const struct corr_matcher *m)
{
    return m->cap_hits;
}
uint64_t corr_matcher_dirs_unlisted(const struct corr_matcher *m)
{
    return m->dirs_unlisted;
}
int corr_matcher_ndirs(const struct corr_matcher *m)
{
    return m->ndirs;
}
const struct corr_dir *corr_matcher_dir(const struct corr_matcher *m, int i)
{
    return i >= 0 && i < m->ndirs ? &m->dirs[i] : NULL;
}

bool corr_dir_verdict(const struct corr_dir *d, struct corr_verdict *v)
{
    memset(v, 0, sizeof *v);
    if (d->upstream < 0)
        return false;
    int u = d->upstream;
    v->largest_delivered = d->largest_matched;
    v->all_lost_above = true;
    for (uint32_t i = 0; i < d->nsizes; i++) {
        const struct corr_size *z = &d->sizes[i];
        if (z->size <= d->largest_matched)
            continue;
        if (z->matched)
            v->all_lost_above = false; /* cannot happen: largest_matched is the largest */
        /* An IPv4 fragment lost on the way lost nothing by its size: it is
         * sent DF clear, and a router cuts a DF-clear packet that is too
         * big rather than drop it (RFC 791), into pieces of other sizes
         * that its key (ID, offset, size) does not match.  It was dropped
         * for being a fragment (a filter that needs ports, which a later
         * fragment does not carry), or cut again.  An IPv6 fragment stays:
         * no router cuts IPv6, one too big for a link is dropped. */
        uint32_t lost = z->only[u] - z->frag_only[u];
        if (!lost)
            continue;
        if (!v->smallest_lost) {
            v->smallest_lost = z->size;
            v->lost_at_smallest = lost;
            v->lost_frame = z->first_only_frame[u];
            v->lost_val = z->first_only_val[u];
            v->lost_kind = z->first_only_kind[u];
        }
        v->lost_at_or_above += lost;
    }
    if (!v->smallest_lost)
        v->all_lost_above = false;
    return true;
}

void corr_dir_addrs(const struct corr_dir *d, struct addr *src, struct addr *dst)
{
    addr_from_bytes(src, d->version, d->src);
    addr_from_bytes(dst, d->version, d->dst);
}

void corr_dir_filter(const struct corr_dir *d, const struct corr_verdict *v, char *buf, size_t size)
{
    struct addr s, t;
    char a[64], b[64];
    corr_dir_addrs(d, &s, &t);
    const char *ip = d->version == 6 ? "ipv6" : "ip";
    int n = snprintf(buf, size, "%s.src == %s && %s.dst == %s", ip, addr_text(&s, a, sizeof a), ip,
                     addr_text(&t, b, sizeof b));
    if (n < 0 || (size_t)n >= size)
        return;
    if (v->smallest_lost && v->lost_kind == CORR_WG)
        n += snprintf(buf + n, size - (size_t)n,
                      " && wg.receiver == 0x%08x && wg.counter >= %" PRIu64, d->wg_receiver,
                      v->lost_val);
    else if (d->kinds == (1u << CORR_WG))
        n += snprintf(buf + n, size - (size_t)n, " && wg.receiver == 0x%08x", d->wg_receiver);
    else if (d->kinds == (1u << CORR_TCP))
        n += snprintf(buf + n, size - (size_t)n, " && tcp");
    if (n < 0 || (size_t)n >= size)
        return;
    /* an ICMP error quoting one of these packets would match the fields too */
    n += snprintf(buf + n, size - (size_t)n, " && !%s", d->version == 6 ? "icmpv6" : "icmp");
    if (n < 0 || (size_t)n >= size || !v->smallest_lost)
        return;
    /* IPv6's length field leaves out its 40-byte header */
    if (d->version == 6)
        snprintf(buf + n, size - (size_t)n, " && ipv6.plen >= %u", v->smallest_lost - 40);
    else
        snprintf(buf + n, size - (size_t)n, " && ip.len >= %u", v->smallest_lost);
}
