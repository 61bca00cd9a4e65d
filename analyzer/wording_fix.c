/*
 * wording_fix.c - the fix as lines to paste (infer.h, inference.h's
 * struct inf_fix): the setting the evidence pins (a tunnel's MTU, a host's
 * MTU, an MSS clamp) as configuration and shell lines, with its reason in
 * one line; or, when the capture only bounds the path, the value that is
 * safe on every path it allows and the probe that measures the exact one.
 *
 * Every shell block stands alone: a name the capture cannot know (the
 * interface, the NetworkManager connection) is a variable set on its own
 * first line, never a <placeholder> inside a command, so pasting the block
 * runs it as shown.  Numbers only come from the paths and tunnels the
 * collectors bounded (paths.c, inf_tunnel.c); this file decides nothing
 * about the network.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "infer.h"
#include "tunnels.h"

/* IPv6's minimum link MTU (RFC 8200 section 5): every IPv6 path carries
 * 1280-byte packets, and an interface that carries IPv6 needs at least
 * that much. */
#define IPV6_MIN_MTU 1280u

static struct inf_fix_block *add_block(struct inf_fix *fx, const char *kind, const char *lang,
                                       uint32_t value)
{
    if (fx->nblocks == INF_MAX_FIX_BLOCKS)
        return NULL;
    struct inf_fix_block *b = &fx->blocks[fx->nblocks++];
    memset(b, 0, sizeof *b);
    snprintf(b->kind, sizeof b->kind, "%s", kind);
    snprintf(b->lang, sizeof b->lang, "%s", lang);
    b->value = value;
    return b;
}

/* TCP's MSS is the MTU less the IP and TCP headers: 20 + 20 for IPv4,
 * 40 + 20 for IPv6 (RFC 879, RFC 8200). */
static uint32_t mss_of(uint32_t mtu, int v)
{
    uint32_t hdr = v == 6 ? 60 : 40;
    return mtu > hdr ? mtu - hdr : 0;
}

/* The MSS clamp for TCP connections leaving through an interface whose MTU
 * is `mtu`: iptables and nftables, each a block of its own (one is enough).
 * v: the IP version of the TCP inside (0: unknown, then both). */
static void clamp_blocks(struct inf_fix *fx, const char *dev, const char *what, uint32_t mtu, int v)
{
    uint32_t m4 = mss_of(mtu, 4), m6 = mss_of(mtu, 6);
    bool do4 = v != 6 && m4, do6 = v != 4 && m6 && mtu >= IPV6_MIN_MTU;
    if (!do4 && !do6)
        return;
    struct inf_fix_block *b = add_block(fx, "mss-clamp-iptables", "sh", do4 ? m4 : m6);
    if (b) {
        inf_fmt(&b->title,
                "and where it forwards TCP for other hosts (a router or gateway), clamp the MSS "
                "to fit (the MTU less %s), with iptables:",
                do4 && do6 ? "40 for IPv4, less 60 for IPv6"
                : do4      ? "40 for IPv4"
                           : "60 for IPv6");
        char l4[160] = "", l6[160] = "";
        if (do4)
            snprintf(l4, sizeof l4,
                     "\niptables -t mangle -A FORWARD -o \"$IFACE\" -p tcp --tcp-flags SYN,RST SYN "
                     "-j TCPMSS --set-mss %u",
                     m4);
        if (do6)
            snprintf(l6, sizeof l6,
                     "\nip6tables -t mangle -A FORWARD -o \"$IFACE\" -p tcp --tcp-flags SYN,RST "
                     "SYN -j TCPMSS --set-mss %u",
                     m6);
        inf_fmt(&b->text, "IFACE=%s  # %s%s%s", dev, what, l4, l6);
    }
    b = add_block(fx, "mss-clamp-nftables", "sh", do4 ? m4 : m6);
    if (b) {
        char l4[160] = "", l6[160] = "";
        if (do4)
            snprintf(l4, sizeof l4,
                     "\nnft add rule inet mtuscope forward oifname \"$IFACE\" meta nfproto ipv4 "
                     "tcp flags syn tcp option maxseg size set %u",
                     m4);
        if (do6)
            snprintf(l6, sizeof l6,
                     "\nnft add rule inet mtuscope forward oifname \"$IFACE\" meta nfproto ipv6 "
                     "tcp flags syn tcp option maxseg size set %u",
                     m6);
        inf_fmt(&b->title, "or the same with nftables:");
        inf_fmt(&b->text,
                "IFACE=%s  # %s\nnft add table inet mtuscope\nnft 'add chain inet mtuscope "
                "forward { type filter hook forward priority mangle; }'%s%s",
                dev, what, l4, l6);
    }
}

