/* Scenario loader, streaming-ML part (docs/scenario-format.md): the `clusters` and
 * `linear` source kinds and their true models, a `pipeline:` of one kmeans or
 * linear_regression operator, the `model:` section (an offline model trained on the
 * lake), the checks that tie them to the rest of the file, and the model expectations
 * (model_input_lost, model_input_duplicated, model_input_matches_reference,
 * model_error_final, model_frozen_error_final, model_identical_to_fault_free) with their
 * check against a run. Every error is FT_EPARSE with file:line:col. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "experiment.h"
#include "scn_internal.h"

#define NUM_MAX 1e12 /* |a coordinate, weight, centre| given in a file */

/* ---- numbers, vectors, matrices ---- */

static int get_num(struct scn_ctx *c, const struct scn_node *n, const char *key, double *out) {
    return scn_get_number(c, n, key, -NUM_MAX, NUM_MAX, false, out);
}

/* A list of 1..max numbers; *len gets its length (must equal *len when it is set). */
static int get_vec(struct scn_ctx *c, const struct scn_node *n, const char *key, uint32_t max,
                   double *out, uint32_t *len) {
    if (n->type != SCN_Y_SEQ || !n->n)
        return scn_expected(c, n, key, "a list of numbers like [1.5, -2]");
    if (n->n > max) return scn_fail(c, n, "'%s' has at most %u numbers, found %u", key, max, n->n);
    if (*len && n->n != *len)
        return scn_fail(c, n, "'%s' needs %u numbers (the dimension), found %u", key, *len, n->n);
    for (uint32_t i = 0; i < n->n; i++) {
        int rc = get_num(c, n->kids[i], key, &out[i]);
        if (rc) return rc;
    }
    *len = n->n;
    return 0;
}

/* A list of rows of dim numbers (dim is set by the first row when 0). */
static int get_rows(struct scn_ctx *c, const struct scn_node *n, const char *key, uint32_t max,
                    double (*out)[ML_DIM_MAX], uint32_t *rows, uint32_t *dim) {
    if (n->type != SCN_Y_SEQ || !n->n)
        return scn_expected(c, n, key, "a list of points like [[0, 0], [5, 5]]");
    if (n->n > max) return scn_fail(c, n, "'%s' has at most %u rows, found %u", key, max, n->n);
    if (*rows && n->n != *rows)
        return scn_fail(c, n, "'%s' needs %u rows (one per centre), found %u", key, *rows, n->n);
    for (uint32_t i = 0; i < n->n; i++) {
        int rc = get_vec(c, n->kids[i], key, ML_DIM_MAX, out[i], dim);
        if (rc) return rc;
    }
    *rows = n->n;
    return 0;
}

/* ---- the source kinds clusters and linear ---- */

enum {
    S_KIND,
    S_RATE,
    S_KEYS,
    S_CENTRES,
    S_SHARES,
    S_SD,
    S_WEIGHTS,
    S_INTERCEPT,
    S_BOX,
    S_NOISE,
    S_DRIFT,
    S_MALFORMED,
    S_N
};
static const char *const src_keys[S_N] = {"kind",   "rate",  "keys",    "centres",
                                          "shares", "sd",    "weights", "intercept",
                                          "box",    "noise", "drift",   "malformed"};
static const struct scn_mapspec src_spec = {"for 'source'", "in 'source'", "key",
                                            src_keys,       S_N,           SCN_BIT(S_KIND)};
#define B(k) SCN_BIT(S_##k)
static const uint32_t clusters_allowed = B(KIND) | B(RATE) | B(KEYS) | B(CENTRES) | B(SHARES) |
                                         B(SD) | B(DRIFT) | B(MALFORMED),
                      linear_allowed = B(KIND) | B(RATE) | B(KEYS) | B(WEIGHTS) | B(INTERCEPT) |
                                       B(BOX) | B(NOISE) | B(DRIFT) | B(MALFORMED);
#undef B

bool scn_ml_source_kind(const char *kind) {
    return !strcmp(kind, "clusters") || !strcmp(kind, "linear");
}

