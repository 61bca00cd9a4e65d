/* test_tcp.c - TCP analysis (tcp.c) on hand-built segments, through
 * decode_frame() and the flow table, as the pipeline feeds it. */
#include <stdlib.h>

#include "testutil.h"

#include "flow.h"
#include "tcp.h"

#define C "10.0.0.1"
#define S "10.0.0.2"
#define CP 40000
#define SP 80

static struct pb B;
static struct packet P;

struct ctx {
    struct flow_table *ft;
    uint64_t frame;
    int ndone;
    struct flow_summary last;
};

static void on_done(void *vctx, const struct flow_summary *s, const struct flow_detail *d)
{
    struct ctx *x = vctx;
    (void)d;
    x->ndone++;
    x->last = *s;
}

static int setup(void **state)
{
    struct ctx *x = calloc(1, sizeof *x);
    assert_non_null(x);
    x->ft = flow_new(NULL, on_done, NULL, x);
    assert_non_null(x->ft);
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    struct ctx *x = *state;
    flow_free(x->ft);
    free(x);
    return 0;
}

/* Sends one segment at time t (seconds); returns its TA_* flags. */
static unsigned seg_opts(struct ctx *x, double t, bool c2s, uint32_t seq, uint32_t ack,
                         uint8_t flags, uint16_t len, uint16_t win, const uint8_t *opts,
                         size_t optlen)
{
    pb_init(&B);
    pb_fill(&B, len, 'x');
    pb_tcp_opts(&B, c2s ? CP : SP, c2s ? SP : CP, seq, ack, flags, opts, optlen);
    pb_be16(pb_data(&B) + 14, win);
    pb_ipv4(&B, IP_PROTO_TCP, c2s ? C : S, c2s ? S : C, IP_DF);
    pb_eth(&B, ETH_TYPE_IP);
    tu_decode(&P, DLT_EN10MB, &B);
    tu_assert_stack(&P, "eth/ipv4/tcp");
    P.frame = ++x->frame;
    P.ts_sec = (int64_t)t;
    P.ts_nsec = (uint32_t)((t - (double)(int64_t)t) * 1e9 + 0.5);
    struct flow_pkt out;
    flow_packet(x->ft, &P, &out);
    assert_int_equal(out.flow, 1);
    assert_int_equal(out.dir, c2s ? 0 : 1);
    return out.ta;
}

static unsigned seg(struct ctx *x, double t, bool c2s, uint32_t seq, uint32_t ack, uint8_t flags,
                    uint16_t len)
{
    return seg_opts(x, t, c2s, seq, ack, flags, len, 1000, NULL, 0);
}

/* The three-way handshake at t0: client ISN ci, server ISN si, 10 ms RTT. */
static void handshake(struct ctx *x, double t0, uint32_t ci, uint32_t si)
{
    assert_int_equal(seg(x, t0, true, ci, 0, TH_SYN, 0), TA_NEW_DATA);
    assert_int_equal(seg(x, t0 + 0.005, false, si, ci + 1, TH_SYN | TH_ACK, 0), TA_NEW_DATA);
    assert_int_equal(seg(x, t0 + 0.010, true, ci + 1, si + 1, TH_ACK, 0), 0);
}

static const struct flow_summary *finish(struct ctx *x)
{
    flow_finish_all(x->ft);
    assert_int_equal(x->ndone, 1);
    return &x->last;
}

