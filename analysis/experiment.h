/* One run of a pipeline under one protocol and seed, and its outcome measured from
 * ground truth: the ledger counts how many times each source record's effect became
 * visible at the sink (0 lost, 1 exactly once, >1 duplicated), and the per-key table
 * the warehouse shows is compared with a reference computed from the generated input
 * alone, without the simulator (DESIGN.md §3). */
#ifndef FTSIM_EXPERIMENT_H
#define FTSIM_EXPERIMENT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "pipeline.h"

#define EXP_KEY_BYTES 64u /* a key's display name, with the NUL */

struct exp_outcome {
    uint64_t sent;           /* records the source generated */
    uint64_t delivered;      /* distinct records whose effect is visible */
    uint64_t lost;           /* records never visible */
    uint64_t duplicated;     /* extra visible copies, summed over records */
    uint64_t retries;        /* retransmissions by any sender */
    uint64_t messages;       /* messages sent on the network */
    uint64_t latency_p50_ns; /* creation -> first visible, simulated */
    uint64_t latency_p99_ns;
    uint64_t recovery_ns; /* longest time from a worker crash to its next visible output */
    uint64_t crashes;     /* crashes of any node */
    uint64_t worker_crashes; /* ... of them, of workers (window state is volatile) */
    uint64_t end_ns;        /* simulated time at the end of the run */
    /* lost records the pipeline still held for delivery when the run ended (the source
     * retrying them, a partition's log above its committed offset, a checkpoint's
     * uncommitted rows at the sink): a longer drain may deliver them */
    uint64_t in_flight_at_end;
    uint64_t events;        /* kernel events run */
    bool matches_reference; /* the warehouse's per-key counts equal the reference */
    uint64_t keys_mismatched;
    char trace_hash[SIM_HASH_HEX_BYTES];
    /* the windowed query, when the scenario has one (all 0 / false otherwise) */
    bool windows_enabled;
    uint64_t windows;              /* rows of the result table: one per (window, key) */
    uint64_t windows_final;        /* ... of them closed by the watermark or the run's end */
    uint64_t late_dropped;         /* (record, window) contributions dropped as late */
    uint64_t late_records;         /* records with at least one dropped contribution */
    uint64_t window_rows_emitted;  /* rows the output mode emitted (every trigger) */
    uint64_t window_triggers;      /* micro-batch triggers, or records (continuous) */
    uint64_t filtered;             /* records a filter or the join dropped */
    bool windows_match_reference;  /* the final table equals the no-lateness reference */
    uint64_t windows_mismatched;   /* (window, key) rows that differ from it */
    uint64_t window_tasks_idle;    /* tasks with state but no running host at the end (a
                                      rebalance or rollback in progress): windows left open */
    uint64_t window_latency_p50_ns; /* source arrival -> first emitted row showing it */
    uint64_t window_latency_p99_ns;
    /* the warehouse's schema on write: committed rows it rejected (copies included) */
    uint64_t rejected;
    uint64_t rejected_by[4]; /* by reason: [1] missing, [2] type, [3] range (enum src_defect) */
    /* the lambda architecture (cfg.lambda.enabled; see struct exp_lambda) */
    bool lambda_enabled;
    uint64_t lambda_batches;          /* batch views published */
    bool lambda_final_match;          /* at the last sample, served = reference for all */
    uint64_t lambda_max_diff;         /* max |served - reference| of the total, any sample */
    uint64_t lambda_overcount;        /* max served - reference of the total (0: never over) */
    uint64_t lambda_max_staleness_ns; /* max staleness of the total, samples t <= duration */
    uint64_t lambda_max_batch_age_ns; /* max t - batch_ns (t before a view), t <= duration */
    /* coverage moments reached (stream/moments.h): how often each happened */
    uint64_t moments[PIPE_MOMENTS];
    /* a streaming model (cfg.ml; analysis/exp_model.c): its input measured against the
     * generator's records, its error against the source's true model */
    bool model_enabled;
    uint64_t model_updates;          /* model updates the driver made */
    uint64_t model_input_applied;    /* distinct records the final model consumed */
    uint64_t model_input_lost;       /* generated records it never consumed */
    uint64_t model_input_duplicated; /* extra consumptions, summed over records */
    bool model_input_matches_reference; /* every generated record consumed exactly once */
    double model_error_final;        /* against the true model at the end (ml.h errors) */
    double model_error_before_drift; /* at the last update before the drift (no drift: 0) */
    double model_error_mean;         /* over every update of the run: what a fault cost */
    double model_cost_final;         /* the last update's mean score (k-means: cost/point) */
    bool model_has_frozen;           /* an offline model was trained */
    double model_frozen_error_final; /* its error against the true model at the end */
    uint64_t model_frozen_rows;      /* lake rows it was trained on */
    /* the same seed and protocol without faults (exp_model_fault_free) */
    bool model_fault_free_done;
    bool model_identical_to_fault_free; /* the final models are equal bit for bit */
    double model_fault_free_distance;   /* the final model's error against that one */
    bool model_has_truth;               /* the source has a true model (not a CSV) */
};