enum { DR_AT, DR_MOVE, DR_WEIGHTS, DR_INTERCEPT, DR_N };
static const char *const drift_keys[DR_N] = {"at", "move", "weights", "intercept"};
static const struct scn_mapspec drift_spec = {"for 'drift'", "in 'drift'", "key",
                                              drift_keys,    DR_N,         SCN_BIT(DR_AT)};

static int get_drift(struct scn_ctx *c, const struct scn_node *m, bool clusters) {
    struct pipe_features *f = &c->out->pipe.source.feat;
    const struct scn_node *v[DR_N];
    int rc = scn_map_collect(c, m, &drift_spec, v);
    uint32_t allowed = SCN_BIT(DR_AT) |
                       (clusters ? SCN_BIT(DR_MOVE) : SCN_BIT(DR_WEIGHTS) | SCN_BIT(DR_INTERCEPT));
    if (!rc)
        rc = scn_check_allowed(c, m, &drift_spec, allowed,
                               clusters ? "a clusters drift" : "a linear drift");
    if (!rc) rc = scn_get_duration(c, v[DR_AT], "at", false, &f->drift_ns);
    if (rc) return rc;
    if (f->drift_ns >= c->out->pipe.duration_ns)
        return scn_fail(c, v[DR_AT], "the drift's 'at' must be before the end of 'duration'");
    f->drift = true;
    if (clusters) {
        if (!v[DR_MOVE])
            return scn_fail(c, m, "a clusters drift needs 'move' (one row per centre)");
        uint32_t rows = f->k, dim = f->dim;
        return get_rows(c, v[DR_MOVE], "move", ML_K_MAX, f->move, &rows, &dim);
    }
    memcpy(f->w2, f->w, sizeof f->w2);
    f->b2 = f->b;
    if (!v[DR_WEIGHTS] && !v[DR_INTERCEPT])
        return scn_fail(c, m, "a linear drift needs 'weights' and/or 'intercept' (the new line)");
    uint32_t dim = f->dim;
    if (v[DR_WEIGHTS] && (rc = get_vec(c, v[DR_WEIGHTS], "weights", ML_DIM_MAX, f->w2, &dim)))
        return rc;
    return v[DR_INTERCEPT] ? get_num(c, v[DR_INTERCEPT], "intercept", &f->b2) : 0;
}

static int src_clusters(struct scn_ctx *c, const struct scn_node *m, const struct scn_node **v) {
    struct pipe_features *f = &c->out->pipe.source.feat;
    f->sd = 1.0;
    if (!v[S_CENTRES])
        return scn_fail(c, m,
                        "a clusters source needs 'centres' (the true centres, like "
                        "[[0, 0], [5, 5]])");
    int rc = get_rows(c, v[S_CENTRES], "centres", ML_K_MAX, f->centre, &f->k, &f->dim);
    for (uint32_t j = 0; j < f->k; j++)
        f->share[j] = 1.0;
    uint32_t k = f->k;
    if (!rc && v[S_SHARES]) rc = get_vec(c, v[S_SHARES], "shares", ML_K_MAX, f->share, &k);
    for (uint32_t j = 0; !rc && j < f->k; j++)
        if (f->share[j] < 0) return scn_fail(c, v[S_SHARES], "'shares' must not be negative");
    if (!rc && v[S_SD]) rc = scn_get_number(c, v[S_SD], "sd", 0, 1e9, false, &f->sd);
    f->label = true; /* the true centre's index */
    return rc;
}

static int src_linear(struct scn_ctx *c, const struct scn_node *m, const struct scn_node **v) {
    struct pipe_features *f = &c->out->pipe.source.feat;
    f->lo = -1, f->hi = 1, f->noise = 0.1;
    if (!v[S_WEIGHTS])
        return scn_fail(c, m, "a linear source needs 'weights' (the true w of y = w.x + b)");
    int rc = get_vec(c, v[S_WEIGHTS], "weights", ML_DIM_MAX, f->w, &f->dim);
    if (!rc && v[S_INTERCEPT]) rc = get_num(c, v[S_INTERCEPT], "intercept", &f->b);
    if (!rc && v[S_NOISE]) rc = scn_get_number(c, v[S_NOISE], "noise", 0, 1e9, false, &f->noise);
    if (!rc && v[S_BOX]) {
        double box[2];
        uint32_t two = 2;
        if ((rc = get_vec(c, v[S_BOX], "box", 2, box, &two))) return rc;
        if (!(box[0] < box[1]))
            return scn_fail(c, v[S_BOX], "'box' is [low, high] with low < high");
        f->lo = box[0], f->hi = box[1];
    }
    f->label = true;
    return rc;
}

