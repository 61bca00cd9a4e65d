/*
 * ladder.h - the ladder (sequence) diagram of one TCP connection, the
 * textbook picture of path-MTU discovery and of a black hole: the two hosts
 * (and the path between them) as vertical lines, packets as arrows going
 * down in time, labelled with their IP sizes; a lost packet ends mid-way, at
 * the bottleneck, and the ICMP message about it comes back from there.
 *
 * This part is pure: it works on a list of packet events (what the second
 * read of the inputs saw of the chosen connection, plots_ladder.c) so that
 * it can be tested without a capture or gnuplot:
 *   - ladder_vantage(): which host a single capture was taken at;
 *   - ladder_judge(): what became of each packet, from that one capture;
 *   - ladder_match(): the same, measured, from captures at both ends;
 *   - ladder_select(): the few dozen arrows worth drawing;
 *   - ladder_rows(): where each goes on the time axis.
 */
#ifndef MTUSCOPE_LADDER_H
#define MTUSCOPE_LADDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LADDER_MAX_ARROWS 32           /* readable on a projected slide */
#define LADDER_MAX_EVENTS 20000        /* per capture: the interesting part comes early */
#define LADDER_ACK_WAIT_NS 500000000ll /* RFC 1122 4.2.3.2: an ACK is delayed 0.5 s at most */
#define LADDER_STRETCH_NS                                                                          \
    200000000ll /* Linux's minimum RTO: a gap this long is a timeout                               \
                   or a pause, drawn stretched */

enum ladder_kind {
    LADDER_TCP,   /* a TCP segment of the connection */
    LADDER_ICMP,  /* frag-needed / packet-too-big quoting one of its segments */
    LADDER_HOLE,  /* bytes the receiver never got, seen as a jump in the sequence */
    LADDER_ECHO,  /* an ICMP echo request (flags 1) or reply (flags 0): a ping sweep;
                     seq: the echo sequence number, ack: the echo id */
    LADDER_DGRAM, /* a datagram of an encrypted tunnel, judged only across two
                     captures: WireGuard (flags: message type; seq, ack: the
                     counter's halves; ip_id: the receiver index) or ESP (seq:
                     its sequence number; ip_id: the SPI) */
};

enum ladder_fate {
    LADDER_ARRIVED,    /* captured at the receiving end: it crossed */
    LADDER_DELIVERED,  /* captured leaving; the peer acknowledged it before it was re-sent
                          (or, two captures: seen at the other end too) */
    LADDER_LOST,       /* captured leaving; re-sent before any ACK covered it, or the peer
                          answered later without acknowledging it (or, two captures:
                          never seen at the other end while it captured) */
    LADDER_UNANSWERED, /* captured leaving, never acknowledged, nothing heard after it */
    LADDER_SENT,       /* captured leaving, no sequence space (a pure ACK): not judged */
};

struct ladder_event {
    int64_t t_ns;         /* when its capture saw it (the sending end's, when matched) */
    int64_t t2_ns;        /* two captures: when the receiving end's saw it; 0: not seen */
    uint64_t frame;       /* in its capture */
    uint64_t frame2;      /* in the receiving end's capture; 0: none */
    uint32_t seq, ack;    /* raw; ICMP: the quoted segment's; HOLE: the first missing byte */
    uint32_t ip_len;      /* IP packet size; ICMP: the ICMP packet's */
    uint32_t payload_len; /* TCP payload; HOLE: the bytes missing */
    uint32_t ip_id;       /* IPv4 ID + 1 (0: IPv6), for matching across captures */
    uint32_t mtu;         /* ICMP: the MTU reported (0: none given) */
    uint16_t mss;         /* SYN: the MSS option (0: none) */
    uint16_t mss2;        /* matched SYN: its MSS where it arrived (a clamp rewrites it) */
    uint8_t side;         /* the capture it came from: 0 or 1 */
    uint8_t dir;          /* 0: client -> server; ICMP: the quoted segment's direction */
    uint8_t kind;         /* enum ladder_kind */
    uint8_t fate;         /* enum ladder_fate, set by ladder_judge() / ladder_match() */
    uint8_t flags;        /* TCP flags as on the wire */
    uint32_t repeat;      /* ladder_collapse(): packets this arrow stands for (0 or 1: one) */
    uint32_t seq_end;     /* with repeat > 1: the end of the sequence space they cover */
    uint16_t frag_max;    /* DGRAM: crossed in fragments, the largest on the wire (0: whole) */
    bool df_clear;        /* DGRAM: IPv4 with DF clear (a router fragments it, never refuses) */
    bool retrans;         /* these bytes were sent before (tcp.c's analysis) */
    bool v6;              /* ICMP: packet-too-big rather than frag-needed */
};

