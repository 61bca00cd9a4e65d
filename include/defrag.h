/*
 * defrag.h - IPv4 and IPv6 fragment reassembly, the stage after decoding.
 *
 * The decoder stops at a fragment (IPF_FRAGMENT).  defrag_packet() holds a
 * copy of each fragment's data, keyed by (input, tunnel depth, IP version,
 * src, dst, id, and the protocol for IPv4: RFC 791's key), and when the last
 * missing byte arrives it builds the datagram and re-decodes its upper layers
 * into the completing fragment's packet record (decode_reassembled()).  The
 * record then reads as if the datagram had arrived whole, its reassembled
 * layers flagged LF_REASSEMBLED, and the fragment's IP layer says in
 * reasm_len how big the datagram was: the number that matters for MTU.
 *
 * Memory and time are bounded: at most max_datagrams open datagrams and
 * max_bytes of reassembly buffers; a datagram not completed within
 * timeout_ms of capture time is given up.  When a limit is hit the oldest
 * datagram goes.  Costs: O(1) hash lookup per fragment plus a copy of its
 * bytes; one allocation per datagram (its buffer grows by doubling).
 */
#ifndef MTUSCOPE_DEFRAG_H
#define MTUSCOPE_DEFRAG_H

#include <stdint.h>

#include "packet.h"

#define DEFRAG_DEFAULT_MAX_DATAGRAMS 1024
#define DEFRAG_DEFAULT_MAX_BYTES (8u << 20)
#define DEFRAG_DEFAULT_TIMEOUT_MS 30000 /* Linux's net.ipv4.ipfrag_time */

/* A zero field means "the default". */
struct defrag_limits {
    uint32_t max_datagrams; /* open datagrams held at once */
    uint64_t max_bytes;     /* reassembly buffer bytes held at once */
    uint32_t timeout_ms;    /* capture time from a datagram's first fragment to giving up */
};

enum defrag_result {
    DEFRAG_NOT_FRAGMENT, /* nothing to do: no fragment outside an ICMP quote */
    DEFRAG_HELD,         /* fragment kept; the datagram is not complete yet */
    DEFRAG_COMPLETE,     /* the datagram completed: pkt now holds its upper layers */
    DEFRAG_DROPPED,      /* fragment not kept: invalid, cut by the snap length, or over a limit */
};

struct defrag_stats {
    uint64_t fragments;       /* fragment packets seen */
    uint64_t reassembled;     /* datagrams completed */
    uint64_t incomplete;      /* datagrams given up: timed out, flushed, or unreassemblable */
    uint64_t timeouts;        /* ... of which by timeout */
    uint64_t unreassemblable; /* ... of which a fragment was cut by the snap length */
    uint64_t overlaps;        /* fragments overlapping held data with different bytes */
    uint64_t duplicates;      /* fragments whose bytes were all held already, identical */
    uint64_t bad;             /* fragments with an impossible offset or length */
    uint64_t dropped_limit;   /* datagrams evicted by max_datagrams or max_bytes */
    uint64_t held_bytes;      /* reassembly buffer bytes held now */
    uint64_t held_bytes_peak;
    uint32_t held_datagrams; /* open datagrams now */
    uint32_t held_datagrams_peak;
};

struct defrag;

/* NULL lim: all defaults.  Returns NULL when out of memory. */
struct defrag *defrag_new(const struct defrag_limits *lim);
void defrag_free(struct defrag *df);

/* Looks at the innermost IP layer of pkt with IPF_FRAGMENT that is not inside
 * an ICMP quote.  On DEFRAG_COMPLETE, pkt->data points into a buffer of df
 * that stays valid until the next call on df.  Anomalies it records on pkt:
 * AN_BAD_FRAGMENT, AN_FRAG_OVERLAP, AN_FRAG_LIMIT. */
enum defrag_result defrag_packet(struct defrag *df, struct packet *pkt);

/* End of input: every datagram still held is counted incomplete and freed. */
void defrag_flush(struct defrag *df);

const struct defrag_stats *defrag_get_stats(const struct defrag *df);

#endif
