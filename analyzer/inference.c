/*
 * inference.c - from the evidence the earlier stages kept to a diagnosis.
 *
 * The rules, in the order they are applied:
 *
 *  1. ICMP frag-needed / packet-too-big: the reported MTU (0: the RFC 1191
 *     plateau below the quoted packet, marked as a guess) is an upper bound
 *     for the quoted packet's path; whether the sender obeyed comes from
 *     pmtud.c, which watched the flow's later packets.
 *  2. Sender-side black hole (a TCP direction): ranges were sent more than
 *     once and never delivered, the smallest of them larger than anything
 *     delivered, and the sender backed off (two or more retransmissions of a
 *     sequence, or the flow stalled).  Upper bound: smallest lost - 1; lower
 *     bound: largest delivered.  An ICMP message for the flow that reports an
 *     MTU below the lost size turns it into "PMTUD working" when obeyed, or
 *     "ICMP ignored" when not.  If the flow did not stall, the data got
 *     through in smaller packets: healed by the sender.
 *  3. Receiver-side suspicion: the peer's data has a hole (bytes never seen,
 *     "previous segment not captured") and nothing near the size the MSS
 *     allows ever arrived.  Nothing proves an upper bound here; the lower
 *     bound is the largest packet that did arrive.
 *     A quieter form, the silent sender: a connection still open at the
 *     end, whose one side sent only small data, then nothing for
 *     SILENT_NS, its peer never sending data at all (waiting for the rest
 *     of an upload), while other flows between the same two hosts went on:
 *     the rest was probably sent in full-size packets that never came.  A
 *     suspicion; the sender's side of the path has the proof.
 *  4. Every TCP direction's largest delivered packet is a lower bound.
 *  5. Ping sweeps: the largest answered request and the smallest unanswered
 *     one bound the path (exact when they are 1 apart).
 *  5a. WireGuard, receiving side: counters skipped (lost messages) are a
 *     suspected black hole of that direction, what arrived a lower bound;
 *     every counter present and nothing re-sent is a healthy tunnel.
 *  5b. Opaque tunnels, sending side: the tunnel's largest datagram re-sent
 *     at doubling intervals (resend.h) while smaller packets kept crossing
 *     both ways: the inner TCP timing out on a packet the path drops.  A
 *     suspicion, with the size as the suspected loss; no bound, since no
 *     drop is seen.
 *  6. Tunnels: overhead from the tunnel's headers and outer IP version; the
 *     recommended inner MTU is the outer path's upper bound minus it.
 * Bounds are never widened by a guess: an upper bound is only set from a
 * message or a loss that was seen.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "correlate.h"
#include "inference.h"

static void fmt(char *dst, size_t n, const char *f, ...) __attribute__((format(printf, 3, 4)));
static void fmt(char *dst, size_t n, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    vsnprintf(dst, n, f, ap);
    va_end(ap);
}

static struct inf_finding *add_finding(struct inference *inf, enum inf_severity sev,
                                       const char *kind, uint64_t flow, int input)
{
    if (inf->nfindings == INF_MAX_FINDINGS)
        return NULL;
    struct inf_finding *f = &inf->findings[inf->nfindings++];
    memset(f, 0, sizeof *f);
    f->severity = (uint8_t)sev;
    fmt(f->kind, sizeof f->kind, "%s", kind);
    f->flow = flow;
    f->input = input;
    return f;
}

static void add_rec(struct inference *inf, const char *text)
{
    for (int i = 0; i < inf->nrecs; i++)
        if (strcmp(inf->recs[i], text) == 0)
            return;
    if (inf->nrecs < INF_MAX_RECS)
        fmt(inf->recs[inf->nrecs++], INF_TEXT, "%s", text);
}

/* FNV-1a over what addr_cmp() compares (type, bits, the whole bytes): equal
 * addresses hash alike. */
static uint32_t addr_hash(const struct addr *a, uint32_t h)
{
    h = (h ^ a->addr_type) * 16777619u;
    h = (h ^ a->addr_bits) * 16777619u;
    for (int i = 0; i < a->addr_bits / 8 && i < (int)sizeof a->addr_data8; i++)
        h = (h ^ a->addr_data8[i]) * 16777619u;
    return h;
}

static struct inf_path *path_for(struct inference *inf, const struct addr *src,
                                 const struct addr *dst, enum inf_layer layer, uint32_t tunnel)
{
    /* A path is its two addresses: the same inner packets seen inside a
     * tunnel in one capture and on the tunnel's interface in another (where
     * nothing encloses them) travel one path, inside the tunnel. */
    enum { NSLOTS = 2 * INF_MAX_PATHS }; /* at most half full: short probes */
    uint32_t i = addr_hash(dst, addr_hash(src, 2166136261u)) & (NSLOTS - 1);
    for (; inf->path_slot[i]; i = (i + 1) & (NSLOTS - 1)) {
        struct inf_path *p = &inf->paths[inf->path_slot[i] - 1];
        if (addr_cmp(&p->src, src) == 0 && addr_cmp(&p->dst, dst) == 0) {
            if (layer == INF_INNER && p->layer != INF_INNER) {
                p->layer = INF_INNER;
                p->tunnel = tunnel;
            }
            return p;
        }
    }
    if (inf->npaths == INF_MAX_PATHS)
        return NULL;
    struct inf_path *p = &inf->paths[inf->npaths++];
    inf->path_slot[i] = (int16_t)inf->npaths;
    memset(p, 0, sizeof *p);
    p->src = *src;
    p->dst = *dst;
    p->layer = (uint8_t)layer;
    p->tunnel = tunnel;
    return p;
}

static void evidence(struct inf_path *p, const char *f, ...) __attribute__((format(printf, 2, 3)));
static void evidence(struct inf_path *p, const char *f, ...)
{
    if (!p || p->nevidence == INF_MAX_EVIDENCE)
        return;
    va_list ap;
    va_start(ap, f);
    vsnprintf(p->evidence[p->nevidence++], INF_TEXT, f, ap);
    va_end(ap);
}

static void bound_lower(struct inf_path *p, uint32_t v, const char *why, ...)
    __attribute__((format(printf, 3, 4)));
static void bound_lower(struct inf_path *p, uint32_t v, const char *why, ...)
{
    if (!p || v <= p->lower)
        return;
    p->lower = v;
    va_list ap;
    va_start(ap, why);
    vsnprintf(p->lower_why, sizeof p->lower_why, why, ap);
    va_end(ap);
}

static void bound_upper(struct inf_path *p, uint32_t v)
{
    if (p && v && (!p->upper || v < p->upper))
        p->upper = v;
}

static uint32_t tcpip_hdr(const struct flow_summary *f)
{
    return f->ip_version == 6 ? 60 : 40;
}

/* The ICMP message list is per input; this finds message k of input i in
 * the flat honored[] array. */
static int icmp_flat_index(struct input_stats *const *inputs, int input, int k)
{
    int n = 0;
    for (int i = 0; i < input; i++)
        n += inputs[i]->nicmp;
    return n + k;
}

int inference_icmp_honored(const struct inference *inf, struct input_stats *const *inputs,
                           int input, int k)
{
    int i = icmp_flat_index(inputs, input, k);
    return inf->icmp_honored && i >= 0 && i < inf->nicmp ? inf->icmp_honored[i] : -1;
}

const struct inf_blackhole *inference_blackhole(const struct inference *inf, uint64_t flow)
{
    for (int i = 0; i < inf->nblackholes; i++)
        if (inf->blackholes[i].flow == flow)
            return &inf->blackholes[i];
    return NULL;
}

/* A black hole on a flow's direction: a zeroed entry to fill in, or NULL when
 * the table is full or that direction already has one (the first evidence,
 * the strongest, stays). */
static struct inf_blackhole *add_blackhole(struct inference *inf, uint64_t flow, int dir,
                                           bool suspected)
{
    for (int i = 0; i < inf->nblackholes; i++)
        if (inf->blackholes[i].flow == flow && inf->blackholes[i].dir == dir)
            return NULL;
    if (inf->nblackholes == INF_MAX_BLACKHOLES)
        return NULL;
    struct inf_blackhole *bh = &inf->blackholes[inf->nblackholes++];
    memset(bh, 0, sizeof *bh);
    bh->flow = flow;
    bh->dir = (uint8_t)dir;
    bh->suspected = suspected;
    return bh;
}

