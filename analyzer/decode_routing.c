/*
 * decode_routing.c - OSPF, for the interface MTU routers state to each
 * other.
 *
 * Two OSPF routers becoming adjacent exchange Database Description (DBD)
 * packets, each carrying the MTU of the interface it is sent from.  A
 * router that receives a DBD whose MTU is larger than its own interface's
 * rejects it (RFC 2328 section 10.6), because the database exchange that
 * follows would send it packets it cannot receive: with unequal MTUs the
 * adjacency stays in ExStart/Exchange and the DBD is re-sent every
 * RxmtInterval.  The decoder keeps the header and that MTU.
 *
 *   OSPFv2 (RFC 2328 A.3.1, A.3.3): a 24-byte header (version, type,
 *   length, router ID, area ID, checksum, AuType, 8 bytes of
 *   authentication), then the DBD: interface MTU (2), options (1), flags
 *   (1), DD sequence number (4), LSA headers.
 *   OSPFv3 (RFC 5340 A.3.1, A.3.3): a 16-byte header (version, type,
 *   length, router ID, area ID, checksum, instance ID, reserved), then the
 *   DBD: reserved (1), options (3), interface MTU (2), reserved (1), flags
 *   (1), DD sequence number (4), LSA headers.
 */
#include "decode_routing.h"

#define OSPF_V2 2
#define OSPF_V3 3
#define OSPF_V2_HDR_LEN 24
#define OSPF_V3_HDR_LEN 16
#define OSPF_DBD_FIXED 8 /* both versions: the fields before the LSA headers */
#define OSPF_DBD_FLAGS 0x07

void decode_ospf(struct dstate *d, struct cursor c)
{
    struct layer *l = dec_push(d, LAYER_OSPF, &c);
    if (!l)
        return;
    struct ospf_info *o = &l->u.ospf;
    o->version = cur_u8(&c);
    o->type = cur_u8(&c);
    o->length = cur_be16(&c);
    o->router_id = cur_be32(&c);
    o->area = cur_be32(&c);
    if (c.err) {
        dec_short(d, l);
        return;
    }
    size_t hdr = o->version == OSPF_V2 ? OSPF_V2_HDR_LEN : OSPF_V3_HDR_LEN;
    if ((o->version != OSPF_V2 && o->version != OSPF_V3) || o->length < hdr) {
        dec_bad(d, l, AN_BAD_OSPF);
        return;
    }
    /* checksum, AuType and authentication (v2), or checksum, instance ID
     * and a reserved byte (v3) */
    if (!cur_skip(&c, hdr - 12)) {
        dec_short(d, l);
        return;
    }
    if (o->type != OSPF_DBD)
        return;
    if (o->length < hdr + OSPF_DBD_FIXED) {
        dec_bad(d, l, AN_BAD_OSPF);
        return;
    }
    if (o->version == OSPF_V2) {
        o->iface_mtu = cur_be16(&c);
        cur_u8(&c); /* options */
        o->dbd_flags = cur_u8(&c) & OSPF_DBD_FLAGS;
    } else {
        cur_be32(&c); /* reserved, options */
        o->iface_mtu = cur_be16(&c);
        cur_u8(&c); /* reserved */
        o->dbd_flags = cur_u8(&c) & OSPF_DBD_FLAGS;
    }
    o->dd_seq = cur_be32(&c);
    if (c.err) {
        o->iface_mtu = 0; /* not read whole: say nothing */
        dec_short(d, l);
    }
}
