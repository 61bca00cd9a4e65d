/*
 * inf_tunnel.c - the tunnel collectors (infer.h): per tunnel its overhead and
 * recommended MTU, the MSS hint that names a tunnel, WireGuard's counters,
 * and opaque tunnels re-sending their largest datagram with backoff.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "defrag.h"
#include "infer.h"
#include "tunnels.h"

/* ---- 6. tunnels ---- */

static uint32_t tunnel_overhead(const struct flow_tunnel *t)
{
    return tunnel_overhead_bytes(t->type, t->ip_version, t->overhead);
}

void inf_tunnel_stage(struct inference *inf, const struct results *res)
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
        /* A size seen lost bounds the path but is not its MTU: no value to
         * set.  A bound a link states (an ICMP MTU, a ping pair that meets,
         * fragments that pin it) is the underlay's MTU, and the tunnel MTU
         * is what fits in it once the tunnel's headers are added
         * (tunnel_mtu_for_path(): ESP's padding, WireGuard's stopping at
         * the MTU). */
        if (!it->path_upper || loose)
            continue;
        it->recommended_mtu = tunnel_mtu_for_path(t->type, t->ip_version, t->overhead,
                                                  t->sport || t->dport, it->path_upper);
        if (!it->recommended_mtu)
            continue;
        struct advice a = {.kind = ADV_SET_TUNNEL_MTU, .layer = t->type, .n1 = it->recommended_mtu};
        inf_advice_text(&a, &it->config);
    }
}

/* An interface MTU (MSS + 40/60) below 1500 is usually a tunnel's: name the
 * tunnel it is the default of, since then the fix is the tunnel MTU. */
void inf_tunnel_hint(struct inference *inf, const struct flow_summary *f, int d)
{
    int nfacts;
    const struct tunnel_fact *known = tunnel_facts_all(&nfacts);
    const struct flow_dir_summary *x = &f->dir[d], *peer = &f->dir[!d];
    uint32_t mss = x->mss ? x->mss : peer->mss;
    if (!mss)
        return;
    uint32_t mtu = mss + inf_tcpip_hdr(f);
    for (int i = 0; i < nfacts; i++) {
        if (!known[i].usual_mtu || known[i].usual_mtu != mtu)
            continue;
        struct advice hint = {
            .kind = ADV_TUNNEL_HINT, .layer = known[i].layer, .n1 = mss, .n2 = mtu};
        inf_advise(inf, &hint);
        return;
    }
}

/* ---- 5a. WireGuard: the receiving side (counters) and the healthy side ---- */

/* Direction d's datagrams were captured past a router: their TTL / hop
 * limit is below the usual initial values (ttl_routers_crossed(); every router
 * decrements it, RFC 791, RFC 8200).  Only then do later counters say the
 * datagrams arrived somewhere: captured with the TTL their sender gave
 * them, they were seen where they left, and the later counters are the
 * sender's own (lab matrix A8: DNS answers black-holed on the way, "healthy"
 * from the answering end's contiguous counters). */
bool inf_wg_crossed(const struct flow_summary *f, int d)
{
    return f->dir[d].ttl && ttl_crossed_router(f->dir[d].ttl);
}

static bool wg_full_size_followed(const struct flow_summary *f)
{
    uint32_t big =
        f->dir[0].max_packet > f->dir[1].max_packet ? f->dir[0].max_packet : f->dir[1].max_packet;
    if (big <= inf_every_path_carries(f->ip_version))
        return false;
    for (int d = 0; d < 2; d++)
        if ((f->wg_followed >> d & 1) && f->dir[d].max_packet + 15u >= big && inf_wg_crossed(f, d))
            return true;
    return false;
}

uint32_t inf_wg_mtu_in_use(const struct flow_summary *f, bool *exact)
{
    uint32_t over = tunnel_overhead_bytes(LAYER_WIREGUARD, f->ip_version == 6 ? 6 : 4, 0);
    uint32_t big =
        f->dir[0].max_packet > f->dir[1].max_packet ? f->dir[0].max_packet : f->dir[1].max_packet;
    uint32_t inner = big > over ? big - over : 0;
    /* WireGuard pads each inner packet to a multiple of 16 but never past
     * the interface MTU: a padded length that is no multiple of 16 stopped
     * at the MTU, so it is the MTU; a multiple of 16 is only a floor */
    *exact = inner && inner % 16;
    return inner;
}

/* The healthy side as a proof: full-size datagrams, each followed by a
 * later counter with none missing, crossed (wgcount.h), so the outer path
 * carries their size and the tunnel MTU that made them works on it. */
