/*
 * replay.h - reading the inputs a second time, in one place.
 *
 * Two stages need packets after the first pass has summarised them: the
 * correlation of two vantage points (correlate.h: the same packets matched
 * across two captures, read merged by time) and the per-packet charts
 * (plots.h: time-sequence graphs, the retransmission timeline, the ladder).
 * Both take what they can from records the first pass wrote (corr_feed.h,
 * plots_spill.h) and come here when those are incomplete (and the ladder
 * always).  Neither opens a file: main() hands them a struct replay_src, so
 * that every re-read goes through the same capture, filter, --count and
 * Ctrl-C handling as the first pass.
 *
 * Only a regular file can be read a second time (not standard input, a FIFO,
 * a process substitution): replay_rereadable() says so, and the consumers
 * skip what needs it with a note.
 */
#ifndef MTUSCOPE_REPLAY_H
#define MTUSCOPE_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "packet.h"
#include "pipeline.h"

/* The inputs as the first pass read them. */
struct replay_src {
    const char *const *paths;
    int n;
    const struct pipeline_opts *po; /* filter, --count, progress, Ctrl-C */
};

/* The functions below take `void *src` (a struct replay_src) so that they
 * fit the consumers' function-pointer interfaces. */

/* Input i can be read again: a regular file (not standard input, a FIFO
 * or a process substitution). */
bool replay_rereadable(void *src, int i);
/* The time of input i's first frame (after the filter); false when it has
 * none or cannot be read. */
bool replay_first_time(void *src, int i, int64_t *t_ns);
/* Input i read again packet by packet, as the first pass analysed it:
 * decoded, without the copies the capture made (dedup.h), defragmented,
 * under the same filter, --count and Ctrl-C.  ahead: a second thread reads
 * the file ahead.  NULL when it cannot be read again or opened, or memory
 * ran out. */
struct replay_stream;
struct replay_stream *replay_stream_open(void *src, int i, bool ahead);
/* The next packet and its time in ns; NULL at the end.  It stays valid
 * until the next call. */
const struct packet *replay_stream_next(struct replay_stream *s, int64_t *t_ns);
/* Bytes read so far, and the file's size (0 unknown), for progress. */
void replay_stream_progress(const struct replay_stream *s, uint64_t *done, uint64_t *size);
void replay_stream_close(struct replay_stream *s); /* NULL is a no-op */
/* Every input through the whole pipeline again, in order, so that flow ids
 * are those of the first pass; each packet goes to hooks.  Quiet: the first
 * pass reported the inputs' problems.  False when memory ran out. */
bool replay_inputs(void *src, const struct pipeline_hooks *hooks);

#endif
