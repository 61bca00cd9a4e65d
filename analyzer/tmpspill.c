/*
 * tmpspill.c - an unnamed temporary file written through a fixed buffer
 * and read back by cursors (tmpspill.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tmpspill.h"

struct tmpspill {
    int fd;
    bool failed, full;
    uint64_t size, flushed, max;
    unsigned char *buf; /* TMPSPILL_WRITE_BUF bytes, while writing */
    size_t n;
};

struct tmpspill *tmpspill_new(const char *what, uint64_t max_bytes)
{
    struct tmpspill *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->max = max_bytes;
    /* where the output's staging directory goes (outdir.c): $TMPDIR when
     * absolute, else /tmp */
    const char *t = getenv("TMPDIR");
    char path[320];
    snprintf(path, sizeof path, "%s/mtuscope-%s-XXXXXX",
             t && t[0] == '/' && strlen(t) < 256 ? t : "/tmp", what);
    s->fd = mkstemp(path);
    if (s->fd < 0) {
        free(s);
        return NULL;
    }
    unlink(path);
    fcntl(s->fd, F_SETFD, FD_CLOEXEC); /* not gnuplot's to inherit */
    return s;
}

/* Writes the buffer out; a short write or an error marks the spill failed. */
static void write_buf(struct tmpspill *s)
{
    const unsigned char *p = s->buf;
    size_t left = s->n;
    while (left && !s->failed) {
        ssize_t w = write(s->fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            s->failed = true;
            break;
        }
        p += w;
        left -= (size_t)w;
        s->flushed += (uint64_t)w;
    }
    s->n = 0;
}

bool tmpspill_put(struct tmpspill *s, const void *p, size_t n)
{
    if (s->failed || s->full)
        return false;
    if (n > s->max - s->size) {
        s->full = true;
        return false;
    }
    if (!s->buf && !(s->buf = malloc(TMPSPILL_WRITE_BUF))) {
        s->failed = true;
        return false;
    }
    const unsigned char *b = p;
    while (n) {
        size_t k = TMPSPILL_WRITE_BUF - s->n < n ? TMPSPILL_WRITE_BUF - s->n : n;
        memcpy(s->buf + s->n, b, k);
        s->n += k;
        s->size += k;
        b += k;
        n -= k;
        if (s->n == TMPSPILL_WRITE_BUF)
            write_buf(s);
    }
    return !s->failed;
}

bool tmpspill_flush(struct tmpspill *s)
{
    if (s->buf)
        write_buf(s);
    free(s->buf);
    s->buf = NULL;
    return !s->failed && !s->full && s->flushed == s->size;
}

uint64_t tmpspill_size(const struct tmpspill *s)
{
    return s->size;
}

bool tmpspill_full(const struct tmpspill *s)
{
    return s->full;
}

bool tmpspill_failed(const struct tmpspill *s)
{
    return s->failed;
}

void tmpspill_free(struct tmpspill *s)
{
    if (!s)
        return;
    close(s->fd);
    free(s->buf);
    free(s);
}

void tmpspill_cursor_start(const struct tmpspill *s, struct tmpspill_cursor *c)
{
    c->fd = s->fd;
    c->off = 0;
    c->end = s->flushed;
    c->n = c->pos = 0;
    c->failed = false;
}

/* Refills the buffer with what is left of it kept at its start. */
static void refill(struct tmpspill_cursor *c)
{
    uint32_t keep = c->n - c->pos;
    memmove(c->buf, c->buf + c->pos, keep);
    c->n = keep;
    c->pos = 0;
    while (c->n < sizeof c->buf && c->off < c->end) {
        size_t want = sizeof c->buf - c->n;
        if (want > c->end - c->off)
            want = (size_t)(c->end - c->off);
        ssize_t r = pread(c->fd, c->buf + c->n, want, (off_t)c->off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) { /* the file is ours: shorter than written means it changed */
            c->failed = true;
            return;
        }
        c->n += (uint32_t)r;
        c->off += (uint64_t)r;
    }
}

bool tmpspill_get(struct tmpspill_cursor *c, void *p, size_t n)
{
    if (c->failed || n > sizeof c->buf)
        return false;
    if (c->n - c->pos < n)
        refill(c);
    if (c->n - c->pos < n) {
        if (c->n != c->pos)
            c->failed = true; /* the file ends inside a record */
        return false;
    }
    memcpy(p, c->buf + c->pos, n);
    c->pos += (uint32_t)n;
    return true;
}

size_t tmpspill_peek(struct tmpspill_cursor *c, size_t want, const unsigned char **p)
{
    if (c->failed)
        return 0;
    if (want > sizeof c->buf)
        want = sizeof c->buf;
    if (c->n - c->pos < want)
        refill(c);
    *p = c->buf + c->pos;
    return c->failed ? 0 : c->n - c->pos;
}

void tmpspill_skip(struct tmpspill_cursor *c, size_t n)
{
    c->pos = n < c->n - c->pos ? c->pos + (uint32_t)n : c->n;
}