/* The model's measurements for the store (model_metrics) and --json, in update order:
 * per update (batch >= 0) "error" (against the true model then), "cost" (the mean score
 * of the records it scored), "applied" (records it consumed), "epoch", and with a frozen
 * model "frozen_error" and "frozen_cost"; k-means "centre.J.x" / "centre.J.y" (the first
 * two coordinates). Per run (batch -1): "model_kind" (1 k-means, 2 regression),
 * "final_error", "error_mean", "error_before_drift",
 * "input_applied", "input_lost", "input_duplicated", "drift_ns", "frozen_ns",
 * "frozen_final_error", "fault_free_distance", "identical_to_fault_free"; k-means with
 * d >= 2 the true centres "true.J.x" / "true.J.y" (t = 0, and t = the drift after it)
 * and "sample.x" / "sample.y": the points of the run's last full batch interval, from
 * the generator (batch = the point's index). */
#define EXP_MODEL_METRIC_BYTES 24u
struct exp_model_row {
    int64_t batch; /* -1: the run as a whole */
    uint64_t t_ns;
    char metric[EXP_MODEL_METRIC_BYTES];
    double value;
};
struct exp_model_rows {
    struct exp_model_row *rows;
    size_t n, cap;
};
void exp_model_rows_free(struct exp_model_rows *m);
#define EXP_MODEL_SAMPLE_MAX 400u /* points of the sample batch kept */

/* The lambda views over processing time, one point per sample for the total over all
 * keys (key "") and, with at most PIPE_LAMBDA_KEYS_MAX source keys, one per key:
 * served = batch view + speed view; reference = records the source created by t_ns
 * (arrival <= t), each once, from the generator alone; staleness = t_ns - the newest
 * event time the served view reflects (t_ns when it reflects none, 0 if ahead). */
struct exp_lambda_point {
    uint64_t t_ns;
    char key[EXP_KEY_BYTES];
    uint64_t served, reference;
    uint64_t batch;    /* the batch view's part of served */
    bool has_batch;    /* a batch view is served */
    uint64_t batch_ns; /* its snapshot: the lake files sealed by then (0 without) */
    uint64_t staleness_ns;
};
struct exp_lambda {
    struct exp_lambda_point *pts;
    size_t n;
};
/* Points one series may have: every sample, each with the total and up to
 * PIPE_LAMBDA_KEYS_MAX keys (the scenario loader keeps samples within the first). */
#define EXP_LAMBDA_POINTS_MAX (PIPE_LAMBDA_SAMPLES_MAX * (PIPE_LAMBDA_KEYS_MAX + 1u))
void exp_lambda_free(struct exp_lambda *l);

