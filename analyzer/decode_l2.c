/*
 * decode_l2.c - the shims between a link layer and IP: 802.1Q/802.1ad tags,
 * PPPoE and MPLS label stacks.
 *
 * Each of them costs the path some bytes of MTU (4 per tag, 8 for PPPoE, 4
 * per label), which is why they are kept as layers of their own instead of
 * being skipped: the analyzers read the overhead from the layer offsets.
 */
#include "decode_l2.h"
#include "decode_link.h"

#define ET_IPV4 0x0800
#define ET_IPV6 0x86dd

/* IEEE 802.3 clause 3.2.6: Length/Type values from 0x0600 on are ethertypes,
 * up to 1500 lengths, and nothing in between. */
#define ETH_MAX_LENGTH 1500
#define ETH_MIN_TYPE 0x0600

/* IEEE 802.1Q table 9-2: VID 0xfff is reserved and shall not be transmitted
 * in a tag (VID 0 is a priority-only tag and fine). */
#define VLAN_VID_RESERVED 0xfff

/* RFC 2516 section 4: version 1, type 1; session data has code 0. */
#define PPPOE_VERTYPE 0x11
#define PPPOE_CODE_SESSION 0x00
#define PPPOE_TAG_HDR_LEN 4
#define PPPOE_TAG_END 0x0000
/* RFC 4638 section 4: the largest PPP payload a host can take above the
 * 1492 bytes of RFC 2516, offered in PADI/PADR and echoed in PADO/PADS. */
#define PPPOE_TAG_MAX_PAYLOAD 0x0120

/* RFC 3032 section 2.1: reserved labels that name the payload. */
#define MPLS_LABEL_IPV4_NULL 0
#define MPLS_LABEL_IPV6_NULL 2
/* Real label stacks are a few entries deep (segment routing pushes the most,
 * around ten).  Past 16 the "stack" is almost surely garbage without a
 * bottom-of-stack bit, and each entry would cost one of the record's layers. */
#define MPLS_MAX_LABELS 16

/* The first nibble after the bottom of the stack, as tcpdump and Wireshark
 * guess the payload: there is no protocol field in MPLS. */
#define MPLS_NIBBLE_PW_CW 0 /* RFC 4385 pseudowire control word */
#define MPLS_NIBBLE_ACH 1   /* RFC 5586 associated channel: OAM, not data */
#define MPLS_NIBBLE_IPV4 4
#define MPLS_NIBBLE_IPV6 6
#define MPLS_PW_CW_LEN 4

/* Same rule as for 802.3 lengths in decode_link.c: a length that overruns a
 * snapped (or ICMP-quoted) packet is truncation, on a whole frame it is a lie. */
static void length_overrun(struct dstate *d, struct layer *l, enum anomaly a)
{
    if (d->pkt->caplen < d->pkt->wirelen || (d->lflags & LF_QUOTED))
        dec_short(d, l);
    else
        dec_bad(d, l, a);
}

void decode_vlan(struct dstate *d, uint16_t tpid, struct cursor c)
{
    struct layer *l = dec_push(d, LAYER_VLAN, &c);
    if (!l)
        return;
    struct vlan_info *v = &l->u.vlan;
    v->tpid = tpid;
    uint16_t tci = cur_be16(&c);
    v->ethertype = cur_be16(&c);
    v->pcp = (uint8_t)(tci >> 13);
    v->dei = (uint8_t)(tci >> 12 & 1);
    v->vid = tci & 0x0fff;
    if (c.err) {
        dec_short(d, l);
        return;
    }
    /* A reserved VID is a broken sender, but the tag is still parseable and
     * the packet inside may be the one that shows the MTU problem: keep going. */
    if (v->vid == VLAN_VID_RESERVED)
        dec_bad(d, l, AN_BAD_VLAN);
    if (v->ethertype >= ETH_MIN_TYPE)
        decode_ethertype(d, v->ethertype, c); /* QinQ recurses through here */
    else if (v->ethertype > ETH_MAX_LENGTH)
        dec_bad(d, l, AN_BAD_VLAN);
    /* else an 802.3 length: LLC inside a tag carries no IP worth following */
}

/*
 * Session stage: 6 bytes of PPPoE, then the PPP protocol field and the PPP
 * payload.  The length counts the protocol field and the payload but not the
 * Ethernet padding after it, so the cursor is cut to it before going on.
 */
