/*
 * inf_measured.c - what is measured rather than inferred (infer.h): ping
 * sweeps, and packets matched across two vantage points (correlate.h).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "correlate.h"
#include "infer.h"

/* ---- -i any on a router: into the box and never out (box.h) ---- */

/* A packet the capturing host received (cooked capture's packet type: in)
 * and never sent on (no outgoing copy within a second) was dropped inside
 * that host: measured, not inferred, and located there.  When every one it
 * dropped is larger than every one of the same flow direction it forwarded,
 * the drop is by size: the host's way out carries the largest forwarded and
 * not the smallest dropped (a bound from loss, never a value to set).  A
 * direction it never forwarded is not judged (box.h). */
void inf_box_stage(struct inference *inf, struct input_stats *const *inputs, int ninputs,
                   const struct results *res, struct tally *t)
{
    for (int i = 0; i < ninputs; i++) {
        const struct input_stats *s = inputs[i];
        for (uint32_t k = 0; k < s->nbox; k++) {
            const struct box_dir *b = &s->box[k];
            const struct flow_summary *f = results_flow(res, b->flow);
            if (!f)
                continue;
            const struct addr *src, *dst;
            inf_direction_addrs(f, b->dir, &src, &dst);
            struct inf_path *p = inf_path_for(inf, src, dst, inf_flow_layer(f), f->tunnel);
            char a[64];
            addr_text(src, a, sizeof a);
            inf_bound_lower(p, b->fwd_max,
                            "flow #%" PRIu64 ": a %u-byte packet from %s entered the capturing "
                            "host and left it (frame %" PRIu64 ", -i any: in and out)",
                            f->id, b->fwd_max, a, b->fwd_frame);
            if (!b->lost)
                continue;
            /* Dropped sizes mixed with forwarded ones: loss at the box (a
             * queue, a filter, a policer), not an MTU; nor a drop of sizes
             * every path carries (576 bytes for IPv4, RFC 791; 1280 for
             * IPv6, RFC 8200): evidence only. */
            uint32_t floor = inf_every_path_carries(f->ip_version);
            if (b->lost_min <= b->fwd_max || b->lost_min <= floor) {
                inf_evidence(p,
                             "flow #%" PRIu64 ": %u packets from %s entered the capturing host "
                             "and never left it, sizes up to %u bytes dropped and forwarded "
                             "alike: loss there, not by size",
                             f->id, b->lost, a, b->fwd_max);
                continue;
            }
            inf_bound_upper_loss(p, b->lost_min - 1);
            inf_evidence(p,
                         "flow #%" PRIu64 ": %u packets of %u bytes and up from %s entered the "
                         "capturing host and never left it, while %u up to %u bytes did: "
                         "dropped there by size",
                         f->id, b->lost, b->lost_min, a, b->forwarded, b->fwd_max);
            t->box_loss++;
            if (!t->box || b->lost > t->box->lost) {
                t->box = b;
                t->box_flow = f;
            }
            struct ev_record r = {.kind = EV_BOX_LOSS, .input = i, .flow_id = f->id};
            r.flow = f;
            r.dir = b->dir;
            r.lost = b->lost_min;
            r.delivered = b->fwd_max;
            r.count = b->lost;
            r.box = b;
            for (int n = 0; n < b->nframes; n++)
                ev_frame(&r, b->frames[n]);
            inf_record(inf, &r);
        }
    }
}

/* ---- fragments: how datagrams were cut ---- */

/* A datagram cut into fragments was cut to the MTU of the link ahead, the
 * payload of each fragment but the last a multiple of 8 bytes (RFC 791,
 * RFC 8200 4.5): the largest non-last fragment, F bytes, says that link
 * carries F to F + 7 bytes.  The link is the sender's own or a router's on
 * the way; either way the path carries no more than F + 7: an upper bound
 * wherever the fragment was captured.
 *
 * The lower bound F needs the fragment to have crossed the path, and a
 * fragment captured at its sender has crossed nothing: it is as large as
 * the sender's own link, whatever lies beyond (a 1500-byte fragment on a
 * 1206-byte path, a WireGuard interface's 1420-byte fragments over a
 * 1326-byte path).  Every router decrements the TTL / hop limit (RFC 791,
 * RFC 8200 3), so a fragment captured below its sender's initial value
 * (ttl_routers_crossed()) crossed a router at least and arrived at this vantage
 * point: that is the lower bound, for the path up to here (all of it at
 * the receiving host).  Inside a tunnel the inner TTL is not decremented
 * by the routers the tunnel crosses, so an inner fragment gives the upper
 * bound only; the two captures of a pair match it instead (correlate.h).
 *
 * Not for IPv6 fragments of 1280 to 1287 bytes: a source may fragment at
 * the minimum MTU whatever its path (IPV6_USE_MIN_MTU, RFC 3542 11.1). */
