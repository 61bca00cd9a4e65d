/* pmtud.c - watching PMTUD and ping sweeps as packets go by (pmtud.h). */
#include <stdlib.h>
#include <string.h>

#include "hashtab.h"
#include "pmtud.h"

/* RFC 1191 table 7-1: the MTU plateaus. */
static const uint32_t plateaus[] = {65535, 32000, 17914, 8166, 4352, 2002,
                                    1492,  1006,  508,   296,  68};

uint32_t pmtud_plateau_below(uint32_t len)
{
    for (size_t i = 0; i < sizeof plateaus / sizeof plateaus[0]; i++)
        if (plateaus[i] < len)
            return plateaus[i];
    return 68;
}

/* Both lookups per packet go through a hash index, so an ICMP or echo flood
 * costs O(matches) per packet, not a scan of every watch or pending request:
 * a bucket holds the newest entry, each entry links to the previous one of
 * its bucket. */
#define WATCH_BUCKETS (2 * PMTUD_MAX_WATCHES)
#define PENDING_BUCKETS (2 * PMTUD_MAX_PENDING)

struct pending {
    int input;
    struct addr src, dst;
    uint16_t id, seq;
    uint32_t size;
    uint64_t frame;
    uint64_t serial;      /* insertion number: a link to a reused slot is stale */
    int prev;             /* the previous request in this bucket, -1 none */
    uint64_t prev_serial; /* ... valid while its slot still holds this serial */
    bool used;
};

/* The watch and pending tables grow as they fill, up to PMTUD_MAX_WATCHES
 * and PMTUD_MAX_PENDING, and the sweeps' is allocated with the first: a
 * capture with few ICMP messages and echoes costs little. */
struct pmtud {
    struct pmtud_watch *watches;
    int nwatches, cap_watches;
    int first_active; /* watches before it are older than any that can still matter */
    /* the indexes are allocated with the first watch, the first request */
    int *watch_head; /* WATCH_BUCKETS: newest watch of the bucket, -1 none */
    int *watch_prev; /* per watch: the previous one of its bucket (a lower index) */
    struct pending *pending;
    int cap_pending;   /* slots allocated: the ring wraps only once at the maximum */
    int *pending_head; /* PENDING_BUCKETS: newest request of the bucket, -1 none */
    uint64_t serial;
    int npending; /* slots in use (a ring: oldest overwritten, counted unanswered) */
    int next;
    struct pmtud_sweep *sweeps;
    int nsweeps;
    int input;
    uint64_t seed; /* of the bucket hashes */
};

struct pmtud *pmtud_new(void)
{
    struct pmtud *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->seed = hash_seed();
    return p;
}

/* The next capacity of a table of `cap` entries, at most max (16, then twice
 * as many). */
static int grown(int cap, int max)
{
    int c = cap ? 2 * cap : 16;
    return c < max ? c : max;
}

/* A hash index of n buckets, all empty (-1); NULL when out of memory. */
static int *new_index(size_t n)
{
    int *h = malloc(n * sizeof *h);
    if (h)
        memset(h, 0xff, n * sizeof *h); /* -1 everywhere */
    return h;
}

/* Room for watch nwatches; false when full or out of memory. */
static bool room_for_watch(struct pmtud *p)
{
    if (p->nwatches < p->cap_watches)
        return true;
    if (!p->watch_head && !(p->watch_head = new_index(WATCH_BUCKETS)))
        return false;
    int c = grown(p->cap_watches, PMTUD_MAX_WATCHES);
    if (c <= p->cap_watches)
        return false;
    struct pmtud_watch *w = realloc(p->watches, (size_t)c * sizeof *w);
    if (w)
        p->watches = w;
    int *prev = w ? realloc(p->watch_prev, (size_t)c * sizeof *prev) : NULL;
    if (prev)
        p->watch_prev = prev;
    if (!w || !prev)
        return false;
    p->cap_watches = c;
    return true;
}

/* Room for pending slot i; false when out of memory.  Slots are taken in
 * order from 0, so the table grows at its end, zeroed (unused). */
static bool room_for_pending(struct pmtud *p, int i)
{
    if (i < p->cap_pending)
        return true;
    if (!p->pending_head && !(p->pending_head = new_index(PENDING_BUCKETS)))
        return false;
    int c = grown(p->cap_pending, PMTUD_MAX_PENDING);
    struct pending *q = realloc(p->pending, (size_t)c * sizeof *q);
    if (!q)
        return false;
    memset(q + p->cap_pending, 0, (size_t)(c - p->cap_pending) * sizeof *q);
    p->pending = q;
    p->cap_pending = c;
    return true;
}

/* hashtab.h's keyed hash: an echo's id and sequence are the sender's to
 * choose, and with a known hash a flood of chosen ones would share one
 * bucket.  Lookups compare the whole key, so the seed changes no result. */
static unsigned watch_bucket(const struct pmtud *p, uint64_t flow)
{
    return (unsigned)(hash_u64(p->seed, flow) % WATCH_BUCKETS);
}

