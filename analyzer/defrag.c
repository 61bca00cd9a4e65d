/*
 * defrag.c - IP fragment reassembly (see defrag.h for the contract).
 *
 * Each open datagram has one buffer for its payload and a bitmap with one
 * bit per payload byte.  Byte granularity costs 1/8 of the buffer but makes
 * "is this range already here", overlap detection and completion exact,
 * whatever sizes the fragments come in.  The buffer starts at 2 KiB and
 * doubles up to 64 KiB (no IP datagram payload is longer), so a datagram
 * costs a handful of allocations, not one per fragment.
 *
 * Open datagrams sit in a hash table (lookup O(1)) and on a list in the
 * order they were opened; expiry and eviction take from the old end of that
 * list, so neither ever scans the table.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "defrag.h"
#include "hashtab.h"

#define KEY_LEN 44
#define BUF_MIN 2048u
#define BUF_MAX 65536u /* fragment offset + length stop at 65535 (RFC 791, RFC 8200) */
#define DONE_MAX (PKT_MAX_TUNNELS + 1)
#define IPV6_FRAG_HDR 8

struct dgram {
    struct dgram *hnext;         /* hash chain */
    struct dgram *older, *newer; /* the age list */
    uint8_t key[KEY_LEN];
    uint32_t hash;
    int64_t first_ms; /* capture time of the first fragment seen */
    int64_t last_ns;  /* ... and of the latest, in ns */
    uint64_t first_frame;
    uint64_t frames[4]; /* the fragments that came, the first 4 */
    uint16_t nfrags;
    uint32_t max_frag;    /* largest fragment, IP size */
    uint32_t max_nonlast; /* ... of those with MF set */
    uint64_t nonlast_frame;
    uint8_t nonlast_ttl;
    uint32_t max_crossed; /* ... of those captured past a router (ttl_routers_crossed()) */
    uint64_t crossed_frame;
    uint8_t crossed_ttl;
    uint8_t *data; /* cap bytes of payload */
    uint8_t *have; /* cap / 8 bytes: bit set when the payload byte is here */
    uint32_t cap;
    uint32_t present; /* payload bytes here */
    uint32_t max_end; /* highest offset + length seen */
    uint32_t end;     /* payload length, known once the last fragment came */
    uint16_t hdr_len; /* IP header in front of the payload, from the offset-0 fragment */
    uint8_t proto;    /* upper-layer protocol, from the offset-0 fragment */
    bool last_seen;
    bool first_seen;       /* the offset-0 fragment came */
    uint16_t sport, dport; /* TCP/UDP ports from the offset-0 fragment, as captured */
    bool broken;           /* a fragment was cut by the snap length: never completes */
    bool tcp_head;         /* the offset-0 fragment's captured bytes hold a whole TCP header */
    bool udp_head;         /* ... a whole UDP header */
    uint32_t head_avail;   /* the offset-0 fragment's upper-layer bytes captured */
    bool crafted;          /* overlapping or needlessly small fragments: not an IP stack's */
    /* the outermost IP header of the frames that carried its fragments
     * (defrag.h, struct defrag_arrived): the lowest TTL, and whether one was
     * at a sender's initial value */
    uint8_t carrier_ttl;
    bool carrier_fresh;
};

struct defrag {
    struct defrag_limits lim;
    struct dgram **buckets;
    uint32_t nbuckets; /* power of two */
    uint64_t seed;     /* hashtab.h: keys an attacker sends cannot be made to collide */
    struct dgram *oldest, *newest;
    uint8_t *done[DONE_MAX]; /* buffers handed to decode_reassembled(), freed next call */
    size_t ndone;
    struct defrag_stats st;
};

