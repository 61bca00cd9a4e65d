/*
 * decode.c - the frame decoder's entry points and the dispatch between layers.
 *
 * Layer modules never call each other directly: they name the next protocol
 * (an ethertype, an IP protocol number, a PPP protocol, UDP ports) and the
 * functions here pick the decoder.  That keeps the knowledge of "what number
 * means what" in one place, and makes tunnels plain recursion: the inner
 * packet goes back through the same functions.  Recursion is bounded because
 * every decoder pushes a layer before it recurses and the record holds at
 * most PKT_MAX_LAYERS of them.
 */
#include <pcap/dlt.h>
#include <string.h>

#include "decode.h"
#include "decode_icmp.h"
#include "decode_ip.h"
#include "decode_l2.h"
#include "decode_link.h"
#include "decode_ppp.h"
#include "decode_routing.h"
#include "decode_transport.h"
#include "decode_tunnel.h"
#include "decode_vpn.h"

/* ethertypes */
#define ET_IPV4 0x0800
#define ET_IPV6 0x86dd
#define ET_VLAN 0x8100
#define ET_QINQ 0x88a8
#define ET_QINQ_OLD 0x9100
#define ET_PPPOE_DISC 0x8863
#define ET_PPPOE_SESS 0x8864
#define ET_MPLS 0x8847
#define ET_MPLS_MC 0x8848
#define ET_TEB 0x6558 /* transparent Ethernet bridging (GRE, GENEVE) */

/* PPP protocols */
#define PPP_IPV4 0x0021
#define PPP_IPV6 0x0057
#define PPP_MPLS 0x0281
#define PPP_LCP 0xc021

/* UDP ports of tunnels recognised by port */
#define PORT_VXLAN 4789
#define PORT_VXLAN_LINUX 8472 /* the Linux kernel's pre-IANA default */
#define PORT_GENEVE 6081
#define PORT_GTPU 2152
#define PORT_L2TP 1701
#define PORT_TEREDO 3544
#define PORT_NAT_T 4500
#define PORT_GRE_UDP 4754  /* RFC 8086 GRE-in-UDP */
#define PORT_MPLS_UDP 6635 /* RFC 7510 MPLS-in-UDP */
#define PORT_OPENVPN 1194
#define PORT_DNS 53
#define PORT_MDNS 5353

struct layer *dec_push(struct dstate *d, enum layer_type t, const struct cursor *c)
{
    struct packet *p = d->pkt;
    if (p->nlayers >= PKT_MAX_LAYERS) {
        p->anomalies |= 1ull << AN_TOO_MANY_LAYERS;
        return NULL;
    }
    struct layer *l = &p->layers[p->nlayers++];
    memset(l, 0, sizeof *l);
    l->type = (uint8_t)t;
    l->flags = d->lflags;
    l->tunnel = d->tunnel;
    l->offset = (uint32_t)(c->p - d->base);
    return l;
}

void dec_bad(struct dstate *d, struct layer *l, enum anomaly a)
{
    if (l)
        l->flags |= LF_MALFORMED;
    if (!(d->lflags & LF_QUOTED))
        d->pkt->anomalies |= 1ull << a;
}

void dec_short(struct dstate *d, struct layer *l)
{
    if (l)
        l->flags |= LF_TRUNCATED;
    if (d->lflags & LF_QUOTED)
        return; /* an ICMP error quotes only the start of a packet */
    const struct packet *p = d->pkt;
    /* a reassembled datagram is short only where the snap length cut one
     * of its fragments (defrag.c checks every byte came otherwise) */
    enum anomaly a =
        p->caplen < p->wirelen || (d->lflags & LF_REASSEMBLED) ? AN_TRUNCATED : AN_SHORT_FRAME;
    d->pkt->anomalies |= 1ull << a;
}

bool dec_enter_tunnel(struct dstate *d)
{
    if (d->tunnel >= PKT_MAX_TUNNELS) {
        dec_bad(d, NULL, AN_TUNNEL_TOO_DEEP);
        return false;
    }
    d->tunnel++;
    /* a tunnel inside an ICMP quote is one the quoted packet was in, not this one */
    if (!(d->lflags & LF_QUOTED) && d->tunnel > d->pkt->ntunnels)
        d->pkt->ntunnels = d->tunnel;
    return true;
}