void inf_fragment_stage(struct inference *inf, struct input_stats *const *inputs, int ninputs)
{
    for (int i = 0; i < ninputs; i++) {
        const struct input_stats *s = inputs[i];
        for (int k = 0; k < s->nfrag_cuts; k++) {
            const struct defrag_cut *c = &s->frag_cuts[k];
            bool v6 = c->version == 6;
            if (v6 && c->nonlast < 1288)
                continue;
            struct addr src, dst;
            addr_from_bytes(&src, c->version, c->src);
            addr_from_bytes(&dst, c->version, c->dst);
            char a[64], in[32] = "";
            const char *ttl = v6 ? "hop limit" : "TTL";
            if (ninputs > 1)
                snprintf(in, sizeof in, ", input %d", i);
            addr_text(&src, a, sizeof a);
            struct inf_path *p = inf_path_for(inf, &src, &dst, INF_OUTER, 0);
            if (c->crossed && !(v6 && c->crossed < 1288))
                inf_bound_lower(
                    p, c->crossed,
                    "a %u-byte fragment (frame %" PRIu64 "%s) from %s arrived past "
                    "%u router%s at least (%s %u)",
                    c->crossed, c->crossed_frame, in, a, ttl_routers_crossed(c->crossed_ttl),
                    ttl_routers_crossed(c->crossed_ttl) == 1 ? "" : "s", ttl, c->crossed_ttl);
            inf_bound_upper_loss(p, c->nonlast + 7); /* a range of 8, not an MTU to set */
            if (c->crossed == c->nonlast)
                inf_evidence(p,
                             "%" PRIu32 " datagram%s from %s %s cut into fragments of at most %u "
                             "bytes (frame %" PRIu64 "%s): a link on the way, or the sender's "
                             "own, carries %u to %u bytes",
                             c->datagrams, c->datagrams == 1 ? "" : "s", a,
                             c->datagrams == 1 ? "was" : "were", c->nonlast, c->frame, in,
                             c->nonlast, c->nonlast + 7);
            else
                inf_evidence(p,
                             "%" PRIu32 " datagram%s from %s %s cut into fragments of at most %u "
                             "bytes (frame %" PRIu64 "%s): the path carries at most %u bytes; "
                             "that fragment was captured with the %s its sender gave it (%u), "
                             "before any router, so it does not show its size crossing",
                             c->datagrams, c->datagrams == 1 ? "" : "s", a,
                             c->datagrams == 1 ? "was" : "were", c->nonlast, c->frame, in,
                             c->nonlast + 7, ttl, c->ttl);
        }
    }
}

/* ---- 5. ping sweeps ---- */

void inf_sweep_stage(struct inference *inf, const struct results *res, struct tally *t)
{
    for (int i = 0; i < pmtud_nsweeps(res->pmtud); i++) {
        const struct pmtud_sweep *s = pmtud_sweep_get(res->pmtud, i);
        if (s->sizes < 3 || !s->largest_answered)
            continue; /* a plain ping, not a sweep */
        struct inf_path *p = inf_path_for(inf, &s->src, &s->dst, INF_OUTER, 0);
        inf_bound_lower(p, s->largest_answered,
                        "ping sweep: a %u-byte echo request (frame %" PRIu64 ") was answered",
                        s->largest_answered, s->frame_answered);
        /* an unanswered size every path carries is no cliff: the request or
         * its answer was lost for another reason (a rate limit, a target
         * that ignores it, a malformed one: suricata-verify's IPv6 evasion
         * captures leave a 448-byte request unanswered) */
        int v = s->src.addr_type == ADDR_TYPE_IP6 ? 6 : 4;
        bool cut = s->smallest_unanswered > s->largest_answered && s->df;
        if (cut && s->smallest_unanswered <= inf_every_path_carries(v) && !t->sweep_small)
            t->sweep_small = s; /* named by the inconclusive sentence (wording.c) */
        if (cut && s->smallest_unanswered > inf_every_path_carries(v)) {
            t->sweep_cliffs++;
            if (!t->sweep) {
                t->sweep = s;
            }
            /* the smallest unanswered size, less one: a bound, no MTU to set
             * unless the answered sizes meet it (sizes in between untried) */
            inf_bound_upper_loss(p, s->smallest_unanswered - 1);
            inf_evidence(p,
                         "ping sweep: the %u-byte request (frame %" PRIu64
                         ") and larger ones were never answered",
                         s->smallest_unanswered, s->frame_unanswered);
        }
    }
}

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

/* Whether a router told the sender about this direction's loss: an ICMP
 * frag-needed / packet-too-big quoting a packet from src to dst, reporting
 * an MTU below the smallest size lost, that the sender obeyed.  Then the
 * loss is PMTUD's first step (the packet that drew the message), not a
 * black hole: a second vantage point must not turn PMTUD working into one. */
