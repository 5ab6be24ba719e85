/* bench/pipeline: simulated records per second through the whole pipeline for each
 * protocol, on scenarios/lost-ack.yaml scaled to RECORDS records (default 1e6), and each
 * protocol's cost relative to at-most-once measured in the same run. Scaling adds
 * devices up to BENCH_DEVICES (lost-ack's 1e6 records in its 5 s), then lengthens the
 * duration. A scenario with a window query (bench/windowed.yaml) is the windowed case
 * instead: its first protocol without the query (plain), under the micro-batch driver
 * (the file's trigger) and under the continuous driver, alternating, BENCH_ROUNDS rounds;
 * each windowed ratio is plain CPU time / windowed CPU time of one round, the median
 * printed. `--memory` runs each protocol once in a child process and prints its peak
 * resident set (getrusage of the child) per record. A scenario with a model
 * (bench/kmeans.yaml) is the model case: its rate scaled to RECORDS, every protocol it
 * lists, records/s through the streaming model, without the fault-free comparison run.
 * A run is single-threaded:
 * records_per_cpu_s divides by the process's CPU time (what one core did, whatever else
 * the shared machine runs), records_per_s by wall time. Prints `name value unit` lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "experiment.h"
#include "scenario.h"

#define BENCH_DEVICES 20000u
#define BENCH_ROUNDS 5

struct timing {
    double cpu_s, wall_s;
};

static int run_once(const struct pipe_config *cfg, enum dlv_protocol p, uint64_t seed,
                    struct exp_outcome *o, struct timing *t) {
    struct ft_error err = {0};
    double t0 = bench_seconds(CLOCK_MONOTONIC), c0 = bench_seconds(CLOCK_PROCESS_CPUTIME_ID);
    struct exp_options opt = {.model_no_fault_free = true};
    if (exp_run(cfg, p, seed, cfg->ml.spec.kind != ML_NONE ? &opt : NULL, o, &err) != 0) {
        fprintf(stderr, "pipeline: %s\n", err.msg);
        return 3;
    }
    t->wall_s = bench_seconds(CLOCK_MONOTONIC) - t0;
    t->cpu_s = bench_seconds(CLOCK_PROCESS_CPUTIME_ID) - c0;
    return 0;
}

/* Best of 3 runs of cfg under p: CPU and wall seconds; 0 or 3 (printed). */
static int best_of_3(const struct pipe_config *cfg, enum dlv_protocol p, uint64_t seed,
                     struct exp_outcome *o, struct timing *best) {
    best->cpu_s = best->wall_s = 1e30;
    for (int rep = 0; rep < 3; rep++) {
        struct timing t;
        int rc = run_once(cfg, p, seed, o, &t);
        if (rc) return rc;
        if (t.wall_s < best->wall_s) best->wall_s = t.wall_s;
        if (t.cpu_s < best->cpu_s) best->cpu_s = t.cpu_s;
    }
    return 0;
}

/* The model case: records/s through the streaming model, per protocol listed. */
static int model(struct scenario *scn, double records) {
    struct pipe_config *c = &scn->pipe;
    c->source.rate_per_s = records / ((double)c->duration_ns / 1e9);
    for (uint32_t i = 0; i < scn->nprotocols; i++) {
        enum dlv_protocol p = scn->protocols[i];
        const char *name = dlv_name(p);
        struct exp_outcome o;
        struct timing t;
        int rc = best_of_3(c, p, scn->seed, &o, &t);
        if (rc) return rc;
        printf("pipeline.kmeans.records.%s %llu records (k = %u, d = %u, %u workers, %u "
               "partitions, trigger %.0f ms)\n",
               name, (unsigned long long)o.sent, c->ml.spec.k, c->ml.spec.d, c->workers,
               c->partitions, (double)c->query.trigger_ns / 1e6);
        printf("pipeline.kmeans.records_per_cpu_s.%s %.0f records/s\n", name,
               (double)o.sent / t.cpu_s);
        printf("pipeline.kmeans.records_per_s.%s %.0f records/s\n", name,
               (double)o.sent / t.wall_s);
        printf("pipeline.kmeans.model_updates.%s %llu updates\n", name,
               (unsigned long long)o.model_updates);
        printf("pipeline.kmeans.model_input_applied.%s %llu records\n", name,
               (unsigned long long)o.model_input_applied);
        printf("pipeline.kmeans.model_error_final.%s %.4f\n", name, o.model_error_final);
    }
    return 0;
}

/* Variant 0: the query off (plain); 1: micro-batch; 2: continuous. */
static void set_variant(struct pipe_config *c, const struct pipe_query *q, int v) {
    c->query = *q;
    c->query.enabled = v > 0;
    c->query.driver = v == 2 ? PIPE_DRIVER_CONTINUOUS : PIPE_DRIVER_MICRO_BATCH;
}

