/*
 * inference.h - from evidence to a diagnosis: the path MTU, the black holes,
 * what to set.
 *
 * The last analysis stage.  It reads what the earlier ones kept (stats.h:
 * ICMP frag-needed / packet-too-big messages; results.h: flow summaries,
 * delivery by size, tunnels, storms) and concludes, never claiming more than
 * the capture proves:
 *   - per path (host pair and layer), a lower bound (the largest packet proven
 *     to have crossed), an upper bound (a reported MTU, the smallest packet
 *     proven lost minus one), the exact MTU when the two meet, and the
 *     evidence for each;
 *   - black holes: flows whose packets above a size were sent again and
 *     again and never delivered, while smaller ones were;
 *   - per tunnel, its overhead and the recommended inner MTU with the
 *     configuration line to apply;
 *   - a verdict for the capture and findings a person can act on.
 */
#ifndef MTUSCOPE_INFERENCE_H
#define MTUSCOPE_INFERENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "advice.h"
#include "evidence.h"
#include "hashtab.h"
#include "results.h"
#include "stats.h"

#define INF_MAX_PATHS 256
#define INF_MAX_EVIDENCE 8
#define INF_MAX_UPPERS 8 /* upper bounds kept per path (struct inf_path) */
#define INF_MAX_FINDINGS 256
/* Unanswered connection attempts to one listener that make a SYN flood
 * finding: more than a default listen queue holds half-open (Linux's
 * tcp_max_syn_backlog is 128 on small hosts, and 128 was SOMAXCONN for
 * decades).  A client's own retries never come near it: they are one
 * attempt (one port) whose SYN is re-sent at most tcp_syn_retries (6)
 * times. */
#define INF_SYN_FLOOD_MIN 128
#define INF_MAX_RECS 8
#define INF_MAX_FRAMES 8
/* A Wireshark filter: addresses, ports, numbers, never names; a flow's
 * with the IP ids of its fragmented datagrams (results_flow_filter) fits */
#define INF_FILTER 1024

enum inf_layer { INF_OUTER, INF_INNER };

struct inf_path {
    struct addr src, dst; /* the direction packets travel */
    uint8_t layer;        /* enum inf_layer: inner = inside a tunnel */
    uint32_t tunnel;      /* report-wide tunnel id for inner paths, 0 otherwise */
    uint32_t lower;       /* largest IP packet proven to cross; 0 = none seen */
    uint32_t upper;       /* nothing larger crosses; 0 = unbounded (unknown) */
    uint32_t mtu;         /* exact, when the evidence pins it; 0 = not pinned */
    bool upper_loss;      /* the upper bound is the smallest size seen lost, minus one:
                             a bound, never a value to configure unless pinned */
    /* every upper bound given (inf_bound_upper()), and whether each was a
     * size seen lost: when a larger packet crossed than one of them says,
     * the fold sets that one aside and takes the next (paths.c) */
    uint8_t nuppers;
    uint32_t uppers[INF_MAX_UPPERS];
    bool uppers_loss[INF_MAX_UPPERS];
    char *lower_why; /* what proved the lower bound (heap; NULL: nothing) */
    int nevidence;
    char *evidence[INF_MAX_EVIDENCE]; /* heap, each allocated to its length */
};

enum inf_severity { INF_ERROR, INF_WARNING, INF_INFO };

struct inf_finding {
    uint8_t severity; /* enum inf_severity */
    char kind[32];    /* "blackhole", "icmp-ignored", "mss-clamped", ... */
    char *message;    /* heap: never cut, whatever names it quotes */
    int ev;           /* the evidence record it says (enum ev_kind) */
    uint64_t flow;    /* report-wide flow id, 0 = none */
    int input;
    uint64_t frames[INF_MAX_FRAMES];
    int nframes;
    char wireshark_filter[INF_FILTER];
    /* what wireshark_filter selects besides frames[], in words (heap); NULL
     * when it selects those frames only (a list of them) */
    char *filter_note;
};

struct inf_tunnel {
    uint32_t id;                     /* report-wide tunnel id */
    uint32_t overhead;               /* bytes, from its headers and outer IP version */
    uint32_t path_lower, path_upper; /* outer path bounds; 0 = unknown */
    uint32_t recommended_mtu;        /* 0 = no recommendation */
    char *config;                    /* the line to apply (heap; NULL: none) */
};

/* How a sender healed a black hole by itself, told by the DF bit of what it
 * re-sent (IPv4): */
enum inf_healer {
    HEAL_UNKNOWN,     /* not healed, or IPv6 (no DF bit to tell) */
    HEAL_DF_CLEARED,  /* DF cleared, small segments for the rest of the connection:
                         the PMTU black hole detection (RFC 2923 2.1) of Windows
                         (EnablePMTUBHDetect: MSS 536) and macOS (XNU clears DF
                         and lowers the MSS to net.inet.tcp.pmtud_blackhole_mss,
                         1200, at the second retransmission timeout) */
    HEAL_MTU_PROBING, /* DF kept, smaller segments: packetization-layer path-MTU
                         discovery (RFC 4821), as Linux's tcp_mtu_probing does */
};

