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
