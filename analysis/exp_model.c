/* What a run did to its streaming model, measured from ground truth (issue 13): the
 * model's input ledger (how many times the driver's final model consumed each record the
 * generator made: lost, duplicated, exactly once), its error against the source's true
 * model at each update and at the end (k-means: the mean distance from each true centre
 * to the nearest learned one; regression: the RMSE of the coefficients), the frozen
 * model's, and the distance to the model the same seed learns without faults. The ledger
 * is fed only by the driver's applications (pipe_observer.model_input) and judged
 * against the generator's record set, never against the protocol's counters. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exp_model.h"
#include "grow.h"
#include "source.h"

void exp_model_rows_free(struct exp_model_rows *m) {
    if (!m) return;
    free(m->rows);
    memset(m, 0, sizeof *m);
}

int exp_model_begin(struct exp_model_ctx *m, uint64_t n) {
    memset(m, 0, sizeof *m);
    m->n = n;
    m->count = calloc(n ? n : 1, sizeof *m->count);
    return m->count ? 0 : FT_ENOMEM;
}

void exp_model_end(struct exp_model_ctx *m) {
    free(m->count);
    memset(m, 0, sizeof *m);
}

void exp_model_input(void *ctx, uint64_t rec, int delta) {
    struct exp_model_ctx *m = ctx;
    if (rec >= m->n) {
        m->unknown++;
        return;
    }
    m->count[rec] = (uint32_t)((int64_t)m->count[rec] + delta);
}

static int row(struct exp_model_rows *r, int64_t batch, uint64_t t_ns, const char *metric,
               double value) {
    if (!r) return 0;
    if (ft_grow((void **)&r->rows, &r->cap, r->n + 1, sizeof *r->rows, 256)) return FT_ENOMEM;
    struct exp_model_row *x = &r->rows[r->n++];
    x->batch = batch;
    x->t_ns = t_ns;
    snprintf(x->metric, sizeof x->metric, "%s", metric);
    x->value = value;
    return 0;
}

/* The error of m against the source's true model at t (false: no truth). */
static bool error_at(const struct pipe_config *cfg, uint64_t t_ns, const struct ml_model *m,
                     double *err) {
    struct ml_model truth;
    if (!src_true_model(&cfg->source, t_ns, &cfg->ml.spec, &truth)) return false;
    *err = cfg->ml.spec.kind == ML_KMEANS ? ml_centre_error(m, &truth)
                                          : ml_coef_rmse(&cfg->ml.spec, m, &truth);
    return true;
}

static int centres(struct exp_model_rows *r, int64_t batch, uint64_t t_ns, const char *what,
                   const struct ml_model *m) {
    int rc = 0;
    char name[EXP_MODEL_METRIC_BYTES];
    for (uint32_t j = 0; !rc && m->d >= 2 && j < m->k; j++) {
        snprintf(name, sizeof name, "%s.%u.x", what, j);
        rc = row(r, batch, t_ns, name, m->c[j][0]);
        snprintf(name, sizeof name, "%s.%u.y", what, j);
        if (!rc) rc = row(r, batch, t_ns, name, m->c[j][1]);
    }
    return rc;
}

/* One row set per update; fills the error summary of out. */
static int series(const struct pipe *pipe, const struct pipe_config *cfg, struct exp_outcome *out,
                  struct exp_model_rows *r) {
    const struct ml_spec *spec = &cfg->ml.spec;
    size_t n;
    const struct pipe_ml_point *pts = pipe_ml_series(pipe, &n);
    const double *params = pipe_ml_params(pipe);
    struct ml_model frozen, m;
    uint64_t frozen_ns = 0, rows = 0;
    bool has_frozen = pipe_ml_frozen(pipe, &frozen, &frozen_ns, &rows);
    const struct pipe_features *f = &cfg->source.feat;
    int rc = 0;
    double sum = 0;
    for (size_t i = 0; !rc && i < n; i++) {
        const struct pipe_ml_point *pt = &pts[i];
        int64_t b = (int64_t)pt->batch;
        double e;
        ml_unpack(spec, params + pt->params, &m);
        if (error_at(cfg, pt->t_ns, &m, &e)) {
            sum += e;
            rc = row(r, b, pt->t_ns, "error", e);
            if (f->drift && pt->t_ns < f->drift_ns) out->model_error_before_drift = e;
        }
        if (!rc && !pt->restored) rc = row(r, b, pt->t_ns, "applied", (double)pt->applied);
        if (!rc) rc = row(r, b, pt->t_ns, "epoch", (double)pt->epoch);
        if (!rc && pt->scored > 0) {
            rc = row(r, b, pt->t_ns, "cost", pt->score / pt->scored);
            out->model_cost_final = pt->score / pt->scored;
        }
        if (!rc && has_frozen && pt->t_ns >= frozen_ns) {
            if (error_at(cfg, pt->t_ns, &frozen, &e)) rc = row(r, b, pt->t_ns, "frozen_error", e);
            if (!rc && pt->scored > 0)
                rc = row(r, b, pt->t_ns, "frozen_cost", pt->score_frozen / pt->scored);
        }
        if (!rc && spec->kind == ML_KMEANS) rc = centres(r, b, pt->t_ns, "centre", &m);
    }
    out->model_updates = 0;
    for (size_t i = 0; i < n; i++)
        out->model_updates += !pts[i].restored;
    out->model_error_mean = n ? sum / (double)n : 0;
    out->model_has_frozen = has_frozen;
    out->model_frozen_rows = rows;
    return rc;
}

