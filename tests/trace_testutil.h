/* Tests that read a run's raw trace collect it through exp_run's trace hook with
 * tu_trace_push: one growing array of the records, in trace order. Header-only. */
#ifndef FTSIM_TRACE_TESTUTIL_H
#define FTSIM_TRACE_TESTUTIL_H

#include <stdlib.h>

#include "sim.h"

/* Appends e to *r (n used, cap allocated); aborts when out of memory. */
static inline void tu_trace_push(struct sim_trace_rec **r, size_t *n, size_t *cap,
                                 const struct sim_trace_rec *e) {
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 4096;
        *r = realloc(*r, *cap * sizeof **r);
        if (!*r) abort();
    }
    (*r)[(*n)++] = *e;
}

#endif
