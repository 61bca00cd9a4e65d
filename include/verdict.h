/*
 * verdict.h - the verdict as a table: one row per rule, in precedence order,
 * and one table of verdict names and tones that every output uses.
 *
 * The inference's collectors count what the capture shows (struct
 * verdict_evidence); verdict_decide() returns the first row whose predicate
 * holds.  Precedence is the row order.  Where a row still excludes evidence
 * that a LATER row reads, the exclusion is part of the rule and its `why`
 * says the physical reason (a sender seen obeying ICMP explains a pause
 * better than loss, for instance); test_verdict.c checks each row alone and
 * each row against the next.
 *
 * Nothing here writes English for the user beyond the one-line `why` (for
 * --explain-style output and the tests); sentences are made from the rule
 * id and the evidence records by the inference's wording.
 */
#ifndef MTUSCOPE_VERDICT_H
#define MTUSCOPE_VERDICT_H

#include <stdbool.h>
#include <stdint.h>

/* The contract's verdict.status values (../shared/REPORT-CONTRACT.md). */
enum verdict_status {
    VS_BLACKHOLE,
    VS_PMTUD_WORKING,
    VS_FRAGMENTATION_LOSS,
    VS_MSS_CLAMPED,
    VS_RETRANSMISSION_STORM,
    VS_HEALTHY,
    VS_INCONCLUSIVE,
    VS__COUNT
};

/* How an output shows a status: a problem to fix (red), a path that works
 * (green), or not enough evidence (neither). */
enum verdict_tone { TONE_PROBLEM, TONE_OK, TONE_UNKNOWN };

struct verdict_name {
    const char *name; /* as in the JSON report */
    enum verdict_tone tone;
    const char *meaning; /* one line for the man page and --help */
};

extern const struct verdict_name verdict_names[VS__COUNT];

/* VS__COUNT when the name is not a status. */
enum verdict_status verdict_status_from_name(const char *name);

/* What the rules read: counts of evidence of each kind over the capture. */
struct verdict_evidence {
    uint64_t
        frag_incomplete; /* IP datagrams whose fragments never came while the capture went on */
    bool frag_none_reassembled; /* ... and no fragmented datagram of those inputs completed */
    uint64_t frag_lost_by_size; /* ... of which only the small last fragment came (defrag.h) */
    uint64_t retransmissions;   /* TCP retransmissions, all flows */
    uint32_t storms;            /* retransmission storms */
    int blackholes;             /* TCP directions: lost large, re-sent, never delivered */
    int measured;               /* directions whose loss by size two captures measured */
    int suspected;              /* receiver side: a hole and nothing near the MSS arrived */
    int healed;                 /* lost large, then delivered in smaller packets */
    int wg_suspected;           /* WireGuard flows with counters skipped */
    int resends;                /* opaque tunnels re-sending their largest datagram */
    /* of blackholes + resends, those whose packets went with DF clear
     * (IPv4): a router fragments such packets, so it is fragments that are
     * lost */
    int df_clear_lost;
    int silent;        /* senders silent after small data, the connection open */
    int sweep_cliffs;  /* ping sweeps with answered and unanswered sizes */
    int icmp_ignored;  /* ICMP MTU messages the sender did not obey */
    int capped;        /* receiver side: data re-sent capped below the MSS */
    int pmtud_ok;      /* ICMP MTU messages the sender obeyed */
    int clamped;       /* SYNs whose MSS was lowered on the path */
    int tcp_delivered; /* TCP directions whose data was delivered */
    int tcp_tested;    /* ... among them, a packet near full size (the MSS) */
    int tunnel_clean;  /* WireGuard flows with every counter seen, nothing re-sent */
    int frag_arrived;  /* host pairs whose fragmented datagrams arrived whole past a router */
    int syn_floods;    /* listeners that left many connection attempts unanswered */
    int udp_resent;    /* UDP conversations: requests repeated after each fragmented reply only */
};

enum verdict_rule_id {
    VR_FRAGMENT_SIZE_LIMIT,
    VR_FRAGMENT_LOSS,
    VR_DF_CLEAR_LOSS,
    VR_SENDER_BLACKHOLE,
    VR_MEASURED_LOSS,
    VR_RECEIVER_SUSPECTED,
    VR_HEALED_BY_SENDER,
    VR_WG_COUNTER_GAP,
    VR_TUNNEL_RESEND,
    VR_SILENT_SENDER,
    VR_SWEEP_CLIFF,
    VR_ICMP_IGNORED,
    VR_STORM,
    VR_CAPPED_BELOW_MSS,
    VR_PMTUD_WORKING,
    VR_MSS_CLAMPED,
    VR_UDP_RESENT,
    VR_TCP_DELIVERED,
    VR_TUNNEL_CLEAN,
    VR_FRAGMENTS_ARRIVED,
    VR_SYN_FLOOD,
    VR_UNTESTED,
    VR_NO_EVIDENCE,
    VR__COUNT
};

struct verdict_rule {
    enum verdict_rule_id id;
    enum verdict_status status;
    const char *headline; /* the evidence kind that leads the report */
    bool (*holds)(const struct verdict_evidence *e);
    const char *why; /* the physical reason, one line */
};

/* The rows, in precedence order: verdict_rules[i].id == i. */
extern const struct verdict_rule verdict_rules[VR__COUNT];

/* The first row that holds (VR_NO_EVIDENCE always does). */
const struct verdict_rule *verdict_decide(const struct verdict_evidence *e);

#endif
