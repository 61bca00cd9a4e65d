/*
 * delivery.c - per-size delivery accounting of one TCP direction.
 *
 * The outstanding table is a small unordered array: every operation scans
 * all of it, which at DL_MAX_SEGS entries costs less than keeping it sorted.
 * Sequence numbers are compared modulo 2^32 (RFC 9293 3.4), so ranges that
 * straddle the wrap are handled like any other.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "delivery.h"

#define DLS_OLD 0x01  /* a newer transmission overlapped it: never credited */
#define DLS_RETX 0x02 /* created by a retransmission */

/* Lower bounds of the size classes; the classes are finer around the MTUs
 * that matter (576 RFC 791's minimum, 1280 RFC 8200's, 1420 WireGuard's
 * default, 1500 Ethernet's). */
static const uint16_t class_lo[DL_NCLASSES] = {0,    128,  256,  512,  576,  1024, 1280, 1350,
                                               1400, 1420, 1450, 1480, 1500, 1501, 4096, 9001};

static bool seq_lt(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}
static bool seq_le(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) <= 0;
}

static uint32_t seg_end(const struct dl_seg *e)
{
    return e->seq + e->len * e->count;
}

void delivery_init(struct delivery *d)
{
    /* the header only: the first slots are written before they are read */
    memset(d, 0, offsetof(struct delivery, segs_first));
    d->segs = d->segs_first;
    d->capsegs = DL_FIRST_SEGS;
    d->exact = d->exact_first;
    d->capexact = DL_FIRST_SIZES;
}

int delivery_class(uint16_t size)
{
    int c = DL_NCLASSES - 1;
    while (c > 0 && size < class_lo[c])
        c--;
    return c;
}

const struct dl_sizes *delivery_no_sizes(void)
{
    /* class_lo, spelled out: a const initialiser cannot read another array */
    static const struct dl_sizes none = {
        .cls = {{.size = 0},
                {.size = 128},
                {.size = 256},
                {.size = 512},
                {.size = 576},
                {.size = 1024},
                {.size = 1280},
                {.size = 1350},
                {.size = 1400},
                {.size = 1420},
                {.size = 1450},
                {.size = 1480},
                {.size = 1500},
                {.size = 1501},
                {.size = 4096},
                {.size = 9001}},
    };
    return &none;
}

/* A table on the free list: its first bytes hold the link. */
struct dl_free {
    struct dl_free *next;
};
_Static_assert(sizeof(struct delivery) >= sizeof(struct dl_free), "a free table holds the link");

struct dl_pool {
    struct dl_free *free;
    uint64_t bytes; /* tables allocated, and the heap parts of those in use */
};

struct dl_pool *dl_pool_new(void)
{
    return calloc(1, sizeof(struct dl_pool));
}

void dl_pool_free(struct dl_pool *p)
{
    if (!p)
        return;
    while (p->free) {
        struct dl_free *n = p->free->next;
        free(p->free);
        p->free = n;
    }
    free(p);
}

/* The heap parts' sizes, as the pool counts them. */
#define SEGS_HEAP (DL_MAX_SEGS * sizeof(struct dl_seg))
#define SIZES_HEAP (DL_MAX_SIZES * sizeof(struct dl_size))
#define CLS_HEAP (DL_NCLASSES * (sizeof(struct dl_size) + sizeof(uint64_t)))

static void count_heap(struct delivery *d, size_t n, bool add)
{
    if (!d->pool)
        return;
    if (add)
        d->pool->bytes += n;
    else
        d->pool->bytes -= n;
}

void delivery_release(struct delivery *d)
{
    if (d->segs != d->segs_first) {
        free(d->segs);
        count_heap(d, SEGS_HEAP, false);
    }
    if (d->exact != d->exact_first) {
        free(d->exact);
        count_heap(d, SIZES_HEAP, false);
    }
    if (d->cls) {
        free(d->cls);
        count_heap(d, CLS_HEAP, false);
    }
    d->segs = d->segs_first;
    d->exact = d->exact_first;
    d->cls = NULL;
    d->cls_bytes = NULL;
}

