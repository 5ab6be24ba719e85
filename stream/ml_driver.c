/* The streaming model's driver node. At every multiple of the trigger it closes the open
 * batch (if every partition did not already report), then sends JOB b + 1 with the model
 * (and the frozen model) to every worker. A batch's statistics are applied in partition
 * order (then the reporting incarnation, then the batch id) in one model update, stored
 * durably with the dedup state, and then acknowledged. at-least-once applies whatever
 * arrives; exactly-once keeps the record ids the model holds and answers a partial that
 * repeats one with DUP (and drops an older incarnation's pending partial of the same
 * partition: its records come again); exactly-once-checkpoint logs every update with
 * its partials so a rollback can restore the model of the checkpoint's cut. The open
 * batch is volatile. With `model: { train_on: lake }` a batch job trains the frozen
 * model at until_ns on the lake's committed rows (each record once). */
#include <stdlib.h>

#include "grow.h"
#include "ml_internal.h"
#include "sinks.h"

size_t mls_stats_len(const struct pipe *p) {
    return p->ml->nst;
}

struct mls_snap *mls_snap_find(struct mls *ml, uint64_t k) {
    for (size_t i = 0; i < ml->nsnaps; i++)
        if (ml->snaps[i].k == k) return &ml->snaps[i];
    return NULL;
}

/* ---- the series (observation only) ---- */

static void observe(struct sim *s, struct pipe *p, uint64_t applied, const double *acc,
                    bool restored) {
    struct mls *ml = p->ml;
    const struct ml_spec *spec = ml->spec;
    size_t np = ml_params_len(spec);
    if (ml->npts >= PIPE_ML_POINTS_MAX) {
        sim_fail(s, FT_ELIMIT, "more than %u model updates: lengthen the driver's trigger",
                 PIPE_ML_POINTS_MAX);
        return;
    }
    if (ft_grow((void **)&ml->pts, &ml->cap_pts, ml->npts + 1, sizeof *ml->pts, 64) ||
        ft_grow((void **)&ml->params, &ml->cap_params, ml->nparams + np, sizeof *ml->params,
                64 * np)) {
        sim_fail(s, FT_ENOMEM, "out of memory for the model series");
        return;
    }
    const double *tail = acc ? acc + ml_stats_tail(spec) : NULL;
    ml->pts[ml->npts++] =
        (struct pipe_ml_point){.t_ns = sim_now(s),
                               .batch = ml->d.b,
                               .epoch = ml->d.epoch,
                               .restored = restored,
                               .applied = applied,
                               .scored = tail ? tail[ML_TAIL_SCORED] : 0,
                               .score = tail ? tail[ML_TAIL_SCORE] : 0,
                               .score_frozen = tail ? tail[ML_TAIL_SCORE_FROZEN] : 0,
                               .params = ml->nparams};
    ml_pack(spec, &ml->d.model, ml->params + ml->nparams);
    ml->nparams += np;
}

static void report_input(struct pipe *p, const struct mls_partial *pt, int delta) {
    for (uint32_t i = 0; p->obs.model_input && i < pt->n; i++)
        p->obs.model_input(p->obs.ctx, pt->rec[i], delta);
}

/* ---- closing a batch ---- */

static int cmp_partial(const void *a, const void *b) {
    const struct mls_partial *x = a, *y = b;
    if (x->part != y->part) return x->part < y->part ? -1 : 1;
    if (x->inc != y->inc) return x->inc < y->inc ? -1 : 1;
    return x->b < y->b ? -1 : x->b > y->b;
}

static void ack(struct sim *s, struct pipe *p, const struct mls_partial *pt, uint64_t status,
                uint64_t *dup, uint32_t ndup) {
    struct mls_ack a = {.epoch = p->ml->d.epoch,
                        .b = pt->b,
                        .status = status,
                        .part = pt->part,
                        .inc = pt->inc,
                        .dup = dup,
                        .ndup = ndup};
    mls_send_ack(s, p, p->worker[pt->w], &a);
}

