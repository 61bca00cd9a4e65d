/*
 * wording_findings.c - every evidence record (evidence.h) in words: the
 * finding's message and the Wireshark filter that selects its frames.  The
 * verdict's and the advice's words are in wording.c.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "correlate.h"
#include "infer.h"
#include "tunnels.h"

/* ---- findings: an evidence record (evidence.h) in words ---- */

static const struct {
    enum inf_severity sev;
    const char *name;
} ev_meta[EV__COUNT] = {
#define EV_META(k, s, n) [k] = {s, n},
    EV_KINDS(EV_META)
#undef EV_META
};

static const char *dir_src(const struct ev_record *r, char *buf, size_t n)
{
    const struct addr *src, *dst;
    inf_direction_addrs(r->flow, r->dir, &src, &dst);
    return addr_text(src, buf, n);
}

static const char *dir_dst(const struct ev_record *r, char *buf, size_t n)
{
    const struct addr *src, *dst;
    inf_direction_addrs(r->flow, r->dir, &src, &dst);
    return addr_text(dst, buf, n);
}

/* The finding's filter_note: what its Wireshark filter shows besides the
 * cited frames, in words; for a flow's filter (f, direction d or both when
 * d < 0), also the fragmented datagrams it cannot name: their fragments but
 * the reassembling one carry no ports, and only their IP ids select them. */
