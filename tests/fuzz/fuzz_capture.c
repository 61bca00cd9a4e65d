/*
 * fuzz_capture.c - libFuzzer target: whole capture files from memory.
 *
 * The bytes are a pcap or pcapng file.  They are read four ways:
 *  - pipeline_run() itself, on a memfd named by its /proc path, then the
 *    inference and both reports: the code main.c runs, including the reopen
 *    that capture.c does for pcapng files mixing link types.  One input in
 *    READ_AHEAD_EVERY (by its length) is read by the reader thread, as main.c
 *    reads a file; the others in this thread (pipeline_run_reading()), as a
 *    pipe is read: the same frames by contract (reader.h), and a thread
 *    started and ended under AddressSanitizer cost about 1 ms, more than
 *    everything else a small input does;
 *  - capture_open_stream() on an fmemopen stream: the same frames must come
 *    out, with the same error (a differential check of the two paths),
 *    except for gzip data (magic 1f 8b), which a file path reads through
 *    zlib and a stream reads as it is;
 *  - pcapng.c alone, since libpcap reads most pcapng files itself and the
 *    fallback reader would otherwise see few inputs;
 *  - the file against itself (-r F -r F): correlate.c reads it twice at
 *    once and must match every keyed packet with its twin, then the
 *    inference and the reports run on the pair.
 * Inputs of even length get a BPF filter that compiles for every link type,
 * so the filter paths (one program per link type in the fallback) run too.
 */
#define _GNU_SOURCE /* memfd_create */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "capture.h"
#include "corr_feed.h"
#include "correlate.h"
#include "fuzz_reports.h"
#include "pcapng.h"
#include "pipeline.h"
#include "results.h"
#include "stats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FRAMES 4096 /* keeps one input fast */
#define READ_AHEAD_EVERY 8
#define FILTER "len >= 0"

static void *xmalloc_copy(const uint8_t *data, size_t size)
{
    void *p = malloc(size);
    if (!p)
        abort();
    memcpy(p, data, size);
    return p;
}

/* Two correlations of the same pair agree: the matched counts and every
 * direction's numbers. */
static bool same_correlation(const struct correlation *a, const struct correlation *b)
{
    if (a->npairs != b->npairs)
        return false;
    for (int i = 0; i < a->npairs; i++) {
        const struct corr_pair *x = &a->pairs[i], *y = &b->pairs[i];
        if (x->matched != y->matched || x->offset_ns != y->offset_ns || x->ndirs != y->ndirs ||
            x->failed != y->failed || strcmp(x->note, y->note) != 0)
            return false;
        for (int k = 0; k < x->ndirs; k++)
            if (memcmp(&x->dirs[k], &y->dirs[k], sizeof x->dirs[k]) != 0)
                return false;
    }
    return true;
}

/* The file at `path` as two inputs, correlated: nothing may be seen on one
 * side only, since both sides are the same bytes; and the first pass's
 * records (corr_feed.h) give the correlation a second read gives. */
static void run_self_pair(const char *path, const struct pipeline_opts *po)
{
    struct input_stats *s[2] = {stats_new(path), stats_new(path)};
    struct results res;
    struct corr_feed *feed = corr_feed_new(2, CORR_FEED_MAX);
    if (!s[0] || !s[1] || !results_init(&res) || !feed)
        abort();
    struct pipeline_hooks hooks = {corr_feed_packet, feed, NULL};
    for (int i = 0; i < 2; i++) { /* in this thread: see the top of the file */
        corr_feed_begin(feed, i);
        pipeline_run_reading(path, i, po, s[i], &res, &hooks, false);
        corr_feed_end(feed, i, s[i]->format[0] != '\0');
    }
    struct correlation corr, again;
    const char *paths[2] = {path, path};
    struct replay_src rs = {paths, 2, po};
    struct corr_feed_src fs = {feed, &rs}, fs_again = {NULL, &rs};
    struct corr_source src = {corr_feed_pair, corr_feed_first_time, corr_feed_rereadable, &fs};
    struct corr_source src_again = {corr_feed_pair, corr_feed_first_time, corr_feed_rereadable,
                                    &fs_again};
    if (!correlate_run(&corr, &src, 2, &res) || !correlate_run(&again, &src_again, 2, &res))
        abort();
    if (!same_correlation(&corr, &again))
        abort();
    for (int i = 0; i < corr.npairs; i++)
        for (int k = 0; k < corr.pairs[i].ndirs; k++) {
            const struct corr_dir *d = &corr.pairs[i].dirs[k];
            if (d->only[0] || d->only[1])
                abort();
        }
    res.correlation = &corr;
    fuzz_reports_n(s, 2, &res);
    correlate_free(&corr);
    correlate_free(&again);
    corr_feed_free(feed);
    results_free(&res);
    stats_free(s[0]);
    stats_free(s[1]);
}