struct tally {
    int blackholes, suspected, healed, pmtud_ok, icmp_ignored, clamped, tcp_delivered;
    uint32_t pmtud_mtu; /* an MTU a router reported and the sender obeyed */
    bool pmtud_guessed; /* ... reported as 0: the sender's RFC 1191 plateau guess */
    int sweep_cliffs;   /* ping sweeps with answered and unanswered sizes */
    int wg_suspected;   /* WireGuard flows with messages lost */
    const struct flow_summary *wg_flow;
    int silent; /* receiver side: senders that fell silent after small data */
    const struct flow_summary *silent_flow;
    int silent_dir;
    uint32_t silent_full;
    int measured; /* directions whose loss by size was measured across two captures */
    struct corr_verdict mv;
    const struct corr_dir *md;
    int mup, mdown;
    int tunnel_clean; /* WireGuard flows with every counter seen and nothing re-sent */
    const struct flow_summary *clean_flow;
    int resends; /* opaque tunnels re-sending their largest datagrams with backoff */
    const struct results_resend *resend;
    const struct flow_summary *resend_flow;
    int capped; /* receiver side: a sender's packets capped below its MSS */
    uint32_t capped_size;
    const struct pmtud_sweep *sweep;
    uint32_t worst_smallest_lost, worst_largest_delivered;
    const struct flow_summary *worst;
    int worst_dir;
};

/* ---- 1. ICMP ---- */

static int icmp_watch_verdict(const struct results *res, int input, int k,
                              const struct pmtud_watch **out)
{
    for (int i = 0; i < pmtud_nwatches(res->pmtud); i++) {
        const struct pmtud_watch *w = pmtud_watch_get(res->pmtud, i);
        if (w->input == input && w->icmp_index == k) {
            *out = w;
            if (!w->after)
                return -1; /* nothing sent afterwards: cannot say */
            return w->bigger ? 0 : 1;
        }
    }
    *out = NULL;
    return -1;
}

/* Routers send one message per dropped packet: evidence groups them. */
struct icmp_group {
    int input;
    struct addr from, qsrc, qdst;
    uint32_t mtu, count;
    bool guessed, v6;
    uint64_t first, last;
    int honored, ignored;
};

#define MAX_ICMP_GROUPS 64

static void icmp_group_add(struct icmp_group *g, int *ng, int input, const struct icmp_mtu_msg *m,
                           uint32_t mtu, int h)
{
    int i = 0;
    while (i < *ng && !(g[i].input == input && g[i].mtu == mtu && g[i].v6 == m->v6 &&
                        !addr_cmp(&g[i].from, &m->from) && !addr_cmp(&g[i].qsrc, &m->qsrc) &&
                        !addr_cmp(&g[i].qdst, &m->qdst)))
        i++;
    if (i == *ng) {
        if (*ng == MAX_ICMP_GROUPS)
            return;
        memset(&g[i], 0, sizeof g[i]);
        g[i].input = input;
        g[i].from = m->from;
        g[i].qsrc = m->qsrc;
        g[i].qdst = m->qdst;
        g[i].mtu = mtu;
        g[i].v6 = m->v6;
        g[i].guessed = m->mtu == 0;
        g[i].first = m->frame;
        (*ng)++;
    }
    g[i].count++;
    g[i].last = m->frame;
    g[i].honored += h == 1;
    g[i].ignored += h == 0;
}

static void icmp_stage(struct inference *inf, struct input_stats *const *inputs, int ninputs,
                       const struct results *res, struct tally *t)
{
    struct icmp_group groups[MAX_ICMP_GROUPS];
    int ngroups = 0;
    int flat = 0;
    for (int i = 0; i < ninputs; i++) {
        struct input_stats *s = inputs[i];
        for (int k = 0; k < s->nicmp; k++, flat++) {
            const struct icmp_mtu_msg *m = &s->icmp[k];
            const struct pmtud_watch *w;
            int h = icmp_watch_verdict(res, i, k, &w);
            inf->icmp_honored[flat] = (int8_t)h;
            uint32_t mtu = m->mtu ? m->mtu : pmtud_plateau_below(m->quoted_len);
            char from[64], qs[64], qd[64];
            addr_text(&m->from, from, sizeof from);
            addr_text(&m->qsrc, qs, sizeof qs);
            addr_text(&m->qdst, qd, sizeof qd);
            const char *what = m->v6 ? "packet-too-big" : "frag-needed";
            uint32_t floor = m->v6 ? 1280 : 68;
            bool implausible =
                (m->mtu && m->mtu < floor) || (m->quoted_len && mtu >= m->quoted_len);
            if (implausible) {
                struct inf_finding *f =
                    add_finding(inf, INF_WARNING, "icmp-implausible", m->flow, i);
                if (f) {
                    fmt(f->message, INF_TEXT,
                        "%s from %s reports MTU %u for a %u-byte packet: %s; ignored for the "
                        "path MTU",
                        what, from, m->mtu, m->quoted_len,
                        m->mtu && m->mtu < floor ? "below the protocol minimum"
                                                 : "not smaller than the packet it quotes");
                    f->frames[f->nframes++] = m->frame;
                    fmt(f->wireshark_filter, INF_TEXT, "frame.number == %" PRIu64, m->frame);
                }
                continue;
            }
            if (m->qsrc.addr_type != ADDR_TYPE_IP && m->qsrc.addr_type != ADDR_TYPE_IP6)
                continue;
            /* the quoted packet is the one that was too big: its path */
            struct inf_path *p = path_for(inf, &m->qsrc, &m->qdst, INF_OUTER, 0);
            /* A reported MTU bounds the path; MTU 0 only proves that the
             * quoted packet was too big: the plateau is the sender's guess,
             * not the path's limit. */
            bound_upper(p, m->mtu ? mtu : m->quoted_len ? m->quoted_len - 1u : 0);
            icmp_group_add(groups, &ngroups, i, m, mtu, h);
            if (h == 1)
                t->pmtud_ok++;
            if (h == 0 && w) {
                t->icmp_ignored++;
                struct inf_finding *f = add_finding(inf, INF_ERROR, "icmp-ignored", m->flow, i);
                if (f) {
                    fmt(f->message, INF_TEXT,
                        "%s sent %" PRIu64 " packets larger than %u bytes after %s frame %" PRIu64
                        " from %s told it the path MTU is %u (largest %u bytes)",
                        qs, w->bigger, mtu, what, m->frame, from, mtu, w->max_after);
                    f->frames[f->nframes++] = m->frame;
                    if (w->last_bigger_frame)
                        f->frames[f->nframes++] = w->last_bigger_frame;
                    fmt(f->wireshark_filter, INF_TEXT, "ip%s.src == %s && %s > %u",
                        m->v6 ? "v6" : "", qs, m->v6 ? "ipv6.plen" : "ip.len",
                        m->v6 ? mtu - 40 : mtu);
                }
            }
            (void)qd;
        }
    }
    for (int g = 0; g < ngroups; g++) {
        const struct icmp_group *x = &groups[g];
        char from[64];
        struct inf_path *p = path_for(inf, &x->qsrc, &x->qdst, INF_OUTER, 0);
        char frames[64];
        if (x->count == 1)
            fmt(frames, sizeof frames, "frame %" PRIu64, x->first);
        else
            fmt(frames, sizeof frames, "frames %" PRIu64 "-%" PRIu64, x->first, x->last);
        char in[32] = "";
        if (ninputs > 1)
            fmt(in, sizeof in, ", input %d", x->input + 1);
        evidence(p, "%u %s message%s (%s%s) from %s report%s MTU %u%s%s", x->count,
                 x->v6 ? "packet-too-big" : "frag-needed", x->count > 1 ? "s" : "", frames, in,
                 addr_text(&x->from, from, sizeof from), x->count > 1 ? "" : "s", x->mtu,
                 x->guessed ? " (0 reported: the RFC 1191 plateau below the packet, a guess; the "
                              "packet it quotes was too big)"
                            : "",
                 x->honored   ? "; the sender obeyed"
                 : x->ignored ? "; the sender ignored it"
                              : "");
        if (x->honored && !t->pmtud_mtu) {
            t->pmtud_mtu = x->mtu;
            t->pmtud_guessed = x->guessed;
        }
    }
}

/* ---- 2-4. TCP flows ---- */

static bool flow_has_icmp(struct input_stats *const *inputs, int ninputs,
                          const struct inference *inf, uint64_t flow, uint32_t below, int *honored,
                          uint32_t *mtu, uint64_t *frame)
{
    bool found = false;
    int flat = 0;
    *honored = -1;
    for (int i = 0; i < ninputs; i++) {
        for (int k = 0; k < inputs[i]->nicmp; k++, flat++) {
            const struct icmp_mtu_msg *m = &inputs[i]->icmp[k];
            uint32_t eff = m->mtu ? m->mtu : pmtud_plateau_below(m->quoted_len);
            if (m->flow != flow || (below && eff >= below))
                continue;
            if (!found)
                *frame = m->frame;
            found = true;
            *mtu = eff;
            if (inf->icmp_honored[flat] > *honored)
                *honored = inf->icmp_honored[flat];
        }
    }
    return found;
}

static enum inf_layer flow_layer(const struct flow_summary *f)
{
    return f->tunnel ? INF_INNER : INF_OUTER;
}

static void direction_addrs(const struct flow_summary *f, int d, const struct addr **src,
                            const struct addr **dst)
{
    *src = d ? &f->server : &f->client;
    *dst = d ? &f->client : &f->server;
}

