/*
 * tmpspill.h - what the first pass records for a later stage, kept in an
 * unnamed temporary file: $TMPDIR (when absolute) or /tmp, made by mkstemp
 * (0600, O_EXCL: no one else's file or link is opened) and unlinked at
 * once, so that no name exists for another user to swap.  Written through
 * a fixed buffer, read back by any number of cursors, each with its own
 * buffer and offset (pread), so that two streams can be read side by side.
 *
 * A spill holds at most max_bytes: where /tmp is a tmpfs the file is
 * memory, which must stay bounded whatever the capture's length.  A record
 * that does not fit, or a failed write (a full disk), leaves the spill
 * incomplete, never partly written: its reader then reads the capture
 * again, as it did before the records.
 */
#ifndef MTUSCOPE_TMPSPILL_H
#define MTUSCOPE_TMPSPILL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TMPSPILL_WRITE_BUF (256u << 10) /* one write() each: few system calls a packet */
#define TMPSPILL_READ_BUF (64u << 10)   /* a cursor's: two are read at once */

struct tmpspill;

/* A new, empty spill named mtuscope-<what>-XXXXXX while it is made; NULL
 * when no temporary file can be made. */
struct tmpspill *tmpspill_new(const char *what, uint64_t max_bytes);
/* Appends n bytes, all or none; false (and from then on) once the spill
 * is incomplete: full, or a write failed. */
bool tmpspill_put(struct tmpspill *s, const void *p, size_t n);
/* Writes out what the buffer holds (before a cursor reads) and frees it;
 * true when every byte put is in the file.  Later puts start a new buffer. */
bool tmpspill_flush(struct tmpspill *s);
/* Bytes put. */
uint64_t tmpspill_size(const struct tmpspill *s);
bool tmpspill_full(const struct tmpspill *s);   /* a put did not fit in max_bytes */
bool tmpspill_failed(const struct tmpspill *s); /* a write failed */
void tmpspill_free(struct tmpspill *s);

/* Reads a flushed spill from its start. */
struct tmpspill_cursor {
    int fd;
    uint64_t off, end; /* next byte of the file to read; bytes flushed */
    uint32_t n, pos;   /* bytes in buf; the next one given */
    bool failed;       /* a read failed, or the file ended inside a record */
    unsigned char buf[TMPSPILL_READ_BUF];
};
void tmpspill_cursor_start(const struct tmpspill *s, struct tmpspill_cursor *c);
/* The next n bytes (n <= TMPSPILL_READ_BUF); false at the end (nothing
 * left) or when they cannot all be read (c->failed set). */
bool tmpspill_get(struct tmpspill_cursor *c, void *p, size_t n);
/* The bytes ahead, at least want of them (want <= TMPSPILL_READ_BUF) unless
 * fewer are left, without consuming them: *p points at them until the next
 * call; returns how many (0 at the end, or after a failed read).  For
 * records of varying length, parsed in place then passed with
 * tmpspill_skip(). */
size_t tmpspill_peek(struct tmpspill_cursor *c, size_t want, const unsigned char **p);
void tmpspill_skip(struct tmpspill_cursor *c, size_t n); /* n <= what peek gave */

#endif
