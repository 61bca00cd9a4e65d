/* dedup.c - recognising the capture's own copies of a packet (dedup.h). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/dlt.h>

#include "cursor.h"
#include "dedup.h"
#include "hashtab.h"

/* 32 bytes, so that a set of two ways is one 64-byte cache line: every
 * packet looks up a set no earlier packet made warm (the identities are
 * hashed over the whole cache), and with 48-byte entries half the sets
 * straddled two lines, two misses a packet.  The link signature keeps 32
 * of its 64 bits: two links then pass for one with odds of 2^-32, and
 * only for packets whose 64-bit identities are equal already. */
struct entry {
    uint64_t hash; /* 0: empty */
    int64_t t_ns;
    uint64_t frame;
    uint32_t link; /* what the capture saw around the IP packet (link32 of link_of) */
    uint8_t ttl;
    int8_t dir; /* Linux cooked capture: 1 sent by this host, 0 received, -1 unknown */
    bool strong;
};
_Static_assert(sizeof(struct entry) * 2 == 64, "a set is one cache line");

#define SET_ALIGN 64

static inline uint32_t link32(uint64_t link)
{
    return (uint32_t)(link ^ link >> 32);
}

/* n entries, zeroed, the first on a cache line: *raw is the allocation to
 * free.  NULL when out of memory.  calloc(), not aligned_alloc() and a
 * memset: a large calloc is fresh pages from the system, given back when
 * freed, where the other way left each smaller table of the doubling in
 * the heap (3 MB more resident on a 0.5 GB capture). */
static struct entry *sets_new(uint32_t n, void **raw)
{
    *raw = calloc((size_t)n + SET_ALIGN / sizeof(struct entry), sizeof(struct entry));
    if (!*raw)
        return NULL;
    uintptr_t a = ((uintptr_t)*raw + SET_ALIGN - 1) & ~(uintptr_t)(SET_ALIGN - 1);
    return (struct entry *)a;
}

/* A two-way set-associative cache of recent identities, indexed by their
 * hash: O(1) per packet, no deletions, at most DEDUP_MAX entries.  A copy
 * is missed only when two other packets land in its set before it comes;
 * the cost of a miss is a copy counted as a packet, as before this stage
 * existed.  (An exact ring with a hashtab index cost three times as much
 * per packet.)
 *
 * The hash's seed is a constant, not drawn per run as hashtab.h's are:
 * which copies a cache misses depends on the seed, and the same capture
 * must give the same counts every time.  A fixed seed is safe here because
 * colliding packets cost nothing more than any others (no chains, no
 * probing): an attacker can only make copies go unnoticed. */
#define WAYS 2
#define DEDUP_SEED 0x6d747573636f7065ull /* "mtuscope" */

struct dedup {
    uint64_t seed;
    struct entry *sets; /* nsets entries, in sets of WAYS */
    void *raw;          /* the allocation sets is in */
    uint32_t nsets;     /* a power of two, from DEDUP_FIRST up to DEDUP_MAX */
    uint32_t stored;    /* entries stored since the last growth */
};

/* The cache starts small and doubles as packets come, up to DEDUP_MAX: a
 * capture of ten packets (or each of the fuzzer's inputs, read seven
 * times) must not pay for megabytes it never uses. */
#define DEDUP_FIRST 256

struct dedup *dedup_new(void)
{
    struct dedup *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->sets = sets_new(DEDUP_FIRST, &d->raw);
    if (!d->sets) {
        free(d);
        return NULL;
    }
    d->nsets = DEDUP_FIRST;
    d->seed = DEDUP_SEED;
    return d;
}

static void put(struct entry *sets, uint32_t nsets, const struct entry *e)
{
    struct entry *set = &sets[(e->hash >> 2) & (nsets - WAYS)];
    struct entry *v = &set[0];
    for (int w = 1; w < WAYS; w++)
        if (set[w].t_ns < v->t_ns)
            v = &set[w];
    *v = *e;
}

/* Twice the room, the entries carried over (a failed allocation keeps the
 * cache as it is: it only recognises fewer copies). */
