/*
 * results.h - what the flow stage produced, kept for the report.
 *
 * Flows are analysed per input (one flow table per file), so their ids,
 * stream numbers and tunnel ids are per input; this module renumbers flows
 * and tunnels into one sequence across inputs (the ids of the JSON report)
 * and keeps finished-flow summaries within a fixed budget: flows with
 * something wrong (retransmissions, a stall, a storm) are kept first, healthy
 * ones while there is room; the rest are counted.  Memory is bounded by the
 * caps below, never by the capture's length (a kept flow that was given
 * fragmented datagrams holds a copy of its struct flow_frags, 144 bytes).
 */
#ifndef MTUSCOPE_RESULTS_H
#define MTUSCOPE_RESULTS_H

#include <stdbool.h>
#include <stdint.h>

#include "flow.h"
#include "pmtud.h"

#define RESULTS_MAX_PROBLEM_FLOWS 20000
#define RESULTS_MAX_HEALTHY_FLOWS 5000
#define RESULTS_MAX_STORMS 4096
#define RESULTS_MAX_TUNNELS 4096
#define RESULTS_MAX_SIZE_TABLES 512 /* flows whose delivery-by-size tables are kept */
#define RESULTS_MAX_RESENDS 256     /* opaque-tunnel directions with re-sent datagrams */
#define RESULTS_MAX_LISTENERS 64    /* listeners with unanswered connection attempts */

/* RFC 6298's initial retransmission timeout (1 s; Linux, Windows and macOS
 * send their first SYN retransmission after it): a SYN not answered by
 * then is one its sender itself takes for lost.  A SYN-ACK comes within one
 * round trip, milliseconds on any path a capture is taken on. */
#define RESULTS_SYN_ANSWER_NS 1000000000ll

/* Connection attempts to one listener (address and port, per input and
 * tunnel) that the listener never answered: SYNs only from the client, no
 * packet at all back (no SYN-ACK, no RST) while the capture went on for
 * RESULTS_SYN_ANSWER_NS after the attempt's last SYN.  A SYN says nothing
 * about the path MTU (it carries no data), so a capture of them is not a
 * test of it; many of them from many sources is a SYN flood.
 *
 * An attempt's flow may end before that second is over (the live-flow cap
 * finishes the oldest flows early, and a flood fills it in well under a
 * second): it waits in a ring of RESULTS_SYN_SLOTS slots of
 * RESULTS_SYN_SLOT_NS by the time of its last SYN, judged when capture time
 * passes it by RESULTS_SYN_ANSWER_NS, and counted as not judged when the
 * capture ends first.  An answer to such an attempt after its flow was
 * ended starts a flow of its own and is not matched to it. */
#define RESULTS_SYN_SLOT_NS 100000000ll /* 100 ms */
#define RESULTS_SYN_SLOTS 16            /* 1.6 s: the answer timeout and room to spare */

struct results_syn_slot {
    uint64_t attempts, syns, first_frame, last_frame;
    int64_t first_ns, last_ns;
};

struct results_listener {
    struct addr addr;
    uint16_t port;
    uint16_t input;
    uint8_t ip_version;
    bool many_sources;     /* another source address tried too */
    uint32_t tunnel;       /* report-wide tunnel id, 0 none */
    struct addr first_src; /* the first attempt's source */
    /* the judged attempts: flows, each a distinct source address and port */
    struct results_syn_slot judged;
    uint64_t pending; /* attempts in the capture's last RESULTS_SYN_ANSWER_NS: not judged */
    /* attempts waiting for their second to pass, by the time of their last SYN */
    int64_t ring_base_ns; /* start of slot 0 */
    struct results_syn_slot ring[RESULTS_SYN_SLOTS];
};

/* A TCP flow's delivery by IP packet size, both directions (delivery.h):
 * what the charts and the black-hole inference read.  Kept for flows with
 * problems first, then for the others while there is room. */
struct results_sizes {
    uint64_t flow;          /* report-wide flow id */
    bool problem;           /* the flow had retransmissions, a stall... */
    struct dl_sizes dir[2]; /* 0: client->server */
};

/* An opaque tunnel's direction whose largest datagrams were re-sent with a
 * doubling timeout (resend.h), RESEND_MIN_COPIES copies or more. */
struct results_resend {
    uint64_t flow; /* report-wide flow id */
    uint8_t dir;   /* 0: client->server */
    struct resend_run run;
};

struct correlation; /* correlate.h */

