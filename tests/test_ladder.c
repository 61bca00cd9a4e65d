/* test_ladder.c - the ladder diagram's pure part (ladder.c): where a
 * capture was taken, what became of each packet seen from one end or
 * matched across both, the bursts drawn as one arrow, the arrows chosen
 * (the trouble and the heal, never more than asked), and the rows of the
 * time axis. */
#include <string.h>

#include "testutil.h"

#include "ladder.h"
#include "packet.h"

#define MS 1000000ll
#define CAP 512

static struct ladder_event EV[CAP];
static size_t N;

static struct ladder_event *add(int64_t t_ms, int dir, uint32_t seq, uint32_t ack, uint32_t payload,
                                uint8_t flags)
{
    struct ladder_event *e = &EV[N++];
    memset(e, 0, sizeof *e);
    e->t_ns = t_ms * MS;
    e->frame = N;
    e->dir = (uint8_t)dir;
    e->kind = LADDER_TCP;
    e->seq = seq;
    e->ack = ack;
    e->payload_len = payload;
    e->ip_len = payload + 52;
    e->flags = flags;
    return e;
}

static struct ladder_event *add_us(int64_t t_us, int dir, uint32_t seq, uint32_t ack,
                                   uint32_t payload, uint8_t flags)
{
    struct ladder_event *e = add(0, dir, seq, ack, payload, flags);
    e->t_ns = t_us * 1000;
    return e;
}

static void add_icmp(int64_t t_us, int dir, uint32_t seq, uint32_t mtu)
{
    struct ladder_event *e = add_us(t_us, dir, seq, 0, 0, 0);
    e->kind = LADDER_ICMP;
    e->mtu = mtu;
}

#define SYN TCPF_SYN
#define ACK TCPF_ACK
#define FIN TCPF_FIN

/* The handshake of a connection captured at the server: the SYN arrives,
 * the SYN-ACK leaves at once, the ACK comes a round trip (1 ms) later. */
static void handshake_at_server(void)
{
    N = 0;
    add_us(0, 0, 99, 0, 0, SYN)->mss = 1380;
    add_us(10, 1, 499, 100, 0, SYN | ACK)->mss = 1380;
    add_us(1010, 0, 100, 500, 0, ACK);
}

/* The incident from the sending end: a 209-byte reply is acknowledged,
 * then full-size segments never are; the first is re-sent at doubling
 * intervals and the client, still talking 15 s later (its FIN), never
 * acknowledged it: every big one was lost, the small one delivered. */
static void sender_side_blackhole(void)
{
    handshake_at_server();
    add_us(2000, 1, 500, 100, 157, ACK); /* 3: the 209-byte reply */
    add_us(3000, 0, 100, 657, 0, ACK);   /* 4: acknowledged */
    for (int i = 0; i < 3; i++)          /* 5..7: 1420-byte segments */
        add_us(3100 + i, 1, 657 + 1368u * i, 100, 1368, ACK);
    add_us(4100, 0, 100, 657, 0, ACK); /* 8: a duplicate ACK */
    int64_t t = 3100;
    for (int gap = 200; gap <= 800; gap *= 2) { /* 9..11: re-sends of the first */
        t += gap * 1000;
        add_us(t, 1, 657, 100, 1368, ACK)->retrans = true;
    }
    add_us(15000000, 0, 100, 657, 0, FIN | ACK); /* 12: the client gives up */
}

static void test_vantage_is_where_the_handshake_waits_a_round_trip(void **state)
{
    (void)state;
    handshake_at_server();
    assert_int_equal(ladder_vantage(EV, N, 0), 1);
    /* at the client: the SYN-ACK comes a round trip after the SYN */
    N = 0;
    add_us(0, 0, 99, 0, 0, SYN);
    add_us(1000, 1, 499, 100, 0, SYN | ACK);
    add_us(1010, 0, 100, 500, 0, ACK);
    assert_int_equal(ladder_vantage(EV, N, 1), 0);
    /* no handshake: the caller's guess */
    N = 0;
    add_us(0, 1, 500, 100, 100, ACK);
    assert_int_equal(ladder_vantage(EV, N, 1), 1);
    assert_int_equal(ladder_vantage(EV, N, 0), 0);
}

