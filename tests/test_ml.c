/* stream/ml.c against values worked by hand: the k-means update of small batches with
 * decay 1, 0.5 and 0, a half-life in batches and in points, a dying cluster split; SGD's
 * first two steps, its convergence to the least-squares fit of noiseless data, Lloyd's
 * k-means and the least-squares solve on tiny tables, and the mini-batch sampling rate.
 * Every expected number below is derived in the comment next to it. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "ml.h"
#include "testutil.h"

static struct ml_spec kspec(uint32_t k, double decay, bool per_point) {
    struct ml_spec s = {.kind = ML_KMEANS,
                        .d = 2,
                        .k = k,
                        .decay = decay,
                        .per_point = per_point,
                        .init_given = true};
    return s;
}

static void near(double got, double want) {
    if (fabs(got - want) > 1e-12 * fmax(1.0, fabs(want)))
        fail_msg("got %.17g, want %.17g", got, want);
}

/* Centres (0,0) weight 2 and (10,10) weight 3; batch (1,1), (3,1) -> centre 0 (n = 2,
 * sum (4,2)), (9,9) -> centre 1 (n = 1, sum (9,9)). */
static void two_cluster_batch(const struct ml_spec *s, struct ml_model *m) {
    ml_init(s, NULL, m);
    m->c[1][0] = m->c[1][1] = 10;
    m->w[0] = 2;
    m->w[1] = 3;
    double st[64] = {0};
    const double pts[3][2] = {{1, 1}, {3, 1}, {9, 9}};
    for (int i = 0; i < 3; i++)
        ml_stats_add(s, m, NULL, 0, (uint64_t)i, pts[i], 0, st);
    assert_true(st[0] == 2 && st[1] == 1);
    ml_update(s, m, st);
}

static void test_kmeans_decay_1(void **state) {
    (void)state;
    struct ml_spec s = kspec(2, 1.0, false);
    struct ml_model m;
    two_cluster_batch(&s, &m);
    /* w0 = 2 + 2 = 4, lambda = 1/2: c0 = 0.5 * 0 + (0.5 / 2) * (4, 2) = (1, 0.5) */
    near(m.w[0], 4), near(m.c[0][0], 1), near(m.c[0][1], 0.5);
    /* w1 = 3 + 1 = 4, lambda = 1/4: c1 = 0.75 * 10 + 0.25 * 9 = 9.75 */
    near(m.w[1], 4), near(m.c[1][0], 9.75), near(m.c[1][1], 9.75);
}

static void test_kmeans_decay_half(void **state) {
    (void)state;
    struct ml_spec s = kspec(2, 0.5, false);
    struct ml_model m;
    two_cluster_batch(&s, &m);
    /* w0 = 2 * 0.5 + 2 = 3, lambda = 2/3: c0 = (1/3) * 0 + (1/3) * (4, 2) = (4/3, 2/3) */
    near(m.w[0], 3), near(m.c[0][0], 4.0 / 3), near(m.c[0][1], 2.0 / 3);
    /* w1 = 3 * 0.5 + 1 = 2.5, lambda = 0.4: c1 = 0.6 * 10 + 0.4 * 9 = 9.6 */
    near(m.w[1], 2.5), near(m.c[1][0], 9.6), near(m.c[1][1], 9.6);
}

static void test_kmeans_decay_0(void **state) {
    (void)state;
    struct ml_spec s = kspec(2, 0.0, false);
    struct ml_model m;
    two_cluster_batch(&s, &m);
    /* the past weighs nothing: each centre is its batch mean, its weight the batch count */
    near(m.w[0], 2), near(m.c[0][0], 2), near(m.c[0][1], 1);
    near(m.w[1], 1), near(m.c[1][0], 9), near(m.c[1][1], 9);
}

static void test_kmeans_half_life(void **state) {
    (void)state;
    /* a half-life of 1 batch is decay 0.5 per batch */
    near(ml_half_life_decay(1), 0.5);
    struct ml_spec s = kspec(2, ml_half_life_decay(1), false);
    struct ml_model m;
    two_cluster_batch(&s, &m);
    near(m.c[0][0], 4.0 / 3), near(m.w[1], 2.5);
    /* a half-life of 3 points and a batch of 3 points: discount a^3 = 0.5, the same */
    s = kspec(2, ml_half_life_decay(3), true);
    near(pow(s.decay, 3), 0.5);
    two_cluster_batch(&s, &m);
    near(m.w[0], 3), near(m.c[0][0], 4.0 / 3), near(m.c[0][1], 2.0 / 3);
    near(m.w[1], 2.5), near(m.c[1][0], 9.6);
}

