/*
 * inf_icmp.c - the ICMP collector (infer.h): frag-needed and packet-too-big
 * messages bound the quoted packet's path; pmtud.c says whether the sender
 * obeyed.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "infer.h"

/* ---- 1. ICMP ---- */

static int icmp_watch_verdict(const struct results *res, int input, int k,
                              const struct pmtud_watch **out)
{
    for (int i = 0; i < pmtud_nwatches(res->pmtud); i++) {
        const struct pmtud_watch *w = pmtud_watch_get(res->pmtud, i);
        if (w->input == input && w->icmp_index == k) {
            *out = w;
            if (!w->after)
                return -1; /* nothing sent afterwards: cannot say */
            return w->bigger ? 0 : 1;
        }
    }
    *out = NULL;
    return -1;
}

/* Routers send one message per dropped packet: evidence groups them. */
struct icmp_group {
    int input;
    uint32_t tunnel; /* the tunnel the messages came through: about its inner path */
    uint8_t qproto;
    bool qv6;
    struct addr from, qsrc, qdst;
    uint32_t mtu, count;
    bool guessed, v6;
    uint64_t first, last;
    int honored, ignored;
    const struct icmp_mtu_msg *cut; /* a message whose quote understates its packet */
};

#define MAX_ICMP_GROUPS 64

static void icmp_group_add(struct icmp_group *g, int *ng, int input, const struct icmp_mtu_msg *m,
                           uint32_t mtu, int h)
{
    int i = 0;
    while (i < *ng && !(g[i].input == input && g[i].mtu == mtu && g[i].v6 == m->v6 &&
                        g[i].tunnel == m->tunnel && g[i].qproto == m->qproto &&
                        !addr_cmp(&g[i].from, &m->from) && !addr_cmp(&g[i].qsrc, &m->qsrc) &&
                        !addr_cmp(&g[i].qdst, &m->qdst)))
        i++;
    if (i == *ng) {
        if (*ng == MAX_ICMP_GROUPS)
            return;
        memset(&g[i], 0, sizeof g[i]);
        g[i].input = input;
        g[i].from = m->from;
        g[i].qsrc = m->qsrc;
        g[i].qdst = m->qdst;
        g[i].mtu = mtu;
        g[i].v6 = m->v6;
        g[i].tunnel = m->tunnel;
        g[i].qproto = m->qproto;
        g[i].qv6 = m->qsrc.addr_type == ADDR_TYPE_IP6;
        g[i].guessed = m->mtu == 0;
        g[i].first = m->frame;
        (*ng)++;
    }
    g[i].count++;
    g[i].last = m->frame;
    if (icmp_quote_cut(m) && !g[i].cut)
        g[i].cut = m;
    g[i].honored += h == 1;
    g[i].ignored += h == 0;
}

/* One group's line of evidence on its path: how many messages, where
 * they came from, what they quote, and what the sender did. */
static void icmp_group_evidence(struct inference *inf, const struct icmp_group *x, int ninputs,
                                struct tally *t)
{
    char from[64];
    struct inf_path *p =
        inf_path_for(inf, &x->qsrc, &x->qdst, x->tunnel ? INF_INNER : INF_OUTER, x->tunnel);
    char frames[64];
    if (x->count == 1)
        snprintf(frames, sizeof frames, "frame %" PRIu64, x->first);
    else
        snprintf(frames, sizeof frames, "frames %" PRIu64 "-%" PRIu64, x->first, x->last);
    char in[32] = "";
    if (ninputs > 1)
        snprintf(in, sizeof in, ", input %d", x->input + 1);
    char cut[160] = "";
    if (x->cut && icmp_msg_size(x->cut))
        snprintf(cut, sizeof cut,
                 " (the quote says %u bytes, cut to what the router kept; the original, "
                 "frame %" PRIu64 ", was %u)",
                 x->cut->quoted_len, x->cut->original_frame, x->cut->original_len);
    else if (x->cut)
        snprintf(cut, sizeof cut,
                 " (the quote says %u bytes, cut to what the router kept: the packet's size "
                 "is unknown)",
                 x->cut->quoted_len);
    /* where it belongs: inside a tunnel, or about a tunnel's outer
     * packets (the quoted protocol named, never "ip") */
    char where[128] = "";
    size_t wo = 0;
    if (x->tunnel)
        wo += (size_t)snprintf(where, sizeof where, ", carried inside tunnel #%u", x->tunnel);
    if (x->qproto == IP_PROTO_IPIP || x->qproto == IP_PROTO_IPV6 || x->qproto == IP_PROTO_GRE ||
        x->qproto == IP_PROTO_ESP)
        snprintf(where + wo, sizeof where - wo, ", quoting %s packets",
                 ip_proto_name_in(x->qproto, x->qv6 ? 6 : 4, true));
    inf_evidence(p, "%u %s message%s (%s%s%s) from %s report%s MTU %u%s%s%s", x->count,
                 x->v6 ? "packet-too-big" : "frag-needed", x->count > 1 ? "s" : "", frames, in,
                 where, addr_text(&x->from, from, sizeof from), x->count > 1 ? "" : "s", x->mtu,
                 cut,
                 x->guessed ? " (0 reported: the RFC 1191 plateau below the packet, a guess; the "
                              "packet it quotes was too big)"
                            : "",
                 x->honored   ? "; the sender obeyed"
                 : x->ignored ? "; the sender ignored it"
                              : "");
    if (x->honored && !t->pmtud_mtu) {
        t->pmtud_mtu = x->mtu;
        t->pmtud_guessed = x->guessed;
    }
}

