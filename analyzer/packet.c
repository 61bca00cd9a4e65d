/* packet.c - names of layers and small queries over a decoded packet record. */
#include <stdio.h>
#include <string.h> /* memmove, in libdnet's addr_pack() */

#include "packet.h"

static const char *const layer_names[LAYER__COUNT] = {
    [LAYER_ETH] = "eth",      [LAYER_SLL] = "sll",     [LAYER_SLL2] = "sll2",
    [LAYER_LOOP] = "loop",    [LAYER_PPP] = "ppp",     [LAYER_VLAN] = "vlan",
    [LAYER_PPPOE] = "pppoe",  [LAYER_MPLS] = "mpls",   [LAYER_IPV4] = "ipv4",
    [LAYER_IPV6] = "ipv6",    [LAYER_AH] = "ah",       [LAYER_TCP] = "tcp",
    [LAYER_UDP] = "udp",      [LAYER_ICMP] = "icmp",   [LAYER_ICMP6] = "icmp6",
    [LAYER_GRE] = "gre",      [LAYER_VXLAN] = "vxlan", [LAYER_GENEVE] = "geneve",
    [LAYER_GTPU] = "gtpu",    [LAYER_L2TP] = "l2tp",   [LAYER_TEREDO] = "teredo",
    [LAYER_WIREGUARD] = "wg", [LAYER_ESP] = "esp",     [LAYER_OPENVPN] = "openvpn",
    [LAYER_LCP] = "lcp",      [LAYER_OSPF] = "ospf",
};

const char *layer_name(enum layer_type t)
{
    return (unsigned)t < LAYER__COUNT ? layer_names[t] : "?";
}

void addr_from_bytes(struct addr *a, int version, const uint8_t bytes[16])
{
    if (version == 6)
        addr_pack(a, ADDR_TYPE_IP6, IP6_ADDR_BITS, bytes, 16);
    else
        addr_pack(a, ADDR_TYPE_IP, IP_ADDR_BITS, bytes, 4);
}

int pkt_find(const struct packet *p, enum layer_type t, int from)
{
    for (int i = from < 0 ? 0 : from; i < p->nlayers; i++)
        if (p->layers[i].type == t)
            return i;
    return -1;
}

int pkt_find_last(const struct packet *p, enum layer_type t)
{
    for (int i = p->nlayers - 1; i >= 0; i--)
        if (p->layers[i].type == t)
            return i;
    return -1;
}

size_t pkt_describe(const struct packet *p, char *buf, size_t size)
{
    size_t n = 0;
    if (size == 0)
        return 0;
    buf[0] = '\0';
    for (int i = 0; i < p->nlayers; i++) {
        const struct layer *l = &p->layers[i];
        int w = snprintf(
            buf + n, size - n, "%s%s%s%s", i ? "/" : "",
            (l->flags & LF_QUOTED) && !(i && (p->layers[i - 1].flags & LF_QUOTED)) ? "[" : "",
            layer_name((enum layer_type)l->type), (l->flags & LF_TRUNCATED) ? "!" : "");
        if (w < 0 || (size_t)w >= size - n)
            return n;
        n += (size_t)w;
    }
    return n;
}

const char *addr_text(const struct addr *a, char *buf, size_t size)
{
    if ((a->addr_type != ADDR_TYPE_IP && a->addr_type != ADDR_TYPE_IP6) || !addr_ntop(a, buf, size))
        return "?";
    return buf;
}

const char *ip_proto_name_in(uint8_t proto, int ip_version, bool words)
{
    static const char *const ipip[2][2][2] = {
        {{"ipv4-in-ipv4", "IPv4-in-IPv4"}, {"ipv4-in-ipv6", "IPv4-in-IPv6"}},
        {{"ipv6-in-ipv4", "IPv6-in-IPv4"}, {"ipv6-in-ipv6", "IPv6-in-IPv6"}}};
    if (proto == IP_PROTO_IPIP || proto == IP_PROTO_IPV6)
        return ipip[proto == IP_PROTO_IPV6][ip_version == 6][words];
    if (!words)
        return ip_proto_name(proto);
    switch (proto) {
    case IP_PROTO_TCP:
        return "TCP";
    case IP_PROTO_UDP:
        return "UDP";
    case IP_PROTO_ICMP:
        return "ICMP";
    case IP_PROTO_ICMPV6:
        return "ICMPv6";
    case IP_PROTO_GRE:
        return "GRE";
    case IP_PROTO_ESP:
        return "ESP";
    default:
        return "IP";
    }
}

const char *ip_proto_name(uint8_t proto)
{
    switch (proto) {
    case IP_PROTO_TCP:
        return "tcp";
    case IP_PROTO_UDP:
        return "udp";
    case IP_PROTO_ICMP:
        return "icmp";
    case IP_PROTO_ICMPV6:
        return "icmpv6";
    case IP_PROTO_GRE:
        return "gre";
    case IP_PROTO_ESP:
        return "esp";
    default:
        return "ip";
    }
}
