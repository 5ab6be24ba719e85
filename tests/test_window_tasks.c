/* The window state kept per input partition (a task, stream/window_stage.c) under
 * consumer-group rebalancing (a crash losing only its worker's tasks is in
 * test_window_pipeline.c): a planned move (the old owner alive behind a network partition) hands
 * the task over intact, so exactly-once's table equals the reference over several seeds while the
 * trace shows partition 2 moving with worker-3 up, and at-least-once counts some
 * replays twice; the same move after a crash starts the task empty, so exactly-once's
 * table differs from the reference although the warehouse stays exactly-once; and,
 * driving the stage directly, a record from a worker that does not host the task or of
 * an older generation than the task's (a zombie's) is not applied. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "experiment.h"
#include "pipe_internal.h"
#include "window_stage.h" /* the window stage's claim, revoke and record, driven directly */
#include "scenario.h"
#include "source.h"

#define S 1000000000ll

/* Node ids in a pipeline (pipeline.h): source 0, broker 1, worker-i (1-based) is i + 1. */
#define WORKER(i) ((uint32_t)(i) + 1u)

static struct scenario scn_store, *const scn = &scn_store; /* loaded by each test */

static void load(const char *path) {
    struct ft_error err = {0};
    if (scn_load(path, scn, &err)) fail_msg("%s:%d:%d: %s", err.file, err.line, err.col, err.msg);
}

/* What the trace shows of the group and of worker-3. */
struct seen {
    uint64_t move_ns[4], to_node[4], gen[4]; /* partition 2's moves, in order */
    uint32_t nmoves;
    uint64_t crash3_ns; /* worker-3's first crash, 0: none */
};

static void on_trace(const struct sim_trace_rec *t, void *ctx) {
    struct seen *v = ctx;
    if (t->type == SIM_TR_CRASH && t->node == WORKER(3) && !v->crash3_ns) v->crash3_ns = t->time_ns;
    if (t->type != SIM_TR_USER || t->kind != PIPE_TR_REBALANCE || t->id != 2 || v->nmoves == 4)
        return;
    v->move_ns[v->nmoves] = t->time_ns;
    v->to_node[v->nmoves] = (uint32_t)t->arg;
    v->gen[v->nmoves++] = t->arg >> 32;
}

static void run(enum dlv_protocol p, uint64_t seed, struct exp_outcome *o, struct exp_windows *w,
                struct seen *v) {
    struct ft_error err = {0};
    struct exp_options opt = {.trace = v ? on_trace : NULL, .trace_ctx = v};
    if (v) memset(v, 0, sizeof *v);
    int rc = exp_run_windows(&scn->pipe, p, seed, &opt, o, w, &err);
    if (rc) fail_msg("exp_run: %s", err.msg);
    assert_true(o->windows_enabled);
}

/* ---- rebalancing: a planned move hands the task over ---- */

/* Partition 2 (static owner worker-3) moved to worker-1 within a session timeout (1 s)
 * plus a heartbeat of the cut at 2 s, and back to worker-3 after the heal at 5 s. */
static void expect_move_and_back(const struct seen *v) {
    assert_int_equal(v->nmoves, 2);
    assert_int_equal(v->to_node[0], WORKER(1));
    assert_int_equal(v->gen[0], 2);
    assert_true(v->move_ns[0] > 2 * S + 800000000ll && v->move_ns[0] <= 3 * S + 100000000ll);
    assert_int_equal(v->to_node[1], WORKER(3));
    assert_int_equal(v->gen[1], 3);
    assert_true(v->move_ns[1] >= 5 * S && v->move_ns[1] < 5 * S + 200000000ll);
}

static void test_planned_move_keeps_window_state(void **state) {
    (void)state;
    load("scenarios/consumer-group-windows.yaml");
    assert_true(scn->pipe.group.rebalance);
    const enum dlv_protocol eo[] = {DLV_EXACTLY_ONCE, DLV_EXACTLY_ONCE_TXN};
    for (uint64_t seed = 1; seed <= 5; seed++)
        for (size_t i = 0; i < 2; i++) {
            struct exp_outcome o;
            struct exp_windows w = {0};
            struct seen v;
            run(eo[i], seed, &o, &w, &v);
            expect_move_and_back(&v);
            assert_int_equal(v.crash3_ns, 0); /* worker-3 was up all along */
            assert_int_equal(o.lost, 0);
            assert_int_equal(o.duplicated, 0);
            assert_true(o.windows_match_reference);
            assert_int_equal(o.windows_mismatched, 0);
            assert_int_equal(o.late_dropped, 0);
            assert_true(w.n > 100); /* 16 keys x 8 one-second windows */
            exp_windows_free(&w);
        }
}

/* The replays of the moved partition: at-least-once never loses a record but applies
 * some twice (its table above the reference in some seeds); exactly-once does not. */
static void test_at_least_once_counts_replays_after_the_move(void **state) {
    (void)state;
    load("scenarios/consumer-group-windows.yaml");
    uint32_t over = 0;
    for (uint64_t seed = 1; seed <= 10; seed++) {
        struct exp_outcome o;
        struct seen v;
        run(DLV_AT_LEAST_ONCE, seed, &o, NULL, &v);
        expect_move_and_back(&v);
        assert_int_equal(o.lost, 0);
        assert_int_equal(o.late_dropped, 0);
        if (!o.windows_match_reference) {
            assert_true(o.duplicated > 0); /* a record applied twice, not one lost */
            over++;
        }
    }
    assert_true(over > 0);
}

