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

/* types: the n layer types of a packet, gathered by stats_add_packet's one
 * pass over its layers. */
static void count_stack(struct input_stats *s, int n, const uint8_t *types)
{
    for (int i = 0; i < s->nstacks; i++) {
        struct stack_count *sc = &s->stacks[i];
        if (sc->n == n && memcmp(sc->types, types, (size_t)n) == 0) {
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
    memcpy(sc->types, types, (size_t)n);
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

void stats_add_packet(struct input_stats *s, const struct packet *p)
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
    uint8_t types[PKT_MAX_LAYERS];
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
        if (l->type == LAYER_IPV4 || l->type == LAYER_IPV6) {
            ip = true;
            if (l->u.ip.flags & IPF_FRAGMENT)
                frag = true;
            if (l->u.ip.reasm_len)
                reasm = true;
        } else if (l->type == LAYER_ICMP && l->u.icmp.type == 3 && l->u.icmp.code == 4) {
            note_icmp(s, p, i);
        } else if (l->type == LAYER_ICMP6 && l->u.icmp.type == 2) {
            note_icmp(s, p, i);
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
}