void inf_icmp_stage(struct inference *inf, struct input_stats *const *inputs, int ninputs,
                    const struct results *res, struct tally *t)
{
    struct icmp_group groups[MAX_ICMP_GROUPS];
    int ngroups = 0;
    int flat = 0;
    for (int i = 0; i < ninputs; i++) {
        struct input_stats *s = inputs[i];
        for (int k = 0; k < s->nicmp; k++, flat++) {
            const struct icmp_mtu_msg *m = &s->icmp[k];
            const struct pmtud_watch *w;
            int h = icmp_watch_verdict(res, i, k, &w);
            /* A message about an echo request answers a probe: a DF ping
             * sweep (ping -M do, Windows' ping -f -l) goes on past it by
             * design, so "ignored" does not apply; the router told the
             * path MTU, which is PMTUD working (issue 13 item 14). */
            bool probe = m->qproto == IP_PROTO_ICMP || m->qproto == IP_PROTO_ICMPV6;
            if (probe)
                h = -1;
            /* A message quoting a tunnel packet went to the tunnel endpoint:
             * the inner sender shrinking its packets afterwards shows the
             * endpoint passed it on (Linux lowers the tunnel's MTU and
             * tells the next oversized sender), but one that did not shrink
             * never ignored anything: it was never told, which is the
             * tunnel black hole of issue 13 item 13, not a firewall at the
             * sender. */
            if (m->quoted_overhead && h == 0)
                h = -1;
            inf->icmp_honored[flat] = (int8_t)h;
            /* The packet that was too big: its captured original when the
             * quote understates it (cut to 576 bytes, its length rewritten
             * to match); unknown (0) when the quote was cut and no original
             * was captured: then only the reported MTU is judged. */
            uint32_t size = icmp_msg_size(m);
            uint32_t mtu = m->mtu ? m->mtu : pmtud_plateau_below(size);
            uint32_t floor = m->v6 ? 1280 : 68; /* RFC 8200's and RFC 791's minimum MTUs */
            bool implausible = (m->mtu && m->mtu < floor) || (size && mtu >= size);
            if (implausible) {
                struct ev_record r = {.kind = EV_ICMP_IMPLAUSIBLE, .input = i, .flow_id = m->flow};
                r.icmp = m;
                ev_frame(&r, m->frame);
                inf_record(inf, &r);
                continue;
            }
            if (m->qsrc.addr_type != ADDR_TYPE_IP && m->qsrc.addr_type != ADDR_TYPE_IP6)
                continue;
            /* The quoted packet is the one that was too big: its path.  A
             * message that came through a tunnel was sent by a router
             * inside it (the tunnel's own outer routers quote outer
             * packets and travel outside): it bounds the inner path. */
            struct inf_path *p =
                inf_path_for(inf, &m->qsrc, &m->qdst, m->tunnel ? INF_INNER : INF_OUTER, m->tunnel);
            /* A reported MTU bounds the path; MTU 0 only proves that the
             * quoted packet was too big: the plateau is the sender's guess,
             * not the path's limit. */
            inf_bound_upper(p, m->mtu ? mtu : size ? size - 1u : 0);
            icmp_group_add(groups, &ngroups, i, m, mtu, h);
            if (h == 1)
                t->pmtud_ok++;
            if (probe && m->mtu) {
                t->pmtud_ok++;
                if (!t->probe_mtu || mtu < t->probe_mtu)
                    t->probe_mtu = mtu;
            }
            if (h == 0 && w) {
                t->icmp_ignored++;
                struct ev_record r = {.kind = EV_ICMP_IGNORED, .input = i, .flow_id = m->flow};
                r.icmp = m;
                r.watch = w;
                r.mtu = mtu;
                ev_frame(&r, m->frame);
                ev_frame(&r, w->last_bigger_frame);
                inf_record(inf, &r);
            }
        }
    }
    for (int g = 0; g < ngroups; g++)
        icmp_group_evidence(inf, &groups[g], ninputs, t);
}

/* ICMP seen by a tunnel endpoint belongs to the inner flows it carries: a
 * frag-needed or packet-too-big quoting a GRE, IP-in-IP or UDP tunnel's
 * outer packet tells the endpoint, which does not pass it on to the inner
 * sender (RFC 2003 4.1 leaves it optional; Linux GRE and sit lower their own
 * MTU and tell only later senders), so the inner flow still black-holes. */
const struct icmp_mtu_msg *inf_tunnel_icmp(struct input_stats *const *inputs, int ninputs,
                                           const struct results *res, const struct flow_summary *f)
{
    const struct flow_tunnel *tu = NULL;
    for (uint32_t i = 0; f->tunnel && i < res->ntunnels; i++)
        if (res->tunnels[i].id == f->tunnel)
            tu = &res->tunnels[i];
    if (!tu || f->input >= ninputs)
        return NULL;
    const struct input_stats *s = inputs[f->input];
    for (int k = 0; k < s->nicmp; k++) {
        const struct icmp_mtu_msg *m = &s->icmp[k];
        bool fwd = !addr_cmp(&m->qsrc, &tu->outer_src) && !addr_cmp(&m->qdst, &tu->outer_dst);
        bool rev = !addr_cmp(&m->qsrc, &tu->outer_dst) && !addr_cmp(&m->qdst, &tu->outer_src);
        if ((fwd || rev) && m->mtu)
            return m;
    }
    return NULL;
}