static void test_kmeans_dying_cluster_split(void **state) {
    (void)state;
    struct ml_spec s = kspec(3, 1.0, false);
    struct ml_model m;
    ml_init(&s, NULL, &m);
    const double c[3][2] = {{0, 0}, {10, 10}, {20, 0}};
    const double w[3] = {5, 0, 1};
    for (int j = 0; j < 3; j++) {
        m.c[j][0] = c[j][0], m.c[j][1] = c[j][1], m.w[j] = w[j];
    }
    double st[64] = {0};
    const double x[2] = {1, 1};
    ml_stats_add(&s, &m, NULL, 0, 0, x, 0, st);
    ml_update(&s, &m, st);
    /* c0 = (5/6) * 0 + (1/6) * (1, 1), w0 = 6; w1 = 0 < 1e-8 * 6: cluster 1 dies and
     * takes cluster 0's centre, split by p = 1e-14 * max(1/6, 1) = 1e-14 either way;
     * both weights (6 + 0) / 2 = 3; cluster 2 is untouched */
    double c0 = 1.0 / 6;
    assert_true(m.c[0][0] == c0 + 1e-14 && m.c[0][1] == c0 + 1e-14);
    assert_true(m.c[1][0] == c0 - 1e-14 && m.c[1][1] == c0 - 1e-14);
    assert_true(m.c[0][0] > m.c[1][0]);
    near(m.w[0], 3), near(m.w[1], 3), near(m.w[2], 1);
    near(m.c[2][0], 20), near(m.c[2][1], 0);
    /* the threshold: after the batch the weights are 2 and w1; 5e-9 < 1e-8 * 2 dies,
     * 3e-8 > 1e-8 * 2 lives */
    const double small[2] = {5e-9, 3e-8};
    for (int i = 0; i < 2; i++) {
        struct ml_spec s2 = kspec(2, 1.0, false);
        ml_init(&s2, NULL, &m);
        m.c[1][0] = 10, m.w[0] = 1, m.w[1] = small[i];
        double st2[64] = {0};
        ml_stats_add(&s2, &m, NULL, 0, 0, x, 0, st2);
        ml_update(&s2, &m, st2);
        if (i == 0)
            near(m.w[1], (2 + 5e-9) / 2), near(m.c[1][0], 0.5 - 1e-14);
        else
            assert_true(m.w[1] == 3e-8 && m.c[1][0] == 10);
    }
}

static void test_kmeans_cost_and_nearest_tie(void **state) {
    (void)state;
    struct ml_spec s = kspec(2, 1.0, false);
    struct ml_model m;
    ml_init(&s, NULL, &m);
    m.c[1][0] = 2; /* centres (0,0) and (2,0): (1,0) is equally far, the lower index wins */
    const double x[2] = {1, 0};
    double d2;
    assert_int_equal(ml_nearest(&m, x, &d2), 0);
    near(d2, 1);
    double st[64] = {0};
    ml_stats_add(&s, &m, &m, 0, 0, x, 0, st);
    const double *tail = st + ml_stats_tail(&s);
    near(tail[ML_TAIL_SCORED], 1), near(tail[ML_TAIL_SCORE], 1),
        near(tail[ML_TAIL_SCORE_FROZEN], 1);
}

static struct ml_spec lspec(uint32_t iterations, double tol) {
    struct ml_spec s = {.kind = ML_LINREG,
                        .d = 1,
                        .step = 0.1,
                        .iterations = iterations,
                        .fraction = 1.0,
                        .intercept = true,
                        .tol = tol};
    return s;
}

static void lin_batch(const struct ml_spec *s, struct ml_model *m) {
    double st[64] = {0};
    const double x[2] = {1, 3}, y[2] = {2, 4};
    for (int i = 0; i < 2; i++)
        ml_stats_add(s, m, NULL, 0, (uint64_t)i, &x[i], y[i], st);
    ml_update(s, m, st);
}

