/* Swarm testing's pieces (docs/swarm.md): the YAML document editor, the generator (a
 * pure function of base, swarm seed and run; every file it gives loads with the real
 * loader and stays within the faults' promises), the window promise rule of the
 * verdict, and coverage moments counted at hand-made situations. Expected values are
 * worked out by hand from the scenarios' text, not taken from the code's output. */
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
#include "scn_doc.h"
#include "scn_verdict.h"
#include "swarm.h"
#include "verdict.h"

static struct scenario *load_text(const char *name, const char *text) {
    struct scenario *s = malloc(sizeof *s);
    struct ft_error err = {0};
    assert_non_null(s);
    if (scn_parse(name, text, strlen(text), s, &err)) fail_msg("%s: %s", name, err.msg);
    return s;
}

/* ---- the document editor ---- */

static const char *const base_text = "name: t\n"
                                     "about: A test.\n"
                                     "duration: 2s\n"
                                     "nodes: { workers: 2 }\n"
                                     "protocols: [at-least-once]\n"
                                     "faults:\n"
                                     "  - { crash: worker-1, at: 1s }\n"
                                     "  - { drop: ack, nth: 3 }\n";

static void test_doc_edits_emit_a_file_the_loader_reads_back(void **state) {
    (void)state;
    struct scn_doc *d;
    struct ft_error err = {0};
    assert_int_equal(scn_doc_parse("t.yaml", base_text, strlen(base_text), &d, &err), 0);
    assert_int_equal(scn_doc_len(d, "faults"), 2);
    assert_string_equal(scn_doc_scalar(d, "faults.1.drop"), "ack");
    assert_int_equal(scn_doc_remove(d, "faults.0"), 0);
    assert_int_equal(scn_doc_remove(d, "faults.5"), FT_ENOENT);
    assert_int_equal(scn_doc_set(d, "network.loss", "0.25"), 0); /* a new mapping */
    assert_int_equal(scn_doc_set(d, "nodes.workers", "3"), 0);   /* replaced */
    assert_int_equal(
        scn_doc_append(d, "faults", "{ partition: [[source], [sink]], at: 1s, heal: 2s }"), 0);
    assert_int_equal(scn_doc_set(d, "expect.at-least-once", "{ lost: 0 }"), 0);
    char *text;
    size_t len;
    assert_int_equal(scn_doc_emit(d, &text, &len), 0);
    scn_doc_free(d);
    struct scenario *s = load_text("t.yaml", text);
    assert_int_equal(s->pipe.workers, 3);
    assert_true(s->pipe.network.loss_p == 0.25);
    assert_int_equal(s->pipe.nfaults, 2);
    assert_int_equal(s->pipe.faults[0].type, PIPE_FAULT_DROP);
    assert_int_equal(s->pipe.faults[0].nth, 3);
    assert_int_equal(s->pipe.faults[1].type, PIPE_FAULT_PARTITION);
    assert_int_equal(s->pipe.faults[1].heal_ns, 2000000000ull);
    assert_true(s->expect[DLV_AT_LEAST_ONCE].set);
    assert_int_equal(s->expect[DLV_AT_LEAST_ONCE].lost.op, SCN_EQ);
    free(s);
    free(text);
}

/* ---- the generator ---- */

static struct swarm_base base;

static int open_base(void **state) {
    (void)state;
    return swarm_base_open(&base, "scenarios/lost-ack.yaml", 7, NULL, 0, "/tmp");
}

static int close_base(void **state) {
    (void)state;
    swarm_base_close(&base);
    return 0;
}

static void test_generator_is_a_function_of_base_seed_and_run(void **state) {
    (void)state;
    struct swarm_run a, b, c;
    assert_int_equal(swarm_generate(&base, 5, &a), 0);
    assert_int_equal(swarm_generate(&base, 5, &b), 0);
    assert_int_equal(swarm_generate(&base, 6, &c), 0);
    assert_true(a.ok && b.ok && c.ok);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.text, b.text, a.len);
    assert_int_equal(a.seed, b.seed);
    assert_true(a.len != c.len || memcmp(a.text, c.text, a.len) != 0);
    assert_true(a.seed != c.seed);
    swarm_run_free(&a);
    swarm_run_free(&b);
    swarm_run_free(&c);
}

/* Every run's file loads alone; it keeps the base's pipeline; each crash restarts and
 * each partition heals by duration + drain / 3 (5 s + 60 s / 3 = 25 s for lost-ack);
 * its seed is the run's. */
