/* Sorting 64-bit keys: an LSD radix sort on 11-bit digits, stable, O(n) per pass and
 * only as many passes as the largest key needs (an insertion sort for short arrays).
 * Callers pack what they sort into the key (the ledger its latencies; the IoT generator
 * (time offset << bits) | device). And selection in place: a few percentiles of many
 * values, without a second array. */
#ifndef FTSIM_SORT_H
#define FTSIM_SORT_H

#include <stddef.h>
#include <stdint.h>

/* Sorts a[0..n) ascending using tmp[0..n) as scratch; returns whichever of the two
 * buffers holds the sorted keys. */
uint64_t *sort_u64(uint64_t *a, uint64_t *tmp, size_t n);
/* Rearranges a[0..n) in place so that a[pos[i]] holds what a full ascending sort would
 * put there, for each of the k positions pos[i] < n (sorted ascending on return). No
 * allocation; O(n log k) expected, O(n log n) at worst. */
void select_u64(uint64_t *a, size_t n, size_t *pos, size_t k);
/* Ascending order of two uint64_t, for qsort and bsearch. */
int sort_cmp_u64(const void *a, const void *b);

#endif
