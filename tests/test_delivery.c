/* Delivery protocols end to end (DESIGN.md §3): targeted faults whose effect on each
 * record is stated by hand, statistical loss on one hop, the scenario files over many
 * seeds, and trace-hash determinism. Per-record visibility is counted from the trace
 * (SIM_TR_USER / PIPE_TR_VISIBLE events, id = record), and expected record sets come
 * from the source generator replayed here, never from the outcome struct alone. */
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
#include "testutil.h"

/* ---- the generator, replayed independently ---- */

struct gen_list {
    struct src_record *r;
    uint64_t n;
};

static void gen_all(const struct pipe_config *cfg, uint64_t seed, struct gen_list *out) {
    struct src_gen g;
    assert_int_equal(src_gen_init(&g, &cfg->source, cfg->duration_ns, seed), 0);
    uint64_t cap = 1024;
    out->r = malloc(cap * sizeof *out->r);
    assert_non_null(out->r);
    out->n = 0;
    struct src_record rec;
    while (src_gen_next(&g, &rec)) {
        if (out->n == cap) {
            cap *= 2;
            out->r = realloc(out->r, cap * sizeof *out->r);
            assert_non_null(out->r);
        }
        assert_int_equal(rec.id, out->n);
        out->r[out->n++] = rec;
    }
    src_gen_free(&g);
}

/* The reference's per-key counts (src_gen_counts, computed device by device) equal
 * the merged stream's, for iot with and without jitter (jitter near half a period lets
 * a device's readings straddle the end) and for keyed. */
static void test_generator_counts_equal_the_merged_stream(void **state) {
    (void)state;
    const struct pipe_source kinds[] = {
        {.kind = SRC_IOT, .keys = 37, .period_ns = 100000000, .jitter_ns = 10000000},
        {.kind = SRC_IOT, .keys = 5, .period_ns = 100000000, .jitter_ns = 49000000},
        {.kind = SRC_IOT, .keys = 3, .period_ns = 7000000, .jitter_ns = 0},
        {.kind = SRC_KEYED, .keys = 11, .rate_per_s = 5000},
    };
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        for (uint64_t seed = 1; seed <= 5; seed++) {
            struct pipe_config cfg = {.source = kinds[k], .duration_ns = 2000000000};
            struct gen_list all;
            gen_all(&cfg, seed, &all);
            uint64_t merged[64] = {0}, counted[64] = {0}, total = 0;
            for (uint64_t i = 0; i < all.n; i++) merged[all.r[i].key]++;
            assert_int_equal(src_gen_counts(&cfg.source, cfg.duration_ns, seed, counted, &total), 0);
            assert_true(all.n > 50);
            assert_int_equal(total, all.n);
            assert_memory_equal(merged, counted, sizeof merged);
            free(all.r);
        }
}

/* ---- per-record visibility from the trace ---- */

struct vis {
    uint32_t *count; /* per record id */
    uint64_t n;
    uint64_t out_of_range; /* visible events naming an id the generator never made */
};

static void vis_hook(const struct sim_trace_rec *r, void *ctx) {
    struct vis *v = ctx;
    if (r->type != SIM_TR_USER || r->kind != PIPE_TR_VISIBLE) return;
    if (r->id < v->n)
        v->count[r->id]++;
    else
        v->out_of_range++;
}

/* Runs cfg under p and seed, counting visibility per record of the n generated. */
static void run_counted(const struct pipe_config *cfg, enum dlv_protocol p, uint64_t seed,
                        uint64_t n, struct vis *v, struct exp_outcome *o) {
    v->count = calloc(n ? n : 1, sizeof *v->count);
    assert_non_null(v->count);
    v->n = n;
    v->out_of_range = 0;
    struct exp_options opt = {.trace = vis_hook, .trace_ctx = v};
    struct ft_error err;
    memset(&err, 0, sizeof err);
    int rc = exp_run(cfg, p, seed, &opt, o, &err);
    if (rc != 0) fprintf(stderr, "exp_run(%s, seed %llu) = %d\n", dlv_name(p),
                         (unsigned long long)seed, rc);
    assert_int_equal(rc, 0);
    assert_int_equal(v->out_of_range, 0);
}

/* Checks that every record is visible exactly `expect[i]` times (expect NULL: once,
 * except `special` which must be seen `special_count` times). */
static void expect_counts(const char *what, const struct vis *v, uint64_t special,
                          uint32_t special_count) {
    uint64_t bad = 0;
    for (uint64_t i = 0; i < v->n; i++) {
        uint32_t want = i == special ? special_count : 1;
        if (v->count[i] != want) {
            if (bad < 10)
                fprintf(stderr, "%s: record %llu visible %u times, expected %u\n", what,
                        (unsigned long long)i, v->count[i], want);
            bad++;
        }
    }
    assert_int_equal(bad, 0);
}

