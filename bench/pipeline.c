/* bench/pipeline: simulated records per second through the whole pipeline for each
 * protocol, on scenarios/lost-ack.yaml scaled to RECORDS records (default 1e6) by
 * adding devices, and each protocol's cost relative to at-most-once measured in the
 * same run. A scenario with a window query (bench/windowed.yaml) is the windowed case
 * instead: its first protocol under the micro-batch driver (the file's trigger) and the
 * continuous driver, with the windowed query's rows and triggers. A scenario with a model
 * (bench/kmeans.yaml) is the model case: its rate scaled to RECORDS, every protocol it
 * lists, records/s through the streaming model, without the fault-free comparison run.
 * A run is single-threaded:
 * records_per_cpu_s divides by the process's CPU time (what one core did, whatever else the shared
 * machine runs), records_per_s by wall time; each is the best of 3 runs. Prints `name value unit`
 * lines. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "experiment.h"
#include "scenario.h"

/* Best of 3 runs of cfg under p: CPU and wall seconds; 0 or 3 (printed). */
static int best_of_3(const struct pipe_config *cfg, enum dlv_protocol p, uint64_t seed,
                     struct exp_outcome *o, double *cpu_s, double *wall_s) {
    struct ft_error err = {0};
    struct exp_options opt = {.model_no_fault_free = true};
    *cpu_s = *wall_s = 1e30;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = bench_seconds(CLOCK_MONOTONIC), c0 = bench_seconds(CLOCK_PROCESS_CPUTIME_ID);
        if (exp_run(cfg, p, seed, cfg->ml.spec.kind != ML_NONE ? &opt : NULL, o, &err) != 0) {
            fprintf(stderr, "pipeline: %s\n", err.msg);
            return 3;
        }
        double t = bench_seconds(CLOCK_MONOTONIC) - t0,
               tc = bench_seconds(CLOCK_PROCESS_CPUTIME_ID) - c0;
        if (t < *wall_s) *wall_s = t;
        if (tc < *cpu_s) *cpu_s = tc;
    }
    return 0;
}

static int windowed(struct scenario *scn) {
    struct pipe_config *c = &scn->pipe;
    enum dlv_protocol p = scn->protocols[0];
    for (int d = 0; d < 2; d++) {
        c->query.driver = d ? PIPE_DRIVER_CONTINUOUS : PIPE_DRIVER_MICRO_BATCH;
        const char *name = query_driver_name(c->query.driver);
        struct exp_outcome o;
        double cpu, wall;
        int rc = best_of_3(c, p, scn->seed, &o, &cpu, &wall);
        if (rc) return rc;
        printf("pipeline.windowed.records.%s %llu records (%s, %u workers, %u partitions)\n", name,
               (unsigned long long)o.sent, dlv_name(p), c->workers, c->partitions);
        printf("pipeline.windowed.records_per_cpu_s.%s %.0f records/s\n", name,
               (double)o.sent / cpu);
        printf("pipeline.windowed.records_per_s.%s %.0f records/s\n", name, (double)o.sent / wall);
        printf("pipeline.windowed.window_rows.%s %llu rows\n", name, (unsigned long long)o.windows);
        printf("pipeline.windowed.rows_emitted.%s %llu rows\n", name,
               (unsigned long long)o.window_rows_emitted);
        printf("pipeline.windowed.matches_reference.%s %s\n", name,
               o.windows_match_reference ? "yes" : "no");
        fflush(stdout);
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
        double cpu, wall;
        int rc = best_of_3(c, p, scn->seed, &o, &cpu, &wall);
        if (rc) return rc;
        printf("pipeline.kmeans.records.%s %llu records (k = %u, d = %u, %u workers, %u "
               "partitions, trigger %.0f ms)\n",
               name, (unsigned long long)o.sent, c->ml.spec.k, c->ml.spec.d, c->workers,
               c->partitions, (double)c->query.trigger_ns / 1e6);
        printf("pipeline.kmeans.records_per_cpu_s.%s %.0f records/s\n", name, (double)o.sent / cpu);
        printf("pipeline.kmeans.records_per_s.%s %.0f records/s\n", name, (double)o.sent / wall);
        printf("pipeline.kmeans.model_updates.%s %llu updates\n", name,
               (unsigned long long)o.model_updates);
        printf("pipeline.kmeans.model_input_applied.%s %llu records\n", name,
               (unsigned long long)o.model_input_applied);
        printf("pipeline.kmeans.model_error_final.%s %.4f\n", name, o.model_error_final);
        fflush(stdout);
    }
    return 0;
}

int main(int argc, char **argv) {
    const char *file = argc > 1 ? argv[1] : "scenarios/lost-ack.yaml";
    double records = argc > 2 ? atof(argv[2]) : 1e6;
    static struct scenario scn;
    struct ft_error err = {0};
    if (scn_load(file, &scn, &err) != 0) {
        fprintf(stderr, "%s:%d:%d: %s\n", err.file, err.line, err.col, err.msg);
        return 2;
    }
    struct pipe_config *c = &scn.pipe;
    if (c->ml.spec.kind != ML_NONE) return model(&scn, records);
    double per_device = (double)c->duration_ns / (double)c->source.period_ns;
    c->source.keys = (uint32_t)(records / per_device + 0.5);
    if (c->source.keys < 1 || c->source.keys > PIPE_KEYS_MAX) {
        fprintf(stderr, "pipeline: %g records need %u devices, out of range\n", records,
                c->source.keys);
        return 2;
    }
    if (c->query.enabled) return windowed(&scn);
    double base = 0;
    for (int p = 0; p < DLV_COUNT; p++) {
        struct exp_outcome o;
        double best = 1e30, best_cpu = 1e30;
        for (int rep = 0; rep < 3; rep++) {
            double t0 = bench_seconds(CLOCK_MONOTONIC),
                   c0 = bench_seconds(CLOCK_PROCESS_CPUTIME_ID);
            if (exp_run(c, (enum dlv_protocol)p, scn.seed, NULL, &o, &err) != 0) {
                fprintf(stderr, "pipeline: %s\n", err.msg);
                return 3;
            }
            double t = bench_seconds(CLOCK_MONOTONIC) - t0,
                   tc = bench_seconds(CLOCK_PROCESS_CPUTIME_ID) - c0;
            if (t < best) best = t;
            if (tc < best_cpu) best_cpu = tc;
        }
        const char *name = dlv_name((enum dlv_protocol)p);
        if (p == 0) base = best_cpu;
        printf("pipeline.records.%s %llu records\n", name, (unsigned long long)o.sent);
        printf("pipeline.records_per_cpu_s.%s %.0f records/s\n", name, (double)o.sent / best_cpu);
        printf("pipeline.records_per_s.%s %.0f records/s\n", name, (double)o.sent / best);
        printf("pipeline.events_per_record.%s %.2f events\n", name,
               (double)o.events / (double)o.sent);
        printf("pipeline.cost_ratio.%s %.2f ratio\n", name, best_cpu / base);
        fflush(stdout);
    }
    return 0;
}
