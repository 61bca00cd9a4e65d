/*
 * cursor.h - bounds-checked reads over untrusted packet bytes.
 *
 * Every byte of a capture is hostile.  Decoders never cast a pointer to a
 * header struct and never index a buffer directly: they read through a
 * cursor.  A read past the end returns 0, leaves the position where it was
 * and sets a sticky error flag; the decoder checks the flag once, after a
 * group of reads, and records an anomaly.  No longjmp, no crash: a sticky flag
 * is easy to test.
 *
 * The cursor is a value type (three words); copying it gives an independent
 * view of the same bytes, which is how a decoder "peeks" ahead.
 */
#ifndef MTUSCOPE_CURSOR_H
#define MTUSCOPE_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cursor {
    const uint8_t *p;   /* next byte to read */
    const uint8_t *end; /* one past the last readable byte */
    bool err;           /* sticky: a read went past end */
};

static inline struct cursor cur_make(const uint8_t *data, size_t len)
{
    struct cursor c = {data, data + len, false};
    return c;
}

static inline size_t cur_left(const struct cursor *c)
{
    return (size_t)(c->end - c->p);
}

static inline bool cur_has(const struct cursor *c, size_t n)
{
    return !c->err && cur_left(c) >= n;
}

static inline bool cur_fail(struct cursor *c)
{
    c->err = true;
    return false;
}

static inline uint8_t cur_u8(struct cursor *c)
{
    if (!cur_has(c, 1))
        return (uint8_t)cur_fail(c);
    return *c->p++;
}

static inline uint16_t cur_be16(struct cursor *c)
{
    if (!cur_has(c, 2))
        return (uint16_t)cur_fail(c);
    uint16_t v = (uint16_t)((uint16_t)c->p[0] << 8 | c->p[1]);
    c->p += 2;
    return v;
}

static inline uint16_t cur_le16(struct cursor *c)
{
    if (!cur_has(c, 2))
        return (uint16_t)cur_fail(c);
    uint16_t v = (uint16_t)((uint16_t)c->p[1] << 8 | c->p[0]);
    c->p += 2;
    return v;
}

static inline uint32_t cur_be24(struct cursor *c)
{
    if (!cur_has(c, 3))
        return (uint32_t)cur_fail(c);
    uint32_t v = (uint32_t)c->p[0] << 16 | (uint32_t)c->p[1] << 8 | c->p[2];
    c->p += 3;
    return v;
}

static inline uint32_t cur_be32(struct cursor *c)
{
    if (!cur_has(c, 4))
        return (uint32_t)cur_fail(c);
    uint32_t v =
        (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 | (uint32_t)c->p[2] << 8 | c->p[3];
    c->p += 4;
    return v;
}

static inline uint32_t cur_le32(struct cursor *c)
{
    if (!cur_has(c, 4))
        return (uint32_t)cur_fail(c);
    uint32_t v =
        (uint32_t)c->p[3] << 24 | (uint32_t)c->p[2] << 16 | (uint32_t)c->p[1] << 8 | c->p[0];
    c->p += 4;
    return v;
}

static inline uint64_t cur_le64(struct cursor *c)
{
    uint64_t lo = cur_le32(c);
    uint64_t hi = cur_le32(c);
    return c->err ? 0 : (hi << 32 | lo);
}

static inline bool cur_skip(struct cursor *c, size_t n)
{
    if (!cur_has(c, n))
        return cur_fail(c);
    c->p += n;
    return true;
}

/* Copies n bytes out; on failure dst is zero-filled. */
static inline bool cur_copy(struct cursor *c, void *dst, size_t n)
{
    if (!cur_has(c, n)) {
        memset(dst, 0, n);
        return cur_fail(c);
    }
    memcpy(dst, c->p, n);
    c->p += n;
    return true;
}

/* Peeks without consuming: returns 0 and does NOT set the error flag when the
 * byte is absent (peeking is a question, not a read). */
static inline uint8_t cur_peek_u8(const struct cursor *c, size_t at)
{
    return (!c->err && cur_left(c) > at) ? c->p[at] : 0;
}

static inline uint16_t cur_peek_be16(const struct cursor *c, size_t at)
{
    return (!c->err && cur_left(c) >= at + 2) ? (uint16_t)((uint16_t)c->p[at] << 8 | c->p[at + 1])
                                              : 0;
}

/*
 * Splits off the next n bytes as an independent cursor and advances past them.
 * When fewer than n bytes remain, the sub-cursor gets what there is and the
 * parent's error flag is set: the caller learns that the declared length
 * overran the capture, and may still decode the part that was captured.
 */
static inline struct cursor cur_sub(struct cursor *c, size_t n)
{
    struct cursor s = {c->p, c->p, c->err};
    if (c->err)
        return s;
    if (cur_left(c) < n) {
        s.end = c->end;
        c->p = c->end;
        c->err = true;
        return s;
    }
    s.end = c->p + n;
    c->p += n;
    return s;
}

/* Limits the readable bytes to at most n (no error when fewer remain). */
static inline void cur_limit(struct cursor *c, size_t n)
{
    if (cur_left(c) > n)
        c->end = c->p + n;
}

#endif