struct defrag *defrag_new(const struct defrag_limits *lim)
{
    struct defrag *df = calloc(1, sizeof *df);
    if (!df)
        return NULL;
    df->seed = hash_seed();
    if (lim)
        df->lim = *lim;
    if (!df->lim.max_datagrams)
        df->lim.max_datagrams = DEFRAG_DEFAULT_MAX_DATAGRAMS;
    if (!df->lim.max_bytes)
        df->lim.max_bytes = DEFRAG_DEFAULT_MAX_BYTES;
    if (!df->lim.timeout_ms)
        df->lim.timeout_ms = DEFRAG_DEFAULT_TIMEOUT_MS;
    /* One bucket per datagram allowed keeps chains short; the cap stops a
     * silly limit from asking for gigabytes of empty buckets. */
    df->nbuckets = 16;
    while (df->nbuckets < df->lim.max_datagrams && df->nbuckets < (1u << 20))
        df->nbuckets <<= 1;
    df->buckets = calloc(df->nbuckets, sizeof *df->buckets);
    if (!df->buckets) {
        free(df);
        return NULL;
    }
    return df;
}

static void release_done(struct defrag *df)
{
    for (size_t i = 0; i < df->ndone; i++)
        free(df->done[i]);
    df->ndone = 0;
}

static uint64_t buf_bytes(uint32_t cap)
{
    return (uint64_t)cap + cap / 8;
}

static void unlink_dgram(struct defrag *df, struct dgram *g)
{
    struct dgram **pp = &df->buckets[g->hash & (df->nbuckets - 1)];
    while (*pp && *pp != g)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = g->hnext;
    if (g->older)
        g->older->newer = g->newer;
    else
        df->oldest = g->newer;
    if (g->newer)
        g->newer->older = g->older;
    else
        df->newest = g->older;
    df->st.held_bytes -= buf_bytes(g->cap);
    df->st.held_datagrams--;
}

/* Unlinks and frees g; its data buffer too unless the caller took it. */
static void drop_dgram(struct defrag *df, struct dgram *g)
{
    unlink_dgram(df, g);
    free(g->data);
    free(g->have);
    free(g);
}

/* A datagram fragmented by an IP stack, outermost (tunnel depth 0): how
 * its host pair's datagrams are cut (defrag.h). */
static void record_cut(struct defrag *df, const struct dgram *g)
{
    if (g->crafted || !g->max_nonlast || g->key[2] != 0)
        return;
    struct defrag_cut *c = NULL;
    for (int i = 0; i < df->st.ncuts && !c; i++)
        if (df->st.cuts[i].version == g->key[0] && !memcmp(df->st.cuts[i].src, g->key + 12, 16) &&
            !memcmp(df->st.cuts[i].dst, g->key + 28, 16))
            c = &df->st.cuts[i];
    if (!c) {
        if (df->st.ncuts == DEFRAG_MAX_CUTS)
            return;
        c = &df->st.cuts[df->st.ncuts++];
        memset(c, 0, sizeof *c);
        c->version = g->key[0];
        memcpy(c->src, g->key + 12, 16);
        memcpy(c->dst, g->key + 28, 16);
    }
    c->datagrams++;
    if (g->max_nonlast > c->nonlast) {
        c->nonlast = g->max_nonlast;
        c->frame = g->nonlast_frame;
        c->ttl = g->nonlast_ttl;
    }
    if (g->max_crossed > c->crossed) {
        c->crossed = g->max_crossed;
        c->crossed_frame = g->crossed_frame;
        c->crossed_ttl = g->crossed_ttl;
    }
}

/* The outermost IP header of the frame carrying a fragment. */
static void note_carrier(struct dgram *g, const struct packet *pkt)
{
    for (int i = 0; i < pkt->nlayers; i++) {
        const struct layer *l = &pkt->layers[i];
        if ((l->type == LAYER_IPV4 || l->type == LAYER_IPV6) && !(l->flags & LF_QUOTED)) {
            uint8_t ttl = l->u.ip.ttl;
            if (!g->nfrags || ttl < g->carrier_ttl)
                g->carrier_ttl = ttl;
            if (!ttl_crossed_router(ttl)) /* as its sender sent it: crossed no router */
                g->carrier_fresh = true;
            return;
        }
    }
}

