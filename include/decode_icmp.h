/*
 * decode_icmp.h - ICMP and ICMPv6, with the quoted packet of error messages.
 *
 * Layer decoders; see decode.h for the conventions they follow.
 */
#ifndef MTUSCOPE_DECODE_ICMP_H
#define MTUSCOPE_DECODE_ICMP_H

#include "decode.h"

void decode_icmp(struct dstate *d, struct cursor c);
void decode_icmp6(struct dstate *d, struct cursor c);

#endif
