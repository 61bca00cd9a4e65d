/*
 * report_json.c - the JSON report (report.h), for scripts: its shape is the
 * contract of ../shared/REPORT-CONTRACT.md and docs/report.schema.json.
 * report_json(), at the end, writes the sections in order: one function a
 * section, or an item of it (an input, a flow, a tunnel, an ICMP message).
 */
#include <inttypes.h>

#include "capture.h"
#include "correlate.h"
#include "inference.h"
#include "json.h"
#include "inputs.h"
#include "report.h"
#include "report_compare.h"
#include "tunnels.h"

static void json_addr(struct json *j, const char *key, const struct addr *a)
{
    char buf[64];
    if (a->addr_type == ADDR_TYPE_IP || a->addr_type == ADDR_TYPE_IP6)
        json_string(j, key, addr_text(a, buf, sizeof buf));
    else
        json_null(j, key);
}

static void json_opt_uint(struct json *j, const char *key, uint64_t v)
{
    if (v)
        json_uint(j, key, v);
    else
        json_null(j, key);
}

/* pcapng interface statistics (capscan.h): null where the file says nothing */
static void json_capture_stats(struct json *j, const struct input_stats *s)
{
    const struct capscan *sc = &s->scan;
    json_uint(j, "statistics_blocks", sc->isbs);
    json_uint(j, "statistics_blocks_malformed", sc->isb_malformed);
    if (sc->has_ifrecv)
        json_uint(j, "capture_received", sc->ifrecv);
    else
        json_null(j, "capture_received");
    if (sc->has_ifdrop)
        json_uint(j, "capture_dropped_interface", sc->ifdrop);
    else
        json_null(j, "capture_dropped_interface");
    if (sc->has_osdrop)
        json_uint(j, "capture_dropped_os", sc->osdrop);
    else
        json_null(j, "capture_dropped_os");
    json_uint(j, "capture_dropped", sc->ifdrop + sc->osdrop);
    if (sc->has_end)
        json_time(j, "capture_end", s->capture_end_ns ? s->capture_end_ns : sc->end_ns);
    else
        json_time_null(j, "capture_end");
    json_bool(j, "capture_end_used", s->capture_end_used);
}

/* How the files given became this input (inputs.h): files[] in order, with
 * the frame number each starts at (frames count on across a rotated
 * capture's files); grouping says why, or why this file stands alone. */
static void json_grouping(struct json *j, const struct input_stats *s)
{
    const struct input_group *g = s->group;
    json_array_begin(j, "files");
    int n = g ? g->nfiles : 1;
    for (int k = 0; k < n; k++) {
        json_object_begin(j, NULL);
        json_string(j, "file", g ? g->files[k] : s->path);
        json_uint(j, "first_frame", g ? g->first_frame[k] : 1);
        json_object_end(j);
    }
    json_array_end(j);
    if (g)
        json_string(j, "grouping", g->why);
    else if (s->why_alone)
        json_string(j, "grouping", s->why_alone);
    else
        json_null(j, "grouping");
}

/* frame_files[]: each frame of a finding as its file and its number there,
 * when its input is a rotated capture's files */
