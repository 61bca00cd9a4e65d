/*
 * flow.h - the flow table: every packet after defragmentation is given to the
 * bidirectional flow it belongs to; finished flows are handed to the caller
 * as small summaries.
 *
 * A flow is keyed by (tunnel, IP version, protocol, the two endpoints
 * normalised): the innermost IP layer outside ICMP quotes and what follows it
 * (TCP, UDP, ICMP/ICMPv6 echo id, ESP SPI; any other protocol by number).  The
 * tunnel is the context enclosing that IP layer: the nearest tunnel layer
 * (GRE key, VXLAN/GENEVE VNI, GTP-U TEID, L2TP tunnel/session, Teredo) or an
 * IP layer directly inside another (IPIP, 6in4, 4in6, 6in6), with its outer
 * addresses and ports; a small registry numbers them 1..N, so the same inner
 * 5-tuple in two tunnels gives two flows.  Opaque tunnels (WireGuard, ESP,
 * OpenVPN) are flows themselves, and are also registered, so the report can
 * list every tunnel from one place.
 *
 * Client and server: the sender of a SYN without ACK; failing that, the
 * receiver of a SYN-ACK; failing that, the sender of the first packet.
 *
 * Idle timeouts, in capture time since the flow's last packet:
 *   TCP open 300 s; TCP closed (FIN both ways, or RST) 3 s, or 130 s while
 *   retransmissions may still come (tcp_may_retransmit: a SYN, data or FIN
 *   never acknowledged, or a retransmission as the last segment); UDP 60 s;
 *   ICMP 30 s; anything else (ESP, GRE without a decoded payload...) 60 s.
 * Why 130 s: a FIN or RST resent by RTO backoff after the close (common in
 * MTU black holes and on lossy links) comes up to TCP_RTO_MAX (Linux: 120 s)
 * after the previous copy; the closed flow must still be there to count it
 * as the retransmission it is, as Wireshark and tcptrace do, instead of
 * starting a new flow whose first segment looks like new data.  A cleanly
 * closed connection (everything acknowledged) expects nothing more and
 * keeps the short timeout, so closed flows stay few.
 * Why 3 s for it: the one thing still to come is the peer's FIN again, when
 * the last ACK was lost after the capture point; it comes one RTO after the
 * FIN, then two more (backoff), and RFC 6298's RTO is at least 1 s (Linux's
 * 200 ms plus the RTT is shorter): 3 s hold the first two.  10 s before
 * issue 18 kept 70,000 connections live at 7,000 new a second, more than
 * the live-flow cap, whose evictions changed the results.
 * Capture time is the highest timestamp seen so far: a packet older than
 * that (out-of-order timestamps, frequent with multi-queue NICs) neither
 * moves the clock back nor expires anything, so elapsed time is never
 * negative.  Each timeout class keeps its flows in a list ordered by last
 * activity, so expiry looks only at list heads: O(1) per packet plus O(1)
 * per expired flow, never a scan of the table.
 *
 * The live-flow cap trades memory, never answers.  When max_flows flows are
 * live, the least recently active one is parked (counted in
 * flow_stats.evicted): it stays in the index and in its timeout list, with
 * its id, counts, TCP sequence state (ISNs, next and highest acknowledged
 * sequence, FIN/RST, RTT, backoff records: everything tcp.h judges the next
 * segment by) and storm window, and gives back what it costs most, its
 * delivery tables (416 bytes, up to 2 KiB each), for compact copies of what
 * they use (delivery.h: 120 bytes, 48 per outstanding segment, 16 per
 * exact size).  A packet of a parked flow resumes it (flow_stats.resumed),
 * making room again: the same connection, the same id, judged by the same
 * state, so a retransmission after a resume is one and new data is new.
 * Why not finish it early, as before issue 18: its later packets started a
 * new flow with a new id and no sequence state, whose first segments
 * looked like new data (at a cap of 16 on the bench's 3,072 interleaved
 * connections: 61,432 flows, no retransmission, verdict inconclusive).  A
 * parked flow is finished as any other: at its idle timeout (parked flows
 * sit in their class's list ahead of the live ones, which were all active
 * after them, so expiry finishes every flow when and in the order it would
 * without the cap: the report is the same), at the end of the capture, or
 * on port reuse.  A parked TCP flow holds its 848-byte allocation (flow +
 * tcp_conn, asserted; 840 when the numbers below were measured, before
 * struct flow's fragment-ids pointer) and its compact delivery copies: the
 * bench's 3,072 short connections (bench-gen many 0.02) held 3.38 MB of
 * flow memory parked behind a cap of 16 (1.1 KB each), 5.14 MB all live
 * (1.7 KB each).  A parked flow of another protocol saves nothing but its
 * place under the cap.  Flows never parked cost what they did: struct flow
 * keeps its size (the form sits in padding), struct tcp_half holds its
 * table or its copy in one pointer.
 *
 * A connection that closes cleanly (both FINs acknowledged, or a RST, and
 * nothing left to re-send) gives its delivery tables back at once, as
 * those compact copies, parked or not: they cannot grow any more, only a
 * late packet (a FIN re-sent after a lost last ACK, a late copy) takes them
 * back before the summary, and they are in the cache at the close, where a
 * park later would touch them cold (the bench's 153,600 connections, 21,000
 * live at once: 1.46 -> 1.26 s, 40.6 -> 36.0 MB; the report the same).
 *
 * A parked TCP flow that only one direction spoke in, without data (the
 * SYN of a flood, or of an attempt nobody answered), has a compact form
 * (flow_int.h struct flow_compact, flow_compact.c): 144 bytes, its
 * allocation back to the free list, where the next new flow takes it.  It
 * is used only when it gives the flow back byte for byte (checked when it
 * is made), so a compact flow that resumes, expires or is forgotten is
 * expanded first and is the flow that was parked.  Each parked flow also
 * costs an all[] pointer and an index slot (8 bytes, the index at most half
 * full): about 170 bytes a compact flow, 880 a live SYN-only one.
 *
 * The default cap, 8,192 live flows: the cap now trades memory only, so its
 * number is a memory bound.  A live TCP flow may hold 5,408 bytes (848,
 * two delivery tables grown to 2 KiB, 288 of storm window, 2 x 88 of
 * backoff records): 8,192 of them hold at most 44 MB (42 MiB), the largest
 * power of two under issue 18's 64 MiB goal; 65,536 (the cap before) could
 * hold 354 MB.  What a smaller cap costs is time: a park copies a flow's
 * delivery tables out (delivery.h), its resume copies them back, and only
 * a flow quiet while 8,192 others were active pays it (the bench's 153,600
 * connections, 21,035 open at once: 145,408 parked, none resumed, the
 * report unchanged).
 *
 * Parked flows are bounded too: by max_parked in full form (default
 * max(max_flows, 65,536)) and by max_compact in compact form (default
 * 196,608, 3 x 65,536: 33 MB at 170 bytes, so that a SYN flood of any
 * length stays under the 64 MiB goal with its 8,192 live flows and the
 * rest of a run; bench-gen synflood, 200,200 SYNs, then needs 192,008 and
 * forgets none).  Past either, the least recently active parked flows, of
 * either form, are finished early until both hold (flow_stats.forgotten,
 * enum flow_end FLOW_END_EVICTED), and their later packets start new flows,
 * the pre-issue-18 behaviour, now only with more flows open at once than
 * the bounds hold.
 *
 * A TCP flow that is closed and sees a SYN with a new ISN starts a new flow
 * (port reuse); a SYN that repeats its sender's ISN (a connection refused by
 * RST and retried) is a retransmission in the same flow.
 *
 * Retransmission storms: within any 1 s window (ten 100 ms buckets,
 * sliding by 100 ms), >= 10 retransmissions that are also >= 20% of the
 * packets, per flow and across the capture.  A storm starts at the first
 * retransmission of the window that crossed the threshold and ends at the
 * last retransmission before the window falls below it.
 *
 * Memory: a live flow costs what it uses.  One allocation per flow: its own
 * 336 bytes and its struct tcp_conn for TCP, 336 + 384 otherwise (the size
 * histogram and the WireGuard counters instead; both sizes asserted in
 * flow.c); the flow_summary (at most 576 bytes) is built only when the flow
 * finishes.  Then, only when needed:
 * a 416-byte delivery table (delivery.h) for each TCP direction that sends
 * data, growing to 2 KiB only for a direction with many outstanding ranges
 * or sizes,
 * 288 bytes of storm window at the flow's first retransmission, 88 bytes of
 * backoff records (tcp.h) for each direction that retransmits, 144 bytes
 * (struct flow_frags) for a flow given a fragmented datagram.  All of it
 * goes back to free lists when the flow finishes and is reused (the backoff
 * records and the fragment ids to malloc).  A SYN flood peaks at 53 MiB RSS,
 * results included, whatever its length: 8,192 live flows and up to 196,608
 * compact parked ones (124 MB when every flow carried all of it, at 65,536
 * live flows; 63 MB with the lazy parts and those 65,536 live; 127 MB with
 * 65,536 more parked whole, before the compact form).  Besides: the
 * index (hashtab.h: 8-byte slots at most half full, doubled when needed) and
 * a pointer per flow allocation; the tunnel registry (up to
 * FLOW_MAX_TUNNELS); a re-send tracker for each opaque tunnel flow
 * (resend.h, 2 x 232 bytes).  Nothing grows with the length of the capture.
 */