/* The window result table of a run, for display, --json and the results store. */
struct exp_window_row {
    int64_t window_start_ns, window_end_ns; /* for CSV clock times: ns since midnight */
    char key[EXP_KEY_BYTES];
    double value;
    uint64_t emitted_at_ns; /* when the row's value was last emitted */
    bool final;             /* closed by the watermark or by the end of the run */
    bool by_processing_time; /* a row of the processing-time contrast table (proc_rows) */
};
struct exp_windows {
    struct exp_window_row *rows; /* the final table, sorted by (window_start_ns, key id) */
    size_t n;
    /* Set by the caller before the run to also get the emission log: every row the
     * output mode emitted and every window closing, in order, each as the table showed
     * it then (emitted_at_ns = that time; final = the window was closed, so each
     * (window, key) has one final row, its last); at most PIPE_WINDOW_LOG_MAX rows. */
    bool want_log;
    struct exp_window_row *log;
    size_t nlog;
    bool log_truncated;
    /* The watermark over processing time: after each trigger (micro-batch) or each
     * change (continuous), with the late contributions dropped so far. */
    struct pipe_watermark *watermarks;
    size_t nwatermarks;
    /* With want_log: the same query with windows assigned by processing time (the
     * record's arrival at the pipeline) instead of event time, computed from the input
     * alone, every record counted: the table a processing-time system would show, for
     * contrast (emitted_at_ns = the window's end, when it would close). */
    struct exp_window_row *proc_rows;
    size_t nproc;
};
void exp_windows_free(struct exp_windows *w);

/* ---- statistics over simulated time (optional, for the results store's plots) ----
 * Time is cut into buckets of equal width [k*w, (k+1)*w); the last bucket ends at the
 * run's end and also takes events at exactly that time. Buckets run from 0 to the last
 * bucket with activity (a visible row, a retry or a marker), and at least to the end
 * of `duration`; after that nothing the buckets count changes. */
#define EXP_BUCKETS_MAX 100000u /* the width grows (in whole ms) to keep within this */
#define EXP_QUANTILES 22u       /* percentiles 0, 5, ..., 95, 99, 100 (ledger_quantile_pct) */

struct exp_bucket {
    uint64_t start_ns, width_ns; /* width_ns < w only for a last bucket cut by the end */
    uint64_t visible;            /* rows made visible in the bucket, duplicates included */
    uint64_t latency_p50_ns;     /* nearest rank over those rows' creation -> visible; */
    uint64_t latency_p99_ns;     /* both 0 when visible = 0 */
    uint64_t in_flight;          /* at the bucket's end: records created, none visible yet */
    uint64_t retries;            /* retransmissions by any sender during the bucket */
};

enum exp_marker_kind {
    EXP_MARK_CRASH = 0,
    EXP_MARK_RESTART,
    EXP_MARK_PARTITION,
    EXP_MARK_HEAL,
    EXP_MARK_REBALANCE, /* consumer group: partitions moved (one marker per instant) */
    EXP_MARK_DROP       /* a message a scenario's drop: rule removed (label names it) */
};
/* "crash", "restart", "partition", "heal", "rebalance", "drop". */
const char *exp_marker_name(enum exp_marker_kind k);

struct exp_marker {
    uint64_t t_ns;
    enum exp_marker_kind kind;
    char node[PIPE_NAME_MAX]; /* crash/restart: the node's name; drop: the sender's;
                                 partition/heal/rebalance: "" */
    char label[64];           /* drop: "ack r28 -> broker"; others: "" */
};

/* Zero-initialise once; exp_run frees and refills it on every run, exp_stats_free
 * releases it. bucket_ns is the one input: 0 = exp_bucket_ns(cfg, 0). */
struct exp_stats {
    uint64_t bucket_ns; /* in: requested width; out: the width used */
    struct exp_bucket *buckets;
    uint32_t nbuckets;
    uint64_t quantiles[EXP_QUANTILES]; /* end-to-end latency (first visibility), nearest rank */
    uint32_t nquantiles;               /* EXP_QUANTILES, or 0 when nothing was delivered */
    struct exp_marker *markers;        /* faults, restarts, heals, moves: in time order */
    uint32_t nmarkers, markers_cap;
    /* A window query's rows for the store: the emission log, then the processing-time
     * contrast table (by_processing_time), and the watermark over time (exp_windows). */
    struct exp_window_row *windows;
    uint32_t nwindows;
    struct pipe_watermark *watermarks;
    uint32_t nwatermarks;
    /* The lambda views (cfg.lambda.enabled): the series exp_options.lambda gets, in
     * the same order (at most EXP_LAMBDA_POINTS_MAX points). */
    struct exp_lambda_point *lambda;
    uint32_t nlambda;
    /* a model's measurements (struct exp_model_row), as exp_options.model gets them */
    struct exp_model_row *model;
    uint32_t nmodel;
};
void exp_stats_free(struct exp_stats *st);

