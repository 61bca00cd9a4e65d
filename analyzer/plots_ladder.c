/*
 * plots_ladder.c - the ladder diagram chart (plots_ladder.h), its first
 * half: the connection chosen and its events collected from the second read
 * of the inputs; plots_ladder_draw.c judges them (ladder.c) and writes
 * ladder.dat and ladder.gp (template plots/ladder.gp).
 *
 * The picture: the client's line on the left, the server's on the right,
 * the path between them dashed in the middle; time runs down, not to scale
 * (one row per packet, a timeout's gap stretched with its logarithm and
 * labelled in seconds).  A packet that crossed is an arrow from one line to
 * the other; one that was lost ends at the path with a cross; an ICMP
 * message comes back from there.  A single capture sees one end only: the
 * other end's times are drawn one row off.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "correlate.h"
#include "inference.h"
#include "ladder.h"
#include "plots_int.h"
#include "plots_ladder.h"
#include "plots_ladder_int.h"
#include "pmtud.h"
#include "tcp.h"

static const struct flow_summary *find_flow(const struct results *res, uint64_t id)
{
    for (uint32_t i = 0; i < res->nflows; i++)
        if (res->flows[i].id == id)
            return &res->flows[i];
    return NULL;
}

/* An ICMP flow of echo requests (a ping sweep's, pmtud.h), not one of
 * error messages: routers' frag-needed or packet-too-big to a host make an
 * ICMP flow of their own, whose packets are no pings. */
static bool has_pings(const struct report_data *r, const struct flow_summary *f)
{
    if (!is_echo(f) || !r->res->pmtud)
        return false;
    for (int i = 0; i < pmtud_nsweeps(r->res->pmtud); i++) {
        const struct pmtud_sweep *w = pmtud_sweep_get(r->res->pmtud, i);
        if (w->input == f->input && w->requests && !addr_cmp(&w->src, &f->client) &&
            !addr_cmp(&w->dst, &f->server))
            return true;
    }
    return false;
}

/* The first flow an ICMP MTU message quotes that `ok` accepts; NULL when none. */
static const struct flow_summary *quoted_by_icmp(const struct report_data *r,
                                                 bool (*ok)(const struct flow_summary *))
{
    for (int i = 0; i < r->ninputs; i++)
        for (int k = 0; k < r->inputs[i]->nicmp; k++) {
            const struct flow_summary *f = find_flow(r->res, r->inputs[i]->icmp[k].flow);
            if (ok(f))
                return f;
        }
    return NULL;
}

/* The flow `ok` accepts that carried the most bytes; NULL when none. */
static const struct flow_summary *busiest(const struct results *res,
                                          bool (*ok)(const struct flow_summary *))
{
    const struct flow_summary *best = NULL;
    for (uint32_t i = 0; i < res->nflows; i++) {
        const struct flow_summary *f = &res->flows[i];
        if (ok(f) &&
            (!best || f->dir[0].bytes + f->dir[1].bytes > best->dir[0].bytes + best->dir[1].bytes))
            best = f;
    }
    return best;
}

/* The connection drawn (plots_ladder.h says in which order). */
static const struct flow_summary *pick_flow(const struct report_data *r)
{
    const struct results *res = r->res;
    const struct inference *inf = r->inf;
    for (int sev = INF_ERROR; inf && sev <= INF_INFO; sev++)
        for (int i = 0; i < inf->nfindings; i++) {
            const struct inf_finding *fd = &inf->findings[i];
            const struct flow_summary *f = fd->flow ? find_flow(res, fd->flow) : NULL;
            if (fd->severity == sev && is_tcp(f))
                return f;
        }
    for (int i = 0; inf && i < inf->nblackholes; i++) {
        const struct flow_summary *f = find_flow(res, inf->blackholes[i].flow);
        if (is_tcp(f))
            return f;
    }
    const struct flow_summary *best = quoted_by_icmp(r, is_tcp);
    if (best)
        return best;
    for (uint32_t i = 0; i < res->nflows; i++) {
        const struct flow_summary *f = &res->flows[i];
        if (is_tcp(f) && (f->stalled || f->retransmissions))
            return f;
    }
    if ((best = busiest(res, is_tcp)) != NULL)
        return best;
    /* no TCP at all: the pings that went largest (a ping sweep) */
    for (uint32_t i = 0; i < res->nflows; i++) {
        const struct flow_summary *f = &res->flows[i];
        if (has_pings(r, f) && (!best || f->dir[0].max_packet > best->dir[0].max_packet))
            best = f;
    }
    return best;
}

