/*
 * flow_compact.c - the compact form of a parked TCP flow that only one
 * direction spoke in, without data (flow_int.h's struct flow_compact).
 *
 * A SYN of a flood, or of a connection nobody answered, leaves a live flow
 * of 848 bytes (struct flow and struct tcp_conn) that holds a handful of
 * numbers: its key and id, when and in which frames it was seen, how many
 * packets and bytes, the sender's ISN, options, TTL and its last segment's
 * ACK and window.  The rest is zero, or a copy of those: every time the
 * analysis keeps (the last packet, the SYN, the sequence advance, the
 * control segment, the capture clock at the flow's last packet) is the one
 * time of its last SYN, the next sequence number is the ISN plus the SYN's
 * one, the client's address and port are the key's.  The compact form
 * keeps those numbers in 144 bytes and derives the rest.
 *
 * Exact or not at all: flow_compact_make() expands what it kept and
 * compares the expansion with the flow, byte for byte (the list links and
 * ids aside, which the table sets); any difference - a flow that was
 * answered, retransmitted, saw timestamps out of order, or anything else
 * the derivation does not foresee - and the flow stays in its full form.
 * So a flow resumed or finished from the compact form is the flow that was
 * parked, and the report cannot change.
 */
#include <stddef.h>
#include <string.h>

#include "flow_int.h"

/* The address of key endpoint e, as the packet's IP layer gave it. */
static void key_addr(struct addr *a, const struct flow_key *k, int e)
{
    if (k->version == 4)
        addr_pack(a, ADDR_TYPE_IP, 32, k->addr[e], 4);
    else
        addr_pack(a, ADDR_TYPE_IP6, 128, k->addr[e], 16);
}

void flow_compact_expand(const struct flow_compact *c, struct flow *f, struct dl_pool *pool)
{
    struct tcp_conn *t = (struct tcp_conn *)(f + 1);
    memset(f, 0, sizeof *f);
    memset(t, 0, sizeof *t);
    int d = c->dir;
    int64_t last = c->n.active_ns;
    f->n.key = c->n.key;
    f->n.active_ns = last;
    f->n.cls = c->n.cls;
    f->n.cidx = c->n.cidx;

    struct flow_live *s = &f->s;
    s->id = c->id;
    s->stream = (uint64_t)c->id - c->stream_back;
    s->last_frame = c->last_frame;
    s->first_frame = (uint64_t)c->last_frame - c->first_frame_back;
    s->first_ns = last - (int64_t)c->first_ns_back;
    s->last_ns = last;
    s->packets[d] = c->packets;
    s->bytes[d] = c->bytes;
    key_addr(&s->client, &c->n.key, c->n.cidx);
    key_addr(&s->server, &c->n.key, !c->n.cidx);
    s->client_port = c->n.key.port[c->n.cidx];
    s->server_port = c->n.key.port[!c->n.cidx];
    s->max_packet[d] = c->max_packet;
    s->input = c->input;
    s->last_dir = (uint8_t)d;
    s->df_clear = (c->flags & CF_DF_CLEAR) ? (uint8_t)(1u << d) : 0;
    s->ttl[d] = c->ttl;

    /* the storm window's newest bucket is the capture clock's at the last
     * packet (storm_add); no retransmission, so no retransmission half */
    f->storm.cur = last / STORM_BUCKET_NS;
    for (int i = 0; i < STORM_BUCKETS; i++) {
        f->storm.pkts[i] = c->storm_pkts[i];
        f->storm.pkts_sum += c->storm_pkts[i];
    }
    f->storm.started = true;
    f->tcp = t;

    struct tcp_half *h = &t->h[d];
    h->n.segments = c->packets;
    h->seen = c->seen;
    h->nextseq = h->maxseqtobeacked = c->nextseq;
    h->nextseq_ns = h->lastack_ns = last;
    if (h->seen & HS_ISN)
        h->isn = c->nextseq - 1; /* a SYN takes one sequence number */
    if (h->seen & (HS_SYN | HS_FIN)) {
        h->ctl_seq = c->nextseq - 1;
        h->ctl_ns = last;
    }
    h->lastack = c->lastack;
    if (h->seen & HS_ACKED)
        h->highest_ack = c->lastack;
    h->window = c->window;
    h->mss = c->mss;
    h->wscale = c->wscale;
    h->lastta = c->lastta;
    h->ttl = c->ttl;
    if (c->flags & CF_SYN_SEEN) {
        t->syn_seen = true;
        t->syn_dir = (uint8_t)d;
        t->syn_ns = last;
    }
    t->pool = pool;
    t->parked = true; /* parked, without delivery tables: it sent no data */
}