/* A tunnel's MTU set to `mtu`: its configuration, the running interface,
 * NetworkManager and netplan where the tunnel type has them, the clamp. */
static void tunnel_blocks(struct inf_fix *fx, uint8_t layer, uint32_t mtu, int inner_v, bool brief)
{
    const struct tunnel_fact *tf = tunnel_fact(layer);
    const char *dev = tf && tf->ifname ? tf->ifname : "tun0";
    char what[64];
    snprintf(what, sizeof what, "your %s interface", tf ? tf->display : "tunnel");
    struct inf_fix_block *b;
    if (tf && tf->how == TUNNEL_SET_WG_CONFIG &&
        (b = add_block(fx, "wireguard-config", "ini", mtu))) {
        inf_fmt(&b->title,
                "in the WireGuard configuration (/etc/wireguard/%s.conf with wg-quick), section "
                "[Interface], on both peers:",
                dev);
        inf_fmt(&b->text, "[Interface]\nMTU = %u", mtu);
    }
    if ((b = add_block(fx, "ip-link", "sh", mtu))) {
        inf_fmt(&b->title, "%s (as root):",
                tf && tf->how == TUNNEL_SET_WG_CONFIG
                    ? "at once on the running interface, until the configuration is reloaded"
                    : "on the tunnel's interface, at both ends");
        inf_fmt(&b->text, "IFACE=%s  # %s\nip link set dev \"$IFACE\" mtu %u", dev, what, mtu);
    }
    if (brief) /* a value safe meanwhile: its setting, not every way to make it */
        return;
    if (tf && tf->nm_mtu && (b = add_block(fx, "networkmanager", "sh", mtu))) {
        inf_fmt(&b->title, "or, where NetworkManager manages the tunnel:");
        inf_fmt(&b->text,
                "CONN=%s  # your NetworkManager connection (nmcli connection show)\nnmcli "
                "connection modify \"$CONN\" %s %u\nnmcli connection up \"$CONN\"",
                dev, tf->nm_mtu, mtu);
    }
    if (tf && tf->netplan && (b = add_block(fx, "netplan", "yaml", mtu))) {
        inf_fmt(&b->title,
                "or, where netplan configures it (/etc/netplan/*.yaml, your tunnel's entry; then "
                "netplan apply):");
        inf_fmt(&b->text, "network:\n  tunnels:\n    %s:\n      mode: %s\n      mtu: %u", dev,
                tf->netplan, mtu);
    }
    clamp_blocks(fx, dev, what, mtu, inner_v);
}

/* A host's path MTU set to `mtu`: the sending interface, then the clamp. */
static void host_blocks(struct inf_fix *fx, const struct addr *src, const struct addr *dst,
                        uint32_t mtu, int v)
{
    char s[64], d[64], what[200];
    addr_text(src, s, sizeof s);
    addr_text(dst, d, sizeof d);
    snprintf(what, sizeof what, "the interface of %s (or of a router) toward %s", s, d);
    struct inf_fix_block *b = add_block(fx, "ip-link", "sh", mtu);
    if (b) {
        inf_fmt(&b->title,
                "on %s, the interface its packets to %s leave by (as root; or the router's at "
                "the bottleneck):",
                s, d);
        inf_fmt(&b->text, "IFACE=eth0  # %s\nip link set dev \"$IFACE\" mtu %u", what, mtu);
    }
    clamp_blocks(fx, "eth0", what, mtu, v);
}

