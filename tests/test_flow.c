/* test_flow.c - the flow table (flow.c): keys, tunnels, clients, timeouts,
 * the live-flow cap, storms, WireGuard counters, quoted-packet lookup. */
#include <stdio.h>
#include <stdlib.h>

#include "testutil.h"

#include "defrag.h"
#include "flow.h"
#include "results.h"

#define MAXDONE 16

static struct pb B;
static struct packet P;

struct ctx {
    struct flow_table *ft;
    uint64_t frame;
    int ndone, nstorms;
    struct flow_summary done[MAXDONE];
    struct resend_run resend[MAXDONE][2]; /* copies == 0: none */
    struct flow_frags frags[MAXDONE];     /* done[i].frags points here */
    struct flow_storm storms[4];
};

static void on_done(void *vctx, const struct flow_summary *s, const struct flow_detail *d)
{
    struct ctx *x = vctx;
    assert_non_null(d->size_hist[0]);
    if (x->ndone < MAXDONE) {
        x->done[x->ndone] = *s;
        if (s->frags) { /* the table's copy goes with the flow */
            x->frags[x->ndone] = *s->frags;
            x->done[x->ndone].frags = &x->frags[x->ndone];
        }
        for (int i = 0; i < 2; i++)
            if (d->resend[i])
                x->resend[x->ndone][i] = *d->resend[i];
    }
    x->ndone++;
}

static void on_storm(void *vctx, const struct flow_storm *st)
{
    struct ctx *x = vctx;
    if (x->nstorms < 4)
        x->storms[x->nstorms] = *st;
    x->nstorms++;
}

static struct ctx *ctx_new(const struct flow_limits *lim)
{
    struct ctx *x = calloc(1, sizeof *x);
    assert_non_null(x);
    x->ft = flow_new(lim, on_done, on_storm, x);
    assert_non_null(x->ft);
    return x;
}

static void ctx_free(struct ctx *x)
{
    flow_free(x->ft); /* live flows too: ASan checks nothing leaks */
    free(x);
}

/* Decodes B as an Ethernet frame at time t and gives it to the table. */
static struct flow_pkt feed(struct ctx *x, double t)
{
    tu_decode(&P, DLT_EN10MB, &B);
    P.frame = ++x->frame;
    P.ts_sec = (int64_t)t;
    P.ts_nsec = (uint32_t)((t - (double)(int64_t)t) * 1e9 + 0.5);
    struct flow_pkt out;
    flow_packet(x->ft, &P, &out);
    return out;
}

static void build_tcp(const char *src, const char *dst, uint16_t sp, uint16_t dp, uint32_t seq,
                      uint32_t ack, uint8_t flags, uint16_t len)
{
    pb_fill(&B, len, 'x');
    pb_tcp(&B, sp, dp, seq, ack, flags);
    pb_ipv4(&B, IP_PROTO_TCP, src, dst, IP_DF);
}

static struct flow_pkt tcp_at(struct ctx *x, double t, const char *src, const char *dst,
                              uint16_t sp, uint16_t dp, uint32_t seq, uint32_t ack, uint8_t flags,
                              uint16_t len)
{
    pb_init(&B);
    build_tcp(src, dst, sp, dp, seq, ack, flags, len);
    pb_eth(&B, ETH_TYPE_IP);
    return feed(x, t);
}

static struct flow_pkt udp_at(struct ctx *x, double t, const char *src, const char *dst,
                              uint16_t sp, uint16_t dp, uint16_t len)
{
    pb_init(&B);
    pb_fill(&B, len, 'u');
    pb_udp(&B, sp, dp);
    pb_ipv4(&B, IP_PROTO_UDP, src, dst, 0);
    pb_eth(&B, ETH_TYPE_IP);
    return feed(x, t);
}

static struct flow_pkt vxlan_at(struct ctx *x, double t, uint32_t vni, const char *outer_src,
                                uint32_t seq)
{
    pb_init(&B);
    build_tcp("10.0.0.1", "10.0.0.2", 40000, 80, seq, 1, TH_ACK, 100);
    pb_eth(&B, ETH_TYPE_IP);
    pb_vxlan(&B, vni);
    pb_udp(&B, 55555, 4789);
    pb_ipv4(&B, IP_PROTO_UDP, outer_src, "192.0.2.2", 0);
    pb_eth(&B, ETH_TYPE_IP);
    struct flow_pkt o = feed(x, t);
    tu_assert_stack(&P, "eth/ipv4/udp/vxlan/eth/ipv4/tcp");
    return o;
}

/* The same inner 5-tuple in two VNIs is two flows, each in its tunnel. */
static void test_two_vxlan_vnis(void **state)
{
    (void)state;
    struct ctx *x = ctx_new(NULL);
    assert_int_equal(vxlan_at(x, 1.0, 100, "192.0.2.1", 1).flow, 1);
    assert_int_equal(vxlan_at(x, 1.1, 200, "192.0.2.1", 1).flow, 2);
    assert_int_equal(vxlan_at(x, 1.2, 100, "192.0.2.1", 101).flow, 1);
    /* the reverse outer direction is the same tunnel */
    pb_init(&B);
    build_tcp("10.0.0.2", "10.0.0.1", 80, 40000, 1, 201, TH_ACK, 0);
    pb_eth(&B, ETH_TYPE_IP);
    pb_vxlan(&B, 200);
    pb_udp(&B, 4789, 55555);
    pb_ipv4(&B, IP_PROTO_UDP, "192.0.2.2", "192.0.2.1", 0);
    pb_eth(&B, ETH_TYPE_IP);
    struct flow_pkt o = feed(x, 1.3);
    assert_int_equal(o.flow, 2);
    assert_int_equal(o.dir, 1);
    assert_int_equal(flow_tunnel_count(x->ft), 2);
    const struct flow_tunnel *t1 = flow_tunnel_get(x->ft, 1), *t2 = flow_tunnel_get(x->ft, 2);
    assert_non_null(t1);
    assert_null(flow_tunnel_get(x->ft, 3));
    assert_int_equal(t1->type, LAYER_VXLAN);
    assert_int_equal(t1->key, 100);
    assert_int_equal(t2->key, 200);
    assert_int_equal(t1->sport, 55555);
    assert_int_equal(t1->dport, 4789);
    assert_int_equal(t1->packets, 2);
    assert_int_equal(t2->packets, 2);
    assert_int_equal(t1->inner_max, 140);
    assert_int_equal(t1->overhead, 50); /* outer IP 20 + UDP 8 + VXLAN 8 + Ethernet 14 */
    flow_finish_all(x->ft);
    assert_int_equal(x->ndone, 2);
    assert_int_equal(x->done[0].id, 1);
    assert_int_equal(x->done[0].tunnel, 1);
    assert_int_equal(x->done[1].tunnel, 2);
    assert_int_equal(x->done[0].stream, 0);
    assert_int_equal(x->done[1].stream, 1); /* tcp.stream numbering */
    assert_int_equal(x->done[0].dir[0].packets, 2);
    assert_int_equal(x->done[1].dir[1].packets, 1);
    assert_int_equal(x->done[0].end, FLOW_END_CAPTURE);
    ctx_free(x);
}

