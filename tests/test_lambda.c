/* The lambda architecture (stream/lambda.c, analysis/experiment.c fill_lambda): nine
 * readings whose every served, batch and staleness value is stated by hand; and on a
 * lossy network under at-least-once, every sample of the served total recomputed here
 * from the trace (the rows the sink made visible, with their times) by the rule the
 * docs state: batch = distinct records committed before the snapshot S of the newest
 * job published before t, speed = every row committed from S to t. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "experiment.h"
#include "scenario.h"
#include "source.h"

#define S_NS 1000000000ull

static struct scenario *load(const char *path) {
    struct scenario *scn = malloc(sizeof *scn);
    struct ft_error err = {0};
    assert_non_null(scn);
    if (scn_load(path, scn, &err)) fail_msg("%s:%d:%d: %s", err.file, err.line, err.col, err.msg);
    return scn;
}

static const struct exp_lambda_point *point(const struct exp_lambda *l, uint64_t t_ns,
                                            const char *key) {
    for (size_t i = 0; i < l->n; i++)
        if (l->pts[i].t_ns == t_ns && strcmp(l->pts[i].key, key) == 0) return &l->pts[i];
    fail_msg("no lambda point at %llu ns for '%s'", (unsigned long long)t_ns, key);
    return NULL;
}

/* tests/data/lambda/nine.yaml: a at 0.5, 2.5, 3.5, 5.5, 7.5, 8.5 s; b at 1.5, 4.5, 6.5 s;
 * each committed a few ms after it is created. Jobs start at 4, 8, 12 s (snapshots 4, 8,
 * 12 s: the lake rolls every second) and publish at 5, 9, 13 s, after that second's
 * sample. Samples every second from 1 to 15 s. */
static void test_nine_readings_by_hand(void **state) {
    (void)state;
    struct scenario *scn = load("tests/data/lambda/nine.yaml");
    struct exp_lambda l = {0};
    struct exp_options opt = {.lambda = &l};
    struct exp_outcome o;
    struct ft_error err = {0};
    assert_int_equal(exp_run(&scn->pipe, DLV_EXACTLY_ONCE, 1, &opt, &o, &err), 0);
    assert_int_equal(l.n, 15 * 3); /* a, b and the total per sample */
    /* index t - 1 */
    static const uint64_t served_a[15] = {1, 1, 2, 3, 3, 4, 4, 5, 6, 6, 6, 6, 6, 6, 6};
    static const uint64_t served_b[15] = {0, 1, 1, 1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3};
    static const uint64_t snap_s[15] = {0, 0, 0, 0, 0, 4, 4, 4, 4, 8, 8, 8, 8, 12, 12};
    static const uint64_t batch_a[15] = {0, 0, 0, 0, 0, 3, 3, 3, 3, 5, 5, 5, 5, 6, 6};
    static const uint64_t batch_b[15] = {0, 0, 0, 0, 0, 1, 1, 1, 1, 3, 3, 3, 3, 3, 3};
    /* the newest event of each key by t, in half seconds (0: none) */
    static const uint64_t newest_a2[15] = {1, 1, 5, 7, 7, 11, 11, 15, 17, 17, 17, 17, 17, 17, 17};
    static const uint64_t newest_b2[15] = {0, 3, 3, 3, 9, 9, 13, 13, 13, 13, 13, 13, 13, 13, 13};
    for (uint64_t t = 1; t <= 15; t++) {
        const struct exp_lambda_point *a = point(&l, t * S_NS, "a"), *b = point(&l, t * S_NS, "b"),
                                      *all = point(&l, t * S_NS, "");
        uint64_t i = t - 1;
        assert_int_equal(a->served, served_a[i]);
        assert_int_equal(b->served, served_b[i]);
        assert_int_equal(all->served, served_a[i] + served_b[i]);
        assert_int_equal(a->reference, served_a[i]); /* exactly-once: nothing lags a second */
        assert_int_equal(b->reference, served_b[i]);
        assert_int_equal(all->reference, served_a[i] + served_b[i]);
        assert_int_equal(all->has_batch, snap_s[i] != 0);
        assert_int_equal(all->batch_ns, snap_s[i] * S_NS);
        assert_int_equal(a->batch, batch_a[i]);
        assert_int_equal(b->batch, batch_b[i]);
        assert_int_equal(all->batch, batch_a[i] + batch_b[i]);
        assert_int_equal(a->staleness_ns,
                         newest_a2[i] ? t * S_NS - newest_a2[i] * S_NS / 2 : t * S_NS);
        assert_int_equal(b->staleness_ns,
                         newest_b2[i] ? t * S_NS - newest_b2[i] * S_NS / 2 : t * S_NS);
        uint64_t newest2 = newest_a2[i] > newest_b2[i] ? newest_a2[i] : newest_b2[i];
        assert_int_equal(all->staleness_ns, t * S_NS - newest2 * S_NS / 2);
    }
    assert_true(o.lambda_enabled);
    assert_int_equal(o.lambda_batches, 3);
    assert_true(o.lambda_final_match);
    assert_int_equal(o.lambda_max_diff, 0);
    assert_int_equal(o.lambda_overcount, 0);
    /* over samples t <= duration (10 s): staleness max at 10 s (10 - 8.5), batch view age
     * max at 5 s (no view: 5 s) and at 9 and 13 s (9 - 4 = 5 s) */
    assert_int_equal(o.lambda_max_staleness_ns, 3 * S_NS / 2);
    assert_int_equal(o.lambda_max_batch_age_ns, 5 * S_NS);
    exp_lambda_free(&l);
    free(scn);
}

