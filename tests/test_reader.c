/* test_reader.c - the read-ahead thread gives exactly what capture_next()
 * gives: frames, numbers, times, data, the end, an error, --count. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "testutil.h"

#include "capture.h"
#include "decode.h"
#include "reader.h"

#define NFRAMES 40000 /* ~10 MB: every batch of the ring is filled several times */
#define BIG 262144    /* one frame of libpcap's largest snap length */
#define BIG_AT 12345

static void put32(FILE *fp, uint32_t v)
{
    assert_int_equal(fwrite(&v, 4, 1, fp), 1);
}

/* A pcap file (little-endian, microseconds, Ethernet) of NFRAMES frames of
 * varied sizes whose bytes depend on their number; cut > 0 cuts the
 * file that many bytes before its end.  Returns its path (static). */
static const char *write_pcap(long cut)
{
    static char path[64];
    FILE *fp = tu_temp_file(path, sizeof path, "reader");
    put32(fp, 0xa1b2c3d4);
    put32(fp, 2 | 4u << 16);
    put32(fp, 0);
    put32(fp, 0);
    put32(fp, BIG);
    put32(fp, 1);
    static uint8_t buf[BIG];
    for (uint32_t i = 0; i < NFRAMES; i++) {
        uint32_t len = i == BIG_AT ? BIG : 14 + (i * 37) % 1500;
        for (uint32_t k = 0; k < len; k++)
            buf[k] = (uint8_t)(i + k * 7);
        put32(fp, 1700000000 + i / 1000);
        put32(fp, (i % 1000) * 1000);
        put32(fp, len);
        put32(fp, len + (i & 1)); /* some frames cut by the snap length */
        assert_int_equal(fwrite(buf, 1, len, fp), len);
    }
    tu_close_cut(fp, path, cut);
    return path;
}

static struct capture *open_or_fail(const char *path, const char *filter)
{
    char err[CAPTURE_ERRLEN];
    struct capture *c = capture_open(path, err);
    assert_non_null(c);
    assert_true(capture_set_filter(c, filter, err));
    return c;
}

/* Reads the file both ways, frame by frame; returns the frames seen. */
static uint64_t compare(const char *path, const char *filter, enum capture_status want_end)
{
    struct capture *a = open_or_fail(path, filter), *b = open_or_fail(path, filter);
    struct reader *r = reader_start(b, true);
    assert_non_null(r);
    char ea[CAPTURE_ERRLEN], eb[CAPTURE_ERRLEN];
    struct capture_frame fa, fb;
    enum capture_status sa, sb;
    uint64_t n = 0, peeked = 0, peeked2 = 0;
    const uint8_t *ahead2 = NULL; /* what the frame after this one brings */
    do {
        /* the prefetch's peeks name the bytes the next frame, and the one
         * after it, bring (the same frame as capture_next's) */
        const struct capture_frame *pf = reader_peek(r, 0), *pf2 = reader_peek(r, 1);
        const uint8_t *peek = pf ? pf->data : NULL, *want2 = ahead2;
        if (pf2) /* two ahead: in the same batch only when the next one is */
            assert_non_null(pf);
        ahead2 = pf2 ? pf2->data : NULL;
        sa = capture_next(a, &fa, ea);
        sb = reader_next(r, &fb, eb);
        assert_int_equal(sa, sb);
        if (sa != CAPTURE_OK)
            break;
        n++;
        if (peek) {
            assert_ptr_equal(peek, fb.data);
            assert_int_equal(pf->number, fb.number);
            peeked++;
        }
        if (want2) {
            assert_ptr_equal(want2, fb.data);
            peeked2++;
        }
        assert_int_equal(fa.number, fb.number);
        assert_int_equal(fa.ts_sec, fb.ts_sec);
        assert_int_equal(fa.ts_nsec, fb.ts_nsec);
        assert_int_equal(fa.caplen, fb.caplen);
        assert_int_equal(fa.wirelen, fb.wirelen);
        assert_int_equal(fa.linktype, fb.linktype);
        assert_memory_equal(fa.data, fb.data, fa.caplen);
        assert_int_equal(capture_bytes_read(a), reader_bytes_read(r));
    } while (true);
    assert_int_equal(sa, want_end);
    assert_true(n < 100 || peeked > n * 9 / 10);  /* all but a batch's first frame */
    assert_true(n < 100 || peeked2 > n * 8 / 10); /* all but a batch's first two */
    if (sa == CAPTURE_ERROR)
        assert_string_equal(ea, eb);
    assert_int_equal(capture_frames_read(a), reader_frames_read(r));
    reader_stop(r);
    assert_int_equal(capture_frames_read(a), capture_frames_read(b));
    capture_close(a);
    capture_close(b);
    return n;
}