static void test_idle_timeouts(void **state)
{
    (void)state;
    struct ctx *x = ctx_new(NULL);
    assert_int_equal(udp_at(x, 0.0, "10.0.0.1", "10.0.0.2", 1000, 53, 10).flow, 1);
    assert_int_equal(tcp_at(x, 0.0, "10.0.0.1", "10.0.0.2", 2000, 80, 1, 0, TH_SYN, 0).flow, 2);
    assert_int_equal(tcp_at(x, 0.0, "10.0.0.3", "10.0.0.2", 2000, 80, 1, 0, TH_RST, 0).flow, 3);
    udp_at(x, 2.9, "10.0.0.9", "10.0.0.2", 1, 2, 10); /* flow 4 moves the clock */
    assert_int_equal(x->ndone, 0);
    udp_at(x, 3.0, "10.0.0.9", "10.0.0.2", 1, 2, 10);
    assert_int_equal(x->ndone, 1); /* the reset TCP flow: 3 s */
    assert_int_equal(x->done[0].id, 3);
    assert_int_equal(x->done[0].end, FLOW_END_IDLE);
    udp_at(x, 60.0, "10.0.0.9", "10.0.0.2", 1, 2, 10);
    assert_int_equal(x->ndone, 2); /* UDP: 60 s */
    assert_int_equal(x->done[1].id, 1);
    /* flow 4, idle since 60 s, expires; its 5-tuple starts flow 5 */
    assert_int_equal(udp_at(x, 299.9, "10.0.0.9", "10.0.0.2", 1, 2, 10).flow, 5);
    assert_int_equal(x->ndone, 3);
    assert_int_equal(x->done[2].id, 4);
    udp_at(x, 300.0, "10.0.0.9", "10.0.0.2", 1, 2, 10);
    assert_int_equal(x->ndone, 4); /* open TCP: 300 s */
    assert_int_equal(x->done[3].id, 2);
    assert_int_equal(udp_at(x, 301.0, "10.0.0.1", "10.0.0.2", 1000, 53, 10).flow, 6);
    const struct flow_stats *st = flow_get_stats(x->ft);
    assert_int_equal(st->expired, 4);
    assert_int_equal(st->live, 2);
    assert_int_equal(st->flows, 6);
    assert_int_equal(st->tcp_flows, 2);
    assert_int_equal(st->udp_flows, 4);
    ctx_free(x);
}

/* The cap parks the least recently active flow instead of finishing it:
 * nothing is summarised before its time (the flows come back whole), and
 * past the parked bound the oldest parked one is finished early. */
static void test_max_flows_cap(void **state)
{
    (void)state;
    struct flow_limits lim = {0};
    lim.max_flows = 4;
    lim.max_parked = 1;
    struct ctx *x = ctx_new(&lim);
    for (uint16_t i = 0; i < 6; i++)
        assert_int_equal(
            udp_at(x, 1.0 + i, "10.0.0.1", "10.0.0.2", (uint16_t)(1000 + i), 53, 10).flow, i + 1);
    const struct flow_stats *st = flow_get_stats(x->ft);
    assert_int_equal(st->evicted, 2);
    assert_int_equal(st->forgotten, 1);
    assert_int_equal(st->live, 4);
    assert_int_equal(st->live_peak, 4);
    assert_int_equal(st->parked, 1);
    assert_int_equal(x->ndone, 1); /* flow 1 parked, then forgotten for flow 2 */
    assert_int_equal(x->done[0].id, 1);
    assert_int_equal(x->done[0].end, FLOW_END_EVICTED);
    /* flow 2, parked, comes back as itself; flow 1 was forgotten: a new flow */
    assert_int_equal(udp_at(x, 7.0, "10.0.0.2", "10.0.0.1", 53, 1001, 10).flow, 2);
    assert_int_equal(udp_at(x, 8.0, "10.0.0.2", "10.0.0.1", 53, 1000, 10).flow, 7);
    assert_int_equal(st->resumed, 1);
    assert_int_equal(st->live, 4);
    ctx_free(x);
}

/* Least recently active, not least recently created, is parked; the other
 * flows' packets never touch it, and it finishes once, at the end. */
static void test_cap_evicts_least_recent(void **state)
{
    (void)state;
    struct flow_limits lim = {0};
    lim.max_flows = 2;
    struct ctx *x = ctx_new(&lim);
    udp_at(x, 1.0, "10.0.0.1", "10.0.0.2", 1, 53, 10);
    tcp_at(x, 2.0, "10.0.0.1", "10.0.0.2", 2, 80, 1, 0, TH_SYN, 0);
    udp_at(x, 3.0, "10.0.0.2", "10.0.0.1", 53, 1, 10); /* flow 1 again */
    udp_at(x, 4.0, "10.0.0.1", "10.0.0.2", 3, 53, 10);
    const struct flow_stats *st = flow_get_stats(x->ft);
    assert_int_equal(x->ndone, 0);
    assert_int_equal(st->evicted, 1);
    assert_int_equal(st->parked, 1);
    /* flow 2 is the parked one: its SYN again resumes it, parking flow 1 */
    assert_int_equal(tcp_at(x, 5.0, "10.0.0.1", "10.0.0.2", 2, 80, 1, 0, TH_SYN, 0).flow, 2);
    assert_int_equal(st->resumed, 1);
    flow_finish_all(x->ft);
    assert_int_equal(x->ndone, 3);
    assert_int_equal(x->done[1].id, 2);
    assert_int_equal(x->done[1].dir[0].packets, 2);
    assert_int_equal(x->done[1].retransmissions, 1); /* the SYN sent again */
    ctx_free(x);
}

/* A connection parked by the cap (2 live) while two others open, then
 * continued, is the same connection: the same id, its next segments judged
 * by its own sequence state (new data is new; the re-send of a segment sent
 * before it was parked is one retransmission, and the ACK that covers it
 * after the resume credits its delivery), and one summary with the counts
 * of both periods.  Before issue 18 it was finished at the cap: its later
 * packets made a flow 4 whose first data looked new, and the re-send was no
 * retransmission. */
static void test_parked_connection_resumes_as_itself_so_a_resend_is_a_retransmission(void **state)
{
    (void)state;
    struct flow_limits lim = {0};
    lim.max_flows = 2;
    struct ctx *x = ctx_new(&lim);
    const char *c = "10.0.0.1", *s = "10.0.0.2";
    tcp_at(x, 1.00, c, s, 1000, 80, 100, 0, TH_SYN, 0);
    tcp_at(x, 1.01, s, c, 80, 1000, 500, 101, TH_SYN | TH_ACK, 0);
    tcp_at(x, 1.02, c, s, 1000, 80, 101, 501, TH_ACK, 0);
    tcp_at(x, 1.03, c, s, 1000, 80, 101, 501, TH_ACK, 1000);
    tcp_at(x, 1.04, s, c, 80, 1000, 501, 1101, TH_ACK, 0);
    tcp_at(x, 1.05, c, s, 1000, 80, 1101, 501, TH_ACK, 1000); /* lost after the capture */
    tcp_at(x, 1.10, "10.0.0.3", s, 2000, 80, 7, 0, TH_SYN, 0);
    tcp_at(x, 1.20, "10.0.0.4", s, 3000, 80, 9, 0, TH_SYN, 0); /* parks the first */
    const struct flow_stats *st = flow_get_stats(x->ft);
    assert_int_equal(st->evicted, 1);
    assert_int_equal(x->ndone, 0);

    struct flow_pkt o = tcp_at(x, 1.30, c, s, 1000, 80, 2101, 501, TH_ACK, 1000);
    assert_int_equal(o.flow, 1);
    assert_int_equal(o.dir, 0);
    assert_int_equal(o.ta & TA_ANY_RETRANS, 0);
    assert_true(o.ta & TA_NEW_DATA);
    o = tcp_at(x, 1.40, c, s, 1000, 80, 1101, 501, TH_ACK, 1000); /* the re-send */
    assert_int_equal(o.flow, 1);
    assert_true(o.ta & TA_ANY_RETRANS);
    tcp_at(x, 1.41, s, c, 80, 1000, 501, 3101, TH_ACK, 0);
    assert_int_equal(st->resumed, 1);
    assert_int_equal(st->flows, 3);
    assert_int_equal(st->retransmissions, 1);

    flow_finish_all(x->ft);
    assert_int_equal(x->ndone, 3);
    const struct flow_summary *f = NULL;
    for (int i = 0; i < x->ndone; i++)
        if (x->done[i].id == 1)
            f = &x->done[i]; /* once: the parked flow was never summarised early */
    assert_non_null(f);
    assert_int_equal(f->first_frame, 1);
    assert_int_equal(f->last_frame, 11);
    assert_int_equal(f->retransmissions, 1);
    assert_int_equal(f->dir[0].packets, 6);
    assert_int_equal(f->dir[1].packets, 3);
    assert_int_equal(f->dir[0].tcp.data_segments, 4);
    assert_int_equal(f->dir[0].tcp.retrans, 1);
    assert_int_equal(f->dir[0].dl_sent, 4);
    assert_int_equal(f->dir[0].dl_delivered, 3); /* the re-send credited, not the original */
    assert_int_equal(f->dir[0].dl_superseded, 1);
    assert_int_equal(f->dir[0].dl_unacked, 0);
    assert_int_equal(f->dir[0].largest_delivered, 1040);
    ctx_free(x);
}

