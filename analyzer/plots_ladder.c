/*
 * plots_ladder.c - the ladder diagram chart (plots_ladder.h): the events of
 * one TCP connection collected from the second read of the inputs, judged
 * and chosen by ladder.c, written as ladder.dat and ladder.gp (template
 * plots/ladder.gp).
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
#include "pmtud.h"
#include "tcp.h"

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

static const struct flow_summary *find_flow(const struct results *res, uint64_t id)
{
    for (uint32_t i = 0; i < res->nflows; i++)
        if (res->flows[i].id == id)
            return &res->flows[i];
    return NULL;
}

static bool is_tcp(const struct flow_summary *f)
{
    return f && f->proto == IP_PROTO_TCP;
}

/* The datagrams of an encrypted tunnel, seen from outside (WireGuard,
 * ESP): matched across two captures, what became of each is measured; in
 * one capture only the analysis' re-sent run says which did not cross. */
static bool is_tunnel(const struct flow_summary *f)
{
    return f && (f->opaque == LAYER_WIREGUARD || f->opaque == LAYER_ESP);
}

/* An ICMP echo flow (its "ports" are the echo id). */
static bool is_echo(const struct flow_summary *f)
{
    return f && (f->proto == IP_PROTO_ICMP || f->proto == IP_PROTO_ICMPV6) && f->dir[0].packets;
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
    for (int i = 0; i < r->ninputs; i++)
        for (int k = 0; k < r->inputs[i]->nicmp; k++) {
            const struct flow_summary *f = find_flow(res, r->inputs[i]->icmp[k].flow);
            if (is_tcp(f))
                return f;
        }
    const struct flow_summary *best = NULL;
    for (uint32_t i = 0; i < res->nflows; i++) {
        const struct flow_summary *f = &res->flows[i];
        if (is_tcp(f) && (f->stalled || f->retransmissions))
            return f;
        if (is_tcp(f) &&
            (!best || f->dir[0].bytes + f->dir[1].bytes > best->dir[0].bytes + best->dir[1].bytes))
            best = f;
    }
    if (best)
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
    for (int i = 0; i < r->ninputs; i++)
        for (int k = 0; k < r->inputs[i]->nicmp; k++) {
            const struct flow_summary *f = find_flow(res, r->inputs[i]->icmp[k].flow);
            if (is_tunnel(f))
                return f;
        }
    const struct flow_summary *best = NULL;
    for (uint32_t i = 0; i < res->nflows; i++) {
        const struct flow_summary *f = &res->flows[i];
        if (is_tunnel(f) &&
            (!best || f->dir[0].bytes + f->dir[1].bytes > best->dir[0].bytes + best->dir[1].bytes))
            best = f;
    }
    return best;
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

/* The direction of side s's tunnel flow a quoted outer packet (IP layer
 * qip) belongs to, or -1: its addresses, and its UDP ports when the tunnel
 * rides UDP (an ESP flow has none). */
static int quoted_tunnel_dir(const struct flow_summary *f, const struct packet *pkt,
                             const struct layer *qip, int quote_layer)
{
    int u = pkt_find(pkt, LAYER_UDP, quote_layer);
    uint16_t sp = 0, dp = 0;
    if (u >= 0 && (pkt->layers[u].flags & LF_QUOTED)) {
        sp = pkt->layers[u].u.udp.sport;
        dp = pkt->layers[u].u.udp.dport;
    }
    bool ports = f->client_port || f->server_port;
    if (!addr_cmp(&qip->u.ip.src, &f->client) && !addr_cmp(&qip->u.ip.dst, &f->server) &&
        (!ports || (sp == f->client_port && dp == f->server_port)))
        return 0;
    if (!addr_cmp(&qip->u.ip.src, &f->server) && !addr_cmp(&qip->u.ip.dst, &f->client) &&
        (!ports || (sp == f->server_port && dp == f->client_port)))
        return 1;
    return -1;
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
            struct ladder_event *e = dir >= 0 ? next_event(l, s) : NULL;
            if (!e)
                return;
            e->t_ns = pkt->ts_sec * 1000000000LL + pkt->ts_nsec;
            e->frame = pkt->frame;
            e->dir = (uint8_t)dir;
            e->kind = LADDER_ICMP;
            e->ip_len = oip->u.ip.ip_len;
            e->payload_len = qip->u.ip.ip_len; /* the quoted datagram's size */
            e->mtu = y->u.icmp.mtu;
            e->v6 = v6;
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
        int dir;
        if (!addr_cmp(&qip->u.ip.src, &f->client) && !addr_cmp(&qip->u.ip.dst, &f->server) &&
            sport == f->client_port && dport == f->server_port)
            dir = 0;
        else if (!addr_cmp(&qip->u.ip.src, &f->server) && !addr_cmp(&qip->u.ip.dst, &f->client) &&
                 sport == f->server_port && dport == f->client_port)
            dir = 1;
        else
            return;
        struct ladder_event *e = next_event(l, s);
        if (!e)
            return;
        e->t_ns = pkt->ts_sec * 1000000000LL + pkt->ts_nsec;
        e->frame = pkt->frame;
        e->dir = (uint8_t)dir;
        e->kind = LADDER_ICMP;
        e->seq = echo ? qe->seq : tc->seq;
        e->ack = echo ? qe->id : tc->ack;
        e->ip_len = oip->u.ip.ip_len;
        e->mtu = y->u.icmp.mtu;
        e->v6 = v6;
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

void plots_ladder_free(struct plots_ladder *l)
{
    if (!l)
        return;
    free(l->ev[0]);
    free(l->ev[1]);
    free(l);
}

/* ------------------------------------------------------------ drawing */

enum style {
    ST_NONE,     /* the placeholder row every block starts with */
    ST_DATA,     /* data that crossed */
    ST_LOST,     /* lost on the way */
    ST_CONTROL,  /* handshake, ACKs, FIN */
    ST_ICMP,     /* frag-needed / packet-too-big */
    ST_NOANSWER, /* never acknowledged, nothing heard after it */
    ST_HOLE,     /* bytes that never arrived */
    ST_HEALED,   /* data re-sent that crossed */
};

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static void event_label1(const struct ladder_event *e, char *buf, size_t size);

static void event_label(const struct ladder_event *e, char *buf, size_t size)
{
    event_label1(e, buf, size);
    if (e->repeat > 1) {
        size_t len = strlen(buf);
        snprintf(buf + len, size - len, " (x%u)", e->repeat);
    }
}

static void event_label1(const struct ladder_event *e, char *buf, size_t size)
{
    if (e->kind == LADDER_DGRAM) {
        static const char *const wg[] = {"", "WG handshake", "WG handshake reply", "WG cookie"};
        char frag[48] = "";
        if (e->frag_max)
            snprintf(frag, sizeof frag, " cut to %u B fragments", e->frag_max);
        snprintf(buf, size, "%s%s%u B%s%s", e->flags && e->flags < 4 ? wg[e->flags] : "",
                 e->flags && e->flags < 4 ? ", " : "", e->ip_len, frag,
                 e->fate == LADDER_LOST         ? ", lost"
                 : e->fate == LADDER_UNANSWERED ? ", not seen at the other end"
                                                : "");
        return;
    }
    if (e->kind == LADDER_ICMP) {
        if (e->mtu)
            snprintf(buf, size, "%s: MTU %u", e->v6 ? "packet-too-big" : "frag-needed", e->mtu);
        else
            snprintf(buf, size, "%s (no MTU given)", e->v6 ? "packet-too-big" : "frag-needed");
        return;
    }
    if (e->kind == LADDER_HOLE) {
        snprintf(buf, size, "%u bytes never arrived", e->payload_len);
        return;
    }
    if (e->kind == LADDER_ECHO) {
        snprintf(buf, size, "%s %u B%s", e->flags ? "ping" : "reply", e->ip_len,
                 e->fate == LADDER_LOST         ? ", no reply"
                 : e->fate == LADDER_UNANSWERED ? ", no reply yet"
                                                : "");
        return;
    }
    const char *fate = e->fate == LADDER_LOST         ? ", lost"
                       : e->fate == LADDER_UNANSWERED ? ", no ACK"
                                                      : "";
    if (e->flags & TCPF_SYN) {
        char mss[48] = "";
        if (e->mss && e->mss2 && e->mss2 != e->mss) /* rewritten on the way: a clamp */
            snprintf(mss, sizeof mss, ", MSS %u, arrives as %u", e->mss, e->mss2);
        else if (e->mss)
            snprintf(mss, sizeof mss, ", MSS %u", e->mss);
        snprintf(buf, size, "%s%s%s%s", (e->flags & TCPF_ACK) ? "SYN-ACK" : "SYN", mss,
                 e->retrans ? " again" : "", fate);
    } else if (e->flags & TCPF_RST) {
        snprintf(buf, size, "RST");
    } else if (e->payload_len) {
        snprintf(buf, size, "%u B%s%s%s", e->ip_len, (e->flags & TCPF_FIN) ? " +FIN" : "",
                 e->retrans ? " re-sent" : "", fate);
    } else if (e->flags & TCPF_FIN) {
        snprintf(buf, size, "FIN%s", fate);
    } else {
        snprintf(buf, size, "ACK");
    }
}

static enum style event_style(const struct ladder_event *e)
{
    if (e->kind == LADDER_ICMP)
        return ST_ICMP;
    if (e->kind == LADDER_HOLE)
        return ST_HOLE;
    if (e->fate == LADDER_LOST)
        return ST_LOST;
    if (e->fate == LADDER_UNANSWERED)
        return ST_NOANSWER;
    if (!e->payload_len)
        return ST_CONTROL;
    return e->retrans ? ST_HEALED : ST_DATA;
}

struct geometry {
    double x1, y1, x2, y2;
    bool cross; /* ends on the path with a cross */
};

/* Where an event's arrow goes: lanes x 0 (client), 0.5 (the path), 1
 * (server); row y.  Seen leaving, it starts at its row; seen arriving, it
 * ends there. */
static struct geometry place(const struct ladder_event *e, double y, const struct ladder_event *ev,
                             const size_t *keep, const double *rows, size_t k)
{
    struct geometry g;
    double from = e->dir == 0 ? 0 : 1, to = 1 - from;
    g.cross = false;
    if (e->kind == LADDER_HOLE) {
        g.x1 = from;
        g.y1 = y - LADDER_SLOPE;
        g.x2 = 0.5;
        g.y2 = y - LADDER_SLOPE / 2;
        g.cross = true;
        return g;
    }
    if (e->kind == LADDER_ICMP) {
        /* back to the sender of the quoted segment, from where that segment
         * ended when it is drawn lost */
        g.x1 = 0.5;
        g.y1 = y - LADDER_SLOPE / 2;
        for (size_t i = k; i-- > 0;) {
            const struct ladder_event *q = &ev[keep[i]];
            uint32_t end = q->repeat > 1 ? q->seq_end : q->seq + ladder_seq_len(q);
            bool same = q->kind == LADDER_ECHO ? q->flags && q->seq == e->seq
                        : q->kind == LADDER_DGRAM
                            ? q->ip_len == e->payload_len && !q->frag_max
                            : q->kind == LADDER_TCP && (int32_t)(e->seq - q->seq) >= 0 &&
                                  (int32_t)(end - e->seq) > 0;
            if (same && q->dir == e->dir && q->fate != LADDER_ARRIVED) {
                if (q->fate == LADDER_LOST || q->fate == LADDER_UNANSWERED)
                    g.y1 = rows[i] + LADDER_SLOPE / 2;
                break;
            }
        }
        g.x2 = from;
        g.y2 = y;
        return g;
    }
    if (e->fate == LADDER_ARRIVED) {
        g.x1 = from;
        g.y1 = y - LADDER_SLOPE;
        g.x2 = to;
        g.y2 = y;
        return g;
    }
    g.x1 = from;
    g.y1 = y;
    if (e->fate == LADDER_LOST || e->fate == LADDER_UNANSWERED) {
        g.x2 = 0.5;
        g.y2 = y + LADDER_SLOPE / 2;
        g.cross = e->fate == LADDER_LOST;
    } else {
        g.x2 = to;
        g.y2 = y + LADDER_SLOPE;
    }
    return g;
}

static void lane_heading(FILE *gp, int id, double x, const char *role, const struct addr *a,
                         uint16_t port, const char *capture)
{
    char ab[64], line[128];
    addr_text(a, ab, sizeof ab);
    bool v6 = a->addr_type == ADDR_TYPE_IP6;
    if (port)
        snprintf(line, sizeof line, "%s%s%s:%u", v6 ? "[" : "", ab, v6 ? "]" : "", port);
    else /* pings: no port */
        snprintf(line, sizeof line, "%s", ab);
    fprintf(gp, "set label %d \"%s\\n\".", id, role);
    plots_gp_string(gp, line);
    fprintf(gp, " at %.2f, first -2.6 center font ',18' noenhanced front\n", x);
    if (capture) {
        /* the file name stays a single-quoted string */
        fprintf(gp, "set label %d \"captured here:\\n\".", id + 10);
        plots_gp_string(gp, capture);
        fprintf(gp, " at %.2f, first -1.2 center font ',11' tc rgb '#555555' noenhanced front\n",
                x);
    }
}

/* The events to draw, judged: one capture's, or two matched.  *n_out;
 * *pair: from two captures; lanes: vantage host per side.  NULL when out
 * of memory. */
static struct ladder_event *judged_events(struct plots_ladder *l, size_t *n_out, bool *pair,
                                          int vantage[2])
{
    *pair = l->f[1] && l->n[1] && l->n[0];
    if (!*pair) {
        int s = l->n[0] || !l->f[1] ? 0 : 1;
        vantage[s] = ladder_vantage(l->ev[s], l->n[s], l->fallback_vantage);
        vantage[1 - s] = 1 - vantage[s];
        size_t n = ladder_judge(l->ev[s], l->n[s], LADDER_MAX_EVENTS, vantage[s]);
        if (l->run.size)
            ladder_mark_resent(l->ev[s], n, l->run_dir, l->run.size, l->run.first_ns,
                               l->run.last_ns);
        if (is_tunnel(l->f[s]))
            ladder_mark_refused(l->ev[s], n);
        *n_out = ladder_collapse(l->ev[s], n);
        return l->ev[s];
    }
    size_t cap = l->n[0] + l->n[1];
    struct ladder_event *m = malloc((cap + 1) * sizeof *m);
    if (!m)
        return NULL;
    int client_side;
    *n_out = ladder_collapse(
        m, ladder_match(l->ev[0], l->n[0], l->ev[1], l->n[1], l->offset_ns, m, cap, &client_side));
    if (client_side < 0) /* unknown: where the handshake says */
        client_side = ladder_vantage(l->ev[0], l->n[0], 0) == 0 ? 0 : 1;
    vantage[client_side] = 0;
    vantage[1 - client_side] = 1;
    return m;
}

static bool write_empty(const char *dir, const char *tdir, const struct report_data *r,
                        struct plots *p, FILE *err)
{
    bool opaque = false; /* the connections ride inside an encrypted tunnel */
    for (uint32_t i = 0; i < r->res->nflows; i++)
        opaque |= r->res->flows[i].opaque != 0;
    const char *name = "ladder";
    FILE *dat = plots_open_out(dir, name, "dat", err);
    if (!dat)
        return false;
    fprintf(dat, "# no TCP connection or ping to draw\n0 0 0 0 0 0\n\n\n0 0 0 \"\" 0\n\n\n0 "
                 "0\n\n\n0 0 0 \"\"\n");
    if (!plots_close_out(dat, dir, name, "dat", err))
        return false;
    const char *title = "Ladder diagram: no TCP connection or ping in this capture";
    FILE *gp = plots_gp_begin(dir, name, "ladder", title, false, err);
    if (!gp)
        return false;
    fprintf(gp, "ymax = 4\nheight = 700\n");
    if (opaque)
        fprintf(gp, "set label 7 'the connections ride inside an encrypted tunnel: capture the "
                    "tunnel interface to see them' at 0.5, first 2.6 center font ',14'\n");
    if (!plots_gp_finish(gp, dir, name, tdir, "ladder", err))
        return false;
    plots_add_chart(p, name, title,
                    opaque ? "No TCP connection is visible here: the traffic is inside an "
                             "encrypted tunnel; a capture of the tunnel interface shows it."
                           : "No TCP connection or ping in this capture, so there is no "
                             "exchange to draw.");
    return true;
}

bool plots_ladder_write(struct plots_ladder *l, const char *dir, const char *tdir,
                        const struct report_data *r, struct plots *p, FILE *err)
{
    if (!l || !l->f[0])
        return write_empty(dir, tdir, r, p, err);
    size_t n;
    bool pair;
    int vantage[2] = {0, 1};
    struct ladder_event *ev = judged_events(l, &n, &pair, vantage);
    if (!ev) {
        fprintf(err, "mtuscope: out of memory\n");
        return false;
    }
    size_t keep[LADDER_MAX_ARROWS];
    uint32_t skipped[LADDER_MAX_ARROWS];
    int64_t t[LADDER_MAX_ARROWS];
    double rows[LADDER_MAX_ARROWS];
    size_t k = ladder_select(ev, n, LADDER_MAX_ARROWS, keep, skipped);
    for (size_t i = 0; i < k; i++)
        t[i] = ev[keep[i]].t_ns;
    ladder_rows(t, skipped, k, rows);
    double ymax = k ? rows[k - 1] + LADDER_SLOPE : 1;
    int64_t t0 = n ? ev[0].t_ns : 0;
    const struct flow_summary *f = l->f[0];
    bool ok = false;

    const char *name = "ladder";
    FILE *dat = plots_open_out(dir, name, "dat", err);
    if (!dat)
        goto out;
    fprintf(dat,
            "# ladder diagram of flow #%" PRIu64 "%s: x 0 client, 0.5 the path, 1 server; "
            "y rows down in time\n# index 0 arrows: x1 y1 x2 y2 style (1 data, 2 lost, 3 "
            "control, 4 ICMP, 5 unanswered, 6 hole, 7 re-sent data that crossed) frame\n",
            f->id, pair ? " (two captures matched)" : "");
    fprintf(dat, "0 0 0 0 0 0\n");
    for (size_t i = 0; i < k; i++) {
        const struct ladder_event *e = &ev[keep[i]];
        struct geometry g = place(e, rows[i], ev, keep, rows, i);
        fprintf(dat, "%.3f %.3f %.3f %.3f %d %" PRIu64 "\n", g.x1, g.y1, g.x2, g.y2,
                (int)event_style(e), e->frame);
    }
    fprintf(dat, "\n\n# index 1 arrow labels: x y style text align (0 centre, 1 right, 2 "
                 "left)\n0 0 0 \"\" 0\n");
    for (size_t i = 0; i < k; i++) {
        const struct ladder_event *e = &ev[keep[i]];
        struct geometry g = place(e, rows[i], ev, keep, rows, i);
        char label[96];
        event_label(e, label, sizeof label);
        /* near the start of the arrow, where arrows from the other side
         * do not pass */
        /* a short arrow (ending on the path): its middle, clear of the lane */
        double at = g.x2 == 0.5 ? 0.5 : 0.3;
        double fx = g.x1 + (g.x2 - g.x1) * at, fy = g.y1 + (g.y2 - g.y1) * at - 0.3;
        int align = 0; /* centred above the arrow */
        if (e->kind == LADDER_ICMP) {
            /* beside the path, on the side no arrow of the loss crosses */
            fx = 0.5 + (g.x2 > 0.5 ? -0.02 : 0.02);
            fy = g.y1 + 0.15;
            align = g.x2 > 0.5 ? 1 : 2;
        }
        fprintf(dat, "%.3f %.3f %d \"%s\" %d\n", fx, fy, (int)event_style(e), label, align);
    }
    fprintf(dat, "\n\n# index 2 losses on the path: x y\n0 -100\n");
    for (size_t i = 0; i < k; i++) {
        struct geometry g = place(&ev[keep[i]], rows[i], ev, keep, rows, i);
        if (g.cross)
            fprintf(dat, "%.3f %.3f\n", g.x2, g.y2);
    }
    fprintf(dat, "\n\n# index 3 time axis: x y kind (0 time, 1 gap, 2 packets not drawn) "
                 "text\n0 -100 0 \"\"\n");
    for (size_t i = 0; i < k; i++) {
        double rel = (double)(t[i] - t0) / 1e9;
        if (rel < 1)
            fprintf(dat, "-0.04 %.3f 0 \"%.1f ms\"\n", rows[i], rel * 1e3);
        else
            fprintf(dat, "-0.04 %.3f 0 \"%.3f s\"\n", rows[i], rel);
        if (i && t[i] - t[i - 1] >= LADDER_STRETCH_NS)
            fprintf(dat, "-0.22 %.3f 1 \"+%.2f s\"\n", (rows[i] + rows[i - 1]) / 2,
                    (double)(t[i] - t[i - 1]) / 1e9);
        if (i && skipped[i]) /* before the first arrow: the window's start */
            fprintf(dat, "0.5 %.3f 2 \"... %u packet%s not drawn ...\"\n", rows[i] - 1.1,
                    skipped[i], skipped[i] == 1 ? "" : "s");
    }
    if (!plots_close_out(dat, dir, name, "dat", err))
        goto out;

    char a[64], b[64], title[PLOTS_TEXT], what[PLOTS_TEXT];
    uint64_t first = k ? ev[keep[0]].frame : 0, last = k ? ev[keep[k - 1]].frame : 0;
    size_t nlost = 0;
    for (size_t i = 0; i < k; i++)
        nlost += ev[keep[i]].fate == LADDER_LOST;
    if (is_tunnel(f) && f->opaque == LAYER_ESP) /* one SA, one way: its SPI names it */
        snprintf(title, sizeof title,
                 "Ladder diagram, flow #%" PRIu64 ": ESP SPI 0x%08x %s -> %s (%s)", f->id, f->spi,
                 addr_text(&f->client, a, sizeof a), addr_text(&f->server, b, sizeof b),
                 pair ? "two captures matched" : "one capture");
    else if (is_tunnel(f))
        snprintf(title, sizeof title,
                 "Ladder diagram, flow #%" PRIu64 ": WireGuard %s:%u <-> %s:%u (%s)", f->id,
                 addr_text(&f->client, a, sizeof a), f->client_port,
                 addr_text(&f->server, b, sizeof b), f->server_port,
                 pair ? "two captures matched" : "one capture");
    else if (is_echo(f))
        snprintf(title, sizeof title,
                 "Ladder diagram, flow #%" PRIu64 ": pings from %s to %s (echo id %u%s)", f->id,
                 addr_text(&f->client, a, sizeof a), addr_text(&f->server, b, sizeof b),
                 f->client_port, l->full[0] ? ", the first ones" : "");
    else
        snprintf(title, sizeof title, "Ladder diagram, flow #%" PRIu64 ": %s:%u <-> %s:%u (%s%s)",
                 f->id, addr_text(&f->client, a, sizeof a), f->client_port,
                 addr_text(&f->server, b, sizeof b), f->server_port,
                 pair ? "two captures matched" : "one capture",
                 l->full[0] || l->full[1] ? ", its first packets" : "");
    snprintf(what, sizeof what,
             "Time runs down, long gaps stretched; each arrow a packet and its IP size (frames "
             "%" PRIu64 "-%" PRIu64 "); red: lost (%zu), ending on the path; purple: ICMP; %s.",
             first, last, nlost, pair ? "both ends captured: losses measured" : "one end captured");
    FILE *gp = plots_gp_begin(dir, name, "ladder", title, k > 0, err);
    if (!gp)
        goto out;
    int height = (int)(220 + 34 * (ymax + 3));
    height = height < 700 ? 700 : height > 1800 ? 1800 : height;
    fprintf(gp, "ymax = %.3f\nheight = %d\n", ymax, height);
    const char *cap[2] = {NULL, NULL}; /* the capture at the client, at the server */
    for (int s = 0; s < 2 && l->f[s]; s++)
        if (pair || l->n[s] || s == 0)
            cap[vantage[s]] = base_name(r->inputs[l->f[s]->input]->path);
    if (!pair) /* one capture: only its own end */
        cap[1 - vantage[l->n[0] || !l->f[1] ? 0 : 1]] = NULL;
    bool echo = is_echo(f);
    lane_heading(gp, 1, 0, echo ? "pinging" : "client", &f->client, echo ? 0 : f->client_port,
                 cap[0]);
    lane_heading(gp, 2, 1, echo ? "pinged" : "server", &f->server, echo ? 0 : f->server_port,
                 cap[1]);
    fprintf(gp,
            "set label 3 \"the path\\n%s\" at 0.5, first -2.6 center font ',14' "
            "tc rgb '#555555' front\n",
            pair ? "(between the captures)" : "(where the bottleneck is)");
    if (!plots_gp_finish(gp, dir, name, tdir, "ladder", err))
        goto out;
    plots_add_chart(p, name, title, what);
    ok = true;
out:
    if (pair)
        free(ev);
    return ok;
}