static unsigned pending_bucket(const struct pmtud *p, uint16_t id, uint16_t seq)
{
    return (unsigned)(hash_u64(p->seed, (uint64_t)id << 16 | seq) % PENDING_BUCKETS);
}

void pmtud_free(struct pmtud *p)
{
    if (!p)
        return;
    free(p->watches);
    free(p->pending);
    free(p->sweeps);
    free(p->watch_head);
    free(p->watch_prev);
    free(p->pending_head);
    free(p);
}

void pmtud_icmp(struct pmtud *p, int input, int icmp_index, uint64_t flow,
                const struct addr *quoted_src, uint32_t mtu, int64_t t_ns)
{
    if (!flow || !room_for_watch(p))
        return;
    int k = p->nwatches++;
    struct pmtud_watch *w = &p->watches[k];
    unsigned b = watch_bucket(p, flow);
    p->watch_prev[k] = p->watch_head[b];
    p->watch_head[b] = k;
    memset(w, 0, sizeof *w);
    w->input = input;
    w->icmp_index = icmp_index;
    w->flow = flow;
    w->src = *quoted_src;
    w->mtu = mtu;
    w->t_ns = t_ns;
}

/* The layer a flow is keyed on: the innermost IP layer outside ICMP quotes. */
static const struct layer *flow_ip(const struct packet *pkt)
{
    for (int i = pkt->nlayers - 1; i >= 0; i--) {
        const struct layer *l = &pkt->layers[i];
        if ((l->type == LAYER_IPV4 || l->type == LAYER_IPV6) && !(l->flags & LF_QUOTED))
            return l;
    }
    return NULL;
}

static struct pmtud_sweep *sweep_for(struct pmtud *p, const struct addr *src,
                                     const struct addr *dst)
{
    for (int i = 0; i < p->nsweeps; i++) {
        struct pmtud_sweep *s = &p->sweeps[i];
        if (s->input == p->input && addr_cmp(&s->src, src) == 0 && addr_cmp(&s->dst, dst) == 0)
            return s;
    }
    if (p->nsweeps == PMTUD_MAX_SWEEPS)
        return NULL;
    /* the whole table at the first sweep: pointers to sweeps stay valid */
    if (!p->sweeps && !(p->sweeps = calloc(PMTUD_MAX_SWEEPS, sizeof *p->sweeps)))
        return NULL;
    struct pmtud_sweep *s = &p->sweeps[p->nsweeps++];
    memset(s, 0, sizeof *s);
    s->input = p->input;
    s->src = *src;
    s->dst = *dst;
    s->df = true;
    return s;
}

/* One request of `size` answered or not, in the sweep's table by size. */
static void size_count(struct pmtud_sweep *s, uint32_t size, bool answered)
{
    int i = 0;
    while (i < s->nby_size && s->by_size[i].size != size)
        i++;
    if (i == s->nby_size) {
        if (i == PMTUD_SWEEP_SIZES || size > UINT16_MAX) {
            s->by_size_unlisted++;
            return;
        }
        s->nby_size++;
        s->by_size[i].size = (uint16_t)size;
    }
    if (answered && s->by_size[i].answered < UINT16_MAX)
        s->by_size[i].answered++;
    else if (!answered && s->by_size[i].unanswered < UINT16_MAX)
        s->by_size[i].unanswered++;
}

static void unanswered(struct pmtud *p, const struct pending *q)
{
    struct pmtud_sweep *s = sweep_for(p, &q->src, &q->dst);
    if (s)
        size_count(s, q->size, false);
    if (s && (!s->smallest_unanswered || q->size < s->smallest_unanswered)) {
        s->smallest_unanswered = q->size;
        s->frame_unanswered = q->frame;
    }
}

static void echo(struct pmtud *p, const struct packet *pkt, const struct layer *ip,
                 const struct icmp_info *ic, bool v6)
{
    bool request = v6 ? ic->type == 128 : ic->type == 8;
    bool reply = v6 ? ic->type == 129 : ic->type == 0;
    if (request) {
        struct pmtud_sweep *s = sweep_for(p, &ip->u.ip.src, &ip->u.ip.dst);
        if (!s)
            return;
        s->requests++;
        if (!v6 && !(ip->u.ip.flags & IPF_DF))
            s->df = false;
        if (ip->u.ip.ip_len != s->last_size && s->sizes < 255)
            s->sizes++;
        s->last_size = ip->u.ip.ip_len;
        int slot = p->next;
        if (!room_for_pending(p, slot))
            return; /* out of memory: not followed */
        struct pending *q = &p->pending[slot];
        if (q->used)
            unanswered(p, q); /* the ring is full: the oldest request gave up */
        p->next = (p->next + 1) % PMTUD_MAX_PENDING;
        unsigned b = pending_bucket(p, ic->id, ic->seq);
        int head = p->pending_head[b];
        q->prev = head;
        q->prev_serial = head >= 0 ? p->pending[head].serial : 0;
        q->serial = ++p->serial;
        p->pending_head[b] = slot;
        q->used = true;
        q->input = p->input;
        q->src = ip->u.ip.src;
        q->dst = ip->u.ip.dst;
        q->id = ic->id;
        q->seq = ic->seq;
        q->size = ip->u.ip.ip_len;
        q->frame = pkt->frame;
    } else if (reply) {
        /* the newest matching request: replies come soon after.  The
         * bucket's links go to older requests; one whose slot was reused
         * (its serial changed) ends the chain, and every older one was
         * overwritten before it. */
        int k = p->pending_head ? p->pending_head[pending_bucket(p, ic->id, ic->seq)] : -1;
        uint64_t want = k >= 0 ? p->pending[k].serial : 0;
        for (; k >= 0 && p->pending[k].serial == want;
             want = p->pending[k].prev_serial, k = p->pending[k].prev) {
            struct pending *q = &p->pending[k];
            if (!q->used || q->id != ic->id || q->seq != ic->seq ||
                addr_cmp(&q->src, &ip->u.ip.dst) != 0 || addr_cmp(&q->dst, &ip->u.ip.src) != 0)
                continue;
            q->used = false;
            struct pmtud_sweep *s = sweep_for(p, &q->src, &q->dst);
            if (s) {
                size_count(s, q->size, true);
                s->answered++;
                if (q->size > s->largest_answered) {
                    s->largest_answered = q->size;
                    s->frame_answered = q->frame;
                }
            }
            break;
        }
    }
}