/* The summary of flow id (among the first MAXDONE finished). */
static const struct flow_summary *done_id(const struct ctx *x, uint64_t id)
{
    for (int i = 0; i < x->ndone && i < MAXDONE; i++)
        if (x->done[i].id == id)
            return &x->done[i];
    fail_msg("flow %d not finished", (int)id);
    return NULL;
}

/* A SYN with the options a summary reports (MSS 1460, window scale 7,
 * SACK permitted) and TTL 64, from c:cp. */
static struct flow_pkt syn_at(struct ctx *x, double t, const char *c, uint16_t cp, uint32_t isn)
{
    static const uint8_t opts[] = {2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2, 1, 1};
    pb_init(&B);
    pb_tcp_opts(&B, cp, 80, isn, 0, TH_SYN, opts, sizeof opts);
    pb_ipv4(&B, IP_PROTO_TCP, c, "10.9.9.9", IP_DF);
    pb_eth(&B, ETH_TYPE_IP);
    return feed(x, t);
}

/* The SYN flood of test_syn_flood_parks_compactly...: 12 attempts from 12
 * addresses, 10 ms apart; the fourth is answered at 2 s and carries data,
 * the sixth sends its SYN again at 3 s (the same ISN: a retransmission),
 * the eighth sends a SYN with a new ISN at 3.5 s (a new attempt on the same
 * ports, tcp.h restart_seq); then the capture ends. */
static void syn_flood(struct ctx *x)
{
    char a[32];
    for (int i = 0; i < 12; i++) {
        snprintf(a, sizeof a, "10.1.0.%d", i + 1);
        assert_int_equal(syn_at(x, 1.0 + i * 0.01, a, (uint16_t)(40000 + i), 1000u * (i + 1)).flow,
                         i + 1);
    }
    const char *c = "10.1.0.4", *s = "10.9.9.9";
    assert_int_equal(tcp_at(x, 2.00, s, c, 80, 40003, 9000, 4001, TH_SYN | TH_ACK, 0).flow, 4);
    assert_int_equal(tcp_at(x, 2.01, c, s, 40003, 80, 4001, 9001, TH_ACK, 0).flow, 4);
    assert_int_equal(tcp_at(x, 2.02, c, s, 40003, 80, 4001, 9001, TH_ACK, 100).flow, 4);
    assert_int_equal(tcp_at(x, 2.03, s, c, 80, 40003, 9001, 4101, TH_ACK, 0).flow, 4);
    struct flow_pkt o = syn_at(x, 3.0, "10.1.0.6", 40005, 6000);
    assert_int_equal(o.flow, 6);
    assert_true(o.ta & TA_ANY_RETRANS);
    assert_int_equal(syn_at(x, 3.5, "10.1.0.8", 40007, 77777).flow, 8);
    flow_finish_all(x->ft);
    assert_int_equal(x->ndone, 12);
}

/* A SYN flood behind a live cap of 2: a flow that only ever sent a SYN
 * holds nothing a later packet needs beyond its handshake, so the cap parks
 * it in compact form (struct flow_compact, 144 bytes instead of 848), and
 * the attempt answered later is the same connection, with the same id,
 * ISN, options and handshake RTT: every summary is the one of the run
 * without a cap, byte for byte.  Before this, a parked SYN kept its whole
 * allocation (the flood of issue 18 peaked at 127 MB). */
static void test_syn_flood_parks_compactly_and_an_answered_one_resumes_as_itself(void **state)
{
    (void)state;
    struct ctx *free_run = ctx_new(NULL);
    syn_flood(free_run);
    assert_int_equal(flow_get_stats(free_run->ft)->compact_peak, 0);

    struct flow_limits lim = {.max_flows = 2};
    struct ctx *x = ctx_new(&lim);
    syn_flood(x);
    const struct flow_stats *st = flow_get_stats(x->ft);
    assert_int_equal(st->compact_peak, 10); /* all but the 2 live ones, each SYN-only */
    assert_int_equal(st->forgotten, 0);
    assert_int_equal(st->resumed, 3);
    for (int i = 0; i < 12; i++) {
        x->done[i].frags = free_run->done[i].frags = NULL;
        assert_memory_equal(&x->done[i], &free_run->done[i], sizeof x->done[i]);
    }
    const struct flow_summary *f = done_id(x, 4);
    assert_int_equal(f->dir[0].mss, 1460);
    assert_int_equal(f->dir[0].wscale, 7);
    assert_true(f->dir[0].sack_permitted);
    assert_int_equal(f->dir[0].ttl, 64);
    assert_int_equal(f->irtt_ns, 2010000000LL - 1030000000LL); /* the SYN at 1.03 s */
    assert_int_equal(f->dir[0].acked_bytes, 100);
    assert_int_equal(done_id(x, 6)->retransmissions, 1);
    assert_int_equal(done_id(x, 6)->dir[0].packets, 2);
    assert_int_equal(done_id(x, 8)->dir[0].packets, 2);
    ctx_free(free_run);
    ctx_free(x);
}

/* What the compact form cannot hold stays whole: a connection that carried
 * data, or was answered, is parked with its allocation; only the SYN that
 * nobody answered is compact.  (A compact form that dropped a byte of
 * them would change their summaries; flow_compact_make() refuses it.) */
static void test_flows_that_spoke_both_ways_or_sent_data_are_never_compact(void **state)
{
    (void)state;
    struct flow_limits lim = {.max_flows = 1};
    struct ctx *x = ctx_new(&lim);
    const char *c = "10.0.0.1", *s = "10.0.0.2";
    tcp_at(x, 1.00, c, s, 1000, 80, 100, 0, TH_SYN, 0);
    tcp_at(x, 1.01, s, c, 80, 1000, 500, 101, TH_SYN | TH_ACK, 0); /* answered */
    tcp_at(x, 1.10, c, s, 2000, 80, 7, 0, TH_ACK, 500);            /* data, no SYN seen */
    tcp_at(x, 1.20, c, s, 3000, 80, 9, 0, TH_SYN, 0);              /* parks the data */
    tcp_at(x, 1.30, c, s, 4000, 80, 9, 0, TH_SYN, 0);              /* parks the SYN */
    const struct flow_stats *st = flow_get_stats(x->ft);
    assert_int_equal(st->parked, 3);
    assert_int_equal(st->compact, 1);
    /* the data flow comes back with its delivery table */
    struct flow_pkt o = tcp_at(x, 1.40, s, c, 80, 2000, 1, 507, TH_ACK, 0);
    assert_int_equal(o.flow, 2);
    flow_finish_all(x->ft);
    assert_int_equal(x->ndone, 4);
    assert_int_equal(done_id(x, 2)->dir[0].dl_delivered, 1);
    assert_int_equal(done_id(x, 1)->dir[1].packets, 1);
    ctx_free(x);
}

/* More SYNs than the compact records of one slab, and past max_compact:
 * the least recently active parked flows are forgotten (finished early),
 * the rest finish at the end, each once; ASan checks that the slabs, the
 * records and the expanded flows are all given back. */
static void test_compact_flows_bounded_by_max_compact(void **state)
{
    (void)state;
    enum { N = 700, CAP = 8, COMPACT = 500 };
    struct flow_limits lim = {.max_flows = CAP, .max_compact = COMPACT};
    struct ctx *x = ctx_new(&lim);
    char a[32];
    for (int i = 0; i < N; i++) {
        snprintf(a, sizeof a, "10.2.%d.%d", i / 250, i % 250 + 1);
        assert_int_equal(syn_at(x, 1.0 + i * 0.001, a, 5555, (uint32_t)i).flow, i + 1);
    }
    const struct flow_stats *st = flow_get_stats(x->ft);
    assert_int_equal(st->compact, COMPACT);
    assert_int_equal(st->compact_peak, COMPACT);
    assert_int_equal(st->forgotten, N - CAP - COMPACT);
    assert_int_equal(x->ndone, N - CAP - COMPACT);
    assert_int_equal(x->done[0].id, 1); /* the oldest first */
    assert_int_equal(x->done[0].end, FLOW_END_EVICTED);
    /* a forgotten one's next SYN is a new flow; a compact one's is itself */
    assert_int_equal(syn_at(x, 2.0, "10.2.0.1", 5555, 0).flow, N + 1);
    assert_int_equal(syn_at(x, 2.1, "10.2.2.200", 5555, 699).flow, 700);
    flow_finish_all(x->ft);
    assert_int_equal(x->ndone, N + 1);
    assert_int_equal(st->compact, 0);
    assert_int_equal(st->parked, 0);
    ctx_free(x);
}