/* A datagram of an IP stack completed: where it is known to have crossed
 * a router, the largest non-last fragment as a full-size packet that
 * arrived (defrag.h, struct defrag_arrived); else counted fresh. */
static void record_arrival(struct defrag *df, const struct dgram *g)
{
    if (g->crafted || !g->max_nonlast)
        return;
    if (g->carrier_fresh) {
        df->st.complete_fresh++;
        if (g->max_nonlast > df->st.fresh_nonlast) {
            df->st.fresh_nonlast = g->max_nonlast;
            df->st.fresh_frame = g->nonlast_frame;
        }
        return;
    }
    struct defrag_arrived *a = NULL;
    for (int i = 0; i < df->st.narrived && !a; i++)
        if (df->st.arrived[i].version == g->key[0] && df->st.arrived[i].depth == g->key[2] &&
            !memcmp(df->st.arrived[i].src, g->key + 12, 16) &&
            !memcmp(df->st.arrived[i].dst, g->key + 28, 16))
            a = &df->st.arrived[i];
    if (!a) {
        if (df->st.narrived == DEFRAG_MAX_CUTS)
            return;
        a = &df->st.arrived[df->st.narrived++];
        memset(a, 0, sizeof *a);
        a->version = g->key[0];
        a->depth = g->key[2];
        memcpy(a->src, g->key + 12, 16);
        memcpy(a->dst, g->key + 28, 16);
    }
    a->datagrams++;
    if (g->max_nonlast > a->nonlast) {
        a->nonlast = g->max_nonlast;
        a->frame = g->nonlast_frame;
        a->ttl = g->carrier_ttl;
        a->proto = g->first_seen ? g->proto : g->key[1];
    }
}

/* The datagram g is given up at capture time now_ns (at_end: the input
 * ended): counted incomplete, and lost or open at the end (defrag.h).  A
 * snap-length cut was counted when it was seen; a cut datagram is lost too
 * when fragments of it never came (its byte ranges are still accounted). */
static void give_up(struct defrag *df, struct dgram *g, int64_t now_ns, bool at_end)
{
    df->st.incomplete++;
    record_cut(df, g);
    if (g->broken && g->last_seen && g->present == g->end) {
        record_arrival(df, g);
        drop_dgram(df, g); /* every fragment came, cut by the snap length: not lost */
        return;
    }
    if (at_end && now_ns - g->last_ns < DEFRAG_LOST_NS) {
        df->st.open_at_end++;
        drop_dgram(df, g);
        return;
    }
    if (g->crafted) {
        df->st.crafted++;
        drop_dgram(df, g);
        return;
    }
    df->st.lost++;
    if (g->last_seen && !g->max_nonlast) /* only the small remainder came (defrag.h) */
        df->st.lost_by_size++;
    if (df->st.nlost < DEFRAG_MAX_LOST) {
        struct defrag_lost *x = &df->st.lost_ex[df->st.nlost++];
        memset(x, 0, sizeof *x);
        size_t alen = g->key[0] == 4 ? 4 : 16;
        x->version = g->key[0];
        x->proto = g->first_seen ? g->proto : g->key[1];
        memcpy(&x->id, g->key + 8, 4);
        memcpy(x->src, g->key + 12, alen);
        memcpy(x->dst, g->key + 28, alen);
        x->first_seen = g->first_seen;
        x->bytes_seen = g->present;
        x->max_end = g->max_end;
        x->first_frame = g->first_frame;
        memcpy(x->frames, g->frames, sizeof x->frames);
        x->nfrags = g->nfrags;
        x->last_ns = g->last_ns;
        x->sport = g->sport;
        x->dport = g->dport;
    }
    drop_dgram(df, g);
}

void defrag_flush(struct defrag *df, int64_t end_ns)
{
    while (df->oldest)
        give_up(df, df->oldest, end_ns, true);
}

