/*
 * flow.c - the flow table (see flow.h for the keys, timeouts and limits).
 *
 * Flows are found through the shared index (hashtab.h): the normalised key
 * hashed eight bytes at a time with the table's own seed (FNV-1a's byte loop
 * cost ~250 instructions a packet, more than the lookup itself; without the
 * seed, hostile traffic could choose keys that collide), (tag, id) slots at
 * most half full, backward-shift delete.  An id is a flow
 * allocation's place in all[], and stays with it when a free list reuses it,
 * so the index holds no pointers.  The road not taken: the old specialised
 * (hash, pointer) slots saved the load from all[] but needed a delete of
 * their own; with the hash and the probe inlined, the shared index costs
 * about 20 instructions more a packet (callgrind: +0.6% on the bench's
 * short connections, +1% on a SYN flood of 65,536 live flows).
 * Each flow sits in the LRU list of its timeout class; expiry pops list heads.
 * Parked flows (flow.h) are the front of their list, live_head[] the first
 * live flow after them: the cap parks a live_head, which joins the parked
 * ones where it stands, and every live flow was active after it.  The
 * lists, the index and all[] hold struct flow_node: a struct flow, or the
 * compact record of a parked one (flow_compact.c), which takes the flow's
 * place in its list and index entry, and gives it back (flow_full()) before
 * anything reads or finishes the flow.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "flow_int.h"
#include "storms.h"
#include "wgcount.h"

#define NS_PER_MS 1000000LL

static int64_t pkt_ns(const struct packet *p)
{
    return p->ts_sec * 1000000000LL + (int64_t)p->ts_nsec;
}

/* Flow memory: n more bytes held (0: the delivery pool may have grown); the
 * peak follows. */
static void mem_held(struct flow_table *ft, size_t n)
{
    ft->bytes_held += n;
    uint64_t held = ft->bytes_held + ft->storms.bytes + dl_pool_bytes(ft->dlpool);
    if (held > ft->st.bytes_peak)
        ft->st.bytes_peak = held;
}

/* ---- LRU lists and the hash table ---- */

static void lru_unlink(struct flow_table *ft, struct flow_node *f)
{
    if (ft->live_head[f->cls] == f)
        ft->live_head[f->cls] = f->next;
    if (f->prev)
        f->prev->next = f->next;
    else
        ft->head[f->cls] = f->next;
    if (f->next)
        f->next->prev = f->prev;
    else
        ft->tail[f->cls] = f->prev;
    f->prev = f->next = NULL;
}

/* f, live, becomes the newest of its class. */
static void lru_append(struct flow_table *ft, struct flow_node *f)
{
    if (!ft->live_head[f->cls])
        ft->live_head[f->cls] = f;
    f->prev = ft->tail[f->cls];
    f->next = NULL;
    if (f->prev)
        f->prev->next = f;
    else
        ft->head[f->cls] = f;
    ft->tail[f->cls] = f;
}

/* Word by word, and without a library call: keys are zero-padded. */
static bool key_eq(const struct flow_key *a, const struct flow_key *b)
{
    uint64_t x[sizeof *a / 8], y[sizeof *a / 8];
    memcpy(x, a, sizeof x);
    memcpy(y, b, sizeof y);
    uint64_t diff = 0;
    for (size_t i = 0; i < sizeof x / 8; i++)
        diff |= x[i] ^ y[i];
    return diff == 0;
}

/* The index keeps 32 bits of the hash beside each id: probing compares them
 * in one array of 8-byte slots and touches a flow only when they match (a
 * cache miss per probe otherwise, the top of the profile with thousands of
 * live flows).  The id costs a load from all[] that the old (hash, pointer)
 * slots did not, but the slots are half the size: on a SYN flood of 65,536
 * live flows cachegrind counts fewer data cache misses than before (D1 2.49
 * million against 2.68, last level 0.99 against 1.00). */
struct flow_node *flow_find_node(const struct flow_table *ft, const struct flow_key *k, uint64_t h)
{
    struct ht_probe pr;
    for (uint32_t id = ht_first(&ft->index, h, &pr); id != HT_NONE; id = ht_next(&ft->index, &pr))
        if (key_eq(&ft->all[id - 1]->key, k))
            return ft->all[id - 1];
    return NULL;
}

struct flow *flow_find(struct flow_table *ft, const struct flow_key *k, uint64_t h)
{
    struct flow_node *n = flow_find_node(ft, k, h);
    return n ? flow_full(ft, n) : NULL;
}

/* Room for one more id in all[]; false when out of memory. */
static bool all_room(struct flow_table *ft)
{
    if (ft->nall == ft->capall) {
        uint32_t cap = ft->capall ? ft->capall * 2 : 1024;
        struct flow_node **a = realloc(ft->all, cap * sizeof *a);
        if (!a)
            return false;
        ft->all = a;
        ft->capall = cap;
    }
    return true;
}

/* A new flow of sz bytes, numbered in all[]; NULL when out of memory. */
static struct flow *flow_alloc(struct flow_table *ft, size_t sz)
{
    if (!all_room(ft))
        return NULL;
    struct flow *f = malloc(sz);
    if (!f)
        return NULL;
    ft->all[ft->nall++] = &f->n;
    f->n.hid = ft->nall;
    f->n.form = FF_LIVE;
    mem_held(ft, sz);
    return f;
}

/* Compact records come in slabs of COMPACT_SLAB (a malloc'd block per
 * record would add its 16-byte header to each 144 bytes), numbered in all[]
 * as they are made, and go back to free_compact, never to malloc, until
 * flow_free(). */
#define COMPACT_SLAB 256
struct compact_slab {
    struct compact_slab *next;
    struct flow_compact c[COMPACT_SLAB];
};