static const struct inf_path *find_path(const struct inference *inf, const struct addr *src,
                                        const struct addr *dst)
{
    for (int k = 0; k < inf->npaths; k++)
        if (!addr_cmp(&inf->paths[k].src, src) && !addr_cmp(&inf->paths[k].dst, dst))
            return &inf->paths[k];
    return NULL;
}

/* Whether an opaque tunnel of this layer (WireGuard ...) runs between the
 * two addresses, and over which IP version. */
static int opaque_between(const struct results *res, uint8_t layer, const struct addr *a,
                          const struct addr *b)
{
    for (uint32_t i = 0; i < res->nflows; i++) {
        const struct flow_summary *f = &res->flows[i];
        if (f->opaque != layer)
            continue;
        if ((!addr_cmp(&f->client, a) && !addr_cmp(&f->server, b)) ||
            (!addr_cmp(&f->client, b) && !addr_cmp(&f->server, a)))
            return f->ip_version ? f->ip_version : 4;
    }
    return 0;
}

static int path_version(const struct inf_path *p)
{
    return p->src.addr_type == ADDR_TYPE_IP6 ? 6 : 4;
}

static const char *tunnel_display(uint8_t layer)
{
    const struct tunnel_fact *tf = tunnel_fact(layer);
    return tf ? tf->display : "tunnel";
}

/* 1. A tunnel whose outer path's limit is known (inf_tunnel.c). */
static bool fix_tunnel_recommended(struct inference *inf, const struct results *res)
{
    struct inf_fix *fx = &inf->fix;
    for (uint32_t i = 0; i < inf->ntunnels && i < res->ntunnels; i++) {
        const struct inf_tunnel *it = &inf->tunnels[i];
        const struct flow_tunnel *t = &res->tunnels[i];
        if (!it->recommended_mtu)
            continue;
        char a[64], b[64];
        addr_text(&t->outer_src, a, sizeof a);
        addr_text(&t->outer_dst, b, sizeof b);
        fx->exact = true;
        fx->mtu = it->recommended_mtu;
        inf_fmt(&fx->headline, "set the %s MTU to %u (tunnel #%u, %s <-> %s)",
                tunnel_display(t->type), it->recommended_mtu, t->id, a, b);
        /* exact where the bounds meet; else the upper bound is an MTU a
         * router or link states (inf_tunnel.c sets no value from a loss) */
        char carries[96];
        bool pinned = it->path_lower == it->path_upper;
        snprintf(carries, sizeof carries, "%s %u bytes%s", pinned ? "exactly" : "at most",
                 it->path_upper, pinned ? "" : ", the MTU a router or a link states");
        if (t->type == LAYER_ESP)
            inf_fmt(&fx->why,
                    "the path between %s and %s carries %s (path MTU below); ESP%s over IPv%u "
                    "fits inner packets of up to %u bytes in it, %s",
                    a, b, carries, t->sport || t->dport ? " in UDP" : "", t->ip_version,
                    it->recommended_mtu, tunnel_esp_assumption);
        else
            inf_fmt(&fx->why,
                    "the path between %s and %s carries %s (path MTU below) and %s adds %u bytes "
                    "over IPv%u: %u - %u = %u",
                    a, b, carries, tunnel_display(t->type), it->overhead, t->ip_version,
                    it->path_upper, it->overhead, it->recommended_mtu);
        tunnel_blocks(fx, t->type, it->recommended_mtu, t->inner_version, false);
        return true;
    }
    return false;
}

/* 2. A path whose MTU the evidence pins: inside a tunnel it is the tunnel's
 * MTU; between the two ends of a WireGuard tunnel, the tunnel's MTU is it
 * less the overhead; otherwise it is the sending host's. */