/* The same connection in another capture whose packets were matched with
 * this one's (correlate.h), and that pair's clock offset. */
static const struct flow_summary *pick_twin(const struct report_data *r,
                                            const struct flow_summary *f, int64_t *offset_ns)
{
    const struct correlation *c = r->res->correlation;
    for (uint32_t i = 0; c && i < r->res->nflows; i++) {
        const struct flow_summary *g = &r->res->flows[i];
        if (g->proto != f->proto || g->opaque != f->opaque || (!is_tcp(g) && !is_tunnel(g)) ||
            g->input == f->input || addr_cmp(&g->client, &f->client) != 0 ||
            addr_cmp(&g->server, &f->server) != 0 || g->client_port != f->client_port ||
            g->server_port != f->server_port)
            continue;
        for (int k = 0; k < c->npairs; k++) {
            const struct corr_pair *pr = &c->pairs[k];
            int lo = f->input < g->input ? f->input : g->input;
            int hi = f->input < g->input ? g->input : f->input;
            if (pr->a == lo && pr->b == hi && !pr->failed && pr->matched) {
                *offset_ns = pr->offset_ns;
                return g;
            }
        }
    }
    return NULL;
}

/* No TCP, no ping, one capture: the tunnel the story is about.  The one
 * the analysis found re-sending a size, else one an ICMP MTU message
 * quotes, else the busiest; its run of re-sent datagrams, if any. */
static const struct flow_summary *pick_tunnel(const struct report_data *r, struct plots_ladder *l)
{
    const struct results *res = r->res;
    for (uint32_t i = 0; i < res->nresends; i++) {
        const struct flow_summary *f = find_flow(res, res->resends[i].flow);
        if (is_tunnel(f) && r->inf && inference_blackhole(r->inf, f->id)) {
            l->run = res->resends[i].run;
            l->run_dir = res->resends[i].dir;
            return f;
        }
    }
    const struct flow_summary *f = quoted_by_icmp(r, is_tunnel);
    return f ? f : busiest(res, is_tunnel);
}

struct plots_ladder *plots_ladder_open(const struct report_data *r, const struct plots_inputs *in,
                                       struct plots *p, FILE *err)
{
    struct plots_ladder *l = calloc(1, sizeof *l);
    if (!l) {
        fprintf(err, "mtuscope: out of memory\n");
        return NULL;
    }
    const struct flow_summary *f = NULL;
    if (in->ladder_flow) {
        f = find_flow(r->res, in->ladder_flow);
        if (!is_tcp(f) && !is_echo(f)) {
            char note[PLOTS_TEXT];
            snprintf(note, sizeof note,
                     "--ladder-flow=%" PRIu64 ": %s; the ladder diagram draws the headline "
                     "finding's connection",
                     in->ladder_flow,
                     f ? "not a TCP flow nor pings" : "no such flow in this report");
            fprintf(err, "mtuscope: %s\n", note);
            plots_add_note(p, note);
            f = NULL;
        }
    }
    if (!f)
        f = pick_flow(r);
    int64_t off = 0;
    const struct flow_summary *g = NULL;
    if (!f) { /* no TCP, no ping: a tunnel's datagrams, two captures matched first */
        for (uint32_t i = 0; i < r->res->nflows && !g; i++)
            if (is_tunnel(&r->res->flows[i])) {
                f = &r->res->flows[i];
                g = pick_twin(r, f, &off);
            }
        if (!g)
            f = pick_tunnel(r, l);
        if (!f)
            return l;
    } else {
        g = pick_twin(r, f, &off);
    }
    /* side 0 is the pair's first input: the offset is side 1's clock ahead */
    if (g && g->input < f->input) {
        l->f[0] = g;
        l->f[1] = f;
    } else {
        l->f[0] = f;
        l->f[1] = g;
    }
    l->offset_ns = off;
    /* a single capture without the handshake: where it was taken, from what
     * the inference saw (a suspected black hole is seen by the receiver) */
    const struct inf_blackhole *bh = r->inf ? inference_blackhole(r->inf, f->id) : NULL;
    if (l->run.size)
        l->fallback_vantage = l->run_dir; /* a re-sending tunnel: captured at its sender */
    else if (bh)
        l->fallback_vantage = bh->suspected ? 1 - bh->dir : bh->dir;
    else
        l->fallback_vantage = f->dir[1].bytes > f->dir[0].bytes ? 1 : 0;
    for (int s = 0; s < 2 && l->f[s]; s++) {
        l->ev[s] = malloc(LADDER_MAX_EVENTS * sizeof *l->ev[s]);
        if (!l->ev[s]) {
            fprintf(err, "mtuscope: out of memory\n");
            plots_ladder_free(l);
            return NULL;
        }
    }
    return l;
}

