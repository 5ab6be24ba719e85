/* Writing one run into the results store: res_store_run checks a run's limits, then puts
 * the run row, its outcome and every child row (multi-row INSERTs of RES_BATCH rows;
 * time series and quantiles as one JSON row each) in one BEGIN IMMEDIATE transaction,
 * so a failure leaves no half run. A rerun of (scenario_hash, params, seed, protocol)
 * keeps its id and has its child rows replaced. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "ledger.h"
#include "store_internal.h"

#define RES_OUTCOME_COLS 12

struct res_col {
    const char *name;
    uint64_t v;
};

static void res_outcome_cols(const struct exp_outcome *o, struct res_col c[RES_OUTCOME_COLS]) {
    c[0] = (struct res_col){"sent", o->sent};
    c[1] = (struct res_col){"delivered", o->delivered};
    c[2] = (struct res_col){"lost", o->lost};
    c[3] = (struct res_col){"duplicated", o->duplicated};
    c[4] = (struct res_col){"retries", o->retries};
    c[5] = (struct res_col){"messages", o->messages};
    c[6] = (struct res_col){"latency_p50_ns", o->latency_p50_ns};
    c[7] = (struct res_col){"latency_p99_ns", o->latency_p99_ns};
    c[8] = (struct res_col){"recovery_ns", o->recovery_ns};
    c[9] = (struct res_col){"crashes", o->crashes};
    c[10] = (struct res_col){"matches_reference", o->matches_reference ? 1u : 0u};
    c[11] = (struct res_col){"keys_mismatched", o->keys_mismatched};
}

static bool res_valid_status(const char *s) {
    return strcmp(s, "ok") == 0 || strcmp(s, "violated") == 0 || strcmp(s, "error") == 0;
}

static int res_check_limit(const char *name, uint64_t v, struct ft_error *err) {
    if (v <= INT64_MAX) return 0;
    return ft_fail(err, FT_ELIMIT, "results store: %s = %" PRIu64 " exceeds the limit %" PRId64,
                   name, v, INT64_MAX);
}

static int res_check_children(const struct res_run *r, struct ft_error *err) {
    const struct exp_stats *s = r->stats;
    if (r->params && strlen(r->params) >= RES_PARAMS_MAX)
        return ft_fail(err, FT_ELIMIT, "res_store_run: params is longer than %u bytes",
                       RES_PARAMS_MAX - 1);
    if ((s && ((s->nbuckets && !s->buckets) || (s->nmarkers && !s->markers) ||
               (s->nwindows && !s->windows) || (s->nwatermarks && !s->watermarks) ||
               (s->nlambda && !s->lambda) || (s->nmodel && !s->model) ||
               s->nquantiles > EXP_QUANTILES)) ||
        (r->nwindows && !r->windows) || (r->nevents && !r->events) ||
        (r->nwatermarks && !r->watermarks) || (r->nlambda && !r->lambda))
        return ft_fail(err, FT_EINVAL, "res_store_run: a child row count without its rows");
    if (r->nwindows > RES_CHILD_ROWS_MAX || r->nevents > RES_CHILD_ROWS_MAX ||
        r->nwatermarks > RES_CHILD_ROWS_MAX || r->nlambda > RES_CHILD_ROWS_MAX)
        return ft_fail(err, FT_ELIMIT, "res_store_run: more than %u rows for one table",
                       RES_CHILD_ROWS_MAX);
    if (s && s->nlambda && r->nlambda) /* both would be seq 0, 1, ... */
        return ft_fail(err, FT_EINVAL,
                       "res_store_run: lambda rows given twice (in stats and in lambda)");
    const struct res_agreement *a = r->agreement;
    if (a && (!a->algorithm || !a->traitors || !a->decisions))
        return ft_fail(err, FT_EINVAL,
                       "res_store_run: an agreement row needs algorithm, traitors and decisions");
    for (size_t i = 0; r->windows && i < r->nwindows; i++)
        if (r->windows[i].emitted_at_ns > INT64_MAX)
            return res_check_limit("a window emission time", r->windows[i].emitted_at_ns, err);
    for (size_t i = 0; r->watermarks && i < r->nwatermarks; i++)
        if (r->watermarks[i].t_ns > INT64_MAX || r->watermarks[i].late_dropped > INT64_MAX)
            return res_check_limit("a watermark time or count", UINT64_MAX, err);
    return 0;
}

