/*
 * decode_tunnel.c - tunnels whose inner packet is decoded: GRE (with PPTP and
 * ERSPAN), VXLAN, GENEVE, GTP-U, L2TPv2 and Teredo.
 *
 * Each decoder pushes its layer, reads its header through the cursor, then
 * enters the tunnel and hands the inner packet to the same dispatch functions
 * the outer packet went through.  Nothing is copied: inner layers point into
 * the same frame, so the overhead a tunnel adds is simply the distance between
 * the tunnel's outer IP layer and the inner one.  dec_enter_tunnel() caps the
 * nesting, and the layer record caps everything else, so a hostile packet
 * that nests tunnels in tunnels costs at most PKT_MAX_LAYERS layer decodes.
 */
#include "decode_tunnel.h"
#include "decode_ip.h"
#include "decode_link.h"

/* ---- GRE: RFC 2784, key and sequence RFC 2890, PPTP RFC 2637 ---- */

#define GRE_C 0x8000   /* checksum present */
#define GRE_R 0x4000   /* RFC 1701 routing present: withdrawn by RFC 2784 */
#define GRE_K 0x2000   /* key present (RFC 2890) */
#define GRE_S 0x1000   /* sequence number present (RFC 2890) */
#define GRE_SSR 0x0800 /* RFC 1701 strict source route: withdrawn by RFC 2784 */
#define GRE_A 0x0080   /* PPTP: acknowledgment number present (RFC 2637 §4.1) */
#define GRE_VER 0x0007

#define GRE_PROTO_PPP 0x880b     /* PPTP payload (RFC 2637) */
#define GRE_PROTO_ERSPAN 0x88be  /* ERSPAN type I and II */
#define GRE_PROTO_ERSPAN3 0x22eb /* ERSPAN type III */

#define ERSPAN2_HDR_LEN 8
#define ERSPAN3_HDR_LEN 12
#define ERSPAN3_SUBHDR_LEN 8 /* platform-specific subheader, when the O bit is set */

/*
 * ERSPAN (draft-foschiano-erspan) mirrors a whole Ethernet frame.  Type I has
 * no header of its own: it is told from type II only by the GRE sequence
 * number, which type II always carries (Linux and Wireshark decide the same
 * way).  Returns false when decoding must stop.
 */
static bool erspan_skip(struct dstate *d, struct layer *l, uint16_t gre_flags, struct cursor *c)
{
    struct gre_info *g = &l->u.gre;
    if (g->proto == GRE_PROTO_ERSPAN && !(gre_flags & GRE_S)) {
        g->erspan = 1;
        return true;
    }
    uint8_t want_ver, ver, frame_type = 0;
    if (g->proto == GRE_PROTO_ERSPAN) {
        g->erspan = 2;
        want_ver = 1;
        ver = cur_u8(c) >> 4;
        cur_skip(c, ERSPAN2_HDR_LEN - 1);
    } else {
        g->erspan = 3;
        want_ver = 2;
        ver = cur_u8(c) >> 4;
        cur_skip(c, 9);
        frame_type = (cur_u8(c) >> 2) & 0x1f; /* P(1) FT(5) HwID(2 of 6) */
        if (cur_u8(c) & 0x01)                 /* HwID(4) D(1) Gra(2) O(1) */
            cur_skip(c, ERSPAN3_SUBHDR_LEN);
    }
    if (c->err) {
        dec_short(d, l);
        return false;
    }
    if (ver != want_ver) {
        dec_bad(d, l, AN_BAD_GRE);
        return false;
    }
    /* Type III's frame type can name other payloads than Ethernet (FT 0);
     * they are left undecoded rather than guessed at. */
    return frame_type == 0;
}

static void gre_pptp(struct dstate *d, struct layer *l, uint16_t fl, uint32_t avail,
                     struct cursor c)
{
    struct gre_info *g = &l->u.gre;
    /* RFC 2637 §4.1: the key is mandatory (payload length + call id), the
     * checksum never present, and the payload is always PPP. */
    if (!(fl & GRE_K) || (fl & GRE_C) || g->proto != GRE_PROTO_PPP) {
        dec_bad(d, l, AN_BAD_GRE);
        return;
    }
    g->key = cur_be32(&c);
    if (fl & GRE_S)
        g->seq = cur_be32(&c);
    if (fl & GRE_A)
        g->ack = cur_be32(&c);
    if (c.err) {
        dec_short(d, l);
        return;
    }
    uint32_t plen = g->key >> 16;
    if (avail != UINT32_MAX && g->hdr_len + plen > avail) {
        dec_bad(d, l, AN_BAD_GRE); /* the key's payload length overruns the packet */
        return;
    }
    if (plen == 0)
        return; /* an acknowledgment alone */
    struct cursor payload = cur_sub(&c, plen);
    if (c.err)
        dec_short(d, l); /* the capture stopped inside the PPP frame: decode what is there */
    if (!dec_enter_tunnel(d))
        return;
    decode_ppp(d, payload);
}

