/*
 * report_text.c - the text report (report.h), for people.
 *
 * It leads with the answer: the verdict, the fix and the evidence for it,
 * each item with a Wireshark display filter, and the path MTUs; then what
 * the same packets did between the inputs when they are several, each
 * input's layer stacks and anomalies, the flows and tunnels (retransmission
 * storms are evidence, listed once each with their filter).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "correlate.h"
#include "escape.h"
#include "inference.h"
#include "verdict.h"
#include "inputs.h"
#include "report.h"
#include "report_compare.h"
#include "report_text.h"

static double seconds(int64_t sec, uint32_t nsec)
{
    return (double)sec + nsec / 1e9;
}

static void human_bytes(uint64_t b, char *buf, size_t size)
{
    if (b >= 10ull * 1000 * 1000)
        snprintf(buf, size, "%.1f MB", b / 1e6);
    else if (b >= 10ull * 1000)
        snprintf(buf, size, "%.1f kB", b / 1e3);
    else
        snprintf(buf, size, "%" PRIu64 " bytes", b);
}

/* Writes text word-wrapped to `width` columns, every line indented; lines
 * after the first of a "- " item hang under its text.  The text quotes file
 * names: it is escaped first (escape.h), so nothing in it reaches the
 * terminal raw. */
static void wrap(FILE *out, int indent, const char *raw, int width)
{
    char *text = escape_dup(raw);
    if (!text) {
        escape_fputs(raw, out);
        fputc('\n', out);
        return;
    }
    const char *p = text;
    int hang = strncmp(text, "- ", 2) == 0 ? 2 : strncmp(text, "[", 1) == 0 ? 4 : 0;
    bool first = true;
    while (*p) {
        int ind = first ? indent : indent + hang;
        first = false;
        int avail = width - ind, len = (int)strlen(p), cut = len;
        if (len > avail) {
            cut = avail;
            while (cut > 0 && p[cut] != ' ')
                cut--;
            if (cut == 0)
                cut = avail; /* one word longer than the line: split it */
        }
        fprintf(out, "%*s%.*s\n", ind, "", cut, p);
        p += cut;
        while (*p == ' ')
            p++;
    }
    free(text);
}

void report_wrap(FILE *out, int indent, const char *raw, int width)
{
    wrap(out, indent, raw, width);
}

/* wrap() of prefix + text, whatever the text's length. */
static void wrap_item(FILE *out, int indent, const char *prefix, const char *text, int width)
{
    size_t n = strlen(prefix) + strlen(text) + 1;
    char *line = malloc(n);
    if (!line) {
        wrap(out, indent, text, width);
        return;
    }
    snprintf(line, n, "%s%s", prefix, text);
    wrap(out, indent, line, width);
    free(line);
}

static void describe_icmp(const struct icmp_mtu_msg *m, char *buf, size_t size)
{
    char from[64], qs[64], qd[64];
    addr_text(&m->from, from, sizeof from);
    int n = snprintf(buf, size, "frame %" PRIu64 ": %s from %s reports MTU %u%s", m->frame,
                     m->v6 ? "packet-too-big" : "frag-needed", from, m->mtu,
                     m->mtu == 0 ? " (not given: pre-RFC 1191 router)" : "");
    if (n < 0 || (size_t)n >= size)
        return;
    if (m->qsrc.addr_type == ADDR_TYPE_IP || m->qsrc.addr_type == ADDR_TYPE_IP6) {
        addr_text(&m->qsrc, qs, sizeof qs);
        addr_text(&m->qdst, qd, sizeof qd);
        char len[24] = "", cut[96] = "";
        uint32_t sz = icmp_msg_size(m);
        if (sz)
            snprintf(len, sizeof len, " %u-byte", sz);
        if (icmp_quote_cut(m) && sz)
            snprintf(cut, sizeof cut, " (frame %" PRIu64 "; its quote, cut, says %u)",
                     m->original_frame, m->quoted_len);
        else if (icmp_quote_cut(m))
            snprintf(cut, sizeof cut, " of unknown size (its quote, cut, says %u)", m->quoted_len);
        if (m->qsport || m->qdport)
            snprintf(buf + n, size - (size_t)n, "; about a%s %s packet %s:%u -> %s:%u%s", len,
                     ip_proto_name(m->qproto), qs, m->qsport, qd, m->qdport, cut);
        else
            snprintf(buf + n, size - (size_t)n, "; about a%s %s packet %s -> %s%s", len,
                     ip_proto_name(m->qproto), qs, qd, cut);
    }
}

/* The layer stacks seen (the commonest first, roughly): 12 of them, all with
 * --stats, the rest summed. */