/* A flow direction whose packets above a size never arrived (the contract's
 * flows[].blackhole). */
struct inf_blackhole {
    uint64_t flow;
    uint8_t dir;    /* 0: client->server */
    bool suspected; /* receiver side: inferred from what did not arrive */
    bool healed;    /* the sender got the data through later, in smaller packets */
    uint8_t healer; /* enum inf_healer: how */
    uint32_t largest_delivered, smallest_lost; /* IP sizes; 0 = unknown */
    int64_t cost_ns;                           /* healed: time lost to retransmission timeouts */
    int nframes;
    uint64_t frames[INF_MAX_FRAMES];
};

#define INF_MAX_BLACKHOLES 256
#define INF_MAX_FIX_BLOCKS 12

/* The fix as lines to paste (wording_fix.c): one setting or one procedure
 * each, printed whole on lines of their own, never folded. */
struct inf_fix_block {
    char kind[24];  /* "wireguard-config", "ip-link", "mss-clamp-iptables", "probe-linux", ... */
    char lang[8];   /* "ini", "sh", "yaml", "cmd" (Windows' command prompt) */
    uint32_t value; /* the MTU (or the MSS, for a clamp; the IP size probed) it sets; 0 none */
    char *title;    /* where and how, in words (heap) */
    char *text;     /* the lines to paste, '\n' between them (heap) */
};

/* What the fix blocks amount to: a setting the capture proves, or only
 * bounds on the path and the way to measure it. */
struct inf_fix {
    bool exact;     /* the blocks set a value the evidence pins (else: a safe value and a probe) */
    uint32_t mtu;   /* the MTU to set when exact; the safe one when not (0: none known) */
    uint32_t lower; /* the path's bounds when not exact (0: unknown) */
    uint32_t upper;
    /* the path lower and upper bound: its direction, by the addresses of
     * its packets (the inner ones for a path inside a tunnel; unset: none),
     * and whether it is inside one (path_layer: enum inf_layer + 1; 0: not
     * known, a path the capture gave no bound of) */
    struct addr src, dst;
    uint8_t path_layer;
    char *headline; /* one line: what to set, or that the capture only bounds it (heap) */
    char *why;      /* one line: the reason (heap) */
    char *safe;     /* not exact: what is safe meanwhile, or why nothing is (heap) */
    int nblocks;
    struct inf_fix_block blocks[INF_MAX_FIX_BLOCKS];
};

struct inference {
    const char *status; /* "blackhole", "pmtud-working", ..., "inconclusive" */
    int rule;           /* the verdict table's row that decided (enum verdict_rule_id) */
    char *summary;      /* heap, like every text below: allocated to its length */
    int nrecs;
    char *recs[INF_MAX_RECS];
    struct advice advice[INF_MAX_RECS]; /* what recs[i] says, as data (advice.h) */
    struct inf_fix fix;                 /* the fix as lines to paste (wording_fix.c) */
    int npaths;
    struct hashtab path_index; /* paths by (src, dst): ids are index + 1 */
    int nfindings;
    int nblackholes;
    uint32_t ntunnels;
    struct inf_tunnel *tunnels; /* parallel to results.tunnels */
    /* per ICMP message (inputs in order, then messages in order): -1 unknown,
     * 0 ignored, 1 honored */
    int8_t *icmp_honored;
    int nicmp;
    /* the flows that work beside those that stall (compare.h); NULL when
     * fewer than two TCP flows carried data */
    struct comparison *cmp;
    /* The tables last (1 MB): inference_run() zeroes what is above and each
     * entry as it is added, so memory is touched only as far as used. */
    struct inf_path paths[INF_MAX_PATHS];
    struct inf_finding findings[INF_MAX_FINDINGS];
    struct ev_record records[INF_MAX_FINDINGS]; /* findings[i] says records[i] */
    struct inf_blackhole blackholes[INF_MAX_BLACKHOLES];
};

/* A Wireshark filter selecting exactly the finding's frames (the JSON
 * report's filter_frames): "frame.number == 12", "frame.number in {12, 15,
 * 18..20}", a range only where every frame in it is cited; frame 0 (none)
 * left out.  Empty when there is none or it does not fit in size. */
void inf_frames_filter(const struct inf_finding *f, char *buf, size_t size);

/* Whether the fix has a block whose kind starts with `kind` ("probe", "mss-clamp"). */
bool inf_fix_has(const struct inf_fix *fx, const char *kind);

/* The black hole found on a flow, or NULL. */
const struct inf_blackhole *inference_blackhole(const struct inference *inf, uint64_t flow);
/* Whether ICMP message k of input `input` was honored: -1 unknown, 0 no, 1 yes. */
int inference_icmp_honored(const struct inference *inf, struct input_stats *const *inputs,
                           int input, int k);

/* Runs the inference.  false when out of memory. */
bool inference_run(struct inference *inf, struct input_stats *const *inputs, int ninputs,
                   const struct results *res);
void inference_free(struct inference *inf);

#endif