int scn_ml_source(struct scn_ctx *c, const struct scn_node *m) {
    struct pipe_source *s = &c->out->pipe.source;
    const struct scn_node *v[S_N];
    int rc = scn_map_collect(c, m, &src_spec, v);
    if (rc) return rc;
    bool clusters = !strcmp(v[S_KIND]->text, "clusters");
    rc = scn_check_allowed(c, m, &src_spec, clusters ? clusters_allowed : linear_allowed,
                           clusters ? "a clusters source" : "a linear source");
    if (rc) return rc;
    s->kind = clusters ? SRC_CLUSTERS : SRC_LINEAR;
    s->keys = 8;
    s->rate_per_s = 100;
    if (v[S_KEYS]) rc = scn_get_u32(c, v[S_KEYS], "keys", 1, PIPE_KEYS_MAX, &s->keys);
    if (!rc && v[S_RATE]) rc = scn_get_number(c, v[S_RATE], "rate", 0, 1e7, true, &s->rate_per_s);
    if (!rc && v[S_MALFORMED])
        rc = scn_get_number(c, v[S_MALFORMED], "malformed", 0, 1, false, &s->malformed_p);
    if (!rc) rc = clusters ? src_clusters(c, m, v) : src_linear(c, m, v);
    return !rc && v[S_DRIFT] ? get_drift(c, v[S_DRIFT], clusters) : rc;
}

/* ---- the pipeline: one kmeans or linear_regression operator ---- */

enum { K_K, K_DECAY, K_HALF_LIFE, K_TIME_UNIT, K_INIT, K_INIT_WEIGHT, K_N };
static const char *const kmeans_keys[K_N] = {"k",         "decay", "half_life",
                                             "time_unit", "init",  "init_weight"};
static const struct scn_mapspec kmeans_spec = {"for 'kmeans'", "in 'kmeans'", "key",
                                               kmeans_keys,    K_N,           0};

static int op_kmeans(struct scn_ctx *c, const struct scn_node *m, struct ml_spec *s) {
    const struct scn_node *v[K_N];
    int rc = scn_map_collect(c, m, &kmeans_spec, v);
    if (rc) return rc;
    s->kind = ML_KMEANS;
    s->k = 2, s->decay = 1.0; /* StreamingKMeans() defaults */
    if (v[K_K]) rc = scn_get_u32(c, v[K_K], "k", 1, ML_K_MAX, &s->k);
    if (!rc && v[K_DECAY] && v[K_HALF_LIFE])
        return scn_fail(c, scn_key_of(m, scn_later(v[K_DECAY], v[K_HALF_LIFE])),
                        "'kmeans' takes either 'decay' or 'half_life', not both");
    if (!rc && v[K_DECAY]) rc = scn_get_number(c, v[K_DECAY], "decay", 0, 1, false, &s->decay);
    if (!rc && v[K_HALF_LIFE]) {
        double h;
        if ((rc = scn_get_number(c, v[K_HALF_LIFE], "half_life", 0, 1e12, true, &h))) return rc;
        s->decay = ml_half_life_decay(h);
    }
    const struct scn_node *u = v[K_TIME_UNIT];
    if (!rc && u) {
        if (u->type != SCN_Y_SCALAR || (strcmp(u->text, "batches") && strcmp(u->text, "points")))
            return scn_expected(c, u, "time_unit", "batches or points");
        s->per_point = !strcmp(u->text, "points");
    }
    if (!rc && v[K_INIT_WEIGHT])
        rc = scn_get_number(c, v[K_INIT_WEIGHT], "init_weight", 0, NUM_MAX, false, &s->init_weight);
    const struct scn_node *i = v[K_INIT];
    if (rc || !i || (i->type == SCN_Y_SCALAR && !strcmp(i->text, "random"))) return rc;
    s->init_given = true;
    uint32_t rows = s->k, dim = c->out->pipe.source.feat.dim;
    return get_rows(c, i, "init", ML_K_MAX, s->init, &rows, &dim);
}