static int64_t backoff_cost_ns(const struct flow_dir_summary *x)
{
    int64_t t = 0;
    for (int i = 0; i < x->backoff_nintervals && i < FLOW_BACKOFF_KEPT; i++)
        t += (int64_t)x->backoff_us[i] * 1000;
    return t;
}

/* The size cliff of one direction: the largest IP size ever delivered (L)
 * and the smallest larger size sent but never delivered (S).  The per-flow
 * counters only know transmissions that were never covered at all; the size
 * table also catches the sizes whose bytes later got through in smaller
 * packets (a black hole the sender healed).  Exact sizes only: a size class
 * cannot bound anything. */
static bool size_cliff(const struct dl_sizes *z, bool stalled, uint32_t *largest,
                       uint32_t *smallest, uint32_t *lost)
{
    uint32_t l = 0, sm = 0, n = 0;
    for (int i = 0; i < z->nexact; i++)
        if (z->exact[i].delivered && z->exact[i].size > l)
            l = z->exact[i].size;
    for (int i = 0; i < z->nexact; i++) {
        const struct dl_size *e = &z->exact[i];
        /* In a stalled flow, segments sent after the hole are never
         * acknowledged whatever their size: only sizes that were sent again
         * and never delivered count.  In a flow that recovered, every byte
         * was covered in the end, so a size never credited with a delivery
         * was replaced by smaller packets. */
        if (e->size > l && e->sent && !e->delivered && (!stalled || e->lost)) {
            n += e->sent;
            if (!sm || e->size < sm)
                sm = e->size;
        }
    }
    *largest = l;
    *smallest = sm;
    *lost = n;
    return sm != 0;
}

static void sender_side(struct inference *inf, struct input_stats *const *inputs, int ninputs,
                        const struct results *res, const struct flow_summary *f, int d,
                        struct tally *t)
{
    const struct flow_dir_summary *x = &f->dir[d];
    const struct addr *src, *dst;
    direction_addrs(f, d, &src, &dst);
    char a[64], b[64];
    addr_text(src, a, sizeof a);
    addr_text(dst, b, sizeof b);
    struct inf_path *p = path_for(inf, src, dst, flow_layer(f), f->tunnel);

    if (x->largest_delivered) {
        bound_lower(p, x->largest_delivered,
                    "flow #%" PRIu64 ": a %u-byte packet from %s was acknowledged", f->id,
                    x->largest_delivered, a);
        t->tcp_delivered++;
    }
    uint32_t largest = x->largest_delivered, smallest = x->smallest_lost, nlost = x->dl_lost;
    bool lost_big = x->dl_lost && smallest && smallest > largest;
    const struct results_sizes *rs = results_sizes_of(res, f->id);
    if (rs && size_cliff(&rs->dir[d], x->stalled, &largest, &smallest, &nlost))
        lost_big = true;
    bool backed_off = x->backoff_count >= 2 || x->stalled || x->tcp.retrans >= 2;
    if (!lost_big || !backed_off)
        return;

    int honored;
    uint32_t mtu = 0;
    uint64_t icmp_frame = 0;
    if (flow_has_icmp(inputs, ninputs, inf, f->id, smallest, &honored, &mtu, &icmp_frame)) {
        if (honored != 0) {
            struct inf_finding *fi = add_finding(inf, INF_INFO, "pmtud-working", f->id, f->input);
            if (fi) {
                fmt(fi->message, INF_TEXT,
                    "flow #%" PRIu64 ": %s's %u-byte packets drew ICMP messages reporting MTU %u "
                    "and the sender re-sent the data in smaller packets: path-MTU discovery works",
                    f->id, a, smallest, mtu);
                results_flow_filter(f,
                                    "(tcp.analysis.retransmission || (icmp.type == 3 && "
                                    "icmp.code == 4) || icmpv6.type == 2)",
                                    fi->wireshark_filter, INF_TEXT);
                fi->frames[fi->nframes++] = icmp_frame; /* the first message, then the re-sends */
                if (x->first_retrans_frame)
                    fi->frames[fi->nframes++] = x->first_retrans_frame;
                for (int i = 0; i < x->nlost_frames && fi->nframes < INF_MAX_FRAMES; i++)
                    fi->frames[fi->nframes++] = x->lost_frames[i];
            }
        }
        return; /* an ignored message is reported by the ICMP stage */
    }

    struct inf_blackhole *bh = add_blackhole(inf, f->id, d, false);
    if (bh) {
        bh->healed = !x->stalled;
        bh->largest_delivered = largest;
        bh->smallest_lost = smallest;
        bh->cost_ns = bh->healed ? backoff_cost_ns(x) : 0;
        for (int i = 0; i < x->nlost_frames && bh->nframes < INF_MAX_FRAMES; i++)
            bh->frames[bh->nframes++] = x->lost_frames[i];
        if (!bh->nframes && x->first_retrans_frame)
            bh->frames[bh->nframes++] = x->first_retrans_frame;
    }
    bound_upper(p, smallest - 1);
    evidence(p,
             "flow #%" PRIu64 ": %u transmissions of %u-byte or larger packets from %s, sent "
             "again and again, never acknowledged; packets up to %u bytes delivered",
             f->id, nlost, smallest, a, largest);

    struct inf_finding *fi =
        add_finding(inf, x->stalled ? INF_ERROR : INF_WARNING, "blackhole", f->id, f->input);
    if (fi) {
        if (x->stalled)
            fmt(fi->message, INF_TEXT,
                "black hole: %s's packets of %u bytes never reach %s (retransmitted %u times, "
                "backing off, no ICMP seen); packets up to %u bytes do; the flow stalls",
                a, smallest, b, x->backoff_count, largest);
        else
            fmt(fi->message, INF_TEXT,
                "black hole healed by the sender: %s's %u-byte packets never reached %s; after "
                "%.1f s of timeouts it re-sent the data in packets of at most %u bytes",
                a, smallest, b, (double)backoff_cost_ns(x) / 1e9, largest);
        char extra[64];
        fmt(extra, sizeof extra, "%s > %u", f->ip_version == 6 ? "ipv6.plen" : "ip.len",
            f->ip_version == 6 ? largest - 40 : largest);
        results_flow_filter(f, extra, fi->wireshark_filter, INF_TEXT);
        for (int i = 0; i < x->nlost_frames && fi->nframes < INF_MAX_FRAMES; i++)
            fi->frames[fi->nframes++] = x->lost_frames[i];
        if (!fi->nframes && x->first_retrans_frame) /* healed: the big copies were superseded */
            fi->frames[fi->nframes++] = x->first_retrans_frame;
    }
    if (x->stalled)
        t->blackholes++;
    else
        t->healed++;
    if (!t->worst || x->stalled) {
        t->worst = f;
        t->worst_dir = d;
        t->worst_smallest_lost = smallest;
        t->worst_largest_delivered = largest;
    }
}

/* The receiver's view: the peer (direction d's sender) announced an MSS
 * allowing big packets, none arrived, and its byte stream has a hole. */
/* Seen from the receiver, a sender that learned the path MTU from ICMP
 * re-sends within a round trip; one that had to find it itself (Linux
 * tcp_mtu_probing, Windows' black-hole detection) is silent for several RTOs
 * first.  A pause this long before the capped packets is the latter. */
#define HEAL_PAUSE_MS 1000

static void healed_seen_by_receiver(struct inference *inf, const struct flow_summary *f, int d,
                                    uint32_t full, struct tally *t)
{
    const struct flow_dir_summary *x = &f->dir[d];
    const struct addr *src, *dst;
    direction_addrs(f, d, &src, &dst);
    char a[64], b[64];
    addr_text(src, a, sizeof a);
    addr_text(dst, b, sizeof b);
    struct inf_path *p = path_for(inf, src, dst, flow_layer(f), f->tunnel);
    evidence(p,
             "flow #%" PRIu64 ": %s's data paused %.1f s, then came in packets of at most %u "
             "bytes although the MSS allows %u: full-size packets were lost until the sender "
             "found a smaller size",
             f->id, a, (double)x->data_gap_ms / 1e3, x->max_packet, full);
    struct inf_blackhole *bh = add_blackhole(inf, f->id, d, true);
    if (bh) {
        bh->healed = true;
        bh->largest_delivered = x->max_packet;
        bh->cost_ns = (int64_t)x->data_gap_ms * 1000000;
        bh->frames[bh->nframes++] = x->data_gap_frame;
    }
    struct inf_finding *fi = add_finding(inf, INF_WARNING, "blackhole", f->id, f->input);
    if (fi) {
        fmt(fi->message, INF_TEXT,
            "black hole healed by the sender (receiver side): data from %s stopped for %.1f s, "
            "then arrived re-sent in packets of at most %u bytes although MSS allows %u: %s's "
            "full-size packets never reached %s and it found a smaller size by itself (as TCP "
            "MTU probing does), at a cost of %.1f s",
            a, (double)x->data_gap_ms / 1e3, x->max_packet, full, a, b,
            (double)x->data_gap_ms / 1e3);
        fi->frames[fi->nframes++] = x->data_gap_frame;
        char extra[64];
        fmt(extra, sizeof extra, "frame.number == %u", x->data_gap_frame);
        results_flow_filter(f, extra, fi->wireshark_filter, INF_TEXT);
    }
    t->healed++;
    if (!t->worst) {
        t->worst = f;
        t->worst_dir = d;
        t->worst_smallest_lost = full;
        t->worst_largest_delivered = x->max_packet;
    }
}

