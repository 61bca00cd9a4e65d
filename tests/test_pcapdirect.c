/* test_pcapdirect.c - a classic pcap file read with pread() and parsed in
 * place gives exactly what libpcap gives: frames, numbers, times, lengths,
 * data, the end, every error message; and what it cannot be sure of is
 * read by libpcap from that record on.
 *
 * The reference is the same file through capture_open_stream(), which is
 * always libpcap's reading; each case reads it three ways (libpcap,
 * capture_next() direct, the reader thread's capture_next_batch()).
 *
 * The scan before the analysis (capscan.h) walks the same records in its
 * own blocks: its counts, times and the place a broken file stops are
 * checked here too, on files that cross its block many times. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#include "capscan.h"
#include "capture.h"
#include "pcapdirect.h"
#include "reader.h"

struct rec {
    uint32_t sec, frac, caplen, len;
    uint32_t write; /* data bytes written (caplen unless the file is cut there) */
};

struct file_spec {
    uint32_t magic;
    uint16_t major, minor;
    uint32_t snaplen, linktype;
    bool big_endian; /* written in the other byte order from this machine's */
};

static void put32(FILE *fp, uint32_t v, bool swap)
{
    if (swap)
        v = __builtin_bswap32(v);
    assert_int_equal(fwrite(&v, 4, 1, fp), 1);
}

static void put16(FILE *fp, uint16_t v, bool swap)
{
    if (swap)
        v = __builtin_bswap16(v);
    assert_int_equal(fwrite(&v, 2, 1, fp), 1);
}

/* Frame i's bytes: they depend on i and the offset, so a frame read from
 * the wrong place differs. */
static void fill(uint8_t *b, uint32_t n, uint32_t i)
{
    for (uint32_t k = 0; k < n; k++)
        b[k] = (uint8_t)(i * 31 + k * 7 + (k >> 8));
}

/* Writes the file; `junk` bytes of garbage before its header (for a file
 * given on standard input at that offset).  Returns its path (static). */
static const char *write_file(const struct file_spec *fs, const struct rec *r, int n, long cut,
                              int junk)
{
    static char path[64];
    FILE *fp = tu_temp_file(path, sizeof path, "pcapdirect");
    for (int i = 0; i < junk; i++)
        fputc(0x5a, fp);
    bool sw = fs->big_endian;
    put32(fp, fs->magic, sw);
    put16(fp, fs->major, sw);
    put16(fp, fs->minor, sw);
    put32(fp, 0, sw);
    put32(fp, 0, sw);
    put32(fp, fs->snaplen, sw);
    put32(fp, fs->linktype, sw);
    static uint8_t buf[400000];
    for (int i = 0; i < n; i++) {
        put32(fp, r[i].sec, sw);
        put32(fp, r[i].frac, sw);
        put32(fp, r[i].caplen, sw);
        put32(fp, r[i].len, sw);
        uint32_t w = r[i].write ? r[i].write : r[i].caplen;
        assert_true(w <= sizeof buf);
        fill(buf, w, (uint32_t)i);
        assert_int_equal(fwrite(buf, 1, w, fp), w);
    }
    tu_close_cut(fp, path, cut);
    return path;
}

/* n records of varied sizes (14..1513 bytes), some cut by the snap length
 * (len > caplen), times stepping 1 ms. */
static struct rec *plain_records(int n)
{
    struct rec *r = calloc((size_t)n, sizeof *r);
    assert_non_null(r);
    for (int i = 0; i < n; i++) {
        r[i].sec = 1700000000u + (uint32_t)i / 1000;
        r[i].frac = ((uint32_t)i % 1000) * 1000;
        r[i].caplen = 14 + ((uint32_t)i * 37) % 1500;
        r[i].len = r[i].caplen + (uint32_t)(i & 1) * 20;
    }
    return r;
}

static void same_frame(const struct capture_frame *a, const struct capture_frame *b)
{
    assert_int_equal(a->number, b->number);
    assert_int_equal(a->ts_sec, b->ts_sec);
    assert_int_equal(a->ts_nsec, b->ts_nsec);
    assert_int_equal(a->caplen, b->caplen);
    assert_int_equal(a->wirelen, b->wirelen);
    assert_int_equal(a->linktype, b->linktype);
    assert_memory_equal(a->data, b->data, a->caplen);
}