/* Timestamps out of order: the clock never goes back, nothing expires on a
 * negative interval, first/last are the min/max. */
static void test_out_of_order_timestamps(void **state)
{
    (void)state;
    struct flow_limits lim = {0};
    lim.timeout_udp_ms = 1000;
    struct ctx *x = ctx_new(&lim);
    udp_at(x, 10.0, "10.0.0.1", "10.0.0.2", 1, 53, 10);
    udp_at(x, 5.0, "10.0.0.1", "10.0.0.2", 1, 53, 10); /* 5 s in the past */
    udp_at(x, 10.5, "10.0.0.7", "10.0.0.2", 1, 53, 10);
    assert_int_equal(x->ndone, 0);
    udp_at(x, 10.9, "10.0.0.7", "10.0.0.2", 1, 53, 10);
    assert_int_equal(x->ndone, 0); /* flow 1 active at clock 10.0 */
    udp_at(x, 11.0, "10.0.0.7", "10.0.0.2", 1, 53, 10);
    assert_int_equal(x->ndone, 1);
    assert_int_equal(x->done[0].first_ns, 5000000000LL);
    assert_int_equal(x->done[0].last_ns, 10000000000LL);
    assert_int_equal(x->done[0].first_frame, 1);
    assert_int_equal(x->done[0].last_frame, 2);
    ctx_free(x);
}

/* Client: the SYN's sender even when the server's packet came first; the
 * SYN-ACK's receiver when that is the first packet. */
static void test_client_selection(void **state)
{
    (void)state;
    struct ctx *x = ctx_new(NULL);
    tcp_at(x, 1.0, "10.0.0.2", "10.0.0.1", 80, 40000, 1, 1, TH_ACK, 10);
    struct flow_pkt o = tcp_at(x, 1.1, "10.0.0.1", "10.0.0.2", 40000, 80, 0, 0, TH_SYN, 0);
    assert_int_equal(o.dir, 0);
    tcp_at(x, 2.0, "10.0.0.2", "10.0.0.9", 80, 40001, 7, 1, TH_SYN | TH_ACK, 0);
    udp_at(x, 3.0, "10.0.0.5", "10.0.0.1", 9999, 53, 10);
    flow_finish_all(x->ft);
    assert_int_equal(x->ndone, 3);
    const struct flow_summary *a = &x->done[0], *b = &x->done[1], *c = &x->done[2];
    char buf[64];
    assert_string_equal(addr_ntop(&a->client, buf, sizeof buf), "10.0.0.1");
    assert_int_equal(a->client_port, 40000);
    assert_int_equal(a->server_port, 80);
    assert_int_equal(a->dir[0].packets, 1); /* the SYN */
    assert_int_equal(a->dir[1].packets, 1);
    assert_int_equal(a->dir[1].bytes, 50);
    assert_string_equal(addr_ntop(&b->client, buf, sizeof buf), "10.0.0.9");
    assert_int_equal(b->client_port, 40001);
    assert_int_equal(b->dir[1].packets, 1);
    assert_string_equal(addr_ntop(&c->client, buf, sizeof buf), "10.0.0.5");
    assert_int_equal(c->proto, IP_PROTO_UDP);
    assert_int_equal(c->stream, 0); /* udp.stream counts apart from tcp.stream */
    assert_int_equal(c->dir[0].max_packet, 38);
    ctx_free(x);
}

/* A closed connection and a new SYN on the same ports: a new flow. */
static void test_port_reuse(void **state)
{
    (void)state;
    struct ctx *x = ctx_new(NULL);
    tcp_at(x, 1.0, "10.0.0.1", "10.0.0.2", 40000, 80, 100, 0, TH_SYN, 0);
    tcp_at(x, 1.1, "10.0.0.2", "10.0.0.1", 80, 40000, 0, 0, TH_RST | TH_ACK, 0);
    assert_int_equal(tcp_at(x, 2.0, "10.0.0.1", "10.0.0.2", 40000, 80, 900, 0, TH_SYN, 0).flow, 2);
    assert_int_equal(x->ndone, 1);
    assert_int_equal(x->done[0].end, FLOW_END_REUSED);
    assert_int_equal(flow_get_stats(x->ft)->reused, 1);
    ctx_free(x);
}

/* A WireGuard data message of `len` bytes (>= 32) from src to dst. */
static void wg_msg(struct ctx *x, double t, const char *src, const char *dst, uint32_t receiver,
                   uint64_t counter, size_t len)
{
    uint8_t m[1500] = {WG_DATA};
    for (int i = 0; i < 4; i++)
        m[4 + i] = (uint8_t)(receiver >> (8 * i));
    for (int i = 0; i < 8; i++)
        m[8 + i] = (uint8_t)(counter >> (8 * i));
    pb_init(&B);
    pb_append(&B, m, len);
    pb_udp(&B, 51820, 51820);
    pb_ipv4(&B, IP_PROTO_UDP, src, dst, 0);
    pb_eth(&B, ETH_TYPE_IP);
    feed(x, t);
    tu_assert_stack(&P, "eth/ipv4/udp/wg");
}

/* The sending side of a black hole through WireGuard: a 1480-byte datagram
 * re-sent at 0.2, 0.4, 0.8 s while small ones cross both ways.  The run is
 * in the flow's detail, by direction, and its length in the summary. */
static void test_wireguard_resend(void **state)
{
    (void)state;
    struct ctx *x = ctx_new(NULL);
    const char *c = "192.0.2.1", *sv = "192.0.2.2";
    uint64_t n = 0;
    wg_msg(x, 1.0, c, sv, 7, 0, 48); /* the client speaks first */
    wg_msg(x, 1.001, sv, c, 9, n++, 1452);
    wg_msg(x, 1.002, sv, c, 9, n++, 1452); /* 1452 + 28 = 1480 */
    double t = 1.002, gap = 0.2;
    for (int i = 0; i < 3; i++) {
        t += gap;
        wg_msg(x, t, sv, c, 9, n++, 1452);
        wg_msg(x, t + 0.01, sv, c, 9, n++, 96); /* smaller, same sender */
        wg_msg(x, t + 0.05, c, sv, 7, (uint64_t)i + 1, 64 + 16 * (size_t)i); /* growing */
        gap *= 2;
    }
    flow_finish_all(x->ft);
    assert_int_equal(x->ndone, 1);
    const struct resend_run *r = &x->resend[0][1]; /* server -> client */
    assert_int_equal(r->size, 1480);
    assert_int_equal(r->copies, 4);
    assert_int_equal(r->frames[0], 3);
    assert_int_equal(r->frames[1], 4);
    assert_int_equal(r->interval_us[0], 200000);
    assert_int_equal(r->interval_us[2], 800000);
    assert_int_equal(r->peer, 2);
    assert_int_equal(r->smaller, 2);
    assert_int_equal(x->resend[0][0].copies, 0); /* the client re-sent nothing */
    assert_int_equal(x->done[0].resend_copies, 4);
    ctx_free(x);
}

/* An ESP packet of `len` bytes of ESP (SPI, sequence, then the rest) from
 * src to dst: IP size len + 20. */
static void esp_msg(struct ctx *x, double t, const char *src, const char *dst, uint32_t spi,
                    uint32_t seq, size_t len)
{
    uint8_t m[1500] = {0};
    for (int i = 0; i < 4; i++) {
        m[i] = (uint8_t)(spi >> (24 - 8 * i));
        m[4 + i] = (uint8_t)(seq >> (24 - 8 * i));
    }
    pb_init(&B);
    pb_append(&B, m, len);
    pb_ipv4(&B, IP_PROTO_ESP, src, dst, IP_DF);
    pb_eth(&B, ETH_TYPE_IP);
    feed(x, t);
}

