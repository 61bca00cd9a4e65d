/*
 * report.c - the text and JSON reports.
 *
 * The text report leads with the answer (today: what the decoder saw, since
 * the flow and MTU analysis stages are not built yet, and it says so), then
 * the evidence with a Wireshark display filter for each item, then counts.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "correlate.h"
#include "escape.h"
#include "inference.h"
#include "json.h"
#include "tunnels.h"
#include "verdict.h"
#include "report.h"

/* Without an inference (out of memory): say so rather than guess. */
#define NO_VERDICT_SUMMARY "the inference did not run (out of memory)"

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
        if (m->qsport || m->qdport)
            snprintf(buf + n, size - (size_t)n, "; about a %u-byte %s packet %s:%u -> %s:%u",
                     m->quoted_len, ip_proto_name(m->qproto), qs, m->qsport, qd, m->qdport);
        else
            snprintf(buf + n, size - (size_t)n, "; about a %u-byte %s packet %s -> %s",
                     m->quoted_len, ip_proto_name(m->qproto), qs, qd);
    }
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
    if (s->frames != s->packets)
        fprintf(out, " (%" PRIu64 " frames read, the rest filtered out)", s->frames);
    if (s->has_time)
        fprintf(out, ", %.3f s",
                seconds(s->last_sec, s->last_nsec) - seconds(s->first_sec, s->first_nsec));
    fprintf(out, "\n");
    if (s->error[0]) {
        fputs("  READ ERROR: ", out);
        escape_fputs(s->error, out);
        fputs(s->packets ? " (the frames before it were analysed)\n" : "\n", out);
    }
    if (s->interrupted)
        fprintf(out,
                "  INTERRUPTED (Ctrl-C) after %" PRIu64 " frames: the report covers only these\n",
                s->frames);

    if (s->nstacks) {
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
    if (s->max_tunnel_depth)
        fprintf(out, "  tunnels nested up to %" PRIu64 " deep\n", s->max_tunnel_depth);
    if (s->ip_fragments)
        fprintf(out,
                "  IP fragments: %" PRIu64 ", datagrams reassembled: %" PRIu64
                "   [Wireshark: ip.flags.mf == 1 || ip.frag_offset > 0 || ipv6.fragment]\n",
                s->ip_fragments, s->reassembled);

    if (s->icmp_frag_needed || s->icmp6_packet_too_big) {
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

    uint64_t anomalous = 0;
    for (int a = 0; a < AN__COUNT; a++)
        anomalous += s->anomalies[a];
    if (anomalous) {
        fprintf(out,
                "  anomalies: %" PRIu64 " packets truncated by the snap length, %" PRIu64
                " malformed\n",
                s->truncated, s->malformed);
        for (int a = 0; a < AN__COUNT; a++)
            if (s->anomalies[a])
                fprintf(out, "    %10" PRIu64 "  %-22s %s\n", s->anomalies[a],
                        anomaly_name((enum anomaly)a), anomaly_description((enum anomaly)a));
    }

    if (o->layer_stats) {
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
}

static const char *tunnel_name(const struct flow_tunnel *t)
{
    const char *n = tunnel_type_name(t->type, t->ip_version, t->inner_version);
    return n ? n : layer_name((enum layer_type)t->type);
}

static void text_flow(FILE *out, const struct flow_summary *f, const struct report_data *r)
{
    char a[64], b[64], ep[160], filt[256];
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
                fprintf(out, "        STALLED: %s's data waits from frame %u to the end\n",
                        d ? "server" : "client", f->dir[d].stall_frame);
    }
    if (f->wg_data)
        fprintf(out,
                "        %" PRIu32 " WireGuard data messages, %" PRIu32 " counters never seen\n",
                f->wg_data, f->wg_lost);
    for (int d = 0; d < 2; d++) {
        const struct results_resend *rr = results_resend_of(r->res, f->id, d);
        if (!rr)
            continue;
        char fr[96] = "";
        size_t n = 0;
        for (int k = 0; k < rr->run.nframes && n < sizeof fr; k++)
            n += (size_t)snprintf(fr + n, sizeof fr - n, "%s%" PRIu64, k ? ", " : "",
                                  rr->run.frames[k]);
        fprintf(out,
                "        %s re-sent its %u-byte datagrams %u times at doubling intervals, "
                "%.3f s to %.3f s into the flow (frames %s%s)\n",
                d ? "server" : "client", rr->run.size, rr->run.copies - 1u,
                (double)(rr->run.first_ns - f->first_ns) / 1e9,
                (double)(rr->run.last_ns - f->first_ns) / 1e9, fr,
                rr->run.copies > rr->run.nframes ? ", ..." : "");
    }
    results_flow_filter(f, NULL, filt, sizeof filt);
    fprintf(out, "        [Wireshark: %s]\n", filt);
}

static void text_flows(FILE *out, const struct report_data *r, const struct report_opts *o)
{
    const struct results *res = r->res;
    if (!res)
        return;
    uint64_t stalled = 0;
    for (uint32_t i = 0; i < res->nflows; i++)
        stalled += res->flows[i].stalled;
    fprintf(out,
            "\nflows: %" PRIu64 " (%" PRIu64 " TCP, %" PRIu64 " UDP), %" PRIu64
            " TCP retransmissions, %" PRIu64 " stalled\n",
            res->total_flows, res->tcp_flows, res->udp_flows, res->retransmissions, stalled);
    if (res->retransmissions)
        fprintf(out, "  [Wireshark: tcp.analysis.retransmission]\n");
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
    if (res->evicted)
        fprintf(out,
                "  LIMIT: %" PRIu64 " flows were finished early to keep at most %u live "
                "(--max-flows); their later packets started new flows\n",
                res->evicted, res->live_peak);

    if (res->ntunnels) {
        fprintf(out, "\ntunnels:\n");
        for (uint32_t i = 0; i < res->ntunnels; i++) {
            const struct flow_tunnel *t = &res->tunnels[i];
            char a[64], b[64];
            addr_text(&t->outer_src, a, sizeof a);
            addr_text(&t->outer_dst, b, sizeof b);
            fprintf(out, "  #%-3u %-9s %s", t->id, tunnel_name(t), a);
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
    if (res->nstorms) {
        fprintf(out,
                "\nretransmission storms (>= %d retransmissions and >= %d%% of packets "
                "within %d ms):\n",
                FLOW_STORM_MIN_RETRANS, FLOW_STORM_MIN_PERCENT, FLOW_STORM_WINDOW_MS);
        for (uint32_t i = 0; i < res->nstorms; i++) {
            const struct flow_storm *st = &res->storms[i];
            char who[32];
            if (st->flow)
                snprintf(who, sizeof who, "flow #%" PRIu64, st->flow);
            else
                snprintf(who, sizeof who, "all flows");
            fprintf(out,
                    "  %-10s frames %" PRIu64 "-%" PRIu64 ", %.3f s, %u retransmissions in %u "
                    "packets\n",
                    who, st->start_frame, st->end_frame, (double)(st->end_ns - st->start_ns) / 1e9,
                    st->retransmissions, st->packets);
        }
    }
}

static const char *const severity_names[] = {"error", "warning", "info"};

static void text_path(FILE *out, const struct inf_path *p)
{
    char a[64], b[64];
    fprintf(out, "  %s -> %s%s: ", addr_text(&p->src, a, sizeof a), addr_text(&p->dst, b, sizeof b),
            p->layer == INF_INNER ? " (in a tunnel)" : "");
    if (p->mtu)
        fprintf(out, "exactly %u bytes\n", p->mtu);
    else if (p->upper)
        fprintf(out, "between %u and %u bytes\n", p->lower, p->upper);
    else
        fprintf(out, "at least %u bytes (no upper bound in this capture)\n", p->lower);
    for (int k = 0; k < p->nevidence; k++) {
        wrap_item(out, 4, "- ", p->evidence[k], 98);
    }
}

/* The answer first: verdict, what to do, and the evidence for it. */
static void text_verdict(FILE *out, const struct report_data *r, const struct report_opts *o)
{
    const struct inference *inf = r->inf;
    const char *bold = o->color ? "\033[1m" : "", *off = o->color ? "\033[0m" : "";
    const char *red = o->color ? "\033[1;31m" : "", *green = o->color ? "\033[1;32m" : "";
    if (!inf) {
        fprintf(out, "%sverdict: inconclusive%s\n  %s\n", bold, off, NO_VERDICT_SUMMARY);
        return;
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
    if (inf->nrecs) {
        fprintf(out, "\n%sfix:%s\n", bold, off);
        for (int i = 0; i < inf->nrecs; i++) {
            wrap_item(out, 2, "- ", inf->recs[i], 98);
        }
    }
    if (inf->nfindings) {
        fprintf(out, "\n%sevidence:%s\n", bold, off);
        for (int i = 0; i < inf->nfindings; i++) {
            const struct inf_finding *f = &inf->findings[i];
            char tag[32];
            snprintf(tag, sizeof tag, "[%s] ", severity_names[f->severity]);
            wrap_item(out, 2, tag, f->message, 98);
            if (f->nframes) {
                fprintf(out, "      frames");
                for (int k = 0; k < f->nframes; k++)
                    fprintf(out, "%s %" PRIu64, k ? "," : "", f->frames[k]);
                if (r->ninputs > 1) {
                    fputs(" of ", out);
                    escape_fputs(r->inputs[f->input]->path, out);
                }
                fprintf(out, "\n");
            }
            if (f->wireshark_filter[0])
                fprintf(out, "      [Wireshark: %s]\n", f->wireshark_filter);
        }
    }
    if (inf->npaths) {
        /* bounded paths first; the rest only while the list stays short
         * (--json lists every path) */
        fprintf(out, "\n%spath MTU:%s\n", bold, off);
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
        escape_fputs(r->inf ? r->inf->summary : NO_VERDICT_SUMMARY, out);
        fputc('\n', out);
        return;
    }
    text_verdict(out, r, o);
    text_correlation(out, r, o);
    for (int i = 0; i < r->ninputs; i++)
        text_input(out, r->inputs[i], o);
    text_flows(out, r, o);
}

static void json_addr(struct json *j, const char *key, const struct addr *a)
{
    char buf[64];
    if (a->addr_type == ADDR_TYPE_IP || a->addr_type == ADDR_TYPE_IP6)
        json_string(j, key, addr_text(a, buf, sizeof buf));
    else
        json_null(j, key);
}

static void json_input(struct json *j, const struct input_stats *s)
{
    json_object_begin(j, NULL);
    json_string(j, "file", s->path);
    if (s->format[0])
        json_string(j, "format", s->format);
    else
        json_null(j, "format");
    json_array_begin(j, "linktypes");
    for (int i = 0; i < s->nlinktypes; i++)
        json_string(j, NULL, capture_linktype_name(s->linktypes[i]));
    json_array_end(j);
    json_uint(j, "packets", s->packets);
    json_uint(j, "bytes", s->bytes);
    json_uint(j, "truncated", s->truncated);
    json_uint(j, "malformed", s->malformed);
    if (s->error[0])
        json_string(j, "error", s->error);
    else
        json_null(j, "error");
    json_bool(j, "interrupted", s->interrupted);
    json_uint(j, "frames", s->frames);
    if (s->has_time) {
        json_time(j, "first_time", s->first_sec * 1000000000 + s->first_nsec);
        json_time(j, "last_time", s->last_sec * 1000000000 + s->last_nsec);
    } else {
        json_time_null(j, "first_time");
        json_time_null(j, "last_time");
    }
    json_object_begin(j, "anomalies");
    for (int a = 0; a < AN__COUNT; a++)
        if (s->anomalies[a])
            json_uint(j, anomaly_name((enum anomaly)a), s->anomalies[a]);
    json_object_end(j);
    static const char *const places[PLACE__COUNT] = {"outer", "tunnel", "quoted"};
    json_object_begin(j, "layers");
    for (int p = 0; p < PLACE__COUNT; p++) {
        json_object_begin(j, places[p]);
        for (int t = 0; t < LAYER__COUNT; t++)
            if (s->layers[p][t])
                json_uint(j, layer_name((enum layer_type)t), s->layers[p][t]);
        json_object_end(j);
    }
    json_object_end(j);
    json_array_begin(j, "stacks");
    for (int i = 0; i < s->nstacks; i++) {
        char name[256];
        stats_stack_name(&s->stacks[i], name, sizeof name);
        json_object_begin(j, NULL);
        json_string(j, "stack", name);
        json_uint(j, "packets", s->stacks[i].packets);
        json_object_end(j);
    }
    json_array_end(j);
    json_uint(j, "stacks_other", s->stacks_other);
    json_uint(j, "ip_fragments", s->ip_fragments);
    json_uint(j, "reassembled", s->reassembled);
    json_uint(j, "max_tunnel_depth", s->max_tunnel_depth);
    json_object_end(j);
}

static void json_dir_pair_u(struct json *j, const char *key, unsigned c, unsigned sv,
                            bool zero_null)
{
    json_object_begin(j, key);
    if (zero_null && !c)
        json_null(j, "client");
    else
        json_uint(j, "client", c);
    if (zero_null && !sv)
        json_null(j, "server");
    else
        json_uint(j, "server", sv);
    json_object_end(j);
}

static void json_endpoint(struct json *j, const char *key, const struct addr *a, unsigned port,
                          bool has_port)
{
    json_object_begin(j, key);
    json_addr(j, "addr", a);
    if (has_port)
        json_uint(j, "port", port);
    else
        json_null(j, "port");
    json_object_end(j);
}

/* A count or size, null when 0 (unknown or none). */
static void json_opt_uint(struct json *j, const char *key, uint64_t v)
{
    if (v)
        json_uint(j, key, v);
    else
        json_null(j, key);
}

static void json_flow_dir(struct json *j, const char *key, const struct flow_dir_summary *d)
{
    json_object_begin(j, key);
    json_uint(j, "packets", d->packets);
    json_uint(j, "bytes", d->bytes);
    json_uint(j, "data_segments", d->tcp.data_segments);
    json_uint(j, "retransmissions", d->tcp.retrans);
    json_uint(j, "fast_retransmissions", d->tcp.fast_retrans);
    json_uint(j, "spurious_retransmissions", d->tcp.spurious);
    json_uint(j, "out_of_order", d->tcp.out_of_order);
    json_uint(j, "duplicate_acks", d->tcp.dup_ack);
    json_uint(j, "zero_windows", d->tcp.zero_window);
    json_uint(j, "previous_segment_not_captured", d->tcp.lost_segment);
    json_uint(j, "acked_unseen_segment", d->tcp.acked_unseen);
    json_object_begin(j, "delivery");
    json_uint(j, "sent", d->dl_sent);
    json_uint(j, "delivered", d->dl_delivered);
    json_uint(j, "lost", d->dl_lost);
    json_uint(j, "superseded", d->dl_superseded);
    json_uint(j, "unacked", d->dl_unacked);
    json_opt_uint(j, "largest_delivered", d->largest_delivered);
    json_opt_uint(j, "smallest_lost", d->smallest_lost);
    json_array_begin(j, "lost_frames");
    for (int i = 0; i < d->nlost_frames; i++)
        json_uint(j, NULL, d->lost_frames[i]);
    json_array_end(j);
    json_object_end(j);
    if (d->rtt_samples) {
        json_object_begin(j, "rtt_ms");
        json_double(j, "min", d->rtt_min_us / 1e3, 3);
        json_double(j, "avg", d->rtt_avg_us / 1e3, 3);
        json_double(j, "max", d->rtt_max_us / 1e3, 3);
        json_uint(j, "samples", d->rtt_samples);
        json_object_end(j);
    } else {
        json_null(j, "rtt_ms");
    }
    json_array_begin(j, "rto_backoff_s");
    for (int i = 0; i < d->backoff_nintervals && i < FLOW_BACKOFF_KEPT; i++)
        json_double(j, NULL, d->backoff_us[i] / 1e6, 3);
    json_array_end(j);
    json_bool(j, "stalled", d->stalled);
    if (d->stalled)
        json_uint(j, "stall_frame", d->stall_frame);
    json_object_end(j);
}

static void json_blackhole(struct json *j, const struct inf_blackhole *bh)
{
    if (!bh) {
        json_null(j, "blackhole");
        return;
    }
    json_object_begin(j, "blackhole");
    json_string(j, "direction", bh->dir ? "server->client" : "client->server");
    json_opt_uint(j, "largest_delivered", bh->largest_delivered);
    json_opt_uint(j, "smallest_lost",
                  bh->smallest_lost); /* receiver side: the lost packets were not seen */
    json_array_begin(j, "frames");
    for (int i = 0; i < bh->nframes; i++)
        json_uint(j, NULL, bh->frames[i]);
    json_array_end(j);
    json_bool(j, "suspected", bh->suspected);
    json_bool(j, "healed", bh->healed);
    if (bh->healed)
        json_double(j, "healed_cost_s", (double)bh->cost_ns / 1e9, 3);
    json_object_end(j);
}

/* An opaque tunnel's largest datagrams re-sent with a doubling timeout. */
static void json_resend(struct json *j, const char *key, const struct results_resend *rr)
{
    if (!rr) {
        json_null(j, key);
        return;
    }
    const struct resend_run *r = &rr->run;
    json_object_begin(j, key);
    json_uint(j, "size", r->size);
    json_uint(j, "copies", r->copies);
    json_array_begin(j, "intervals_s");
    for (int i = 0; i < r->nintervals; i++)
        json_double(j, NULL, (double)r->interval_us[i] / 1e6, 6);
    json_array_end(j);
    json_array_begin(j, "frames");
    for (int i = 0; i < r->nframes; i++)
        json_uint(j, NULL, r->frames[i]);
    json_array_end(j);
    json_time(j, "first_time", r->first_ns);
    json_time(j, "last_time", r->last_ns);
    json_uint(j, "smaller_sent", r->smaller);
    json_uint(j, "peer_packets", r->peer);
    json_object_end(j);
}

static void json_flow(struct json *j, const struct flow_summary *f, const struct inference *inf,
                      const struct results *res)
{
    char filt[256];
    bool ports = f->proto == IP_PROTO_TCP || f->proto == IP_PROTO_UDP;
    json_object_begin(j, NULL);
    json_uint(j, "id", f->id);
    json_string(j, "proto", results_flow_proto(f));
    json_endpoint(j, "client", &f->client, f->client_port, ports);
    json_endpoint(j, "server", &f->server, f->server_port, ports);
    json_opt_uint(j, "tunnel", f->tunnel);
    json_uint(j, "first_frame", f->first_frame);
    json_uint(j, "packets", f->dir[0].packets + f->dir[1].packets);
    json_uint(j, "bytes", f->dir[0].bytes + f->dir[1].bytes);
    if (f->proto == IP_PROTO_TCP)
        json_dir_pair_u(j, "mss", f->dir[0].mss, f->dir[1].mss, true);
    else
        json_dir_pair_u(j, "mss", 0, 0, true);
    json_dir_pair_u(j, "max_packet", f->dir[0].max_packet, f->dir[1].max_packet, false);
    json_uint(j, "retransmissions", f->retransmissions);
    json_bool(j, "stalled", f->stalled);
    json_blackhole(j, inf ? inference_blackhole(inf, f->id) : NULL);
    json_uint(j, "input", f->input);
    json_uint(j, "last_frame", f->last_frame);
    json_time(j, "first_time", f->first_ns);
    json_time(j, "last_time", f->last_ns);
    json_uint(j, "ip_version", f->ip_version);
    if (f->carries_tunnel)
        json_uint(j, "carries_tunnel", f->carries_tunnel);
    if (f->wg_data) {
        json_uint(j, "wireguard_data", f->wg_data);
        json_uint(j, "wireguard_lost", f->wg_lost);
    }
    if (f->opaque) {
        json_object_begin(j, "resent");
        json_resend(j, "client_to_server", results_resend_of(res, f->id, 0));
        json_resend(j, "server_to_client", results_resend_of(res, f->id, 1));
        json_object_end(j);
    }
    json_uint(j, "storms", f->storms);
    json_flow_dir(j, "client_to_server", &f->dir[0]);
    json_flow_dir(j, "server_to_client", &f->dir[1]);
    results_flow_filter(f, NULL, filt, sizeof filt);
    json_string(j, "wireshark_filter", filt);
    json_object_end(j);
}

static void json_tunnel(struct json *j, const struct flow_tunnel *t, const struct inf_tunnel *it)
{
    json_object_begin(j, NULL);
    json_uint(j, "id", t->id);
    json_string(j, "type", tunnel_name(t));
    json_object_begin(j, "outer");
    json_addr(j, "src", &t->outer_src);
    json_addr(j, "dst", &t->outer_dst);
    if (t->sport || t->dport) {
        json_uint(j, "sport", t->sport);
        json_uint(j, "dport", t->dport);
    } else {
        json_null(j, "sport");
        json_null(j, "dport");
    }
    json_object_end(j);
    json_uint(j, "ip_version", t->ip_version);
    json_opt_uint(j, "overhead", it ? it->overhead : t->overhead);
    json_opt_uint(j, "inner_mtu_seen", t->inner_max);
    json_opt_uint(j, "path_mtu_lower", it ? it->path_lower : 0);
    json_opt_uint(j, "path_mtu_upper", it ? it->path_upper : 0);
    json_opt_uint(j, "recommended_mtu", it ? it->recommended_mtu : 0);
    if (it && it->config && it->config[0])
        json_string(j, "config", it->config);
    else
        json_null(j, "config");
    json_uint(j, "packets", t->packets);
    json_object_end(j);
}

static void json_corr_dir(struct json *j, const struct corr_pair *p, const struct corr_dir *d)
{
    struct addr s, t;
    corr_dir_addrs(d, &s, &t);
    struct corr_verdict v;
    bool known = corr_dir_verdict(d, &v);
    int u = known ? d->upstream : 0;
    json_object_begin(j, NULL);
    json_addr(j, "src", &s);
    json_addr(j, "dst", &t);
    json_string(j, "layer", d->depth ? "inner" : "outer");
    json_uint(j, "tunnel_depth", d->depth);
    json_array_begin(j, "kinds");
    for (int k = CORR_WG; k <= CORR_IPV4; k++)
        if (d->kinds & (1u << k))
            json_string(j, NULL, corr_kind_name((enum corr_kind)k));
    json_array_end(j);
    if (known) {
        json_int(j, "upstream", u ? p->b : p->a);
        json_int(j, "downstream", u ? p->a : p->b);
    } else {
        json_null(j, "upstream");
        json_null(j, "downstream");
    }
    json_uint(j, "matched", d->matched);
    json_uint(j, "cross_depth", d->cross_depth);
    json_uint(j, "lost", known ? d->only[u] : 0);
    json_uint(j, "only_downstream", known ? d->only[!u] : 0);
    json_uint(j, "uncovered", d->uncovered[0] + d->uncovered[1]);
    json_uint(j, "largest_delivered", v.largest_delivered);
    json_opt_uint(j, "smallest_lost", v.smallest_lost);
    json_uint(j, "lost_at_smallest", v.lost_at_smallest);
    json_uint(j, "lost_at_or_above", v.lost_at_or_above);
    json_bool(j, "all_lost_above", v.all_lost_above);
    json_int(j, "delay_ns", d->delay_median_ns < 0 ? -d->delay_median_ns : d->delay_median_ns);
    json_object_begin(j, "frames");
    json_array_begin(j, "largest_delivered");
    json_uint(j, NULL, d->largest_frame[u]);
    json_uint(j, NULL, d->largest_frame[!u]);
    json_array_end(j);
    json_opt_uint(j, "first_lost", v.lost_frame);
    json_object_end(j);
    json_array_begin(j, "by_size");
    if (d->small.size) {
        json_object_begin(j, NULL);
        json_uint(j, "size", d->small.size);
        json_bool(j, "or_less", true);
        json_uint(j, "matched", d->small.matched);
        json_uint(j, "lost", d->small.only[u]);
        json_uint(j, "only_downstream", d->small.only[!u]);
        json_object_end(j);
    }
    for (uint32_t k = 0; k < d->nsizes; k++) {
        const struct corr_size *z = &d->sizes[k];
        json_object_begin(j, NULL);
        json_uint(j, "size", z->size);
        json_uint(j, "matched", z->matched);
        json_uint(j, "lost", z->only[u]);
        json_uint(j, "only_downstream", z->only[!u]);
        json_object_end(j);
    }
    json_array_end(j);
    char filt[INF_FILTER];
    corr_dir_filter(d, &v, filt, sizeof filt);
    json_string(j, "wireshark_filter", filt);
    json_object_end(j);
}

static void json_correlation(struct json *j, const struct correlation *c)
{
    json_array_begin(j, "correlation");
    for (int i = 0; c && i < c->npairs; i++) {
        const struct corr_pair *p = &c->pairs[i];
        json_object_begin(j, NULL);
        json_array_begin(j, "inputs");
        json_int(j, NULL, p->a);
        json_int(j, NULL, p->b);
        json_array_end(j);
        json_bool(j, "shared_flows", p->shared_flows);
        json_uint(j, "matched", p->matched);
        if (p->offset_known)
            json_int(j, "clock_offset_ns", p->offset_ns);
        else
            json_null(j, "clock_offset_ns");
        json_int(j, "window_ns", CORR_WINDOW_NS);
        json_uint(j, "cap_hits", p->cap_hits);
        json_string(j, "note", p->note[0] ? p->note : NULL);
        json_array_begin(j, "directions");
        for (int k = 0; k < p->ndirs; k++)
            json_corr_dir(j, p, &p->dirs[k]);
        json_array_end(j);
        json_object_end(j);
    }
    json_array_end(j);
}

void report_json(FILE *out, const struct report_data *r)
{
    struct json j;
    json_init(&j, out, true);
    json_object_begin(&j, NULL);

    json_object_begin(&j, "tool");
    json_string(&j, "name", "mtuscope");
    json_string(&j, "version", MTUSCOPE_VERSION);
    json_object_end(&j);

    json_array_begin(&j, "inputs");
    for (int i = 0; i < r->ninputs; i++)
        json_input(&j, r->inputs[i]);
    json_array_end(&j);

    uint64_t packets = 0, frags = 0, fn = 0, ptb = 0;
    for (int i = 0; i < r->ninputs; i++) {
        packets += r->inputs[i]->packets;
        frags += r->inputs[i]->ip_fragments;
        fn += r->inputs[i]->icmp_frag_needed;
        ptb += r->inputs[i]->icmp6_packet_too_big;
    }
    const struct results *res = r->res;
    json_object_begin(&j, "stats");
    json_uint(&j, "packets", packets);
    json_uint(&j, "tcp_flows", res->tcp_flows);
    json_uint(&j, "udp_flows", res->udp_flows);
    json_uint(&j, "ip_fragments", frags);
    json_uint(&j, "tcp_retransmissions", res->retransmissions);
    json_uint(&j, "flows", res->total_flows);
    json_uint(&j, "flows_unlisted", res->flows_unlisted);
    json_uint(&j, "flows_evicted", res->evicted);
    json_uint(&j, "live_flows_peak", res->live_peak);
    json_uint(&j, "icmp_frag_needed", fn);
    json_uint(&j, "icmp6_packet_too_big", ptb);
    json_object_end(&j);

    if (r->error) { /* nothing could be read: no verdict about it */
        json_null(&j, "verdict");
        json_string(&j, "error", r->error);
    } else {
        json_object_begin(&j, "verdict");
        json_string(&j, "status", r->inf ? r->inf->status : "inconclusive");
        json_string(&j, "summary", r->inf ? r->inf->summary : NO_VERDICT_SUMMARY);
        json_array_begin(&j, "recommendations");
        for (int i = 0; r->inf && i < r->inf->nrecs; i++)
            json_string(&j, NULL, r->inf->recs[i]);
        json_array_end(&j);
        json_object_end(&j);
    }

    json_array_begin(&j, "flows");
    for (uint32_t i = 0; i < res->nflows; i++)
        json_flow(&j, &res->flows[i], r->inf, res);
    json_array_end(&j);

    json_array_begin(&j, "icmp");
    for (int i = 0; i < r->ninputs; i++) {
        const struct input_stats *s = r->inputs[i];
        for (int k = 0; k < s->nicmp; k++) {
            const struct icmp_mtu_msg *m = &s->icmp[k];
            json_object_begin(&j, NULL);
            json_uint(&j, "frame", m->frame);
            json_string(&j, "kind", m->v6 ? "packet-too-big" : "frag-needed");
            json_uint(&j, "reported_mtu", m->mtu);
            json_addr(&j, "from", &m->from);
            if (m->flow)
                json_uint(&j, "flow", m->flow);
            else
                json_null(&j, "flow");
            int h = r->inf ? inference_icmp_honored(r->inf, r->inputs, i, k) : -1;
            if (h < 0)
                json_null(&j, "honored");
            else
                json_bool(&j, "honored", h == 1);
            if (m->mtu == 0 && m->quoted_len)
                json_uint(&j, "mtu_guess", pmtud_plateau_below(m->quoted_len));
            json_int(&j, "input", i);
            json_time(&j, "time", m->ts_sec * 1000000000 + m->ts_nsec);
            if (m->qsrc.addr_type == ADDR_TYPE_IP || m->qsrc.addr_type == ADDR_TYPE_IP6) {
                json_object_begin(&j, "quoted");
                json_addr(&j, "src", &m->qsrc);
                json_addr(&j, "dst", &m->qdst);
                json_string(&j, "proto", ip_proto_name(m->qproto));
                if (m->qsport || m->qdport) {
                    json_uint(&j, "sport", m->qsport);
                    json_uint(&j, "dport", m->qdport);
                }
                json_uint(&j, "ip_len", m->quoted_len);
                json_object_end(&j);
            } else {
                json_null(&j, "quoted");
            }
            char filt[64];
            snprintf(filt, sizeof filt, "frame.number == %" PRIu64, m->frame);
            json_string(&j, "wireshark_filter", filt);
            json_object_end(&j);
        }
    }
    json_array_end(&j);

    json_array_begin(&j, "storms");
    for (uint32_t i = 0; i < res->nstorms; i++) {
        const struct flow_storm *st = &res->storms[i];
        json_object_begin(&j, NULL);
        if (st->flow)
            json_uint(&j, "flow", st->flow);
        else
            json_null(&j, "flow");
        json_time(&j, "start", st->start_ns);
        json_time(&j, "end", st->end_ns);
        json_uint(&j, "retransmissions", st->retransmissions);
        json_uint(&j, "packets", st->packets);
        json_uint(&j, "start_frame", st->start_frame);
        json_uint(&j, "end_frame", st->end_frame);
        json_object_end(&j);
    }
    json_array_end(&j);
    json_array_begin(&j, "paths");
    for (int i = 0; r->inf && i < r->inf->npaths; i++) {
        const struct inf_path *p = &r->inf->paths[i];
        json_object_begin(&j, NULL);
        json_addr(&j, "src", &p->src);
        json_addr(&j, "dst", &p->dst);
        json_string(&j, "layer", p->layer == INF_INNER ? "inner" : "outer");
        json_opt_uint(&j, "tunnel", p->tunnel);
        json_uint(&j, "mtu_lower", p->lower);
        json_opt_uint(&j, "mtu_upper", p->upper);
        json_opt_uint(&j, "mtu", p->mtu);
        json_array_begin(&j, "evidence");
        for (int k = 0; k < p->nevidence; k++)
            json_string(&j, NULL, p->evidence[k]);
        json_array_end(&j);
        json_object_end(&j);
    }
    json_array_end(&j);
    json_array_begin(&j, "tunnels");
    for (uint32_t i = 0; i < res->ntunnels; i++)
        json_tunnel(&j, &res->tunnels[i],
                    r->inf && i < r->inf->ntunnels ? &r->inf->tunnels[i] : NULL);
    json_array_end(&j);
    json_array_begin(&j, "findings");
    for (int i = 0; r->inf && i < r->inf->nfindings; i++) {
        const struct inf_finding *f = &r->inf->findings[i];
        json_object_begin(&j, NULL);
        json_string(&j, "severity", severity_names[f->severity]);
        json_string(&j, "kind", f->kind);
        json_string(&j, "message", f->message);
        json_opt_uint(&j, "flow", f->flow);
        json_array_begin(&j, "frames");
        for (int k = 0; k < f->nframes; k++)
            json_uint(&j, NULL, f->frames[k]);
        json_array_end(&j);
        json_string(&j, "wireshark_filter", f->wireshark_filter);
        json_int(&j, "input", f->input);
        json_object_end(&j);
    }
    json_array_end(&j);
    json_correlation(&j, res->correlation);
    json_object_end(&j);
    json_finish(&j);
}
