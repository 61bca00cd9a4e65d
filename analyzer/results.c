/* results.c - keeping what the flow stage found, within a budget (results.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results.h"

bool results_init(struct results *r)
{
    memset(r, 0, sizeof *r);
    /* The tables are allocated as they fill (grow()), up to their caps:
     * memory follows what is kept, not the caps (13 MB of flow summaries),
     * and a small capture costs little. */
    r->pmtud = pmtud_new();
    return r->pmtud != NULL;
}

/* A full table (*cap entries of `size` bytes) twice as big, at most `max`
 * entries: the new table, or NULL (the old one untouched) when it is at
 * `max` already or out of memory. */
static void *grow(void *tab, uint32_t *cap, uint32_t max, size_t size)
{
    uint32_t c = *cap ? *cap * 2 : 16;
    if (c > max)
        c = max;
    if (c <= *cap)
        return NULL;
    void *t = realloc(tab, c * size);
    if (t)
        *cap = c;
    return t;
}

void results_free(struct results *r)
{
    for (uint32_t i = 0; i < r->nflows; i++)
        free((struct flow_frags *)r->flows[i].frags); /* results_flow_done's copies */
    free(r->flows);
    free(r->storms);
    free(r->tunnels);
    free(r->sizes);
    free(r->resends);
    free(r->listeners);
    pmtud_free(r->pmtud);
    memset(r, 0, sizeof *r);
}

void results_begin_input(struct results *r, uint16_t input)
{
    r->input = input;
}

uint64_t results_flow_id(const struct results *r, uint64_t local_id)
{
    return local_id ? r->flow_base + local_id : 0;
}

bool results_flow_has_problem(const struct flow_summary *s)
{
    return s->retransmissions || s->stalled || s->storms || s->wg_lost ||
           s->resend_copies >= RESEND_MIN_COPIES || s->dir[0].tcp.lost_segment ||
           s->dir[1].tcp.lost_segment;
}

const struct results_resend *results_resend_of(const struct results *r, uint64_t flow, int dir)
{
    for (uint32_t i = 0; i < r->nresends; i++)
        if (r->resends[i].flow == flow && r->resends[i].dir == dir)
            return &r->resends[i];
    return NULL;
}

/* ---- sizes[] by flow id: open addressing, linear probing, at most half
 * full; deletion shifts the following entries back ---- */

#define SIZE_SLOTS (2 * RESULTS_MAX_SIZE_TABLES)

static uint32_t size_home(uint64_t flow)
{
    return (uint32_t)((flow * 0x9e3779b97f4a7c15ull) >> 40) & (SIZE_SLOTS - 1);
}

/* The slot holding flow's entry, or the empty slot where it would go. */
static uint32_t size_slot(const struct results *r, uint64_t flow)
{
    uint32_t i = size_home(flow);
    while (r->sizes_slot[i] && r->sizes[r->sizes_slot[i] - 1].flow != flow)
        i = (i + 1) & (SIZE_SLOTS - 1);
    return i;
}

static void size_unindex(struct results *r, uint64_t flow)
{
    uint32_t i = size_slot(r, flow);
    if (!r->sizes_slot[i])
        return;
    r->sizes_slot[i] = 0;
    for (uint32_t j = (i + 1) & (SIZE_SLOTS - 1); r->sizes_slot[j];
         j = (j + 1) & (SIZE_SLOTS - 1)) {
        uint32_t home = size_home(r->sizes[r->sizes_slot[j] - 1].flow);
        bool stays = (j > i) ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            r->sizes_slot[i] = r->sizes_slot[j];
            r->sizes_slot[j] = 0;
            i = j;
        }
    }
}

const struct results_sizes *results_sizes_of(const struct results *r, uint64_t flow)
{
    uint16_t k = r->sizes_slot[size_slot(r, flow)];
    return k ? &r->sizes[k - 1] : NULL;
}

/* Keeps a TCP flow's size tables: a problem flow may replace a healthy one
 * when the budget is spent, never the other way round. */
