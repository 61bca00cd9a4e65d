/*
 * decode_transport.h - TCP (with options) and UDP.
 *
 * Layer decoders; see decode.h for the conventions they follow.
 */
#ifndef MTUSCOPE_DECODE_TRANSPORT_H
#define MTUSCOPE_DECODE_TRANSPORT_H

#include "decode.h"

void decode_tcp(struct dstate *d, struct cursor c);
void decode_udp(struct dstate *d, struct cursor c);

#endif