/* Logs the update (checkpoint): its partials move into the log. */
static int log_close(struct pipe *p, struct mls_driver *d) {
    size_t np = ml_params_len(p->ml->spec);
    if (ft_grow((void **)&d->log, &d->cap_log, d->nlog + 1, sizeof *d->log, 64)) return FT_ENOMEM;
    struct mls_close c = {.b = d->b, .params = malloc(np * sizeof *c.params)};
    c.pt = malloc((d->npend ? d->npend : 1) * sizeof *c.pt);
    if (!c.params || !c.pt) {
        free(c.params);
        free(c.pt);
        return FT_ENOMEM;
    }
    ml_pack(p->ml->spec, &d->model, c.params);
    if (d->npend) memcpy(c.pt, d->pend, d->npend * sizeof *c.pt);
    c.npt = (uint32_t)d->npend;
    d->log[d->nlog++] = c;
    d->npend = 0;
    return 0;
}

static void close_batch(struct sim *s, struct pipe *p) {
    struct mls *ml = p->ml;
    struct mls_driver *d = &ml->d;
    double *acc = calloc(ml->nst, sizeof *acc);
    if (!acc) {
        sim_fail(s, FT_ENOMEM, "model driver: out of memory");
        return;
    }
    if (d->npend > 1) qsort(d->pend, d->npend, sizeof *d->pend, cmp_partial);
    uint64_t applied = 0;
    for (size_t i = 0; i < d->npend; i++) {
        ml_stats_merge(ml->spec, acc, d->pend[i].st);
        applied += d->pend[i].n;
    }
    ml_update(ml->spec, &d->model, acc);
    d->closed_b = d->b;
    for (size_t i = 0; i < d->npend; i++) {
        const struct mls_partial *pt = &d->pend[i];
        for (uint32_t r = 0; dlv_idempotent(p->proto) && !p->ck && r < pt->n; r++)
            if (bitset_insert(&d->applied, pt->rec[r]) < 0)
                sim_fail(s, FT_ENOMEM, "model driver: out of memory");
        report_input(p, pt, +1);
        if (dlv_retries(p->proto)) ack(s, p, pt, MLS_ACK_OK, NULL, 0);
    }
    observe(s, p, applied, acc, false);
    free(acc);
    if (p->ck) {
        if (log_close(p, d)) sim_fail(s, FT_ENOMEM, "model driver: out of memory");
        return;
    }
    for (size_t i = 0; i < d->npend; i++)
        mls_partial_free(&d->pend[i]);
    d->npend = 0;
}

/* Every partition has reported batch b. */
static bool batch_complete(const struct pipe *p, const struct mls_driver *d) {
    uint32_t n = 0;
    for (size_t i = 0; i < d->npend; i++)
        n += d->pend[i].b == d->b;
    return n >= p->cfg.partitions;
}

/* ---- exactly-once-checkpoint: the rollback the coordinator recorded ---- */

static uint64_t slot_of(const struct pipe *p, const struct mls_partial *pt) {
    return pt->b * p->cfg.partitions + pt->part;
}

static void pend_keep_in_cut(struct pipe *p, struct mls_driver *d, const uint64_t *cut,
                             struct mls_partial *pt, uint32_t n, size_t *kept) {
    for (uint32_t i = 0; i < n; i++) {
        if (pt[i].b <= cut[pt[i].w] && *kept < d->cap_pend) {
            d->pend[(*kept)++] = pt[i];
            if (bitset_insert(&d->included, slot_of(p, &pt[i])) < 0)
                sim_fail(p->s, FT_ENOMEM, "model driver: out of memory");
        } else {
            mls_partial_free(&pt[i]);
        }
    }
}

