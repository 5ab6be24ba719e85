/* The streaming model inside the pipeline (issue 13): a worker crash and a driver crash
 * under exactly-once-checkpoint end with the final model bit for bit equal to the
 * fault-free run's when the batches hold the same records (tests/data/ml/
 * checkpoint-identity.yaml arranges it: bursts in [b + 0.2 s, b + 0.3 s), a trigger each
 * second, checkpoints every 250 ms, crashes at 3.7 s and 6.7 s for 100 ms, after the
 * burst's checkpoint completed and before the next trigger), and differs under
 * at-least-once and exactly-once, whose lost batch comes back a trigger later; the same
 * run twice gives the same model; the clusters and linear generators draw what their
 * parameters say; records with features carry them on the wire; CSV feature columns;
 * and the loader's errors for a model. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "csv.h"
#include "experiment.h"
#include "scenario.h"
#include "source.h"
#include "testutil.h"

#define CKPT_SCENARIO "tests/data/ml/checkpoint-identity.yaml"

static struct scenario scn; /* large: static */

static void load(const char *path) {
    struct ft_error err = {0};
    if (scn_load(path, &scn, &err)) fail_msg("%s:%d: %s", err.file, err.line, err.msg);
}

/* The final model (ml_pack) and outcome of cfg under p, without the fault-free run. */
static void run(const struct pipe_config *cfg, enum dlv_protocol p, double *model,
                struct exp_outcome *o) {
    struct exp_options opt = {.model_no_fault_free = true, .model_final = model};
    struct ft_error err = {0};
    if (exp_run(cfg, p, 1, &opt, o, &err)) fail_msg("exp_run: %s", err.msg);
}

static void test_checkpoint_crashes_keep_the_model_bit_identical(void **state) {
    (void)state;
    load(CKPT_SCENARIO);
    size_t np = ml_params_len(&scn.pipe.ml.spec);
    static struct pipe_config clean;
    clean = scn.pipe;
    clean.nfaults = 0; /* the same file without its two crashes */
    double a[ML_K_MAX * (ML_DIM_MAX + 1)], b[ML_K_MAX * (ML_DIM_MAX + 1)];
    struct exp_outcome fo, o;
    const enum dlv_protocol protos[3] = {DLV_EXACTLY_ONCE_CKPT, DLV_AT_LEAST_ONCE,
                                         DLV_EXACTLY_ONCE};
    for (int i = 0; i < 3; i++) {
        run(&clean, protos[i], a, &fo);
        run(&scn.pipe, protos[i], b, &o);
        assert_int_equal(fo.crashes, 0);
        assert_int_equal(o.crashes, 2); /* both crashes happened */
        assert_true(fo.model_input_matches_reference);
        bool same = memcmp(a, b, np * sizeof *a) == 0;
        printf("%s: final model %s the fault-free run's\n", dlv_name(protos[i]),
               same ? "identical to" : "differs from");
        if (i == 0) { /* every record once, the same batches: the same bits */
            assert_true(o.model_input_matches_reference);
            assert_true(same);
        } else {
            assert_false(same);
        }
    }
    /* the run's own comparison agrees */
    struct ft_error err = {0};
    assert_int_equal(exp_run(&scn.pipe, DLV_EXACTLY_ONCE_CKPT, 1, NULL, &o, &err), 0);
    assert_true(o.model_fault_free_done && o.model_identical_to_fault_free);
    assert_true(o.model_fault_free_distance == 0);
    assert_int_equal(exp_run(&scn.pipe, DLV_AT_LEAST_ONCE, 1, NULL, &o, &err), 0);
    assert_true(o.model_fault_free_done && !o.model_identical_to_fault_free);
}

static void test_same_seed_same_model(void **state) {
    (void)state;
    load("scenarios/ml-regression-crash-drift.yaml");
    double a[ML_COEF_MAX], b[ML_COEF_MAX];
    struct exp_outcome o1, o2;
    run(&scn.pipe, DLV_AT_LEAST_ONCE, a, &o1);
    run(&scn.pipe, DLV_AT_LEAST_ONCE, b, &o2);
    assert_memory_equal(a, b, ml_params_len(&scn.pipe.ml.spec) * sizeof *a);
    assert_string_equal(o1.trace_hash, o2.trace_hash);
    assert_true(o1.model_input_duplicated > 0); /* the replay after the crash */
}

/* ---- the generators ---- */