static void grow(struct dedup *d)
{
    uint32_t n = d->nsets * 2;
    void *raw;
    struct entry *s = sets_new(n, &raw);
    if (!s)
        return;
    for (uint32_t i = 0; i < d->nsets; i++)
        if (d->sets[i].hash)
            put(s, n, &d->sets[i]);
    free(d->raw);
    d->raw = raw;
    d->sets = s;
    d->nsets = n;
    d->stored = 0;
}

void dedup_free(struct dedup *d)
{
    if (!d)
        return;
    free(d->raw);
    free(d);
}

/* What the capture saw around the IP packet: MAC addresses, VLAN tags, MPLS
 * labels, the PPPoE session, -i any's interface and packet type.  A
 * sender's retransmission leaves on the same link with all of it equal;
 * a copy the capture made on another interface, tag or hop differs.  One
 * layer folded into the signature h (folded as identity() folds its words:
 * only equality matters). */
static inline uint64_t link_fold(uint64_t h, const struct layer *l)
{
    uint64_t w = l->type, x = 0;
    switch (l->type) {
    case LAYER_ETH: { /* the two MAC addresses, as 4 + 2 bytes each: in registers */
        uint32_t s4, d4;
        uint16_t s2, d2;
        memcpy(&s4, l->u.eth.src, 4);
        memcpy(&s2, l->u.eth.src + 4, 2);
        memcpy(&d4, l->u.eth.dst, 4);
        memcpy(&d2, l->u.eth.dst + 4, 2);
        w = (uint64_t)s2 << 32 | s4;
        x = (uint64_t)d2 << 32 | d4;
        break;
    }
    case LAYER_SLL:
    case LAYER_SLL2:
        w = (uint64_t)l->u.sll.ifindex << 16 | l->u.sll.pkttype;
        break;
    case LAYER_VLAN:
        w = (uint64_t)l->u.vlan.vid << 8 | LAYER_VLAN;
        break;
    case LAYER_MPLS:
        w = (uint64_t)l->u.mpls.label << 8 | LAYER_MPLS;
        break;
    case LAYER_PPPOE:
        w = (uint64_t)l->u.pppoe.session << 8 | LAYER_PPPOE;
        break;
    default:
        break;
    }
    h = (h ^ w) * 0xff51afd7ed558ccdull;
    h ^= h >> 32;
    h = (h ^ x) * 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 29;
    return h;
}

/* The outermost IP layer of the frame itself (not a quote, not a
 * reassembly), NULL if none; *link the signature of the layers before it,
 * folded in the same walk (one pass over the layers on every packet). */
static const struct layer *outer_ip(const struct packet *p, uint64_t seed, uint64_t *link)
{
    uint64_t h = seed;
    for (const struct layer *l = p->layers, *end = p->layers + p->nlayers; l < end; l++) {
        if (l->flags & (LF_QUOTED | LF_REASSEMBLED))
            return NULL;
        if (l->type == LAYER_IPV4 || l->type == LAYER_IPV6) {
            *link = h;
            return l;
        }
        h = link_fold(h, l);
    }
    return NULL;
}

/* -i any's packet type: sent by this host (4, PACKET_OUTGOING) or received. */
static int8_t sll_dir(const struct packet *p)
{
    if (p->nlayers && (p->layers[0].type == LAYER_SLL || p->layers[0].type == LAYER_SLL2))
        return p->layers[0].u.sll.pkttype == 4 ? 1 : 0;
    return -1;
}

/* What no hop changes, as identity_hash() takes it: addresses, protocol,
 * length, ID, the fragment offset and MF, and the first DEDUP_HASHED bytes
 * of the payload as captured (the snap length cuts copies alike). */
struct ident {
    uint64_t head;  /* ID, length, protocol, version */
    uint64_t addrs; /* IPv4: both addresses; IPv6: their keyed hashes */
    bool fragment;
    uint16_t frag_off;
    bool mf;
    const uint8_t *payload; /* n of its bytes are hashed (n <= DEDUP_HASHED) */
    uint32_t n;
};