/* Argument checks before any write, libuv-style: caller mistakes are FT_EINVAL. */
static int res_check_run(const struct res_run *r, struct ft_error *err) {
    if (!r->scenario || !r->scenario_hash || !r->protocol || !r->status || !r->outcome)
        return ft_fail(err, FT_EINVAL,
                       "res_store_run: scenario, scenario_hash, protocol, "
                       "status and outcome are required");
    if (!res_valid_status(r->status))
        return ft_fail(err, FT_EINVAL,
                       "res_store_run: status \"%s\" is not one of \"ok\", \"violated\", \"error\"",
                       r->status);
    const struct exp_outcome *o = r->outcome;
    if (memchr(o->trace_hash, '\0', sizeof o->trace_hash) == NULL)
        return ft_fail(err, FT_EINVAL, "res_store_run: trace_hash is not NUL-terminated");
    struct res_col cols[RES_OUTCOME_COLS];
    res_outcome_cols(o, cols);
    int rc = res_check_limit("end_ns", o->end_ns, err);
    if (!rc) rc = res_check_limit("events", o->events, err);
    for (int i = 0; !rc && i < RES_OUTCOME_COLS; i++)
        rc = res_check_limit(cols[i].name, cols[i].v, err);
    return rc ? rc : res_check_children(r, err);
}

int res_step(struct res_db *db, sqlite3_stmt *st, int64_t *id, const char *what,
             struct ft_error *err) {
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && id) {
        *id = sqlite3_column_int64(st, 0);
        rc = sqlite3_step(st);
    }
    int reset_rc = sqlite3_reset(st);
    int result = (rc == SQLITE_DONE && reset_rc == SQLITE_OK) ? 0 : res_sql_fail(db, err, what);
    sqlite3_clear_bindings(st);
    return result;
}

static void res_bind_run(sqlite3_stmt *st, const struct res_run *r) {
    const struct exp_outcome *o = r->outcome;
    sqlite3_bind_text(st, 1, r->scenario, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->scenario_hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->params ? r->params : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, res_u64_bits(r->seed));
    sqlite3_bind_text(st, 5, r->protocol, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, o->trace_hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, (int64_t)o->end_ns);
    sqlite3_bind_int64(st, 8, (int64_t)o->events);
    sqlite3_bind_text(st, 9, r->status, -1, SQLITE_STATIC);
}

/* *id gets the run's id; *existed = the key was stored before (its rows must go). */
static int res_put_run(struct res_db *db, const struct res_run *r, int64_t *id, bool *existed,
                       struct ft_error *err) {
    *id = -1;
    res_bind_run(db->put_run, r);
    int rc = res_step(db, db->put_run, id, "cannot store the run", err);
    *existed = !rc && *id < 0;
    if (!rc && *existed) {
        res_bind_run(db->update_run, r);
        rc = res_step(db, db->update_run, id, "cannot store the run", err);
    }
    if (!rc && *id < 0)
        return ft_fail(err, FT_EDB, "results store %s: no run id returned", db->path);
    return rc;
}

/* A uint64 counter as an INTEGER, refusing values above INT64_MAX. */
static int res_bind_u64(sqlite3_stmt *st, int i, uint64_t v, const char *name,
                        struct ft_error *err) {
    if (v > INT64_MAX) return res_check_limit(name, v, err);
    sqlite3_bind_int64(st, i, (int64_t)v);
    return 0;
}

