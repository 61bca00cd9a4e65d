/*
 * decode_link.c - the first layer of a frame: Ethernet (II and 802.3), Linux
 * cooked capture v1 and v2, BSD loopback, PPP.
 *
 * Each of these names the next protocol with a number and hands the rest of
 * the frame to the dispatcher in decode.c; none of them knows what IP looks
 * like.  decode_eth() and decode_ppp() are also reached from inside tunnels
 * (GRE bridging, VXLAN, MPLS pseudowires, L2TP, PPTP), so they never assume
 * they are the first layer of the frame.
 */
#include "decode_link.h"

/* IEEE 802.3 clause 3.2.6: a Length/Type value up to 1500 is a length, from
 * 1536 (0x0600) on it is an ethertype; the values in between mean nothing. */
#define ETH_MAX_LENGTH 1500
#define ETH_MIN_TYPE 0x0600

/* IEEE 802.2 LLC: DSAP/SSAP 0xaa announce SNAP, control 0x03 is a UI frame. */
#define LLC_SAP_SNAP 0xaa
#define LLC_UI 0x03
/* SNAP OUIs whose protocol id is an ethertype: RFC 1042 (0) and IEEE 802.1H
 * bridge tunnel (00-00-f8, Cisco).  Other OUIs number their own protocols
 * (Cisco's CDP is 00-00-0c/0x2000), so their id is not dispatched. */
#define SNAP_OUI_RFC1042 0x000000
#define SNAP_OUI_8021H 0x0000f8

/* Linux if_arp.h: hatypes whose "protocol" is not a plain ethertype. */
#define ARPHRD_NETLINK 824 /* protocol is a netlink family */

/* Address families in the BSD loopback header.  AF_INET is 2 everywhere;
 * AF_INET6 is whatever the capturing OS called it. */
#define BSD_AF_INET 2
#define BSD_AF_INET6_LINUX 10
#define BSD_AF_INET6_BSD 24 /* NetBSD, OpenBSD, BSD/OS, Npcap */
#define BSD_AF_INET6_FREEBSD 28
#define BSD_AF_INET6_DARWIN 30

#define ET_IPV4 0x0800
#define ET_IPV6 0x86dd

/* RFC 1662 section 3.1: the HDLC-like framing's all-stations address and
 * Unnumbered Information control field. */
#define PPP_ADDRESS 0xff
#define PPP_CONTROL 0x03

/*
 * A length field (802.3) promises more bytes than the frame holds.  When the
 * capture was snapped, or this is the quoted start of a packet inside an ICMP
 * error, that is just truncation; on a whole frame the field itself is wrong.
 * Either way the caller goes on and decodes what is there.
 */
static void length_overrun(struct dstate *d, struct layer *l, enum anomaly a)
{
    if (d->pkt->caplen < d->pkt->wirelen || (d->lflags & LF_QUOTED))
        dec_short(d, l);
    else
        dec_bad(d, l, a);
}

/*
 * 802.3 frame: `len` bytes of LLC PDU follow the header, the rest is padding
 * to the 64-byte minimum (or an FCS), so the cursor is cut to `len` before
 * anything reads it.  Only SNAP with an ethertype OUI can carry IP; any other
 * LLC frame (STP, NetBIOS, IPX) ends the decode, which is not an anomaly.
 */
static void decode_llc(struct dstate *d, struct layer *l, uint16_t len, struct cursor c)
{
    struct eth_info *e = &l->u.eth;
    bool overran = len > cur_left(&c);
    if (overran)
        length_overrun(d, l, AN_BAD_LINK_HDR);
    else
        cur_limit(&c, len);

    uint8_t dsap = cur_u8(&c);
    uint8_t ssap = cur_u8(&c);
    uint8_t ctrl = cur_u8(&c);
    /* I and S frames have a 2-byte control field; only U frames (low bits
     * 11) have one byte.  We only record the size: nothing IP rides on them. */
    if ((ctrl & 0x03) != 0x03)
        cur_skip(&c, 1);
    uint32_t oui = 0;
    bool snap = !c.err && dsap == LLC_SAP_SNAP && ssap == LLC_SAP_SNAP && ctrl == LLC_UI;
    if (snap) {
        oui = cur_be24(&c);
        e->snap_type = cur_be16(&c);
    }
    if (c.err) {
        /* Ran out of bytes: the capture ended, or the length field itself
         * is too small for the LLC header it announces. */
        if (overran)
            dec_short(d, l);
        else
            dec_bad(d, l, AN_BAD_LINK_HDR);
        return;
    }
    e->llc_len = (uint8_t)(snap ? 8 : (ctrl & 0x03) == 0x03 ? 3 : 4);
    if (snap && (oui == SNAP_OUI_RFC1042 || oui == SNAP_OUI_8021H))
        decode_ethertype(d, e->snap_type, c);
}

void decode_eth(struct dstate *d, struct cursor c)
{
    struct layer *l = dec_push(d, LAYER_ETH, &c);
    if (!l)
        return;
    struct eth_info *e = &l->u.eth;
    cur_copy(&c, e->dst, sizeof e->dst);
    cur_copy(&c, e->src, sizeof e->src);
    e->ethertype = cur_be16(&c);
    if (c.err) {
        dec_short(d, l);
        return;
    }
    if (e->ethertype >= ETH_MIN_TYPE)
        decode_ethertype(d, e->ethertype, c);
    else if (e->ethertype <= ETH_MAX_LENGTH)
        decode_llc(d, l, e->ethertype, c);
    else
        dec_bad(d, l, AN_BAD_LINK_HDR);
}