static void test_generated_files_load_and_heal_in_time(void **state) {
    (void)state;
    const uint64_t end_ns = 25ull * 1000000000ull;
    uint32_t kinds = 0;
    for (uint64_t j = 0; j < 60; j++) {
        struct swarm_run r;
        assert_int_equal(swarm_generate(&base, j, &r), 0);
        assert_true(r.ok);
        struct scenario *s = load_text(r.name, r.text);
        assert_int_equal(s->seed, r.seed);
        assert_int_equal(s->pipe.workers, 2);
        assert_int_equal(s->pipe.partitions, 4);
        assert_int_equal(s->pipe.duration_ns, 5000000000ull);
        assert_int_equal(s->nprotocols, 4);
        for (uint32_t i = 0; i < s->pipe.nfaults; i++) {
            const struct pipe_fault *f = &s->pipe.faults[i];
            if (f->type == PIPE_FAULT_CRASH) assert_true(f->restart_after_ns > 0);
            if (f->type == PIPE_FAULT_CRASH && f->has_at)
                assert_true(f->at_ns + f->restart_after_ns <= end_ns);
            if (f->type == PIPE_FAULT_PARTITION) assert_true(f->heal_ns <= end_ns);
            if (f->type == PIPE_FAULT_PARTITION && i > 0 &&
                s->pipe.faults[i - 1].type == PIPE_FAULT_PARTITION)
                assert_true(f->at_ns > s->pipe.faults[i - 1].heal_ns); /* no overlap */
        }
        kinds |= r.kinds;
        free(s);
        swarm_run_free(&r);
    }
    assert_int_equal(kinds, (1u << SW_KINDS) - 1); /* 60 runs try every kind */
}

/* ---- the verdict's window promise rule ---- */

static void test_window_promise_rule(void **state) {
    (void)state;
    struct exp_outcome o = {.windows_enabled = true, .matches_reference = true};
    const uint32_t w = VRD_BIT(VRD_WINDOWS);
    assert_true(vrd_promised(DLV_EXACTLY_ONCE_CKPT, &o) & w);
    assert_true(vrd_promised(DLV_EXACTLY_ONCE, &o) & w);
    assert_true(vrd_promised(DLV_EXACTLY_ONCE_TXN, &o) & w);
    assert_false(vrd_promised(DLV_AT_LEAST_ONCE, &o) & w);
    assert_false(vrd_promised(DLV_AT_MOST_ONCE, &o) & w);
    o.worker_crashes = 1; /* volatile window state: only checkpoints keep the promise */
    assert_true(vrd_promised(DLV_EXACTLY_ONCE_CKPT, &o) & w);
    assert_false(vrd_promised(DLV_EXACTLY_ONCE, &o) & w);
    assert_false(vrd_promised(DLV_EXACTLY_ONCE_TXN, &o) & w);
    o.worker_crashes = 0;
    o.late_dropped = 2; /* the reference counts every record: no promise with late drops */
    assert_false(vrd_promised(DLV_EXACTLY_ONCE_CKPT, &o) & w);
    o.late_dropped = 0;
    o.windows_match_reference = false;
    assert_int_equal(vrd_violated(DLV_EXACTLY_ONCE, &o), w);
    assert_int_equal(vrd_violated(DLV_AT_LEAST_ONCE, &o), 0);
    o.lost = 3;
    o.duplicated = 1;
    assert_int_equal(vrd_violated(DLV_AT_MOST_ONCE, &o), VRD_BIT(VRD_DUPLICATED));
    assert_int_equal(vrd_violated(DLV_AT_LEAST_ONCE, &o), VRD_BIT(VRD_LOST));
    struct scn_verdict v;
    assert_false(scn_judge(NULL, DLV_AT_LEAST_ONCE, &o, NULL, SCN_JUDGE_GUARANTEE, &v));
    assert_int_equal(scn_verdict_first(&v), VRD_LOST);
    assert_string_equal(scn_key_name(scn_verdict_first(&v)), "lost");
}

/* ---- the verdict's model promise rule (docs/ml.md) ---- */

/* A model run whose sink output is perfect but whose model missed 5 records and consumed
 * 2 twice: the model's input is judged by the protocol's own promise (at-most-once: no
 * duplicate; at-least-once: no loss; the exactly-once variants: neither). */