/* A free compact record; NULL when out of memory. */
static struct flow_compact *compact_get(struct flow_table *ft)
{
    if (!ft->free_compact) {
        struct compact_slab *sl = malloc(sizeof *sl);
        if (!sl)
            return NULL;
        sl->next = ft->slabs;
        ft->slabs = sl;
        mem_held(ft, sizeof *sl);
        for (int i = COMPACT_SLAB - 1; i >= 0; i--) {
            struct flow_node *n = &sl->c[i].n;
            n->form = FF_COMPACT; /* for good: flow_free() tells records by it */
            n->hid = 0;           /* numbered when first used */
            n->next = ft->free_compact;
            ft->free_compact = n;
        }
    }
    struct flow_node *n = ft->free_compact;
    if (!n->hid) {
        if (!all_room(ft))
            return NULL;
        ft->all[ft->nall++] = n;
        n->hid = ft->nall;
    }
    ft->free_compact = n->next;
    return (struct flow_compact *)n;
}

/* old's place in its LRU list is taken by new (the same flow in another
 * form): the same neighbours, the same index entry under a new id. */
static void node_replace(struct flow_table *ft, struct flow_node *old, struct flow_node *new,
                         uint64_t hash)
{
    new->prev = old->prev;
    new->next = old->next;
    if (old->prev)
        old->prev->next = new;
    else
        ft->head[old->cls] = new;
    if (old->next)
        old->next->prev = new;
    else
        ft->tail[old->cls] = new;
    if (ft->live_head[old->cls] == old)
        ft->live_head[old->cls] = new;
    old->prev = old->next = NULL;
    ht_replace(&ft->index, hash, old->hid, new->hid); /* old is there: cannot fail */
}

/* ---- flows ---- */

static enum tclass class_of(const struct flow *f)
{
    switch (f->n.key.proto) {
    case IP_PROTO_TCP:
        if (!tcp_closed(f->tcp))
            return TC_TCP;
        return tcp_may_retransmit(f->tcp) ? TC_TCP_CLOSING : TC_TCP_CLOSED;
    case IP_PROTO_UDP:
        return TC_UDP;
    case IP_PROTO_ICMP:
    case IP_PROTO_ICMPV6:
        return TC_ICMP;
    default:
        return TC_OTHER;
    }
}

static void release(struct flow_table *ft, struct flow *f)
{
    if (f->rs) {
        free(f->rs);
        f->rs = NULL;
        ft->bytes_held -= 2 * sizeof(struct resend_track);
    }
    if (f->frags) {
        free(f->frags);
        f->frags = NULL;
        ft->bytes_held -= sizeof(struct flow_frags);
    }
    storm_release(&ft->storms, &f->storm);
    if (f->tcp) {
        tcp_release(f->tcp);
        f->n.next = (struct flow_node *)ft->free_tcp; /* its first member */
        ft->free_tcp = f;
    } else {
        f->n.next = (struct flow_node *)ft->free_small;
        ft->free_small = f;
    }
}

static void unpark(struct flow_table *ft, struct flow *f);
static void tables_back(struct flow_table *ft, struct flow *f);

static void finish(struct flow_table *ft, struct flow *f, enum flow_end why)
{
    static const uint32_t no_hist[DL_NCLASSES]; /* TCP counts sizes in its delivery tables */
    if (f->n.form == FF_PARKED)
        unpark(ft, f); /* its delivery tables back: the summary is what it would be */
    else if (f->tcp && f->tcp->parked)
        tables_back(ft, f); /* a closed connection's (flow_packet) */
    struct flow_summary sum, *s = &sum;
    flow_summarise(f, s);
    struct flow_detail det = {{NULL, NULL}, {no_hist, no_hist}, NULL, {NULL, NULL}, ft->clock_ns};
    if (f->other) {
        det.size_hist[0] = f->other->size_hist[0];
        det.size_hist[1] = f->other->size_hist[1];
    }
    s->end = (uint8_t)why;
    s->frags = f->frags;
    if (f->rs) {
        for (int d = 0; d < 2; d++) {
            det.resend[d] = resend_best(&f->rs[d]);
            uint16_t c = det.resend[d]->copies;
            if (c > s->resend_copies)
                s->resend_copies = c > UINT8_MAX ? UINT8_MAX : (uint8_t)c;
        }
    }
    if (f->tcp) {
        tcp_finish(f->tcp);
        for (int d = 0; d < 2; d++) {
            flow_fill_dir(&s->dir[d], &f->tcp->h[d], &f->tcp->h[!d]);
            uint64_t sf = 0;
            s->dir[d].stalled = tcp_stalled(f->tcp, d, s->last_ns, &s->dir[d].stall_ns, &sf);
            /* The capture ran on after the flow's last packet (a pcapng
             * isb_endtime): the silence until then is part of the wait. */
            if (!s->dir[d].stalled && why == FLOW_END_CAPTURE && ft->capture_end_ns > s->last_ns) {
                s->dir[d].stalled =
                    tcp_stalled(f->tcp, d, ft->capture_end_ns, &s->dir[d].stall_ns, &sf);
                s->dir[d].stall_by_end = s->dir[d].stalled;
            }
            s->dir[d].stall_frame = sat32(sf);
            s->stalled |= s->dir[d].stalled;
            det.dl[d] = f->tcp->h[d].dl;
        }
        s->irtt_ns = f->tcp->irtt_ns;
        det.tcp = f->tcp;
    }
    storm_emit(&ft->storms, &f->storm);
    switch (why) {
    case FLOW_END_IDLE:
        ft->st.expired++;
        break;
    case FLOW_END_EVICTED:
        ft->st.forgotten++;
        break;
    case FLOW_END_REUSED:
        ft->st.reused++;
        break;
    default:
        break;
    }
    if (ft->done)
        ft->done(ft->ctx, s, &det);
    lru_unlink(ft, &f->n);
    ht_remove(&ft->index, f->hash, f->n.hid);
    ft->st.live--;
    release(ft, f);
}

