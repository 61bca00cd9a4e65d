/*
 * hashtab.h - the one hash index every lookup table uses.
 *
 * Captures are hostile: with an unseeded hash, anyone who can send packets
 * past a capture point can choose keys that collide and turn every lookup
 * into a scan (the hash-flooding attacks on web servers, CVE-2011-4885 and
 * friends).  So the hash is keyed by a seed drawn at random for each table,
 * and the index is open addressing with linear probing over compact
 * (tag, id) slots, kept at most half full, deleted by backward shift (no
 * tombstones, so a churning table never degrades).
 *
 * The index holds ids (the caller's array index + 1), never keys: the
 * caller compares its own key when a tag matches, as flow.c does with its
 * flows.  Nothing iterates the slots, so the seed never changes the order
 * of anything mtuscope prints.
 */
#ifndef MTUSCOPE_HASHTAB_H
#define MTUSCOPE_HASHTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define HT_NONE 0u /* no id */

struct ht_slot {
    uint32_t tag; /* the hash's bits; its low bits are the home slot */
    uint32_t id;  /* HT_NONE: empty */
};

struct hashtab {
    uint64_t seed;
    struct ht_slot *slots;
    uint32_t mask; /* slots - 1; 0 before the first insert */
    uint32_t count;
};

/* A random seed (getrandom; the clock and pid if that fails). */
uint64_t hash_seed(void);

/* Keyed hashes: of n bytes (any length), and of one 64-bit word. */
uint64_t hash_bytes(uint64_t seed, const void *p, size_t n);
uint64_t hash_u64(uint64_t seed, uint64_t x);

/* The finaliser of MurmurHash3 (fmix64): every input bit reaches every
 * output bit, so the low bits that pick a slot depend on the whole key. */
static inline uint64_t hash_fmix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
}

/* hash_bytes itself, for a caller on the per-packet path whose key has a
 * constant size: inlined, the call and the tail's checks are gone (flow.c's
 * 48-byte key: 95 instructions through the call, 67 inlined; callgrind).
 * Eight bytes at a time (a multiply and a shift each), the tail zero-padded,
 * the length and the seed mixed in: equal keys hash alike, and without the
 * seed the slot of a key cannot be predicted. */
static inline uint64_t hash_bytes_inline(uint64_t seed, const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15ull);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, b + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    if (i < n) {
        uint64_t w = 0;
        memcpy(&w, b + i, n - i);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    return hash_fmix(h);
}

/* An empty table with its own random seed.  No allocation until the first
 * insert. */
void ht_init(struct hashtab *t);
void ht_free(struct hashtab *t);

/* Probing: the ids whose slot has the same tag as hash h, in turn; the
 * caller checks its key.  HT_NONE when there are no more.  Inline: the flow
 * table probes once a packet, and its loop should compile to what a
 * hand-written one would. */
struct ht_probe {
    uint32_t pos, tag;
};

static inline uint32_t ht_tag(uint64_t h)
{
    return (uint32_t)(h ^ (h >> 32));
}

static inline uint32_t ht_next(const struct hashtab *t, struct ht_probe *p)
{
    if (!t->slots)
        return HT_NONE;
    for (;; p->pos = (p->pos + 1) & t->mask) {
        const struct ht_slot *s = &t->slots[p->pos];
        if (s->id == HT_NONE)
            return HT_NONE;
        if (s->tag == p->tag) {
            p->pos = (p->pos + 1) & t->mask; /* the next call goes on from here */
            return s->id;
        }
    }
}

static inline uint32_t ht_first(const struct hashtab *t, uint64_t h, struct ht_probe *p)
{
    p->tag = ht_tag(h);
    p->pos = p->tag & t->mask;
    return ht_next(t, p);
}

/* Adds id (not HT_NONE) under hash h, growing the table to stay at most
 * half full; false when out of memory. */
bool ht_insert(struct hashtab *t, uint64_t h, uint32_t id);

/* Removes id from under hash h; false when it is not there. */
bool ht_remove(struct hashtab *t, uint64_t h, uint32_t id);

/* The entry of id under hash h now names new_id (the same key moved to
 * another of the caller's places); false when id is not there. */
bool ht_replace(struct hashtab *t, uint64_t h, uint32_t id, uint32_t new_id);

#endif