static void receiver_side(struct inference *inf, const struct flow_summary *f, int d,
                          struct tally *t)
{
    const struct flow_dir_summary *x = &f->dir[d], *peer = &f->dir[!d];
    /* A sender whose data arrives re-sent and capped below what the MSS
     * allows learned a smaller path MTU (PMTUD, or its own probing), even if
     * the ICMP message went to the sender and is not in this capture. */
    if (!x->dl_lost && x->tcp.data_segments >= 10 && x->tcp.retrans + x->tcp.out_of_order &&
        x->mss + peer->mss) {
        uint32_t m = x->mss && peer->mss ? (x->mss < peer->mss ? x->mss : peer->mss)
                                         : (x->mss ? x->mss : peer->mss);
        uint32_t full = m + tcpip_hdr(f);
        if (x->max_packet >= 576 && x->max_packet + 8u < full && !x->stalled) {
            const struct addr *src, *dst;
            direction_addrs(f, d, &src, &dst);
            char a[64];
            struct inf_path *p = path_for(inf, src, dst, flow_layer(f), f->tunnel);
            bound_lower(p, x->max_packet, "flow #%" PRIu64 ": a %u-byte packet from %s arrived",
                        f->id, x->max_packet, addr_text(src, a, sizeof a));
            if (x->data_gap_ms >= HEAL_PAUSE_MS) {
                healed_seen_by_receiver(inf, f, d, full, t);
                return;
            }
            evidence(p,
                     "flow #%" PRIu64 ": %s's packets arrive re-sent and capped at %u bytes "
                     "although MSS %u allows %u: the sender learned a smaller path MTU",
                     f->id, a, x->max_packet, m, full);
            t->capped++;
            t->capped_size = x->max_packet;
            return;
        }
    }
    if (!x->tcp.lost_segment || x->dl_lost || x->tcp.retrans)
        return; /* no hole, or the sender's side is in the capture: sender_side() judges */
    uint32_t mss = x->mss && peer->mss ? (x->mss < peer->mss ? x->mss : peer->mss)
                                       : (x->mss ? x->mss : peer->mss);
    if (!mss)
        return;
    uint32_t full = mss + tcpip_hdr(f);
    if ((uint32_t)x->max_packet + 40 >= full)
        return; /* full-size packets did arrive */
    const struct addr *src, *dst;
    direction_addrs(f, d, &src, &dst);
    char a[64], b[64];
    addr_text(src, a, sizeof a);
    addr_text(dst, b, sizeof b);
    struct inf_path *p = path_for(inf, src, dst, flow_layer(f), f->tunnel);
    bound_lower(p, x->max_packet, "flow #%" PRIu64 ": a %u-byte packet from %s arrived", f->id,
                x->max_packet, a);
    evidence(p,
             "flow #%" PRIu64 ": bytes from %s are missing at the receiver; nothing larger than %u "
             "bytes arrived although MSS %u allows %u-byte packets",
             f->id, a, x->max_packet, mss, full);
    struct inf_blackhole *bh = add_blackhole(inf, f->id, d, true);
    if (bh) {
        bh->largest_delivered = x->max_packet;
        if (x->first_hole_frame)
            bh->frames[bh->nframes++] = x->first_hole_frame;
    }
    struct inf_finding *fi = add_finding(inf, INF_ERROR, "blackhole", f->id, f->input);
    if (fi) {
        fmt(fi->message, INF_TEXT,
            "black hole suspected (receiver side): %s may send %u-byte packets (MSS %u) but "
            "nothing larger than %u bytes arrived at %s, and part of its data never did",
            a, full, mss, x->max_packet, b);
        results_flow_filter(f, "tcp.analysis.lost_segment", fi->wireshark_filter, INF_TEXT);
        if (x->first_hole_frame)
            fi->frames[fi->nframes++] = x->first_hole_frame;
    }
    t->suspected++;
    if (!t->worst) {
        t->worst = f;
        t->worst_dir = d;
        t->worst_smallest_lost = full;
        t->worst_largest_delivered = x->max_packet;
    }
}

#define SILENT_NS 5000000000ll /* 5 s: longer than any RTO before the first backoffs */

static void silent_sender(struct inference *inf, const struct results *res,
                          const struct flow_summary *f, int d, struct tally *t)
{
    const struct flow_dir_summary *x = &f->dir[d], *peer = &f->dir[!d];
    if (f->end != FLOW_END_CAPTURE || x->closed || peer->closed || !x->tcp.data_segments ||
        peer->tcp.data_segments || x->tcp.retrans || x->tcp.lost_segment)
        return;
    uint32_t mss = x->mss && peer->mss ? (x->mss < peer->mss ? x->mss : peer->mss)
                                       : (x->mss ? x->mss : peer->mss);
    if (!mss || (uint32_t)x->max_packet + 40 >= mss + tcpip_hdr(f))
        return;
    /* the capture and the path stayed alive: another flow between the same
     * two hosts went on well after this one fell silent */
    const struct flow_summary *other = NULL;
    for (uint32_t i = 0; i < res->nflows && !other; i++) {
        const struct flow_summary *g = &res->flows[i];
        if (g != f && g->input == f->input && g->last_ns - f->last_ns >= SILENT_NS &&
            ((!addr_cmp(&g->client, &f->client) && !addr_cmp(&g->server, &f->server)) ||
             (!addr_cmp(&g->client, &f->server) && !addr_cmp(&g->server, &f->client))))
            other = g;
    }
    if (!other)
        return;
    uint32_t full = mss + tcpip_hdr(f);
    const struct addr *src, *dst;
    direction_addrs(f, d, &src, &dst);
    char a[64], b[64];
    addr_text(src, a, sizeof a);
    addr_text(dst, b, sizeof b);
    double quiet = (double)(other->last_ns - f->last_ns) / 1e9;
    struct inf_path *p = path_for(inf, src, dst, flow_layer(f), f->tunnel);
    bound_lower(p, x->max_packet, "flow #%" PRIu64 ": a %u-byte packet from %s arrived", f->id,
                x->max_packet, a);
    evidence(p,
             "flow #%" PRIu64 ": %s sent %u data segment%s of at most %u bytes, then nothing "
             "for %.1f s while flow #%" PRIu64 " went on; MSS %u allows %u-byte packets",
             f->id, a, x->tcp.data_segments, x->tcp.data_segments == 1 ? "" : "s", x->max_packet,
             quiet, other->id, mss, full);
    struct inf_blackhole *bh = add_blackhole(inf, f->id, d, true);
    if (bh) {
        bh->largest_delivered = x->max_packet;
        bh->frames[bh->nframes++] = f->last_frame;
    }
    struct inf_finding *fi = add_finding(inf, INF_WARNING, "blackhole", f->id, f->input);
    if (fi) {
        fmt(fi->message, INF_TEXT,
            "black hole suspected (receiver side): %s sent %u data segment%s of at most %u "
            "bytes and then nothing for %.1f s, with the connection still open and %s waiting "
            "(it never sent data), while flow #%" PRIu64 " between the same hosts went on; if %s "
            "had more to send, its %u-byte packets are not arriving",
            a, x->tcp.data_segments, x->tcp.data_segments == 1 ? "" : "s", x->max_packet, quiet, b,
            other->id, a, full);
        fi->frames[fi->nframes++] = f->last_frame;
        results_flow_filter(f, NULL, fi->wireshark_filter, INF_TEXT);
    }
    t->silent++;
    if (!t->silent_flow) {
        t->silent_flow = f;
        t->silent_dir = d;
        t->silent_full = full;
    }
}

/* MSS clamping: one side announces an MSS well below what its peer
 * announces (both would be 1460 on Ethernet), and the data respects it. */
static void mss_check(struct inference *inf, const struct flow_summary *f, struct tally *t)
{
    uint32_t c = f->dir[0].mss, s = f->dir[1].mss;
    if (!c || !s || c == s)
        return;
    uint32_t lo = c < s ? c : s, hi = c < s ? s : c;
    if (hi - lo < 40)
        return; /* small differences are options or stacks, not a clamp */
    t->clamped++;
    struct inf_finding *fi = add_finding(inf, INF_INFO, "mss-clamped", f->id, f->input);
    if (fi) {
        fmt(fi->message, INF_TEXT,
            "flow #%" PRIu64 ": MSS %u one way and %u the other: a router on the path likely "
            "clamps the MSS to %u (a path MTU of %u)",
            f->id, c, s, lo, lo + tcpip_hdr(f));
        results_flow_filter(f, "tcp.flags.syn == 1", fi->wireshark_filter, INF_TEXT);
        if (f->first_frame <= UINT32_MAX)
            fi->frames[fi->nframes++] = f->first_frame; /* the flow's first packet: its SYN */
    }
}

