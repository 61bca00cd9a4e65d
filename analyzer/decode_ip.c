/*
 * decode_ip.c - IPv4 (options, fragments), IPv6 (extension headers, fragment
 * header) and AH.
 *
 * The IP layer decides how many of the bytes after it belong to the packet:
 * the length field, not the capture, is the truth (Ethernet pads short
 * frames, snap lengths cut long ones), so the payload cursor handed on is
 * limited to the declared length, and a declared length past the capture is
 * reported as short but still decoded as far as the bytes go.
 *
 * Fragments stop here: their upper layers are decoded by the defrag stage
 * (defrag.c) once the datagram is whole.  Tunnels (IPIP, 6in4) are entered by
 * decode_ipproto(), never here.
 */
#include <stdint.h>
#include <string.h>

#include "decode_ip.h"

#define IPV4_MIN_HDR 20 /* RFC 791: IHL 5 */
#define IPV6_HDR 40     /* RFC 8200 section 3 */
#define IPV6_MAX_EXT 16 /* our cap: more extension headers than this is an attack, not a stack */
#define IPV6_FRAG_HDR 8 /* RFC 8200 section 4.5 */
#define IPV6_OPT_PAD1 0 /* RFC 8200 section 4.2 */
#define IPV6_OPT_JUMBO 0xc2 /* RFC 2675 */
#define IPV6_MOBILITY 135   /* RFC 6275 */
#define IPV6_HIP 139        /* RFC 7401 */
#define IPV6_SHIM6 140      /* RFC 5533 */
#define AH_FIXED 12         /* RFC 4302: next, len, reserved, SPI, sequence */

static void pack_addr(struct addr *a, uint16_t type, const uint8_t *bytes, size_t len)
{
    addr_pack(a, type, (uint16_t)(len * 8), bytes, len);
}

/*
 * The most bytes an IP packet starting at `from` can have occupied on the
 * wire: what was captured, plus, when the snap length cut the frame right
 * where the cursor ends, what the wire length says is missing.
 */
static size_t wire_len(const struct dstate *d, const struct cursor *from)
{
    const struct packet *p = d->pkt;
    size_t n = cur_left(from);
    if (p->caplen < p->wirelen && d->base == p->data && from->end == p->data + p->caplen)
        n += p->wirelen - p->caplen;
    return n;
}

/*
 * Bytes an IP packet occupies when its length field says 0.  TSO/GSO (Linux,
 * Windows LSO) hand the capture tap one large segment before the NIC splits
 * it and fill in the length there, and Linux BIG TCP writes 0 on purpose for
 * packets over 64 KiB; Wireshark reports these as "presumed to be because of
 * TCP segmentation offload".  The packet is then everything captured, plus,
 * when the snap length cut the frame right where this packet ends, what the
 * wire length says is missing.
 */
static size_t offload_len(const struct dstate *d, const struct cursor *from)
{
    return wire_len(d, from);
}

/*
 * A length field claiming more bytes than the whole frame had on the wire
 * (caplen == len, or more than even the wire length allows): not a snap-length
 * cut, but a frame that really ended early or a sanitiser that cut the
 * payload and left the header alone.  Only for a packet that runs to the
 * frame's end: one a carrying layer (a UDP or outer IP length) ends earlier
 * is two length fields that disagree, with the bytes there (not clamped).  The bytes that never
 * were on the wire cannot be payload: like Wireshark (whose IP tvb keeps the frame's reported
 * length), the packet is what the frame carried, so a SYN whose length field
 * claims 12 more bytes does not consume 12 phantom sequence numbers.  The
 * length field itself (ip_len) is kept: it is what the sender wrote, the size
 * a path-MTU diagnosis compares, and Wireshark's ip.len; payload_len, what
 * the layers inside get, is clamped.  Not in
 * an ICMP quote, which by design holds only the start of a longer packet.
 * Returns the length to use; sets IPF_LEN_CLAMPED when it clamped.
 */
static size_t clamp_to_wire(const struct dstate *d, struct ip_info *ip, size_t len,
                            const struct cursor *from)
{
    const struct packet *p = d->pkt;
    if ((d->lflags & LF_QUOTED) || d->base != p->data || from->end != p->data + p->caplen)
        return len; /* a quote; or a layer around this one set where it ends */
    size_t wire = wire_len(d, from);
    if (len <= wire)
        return len;
    ip->flags |= IPF_LEN_CLAMPED;
    return wire;
}

