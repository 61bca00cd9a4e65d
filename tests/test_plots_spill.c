/* test_plots_spill.c - the charts' records of the first pass
 * (plots_spill.h): each packet's record says what the time-sequence graph
 * and the timeline draw of it, the records come back whole and in order
 * across the buffer's refills, a full disk makes the charts read the
 * inputs again instead of drawing from half the records, and the charts
 * drawn from the records are byte for byte those the second read draws.
 * Also the ladder's own read stopping once its connection has ended
 * (plots_ladder_enough). */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#include "decode.h"
#include "inference.h"
#include "pipeline.h"
#include "plots.h"
#include "plots_ladder.h"
#include "plots_ladder_int.h"
#include "plots_spill.h"
#include "replay.h"
#include "tcp.h"

/* An Ethernet/IPv4/TCP segment decoded. */
static void tcp_packet(struct packet *p, uint32_t seq, uint32_t ack, uint8_t flags, size_t len)
{
    struct pb b;
    pb_init(&b);
    pb_fill(&b, len, 0x61);
    pb_tcp(&b, 40000, 443, seq, ack, flags);
    pb_ipv4(&b, IP_PROTO_TCP, "10.0.0.1", "10.0.0.2", IP_DF);
    pb_eth(&b, ETH_TYPE_IP);
    memset(p, 0, sizeof *p);
    tu_decode(p, DLT_EN10MB, &b);
}

/* The record carries the segment's own fields, the flow stage's verdict
 * on it, and its time in ns: all the graph and the timeline read. */
static void test_record_of_a_segment_is_what_the_graph_draws(void **state)
{
    (void)state;
    struct packet *p = calloc(1, sizeof *p);
    tcp_packet(p, 1000, 77, TH_ACK | TH_PUSH, 1448);
    p->ts_sec = 1700000000;
    p->ts_nsec = 123456789;
    struct flow_pkt fp = {42, 1, TA_FAST_RETRANS};
    struct chart_rec c;
    chart_rec_from(p, &fp, &c);
    assert_int_equal(c.t_ns, 1700000000123456789LL);
    assert_int_equal(c.flow, 42);
    assert_int_equal(c.dir, 1);
    assert_int_equal(c.bits, CR_TCP | CR_RETX);
    assert_int_equal(c.seq, 1000);
    assert_int_equal(c.ack, 77);
    assert_int_equal(c.payload_len, 1448);
    assert_int_equal(c.tcp_flags, TCPF_ACK | TCPF_PSH);
    /* a duplicate ACK is not a retransmission: no red bar for it */
    struct flow_pkt dup = {42, 0, TA_DUP_ACK};
    tcp_packet(p, 1, 1000, TH_ACK, 0);
    chart_rec_from(p, &dup, &c);
    assert_int_equal(c.bits, CR_TCP);
    assert_int_equal(c.payload_len, 0);
    free(p);
}

/* An ICMP frag-needed quoting a segment is no segment of a flow: the
 * quoted TCP header must not be drawn as data (nor a non-TCP packet). */
static void test_quoted_segment_is_not_drawn_as_one(void **state)
{
    (void)state;
    struct packet *p = calloc(1, sizeof *p);
    struct pb b;
    pb_init(&b);
    pb_tcp(&b, 40000, 443, 5000, 1, TH_ACK);
    pb_ipv4(&b, IP_PROTO_TCP, "10.0.0.1", "10.0.0.2", IP_DF);
    uint8_t *icmp = pb_prepend(&b, 8);
    memset(icmp, 0, 8);
    icmp[0] = 3;
    icmp[1] = 4;
    pb_be16(icmp + 6, 1300);
    pb_ipv4(&b, IP_PROTO_ICMP, "192.0.2.1", "10.0.0.1", 0);
    pb_eth(&b, ETH_TYPE_IP);
    tu_decode(p, DLT_EN10MB, &b);
    assert_true(pkt_find(p, LAYER_TCP, 0) >= 0); /* the quote was decoded */
    struct flow_pkt fp = {7, 0, 0};
    struct chart_rec c;
    chart_rec_from(p, &fp, &c);
    assert_int_equal(c.bits & CR_TCP, 0);
    assert_int_equal(c.flow, 7); /* counted on the timeline all the same */
    free(p);
}