/* The bucket width for cfg: `requested_ns` if not 0, else duration / 50 (for a CSV
 * replay: its rows' arrival span / 50) rounded to the nearest whole ms (at least 1 ms); either way
 * raised, in whole ms, until the run (duration + drain) needs at most EXP_BUCKETS_MAX buckets. */
uint64_t exp_bucket_ns(const struct pipe_config *cfg, uint64_t requested_ns);

/* Per record (exp_options.records), kept only when asked: the default ledger holds two
 * bits per record. copies[i] = visible copies of record i, first_latency_ns[i] = its
 * first visibility - creation (UINT64_MAX: never visible). */
struct exp_records {
    uint64_t n;
    uint32_t *copies;
    uint64_t *first_latency_ns;
};
void exp_records_free(struct exp_records *r);

struct exp_options {
    sim_trace_fn trace; /* optional: sees every trace event */
    void *trace_ctx;
    struct exp_stats *stats; /* optional: filled with the run's statistics over time */
    uint64_t bucket_ns;      /* requested bucket width; 0 = exp_bucket_ns(cfg, 0) */
    /* optional: write the sink's lake and/or warehouse files under this directory after
     * the run (pipe_sink_write), with sink_meta in the warehouse's meta table */
    const char *sink_dir;
    const struct pipe_sink_meta *sink_meta;
    /* optional: filled with the lambda series (free with exp_lambda_free); `stats`
     * gets its own copy either way */
    struct exp_lambda *lambda;
    /* optional: called every SIM_PROGRESS_EVENTS events (sim.h); non-zero stops the run
     * with FT_EINTR */
    sim_progress_fn progress;
    void *progress_ctx;
    /* optional: filled with the per-record ledger (free with exp_records_free) */
    struct exp_records *records;
    /* optional, with a model: its measurements (free with exp_model_rows_free) */
    struct exp_model_rows *model;
    /* with a model: skip the fault-free run of the same seed (model_fault_free_*) */
    bool model_no_fault_free;
    /* optional, with a model: its final parameters (ml_pack) into model_final */
    double *model_final;
};

/* Every run has an event budget: EXP_EVENTS_PER_RECORD per source record (the shipped
 * scenarios use 8 to 11), plus EXP_EVENTS_PER_MS_NODE per millisecond of run time and
 * node (timers: heartbeats, triggers, checkpoints), plus EXP_EVENTS_BASE. A run past it
 * stops with FT_ELIMIT and a message naming the budget: a scenario whose faults keep
 * the simulator busy without progress (loss 1.0 with a 1ns ack_timeout retries for
 * ever) ends in seconds instead of never. */
#define EXP_EVENTS_PER_RECORD 1000u
#define EXP_EVENTS_PER_MS_NODE 10u
#define EXP_EVENTS_BASE 1000000u
uint64_t exp_events_budget(const struct pipe_config *cfg, uint64_t records);

/* The guarantee `p` promises (DESIGN.md §3) held in o: at-most-once duplicated = 0;
 * at-least-once lost = 0; exactly-once (all three) lost = 0, duplicated = 0 and the
 * warehouse matches the reference; and a windowed query's table equal to its reference
 * where the protocol promises it (verdict.h: the window promise rule). */
bool exp_guarantee_held(enum dlv_protocol p, const struct exp_outcome *o);

/* For a process that runs one run after another (sweep, swarm, check, shrink, the
 * benchmarks): a run reuses the memory the previous one freed instead of faulting in
 * fresh pages, about 15 us of CPU each on a VM (docs/PERFORMANCE.md, the window stage).
 * glibc's malloc only; no effect on any result. */
void exp_keep_memory(void);

/* Runs cfg under protocol p and seed. Returns 0, or a negative FT_E* with err filled
 * (a fault naming an unknown node, a limit hit during the run, ...). */
int exp_run(const struct pipe_config *cfg, enum dlv_protocol p, uint64_t seed,
            const struct exp_options *opt, struct exp_outcome *out, struct ft_error *err);
/* exp_run that also returns the window table of a windowed query in *windows (left
 * empty without one; free it with exp_windows_free). */
int exp_run_windows(const struct pipe_config *cfg, enum dlv_protocol p, uint64_t seed,
                    const struct exp_options *opt, struct exp_outcome *out,
                    struct exp_windows *windows, struct ft_error *err);

#endif
