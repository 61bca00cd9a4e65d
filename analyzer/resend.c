/* resend.c - runs of equal large datagrams re-sent with a doubling timeout (resend.h). */
#include <string.h>

#include "resend.h"

/* Starts a run whose first copy is (ts_ns, frame). */
static void run_start(struct resend_track *t, uint16_t size, int64_t ts_ns, uint64_t frame)
{
    memset(&t->cur, 0, sizeof t->cur);
    t->cur.size = size;
    t->cur.copies = 1;
    t->cur.frames[0] = frame;
    t->cur.nframes = 1;
    t->cur.first_ns = t->cur.last_ns = ts_ns;
    t->own_at_start = t->own_small;
    t->peer_at_start = t->peer;
    t->gap_ns = 0;
    t->foreign_bursts = 0;
    t->cur.peer_before_ns = t->peer_seen && t->peer_last_ns <= ts_ns ? ts_ns - t->peer_last_ns : -1;
}

static void run_extend(struct resend_track *t, int64_t gap_ns, int64_t ts_ns, uint64_t frame)
{
    struct resend_run *r = &t->cur;
    if (r->copies < UINT16_MAX)
        r->copies++;
    if (r->nintervals < RESEND_MAX_INTERVALS) {
        int64_t us = gap_ns / 1000;
        r->interval_us[r->nintervals++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
    }
    if (r->nframes < RESEND_MAX_FRAMES)
        r->frames[r->nframes++] = frame;
    r->last_ns = ts_ns;
    t->gap_ns = gap_ns;
    uint64_t small = t->own_small - t->own_at_start, peer = t->peer - t->peer_at_start;
    r->smaller = small > UINT32_MAX ? UINT32_MAX : (uint32_t)small;
    r->peer = peer > UINT32_MAX ? UINT32_MAX : (uint32_t)peer;
    /* the longest run wins; on a tie the larger size, which is the one a
     * path MTU limit would hit */
    if (r->copies > t->best.copies || (r->copies == t->best.copies && r->size > t->best.size)) {
        t->best = *r;
        t->resent_after_best = false;
    }
}

/* A datagram of `size` sent at ts_ns outside the best run: a later copy of
 * its size (or a larger one) is what `recovered` waits for. */
static void after_best(struct resend_track *t, uint16_t size, int64_t ts_ns)
{
    if (t->best.copies && size >= t->best.size && ts_ns > t->best.last_ns &&
        t->cur.first_ns != t->best.first_ns) {
        t->resent_after_best = true;
        t->resent_after_ns = ts_ns;
        t->peer_quiet_ns = t->peer_seen ? ts_ns - t->peer_last_ns : INT64_MAX;
    }
}

void resend_packet(struct resend_track *t, uint16_t size, int64_t ts_ns, uint64_t frame)
{
    after_best(t, size, ts_ns);
    if (size < t->cur.size) {
        t->own_small++;
        return;
    }
    if (size > t->cur.size) {
        run_start(t, size, ts_ns, frame);
        t->last_ns = ts_ns;
        t->last_frame = frame;
        after_best(t, size, ts_ns);
        return;
    }
    int64_t gap = ts_ns - t->last_ns;
    if (gap < 0)
        return; /* out-of-order timestamp: no interval to judge */
    /* Once an interval is set, the next timeout of this run cannot fire
     * before RESEND_RATIO_MIN times it (a retransmission timer doubles,
     * RFC 6298 5.5): a copy of the same size earlier than that, and not
     * right after the last one (a burst: the sender going on), is another
     * segment, not this run's re-send, and leaves the run as it is: a
     * second inner flow, stalled in its own backoff, sending between the
     * re-sends.  One such burst per interval at most: a stalled flow's
     * timer doubles too, while a stream of that size at a steady rate would
     * put ever more copies in the doubling intervals, and skipping them
     * would pick a "doubling" out of any steady stream. */
    if (t->gap_ns && gap >= RESEND_MIN_GAP_NS &&
        (double)gap < RESEND_RATIO_MIN * (double)t->gap_ns) {
        if (!t->foreign_bursts || ts_ns - t->foreign_last_ns >= RESEND_MIN_GAP_NS)
            t->foreign_bursts++;
        t->foreign_last_ns = ts_ns;
        if (t->foreign_bursts <= 1)
            return; /* not counted as crossing: the path may drop it as well */
        /* a second burst in one interval: no run of timeouts goes through
         * it, and the ratio below starts a new run from the previous copy */
    }
    t->foreign_bursts = 0; /* a new interval */
    if (gap < RESEND_MIN_GAP_NS) {
        /* back to back: another segment of a burst, not a timeout */
        run_start(t, size, ts_ns, frame);
    } else if (t->gap_ns == 0) {
        run_extend(t, gap, ts_ns, frame);
    } else {
        double ratio = (double)gap / (double)t->gap_ns;
        if (ratio >= RESEND_RATIO_MIN && ratio <= RESEND_RATIO_MAX) {
            run_extend(t, gap, ts_ns, frame);
        } else {
            /* not a doubling: a new run, from the previous copy */
            run_start(t, size, t->last_ns, t->last_frame);
            run_extend(t, gap, ts_ns, frame);
        }
    }
    t->last_ns = ts_ns;
    t->last_frame = frame;
    after_best(t, size, ts_ns); /* a copy that started a new run of the best's size */
}

void resend_peer_packet(struct resend_track *t, int64_t ts_ns)
{
    t->peer++;
    if (!t->peer_seen || ts_ns > t->peer_last_ns)
        t->peer_last_ns = ts_ns;
    t->peer_seen = true;
    /* an answer within the run's first interval (one RTO, longer than a
     * round trip) of the size sent again: that size crossed.  Only from a
     * peer that had been silent at least as long before it: one already
     * talking on its own clock (an echo every 200 ms, DNS retries, other
     * flows in the tunnel) would have sent that packet anyway, and its
     * packet says nothing about what arrived. */
    int64_t first = t->best.nintervals ? (int64_t)t->best.interval_us[0] * 1000 : 0;
    if (t->resent_after_best && first && ts_ns - t->resent_after_ns <= first &&
        t->peer_quiet_ns >= first)
        t->best.recovered = true;
}

void resend_peer_seen(struct resend_track *t, int64_t last_ns, uint64_t count)
{
    if (!count)
        return;
    t->peer += count;
    t->peer_last_ns = last_ns;
    t->peer_seen = true;
}

const struct resend_run *resend_best(struct resend_track *t)
{
    return &t->best;
}