static void test_segment_resent_before_any_ack_was_lost(void **state)
{
    (void)state;
    sender_side_blackhole();
    N = ladder_judge(EV, N, CAP, 1);
    assert_int_equal(N, 13);                      /* nothing inserted: the sender sees no hole */
    assert_int_equal(EV[0].fate, LADDER_ARRIVED); /* the SYN came in */
    assert_int_equal(EV[3].fate, LADDER_DELIVERED);
    assert_int_equal(EV[5].fate, LADDER_LOST); /* re-sent before an ACK covered it */
    assert_int_equal(EV[6].fate, LADDER_LOST); /* the peer's FIN 15 s later did not cover it */
    assert_int_equal(EV[7].fate, LADDER_LOST);
    assert_int_equal(EV[9].fate, LADDER_LOST);
    assert_int_equal(EV[11].fate, LADDER_LOST);   /* the last re-send: the FIN did not cover it */
    assert_int_equal(EV[4].fate, LADDER_ARRIVED); /* the client's ACK came in */
}

/* With nothing heard from the peer after it, an unacknowledged segment may
 * still have crossed (its ACK lost, or the capture stopped): unanswered,
 * never claimed lost. */
static void test_no_word_from_the_peer_is_unanswered_not_lost(void **state)
{
    (void)state;
    handshake_at_server();
    add_us(2000, 1, 500, 100, 1368, ACK);
    N = ladder_judge(EV, N, CAP, 1);
    assert_int_equal(EV[3].fate, LADDER_UNANSWERED);
    /* the peer answered within its delayed-ACK bound without covering it:
     * not yet proof */
    handshake_at_server();
    add_us(2000, 1, 500, 100, 1368, ACK);
    add_us(2300, 0, 100, 500, 0, ACK);
    N = ladder_judge(EV, N, CAP, 1);
    assert_int_equal(EV[3].fate, LADDER_UNANSWERED);
    /* a pure ACK leaving is not judged: no sequence space to acknowledge */
    handshake_at_server();
    add_us(2000, 1, 500, 100, 0, ACK);
    add_us(16000000, 0, 100, 500, 0, FIN | ACK);
    N = ladder_judge(EV, N, CAP, 1);
    assert_int_equal(EV[3].fate, LADDER_SENT);
}

/* From the receiving end the lost bytes are invisible until something
 * beyond them arrives: a receiver gets a stream in order, so the jump
 * proves they were sent and never came.  The hole is drawn right after
 * the last arrival before it. */
static void test_receiver_sees_a_hole_where_the_sequence_jumps(void **state)
{
    (void)state;
    N = 0;
    add_us(0, 0, 99, 0, 0, SYN);
    add_us(1000, 1, 499, 100, 0, SYN | ACK);
    add_us(1010, 0, 100, 500, 0, ACK);
    add_us(2000, 1, 500, 100, 157, ACK);         /* 3: the small reply arrives */
    add_us(2010, 0, 100, 657, 0, ACK);           /* 4 */
    add_us(15000000, 0, 100, 657, 0, FIN | ACK); /* 5 */
    add_us(15040000, 1, 15705, 101, 0, ACK);     /* 6: its ACK shows seq 15705 */
    size_t n = ladder_judge(EV, N, CAP, 0);
    assert_int_equal(n, 8);
    assert_int_equal(EV[4].kind, LADDER_HOLE);
    assert_int_equal(EV[4].fate, LADDER_LOST);
    assert_int_equal(EV[4].seq, 657);
    assert_int_equal(EV[4].payload_len, 15705 - 657);
    assert_int_equal(EV[4].dir, 1);
    assert_int_equal(EV[4].t_ns, EV[3].t_ns);
    assert_int_equal(EV[4].frame, 7); /* the frame that showed it */
    assert_int_equal(EV[7].kind, LADDER_TCP);
    assert_int_equal(EV[7].seq, 15705);
    /* in order: no hole */
    N = 0;
    add_us(0, 0, 99, 0, 0, SYN);
    add_us(1000, 1, 499, 100, 0, SYN | ACK);
    add_us(2000, 1, 500, 100, 157, ACK);
    add_us(3000, 1, 657, 100, 100, ACK);
    assert_int_equal(ladder_judge(EV, N, CAP, 0), 4);
}

/* One window of full-size segments sent back to back is one arrow "x N";
 * a gap of a timeout starts a new one, and so does a different size. */