static void test_sgd_first_steps(void **state) {
    (void)state;
    struct ml_spec s = lspec(1, 0);
    struct ml_model m;
    ml_init(&s, NULL, &m);
    lin_batch(&s, &m);
    /* c = 0: residuals -2, -4; mean gradient -((2*1 + 4*3)/2, (2 + 4)/2) = -(7, 3);
     * step 0.1 / sqrt(1): c = (0.7, 0.3) */
    near(m.coef[0], 0.7), near(m.coef[1], 0.3);
    s = lspec(2, 0);
    ml_init(&s, NULL, &m);
    lin_batch(&s, &m);
    /* second step from (0.7, 0.3): residuals -1.0 and -1.6; mean gradient
     * ((-1 - 4.8)/2, (-1 - 1.6)/2) = (-2.9, -1.3); step 0.1/sqrt(2) */
    near(m.coef[0], 0.7 + 2.9 * 0.1 / sqrt(2.0));
    near(m.coef[1], 0.3 + 1.3 * 0.1 / sqrt(2.0));
}

static void test_sgd_empty_batch_is_skipped(void **state) {
    (void)state;
    struct ml_spec s = lspec(5, 0);
    s.init_coef[0] = 1.5;
    struct ml_model m;
    ml_init(&s, NULL, &m);
    double st[64] = {0};
    ml_update(&s, &m, st);
    assert_true(m.coef[0] == 1.5 && m.coef[1] == 0);
}

/* Noiseless y = 2 x1 - 3 x2 + 0.5 on x uniform in [-1, 1]^2 (a test-local generator): the
 * least-squares fit is the true line itself. MLlib's defaults (step 0.1, 50 iterations,
 * fraction 1) with tol 0 and 100 points per batch reach it within 1e-6 in at most
 * LSQ_BATCHES batches; with MLlib's default tol 0.001 in at most LSQ_BATCHES_TOL. */
#define LSQ_BATCHES 40
#define LSQ_BATCHES_TOL 250
static int batches_to_converge(double tol, double fraction, int max_batches) {
    struct ml_spec s = {.kind = ML_LINREG,
                        .d = 2,
                        .step = 0.1,
                        .iterations = 50,
                        .fraction = fraction,
                        .intercept = true,
                        .tol = tol};
    const double truth[3] = {2, -3, 0.5};
    struct ml_model m;
    ml_init(&s, NULL, &m);
    uint64_t seed = 7, rec = 0;
    double st[1 << 12];
    assert_true(ml_stats_len(&s) <= sizeof st / sizeof st[0]);
    for (int b = 1; b <= max_batches; b++) {
        memset(st, 0, sizeof st);
        for (int i = 0; i < 100; i++) {
            double x[2];
            for (int k = 0; k < 2; k++)
                x[k] = (double)(tu_splitmix64(&seed) >> 11) * 0x1.0p-53 * 2 - 1;
            double y = truth[0] * x[0] + truth[1] * x[1] + truth[2];
            ml_stats_add(&s, &m, NULL, 99, rec++, x, y, st);
        }
        ml_update(&s, &m, st);
        double e = 0;
        for (int k = 0; k < 3; k++)
            e = fmax(e, fabs(m.coef[k] - truth[k]));
        if (e < 1e-6) return b;
    }
    return max_batches + 1;
}

static void test_sgd_converges_to_least_squares(void **state) {
    (void)state;
    int b = batches_to_converge(0, 1.0, LSQ_BATCHES);
    printf("tol 0: within 1e-6 after %d batches of 100\n", b);
    assert_true(b <= LSQ_BATCHES);
    b = batches_to_converge(0.001, 1.0, LSQ_BATCHES_TOL);
    printf("tol 0.001: within 1e-6 after %d batches of 100\n", b);
    assert_true(b <= LSQ_BATCHES_TOL);
    b = batches_to_converge(0, 0.5, 2 * LSQ_BATCHES);
    printf("fraction 0.5: within 1e-6 after %d batches of 100\n", b);
    assert_true(b <= 2 * LSQ_BATCHES);
}

static void test_minibatch_sample_rate(void **state) {
    (void)state;
    uint64_t n = 200000, in = 0;
    for (uint64_t r = 0; r < n; r++)
        in += ml_sampled(12345, r, 3, 0.3);
    assert_true(tu_binomial_within("sampled at 0.3", in, n, 0.3, 5));
    /* the decision is a function of (key, record, iteration) alone */
    assert_true(ml_sampled(1, 2, 3, 0.5) == ml_sampled(1, 2, 3, 0.5));
    assert_true(ml_sampled(1, 2, 3, 1.0));
}