/* The same through ESP: each direction is its own SA, its own SPI, its own
 * flow (RFC 4301 4.1), and the other gateway's packets on its SA are the
 * peer packets that show the path up; the run counts them (before the
 * fix: 0, the reverse SA being another flow).  A third gateway's packets
 * are no one's peer. */
static void test_esp_resend_counts_the_reverse_sa(void **state)
{
    (void)state;
    struct ctx *x = ctx_new(NULL);
    const char *a = "203.0.113.2", *b = "198.51.100.20", *other = "198.51.100.99";
    uint32_t sa = 0, sb = 0, so = 0;
    esp_msg(x, 1.0, b, a, 0x1111, ++sb, 96);
    esp_msg(x, 1.001, a, b, 0x2222, ++sa, 1480);
    esp_msg(x, 1.002, a, b, 0x2222, ++sa, 1480);
    double t = 1.002, gap = 0.25;
    for (int i = 0; i < 3; i++) {
        t += gap;
        esp_msg(x, t, a, b, 0x2222, ++sa, 1480);
        esp_msg(x, t + 0.02, b, a, 0x1111, ++sb, 120); /* the other gateway, answered */
        esp_msg(x, t + 0.03, other, a, 0x3333, ++so, 120);
        gap *= 2;
    }
    flow_finish_all(x->ft);
    int found = 0;
    for (int i = 0; i < x->ndone && i < MAXDONE; i++) {
        const struct resend_run *r = &x->resend[i][0]; /* each SA's sender is its client */
        if (r->copies != 4)
            continue;
        found++;
        assert_int_equal(r->size, 1500);
        assert_int_equal(r->peer, 2); /* between the copies: the last answer comes after */
        assert_int_equal(r->peer_before_ns, 2000000); /* B's first packet, 2 ms before */
    }
    assert_int_equal(found, 1);
    ctx_free(x);
}

/* A connection refused by RST and retried with the same ISN (Windows and
 * Linux do): the retried SYN is a retransmission in the same flow, as in
 * Wireshark and tcptrace; a SYN with another ISN after it is a new flow. */
static void test_syn_retry_after_rst(void **state)
{
    (void)state;
    struct ctx *x = ctx_new(NULL);
    tcp_at(x, 1.0, "10.0.0.1", "10.0.0.2", 40000, 80, 100, 0, TH_SYN, 0);
    tcp_at(x, 1.1, "10.0.0.2", "10.0.0.1", 80, 40000, 0, 101, TH_RST | TH_ACK, 0);
    struct flow_pkt o = tcp_at(x, 1.5, "10.0.0.1", "10.0.0.2", 40000, 80, 100, 0, TH_SYN, 0);
    assert_int_equal(o.flow, 1);
    assert_true(o.ta & TA_RETRANS);
    tcp_at(x, 1.6, "10.0.0.2", "10.0.0.1", 80, 40000, 0, 101, TH_RST | TH_ACK, 0);
    assert_int_equal(x->ndone, 0);
    o = tcp_at(x, 2.0, "10.0.0.1", "10.0.0.2", 40000, 80, 5000, 0, TH_SYN, 0);
    assert_int_equal(o.flow, 2);
    assert_int_equal(o.ta & TA_ANY_RETRANS, 0);
    assert_int_equal(x->ndone, 1);
    assert_int_equal(x->done[0].end, FLOW_END_REUSED);
    assert_int_equal(x->done[0].retransmissions, 1);
    assert_int_equal(x->done[0].dir[0].packets, 2);
    ctx_free(x);
}

/* A FIN never acknowledged, resent with RTO backoff after FIN went both ways:
 * every copy, even 64 s after the previous one, is a retransmission in the
 * closed flow (130 s), never a new flow. */
static void test_closed_flow_absorbs_late_fin(void **state)
{
    (void)state;
    struct ctx *x = ctx_new(NULL);
    const char *c = "10.0.0.1", *sv = "10.0.0.2";
    tcp_at(x, 0.0, c, sv, 40000, 80, 100, 0, TH_SYN, 0);
    tcp_at(x, 0.1, sv, c, 80, 40000, 700, 101, TH_SYN | TH_ACK, 0);
    tcp_at(x, 0.2, c, sv, 40000, 80, 101, 701, TH_ACK, 0);
    tcp_at(x, 1.0, sv, c, 80, 40000, 701, 101, TH_FIN | TH_ACK, 0);
    tcp_at(x, 1.1, c, sv, 40000, 80, 101, 702, TH_ACK, 0);
    tcp_at(x, 1.2, c, sv, 40000, 80, 101, 702, TH_FIN | TH_ACK, 0); /* never ACKed */
    double t = 1.2, gap[] = {24.0, 48.0, 64.0, 64.0, 125.0};
    for (int i = 0; i < 5; i++) {
        t += gap[i];
        struct flow_pkt o = tcp_at(x, t, c, sv, 40000, 80, 101, 702, TH_FIN | TH_ACK, 0);
        assert_int_equal(o.flow, 1);
        assert_true(o.ta & TA_RETRANS);
    }
    assert_int_equal(x->ndone, 0);
    /* the peer's ACK at last: nothing unacknowledged, but the last FIN was a
     * retransmission, so the flow stays 130 s; then it ends */
    tcp_at(x, t + 0.1, sv, c, 80, 40000, 702, 102, TH_ACK, 0);
    udp_at(x, t + 130.0, "10.0.0.9", "10.0.0.2", 1, 2, 10);
    assert_int_equal(x->ndone, 0);
    udp_at(x, t + 130.1, "10.0.0.9", "10.0.0.2", 1, 2, 10);
    assert_int_equal(x->ndone, 1);
    assert_int_equal(x->done[0].end, FLOW_END_IDLE);
    assert_int_equal(x->done[0].retransmissions, 5);
    assert_int_equal(x->done[0].dir[0].packets, 9);
    ctx_free(x);
}

/* A connection from `c` (port cp) to 10.0.0.2:80 at t: a request and a
 * response, each direction's delivery table taken. */
static void request_response(struct ctx *x, double t, const char *c, uint16_t cp)
{
    const char *sv = "10.0.0.2";
    tcp_at(x, t, c, sv, cp, 80, 100, 0, TH_SYN, 0);
    tcp_at(x, t + 0.1, sv, c, 80, cp, 700, 101, TH_SYN | TH_ACK, 0);
    tcp_at(x, t + 0.2, c, sv, cp, 80, 101, 701, TH_ACK, 300);
    tcp_at(x, t + 0.3, sv, c, 80, cp, 701, 401, TH_ACK, 1000);
}

/* A connection that closed cleanly gives its delivery tables back at its
 * close (they cannot grow): a connection opened during its grace takes
 * them, where it used to take new ones; and a FIN re-sent after a lost
 * last ACK takes them back, so the summary is the one of a connection that
 * kept them (both directions' delivery by size intact). */
