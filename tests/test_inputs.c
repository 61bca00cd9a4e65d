/*
 * test_inputs.c - which files are one rotated capture (inputs.c), from
 * their scans alone: table-driven, one row per situation with its reason.
 */
#include "testutil.h"

#include "inputs.h"

#define S 1000000000ll /* a second, in ns */

/* A scanned file of `records` packets from t0 to t1 seconds. */
static struct capscan file(int linktype, uint32_t snaplen, const char *ifname, double t0, double t1,
                           uint64_t records)
{
    struct capscan c;
    memset(&c, 0, sizeof c);
    c.scanned = true;
    c.linktype = linktype;
    c.snaplen = snaplen;
    c.ninterfaces = 1;
    snprintf(c.ifname, sizeof c.ifname, "%s", ifname);
    c.records = records;
    if (records) {
        c.has_time = true;
        c.first_ns = (int64_t)(t0 * S);
        c.last_ns = (int64_t)(t1 * S);
    }
    return c;
}

struct group_case {
    const char *name; /* the physical situation */
    int nfiles;
    struct capscan scans[6];
    int ngroups;
    int sizes[6];      /* files per group */
    const char *why_1; /* in group 1's reason (the second input), NULL: none */
};

static const char *const names[6] = {"f0", "f1", "f2", "f3", "f4", "f5"};

static void test_grouping_table(void **state)
{
    (void)state;
    static struct group_case cases[] = {
        {"a ring buffer: one capture's files follow each other in time", 3, {{0}}, 1, {3}, NULL},
        {"two vantage points at once: their time ranges overlap", 2, {{0}}, 2, {1, 1}, "overlap"},
        {"a host's outer and tunnel interface: other link types", 2, {{0}}, 2, {1, 1}, "link type"},
        {"another snap length: another capture", 2, {{0}}, 2, {1, 1}, "snap length"},
        {"another pcapng interface name: another capture point", 2, {{0}}, 2, {1, 1}, "interface"},
        {"a file without packets in a ring buffer is part of it", 3, {{0}}, 1, {3}, NULL},
        {"each end rotated, one after the other: two captures", 4, {{0}}, 2, {2, 2}, "overlap"},
        {"a file cut in a record: a separate input", 2, {{0}}, 2, {1, 1}, "broken"},
        {"standard input is not scanned: a separate input", 2, {{0}}, 2, {1, 1}, "not scanned"},
        {"files given out of time order are not one stream", 2, {{0}}, 2, {1, 1}, "overlap"},
    };
    struct capscan *c;
    c = cases[0].scans;
    c[0] = file(1, 262144, "", 0, 10, 5);
    c[1] = file(1, 262144, "", 10, 20, 7); /* the same instant across a boundary is allowed */
    c[2] = file(1, 262144, "", 20.5, 30, 2);
    c = cases[1].scans;
    c[0] = file(1, 65535, "", 0, 10, 5);
    c[1] = file(1, 65535, "", 0.001, 10.002, 5);
    c = cases[2].scans;
    c[0] = file(1, 65535, "", 0, 10, 5);
    c[1] = file(101, 65535, "", 20, 30, 5);
    c = cases[3].scans;
    c[0] = file(1, 65535, "", 0, 10, 5);
    c[1] = file(1, 96, "", 20, 30, 5);
    c = cases[4].scans;
    c[0] = file(1, 65535, "eth0", 0, 10, 5);
    c[1] = file(1, 65535, "eth1", 20, 30, 5);
    c = cases[5].scans;
    c[0] = file(1, 65535, "", 0, 10, 5);
    c[1] = file(1, 65535, "", 0, 0, 0);
    c[2] = file(1, 65535, "", 11, 12, 5);
    c = cases[6].scans;
    c[0] = file(1, 65535, "", 0, 10, 5);
    c[1] = file(1, 65535, "", 10, 20, 5);
    c[2] = file(1, 65535, "", 0.1, 10.1, 5);
    c[3] = file(1, 65535, "", 10.1, 20.1, 5);
    c = cases[7].scans;
    c[0] = file(1, 65535, "", 0, 10, 5);
    c[1] = file(1, 65535, "", 10, 20, 5);
    c[1].broken = true;
    c = cases[8].scans;
    c[0] = file(1, 65535, "", 0, 10, 5);
    memset(&c[1], 0, sizeof c[1]);
    snprintf(c[1].why, sizeof c[1].why, "standard input cannot be read twice");
    c = cases[9].scans;
    c[0] = file(1, 65535, "", 10, 20, 5);
    c[1] = file(1, 65535, "", 0, 10, 5);

    static struct input_groups gs;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct group_case *k = &cases[i];
        inputs_group(&gs, names, k->scans, k->nfiles);
        if (gs.n != k->ngroups)
            print_error("%s: %d groups\n", k->name, gs.n);
        assert_int_equal(gs.n, k->ngroups);
        int at = 0;
        for (int g = 0; g < gs.n; g++) {
            assert_int_equal(gs.g[g].nfiles, k->sizes[g]);
            assert_ptr_equal(gs.g[g].files[0], names[at]);
            assert_ptr_equal(inputs_group_of(&gs, names[at]), &gs.g[g]);
            at += gs.g[g].nfiles;
        }
        if (k->why_1 && !strstr(gs.g[1].why, k->why_1))
            print_error("%s: %s\n", k->name, gs.g[1].why);
        if (k->why_1)
            assert_non_null(strstr(gs.g[1].why, k->why_1));
        if (k->ngroups == 1)
            assert_true(gs.g[0].why[0] != '\0'); /* says why the files are one */
    }
}