/*
 * Names a clamped length once the layers inside were decoded: when the frame
 * ended inside one of their headers, that layer counted a short frame, the
 * better name (a header is missing); when every header was there and only
 * payload is missing, the anomaly is the length field's.
 */
static void name_clamp(struct dstate *d, const struct ip_info *ip, uint64_t before)
{
    uint64_t raised = d->pkt->anomalies & ~before;
    if ((ip->flags & IPF_LEN_CLAMPED) && !(raised & (1ull << AN_SHORT_FRAME)))
        d->pkt->anomalies |= 1ull << AN_IP_LEN_BEYOND_FRAME;
}

/* An ICMP error quotes the first fragment of a datagram the defrag stage will
 * never see (it skips quoted packets), so its ports are decoded here: they are
 * what ties the error to a flow.  Other fragments wait for reassembly. */
static bool decode_past_fragment(const struct dstate *d, const struct ip_info *ip)
{
    if (!(ip->flags & IPF_FRAGMENT))
        return true;
    return (d->lflags & LF_QUOTED) && ip->frag_off == 0;
}

/* RFC 791 section 3.1: EOL and NOP are one byte, every other option is
 * type, length (counting both), data, and must end inside the header. */
static bool ipv4_options_ok(struct cursor o)
{
    while (cur_left(&o) > 0) {
        uint8_t type = cur_u8(&o);
        if (type == IP_OPT_EOL)
            return true; /* the rest is padding */
        if (type == IP_OPT_NOP)
            continue;
        uint8_t len = cur_u8(&o);
        if (o.err || len < 2 || !cur_skip(&o, (size_t)len - 2))
            return false;
    }
    return true;
}

/* One's complement sum over the header (RFC 791, RFC 1071): a correct header
 * sums to 0xffff including its own checksum field.
 *
 * Summed as RFC 1071 allows, four bytes at a time in the machine's own byte
 * order (five additions for a 20-byte header, where sixteen-bit reads
 * through the cursor cost 80 instructions a packet): 65536 is 1 modulo
 * 65535, so a 32-bit word adds what its two 16-bit halves add, and a
 * swapped 16-bit word is the word times 256 modulo 65535, 256 being
 * invertible: the folded sum is 0xffff in one byte order exactly when it is
 * in the other.  hlen is a multiple of 4 (IHL counts 32-bit words). */
static bool ipv4_checksum_ok(struct cursor h, size_t hlen)
{
    if (h.err || cur_left(&h) < hlen)
        return false;
    uint64_t sum = 0;
    for (size_t i = 0; i + 4 <= hlen; i += 4) {
        uint32_t w;
        memcpy(&w, h.p + i, 4);
        sum += w;
    }
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return sum == 0xffff;
}

