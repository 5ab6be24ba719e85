/* The benchmarks' one clock reading (every program in bench/): clock `id` in seconds, e.g.
 * CLOCK_MONOTONIC for wall time, CLOCK_PROCESS_CPUTIME_ID or CLOCK_THREAD_CPUTIME_ID
 * for CPU time; and the median they report over repetitions. Header-only. */
#ifndef FTSIM_BENCH_CLOCK_H
#define FTSIM_BENCH_CLOCK_H

#include <stdlib.h>
#include <time.h>

static inline double bench_seconds(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline int bench_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of v[0..n), n >= 1 (v is sorted in place). */
static inline double bench_median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif
