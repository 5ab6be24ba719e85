/* A set of 64-bit indices that are mostly set in order: the memory behind "have I seen
 * this id?" (transport dedup in the kernel, idempotent receivers' sequence numbers in
 * protocols/, offsets a window task applied). Every index below `base` is set; the
 * words from base on are a ring that grows by doubling, and a word that fills up at the
 * bottom is dropped, so the memory follows the span of indices not yet all seen (a
 * protocol's window), not the largest index. New bits are zero. */
#ifndef FTSIM_BITSET_H
#define FTSIM_BITSET_H

#include <stdbool.h>
#include <stdint.h>

struct bitset {
    uint64_t *words; /* ring of cap words; word i of the window is words[(head + i) & (cap-1)] */
    uint64_t base;   /* a multiple of 64: every index below is set */
    uint64_t cap;    /* 0 or a power of two */
    uint64_t head;   /* ring position of the word holding index base */
    uint64_t used;   /* words of the window that may hold bits (the others are zero) */
};

/* Sets bit i. Returns 1 when it was clear, 0 when already set, FT_ENOMEM. */
int bitset_insert(struct bitset *b, uint64_t i);
bool bitset_has(const struct bitset *b, uint64_t i);
void bitset_clear(struct bitset *b); /* every bit to 0, capacity kept */
void bitset_free(struct bitset *b);
/* Bytes the set holds now (its ring). */
uint64_t bitset_bytes(const struct bitset *b);

#endif