static void text_stacks(FILE *out, const struct input_stats *s, const struct report_opts *o)
{
    fprintf(out, "  layer stacks (packets):\n");
    int shown = o->layer_stats ? s->nstacks : (s->nstacks < 12 ? s->nstacks : 12);
    for (int i = 0; i < shown; i++) {
        char name[256];
        stats_stack_name(&s->stacks[i], name, sizeof name);
        fprintf(out, "    %10" PRIu64 "  %s\n", s->stacks[i].packets, name);
    }
    uint64_t rest = s->stacks_other;
    for (int i = shown; i < s->nstacks; i++)
        rest += s->stacks[i].packets;
    if (rest)
        fprintf(out, "    %10" PRIu64 "  (other stacks)\n", rest);
}

/* The ICMP messages that report an MTU: the first 20 (all with --stats). */
static void text_icmp(FILE *out, const struct input_stats *s, const struct report_opts *o)
{
    fprintf(out,
            "  ICMP frag-needed: %" PRIu64 ", ICMPv6 packet-too-big: %" PRIu64
            "   [Wireshark: (icmp.type == 3 && icmp.code == 4) || icmpv6.type == 2]\n",
            s->icmp_frag_needed, s->icmp6_packet_too_big);
    int shown = s->nicmp < 20 || o->layer_stats ? s->nicmp : 20;
    for (int i = 0; i < shown; i++) {
        char line[400];
        describe_icmp(&s->icmp[i], line, sizeof line);
        fprintf(out, "    %s\n", line);
    }
    uint64_t more = (uint64_t)(s->nicmp - shown) + s->icmp_unlisted;
    if (more)
        fprintf(out, "    ... and %" PRIu64 " more\n", more);
}

static void text_anomalies(FILE *out, const struct input_stats *s)
{
    uint64_t anomalous = 0;
    for (int a = 0; a < AN__COUNT; a++)
        anomalous += s->anomalies[a];
    if (!anomalous)
        return;
    fprintf(out,
            "  anomalies: %" PRIu64 " packets truncated by the snap length, %" PRIu64
            " malformed\n",
            s->truncated, s->malformed);
    for (int a = 0; a < AN__COUNT; a++)
        if (s->anomalies[a])
            fprintf(out, "    %10" PRIu64 "  %-22s %s\n", s->anomalies[a],
                    anomaly_name((enum anomaly)a), anomaly_description((enum anomaly)a));
}

/* --stats: each layer's count by where it stood. */
static void text_layer_counts(FILE *out, const struct input_stats *s)
{
    fprintf(out, "  per-layer counts (layer occurrences):\n");
    fprintf(out, "    %-10s %12s %12s %12s\n", "layer", "outer", "in tunnel", "in ICMP quote");
    for (int t = 0; t < LAYER__COUNT; t++) {
        uint64_t a = s->layers[PLACE_OUTER][t], b = s->layers[PLACE_TUNNEL][t],
                 c = s->layers[PLACE_QUOTED][t];
        if (a || b || c)
            fprintf(out, "    %-10s %12" PRIu64 " %12" PRIu64 " %12" PRIu64 "\n",
                    layer_name((enum layer_type)t), a, b, c);
    }
    if (s->not_ip)
        fprintf(out, "    %" PRIu64 " packets carried no IP (ARP, LLDP, ...)\n", s->not_ip);
}

/* PPPoE as an encapsulation: its 6 bytes and PPP's 2 come off every
 * packet's MTU (RFC 2516 section 7: 1492 on a 1500-byte Ethernet). */
static void text_pppoe(FILE *out, const struct input_stats *s)
{
    for (int i = 0; i < s->npppoe; i++) {
        const struct pppoe_session *x = &s->pppoe[i];
        fprintf(out,
                "  PPPoE session 0x%04x: %" PRIu64 " packets, %" PRIu64
                " carrying IP; PPPoE and PPP take 8 bytes of each (1492 on a 1500-byte Ethernet)",
                x->session, x->packets, x->ip_packets);
        if (x->largest_ip)
            fprintf(out, "; largest IP packet %u bytes (frame %" PRIu64 ")%s", x->largest_ip,
                    x->largest_frame,
                    x->largest_ip > 1492 ? ", which needs Ethernet payloads over 1500 bytes "
                                           "(RFC 4638 baby jumbo frames at both ends)"
                                         : "");
        fprintf(out, "   [Wireshark: pppoe.session_id == 0x%04x]\n", x->session);
    }
    if (s->pppoe_other)
        fprintf(out, "  and %" PRIu64 " packets of further PPPoE sessions\n", s->pppoe_other);
}

