/*
 * decode_ppp.h - PPP's Link Control Protocol: the MRU a link negotiates.
 *
 * Layer decoders; see decode.h for the conventions they follow.
 */
#ifndef MTUSCOPE_DECODE_PPP_H
#define MTUSCOPE_DECODE_PPP_H

#include "decode.h"

/* An LCP packet (PPP protocol 0xc021), over PPPoE or a PPP link: code,
 * identifier, and for Configure-Request/Ack/Nak/Reject the
 * Maximum-Receive-Unit option (type 1) when present.  Nothing follows it. */
void decode_lcp(struct dstate *d, struct cursor c);

#endif
