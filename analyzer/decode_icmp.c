/*
 * decode_icmp.c - ICMP (RFC 792) and ICMPv6 (RFC 4443), with the packet an
 * error message quotes.
 *
 * For path-MTU work the interesting messages are errors: IPv4's
 * "fragmentation needed and DF set" (RFC 1191) and IPv6's "packet too big"
 * (RFC 8201) carry the MTU of the hop that dropped a packet, and the quote
 * says which packet (and so which flow, and which tunnel) it was.  The quote
 * is decoded by the ordinary IP decoders with LF_QUOTED set: quotes are cut
 * short on purpose, so the layers inside are marked, not counted as anomalies.
 *
 * Recursion (a quote holding an ICMP error holding a quote...) needs no depth
 * counter of its own: each level pushes at least two layers before it recurses
 * and the packet record holds PKT_MAX_LAYERS.
 */
#include "decode_icmp.h"

#define ICMP_HDR_LEN_ 8 /* type, code, checksum, one 32-bit word (RFC 792) */

/* ICMPv4 types (RFC 792) */
#define ICMP4_ECHOREPLY 0
#define ICMP4_UNREACH 3
#define ICMP4_SRCQUENCH 4
#define ICMP4_REDIRECT 5
#define ICMP4_ECHO 8
#define ICMP4_TIMEXCEED 11
#define ICMP4_PARAMPROB 12
#define ICMP4_UNREACH_NEEDFRAG 4 /* code: fragmentation needed and DF set */

/* ICMPv6 types (RFC 4443) */
#define ICMP6_UNREACH 1
#define ICMP6_PKTTOOBIG 2
#define ICMP6_TIMEXCEED 3
#define ICMP6_PARAMPROB 4
#define ICMP6_ECHO 128
#define ICMP6_ECHOREPLY 129

/* How one family lays out its errors. */
struct icmp_family {
    enum layer_type type;
    uint8_t echo_req, echo_rep;
    uint8_t len_shift; /* where the RFC 4884 length byte sits in the second word */
    uint8_t len_unit;  /* RFC 4884: 32-bit words for ICMPv4, 64-bit for ICMPv6 */
    bool (*is_error)(uint8_t type);
    bool (*has_rfc4884)(uint8_t type);
};

static bool icmp4_is_error(uint8_t type)
{
    return type == ICMP4_UNREACH || type == ICMP4_SRCQUENCH || type == ICMP4_REDIRECT ||
           type == ICMP4_TIMEXCEED || type == ICMP4_PARAMPROB;
}

/* RFC 4884 4.1: the length goes in the sixth octet of these three. */
static bool icmp4_has_rfc4884(uint8_t type)
{
    return type == ICMP4_UNREACH || type == ICMP4_TIMEXCEED || type == ICMP4_PARAMPROB;
}

static bool icmp6_is_error(uint8_t type)
{
    /* RFC 4443 2.1: types 0-127 are errors; only 1-4 are defined and
     * known to quote the invoking packet. */
    return type >= ICMP6_UNREACH && type <= ICMP6_PARAMPROB;
}

/* RFC 4884 4.2: the fifth octet; packet-too-big and parameter-problem use the
 * whole word for the MTU and the pointer. */
static bool icmp6_has_rfc4884(uint8_t type)
{
    return type == ICMP6_UNREACH || type == ICMP6_TIMEXCEED;
}

static const struct icmp_family icmp4 = {
    LAYER_ICMP, ICMP4_ECHO, ICMP4_ECHOREPLY, 16, 4, icmp4_is_error, icmp4_has_rfc4884,
};
static const struct icmp_family icmp6 = {
    LAYER_ICMP6, ICMP6_ECHO, ICMP6_ECHOREPLY, 24, 8, icmp6_is_error, icmp6_has_rfc4884,
};

/*
 * Hands an error's "original datagram" to the IP decoders.  RFC 4884: a
 * non-zero length byte sizes that field (the rest is an extension structure,
 * e.g. RFC 4950 MPLS labels, which we do not decode); zero means the
 * pre-4884 layout, where the quote runs to the end of the message.
 */
static void decode_quote(struct dstate *d, struct layer *l, const struct icmp_family *f,
                         uint8_t rfc4884_len, enum dec_len_src src, size_t qlen, struct cursor q)
{
    if (rfc4884_len && f->has_rfc4884(l->u.icmp.type)) {
        size_t orig = (size_t)rfc4884_len * f->len_unit;
        if (src == DEC_LEN_IP && orig > qlen)
            dec_bad(d, l, AN_BAD_ICMP); /* claims more than the message holds */
        else
            cur_limit(&q, orig);
    }
    if (src == DEC_LEN_IP && qlen == 0) {
        dec_bad(d, l, AN_BAD_ICMP); /* an error must quote something (RFC 792, 4443) */
        return;
    }
    if (cur_left(&q) == 0)
        return; /* the capture ended at the quote: the IP layer counts that */

    uint8_t at = d->pkt->nlayers;
    uint8_t saved = d->lflags;
    d->lflags |= LF_QUOTED;
    decode_ip_any(d, q);
    d->lflags = saved;
    if (d->pkt->nlayers > at)
        l->u.icmp.quote_layer = at;
}

static void decode_icmp_common(struct dstate *d, struct cursor c, const struct icmp_family *f)
{
    size_t msglen;
    enum dec_len_src src = dec_ip_payload_len(d, &c, &msglen);
    struct layer *l = dec_push(d, f->type, &c);
    if (!l)
        return;
    struct icmp_info *ic = &l->u.icmp;

    cur_limit(&c, msglen); /* Ethernet padding is not ICMP's */
    ic->type = cur_u8(&c);
    ic->code = cur_u8(&c);
    cur_skip(&c, 2); /* checksum */
    /* The second word, kept whole: its meaning depends on the type. */
    uint32_t rest = cur_be32(&c);
    if (c.err) {
        if (dec_len_declared(src) && msglen < ICMP_HDR_LEN_)
            dec_bad(d, l, AN_BAD_ICMP); /* fully there, and too short */
        else
            dec_short(d, l);
        return;
    }
    /* A first fragment's message length is unknown until reassembly: 0. */
    if (src != DEC_LEN_FRAGMENT) {
        ic->payload_len = dec_clamp16(msglen - ICMP_HDR_LEN_);
        if (cur_left(&c) < msglen - ICMP_HDR_LEN_)
            dec_short(d, l); /* the message itself, not the quote in it, was cut */
    }

    if (ic->type == f->echo_req || ic->type == f->echo_rep) {
        ic->id = (uint16_t)(rest >> 16);
        ic->seq = (uint16_t)rest;
        return;
    }
    if (!f->is_error(ic->type))
        return; /* NDP, router discovery, ...: the layer is all we record */

    if (f->type == LAYER_ICMP && ic->type == ICMP4_UNREACH && ic->code == ICMP4_UNREACH_NEEDFRAG)
        ic->mtu = rest & 0xffff; /* RFC 1191 4: 0 from older routers, kept as 0 */
    else if (f->type == LAYER_ICMP6 && ic->type == ICMP6_PKTTOOBIG)
        ic->mtu = rest; /* RFC 4443 3.2, RFC 8201 */

    decode_quote(d, l, f, (uint8_t)(rest >> f->len_shift), src, msglen - ICMP_HDR_LEN_, c);
}

void decode_icmp(struct dstate *d, struct cursor c)
{
    decode_icmp_common(d, c, &icmp4);
}

void decode_icmp6(struct dstate *d, struct cursor c)
{
    decode_icmp_common(d, c, &icmp6);
}