void pmtud_packet(struct pmtud *p, const struct packet *pkt, const struct flow_pkt *fp)
{
    const struct layer *ip = flow_ip(pkt);
    if (!ip)
        return;
    int64_t t = pkt->ts_sec * 1000000000ll + pkt->ts_nsec;
    /* What crossed the wire is the packet, or for a fragmented datagram its
     * fragments: the largest one is the packet that had to fit the path
     * (judged on the completing fragment, the one that reaches the flow;
     * the others carry no ports).  A sender told "MTU 1420" that then cuts
     * its 1500-byte datagrams into 1416 + 140 obeyed the message: IPv6
     * routers never fragment (RFC 8200 4.5), so such fragments are the
     * sender's own, sized by what it learned. */
    uint32_t size = ip->u.ip.ip_len;
    if (ip->u.ip.reasm_len && ip->u.ip.reasm_wire)
        size = ip->u.ip.reasm_wire;
    else if (ip->u.ip.reasm_len && !(ip->u.ip.flags & IPF_FRAGMENT))
        size = ip->u.ip.reasm_len;
    /* (no watch yet: no index either) */
    if (fp && fp->flow && p->nwatches) {
        /* Only the watches of this flow's bucket, newest first, down to the
         * oldest that can still see packets (60 s window). */
        while (p->first_active < p->nwatches &&
               t - p->watches[p->first_active].t_ns > 60 * 1000000000ll)
            p->first_active++;
        for (int i = p->watch_head[watch_bucket(p, fp->flow)]; i >= p->first_active;
             i = p->watch_prev[i]) {
            struct pmtud_watch *w = &p->watches[i];
            if (w->flow != fp->flow || t < w->t_ns || addr_cmp(&w->src, &ip->u.ip.src) != 0)
                continue;
            /* Packets already in flight may still be big: judging starts
             * when the sender shows it reacted (a packet near but not above
             * the MTU: a re-segmented one, not an ACK) or after the grace. */
            if (!w->reacted) {
                if (size <= w->mtu && size > w->mtu / 2)
                    w->reacted = true;
                else if (t < w->t_ns + PMTUD_GRACE_NS)
                    continue;
            }
            w->after++;
            if (size > w->max_after)
                w->max_after = size;
            if (size > w->mtu) {
                w->bigger++;
                w->last_bigger_frame = pkt->frame;
            }
        }
    }
    /* an echo is an ICMP layer right after the flow's IP layer */
    const struct layer *next = ip + 1;
    if (next < pkt->layers + pkt->nlayers &&
        (next->type == LAYER_ICMP || next->type == LAYER_ICMP6))
        echo(p, pkt, ip, &next->u.icmp, next->type == LAYER_ICMP6);
}

void pmtud_begin_input(struct pmtud *p, int input)
{
    p->input = input;
}

void pmtud_end_input(struct pmtud *p)
{
    for (int i = 0; i < p->cap_pending; i++) {
        struct pending *q = &p->pending[i];
        if (q->used && q->input == p->input)
            unanswered(p, q);
        q->used = false;
    }
    p->next = 0;
    if (p->pending_head) /* -1 everywhere */
        memset(p->pending_head, 0xff, PENDING_BUCKETS * sizeof *p->pending_head);
}

int pmtud_nwatches(const struct pmtud *p)
{
    return p->nwatches;
}
const struct pmtud_watch *pmtud_watch_get(const struct pmtud *p, int i)
{
    return i >= 0 && i < p->nwatches ? &p->watches[i] : NULL;
}
int pmtud_nsweeps(const struct pmtud *p)
{
    return p->nsweeps;
}
const struct pmtud_sweep *pmtud_sweep_get(const struct pmtud *p, int i)
{
    return i >= 0 && i < p->nsweeps ? &p->sweeps[i] : NULL;
}