static void test_clusters_points_around_their_centres(void **state) {
    (void)state;
    struct pipe_source s = {.kind = SRC_CLUSTERS, .keys = 4, .rate_per_s = 1000};
    struct pipe_features *f = &s.feat;
    f->dim = 2, f->k = 2, f->sd = 0.5, f->label = true;
    f->centre[1][0] = 10, f->centre[1][1] = -4;
    f->share[0] = 1, f->share[1] = 3; /* a quarter of the points around centre 0 */
    f->drift = true, f->drift_ns = 10 * SIM_NS_PER_S;
    f->move[1][0] = 2;
    struct src_gen g;
    assert_int_equal(src_gen_init(&g, &s, 20 * SIM_NS_PER_S, 7), 0);
    struct src_record r;
    double sum[2][2][2] = {{{0}}}, sq = 0; /* [before/after][centre][coordinate] */
    uint64_t n[2][2] = {{0}}, all = 0;
    while (src_gen_next(&g, &r)) {
        const double *x = src_gen_features(&g);
        int j = (int)x[2], after = r.event_ns >= f->drift_ns;
        assert_true(r.value == j && r.key < 4 && r.event_ns == r.arrival_ns);
        for (int i = 0; i < 2; i++)
            sum[after][j][i] += x[i];
        double e = x[0] - (f->centre[j][0] + (after ? f->move[j][0] : 0));
        sq += e * e;
        n[after][j]++;
        all++;
    }
    src_gen_free(&g);
    /* 20 000 points at 1000/s; centre 1 moves by (2, 0) at 10 s */
    assert_true(tu_binomial_within("share of centre 0", n[0][0] + n[1][0], all, 0.25, 5));
    for (int after = 0; after < 2; after++)
        for (int j = 0; j < 2; j++)
            for (int i = 0; i < 2; i++) {
                double want = f->centre[j][i] + (after ? f->move[j][i] : 0);
                double mean = sum[after][j][i] / (double)n[after][j];
                assert_true(fabs(mean - want) < 5 * 0.5 / sqrt((double)n[after][j]));
            }
    assert_true(fabs(sqrt(sq / (double)all) - 0.5) < 0.02); /* the sd */
}

static void test_linear_labels_follow_the_line(void **state) {
    (void)state;
    struct pipe_source s = {.kind = SRC_LINEAR, .keys = 4, .rate_per_s = 2000};
    struct pipe_features *f = &s.feat;
    f->dim = 2, f->lo = -1, f->hi = 3, f->noise = 0.25, f->label = true;
    f->w[0] = 2, f->w[1] = -1, f->b = 0.5;
    struct src_gen g, h;
    assert_int_equal(src_gen_init(&g, &s, 10 * SIM_NS_PER_S, 3), 0);
    assert_int_equal(src_gen_init(&h, &s, 10 * SIM_NS_PER_S, 4), 0);
    struct src_record r, q;
    double sq = 0, lo = 1e9, hi = -1e9;
    uint64_t n = 0, same = 0;
    while (src_gen_next(&g, &r)) {
        const double *x = src_gen_features(&g);
        double e = x[2] - (2 * x[0] - x[1] + 0.5);
        sq += e * e;
        lo = fmin(lo, fmin(x[0], x[1]));
        hi = fmax(hi, fmax(x[0], x[1]));
        n++;
        if (src_gen_next(&h, &q)) same += src_gen_features(&h)[0] == x[0];
    }
    src_gen_free(&g);
    src_gen_free(&h);
    assert_true(n > 19000 && n < 21000);
    assert_true(fabs(sqrt(sq / (double)n) - 0.25) < 0.01); /* the noise sd */
    assert_true(lo >= -1 && hi < 3 && lo < -0.99 && hi > 2.99);
    assert_int_equal(same, 0); /* another seed, other points */
}

/* ---- the wire ---- */

struct sizes {
    uint64_t produce_len, record_len, n;
};

static void on_trace(const struct sim_trace_rec *r, void *ctx) {
    struct sizes *z = ctx;
    if (r->type != SIM_TR_SEND) return;
    if (r->kind == PIPE_MSG_PRODUCE) z->produce_len = r->arg, z->n++;
    if (r->kind == PIPE_MSG_RECORD) z->record_len = r->arg;
}

static void test_features_travel_with_their_records(void **state) {
    (void)state;
    load("scenarios/ml-kmeans-lost-ack.yaml");
    struct sizes z = {0};
    struct exp_options opt = {.trace = on_trace, .trace_ctx = &z, .model_no_fault_free = true};
    struct exp_outcome o;
    struct ft_error err = {0};
    assert_int_equal(exp_run(&scn.pipe, DLV_AT_MOST_ONCE, 1, &opt, &o, &err), 0);
    /* a produce: mask (2 bytes) + rec, key, event, created, value (5 x 8; rec 0 and key 0
     * would be left out, the last record's are not) + x1, x2, label (3 x 8) */
    assert_true(z.n > 0);
    assert_int_equal(z.produce_len, 2 + 5 * 8 + 3 * 8);
    assert_true(z.record_len >= z.produce_len); /* with partition, offset, end */
}

/* ---- CSV feature columns ---- */