/* Finishes the flow of node n, in whichever form it is.  Out of memory
 * for a compact one's expansion, it is dropped without a summary (counted
 * as forgotten), so that the lists still move on. */
static void finish_node(struct flow_table *ft, struct flow_node *n, enum flow_end why)
{
    struct flow *f = flow_full(ft, n);
    if (f) {
        finish(ft, f, why);
        return;
    }
    uint64_t h = hash_bytes_inline(ft->index.seed, &n->key, sizeof n->key);
    lru_unlink(ft, n);
    ht_remove(&ft->index, h, n->hid);
    n->next = ft->free_compact;
    ft->free_compact = n;
    ft->st.compact--;
    ft->st.parked--;
    ft->st.forgotten++;
}

static void expire(struct flow_table *ft)
{
    for (int c = 0; c < TC__COUNT; c++)
        while (ft->head[c] && ft->clock_ns - ft->head[c]->active_ns >= ft->timeout_ns[c])
            finish_node(ft, ft->head[c], FLOW_END_IDLE);
}

/* ---- parking (flow.h) ---- */

/* The delivery tables of f's connection, given out as compact copies
 * (tcp_park), taken back from them. */
static void tables_back(struct flow_table *ft, struct flow *f)
{
    ft->bytes_held -= tcp_parked_bytes(f->tcp);
    tcp_unpark(f->tcp); /* false: out of memory, some delivery evidence lost */
    mem_held(ft, 0);
}

/* f's delivery tables back to the pool as compact copies, if they are not
 * already; false when out of memory (they stay as they are). */
static bool tables_out(struct flow_table *ft, struct flow *f)
{
    if (f->tcp->parked)
        return true;
    if (!tcp_park(f->tcp))
        return false;
    ft->bytes_held += tcp_parked_bytes(f->tcp); /* the tables went back to the pool */
    return true;
}

/* A parked flow's live state again.  It stays where it is in its list:
 * the caller moves or finishes it at once (the parked flows must stay the
 * front of their lists). */
static void unpark(struct flow_table *ft, struct flow *f)
{
    if (f->tcp && f->tcp->parked)
        tables_back(ft, f);
    f->n.form = FF_LIVE;
    ft->st.parked--;
    ft->st.live++;
}

/* The least recently active parked flow is finished early: the parked
 * flows are over their bound. */
static bool forget_oldest(struct flow_table *ft)
{
    struct flow_node *old = NULL;
    for (int c = 0; c < TC__COUNT; c++) {
        struct flow_node *f = ft->head[c];
        if (f && f->form != FF_LIVE && (!old || f->active_ns < old->active_ns))
            old = f;
    }
    if (old)
        finish_node(ft, old, FLOW_END_EVICTED);
    return old != NULL;
}

/* Parked flow f (just parked, or expanded) takes its compact form when it
 * has one and a record can be had: its allocation goes back to the free
 * list. */
static void compact(struct flow_table *ft, struct flow *f)
{
    struct flow_compact *c = compact_get(ft);
    if (!c)
        return; /* out of memory: it stays parked as it is */
    if (!flow_compact_make(f, c)) {
        c->n.next = ft->free_compact;
        ft->free_compact = &c->n;
        return;
    }
    node_replace(ft, &f->n, &c->n, f->hash);
    release(ft, f); /* the flow is parked still, as c */
    ft->st.compact++;
}

struct flow *flow_full(struct flow_table *ft, struct flow_node *n)
{
    if (n->form != FF_COMPACT)
        return flow_of(n);
    struct flow_compact *c = (struct flow_compact *)n;
    struct flow *f = ft->free_tcp;
    if (f)
        ft->free_tcp = flow_of(f->n.next);
    else if (!(f = flow_alloc(ft, sizeof *f + sizeof(struct tcp_conn))))
        return NULL;
    uint32_t hid = f->n.hid;
    flow_compact_expand(c, f, ft->dlpool);
    f->n.hid = hid;
    f->n.form = FF_PARKED;
    f->hash = hash_bytes_inline(ft->index.seed, &c->n.key, sizeof c->n.key);
    node_replace(ft, &c->n, &f->n, f->hash);
    c->n.next = ft->free_compact;
    ft->free_compact = &c->n;
    ft->st.compact--;
    return f;
}

/* The least recently active live flow other than `keep` is parked, or,
 * when its delivery tables cannot be copied (out of memory), finished as
 * a forgotten one.  keep was just made the newest of its list: it is its
 * list's first live flow only when it is the only one. */
static void park_oldest(struct flow_table *ft, const struct flow *keep)
{
    struct flow_node *oldn = NULL;
    for (int c = 0; c < TC__COUNT; c++) {
        struct flow_node *f = ft->live_head[c];
        if (f && (!keep || f != &keep->n) && (!oldn || f->active_ns < oldn->active_ns))
            oldn = f;
    }
    if (!oldn)
        return;
    struct flow *old = flow_of(oldn);
    ft->st.evicted++;
    if (old->tcp && !tables_out(ft, old)) {
        finish(ft, old, FLOW_END_EVICTED);
        return;
    }
    ft->live_head[oldn->cls] = oldn->next; /* it was the first live flow of its list */
    oldn->form = FF_PARKED;
    ft->st.live--;
    if (++ft->st.parked > ft->st.parked_peak)
        ft->st.parked_peak = ft->st.parked;
    if (old->tcp)
        compact(ft, old);
    while ((ft->st.parked - ft->st.compact > ft->lim.max_parked ||
            ft->st.compact > ft->lim.max_compact) &&
           forget_oldest(ft))
        ;
    if (ft->st.compact > ft->st.compact_peak)
        ft->st.compact_peak = ft->st.compact;
}