static void test_handshake_options(void **state)
{
    struct ctx *x = *state;
    /* MSS 1460, NOP, WS 7, SACK permitted, NOP NOP: 12 bytes */
    static const uint8_t syn_opts[] = {2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2, 1, 1};
    static const uint8_t synack_opts[] = {2, 4, 0x05, 0x64}; /* MSS 1380 */
    seg_opts(x, 1.0, true, 100, 0, TH_SYN, 0, 64240, syn_opts, sizeof syn_opts);
    seg_opts(x, 1.004, false, 5000, 101, TH_SYN | TH_ACK, 0, 65160, synack_opts,
             sizeof synack_opts);
    seg(x, 1.008, true, 101, 5001, TH_ACK, 0);
    assert_int_equal(seg(x, 1.009, true, 101, 5001, TH_ACK | TH_PUSH, 200), TA_NEW_DATA);
    const struct flow_summary *s = finish(x);
    assert_int_equal(s->dir[0].mss, 1460);
    assert_int_equal(s->dir[1].mss, 1380);
    assert_int_equal(s->dir[0].wscale, 7);
    assert_int_equal(s->dir[1].wscale, 0xff);
    assert_true(s->dir[0].sack_permitted);
    assert_false(s->dir[1].sack_permitted);
    assert_int_equal(s->irtt_ns, 8000000);
    assert_int_equal(s->client_port, CP);
    assert_int_equal(s->server_port, SP);
    assert_int_equal(s->dir[0].packets, 3);
    assert_int_equal(s->dir[0].bytes, 52 + 40 + 240);
    assert_int_equal(s->dir[0].max_packet, 240);
    assert_int_equal(s->dir[1].max_packet, 44);
    assert_int_equal(s->retransmissions, 0);
    assert_false(s->stalled); /* 200 bytes in flight for 0 s when the capture ends */
}

/* RTO retransmissions at 1, 2, 4 s intervals, never ACKed: a stall. */
static void test_rto_backoff_and_stall(void **state)
{
    struct ctx *x = *state;
    handshake(x, 10.0, 1000, 9000);
    assert_int_equal(seg(x, 11.0, true, 1001, 9001, TH_ACK, 100), TA_NEW_DATA); /* frame 4 */
    assert_int_equal(seg(x, 11.05, false, 9001, 1101, TH_ACK, 0), 0);
    assert_int_equal(seg(x, 12.0, true, 1101, 9001, TH_ACK, 1448), TA_NEW_DATA); /* frame 6 */
    assert_int_equal(seg(x, 13.0, true, 1101, 9001, TH_ACK, 1448), TA_RETRANS);
    assert_int_equal(seg(x, 15.0, true, 1101, 9001, TH_ACK, 1448), TA_RETRANS);
    assert_int_equal(seg(x, 19.0, true, 1101, 9001, TH_ACK, 1448), TA_RETRANS);
    const struct flow_summary *s = finish(x);
    assert_int_equal(s->retransmissions, 3);
    assert_int_equal(s->dir[0].tcp.retrans, 3);
    assert_int_equal(s->dir[0].backoff_count, 3);
    assert_int_equal(s->dir[0].backoff_nintervals, 3);
    assert_int_equal(s->dir[0].backoff_us[0], 1000000);
    assert_int_equal(s->dir[0].backoff_us[1], 2000000);
    assert_int_equal(s->dir[0].backoff_us[2], 4000000);
    assert_true(s->stalled);
    assert_true(s->dir[0].stalled);
    assert_false(s->dir[1].stalled);
    assert_int_equal(s->dir[0].stall_frame, 6);
    assert_int_equal(s->dir[0].stall_ns, 12000000000LL);
    /* delivery: 140-byte packet delivered, 1488-byte one only ever retransmitted */
    assert_int_equal(s->dir[0].largest_delivered, 140);
    assert_int_equal(s->dir[0].smallest_lost, 1488);
    assert_int_equal(s->dir[0].dl_lost, 4);
    assert_int_equal(s->dir[0].nlost_frames, 2);
    assert_int_equal(s->dir[0].lost_frames[0], 6);
    assert_int_equal(s->dir[0].lost_frames[1], 9);
    /* RTT: the 100-byte segment, ACKed 50 ms later; Karn: none from the rest */
    assert_int_equal(s->dir[0].rtt_samples, 1);
    assert_int_equal(s->dir[0].rtt_min_us, 50000);
}

