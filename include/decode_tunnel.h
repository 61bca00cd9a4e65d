/*
 * decode_tunnel.h - tunnels with a decoded inner packet: GRE, VXLAN, GENEVE, GTP-U, L2TPv2, Teredo.
 *
 * Layer decoders; see decode.h for the conventions they follow.
 */
#ifndef MTUSCOPE_DECODE_TUNNEL_H
#define MTUSCOPE_DECODE_TUNNEL_H

#include "decode.h"

void decode_gre(struct dstate *d, struct cursor c);
void decode_vxlan(struct dstate *d, struct cursor c);
void decode_geneve(struct dstate *d, struct cursor c);
void decode_gtpu(struct dstate *d, struct cursor c);
void decode_l2tp(struct dstate *d, struct cursor c);
void decode_teredo(struct dstate *d, struct cursor c);

#endif
