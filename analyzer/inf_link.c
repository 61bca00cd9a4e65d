/*
 * inf_link.c - the link-layer collector (infer.h): links and routers that
 * state an MTU outright.
 *
 *  - PPP (over PPPoE or a serial link): a Configure-Request whose MRU option
 *    the peer acknowledges fixes the largest packet the peer may send on the
 *    link (RFC 1661 sections 5.2 and 6.1).  An Ack repeats the Request's
 *    options byte for byte, so the two are matched by identifier and MRU,
 *    sent in opposite directions.  A Request alone, or a Nak, is a wish,
 *    not a fact: no record.
 *  - OSPF: each router's Database Description packets carry its interface
 *    MTU.  Two routers exchanging DBDs with different MTUs never become
 *    adjacent: the one with the smaller MTU rejects the other's DBD (RFC
 *    2328 section 10.6) and both keep re-sending every RxmtInterval.  Equal
 *    MTUs are a stated fact about the link, kept as path evidence.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "infer.h"

/* ---- PPP: the MRU requested and acknowledged ---- */

static bool same_mac(const uint8_t *a, const uint8_t *b)
{
    return memcmp(a, b, 6) == 0;
}

/* Whether m is one of the packets a record's filter selects: the Request
 * of `req` (same sender, session, identifier and MRU) or an Ack of it (from
 * the peer). */
static bool lcp_in_exchange(const struct lcp_mru_msg *req, const struct lcp_mru_msg *m)
{
    if (m->tag || m->pppoe != req->pppoe || (req->pppoe && m->session != req->session) ||
        m->ident != req->ident || m->mru != req->mru || m->has_mac != req->has_mac)
        return false;
    if (m->code == LCP_CONF_REQ)
        return !req->has_mac || same_mac(m->src, req->src);
    if (m->code == LCP_CONF_ACK)
        return !req->has_mac || same_mac(m->src, req->dst);
    return false;
}

/* The Request an Ack acknowledges: the latest before it with the same
 * identifier and MRU, from the Ack's destination. */
static const struct lcp_mru_msg *lcp_request_of(const struct input_stats *s, int ack)
{
    const struct lcp_mru_msg *a = &s->lcp[ack];
    for (int k = ack - 1; k >= 0; k--) {
        const struct lcp_mru_msg *r = &s->lcp[k];
        if (r->tag || r->code != LCP_CONF_REQ || r->ident != a->ident || r->mru != a->mru ||
            r->pppoe != a->pppoe || (a->pppoe && r->session != a->session))
            continue;
        if (a->has_mac && (!r->has_mac || !same_mac(r->src, a->dst) || !same_mac(r->dst, a->src)))
            continue;
        return r;
    }
    return NULL;
}

/* An earlier record already states this MRU for this sender and session. */
static bool lcp_stated(const struct inference *inf, int input, const struct lcp_mru_msg *req)
{
    for (int i = 0; i < inf->nfindings; i++) {
        const struct ev_record *r = &inf->records[i];
        if (r->kind != EV_LINK_MRU || r->input != input)
            continue;
        const struct lcp_mru_msg *o = r->lcp_req;
        if (o->mru == req->mru && o->pppoe == req->pppoe &&
            (!req->pppoe || o->session == req->session) &&
            (!req->has_mac || same_mac(o->src, req->src)))
            return true;
    }
    return false;
}

/* The IP packets the session carried to the end that stated the MRU
 * crossed this link: their paths carry at most the MRU. */
static void lcp_bound_paths(struct inference *inf, const struct input_stats *s,
                            const struct lcp_mru_msg *req, const struct lcp_mru_msg *ack)
{
    if (!req->pppoe || !req->has_mac)
        return;
    for (int i = 0; i < s->npppoe; i++) {
        const struct pppoe_session *x = &s->pppoe[i];
        if (x->session != req->session)
            continue;
        for (int k = 0; k < x->npaths; k++) {
            if (!same_mac(x->paths[k].to_mac, req->src))
                continue;
            struct inf_path *p =
                inf_path_for(inf, &x->paths[k].src, &x->paths[k].dst, INF_OUTER, 0);
            inf_bound_upper(p, req->mru);
            inf_evidence(p,
                         "upper bound %u: the PPPoE link it crosses (session 0x%04x) negotiated "
                         "that MRU with LCP (Configure-Request frame %" PRIu64
                         ", Configure-Ack frame %" PRIu64 ")",
                         req->mru, req->session, req->frame, ack->frame);
        }
    }
}

