/* One experiment run: simulator + pipeline + ledger, then the outcome. The reference
 * per-key table comes from replaying the generator on its own. Recovery time is
 * measured from the trace: a worker's crash to the first row it makes visible after.
 * With exp_options.stats the run is also cut into time buckets (exp_stats.c) and its
 * markers and latency percentiles are kept, with a window query's log and watermark and
 * the lambda series; collecting them never changes the run itself. A windowed query's
 * final table and the lambda views are compared with references computed from the
 * generated input alone (exp_views.c). */
#include "experiment.h"

#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "bitset.h"
#include "exp_internal.h"
#include "exp_model.h"
#include "grow.h"
#include "ledger.h"
#include "moments.h"

_Static_assert(EXP_QUANTILES == LEDGER_QUANTILES, "stats keep the ledger's quantiles");
#include "source.h"

struct exp_state {
    struct ledger ledger;
    const struct exp_options *opt;
    struct exp_collector *col; /* NULL without stats */
    uint64_t crashes, worker_crashes;
    struct mom_tracker mom; /* coverage moments the trace shows */
    uint64_t *crashed_at; /* per node: crash time + 1 waiting for a visible row; 0 = none */
    bool *restarted;      /* per node: restarted since that crash */
    uint64_t recovery_ns;
    uint32_t nnodes;
    uint32_t sink;
    uint32_t workers; /* node ids 2 .. workers + 1 (pipeline.h) */
    struct bitset pending; /* at the end: records counted as in flight */
    bool pending_failed;   /* out of memory adding to it */
    uint64_t in_flight;
    struct exp_model_ctx model; /* a model's input ledger (cfg.ml) */
};

/* ---- the statistics collector ---- */

/* ---- the run ---- */

static void on_visible(void *ctx, const struct pipe_row *row, uint64_t now_ns) {
    struct exp_state *st = ctx;
    uint64_t latency_ns = now_ns - row->created_ns;
    if (st->col) {
        bool first = row->rec < st->ledger.n && ledger_copies(&st->ledger, row->rec) == 0;
        exp_col_visible(st->col, latency_ns, now_ns, first);
    }
    ledger_visible(&st->ledger, row->rec, latency_ns);
    if (row->worker < st->nnodes && st->crashed_at[row->worker] && st->restarted[row->worker]) {
        uint64_t t = now_ns - (st->crashed_at[row->worker] - 1);
        if (t > st->recovery_ns) st->recovery_ns = t;
        st->crashed_at[row->worker] = 0;
        st->restarted[row->worker] = false;
    }
}

static void on_model_input(void *ctx, uint64_t rec, int delta) {
    struct exp_state *st = ctx;
    exp_model_input(&st->model, rec, delta);
}

/* A model's measurements: the fault-free run of the same seed and protocol first
 * (unless asked not to), then the ledger, errors and rows. */
static int fill_model(struct pipe *pipe, const struct pipe_config *cfg, enum dlv_protocol p,
                      uint64_t seed, const struct exp_options *opt, struct exp_state *st,
                      struct exp_model_rows *rows, struct exp_outcome *out,
                      struct ft_error *err) {
    double ff[ML_K_MAX * (ML_DIM_MAX + 1)], *ffp = NULL;
    if (!opt || !opt->model_no_fault_free) {
        struct pipe_config *c = malloc(sizeof *c);
        if (!c) return ft_fail(err, FT_ENOMEM, "out of memory");
        exp_model_fault_free_cfg(cfg, c);
        struct exp_options o = {.model_no_fault_free = true, .model_final = ff};
        struct exp_outcome fo;
        int rc = exp_run(c, p, seed, &o, &fo, err);
        free(c);
        if (rc) return rc;
        ffp = ff;
    }
    if (exp_model_finish(&st->model, pipe, cfg, seed, ffp, out, rows))
        return ft_fail(err, FT_ENOMEM, "out of memory for the model's measurements");
    if (opt && opt->model_final) {
        struct ml_model m;
        pipe_ml_final(pipe, &m);
        ml_pack(&cfg->ml.spec, &m, opt->model_final);
    }
    return 0;
}