void defrag_free(struct defrag *df)
{
    if (!df)
        return;
    while (df->oldest)
        drop_dgram(df, df->oldest);
    release_done(df);
    free(df->buckets);
    free(df);
}

const struct defrag_stats *defrag_get_stats(const struct defrag *df)
{
    return &df->st;
}

/* Capture time in ms and ns.  Seconds come from the file and are hostile:
 * clamped so the arithmetic below can never overflow. */
static int64_t pkt_ms(const struct packet *p)
{
    const int64_t lim = INT64_MAX / 1000 / 4;
    int64_t s = p->ts_sec > lim ? lim : p->ts_sec < -lim ? -lim : p->ts_sec;
    return s * 1000 + p->ts_nsec / 1000000;
}

static int64_t pkt_ns(const struct packet *p)
{
    const int64_t lim = INT64_MAX / 1000000000 / 4;
    int64_t s = p->ts_sec > lim ? lim : p->ts_sec < -lim ? -lim : p->ts_sec;
    return s * 1000000000 + p->ts_nsec;
}

/*
 * Gives up datagrams older than the timeout.  The list is in opening order,
 * which is time order unless the capture's clock went backwards; then an
 * entry may wait behind a younger one a little longer than its timeout.  A
 * negative age (the clock went back) never expires anything: a merged or
 * reordered capture must not lose datagrams to it.
 */
static void expire(struct defrag *df, int64_t now, const struct packet *pkt)
{
    while (df->oldest) {
        int64_t age = now - df->oldest->first_ms;
        if (age < 0 || age <= (int64_t)df->lim.timeout_ms)
            break;
        df->st.timeouts++;
        give_up(df, df->oldest, pkt_ns(pkt), false); /* ns only here: off the packet path */
    }
}

/* The oldest datagram other than keep (which the caller is adding to). */
static struct dgram *victim(const struct defrag *df, const struct dgram *keep)
{
    return df->oldest == keep ? keep->newer : df->oldest;
}

static void limit_hit(struct defrag *df, struct packet *pkt)
{
    df->st.dropped_limit++;
    pkt->anomalies |= 1ull << AN_FRAG_LIMIT;
}

static void make_key(const struct defrag *df, const struct packet *pkt, const struct layer *l,
                     uint8_t *k, uint32_t *hash)
{
    const struct ip_info *ip = &l->u.ip;
    size_t alen = ip->version == 4 ? 4 : 16;
    memset(k, 0, KEY_LEN);
    k[0] = ip->version;
    k[1] = ip->version == 4 ? ip->proto : 0; /* IPv6 keys on id alone (RFC 8200 4.5) */
    k[2] = l->tunnel;
    k[4] = (uint8_t)(pkt->input >> 8);
    k[5] = (uint8_t)pkt->input;
    memcpy(k + 8, &ip->id, 4);
    memcpy(k + 12, ip->src.addr_data8, alen);
    memcpy(k + 28, ip->dst.addr_data8, alen);
    *hash = (uint32_t)hash_bytes(df->seed, k, KEY_LEN);
}

static struct dgram *lookup(const struct defrag *df, const uint8_t *k, uint32_t hash)
{
    for (struct dgram *g = df->buckets[hash & (df->nbuckets - 1)]; g; g = g->hnext)
        if (g->hash == hash && memcmp(g->key, k, KEY_LEN) == 0)
            return g;
    return NULL;
}