/* ---- the small pipeline of tests 1-3 ---- */

#define R 10u /* the record the targeted faults name */

static void small_config(struct pipe_config *c) {
    pipe_config_defaults(c);
    c->workers = 1;
    c->partitions = 1;
    c->duration_ns = 2 * SIM_NS_PER_S;
    c->source = (struct pipe_source){.kind = SRC_KEYED, .keys = 10, .rate_per_s = 20.0};
    c->network = (struct net_link_cfg){.latency_ns = SIM_NS_PER_MS};
}

static void add_fault(struct pipe_config *c, const struct pipe_fault *f) {
    assert_true(c->nfaults < PIPE_FAULTS_MAX);
    c->faults[c->nfaults++] = *f;
}

static void small_gen(const struct pipe_config *c, uint64_t seed, struct gen_list *g) {
    gen_all(c, seed, g);
    assert_true(g->n > R + 5); /* R is well inside the run */
    /* the low rate leaves R alone in flight: its neighbours are >= 5 ms away */
    assert_true(g->r[R].event_ns - g->r[R - 1].event_ns > 5 * SIM_NS_PER_MS);
    assert_true(g->r[R + 1].event_ns - g->r[R].event_ns > 5 * SIM_NS_PER_MS);
}

/* Runs protocol p and expects record R visible `copies_of_r` times, every other
 * record once, and (when must_match) the warehouse to match the reference. */
static void expect_run(const struct pipe_config *c, enum dlv_protocol p, uint64_t seed,
                       uint64_t n, uint32_t copies_of_r, bool must_match) {
    struct vis v;
    struct exp_outcome o;
    run_counted(c, p, seed, n, &v, &o);
    expect_counts(dlv_name(p), &v, R, copies_of_r);
    if (must_match) assert_true(o.matches_reference);
    free(v.count);
}

static void test_lost_ack_duplicates_exactly_that_record_under_at_least_once(void **state) {
    (void)state;
    struct pipe_config *c = malloc(sizeof *c);
    assert_non_null(c);
    small_config(c);
    struct pipe_fault f;
    memset(&f, 0, sizeof f);
    f.type = PIPE_FAULT_DROP;
    f.msg_kind = PIPE_MSG_ACK;
    f.record = R;
    f.nth = 1;
    f.count = 1;
    add_fault(c, &f);
    const uint64_t seed = 7;
    struct gen_list g;
    small_gen(c, seed, &g);

    expect_run(c, DLV_AT_LEAST_ONCE, seed, g.n, 2, false);
    expect_run(c, DLV_AT_MOST_ONCE, seed, g.n, 1, false);
    expect_run(c, DLV_EXACTLY_ONCE, seed, g.n, 1, true);

    free(g.r);
    free(c);
}

static void crash_config(struct pipe_config *c, const char *step) {
    small_config(c);
    struct pipe_fault f;
    memset(&f, 0, sizeof f);
    f.type = PIPE_FAULT_CRASH;
    snprintf(f.node, sizeof f.node, "worker-1");
    snprintf(f.step, sizeof f.step, "%s", step);
    f.record = R;
    f.nth = 1;
    f.restart_after_ns = 500 * SIM_NS_PER_MS;
    add_fault(c, &f);
}

static void test_crash_after_emit_duplicates_under_at_least_once_loses_under_at_most_once(
    void **state) {
    (void)state;
    struct pipe_config *c = malloc(sizeof *c);
    assert_non_null(c);
    crash_config(c, PIPE_STEP_AFTER_EMIT);
    const uint64_t seed = 11;
    struct gen_list g;
    small_gen(c, seed, &g);

    struct vis v;
    struct exp_outcome o;
    expect_run(c, DLV_AT_LEAST_ONCE, seed, g.n, 2, false);
    expect_run(c, DLV_EXACTLY_ONCE, seed, g.n, 1, true);
    expect_run(c, DLV_EXACTLY_ONCE_TXN, seed, g.n, 1, true);

    /* at-most-once: R's output was emitted before the crash, so R is seen once; every
     * record reaching the worker (event + 1 ms source->broker + 1 ms broker->worker)
     * while it is down is lost, and nothing else. */
    run_counted(c, DLV_AT_MOST_ONCE, seed, g.n, &v, &o);
    uint64_t crash = g.r[R].event_ns + 2 * SIM_NS_PER_MS;
    uint64_t up = crash + 500 * SIM_NS_PER_MS;
    uint64_t expected_lost = 0, mismatches = 0;
    for (uint64_t i = 0; i < g.n; i++) {
        uint64_t arrive = g.r[i].event_ns + 2 * SIM_NS_PER_MS;
        bool lost = i != R && arrive >= crash && arrive < up;
        expected_lost += lost;
        if (v.count[i] != (lost ? 0u : 1u)) {
            fprintf(stderr, "at-most-once: record %llu (arrives %llu ns, down [%llu, %llu)) "
                            "visible %u times, expected %u\n",
                    (unsigned long long)i, (unsigned long long)arrive,
                    (unsigned long long)crash, (unsigned long long)up, v.count[i],
                    lost ? 0u : 1u);
            mismatches++;
        }
    }
    assert_true(expected_lost > 0); /* 500 ms at 20/s: the window is not empty */
    assert_int_equal(v.count[R], 1);
    assert_int_equal(mismatches, 0);
    free(v.count);

    free(g.r);
    free(c);
}