static struct ladder_event *next_event(struct plots_ladder *l, int s)
{
    /* room is left for the holes ladder_judge() inserts */
    if (l->n[s] >= LADDER_MAX_EVENTS / 2) {
        l->full[s] = true;
        return NULL;
    }
    struct ladder_event *e = &l->ev[s][l->n[s]++];
    memset(e, 0, sizeof *e);
    e->side = (uint8_t)s;
    return e;
}

/* The IP layer that carries layer i (the nearest before it, same quoting). */
static const struct layer *ip_before(const struct packet *pkt, int i)
{
    uint8_t quoted = pkt->layers[i].flags & LF_QUOTED;
    for (int k = i - 1; k >= 0; k--) {
        const struct layer *y = &pkt->layers[k];
        if ((y->type == LAYER_IPV4 || y->type == LAYER_IPV6) && (y->flags & LF_QUOTED) == quoted)
            return y;
    }
    return NULL;
}

static void add_tcp(struct plots_ladder *l, int s, const struct packet *pkt,
                    const struct flow_pkt *fp)
{
    int ti = -1;
    for (int i = pkt->nlayers - 1; i >= 0 && ti < 0; i--)
        if (pkt->layers[i].type == LAYER_TCP && !(pkt->layers[i].flags & LF_QUOTED))
            ti = i;
    const struct layer *ip = ti >= 0 ? ip_before(pkt, ti) : NULL;
    if (!ip)
        return;
    struct ladder_event *e = next_event(l, s);
    if (!e)
        return;
    const struct tcp_info *tc = &pkt->layers[ti].u.tcp;
    e->t_ns = pkt->ts_sec * 1000000000LL + pkt->ts_nsec;
    e->frame = pkt->frame;
    e->dir = fp->dir;
    e->kind = LADDER_TCP;
    e->seq = tc->seq;
    e->ack = tc->ack;
    e->flags = tc->flags;
    e->payload_len = tc->payload_len;
    e->mss = (tc->opts & TCPO_MSS) ? tc->mss : 0;
    e->ip_len = ip->u.ip.reasm_len ? ip->u.ip.reasm_len : ip->u.ip.ip_len;
    e->ip_id = ip->u.ip.version == 4 ? ip->u.ip.id + 1 : 0;
    /* bytes below the highest already sent are sent again, whatever the
     * size (a re-send after frag-needed is cut smaller) */
    uint32_t len = ladder_seq_len(e), end = e->seq + len;
    bool *any = &l->sent_any[s][e->dir & 1];
    uint32_t *hi = &l->sent_end[s][e->dir & 1];
    bool below = *any && len && (int32_t)(*hi - e->seq) > 0;
    e->retrans = (fp->ta & TA_ANY_RETRANS) != 0 || below;
    if (len && (!*any || (int32_t)(end - *hi) > 0)) {
        *hi = end;
        *any = true;
    }
}

/* The event of side s for layer i of pkt, a datagram or an echo, with what
 * every such event has: time, frame, direction, kind, and the sizes of the
 * IP header carrying it.  NULL when no IP header carries it or the side's
 * events are full. */
static struct ladder_event *carried_event(struct plots_ladder *l, int s, const struct packet *pkt,
                                          const struct flow_pkt *fp, int i, uint8_t kind)
{
    const struct layer *ip = ip_before(pkt, i);
    struct ladder_event *e = ip ? next_event(l, s) : NULL;
    if (!e)
        return NULL;
    e->t_ns = pkt->ts_sec * 1000000000LL + pkt->ts_nsec;
    e->frame = pkt->frame;
    e->dir = fp->dir;
    e->kind = kind;
    e->ip_len = ip->u.ip.ip_len;
    e->payload_len = ip->u.ip.payload_len;
    return e;
}