struct delivery *dl_pool_get(struct dl_pool *p)
{
    struct delivery *d;
    if (p && p->free) {
        d = (struct delivery *)p->free;
        p->free = p->free->next;
    } else {
        d = malloc(sizeof *d);
        if (!d)
            return NULL;
        if (p)
            p->bytes += sizeof *d;
    }
    delivery_init(d);
    d->pool = p;
    return d;
}

void dl_pool_put(struct dl_pool *p, struct delivery *d)
{
    if (!d)
        return;
    delivery_release(d);
    if (!p) {
        free(d);
        return;
    }
    struct dl_free *f = (struct dl_free *)d;
    f->next = p->free;
    p->free = f;
}

uint64_t dl_pool_bytes(const struct dl_pool *p)
{
    return p ? p->bytes : 0;
}

void delivery_class_bounds(int cls, uint16_t *lo, uint16_t *hi)
{
    *lo = class_lo[cls];
    *hi = cls + 1 < DL_NCLASSES ? (uint16_t)(class_lo[cls + 1] - 1) : UINT16_MAX;
}

/* The classes, allocated at the first size past the exact table; false
 * when out of memory (that size then goes uncounted by size). */
static bool have_classes(struct delivery *d)
{
    if (d->cls)
        return true;
    d->cls = malloc(CLS_HEAP);
    if (!d->cls)
        return false;
    d->cls_bytes = (uint64_t *)(d->cls + DL_NCLASSES);
    for (int i = 0; i < DL_NCLASSES; i++) {
        d->cls[i] = (struct dl_size){.size = class_lo[i]};
        d->cls_bytes[i] = 0;
    }
    count_heap(d, CLS_HEAP, true);
    return true;
}

/* Room for one more exact size: the first slots, then the full table. */
static bool exact_room(struct delivery *d)
{
    if (d->nexact < d->capexact)
        return true;
    if (d->exact != d->exact_first)
        return false; /* the full table is full */
    struct dl_size *t = malloc(SIZES_HEAP);
    if (!t)
        return false;
    memcpy(t, d->exact, (size_t)d->nexact * sizeof *t);
    d->exact = t;
    d->capexact = DL_MAX_SIZES;
    count_heap(d, SIZES_HEAP, true);
    return true;
}

/* The size table entry for `size`: exact while there is room, else its
 * class; NULL only when the classes could not be allocated. */
static struct dl_size *size_entry(struct delivery *d, uint16_t size, bool create)
{
    int i = 0;
    while (i < d->nexact && d->exact[i].size < size)
        i++;
    if (i < d->nexact && d->exact[i].size == size)
        return &d->exact[i];
    if (!create || !exact_room(d))
        return have_classes(d) ? &d->cls[delivery_class(size)] : NULL;
    memmove(&d->exact[i + 1], &d->exact[i], (size_t)(d->nexact - i) * sizeof d->exact[0]);
    memset(&d->exact[i], 0, sizeof d->exact[i]);
    d->exact[i].size = size;
    d->nexact++;
    return &d->exact[i];
}

void delivery_sizes(const struct delivery *d, struct dl_sizes *out)
{
    memset(out, 0, sizeof *out);
    out->nexact = d->nexact;
    memcpy(out->exact, d->exact, (size_t)d->nexact * sizeof out->exact[0]);
    for (int i = 0; i < DL_NCLASSES; i++) {
        out->cls[i] = d->cls ? d->cls[i] : (struct dl_size){.size = class_lo[i]};
        out->cls_bytes[i] = d->cls ? d->cls_bytes[i] : 0;
    }
}

static void remove_seg(struct delivery *d, int i)
{
    d->segs[i] = d->segs[--d->nsegs];
}