static void test_same_frames(void **state)
{
    (void)state;
    const char *p = write_pcap(0);
    assert_int_equal(compare(p, NULL, CAPTURE_EOF), NFRAMES);
    unlink(p);
}

static void test_filter(void **state)
{
    (void)state;
    const char *p = write_pcap(0);
    /* frames of 1000 bytes or more: numbers skip, and every record counts */
    uint64_t n = compare(p, "len >= 1000", CAPTURE_EOF);
    assert_true(n > 10000 && n < 30000);
    unlink(p);
}

static void test_error_mid_file(void **state)
{
    (void)state;
    const char *p = write_pcap(100); /* the last record is cut */
    assert_int_equal(compare(p, NULL, CAPTURE_ERROR), NFRAMES - 1);
    unlink(p);
}

/* --count: the analysis stops early; frames read ahead do not count, and
 * stopping never waits for the file's end. */
static void test_early_stop(void **state)
{
    (void)state;
    const char *p = write_pcap(0);
    struct capture *c = open_or_fail(p, NULL);
    struct reader *r = reader_start(c, true);
    assert_non_null(r);
    char err[CAPTURE_ERRLEN];
    struct capture_frame f;
    for (int i = 0; i < 5000; i++)
        assert_int_equal(reader_next(r, &f, err), CAPTURE_OK);
    assert_int_equal(f.number, 5000);
    assert_int_equal(reader_frames_read(r), 5000);
    reader_stop(r);
    assert_true(capture_frames_read(c) < NFRAMES); /* it stopped reading */
    capture_close(c);
    unlink(p);
}

/* The packets the reader thread decodes (reader_start_decoding) are the
 * ones the analysis thread would decode itself, field for field, on a file
 * of varied frames and on a lab capture; the thread decodes only when the
 * analysis is behind (here: it starts late), and never without the thread. */
static void test_decoded_by_the_reader_as_by_the_analysis(void **state)
{
    (void)state;
    const char *files[] = {write_pcap(0),
                           "samples/lab-wgseries-mtu1374-path1434-client-outer.pcap"};
    struct packet *own = calloc(1, sizeof *own);
    for (int i = 0; i < 2; i++) {
        for (int thread = 0; thread < 2; thread++) {
            struct capture *c = open_or_fail(files[i], NULL);
            struct reader *r = reader_start_decoding(c, thread);
            assert_non_null(r);
            char err[CAPTURE_ERRLEN];
            struct capture_frame f;
            uint64_t n = 0, decoded = 0;
            /* the ring filled before the analysis takes anything: the
             * batches published while four or more wait are decoded (1 MB
             * read in 0.3 s: true on any machine that runs these tests) */
            if (thread)
                usleep(300000);
            const struct packet *peeked = NULL;
            while (reader_next(r, &f, err) == CAPTURE_OK) {
                n++;
                const struct packet *p = reader_packet(r);
                if (peeked) /* the peek named the packet that came */
                    assert_ptr_equal(peeked, p);
                peeked = reader_peek_packet(r, 0);
                if (!p)
                    continue;
                decoded++;
                decode_frame(own, f.linktype, f.data, f.caplen, f.wirelen);
                assert_int_equal(p->frame, f.number);
                assert_int_equal(p->ts_sec, f.ts_sec);
                assert_int_equal(p->ts_nsec, f.ts_nsec);
                assert_int_equal(p->caplen, own->caplen);
                assert_int_equal(p->wirelen, own->wirelen);
                assert_int_equal(p->linktype, own->linktype);
                assert_ptr_equal(p->data, own->data);
                assert_int_equal(p->nlayers, own->nlayers);
                assert_int_equal(p->ntunnels, own->ntunnels);
                assert_int_equal(p->anomalies, own->anomalies);
                assert_memory_equal(p->layers, own->layers, p->nlayers * sizeof p->layers[0]);
            }
            if (thread)
                assert_true(decoded > 0 && decoded <= n);
            else
                assert_int_equal(decoded, 0);
            reader_stop(r);
            capture_close(c);
        }
    }
    free(own);
    unlink(files[0]);
}

