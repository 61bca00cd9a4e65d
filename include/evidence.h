/*
 * evidence.h - what a collector found, as data.
 *
 * A collector of the inference (infer.h) that sees something a person must
 * be told fills one record: its kind, its flow and input, the numbers a
 * sentence needs, and the frames that show it.  wording.c turns the record
 * into a finding (severity, kind name, message, Wireshark filter); no
 * collector writes a sentence about it.  This is anomaly.h's X-macro idea,
 * and Wireshark's expert-info table, applied to findings.
 *
 * The pointers refer to the earlier stages' results (results.h, stats.h,
 * pmtud.h, correlate.h), which outlive the inference.
 */
#ifndef MTUSCOPE_EVIDENCE_H
#define MTUSCOPE_EVIDENCE_H

#include <stdbool.h>
#include <stdint.h>

#include "correlate.h"
#include "pmtud.h"
#include "results.h"
#include "stats.h"

#define EV_MAX_FRAMES 8

/* X(kind, severity, name): the name is the JSON report's findings[].kind. */
#define EV_KINDS(X)                                                                                \
    X(EV_CAPTURE_COPIES, INF_WARNING, "capture-copies")     /* packets recorded twice */           \
    X(EV_FORWARDED_COPIES, INF_INFO, "forwarded-copies")    /* in and out of the capturing host */ \
    X(EV_CAPTURE_DROPS, INF_WARNING, "capture-drops")       /* pcapng: the capture dropped */      \
    X(EV_CAPTURE_END, INF_INFO, "capture-end")              /* pcapng: ran on after its last */    \
    X(EV_ICMP_IMPLAUSIBLE, INF_WARNING, "icmp-implausible") /* an MTU that cannot be true */       \
    X(EV_ICMP_IGNORED, INF_ERROR, "icmp-ignored")   /* larger packets after a reported MTU */      \
    X(EV_PMTUD_WORKED, INF_INFO, "pmtud-working")   /* ICMP drew smaller re-sends */               \
    X(EV_SENDER_STALLED, INF_ERROR, "blackhole")    /* re-sent, never delivered, flow stalled */   \
    X(EV_SENDER_HEALED, INF_WARNING, "blackhole")   /* ... then smaller packets got through */     \
    X(EV_RECEIVER_HEALED, INF_WARNING, "blackhole") /* a pause, then data capped below the MSS */  \
    X(EV_RECEIVER_HOLE, INF_ERROR, "blackhole")     /* a hole; nothing near the MSS arrived */     \
    X(EV_SILENT_SENDER, INF_WARNING, "blackhole")   /* small data, then silence, peer waiting */   \
    X(EV_MSS_CLAMPED, INF_INFO, "mss-clamped")      /* a SYN's MSS rewritten between two points */ \
    X(EV_MSS_DIFFERS, INF_INFO, "mss-differs")      /* hosts announce different MSS values */      \
    X(EV_WG_COUNTER_GAP, INF_WARNING, "wireguard-loss") /* WireGuard counters skipped */           \
    X(EV_TUNNEL_RESEND, INF_ERROR, "blackhole") /* largest datagram re-sent with backoff */        \
    X(EV_MEASURED_LOSS, INF_ERROR, "blackhole") /* lost between two captures, from a size */       \
    X(EV_BOX_LOSS, INF_ERROR, "blackhole")      /* -i any: into the capturing host, never out */   \
    X(EV_OUTAGE, INF_WARNING, "outage") /* RTO backoff, then the same size delivered again */      \
    X(EV_FRAG_LOST, INF_WARNING, "fragment-loss") /* a datagram's fragments never all came */      \
    X(EV_UDP_RESENT, INF_WARNING, "udp-resent-after-fragments") /* requests again after them */    \
    X(EV_LINK_MRU, INF_INFO, "link-mtu") /* an LCP MRU requested and acknowledged */               \
    X(EV_OSPF_MTU_MISMATCH, INF_ERROR, "ospf-mtu-mismatch") /* neighbours state unequal MTUs */    \
    X(EV_STORM, INF_WARNING, "retransmission-storm") /* retransmissions crowding a window */       \
    X(EV_SYN_FLOOD, INF_WARNING, "syn-flood")        /* SYNs to one listener never answered */

enum ev_kind {
#define EV_ENUM(k, sev, name) k,
    EV_KINDS(EV_ENUM)
#undef EV_ENUM
        EV__COUNT
};

struct ev_record {
    enum ev_kind kind;
    int input;                       /* the input whose frames are listed */
    uint64_t flow_id;                /* report-wide flow id, 0 = none */
    const struct flow_summary *flow; /* its summary, NULL when not at hand */
    int dir;                         /* the flow's direction: 0 client->server */
    /* IP sizes in bytes; 0 where the kind has none */
    uint32_t lost;      /* smallest lost, the re-sent size, or what the MSS allows */
    uint32_t delivered; /* largest delivered */
    uint32_t mss, mtu;
    uint32_t count;  /* retransmissions, messages lost, segments sent */
    int64_t cost_ns; /* time lost to timeouts, or the silence */
    uint8_t healer;  /* healed: enum inf_healer */
    uint64_t other;  /* the flow that went on meanwhile (silent sender) */
    /* the kind's own source records */
    const struct icmp_mtu_msg *icmp;
    const struct pmtud_watch *watch;
    const struct results_resend *resend;
    const struct corr_dir *cd;
    /* lost datagrams between one pair of hosts, whose fragments are all in
     * frames[] (frags[0] also when its fragments do not fit) */
    const struct defrag_lost *frags[EV_MAX_FRAMES];
    int nfrags;
    const struct flow_storm *storm;
    const struct udpx_conv *udpx;            /* udp-resent-after-fragments */
    const struct results_listener *listener; /* syn-flood */
    struct corr_verdict cv;
    const char *up_path, *down_path;             /* measured: the two captures */
    const struct lcp_mru_msg *lcp_req, *lcp_ack; /* link MRU: the Request and its Ack */
    const struct ospf_dbd_msg *dbd[2];           /* OSPF: each router's first DBD */
    uint32_t count2;                             /* OSPF: the second router's DBDs */
    uint64_t bound_frame;       /* the filter stops at this frame (0: it needs no bound) */
    const struct capscan *scan; /* the input's pcapng statistics (capture drops) */
    const struct box_dir *box;  /* box loss: the flow direction through the capturing host */
    uint64_t frames[EV_MAX_FRAMES];
    int nframes;
};

/* Appends a frame if there is room and it is known (not 0). */
static inline void ev_frame(struct ev_record *r, uint64_t frame)
{
    if (frame && r->nframes < EV_MAX_FRAMES)
        r->frames[r->nframes++] = frame;
}

#endif