static void lcp_stage(struct inference *inf, int input, const struct input_stats *s,
                      struct tally *t)
{
    for (int k = 0; k < s->nlcp; k++) {
        const struct lcp_mru_msg *ack = &s->lcp[k];
        if (ack->tag || ack->code != LCP_CONF_ACK)
            continue;
        const struct lcp_mru_msg *req = lcp_request_of(s, k);
        if (!req || lcp_stated(inf, input, req))
            continue;
        struct ev_record r = {.kind = EV_LINK_MRU, .input = input};
        r.lcp_req = req;
        r.lcp_ack = ack;
        r.mtu = req->mru;
        /* every packet of the exchange the filter selects: a re-sent
         * Request keeps its identifier (RFC 1661 section 5.1) */
        for (int j = 0; j < s->nlcp; j++) {
            if (!lcp_in_exchange(req, &s->lcp[j]))
                continue;
            if (r.nframes == EV_MAX_FRAMES) {
                r.bound_frame = r.frames[EV_MAX_FRAMES - 1];
                break;
            }
            ev_frame(&r, s->lcp[j].frame);
        }
        inf_record(inf, &r);
        lcp_bound_paths(inf, s, req, ack);
        t->link_mrus++;
        if (!t->link_mru || req->mru < t->link_mru) {
            t->link_mru = req->mru;
            t->link_pppoe = req->pppoe;
        }
    }
}

/* ---- OSPF: the interface MTU each router states ---- */

/* One router's DBDs to one neighbour (or to a multicast group) at one MTU. */
struct dbd_speaker {
    const struct ospf_dbd_msg *first, *last;
    uint32_t count;
    uint32_t resent; /* DBDs repeating an earlier DD sequence number */
    uint64_t frames[EV_MAX_FRAMES];
    int nframes;
    uint64_t more; /* the first frame past the listed ones, 0 = none */
};

#define MAX_DBD_SPEAKERS 64

static bool multicast(const struct addr *a)
{
    if (a->addr_type == ADDR_TYPE_IP)
        return (a->addr_data8[0] & 0xf0) == 0xe0;
    return a->addr_type == ADDR_TYPE_IP6 && a->addr_data8[0] == 0xff;
}

static int speakers_of(const struct input_stats *s, struct dbd_speaker *sp)
{
    int n = 0;
    for (int k = 0; k < s->ndbd; k++) {
        const struct ospf_dbd_msg *m = &s->dbd[k];
        int i = 0;
        while (i < n &&
               !(sp[i].first->router_id == m->router_id && sp[i].first->version == m->version &&
                 sp[i].first->area == m->area && sp[i].first->mtu == m->mtu &&
                 !addr_cmp(&sp[i].first->src, &m->src) && !addr_cmp(&sp[i].first->dst, &m->dst)))
            i++;
        if (i == n) {
            if (n == MAX_DBD_SPEAKERS)
                continue;
            memset(&sp[n], 0, sizeof sp[n]);
            sp[n++].first = m;
        }
        struct dbd_speaker *x = &sp[i];
        for (int j = 0; j < k; j++) /* a DBD re-sent: the same sequence number again */
            if (&s->dbd[j] != m && s->dbd[j].router_id == m->router_id &&
                s->dbd[j].dd_seq == m->dd_seq && s->dbd[j].flags == m->flags &&
                !addr_cmp(&s->dbd[j].src, &m->src)) {
                x->resent++;
                break;
            }
        x->count++;
        x->last = m;
        if (x->nframes < EV_MAX_FRAMES)
            x->frames[x->nframes++] = m->frame;
        else if (!x->more)
            x->more = m->frame;
    }
    return n;
}

/* Two speakers on one link: addressed to each other, or both to OSPF's
 * multicast groups (point-to-point and broadcast links) in one area. */