static void test_model_promise_rule(void **state) {
    (void)state;
    struct exp_outcome o = {.model_enabled = true,
                            .matches_reference = true,
                            .model_input_lost = 5,
                            .model_input_duplicated = 2};
    const uint32_t ml = VRD_BIT(VRD_MODEL_LOST), md = VRD_BIT(VRD_MODEL_DUPLICATED);
    assert_int_equal(vrd_violated(DLV_AT_MOST_ONCE, &o), md);
    assert_int_equal(vrd_violated(DLV_AT_LEAST_ONCE, &o), ml);
    assert_int_equal(vrd_violated(DLV_EXACTLY_ONCE, &o), ml | md);
    assert_int_equal(vrd_violated(DLV_EXACTLY_ONCE_CKPT, &o), ml | md);
    struct scn_verdict v;
    assert_false(scn_judge(NULL, DLV_AT_LEAST_ONCE, &o, NULL, SCN_JUDGE_GUARANTEE, &v));
    assert_int_equal(scn_verdict_first(&v), VRD_MODEL_LOST);
    assert_string_equal(v.detail, "model_input_lost 5 (promised 0)");
    assert_string_equal(scn_key_name(VRD_MODEL_DUPLICATED), "model_input_duplicated");
    o.model_enabled = false; /* no model, no model promise */
    assert_int_equal(vrd_promised(DLV_EXACTLY_ONCE, &o) & (ml | md), 0);
    assert_int_equal(vrd_violated(DLV_EXACTLY_ONCE, &o), 0);
}

/* What a swarm writes and judges for a model run: the promise as bounds, and none of the
 * base's scenario-specific model keys (an unchecked entry checks nothing: a model that
 * differs from the fault-free one and an input that is not the reference pass). */
static void test_model_promise_as_expect(void **state) {
    (void)state;
    struct exp_outcome o = {.model_enabled = true, .matches_reference = true};
    struct scn_expect e;
    char y[512];
    scn_expect_promised(DLV_AT_MOST_ONCE, &o, NULL, &e);
    assert_int_equal(scn_expect_yaml(&e, y, sizeof y), 0);
    assert_string_equal(y, "{ duplicated: 0, model_input_duplicated: 0 }");
    scn_expect_promised(DLV_AT_LEAST_ONCE, &o, NULL, &e);
    assert_int_equal(scn_expect_yaml(&e, y, sizeof y), 0);
    assert_string_equal(y, "{ lost: 0, model_input_lost: 0 }");
    scn_expect_promised(DLV_EXACTLY_ONCE, &o, NULL, &e);
    assert_int_equal(scn_expect_yaml(&e, y, sizeof y), 0);
    assert_string_equal(y, "{ lost: 0, duplicated: 0, model_input_lost: 0, "
                           "model_input_duplicated: 0, matches_reference: true }");
    assert_int_equal(e.model_input_matches_reference, -1);
    assert_int_equal(e.model_identical_to_fault_free, -1);
    struct scn_verdict v;
    o.model_input_lost = 3; /* at-most-once may lose */
    assert_true(scn_judge(&e, DLV_AT_MOST_ONCE, &o, NULL, SCN_JUDGE_EXPECT, &v) == false);
    scn_expect_unchecked(&e);
    assert_true(
        scn_judge(&e, DLV_AT_MOST_ONCE, &o, NULL, SCN_JUDGE_GUARANTEE | SCN_JUDGE_EXPECT, &v));
    assert_string_equal(v.detail, "");
}

/* The late-run recheck gives every base the same number of retry rounds: 300 s for a
 * back-off capped at 1 s (the default), 300 x 20 s = 6000 s for the k-means scenario's
 * max_timeout of 20 s, never less than 300 s. */
static void test_recheck_drain_follows_the_backoff_cap(void **state) {
    (void)state;
    struct pipe_config c;
    pipe_config_defaults(&c);
    assert_int_equal(swarm_recheck_drain_ns(&c), 300ull * 1000000000ull);
    c.delivery.max_timeout_ns = 20ull * 1000000000ull;
    assert_int_equal(swarm_recheck_drain_ns(&c), 6000ull * 1000000000ull);
    c.delivery.max_timeout_ns = 100ull * 1000000ull; /* 100 ms: the 300 s floor */
    assert_int_equal(swarm_recheck_drain_ns(&c), 300ull * 1000000000ull);
}

/* ---- coverage moments at hand-made situations ---- */

/* 2 s of 4 keys at 50 records/s, 20 s of drain; the protocols and faults follow. */
#define MOMENT_HEAD                                                                                \
    "name: m\nabout: Moments.\nduration: 2s\ndrain: 20s\n"                                         \
    "source: { kind: keyed, keys: 4, rate: 50 }\n"

