/*
 * decode.h - turns one captured frame into a struct packet.
 *
 * decode_frame() starts at the link layer named by the capture's link type and
 * follows the protocol chain inward, through every tunnel it recognises, up to
 * PKT_MAX_TUNNELS deep.  Each layer family lives in its own module
 * (decode_link, decode_l2, decode_ip, decode_transport, decode_icmp,
 * decode_tunnel, decode_vpn); they hand the rest of the packet to the next
 * layer through the dispatch functions below, so a tunnel's inner packet is
 * decoded by the same functions as the outer one.
 *
 * Conventions for a layer decoder `void decode_X(struct dstate *d, struct cursor c)`:
 *  - `c` covers this layer's header and everything after it that was captured;
 *  - push the layer first (dec_push), fill it while reading through the cursor;
 *  - when the cursor runs out, call dec_short() and return;
 *  - for invalid fields, call dec_bad() with a named anomaly and return;
 *  - otherwise hand the payload to the next layer through a dispatch function.
 */
#ifndef MTUSCOPE_DECODE_H
#define MTUSCOPE_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "cursor.h"
#include "packet.h"

/* Decoder state for one frame: lives on the stack of decode_frame(). */
struct dstate {
    struct packet *pkt;
    const uint8_t *base; /* buffer that layer offsets are measured from */
    uint8_t tunnel;      /* current tunnel depth */
    uint8_t lflags;      /* LF_* given to every layer pushed (LF_QUOTED inside ICMP errors) */
    /* a reassembled datagram some of whose bytes the snap length dropped:
     * its upper-layer length (the cursor holds only the captured start),
     * read by the layer right after the IP header (dec_ip_payload_len) */
    uint32_t reasm_payload;
};

/* Decodes a frame of the given DLT_* link type into *pkt.  The caller has set
 * pkt->frame, ts, caplen, wirelen, input; everything else is reset here. */
void decode_frame(struct packet *pkt, int linktype, const uint8_t *data, uint32_t caplen,
                  uint32_t wirelen);

/* Re-decodes the payload of a reassembled IP datagram.  The layers above and
 * including layer `ip_layer` are kept; the layers after it are replaced by the
 * decode of `payload` (the datagram's upper-layer bytes, protocol `proto`),
 * flagged LF_REASSEMBLED.  pkt->data becomes `base`, the buffer the new
 * offsets point into (payload lies inside it). */
void decode_reassembled(struct packet *pkt, int ip_layer, uint8_t proto, const uint8_t *base,
                        const uint8_t *payload, uint32_t len);

/* The same for a datagram whose every fragment passed but some were cut by
 * the snap length: `captured` bytes of its `total` upper-layer bytes are in
 * `payload`, and its layers read as those of a packet cut by the snap
 * length (LF_TRUNCATED, AN_TRUNCATED), the sizes they state kept. */
void decode_reassembled_cut(struct packet *pkt, int ip_layer, uint8_t proto, const uint8_t *base,
                            const uint8_t *payload, uint32_t captured, uint32_t total);

/* True when the link type is one decode_frame() understands. */
bool decode_linktype_supported(int linktype);

/* ---- for the layer modules ---- */

/* Appends a layer of type t starting at c's position; NULL when the record is full
 * (AN_TOO_MANY_LAYERS recorded).  The layer is zeroed except type, flags, tunnel, offset. */
struct layer *dec_push(struct dstate *d, enum layer_type t, const struct cursor *c);

/* Records an anomaly on the packet (suppressed inside an ICMP quote, where
 * short and odd packets are normal) and marks layer l (may be NULL) malformed. */
void dec_bad(struct dstate *d, struct layer *l, enum anomaly a);

/* The cursor ran out inside layer l: records AN_TRUNCATED when the frame was cut
 * by the snap length, AN_SHORT_FRAME otherwise (not inside an ICMP quote), and
 * marks l LF_TRUNCATED. */
void dec_short(struct dstate *d, struct layer *l);

/* Enters a tunnel: false (and AN_TUNNEL_TOO_DEEP) when the cap is reached. */
bool dec_enter_tunnel(struct dstate *d);

/* Where a transport or ICMP layer's length came from (dec_ip_payload_len). */
enum dec_len_src {
    DEC_LEN_IP,       /* the enclosing IP layer's length field (or a reassembled datagram) */
    DEC_LEN_FRAGMENT, /* a first fragment: the IP length covers only this piece */
    DEC_LEN_CURSOR,   /* no usable IP length: what was captured is all we know */
    DEC_LEN_FRAME,    /* the IP length claimed more than the whole frame: the frame's bytes */
};

/* A length the sender wrote (not the capture's): one that can prove a header
 * too short for its own fields. */
static inline bool dec_len_declared(enum dec_len_src src)
{
    return src == DEC_LEN_IP || src == DEC_LEN_FRAGMENT;
}

/* The upper-layer length from the nearest IP layer's payload length, minus
 * any AH headers in between (the IP payload counts them).  Call it before
 * pushing the layer.  *len falls back to the cursor for a reassembled
 * datagram (the buffer is exactly the payload), an IPv6 jumbogram (no length
 * field) and when there is no IP layer. */
enum dec_len_src dec_ip_payload_len(const struct dstate *d, const struct cursor *c, size_t *len);

/* The length the layer in front of tunnel layer `self` declares for it (a UDP
 * or unfragmented IP payload length).  Without one, the captured bytes when
 * the whole frame was captured outside an ICMP quote; else UINT32_MAX:
 * unknown, no length can be proved wrong. */
uint32_t dec_declared_len(const struct dstate *d, const struct layer *self, const struct cursor *c);

/* The bytes a link-layer length field gives IP layer `self`, counted from
 * c (the cursor at the start of that layer): a PPPoE session header (RFC
 * 2516) or an 802.3 length in front of LLC/SNAP directly in front of it, which
 * cut the cursor to that length.  UINT32_MAX when the layer in front has no
 * length field, or its length overran the frame (it is then marked truncated
 * or malformed, and the frame's end is the only bound). */
uint32_t dec_link_len(const struct dstate *d, const struct layer *self, const struct cursor *c);

/* Saturates a length to 16 bits. */
static inline uint16_t dec_clamp16(size_t v)
{
    return v > 0xffff ? 0xffff : (uint16_t)v;
}

/* Dispatch to the next layer by the number that names it. */
void decode_ethertype(struct dstate *d, uint16_t ethertype, struct cursor c);
void decode_ipproto(struct dstate *d, uint8_t proto, struct cursor c);
void decode_ppp_proto(struct dstate *d, uint16_t proto, struct cursor c);
/* UDP payload: tunnels by port, and WireGuard / OpenVPN / ESP-in-UDP by content.
 * `len` is the payload length the UDP header declares (c may hold less). */
void decode_udp_payload(struct dstate *d, uint16_t sport, uint16_t dport, uint32_t len,
                        struct cursor c);
/* Picks IPv4 or IPv6 from the version nibble (raw IP links, MPLS, GTP-U). */
void decode_ip_any(struct dstate *d, struct cursor c);

#endif