static void wg_proof(struct inference *inf, const struct flow_summary *f)
{
    bool exact;
    uint32_t mtu = inf_wg_mtu_in_use(f, &exact);
    uint32_t big =
        f->dir[0].max_packet > f->dir[1].max_packet ? f->dir[0].max_packet : f->dir[1].max_packet;
    for (int d = 0; d < 2; d++) {
        const struct flow_dir_summary *x = &f->dir[d];
        if (!(f->wg_followed >> d & 1) || !x->max_packet || !inf_wg_crossed(f, d))
            continue;
        const struct addr *src, *dst;
        inf_direction_addrs(f, d, &src, &dst);
        char a[64];
        addr_text(src, a, sizeof a);
        struct inf_path *p = inf_path_for(inf, src, dst, INF_OUTER, 0);
        /* Datagrams that arrived in fragments crossed as fragments: their
         * counters prove delivery, not their size (a sender that learned a
         * smaller MTU fragments its outer datagrams, DF clear; lab matrix
         * SEED=6 m028: 1480-byte datagrams in 1292-byte fragments on a
         * 1295-byte path taken as a 1480-byte lower bound). */
        if (f->frags && f->frags->datagrams[d]) {
            inf_evidence(p,
                         "flow #%" PRIu64 ": %" PRIu32 " WireGuard datagrams from %s arrived in "
                         "fragments: they crossed, but their size (up to %u bytes) bounds "
                         "nothing",
                         f->id, f->frags->datagrams[d], a, x->max_packet);
            continue;
        }
        /* A router that stated a smaller MTU for this path (ICMP, read
         * before) dropped that size: the later counters were seen at the
         * sending end, which proves nothing about arrival. */
        if (!p || (p->upper && p->upper < x->max_packet))
            continue;
        inf_bound_lower(p, x->max_packet,
                        "flow #%" PRIu64 ": %u-byte WireGuard datagrams from %s crossed, later "
                        "counters following them with none missing",
                        f->id, x->max_packet, a);
        bool said = false; /* once per path, however many inputs show the flow */
        for (int k = 0; p && k < p->nevidence; k++)
            said |= p->evidence[k] && strstr(p->evidence[k], "the WireGuard MTU in use") != NULL;
        if (mtu && !said && x->max_packet + 15u >= big) /* full size, within the padding */
            inf_evidence(p,
                         "flow #%" PRIu64 ": the WireGuard MTU in use, %s%u bytes, works on this "
                         "path: its full-size datagrams crossed with contiguous counters",
                         f->id, exact ? "" : "at least ", mtu);
    }
}

void inf_wireguard_stage(struct inference *inf, struct input_stats *const *inputs, int ninputs,
                         const struct results *res, struct tally *t)
{
    for (uint32_t i = 0; i < res->nflows; i++) {
        const struct flow_summary *f = &res->flows[i];
        if (f->opaque != LAYER_WIREGUARD)
            continue;
        /* Messages in fragments the snap length cut cannot be decoded, so
         * their counters look missing: no conclusion from such an input. */
        bool cut = f->input < ninputs && inputs[f->input]->anomalies[AN_FRAG_SNAPCUT];
        /* A tunnel's healthy side: full-size messages crossed.  A counter
         * skipped shows only when a later one arrives, so the largest
         * message of a direction counts once a later counter followed it
         * with none missing (wgcount.h); that size must be the flow's
         * largest (within WireGuard's 16-byte padding) and above what every
         * path carries (inf_every_path_carries(): smaller tests nothing).
         * Counters alone, or a quiet tail after a partial exchange, prove
         * nothing about the messages after the last one. */
        if (!f->wg_lost && wg_full_size_followed(f) && f->resend_copies < RESEND_MIN_COPIES &&
            !cut) {
            t->tunnel_clean++;
            if (!t->clean_flow || f->wg_data > t->clean_flow->wg_data)
                t->clean_flow = f;
            wg_proof(inf, f);
        } else if (!f->wg_lost && f->wg_data && !cut &&
                   (!t->wg_unproven || f->wg_data > t->wg_unproven->wg_data)) {
            t->wg_unproven = f;
        }
        if (!f->wg_lost || cut)
            continue;
        const struct flow_dir_summary *x = &f->dir[f->wg_lost_dir];
        const struct addr *src, *dst;
        inf_direction_addrs(f, f->wg_lost_dir, &src, &dst);
        char a[64], b[64];
        addr_text(src, a, sizeof a);
        addr_text(dst, b, sizeof b);
        if (f->wg_lost >= 3) {
            t->wg_suspected++;
            if (!t->wg_flow)
                t->wg_flow = f;
            /* the receiving side of the tunnel's black hole: what arrived
             * bounds the outer path from below */
            struct inf_path *p = inf_path_for(inf, src, dst, INF_OUTER, 0);
            inf_bound_lower(p, x->max_packet,
                            "flow #%" PRIu64 ": a %u-byte WireGuard datagram from %s arrived",
                            f->id, x->max_packet, a);
            inf_evidence(p,
                         "flow #%" PRIu64 ": %" PRIu32 " WireGuard messages from %s never arrived "
                         "(counters skipped), nothing larger than %u bytes did",
                         f->id, f->wg_lost, a, x->max_packet);
            struct inf_blackhole *bh = inf_add_blackhole(inf, f->id, f->wg_lost_dir, true);
            if (bh) {
                bh->largest_delivered = x->max_packet;
                if (f->wg_gap_frame)
                    bh->frames[bh->nframes++] = f->wg_gap_frame;
            }
        }
        struct ev_record r = {.kind = EV_WG_COUNTER_GAP, .input = f->input, .flow_id = f->id};
        r.flow = f;
        r.dir = f->wg_lost_dir;
        r.delivered = x->max_packet;
        r.count = f->wg_lost;
        ev_frame(&r, f->wg_gap_frame);
        inf_record(inf, &r);
    }
}

