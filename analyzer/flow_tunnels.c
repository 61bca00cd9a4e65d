/* flow_tunnels.c - the tunnel registry of the flow table (flow_int.h). */
#include <stdlib.h>
#include <string.h>

#include "flow_int.h"

void flow_tun_init(struct flow_tunnels *r, struct flow_stats *st)
{
    memset(r, 0, sizeof *r);
    ht_init(&r->index);
    r->st = st;
}

void flow_tun_free(struct flow_tunnels *r)
{
    ht_free(&r->index);
    free(r->e);
    r->e = NULL;
    r->n = r->cap = 0;
}

/* Room for one more entry. */
static bool tun_grow(struct flow_tunnels *r)
{
    if (r->n == r->cap) {
        uint32_t cap = r->cap ? r->cap * 2 : 16;
        struct tun_entry *e = realloc(r->e, cap * sizeof *e);
        if (!e)
            return false;
        r->e = e;
        r->cap = cap;
    }
    return true;
}

uint32_t flow_tun_id(struct flow_tunnels *r, uint8_t type, const struct layer *outer,
                     uint8_t inner_version, uint16_t sport, uint16_t dport, uint32_t key)
{
    uint8_t k[48] = {0};
    uint8_t a[2][16];
    /* A decoded tunnel's UDP source port is a hash of the inner flow, and
     * Linux rehashes it when a connection retransmits (sk_rethink_txhash):
     * ports key only the opaque tunnels, which are UDP flows themselves. */
    bool opaque = type == LAYER_WIREGUARD || type == LAYER_OPENVPN || type == LAYER_ESP;
    uint16_t port[2] = {opaque ? sport : 0, opaque ? dport : 0};
    addr_bytes(&outer->u.ip.src, a[0]);
    addr_bytes(&outer->u.ip.dst, a[1]);
    normalise(a[0], a[1], &port[0], &port[1]);
    memcpy(k, a, 32);
    memcpy(k + 32, port, 4);
    memcpy(k + 36, &key, 4);
    k[40] = type;
    k[41] = outer->u.ip.version;
    k[42] = inner_version;
    uint64_t h = hash_bytes_inline(r->index.seed, k, sizeof k);
    struct ht_probe pr;
    for (uint32_t id = ht_first(&r->index, h, &pr); id != HT_NONE; id = ht_next(&r->index, &pr))
        if (memcmp(r->e[id - 1].k, k, sizeof k) == 0)
            return id;
    if (r->n >= FLOW_MAX_TUNNELS || !tun_grow(r) || !ht_insert(&r->index, h, r->n + 1)) {
        r->st->tunnels_unregistered++;
        return 0;
    }
    struct tun_entry *e = &r->e[r->n++];
    memset(e, 0, sizeof *e);
    memcpy(e->k, k, sizeof k);
    e->t.id = r->n;
    e->t.type = type;
    e->t.ip_version = outer->u.ip.version;
    e->t.inner_version = inner_version;
    e->t.outer_src = outer->u.ip.src;
    e->t.outer_dst = outer->u.ip.dst;
    e->t.sport = sport;
    e->t.dport = dport;
    e->t.key = key;
    r->st->tunnels = r->n;
    return e->t.id;
}

/* The key of tunnel layer t: GRE key, VNI, TEID, L2TP tunnel<<16|session. */
static uint32_t layer_key(const struct layer *t)
{
    switch (t->type) {
    case LAYER_GRE:
        return (t->u.gre.flags & GREF_KEY) ? t->u.gre.key : 0;
    case LAYER_VXLAN:
        return t->u.vxlan.vni;
    case LAYER_GENEVE:
        return t->u.geneve.vni;
    case LAYER_GTPU:
        return t->u.gtpu.teid;
    case LAYER_L2TP:
        return (uint32_t)t->u.l2tp.tunnel << 16 | t->u.l2tp.session;
    default:
        return 0;
    }
}

/* A packet of tunnel id, whose inner IP layer is in and outer out. */
static void tun_count(struct flow_tunnels *r, uint32_t id, const struct ip_info *in,
                      const struct ip_info *out)
{
    struct flow_tunnel *t = &r->e[id - 1].t;
    uint16_t isz = ip_size(in), osz = ip_size(out);
    if (t->packets++ == 0 && osz > isz)
        t->overhead = (uint16_t)(osz - isz);
    if (isz > t->inner_max)
        t->inner_max = isz;
}

/* The nearest tunnel layer before IP layer i and that layer's outer IP, or
 * the IP layer right before it (IP-in-IP). */
uint32_t flow_tun_enclosing(struct flow_tunnels *r, const struct packet *p, int i, bool count)
{
    if (p->layers[i].tunnel == 0)
        return 0;
    int tl = -1;
    uint16_t sport = 0, dport = 0;
    uint8_t type = 0;
    for (int j = i - 1; j >= 0; j--) {
        const struct layer *l = &p->layers[j];
        switch (l->type) {
        case LAYER_GRE:
        case LAYER_VXLAN:
        case LAYER_GENEVE:
        case LAYER_GTPU:
        case LAYER_L2TP:
        case LAYER_TEREDO:
            if (tl < 0) {
                tl = j;
                type = l->type;
            }
            break;
        case LAYER_MPLS:
            if (tl < 0)
                type = LAYER_MPLS;
            break;
        case LAYER_UDP:
            if (tl < 0 && type == 0)
                type = LAYER_UDP;
            sport = l->u.udp.sport;
            dport = l->u.udp.dport;
            break;
        case LAYER_IPV4:
        case LAYER_IPV6: {
            if (tl < 0 && type == 0)
                type = l->type; /* IP directly in IP */
            uint32_t key = tl >= 0 ? layer_key(&p->layers[tl]) : 0;
            uint32_t id = flow_tun_id(r, type, l, p->layers[i].u.ip.version, sport, dport, key);
            if (id && count)
                tun_count(r, id, &p->layers[i].u.ip, &l->u.ip);
            return id;
        }
        default:
            break;
        }
    }
    return 0;
}