/* Records come back whole and in order across many refills of the
 * buffer (8,192 records), the count says how many were written. */
static void test_records_come_back_in_order_across_buffers(void **state)
{
    (void)state;
    struct plots_spill *s = plots_spill_new(PLOTS_SPILL_MAX);
    assert_non_null(s);
    struct packet *p = calloc(1, sizeof *p);
    enum { N = 20000 };
    for (uint32_t i = 0; i < N; i++) {
        tcp_packet(p, i * 1448u, i, TH_ACK, i % 3 ? 1448 : 0);
        p->ts_sec = 1700000000 + i / 1000;
        p->ts_nsec = i;
        struct flow_pkt fp = {1 + i % 5, (uint8_t)(i & 1), i % 7 ? 0u : TA_RETRANS};
        plots_spill_packet(s, p, &fp);
    }
    assert_int_equal(plots_spill_count(s), N);
    assert_true(plots_spill_rewind(s));
    assert_null(plots_spill_why(s));
    struct chart_rec c;
    bool failed = false;
    uint32_t n = 0;
    while (plots_spill_next(s, &c, &failed)) {
        assert_int_equal(c.seq, n * 1448u);
        assert_int_equal(c.ack, n);
        assert_int_equal(c.flow, 1 + n % 5);
        assert_int_equal(c.t_ns, (1700000000LL + n / 1000) * 1000000000LL + n);
        assert_int_equal(c.payload_len, n % 3 ? 1448 : 0);
        assert_int_equal(!!(c.bits & CR_RETX), n % 7 == 0);
        n++;
    }
    assert_false(failed);
    assert_int_equal(n, N);
    /* a packet after the rewind is not mixed into what is read */
    plots_spill_packet(s, p, &(struct flow_pkt){1, 0, 0});
    assert_int_equal(plots_spill_count(s), N);
    plots_spill_free(s);
    free(p);
}

/* A write that fails (here the file-size limit, as a full disk would)
 * leaves the records incomplete: rewind says so, and the charts then read
 * the inputs again rather than draw part of the capture. */
static void test_failed_write_is_never_drawn_from(void **state)
{
    (void)state;
    struct plots_spill *s = plots_spill_new(PLOTS_SPILL_MAX);
    assert_non_null(s);
    struct tu_fsize lim;
    tu_fsize_limit(&lim, 100000); /* under the first buffer's 262,144 bytes */
    struct packet *p = calloc(1, sizeof *p);
    tcp_packet(p, 1, 1, TH_ACK, 100);
    for (int i = 0; i < 10000; i++)
        plots_spill_packet(s, p, &(struct flow_pkt){1, 0, 0});
    bool ok = plots_spill_rewind(s);
    tu_fsize_restore(&lim);
    assert_false(ok);
    assert_non_null(strstr(plots_spill_why(s), "could not be written")); /* the note's words */
    plots_spill_free(s);
    free(p);
}

/* Past its cap the spill is incomplete (a tmpfs /tmp must stay bounded):
 * rewind says so, the note says why, and nothing past the cap is kept. */
static void test_more_packets_than_the_cap_are_never_drawn_from(void **state)
{
    (void)state;
    struct plots_spill *s = plots_spill_new(100);
    assert_non_null(s);
    struct packet *p = calloc(1, sizeof *p);
    tcp_packet(p, 1, 1, TH_ACK, 100);
    for (int i = 0; i < 150; i++)
        plots_spill_packet(s, p, &(struct flow_pkt){1, 0, 0});
    assert_int_equal(plots_spill_count(s), 100);
    assert_false(plots_spill_rewind(s));
    assert_non_null(strstr(plots_spill_why(s), "more packets than the first pass records"));
    assert_non_null(strstr(plots_spill_why(s), "(100)"));
    plots_spill_free(s);
    /* exactly at the cap it is whole */
    s = plots_spill_new(100);
    for (int i = 0; i < 100; i++)
        plots_spill_packet(s, p, &(struct flow_pkt){1, 0, 0});
    assert_true(plots_spill_rewind(s));
    assert_null(plots_spill_why(s));
    plots_spill_free(s);
    free(p);
}

/* ------------------------------------------------- the ladder's own read */

