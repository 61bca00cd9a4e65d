/*
 * inf_tcp.c - the TCP collectors (infer.h): a black hole seen by the sender
 * (large ranges re-sent, never delivered), by the receiver (a hole and
 * nothing near the MSS), healed by the sender, a sender fallen silent, and
 * MSS clamps.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "infer.h"

/* ---- 2-4. TCP flows ---- */

static bool flow_has_icmp(struct input_stats *const *inputs, int ninputs,
                          const struct inference *inf, uint64_t flow, uint32_t below, int *honored,
                          uint32_t *mtu, uint64_t *frame, const struct icmp_mtu_msg **msg)
{
    bool found = false;
    int flat = 0;
    *honored = -1;
    for (int i = 0; i < ninputs; i++) {
        for (int k = 0; k < inputs[i]->nicmp; k++, flat++) {
            const struct icmp_mtu_msg *m = &inputs[i]->icmp[k];
            uint32_t eff = m->mtu ? m->mtu : pmtud_plateau_below(icmp_msg_size(m));
            if (m->flow != flow || (below && eff >= below))
                continue;
            /* a message quoting the tunnel packet that carried the flow
             * went to the tunnel endpoint: it speaks for the inner sender
             * only once that sender shrank its packets; otherwise the black
             * hole stands, with the endpoint named (inf_tunnel_icmp) */
            if (m->quoted_overhead && inf->icmp_honored[flat] != 1)
                continue;
            if (!found)
                *frame = m->frame;
            found = true;
            *mtu = eff;
            *msg = m;
            if (inf->icmp_honored[flat] > *honored)
                *honored = inf->icmp_honored[flat];
        }
    }
    return found;
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

/* Whether a delivered packet tested the path at the size that matters.
 * The largest packet direction d may send is the MSS its receiver announced
 * (RFC 9293 3.7.1) plus the IP and TCP headers, and no more than its own
 * interface allows, which its own announced MSS reflects: the smaller of the
 * two.  TCP options take at most 40 bytes of it (the data offset field's
 * limit), so a full-size segment carrying options is never more than 40
 * bytes below.  A delivery below
 * that proves nothing about the MTU: an SSH session or a web page's small
 * requests cross a black hole unharmed.  Without the SYN the MSS is
 * unknown: then only a packet of 1280 bytes or more counts, the size every
 * IPv6 link must carry (RFC 8200 5) and below which MTU problems are not
 * the cause. */
static void tested_size(const struct flow_summary *f, uint32_t delivered, struct tally *t)
{
    uint32_t mss = inf_flow_mss(f);
    uint32_t full = mss ? mss + inf_tcpip_hdr(f) : 0;
    uint32_t need = full ? full - 40 : 1280;
    t->tcp_delivered++;
    if (delivered >= need) {
        t->tcp_tested++;
    } else if (!t->untested_flow || delivered > t->untested_largest) {
        t->untested_flow = f;
        t->untested_largest = delivered;
        t->untested_full = full;
    }
}

/* Whether the sender's re-sends were its retransmission timer backing off,
 * the mark of a black hole: the same sequence re-sent at least twice, a
 * stalled flow, or one re-send after at least a minimum RTO, which is
 * 200 ms (Linux's TCP_RTO_MIN; RFC 6298 lets it go below its 1 s) and two
 * round trips (a fast retransmit follows the loss by one).  A sender that
 * replaces a few oversized segments by smaller ones at once (a local PMTU
 * update, a fast retransmit) lost no time to a timeout: no black hole. */
static bool timed_out(const struct flow_dir_summary *x)
{
    if (x->backoff_count >= 2 || x->stalled)
        return true;
    if (x->backoff_count != 1 || !x->backoff_nintervals)
        return false;
    uint64_t pause = x->backoff_us[0];
    return pause >= 200000 && pause >= 2ull * x->rtt_min_us;
}

/* A sender that re-sent its oversized segments in smaller ones at once,
 * with no timeout (timed_out() false), was told the path is smaller.  TCP
 * cuts the data it re-sends smaller only when its MSS for the path falls:
 * on an ICMP message it re-sends at the new size at once (RFC 1191 6.5;
 * Linux's tcp_simple_retransmit), and a tunnel endpoint that lowers its
 * route's PMTU does the same for the inner sender; a fast retransmit
 * re-sends at the size it sent.  The message is not in this capture: taken
 * on a tunnel's inner interface, or beside the path the message took.
 * Only segments within what the MSS allows count: larger ones are a
 * sending host's offload super-segments, which its re-sends split whatever
 * the path.  And only a drop of more than 40 bytes: TCP options take at
 * most 40 (the data offset's limit), so less is options, not the MSS.  And
 * the data must have been delivered in the smaller packets.  (The caller
 * has left out sizes every path carries.) */
static bool resized_at_once(const struct flow_summary *f, int d, struct inf_path *p,
                            uint32_t largest, uint32_t smallest, struct tally *t)
{
    const struct flow_dir_summary *x = &f->dir[d];
    uint32_t mss = inf_flow_mss(f);
    if (x->stalled || !(x->tcp.retrans + x->tcp.out_of_order) || !mss || !largest ||
        smallest > mss + inf_tcpip_hdr(f) || largest + 40 >= smallest)
        return false;
    const struct addr *src, *dst;
    inf_direction_addrs(f, d, &src, &dst);
    char a[64], at[32] = "";
    if (x->first_retrans_frame) /* else re-sent so soon that Wireshark calls it out of order */
        snprintf(at, sizeof at, " (frame %" PRIu32 ")", x->first_retrans_frame);
    inf_evidence(p,
                 "flow #%" PRIu64 ": %s re-sent the data of its %u-byte packets at once in "
                 "smaller ones, with no timeout%s, and packets up to %u bytes were delivered: it "
                 "learned a smaller path MTU, from an ICMP message this capture does not hold",
                 f->id, addr_text(src, a, sizeof a), smallest, at, largest);
    if (!t->capped || largest < t->capped_size) {
        t->capped_size = largest;
        t->capped_from = smallest;
        t->capped_flow = f;
    }
    t->capped++;
    return true;
}

void inf_sender_side(struct inference *inf, struct input_stats *const *inputs, int ninputs,
                     const struct results *res, const struct flow_summary *f, int d,
                     struct tally *t)
{
    const struct flow_dir_summary *x = &f->dir[d];
    const struct addr *src, *dst;
    inf_direction_addrs(f, d, &src, &dst);
    char a[64], b[64];
    addr_text(src, a, sizeof a);
    addr_text(dst, b, sizeof b);
    struct inf_path *p = inf_path_for(inf, src, dst, inf_flow_layer(f), f->tunnel);

    /* An acknowledged packet crossed whole only if no router could cut it:
     * a router fragments a DF-clear IPv4 packet that is too big for the
     * next link instead of dropping it (RFC 791), and the receiver
     * reassembles, so the ACK proves the bytes crossed, not the size.  A
     * direction that sent large packets with DF clear bounds the path by
     * none of its acknowledged packets (the data still tested the path:
     * it crossed). */
    if (x->largest_delivered) {
        if (!(f->df_clear_large >> d & 1))
            inf_bound_lower(p, x->largest_delivered,
                            "flow #%" PRIu64 ": a %u-byte packet from %s was acknowledged", f->id,
                            x->largest_delivered, a);
        else
            inf_evidence(p,
                         "flow #%" PRIu64 ": %s's packets up to %u bytes were acknowledged, but "
                         "with DF clear: a router may have fragmented them, so their size "
                         "bounds nothing",
                         f->id, a, x->largest_delivered);
        tested_size(f, x->largest_delivered, t);
    }
    uint32_t largest = x->largest_delivered, smallest = x->smallest_lost, nlost = x->dl_lost;
    bool lost_big = x->dl_lost && smallest && smallest > largest;
    const struct results_sizes *rs = results_sizes_of(res, f->id);
    if (rs && size_cliff(&rs->dir[d], x->stalled, &largest, &smallest, &nlost))
        lost_big = true;
    if (!lost_big)
        return;

    int honored;
    uint32_t mtu = 0;
    uint64_t icmp_frame = 0;
    const struct icmp_mtu_msg *msg = NULL;
    if (flow_has_icmp(inputs, ninputs, inf, f->id, smallest, &honored, &mtu, &icmp_frame, &msg)) {
        if (honored != 0) {
            struct ev_record r = {.kind = EV_PMTUD_WORKED, .input = f->input, .flow_id = f->id};
            r.flow = f;
            r.dir = d;
            r.lost = smallest;
            r.mtu = mtu;
            r.icmp = msg;
            ev_frame(&r, icmp_frame); /* the first message, then the re-sends */
            ev_frame(&r, x->first_retrans_frame);
            for (int i = 0; i < x->nlost_frames; i++)
                ev_frame(&r, x->lost_frames[i]);
            inf_record(inf, &r);
        }
        return; /* an ignored message is reported by the ICMP stage */
    }
    /* Sizes every path carries were lost for another reason (a peer gone,
     * a firewall's state, a lossy link): no MTU is below them. */
    if (smallest <= inf_every_path_carries(f->ip_version))
        return;
    if (!timed_out(x)) {
        resized_at_once(f, d, p, largest, smallest, t);
        return;
    }

    struct inf_blackhole *bh = inf_add_blackhole(inf, f->id, d, false);
    if (bh) {
        bh->healed = !x->stalled;
        bh->healer = bh->healed ? inf_healer_of(f, d) : HEAL_UNKNOWN;
        bh->largest_delivered = largest;
        bh->smallest_lost = smallest;
        bh->cost_ns = bh->healed ? backoff_cost_ns(x) : 0;
        for (int i = 0; i < x->nlost_frames && bh->nframes < INF_MAX_FRAMES; i++)
            bh->frames[bh->nframes++] = x->lost_frames[i];
        if (!bh->nframes && x->first_retrans_frame)
            bh->frames[bh->nframes++] = x->first_retrans_frame;
    }
    inf_bound_upper(p, smallest - 1);
    inf_evidence(p,
                 "flow #%" PRIu64 ": %u transmissions of %u-byte or larger packets from %s, sent "
                 "again and again, never acknowledged; packets up to %u bytes delivered",
                 f->id, nlost, smallest, a, largest);

    struct ev_record r = {.kind = x->stalled ? EV_SENDER_STALLED : EV_SENDER_HEALED,
                          .input = f->input,
                          .flow_id = f->id};
    r.flow = f;
    r.dir = d;
    r.lost = smallest;
    r.delivered = largest;
    r.count = x->backoff_count;
    r.cost_ns = backoff_cost_ns(x);
    r.icmp = inf_tunnel_icmp(inputs, ninputs, res, f);
    r.healer = x->stalled ? HEAL_UNKNOWN : inf_healer_of(f, d);
    for (int i = 0; i < x->nlost_frames; i++)
        ev_frame(&r, x->lost_frames[i]);
    if (!r.nframes) /* healed: the big copies were superseded */
        ev_frame(&r, x->first_retrans_frame);
    inf_record(inf, &r);
    if (x->stalled) {
        t->blackholes++;
        if (inf_df_clear_lost(f, d))
            t->df_clear_lost++;
    } else
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

uint8_t inf_healer_of(const struct flow_summary *f, int d)
{
    /* IPv6 has no DF bit: every packet is unfragmentable on the path, so
     * the two behaviours look alike there */
    if (f->ip_version != 4)
        return HEAL_UNKNOWN;
    return f->dir[d].df_cleared ? HEAL_DF_CLEARED : HEAL_MTU_PROBING;
}

static void healed_seen_by_receiver(struct inference *inf, const struct flow_summary *f, int d,
                                    uint32_t full, struct tally *t)
{
    const struct flow_dir_summary *x = &f->dir[d];
    const struct addr *src, *dst;
    inf_direction_addrs(f, d, &src, &dst);
    char a[64], b[64];
    addr_text(src, a, sizeof a);
    addr_text(dst, b, sizeof b);
    struct inf_path *p = inf_path_for(inf, src, dst, inf_flow_layer(f), f->tunnel);
    inf_evidence(p,
                 "flow #%" PRIu64 ": %s's data paused %.1f s, then came in packets of at most %u "
                 "bytes although the MSS allows %u: full-size packets were lost until the sender "
                 "found a smaller size",
                 f->id, a, (double)x->data_gap_ms / 1e3, x->max_packet, full);
    struct inf_blackhole *bh = inf_add_blackhole(inf, f->id, d, true);
    if (bh) {
        bh->healed = true;
        bh->healer = inf_healer_of(f, d);
        bh->largest_delivered = x->max_packet;
        bh->cost_ns = (int64_t)x->data_gap_ms * 1000000;
        bh->frames[bh->nframes++] = x->data_gap_frame;
    }
    struct ev_record r = {.kind = EV_RECEIVER_HEALED, .input = f->input, .flow_id = f->id};
    r.flow = f;
    r.dir = d;
    r.lost = full;
    r.delivered = x->max_packet;
    r.cost_ns = (int64_t)x->data_gap_ms * 1000000;
    r.healer = inf_healer_of(f, d);
    r.frames[r.nframes++] = x->data_gap_frame; /* the filter selects it, 0 or not */
    inf_record(inf, &r);
    t->healed++;
    if (!t->worst) {
        t->worst = f;
        t->worst_dir = d;
        t->worst_smallest_lost = full;
        t->worst_largest_delivered = x->max_packet;
    }
}

void inf_receiver_side(struct inference *inf, const struct flow_summary *f, int d, struct tally *t)
{
    const struct flow_dir_summary *x = &f->dir[d], *peer = &f->dir[!d];
    /* A sender whose data arrives re-sent and capped below what the MSS
     * allows learned a smaller path MTU (PMTUD, or its own probing), even if
     * the ICMP message went to the sender and is not in this capture.  Small
     * segments alone are no proof: an application that writes little sends
     * them too (issue 13 item 8).  The proof is a hole in the byte stream
     * larger than any segment that arrived: what was lost was bigger than
     * what now comes, so the sender cut its data smaller (or lost several
     * segments back to back, the rule's one false alarm). */
    uint32_t hdr = inf_tcpip_hdr(f);
    bool recut = x->max_hole && (uint32_t)x->max_hole + hdr > x->max_packet;
    if (!x->dl_lost && x->tcp.data_segments >= 10 && x->tcp.retrans + x->tcp.out_of_order &&
        recut && x->mss + peer->mss) {
        uint32_t m = inf_flow_mss(f);
        uint32_t full = m + inf_tcpip_hdr(f);
        if (x->max_packet >= 576 && x->max_packet + 8u < full && !x->stalled) {
            const struct addr *src, *dst;
            inf_direction_addrs(f, d, &src, &dst);
            char a[64];
            struct inf_path *p = inf_path_for(inf, src, dst, inf_flow_layer(f), f->tunnel);
            inf_bound_lower(p, x->max_packet, "flow #%" PRIu64 ": a %u-byte packet from %s arrived",
                            f->id, x->max_packet, addr_text(src, a, sizeof a));
            if (x->data_gap_ms >= HEAL_PAUSE_MS) {
                healed_seen_by_receiver(inf, f, d, full, t);
                return;
            }
            inf_evidence(p,
                         "flow #%" PRIu64 ": %s's packets arrive re-sent and capped at %u bytes "
                         "although MSS %u allows %u: the sender learned a smaller path MTU",
                         f->id, a, x->max_packet, m, full);
            t->capped++;
            t->capped_size = x->max_packet;
            t->capped_from = 0;
            t->capped_flow = f;
            return;
        }
    }
    if (!x->tcp.lost_segment || x->dl_lost || x->tcp.retrans)
        return; /* no hole, or the sender's side is in the capture: inf_sender_side() judges */
    uint32_t mss = inf_flow_mss(f);
    if (!mss)
        return;
    uint32_t full = mss + inf_tcpip_hdr(f);
    if ((uint32_t)x->max_packet + 40 >= full)
        return; /* full-size packets did arrive */
    /* A black hole drops only packets larger than the path carries, and
     * every packet that arrived fitted: a missing stretch of bytes that one
     * of them could have carried was lost for another reason, or never
     * captured.  So the largest hole must be larger than the largest packet
     * that arrived holds. */
    if ((uint32_t)x->max_hole + inf_tcpip_hdr(f) <= x->max_packet)
        return;
    /* The receiver acknowledged bytes this capture never saw (Wireshark's
     * "ACKed unseen segment"): they arrived, and the capture missed them (a
     * drop, a filter, one direction routed past it).  A hole whose bytes are
     * acknowledged is the capture's, not the path's. */
    if (peer->tcp.acked_unseen)
        return;
    const struct addr *src, *dst;
    inf_direction_addrs(f, d, &src, &dst);
    char a[64], b[64];
    addr_text(src, a, sizeof a);
    addr_text(dst, b, sizeof b);
    struct inf_path *p = inf_path_for(inf, src, dst, inf_flow_layer(f), f->tunnel);
    inf_bound_lower(p, x->max_packet, "flow #%" PRIu64 ": a %u-byte packet from %s arrived", f->id,
                    x->max_packet, a);
    inf_evidence(p,
                 "flow #%" PRIu64
                 ": bytes from %s are missing at the receiver; nothing larger than %u "
                 "bytes arrived although MSS %u allows %u-byte packets",
                 f->id, a, x->max_packet, mss, full);
    struct inf_blackhole *bh = inf_add_blackhole(inf, f->id, d, true);
    if (bh) {
        bh->largest_delivered = x->max_packet;
        if (x->first_hole_frame)
            bh->frames[bh->nframes++] = x->first_hole_frame;
    }
    struct ev_record r = {.kind = EV_RECEIVER_HOLE, .input = f->input, .flow_id = f->id};
    r.flow = f;
    r.dir = d;
    r.lost = full;
    r.mss = mss;
    r.delivered = x->max_packet;
    ev_frame(&r, x->first_hole_frame);
    inf_record(inf, &r);
    t->suspected++;
    if (!t->worst) {
        t->worst = f;
        t->worst_dir = d;
        t->worst_smallest_lost = full;
        t->worst_largest_delivered = x->max_packet;
    }
}

#define SILENT_NS 5000000000ll /* 5 s: longer than any RTO before the first backoffs */

void inf_silent_sender(struct inference *inf, const struct results *res,
                       const struct flow_summary *f, int d, struct tally *t)
{
    const struct flow_dir_summary *x = &f->dir[d], *peer = &f->dir[!d];
    if (f->end != FLOW_END_CAPTURE || x->closed || peer->closed || !x->tcp.data_segments ||
        peer->tcp.data_segments || x->tcp.retrans || x->tcp.lost_segment)
        return;
    uint32_t mss = inf_flow_mss(f);
    if (!mss || (uint32_t)x->max_packet + 40 >= mss + inf_tcpip_hdr(f))
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
    uint32_t full = mss + inf_tcpip_hdr(f);
    const struct addr *src, *dst;
    inf_direction_addrs(f, d, &src, &dst);
    char a[64], b[64];
    addr_text(src, a, sizeof a);
    addr_text(dst, b, sizeof b);
    double quiet = (double)(other->last_ns - f->last_ns) / 1e9;
    struct inf_path *p = inf_path_for(inf, src, dst, inf_flow_layer(f), f->tunnel);
    inf_bound_lower(p, x->max_packet, "flow #%" PRIu64 ": a %u-byte packet from %s arrived", f->id,
                    x->max_packet, a);
    inf_evidence(p,
                 "flow #%" PRIu64 ": %s sent %u data segment%s of at most %u bytes, then nothing "
                 "for %.1f s while flow #%" PRIu64 " went on; MSS %u allows %u-byte packets",
                 f->id, a, x->tcp.data_segments, x->tcp.data_segments == 1 ? "" : "s",
                 x->max_packet, quiet, other->id, mss, full);
    struct inf_blackhole *bh = inf_add_blackhole(inf, f->id, d, true);
    if (bh) {
        bh->largest_delivered = x->max_packet;
        bh->frames[bh->nframes++] = f->last_frame;
    }
    struct ev_record r = {.kind = EV_SILENT_SENDER, .input = f->input, .flow_id = f->id};
    r.flow = f;
    r.dir = d;
    r.lost = full;
    r.delivered = x->max_packet;
    r.count = x->tcp.data_segments;
    r.cost_ns = other->last_ns - f->last_ns;
    r.other = other->id;
    ev_frame(&r, f->last_frame);
    inf_record(inf, &r);
    t->silent++;
    if (!t->silent_flow) {
        t->silent_flow = f;
        t->silent_dir = d;
        t->silent_full = full;
    }
}

/* MSS clamping (issue 13 item 9).  Hosts announce different MSS values all
 * the time (a phone 1240, a PC behind WireGuard 1380, a server 1460): two
 * values in one capture are no evidence of a clamp, since a router that
 * lowers the MSS on the way and a host whose own link is smaller look the
 * same from any one point.  The proof is the same SYN seen at two points
 * with different MSS values: something between them rewrote it. */

/* The connection's key, for finding it in another input: the two endpoints
 * and ports, the client's first. */
static uint64_t conn_hash(uint64_t seed, const struct flow_summary *f)
{
    unsigned char k[2 * 18 + 4] = {0};
    const struct addr *a[2] = {&f->client, &f->server};
    for (int i = 0; i < 2; i++) {
        k[i * 18] = (unsigned char)a[i]->addr_type;
        size_t n = a[i]->addr_bits / 8u;
        memcpy(k + i * 18 + 2, a[i]->addr_data8, n < 16 ? n : 16);
    }
    memcpy(k + 36, &f->client_port, 2);
    memcpy(k + 38, &f->server_port, 2);
    return hash_bytes(seed, k, sizeof k);
}

static bool same_conn(const struct flow_summary *f, const struct flow_summary *g)
{
    return !addr_cmp(&f->client, &g->client) && !addr_cmp(&f->server, &g->server) &&
           f->client_port == g->client_port && f->server_port == g->server_port &&
           f->first_ns <= g->last_ns && g->first_ns <= f->last_ns;
}

/* The same connection captured at two points, its SYN (d = 0) or SYN-ACK
 * (d = 1) carrying different MSS values: the first clamp found, or NULL. */
static const struct flow_summary *rewritten_at(const struct results *res, const struct hashtab *ix,
                                               const struct flow_summary *f, int *dir)
{
    struct ht_probe p;
    for (uint32_t id = ht_first(ix, conn_hash(ix->seed, f), &p); id != HT_NONE;
         id = ht_next(ix, &p)) {
        const struct flow_summary *g = &res->flows[id - 1];
        if (g->input == f->input || !same_conn(f, g))
            continue;
        for (int d = 0; d < 2; d++)
            if (f->dir[d].mss && g->dir[d].mss && f->dir[d].mss != g->dir[d].mss) {
                *dir = d;
                return g;
            }
    }
    return NULL;
}

void inf_mss_stage(struct inference *inf, const struct results *res, int ninputs, struct tally *t)
{
    struct hashtab ix;
    ht_init(&ix);
    for (uint32_t i = 0; ninputs > 1 && i < res->nflows; i++) {
        const struct flow_summary *f = &res->flows[i];
        if (f->proto == IP_PROTO_TCP && (f->dir[0].mss || f->dir[1].mss))
            ht_insert(&ix, conn_hash(ix.seed, f), i + 1);
    }
    for (uint32_t i = 0; i < res->nflows; i++) {
        const struct flow_summary *f = &res->flows[i];
        uint32_t c = f->dir[0].mss, s = f->dir[1].mss;
        if (f->proto != IP_PROTO_TCP || (!c && !s))
            continue;
        int d = 0;
        const struct flow_summary *g = ninputs > 1 ? rewritten_at(res, &ix, f, &d) : NULL;
        if (g) {
            /* report it once, from the capture where the MSS is lower:
             * downstream of the clamp */
            if (f->dir[d].mss > g->dir[d].mss)
                continue;
            t->clamped++;
            struct ev_record r = {.kind = EV_MSS_CLAMPED, .input = f->input, .flow_id = f->id};
            r.flow = f;
            r.dir = d;
            r.mss = f->dir[d].mss;
            r.count = g->dir[d].mss; /* as sent, upstream */
            r.other = g->id;
            if (f->first_frame <= UINT32_MAX)
                ev_frame(&r, f->first_frame); /* the flow's first packet: its SYN */
            inf_record(inf, &r);
        } else if (c && s && (c > s ? c - s : s - c) >= 40) {
            /* 40: a difference below is options or stacks (timestamps, a
             * Windows 1460 against a Linux 1448), not links */
            struct ev_record r = {.kind = EV_MSS_DIFFERS, .input = f->input, .flow_id = f->id};
            r.flow = f;
            r.mss = c < s ? c : s;
            if (f->first_frame <= UINT32_MAX)
                ev_frame(&r, f->first_frame);
            inf_record(inf, &r);
        }
    }
    ht_free(&ix);
}

/* The retransmission timer backing off: each interval between the
 * transmissions of one sequence at least 200 ms (Linux's TCP_RTO_MIN, the
 * smallest RTO of any common stack: shorter ones are fast retransmits or a
 * capture's copies) and at least 1.5 times the one before (RFC 6298 5.5
 * doubles it; 1.5 leaves room for timer granularity). */
static bool timer_backoff(const struct flow_dir_summary *x)
{
    int n = x->backoff_nintervals < FLOW_BACKOFF_KEPT ? x->backoff_nintervals : FLOW_BACKOFF_KEPT;
    if (n < 2)
        return false;
    for (int i = 0; i < n; i++)
        if (x->backoff_us[i] < 200000 || (i && x->backoff_us[i] * 2 < x->backoff_us[i - 1] * 3))
            return false;
    return true;
}

/* An outage, not a black hole.  The same sequence re-sent at least twice
 * with the timer backing off (a fast retransmit happens once) means that
 * for two RTOs or more nothing this sender sent was acknowledged.  When every segment was delivered
 * in the end, the largest size among them, and the flow did not stall, the path carried that size
 * before or after the silence: it went away and came back (a link down,
 * roaming, a restarting router or peer), which no MTU setting explains. */
void inf_outage(struct inference *inf, const struct flow_summary *f, int d)
{
    const struct flow_dir_summary *x = &f->dir[d];
    if (x->backoff_count < 2 || !timer_backoff(x) || x->stalled || x->dl_lost || x->smallest_lost ||
        !x->largest_delivered || x->largest_delivered < x->max_packet)
        return;
    int64_t cost = 0;
    for (int i = 0; i < x->backoff_nintervals && i < FLOW_BACKOFF_KEPT; i++)
        cost += (int64_t)x->backoff_us[i] * 1000;
    struct ev_record r = {.kind = EV_OUTAGE, .input = f->input, .flow_id = f->id};
    r.flow = f;
    r.dir = d;
    r.delivered = x->largest_delivered;
    r.count = x->backoff_count;
    r.cost_ns = cost;
    if (x->first_retrans_frame)
        ev_frame(&r, x->first_retrans_frame);
    inf_record(inf, &r);
}

/* ---- retransmission storms ---- */

void inf_storm_stage(struct inference *inf, const struct results *res)
{
    for (uint32_t i = 0; i < res->nstorms; i++) {
        const struct flow_storm *st = &res->storms[i];
        struct ev_record r = {.kind = EV_STORM, .input = st->input, .flow_id = st->flow};
        r.flow = st->flow ? results_flow(res, st->flow) : NULL; /* NULL: not kept */
        r.storm = st;
        r.count = st->retransmissions;
        r.cost_ns = st->end_ns - st->start_ns;
        ev_frame(&r, st->start_frame);
        if (st->end_frame != st->start_frame)
            ev_frame(&r, st->end_frame);
        inf_record(inf, &r);
    }
}
