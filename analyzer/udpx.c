/* udpx.c - UDP requests re-sent after fragmented replies (udpx.h). */
#include <string.h>

#include "hashtab.h"
#include "udpx.h"

#define HASH_BYTES 256 /* a request's first bytes: its identity (query id, question) */

/* The conversation of these endpoints (either way round); *from_a says
 * whether src is its requester.  Ports 0 (a fragment without them) match
 * any ports of the host pair.  NULL when there is none and it is not made. */
static struct udpx_conv *find(struct udpx *u, uint8_t version, uint8_t depth, const uint8_t *src,
                              const uint8_t *dst, uint16_t sport, uint16_t dport, bool make,
                              bool *from_a)
{
    size_t alen = version == 4 ? 4 : 16;
    for (int i = 0; i < u->nconv; i++) {
        struct udpx_conv *c = &u->conv[i];
        if (c->version != version || c->depth != depth)
            continue;
        bool ports = !sport && !dport;
        if (!memcmp(c->a, src, alen) && !memcmp(c->b, dst, alen) &&
            (ports || (c->aport == sport && c->bport == dport))) {
            *from_a = true;
            return c;
        }
        if (!memcmp(c->b, src, alen) && !memcmp(c->a, dst, alen) &&
            (ports || (c->bport == sport && c->aport == dport))) {
            *from_a = false;
            return c;
        }
    }
    if (!make || (!sport && !dport))
        return NULL;
    if (u->nconv == UDPX_MAX_CONV) {
        u->unlisted++;
        return NULL;
    }
    struct udpx_conv *c = &u->conv[u->nconv++];
    memset(c, 0, sizeof *c);
    c->version = version;
    c->depth = depth;
    memcpy(c->a, src, alen);
    memcpy(c->b, dst, alen);
    c->aport = sport;
    c->bport = dport;
    *from_a = true;
    return c;
}

static void add_frame(struct udpx_conv *c, uint64_t frame)
{
    if (frame && c->nframes < UDPX_MAX_FRAMES)
        c->frames[c->nframes++] = frame;
}

/* A request from a: a repeat of the latest one, or a new one. */
static void request(struct udpx_conv *c, uint64_t hash, uint32_t len, int64_t ns, uint64_t frame)
{
    if (c->have_req && hash == c->req_hash && len == c->req_len &&
        ns - c->req_ns >= UDPX_MIN_TIMEOUT_NS) {
        if (c->frag_since && c->crossed_since) {
            c->rep_after_crossed++;
        } else if (c->frag_since && !c->small_since) {
            c->rep_after_frag++;
            int64_t gap = ns - c->frag_ns;
            if (!c->gap_min_ns || gap < c->gap_min_ns)
                c->gap_min_ns = gap;
            if (gap > c->gap_max_ns)
                c->gap_max_ns = gap;
            if (c->nframes + 2 <= UDPX_MAX_FRAMES) {
                add_frame(c, c->frag_frame);
                add_frame(c, frame);
            }
        } else if (c->small_since) {
            c->rep_after_small++;
        } else {
            c->rep_no_reply++;
        }
    }
    c->requests++;
    c->have_req = true;
    c->req_hash = hash;
    c->req_len = len;
    c->req_ns = ns;
    c->req_frame = frame;
    c->frag_since = c->small_since = c->crossed_since = false;
}

/* Something from b since the latest request: a fragment or a datagram. */
static void reply(struct udpx_conv *c, bool fragmented, bool crossed, int64_t ns, uint64_t frame)
{
    if (!c->have_req)
        return;
    if (fragmented && crossed)
        c->crossed_since = true;
    if (!fragmented) {
        c->small_since = true;
        return;
    }
    if (!c->frag_since) {
        c->frag_since = true;
        c->frag_frame = frame;
        c->frag_ns = ns;
        c->frag_replies++;
    }
}

/* Whether the packet crossed a router: its outermost TTL / hop limit below
 * the initial value its sender likely used, 64, 128 or 255 (udpx.h). */
static bool crossed_router(const struct packet *pkt)
{
    for (int i = 0; i < pkt->nlayers; i++) {
        const struct layer *l = &pkt->layers[i];
        if ((l->type == LAYER_IPV4 || l->type == LAYER_IPV6) && !(l->flags & LF_QUOTED)) {
            return ttl_crossed_router(l->u.ip.ttl);
        }
    }
    return false;
}

void udpx_packet(struct udpx *u, const struct packet *pkt)
{
    /* most packets are TCP, whose last layer says so: no UDP exchange and
     * no fragment, so no walk over the layers (this runs on every packet) */
    if (pkt->nlayers && pkt->layers[pkt->nlayers - 1].type == LAYER_TCP &&
        !(pkt->layers[pkt->nlayers - 1].flags & LF_QUOTED))
        return;
    /* the innermost IP layer outside ICMP quotes */
    int ip = -1;
    for (int i = pkt->nlayers - 1; i >= 0 && ip < 0; i--) {
        const struct layer *l = &pkt->layers[i];
        if ((l->type == LAYER_IPV4 || l->type == LAYER_IPV6) && !(l->flags & LF_QUOTED))
            ip = i;
    }
    if (ip < 0)
        return;
    const struct layer *l = &pkt->layers[ip];
    const struct ip_info *in = &l->u.ip;
    if (in->proto != 17)
        return;
    size_t alen = in->version == 4 ? 4 : 16;
    uint8_t src[16] = {0}, dst[16] = {0};
    memcpy(src, in->src.addr_data8, alen);
    memcpy(dst, in->dst.addr_data8, alen);
    int64_t ns = pkt->ts_sec * 1000000000ll + pkt->ts_nsec;
    bool from_a;
    if ((in->flags & IPF_FRAGMENT) && !in->reasm_len) {
        /* a fragment held or dropped by the reassembly: a fragmented reply */
        struct udpx_conv *c = find(u, in->version, l->tunnel, src, dst, 0, 0, false, &from_a);
        if (c && !from_a)
            reply(c, true, crossed_router(pkt), ns, pkt->frame);
        return;
    }
    if (ip + 1 >= pkt->nlayers || pkt->layers[ip + 1].type != LAYER_UDP)
        return;
    const struct layer *ul = &pkt->layers[ip + 1];
    const struct udp_info *ud = &ul->u.udp;
    struct udpx_conv *c =
        find(u, in->version, l->tunnel, src, dst, ud->sport, ud->dport, true, &from_a);
    if (!c)
        return;
    bool fragmented = in->reasm_len != 0;
    if (!from_a) {
        reply(c, fragmented, crossed_router(pkt), ns, pkt->frame);
        return;
    }
    /* the payload as captured (a reassembled datagram is whole) */
    uint32_t off = ul->offset + 8;
    /* never past the bytes the record holds, whatever the UDP length says
     * (a reassembled datagram's record holds it whole) */
    uint32_t have = off < pkt->caplen ? pkt->caplen - off : 0;
    if (!pkt->data)
        have = 0;
    if (have > ud->payload_len)
        have = ud->payload_len;
    if (have > HASH_BYTES)
        have = HASH_BYTES;
    /* only equality with the conversation's previous request matters: a
     * word-at-a-time hash (a byte-at-a-time FNV took a quarter of the
     * analysis of tunnel traffic, whose every datagram is a "request");
     * seed 0, the same in every run */
    uint64_t h = hash_bytes(0, pkt->data + off, have);
    request(c, h, ud->payload_len, ns, pkt->frame);
}

bool udpx_suspect(const struct udpx_conv *c)
{
    return c->rep_after_frag >= 2 && !c->rep_after_small && !c->rep_no_reply &&
           !c->rep_after_crossed;
}