static struct exp_outcome run_text(const char *text, enum dlv_protocol p) {
    struct scenario *s = load_text("m.yaml", text);
    struct exp_outcome o;
    struct ft_error err = {0};
    if (exp_run(&s->pipe, p, s->seed, NULL, &o, &err)) fail_msg("%s", err.msg);
    free(s);
    return o;
}

/* One crash at after-emit (worker-1's 10th record; keys 0 and 2 of 4 go to its
 * partitions 0 and 2) and one ack dropped for r60, which the sink had shown: the crash
 * moment once; two acks of visible records lost — r60's by the rule, and the output-ack
 * of the record the crash cut off, which reaches worker-1 while it is down (r9: the
 * sink made it visible 1 ms after the emit); no moment the situation cannot reach. */
static void test_moments_at_a_crash_and_a_lost_ack(void **state) {
    (void)state;
    const char *text =
        MOMENT_HEAD "protocols: [at-least-once]\n"
                    "faults:\n"
                    "  - { crash: worker-1, step: after-emit, nth: 10, restart_after: 100ms }\n"
                    "  - { drop: ack, record: 60 }\n";
    struct exp_outcome o = run_text(text, DLV_AT_LEAST_ONCE);
    assert_int_equal(o.moments[PIPE_M_CRASH_AFTER_EMIT], 1);
    assert_int_equal(o.moments[PIPE_M_CRASH_AFTER_RECEIVE], 0);
    assert_int_equal(o.moments[PIPE_M_ACK_LOST_AFTER_VISIBLE], 2);
    assert_int_equal(o.moments[PIPE_M_ROLLBACK], 0);
    assert_int_equal(o.moments[PIPE_M_DUP_SUPPRESSED], 0); /* at-least-once has no dedup */
    assert_int_equal(o.worker_crashes, 1);
}

/* The same lost ack under exactly-once: the broker redelivers r60, the worker emits it
 * again and the sink's dedup hides the second copy: once. */
static void test_moment_duplicate_suppressed(void **state) {
    (void)state;
    const char *text = MOMENT_HEAD "protocols: [exactly-once]\n"
                                   "faults:\n  - { drop: ack, record: 60 }\n";
    struct exp_outcome o = run_text(text, DLV_EXACTLY_ONCE);
    assert_int_equal(o.moments[PIPE_M_ACK_LOST_AFTER_VISIBLE], 1);
    assert_int_equal(o.moments[PIPE_M_DUP_SUPPRESSED], 1);
    assert_int_equal(o.duplicated, 0);
}

/* Under exactly-once-checkpoint an output becomes visible only when the checkpoint after
 * it commits (every 1 s by default), while its ack to the broker goes as soon as the sink
 * holds it: r60 (about 1.2 s in) is acked long before it is visible, so losing that ack is
 * not an ack lost after the sink committed: 0. */
static void test_moment_ack_lost_before_visible_is_not_counted(void **state) {
    (void)state;
    const char *text = MOMENT_HEAD "protocols: [exactly-once-checkpoint]\n"
                                   "faults:\n  - { drop: ack, record: 60 }\n";
    struct exp_outcome o = run_text(text, DLV_EXACTLY_ONCE_CKPT);
    assert_int_equal(o.moments[PIPE_M_ACK_LOST_AFTER_VISIBLE], 0);
    assert_int_equal(o.lost, 0);
}

int main(void) {
    const struct CMUnitTest doc_tests[] = {
        cmocka_unit_test(test_doc_edits_emit_a_file_the_loader_reads_back),
        cmocka_unit_test(test_window_promise_rule),
        cmocka_unit_test(test_model_promise_rule),
        cmocka_unit_test(test_model_promise_as_expect),
        cmocka_unit_test(test_recheck_drain_follows_the_backoff_cap),
        cmocka_unit_test(test_moments_at_a_crash_and_a_lost_ack),
        cmocka_unit_test(test_moment_duplicate_suppressed),
        cmocka_unit_test(test_moment_ack_lost_before_visible_is_not_counted),
    };
    const struct CMUnitTest gen_tests[] = {
        cmocka_unit_test(test_generator_is_a_function_of_base_seed_and_run),
        cmocka_unit_test(test_generated_files_load_and_heal_in_time),
    };
    int rc = cmocka_run_group_tests(doc_tests, NULL, NULL);
    return rc | cmocka_run_group_tests(gen_tests, open_base, close_base);
}
