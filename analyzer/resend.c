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
    if (r->copies > t->best.copies || (r->copies == t->best.copies && r->size > t->best.size))
        t->best = *r;
}

void resend_packet(struct resend_track *t, uint16_t size, int64_t ts_ns, uint64_t frame)
{
    if (size < t->cur.size) {
        t->own_small++;
        return;
    }
    if (size > t->cur.size) {
        run_start(t, size, ts_ns, frame);
        t->last_ns = ts_ns;
        t->last_frame = frame;
        return;
    }
    int64_t gap = ts_ns - t->last_ns;
    if (gap < 0)
        return; /* out-of-order timestamp: no interval to judge */
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
}

void resend_peer_packet(struct resend_track *t)
{
    t->peer++;
}

const struct resend_run *resend_best(struct resend_track *t)
{
    return &t->best;
}