#ifndef MTUSCOPE_FLOW_H
#define MTUSCOPE_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "delivery.h"
#include "packet.h"
#include "resend.h"
#include "tcp.h"

#define FLOW_DEFAULT_MAX_FLOWS 8192 /* see above: 8,192 live TCP flows at their largest, 44 MB */
#define FLOW_DEFAULT_MAX_PARKED 65536
#define FLOW_DEFAULT_MAX_COMPACT 196608 /* see above: 33 MB of compact parked flows */
#define FLOW_TIMEOUT_TCP_MS 300000
#define FLOW_TIMEOUT_TCP_CLOSED_MS 3000    /* see above: two RTO backoffs of a FIN */
#define FLOW_TIMEOUT_TCP_CLOSING_MS 130000 /* closed, retransmissions may come */
#define FLOW_TIMEOUT_UDP_MS 60000
#define FLOW_TIMEOUT_ICMP_MS 30000
#define FLOW_TIMEOUT_OTHER_MS 60000
#define FLOW_MAX_TUNNELS 65536
#define FLOW_STORM_WINDOW_MS 1000
#define FLOW_STORM_MIN_RETRANS 10
#define FLOW_STORM_MIN_PERCENT 20
#define FLOW_MAX_WG_RECEIVERS 8 /* WireGuard receiver indexes followed per flow */
#define FLOW_EVIDENCE_FRAMES 4
#define FLOW_BACKOFF_KEPT 6 /* RTO intervals kept in a summary */
#define FLOW_FRAG_IDS 8     /* fragmented datagrams named per flow (struct flow_frags) */