static void keep_sizes(struct results *r, const struct flow_summary *s, const struct flow_detail *d,
                       bool problem)
{
    if (!d || !d->tcp)
        return;
    struct results_sizes *k = NULL;
    if (r->nsizes < RESULTS_MAX_SIZE_TABLES) {
        if (r->nsizes == r->cap_sizes) {
            struct results_sizes *t =
                grow(r->sizes, &r->cap_sizes, RESULTS_MAX_SIZE_TABLES, sizeof *t);
            if (!t) { /* out of memory */
                r->sizes_unlisted++;
                return;
            }
            r->sizes = t;
        }
        k = &r->sizes[r->nsizes++];
    } else if (problem) {
        /* problem entries stay problem ones: the search resumes where it
         * ended, so each entry is passed once over the whole run */
        for (uint32_t i = r->sizes_healthy_from; i < r->nsizes && !k; i++)
            if (!r->sizes[i].problem)
                k = &r->sizes[i];
        r->sizes_healthy_from = k ? (uint32_t)(k - r->sizes) + 1 : r->nsizes;
        if (k)
            size_unindex(r, k->flow);
        r->sizes_unlisted++;
    } else {
        r->sizes_unlisted++;
    }
    if (!k)
        return;
    k->flow = results_flow_id(r, s->id);
    k->problem = problem;
    for (int x = 0; x < 2; x++) {
        if (d->dl[x])
            delivery_sizes(d->dl[x], &k->dir[x]);
        else
            k->dir[x] = *delivery_no_sizes();
    }
    r->sizes_slot[size_slot(r, k->flow)] = (uint16_t)(k - r->sizes + 1);
}

/* A TCP connection attempt its listener never answered: the client sent
 * SYNs and nothing else, the server nothing at all. */
static bool unanswered_attempt(const struct flow_summary *s, const struct flow_detail *d)
{
    return s->proto == IP_PROTO_TCP && d && d->tcp && d->tcp->syn_seen && !d->tcp->synack_seen &&
           (d->tcp->h[0].seen & HS_SYN) && s->dir[1].packets == 0 && s->dir[0].packets > 0 &&
           d->tcp->h[0].n.data_segments == 0 && !(d->tcp->h[0].seen & (HS_FIN | HS_RST));
}

static void slot_add(struct results_syn_slot *to, const struct results_syn_slot *x)
{
    if (!x->attempts)
        return;
    if (!to->attempts || x->first_frame < to->first_frame) {
        to->first_frame = x->first_frame;
        to->first_ns = x->first_ns;
    }
    if (x->last_frame > to->last_frame) {
        to->last_frame = x->last_frame;
        to->last_ns = x->last_ns;
    }
    to->attempts += x->attempts;
    to->syns += x->syns;
}

/* Moves the ring's slots whose every attempt is RESULTS_SYN_ANSWER_NS old
 * at capture time `now` into the judged ones. */
static void syn_roll(struct results_listener *l, int64_t now)
{
    int n = 0;
    while (n < RESULTS_SYN_SLOTS &&
           l->ring_base_ns + (n + 1) * RESULTS_SYN_SLOT_NS <= now - RESULTS_SYN_ANSWER_NS)
        slot_add(&l->judged, &l->ring[n++]);
    if (!n)
        return;
    memmove(l->ring, l->ring + n, (size_t)(RESULTS_SYN_SLOTS - n) * sizeof l->ring[0]);
    memset(l->ring + RESULTS_SYN_SLOTS - n, 0, (size_t)n * sizeof l->ring[0]);
    l->ring_base_ns += n * RESULTS_SYN_SLOT_NS;
    if (n == RESULTS_SYN_SLOTS) /* the ring emptied: it starts again where time is */
        l->ring_base_ns = now - RESULTS_SYN_ANSWER_NS;
}

/* The listener of an unanswered attempt (a flood has one target: the last
 * one found is tried first), or a new one; NULL when the table is full. */
