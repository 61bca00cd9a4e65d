/* test_pmtud.c - watching PMTUD as packets go by (pmtud.c): whether a sender
 * obeyed a frag-needed, among thousands of watches of other flows, and ping
 * sweeps, with replies matched through the ring of pending requests. */
#include <stdlib.h>

#include "testutil.h"

#include "pmtud.h"

#define A "10.0.0.1"
#define Z "10.0.0.2"
#define SEC 1000000000ll

static struct pb B;
static struct packet P;

static struct pmtud *new_pmtud(void)
{
    struct pmtud *p = pmtud_new();
    assert_non_null(p);
    pmtud_begin_input(p, 0);
    return p;
}

static void at(double t)
{
    P.ts_sec = (int64_t)t;
    P.ts_nsec = (uint32_t)((t - (double)(int64_t)t) * 1e9 + 0.5);
}

/* A TCP segment from src of IP size `size`, given to the watches as flow `flow`. */
static void tcp_pkt(struct pmtud *p, double t, uint64_t flow, const char *src, uint16_t size,
                    uint64_t frame)
{
    pb_init(&B);
    pb_fill(&B, (size_t)size - 40, 'x');
    pb_tcp(&B, 40000, 80, 1, 1, TH_ACK);
    pb_ipv4(&B, IP_PROTO_TCP, src, strcmp(src, A) ? A : Z, IP_DF);
    pb_eth(&B, ETH_TYPE_IP);
    tu_decode(&P, DLT_EN10MB, &B);
    tu_assert_stack(&P, "eth/ipv4/tcp");
    P.frame = frame;
    at(t);
    struct flow_pkt fp = {flow, 0, 0};
    pmtud_packet(p, &P, &fp);
}

/* An ICMP echo request (type 8) or reply (0) of IP size `size`. */
static void echo_pkt(struct pmtud *p, double t, uint8_t type, const char *src, const char *dst,
                     uint16_t id, uint16_t seq, uint16_t size, uint64_t frame)
{
    uint8_t h[8] = {type,        0, 0, 0, (uint8_t)(id >> 8), (uint8_t)id, (uint8_t)(seq >> 8),
                    (uint8_t)seq};
    pb_init(&B);
    pb_append(&B, h, sizeof h);
    pb_fill(&B, (size_t)size - 28, 'p');
    int sum = ip_cksum_add(pb_data(&B), pb_len(&B), 0);
    uint16_t ck = (uint16_t)ip_cksum_carry(sum); /* as libdnet stores it: network order */
    memcpy(pb_data(&B) + 2, &ck, sizeof ck);
    pb_ipv4(&B, IP_PROTO_ICMP, src, dst, IP_DF);
    pb_eth(&B, ETH_TYPE_IP);
    tu_decode(&P, DLT_EN10MB, &B);
    tu_assert_stack(&P, "eth/ipv4/icmp");
    assert_int_equal(P.anomalies, 0); /* decoded cleanly */
    P.frame = frame;
    at(t);
    struct flow_pkt fp = {1, 0, 0};
    pmtud_packet(p, &P, &fp);
}

static const struct pmtud_watch *watch_of(const struct pmtud *p, uint64_t flow)
{
    for (int i = 0; i < pmtud_nwatches(p); i++)
        if (pmtud_watch_get(p, i)->flow == flow)
            return pmtud_watch_get(p, i);
    fail_msg("no watch for flow %llu", (unsigned long long)flow);
    return NULL;
}

/* The sender shrinks to the reported MTU: it reacted, nothing bigger after. */
static void test_obeyed(void **state)
{
    (void)state;
    struct pmtud *p = new_pmtud();
    struct addr a;
    tcp_pkt(p, 0.5, 7, A, 1500, 1);
    a = P.layers[1].u.ip.src;
    pmtud_icmp(p, 0, 0, 7, &a, 1400, 1 * SEC);
    tcp_pkt(p, 1.001, 7, A, 1500, 2); /* in flight: not judged */
    tcp_pkt(p, 1.01, 7, A, 1400, 3);  /* reacted */
    tcp_pkt(p, 1.02, 7, A, 1400, 4);
    tcp_pkt(p, 1.03, 7, Z, 1500, 5); /* the other direction: not watched */
    const struct pmtud_watch *w = watch_of(p, 7);
    assert_true(w->reacted);
    assert_int_equal(w->after, 2);
    assert_int_equal(w->bigger, 0);
    assert_int_equal(w->max_after, 1400);
    pmtud_free(p);
}

