/* The sweep's worker pool (analysis/sweep_pool.c) carries a run's lambda points from a
 * worker process to the parent field for field (keys, the no-batch flag, every count),
 * with --jobs 1 and with forked workers; and a worker that announces more points than
 * EXP_LAMBDA_POINTS_MAX is a clear error of the sweep, with nothing stored, not an
 * allocation the parent attempts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sweep.h"

#define NRUNS 5u

/* Run i has 3 + i points; point j of run i, by this formula (the test's own). */
static uint32_t npoints(uint64_t i) { return 3u + (uint32_t)i; }

static struct exp_lambda_point expected_point(uint64_t i, uint32_t j) {
    struct exp_lambda_point p;
    memset(&p, 0, sizeof p);
    p.t_ns = (uint64_t)(j + 1) * 500000000u + i;
    if (j % 3) snprintf(p.key, sizeof p.key, "device-%u", j);
    p.served = 100 * i + j;
    p.reference = p.served + 1;
    p.batch = j;
    p.has_batch = j >= 2;
    p.batch_ns = p.has_batch ? 10000000000ull : 0;
    p.staleness_ns = 7ull * j;
    return p;
}

static int compute_points(void *ctx, uint64_t index, struct exp_outcome *out,
                          struct exp_stats *stats, struct ft_error *err) {
    (void)ctx, (void)err;
    memset(out, 0, sizeof *out);
    out->sent = index;
    exp_stats_free(stats);
    uint32_t n = npoints(index);
    stats->lambda = calloc(n, sizeof *stats->lambda);
    if (!stats->lambda) return FT_ENOMEM;
    for (uint32_t j = 0; j < n; j++) stats->lambda[j] = expected_point(index, j);
    stats->nlambda = n;
    return 0;
}

struct stored {
    uint32_t calls;
    uint32_t seen; /* bit i: run i stored */
};

static int store_check(void *ctx, uint64_t index, const struct exp_outcome *out,
                       const struct exp_stats *stats, struct ft_error *err) {
    struct stored *s = ctx;
    (void)err;
    s->calls++;
    assert_true(index < NRUNS);
    assert_int_equal(out->sent, index);
    assert_int_equal(stats->nlambda, npoints(index));
    for (uint32_t j = 0; j < stats->nlambda; j++) {
        const struct exp_lambda_point *got = &stats->lambda[j];
        struct exp_lambda_point want = expected_point(index, j);
        assert_int_equal(got->t_ns, want.t_ns);
        assert_string_equal(got->key, want.key);
        assert_int_equal(got->served, want.served);
        assert_int_equal(got->reference, want.reference);
        assert_int_equal(got->batch, want.batch);
        assert_int_equal(got->has_batch, want.has_batch);
        assert_int_equal(got->batch_ns, want.batch_ns);
        assert_int_equal(got->staleness_ns, want.staleness_ns);
    }
    s->seen |= 1u << index;
    return 0;
}

static void test_lambda_points_cross_the_pool_unchanged(void **state) {
    (void)state;
    const uint64_t todo[NRUNS] = {0, 1, 2, 3, 4};
    for (uint32_t jobs = 1; jobs <= 2; jobs++) {
        struct stored s = {0};
        struct sweep_pool_ops ops = {.compute = compute_points, .store = store_check, .ctx = &s};
        struct ft_error err = {0};
        uint64_t failed = 99;
        int rc = sweep_pool_run(todo, NRUNS, jobs, &ops, &failed, &err);
        if (rc) fail_msg("--jobs %u: %s", jobs, err.msg);
        assert_int_equal(failed, 0);
        assert_int_equal(s.calls, NRUNS);
        assert_int_equal(s.seen, (1u << NRUNS) - 1);
    }
}

/* A count no run can have, and no buffer: the worker's write of the points fails after
 * its header went out. UINT32_MAX points are ~500 GB, so a parent that trusted the count
 * would ask the allocator for them (which the sanitizer build reports as an error). */
static int compute_oversized(void *ctx, uint64_t index, struct exp_outcome *out,
                             struct exp_stats *stats, struct ft_error *err) {
    (void)ctx, (void)index, (void)err;
    memset(out, 0, sizeof *out);
    exp_stats_free(stats);
    stats->nlambda = UINT32_MAX;
    return 0;
}

static int store_never(void *ctx, uint64_t index, const struct exp_outcome *out,
                       const struct exp_stats *stats, struct ft_error *err) {
    (void)ctx, (void)index, (void)out, (void)stats, (void)err;
    fail_msg("a result with %u lambda points was stored", UINT32_MAX);
    return 0;
}

static void test_an_oversized_lambda_count_is_a_broken_result(void **state) {
    (void)state;
    _Static_assert(EXP_LAMBDA_POINTS_MAX < UINT32_MAX, "the count below is over the limit");
    const uint64_t todo[2] = {0, 1};
    struct sweep_pool_ops ops = {.compute = compute_oversized, .store = store_never};
    struct ft_error err = {0};
    int rc = sweep_pool_run(todo, 2, 2, &ops, NULL, &err);
    assert_int_equal(rc, FT_EIO);
    if (!strstr(err.msg, "sent a broken result")) fail_msg("message: %s", err.msg);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lambda_points_cross_the_pool_unchanged),
        cmocka_unit_test(test_an_oversized_lambda_count_is_a_broken_result),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
