/*
 * plots_spill.c - the charts' records of the first pass (plots_spill.h),
 * written through a fixed buffer into an unnamed temporary file and read
 * back through the same buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plots_spill.h"
#include "tcp.h"

#define SPILL_RECS 8192 /* records a buffer holds: 256 KiB, one write() each */

struct plots_spill {
    int fd;
    bool failed;  /* a write failed: the records are incomplete */
    bool full;    /* max records reached: the records are incomplete */
    bool reading; /* after plots_spill_rewind() */
    uint64_t count, max;
    char why[160];
    uint32_t n, pos; /* records in buf; the next one read */
    struct chart_rec buf[SPILL_RECS];
};

void chart_rec_from(const struct packet *pkt, const struct flow_pkt *fp, struct chart_rec *out)
{
    memset(out, 0, sizeof *out);
    out->t_ns = pkt->ts_sec * 1000000000LL + (int64_t)pkt->ts_nsec;
    out->flow = fp->flow;
    out->dir = fp->dir;
    if (fp->ta & TA_ANY_RETRANS)
        out->bits |= CR_RETX;
    /* the segment itself: the last TCP layer outside an ICMP quote (the
     * inner one of a tunnel) */
    for (int i = pkt->nlayers - 1; i >= 0; i--) {
        const struct layer *l = &pkt->layers[i];
        if (l->type != LAYER_TCP || (l->flags & LF_QUOTED))
            continue;
        out->bits |= CR_TCP;
        out->seq = l->u.tcp.seq;
        out->ack = l->u.tcp.ack;
        out->payload_len = l->u.tcp.payload_len;
        out->tcp_flags = l->u.tcp.flags;
        break;
    }
}

struct plots_spill *plots_spill_new(uint64_t max_records)
{
    struct plots_spill *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->max = max_records;
    /* where the output's staging directory goes (outdir.c): $TMPDIR when
     * absolute, else /tmp; the name is unlinked at once (mkstemp made it
     * 0600 with O_EXCL, so no one else's file or link is opened) */
    const char *t = getenv("TMPDIR");
    char path[320];
    snprintf(path, sizeof path, "%s/mtuscope-charts-XXXXXX",
             t && t[0] == '/' && strlen(t) < 256 ? t : "/tmp");
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
static void flush_buf(struct plots_spill *s)
{
    const char *p = (const char *)s->buf;
    size_t left = (size_t)s->n * sizeof s->buf[0];
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
    }
    s->n = 0;
}

void plots_spill_packet(void *spill, const struct packet *pkt, const struct flow_pkt *fp)
{
    struct plots_spill *s = spill;
    if (s->failed || s->full || s->reading)
        return;
    if (s->count == s->max) {
        s->full = true;
        return;
    }
    chart_rec_from(pkt, fp, &s->buf[s->n++]);
    s->count++;
    if (s->n == SPILL_RECS)
        flush_buf(s);
}

bool plots_spill_rewind(struct plots_spill *s)
{
    if (!s->reading)
        flush_buf(s);
    s->reading = true;
    s->n = s->pos = 0;
    return !s->failed && !s->full && lseek(s->fd, 0, SEEK_SET) == 0;
}

bool plots_spill_next(struct plots_spill *s, struct chart_rec *out, bool *failed)
{
    if (s->pos == s->n) {
        /* whole records only: a read may stop inside one (a signal) */
        size_t have = 0, want = sizeof s->buf;
        char *p = (char *)s->buf;
        while (have < want) {
            ssize_t r = read(s->fd, p + have, want - have);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0) {
                *failed = true;
                return false;
            }
            if (r == 0)
                break;
            have += (size_t)r;
        }
        if (have % sizeof s->buf[0]) {
            *failed = true; /* the file is ours: a partial record means it changed */
            return false;
        }
        s->n = (uint32_t)(have / sizeof s->buf[0]);
        s->pos = 0;
        if (!s->n)
            return false;
    }
    *out = s->buf[s->pos++];
    return true;
}

uint64_t plots_spill_count(const struct plots_spill *s)
{
    return s->count;
}

const char *plots_spill_why(struct plots_spill *s)
{
    if (s->full)
        snprintf(s->why, sizeof s->why,
                 "the capture has more packets than the first pass records for the charts "
                 "(%llu)",
                 (unsigned long long)s->max);
    else if (s->failed)
        snprintf(s->why, sizeof s->why,
                 "the charts' temporary file could not be written (a full disk?)");
    return s->full || s->failed ? s->why : NULL;
}

void plots_spill_free(struct plots_spill *s)
{
    if (!s)
        return;
    close(s->fd);
    free(s);
}
