/*
 * plots_ladder_int.h - what the ladder diagram's two halves share:
 * plots_ladder.c collects the chosen connection's packets,
 * plots_ladder_draw.c judges and draws them.  Only those two include it.
 */
#ifndef MTUSCOPE_PLOTS_LADDER_INT_H
#define MTUSCOPE_PLOTS_LADDER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow.h"
#include "ladder.h"
#include "resend.h"

#define LADDER_SLOPE 0.8 /* rows an arrow falls while it crosses */

struct plots_ladder {
    const struct flow_summary *f[2]; /* the flow; the same connection in another capture */
    int64_t offset_ns;               /* clock of f[1]'s capture minus f[0]'s */
    struct ladder_event *ev[2];
    size_t n[2];
    bool full[2];
    int fallback_vantage;    /* single capture, no handshake: 0 client, 1 server */
    uint32_t sent_end[2][2]; /* per capture and direction: the highest sequence sent */
    bool sent_any[2][2];
    /* one capture of a tunnel: the run of re-sent datagrams the analysis
     * found in it (resend.h), whose size did not cross meanwhile */
    struct resend_run run;
    int run_dir;
};

static inline bool is_tcp(const struct flow_summary *f)
{
    return f && f->proto == IP_PROTO_TCP;
}

/* The datagrams of an encrypted tunnel, seen from outside (WireGuard,
 * ESP): matched across two captures, what became of each is measured; in
 * one capture only the analysis' re-sent run says which did not cross. */
static inline bool is_tunnel(const struct flow_summary *f)
{
    return f && (f->opaque == LAYER_WIREGUARD || f->opaque == LAYER_ESP);
}

/* An ICMP echo flow (its "ports" are the echo id). */
static inline bool is_echo(const struct flow_summary *f)
{
    return f && (f->proto == IP_PROTO_ICMP || f->proto == IP_PROTO_ICMPV6) && f->dir[0].packets;
}

#endif
