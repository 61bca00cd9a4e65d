/*
 * flow_quote.c - the flow an ICMP error's quote belongs to (flow.h's
 * flow_lookup_quoted, flow_quote_inner, flow_icmp_tunnel,
 * flow_quoted_original): the quoted packet keyed as flow.c keys packets
 * and looked up in the tunnel it travelled in.
 */
#include <stdbool.h>
#include <stdint.h>

#include "flow_int.h"

/* The IP layer of the quote that names the quoted packet's flow: its
 * innermost IP layer with its addresses read.  A router that drops a
 * tunnel's outer packet quotes that packet, and a quote is usually long
 * enough (RFC 1812 4.3.2.3: as much as fits in 576 bytes; Linux quotes up to
 * that) to hold the tunnel header and the inner IP and transport headers: the
 * packet that was too big belongs to the inner flow the tunnel carried, as
 * the endpoint's kernel learns (it lowers the tunnel's MTU, and the inner
 * sender's next packets shrink).  A quoted ICMP error ends the search: what
 * follows it is its own quote. */
static int quote_flow_layer(const struct packet *pkt, int q)
{
    int best = q;
    for (int j = q + 1; j < pkt->nlayers; j++) {
        const struct layer *l = &pkt->layers[j];
        if (!(l->flags & LF_QUOTED) || l->type == LAYER_ICMP || l->type == LAYER_ICMP6)
            break;
        if (flow_is_ip(l) &&
            (l->u.ip.src.addr_type == ADDR_TYPE_IP || l->u.ip.src.addr_type == ADDR_TYPE_IP6))
            best = j;
    }
    return best;
}

/* The flow of the packet an ICMP error at icmp_layer quotes (the quote's
 * flow layer q: quote_flow_layer), looked up in the tunnel it travelled in:
 * for a quoted tunnel packet, the quoted tunnel; otherwise the tunnel the
 * error came back through.  NULL when none.  *swapped: the key's endpoints
 * were swapped. */
static struct flow *quoted_flow(struct flow_table *ft, const struct packet *pkt, int icmp_layer,
                                int q, bool *swapped)
{
    struct flow_key k;
    uint16_t sport, dport;
    if (!flow_make_key(pkt, q, &k, swapped, &sport, &dport))
        return NULL;
    if (q > pkt->layers[icmp_layer].u.icmp.quote_layer) {
        k.tunnel = flow_tun_enclosing(&ft->tunnels, pkt, q, false);
    } else {
        int outer = -1;
        for (int j = icmp_layer - 1; j >= 0 && outer < 0; j--)
            if (flow_is_ip(&pkt->layers[j]))
                outer = j;
        /* the quoted packet travelled in the tunnel the error came back through */
        k.tunnel = outer >= 0 ? flow_tun_enclosing(&ft->tunnels, pkt, outer, false) : 0;
    }
    return flow_find(ft, &k, hash_bytes_inline(ft->index.seed, &k, sizeof k));
}

bool flow_quote_inner(const struct packet *pkt, int icmp_layer, struct addr *src,
                      uint32_t *overhead)
{
    if (icmp_layer < 0 || icmp_layer >= pkt->nlayers)
        return false;
    int q = pkt->layers[icmp_layer].u.icmp.quote_layer;
    if (q <= icmp_layer || q >= pkt->nlayers || !flow_is_ip(&pkt->layers[q]))
        return false;
    int qi = quote_flow_layer(pkt, q);
    const struct ip_info *o = &pkt->layers[q].u.ip, *in = &pkt->layers[qi].u.ip;
    if (qi == q || o->ip_len <= in->ip_len)
        return false;
    *src = in->src;
    *overhead = o->ip_len - in->ip_len;
    return true;
}

uint32_t flow_icmp_tunnel(struct flow_table *ft, const struct packet *pkt, int icmp_layer)
{
    if (icmp_layer < 0 || icmp_layer >= pkt->nlayers)
        return 0;
    for (int j = icmp_layer - 1; j >= 0; j--)
        if (flow_is_ip(&pkt->layers[j]))
            return flow_tun_enclosing(&ft->tunnels, pkt, j, false);
    return 0;
}

uint64_t flow_lookup_quoted(struct flow_table *ft, const struct packet *pkt, int icmp_layer)
{
    if (icmp_layer < 0 || icmp_layer >= pkt->nlayers)
        return 0;
    int q = pkt->layers[icmp_layer].u.icmp.quote_layer;
    if (q <= icmp_layer || q >= pkt->nlayers || !flow_is_ip(&pkt->layers[q]))
        return 0;
    bool swapped;
    struct flow *f = quoted_flow(ft, pkt, icmp_layer, quote_flow_layer(pkt, q), &swapped);
    if (!f && quote_flow_layer(pkt, q) != q) /* an inner flow not seen: the outer one */
        f = quoted_flow(ft, pkt, icmp_layer, q, &swapped);
    return f ? f->s.id : 0;
}

uint32_t flow_quoted_original(struct flow_table *ft, const struct packet *pkt, int icmp_layer,
                              uint64_t *frame)
{
    *frame = 0;
    if (icmp_layer < 0 || icmp_layer >= pkt->nlayers)
        return 0;
    int q = pkt->layers[icmp_layer].u.icmp.quote_layer;
    if (q <= icmp_layer || q >= pkt->nlayers || !flow_is_ip(&pkt->layers[q]))
        return 0;
    q = quote_flow_layer(pkt, q);
    if (q + 1 >= pkt->nlayers || pkt->layers[q + 1].type != LAYER_TCP)
        return 0;
    bool swapped;
    struct flow *f = quoted_flow(ft, pkt, icmp_layer, q, &swapped);
    if (!f || !f->tcp)
        return 0;
    int e = swapped ? 1 : 0; /* key endpoint that sent the quoted packet */
    const struct tcp_half *hf = &f->tcp->h[e == f->n.cidx ? 0 : 1];
    uint32_t seq = pkt->layers[q + 1].u.tcp.seq;
    if (f->tcp->parked) /* parked, or closed: its outstanding segments are in the copy */
        return hf->dl_parked ? delivery_parked_outstanding(hf->dl_parked, seq, frame) : 0;
    return hf->dl ? delivery_outstanding(hf->dl, seq, frame) : 0;
}