enum { R_STEP, R_ITERATIONS, R_FRACTION, R_INTERCEPT, R_INIT, R_TOL, R_N };
static const char *const linreg_keys[R_N] = {"step",      "iterations", "mini_batch_fraction",
                                             "intercept", "init",       "convergence_tol"};
static const struct scn_mapspec linreg_spec = {
    "for 'linear_regression'", "in 'linear_regression'", "key", linreg_keys, R_N, 0};

static int op_linreg(struct scn_ctx *c, const struct scn_node *m, struct ml_spec *s) {
    const struct scn_node *v[R_N];
    int rc = scn_map_collect(c, m, &linreg_spec, v);
    if (rc) return rc;
    /* StreamingLinearRegressionWithSGD's defaults; GradientDescent's tolerance */
    s->kind = ML_LINREG;
    s->step = 0.1, s->iterations = 50, s->fraction = 1.0, s->tol = 0.001;
    if (v[R_STEP]) rc = scn_get_number(c, v[R_STEP], "step", 0, 1e6, true, &s->step);
    if (!rc && v[R_ITERATIONS])
        rc = scn_get_u32(c, v[R_ITERATIONS], "iterations", 1, ML_ITERATIONS_MAX, &s->iterations);
    if (!rc && v[R_FRACTION])
        rc = scn_get_number(c, v[R_FRACTION], "mini_batch_fraction", 0, 1, true, &s->fraction);
    if (!rc && v[R_INTERCEPT]) rc = scn_get_bool(c, v[R_INTERCEPT], "intercept", &s->intercept);
    if (!rc && v[R_TOL]) rc = scn_get_number(c, v[R_TOL], "convergence_tol", 0, 1, false, &s->tol);
    if (rc || !v[R_INIT]) return rc;
    uint32_t n = ml_coefs(s);
    return get_vec(c, v[R_INIT], "init", ML_COEF_MAX, s->init_coef, &n);
}

bool scn_ml_is_op(const struct scn_node *item) {
    if (item->type != SCN_Y_MAP || item->n != 2 || item->kids[0]->type != SCN_Y_SCALAR)
        return false;
    const char *k = item->kids[0]->text;
    return !strcmp(k, "kmeans") || !strcmp(k, "linear_regression");
}

int scn_ml_pipeline(struct scn_ctx *c, const struct scn_node *pipeline) {
    struct pipe_config *p = &c->out->pipe;
    const struct scn_node *item = pipeline->kids[0], *key = item->kids[0];
    if (pipeline->n != 1)
        return scn_fail(c, key, "a model pipeline is one operator ('%s'), found %u", key->text,
                        pipeline->n);
    if (!p->source.feat.dim)
        return scn_fail(c, key,
                        "'%s' learns from feature vectors: the source must be clusters, "
                        "linear or a CSV with x1.. columns",
                        key->text);
    struct ml_spec *s = &p->ml.spec;
    s->d = p->source.feat.dim;
    bool km = !strcmp(key->text, "kmeans");
    int rc = km ? op_kmeans(c, item->kids[1], s) : op_linreg(c, item->kids[1], s);
    if (!rc && !km && !p->source.feat.label)
        return scn_fail(c, key,
                        "'linear_regression' needs labelled records: the CSV has no "
                        "'label' column");
    if (!rc && ml_stats_len(s) * sizeof(double) > ML_STATS_BYTES_MAX)
        return scn_fail(c, key,
                        "a batch's statistics would take %zu bytes, more than %u: lower "
                        "'iterations' or use mini_batch_fraction 1",
                        ml_stats_len(s) * sizeof(double), ML_STATS_BYTES_MAX);
    return rc;
}

/* ---- model: { train_on: lake, until: T } ---- */

enum { M_TRAIN_ON, M_UNTIL, M_N };
static const char *const model_keys[M_N] = {"train_on", "until"};
static const struct scn_mapspec model_spec = {
    "for 'model'", "in 'model'", "key", model_keys, M_N, SCN_BIT(M_TRAIN_ON) | SCN_BIT(M_UNTIL)};