static void test_csv_feature_columns(void **state) {
    (void)state;
    static const char ok[] = "event_time,key,value,x2,label,x1\n1,a,5,2.5,-1e-3,0.25\n"
                             "2,b,6,-3,7,1\n";
    struct csv_data d;
    struct ft_error err = {0};
    assert_int_equal(csv_parse("t.csv", ok, sizeof ok - 1, &d, &err), 0);
    assert_int_equal(d.dim, 2);
    assert_true(d.has_label);
    const double *r0 = d.feat + (size_t)d.rows[0].feat * 3;
    assert_true(r0[0] == 0.25 && r0[1] == 2.5 && r0[2] == -1e-3);
    csv_free(&d);
    static const struct {
        const char *text, *needle;
        int col;
    } bad[] = {
        {"event_time,key,value,x2\n", "x2 but not x1", 1},
        {"event_time,key,value,label\n", "'label' but no feature", 1},
        {"event_time,key,value,x1\n1,a,5,abc\n", "decimal number", 7},
        {"event_time,key,value,x1\n1,a,5,1e999\n", "finite", 7},
        {"event_time,key,value,x17\n", "unknown column 'x17'", 22},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&err, 0, sizeof err);
        assert_int_equal(csv_parse("t.csv", bad[i].text, strlen(bad[i].text), &d, &err), FT_EPARSE);
        printf("%s:%d:%d: %s\n", err.file, err.line, err.col, err.msg);
        assert_non_null(strstr(err.msg, bad[i].needle));
        assert_int_equal(err.col, bad[i].col);
    }
}

/* ---- the loader ---- */

static const char base[] =
    "name: t\nabout: a model\nduration: 10s\nnodes: { workers: 2, partitions: 4 }\n"
    "source: { kind: clusters, centres: [[0, 0], [5, 5]] }\n"
    "pipeline: [ { kmeans: { k: 2 } } ]\n"
    "delivery: { ack_timeout: 3s, max_timeout: 10s }\n";

static void parse_fails(const char *extra, const char *needle, int line) {
    char text[2048];
    snprintf(text, sizeof text, "%s%s", base, extra);
    struct ft_error err = {0};
    int rc = scn_parse("t.yaml", text, strlen(text), &scn, &err);
    printf("%s:%d:%d: %s\n", err.file, err.line, err.col, err.msg);
    assert_int_equal(rc, FT_EPARSE);
    assert_non_null(strstr(err.msg, needle));
    assert_int_equal(err.line, line);
}

static void test_loader_model_errors(void **state) {
    (void)state;
    char text[2048];
    struct ft_error err = {0};
    snprintf(text, sizeof text, "%sprotocols: [at-least-once]\n", base);
    if (scn_parse("t.yaml", text, strlen(text), &scn, &err))
        fail_msg("%s:%d:%d: %s", err.file, err.line, err.col, err.msg);
    assert_int_equal(scn.pipe.ml.spec.kind, ML_KMEANS);
    assert_int_equal(scn.pipe.ml.spec.d, 2);
    assert_true(scn.pipe.ml.spec.decay == 1.0); /* MLlib's default */
    assert_true(pipe_node_name_valid(&scn.pipe, "driver"));
    parse_fails("protocols: [exactly-once-txn]\n", "exactly-once-txn", 8);
    parse_fails("protocols: [at-least-once]\ndriver: { kind: continuous }\n", "micro-batch driver",
                9);
    parse_fails("protocols: [at-least-once]\ndriver: { trigger: 5s }\n", "must exceed", 7);
    parse_fails("protocols: [at-least-once]\nmodel: { train_on: lake, until: 5s }\n",
                "needs a lake", 9);
    parse_fails("protocols: [at-least-once]\nexpect: { at-least-once: "
                "{ model_error_final: \"<abc\" } }\n",
                "model_error_final", 9);
    parse_fails("protocols: [at-least-once]\nfaults: [ { crash: drivr, at: 1s } ]\n",
                "unknown node 'drivr'", 9);
    static const char lin[] = "name: t\nabout: a\nduration: 10s\nsource: { kind: linear, "
                              "weights: [1, 2], drift: { at: 20s, weights: [0, 1] } }\n"
                              "protocols: [at-least-once]\n";
    assert_int_equal(scn_parse("t.yaml", lin, sizeof lin - 1, &scn, &err), FT_EPARSE);
    assert_non_null(strstr(err.msg, "before the end of 'duration'"));
    static const char km[] = "name: t\nabout: a\nduration: 10s\nsource: { kind: keyed }\n"
                             "pipeline: [ { kmeans: { k: 2 } } ]\nprotocols: [at-least-once]\n";
    assert_int_equal(scn_parse("t.yaml", km, sizeof km - 1, &scn, &err), FT_EPARSE);
    assert_non_null(strstr(err.msg, "feature vectors"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checkpoint_crashes_keep_the_model_bit_identical),
        cmocka_unit_test(test_same_seed_same_model),
        cmocka_unit_test(test_clusters_points_around_their_centres),
        cmocka_unit_test(test_linear_labels_follow_the_line),
        cmocka_unit_test(test_features_travel_with_their_records),
        cmocka_unit_test(test_csv_feature_columns),
        cmocka_unit_test(test_loader_model_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