static inline uint64_t ident_head(uint32_t id, uint32_t ip_len, uint8_t proto, uint8_t version)
{
    return (uint64_t)id << 32 | (uint64_t)(ip_len & 0xffff) << 16 | (uint64_t)proto << 8 | version;
}

/* The identity as a keyed hash: a few word mixes, no buffer (this runs on
 * every IPv4 packet). */
static inline uint64_t identity_hash(uint64_t seed, const struct ident *x)
{
    uint64_t w0, w1;
    if (x->n == DEDUP_HASHED) { /* the usual case: two loads into registers, no call */
        memcpy(&w0, x->payload, 8);
        memcpy(&w1, x->payload + 8, 8);
    } else {
        unsigned char b[DEDUP_HASHED] = {0};
        memcpy(b, x->payload, x->n);
        memcpy(&w0, b, 8);
        memcpy(&w1, b + 8, 8);
    }
    /* four words folded in as hash_bytes folds its words (a multiply, then
     * the high half shifted down, so high bits reach the low ones: a sum of
     * products alone left a field's high bits in the high half only, and a
     * million-packet test collided), then the keyed finaliser; written out,
     * as a loop over an array the compiler kept the array in memory */
    /* the fragment offset and MF: the fragments of one datagram share its
     * ID, addresses and protocol by design (RFC 791, RFC 8200 4.5), and the
     * middle ones its length; with a payload that repeats (padding, zero
     * runs) their first bytes too.  Only the offset tells them apart. */
    uint64_t h = seed;
    if (x->fragment) { /* one more round, for fragments alone */
        h = (h ^ ((uint64_t)x->frag_off << 1 | x->mf)) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    h = (h ^ x->head) * 0xff51afd7ed558ccdull;
    h ^= h >> 32;
    h = (h ^ x->addrs) * 0xff51afd7ed558ccdull;
    h ^= h >> 32;
    h = (h ^ w0) * 0xff51afd7ed558ccdull;
    h ^= h >> 32;
    h = (h ^ (w1 ^ x->n)) * 0xff51afd7ed558ccdull;
    h ^= h >> 32;
    return hash_fmix(h ^ seed) | 1; /* hash_u64(seed, h), inlined; never 0: an empty way */
}

/* A decoded packet's identity. */
static uint64_t identity(uint64_t seed, const struct packet *p, const struct ip_info *ip)
{
    struct ident x;
    uint32_t from = ip->payload_off, n = ip->payload_len;
    if (from > p->caplen)
        from = p->caplen;
    if (n > p->caplen - from)
        n = p->caplen - from;
    x.payload = p->data + from;
    x.n = n > DEDUP_HASHED ? DEDUP_HASHED : n;
    x.head = ident_head(ip->id, ip->ip_len, ip->proto, ip->version);
    if (ip->version == 4) {
        uint32_t s, t;
        memcpy(&s, ip->src.addr_data8, 4);
        memcpy(&t, ip->dst.addr_data8, 4);
        x.addrs = (uint64_t)s << 32 | t;
    } else {
        x.addrs =
            hash_bytes(seed, ip->src.addr_data8, 16) ^ hash_bytes(seed ^ 1, ip->dst.addr_data8, 16);
    }
    x.fragment = (ip->flags & IPF_FRAGMENT) != 0;
    x.frag_off = ip->frag_off;
    x.mf = (ip->flags & IPF_MF) != 0;
    return identity_hash(seed, &x);
}

uint64_t dedup_identity_raw(const struct dedup *d, int dlt, const uint8_t *data, uint32_t caplen)
{
    /* Ethernet, IPv4 with a total length that covers its header: the
     * fields as decode_ipv4() reads them (decode_ip.c), through a cursor
     * as it does, the payload as the frame holds it */
    if (dlt != DLT_EN10MB)
        return 0;
    struct cursor c = cur_make(data, caplen);
    cur_skip(&c, 12); /* the MAC addresses */
    if (cur_be16(&c) != 0x0800)
        return 0;
    struct cursor payload = c;
    uint8_t vhl = cur_u8(&c);
    cur_skip(&c, 1);
    uint32_t tot = cur_be16(&c), id = cur_be16(&c), off = cur_be16(&c);
    cur_skip(&c, 1); /* the TTL */
    uint8_t proto = cur_u8(&c);
    cur_skip(&c, 2);
    uint32_t s, t;
    cur_copy(&c, &s, 4);
    cur_copy(&c, &t, 4);
    uint32_t hlen = (uint32_t)(vhl & 0x0f) * 4;
    if (c.err || vhl >> 4 != 4 || hlen < 20 || tot < hlen || !cur_skip(&payload, hlen))
        return 0;
    struct ident x;
    uint32_t n = tot - hlen;
    if (n > cur_left(&payload))
        n = (uint32_t)cur_left(&payload);
    x.payload = payload.p;
    x.n = n > DEDUP_HASHED ? DEDUP_HASHED : n;
    x.head = ident_head(id, tot, proto, 4);
    x.addrs = (uint64_t)s << 32 | t;
    x.frag_off = (uint16_t)((off & 0x1fff) * 8);
    x.mf = (off & 0x2000) != 0;
    x.fragment = x.mf || x.frag_off;
    return identity_hash(d->seed, &x);
}

uint64_t dedup_identity(const struct dedup *d, const struct packet *p)
{
    uint64_t link;
    const struct layer *l = outer_ip(p, d->seed, &link);
    return l && p->data ? identity(d->seed, p, &l->u.ip) : 0;
}

void dedup_prefetch(const struct dedup *d, int dlt, const uint8_t *data, uint32_t caplen)
{
    uint64_t h = dedup_identity_raw(d, dlt, data, caplen);
    if (h)
        __builtin_prefetch(&d->sets[(h >> 2) & (d->nsets - WAYS)], 1);
}

enum dedup_kind dedup_packet(struct dedup *d, const struct packet *p, uint64_t *first)
{
    uint64_t link64 = 0;
    const struct layer *l = outer_ip(p, d->seed, &link64);
    if (!l || !p->data)
        return DEDUP_ORIGINAL;
    uint32_t link = link32(link64); /* as the entries keep it */
    const struct ip_info *ip = &l->u.ip;
    bool strong = ip->version == 4 && ip->id != 0;
    int8_t dir = sll_dir(p);
    int64_t now = p->ts_sec * 1000000000ll + p->ts_nsec;
    uint64_t h = identity(d->seed, p, ip);

    struct entry *set = &d->sets[(h >> 2) & (d->nsets - WAYS)];
    for (int w = 0; w < WAYS; w++) {
        const struct entry *e = &set[w];
        if (e->hash != h || now < e->t_ns || now - e->t_ns > DEDUP_WINDOW_NS)
            continue;
        /* A sender's retransmission leaves on its own link: the same bytes
         * on another link (MACs, VLAN, interface), or coming in and going
         * out of -i any, are the capture's copy, whatever the identity.  On
         * the same link only a strong identity, microseconds apart (a SPAN
         * port), is: some stacks re-send a segment with its IP ID
         * unchanged an RTO later (zeek's pppoe-over-qinq capture), and
         * duplicate ACKs repeat every byte. */
        bool in_out = e->dir >= 0 && dir >= 0 && e->dir != dir;
        bool same_link_copy = strong && e->strong && now - e->t_ns <= DEDUP_SAME_LINK_NS;
        if (!in_out && e->link == link && !same_link_copy)
            continue;
        *first = e->frame;
        return ip->ttl + 1 == e->ttl ? DEDUP_FORWARDED : DEDUP_COPY;
    }
    /* into the older way of its set, written in place */
    _Static_assert(WAYS == 2, "two ways: the older of the two");
    struct entry *v = set[1].t_ns < set[0].t_ns ? &set[1] : &set[0];
    v->hash = h;
    v->t_ns = now;
    v->frame = p->frame;
    v->ttl = ip->ttl;
    v->link = link;
    v->dir = dir;
    v->strong = strong;
    if (++d->stored >= d->nsets && d->nsets < DEDUP_MAX)
        grow(d);
    return DEDUP_ORIGINAL;
}