/* The sender ignores it: after the 1 s grace, its big packets count. */
static void test_ignored(void **state)
{
    (void)state;
    struct pmtud *p = new_pmtud();
    tcp_pkt(p, 0.5, 7, A, 1500, 1);
    struct addr a = P.layers[1].u.ip.src;
    pmtud_icmp(p, 0, 0, 7, &a, 1400, 1 * SEC);
    tcp_pkt(p, 1.5, 7, A, 1500, 2); /* within the grace */
    tcp_pkt(p, 2.5, 7, A, 1500, 3);
    tcp_pkt(p, 4.5, 7, A, 1500, 4);
    const struct pmtud_watch *w = watch_of(p, 7);
    assert_false(w->reacted);
    assert_int_equal(w->after, 2);
    assert_int_equal(w->bigger, 2);
    assert_int_equal(w->last_bigger_frame, 4);
    pmtud_free(p);
}

/* A fragmented datagram crosses the wire as its fragments: the largest is
 * the packet that had to fit, so a sender told "MTU 1420" that now cuts its
 * 1500-byte datagrams into 1416 + 140 obeyed (IPv6 routers never fragment,
 * RFC 8200 4.5: these are the sender's own), while one still cutting them
 * into 1480 + 40 (its own link's MTU) did not.  Judged on the completing
 * fragment, the one that reaches the flow with its ports. */
static void test_fragments_judged_by_largest_on_wire(void **state)
{
    (void)state;
    static const struct {
        uint16_t largest, last;
        bool reacted;
        uint64_t bigger;
    } cases[] = {
        {1416, 140, true, 0}, /* cut to the reported MTU: obeyed */
        {1480, 60, false, 1}, /* cut to the sender's 1500 link: not */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        struct pmtud *p = new_pmtud();
        tcp_pkt(p, 0.5, 7, A, 1500, 1);
        struct addr a = P.layers[1].u.ip.src;
        pmtud_icmp(p, 0, 0, 7, &a, 1420, 1 * SEC);
        /* the completing (last) fragment of a reassembled 1500-byte datagram */
        tcp_pkt(p, 0, 0, A, cases[c].last, 2);
        P.layers[1].u.ip.flags |= IPF_FRAGMENT;
        P.layers[1].u.ip.reasm_len = 1500;
        P.layers[1].u.ip.reasm_wire = cases[c].largest;
        at(2.5); /* past the grace: judged either way */
        struct flow_pkt fp = {7, 0, 0};
        pmtud_packet(p, &P, &fp);
        const struct pmtud_watch *w = watch_of(p, 7);
        assert_int_equal(w->reacted, cases[c].reacted);
        assert_int_equal(w->after, 1);
        assert_int_equal(w->bigger, cases[c].bigger);
        assert_int_equal(w->max_after, cases[c].largest);
        pmtud_free(p);
    }
}

/* Thousands of watches of other flows: a packet updates only its own flow's
 * watches, and watches older than 60 s see nothing. */
