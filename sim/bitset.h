/* A growable bitset of 64-bit indices: the memory behind "have I seen this id?"
 * (transport dedup of message ids in the kernel, idempotent receivers' sequence
 * numbers in protocols/). Grows by doubling; new bits are zero. */
#ifndef FTSIM_BITSET_H
#define FTSIM_BITSET_H

#include <stdbool.h>
#include <stdint.h>

struct bitset {
    uint64_t *words;
    uint64_t nbits; /* capacity, a multiple of 64 */
};

/* Sets bit i. Returns 1 when it was clear, 0 when already set, FT_ENOMEM. */
int bitset_insert(struct bitset *b, uint64_t i);
bool bitset_has(const struct bitset *b, uint64_t i);
void bitset_clear(struct bitset *b); /* every bit to 0, capacity kept */
void bitset_free(struct bitset *b);

#endif