static struct results_listener *listener_of(struct results *r, const struct flow_summary *s)
{
    uint32_t tunnel = s->tunnel ? s->tunnel + r->tunnel_base : 0;
    for (uint32_t k = 0; k < r->nlisteners; k++) {
        uint32_t i = (r->listener_last + k) % r->nlisteners;
        struct results_listener *c = &r->listeners[i];
        if (c->port == s->server_port && c->input == s->input && c->tunnel == tunnel &&
            c->ip_version == s->ip_version && addr_cmp(&c->addr, &s->server) == 0) {
            r->listener_last = i;
            return c;
        }
    }
    if (r->nlisteners == r->cap_listeners) {
        struct results_listener *t =
            grow(r->listeners, &r->cap_listeners, RESULTS_MAX_LISTENERS, sizeof *t);
        if (!t) /* full, or out of memory */
            return NULL;
        r->listeners = t;
    }
    r->listener_last = r->nlisteners;
    struct results_listener *l = &r->listeners[r->nlisteners++];
    memset(l, 0, sizeof *l);
    l->addr = s->server;
    l->port = s->server_port;
    l->input = s->input;
    l->ip_version = s->ip_version;
    l->tunnel = tunnel;
    l->first_src = s->client;
    l->ring_base_ns = s->last_ns - RESULTS_SYN_ANSWER_NS;
    return l;
}

static void note_unanswered(struct results *r, const struct flow_summary *s,
                            const struct flow_detail *d)
{
    struct results_listener *l = listener_of(r, s);
    if (!l) {
        r->listeners_unlisted++;
        return;
    }
    if (addr_cmp(&l->first_src, &s->client) != 0)
        l->many_sources = true;
    struct results_syn_slot x = {1,           s->dir[0].packets, s->first_frame, s->last_frame,
                                 s->first_ns, s->last_ns};
    if (d->clock_ns - s->last_ns >= RESULTS_SYN_ANSWER_NS) {
        slot_add(&l->judged, &x); /* its second is over: judged now */
    } else {
        int64_t at =
            s->last_ns < l->ring_base_ns ? 0 : (s->last_ns - l->ring_base_ns) / RESULTS_SYN_SLOT_NS;
        slot_add(&l->ring[at < RESULTS_SYN_SLOTS ? at : RESULTS_SYN_SLOTS - 1], &x);
    }
    syn_roll(l, d->clock_ns);
}

void results_flow_done(void *ctx, const struct flow_summary *s, const struct flow_detail *d)
{
    struct results *r = ctx;
    if (d && d->clock_ns > r->clock_ns)
        r->clock_ns = d->clock_ns;
    if (unanswered_attempt(s, d))
        note_unanswered(r, s, d);
    bool problem = results_flow_has_problem(s);
    keep_sizes(r, s, d, problem);
    for (int dir = 0; d && dir < 2; dir++) {
        if (!d->resend[dir] || d->resend[dir]->copies < RESEND_MIN_COPIES)
            continue;
        if (r->nresends == r->cap_resends) {
            struct results_resend *t =
                grow(r->resends, &r->cap_resends, RESULTS_MAX_RESENDS, sizeof *t);
            if (!t) { /* full, or out of memory */
                r->resends_unlisted++;
                continue;
            }
            r->resends = t;
        }
        struct results_resend *k = &r->resends[r->nresends++];
        k->flow = results_flow_id(r, s->id);
        k->dir = (uint8_t)dir;
        k->run = *d->resend[dir];
    }
    if (problem ? r->nproblem == RESULTS_MAX_PROBLEM_FLOWS
                : r->nhealthy == RESULTS_MAX_HEALTHY_FLOWS) {
        r->flows_unlisted++;
        return;
    }
    if (r->nflows == r->cap_flows) {
        struct flow_summary *t =
            grow(r->flows, &r->cap_flows, RESULTS_MAX_PROBLEM_FLOWS + RESULTS_MAX_HEALTHY_FLOWS,
                 sizeof *t);
        if (!t) { /* out of memory */
            r->flows_unlisted++;
            return;
        }
        r->flows = t;
    }
    struct flow_summary *k = &r->flows[r->nflows++];
    *k = *s;
    k->frags = NULL;
    if (s->frags) { /* the flow table's goes with the flow: a copy (NULL when out of memory) */
        struct flow_frags *c = malloc(sizeof *c);
        if (c)
            *c = *s->frags;
        k->frags = c;
    }
    k->id = results_flow_id(r, s->id);
    if (k->tunnel)
        k->tunnel += r->tunnel_base;
    if (k->carries_tunnel)
        k->carries_tunnel += r->tunnel_base;
    if (problem)
        r->nproblem++;
    else
        r->nhealthy++;
}

