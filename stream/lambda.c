/* The lambda architecture over the sink's committed rows (DESIGN.md §5). The batch
 * layer starts a job at every multiple of batch_every: its input is the lake as it
 * stands then (the files of every roll slice that has ended: rows committed before the
 * slice boundary S), from which it recomputes per-key counts, each record id once (the
 * master dataset keeps ids, so a batch job can undo at-least-once duplicates). The job
 * publishes batch_latency later. The speed layer counts every row committed from S on,
 * duplicates included, and restarts from the published view's S at each publication.
 * The serving layer answers batch + speed. Jobs and samples are simulator calls; the
 * rows come from sinks_row in commit order (commit times never decrease). */
#include <stdlib.h>
#include <string.h>

#include "bitset.h"
#include "grow.h"
#include "lambda.h"
#include "pipe_internal.h"

struct job {
    struct lambda *l;
    uint64_t snap_ns;
    size_t idx;
};

struct lambda {
    const struct pipe_config *cfg;
    const struct sinks *k;
    uint32_t nkeys;
    /* the served batch view and the speed view, per key */
    uint64_t *batch, *speed;
    uint64_t *batch_ev, *speed_ev; /* newest event time + 1 reflected (0 = none) */
    bool has_batch;
    uint64_t batch_snap_ns; /* the served view's S */
    size_t batch_idx;       /* rows before this index are the served view's input */
    uint64_t published;
    struct bitset seen; /* a job's record ids */
    struct job *jobs;   /* one per job start, made at build time */
    size_t njobs, next_job;
    struct pipe_lambda_point *pts;
    size_t npts, cap;
    int rc;
};

int lambda_new(struct sim *s, struct sinks *k, struct ft_error *err) {
    const struct pipe_config *cfg = k->cfg;
    if (!cfg->lambda.enabled) return 0;
    struct lambda *l = calloc(1, sizeof *l);
    if (!l) return ft_fail(err, FT_ENOMEM, "out of memory for the lambda layers");
    k->lambda = l;
    k->lambda_row = lambda_row; /* the row store's hook: it never calls up into here */
    k->lambda_free = lambda_free;
    l->cfg = cfg;
    l->k = k;
    l->nkeys = cfg->source.keys;
    l->batch = calloc(4 * (size_t)l->nkeys, sizeof *l->batch);
    if (!l->batch) return ft_fail(err, FT_ENOMEM, "out of memory for the lambda layers");
    l->speed = l->batch + l->nkeys;
    l->batch_ev = l->speed + l->nkeys;
    l->speed_ev = l->batch_ev + l->nkeys;
    return lambda_schedule(s, l, err);
}

void lambda_free(struct lambda *l) {
    if (!l) return;
    free(l->batch);
    free(l->pts);
    free(l->jobs);
    bitset_free(&l->seen);
    free(l);
}

void lambda_row(struct lambda *l, const struct sink_row *r) {
    if (r->key >= l->nkeys) return;
    l->speed[r->key]++;
    if (r->event_ns + 1 > l->speed_ev[r->key]) l->speed_ev[r->key] = r->event_ns + 1;
}

/* ---- the batch layer ---- */

static void max_into(uint64_t *a, uint64_t v) {
    if (v > *a) *a = v;
}

/* A job publishes: the view from scratch over rows [0, idx), ids once; the speed view
 * restarts from idx. */
static void publish(struct sim *s, void *arg) {
    struct job *j = arg;
    struct lambda *l = j->l;
    const struct sinks *k = l->k;
    memset(l->batch, 0, 4 * (size_t)l->nkeys * sizeof *l->batch);
    bitset_clear(&l->seen);
    for (size_t i = 0; i < j->idx && !l->rc; i++) {
        const struct sink_row *r = &k->rows[i];
        int fresh = bitset_insert(&l->seen, r->rec);
        if (fresh < 0) l->rc = fresh;
        if (fresh != 1 || r->key >= l->nkeys) continue;
        l->batch[r->key]++;
        max_into(&l->batch_ev[r->key], r->event_ns + 1);
    }
    for (size_t i = j->idx; i < k->n; i++)
        lambda_row(l, &k->rows[i]);
    l->has_batch = true;
    l->batch_snap_ns = j->snap_ns;
    l->batch_idx = j->idx;
    l->published++;
    if (l->rc) sim_fail(s, l->rc, "lambda: out of memory in a batch job");
}

