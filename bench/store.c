/* bench/store: what storing one run's results costs in the results store, part by
 * part. Runs FILE's first protocol once with statistics, then stores that outcome N
 * times (seeds 1..N, a fresh file each variant, one transaction per run as `ftsim
 * sweep` does) with: everything (outcome, time series, quantiles, markers); without
 * the time series; without the quantiles; and the run and outcome rows alone. Prints
 * the calling thread's CPU per store (best of REPS), and the WAL frames one commit
 * writes (N stores without a checkpoint in between when N x frames < 4000 pages).
 *   bench/store [FILE [N [REPS]]]     default scenarios/lost-ack.yaml 300 5 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "scenario.h"
#include "store.h"

enum { V_ALL, V_NO_TIMESERIES, V_NO_QUANTILES, V_RUN_ONLY, V_N };
static const char *const names[V_N] = {"all", "no_timeseries", "no_quantiles", "run_and_outcome"};

/* Stores the run n times into a fresh path; *us gets thread CPU per store, *frames the
 * WAL frames per commit (before res_close checkpoints). 0 or -1. */
static int store_n(const struct scenario *scn, const struct exp_outcome *o,
                   const struct exp_stats *st, const char *path, int n, double *us,
                   double *frames) {
    char wal[1100];
    snprintf(wal, sizeof wal, "%s-wal", path);
    unlink(path);
    unlink(wal);
    struct res_db *db = NULL;
    struct ft_error err = {0};
    if (res_open(path, &db, &err) != 0) {
        fprintf(stderr, "store: %s\n", err.msg);
        return -1;
    }
    struct stat before;
    long long wal0 = stat(wal, &before) == 0 ? (long long)before.st_size : 0;
    double t0 = bench_seconds(CLOCK_THREAD_CPUTIME_ID);
    for (int i = 0; i < n; i++) {
        struct res_run r = {.scenario = scn->name,
                            .scenario_hash = scn->hash,
                            .seed = (uint64_t)i + 1,
                            .protocol = dlv_name(scn->protocols[0]),
                            .status = "ok",
                            .outcome = o,
                            .params = "",
                            .stats = st};
        if (res_store_run(db, &r, NULL, &err) != 0) {
            fprintf(stderr, "store: %s\n", err.msg);
            res_close(db);
            return -1;
        }
    }
    *us = 1e6 * (bench_seconds(CLOCK_THREAD_CPUTIME_ID) - t0) / n;
    struct stat after;
    long long wal1 = stat(wal, &after) == 0 ? (long long)after.st_size : 0;
    *frames = (double)(wal1 - wal0) / (4096.0 + 24.0) / n; /* page + frame header */
    res_close(db);
    unlink(path);
    unlink(wal);
    return 0;
}

int main(int argc, char **argv) {
    const char *file = argc > 1 ? argv[1] : "scenarios/lost-ack.yaml";
    int n = argc > 2 ? atoi(argv[2]) : 300, reps = argc > 3 ? atoi(argv[3]) : 5;
    static struct scenario scn;
    struct ft_error err = {0};
    if (n < 1 || reps < 1) return 2;
    if (scn_load(file, &scn, &err) != 0) {
        fprintf(stderr, "%s:%d:%d: %s\n", err.file, err.line, err.col, err.msg);
        return 2;
    }
    if (scn.kind != SCN_KIND_PIPELINE) {
        fprintf(stderr, "store: %s is not a pipeline scenario\n", file);
        return 2;
    }
    struct exp_stats st = {0};
    struct exp_outcome o;
    struct exp_options opt = {.stats = &st};
    if (exp_run(&scn.pipe, scn.protocols[0], scn.seed, &opt, &o, &err) != 0) {
        fprintf(stderr, "store: %s\n", err.msg);
        return 3;
    }
    char dir[] = "/tmp/ftsim-bench-store-XXXXXX", path[1024];
    if (!mkdtemp(dir)) return 3;
    snprintf(path, sizeof path, "%s/store.db", dir);
    double best[V_N], frames[V_N];
    for (int v = 0; v < V_N; v++)
        best[v] = 1e30;
    for (int rep = 0; rep < reps; rep++)
        for (int v = 0; v < V_N; v++) { /* interleaved: the same load for every variant */
            struct exp_stats part = st;
            if (v == V_NO_TIMESERIES || v == V_RUN_ONLY) part.nbuckets = 0;
            if (v == V_NO_QUANTILES || v == V_RUN_ONLY) part.nquantiles = 0;
            if (v == V_RUN_ONLY) part.nmarkers = 0;
            double us, fr;
            if (store_n(&scn, &o, &part, path, n, &us, &fr) != 0) return 3;
            if (us < best[v]) best[v] = us;
            frames[v] = fr;
        }
    rmdir(dir);
    printf("store.runs %d runs\n", n);
    printf("store.buckets %u rows\n", st.nbuckets);
    printf("store.quantiles %u rows\n", st.nquantiles);
    for (int v = 0; v < V_N; v++)
        printf("store.cpu_us_per_run.%s %.1f us\n", names[v], best[v]);
    for (int v = 0; v < V_N; v++)
        printf("store.wal_frames_per_run.%s %.2f frames\n", names[v], frames[v]);
    exp_stats_free(&st);
    return 0;
}
