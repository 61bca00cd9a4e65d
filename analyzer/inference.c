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
 *  5c. Links that state their MTU (inf_link.c): a PPP MRU requested and
 *     acknowledged by LCP; OSPF neighbours' interface MTUs, unequal ones
 *     a finding (their adjacency cannot form).
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

#include "compare.h"
#include "infer.h"

int inference_icmp_honored(const struct inference *inf, struct input_stats *const *inputs,
                           int input, int k)
{
    int i = inf_icmp_flat_index(inputs, input, k);
    return inf->icmp_honored && i >= 0 && i < inf->nicmp ? inf->icmp_honored[i] : -1;
}

const struct inf_blackhole *inference_blackhole(const struct inference *inf, uint64_t flow)
{
    for (int i = 0; i < inf->nblackholes; i++)
        if (inf->blackholes[i].flow == flow)
            return &inf->blackholes[i];
    return NULL;
}

bool inference_run(struct inference *inf, struct input_stats *const *inputs, int ninputs,
                   const struct results *res)
{
    /* not the tables: each entry is zeroed or written whole as it is added */
    memset(inf, 0, offsetof(struct inference, paths));
    ht_init(&inf->path_index);
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
    inf_capture_stage(inf, inputs, ninputs, res); /* the capture before the network */
    inf_icmp_stage(inf, inputs, ninputs, res, &t);
    inf_correlation_stage(inf, inputs, ninputs, res, &t); /* measured: the first evidence listed */
    for (uint32_t i = 0; i < res->nflows; i++) {
        const struct flow_summary *f = &res->flows[i];
        if (f->proto != IP_PROTO_TCP)
            continue;
        /* A connection between loopback addresses never leaves its host: no
         * link but the loopback device, no router, no path MTU below what
         * it sends.  A gap in it is the capture's (a test's edited file, a
         * dropped copy), and its delivery tests no path. */
        if (addr_is_loopback(&f->client) && addr_is_loopback(&f->server)) {
            t.loopback_tcp++;
            continue;
        }
        for (int d = 0; d < 2; d++)
            inf_sender_side(inf, inputs, ninputs, res, f, d, &t);
        for (int d = 0; d < 2; d++)
            inf_receiver_side(inf, f, d, &t);
        for (int d = 0; d < 2; d++)
            inf_silent_sender(inf, res, f, d, &t);
        for (int d = 0; d < 2; d++)
            inf_outage(inf, f, d);
    }
    inf_mss_stage(inf, res, ninputs, &t);
    inf_wireguard_stage(inf, inputs, ninputs, res, &t);
    inf_resend_stage(inf, res, &t);
    inf_sweep_stage(inf, res, &t);
    inf_fragment_stage(inf, inputs, ninputs);
    inf_box_stage(inf, inputs, ninputs, res, &t);
    inf_arrived_stage(inf, inputs, ninputs, &t);
    inf_udp_resent_stage(inf, inputs, ninputs, res, &t);
    inf_link_stage(inf, inputs, ninputs, &t);
    inf_storm_stage(inf, res);
    inf_syn_stage(inf, res, &t);
    inf_paths_fold(inf);
    inf_tunnel_stage(inf, res);
    inf_verdict(inf, inputs, ninputs, res, &t);
    inf_fix(inf, res);
    inf->cmp = compare_run(res, inf); /* NULL is no comparison: nothing else depends on it */
    return true;
}

void inference_free(struct inference *inf)
{
    inf_text_free(inf->summary);
    for (int i = 0; i < inf->nrecs; i++)
        inf_text_free(inf->recs[i]);
    for (int i = 0; i < inf->npaths; i++) {
        inf_text_free(inf->paths[i].lower_why);
        for (int k = 0; k < inf->paths[i].nevidence; k++)
            inf_text_free(inf->paths[i].evidence[k]);
    }
    for (int i = 0; i < inf->nfindings; i++) {
        inf_text_free(inf->findings[i].message);
        inf_text_free(inf->findings[i].filter_note);
    }
    for (uint32_t i = 0; inf->tunnels && i < inf->ntunnels; i++)
        inf_text_free(inf->tunnels[i].config);
    inf_fix_free(&inf->fix);
    compare_free(inf->cmp);
    inf->cmp = NULL;
    ht_free(&inf->path_index);
    free(inf->icmp_honored);
    free(inf->tunnels);
    inf->icmp_honored = NULL;
    inf->tunnels = NULL;
}