/* A lost segment, three dup ACKs, the fast retransmission. */
static void test_fast_retransmission(void **state)
{
    struct ctx *x = *state;
    handshake(x, 1.0, 0, 0);
    assert_int_equal(seg(x, 2.000, true, 1, 1, TH_ACK, 100), TA_NEW_DATA);
    /* 101..200 is never captured */
    assert_int_equal(seg(x, 2.001, true, 201, 1, TH_ACK, 100), TA_NEW_DATA | TA_LOST_SEGMENT);
    assert_int_equal(seg(x, 2.002, true, 301, 1, TH_ACK, 100), TA_NEW_DATA);
    assert_int_equal(seg(x, 2.003, true, 401, 1, TH_ACK, 100), TA_NEW_DATA);
    assert_int_equal(seg(x, 2.010, false, 1, 101, TH_ACK, 0), 0);
    assert_int_equal(seg(x, 2.011, false, 1, 101, TH_ACK, 0), TA_DUP_ACK);
    assert_int_equal(seg(x, 2.012, false, 1, 101, TH_ACK, 0), TA_DUP_ACK);
    assert_int_equal(seg(x, 2.013, false, 1, 101, TH_ACK, 0), TA_DUP_ACK);
    assert_int_equal(seg(x, 2.014, true, 101, 1, TH_ACK, 100), TA_FAST_RETRANS);
    /* the ACK after it covers everything: the sender's state is clean */
    assert_int_equal(seg(x, 2.030, false, 1, 501, TH_ACK, 0), 0);
    const struct flow_summary *s = finish(x);
    assert_int_equal(s->retransmissions, 1);
    assert_int_equal(s->dir[0].tcp.fast_retrans, 1);
    assert_int_equal(s->dir[0].tcp.lost_segment, 1);
    assert_int_equal(s->dir[0].max_hole, 100); /* 101..200: the gap before the segment */
    assert_int_equal(s->dir[1].tcp.dup_ack, 3);
    assert_false(s->stalled);
    assert_int_equal(s->dir[0].dl_delivered, 5);
    assert_int_equal(s->dir[0].dl_lost, 0);
}

static void test_spurious_retransmission(void **state)
{
    struct ctx *x = *state;
    handshake(x, 1.0, 0, 0);
    seg(x, 2.0, true, 1, 1, TH_ACK, 100);
    seg(x, 2.05, false, 1, 101, TH_ACK, 0);
    assert_int_equal(seg(x, 3.0, true, 1, 1, TH_ACK, 100), TA_SPURIOUS);
    const struct flow_summary *s = finish(x);
    assert_int_equal(s->retransmissions, 1);
    assert_int_equal(s->dir[0].tcp.spurious, 1);
    assert_int_equal(s->dir[0].dl_delivered, 1);
    assert_int_equal(s->dir[0].dl_superseded, 1);
}

/* Out-of-order within the handshake RTT (10 ms); the same gap filled later
 * than the RTT is a retransmission. */
static void test_out_of_order(void **state)
{
    struct ctx *x = *state;
    handshake(x, 1.0, 0, 0);
    seg(x, 2.000, true, 1, 1, TH_ACK, 100);
    assert_int_equal(seg(x, 2.001, true, 201, 1, TH_ACK, 100), TA_NEW_DATA | TA_LOST_SEGMENT);
    assert_int_equal(seg(x, 2.002, true, 101, 1, TH_ACK, 100), TA_OUT_OF_ORDER);
    assert_int_equal(seg(x, 2.003, true, 301, 1, TH_ACK, 100), TA_NEW_DATA);
    assert_int_equal(seg(x, 2.004, true, 501, 1, TH_ACK, 100), TA_NEW_DATA | TA_LOST_SEGMENT);
    assert_int_equal(seg(x, 2.100, true, 401, 1, TH_ACK, 100), TA_RETRANS);
    const struct flow_summary *s = finish(x);
    assert_int_equal(s->dir[0].tcp.out_of_order, 1);
    assert_int_equal(s->retransmissions, 1);
}

