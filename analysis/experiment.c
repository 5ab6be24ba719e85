/* One experiment run: simulator + pipeline + ledger, then the outcome. The reference
 * per-key table comes from replaying the generator on its own. Recovery time is
 * measured from the trace: a worker's crash to the first row it makes visible after.
 * With exp_options.stats the run is also cut into time buckets (visible rows, their
 * latency, records in flight, retries) and its crash/restart/partition/heal markers
 * and latency percentiles are kept, with a window query's log and watermark and the
 * lambda series; collecting them never changes the run itself.
 * A windowed query's final table is compared with a reference the pure window engine
 * computes from the generated input alone: every record in every one of its windows. */
#include "experiment.h"

#include <stdlib.h>
#include <string.h>

#include "bitset.h"
#include "exp_model.h"
#include "grow.h"
#include "ledger.h"
#include "moments.h"
#include "verdict.h"

_Static_assert(EXP_QUANTILES == LEDGER_QUANTILES, "stats keep the ledger's quantiles");
#include "query.h"
#include "source.h"

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

const char *exp_marker_name(enum exp_marker_kind k) {
    static const char *const names[] = {"crash", "restart",   "partition",
                                        "heal",  "rebalance", "drop"};
    return k <= EXP_MARK_DROP ? names[k] : "?";
}

void exp_stats_free(struct exp_stats *st) {
    if (!st) return;
    free(st->buckets);
    free(st->markers);
    free(st->windows);
    free(st->watermarks);
    free(st->lambda);
    free(st->model);
    memset(st, 0, sizeof *st);
}

uint64_t exp_bucket_ns(const struct pipe_config *cfg, uint64_t requested_ns) {
    uint64_t w = requested_ns, span = cfg->duration_ns;
    const struct pipe_source *src = &cfg->source;
    /* a replayed CSV spans its rows' arrivals, often minutes of a long clock-time run */
    if (src->kind == SRC_CSV && src->csv_last_arrival_ns > src->csv_first_arrival_ns)
        span = src->csv_last_arrival_ns - src->csv_first_arrival_ns;
    if (!w) w = (span / 50 + SIM_NS_PER_MS / 2) / SIM_NS_PER_MS * SIM_NS_PER_MS;
    if (!w) w = SIM_NS_PER_MS;
    uint64_t end = cfg->duration_ns + cfg->drain_ns;
    uint64_t min_w = end / EXP_BUCKETS_MAX + (end % EXP_BUCKETS_MAX != 0);
    if (w < min_w) w = (min_w + SIM_NS_PER_MS - 1) / SIM_NS_PER_MS * SIM_NS_PER_MS;
    return w;
}

static uint32_t col_bucket(const struct exp_collector *c, uint64_t t_ns) {
    uint64_t b = t_ns / c->w;
    return b < c->nmax ? (uint32_t)b : c->nmax - 1;
}

static void col_active(struct exp_collector *c, uint32_t b) {
    if (b > c->last_active) c->last_active = b;
}

static int col_init(struct exp_collector *c, const struct pipe_config *cfg, struct exp_stats *out,
                    uint64_t bucket_ns) {
    memset(c, 0, sizeof *c);
    exp_stats_free(out);
    c->out = out;
    c->cfg = cfg;
    c->w = exp_bucket_ns(cfg, bucket_ns);
    out->bucket_ns = c->w;
    c->end_ns = cfg->duration_ns + cfg->drain_ns;
    uint64_t n = c->end_ns / c->w + (c->end_ns % c->w != 0);
    c->nmax = n ? (uint32_t)n : 1;
    FT_ASSERT(c->nmax <= EXP_BUCKETS_MAX);
    c->retry_end_ns = c->nmax > 1 ? c->w : UINT64_MAX;
    c->created = calloc(6 * (size_t)c->nmax, sizeof *c->created);
    if (!c->created) return FT_ENOMEM;
    c->visible = c->created + c->nmax;
    c->first = c->visible + c->nmax;
    c->retries = c->first + c->nmax;
    c->p50 = c->retries + c->nmax;
    c->p99 = c->p50 + c->nmax;
    return 0;
}