static void apply_rollback(struct sim *s, struct pipe *p) {
    struct mls *ml = p->ml;
    struct mls_driver *d = &ml->d;
    if (!d->rb_pending) return;
    const uint64_t *cut = d->rb_cut;
    size_t c = 0; /* the updates 0 .. c-1 hold only partials inside the cut */
    for (bool in = true; c < d->nlog && in; c += in)
        for (uint32_t i = 0; i < d->log[c].npt && in; i++)
            in = d->log[c].pt[i].b <= cut[d->log[c].pt[i].w];
    if (c)
        ml_unpack(ml->spec, d->log[c - 1].params, &d->model);
    else
        d->model = d->init;
    size_t total = d->npend;
    for (size_t i = c; i < d->nlog; i++)
        total += d->log[i].npt;
    struct mls_partial *old = d->pend;
    size_t nold = d->npend, kept = 0;
    d->pend = malloc((total ? total : 1) * sizeof *d->pend);
    d->cap_pend = d->pend ? total : 0;
    bitset_clear(&d->included);
    for (size_t i = 0; i < c; i++)
        for (uint32_t j = 0; j < d->log[i].npt; j++)
            bitset_insert(&d->included, slot_of(p, &d->log[i].pt[j]));
    for (size_t i = c; i < d->nlog; i++) { /* undone: their in-cut partials wait again */
        for (uint32_t j = 0; j < d->log[i].npt; j++)
            report_input(p, &d->log[i].pt[j], -1);
        pend_keep_in_cut(p, d, cut, d->log[i].pt, d->log[i].npt, &kept);
        free(d->log[i].pt);
        free(d->log[i].params);
    }
    pend_keep_in_cut(p, d, cut, old, (uint32_t)nold, &kept);
    free(old);
    d->npend = kept;
    d->nlog = c;
    d->epoch = d->rb_epoch;
    d->rb_pending = false;
    if (!d->pend) sim_fail(s, FT_ENOMEM, "model driver: out of memory");
    observe(s, p, 0, NULL, true); /* the model as restored */
}

void mls_ckpt_rollback(struct sim *s, struct pipe *p, uint64_t k, uint64_t epoch) {
    struct mls_driver *d = &p->ml->d;
    const struct mls_snap *sn = mls_snap_find(p->ml, k);
    (void)s;
    d->rb_pending = true; /* in the checkpoint store: the driver reads it at its next step */
    d->rb_k = k;
    d->rb_epoch = epoch;
    for (uint32_t w = 0; w < p->cfg.workers; w++) /* checkpoint 0 (or none): nothing closed */
        d->rb_cut[w] = sn && sn->taken[w] ? sn->w[w].closed_b : 0;
}

void mls_ckpt_forget(struct pipe *p, uint64_t k) {
    struct mls *ml = p->ml;
    struct mls_snap *sn = mls_snap_find(ml, k);
    if (!sn) return;
    for (uint32_t w = 0; w < PIPE_WORKERS_MAX; w++) {
        for (uint32_t part = 0; sn->w[w].buf && part < p->cfg.partitions; part++)
            mls_buf_free(&sn->w[w].buf[part]);
        free(sn->w[w].buf);
        for (size_t i = 0; i < sn->w[w].nout; i++)
            mls_out_free(&sn->w[w].out[i]);
        free(sn->w[w].out);
    }
    *sn = ml->snaps[--ml->nsnaps];
}

bool mls_ckpt_settled(struct sim *s, const struct pipe *p, uint64_t epoch) {
    const struct mls_driver *d = &p->ml->d;
    return sim_node_up(s, p->driver) && !d->rb_pending && d->epoch == epoch;
}

/* ---- the node ---- */

static void arm_trigger(struct sim *s, struct pipe *p) {
    uint64_t t = p->cfg.query.trigger_ns, now = sim_now(s);
    sim_timer_set(s, p->driver, (now / t + 1) * t - now, TAG(T_ML_TRIGGER, 0, 0));
}

static void send_jobs(struct sim *s, struct pipe *p) {
    static _Thread_local struct mls_job j;
    struct mls_driver *d = &p->ml->d;
    j.epoch = d->epoch;
    j.b = d->b;
    j.model = d->model;
    j.has_frozen = d->has_frozen;
    j.frozen = d->frozen;
    for (uint32_t w = 0; w < p->cfg.workers; w++)
        mls_send_job(s, p, p->worker[w], &j);
}