int scn_ml_model(struct scn_ctx *c, const struct scn_node *n) {
    struct pipe_config *p = &c->out->pipe;
    const struct scn_node *v[M_N];
    if (!n) return 0;
    int rc = scn_map_collect(c, n, &model_spec, v);
    if (rc) return rc;
    if (p->ml.spec.kind == ML_NONE)
        return scn_fail(c, n,
                        "'model' trains an offline model for the pipeline's kmeans or "
                        "linear_regression, and this file has none");
    const struct scn_node *t = v[M_TRAIN_ON];
    if (t->type != SCN_Y_SCALAR || strcmp(t->text, "lake"))
        return scn_expected(c, t, "train_on", "lake (the committed rows of the sink's lake)");
    if (p->sink.kind == PIPE_SINK_WAREHOUSE)
        return scn_fail(c, t, "'train_on: lake' needs a lake: 'sink: lake' or 'sink: both'");
    if ((rc = scn_get_duration(c, v[M_UNTIL], "until", true, &p->ml.until_ns))) return rc;
    if (p->ml.until_ns >= p->duration_ns)
        return scn_fail(c, v[M_UNTIL], "'until' must be before the end of 'duration'");
    p->ml.offline = true;
    return 0;
}

/* ---- cross-checks once protocols, faults and delivery are known ---- */

int scn_ml_check(struct scn_ctx *c, const struct scn_node *pipeline, const struct scn_node *driver,
                 const struct scn_node *group, const struct scn_node *protocols,
                 const struct scn_node *delivery) {
    const struct pipe_config *p = &c->out->pipe;
    char a[32], b[32];
    if (p->ml.spec.kind == ML_NONE && p->delivery.commit_interval_ns)
        return scn_fail(c, delivery,
                        "'commit_interval' paces the input commits of a model's "
                        "workers, and this file's pipeline has no model");
    if (p->ml.spec.kind == ML_NONE) return 0;
    if (p->query.driver == PIPE_DRIVER_CONTINUOUS)
        return scn_fail(c, driver,
                        "a model updates once per micro-batch: it needs the "
                        "micro-batch driver");
    if (p->group.rebalance)
        return scn_fail(c, group,
                        "a model runs over a static assignment of partitions: "
                        "'rebalance' must be false");
    bool retrying = false;
    for (uint32_t i = 0; i < c->out->nprotocols; i++) {
        enum dlv_protocol q = c->out->protocols[i];
        if (q == DLV_EXACTLY_ONCE_TXN)
            return scn_fail(c, protocols,
                            "a model is not built for 'exactly-once-txn' (use "
                            "exactly-once or exactly-once-checkpoint)");
        retrying |= dlv_retries(q) && !dlv_checkpointed(q);
    }
    if (retrying && p->delivery.ack_timeout_ns <= p->query.trigger_ns)
        return scn_fail(c, delivery ? delivery : pipeline,
                        "with a model a record's ack waits for its batch's update: "
                        "'ack_timeout' (%s) must exceed the driver's trigger (%s)",
                        scn_duration_str(p->delivery.ack_timeout_ns, a, sizeof a),
                        scn_duration_str(p->query.trigger_ns, b, sizeof b));
    if (pipe_estimated_records(p) > PIPE_ML_RECORDS_MAX)
        return scn_fail(c, pipeline,
                        "the source would generate about %llu records, more than the limit "
                        "of %llu with a model: lower the rate or the duration",
                        (unsigned long long)pipe_estimated_records(p),
                        (unsigned long long)PIPE_ML_RECORDS_MAX);
    uint64_t updates = (p->duration_ns + p->drain_ns) / p->query.trigger_ns;
    if (updates > PIPE_ML_POINTS_MAX)
        return scn_fail(c, driver ? driver : pipeline,
                        "the driver would update the model about %llu times, more than %u: "
                        "lengthen the trigger",
                        (unsigned long long)updates, PIPE_ML_POINTS_MAX);
    return 0;
}

/* ---- expectations ---- */