static void test_lloyd_two_clusters(void **state) {
    (void)state;
    struct ml_spec s = kspec(2, 1.0, false);
    struct ml_model m;
    ml_init(&s, NULL, &m);
    m.c[1][0] = 1; /* start at (0,0) and (1,0) */
    const double pts[4][2] = {{-1, 0}, {-3, 0}, {10, 2}, {12, 4}};
    ml_kmeans_lloyd(&s, &m, &pts[0][0], 4, 20, 1e-4);
    /* iteration 1: {-1,-3} -> 0, {10,12} -> 1; means (-2, 0) and (11, 3); then stable */
    near(m.c[0][0], -2), near(m.c[0][1], 0), near(m.c[1][0], 11), near(m.c[1][1], 3);
    near(m.w[0], 2), near(m.w[1], 2);
}

static void test_least_squares_exact_line(void **state) {
    (void)state;
    struct ml_spec s = lspec(1, 0);
    struct ml_model m;
    ml_init(&s, NULL, &m);
    double st[64] = {0};
    const double x[3] = {0, 1, 2}; /* y = 3x - 1 exactly */
    for (int i = 0; i < 3; i++)
        ml_stats_add(&s, &m, NULL, 0, (uint64_t)i, &x[i], 3 * x[i] - 1, st);
    assert_true(ml_least_squares(&s, &m, st));
    near(m.coef[0], 3), near(m.coef[1], -1);
    double one[64] = {0};
    ml_stats_add(&s, &m, NULL, 0, 0, &x[1], 1, one); /* one point: singular */
    assert_false(ml_least_squares(&s, &m, one));
}

static void test_gaussian_moments(void **state) {
    (void)state;
    struct rng r;
    rng_init(&r, 5, "test:gaussian");
    double s = 0, s2 = 0;
    int n = 200000, within1 = 0;
    for (int i = 0; i < n; i++) {
        double z = rng_gaussian(&r);
        s += z;
        s2 += z * z;
        within1 += fabs(z) <= 1;
    }
    double mean = s / n, var = s2 / n - mean * mean;
    printf("gaussian: mean %.4f var %.4f within 1 sd %.4f\n", mean, var, (double)within1 / n);
    assert_true(fabs(mean) < 0.01 && fabs(var - 1) < 0.02);
    assert_true(tu_binomial_within("|z| <= 1", (uint64_t)within1, (uint64_t)n, 0.682689492, 5));
}

static void test_errors(void **state) {
    (void)state;
    struct ml_spec s = kspec(2, 1, false);
    struct ml_model a, b;
    ml_init(&s, NULL, &a);
    ml_init(&s, NULL, &b);
    a.c[1][0] = 4; /* a: (0,0), (4,0); reference b: (0,3), (4,0) */
    b.c[0][1] = 3, b.c[1][0] = 4;
    near(ml_centre_error(&a, &b), (3.0 + 0.0) / 2);
    struct ml_spec l = lspec(1, 0);
    ml_init(&l, NULL, &a);
    ml_init(&l, NULL, &b);
    a.coef[0] = 3, a.coef[1] = 4; /* sqrt((9 + 16) / 2) */
    near(ml_coef_rmse(&l, &a, &b), sqrt(12.5));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kmeans_decay_1),
        cmocka_unit_test(test_kmeans_decay_half),
        cmocka_unit_test(test_kmeans_decay_0),
        cmocka_unit_test(test_kmeans_half_life),
        cmocka_unit_test(test_kmeans_dying_cluster_split),
        cmocka_unit_test(test_kmeans_cost_and_nearest_tie),
        cmocka_unit_test(test_sgd_first_steps),
        cmocka_unit_test(test_sgd_empty_batch_is_skipped),
        cmocka_unit_test(test_sgd_converges_to_least_squares),
        cmocka_unit_test(test_minibatch_sample_rate),
        cmocka_unit_test(test_lloyd_two_clusters),
        cmocka_unit_test(test_least_squares_exact_line),
        cmocka_unit_test(test_gaussian_moments),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