struct outcome {
    uint64_t frames; /* given */
    enum capture_status end;
    bool direct_at_start; /* the direct reading was chosen for the file */
};

/* Reads `path` three ways and checks they agree to the last byte. */
static struct outcome compare3(const char *path, const char *filter)
{
    char ea[CAPTURE_ERRLEN] = "", eb[CAPTURE_ERRLEN] = "", ec[CAPTURE_ERRLEN] = "";
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    struct capture *a = capture_open_stream(fp, path, ea); /* libpcap's reading */
    struct capture *b = capture_open(path, eb);
    struct capture *c = capture_open(path, ec);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_false(capture_reads_direct(a));
    assert_true(capture_set_filter(a, filter, ea));
    assert_true(capture_set_filter(b, filter, eb));
    assert_true(capture_set_filter(c, filter, ec));
    struct outcome o = {.direct_at_start = capture_reads_direct(b)};
    struct reader *r = reader_start(c, true);
    assert_non_null(r);
    struct capture_frame fa, fb, fc;
    enum capture_status sa, sb, sc;
    for (;;) {
        sa = capture_next(a, &fa, ea);
        sb = capture_next(b, &fb, eb);
        sc = reader_next(r, &fc, ec);
        assert_int_equal(sa, sb);
        assert_int_equal(sa, sc);
        if (sa != CAPTURE_OK)
            break;
        o.frames++;
        same_frame(&fa, &fb);
        same_frame(&fa, &fc);
        assert_int_equal(capture_bytes_read(a), capture_bytes_read(b));
        assert_int_equal(capture_bytes_read(a), reader_bytes_read(r));
    }
    o.end = sa;
    if (sa == CAPTURE_ERROR) {
        assert_string_equal(ea, eb);
        assert_string_equal(ea, ec);
    }
    assert_int_equal(capture_frames_read(a), capture_frames_read(b));
    assert_int_equal(capture_frames_read(a), reader_frames_read(r));
    reader_stop(r);
    capture_close(a);
    capture_close(b);
    capture_close(c);
    return o;
}

/* little-endian, microseconds, Ethernet: what tcpdump writes on x86 */
#define LE_USEC_INIT                                                                               \
    {                                                                                              \
        0xa1b2c3d4, 2, 4, 65535, 1, false                                                          \
    }
static const struct file_spec LE_USEC = LE_USEC_INIT;

/* ---- the table: each case a file built differently ---- */

struct dcase {
    const char *name;
    struct file_spec fs;
    int n;               /* plain records */
    int odd_at;          /* -1, or the record given odd_caplen / odd_write */
    uint32_t odd_caplen; /* its captured length (the data written: odd_write, or all) */
    uint32_t odd_write;
    long cut; /* bytes cut off the end of the file */
    const char *filter;
    bool direct; /* the direct reading is chosen for the file */
    enum capture_status end;
    uint64_t frames; /* frames given (0: n) */
};

/* one case a row: name, file, records, odd record at, its caplen, its bytes
 * written, bytes cut off the end, filter, read directly, the end, frames
 * given (0: all) */