/* pipeline_run() and the reports; the frames read, or -1 when the filter
 * did not compile for the file's link type (a link type libpcap does not
 * know: the run stops there, as main.c does with exit status 2). */
static int64_t run_pipeline(const uint8_t *data, size_t size, bool filter, char *error,
                            size_t errsize)
{
    int fd = memfd_create("fuzz", 0);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size)
        abort();
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);

    struct input_stats *s = stats_new(path);
    struct results res;
    if (!s || !results_init(&res))
        abort();
    struct pipeline_opts po = {
        .filter = filter ? FILTER : NULL, .count = MAX_FRAMES, .quiet = true};
    bool read_ahead = size / 2 % READ_AHEAD_EVERY == 0; /* not tied to the filter's bit */
    enum pipeline_status st = pipeline_run_reading(path, 0, &po, s, &res, NULL, read_ahead);
    if (st == PIPELINE_FAIL && !strstr(s->error, path))
        abort(); /* every message names the file */
    /* the error without the file name, to compare with the stream's */
    snprintf(error, errsize, "%s", st == PIPELINE_FAIL ? s->error + strlen(path) : "");

    fuzz_reports(s, &res);
    if (st != PIPELINE_BAD_FILTER)
        run_self_pair(path, &po);
    int64_t frames = st == PIPELINE_BAD_FILTER ? -1 : (int64_t)s->frames;
    results_free(&res);
    stats_free(s);
    close(fd);
    return frames;
}

/* The stream path: the frames and the error pipeline_run() saw (unless
 * `differ`: then only that it runs clean). */
static void run_stream(const uint8_t *data, size_t size, bool filter, int64_t want_frames,
                       const char *want_error, bool differ)
{
    char err[CAPTURE_ERRLEN];
    uint8_t *copy = xmalloc_copy(data, size);
    FILE *fp = fmemopen(copy, size, "rb");
    if (!fp)
        abort();
    struct capture *cap = capture_open_stream(fp, "", err);
    if (!cap) {
        if (!differ && strcmp(err, want_error) != 0)
            abort();
        free(copy);
        return;
    }
    if (filter && !capture_set_filter(cap, FILTER, err)) {
        if (!differ && want_frames != -1)
            abort();
        capture_close(cap);
        free(copy);
        return;
    }
    if (!differ && want_frames == -1)
        abort();
    struct capture_frame f;
    enum capture_status cs;
    uint64_t n = 0;
    while (n < MAX_FRAMES && (cs = capture_next(cap, &f, err)) == CAPTURE_OK) {
        if (f.caplen > f.wirelen)
            abort(); /* the capture module promises wirelen >= caplen */
        n++;
    }
    if (n == MAX_FRAMES)
        cs = CAPTURE_EOF;
    if (!differ && (cs == CAPTURE_ERROR ? strcmp(err, want_error) != 0 : want_error[0] != '\0'))
        abort();
    if (!differ && (int64_t)capture_frames_read(cap) != want_frames)
        abort();
    capture_close(cap);
    free(copy);
}

/* pcapng.c on its own: every packet it returns must lie inside its block. */
static void run_pcapng(const uint8_t *data, size_t size)
{
    uint8_t *copy = xmalloc_copy(data, size);
    FILE *fp = fmemopen(copy, size, "rb");
    if (!fp)
        abort();
    char err[PCAPNG_ERRLEN];
    struct pcapng *ng = pcapng_open(fp, err);
    if (ng) {
        struct pcapng_packet p;
        volatile uint8_t sink = 0;
        for (int i = 0; i < MAX_FRAMES && pcapng_next(ng, &p, err) == 1; i++) {
            if (p.caplen > p.wirelen)
                abort();
            if (p.caplen) /* touch both ends: ASan checks the block buffer */
                sink ^= p.data[0] ^ p.data[p.caplen - 1];
        }
        (void)sink;
        pcapng_close(ng);
    }
    fclose(fp);
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0; /* fmemopen refuses a zero-length buffer; e2e tests an empty file */
    bool filter = size % 2 == 0;
    char error[STATS_ERRLEN];
    int64_t frames = run_pipeline(data, size, filter, error, sizeof error);
    bool gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
    run_stream(data, size, filter, frames, error, gzip);
    run_pcapng(data, size);
    return 0;
}
