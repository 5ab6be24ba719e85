/* Internals of the experiment runner shared by experiment.c (one run: simulator,
 * pipeline, ledger, outcome), exp_stats.c (the statistics collector over simulated time)
 * and exp_views.c (the window table and the lambda views against their references).
 * Not a public API: callers use experiment.h. */
#ifndef FTSIM_EXP_INTERNAL_H
#define FTSIM_EXP_INTERNAL_H

#include "experiment.h"

/* Per-bucket counters while the run goes on; see struct exp_bucket. */
struct exp_collector {
    struct exp_stats *out;
    const struct pipe_config *cfg;
    const struct pipe *pipe; /* set once built: retries are read from it */
    uint64_t w, end_ns;
    uint32_t nmax;                                             /* buckets covering [0, end] */
    uint64_t *created, *visible, *first, *retries, *p50, *p99; /* nmax each, one block */
    uint64_t *lat; /* latencies of the rows of bucket lat_bucket */
    size_t nlat, lat_cap;
    uint32_t lat_bucket, retry_bucket, last_active;
    uint64_t retry_mark;   /* pipe_retries() when retry_bucket began */
    uint64_t retry_end_ns; /* where retry_bucket ends (UINT64_MAX: the last bucket) */
    int failed;            /* FT_ENOMEM met inside a callback */
};

/* ---- exp_stats.c ---- */
/* Sets c up for a run of cfg into out (emptied first); bucket_ns 0: exp_bucket_ns's
 * default. 0 or FT_ENOMEM. exp_col_free(NULL) does nothing. */
int exp_col_init(struct exp_collector *c, const struct pipe_config *cfg, struct exp_stats *out,
                 uint64_t bucket_ns);
void exp_col_free(struct exp_collector *c);
/* The bucket of time t_ns (the last one past the end). */
uint32_t exp_col_bucket(const struct exp_collector *c, uint64_t t_ns);
/* A row became visible at now_ns; first: the first visible copy of its record. */
void exp_col_visible(struct exp_collector *c, uint64_t latency_ns, uint64_t now_ns, bool first);
/* Every trace event of the run (retries by bucket, fault markers). */
void exp_col_trace(struct exp_collector *c, const struct sim_trace_rec *r);
/* After the run: the counters into c->out's buckets. 0 or FT_ENOMEM. */
int exp_col_finish(struct exp_collector *c);

/* ---- exp_views.c ---- */
/* The windowed query's no-lateness reference, fed the generated records one at a time
 * (exp_wref_add, a src_gen_each callback) in the order src_gen_each gives them with
 * any_order = exp_wref_any_order(cfg): so the replay that counts the records for the
 * warehouse can feed it too. */
struct exp_wref;
struct src_record;
int exp_wref_new(const struct pipe_config *cfg, bool by_arrival, struct exp_wref **out,
                 struct ft_error *err);
int exp_wref_add(void *ctx, const struct src_record *r);
bool exp_wref_any_order(const struct pipe_config *cfg);
void exp_wref_free(struct exp_wref *f);
/* After the run: the window table (its log and watermark when table->want_log) into
 * table and its comparison with the reference into out: `fed`'s, when the replay fed one
 * (it is spent then), else one computed now. 0 or a negative FT_E*. */
int exp_fill_windows(struct pipe *pipe, const struct pipe_config *cfg, uint64_t seed,
                     struct exp_wref *fed, struct exp_windows *table, struct exp_outcome *out,
                     struct ft_error *err);
/* After the run: the lambda series (into series when not NULL) against the reference
 * counts, summarised into out. 0 or a negative FT_E*. */
int exp_fill_lambda(const struct pipe *pipe, const struct pipe_config *cfg, uint64_t seed,
                    struct exp_lambda *series, struct exp_outcome *out, struct ft_error *err);

#endif