/* pcapng interface statistics (capscan.h): what the capture dropped, when
 * it ended; and a statistics block that could not be read. */
static void text_capture_stats(FILE *out, const struct input_stats *s)
{
    const struct capscan *sc = &s->scan;
    uint64_t dropped = sc->ifdrop + sc->osdrop;
    if (sc->has_ifdrop || sc->has_osdrop || sc->has_ifrecv) {
        fprintf(out, "  capture statistics (pcapng):");
        if (sc->has_ifrecv)
            fprintf(out, " %" PRIu64 " packets received,", sc->ifrecv);
        fprintf(out,
                " %s%" PRIu64 " dropped (%" PRIu64 " by the interface, %" PRIu64 " by the OS)%s\n",
                dropped ? "DROPPED: " : "", dropped, sc->ifdrop, sc->osdrop,
                dropped ? ": retransmission and loss counts may include packets the capture "
                          "missed"
                        : "");
    }
    if (sc->has_end) {
        int64_t last = s->last_sec * 1000000000ll + s->last_nsec;
        if (s->capture_end_used)
            fprintf(out, "  capture ended %.3f s after its last packet (isb_endtime%s)\n",
                    (double)(s->capture_end_ns - last) / 1e9,
                    s->capture_end_us ? ", in microseconds as dumpcap writes it" : "");
        else if (s->capture_end_why)
            fprintf(out, "  capture end (isb_endtime) not used: %s\n", s->capture_end_why);
    }
    if (sc->isb_malformed) {
        fprintf(out, "  %u pcapng statistics block%s not used: ", sc->isb_malformed,
                sc->isb_malformed == 1 ? "" : "s");
        escape_fputs(sc->isb_error, out);
        fputc('\n', out);
    }
}

/* How the files given became this input (inputs.h): a rotated capture's
 * files read as one, or why this file is not part of the input before it. */
static void text_grouping(FILE *out, const struct input_stats *s)
{
    const struct input_group *g = s->group;
    if (g) {
        fprintf(out,
                "  one capture in %d files (rotated: tcpdump -C/-G, dumpcap -b, a ring buffer), "
                "read as one stream; frames are numbered on across them, as mergecap -a would:\n",
                g->nfiles);
        for (int k = 0; k < g->nfiles; k++) {
            uint64_t end = k + 1 < g->nfiles ? g->first_frame[k + 1] - 1 : s->frames;
            fprintf(out, "    frames %" PRIu64 "-%" PRIu64 ": ", g->first_frame[k], end);
            escape_fputs(g->files[k], out);
            fputc('\n', out);
        }
        fputs("    why: ", out);
        escape_fputs(g->why, out);
        fputc('\n', out);
    } else if (s->why_alone) {
        fputs("  a separate input: ", out);
        escape_fputs(s->why_alone, out);
        fputc('\n', out);
    }
}

/* " of FILE" for frame `frame` of input s: its file and its number there
 * when the input is a rotated capture's files. */
static void text_frame_file(FILE *out, const struct input_stats *s, uint64_t frame)
{
    uint64_t n;
    int k = inputs_frame_file(s->group, frame, &n);
    fprintf(out, " (frame %" PRIu64 " of ", n);
    escape_fputs(s->group->files[k], out);
    fputc(')', out);
}

