/* Statistics over simulated time (analysis/experiment.h, exp_options.stats) on a tiny
 * scenario whose every number is stated by hand: one sensor reading every 100 ms for
 * 1 s (10 records at phase + i * 100 ms), 1 ms per hop, so a row is visible 3 ms after
 * its creation; the 3rd produce message is dropped, so under at-least-once the source
 * resends record 2 after its 50 ms ack timeout and that row needs 53 ms. Later a
 * partition (1.2 s .. 1.3 s) and a worker crash at 1.5 s with a restart 200 ms later
 * give the markers. The expected buckets come from a loop over the 10 records here;
 * the phase is the one input taken from the source generator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "experiment.h"
#include "ledger.h"
#include "scenario.h"
#include "source.h"

#define MS 1000000ull

static const char tiny_yaml[] =
    "name: tiny-stats\n"
    "about: ten readings, one dropped produce message, a partition and a crash\n"
    "seed: 3\n"
    "duration: 1s\n"
    "drain: 1s\n"
    "nodes: { broker: 1, workers: 1, sink: 1 }\n"
    "source: { kind: iot, devices: 1, period: 100ms }\n"
    "network: { latency: 1ms }\n"
    "protocols: [at-least-once, at-most-once]\n"
    "faults:\n"
    "  - { drop: produce, nth: 3 }\n"
    "  - { partition: [[source, broker], [worker-1, sink]], at: 1200ms, heal: 1300ms }\n"
    "  - { crash: worker-1, at: 1500ms, restart_after: 200ms }\n";

static struct scenario *load_tiny(void) {
    struct scenario *scn = malloc(sizeof *scn);
    assert_non_null(scn);
    struct ft_error err = {0};
    int rc = scn_parse("tiny.yaml", tiny_yaml, strlen(tiny_yaml), scn, &err);
    if (rc) fail_msg("%s:%d:%d: %s", err.file, err.line, err.col, err.msg);
    return scn;
}

/* The reading times, from the generator: phase + i * 100 ms. */
static uint64_t phase_of(const struct scenario *scn) {
    struct src_gen g;
    struct src_record r;
    assert_int_equal(src_gen_init(&g, &scn->pipe.source, scn->pipe.duration_ns, scn->seed), 0);
    assert_true(src_gen_next(&g, &r));
    uint64_t phase = r.event_ns;
    for (uint64_t i = 1; src_gen_next(&g, &r); i++)
        assert_true(r.event_ns == phase + i * 100 * MS);
    src_gen_free(&g);
    assert_true(phase < 100 * MS);
    return phase;
}

struct expect {
    uint64_t visible[128], first_lat[128], retries[128], in_flight[128];
    uint32_t n;
};

/* The hand model: record i created at t_i, visible at t_i + 3 ms (record 2, whose first
 * produce was dropped and resent after 50 ms: t_2 + 53 ms); the retry at t_2 + 50 ms. */
static void expected_buckets(uint64_t phase, uint64_t w, bool retrying, struct expect *e) {
    memset(e, 0, sizeof *e);
    uint64_t created_at[10], visible_at[10];
    uint32_t last = (uint32_t)((1000 * MS - 1) / w);
    for (int i = 0; i < 10; i++) {
        created_at[i] = phase + (uint64_t)i * 100 * MS;
        visible_at[i] = created_at[i] + (i == 2 ? 53 : 3) * MS;
        if (i == 2 && !retrying) continue; /* at-most-once: record 2 is lost */
        uint32_t b = (uint32_t)(visible_at[i] / w);
        e->visible[b]++;
        e->first_lat[b] = visible_at[i] - created_at[i]; /* one row per bucket here */
        if (b > last) last = b;
    }
    if (retrying) e->retries[(created_at[2] + 50 * MS) / w]++;
    uint64_t markers[] = {1200 * MS, 1300 * MS, 1500 * MS, 1700 * MS};
    for (int k = 0; k < 4; k++)
        if (markers[k] / w > last) last = (uint32_t)(markers[k] / w);
    e->n = last + 1;
    for (uint32_t b = 0; b < e->n; b++) {
        uint64_t end = (b + 1) * w;
        for (int i = 0; i < 10; i++)
            if (created_at[i] < end && (visible_at[i] >= end || (i == 2 && !retrying)))
                e->in_flight[b]++;
    }
}

static void expect_buckets(const struct exp_stats *st, const struct expect *e, uint64_t w) {
    assert_int_equal(st->bucket_ns, w);
    assert_int_equal(st->nbuckets, e->n);
    for (uint32_t b = 0; b < e->n; b++) {
        const struct exp_bucket *k = &st->buckets[b];
        assert_int_equal(k->start_ns, b * w);
        assert_int_equal(k->width_ns, w);
        assert_int_equal(k->visible, e->visible[b]);
        assert_int_equal(k->latency_p50_ns, e->first_lat[b]);
        assert_int_equal(k->latency_p99_ns, e->first_lat[b]);
        assert_int_equal(k->retries, e->retries[b]);
        assert_int_equal(k->in_flight, e->in_flight[b]);
    }
}

