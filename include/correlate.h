/*
 * correlate.h - several vantage points: the same packets matched across two
 * captures, so that loss by size is measured instead of inferred.
 *
 * Each matchable packet gets a key computed from its decoded record, one per
 * IP layer outside ICMP quotes (so a VXLAN packet has an outer and an inner
 * key), and keys match at any tunnel depth: a packet inside a VXLAN, GRE or
 * IPIP tunnel in a capture of the outer interface is the same packet,
 * outermost, in a capture of the tunnel interface.  Such a cross-depth match
 * is counted (corr_dir.cross_depth) and proves no path crossing: the two
 * captures may be on the same tunnel endpoint, one before the encapsulation
 * and one after it, so the inference takes no bound from that direction.
 * The keys:
 *   - WireGuard data: outer addresses and ports, receiver index, counter;
 *   - ESP: addresses, SPI, sequence number;
 *   - TCP: addresses, ports, seq, ack, payload length, and the IPv4 ID;
 *   - any other IPv4 packet: addresses, protocol, ID, length;
 *   - an IPv4 or IPv6 fragment: addresses, protocol, fragment id, offset,
 *     length (a reassembled datagram is no packet size; its inner layers
 *     are keyed as above);
 *   - and a second key, CORR_DATAGRAM, of an IPv4 packet with DF clear or
 *     a fragment: addresses, protocol and ID alone.  A router cuts a
 *     DF-clear IPv4 packet into fragments that carry its ID, addresses and
 *     protocol (RFC 791), which stay unique while its fragments may be
 *     about (RFC 6864 4.1): a whole packet on one side whose datagram key
 *     meets a fragment's on the other crossed, as fragments.  It is not
 *     lost, and (cut on the way) its size proves nothing: it is counted in
 *     corr_dir.fragmented, neither matched nor lost, and so are the far
 *     side's fragments of it.  Datagram keys themselves belong to no
 *     direction's counts.  Whether every byte of it came, up to the last
 *     fragment (by the IP lengths, RFC 791), tells a packet that crossed
 *     from one whose other fragments were lost (fragmented_incomplete):
 *     neither is a size that failed.  (A fragment captured twice on the
 *     far side counts its bytes twice, so a datagram missing one fragment
 *     while another is doubled passes for complete: only the words differ.)
 * IPv6 packets other than TCP, WireGuard, ESP and fragments have no key.  A router that rewrites
 * addresses (NAT) or the IPv4 ID breaks the match: such packets look lost.  The outer capture and
 * the tunnel-interface capture of an encrypting tunnel (WireGuard, ESP) share no key at all.
 *
 * The matcher reads two streams merged by capture time (the second one's
 * clock shifted by the estimated offset) and holds the keys not matched yet
 * from the last CORR_WINDOW_NS, at most CORR_MAX_PENDING of them (a hit of
 * the cap is counted, and the oldest key is dropped unresolved): memory does
 * not grow with the captures.  A key that ages out unmatched was seen on one
 * side only: lost on the way when that side is upstream, missed by the
 * capture (or injected) when it is downstream.  It is counted as lost only
 * when the other capture was running: from its first packet to
 * CORR_EDGE_NS before its last (packets still in flight when it stopped).
 *
 * Clock offset: a first pass over the beginning of both files with a
 * generous window (CORR_CALIB_WINDOW_NS, at most CORR_CALIB_MATCHES matches)
 * gives per direction the median of (time in B - time in A); when the two
 * directions of a host pair are both seen, offset = the mean of the two
 * medians and one-way delay = half their difference (the delays are assumed
 * symmetric, as NTP does).  With one direction only the offset is unknown
 * and taken as 0.  When the first pass matches nothing and the captures
 * started more than half that window apart, it is run again with their
 * start times aligned (clocks set hours apart).  Upstream, for a direction, is the capture where
 * its matched packets appear first once the offset is removed.
 */
#ifndef MTUSCOPE_CORRELATE_H
#define MTUSCOPE_CORRELATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "packet.h"
#include "results.h"