/* A datagram of side s's tunnel, with what identifies it in both captures. */
static void add_dgram(struct plots_ladder *l, int s, const struct packet *pkt,
                      const struct flow_pkt *fp)
{
    for (int i = 0; i < pkt->nlayers; i++) {
        const struct layer *y = &pkt->layers[i];
        if (y->flags & LF_QUOTED)
            return;
        if (y->type != LAYER_WIREGUARD && y->type != LAYER_ESP)
            continue;
        struct ladder_event *e = carried_event(l, s, pkt, fp, i, LADDER_DGRAM);
        if (!e)
            return;
        /* a datagram that crossed in fragments (completed here): its size,
         * and the largest fragment, the packet that had to fit */
        const struct layer *ip = ip_before(pkt, i);
        e->df_clear = ip->u.ip.version == 4 && !(ip->u.ip.flags & IPF_DF);
        if (ip->u.ip.reasm_len) {
            e->ip_len = ip->u.ip.reasm_len;
            e->frag_max = ip->u.ip.reasm_wire;
        }
        if (y->type == LAYER_WIREGUARD) {
            e->flags = y->u.wg.msg_type;
            e->seq = (uint32_t)y->u.wg.counter;
            e->ack = (uint32_t)(y->u.wg.counter >> 32);
            e->ip_id = y->u.wg.msg_type == WG_DATA ? y->u.wg.receiver : y->u.wg.sender;
        } else {
            e->seq = y->u.esp.seq;
            e->ip_id = y->u.esp.spi;
        }
        return;
    }
}

/* An echo request or reply of side s's pings. */
static void add_echo(struct plots_ladder *l, int s, const struct packet *pkt,
                     const struct flow_pkt *fp)
{
    for (int i = 0; i < pkt->nlayers; i++) {
        const struct layer *y = &pkt->layers[i];
        if (y->flags & LF_QUOTED)
            return;
        if (y->type != LAYER_ICMP && y->type != LAYER_ICMP6)
            continue;
        bool v6 = y->type == LAYER_ICMP6;
        bool request = y->u.icmp.type == (v6 ? 128 : 8);
        if (!request && y->u.icmp.type != (v6 ? 129 : 0))
            return;
        struct ladder_event *e = carried_event(l, s, pkt, fp, i, LADDER_ECHO);
        if (!e)
            return;
        e->flags = request ? 1 : 0;
        e->seq = y->u.icmp.seq;
        e->ack = y->u.icmp.id;
        return;
    }
}

/* The direction of flow f a quoted packet (IP layer qip, its ports) belongs
 * to, or -1: its addresses, and its ports unless ports is false. */
static int quoted_dir(const struct flow_summary *f, const struct layer *qip, uint16_t sport,
                      uint16_t dport, bool ports)
{
    if (!addr_cmp(&qip->u.ip.src, &f->client) && !addr_cmp(&qip->u.ip.dst, &f->server) &&
        (!ports || (sport == f->client_port && dport == f->server_port)))
        return 0;
    if (!addr_cmp(&qip->u.ip.src, &f->server) && !addr_cmp(&qip->u.ip.dst, &f->client) &&
        (!ports || (sport == f->server_port && dport == f->client_port)))
        return 1;
    return -1;
}

/* ... of a tunnel's flow: its UDP ports when the tunnel rides UDP (an ESP
 * flow has none). */
static int quoted_tunnel_dir(const struct flow_summary *f, const struct packet *pkt,
                             const struct layer *qip, int quote_layer)
{
    int u = pkt_find(pkt, LAYER_UDP, quote_layer);
    uint16_t sp = 0, dp = 0;
    if (u >= 0 && (pkt->layers[u].flags & LF_QUOTED)) {
        sp = pkt->layers[u].u.udp.sport;
        dp = pkt->layers[u].u.udp.dport;
    }
    return quoted_dir(f, qip, sp, dp, f->client_port || f->server_port);
}

/* The event of ICMP MTU message y of pkt (carried by IP layer oip) about a
 * packet of direction dir; NULL when side s's events are full. */
static struct ladder_event *icmp_event(struct plots_ladder *l, int s, const struct packet *pkt,
                                       int dir, const struct layer *oip, const struct layer *y)
{
    struct ladder_event *e = next_event(l, s);
    if (!e)
        return NULL;
    e->t_ns = pkt->ts_sec * 1000000000LL + pkt->ts_nsec;
    e->frame = pkt->frame;
    e->dir = (uint8_t)dir;
    e->kind = LADDER_ICMP;
    e->ip_len = oip->u.ip.ip_len;
    e->mtu = y->u.icmp.mtu;
    e->v6 = y->type == LAYER_ICMP6;
    return e;
}