static bool fix_exact_path(struct inference *inf, const struct results *res)
{
    struct inf_fix *fx = &inf->fix;
    const struct inf_path *best = NULL;
    int best_rank = 9, wg_v = 0;
    for (int k = 0; k < inf->npaths; k++) {
        const struct inf_path *p = &inf->paths[k];
        if (!p->mtu)
            continue;
        int v = p->layer == INF_OUTER ? opaque_between(res, LAYER_WIREGUARD, &p->src, &p->dst) : 0;
        int rank = p->layer == INF_INNER ? 0 : v ? 1 : 2;
        if (rank < best_rank || (rank == best_rank && p->mtu < best->mtu)) {
            best = p;
            best_rank = rank;
            wg_v = v;
        }
    }
    if (!best)
        return false;
    char a[64], b[64];
    addr_text(&best->src, a, sizeof a);
    addr_text(&best->dst, b, sizeof b);
    int v = path_version(best);
    fx->exact = true;
    if (best_rank == 0) {
        const struct flow_tunnel *t = NULL;
        for (uint32_t i = 0; i < res->ntunnels; i++)
            if (res->tunnels[i].id == best->tunnel)
                t = &res->tunnels[i];
        uint8_t layer = t ? t->type : 0;
        fx->mtu = best->mtu;
        inf_fmt(&fx->headline, "set the %s MTU to %u", t ? tunnel_display(layer) : "tunnel",
                best->mtu);
        inf_fmt(&fx->why,
                "packets from %s to %s inside the tunnel cross up to exactly %u bytes (path MTU "
                "below): that is the tunnel's MTU",
                a, b, best->mtu);
        tunnel_blocks(fx, layer, best->mtu, v, false);
    } else if (best_rank == 1) {
        uint32_t over = tunnel_overhead_bytes(LAYER_WIREGUARD, wg_v, 0);
        if (best->mtu <= over + 68)
            return fx->exact = false;
        fx->mtu = best->mtu - over;
        inf_fmt(&fx->headline, "set the WireGuard MTU to %u (%s <-> %s)", fx->mtu, a, b);
        inf_fmt(&fx->why,
                "the path from %s to %s carries exactly %u bytes (path MTU below) and WireGuard "
                "adds %u bytes over IPv%d: %u - %u = %u",
                a, b, best->mtu, over, wg_v, best->mtu, over, fx->mtu);
        tunnel_blocks(fx, LAYER_WIREGUARD, fx->mtu, 0, false);
    } else {
        fx->mtu = best->mtu;
        /* where routers' ICMP already tells senders (path-MTU discovery
         * works), setting it only spares each connection its first
         * too-big packets: optional, and said so */
        bool works = inf->status && !strcmp(inf->status, "pmtud-working");
        inf_fmt(&fx->headline, "%skeep packets from %s to %s at or below %u bytes: MTU %u, MSS %u",
                works ? "optional (path-MTU discovery works here; this spares each connection "
                        "its first too-big packets): "
                      : "",
                a, b, best->mtu, best->mtu, mss_of(best->mtu, v));
        inf_fmt(&fx->why, "the path from %s to %s carries exactly %u bytes (path MTU below)", a, b,
                best->mtu);
        host_blocks(fx, &best->src, &best->dst, best->mtu, v);
    }
    return true;
}

/* The probe that measures what the capture only bounds: DF pings from src
 * to dst between the bounds, halving the range (about 11 pings for 1500
 * sizes), then mtuscope on a capture of them (inf_sweep_stage() pins the MTU
 * where answered and unanswered sizes meet). */
