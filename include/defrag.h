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
 * datagram goes.
 *
 * A datagram that never completes is one of three things, and only one of
 * them is the network's doing:
 *   - unreassemblable: a fragment was cut by the snap length (the capture's).
 *     When all its fragments passed (IP offsets and lengths, RFC 791) and
 *     the first one's captured bytes hold a TCP header, defrag_packet()
 *     still returns DEFRAG_COMPLETE with its TCP layer (reasm_len, seq,
 *     payload length from the IP lengths; uncaptured payload bytes read as
 *     zeroes, which nothing after TCP reads): the segment was delivered;
 *   - open at the end: the capture stopped less than DEFRAG_LOST_NS after
 *     its latest fragment (the rest may have been on the wire);
 *   - lost: the capture went on for DEFRAG_LOST_NS or more after its latest
 *     fragment (given up at the timeout or at the end).  A sender emits a
 *     datagram's fragments back to back and paths reorder by milliseconds,
 *     so a fragment a second late is not coming.
 * A datagram with overlapping fragments, or with a fragment other than the
 * last below 569 (IPv4) or 1273 bytes (IPv6) (a 576 or 1280-byte link, the
 * smallest in use, less the 8-byte rounding), which no link needs, was made
 * by a tool, not an IP stack: it is counted crafted, never lost.
 * The first DEFRAG_MAX_LOST lost ones are kept as examples (addresses,
 * protocol, ports when the first fragment came, frames) for a finding.  Costs: O(1) hash lookup per
 * fragment plus a copy of its bytes; one allocation per datagram (its buffer grows by doubling).
 */
#ifndef MTUSCOPE_DEFRAG_H
#define MTUSCOPE_DEFRAG_H

#include <stdint.h>

#include "packet.h"

#define DEFRAG_DEFAULT_MAX_DATAGRAMS 1024
#define DEFRAG_DEFAULT_MAX_BYTES (8u << 20)
#define DEFRAG_DEFAULT_TIMEOUT_MS 30000 /* Linux's net.ipv4.ipfrag_time */
#define DEFRAG_LOST_NS 1000000000ll     /* 1 s of capture after the latest fragment */
#define DEFRAG_MAX_LOST 8
#define DEFRAG_MAX_CUTS 16

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

/* A datagram whose fragments never all came. */
struct defrag_lost {
    uint8_t version, proto;
    uint8_t src[16], dst[16];
    uint16_t sport, dport; /* TCP/UDP, when the first fragment came; else 0 */
    bool first_seen;
    uint32_t id;
    uint32_t bytes_seen;  /* payload bytes that came */
    uint32_t max_end;     /* highest payload offset + length that came */
    uint64_t first_frame; /* its first fragment in the capture */
    uint64_t frames[4];   /* the fragments that came, the first 4 */
    uint16_t nfrags;      /* fragments that came */
    int64_t last_ns;      /* its latest fragment */
};

/* How a pair of hosts' datagrams were cut: the largest fragment other than
 * a last one.  Fragments are cut to the MTU of the link ahead with their
 * payload a multiple of 8 bytes (RFC 791, RFC 8200 4.5), so that link (the
 * sender's own, or a router's next hop) carries nonlast..nonlast+7 bytes.
 *
 * That says the path carries no more than nonlast + 7; it says the path
 * carries nonlast only of a fragment that was seen after crossing the
 * path, not as its sender put it on the wire.  Every router decrements the
 * TTL / hop limit (RFC 791, RFC 8200 3), and senders start it at 64, 128
 * or 255 (ttl_routers_crossed()), so a fragment captured with less crossed a
 * router at least: `crossed` is the largest non-last fragment seen so (0:
 * none), captured past ttl_routers_crossed() routers. */
struct defrag_cut {
    uint8_t version;
    uint8_t src[16], dst[16];
    uint32_t nonlast;   /* IP size of the largest non-last fragment */
    uint32_t datagrams; /* datagrams of the pair cut so */
    uint64_t frame;     /* such a fragment */
    uint8_t ttl;        /* its TTL / hop limit as captured */
    uint32_t crossed;   /* IP size of the largest non-last fragment that crossed a router */
    uint64_t crossed_frame;
    uint8_t crossed_ttl;
};

/* Fragmented datagrams that completed here (reassembled, or every fragment
 * captured though the snap length cut their bytes: completeness is in the
 * IP headers alone, RFC 791) after crossing a router, by host pair and
 * tunnel depth.  Every router lowers the TTL / hop limit (RFC 791, RFC 8200
 * 3) and senders start it at 64, 128 or 255, so a datagram whose every
 * fragment came in an outermost header below those crossed a router at
 * least, and arrived at this vantage point whole: its largest non-last
 * fragment, cut to the MTU of a link on the way (RFC 791, RFC 8200 4.5),
 * is a full-size packet that crossed.  Inside a tunnel the outermost header
 * is the tunnel's, whose routers are the path.  A datagram with a fragment
 * at its sender's initial value may not have crossed anything yet (seen at
 * its sender, or on a tunnel interface where no router touches the TTL):
 * counted in complete_fresh only. */
struct defrag_arrived {
    uint8_t version, depth, proto;
    uint8_t ttl; /* the lowest outermost TTL / hop limit its fragments came with */
    uint8_t src[16], dst[16];
    uint32_t nonlast;   /* IP size of the largest non-last fragment */
    uint32_t datagrams; /* datagrams of the pair that arrived so */
    uint64_t frame;     /* such a fragment */
};

struct defrag_stats {
    uint64_t fragments;       /* fragment packets seen */
    uint64_t reassembled;     /* datagrams completed */
    uint64_t incomplete;      /* datagrams given up: timed out, flushed, or unreassemblable */
    uint64_t timeouts;        /* ... of which by timeout */
    uint64_t unreassemblable; /* ... of which a fragment was cut by the snap length */
    uint64_t lost;            /* ... of which lost (see above) */
    uint64_t open_at_end;     /* ... of which still arriving when the capture ended */
    uint64_t crafted;         /* ... of which overlapping or needlessly small fragments */
    uint64_t lost_by_size;    /* lost ones whose last fragment came and no other (see below) */
    uint64_t overlaps;        /* fragments overlapping held data with different bytes */
    uint64_t duplicates;      /* fragments whose bytes were all held already, identical */
    uint64_t bad;             /* fragments with an impossible offset or length */
    uint64_t dropped_limit;   /* datagrams evicted by max_datagrams or max_bytes */
    uint64_t held_bytes;      /* reassembly buffer bytes held now */
    uint64_t held_bytes_peak;
    uint32_t held_datagrams; /* open datagrams now */
    uint32_t held_datagrams_peak;
    int nlost;
    struct defrag_lost lost_ex[DEFRAG_MAX_LOST];
    int ncuts; /* outermost fragments of IP stacks (not crafted), by host pair */
    struct defrag_cut cuts[DEFRAG_MAX_CUTS];
    int narrived; /* complete datagrams seen past a router (struct defrag_arrived) */
    struct defrag_arrived arrived[DEFRAG_MAX_CUTS];
    uint64_t complete_fresh; /* complete datagrams with a fragment at its sender's TTL */
    uint32_t fresh_nonlast;  /* ... the largest non-last fragment among them */
    uint64_t fresh_frame;    /* ... that fragment */
};

/* lost_by_size: a datagram's fragments but the last are cut to the MTU of
 * the link ahead, the largest packets of the datagram; the last holds the
 * remainder, smaller.  A datagram whose last fragment arrived and not one
 * of the others lost exactly its largest packets: what a link or tunnel
 * that drops packets above a size does (the small remainder fits).  A
 * fragment filter does the opposite: it drops the fragments without ports
 * (all but the first) and keeps the first, the largest. */

struct defrag;

/* NULL lim: all defaults.  Returns NULL when out of memory. */
struct defrag *defrag_new(const struct defrag_limits *lim);
void defrag_free(struct defrag *df);

/* Looks at the innermost IP layer of pkt with IPF_FRAGMENT that is not inside
 * an ICMP quote.  On DEFRAG_COMPLETE, pkt->data points into a buffer of df
 * that stays valid until the next call on df.  Anomalies it records on pkt:
 * AN_BAD_FRAGMENT, AN_FRAG_OVERLAP, AN_FRAG_LIMIT. */
enum defrag_result defrag_packet(struct defrag *df, struct packet *pkt);

/* End of input at capture time end_ns (the last frame's): every datagram
 * still held is counted incomplete (lost or open at the end) and freed. */
void defrag_flush(struct defrag *df, int64_t end_ns);

const struct defrag_stats *defrag_get_stats(const struct defrag *df);

#endif