static void col_free(struct exp_collector *c) {
    if (!c) return;
    free(c->created);
    free(c->lat);
}

static void col_flush_latency(struct exp_collector *c) {
    if (!c->nlat) return;
    if (ledger_sort(c->lat, c->nlat) != 0) {
        c->failed = FT_ENOMEM;
        return;
    }
    c->p50[c->lat_bucket] = ledger_nearest_rank(c->lat, c->nlat, 50);
    c->p99[c->lat_bucket] = ledger_nearest_rank(c->lat, c->nlat, 99);
    c->nlat = 0;
}

/* A row became visible at now_ns; first: the first visible copy of its record. */
static void col_visible(struct exp_collector *c, uint64_t latency_ns, uint64_t now_ns, bool first) {
    uint32_t b = col_bucket(c, now_ns);
    if (b != c->lat_bucket) {
        col_flush_latency(c);
        c->lat_bucket = b;
    }
    if (ft_grow((void **)&c->lat, &c->lat_cap, c->nlat + 1, sizeof *c->lat, 256)) {
        c->failed = FT_ENOMEM;
        return;
    }
    c->lat[c->nlat++] = latency_ns;
    c->visible[b]++;
    c->first[b] += first;
    col_active(c, b);
}

/* Retries counted since retry_bucket began go to it; then bucket b begins. */
static void col_retries_to(struct exp_collector *c, uint32_t b) {
    uint64_t now = c->pipe ? pipe_retries(c->pipe) : 0;
    if (now != c->retry_mark) {
        c->retries[c->retry_bucket] += now - c->retry_mark;
        col_active(c, c->retry_bucket);
    }
    c->retry_mark = now;
    c->retry_bucket = b;
    c->retry_end_ns = b + 1 < c->nmax ? (uint64_t)(b + 1) * c->w : UINT64_MAX;
}

static void col_marker(struct exp_collector *c, const struct sim_trace_rec *r,
                       enum exp_marker_kind kind) {
    struct exp_stats *o = c->out;
    if (o->nmarkers == o->markers_cap) {
        uint32_t cap = o->markers_cap ? 2 * o->markers_cap : 16;
        struct exp_marker *m = realloc(o->markers, cap * sizeof *m);
        if (!m) {
            c->failed = FT_ENOMEM;
            return;
        }
        o->markers = m;
        o->markers_cap = cap;
    }
    struct exp_marker *m = &o->markers[o->nmarkers++];
    char buf[PIPE_NAME_MAX];
    m->t_ns = r->time_ns;
    m->kind = kind;
    m->node[0] = '\0';
    m->label[0] = '\0';
    if (kind == EXP_MARK_CRASH || kind == EXP_MARK_RESTART || kind == EXP_MARK_DROP)
        snprintf(m->node, sizeof m->node, "%s", pipe_node_name(c->cfg, r->node, buf, sizeof buf));
    if (kind == EXP_MARK_DROP) {
        int k = snprintf(m->label, sizeof m->label, "%s", pipe_msg_name((int)r->kind));
        if (k > 0 && (size_t)k < sizeof m->label && pipe_msg_has_record((int)r->kind))
            k += snprintf(m->label + k, sizeof m->label - (size_t)k, " r%llu",
                          (unsigned long long)r->tag);
        if (k > 0 && (size_t)k < sizeof m->label)
            snprintf(m->label + k, sizeof m->label - (size_t)k, " -> %s",
                     pipe_node_name(c->cfg, r->peer, buf, sizeof buf));
    }
    col_active(c, col_bucket(c, r->time_ns));
}

/* Every trace event: retries are sampled when time enters a new bucket (an event's
 * trace records come before its handler's work, so the counter then holds exactly the
 * retries of earlier buckets), and faults become markers. */