enum dec_len_src dec_ip_payload_len(const struct dstate *d, const struct cursor *c, size_t *len)
{
    const struct packet *p = d->pkt;
    size_t ah = 0;

    *len = cur_left(c);
    if (d->lflags & LF_REASSEMBLED) {
        /* right after the reassembled IP layer of a datagram cut by the
         * snap length: the length it had, not what was captured */
        const struct layer *l = p->nlayers ? &p->layers[p->nlayers - 1] : NULL;
        if (d->reasm_payload && l && (l->type == LAYER_IPV4 || l->type == LAYER_IPV6) &&
            l->u.ip.reasm_len)
            *len = d->reasm_payload;
        return DEC_LEN_IP;
    }
    for (int i = p->nlayers - 1; i >= 0; i--) {
        const struct layer *l = &p->layers[i];
        if (l->type == LAYER_AH) {
            ah += l->u.ah.len;
            continue;
        }
        if (l->type != LAYER_IPV4 && l->type != LAYER_IPV6)
            return DEC_LEN_CURSOR;
        const struct ip_info *ip = &l->u.ip;
        if (ip->flags & IPF_JUMBO)
            return DEC_LEN_CURSOR;
        *len = ip->payload_len > ah ? ip->payload_len - ah : 0;
        if (ip->flags & IPF_FRAGMENT)
            return DEC_LEN_FRAGMENT;
        return (ip->flags & IPF_LEN_CLAMPED) ? DEC_LEN_FRAME : DEC_LEN_IP;
    }
    return DEC_LEN_CURSOR;
}

/* Only the layer directly in front counts: when something else sits between
 * (a re-decoded reassembled datagram, AH, a malformed header) no length can
 * be trusted. */
uint32_t dec_declared_len(const struct dstate *d, const struct layer *self, const struct cursor *c)
{
    const struct packet *p = d->pkt;
    if (self > p->layers) {
        const struct layer *o = self - 1;
        if (!(o->flags & LF_MALFORMED) && o->tunnel == self->tunnel) {
            if (o->type == LAYER_UDP)
                return o->u.udp.payload_len;
            if ((o->type == LAYER_IPV4 || o->type == LAYER_IPV6) &&
                !(o->u.ip.flags & (IPF_FRAGMENT | IPF_JUMBO)))
                return o->u.ip.payload_len;
        }
    }
    if (p->caplen >= p->wirelen && !(d->lflags & LF_QUOTED))
        return (uint32_t)cur_left(c);
    return UINT32_MAX;
}

/* An IP length longer than this is two length fields that disagree, not a
 * frame that was cut: the bytes past the link layer's length may well be in
 * the capture (the frame's padding, or the rest of a packet whose PPPoE
 * length is wrong), but the link layer says they are not the packet's. */
uint32_t dec_link_len(const struct dstate *d, const struct layer *self, const struct cursor *c)
{
    const struct packet *p = d->pkt;
    if (self <= p->layers)
        return UINT32_MAX;
    const struct layer *o = self - 1;
    if ((o->flags & (LF_MALFORMED | LF_TRUNCATED)) || o->tunnel != self->tunnel)
        return UINT32_MAX;
    if (o->type == LAYER_PPPOE || (o->type == LAYER_ETH && o->u.eth.llc_len))
        return (uint32_t)cur_left(c);
    return UINT32_MAX;
}

void decode_ethertype(struct dstate *d, uint16_t ethertype, struct cursor c)
{
    switch (ethertype) {
    case ET_IPV4:
        decode_ipv4(d, c);
        break;
    case ET_IPV6:
        decode_ipv6(d, c);
        break;
    case ET_VLAN:
    case ET_QINQ:
    case ET_QINQ_OLD:
        decode_vlan(d, ethertype, c);
        break;
    case ET_PPPOE_SESS:
        decode_pppoe_session(d, c);
        break;
    case ET_PPPOE_DISC:
        decode_pppoe_discovery(d, c);
        break;
    case ET_MPLS:
    case ET_MPLS_MC:
        decode_mpls(d, c);
        break;
    case ET_TEB:
        decode_eth(d, c);
        break;
    default:
        break; /* ARP, LLDP, ...: not IP, nothing more to decode */
    }
}