static void text_input(FILE *out, const struct input_stats *s, const struct report_opts *o)
{
    char b1[32];
    human_bytes(s->bytes, b1, sizeof b1);
    fputs("\ninput ", out);
    escape_fputs(s->path, out);
    fprintf(out, " (%s", s->format[0] ? s->format : "unreadable");
    for (int i = 0; i < s->nlinktypes; i++)
        fprintf(out, ", %s", capture_linktype_name(s->linktypes[i]));
    fprintf(out, ")\n");
    fprintf(out, "  %" PRIu64 " packets, %s", s->packets, b1);
    if (s->frames != s->packets + s->copies + s->forwarded)
        fprintf(out, " (%" PRIu64 " frames read, the rest filtered out)", s->frames);
    if (s->has_time)
        fprintf(out, ", %.3f s",
                seconds(s->last_sec, s->last_nsec) - seconds(s->first_sec, s->first_nsec));
    fprintf(out, "\n");
    text_grouping(out, s);
    if (s->error[0]) {
        fputs("  READ ERROR: ", out);
        escape_fputs(s->error, out);
        fputs(s->packets ? " (the frames before it were analysed)\n" : "\n", out);
    }
    if (s->interrupted)
        fprintf(out,
                "  INTERRUPTED (Ctrl-C) after %" PRIu64 " frames: the report covers only these\n",
                s->frames);
    if (s->copies)
        fprintf(out,
                "  %" PRIu64 " packets recorded twice by the capture (the same IPv4 ID, TTL and "
                "bytes; first: frame %" PRIu64 " of %" PRIu64 "): analysed once; editcap -d "
                "removes them\n",
                s->copies, s->copy_frame, s->copy_of);
    text_capture_stats(out, s);
    if (s->forwarded)
        fprintf(out,
                "  %" PRIu64 " packets seen entering and leaving the capturing host (its TTL one "
                "lower on the way out; first: frame %" PRIu64 " of %" PRIu64 "): analysed once\n",
                s->forwarded, s->forwarded_frame, s->forwarded_of);

    if (s->nstacks)
        text_stacks(out, s, o);
    if (s->max_tunnel_depth)
        fprintf(out, "  tunnels nested up to %" PRIu64 " deep\n", s->max_tunnel_depth);
    text_pppoe(out, s);
    if (s->ip_fragments)
        fprintf(out,
                "  IP fragments: %" PRIu64 ", datagrams reassembled: %" PRIu64
                "   [Wireshark: ip.flags.mf == 1 || ip.frag_offset > 0 || ipv6.fraghdr]\n",
                s->ip_fragments, s->reassembled);

    if (s->icmp_frag_needed || s->icmp6_packet_too_big)
        text_icmp(out, s, o);
    text_anomalies(out, s);
    if (o->layer_stats)
        text_layer_counts(out, s);
}

/* An opaque tunnel's largest datagrams re-sent with a doubling timeout. */
static void text_resend(FILE *out, const struct flow_summary *f, int d,
                        const struct resend_run *run)
{
    char fr[96] = "";
    size_t n = 0;
    for (int k = 0; k < run->nframes && n < sizeof fr; k++)
        n += (size_t)snprintf(fr + n, sizeof fr - n, "%s%" PRIu64, k ? ", " : "", run->frames[k]);
    fprintf(out,
            "        %s re-sent its %u-byte datagrams %u times at doubling intervals, "
            "%.3f s to %.3f s into the flow (frames %s%s)\n",
            d ? "server" : "client", run->size, run->copies - 1u,
            (double)(run->first_ns - f->first_ns) / 1e9, (double)(run->last_ns - f->first_ns) / 1e9,
            fr, run->copies > run->nframes ? ", ..." : "");
}

static void text_flow(FILE *out, const struct flow_summary *f, const struct report_data *r)
{
    char a[64], b[64], ep[160], filt[INF_FILTER];
    addr_text(&f->client, a, sizeof a);
    addr_text(&f->server, b, sizeof b);
    if (f->proto == IP_PROTO_TCP || f->proto == IP_PROTO_UDP)
        snprintf(ep, sizeof ep, "%s:%u -> %s:%u", a, f->client_port, b, f->server_port);
    else
        snprintf(ep, sizeof ep, "%s -> %s", a, b);
    const struct flow_dir_summary *c = &f->dir[0], *sv = &f->dir[1];
    fprintf(out, "  #%-4" PRIu64 " %-4s %s\n", f->id, results_flow_proto(f), ep);
    fprintf(out,
            "        %" PRIu64 " + %" PRIu64 " packets, largest %u / %u bytes (client / server)",
            c->packets, sv->packets, c->max_packet, sv->max_packet);
    if (f->proto == IP_PROTO_TCP)
        fprintf(out, ", MSS %u / %u", c->mss, sv->mss);
    fprintf(out, "\n");
    if (f->tunnel)
        fprintf(out, "        inside tunnel #%u\n", f->tunnel);
    if (r->ninputs > 1 && f->input < r->ninputs) {
        fputs("        in ", out);
        escape_fputs(r->inputs[f->input]->path, out);
        fprintf(out, ", frames %" PRIu64 "-%" PRIu64 "\n", f->first_frame, f->last_frame);
    }
    if (f->retransmissions || f->stalled) {
        fprintf(out, "        %" PRIu64 " retransmissions", f->retransmissions);
        for (int d = 0; d < 2; d++) {
            const struct flow_dir_summary *x = &f->dir[d];
            if (x->dl_lost)
                fprintf(out,
                        "; %s never delivered %u segments (smallest %u bytes; largest "
                        "delivered %u bytes)",
                        d ? "server" : "client", x->dl_lost, x->smallest_lost,
                        x->largest_delivered);
        }
        fprintf(out, "\n");
        for (int d = 0; d < 2; d++)
            if (f->dir[d].stalled)
                fprintf(out, "        STALLED: %s's data waits from frame %u to the end%s\n",
                        d ? "server" : "client", f->dir[d].stall_frame,
                        f->dir[d].stall_by_end ? " of the capture (isb_endtime: no re-send, no "
                                                 "acknowledgement while it ran on)"
                                               : "");
    }
    if (f->wg_data)
        fprintf(out,
                "        %" PRIu32 " WireGuard data messages, %" PRIu32 " counters never seen\n",
                f->wg_data, f->wg_lost);
    for (int d = 0; d < 2; d++) {
        const struct results_resend *rr = results_resend_of(r->res, f->id, d);
        if (rr)
            text_resend(out, f, d, &rr->run);
    }
    results_flow_filter(f, NULL, filt, sizeof filt);
    fprintf(out, "        [Wireshark: %s]\n", filt);
    uint32_t unnamed = results_flow_frags_unnamed(f, -1);
    if (unnamed) /* its fragments but the reassembling one carry no ports */
        fprintf(out,
                "        (the filter misses the fragments of %" PRIu32 " of its fragmented "
                "datagrams but the reassembling one: it names the first %d by IP id)\n",
                unnamed, FLOW_FRAG_IDS);
}