static void col_trace(struct exp_collector *c, const struct sim_trace_rec *r) {
    if (r->time_ns >= c->retry_end_ns) col_retries_to(c, col_bucket(c, r->time_ns));
    switch (r->type) {
    case SIM_TR_CRASH:
        col_marker(c, r, EXP_MARK_CRASH);
        break;
    case SIM_TR_RESTART:
        col_marker(c, r, EXP_MARK_RESTART);
        break;
    case SIM_TR_PARTITION:
        col_marker(c, r, EXP_MARK_PARTITION);
        break;
    case SIM_TR_HEAL:
        col_marker(c, r, EXP_MARK_HEAL);
        break;
    case SIM_TR_DROP: /* a scenario's drop: rule, the one message fault that is not random */
        if (r->reason == SIM_DROP_RULE) col_marker(c, r, EXP_MARK_DROP);
        break;
    case SIM_TR_USER: /* the moves of one rebalance happen at one instant: one marker */
        if (r->kind == PIPE_TR_REBALANCE &&
            !(c->out->nmarkers && c->out->markers[c->out->nmarkers - 1].kind == EXP_MARK_REBALANCE &&
              c->out->markers[c->out->nmarkers - 1].t_ns == r->time_ns))
            col_marker(c, r, EXP_MARK_REBALANCE);
        break;
    default:
        break;
    }
}

/* Turns the counters into out->buckets: 0 .. the last active bucket (at least the one
 * holding duration - 1), in-flight as created minus first visible, cumulatively. */
static int col_finish(struct exp_collector *c) {
    col_flush_latency(c);
    col_retries_to(c, c->retry_bucket);
    if (c->failed) return c->failed;
    col_active(c, col_bucket(c, c->cfg->duration_ns - 1));
    uint32_t n = c->last_active + 1;
    struct exp_bucket *b = calloc(n, sizeof *b);
    if (!b) return FT_ENOMEM;
    uint64_t created = 0, first = 0;
    for (uint32_t i = 0; i < n; i++) {
        created += c->created[i];
        first += c->first[i];
        uint64_t start = (uint64_t)i * c->w;
        b[i] = (struct exp_bucket){.start_ns = start,
                                   .width_ns = i + 1 == c->nmax ? c->end_ns - start : c->w,
                                   .visible = c->visible[i],
                                   .latency_p50_ns = c->p50[i],
                                   .latency_p99_ns = c->p99[i],
                                   .in_flight = created - first,
                                   .retries = c->retries[i]};
    }
    c->out->buckets = b;
    c->out->nbuckets = n;
    return 0;
}

/* ---- the run ---- */

