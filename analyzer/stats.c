/*
 * stats.c - per-input counters of what the decoder saw.
 *
 * Everything here is O(1) per packet except the stack histogram, which is a
 * linear scan of at most STATS_MAX_STACKS entries; real captures have a
 * handful of distinct stacks and the most recent hit is checked first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

struct input_stats *stats_new(const char *path)
{
    struct input_stats *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->path = strdup(path);
    if (!s->path) {
        stats_free(s);
        return NULL;
    }
    return s;
}

void stats_free(struct input_stats *s)
{
    if (!s)
        return;
    free(s->icmp);
    free(s->lcp);
    free(s->dbd);
    free(s->box);
    free(s->path);
    free(s);
}

void stats_add_copy(struct input_stats *s, bool forwarded, uint64_t frame, uint64_t original)
{
    if (forwarded) {
        if (!s->forwarded++) {
            s->forwarded_frame = frame;
            s->forwarded_of = original;
        }
    } else if (!s->copies++) {
        s->copy_frame = frame;
        s->copy_of = original;
    }
}

void stats_add_linktype(struct input_stats *s, int linktype)
{
    for (int i = 0; i < s->nlinktypes; i++)
        if (s->linktypes[i] == linktype)
            return;
    if (s->nlinktypes < STATS_MAX_LINKTYPES)
        s->linktypes[s->nlinktypes++] = linktype;
}

void stats_add_anomaly(struct input_stats *s, enum anomaly a, uint64_t n)
{
    if ((unsigned)a < AN__COUNT)
        s->anomalies[a] += n;
}

/* Two zero-padded type lists, word by word and without a library call:
 * this runs for every packet. */
static bool types_eq(const uint8_t *a, const uint8_t *b)
{
    uint64_t x[PKT_MAX_LAYERS / 8], y[PKT_MAX_LAYERS / 8];
    memcpy(x, a, sizeof x);
    memcpy(y, b, sizeof y);
    uint64_t diff = 0;
    for (size_t i = 0; i < PKT_MAX_LAYERS / 8; i++)
        diff |= x[i] ^ y[i];
    return diff == 0;
}

/* types: the n layer types of a packet, zero-padded to PKT_MAX_LAYERS,
 * gathered by stats_add_packet's one pass over its layers. */
static void count_stack(struct input_stats *s, int n, const uint8_t *types)
{
    for (int i = 0; i < s->nstacks; i++) {
        struct stack_count *sc = &s->stacks[i];
        if (sc->n == n && types_eq(sc->types, types)) {
            sc->packets++;
            /* keep the table roughly sorted by frequency: one swap per hit */
            if (i > 0 && sc->packets > s->stacks[i - 1].packets) {
                struct stack_count tmp = s->stacks[i - 1];
                s->stacks[i - 1] = *sc;
                *sc = tmp;
            }
            return;
        }
    }
    if (s->nstacks == STATS_MAX_STACKS) {
        s->stacks_other++;
        return;
    }
    struct stack_count *sc = &s->stacks[s->nstacks++];
    sc->n = (uint8_t)n;
    memcpy(sc->types, types, sizeof sc->types);
    sc->packets = 1;
}

void stats_stack_name(const struct stack_count *sc, char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = '\0';
    if (sc->n == 0)
        snprintf(buf, size, "(nothing decoded)");
    for (int i = 0; i < sc->n && n < size; i++) {
        int w = snprintf(buf + n, size - n, "%s%s", i ? "/" : "",
                         layer_name((enum layer_type)sc->types[i]));
        if (w < 0)
            return;
        n += (size_t)w;
    }
}