void results_storm(void *ctx, const struct flow_storm *st)
{
    struct results *r = ctx;
    if (r->nstorms == r->cap_storms) {
        struct flow_storm *t = grow(r->storms, &r->cap_storms, RESULTS_MAX_STORMS, sizeof *t);
        if (!t) { /* full, or out of memory */
            r->storms_unlisted++;
            return;
        }
        r->storms = t;
    }
    struct flow_storm *k = &r->storms[r->nstorms++];
    *k = *st;
    k->flow = results_flow_id(r, st->flow);
    k->input = r->input;
}

/* Each storm once.  The capture-wide window exists to catch retransmissions
 * spread over many flows (a shared link congested), none of which storms on
 * its own; when the storms of single flows at the same time, in the same
 * input, hold all its retransmissions, it is the same event seen twice (a
 * one-flow capture's storm was listed for the flow and for "all flows", and
 * counted twice).  Then only the flows' storms are kept. */
static void storms_settle(struct results *r)
{
    uint32_t kept = 0;
    for (uint32_t i = 0; i < r->nstorms; i++) {
        const struct flow_storm *g = &r->storms[i];
        uint64_t held = 0;
        for (uint32_t k = 0; !g->flow && g->input == r->input && k < r->nstorms; k++) {
            const struct flow_storm *f = &r->storms[k];
            if (f->flow && f->input == g->input && f->start_ns <= g->end_ns &&
                f->end_ns >= g->start_ns)
                held += f->retransmissions;
        }
        if (!g->flow && g->input == r->input && held >= g->retransmissions)
            continue; /* the flows' storms say it */
        r->storms[kept++] = *g;
    }
    r->nstorms = kept;
}

const struct flow_summary *results_flow(const struct results *r, uint64_t id)
{
    for (uint32_t i = 0; i < r->nflows; i++)
        if (r->flows[i].id == id)
            return &r->flows[i];
    return NULL;
}

/* What the peer's security association says about a re-send run.  Raw ESP
 * (IP protocol 50) keys each direction by its own SPI, so each direction
 * is its own flow and a run's tracker never sees the peer's packets
 * (resend.h).  The peer's flows are the ESP flows of this input from the
 * run's destination to its source that carry nothing the other way: their
 * first and last times are the peer's packets.  All of one inside the run:
 * they crossed during it; its last before the run's first copy: the peer was
 * heard then.  A flow that straddles the run's start or end says neither. */
static void esp_peer(const struct results *r, const struct flow_summary *f,
                     struct results_resend *rr)
{
    struct resend_run *run = &rr->run;
    const struct addr *src = rr->dir ? &f->server : &f->client;
    const struct addr *dst = rr->dir ? &f->client : &f->server;
    for (uint32_t i = 0; i < r->nflows; i++) {
        const struct flow_summary *g = &r->flows[i];
        if (g->input != f->input || g->proto != IP_PROTO_ESP || g->id == f->id ||
            g->dir[1].packets || addr_cmp(&g->client, dst) || addr_cmp(&g->server, src))
            continue;
        if (g->first_ns > run->first_ns && g->last_ns <= run->last_ns) {
            uint64_t n = run->peer + g->dir[0].packets;
            run->peer = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
        } else if (g->last_ns <= run->first_ns &&
                   (run->peer_before_ns < 0 || run->first_ns - g->last_ns < run->peer_before_ns)) {
            run->peer_before_ns = run->first_ns - g->last_ns;
        }
    }
}