/* Without the thread it is capture_next() itself. */
static void test_no_thread(void **state)
{
    (void)state;
    const char *p = write_pcap(0);
    struct capture *c = open_or_fail(p, NULL);
    struct reader *r = reader_start(c, false);
    assert_non_null(r);
    char err[CAPTURE_ERRLEN];
    struct capture_frame f;
    for (int i = 0; i < 3; i++)
        assert_int_equal(reader_next(r, &f, err), CAPTURE_OK);
    assert_int_equal(reader_frames_read(r), 3);
    assert_int_equal(capture_frames_read(c), 3);
    reader_stop(r);
    capture_close(c);
    unlink(p);
}

/* Compresses `path` with gzip into path.gz, keeping the first `keep`
 * compressed bytes (0: all).  Returns the new path (static). */
static const char *gzip_copy(const char *path, long keep)
{
    static char gz[80];
    snprintf(gz, sizeof gz, "%s.gz", path);
    FILE *in = fopen(path, "rb");
    gzFile out = gzopen(gz, "wb1");
    assert_non_null(in);
    assert_non_null(out);
    static char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(gzwrite(out, buf, (unsigned)n), (int)n);
    fclose(in);
    assert_int_equal(gzclose(out), Z_OK);
    if (keep)
        assert_int_equal(truncate(gz, keep), 0);
    return gz;
}

/* A gzip-compressed file reads as the same frames, times and data as the
 * file itself, through capture_next() and through the reader thread; cut
 * short, it ends in an error that names the file and says gzip. */
static void test_gzip(void **state)
{
    (void)state;
    const char *p = write_pcap(0);
    char gz[80];
    snprintf(gz, sizeof gz, "%s", gzip_copy(p, 0));
    assert_int_equal(compare(gz, NULL, CAPTURE_EOF), NFRAMES);
    struct capture *a = open_or_fail(p, NULL), *b = open_or_fail(gz, NULL);
    char ea[CAPTURE_ERRLEN], eb[CAPTURE_ERRLEN];
    struct capture_frame fa, fb;
    enum capture_status sa;
    while ((sa = capture_next(a, &fa, ea)) == CAPTURE_OK) {
        assert_int_equal(capture_next(b, &fb, eb), CAPTURE_OK);
        assert_int_equal(fa.number, fb.number);
        assert_int_equal(fa.ts_sec, fb.ts_sec);
        assert_int_equal(fa.ts_nsec, fb.ts_nsec);
        assert_int_equal(fa.caplen, fb.caplen);
        assert_int_equal(fa.wirelen, fb.wirelen);
        assert_memory_equal(fa.data, fb.data, fa.caplen);
    }
    assert_int_equal(sa, CAPTURE_EOF);
    assert_int_equal(capture_next(b, &fb, eb), CAPTURE_EOF);
    assert_string_equal(capture_format(b), "pcap");
    /* progress counts the compressed bytes read: at most the file's size */
    struct stat st;
    assert_int_equal(stat(gz, &st), 0);
    assert_true(capture_bytes_read(b) > 0 && capture_bytes_read(b) <= (uint64_t)st.st_size);
    capture_close(a);
    capture_close(b);
    unlink(gz);

    snprintf(gz, sizeof gz, "%s", gzip_copy(p, (long)st.st_size / 2));
    uint64_t n = compare(gz, NULL, CAPTURE_ERROR);
    assert_true(n > 1000 && n < NFRAMES);
    b = open_or_fail(gz, NULL);
    while (capture_next(b, &fb, eb) == CAPTURE_OK)
        ;
    assert_non_null(strstr(eb, gz));
    assert_non_null(strstr(eb, "gzip: unexpected end of file"));
    capture_close(b);
    unlink(gz);
    unlink(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_frames),
        cmocka_unit_test(test_filter),
        cmocka_unit_test(test_error_mid_file),
        cmocka_unit_test(test_early_stop),
        cmocka_unit_test(test_no_thread),
        cmocka_unit_test(test_gzip),
        cmocka_unit_test(test_decoded_by_the_reader_as_by_the_analysis),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