/* Records an ICMP frag-needed / packet-too-big at layer index i. */
static void note_icmp(struct input_stats *s, const struct packet *p, int i)
{
    const struct layer *l = &p->layers[i];
    const struct icmp_info *ic = &l->u.icmp;
    bool v6 = l->type == LAYER_ICMP6;
    if (v6)
        s->icmp6_packet_too_big++;
    else
        s->icmp_frag_needed++;
    if (s->nicmp == s->cap_icmp) { /* the list grows as messages come */
        int c = s->cap_icmp ? 2 * s->cap_icmp : 16;
        if (c > STATS_MAX_ICMP)
            c = STATS_MAX_ICMP;
        struct icmp_mtu_msg *t = c > s->cap_icmp ? realloc(s->icmp, (size_t)c * sizeof *t) : NULL;
        if (!t) { /* full, or out of memory */
            s->icmp_unlisted++;
            return;
        }
        s->icmp = t;
        s->cap_icmp = c;
    }
    struct icmp_mtu_msg *m = &s->icmp[s->nicmp++];
    memset(m, 0, sizeof *m);
    m->frame = p->frame;
    m->ts_sec = p->ts_sec;
    m->ts_nsec = p->ts_nsec;
    m->mtu = ic->mtu;
    m->v6 = v6;
    m->layer = (uint8_t)i;
    for (int j = i - 1; j >= 0; j--) {
        if (p->layers[j].type == LAYER_IPV4 || p->layers[j].type == LAYER_IPV6) {
            m->from = p->layers[j].u.ip.src;
            break;
        }
    }
    int q = ic->quote_layer;
    if (q > i && q < p->nlayers &&
        (p->layers[q].type == LAYER_IPV4 || p->layers[q].type == LAYER_IPV6)) {
        const struct ip_info *qi = &p->layers[q].u.ip;
        m->qsrc = qi->src;
        m->qdst = qi->dst;
        m->qproto = qi->proto;
        m->quoted_len = qi->ip_len;
        m->quote_equal = qi->ip_len && qi->ip_len == ic->payload_len;
        uint32_t outer = 0;
        for (int j = i - 1; j >= 0 && !outer; j--)
            if (p->layers[j].type == LAYER_IPV4 || p->layers[j].type == LAYER_IPV6)
                outer = p->layers[j].u.ip.ip_len;
        /* RFC 1812 4.3.2.3 / RFC 4443 2.4: as much as fits in 576 / 1280 */
        bool at_limit = outer == (v6 ? 1280u : 576u);
        bool udp_more = q + 1 < p->nlayers && p->layers[q + 1].type == LAYER_UDP &&
                        p->layers[q + 1].u.udp.len > qi->ip_len - qi->hdr_len;
        m->quote_cut = m->quote_equal && (at_limit || udp_more);
        if (q + 1 < p->nlayers) {
            const struct layer *t = &p->layers[q + 1];
            if (t->type == LAYER_TCP) {
                m->qsport = t->u.tcp.sport;
                m->qdport = t->u.tcp.dport;
            } else if (t->type == LAYER_UDP) {
                m->qsport = t->u.udp.sport;
                m->qdport = t->u.udp.dport;
            }
        }
    }
}

/* Room for one more entry in a list that doubles up to `max`: false when
 * full or out of memory (the caller counts it unlisted). */
static bool grow(void **list, int n, int *cap, int max, size_t size)
{
    if (n < *cap)
        return true;
    int c = *cap ? 2 * *cap : 16;
    if (c > max)
        c = max;
    void *t = c > *cap ? realloc(*list, (size_t)c * size) : NULL;
    if (!t)
        return false;
    *list = t;
    *cap = c;
    return true;
}

/* The Ethernet header nearest before layer i (in its tunnel), or NULL. */
static const struct eth_info *eth_before(const struct packet *p, int i)
{
    for (int j = i - 1; j >= 0; j--)
        if (p->layers[j].type == LAYER_ETH)
            return &p->layers[j].u.eth;
    return NULL;
}

/* An LCP option or PPPoE tag stating an MRU, at layer i. */
static void note_lcp(struct input_stats *s, const struct packet *p, int i, bool tag)
{
    if (!grow((void **)&s->lcp, s->nlcp, &s->cap_lcp, STATS_MAX_FACTS, sizeof *s->lcp)) {
        s->facts_unlisted++;
        return;
    }
    struct lcp_mru_msg *m = &s->lcp[s->nlcp++];
    memset(m, 0, sizeof *m);
    m->frame = p->frame;
    m->ts_sec = p->ts_sec;
    m->ts_nsec = p->ts_nsec;
    m->tag = tag;
    const struct layer *l = &p->layers[i];
    if (tag) {
        m->code = l->u.pppoe.code;
        m->mru = l->u.pppoe.max_payload;
        m->pppoe = true;
        m->session = l->u.pppoe.session;
    } else {
        m->code = l->u.lcp.code;
        m->ident = l->u.lcp.ident;
        m->mru = l->u.lcp.mru;
        if (i > 0 && p->layers[i - 1].type == LAYER_PPPOE) {
            m->pppoe = true;
            m->session = p->layers[i - 1].u.pppoe.session;
        }
    }
    const struct eth_info *e = eth_before(p, i);
    if (e) {
        m->has_mac = true;
        memcpy(m->src, e->src, 6);
        memcpy(m->dst, e->dst, 6);
    }
}