/* clang-format off */
static const struct dcase CASES[] = {
    /* the formats libpcap passes on unchanged: read directly */
    {"usec_little_endian", LE_USEC_INIT, 3000, -1, 0, 0, 0, NULL, true, CAPTURE_EOF, 0},
    {"nsec_magic", {0xa1b23c4d, 2, 4, 65535, 1, false}, 3000, -1, 0, 0, 0, NULL, true, CAPTURE_EOF, 0},
    {"other_byte_order", {0xa1b2c3d4, 2, 4, 65535, 1, true}, 3000, -1, 0, 0, 0, NULL, true, CAPTURE_EOF, 0},
    {"other_byte_order_nsec", {0xa1b23c4d, 2, 4, 65535, 101, true}, 3000, -1, 0, 0, 0, NULL, true, CAPTURE_EOF, 0},
    {"linux_cooked_same_order", {0xa1b2c3d4, 2, 4, 65535, 113, false}, 500, -1, 0, 0, 0, NULL, true, CAPTURE_EOF, 0},
    {"header_only", LE_USEC_INIT, 0, -1, 0, 0, 0, NULL, true, CAPTURE_EOF, 0},
    /* the filter sees each record's lengths; records filtered out still count */
    {"filter_len", LE_USEC_INIT, 3000, -1, 0, 0, 0, "len >= 1000", true, CAPTURE_EOF, 1048},
    {"filter_rare_across_blocks", LE_USEC_INIT, 20000, -1, 0, 0, 0, "len == 1013", true, CAPTURE_EOF, 14},
    /* what libpcap must read: from that record on */
    {"caplen_above_snaplen_is_cut_by_libpcap", {0xa1b2c3d4, 2, 4, 1000, 1, false}, 400, 200, 1400, 0, 0, NULL, true, CAPTURE_EOF, 0},
    {"caplen_above_maximum_is_libpcaps_error", {0xa1b2c3d4, 2, 4, 262144, 1, false}, 400, 200, 300000, 16, 0, NULL, true, CAPTURE_ERROR, 200},
    {"file_cut_inside_data", LE_USEC_INIT, 3000, -1, 0, 0, 100, NULL, true, CAPTURE_ERROR, 2999},
    {"file_cut_inside_header", LE_USEC_INIT, 3000, 2999, 40, 0, 48, NULL, true, CAPTURE_ERROR, 2999},
    /* larger than capture_next()'s block and the reader's batch: both grow */
    {"record_of_the_largest_snap_length", {0xa1b2c3d4, 2, 4, 262144, 1, false}, 300, 150, 262144, 0, 0, NULL, true, CAPTURE_EOF, 0},
    /* files libpcap rewrites or reads otherwise: libpcap from the start */
    {"version_2_3_lengths_maybe_swapped", {0xa1b2c3d4, 2, 3, 65535, 1, false}, 300, -1, 0, 0, 0, NULL, false, CAPTURE_EOF, 0},
    {"usb_linux_header_fixed_up", {0xa1b2c3d4, 2, 4, 65535, 189, false}, 300, -1, 0, 0, 0, NULL, false, CAPTURE_EOF, 0},
    {"linux_cooked_other_order", {0xa1b2c3d4, 2, 4, 65535, 113, true}, 300, -1, 0, 0, 0, NULL, false, CAPTURE_EOF, 0},
};
/* clang-format on */

static void run_case(const struct dcase *c)
{
    struct rec *r = plain_records(c->n ? c->n : 1);
    if (c->odd_at >= 0) {
        r[c->odd_at].caplen = c->odd_caplen;
        r[c->odd_at].len = c->odd_caplen;
        r[c->odd_at].write = c->odd_write;
    }
    const char *p = write_file(&c->fs, r, c->n, c->cut, 0);
    struct outcome o = compare3(p, c->filter);
    print_message("%s: %llu frames\n", c->name, (unsigned long long)o.frames);
    assert_int_equal(o.direct_at_start, c->direct);
    assert_int_equal(o.end, c->end);
    assert_int_equal(o.frames, c->frames ? c->frames : (uint64_t)c->n);
    unlink(p);
    free(r);
}

static void test_read_as_libpcap_reads(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++)
        run_case(&CASES[i]);
}

/* The time fields are unsigned 32-bit in the file, read by libpcap as
 * signed in a file of this machine's byte order and as unsigned in the
 * other (its SWAPLONG): times past 2038 and fractions at and above 2^31,
 * in both precisions and both byte orders, come out the same as through
 * libpcap. */