static void test_many_watches(void **state)
{
    (void)state;
    struct pmtud *p = new_pmtud();
    tcp_pkt(p, 0.5, 1, A, 1500, 1);
    struct addr a = P.layers[1].u.ip.src;
    for (uint64_t f = 100; f < 100 + PMTUD_MAX_WATCHES - 2; f++)
        pmtud_icmp(p, 0, (int)f, f, &a, 1400, 1 * SEC);
    pmtud_icmp(p, 0, 1, 7, &a, 1300, 1 * SEC);
    pmtud_icmp(p, 0, 2, 7, &a, 1450, 1 * SEC); /* a second router, same flow */
    pmtud_icmp(p, 0, 3, 8, &a, 1400, 1 * SEC); /* the cap: not watched */
    assert_int_equal(pmtud_nwatches(p), PMTUD_MAX_WATCHES);
    tcp_pkt(p, 3.0, 7, A, 1400, 2);
    tcp_pkt(p, 3.1, 150, A, 1400, 3);
    tcp_pkt(p, 62.0, 7, A, 1400, 4); /* 61 s after the messages: past the window */
    int touched = 0;
    for (int i = 0; i < pmtud_nwatches(p); i++)
        touched += pmtud_watch_get(p, i)->after != 0;
    assert_int_equal(touched, 3);
    const struct pmtud_watch *w1 = pmtud_watch_get(p, PMTUD_MAX_WATCHES - 2);
    const struct pmtud_watch *w2 = pmtud_watch_get(p, PMTUD_MAX_WATCHES - 1);
    assert_int_equal(w1->mtu, 1300);
    assert_int_equal(w1->bigger, 1); /* 1400 > 1300 */
    assert_int_equal(w2->after, 1);
    assert_int_equal(w2->bigger, 0);
    assert_int_equal(watch_of(p, 150)->after, 1);
    pmtud_free(p);
}

/* A ping sweep: requests of rising size, replies up to 1452 bytes. */
static void test_sweep(void **state)
{
    (void)state;
    struct pmtud *p = new_pmtud();
    uint64_t fr = 0;
    for (uint16_t s = 1400, seq = 1; s <= 1500; s += 4, seq++) {
        echo_pkt(p, seq, 8, A, Z, 77, seq, s, ++fr);
        if (s <= 1452)
            echo_pkt(p, seq + 0.01, 0, Z, A, 77, seq, s, ++fr);
    }
    pmtud_end_input(p);
    assert_int_equal(pmtud_nsweeps(p), 1);
    const struct pmtud_sweep *sw = pmtud_sweep_get(p, 0);
    assert_int_equal(sw->requests, 26);
    assert_int_equal(sw->answered, 14);
    assert_int_equal(sw->largest_answered, 1452);
    assert_int_equal(sw->smallest_unanswered, 1456);
    assert_true(sw->df);
    pmtud_free(p);
}

/* The pending ring holds PMTUD_MAX_PENDING requests: a reply to one that was
 * overwritten matches nothing (the oldest gave up, counted unanswered), a
 * reply to a recent one is matched through its bucket. */
static void test_pending_ring(void **state)
{
    (void)state;
    struct pmtud *p = new_pmtud();
    uint64_t fr = 0;
    for (int i = 0; i < PMTUD_MAX_PENDING + 10; i++)
        echo_pkt(p, 1.0 + i * 0.001, 8, A, Z, 5, (uint16_t)i, (uint16_t)(100 + i % 1000), ++fr);
    echo_pkt(p, 9.0, 0, Z, A, 5, 3, 103, ++fr);    /* overwritten: no match */
    echo_pkt(p, 9.1, 0, Z, A, 5, 4100, 200, ++fr); /* i = 4100: size 100 + 100 */
    echo_pkt(p, 9.2, 0, Z, A, 5, 4100, 200, ++fr); /* a duplicate reply: used up */
    const struct pmtud_sweep *sw = pmtud_sweep_get(p, 0);
    assert_int_equal(sw->requests, PMTUD_MAX_PENDING + 10);
    assert_int_equal(sw->answered, 1);
    assert_int_equal(sw->largest_answered, 200);
    assert_int_equal(sw->smallest_unanswered, 100); /* i = 0, overwritten first */
    pmtud_free(p);
}

/* RFC 1191's plateaus below a packet's length. */
static void test_plateaus(void **state)
{
    (void)state;
    assert_int_equal(pmtud_plateau_below(1500), 1492);
    assert_int_equal(pmtud_plateau_below(1492), 1006);
    assert_int_equal(pmtud_plateau_below(576), 508);
    assert_int_equal(pmtud_plateau_below(60), 68);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_obeyed),
        cmocka_unit_test(test_ignored),
        cmocka_unit_test(test_many_watches),
        cmocka_unit_test(test_sweep),
        cmocka_unit_test(test_pending_ring),
        cmocka_unit_test(test_plateaus),
        cmocka_unit_test(test_fragments_judged_by_largest_on_wire),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
