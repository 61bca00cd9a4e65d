/*
 * wording.c - the verdict in words (infer.h): the sentences and the advice
 * of each row of verdict.c's table, written from the tally's headline
 * evidence.  Everything a user reads as the verdict's summary and fix is
 * made here.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "correlate.h"
#include "compare.h"
#include "infer.h"
#include "tunnels.h"
#include "verdict.h"

void inf_advise(struct inference *inf, const struct advice *a)
{
    char *text = NULL;
    inf_advice_text(a, &text);
    if (text && inf_add_rec(inf, text))
        inf->advice[inf->nrecs - 1] = *a;
    inf_text_free(text);
}

/* Shorthands for the sentences below. */
static void advise(struct inference *inf, enum advice_kind k)
{
    struct advice a = {.kind = k};
    inf_advise(inf, &a);
}

static void advise_path(struct inference *inf, enum advice_kind k, const struct addr *src,
                        const struct addr *dst, int ip_version, uint32_t n1, uint32_t n2)
{
    struct advice a = {.kind = k, .ip_version = (uint8_t)ip_version, .n1 = n1, .n2 = n2};
    a.src = *src;
    a.dst = *dst;
    inf_advise(inf, &a);
}

static void wg_mtu_rec(struct inference *inf, int ip_version, uint32_t big, bool proven)
{
    struct advice a = {.kind = ADV_WG_MTU_BELOW,
                       .layer = LAYER_WIREGUARD,
                       .ip_version = (uint8_t)ip_version,
                       .proven = proven,
                       .n1 = big};
    inf_advise(inf, &a);
}

/* The WireGuard MTU limit a measured outer loss proves (the largest
 * measured WireGuard direction). */
static void measured_tunnel_rec(struct inference *inf, const struct tally *t)
{
    if (t->measured && (t->md->kinds & (1u << CORR_WG)))
        wg_mtu_rec(inf, t->md->version, t->mv.smallest_lost, true);
}

/* What the sentences of a verdict read: the tally's headline records, the
 * inputs' names, the first tunnel recommendation. */
struct say_ctx {
    struct input_stats *const *inputs;
    const struct results *res;
    const struct tally *t;
    struct advice rec_cfg; /* the first tunnel with a recommendation (kind 0 when none) */
    bool has_cfg;
    uint64_t frag_lost;
    int ninputs;
};

typedef void (*say_fn)(struct inference *inf, const struct say_ctx *c);

static void say_fragment_loss(struct inference *inf, const struct say_ctx *c)
{
    const struct tally *t = c->t;
    if (t->blackholes || t->suspected || c->res->retransmissions)
        inf_fmt(&inf->summary,
                "%" PRIu64 " fragmented IP datagram%s never completed while the flows stall or "
                "retransmit: fragments are being dropped on the path.",
                c->frag_lost, c->frag_lost == 1 ? "" : "s");
    else
        inf_fmt(&inf->summary,
                "%" PRIu64 " fragmented IP datagrams never completed and not one completed, "
                "although the capture went on: fragments are being dropped on the path, and every "
                "datagram larger than the path MTU is lost with them.",
                c->frag_lost);
    if (c->has_cfg)
        inf_advise(inf, &c->rec_cfg);
    advise(inf, ADV_STOP_FRAGMENT_DROPS);
}

/* Only the small last fragments came: a size limit, not a fragment filter
 * (verdict.c's fragment_size_limit). */