static void test_times_past_2038_and_large_fractions(void **state)
{
    (void)state;
    static const uint32_t secs[] = {0, 1, 0x7fffffffu, 0x80000000u, 0xf0000000u, 0xffffffffu};
    static const uint32_t fracs[] = {0,           999999,      1000000,     999999999,
                                     0x7fffffffu, 0x80000000u, 0x80000001u, 0xffffffffu};
    struct rec r[sizeof secs / sizeof secs[0] * (sizeof fracs / sizeof fracs[0])];
    int n = 0;
    for (size_t i = 0; i < sizeof secs / sizeof secs[0]; i++)
        for (size_t k = 0; k < sizeof fracs / sizeof fracs[0]; k++)
            r[n++] = (struct rec){secs[i], fracs[k], 60, 60, 0};
    static const uint32_t magics[] = {0xa1b2c3d4, 0xa1b23c4d};
    for (int m = 0; m < 4; m++) {
        struct file_spec fs = {magics[m % 2], 2, 4, 65535, 1, m >= 2};
        const char *p = write_file(&fs, r, n, 0, 0);
        struct outcome o = compare3(p, NULL);
        assert_true(o.direct_at_start);
        assert_int_equal(o.frames, (uint64_t)n);
        unlink(p);
    }
}

/* `-r - < F`: a regular file on standard input is read directly from
 * where the descriptor stands, not from the file's start. */
static void test_standard_input_at_an_offset(void **state)
{
    (void)state;
    struct rec *r = plain_records(2000);
    const char *p = write_file(&LE_USEC, r, 2000, 0, 0);
    char ref[64];
    snprintf(ref, sizeof ref, "%s", p);
    const char *q = write_file(&LE_USEC, r, 2000, 0, 777); /* 777 bytes of junk first */
    int saved = dup(STDIN_FILENO), fd = open(q, O_RDONLY);
    assert_true(saved >= 0 && fd >= 0);
    assert_int_equal(lseek(fd, 777, SEEK_SET), 777);
    assert_int_equal(dup2(fd, STDIN_FILENO), STDIN_FILENO);
    close(fd);
    char ea[CAPTURE_ERRLEN], eb[CAPTURE_ERRLEN];
    struct capture *a = capture_open(ref, ea), *b = capture_open("-", eb);
    assert_non_null(a);
    assert_non_null(b);
    assert_true(capture_reads_direct(b));
    struct capture_frame fa, fb;
    uint64_t n = 0;
    while (capture_next(a, &fa, ea) == CAPTURE_OK) {
        assert_int_equal(capture_next(b, &fb, eb), CAPTURE_OK);
        same_frame(&fa, &fb);
        n++;
    }
    assert_int_equal(capture_next(b, &fb, eb), CAPTURE_EOF);
    assert_int_equal(n, 2000);
    capture_close(a);
    capture_close(b);
    assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
    close(saved);
    unlink(q);
    unlink(ref);
    free(r);
}

/* A rotated capture (capture_open_files): each file read directly, frames
 * numbered on across them; a cut last file ends in libpcap's message for
 * it, naming it. */
static void test_rotated_files_read_directly(void **state)
{
    (void)state;
    struct rec *r = plain_records(1500);
    char p1[64], p2[64];
    snprintf(p1, sizeof p1, "%s", write_file(&LE_USEC, r, 1500, 0, 0));
    snprintf(p2, sizeof p2, "%s", write_file(&LE_USEC, r, 1500, 100, 0));
    const char *files[] = {p1, p2};
    for (int threaded = 0; threaded < 2; threaded++) {
        char err[CAPTURE_ERRLEN];
        struct capture *c = capture_open_files(files, 2, err);
        assert_non_null(c);
        assert_true(capture_reads_direct(c));
        struct reader *rd = reader_start(c, threaded);
        struct capture_frame f;
        uint64_t n = 0;
        enum capture_status st;
        while ((st = reader_next(rd, &f, err)) == CAPTURE_OK)
            assert_int_equal(f.number, ++n);
        assert_int_equal(st, CAPTURE_ERROR);
        assert_int_equal(n, 2999);
        assert_non_null(strstr(err, p2));
        assert_non_null(strstr(err, "frame 1500"));
        assert_non_null(strstr(err, "truncated dump file"));
        reader_stop(rd);
        capture_close(c);
    }
    unlink(p1);
    unlink(p2);
    free(r);
}

