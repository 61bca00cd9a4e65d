/* storms.c - retransmission storms in a sliding window (storms.h). */
#include <stdlib.h>
#include <string.h>

#include "storms.h"

#define NS_PER_MS 1000000LL

struct storm_rtx {
    uint32_t rtx[STORM_BUCKETS];
    uint32_t rtx_sum;
    bool open;
    int64_t first_ns[STORM_BUCKETS];
    uint64_t first_frame[STORM_BUCKETS];
    int64_t last_end_ns;          /* end of the last storm emitted: a new one starts after it */
    uint32_t tail_rtx, tail_pkts; /* seen since the open storm's last retransmission */
    struct flow_storm st;
    struct storm_rtx *free_next;
};
_Static_assert(sizeof(struct storm_rtx) == 288, "storms.h quotes its size");

void storm_emit(struct storm_pool *sp, struct storm_win *w)
{
    struct storm_rtx *x = w->rx;
    if (!x || !x->open)
        return;
    x->open = false;
    x->last_end_ns = x->st.end_ns;
    sp->emit(sp->ctx, &x->st);
}

/* A zeroed retransmission half for a window, or NULL when out of memory. */
static struct storm_rtx *storm_rtx_get(struct storm_pool *sp)
{
    struct storm_rtx *x = sp->free;
    if (x) {
        sp->free = x->free_next;
    } else {
        x = malloc(sizeof *x);
        if (!x)
            return NULL;
        sp->bytes += sizeof *x;
    }
    memset(x, 0, sizeof *x);
    return x;
}

void storm_release(struct storm_pool *sp, struct storm_win *w)
{
    if (w->rx) {
        w->rx->free_next = sp->free;
        sp->free = w->rx;
        w->rx = NULL;
    }
}

/* The retransmission rule of flow.h: r of the p packets in the window. */
static bool storm_rate(uint32_t r, uint32_t p)
{
    return r >= FLOW_STORM_MIN_RETRANS && (uint64_t)r * 100 >= (uint64_t)p * FLOW_STORM_MIN_PERCENT;
}

static bool storm_add_slow(struct storm_pool *sp, struct storm_win *w, int64_t now, uint64_t frame,
                           bool retx, uint64_t flow, int64_t b) __attribute__((noinline));

/* Adds a packet at time now (the capture clock, never behind) to window w.
 *
 * Most packets are not retransmissions, fall in the window's newest bucket
 * and find no storm open: all they change is that bucket's count.  That is
 * done here, in a few instructions (this runs twice a packet); anything
 * else goes to storm_add_slow().  For such a packet the fast path does what
 * storm_add_slow() would: no bucket to slide past (b is the newest), no
 * retransmission half to take or count in, and with no storm open and the
 * rule false with this packet counted, nothing opens, extends or ends (an
 * open storm counts the packets between its retransmissions: those go the
 * slow way). */
bool storm_add(struct storm_pool *sp, struct storm_win *w, int64_t now, uint64_t frame, bool retx,
               uint64_t flow)
{
    int64_t b = now / STORM_BUCKET_NS;
    const struct storm_rtx *x = w->rx;
    if (!retx && w->started && b == w->cur &&
        (!x || (!x->open && !storm_rate(x->rtx_sum, w->pkts_sum + 1)))) {
        w->pkts[b % STORM_BUCKETS]++;
        w->pkts_sum++;
        return false;
    }
    return storm_add_slow(sp, w, now, frame, retx, flow, b);
}

static bool storm_add_slow(struct storm_pool *sp, struct storm_win *w, int64_t now, uint64_t frame,
                           bool retx, uint64_t flow, int64_t b)
{
    if (!w->started) {
        w->started = true;
        w->cur = b;
    }
    struct storm_rtx *x = w->rx;
    for (int64_t step = 0; w->cur < b && step < STORM_BUCKETS; step++) {
        int s = (int)((w->cur + 1) % STORM_BUCKETS);
        w->pkts_sum -= w->pkts[s];
        w->pkts[s] = 0;
        if (x) {
            x->rtx_sum -= x->rtx[s];
            x->rtx[s] = 0;
        }
        w->cur++;
    }
    w->cur = b > w->cur ? b : w->cur;
    int s = (int)(w->cur % STORM_BUCKETS);
    w->pkts[s]++;
    w->pkts_sum++;
    if (!x && retx)
        x = w->rx = storm_rtx_get(sp);
    if (!x)
        return false; /* no retransmission in this window yet: no storm */
    if (retx)
        x->rtx_sum++;
    if (retx && x->rtx[s]++ == 0) {
        x->first_ns[s] = now;
        x->first_frame[s] = frame;
    }
    uint32_t r = x->rtx_sum, p = w->pkts_sum;
    bool storm = storm_rate(r, p);
    bool opened = false;
    /* A storm that dips below the threshold stays open for one window after
     * its last retransmission, and resumes if the rate comes back: bursts a
     * few hundred ms apart are one storm, not several overlapping ones. */
    if (x->open && !storm && now - x->st.end_ns > FLOW_STORM_WINDOW_MS * NS_PER_MS)
        storm_emit(sp, w);
    if (x->open) {
        /* the storm runs from its first to its last retransmission: what
         * comes after the last one is held back until another one extends it */
        x->tail_pkts++;
        if (retx) {
            x->tail_rtx++;
            if (storm) {
                x->st.retransmissions += x->tail_rtx;
                x->st.packets += x->tail_pkts;
                x->tail_rtx = x->tail_pkts = 0;
                x->st.end_ns = now;
                x->st.end_frame = frame;
            }
        }
    } else if (storm) {
        x->tail_rtx = x->tail_pkts = 0;
        memset(&x->st, 0, sizeof x->st);
        x->open = opened = true;
        x->st.flow = flow;
        x->st.start_ns = INT64_MAX;
        /* only what came after the previous storm: its buckets may still be
         * in the window */
        r = p = 0;
        for (int i = 0; i < STORM_BUCKETS; i++) {
            if (!x->rtx[i] || (x->last_end_ns && x->first_ns[i] <= x->last_end_ns))
                continue;
            r += x->rtx[i];
            p += w->pkts[i];
            if (x->first_ns[i] < x->st.start_ns) {
                x->st.start_ns = x->first_ns[i];
                x->st.start_frame = x->first_frame[i];
            }
        }
        if (x->st.start_ns == INT64_MAX) { /* every bucket belonged to the last storm */
            x->st.start_ns = now;
            x->st.start_frame = frame;
        }
        x->st.retransmissions = r;
        x->st.packets = p;
        x->st.end_ns = now;
        x->st.end_frame = frame;
    }
    return opened;
}

void storm_pool_free(struct storm_pool *sp)
{
    while (sp->free) {
        struct storm_rtx *x = sp->free;
        sp->free = x->free_next;
        free(x);
    }
}