static bool neighbours(const struct ospf_dbd_msg *a, const struct ospf_dbd_msg *b)
{
    if (a->router_id == b->router_id || a->version != b->version || a->area != b->area)
        return false;
    if (!addr_cmp(&a->dst, &b->src) && !addr_cmp(&b->dst, &a->src))
        return true;
    return multicast(&a->dst) && multicast(&b->dst) && addr_cmp(&a->src, &b->src);
}

static void ospf_stage(struct inference *inf, int input, const struct input_stats *s,
                       struct tally *t)
{
    struct dbd_speaker sp[MAX_DBD_SPEAKERS];
    int n = speakers_of(s, sp);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            const struct ospf_dbd_msg *a = sp[i].first, *b = sp[j].first;
            if (!neighbours(a, b))
                continue;
            char ra[16], rb[16], sa[64], sb[64];
            snprintf(ra, sizeof ra, "%u.%u.%u.%u", a->router_id >> 24, a->router_id >> 16 & 255,
                     a->router_id >> 8 & 255, a->router_id & 255);
            snprintf(rb, sizeof rb, "%u.%u.%u.%u", b->router_id >> 24, b->router_id >> 16 & 255,
                     b->router_id >> 8 & 255, b->router_id & 255);
            addr_text(&a->src, sa, sizeof sa);
            addr_text(&b->src, sb, sizeof sb);
            /* each interface sends nothing above its MTU, and the smaller
             * one receives nothing above its own: the link carries the
             * smaller of the two, both ways */
            uint32_t link = a->mtu < b->mtu ? a->mtu : b->mtu;
            struct inf_path *p[2] = {inf_path_for(inf, &a->src, &b->src, INF_OUTER, 0),
                                     inf_path_for(inf, &b->src, &a->src, INF_OUTER, 0)};
            for (int d = 0; d < 2; d++) {
                inf_bound_upper(p[d], link);
                inf_evidence(p[d],
                             "OSPF: router %s (%s) states interface MTU %u (frame %" PRIu64
                             "), router %s (%s) %u (frame %" PRIu64 ")%s",
                             ra, sa, a->mtu, a->frame, rb, sb, b->mtu, b->frame,
                             a->mtu == b->mtu ? "" : ": unequal, the adjacency cannot form");
            }
            if (a->mtu == b->mtu)
                continue;
            struct ev_record r = {.kind = EV_OSPF_MTU_MISMATCH, .input = input};
            r.dbd[0] = a;
            r.dbd[1] = b;
            r.count = sp[i].count;
            r.count2 = sp[j].count;
            r.other = (uint64_t)sp[i].resent + sp[j].resent;
            r.mtu = link;
            /* from the first DBD of either to the last: how long it went on */
            const struct ospf_dbd_msg *l1 = sp[i].last, *l2 = sp[j].last;
            const struct ospf_dbd_msg *f0 = a->frame < b->frame ? a : b;
            const struct ospf_dbd_msg *l0 = l1->frame > l2->frame ? l1 : l2;
            r.cost_ns = (l0->ts_sec - f0->ts_sec) * 1000000000LL + l0->ts_nsec - f0->ts_nsec;
            /* both routers' DBDs in frame order, as the filter shows them */
            int x = 0, y = 0;
            while (r.nframes < EV_MAX_FRAMES && (x < sp[i].nframes || y < sp[j].nframes)) {
                if (y >= sp[j].nframes || (x < sp[i].nframes && sp[i].frames[x] < sp[j].frames[y]))
                    ev_frame(&r, sp[i].frames[x++]);
                else
                    ev_frame(&r, sp[j].frames[y++]);
            }
            if (x < sp[i].nframes || y < sp[j].nframes || sp[i].more || sp[j].more)
                r.bound_frame = r.frames[r.nframes - 1];
            inf_record(inf, &r);
            t->ospf_mismatch++;
            if (!t->ospf) {
                t->ospf = a;
                t->ospf_peer = b;
            }
        }
}

void inf_link_stage(struct inference *inf, struct input_stats *const *inputs, int ninputs,
                    struct tally *t)
{
    for (int i = 0; i < ninputs; i++) {
        lcp_stage(inf, i, inputs[i], t);
        ospf_stage(inf, i, inputs[i], t);
    }
}
