/*
 * inf_udp.c - what UDP shows about the path (infer.h).  UDP carries no
 * acknowledgement, so its delivery shows only where it is seen to arrive.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

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
            addr_from_bytes(&src, a->version, a->src);
            addr_from_bytes(&dst, a->version, a->dst);
            char sa[64], in[32] = "";
            if (ninputs > 1)
                snprintf(in, sizeof in, ", input %d", i);
            unsigned hops = ttl_routers_crossed(a->ttl);
            struct inf_path *p = inf_path_for(inf, &src, &dst, a->depth ? INF_INNER : INF_OUTER, 0);
            inf_bound_lower(p, a->nonlast,
                            "a %u-byte fragment (frame %" PRIu64 "%s) of a datagram from %s "
                            "that arrived complete, past %u router%s at least (%s%s %u)",
                            a->nonlast, a->frame, in, addr_text(&src, sa, sizeof sa), hops,
                            hops == 1 ? "" : "s", a->depth ? "outer " : "",
                            v6 ? "hop limit" : "TTL", a->ttl);
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

/* The UDP flow of a conversation, in its input: its id for the finding. */
static const struct flow_summary *conv_flow(const struct results *res, int input,
                                            const struct udpx_conv *c)
{
    size_t alen = c->version == 4 ? 4 : 16;
    for (uint32_t i = 0; i < res->nflows; i++) {
        const struct flow_summary *f = &res->flows[i];
        if (f->input != input || f->proto != 17 || f->ip_version != c->version)
            continue;
        const uint8_t *fc = f->client.addr_data8, *fs = f->server.addr_data8;
        if ((!memcmp(fc, c->a, alen) && !memcmp(fs, c->b, alen) && f->client_port == c->aport &&
             f->server_port == c->bport) ||
            (!memcmp(fc, c->b, alen) && !memcmp(fs, c->a, alen) && f->client_port == c->bport &&
             f->server_port == c->aport))
            return f;
    }
    return NULL;
}

/* A request/response application re-sends its request when no answer came
 * within its timeout.  The same request again a timeout after each
 * fragmented reply, and never after a small reply or after no reply at all,
 * is the requester saying it never got the fragmented ones: fragments lost
 * on the way (udpx.h).  A suspicion: this side cannot see the replies
 * arrive, and the verdict is at most inconclusive with the reason, unless
 * lost fragments seen confirm it (verdict.c's first rule). */
void inf_udp_resent_stage(struct inference *inf, struct input_stats *const *inputs, int ninputs,
                          const struct results *res, struct tally *t)
{
    for (int i = 0; i < ninputs; i++) {
        const struct udpx *u = &inputs[i]->udpx;
        for (int k = 0; k < u->nconv; k++) {
            const struct udpx_conv *c = &u->conv[k];
            if (!udpx_suspect(c))
                continue;
            const struct flow_summary *f = conv_flow(res, i, c);
            struct ev_record r = {.kind = EV_UDP_RESENT, .input = i, .flow_id = f ? f->id : 0};
            r.flow = f;
            r.udpx = c;
            r.count = c->rep_after_frag;
            for (int n = 0; n < c->nframes; n++)
                ev_frame(&r, c->frames[n]);
            inf_record(inf, &r);
            t->udp_resent++;
            if (!t->resent || c->rep_after_frag > t->resent->rep_after_frag) {
                t->resent = c;
                t->resent_input = i;
                t->resent_flow = f ? f->id : 0;
            }
        }
    }
}