/* A packet of parked flow f: it is live again, the newest of its class
 * (as the packet makes it), and the cap makes room for it. */
static void resume(struct flow_table *ft, struct flow *f)
{
    unpark(ft, f);
    lru_unlink(ft, &f->n);
    lru_append(ft, &f->n);
    ft->st.resumed++;
    if (ft->st.live > ft->lim.max_flows)
        park_oldest(ft, f);
}

static struct flow *new_flow(struct flow_table *ft, const struct flow_key *k, uint64_t h)
{
    if (ft->st.live >= ft->lim.max_flows)
        park_oldest(ft, NULL);
    bool tcp = k->proto == IP_PROTO_TCP;
    struct flow **fl = tcp ? &ft->free_tcp : &ft->free_small;
    struct flow *f = *fl;
    if (f)
        *fl = flow_of(f->n.next);
    else if (!(f = flow_alloc(ft, sizeof *f +
                                      (tcp ? sizeof(struct tcp_conn) : sizeof(struct flow_other)))))
        return NULL;
    uint32_t hid = f->n.hid;
    if (!ht_insert(&ft->index, h, hid)) {
        f->n.next = (struct flow_node *)*fl;
        *fl = f;
        return NULL;
    }
    memset(f, 0, sizeof *f);
    f->n.hid = hid;
    f->n.key = *k;
    f->hash = h;
    if (tcp) {
        f->tcp = (struct tcp_conn *)(f + 1);
        tcp_init(f->tcp);
        f->tcp->pool = ft->dlpool;
    } else {
        f->other = (struct flow_other *)(f + 1);
        memset(f->other, 0, sizeof *f->other);
    }
    if (++ft->st.live > ft->st.live_peak)
        ft->st.live_peak = ft->st.live;
    ft->st.flows++;
    if (tcp)
        ft->st.tcp_flows++;
    else if (k->proto == IP_PROTO_UDP)
        ft->st.udp_flows++;
    f->s.id = ++ft->next_id;
    f->s.stream = ft->next_stream[k->proto]++;
    f->n.cls = (uint8_t)class_of(f);
    lru_append(ft, &f->n);
    return f;
}

/* A SYN that repeats the ISN of its sender's earlier SYN is that SYN sent
 * again (after a RST, Windows and Linux retry with the same ISN), so it stays
 * in the connection; another ISN is a new connection on the same ports. */
static bool same_isn(const struct flow *f, int e, const struct tcp_info *t)
{
    const struct tcp_half *h = &f->tcp->h[f->n.cidx == e ? 0 : 1];
    return (h->seen & HS_ISN) && h->isn == t->seq;
}

/* The layer after IP layer i and its AH headers: the transport (nlayers
 * when there is none). */
static int transport_layer(const struct packet *p, int i)
{
    int t = i + 1;
    while (t < p->nlayers && p->layers[t].type == LAYER_AH)
        t++;
    return t;
}

/* Fills the key from IP layer i and the layer after it.  Returns false when
 * the packet belongs to no flow (a TCP/UDP header that was not decoded). */
bool flow_make_key(const struct packet *p, int i, struct flow_key *k, bool *swapped,
                   uint16_t *sport, uint16_t *dport)
{
    const struct ip_info *ip = &p->layers[i].u.ip;
    int t = transport_layer(p, i);
    const struct layer *tl = t < p->nlayers ? &p->layers[t] : NULL;
    memset(k, 0, sizeof *k);
    k->version = ip->version;
    k->proto = ip->proto;
    *sport = *dport = 0;
    if (tl && tl->type == LAYER_TCP) {
        *sport = tl->u.tcp.sport;
        *dport = tl->u.tcp.dport;
    } else if (tl && tl->type == LAYER_UDP) {
        *sport = tl->u.udp.sport;
        *dport = tl->u.udp.dport;
    } else if (tl && (tl->type == LAYER_ICMP || tl->type == LAYER_ICMP6)) {
        uint8_t ty = tl->u.icmp.type;
        bool echo = tl->type == LAYER_ICMP ? (ty == 8 || ty == 0) : (ty == 128 || ty == 129);
        if (echo)
            k->xid = tl->u.icmp.id;
    } else if (tl && tl->type == LAYER_ESP) {
        k->xid = tl->u.esp.spi;
    } else if (k->proto == IP_PROTO_TCP || k->proto == IP_PROTO_UDP) {
        return false;
    }
    k->port[0] = *sport;
    k->port[1] = *dport;
    addr_bytes(&ip->src, k->addr[0]);
    addr_bytes(&ip->dst, k->addr[1]);
    *swapped = normalise(k->addr[0], k->addr[1], &k->port[0], &k->port[1]);
    return true;
}

/* Innermost IP layer outside ICMP quotes whose addresses were read, or -1.
 * A header rejected before its addresses (a bogus IHL, a cut frame) names
 * no flow: its addresses are not in the record, only zeroes. */
static int flow_ip_layer(const struct packet *p)
{
    for (int i = p->nlayers - 1; i >= 0; i--) {
        const struct layer *l = &p->layers[i];
        if (!flow_is_ip(l) || (l->flags & LF_QUOTED))
            continue;
        if (l->u.ip.src.addr_type != ADDR_TYPE_IP && l->u.ip.src.addr_type != ADDR_TYPE_IP6)
            return -1;
        return i;
    }
    return -1;
}