static void test_closed_connection_gives_its_tables_back_and_a_late_fin_takes_them(void **state)
{
    (void)state;
    /* what a connection with data both ways adds to a table with none */
    struct ctx *y = ctx_new(NULL);
    uint64_t before = flow_bytes_held(y->ft);
    request_response(y, 0.0, "10.0.0.3", 40001);
    uint64_t fresh = flow_bytes_held(y->ft) - before;
    ctx_free(y);

    struct ctx *x = ctx_new(NULL);
    const char *c = "10.0.0.1", *sv = "10.0.0.2";
    request_response(x, 0.0, c, 40000);
    tcp_at(x, 0.3, sv, c, 80, 40000, 1701, 401, TH_ACK, 1000);
    tcp_at(x, 0.4, c, sv, 40000, 80, 401, 2701, TH_ACK, 0);
    tcp_at(x, 0.5, sv, c, 80, 40000, 2701, 401, TH_FIN | TH_ACK, 0);
    tcp_at(x, 0.6, c, sv, 40000, 80, 401, 2702, TH_FIN | TH_ACK, 0);
    tcp_at(x, 0.7, sv, c, 80, 40000, 2702, 402, TH_ACK, 0); /* closed cleanly */
    before = flow_bytes_held(x->ft);
    request_response(x, 1.0, "10.0.0.3", 40001);          /* within the first one's grace */
    assert_true(flow_bytes_held(x->ft) - before < fresh); /* its tables were the first one's */

    /* the first connection's server re-sends its FIN (the last ACK lost),
     * and a late copy of its last segment comes: both need its tables */
    struct flow_pkt o = tcp_at(x, 1.5, sv, c, 80, 40000, 2701, 401, TH_FIN | TH_ACK, 0);
    assert_int_equal(o.flow, 1);
    assert_true(o.ta & TA_RETRANS);
    o = tcp_at(x, 1.55, sv, c, 80, 40000, 1701, 401, TH_ACK, 1000);
    assert_true(o.ta & TA_ANY_RETRANS);
    tcp_at(x, 1.6, c, sv, 40000, 80, 402, 2702, TH_ACK, 0);
    flow_finish_all(x->ft);
    const struct flow_summary *f = done_id(x, 1);
    assert_non_null(f);
    assert_int_equal(f->retransmissions, 2);
    assert_int_equal(f->dir[0].dl_sent, 1);
    assert_int_equal(f->dir[0].dl_delivered, 1);
    assert_int_equal(f->dir[0].largest_delivered, 340);
    /* as with the tables kept (measured without the change): the late copy
     * sent again, superseded by the original's delivery */
    assert_int_equal(f->dir[1].dl_sent, 3);
    assert_int_equal(f->dir[1].dl_delivered, 2);
    assert_int_equal(f->dir[1].dl_superseded, 1);
    assert_int_equal(f->dir[1].largest_delivered, 1040);
    assert_int_equal(f->dir[1].dl_unacked, 0);
    ctx_free(x);
}

/* A clean close (every FIN acknowledged) keeps the short timeout: 3 s, two
 * RTO backoffs of a FIN re-sent after a lost last ACK (RFC 6298: RTO >= 1 s). */
static void test_clean_close_short_timeout(void **state)
{
    (void)state;
    struct ctx *x = ctx_new(NULL);
    const char *c = "10.0.0.1", *sv = "10.0.0.2";
    tcp_at(x, 0.0, c, sv, 40000, 80, 100, 0, TH_SYN, 0);
    tcp_at(x, 0.1, sv, c, 80, 40000, 700, 101, TH_SYN | TH_ACK, 0);
    tcp_at(x, 0.2, c, sv, 40000, 80, 101, 701, TH_ACK, 5);
    tcp_at(x, 0.3, sv, c, 80, 40000, 701, 106, TH_FIN | TH_ACK, 0);
    tcp_at(x, 0.4, c, sv, 40000, 80, 106, 702, TH_FIN | TH_ACK, 0);
    tcp_at(x, 0.5, sv, c, 80, 40000, 702, 107, TH_ACK, 0);
    udp_at(x, 3.4, "10.0.0.9", "10.0.0.2", 1, 2, 10);
    assert_int_equal(x->ndone, 0);
    udp_at(x, 3.5, "10.0.0.9", "10.0.0.2", 1, 2, 10);
    assert_int_equal(x->ndone, 1);
    assert_int_equal(x->done[0].end, FLOW_END_IDLE);
    assert_int_equal(x->done[0].retransmissions, 0);
    ctx_free(x);
}

static void wg_at(struct ctx *x, double t, uint32_t receiver, uint64_t counter)
{
    uint8_t m[48] = {WG_DATA};
    for (int i = 0; i < 4; i++)
        m[4 + i] = (uint8_t)(receiver >> (8 * i));
    for (int i = 0; i < 8; i++)
        m[8 + i] = (uint8_t)(counter >> (8 * i));
    pb_init(&B);
    pb_append(&B, m, sizeof m);
    pb_udp(&B, 51820, 51821);
    pb_ipv4(&B, IP_PROTO_UDP, "198.51.100.7", "203.0.113.9", 0);
    pb_eth(&B, ETH_TYPE_IP);
    feed(x, t);
    tu_assert_stack(&P, "eth/ipv4/udp/wg");
}

/* Counter gaps are lost messages, taken back when they arrive late. */
static void test_wireguard_counters(void **state)
{
    (void)state;
    struct ctx *x = ctx_new(NULL);
    wg_at(x, 1.0, 0xabcd, 0);
    wg_at(x, 1.1, 0xabcd, 1);
    wg_at(x, 1.2, 0xabcd, 2);
    wg_at(x, 1.3, 0xabcd, 5);  /* 3, 4 missing */
    wg_at(x, 1.4, 0xabcd, 4);  /* 4 late */
    wg_at(x, 1.5, 0xabcd, 4);  /* replayed: no change */
    wg_at(x, 1.6, 0x1234, 77); /* another receiver index */
    wg_at(x, 1.7, 0x1234, 78);
    flow_finish_all(x->ft);
    assert_int_equal(x->ndone, 1);
    const struct flow_summary *s = &x->done[0];
    assert_int_equal(s->wg_data, 8);
    assert_int_equal(s->wg_receivers, 2);
    assert_int_equal(s->wg_lost, 1);
    assert_int_equal(s->opaque, LAYER_WIREGUARD);
    assert_int_equal(s->carries_tunnel, 1);
    const struct flow_tunnel *t = flow_tunnel_get(x->ft, 1);
    assert_int_equal(t->type, LAYER_WIREGUARD);
    assert_int_equal(t->packets, 8);
    assert_int_equal(t->inner_max, 16);
    ctx_free(x);
}

/* 12 RTO-style retransmissions in under a second, with few other packets:
 * a storm in the flow and across the capture. */
static void test_storm(void **state)
{
    (void)state;
    struct ctx *x = ctx_new(NULL);
    tcp_at(x, 1.0, "10.0.0.1", "10.0.0.2", 40000, 80, 0, 0, TH_SYN, 0);
    tcp_at(x, 1.01, "10.0.0.2", "10.0.0.1", 80, 40000, 0, 1, TH_SYN | TH_ACK, 0);
    tcp_at(x, 1.02, "10.0.0.1", "10.0.0.2", 40000, 80, 1, 1, TH_ACK, 0);
    tcp_at(x, 2.0, "10.0.0.1", "10.0.0.2", 40000, 80, 1, 1, TH_ACK, 1000);
    for (int i = 1; i <= 12; i++)
        assert_int_equal(
            tcp_at(x, 2.0 + i * 0.05, "10.0.0.1", "10.0.0.2", 40000, 80, 1, 1, TH_ACK, 1000).ta,
            TA_RETRANS);
    assert_int_equal(x->nstorms, 0);
    tcp_at(x, 5.0, "10.0.0.1", "10.0.0.2", 40000, 80, 1001, 1, TH_ACK, 0); /* window empties */
    assert_int_equal(x->nstorms, 2);
    for (int i = 0; i < 2; i++) {
        const struct flow_storm *st = &x->storms[i];
        assert_int_equal(st->start_ns, 2050000000LL);
        assert_int_equal(st->end_ns, 2600000000LL);
        assert_int_equal(st->retransmissions, 12);
        assert_int_equal(st->start_frame, 5);
        assert_int_equal(st->end_frame, 16);
    }
    assert_int_equal(x->storms[0].flow + x->storms[1].flow, 1); /* one per flow, one global */
    flow_finish_all(x->ft);
    assert_int_equal(x->done[0].storms, 1);
    assert_int_equal(flow_get_stats(x->ft)->storms, 2);
    ctx_free(x);
}

