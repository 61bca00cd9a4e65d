/*
 * reader.h - reading ahead: the file read in a second thread.
 *
 * Reading a capture is 35-65% of a run's CPU time when libpcap does it (the
 * kernel copying the page cache, stdio, libpcap's record parsing and copy)
 * and the analysis is the rest, on one core.  A reader thread fills the
 * batches of a bounded ring (READER_BATCHES batches of READER_BATCH_BYTES,
 * each allocated when the reader first fills it) through
 * capture_next_batch(): a plain pcap file is read by one pread() per batch
 * straight into the batch and its records parsed where they landed
 * (pcapdirect.h), so the kernel's copy is the only one; other files come
 * frame by frame from libpcap and are copied in.  The analysis thread takes
 * the batches in order; with reader_start_decoding(), the reader thread
 * also decodes a batch's frames whenever the analysis is the slower of the
 * two.  On two free cores a run then takes about as long
 * as the slower of the two halves instead of their sum
 * (docs/PERFORMANCE.md has the measurements).
 *
 * The frames, their numbers and the final status (EOF, or an error with its
 * message) are exactly what capture_next() gives, in the same order: only
 * where the work happens changes.  The capture belongs to the reader thread
 * from reader_start() to reader_stop(); after that the caller may use it
 * again (capture_frames_read...).  Without the thread (not asked for, or it
 * could not be started), reader_next() calls capture_next() itself.
 *
 * Pipes read without it: when the analysis stops early (--count) the reader
 * may be blocked reading, and a quiet pipe would never let it finish.
 */
#ifndef MTUSCOPE_READER_H
#define MTUSCOPE_READER_H

#include <stdbool.h>
#include <stdint.h>

#include "capture.h"

#define READER_BATCHES 16
#define READER_BATCH_BYTES (64 * 1024) /* grows for a single larger frame */

struct reader;

/* thread false: no second thread.  NULL when out of memory. */
struct reader *reader_start(struct capture *cap, bool thread);

/* The same, and the reader thread also decodes (decode_frame(), which
 * reads nothing but the frame) the first READER_DECODED frames of each
 * batch: the analysis thread takes them decoded (reader_packet()), and the
 * two cores share the decoding.  On many short connections the analysis
 * thread was the one that waited; the reader thread, whose work is the
 * kernel's copy, had room.  READER_DECODED bounds the memory:
 * READER_BATCHES x READER_DECODED packets of about 2.9 KB (5.6 MB), and the
 * frames of a batch past it are decoded by the analysis thread. */
#define READER_DECODED 120
struct reader *reader_start_decoding(struct capture *cap, bool thread);
struct packet;
/* The frame reader_next() returned last, decoded, with its frame number and
 * time, when the reader thread decoded it; NULL otherwise (and without the
 * thread): the caller decodes it.  The caller's to change (defragmenting)
 * until the next reader_next(). */
struct packet *reader_packet(const struct reader *r);
/* The packet reader_packet() gives k frames from now (0: the next one), when
 * the thread decoded it: for a prefetch. */
const struct packet *reader_peek_packet(const struct reader *r, uint32_t k);
/* As capture_next(): f->data is valid until the next call. */
enum capture_status reader_next(struct reader *r, struct capture_frame *f,
                                char err[CAPTURE_ERRLEN]);
/* The frame reader_next() returns k frames from now (0: the next one),
 * when it is already in the batch in hand (NULL otherwise, and without the
 * thread): for a prefetch.  Its bytes are valid until that frame is
 * returned; the reader thread wrote them, so reading them may wait on the
 * other core's cache. */
const struct capture_frame *reader_peek(const struct reader *r, uint32_t k);
/* File bytes consumed up to the last frame returned, for progress. */
uint64_t reader_bytes_read(const struct reader *r);
/* As capture_frames_read() when capture_next() is called in this thread:
 * frames read ahead but never returned do not count. */
uint64_t reader_frames_read(const struct reader *r);
/* Stops the thread (also before the end of the capture) and frees r. */
void reader_stop(struct reader *r);

#endif