/* A job starts: its input is every lake file sealed by now. */
static void start_job(struct sim *s, void *arg) {
    struct lambda *l = arg;
    const struct sinks *k = l->k;
    uint64_t now = sim_now(s), roll = l->cfg->sink.roll_ns;
    uint64_t snap = now / roll * roll;
    size_t idx = k->n;
    while (idx > 0 && k->rows[idx - 1].committed_ns >= snap)
        idx--;
    FT_ASSERT(l->next_job < l->njobs);
    struct job *j = &l->jobs[l->next_job++];
    *j = (struct job){l, snap, idx};
    if (sim_call_at(s, now + l->cfg->lambda.batch_latency_ns, publish, j) != 0)
        sim_fail(s, FT_ENOMEM, "lambda: cannot schedule a batch job");
}

/* ---- samples of the serving layer ---- */

static int add_point(struct lambda *l, const struct pipe_lambda_point *pt) {
    if (ft_grow((void **)&l->pts, &l->cap, l->npts + 1, sizeof *l->pts, 1024)) return FT_ENOMEM;
    l->pts[l->npts++] = *pt;
    return 0;
}

static void sample(struct sim *s, void *arg) {
    struct lambda *l = arg;
    struct pipe_lambda_point total = {.t_ns = sim_now(s),
                                      .key = PIPE_LAMBDA_TOTAL,
                                      .has_batch = l->has_batch,
                                      .batch_ns = l->batch_snap_ns};
    uint64_t newest1 = 0;
    bool per_key = l->nkeys <= PIPE_LAMBDA_KEYS_MAX;
    int rc = 0;
    for (uint32_t key = 0; key < l->nkeys && !rc; key++) {
        uint64_t ev1 = l->batch_ev[key] > l->speed_ev[key] ? l->batch_ev[key] : l->speed_ev[key];
        struct pipe_lambda_point pt = total;
        pt.key = key;
        pt.batch = l->batch[key];
        pt.served = l->batch[key] + l->speed[key];
        pt.has_event = ev1 > 0;
        pt.newest_event_ns = ev1 ? ev1 - 1 : 0;
        total.batch += pt.batch;
        total.served += pt.served;
        max_into(&newest1, ev1);
        if (per_key) rc = add_point(l, &pt);
    }
    total.has_event = newest1 > 0;
    total.newest_event_ns = newest1 ? newest1 - 1 : 0;
    if (!rc) rc = add_point(l, &total);
    if (rc) sim_fail(s, rc, "lambda: out of memory for the series");
}

int lambda_schedule(struct sim *s, struct lambda *l, struct ft_error *err) {
    const struct pipe_lambda *c = &l->cfg->lambda;
    uint64_t end = l->cfg->duration_ns + l->cfg->drain_ns;
    int rc = 0;
    /* a job runs only if it publishes by the end */
    l->njobs = end >= c->batch_latency_ns ? (end - c->batch_latency_ns) / c->batch_every_ns : 0;
    l->jobs = calloc(l->njobs ? l->njobs : 1, sizeof *l->jobs);
    if (!l->jobs) return ft_fail(err, FT_ENOMEM, "out of memory for the lambda layers");
    for (size_t i = 1; i <= l->njobs && !rc; i++)
        rc = sim_call_at(s, i * c->batch_every_ns, start_job, l);
    for (uint64_t t = c->sample_ns; t <= end && !rc; t += c->sample_ns)
        rc = sim_call_at(s, t, sample, l);
    return rc ? ft_fail(err, rc, "lambda: cannot schedule its jobs and samples") : 0;
}

const struct pipe_lambda_point *pipe_lambda_series(const struct pipe *p, size_t *n) {
    const struct lambda *l = p->sinks->lambda;
    *n = l ? l->npts : 0;
    return l ? l->pts : NULL;
}

uint64_t pipe_lambda_batches(const struct pipe *p) {
    return p->sinks->lambda ? p->sinks->lambda->published : 0;
}
