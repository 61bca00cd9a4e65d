/* test_wording.c - every evidence kind in words (wording.c): 39-character
 * IPv6 addresses and 300-character file names are kept whole, every finding
 * names its flow's addresses and has a Wireshark filter, and no sentence
 * says "0 bytes" or "1 packets". */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "infer.h"

/* 39 characters: the longest an IPv6 address prints (no zero group to
 * compress). */
#define A6 "fd12:3456:789a:bcde:f012:3456:789a:bcde"
#define B6 "fd98:7654:3210:fedc:ba98:7654:3210:fedc"

static struct flow_summary flow6(void)
{
    struct flow_summary f;
    memset(&f, 0, sizeof f);
    f.id = 7;
    f.proto = IP_PROTO_TCP;
    f.ip_version = 6;
    addr_pton(A6, &f.client);
    addr_pton(B6, &f.server);
    f.client_port = 51234;
    f.server_port = 443;
    f.dir[0].mss = 1220;
    f.dir[1].mss = 1440;
    f.dir[0].max_packet = 1280;
    f.wg_data = 200;
    f.wg_lost = 17;
    f.opaque = LAYER_WIREGUARD;
    f.first_frame = 1;
    f.last_frame = 400;
    return f;
}

static char long_name[2][320];

static void check_text(const char *what, const char *s)
{
    assert_non_null(s);
    if (!*s)
        fail_msg("%s: empty", what);
    if (strstr(s, " 0 bytes") || strstr(s, " 0-byte") || strstr(s, " 1 packets") ||
        strstr(s, " 1 times") || strstr(s, " 1 segments"))
        fail_msg("%s: a count or size reads wrong: %s", what, s);
}

