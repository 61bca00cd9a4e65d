/*
 * wgcount.h - a WireGuard flow's transport-data counters: the messages that
 * never arrived.
 *
 * Every data message carries its sender's counter (the nonce), one higher
 * than the previous message under the same receiver index.  A counter that
 * jumps ahead counts the skipped ones as lost; one that shows up late, within
 * the 64 below the highest seen (WireGuard's own replay window), takes its
 * loss back.
 *
 * A counter skipped shows only when a later message arrives, so a message
 * proves nothing about the ones before it unless one follows: the largest
 * message of each direction (its inner length; equal sizes are equal
 * segments, WireGuard padding to 16) is "followed" once a later counter of
 * the same receiver index arrives.  The largest size followed, with no
 * counter missing in that direction, is a full-size message that crossed:
 * without it a quiet tail may hide loss after the last message.
 *
 * Followed for up to FLOW_MAX_WG_RECEIVERS receiver indexes (a
 * rekey every two minutes starts a new one); the rest are counted as data
 * only.  O(FLOW_MAX_WG_RECEIVERS) per message, a fixed struct per flow.
 */
#ifndef MTUSCOPE_WGCOUNT_H
#define MTUSCOPE_WGCOUNT_H

#include <stdint.h>

#include "flow.h"
#include "packet.h"

struct wg_rx {
    uint32_t receiver;
    uint64_t max;    /* highest counter seen */
    uint64_t window; /* bit i: counter max - i seen */
};

struct wg_count {
    uint32_t data, lost; /* data messages; counters skipped and never seen later */
    uint32_t lost_by[2]; /* lost by direction */
    uint32_t gap_frame;  /* the first message after a skipped counter; 0 = none */
    uint16_t receivers;  /* receiver indexes followed */
    uint16_t big_len[2]; /* by direction: the largest inner length */
    uint32_t big_receiver[2];
    uint64_t big_ctr[2];  /* ... the latest message of that length */
    uint8_t big_followed; /* bit d: a later counter followed one of them */
    uint8_t n;
    struct wg_rx rx[FLOW_MAX_WG_RECEIVERS];
};

/* A data message w of direction dir (0 or 1) in frame; c starts zeroed. */
void wg_count_data(struct wg_count *c, const struct wireguard_info *w, int dir, uint64_t frame);

#endif