static void say_fragment_size_limit(struct inference *inf, const struct say_ctx *c)
{
    const struct defrag_lost *x = NULL;
    for (int i = 0; i < c->ninputs && !x; i++)
        if (c->inputs[i]->nfrag_lost)
            x = &c->inputs[i]->frag_lost[0];
    char a[64] = "?", b[64] = "?";
    struct addr src, dst;
    memset(&src, 0, sizeof src);
    memset(&dst, 0, sizeof dst);
    if (x) {
        addr_from_bytes(&src, x->version, x->src);
        addr_from_bytes(&dst, x->version, x->dst);
        addr_text(&src, a, sizeof a);
        addr_text(&dst, b, sizeof b);
    }
    inf_fmt(&inf->summary,
            "%" PRIu64 " fragmented IP datagram%s from %s to %s never completed: of each, only "
            "the small last fragment arrived and the full-size ones never did. A fragment filter "
            "would keep the first fragment and drop the rest; losing the largest packets and "
            "keeping the small ones is a size limit on the path (a black hole), and letting "
            "these fragments through would not help: packets this large must not be sent. If "
            "this is a tunnel's inside, the tunnel's packets are too big for the path under it "
            "(dropped, or fragmented there and their fragments dropped): a tunnel MTU small "
            "enough that they cross whole fixes either.",
            c->frag_lost, c->frag_lost == 1 ? "" : "s", a, b);
    if (c->has_cfg)
        inf_advise(inf, &c->rec_cfg);
    if (x)
        advise_path(inf, ADV_PROBE, &src, &dst, x->version, 0, 0);
    advise(inf, ADV_ALLOW_ICMP_ANY);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static void say_measured_loss(struct inference *inf, const struct say_ctx *c)
{
    const struct tally *t = c->t;
    char a[64], b[64];
    struct addr src, dst;
    corr_dir_addrs(t->md, &src, &dst);
    addr_text(&src, a, sizeof a);
    addr_text(&dst, b, sizeof b);
    const struct corr_verdict *v = &t->mv;
    inf_fmt(&inf->summary,
            "Measured across two captures: all %" PRIu64 " packets of %u bytes or more from %s "
            "to %s were lost between %s and %s, while every size up to %u bytes crossed: the "
            "path MTU is %u to %u bytes and nothing tells the sender.",
            v->lost_at_or_above, v->smallest_lost, a, b, base_name(c->inputs[t->mup]->path),
            base_name(c->inputs[t->mdown]->path), v->largest_delivered, v->largest_delivered,
            v->smallest_lost - 1);
    measured_tunnel_rec(inf, t);
    advise_path(inf, ADV_PROBE, &src, &dst, t->md->version, v->largest_delivered,
                v->smallest_lost - 1);
    advise(inf, ADV_ALLOW_ICMP_ANY);
}

static void say_wg_counter_gap(struct inference *inf, const struct say_ctx *c)
{
    const struct flow_summary *f = c->t->wg_flow;
    char a[64], b[64];
    const struct addr *src, *dst;
    inf_direction_addrs(f, f->wg_lost_dir, &src, &dst);
    inf_fmt(&inf->summary,
            "%" PRIu32 " WireGuard data messages from %s to %s never arrived while smaller "
            "ones did (nothing larger than %u bytes): the tunnel's packets are likely too big for "
            "the path (seen from the receiving side, the exact limit is not in this capture).",
            f->wg_lost, addr_text(src, a, sizeof a), addr_text(dst, b, sizeof b),
            f->dir[f->wg_lost_dir].max_packet);
    wg_mtu_rec(inf, f->ip_version, 0, false);
    advise(inf, ADV_CAPTURE_PEER);
}

/* The lost packets went with DF clear (IPv4): they cross as fragments,
 * cut by the router at the bottleneck (which then sends no ICMP) or by the
 * sender itself once an ICMP message told it the MTU, so what is dropped
 * is fragments, and letting ICMP through cannot help.  Says so, and gives
 * the fix that works instead of the ICMP one; false when DF was set. */
static bool say_df_clear(struct inference *inf, const struct flow_summary *f, int d)
{
    if (!inf_df_clear_lost(f, d))
        return false;
    inf_fmt(&inf->summary,
            "%s Those packets have DF clear: they cross as fragments (cut by a router, which "
            "sends no ICMP then, or by the sender after an ICMP message), so it is their "
            "fragments that are dropped, and letting ICMP through cannot help.",
            inf->summary);
    advise(inf, ADV_STOP_FRAGMENT_DROPS);
    return true;
}

/* How the run shows the path was up while the copies were lost. */
static void resend_alive(const struct resend_run *r, char *buf, size_t size)
{
    if (r->peer || r->smaller)
        snprintf(buf, size, "while smaller ones cross both ways");
    else
        snprintf(buf, size,
                 "while the peer, which answered %.3f s before the first copy, falls silent "
                 "(it receives nothing)",
                 (double)r->peer_before_ns / 1e9);
}

static void say_tunnel_resend(struct inference *inf, const struct say_ctx *c)
{
    const struct flow_summary *f = c->t->resend_flow;
    const struct resend_run *r = &c->t->resend->run;
    char a[64], b[64], alive[160];
    const struct addr *src, *dst;
    inf_direction_addrs(f, c->t->resend->dir, &src, &dst);
    addr_text(src, a, sizeof a);
    addr_text(dst, b, sizeof b);
    resend_alive(r, alive, sizeof alive);
    uint32_t over = tunnel_overhead_bytes(LAYER_WIREGUARD, f->ip_version, 0);
    if (f->opaque == LAYER_WIREGUARD) {
        inf_fmt(&inf->summary,
                "%s keeps re-sending %u-byte WireGuard datagrams (%u-byte packets inside the "
                "tunnel) to %s with a doubling timeout %s: the path drops the tunnel's full-size "
                "packets (seen from the sending side, the exact limit is not in this capture).",
                a, r->size, r->size - over, b, alive);
        wg_mtu_rec(inf, f->ip_version, r->size, false);
    } else if (f->opaque) {
        inf_fmt(&inf->summary,
                "%s keeps re-sending %u-byte %s datagrams to %s with a doubling timeout %s: the "
                "path drops the tunnel's full-size packets (seen from the sending side, the exact "
                "limit is not in this capture).",
                a, r->size, inf_opaque_name(f->opaque), b, alive);
        struct advice below = {.kind = ADV_TUNNEL_BELOW, .layer = f->opaque, .n1 = r->size};
        inf_advise(inf, &below);
    } else {
        inf_fmt(&inf->summary,
                "%s keeps re-sending %u-byte UDP datagrams to %s (port %u) with a doubling "
                "timeout %s: the path drops datagrams of that size (seen from the sending side, "
                "the exact limit is not in this capture).",
                a, r->size, b, c->t->resend->dir ? f->client_port : f->server_port, alive);
        struct advice below = {.kind = ADV_UDP_BELOW, .n1 = r->size};
        inf_advise(inf, &below);
    }
    advise_path(inf, ADV_PROBE, src, dst, f->ip_version, 0, 0);
    if (!say_df_clear(inf, f, c->t->resend->dir))
        advise(inf, ADV_ALLOW_ICMP_ANY);
}

/* The sender's, the receiver's and the healed black hole share their fix:
 * let ICMP through, or clamp the MSS. */
static void flow_label(const struct flow_summary *f, char *buf, size_t size)
{
    const char *svc = compare_service_name(f->server_port);
    if (svc)
        snprintf(buf, size, "#%" PRIu64 " (%s)", f->id, svc);
    else
        snprintf(buf, size, "#%" PRIu64 " (port %u)", f->id, f->server_port);
}

/* SSH works, HTTP stalls: on the same path, flows whose packets stay small
 * cross a black hole unharmed while flows that send full-size packets
 * stall.  The TCP flows of this input between the black hole's two hosts,
 * the same way, that delivered all their data and never sent anything
 * above the black hole's largest delivered size, are named in one
 * sentence: they show the path works for small packets, and are no
 * evidence against the black hole. */
static void say_small_flows_work(struct inference *inf, const struct say_ctx *c,
                                 const struct flow_summary *f, int d)
{
    const struct tally *t = c->t;
    const struct addr *src, *dst;
    inf_direction_addrs(f, d, &src, &dst);
    char names[256] = "", one[48];
    size_t n = 0;
    int count = 0;
    uint32_t largest = 0;
    for (uint32_t i = 0; i < c->res->nflows && count < 4; i++) {
        const struct flow_summary *g = &c->res->flows[i];
        if (g == f || g->proto != IP_PROTO_TCP || g->input != f->input || g->stalled)
            continue;
        int gd = !addr_cmp(&g->client, src) && !addr_cmp(&g->server, dst)   ? 0
                 : !addr_cmp(&g->server, src) && !addr_cmp(&g->client, dst) ? 1
                                                                            : -1;
        if (gd < 0)
            continue;
        const struct flow_dir_summary *x = &g->dir[gd];
        if (!compare_small_flow_works(g, gd, t->worst_largest_delivered))
            continue;
        /* bytes that never reached its receiver (a hole, seen from there) is
         * no flow that delivered everything, however small its packets */
        const struct inf_blackhole *gb = inference_blackhole(inf, g->id);
        if (gb && !gb->healed)
            continue;
        flow_label(g, one, sizeof one);
        n += (size_t)snprintf(names + n, n < sizeof names ? sizeof names - n : 0, "%s%s",
                              count ? ", " : "", one);
        if (x->max_packet > largest)
            largest = x->max_packet;
        count++;
    }
    if (!count || n >= sizeof names)
        return;
    char mine[48];
    flow_label(f, mine, sizeof mine);
    inf_fmt(&inf->summary,
            "%s Flows whose packets stay small work on the same path: %s delivered everything in "
            "packets of at most %u bytes, while %s stalls on %u-byte packets.",
            inf->summary, names, largest, mine, t->worst_smallest_lost);
}

static void say_tcp_blackhole(struct inference *inf, const struct say_ctx *c)
{
    const struct tally *t = c->t;
    const struct flow_summary *f = t->worst;
    char a[64], b[64];
    const struct addr *src, *dst;
    inf_direction_addrs(f, t->worst_dir, &src, &dst);
    addr_text(src, a, sizeof a);
    addr_text(dst, b, sizeof b);
    const struct icmp_mtu_msg *tm = inf_tunnel_icmp(c->inputs, c->ninputs, c->res, f);
    char e[64];
    if (t->blackholes && tm)
        inf_fmt(&inf->summary,
                "Packets of %u bytes from %s never arrive at %s while packets up to %u bytes "
                "do.  A router reports an MTU of %u bytes for the tunnel's outer packets "
                "(frame %" PRIu64 "), but that message goes to the tunnel endpoint %s, and the "
                "sender inside the tunnel is never told: lower the tunnel's MTU.",
                t->worst_smallest_lost, a, b, t->worst_largest_delivered, tm->mtu, tm->frame,
                addr_text(&tm->qsrc, e, sizeof e));
    else if (t->blackholes && inf->rule == VR_DF_CLEAR_LOSS)
        /* the DF sentence (say_df_clear) follows with the mechanism */
        inf_fmt(&inf->summary,
                "Packets of %u bytes from %s never arrive at %s while packets up to %u bytes "
                "do: the transfer stalls.",
                t->worst_smallest_lost, a, b, t->worst_largest_delivered);
    else if (t->blackholes)
        inf_fmt(&inf->summary,
                "Packets of %u bytes from %s never arrive at %s while packets up to %u bytes "
                "do, and no ICMP message tells the sender: a path-MTU black hole stalls the "
                "transfer.",
                t->worst_smallest_lost, a, b, t->worst_largest_delivered);
    else if (t->suspected)
        inf_fmt(&inf->summary,
                "Data from %s stops arriving at %s: nothing larger than %u bytes gets through "
                "although the connection allows %u-byte packets; a path-MTU black hole is likely "
                "(seen from the receiving side, the exact limit is not in this capture).",
                a, b, t->worst_largest_delivered, t->worst_smallest_lost);
    else {
        const struct inf_blackhole *bh = inference_blackhole(inf, f->id);
        uint8_t healer = bh ? bh->healer : HEAL_UNKNOWN;
        double cost = bh ? (double)bh->cost_ns / 1e9 : 0;
        inf_fmt(&inf->summary,
                "Packets of %u bytes from %s never arrived at %s; the sender recovered by "
                "sending smaller packets (up to %u bytes%s), at the cost of %.1f s of timeouts.",
                t->worst_smallest_lost, a, b, t->worst_largest_delivered,
                healer == HEAL_DF_CLEARED
                    ? ", DF cleared: the black hole detection of Windows or macOS"
                : healer == HEAL_MTU_PROBING ? ", DF kept: TCP MTU probing"
                                             : "",
                cost);
    }
    if (t->blackholes || t->suspected)
        say_small_flows_work(inf, c, f, t->worst_dir);
    if (c->has_cfg)
        inf_advise(inf, &c->rec_cfg);
    measured_tunnel_rec(inf, t);
    inf_tunnel_hint(inf, f, t->worst_dir);
    uint32_t exact = 0;
    for (int k = 0; k < inf->npaths; k++) {
        const struct inf_path *p = &inf->paths[k];
        if (!addr_cmp(&p->src, src) && !addr_cmp(&p->dst, dst) && p->mtu)
            exact = p->mtu;
    }
    if (!say_df_clear(inf, f, t->worst_dir) && !tm) /* tm: ICMP does come, to the wrong host */
        advise_path(inf, ADV_ALLOW_ICMP, src, dst, f->ip_version, 0, 0);
    if (exact > inf_tcpip_hdr(f)) {
        struct advice clamp = {.kind = ADV_CLAMP_MSS, .n1 = exact - inf_tcpip_hdr(f)};
        inf_advise(inf, &clamp);
    } else {
        /* the exact path MTU is not known here, but the router at the
         * bottleneck knows its own link: clamp to its route MTU */
        advise(inf, ADV_CLAMP_TO_PMTU);
    }
    if (!exact)
        advise_path(inf, ADV_PROBE, src, dst, f->ip_version, 0, 0);
    if (f->proto != IP_PROTO_TCP)
        return;
    const struct inf_blackhole *bh = inference_blackhole(inf, f->id);
    if (t->blackholes || t->suspected) {
        advise_path(inf, ADV_SENDER_SELF_HEAL, src, dst, f->ip_version, 0, 0);
    } else if (bh && bh->healed) {
        struct advice h = {.kind = ADV_SELF_HEALED,
                           .ip_version = (uint8_t)f->ip_version,
                           .n1 = (uint32_t)(bh->cost_ns / 1000000),
                           .n2 = bh->healer};
        h.src = *src;
        h.dst = *dst;
        inf_advise(inf, &h);
    }
}

static void say_silent_sender(struct inference *inf, const struct say_ctx *c)
{
    const struct tally *t = c->t;
    const struct flow_summary *f = t->silent_flow;
    char a[64], b[64];
    const struct addr *src, *dst;
    inf_direction_addrs(f, t->silent_dir, &src, &dst);
    addr_text(src, a, sizeof a);
    addr_text(dst, b, sizeof b);
    inf_fmt(&inf->summary,
            "A transfer from %s to %s stops after its first small segments and the connection "
            "stays open and silent while other traffic between the two goes on: %u-byte packets "
            "from %s are probably not arriving (seen from the receiving side; a capture at %s "
            "would prove it).",
            a, b, t->silent_full, a, a);
    inf_tunnel_hint(inf, f, t->silent_dir);
    advise_path(inf, ADV_PROBE, src, dst, f->ip_version, 0, 0);
    advise(inf, ADV_CLAMP_TO_PMTU);
}

static void say_sweep_cliff(struct inference *inf, const struct say_ctx *c)
{
    const struct pmtud_sweep *sw = c->t->sweep;
    char a[64], b[64];
    inf_fmt(&inf->summary,
            "A ping sweep from %s to %s: echo requests up to %u bytes are answered, from %u bytes "
            "on none is, and no ICMP message comes back: packets above %u bytes are silently "
            "dropped.",
            addr_text(&sw->src, a, sizeof a), addr_text(&sw->dst, b, sizeof b),
            sw->largest_answered, sw->smallest_unanswered, sw->smallest_unanswered - 1);
    /* TCP's MSS is the MTU less the IP and TCP headers: 20 + 20 for IPv4,
     * 40 + 20 for IPv6 (RFC 879, RFC 8200); and the message that tells the
     * sender is ICMPv6 packet-too-big for IPv6 (RFC 4443) */
    bool v6 = sw->src.addr_type == ADDR_TYPE_IP6;
    advise_path(inf, ADV_KEEP_BELOW, &sw->src, &sw->dst, v6 ? 6 : 4, sw->smallest_unanswered - 1,
                0);
}

static void say_icmp_ignored(struct inference *inf, const struct say_ctx *c)
{
    (void)c;
    inf_fmt(&inf->summary, "A sender keeps sending packets larger than the path MTU that ICMP "
                           "messages reported to it: those packets are lost.");
    advise(inf, ADV_SENDER_FIREWALL);
}

static void say_storm(struct inference *inf, const struct say_ctx *c)
{
    inf_fmt(&inf->summary,
            "%u retransmission storm%s, but no sign that packet size is the cause: look for "
            "congestion or a lossy link.",
            c->res->nstorms, c->res->nstorms == 1 ? "" : "s");
}

static void say_capped(struct inference *inf, const struct say_ctx *c)
{
    if (c->t->capped_from) /* seen at the sender (inf_tcp.c resized_at_once()) */
        inf_fmt(&inf->summary,
                "Path-MTU discovery works: the sender re-sent the data of its %u-byte packets "
                "at once in smaller ones, without waiting for a timeout, and packets up to %u "
                "bytes were delivered (flow #%" PRIu64
                "): it learned a smaller path MTU, from an ICMP message this capture does not "
                "hold (taken inside a tunnel, or beside the message's way).",
                c->t->capped_from, c->t->capped_size, c->t->capped_flow->id);
    else
        inf_fmt(&inf->summary,
                "The sender re-sent its data in packets of at most %u bytes, below what the MSS "
                "allows: it learned a smaller path MTU (from ICMP or its own probing; this "
                "capture is from the receiving side).",
                c->t->capped_size);
}

static void say_pmtud_working(struct inference *inf, const struct say_ctx *c)
{
    if (c->t->probe_mtu && !c->t->pmtud_mtu) /* a DF ping sweep, no TCP sender */
        inf_fmt(&inf->summary,
                "Path-MTU discovery works: DF echo requests larger than %u bytes draw ICMP "
                "messages from a router reporting MTU %u, so senders on this path learn it; "
                "the path MTU is %u bytes.",
                c->t->probe_mtu, c->t->probe_mtu, c->t->probe_mtu);
    else if (c->t->pmtud_guessed)
        inf_fmt(&inf->summary,
                "Path-MTU discovery works, barely: a router says packets are too big without "
                "giving the MTU (0, a pre-RFC 1191 router); the sender falls back to the RFC "
                "1191 plateau of %u bytes and its packets get through.",
                c->t->pmtud_mtu);
    else
        inf_fmt(&inf->summary,
                "Path-MTU discovery works: a router reports a path MTU of %u bytes with ICMP and "
                "the sender shrinks its packets to fit.",
                c->t->pmtud_mtu);
    if (c->has_cfg)
        inf_advise(inf, &c->rec_cfg);
}

static void say_mss_clamped(struct inference *inf, const struct say_ctx *c)
{
    (void)c;
    inf_fmt(&inf->summary, "The TCP MSS is clamped on the path, so TCP never sends packets too big "
                           "for it; protocols other than TCP are not protected.");
}

static void say_udp_resent(struct inference *inf, const struct say_ctx *c)
{
    const struct udpx_conv *x = c->t->resent;
    struct addr a, b;
    addr_from_bytes(&a, x->version, x->a);
    addr_from_bytes(&b, x->version, x->b);
    char sa[64], sb[64], fl[32] = "";
    if (c->t->resent_flow)
        snprintf(fl, sizeof fl, " (flow #%" PRIu64 ")", c->t->resent_flow);
    inf_fmt(&inf->summary,
            "Suspected fragment loss, not proven: %s re-sent the same UDP request %" PRIu32
            " times, each a timeout after a fragmented reply from %s and never after a small "
            "one%s, as if the fragmented replies never arrived. This capture cannot see them "
            "arrive (UDP carries no acknowledgement): a capture at %s would show it.",
            addr_text(&a, sa, sizeof sa), x->rep_after_frag, addr_text(&b, sb, sizeof sb), fl, sa);
    advise(inf, ADV_CAPTURE_PEER);
}

static void say_tcp_delivered(struct inference *inf, const struct say_ctx *c)
{
    (void)c;
    inf_fmt(&inf->summary,
            "No sign of an MTU problem: TCP data was delivered in every size sent, with no "
            "black hole, no lost fragments and no retransmission storm.");
}

static void say_tunnel_clean(struct inference *inf, const struct say_ctx *c)
{
    const struct flow_summary *f = c->t->clean_flow;
    char a[64], b[64];
    uint32_t big =
        f->dir[0].max_packet > f->dir[1].max_packet ? f->dir[0].max_packet : f->dir[1].max_packet;
    inf_fmt(&inf->summary,
            "No sign of an MTU problem: every one of %" PRIu32 " WireGuard data messages between "
            "%s and %s (up to %u bytes) arrived, none missing and none re-sent with backoff; the "
            "traffic inside the tunnel is not visible here.",
            f->wg_data, addr_text(&f->client, a, sizeof a), addr_text(&f->server, b, sizeof b),
            big);
    /* a stated proof (inf_tunnel.c's wg_proof): the full-size datagrams
     * crossed, so the tunnel MTU that made them works */
    bool exact;
    uint32_t mtu = inf_wg_mtu_in_use(f, &exact);
    if (mtu && exact)
        inf_fmt(&inf->summary,
                "%s The WireGuard MTU in use is %u bytes (its padded packets stop there, not at a "
                "multiple of 16) and it works: %u-byte datagrams crossed with contiguous "
                "counters.",
                inf->summary, mtu, big);
    else if (mtu)
        inf_fmt(&inf->summary,
                "%s The WireGuard MTU in use, at least %u bytes, works: %u-byte datagrams crossed "
                "with contiguous counters.",
                inf->summary, mtu, big);
}

static void say_fragments_arrived(struct inference *inf, const struct say_ctx *c)
{
    const struct defrag_arrived *a = c->t->arrived;
    bool v6 = a->version == 6;
    struct addr src, dst;
    addr_from_bytes(&src, a->version, a->src);
    addr_from_bytes(&dst, a->version, a->dst);
    char s[64], d[64];
    inf_fmt(&inf->summary,
            "No sign of an MTU problem: %" PRIu32 " fragmented %s datagram%s from %s to %s "
            "arrived complete past a router (%s%s %u), in fragments of up to %u bytes (frame "
            "%" PRIu64 "), the size a link on the way was cut to; no datagram lost its "
            "fragments.",
            a->datagrams, a->proto == 17 ? "UDP" : "IP", a->datagrams == 1 ? "" : "s",
            addr_text(&src, s, sizeof s), addr_text(&dst, d, sizeof d), a->depth ? "outer " : "",
            v6 ? "hop limit" : "TTL", a->ttl, a->nonlast, a->frame);
}

static void say_untested(struct inference *inf, const struct say_ctx *c)
{
    const struct tally *t = c->t;
    const struct flow_summary *f = t->untested_flow;
    char a[64], b[64];
    if (t->untested_full)
        inf_fmt(&inf->summary,
                "Not tested: TCP data was delivered, but the largest packet was %u bytes, below "
                "the %u bytes the MSS allows (flow #%" PRIu64 ", %s - %s): small packets cross a "
                "path-MTU black hole unharmed, so this capture says nothing about the MTU.",
                t->untested_largest, t->untested_full, f->id, addr_text(&f->client, a, sizeof a),
                addr_text(&f->server, b, sizeof b));
    else
        inf_fmt(
            &inf->summary,
            "Not tested: TCP data was delivered, but no packet larger than %u bytes (flow #%" PRIu64
            ", %s - %s; its SYN, with the MSS, is not in the capture): small packets cross a "
            "path-MTU black hole unharmed, so this capture says nothing about the MTU.",
            t->untested_largest, f->id, addr_text(&f->client, a, sizeof a),
            addr_text(&f->server, b, sizeof b));
    advise(inf, ADV_CAPTURE_FULL_SIZE);
}

/* What the inputs' ICMP MTU messages were, when none served: "no ICMP MTU
 * message" only when there was none. */
static void icmp_clause(const struct say_ctx *c, char *buf, size_t size)
{
    int n = 0;
    const struct icmp_mtu_msg *bad = NULL;
    for (int i = 0; i < c->ninputs; i++)
        for (int k = 0; k < c->inputs[i]->nicmp; k++) {
            const struct icmp_mtu_msg *m = &c->inputs[i]->icmp[k];
            n++;
            /* RFC 8200's and RFC 791's minimum MTUs: a smaller one is a lie */
            if (!bad && m->mtu && m->mtu < (m->v6 ? 1280u : 68u))
                bad = m;
        }
    if (!n)
        snprintf(buf, size, "no ICMP MTU message");
    else if (bad)
        snprintf(buf, size,
                 "%d ICMP MTU message%s that cannot be true (frame %" PRIu64 ": %s of %u bytes, "
                 "below %s's minimum of %u)",
                 n, n == 1 ? "" : "s", bad->frame, bad->v6 ? "a packet-too-big" : "a frag-needed",
                 bad->mtu, bad->v6 ? "IPv6" : "IPv4", bad->v6 ? 1280u : 68u);
    else
        snprintf(buf, size, "%d ICMP MTU message%s about no flow judged here", n,
                 n == 1 ? "" : "s");
}

static void say_syn_flood(struct inference *inf, const struct say_ctx *c)
{
    const struct results_listener *l = c->t->syn_listener;
    char a[64];
    inf_fmt(&inf->summary,
            "Not tested: %" PRIu64 " connection attempts to %s%s%s port %u got no answer (no "
            "SYN-ACK, no RST) within the 1 s SYN timeout: a SYN flood, or a listener or filter "
            "dropping them. A SYN carries no data, so this is no MTU effect and the capture says "
            "nothing about the path MTU.",
            l->judged.attempts, l->ip_version == 6 ? "[" : "", addr_text(&l->addr, a, sizeof a),
            l->ip_version == 6 ? "]" : "", l->port);
}

/* "no ping sweep", or the sweep whose unanswered sizes every path carries
 * (inf_sweep_stage() found no cliff in it): named, not denied. */
static void sweep_clause(const struct say_ctx *c, char *buf, size_t size)
{
    const struct pmtud_sweep *s = c->t->sweep_small;
    char a[64], b[64];
    if (!s)
        snprintf(buf, size, "no ping sweep");
    else
        snprintf(buf, size,
                 "a ping sweep from %s to %s whose requests from %u bytes went unanswered, a size "
                 "every path carries (lost for another reason)",
                 addr_text(&s->src, a, sizeof a), addr_text(&s->dst, b, sizeof b),
                 s->smallest_unanswered);
}

static void say_no_evidence(struct inference *inf, const struct say_ctx *c)
{
    char icmp[200], sweep[240];
    icmp_clause(c, icmp, sizeof icmp);
    sweep_clause(c, sweep, sizeof sweep);
    const struct flow_summary *wg = c->t->wg_unproven;
    if (wg) {
        char a[64], b[64], small[80];
        uint32_t floor = inf_every_path_carries(wg->ip_version);
        snprintf(small, sizeof small, "none was larger than every path carries (%u bytes)", floor);
        uint32_t big = wg->dir[0].max_packet > wg->dir[1].max_packet ? wg->dir[0].max_packet
                                                                     : wg->dir[1].max_packet;
        /* full-size messages followed by later counters, but captured where
         * they left: the counters after them are their sender's own */
        char why[240] = "";
        for (int d = 0; d < 2 && !why[0]; d++)
            if ((wg->wg_followed >> d & 1) && wg->dir[d].max_packet + 15u >= big &&
                !inf_wg_crossed(wg, d)) {
                char s[64];
                const struct addr *src, *dst;
                inf_direction_addrs(wg, d, &src, &dst);
                snprintf(why, sizeof why,
                         "the full-size messages from %s were captured where they left (TTL %u, "
                         "before any router): the counters after them are their sender's own",
                         addr_text(src, s, sizeof s), wg->dir[d].ttl);
            }
        inf_fmt(&inf->summary,
                "Not enough evidence: the %" PRIu32 " WireGuard data messages between %s and %s "
                "(up to %u bytes) show no counter missing, but %s, and a message lost after the "
                "last one arrived cannot show in the counters; no TCP data whose delivery can be "
                "judged, %s, %s.",
                wg->wg_data, addr_text(&wg->client, a, sizeof a),
                addr_text(&wg->server, b, sizeof b), big,
                big <= floor ? small
                : why[0]     ? why
                             : "no full-size message was followed by a later one",
                icmp, sweep);
        return;
    }
    uint64_t fresh = 0, frame = 0;
    uint32_t big = 0;
    for (int i = 0; i < c->ninputs; i++) {
        fresh += c->inputs[i]->frag_complete_fresh;
        if (c->inputs[i]->frag_fresh_nonlast > big) {
            big = c->inputs[i]->frag_fresh_nonlast;
            frame = c->inputs[i]->frag_fresh_frame;
        }
    }
    if (fresh && !c->frag_lost) {
        /* complete, but with the TTL their sender gave them: the capture
         * may be at that sender, where nothing has crossed yet */
        inf_fmt(&inf->summary,
                "Not enough evidence: %" PRIu64 " fragmented datagram%s (fragments up to %u "
                "bytes, frame %" PRIu64 ") %s complete here, but with the TTL %s sender gave "
                "%s: this capture may be at the sender, where nothing has crossed the path yet, "
                "or on a tunnel's interface, where no router lowers it; no TCP data whose "
                "delivery can be judged, %s, %s.",
                fresh, fresh == 1 ? "" : "s", big, frame, fresh == 1 ? "is" : "are",
                fresh == 1 ? "its" : "their", fresh == 1 ? "it" : "them", icmp, sweep);
        advise(inf, ADV_CAPTURE_PEER);
        return;
    }
    if (c->t->loopback_tcp)
        inf_fmt(&inf->summary,
                "Not enough evidence: no TCP data whose delivery can be judged (%d TCP "
                "connection%s between loopback addresses never left %s host, and test%s no "
                "path), %s, %s.",
                c->t->loopback_tcp, c->t->loopback_tcp == 1 ? "" : "s",
                c->t->loopback_tcp == 1 ? "its" : "their", c->t->loopback_tcp == 1 ? "s" : "", icmp,
                sweep);
    else
        inf_fmt(&inf->summary,
                "Not enough evidence: no TCP data whose delivery can be judged, %s, %s.", icmp,
                sweep);
}

/* Losses with DF clear: the same sentences as the black hole they look
 * like from the sender's side, TCP's or a tunnel's re-sending, whichever
 * the tally leads with; say_df_clear adds the mechanism (fragments
 * dropped) and the fix that works (not ICMP). */
static void say_df_clear_loss(struct inference *inf, const struct say_ctx *c)
{
    if (c->t->blackholes)
        say_tcp_blackhole(inf, c);
    else
        say_tunnel_resend(inf, c);
}

/* The sentences of each rule of verdict.c's table, by rule id. */
static const say_fn say_rule[VR__COUNT] = {
    [VR_FRAGMENT_SIZE_LIMIT] = say_fragment_size_limit,
    [VR_FRAGMENT_LOSS] = say_fragment_loss,
    [VR_DF_CLEAR_LOSS] = say_df_clear_loss,
    [VR_SENDER_BLACKHOLE] = say_tcp_blackhole,
    [VR_MEASURED_LOSS] = say_measured_loss,
    [VR_RECEIVER_SUSPECTED] = say_tcp_blackhole,
    [VR_HEALED_BY_SENDER] = say_tcp_blackhole,
    [VR_WG_COUNTER_GAP] = say_wg_counter_gap,
    [VR_TUNNEL_RESEND] = say_tunnel_resend,
    [VR_SILENT_SENDER] = say_silent_sender,
    [VR_SWEEP_CLIFF] = say_sweep_cliff,
    [VR_ICMP_IGNORED] = say_icmp_ignored,
    [VR_STORM] = say_storm,
    [VR_CAPPED_BELOW_MSS] = say_capped,
    [VR_PMTUD_WORKING] = say_pmtud_working,
    [VR_MSS_CLAMPED] = say_mss_clamped,
    [VR_UDP_RESENT] = say_udp_resent,
    [VR_TCP_DELIVERED] = say_tcp_delivered,
    [VR_TUNNEL_CLEAN] = say_tunnel_clean,
    [VR_FRAGMENTS_ARRIVED] = say_fragments_arrived,
    [VR_SYN_FLOOD] = say_syn_flood,
    [VR_UNTESTED] = say_untested,
    [VR_NO_EVIDENCE] = say_no_evidence,
};

/* What links state about their MTU (inf_link.c) holds whatever the verdict:
 * an OSPF mismatch is said in the summary (the adjacency is down, whatever
 * TCP did), and both give their advice after the verdict's. */
static void link_facts(struct inference *inf, const struct tally *t)
{
    if (t->ospf_mismatch) {
        const struct ospf_dbd_msg *a = t->ospf, *b = t->ospf_peer;
        char sa[64], sb[64];
        inf_fmt(&inf->summary,
                "%s%sOSPF routers %s and %s state different interface MTUs (%u and %u): their "
                "adjacency cannot form until the MTUs are equal.",
                inf->summary ? inf->summary : "", inf->summary ? " " : "",
                addr_text(&a->src, sa, sizeof sa), addr_text(&b->src, sb, sizeof sb), a->mtu,
                b->mtu);
        struct advice adv = {.kind = ADV_EQUAL_MTU, .src = a->src, .dst = b->src};
        adv.n1 = a->mtu;
        adv.n2 = b->mtu;
        adv.ip_version = a->version == 3 ? 6 : 4;
        adv.proven = true;
        inf_advise(inf, &adv);
    }
    /* 1500 bytes is Ethernet's own MTU: a link that large asks nothing of TCP */
    if (t->link_mrus && t->link_mru < 1500) {
        struct advice adv = {.kind = ADV_LINK_MSS, .proven = true};
        adv.layer = t->link_pppoe ? LAYER_PPPOE : LAYER_PPP;
        adv.n1 = t->link_mru;
        adv.n2 = t->link_mru - 40u;
        inf_advise(inf, &adv);
    }
}

/* The tally's counts, as the verdict table reads them. */
static struct verdict_evidence evidence_of(const struct tally *t, const struct results *res,
                                           uint64_t frag_lost)
{
    struct verdict_evidence e = {0};
    e.frag_incomplete = frag_lost;
    e.retransmissions = res->retransmissions;
    e.storms = res->nstorms;
    e.blackholes = t->blackholes;
    e.measured = t->measured;
    e.suspected = t->suspected;
    e.healed = t->healed;
    e.wg_suspected = t->wg_suspected;
    e.resends = t->resends;
    e.df_clear_lost = t->df_clear_lost;
    e.silent = t->silent;
    e.sweep_cliffs = t->sweep_cliffs;
    e.icmp_ignored = t->icmp_ignored;
    e.capped = t->capped;
    e.pmtud_ok = t->pmtud_ok;
    e.clamped = t->clamped;
    e.tcp_delivered = t->tcp_delivered;
    e.tcp_tested = t->tcp_tested;
    e.tunnel_clean = t->tunnel_clean;
    e.syn_floods = t->syn_floods;
    e.frag_arrived = t->frag_arrived;
    e.udp_resent = t->udp_resent;
    return e;
}

/* The first rule of the table that holds gives the status; its sentences
 * say what it found and what to do. */
/* A capture that dropped packets (pcapng statistics) counts them as lost
 * and re-sent: whatever the verdict, its summary says so next to it, since
 * every count it rests on (retransmissions, holes, losses, and their absence)
 * is of the packets the capture kept. */
/* The rules whose proof is a packet missing from the capture: a hole in
 * the received data, a WireGuard counter skipped, a fragment that never
 * came, a packet seen at one capture point and not the other, an echo
 * request left unanswered.  A capture that dropped packets makes the same
 * gaps itself.  (A sender re-sending with backoff is the sender's own
 * proof: it did not get the acknowledgement, whatever the capture kept.) */
static bool rests_on_missing(int rule)
{
    return rule == VR_RECEIVER_SUSPECTED || rule == VR_WG_COUNTER_GAP || rule == VR_FRAGMENT_LOSS ||
           rule == VR_MEASURED_LOSS || rule == VR_SWEEP_CLIFF;
}

/* An ICMP MTU message that is no capture artefact: a router said it. */
static bool icmp_corroborates(struct input_stats *const *inputs, int ninputs)
{
    for (int i = 0; i < ninputs; i++)
        for (int k = 0; k < inputs[i]->nicmp; k++) {
            const struct icmp_mtu_msg *m = &inputs[i]->icmp[k];
            if (m->mtu >= (m->v6 ? 1280u : 68u))
                return true;
        }
    return false;
}

static void say_capture_drops(struct inference *inf, struct input_stats *const *inputs, int ninputs)
{
    uint64_t dropped = 0;
    for (int i = 0; i < ninputs; i++)
        dropped += inputs[i]->scan.ifdrop + inputs[i]->scan.osdrop;
    if (dropped && rests_on_missing(inf->rule) && !icmp_corroborates(inputs, ninputs)) {
        /* the gaps may be the capture's own: suspected, not proven */
        inf->status = verdict_names[VS_INCONCLUSIVE].name;
        for (int i = 0; i < inf->nblackholes; i++)
            inf->blackholes[i].suspected = true;
        inf_fmt(&inf->summary,
                "Inconclusive: the capture itself dropped %" PRIu64 " packet%s (pcapng "
                "statistics), and the loss below is packets missing from it, which the capture's "
                "own drops make too; nothing independent (no ICMP MTU message) corroborates it, "
                "so it is suspected, not proven (capture again with a larger buffer, tcpdump -B, "
                "or a snap length of 200 bytes, -s 200). Suspected: %s",
                dropped, dropped == 1 ? "" : "s", inf->summary);
    } else if (dropped)
        inf_fmt(&inf->summary,
                "%s Caution: the capture itself dropped %" PRIu64 " packet%s (pcapng "
                "statistics): the retransmissions and losses this rests on may include %s.",
                inf->summary, dropped, dropped == 1 ? "" : "s", dropped == 1 ? "it" : "them");
}

/* -i any on a router (box.h): the drop located, whatever rule decided. */
static void box_facts(struct inference *inf, const struct tally *t)
{
    if (!t->box_loss)
        return;
    const struct box_dir *b = t->box;
    const struct flow_summary *f = t->box_flow;
    const struct addr *src, *dst;
    inf_direction_addrs(f, b->dir, &src, &dst);
    char a[64], c[64];
    inf_fmt(&inf->summary,
            "%s Measured at the capturing host (-i any, in and out): %u packet%s of %u bytes and "
            "up from %s to %s came in and never went out, while up to %u bytes were forwarded: "
            "this host is where they are dropped.",
            inf->summary, b->lost, b->lost == 1 ? "" : "s", b->lost_min,
            addr_text(src, a, sizeof a), addr_text(dst, c, sizeof c), b->fwd_max);
}

void inf_verdict(struct inference *inf, struct input_stats *const *inputs, int ninputs,
                 const struct results *res, const struct tally *t)
{
    struct say_ctx c = {inputs, res, t, {0}, false, 0, ninputs};
    c.frag_lost = inf_anomaly_total(inputs, ninputs, AN_FRAG_LOST);
    for (uint32_t i = 0; i < inf->ntunnels && !c.has_cfg; i++)
        if (inf->tunnels[i].recommended_mtu) {
            c.rec_cfg.kind = ADV_SET_TUNNEL_MTU;
            c.rec_cfg.layer = res->tunnels[i].type;
            c.rec_cfg.ip_version = res->tunnels[i].ip_version;
            c.rec_cfg.n1 = inf->tunnels[i].recommended_mtu;
            c.has_cfg = true;
        }
    struct verdict_evidence e = evidence_of(t, res, c.frag_lost);
    /* "Not one completed" is judged where datagrams were lost: at another
     * vantage point (their sender's, before the path) every datagram
     * completes, which says nothing of the path to the one that lost them */
    uint64_t reassembled = 0;
    for (int i = 0; i < ninputs; i++)
        if (inputs[i]->anomalies[AN_FRAG_LOST])
            reassembled += inputs[i]->reassembled;
    e.frag_none_reassembled = reassembled == 0;
    for (int i = 0; i < ninputs; i++)
        e.frag_lost_by_size += inputs[i]->frag_lost_by_size;
    const struct verdict_rule *rule = verdict_decide(&e);
    inf->rule = rule->id;
    inf->status = verdict_names[rule->status].name;
    say_rule[rule->id](inf, &c);
    link_facts(inf, t);
    box_facts(inf, t);
    say_capture_drops(inf, inputs, ninputs);
}