struct results {
    /* Each table is allocated as it fills (cap_*: its room), up to the caps
     * above. */
    struct flow_summary *flows; /* ids renumbered across inputs */
    uint32_t nflows, cap_flows;
    uint32_t nproblem, nhealthy;
    uint64_t flows_unlisted;
    struct flow_storm *storms;
    uint32_t nstorms, cap_storms;
    uint64_t storms_unlisted;
    struct flow_tunnel *tunnels;
    uint32_t ntunnels, cap_tunnels;
    uint64_t tunnels_unlisted;
    struct results_sizes *sizes;
    uint32_t nsizes, cap_sizes;
    uint64_t sizes_unlisted;
    /* sizes[] by flow id (index + 1, 0 empty): the inference looks up every
     * TCP flow's tables, a scan of 512 each time */
    uint16_t sizes_slot[2 * RESULTS_MAX_SIZE_TABLES];
    uint32_t sizes_healthy_from; /* sizes[] before it are all problem flows */
    struct results_resend *resends;
    uint32_t nresends, cap_resends;
    uint64_t resends_unlisted;
    struct results_listener *listeners; /* unanswered connection attempts, by listener */
    uint32_t nlisteners, cap_listeners, listener_last;
    uint64_t listeners_unlisted; /* attempts to listeners beyond RESULTS_MAX_LISTENERS */
    int64_t clock_ns;            /* capture time of the input being read (flow_detail) */
    struct pmtud *pmtud;         /* ICMP obedience and ping sweeps, watched during the pass */
    /* packets matched across inputs (correlate.h), set by the caller after
     * every input was read; NULL when not run */
    const struct correlation *correlation;
    /* totals across inputs */
    uint64_t tcp_flows, udp_flows, total_flows, retransmissions;
    uint64_t evicted, resumed, forgotten; /* the live-flow cap's work (flow.h) */
    uint32_t live_peak;
    /* renumbering of the input being read */
    uint64_t flow_base;
    uint32_t tunnel_base;
    uint16_t input;
};

bool results_init(struct results *r);
void results_free(struct results *r);

/* Starts the next input: ids of its flows and tunnels follow the previous one's. */
void results_begin_input(struct results *r, uint16_t input);
/* Callbacks for flow_new(): ctx is the struct results. */
void results_flow_done(void *ctx, const struct flow_summary *s, const struct flow_detail *d);
void results_storm(void *ctx, const struct flow_storm *st);
/* Ends the input: copies its tunnels and totals from the finished table. */
void results_end_input(struct results *r, const struct flow_table *ft);
/* The report-wide id of a flow id given by the current input's table (0 stays 0). */
uint64_t results_flow_id(const struct results *r, uint64_t local_id);
/* The kept flow with results id `id`; NULL when it was not kept. */
const struct flow_summary *results_flow(const struct results *r, uint64_t id);

/* The re-sent datagrams of an opaque tunnel flow's direction, or NULL. */
const struct results_resend *results_resend_of(const struct results *r, uint64_t flow, int dir);

/* The size tables of a flow, or NULL when they were not kept. */
const struct results_sizes *results_sizes_of(const struct results *r, uint64_t flow);

/* A Wireshark display filter that shows a flow's packets, with `extra`
 * (may be NULL) and-ed on: "ip.addr == A && ip.addr == B && tcp.port == P && ...".
 * A flow given fragmented datagrams adds each direction's by IP id
 * (struct flow_frags): "((ip.addr == A && ...) || (ip.src == A && ip.dst ==
 * B && ip.proto == 17 && ip.id in {0x1c2d})) && extra"; without the ids
 * when they do not fit in size, empty when nothing does. */
void results_flow_filter(const struct flow_summary *f, const char *extra, char *buf, size_t size);
/* The same for one direction, dir 0 client->server (its source address
 * named), or both when dir < 0. */
void results_flow_filter_dir(const struct flow_summary *f, int dir, const char *extra, char *buf,
                             size_t size);
/* The flow's fragmented datagrams in direction d (both when d < 0) that its
 * filter does not name: past the first FLOW_FRAG_IDS, their fragments but
 * the reassembling one (which has the ports) are not selected. */
uint32_t results_flow_frags_unnamed(const struct flow_summary *f, int d);
/* "tcp", "udp", ..., or the opaque tunnel it is: "wg", "openvpn". */
const char *results_flow_proto(const struct flow_summary *f);

/* True when a flow shows something worth a person's attention. */
bool results_flow_has_problem(const struct flow_summary *s);

#endif