static void note_dbd(struct input_stats *s, const struct packet *p, int i)
{
    int ip = i - 1;
    while (ip >= 0 && p->layers[ip].type != LAYER_IPV4 && p->layers[ip].type != LAYER_IPV6)
        ip--; /* AH may sit between (OSPFv3 authentication, RFC 4552) */
    if (ip < 0)
        return;
    if (!grow((void **)&s->dbd, s->ndbd, &s->cap_dbd, STATS_MAX_FACTS, sizeof *s->dbd)) {
        s->facts_unlisted++;
        return;
    }
    const struct ospf_info *o = &p->layers[i].u.ospf;
    struct ospf_dbd_msg *m = &s->dbd[s->ndbd++];
    memset(m, 0, sizeof *m);
    m->frame = p->frame;
    m->ts_sec = p->ts_sec;
    m->ts_nsec = p->ts_nsec;
    m->src = p->layers[ip].u.ip.src;
    m->dst = p->layers[ip].u.ip.dst;
    m->router_id = o->router_id;
    m->area = o->area;
    m->dd_seq = o->dd_seq;
    m->mtu = o->iface_mtu;
    m->version = o->version;
    m->flags = o->dbd_flags;
}

/* A PPPoE session packet at layer i: the session's counts. */
static void note_pppoe(struct input_stats *s, const struct packet *p, int i)
{
    uint16_t id = p->layers[i].u.pppoe.session;
    int k = 0;
    while (k < s->npppoe && s->pppoe[k].session != id)
        k++;
    if (k == s->npppoe) {
        if (k == STATS_MAX_PPPOE) {
            s->pppoe_other++;
            return;
        }
        struct pppoe_session *n = &s->pppoe[s->npppoe++];
        memset(n, 0, sizeof *n);
        n->session = id;
        n->first_frame = p->frame;
        const struct eth_info *e = eth_before(p, i);
        if (e) {
            memcpy(n->mac[0], e->src, 6);
            memcpy(n->mac[1], e->dst, 6);
        }
    }
    struct pppoe_session *x = &s->pppoe[k];
    x->packets++;
    if (i + 1 < p->nlayers &&
        (p->layers[i + 1].type == LAYER_IPV4 || p->layers[i + 1].type == LAYER_IPV6)) {
        x->ip_packets++;
        const struct ip_info *ip = &p->layers[i + 1].u.ip;
        const struct eth_info *e = eth_before(p, i);
        int k2 = 0;
        while (k2 < x->npaths &&
               (addr_cmp(&x->paths[k2].src, &ip->src) || addr_cmp(&x->paths[k2].dst, &ip->dst)))
            k2++;
        if (e && k2 == x->npaths && k2 < STATS_PPPOE_PATHS) {
            x->paths[k2].src = ip->src;
            x->paths[k2].dst = ip->dst;
            memcpy(x->paths[k2].to_mac, e->dst, 6);
            x->npaths++;
        }
        uint32_t len = p->layers[i + 1].u.ip.ip_len;
        if (len > x->largest_ip) {
            x->largest_ip = len;
            x->largest_frame = p->frame;
        }
    }
}

void stats_add_time(struct input_stats *s, const struct packet *p)
{
    s->packets++;
    s->bytes += p->wirelen;
    if (!s->has_time || p->ts_sec < s->first_sec ||
        (p->ts_sec == s->first_sec && p->ts_nsec < s->first_nsec)) {
        s->first_sec = p->ts_sec;
        s->first_nsec = p->ts_nsec;
    }
    if (!s->has_time || p->ts_sec > s->last_sec ||
        (p->ts_sec == s->last_sec && p->ts_nsec > s->last_nsec)) {
        s->last_sec = p->ts_sec;
        s->last_nsec = p->ts_nsec;
    }
    s->has_time = true;
}