static void test_keepalive(void **state)
{
    struct ctx *x = *state;
    handshake(x, 1.0, 0, 0);
    seg(x, 2.0, true, 1, 1, TH_ACK, 10);
    seg(x, 2.05, false, 1, 11, TH_ACK, 0);
    assert_int_equal(seg(x, 60.0, true, 10, 1, TH_ACK, 0), TA_KEEP_ALIVE);
    assert_int_equal(seg(x, 60.05, false, 1, 11, TH_ACK, 0), TA_KEEP_ALIVE_ACK);
    assert_int_equal(seg(x, 120.0, true, 10, 1, TH_ACK, 1), TA_KEEP_ALIVE); /* 1 garbage byte */
    const struct flow_summary *s = finish(x);
    assert_int_equal(s->dir[0].tcp.keep_alive, 2);
    assert_int_equal(s->retransmissions, 0);
}

static void test_zero_window_and_probe(void **state)
{
    struct ctx *x = *state;
    handshake(x, 1.0, 0, 0);
    seg(x, 2.0, true, 1, 1, TH_ACK, 100);
    assert_int_equal(seg_opts(x, 2.01, false, 1, 101, TH_ACK, 0, 0, NULL, 0), TA_ZERO_WINDOW);
    assert_int_equal(seg(x, 2.5, true, 101, 1, TH_ACK, 1), TA_WINDOW_PROBE);
    assert_int_equal(seg_opts(x, 2.51, false, 1, 101, TH_ACK, 0, 0, NULL, 0),
                     TA_ZERO_WINDOW | TA_PROBE_ACK);
    /* the window opens: an update, then the probe's byte is sent again, as data */
    assert_int_equal(seg(x, 3.0, false, 1, 101, TH_ACK, 0), TA_WINDOW_UPDATE);
    assert_int_equal(seg(x, 3.01, true, 101, 1, TH_ACK, 100), TA_NEW_DATA);
    const struct flow_summary *s = finish(x);
    assert_int_equal(s->dir[1].tcp.zero_window, 2);
    assert_int_equal(s->dir[0].tcp.window_probe, 1);
}

static void test_acked_unseen(void **state)
{
    struct ctx *x = *state;
    handshake(x, 1.0, 0, 0);
    seg(x, 2.0, true, 1, 1, TH_ACK, 100);
    assert_int_equal(seg(x, 2.05, false, 1, 301, TH_ACK, 0), TA_ACKED_UNSEEN);
    assert_int_equal(seg(x, 2.06, false, 1, 301, TH_ACK, 0), TA_DUP_ACK); /* noted once */
    const struct flow_summary *s = finish(x);
    assert_int_equal(s->dir[1].tcp.acked_unseen, 1);
}

/* ISN 2^32 - 100: the stream wraps in the second segment. */
static void test_wraparound(void **state)
{
    struct ctx *x = *state;
    uint32_t isn = 0xffffff9bu; /* first data byte at 2^32 - 100 */
    handshake(x, 1.0, isn, 7);
    assert_int_equal(seg(x, 2.0, true, isn + 1, 8, TH_ACK, 80), TA_NEW_DATA);
    assert_int_equal(seg(x, 2.001, true, isn + 81, 8, TH_ACK, 80), TA_NEW_DATA); /* crosses 0 */
    assert_int_equal(seg(x, 2.002, true, isn + 161, 8, TH_ACK, 80), TA_NEW_DATA);
    assert_int_equal(seg(x, 2.05, false, 8, isn + 81, TH_ACK, 0), 0);
    assert_int_equal(seg(x, 2.5, true, isn + 81, 8, TH_ACK, 80), TA_RETRANS);
    assert_int_equal(seg(x, 2.55, false, 8, isn + 241, TH_ACK, 0), 0);
    assert_int_equal(seg(x, 2.6, true, isn + 241, 8, TH_ACK, 80), TA_NEW_DATA);
    assert_int_equal(seg(x, 2.7, true, isn + 1, 8, TH_ACK, 80), TA_SPURIOUS);
    const struct flow_summary *s = finish(x);
    assert_int_equal(s->retransmissions, 2);
    assert_int_equal(s->dir[0].dl_delivered, 3);
    assert_int_equal(s->dir[0].dl_unacked, 1);
    assert_int_equal(s->dir[0].tcp.lost_segment, 0);
}