static void probe_blocks(struct inf_fix *fx, const struct addr *src, const struct addr *dst, int v,
                         uint32_t lower, uint32_t upper, uint32_t candidate)
{
    char s[64], d[64];
    addr_text(src, s, sizeof s);
    addr_text(dst, d, sizeof d);
    uint32_t hdr = v == 6 ? 48 : 28; /* IP + ICMP echo headers */
    /* what is known to cross, and the first size known not to (or past
     * Ethernet's 1500 when nothing bounds the path) */
    uint32_t lo = lower ? lower : (v == 6 ? IPV6_MIN_MTU : 68);
    uint32_t hi = upper ? upper + 1 : 1501;
    if (lo < hdr)
        lo = hdr;
    struct inf_fix_block *b = add_block(fx, "capture-probe", "sh", 0);
    if (b) {
        inf_fmt(&b->title,
                "measure it: on %s, capture the probes (as root, in a second terminal; Ctrl-C "
                "after the last ping):",
                s);
        inf_fmt(&b->text, "tcpdump -ni any -w mtu-probe.pcap host %s", d);
    }
    if ((b = add_block(fx, "probe-linux", "sh", 0))) {
        inf_fmt(&b->title,
                "then probe from %s with DF pings (Linux: ping -M do -s SIZE, SIZE = packet size - "
                "%u), halving %u..%u bytes until they meet:",
                s, hdr, lo, hi - 1);
        inf_fmt(&b->text,
                "lo=%u hi=%u  # IP packet sizes: %u bytes cross%s, %u %s\n"
                "while [ $((hi - lo)) -gt 1 ]; do\n"
                "  mid=$(((lo + hi) / 2))\n"
                "  if ping -M do -c 2 -W 1 -s $((mid - %u)) %s >/dev/null; then lo=$mid; else "
                "hi=$mid; fi\n"
                "done\n"
                "echo \"path MTU: $lo bytes\"",
                lo, hi, lo, lower ? "" : " on every path", hi,
                upper ? "do not" : "is past Ethernet's 1500", hdr, d);
    }
    /* one size per try elsewhere: the candidate setting's packet and the
     * largest the path may carry */
    uint32_t sizes[2], n = 0;
    if (candidate > lo && candidate < hi)
        sizes[n++] = candidate;
    if (hi - 1 > lo && (!n || sizes[0] != hi - 1))
        sizes[n++] = hi - 1;
    if (!n)
        return;
    char mac[256] = "", win[256] = "", what[96];
    size_t mo = 0, wo = 0;
    for (uint32_t i = 0; i < n; i++) {
        mo += (size_t)snprintf(mac + mo, sizeof mac - mo, "%s%s -c 2 -s %u %s", i ? "\n" : "",
                               v == 6 ? "ping6 -m" : "ping -D", sizes[i] - hdr, d);
        if (v != 6)
            wo += (size_t)snprintf(win + wo, sizeof win - wo, "%sping -f -n 2 -l %u %s",
                                   i ? "\n" : "", sizes[i] - hdr, d);
    }
    if (n == 2)
        snprintf(what, sizeof what, "%u and %u bytes", sizes[0], sizes[1]);
    else
        snprintf(what, sizeof what, "%u bytes", sizes[0]);
    if ((b = add_block(fx, "probe-macos", "sh", sizes[0]))) {
        inf_fmt(&b->title,
                "or from a Mac (%s, one size per try: %s):", v == 6 ? "ping6 -m" : "ping -D", what);
        inf_fmt(&b->text, "%s", mac);
    }
    if (v != 6 && (b = add_block(fx, "probe-windows", "cmd", sizes[0]))) {
        inf_fmt(&b->title, "or from Windows (cmd or PowerShell; ping -f -l SIZE: %s):", what);
        inf_fmt(&b->text, "%s", win);
    }
    if ((b = add_block(fx, "run-mtuscope", "sh", 0))) {
        inf_fmt(&b->title,
                "then run mtuscope on the capture: where the answered and unanswered sizes meet it "
                "prints the exact value to set (MTU = N for a tunnel whose packets are in the "
                "capture too):");
        inf_fmt(&b->text, "mtuscope -r mtu-probe.pcap");
    }
}

/* A TCP black hole's smallest size never delivered, from src to dst,
 * bounds that path too: the tighter of it and upper. */
