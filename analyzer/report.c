/*
 * report.c - the text and JSON reports.
 *
 * The text report leads with the answer (today: what the decoder saw, since
 * the flow and MTU analysis stages are not built yet, and it says so), then
 * the evidence with a Wireshark display filter for each item, then counts.
 */
#include <inttypes.h>
#include <string.h>

#include "capture.h"
#include "json.h"
#include "report.h"

#define VERDICT_STATUS "inconclusive"
#define VERDICT_SUMMARY                                                                            \
    "decoded only: this version decodes packets and lists MTU-related ICMP messages; "             \
    "the flow, black-hole and path-MTU analysis is not built yet."

static double seconds(int64_t sec, uint32_t nsec)
{
    return (double)sec + nsec / 1e9;
}

static const char *addr_str(const struct addr *a, char *buf, size_t size)
{
    if (a->addr_type != ADDR_TYPE_IP && a->addr_type != ADDR_TYPE_IP6)
        return "?";
    if (!addr_ntop(a, buf, size))
        return "?";
    return buf;
}

static const char *proto_name(uint8_t p)
{
    switch (p) {
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

static void human_bytes(uint64_t b, char *buf, size_t size)
{
    if (b >= 10ull * 1000 * 1000)
        snprintf(buf, size, "%.1f MB", b / 1e6);
    else if (b >= 10ull * 1000)
        snprintf(buf, size, "%.1f kB", b / 1e3);
    else
        snprintf(buf, size, "%" PRIu64 " bytes", b);
}

/* Writes text word-wrapped to `width` columns, every line indented. */
static void wrap(FILE *out, int indent, const char *text, int width)
{
    const char *p = text;
    while (*p) {
        int avail = width - indent, len = (int)strlen(p), cut = len;
        if (len > avail) {
            cut = avail;
            while (cut > 0 && p[cut] != ' ')
                cut--;
            if (cut == 0)
                cut = avail; /* one word longer than the line: split it */
        }
        fprintf(out, "%*s%.*s\n", indent, "", cut, p);
        p += cut;
        while (*p == ' ')
            p++;
    }
}

static void describe_icmp(const struct icmp_mtu_msg *m, char *buf, size_t size)
{
    char from[64], qs[64], qd[64];
    addr_str(&m->from, from, sizeof from);
    int n = snprintf(buf, size, "frame %" PRIu64 ": %s from %s reports MTU %u%s", m->frame,
                     m->v6 ? "packet-too-big" : "frag-needed", from, m->mtu,
                     m->mtu == 0 ? " (not given: pre-RFC 1191 router)" : "");
    if (n < 0 || (size_t)n >= size)
        return;
    if (m->qsrc.addr_type == ADDR_TYPE_IP || m->qsrc.addr_type == ADDR_TYPE_IP6) {
        addr_str(&m->qsrc, qs, sizeof qs);
        addr_str(&m->qdst, qd, sizeof qd);
        if (m->qsport || m->qdport)
            snprintf(buf + n, size - (size_t)n, "; about a %u-byte %s packet %s:%u -> %s:%u",
                     m->quoted_len, proto_name(m->qproto), qs, m->qsport, qd, m->qdport);
        else
            snprintf(buf + n, size - (size_t)n, "; about a %u-byte %s packet %s -> %s",
                     m->quoted_len, proto_name(m->qproto), qs, qd);
    }
}

static void text_input(FILE *out, const struct input_stats *s, const struct report_opts *o)
{
    char b1[32];
    human_bytes(s->bytes, b1, sizeof b1);
    fprintf(out, "\ninput %s (%s", s->path, s->format[0] ? s->format : "unreadable");
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
    if (s->error[0])
        fprintf(out, "  READ ERROR: %s%s\n", s->error,
                s->packets ? " (the frames before it were analysed)" : "");

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

void report_text(FILE *out, const struct report_data *r, const struct report_opts *o)
{
    const char *bold = o->color ? "\033[1m" : "", *off = o->color ? "\033[0m" : "";
    fprintf(out, "%sverdict: %s%s\n", bold, VERDICT_STATUS, off);
    wrap(out, 2, VERDICT_SUMMARY, 98);
    for (int i = 0; i < r->ninputs; i++)
        text_input(out, r->inputs[i], o);
}

static void json_addr(struct json *j, const char *key, const struct addr *a)
{
    char buf[64];
    if (a->addr_type == ADDR_TYPE_IP || a->addr_type == ADDR_TYPE_IP6)
        json_string(j, key, addr_str(a, buf, sizeof buf));
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
    json_uint(j, "frames", s->frames);
    if (s->has_time) {
        json_double(j, "first_time", seconds(s->first_sec, s->first_nsec), 9);
        json_double(j, "last_time", seconds(s->last_sec, s->last_nsec), 9);
    } else {
        json_null(j, "first_time");
        json_null(j, "last_time");
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
    json_object_begin(&j, "stats");
    json_uint(&j, "packets", packets);
    json_null(&j, "tcp_flows"); /* unknown until the flow stage exists */
    json_null(&j, "udp_flows");
    json_uint(&j, "ip_fragments", frags);
    json_null(&j, "tcp_retransmissions");
    json_uint(&j, "icmp_frag_needed", fn);
    json_uint(&j, "icmp6_packet_too_big", ptb);
    json_object_end(&j);

    json_object_begin(&j, "verdict");
    json_string(&j, "status", VERDICT_STATUS);
    json_string(&j, "summary", VERDICT_SUMMARY);
    json_array_begin(&j, "recommendations");
    json_array_end(&j);
    json_object_end(&j);

    /* Not computed by this version: null, never a made-up value (contract). */
    json_null(&j, "flows");

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
            json_null(&j, "flow");
            json_null(&j, "honored");
            json_int(&j, "input", i);
            json_double(&j, "time", seconds(m->ts_sec, m->ts_nsec), 9);
            if (m->qsrc.addr_type == ADDR_TYPE_IP || m->qsrc.addr_type == ADDR_TYPE_IP6) {
                json_object_begin(&j, "quoted");
                json_addr(&j, "src", &m->qsrc);
                json_addr(&j, "dst", &m->qdst);
                json_string(&j, "proto", proto_name(m->qproto));
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

    json_null(&j, "storms");
    json_null(&j, "paths");
    json_null(&j, "tunnels");
    json_null(&j, "findings");
    json_object_end(&j);
    json_finish(&j);
}
