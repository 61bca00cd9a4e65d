/*
 * flow.c - the flow table (see flow.h for the keys, timeouts and limits).
 *
 * Flows are found through the shared index (hashtab.h): the normalised key
 * hashed eight bytes at a time with the table's own seed (FNV-1a's byte loop
 * cost ~250 instructions a packet, more than the lookup itself), (tag, id)
 * slots at most half full, backward-shift delete.  An id is a flow
 * allocation's place in all[], and stays with it when a free list reuses it,
 * so the index holds no pointers.  The road not taken: the old specialised
 * (hash, pointer) slots saved the load from all[] but needed a delete of
 * their own; with the hash and the probe inlined, the shared index costs
 * about 20 instructions more a packet (callgrind: +0.6% on the bench's
 * short connections, +1% on a SYN flood of 65,536 live flows).
 * Each flow sits in the LRU list of its timeout class; expiry pops list heads.
 */
#include <endian.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "hashtab.h"

#define NS_PER_MS 1000000LL
#define STORM_BUCKETS 10
#define STORM_BUCKET_NS (FLOW_STORM_WINDOW_MS * NS_PER_MS / STORM_BUCKETS)

enum tclass { TC_TCP, TC_TCP_CLOSED, TC_TCP_CLOSING, TC_UDP, TC_ICMP, TC_OTHER, TC__COUNT };

struct flow_key {
    uint32_t tunnel;
    uint32_t xid; /* ESP SPI, ICMP echo id */
    uint16_t port[2];
    uint8_t version, proto;
    uint8_t addr[2][16];
};
_Static_assert(sizeof(struct flow_key) % 8 == 0, "key_eq reads whole words");

/* A storm window counts every packet, but most flows never retransmit: the
 * retransmission half (rtx) is taken from a free list at the first
 * retransmission.  Until then its buckets would all be zero, so starting it
 * late changes nothing. */
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

struct storm_win {
    int64_t cur; /* bucket number of the newest bucket */
    uint32_t pkts[STORM_BUCKETS];
    uint32_t pkts_sum; /* over the buckets: kept, not summed per packet */
    bool started;
    struct storm_rtx *rx; /* NULL: no retransmission yet */
};

struct wg_rx {
    uint32_t receiver;
    uint64_t max;    /* highest counter seen */
    uint64_t window; /* bit i: counter max - i seen (WireGuard's own replay window) */
};

/* What only non-TCP flows use, after struct flow in the same allocation
 * (a TCP flow has its struct tcp_conn there instead). */
struct flow_other {
    uint32_t size_hist[2][DL_NCLASSES]; /* by direction */
    uint32_t wg_data, wg_lost;
    uint32_t wg_lost_by[2]; /* lost WireGuard messages by direction */
    uint32_t wg_gap_frame;  /* the first message after a skipped counter */
    uint16_t wg_receivers;
    uint8_t nwg;
    struct wg_rx wg[FLOW_MAX_WG_RECEIVERS];
};

/* The parts of the summary that change packet by packet.  The 504-byte
 * struct flow_summary is built from them (and the TCP state) only when the
 * flow finishes: most of it is TCP results that live in struct tcp_conn
 * until then, and a live flow should cost what it uses. */
struct flow_live {
    uint64_t id, stream;
    uint64_t first_frame, last_frame;
    int64_t first_ns, last_ns;
    uint64_t retransmissions;
    uint64_t packets[2], bytes[2]; /* by direction, 0 client->server */
    struct addr client, server;
    uint32_t carries_tunnel;
    uint32_t storms;
    uint16_t max_packet[2];
    uint16_t input, client_port, server_port;
    uint8_t opaque;
};

struct flow {
    struct flow_key key;
    uint64_t hash;
    struct flow *prev, *next; /* LRU list of its class; next: the free list too */
    int64_t active_ns;        /* capture clock at the last packet */
    uint8_t cls;
    uint8_t cidx; /* key endpoint that is the client */
    uint32_t hid; /* its id in the index: all[hid - 1] is this flow, live or free */
    struct flow_live s;
    struct storm_win storm;
    struct tcp_conn *tcp;     /* TCP: right after this struct, same allocation */
    struct flow_other *other; /* the others: there instead */
    struct resend_track *rs;  /* opaque tunnels: by direction (resend.h), else NULL */
};

struct tun_entry {
    uint8_t k[48]; /* normalised key bytes */
    struct flow_tunnel t;
};