static void json_frame_files(struct json *j, const struct input_stats *s, const uint64_t *frames,
                             int n)
{
    if (!s->group)
        return;
    json_array_begin(j, "frame_files");
    for (int k = 0; k < n; k++) {
        uint64_t in;
        int f = inputs_frame_file(s->group, frames[k], &in);
        json_object_begin(j, NULL);
        json_string(j, "file", s->group->files[f]);
        json_uint(j, "frame", in);
        json_object_end(j);
    }
    json_array_end(j);
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
    /* the capture's own copies (dedup.h): counted, analysed once */
    json_uint(j, "captured_twice", s->copies);
    json_uint(j, "forwarded_copies", s->forwarded);
    json_uint(j, "frames", s->frames);
    json_capture_stats(j, s);
    json_grouping(j, s);
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
    /* PPPoE as an encapsulation: 8 bytes of each packet's MTU */
    json_array_begin(j, "pppoe_sessions");
    for (int i = 0; i < s->npppoe; i++) {
        const struct pppoe_session *x = &s->pppoe[i];
        char mac[2][24];
        for (int k = 0; k < 2; k++)
            snprintf(mac[k], sizeof mac[k], "%02x:%02x:%02x:%02x:%02x:%02x", x->mac[k][0],
                     x->mac[k][1], x->mac[k][2], x->mac[k][3], x->mac[k][4], x->mac[k][5]);
        json_object_begin(j, NULL);
        json_uint(j, "session", x->session);
        json_string(j, "src_mac", mac[0]);
        json_string(j, "dst_mac", mac[1]);
        json_uint(j, "overhead", 8);
        json_uint(j, "packets", x->packets);
        json_uint(j, "ip_packets", x->ip_packets);
        json_opt_uint(j, "largest_ip", x->largest_ip);
        json_uint(j, "first_frame", x->first_frame);
        json_object_end(j);
    }
    json_array_end(j);
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
    if (d->stalled) {
        json_uint(j, "stall_frame", d->stall_frame);
        json_bool(j, "stall_by_capture_end", d->stall_by_end);
    }
    json_bool(j, "df_cleared", d->df_cleared);
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
    if (bh->healed) {
        json_double(j, "healed_cost_s", (double)bh->cost_ns / 1e9, 3);
        if (bh->healer == HEAL_DF_CLEARED)
            json_string(j, "healed_by", "df-cleared");
        else if (bh->healer == HEAL_MTU_PROBING)
            json_string(j, "healed_by", "mtu-probing");
        else
            json_null(j, "healed_by");
    }
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
    char filt[INF_FILTER];
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
    uint32_t unnamed = results_flow_frags_unnamed(f, -1);
    if (unnamed) { /* only then: the filter misses some of the flow's packets */
        char note[160];
        snprintf(note, sizeof note,
                 "misses the fragments of %" PRIu32 " of the flow's fragmented datagrams but "
                 "the reassembling one: the filter names the first %d by IP id",
                 unnamed, FLOW_FRAG_IDS);
        json_string(j, "wireshark_filter_note", note);
    }
    json_object_end(j);
}