/* Makes room for one more entry, evicting the oldest transmission other than
 * entry `keep` (-1: none).  Returns the new index of `keep`. */
static int make_room(struct delivery *d, int keep)
{
    if (d->nsegs < d->capsegs)
        return keep;
    if (d->segs == d->segs_first) { /* the first slots are full: the full table */
        struct dl_seg *t = malloc(SEGS_HEAP);
        if (t) {
            memcpy(t, d->segs, (size_t)d->nsegs * sizeof *t);
            d->segs = t;
            d->capsegs = DL_MAX_SEGS;
            count_heap(d, SEGS_HEAP, true);
            return keep;
        }
    }
    int victim = -1;
    for (int i = 0; i < d->nsegs; i++)
        if (i != keep && (victim < 0 || seq_lt(d->segs[i].order, d->segs[victim].order)))
            victim = i;
    d->st.evicted += (uint64_t)d->segs[victim].count * d->segs[victim].ntx;
    remove_seg(d, victim);
    return keep == d->nsegs ? victim : keep; /* the last entry moved into the hole */
}

/* Splits run i so that a new entry starts at segment k (0 < k < count).
 * Returns the index of the new entry; i stays valid (or is returned moved). */
static int split_run(struct delivery *d, int *i, uint32_t k)
{
    *i = make_room(d, *i);
    struct dl_seg *e = &d->segs[*i];
    struct dl_seg *n = &d->segs[d->nsegs++];
    *n = *e;
    n->seq = e->seq + k * e->len;
    n->count = e->count - k;
    e->count = k;
    return d->nsegs - 1;
}

/* Resolves k segments of entry e as covered by an ACK or SACK block. */
static void resolve(struct delivery *d, const struct dl_seg *e, uint32_t k)
{
    uint64_t tx = (uint64_t)k * e->ntx;
    if (e->flags & DLS_OLD) {
        d->st.superseded += tx;
        return;
    }
    d->st.delivered += k;
    d->st.superseded += tx - k;
    struct dl_size *z = size_entry(d, e->size, false);
    if (z)
        z->delivered += k;
    if (e->size > d->st.largest_delivered)
        d->st.largest_delivered = e->size;
}

/* Resolves the segments of every entry that lie wholly inside [lo, hi). */
static void cover(struct delivery *d, uint32_t lo, uint32_t hi)
{
    for (int i = d->nsegs - 1; i >= 0; i--) {
        struct dl_seg *e = &d->segs[i];
        uint32_t end = seg_end(e);
        if (!seq_lt(lo, end) || !seq_lt(e->seq, hi))
            continue; /* no overlap */
        uint32_t k0 = seq_le(lo, e->seq) ? 0 : (lo - e->seq + e->len - 1) / e->len;
        uint32_t k1 = seq_le(end, hi) ? e->count : (hi - e->seq) / e->len;
        if (k1 <= k0)
            continue;
        if (k0 > 0 && k1 < e->count) { /* a hole in the middle: keep the tail apart */
            int t = split_run(d, &i, k1);
            (void)t;
            e = &d->segs[i];
        }
        resolve(d, e, k1 - k0);
        if (k0 == 0 && k1 >= e->count) {
            remove_seg(d, i);
        } else if (k0 == 0) {
            e->seq += k1 * e->len;
            e->count -= k1;
        } else {
            e->count = k0;
        }
    }
}