static struct dgram *open_dgram(struct defrag *df, struct packet *pkt, const uint8_t *k,
                                uint32_t hash, int64_t now)
{
    if (df->st.held_datagrams >= df->lim.max_datagrams && df->oldest) {
        drop_dgram(df, df->oldest);
        limit_hit(df, pkt);
    }
    struct dgram *g = calloc(1, sizeof *g);
    if (!g) {
        limit_hit(df, pkt);
        return NULL;
    }
    memcpy(g->key, k, KEY_LEN);
    g->hash = hash;
    g->first_ms = now;
    g->first_frame = pkt->frame;
    struct dgram **b = &df->buckets[hash & (df->nbuckets - 1)];
    g->hnext = *b;
    *b = g;
    g->older = df->newest;
    if (df->newest)
        df->newest->newer = g;
    else
        df->oldest = g;
    df->newest = g;
    if (++df->st.held_datagrams > df->st.held_datagrams_peak)
        df->st.held_datagrams_peak = df->st.held_datagrams;
    return g;
}

/* Makes room for payload bytes up to `need`, evicting older datagrams when
 * max_bytes would be passed.  False when even alone g does not fit. */
static bool grow(struct defrag *df, struct packet *pkt, struct dgram *g, uint32_t need)
{
    if (need <= g->cap)
        return true;
    uint32_t cap = g->cap ? g->cap : BUF_MIN;
    while (cap < need)
        cap <<= 1;
    uint64_t more = buf_bytes(cap) - buf_bytes(g->cap);
    struct dgram *v;
    while (df->st.held_bytes + more > df->lim.max_bytes && (v = victim(df, g)) != NULL) {
        drop_dgram(df, v);
        limit_hit(df, pkt);
    }
    if (df->st.held_bytes + more > df->lim.max_bytes)
        return false;
    uint8_t *data = realloc(g->data, cap);
    if (!data)
        return false;
    g->data = data;
    uint8_t *have = realloc(g->have, cap / 8);
    if (!have)
        return false;
    memset(have + g->cap / 8, 0, (cap - g->cap) / 8);
    g->have = have;
    df->st.held_bytes += more;
    g->cap = cap;
    if (df->st.held_bytes > df->st.held_bytes_peak)
        df->st.held_bytes_peak = df->st.held_bytes;
    return true;
}

static bool has_byte(const struct dgram *g, uint32_t i)
{
    return (g->have[i >> 3] >> (i & 7)) & 1;
}

/* Payload bytes of [off, off + len) already held. */
static uint32_t count_present(const struct dgram *g, uint32_t off, uint32_t len)
{
    uint32_t n = 0;
    for (uint32_t i = off; i < off + len; i++)
        n += has_byte(g, i);
    return n;
}

/*
 * Copies the fragment's bytes the datagram does not have yet: where
 * fragments overlap, the first data wins.  Hosts disagree (BSD, Linux and
 * Windows each had their own policy, the root of overlap-based IDS evasion),
 * so no choice matches every receiver; keeping what came first is what
 * Wireshark does and never rewrites bytes already reassembled.  RFC 5722
 * tells an IPv6 receiver to discard such a datagram altogether; we are not
 * the receiver, we are explaining the capture, so we reassemble and say
 * AN_FRAG_OVERLAP.
 */
static void copy_new_bytes(struct dgram *g, struct cursor src, uint32_t off, uint32_t len)
{
    uint32_t i = 0;
    while (i < len) {
        uint32_t j = i;
        bool here = has_byte(g, off + i);
        while (j < len && has_byte(g, off + j) == here)
            j++;
        if (here) {
            cur_skip(&src, j - i);
        } else {
            cur_copy(&src, g->data + off + i, j - i);
            for (uint32_t b = off + i; b < off + j; b++)
                g->have[b >> 3] |= (uint8_t)(1u << (b & 7));
            g->present += j - i;
        }
        i = j;
    }
}

/* Byte accounting without the bytes, for a datagram that cannot complete. */
static void mark_present(struct dgram *g, uint32_t off, uint32_t len)
{
    for (uint32_t b = off; b < off + len; b++) {
        if (!has_byte(g, b)) {
            g->have[b >> 3] |= (uint8_t)(1u << (b & 7));
            g->present++;
        }
    }
}

static enum defrag_result complete(struct defrag *df, struct packet *pkt, int idx, struct dgram *g,
                                   uint32_t *buflen);

