/*
 * flow_int.h - what the flow table's files share and nobody else needs:
 * only flow*.c include it (flow.c, the table; flow_tunnels.c, the tunnel
 * registry).  The outside world uses flow.h.
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

#include "flow.h"
#include "hashtab.h"
#include "packet.h"

/* An address as 16 key bytes (IPv4 in the first 4, the rest zero). */
static inline void addr_bytes(const struct addr *a, uint8_t out[16])
{
    memset(out, 0, 16);
    if (a->addr_type == ADDR_TYPE_IP)
        memcpy(out, &a->addr_ip, 4);
    else if (a->addr_type == ADDR_TYPE_IP6)
        memcpy(out, &a->addr_ip6, 16);
}

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

#endif