int64_t delivery_send(struct delivery *d, uint32_t seq, uint32_t len, uint16_t size, bool retx,
                      uint64_t frame, int64_t ts_ns)
{
    if (len == 0)
        return INT64_MIN;
    d->st.order++;
    d->st.sent++;
    struct dl_size *sz = size_entry(d, size, true);
    if (sz) {
        sz->sent++;
        if (d->cls && sz >= d->cls && sz < d->cls + DL_NCLASSES)
            d->cls_bytes[sz - d->cls] += size;
    }

    if (d->st.ack_set && seq_le(seq + len, d->st.ack)) {
        d->st.superseded++; /* its bytes were delivered already: a spurious copy */
        return INT64_MIN;
    }
    if (d->st.ack_set && seq_lt(seq, d->st.ack)) { /* partly below the ACK: keep the new part */
        len -= d->st.ack - seq;
        seq = d->st.ack;
    }
    uint32_t end = seq + len;

    /* Entries this transmission overlaps: an exact copy merges with it (the
     * black-hole case, one segment sent again and again, stays one entry);
     * any other overlapped segment loses its claim to the credit.  First the
     * runs are split so that each overlapped entry lies wholly inside the
     * range; every pass removes one partial overlap, so this ends. */
    bool again = true;
    while (again) {
        again = false;
        for (int i = 0; i < d->nsegs && !again; i++) {
            const struct dl_seg *e = &d->segs[i];
            uint32_t eend = seg_end(e);
            if (!seq_lt(seq, eend) || !seq_lt(e->seq, end))
                continue;
            uint32_t k0 = seq_le(seq, e->seq) ? 0 : (seq - e->seq) / e->len;
            uint32_t k1 = seq_le(eend, end) ? e->count : (end - e->seq + e->len - 1) / e->len;
            if (k0 > 0) {
                split_run(d, &i, k0);
                again = true;
            } else if (k1 < e->count) {
                split_run(d, &i, k1);
                again = true;
            }
        }
    }
    int match = -1;
    for (int i = 0; i < d->nsegs; i++) {
        const struct dl_seg *e = &d->segs[i];
        if (e->count == 1 && e->seq == seq && e->len == len && e->size == size &&
            !(e->flags & DLS_OLD)) {
            match = i;
            break;
        }
    }
    /* a re-send in other sizes (smaller pieces after a PMTU change, or a
     * coalesced retransmission) still has a previous transmission: the
     * latest of the ranges it overlaps, whose time the backoff needs */
    int64_t overlapped = INT64_MIN;
    for (int i = 0; i < d->nsegs; i++) {
        struct dl_seg *e = &d->segs[i];
        if (i != match && seq_lt(seq, seg_end(e)) && seq_lt(e->seq, end)) {
            e->flags |= DLS_OLD;
            if (e->last_ns > overlapped)
                overlapped = e->last_ns;
        }
    }
    if (match >= 0) {
        struct dl_seg *e = &d->segs[match];
        int64_t prev = e->last_ns;
        e->ntx++;
        e->order = d->st.order;
        e->last_frame = frame;
        e->last_ns = ts_ns;
        return prev;
    }

    /* New data right after a run of equal, never-retransmitted segments
     * extends the run. */
    if (!retx) {
        for (int i = 0; i < d->nsegs; i++) {
            struct dl_seg *e = &d->segs[i];
            if (e->flags == 0 && e->ntx == 1 && e->len == len && e->size == size &&
                seg_end(e) == seq) {
                e->count++;
                e->order = d->st.order;
                e->last_frame = frame;
                e->last_ns = ts_ns;
                return INT64_MIN;
            }
        }
    }
    make_room(d, -1);
    struct dl_seg *n = &d->segs[d->nsegs++];
    memset(n, 0, sizeof *n);
    n->seq = seq;
    n->len = len;
    n->count = 1;
    n->order = d->st.order;
    n->first_frame = n->last_frame = frame;
    n->last_ns = ts_ns;
    n->size = size;
    n->ntx = 1;
    n->flags = retx ? DLS_RETX : 0;
    return retx ? overlapped : INT64_MIN;
}