static int stats_model_from(struct exp_stats *st, const struct exp_model_rows *r) {
    if (r->n > UINT32_MAX) return FT_ELIMIT;
    st->model = malloc((r->n ? r->n : 1) * sizeof *st->model);
    if (!st->model) return FT_ENOMEM;
    if (r->n) memcpy(st->model, r->rows, r->n * sizeof *r->rows);
    st->nmodel = (uint32_t)r->n;
    return 0;
}

static void on_trace(const struct sim_trace_rec *r, void *ctx) {
    struct exp_state *st = ctx;
    if (r->type == SIM_TR_CRASH) {
        st->crashes++;
        st->worker_crashes += r->node >= 2 && r->node < 2 + st->workers;
        if (r->node < st->nnodes && !st->crashed_at[r->node])
            st->crashed_at[r->node] = r->time_ns + 1;
    }
    if (r->type == SIM_TR_RESTART && r->node < st->nnodes) st->restarted[r->node] = true;
    mom_see(&st->mom, r);
    if (st->col) exp_col_trace(st->col, r);
    if (st->opt && st->opt->trace) st->opt->trace(r, st->opt->trace_ctx);
}

/* The replay's callback: records per key, and the window reference fed with them. */
struct counts_feed {
    uint64_t *counts, *total;
    uint32_t keys;
    struct exp_wref *wref; /* NULL: not fed, or it failed (computed again after the run) */
};

static int count_and_feed(void *ctx, const struct src_record *r) {
    struct counts_feed *f = ctx;
    if (r->key < f->keys) f->counts[r->key]++;
    (*f->total)++;
    if (f->wref && exp_wref_add(f->wref, r)) {
        exp_wref_free(f->wref);
        f->wref = NULL;
    }
    return 0;
}

/* Reference: visible rows per key if every record were delivered exactly once, from a
 * replay of the source; with a collector, also the records created per bucket. *wref,
 * when not NULL, is a window reference the same replay feeds where it can (its order
 * suits it, nothing needs the merged stream); otherwise, or when feeding it failed, it
 * is freed and set to NULL, and the window reference is computed after the run. */
static int reference_counts(const struct pipe_config *cfg, uint64_t seed, uint64_t **counts,
                            uint64_t *n, struct exp_collector *col, struct exp_wref **wref) {
    uint64_t *c = calloc(cfg->source.keys, sizeof *c);
    if (!c) return FT_ENOMEM;
    /* the warehouse may reject: malformed records, CSV values out of its range */
    bool rejects = cfg->sink.kind != PIPE_SINK_LAKE &&
                   (cfg->source.malformed_p > 0 || cfg->source.kind == SRC_CSV);
    if (!col && !rejects) { /* counts only: each device's stream on its own, no merge */
        *n = 0;
        struct counts_feed f = {c, n, cfg->source.keys, exp_wref_any_order(cfg) ? *wref : NULL};
        if (!f.wref) {
            exp_wref_free(*wref);
            *wref = NULL;
        }
        if (src_gen_each(&cfg->source, cfg->duration_ns, seed, true, count_and_feed, &f) != 0) {
            free(c);
            return FT_ENOMEM;
        }
        *wref = f.wref;
        *counts = c;
        return 0;
    }
    exp_wref_free(*wref);
    *wref = NULL;
    /* statistics also need every record's creation time, rejects every record's
     * defect and value: replay the merged stream */
    struct src_gen g;
    if (src_gen_init(&g, &cfg->source, cfg->duration_ns, seed) != 0) {
        free(c);
        return FT_ENOMEM;
    }
    struct src_record r;
    *n = 0;
    while (src_gen_next(&g, &r)) {
        c[r.key] += !rejects || pipe_warehouse_reason(r.defect, pipe_map_value(r.value)) == 0;
        (*n)++;
        if (col) col->created[exp_col_bucket(col, r.arrival_ns)]++; /* sent: created_ns */
    }
    src_gen_free(&g);
    *counts = c;
    return 0;
}

static void count_in_flight(void *ctx, uint64_t rec) {
    struct exp_state *st = ctx;
    if (rec >= st->ledger.n || ledger_copies(&st->ledger, rec)) return;
    int rc = bitset_insert(&st->pending, rec);
    if (rc < 0) st->pending_failed = true;
    st->in_flight += rc == 1;
}

