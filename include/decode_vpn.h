/*
 * decode_vpn.h - encrypted tunnels recognised but opaque: WireGuard, IPsec ESP, OpenVPN.
 *
 * Layer decoders; see decode.h for the conventions they follow.
 */
#ifndef MTUSCOPE_DECODE_VPN_H
#define MTUSCOPE_DECODE_VPN_H

#include "decode.h"

/* True when the UDP payload has the shape of a WireGuard message: type 1
 * (148 bytes), 2 (92), 3 (64) or 4 (transport data), three reserved zero
 * bytes.  Data is 32 bytes of header and tag around the encrypted packet,
 * padded to a multiple of 16 but never past the interface MTU, so a
 * full-size message (1420 + 32 = 1452 at the default MTU) is off the
 * 16-byte grid: off-grid lengths are accepted from 576 inner bytes up.
 * `len` is the payload length the UDP header declares (inside an ICMP
 * quote the cursor holds less).  Port-independent: WireGuard runs on any. */
bool wireguard_looks_like(const struct cursor *c, uint32_t len);
void decode_wireguard(struct dstate *d, struct cursor c);
/* ESP: directly over IP, or in UDP (NAT-T, RFC 3948: `nat_t` set, the
 * non-ESP marker already checked by the caller). */
void decode_esp(struct dstate *d, struct cursor c, bool nat_t);
/* OpenVPN over UDP: plausible opcode/key-id first byte. */
bool openvpn_looks_like(const struct cursor *c, uint32_t len);
void decode_openvpn(struct dstate *d, struct cursor c);

#endif
