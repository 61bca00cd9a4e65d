/*
 * storms.h - retransmission storms in a sliding window (the rule is in
 * flow.h): ten buckets of FLOW_STORM_WINDOW_MS / 10 each, sliding by one
 * bucket.  The flow table keeps one window per flow and one for the whole
 * capture.
 *
 * A window counts every packet, but most flows never retransmit: its
 * retransmission half (288 bytes) is taken from the pool at the first
 * retransmission and given back when the window is released.  Until then its
 * buckets would all be zero, so starting it late changes nothing.  O(1) per
 * packet (O(STORM_BUCKETS) when a storm opens); nothing allocates per packet.
 */
#ifndef MTUSCOPE_STORMS_H
#define MTUSCOPE_STORMS_H

#include <stdbool.h>
#include <stdint.h>

#include "flow.h"

#define STORM_BUCKETS 10
#define STORM_BUCKET_NS (FLOW_STORM_WINDOW_MS * 1000000LL / STORM_BUCKETS)

struct storm_rtx; /* the retransmission half (storms.c) */

struct storm_win {
    int64_t cur; /* bucket number of the newest bucket */
    uint32_t pkts[STORM_BUCKETS];
    uint32_t pkts_sum; /* over the buckets: kept, not summed per packet */
    bool started;
    struct storm_rtx *rx; /* NULL: no retransmission yet */
};

/* Where windows take their retransmission halves from, and where finished
 * storms go.  Zeroed, then emit and ctx set; emit is never NULL. */
struct storm_pool {
    flow_storm_fn emit;
    void *ctx;
    struct storm_rtx *free;
    uint64_t bytes; /* allocated for retransmission halves, held until storm_pool_free */
};

/* Adds a packet at time now (the capture clock, never behind) to window w;
 * retx: it is a retransmission of flow (0: the capture).  True when it
 * opened a storm. */
bool storm_add(struct storm_pool *sp, struct storm_win *w, int64_t now, uint64_t frame, bool retx,
               uint64_t flow);

/* Hands w's open storm, if any, to sp->emit. */
void storm_emit(struct storm_pool *sp, struct storm_win *w);

/* Gives w's retransmission half back to the pool (w may stay in use). */
void storm_release(struct storm_pool *sp, struct storm_win *w);

/* Frees the halves in the pool (windows must have been released). */
void storm_pool_free(struct storm_pool *sp);

#endif