/* Frames count on across the files: a frame maps back to its file. */
static void test_frames_across_files(void **state)
{
    (void)state;
    struct capscan sc[3] = {file(1, 65535, "", 0, 1, 4), file(1, 65535, "", 1, 2, 0),
                            file(1, 65535, "", 2, 3, 3)};
    static struct input_groups gs;
    inputs_group(&gs, names, sc, 3);
    assert_int_equal(gs.n, 1);
    const struct input_group *g = &gs.g[0];
    assert_int_equal(g->first_frame[0], 1);
    assert_int_equal(g->first_frame[1], 5);
    assert_int_equal(g->first_frame[2], 5); /* the empty file holds no frame */
    static const struct {
        uint64_t frame;
        int file;
        uint64_t in_file;
    } map[] = {{1, 0, 1}, {4, 0, 4}, {5, 2, 1}, {7, 2, 3}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        uint64_t n;
        assert_int_equal(inputs_frame_file(g, map[i].frame, &n), map[i].file);
        assert_int_equal(n, map[i].in_file);
    }
}

/* Statistics counted from the capture's start in every file (dumpcap): the
 * group keeps the largest of each, the latest end, and the whole span. */
static void test_group_scan(void **state)
{
    (void)state;
    struct capscan sc[2] = {file(1, 65535, "", 0, 10, 4), file(1, 65535, "", 10, 20, 6)};
    sc[0].has_ifdrop = sc[1].has_ifdrop = true;
    sc[0].ifdrop = 3;
    sc[1].ifdrop = 5;
    sc[0].has_end = sc[1].has_end = true;
    sc[0].end_ns = 10 * S;
    sc[1].end_ns = 25 * S;
    struct capscan out;
    inputs_group_scan(sc, 2, &out);
    assert_int_equal(out.records, 10);
    assert_int_equal(out.first_ns, 0);
    assert_int_equal(out.last_ns, 20 * S);
    assert_int_equal(out.ifdrop, 5);
    assert_int_equal(out.end_ns, 25 * S);
    assert_false(out.has_osdrop);
}

/* Rotated files given out of order are sorted by their first timestamps
 * when, sorted, they follow each other without overlap (one capture's files
 * never overlap); captures taken at once overlap and stay as given. */