struct flow_table {
    struct flow_limits lim;
    flow_done_fn done;
    flow_storm_fn storm_cb;
    void *ctx;
    struct hashtab index;  /* live flows by key: ids into all[] */
    struct flow **all;     /* every flow allocated, live or on a free list */
    uint32_t nall, capall; /* an id stays with its allocation */
    struct flow *head[TC__COUNT], *tail[TC__COUNT];
    int64_t timeout_ns[TC__COUNT];
    int64_t clock_ns;
    bool clock_set;
    uint64_t next_id, next_stream[256];
    struct flow *free_tcp, *free_small;
    struct storm_rtx *free_rtx;
    struct dl_pool *dlpool; /* delivery tables, taken at a direction's first data */
    uint64_t bytes_held;
    struct storm_win storm; /* across the capture */
    struct tun_entry *tun;
    uint32_t ntun, tuncap;
    struct hashtab tindex; /* tunnels by key: ids 1..ntun */
    struct flow_stats st;
};

static int64_t pkt_ns(const struct packet *p)
{
    return p->ts_sec * 1000000000LL + (int64_t)p->ts_nsec;
}

static void addr_bytes(const struct addr *a, uint8_t out[16])
{
    memset(out, 0, 16);
    if (a->addr_type == ADDR_TYPE_IP)
        memcpy(out, &a->addr_ip, 4);
    else if (a->addr_type == ADDR_TYPE_IP6)
        memcpy(out, &a->addr_ip6, 16);
}

/* memcmp(a, b, 16) by two big-endian words: a library call per packet
 * otherwise (gcc inlines memcmp only when its result is compared with 0). */