static uint32_t blackhole_upper(const struct inference *inf, const struct results *res,
                                const struct addr *src, const struct addr *dst, uint32_t lower,
                                uint32_t upper)
{
    for (int i = 0; i < inf->nblackholes; i++) {
        const struct inf_blackhole *bh = &inf->blackholes[i];
        const struct flow_summary *f = results_flow(res, bh->flow);
        const struct addr *fs, *fd;
        if (!f || !bh->smallest_lost || bh->smallest_lost <= lower + 1)
            continue;
        inf_direction_addrs(f, bh->dir, &fs, &fd);
        if (!addr_cmp(fs, src) && !addr_cmp(fd, dst) && (!upper || bh->smallest_lost - 1 < upper))
            upper = bh->smallest_lost - 1;
    }
    return upper;
}

/* Why the upper bound is no value to set. */
static void bound_why(struct inf_fix *fx, uint32_t upper, const struct tunnel_fact *tf,
                      uint32_t over)
{
    if (upper && tf && over && upper > over)
        inf_fmt(&fx->why,
                "%u is only the smallest size seen lost minus one: a %s MTU of %u (%u - %u) "
                "still loses packets if the path carries less",
                upper, tf->display, upper - over, upper, over);
    else if (upper)
        inf_fmt(&fx->why,
                "%u is only the smallest size seen lost minus one, not a value to set: the "
                "path may carry less",
                upper);
    else
        inf_fmt(&fx->why, "no size is proven lost on this path, and none is pinned");
}

/* 3. Only bounds: what the advice of the verdict (wording.c) says is too
 * big, on which path, what is safe meanwhile, and the probe. */