/* The IP layer that names the packet's flow, or -1 when none does. */
static int flow_layer(const struct packet *pkt)
{
    int i = flow_ip_layer(pkt);
    if (i < 0)
        return -1;
    const struct layer *il = &pkt->layers[i];
    const struct ip_info *ip = &il->u.ip;
    if ((il->flags & (LF_TRUNCATED | LF_REASSEMBLED)) == LF_TRUNCATED &&
        il->offset + (ip->version == 6 ? 40u : 20u) > pkt->caplen)
        return -1; /* the addresses were not all captured */
    if ((ip->flags & IPF_FRAGMENT) && !ip->reasm_len)
        return -1; /* defrag holds it; the datagram counts when complete */
    return i;
}

/* The capture clock moves to ts unless ts is older; flows idle too long
 * under it finish. */
static void clock_to(struct flow_table *ft, int64_t ts)
{
    if (!ft->clock_set || ts > ft->clock_ns) {
        ft->clock_ns = ts;
        ft->clock_set = true;
    }
    expire(ft);
}

/* An opaque tunnel's flow (WireGuard, ESP, OpenVPN after the transport layer
 * t): registered, so tunnels[] is complete, and given its re-send trackers. */
static void opaque_tunnel(struct flow_table *ft, struct flow *f, const struct packet *pkt, int i,
                          int t, uint16_t sport, uint16_t dport)
{
    if (t >= pkt->nlayers)
        return;
    const struct layer *o = NULL;
    if (pkt->layers[t].type == LAYER_ESP)
        o = &pkt->layers[t];
    else if (pkt->layers[t].type == LAYER_UDP && t + 1 < pkt->nlayers)
        o = &pkt->layers[t + 1];
    if (!o || (o->type != LAYER_WIREGUARD && o->type != LAYER_ESP && o->type != LAYER_OPENVPN))
        return;
    f->s.opaque = o->type;
    f->s.carries_tunnel = flow_tun_id(&ft->tunnels, o->type, &pkt->layers[i], 0, sport, dport,
                                      o->type == LAYER_ESP ? o->u.esp.spi : 0);
    /* once per tunnel flow, and few of them: a failure only loses the
     * re-send evidence */
    f->rs = calloc(2, sizeof *f->rs);
    if (f->rs)
        mem_held(ft, 2 * sizeof *f->rs);
}

/* A new flow's first packet (IP layer i, transport t, sent by key endpoint
 * e): who is the client, and what the flow is. */
static void first_packet(struct flow_table *ft, struct flow *f, const struct packet *pkt, int i,
                         int t, int e, bool synack, uint16_t sport, uint16_t dport)
{
    const struct ip_info *ip = &pkt->layers[i].u.ip;
    f->n.cidx = (uint8_t)(synack ? !e : e);
    bool sender_client = f->n.cidx == e;
    f->s.client = sender_client ? ip->src : ip->dst;
    f->s.server = sender_client ? ip->dst : ip->src;
    f->s.client_port = sender_client ? sport : dport;
    f->s.server_port = sender_client ? dport : sport;
    if (f->n.key.xid && (f->n.key.proto == IP_PROTO_ICMP || f->n.key.proto == IP_PROTO_ICMPV6))
        f->s.client_port = f->s.server_port = (uint16_t)f->n.key.xid;
    f->s.input = pkt->input;
    f->s.first_frame = pkt->frame;
    f->s.first_ns = f->s.last_ns = pkt_ns(pkt);
    opaque_tunnel(ft, f, pkt, i, t, sport, dport);
}

/* The packet's counts in its flow: packets, bytes, sizes, times. */
static void count_packet(struct flow_table *ft, struct flow *f, int dir, uint16_t size,
                         uint64_t frame, int64_t ts)
{
    struct flow_live *s = &f->s;
    s->packets[dir]++;
    s->bytes[dir] += size;
    if (size > s->max_packet[dir])
        s->max_packet[dir] = size;
    if (f->other)
        f->other->size_hist[dir][delivery_class(size)]++;
    s->last_frame = frame;
    s->last_dir = (uint8_t)dir;
    if (ts < s->first_ns)
        s->first_ns = ts; /* timestamps out of order: first/last are min/max */
    if (ts > s->last_ns)
        s->last_ns = ts;
    ft->st.packets++;
}

/* A packet of the ESP SA f sent by key endpoint e, before its trackers see
 * it: told as a peer packet to the trackers of the SAs the other gateway
 * sends on (FLOW_ESP_RECENT above); and when f is new here, what those SAs
 * carried so far is f's peer's past (resend_peer_seen), as a UDP flow's own
 * reverse packets are.  A reverse SA's key is f's with its SPI: the
 * addresses are in key order whichever way a packet goes. */
static void esp_peer(struct flow_table *ft, struct flow *f, int e, int64_t ts)
{
    bool known = false;
    for (uint32_t i = 0; i < FLOW_ESP_RECENT && !known; i++)
        known =
            ft->esp[i].used && ft->esp[i].k.xid == f->n.key.xid && key_eq(&ft->esp[i].k, &f->n.key);
    int64_t past_ns = 0;
    uint64_t past = 0;
    for (uint32_t i = 0; i < FLOW_ESP_RECENT; i++) {
        const struct esp_seen *s = &ft->esp[i];
        struct flow_key rk = f->n.key;
        rk.xid = s->k.xid;
        if (!s->used || s->sender == e || !key_eq(&s->k, &rk))
            continue;
        struct flow *g = flow_find(ft, &rk, hash_bytes_inline(ft->index.seed, &rk, sizeof rk));
        if (!g)
            continue;
        int gdir = g->n.cidx == s->sender ? 0 : 1;
        if (g->rs)
            resend_peer_packet(&g->rs[gdir], ts);
        if (!known && g->s.packets[gdir]) {
            past += g->s.packets[gdir];
            if (!past_ns || g->s.last_ns > past_ns)
                past_ns = g->s.last_ns;
        }
    }
    if (known)
        return;
    if (f->rs && past)
        resend_peer_seen(&f->rs[f->n.cidx == e ? 0 : 1], past_ns, past);
    struct esp_seen *s = &ft->esp[ft->esp_next++ % FLOW_ESP_RECENT];
    s->k = f->n.key;
    s->sender = (uint8_t)e;
    s->used = true;
}