void decode_gre(struct dstate *d, struct cursor c)
{
    struct layer *l = dec_push(d, LAYER_GRE, &c);
    if (!l)
        return;
    struct gre_info *g = &l->u.gre;
    uint32_t avail = dec_declared_len(d, l, &c);
    uint16_t fl = cur_be16(&c);
    g->proto = cur_be16(&c);
    if (c.err) {
        dec_short(d, l);
        return;
    }
    g->version = fl & GRE_VER;
    g->flags = (uint8_t)(((fl & GRE_C) ? GREF_CSUM : 0) | ((fl & GRE_K) ? GREF_KEY : 0) |
                         ((fl & GRE_S) ? GREF_SEQ : 0));
    if (g->version == 1 && (fl & GRE_A))
        g->flags |= GREF_ACK;
    g->hdr_len = (uint8_t)(4 + ((fl & GRE_C) ? 4 : 0) + ((fl & GRE_K) ? 4 : 0) +
                           ((fl & GRE_S) ? 4 : 0) + ((g->flags & GREF_ACK) ? 4 : 0));

    /* Source routing was withdrawn by RFC 2784 (a receiver MUST discard it)
     * and nothing sends it: a set bit means a corrupt or non-GRE packet. */
    if (fl & (GRE_R | GRE_SSR)) {
        dec_bad(d, l, AN_BAD_GRE);
        return;
    }
    if (g->version == 1) {
        gre_pptp(d, l, fl, avail, c);
        return;
    }
    if (g->version != 0) {
        dec_bad(d, l, AN_BAD_GRE);
        return;
    }
    if (fl & GRE_C)
        cur_skip(&c, 4); /* checksum + reserved1: not verified, it would cost a pass over
                          * the whole payload for a field almost nobody sends */
    if (fl & GRE_K)
        g->key = cur_be32(&c);
    if (fl & GRE_S)
        g->seq = cur_be32(&c);
    if (c.err) {
        dec_short(d, l);
        return;
    }
    if (g->proto == GRE_PROTO_ERSPAN || g->proto == GRE_PROTO_ERSPAN3) {
        if (!erspan_skip(d, l, fl, &c) || !dec_enter_tunnel(d))
            return;
        decode_eth(d, c);
        return;
    }
    if (!dec_enter_tunnel(d))
        return;
    decode_ethertype(d, g->proto, c); /* 0x6558 (bridging) goes to Ethernet there */
}

/* ---- VXLAN: RFC 7348 ---- */

#define VXLAN_I 0x08 /* "the VNI is valid": the only flag RFC 7348 defines */

void decode_vxlan(struct dstate *d, struct cursor c)
{
    struct layer *l = dec_push(d, LAYER_VXLAN, &c);
    if (!l)
        return;
    l->u.vxlan.flags = cur_u8(&c);
    cur_skip(&c, 3);
    l->u.vxlan.vni = cur_be24(&c);
    cur_skip(&c, 1);
    if (c.err) {
        dec_short(d, l);
        return;
    }
    /* The other flag bits are reserved, and extensions (group policy, GPE)
     * use them, so only the I bit is demanded, as Linux does. */
    if (!(l->u.vxlan.flags & VXLAN_I)) {
        dec_bad(d, l, AN_BAD_VXLAN);
        return;
    }
    if (!dec_enter_tunnel(d))
        return;
    decode_eth(d, c);
}

/* ---- GENEVE: RFC 8926 ---- */

void decode_geneve(struct dstate *d, struct cursor c)
{
    struct layer *l = dec_push(d, LAYER_GENEVE, &c);
    if (!l)
        return;
    struct geneve_info *g = &l->u.geneve;
    uint8_t b0 = cur_u8(&c); /* Ver(2) Opt Len(6) */
    uint8_t b1 = cur_u8(&c); /* O C Rsvd(6) */
    g->proto = cur_be16(&c);
    g->vni = cur_be24(&c);
    cur_skip(&c, 1);
    if (c.err) {
        dec_short(d, l);
        return;
    }
    g->opt_len = (uint8_t)((b0 & 0x3f) * 4);
    g->flags = b1 & 0xc0;
    /* RFC 8926 §3.4: a packet of an unknown version MUST be dropped: the rest
     * of the header cannot be interpreted. */
    if (b0 >> 6 != 0) {
        dec_bad(d, l, AN_BAD_GENEVE);
        return;
    }
    /* Options are metadata for the endpoints; their TLVs do not change where
     * the inner packet starts, so they are skipped whole. */
    if (!cur_skip(&c, g->opt_len)) {
        dec_short(d, l);
        return;
    }
    if (!dec_enter_tunnel(d))
        return;
    decode_ethertype(d, g->proto, c);
}

