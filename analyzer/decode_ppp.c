/*
 * decode_ppp.c - PPP's Link Control Protocol (RFC 1661): the one place a
 * PPP or PPPoE link says its MTU outright.
 *
 * Each side sends a Configure-Request listing the options it wants; the
 * Maximum-Receive-Unit option (type 1, RFC 1661 section 6.1) is the largest
 * PPP information field it accepts, which is the largest IP packet the peer
 * may send it.  A Configure-Ack repeats the Request's options byte for byte
 * (section 5.2), so the MRU in an Ack is the value both ends now use.  PPPoE
 * clients ask for 1492: 1500 bytes of Ethernet payload less the 6-byte
 * PPPoE header and the 2-byte PPP protocol field (RFC 2516 section 7).
 */
#include "decode_ppp.h"

/* RFC 1661 section 5: code, identifier, 2-byte length counting all four. */
#define LCP_HDR_LEN 4
/* RFC 1661 section 6: an option is type, length (counting both), data. */
#define LCP_OPT_HDR_LEN 2
#define LCP_OPT_MRU 1
#define LCP_OPT_MRU_LEN 4

static bool lcp_has_options(uint8_t code)
{
    return code >= LCP_CONF_REQ && code <= LCP_CONF_REJ;
}

/* The LCP length runs past what is at hand: the capture was cut (snapped,
 * or an ICMP quote) or, on a whole frame, the length lies (decode_l2.c's
 * rule for PPPoE lengths). */
static void lcp_overrun(struct dstate *d, struct layer *l)
{
    if (d->pkt->caplen < d->pkt->wirelen || (d->lflags & LF_QUOTED))
        dec_short(d, l);
    else
        dec_bad(d, l, AN_BAD_LCP);
}

void decode_lcp(struct dstate *d, struct cursor c)
{
    struct layer *l = dec_push(d, LAYER_LCP, &c);
    if (!l)
        return;
    struct lcp_info *lcp = &l->u.lcp;
    lcp->code = cur_u8(&c);
    lcp->ident = cur_u8(&c);
    lcp->length = cur_be16(&c);
    if (c.err) {
        dec_short(d, l);
        return;
    }
    if (lcp->length < LCP_HDR_LEN) {
        dec_bad(d, l, AN_BAD_LCP);
        return;
    }
    /* Bytes past the length are padding (RFC 1661 section 5: "Octets
     * outside the range of the Length field are treated as padding"). */
    bool cut = cur_left(&c) < (size_t)(lcp->length - LCP_HDR_LEN);
    cur_limit(&c, lcp->length - LCP_HDR_LEN);
    if (!lcp_has_options(lcp->code)) {
        if (cut)
            lcp_overrun(d, l);
        return;
    }
    while (cur_left(&c) > 0) {
        uint8_t type = cur_u8(&c);
        uint8_t len = cur_u8(&c);
        if (c.err)
            break;
        if (len < LCP_OPT_HDR_LEN) {
            dec_bad(d, l, AN_BAD_LCP); /* would loop forever, or go backwards */
            return;
        }
        struct cursor opt = cur_sub(&c, (size_t)len - LCP_OPT_HDR_LEN);
        if (c.err)
            break;
        if (type == LCP_OPT_MRU) {
            if (len != LCP_OPT_MRU_LEN) {
                dec_bad(d, l, AN_BAD_LCP);
                return;
            }
            lcp->mru = cur_be16(&opt);
        }
    }
    if (cut)
        lcp_overrun(d, l);
    else if (c.err)
        dec_bad(d, l, AN_BAD_LCP); /* an option runs past the LCP length */
}
