/*
 * resend.h - an opaque tunnel's large datagrams re-sent with a doubling
 * timeout: the sending side of a black hole, seen from outside the tunnel.
 *
 * Inside WireGuard, ESP or OpenVPN the inner TCP is encrypted, so its ACKs and
 * sequence numbers cannot be read.  Its retransmission timer can: when the
 * path drops the tunnel's full-size datagrams, the inner TCP re-sends its
 * first unacknowledged segment after an RTO, then after 2 RTO, 4 RTO ...
 * (RFC 6298 section 5.5), and every copy is encrypted to a datagram of the
 * same size (WireGuard pads to 16 bytes, so equal inner segments give equal
 * datagrams).  On the wire that is one datagram size recurring at intervals
 * that double, with nothing of that size in between.
 *
 * The tracker follows, per direction, the largest datagram size seen.  A
 * copy of that size starts or extends a run:
 *   - less than RESEND_MIN_GAP_NS after the previous one: a burst of
 *     different segments, not a timeout; the run restarts from this copy;
 *   - otherwise the first interval of the run, or an interval between
 *     RESEND_RATIO_MIN and RESEND_RATIO_MAX times the previous one: the run
 *     goes on;
 *   - anything else restarts the run at this interval.
 * A larger datagram restarts the tracker at its size; smaller ones are only
 * counted, and so are the peer's packets during the run: they show the tunnel
 * stayed up (small packets crossed both ways) while the large ones did not.
 *
 * When nothing crossed during the run (one bulk transfer and nothing else:
 * the peer, receiving nothing, has nothing to say), two other facts tell a
 * dropped size from a dead path:
 *   - peer_before_ns: how long before the run's first copy the peer was last
 *     heard.  Within the run's first interval (one RTO, and an RTO is never
 *     shorter than the round trip) the peer was answering when the first
 *     copy left: the path was up, and only that datagram failed;
 *   - recovered: after the run, a datagram of the run's size or larger was
 *     sent again and the peer answered within the run's first interval (an
 *     RTO, longer than the round trip an answer takes): that size crossed
 *     then, so the run was an outage (or loss), not a size the path cannot
 *     carry.
 * The longest run (most copies) is kept.  Memory: a fixed struct per
 * direction; O(1) per packet.
 */
#ifndef MTUSCOPE_RESEND_H
#define MTUSCOPE_RESEND_H

#include <stdbool.h>
#include <stdint.h>

#define RESEND_MIN_GAP_NS 150000000ll /* 150 ms: below Linux's 200 ms minimum RTO */
#define RESEND_RATIO_MIN 1.5          /* an interval against the previous one */
#define RESEND_RATIO_MAX 2.6
#define RESEND_MIN_COPIES 4    /* a run worth a finding: three re-sends, two doublings */
#define RESEND_MAX_INTERVALS 6 /* intervals kept for the report */
#define RESEND_MAX_FRAMES 4    /* frames kept: the run's first copies */

/* A run of copies of one datagram size. */
struct resend_run {
    uint16_t size;   /* IP packet size of the copies; 0 = no run */
    uint16_t copies; /* datagrams in the run: 1 + re-sends */
    uint16_t nintervals;
    uint16_t nframes;
    uint32_t interval_us[RESEND_MAX_INTERVALS]; /* the first intervals, in order */
    uint64_t frames[RESEND_MAX_FRAMES];
    int64_t first_ns, last_ns;
    uint32_t smaller;       /* smaller datagrams the same sender sent during the run */
    uint32_t peer;          /* the peer's packets seen during the run */
    int64_t peer_before_ns; /* the peer last heard this long before the first copy; -1 never */
    bool recovered;         /* the size was sent again after the run and the peer answered */
};

struct resend_track {
    struct resend_run cur, best;
    int64_t last_ns, gap_ns;  /* the latest copy of cur.size; the run's last interval */
    uint64_t last_frame;      /* the latest copy's frame */
    uint64_t own_small, peer; /* totals, to count what happened during a run */
    uint64_t own_at_start, peer_at_start;
    int64_t peer_last_ns; /* the peer's latest packet */
    bool peer_seen;
    int64_t foreign_last_ns; /* the latest copy of cur.size that was not the run's */
    uint16_t foreign_bursts; /* ... bursts of them in the current interval */
    bool resent_after_best;  /* best.size or larger sent again after the best run */
    int64_t resent_after_ns; /* ... the latest such datagram */
    int64_t peer_quiet_ns;   /* ... how long the peer had been silent then */
};

/* A datagram of IP size `size` sent by this direction at ts_ns. */
void resend_packet(struct resend_track *t, uint16_t size, int64_t ts_ns, uint64_t frame);
/* A packet of the peer (the other direction) at ts_ns. */
void resend_peer_packet(struct resend_track *t, int64_t ts_ns);
/* The peer's packets seen before the tracker existed (a tracker allocated
 * at the first large datagram): the latest one's time. */
void resend_peer_seen(struct resend_track *t, int64_t last_ns, uint64_t count);
/* The longest run, final: copies == 0 when none. */
const struct resend_run *resend_best(struct resend_track *t);

#endif
