/*
 * plots_ladder.h - the ladder diagram chart (plots.h's `ladder`): the
 * connection of the headline finding drawn as a textbook sequence diagram
 * (ladder.h computes, plots_ladder.c collects and draws).  Its packets come
 * from the second read of the inputs that plots_tsg.c runs: the collector
 * is handed every packet of it.  Only plots*.c include this.
 */
#ifndef MTUSCOPE_PLOTS_LADDER_H
#define MTUSCOPE_PLOTS_LADDER_H

#include <stdbool.h>
#include <stdio.h>

#include "flow.h"
#include "packet.h"
#include "plots.h"

struct plots_ladder;

/* The connection to draw: the TCP flow of the first finding that names one
 * (errors first), else of a black hole, of an ICMP frag-needed, a flow
 * that stalled or retransmitted, the busiest, else (no TCP) the pings that
 * went largest, else an encrypted tunnel (WireGuard, ESP): one matched
 * across two captures, else the one re-sending a size, one an ICMP message
 * quotes, the busiest; and the same connection in another capture matched
 * with its own (correlate.h), when there is one.
 * in->ladder_flow, when set, names the flow to draw instead (a note in p
 * when it is no TCP or echo flow of the report).  NULL when out of memory
 * (said on err). */
struct plots_ladder *plots_ladder_open(const struct report_data *r, const struct plots_inputs *in,
                                       struct plots *p, FILE *err);
/* One packet of the second read. */
void plots_ladder_packet(struct plots_ladder *l, const struct packet *pkt,
                         const struct flow_pkt *fp);
/* The ICMP message a router sends about a packet it cannot forward comes
 * back within the round trip to that router, a part of the connection's
 * own: a read that has gone this far past the connection's last packet
 * holds no more of its story.  3 s: a handshake over a longer round trip
 * times its SYN out twice first (RFC 6298: 1 s, then doubled), and it is
 * how long the flow table keeps a closed connection (flow.h), after which
 * the report itself ties no quote to it. */
#define LADDER_ICMP_WAIT_NS 3000000000LL
/* Whether the packets after pkt (in the order of the second read) can add
 * nothing to the diagram: for each side, its events are full, or its
 * capture was read past the connection's last frame and LADDER_ICMP_WAIT_NS
 * past its last packet (both: a capture's times may run backwards).  pkt
 * NULL, before the read: whether there is no connection to draw at all. */
bool plots_ladder_enough(const struct plots_ladder *l, const struct packet *pkt);
/* Writes ladder.dat and ladder.gp and lists the chart; false when a file
 * could not be written (said on err). */
bool plots_ladder_write(struct plots_ladder *l, const char *dir, const char *tdir,
                        const struct report_data *r, struct plots *p, FILE *err);
void plots_ladder_free(struct plots_ladder *l);

#endif