/* Lost records the pipeline still held for delivery when the run ended. */
static int in_flight_at_end(const struct pipe *pipe, struct exp_state *st, uint64_t *out) {
    pipe_pending_records(pipe, count_in_flight, st);
    bitset_free(&st->pending);
    *out = st->in_flight;
    return st->pending_failed ? FT_ENOMEM : 0;
}

static void fill_outcome(struct sim *s, struct pipe *pipe, struct exp_state *st,
                         const uint64_t *ref, struct exp_outcome *out) {
    struct ledger_summary sum;
    struct exp_stats *stats = st->col ? st->col->out : NULL;
    uint32_t nq = 0;
    if (ledger_summarise_q(&st->ledger, &sum, stats ? stats->quantiles : NULL, &nq) != 0)
        memset(&sum, 0, sizeof sum);
    if (stats) stats->nquantiles = nq;
    out->sent = st->ledger.n;
    out->delivered = sum.delivered;
    out->lost = sum.lost;
    out->duplicated = sum.duplicated;
    out->latency_p50_ns = sum.latency_p50_ns;
    out->latency_p99_ns = sum.latency_p99_ns;
    out->retries = pipe_retries(pipe);
    struct net_stats ns;
    net_stats(s, &ns);
    out->messages = ns.sent;
    out->recovery_ns = st->recovery_ns;
    out->crashes = st->crashes;
    out->worker_crashes = st->worker_crashes;
    memcpy(out->moments, st->mom.count, sizeof out->moments);
    pipe_moments_add(pipe, out->moments);
    out->end_ns = sim_now(s);
    out->events = sim_events_run(s);
    uint32_t nkeys;
    const uint64_t *got = pipe_warehouse_counts(pipe, &nkeys);
    for (uint32_t k = 0; k < nkeys; k++)
        if (got[k] != ref[k]) out->keys_mismatched++;
    out->matches_reference = out->keys_mismatched == 0 && st->ledger.unknown == 0;
    uint64_t rej[4];
    pipe_warehouse_rejects(pipe, rej);
    out->rejected = rej[0];
    for (int i = 1; i < 4; i++) out->rejected_by[i] = rej[i];
    sim_trace_hash_hex(s, out->trace_hash);
}

/* Copies the log, the processing-time rows and the watermark of w into st. */
static int stats_windows_from(struct exp_stats *st, const struct exp_windows *w) {
    size_t n = w->nlog + w->nproc;
    if (w->log_truncated || n > UINT32_MAX || w->nwatermarks > UINT32_MAX) return FT_ELIMIT;
    st->windows = malloc((n ? n : 1) * sizeof *st->windows);
    st->watermarks = malloc((w->nwatermarks ? w->nwatermarks : 1) * sizeof *st->watermarks);
    if (!st->windows || !st->watermarks) return FT_ENOMEM;
    if (w->nlog) memcpy(st->windows, w->log, w->nlog * sizeof *w->log);
    if (w->nproc) memcpy(st->windows + w->nlog, w->proc_rows, w->nproc * sizeof *w->proc_rows);
    if (w->nwatermarks) memcpy(st->watermarks, w->watermarks, w->nwatermarks * sizeof *w->watermarks);
    st->nwindows = (uint32_t)n;
    st->nwatermarks = (uint32_t)w->nwatermarks;
    return 0;
}

/* Copies the lambda series l into st. */
static int stats_lambda_from(struct exp_stats *st, const struct exp_lambda *l,
                             struct ft_error *err) {
    if (l->n > EXP_LAMBDA_POINTS_MAX)
        return ft_fail(err, FT_ELIMIT,
                       "the lambda series has more than %u points: too many to store",
                       EXP_LAMBDA_POINTS_MAX);
    st->lambda = malloc((l->n ? l->n : 1) * sizeof *st->lambda);
    if (!st->lambda) return ft_fail(err, FT_ENOMEM, "out of memory for the lambda series");
    if (l->n) memcpy(st->lambda, l->pts, l->n * sizeof *l->pts);
    st->nlambda = (uint32_t)l->n;
    return 0;
}

void exp_records_free(struct exp_records *r) {
    if (!r) return;
    free(r->copies);
    free(r->first_latency_ns);
    memset(r, 0, sizeof *r);
}