static int res_put_outcome(struct res_db *db, int64_t run_id, const struct exp_outcome *o,
                           struct ft_error *err) {
    sqlite3_stmt *st = db->put[RES_OUTCOMES];
    struct res_col cols[RES_OUTCOME_COLS];
    res_outcome_cols(o, cols);
    sqlite3_bind_int64(st, 1, run_id);
    for (int i = 0; i < RES_OUTCOME_COLS; i++)
        sqlite3_bind_int64(st, i + 2, (int64_t)cols[i].v);
    for (int i = 0; i < 3; i++)
        sqlite3_bind_null(st, RES_OUTCOME_COLS + 2 + i);
    if (o->windows_enabled) { /* else the three window columns are NULL */
        int rc = res_bind_u64(st, RES_OUTCOME_COLS + 2, o->window_latency_p50_ns,
                              "window_latency_p50_ns", err);
        if (!rc)
            rc = res_bind_u64(st, RES_OUTCOME_COLS + 3, o->window_latency_p99_ns,
                              "window_latency_p99_ns", err);
        if (!rc) rc = res_bind_u64(st, RES_OUTCOME_COLS + 4, o->late_dropped, "late_dropped", err);
        if (rc) return rc;
    }
    return res_step(db, st, NULL, "cannot store the outcome", err);
}

/* Binds row i of a child table at parameter base + 1 ...; 0 or FT_ELIMIT. */
typedef int (*res_bind_fn)(sqlite3_stmt *st, int base, int64_t id, const struct res_run *r,
                           size_t i, struct ft_error *err);

/* ---- a run's time series and quantiles as JSON arrays (schema 5) ---- */

/* Room for `need` more bytes in db->json; 0 or FT_ENOMEM. */
static int res_json_reserve(struct res_db *db, size_t need, struct ft_error *err) {
    if (ft_grow((void **)&db->json, &db->json_cap, need, 1, 4096))
        return ft_fail(err, FT_ENOMEM, "results store %s: out of memory", db->path);
    return 0;
}

#define RES_JSON_NUM 21 /* at most 20 digits of a uint64 and a separator */

/* Writes v in decimal at p; returns the end. */
static char *res_json_u64(char *p, uint64_t v) {
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* [v0, v1, ...] at p, the values in `null_mask` as null; returns the end. */
static char *res_json_row(char *p, const uint64_t *v, int n, unsigned null_mask) {
    *p++ = '[';
    for (int k = 0; k < n; k++) {
        if (k) *p++ = ',';
        if (null_mask & (1u << k)) {
            memcpy(p, "null", 4);
            p += 4;
        } else {
            p = res_json_u64(p, v[k]);
        }
    }
    *p++ = ']';
    return p;
}

/* Inserts (run id, db->json[0..len)) into one-row child table t. */
static int res_put_json(struct res_db *db, enum res_child t, int64_t id, size_t len,
                        struct ft_error *err) {
    sqlite3_stmt *st = db->put[t];
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, db->json, (int)len, SQLITE_STATIC);
    return res_step(db, st, NULL, "cannot store the run's rows", err);
}

/* [[bucket_start_ns, bucket_ns, visible, latency_p50_ns, latency_p99_ns, in_flight,
 *   retries], ...]: the latencies null when nothing became visible in the bucket. */
static int res_put_timeseries(struct res_db *db, int64_t id, const struct exp_stats *s,
                              struct ft_error *err) {
    enum { NCOL = 7 };
    int rc = res_json_reserve(db, 2 + (size_t)s->nbuckets * (NCOL * RES_JSON_NUM + 3), err);
    if (rc) return rc;
    char *p = db->json;
    *p++ = '[';
    for (uint32_t i = 0; !rc && i < s->nbuckets; i++) {
        const struct exp_bucket *b = &s->buckets[i];
        const uint64_t v[NCOL] = {b->start_ns,       b->width_ns,  b->visible, b->latency_p50_ns,
                                  b->latency_p99_ns, b->in_flight, b->retries};
        for (int k = 0; !rc && k < NCOL; k++)
            if (v[k] > INT64_MAX) rc = res_check_limit("a timeseries value", v[k], err);
        if (i) *p++ = ',';
        p = res_json_row(p, v, NCOL, b->visible ? 0u : 3u << 3);
    }
    *p++ = ']';
    return rc ? rc : res_put_json(db, RES_TIMESERIES, id, (size_t)(p - db->json), err);
}

