/*
 * decode_l2.h - shim layers between link and IP: 802.1Q/802.1ad, PPPoE, MPLS.
 *
 * Layer decoders; see decode.h for the conventions they follow.
 */
#ifndef MTUSCOPE_DECODE_L2_H
#define MTUSCOPE_DECODE_L2_H

#include "decode.h"

/* One 802.1Q/802.1ad tag; `tpid` is the ethertype that announced it, which
 * the tag itself does not repeat.  Stacked tags recurse through
 * decode_ethertype(), bounded by the record's layer count. */
void decode_vlan(struct dstate *d, uint16_t tpid, struct cursor c);
/* PPPoE session data: the payload is cut to the PPPoE length before the PPP
 * protocol is dispatched.  Discovery packets are recorded and not followed. */
void decode_pppoe_session(struct dstate *d, struct cursor c);
void decode_pppoe_discovery(struct dstate *d, struct cursor c);
/* A label stack (one layer per entry, at most 16), then IPv4, IPv6 or a
 * pseudowire control word and Ethernet, guessed from the payload. */
void decode_mpls(struct dstate *d, struct cursor c);

#endif
