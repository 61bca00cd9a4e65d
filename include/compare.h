/*
 * compare.h - the flows that work beside the flows that stall.
 *
 * "The phone works, the PC does not"; "SSH works, HTTP and SMB stall": the
 * same path carries one device's or one application's packets and loses
 * another's.  The comparison puts every TCP flow that carried data side by
 * side, across the flows of one capture and across captures (several -r
 * inputs: the phone in one, the PC in another), with what decides the size
 * of its packets:
 *   - the MSS each end announced and the interface MTU it implies (MSS + 40
 *     over IPv4, + 60 over IPv6: a host derives its MSS from its interface
 *     MTU less the IP and TCP headers; the speedguide reading);
 *   - window scale, SACK, timestamps and the TTL of each end as captured
 *     (they tell the stacks and the devices apart, not the MTU);
 *   - in the direction that carried the data: the largest packet delivered,
 *     the smallest lost, whether it stalled, and the goodput (data bytes the
 *     receiver acknowledged over the flow's duration).
 * The same connection seen from two vantage points (two inputs, the same
 * addresses and ports, overlapping in time) is one row with two views.
 *
 * It ends in one sentence, only when the evidence draws it: flows whose
 * packets stay at or below L bytes delivered everything while flows that
 * share a host with them lost U-byte packets and stalled, and L < U.  L, the
 * largest packet the working flows delivered, is a lower bound for the path
 * they share (a packet of that size crossed it); U - 1 is an upper bound
 * from loss (a packet of U bytes never arrived).  Neither is a value to set:
 * the sentence names the MTU to set only when the fix (wording_fix.c)
 * proves one, and otherwise points to the probe that measures it.
 */
#ifndef MTUSCOPE_COMPARE_H
#define MTUSCOPE_COMPARE_H

#include <stdbool.h>
#include <stdint.h>

#include "results.h"

#define CMP_MAX_ROWS 64     /* rows kept; the rest are counted */
#define CMP_MAX_NAMED 4     /* flows named on each side of the sentence */
#define CMP_MAX_VIEWS 4     /* inputs a row lists as its views */
#define CMP_MAX_STALLED 256 /* stalled rows weighed for the sentence (the first listed) */

struct inference;

enum cmp_state {
    CMP_WORKS,     /* its data was all delivered, nothing lost */
    CMP_STALLS,    /* stalled, or a black hole that did not heal */
    CMP_RECOVERED, /* lost packets but got everything through (retransmitted, healed) */
    CMP_UNTESTED,  /* data sent, nothing acknowledged and nothing proven lost */
};

/* One end of a compared flow, as it announced itself in its SYN. */
struct cmp_end {
    struct addr addr;
    uint16_t port;
    uint16_t mss;   /* 0: no SYN seen */
    uint16_t mtu;   /* the interface MTU the MSS implies (MSS + 40 / + 60), 0 unknown */
    uint8_t wscale; /* 0xff: none */
    uint8_t ttl;    /* of its first segment as captured; 0 unknown */
    bool sack, timestamps;
};

struct cmp_row {
    uint64_t flow; /* report-wide flow id of the first view */
    int nviews;
    uint64_t view_flows[CMP_MAX_VIEWS];
    uint16_t view_inputs[CMP_MAX_VIEWS];
    uint8_t ip_version;
    uint8_t data_dir;           /* 0: client->server carried the data, 1: server->client */
    uint8_t state;              /* enum cmp_state */
    bool suspected;             /* stalls seen from the receiving side: nothing proven lost */
    struct cmp_end end[2];      /* 0 the client, 1 the server */
    const char *service;        /* the server port's well-known service, or NULL */
    uint32_t largest_delivered; /* data direction, IP size; 0 none */
    uint32_t smallest_lost;     /* data direction, IP size; 0 none proven */
    uint32_t largest_sent;      /* data direction */
    /* stalls: the size it fails at, a packet proven lost, else (suspected,
     * seen from the receiver) the largest its peer's MSS allows; 0 unknown */
    uint32_t stall_at;
    /* by direction (0 client->server): the largest packet of a direction
     * that delivered all its data and lost nothing, 0 otherwise; what the
     * sentence takes as proof that small packets cross */
    uint32_t clean_delivered[2];
    uint32_t acked_bytes; /* data bytes acknowledged (flow.h), 0 unknown */
    int64_t duration_ns;
    double goodput_bps; /* acked_bytes * 8 / duration; < 0 unknown */
};

struct comparison {
    int nrows;
    uint64_t rows_unlisted;
    struct cmp_row rows[CMP_MAX_ROWS];
    /* the conclusion: 0 when not drawn */
    uint32_t works_up_to; /* L: the largest packet the working flows delivered */
    uint32_t stalls_from; /* U: the smallest packet the stalled flows lost (0: none proven) */
    uint32_t set_mtu;     /* the fix's value when it proves one, else 0 */
    char *sentence;       /* heap; NULL when nothing is concluded */
};

/* Builds the comparison from the results and the inference's black holes
 * and fix (run after inf_fix()).  NULL when fewer than two TCP flows
 * carried data, or out of memory. */
struct comparison *compare_run(const struct results *res, const struct inference *inf);
void compare_free(struct comparison *c);

/* The well-known service of a TCP port ("SSH", "HTTP", "SMB"), or NULL. */
const char *compare_service_name(uint16_t port);

/* A flow direction that proves small packets cross: it delivered all its
 * data (something, nothing lost) and never sent a packet above `limit`
 * bytes (limit 0: any size).  The test of "SSH works" beside a black hole. */
bool compare_small_flow_works(const struct flow_summary *g, int d, uint32_t limit);

/* Whether `flow` is the same connection as an earlier flow of another input
 * (a second vantage point: one of a listed row's later views).  c may be
 * NULL (false). */
bool compare_later_view(const struct comparison *c, uint64_t flow);

/* "works", "stalls", "recovered", "untested". */
const char *compare_state_name(uint8_t state);

#endif
