/*
 * reader.c - the file read in a second thread (capture_next_batch()),
 * frames handed over in batches through a bounded ring (see reader.h).
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

#include "decode.h"
#include "reader.h"

#define FRAMES_PER_BATCH 1024 /* 64 KiB of 64-byte frames */
/* reader_start_decoding(): this thread decodes a batch before publishing
 * it only when the analysis holds this many batches (the one in hand and
 * three waiting).  Then the analysis is the slower thread, and it has three
 * batches of work while this one decodes one, which takes less than
 * analysing one (decoding is a part of the analysis).  With fewer, this
 * thread is the slower one (bulk TCP: the kernel's copy of 1.5 GB is the
 * floor itself), and a batch is published at once.  Interleaved, 5 rounds:
 * decoding every batch made bulk TCP 0.35 -> 0.50 s; with 2 batches
 * b-short 0.59 -> 0.51 s and bulk unchanged; 4 the same within noise, the
 * tunnel capture 0.15 against 0.16 s.  Re-checked with 3, 6 and 8 (7
 * rounds on the four bench captures): within noise.  Decoding a share of
 * each batch that follows the queue instead of all or nothing made the
 * tunnel capture slower (153 -> 196 ms). */
#define READER_DECODE_AHEAD 4

struct batch {
    uint8_t *data; /* the frames' bytes: filled by capture_next_batch() */
    size_t cap;
    uint32_t nframes;
    struct capture_frame fr[FRAMES_PER_BATCH]; /* data pointing into data */
    uint64_t bytes_read[FRAMES_PER_BATCH];     /* capture_bytes_read() after each */
    /* reader_start_decoding(): the first npk frames decoded by the reader
     * thread (READER_DECODED room, allocated when first decoded into) */
    struct packet *pk;
    uint32_t npk;
};

struct reader {
    struct capture *cap;
    bool threaded;
    bool decode; /* reader_start_decoding() */
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
        struct batch *nb = calloc(1, sizeof *nb);
        if (!nb || !(nb->data = malloc(READER_BATCH_BYTES))) {
            free(nb);
            *oom = true;
            return NULL;
        }
        nb->cap = READER_BATCH_BYTES;
        r->b[i] = nb; /* published to the analysis under mu, by publish() */
    }
    struct batch *b = r->b[i];
    b->nframes = 0;
    b->npk = 0;
    return b;
}

/* The batch's first frames decoded, as the analysis thread would decode
 * them (decode_frame() reads nothing but the frame).  Out of memory for the
 * packets: none, the analysis decodes them. */
static void decode_batch(struct batch *b)
{
    if (!b->pk && !(b->pk = malloc(READER_DECODED * sizeof *b->pk)))
        return;
    uint32_t n = b->nframes < READER_DECODED ? b->nframes : READER_DECODED;
    for (uint32_t k = 0; k < n; k++) {
        const struct capture_frame *f = &b->fr[k];
        struct packet *p = &b->pk[k];
        p->frame = f->number;
        p->ts_sec = f->ts_sec;
        p->ts_nsec = f->ts_nsec;
        decode_frame(p, f->linktype, f->data, f->caplen, f->wirelen);
    }
    b->npk = n;
}

/* Whether the analysis has READER_DECODE_AHEAD batches or more to take:
 * it is the slower of the two threads, and this one has time to decode. */
static bool ahead(struct reader *r)
{
    pthread_mutex_lock(&r->mu);
    bool a = r->count >= READER_DECODE_AHEAD;
    pthread_mutex_unlock(&r->mu);
    return a;
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
    while (b) {
        int n;
        size_t need;
        st = capture_next_batch(r->cap, b->data, b->cap, b->fr, b->bytes_read, FRAMES_PER_BATCH, &n,
                                &need, err);
        if (st != CAPTURE_OK)
            break;
        if (n == 0) { /* one frame larger than a batch: grow this one */
            uint8_t *d = realloc(b->data, need);
            if (!d) {
                st = CAPTURE_ERROR;
                snprintf(err, sizeof err, "%s: frame %llu: out of memory", capture_path(r->cap),
                         (unsigned long long)capture_frames_read(r->cap) + 1);
                break;
            }
            b->data = d;
            b->cap = need;
            continue;
        }
        b->nframes = (uint32_t)n;
        if (r->decode && ahead(r))
            decode_batch(b);
        publish(r);
        tail = (tail + 1) % READER_BATCHES;
        b = acquire(r, tail, &oom);
    }
    if (oom) {
        st = CAPTURE_ERROR;
        snprintf(err, sizeof err, "%s: out of memory", capture_path(r->cap));
    }
    pthread_mutex_lock(&r->mu);
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
        if (r->b[i]) {
            free(r->b[i]->data);
            free(r->b[i]->pk);
        }
        free(r->b[i]);
    }
}

static struct reader *start(struct capture *cap, bool thread, bool decode)
{
    struct reader *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->cap = cap;
    r->decode = decode;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->freed, NULL);
    pthread_cond_init(&r->published, NULL);
    /* no thread (a resource limit): read in this one, as without a reader */
    r->threaded = thread && pthread_create(&r->thread, NULL, run, r) == 0;
    return r;
}

struct reader *reader_start(struct capture *cap, bool thread)
{
    return start(cap, thread, false);
}

struct reader *reader_start_decoding(struct capture *cap, bool thread)
{
    return start(cap, thread, true);
}

const struct packet *reader_peek_packet(const struct reader *r, uint32_t k)
{
    if (!r->threaded || !r->holding)
        return NULL;
    const struct batch *b = r->b[r->head];
    return r->pos + k < b->npk ? &b->pk[r->pos + k] : NULL;
}

struct packet *reader_packet(const struct reader *r)
{
    if (!r->threaded || !r->holding || r->pos == 0)
        return NULL;
    const struct batch *b = r->b[r->head];
    return r->pos - 1 < b->npk ? &b->pk[r->pos - 1] : NULL;
}

enum capture_status reader_next(struct reader *r, struct capture_frame *f, char err[CAPTURE_ERRLEN])
{
    if (!r->threaded) /* bytes read asked of the capture when wanted: progress only */
        return capture_next(r->cap, f, err);
    for (;;) {
        if (r->holding) {
            const struct batch *b = r->b[r->head];
            if (r->pos < b->nframes) {
                *f = b->fr[r->pos];
                r->bytes = b->bytes_read[r->pos++];
                r->last_number = f->number;
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

const struct capture_frame *reader_peek(const struct reader *r, uint32_t k)
{
    if (!r->threaded || !r->holding)
        return NULL;
    const struct batch *b = r->b[r->head];
    return r->pos + k < b->nframes ? &b->fr[r->pos + k] : NULL;
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
