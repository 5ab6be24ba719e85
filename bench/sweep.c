/* bench/sweep: runs/s of a sweep (scenarios/lost-ack.yaml, seeds 1..SEEDS, every
 * protocol of the file) through the sweep's own worker pool with --jobs 1 and 2, and
 * what storing costs: the same sweep storing every run (outcome, time series,
 * quantiles, markers) in a fresh SQLite file, computing the same statistics without
 * storing them, and computing no statistics at all. Each repetition runs every
 * variant back to back, so that they see the same machine load. Runs/s are the best
 * of REPS; ratios (speed-up, overhead) are taken within each repetition and the
 * median over repetitions is printed: on a shared machine, minima taken separately
 * per variant compare different moments of load. Besides wall time it reports CPU
 * time (this process and its workers, getrusage; and the calling thread inside
 * exp_run and res_store_run with --jobs 1), which other jobs disturb much less.
 * Prints `name value unit` lines (docs/PERFORMANCE.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "experiment.h"
#include "scenario.h"
#include "store.h"
#include "sweep.h"

enum mode { M_STORE, M_STATS, M_BARE, M_N }; /* store in SQLite / stats only / neither */
static const char *const mode_names[M_N] = {"store", "no_store", "no_stats"};

struct bench {
    struct scenario scn;
    struct sweep_plan plan;
    enum mode mode;
    struct res_db *db;
    uint64_t stored;
    double store_s;     /* wall time inside res_store_run, this sweep */
    double store_cpu_s; /* CPU time of this thread inside res_store_run */
    double run_cpu_s;   /* CPU time of this thread inside compute (jobs 1 only) */
};

/* CPU seconds used so far by this process and its reaped children. */
static double cpu_s(void) {
    struct rusage self, kids;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &kids);
    double t = 0;
    const struct rusage *u[] = {&self, &kids};
    for (int i = 0; i < 2; i++)
        t += (double)u[i]->ru_utime.tv_sec + (double)u[i]->ru_utime.tv_usec / 1e6 +
             (double)u[i]->ru_stime.tv_sec + (double)u[i]->ru_stime.tv_usec / 1e6;
    return t;
}

static int compute(void *ctx, uint64_t index, struct exp_outcome *out, struct exp_stats *stats,
                   struct ft_error *err) {
    struct bench *b = ctx;
    struct sweep_point pt;
    sweep_point_of(&b->plan, index, &pt);
    struct exp_options opt = {.stats = b->mode == M_BARE ? NULL : stats};
    if (b->mode == M_BARE) exp_stats_free(stats);
    double c0 = bench_seconds(CLOCK_THREAD_CPUTIME_ID);
    int rc = exp_run(&b->scn.pipe, pt.protocol, pt.seed, &opt, out, err);
    b->run_cpu_s += bench_seconds(CLOCK_THREAD_CPUTIME_ID) - c0;
    return rc;
}

static int store(void *ctx, uint64_t index, const struct exp_outcome *out,
                 const struct exp_stats *stats, struct ft_error *err) {
    struct bench *b = ctx;
    b->stored++;
    if (b->mode != M_STORE) return 0;
    struct sweep_point pt;
    sweep_point_of(&b->plan, index, &pt);
    struct res_run r = {.scenario = b->scn.name,
                        .scenario_hash = b->scn.hash,
                        .seed = pt.seed,
                        .protocol = dlv_name(pt.protocol),
                        .status = exp_guarantee_held(pt.protocol, out) ? "ok" : "violated",
                        .outcome = out,
                        .params = "",
                        .stats = stats};
    double t0 = bench_seconds(CLOCK_MONOTONIC), c0 = bench_seconds(CLOCK_THREAD_CPUTIME_ID);
    int rc = res_store_run(b->db, &r, NULL, err);
    b->store_s += bench_seconds(CLOCK_MONOTONIC) - t0;
    b->store_cpu_s += bench_seconds(CLOCK_THREAD_CPUTIME_ID) - c0;
    return rc;
}

/* One sweep of every run; returns wall seconds (and *cpu the CPU seconds), or -1. */
static double one_sweep(struct bench *b, const uint64_t *todo, uint32_t jobs, const char *dir,
                        double *cpu) {
    char path[1200];
    struct ft_error err = {0};
    snprintf(path, sizeof path, "%s/bench.db", dir);
    if (b->mode == M_STORE && res_open(path, &b->db, &err) != 0) {
        fprintf(stderr, "sweep: %s\n", err.msg);
        return -1;
    }
    struct sweep_pool_ops ops = {compute, store, NULL, NULL, b};
    uint64_t failed = 0;
    b->stored = 0;
    b->store_s = b->store_cpu_s = b->run_cpu_s = 0;
    double t0 = bench_seconds(CLOCK_MONOTONIC), c0 = cpu_s();
    int rc = sweep_pool_run(todo, b->plan.nruns, jobs, &ops, &failed, &err);
    double t = bench_seconds(CLOCK_MONOTONIC) - t0;
    *cpu = cpu_s() - c0;
    res_close(b->db);
    b->db = NULL;
    const char *suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char p[1300];
        snprintf(p, sizeof p, "%s%s", path, suffix[i]);
        unlink(p);
    }
    if (rc || failed || b->stored != b->plan.nruns) {
        fprintf(stderr, "sweep: %s (%llu failed)\n", rc ? err.msg : "runs failed",
                (unsigned long long)failed);
        return -1;
    }
    return t;
}