/* The ladder stops reading when no later packet can add to it: for each
 * side, its events are full, or its capture was read past the
 * connection's last frame AND an ICMP message's round trip past its last
 * packet (a capture's clock may run backwards, and a router's
 * frag-needed about the last segment comes after it). */
static void test_ladder_read_stops_after_the_connection_and_its_icmp(void **state)
{
    (void)state;
    struct flow_summary f0 = {0}, f1 = {0};
    f0.input = 0;
    f0.last_frame = 100;
    f0.last_ns = 50000000000LL;
    f1.input = 1;
    f1.last_frame = 30;
    f1.last_ns = 20000000000LL;
    const int64_t W = LADDER_ICMP_WAIT_NS;
    static const struct {
        const char *why;
        bool two, full0, full1;
        uint16_t input;
        uint64_t frame;
        int64_t t_ns;
        bool enough;
    } cases[] = {
        {"inside the connection", false, false, false, 0, 50, 40000000000LL, false},
        {"its last frame itself", false, false, false, 0, 100, 50000000000LL, false},
        {"after it, within an ICMP round trip", false, false, false, 0, 101, 50000000000LL + W,
         false},
        {"after it and past the wait", false, false, false, 0, 101, 50000000001LL + W, true},
        {"a later time but an earlier frame (clock ran backwards)", false, false, false, 0, 99,
         90000000000LL, false},
        {"a later frame but an earlier time (clock ran backwards)", false, false, false, 0, 500,
         1000000000LL, false},
        {"its events full", false, true, false, 0, 2, 1000000000LL, true},
        {"twin: the first side done, the twin's capture not reached", true, false, false, 0, 900,
         90000000000LL, false},
        {"twin: inside the twin's connection", true, false, false, 1, 10, 90000000000LL, false},
        {"twin: both past", true, false, false, 1, 31, 20000000001LL + W, true},
        {"twin: first side full, twin still running", true, true, false, 0, 1, 0, false},
        {"twin: both full", true, true, true, 0, 1, 0, true},
    };
    struct packet *p = calloc(1, sizeof *p);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct plots_ladder l = {0};
        l.f[0] = &f0;
        l.f[1] = cases[i].two ? &f1 : NULL;
        l.full[0] = cases[i].full0;
        l.full[1] = cases[i].full1;
        p->input = cases[i].input;
        p->frame = cases[i].frame;
        p->ts_sec = cases[i].t_ns / 1000000000LL;
        p->ts_nsec = (uint32_t)(cases[i].t_ns % 1000000000LL);
        if (plots_ladder_enough(&l, p) != cases[i].enough)
            fail_msg("%s: expected %s", cases[i].why, cases[i].enough ? "enough" : "more");
    }
    /* before the read: a connection to draw wants it, none does not */
    struct plots_ladder one = {0}, none = {0};
    one.f[0] = &f0;
    assert_false(plots_ladder_enough(&one, NULL));
    assert_true(plots_ladder_enough(&none, NULL));
    assert_true(plots_ladder_enough(&none, p));
    free(p);
}

/* ----------------------------- the records against the second read */

static void read_dir(const char *dir, char names[][96], int *n)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    *n = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        assert_true(*n < 64 && strlen(e->d_name) < 96);
        memcpy(names[(*n)++], e->d_name, strlen(e->d_name) + 1);
    }
    closedir(d);
    qsort(names, (size_t)*n, 96, (int (*)(const void *, const void *))strcmp);
}