/* SACK blocks mark delivery; the hole is retransmitted and ACKed. */
static void test_sack_delivery(void **state)
{
    struct ctx *x = *state;
    handshake(x, 1.0, 0, 0);
    for (uint32_t i = 0; i < 4; i++)
        seg(x, 2.0 + i * 0.001, true, 1 + i * 1000, 1, TH_ACK, 1000);
    /* NOP NOP SACK(10) [2001, 4001) */
    uint8_t opts[12] = {1, 1, 5, 10};
    pb_be32(opts + 4, 2001);
    pb_be32(opts + 8, 4001);
    assert_int_equal(seg_opts(x, 2.05, false, 1, 1001, TH_ACK, 0, 1000, opts, sizeof opts), 0);
    assert_int_equal(seg_opts(x, 2.051, false, 1, 1001, TH_ACK, 0, 1000, opts, sizeof opts),
                     TA_DUP_ACK);
    const struct flow_summary *s = finish(x);
    assert_int_equal(s->dir[0].dl_delivered, 3); /* 1, 3 and 4 */
    assert_int_equal(s->dir[0].dl_unacked, 1);   /* 2: never retransmitted, not "lost" */
    assert_int_equal(s->dir[0].largest_delivered, 1040);
    assert_false(s->stalled); /* the capture ended 1 ms after the last ACK */
}

/* Outstanding data, the peer alive but never ACKing it for 5 s: a stall,
 * even without retransmissions, from the segment sent into the empty pipe
 * (the later of the last progress and that segment). */
static void test_stall_without_retransmission(void **state)
{
    struct ctx *x = *state;
    handshake(x, 1.0, 0, 0);
    seg(x, 2.0, true, 1, 1, TH_ACK, 100);
    seg(x, 2.05, false, 1, 101, TH_ACK, 0);  /* frame 5: progress, nothing left */
    seg(x, 2.06, true, 101, 1, TH_ACK, 100); /* frame 6 */
    seg(x, 7.0, false, 1, 101, TH_ACK, 0);
    const struct flow_summary *s = finish(x);
    assert_true(s->stalled);
    assert_true(s->dir[0].stalled);
    assert_int_equal(s->dir[0].stall_frame, 6);
    assert_int_equal(s->dir[0].stall_ns, 2060000000LL);
}

/* The longest pause between a direction's data segments counts only while
 * the peer sent no data: a response after the peer's request is a
 * conversation (frame 9's pause of 3 s), data resuming after silence on both
 * sides is what a sender healing a black hole looks like (frame 10's 5 s). */
static void test_data_gap_peer_quiet(void **state)
{
    struct ctx *x = *state;
    handshake(x, 1.0, 0, 0);
    seg(x, 1.1, true, 1, 1, TH_ACK | TH_PUSH, 50);    /* frame 4: the request */
    seg(x, 1.2, false, 1, 51, TH_ACK, 200);           /* frame 5 */
    seg(x, 1.3, true, 51, 201, TH_ACK, 0);            /* frame 6 */
    seg(x, 4.0, true, 51, 201, TH_ACK | TH_PUSH, 50); /* frame 7: the peer speaks */
    seg(x, 4.1, false, 201, 101, TH_ACK, 0);          /* frame 8: an ACK is not data */
    seg(x, 4.2, false, 201, 101, TH_ACK, 200);        /* frame 9: 3 s, after a request */
    seg(x, 9.2, false, 401, 101, TH_ACK, 200);        /* frame 10: 5 s, nobody spoke */
    seg(x, 9.3, false, 601, 101, TH_ACK, 200);        /* frame 11 */
    const struct flow_summary *s = finish(x);
    assert_int_equal(s->dir[1].data_gap_ms, 5000);
    assert_int_equal(s->dir[1].data_gap_frame, 10);
    assert_int_equal(s->dir[0].data_gap_ms, 0); /* the server spoke during the client's pause */
    assert_int_equal(s->dir[0].data_gap_frame, 0);
}

