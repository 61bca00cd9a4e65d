/*
 * delivery.h - which TCP segments of one direction reached the peer, by size.
 *
 * Every data segment a sender transmits is recorded with its IP packet size;
 * the peer's cumulative ACKs and SACK blocks (RFC 2018) resolve it.  At the
 * end of the flow each transmission is in exactly one bucket:
 *
 *   delivered   covered by an ACK or SACK block, and it is the transmission
 *               credited with the delivery (see below);
 *   superseded  covered, but a later transmission of the same bytes gets the
 *               credit (or it was sent when its bytes were already ACKed);
 *   lost        never covered, and its bytes were sent more than once: "only
 *               ever retransmitted", the black-hole signature;
 *   unacked     never covered, sent once: the capture simply ended first;
 *   evicted     dropped from the bounded table before it was resolved.
 *
 * Retransmission ambiguity: when a range was sent several times (possibly
 * with different sizes, after PMTUD shrank the segments), an ACK cannot say
 * which copy arrived.  We credit the latest transmission sent before the
 * covering ACK: it is the one the sender's own state machine credits, and in
 * a black hole it is the small re-segmented copy that got through while the
 * big originals did not.  An older transmission overlapped by any newer one
 * is never credited.
 *
 * Memory grows with what a direction needs, up to a fixed bound: the
 * outstanding entries and the exact sizes start in DL_FIRST_SEGS and
 * DL_FIRST_SIZES slots inside the table itself and move to the heap, at
 * their full DL_MAX_SEGS and DL_MAX_SIZES, only when a direction needs more
 * (a run of back-to-back equal segments is one entry, so a request, a short
 * response or a bulk transfer without loss fits the first slots; when the
 * full table is full, the oldest entry is evicted and counted).  Sizes past
 * the exact table overflow into DL_NCLASSES size classes, allocated at the
 * first overflow.  Every operation is O(DL_MAX_SEGS) or O(DL_MAX_SIZES).
 *
 * A table starts at about 500 bytes (2 KiB when every part is full), and
 * most directions never need one (a SYN scan, the ACK-only half of a
 * download): tcp.c takes one from a dl_pool at a direction's first data
 * segment and the flow gives it back when it ends.  A table holds pointers
 * into itself: it is never copied, only passed by pointer.
 */
#ifndef MTUSCOPE_DELIVERY_H
#define MTUSCOPE_DELIVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DL_MAX_SEGS 24   /* outstanding entries (runs) per direction */
#define DL_MAX_SIZES 24  /* distinct IP sizes counted exactly per direction */
#define DL_NCLASSES 16   /* size classes for sizes past the exact table */
#define DL_MAX_FRAMES 6  /* frames kept as evidence of lost transmissions */
#define DL_FIRST_SEGS 4  /* entries kept inside the table before the heap */
#define DL_FIRST_SIZES 4 /* exact sizes kept inside the table before the heap */

/* One outstanding entry: `count` back-to-back segments of `len` payload
 * bytes each, all of IP size `size`, starting at `seq`. */
struct dl_seg {
    uint32_t seq, len, count;
    uint32_t order; /* per-direction transmission counter of the latest send */
    uint64_t first_frame, last_frame;
    int64_t last_ns;
    uint16_t size;
    uint16_t ntx;  /* transmissions of this range (1 + retransmissions) */
    uint8_t flags; /* DLS_* (delivery.c) */
};

struct dl_size {
    uint16_t size; /* the exact IP size, or a class's lower bound */
    uint32_t sent, delivered, lost;
};

struct dl_sizes {
    uint8_t nexact;
    struct dl_size exact[DL_MAX_SIZES]; /* sorted by size */
    struct dl_size cls[DL_NCLASSES];    /* sizes that did not fit the exact table */
    uint64_t cls_bytes[DL_NCLASSES];    /* sent bytes per class (exact: size * sent) */
};

struct dl_pool;

/* What a table has counted and seen, its ranges and sizes aside: a parked
 * table (below) keeps it as it is. */
struct dl_state {
    uint64_t sent, delivered, superseded, lost, unacked, evicted; /* transmissions */
    uint64_t lost_frames[DL_MAX_FRAMES]; /* first and latest transmission of lost ranges */
    uint32_t ack;                        /* the peer's highest cumulative ACK */
    uint32_t order;
    uint16_t largest_delivered; /* IP size; 0 = none */
    uint16_t smallest_lost;     /* IP size; 0 = none */
    uint8_t nframes;
    bool ack_set;
};