static void text_tunnels(FILE *out, const struct results *res)
{
    fprintf(out, "\ntunnels:\n");
    for (uint32_t i = 0; i < res->ntunnels; i++) {
        const struct flow_tunnel *t = &res->tunnels[i];
        char a[64], b[64];
        addr_text(&t->outer_src, a, sizeof a);
        addr_text(&t->outer_dst, b, sizeof b);
        fprintf(out, "  #%-3u %-9s %s", t->id, report_tunnel_name(t), a);
        if (t->sport || t->dport)
            fprintf(out, ":%u", t->sport);
        fprintf(out, " <-> %s", b);
        if (t->sport || t->dport)
            fprintf(out, ":%u", t->dport);
        fprintf(out, " (IPv%u outer)\n", t->ip_version);
        fprintf(out, "        %" PRIu64 " packets", t->packets);
        if (t->overhead)
            fprintf(out, ", overhead %u bytes", t->overhead);
        if (t->inner_max)
            fprintf(out, ", largest inner packet %u bytes", t->inner_max);
        fprintf(out, "\n");
    }
}

void report_text_flow_counts(FILE *out, const char *lead, const struct results *res)
{
    uint64_t stalled = 0;
    for (uint32_t i = 0; i < res->nflows; i++)
        stalled += res->flows[i].stalled;
    fprintf(out,
            "%sflows: %" PRIu64 " (%" PRIu64 " TCP, %" PRIu64 " UDP), %" PRIu64
            " TCP retransmissions, %" PRIu64 " stalled\n",
            lead, res->total_flows, res->tcp_flows, res->udp_flows, res->retransmissions, stalled);
}

static void text_flows(FILE *out, const struct report_data *r, const struct report_opts *o)
{
    const struct results *res = r->res;
    if (!res)
        return;
    report_text_flow_counts(out, "\n", res);
    if (res->retransmissions)
        fprintf(out, "  [Wireshark: tcp.analysis.retransmission]\n");
    uint64_t dropped = 0;
    for (int i = 0; i < r->ninputs; i++)
        dropped += r->inputs[i]->scan.ifdrop + r->inputs[i]->scan.osdrop;
    if (dropped)
        fprintf(out,
                "  CAPTURE DROPS: the capture itself dropped %" PRIu64 " packet%s (pcapng "
                "statistics): these retransmission, hole and loss counts may include them\n",
                dropped, dropped == 1 ? "" : "s");
    int shown = 0;
    for (uint32_t i = 0; i < res->nflows; i++) {
        const struct flow_summary *f = &res->flows[i];
        if (!o->all_flows && !results_flow_has_problem(f))
            continue;
        if (!o->all_flows && shown == 20) {
            fprintf(out, "  ... more flows with problems: --flows lists them all\n");
            break;
        }
        text_flow(out, f, r);
        shown++;
    }
    if (!o->all_flows && res->nproblem == 0 && res->total_flows)
        fprintf(out, "  no flow shows retransmissions or a stall (--flows lists them)\n");
    if (res->flows_unlisted)
        fprintf(out, "  (%" PRIu64 " healthy flows not kept for the report)\n",
                res->flows_unlisted);
    if (res->forgotten)
        fprintf(out,
                "  LIMIT: %" PRIu64 " flows were finished early, more than the live-flow cap "
                "(--max-flows, %u live) and the parked flows behind it could hold; their later "
                "packets started new flows\n",
                res->forgotten, res->live_peak);

    if (res->ntunnels)
        text_tunnels(out, res);
    /* retransmission storms are in the evidence, each once, with its filter */
}