void decode_ppp_proto(struct dstate *d, uint16_t proto, struct cursor c)
{
    switch (proto) {
    case PPP_IPV4:
        decode_ipv4(d, c);
        break;
    case PPP_IPV6:
        decode_ipv6(d, c);
        break;
    case PPP_MPLS:
        decode_mpls(d, c);
        break;
    case PPP_LCP:
        decode_lcp(d, c); /* the MRU: the link's MTU */
        break;
    default:
        break; /* IPCP, CHAP, ...: control traffic */
    }
}

void decode_ip_any(struct dstate *d, struct cursor c)
{
    switch (cur_peek_u8(&c, 0) >> 4) {
    case 4:
        decode_ipv4(d, c);
        break;
    case 6:
        decode_ipv6(d, c);
        break;
    default:
        if (cur_left(&c) == 0) {
            dec_short(d, NULL);
        } else {
            dec_bad(d, NULL, AN_BAD_IP_VERSION);
        }
        break;
    }
}

void decode_ipproto(struct dstate *d, uint8_t proto, struct cursor c)
{
    switch (proto) {
    case IP_PROTO_TCP:
        decode_tcp(d, c);
        break;
    case IP_PROTO_UDP:
        decode_udp(d, c);
        break;
    case IP_PROTO_ICMP:
        decode_icmp(d, c);
        break;
    case IP_PROTO_ICMPV6:
        decode_icmp6(d, c);
        break;
    case IP_PROTO_IPIP: /* IPIP, and 4in6 when the outer is IPv6 */
        if (dec_enter_tunnel(d))
            decode_ipv4(d, c);
        break;
    case IP_PROTO_IPV6: /* 6in4 (sit), IPv6-in-IPv6 */
        if (dec_enter_tunnel(d))
            decode_ipv6(d, c);
        break;
    case IP_PROTO_GRE:
        decode_gre(d, c);
        break;
    case IP_PROTO_ESP:
        decode_esp(d, c, false);
        break;
    case IP_PROTO_AH:
        decode_ah(d, c);
        break;
    case 89: /* OSPF (IANA protocol numbers): the interface MTU */
        decode_ospf(d, c);
        break;
    case 137: /* MPLS-in-IP, RFC 4023 */
        if (dec_enter_tunnel(d))
            decode_mpls(d, c);
        break;
    default:
        break; /* SCTP, OSPF, ...: not followed */
    }
}

void decode_udp_payload(struct dstate *d, uint16_t sport, uint16_t dport, uint32_t len,
                        struct cursor c)
{
#define EITHER(port) (sport == (port) || dport == (port))
    if (EITHER(PORT_VXLAN) || EITHER(PORT_VXLAN_LINUX)) {
        decode_vxlan(d, c);
    } else if (EITHER(PORT_GENEVE)) {
        decode_geneve(d, c);
    } else if (EITHER(PORT_GTPU) && (cur_peek_u8(&c, 0) & 0xf0) == 0x30) {
        /* only version 1 with PT set: DNS or RTP on port 2152 is not GTP-U */
        decode_gtpu(d, c);
    } else if (EITHER(PORT_L2TP)) {
        decode_l2tp(d, c);
    } else if (EITHER(PORT_TEREDO)) {
        decode_teredo(d, c);
    } else if (EITHER(PORT_GRE_UDP)) {
        decode_gre(d, c);
    } else if (EITHER(PORT_MPLS_UDP)) {
        if (dec_enter_tunnel(d))
            decode_mpls(d, c);
    } else if (EITHER(PORT_NAT_T)) {
        /* RFC 3948: a zero "non-ESP marker" means IKE; a single 0xff byte is a
         * NAT keepalive; anything else is ESP. */
        if (len == 1 && cur_peek_u8(&c, 0) == 0xff)
            return;
        if (cur_left(&c) >= 4 && cur_peek_be16(&c, 0) == 0 && cur_peek_be16(&c, 2) == 0)
            return;
        decode_esp(d, c, true);
    } else if (!EITHER(PORT_DNS) && !EITHER(PORT_MDNS) && wireguard_looks_like(&c, len)) {
        decode_wireguard(d, c);
    } else if (EITHER(PORT_OPENVPN) && openvpn_looks_like(&c, len)) {
        decode_openvpn(d, c);
    }
#undef EITHER
}

