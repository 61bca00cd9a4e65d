/*
 * stats.h - what the decoder saw, counted per input file.
 *
 * Counts per layer (outside tunnels, inside tunnels, inside ICMP quotes),
 * per anomaly, the most common layer stacks, and the ICMP messages that speak
 * of MTUs.  Memory is fixed: the stack histogram and the ICMP list are capped,
 * and what does not fit is counted, not stored.
 */
#ifndef MTUSCOPE_STATS_H
#define MTUSCOPE_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "anomaly.h"
#include "box.h"
#include "capscan.h"
#include "defrag.h"
#include "packet.h"
#include "udpx.h"

struct input_group; /* inputs.h */

#define STATS_MAX_LINKTYPES 8
#define STATS_MAX_STACKS 64  /* distinct layer stacks remembered per input */
#define STATS_MAX_ICMP 4096  /* MTU-related ICMP messages listed per input */
#define STATS_MAX_FACTS 1024 /* LCP MRU options and OSPF DBDs listed per input (each) */
#define STATS_MAX_PPPOE 64   /* PPPoE sessions counted per input */
#define STATS_ERRLEN 4608    /* CAPTURE_ERRLEN: the message names its file */

enum layer_place { PLACE_OUTER, PLACE_TUNNEL, PLACE_QUOTED, PLACE__COUNT };

struct stack_count {
    uint8_t n;
    uint8_t types[PKT_MAX_LAYERS];
    uint64_t packets;
};

/* An ICMP frag-needed or ICMPv6 packet-too-big message. */
struct icmp_mtu_msg {
    uint64_t frame;
    int64_t ts_sec;
    uint32_t ts_nsec;
    uint32_t mtu;           /* as reported; 0 = not given (pre-RFC 1191) */
    uint32_t quoted_len;    /* IP length of the quoted packet, 0 when not quoted */
    uint8_t v6;             /* packet-too-big */
    struct addr from;       /* the router that sent it */
    struct addr qsrc, qdst; /* the quoted packet's addresses (type 0 when absent) */
    uint8_t qproto;
    uint16_t qsport, qdport;
    uint8_t layer; /* index of the ICMP layer in its packet */
    uint64_t flow; /* the quoted packet's flow (report-wide id), 0 = unknown */
    /* The tunnel the message came through (report-wide id), 0 = none: a
     * router inside the tunnel sent it, about the inner path. */
    uint32_t tunnel;
    /* The quote's IP length equals the bytes quoted: a whole small packet,
     * or a quote cut and its length rewritten to what was kept (a router
     * quoting 576 bytes, an anonymiser). */
    bool quote_equal;
    /* ... and the message shows the cut: the ICMP packet is exactly at the
     * size its sender may not exceed (576 bytes, RFC 1812 4.3.2.3; 1280 for
     * ICMPv6, RFC 4443 2.4), or the quoted UDP length says more. */
    bool quote_cut;
    uint32_t original_len;   /* the captured original's IP size (flow.h), 0 = not found */
    uint64_t original_frame; /* ... its latest transmission */
    /* The quote holds a tunnel packet's inner IP header: flow is the inner
     * flow, and this the tunnel's overhead (outer less inner IP length);
     * 0 otherwise.  The message went to the tunnel endpoint, not to the
     * inner sender. */
    uint16_t quoted_overhead;
};

/* The quote understates its packet: cut, as the message itself shows or
 * as the captured original (larger than the quote) proves. */
static inline bool icmp_quote_cut(const struct icmp_mtu_msg *m)
{
    return m->quote_equal && (m->quote_cut || m->original_len > m->quoted_len);
}

/* The size of the packet the message says was too big.  A quote whose
 * length is more than the bytes quoted is what the router saw: it wins over
 * the original captured here (segmentation offload or another capture point
 * make them differ: a 1645-byte quote of a segment captured at 1500 in
 * suricata-verify's filestore-5408).  A cut quote's length says nothing: the
 * captured original's size, else 0, unknown.  A whole small packet quoted
 * (zeek's icmp6-toobig: 52 bytes, its UDP length agreeing) is its own
 * size. */
static inline uint32_t icmp_msg_size(const struct icmp_mtu_msg *m)
{
    if (!icmp_quote_cut(m))
        return m->quoted_len;
    return m->original_len > m->quoted_len ? m->original_len : 0;
}

/* A link stating its MTU: an LCP Configure-Request/Ack/Nak with the MRU
 * option (decode_ppp.c), or a PPPoE discovery packet with the
 * PPP-Max-Payload tag (RFC 4638). */
struct lcp_mru_msg {
    uint64_t frame;
    int64_t ts_sec;
    uint32_t ts_nsec;
    uint16_t mru;        /* the MRU, or the Max-Payload */
    uint8_t code, ident; /* LCP; for a discovery tag, the PPPoE code (PADI 0x09, ...) */
    bool tag;            /* a PPPoE discovery tag, not LCP */
    bool pppoe;          /* carried in PPPoE (session is then meaningful) */
    uint16_t session;
    bool has_mac; /* an Ethernet link: the two MAC addresses */
    uint8_t src[6], dst[6];
};

/* An OSPF Database Description: a router stating its interface MTU. */
struct ospf_dbd_msg {
    uint64_t frame;
    int64_t ts_sec;
    uint32_t ts_nsec;
    struct addr src, dst; /* the IP addresses */
    uint32_t router_id, area, dd_seq;
    uint16_t mtu;
    uint8_t version, flags;
};

/* A PPPoE session carrying traffic: 8 bytes of every packet's MTU (PPPoE 6,
 * PPP protocol 2). */
#define STATS_PPPOE_PATHS 8 /* IP address pairs remembered per PPPoE session */

