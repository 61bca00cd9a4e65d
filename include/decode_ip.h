/*
 * decode_ip.h - IPv4 (options, fragments) and IPv6 (extension headers, fragment header), AH.
 *
 * Layer decoders; see decode.h for the conventions they follow.
 */
#ifndef MTUSCOPE_DECODE_IP_H
#define MTUSCOPE_DECODE_IP_H

#include "decode.h"

void decode_ipv4(struct dstate *d, struct cursor c);
void decode_ipv6(struct dstate *d, struct cursor c);
void decode_ah(struct dstate *d, struct cursor c);

#endif