static void text_path(FILE *out, const struct inf_path *p)
{
    char a[64], b[64];
    fprintf(out, "  %s -> %s%s: ", addr_text(&p->src, a, sizeof a), addr_text(&p->dst, b, sizeof b),
            p->layer == INF_INNER ? " (in a tunnel)" : "");
    /* an unknown bound is unknown, never 0 (issue 14 item 3) */
    if (p->mtu)
        fprintf(out, "exactly %u bytes\n", p->mtu);
    else if (p->upper && p->lower)
        fprintf(out, "between %u and %u bytes\n", p->lower, p->upper);
    else if (p->upper)
        fprintf(out, "at most %u bytes (no packet proven to cross in this capture)\n", p->upper);
    else if (p->lower)
        fprintf(out, "at least %u bytes (no upper bound in this capture)\n", p->lower);
    else
        fprintf(out, "no bound in this capture, only the evidence below\n");
    for (int k = 0; k < p->nevidence; k++) {
        wrap_item(out, 4, "- ", p->evidence[k], 98);
    }
}

void report_text_finding(FILE *out, const struct report_data *r, const struct inf_finding *f)
{
    char tag[32];
    snprintf(tag, sizeof tag, "[%s] ", report_severity_name(f->severity));
    wrap_item(out, 2, tag, f->message, 98);
    if (f->nframes) {
        const struct input_stats *in = r->inputs[f->input];
        fprintf(out, "      frames");
        for (int k = 0; k < f->nframes; k++) {
            fprintf(out, "%s %" PRIu64, k ? "," : "", f->frames[k]);
            if (in->group)
                text_frame_file(out, in, f->frames[k]);
        }
        if (r->ninputs > 1 || in->group) {
            fputs(in->group ? " of the rotated capture starting with " : " of ", out);
            escape_fputs(in->path, out);
        }
        fprintf(out, "\n");
    }
    if (f->wireshark_filter[0])
        fprintf(out, "      [Wireshark: %s]\n", f->wireshark_filter);
    char ff[INF_FILTER];
    inf_frames_filter(f, ff, sizeof ff);
    /* that filter shows more than the frames listed: these alone too */
    if (f->filter_note && f->filter_note[0] && ff[0])
        fprintf(out, "      [Wireshark, these frames only: %s]\n", ff);
}

static void text_findings(FILE *out, const struct report_data *r)
{
    const struct inference *inf = r->inf;
    for (int i = 0; i < inf->nfindings; i++)
        report_text_finding(out, r, &inf->findings[i]);
}

/* Bounded paths first; the rest only while the list stays short (--json
 * lists every path). */
static void text_paths(FILE *out, const struct inference *inf, const struct report_opts *o)
{
    int shown = 0, hidden = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < inf->npaths; i++) {
            const struct inf_path *p = &inf->paths[i];
            if (pass == 0 ? !p->upper : (p->upper || !p->nevidence))
                continue;
            if (shown == (o->layer_stats ? INF_MAX_PATHS : 12)) {
                hidden++;
                continue;
            }
            shown++;
            text_path(out, p);
        }
    }
    if (hidden)
        fprintf(out, "  ... %d more paths (-v or --json lists them)\n", hidden);
}

/* A block to paste: each line whole on a line of its own, indented by
 * four spaces and never folded, so that selecting the lines and pasting
 * them runs them as shown (issue 16). */
static void text_code(FILE *out, const char *text)
{
    const char *p = text;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        /* our own text and addresses: printed as they are (escape.h's
         * doubling of a backslash would break a Windows path), control
         * bytes only made harmless */
        fputs("    ", out);
        for (size_t k = 0; k < n; k++)
            fputc((unsigned char)p[k] < 0x20 || p[k] == 0x7f ? '?' : p[k], out);
        fputc('\n', out);
        p += n;
        if (*p == '\n')
            p++;
    }
}

/* The fix: what to set (or that the capture only bounds it) and why, the
 * blocks to paste, then the rest of the advice in words. */