/* A zero field means "the default". */
struct flow_limits {
    uint32_t max_flows;
    uint32_t max_parked;  /* parked flows kept; default max(max_flows, FLOW_DEFAULT_MAX_PARKED) */
    uint32_t max_compact; /* parked flows kept in compact form; default FLOW_DEFAULT_MAX_COMPACT */
    uint32_t timeout_tcp_ms, timeout_tcp_closed_ms, timeout_tcp_closing_ms, timeout_udp_ms,
        timeout_icmp_ms, timeout_other_ms;
};

enum flow_end {
    FLOW_END_IDLE,    /* idle timeout */
    FLOW_END_EVICTED, /* parked, then forgotten to make room for other parked flows */
    FLOW_END_REUSED,  /* a SYN with a new ISN on a closed connection */
    FLOW_END_CAPTURE, /* the capture ended (flow_finish_all) */
};

/* One direction of a finished flow.  dir 0 is client->server.  Fields are
 * ordered by size so that the summary stays near 512 bytes. */
struct flow_dir_summary {
    uint64_t packets, bytes; /* bytes: IP packet sizes */
    int64_t stall_ns;        /* when stalled: since when data waited */
    struct tcp_counts tcp;
    uint32_t rtt_samples;
    uint32_t rtt_min_us, rtt_avg_us, rtt_max_us;
    uint32_t backoff_us[FLOW_BACKOFF_KEPT]; /* intervals between its transmissions */
    uint32_t stall_frame;
    uint32_t first_retrans_frame, first_hole_frame; /* tcp.h: evidence for findings */
    uint32_t data_gap_ms, data_gap_frame;           /* longest pause between data segments while the
                                                     * peer sent none (tcp.h), and its end */
    /* delivery by size (TCP data segments): transmissions, see delivery.h */
    uint32_t dl_sent, dl_delivered, dl_lost, dl_superseded, dl_unacked, dl_evicted;
    uint32_t lost_frames[FLOW_EVIDENCE_FRAMES]; /* retransmissions that were never delivered */
    uint16_t max_packet;                        /* largest IP packet sent */
    uint16_t mss;                               /* announced in its SYN; 0 = none */
    uint16_t largest_delivered, smallest_lost;  /* IP sizes; 0 = none */
    uint16_t backoff_count; /* retransmissions of the most retransmitted sequence */
    uint16_t max_hole; /* largest "previous segment not captured" gap, bytes (tcp.h), saturated */
    /* data bytes the peer acknowledged: its highest ACK minus the ISN (both
     * seen; 0 = unknown), modulo 4 GiB; the goodput of the comparison */
    uint32_t acked_bytes;
    uint8_t ttl; /* TTL / hop limit of its first packet as captured (IPv4 / IPv6) */
    uint8_t backoff_nintervals;
    uint8_t wscale; /* 0xff = none */
    uint8_t nlost_frames;
    bool sack_permitted, timestamps, stalled;
    bool closed; /* it sent a FIN or a RST */
    /* IPv4 TCP data sent without DF after data with DF: the sender gave up
     * path-MTU discovery for this connection (Windows' black hole
     * detection clears DF and cuts segments to 536 bytes, RFC 2923 2.1) */
    bool df_cleared;
    bool stall_by_end; /* stalled only by the capture's known end (flow_finish_all_at) */
};

