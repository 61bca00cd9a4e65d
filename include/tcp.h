/*
 * tcp.h - per-direction TCP analysis: sequence tracking, Wireshark-style
 * segment classification, RTO backoff, RTT samples, delivery by size, stalls.
 *
 * The classification follows the rules of Wireshark's tcp.analysis (packet-
 * tcp.c, tcp_analyze_sequence_number), in its order, so that our counts can
 * be compared with `tcp.analysis.retransmission` (which matches plain, fast
 * and spurious retransmissions alike):
 *
 *   window probe   1 byte at the next expected sequence while the peer's
 *                  window is 0 (nothing else is checked for it);
 *   zero window    window 0 on a segment without SYN, FIN, RST;
 *   lost segment   seq beyond the next expected one ("previous segment not
 *                  captured"), RST excluded;
 *   keep-alive     0 or 1 byte at next expected - 1, no SYN/FIN/RST;
 *   dup ACK        no data, same window, seq and ACK as this direction's
 *                  previous segment, no SYN/FIN/RST;
 *   ACKed unseen   ACK beyond the highest contiguous byte seen from the peer;
 *   for a segment with data, SYN or FIN whose seq is below the next expected
 *   (a segment of more than 1 byte starting at next - 1 counts as new):
 *     spurious     all its bytes were ACKed by the peer already;
 *     fast retx    the peer sent >= 2 dup ACKs for exactly this seq, the last
 *                  one less than 20 ms before (TCP_FASTRT_NS);
 *     out-of-order sent less than the handshake RTT (3 ms when the handshake
 *                  was not seen: TCP_OOO_DEFAULT_NS) after the segment that
 *                  advanced the sequence most, and it does not end exactly
 *                  where that one did;
 *     retransmission otherwise.
 *
 * Out-of-order at sub-millisecond RTTs: the threshold is the handshake RTT,
 * so on a LAN or a lab namespace (iRTT of 50 us) a segment that fills a gap
 * 100 us after the highest one is a retransmission, not out-of-order.  That
 * is Wireshark's rule and we keep it to agree with tshark; tcptrace has no
 * time rule (any segment carrying bytes it has seen is "rexmt"), which is
 * the one documented source of disagreement between the two tools.
 *
 * Sequence numbers are compared modulo 2^32 (RFC 9293 3.4): a connection
 * whose ISN is near 2^32 wraps without noticing.
 */
#ifndef MTUSCOPE_TCP_H
#define MTUSCOPE_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "delivery.h"
#include "packet.h"

#define TCP_OOO_DEFAULT_NS 3000000LL  /* Wireshark's out-of-order threshold without iRTT */
#define TCP_FASTRT_NS 20000000LL      /* fast retransmission within 20 ms of the dup ACK */
#define TCP_STALL_MIN_NS 1000000000LL /* RFC 6298 2.4: the minimum RTO, 1 s */
#define TCP_BACKOFF_MAX 8             /* intervals kept for one retransmitted sequence */

/* Analysis flags of one segment (tcp.analysis.*). */
#define TA_NEW_DATA 0x0001      /* data (or SYN/FIN) beyond anything sent before */
#define TA_RETRANS 0x0002       /* tcp.analysis.retransmission (plain) */
#define TA_FAST_RETRANS 0x0004  /* tcp.analysis.fast_retransmission */
#define TA_SPURIOUS 0x0008      /* tcp.analysis.spurious_retransmission */
#define TA_OUT_OF_ORDER 0x0010  /* tcp.analysis.out_of_order */
#define TA_KEEP_ALIVE 0x0020    /* tcp.analysis.keep_alive */
#define TA_WINDOW_PROBE 0x0040  /* tcp.analysis.zero_window_probe */
#define TA_DUP_ACK 0x0080       /* tcp.analysis.duplicate_ack */
#define TA_ZERO_WINDOW 0x0100   /* tcp.analysis.zero_window */
#define TA_LOST_SEGMENT 0x0200  /* tcp.analysis.lost_segment: previous segment not captured */
#define TA_ACKED_UNSEEN 0x0400  /* tcp.analysis.ack_lost_segment: ACKed unseen segment */
#define TA_WINDOW_UPDATE 0x0800 /* tcp.analysis.window_update */
#define TA_KEEP_ALIVE_ACK 0x1000
#define TA_PROBE_ACK 0x2000
#define TA_ANY_RETRANS (TA_RETRANS | TA_FAST_RETRANS | TA_SPURIOUS)

/* tcp_half.seen (HS_: "half seen") */
#define HS_ISN 0x0001     /* isn known (a SYN was seen) */
#define HS_NEXTSEQ 0x0002 /* nextseq valid */
#define HS_LASTACK 0x0004 /* lastack valid (a segment was seen) */
#define HS_ACKED 0x0008   /* highest_ack valid (an ACK was sent) */
#define HS_DATA 0x0010    /* data_end valid */
#define HS_SYN 0x0020
#define HS_FIN 0x0040
#define HS_RST 0x0080
#define HS_MSS 0x0100
#define HS_WSCALE 0x0200
#define HS_SACKPERM 0x0400
#define HS_TS 0x0800
#define HS_RTT_PENDING 0x1000 /* a segment is being timed */
#define HS_WAIT_RETX 0x4000   /* a retransmission happened during the current wait */
#define HS_UNSEEN 0x2000      /* an ACKed-unseen was noted for the current ACK value */

struct tcp_counts {
    uint32_t segments, data_segments;
    uint32_t retrans, fast_retrans, spurious, out_of_order; /* retrans: all three kinds */
    uint32_t keep_alive, window_probe, dup_ack, zero_window, lost_segment, acked_unseen;
};