void decode_pppoe_session(struct dstate *d, struct cursor c)
{
    struct layer *l = dec_push(d, LAYER_PPPOE, &c);
    if (!l)
        return;
    struct pppoe_info *p = &l->u.pppoe;
    uint8_t vertype = cur_u8(&c);
    p->code = cur_u8(&c);
    p->session = cur_be16(&c);
    p->length = cur_be16(&c);
    if (c.err) {
        dec_short(d, l);
        return;
    }
    if (vertype != PPPOE_VERTYPE || p->code != PPPOE_CODE_SESSION) {
        dec_bad(d, l, AN_BAD_PPPOE);
        return;
    }
    bool overran = p->length > cur_left(&c);
    if (overran)
        length_overrun(d, l, AN_BAD_PPPOE);
    else
        cur_limit(&c, p->length);

    /* RFC 1661 section 2: an odd first byte is a whole (compressed)
     * protocol; RFC 2516 discourages the compression but does not forbid it. */
    uint16_t proto = cur_u8(&c);
    if (!(proto & 1))
        proto = (uint16_t)(proto << 8 | cur_u8(&c));
    if (c.err) {
        /* The capture ended, or the length is too small to hold the field. */
        if (overran)
            dec_short(d, l);
        else
            dec_bad(d, l, AN_BAD_PPPOE);
        return;
    }
    p->ppp_proto = proto;
    if (!(proto & 1)) {
        dec_bad(d, l, AN_BAD_PPPOE); /* RFC 1661: protocol numbers are odd */
        return;
    }
    decode_ppp_proto(d, proto, c);
}

/* Discovery stage (PADI, PADO, PADR, PADS, PADT): recorded because a PPPoE
 * session explains a 1492-byte MTU, but its tags carry no packet to follow. */
void decode_pppoe_discovery(struct dstate *d, struct cursor c)
{
    struct layer *l = dec_push(d, LAYER_PPPOE, &c);
    if (!l)
        return;
    struct pppoe_info *p = &l->u.pppoe;
    uint8_t vertype = cur_u8(&c);
    p->code = cur_u8(&c);
    p->session = cur_be16(&c);
    p->length = cur_be16(&c);
    if (c.err) {
        dec_short(d, l);
        return;
    }
    if (vertype != PPPOE_VERTYPE) {
        dec_bad(d, l, AN_BAD_PPPOE);
        return;
    }
    if (p->length > cur_left(&c))
        length_overrun(d, l, AN_BAD_PPPOE);
    else
        cur_limit(&c, p->length);
    /* RFC 2516 appendix A: tags of type (2), length (2), value, up to the
     * End-Of-List tag or the PPPoE length.  Only PPP-Max-Payload is kept. */
    while (cur_left(&c) >= PPPOE_TAG_HDR_LEN) {
        uint16_t type = cur_be16(&c);
        uint16_t len = cur_be16(&c);
        if (type == PPPOE_TAG_END)
            break;
        struct cursor v = cur_sub(&c, len);
        if (c.err)
            break; /* cut short: the tags read so far stand */
        if (type == PPPOE_TAG_MAX_PAYLOAD) {
            if (len != 2) {
                dec_bad(d, l, AN_BAD_PPPOE);
                return;
            }
            p->max_payload = cur_be16(&v);
        }
    }
}

/*
 * One layer per label stack entry, in a loop rather than by recursion, up to
 * the bottom-of-stack bit; then a guess at the payload, since MPLS does not
 * say what it carries.
 */
void decode_mpls(struct dstate *d, struct cursor c)
{
    struct layer *l;
    for (int n = 1;; n++) {
        l = dec_push(d, LAYER_MPLS, &c);
        if (!l)
            return;
        struct mpls_info *m = &l->u.mpls;
        uint32_t e = cur_be32(&c);
        if (c.err) {
            dec_short(d, l);
            return;
        }
        m->label = e >> 12;
        m->tc = (uint8_t)(e >> 9 & 7);
        m->bos = (uint8_t)(e >> 8 & 1);
        m->ttl = (uint8_t)e;
        if (m->bos)
            break;
        if (n == MPLS_MAX_LABELS) {
            dec_bad(d, l, AN_BAD_MPLS);
            return;
        }
    }

    if (cur_left(&c) == 0) {
        dec_short(d, l); /* a label stack with nothing under it */
        return;
    }
    /* Explicit null labels are defined by the IP version they carry, so they
     * win over the nibble: a mismatch is then the IP decoder's to report. */
    switch (l->u.mpls.label) {
    case MPLS_LABEL_IPV4_NULL:
        decode_ethertype(d, ET_IPV4, c);
        return;
    case MPLS_LABEL_IPV6_NULL:
        decode_ethertype(d, ET_IPV6, c);
        return;
    default:
        break;
    }
    switch (cur_peek_u8(&c, 0) >> 4) {
    case MPLS_NIBBLE_IPV4:
    case MPLS_NIBBLE_IPV6:
        decode_ip_any(d, c);
        break;
    case MPLS_NIBBLE_PW_CW:
        /* An Ethernet pseudowire with a control word.  Without one the
         * destination MAC would start the payload and could look like
         * anything, which is why RFC 4385 asks for the zero nibble. */
        if (!cur_skip(&c, MPLS_PW_CW_LEN)) {
            dec_short(d, l);
            return;
        }
        decode_eth(d, c);
        break;
    case MPLS_NIBBLE_ACH:
    default:
        break; /* OAM channel, or a payload we cannot name: stop quietly */
    }
}