/* ---- GTP-U: 3GPP TS 29.281 §5 ---- */

#define GTP_PT 0x10 /* protocol type: 1 GTP, 0 GTP' */
#define GTP_E 0x04  /* extension header present */
#define GTP_S 0x02  /* sequence number present */
#define GTP_PN 0x01 /* N-PDU number present */
#define GTP_GPDU 255
#define GTP_HDR_LEN 8
/* Real traffic carries one to three extension headers (PDU session container,
 * UDP port, ...); the bytes alone would allow thousands of 4-byte ones. */
#define GTP_MAX_EXT 16

void decode_gtpu(struct dstate *d, struct cursor c)
{
    struct layer *l = dec_push(d, LAYER_GTPU, &c);
    if (!l)
        return;
    struct gtpu_info *g = &l->u.gtpu;
    uint32_t avail = dec_declared_len(d, l, &c);
    g->flags = cur_u8(&c);
    g->msg_type = cur_u8(&c);
    g->length = cur_be16(&c);
    g->teid = cur_be32(&c);
    g->hdr_len = GTP_HDR_LEN;
    if (c.err) {
        dec_short(d, l);
        return;
    }
    if (g->flags >> 5 != 1 || !(g->flags & GTP_PT)) {
        dec_bad(d, l, AN_BAD_GTPU); /* GTPv0, GTPv2-C or GTP': other headers */
        return;
    }
    /* The length counts everything after the first 8 bytes, so the optional
     * fields and extension headers must fit in it: running out of it is a
     * malformed header, running out of the capture only a short one. */
    if (avail != UINT32_MAX && (uint32_t)GTP_HDR_LEN + g->length > avail) {
        dec_bad(d, l, AN_BAD_GTPU);
        return;
    }
    struct cursor m = cur_sub(&c, g->length);
    bool cut = c.err;
    uint8_t next = 0;
    if (g->flags & (GTP_E | GTP_S | GTP_PN)) {
        /* all three fields are present when any flag is (TS 29.281 §5.1) */
        g->seq = cur_be16(&m);
        cur_skip(&m, 1); /* N-PDU number */
        next = cur_u8(&m);
        g->hdr_len += 4;
        if (!(g->flags & GTP_E))
            next = 0; /* the field is there, but is not to be interpreted */
    }
    while (next != 0 && !m.err) {
        if (g->n_ext >= GTP_MAX_EXT) {
            dec_bad(d, l, AN_BAD_GTPU);
            return;
        }
        /* length in 4-byte units including the length and next-type bytes */
        uint8_t units = cur_u8(&m);
        if (m.err)
            break;
        if (units == 0) {
            dec_bad(d, l, AN_BAD_GTPU); /* would loop in place */
            return;
        }
        cur_skip(&m, (size_t)units * 4 - 2);
        next = cur_u8(&m);
        g->n_ext++;
        g->hdr_len = (uint16_t)(g->hdr_len + units * 4);
    }
    if (m.err) {
        if (cut)
            dec_short(d, l);
        else
            dec_bad(d, l, AN_BAD_GTPU);
        return;
    }
    if (cut)
        dec_short(d, l); /* the T-PDU is cut: decode what was captured */
    if (g->msg_type != GTP_GPDU)
        return; /* echo, error indication, end marker: no user packet */
    if (cur_left(&m) == 0 && !cut) {
        dec_bad(d, l, AN_BAD_GTPU); /* a G-PDU exists to carry a T-PDU */
        return;
    }
    if (!dec_enter_tunnel(d))
        return;
    decode_ip_any(d, m);
}

/* ---- L2TPv2: RFC 2661 §3.1 ---- */

#define L2TP_T 0x8000 /* control message */
#define L2TP_L 0x4000 /* length present */
#define L2TP_S 0x0800 /* Ns and Nr present */
#define L2TP_O 0x0200 /* offset size present */
#define L2TP_VER 0x000f