static void test_burst_of_alike_segments_is_one_arrow(void **state)
{
    (void)state;
    N = 0;
    for (int i = 0; i < 5; i++)
        add_us(100 + i, 1, 1000 + 1448u * i, 1, 1448, ACK)->fate = LADDER_LOST;
    add_us(105, 1, 1000 + 1448u * 5, 1, 1000, ACK)->fate = LADDER_LOST;           /* other size */
    add_us(300000, 1, 1000 + 1448u * 5 + 1000, 1, 1000, ACK)->fate = LADDER_LOST; /* +0.3 s */
    add_icmp(200, 1, 1000, 1300);
    add_icmp(201, 1, 2448, 1300);
    add_us(300100, 0, 5, 1000, 0, ACK); /* the receiver's ACKs: one run */
    add_us(300101, 0, 5, 2448, 0, ACK);
    add_us(300102, 0, 5, 2448, 0, FIN | ACK); /* its FIN: a step of its own */
    size_t n = ladder_collapse(EV, N);
    assert_int_equal(n, 6);
    assert_int_equal(EV[4].repeat, 2);
    assert_true(EV[5].repeat <= 1);
    assert_int_equal(EV[0].repeat, 5);
    assert_int_equal(EV[0].seq_end, 1000 + 1448u * 5);
    assert_true(EV[1].repeat <= 1);
    assert_true(EV[2].repeat <= 1);
    assert_int_equal(EV[3].kind, LADDER_ICMP);
    assert_int_equal(EV[3].repeat, 2);
}

/* The incident's arrows: from the handshake (it is near the trouble) to
 * the last re-send and a few after, in time order. */
static void test_select_starts_at_the_handshake_and_keeps_the_trouble(void **state)
{
    (void)state;
    sender_side_blackhole();
    N = ladder_judge(EV, N, CAP, 1);
    size_t keep[LADDER_MAX_ARROWS];
    uint32_t skipped[LADDER_MAX_ARROWS];
    size_t k = ladder_select(EV, N, LADDER_MAX_ARROWS, keep, skipped);
    assert_int_equal(k, N); /* few enough: all of them */
    assert_int_equal(keep[0], 0);
    for (size_t i = 1; i < k; i++) {
        assert_true(keep[i] > keep[i - 1]);
        assert_int_equal(skipped[i], 0);
    }
    assert_int_equal(ladder_first_trouble(EV, N), 5);
}

/* A long story: every trouble cannot fit, but the first losses and the
 * heal (the lost byte finally delivered) are both drawn, the count stays
 * within the limit and what was left out is counted. */
static void test_select_keeps_the_start_and_the_heal_within_the_limit(void **state)
{
    (void)state;
    handshake_at_server();
    add_us(2000, 1, 500, 100, 157, ACK);
    add_us(3000, 0, 100, 657, 0, ACK);
    uint32_t seq = 657;
    for (int i = 0; i < 60; i++) { /* 60 lost segments, each answered by a dup ACK */
        add_us(4000 + 10 * i, 1, seq + 1448u * (uint32_t)i, 100, 1448, ACK);
        add_us(4005 + 10 * i, 0, 100, 657, 0, ACK);
    }
    add_us(900000, 1, 657, 100, 1024, ACK)->retrans = true; /* the heal */
    size_t heal = N - 1;
    add_us(901000, 0, 100, 657 + 1024, 0, ACK);
    add_us(902000, 1, 657 + 1024, 100, 1024, ACK)->retrans = true;
    add_us(903000, 0, 100, 657 + 2048, 0, ACK);
    add_us(16000000, 0, 100, 657 + 2048, 0, FIN | ACK);
    N = ladder_judge(EV, N, CAP, 1);
    assert_int_equal(EV[heal].fate, LADDER_DELIVERED);
    assert_int_equal(EV[5].fate, LADDER_LOST);
    size_t keep[LADDER_MAX_ARROWS];
    uint32_t skipped[LADDER_MAX_ARROWS];
    size_t k = ladder_select(EV, N, 20, keep, skipped);
    assert_int_equal(k, 20);
    bool has_heal = false, has_first = false;
    uint32_t left_out = 0;
    for (size_t i = 0; i < k; i++) {
        has_heal |= keep[i] == heal;
        has_first |= keep[i] == ladder_first_trouble(EV, N);
        left_out += skipped[i];
        if (i)
            assert_true(keep[i] > keep[i - 1]);
    }
    assert_true(has_heal);
    assert_true(has_first);
    assert_true(left_out > 0);
}