/* [[percent, latency_ns], ...] in ascending percent. */
static int res_put_quantiles(struct res_db *db, int64_t id, const struct exp_stats *s,
                             struct ft_error *err) {
    int rc = res_json_reserve(db, 2 + (size_t)s->nquantiles * (2 * RES_JSON_NUM + 3), err);
    if (rc) return rc;
    char *p = db->json;
    *p++ = '[';
    for (uint32_t i = 0; !rc && i < s->nquantiles; i++) {
        const uint64_t v[2] = {ledger_quantile_pct[i], s->quantiles[i]};
        if (v[1] > INT64_MAX) rc = res_check_limit("latency_ns", v[1], err);
        if (i) *p++ = ',';
        p = res_json_row(p, v, 2, 0);
    }
    *p++ = ']';
    return rc ? rc : res_put_json(db, RES_QUANTILES, id, (size_t)(p - db->json), err);
}

static int res_bind_marker(sqlite3_stmt *st, int base, int64_t id, const struct res_run *r,
                           size_t i, struct ft_error *err) {
    const struct exp_marker *m = &r->stats->markers[i];
    sqlite3_bind_int64(st, base + 1, id);
    sqlite3_bind_text(st, base + 3, exp_marker_name(m->kind), -1, SQLITE_STATIC);
    if (m->node[0]) sqlite3_bind_text(st, base + 4, m->node, -1, SQLITE_STATIC);
    if (m->label[0]) sqlite3_bind_text(st, base + 5, m->label, -1, SQLITE_STATIC);
    return res_bind_u64(st, base + 2, m->t_ns, "t_ns", err);
}

static int res_bind_window(sqlite3_stmt *st, int base, int64_t id, const struct res_run *r,
                           size_t i, struct ft_error *err) {
    const struct res_window *w = &r->windows[i];
    (void)err; /* times were checked by res_check_children */
    sqlite3_bind_int64(st, base + 1, id);
    sqlite3_bind_int64(st, base + 2, w->window_start_ns);
    sqlite3_bind_int64(st, base + 3, w->window_end_ns);
    if (w->key) sqlite3_bind_text(st, base + 4, w->key, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, base + 5, w->value);
    sqlite3_bind_int64(st, base + 6, (int64_t)w->emitted_at_ns);
    sqlite3_bind_int(st, base + 7, w->final ? 1 : 0);
    sqlite3_bind_text(st, base + 8, w->by_processing_time ? "processing" : "event", -1,
                      SQLITE_STATIC);
    return 0;
}

/* The same rows from a run's statistics (struct exp_stats), as exp_run fills them. */
static int res_bind_stat_window(sqlite3_stmt *st, int base, int64_t id, const struct res_run *r,
                                size_t i, struct ft_error *err) {
    const struct exp_window_row *w = &r->stats->windows[i];
    sqlite3_bind_int64(st, base + 1, id);
    sqlite3_bind_int64(st, base + 2, w->window_start_ns);
    sqlite3_bind_int64(st, base + 3, w->window_end_ns);
    if (w->key[0]) sqlite3_bind_text(st, base + 4, w->key, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, base + 5, w->value);
    sqlite3_bind_int(st, base + 7, w->final ? 1 : 0);
    sqlite3_bind_text(st, base + 8, w->by_processing_time ? "processing" : "event", -1,
                      SQLITE_STATIC);
    return res_bind_u64(st, base + 6, w->emitted_at_ns, "emitted_at_ns", err);
}

static int res_bind_stat_watermark(sqlite3_stmt *st, int base, int64_t id, const struct res_run *r,
                                   size_t i, struct ft_error *err) {
    const struct pipe_watermark *w = &r->stats->watermarks[i];
    sqlite3_bind_int64(st, base + 1, id);
    sqlite3_bind_int64(st, base + 2, (int64_t)i);
    sqlite3_bind_int64(st, base + 4, w->watermark_ns);
    int rc = res_bind_u64(st, base + 3, w->t_ns, "t_ns", err);
    return rc ? rc : res_bind_u64(st, base + 5, w->late_dropped, "late_dropped", err);
}