/* A packet of an opaque tunnel's flow: the tunnel's counts, the WireGuard
 * counters, the re-send trackers. */
static void tunnel_packet(struct flow_table *ft, struct flow *f, const struct packet *pkt, int t,
                          int dir, uint16_t size, int64_t ts)
{
    struct flow_tunnel *tu = &ft->tunnels.e[f->s.carries_tunnel - 1].t;
    tu->packets++;
    bool data = true; /* what the tunnel's inner traffic rides in */
    if (f->s.opaque == LAYER_WIREGUARD) {
        const struct wireguard_info *w = &pkt->layers[t + 1].u.wg;
        data = w->msg_type == WG_DATA;
        if (data && f->other) {
            wg_count_data(&f->other->wg, w, dir, pkt->frame);
            if (w->inner_len > tu->inner_max)
                tu->inner_max = w->inner_len;
        }
    }
    if (f->s.opaque == LAYER_ESP)
        esp_peer(ft, f, dir == 0 ? f->n.cidx : !f->n.cidx, ts);
    if (f->rs) {
        if (data)
            resend_packet(&f->rs[dir], size, ts, pkt->frame);
        resend_peer_packet(&f->rs[!dir], ts);
    }
}

/* A UDP datagram of a flow that carries no known tunnel: every protocol
 * that makes UDP reliable backs its timer off as TCP does (QUIC's probe
 * timeout, RFC 9002 6.2; DTLS, RFC 6347 4.2.4.1; OpenVPN's and IKE's
 * retransmissions; an application's own), so a datagram re-sent at
 * doubling intervals is the same signature as inside a tunnel (resend.h).
 * The trackers are allocated at the flow's first datagram larger than every
 * path carries (576 bytes in IPv4, RFC 791; 1280 in IPv6, RFC 8200): only
 * those can meet an MTU, and a DNS or NTP flow never pays for them.  The
 * peer's packets before then are passed on (prev_ns, prev_dir: the flow's
 * latest packet before this one). */
static void udp_packet(struct flow_table *ft, struct flow *f, int dir, uint16_t size, int64_t ts,
                       uint64_t frame, int64_t prev_ns, int prev_dir)
{
    if (!f->rs) {
        if (size <= (f->n.key.version == 6 ? 1280 : 576))
            return;
        f->rs = calloc(2, sizeof *f->rs);
        if (!f->rs)
            return; /* only the re-send evidence is lost */
        mem_held(ft, 2 * sizeof *f->rs);
        uint64_t peer = f->s.packets[!dir];
        /* the peer's latest packet is known only when it was the flow's
         * latest; else it is older than prev_ns, and left unknown */
        if (peer && prev_dir != dir)
            resend_peer_seen(&f->rs[dir], prev_ns, peer);
        else if (peer)
            f->rs[dir].peer += peer;
        if (f->s.packets[dir] > 1 && prev_dir == dir)
            resend_peer_seen(&f->rs[!dir], prev_ns, f->s.packets[dir] - 1);
    }
    resend_packet(&f->rs[dir], size, ts, frame);
    resend_peer_packet(&f->rs[!dir], ts);
}

/* The TCP analysis of a segment of f; its TA_* flags. */
static unsigned tcp_packet(struct flow_table *ft, struct flow *f, int dir,
                           const struct tcp_info *tcp, uint16_t size, int64_t ts, uint64_t frame)
{
    unsigned ta = tcp_segment(f->tcp, dir, tcp, size, ts, frame);
    if (tcp->payload_len) /* it may have taken a delivery table */
        mem_held(ft, 0);
    if (ta & TA_ANY_RETRANS) {
        f->s.retransmissions++;
        ft->st.retransmissions++;
    }
    return ta;
}

/* The packet in the storm windows: its flow's and the capture's. */
static void storm_packet(struct flow_table *ft, struct flow *f, bool retx, uint64_t frame)
{
    uint64_t storm_bytes = ft->storms.bytes;
    if (storm_add(&ft->storms, &f->storm, ft->clock_ns, frame, retx, f->s.id))
        f->s.storms++;
    storm_add(&ft->storms, &ft->storm, ft->clock_ns, frame, retx, 0);
    if (ft->storms.bytes != storm_bytes)
        mem_held(ft, 0); /* a retransmission half was allocated */
}

/* A datagram that came in fragments (an IP layer up to the flow's, i, that
 * defrag.c completed: reasm_len) is named by its IP id for the flow's
 * Wireshark filter (struct flow_frags); each datagram once, at the packet
 * that completed it. */
static void frag_packet(struct flow_table *ft, struct flow *f, const struct packet *pkt, int i,
                        int dir)
{
    for (int j = 0; j <= i; j++) {
        const struct layer *l = &pkt->layers[j];
        if (!flow_is_ip(l) || !l->u.ip.reasm_len || (l->flags & LF_QUOTED))
            continue;
        if (!f->frags) {
            f->frags = calloc(1, sizeof *f->frags);
            if (!f->frags)
                return; /* out of memory: the filter names no fragments */
            mem_held(ft, sizeof *f->frags);
        }
        struct flow_frags *x = f->frags;
        x->datagrams[dir]++;
        struct flow_frag_layer *y = &x->layer[dir],
                               cut = {true, l->u.ip.version, l->u.ip.proto, {0}, {0}};
        addr_bytes(&l->u.ip.src, cut.src);
        addr_bytes(&l->u.ip.dst, cut.dst);
        if (!y->set)
            *y = cut;
        else if (memcmp(y, &cut, sizeof cut) != 0)
            continue; /* another layer than the first one cut: counted only */
        if (x->n < FLOW_FRAG_IDS) {
            x->ids[x->n].id = l->u.ip.id;
            x->ids[x->n].dir = (uint8_t)dir;
            x->n++;
        }
    }
}