/* Nothing went wrong: the story is the start of the connection. */
static void test_select_without_trouble_draws_the_start(void **state)
{
    (void)state;
    handshake_at_server();
    for (int i = 0; i < 50; i++) {
        add_us(2000 + 100 * i, 1, 500 + 1448u * (uint32_t)i, 100, 1448, ACK);
        add_us(2050 + 100 * i, 0, 100, 500 + 1448u * (uint32_t)(i + 1), 0, ACK);
    }
    N = ladder_judge(EV, N, CAP, 1);
    assert_int_equal(ladder_first_trouble(EV, N), N);
    size_t keep[LADDER_MAX_ARROWS];
    uint32_t skipped[LADDER_MAX_ARROWS];
    size_t k = ladder_select(EV, N, 10, keep, skipped);
    assert_int_equal(k, 10);
    assert_int_equal(keep[0], 0);
    assert_int_equal(EV[3].fate, LADDER_DELIVERED);
}

/* Two captures: a packet seen at both ends crossed (both times kept); one
 * seen only where it left, while the other capture ran, was lost between
 * them; the client's end is where its packets are seen first. */
static void test_pair_measures_the_loss_between_the_captures(void **state)
{
    (void)state;
    static struct ladder_event a[16], b[16], out[32];
    size_t na = 0, nb = 0;
    /* side 0 at the client, side 1 at the server whose clock is 5 s ahead;
     * one-way delay 1 ms */
    int64_t off = 5000 * MS;
#define AT(arr, n, t_us, d, sq, ak, len, fl)                                                       \
    do {                                                                                           \
        memset(&arr[n], 0, sizeof arr[n]);                                                         \
        arr[n].t_ns = (int64_t)(t_us)*1000;                                                        \
        arr[n].frame = n + 1;                                                                      \
        arr[n].dir = d;                                                                            \
        arr[n].seq = sq;                                                                           \
        arr[n].ack = ak;                                                                           \
        arr[n].payload_len = len;                                                                  \
        arr[n].ip_len = len + 52;                                                                  \
        arr[n].flags = fl;                                                                         \
        arr[n].ip_id = (uint32_t)(n + 100 * d + 1);                                                \
        n++;                                                                                       \
    } while (0)
    AT(a, na, 0, 0, 99, 0, 0, SYN);
    a[na - 1].mss = 1460;
    AT(b, nb, 1000 + off / 1000, 0, 99, 0, 0, SYN);
    b[nb - 1].ip_id = a[na - 1].ip_id;
    b[nb - 1].mss = 1320; /* clamped on the way: the same SYN otherwise */
    AT(b, nb, 1010 + off / 1000, 1, 499, 100, 0, SYN | ACK);
    AT(a, na, 2010, 1, 499, 100, 0, SYN | ACK);
    a[na - 1].ip_id = b[nb - 1].ip_id;
    AT(b, nb, 3000 + off / 1000, 1, 500, 100, 1368, ACK); /* lost: never at the client */
    AT(b, nb, 3001 + off / 1000, 1, 1868, 100, 100, ACK); /* crossed */
    AT(a, na, 4001, 1, 1868, 100, 100, ACK);
    a[na - 1].ip_id = b[nb - 1].ip_id;
    AT(a, na, 3000000, 0, 100, 500, 0, FIN | ACK); /* the client still ran 3 s later */
    int client_side;
    size_t n = ladder_match(a, na, b, nb, off, out, 32, &client_side);
    assert_int_equal(client_side, 0);
    assert_int_equal(n, 5); /* SYN, SYN-ACK, the lost one, the small one, the FIN */
    assert_int_equal(out[0].fate, LADDER_DELIVERED);
    assert_int_equal(out[0].side, 0);
    assert_int_equal(out[0].t2_ns, 1000 * 1000);
    assert_int_equal(out[0].mss, 1460);
    assert_int_equal(out[0].mss2, 1320);
    assert_int_equal(out[1].fate, LADDER_DELIVERED);
    assert_int_equal(out[1].side, 1);
    assert_int_equal(out[2].payload_len, 1368);
    assert_int_equal(out[2].fate, LADDER_LOST);
    assert_int_equal(out[3].fate, LADDER_DELIVERED);
    assert_int_equal(out[3].frame2, 3);
    /* the FIN, only at the client, after the server's capture ended: the
     * server's capture was not running to see it */
    assert_int_equal(out[4].fate, LADDER_UNANSWERED);
#undef AT
}