/* ---- 5. ping sweeps ---- */

static void sweep_stage(struct inference *inf, const struct results *res, struct tally *t)
{
    for (int i = 0; i < pmtud_nsweeps(res->pmtud); i++) {
        const struct pmtud_sweep *s = pmtud_sweep_get(res->pmtud, i);
        if (s->sizes < 3 || !s->largest_answered)
            continue; /* a plain ping, not a sweep */
        struct inf_path *p = path_for(inf, &s->src, &s->dst, INF_OUTER, 0);
        bound_lower(p, s->largest_answered,
                    "ping sweep: a %u-byte echo request (frame %" PRIu64 ") was answered",
                    s->largest_answered, s->frame_answered);
        if (s->smallest_unanswered > s->largest_answered && s->df) {
            t->sweep_cliffs++;
            if (!t->sweep) {
                t->sweep = s;
            }
            bound_upper(p, s->smallest_unanswered - 1);
            evidence(p,
                     "ping sweep: the %u-byte request (frame %" PRIu64
                     ") and larger ones were never answered",
                     s->smallest_unanswered, s->frame_unanswered);
        }
    }
}

/* ---- 6. tunnels ---- */

static uint32_t tunnel_overhead(const struct flow_tunnel *t)
{
    uint32_t ip = t->ip_version == 6 ? 40 : 20;
    switch (t->type) {
    case LAYER_WIREGUARD:
        return ip + 8 + 32; /* UDP + WireGuard's 16-byte header and 16-byte tag */
    case LAYER_VXLAN:
        return ip + 8 + 8 + 14;
    case LAYER_IPV4:
    case LAYER_IPV6:
        return ip;
    default:
        return t->overhead; /* measured on the first packet (GRE options, GENEVE options...) */
    }
}

static void tunnel_stage(struct inference *inf, const struct results *res)
{
    for (uint32_t i = 0; i < res->ntunnels; i++) {
        const struct flow_tunnel *t = &res->tunnels[i];
        struct inf_tunnel *it = &inf->tunnels[i];
        it->id = t->id;
        it->overhead = tunnel_overhead(t);
        bool loose = false;
        /* the tunnel MTU applies both ways: the tighter direction rules */
        for (int d = 0; d < 2; d++) {
            const struct addr *s = d ? &t->outer_dst : &t->outer_src;
            const struct addr *x = d ? &t->outer_src : &t->outer_dst;
            for (int k = 0; k < inf->npaths; k++) {
                const struct inf_path *p = &inf->paths[k];
                if (p->layer != INF_OUTER || addr_cmp(&p->src, s) || addr_cmp(&p->dst, x))
                    continue;
                if (p->lower > it->path_lower)
                    it->path_lower = p->lower;
                if (p->upper && (!it->path_upper || p->upper < it->path_upper)) {
                    it->path_upper = p->upper;
                    loose = p->upper_loss && p->upper != p->lower;
                }
            }
        }
        /* a size seen lost bounds the path but is not its MTU: no value to set */
        if (!it->path_upper || it->path_upper <= it->overhead || loose)
            continue;
        it->recommended_mtu = it->path_upper - it->overhead;
        if (t->type == LAYER_WIREGUARD)
            fmt(it->config, INF_TEXT, "MTU = %u in the [Interface] section of the WireGuard config",
                it->recommended_mtu);
        else
            fmt(it->config, INF_TEXT, "ip link set dev <tunnel interface> mtu %u",
                it->recommended_mtu);
    }
}

/* An interface MTU (MSS + 40/60) below 1500 is usually a tunnel's: name the
 * tunnel it is the default of, since then the fix is the tunnel MTU. */
static void tunnel_hint(struct inference *inf, const struct flow_summary *f, int d)
{
    static const struct {
        uint32_t mtu;
        const char *what;
        uint32_t overhead;
    } known[] = {
        {1420,
         "WireGuard's default MTU (its packets are 1480 bytes on an IPv4 path, 1500 on "
         "IPv6)",
         60},
        {1450, "VXLAN's usual MTU (1500 bytes on the path)", 50},
        {1476, "GRE's usual MTU (1500 bytes on the path)", 24},
        {1480, "IPIP / 6in4's usual MTU (1500 bytes on the path)", 20},
        {1492, "PPPoE's MTU (1500 bytes on the Ethernet below)", 8},
    };
    const struct flow_dir_summary *x = &f->dir[d], *peer = &f->dir[!d];
    uint32_t mss = x->mss ? x->mss : peer->mss;
    if (!mss)
        return;
    uint32_t mtu = mss + tcpip_hdr(f);
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (known[i].mtu != mtu)
            continue;
        char r[INF_TEXT];
        fmt(r, sizeof r,
            "the sender's MSS %u means an interface MTU of %u: %s; if this flow runs through "
            "such a tunnel, lower the tunnel MTU to the path MTU minus %u (for WireGuard: MTU = "
            "path - 60 in [Interface])",
            mss, mtu, known[i].what, known[i].overhead);
        add_rec(inf, r);
        return;
    }
}

/* ---- 5a. WireGuard: the receiving side (counters) and the healthy side ---- */

static void wireguard_stage(struct inference *inf, struct input_stats *const *inputs, int ninputs,
                            const struct results *res, struct tally *t)
{
    for (uint32_t i = 0; i < res->nflows; i++) {
        const struct flow_summary *f = &res->flows[i];
        if (f->opaque != LAYER_WIREGUARD)
            continue;
        /* Messages in fragments the snap length cut cannot be decoded, so
         * their counters look missing: no conclusion from such an input. */
        bool cut = f->input < ninputs && inputs[f->input]->anomalies[AN_FRAG_INCOMPLETE];
        /* A tunnel's healthy side: every data message the peer sent arrived
         * (no counter missing) and nothing was re-sent with backoff. */
        if (!f->wg_lost && f->wg_data >= 20 && f->resend_copies < RESEND_MIN_COPIES && !cut) {
            t->tunnel_clean++;
            if (!t->clean_flow || f->wg_data > t->clean_flow->wg_data)
                t->clean_flow = f;
        }
        if (!f->wg_lost || cut)
            continue;
        const struct flow_dir_summary *x = &f->dir[f->wg_lost_dir];
        const struct addr *src, *dst;
        direction_addrs(f, f->wg_lost_dir, &src, &dst);
        char a[64], b[64];
        addr_text(src, a, sizeof a);
        addr_text(dst, b, sizeof b);
        if (f->wg_lost >= 3) {
            t->wg_suspected++;
            if (!t->wg_flow)
                t->wg_flow = f;
            /* the receiving side of the tunnel's black hole: what arrived
             * bounds the outer path from below */
            struct inf_path *p = path_for(inf, src, dst, INF_OUTER, 0);
            bound_lower(p, x->max_packet,
                        "flow #%" PRIu64 ": a %u-byte WireGuard datagram from %s arrived", f->id,
                        x->max_packet, a);
            evidence(p,
                     "flow #%" PRIu64 ": %" PRIu32 " WireGuard messages from %s never arrived "
                     "(counters skipped), nothing larger than %u bytes did",
                     f->id, f->wg_lost, a, x->max_packet);
            struct inf_blackhole *bh = add_blackhole(inf, f->id, f->wg_lost_dir, true);
            if (bh) {
                bh->largest_delivered = x->max_packet;
                if (f->wg_gap_frame)
                    bh->frames[bh->nframes++] = f->wg_gap_frame;
            }
        }
        struct inf_finding *fi = add_finding(inf, INF_WARNING, "wireguard-loss", f->id, f->input);
        if (fi) {
            fmt(fi->message, INF_TEXT,
                "flow #%" PRIu64 ": %" PRIu32 " of %" PRIu32 " WireGuard data messages from %s "
                "to %s never arrived (their counters are missing at the receiving end) while "
                "the others did, none larger than %u bytes; lost large messages are the sign of "
                "a tunnel MTU too big for the path",
                f->id, f->wg_lost, f->wg_data, a, b, x->max_packet);
            if (f->wg_gap_frame)
                fi->frames[fi->nframes++] = f->wg_gap_frame;
            char extra[96];
            fmt(extra, sizeof extra, "%s == %s && wg.type == 4",
                f->ip_version == 6 ? "ipv6.src" : "ip.src", a);
            results_flow_filter(f, extra, fi->wireshark_filter, INF_TEXT);
        }
    }
}

/* ---- 5b. opaque tunnels: large datagrams re-sent with backoff ---- */