static void print_windowed(const struct pipe_config *c, enum dlv_protocol p, const char *name,
                           const struct exp_outcome *o, const struct timing *best) {
    printf("pipeline.windowed.records.%s %llu records (%s, %u workers, %u partitions)\n", name,
           (unsigned long long)o->sent, dlv_name(p), c->workers, c->partitions);
    printf("pipeline.windowed.records_per_cpu_s.%s %.0f records/s\n", name,
           (double)o->sent / best->cpu_s);
    printf("pipeline.windowed.records_per_s.%s %.0f records/s\n", name,
           (double)o->sent / best->wall_s);
    if (!o->windows_enabled) return;
    printf("pipeline.windowed.window_rows.%s %llu rows\n", name, (unsigned long long)o->windows);
    printf("pipeline.windowed.rows_emitted.%s %llu rows\n", name,
           (unsigned long long)o->window_rows_emitted);
    printf("pipeline.windowed.matches_reference.%s %s\n", name,
           o->windows_match_reference ? "yes" : "no");
}

/* The windowed case: plain, micro-batch and continuous alternate in each round, so the
 * ratios of one round see the same load. Rates are the best round's, ratios medians. */
static int windowed(struct scenario *scn) {
    struct pipe_config *c = &scn->pipe;
    const struct pipe_query q = c->query;
    enum dlv_protocol p = scn->protocols[0];
    static const char *const names[3] = {"plain", "micro-batch", "continuous"};
    struct exp_outcome o[3];
    struct timing best[3], t[3];
    double ratio[2][BENCH_ROUNDS];
    for (int v = 0; v < 3; v++) best[v].cpu_s = best[v].wall_s = 1e30;
    for (int r = 0; r < BENCH_ROUNDS; r++) {
        for (int v = 0; v < 3; v++) {
            set_variant(c, &q, v);
            int rc = run_once(c, p, scn->seed, &o[v], &t[v]);
            if (rc) return rc;
            if (t[v].cpu_s < best[v].cpu_s) best[v].cpu_s = t[v].cpu_s;
            if (t[v].wall_s < best[v].wall_s) best[v].wall_s = t[v].wall_s;
        }
        ratio[0][r] = t[0].cpu_s / t[1].cpu_s;
        ratio[1][r] = t[0].cpu_s / t[2].cpu_s;
    }
    for (int v = 0; v < 3; v++) print_windowed(c, p, names[v], &o[v], &best[v]);
    printf("pipeline.windowed.ratio.micro-batch %.2f ratio (median of %d rounds)\n",
           bench_median(ratio[0], BENCH_ROUNDS), BENCH_ROUNDS);
    printf("pipeline.windowed.ratio.continuous %.2f ratio (median of %d rounds)\n",
           bench_median(ratio[1], BENCH_ROUNDS), BENCH_ROUNDS);
    fflush(stdout);
    return 0;
}

static int throughput(struct scenario *scn) {
    struct pipe_config *c = &scn->pipe;
    double base = 0;
    for (int p = 0; p < DLV_COUNT; p++) {
        struct exp_outcome o;
        struct timing best;
        int rc = best_of_3(c, (enum dlv_protocol)p, scn->seed, &o, &best);
        if (rc) return rc;
        const char *name = dlv_name((enum dlv_protocol)p);
        if (p == 0) base = best.cpu_s;
        printf("pipeline.records.%s %llu records\n", name, (unsigned long long)o.sent);
        printf("pipeline.records_per_cpu_s.%s %.0f records/s\n", name, (double)o.sent / best.cpu_s);
        printf("pipeline.records_per_s.%s %.0f records/s\n", name, (double)o.sent / best.wall_s);
        printf("pipeline.events_per_record.%s %.2f events\n", name,
               (double)o.events / (double)o.sent);
        printf("pipeline.cost_ratio.%s %.2f ratio\n", name, best.cpu_s / base);
        fflush(stdout);
    }
    return 0;
}

/* ---- --memory: one run per protocol in a child, its peak RSS from the parent ---- */

struct child_report {
    struct exp_outcome o;
    struct timing t;
    long rss_kb; /* the child's peak resident set (getrusage RUSAGE_SELF at its end) */
    int rc;
};

/* Runs p once in a fresh child process, which reports its outcome and peak RSS. */
static int measure(const struct pipe_config *c, enum dlv_protocol p, uint64_t seed,
                   struct child_report *rep, long *rss_kb) {
    int fd[2];
    if (pipe(fd) != 0) return 3;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) return 3;
    if (pid == 0) {
        close(fd[0]);
        struct child_report r = {0};
        r.rc = run_once(c, p, seed, &r.o, &r.t);
        struct rusage ru;
        if (getrusage(RUSAGE_SELF, &ru) == 0) r.rss_kb = ru.ru_maxrss;
        ssize_t w = write(fd[1], &r, sizeof r);
        _exit(w == (ssize_t)sizeof r ? 0 : 3);
    }
    close(fd[1]);
    ssize_t got = read(fd[0], rep, sizeof *rep);
    close(fd[0]);
    int status;
    if (waitpid(pid, &status, 0) != pid || got != (ssize_t)sizeof *rep || rep->rc) return 3;
    *rss_kb = rep->rss_kb;
    return 0;
}