/* A gap of a retransmission timeout is stretched with its logarithm: the
 * doubling RTO shows as steps growing evenly; packets back to back are one
 * row apart; skipped packets leave room for their note. */
static void test_rows_stretch_timeouts_evenly(void **state)
{
    (void)state;
    int64_t t[6] = {0, 1 * MS, 201 * MS, 601 * MS, 1401 * MS, 1402 * MS};
    uint32_t sk[6] = {0, 0, 0, 0, 0, 3};
    double y[6];
    ladder_rows(t, sk, 6, y);
    assert_true(y[1] - y[0] == 1);
    double s1 = y[2] - y[1], s2 = y[3] - y[2], s3 = y[4] - y[3];
    assert_true(s1 > 1.4 && s1 < 1.6);
    assert_true(s2 > s1 + 0.4 && s2 < s1 + 0.6);
    assert_true(s3 > s2 + 0.4 && s3 < s2 + 0.6);
    assert_true(y[5] - y[4] == 2.5);
}

/* The ICMP message and the heal are trouble too: PMTUD working. */
static void test_pmtud_story_keeps_icmp_and_heal(void **state)
{
    (void)state;
    handshake_at_server();
    add_us(2000, 1, 500, 100, 157, ACK);
    add_us(3000, 0, 100, 657, 0, ACK);
    for (int i = 0; i < 5; i++)
        add_us(3100 + i, 1, 657 + 1448u * (uint32_t)i, 100, 1448, ACK);
    for (int i = 0; i < 5; i++)
        add_icmp(3200 + i, 1, 657 + 1448u * (uint32_t)i, 1300);
    for (int i = 0; i < 6; i++)
        add_us(3300 + i, 1, 657 + 1248u * (uint32_t)i, 100, 1248, ACK)->retrans = true;
    add_us(4400, 0, 100, 657 + 1248u * 6, 0, ACK);
    N = ladder_collapse(EV, ladder_judge(EV, N, CAP, 1));
    assert_int_equal(EV[5].fate, LADDER_LOST);
    assert_int_equal(EV[5].repeat, 5);
    assert_int_equal(EV[6].kind, LADDER_ICMP);
    assert_int_equal(EV[6].repeat, 5);
    assert_int_equal(EV[7].fate, LADDER_DELIVERED);
    assert_true(EV[7].retrans);
    size_t keep[LADDER_MAX_ARROWS];
    uint32_t skipped[LADDER_MAX_ARROWS];
    size_t k = ladder_select(EV, N, LADDER_MAX_ARROWS, keep, skipped);
    assert_int_equal(keep[k - 1], N - 1);
}

/* A ping sweep from the pinging host: a request with its reply crossed;
 * one with no reply while the sweep went on (ping waits a second before the
 * next) was lost; the last one, with the capture ending, is unanswered; and
 * the window reaches the answered probes after the losses. */
static void test_ping_sweep_requests_without_reply_are_lost(void **state)
{
    (void)state;
    N = 0;
    int64_t t = 0;
    uint32_t sizes[] = {1400, 1450, 1500, 1475, 1453, 1452};
    bool answered[] = {true, true, false, false, false, true};
    for (int i = 0; i < 6; i++, t += 1000) {
        struct ladder_event *e = add(t, 0, (uint32_t)i + 1, 7, sizes[i] - 28, 1);
        e->kind = LADDER_ECHO;
        e->ip_len = sizes[i];
        if (answered[i]) {
            e = add(t + 25, 1, (uint32_t)i + 1, 7, sizes[i] - 28, 0);
            e->kind = LADDER_ECHO;
        }
    }
    struct ladder_event *last = add(t, 0, 99, 7, 1000, 1);
    last->kind = LADDER_ECHO;
    N = ladder_judge(EV, N, CAP, 0);
    assert_int_equal(EV[0].fate, LADDER_DELIVERED);
    assert_int_equal(EV[1].fate, LADDER_ARRIVED); /* the reply came in */
    assert_int_equal(EV[4].fate, LADDER_LOST);    /* 1500: no reply, the sweep went on */
    assert_int_equal(EV[6].fate, LADDER_LOST);
    assert_int_equal(EV[7].fate, LADDER_DELIVERED); /* 1452 answered */
    assert_int_equal(EV[9].fate, LADDER_UNANSWERED);
    assert_int_equal(ladder_first_trouble(EV, N), 4);
    /* echoes are never merged into one arrow */
    assert_int_equal(ladder_collapse(EV, N), N);
    size_t keep[LADDER_MAX_ARROWS];
    uint32_t skipped[LADDER_MAX_ARROWS];
    size_t k = ladder_select(EV, N, LADDER_MAX_ARROWS, keep, skipped);
    assert_int_equal(keep[0], 0);
    assert_int_equal(keep[k - 1], N - 1);
}