/* RTT samples: every first transmission that an ACK covers; Karn's rule. */
static void test_rtt_and_karn(void **state)
{
    struct ctx *x = *state;
    handshake(x, 1.0, 0, 0);
    seg(x, 2.0, true, 1, 1, TH_ACK, 100);
    seg(x, 2.030, false, 1, 101, TH_ACK, 0); /* 30 ms */
    seg(x, 3.0, true, 101, 1, TH_ACK, 100);
    seg(x, 4.0, true, 101, 1, TH_ACK, 100); /* retransmitted: no sample */
    seg(x, 4.010, false, 1, 201, TH_ACK, 0);
    seg(x, 5.0, true, 201, 1, TH_ACK, 100);
    seg(x, 5.070, false, 1, 301, TH_ACK, 0); /* 70 ms */
    const struct flow_summary *s = finish(x);
    assert_int_equal(s->dir[0].rtt_samples, 2);
    assert_int_equal(s->dir[0].rtt_min_us, 30000);
    assert_int_equal(s->dir[0].rtt_max_us, 70000);
    assert_int_equal(s->dir[0].rtt_avg_us, 50000);
}

/* A SYN retransmitted with the classic 1, 2, 4 s backoff. */
static void test_syn_retransmission(void **state)
{
    struct ctx *x = *state;
    assert_int_equal(seg(x, 1.0, true, 500, 0, TH_SYN, 0), TA_NEW_DATA);
    assert_int_equal(seg(x, 2.0, true, 500, 0, TH_SYN, 0), TA_RETRANS);
    assert_int_equal(seg(x, 4.0, true, 500, 0, TH_SYN, 0), TA_RETRANS);
    assert_int_equal(seg(x, 8.0, true, 500, 0, TH_SYN, 0), TA_RETRANS);
    const struct flow_summary *s = finish(x);
    assert_int_equal(s->retransmissions, 3);
    assert_int_equal(s->dir[0].backoff_count, 3);
    assert_int_equal(s->dir[0].backoff_us[0], 1000000);
    assert_int_equal(s->dir[0].backoff_us[1], 2000000);
    assert_int_equal(s->dir[0].backoff_us[2], 4000000);
    assert_false(s->stalled); /* no data outstanding */
}

/* The iRTT runs from the most recent SYN (Wireshark's ts_mru_syn): a SYN
 * retransmitted 1 s later, then a 2 ms handshake.  Timed from the first SYN
 * the threshold would be 1.002 s and the gap filled 100 ms later would be
 * out-of-order; it is a retransmission (suricata-verify bug-4376). */
static void test_irtt_from_last_syn(void **state)
{
    struct ctx *x = *state;
    assert_int_equal(seg(x, 1.0, true, 500, 0, TH_SYN, 0), TA_NEW_DATA);
    assert_int_equal(seg(x, 2.0, true, 500, 0, TH_SYN, 0), TA_RETRANS);
    seg(x, 2.001, false, 7000, 501, TH_SYN | TH_ACK, 0);
    seg(x, 2.002, true, 501, 7001, TH_ACK, 0);
    seg(x, 2.010, false, 7001, 501, TH_ACK, 100);
    seg(x, 2.011, false, 7201, 501, TH_ACK, 100); /* 7101..7200 missing */
    assert_int_equal(seg(x, 2.110, false, 7101, 501, TH_ACK, 100), TA_RETRANS);
    const struct flow_summary *s = finish(x);
    assert_int_equal(s->irtt_ns, 2000000);
    assert_int_equal(s->dir[1].tcp.out_of_order, 0);
    assert_int_equal(s->retransmissions, 2);
}