/* The parser alone: a header shorter than 16 bytes, a record longer than
 * what is there, and a captured length past the snap length. */
static void test_parse_needs_and_odd(void **state)
{
    (void)state;
    struct pcap_direct d = {.fd = -1, .maxcap = 1000};
    uint8_t b[64] = {0};
    struct pcap_direct_rec r;
    assert_int_equal(pcap_direct_parse(&d, b, 15, &r), PCAP_DIRECT_SHORT);
    assert_int_equal(r.size, 16);
    uint32_t caplen = 40;
    memcpy(b + 8, &caplen, 4);
    assert_int_equal(pcap_direct_parse(&d, b, 55, &r), PCAP_DIRECT_SHORT);
    assert_int_equal(r.size, 56);
    assert_int_equal(pcap_direct_parse(&d, b, 56, &r), PCAP_DIRECT_REC);
    caplen = 1001;
    memcpy(b + 8, &caplen, 4);
    assert_int_equal(pcap_direct_parse(&d, b, 64, &r), PCAP_DIRECT_ODD);
}

/* ---- the scan's walk ---- */

struct scase {
    const char *name;
    int n;
    int odd_at; /* -1, or the record given odd_caplen (its data all written) */
    uint32_t odd_caplen;
    long cut;
    bool records; /* walk them */
    uint64_t want_records;
    bool broken;
    const char *why; /* a part of out.why when broken */
};

static const struct scase SCASES[] = {
    {"many_blocks", 40000, -1, 0, 0, true, 40000, false, NULL},
    {"largest_records_back_to_back", 40, 0, 0, 0, true, 40, false, NULL},
    {"cut_inside_data", 40000, -1, 0, 100, true, 39999, true, "ends inside record 40000"},
    {"cut_inside_header", 40000, 39999, 40, 48, true, 39999, true, "inside a record header"},
    {"record_claims_too_much", 3000, 2000, 300000, 0, true, 2000, true, "record 2001 claims"},
    {"header_only_asked", 40000, -1, 0, 0, false, 0, false, NULL},
};

static void test_scan_walk(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof SCASES / sizeof SCASES[0]; i++) {
        const struct scase *c = &SCASES[i];
        struct rec *r = plain_records(c->n);
        /* times out of order: the earliest and the latest are mid-file */
        r[c->n / 3].sec = 1600000000u;
        r[c->n / 2].sec = 1800000000u;
        if (c->odd_at >= 0)
            r[c->odd_at].caplen = r[c->odd_at].len = c->odd_caplen;
        if (strcmp(c->name, "largest_records_back_to_back") == 0)
            for (int k = 0; k < c->n; k++)
                r[k].caplen = r[k].len = PCAP_DIRECT_MAXCAP;
        struct file_spec fs = LE_USEC;
        fs.snaplen = 262144;
        const char *p = write_file(&fs, r, c->n, c->cut, 0);
        struct capscan sc;
        capscan_file(p, c->records, &sc);
        print_message("%s: %llu records, %s\n", c->name, (unsigned long long)sc.records, sc.why);
        assert_true(sc.scanned);
        assert_int_equal(sc.snaplen, 262144);
        assert_int_equal(sc.records, c->want_records);
        assert_int_equal(sc.broken, c->broken);
        if (c->why)
            assert_non_null(strstr(sc.why, c->why));
        if (c->records && !c->broken) {
            assert_true(sc.has_time);
            assert_int_equal(sc.first_ns,
                             1600000000ll * 1000000000ll + (int64_t)r[c->n / 3].frac * 1000);
            assert_int_equal(sc.last_ns,
                             1800000000ll * 1000000000ll + (int64_t)r[c->n / 2].frac * 1000);
        }
        if (!c->records)
            assert_false(sc.has_time);
        unlink(p);
        free(r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_as_libpcap_reads),
        cmocka_unit_test(test_times_past_2038_and_large_fractions),
        cmocka_unit_test(test_standard_input_at_an_offset),
        cmocka_unit_test(test_rotated_files_read_directly),
        cmocka_unit_test(test_parse_needs_and_odd),
        cmocka_unit_test(test_scan_walk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
