/* A run's views against their independent references: the windowed query's final table
 * against the pure window engine over the generated input (every record in every one of
 * its windows, or by arrival time), and the lambda architecture's served views against
 * the per-key counts of the generated records, sample by sample. Neither reference goes
 * through the simulator or protocol code. */
#include <stdlib.h>
#include <string.h>

#include "exp_internal.h"
#include "grow.h"
#include "query.h"
#include "source.h"

/* The no-lateness reference of the windowed query: the operators and the windows over
 * the generated input, every contribution counted; by_arrival: windows assigned by the
 * record's arrival (processing time) instead of its event time. */
struct exp_wref {
    struct src_gen names;
    struct query q;
    struct win_ref *ref;
    bool by_arrival;
    struct ft_error *err; /* own, until wref_rows */
    struct ft_error own;
    uint32_t source_key; /* of the previous record */
};

void exp_wref_free(struct exp_wref *f) {
    if (!f) return;
    win_ref_free(f->ref);
    query_free(&f->q);
    src_gen_free(&f->names);
    free(f);
}

int exp_wref_new(const struct pipe_config *cfg, bool by_arrival, struct exp_wref **out,
                 struct ft_error *err) {
    struct exp_wref *f = calloc(1, sizeof *f);
    *out = NULL;
    if (!f) return ft_fail(err, FT_ENOMEM, "out of memory for the window reference");
    f->by_arrival = by_arrival;
    f->err = &f->own;
    int rc = src_names_open(&f->names, &cfg->source, err);
    if (rc) {
        free(f);
        return rc;
    }
    rc = query_compile(&cfg->query, &f->names, &f->q, err);
    if (!rc) rc = win_ref_new(&cfg->query.window, &f->ref, err);
    if (rc) {
        exp_wref_free(f);
        return rc;
    }
    *out = f;
    return 0;
}

int exp_wref_add(void *ctx, const struct src_record *r) {
    struct exp_wref *f = ctx;
    /* device by device (no id): a device's windows are done when the next one starts */
    if (r->id == UINT64_MAX && r->key != f->source_key) {
        int rc = win_ref_spill(f->ref, f->err);
        if (rc) return rc;
    }
    f->source_key = r->key;
    uint64_t k;
    int64_t v;
    if (r->defect || query_apply(&f->q, r->key, r->value, &k, &v) != QUERY_KEEP) return 0;
    struct win_input in = {k, f->by_arrival ? r->arrival_ns : r->event_ns, v, r->arrival_ns};
    return win_ref_add(f->ref, &in, f->err);
}

bool exp_wref_any_order(const struct pipe_config *cfg) {
    return !(cfg->source.malformed_p > 0); /* ids decide which record is malformed */
}

/* The reference table of f, fed the whole input; f is spent. */
static int wref_rows(struct exp_wref *f, struct win_row **rows, size_t *n, struct ft_error *err) {
    f->err = err;
    return win_ref_rows(f->ref, rows, n, err);
}

static int window_reference(const struct pipe_config *cfg, uint64_t seed, bool by_arrival,
                            struct win_row **rows, size_t *n, struct ft_error *err) {
    struct exp_wref *f;
    int rc = exp_wref_new(cfg, by_arrival, &f, err);
    if (rc) return rc;
    /* the aggregates do not depend on the order: device by device where they can */
    rc = src_gen_each(&cfg->source, cfg->duration_ns, seed, exp_wref_any_order(cfg), exp_wref_add,
                      f);
    if (rc && f->own.msg[0])
        *err = f->own;
    else if (rc)
        ft_fail(err, rc, "cannot replay the source for the window reference");
    if (!rc) rc = wref_rows(f, rows, n, err);
    exp_wref_free(f);
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

int exp_fill_windows(struct pipe *pipe, const struct pipe_config *cfg, uint64_t seed,
                     struct exp_wref *fed, struct exp_windows *table, struct exp_outcome *out,
                     struct ft_error *err) {
    struct win_row *rows = NULL, *ref = NULL;
    size_t n = 0, nref = 0;
    int rc = pipe_window_finish(pipe, err);
    if (!rc && (rc = pipe_window_rows(pipe, &rows, &n)))
        ft_fail(err, rc, "cannot hold the window table");
    if (!rc)
        rc = fed ? wref_rows(fed, &ref, &nref, err)
                 : window_reference(cfg, seed, false, &ref, &nref, err);
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
int exp_fill_lambda(const struct pipe *pipe, const struct pipe_config *cfg, uint64_t seed,
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