bool decode_linktype_supported(int linktype)
{
    switch (linktype) {
    case DLT_EN10MB:
    case DLT_LINUX_SLL:
    case DLT_LINUX_SLL2:
    case DLT_RAW:
    case DLT_IPV4:
    case DLT_IPV6:
    case DLT_NULL:
    case DLT_LOOP:
    case DLT_PPP:
    case DLT_PPP_SERIAL:
    case DLT_C_HDLC:
        return true;
    default:
        return false;
    }
}

static void decode_link(struct dstate *d, int linktype, struct cursor c)
{
    switch (linktype) {
    case DLT_EN10MB:
        decode_eth(d, c);
        break;
    case DLT_LINUX_SLL:
        decode_sll(d, c);
        break;
    case DLT_LINUX_SLL2:
        decode_sll2(d, c);
        break;
    case DLT_RAW:
        decode_ip_any(d, c);
        break;
    case DLT_IPV4:
        decode_ipv4(d, c);
        break;
    case DLT_IPV6:
        decode_ipv6(d, c);
        break;
    case DLT_NULL:
        decode_loop(d, c, false);
        break;
    case DLT_LOOP:
        decode_loop(d, c, true);
        break;
    case DLT_PPP:
    case DLT_PPP_SERIAL:
        decode_ppp(d, c);
        break;
    case DLT_C_HDLC: {
        /* Cisco HDLC: address, control, then an ethertype */
        cur_skip(&c, 2);
        uint16_t et = cur_be16(&c);
        if (c.err) {
            dec_short(d, NULL);
            return;
        }
        decode_ethertype(d, et, c);
        break;
    }
    default:
        dec_bad(d, NULL, AN_UNKNOWN_LINKTYPE);
        break;
    }
}

void decode_frame(struct packet *pkt, int linktype, const uint8_t *data, uint32_t caplen,
                  uint32_t wirelen)
{
    pkt->linktype = linktype;
    pkt->caplen = caplen;
    pkt->wirelen = wirelen;
    pkt->nlayers = 0;
    pkt->ntunnels = 0;
    pkt->anomalies = 0;
    pkt->data = data;

    struct dstate d = {pkt, data, 0, 0, 0};
    decode_link(&d, linktype, cur_make(data, caplen));
}

void decode_reassembled(struct packet *pkt, int ip_layer, uint8_t proto, const uint8_t *base,
                        const uint8_t *payload, uint32_t len)
{
    if (ip_layer < 0 || ip_layer >= pkt->nlayers)
        return;
    const struct layer *ip = &pkt->layers[ip_layer];
    pkt->nlayers = (uint8_t)(ip_layer + 1);
    pkt->data = base;

    struct dstate d = {pkt, base, ip->tunnel, (uint8_t)(ip->flags | LF_REASSEMBLED), 0};
    decode_ipproto(&d, proto, cur_make(payload, len));
}

void decode_reassembled_cut(struct packet *pkt, int ip_layer, uint8_t proto, const uint8_t *base,
                            const uint8_t *payload, uint32_t captured, uint32_t total)
{
    if (ip_layer < 0 || ip_layer >= pkt->nlayers)
        return;
    const struct layer *ip = &pkt->layers[ip_layer];
    pkt->nlayers = (uint8_t)(ip_layer + 1);
    pkt->data = base;

    struct dstate d = {pkt, base, ip->tunnel, (uint8_t)(ip->flags | LF_REASSEMBLED), total};
    decode_ipproto(&d, proto, cur_make(payload, captured < total ? captured : total));
}