static char *slurp(const char *dir, const char *name, size_t *len)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void remove_dir(const char *dir)
{
    char names[64][96];
    int n;
    read_dir(dir, names, &n);
    for (int i = 0; i < n; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

/* The charts of -o for these inputs, written into dir: from the first
 * pass's records, at most cap of them (0: none, a second read of every
 * chart; a cap the capture passes: records made, then the second read). */
static void charts_of(const char *const *paths, int n, uint64_t cap, const char *dir)
{
    struct results res;
    assert_true(results_init(&res));
    struct plots_spill *sp = cap ? plots_spill_new(cap) : NULL;
    assert_true(!cap || sp);
    struct pipeline_hooks hooks = {plots_spill_packet, sp, NULL};
    struct pipeline_opts po = {.quiet = true};
    struct input_stats *in[2];
    for (int i = 0; i < n; i++) {
        in[i] = stats_new(paths[i]);
        assert_int_equal(pipeline_run(paths[i], i, &po, in[i], &res, sp ? &hooks : NULL),
                         PIPELINE_OK);
    }
    struct inference *inf = calloc(1, sizeof *inf);
    assert_true(inference_run(inf, in, n, &res));
    struct report_data rd = {in, n, &res, inf, NULL};
    struct replay_src rs = {paths, n, &po};
    struct plots_inputs pin = {{replay_inputs, replay_rereadable, &rs}, n, 0, NULL, 0, sp};
    struct plots *pl = calloc(1, sizeof *pl);
    FILE *quiet = fopen("/dev/null", "w"); /* "gnuplot not found": meant */
    assert_true(plots_write(dir, &rd, &pin, pl, quiet));
    fclose(quiet);
    free(pl);
    inference_free(inf);
    free(inf);
    for (int i = 0; i < n; i++)
        stats_free(in[i]);
    plots_spill_free(sp);
    results_free(&res);
}

/* Every chart file (data and script) drawn from the records is the one
 * the second read draws, on captures of each kind of chart: a black hole
 * with its ladder, a tunnel with ICMP, several connections, two capture
 * points matched (the ladder's twin in the second input). */
static void test_records_draw_what_the_second_read_draws(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"samples/lab-incident-wg1420-path1434-client-wg.pcap", NULL},
        {"samples/gen-vxlan-toobig.pcap", NULL},
        {"samples/gen-ssh-http-smb.pcap", NULL},
        {"samples/lab-tcp4-probing-heal-path1400-client-outer.pcap",
         "samples/lab-tcp4-probing-heal-path1400-server-outer.pcap"},
    };
    char plots[PATH_MAX];
    assert_non_null(realpath("plots", plots));
    setenv("MTUSCOPE_PLOTS", plots, 1);
    const char *path = getenv("PATH");
    char *saved = path ? strdup(path) : NULL;
    setenv("PATH", "/nonexistent", 1); /* data and scripts only: no gnuplot */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int n = cases[i][1] ? 2 : 1;
        char a[] = "/tmp/mtuscope-spill-a-XXXXXX", b[] = "/tmp/mtuscope-spill-b-XXXXXX";
        assert_non_null(mkdtemp(a));
        charts_of(cases[i], n, PLOTS_SPILL_MAX, a);
        /* against a second read, then against records cut by their cap */
        for (int v = 0; v < 2; v++) {
            memcpy(b + sizeof b - 7, "XXXXXX", 6);
            assert_non_null(mkdtemp(b));
            charts_of(cases[i], n, v ? 10 : 0, b);
            char na[64][96], nb[64][96];
            int ka, kb;
            read_dir(a, na, &ka);
            read_dir(b, nb, &kb);
            assert_int_equal(ka, kb);
            bool tsg = false;
            for (int k = 0; k < ka; k++) {
                assert_string_equal(na[k], nb[k]);
                size_t la, lb;
                char *x = slurp(a, na[k], &la), *y = slurp(b, nb[k], &lb);
                if (la != lb || memcmp(x, y, la) != 0)
                    fail_msg("%s: %s differs (%s)", cases[i][0], na[k],
                             v ? "records past their cap" : "a second read");
                tsg |= strncmp(na[k], "tsg-flow", 8) == 0;
                free(x);
                free(y);
            }
            assert_true(tsg); /* a graph was drawn, not two empty charts compared */
            remove_dir(b);
        }
        remove_dir(a);
    }
    if (saved)
        setenv("PATH", saved, 1);
    free(saved);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_of_a_segment_is_what_the_graph_draws),
        cmocka_unit_test(test_quoted_segment_is_not_drawn_as_one),
        cmocka_unit_test(test_records_come_back_in_order_across_buffers),
        cmocka_unit_test(test_failed_write_is_never_drawn_from),
        cmocka_unit_test(test_more_packets_than_the_cap_are_never_drawn_from),
        cmocka_unit_test(test_ladder_read_stops_after_the_connection_and_its_icmp),
        cmocka_unit_test(test_records_draw_what_the_second_read_draws),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
