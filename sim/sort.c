/* LSD radix sort of 64-bit keys; see sort.h. */
#include "sort.h"

/* Below this size an insertion sort wins: each radix pass clears 2048 counters. */
#define SORT_SMALL 192u

uint64_t *sort_u64(uint64_t *a, uint64_t *tmp, size_t n) {
    enum { DIGIT_BITS = 11, DIGITS = 1 << DIGIT_BITS };
    if (n < SORT_SMALL) {
        for (size_t i = 1; i < n; i++) {
            uint64_t v = a[i];
            size_t j = i;
            for (; j > 0 && a[j - 1] > v; j--) a[j] = a[j - 1];
            a[j] = v;
        }
        return a;
    }
    uint64_t max = 0;
    for (size_t i = 0; i < n; i++)
        if (a[i] > max) max = a[i];
    for (unsigned shift = 0; shift < 64 && (max >> shift) != 0; shift += DIGIT_BITS) {
        size_t count[DIGITS] = {0};
        for (size_t i = 0; i < n; i++) count[(a[i] >> shift) & (DIGITS - 1)]++;
        size_t sum = 0;
        for (size_t d = 0; d < DIGITS; d++) {
            size_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) tmp[count[(a[i] >> shift) & (DIGITS - 1)]++] = a[i];
        uint64_t *t = a;
        a = tmp;
        tmp = t;
    }
    return a;
}