#define CORR_WINDOW_NS 10000000000ll        /* 10 s: a key unmatched that long is lost */
#define CORR_CALIB_WINDOW_NS 120000000000ll /* 120 s while the clock offset is unknown */
#define CORR_CALIB_SPAN_NS 600000000000ll   /* calibration reads at most 10 min of capture */
#define CORR_CALIB_MATCHES 256
#define CORR_EDGE_NS 1000000000ll /* 1 s before the other capture's end: not counted */
#define CORR_MAX_PENDING 65536    /* unmatched keys held at once */
#define CORR_MAX_KEYS 8           /* keys per packet (two per IP layer outside quotes) */
#define CORR_MAX_DIRS 16          /* directions per pair of inputs */
#define CORR_MAX_SIZES 128        /* distinct IP sizes per direction */
#define CORR_MAX_DELAYS 255       /* matches kept per direction for the median delay */
#define CORR_EXAMPLES 4
#define CORR_MAX_PAIRS 32

enum corr_kind { CORR_WG = 1, CORR_ESP, CORR_TCP, CORR_IPV4, CORR_DATAGRAM };

/* Compared with memcmp: always built by corr_keys() from a zeroed struct. */
struct corr_key {
    uint8_t kind;  /* enum corr_kind */
    uint8_t depth; /* tunnel depth of the keyed IP layer: 0 outermost */
    uint8_t version;
    uint8_t proto;
    uint8_t src[16], dst[16];
    uint16_t sport, dport;
    uint32_t size; /* IP packet size */
    uint32_t a;    /* WG receiver, ESP SPI, TCP seq, IPv4 ID, fragment id */
    uint32_t b;    /* ESP seq, TCP ack, fragment offset */
    uint32_t pad;  /* explicit, so that memcmp never reads padding */
    uint64_t c;    /* WG counter; TCP: payload length | IPv4 ID + 1 << 16 (0: IPv6); MF */
};

/* The keys of a decoded packet, outermost first; returns how many (0..CORR_MAX_KEYS). */
int corr_keys(const struct packet *p, struct corr_key out[CORR_MAX_KEYS]);
const char *corr_kind_name(enum corr_kind k); /* "wireguard", "esp", "tcp", "ip" */

/* Packets of one IP size in one direction; only[s]: seen in input side s only
 * (and while the other capture ran), uncovered[s]: the same outside it;
 * frag_only[s]: of only[s], the IPv4 fragments, whose loss is no size that
 * failed (corr_dir_verdict()).  first_only_*: the first of only[s] that is
 * no IPv4 fragment. */
struct corr_size {
    uint32_t size;
    uint32_t matched;
    uint32_t only[2], uncovered[2], frag_only[2];
    uint64_t first_only_frame[2]; /* frame in side s of the first such packet; 0 = none */
    uint64_t first_only_val[2];   /* its WG counter, TCP raw seq, ESP seq or IPv4 ID */
    uint8_t first_only_kind[2];   /* enum corr_kind */
};

/* One direction (src -> dst at one tunnel depth) of a pair of inputs. */
struct corr_dir {
    uint8_t depth, version;
    uint8_t src[16], dst[16];
    uint8_t kinds;         /* 1 << enum corr_kind of the keys seen */
    uint16_t sport, dport; /* of the first WireGuard key (for the display filter) */
    uint32_t wg_receiver;  /* of the first WireGuard key */
    uint64_t matched;
    uint64_t cross_depth; /* matches inside a tunnel on one side, outside it on the other */
    /* packets of side s that crossed as fragments (CORR_DATAGRAM): a whole
     * packet cut on the way, or a fragment of one; largest_fragmented: the
     * largest such whole packet, and its frame on that side */
    uint64_t fragmented[2];
    uint32_t largest_fragmented;
    uint64_t largest_fragmented_frame;
    int8_t fragmented_side;         /* side of largest_fragmented */
    uint64_t fragmented_incomplete; /* ... whole packets whose fragments did not all come */
    uint64_t only[2], uncovered[2];
    uint64_t match_frame[2]; /* an example match: its frame in each side */
    uint32_t largest_matched;
    uint64_t largest_frame[2]; /* a match of the largest size: frames in each side */
    int8_t upstream;           /* side where matched packets appear first; -1 unknown */
    int64_t delay_median_ns;   /* median of (time in side 1 - time in side 0), offset removed */
    uint32_t ndelays;
    int64_t delays[CORR_MAX_DELAYS];
    /* sizes: ascending; when full, the smallest go into `small` */
    uint32_t nsizes;
    struct corr_size sizes[CORR_MAX_SIZES];
    struct corr_size small; /* .size: the largest size merged into it */
};