void stats_add_packet(struct input_stats *s, const struct packet *p)
{
    stats_add_time(s, p);
    uint64_t an = p->anomalies;
    for (int a = 0; an && a < AN__COUNT; a++, an >>= 1)
        if (an & 1u)
            s->anomalies[a]++;
    if (pkt_has_anomaly(p, AN_TRUNCATED))
        s->truncated++;
    /* "malformed" counts packets a decoder rejected; snap-length truncation
     * reassembly limits and undecoded link types are properties of the
     * capture or of mtuscope, not defects of the packet */
    if (p->anomalies &
        ~((1ull << AN_TRUNCATED) | (1ull << AN_FRAG_LIMIT) | (1ull << AN_UNKNOWN_LINKTYPE)))
        s->malformed++;

    bool ip = false, frag = false, reasm = false;
    uint8_t types[PKT_MAX_LAYERS] = {0};
    for (int i = 0; i < p->nlayers; i++) {
        const struct layer *l = &p->layers[i];
        types[i] = l->type;
        enum layer_place place = (l->flags & LF_QUOTED) ? PLACE_QUOTED
                                 : l->tunnel            ? PLACE_TUNNEL
                                                        : PLACE_OUTER;
        if (l->type < LAYER__COUNT)
            s->layers[place][l->type]++;
        if (l->tunnel > s->max_tunnel_depth)
            s->max_tunnel_depth = l->tunnel;
        if (place == PLACE_QUOTED)
            continue;
        /* one switch on the type (a jump table), not a chain of tests: this
         * runs for every layer of every packet */
        switch (l->type) {
        case LAYER_IPV4:
        case LAYER_IPV6:
            ip = true;
            if (l->u.ip.flags & IPF_FRAGMENT)
                frag = true;
            if (l->u.ip.reasm_len)
                reasm = true;
            break;
        case LAYER_ICMP:
            if (l->u.icmp.type == 3 && l->u.icmp.code == 4)
                note_icmp(s, p, i);
            break;
        case LAYER_ICMP6:
            if (l->u.icmp.type == 2)
                note_icmp(s, p, i);
            break;
        case LAYER_PPPOE:
            if (l->flags & (LF_MALFORMED | LF_TRUNCATED))
                break;
            if (l->u.pppoe.code == 0)
                note_pppoe(s, p, i);
            else if (l->u.pppoe.max_payload)
                note_lcp(s, p, i, true);
            break;
        case LAYER_LCP:
            if (l->u.lcp.mru && !(l->flags & LF_MALFORMED))
                note_lcp(s, p, i, false);
            break;
        case LAYER_OSPF:
            if (l->u.ospf.type == OSPF_DBD && l->u.ospf.iface_mtu)
                note_dbd(s, p, i);
            break;
        default:
            break;
        }
    }
    if (!ip)
        s->not_ip++;
    if (frag)
        s->ip_fragments++;
    if (reasm)
        s->reassembled++;
    count_stack(s, p->nlayers, types);
}

void stats_frag_lost(struct input_stats *s, const struct defrag_stats *ds)
{
    s->nfrag_lost = ds->nlost < DEFRAG_MAX_LOST ? ds->nlost : DEFRAG_MAX_LOST;
    memcpy(s->frag_lost, ds->lost_ex, (size_t)s->nfrag_lost * sizeof *s->frag_lost);
    s->nfrag_cuts = ds->ncuts < DEFRAG_MAX_CUTS ? ds->ncuts : DEFRAG_MAX_CUTS;
    memcpy(s->frag_cuts, ds->cuts, (size_t)s->nfrag_cuts * sizeof *s->frag_cuts);
    s->nfrag_arrived = ds->narrived < DEFRAG_MAX_CUTS ? ds->narrived : DEFRAG_MAX_CUTS;
    memcpy(s->frag_arrived, ds->arrived, (size_t)s->nfrag_arrived * sizeof *s->frag_arrived);
    s->frag_complete_fresh = ds->complete_fresh;
    s->frag_lost_by_size = ds->lost_by_size;
    s->frag_fresh_nonlast = ds->fresh_nonlast;
    s->frag_fresh_frame = ds->fresh_frame;
}