static bool told_by_icmp(const struct inference *inf, struct input_stats *const *inputs,
                         int ninputs, const struct results *res, const struct addr *src,
                         const struct addr *dst, uint32_t lost)
{
    for (int i = 0, flat = 0; i < ninputs; i++)
        for (int k = 0; k < inputs[i]->nicmp; k++, flat++) {
            const struct icmp_mtu_msg *m = &inputs[i]->icmp[k];
            uint32_t mtu = m->mtu ? m->mtu : pmtud_plateau_below(icmp_msg_size(m));
            if (inf->icmp_honored[flat] != 1)
                continue;
            if (mtu < lost && !addr_cmp(&m->qsrc, src) && !addr_cmp(&m->qdst, dst))
                return true;
            /* A message about a tunnel's outer packet reached the tunnel's
             * endpoint, and its quote names the inner flow the packet carried
             * (pipeline.c): the endpoint lowered its route's MTU, and the
             * inner sender shrank through it, so a loss on that inner path is
             * PMTUD's first step there too (lab matrix SEED=6 m008 pair,
             * VXLAN).  Its MTU less the tunnel's overhead is the inner one. */
            const struct flow_summary *f = m->flow ? results_flow(res, m->flow) : NULL;
            if (!f || !m->quoted_overhead || mtu <= m->quoted_overhead ||
                mtu - m->quoted_overhead >= lost)
                continue;
            if ((!addr_cmp(&f->client, src) && !addr_cmp(&f->server, dst)) ||
                (!addr_cmp(&f->server, src) && !addr_cmp(&f->client, dst)))
                return true;
        }
    return false;
}

void inf_correlation_stage(struct inference *inf, struct input_stats *const *inputs, int ninputs,
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
            struct inf_path *p = inf_path_for(inf, &src, &dst, d->depth ? INF_INNER : INF_OUTER, 0);
            inf_bound_lower(p, v.largest_delivered,
                            "a %u-byte packet was captured in %s and again in %s (frames %" PRIu64
                            " and %" PRIu64 ")",
                            v.largest_delivered, inputs[up]->path, inputs[down]->path,
                            d->largest_frame[d->upstream], d->largest_frame[!d->upstream]);
            /* A DF-clear IPv4 packet a router cut: its fragments carry its ID,
             * addresses and protocol (RFC 791), so it crossed, as fragments;
             * it is not lost, and its size proves nothing (correlate.h). */
            uint64_t nf = d->fragmented[d->upstream], ni = d->fragmented_incomplete;
            if (nf && d->largest_fragmented && !ni)
                inf_evidence(p,
                             "%" PRIu64 " packet%s of up to %u bytes captured in %s (frame %" PRIu64
                             ") arrived in %s as fragments, matched by IP ID: a router cut them "
                             "(DF clear), so they crossed, but their size bounds nothing",
                             nf, nf == 1 ? "" : "s", d->largest_fragmented,
                             inputs[d->fragmented_side == d->upstream ? up : down]->path,
                             d->largest_fragmented_frame,
                             inputs[d->fragmented_side == d->upstream ? down : up]->path);
            else if (nf && d->largest_fragmented)
                inf_evidence(p,
                             "%" PRIu64 " packet%s of up to %u bytes captured in %s (frame %" PRIu64
                             ") reached %s as fragments, matched by IP ID: a router cut them (DF "
                             "clear); %" PRIu64 " of them arrived incomplete, fragments lost on "
                             "the way, which is fragment loss, not a size that failed",
                             nf, nf == 1 ? "" : "s", d->largest_fragmented,
                             inputs[d->fragmented_side == d->upstream ? up : down]->path,
                             d->largest_fragmented_frame,
                             inputs[d->fragmented_side == d->upstream ? down : up]->path, ni);
            if (!v.smallest_lost || !v.all_lost_above || v.lost_at_or_above < 2)
                continue;
            inf_bound_upper_loss(p, v.smallest_lost - 1);
            inf_evidence(p,
                         "upper bound %u: all %" PRIu64
                         " packets of %u bytes or more captured in %s "
                         "(first: frame %" PRIu64 ") never appeared in %s, while packets up to %u "
                         "bytes did",
                         v.smallest_lost - 1, v.lost_at_or_above, v.smallest_lost, inputs[up]->path,
                         v.lost_frame, inputs[down]->path, v.largest_delivered);
            if (told_by_icmp(inf, inputs, ninputs, res, &src, &dst, v.smallest_lost)) {
                inf_evidence(p, "those packets drew ICMP MTU messages that the sender obeyed: "
                                "path-MTU discovery, not a black hole");
                continue;
            }
            char a[64], b[64];
            addr_text(&src, a, sizeof a);
            addr_text(&dst, b, sizeof b);
            const struct flow_summary *f = flow_between(res, up, &src, &dst);
            struct ev_record r = {
                .kind = EV_MEASURED_LOSS, .input = (int)up, .flow_id = f ? f->id : 0};
            r.flow = f;
            r.lost = v.smallest_lost;
            r.delivered = v.largest_delivered;
            r.cd = d;
            r.cv = v;
            r.up_path = inputs[up]->path;
            r.down_path = inputs[down]->path;
            r.frames[r.nframes++] = v.lost_frame;
            inf_record(inf, &r);
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