/* "1e7" for a power of ten, else the count. */
static void records_label(double records, char *buf, size_t size) {
    double x = records;
    int e = 0;
    while (x >= 10 && x == (double)(long long)x && (long long)x % 10 == 0) {
        x /= 10;
        e++;
    }
    if (x == 1 && e > 0)
        snprintf(buf, size, "1e%d", e);
    else
        snprintf(buf, size, "%.0f", records);
}

static int memory(struct scenario *scn, double records, char **protos, int nprotos) {
    char label[32];
    records_label(records, label, sizeof label);
    for (int i = 0; i < (nprotos ? nprotos : DLV_COUNT); i++) {
        int p = nprotos ? dlv_parse(protos[i]) : i;
        if (p < 0) {
            fprintf(stderr, "pipeline: unknown protocol '%s'\n", protos[i]);
            return 2;
        }
        struct child_report r;
        long rss_kb;
        if (measure(&scn->pipe, (enum dlv_protocol)p, scn->seed, &r, &rss_kb)) {
            fprintf(stderr, "pipeline: the run of %s failed\n", dlv_name((enum dlv_protocol)p));
            return 3;
        }
        const char *name = dlv_name((enum dlv_protocol)p);
        printf("pipeline.bytes_per_record.%s.%s %.1f bytes (peak RSS %.1f MB / %llu records)\n",
               label, name, (double)rss_kb * 1024.0 / (double)r.o.sent, (double)rss_kb / 1024.0,
               (unsigned long long)r.o.sent);
        printf("pipeline.peak_rss.%s.%s %.1f MB\n", label, name, (double)rss_kb / 1024.0);
        printf("pipeline.wall_s.%s.%s %.1f s\n", label, name, r.t.wall_s);
        printf("pipeline.cpu_s.%s.%s %.1f s\n", label, name, r.t.cpu_s);
        printf("pipeline.delivered.%s.%s %llu records (lost %llu, duplicated %llu)\n", label,
               name, (unsigned long long)r.o.delivered, (unsigned long long)r.o.lost,
               (unsigned long long)r.o.duplicated);
        printf("pipeline.trace_hash.%s.%s %s hash\n", label, name, r.o.trace_hash);
        fflush(stdout);
    }
    return 0;
}

/* Scales c to `records`: devices first (up to BENCH_DEVICES), then the duration. */
static int scale(struct pipe_config *c, double records) {
    double per_device = (double)c->duration_ns / (double)c->source.period_ns;
    double devices = records / per_device + 0.5;
    if (devices > BENCH_DEVICES) {
        devices = BENCH_DEVICES;
        c->duration_ns = (uint64_t)(records / BENCH_DEVICES * (double)c->source.period_ns + 0.5);
    }
    c->source.keys = (uint32_t)devices;
    if (c->source.keys < 1 || c->source.keys > PIPE_KEYS_MAX || !c->duration_ns) {
        fprintf(stderr, "pipeline: %g records: out of range\n", records);
        return 2;
    }
    return 0;
}

static int usage(void) {
    fprintf(stderr, "usage: pipeline [FILE [RECORDS]]\n"
                    "       pipeline --memory FILE RECORDS [PROTOCOL...]\n");
    return 2;
}

int main(int argc, char **argv) {
    bool mem = argc > 1 && strcmp(argv[1], "--memory") == 0;
    if (mem && argc < 4) return usage();
    exp_keep_memory(); /* as ftsim: a run reuses what the previous one freed */
    int a = mem ? 2 : 1;
    const char *file = argc > a ? argv[a] : "scenarios/lost-ack.yaml";
    double records = argc > a + 1 ? atof(argv[a + 1]) : 1e6;
    if (!mem && argc > a + 2) return usage();
    static struct scenario scn;
    struct ft_error err = {0};
    if (scn_load(file, &scn, &err) != 0) {
        fprintf(stderr, "%s:%d:%d: %s\n", err.file, err.line, err.col, err.msg);
        return 2;
    }
    if (!mem && scn.pipe.ml.spec.kind != ML_NONE) return model(&scn, records);
    if (scn.pipe.source.kind != SRC_IOT) {
        fprintf(stderr, "pipeline: %s: the benchmark scales an iot source\n", file);
        return 2;
    }
    int rc = scale(&scn.pipe, records);
    if (rc) return rc;
    if (mem) return memory(&scn, records, argv + a + 2, argc - a - 2);
    return scn.pipe.query.enabled ? windowed(&scn) : throughput(&scn);
}