static void test_crash_after_receive_redelivers_under_at_least_once_loses_under_at_most_once(
    void **state) {
    (void)state;
    struct pipe_config *c = malloc(sizeof *c);
    assert_non_null(c);
    crash_config(c, PIPE_STEP_AFTER_RECEIVE);
    const uint64_t seed = 13;
    struct gen_list g;
    small_gen(c, seed, &g);

    struct vis v;
    struct exp_outcome o;
    /* never emitted before the crash, redelivered after: once, nothing lost or doubled */
    expect_run(c, DLV_AT_LEAST_ONCE, seed, g.n, 1, false);
    expect_run(c, DLV_EXACTLY_ONCE, seed, g.n, 1, false);
    expect_run(c, DLV_EXACTLY_ONCE_TXN, seed, g.n, 1, false);

    /* at-most-once: R was committed on send and never emitted: lost, like every record
     * that reaches the worker while it is down */
    run_counted(c, DLV_AT_MOST_ONCE, seed, g.n, &v, &o);
    uint64_t crash = g.r[R].event_ns + 2 * SIM_NS_PER_MS;
    uint64_t up = crash + 500 * SIM_NS_PER_MS;
    uint64_t mismatches = 0;
    for (uint64_t i = 0; i < g.n; i++) {
        uint64_t arrive = g.r[i].event_ns + 2 * SIM_NS_PER_MS;
        bool lost = i == R || (arrive >= crash && arrive < up);
        if (v.count[i] != (lost ? 0u : 1u)) {
            fprintf(stderr, "at-most-once: record %llu visible %u times, expected %u\n",
                    (unsigned long long)i, v.count[i], lost ? 0u : 1u);
            mismatches++;
        }
    }
    assert_int_equal(v.count[R], 0);
    assert_int_equal(mismatches, 0);
    free(v.count);

    free(g.r);
    free(c);
}

static void test_at_most_once_single_hop_loss_within_4_sd(void **state) {
    (void)state;
    struct pipe_config *c = malloc(sizeof *c);
    assert_non_null(c);
    pipe_config_defaults(c);
    c->workers = 1;
    c->partitions = 1;
    c->duration_ns = 5 * SIM_NS_PER_S;
    c->source = (struct pipe_source){.kind = SRC_KEYED, .keys = 100, .rate_per_s = 20000.0};
    c->network = (struct net_link_cfg){.latency_ns = SIM_NS_PER_MS};
    c->delivery.window = PIPE_WINDOW_MAX;
    const double p = 0.1;
    c->nlinks = 1;
    memset(&c->links[0], 0, sizeof c->links[0]);
    snprintf(c->links[0].from, sizeof c->links[0].from, "broker");
    snprintf(c->links[0].to, sizeof c->links[0].to, "worker-1");
    c->links[0].cfg = (struct net_link_cfg){.latency_ns = SIM_NS_PER_MS, .loss_p = p};
    const uint64_t seed = 3;
    struct gen_list g;
    gen_all(c, seed, &g);
    assert_true(g.n > 90000);

    struct vis v;
    struct exp_outcome o;
    run_counted(c, DLV_AT_MOST_ONCE, seed, g.n, &v, &o);
    uint64_t lost = 0, dup = 0;
    for (uint64_t i = 0; i < g.n; i++) {
        lost += v.count[i] == 0;
        dup += v.count[i] > 1;
    }
    assert_int_equal(dup, 0);
    assert_true(tu_binomial_within("at-most-once lost on broker->worker-1", lost, g.n, p, 4.0));
    free(v.count);
    free(g.r);
    free(c);
}

static void load(const char *path, struct scenario *scn) {
    struct ft_error err;
    memset(&err, 0, sizeof err);
    int rc = scn_load(path, scn, &err);
    if (rc != 0) fprintf(stderr, "scn_load(%s) = %d\n", path, rc);
    assert_int_equal(rc, 0);
}

