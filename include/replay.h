/*
 * replay.h - reading the inputs a second time, in one place.
 *
 * Two stages need packets after the first pass has summarised them: the
 * correlation of two vantage points (correlate.h: the same packets matched
 * across two captures, read merged by time) and the per-packet charts
 * (plots.h: time-sequence graphs and the retransmission timeline).  Neither
 * opens a file: main() hands them a struct replay_src, and they call the
 * functions below through the function pointers of their own interfaces, so
 * that every re-read goes through the same capture, filter, --count and
 * Ctrl-C handling as the first pass, and the consumers can be tested by
 * feeding them packets.
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

/* A frame of a merged read: side 0 or 1 (the pair's first or second input),
 * its time in ns on side 0's clock, the packet decoded and defragmented.
 * Returns false to stop the read. */
typedef bool (*replay_frame_fn)(void *ctx, int side, int64_t t_ns, const struct packet *p);

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
/* Inputs a and b merged by capture time, b's clock moved back by offset_ns;
 * on a tie the side behind in frames first, so that runs of equal
 * timestamps interleave.  Every frame goes to fn until it returns false or
 * both inputs end.  False when an input cannot be opened or filtered, or
 * memory ran out. */
bool replay_pair(void *src, int a, int b, int64_t offset_ns, replay_frame_fn fn, void *ctx);
/* Every input through the whole pipeline again, in order, so that flow ids
 * are those of the first pass; each packet goes to hooks.  Quiet: the first
 * pass reported the inputs' problems.  False when memory ran out. */
bool replay_inputs(void *src, const struct pipeline_hooks *hooks);

#endif