/* A TCP flow's allocation (new_flow in flow.c): f->tcp is f + 1. */
struct flow_and_tcp {
    struct flow f;
    struct tcp_conn t;
};
_Static_assert(offsetof(struct flow_and_tcp, t) == sizeof(struct flow), "f + 1 is its tcp_conn");

bool flow_compact_make(const struct flow *f, struct flow_compact *c)
{
    const struct flow_live *s = &f->s;
    const struct tcp_conn *t = f->tcp;
    if (!t || f->other || f->rs || f->frags || f->storm.rx)
        return false;
    int d = s->packets[0] ? 0 : 1; /* the direction that spoke: the other sent nothing */
    const struct tcp_half *h = &t->h[d];
    int64_t last = f->n.active_ns;
    if (s->packets[!d] || !s->packets[d] || s->packets[d] > UINT16_MAX ||
        s->bytes[d] > UINT32_MAX || s->id > UINT32_MAX || s->stream > s->id ||
        s->id - s->stream > UINT32_MAX || s->last_frame > UINT32_MAX ||
        s->first_frame > s->last_frame || s->first_ns > last ||
        (uint64_t)(last - s->first_ns) > UINT32_MAX || h->window > UINT16_MAX)
        return false;
    for (int i = 0; i < STORM_BUCKETS; i++)
        if (f->storm.pkts[i] > UINT8_MAX)
            return false;

    c->n.key = f->n.key;
    c->n.active_ns = last;
    c->n.cls = f->n.cls;
    c->n.cidx = f->n.cidx;
    c->id = (uint32_t)s->id;
    c->last_frame = (uint32_t)s->last_frame;
    c->first_frame_back = (uint32_t)(s->last_frame - s->first_frame);
    c->first_ns_back = (uint32_t)(last - s->first_ns);
    c->stream_back = (uint32_t)(s->id - s->stream);
    c->bytes = (uint32_t)s->bytes[d];
    c->nextseq = h->nextseq;
    c->lastack = h->lastack;
    c->packets = (uint16_t)s->packets[d];
    c->window = (uint16_t)h->window;
    c->mss = h->mss;
    c->seen = h->seen;
    c->lastta = h->lastta;
    c->max_packet = s->max_packet[d];
    c->input = s->input;
    c->dir = (uint8_t)d;
    c->wscale = h->wscale;
    c->ttl = h->ttl;
    c->flags =
        (uint8_t)((t->syn_seen ? CF_SYN_SEEN : 0) | ((s->df_clear >> d & 1) ? CF_DF_CLEAR : 0));
    for (int i = 0; i < STORM_BUCKETS; i++)
        c->storm_pkts[i] = (uint8_t)f->storm.pkts[i];

    /* the proof: the expansion is the flow, but for what the table sets */
    struct flow_and_tcp x;
    flow_compact_expand(c, &x.f, t->pool);
    x.f.n.prev = f->n.prev;
    x.f.n.next = f->n.next;
    x.f.n.hid = f->n.hid;
    x.f.n.form = f->n.form;
    x.f.hash = f->hash;
    x.f.tcp = f->tcp;
    return memcmp(&x.f, f, sizeof x.f) == 0 && memcmp(&x.t, t, sizeof x.t) == 0;
}