/* ---- 5b. opaque tunnels: large datagrams re-sent with backoff ---- */

const char *inf_opaque_name(uint8_t type)
{
    const struct tunnel_fact *f = tunnel_fact(type);
    return f ? f->display : "tunnel";
}

const char *inf_resend_name(const struct flow_summary *f)
{
    return f->opaque ? inf_opaque_name(f->opaque) : "UDP";
}

/* Whether a run of re-sent datagrams says the path drops their size.
 * Every path carries 576 (IPv4, RFC 791) or 1280 bytes (IPv6, RFC 8200): a
 * small datagram re-sent is a dead peer or plain loss, not an MTU.  The path
 * must have been up while the copies were lost: smaller packets crossed
 * during the run, or the peer was heard within the run's first interval
 * before the first copy (the interval is one RTO, and an RTO is never
 * shorter than the round trip, so the peer was answering when the first
 * copy left).  A run the peer was heard during is settled: its packets
 * arrived while the copies kept failing, so the path was up and that size
 * did not cross; a packet of the peer's after the run, which may come on
 * its own clock (DNS retries, echoes), changes nothing.  A run in silence
 * is an outage when the size crossed later: sent again after the run and
 * answered within an RTO (resend.h's recovered). */
bool inf_resend_says_size(const struct flow_summary *f, const struct resend_run *r)
{
    if (r->copies < RESEND_MIN_COPIES || r->size <= inf_every_path_carries(f->ip_version))
        return false;
    if (r->peer)
        return true;
    if (r->recovered)
        return false;
    if (r->smaller)
        return true;
    return r->peer_before_ns >= 0 && r->nintervals &&
           r->peer_before_ns <= (int64_t)r->interval_us[0] * 1000;
}

void inf_resend_stage(struct inference *inf, const struct results *res, struct tally *t)
{
    for (uint32_t i = 0; i < res->nresends; i++) {
        const struct results_resend *rr = &res->resends[i];
        const struct resend_run *r = &rr->run;
        const struct flow_summary *f = results_flow(res, rr->flow);
        if (!f || !inf_resend_says_size(f, r))
            continue;
        const struct addr *src, *dst;
        inf_direction_addrs(f, rr->dir, &src, &dst);
        char a[64], b[64], iv[96] = "";
        addr_text(src, a, sizeof a);
        addr_text(dst, b, sizeof b);
        size_t n = 0;
        for (int k = 0; k < r->nintervals && n < sizeof iv; k++)
            n += (size_t)snprintf(iv + n, sizeof iv - n, "%s%.3f", k ? ", " : "",
                                  (double)r->interval_us[k] / 1e6);
        struct inf_path *p = inf_path_for(inf, src, dst, INF_OUTER, 0);
        inf_evidence(p,
                     "flow #%" PRIu64 ": %u-byte %s datagrams from %s re-sent %u times at doubling "
                     "intervals (%s s): likely lost on the path",
                     f->id, r->size, inf_resend_name(f), a, r->copies - 1u, iv);
        struct inf_blackhole *bh = inf_add_blackhole(inf, f->id, rr->dir, true);
        if (bh) {
            bh->smallest_lost = r->size;
            for (int k = 0; k < r->nframes && k < INF_MAX_FRAMES; k++)
                if (r->frames[k])
                    bh->frames[bh->nframes++] = r->frames[k];
        }
        struct ev_record ev = {.kind = EV_TUNNEL_RESEND, .input = f->input, .flow_id = f->id};
        ev.flow = f;
        ev.dir = rr->dir;
        ev.lost = r->size;
        ev.count = r->copies - 1u;
        ev.resend = rr;
        for (int k = 0; k < r->nframes; k++)
            ev_frame(&ev, r->frames[k]);
        inf_record(inf, &ev);
        t->resends++;
        if (inf_df_clear_lost(f, rr->dir)) /* the outer datagrams: DF clear (IPv4) */
            t->df_clear_lost++;
        if (!t->resend || r->copies > t->resend->run.copies) {
            t->resend = rr;
            t->resend_flow = f;
        }
    }
}