/* SYNs from one port with a new ISN each (a SYN flood, suricata-verify
 * bug-7657): new connection attempts, none a retransmission; the same ISN
 * again is one. */
static void test_syn_new_isn(void **state)
{
    struct ctx *x = *state;
    assert_int_equal(seg(x, 1.0, true, 1317897315u, 0, TH_SYN, 0), TA_NEW_DATA);
    assert_int_equal(seg(x, 1.1, true, 1827763820u, 0, TH_SYN, 0), TA_NEW_DATA);
    assert_int_equal(seg(x, 1.2, true, 56964388u, 0, TH_SYN, 0), TA_NEW_DATA);
    assert_int_equal(seg(x, 2.2, true, 56964388u, 0, TH_SYN, 0), TA_RETRANS);
    /* the handshake completes on the last ISN */
    assert_int_equal(seg(x, 2.3, false, 9000, 56964389u, TH_SYN | TH_ACK, 0), TA_NEW_DATA);
    assert_int_equal(seg(x, 2.4, true, 56964389u, 9001, TH_ACK | TH_PUSH, 10), TA_NEW_DATA);
    const struct flow_summary *s = finish(x);
    assert_int_equal(s->retransmissions, 1);
    assert_int_equal(s->dir[0].tcp.lost_segment, 0);
}

/* A SYN answered by a stray ACK from an old connection (TIME_WAIT), which
 * the client resets with the ACK's number as its sequence number, then the
 * SYN again with the same ISN (suricata-verify tls-subjectaltname).  The RST
 * is far ahead of the client's sequence space but occupies none of it: the
 * data after the handshake is new, not a retransmission. */
static void test_rst_does_not_move_nextseq(void **state)
{
    struct ctx *x = *state;
    assert_int_equal(seg(x, 1.0, true, 2355097289u, 0, TH_SYN, 0), TA_NEW_DATA);
    seg(x, 1.02, false, 3863424624u, 3331369076u, TH_ACK, 0);
    seg(x, 1.03, true, 3331369076u, 0, TH_RST, 0);
    assert_int_equal(seg(x, 4.0, true, 2355097289u, 0, TH_SYN, 0), TA_RETRANS);
    seg(x, 4.02, false, 97361043u, 2355097290u, TH_SYN | TH_ACK, 0);
    seg(x, 4.03, true, 2355097290u, 97361044u, TH_ACK, 0);
    assert_int_equal(seg(x, 4.04, true, 2355097290u, 97361044u, TH_ACK | TH_PUSH, 178),
                     TA_NEW_DATA);
    assert_int_equal(seg(x, 4.10, true, 2355097468u, 97361044u, TH_ACK | TH_PUSH, 166),
                     TA_NEW_DATA);
    const struct flow_summary *s = finish(x);
    assert_int_equal(s->dir[0].tcp.retrans, 1);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_handshake_options),
        T(test_rto_backoff_and_stall),
        T(test_fast_retransmission),
        T(test_spurious_retransmission),
        T(test_out_of_order),
        T(test_keepalive),
        T(test_zero_window_and_probe),
        T(test_acked_unseen),
        T(test_wraparound),
        T(test_sack_delivery),
        T(test_stall_without_retransmission),
        T(test_data_gap_peer_quiet),
        T(test_rtt_and_karn),
        T(test_syn_retransmission),
        T(test_irtt_from_last_syn),
        T(test_syn_new_isn),
        T(test_rst_does_not_move_nextseq),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