static const struct flow_summary *flow_by_id(const struct results *res, uint64_t id)
{
    for (uint32_t i = 0; i < res->nflows; i++)
        if (res->flows[i].id == id)
            return &res->flows[i];
    return NULL;
}

static const char *opaque_name(uint8_t type)
{
    return type == LAYER_WIREGUARD ? "WireGuard" : type == LAYER_ESP ? "ESP" : "OpenVPN";
}

static void resend_stage(struct inference *inf, const struct results *res, struct tally *t)
{
    for (uint32_t i = 0; i < res->nresends; i++) {
        const struct results_resend *rr = &res->resends[i];
        const struct resend_run *r = &rr->run;
        const struct flow_summary *f = flow_by_id(res, rr->flow);
        /* Every path carries 576 (IPv4, RFC 791) or 1280 bytes (IPv6, RFC
         * 8200): a small datagram re-sent is a dead peer or plain loss, not
         * an MTU.  And with nothing else crossing meanwhile, the whole
         * tunnel may be down: no conclusion about size. */
        if (!f || r->copies < RESEND_MIN_COPIES || r->size <= (f->ip_version == 6 ? 1280 : 576) ||
            !(r->peer || r->smaller))
            continue;
        const struct addr *src, *dst;
        direction_addrs(f, rr->dir, &src, &dst);
        char a[64], b[64], iv[96] = "";
        addr_text(src, a, sizeof a);
        addr_text(dst, b, sizeof b);
        size_t n = 0;
        for (int k = 0; k < r->nintervals && n < sizeof iv; k++)
            n += (size_t)snprintf(iv + n, sizeof iv - n, "%s%.3f", k ? ", " : "",
                                  (double)r->interval_us[k] / 1e6);
        struct inf_path *p = path_for(inf, src, dst, INF_OUTER, 0);
        evidence(p,
                 "flow #%" PRIu64 ": %u-byte %s datagrams from %s re-sent %u times at doubling "
                 "intervals (%s s): likely lost on the path",
                 f->id, r->size, opaque_name(f->opaque), a, r->copies - 1u, iv);
        struct inf_blackhole *bh = add_blackhole(inf, f->id, rr->dir, true);
        if (bh) {
            bh->smallest_lost = r->size;
            for (int k = 0; k < r->nframes && k < INF_MAX_FRAMES; k++)
                if (r->frames[k])
                    bh->frames[bh->nframes++] = r->frames[k];
        }
        struct inf_finding *fi = add_finding(inf, INF_ERROR, "blackhole", f->id, f->input);
        if (fi) {
            fmt(fi->message, INF_TEXT,
                "black hole suspected (tunnel, sending side): %s re-sent a %u-byte %s datagram "
                "%u times at doubling intervals (%s s) while %u smaller ones from it and %u "
                "packets from %s crossed: the inner TCP times out on a packet the path drops",
                a, r->size, opaque_name(f->opaque), r->copies - 1u, iv, r->smaller, r->peer, b);
            for (int k = 0; k < r->nframes && fi->nframes < INF_MAX_FRAMES; k++)
                if (r->frames[k])
                    fi->frames[fi->nframes++] = r->frames[k];
            char extra[128];
            fmt(extra, sizeof extra, "%s == %s && %s == %u%s",
                f->ip_version == 6 ? "ipv6.src" : "ip.src", a,
                f->ip_version == 6 ? "ipv6.plen" : "ip.len",
                f->ip_version == 6 ? r->size - 40u : r->size,
                f->opaque == LAYER_WIREGUARD ? " && wg.type == 4" : "");
            results_flow_filter(f, extra, fi->wireshark_filter, INF_TEXT);
        }
        t->resends++;
        if (!t->resend || r->copies > t->resend->run.copies) {
            t->resend = rr;
            t->resend_flow = f;
        }
    }
}

/* ---- verdict ---- */

static uint64_t anomaly_total(struct input_stats *const *inputs, int ninputs, enum anomaly a)
{
    uint64_t n = 0;
    for (int i = 0; i < ninputs; i++)
        n += inputs[i]->anomalies[a];
    return n;
}

/* What to set in WireGuard's [Interface] when its datagrams of `big` bytes
 * (outer IP size; 0: unknown) do not cross: proven, when measured across two
 * captures, else only likely. */
static void wg_mtu_rec(struct inference *inf, int ip_version, uint32_t big, bool proven)
{
    uint32_t over = ip_version == 6 ? 80 : 60;
    char r[INF_TEXT];
    if (big <= over + 1)
        fmt(r, sizeof r, "lower the WireGuard MTU: MTU = path MTU - %u in [Interface]", over);
    else if (proven)
        fmt(r, sizeof r,
            "lower the WireGuard MTU below %u (MTU = path MTU - %u in [Interface]; the path "
            "carries at most %u bytes here, so MTU <= %u)",
            big - over, over, big - 1, big - 1 - over);
    else
        fmt(r, sizeof r,
            "lower the WireGuard MTU below %u (MTU = path MTU - %u in [Interface]); 1280 is safe "
            "on any path until the path MTU is measured",
            big - over, over);
    add_rec(inf, r);
}

/* The WireGuard MTU limit a measured outer loss proves (the largest
 * measured WireGuard direction). */
static void measured_tunnel_rec(struct inference *inf, const struct tally *t)
{
    if (t->measured && (t->md->kinds & (1u << CORR_WG)))
        wg_mtu_rec(inf, t->md->version, t->mv.smallest_lost, true);
}

/* DF pings from src to dst measure what a capture cannot; lo..hi, when
 * known, are the IP sizes still in doubt. */
static void probe_rec(struct inference *inf, const char *src, const char *dst, int ip_version,
                      uint32_t lo, uint32_t hi)
{
    uint32_t hdr = ip_version == 6 ? 48 : 28; /* IP + ICMP echo headers */
    char r[INF_TEXT];
    if (lo && hi > lo)
        fmt(r, sizeof r,
            "to measure the exact limit, probe from %s: ping -M do -s SIZE %s for SIZE + %u "
            "from %u to %u bytes (the largest that is answered is the path MTU)",
            src, dst, hdr, lo, hi);
    else
        fmt(r, sizeof r,
            "to measure the exact limit, probe from %s: ping -M do -s SIZE %s for rising SIZE "
            "(SIZE + %u = the IP packet size; the largest that is answered is the path MTU)",
            src, dst, hdr);
    add_rec(inf, r);
}

static const char clamp_to_pmtu_rec[] =
    "or clamp the TCP MSS on the router at the bottleneck: iptables -t mangle -A FORWARD -p tcp "
    "--tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu (nftables: tcp flags syn tcp option "
    "maxseg size set rt mtu)";

static const char icmp_through_rec[] =
    "let ICMP frag-needed / packet-too-big through every firewall on the path, so senders learn "
    "the path MTU";