static void test_at_least_once_lost_acks_over_100_seeds(void **state) {
    (void)state;
    struct scenario *scn = malloc(sizeof *scn);
    assert_non_null(scn);
    load("scenarios/lost-ack.yaml", scn);
    for (uint64_t seed = 1; seed <= 100; seed++) {
        struct gen_list g;
        gen_all(&scn->pipe, seed, &g);
        struct vis v;
        struct exp_outcome o;
        run_counted(&scn->pipe, DLV_AT_LEAST_ONCE, seed, g.n, &v, &o);
        uint64_t lost = 0, dup = 0;
        for (uint64_t i = 0; i < g.n; i++) {
            lost += v.count[i] == 0;
            dup += v.count[i] > 1 ? v.count[i] - 1 : 0;
        }
        if (lost != 0 || dup == 0)
            fprintf(stderr, "seed %llu: lost %llu duplicated %llu\n", (unsigned long long)seed,
                    (unsigned long long)lost, (unsigned long long)dup);
        assert_int_equal(lost, 0);
        assert_true(dup > 0);
        assert_int_equal(o.lost, lost);
        assert_int_equal(o.duplicated, dup);
        free(v.count);
        free(g.r);
    }
    free(scn);
}

static void test_exactly_once_lossy_network_100_seeds(void **state) {
    (void)state;
    struct scenario *scn = malloc(sizeof *scn);
    assert_non_null(scn);
    load("scenarios/lossy-network.yaml", scn);
    const enum dlv_protocol ps[] = {DLV_EXACTLY_ONCE, DLV_EXACTLY_ONCE_TXN};
    for (uint64_t seed = 1; seed <= 100; seed++) {
        struct gen_list g;
        gen_all(&scn->pipe, seed, &g);
        for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
            struct vis v;
            struct exp_outcome o;
            run_counted(&scn->pipe, ps[k], seed, g.n, &v, &o);
            uint64_t bad = 0;
            for (uint64_t i = 0; i < g.n; i++) bad += v.count[i] != 1;
            if (bad || o.lost || o.duplicated || !o.matches_reference || o.delivered != g.n)
                fprintf(stderr,
                        "%s seed %llu: %llu records not seen once; outcome lost %llu dup %llu "
                        "delivered %llu of %llu, matches_reference %d\n",
                        dlv_name(ps[k]), (unsigned long long)seed, (unsigned long long)bad,
                        (unsigned long long)o.lost, (unsigned long long)o.duplicated,
                        (unsigned long long)o.delivered, (unsigned long long)g.n,
                        o.matches_reference);
            assert_int_equal(bad, 0);
            assert_int_equal(o.lost, 0);
            assert_int_equal(o.duplicated, 0);
            assert_true(o.matches_reference);
            assert_int_equal(o.sent, g.n);
            assert_int_equal(o.delivered, g.n);
            free(v.count);
        }
        free(g.r);
    }
    free(scn);
}

static void test_same_seed_same_trace_hash_every_protocol(void **state) {
    (void)state;
    struct scenario *scn = malloc(sizeof *scn);
    assert_non_null(scn);
    load("scenarios/lost-ack.yaml", scn);
    for (int p = 0; p < DLV_COUNT; p++) {
        struct exp_outcome a, b, d;
        struct ft_error err;
        memset(&err, 0, sizeof err);
        assert_int_equal(exp_run(&scn->pipe, (enum dlv_protocol)p, 5, NULL, &a, &err), 0);
        assert_int_equal(exp_run(&scn->pipe, (enum dlv_protocol)p, 5, NULL, &b, &err), 0);
        assert_int_equal(exp_run(&scn->pipe, (enum dlv_protocol)p, 6, NULL, &d, &err), 0);
        assert_int_equal(strlen(a.trace_hash), 2 * SIM_HASH_BYTES);
        assert_string_equal(a.trace_hash, b.trace_hash);
        assert_string_not_equal(a.trace_hash, d.trace_hash);
    }
    free(scn);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generator_counts_equal_the_merged_stream),
        cmocka_unit_test(test_lost_ack_duplicates_exactly_that_record_under_at_least_once),
        cmocka_unit_test(
            test_crash_after_emit_duplicates_under_at_least_once_loses_under_at_most_once),
        cmocka_unit_test(
            test_crash_after_receive_redelivers_under_at_least_once_loses_under_at_most_once),
        cmocka_unit_test(test_at_most_once_single_hop_loss_within_4_sd),
        cmocka_unit_test(test_at_least_once_lost_acks_over_100_seeds),
        cmocka_unit_test(test_exactly_once_lossy_network_100_seeds),
        cmocka_unit_test(test_same_seed_same_trace_hash_every_protocol),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
