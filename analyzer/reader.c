/*
 * reader.c - capture_next() in a second thread, frames handed over in
 * batches through a bounded ring (see reader.h).
 *
 * One mutex guards the ring's count and the end state; the batches
 * themselves are written by the reader only while they are not published
 * and read by the analysis only while they are, so they need no lock.  A
 * batch, not a frame, is the unit of hand-over: a few hundred frames per lock
 * round trip.  Each side wakes the other only at half the ring (the reader
 * when it has filled half, the analysis when it has emptied half): when the
 * two threads share one core, as on a busy machine, they then switch every
 * few batches instead of at every one (19,000 context switches a run on 1.5
 * GB without that, 0.07 s).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader.h"

#define FRAMES_PER_BATCH 1024 /* 64 KiB of 64-byte frames */

struct frame_rec {
    uint64_t number;
    int64_t ts_sec;
    uint32_t ts_nsec, caplen, wirelen;
    int linktype;
    size_t off;          /* in the batch's data */
    uint64_t bytes_read; /* capture_bytes_read() after it */
};

struct batch {
    uint8_t *data;
    size_t cap, used;
    uint32_t nframes;
    struct frame_rec fr[FRAMES_PER_BATCH];
};

struct reader {
    struct capture *cap;
    bool threaded;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t freed, published;
    struct batch *b[READER_BATCHES]; /* allocated by the reader thread as it first fills them */
    /* under mu */
    unsigned count; /* published, not yet released */
    bool reader_waits, analysis_waits;
    bool done; /* the reader thread ended: status and err are set */
    bool stop; /* the analysis wants no more */
    enum capture_status status;
    char err[CAPTURE_ERRLEN];
    /* the analysis side's own */
    unsigned head; /* the batch being read */
    bool holding;
    uint32_t pos;
    uint64_t bytes, last_number;
    bool ended; /* reader_next() returned the end */
};

/* Waits for batch i to be free; NULL when the analysis stopped, or out of
 * memory (*oom set). */
static struct batch *acquire(struct reader *r, unsigned i, bool *oom)
{
    pthread_mutex_lock(&r->mu);
    while (r->count == READER_BATCHES && !r->stop) {
        r->reader_waits = true;
        pthread_cond_wait(&r->freed, &r->mu);
    }
    r->reader_waits = false;
    bool stop = r->stop;
    pthread_mutex_unlock(&r->mu);
    if (stop)
        return NULL;
    if (!r->b[i]) { /* first use: a small capture needs one batch, not 16 */
        struct batch *nb = malloc(sizeof *nb);
        if (!nb || !(nb->data = malloc(READER_BATCH_BYTES))) {
            free(nb);
            *oom = true;
            return NULL;
        }
        nb->cap = READER_BATCH_BYTES;
        r->b[i] = nb; /* published to the analysis under mu, by publish() */
    }
    struct batch *b = r->b[i];
    b->used = 0;
    b->nframes = 0;
    return b;
}

static void publish(struct reader *r)
{
    pthread_mutex_lock(&r->mu);
    r->count++;
    if (r->analysis_waits && r->count >= READER_BATCHES / 2)
        pthread_cond_signal(&r->published);
    pthread_mutex_unlock(&r->mu);
}

