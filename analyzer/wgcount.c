/* wgcount.c - a WireGuard flow's transport-data counters (wgcount.h). */
#include "wgcount.h"

/* a + b, held at UINT32_MAX */
static uint32_t add_sat(uint32_t a, uint64_t b)
{
    uint64_t v = a + b;
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* The largest message of direction dir, and whether a later one followed it. */
static void track_big(struct wg_count *c, const struct wireguard_info *w, int dir)
{
    if (w->inner_len > c->big_len[dir]) {
        c->big_len[dir] = w->inner_len;
        c->big_followed &= (uint8_t) ~(1u << dir);
    } else if (w->receiver == c->big_receiver[dir] && w->counter > c->big_ctr[dir]) {
        c->big_followed |= (uint8_t)(1u << dir);
        if (w->inner_len < c->big_len[dir])
            return;
    } else if (w->inner_len < c->big_len[dir]) {
        return;
    }
    c->big_receiver[dir] = w->receiver;
    c->big_ctr[dir] = w->counter;
}

void wg_count_data(struct wg_count *c, const struct wireguard_info *w, int dir, uint64_t frame)
{
    struct wg_rx *r = NULL;
    c->data = add_sat(c->data, 1);
    track_big(c, w, dir & 1);
    for (int i = 0; i < c->n; i++)
        if (c->rx[i].receiver == w->receiver)
            r = &c->rx[i];
    if (!r) {
        if (c->n == FLOW_MAX_WG_RECEIVERS)
            return;
        r = &c->rx[c->n++];
        r->receiver = w->receiver;
        r->max = w->counter;
        r->window = 1;
        c->receivers++;
        return;
    }
    uint64_t ctr = w->counter;
    if (ctr > r->max) {
        uint64_t shift = ctr - r->max, lost = shift - 1;
        if (lost && !c->gap_frame)
            c->gap_frame = add_sat(0, frame);
        c->lost = add_sat(c->lost, lost);
        c->lost_by[dir] = add_sat(c->lost_by[dir], lost);
        r->window = shift >= 64 ? 1 : (r->window << shift) | 1;
        r->max = ctr;
    } else if (r->max - ctr < 64) {
        uint64_t bit = 1ull << (r->max - ctr);
        if (!(r->window & bit)) {
            r->window |= bit;
            if (c->lost)
                c->lost--;
            if (c->lost_by[dir])
                c->lost_by[dir]--;
        }
    }
}