/* An ICMP frag-needed quoting a segment of a flow finds that flow. */
static void test_lookup_quoted(void **state)
{
    (void)state;
    struct ctx *x = ctx_new(NULL);
    tcp_at(x, 1.0, "10.0.0.1", "10.0.0.2", 40000, 80, 1, 1, TH_ACK, 1400);
    pb_init(&B);
    build_tcp("10.0.0.1", "10.0.0.2", 40000, 80, 1, 1, TH_ACK, 0);
    uint8_t *ic = pb_prepend(&B, 8);
    ic[0] = 3;
    ic[1] = 4;
    pb_be16(ic + 6, 1300);
    pb_ipv4(&B, IP_PROTO_ICMP, "10.0.9.9", "10.0.0.1", 0);
    pb_eth(&B, ETH_TYPE_IP);
    struct flow_pkt o = feed(x, 1.1);
    tu_assert_stack(&P, "eth/ipv4/icmp/[ipv4/tcp");
    assert_int_equal(o.flow, 2); /* the ICMP message is a flow of its own */
    assert_int_equal(flow_lookup_quoted(x->ft, &P, 2), 1);
    assert_int_equal(flow_lookup_quoted(x->ft, &P, 0), 0); /* not an ICMP layer index */
    ctx_free(x);
}

/* An ICMP frag-needed from 10.0.9.9 quoting the segment at `seq` from `src`. */
static void quote_at(struct ctx *x, double t, const char *src, const char *dst, uint16_t sp,
                     uint16_t dp, uint32_t seq)
{
    pb_init(&B);
    build_tcp(src, dst, sp, dp, seq, 1, TH_ACK, 0);
    uint8_t *ic = pb_prepend(&B, 8);
    ic[0] = 3;
    ic[1] = 4;
    pb_be16(ic + 6, 1350);
    pb_ipv4(&B, IP_PROTO_ICMP, "10.0.9.9", src, 0);
    pb_eth(&B, ETH_TYPE_IP);
    feed(x, t);
}

/* A quote cut short says nothing of its packet's size (a router quoting
 * 576 bytes rewrites the length): the quoted sequence number finds the
 * captured original among the sender's unacknowledged segments, in the
 * quoted direction only, at a segment boundary only. */
static void quoted_original_case(const struct flow_limits *lim)
{
    struct ctx *x = ctx_new(lim);
    /* three back-to-back 1440-byte segments (one run), then a 540-byte one */
    for (int i = 0; i < 3; i++)
        tcp_at(x, 1.0 + 0.001 * i, "10.0.0.1", "10.0.0.2", 40000, 80, 1 + 1400u * (unsigned)i, 1,
               TH_ACK, 1400);
    tcp_at(x, 1.01, "10.0.0.1", "10.0.0.2", 40000, 80, 4201, 1, TH_ACK, 500);
    static const struct {
        const char *src, *dst;
        uint16_t sp, dp;
        uint32_t seq, want;
    } cases[] = {
        {"10.0.0.1", "10.0.0.2", 40000, 80, 1, 1440},    /* the run's first */
        {"10.0.0.1", "10.0.0.2", 40000, 80, 2801, 1440}, /* its third */
        {"10.0.0.1", "10.0.0.2", 40000, 80, 4201, 540},  /* the small one */
        {"10.0.0.1", "10.0.0.2", 40000, 80, 1402, 0},    /* inside a segment */
        {"10.0.0.1", "10.0.0.2", 40000, 80, 9999, 0},    /* never sent */
        {"10.0.0.2", "10.0.0.1", 80, 40000, 1, 0},       /* the other direction sent nothing */
        {"10.0.0.1", "10.0.0.2", 40001, 80, 1, 0},       /* another flow */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        quote_at(x, 1.1, cases[i].src, cases[i].dst, cases[i].sp, cases[i].dp, cases[i].seq);
        uint64_t frame = 99;
        uint32_t got = flow_quoted_original(x->ft, &P, 2, &frame);
        if (got != cases[i].want)
            print_error("case %zu: %u, want %u\n", i, got, cases[i].want);
        assert_int_equal(got, cases[i].want);
        assert_true(got ? frame >= 1 && frame <= 4 : frame == 0);
    }
    /* acknowledged: resolved, no longer at hand */
    tcp_at(x, 1.2, "10.0.0.2", "10.0.0.1", 80, 40000, 1, 4701, TH_ACK, 0);
    quote_at(x, 1.3, "10.0.0.1", "10.0.0.2", 40000, 80, 1);
    uint64_t frame;
    assert_int_equal(flow_quoted_original(x->ft, &P, 2, &frame), 0);
    assert_int_equal(flow_quoted_original(x->ft, &P, 0, &frame), 0); /* not the ICMP layer */
    if (lim->max_flows == 1) /* each ICMP message parked the connection */
        assert_true(flow_get_stats(x->ft)->evicted >= 2);
    ctx_free(x);
}

/* The same with one live flow: each ICMP message's own flow parks the
 * connection, whose outstanding segments are then in its compact copy
 * (delivery.h), and must answer the same (the capped report is the
 * uncapped one). */
static void test_quoted_original(void **state)
{
    (void)state;
    static const struct flow_limits lims[] = {{0}, {.max_flows = 1}};
    for (size_t i = 0; i < sizeof lims / sizeof lims[0]; i++)
        quoted_original_case(&lims[i]);
}

/* ICMP echo request and reply share a flow by their identifier. */
static void test_icmp_echo(void **state)
{
    (void)state;
    struct ctx *x = ctx_new(NULL);
    for (int i = 0; i < 2; i++) {
        pb_init(&B);
        pb_fill(&B, 56, 'p');
        uint8_t *ic = pb_prepend(&B, 8);
        ic[0] = i ? 0 : 8;
        pb_be16(ic + 4, 0x77);
        pb_be16(ic + 6, 1);
        pb_ipv4(&B, IP_PROTO_ICMP, i ? "10.0.0.2" : "10.0.0.1", i ? "10.0.0.1" : "10.0.0.2", 0);
        pb_eth(&B, ETH_TYPE_IP);
        struct flow_pkt o = feed(x, 1.0 + i);
        assert_int_equal(o.flow, 1);
        assert_int_equal(o.dir, i);
    }
    flow_finish_all(x->ft);
    assert_int_equal(x->done[0].proto, IP_PROTO_ICMP);
    assert_int_equal(x->done[0].client_port, 0x77);
    assert_int_equal(x->done[0].dir[1].bytes, 84);
    ctx_free(x);
}

/* Every truncation of a VXLAN-carried TCP packet: no crash, and a packet
 * whose transport header is gone belongs to no flow rather than a wrong one. */
static void test_truncated_packets(void **state)
{
    (void)state;
    struct ctx *x = ctx_new(NULL);
    pb_init(&B);
    build_tcp("10.0.0.1", "10.0.0.2", 40000, 80, 1, 1, TH_ACK, 20);
    pb_eth(&B, ETH_TYPE_IP);
    pb_vxlan(&B, 9);
    pb_udp(&B, 55555, 4789);
    pb_ipv4(&B, IP_PROTO_UDP, "192.0.2.1", "192.0.2.2", 0);
    pb_eth(&B, ETH_TYPE_IP);
    size_t len = pb_len(&B);
    tu_decode(&P, DLT_EN10MB, &B);
    struct flow_pkt whole;
    flow_packet(x->ft, &P, &whole);
    assert_int_equal(whole.flow, 1);
    for (size_t cut = 0; cut <= len; cut++) {
        tu_decode_buf(&P, DLT_EN10MB, pb_data(&B), cut, len);
        P.frame = ++x->frame;
        P.ts_sec = 1;
        struct flow_pkt o;
        flow_packet(x->ft, &P, &o);
        if (cut >= len - 20 - 16) /* the inner TCP ports captured: the inner flow */
            assert_int_equal(o.flow, 1);
        if (cut < 14 + 20) /* no IP header: no flow */
            assert_int_equal(o.flow, 0);
    }
    const struct flow_stats *st = flow_get_stats(x->ft);
    assert_int_equal(st->packets + st->no_flow, len + 2);
    ctx_free(x);
}

/* A flood of keys that differ only in a port that is a multiple of 16 (an
 * unseeded hash with weak low bits piles such keys into one cluster), with
 * the live-flow cap deleting from the middle of the clusters: every live
 * flow is still found, from both ends, and none is created twice. */