static void *run(void *arg)
{
    struct reader *r = arg;
    unsigned tail = 0;
    bool oom = false;
    struct batch *b = acquire(r, tail, &oom);
    char err[CAPTURE_ERRLEN] = "";
    enum capture_status st = CAPTURE_EOF;
    struct capture_frame f;
    while (b && (st = capture_next(r->cap, &f, err)) == CAPTURE_OK) {
        if (b->nframes == FRAMES_PER_BATCH || (b->nframes && b->used + f.caplen > b->cap)) {
            publish(r);
            tail = (tail + 1) % READER_BATCHES;
            if (!(b = acquire(r, tail, &oom)))
                break;
        }
        if (f.caplen > b->cap) { /* one frame larger than a batch: grow this one */
            uint8_t *d = realloc(b->data, f.caplen);
            if (!d) {
                st = CAPTURE_ERROR;
                snprintf(err, sizeof err, "%s: frame %llu: out of memory", capture_path(r->cap),
                         (unsigned long long)f.number);
                break;
            }
            b->data = d;
            b->cap = f.caplen;
        }
        struct frame_rec *x = &b->fr[b->nframes++];
        x->number = f.number;
        x->ts_sec = f.ts_sec;
        x->ts_nsec = f.ts_nsec;
        x->caplen = f.caplen;
        x->wirelen = f.wirelen;
        x->linktype = f.linktype;
        x->off = b->used;
        memcpy(b->data + b->used, f.data, f.caplen);
        b->used += f.caplen;
        x->bytes_read = capture_bytes_read(r->cap);
    }
    if (oom) {
        st = CAPTURE_ERROR;
        snprintf(err, sizeof err, "%s: out of memory", capture_path(r->cap));
    }
    pthread_mutex_lock(&r->mu);
    if (b && b->nframes)
        r->count++; /* the last batch, with the end */
    r->done = true;
    r->status = st == CAPTURE_OK ? CAPTURE_EOF : st; /* CAPTURE_OK: stopped */
    memcpy(r->err, err, sizeof r->err);
    pthread_cond_signal(&r->published);
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

static void free_batches(struct reader *r)
{
    for (int i = 0; i < READER_BATCHES; i++) {
        if (r->b[i])
            free(r->b[i]->data);
        free(r->b[i]);
    }
}

struct reader *reader_start(struct capture *cap, bool thread)
{
    struct reader *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->cap = cap;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->freed, NULL);
    pthread_cond_init(&r->published, NULL);
    /* no thread (a resource limit): read in this one, as without a reader */
    r->threaded = thread && pthread_create(&r->thread, NULL, run, r) == 0;
    return r;
}

enum capture_status reader_next(struct reader *r, struct capture_frame *f, char err[CAPTURE_ERRLEN])
{
    if (!r->threaded) /* bytes read asked of the capture when wanted: progress only */
        return capture_next(r->cap, f, err);
    for (;;) {
        if (r->holding) {
            const struct batch *b = r->b[r->head];
            if (r->pos < b->nframes) {
                const struct frame_rec *x = &b->fr[r->pos++];
                f->data = b->data + x->off;
                f->number = x->number;
                f->ts_sec = x->ts_sec;
                f->ts_nsec = x->ts_nsec;
                f->caplen = x->caplen;
                f->wirelen = x->wirelen;
                f->linktype = x->linktype;
                r->bytes = x->bytes_read;
                r->last_number = x->number;
                return CAPTURE_OK;
            }
            pthread_mutex_lock(&r->mu); /* this batch is read: the reader may refill it */
            r->count--;
            if (r->reader_waits && r->count <= READER_BATCHES / 2)
                pthread_cond_signal(&r->freed);
            pthread_mutex_unlock(&r->mu);
            r->head = (r->head + 1) % READER_BATCHES;
            r->holding = false;
        }
        pthread_mutex_lock(&r->mu);
        while (r->count == 0 && !r->done) {
            r->analysis_waits = true;
            pthread_cond_wait(&r->published, &r->mu);
        }
        r->analysis_waits = false;
        if (r->count == 0) {
            enum capture_status st = r->status;
            memcpy(err, r->err, CAPTURE_ERRLEN);
            pthread_mutex_unlock(&r->mu);
            r->ended = true;
            return st;
        }
        pthread_mutex_unlock(&r->mu);
        r->holding = true;
        r->pos = 0;
    }
}

uint64_t reader_bytes_read(const struct reader *r)
{
    if (!r->threaded)
        return capture_bytes_read(r->cap);
    return r->bytes;
}

uint64_t reader_frames_read(const struct reader *r)
{
    return !r->threaded || r->ended ? capture_frames_read(r->cap) : r->last_number;
}

void reader_stop(struct reader *r)
{
    if (!r)
        return;
    if (r->threaded) {
        pthread_mutex_lock(&r->mu);
        r->stop = true;
        pthread_cond_signal(&r->freed);
        pthread_mutex_unlock(&r->mu);
        pthread_join(r->thread, NULL);
    }
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->freed);
    pthread_cond_destroy(&r->published);
    free_batches(r);
    free(r);
}