/* The full ledger's per-record arrays move to the caller. */
static void records_from(struct exp_records *r, struct ledger *l) {
    exp_records_free(r);
    r->n = l->n;
    r->copies = l->count;
    r->first_latency_ns = l->latency;
    l->count = NULL;
    l->latency = NULL;
}

void exp_windows_free(struct exp_windows *w) {
    if (!w) return;
    bool want_log = w->want_log;
    free(w->rows);
    free(w->log);
    free(w->watermarks);
    free(w->proc_rows);
    memset(w, 0, sizeof *w);
    w->want_log = want_log;
}

uint64_t exp_events_budget(const struct pipe_config *cfg, uint64_t records) {
    /* duration + drain < 2^64 ns: the ms count times (64 + 4) nodes times 10 fits */
    uint64_t ms = (cfg->duration_ns / SIM_NS_PER_MS) + (cfg->drain_ns / SIM_NS_PER_MS) + 1;
    return EXP_EVENTS_BASE + records * EXP_EVENTS_PER_RECORD +
           ms * pipe_node_count(cfg) * EXP_EVENTS_PER_MS_NODE;
}

void exp_keep_memory(void) {
#ifdef __GLIBC__
    /* blocks below 32 MiB (glibc's largest threshold) from the heap, not from mmap, whose
     * pages go back at free; up to 256 MiB of free heap stays with the process */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}

int exp_run(const struct pipe_config *cfg, enum dlv_protocol p, uint64_t seed,
            const struct exp_options *opt, struct exp_outcome *out, struct ft_error *err) {
    return exp_run_windows(cfg, p, seed, opt, out, NULL, err);
}