static void verdict(struct inference *inf, struct input_stats *const *inputs, int ninputs,
                    const struct results *res, const struct tally *t)
{
    char a[64], b[64];
    uint64_t frag_lost = anomaly_total(inputs, ninputs, AN_FRAG_INCOMPLETE);
    const char *rec_cfg = NULL; /* the first tunnel with a recommendation */
    for (uint32_t i = 0; i < inf->ntunnels && !rec_cfg; i++)
        if (inf->tunnels[i].recommended_mtu)
            rec_cfg = inf->tunnels[i].config;

    if (frag_lost && (t->blackholes || t->suspected || res->retransmissions)) {
        inf->status = "fragmentation-loss";
        fmt(inf->summary, INF_TEXT,
            "%" PRIu64 " fragmented IP datagram%s never completed while the flows stall or "
            "retransmit: fragments are being dropped on the path.",
            frag_lost, frag_lost == 1 ? "" : "s");
        if (rec_cfg)
            add_rec(inf, rec_cfg);
        add_rec(inf, "stop dropping IP fragments on the path, or lower the sender's MTU (or the "
                     "tunnel's) so that nothing needs fragmenting");
        return;
    }
    if (t->measured && !t->blackholes) {
        struct addr src, dst;
        corr_dir_addrs(t->md, &src, &dst);
        addr_text(&src, a, sizeof a);
        addr_text(&dst, b, sizeof b);
        const struct corr_verdict *v = &t->mv;
        inf->status = "blackhole";
        const char *pu = strrchr(inputs[t->mup]->path, '/'),
                   *pd = strrchr(inputs[t->mdown]->path, '/');
        fmt(inf->summary, INF_TEXT,
            "Measured across two captures: all %" PRIu64 " packets of %u bytes or more from %s "
            "to %s were lost between %s and %s, while every size up to %u bytes crossed: the "
            "path MTU is %u to %u bytes and nothing tells the sender.",
            v->lost_at_or_above, v->smallest_lost, a, b, pu ? pu + 1 : inputs[t->mup]->path,
            pd ? pd + 1 : inputs[t->mdown]->path, v->largest_delivered, v->largest_delivered,
            v->smallest_lost - 1);
        measured_tunnel_rec(inf, t);
        probe_rec(inf, a, b, t->md->version, v->largest_delivered, v->smallest_lost - 1);
        add_rec(inf, icmp_through_rec);
        return;
    }
    if (!t->blackholes && !t->suspected && !t->healed && t->wg_suspected) {
        const struct flow_summary *f = t->wg_flow;
        inf->status = "blackhole";
        const struct addr *src, *dst;
        direction_addrs(f, f->wg_lost_dir, &src, &dst);
        fmt(inf->summary, INF_TEXT,
            "%" PRIu32 " WireGuard data messages from %s to %s never arrived while smaller "
            "ones did (nothing larger than %u bytes): the tunnel's packets are likely too big for "
            "the path (seen from the receiving side, the exact limit is not in this capture).",
            f->wg_lost, addr_text(src, a, sizeof a), addr_text(dst, b, sizeof b),
            f->dir[f->wg_lost_dir].max_packet);
        wg_mtu_rec(inf, f->ip_version, 0, false);
        add_rec(inf, "capture the sending end's outer interface too (-r this.pcap -r peer.pcap): "
                     "the same datagrams matched in both measure which sizes are lost");
        return;
    }
    if (!t->blackholes && !t->suspected && !t->healed && t->resends) {
        const struct flow_summary *f = t->resend_flow;
        const struct resend_run *r = &t->resend->run;
        const struct addr *src, *dst;
        direction_addrs(f, t->resend->dir, &src, &dst);
        addr_text(src, a, sizeof a);
        addr_text(dst, b, sizeof b);
        inf->status = "blackhole";
        uint32_t over = f->ip_version == 6 ? 80 : 60;
        if (f->opaque == LAYER_WIREGUARD) {
            fmt(inf->summary, INF_TEXT,
                "%s keeps re-sending %u-byte WireGuard datagrams (%u-byte packets inside the "
                "tunnel) to %s with a doubling timeout while smaller ones cross both ways: the "
                "path drops the tunnel's full-size packets (seen from the sending side, the exact "
                "limit is not in this capture).",
                a, r->size, r->size - over, b);
            wg_mtu_rec(inf, f->ip_version, r->size, false);
        } else {
            fmt(inf->summary, INF_TEXT,
                "%s keeps re-sending %u-byte %s datagrams to %s with a doubling timeout while "
                "smaller ones cross both ways: the path drops the tunnel's full-size packets "
                "(seen from the sending side, the exact limit is not in this capture).",
                a, r->size, opaque_name(f->opaque), b);
            char r1[INF_TEXT];
            fmt(r1, sizeof r1,
                "lower the tunnel's MTU (or clamp the TCP MSS inside it) so that its packets stay "
                "below %u bytes on the wire",
                r->size);
            add_rec(inf, r1);
        }
        probe_rec(inf, a, b, f->ip_version, 0, 0);
        add_rec(inf, icmp_through_rec);
        return;
    }
    if (t->blackholes || t->suspected || t->healed) {
        inf->status = "blackhole";
        const struct flow_summary *f = t->worst;
        const struct addr *src, *dst;
        direction_addrs(f, t->worst_dir, &src, &dst);
        addr_text(src, a, sizeof a);
        addr_text(dst, b, sizeof b);
        if (t->blackholes)
            fmt(inf->summary, INF_TEXT,
                "Packets of %u bytes from %s never arrive at %s while packets up to %u bytes "
                "do, and no ICMP message tells the sender: a path-MTU black hole stalls the "
                "transfer.",
                t->worst_smallest_lost, a, b, t->worst_largest_delivered);
        else if (t->suspected)
            fmt(inf->summary, INF_TEXT,
                "Data from %s stops arriving at %s: nothing larger than %u bytes gets through "
                "although the connection allows %u-byte packets; a path-MTU black hole is likely "
                "(seen from the receiving side, the exact limit is not in this capture).",
                a, b, t->worst_largest_delivered, t->worst_smallest_lost);
        else
            fmt(inf->summary, INF_TEXT,
                "Packets of %u bytes from %s never arrived at %s; the sender recovered by "
                "sending smaller packets (up to %u bytes), at the cost of timeouts.",
                t->worst_smallest_lost, a, b, t->worst_largest_delivered);
        if (rec_cfg)
            add_rec(inf, rec_cfg);
        measured_tunnel_rec(inf, t);
        tunnel_hint(inf, f, t->worst_dir);
        uint32_t exact = 0;
        for (int k = 0; k < inf->npaths; k++) {
            const struct inf_path *p = &inf->paths[k];
            if (!addr_cmp(&p->src, src) && !addr_cmp(&p->dst, dst) && p->mtu)
                exact = p->mtu;
        }
        char r[INF_TEXT];
        fmt(r, sizeof r,
            "let ICMP %s through every firewall on the path between %s and %s, so the "
            "sender learns the path MTU",
            f->ip_version == 6 ? "type 2 (packet too big)" : "type 3 code 4 (fragmentation needed)",
            a, b);
        add_rec(inf, r);
        if (exact > tcpip_hdr(f)) {
            uint32_t mss = exact - tcpip_hdr(f);
            fmt(r, sizeof r,
                "or clamp the TCP MSS to %u on the router: iptables -t mangle -A FORWARD -p tcp "
                "--tcp-flags SYN,RST SYN -j TCPMSS --set-mss %u (nftables: tcp flags syn tcp "
                "option maxseg size set %u)",
                mss, mss, mss);
        } else {
            /* the exact path MTU is not known here, but the router at the
             * bottleneck knows its own link: clamp to its route MTU */
            fmt(r, sizeof r, "%s", clamp_to_pmtu_rec);
        }
        add_rec(inf, r);
        if (!exact)
            probe_rec(inf, a, b, f->ip_version, 0, 0);
        return;
    }
    if (t->silent && !t->pmtud_ok && !t->capped && !t->clamped) {
        const struct flow_summary *f = t->silent_flow;
        const struct addr *src, *dst;
        direction_addrs(f, t->silent_dir, &src, &dst);
        addr_text(src, a, sizeof a);
        addr_text(dst, b, sizeof b);
        inf->status = "blackhole";
        fmt(inf->summary, INF_TEXT,
            "A transfer from %s to %s stops after its first small segments and the connection "
            "stays open and silent while other traffic between the two goes on: %u-byte packets "
            "from %s are probably not arriving (seen from the receiving side; a capture at %s "
            "would prove it).",
            a, b, t->silent_full, a, a);
        tunnel_hint(inf, f, t->silent_dir);
        probe_rec(inf, a, b, f->ip_version, 0, 0);
        add_rec(inf, clamp_to_pmtu_rec);
        return;
    }
    if (t->sweep_cliffs && !t->pmtud_ok) {
        const struct pmtud_sweep *sw = t->sweep;
        inf->status = "blackhole";
        fmt(inf->summary, INF_TEXT,
            "A ping sweep from %s to %s: echo requests up to %u bytes are answered, from %u bytes "
            "on none is, and no ICMP message comes back: packets above %u bytes are silently "
            "dropped.",
            addr_text(&sw->src, a, sizeof a), addr_text(&sw->dst, b, sizeof b),
            sw->largest_answered, sw->smallest_unanswered, sw->smallest_unanswered - 1);
        fmt(inf->recs[inf->nrecs++], INF_TEXT,
            "keep packets from %s to %s at or below %u bytes (an MTU or MSS clamp of %u), or let "
            "ICMP frag-needed through so senders learn it",
            a, b, sw->smallest_unanswered - 1, sw->smallest_unanswered - 1 - 40);
        return;
    }
    if (t->icmp_ignored) {
        inf->status = "blackhole";
        fmt(inf->summary, INF_TEXT,
            "A sender keeps sending packets larger than the path MTU that ICMP messages "
            "reported to it: those packets are lost.");
        add_rec(inf, "check the sender's firewall: it must accept the ICMP messages the router "
                     "sends (frag-needed / packet-too-big)");
        return;
    }
    if (res->nstorms && !t->pmtud_ok && !t->capped) {
        inf->status = "retransmission-storm";
        fmt(inf->summary, INF_TEXT,
            "%u retransmission storms, but no sign that packet size is the cause: look for "
            "congestion or a lossy link.",
            res->nstorms);
        return;
    }
    if (t->capped && !t->pmtud_ok) {
        inf->status = "pmtud-working";
        fmt(inf->summary, INF_TEXT,
            "The sender re-sent its data in packets of at most %u bytes, below what the MSS "
            "allows: it learned a smaller path MTU (from ICMP or its own probing; this capture is "
            "from the receiving side).",
            t->capped_size);
        return;
    }
    if (t->pmtud_ok) {
        inf->status = "pmtud-working";
        if (t->pmtud_guessed)
            fmt(inf->summary, INF_TEXT,
                "Path-MTU discovery works, barely: a router says packets are too big without "
                "giving the MTU (0, a pre-RFC 1191 router); the sender falls back to the RFC 1191 "
                "plateau of %u bytes and its packets get through.",
                t->pmtud_mtu);
        else
            fmt(inf->summary, INF_TEXT,
                "Path-MTU discovery works: a router reports a path MTU of %u bytes with ICMP and "
                "the sender shrinks its packets to fit.",
                t->pmtud_mtu);
        if (rec_cfg)
            add_rec(inf, rec_cfg);
        return;
    }
    if (t->clamped) {
        inf->status = "mss-clamped";
        fmt(inf->summary, INF_TEXT,
            "The TCP MSS is clamped on the path, so TCP never sends packets too big for it; "
            "protocols other than TCP are not protected.");
        return;
    }
    if (t->tcp_delivered) {
        inf->status = "healthy";
        fmt(inf->summary, INF_TEXT,
            "No sign of an MTU problem: TCP data was delivered in every size sent, with no "
            "black hole, no lost fragments and no retransmission storm.");
        return;
    }
    if (t->tunnel_clean) {
        const struct flow_summary *f = t->clean_flow;
        uint32_t big = f->dir[0].max_packet > f->dir[1].max_packet ? f->dir[0].max_packet
                                                                   : f->dir[1].max_packet;
        inf->status = "healthy";
        fmt(inf->summary, INF_TEXT,
            "No sign of an MTU problem: every one of %" PRIu32 " WireGuard data messages between "
            "%s and %s (up to %u bytes) arrived, none missing and none re-sent with backoff; the "
            "traffic inside the tunnel is not visible here.",
            f->wg_data, addr_text(&f->client, a, sizeof a), addr_text(&f->server, b, sizeof b),
            big);
        return;
    }
    inf->status = "inconclusive";
    fmt(inf->summary, INF_TEXT,
        "Not enough evidence: no TCP data whose delivery can be judged, no ICMP MTU message, no "
        "ping sweep.");
}