/* One record of each kind, with the largest names the formats can meet. */
static void test_every_kind_is_worded_whole(void **state)
{
    (void)state;
    for (int i = 0; i < 2; i++) {
        memset(long_name[i], 'x', 300);
        memcpy(long_name[i], i ? "/down/" : "/up/", i ? 6 : 4);
        memcpy(long_name[i] + 295, ".pcap", 6);
    }
    struct flow_summary f = flow6();
    struct icmp_mtu_msg m;
    memset(&m, 0, sizeof m);
    m.v6 = true;
    m.frame = 12;
    m.mtu = 1400;
    m.quoted_len = 1500;
    addr_pton("fd00::1", &m.from);
    addr_pton(A6, &m.qsrc);
    addr_pton(B6, &m.qdst);
    struct pmtud_watch w;
    memset(&w, 0, sizeof w);
    w.bigger = 5;
    w.max_after = 1500;
    w.last_bigger_frame = 30;
    struct results_resend rr;
    memset(&rr, 0, sizeof rr);
    rr.run.size = 1480;
    rr.run.copies = 5;
    rr.run.nintervals = 2;
    rr.run.interval_us[0] = 200000;
    rr.run.interval_us[1] = 400000;
    rr.run.smaller = 3;
    rr.run.peer = 2;
    struct corr_dir cd;
    memset(&cd, 0, sizeof cd);
    cd.version = 6;
    assert_int_equal(inet_pton(AF_INET6, A6, cd.src), 1);
    assert_int_equal(inet_pton(AF_INET6, B6, cd.dst), 1);
    cd.kinds = 1u << CORR_TCP;
    struct defrag_lost fl;
    memset(&fl, 0, sizeof fl);
    fl.version = 6;
    fl.proto = 17;
    assert_int_equal(inet_pton(AF_INET6, A6, fl.src), 1);
    assert_int_equal(inet_pton(AF_INET6, B6, fl.dst), 1);
    fl.sport = 53;
    fl.dport = 40000;
    fl.first_seen = true;
    fl.id = 0x12345678;
    fl.bytes_seen = 1232;
    fl.first_frame = 44;

    /* a PPPoE client's MRU 1492 acknowledged by its concentrator */
    struct lcp_mru_msg req, ack;
    memset(&req, 0, sizeof req);
    req.frame = 44;
    req.code = LCP_CONF_REQ;
    req.ident = 1;
    req.mru = 1492;
    req.pppoe = true;
    req.session = 0x2a1f;
    req.has_mac = true;
    memcpy(req.src, "\x02\x00\x00\x00\x00\x01", 6);
    memcpy(req.dst, "\x02\x00\x00\x00\x00\x02", 6);
    ack = req;
    ack.frame = 45;
    ack.code = LCP_CONF_ACK;
    memcpy(ack.src, req.dst, 6);
    memcpy(ack.dst, req.src, 6);
    /* two OSPFv3 routers on one link, 1500 against 1496 */
    struct ospf_dbd_msg dbd[2];
    memset(dbd, 0, sizeof dbd);
    for (int i = 0; i < 2; i++) {
        dbd[i].frame = 44u + (unsigned)i;
        dbd[i].version = 3;
        dbd[i].router_id = 0x01010101u * (unsigned)(i + 1);
        dbd[i].mtu = i ? 1496 : 1500;
        addr_pton(i ? B6 : A6, &dbd[i].src);
        addr_pton(i ? A6 : B6, &dbd[i].dst);
    }

    struct flow_storm st = {.flow = 7,
                            .start_frame = 44,
                            .end_frame = 45,
                            .retransmissions = 12,
                            .packets = 30,
                            .start_ns = 1000000000,
                            .end_ns = 1400000000};
    struct results_listener li;
    memset(&li, 0, sizeof li);
    li.ip_version = 6;
    li.port = 443;
    addr_pton(B6, &li.addr);
    addr_pton(A6, &li.first_src);
    li.many_sources = true;
    li.judged.attempts = 200000;
    li.judged.syns = 200100;
    li.judged.first_ns = 1700000000000000000ll;
    li.judged.last_ns = 1700000002000000000ll;
    li.pending = 7;

    /* -i any on a router: 3 of 1500 bytes and up dropped, 20 up to 1280 forwarded */
    struct box_dir bx;
    memset(&bx, 0, sizeof bx);
    bx.flow = f.id;
    bx.forwarded = 20;
    bx.fwd_max = 1280;
    bx.lost = 3;
    bx.lost_min = 1500;
    /* a DNS client re-sending its query after fragmented answers */
    struct udpx_conv uc;
    memset(&uc, 0, sizeof uc);
    uc.version = 6;
    assert_int_equal(inet_pton(AF_INET6, A6, uc.a), 1);
    assert_int_equal(inet_pton(AF_INET6, B6, uc.b), 1);
    uc.aport = 40000;
    uc.bport = 53;
    uc.rep_after_frag = 4;
    uc.gap_min_ns = 990000000;
    uc.gap_max_ns = 1010000000;

    struct inference *inf = calloc(1, sizeof *inf);
    assert_non_null(inf);
    for (int k = 0; k < EV__COUNT; k++) {
        struct ev_record r;
        memset(&r, 0, sizeof r);
        r.kind = (enum ev_kind)k;
        r.flow = &f;
        r.flow_id = f.id;
        r.lost = 1500;
        r.delivered = 1280;
        r.mss = 1440;
        r.mtu = 1400;
        r.count = 4;
        r.cost_ns = 3200000000ll;
        r.other = 9;
        r.icmp = &m;
        r.watch = &w;
        r.resend = &rr;
        r.cd = &cd;
        r.frags[0] = &fl;
        r.nfrags = 1;
        r.storm = &st;
        r.listener = &li;
        r.box = &bx;
        r.udpx = &uc;
        r.cv.smallest_lost = 1500;
        r.cv.largest_delivered = 1280;
        r.cv.lost_at_or_above = 6;
        r.cv.lost_frame = 44;
        r.up_path = long_name[0];
        r.down_path = long_name[1];
        r.lcp_req = &req;
        r.lcp_ack = &ack;
        r.dbd[0] = &dbd[0];
        r.dbd[1] = &dbd[1];
        r.count2 = 3;
        ev_frame(&r, 44);
        ev_frame(&r, 45);
        struct inf_finding *fi = inf_record(inf, &r);
        assert_non_null(fi);
        char what[64];
        snprintf(what, sizeof what, "kind %d (%s)", k, fi->kind);
        check_text(what, fi->message);
        if (!fi->wireshark_filter[0])
            fail_msg("%s: no Wireshark filter", what);
        /* a filter not pinned to the cited frames says what else it shows
         * (a lost datagram's ids select exactly the fragments cited; the
         * LCP and OSPF records cite every packet their filter selects, up
         * to its bound) */
        if (!fi->filter_note && !strstr(fi->wireshark_filter, "frame.number") &&
            k != EV_FRAG_LOST && k != EV_LINK_MRU && k != EV_OSPF_MTU_MISMATCH)
            fail_msg("%s: a filter by meaning without a note: %s", what, fi->wireshark_filter);
        if (fi->filter_note)
            check_text(what, fi->filter_note);
        char ff[INF_FILTER];
        inf_frames_filter(fi, ff, sizeof ff);
        assert_string_equal(ff, "frame.number in {44, 45}");
        bool capture = k == EV_CAPTURE_COPIES || k == EV_FORWARDED_COPIES ||
                       k == EV_CAPTURE_DROPS; /* no flow */
        /* a PPP link is named by its MAC addresses: it has no IP address */
        if (k == EV_LINK_MRU && !strstr(fi->message, "02:00:00:00:00:01"))
            fail_msg("%s: names no end of the link: %s", what, fi->message);
        capture = capture || k == EV_LINK_MRU;
        if (!capture && !strstr(fi->message, A6) && !strstr(fi->message, "flow #7"))
            fail_msg("%s: names neither the sender nor the flow: %s", what, fi->message);
        if (k == EV_MEASURED_LOSS &&
            (!strstr(fi->message, long_name[0]) || !strstr(fi->message, long_name[1])))
            fail_msg("%s: a file name is cut: %s", what, fi->message);
        assert_int_equal(fi->ev, k);
        assert_int_equal(inf->records[inf->nfindings - 1].kind, k);
        assert_int_equal(fi->nframes, 2);
    }
    inference_free(inf);
    free(inf);
}

