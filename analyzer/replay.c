/*
 * replay.c - the second reads (see replay.h): an input packet by packet for
 * the correlation, every input through the pipeline for the charts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "capture.h"
#include "decode.h"
#include "dedup.h"
#include "defrag.h"
#include "reader.h"
#include "replay.h"

/* Only a regular file reads the same twice: standard input, a FIFO or a
 * process substitution (/dev/fd/N) gives nothing, or blocks, the second
 * time. */
bool replay_rereadable(void *src, int i)
{
    const struct replay_src *rs = src;
    struct stat st;
    return i >= 0 && i < rs->n && strcmp(rs->paths[i], "-") != 0 && stat(rs->paths[i], &st) == 0 &&
           S_ISREG(st.st_mode);
}

/* ---- one input read frame by frame ---- */

struct replay_stream {
    struct capture *cap;
    struct reader *rd; /* the file read ahead by a second thread (reader.h) */
    uint64_t size;     /* of the file, for progress; 0 unknown */
    struct dedup *dd;
    struct defrag *df;
    struct packet *pkt;
    bool eof;
    uint64_t packets; /* analysed: the copies the capture made are not counted */
    const struct pipeline_opts *po;
};

void replay_stream_close(struct replay_stream *s)
{
    if (!s)
        return;
    reader_stop(s->rd); /* before the capture it reads */
    capture_close(s->cap);
    dedup_free(s->dd);
    defrag_free(s->df);
    free(s->pkt);
    free(s);
}

struct replay_stream *replay_stream_open(void *src, int i, bool ahead)
{
    const struct replay_src *rs = src;
    if (!replay_rereadable(src, i))
        return NULL;
    struct replay_stream *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    const char *path = rs->paths[i];
    char err[CAPTURE_ERRLEN];
    s->po = rs->po;
    const struct input_group *g = inputs_group_of(s->po->groups, path); /* a rotated capture */
    s->cap =
        g && g->nfiles > 1 ? capture_open_files(g->files, g->nfiles, err) : capture_open(path, err);
    s->dd = dedup_new();
    s->df = defrag_new(NULL);
    s->pkt = calloc(1, sizeof *s->pkt);
    if (!s->cap || !s->dd || !s->df || !s->pkt || !capture_set_filter(s->cap, s->po->filter, err) ||
        !(s->rd = reader_start(s->cap, ahead))) {
        replay_stream_close(s);
        return NULL;
    }
    struct stat st;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
        s->size = (uint64_t)st.st_size;
    return s;
}

/* The next packet as the first pass analysed it: decoded, a copy the
 * capture made of it (dedup.h) skipped, defragmented.  --count counts
 * these packets, as the first pass does. */
const struct packet *replay_stream_next(struct replay_stream *s, int64_t *t_ns)
{
    char err[CAPTURE_ERRLEN];
    const struct pipeline_opts *po = s->po;
    struct capture_frame f;
    for (;;) {
        if (s->eof || (po->count && s->packets >= po->count) || (po->stop && *po->stop) ||
            reader_next(s->rd, &f, err) != CAPTURE_OK) {
            s->eof = true;
            return NULL;
        }
        pipeline_prefetch(s->rd, s->dd); /* as the first pass does */
        struct packet *p = s->pkt;
        p->frame = f.number;
        p->ts_sec = f.ts_sec;
        p->ts_nsec = f.ts_nsec;
        decode_frame(p, f.linktype, f.data, f.caplen, f.wirelen);
        uint64_t orig;
        if (dedup_packet(s->dd, p, &orig) != DEDUP_ORIGINAL)
            continue;
        defrag_packet(s->df, p);
        s->packets++;
        *t_ns = f.ts_sec * 1000000000ll + f.ts_nsec;
        return p;
    }
}

void replay_stream_progress(const struct replay_stream *s, uint64_t *done, uint64_t *size)
{
    *done = reader_bytes_read(s->rd);
    *size = s->size;
}

bool replay_first_time(void *src, int i, int64_t *t_ns)
{
    struct replay_stream *s = replay_stream_open(src, i, false);
    bool ok = s && replay_stream_next(s, t_ns);
    replay_stream_close(s);
    return ok;
}

bool replay_inputs(void *src, const struct pipeline_hooks *hooks)
{
    const struct replay_src *rs = src;
    struct pipeline_opts po = *rs->po;
    po.progress = false;
    po.quiet = true;
    po.flows_only = true;
    struct results res;
    if (!results_init(&res))
        return false;
    bool ok = true;
    for (int i = 0; i < rs->n && ok && !(hooks->enough && *hooks->enough); i++) {
        struct input_stats *s = stats_new(rs->paths[i]);
        if (!s) {
            ok = false;
            break;
        }
        enum pipeline_status st = pipeline_run(rs->paths[i], i, &po, s, &res, hooks);
        stats_free(s);
        if (st == PIPELINE_BAD_FILTER)
            break;
    }
    results_free(&res);
    return ok;
}