static int res_bind_watermark(sqlite3_stmt *st, int base, int64_t id, const struct res_run *r,
                              size_t i, struct ft_error *err) {
    const struct res_watermark *w = &r->watermarks[i];
    (void)err; /* checked by res_check_children */
    sqlite3_bind_int64(st, base + 1, id);
    sqlite3_bind_int64(st, base + 2, (int64_t)i);
    sqlite3_bind_int64(st, base + 3, (int64_t)w->t_ns);
    sqlite3_bind_int64(st, base + 4, w->watermark_ns);
    sqlite3_bind_int64(st, base + 5, (int64_t)w->late_dropped);
    return 0;
}

/* Row i of lambda_views (seq = i): key NULL for the total, batch_ns NULL without a
 * batch view. The one binding of both sources of lambda rows below. */
static int res_bind_lambda_row(sqlite3_stmt *st, int base, int64_t id, size_t i,
                               const struct res_lambda *l, struct ft_error *err) {
    sqlite3_bind_int64(st, base + 1, id);
    sqlite3_bind_int64(st, base + 2, (int64_t)i);
    if (l->key) sqlite3_bind_text(st, base + 4, l->key, -1, SQLITE_STATIC);
    int rc = res_bind_u64(st, base + 3, l->t_ns, "a lambda view's t_ns", err);
    if (!rc) rc = res_bind_u64(st, base + 5, l->served, "a lambda view's served", err);
    if (!rc) rc = res_bind_u64(st, base + 6, l->reference, "a lambda view's reference", err);
    if (!rc && l->has_batch)
        rc = res_bind_u64(st, base + 7, l->batch_ns, "a lambda view's batch_ns", err);
    if (!rc) rc = res_bind_u64(st, base + 8, l->staleness_ns, "a lambda view's staleness_ns", err);
    return rc;
}

static int res_bind_lambda(sqlite3_stmt *st, int base, int64_t id, const struct res_run *r,
                           size_t i, struct ft_error *err) {
    return res_bind_lambda_row(st, base, id, i, &r->lambda[i], err);
}

/* The same rows from a run's statistics (struct exp_stats), as exp_run fills them. */
static int res_bind_stat_lambda(sqlite3_stmt *st, int base, int64_t id, const struct res_run *r,
                                size_t i, struct ft_error *err) {
    const struct exp_lambda_point *x = &r->stats->lambda[i];
    const struct res_lambda l = {.t_ns = x->t_ns,
                                 .key = x->key[0] ? x->key : NULL,
                                 .served = x->served,
                                 .reference = x->reference,
                                 .has_batch = x->has_batch,
                                 .batch_ns = x->batch_ns,
                                 .staleness_ns = x->staleness_ns};
    return res_bind_lambda_row(st, base, id, i, &l, err);
}

/* Row i of model_metrics (seq = i): batch NULL for a whole-run metric. */
static int res_bind_stat_model(sqlite3_stmt *st, int base, int64_t id, const struct res_run *r,
                               size_t i, struct ft_error *err) {
    const struct exp_model_row *m = &r->stats->model[i];
    sqlite3_bind_int64(st, base + 1, id);
    sqlite3_bind_int64(st, base + 2, (int64_t)i);
    if (m->batch >= 0) sqlite3_bind_int64(st, base + 3, m->batch);
    sqlite3_bind_text(st, base + 5, m->metric, -1, SQLITE_STATIC);
    if (m->value - m->value == 0) sqlite3_bind_double(st, base + 6, m->value); /* NaN: NULL */
    return res_bind_u64(st, base + 4, m->t_ns, "a model metric's time_ns", err);
}

static void res_bind_node(sqlite3_stmt *st, int i, uint32_t node) {
    if (node != SIM_NODE_NONE) sqlite3_bind_int64(st, i, node);
}