struct delivery {
    struct dl_seg *segs; /* segs_first, or DL_MAX_SEGS on the heap; unordered */
    uint8_t nsegs, capsegs;
    uint8_t nexact, capexact;
    struct dl_size *exact; /* exact_first, or DL_MAX_SIZES on the heap; sorted by size */
    struct dl_size *cls;   /* DL_NCLASSES, NULL until the exact sizes overflow */
    uint64_t *cls_bytes;   /* sent bytes per class, in cls's allocation */
    struct dl_pool *pool;  /* counts the heap parts; NULL: nothing counts them */
    struct dl_state st;
    struct dl_seg segs_first[DL_FIRST_SEGS];
    struct dl_size exact_first[DL_FIRST_SIZES];
};

/* An empty table (d's heap parts, if any, must have been released). */
void delivery_init(struct delivery *d);

/*
 * Records the transmission of payload [seq, seq+len) in an IP packet of
 * `size` bytes.  `retx` says the TCP analysis called it a retransmission.
 * Returns the time of the previous transmission of exactly this range, or,
 * for a retransmission in other sizes, of the latest range it overlaps;
 * INT64_MIN when it is the first (the RTO backoff is measured from it).
 */
int64_t delivery_send(struct delivery *d, uint32_t seq, uint32_t len, uint16_t size, bool retx,
                      uint64_t frame, int64_t ts_ns);

/* The peer acknowledged everything before `ack` and the nsack blocks
 * [left, right) given as pairs (RFC 2018). */
void delivery_ack(struct delivery *d, uint32_t ack, const uint32_t (*sack)[2], int nsack);

/* End of the flow: sorts what is still outstanding into lost or unacked.
 * sack: the peer reports what arrives beyond a hole (SACK negotiated);
 * without it, what lies behind the first hole is only unacked. */
void delivery_finish(struct delivery *d, bool sack);

/* The size table, in the fixed layout the results keep (class bounds set). */
void delivery_sizes(const struct delivery *d, struct dl_sizes *out);

/* The IP size of the outstanding transmission whose payload starts at seq
 * (a segment quoted by an ICMP error), *frame its latest transmission; 0
 * when none does (already acknowledged, or never captured). */
uint16_t delivery_outstanding(const struct delivery *d, uint32_t seq, uint64_t *frame);

/*
 * A parked table (flow.h: a flow set aside by the live-flow cap): what the
 * table uses, copied out so that its 416 bytes (up to 2 KiB with the heap
 * parts) go back to the pool: its counts and evidence (120 bytes), each
 * outstanding entry (48 bytes), each exact size (16) and the classes when it
 * has them (384).  A short connection's direction parks in about 130 bytes
 * (the bench's, bench-gen many: 3,056 parked flows held 1.1 KB each, 840 of
 * them the flow and its tcp_conn).
 * Unparked into a fresh table, it is the same table again, the same
 * capacities included, so what follows is judged as if it had never left.
 */
struct dl_parked;

/* d's compact copy (d is untouched: the caller gives it back to the pool);
 * NULL when out of memory. */
struct dl_parked *delivery_park(const struct delivery *d);
/* Restores p into d, a table fresh from dl_pool_get (p is not freed).
 * False when a heap part could not be allocated: d then holds what fitted,
 * the entries that did not counted as evicted, the sizes that did not
 * uncounted by size (as the live table does when malloc fails). */
bool delivery_unpark(struct delivery *d, const struct dl_parked *p);
size_t delivery_parked_bytes(const struct dl_parked *p);
uint16_t delivery_parked_outstanding(const struct dl_parked *p, uint32_t seq, uint64_t *frame);

/* Frees the heap parts of a table that is not the pool's (a test's own). */
void delivery_release(struct delivery *d);

/* A free list of tables.  It never shrinks: it holds what the peak number of
 * live directions with data needed, and reuses it for the rest of the run.
 * A table's heap parts go back to malloc when the table comes back. */

struct dl_pool *dl_pool_new(void); /* NULL when out of memory */
void dl_pool_free(struct dl_pool *p);
/* An initialised table, NULL when out of memory.  p NULL: plain malloc. */
struct delivery *dl_pool_get(struct dl_pool *p);
/* Gives d back (NULL: nothing); p NULL: free(). */
void dl_pool_put(struct dl_pool *p, struct delivery *d);
uint64_t dl_pool_bytes(const struct dl_pool *p); /* held now: tables and their heap parts */

/* The size table of a direction that sent no data: all zero, class bounds set. */
const struct dl_sizes *delivery_no_sizes(void);

/* The size class a size falls into, and the class's bounds [lo, hi]. */
int delivery_class(uint16_t size);
void delivery_class_bounds(int cls, uint16_t *lo, uint16_t *hi);

#endif
