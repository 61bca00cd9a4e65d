/*
 * tunnels.h - what mtuscope knows about each kind of tunnel, in one table:
 * its names, the bytes it adds per outer IP version, whether its inner
 * packets can be seen, how its inner packets are padded, the MTU its tools
 * set by default and how a user sets it.  Adding a tunnel type means one row
 * here and its decoder; nothing else names tunnels.
 *
 * Overheads (bytes of the outer packet that are not the inner IP packet):
 *   WireGuard  IP + UDP 8 + its 16-byte header + 16-byte tag: 60 / 80
 *   VXLAN      IP + UDP 8 + VXLAN 8 + inner Ethernet 14:    50 / 70
 *   IP in IP   the outer IP header:                          20 / 40
 *   others     measured per tunnel on its first packet (GRE's key, sequence
 *              and checksum options, GENEVE's options, ESP's padding...)
 */
#ifndef MTUSCOPE_TUNNELS_H
#define MTUSCOPE_TUNNELS_H

#include <stdbool.h>
#include <stdint.h>

#include "packet.h"

enum tunnel_mtu_how {
    TUNNEL_SET_IP_LINK,   /* ip link set dev IFACE mtu N */
    TUNNEL_SET_WG_CONFIG, /* MTU = N in [Interface] */
};

struct tunnel_fact {
    uint8_t layer;           /* enum layer_type of the tunnel layer */
    const char *name;        /* the JSON report's tunnels[].type */
    const char *display;     /* in sentences */
    uint16_t fixed_over;     /* bytes added above the outer IP header; 0: measured */
    bool opaque;             /* encrypted: the inner packets cannot be seen */
    uint8_t pad_to;          /* inner packets padded to a multiple of this (0: none) */
    uint16_t usual_mtu;      /* the MTU its tools set on a 1500-byte path (0: none) */
    const char *usual_what;  /* that default, explained, for the MSS hint */
    uint16_t usual_overhead; /* the overhead that default assumes */
    enum tunnel_mtu_how how;
    const char *ifname;  /* the name Linux tools usually give its interface, for IFACE=... */
    const char *nm_mtu;  /* NetworkManager's MTU property of its connection (NULL: none) */
    const char *netplan; /* netplan's tunnel mode for it (NULL: netplan has none) */
};

/* The row of a tunnel layer, or NULL when the layer is no tunnel. */
const struct tunnel_fact *tunnel_fact(uint8_t layer);

/* Bytes a tunnel adds over an outer path of IP version 4 or 6; `measured`
 * (outer size - inner size on its first packet) when the row has no fixed
 * value. */
uint32_t tunnel_overhead_bytes(uint8_t layer, int ip_version, uint32_t measured);

/* The tunnel MTU to set over an outer path that carries exactly `path`
 * bytes: the largest inner IP packet whose outer packet still fits, or 0
 * when none of at least 68 bytes (IPv4's minimum, RFC 791) does.
 * `measured` as for tunnel_overhead_bytes(); `in_udp`: ESP in UDP (NAT
 * traversal, RFC 3948, 8 more bytes).  ESP's cipher is not in the capture:
 * its value assumes AES-CBC with a 16-byte ICV (HMAC-SHA-256-128), the
 * largest common overhead, so it fits AES-GCM too (tunnel_esp_assumption). */
uint32_t tunnel_mtu_for_path(uint8_t layer, int ip_version, uint32_t measured, bool in_udp,
                             uint32_t path);

/* ESP's overhead depends on its cipher: the assumption tunnel_mtu_for_path()
 * makes, in words. */
extern const char tunnel_esp_assumption[];

/* The report's name of a tunnel: IP in IP named as Linux names its devices
 * (ipip, sit, ipip6, ip6ip6), the others by their row. */
const char *tunnel_type_name(uint8_t layer, int ip_version, int inner_version);

/* The rows with a usual MTU, for the MSS hint: *n of them. */
const struct tunnel_fact *tunnel_facts_all(int *n);

#endif