/* The dropped produce of record 2 is sent (and dropped by the rule) at its creation,
 * phase + 200 ms, from the source to the broker; then the partition and the crash. */
static void expect_markers(const struct exp_stats *st, uint64_t phase) {
    static const struct {
        uint64_t t;
        enum exp_marker_kind kind;
        const char *node, *label;
    } want[] = {{200 * MS, EXP_MARK_DROP, "source", "produce r2 -> broker"},
                {1200 * MS, EXP_MARK_PARTITION, "", ""},
                {1300 * MS, EXP_MARK_HEAL, "", ""},
                {1500 * MS, EXP_MARK_CRASH, "worker-1", ""},
                {1700 * MS, EXP_MARK_RESTART, "worker-1", ""}};
    assert_int_equal(st->nmarkers, 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(st->markers[i].t_ns, want[i].t + (i == 0 ? phase : 0));
        assert_int_equal(st->markers[i].kind, want[i].kind);
        assert_string_equal(st->markers[i].node, want[i].node);
        assert_string_equal(st->markers[i].label, want[i].label);
    }
    assert_string_equal(exp_marker_name(EXP_MARK_PARTITION), "partition");
    assert_string_equal(exp_marker_name(EXP_MARK_DROP), "drop");
}

static void test_buckets_markers_and_quantiles_of_a_retried_record(void **state) {
    (void)state;
    struct scenario *scn = load_tiny();
    uint64_t phase = phase_of(scn);
    struct exp_stats st = {0};
    struct exp_options opt = {.stats = &st, .bucket_ns = 100 * MS};
    struct exp_outcome o;
    struct ft_error err = {0};
    assert_int_equal(exp_run(&scn->pipe, DLV_AT_LEAST_ONCE, scn->seed, &opt, &o, &err), 0);
    printf("phase %.3f ms, %u buckets, outcome: lost %llu dup %llu retries %llu\n",
           (double)phase / 1e6, st.nbuckets, (unsigned long long)o.lost,
           (unsigned long long)o.duplicated, (unsigned long long)o.retries);
    assert_int_equal(o.sent, 10);
    assert_int_equal(o.lost, 0);
    assert_int_equal(o.duplicated, 0);
    assert_int_equal(o.retries, 1);
    struct expect e;
    expected_buckets(phase, 100 * MS, true, &e);
    expect_buckets(&st, &e, 100 * MS);
    /* nine rows at 3 ms, one at 53 ms: ranks 1..9 of 10 are 3 ms */
    assert_int_equal(st.nquantiles, EXP_QUANTILES);
    for (unsigned i = 0; i < EXP_QUANTILES; i++)
        assert_int_equal(st.quantiles[i], (ledger_quantile_pct[i] <= 90 ? 3 : 53) * MS);
    expect_markers(&st, phase);
    exp_stats_free(&st);
    free(scn);
}

/* The same with at-most-once (record 2 is lost for good and stays in flight), and a
 * bucket width that splits the 100 ms period: 30 ms. */
static void test_lost_record_stays_in_flight_and_no_retries(void **state) {
    (void)state;
    struct scenario *scn = load_tiny();
    uint64_t phase = phase_of(scn);
    struct exp_stats st = {0};
    struct exp_options opt = {.stats = &st, .bucket_ns = 30 * MS};
    struct exp_outcome o;
    struct ft_error err = {0};
    assert_int_equal(exp_run(&scn->pipe, DLV_AT_MOST_ONCE, scn->seed, &opt, &o, &err), 0);
    assert_int_equal(o.lost, 1);
    struct expect e;
    expected_buckets(phase, 30 * MS, false, &e);
    expect_buckets(&st, &e, 30 * MS);
    assert_int_equal(st.buckets[st.nbuckets - 1].in_flight, 1);
    for (unsigned i = 0; i < EXP_QUANTILES; i++)
        assert_int_equal(st.quantiles[i], 3 * MS);
    expect_markers(&st, phase);
    /* reusing the struct for a second run replaces, never appends */
    assert_int_equal(exp_run(&scn->pipe, DLV_AT_MOST_ONCE, scn->seed, &opt, &o, &err), 0);
    assert_int_equal(st.nmarkers, 5);
    assert_int_equal(st.nbuckets, e.n);
    exp_stats_free(&st);
    free(scn);
}

