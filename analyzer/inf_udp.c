/*
 * inf_udp.c - what UDP shows about the path (infer.h).  UDP carries no
 * acknowledgement, so its delivery shows only where it is seen to arrive.
 */
#include <inttypes.h>
#include <stdio.h>

#include "infer.h"

/* A fragmented datagram that arrived complete (every fragment, by the IP
 * headers) after crossing a router (its outermost TTL below the sender's
 * initial value: defrag.h, struct defrag_arrived) tested the path: its
 * non-last fragments were cut to the MTU of a link on the way, the largest
 * size the sender or a router would put on it, and they crossed.  That is
 * what a full-size TCP segment acknowledged proves, and the largest
 * fragment is a lower bound of the path up to here, at the fragment's own
 * layer (inside the tunnel when it is an inner one).  A datagram seen with
 * its sender's TTL proves nothing: it may not have crossed anything yet.
 * Not counted as tested: IPv6 fragments of 1280 to 1287 bytes, which a
 * source may cut at the minimum MTU whatever its path (RFC 3542 11.1). */
void inf_arrived_stage(struct inference *inf, struct input_stats *const *inputs, int ninputs,
                       struct tally *t)
{
    for (int i = 0; i < ninputs; i++) {
        const struct input_stats *s = inputs[i];
        for (int k = 0; k < s->nfrag_arrived; k++) {
            const struct defrag_arrived *a = &s->frag_arrived[k];
            bool v6 = a->version == 6;
            struct addr src, dst;
            uint16_t type = v6 ? ADDR_TYPE_IP6 : ADDR_TYPE_IP;
            uint16_t bits = v6 ? IP6_ADDR_BITS : IP_ADDR_BITS;
            addr_pack(&src, type, bits, a->src, v6 ? 16 : 4);
            addr_pack(&dst, type, bits, a->dst, v6 ? 16 : 4);
            char sa[64], in[32] = "";
            if (ninputs > 1)
                snprintf(in, sizeof in, ", input %d", i);
            unsigned initial = a->ttl <= 64 ? 64u : a->ttl <= 128 ? 128u : 255u;
            struct inf_path *p = inf_path_for(inf, &src, &dst, a->depth ? INF_INNER : INF_OUTER, 0);
            inf_bound_lower(p, a->nonlast,
                            "a %u-byte fragment (frame %" PRIu64 "%s) of a datagram from %s "
                            "that arrived complete, past %u router%s at least (%s%s %u)",
                            a->nonlast, a->frame, in, addr_text(&src, sa, sizeof sa),
                            initial - a->ttl, initial - a->ttl == 1 ? "" : "s",
                            a->depth ? "outer " : "", v6 ? "hop limit" : "TTL", a->ttl);
            if (v6 && a->nonlast < 1288)
                continue;
            t->frag_arrived++;
            if (!t->arrived || a->nonlast > t->arrived->nonlast) {
                t->arrived = a;
                t->arrived_input = i;
            }
        }
    }
}