void delivery_ack(struct delivery *d, uint32_t ack, const uint32_t (*sack)[2], int nsack)
{
    if (!d->st.ack_set || seq_lt(d->st.ack, ack)) {
        d->st.ack = ack;
        d->st.ack_set = true;
        /* everything below the ACK, as far back as a quarter of the sequence
         * space: an entry the previous ACK cut in the middle ends here */
        cover(d, ack - 0x3fffffffu, ack);
    }
    for (int i = 0; i < nsack; i++) {
        /* RFC 2883: a block at or below the cumulative ACK is a D-SACK, it
         * reports a duplicate, not a delivery of anything outstanding */
        if (seq_lt(sack[i][0], sack[i][1]) && seq_lt(d->st.ack, sack[i][1]))
            cover(d, sack[i][0], sack[i][1]);
    }
}

static void note_frame(struct delivery *d, uint64_t frame)
{
    for (int i = 0; i < d->st.nframes; i++)
        if (d->st.lost_frames[i] == frame)
            return;
    if (d->st.nframes < DL_MAX_FRAMES)
        d->st.lost_frames[d->st.nframes++] = frame;
}

/* Whether entry e lies wholly beyond the peer's cumulative ACK: behind the
 * hole at the ACK, where without SACK nothing can cover it. */
static bool behind_hole(const struct delivery *d, const struct dl_seg *e)
{
    return d->st.ack_set && seq_lt(d->st.ack, e->seq);
}

void delivery_finish(struct delivery *d, bool sack)
{
    for (int i = 0; i < d->nsegs; i++) {
        const struct dl_seg *e = &d->segs[i];
        uint64_t tx = (uint64_t)e->count * e->ntx;
        /* Without SACK (RFC 2018) the peer's cumulative ACK cannot pass the
         * first hole, so a segment behind it is never covered whether it
         * arrived or not, re-sent or not (a tail loss probe re-sends the
         * last segment, a go-back-N sender all of them): only the segment
         * at the hole shows a size that failed.  With SACK, one that
         * arrived would have been reported. */
        bool judged = sack || !behind_hole(d, e);
        if (judged && (e->ntx > 1 || (e->flags & (DLS_OLD | DLS_RETX)))) {
            d->st.lost += tx;
            struct dl_size *z = size_entry(d, e->size, false);
            if (z)
                z->lost += (uint32_t)tx;
            if (d->st.smallest_lost == 0 || e->size < d->st.smallest_lost)
                d->st.smallest_lost = e->size;
            note_frame(d, e->first_frame);
            note_frame(d, e->last_frame);
        } else {
            d->st.unacked += tx;
        }
    }
    d->nsegs = 0;
}

/* The entry of segs[n] holding a segment that starts at seq: its size. */
static uint16_t outstanding(const struct dl_seg *segs, int n, uint32_t seq, uint64_t *frame)
{
    for (int i = 0; i < n; i++) {
        const struct dl_seg *g = &segs[i];
        uint32_t off = seq - g->seq; /* modulo 2^32, as sequence numbers */
        if (g->len && off < (uint64_t)g->len * g->count && off % g->len == 0) {
            *frame = g->last_frame;
            return g->size;
        }
    }
    return 0;
}

uint16_t delivery_outstanding(const struct delivery *d, uint32_t seq, uint64_t *frame)
{
    return outstanding(d->segs, d->nsegs, seq, frame);
}

/* ---- parking (delivery.h) ---- */

#define DLP_HEAP_SEGS 0x02  /* the entries had moved to the heap: DL_MAX_SEGS of room */
#define DLP_HEAP_SIZES 0x04 /* the exact sizes too: DL_MAX_SIZES */
#define DLP_CLASSES 0x08    /* the classes and their bytes follow the exact sizes */

struct dl_parked {
    struct dl_state st;
    uint8_t nsegs, nexact, flags;
    /* nsegs entries, then nexact struct dl_size, then with DLP_CLASSES
     * DL_NCLASSES struct dl_size and DL_NCLASSES uint64_t (CLS_HEAP) */
    struct dl_seg segs[];
};
_Static_assert(sizeof(struct dl_parked) == 120, "delivery.h quotes the size of a parked table");