int exp_run_windows(const struct pipe_config *cfg, enum dlv_protocol p, uint64_t seed,
                    const struct exp_options *opt, struct exp_outcome *out,
                    struct exp_windows *windows, struct ft_error *err) {
    struct exp_windows local = {.want_log = true}; /* the window log when only stats want it */
    struct exp_lambda local_lambda = {0};          /* the lambda series when only stats want it */
    struct exp_model_rows local_model = {0};       /* the model's rows when only stats want them */
    memset(out, 0, sizeof *out);
    struct exp_state st = {.opt = opt};
    struct exp_collector col;
    uint64_t *ref = NULL, n = 0;
    struct sim *s = NULL;
    struct pipe *pipe = NULL;
    int rc = 0;
    if (opt && opt->stats) {
        st.col = &col;
        rc = exp_col_init(&col, cfg, opt->stats, opt->bucket_ns);
    }
    /* the window reference from the same replay as the counts where it can be */
    struct exp_wref *wref = NULL;
    struct ft_error ignored = {0}; /* a failure shows again after the run, as before */
    if (rc == 0 && cfg->query.enabled) (void)exp_wref_new(cfg, false, &wref, &ignored);
    if (rc == 0) rc = reference_counts(cfg, seed, &ref, &n, st.col, &wref);
    if (rc == 0)
        rc = opt && opt->records ? ledger_init_full(&st.ledger, n) : ledger_init(&st.ledger, n);
    if (rc == 0) rc = mom_init(&st.mom, cfg, &st.ledger);
    if (rc == 0 && cfg->ml.spec.kind != ML_NONE) rc = exp_model_begin(&st.model, n);
    if (rc) {
        exp_model_end(&st.model);
        exp_col_free(st.col);
        free(ref);
        exp_wref_free(wref);
        ledger_free(&st.ledger);
        return ft_fail(err, rc, "out of memory for %llu records", (unsigned long long)n);
    }
    uint64_t budget = exp_events_budget(cfg, n);
    s = sim_new(&(struct sim_config){.seed = seed,
                                     .events_max = budget,
                                     .progress = opt ? opt->progress : NULL,
                                     .progress_ctx = opt ? opt->progress_ctx : NULL});
    st.nnodes = PIPE_WORKERS_MAX + 4; /* with a model's driver */
    st.workers = cfg->workers;
    st.crashed_at = calloc(st.nnodes, sizeof *st.crashed_at);
    st.restarted = calloc(st.nnodes, sizeof *st.restarted);
    if (!s || !st.crashed_at || !st.restarted) {
        rc = ft_fail(err, FT_ENOMEM, "out of memory");
        goto done;
    }
    sim_set_trace_hook(s, on_trace, &st);
    struct pipe_observer obs = {on_visible, &st,
                                cfg->ml.spec.kind != ML_NONE ? on_model_input : NULL};
    rc = pipe_build(s, cfg, p, seed, &obs, &pipe, err);
    if (rc) goto done;
    if (st.col) st.col->pipe = pipe;
    /* statistics for the store take the window log too */
    bool stats_windows = st.col && cfg->query.enabled;
    if (stats_windows && windows) windows->want_log = true;
    if (stats_windows && !windows) windows = &local;
    if (windows) pipe_window_keep_log(pipe, windows->want_log);
    if (opt && opt->sink_dir) pipe_sink_keep_rows(pipe, true);
    rc = sim_run_until(s, cfg->duration_ns + cfg->drain_ns);
    if (rc == FT_ELIMIT && sim_events_run(s) >= budget) {
        ft_fail(err, rc,
                "the run used its whole budget of %llu events (%u per source record for %llu "
                "records, plus timers) by simulated time %.6f s of %.6f s: its faults keep "
                "the simulator busy without progress (e.g. every message lost and retried "
                "after a tiny ack_timeout)",
                (unsigned long long)budget, EXP_EVENTS_PER_RECORD, (unsigned long long)n,
                (double)sim_now(s) / 1e9, (double)(cfg->duration_ns + cfg->drain_ns) / 1e9);
        goto done;
    }
    if (rc) {
        ft_fail(err, rc, "%s", sim_error(s)->msg);
        goto done;
    }
    if (cfg->query.enabled && (rc = exp_fill_windows(pipe, cfg, seed, wref, windows, out, err)))
        goto done;
    if (stats_windows && (rc = stats_windows_from(st.col->out, windows)) != 0) {
        ft_fail(err, rc, rc == FT_ELIMIT ? "the window log has more than %u rows: too many to store"
                                         : "out of memory for the window rows",
                PIPE_WINDOW_LOG_MAX);
        goto done;
    }
    if (cfg->lambda.enabled) {
        struct exp_lambda *series = opt && opt->lambda ? opt->lambda
                                    : st.col           ? &local_lambda
                                                       : NULL;
        if ((rc = exp_fill_lambda(pipe, cfg, seed, series, out, err))) goto done;
        if (st.col && (rc = stats_lambda_from(st.col->out, series, err))) goto done;
    }
    if (cfg->ml.spec.kind != ML_NONE) {
        struct exp_model_rows *rows = opt && opt->model ? opt->model
                                      : st.col          ? &local_model
                                                        : NULL;
        if ((rc = fill_model(pipe, cfg, p, seed, opt, &st, rows, out, err))) goto done;
        if (st.col && (rc = stats_model_from(st.col->out, rows))) {
            ft_fail(err, rc, "out of memory for the model's measurements");
            goto done;
        }
    }
    if (opt && opt->sink_dir) {
        struct pipe_sink_meta meta = {.protocol = dlv_name(p), .seed = seed};
        if ((rc = pipe_sink_write(pipe, opt->sink_dir, opt->sink_meta ? opt->sink_meta : &meta,
                                  err)))
            goto done;
    }
    fill_outcome(s, pipe, &st, ref, out);
    if ((rc = in_flight_at_end(pipe, &st, &out->in_flight_at_end))) {
        ft_fail(err, rc, "out of memory counting the records in flight");
        goto done;
    }
    if (opt && opt->records) records_from(opt->records, &st.ledger);
    if (st.col && (rc = exp_col_finish(st.col)) != 0)
        ft_fail(err, rc, "out of memory for the run's statistics");
done:
    exp_windows_free(&local);
    exp_lambda_free(&local_lambda);
    exp_model_rows_free(&local_model);
    exp_model_end(&st.model);
    if (rc && st.col) exp_stats_free(st.col->out);
    exp_col_free(st.col);
    pipe_free(pipe);
    sim_free(s);
    ledger_free(&st.ledger);
    mom_free(&st.mom);
    free(st.crashed_at);
    free(st.restarted);
    free(ref);
    exp_wref_free(wref);
    return rc;
}