static int load(struct bench *b, const char *file, uint64_t seeds) {
    struct ft_error err = {0};
    if (scn_load(file, &b->scn, &err) != 0) {
        fprintf(stderr, "%s:%d:%d: %s\n", err.file, err.line, err.col, err.msg);
        return -1;
    }
    b->plan.seed_first = 1;
    b->plan.seed_last = seeds;
    b->plan.nprotocols = b->scn.nprotocols;
    memcpy(b->plan.protocols, b->scn.protocols, sizeof b->plan.protocols);
    if (sweep_plan_finish(&b->plan, &err) != 0) {
        fprintf(stderr, "sweep: %s\n", err.msg);
        return -1;
    }
    return 0;
}

#define REPS_MAX 64

/* 100 * (a / b - 1) of each repetition's pair, the median over repetitions. */
static double median_overhead(const double *a, const double *b, int reps) {
    double v[REPS_MAX];
    for (int i = 0; i < reps; i++)
        v[i] = 100.0 * (a[i] - b[i]) / b[i];
    return bench_median(v, reps);
}

int main(int argc, char **argv) {
    const char *file = argc > 1 ? argv[1] : "scenarios/lost-ack.yaml";
    uint64_t seeds = argc > 2 ? strtoull(argv[2], NULL, 10) : 200;
    int reps = argc > 3 ? atoi(argv[3]) : 5;
    static struct bench b;
    char dir[] = "/tmp/ftsim-bench-sweep-XXXXXX";
    exp_keep_memory(); /* as ftsim sweep: a run reuses what the previous one freed */
    if (seeds < 1 || reps < 1 || reps > REPS_MAX || load(&b, file, seeds) != 0 || !mkdtemp(dir))
        return 2;
    uint64_t *todo = malloc(b.plan.nruns * sizeof *todo);
    if (!todo) return 3;
    for (uint64_t i = 0; i < b.plan.nruns; i++)
        todo[i] = i;
    /* per repetition: wall and CPU seconds of each variant and jobs count, and the
     * thread CPU inside res_store_run and exp_run (store, --jobs 1) */
    static double wall[M_N][3][REPS_MAX], cpu[M_N][3][REPS_MAX], store_cpu[REPS_MAX],
        run_cpu[REPS_MAX], store_wall[REPS_MAX];
    for (int rep = 0; rep < reps; rep++)
        for (uint32_t jobs = 1; jobs <= 2; jobs++)
            for (int m = 0; m < M_N; m++) {
                b.mode = (enum mode)m;
                double c = 0, t = one_sweep(&b, todo, jobs, dir, &c);
                if (t < 0) return 3;
                wall[m][jobs][rep] = t;
                cpu[m][jobs][rep] = c;
                if (m == M_STORE && jobs == 1) {
                    store_wall[rep] = b.store_s;
                    store_cpu[rep] = b.store_cpu_s;
                    run_cpu[rep] = b.run_cpu_s;
                }
            }
    rmdir(dir);
    double n = (double)b.plan.nruns, best[M_N][3], ratio[REPS_MAX];
    for (int m = 0; m < M_N; m++)
        for (uint32_t jobs = 1; jobs <= 2; jobs++) {
            best[m][jobs] = wall[m][jobs][0];
            for (int i = 1; i < reps; i++)
                if (wall[m][jobs][i] < best[m][jobs]) best[m][jobs] = wall[m][jobs][i];
        }
    printf("sweep.runs %llu runs\n", (unsigned long long)b.plan.nruns);
    printf("sweep.repetitions %d reps\n", reps);
    for (uint32_t jobs = 1; jobs <= 2; jobs++)
        for (int m = 0; m < M_N; m++)
            printf("sweep.runs_per_s.jobs_%u.%s %.1f runs/s\n", jobs, mode_names[m],
                   n / best[m][jobs]);
    for (int m = 0; m < M_N; m++) {
        for (int i = 0; i < reps; i++)
            ratio[i] = wall[m][1][i] / wall[m][2][i];
        printf("sweep.speedup_jobs_2.%s %.2f ratio\n", mode_names[m], bench_median(ratio, reps));
    }
    for (uint32_t jobs = 1; jobs <= 2; jobs++) {
        printf("sweep.sqlite_overhead.jobs_%u %.1f %%\n", jobs,
               median_overhead(wall[M_STORE][jobs], wall[M_STATS][jobs], reps));
        printf("sweep.results_overhead.jobs_%u %.1f %%\n", jobs,
               median_overhead(wall[M_STORE][jobs], wall[M_BARE][jobs], reps));
    }
    for (uint32_t jobs = 1; jobs <= 2; jobs++)
        printf("sweep.sqlite_overhead_cpu.jobs_%u %.1f %%\n", jobs,
               median_overhead(cpu[M_STORE][jobs], cpu[M_STATS][jobs], reps));
    for (int i = 0; i < reps; i++)
        ratio[i] = 100.0 * store_cpu[i] / run_cpu[i];
    printf("sweep.store_cpu_over_run_cpu %.1f %%\n", bench_median(ratio, reps));
    printf("sweep.store_us_per_run.jobs_1 %.0f us\n", 1e6 * bench_median(store_wall, reps) / n);
    printf("sweep.store_cpu_us_per_run %.0f us\n", 1e6 * bench_median(store_cpu, reps) / n);
    printf("sweep.run_cpu_us_per_run %.0f us\n", 1e6 * bench_median(run_cpu, reps) / n);
    for (uint32_t jobs = 1; jobs <= 2; jobs++)
        for (int m = 0; m < M_N; m++)
            printf("sweep.cpu_us_per_run.jobs_%u.%s %.0f us\n", jobs, mode_names[m],
                   1e6 * bench_median(cpu[m][jobs], reps) / n);
    free(todo);
    return 0;
}