static void test_flood_of_similar_keys(void **state)
{
    (void)state;
    enum { N = 3000, CAP = 1000 };
    struct flow_limits lim = {.max_flows = CAP};
    struct ctx *x = ctx_new(&lim);
    for (int i = 0; i < N; i++) {
        uint16_t port = (uint16_t)(1024 + i * 16);
        assert_int_equal(udp_at(x, 1.0 + i * 0.001, "10.0.0.1", "10.0.0.2", port, 53, 10).flow,
                         i + 1);
    }
    for (int i = N - CAP; i < N; i++) {
        uint16_t port = (uint16_t)(1024 + i * 16);
        struct flow_pkt o = udp_at(x, 5.0 + i * 0.001, "10.0.0.2", "10.0.0.1", 53, port, 10);
        assert_int_equal(o.flow, i + 1);
        assert_int_equal(o.dir, 1);
    }
    const struct flow_stats *st = flow_get_stats(x->ft);
    assert_int_equal(st->flows, N);
    assert_int_equal(st->evicted, N - CAP);
    assert_int_equal(st->live, CAP);
    ctx_free(x);
}

/* Many tunnels that differ only in the VNI: each registered once, in order
 * of first sight, and found again by the registry's index. */
static void test_many_similar_tunnels(void **state)
{
    (void)state;
    enum { N = 600 };
    struct ctx *x = ctx_new(NULL);
    for (int round = 0; round < 2; round++)
        for (uint32_t i = 0; i < N; i++)
            assert_int_equal(vxlan_at(x, 1.0 + round + i * 0.0001, i << 8, "192.0.2.1",
                                      1 + (uint32_t)round * 100)
                                 .flow,
                             i + 1);
    assert_int_equal(flow_tunnel_count(x->ft), N);
    for (uint32_t id = 1; id <= N; id++) {
        assert_int_equal(flow_tunnel_get(x->ft, id)->key, (id - 1) << 8);
        assert_int_equal(flow_tunnel_get(x->ft, id)->packets, 2);
    }
    ctx_free(x);
}

/* A fragmented datagram's fragments but the reassembling one carry no
 * ports (RFC 791: only the first holds the UDP header, and Wireshark shows
 * it as "Fragmented IP protocol" once it reassembles), so a filter by ports
 * misses them: the flow names its fragmented datagrams by IP id, the first
 * FLOW_FRAG_IDS of each direction's cut layer, and counts them all. */
static void test_fragmented_datagrams_named_by_ip_id(void **state)
{
    (void)state;
    struct ctx *x = ctx_new(NULL);
    struct defrag *df = defrag_new(NULL);
    assert_non_null(df);
    udp_at(x, 1.0, "10.0.0.1", "10.0.0.2", 5000, 6000, 40); /* the client, unfragmented */
    for (uint16_t k = 0; k < 10; k++) {                     /* 10 replies of 2008 bytes, cut */
        struct pb d;
        pb_init(&d);
        pb_fill(&d, 2000, 'r');
        pb_udp(&d, 6000, 5000);
        size_t len = pb_len(&d);
        static uint8_t body[4096];
        memcpy(body, pb_data(&d), len);
        for (size_t off = 0; off < len; off += 1480) {
            size_t n = len - off < 1480 ? len - off : 1480;
            bool more = off + n < len;
            pb_init(&B);
            pb_append(&B, body + off, n);
            pb_ipv4_id(&B, IP_PROTO_UDP, "10.0.0.2", "10.0.0.1",
                       (uint16_t)((off / 8) | (more ? IP_MF : 0)), (uint16_t)(0x100 + k));
            pb_eth(&B, ETH_TYPE_IP);
            tu_decode(&P, DLT_EN10MB, &B);
            P.frame = ++x->frame;
            P.ts_sec = 2 + k;
            enum defrag_result r = defrag_packet(df, &P);
            assert_int_equal(r, more ? DEFRAG_HELD : DEFRAG_COMPLETE);
            if (r == DEFRAG_COMPLETE)
                flow_packet(x->ft, &P, NULL);
        }
    }
    flow_finish_all(x->ft);
    assert_int_equal(x->ndone, 1);
    const struct flow_summary *s = &x->done[0];
    assert_int_equal(s->dir[1].packets, 10);
    assert_non_null(s->frags);
    assert_int_equal(s->frags->datagrams[0], 0);
    assert_int_equal(s->frags->datagrams[1], 10);
    assert_int_equal(s->frags->n, FLOW_FRAG_IDS);
    assert_false(s->frags->layer[0].set);
    assert_true(s->frags->layer[1].set);
    for (int k = 0; k < FLOW_FRAG_IDS; k++) {
        assert_int_equal(s->frags->ids[k].id, 0x100 + k);
        assert_int_equal(s->frags->ids[k].dir, 1);
    }
    static char f[1024];
    results_flow_filter(s, NULL, f, sizeof f);
    assert_string_equal(f, "((ip.addr == 10.0.0.1 && ip.addr == 10.0.0.2 && udp.port == 5000 && "
                           "udp.port == 6000) || (ip.src == 10.0.0.2 && ip.dst == 10.0.0.1 && "
                           "ip.proto == 17 && ip.id in {0x0100, 0x0101, 0x0102, 0x0103, 0x0104, "
                           "0x0105, 0x0106, 0x0107}))");
    /* the two datagrams past the first FLOW_FRAG_IDS are not named: the
     * filter misses their fragments but the reassembling one (the only one
     * Wireshark dissects the ports of), and the report says how many */
    assert_int_equal(results_flow_frags_unnamed(s, -1), 10 - FLOW_FRAG_IDS);
    assert_int_equal(results_flow_frags_unnamed(s, 1), 10 - FLOW_FRAG_IDS);
    assert_int_equal(results_flow_frags_unnamed(s, 0), 0);
    /* the client's direction had none: its filter is the flow's alone */
    results_flow_filter_dir(s, 0, "ip.len > 100", f, sizeof f);
    assert_string_equal(f, "ip.addr == 10.0.0.1 && ip.addr == 10.0.0.2 && udp.port == 5000 && "
                           "udp.port == 6000 && ip.src == 10.0.0.1 && ip.len > 100");
    /* too small a buffer for the ids: the flow's alone; for that too: none,
     * never a filter cut in the middle */
    results_flow_filter(s, NULL, f, 100);
    assert_string_equal(
        f, "ip.addr == 10.0.0.1 && ip.addr == 10.0.0.2 && udp.port == 5000 && udp.port == 6000");
    results_flow_filter(s, NULL, f, 40);
    assert_string_equal(f, "");
    defrag_free(df);
    ctx_free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_vxlan_vnis),
        cmocka_unit_test(test_idle_timeouts),
        cmocka_unit_test(test_max_flows_cap),
        cmocka_unit_test(test_cap_evicts_least_recent),
        cmocka_unit_test(test_parked_connection_resumes_as_itself_so_a_resend_is_a_retransmission),
        cmocka_unit_test(test_syn_flood_parks_compactly_and_an_answered_one_resumes_as_itself),
        cmocka_unit_test(test_flows_that_spoke_both_ways_or_sent_data_are_never_compact),
        cmocka_unit_test(test_compact_flows_bounded_by_max_compact),
        cmocka_unit_test(test_out_of_order_timestamps),
        cmocka_unit_test(test_client_selection),
        cmocka_unit_test(test_port_reuse),
        cmocka_unit_test(test_syn_retry_after_rst),
        cmocka_unit_test(test_closed_flow_absorbs_late_fin),
        cmocka_unit_test(test_clean_close_short_timeout),
        cmocka_unit_test(test_closed_connection_gives_its_tables_back_and_a_late_fin_takes_them),
        cmocka_unit_test(test_wireguard_counters),
        cmocka_unit_test(test_wireguard_resend),
        cmocka_unit_test(test_esp_resend_counts_the_reverse_sa),
        cmocka_unit_test(test_storm),
        cmocka_unit_test(test_lookup_quoted),
        cmocka_unit_test(test_quoted_original),
        cmocka_unit_test(test_icmp_echo),
        cmocka_unit_test(test_truncated_packets),
        cmocka_unit_test(test_flood_of_similar_keys),
        cmocka_unit_test(test_many_similar_tunnels),
        cmocka_unit_test(test_fragmented_datagrams_named_by_ip_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