/* A bound on a measured number: "<0.5", ">=1e-3", "0.25". */
static int get_fbound(struct scn_ctx *c, const struct scn_node *n, const char *key,
                      struct scn_fbound *out) {
    static const struct {
        const char *op;
        enum scn_cmp cmp;
    } ops[] = {{"<=", SCN_LE}, {">=", SCN_GE}, {"<", SCN_LT}, {">", SCN_GT}, {"", SCN_EQ}};
    if (n->type != SCN_Y_SCALAR || n->len > SCN_NUMBER_LEN_MAX)
        return scn_expected(c, n, key, "a comparison like \"<0.5\" or \">=1e-3\"");
    size_t i = 0;
    while (strncmp(n->text, ops[i].op, strlen(ops[i].op)))
        i++;
    struct scn_node num = *n;
    num.text = (char *)n->text + strlen(ops[i].op);
    num.text += strspn(num.text, " ");
    num.len = strlen(num.text);
    out->op = ops[i].cmp;
    return scn_get_number(c, &num, key, -1e300, 1e300, false, &out->value);
}

int scn_ml_expect(struct scn_ctx *c, const struct scn_node *m, const struct scn_node *const *v,
                  struct scn_expect *e) {
    static const char *const names[6] = {
        "model_input_lost",  "model_input_duplicated",   "model_input_matches_reference",
        "model_error_final", "model_frozen_error_final", "model_identical_to_fault_free"};
    int rc = 0;
    for (int i = 0; i < 6 && !rc; i++) {
        if (!v[i]) continue;
        if (c->out->pipe.ml.spec.kind == ML_NONE)
            return scn_fail(c, scn_key_of(m, v[i]),
                            "'%s' checks a model, and this file's pipeline has none", names[i]);
        if (i == 4 && !c->out->pipe.ml.offline)
            return scn_fail(c, scn_key_of(m, v[i]),
                            "'%s' checks the offline model, and this file has no 'model'",
                            names[i]);
        bool b;
        if (i == 0) rc = scn_get_bound(c, v[i], names[i], &e->model_input_lost);
        if (i == 1) rc = scn_get_bound(c, v[i], names[i], &e->model_input_duplicated);
        if (i == 3) rc = get_fbound(c, v[i], names[i], &e->model_error_final);
        if (i == 4) rc = get_fbound(c, v[i], names[i], &e->model_frozen_error_final);
        if ((i == 2 || i == 5) && !(rc = scn_get_bool(c, v[i], names[i], &b))) {
            if (i == 2) e->model_input_matches_reference = b;
            if (i == 5) e->model_identical_to_fault_free = b;
        }
    }
    return rc;
}

static bool number(const char *name, const struct scn_fbound *b, double v, char *buf, size_t size) {
    static const char *const ops[] = {[SCN_EQ] = "",   [SCN_NE] = "!=", [SCN_LT] = "<",
                                      [SCN_LE] = "<=", [SCN_GT] = ">",  [SCN_GE] = ">="};
    if (b->op == SCN_CMP_NONE) return true;
    scn_append(buf, size, "%s%s %.4g (expect %s%g)", buf[0] ? ", " : "", name, v, ops[b->op],
               b->value);
    return scn_cmp_ok(b->op, (v > b->value) - (v < b->value));
}

static bool flag(const char *name, int want, bool v, char *buf, size_t size) {
    if (want < 0) return true;
    scn_append(buf, size, "%s%s %s (expect %s)", buf[0] ? ", " : "", name, v ? "true" : "false",
               want ? "true" : "false");
    return v == (want == 1);
}

bool scn_check_model(const struct scn_expect *e, const struct exp_outcome *o, char *buf,
                     size_t size) {
    bool ok =
        scn_append_bound("model_input_lost", &e->model_input_lost, o->model_input_lost, buf, size);
    ok &= scn_append_bound("model_input_duplicated", &e->model_input_duplicated,
                           o->model_input_duplicated, buf, size);
    ok &= flag("model_input_matches_reference", e->model_input_matches_reference,
               o->model_input_matches_reference, buf, size);
    ok &= number("model_error_final", &e->model_error_final, o->model_error_final, buf, size);
    ok &= number("model_frozen_error_final", &e->model_frozen_error_final,
                 o->model_frozen_error_final, buf, size);
    ok &= flag("model_identical_to_fault_free", e->model_identical_to_fault_free,
               o->model_identical_to_fault_free, buf, size);
    return ok;
}