void decode_ipv4(struct dstate *d, struct cursor c)
{
    struct layer *l = dec_push(d, LAYER_IPV4, &c);
    if (!l)
        return;
    struct ip_info *ip = &l->u.ip;
    const struct cursor whole = c; /* the header and everything captured after it */

    if (cur_left(&c) == 0) {
        dec_short(d, l);
        return;
    }
    uint8_t vhl = cur_u8(&c);
    ip->version = vhl >> 4;
    if (ip->version != 4) {
        dec_bad(d, l, AN_BAD_IP_VERSION);
        return;
    }
    size_t hlen = (size_t)(vhl & 0x0f) * 4;
    ip->hdr_len = (uint16_t)hlen;
    if (hlen < IPV4_MIN_HDR) {
        dec_bad(d, l, AN_BAD_IP_HDR_LEN);
        return;
    }

    uint8_t a[4];
    ip->tos = cur_u8(&c);
    uint16_t tot = cur_be16(&c);
    ip->id = cur_be16(&c);
    uint16_t off = cur_be16(&c);
    ip->ttl = cur_u8(&c);
    ip->proto = cur_u8(&c);
    cur_skip(&c, 2); /* the checksum: verified over the whole header below */
    cur_copy(&c, a, sizeof a);
    pack_addr(&ip->src, ADDR_TYPE_IP, a, sizeof a);
    cur_copy(&c, a, sizeof a);
    pack_addr(&ip->dst, ADDR_TYPE_IP, a, sizeof a);
    ip->ip_len = tot;
    ip->frag_off = (uint16_t)((off & IP_OFFMASK) * 8);
    if (off & IP_DF)
        ip->flags |= IPF_DF;
    if (off & IP_MF)
        ip->flags |= IPF_MF;
    if ((off & IP_MF) || ip->frag_off)
        ip->flags |= IPF_FRAGMENT;
    if (hlen > IPV4_MIN_HDR)
        ip->flags |= IPF_OPTIONS;
    struct cursor opts = cur_sub(&c, hlen - IPV4_MIN_HDR);
    if (c.err) {
        dec_short(d, l); /* without the whole header nothing after it can be found */
        return;
    }
    if (!ipv4_options_ok(opts))
        dec_bad(d, l, AN_BAD_IP_OPTION); /* IHL still says where the payload starts */

    size_t len = tot;
    if (tot == 0) {
        /* TSO: see offload_len().  The checksum is not checked either: this
         * packet never crossed a wire, the NIC writes the length and (Windows
         * LSO) the checksum of each segment it cuts from it. */
        len = offload_len(d, &whole);
        if (len > IP_LEN_MAX)
            ip->flags |= IPF_JUMBO; /* ip_len stays 0: 16 bits cannot say it */
        else
            ip->ip_len = (uint16_t)len;
    } else if (tot < hlen) {
        dec_bad(d, l, AN_BAD_IP_TOTAL_LEN);
        return;
    } else if (!ipv4_checksum_ok(whole, hlen)) {
        ip->flags |= IPF_BAD_CSUM;
        dec_bad(d, l, AN_BAD_IP_CHECKSUM); /* a wrong sum does not move any field: go on */
    }
    /* PPPoE or 802.3 says the packet ends before its total length does.
     * One of the two length fields is wrong and nothing says which; like
     * Wireshark, decode what the link layer carries, so that mtuscope and
     * Wireshark see segments of the same length (and classify them alike).
     * The header itself fits, or reading it above would have failed. */
    uint32_t carried = dec_link_len(d, l, &whole);
    if (len > carried) {
        dec_bad(d, l, AN_BAD_IP_TOTAL_LEN);
        len = carried;
        ip->ip_len = (uint16_t)len;
    }
    if (tot != 0)
        len = clamp_to_wire(d, ip, len, &whole); /* the header was read: len >= hlen */
    ip->payload_off = (uint32_t)(c.p - d->base);
    ip->payload_len = dec_clamp16(len - hlen);

    struct cursor pay = c;
    cur_limit(&pay, len - hlen); /* Ethernet padding after the packet is not payload */
    if (len > cur_left(&whole))
        dec_short(d, l);
    uint64_t before = d->pkt->anomalies;
    if (decode_past_fragment(d, ip))
        decode_ipproto(d, ip->proto, pay);
    name_clamp(d, ip, before);
}

/*
 * Hop-by-hop and destination options (RFC 8200 section 4.2): Pad1 is one
 * byte, everything else type, length, data.  Reports a jumbo payload option
 * (RFC 2675) through *jumbo when the caller allows one (hop-by-hop only).
 */
static bool ipv6_options_ok(struct cursor o, bool *has_jumbo, uint32_t *jumbo)
{
    while (cur_left(&o) > 0) {
        uint8_t type = cur_u8(&o);
        if (type == IPV6_OPT_PAD1)
            continue;
        uint8_t len = cur_u8(&o);
        if (type == IPV6_OPT_JUMBO && has_jumbo) {
            if (len != 4 || *has_jumbo)
                return false;
            *jumbo = cur_be32(&o);
            *has_jumbo = true;
        } else {
            cur_skip(&o, len);
        }
        if (o.err)
            return false;
    }
    return true;
}

