/*
 * corr_feed.c - the correlation's frames from the first pass's records, or
 * from a second read (corr_feed.h).
 *
 * A record, one per packet: the time and the frame number as the change
 * from the record before (zigzag varints: a packet's time is mostly a few
 * microseconds after the last one's), the number of keys (a byte), then
 * each key: a uint16 naming its slot, with bit 15 set when the key's first
 * TUPLE_LEN bytes (kind, depth, version, protocol, addresses, ports) follow
 * and replace the slot's, then its size (varint), a and b (uint32) and c
 * (varint).  Native byte order: the file never leaves this run.  About 21
 * bytes a TCP packet.
 */
#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corr_feed.h"
#include "cursor.h"
#include "hashtab.h"
#include "progress.h"
#include "tmpspill.h"

/* the part of a key written once per slot: everything before `size` */
#define TUPLE_LEN offsetof(struct corr_key, size)
static_assert(TUPLE_LEN == 40, "struct corr_key's tuple is kind..dport, unpadded");
#define SLOT_DEF 0x8000u
#define VARINT_MAX 10                 /* bytes of a 64-bit varint */
#define HEAD_MAX (2 * VARINT_MAX + 1) /* time, frame, keys */
#define KEY_MAX (2 * VARINT_MAX + 8)  /* size, a, b, c */
#define REC_MAX (HEAD_MAX + CORR_MAX_KEYS * (2 + TUPLE_LEN + KEY_MAX))

static_assert(CORR_FEED_SLOTS <= SLOT_DEF, "a slot number fits below the definition bit");

/* The slots' hash seed is a constant, not drawn per run as hashtab.h's
 * are: which keys share a slot decides how many bytes the records take,
 * and so whether an input near CORR_FEED_MAX is matched from its records
 * or read again; the same capture must take the same way every time.  A
 * fixed seed is safe because keys that collide cost bytes only (a key is
 * written whole again, never lost): a capture crafted to collide can at
 * most fill the records, and is then read again. */
#define SLOT_SEED 0x636f72725f666565ull /* "corr_fee" */

typedef unsigned char tuple_t[TUPLE_LEN];

struct corr_feed {
    int n;
    uint64_t max, used;
    struct tmpspill **t; /* input i's records */
    bool *whole;
    int cur;        /* input being written, -1 none */
    int64_t last_t; /* its last record's time and frame */
    uint64_t last_frame;
    /* the writer's slots, for the input being written */
    bool valid[CORR_FEED_SLOTS];
    tuple_t slots[CORR_FEED_SLOTS];
};

struct corr_feed *corr_feed_new(int ninputs, uint64_t max_bytes)
{
    struct corr_feed *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->n = ninputs;
    f->max = max_bytes;
    f->cur = -1;
    f->t = calloc((size_t)ninputs, sizeof *f->t);
    f->whole = calloc((size_t)ninputs, sizeof *f->whole);
    if (!f->t || !f->whole) {
        corr_feed_free(f);
        return NULL;
    }
    return f;
}

void corr_feed_begin(struct corr_feed *f, int input)
{
    if (input < 0 || input >= f->n || f->t[input])
        return;
    f->cur = input;
    f->t[input] = tmpspill_new("match", f->max - f->used); /* NULL: read again */
    f->last_t = 0;
    f->last_frame = 0;
    memset(f->valid, 0, sizeof f->valid);
}

static unsigned char *put(unsigned char *p, const void *v, size_t n)
{
    memcpy(p, v, n);
    return p + n;
}

static unsigned char *put_varint(unsigned char *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (unsigned char)v;
    return p;
}

/* a signed change as an unsigned varint's value: small either way */
static uint64_t zigzag(uint64_t d)
{
    return d >> 63 ? ~(d << 1) : d << 1;
}

static uint64_t unzigzag(uint64_t v)
{
    return v & 1 ? ~(v >> 1) : v >> 1;
}