static void driver_start(struct sim *s, uint32_t me, void *ctx) {
    struct pipe *p = ctx;
    (void)me;
    arm_trigger(s, p);
}

static void driver_recover(struct sim *s, uint32_t me, void *ctx) {
    struct pipe *p = ctx;
    struct mls_driver *d = &p->ml->d;
    (void)me;
    for (size_t i = 0; i < d->npend; i++) /* the open batch was volatile */
        mls_partial_free(&d->pend[i]);
    d->npend = 0;
    if (p->ck) { /* the included set follows the log alone now */
        bitset_clear(&d->included);
        for (size_t i = 0; i < d->nlog; i++)
            for (uint32_t j = 0; j < d->log[i].npt; j++)
                bitset_insert(&d->included, slot_of(p, &d->log[i].pt[j]));
    }
    apply_rollback(s, p);
    arm_trigger(s, p);
}

static void driver_timer(struct sim *s, uint32_t me, uint64_t tag, void *ctx) {
    struct pipe *p = ctx;
    struct mls_driver *d = &p->ml->d;
    (void)me;
    if (TAG_TYPE(tag) != T_ML_TRIGGER) return;
    apply_rollback(s, p);
    if (d->b > d->closed_b) close_batch(s, p);
    d->b++;
    send_jobs(s, p);
    arm_trigger(s, p);
}

/* exactly-once: the records of pt the model already holds; ndup of them into dup. */
static uint32_t duplicates(const struct mls_driver *d, const struct mls_partial *pt,
                           uint64_t *dup) {
    uint32_t n = 0;
    for (uint32_t i = 0; i < pt->n; i++)
        if (bitset_has(&d->applied, pt->rec[i])) dup[n++] = pt->rec[i];
    return n;
}

/* exactly-once: a newer incarnation's partial replaces an older one's of its partition
 * (the crashed incarnation's records come again: they were never acked). */
static void drop_older(struct mls_driver *d, const struct mls_partial *pt) {
    size_t k = 0;
    for (size_t i = 0; i < d->npend; i++) {
        if (d->pend[i].part == pt->part && d->pend[i].inc < pt->inc)
            mls_partial_free(&d->pend[i]);
        else
            d->pend[k++] = d->pend[i];
    }
    d->npend = k;
}

/* Whether pt may join the open batch; answers it when not. */
static bool admit(struct sim *s, struct pipe *p, struct mls_partial *pt) {
    struct mls_driver *d = &p->ml->d;
    for (size_t i = 0; i < d->npend; i++) /* a resend of a pending partial: its ack is due */
        if (d->pend[i].part == pt->part && d->pend[i].inc == pt->inc && d->pend[i].b == pt->b)
            return false;
    if (p->ck && bitset_has(&d->included, slot_of(p, pt))) {
        ack(s, p, pt, MLS_ACK_OK, NULL, 0); /* the model (or its open batch) has it */
        return false;
    }
    if (!dlv_idempotent(p->proto) || p->ck) return true;
    drop_older(d, pt);
    uint64_t *dup = malloc((pt->n ? pt->n : 1) * sizeof *dup);
    if (!dup) {
        sim_fail(s, FT_ENOMEM, "model driver: out of memory");
        return false;
    }
    uint32_t n = duplicates(d, pt, dup);
    if (n) ack(s, p, pt, MLS_ACK_DUP, dup, n);
    free(dup);
    return n == 0;
}

static void on_stats(struct sim *s, struct pipe *p, const struct sim_msg *m) {
    struct mls_driver *d = &p->ml->d;
    struct mls_partial pt;
    uint64_t epoch;
    uint32_t w = pipe_worker_index(p, m->src);
    if (w == PIPE_NO_OWNER || !mls_get_stats(p, m, &epoch, &pt)) return;
    pt.w = w;
    if (epoch != d->epoch || pt.part % p->cfg.workers != w || !admit(s, p, &pt)) {
        mls_partial_free(&pt);
        return;
    }
    if (ft_grow((void **)&d->pend, &d->cap_pend, d->npend + 1, sizeof *d->pend, 16)) {
        mls_partial_free(&pt);
        sim_fail(s, FT_ENOMEM, "model driver: out of memory");
        return;
    }
    d->pend[d->npend++] = pt;
    if (p->ck && bitset_insert(&d->included, slot_of(p, &pt)) < 0)
        sim_fail(s, FT_ENOMEM, "model driver: out of memory");
    if (d->b > d->closed_b && batch_complete(p, d)) close_batch(s, p);
}