/* ---- at-least-once on a lossy network, against the trace ---- */

struct vis {
    uint64_t *t, *rec;
    size_t n, cap;
};

static void vis_hook(const struct sim_trace_rec *r, void *ctx) {
    struct vis *v = ctx;
    if (r->type != SIM_TR_USER || r->kind != PIPE_TR_VISIBLE) return;
    if (v->n == v->cap) {
        v->cap = v->cap ? 2 * v->cap : 1024;
        v->t = realloc(v->t, v->cap * sizeof *v->t);
        v->rec = realloc(v->rec, v->cap * sizeof *v->rec);
        assert_non_null(v->t);
        assert_non_null(v->rec);
    }
    v->t[v->n] = r->time_ns;
    v->rec[v->n++] = r->id;
}

static void test_lossy_at_least_once_served_is_batch_plus_speed(void **state) {
    (void)state;
    struct pipe_config cfg;
    pipe_config_defaults(&cfg);
    cfg.duration_ns = 20 * S_NS;
    cfg.drain_ns = 10 * S_NS;
    cfg.workers = 2;
    cfg.partitions = 4;
    cfg.source = (struct pipe_source){
        .kind = SRC_IOT, .keys = 8, .period_ns = 100000000, .jitter_ns = 10000000};
    cfg.network.loss_p = 0.03;
    cfg.sink = (struct pipe_sink){.kind = PIPE_SINK_LAKE, .roll_ns = 500000000};
    /* sample every 0.7 s: never at a publication (5.55 + 4 k s) */
    cfg.lambda = (struct pipe_lambda){.enabled = true,
                                      .batch_every_ns = 4 * S_NS,
                                      .batch_latency_ns = 1550000000,
                                      .sample_ns = 700000000};
    uint64_t every = cfg.lambda.batch_every_ns, lat = cfg.lambda.batch_latency_ns,
             roll = cfg.sink.roll_ns, end = cfg.duration_ns + cfg.drain_ns;
    /* the generator's records by arrival */
    struct src_gen g;
    assert_int_equal(src_gen_init(&g, &cfg.source, cfg.duration_ns, 2), 0);
    uint64_t *arrival = malloc(1024 * sizeof *arrival), nrec = 0, cap = 1024;
    struct src_record r;
    while (src_gen_next(&g, &r)) {
        if (nrec == cap) arrival = realloc(arrival, (cap *= 2) * sizeof *arrival);
        arrival[nrec++] = r.arrival_ns;
    }
    src_gen_free(&g);
    struct vis v = {0};
    struct exp_lambda l = {0};
    struct exp_options opt = {.trace = vis_hook, .trace_ctx = &v, .lambda = &l};
    struct exp_outcome o;
    struct ft_error err = {0};
    assert_int_equal(exp_run(&cfg, DLV_AT_LEAST_ONCE, 2, &opt, &o, &err), 0);
    assert_true(o.duplicated > 0);
    uint8_t *seen = calloc(nrec, 1);
    uint64_t checked = 0, over = 0;
    for (size_t i = 0; i < l.n; i++) {
        const struct exp_lambda_point *p = &l.pts[i];
        if (p->key[0]) continue;
        uint64_t t = p->t_ns, snap = 0;
        bool has = false;
        for (uint64_t k = 1; k * every + lat <= end; k++)
            if (k * every + lat < t) {
                snap = k * every / roll * roll;
                has = true;
            }
        memset(seen, 0, nrec);
        uint64_t batch = 0, speed = 0, ref = 0;
        for (size_t j = 0; j < v.n && v.t[j] <= t; j++) {
            if (!has || v.t[j] >= snap)
                speed++;
            else if (!seen[v.rec[j]]++)
                batch++;
        }
        for (uint64_t j = 0; j < nrec; j++)
            ref += arrival[j] <= t;
        assert_int_equal(p->has_batch, has);
        assert_int_equal(p->batch_ns, snap);
        assert_int_equal(p->batch, batch);
        assert_int_equal(p->served, batch + speed);
        assert_int_equal(p->reference, ref);
        if (p->served > ref) over++;
        checked++;
    }
    assert_int_equal(checked, end / cfg.lambda.sample_ns);
    assert_true(over > 0); /* the speed layer counted duplicates ... */
    assert_true(o.lambda_overcount > 0);
    assert_true(o.lambda_final_match); /* ... which the last batch view counts once */
    free(seen);
    free(arrival);
    free(v.t);
    free(v.rec);
    exp_lambda_free(&l);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nine_readings_by_hand),
        cmocka_unit_test(test_lossy_at_least_once_served_is_batch_plus_speed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
