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
#include <stdint.h>

#include "results.h"
#include "stats.h"

#define INF_MAX_PATHS 256
#define INF_MAX_EVIDENCE 8
#define INF_MAX_FINDINGS 256
#define INF_MAX_RECS 8
#define INF_MAX_FRAMES 8
#define INF_TEXT 320

enum inf_layer { INF_OUTER, INF_INNER };

struct inf_path {
    struct addr src, dst;     /* the direction packets travel */
    uint8_t layer;            /* enum inf_layer: inner = inside a tunnel */
    uint32_t tunnel;          /* report-wide tunnel id for inner paths, 0 otherwise */
    uint32_t lower;           /* largest IP packet proven to cross; 0 = none seen */
    uint32_t upper;           /* nothing larger crosses; 0 = unbounded (unknown) */
    uint32_t mtu;             /* exact, when the evidence pins it; 0 = not pinned */
    bool upper_loss;          /* the upper bound is the smallest size seen lost, minus one:
                                 a bound, never a value to configure unless pinned */
    char lower_why[INF_TEXT]; /* what proved the lower bound */
    int nevidence;
    char evidence[INF_MAX_EVIDENCE][INF_TEXT];
};

enum inf_severity { INF_ERROR, INF_WARNING, INF_INFO };

struct inf_finding {
    uint8_t severity; /* enum inf_severity */
    char kind[32];    /* "blackhole", "icmp-ignored", "mss-clamped", ... */
    char message[INF_TEXT];
    uint64_t flow; /* report-wide flow id, 0 = none */
    int input;
    uint64_t frames[INF_MAX_FRAMES];
    int nframes;
    char wireshark_filter[INF_TEXT];
};

struct inf_tunnel {
    uint32_t id;                     /* report-wide tunnel id */
    uint32_t overhead;               /* bytes, from its headers and outer IP version */
    uint32_t path_lower, path_upper; /* outer path bounds; 0 = unknown */
    uint32_t recommended_mtu;        /* 0 = no recommendation */
    char config[INF_TEXT];           /* the line to apply */
};

/* A flow direction whose packets above a size never arrived (the contract's
 * flows[].blackhole). */
struct inf_blackhole {
    uint64_t flow;
    uint8_t dir;    /* 0: client->server */
    bool suspected; /* receiver side: inferred from what did not arrive */
    bool healed;    /* the sender got the data through later, in smaller packets */
    uint32_t largest_delivered, smallest_lost; /* IP sizes; 0 = unknown */
    int64_t cost_ns;                           /* healed: time lost to retransmission timeouts */
    int nframes;
    uint64_t frames[INF_MAX_FRAMES];
};

#define INF_MAX_BLACKHOLES 256

struct inference {
    const char *status; /* "blackhole", "pmtud-working", ..., "inconclusive" */
    char summary[INF_TEXT];
    int nrecs;
    char recs[INF_MAX_RECS][INF_TEXT];
    int npaths;
    /* paths by (layer, src, dst): index + 1, 0 empty.  Every TCP flow looks
     * its paths up, and a scan of 256 paths each time was a third of a run
     * with a few thousand flows. */
    int16_t path_slot[2 * INF_MAX_PATHS];
    int nfindings;
    int nblackholes;
    uint32_t ntunnels;
    struct inf_tunnel *tunnels; /* parallel to results.tunnels */
    /* per ICMP message (inputs in order, then messages in order): -1 unknown,
     * 0 ignored, 1 honored */
    int8_t *icmp_honored;
    int nicmp;
    /* The tables last (1 MB): inference_run() zeroes what is above and each
     * entry as it is added, so memory is touched only as far as used. */
    struct inf_path paths[INF_MAX_PATHS];
    struct inf_finding findings[INF_MAX_FINDINGS];
    struct inf_blackhole blackholes[INF_MAX_BLACKHOLES];
};

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