/* What a direction proves, from its upstream side: the largest size that
 * crossed, the smallest size that never did (0 when none) and how many of
 * it and above were lost. */
struct corr_verdict {
    uint32_t largest_delivered;
    uint32_t smallest_lost;
    uint64_t lost_at_smallest; /* lost copies of exactly that size */
    uint64_t lost_at_or_above; /* lost copies of that size or larger */
    bool all_lost_above;       /* every copy >= smallest_lost was lost */
    uint64_t lost_frame;       /* upstream frame of the first lost one of that size */
    uint64_t lost_val;         /* and its WG counter, TCP seq... */
    uint8_t lost_kind;
};
/* Fills v for direction d; false when its upstream side is unknown. */
bool corr_dir_verdict(const struct corr_dir *d, struct corr_verdict *v);

/* The direction's addresses as libdnet addresses. */
void corr_dir_addrs(const struct corr_dir *d, struct addr *src, struct addr *dst);
/* A Wireshark display filter showing, in the upstream capture, the packets
 * of the direction from the smallest size never delivered up (or the whole
 * direction when nothing was lost). */
void corr_dir_filter(const struct corr_dir *d, const struct corr_verdict *v, char *buf,
                     size_t size);

struct corr_matcher;

/* window_ns: how long a key waits for its match; max_pending: keys held. */
struct corr_matcher *corr_matcher_new(int64_t window_ns, uint32_t max_pending);
void corr_matcher_free(struct corr_matcher *m);
/* A frame of side 0 or 1 at time t_ns (side 1's already on side 0's clock),
 * with its keys (nkeys may be 0: the frame still extends the side's span).
 * Frames should come in time order across both sides. */
void corr_matcher_add(struct corr_matcher *m, int side, int64_t t_ns, uint64_t frame,
                      const struct corr_key *keys, int nkeys);
/* Both sides ended: every key still held is resolved, medians computed. */
void corr_matcher_finish(struct corr_matcher *m);
uint64_t corr_matcher_matches(const struct corr_matcher *m);
uint64_t corr_matcher_cap_hits(const struct corr_matcher *m);
uint64_t corr_matcher_dirs_unlisted(const struct corr_matcher *m);
int corr_matcher_ndirs(const struct corr_matcher *m);
const struct corr_dir *corr_matcher_dir(const struct corr_matcher *m, int i);

/* A correlated pair of inputs. */
struct corr_pair {
    int a, b;          /* input indices, a < b: side 0 and side 1 */
    bool shared_flows; /* results show a flow in both */
    bool offset_known; /* both directions of a host pair matched during calibration */
    int64_t offset_ns; /* clock of b - clock of a */
    uint64_t matched, cap_hits, dirs_unlisted;
    bool failed; /* a file could not be read again */
    char note[320];
    int ndirs;
    struct corr_dir *dirs;
};

struct correlation {
    int npairs;
    struct corr_pair *pairs;
    uint64_t pairs_unlisted;
    int ninputs;
    bool any_shared; /* some pair shares traffic */
};

/* A frame of a merged read: side 0 or 1 (the pair's first or second
 * input), its time in ns on side 0's clock, its frame number in its input
 * and its keys (corr_keys(); nkeys may be 0).  Returns false to stop the
 * read. */
typedef bool (*corr_frame_fn)(void *ctx, int side, int64_t t_ns, uint64_t frame,
                              const struct corr_key *keys, int nkeys);

/* Where the frames come from: main() passes corr_feed.h's functions (the
 * first pass's records, or a second read) and their struct corr_feed_src;
 * a test passes its own.  correlate.c opens no file. */
struct corr_source {
    /* inputs a and b merged by time, b's clock moved back by offset_ns; on
     * a tie the side behind in frames first.  False when an input cannot
     * be read again or memory ran out. */
    bool (*pair)(void *src, int a, int b, int64_t offset_ns, corr_frame_fn fn, void *ctx);
    bool (*first_time)(void *src, int input, int64_t *t_ns);
    bool (*rereadable)(void *src, int input); /* false: neither recorded nor a regular file */
    void *src;
};

/* Finds the pairs of inputs whose flows (res) overlap and matches their
 * packets, read again from src.  With no such pair, lists every pair with a
 * note.  false when out of memory. */
bool correlate_run(struct correlation *c, const struct corr_source *src, int ninputs,
                   const struct results *res);
void correlate_free(struct correlation *c);

#endif
