/*
 * box.h - the capturing host as two vantage points: what entered it and
 * what left it.
 *
 * `tcpdump -i any` on a router or a tunnel endpoint (Linux cooked capture,
 * v1 or v2) records each forwarded packet twice: once as it comes in
 * (packet type host, broadcast, multicast or other-host) and once as it goes
 * out (outgoing), its TTL one lower (dedup.h pairs them).  A packet that
 * came in and never went out within DEDUP_WINDOW_NS (longer than any queue
 * holds a packet) was dropped inside this host: loss measured at the box,
 * not inferred.  Only flow directions the host forwards count: a packet of
 * a direction none of whose packets ever left as they came was delivered to
 * the host itself, or left it changed (into a tunnel, encrypted; out of one,
 * decapsulated), never lost as far as this capture can tell.
 *
 * Memory: the packets waiting for their way out (at most BOX_MAX_PENDING,
 * one second's worth on a busy router) and one record per forwarded flow
 * direction (at most BOX_MAX_DIRS); past either, packets are not judged and
 * counted as such.
 */
#ifndef MTUSCOPE_BOX_H
#define MTUSCOPE_BOX_H

#include <stdbool.h>
#include <stdint.h>

#include "hashtab.h"
#include "packet.h"

#define BOX_MAX_PENDING 65536
#define BOX_MAX_DIRS 4096
#define BOX_FRAMES 4
/* how far back from the newest a forwarded copy looks for its way in: the
 * out copy follows its in copy by one queue, a few thousand packets at most */
#define BOX_LOOKBACK 8192

/* One flow direction through the box. */
struct box_dir {
    uint64_t flow;               /* report-wide flow id */
    uint8_t dir;                 /* the flow's direction, 0 client->server */
    uint32_t forwarded, fwd_max; /* packets that entered and left; the largest (IP bytes) */
    uint64_t fwd_frame;          /* ... its frame on the way in */
    uint32_t lost, lost_min;     /* entered and never left; the smallest */
    uint64_t frames[BOX_FRAMES]; /* the first lost ones, on the way in */
    int nframes;
};

struct box_pend {
    uint64_t frame;
    int64_t t_ns;
    uint32_t size; /* 0: left */
    uint32_t d;    /* index in dirs[] */
};

struct box {
    struct box_dir *dirs;
    uint32_t ndirs, capdirs;
    struct hashtab index; /* flow << 1 | dir -> dirs index + 1 */
    struct box_pend *q;   /* a ring, oldest first */
    uint32_t qhead, qlen, qcap;
    uint64_t unjudged; /* packets not judged: a table full, or still inside at the end */
    bool seen;         /* a cooked capture with both ways */
};

void box_init(struct box *b);
void box_free(struct box *b);
/* Whether a decoded packet came in (1), went out (0) of the capturing host,
 * or the capture does not say (-1: not Linux cooked). */
int box_way(const struct packet *p);
/* A packet that came in, of flow direction (flow, dir), IP size `size`. */
void box_in(struct box *b, uint64_t frame, int64_t now, uint64_t flow, uint8_t dir, uint32_t size);
/* The way out of the packet that came in as frame `in_frame`. */
void box_out(struct box *b, uint64_t in_frame);
/* Packets that came in more than DEDUP_WINDOW_NS before now and never left:
 * lost at the box. */
void box_expire(struct box *b, int64_t now);
/* The capture ended: what came in during its last DEDUP_WINDOW_NS is not
 * judged (its way out may come after the capture stopped). */
void box_end(struct box *b, int64_t now);

#endif