static int res_bind_event(sqlite3_stmt *st, int base, int64_t id, const struct res_run *r, size_t i,
                          struct ft_error *err) {
    const struct sim_trace_rec *e = &r->events[i];
    const char *label = r->event_label ? r->event_label(e) : NULL;
    (void)err;
    sqlite3_bind_int64(st, base + 1, id);
    sqlite3_bind_int64(st, base + 2, (int64_t)i);
    sqlite3_bind_int64(st, base + 3, res_u64_bits(e->time_ns));
    sqlite3_bind_text(st, base + 4, sim_trace_type_name(e->type), -1, SQLITE_STATIC);
    res_bind_node(st, base + 5, e->node);
    res_bind_node(st, base + 6, e->peer);
    sqlite3_bind_int64(st, base + 7, res_u64_bits(e->id));
    sqlite3_bind_int64(st, base + 8, res_u64_bits(e->arg));
    sqlite3_bind_int64(st, base + 9, e->kind);
    if (label) sqlite3_bind_text(st, base + 10, label, -1, SQLITE_STATIC);
    if (e->type == SIM_TR_DROP)
        sqlite3_bind_text(st, base + 11, sim_drop_reason_name(e->reason), -1, SQLITE_STATIC);
    return 0;
}

/* Inserts rows 0..n-1 of child table t: whole batches, then the rest one by one. */
static int res_put_rows(struct res_db *db, enum res_child t, int64_t id, const struct res_run *r,
                        size_t n, res_bind_fn bind, struct ft_error *err) {
    int ncols = res_child_ncols[t], rc = 0;
    size_t i = 0;
    for (; !rc && n - i >= RES_BATCH; i += RES_BATCH) {
        for (int k = 0; !rc && k < RES_BATCH; k++)
            rc = bind(db->putn[t], k * ncols, id, r, i + (size_t)k, err);
        if (!rc) rc = res_step(db, db->putn[t], NULL, "cannot store the run's rows", err);
    }
    for (; !rc && i < n; i++) {
        rc = bind(db->put[t], 0, id, r, i, err);
        if (!rc) rc = res_step(db, db->put[t], NULL, "cannot store the run's rows", err);
    }
    return rc;
}

static int res_put_stats(struct res_db *db, int64_t id, const struct res_run *r,
                         struct ft_error *err) {
    const struct exp_stats *s = r->stats;
    int rc = s->nbuckets ? res_put_timeseries(db, id, s, err) : 0;
    if (!rc && s->nquantiles) rc = res_put_quantiles(db, id, s, err);
    if (!rc) rc = res_put_rows(db, RES_MARKERS, id, r, s->nmarkers, res_bind_marker, err);
    if (!rc && s->nwindows)
        rc = res_put_rows(db, RES_WINDOWS, id, r, s->nwindows, res_bind_stat_window, err);
    if (!rc && s->nwatermarks)
        rc = res_put_rows(db, RES_WATERMARKS, id, r, s->nwatermarks, res_bind_stat_watermark, err);
    if (!rc && s->nlambda)
        rc = res_put_rows(db, RES_LAMBDA, id, r, s->nlambda, res_bind_stat_lambda, err);
    if (!rc && s->nmodel)
        rc = res_put_rows(db, RES_MODEL, id, r, s->nmodel, res_bind_stat_model, err);
    return rc;
}

static int res_put_agreement(struct res_db *db, int64_t id, const struct res_agreement *a,
                             struct ft_error *err) {
    sqlite3_stmt *st = db->put[RES_AGREEMENT];
    const uint64_t v[] = {a->rounds,
                          a->messages,
                          a->bytes,
                          a->signatures_made,
                          a->signatures_verified,
                          a->signatures_rejected};
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, a->algorithm, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, a->n);
    sqlite3_bind_int64(st, 4, a->m);
    sqlite3_bind_text(st, 5, a->traitors, -1, SQLITE_STATIC);
    if (a->strategy) sqlite3_bind_text(st, 6, a->strategy, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 7, a->ic1 ? 1 : 0);
    sqlite3_bind_int(st, 8, a->ic2 ? 1 : 0);
    for (int i = 0; i < 6; i++) {
        int rc = res_bind_u64(st, 9 + i, v[i], "an agreement count", err);
        if (rc) return rc;
    }
    sqlite3_bind_text(st, 15, a->decisions, -1, SQLITE_STATIC);
    return res_step(db, st, NULL, "cannot store the agreement", err);
}

