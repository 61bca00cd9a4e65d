/*
 * wording_advice.c - the advice (advice.h: what to do, as data) in words:
 * one sentence per kind of advice, read by the verdict's recommendations
 * (wording.c) and by every output that lists them.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "infer.h"
#include "tunnels.h"

const char *advice_kind_name(enum advice_kind k)
{
    static const char *const names[ADV__COUNT] = {
#define ADV_NAME(kind, name) [kind] = name,
        ADVICE_KINDS(ADV_NAME)
#undef ADV_NAME
    };
    return (unsigned)k < ADV__COUNT ? names[k] : "?";
}

/* What WireGuard's datagrams of n1 bytes (outer IP size; 0: unknown) that
 * do not cross say about its MTU: that it must go below n1 - overhead, and
 * nothing about how far: a size seen lost bounds the path, it is no value
 * to set (the fix's probe measures it: wording_fix.c). */
static void words_wg_below(const struct advice *a, char **r)
{
    uint32_t over = tunnel_overhead_bytes(LAYER_WIREGUARD, a->ip_version, 0), big = a->n1;
    if (big <= over + 1)
        inf_fmt(r,
                "the WireGuard MTU must be at most the path MTU less %u: measure the path (the "
                "probe above), then set MTU in [Interface]",
                over);
    else if (a->proven)
        inf_fmt(r,
                "the WireGuard MTU must go below %u: its %u-byte datagrams are lost on the path; "
                "how far below is not in this capture (the probe above measures it)",
                big - over, big);
    else
        inf_fmt(r,
                "the WireGuard MTU is likely too big: its %u-byte datagrams are re-sent and not "
                "answered; measure the path (the probe above) before setting it",
                big);
}

/* DF pings from src to dst measure what a capture cannot; n1..n2, when
 * known, are the IP sizes still in doubt.  The commands are the fix's
 * blocks (wording_fix.c); here the words. */
static void words_probe(const struct advice *a, char **r)
{
    char s[64], d[64];
    addr_text(&a->src, s, sizeof s);
    addr_text(&a->dst, d, sizeof d);
    if (a->n1 && a->n2 > a->n1)
        inf_fmt(r,
                "measure the exact limit with DF pings from %s to %s of %u to %u bytes: the "
                "largest answered is the path MTU",
                s, d, a->n1, a->n2);
    else
        inf_fmt(r,
                "measure the exact limit with DF pings of rising size from %s to %s: the largest "
                "answered is the path MTU",
                s, d);
}

static void words_path(const struct advice *a, char **r)
{
    char s[64], d[64];
    addr_text(&a->src, s, sizeof s);
    addr_text(&a->dst, d, sizeof d);
    bool v6 = a->ip_version == 6;
    if (a->kind == ADV_ALLOW_ICMP)
        inf_fmt(r,
                "let ICMP %s through every firewall on the path between %s and %s, so the "
                "sender learns the path MTU",
                v6 ? "type 2 (packet too big)" : "type 3 code 4 (fragmentation needed)", s, d);
    else /* ADV_KEEP_BELOW: TCP's MSS is the MTU less 40 (IPv4) or 60 (IPv6) bytes */
        inf_fmt(r,
                "keep packets from %s to %s at or below %u bytes (an interface MTU of %u, or a TCP "
                "MSS of %u), or let %s through so senders learn it",
                s, d, a->n1, a->n1, a->n1 - (v6 ? 60 : 40),
                v6 ? "ICMPv6 packet-too-big" : "ICMP frag-needed");
}

static void words_tunnel(const struct advice *a, char **r)
{
    const struct tunnel_fact *f = tunnel_fact(a->layer);
    if (a->kind == ADV_SET_TUNNEL_MTU && f && f->how == TUNNEL_SET_WG_CONFIG)
        inf_fmt(r, "MTU = %u in the [Interface] section of the WireGuard config", a->n1);
    else if (a->kind == ADV_SET_TUNNEL_MTU) /* IFACE: the fix's block sets it first */
        inf_fmt(r, "ip link set dev \"$IFACE\" mtu %u", a->n1);
    else if (a->kind == ADV_TUNNEL_BELOW)
        inf_fmt(r,
                "lower the tunnel's MTU (or clamp the TCP MSS inside it) so that its packets stay "
                "below %u bytes on the wire",
                a->n1);
    else /* ADV_TUNNEL_HINT */
        inf_fmt(r,
                "the sender's MSS %u means an interface MTU of %u, %s: if this flow runs through "
                "such a tunnel, its MTU is the one to lower, to the path MTU less %u",
                a->n1, a->n2, f && f->usual_what ? f->usual_what : "a tunnel's usual MTU",
                f ? f->usual_overhead : 0);
}