void results_end_input(struct results *r, const struct flow_table *ft)
{
    for (uint32_t i = 0; i < r->nresends; i++) {
        const struct flow_summary *f = results_flow(r, r->resends[i].flow);
        if (f && f->proto == IP_PROTO_ESP && f->id > r->flow_base)
            esp_peer(r, f, &r->resends[i]);
    }

    /* attempts still waiting: judged when the capture went on long enough
     * after them, else not judged */
    for (uint32_t i = 0; i < r->nlisteners; i++) {
        struct results_listener *l = &r->listeners[i];
        if (l->input != r->input)
            continue;
        syn_roll(l, r->clock_ns);
        for (int k = 0; k < RESULTS_SYN_SLOTS; k++) {
            l->pending += l->ring[k].attempts;
            memset(&l->ring[k], 0, sizeof l->ring[k]);
        }
    }
    r->clock_ns = 0;
    const struct flow_stats *fs = flow_get_stats(ft);
    uint32_t n = flow_tunnel_count(ft);
    for (uint32_t i = 1; i <= n; i++) {
        const struct flow_tunnel *t = flow_tunnel_get(ft, i);
        if (!t)
            continue;
        if (r->ntunnels == r->cap_tunnels) {
            struct flow_tunnel *nt =
                grow(r->tunnels, &r->cap_tunnels, RESULTS_MAX_TUNNELS, sizeof *nt);
            if (!nt) { /* full, or out of memory */
                r->tunnels_unlisted++;
                continue;
            }
            r->tunnels = nt;
        }
        struct flow_tunnel *k = &r->tunnels[r->ntunnels++];
        *k = *t;
        k->id = t->id + r->tunnel_base;
    }
    r->tcp_flows += fs->tcp_flows;
    r->udp_flows += fs->udp_flows;
    r->total_flows += fs->flows;
    r->retransmissions += fs->retransmissions;
    r->evicted += fs->evicted;
    r->resumed += fs->resumed;
    r->forgotten += fs->forgotten;
    if (fs->live_peak > r->live_peak)
        r->live_peak = fs->live_peak;
    r->flow_base += fs->flows;
    r->tunnel_base += n;
    storms_settle(r);
}

const char *results_flow_proto(const struct flow_summary *f)
{
    if (f->opaque == LAYER_WIREGUARD)
        return "wg";
    if (f->opaque == LAYER_OPENVPN)
        return "openvpn";
    return ip_proto_name(f->proto);
}

/* Appends to buf; false (and buf cut short) when it does not fit. */
static bool put(char *buf, size_t size, size_t *n, const char *fmt, ...)
{
    if (*n >= size)
        return false;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf + *n, size - *n, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= size - *n) {
        *n = size;
        return false;
    }
    *n += (size_t)k;
    return true;
}

/* The flow's packets by their addresses and ports (or protocol), in one
 * direction (its source address) or both (dir < 0).  ICMPv6 is `icmpv6`,
 * never `ipv6.nxt == 58`: an extension header (a fragment header, a
 * destination option) stands between them in the chain and ipv6.nxt names
 * it instead. */
static bool flow_terms(const struct flow_summary *f, int dir, char *buf, size_t size, size_t *n)
{
    char a[64], b[64];
    bool v6 = f->ip_version == 6;
    const char *ipf = v6 ? "ipv6.addr" : "ip.addr";
    addr_text(&f->client, a, sizeof a);
    addr_text(&f->server, b, sizeof b);
    bool ok = put(buf, size, n, "%s == %s && %s == %s", ipf, a, ipf, b);
    if (f->proto == IP_PROTO_TCP || f->proto == IP_PROTO_UDP) {
        const char *pf = f->proto == IP_PROTO_TCP ? "tcp.port" : "udp.port";
        ok = ok && put(buf, size, n, " && %s == %u", pf, f->client_port);
        if (f->client_port != f->server_port) /* WireGuard's 51820 both ways: once is enough */
            ok = ok && put(buf, size, n, " && %s == %u", pf, f->server_port);
    } else if (v6 && f->proto == IP_PROTO_ICMPV6) {
        ok = ok && put(buf, size, n, " && icmpv6");
    } else {
        ok = ok && put(buf, size, n, " && %s == %u", v6 ? "ipv6.nxt" : "ip.proto", f->proto);
    }
    if (dir >= 0)
        ok = ok && put(buf, size, n, " && %s == %s", v6 ? "ipv6.src" : "ip.src", dir ? b : a);
    return ok;
}