/*
 * A broken datagram whose every fragment has passed.  Whether a datagram
 * arrived whole is decided by the IP headers alone: offsets and lengths
 * contiguous up to a fragment without MF (RFC 791, RFC 8200 4.5), and the
 * bytes the snap length dropped are not needed for that.  A TCP segment
 * whose header the first fragment holds is then handed on as the datagram
 * it was (reasm_len, its TCP header; payload bytes not captured read as
 * zeroes, which nothing after TCP reads: decode_tcp()), so that its flow
 * counts a delivered segment of its full size.  A UDP datagram whose header
 * the first fragment holds is handed on too, as a datagram cut by the snap
 * length (decode_reassembled_cut(): its sizes as sent, its bytes as far as
 * captured): its flow counts it, at its full size, and a tunnel's re-sent
 * datagrams are seen re-sent whether or not the sender fragmented them.
 * Anything else is given up at once, counted unreassemblable, not lost.
 */
static enum defrag_result finish_broken(struct defrag *df, struct packet *pkt, int idx,
                                        struct dgram *g, bool more, uint32_t frag_end,
                                        uint32_t *buflen)
{
    if (frag_end > g->max_end)
        g->max_end = frag_end;
    if (!more) {
        g->last_seen = true;
        g->end = frag_end;
    }
    if (!g->last_seen || g->present != g->end)
        return DEFRAG_DROPPED;
    if (g->first_seen && (g->tcp_head || g->udp_head) && !g->crafted) {
        df->st.incomplete++; /* not reassembled: its bytes are not all here */
        return complete(df, pkt, idx, g, buflen);
    }
    give_up(df, g, g->last_ns, false);
    return DEFRAG_DROPPED;
}

static enum defrag_result bad_fragment(struct defrag *df, struct packet *pkt, struct layer *l)
{
    df->st.bad++;
    l->flags |= LF_MALFORMED;
    pkt->anomalies |= 1ull << AN_BAD_FRAGMENT;
    return DEFRAG_DROPPED;
}

/* What a fragment says about its datagram, whatever becomes of it: its
 * time, frame and size on the wire, and whether an IP stack made it. */
static void note_fragment(struct dgram *g, const struct packet *pkt, const struct ip_info *ip,
                          uint32_t len, bool more)
{
    /* No link in use carries less than 576 bytes of IPv4 (the datagram
     * every host accepts, RFC 1122 3.3.3) or 1280 of IPv6 (RFC 8200 5), and
     * cutting to such a link leaves a fragment at most 7 bytes short (the
     * payload rounded down to 8), so a fragment that is not the last and
     * smaller than 569 or 1273 bytes was split on purpose (an evasion tool,
     * a test generator), not by an MTU. */
    uint32_t wire = (uint32_t)ip->hdr_len + len;
    if (more && wire < (ip->version == 6 ? 1273u : 569u))
        g->crafted = true;
    int64_t t_ns = pkt_ns(pkt);
    if (t_ns > g->last_ns)
        g->last_ns = t_ns;
    if (wire > g->max_frag)
        g->max_frag = wire;
    if (more && wire > g->max_nonlast) {
        g->max_nonlast = wire;
        g->nonlast_frame = pkt->frame;
        g->nonlast_ttl = ip->ttl;
    }
    /* seen past a router: it crossed the path up to this vantage point */
    if (more && wire > g->max_crossed && ttl_crossed_router(ip->ttl)) {
        g->max_crossed = wire;
        g->crossed_frame = pkt->frame;
        g->crossed_ttl = ip->ttl;
    }
    if (g->nfrags < 4)
        g->frames[g->nfrags] = pkt->frame;
    if (g->nfrags < UINT16_MAX)
        g->nfrags++;
}

/* Adds the fragment in layer idx of pkt, whose buffer pkt->data holds *buflen
 * bytes; on completion *buflen becomes the size of the new buffer. */
