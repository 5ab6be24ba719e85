/* A map from 64-bit keys to nonzero 64-bit values by open addressing (linear probing,
 * backward-shift deletion, at most half full): the kernel's set of duplicated message
 * ids in flight, and the counts behind exact quantiles (qset.h). Its slots depend only
 * on the keys inserted and deleted, never on addresses or a random seed. */
#ifndef FTSIM_U64MAP_H
#define FTSIM_U64MAP_H

#include <stddef.h>
#include <stdint.h>

struct u64map {
    uint64_t *key, *val; /* val 0 = an empty slot */
    size_t cap, n;       /* cap: 0 or a power of two; n: keys held */
};

/* Adds delta (> 0) to key's value, inserting it at delta. 0 or FT_ENOMEM. */
int u64map_add(struct u64map *m, uint64_t key, uint64_t delta);
uint64_t u64map_get(const struct u64map *m, uint64_t key); /* 0 when absent */
void u64map_del(struct u64map *m, uint64_t key);           /* no-op when absent */
void u64map_clear(struct u64map *m);                       /* capacity kept */
void u64map_free(struct u64map *m);
/* Bytes the map would hold with room for n keys (its capacity rule, for callers that
 * choose between it and a plain array). */
size_t u64map_bytes_for(size_t n);

#endif