/*
 * What follows a cooked header.  Linux puts its own small numbers (all below
 * 0x0600: ETH_P_802_3 1, ETH_P_802_2 4, ETH_P_CAN 0x0c, ...) in the protocol
 * field for frames that are not Ethernet II payloads; none of them is IP.
 * Netlink captures reuse the field for the netlink family.  On an ARPHRD_IPGRE
 * device (778) the field is the GRE protocol type, which is an ethertype too,
 * so that case needs nothing special.
 */
static void decode_sll_payload(struct dstate *d, const struct sll_info *s, struct cursor c)
{
    if (s->hatype == ARPHRD_NETLINK || s->proto < ETH_MIN_TYPE)
        return;
    decode_ethertype(d, s->proto, c);
}

/* The address field is always 8 bytes; only addr_len of them are the
 * address.  Longer addresses were already cut to 8 by the kernel. */
static void read_sll_addr(struct cursor *c, struct sll_info *s, uint16_t halen)
{
    cur_copy(c, s->addr, sizeof s->addr);
    s->addr_len = (uint8_t)(halen < sizeof s->addr ? halen : sizeof s->addr);
    memset(s->addr + s->addr_len, 0, sizeof s->addr - s->addr_len);
}

/* DLT_LINUX_SLL, 16 bytes: pkttype, hatype, address length, address, protocol. */
void decode_sll(struct dstate *d, struct cursor c)
{
    struct layer *l = dec_push(d, LAYER_SLL, &c);
    if (!l)
        return;
    struct sll_info *s = &l->u.sll;
    s->pkttype = cur_be16(&c);
    s->hatype = cur_be16(&c);
    uint16_t halen = cur_be16(&c);
    read_sll_addr(&c, s, halen);
    s->proto = cur_be16(&c);
    if (c.err) {
        dec_short(d, l);
        return;
    }
    decode_sll_payload(d, s, c);
}

/* DLT_LINUX_SLL2, 20 bytes: protocol first, then a reserved 16 bits, the
 * interface index, hatype, an 8-bit pkttype and address length, address. */
void decode_sll2(struct dstate *d, struct cursor c)
{
    struct layer *l = dec_push(d, LAYER_SLL2, &c);
    if (!l)
        return;
    struct sll_info *s = &l->u.sll;
    s->proto = cur_be16(&c);
    cur_skip(&c, 2); /* reserved, must be zero: not worth an anomaly */
    s->ifindex = cur_be32(&c);
    s->hatype = cur_be16(&c);
    s->pkttype = cur_u8(&c);
    uint8_t halen = cur_u8(&c);
    read_sll_addr(&c, s, halen);
    if (c.err) {
        dec_short(d, l);
        return;
    }
    decode_sll_payload(d, s, c);
}

static uint32_t swap32(uint32_t v)
{
    return v >> 24 | (v >> 8 & 0xff00) | (v << 8 & 0xff0000) | v << 24;
}

void decode_loop(struct dstate *d, struct cursor c, bool network_order)
{
    struct layer *l = dec_push(d, LAYER_LOOP, &c);
    if (!l)
        return;
    uint32_t family = cur_be32(&c);
    if (c.err) {
        dec_short(d, l);
        return;
    }
    /* Every family number is small, so a value with its upper half set was
     * written by a host of the other byte order (tcpdump's rule). */
    if (!network_order && (family & 0xffff0000u))
        family = swap32(family);
    l->u.loop.family = family;

    switch (family) {
    case BSD_AF_INET:
        decode_ethertype(d, ET_IPV4, c);
        break;
    case BSD_AF_INET6_LINUX:
    case BSD_AF_INET6_BSD:
    case BSD_AF_INET6_FREEBSD:
    case BSD_AF_INET6_DARWIN:
        decode_ethertype(d, ET_IPV6, c);
        break;
    default:
        break; /* OSI, IPX, AppleTalk...: not IP */
    }
}

/*
 * PPP from a serial link, a PPP capture, L2TP or PPTP.  The RFC 1662 address
 * and control bytes are there unless address-and-control-field compression
 * was negotiated.  A leading 0xff is always the address: 0x00ff is not a
 * usable protocol number (IANA's PPP DLL registry reserves it as
 * "compression inefficient"), so there is no ambiguity.
 */
void decode_ppp(struct dstate *d, struct cursor c)
{
    struct layer *l = dec_push(d, LAYER_PPP, &c);
    if (!l)
        return;
    if (cur_peek_u8(&c, 0) == PPP_ADDRESS) {
        cur_skip(&c, 1);
        uint8_t ctrl = cur_u8(&c);
        if (c.err) {
            dec_short(d, l);
            return;
        }
        if (ctrl != PPP_CONTROL) {
            dec_bad(d, l, AN_BAD_LINK_HDR);
            return;
        }
    }
    /* RFC 1661 section 2: protocol numbers are odd in their low octet and
     * even in their high octet, which is what lets protocol-field compression
     * send one byte when the high octet is zero: an odd first byte is a
     * whole protocol. */
    uint16_t proto = cur_u8(&c);
    if (!(proto & 1))
        proto = (uint16_t)(proto << 8 | cur_u8(&c));
    if (c.err) {
        dec_short(d, l);
        return;
    }
    l->u.ppp.proto = proto;
    if (!(proto & 1)) {
        dec_bad(d, l, AN_BAD_LINK_HDR);
        return;
    }
    decode_ppp_proto(d, proto, c);
}
