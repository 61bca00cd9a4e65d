/*
 * decode_routing.h - routing protocols that state an interface MTU: OSPFv2
 * and OSPFv3 Database Description packets.
 *
 * Layer decoders; see decode.h for the conventions they follow.
 */
#ifndef MTUSCOPE_DECODE_ROUTING_H
#define MTUSCOPE_DECODE_ROUTING_H

#include "decode.h"

/* An OSPF packet (IP protocol 89, IPv4 or IPv6): the common header, and for
 * a Database Description the sender's interface MTU, flags and DD
 * sequence number.  The version comes from the header, not the IP version. */
void decode_ospf(struct dstate *d, struct cursor c);

#endif