/* Collecting statistics must not change the run: same trace hash and outcome. */
static void test_stats_leave_the_trace_hash_unchanged(void **state) {
    (void)state;
    struct scenario *scn = load_tiny();
    struct exp_stats st = {0};
    struct exp_options with = {.stats = &st};
    struct exp_outcome a, b;
    struct ft_error err = {0};
    assert_int_equal(exp_run(&scn->pipe, DLV_AT_LEAST_ONCE, 9, NULL, &a, &err), 0);
    assert_int_equal(exp_run(&scn->pipe, DLV_AT_LEAST_ONCE, 9, &with, &b, &err), 0);
    assert_string_equal(a.trace_hash, b.trace_hash);
    assert_memory_equal(&a, &b, sizeof a);
    assert_int_equal(st.bucket_ns, 20 * MS); /* default: 1 s / 50 */
    exp_stats_free(&st);
    free(scn);
}

static void test_default_bucket_width_rounds_duration_over_50_to_ms(void **state) {
    (void)state;
    struct pipe_config c;
    pipe_config_defaults(&c);
    c.drain_ns = 0;
    const struct {
        uint64_t duration_ns, want_ns;
    } cases[] = {{5000 * MS, 100 * MS}, {1000 * MS, 20 * MS}, {124 * MS, 2 * MS},
                 {125 * MS, 3 * MS},    {10 * MS, 1 * MS},    {1, 1 * MS}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        c.duration_ns = cases[i].duration_ns;
        assert_int_equal(exp_bucket_ns(&c, 0), cases[i].want_ns);
    }
    assert_int_equal(exp_bucket_ns(&c, 7 * MS), 7 * MS);
    /* 1 s + 24 h of drain = 86401 s: at most 100000 buckets needs 864.01 ms -> 865 ms */
    c.duration_ns = 1000 * MS;
    c.drain_ns = 24ull * 3600 * 1000 * MS;
    assert_int_equal(exp_bucket_ns(&c, 0), 865 * MS);
}

static void test_guarantees_per_protocol(void **state) {
    (void)state;
    struct exp_outcome o = {.matches_reference = true};
    for (int p = 0; p < DLV_COUNT; p++)
        assert_true(exp_guarantee_held((enum dlv_protocol)p, &o));
    o.duplicated = 1;
    assert_false(exp_guarantee_held(DLV_AT_MOST_ONCE, &o));
    assert_true(exp_guarantee_held(DLV_AT_LEAST_ONCE, &o));
    assert_false(exp_guarantee_held(DLV_EXACTLY_ONCE, &o));
    o = (struct exp_outcome){.lost = 2, .matches_reference = true};
    assert_true(exp_guarantee_held(DLV_AT_MOST_ONCE, &o));
    assert_false(exp_guarantee_held(DLV_AT_LEAST_ONCE, &o));
    assert_false(exp_guarantee_held(DLV_EXACTLY_ONCE_TXN, &o));
    o = (struct exp_outcome){.matches_reference = false};
    assert_false(exp_guarantee_held(DLV_EXACTLY_ONCE, &o));
    /* a window table that differs from the reference: a violation where it is promised */
    o = (struct exp_outcome){.matches_reference = true, .windows_enabled = true};
    assert_false(exp_guarantee_held(DLV_EXACTLY_ONCE_CKPT, &o));
    assert_false(exp_guarantee_held(DLV_EXACTLY_ONCE, &o));
    assert_false(exp_guarantee_held(DLV_EXACTLY_ONCE_TXN, &o));
    assert_true(exp_guarantee_held(DLV_AT_LEAST_ONCE, &o));
    assert_true(exp_guarantee_held(DLV_AT_MOST_ONCE, &o));
    o.crashes = o.worker_crashes = 1; /* volatile window state lost by design */
    assert_false(exp_guarantee_held(DLV_EXACTLY_ONCE_CKPT, &o));
    assert_true(exp_guarantee_held(DLV_EXACTLY_ONCE, &o));
    assert_true(exp_guarantee_held(DLV_EXACTLY_ONCE_TXN, &o));
    o = (struct exp_outcome){.matches_reference = true, .windows_enabled = true, .crashes = 1};
    assert_false(exp_guarantee_held(DLV_EXACTLY_ONCE, &o)); /* the broker or the sink crashed */
    o.late_dropped = 3; /* late data: no protocol promises the no-lateness reference */
    for (int p = 0; p < DLV_COUNT; p++)
        assert_true(exp_guarantee_held((enum dlv_protocol)p, &o));
    o = (struct exp_outcome){
        .matches_reference = true, .windows_enabled = true, .windows_match_reference = true};
    for (int p = 0; p < DLV_COUNT; p++)
        assert_true(exp_guarantee_held((enum dlv_protocol)p, &o));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buckets_markers_and_quantiles_of_a_retried_record),
        cmocka_unit_test(test_lost_record_stays_in_flight_and_no_retries),
        cmocka_unit_test(test_stats_leave_the_trace_hash_unchanged),
        cmocka_unit_test(test_default_bucket_width_rounds_duration_over_50_to_ms),
        cmocka_unit_test(test_guarantees_per_protocol),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