void inf_advice_text(const struct advice *a, char **r)
{
    switch (a->kind) {
    case ADV_WG_MTU_BELOW:
        words_wg_below(a, r);
        return;
    case ADV_PROBE:
        words_probe(a, r);
        return;
    case ADV_ALLOW_ICMP:
    case ADV_KEEP_BELOW:
        words_path(a, r);
        return;
    case ADV_SET_TUNNEL_MTU:
    case ADV_TUNNEL_BELOW:
    case ADV_TUNNEL_HINT:
        words_tunnel(a, r);
        return;
    case ADV_UDP_BELOW:
        inf_fmt(r,
                "make the application send datagrams below %u bytes (QUIC: its maximum UDP "
                "payload; DTLS/WebRTC: its MTU setting; a VPN over UDP: its tunnel MTU), or find "
                "what drops them with the probe below",
                a->n1);
        return;
    case ADV_ALLOW_ICMP_ANY:
        inf_fmt(r, "let ICMP frag-needed / packet-too-big through every firewall on the path, "
                   "so senders learn the path MTU");
        return;
    case ADV_CLAMP_MSS:
        inf_fmt(r, "or clamp the TCP MSS to %u on the router (the clamp above)", a->n1);
        return;
    case ADV_CLAMP_TO_PMTU:
        inf_fmt(r, "or clamp the TCP MSS to the route's MTU on the router at the bottleneck "
                   "(the clamp above)");
        return;
    case ADV_STOP_FRAGMENT_DROPS:
        inf_fmt(r, "stop dropping IP fragments on the path, or lower the sender's MTU (or the "
                   "tunnel's) so that nothing needs fragmenting");
        return;
    case ADV_SENDER_FIREWALL:
        inf_fmt(r, "check the sender's firewall: it must accept the ICMP messages the router "
                   "sends (frag-needed / packet-too-big)");
        return;
    case ADV_CAPTURE_PEER:
        inf_fmt(r, "capture the sending end's outer interface too (-r this.pcap -r peer.pcap): "
                   "the same datagrams matched in both measure which sizes are lost");
        return;
    case ADV_SENDER_SELF_HEAL: {
        char s[64];
        inf_fmt(r,
                "a stopgap on the sender %s until the path is fixed: let it find a size that "
                "crosses by itself after a timeout (Linux: net.ipv4.tcp_mtu_probing = 1; Windows: "
                "EnablePMTUBHDetect; the blocks above); each affected connection still loses "
                "seconds",
                addr_text(&a->src, s, sizeof s));
        return;
    }
    case ADV_SELF_HEALED: {
        char s[64];
        addr_text(&a->src, s, sizeof s);
        if (a->n2 == HEAL_DF_CLEARED)
            inf_fmt(r,
                    "%s heals each connection by itself, as the black hole detection of Windows "
                    "(536-byte segments) and macOS (1200) does: %.1f s of timeouts, then smaller "
                    "packets without DF for the rest of the connection; fix the path so that no "
                    "connection pays it",
                    s, a->n1 / 1e3);
        else if (a->n2 == HEAL_MTU_PROBING)
            inf_fmt(r,
                    "%s heals each connection by itself, as TCP MTU probing does (RFC 4821; "
                    "on Linux net.ipv4.tcp_mtu_probing): %.1f s of timeouts per "
                    "connection; fix the path so that no connection pays it",
                    s, a->n1 / 1e3);
        else
            inf_fmt(r,
                    "%s heals each connection by itself: %.1f s of timeouts per connection; fix "
                    "the path so that no connection pays it",
                    s, a->n1 / 1e3);
        return;
    }
    case ADV_CAPTURE_FULL_SIZE:
        inf_fmt(r, "capture a transfer that sends full-size packets (a download or an upload of "
                   "a few megabytes), or probe the path with DF pings");
        return;
    case ADV_LINK_MSS:
        inf_fmt(r,
                "the %s link's MTU is %u (its LCP MRU, acknowledged by both ends): keep %u on the "
                "PPP interface (ip link set dev ppp0 mtu %u) and the TCP MSS of the hosts behind "
                "it at most %u for IPv4 and %u for IPv6: iptables -t mangle -A FORWARD -o ppp0 -p "
                "tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss %u (ip6tables: --set-mss %u; or "
                "--clamp-mss-to-pmtu)",
                a->layer == LAYER_PPPOE ? "PPPoE" : "PPP", a->n1, a->n1, a->n1, a->n1 - 40u,
                a->n1 - 60u, a->n1 - 40u, a->n1 - 60u);
        return;
    case ADV_EQUAL_MTU: {
        char s[64], d[64];
        uint32_t lo = a->n1 < a->n2 ? a->n1 : a->n2;
        inf_fmt(r,
                "give both ends of the OSPF link between %s and %s the same interface MTU (now %u "
                "and %u): the MTU the link really carries, %u unless the smaller side is the "
                "mistake (Linux: ip link set dev IFACE mtu %u; Cisco IOS: mtu %u or ip mtu %u on "
                "the interface); ip ospf mtu-ignore only hides the mismatch, and packets above "
                "%u are still lost toward the smaller side",
                addr_text(&a->src, s, sizeof s), addr_text(&a->dst, d, sizeof d), a->n1, a->n2, lo,
                lo, lo, lo, lo);
        return;
    }
    case ADV__COUNT:
        break;
    }
}