static void text_fix(FILE *out, const struct inference *inf, const char *bold, const char *off)
{
    const struct inf_fix *fx = &inf->fix;
    fprintf(out, "\n%sfix:%s\n", bold, off);
    if (fx->headline) {
        wrap(out, 2, fx->headline, 98);
        if (fx->why)
            wrap_item(out, 2, "why: ", fx->why, 98);
        if (fx->safe)
            wrap_item(out, 2, "safe meanwhile: ", fx->safe, 98);
        for (int i = 0; i < fx->nblocks; i++) {
            const struct inf_fix_block *b = &fx->blocks[i];
            fputc('\n', out);
            if (b->title)
                wrap(out, 2, b->title, 98);
            if (b->text)
                text_code(out, b->text);
        }
    }
    bool first = true;
    for (int i = 0; i < inf->nrecs; i++) {
        /* the setting the blocks above already show is not said twice */
        if (inf->advice[i].kind == ADV_SET_TUNNEL_MTU && fx->exact && inf->advice[i].n1 == fx->mtu)
            continue;
        if (first && fx->headline) /* a blank line after the blocks, only before a line */
            fputc('\n', out);
        first = false;
        wrap_item(out, 2, "- ", inf->recs[i], 98);
    }
}

/* The answer first: the verdict, its summary and what to do. */
bool report_text_verdict(FILE *out, const struct report_data *r, const struct report_opts *o)
{
    const struct inference *inf = r->inf;
    const char *bold = o->color ? "\033[1m" : "", *off = o->color ? "\033[0m" : "";
    const char *red = o->color ? "\033[1;31m" : "", *green = o->color ? "\033[1;32m" : "";
    if (!inf) {
        fprintf(out, "%sverdict: inconclusive%s\n  %s\n", bold, off, REPORT_NO_VERDICT_SUMMARY);
        return false;
    }
    /* colour by verdict.h's tone, as every output: red a problem, green a
     * working path, bold alone when the capture cannot tell */
    enum verdict_status vs = verdict_status_from_name(inf->status);
    enum verdict_tone tone = vs == VS__COUNT ? TONE_UNKNOWN : verdict_names[vs].tone;
    fprintf(out, "%sverdict: %s%s\n",
            tone == TONE_PROBLEM ? red
            : tone == TONE_OK    ? green
                                 : bold,
            inf->status, off);
    wrap(out, 2, inf->summary, 98);
    if (inf->fix.headline || inf->nrecs)
        text_fix(out, inf, bold, off);
    return true;
}

/* The verdict, the fix, and the evidence for it. */
static void text_verdict(FILE *out, const struct report_data *r, const struct report_opts *o)
{
    const struct inference *inf = r->inf;
    const char *bold = o->color ? "\033[1m" : "", *off = o->color ? "\033[0m" : "";
    if (!report_text_verdict(out, r, o))
        return;
    if (inf->nfindings) {
        fprintf(out, "\n%sevidence:%s\n", bold, off);
        text_findings(out, r);
    }
    if (inf->npaths) {
        fprintf(out, "\n%spath MTU:%s\n", bold, off);
        text_paths(out, inf, o);
    }
}

static void text_corr_dir(FILE *out, const struct corr_pair *p, const struct corr_dir *d)
{
    struct addr s, t;
    char a[64], b[64], line[1024];
    corr_dir_addrs(d, &s, &t);
    struct corr_verdict v;
    if (!corr_dir_verdict(d, &v))
        return;
    int u = d->upstream;
    int in[2] = {p->a + 1, p->b + 1}; /* inputs are numbered from 1 in the text */
    int64_t delay = d->delay_median_ns < 0 ? -d->delay_median_ns : d->delay_median_ns;
    int n = snprintf(line, sizeof line,
                     "%s -> %s (%s), upstream [%d]: %" PRIu64 " delivered, %" PRIu64
                     " lost; largest delivered %u bytes (frame %" PRIu64 " of [%d], %" PRIu64
                     " of [%d])",
                     addr_text(&s, a, sizeof a), addr_text(&t, b, sizeof b),
                     d->depth ? "inner" : "outer", in[u], d->matched, d->only[u],
                     v.largest_delivered, d->largest_frame[u], in[u], d->largest_frame[!u], in[!u]);
    if (v.smallest_lost && n > 0 && (size_t)n < sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n,
                      "; never delivered: %u bytes and up (%" PRIu64 " lost at %u bytes, %" PRIu64
                      " at or above, first: frame %" PRIu64 " of [%d])",
                      v.smallest_lost, v.lost_at_smallest, v.smallest_lost, v.lost_at_or_above,
                      v.lost_frame, in[u]);
    if (n > 0 && (size_t)n < sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, "; one-way delay %.3f ms (median)",
                      (double)delay / 1e6);
    if (n > 0 && (size_t)n < sizeof line && d->only[!u])
        n += snprintf(line + n, sizeof line - (size_t)n,
                      "; %" PRIu64 " seen only in [%d] (missed by the capture upstream)",
                      d->only[!u], in[!u]);
    if (n > 0 && (size_t)n < sizeof line && (d->fragmented[0] || d->fragmented[1]))
        n += snprintf(line + n, sizeof line - (size_t)n,
                      "; %" PRIu64 " in [%d] and %" PRIu64 " in [%d] are the same datagrams in "
                      "another shape, whole in one capture and fragments in the other (cut on "
                      "the way: neither lost nor a bound at their size; %" PRIu64
                      " of them with fragments missing)",
                      d->fragmented[u], in[u], d->fragmented[!u], in[!u], d->fragmented_incomplete);
    if (n > 0 && (size_t)n < sizeof line && d->cross_depth)
        n += snprintf(line + n, sizeof line - (size_t)n,
                      "; %" PRIu64 " matched inside a tunnel in one capture and outside it in the "
                      "other (perhaps one host, before and after encapsulation: no path bound "
                      "taken)",
                      d->cross_depth);
    if (n > 0 && (size_t)n < sizeof line && (d->uncovered[0] || d->uncovered[1]))
        snprintf(line + n, sizeof line - (size_t)n,
                 "; %" PRIu64 " outside the other capture's time span, not counted",
                 d->uncovered[0] + d->uncovered[1]);
    wrap(out, 4, line, 98);
    char filt[INF_FILTER];
    corr_dir_filter(d, &v, filt, sizeof filt);
    fprintf(out, "      [Wireshark, on [%d]: %s]\n", in[u], filt);
}