static enum defrag_result add_fragment(struct defrag *df, struct packet *pkt, int idx,
                                       uint32_t *buflen, int64_t now)
{
    struct layer *l = &pkt->layers[idx];
    struct ip_info *ip = &l->u.ip;
    uint32_t off = ip->frag_off, len = ip->payload_len;
    bool more = (ip->flags & IPF_MF) != 0;

    df->st.fragments++;
    /* RFC 791 and RFC 8200 4.5: a datagram ends by 65535, every fragment but
     * the last carries a multiple of 8 bytes, and a jumbogram (RFC 2675) is
     * never fragmented. */
    if (off + len > IP_LEN_MAX || (more && len % 8) || (ip->flags & IPF_JUMBO))
        return bad_fragment(df, pkt, l);

    uint8_t k[KEY_LEN];
    uint32_t hash;
    make_key(df, pkt, l, k, &hash);
    struct dgram *g = lookup(df, k, hash);
    if (!g && !(g = open_dgram(df, pkt, k, hash, now)))
        return DEFRAG_DROPPED;
    note_carrier(g, pkt);
    note_fragment(g, pkt, ip, len, more);

    /* The fragment's bytes as captured: the IP length says len, the snap
     * length may have kept fewer, and then the datagram can never be whole.
     * It is still tracked, byte ranges only, until all its fragments have
     * passed: giving it up then, rather than at the timeout, keeps a capture
     * with a short snap length from filling the table (and tripping the
     * limits) with datagrams that are already known to be lost. */
    uint32_t avail = ip->payload_off < *buflen ? *buflen - ip->payload_off : 0;
    if (avail < len && !g->broken) {
        g->broken = true;
        df->st.unreassemblable++;
    }
    if (off == 0) {
        g->first_seen = true;
        g->proto = ip->proto;
        /* The datagram's header: the IPv6 fragment header was added by
         * fragmenting (RFC 8200 4.5), so it is not part of the original. */
        g->hdr_len = ip->version == 6 ? (uint16_t)(ip->hdr_len - IPV6_FRAG_HDR) : ip->hdr_len;
        g->head_avail = avail < len ? avail : len;
        g->udp_head = ip->proto == IP_PROTO_UDP && avail >= 8;
        if (ip->proto == IP_PROTO_TCP && avail >= 13) {
            uint32_t th = (uint32_t)(pkt->data[ip->payload_off + 12] >> 4) * 4;
            g->tcp_head = th >= 20 && th <= avail && th <= len;
        }
        /* the ports, the first 4 bytes of a TCP or UDP payload, for a
         * finding about the datagram should it never complete */
        if ((ip->proto == 6 || ip->proto == 17) && avail >= 4) {
            const uint8_t *b = pkt->data + ip->payload_off;
            g->sport = (uint16_t)(b[0] << 8 | b[1]);
            g->dport = (uint16_t)(b[2] << 8 | b[3]);
        }
    }

    /* A last fragment fixes the end: every byte must lie before it, and a
     * second last fragment must agree. */
    if (!more && ((g->last_seen && g->end != off + len) || g->max_end > off + len))
        return bad_fragment(df, pkt, l);
    if (more && g->last_seen && off + len > g->end)
        return bad_fragment(df, pkt, l);

    if (!grow(df, pkt, g, off + len)) {
        drop_dgram(df, g);
        limit_hit(df, pkt);
        return DEFRAG_DROPPED;
    }
    if (g->broken) {
        /* what was captured of it, zeroes for the rest (finish_broken()) */
        uint32_t have = avail < len ? avail : len;
        memset(g->data + off, 0, len);
        memcpy(g->data + off, pkt->data + ip->payload_off, have);
        mark_present(g, off, len);
        return finish_broken(df, pkt, idx, g, more, off + len, buflen);
    }
    struct cursor src = cur_make(pkt->data + ip->payload_off, len);
    uint32_t dup = count_present(g, off, len);
    if (dup && dup == len && memcmp(src.p, g->data + off, len) == 0) {
        df->st.duplicates++; /* a retransmission or a second tap: harmless */
        return DEFRAG_HELD;
    }
    if (dup) {
        g->crafted = true; /* overlapping data: no IP stack sends that */
        df->st.overlaps++;
        pkt->anomalies |= 1ull << AN_FRAG_OVERLAP;
    }
    copy_new_bytes(g, src, off, len);
    if (off + len > g->max_end)
        g->max_end = off + len;
    if (!more) {
        g->last_seen = true;
        g->end = off + len;
    }
    if (!g->last_seen || g->present != g->end)
        return DEFRAG_HELD;
    df->st.reassembled++;
    return complete(df, pkt, idx, g, buflen);
}

