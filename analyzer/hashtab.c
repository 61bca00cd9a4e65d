/* hashtab.c - seeded hashing and the open-addressing index (hashtab.h). */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "hashtab.h"

uint64_t hash_seed(void)
{
    uint64_t s;
    if (getrandom(&s, sizeof s, GRND_NONBLOCK) == (ssize_t)sizeof s)
        return s;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)ts.tv_sec << 20 ^
           (uint64_t)getpid();
}

uint64_t hash_u64(uint64_t seed, uint64_t x)
{
    return hash_fmix(x ^ seed);
}

uint64_t hash_bytes(uint64_t seed, const void *p, size_t n)
{
    return hash_bytes_inline(seed, p, n);
}

void ht_init(struct hashtab *t)
{
    memset(t, 0, sizeof *t);
    t->seed = hash_seed();
}

void ht_free(struct hashtab *t)
{
    free(t->slots);
    t->slots = NULL;
    t->mask = t->count = 0;
}

static void place(struct ht_slot *slots, uint32_t mask, uint32_t tag, uint32_t id)
{
    uint32_t i = tag & mask;
    while (slots[i].id != HT_NONE)
        i = (i + 1) & mask;
    slots[i].tag = tag;
    slots[i].id = id;
}

static bool grow(struct hashtab *t)
{
    uint32_t n = t->slots ? (t->mask + 1) * 2 : 16;
    if (n == 0)
        return false; /* 2^32 slots: past what an id can number */
    struct ht_slot *s = calloc(n, sizeof *s);
    if (!s)
        return false;
    for (uint32_t i = 0; t->slots && i <= t->mask; i++)
        if (t->slots[i].id != HT_NONE)
            place(s, n - 1, t->slots[i].tag, t->slots[i].id);
    free(t->slots);
    t->slots = s;
    t->mask = n - 1;
    return true;
}

bool ht_insert(struct hashtab *t, uint64_t h, uint32_t id)
{
    if (id == HT_NONE)
        return false;
    /* at most half full: probes stay short (1.5 on a hit on average) */
    if ((!t->slots || (uint64_t)(t->count + 1) * 2 > (uint64_t)t->mask + 1) && !grow(t))
        return false;
    place(t->slots, t->mask, ht_tag(h), id);
    t->count++;
    return true;
}

bool ht_replace(struct hashtab *t, uint64_t h, uint32_t id, uint32_t new_id)
{
    if (!t->slots || new_id == HT_NONE)
        return false;
    for (uint32_t i = ht_tag(h) & t->mask; t->slots[i].id != HT_NONE; i = (i + 1) & t->mask) {
        if (t->slots[i].id == id) {
            t->slots[i].id = new_id;
            return true;
        }
    }
    return false;
}

bool ht_remove(struct hashtab *t, uint64_t h, uint32_t id)
{
    if (!t->slots)
        return false;
    uint32_t tag = ht_tag(h), i = tag & t->mask;
    for (; t->slots[i].id != id; i = (i + 1) & t->mask)
        if (t->slots[i].id == HT_NONE)
            return false;
    /* backward shift: pull later entries of the cluster into the hole when
     * the hole lies between their home slot and where they sit */
    uint32_t hole = i;
    for (uint32_t j = (i + 1) & t->mask; t->slots[j].id != HT_NONE; j = (j + 1) & t->mask) {
        uint32_t home = t->slots[j].tag & t->mask;
        bool movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
        if (movable) {
            t->slots[hole] = t->slots[j];
            hole = j;
        }
    }
    t->slots[hole].id = HT_NONE;
    t->slots[hole].tag = 0;
    t->count--;
    return true;
}