/* The true centres (at 0 and after the drift) and the points of the last full batch
 * interval before the end of duration, from the generator. */
static int kmeans_truth(const struct pipe_config *cfg, uint64_t seed, struct exp_model_rows *r) {
    const struct pipe_features *f = &cfg->source.feat;
    struct ml_model truth;
    if (!r || cfg->source.kind != SRC_CLUSTERS || f->dim < 2) return 0;
    src_true_model(&cfg->source, 0, &cfg->ml.spec, &truth);
    int rc = centres(r, -1, 0, "true", &truth);
    if (!rc && f->drift) {
        src_true_model(&cfg->source, f->drift_ns, &cfg->ml.spec, &truth);
        rc = centres(r, -1, f->drift_ns, "true", &truth);
    }
    uint64_t t = cfg->query.trigger_ns, end = cfg->duration_ns / t * t;
    uint64_t from = end >= t ? end - t : 0;
    struct src_gen g;
    struct src_record rec;
    if (rc || src_gen_init(&g, &cfg->source, cfg->duration_ns, seed)) return rc ? rc : FT_ENOMEM;
    int64_t k = 0;
    while (!rc && k < (int64_t)EXP_MODEL_SAMPLE_MAX && src_gen_next(&g, &rec)) {
        if (rec.event_ns < from || rec.event_ns >= end) continue;
        const double *x = src_gen_features(&g);
        rc = row(r, k, rec.event_ns, "sample.x", x[0]);
        if (!rc) rc = row(r, k++, rec.event_ns, "sample.y", x[1]);
    }
    src_gen_free(&g);
    return rc;
}

static int ledger(const struct exp_model_ctx *m, struct exp_outcome *out) {
    for (uint64_t i = 0; i < m->n; i++) {
        if (m->count[i] == 0) out->model_input_lost++;
        if (m->count[i] > 1) out->model_input_duplicated += m->count[i] - 1;
        out->model_input_applied += m->count[i] > 0;
    }
    out->model_input_matches_reference =
        !out->model_input_lost && !out->model_input_duplicated && !m->unknown;
    return 0;
}

int exp_model_finish(const struct exp_model_ctx *m, const struct pipe *pipe,
                     const struct pipe_config *cfg, uint64_t seed, const double *fault_free,
                     struct exp_outcome *out, struct exp_model_rows *r) {
    const struct ml_spec *spec = &cfg->ml.spec;
    struct ml_model fin, ff;
    out->model_enabled = true;
    ledger(m, out);
    int rc = series(pipe, cfg, out, r);
    pipe_ml_final(pipe, &fin);
    uint64_t end = cfg->duration_ns + cfg->drain_ns, frozen_ns = 0, rows;
    double e;
    out->model_has_truth = error_at(cfg, end, &fin, &e);
    if (out->model_has_truth) out->model_error_final = e;
    struct ml_model frozen;
    if (pipe_ml_frozen(pipe, &frozen, &frozen_ns, &rows) && error_at(cfg, end, &frozen, &e))
        out->model_frozen_error_final = e;
    if (fault_free) {
        double a[ML_K_MAX * (ML_DIM_MAX + 1)];
        ml_unpack(spec, fault_free, &ff);
        ml_pack(spec, &fin, a);
        out->model_fault_free_done = true;
        out->model_identical_to_fault_free =
            !memcmp(a, fault_free, ml_params_len(spec) * sizeof *a);
        out->model_fault_free_distance =
            spec->kind == ML_KMEANS ? ml_centre_error(&fin, &ff) : ml_coef_rmse(spec, &fin, &ff);
    }
    const struct pipe_features *f = &cfg->source.feat;
    const struct {
        const char *name;
        bool on;
        double v;
    } sum[] = {
        {"model_kind", true, spec->kind == ML_KMEANS ? 1.0 : 2.0},
        {"final_error", out->model_has_truth, out->model_error_final},
        {"error_mean", out->model_has_truth, out->model_error_mean},
        {"error_before_drift", f->drift && out->model_has_truth, out->model_error_before_drift},
        {"input_applied", true, (double)out->model_input_applied},
        {"input_lost", true, (double)out->model_input_lost},
        {"input_duplicated", true, (double)out->model_input_duplicated},
        {"drift_ns", f->drift, (double)f->drift_ns},
        {"frozen_ns", out->model_has_frozen, (double)frozen_ns},
        {"frozen_final_error", out->model_has_frozen && out->model_has_truth,
         out->model_frozen_error_final},
        {"fault_free_distance", out->model_fault_free_done, out->model_fault_free_distance},
        {"identical_to_fault_free", out->model_fault_free_done,
         out->model_identical_to_fault_free}};
    for (size_t i = 0; !rc && i < sizeof sum / sizeof *sum; i++)
        if (sum[i].on) rc = row(r, -1, end, sum[i].name, sum[i].v);
    if (!rc && spec->kind == ML_KMEANS) rc = kmeans_truth(cfg, seed, r);
    return rc;
}

void exp_model_fault_free_cfg(const struct pipe_config *cfg, struct pipe_config *out) {
    *out = *cfg;
    out->nfaults = 0;
    out->network.loss_p = out->network.dup_p = out->network.reorder_p = 0;
    for (uint32_t i = 0; i < out->nlinks; i++)
        out->links[i].cfg.loss_p = out->links[i].cfg.dup_p = out->links[i].cfg.reorder_p = 0;
}