/* ---- the same move after a crash: the task's state died with its host ---- */

static void test_move_after_crash_starts_the_task_empty(void **state) {
    (void)state;
    load("scenarios/consumer-group-windows.yaml");
    assert_int_equal(scn->pipe.nfaults, 1);
    assert_int_equal(scn->pipe.faults[0].type, PIPE_FAULT_PARTITION);
    struct pipe_fault *f = &scn->pipe.faults[0]; /* worker-3 crashes instead, back at 5 s */
    *f = (struct pipe_fault){.type = PIPE_FAULT_CRASH,
                             .has_at = true,
                             .at_ns = 2 * S,
                             .restart_after_ns = 3 * S,
                             .record = PIPE_ANY,
                             .nth = 1};
    snprintf(f->node, sizeof f->node, "worker-3");
    for (uint64_t seed = 1; seed <= 3; seed++) {
        struct exp_outcome o;
        struct exp_windows w = {0};
        struct seen v;
        run(DLV_EXACTLY_ONCE, seed, &o, &w, &v);
        assert_int_equal(v.crash3_ns, 2 * S);
        expect_move_and_back(&v); /* the same moves, worker-3 down at the first */
        assert_true(v.move_ns[0] > v.crash3_ns);
        assert_int_equal(o.lost, 0);
        assert_int_equal(o.duplicated, 0);
        assert_true(o.matches_reference); /* the warehouse is still exactly-once */
        assert_false(o.windows_match_reference);
        assert_true(o.windows_mismatched > 0);
        exp_windows_free(&w);
    }
}

/* ---- fencing: only the host, in the task's generation, applies records ---- */

static uint64_t applied(const struct pipe *p) {
    struct pipe_window_stats ws;
    pipe_window_stats(p, &ws);
    return ws.applied;
}

/* Worker node `node` hands the stage a record of partition 2 in generation gen. */
static void feed(struct sim *s, struct pipe *p, uint32_t node, uint64_t gen, uint64_t offset) {
    struct wire in = {.rec = offset,
                      .key = 1,
                      .event_ns = S,
                      .created_ns = S,
                      .value = 1,
                      .partition = 2,
                      .offset = offset,
                      .end = offset + 1,
                      .epoch = gen};
    wstage_record(s, p, node, &in);
}

static void test_zombie_records_do_not_touch_the_task(void **state) {
    (void)state;
    load("scenarios/consumer-group-windows.yaml");
    scn->pipe.nfaults = 0;
    scn->pipe.query.driver = PIPE_DRIVER_CONTINUOUS; /* a record is applied when fed */
    struct sim *s = sim_new(&(struct sim_config){.seed = 1});
    assert_non_null(s);
    struct pipe *p = NULL;
    struct ft_error err = {0};
    /* at-least-once: no applied-offset dedup, so only the fence keeps a record out */
    assert_int_equal(pipe_build(s, &scn->pipe, DLV_AT_LEAST_ONCE, 1, NULL, &p, &err), 0);
    assert_int_equal(sim_run_until(s, S), 0); /* generation 1: p2 on worker-3 */
    uint64_t n = applied(p), off = 1000000;
    feed(s, p, WORKER(3), 1, off++);
    assert_int_equal(applied(p), n + 1);
    feed(s, p, WORKER(1), 1, off++); /* worker-1 does not host p2 */
    assert_int_equal(applied(p), n + 1);
    wstage_claim(s, p, WORKER(1), 2, 2); /* p2 moves to worker-1 in generation 2 */
    feed(s, p, WORKER(3), 1, off++);     /* the zombie */
    feed(s, p, WORKER(1), 1, off++);     /* the host, but an older generation */
    assert_int_equal(applied(p), n + 1);
    feed(s, p, WORKER(1), 2, off++);
    assert_int_equal(applied(p), n + 2);
    wstage_claim(s, p, WORKER(2), 2, 1); /* a stale assignment is ignored */
    feed(s, p, WORKER(2), 1, off++);
    assert_int_equal(applied(p), n + 2);
    feed(s, p, WORKER(1), 2, off++);
    assert_int_equal(applied(p), n + 3);
    wstage_revoke(p, WORKER(1), 2, 3); /* revoked: nobody hosts p2 until the next claim */
    feed(s, p, WORKER(1), 2, off++);
    feed(s, p, WORKER(1), 3, off++);
    assert_int_equal(applied(p), n + 3);
    wstage_claim(s, p, WORKER(3), 2, 3);
    feed(s, p, WORKER(3), 3, off++);
    assert_int_equal(applied(p), n + 4);
    pipe_free(p);
    sim_free(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_planned_move_keeps_window_state),
        cmocka_unit_test(test_at_least_once_counts_replays_after_the_move),
        cmocka_unit_test(test_move_after_crash_starts_the_task_empty),
        cmocka_unit_test(test_zombie_records_do_not_touch_the_task),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