static int addr_order(const uint8_t *a, const uint8_t *b)
{
    for (int i = 0; i < 16; i += 8) {
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        x = be64toh(x);
        y = be64toh(y);
        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}

/* Orders the two endpoints; returns true when they were swapped. */
static bool normalise(uint8_t *a0, uint8_t *a1, uint16_t *p0, uint16_t *p1)
{
    int c = addr_order(a0, a1);
    if (c < 0 || (c == 0 && *p0 <= *p1))
        return false;
    uint8_t t[16];
    memcpy(t, a0, 16);
    memcpy(a0, a1, 16);
    memcpy(a1, t, 16);
    uint16_t tp = *p0;
    *p0 = *p1;
    *p1 = tp;
    return true;
}

static bool is_ip(const struct layer *l)
{
    return l->type == LAYER_IPV4 || l->type == LAYER_IPV6;
}

/* Flow memory: n more bytes held (0: the delivery pool may have grown); the
 * peak follows. */
static void mem_held(struct flow_table *ft, size_t n)
{
    ft->bytes_held += n;
    uint64_t held = ft->bytes_held + dl_pool_bytes(ft->dlpool);
    if (held > ft->st.bytes_peak)
        ft->st.bytes_peak = held;
}

/* ---- tunnel registry ---- */

/* Room for one more tunnel: its entry and its place in the index. */
static bool tun_grow(struct flow_table *ft)
{
    if (ft->ntun == ft->tuncap) {
        uint32_t cap = ft->tuncap ? ft->tuncap * 2 : 16;
        struct tun_entry *t = realloc(ft->tun, cap * sizeof *t);
        if (!t)
            return false;
        ft->tun = t;
        ft->tuncap = cap;
    }
    return true;
}

/* The tunnel id of a context, registering it on first sight; 0 when the
 * registry is full (counted). */
static uint32_t tun_get(struct flow_table *ft, uint8_t type, const struct layer *outer,
                        uint8_t inner_version, uint16_t sport, uint16_t dport, uint32_t key)
{
    uint8_t k[48] = {0};
    uint8_t a[2][16];
    /* A decoded tunnel's UDP source port is a hash of the inner flow, and
     * Linux rehashes it when a connection retransmits (sk_rethink_txhash):
     * ports key only the opaque tunnels, which are UDP flows themselves. */
    bool opaque = type == LAYER_WIREGUARD || type == LAYER_OPENVPN || type == LAYER_ESP;
    uint16_t port[2] = {opaque ? sport : 0, opaque ? dport : 0};
    addr_bytes(&outer->u.ip.src, a[0]);
    addr_bytes(&outer->u.ip.dst, a[1]);
    normalise(a[0], a[1], &port[0], &port[1]);
    memcpy(k, a, 32);
    memcpy(k + 32, port, 4);
    memcpy(k + 36, &key, 4);
    k[40] = type;
    k[41] = outer->u.ip.version;
    k[42] = inner_version;
    uint64_t h = hash_bytes_inline(ft->tindex.seed, k, sizeof k);
    struct ht_probe pr;
    for (uint32_t id = ht_first(&ft->tindex, h, &pr); id != HT_NONE; id = ht_next(&ft->tindex, &pr))
        if (memcmp(ft->tun[id - 1].k, k, sizeof k) == 0)
            return id;
    if (ft->ntun >= FLOW_MAX_TUNNELS || !tun_grow(ft) || !ht_insert(&ft->tindex, h, ft->ntun + 1)) {
        ft->st.tunnels_unregistered++;
        return 0;
    }
    struct tun_entry *e = &ft->tun[ft->ntun++];
    memset(e, 0, sizeof *e);
    memcpy(e->k, k, sizeof k);
    e->t.id = ft->ntun;
    e->t.type = type;
    e->t.ip_version = outer->u.ip.version;
    e->t.inner_version = inner_version;
    e->t.outer_src = outer->u.ip.src;
    e->t.outer_dst = outer->u.ip.dst;
    e->t.sport = sport;
    e->t.dport = dport;
    e->t.key = key;
    ft->st.tunnels = ft->ntun;
    return e->t.id;
}

static uint16_t ip_size(const struct ip_info *ip)
{
    uint32_t n = ip->reasm_len ? ip->reasm_len : ip->ip_len;
    return n > UINT16_MAX ? UINT16_MAX : (uint16_t)n;
}

/* The tunnel enclosing IP layer i: the nearest tunnel layer before it and
 * that layer's outer IP, or the IP layer right before it (IP-in-IP). */
static uint32_t tunnel_of(struct flow_table *ft, const struct packet *p, int i, bool count)
{
    if (p->layers[i].tunnel == 0)
        return 0;
    int tl = -1;
    uint16_t sport = 0, dport = 0;
    uint8_t type = 0;
    for (int j = i - 1; j >= 0; j--) {
        const struct layer *l = &p->layers[j];
        switch (l->type) {
        case LAYER_GRE:
        case LAYER_VXLAN:
        case LAYER_GENEVE:
        case LAYER_GTPU:
        case LAYER_L2TP:
        case LAYER_TEREDO:
            if (tl < 0) {
                tl = j;
                type = l->type;
            }
            break;
        case LAYER_MPLS:
            if (tl < 0)
                type = LAYER_MPLS;
            break;
        case LAYER_UDP:
            if (tl < 0 && type == 0)
                type = LAYER_UDP;
            sport = l->u.udp.sport;
            dport = l->u.udp.dport;
            break;
        case LAYER_IPV4:
        case LAYER_IPV6: {
            uint32_t key = 0;
            if (tl >= 0) {
                const struct layer *t = &p->layers[tl];
                if (t->type == LAYER_GRE && (t->u.gre.flags & GREF_KEY))
                    key = t->u.gre.key;
                else if (t->type == LAYER_VXLAN)
                    key = t->u.vxlan.vni;
                else if (t->type == LAYER_GENEVE)
                    key = t->u.geneve.vni;
                else if (t->type == LAYER_GTPU)
                    key = t->u.gtpu.teid;
                else if (t->type == LAYER_L2TP)
                    key = (uint32_t)t->u.l2tp.tunnel << 16 | t->u.l2tp.session;
            } else if (type == 0) {
                type = l->type; /* IP directly in IP */
            }
            uint32_t id = tun_get(ft, type, l, p->layers[i].u.ip.version, sport, dport, key);
            if (id && count) {
                struct flow_tunnel *t = &ft->tun[id - 1].t;
                uint16_t in = ip_size(&p->layers[i].u.ip), out = ip_size(&l->u.ip);
                if (t->packets++ == 0 && out > in)
                    t->overhead = (uint16_t)(out - in);
                if (in > t->inner_max)
                    t->inner_max = in;
            }
            return id;
        }
        default:
            break;
        }
    }
    return 0;
}

/* ---- LRU lists and the hash table ---- */

static void lru_unlink(struct flow_table *ft, struct flow *f)
{
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

static void lru_append(struct flow_table *ft, struct flow *f)
{
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

static struct flow *lookup(const struct flow_table *ft, const struct flow_key *k, uint64_t h)
{
    struct ht_probe pr;
    for (uint32_t id = ht_first(&ft->index, h, &pr); id != HT_NONE; id = ht_next(&ft->index, &pr))
        if (key_eq(&ft->all[id - 1]->key, k))
            return ft->all[id - 1];
    return NULL;
}

/* A new flow of sz bytes, numbered in all[]; NULL when out of memory. */
static struct flow *flow_alloc(struct flow_table *ft, size_t sz)
{
    if (ft->nall == ft->capall) {
        uint32_t cap = ft->capall ? ft->capall * 2 : 1024;
        struct flow **a = realloc(ft->all, cap * sizeof *a);
        if (!a)
            return NULL;
        ft->all = a;
        ft->capall = cap;
    }
    struct flow *f = malloc(sz);
    if (!f)
        return NULL;
    ft->all[ft->nall++] = f;
    f->hid = ft->nall;
    mem_held(ft, sz);
    return f;
}

/* ---- storms ---- */

static void storm_emit(struct flow_table *ft, struct storm_win *w)
{
    struct storm_rtx *x = w->rx;
    if (!x || !x->open)
        return;
    x->open = false;
    x->last_end_ns = x->st.end_ns;
    ft->st.storms++;
    if (ft->storm_cb)
        ft->storm_cb(ft->ctx, &x->st);
}

/* A zeroed retransmission half for a window, or NULL when out of memory. */
static struct storm_rtx *storm_rtx_get(struct flow_table *ft)
{
    struct storm_rtx *x = ft->free_rtx;
    if (x) {
        ft->free_rtx = x->free_next;
    } else {
        x = malloc(sizeof *x);
        if (!x)
            return NULL;
        mem_held(ft, sizeof *x);
    }
    memset(x, 0, sizeof *x);
    return x;
}

static void storm_release(struct flow_table *ft, struct storm_win *w)
{
    if (w->rx) {
        w->rx->free_next = ft->free_rtx;
        ft->free_rtx = w->rx;
        w->rx = NULL;
    }
}

/* Adds a packet at time now (the capture clock, never behind) to window w. */
static bool storm_add(struct flow_table *ft, struct storm_win *w, int64_t now, uint64_t frame,
                      bool retx, uint64_t flow)
{
    int64_t b = now / STORM_BUCKET_NS;
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
        x = w->rx = storm_rtx_get(ft);
    if (!x)
        return false; /* no retransmission in this window yet: no storm */
    if (retx)
        x->rtx_sum++;
    if (retx && x->rtx[s]++ == 0) {
        x->first_ns[s] = now;
        x->first_frame[s] = frame;
    }
    uint32_t r = x->rtx_sum, p = w->pkts_sum;
    bool storm =
        r >= FLOW_STORM_MIN_RETRANS && (uint64_t)r * 100 >= (uint64_t)p * FLOW_STORM_MIN_PERCENT;
    bool opened = false;
    /* A storm that dips below the threshold stays open for one window after
     * its last retransmission, and resumes if the rate comes back: bursts a
     * few hundred ms apart are one storm, not several overlapping ones. */
    if (x->open && !storm && now - x->st.end_ns > FLOW_STORM_WINDOW_MS * NS_PER_MS)
        storm_emit(ft, w);
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

/* ---- flows ---- */

static enum tclass class_of(const struct flow *f)
{
    switch (f->key.proto) {
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

static uint32_t sat32(uint64_t v)
{
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static void fill_dir(struct flow_dir_summary *d, const struct tcp_half *h)
{
    d->tcp = h->n;
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
    d->dl_sent = sat32(dl->sent);
    d->dl_delivered = sat32(dl->delivered);
    d->dl_lost = sat32(dl->lost);
    d->dl_superseded = sat32(dl->superseded);
    d->dl_unacked = sat32(dl->unacked);
    d->dl_evicted = sat32(dl->evicted);
    d->largest_delivered = dl->largest_delivered;
    d->smallest_lost = dl->smallest_lost;
    d->nlost_frames = dl->nframes < FLOW_EVIDENCE_FRAMES ? dl->nframes : FLOW_EVIDENCE_FRAMES;
    for (int i = 0; i < d->nlost_frames; i++)
        d->lost_frames[i] = sat32(dl->lost_frames[i]);
}

static void release(struct flow_table *ft, struct flow *f)
{
    if (f->rs) {
        free(f->rs);
        f->rs = NULL;
        ft->bytes_held -= 2 * sizeof(struct resend_track);
    }
    storm_release(ft, &f->storm);
    if (f->tcp) {
        tcp_release(f->tcp);
        f->next = ft->free_tcp;
        ft->free_tcp = f;
    } else {
        f->next = ft->free_small;
        ft->free_small = f;
    }
}

/* The summary of a finished flow, from what it kept while live. */
static void summarise(const struct flow *f, struct flow_summary *s)
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
    s->client = l->client;
    s->server = l->server;
    s->client_port = l->client_port;
    s->server_port = l->server_port;
    s->input = l->input;
    s->proto = f->key.proto;
    s->ip_version = f->key.version;
    s->tunnel = f->key.tunnel;
    if (f->key.proto == IP_PROTO_ESP)
        s->spi = f->key.xid;
    s->carries_tunnel = l->carries_tunnel;
    s->opaque = l->opaque;
    s->storms = l->storms;
    for (int d = 0; d < 2; d++) {
        s->dir[d].packets = l->packets[d];
        s->dir[d].bytes = l->bytes[d];
        s->dir[d].max_packet = l->max_packet[d];
    }
    if (f->other) {
        s->wg_data = f->other->wg_data;
        s->wg_lost = f->other->wg_lost;
        s->wg_receivers = f->other->wg_receivers;
        s->wg_gap_frame = f->other->wg_gap_frame;
        s->wg_lost_dir = f->other->wg_lost_by[1] > f->other->wg_lost_by[0];
    }
}

static void finish(struct flow_table *ft, struct flow *f, enum flow_end why)
{
    static const uint32_t no_hist[DL_NCLASSES]; /* TCP counts sizes in its delivery tables */
    struct flow_summary sum, *s = &sum;
    summarise(f, s);
    struct flow_detail det = {{NULL, NULL}, {no_hist, no_hist}, NULL, {NULL, NULL}};
    if (f->other) {
        det.size_hist[0] = f->other->size_hist[0];
        det.size_hist[1] = f->other->size_hist[1];
    }
    s->end = (uint8_t)why;
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
            fill_dir(&s->dir[d], &f->tcp->h[d]);
            uint64_t sf = 0;
            s->dir[d].stalled = tcp_stalled(f->tcp, d, s->last_ns, &s->dir[d].stall_ns, &sf);
            s->dir[d].stall_frame = sat32(sf);
            s->stalled |= s->dir[d].stalled;
            det.sizes[d] = f->tcp->h[d].dl ? &f->tcp->h[d].dl->sizes : delivery_no_sizes();
        }
        s->irtt_ns = f->tcp->irtt_ns;
        det.tcp = f->tcp;
    }
    storm_emit(ft, &f->storm);
    switch (why) {
    case FLOW_END_IDLE:
        ft->st.expired++;
        break;
    case FLOW_END_EVICTED:
        ft->st.evicted++;
        break;
    case FLOW_END_REUSED:
        ft->st.reused++;
        break;
    default:
        break;
    }
    if (ft->done)
        ft->done(ft->ctx, s, &det);
    lru_unlink(ft, f);
    ht_remove(&ft->index, f->hash, f->hid);
    ft->st.live--;
    release(ft, f);
}

static void expire(struct flow_table *ft)
{
    for (int c = 0; c < TC__COUNT; c++)
        while (ft->head[c] && ft->clock_ns - ft->head[c]->active_ns >= ft->timeout_ns[c])
            finish(ft, ft->head[c], FLOW_END_IDLE);
}

static struct flow *new_flow(struct flow_table *ft, const struct flow_key *k, uint64_t h)
{
    if (ft->st.live >= ft->lim.max_flows) {
        struct flow *old = NULL;
        for (int c = 0; c < TC__COUNT; c++)
            if (ft->head[c] && (!old || ft->head[c]->active_ns < old->active_ns))
                old = ft->head[c];
        if (old)
            finish(ft, old, FLOW_END_EVICTED);
    }
    bool tcp = k->proto == IP_PROTO_TCP;
    struct flow **fl = tcp ? &ft->free_tcp : &ft->free_small;
    struct flow *f = *fl;
    if (f)
        *fl = f->next;
    else if (!(f = flow_alloc(ft, sizeof *f +
                                      (tcp ? sizeof(struct tcp_conn) : sizeof(struct flow_other)))))
        return NULL;
    uint32_t hid = f->hid;
    if (!ht_insert(&ft->index, h, hid)) {
        f->next = *fl;
        *fl = f;
        return NULL;
    }
    memset(f, 0, sizeof *f);
    f->hid = hid;
    f->key = *k;
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
    f->cls = (uint8_t)class_of(f);
    lru_append(ft, f);
    return f;
}

/* Makes the other endpoint of the key the client (a SYN seen late). */
static void swap_roles(struct flow *f)
{
    struct flow_live *s = &f->s;
    f->cidx ^= 1;
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
    if (f->other) {
        uint32_t hist[DL_NCLASSES];
        memcpy(hist, f->other->size_hist[0], sizeof hist);
        memcpy(f->other->size_hist[0], f->other->size_hist[1], sizeof hist);
        memcpy(f->other->size_hist[1], hist, sizeof hist);
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

/* A SYN that repeats the ISN of its sender's earlier SYN is that SYN sent
 * again (after a RST, Windows and Linux retry with the same ISN), so it stays
 * in the connection; another ISN is a new connection on the same ports. */
static bool same_isn(const struct flow *f, int e, const struct tcp_info *t)
{
    const struct tcp_half *h = &f->tcp->h[f->cidx == e ? 0 : 1];
    return (h->seen & HS_ISN) && h->isn == t->seq;
}

/* WireGuard data message: counters per receiver index, gaps counted as lost
 * and taken back when the missing counter shows up late (within 64). */
static void wg_data(struct flow_other *f, const struct wireguard_info *w, int dir, uint64_t frame)
{
    struct wg_rx *r = NULL;
    if (f->wg_data < UINT32_MAX)
        f->wg_data++;
    for (int i = 0; i < f->nwg; i++)
        if (f->wg[i].receiver == w->receiver)
            r = &f->wg[i];
    if (!r) {
        if (f->nwg == FLOW_MAX_WG_RECEIVERS)
            return;
        r = &f->wg[f->nwg++];
        r->receiver = w->receiver;
        r->max = w->counter;
        r->window = 1;
        f->wg_receivers++;
        return;
    }
    uint64_t c = w->counter;
    if (c > r->max) {
        uint64_t shift = c - r->max, lost = shift - 1;
        if (lost && !f->wg_gap_frame)
            f->wg_gap_frame = sat32(frame);
        f->wg_lost = sat32(f->wg_lost + lost);
        f->wg_lost_by[dir] = sat32(f->wg_lost_by[dir] + lost);
        r->window = shift >= 64 ? 1 : (r->window << shift) | 1;
        r->max = c;
    } else if (r->max - c < 64) {
        uint64_t bit = 1ull << (r->max - c);
        if (!(r->window & bit)) {
            r->window |= bit;
            if (f->wg_lost)
                f->wg_lost--;
            if (f->wg_lost_by[dir])
                f->wg_lost_by[dir]--;
        }
    }
}

/* Fills the key from IP layer i and the layer after it.  Returns false when
 * the packet belongs to no flow (a TCP/UDP header that was not decoded). */
static bool make_key(const struct packet *p, int i, struct flow_key *k, bool *swapped,
                     uint16_t *sport, uint16_t *dport)
{
    const struct ip_info *ip = &p->layers[i].u.ip;
    int t = i + 1;
    while (t < p->nlayers && p->layers[t].type == LAYER_AH)
        t++;
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
        if (!is_ip(l) || (l->flags & LF_QUOTED))
            continue;
        if (l->u.ip.src.addr_type != ADDR_TYPE_IP && l->u.ip.src.addr_type != ADDR_TYPE_IP6)
            return -1;
        return i;
    }
    return -1;
}

void flow_packet(struct flow_table *ft, const struct packet *pkt, struct flow_pkt *out)
{
    if (out)
        memset(out, 0, sizeof *out);
    int64_t ts = pkt_ns(pkt);
    if (!ft->clock_set || ts > ft->clock_ns) {
        ft->clock_ns = ts;
        ft->clock_set = true;
    }
    expire(ft);

    int i = flow_ip_layer(pkt);
    if (i < 0) {
        ft->st.no_flow++;
        return;
    }
    const struct ip_info *ip = &pkt->layers[i].u.ip;
    const struct layer *il = &pkt->layers[i];
    if ((il->flags & (LF_TRUNCATED | LF_REASSEMBLED)) == LF_TRUNCATED &&
        il->offset + (ip->version == 6 ? 40u : 20u) > pkt->caplen) {
        ft->st.no_flow++; /* the addresses were not all captured */
        return;
    }
    if ((ip->flags & IPF_FRAGMENT) && !ip->reasm_len) {
        ft->st.no_flow++; /* defrag holds it; the datagram counts when complete */
        return;
    }
    struct flow_key k;
    bool swapped;
    uint16_t sport, dport;
    if (!make_key(pkt, i, &k, &swapped, &sport, &dport)) {
        ft->st.no_flow++;
        return;
    }
    k.tunnel = tunnel_of(ft, pkt, i, true);
    uint64_t h = hash_bytes_inline(ft->index.seed, &k, sizeof k);
    int e = swapped ? 1 : 0; /* key endpoint that sent this packet */

    int t = i + 1;
    while (t < pkt->nlayers && pkt->layers[t].type == LAYER_AH)
        t++;
    const struct tcp_info *tcp =
        (t < pkt->nlayers && pkt->layers[t].type == LAYER_TCP) ? &pkt->layers[t].u.tcp : NULL;
    bool syn = tcp && (tcp->flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN;
    bool synack = tcp && (tcp->flags & (TCPF_SYN | TCPF_ACK)) == (TCPF_SYN | TCPF_ACK);

    struct flow *f = lookup(ft, &k, h);
    if (f && f->tcp && syn && tcp_closed(f->tcp) && !same_isn(f, e, tcp)) {
        finish(ft, f, FLOW_END_REUSED);
        f = NULL;
    }
    if (!f) {
        f = new_flow(ft, &k, h);
        if (!f) {
            ft->st.no_flow++;
            return;
        }
        f->cidx = (uint8_t)(synack ? !e : e);
        bool sender_client = f->cidx == e;
        f->s.client = sender_client ? ip->src : ip->dst;
        f->s.server = sender_client ? ip->dst : ip->src;
        f->s.client_port = sender_client ? sport : dport;
        f->s.server_port = sender_client ? dport : sport;
        if (k.xid && (k.proto == IP_PROTO_ICMP || k.proto == IP_PROTO_ICMPV6))
            f->s.client_port = f->s.server_port = (uint16_t)k.xid;
        f->s.input = pkt->input;
        f->s.first_frame = pkt->frame;
        f->s.first_ns = f->s.last_ns = ts;
        /* an opaque tunnel: register it, so tunnels[] is complete */
        if (t < pkt->nlayers) {
            const struct layer *o = NULL;
            if (pkt->layers[t].type == LAYER_ESP)
                o = &pkt->layers[t];
            else if (pkt->layers[t].type == LAYER_UDP && t + 1 < pkt->nlayers)
                o = &pkt->layers[t + 1];
            if (o &&
                (o->type == LAYER_WIREGUARD || o->type == LAYER_ESP || o->type == LAYER_OPENVPN)) {
                f->s.opaque = o->type;
                f->s.carries_tunnel = tun_get(ft, o->type, &pkt->layers[i], 0, sport, dport,
                                              o->type == LAYER_ESP ? o->u.esp.spi : 0);
                /* once per tunnel flow, and few of them: a failure only
                 * loses the re-send evidence */
                f->rs = calloc(2, sizeof *f->rs);
                if (f->rs)
                    mem_held(ft, 2 * sizeof *f->rs);
            }
        }
    } else if (syn && !f->tcp->syn_seen && f->cidx != e) {
        swap_roles(f); /* the SYN's sender is the client, even when seen late */
    }
    int dir = f->cidx == e ? 0 : 1;

    struct flow_live *s = &f->s;
    uint16_t size = ip_size(ip);
    s->packets[dir]++;
    s->bytes[dir] += size;
    if (size > s->max_packet[dir])
        s->max_packet[dir] = size;
    if (f->other)
        f->other->size_hist[dir][delivery_class(size)]++;
    s->last_frame = pkt->frame;
    if (ts < s->first_ns)
        s->first_ns = ts; /* timestamps out of order: first/last are min/max */
    if (ts > s->last_ns)
        s->last_ns = ts;
    ft->st.packets++;
    if (s->carries_tunnel) {
        struct flow_tunnel *tu = &ft->tun[s->carries_tunnel - 1].t;
        tu->packets++;
        bool data = true; /* what the tunnel's inner traffic rides in */
        if (s->opaque == LAYER_WIREGUARD) {
            const struct wireguard_info *w = &pkt->layers[t + 1].u.wg;
            data = w->msg_type == WG_DATA;
            if (data && f->other) {
                wg_data(f->other, w, dir, pkt->frame);
                if (w->inner_len > tu->inner_max)
                    tu->inner_max = w->inner_len;
            }
        }
        if (f->rs) {
            if (data)
                resend_packet(&f->rs[dir], size, ts, pkt->frame);
            resend_peer_packet(&f->rs[!dir]);
        }
    }

    unsigned ta = 0;
    if (f->tcp && tcp) {
        ta = tcp_segment(f->tcp, dir, tcp, size, ts, pkt->frame);
        if (tcp->payload_len) /* it may have taken a delivery table */
            mem_held(ft, 0);
        if (ta & TA_ANY_RETRANS) {
            s->retransmissions++;
            ft->st.retransmissions++;
        }
    }
    bool retx = (ta & TA_ANY_RETRANS) != 0;
    if (storm_add(ft, &f->storm, ft->clock_ns, pkt->frame, retx, s->id))
        s->storms++;
    storm_add(ft, &ft->storm, ft->clock_ns, pkt->frame, retx, 0);

    f->active_ns = ft->clock_ns;
    uint8_t cls = (uint8_t)class_of(f);
    if (cls != f->cls || ft->tail[cls] != f) { /* bulk flows are mostly the newest already */
        lru_unlink(ft, f);
        f->cls = cls;
        lru_append(ft, f);
    }
    if (out) {
        out->flow = s->id;
        out->dir = (uint8_t)dir;
        out->ta = ta;
    }
}

uint64_t flow_lookup_quoted(struct flow_table *ft, const struct packet *pkt, int icmp_layer)
{
    if (icmp_layer < 0 || icmp_layer >= pkt->nlayers)
        return 0;
    int q = pkt->layers[icmp_layer].u.icmp.quote_layer;
    if (q <= icmp_layer || q >= pkt->nlayers || !is_ip(&pkt->layers[q]))
        return 0;
    struct flow_key k;
    bool swapped;
    uint16_t sport, dport;
    if (!make_key(pkt, q, &k, &swapped, &sport, &dport))
        return 0;
    int outer = -1;
    for (int j = icmp_layer - 1; j >= 0 && outer < 0; j--)
        if (is_ip(&pkt->layers[j]))
            outer = j;
    /* the quoted packet travelled in the tunnel the error came back through */
    k.tunnel = outer >= 0 ? tunnel_of(ft, pkt, outer, false) : 0;
    struct flow *f = lookup(ft, &k, hash_bytes_inline(ft->index.seed, &k, sizeof k));
    return f ? f->s.id : 0;
}

void flow_finish_all(struct flow_table *ft)
{
    for (;;) {
        struct flow *old = NULL;
        for (int c = 0; c < TC__COUNT; c++)
            if (ft->head[c] && (!old || ft->head[c]->s.id < old->s.id))
                old = ft->head[c];
        if (!old)
            break;
        finish(ft, old, FLOW_END_CAPTURE);
    }
    storm_emit(ft, &ft->storm);
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
    ht_init(&ft->index);
    ht_init(&ft->tindex);
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
        for (struct flow *f = ft->head[c]; f; f = f->next) { /* live: what they hold */
            if (f->tcp)
                tcp_release(f->tcp);
            storm_release(ft, &f->storm);
            free(f->rs);
        }
    }
    for (uint32_t i = 0; i < ft->nall; i++)
        free(ft->all[i]);
    free(ft->all);
    storm_release(ft, &ft->storm);
    while (ft->free_rtx) {
        struct storm_rtx *x = ft->free_rtx;
        ft->free_rtx = x->free_next;
        free(x);
    }
    dl_pool_free(ft->dlpool);
    ht_free(&ft->index);
    ht_free(&ft->tindex);
    free(ft->tun);
    free(ft);
}

const struct flow_stats *flow_get_stats(const struct flow_table *ft)
{
    return &ft->st;
}

uint32_t flow_tunnel_count(const struct flow_table *ft)
{
    return ft->ntun;
}

const struct flow_tunnel *flow_tunnel_get(const struct flow_table *ft, uint32_t id)
{
    return id >= 1 && id <= ft->ntun ? &ft->tun[id - 1].t : NULL;
}