/* The fragmented datagrams of a flow, for its Wireshark filter: a
 * datagram's fragments other than the reassembling one carry no transport
 * header (RFC 791, RFC 8200 4.5: only the first holds it, and Wireshark
 * shows even that one as "Fragmented IP protocol" once it reassembles), so
 * a filter by ports misses them; their IP identification (the reassembly
 * key with the addresses, and the protocol for IPv4) names them.  By
 * direction, the IP layer that was cut (the flow's own, or a tunnel's outer
 * one) as first seen, and the first FLOW_FRAG_IDS datagrams' ids; datagrams
 * counts them all, so a filter can say what it leaves out.  A datagram cut
 * at another layer than the first of its direction is counted, not named. */
struct flow_frags {
    uint32_t datagrams[2]; /* fragmented datagrams given to the flow, by direction */
    uint8_t n;             /* ids[] kept */
    struct flow_frag_layer {
        bool set;
        uint8_t version, proto; /* proto: IPv4's, part of its reassembly key */
        uint8_t src[16], dst[16];
    } layer[2]; /* by direction, 0 client->server */
    struct {
        uint32_t id;
        uint8_t dir;
    } ids[FLOW_FRAG_IDS];
};

struct flow_summary {
    uint64_t id;     /* 1.. in order of first packet */
    uint64_t stream; /* 0.. per protocol (tcp.stream / udp.stream in Wireshark) */
    uint64_t first_frame, last_frame;
    int64_t first_ns, last_ns;
    int64_t irtt_ns;
    uint64_t retransmissions;  /* both directions: tcp.analysis.retransmission */
    uint32_t wg_data, wg_lost; /* WireGuard data messages; counters skipped, never seen later */
    uint32_t wg_gap_frame;     /* the first message after a skipped counter; 0 = none */
    struct flow_dir_summary dir[2];
    struct addr client, server;
    uint32_t spi;            /* ESP */
    uint32_t tunnel;         /* tunnel it rides in, 0 = none */
    uint32_t carries_tunnel; /* the opaque tunnel it is, 0 = none */
    uint32_t storms;
    uint16_t wg_receivers;
    uint8_t df_clear_large; /* bit d: d sent IPv4 packets above 576 bytes with DF clear */
    uint8_t wg_lost_dir;    /* the direction whose counters skipped most, 0 client->server */
    uint8_t
        wg_followed; /* bit d: d's largest message had a later counter, none missing (wgcount.h) */
    uint16_t input;
    uint16_t client_port, server_port; /* ICMP echo: the id as both; ESP: 0 */
    uint8_t proto;                     /* IP protocol number */
    uint8_t ip_version;
    uint8_t end;           /* enum flow_end */
    uint8_t opaque;        /* LAYER_WIREGUARD / LAYER_ESP / LAYER_OPENVPN carried, else 0 */
    bool stalled;          /* either direction */
    uint8_t resend_copies; /* opaque tunnel: longest run of re-sent copies (resend.h), max 255 */
    /* its fragmented datagrams, NULL when none: the flow table's, valid
     * during the callback only; results.c keeps a copy of its own */
    const struct flow_frags *frags;
};
_Static_assert(sizeof(struct flow_summary) <= 576, "the caller keeps one per flow");