void decode_l2tp(struct dstate *d, struct cursor c)
{
    struct layer *l = dec_push(d, LAYER_L2TP, &c);
    if (!l)
        return;
    struct l2tp_info *t = &l->u.l2tp;
    uint32_t avail = dec_declared_len(d, l, &c);
    size_t captured = cur_left(&c);
    const uint8_t *start = c.p;
    uint16_t fl = cur_be16(&c);
    if (c.err) {
        dec_short(d, l);
        return;
    }
    t->flags = fl;
    t->version = fl & L2TP_VER;
    if (t->version == 3)
        return; /* L2TPv3 over UDP (RFC 3931): a different header, not followed */
    if (t->version != 2) {
        dec_bad(d, l, AN_BAD_L2TP);
        return;
    }
    /* RFC 2661 §3.1: control messages MUST carry a length and sequence
     * numbers and MUST NOT carry an offset. */
    if ((fl & L2TP_T) && (fl & (L2TP_L | L2TP_S | L2TP_O)) != (L2TP_L | L2TP_S)) {
        dec_bad(d, l, AN_BAD_L2TP);
        return;
    }
    if (fl & L2TP_L)
        t->length = cur_be16(&c);
    t->tunnel = cur_be16(&c);
    t->session = cur_be16(&c);
    if (fl & L2TP_S) {
        t->ns = cur_be16(&c);
        t->nr = cur_be16(&c);
    }
    if (c.err) {
        dec_short(d, l);
        return;
    }
    size_t used = (size_t)(c.p - start);
    bool cut = false;
    if (fl & L2TP_L) {
        /* The length counts the whole message, this header included. */
        if (t->length < used || (avail != UINT32_MAX && t->length > avail)) {
            dec_bad(d, l, AN_BAD_L2TP);
            return;
        }
        cut = captured < t->length;
        cur_limit(&c, t->length - used);
    }
    if (fl & L2TP_O) {
        uint16_t pad = cur_be16(&c);
        cur_skip(&c, pad);
    }
    t->hdr_len = (uint16_t)(c.err ? used : (size_t)(c.p - start));
    if (c.err) {
        /* the offset runs past the declared length, or past the capture */
        if ((fl & L2TP_L) && !cut)
            dec_bad(d, l, AN_BAD_L2TP);
        else
            dec_short(d, l);
        return;
    }
    if (fl & L2TP_T)
        return; /* control messages: AVPs, no user packet */
    if (cut)
        dec_short(d, l); /* the PPP frame is cut: decode what was captured */
    if (!dec_enter_tunnel(d))
        return;
    decode_ppp(d, c);
}

/* ---- Teredo: RFC 4380 §5.1.1 ---- */

#define TEREDO_IND_AUTH 0x0001
#define TEREDO_IND_ORIGIN 0x0000
#define TEREDO_NONCE_LEN 8

/* An indicator starts with a zero byte, which an IPv6 header (version 6 in the
 * high nibble) never does. */
static bool teredo_indicator_next(const struct cursor *c)
{
    return cur_left(c) > 0 && cur_peek_u8(c, 0) == 0;
}

void decode_teredo(struct dstate *d, struct cursor c)
{
    struct layer *l = dec_push(d, LAYER_TEREDO, &c);
    if (!l)
        return;
    struct teredo_info *t = &l->u.teredo;
    const uint8_t *start = c.p;
    uint32_t declared = dec_declared_len(d, l, &c);
    uint16_t ind = 0xffff;

    if (teredo_indicator_next(&c))
        ind = cur_be16(&c);
    if (ind == TEREDO_IND_AUTH) {
        uint8_t id_len = cur_u8(&c);
        uint8_t auth_len = cur_u8(&c);
        /* client identifier, authentication value, nonce, confirmation byte */
        cur_skip(&c, (size_t)id_len + auth_len + TEREDO_NONCE_LEN + 1);
        t->indicators |= TEREDO_AUTH;
        ind = 0xffff;
        if (teredo_indicator_next(&c))
            ind = cur_be16(&c);
    }
    if (ind == TEREDO_IND_ORIGIN && !c.err) {
        /* RFC 4380 §5.1.1: port and address are sent XORed with all ones, so
         * that NATs rewriting addresses in payloads leave them alone. */
        uint8_t a[IP_ADDR_LEN];
        t->origin_port = cur_be16(&c) ^ 0xffff;
        cur_copy(&c, a, sizeof a);
        for (size_t i = 0; i < sizeof a; i++)
            a[i] ^= 0xff;
        addr_pack(&t->origin, ADDR_TYPE_IP, IP_ADDR_BITS, a, IP_ADDR_LEN);
        t->indicators |= TEREDO_ORIGIN;
    }
    if (c.err) {
        dec_short(d, l);
        return;
    }
    t->hdr_len = (uint16_t)(c.p - start);
    /* A third, unknown indicator, or not Teredo at all on port 3544: no
     * anomaly, as we cannot tell which. */
    if (ind != 0xffff && ind != TEREDO_IND_ORIGIN)
        return;
    if (cur_left(&c) == 0) {
        /* Nothing after the indicators: the message is empty, or the capture
         * stopped where an indicator or the IPv6 packet would begin. */
        if (declared > t->hdr_len)
            dec_short(d, l);
        return;
    }
    if (cur_peek_u8(&c, 0) >> 4 != 6)
        return;
    if (!dec_enter_tunnel(d))
        return;
    decode_ipv6(d, c);
}
