/*
 * corr_feed.h - the frames the correlation matches (correlate.h), taken
 * from records the first pass writes, or from a second read of the inputs.
 *
 * With two inputs or more, the first pass records every packet it analyses
 * (the copies the capture made are not packets: dedup.h): its time, its
 * frame number and its matching keys (corr_keys()), in an unnamed temporary
 * file per input (tmpspill.h).  A key's addresses, ports and kind are
 * written once and then named by a slot of a small cache (CORR_FEED_SLOTS),
 * which the reader keeps alike, and the rest as varints where small: 18-27
 * bytes a packet with one or two keys (48 with VXLAN's four), where a key
 * is 64.  The correlation's merged read then reads two such files, not two
 * captures decoded again: pairing a capture of 1.3 GB with itself read it
 * four times (the analysis of each, then the merged read); now twice.  An
 * input that is not a regular file (standard input, a pipe) is correlated
 * too.
 *
 * Every input's records share CORR_FEED_MAX bytes.  An input whose records
 * are incomplete (the limit reached, a failed write, no temporary file, an
 * input that could not be opened) is read again instead, packet by packet
 * as the first pass analysed it (replay.h); the two sides of a pair are
 * read either way, each on its own.  Both ways give the matcher the same
 * frames, keys and order (tests/test_corr_feed.c compares them).
 */
#ifndef MTUSCOPE_CORR_FEED_H
#define MTUSCOPE_CORR_FEED_H

#include <stdbool.h>
#include <stdint.h>

#include "correlate.h"
#include "flow.h"
#include "packet.h"
#include "replay.h"

/* 256 MiB for every input together: where /tmp is a tmpfs the files are
 * memory, bounded as the charts' records are (plots_spill.h).  About 6.7 M
 * TCP packets; past it an input is read again for the correlation. */
#define CORR_FEED_MAX (256ull << 20)
/* Keys' addresses and ports remembered by the writer and the reader, by
 * hash: 1024 distinct ones at a time (40 KiB each side); one not held is
 * written out again, so the limit costs bytes, never a key. */
#define CORR_FEED_SLOTS 1024

struct corr_feed;

/* Records for ninputs inputs, max_bytes for all; NULL when out of memory
 * (every input is then read again, as is one whose temporary file cannot
 * be made). */
struct corr_feed *corr_feed_new(int ninputs, uint64_t max_bytes);
/* Input i's first pass starts: its records follow. */
void corr_feed_begin(struct corr_feed *f, int input);
/* The first pass's hook (pipeline.h's pipeline_packet_fn), for every
 * packet the analysis took (pkt->input names its input). */
void corr_feed_packet(void *feed, const struct packet *pkt, const struct flow_pkt *fp);
/* Input i's first pass ended; opened: the input could be read at all. */
void corr_feed_end(struct corr_feed *f, int input, bool opened);
/* Input i's records are whole: every packet of its first pass is in them. */
bool corr_feed_whole(const struct corr_feed *f, int input);
/* Bytes recorded for every input. */
uint64_t corr_feed_bytes(const struct corr_feed *f);
void corr_feed_free(struct corr_feed *f);

/* The correlation's struct corr_source over the records (feed may be NULL)
 * and, for an input whose records are not whole, a second read. */
struct corr_feed_src {
    struct corr_feed *feed;
    struct replay_src *rs;
};
bool corr_feed_pair(void *src, int a, int b, int64_t offset_ns, corr_frame_fn fn, void *ctx);
bool corr_feed_first_time(void *src, int input, int64_t *t_ns);
bool corr_feed_rereadable(void *src, int input);

#endif