/* Several vantage points: what the same packets did between them. */
static void text_correlation(FILE *out, const struct report_data *r, const struct report_opts *o)
{
    const struct correlation *c = r->res->correlation;
    if (!c || c->ninputs < 2)
        return;
    const char *bold = o->color ? "\033[1m" : "", *off = o->color ? "\033[0m" : "";
    fprintf(out, "\n%svantage points (the same packets matched across inputs, window %lld s):%s\n",
            bold, (long long)(CORR_WINDOW_NS / 1000000000), off);
    for (int i = 0; i < r->ninputs; i++) {
        fprintf(out, "  [%d] ", i + 1);
        escape_fputs(r->inputs[i]->path, out);
        fputc('\n', out);
    }
    if (!c->any_shared)
        fprintf(out, "  no two inputs share traffic: nothing was correlated\n");
    for (int i = 0; i < c->npairs; i++) {
        const struct corr_pair *p = &c->pairs[i];
        char line[1024];
        if (!p->shared_flows || !p->matched) {
            snprintf(line, sizeof line, "[%d] and [%d]: %s", p->a + 1, p->b + 1, p->note);
            wrap(out, 2, line, 98);
            continue;
        }
        if (p->offset_known)
            snprintf(line, sizeof line,
                     "[%d] and [%d]: %" PRIu64 " packets matched; clock offset %+.3f ms ([%d]'s "
                     "clock minus [%d]'s)",
                     p->a + 1, p->b + 1, p->matched, (double)p->offset_ns / 1e6, p->b + 1,
                     p->a + 1);
        else
            snprintf(line, sizeof line,
                     "[%d] and [%d]: %" PRIu64 " packets matched; clock offset unknown (one "
                     "direction only): clocks assumed in sync",
                     p->a + 1, p->b + 1, p->matched);
        wrap(out, 2, line, 98);
        if (p->cap_hits)
            fprintf(out, "    (%" PRIu64 " keys dropped unresolved: over %d held at once)\n",
                    p->cap_hits, CORR_MAX_PENDING);
        for (int k = 0; k < p->ndirs; k++)
            text_corr_dir(out, p, &p->dirs[k]);
    }
    if (c->pairs_unlisted)
        fprintf(out, "  ... %" PRIu64 " more pairs of inputs not correlated (limit %d)\n",
                c->pairs_unlisted, CORR_MAX_PAIRS);
}

void report_text(FILE *out, const struct report_data *r, const struct report_opts *o)
{
    if (o->quiet) {
        fprintf(out, "%s: ", r->inf ? r->inf->status : "inconclusive");
        escape_fputs(r->inf ? r->inf->summary : REPORT_NO_VERDICT_SUMMARY, out);
        fputc('\n', out);
        return;
    }
    if (!o->full) {
        report_text_short(out, r, o);
        return;
    }
    text_verdict(out, r, o);
    report_compare_text(out, r->inf ? r->inf->cmp : NULL, r, o->color ? "\033[1m" : "",
                        o->color ? "\033[0m" : "");
    text_correlation(out, r, o);
    for (int i = 0; i < r->ninputs; i++)
        text_input(out, r->inputs[i], o);
    text_flows(out, r, o);
}