/* An encrypted tunnel's datagrams: one capture cannot tell what became of
 * them (not judged); two captures match them by counter, so the one never
 * seen at the receiving end was lost between them. */
static void test_tunnel_datagrams_one_capture_cannot_judge_two_captures_measure(void **state)
{
    (void)state;
    static struct ladder_event a[8], b[8], out[16];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    uint32_t sizes[] = {124, 1480, 236};
    for (int i = 0; i < 3; i++) { /* side 0: the sending end */
        a[i].t_ns = (int64_t)i * MS;
        a[i].frame = (uint64_t)i + 1;
        a[i].kind = LADDER_DGRAM;
        a[i].dir = 1;
        a[i].flags = 4;              /* WireGuard data */
        a[i].seq = 40 + (uint32_t)i; /* the counter */
        a[i].ip_id = 0x1234;         /* the receiver index */
        a[i].ip_len = sizes[i];
        a[i].payload_len = sizes[i] - 20;
    }
    b[0] = a[0];
    b[0].t_ns += MS / 2;
    b[1] = a[2];
    b[1].t_ns += MS / 2;
    b[2] = b[1];
    b[2].t_ns = 2000 * MS; /* the receiving capture ran on */
    b[2].seq = 60;
    b[2].ip_len = 124;
    for (int i = 0; i < 3; i++)
        b[i].frame = (uint64_t)i + 1; /* the receiving capture's own numbering */
    size_t n = ladder_judge(a, 3, 8, 1);
    assert_int_equal(a[1].fate, LADDER_SENT); /* one capture: not judged */
    for (int i = 0; i < 3; i++)
        a[i].fate = 0;
    int client_side;
    n = ladder_match(a, 3, b, 3, 0, out, 16, &client_side);
    assert_int_equal(n, 4);
    assert_int_equal(out[0].fate, LADDER_DELIVERED);
    assert_int_equal(out[1].ip_len, 1480);
    assert_int_equal(out[1].fate, LADDER_LOST);
    assert_int_equal(out[2].fate, LADDER_DELIVERED);
    assert_int_equal(out[2].frame2, 2);
}

/* A datagram of an encrypted tunnel, leaving the capture, at time t_ms. */
static struct ladder_event *dgram(int64_t t_ms, int dir, uint32_t ip_len)
{
    struct ladder_event *e = add(t_ms, dir, 0, 0, 0, 0);
    e->kind = LADDER_DGRAM;
    e->flags = 4; /* WireGuard data */
    e->ip_len = ip_len;
    e->fate = LADDER_SENT;
    return e;
}

/* The inner TCP's timeout backing off on one size (resend.h's run, from
 * its first copy to its last) means no datagram that large crossed then:
 * those are lost, with the burst the first copy ended (one window through
 * the same link a moment earlier); a smaller one, one after a pause of a
 * minimum RTO, the other direction, and one after the run stay unjudged. */
static void test_tunnel_run_resent_with_backoff_marks_that_size_lost(void **state)
{
    (void)state;
    N = 0;
    dgram(0, 0, 1500);    /* 1: before a pause of 300 ms: another story */
    dgram(300, 0, 1500);  /* 2: the burst... */
    dgram(300, 0, 140);   /* 3: ...a small one in it */
    dgram(301, 0, 1500);  /* 4: ...the run's first copy */
    dgram(302, 1, 1500);  /* 5: the other direction */
    dgram(520, 0, 1500);  /* 6: a copy */
    dgram(960, 0, 1500);  /* 7: the last copy */
    dgram(2000, 0, 1500); /* 8: after the run */
    ladder_mark_resent(EV, N, 0, 1500, 301 * MS, 960 * MS);
    static const uint8_t want[] = {LADDER_SENT, LADDER_LOST, LADDER_SENT, LADDER_LOST,
                                   LADDER_SENT, LADDER_LOST, LADDER_LOST, LADDER_SENT};
    for (size_t i = 0; i < N; i++)
        if (EV[i].fate != want[i])
            fail_msg("datagram %zu: fate %u, want %u", i + 1, EV[i].fate, want[i]);
    ladder_mark_resent(EV, N, 0, 0, 0, 0); /* no run: nothing marked */
    assert_int_equal(EV[0].fate, LADDER_SENT);
}

