/* Growable bitset; see bitset.h. */
#include "bitset.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

int bitset_insert(struct bitset *b, uint64_t i) {
    if (i >= b->nbits) {
        uint64_t nbits = b->nbits ? b->nbits : 4096;
        while (nbits <= i) nbits *= 2;
        uint64_t *words = realloc(b->words, nbits / 8);
        if (!words) return FT_ENOMEM;
        memset((unsigned char *)words + b->nbits / 8, 0, (nbits - b->nbits) / 8);
        b->words = words;
        b->nbits = nbits;
    }
    uint64_t mask = 1ull << (i & 63);
    if (b->words[i >> 6] & mask) return 0;
    b->words[i >> 6] |= mask;
    return 1;
}

bool bitset_has(const struct bitset *b, uint64_t i) {
    return i < b->nbits && (b->words[i >> 6] >> (i & 63) & 1);
}

void bitset_clear(struct bitset *b) {
    if (b->words) memset(b->words, 0, b->nbits / 8);
}

void bitset_free(struct bitset *b) {
    free(b->words);
    b->words = NULL;
    b->nbits = 0;
}
