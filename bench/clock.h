/* The benchmarks' one clock reading (every program in bench/): clock `id` in seconds, e.g.
 * CLOCK_MONOTONIC for wall time, CLOCK_PROCESS_CPUTIME_ID or CLOCK_THREAD_CPUTIME_ID
 * for CPU time. Header-only. */
#ifndef FTSIM_BENCH_CLOCK_H
#define FTSIM_BENCH_CLOCK_H

#include <time.h>

static inline double bench_seconds(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
