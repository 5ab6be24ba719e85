/* A multiset of 64-bit values for exact nearest-rank percentiles (latencies): while few
 * values are distinct it keeps one count per distinct value (a pipeline with fixed link
 * latencies has a handful, whatever the records), and once a map of counts would take
 * more memory than the values themselves it keeps every value in an array instead. The
 * percentiles are the same either way: those of the sorted list of all values added. */
#ifndef FTSIM_QSET_H
#define FTSIM_QSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "u64map.h"

struct qset {
    uint64_t n;           /* values added */
    struct u64map counts; /* value -> copies (while !raw) */
    bool raw;             /* every value in vals instead */
    uint64_t *vals;
    size_t nvals, cap_vals;
    uint64_t run_v, run_n; /* the latest values, all equal to run_v, not stored yet */
};

int qset_add(struct qset *q, uint64_t v); /* 0 or FT_ENOMEM */
/* Nearest rank for each of the k percentiles pct[i] (0..100): the value of rank
 * ceil(n * pct / 100) (rank 1 for 0) in the ascending list of every value added, as
 * ledger_nearest_rank gives it on that list; all 0 when the set is empty. May sort the
 * set's own values in place (partly). 0 or FT_ENOMEM. */
int qset_nearest_ranks(struct qset *q, const uint8_t *pct, size_t k, uint64_t *out);
void qset_free(struct qset *q);
/* Bytes held now. */
size_t qset_bytes(const struct qset *q);

#endif