/* Counts of one read in the singular. */
static void test_one_segment_is_singular(void **state)
{
    (void)state;
    struct flow_summary f = flow6();
    struct inference *inf = calloc(1, sizeof *inf);
    assert_non_null(inf);
    struct ev_record r;
    memset(&r, 0, sizeof r);
    r.kind = EV_SILENT_SENDER;
    r.flow = &f;
    r.count = 1;
    r.lost = 1500;
    r.delivered = 600;
    r.cost_ns = 9000000000ll;
    struct inf_finding *fi = inf_record(inf, &r);
    assert_non_null(fi);
    assert_non_null(strstr(fi->message, "1 data segment of at most 600 bytes"));
    inference_free(inf);
    free(inf);
}

/* The cited frames alone, as Wireshark reads a set: sorted, each once,
 * a range only where every frame in it is cited, frame 0 (none) left out. */
static void test_frames_filter_selects_the_cited_frames_only(void **state)
{
    (void)state;
    static const struct {
        int n;
        uint64_t fr[INF_MAX_FRAMES];
        const char *want;
    } cases[] = {
        {0, {0}, ""},
        {1, {0}, ""},
        {1, {412}, "frame.number == 412"},
        {2, {415, 412}, "frame.number in {412, 415}"},
        {3, {12, 13, 14}, "frame.number in {12..14}"},
        {2, {12, 13}, "frame.number in {12, 13}"},
        {8, {40, 12, 13, 14, 15, 14, 0, 41}, "frame.number in {12..15, 40, 41}"},
        {4, {7, 9, 11, 13}, "frame.number in {7, 9, 11, 13}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct inf_finding f;
        memset(&f, 0, sizeof f);
        f.nframes = cases[i].n;
        memcpy(f.frames, cases[i].fr, sizeof f.frames);
        char buf[INF_FILTER];
        inf_frames_filter(&f, buf, sizeof buf);
        assert_string_equal(buf, cases[i].want);
        inf_frames_filter(&f, buf, 10); /* too small: nothing, never a filter cut short */
        if (cases[i].want[0] && strlen(cases[i].want) >= 10)
            assert_string_equal(buf, "");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kind_is_worded_whole),
        cmocka_unit_test(test_one_segment_is_singular),
        cmocka_unit_test(test_frames_filter_selects_the_cited_frames_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