static void on_visible(void *ctx, const struct pipe_row *row, uint64_t now_ns) {
    struct exp_state *st = ctx;
    uint64_t latency_ns = now_ns - row->created_ns;
    if (st->col) {
        bool first = row->rec < st->ledger.n && ledger_copies(&st->ledger, row->rec) == 0;
        col_visible(st->col, latency_ns, now_ns, first);
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
    if (st->col) col_trace(st->col, r);
    if (st->opt && st->opt->trace) st->opt->trace(r, st->opt->trace_ctx);
}

/* Reference: visible rows per key if every record were delivered exactly once; with a
 * collector, also the records created per bucket. */
static int reference_counts(const struct pipe_config *cfg, uint64_t seed, uint64_t **counts,
                            uint64_t *n, struct exp_collector *col) {
    uint64_t *c = calloc(cfg->source.keys, sizeof *c);
    if (!c) return FT_ENOMEM;
    /* the warehouse may reject: malformed records, CSV values out of its range */
    bool rejects = cfg->sink.kind != PIPE_SINK_LAKE &&
                   (cfg->source.malformed_p > 0 || cfg->source.kind == SRC_CSV);
    if (!col && !rejects) { /* counts only: each device's stream on its own, no merge */
        if (src_gen_counts(&cfg->source, cfg->duration_ns, seed, c, n) != 0) {
            free(c);
            return FT_ENOMEM;
        }
        *counts = c;
        return 0;
    }
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
        if (col) col->created[col_bucket(col, r.arrival_ns)]++; /* sent: created_ns */
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

/* The no-lateness reference of the windowed query: the operators and the windows over
 * the generated input, every contribution counted. */
/* The reference table from the input alone; by_arrival: windows assigned by the
 * record's arrival (processing time) instead of its event time. */
struct ref_feed {
    const struct query *q;
    struct win_ref *ref;
    bool by_arrival;
    struct ft_error *err;
    uint32_t source_key; /* of the previous record */
};

static int ref_record(void *ctx, const struct src_record *r) {
    struct ref_feed *f = ctx;
    /* device by device (no id): a device's windows are done when the next one starts */
    if (r->id == UINT64_MAX && r->key != f->source_key) {
        int rc = win_ref_spill(f->ref, f->err);
        if (rc) return rc;
    }
    f->source_key = r->key;
    uint64_t k;
    int64_t v;
    if (r->defect || query_apply(f->q, r->key, r->value, &k, &v) != QUERY_KEEP) return 0;
    struct win_input in = {k, f->by_arrival ? r->arrival_ns : r->event_ns, v, r->arrival_ns};
    return win_ref_add(f->ref, &in, f->err);
}

static int window_reference(const struct pipe_config *cfg, uint64_t seed, bool by_arrival,
                            struct win_row **rows, size_t *n, struct ft_error *err) {
    struct src_gen names;
    struct query q;
    struct win_ref *ref = NULL;
    int rc = src_names_open(&names, &cfg->source, err);
    if (rc) return rc;
    rc = query_compile(&cfg->query, &names, &q, err);
    if (!rc) rc = win_ref_new(&cfg->query.window, &ref, err);
    /* the aggregates do not depend on the order: device by device where ids (which
     * decide a malformed record) do not matter */
    struct ref_feed f = {&q, ref, by_arrival, err, 0};
    if (!rc)
        rc = src_gen_each(&cfg->source, cfg->duration_ns, seed, !(cfg->source.malformed_p > 0),
                          ref_record, &f);
    if (rc && !err->msg[0]) ft_fail(err, rc, "cannot replay the source for the window reference");
    if (!rc) rc = win_ref_rows(ref, rows, n, err);
    win_ref_free(ref);
    query_free(&q);
    src_gen_free(&names);
    return rc;
}

static int export_rows(const struct pipe *pipe, const struct win_row *rows, size_t n,
                       struct exp_window_row **out) {
    *out = calloc(n ? n : 1, sizeof **out);
    if (!*out) return FT_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        struct exp_window_row *x = &(*out)[i];
        x->window_start_ns = rows[i].start_ns;
        x->window_end_ns = rows[i].end_ns;
        pipe_window_key_name(pipe, rows[i].key, x->key, sizeof x->key);
        x->value = rows[i].value;
        x->emitted_at_ns = rows[i].emitted_at_ns;
        x->final = rows[i].final;
    }
    return 0;
}

static int fill_windows(struct pipe *pipe, const struct pipe_config *cfg, uint64_t seed,
                        struct exp_windows *table, struct exp_outcome *out,
                        struct ft_error *err) {
    struct win_row *rows = NULL, *ref = NULL;
    size_t n = 0, nref = 0;
    int rc = pipe_window_finish(pipe, err);
    if (!rc && (rc = pipe_window_rows(pipe, &rows, &n)))
        ft_fail(err, rc, "cannot hold the window table");
    if (!rc) rc = window_reference(cfg, seed, false, &ref, &nref, err);
    if (rc) goto done;
    struct pipe_window_stats ws;
    pipe_window_stats(pipe, &ws);
    out->windows_enabled = true;
    out->windows = n;
    for (size_t i = 0; i < n; i++) out->windows_final += rows[i].final;
    out->late_dropped = ws.late_dropped;
    out->late_records = ws.late_records;
    out->window_rows_emitted = ws.rows_emitted;
    out->window_triggers = ws.triggers;
    out->window_tasks_idle = ws.tasks_idle;
    out->filtered = ws.filtered + ws.unmatched;
    out->windows_mismatched = win_rows_mismatched(rows, n, ref, nref);
    out->windows_match_reference = out->windows_mismatched == 0;
    static const uint8_t p50_p99[2] = {50, 99};
    uint64_t lat[2];
    if ((rc = pipe_window_latency_ranks(pipe, p50_p99, 2, lat))) goto done;
    out->window_latency_p50_ns = lat[0];
    out->window_latency_p99_ns = lat[1];
    if (table && !(rc = export_rows(pipe, rows, n, &table->rows))) table->n = n;
    if (!rc && table && table->want_log) {
        size_t nlog, nwm;
        const struct win_row *log = pipe_window_log(pipe, &nlog, &table->log_truncated);
        const struct pipe_watermark *wm = pipe_window_watermarks(pipe, &nwm);
        if (!(rc = export_rows(pipe, log, nlog, &table->log))) table->nlog = nlog;
        table->watermarks = malloc((nwm ? nwm : 1) * sizeof *table->watermarks);
        if (!rc && !table->watermarks) rc = FT_ENOMEM;
        if (!rc && nwm) memcpy(table->watermarks, wm, nwm * sizeof *wm);
        if (!rc) table->nwatermarks = nwm;
        struct win_row *proc = NULL;
        size_t nproc = 0;
        if (!rc && (rc = window_reference(cfg, seed, true, &proc, &nproc, err)) == 0) {
            for (size_t i = 0; i < nproc; i++) proc[i].emitted_at_ns = (uint64_t)proc[i].end_ns;
            if (!(rc = export_rows(pipe, proc, nproc, &table->proc_rows))) table->nproc = nproc;
            for (size_t i = 0; !rc && i < nproc; i++) table->proc_rows[i].by_processing_time = true;
        }
        free(proc);
    }
    if (rc) ft_fail(err, rc, "out of memory for the window table");
done:
    if (rc == FT_ENOMEM && !err->msg[0]) ft_fail(err, rc, "out of memory for the window table");
    free(rows);
    free(ref);
    return rc;
}

/* ---- the lambda views against the reference ---- */

void exp_lambda_free(struct exp_lambda *l) {
    if (!l) return;
    free(l->pts);
    memset(l, 0, sizeof *l);
}

static void lambda_stats(const struct pipe_config *cfg, const struct pipe_lambda_point *pt,
                         uint64_t reference, uint64_t staleness_ns, struct exp_outcome *out) {
    if (pt->key != PIPE_LAMBDA_TOTAL) return;
    uint64_t d = pt->served > reference ? pt->served - reference : reference - pt->served;
    if (d > out->lambda_max_diff) out->lambda_max_diff = d;
    if (pt->served > reference && d > out->lambda_overcount) out->lambda_overcount = d;
    if (pt->t_ns > cfg->duration_ns) return;
    uint64_t age = pt->has_batch ? pt->t_ns - pt->batch_ns : pt->t_ns;
    if (staleness_ns > out->lambda_max_staleness_ns) out->lambda_max_staleness_ns = staleness_ns;
    if (age > out->lambda_max_batch_age_ns) out->lambda_max_batch_age_ns = age;
}

/* Walks the generator (arrival order) along the samples (time order): the reference of
 * a sample counts the records that arrived by then. */
static int fill_lambda(const struct pipe *pipe, const struct pipe_config *cfg, uint64_t seed,
                       struct exp_lambda *series, struct exp_outcome *out, struct ft_error *err) {
    size_t n;
    const struct pipe_lambda_point *pts = pipe_lambda_series(pipe, &n);
    struct src_gen g;
    int rc = src_gen_open(&g, &cfg->source, cfg->duration_ns, seed, err);
    if (rc) return rc;
    uint64_t *ref = calloc(cfg->source.keys, sizeof *ref), total = 0;
    struct exp_lambda_point *x = series ? calloc(n ? n : 1, sizeof *x) : NULL;
    if (!ref || (series && !x)) {
        free(ref);
        free(x);
        src_gen_free(&g);
        return ft_fail(err, FT_ENOMEM, "out of memory for the lambda series");
    }
    struct src_record r;
    bool have = src_gen_next(&g, &r);
    out->lambda_enabled = true;
    out->lambda_batches = pipe_lambda_batches(pipe);
    out->lambda_final_match = n > 0;
    uint64_t last_t = n ? pts[n - 1].t_ns : 0;
    for (size_t i = 0; i < n; i++) {
        const struct pipe_lambda_point *pt = &pts[i];
        for (; have && r.arrival_ns <= pt->t_ns; have = src_gen_next(&g, &r)) {
            ref[r.key]++;
            total++;
        }
        uint64_t reference = pt->key == PIPE_LAMBDA_TOTAL ? total : ref[pt->key];
        uint64_t stale = !pt->has_event ? pt->t_ns
                         : pt->newest_event_ns < pt->t_ns ? pt->t_ns - pt->newest_event_ns
                                                          : 0;
        lambda_stats(cfg, pt, reference, stale, out);
        if (pt->t_ns == last_t && pt->served != reference) out->lambda_final_match = false;
        if (!x) continue;
        x[i] = (struct exp_lambda_point){.t_ns = pt->t_ns,
                                         .served = pt->served,
                                         .reference = reference,
                                         .batch = pt->batch,
                                         .has_batch = pt->has_batch,
                                         .batch_ns = pt->batch_ns,
                                         .staleness_ns = stale};
        if (pt->key != PIPE_LAMBDA_TOTAL) pipe_key_name(pipe, pt->key, x[i].key, sizeof x[i].key);
    }
    free(ref);
    src_gen_free(&g);
    if (series) {
        exp_lambda_free(series);
        series->pts = x;
        series->n = n;
    }
    return 0;
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

bool exp_guarantee_held(enum dlv_protocol p, const struct exp_outcome *o) {
    return (unsigned)p < DLV_COUNT && vrd_violated(p, o) == 0;
}

uint64_t exp_events_budget(const struct pipe_config *cfg, uint64_t records) {
    /* duration + drain < 2^64 ns: the ms count times (64 + 4) nodes times 10 fits */
    uint64_t ms = (cfg->duration_ns / SIM_NS_PER_MS) + (cfg->drain_ns / SIM_NS_PER_MS) + 1;
    return EXP_EVENTS_BASE + records * EXP_EVENTS_PER_RECORD +
           ms * pipe_node_count(cfg) * EXP_EVENTS_PER_MS_NODE;
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
        rc = col_init(&col, cfg, opt->stats, opt->bucket_ns);
    }
    if (rc == 0) rc = reference_counts(cfg, seed, &ref, &n, st.col);
    if (rc == 0)
        rc = opt && opt->records ? ledger_init_full(&st.ledger, n) : ledger_init(&st.ledger, n);
    if (rc == 0) rc = mom_init(&st.mom, cfg, &st.ledger);
    if (rc == 0 && cfg->ml.spec.kind != ML_NONE) rc = exp_model_begin(&st.model, n);
    if (rc) {
        exp_model_end(&st.model);
        col_free(st.col);
        free(ref);
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
    if (cfg->query.enabled && (rc = fill_windows(pipe, cfg, seed, windows, out, err))) goto done;
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
        if ((rc = fill_lambda(pipe, cfg, seed, series, out, err))) goto done;
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
    if (st.col && (rc = col_finish(st.col)) != 0)
        ft_fail(err, rc, "out of memory for the run's statistics");
done:
    exp_windows_free(&local);
    exp_lambda_free(&local_lambda);
    exp_model_rows_free(&local_model);
    exp_model_end(&st.model);
    if (rc && st.col) exp_stats_free(st.col->out);
    col_free(st.col);
    pipe_free(pipe);
    sim_free(s);
    ledger_free(&st.ledger);
    mom_free(&st.mom);
    free(st.crashed_at);
    free(st.restarted);
    free(ref);
    return rc;
}
