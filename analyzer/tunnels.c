/* tunnels.c - the table of tunnel facts (tunnels.h). */
#include <stddef.h>

#include "tunnels.h"

static const struct tunnel_fact facts[] = {
    /* WireGuard pads its inner packets to 16 bytes, never past the MTU, so
     * the largest inner packet can be below path - 60 */
    {LAYER_WIREGUARD, "wireguard", "WireGuard", 8 + 32, true, 16, 1420,
     "WireGuard's default MTU (its packets are 1480 bytes on an IPv4 path, 1500 on IPv6)", 60,
     TUNNEL_SET_WG_CONFIG, "wg0", "wireguard.mtu", "wireguard"},
    {LAYER_VXLAN, "vxlan", "VXLAN", 8 + 8 + 14, false, 0, 1450,
     "VXLAN's usual MTU (1500 bytes on the path)", 50, TUNNEL_SET_IP_LINK, "vxlan0", NULL, "vxlan"},
    {LAYER_GRE, "gre", "GRE", 0, false, 0, 1476, "GRE's usual MTU (1500 bytes on the path)", 24,
     TUNNEL_SET_IP_LINK, "gre1", "ip-tunnel.mtu", "gre"},
    {LAYER_IPV4, "ipip", "IP in IP", 0, false, 0, 1480,
     "IPIP / 6in4's usual MTU (1500 bytes on the path)", 20, TUNNEL_SET_IP_LINK, "ipip1",
     "ip-tunnel.mtu", "ipip"},
    {LAYER_IPV6, "ipip6", "IP in IPv6", 0, false, 0, 0, NULL, 0, TUNNEL_SET_IP_LINK, "ip6tnl1",
     "ip-tunnel.mtu", NULL},
    {LAYER_PPPOE, "pppoe", "PPPoE", 0, false, 0, 1492,
     "PPPoE's MTU (1500 bytes on the Ethernet below)", 8, TUNNEL_SET_IP_LINK, "ppp0", "ppp.mtu",
     NULL},
    {LAYER_GENEVE, "geneve", "GENEVE", 0, false, 0, 0, NULL, 0, TUNNEL_SET_IP_LINK, "geneve0", NULL,
     NULL},
    {LAYER_ESP, "esp", "ESP", 0, true, 4, 0, NULL, 0, TUNNEL_SET_IP_LINK, "ipsec0", NULL, NULL},
    {LAYER_OPENVPN, "openvpn", "OpenVPN", 0, true, 0, 0, NULL, 0, TUNNEL_SET_IP_LINK, "tun0", NULL,
     NULL},
    {LAYER_L2TP, "l2tp", "L2TP", 0, false, 0, 0, NULL, 0, TUNNEL_SET_IP_LINK, "ppp0", "ppp.mtu",
     NULL},
    {LAYER_GTPU, "gtpu", "GTP-U", 0, false, 0, 0, NULL, 0, TUNNEL_SET_IP_LINK, "gtp0", NULL, NULL},
    {LAYER_TEREDO, "teredo", "Teredo", 0, false, 0, 0, NULL, 0, TUNNEL_SET_IP_LINK, "teredo", NULL,
     NULL},
    {LAYER_MPLS, "mpls", "MPLS", 0, false, 0, 0, NULL, 0, TUNNEL_SET_IP_LINK, NULL, NULL, NULL},
};

const struct tunnel_fact *tunnel_fact(uint8_t layer)
{
    for (size_t i = 0; i < sizeof facts / sizeof facts[0]; i++)
        if (facts[i].layer == layer)
            return &facts[i];
    return NULL;
}

uint32_t tunnel_overhead_bytes(uint8_t layer, int ip_version, uint32_t measured)
{
    uint32_t ip = ip_version == 6 ? 40 : 20;
    const struct tunnel_fact *f = tunnel_fact(layer);
    if (layer == LAYER_IPV4 || layer == LAYER_IPV6)
        return ip; /* the outer IP header is all */
    if (f && f->fixed_over)
        return ip + f->fixed_over;
    return measured;
}

/* ESP (RFC 4303) in tunnel mode: SPI 4 + sequence 4, the cipher's IV, the
 * inner packet and a 2-byte trailer padded to the cipher's block, the ICV.
 * AES-CBC: IV 16, block 16; HMAC-SHA-256-128: ICV 16 (RFC 4868).  AES-GCM
 * (IV 8, block 4, ICV 16) always fits in less, so the CBC value is safe for
 * both. */
#define ESP_HDR 8u
#define ESP_CBC_IV 16u
#define ESP_CBC_BLOCK 16u
#define ESP_ICV 16u
#define ESP_TRAILER 2u
#define ESP_NATT_UDP 8u
#define IPV4_MIN_MTU 68u

const char tunnel_esp_assumption[] =
    "assuming AES-CBC with HMAC-SHA-256 (IV 16, 16-byte blocks, ICV 16), the largest common "
    "ESP overhead: it fits AES-GCM too";

uint32_t tunnel_mtu_for_path(uint8_t layer, int ip_version, uint32_t measured, bool in_udp,
                             uint32_t path)
{
    uint32_t ip = ip_version == 6 ? 40 : 20, mtu = 0;
    if (layer == LAYER_ESP) {
        /* the largest inner packet whose padded payload (inner + trailer,
         * a multiple of the block) fits what is left of the path */
        uint32_t fixed = ip + (in_udp ? ESP_NATT_UDP : 0) + ESP_HDR + ESP_CBC_IV + ESP_ICV;
        if (path > fixed + ESP_TRAILER)
            mtu = (path - fixed) / ESP_CBC_BLOCK * ESP_CBC_BLOCK - ESP_TRAILER;
    } else {
        /* WireGuard pads its inner packets to 16 bytes but never past the
         * interface MTU (the padding stops there), so a tunnel MTU of path
         * less the overhead never makes a datagram larger than the path */
        uint32_t over = tunnel_overhead_bytes(layer, ip_version, measured);
        if (over && path > over)
            mtu = path - over;
    }
    return mtu >= IPV4_MIN_MTU ? mtu : 0;
}

const char *tunnel_type_name(uint8_t layer, int ip_version, int inner_version)
{
    if (layer == LAYER_IPV4 || layer == LAYER_IPV6) {
        if (ip_version == 4)
            return inner_version == 6 ? "sit" : "ipip";
        return inner_version == 6 ? "ip6ip6" : "ipip6";
    }
    const struct tunnel_fact *f = tunnel_fact(layer);
    return f ? f->name : NULL;
}

const struct tunnel_fact *tunnel_facts_all(int *n)
{
    *n = (int)(sizeof facts / sizeof facts[0]);
    return facts;
}