static void note(struct inf_finding *fi, const struct flow_summary *f, int d, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void note(struct inf_finding *fi, const struct flow_summary *f, int d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    inf_vfmt(&fi->filter_note, fmt, ap);
    va_end(ap);
    uint32_t left = results_flow_frags_unnamed(f, d);
    if (left)
        inf_fmt(&fi->filter_note,
                "%s; it misses the fragments of %" PRIu32 " of the flow's fragmented datagrams "
                "(only the reassembling fragment has ports; the filter names the first %d by IP "
                "id)",
                fi->filter_note, left, FLOW_FRAG_IDS);
}

/* The flow's filter narrowed to the record's direction (its source
 * address), then `extra`: a finding about one direction selects that
 * direction's packets, never its peer's acknowledgements too. */
static void dir_flow_filter(const struct ev_record *r, const char *extra, struct inf_finding *fi)
{
    results_flow_filter_dir(r->flow, r->dir, extra, fi->wireshark_filter, INF_FILTER);
}

/* Where an ICMP MTU message belongs, in words: one that came through a
 * tunnel was sent by a router inside it, about the inner path; one quoting
 * an encapsulating protocol (IP in IP, GRE, ESP) is about a tunnel's outer
 * packets, and the protocol is named ("IPv4-in-IPv6", never "ip"). */
static void icmp_where(const struct icmp_mtu_msg *m, char *buf, size_t n)
{
    int qv = m->qsrc.addr_type == ADDR_TYPE_IP6 ? 6 : 4;
    bool encap = m->qproto == IP_PROTO_IPIP || m->qproto == IP_PROTO_IPV6 ||
                 m->qproto == IP_PROTO_GRE || m->qproto == IP_PROTO_ESP;
    size_t o = 0;
    buf[0] = '\0';
    if (encap)
        o += (size_t)snprintf(buf, n, " (it quotes a %s packet: a tunnel's outer packet)",
                              ip_proto_name_in(m->qproto, qv, true));
    if (m->tunnel && o < n)
        snprintf(buf + o, n - o,
                 " (carried inside tunnel #%u: a router inside the tunnel sent it, about the "
                 "inner path)",
                 m->tunnel);
}

static void word_icmp_implausible(const struct ev_record *r, struct inf_finding *fi)
{
    const struct icmp_mtu_msg *m = r->icmp;
    char from[64], qs[64], qd[64];
    uint32_t floor = m->v6 ? 1280 : 68; /* RFC 8200's and RFC 791's minimum MTUs */
    /* the captured original's size when the quote understates it */
    uint32_t size = icmp_msg_size(m) ? icmp_msg_size(m) : m->quoted_len;
    char where[192];
    icmp_where(m, where, sizeof where);
    addr_text(&m->from, from, sizeof from);
    if (m->qsrc.addr_type == ADDR_TYPE_IP || m->qsrc.addr_type == ADDR_TYPE_IP6)
        inf_fmt(&fi->message,
                "%s from %s reports MTU %u for a %u-byte packet from %s to %s%s: %s; ignored for "
                "the path MTU",
                m->v6 ? "packet-too-big" : "frag-needed", from, m->mtu, size,
                addr_text(&m->qsrc, qs, sizeof qs), addr_text(&m->qdst, qd, sizeof qd), where,
                m->mtu && m->mtu < floor ? "below the protocol minimum"
                                         : "not smaller than the packet it quotes");
    else
        inf_fmt(&fi->message,
                "%s from %s reports MTU %u for a %u-byte packet: %s; ignored for the path MTU",
                m->v6 ? "packet-too-big" : "frag-needed", from, m->mtu, size,
                m->mtu && m->mtu < floor ? "below the protocol minimum"
                                         : "not smaller than the packet it quotes");
    snprintf(fi->wireshark_filter, INF_FILTER, "frame.number == %" PRIu64, m->frame);
}

static void word_icmp_ignored(const struct ev_record *r, struct inf_finding *fi)
{
    const struct icmp_mtu_msg *m = r->icmp;
    char from[64], qs[64];
    addr_text(&m->from, from, sizeof from);
    addr_text(&m->qsrc, qs, sizeof qs);
    const char *what = m->v6 ? "packet-too-big" : "frag-needed";
    char where[192];
    icmp_where(m, where, sizeof where);
    inf_fmt(&fi->message,
            "%s sent %" PRIu64 " packets larger than %u bytes after %s frame %" PRIu64
            " from %s%s told it the path MTU is %u (largest %u bytes)",
            qs, r->watch->bigger, r->mtu, what, m->frame, from, where, r->mtu, r->watch->max_after);
    snprintf(fi->wireshark_filter, INF_FILTER, "ip%s.src == %s && %s > %u", m->v6 ? "v6" : "", qs,
             m->v6 ? "ipv6.plen" : "ip.len", m->v6 ? r->mtu - 40 : r->mtu);
    note(fi, NULL, -1,
         "every packet from %s larger than %u bytes in the capture, to any destination, before "
         "the message and after it, and ICMP errors quoting them",
         qs, r->mtu);
}

static void word_pmtud_worked(const struct ev_record *r, struct inf_finding *fi)
{
    char a[64];
    if (r->icmp && r->icmp->mtu == 0) /* a pre-RFC 1191 router: the sender guessed */
        inf_fmt(&fi->message,
                "flow #%" PRIu64 ": %s's %u-byte packets drew ICMP messages that give no MTU (0, "
                "a pre-RFC 1191 router) and the sender re-sent the data in smaller packets, "
                "down to the RFC 1191 plateau of %u bytes: path-MTU discovery works",
                r->flow->id, dir_src(r, a, sizeof a), r->lost, r->mtu);
    else
        inf_fmt(&fi->message,
                "flow #%" PRIu64 ": %s's %u-byte packets drew ICMP messages reporting MTU %u and "
                "the sender re-sent the data in smaller packets: path-MTU discovery works",
                r->flow->id, dir_src(r, a, sizeof a), r->lost, r->mtu);
    dir_flow_filter(r,
                    "(tcp.analysis.retransmission || (icmp.type == 3 && icmp.code == 4) || "
                    "icmpv6.type == 2)",
                    fi);
    note(fi, r->flow, r->dir,
         "every retransmission by %s in flow #%" PRIu64 " and every frag-needed or "
         "packet-too-big quoting its packets",
         a, r->flow->id);
}

/* The packets above the largest delivered size: what a black hole drops. */
static void filter_larger(const struct ev_record *r, struct inf_finding *fi)
{
    char extra[64], a[64];
    bool v6 = r->flow->ip_version == 6;
    snprintf(extra, sizeof extra, "%s > %u", v6 ? "ipv6.plen" : "ip.len",
             v6 ? r->delivered - 40 : r->delivered);
    dir_flow_filter(r, extra, fi);
    note(fi, r->flow, r->dir,
         "every packet from %s in flow #%" PRIu64 " larger than %u bytes (the largest that "
         "arrived), first transmissions and retransmissions, and ICMP errors quoting them; the "
         "cited frames are the retransmissions that prove the loss",
         dir_src(r, a, sizeof a), r->flow->id, r->delivered);
}

static void word_sender_stalled(const struct ev_record *r, struct inf_finding *fi)
{
    char a[64], b[64], told[200] = "no ICMP seen";
    if (r->icmp) {
        char e[64];
        snprintf(told, sizeof told,
                 "the frag-needed of frame %" PRIu64 " about the tunnel's outer packets (MTU %u) "
                 "went to the tunnel endpoint %s, not to the sender",
                 r->icmp->frame, r->icmp->mtu, addr_text(&r->icmp->qsrc, e, sizeof e));
    }
    inf_fmt(&fi->message,
            "black hole: %s's packets of %u bytes never reach %s (retransmitted %u times, backing "
            "off, %s); packets up to %u bytes do; the flow stalls",
            dir_src(r, a, sizeof a), r->lost, dir_dst(r, b, sizeof b), r->count, told,
            r->delivered);
    filter_larger(r, fi);
}

/* How the sender healed, named by the DF bit of what it re-sent (enum
 * inf_healer): the mechanism, and what it costs beyond the timeouts. */
static const char *healer_words(uint8_t healer)
{
    switch (healer) {
    case HEAL_DF_CLEARED:
        return "with DF cleared, as the PMTU black hole detection of Windows (536-byte "
               "segments) and macOS (1200, from the second timeout) does (RFC 2923): every "
               "connection pays the timeouts, then sends small packets that routers may "
               "fragment, for the rest of it";
    case HEAL_MTU_PROBING:
        return "with DF still set, as TCP MTU probing does (RFC 4821; Linux's "
               "net.ipv4.tcp_mtu_probing): every connection pays the timeouts before it finds "
               "a size that crosses";
    default:
        return "every connection pays the timeouts before it finds a size that crosses";
    }
}

static void word_sender_healed(const struct ev_record *r, struct inf_finding *fi)
{
    char a[64], b[64];
    inf_fmt(&fi->message,
            "black hole healed by the sender: %s's %u-byte packets never reached %s; after %.1f s "
            "of timeouts it re-sent the data in packets of at most %u bytes, %s",
            dir_src(r, a, sizeof a), r->lost, dir_dst(r, b, sizeof b), (double)r->cost_ns / 1e9,
            r->delivered, healer_words(r->healer));
    filter_larger(r, fi);
}

static void word_receiver_healed(const struct ev_record *r, struct inf_finding *fi)
{
    char a[64], b[64];
    dir_src(r, a, sizeof a);
    inf_fmt(&fi->message,
            "black hole healed by the sender (receiver side): data from %s stopped for %.1f s, "
            "then arrived re-sent in packets of at most %u bytes although MSS allows %u: %s's "
            "full-size packets never reached %s and it found a smaller size by itself, at a "
            "cost of %.1f s, %s",
            a, (double)r->cost_ns / 1e9, r->delivered, r->lost, a, dir_dst(r, b, sizeof b),
            (double)r->cost_ns / 1e9, healer_words(r->healer));
    char extra[64];
    snprintf(extra, sizeof extra, "frame.number == %" PRIu64, r->frames[0]);
    results_flow_filter(r->flow, extra, fi->wireshark_filter, INF_FILTER);
    /* exactly the one frame cited (inf_tcp.c): no note */
}

static void word_receiver_hole(const struct ev_record *r, struct inf_finding *fi)
{
    char a[64], b[64];
    inf_fmt(&fi->message,
            "black hole suspected (receiver side): %s may send %u-byte packets (MSS %u) but "
            "nothing larger than %u bytes arrived at %s, and part of its data never did",
            dir_src(r, a, sizeof a), r->lost, r->mss, r->delivered, dir_dst(r, b, sizeof b));
    dir_flow_filter(r, "tcp.analysis.lost_segment", fi);
    /* The cited frame is the first such segment.  Whether Wireshark marks
     * others is its own analysis: tcp.h's count of them is not it
     * (lab-vxlan-fragloss-path1380-client-outer: 1 counted, 12 marked), so
     * the note is given whatever the count. */
    note(fi, r->flow, r->dir,
         "every segment from %s in flow #%" PRIu64 " that Wireshark marks \"previous segment not "
         "captured\" (a hole before it); the cited frame is the first",
         dir_src(r, a, sizeof a), r->flow->id);
}

static void word_silent_sender(const struct ev_record *r, struct inf_finding *fi)
{
    char a[64], b[64];
    dir_src(r, a, sizeof a);
    inf_fmt(&fi->message,
            "black hole suspected (receiver side): %s sent %u data segment%s of at most %u bytes "
            "and then nothing for %.1f s, with the connection still open and %s waiting (it "
            "never sent data), while flow #%" PRIu64 " between the same hosts went on; if %s had "
            "more to send, its %u-byte packets are not arriving",
            a, r->count, r->count == 1 ? "" : "s", r->delivered, (double)r->cost_ns / 1e9,
            dir_dst(r, b, sizeof b), r->other, a, r->lost);
    /* both directions: the sender's data and the peer's waiting */
    results_flow_filter(r->flow, NULL, fi->wireshark_filter, INF_FILTER);
    note(fi, r->flow, -1,
         "the whole of flow #%" PRIu64 ", both directions: the sender's data and its peer's "
         "waiting; the cited frame is the last data before the silence",
         r->flow->id);
}

static void word_mss_clamped(const struct ev_record *r, struct inf_finding *fi)
{
    const struct flow_summary *f = r->flow;
    char a[64];
    const struct addr *src, *dst;
    inf_direction_addrs(f, r->dir, &src, &dst);
    inf_fmt(&fi->message,
            "flow #%" PRIu64 ": %s's %s announced MSS %u where it was sent (flow #%" PRIu64
            " of the other capture) and MSS %u here: a router between the two capture points "
            "clamps the MSS to %u (a path MTU of %u)",
            f->id, addr_text(src, a, sizeof a), r->dir ? "SYN-ACK" : "SYN", r->count, r->other,
            r->mss, r->mss, r->mss + inf_tcpip_hdr(f));
    /* that direction's SYN: the other one's says nothing of the clamp */
    dir_flow_filter(r, "tcp.flags.syn == 1", fi);
    note(fi, f, r->dir, "the %s of flow #%" PRIu64 " from %s in this capture, and any copy re-sent",
         r->dir ? "SYN-ACK" : "SYN", f->id, a);
}

/* The links whose usual MTU an MSS matches, for the sentence. */
static const char *link_of(uint32_t mtu)
{
    int n;
    const struct tunnel_fact *t = tunnel_facts_all(&n);
    for (int i = 0; i < n; i++)
        if (t[i].usual_mtu && t[i].usual_mtu == mtu)
            return t[i].usual_what;
    return NULL;
}

static void word_mss_differs(const struct ev_record *r, struct inf_finding *fi)
{
    const struct flow_summary *f = r->flow;
    uint32_t c = f->dir[0].mss, s = f->dir[1].mss, mtu = r->mss + inf_tcpip_hdr(f);
    const char *link = link_of(mtu);
    char *where = NULL;
    if (link)
        inf_fmt(&where, "; %u bytes is %s", mtu, link);
    inf_fmt(&fi->message,
            "flow #%" PRIu64 ": MSS %u one way and %u the other: a link of %u bytes at one end or "
            "a router clamping the MSS on the path%s (the SYN captured at both ends tells which; "
            "either way TCP sends nothing larger)",
            f->id, c, s, mtu, where ? where : "");
    inf_text_free(where);
    results_flow_filter(f, "tcp.flags.syn == 1", fi->wireshark_filter, INF_FILTER);
    note(fi, f, -1,
         "both directions' SYNs of flow #%" PRIu64 " (the SYN and the SYN-ACK, which announce "
         "the two MSS values) and any copy re-sent",
         f->id);
}

static void word_outage(const struct ev_record *r, struct inf_finding *fi)
{
    const struct flow_summary *f = r->flow;
    const struct flow_dir_summary *x = &f->dir[r->dir];
    char a[64], b[64], iv[96] = "";
    size_t n = 0;
    for (int k = 0; k < x->backoff_nintervals && k < FLOW_BACKOFF_KEPT && n < sizeof iv; k++)
        n += (size_t)snprintf(iv + n, sizeof iv - n, "%s%.3f", k ? ", " : "",
                              (double)x->backoff_us[k] / 1e6);
    inf_fmt(&fi->message,
            "outage, not an MTU problem: flow #%" PRIu64 ": %s re-sent the same segment %u times "
            "at doubling timeouts (%s s: %.1f s with nothing acknowledged by %s), then every "
            "segment was delivered, %u-byte packets included: the path or the peer went away "
            "and came back (a link down, roaming, a restart)",
            f->id, dir_src(r, a, sizeof a), r->count, iv, (double)r->cost_ns / 1e9,
            dir_dst(r, b, sizeof b), r->delivered);
    dir_flow_filter(r, "tcp.analysis.retransmission", fi);
    note(fi, f, r->dir, "every retransmission by %s in flow #%" PRIu64, a, f->id);
}

/* The lost datagrams between the finding's hosts, as a Wireshark set of
 * IP ids (the input's examples: frames[] holds their first fragments). */
static void word_frag_lost(const struct ev_record *r, struct inf_finding *fi)
{
    const struct defrag_lost *x = r->frags[0];
    bool v6 = x->version == 6;
    struct addr src, dst;
    addr_from_bytes(&src, x->version, x->src);
    addr_from_bytes(&dst, x->version, x->dst);
    char a[64], b[64], what[64] = "";
    addr_text(&src, a, sizeof a);
    addr_text(&dst, b, sizeof b);
    if (x->sport || x->dport)
        snprintf(what, sizeof what, " (%s %u -> %u)", x->proto == 6 ? "TCP" : "UDP", x->sport,
                 x->dport);
    char *more = NULL;
    if (r->count > 1)
        inf_fmt(&more, "; %" PRIu32 " datagrams lost so in this capture", r->count);
    inf_fmt(&fi->message,
            "fragments lost: a datagram from %s to %s%s, IP id 0x%x: %u bytes of it came in "
            "fragments%s, the rest never did although the capture went on more than 1 s (a "
            "sender emits a datagram's fragments back to back): the whole datagram is lost%s",
            a, b, what, x->id, x->bytes_seen,
            x->first_seen ? "" : " (not the first, so the ports are unknown)", more ? more : "");
    inf_text_free(more);
    int n =
        snprintf(fi->wireshark_filter, INF_FILTER, "%s.src == %s && %s.dst == %s && %s in {",
                 v6 ? "ipv6" : "ip", a, v6 ? "ipv6" : "ip", b, v6 ? "ipv6.fraghdr.ident" : "ip.id");
    for (int k = 0; k < r->nfrags && n > 0 && n < INF_FILTER; k++) {
        const struct defrag_lost *y = r->frags[k];
        n += snprintf(fi->wireshark_filter + n, (size_t)(INF_FILTER - n), "%s0x%0*x", k ? ", " : "",
                      v6 ? 8 : 4, v6 ? y->id : y->id & 0xffff);
    }
    if (n > 0 && n < INF_FILTER)
        snprintf(fi->wireshark_filter + n, (size_t)(INF_FILTER - n), "}");
    /* every fragment that came of the datagrams named: exactly frames[]
     * when they all fit in it */
    uint32_t came = 0;
    for (int k = 0; k < r->nfrags; k++)
        came += r->frags[k]->nfrags;
    if (came > (uint32_t)r->nframes)
        note(fi, NULL, -1,
             "all %" PRIu32 " fragments that came of the %d datagram%s named by IP id; the "
             "cited frames are the first %d",
             came, r->nfrags, r->nfrags == 1 ? "" : "s", r->nframes);
}

/* A conversation's endpoints, "a:port" (IPv6 in brackets). */
static void conv_end(const struct udpx_conv *c, bool a, char *buf, size_t size)
{
    bool v6 = c->version == 6;
    struct addr x;
    addr_from_bytes(&x, c->version, a ? c->a : c->b);
    char t[64];
    addr_text(&x, t, sizeof t);
    snprintf(buf, size, "%s%s%s:%u", v6 ? "[" : "", t, v6 ? "]" : "", a ? c->aport : c->bport);
}

static void word_udp_resent(const struct ev_record *r, struct inf_finding *fi)
{
    const struct udpx_conv *c = r->udpx;
    char a[80], b[80], fl[32] = "";
    conv_end(c, true, a, sizeof a);
    conv_end(c, false, b, sizeof b);
    if (r->flow_id)
        snprintf(fl, sizeof fl, "flow #%" PRIu64 ": ", r->flow_id);
    char gap[48];
    double lo = (double)c->gap_min_ns / 1e9, hi = (double)c->gap_max_ns / 1e9;
    if (hi - lo < 0.05)
        snprintf(gap, sizeof gap, "%.1f s", lo);
    else
        snprintf(gap, sizeof gap, "%.1f to %.1f s", lo, hi);
    inf_fmt(&fi->message,
            "%sUDP requests from %s re-sent after fragmented replies: %" PRIu32 " time%s the "
            "same request came again %s after a fragmented reply from %s, and never after a "
            "small reply: the requester acts as if the fragmented replies never arrived "
            "(suspected fragment loss; this capture cannot see them arrive). The frames are "
            "each reply's first fragment and the repeat after it",
            fl, a, r->count, r->count == 1 ? "" : "s", gap, b);
    int n = snprintf(fi->wireshark_filter, INF_FILTER, "frame.number in {");
    for (int k = 0; k < r->nframes && n > 0 && n < INF_FILTER; k++)
        n += snprintf(fi->wireshark_filter + n, (size_t)(INF_FILTER - n), "%s%" PRIu64,
                      k ? ", " : "", r->frames[k]);
    if (n > 0 && n < INF_FILTER)
        snprintf(fi->wireshark_filter + n, (size_t)(INF_FILTER - n), "}");
}

static void word_wg_counter_gap(const struct ev_record *r, struct inf_finding *fi)
{
    const struct flow_summary *f = r->flow;
    char a[64], b[64];
    dir_src(r, a, sizeof a);
    inf_fmt(&fi->message,
            "flow #%" PRIu64 ": %" PRIu32 " of %" PRIu32 " WireGuard data messages from %s to %s "
            "never arrived (their counters are missing at the receiving end) while the others "
            "did, none larger than %u bytes; lost large messages are the sign of a tunnel MTU too "
            "big for the path",
            f->id, f->wg_lost, f->wg_data, a, dir_dst(r, b, sizeof b), r->delivered);
    dir_flow_filter(r, "wg.type == 4", fi);
    note(fi, f, r->dir,
         "every WireGuard data message from %s in flow #%" PRIu64 ", delivered or not; the "
         "cited frame is the first message after a skipped counter",
         a, f->id);
}

/* The intervals between a run's copies, in seconds. */
static void resend_intervals(const struct resend_run *r, char *iv, size_t size)
{
    size_t n = 0;
    iv[0] = '\0';
    for (int k = 0; k < r->nintervals && n < size; k++)
        n += (size_t)snprintf(iv + n, size - n, "%s%.3f", k ? ", " : "",
                              (double)r->interval_us[k] / 1e6);
}

static void word_tunnel_resend(const struct ev_record *r, struct inf_finding *fi)
{
    const struct flow_summary *f = r->flow;
    const struct resend_run *run = &r->resend->run;
    char a[64], b[64], iv[96];
    dir_src(r, a, sizeof a);
    resend_intervals(run, iv, sizeof iv);
    dir_dst(r, b, sizeof b);
    char alive[320];
    if (run->peer || run->smaller)
        snprintf(alive, sizeof alive,
                 "while %u smaller ones from it and %u packets from %s crossed", run->smaller,
                 run->peer, b);
    else
        snprintf(alive, sizeof alive,
                 "while nothing came back from %s, which had answered %.3f s before the first "
                 "copy (less than the first interval, one retransmission timeout)",
                 b, (double)run->peer_before_ns / 1e9);
    inf_fmt(&fi->message,
            "black hole suspected (%s, sending side): %s re-sent a %u-byte %s datagram %u times "
            "at doubling intervals (%s s) %s: %s times out on a packet the path drops",
            f->opaque ? "tunnel" : "UDP", a, run->size, inf_resend_name(f), run->copies - 1u, iv,
            alive, f->opaque ? "the inner TCP" : "the sender");
    char extra[128];
    bool v6 = f->ip_version == 6;
    snprintf(extra, sizeof extra, "%s == %u%s", v6 ? "ipv6.plen" : "ip.len",
             v6 ? run->size - 40u : run->size,
             f->opaque == LAYER_WIREGUARD ? " && wg.type == 4" : "");
    dir_flow_filter(r, extra, fi);
    note(fi, f, r->dir,
         "every %u-byte %s from %s in flow #%" PRIu64 ", the re-sent copies cited and any other "
         "of that size, and ICMP errors quoting them",
         run->size, f->opaque == LAYER_WIREGUARD ? "WireGuard data message" : "packet", a, f->id);
}

static void word_measured_loss(const struct ev_record *r, struct inf_finding *fi)
{
    const struct corr_verdict *v = &r->cv;
    struct addr src, dst;
    corr_dir_addrs(r->cd, &src, &dst);
    char a[64], b[64];
    inf_fmt(&fi->message,
            "black hole measured across two captures: all %" PRIu64 " packets of %u bytes or "
            "more from %s to %s captured in %s never appeared in %s, while every size up to %u "
            "bytes did",
            v->lost_at_or_above, v->smallest_lost, addr_text(&src, a, sizeof a),
            addr_text(&dst, b, sizeof b), r->up_path, r->down_path, v->largest_delivered);
    corr_dir_filter(r->cd, v, fi->wireshark_filter, INF_FILTER);
    note(fi, NULL, -1,
         "every packet from %s to %s of %u bytes or more in this capture (ICMP errors quoting "
         "them left out): the %" PRIu64 " that never appeared in the other one%s; the cited "
         "frame is the first",
         a, b, v->smallest_lost, v->lost_at_or_above,
         v->all_lost_above ? "" : ", and any of that size that did");
}

/* Selects the example pair: the original and its copy. */
static void filter_pair(const struct ev_record *r, struct inf_finding *fi)
{
    snprintf(fi->wireshark_filter, INF_FILTER,
             "frame.number == %" PRIu64 " || frame.number == %" PRIu64, r->frames[0], r->frames[1]);
}

static void word_capture_copies(const struct ev_record *r, struct inf_finding *fi)
{
    inf_fmt(&fi->message,
            "%u packet%s recorded twice by the capture (the same IPv4 ID, TTL and bytes within "
            "1 s: a SPAN port mirroring both directions, or several interfaces), not sent "
            "twice: each is analysed once, so they are no retransmissions; editcap -d removes "
            "them",
            r->count, r->count == 1 ? " was" : "s were");
    filter_pair(r, fi);
}

static void word_forwarded_copies(const struct ev_record *r, struct inf_finding *fi)
{
    inf_fmt(&fi->message,
            "%u packet%s seen entering and leaving the capturing host (its TTL one lower on the "
            "way out, or -i any's incoming and outgoing copies): a router captured on several "
            "interfaces; each is analysed once",
            r->count, r->count == 1 ? " was" : "s were");
    filter_pair(r, fi);
}

static void mac_text(const uint8_t *m, char *buf, size_t n)
{
    snprintf(buf, n, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* Appends " && frame.number <= N" when the record lists only the first
 * frames its filter would select. */
static void filter_bound(const struct ev_record *r, struct inf_finding *fi)
{
    size_t n = strlen(fi->wireshark_filter);
    if (r->bound_frame && n < INF_FILTER)
        snprintf(fi->wireshark_filter + n, INF_FILTER - n, " && frame.number <= %" PRIu64,
                 r->bound_frame);
}

static void word_link_mru(const struct ev_record *r, struct inf_finding *fi)
{
    const struct lcp_mru_msg *q = r->lcp_req, *a = r->lcp_ack;
    char src[24] = "one end", dst[24] = "the other", sess[32] = "";
    if (q->has_mac) {
        mac_text(q->src, src, sizeof src);
        mac_text(q->dst, dst, sizeof dst);
    }
    if (q->pppoe)
        snprintf(sess, sizeof sess, " (session 0x%04x)", q->session);
    inf_fmt(&fi->message,
            "%s link%s: %s asked for an MRU of %u bytes (LCP Configure-Request, frame %" PRIu64
            ") and %s acknowledged it (frame %" PRIu64
            "): IP packets to %s on this link carry at most %u bytes, so TCP's MSS over it is at "
            "most %u for IPv4 and %u for IPv6",
            q->pppoe ? "PPPoE" : "PPP", sess, src, q->mru, q->frame, dst, a->frame, src, q->mru,
            q->mru - 40u, q->mru - 60u);
    char *f = NULL;
    if (q->pppoe)
        inf_fmt(&f, "pppoe.session_id == 0x%04x && ", q->session);
    else
        inf_fmt(&f, "!pppoes && ");
    if (q->has_mac)
        snprintf(fi->wireshark_filter, INF_FILTER,
                 "%slcp.opt.mru == %u && ppp.identifier == %u && ((ppp.code == 1 && eth.src == "
                 "%s) || (ppp.code == 2 && eth.src == %s))",
                 f ? f : "", q->mru, q->ident, src, dst);
    else
        snprintf(fi->wireshark_filter, INF_FILTER,
                 "%slcp.opt.mru == %u && ppp.identifier == %u && (ppp.code == 1 || ppp.code == 2)",
                 f ? f : "", q->mru, q->ident);
    inf_text_free(f);
    filter_bound(r, fi);
    /* exactly the frames cited: the record lists every packet of the
     * exchange, up to the bound (inf_link.c): no note */
}

static const char *router_text(uint32_t id, char *buf, size_t n)
{
    snprintf(buf, n, "%u.%u.%u.%u", id >> 24, id >> 16 & 255, id >> 8 & 255, id & 255);
    return buf;
}

static void word_ospf_mismatch(const struct ev_record *r, struct inf_finding *fi)
{
    const struct ospf_dbd_msg *a = r->dbd[0], *b = r->dbd[1];
    const struct ospf_dbd_msg *big = a->mtu > b->mtu ? a : b, *small = big == a ? b : a;
    char ra[16], rb[16], sa[64], sb[64], rs[16];
    addr_text(&a->src, sa, sizeof sa);
    addr_text(&b->src, sb, sizeof sb);
    inf_fmt(&fi->message,
            "OSPF%s interface MTU mismatch: router %s (%s) states MTU %u and router %s (%s) "
            "states %u in their Database Descriptions (frames %" PRIu64 " and %" PRIu64
            "); router %s rejects every DBD announcing more than its own %u (RFC 2328 section "
            "10.6), so the adjacency never leaves ExStart/Exchange: %u and %u DBDs sent, %" PRIu64
            " of them re-sent (every RxmtInterval, 5 s by default) over %.1f s",
            a->version == 3 ? "v3" : "v2", router_text(a->router_id, ra, sizeof ra), sa, a->mtu,
            router_text(b->router_id, rb, sizeof rb), sb, b->mtu, a->frame, b->frame,
            router_text(small->router_id, rs, sizeof rs), small->mtu, r->count, r->count2, r->other,
            (double)r->cost_ns / 1e9);
    const char *ip = a->version == 3 ? "ipv6" : "ip";
    char da[64], db[64];
    addr_text(&a->dst, da, sizeof da);
    addr_text(&b->dst, db, sizeof db);
    snprintf(fi->wireshark_filter, INF_FILTER,
             "ospf.msg.dbdesc && ((%s.src == %s && %s.dst == %s && ospf.srcrouter == %s && "
             "ospf.db.interface_mtu == %u) || (%s.src == %s && %s.dst == %s && ospf.srcrouter == "
             "%s && ospf.db.interface_mtu == %u))",
             ip, sa, ip, da, ra, a->mtu, ip, sb, ip, db, rb, b->mtu);
    filter_bound(r, fi);
    /* exactly the frames cited: both routers' DBDs, up to the bound
     * (inf_link.c): no note */
}

/* A retransmission storm: its flow (or every flow), its frames, how long
 * and how many; the filter selects exactly its retransmissions (the frames
 * from its first to its last, of its flow), as Wireshark flags them. */
static void word_storm(const struct ev_record *r, struct inf_finding *fi)
{
    const struct flow_storm none = {0}, *st = r->storm ? r->storm : &none;
    char who[96], extra[160];
    if (st->flow)
        snprintf(who, sizeof who, "flow #%" PRIu64, st->flow);
    else
        snprintf(who, sizeof who, "across flows (none storming alone)");
    double secs = (double)(st->end_ns - st->start_ns) / 1e9;
    inf_fmt(&fi->message,
            "retransmission storm, %s: %u retransmissions in %u packets over %.3f s (frames "
            "%" PRIu64 " to %" PRIu64 "; a storm is >= %d retransmissions making >= %d%% of the "
            "packets within %d ms)",
            who, st->retransmissions, st->packets, secs, st->start_frame, st->end_frame,
            FLOW_STORM_MIN_RETRANS, FLOW_STORM_MIN_PERCENT, FLOW_STORM_WINDOW_MS);
    snprintf(extra, sizeof extra,
             "frame.number >= %" PRIu64 " && frame.number <= %" PRIu64
             " && tcp.analysis.retransmission",
             st->start_frame, st->end_frame);
    if (r->flow)
        results_flow_filter(r->flow, extra, fi->wireshark_filter, INF_FILTER);
    else
        snprintf(fi->wireshark_filter, INF_FILTER, "%s", extra);
    note(fi, r->flow, -1,
         "the storm's %u retransmissions (%s, frames %" PRIu64 " to %" PRIu64
         ", as Wireshark marks them); the cited frames are its first and last",
         st->retransmissions, who, st->start_frame, st->end_frame);
}

static void word_capture_drops(const struct ev_record *r, struct inf_finding *fi)
{
    const struct capscan *sc = r->scan;
    char recv[64] = "";
    if (sc && sc->has_ifrecv)
        snprintf(recv, sizeof recv, " of %" PRIu64 " received", sc->ifrecv);
    inf_fmt(&fi->message,
            "the capture itself dropped %" PRIu64 " packet%s%s (pcapng interface statistics: "
            "%" PRIu64 " by the interface, %" PRIu64 " by the OS, whose capture buffer was "
            "full): retransmissions, holes (previous segment not captured) and losses counted "
            "in this capture may be packets the capture missed, not the network; capture again "
            "with a larger buffer (tcpdump -B, dumpcap -B) or a snap length (-s 128)",
            r->other, r->other == 1 ? "" : "s", recv, sc ? sc->ifdrop : 0, sc ? sc->osdrop : 0);
    snprintf(fi->wireshark_filter, INF_FILTER,
             "tcp.analysis.retransmission || tcp.analysis.lost_segment");
    note(fi, NULL, -1,
         "every retransmission and every \"previous segment not captured\" Wireshark marks in "
         "this capture: what the dropped packets may explain");
}

static void word_capture_end(const struct ev_record *r, struct inf_finding *fi)
{
    double gap = (double)r->cost_ns / 1e9;
    if (r->count)
        inf_fmt(&fi->message,
                "the capture ran %.3f s after its last packet (frame %" PRIu64
                "; pcapng statistics: isb_endtime): %u direction%s of flows waited with data "
                "outstanding until then without a retransmission or an acknowledgement, so "
                "the stall is real, not the capture's end (first: flow #%" PRIu64 ")",
                gap, r->frames[0], r->count, r->count == 1 ? "" : "s", r->flow_id);
    else
        inf_fmt(&fi->message,
                "the capture ran %.3f s after its last packet (frame %" PRIu64
                "; pcapng statistics: isb_endtime): the silence after it is real, not the "
                "capture's end",
                gap, r->frames[0]);
    snprintf(fi->wireshark_filter, INF_FILTER, "frame.number == %" PRIu64, r->frames[0]);
}

static void word_syn_flood(const struct ev_record *r, struct inf_finding *fi)
{
    const struct results_listener *l = r->listener;
    char dst[64], src[64];
    bool v6 = l->ip_version == 6;
    addr_text(&l->addr, dst, sizeof dst);
    addr_text(&l->first_src, src, sizeof src);
    inf_fmt(&fi->message,
            "%" PRIu64 " connection attempts (%" PRIu64 " SYNs) to %s%s%s port %u, from %s%s%s, "
            "got no answer, no SYN-ACK and no RST, within the 1 s initial SYN timeout (RFC "
            "6298), from %" PRId64 ".%09" PRId64 " to %" PRId64 ".%09" PRId64 ": a SYN flood "
            "(spoofed sources), or a listener or filter dropping them; no MTU effect (a SYN "
            "carries no data), so they do not test the path MTU",
            l->judged.attempts, l->judged.syns, v6 ? "[" : "", dst, v6 ? "]" : "", l->port,
            l->many_sources ? "many source addresses (the first " : "one source address, ", src,
            l->many_sources ? ")" : "", l->judged.first_ns / 1000000000,
            l->judged.first_ns % 1000000000, l->judged.last_ns / 1000000000,
            l->judged.last_ns % 1000000000);
    if (l->pending) {
        char more[160];
        snprintf(more, sizeof more,
                 "; %" PRIu64 " more, sent in the capture's last second, are not judged (an "
                 "answer may have come after its end)",
                 l->pending);
        inf_fmt(&fi->message, "%s%s", fi->message, more);
    }
    snprintf(fi->wireshark_filter, INF_FILTER,
             "tcp.flags.syn == 1 && tcp.flags.ack == 0 && %s.dst == %s && tcp.dstport == %u",
             v6 ? "ipv6" : "ip", dst, l->port);
    note(fi, NULL, -1, "every SYN to %s%s%s port %u in the capture, answered or not", v6 ? "[" : "",
         dst, v6 ? "]" : "", l->port);
}

static void word_box_loss(const struct ev_record *r, struct inf_finding *fi)
{
    const struct box_dir *b = r->box;
    char a[64], c[64];
    dir_src(r, a, sizeof a);
    dir_dst(r, c, sizeof c);
    /* only a drop by size is a finding (inf_box_stage) */
    inf_fmt(&fi->message,
            "black hole measured at the capturing host (-i any: in and out): %u packet%s of "
            "%u bytes and up from %s to %s entered it and never left, while %u of up to %u "
            "bytes were forwarded: this host drops them by size (its outgoing interface or "
            "route MTU is between %u and %u)",
            b->lost, b->lost == 1 ? "" : "s", b->lost_min, a, c, b->forwarded, b->fwd_max,
            b->fwd_max, b->lost_min - 1);
    char extra[96];
    bool v6 = r->flow->ip_version == 6;
    /* the packets on their way in (not outgoing), of the dropped sizes */
    snprintf(extra, sizeof extra, "sll.pkttype != 4 && %s >= %u", v6 ? "ipv6.plen" : "ip.len",
             v6 ? b->lost_min - 40 : b->lost_min);
    dir_flow_filter(r, extra, fi);
    note(fi, r->flow, r->dir,
         "every packet of %u bytes or more from %s in flow #%" PRIu64 " on its way into the "
         "host (not outgoing), dropped or not",
         b->lost_min, a, r->flow->id);
}

typedef void (*word_fn)(const struct ev_record *r, struct inf_finding *fi);

static const word_fn word_finding[EV__COUNT] = {
    [EV_ICMP_IMPLAUSIBLE] = word_icmp_implausible,
    [EV_ICMP_IGNORED] = word_icmp_ignored,
    [EV_BOX_LOSS] = word_box_loss,
    [EV_PMTUD_WORKED] = word_pmtud_worked,
    [EV_SENDER_STALLED] = word_sender_stalled,
    [EV_SENDER_HEALED] = word_sender_healed,
    [EV_RECEIVER_HEALED] = word_receiver_healed,
    [EV_RECEIVER_HOLE] = word_receiver_hole,
    [EV_SILENT_SENDER] = word_silent_sender,
    [EV_MSS_CLAMPED] = word_mss_clamped,
    [EV_MSS_DIFFERS] = word_mss_differs,
    [EV_WG_COUNTER_GAP] = word_wg_counter_gap,
    [EV_TUNNEL_RESEND] = word_tunnel_resend,
    [EV_OUTAGE] = word_outage,
    [EV_FRAG_LOST] = word_frag_lost,
    [EV_UDP_RESENT] = word_udp_resent,
    [EV_MEASURED_LOSS] = word_measured_loss,
    [EV_CAPTURE_COPIES] = word_capture_copies,
    [EV_FORWARDED_COPIES] = word_forwarded_copies,
    [EV_LINK_MRU] = word_link_mru,
    [EV_OSPF_MTU_MISMATCH] = word_ospf_mismatch,
    [EV_STORM] = word_storm,
    [EV_CAPTURE_DROPS] = word_capture_drops,
    [EV_CAPTURE_END] = word_capture_end,
    [EV_SYN_FLOOD] = word_syn_flood,
};

struct inf_finding *inf_record(struct inference *inf, const struct ev_record *r)
{
    struct inf_finding *fi =
        inf_add_finding(inf, ev_meta[r->kind].sev, ev_meta[r->kind].name, r->flow_id, r->input);
    if (!fi)
        return NULL;
    inf->records[inf->nfindings - 1] = *r;
    fi->ev = (int)r->kind;
    for (int i = 0; i < r->nframes && fi->nframes < INF_MAX_FRAMES; i++)
        fi->frames[fi->nframes++] = r->frames[i];
    word_finding[r->kind](r, fi);
    return fi;
}