/* Sequence space a segment occupies: its payload, plus one for SYN and FIN. */
uint32_t ladder_seq_len(const struct ladder_event *e);

/* Which host a single capture of the connection was taken at, from its
 * handshake: at the client the SYN waits a round trip for the SYN-ACK and
 * the ACK follows at once; at the server it is the other way round.  0
 * client, 1 server; fallback when the handshake is not in the capture. */
int ladder_vantage(const struct ladder_event *ev, size_t n, int fallback);

/* The fates of one capture's events (in time order) taken at host vantage
 * (0 client, 1 server), and the holes in what reached it: a segment that
 * arrives beyond the next byte expected means the bytes before it were lost
 * on the way (a HOLE event is inserted before it).  n events in ev, room for
 * cap; returns the new count. */
size_t ladder_judge(struct ladder_event *ev, size_t n, size_t cap, int vantage);

/* One capture of an encrypted tunnel's sending end: what became of a
 * datagram is not in it, except where the analysis found a size re-sent at
 * doubling intervals (resend.h): the same size again after 0.2, 0.4, 0.8 s...
 * is the inner TCP's retransmission timeout backing off, each copy sent
 * because nothing acknowledged the one before, so from the run's first copy
 * (first_ns) to its last (last_ns) no datagram that large crossed.  Marks
 * the DGRAM events leaving the vantage point in that time, of that size or
 * larger, LOST, and those of the burst the first copy ended (sent back to
 * back before it, each less than LADDER_STRETCH_NS after the one before:
 * one window of the inner TCP, through the same link a fraction of a
 * millisecond earlier); the rest stay SENT (not judged). */
void ladder_mark_resent(struct ladder_event *ev, size_t n, int vantage, uint32_t size,
                        int64_t first_ns, int64_t last_ns);

/* One capture of a tunnel: a router that reports an MTU with ICMP
 * (frag-needed, packet-too-big) drops every packet larger than that it
 * cannot fragment: IPv6, or IPv4 with DF set (RFC 1191, RFC 8201), whether
 * or not it sends a message for each (ICMP is rate-limited, RFC 4443
 * 2.4(f)).  Marks LOST the whole DGRAM events leaving in the direction a
 * message quotes that are larger than the MTU it reports and not IPv4 with
 * DF clear; the others stay as they were. */
void ladder_mark_refused(struct ladder_event *ev, size_t n);

/* Two captures of the connection at its two ends: a's events (side 0) and
 * b's (side 1, its clock offset_ns ahead of a's), each in time order, merged
 * into out (room for cap, returned count) with one event per packet: seen at
 * both ends (DELIVERED, both times), only at the sending end (LOST when the
 * other capture was running a second later, else UNANSWERED), only at the
 * receiving end (ARRIVED).  Which end sends each direction is where its
 * matched packets appear first; *client_side gets the side at the client
 * (-1: unknown). */
size_t ladder_match(const struct ladder_event *a, size_t na, const struct ladder_event *b,
                    size_t nb, int64_t offset_ns, struct ladder_event *out, size_t cap,
                    int *client_side);

/* Merges each burst of alike packets into one arrow (repeat: how many):
 * data segments of one size, direction and fate sent back to back (one
 * window's worth, which a slide shows as one arrow "x 9"), ICMP messages of
 * one MTU.  Back to back: less than LADDER_STRETCH_NS apart, since a gap
 * that long is a timeout and a new act of the story.  Returns the new
 * count. */
size_t ladder_collapse(struct ladder_event *ev, size_t n);

/* The arrows worth drawing, at most max (in time order): from the handshake
 * (when it is near) or a few packets before the first trouble (a loss, an
 * ICMP message, a hole) to a few after the heal (the lost bytes finally
 * crossing) or after the last trouble, within 4 * max packets; pure ACKs
 * and uneventful data (not next to a loss, a re-send or an MSS rewritten
 * on the way) are dropped first when that is too many, then the middle.
 * With no trouble, the first max packets.  keep[i]:
 * the index of the i-th arrow; skipped[i]: events of the window not drawn
 * just before it.  Returns the count. */
size_t ladder_select(const struct ladder_event *ev, size_t n, size_t max, size_t *keep,
                     uint32_t *skipped);

/* The first trouble (a loss, an ICMP message, a hole) in ev, or n when
 * none: then the connection's first packets are drawn. */
size_t ladder_first_trouble(const struct ladder_event *ev, size_t n);

/* The rows of the time axis: one row per event, a gap of a timeout or more
 * stretched with its logarithm (the doubling RTO shows as steps growing
 * evenly), two more rows where events were skipped.  t: the events' times
 * in order. */
void ladder_rows(const int64_t *t, const uint32_t *skipped, size_t n, double *y);

#endif