/* The datagram g is complete: its upper layers are decoded into pkt, whose
 * fragment layer idx says how big it was.  The buffer outlives g: the
 * re-decoded layers point into it. */
static enum defrag_result complete(struct defrag *df, struct packet *pkt, int idx, struct dgram *g,
                                   uint32_t *buflen)
{
    struct ip_info *ip = &pkt->layers[idx].u.ip;
    uint8_t *buf = g->data;
    uint32_t end = g->end;
    uint8_t proto = g->proto;
    bool broken_udp = g->broken && !g->tcp_head;
    uint32_t head = g->head_avail;
    ip->reasm_len = (uint32_t)g->hdr_len + end;
    ip->reasm_wire = (uint16_t)(g->max_frag > UINT16_MAX ? UINT16_MAX : g->max_frag);
    record_cut(df, g);
    record_arrival(df, g);
    g->data = NULL;
    drop_dgram(df, g);
    df->done[df->ndone++] = buf;
    *buflen = end;
    if (broken_udp) /* the captured start only: the rest was never seen */
        decode_reassembled_cut(pkt, idx, proto, buf, buf, head, end);
    else
        decode_reassembled(pkt, idx, proto, buf, buf, end);
    return DEFRAG_COMPLETE;
}

/* The innermost fragment after layer `after`, outside ICMP quotes; -1 if none. */
static int find_fragment(const struct packet *pkt, int after)
{
    for (int i = pkt->nlayers - 1; i > after; i--) {
        const struct layer *l = &pkt->layers[i];
        if ((l->type == LAYER_IPV4 || l->type == LAYER_IPV6) && !(l->flags & LF_QUOTED) &&
            (l->u.ip.flags & IPF_FRAGMENT))
            return i;
    }
    return -1;
}

static enum defrag_result defrag_packet_slow(struct defrag *df, struct packet *pkt)
    __attribute__((noinline));

/* Most packets are no fragment, and most captures hold no datagram open: then
 * there is no buffer to free, nothing to expire and no fragment to add, and
 * the packet is through in a walk over its layers, without the full step. */
enum defrag_result defrag_packet(struct defrag *df, struct packet *pkt)
{
    if (!df->ndone && !df->oldest && find_fragment(pkt, -1) < 0)
        return DEFRAG_NOT_FRAGMENT;
    return defrag_packet_slow(df, pkt);
}

static enum defrag_result defrag_packet_slow(struct defrag *df, struct packet *pkt)
{
    release_done(df);
    int64_t now = pkt_ms(pkt);
    expire(df, now, pkt);

    /* A reassembled datagram may itself carry a fragment (fragments of a
     * tunnel inside fragments of its outer packet): each round looks only
     * past the layer the last one completed, so the rounds are bounded by
     * the layer count, and by DONE_MAX buffers. */
    enum defrag_result res = DEFRAG_NOT_FRAGMENT;
    uint32_t buflen = pkt->caplen;
    int after = -1;
    while (df->ndone < DONE_MAX) {
        int i = find_fragment(pkt, after);
        if (i < 0)
            break;
        res = add_fragment(df, pkt, i, &buflen, now);
        if (res != DEFRAG_COMPLETE)
            break;
        after = i;
    }
    return res;
}