/* Every child row of run id goes, so a rerun replaces them all. */
static int res_clear_children(struct res_db *db, int64_t id, struct ft_error *err) {
    int rc = 0;
    for (int i = 0; !rc && i < RES_NCHILD; i++) {
        sqlite3_bind_int64(db->del[i], 1, id);
        rc = res_step(db, db->del[i], NULL, "cannot replace the run's rows", err);
    }
    return rc;
}

static int res_put_all(struct res_db *db, const struct res_run *r, int64_t *id,
                       struct ft_error *err) {
    bool existed = false;
    int rc = res_put_run(db, r, id, &existed, err);
    if (!rc && existed) rc = res_clear_children(db, *id, err);
    if (!rc) rc = res_put_outcome(db, *id, r->outcome, err);
    if (!rc && r->stats) rc = res_put_stats(db, *id, r, err);
    if (!rc && r->nwindows)
        rc = res_put_rows(db, RES_WINDOWS, *id, r, r->nwindows, res_bind_window, err);
    if (!rc && r->nwatermarks)
        rc = res_put_rows(db, RES_WATERMARKS, *id, r, r->nwatermarks, res_bind_watermark, err);
    if (!rc && r->nlambda)
        rc = res_put_rows(db, RES_LAMBDA, *id, r, r->nlambda, res_bind_lambda, err);
    if (!rc && r->agreement) rc = res_put_agreement(db, *id, r->agreement, err);
    if (!rc && r->nevents)
        rc = res_put_rows(db, RES_EVENTS, *id, r, r->nevents, res_bind_event, err);
    if (!rc && r->file && (!r->params || !r->params[0])) rc = res_put_scenario(db, r, err);
    return rc;
}

/* After a failure part-way through binding: no stale binding may reach the next run
 * (NULL columns rely on cleared bindings). */
static void res_reset_all(struct res_db *db) {
    sqlite3_stmt *all[4 + 3 * RES_NCHILD] = {db->put_run, db->update_run, db->has_run,
                                             db->put_scenario};
    for (int i = 0; i < RES_NCHILD; i++) {
        all[4 + 3 * i] = db->put[i];
        all[5 + 3 * i] = db->putn[i];
        all[6 + 3 * i] = db->del[i];
    }
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (!all[i]) continue;
        sqlite3_reset(all[i]);
        sqlite3_clear_bindings(all[i]);
    }
}

int res_store_run(struct res_db *db, const struct res_run *r, int64_t *run_id,
                  struct ft_error *err) {
    if (!db || !r) return ft_fail(err, FT_EINVAL, "res_store_run: db and run are required");
    int rc = res_check_run(r, err);
    if (rc) return rc;
    int64_t id = -1;
    rc = res_exec(db, "BEGIN IMMEDIATE", "cannot start the transaction", err);
    if (!rc) rc = res_put_all(db, r, &id, err);
    if (!rc) rc = res_exec(db, "COMMIT", "cannot commit the run", err);
    if (rc) {
        res_reset_all(db);
        res_rollback(db);
        return rc;
    }
    if (run_id) *run_id = id;
    return 0;
}

int res_has_run(struct res_db *db, const char *scenario_hash, const char *params, uint64_t seed,
                const char *protocol, bool *has, struct ft_error *err) {
    if (!db || !scenario_hash || !protocol || !has)
        return ft_fail(err, FT_EINVAL,
                       "res_has_run: db, scenario_hash, protocol and has are required");
    sqlite3_stmt *st = db->has_run;
    sqlite3_bind_text(st, 1, scenario_hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, params ? params : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, res_u64_bits(seed));
    sqlite3_bind_text(st, 4, protocol, -1, SQLITE_STATIC);
    int64_t id = -1;
    int rc = res_step(db, st, &id, "cannot look up a run", err);
    *has = !rc && id >= 0;
    return rc;
}
