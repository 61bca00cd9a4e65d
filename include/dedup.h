/*
 * dedup.h - copies of one packet that the capture itself made.
 *
 * A SPAN port mirroring both directions, a capture on several interfaces,
 * a VLAN-tagged and an untagged copy, `tcpdump -i any` on a router (each
 * forwarded packet once coming in, once going out): the same packet is
 * recorded two to four times, microseconds to milliseconds apart.  Counted
 * as packets they become retransmissions, retransmission storms, and a
 * PMTUD story that never happened.  mtuscope judges the capture before the
 * network: a copy is recognised, counted, and analysed once.
 *
 * A packet's identity is what its sender put in it and no hop changes: the
 * outermost IP addresses, protocol, length and (IPv4) identification, a
 * fragment's offset and MF flag (the fragments of one datagram share all the
 * rest), and the first DEDUP_HASHED captured bytes of the IP payload.  Two
 * IPv4 packets a sender sends are never identical in all of it: its ID
 * counter moves between them (RFC 6864; stacks that send ID 0 excepted).  So
 * a repeat of such an identity within DEDUP_WINDOW_NS, seen on another link
 * (other MAC addresses, VLAN tag, interface), or within DEDUP_SAME_LINK_NS
 * on the same one, is a copy:
 *   - the same TTL: the capture recorded one packet twice (DEDUP_COPY);
 *   - a TTL one lower: it left the capturing host after entering it, a
 *     router captured on several interfaces (DEDUP_FORWARDED).
 * Where the identity is weak (IPv6, or an IPv4 ID of 0), identical bytes
 * are often genuine: duplicate ACKs leave a receiver microseconds apart with
 * the same ack, window and TCP timestamp (its clock ticks every
 * millisecond), and a fast retransmit repeats seq, ack and payload.  Such a
 * repeat counts as a copy only when it was seen on another link (other MAC
 * addresses, VLAN tags, interface) or Linux cooked capture says one was
 * received and the other sent (the packet type of `-i any`): a sender
 * retransmits on its own link.
 *
 * Memory: a two-way set-associative cache of at most DEDUP_MAX recent
 * identities, grown as packets come (dedup.c says why a cache, not an
 * index, why its seed is fixed, and what a miss costs).
 */
#ifndef MTUSCOPE_DEDUP_H
#define MTUSCOPE_DEDUP_H

#include <stdint.h>

#include "packet.h"

/* 1 s: longer than any queue a forwarded packet waits in (a bufferbloated
 * router holds packets for hundreds of milliseconds), far shorter than any
 * sender's ID counter wrap at the rates where that window matters. */
#define DEDUP_WINDOW_NS 1000000000ll
/* 1 ms: a copy on the very same link (a SPAN port mirroring both
 * directions) is microseconds behind its original; a retransmission by a
 * stack that keeps the IP ID needs at least a round trip (fast retransmit)
 * and usually an RTO. */
#define DEDUP_SAME_LINK_NS 1000000ll
#define DEDUP_MAX 65536
/* Payload bytes in the identity: 16 hold the transport header's numbers
 * (TCP's ports, seq and ack; UDP's ports, length and checksum, which covers
 * the whole payload; ICMP's type, checksum, id and sequence): two packets a
 * sender sent with one ID and length never agree on them too.  Hashing the
 * whole payload cost a third of the per-packet time on bulk TCP. */
#define DEDUP_HASHED 16 /* at most sizeof(uint64_t[2]): dedup.c loads two words */

enum dedup_kind {
    DEDUP_ORIGINAL,  /* first seen (or not an IP packet) */
    DEDUP_COPY,      /* the same packet recorded again */
    DEDUP_FORWARDED, /* the same packet, its TTL one lower: in and out of this host */
};

struct dedup;

struct dedup *dedup_new(void);
void dedup_free(struct dedup *d);

/* Classifies a decoded frame; for a copy, *first is the frame of the
 * original. */
enum dedup_kind dedup_packet(struct dedup *d, const struct packet *pkt, uint64_t *first);

/* Asks for the cache line dedup_packet() will look up for a frame not yet
 * decoded (DLT dlt, caplen bytes at data), from its raw bytes, when it is
 * an Ethernet frame carrying IPv4 (anything else: nothing).  The cache is
 * larger than a core's caches and its sets are spread by a hash, so each
 * packet's lookup was a miss to memory (dedup_packet was 19% of a run on
 * many short connections); asked for a frame ahead, the line comes while
 * the frame before it is analysed.  Only a hint: it changes no state, and
 * a frame whose raw parse differs from its decoding is only not helped. */
void dedup_prefetch(const struct dedup *d, int dlt, const uint8_t *data, uint32_t caplen);

/* The identity dedup_prefetch() computes from a raw frame (0: not an
 * Ethernet frame with IPv4), and the one dedup_packet() computes from the
 * decoded packet (0: no IP layer of its own): equal for the frames the
 * prefetch serves (test_dedup compares them). */
uint64_t dedup_identity_raw(const struct dedup *d, int dlt, const uint8_t *data, uint32_t caplen);
uint64_t dedup_identity(const struct dedup *d, const struct packet *p);

#endif
