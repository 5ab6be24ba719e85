/* Sliding bitset; see bitset.h. Invariant: words outside the window's `used` words are
 * zero, so extending the window needs no clearing. */
#include "bitset.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

static uint64_t *word_at(const struct bitset *b, uint64_t w) {
    return &b->words[(b->head + w) & (b->cap - 1)];
}

/* Room for window word w: the ring doubles, its words laid out again from position 0. */
static int reserve(struct bitset *b, uint64_t w) {
    if (w < b->cap) return 0;
    uint64_t cap = b->cap ? b->cap : 64;
    while (cap <= w) {
        if (cap > UINT64_MAX / 16) return FT_ENOMEM;
        cap *= 2;
    }
    uint64_t *words = calloc(cap, sizeof *words);
    if (!words) return FT_ENOMEM;
    for (uint64_t i = 0; i < b->used; i++)
        words[i] = *word_at(b, i);
    free(b->words);
    b->words = words;
    b->cap = cap;
    b->head = 0;
    return 0;
}

/* Full words at the bottom of the window leave it: base moves past them. */
static void slide(struct bitset *b) {
    while (b->used && *word_at(b, 0) == UINT64_MAX) {
        *word_at(b, 0) = 0;
        b->head = (b->head + 1) & (b->cap - 1);
        b->base += 64;
        b->used--;
    }
}

int bitset_insert(struct bitset *b, uint64_t i) {
    if (i < b->base) return 0;
    uint64_t w = (i - b->base) >> 6, mask = 1ull << (i & 63);
    int rc = reserve(b, w);
    if (rc) return rc;
    uint64_t *x = word_at(b, w);
    if (*x & mask) return 0;
    *x |= mask;
    if (w >= b->used) b->used = w + 1;
    if (w == 0 && *x == UINT64_MAX) slide(b);
    return 1;
}

bool bitset_has(const struct bitset *b, uint64_t i) {
    if (i < b->base) return true;
    uint64_t w = (i - b->base) >> 6;
    return w < b->used && (*word_at(b, w) >> (i & 63) & 1);
}

void bitset_clear(struct bitset *b) {
    if (b->words) memset(b->words, 0, b->cap * sizeof *b->words);
    b->base = b->head = b->used = 0;
}

void bitset_free(struct bitset *b) {
    free(b->words);
    memset(b, 0, sizeof *b);
}

uint64_t bitset_bytes(const struct bitset *b) {
    return b->cap * sizeof *b->words;
}