/* ---- entry point ---- */

/* ---- 7. several vantage points ---- */

/* Packets matched in two captures are measured delivery, the strongest
 * evidence there is: a lower bound from the largest one matched and, when
 * every copy from a size up was lost (two at least) while smaller ones
 * crossed, an upper bound just below it. */
/* The flow of input `input` between the two addresses (either way) that
 * sent the largest packet from src: the one the measured loss happened to. */
static const struct flow_summary *flow_between(const struct results *res, int input,
                                               const struct addr *src, const struct addr *dst)
{
    const struct flow_summary *best = NULL;
    uint16_t best_size = 0;
    for (uint32_t i = 0; i < res->nflows; i++) {
        const struct flow_summary *f = &res->flows[i];
        if (f->input != input)
            continue;
        int d = -1;
        if (!addr_cmp(&f->client, src) && !addr_cmp(&f->server, dst))
            d = 0;
        else if (!addr_cmp(&f->server, src) && !addr_cmp(&f->client, dst))
            d = 1;
        if (d >= 0 && (!best || f->dir[d].max_packet > best_size)) {
            best = f;
            best_size = f->dir[d].max_packet;
        }
    }
    return best;
}

static void correlation_stage(struct inference *inf, struct input_stats *const *inputs, int ninputs,
                              const struct results *res, struct tally *t)
{
    const struct correlation *c = res->correlation;
    for (int i = 0; c && i < c->npairs; i++) {
        const struct corr_pair *cp = &c->pairs[i];
        if (cp->a >= ninputs || cp->b >= ninputs)
            continue;
        for (int k = 0; k < cp->ndirs; k++) {
            const struct corr_dir *d = &cp->dirs[k];
            struct corr_verdict v;
            if (!corr_dir_verdict(d, &v) || !v.largest_delivered)
                continue;
            if (d->cross_depth)
                continue; /* perhaps one host, before and after encapsulation: no path */
            int up = d->upstream ? cp->b : cp->a, down = d->upstream ? cp->a : cp->b;
            struct addr src, dst;
            corr_dir_addrs(d, &src, &dst);
            struct inf_path *p = path_for(inf, &src, &dst, d->depth ? INF_INNER : INF_OUTER, 0);
            bound_lower(p, v.largest_delivered,
                        "a %u-byte packet was captured in %s and again in %s (frames %" PRIu64
                        " and %" PRIu64 ")",
                        v.largest_delivered, inputs[up]->path, inputs[down]->path,
                        d->largest_frame[d->upstream], d->largest_frame[!d->upstream]);
            if (!v.smallest_lost || !v.all_lost_above || v.lost_at_or_above < 2)
                continue;
            if (p && (!p->upper || v.smallest_lost - 1 < p->upper))
                p->upper_loss = true;
            bound_upper(p, v.smallest_lost - 1);
            evidence(p,
                     "upper bound %u: all %" PRIu64 " packets of %u bytes or more captured in %s "
                     "(first: frame %" PRIu64 ") never appeared in %s, while packets up to %u "
                     "bytes did",
                     v.smallest_lost - 1, v.lost_at_or_above, v.smallest_lost, inputs[up]->path,
                     v.lost_frame, inputs[down]->path, v.largest_delivered);
            char a[64], b[64];
            addr_text(&src, a, sizeof a);
            addr_text(&dst, b, sizeof b);
            const struct flow_summary *f = flow_between(res, up, &src, &dst);
            struct inf_finding *fi =
                add_finding(inf, INF_ERROR, "blackhole", f ? f->id : 0, (int)up);
            if (fi) {
                fmt(fi->message, INF_TEXT,
                    "black hole measured across two captures: all %" PRIu64 " packets of %u "
                    "bytes or more from %s to %s captured in %s never appeared in %s, while "
                    "every size up to %u bytes did",
                    v.lost_at_or_above, v.smallest_lost, a, b, inputs[up]->path, inputs[down]->path,
                    v.largest_delivered);
                fi->frames[fi->nframes++] = v.lost_frame;
                corr_dir_filter(d, &v, fi->wireshark_filter, INF_TEXT);
            }
            t->measured++;
            /* the tunnel's own datagrams say most about what to configure:
             * prefer them, then the direction with the most losses */
            bool wg = d->kinds & (1u << CORR_WG), md_wg = t->md && (t->md->kinds & (1u << CORR_WG));
            if (!t->md || (wg && !md_wg) ||
                (wg == md_wg && v.lost_at_or_above > t->mv.lost_at_or_above)) {
                t->md = d;
                t->mv = v;
                t->mup = up;
                t->mdown = down;
            }
        }
    }
}

bool inference_run(struct inference *inf, struct input_stats *const *inputs, int ninputs,
                   const struct results *res)
{
    /* not the tables: each entry is zeroed as it is added */
    memset(inf, 0, offsetof(struct inference, paths));
    int nicmp = 0;
    for (int i = 0; i < ninputs; i++)
        nicmp += inputs[i]->nicmp;
    inf->nicmp = nicmp;
    inf->icmp_honored = calloc(nicmp ? (size_t)nicmp : 1, sizeof *inf->icmp_honored);
    inf->ntunnels = res->ntunnels;
    inf->tunnels = calloc(res->ntunnels ? res->ntunnels : 1, sizeof *inf->tunnels);
    if (!inf->icmp_honored || !inf->tunnels) {
        inference_free(inf);
        return false;
    }
    struct tally t;
    memset(&t, 0, sizeof t);
    icmp_stage(inf, inputs, ninputs, res, &t);
    correlation_stage(inf, inputs, ninputs, res, &t); /* measured: the first evidence listed */
    for (uint32_t i = 0; i < res->nflows; i++) {
        const struct flow_summary *f = &res->flows[i];
        if (f->proto != IP_PROTO_TCP)
            continue;
        for (int d = 0; d < 2; d++)
            sender_side(inf, inputs, ninputs, res, f, d, &t);
        for (int d = 0; d < 2; d++)
            receiver_side(inf, f, d, &t);
        for (int d = 0; d < 2; d++)
            silent_sender(inf, res, f, d, &t);
        mss_check(inf, f, &t);
    }
    wireguard_stage(inf, inputs, ninputs, res, &t);
    resend_stage(inf, res, &t);
    sweep_stage(inf, res, &t);
    /* an exact value where the bounds meet */
    for (int k = 0; k < inf->npaths; k++) {
        struct inf_path *p = &inf->paths[k];
        if (p->lower_why[0])
            evidence(p, "lower bound: %s", p->lower_why);
        if (p->upper && p->lower > p->upper) {
            /* contradictory evidence (e.g. a router's MTU for another hop): keep both, flag */
            evidence(p, "note: a %u-byte packet crossed although a bound said %u", p->lower,
                     p->upper);
            p->upper = p->lower;
        }
        if (p->upper && p->lower == p->upper)
            p->mtu = p->upper;
    }
    tunnel_stage(inf, res);
    verdict(inf, inputs, ninputs, res, &t);
    return true;
}

void inference_free(struct inference *inf)
{
    free(inf->icmp_honored);
    free(inf->tunnels);
    inf->icmp_honored = NULL;
    inf->tunnels = NULL;
}