static void fix_bounded(struct inference *inf, const struct results *res)
{
    struct inf_fix *fx = &inf->fix;
    const struct advice *tun = NULL, *probe = NULL;
    for (int i = 0; i < inf->nrecs; i++) {
        const struct advice *a = &inf->advice[i];
        if (!tun && (a->kind == ADV_WG_MTU_BELOW || a->kind == ADV_TUNNEL_BELOW))
            tun = a;
        if (!probe && (a->kind == ADV_PROBE || a->kind == ADV_KEEP_BELOW))
            probe = a;
    }
    if (!tun && !probe)
        return;
    /* the path to measure: for a tunnel, its outer path (the tightest bound
     * between two ends that carry it); else the advice's own */
    const struct inf_path *p = NULL;
    uint8_t layer = tun ? (tun->kind == ADV_WG_MTU_BELOW ? LAYER_WIREGUARD : tun->layer) : 0;
    for (int k = 0; tun && k < inf->npaths; k++) {
        const struct inf_path *q = &inf->paths[k];
        if (q->layer != INF_OUTER || !opaque_between(res, layer, &q->src, &q->dst))
            continue;
        if (!p || (q->upper && (!p->upper || q->upper < p->upper)))
            p = q;
    }
    if (!p && probe)
        p = find_path(inf, &probe->src, &probe->dst);
    struct addr src, dst;
    int v;
    if (p) {
        src = p->src;
        dst = p->dst;
        v = path_version(p);
    } else if (probe) {
        src = probe->src;
        dst = probe->dst;
        v = probe->ip_version == 6 ? 6 : 4;
    } else {
        return; /* a tunnel's loss with no path known: the bullets say what to capture */
    }
    /* a tunnel between the path's two ends: its MTU is what to set, even
     * when the verdict is about the path (a ping sweep beside it) */
    uint32_t tun_over = 0;
    if (!layer && opaque_between(res, LAYER_WIREGUARD, &src, &dst))
        layer = LAYER_WIREGUARD;
    for (uint32_t i = 0; !layer && i < res->ntunnels && i < inf->ntunnels; i++) {
        const struct flow_tunnel *t = &res->tunnels[i];
        if ((!addr_cmp(&t->outer_src, &src) && !addr_cmp(&t->outer_dst, &dst)) ||
            (!addr_cmp(&t->outer_src, &dst) && !addr_cmp(&t->outer_dst, &src))) {
            layer = t->type;
            tun_over = inf->tunnels[i].overhead;
        }
    }
    uint32_t lower = p ? p->lower : 0, upper = p ? p->upper : 0;
    if (!upper && tun && tun->n1)
        upper = tun->n1 - 1; /* the tunnel's re-sent datagram size, not crossing */
    if (!tun)
        upper = blackhole_upper(inf, res, &src, &dst, lower, upper);
    fx->lower = lower;
    fx->upper = upper;
    fx->src = src;
    fx->dst = dst;
    fx->path_layer = p ? (uint8_t)(p->layer + 1) : 0;
    char a[64], b[64], range[96];
    addr_text(&src, a, sizeof a);
    addr_text(&dst, b, sizeof b);
    if (lower && upper)
        snprintf(range, sizeof range, "between %u and %u bytes", lower, upper);
    else if (upper)
        snprintf(range, sizeof range, "at most %u bytes", upper);
    else if (lower)
        snprintf(range, sizeof range, "at least %u bytes", lower);
    else
        snprintf(range, sizeof range, "an unknown number of bytes");
    inf_fmt(&fx->headline,
            "the exact MTU is not in this capture: the path from %s to %s carries %s; measure "
            "it (below)",
            a, b, range);
    /* what is proven to cross is safe on every path the capture allows;
     * on IPv6 so is 1280, which every link carries */
    uint32_t safe_outer = lower, over = 0;
    const char *safe_why = "the largest packet proven to cross";
    if (v == 6 && safe_outer < IPV6_MIN_MTU) {
        safe_outer = IPV6_MIN_MTU;
        safe_why = "IPv6's minimum MTU, which every IPv6 path carries (RFC 8200)";
    }
    const struct tunnel_fact *tf = layer ? tunnel_fact(layer) : NULL;
    if (tf)
        over = tun_over ? tun_over : tunnel_overhead_bytes(layer, v, 0);
    uint32_t safe = safe_outer > over ? safe_outer - over : 0;
    /* below 576 bytes (the datagram every IPv4 host takes, RFC 791; TCP's
     * default MSS 536 assumes it) a value is no working setting */
    bool usable = safe >= 576 && (!tf || over);
    bound_why(fx, upper, tf, over);
    if (usable) {
        fx->mtu = safe;
        inf_fmt(&fx->safe, "%u, safe on every path this capture allows (%u bytes: %s%s)%s", safe,
                safe_outer, safe_why, over ? ", less the tunnel's overhead" : "",
                tf && safe < IPV6_MIN_MTU ? "; below 1280 the tunnel carries no IPv6" : "");
        int first = fx->nblocks;
        if (tf)
            tunnel_blocks(fx, layer, safe, 0, true);
        else
            host_blocks(fx, &src, &dst, safe, v);
        /* the safe blocks say "safe", not "the" value */
        if (first < fx->nblocks) {
            char *t = NULL;
            inf_fmt(&t, "safe meanwhile (the probe below gives the exact value), %s",
                    fx->blocks[first].title ? fx->blocks[first].title : "");
            inf_text_free(fx->blocks[first].title);
            fx->blocks[first].title = t;
        }
    } else {
        const char *fallback = tf && over ? "; 1280, the usual fallback (IPv6's minimum MTU), is "
                                            "not proven here either: the probe tries it"
                                          : "";
        if (lower)
            inf_fmt(&fx->safe, "none proven: nothing larger than %u bytes is proven to cross%s",
                    lower, fallback);
        else /* never "0 bytes": no size at all was seen crossing */
            inf_fmt(&fx->safe, "none proven: no packet size is proven to cross here%s", fallback);
    }
    /* the size a tunnel MTU of 1280 sends: the usual fallback, probed too */
    uint32_t candidate = tf && over ? IPV6_MIN_MTU + over : 0;
    probe_blocks(fx, &src, &dst, v, lower, upper, candidate);
}

/* The clamp a router can apply without knowing the number: the MSS of
 * SYNs it forwards cut to its own route's MTU, which it knows. */