static size_t parked_size(int nsegs, int nexact, bool cls)
{
    return sizeof(struct dl_parked) + (size_t)nsegs * sizeof(struct dl_seg) +
           (size_t)nexact * sizeof(struct dl_size) + (cls ? CLS_HEAP : 0);
}

size_t delivery_parked_bytes(const struct dl_parked *p)
{
    return parked_size(p->nsegs, p->nexact, p->flags & DLP_CLASSES);
}

struct dl_parked *delivery_park(const struct delivery *d)
{
    struct dl_parked *p = malloc(parked_size(d->nsegs, d->nexact, d->cls != NULL));
    if (!p)
        return NULL;
    p->st = d->st;
    p->nsegs = d->nsegs;
    p->nexact = d->nexact;
    p->flags =
        (uint8_t)((d->segs != d->segs_first ? DLP_HEAP_SEGS : 0) |
                  (d->exact != d->exact_first ? DLP_HEAP_SIZES : 0) | (d->cls ? DLP_CLASSES : 0));
    memcpy(p->segs, d->segs, (size_t)d->nsegs * sizeof *d->segs);
    unsigned char *t = (unsigned char *)(p->segs + d->nsegs);
    memcpy(t, d->exact, (size_t)d->nexact * sizeof *d->exact);
    t += (size_t)d->nexact * sizeof *d->exact;
    if (d->cls) {
        memcpy(t, d->cls, DL_NCLASSES * sizeof *d->cls);
        memcpy(t + DL_NCLASSES * sizeof *d->cls, d->cls_bytes, DL_NCLASSES * sizeof *d->cls_bytes);
    }
    return p;
}

bool delivery_unpark(struct delivery *d, const struct dl_parked *p)
{
    bool ok = true;
    d->st = p->st;
    /* the same capacities as before parking: when the table makes room
     * depends on them */
    if (p->flags & DLP_HEAP_SEGS) {
        struct dl_seg *t = malloc(SEGS_HEAP);
        if (t) {
            d->segs = t;
            d->capsegs = DL_MAX_SEGS;
            count_heap(d, SEGS_HEAP, true);
        } else {
            ok = false;
        }
    }
    int n = p->nsegs < d->capsegs ? p->nsegs : d->capsegs;
    memcpy(d->segs, p->segs, (size_t)n * sizeof *d->segs);
    d->nsegs = (uint8_t)n;
    for (int i = n; i < p->nsegs; i++) /* out of memory: dropped as the full table drops them */
        d->st.evicted += (uint64_t)p->segs[i].count * p->segs[i].ntx;
    const unsigned char *t = (const unsigned char *)(p->segs + p->nsegs);
    if (p->flags & DLP_HEAP_SIZES) {
        struct dl_size *e = malloc(SIZES_HEAP);
        if (e) {
            d->exact = e;
            d->capexact = DL_MAX_SIZES;
            count_heap(d, SIZES_HEAP, true);
        } else {
            ok = false;
        }
    }
    n = p->nexact < d->capexact ? p->nexact : d->capexact;
    memcpy(d->exact, t, (size_t)n * sizeof *d->exact);
    d->nexact = (uint8_t)n;
    ok &= n == p->nexact;
    t += (size_t)p->nexact * sizeof *d->exact;
    if (p->flags & DLP_CLASSES) {
        if (have_classes(d)) {
            memcpy(d->cls, t, DL_NCLASSES * sizeof *d->cls);
            memcpy(d->cls_bytes, t + DL_NCLASSES * sizeof *d->cls,
                   DL_NCLASSES * sizeof *d->cls_bytes);
        } else {
            ok = false;
        }
    }
    return ok;
}

uint16_t delivery_parked_outstanding(const struct dl_parked *p, uint32_t seq, uint64_t *frame)
{
    return outstanding(p->segs, p->nsegs, seq, frame);
}
