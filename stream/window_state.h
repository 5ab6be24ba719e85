/* The (window, key) aggregates of a window engine (window.c) and of the no-lateness
 * reference (window_ref.c), internal to stream/: one open-addressed table of 64-byte
 * entries, each in a cache line of its own (the array is aligned), linear probing, with
 * consecutive windows of a key in consecutive slots, so the windows one record updates
 * sit side by side (wtab_home): a record costs about one miss, not one per window and
 * another for an index. No allocation per record; deletion leaves a tombstone, and the
 * table is rebuilt (tombstones purged in the same array, or a doubled array) only when
 * it must grow, with the positions a caller holds (its dirty list) moved along. */
#ifndef FTSIM_WINDOW_STATE_H
#define FTSIM_WINDOW_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { WAGG_EMPTY = 0, WAGG_LIVE, WAGG_TOMB };

struct wagg {
    int64_t k; /* the window [kS, kS + L) */
    uint64_t key;
    uint64_t count;
    int64_t sum, min, max;
    uint64_t emitted_at_ns; /* engine: when the row held back (pending) was emitted */
    uint32_t slot;          /* engine: the sink's (win_set_row_at) */
    uint8_t state;          /* WAGG_EMPTY, WAGG_LIVE or WAGG_TOMB */
    bool dirty, pending;
    uint8_t pad;
};
_Static_assert(sizeof(struct wagg) == 64, "one cache line per aggregate");

struct wtab {
    struct wagg *a;
    uint32_t cap;  /* 0 or a power of two */
    uint32_t live; /* WAGG_LIVE entries */
    uint32_t tomb; /* WAGG_TOMB entries */
};

/* Windows come in groups of WTAB_GROUP consecutive k: a group's home is a hash of (key,
 * group), and window k sits k mod WTAB_GROUP slots after it. A record's windows (a few
 * consecutive k) mostly share a group, while a key holding many windows (long watermark
 * delays, the reference) spreads them over many groups instead of one long run. */
#define WTAB_GROUP 4
static inline uint32_t wtab_home(const struct wtab *t, int64_t k, uint64_t key) {
    uint64_t g = (uint64_t)(k >> 2), h = key * 0x9e3779b97f4a7c15ull ^ g * 0xc2b2ae3d27d4eb4full;
    _Static_assert(WTAB_GROUP == 4, "k >> 2 and k & 3 below");
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9ull;
    return (uint32_t)((h ^ (h >> 29)) + (uint64_t)(k & 3)) & (t->cap - 1);
}

/* The position of (k, key): its live entry, or (when absent) where to insert it (the
 * first tombstone on its probe path, else the empty slot that ends it). The table must
 * have an empty slot (wtab_reserve). */
static inline uint32_t wtab_find(const struct wtab *t, int64_t k, uint64_t key, bool *found) {
    uint32_t m = t->cap - 1, i = wtab_home(t, k, key), ins = UINT32_MAX;
    for (;; i = (i + 1) & m) {
        const struct wagg *x = &t->a[i];
        if (x->state == WAGG_EMPTY) break;
        if (x->state == WAGG_TOMB) {
            if (ins == UINT32_MAX) ins = i;
        } else if (x->k == k && x->key == key) {
            *found = true;
            return i;
        }
    }
    *found = false;
    return ins != UINT32_MAX ? ins : i;
}

/* Asks for the home slots of windows first..last of key ahead of use (a hint; on this
 * VM a software prefetch was measured to hide nothing, so the engine loads a batch's
 * slots instead: win_fetch). */
static inline void wtab_prefetch(const struct wtab *t, int64_t first, int64_t last, uint64_t key) {
    if (!t->cap) return;
    __builtin_prefetch(&t->a[wtab_home(t, first, key)]);
    if (last != first) __builtin_prefetch(&t->a[wtab_home(t, last, key)]);
}

/* (window, key) and where it is: what the engine, the result table and the reference
 * sort by (start, key) order, 24 bytes instead of the 64- or 80-byte aggregate or row
 * itself (k or start_ns, whichever orders the windows). */
struct wsort {
    int64_t k;
    uint64_t key;
    uint32_t pos;
};

static inline int wsort_cmp(const void *a, const void *b) {
    const struct wsort *x = a, *y = b;
    if (x->k != y->k) return x->k < y->k ? -1 : 1;
    return x->key < y->key ? -1 : x->key > y->key;
}

/* Room for n more live entries at load <= 1/2 (tombstones counted): rebuilds when
 * needed; pos[0..npos) are positions of live entries, moved to their new places. 0 or
 * FT_ENOMEM (the table unchanged). */
int wtab_reserve(struct wtab *t, uint32_t n, uint32_t *pos, size_t npos);
/* Turns the live entry at i into a tombstone. */
void wtab_remove(struct wtab *t, uint32_t i);
/* A deep copy (an engine's snapshot). 0 or FT_ENOMEM. */
int wtab_clone(const struct wtab *t, struct wtab *out);
void wtab_free(struct wtab *t);

#endif