static void json_tunnel(struct json *j, const struct flow_tunnel *t, const struct inf_tunnel *it)
{
    json_object_begin(j, NULL);
    json_uint(j, "id", t->id);
    json_string(j, "type", report_tunnel_name(t));
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
    json_uint(j, "fragmented", d->fragmented[u]);
    json_uint(j, "fragmented_downstream", d->fragmented[!u]);
    json_opt_uint(j, "largest_fragmented", d->largest_fragmented);
    json_uint(j, "fragmented_incomplete", d->fragmented_incomplete);
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

static void json_tool(struct json *j)
{
    json_object_begin(j, "tool");
    json_string(j, "name", "mtuscope");
    json_string(j, "version", MTUSCOPE_VERSION);
    json_object_end(j);
}

/* Totals over every input, and the flow stage's counts. */
static void json_stats(struct json *j, const struct report_data *r)
{
    uint64_t packets = 0, frags = 0, fn = 0, ptb = 0;
    for (int i = 0; i < r->ninputs; i++) {
        packets += r->inputs[i]->packets;
        frags += r->inputs[i]->ip_fragments;
        fn += r->inputs[i]->icmp_frag_needed;
        ptb += r->inputs[i]->icmp6_packet_too_big;
    }
    const struct results *res = r->res;
    json_object_begin(j, "stats");
    json_uint(j, "packets", packets);
    json_uint(j, "tcp_flows", res->tcp_flows);
    json_uint(j, "udp_flows", res->udp_flows);
    json_uint(j, "ip_fragments", frags);
    json_uint(j, "tcp_retransmissions", res->retransmissions);
    json_uint(j, "flows", res->total_flows);
    json_uint(j, "flows_unlisted", res->flows_unlisted);
    json_uint(j, "flows_evicted", res->evicted);
    json_uint(j, "flows_resumed", res->resumed);
    json_uint(j, "flows_forgotten", res->forgotten);
    json_uint(j, "live_flows_peak", res->live_peak);
    json_uint(j, "icmp_frag_needed", fn);
    json_uint(j, "icmp6_packet_too_big", ptb);
    json_object_end(j);
}

/* One piece of advice as data: its kind and the numbers a script needs,
 * named for the kind (advice.h); the words are recommendations[i]. */
static void json_advice(struct json *j, const struct advice *a, const char *text)
{
    json_object_begin(j, NULL);
    json_string(j, "kind", advice_kind_name(a->kind));
    const struct tunnel_fact *tf = a->layer ? tunnel_fact(a->layer) : NULL;
    const char *tunnel = tf ? tf->name : "tunnel";
    switch (a->kind) {
    case ADV_SET_TUNNEL_MTU:
        json_string(j, "tunnel", tunnel);
        json_uint(j, "mtu", a->n1);
        break;
    case ADV_WG_MTU_BELOW:
    case ADV_TUNNEL_BELOW:
        json_string(j, "tunnel", tunnel);
        json_opt_uint(j, "lost_size", a->n1);
        json_bool(j, "proven", a->proven);
        break;
    case ADV_TUNNEL_HINT:
        json_string(j, "tunnel", tunnel);
        json_uint(j, "mss", a->n1);
        json_uint(j, "mtu", a->n2);
        break;
    case ADV_CLAMP_MSS:
        json_uint(j, "mss", a->n1);
        break;
    case ADV_LINK_MSS:
        json_string(j, "link", a->layer == LAYER_PPPOE ? "pppoe" : "ppp");
        json_uint(j, "mtu", a->n1);
        json_uint(j, "mss", a->n1 - 40);
        json_uint(j, "mss_ipv6", a->n1 - 60);
        break;
    case ADV_EQUAL_MTU:
        json_addr(j, "src", &a->src);
        json_addr(j, "dst", &a->dst);
        json_uint(j, "mtu_src", a->n1);
        json_uint(j, "mtu_dst", a->n2);
        break;
    case ADV_KEEP_BELOW:
        json_addr(j, "src", &a->src);
        json_addr(j, "dst", &a->dst);
        json_uint(j, "max_size", a->n1);
        json_uint(j, "mss", a->n1 - (a->ip_version == 6 ? 60 : 40));
        break;
    case ADV_SENDER_SELF_HEAL:
        json_addr(j, "sender", &a->src);
        break;
    case ADV_SELF_HEALED:
        json_addr(j, "sender", &a->src);
        json_double(j, "cost_s", a->n1 / 1e3, 3);
        json_string(j, "healed_by",
                    a->n2 == HEAL_DF_CLEARED    ? "df-cleared"
                    : a->n2 == HEAL_MTU_PROBING ? "mtu-probing"
                                                : "unknown");
        break;
    case ADV_ALLOW_ICMP:
    case ADV_PROBE:
        json_addr(j, "src", &a->src);
        json_addr(j, "dst", &a->dst);
        json_uint(j, "ip_version", a->ip_version);
        if (a->kind == ADV_PROBE) {
            json_opt_uint(j, "from_size", a->n2 > a->n1 ? a->n1 : 0);
            json_opt_uint(j, "to_size", a->n2 > a->n1 ? a->n2 : 0);
        }
        break;
    default:
        break;
    }
    json_string(j, "text", text);
    json_object_end(j);
}

static void json_opt_text(struct json *j, const char *key, const char *text)
{
    if (text)
        json_string(j, key, text);
    else
        json_null(j, key);
}

/* The fix as lines to paste (inference.h's struct inf_fix): verdict.fix
 * says whether it is a setting the capture proves or only bounds and a
 * probe; verdict.fix_blocks[] holds each block's exact text. */
static void json_fix(struct json *j, const struct inf_fix *fx)
{
    json_object_begin(j, "fix");
    json_bool(j, "exact", fx && fx->exact);
    json_opt_uint(j, "mtu", fx ? fx->mtu : 0);
    json_opt_uint(j, "path_lower", fx ? fx->lower : 0);
    json_opt_uint(j, "path_upper", fx ? fx->upper : 0);
    /* which path those bounds are of: inside a tunnel, its inner addresses
     * (json_addr: null when unset) */
    const struct addr none = {0};
    json_addr(j, "path_src", fx ? &fx->src : &none);
    json_addr(j, "path_dst", fx ? &fx->dst : &none);
    json_opt_text(j, "path_layer",
                  !fx || !fx->path_layer            ? NULL
                  : fx->path_layer - 1 == INF_INNER ? "inner"
                                                    : "outer");
    json_opt_text(j, "headline", fx ? fx->headline : NULL);
    json_opt_text(j, "why", fx ? fx->why : NULL);
    json_opt_text(j, "safe", fx ? fx->safe : NULL);
    json_object_end(j);
    json_array_begin(j, "fix_blocks");
    for (int i = 0; fx && i < fx->nblocks; i++) {
        const struct inf_fix_block *b = &fx->blocks[i];
        json_object_begin(j, NULL);
        json_string(j, "kind", b->kind);
        json_string(j, "lang", b->lang);
        json_opt_uint(j, "value", b->value);
        json_opt_text(j, "title", b->title);
        json_string(j, "text", b->text ? b->text : "");
        json_object_end(j);
    }
    json_array_end(j);
}

static void json_verdict(struct json *j, const struct report_data *r)
{
    if (r->error) { /* nothing could be read: no verdict about it */
        json_null(j, "verdict");
        json_string(j, "error", r->error);
        return;
    }
    json_object_begin(j, "verdict");
    json_string(j, "status", r->inf ? r->inf->status : "inconclusive");
    json_string(j, "summary", r->inf ? r->inf->summary : REPORT_NO_VERDICT_SUMMARY);
    json_array_begin(j, "recommendations");
    for (int i = 0; r->inf && i < r->inf->nrecs; i++)
        json_string(j, NULL, r->inf->recs[i]);
    json_array_end(j);
    json_array_begin(j, "advice");
    for (int i = 0; r->inf && i < r->inf->nrecs; i++)
        json_advice(j, &r->inf->advice[i], r->inf->recs[i]);
    json_array_end(j);
    json_fix(j, r->inf ? &r->inf->fix : NULL);
    json_object_end(j);
}

/* ICMP message k of input i, and whether its flow's sender obeyed it. */
static void json_icmp_msg(struct json *j, const struct report_data *r, int i, int k)
{
    const struct icmp_mtu_msg *m = &r->inputs[i]->icmp[k];
    json_object_begin(j, NULL);
    json_uint(j, "frame", m->frame);
    json_string(j, "kind", m->v6 ? "packet-too-big" : "frag-needed");
    json_uint(j, "reported_mtu", m->mtu);
    json_addr(j, "from", &m->from);
    if (m->flow)
        json_uint(j, "flow", m->flow);
    else
        json_null(j, "flow");
    int h = r->inf ? inference_icmp_honored(r->inf, r->inputs, i, k) : -1;
    if (h < 0)
        json_null(j, "honored");
    else
        json_bool(j, "honored", h == 1);
    if (m->mtu == 0 && icmp_msg_size(m))
        json_uint(j, "mtu_guess", pmtud_plateau_below(icmp_msg_size(m)));
    json_int(j, "input", i);
    /* came through a tunnel: sent by a router inside it, about the inner path */
    json_string(j, "layer", m->tunnel ? "inner" : "outer");
    json_opt_uint(j, "tunnel", m->tunnel);
    json_time(j, "time", m->ts_sec * 1000000000 + m->ts_nsec);
    if (m->qsrc.addr_type == ADDR_TYPE_IP || m->qsrc.addr_type == ADDR_TYPE_IP6) {
        json_object_begin(j, "quoted");
        json_addr(j, "src", &m->qsrc);
        json_addr(j, "dst", &m->qdst);
        json_string(j, "proto",
                    ip_proto_name_in(m->qproto, m->qsrc.addr_type == ADDR_TYPE_IP6 ? 6 : 4, false));
        if (m->qsport || m->qdport) {
            json_uint(j, "sport", m->qsport);
            json_uint(j, "dport", m->qdport);
        }
        json_uint(j, "ip_len", m->quoted_len);
        /* the quote's length is what the router kept (cut to 576 bytes, its
         * length rewritten): the captured original, when found, has the size */
        json_bool(j, "cut", icmp_quote_cut(m));
        json_opt_uint(j, "original_len", m->original_len);
        json_opt_uint(j, "original_frame", m->original_frame);
        json_opt_uint(j, "tunnel_overhead", m->quoted_overhead);
        json_object_end(j);
    } else {
        json_null(j, "quoted");
    }
    char filt[64];
    snprintf(filt, sizeof filt, "frame.number == %" PRIu64, m->frame);
    json_string(j, "wireshark_filter", filt);
    json_object_end(j);
}

static void json_storms(struct json *j, const struct results *res)
{
    json_array_begin(j, "storms");
    for (uint32_t i = 0; i < res->nstorms; i++) {
        const struct flow_storm *st = &res->storms[i];
        json_object_begin(j, NULL);
        if (st->flow)
            json_uint(j, "flow", st->flow);
        else
            json_null(j, "flow");
        json_time(j, "start", st->start_ns);
        json_time(j, "end", st->end_ns);
        json_uint(j, "retransmissions", st->retransmissions);
        json_uint(j, "packets", st->packets);
        json_uint(j, "start_frame", st->start_frame);
        json_uint(j, "end_frame", st->end_frame);
        json_object_end(j);
    }
    json_array_end(j);
}

static void json_paths(struct json *j, const struct inference *inf)
{
    json_array_begin(j, "paths");
    for (int i = 0; inf && i < inf->npaths; i++) {
        const struct inf_path *p = &inf->paths[i];
        json_object_begin(j, NULL);
        json_addr(j, "src", &p->src);
        json_addr(j, "dst", &p->dst);
        json_string(j, "layer", p->layer == INF_INNER ? "inner" : "outer");
        json_opt_uint(j, "tunnel", p->tunnel);
        json_opt_uint(j, "mtu_lower", p->lower); /* null when unknown, never 0 */
        json_opt_uint(j, "mtu_upper", p->upper);
        json_opt_uint(j, "mtu", p->mtu);
        json_array_begin(j, "evidence");
        for (int k = 0; k < p->nevidence; k++)
            json_string(j, NULL, p->evidence[k]);
        json_array_end(j);
        json_object_end(j);
    }
    json_array_end(j);
}

static void json_findings(struct json *j, const struct inference *inf,
                          struct input_stats *const *inputs, int ninputs)
{
    json_array_begin(j, "findings");
    for (int i = 0; inf && i < inf->nfindings; i++) {
        const struct inf_finding *f = &inf->findings[i];
        json_object_begin(j, NULL);
        json_string(j, "severity", report_severity_name(f->severity));
        json_string(j, "kind", f->kind);
        json_string(j, "message", f->message);
        json_opt_uint(j, "flow", f->flow);
        json_array_begin(j, "frames");
        for (int k = 0; k < f->nframes; k++)
            json_uint(j, NULL, f->frames[k]);
        json_array_end(j);
        json_string(j, "wireshark_filter", f->wireshark_filter);
        char ff[INF_FILTER];
        inf_frames_filter(f, ff, sizeof ff);
        json_string(j, "filter_frames", ff);
        if (f->filter_note && f->filter_note[0])
            json_string(j, "filter_note", f->filter_note);
        else
            json_null(j, "filter_note");
        json_int(j, "input", f->input);
        const struct icmp_mtu_msg *m = inf->records[i].icmp;
        if (m && (f->ev == EV_ICMP_IGNORED || f->ev == EV_ICMP_IMPLAUSIBLE)) {
            /* the message's own place: inside a tunnel, about its inner path */
            json_string(j, "layer", m->tunnel ? "inner" : "outer");
            json_opt_uint(j, "tunnel", m->tunnel);
        }
        if (f->input >= 0 && f->input < ninputs)
            json_frame_files(j, inputs[f->input], f->frames, f->nframes);
        json_object_end(j);
    }
    json_array_end(j);
}

void report_json(FILE *out, const struct report_data *r)
{
    const struct results *res = r->res;
    const struct inference *inf = r->inf;
    struct json j;
    json_init(&j, out, true);
    json_object_begin(&j, NULL);
    json_tool(&j);
    json_array_begin(&j, "inputs");
    for (int i = 0; i < r->ninputs; i++)
        json_input(&j, r->inputs[i]);
    json_array_end(&j);
    json_stats(&j, r);
    json_verdict(&j, r);
    json_array_begin(&j, "flows");
    for (uint32_t i = 0; i < res->nflows; i++)
        json_flow(&j, &res->flows[i], inf, res);
    json_array_end(&j);
    json_array_begin(&j, "icmp");
    for (int i = 0; i < r->ninputs; i++)
        for (int k = 0; k < r->inputs[i]->nicmp; k++)
            json_icmp_msg(&j, r, i, k);
    json_array_end(&j);
    json_storms(&j, res);
    json_paths(&j, inf);
    json_array_begin(&j, "tunnels");
    for (uint32_t i = 0; i < res->ntunnels; i++)
        json_tunnel(&j, &res->tunnels[i], inf && i < inf->ntunnels ? &inf->tunnels[i] : NULL);
    json_array_end(&j);
    json_findings(&j, inf, r->inputs, r->ninputs);
    json_correlation(&j, res->correlation);
    report_compare_json(&j, inf ? inf->cmp : NULL);
    json_object_end(&j);
    json_finish(&j);
}
