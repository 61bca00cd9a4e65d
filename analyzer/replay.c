/*
 * replay.c - the second reads (see replay.h): two inputs merged by time for
 * the correlation, every input through the pipeline for the charts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "capture.h"
#include "decode.h"
#include "defrag.h"
#include "progress.h"
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

struct stream {
    struct capture *cap;
    struct reader *rd; /* the file read ahead by a second thread (reader.h) */
    uint64_t size;     /* of the file, for progress; 0 unknown */
    struct defrag *df;
    struct packet *pkt;
    bool eof;
    uint64_t packets;
    int64_t t_ns; /* of the frame held */
};

static void stream_close(struct stream *s)
{
    reader_stop(s->rd); /* before the capture it reads */
    capture_close(s->cap);
    defrag_free(s->df);
    free(s->pkt);
    memset(s, 0, sizeof *s);
}

static bool stream_open(struct stream *s, const char *path, const struct pipeline_opts *po,
                        bool ahead)
{
    char err[CAPTURE_ERRLEN];
    memset(s, 0, sizeof *s);
    const struct input_group *g = inputs_group_of(po->groups, path); /* a rotated capture */
    s->cap =
        g && g->nfiles > 1 ? capture_open_files(g->files, g->nfiles, err) : capture_open(path, err);
    s->df = defrag_new(NULL);
    s->pkt = calloc(1, sizeof *s->pkt);
    if (!s->cap || !s->df || !s->pkt || !capture_set_filter(s->cap, po->filter, err) ||
        !(s->rd = reader_start(s->cap, ahead))) {
        stream_close(s);
        return false;
    }
    struct stat st;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
        s->size = (uint64_t)st.st_size;
    return true;
}

/* Reads, decodes and defragments the next frame into s->pkt; false at the
 * end (or --count reached, or Ctrl-C).  The packet stays valid until the
 * next call on the same stream. */
static bool stream_next(struct stream *s, const struct pipeline_opts *po)
{
    char err[CAPTURE_ERRLEN];
    struct capture_frame f;
    if (s->eof || (po->count && s->packets >= po->count) || (po->stop && *po->stop) ||
        reader_next(s->rd, &f, err) != CAPTURE_OK) {
        s->eof = true;
        return false;
    }
    s->packets++;
    const uint8_t *next = reader_peek_data(s->rd); /* as the first pass does */
    if (next) {
        __builtin_prefetch(next);
        __builtin_prefetch(next + 64);
    }
    struct packet *p = s->pkt;
    p->frame = f.number;
    p->ts_sec = f.ts_sec;
    p->ts_nsec = f.ts_nsec;
    decode_frame(p, f.linktype, f.data, f.caplen, f.wirelen);
    defrag_packet(s->df, p);
    s->t_ns = f.ts_sec * 1000000000ll + f.ts_nsec;
    return true;
}

bool replay_first_time(void *src, int i, int64_t *t_ns)
{
    const struct replay_src *rs = src;
    struct stream s;
    if (!replay_rereadable(src, i) || !stream_open(&s, rs->paths[i], rs->po, false))
        return false;
    bool ok = stream_next(&s, rs->po);
    *t_ns = s.t_ns;
    stream_close(&s);
    return ok;
}

bool replay_pair(void *src, int a, int b, int64_t offset_ns, replay_frame_fn fn, void *ctx)
{
    const struct replay_src *rs = src;
    const struct pipeline_opts *po = rs->po;
    struct stream s[2];
    /* each file read ahead by its own thread (regular files only:
     * replay_rereadable), so that the reads overlap the matching: b-short
     * paired with itself 2.26-2.32 -> 2.12-2.28 s */
    if (!replay_rereadable(src, a) || !replay_rereadable(src, b) ||
        !stream_open(&s[0], rs->paths[a], po, true))
        return false;
    if (!stream_open(&s[1], rs->paths[b], po, true)) {
        stream_close(&s[0]);
        return false;
    }
    struct progress pg;
    progress_start(&pg, po->progress, s[0].size && s[1].size ? s[0].size + s[1].size : 0);
    char label[600];
    snprintf(label, sizeof label, "matching %s with %s", rs->paths[a], rs->paths[b]);
    stream_next(&s[0], po);
    stream_next(&s[1], po);
    while (!s[0].eof || !s[1].eof) {
        /* the earlier frame first; on a tie the side behind in frames */
        int64_t t1 = s[1].t_ns - offset_ns;
        int x = s[0].eof          ? 1
                : s[1].eof        ? 0
                : t1 != s[0].t_ns ? t1 < s[0].t_ns
                                  : s[1].packets < s[0].packets;
        if (!fn(ctx, x, x ? t1 : s[0].t_ns, s[x].pkt))
            break;
        stream_next(&s[x], po);
        if (pg.on && ((s[0].packets + s[1].packets) & 0x3fff) == 0)
            progress_tick(&pg, label, s[0].packets + s[1].packets,
                          reader_bytes_read(s[0].rd) + reader_bytes_read(s[1].rd));
    }
    progress_done(&pg);
    stream_close(&s[0]);
    stream_close(&s[1]);
    return true;
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
