/*
 * decode_link.h - link layers: Ethernet, Linux cooked v1/v2, BSD loopback, PPP.
 *
 * Layer decoders; see decode.h for the conventions they follow.
 */
#ifndef MTUSCOPE_DECODE_LINK_H
#define MTUSCOPE_DECODE_LINK_H

#include "decode.h"

/* Ethernet II, and 802.3 with LLC/SNAP (only SNAP with an ethertype OUI is
 * followed; the payload is cut to the 802.3 length).  Also the inner frame of
 * bridging tunnels and MPLS pseudowires, so it may be any layer of a packet. */
void decode_eth(struct dstate *d, struct cursor c);
/* Linux cooked v1 (16 bytes) and v2 (20 bytes).  Linux's pseudo-protocols
 * below 0x0600 and netlink captures end the decode without an anomaly. */
void decode_sll(struct dstate *d, struct cursor c);
void decode_sll2(struct dstate *d, struct cursor c);
/* BSD NULL and LOOP: a 4-byte address family.  LOOP (`network_order`) has it
 * big-endian; NULL has it in the capturing host's order, which the file does
 * not say, so either order is accepted, as tcpdump does. */
void decode_loop(struct dstate *d, struct cursor c, bool network_order);
/* PPP with or without HDLC address/control (ff 03) and with 1-byte
 * compressed protocol fields.  L2TP and PPTP call it for their inner frame,
 * so it makes no assumption about being the first layer. */
void decode_ppp(struct dstate *d, struct cursor c);

#endif