/* A direction's fragmented datagrams by their IP ids (struct flow_frags):
 * every fragment of each, whatever Wireshark makes of its upper layers.
 * IPv6 fragments by their fragment header (ipv6.fraghdr), never
 * ipv6.fragment, which only the reassembling frame carries.  Nothing when
 * the direction had none. */
static bool frag_terms(const struct flow_frags *x, int dir, char *buf, size_t size, size_t *n)
{
    const struct flow_frag_layer *y = &x->layer[dir];
    int k = 0;
    while (k < x->n && x->ids[k].dir != dir)
        k++;
    if (!y->set || k == x->n)
        return true;
    bool v6 = y->version == 6;
    struct addr s, d;
    addr_from_bytes(&s, y->version, y->src);
    addr_from_bytes(&d, y->version, y->dst);
    char a[64], b[64];
    const char *ip = v6 ? "ipv6" : "ip";
    bool ok = put(buf, size, n, " || (%s.src == %s && %s.dst == %s", ip, addr_text(&s, a, sizeof a),
                  ip, addr_text(&d, b, sizeof b));
    if (!v6)
        ok = ok && put(buf, size, n, " && ip.proto == %u", y->proto);
    ok = ok && put(buf, size, n, " && %s in {", v6 ? "ipv6.fraghdr.ident" : "ip.id");
    for (int m = 0, first = 1; ok && m < x->n; m++) {
        if (x->ids[m].dir != dir)
            continue;
        ok = put(buf, size, n, "%s0x%0*x", first ? "" : ", ", v6 ? 8 : 4,
                 v6 ? x->ids[m].id : x->ids[m].id & 0xffff);
        first = 0;
    }
    return ok && put(buf, size, n, "})");
}

void results_flow_filter_dir(const struct flow_summary *f, int dir, const char *extra, char *buf,
                             size_t size)
{
    if (!size)
        return;
    size_t n = 0;
    bool ok = true, frags = false;
    for (int k = 0; f->frags && k < f->frags->n; k++)
        frags |= dir < 0 || f->frags->ids[k].dir == dir;
    if (frags) {
        ok = put(buf, size, &n, "((");
        ok = ok && flow_terms(f, dir, buf, size, &n) && put(buf, size, &n, ")");
        for (int d = 0; d < 2; d++)
            if (dir < 0 || dir == d)
                ok = ok && frag_terms(f->frags, d, buf, size, &n);
        ok = ok && put(buf, size, &n, ")");
    }
    if (!ok || !n) { /* no fragments, or their ids do not fit: the flow alone */
        n = 0;
        ok = flow_terms(f, dir, buf, size, &n);
    }
    if (ok && extra)
        ok = put(buf, size, &n, " && %s", extra);
    if (!ok)
        buf[0] = '\0'; /* never a filter cut in the middle */
}

uint32_t results_flow_frags_unnamed(const struct flow_summary *f, int d)
{
    if (!f || !f->frags)
        return 0;
    uint32_t seen = 0, named = 0;
    for (int k = 0; k < 2; k++)
        if (d < 0 || d == k)
            seen += f->frags->datagrams[k];
    for (int k = 0; k < f->frags->n; k++)
        if (d < 0 || d == f->frags->ids[k].dir)
            named++;
    return seen > named ? seen - named : 0;
}

void results_flow_filter(const struct flow_summary *f, const char *extra, char *buf, size_t size)
{
    results_flow_filter_dir(f, -1, extra, buf, size);
}