/* f was just active: the newest of its (maybe new) timeout class. */
static void lru_touch(struct flow_table *ft, struct flow *f)
{
    f->n.active_ns = ft->clock_ns;
    uint8_t cls = (uint8_t)class_of(f);
    if (cls != f->n.cls || ft->tail[cls] != &f->n) { /* bulk flows are mostly the newest already */
        lru_unlink(ft, &f->n);
        f->n.cls = cls;
        lru_append(ft, &f->n);
    }
}

void flow_packet(struct flow_table *ft, const struct packet *pkt, struct flow_pkt *out)
{
    if (out)
        memset(out, 0, sizeof *out);
    int64_t ts = pkt_ns(pkt);
    clock_to(ft, ts);

    int i = flow_layer(pkt);
    struct flow_key k;
    bool swapped;
    uint16_t sport, dport;
    if (i < 0 || !flow_make_key(pkt, i, &k, &swapped, &sport, &dport)) {
        ft->st.no_flow++;
        return;
    }
    if (pkt->layers[i].tunnel) /* the call costs 20 instructions a packet otherwise */
        k.tunnel = flow_tun_enclosing(&ft->tunnels, pkt, i, true);
    uint64_t h = hash_bytes_inline(ft->index.seed, &k, sizeof k);
    int e = swapped ? 1 : 0; /* key endpoint that sent this packet */

    int t = transport_layer(pkt, i);
    const struct tcp_info *tcp =
        (t < pkt->nlayers && pkt->layers[t].type == LAYER_TCP) ? &pkt->layers[t].u.tcp : NULL;
    bool syn = tcp && (tcp->flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN;
    bool synack = tcp && (tcp->flags & (TCPF_SYN | TCPF_ACK)) == (TCPF_SYN | TCPF_ACK);

    struct flow_node *fn = flow_find_node(ft, &k, h);
    struct flow *f = !fn ? NULL : fn->form != FF_COMPACT ? flow_of(fn) : flow_full(ft, fn);
    if (fn && !f) { /* a compact flow that could not be expanded: out of memory */
        ft->st.no_flow++;
        return;
    }
    if (f && f->tcp && syn && tcp_closed(f->tcp) && !same_isn(f, e, tcp)) {
        finish(ft, f, FLOW_END_REUSED);
        f = NULL;
    }
    if (f && f->n.form == FF_PARKED)
        resume(ft, f);
    else if (f && f->tcp && f->tcp->parked)
        tables_back(ft, f); /* a packet after its close: a FIN re-sent, a late copy */
    if (!f) {
        f = new_flow(ft, &k, h);
        if (!f) {
            ft->st.no_flow++;
            return;
        }
        first_packet(ft, f, pkt, i, t, e, synack, sport, dport);
    } else if (syn && !f->tcp->syn_seen && f->n.cidx != e) {
        flow_swap_roles(f); /* the SYN's sender is the client, even when seen late */
    }
    int dir = f->n.cidx == e ? 0 : 1;

    uint16_t size = ip_size(&pkt->layers[i].u.ip);
    /* DF clear on a large IPv4 packet (a reassembled datagram's fragments
     * have it clear too): a router fragments it instead of sending ICMP */
    if (pkt->layers[i].u.ip.version == 4 && !(pkt->layers[i].u.ip.flags & IPF_DF) && size > 576)
        f->s.df_clear |= (uint8_t)(1u << dir);
    int64_t prev_ns = f->s.last_ns;
    int prev_dir = f->s.last_dir;
    count_packet(ft, f, dir, size, pkt->frame, ts);
    if (f->s.carries_tunnel)
        tunnel_packet(ft, f, pkt, t, dir, size, ts);
    else if (f->other && f->n.key.proto == IP_PROTO_UDP)
        udp_packet(ft, f, dir, size, ts, pkt->frame, prev_ns, prev_dir);
    unsigned ta = f->tcp && tcp ? tcp_packet(ft, f, dir, tcp, size, ts, pkt->frame) : 0;
    const struct ip_info *ip = &pkt->layers[i].u.ip;
    if (f->tcp && tcp && !f->tcp->h[dir].ttl)
        f->tcp->h[dir].ttl =
            ip->ttl; /* the sender's initial TTL less the hops before the capture */
    if (f->s.packets[dir] == 1)
        f->s.ttl[dir] = ip->ttl;
    if (tcp && tcp->payload_len && ip->version == 4) { /* DF given up: see flow_dir_summary */
        if (ip->flags & IPF_DF)
            df_set(&f->s, dir, df_of(&f->s, dir) ? df_of(&f->s, dir) : 1);
        else if (df_of(&f->s, dir) == 1)
            df_set(&f->s, dir, 2);
    }
    /* a datagram completed by defrag.c, the flow's own IP layer or an outer
     * one (whose re-decoded layers, the flow's included, are LF_REASSEMBLED) */
    if (ip->reasm_len || (pkt->layers[i].flags & LF_REASSEMBLED))
        frag_packet(ft, f, pkt, i, dir);
    storm_packet(ft, f, (ta & TA_ANY_RETRANS) != 0, pkt->frame);
    lru_touch(ft, f);
    /* A connection closed cleanly (both FINs acknowledged, or a RST, and
     * nothing left to re-send) gives its delivery tables back at once, as
     * compact copies: they cannot grow any more, only a late packet (a FIN
     * re-sent after a lost last ACK) needs them again before the summary,
     * and they are in the cache now.  It waits out its grace (flow.h) in
     * less memory, and when the live-flow cap parks it, cold by then, only
     * its links are touched (parking copied its tables out then: 10% of the
     * bench's 153,600-connection capture). */
    if (f->n.cls == TC_TCP_CLOSED && !f->tcp->parked)
        (void)tables_out(ft, f); /* false: out of memory, it keeps them */
    if (out) {
        out->flow = f->s.id;
        out->dir = (uint8_t)dir;
        out->ta = ta;
    }
}

static uint64_t node_id(const struct flow_node *n)
{
    if (n->form == FF_COMPACT)
        return ((const struct flow_compact *)n)->id;
    return ((const struct flow *)n)->s.id;
}

void flow_finish_all_at(struct flow_table *ft, int64_t end_ns)
{
    ft->capture_end_ns = end_ns;
    flow_finish_all(ft);
}

void flow_finish_all(struct flow_table *ft)
{
    for (;;) {
        struct flow_node *old = NULL;
        for (int c = 0; c < TC__COUNT; c++)
            if (ft->head[c] && (!old || node_id(ft->head[c]) < node_id(old)))
                old = ft->head[c];
        if (!old)
            break;
        finish_node(ft, old, FLOW_END_CAPTURE);
    }
    storm_emit(&ft->storms, &ft->storm);
}

/* A storm ended: counted, then handed to the caller. */
static void storm_counted(void *vft, const struct flow_storm *st)
{
    struct flow_table *ft = vft;
    ft->st.storms++;
    if (ft->storm_cb)
        ft->storm_cb(ft->ctx, st);
}

struct flow_table *flow_new(const struct flow_limits *lim, flow_done_fn done, flow_storm_fn storm,
                            void *ctx)
{
    struct flow_table *ft = calloc(1, sizeof *ft);
    if (!ft)
        return NULL;
    if (lim)
        ft->lim = *lim;
#define DEF(f, v)                                                                                  \
    if (!ft->lim.f)                                                                                \
    ft->lim.f = (v)
    DEF(max_flows, FLOW_DEFAULT_MAX_FLOWS);
    DEF(max_parked,
        ft->lim.max_flows > FLOW_DEFAULT_MAX_PARKED ? ft->lim.max_flows : FLOW_DEFAULT_MAX_PARKED);
    DEF(max_compact, FLOW_DEFAULT_MAX_COMPACT);
    DEF(timeout_tcp_ms, FLOW_TIMEOUT_TCP_MS);
    DEF(timeout_tcp_closed_ms, FLOW_TIMEOUT_TCP_CLOSED_MS);
    DEF(timeout_tcp_closing_ms, FLOW_TIMEOUT_TCP_CLOSING_MS);
    DEF(timeout_udp_ms, FLOW_TIMEOUT_UDP_MS);
    DEF(timeout_icmp_ms, FLOW_TIMEOUT_ICMP_MS);
    DEF(timeout_other_ms, FLOW_TIMEOUT_OTHER_MS);
#undef DEF
    ft->timeout_ns[TC_TCP] = ft->lim.timeout_tcp_ms * NS_PER_MS;
    ft->timeout_ns[TC_TCP_CLOSED] = ft->lim.timeout_tcp_closed_ms * NS_PER_MS;
    ft->timeout_ns[TC_TCP_CLOSING] = ft->lim.timeout_tcp_closing_ms * NS_PER_MS;
    ft->timeout_ns[TC_UDP] = ft->lim.timeout_udp_ms * NS_PER_MS;
    ft->timeout_ns[TC_ICMP] = ft->lim.timeout_icmp_ms * NS_PER_MS;
    ft->timeout_ns[TC_OTHER] = ft->lim.timeout_other_ms * NS_PER_MS;
    ft->done = done;
    ft->storm_cb = storm;
    ft->ctx = ctx;
    ft->storms.emit = storm_counted;
    ft->storms.ctx = ft;
    ht_init(&ft->index);
    flow_tun_init(&ft->tunnels, &ft->st);
    ft->dlpool = dl_pool_new();
    if (!ft->dlpool) {
        free(ft);
        return NULL;
    }
    return ft;
}

void flow_free(struct flow_table *ft)
{
    if (!ft)
        return;
    for (int c = 0; c < TC__COUNT; c++) {
        for (struct flow_node *n = ft->head[c]; n; n = n->next) { /* in use: what they hold */
            if (n->form == FF_COMPACT)
                continue; /* nothing but itself */
            struct flow *f = flow_of(n);
            if (f->tcp)
                tcp_release(f->tcp);
            storm_release(&ft->storms, &f->storm);
            free(f->rs);
            free(f->frags);
        }
    }
    for (uint32_t i = 0; i < ft->nall; i++)
        if (ft->all[i]->form != FF_COMPACT)
            free(ft->all[i]);
    free(ft->all);
    while (ft->slabs) {
        struct compact_slab *sl = ft->slabs;
        ft->slabs = sl->next;
        free(sl);
    }
    storm_release(&ft->storms, &ft->storm);
    storm_pool_free(&ft->storms);
    dl_pool_free(ft->dlpool);
    ht_free(&ft->index);
    flow_tun_free(&ft->tunnels);
    free(ft);
}

uint64_t flow_bytes_held(const struct flow_table *ft)
{
    return ft->bytes_held + ft->storms.bytes + dl_pool_bytes(ft->dlpool);
}

const struct flow_stats *flow_get_stats(const struct flow_table *ft)
{
    return &ft->st;
}

uint32_t flow_tunnel_count(const struct flow_table *ft)
{
    return ft->tunnels.n;
}

const struct flow_tunnel *flow_tunnel_get(const struct flow_table *ft, uint32_t id)
{
    return id >= 1 && id <= ft->tunnels.n ? &ft->tunnels.e[id - 1].t : NULL;
}