void corr_feed_packet(void *feed, const struct packet *pkt, const struct flow_pkt *fp)
{
    (void)fp;
    struct corr_feed *f = feed;
    if (pkt->input != f->cur || !f->t[f->cur])
        return;
    struct corr_key keys[CORR_MAX_KEYS];
    int n = corr_keys(pkt, keys);
    unsigned char rec[REC_MAX], *p = rec;
    int64_t t = pkt->ts_sec * 1000000000ll + pkt->ts_nsec;
    /* unsigned differences: they wrap, and unzigzag() wraps them back */
    p = put_varint(p, zigzag((uint64_t)t - (uint64_t)f->last_t));
    p = put_varint(p, zigzag(pkt->frame - f->last_frame));
    *p++ = (unsigned char)n;
    f->last_t = t;
    f->last_frame = pkt->frame;
    for (int i = 0; i < n; i++) {
        const struct corr_key *k = &keys[i];
        uint16_t slot = (uint16_t)(hash_bytes_inline(SLOT_SEED, k, TUPLE_LEN) % CORR_FEED_SLOTS);
        bool def = !f->valid[slot] || memcmp(f->slots[slot], k, TUPLE_LEN) != 0;
        uint16_t word = slot | (def ? SLOT_DEF : 0);
        p = put(p, &word, 2);
        if (def) {
            memcpy(f->slots[slot], k, TUPLE_LEN);
            f->valid[slot] = true;
            p = put(p, k, TUPLE_LEN);
        }
        p = put_varint(p, k->size);
        p = put(p, &k->a, 4);
        p = put(p, &k->b, 4);
        p = put_varint(p, k->c);
    }
    tmpspill_put(f->t[f->cur], rec, (size_t)(p - rec)); /* incomplete: read again */
}

void corr_feed_end(struct corr_feed *f, int input, bool opened)
{
    if (input < 0 || input >= f->n || !f->t[input])
        return;
    f->whole[input] = tmpspill_flush(f->t[input]) && opened;
    f->used += tmpspill_size(f->t[input]);
    f->cur = -1;
}

bool corr_feed_whole(const struct corr_feed *f, int input)
{
    return f && input >= 0 && input < f->n && f->whole[input];
}

uint64_t corr_feed_bytes(const struct corr_feed *f)
{
    return f ? f->used : 0;
}

void corr_feed_free(struct corr_feed *f)
{
    if (!f)
        return;
    for (int i = 0; f->t && i < f->n; i++)
        tmpspill_free(f->t[i]);
    free(f->t);
    free(f->whole);
    free(f);
}

/* ---- one side of a merged read: records, or a second read ---- */

struct side {
    struct tmpspill_cursor *cur; /* records, or */
    struct replay_stream *rs;    /* the input read again */
    uint64_t size;               /* bytes to read, for progress */
    bool valid[CORR_FEED_SLOTS];
    tuple_t slots[CORR_FEED_SLOTS];
    bool eof, failed;
    uint64_t packets; /* frames given, the held one included */
    int64_t t;
    uint64_t frame;
    int nkeys;
    struct corr_key keys[CORR_MAX_KEYS];
};

static void side_close(struct side *s)
{
    if (!s)
        return;
    replay_stream_close(s->rs);
    free(s->cur);
    free(s);
}

static struct side *side_open(const struct corr_feed_src *src, int input, bool ahead)
{
    struct side *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (corr_feed_whole(src->feed, input)) {
        const struct tmpspill *t = src->feed->t[input];
        if ((s->cur = malloc(sizeof *s->cur)))
            tmpspill_cursor_start(t, s->cur);
        s->size = tmpspill_size(t);
    } else if ((s->rs = replay_stream_open(src->rs, input, ahead))) {
        uint64_t done;
        replay_stream_progress(s->rs, &done, &s->size);
    }
    if (!s->cur && !s->rs) {
        side_close(s);
        return NULL;
    }
    return s;
}

static uint64_t side_done(const struct side *s)
{
    uint64_t done = 0, size;
    if (s->cur)
        done = s->cur->off;
    else
        replay_stream_progress(s->rs, &done, &size);
    return done;
}

/* A varint of the record being read (cursor.h: a read past its bytes, or
 * more than 64 bits, fails the cursor). */
static uint64_t cur_varint(struct cursor *c)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && !c->err; shift += 7) {
        uint8_t b = cur_u8(c);
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return c->err ? 0 : v;
    }
    cur_fail(c);
    return 0;
}