struct pppoe_session {
    uint16_t session;
    uint8_t mac[2][6]; /* the first frame's source and destination */
    uint64_t packets, ip_packets;
    uint32_t largest_ip; /* IP packet size (ip_len) */
    uint64_t first_frame, largest_frame;
    /* the IP paths it carries and the MAC each was sent to: an MRU that end
     * stated bounds them (inf_link.c) */
    struct {
        struct addr src, dst;
        uint8_t to_mac[6];
    } paths[STATS_PPPOE_PATHS];
    int npaths;
};

struct input_stats {
    char *path; /* as given (heap): never cut, whatever its length */
    char format[8];
    int linktypes[STATS_MAX_LINKTYPES];
    int nlinktypes;
    uint64_t packets;   /* frames analysed (after the filter) */
    uint64_t frames;    /* records read, filtered or not */
    uint64_t bytes;     /* wire bytes of the analysed frames */
    uint64_t truncated; /* packets cut by the snap length */
    uint64_t malformed; /* packets with an anomaly other than truncation */
    uint64_t anomalies[AN__COUNT];
    uint64_t layers[PLACE__COUNT][LAYER__COUNT];
    uint64_t not_ip;       /* frames with no IP layer (ARP, LLDP, ...) */
    uint64_t ip_fragments; /* IP fragments outside ICMP quotes */
    uint64_t reassembled;  /* datagrams reassembled */
    uint64_t icmp_frag_needed, icmp6_packet_too_big;
    uint64_t max_tunnel_depth;
    struct stack_count stacks[STATS_MAX_STACKS];
    int nstacks;
    uint64_t stacks_other;     /* packets whose stack did not fit the table */
    struct icmp_mtu_msg *icmp; /* up to STATS_MAX_ICMP entries, allocated as they come */
    int nicmp, cap_icmp;
    uint64_t icmp_unlisted;
    struct lcp_mru_msg *lcp; /* up to STATS_MAX_FACTS, allocated as they come */
    int nlcp, cap_lcp;
    struct ospf_dbd_msg *dbd; /* up to STATS_MAX_FACTS */
    int ndbd, cap_dbd;
    uint64_t facts_unlisted; /* LCP and DBD packets that did not fit */
    struct pppoe_session pppoe[STATS_MAX_PPPOE];
    int npppoe;
    uint64_t pppoe_other; /* session packets of sessions that did not fit */
    int64_t first_sec, last_sec;
    uint32_t first_nsec, last_nsec;
    bool has_time;
    char error[STATS_ERRLEN]; /* the read error that ended this input, or "" */
    bool interrupted;         /* Ctrl-C stopped the reading: the counts are a prefix */
    /* the capture's own copies (dedup.h), not analysed: recorded twice, and
     * seen entering and leaving the capturing host; the first of each */
    uint64_t copies, forwarded;
    uint64_t copy_frame, copy_of, forwarded_frame, forwarded_of;
    /* the pass before the analysis (capscan.h): pcapng statistics, times */
    struct capscan scan;
    /* a rotated capture's files read as this one input (inputs.h); NULL:
     * one file.  why_alone: why this input is not part of the one before */
    const struct input_group *group;
    const char *why_alone;
    /* isb_endtime, when used as the end of the capture: read whole, no
     * filter, no -c (capture_end_used); else why not (capture_end_why) */
    bool capture_end_used;
    const char *capture_end_why;
    int64_t capture_end_ns; /* the end used */
    bool capture_end_us;    /* read in microseconds (capscan.h: dumpcap's) */
    /* datagrams whose fragments never all came while the capture went on
     * (defrag.h): the first ones, for the finding */
    int nfrag_lost;
    struct defrag_lost frag_lost[DEFRAG_MAX_LOST];
    int nfrag_cuts; /* how host pairs' datagrams were fragmented (defrag.h) */
    struct defrag_cut frag_cuts[DEFRAG_MAX_CUTS];
    /* -i any on a router: the flow directions the capturing host forwarded
     * (box.h), with what entered and never left (heap) */
    struct box_dir *box;
    uint32_t nbox;
    uint64_t box_unjudged;
    /* fragmented datagrams complete here after crossing a router, and those
     * that may not have crossed anything (defrag.h) */
    int nfrag_arrived;
    struct defrag_arrived frag_arrived[DEFRAG_MAX_CUTS];
    uint64_t frag_complete_fresh;
    uint64_t frag_lost_by_size; /* lost datagrams of which only the last fragment came */
    struct udpx udpx;           /* UDP requests re-sent after fragmented replies (udpx.h) */
    uint32_t frag_fresh_nonlast;
    uint64_t frag_fresh_frame;
};

/* Allocates and zeroes; NULL on out of memory. */
struct input_stats *stats_new(const char *path);
void stats_free(struct input_stats *s);
void stats_add_linktype(struct input_stats *s, int linktype);
/* A frame that is the capture's copy of frame `original` (dedup.h). */
void stats_add_copy(struct input_stats *s, bool forwarded, uint64_t frame, uint64_t original);
/* Counts one decoded (and, where it applies, reassembled) packet. */
void stats_add_packet(struct input_stats *s, const struct packet *p);
/* Only its count, bytes and the first and last times (a chart replay,
 * pipeline.h's flows_only, which needs no more). */
void stats_add_time(struct input_stats *s, const struct packet *p);
/* Adds anomalies that belong to no single packet (incomplete datagrams...). */
void stats_add_anomaly(struct input_stats *s, enum anomaly a, uint64_t n);
/* Keeps the reassembly stage's examples of lost datagrams and its cuts. */
void stats_frag_lost(struct input_stats *s, const struct defrag_stats *ds);

/* The layer types a stack entry holds, as "eth/ipv4/udp/wg". */
void stats_stack_name(const struct stack_count *sc, char *buf, size_t size);

#endif