struct tcp_rtt {
    uint32_t samples;
    int64_t min_ns, max_ns, sum_ns, last_ns;
};

/* The retransmissions of one sequence number: RTO backoff doubles the
 * interval each time (RFC 6298 5.5). */
struct tcp_backoff {
    uint32_t seq;
    uint16_t count;     /* retransmissions of it */
    uint8_t nintervals; /* between successive transmissions, the original first */
    uint32_t interval_us[TCP_BACKOFF_MAX];
};

/* A direction's RTO backoff records.  Most directions never retransmit, so
 * tcp.c allocates them at the first retransmission (a SYN flood's flows
 * stay 200 bytes smaller) and tcp_release() frees them. */
struct tcp_retx {
    struct tcp_backoff cur, worst; /* sequence retransmitted now / most often */
    int64_t cur_last_ns;           /* latest transmission of cur.seq */
};

/* One direction: what its sender sent, and the ACKs it sent for the peer. */
struct tcp_half {
    union {
        struct delivery *dl;         /* this direction's data, resolved by the peer's ACKs; NULL
                                      * until its first data segment (from tcp_conn.pool) */
        struct dl_parked *dl_parked; /* instead, while tcp_conn.parked: its compact copy */
    };
    struct tcp_counts n;
    struct tcp_rtt rtt;    /* this direction's data to the peer's ACK of it */
    struct tcp_retx *retx; /* NULL until its first retransmission */
    uint32_t isn;
    uint32_t nextseq;         /* highest seq + len (+1 for SYN/FIN) sent */
    uint32_t maxseqtobeacked; /* highest contiguous sequence sent */
    uint32_t lastack;         /* ACK field of this direction's last segment */
    uint32_t highest_ack;     /* highest ACK this direction sent */
    uint32_t data_end;        /* highest seq + payload sent (SYN/FIN not counted) */
    uint32_t window;          /* raw window of the last segment */
    uint32_t dupacks;
    uint32_t rtt_end; /* the timed segment's end */
    uint32_t ctl_seq; /* last SYN/FIN sent, for its backoff */
    int64_t nextseq_ns, lastack_ns, rtt_ns, ctl_ns;
    int64_t wait_ns; /* since when outstanding data waits for progress */
    uint64_t wait_frame;
    int64_t last_data_ns, data_gap_ns; /* the latest data segment; the longest pause between
                                        * two while the peer sent no data */
    uint64_t data_gap_frame;           /* the data segment that ended that pause */
    uint32_t first_retrans_frame;      /* evidence: its first retransmission, 0 none */
    uint32_t first_hole_frame;         /* ... its first "previous segment not captured" */
    uint32_t max_hole;                 /* the largest such gap, in bytes */
    uint16_t mss;
    uint16_t seen;   /* HS_* */
    uint16_t lastta; /* TA_* of this direction's last segment */
    uint8_t wscale;
    uint8_t ttl; /* TTL / hop limit of its first segment with a non-zero one (flow.c sets it) */
};

struct tcp_conn {
    struct tcp_half h[2]; /* by sender: 0 client->server, 1 server->client */
    int64_t syn_ns;       /* most recent SYN, for the handshake RTT (as Wireshark) */
    int64_t irtt_ns;      /* SYN to the ACK of the SYN-ACK (Wireshark's iRTT); 0 unknown */
    struct dl_pool *pool; /* where h[].dl come from; NULL: malloc */
    uint8_t syn_dir;
    bool syn_seen, synack_seen;
    bool parked; /* tcp_park(): h[].dl_parked, not h[].dl */
};

/* Set c->pool after it, if there is one. */
void tcp_init(struct tcp_conn *c);
/* Gives the delivery tables back to the pool and frees the backoff records:
 * after the flow's last use. */
void tcp_release(struct tcp_conn *c);

/* A connection set aside by the live-flow cap (flow.h) gives its delivery
 * tables back to the pool for compact copies of them (delivery.h), and
 * takes them back, the same, when it resumes: nothing else of it changes.
 * tcp_park() is false when out of memory (c untouched); tcp_unpark() is
 * false when a table could not be restored whole (delivery_unpark).  While
 * parked, only tcp_unpark(), tcp_release(), tcp_closed(),
 * tcp_may_retransmit() and tcp_parked_bytes() may be called. */
bool tcp_park(struct tcp_conn *c);
bool tcp_unpark(struct tcp_conn *c);
size_t tcp_parked_bytes(const struct tcp_conn *c); /* the compact copies */

/* Analyses one segment sent by direction `dir`; `size` is its IP packet size.
 * Returns the TA_* flags Wireshark would give it. */
unsigned tcp_segment(struct tcp_conn *c, int dir, const struct tcp_info *t, uint16_t size,
                     int64_t ts_ns, uint64_t frame);

/* The flow ended: resolves delivery, closes the backoff records. */
void tcp_finish(struct tcp_conn *c);

/* Direction dir had data outstanding and made no progress until the flow's
 * end (end_ns, its last packet); *ns and *frame say since when.  Data still
 * in flight when the capture stops is not a stall: the wait must have seen a
 * retransmission, or lasted TCP_STALL_MIN_NS.  Call after tcp_finish(). */
bool tcp_stalled(const struct tcp_conn *c, int dir, int64_t end_ns, int64_t *ns, uint64_t *frame);

/* Both sides sent FIN, or one sent RST: the connection is over. */
bool tcp_closed(const struct tcp_conn *c);

/* Whether retransmissions may still come: either direction sent SYN, data
 * or FIN that the peer never acknowledged (as far as the capture shows), or
 * its last segment was a retransmission (an RTO backoff under way).  A
 * closed connection that may still retransmit is kept longer (flow.h). */
bool tcp_may_retransmit(const struct tcp_conn *c);

#endif