struct flow_storm {
    uint64_t flow;  /* 0: across the capture */
    uint16_t input; /* the input whose frames these are (set by results.c) */
    int64_t start_ns, end_ns;
    uint64_t start_frame, end_frame;
    uint32_t retransmissions, packets;
};

struct flow_tunnel {
    uint32_t id;
    uint8_t type;          /* enum layer_type of the tunnel layer; LAYER_IPV4/6 for IP-in-IP */
    uint8_t ip_version;    /* of the outer IP */
    uint8_t inner_version; /* IP-in-IP: of the inner IP (ipip, sit, ipip6, ip6ip6) */
    struct addr outer_src, outer_dst; /* as first seen */
    uint16_t sport, dport;            /* 0 when not over UDP */
    uint32_t key;                     /* GRE key, VNI, TEID, L2TP tunnel<<16|session, SPI */
    uint64_t packets;
    uint16_t inner_max; /* largest inner IP packet */
    uint16_t overhead;  /* outer IP size - inner IP size, as first seen */
};

struct flow_stats {
    uint64_t packets; /* packets given a flow */
    uint64_t no_flow; /* not IP, or an IP fragment awaiting reassembly */
    uint64_t flows, tcp_flows, udp_flows;
    uint64_t expired, reused;
    uint64_t evicted;   /* times the live-flow cap parked a flow */
    uint64_t resumed;   /* times a parked flow came back */
    uint64_t forgotten; /* parked flows finished early (FLOW_END_EVICTED) */
    uint64_t retransmissions;
    uint32_t live, live_peak;
    uint32_t parked, parked_peak;   /* in either form */
    uint32_t compact, compact_peak; /* parked in compact form (struct flow_compact) */
    uint32_t tunnels, tunnels_unregistered;
    uint64_t storms;
    uint64_t bytes_peak; /* flow memory held at the peak (allocated blocks) */
};