static bool get_record(struct side *s)
{
    struct tmpspill_cursor *tc = s->cur;
    const unsigned char *p;
    size_t have = tmpspill_peek(tc, REC_MAX, &p);
    if (!have)
        return false; /* the end, or tc->failed */
    struct cursor c = cur_make(p, have);
    s->t = (int64_t)((uint64_t)s->t + unzigzag(cur_varint(&c)));
    s->frame += unzigzag(cur_varint(&c));
    uint8_t nk = cur_u8(&c);
    if (nk > CORR_MAX_KEYS)
        cur_fail(&c);
    s->nkeys = c.err ? 0 : nk;
    for (int i = 0; i < s->nkeys && !c.err; i++) {
        struct corr_key *k = &s->keys[i];
        uint16_t word;
        cur_copy(&c, &word, 2);
        uint16_t slot = word & (uint16_t)~SLOT_DEF;
        if (c.err || slot >= CORR_FEED_SLOTS || (!(word & SLOT_DEF) && !s->valid[slot])) {
            cur_fail(&c); /* a slot out of range, or never defined */
            break;
        }
        if (word & SLOT_DEF) {
            cur_copy(&c, s->slots[slot], TUPLE_LEN);
            s->valid[slot] = true;
        }
        memset(k, 0, sizeof *k);
        memcpy(k, s->slots[slot], TUPLE_LEN);
        k->size = (uint32_t)cur_varint(&c);
        cur_copy(&c, &k->a, 4);
        cur_copy(&c, &k->b, 4);
        k->c = cur_varint(&c);
    }
    if (c.err) { /* the file is ours: a record it does not hold whole means it changed */
        tc->failed = true;
        return false;
    }
    tmpspill_skip(tc, (size_t)(c.p - p));
    return true;
}

/* The side's next frame into s; false at its end (s->failed: the records
 * could not be read). */
static bool side_next(struct side *s)
{
    if (s->eof)
        return false;
    bool ok;
    if (s->cur) {
        ok = get_record(s);
        s->failed = s->cur->failed;
    } else {
        const struct packet *p = replay_stream_next(s->rs, &s->t);
        ok = p != NULL;
        if (ok) {
            s->frame = p->frame;
            s->nkeys = corr_keys(p, s->keys);
        }
    }
    if (!ok)
        s->eof = true;
    else
        s->packets++;
    return ok;
}

bool corr_feed_pair(void *src, int a, int b, int64_t offset_ns, corr_frame_fn fn, void *ctx)
{
    const struct corr_feed_src *fs = src;
    const struct pipeline_opts *po = fs->rs->po;
    /* an input read again is read ahead by its own thread, so that the
     * reads overlap the matching */
    struct side *s[2] = {side_open(fs, a, true), NULL};
    if (!s[0] || !(s[1] = side_open(fs, b, true))) {
        side_close(s[0]);
        return false;
    }
    struct progress pg;
    progress_start(&pg, po->progress, s[0]->size && s[1]->size ? s[0]->size + s[1]->size : 0);
    char label[600];
    snprintf(label, sizeof label, "matching %s with %s", fs->rs->paths[a], fs->rs->paths[b]);
    side_next(s[0]);
    side_next(s[1]);
    while (!s[0]->eof || !s[1]->eof) {
        /* the earlier frame first; on a tie the side behind in frames */
        int64_t t1 = s[1]->t - offset_ns;
        int x = s[0]->eof       ? 1
                : s[1]->eof     ? 0
                : t1 != s[0]->t ? t1 < s[0]->t
                                : s[1]->packets < s[0]->packets;
        struct side *sx = s[x];
        if (!fn(ctx, x, x ? t1 : sx->t, sx->frame, sx->keys, sx->nkeys))
            break;
        side_next(sx);
        if (pg.on && ((s[0]->packets + s[1]->packets) & 0x3fff) == 0)
            progress_tick(&pg, label, s[0]->packets + s[1]->packets,
                          side_done(s[0]) + side_done(s[1]));
    }
    progress_done(&pg);
    bool ok = !s[0]->failed && !s[1]->failed;
    side_close(s[0]);
    side_close(s[1]);
    return ok;
}

bool corr_feed_first_time(void *src, int input, int64_t *t_ns)
{
    struct side *s = side_open(src, input, false);
    bool ok = s && side_next(s);
    if (ok)
        *t_ns = s->t;
    side_close(s);
    return ok;
}

bool corr_feed_rereadable(void *src, int input)
{
    const struct corr_feed_src *fs = src;
    return corr_feed_whole(fs->feed, input) || replay_rereadable(fs->rs, input);
}