/* A router reporting MTU 1420 drops every packet larger than that it
 * cannot fragment (IPv6; IPv4 with DF set), with or without a message for
 * each (ICMP is rate-limited): larger whole datagrams in the quoted
 * direction are lost; those within the MTU, cut into fragments that fit,
 * IPv4 with DF clear (a router fragments those), or the other direction
 * are not. */
static void test_tunnel_datagrams_larger_than_a_reported_mtu_are_lost(void **state)
{
    (void)state;
    N = 0;
    dgram(0, 0, 1500);                    /* 1: refused */
    dgram(0, 0, 1500);                    /* 2: refused, no message of its own */
    dgram(0, 0, 1420);                    /* 3: fits */
    dgram(1, 1, 1500);                    /* 4: the other direction */
    dgram(1, 0, 1500)->df_clear = true;   /* 5: IPv4, DF clear: fragmented, not refused */
    add_icmp(2000, 0, 0, 1420);           /* 6: packet-too-big, MTU 1420 */
    dgram(300, 0, 1500)->frag_max = 1416; /* 7: cut to fit: crossed as fragments */
    dgram(400, 0, 1500);                  /* 8: still too big: refused */
    ladder_mark_refused(EV, N);
    static const uint8_t want[] = {LADDER_LOST, LADDER_LOST, LADDER_SENT, LADDER_SENT,
                                   LADDER_SENT, 0,           LADDER_SENT, LADDER_LOST};
    for (size_t i = 0; i < N; i++)
        if (EV[i].kind == LADDER_DGRAM && EV[i].fate != want[i])
            fail_msg("datagram %zu: fate %u, want %u", i + 1, EV[i].fate, want[i]);
}

/* Six losses spread among a hundred small datagrams that crossed: the
 * uneventful ones far from a loss go, every loss stays (the count falls
 * below the uneventful ones' number as they go: no wrap-around). */
static void test_select_keeps_every_loss_among_many_crossings(void **state)
{
    (void)state;
    N = 0;
    for (int i = 0; i < 120; i++) {
        struct ladder_event *e = add(i * 50, i % 2, (uint32_t)i, 0, 100, 4);
        e->kind = LADDER_DGRAM;
        e->fate = i % 20 == 5 ? LADDER_LOST : LADDER_DELIVERED;
        e->ip_len = e->fate == LADDER_LOST ? 1480 : 124;
    }
    size_t keep[LADDER_MAX_ARROWS];
    uint32_t skipped[LADDER_MAX_ARROWS];
    size_t k = ladder_select(EV, N, LADDER_MAX_ARROWS, keep, skipped);
    assert_true(k <= LADDER_MAX_ARROWS);
    int lost = 0;
    for (size_t i = 0; i < k; i++)
        lost += EV[keep[i]].fate == LADDER_LOST;
    assert_int_equal(lost, 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vantage_is_where_the_handshake_waits_a_round_trip),
        cmocka_unit_test(test_segment_resent_before_any_ack_was_lost),
        cmocka_unit_test(test_no_word_from_the_peer_is_unanswered_not_lost),
        cmocka_unit_test(test_receiver_sees_a_hole_where_the_sequence_jumps),
        cmocka_unit_test(test_burst_of_alike_segments_is_one_arrow),
        cmocka_unit_test(test_select_starts_at_the_handshake_and_keeps_the_trouble),
        cmocka_unit_test(test_select_keeps_the_start_and_the_heal_within_the_limit),
        cmocka_unit_test(test_select_without_trouble_draws_the_start),
        cmocka_unit_test(test_pair_measures_the_loss_between_the_captures),
        cmocka_unit_test(test_rows_stretch_timeouts_evenly),
        cmocka_unit_test(test_pmtud_story_keeps_icmp_and_heal),
        cmocka_unit_test(test_ping_sweep_requests_without_reply_are_lost),
        cmocka_unit_test(test_tunnel_datagrams_one_capture_cannot_judge_two_captures_measure),
        cmocka_unit_test(test_select_keeps_every_loss_among_many_crossings),
        cmocka_unit_test(test_tunnel_run_resent_with_backoff_marks_that_size_lost),
        cmocka_unit_test(test_tunnel_datagrams_larger_than_a_reported_mtu_are_lost),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
