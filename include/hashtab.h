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

/* An empty table with its own random seed.  No allocation until the first
 * insert. */
void ht_init(struct hashtab *t);
void ht_free(struct hashtab *t);

/* Probing: the ids whose slot has the same tag as hash h, in turn; the
 * caller checks its key.  HT_NONE when there are no more. */
struct ht_probe {
    uint32_t pos, tag;
};
uint32_t ht_first(const struct hashtab *t, uint64_t h, struct ht_probe *p);
uint32_t ht_next(const struct hashtab *t, struct ht_probe *p);

/* Adds id (not HT_NONE) under hash h, growing the table to stay at most
 * half full; false when out of memory. */
bool ht_insert(struct hashtab *t, uint64_t h, uint32_t id);

/* Removes id from under hash h; false when it is not there. */
bool ht_remove(struct hashtab *t, uint64_t h, uint32_t id);

#endif