/* An ICMP frag-needed or packet-too-big quoting a segment of side s's
 * connection (or a datagram of its tunnel): recorded with the quoted
 * packet's direction and sequence (a tunnel's: the quoted size). */
static void add_icmp(struct plots_ladder *l, int s, const struct packet *pkt)
{
    const struct flow_summary *f = l->f[s];
    for (int i = 0; i < pkt->nlayers; i++) {
        const struct layer *y = &pkt->layers[i];
        if (y->flags & LF_QUOTED)
            break;
        bool v4 = y->type == LAYER_ICMP && y->u.icmp.type == 3 && y->u.icmp.code == 4;
        bool v6 = y->type == LAYER_ICMP6 && y->u.icmp.type == 2;
        if (!(v4 || v6) || !y->u.icmp.quote_layer)
            continue;
        if (is_tunnel(f)) {
            int q = y->u.icmp.quote_layer;
            const struct layer *qip = q < pkt->nlayers ? &pkt->layers[q] : NULL;
            const struct layer *oip = ip_before(pkt, i);
            if (!qip || !oip || (qip->type != LAYER_IPV4 && qip->type != LAYER_IPV6))
                return;
            int dir = quoted_tunnel_dir(f, pkt, qip, q);
            struct ladder_event *e = dir >= 0 ? icmp_event(l, s, pkt, dir, oip, y) : NULL;
            if (e)
                e->payload_len = qip->u.ip.ip_len; /* the quoted datagram's size */
            return;
        }
        bool echo = is_echo(f);
        int q = pkt_find(pkt, echo ? (v6 ? LAYER_ICMP6 : LAYER_ICMP) : LAYER_TCP,
                         y->u.icmp.quote_layer);
        if (q < 0 || !(pkt->layers[q].flags & LF_QUOTED))
            return;
        const struct layer *qip = ip_before(pkt, q);
        const struct layer *oip = ip_before(pkt, i);
        if (!qip || !oip)
            return;
        const struct tcp_info *tc = &pkt->layers[q].u.tcp;
        const struct icmp_info *qe = &pkt->layers[q].u.icmp;
        /* a quoted echo request: its id is the flow's "port" */
        uint16_t sport = echo ? qe->id : tc->sport, dport = echo ? qe->id : tc->dport;
        int dir = quoted_dir(f, qip, sport, dport, true);
        struct ladder_event *e = dir >= 0 ? icmp_event(l, s, pkt, dir, oip, y) : NULL;
        if (!e)
            return;
        e->seq = echo ? qe->seq : tc->seq;
        e->ack = echo ? qe->id : tc->ack;
        return;
    }
}

void plots_ladder_packet(struct plots_ladder *l, const struct packet *pkt,
                         const struct flow_pkt *fp)
{
    if (!l || !l->f[0])
        return;
    for (int s = 0; s < 2 && l->f[s]; s++) {
        if (fp->flow == l->f[s]->id) {
            if (is_echo(l->f[s]))
                add_echo(l, s, pkt, fp);
            else if (is_tunnel(l->f[s]))
                add_dgram(l, s, pkt, fp);
            else
                add_tcp(l, s, pkt, fp);
            return;
        }
    }
    for (int s = 0; s < 2 && l->f[s]; s++)
        if (pkt->input == l->f[s]->input &&
            (pkt->layers[0].type != LAYER_TCP)) /* cheap test first: ICMP below */
            if (pkt_find(pkt, LAYER_ICMP, 0) >= 0 || pkt_find(pkt, LAYER_ICMP6, 0) >= 0) {
                add_icmp(l, s, pkt);
                return;
            }
}

bool plots_ladder_enough(const struct plots_ladder *l, const struct packet *pkt)
{
    if (!l || !l->f[0])
        return true; /* no connection to draw */
    if (!pkt)
        return false;
    int64_t t = pkt->ts_sec * 1000000000LL + pkt->ts_nsec;
    for (int s = 0; s < 2 && l->f[s]; s++) {
        const struct flow_summary *f = l->f[s];
        if (l->full[s] || pkt->input > f->input)
            continue; /* the inputs are read in order */
        if (pkt->input < f->input || pkt->frame <= f->last_frame ||
            t <= f->last_ns + LADDER_ICMP_WAIT_NS)
            return false;
    }
    return true;
}

void plots_ladder_free(struct plots_ladder *l)
{
    if (!l)
        return;
    free(l->ev[0]);
    free(l->ev[1]);
    free(l);
}