static void clamp_pmtu_blocks(struct inf_fix *fx)
{
    struct inf_fix_block *b = add_block(fx, "mss-clamp-iptables", "sh", 0);
    if (b) {
        inf_fmt(&b->title, "on the router at the bottleneck, clamp the TCP MSS to its route's MTU "
                           "(no number needed), with iptables:");
        inf_fmt(&b->text,
                "iptables -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS "
                "--clamp-mss-to-pmtu\nip6tables -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST "
                "SYN -j TCPMSS --clamp-mss-to-pmtu");
    }
    if ((b = add_block(fx, "mss-clamp-nftables", "sh", 0))) {
        inf_fmt(&b->title, "or the same with nftables:");
        inf_fmt(&b->text, "nft add table inet mtuscope\nnft 'add chain inet mtuscope forward { "
                          "type filter hook forward priority mangle; }'\nnft add rule inet "
                          "mtuscope forward tcp flags syn tcp option maxseg size set rt mtu");
    }
}

bool inf_fix_has(const struct inf_fix *fx, const char *kind)
{
    for (int i = 0; i < fx->nblocks; i++)
        if (!strncmp(fx->blocks[i].kind, kind, strlen(kind)))
            return true;
    return false;
}

/* The sender's own recovery, a stopgap until the path is fixed: Linux's
 * packetization-layer PMTUD (RFC 4821) after a timeout, Windows' black hole
 * detection (RFC 2923 2.1).  Which system the sender runs, a capture cannot
 * tell: both blocks, each saying for which. */
static void self_heal_blocks(struct inf_fix *fx, const struct addr *sender)
{
    char s[64];
    addr_text(sender, s, sizeof s);
    struct inf_fix_block *b = add_block(fx, "linux-tcp-mtu-probing", "sh", 0);
    if (b) {
        inf_fmt(&b->title,
                "a stopgap, if the sender %s runs Linux: TCP MTU probing finds a size that "
                "crosses after a timeout (RFC 4821), now and after a reboot (as root):",
                s);
        inf_fmt(&b->text, "sysctl -w net.ipv4.tcp_mtu_probing=1\necho "
                          "'net.ipv4.tcp_mtu_probing = 1' > /etc/sysctl.d/90-tcp-mtu-probing.conf");
    }
    if ((b = add_block(fx, "windows-pmtu-bh-detect", "cmd", 0))) {
        inf_fmt(&b->title,
                "or, if it runs Windows, its black hole detection (cmd as administrator; from "
                "the next restart it clears DF and sends 536-byte segments after the timeouts):");
        inf_fmt(&b->text, "reg add HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters "
                          "/v EnablePMTUBHDetect /t REG_DWORD /d 1 /f");
    }
}

void inf_fix(struct inference *inf, const struct results *res)
{
    if (!fix_tunnel_recommended(inf, res) && !fix_exact_path(inf, res))
        fix_bounded(inf, res);
    for (int i = 0; i < inf->nrecs; i++)
        if (inf->advice[i].kind == ADV_CLAMP_TO_PMTU && !inf_fix_has(&inf->fix, "mss-clamp")) {
            if (!inf->fix.headline)
                inf_fmt(&inf->fix.headline, "clamp the TCP MSS on the router at the bottleneck");
            clamp_pmtu_blocks(&inf->fix);
        }
    for (int i = 0; i < inf->nrecs; i++)
        if (inf->advice[i].kind == ADV_SENDER_SELF_HEAL && !inf_fix_has(&inf->fix, "linux-tcp")) {
            if (!inf->fix.headline)
                inf_fmt(&inf->fix.headline, "let the sender heal by itself until the path is "
                                            "fixed");
            self_heal_blocks(&inf->fix, &inf->advice[i].src);
        }
}

void inf_fix_free(struct inf_fix *fx)
{
    inf_text_free(fx->headline);
    inf_text_free(fx->why);
    inf_text_free(fx->safe);
    for (int i = 0; i < fx->nblocks; i++) {
        inf_text_free(fx->blocks[i].title);
        inf_text_free(fx->blocks[i].text);
    }
    memset(fx, 0, sizeof *fx);
}
