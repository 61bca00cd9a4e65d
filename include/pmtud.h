/*
 * pmtud.h - watching path-MTU discovery happen, packet by packet.
 *
 * Two things can only be judged while the packets go by, not from flow
 * summaries afterwards:
 *   - whether a sender obeyed an ICMP frag-needed / packet-too-big: its
 *     packets on the quoted flow, in the quoted direction, after it reacted
 *     (sent a packet that fits) or after a grace period for packets already
 *     in flight, are no larger than the reported MTU;
 *   - ping sweeps: ICMP/ICMPv6 echo requests of rising sizes (with DF, for
 *     IPv4); per host pair, the largest request answered and the smallest
 *     never answered.
 * Memory is bounded: at most PMTUD_MAX_WATCHES messages watched, at most
 * PMTUD_MAX_PENDING echo requests awaiting replies, PMTUD_MAX_SWEEPS pairs.
 * Time: a packet looks only at the watches of its own flow and a reply only
 * at the requests with its id and sequence (hash indexes), so floods of ICMP
 * messages or echo requests cost O(1) per unrelated packet.
 */
#ifndef MTUSCOPE_PMTUD_H
#define MTUSCOPE_PMTUD_H

#include <stdbool.h>
#include <stdint.h>

#include "flow.h"
#include "packet.h"

#define PMTUD_MAX_WATCHES 4096
#define PMTUD_MAX_PENDING 4096
#define PMTUD_MAX_SWEEPS 256
#define PMTUD_GRACE_NS 1000000000ll /* 1 s: packets in flight when the message came */

/* RFC 1191 section 7: the plateau below a packet of `len` bytes, the guess
 * for a frag-needed that reports MTU 0. */
uint32_t pmtud_plateau_below(uint32_t len);

struct pmtud_watch {
    int input, icmp_index; /* the message: stats of input `input`, icmp[icmp_index] */
    uint64_t flow;         /* report-wide id of the quoted flow */
    struct addr src;       /* the quoted packet's sender */
    uint32_t mtu;          /* reported, or the plateau guess for 0 */
    int64_t t_ns;          /* when the message was seen */
    uint64_t after;        /* packets of that flow and direction after the grace period */
    uint64_t bigger;       /* ... larger than mtu */
    uint32_t max_after;    /* largest IP packet among them */
    uint64_t last_bigger_frame;
    bool reacted; /* the sender sent a packet that fits the reported MTU */
};

#define PMTUD_SWEEP_SIZES 48 /* request sizes a sweep counts one by one (its chart) */

struct pmtud_sweep {
    int input;
    struct addr src, dst; /* requests from src to dst */
    uint32_t requests, answered;
    uint32_t largest_answered;    /* IP size of the request; 0 = none */
    uint32_t smallest_unanswered; /* 0 = none */
    uint32_t sizes;               /* distinct request sizes seen (at most counted to 255) */
    uint64_t frame_answered, frame_unanswered;
    uint32_t last_size;
    bool df; /* every IPv4 request had DF set */
    /* requests answered and unanswered by IP size, the first
     * PMTUD_SWEEP_SIZES sizes seen (the ping-sweep chart); the rest counted */
    uint8_t nby_size;
    uint32_t by_size_unlisted;
    struct {
        uint16_t size, answered, unanswered;
    } by_size[PMTUD_SWEEP_SIZES];
};

struct pmtud;

struct pmtud *pmtud_new(void);
void pmtud_free(struct pmtud *p);

/* A frag-needed / packet-too-big was seen (message icmp_index of input's
 * stats): watch the quoted flow. */
void pmtud_icmp(struct pmtud *p, int input, int icmp_index, uint64_t flow,
                const struct addr *quoted_src, uint32_t mtu, int64_t t_ns);
/* Every packet, with its flow (fp may say flow 0). */
void pmtud_packet(struct pmtud *p, const struct packet *pkt, const struct flow_pkt *fp);
void pmtud_begin_input(struct pmtud *p, int input);
/* End of an input: pending echo requests become unanswered. */
void pmtud_end_input(struct pmtud *p);

int pmtud_nwatches(const struct pmtud *p);
const struct pmtud_watch *pmtud_watch_get(const struct pmtud *p, int i);
int pmtud_nsweeps(const struct pmtud *p);
const struct pmtud_sweep *pmtud_sweep_get(const struct pmtud *p, int i);

#endif