static void test_out_of_order_files_sorted(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        double t[4][2]; /* each file's first and last second */
        int n;
        int order[4]; /* the files as read: indexes of the given ones */
        int sorted;   /* runs sorted */
    } cases[] = {
        {"reversed ring buffer", {{20, 29}, {10, 19}, {0, 9}}, 3, {2, 1, 0}, 1},
        {"a glob past file9", {{10, 19}, {20, 29}, {0, 9}, {30, 39}}, 4, {2, 0, 1, 3}, 1},
        {"in order already", {{0, 9}, {10, 19}, {20, 29}}, 3, {0, 1, 2}, 0},
        {"two captures at once, given late first", {{5, 30}, {0, 25}}, 2, {0, 1}, 0},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        struct capscan scans[4];
        const char *files[4];
        bool moved[4];
        for (int i = 0; i < cases[c].n; i++) {
            scans[i] = file(1, 262144, "", cases[c].t[i][0], cases[c].t[i][1], 10);
            files[i] = names[i];
        }
        int runs = inputs_sort_rotated(files, scans, cases[c].n, moved);
        if (runs != cases[c].sorted)
            fail_msg("%s: %d runs sorted", cases[c].name, runs);
        for (int i = 0; i < cases[c].n; i++) {
            if (files[i] != names[cases[c].order[i]])
                fail_msg("%s: file %d is %s", cases[c].name, i, files[i]);
            assert_int_equal(scans[i].first_ns, (int64_t)(cases[c].t[cases[c].order[i]][0] * S));
            assert_int_equal(moved[i], cases[c].sorted > 0);
        }
    }
    /* another link type ends the run: a separate capture point is never moved */
    struct capscan scans[3] = {file(1, 262144, "", 20, 29, 5), file(1, 262144, "", 10, 19, 5),
                               file(113, 262144, "", 0, 9, 5)};
    const char *files[3] = {names[0], names[1], names[2]};
    bool moved[3];
    assert_int_equal(inputs_sort_rotated(files, scans, 3, moved), 1);
    assert_ptr_equal(files[0], names[1]);
    assert_ptr_equal(files[2], names[2]);
    assert_false(moved[2]);
    /* two captures named apart (both ends of a path, one clock an hour
     * behind): never reordered, whatever their times */
    struct capscan ends[2] = {file(1, 262144, "", 3600, 3610, 5), file(1, 262144, "", 0, 10, 5)};
    const char *apart[2] = {"/cap/client-outer.pcap", "/tmp/server-outer-shifted.pcap"};
    assert_int_equal(inputs_sort_rotated(apart, ends, 2, moved), 0);
    assert_string_equal(apart[0], "/cap/client-outer.pcap");
    /* one writer's numbered files: cap.pcap, cap.pcap1, cap.pcap2 (tcpdump -C) */
    struct capscan ring[3] = {file(1, 262144, "", 20, 29, 5), file(1, 262144, "", 0, 9, 5),
                              file(1, 262144, "", 10, 19, 5)};
    const char *numbered[3] = {"/cap/x.pcap2", "/cap/x.pcap", "/cap/x.pcap1"};
    assert_int_equal(inputs_sort_rotated(numbered, ring, 3, moved), 1);
    assert_string_equal(numbered[0], "/cap/x.pcap");
    assert_string_equal(numbered[2], "/cap/x.pcap2");
}

/* A classic pcap file's records are walked (the whole file read) only when
 * another input could continue it: their times decide the grouping then
 * and only then.  Each row: the files given, and which were walked; the
 * walks run in threads, and each scan is the one the file gets alone. */
static void test_records_walked_only_where_times_decide(void **state)
{
    (void)state;
    static const char *const client = "samples/lab-incident-wg1420-path1434-client-outer.pcap";
    static const char *const server = "samples/lab-incident-wg1420-path1434-server-outer.pcap";
    static const char *const tunnel = "samples/lab-incident-wg1420-path1434-client-wg.pcap";
    static const char *const client2 = "samples/lab-tcp4-blackhole-path1300-client-outer.pcap";
    static const char *const server2 = "samples/lab-tcp4-blackhole-path1300-server-outer.pcap";
    static const char *const client3 = "samples/lab-fixed-wg1374-path1434-client-outer.pcap";
    static const struct {
        const char *name;
        int n;
        const char *files[5];
        bool walked[5];
    } rows[] = {
        {"one input: nothing to group", 1, {client}, {false}},
        {"the same file twice: never one capture", 2, {client, client}, {false, false}},
        {"outer (Ethernet) and tunnel (raw IP) interfaces: another link type",
         2,
         {client, tunnel},
         {false, false}},
        {"two Ethernet captures: their time ranges decide", 2, {client, server}, {true, true}},
        {"two Ethernet captures and a tunnel one: only the tunnel's header",
         3,
         {client, tunnel, server},
         {true, false, true}},
        {"five Ethernet captures: walked side by side, each as alone",
         5,
         {client, server, client2, server2, client3},
         {true, true, true, true, true}},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct capscan sc[5];
        inputs_scan(rows[i].files, rows[i].n, sc);
        for (int k = 0; k < rows[i].n; k++) {
            assert_true(sc[k].scanned);
            if ((sc[k].records > 0) != rows[i].walked[k] || sc[k].has_time != rows[i].walked[k])
                fail_msg("%s: file %d %s", rows[i].name, k,
                         rows[i].walked[k] ? "not walked" : "walked for nothing");
            struct capscan alone; /* the same as a scan of it alone, threads or not */
            capscan_file(rows[i].files[k], rows[i].walked[k], &alone);
            if (memcmp(&alone, &sc[k], sizeof alone) != 0)
                fail_msg("%s: file %d scanned otherwise than alone", rows[i].name, k);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grouping_table),
        cmocka_unit_test(test_frames_across_files),
        cmocka_unit_test(test_group_scan),
        cmocka_unit_test(test_out_of_order_files_sorted),
        cmocka_unit_test(test_records_walked_only_where_times_decide),
    };
    return cmocka_run_group_tests_name("inputs", tests, NULL, NULL);
}