static bool ipv6_is_ext(uint8_t nxt)
{
    switch (nxt) {
    case IP_PROTO_HOPOPTS:
    case IP_PROTO_ROUTING:
    case IP_PROTO_FRAGMENT:
    case IP_PROTO_DSTOPTS:
    /* RFC 7045: these share the generic (next, length) layout and carry no
     * upper-layer header of their own, so walking them finds the one after. */
    case IPV6_MOBILITY:
    case IPV6_HIP:
    case IPV6_SHIM6:
        return true;
    default:
        return false; /* AH (decode_ah), ESP, upper layers, no-next-header */
    }
}

/* The fragment header (RFC 8200 4.5), its next-header byte read: -1 when
 * cut short, 1 when the rest is fragment data, 0 for an atomic fragment. */
static int ipv6_fragment_header(struct ip_info *ip, struct cursor *e)
{
    cur_skip(e, 1); /* reserved */
    uint16_t fo = cur_be16(e);
    uint32_t id = cur_be32(e);
    if (e->err)
        return -1;
    ip->flags |= IPF_FRAGHDR;
    ip->id = id;
    ip->frag_off = fo & 0xfff8; /* 13 bits of 8-byte units: already bytes */
    if (fo & 1)
        ip->flags |= IPF_MF;
    if (ip->frag_off || (fo & 1)) {
        ip->flags |= IPF_FRAGMENT;
        return 1;
    }
    return 0;
}

/* The hop-by-hop options (RFC 8200 4.3), and a jumbogram's length (RFC
 * 2675): *len and the extension cursor e's end follow it. */
static void ipv6_hop_by_hop(struct dstate *d, struct layer *l, struct cursor body, uint16_t plen,
                            const struct cursor *c, size_t *len, struct cursor *e)
{
    struct ip_info *ip = &l->u.ip;
    bool has_jumbo = false;
    uint32_t jumbo = 0;
    ip->flags |= IPF_HBH;
    if (!ipv6_options_ok(body, &has_jumbo, &jumbo)) {
        dec_bad(d, l, AN_BAD_IPV6_EXT); /* the header's length still holds */
    } else if (has_jumbo && (plen != 0 || jumbo <= IP_LEN_MAX)) {
        dec_bad(d, l, AN_BAD_IPV6_EXT); /* RFC 2675 3: ignore the option */
    } else if (has_jumbo) {
        /* The jumbo length counts from the end of the fixed header, as the
         * payload length would have. */
        struct cursor t = *c;
        *len = jumbo;
        cur_limit(&t, *len);
        e->end = t.end;
        ip->flags |= IPF_JUMBO;
    }
}

