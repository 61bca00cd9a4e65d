/*
 * flow_summary.c - a flow's summary (flow.h's struct flow_summary), built
 * from its live state and TCP analysis when it finishes, and the swap of
 * its two directions when the SYN shows the client late.
 */
#include <string.h>

#include "flow_int.h"

void flow_fill_dir(struct flow_dir_summary *d, const struct tcp_half *h,
                   const struct tcp_half *peer)
{
    d->tcp = h->n;
    d->ttl = h->ttl;
    /* the SYN takes one sequence number: the data starts at ISN + 1 */
    if ((h->seen & HS_ISN) && (peer->seen & HS_ACKED) && peer->highest_ack != h->isn)
        d->acked_bytes = peer->highest_ack - h->isn - 1;
    d->mss = (h->seen & HS_MSS) ? h->mss : 0;
    d->wscale = (h->seen & HS_WSCALE) ? h->wscale : 0xff;
    d->sack_permitted = (h->seen & HS_SACKPERM) != 0;
    d->timestamps = (h->seen & HS_TS) != 0;
    d->data_gap_ms = sat32((uint64_t)(h->data_gap_ns / 1000000));
    d->data_gap_frame = sat32(h->data_gap_frame);
    d->first_retrans_frame = h->first_retrans_frame;
    d->first_hole_frame = h->first_hole_frame;
    d->max_hole = h->max_hole > UINT16_MAX ? UINT16_MAX : (uint16_t)h->max_hole;
    d->closed = (h->seen & (HS_FIN | HS_RST)) != 0;
    d->rtt_samples = h->rtt.samples;
    if (h->rtt.samples) {
        d->rtt_min_us = (uint32_t)(h->rtt.min_ns / 1000);
        d->rtt_max_us = (uint32_t)(h->rtt.max_ns / 1000);
        d->rtt_avg_us = (uint32_t)(h->rtt.sum_ns / h->rtt.samples / 1000);
    }
    if (h->retx) { /* it retransmitted */
        d->backoff_count = h->retx->worst.count;
        d->backoff_nintervals = h->retx->worst.nintervals;
        memcpy(d->backoff_us, h->retx->worst.interval_us, sizeof d->backoff_us);
        if (d->backoff_nintervals > FLOW_BACKOFF_KEPT)
            d->backoff_nintervals = FLOW_BACKOFF_KEPT;
    }
    const struct delivery *dl = h->dl;
    if (!dl)
        return; /* no data sent: the delivery fields stay 0 */
    d->dl_sent = sat32(dl->st.sent);
    d->dl_delivered = sat32(dl->st.delivered);
    d->dl_lost = sat32(dl->st.lost);
    d->dl_superseded = sat32(dl->st.superseded);
    d->dl_unacked = sat32(dl->st.unacked);
    d->dl_evicted = sat32(dl->st.evicted);
    d->largest_delivered = dl->st.largest_delivered;
    d->smallest_lost = dl->st.smallest_lost;
    d->nlost_frames = dl->st.nframes < FLOW_EVIDENCE_FRAMES ? dl->st.nframes : FLOW_EVIDENCE_FRAMES;
    for (int i = 0; i < d->nlost_frames; i++)
        d->lost_frames[i] = sat32(dl->st.lost_frames[i]);
}

/* The summary of a finished flow, from what it kept while live. */
void flow_summarise(const struct flow *f, struct flow_summary *s)
{
    const struct flow_live *l = &f->s;
    memset(s, 0, sizeof *s);
    s->id = l->id;
    s->stream = l->stream;
    s->first_frame = l->first_frame;
    s->last_frame = l->last_frame;
    s->first_ns = l->first_ns;
    s->last_ns = l->last_ns;
    s->retransmissions = l->retransmissions;
    s->df_clear_large = l->df_clear;
    s->client = l->client;
    s->server = l->server;
    s->client_port = l->client_port;
    s->server_port = l->server_port;
    s->input = l->input;
    s->proto = f->n.key.proto;
    s->ip_version = f->n.key.version;
    s->tunnel = f->n.key.tunnel;
    if (f->n.key.proto == IP_PROTO_ESP)
        s->spi = f->n.key.xid;
    s->carries_tunnel = l->carries_tunnel;
    s->opaque = l->opaque;
    s->storms = l->storms;
    for (int d = 0; d < 2; d++) {
        s->dir[d].packets = l->packets[d];
        s->dir[d].bytes = l->bytes[d];
        s->dir[d].max_packet = l->max_packet[d];
        s->dir[d].df_cleared = df_of(l, d) == 2;
        s->dir[d].ttl = l->ttl[d];
    }
    if (f->other) {
        const struct wg_count *wg = &f->other->wg;
        s->wg_data = wg->data;
        s->wg_lost = wg->lost;
        s->wg_receivers = wg->receivers;
        s->wg_gap_frame = wg->gap_frame;
        s->wg_lost_dir = wg->lost_by[1] > wg->lost_by[0];
        for (int d = 0; d < 2; d++)
            if ((wg->big_followed >> d & 1) && !wg->lost_by[d])
                s->wg_followed |= (uint8_t)(1u << d);
    }
}

/* Makes the other endpoint of the key the client (a SYN seen late). */
void flow_swap_roles(struct flow *f)
{
    struct flow_live *s = &f->s;
    f->n.cidx ^= 1;
    s->last_dir ^= 1;
    struct addr a = s->client;
    s->client = s->server;
    s->server = a;
    uint16_t p = s->client_port;
    s->client_port = s->server_port;
    s->server_port = p;
    uint64_t n = s->packets[0];
    s->packets[0] = s->packets[1];
    s->packets[1] = n;
    n = s->bytes[0];
    s->bytes[0] = s->bytes[1];
    s->bytes[1] = n;
    p = s->max_packet[0];
    s->max_packet[0] = s->max_packet[1];
    s->max_packet[1] = p;
    s->df_clear = (uint8_t)((s->df_clear >> 1 & 1) | (s->df_clear & 1) << 1);
    s->df = (uint8_t)((s->df >> 2 & 3u) | (s->df & 3u) << 2);
    uint8_t ttl = s->ttl[0];
    s->ttl[0] = s->ttl[1];
    s->ttl[1] = ttl;
    if (f->other) {
        uint32_t hist[DL_NCLASSES];
        memcpy(hist, f->other->size_hist[0], sizeof hist);
        memcpy(f->other->size_hist[0], f->other->size_hist[1], sizeof hist);
        memcpy(f->other->size_hist[1], hist, sizeof hist);
    }
    if (f->frags) {
        struct flow_frag_layer y = f->frags->layer[0];
        f->frags->layer[0] = f->frags->layer[1];
        f->frags->layer[1] = y;
        uint32_t dg = f->frags->datagrams[0];
        f->frags->datagrams[0] = f->frags->datagrams[1];
        f->frags->datagrams[1] = dg;
        for (int k = 0; k < f->frags->n; k++)
            f->frags->ids[k].dir ^= 1;
    }
    if (f->rs) {
        struct resend_track r = f->rs[0];
        f->rs[0] = f->rs[1];
        f->rs[1] = r;
    }
    if (f->tcp) {
        struct tcp_half h = f->tcp->h[0];
        f->tcp->h[0] = f->tcp->h[1];
        f->tcp->h[1] = h;
        f->tcp->syn_dir ^= 1;
    }
}