static void driver_msg(struct sim *s, uint32_t me, const struct sim_msg *m, void *ctx) {
    struct pipe *p = ctx;
    (void)me;
    apply_rollback(s, p);
    if (m->kind == PIPE_MSG_ML_STATS) on_stats(s, p, m);
}

const struct sim_node_ops pipe_driver_ops = {.on_start = driver_start,
                                             .on_recover = driver_recover,
                                             .on_timer = driver_timer,
                                             .on_message = driver_msg};

/* ---- the frozen model: a batch job on the lake ---- */

static int cmp_row(const void *a, const void *b) {
    const struct sink_row *x = *(const struct sink_row *const *)a,
                          *y = *(const struct sink_row *const *)b;
    if (x->partition != y->partition) return x->partition < y->partition ? -1 : 1;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* The lake's committed rows, each record once, by (partition, offset). */
static const struct sink_row **lake_rows(struct pipe *p, size_t *n) {
    const struct sinks *k = p->sinks;
    const struct sink_row **r = malloc((k->n ? k->n : 1) * sizeof *r);
    struct bitset seen = {0};
    *n = 0;
    for (size_t i = 0; r && i < k->n; i++) {
        int rc = bitset_insert(&seen, k->rows[i].rec);
        if (rc < 0) {
            free(r);
            r = NULL;
        } else if (rc == 1 && mls_feat_of(p, k->rows[i].rec)) {
            r[(*n)++] = &k->rows[i];
        }
    }
    bitset_free(&seen);
    if (r && *n > 1) qsort(r, *n, sizeof *r, cmp_row);
    return r;
}

static void train_frozen(struct sim *s, void *arg) {
    struct pipe *p = arg;
    struct mls_driver *d = &p->ml->d;
    struct ml_spec spec = *p->ml->spec;
    size_t n;
    const struct sink_row **rows = lake_rows(p, &n);
    double *buf = rows ? malloc((n ? n : 1) * (spec.kind == ML_KMEANS ? spec.d : 1) * sizeof *buf +
                                p->ml->nst * sizeof *buf)
                       : NULL;
    if (!buf) {
        free(rows);
        sim_fail(s, FT_ENOMEM, "model: out of memory training on the lake");
        return;
    }
    struct ml_model m = d->init;
    if (spec.kind == ML_KMEANS) { /* MLlib KMeans: 20 iterations, epsilon 1e-4 */
        for (size_t i = 0; i < n; i++)
            memcpy(buf + i * spec.d, mls_feat_of(p, rows[i]->rec), spec.d * sizeof *buf);
        ml_kmeans_lloyd(&spec, &m, buf, n, 20, 1e-4);
    } else { /* least squares, as spark.ml's LinearRegression solves the normal equations */
        spec.fraction = 1.0;
        double *st = buf + n;
        memset(st, 0, p->ml->nst * sizeof *st);
        for (size_t i = 0; i < n; i++) {
            const double *x = mls_feat_of(p, rows[i]->rec);
            ml_stats_add(&spec, &m, NULL, 0, rows[i]->rec, x, x[spec.d], st);
        }
        ml_least_squares(&spec, &m, st); /* singular (too few rows): the initial model */
    }
    d->frozen = m;
    d->has_frozen = true;
    d->frozen_ns = sim_now(s);
    d->frozen_rows = n;
    free(buf);
    free(rows);
}

/* ---- life cycle and results ---- */

int mls_new(struct pipe *p, struct ft_error *err) {
    const struct ml_spec *spec = &p->cfg.ml.spec;
    struct mls *ml = calloc(1, sizeof *ml);
    if (!ml) return ft_fail(err, FT_ENOMEM, "out of memory for the model");
    p->ml = ml;
    ml->p = p;
    ml->spec = spec;
    ml->nst = ml_stats_len(spec);
    struct rng r;
    rng_init(&r, p->seed, "query:sample");
    ml->sample_key = rng_next(&r);
    rng_init(&r, p->seed, "query:init"); /* StreamingKMeans.setRandomCenters' draws */
    ml_init(spec, &r, &ml->d.init);
    ml->d.model = ml->d.init;
    ml->d.epoch = 1;
    uint32_t P = p->cfg.partitions;
    for (uint32_t w = 0; w < p->cfg.workers; w++) {
        struct mls_worker *mw = &ml->w[w];
        mw->epoch = 1;
        mw->buf = calloc(P, sizeof *mw->buf);
        mw->seen = calloc(P, sizeof *mw->seen);
        mw->held = calloc(P, sizeof *mw->held);
        mw->slots = calloc((size_t)P * p->cfg.delivery.window, sizeof *mw->slots);
        if (!mw->buf || !mw->seen || !mw->held || !mw->slots)
            return ft_fail(err, FT_ENOMEM, "out of memory for the model");
    }
    if (p->cfg.ml.offline) {
        int rc = sim_call_at(p->s, p->cfg.ml.until_ns, train_frozen, p);
        if (rc) return ft_fail(err, rc, "cannot schedule the offline training");
    }
    return 0;
}

void mls_free(struct pipe *p) {
    struct mls *ml = p->ml;
    if (!ml) return;
    while (ml->nsnaps)
        mls_ckpt_forget(p, ml->snaps[0].k);
    free(ml->snaps);
    for (uint32_t w = 0; w < p->cfg.workers; w++) {
        struct mls_worker *mw = &ml->w[w];
        for (uint32_t part = 0; mw->buf && part < p->cfg.partitions; part++) {
            mls_buf_free(&mw->buf[part]);
            bitset_free(&mw->seen[part]);
            bitset_free(&mw->held[part].sunk);
            bitset_free(&mw->held[part].modeled);
        }
        for (size_t i = 0; i < mw->nout; i++)
            mls_out_free(&mw->out[i]);
        free(mw->out);
        free(mw->buf);
        free(mw->seen);
        free(mw->held);
        free(mw->slots);
    }
    struct mls_driver *d = &ml->d;
    for (size_t i = 0; i < d->npend; i++)
        mls_partial_free(&d->pend[i]);
    free(d->pend);
    for (size_t i = 0; i < d->nlog; i++) {
        for (uint32_t j = 0; j < d->log[i].npt; j++)
            mls_partial_free(&d->log[i].pt[j]);
        free(d->log[i].pt);
        free(d->log[i].params);
    }
    free(d->log);
    bitset_free(&d->applied);
    bitset_free(&d->included);
    free(ml->pts);
    free(ml->params);
    free(ml);
    p->ml = NULL;
}

const struct pipe_ml_point *pipe_ml_series(const struct pipe *p, size_t *n) {
    *n = p->ml ? p->ml->npts : 0;
    return p->ml ? p->ml->pts : NULL;
}

const double *pipe_ml_params(const struct pipe *p) {
    return p->ml ? p->ml->params : NULL;
}

void pipe_ml_final(const struct pipe *p, struct ml_model *out) {
    *out = p->ml->d.model;
}

void pipe_ml_initial(const struct pipe *p, struct ml_model *out) {
    *out = p->ml->d.init;
}

bool pipe_ml_frozen(const struct pipe *p, struct ml_model *out, uint64_t *trained_ns,
                    uint64_t *rows) {
    if (!p->ml || !p->ml->d.has_frozen) return false;
    *out = p->ml->d.frozen;
    *trained_ns = p->ml->d.frozen_ns;
    *rows = p->ml->d.frozen_rows;
    return true;
}