/* What flow_packet() did with a packet. */
struct flow_pkt {
    uint64_t flow; /* id; 0 = no flow */
    uint8_t dir;   /* 0 client->server */
    unsigned ta;   /* TCP: TA_* analysis flags */
};

/* What a finished flow offers beyond its summary, valid only during the
 * callback: the per-size delivery tables for charts (TCP: a direction that
 * sent no data has none, NULL; delivery_sizes() reads one out). */
struct flow_detail {
    const struct delivery *dl[2]; /* by direction, 0 client->server */
    const uint32_t *size_hist[2]; /* packets per size class (delivery_class_bounds) */
    const struct tcp_conn *tcp;
    const struct resend_run *resend[2]; /* opaque tunnels: re-sent large datagrams; else NULL */
    int64_t clock_ns; /* capture time when it finished: the latest timestamp seen so far */
};

typedef void (*flow_done_fn)(void *ctx, const struct flow_summary *s, const struct flow_detail *d);
typedef void (*flow_storm_fn)(void *ctx, const struct flow_storm *st);

struct flow_table;

/* NULL lim: defaults.  done and storm may be NULL.  NULL when out of memory. */
struct flow_table *flow_new(const struct flow_limits *lim, flow_done_fn done, flow_storm_fn storm,
                            void *ctx);
/* Frees everything; flows still live are dropped without a callback. */
void flow_free(struct flow_table *ft);

/* Gives one decoded, defragmented packet to its flow.  out may be NULL. */
void flow_packet(struct flow_table *ft, const struct packet *pkt, struct flow_pkt *out);

/* The flow of the packet quoted by the ICMP error at layer index icmp_layer
 * (without creating one); 0 when unknown.  A quoted tunnel packet names the
 * inner flow the tunnel carried (when the quote holds its headers and that
 * flow was seen; else the outer one). */
uint64_t flow_lookup_quoted(struct flow_table *ft, const struct packet *pkt, int icmp_layer);

/* For a quote that holds a tunnel packet's inner IP header: the inner
 * packet's source and the tunnel's overhead (the quoted outer IP length
 * less the inner one), so that the message's MTU can be read for the inner
 * path (MTU - overhead).  False when the quote holds no inner IP header. */
bool flow_quote_inner(const struct packet *pkt, int icmp_layer, struct addr *src,
                      uint32_t *overhead);

/* The tunnel (id of this flow table) the ICMP error at icmp_layer came
 * through: the error travels inside it, so it is about the inner path.  0
 * when it came outside any tunnel. */
uint32_t flow_icmp_tunnel(struct flow_table *ft, const struct packet *pkt, int icmp_layer);

/* The IP size of the captured original of the TCP segment quoted by the
 * ICMP error at icmp_layer: the quoted flow's outstanding data in the
 * quoted direction holds a segment starting at the quoted sequence number
 * (delivery.h).  0 when not found (not TCP, already acknowledged, not
 * captured); *frame gets its latest transmission. */
uint32_t flow_quoted_original(struct flow_table *ft, const struct packet *pkt, int icmp_layer,
                              uint64_t *frame);

/* End of capture: finishes every live flow and open storm. */
void flow_finish_all(struct flow_table *ft);
/* The same, when the capture is known to have run until end_ns (a pcapng
 * isb_endtime) while the flows were silent: data still outstanding that long
 * after a flow's last packet waited at least that long (tcp_stalled). */
void flow_finish_all_at(struct flow_table *ft, int64_t end_ns);

const struct flow_stats *flow_get_stats(const struct flow_table *ft);
/* Flow memory held now (allocated blocks: flows' extra parts, storm
 * windows, the delivery pool, its free tables included). */
uint64_t flow_bytes_held(const struct flow_table *ft);
uint32_t flow_tunnel_count(const struct flow_table *ft);
/* Tunnel by id 1..flow_tunnel_count(); NULL when out of range. */
const struct flow_tunnel *flow_tunnel_get(const struct flow_table *ft, uint32_t id);

#endif
