/*
 * flow_int.h - what the flow table's files share and nobody else needs:
 * only flow*.c include it (flow.c, the table; flow_quote.c, the flow an
 * ICMP quote belongs to; flow_tunnels.c, the tunnel registry;
 * flow_summary.c, a flow's summary; flow_compact.c, a parked flow's
 * compact form).  The outside world uses flow.h.
 *
 * Flow keys and tunnel keys order their two endpoints the same way, so both
 * directions of a conversation, or of a tunnel, find one entry.
 */
#ifndef MTUSCOPE_FLOW_INT_H
#define MTUSCOPE_FLOW_INT_H

#include <endian.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "delivery.h"
#include "flow.h"
#include "hashtab.h"
#include "packet.h"
#include "storms.h"
#include "tcp.h"
#include "wgcount.h"

/* memcmp(a, b, 16) by two big-endian words: a library call per packet
 * otherwise (gcc inlines memcmp only when its result is compared with 0). */
static inline int addr_order(const uint8_t *a, const uint8_t *b)
{
    for (int i = 0; i < 16; i += 8) {
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        x = be64toh(x);
        y = be64toh(y);
        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}

/* Orders the two endpoints; returns true when they were swapped. */
static inline bool normalise(uint8_t *a0, uint8_t *a1, uint16_t *p0, uint16_t *p1)
{
    int c = addr_order(a0, a1);
    if (c < 0 || (c == 0 && *p0 <= *p1))
        return false;
    uint8_t t[16];
    memcpy(t, a0, 16);
    memcpy(a0, a1, 16);
    memcpy(a1, t, 16);
    uint16_t tp = *p0;
    *p0 = *p1;
    *p1 = tp;
    return true;
}

/* The size every count uses: the IP length field (the reassembled
 * datagram's when reassembled), never the captured length. */
static inline uint16_t ip_size(const struct ip_info *ip)
{
    uint32_t n = ip->reasm_len ? ip->reasm_len : ip->ip_len;
    return n > UINT16_MAX ? UINT16_MAX : (uint16_t)n;
}

/* An IPv4 or IPv6 layer. */
static inline bool flow_is_ip(const struct layer *l)
{
    return l->type == LAYER_IPV4 || l->type == LAYER_IPV6;
}

/* ---- the tunnel registry (flow_tunnels.c) ---- */

struct tun_entry {
    uint8_t k[48]; /* normalised key bytes */
    struct flow_tunnel t;
};

/* Tunnels numbered 1..n in order of first sight, found by key through the
 * shared index; up to FLOW_MAX_TUNNELS, the rest counted as unregistered. */
struct flow_tunnels {
    struct hashtab index; /* ids 1..n */
    struct tun_entry *e;  /* e[id - 1] */
    uint32_t n, cap;
    struct flow_stats *st; /* counts tunnels and tunnels_unregistered there */
};

void flow_tun_init(struct flow_tunnels *r, struct flow_stats *st);
void flow_tun_free(struct flow_tunnels *r);

/* The id of the tunnel with outer IP layer `outer` (its addresses), type,
 * the inner IP version, UDP ports and key (GRE key, VNI, TEID, L2TP
 * tunnel<<16|session, SPI), registering it on first sight; 0 when the
 * registry is full (counted). */
uint32_t flow_tun_id(struct flow_tunnels *r, uint8_t type, const struct layer *outer,
                     uint8_t inner_version, uint16_t sport, uint16_t dport, uint32_t key);

/* The tunnel enclosing IP layer i of p, 0 when none; count: a packet of it
 * (its packets, overhead and largest inner packet are counted). */
uint32_t flow_tun_enclosing(struct flow_tunnels *r, const struct packet *p, int i, bool count);

/* ---- the live flow, shared by flow.c and flow_summary.c ---- */

struct resend_track; /* resend.h */

struct flow_key {
    uint32_t tunnel;
    uint32_t xid; /* ESP SPI, ICMP echo id */
    uint16_t port[2];
    uint8_t version, proto;
    uint8_t addr[2][16];
};
_Static_assert(sizeof(struct flow_key) % 8 == 0, "key_eq reads whole words");

/* What only non-TCP flows use, after struct flow in the same allocation
 * (a TCP flow has its struct tcp_conn there instead). */
struct flow_other {
    uint32_t size_hist[2][DL_NCLASSES]; /* by direction */
    struct wg_count wg;
};

/* The parts of the summary that change packet by packet.  The struct
 * flow_summary (at most 576 bytes) is built from them (and the TCP state)
 * only when the flow finishes: most of it is TCP results that live in struct
 * tcp_conn until then, and a live flow should cost what it uses. */
struct flow_live {
    uint64_t id, stream;
    uint64_t first_frame, last_frame;
    int64_t first_ns, last_ns;
    uint64_t retransmissions;
    uint64_t packets[2], bytes[2]; /* by direction, 0 client->server */
    struct addr client, server;
    uint32_t carries_tunnel;
    uint32_t storms;
    uint16_t max_packet[2];
    uint16_t input, client_port, server_port;
    uint8_t opaque;
    uint8_t last_dir; /* the direction of the latest packet */
    uint8_t df_clear; /* bit d: d sent IPv4 packets above 576 bytes with DF clear */
    /* IPv4 TCP data, 2 bits per direction (df_of): 1 sent with DF, 2 then
     * without (flow_dir_summary.df_cleared) */
    uint8_t df;
    uint8_t ttl[2]; /* TTL / hop limit of each direction's first packet as captured */
};

static inline unsigned df_of(const struct flow_live *s, int d)
{
    return (unsigned)(s->df >> (2 * d)) & 3u;
}

static inline void df_set(struct flow_live *s, int d, unsigned v)
{
    s->df = (uint8_t)((s->df & ~(3u << (2 * d))) | (v & 3u) << (2 * d));
}

/* What a flow in the table is, in either of its forms (enum flow_form):
 * the index (by hid), the LRU lists and the free lists hold these, the
 * first member of struct flow and of struct flow_compact. */
enum flow_form {
    FF_LIVE,    /* a struct flow */
    FF_PARKED,  /* a struct flow set aside by the live-flow cap (flow.h) */
    FF_COMPACT, /* a struct flow_compact: parked, and all of it in 144 bytes (flow_compact.c) */
};

struct flow_node {
    struct flow_key key;
    struct flow_node *prev, *next; /* LRU list of its class; next: the free lists too */
    int64_t active_ns;             /* capture clock at the last packet */
    uint32_t hid; /* its id in the index: all[hid - 1] is this node, live or free */
    uint8_t cls;
    uint8_t cidx; /* key endpoint that is the client */
    uint8_t form; /* enum flow_form */
};

struct flow {
    struct flow_node n;
    uint64_t hash;
    struct flow_live s;
    struct storm_win storm;
    struct tcp_conn *tcp;     /* TCP: right after this struct, same allocation */
    struct flow_other *other; /* the others: there instead */
    struct resend_track *rs;  /* opaque tunnels: by direction (resend.h), else NULL */
    struct flow_frags *frags; /* at its first fragmented datagram, else NULL */
};

_Static_assert(sizeof(struct flow) == 336, "flow.h quotes the size of a live flow");
_Static_assert(sizeof(struct flow_frags) == 144, "flow.h quotes what fragments add");
_Static_assert(sizeof(struct flow_other) == 384, "flow.h quotes what a non-TCP flow adds");
_Static_assert(sizeof(struct flow) + sizeof(struct tcp_conn) == 848,
               "flow.h quotes what a parked TCP flow keeps");

static inline struct flow *flow_of(struct flow_node *n)
{
    return (struct flow *)n; /* its first member (C11 6.7.2.1p15) */
}

/* v, held at UINT32_MAX */
static inline uint32_t sat32(uint64_t v)
{
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* A TCP direction's summary from its analysis (flow_summary.c). */
void flow_fill_dir(struct flow_dir_summary *d, const struct tcp_half *h,
                   const struct tcp_half *peer);
/* The flow's summary, built when it finishes (flow_summary.c). */
void flow_summarise(const struct flow *f, struct flow_summary *s);
/* The SYN's sender is the client: directions, addresses and counts swapped. */
void flow_swap_roles(struct flow *f);

/* ---- the compact form of a parked flow (flow_compact.c) ---- */

/* A parked TCP flow that only one direction spoke in, without data (a SYN
 * of a flood, or of a connection nobody answered: what a live flow of it
 * holds in 848 bytes is a handful of numbers), with no allocation beside
 * it.  flow_compact_make() fills one only when flow_compact_expand() gives
 * the flow back byte for byte: what is not here, it checks to be what the
 * expansion derives (zero, or the one time, sequence number or address the
 * fields below imply). */
struct flow_compact {
    struct flow_node n;
    uint32_t id, last_frame;
    uint32_t first_frame_back; /* last_frame - first_frame */
    uint32_t first_ns_back;    /* n.active_ns - first_ns; last_ns is n.active_ns */
    uint32_t stream_back;      /* id - stream */
    uint32_t bytes;
    uint32_t nextseq, lastack; /* the sender's (tcp.h) */
    uint16_t packets, window, mss, seen, lastta, max_packet, input;
    uint8_t dir; /* the direction that spoke, 0 client->server */
    uint8_t wscale, ttl;
    uint8_t flags;                     /* CF_* */
    uint8_t storm_pkts[STORM_BUCKETS]; /* the storm window's packet counts */
};
#define CF_SYN_SEEN 0x01 /* tcp_conn.syn_seen (syn_dir is dir) */
#define CF_DF_CLEAR 0x02 /* flow_live.df_clear has dir's bit */
_Static_assert(sizeof(struct flow_compact) == 144, "flow.h quotes the size of a compact flow");

/* Fills c (but c->n's hid, links and form) from f, live or parked, when
 * f's compact form gives it back exactly; false otherwise (c undefined). */
bool flow_compact_make(const struct flow *f, struct flow_compact *c);
/* Fills f and its struct tcp_conn (right after it) from c: everything but
 * f->n's hid, links and form, and f->hash (the caller's). */
void flow_compact_expand(const struct flow_compact *c, struct flow *f, struct dl_pool *pool);

/* ---- the flow table (flow.c) ---- */

enum tclass { TC_TCP, TC_TCP_CLOSED, TC_TCP_CLOSING, TC_UDP, TC_ICMP, TC_OTHER, TC__COUNT };

/* ESP: each direction of a tunnel is its own SA with its own SPI (RFC 4301
 * 4.1), so its own flow here, and the capture cannot say which two SAs IKE
 * paired.  A re-send tracker wants its peer's packets (resend.h: packets
 * crossing back show the path up while the large ones fail); for an ESP SA
 * they are the packets of every SA the other gateway sends to this one, as
 * for WireGuard they are the other direction of the UDP flow.  The SAs seen
 * last are kept, FLOW_ESP_RECENT of them (fixed: with more, only this
 * evidence is lost for the oldest). */
#define FLOW_ESP_RECENT 64

struct esp_seen {
    struct flow_key k; /* the SA's flow key (its SPI in xid) */
    uint8_t sender;    /* the key endpoint that sends on it */
    bool used;
};

struct flow_table {
    struct flow_limits lim;
    flow_done_fn done;
    flow_storm_fn storm_cb;
    int64_t capture_end_ns; /* flow_finish_all_at(); 0 = unknown */
    struct storm_pool storms;
    void *ctx;
    struct hashtab index;   /* flows by key, in either form: ids into all[] */
    struct flow_node **all; /* every flow and compact record allocated, in use or free */
    uint32_t nall, capall;  /* an id stays with its allocation */
    struct flow_node *head[TC__COUNT], *tail[TC__COUNT];
    struct flow_node *live_head[TC__COUNT]; /* the first live flow of each list, after the parked */
    int64_t timeout_ns[TC__COUNT];
    int64_t clock_ns;
    bool clock_set;
    uint64_t next_id, next_stream[256];
    struct flow *free_tcp, *free_small;
    struct flow_node *free_compact; /* compact records, from slabs */
    struct compact_slab *slabs;
    struct dl_pool *dlpool; /* delivery tables, taken at a direction's first data */
    uint64_t bytes_held;
    struct storm_win storm; /* across the capture */
    struct flow_tunnels tunnels;
    struct flow_stats st;
    struct esp_seen esp[FLOW_ESP_RECENT];
    uint32_t esp_next; /* the slot a new SA takes (the oldest) */
};

/* ---- the flow table's key and index (flow.c), for flow_quote.c ---- */

/* Fills the key from IP layer i and the layer after it.  Returns false when
 * the packet belongs to no flow (a TCP/UDP header that was not decoded). */
bool flow_make_key(const struct packet *p, int i, struct flow_key *k, bool *swapped,
                   uint16_t *sport, uint16_t *dport);
/* The flow of key k (h: its hash with the table's seed), in either form;
 * NULL when none. */
struct flow_node *flow_find_node(const struct flow_table *ft, const struct flow_key *k, uint64_t h);
/* n as a struct flow: a compact one is expanded into a parked flow in its
 * place (its id, list position and index entry); NULL when out of memory. */
struct flow *flow_full(struct flow_table *ft, struct flow_node *n);
/* flow_full(flow_find_node()). */
struct flow *flow_find(struct flow_table *ft, const struct flow_key *k, uint64_t h);

#endif