void decode_ipv6(struct dstate *d, struct cursor c)
{
    struct layer *l = dec_push(d, LAYER_IPV6, &c);
    if (!l)
        return;
    struct ip_info *ip = &l->u.ip;

    if (cur_left(&c) == 0) {
        dec_short(d, l);
        return;
    }
    ip->version = cur_peek_u8(&c, 0) >> 4;
    if (ip->version != 6) {
        dec_bad(d, l, AN_BAD_IP_VERSION);
        return;
    }
    uint8_t a[16];
    uint32_t carried = dec_link_len(d, l, &c); /* see decode_ipv4 */
    uint32_t vtf = cur_be32(&c);
    ip->tos = (uint8_t)(vtf >> 20);
    ip->flowlabel = vtf & 0xfffff;
    uint16_t plen = cur_be16(&c);
    uint8_t nxt = cur_u8(&c);
    ip->ttl = cur_u8(&c);
    cur_copy(&c, a, sizeof a);
    pack_addr(&ip->src, ADDR_TYPE_IP6, a, sizeof a);
    cur_copy(&c, a, sizeof a);
    pack_addr(&ip->dst, ADDR_TYPE_IP6, a, sizeof a);
    ip->proto = nxt;
    ip->hdr_len = IPV6_HDR;
    ip->ip_len = (uint32_t)plen + IPV6_HDR;
    if (c.err) {
        dec_short(d, l);
        return;
    }

    /* The payload length counts extension headers and upper layer alike.  A
     * zero is either a jumbogram (the hop-by-hop option below says so) or,
     * as with IPv4, an offload capture: see offload_len(). */
    size_t len = plen;
    if (plen == 0 && nxt != IP_PROTO_NONE) {
        len = offload_len(d, &c);
    } else {
        if (carried != UINT32_MAX && len + IPV6_HDR > carried) {
            dec_bad(d, l, AN_BAD_IP_TOTAL_LEN);
            len = carried - IPV6_HDR; /* the fixed header was read, so it fits */
        }
        len = clamp_to_wire(d, ip, len, &c);
    }
    struct cursor e = c; /* walks the extension headers, then holds the upper layer */
    cur_limit(&e, len);

    size_t ext = 0;
    unsigned n = 0;
    while (ipv6_is_ext(nxt)) {
        if (++n > IPV6_MAX_EXT || (nxt == IP_PROTO_HOPOPTS && n != 1)) {
            /* RFC 8200 4.1: hop-by-hop may only come first */
            dec_bad(d, l, AN_BAD_IPV6_EXT);
            return;
        }
        uint8_t next = cur_u8(&e);
        if (nxt == IP_PROTO_FRAGMENT) {
            int r = ipv6_fragment_header(ip, &e);
            if (r < 0)
                break;
            ext += IPV6_FRAG_HDR;
            nxt = next;
            if (r > 0)
                break; /* the rest is fragment data */
            continue;  /* RFC 6946 atomic fragment: the rest is a whole packet */
        }
        size_t size = ((size_t)cur_u8(&e) + 1) * 8;
        struct cursor body = cur_sub(&e, size - 2);
        if (e.err)
            break;
        if (nxt == IP_PROTO_HOPOPTS) {
            ipv6_hop_by_hop(d, l, body, plen, &c, &len, &e);
        } else if (nxt == IP_PROTO_DSTOPTS) {
            ip->flags |= IPF_DSTOPT;
            if (!ipv6_options_ok(body, NULL, NULL))
                dec_bad(d, l, AN_BAD_IPV6_EXT);
        } else if (nxt == IP_PROTO_ROUTING) {
            ip->flags |= IPF_RTG;
        }
        ext += size;
        nxt = next;
    }
    if (e.err) {
        /* An extension header ran past the bytes: the capture's fault when
         * the declared payload was not all captured, the header's otherwise. */
        if (len > cur_left(&c) || (ip->flags & IPF_LEN_CLAMPED))
            dec_short(d, l); /* clamped: the frame ended inside the header */
        else
            dec_bad(d, l, AN_BAD_IPV6_EXT);
        return;
    }

    ip->hdr_len = (uint16_t)(IPV6_HDR + ext);
    ip->proto = nxt;
    ip->payload_off = (uint32_t)(e.p - d->base);
    ip->payload_len = dec_clamp16(len - ext);
    if (plen == 0 && len + IPV6_HDR > IP_LEN_MAX)
        ip->flags |= IPF_JUMBO; /* an offload packet this big: as unknown as a jumbogram */
    if (ip->flags & IPF_JUMBO)
        ip->ip_len = 0;
    else if (!(ip->flags & IPF_LEN_CLAMPED)) /* clamped: the field stays (clamp_to_wire) */
        ip->ip_len = (uint32_t)(len + IPV6_HDR);
    if (len > cur_left(&c))
        dec_short(d, l);
    uint64_t before = d->pkt->anomalies;
    if (nxt != IP_PROTO_NONE && decode_past_fragment(d, ip))
        decode_ipproto(d, nxt, e);
    name_clamp(d, ip, before);
}

void decode_ah(struct dstate *d, struct cursor c)
{
    struct layer *l = dec_push(d, LAYER_AH, &c);
    if (!l)
        return;
    struct ah_info *ah = &l->u.ah;

    ah->next = cur_u8(&c);
    uint8_t plen = cur_u8(&c);
    cur_skip(&c, 2); /* reserved */
    ah->spi = cur_be32(&c);
    ah->seq = cur_be32(&c);
    ah->len = (uint16_t)(((size_t)plen + 2) * 4); /* RFC 4302 2.2: 32-bit words minus 2 */
    if (c.err) {
        dec_short(d, l);
        return;
    }
    if (ah->len < AH_FIXED) {
        dec_bad(d, l, AN_BAD_AH); /* not even room for SPI and sequence */
        return;
    }
    if (!cur_skip(&c, ah->len - AH_FIXED)) { /* the ICV */
        dec_short(d, l);
        return;
    }
    decode_ipproto(d, ah->next, c);
}
