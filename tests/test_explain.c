/* `ftsim explain` (analysis/explain.h) against the raw trace of the same run, collected
 * here through exp_run's trace hook and searched by this file's own rules, never by
 * explain.c's: a record's copies are its "visible" events, the fault is found by
 * counting (lost-ack.yaml drops the 17th ack from worker-1 to the broker, the ack of
 * record 28, as tests/test_trace_filter.c derives), a crash by its fault and crash
 * events, a down or partition drop by its reason. Each chain's cause, copies, retry and
 * resend must be exactly those raw events: same time, nodes and message id. Also: a
 * crash that loses many records gives one group naming it; --json parses (with
 * SQLite's JSON functions) to the same; a checkpoint rollback is named in a rolled
 * back record's chain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "experiment.h"
#include "explain.h"
#include "scenario.h"
#include "sim.h"
#include "trace_testutil.h"

/* node ids of a pipeline with two workers (stream/pipeline.h): source 0, broker 1,
 * worker-1 2, worker-2 3, sink 4; the kinds of stream/pipeline.h's enum, stated here */
enum { BROKER = 1, WORKER1 = 2, WORKER2 = 3, SINK = 4 };
enum { K_PRODUCE = 1, K_RECORD = 3, K_ACK = 4, K_OUTPUT = 5, K_OUTPUT_ACK = 6 };
enum { U_VISIBLE = 1, U_CKPT_COMPLETE = 7, U_CKPT_COMMIT = 9, U_CKPT_ROLLBACK = 10 };

/* ---- the raw trace ---- */

struct raw {
    struct sim_trace_rec *r;
    size_t n, cap;
    struct scenario *scn;
    uint64_t sent;
};

static void collect(const struct sim_trace_rec *r, void *ctx) {
    struct raw *w = ctx;
    tu_trace_push(&w->r, &w->n, &w->cap, r);
}

static void raw_run(const char *file, enum dlv_protocol p, struct raw *w) {
    memset(w, 0, sizeof *w);
    w->scn = calloc(1, sizeof *w->scn);
    assert_non_null(w->scn);
    struct ft_error err = {0};
    if (scn_load(file, w->scn, &err) != 0) fail_msg("%s", err.msg);
    struct exp_options eo = {.trace = collect, .trace_ctx = w};
    struct exp_outcome out;
    if (exp_run(&w->scn->pipe, p, w->scn->seed, &eo, &out, &err) != 0) fail_msg("%s", err.msg);
    w->sent = out.sent;
}

static void raw_free(struct raw *w) {
    free(w->r);
    free(w->scn);
}

static void explain(const struct raw *w, enum dlv_protocol p, const struct explain_opts *o,
                    struct explain_result *res) {
    struct ft_error err = {0};
    if (explain_run(&w->scn->pipe, p, w->scn->seed, o, res, &err) != 0) fail_msg("%s", err.msg);
}

static bool is_msg(const struct sim_trace_rec *r) {
    return r->type >= SIM_TR_SEND && r->type <= SIM_TR_DUP;
}

/* Record-carrying kinds: produce .. commit-ack (1..8), stated from pipeline.h. */
static bool of_rec(const struct sim_trace_rec *r, uint64_t rec) {
    return is_msg(r) && r->kind >= 1 && r->kind <= 8 && r->tag == rec;
}

static bool visible_of(const struct sim_trace_rec *r, uint64_t rec) {
    return r->type == SIM_TR_USER && r->kind == U_VISIBLE && r->id == rec;
}

/* The raw indexes of record rec's visible events (at most 8). */
static size_t raw_visible(const struct raw *w, uint64_t rec, size_t *at) {
    size_t n = 0;
    for (size_t i = 0; i < w->n && n < 8; i++)
        if (visible_of(&w->r[i], rec)) at[n++] = i;
    return n;
}

/* Copies per record, counted from the raw visible events. */
static uint32_t *raw_copies(const struct raw *w) {
    uint32_t *c = calloc(w->sent + 1, sizeof *c);
    assert_non_null(c);
    for (size_t i = 0; i < w->n; i++)
        if (w->r[i].type == SIM_TR_USER && w->r[i].kind == U_VISIBLE && w->r[i].id < w->sent)
            c[w->r[i].id]++;
    return c;
}

/* The index of the first raw event after `from` matching (type, node, kind, rec, reason
 * when not 0); SIZE_MAX without one. */
static size_t raw_find(const struct raw *w, size_t from, uint8_t type, uint32_t node, uint32_t kind,
                       uint64_t rec, uint8_t reason) {
    for (size_t i = from; i < w->n; i++) {
        const struct sim_trace_rec *r = &w->r[i];
        if (r->type == type && r->node == node && r->kind == kind && of_rec(r, rec) &&
            (!reason || r->reason == reason))
            return i;
    }
    return SIZE_MAX;
}

/* ---- the chain ---- */

static const struct explain_record *find_rec(const struct explain_result *res, uint64_t rec) {
    for (size_t i = 0; i < res->nrecs; i++)
        if (res->recs[i].rec == rec) return &res->recs[i];
    fail_msg("record %llu is not explained", (unsigned long long)rec);
    return NULL;
}

/* The chain's event at raw index i; fails without one. */
static const struct explain_event *at_seq(const struct explain_record *x, size_t i) {
    for (uint32_t k = 0; k < x->n; k++)
        if (x->chain[k].seq == i) return &x->chain[k];
    fail_msg("r%llu's chain lacks raw event %zu", (unsigned long long)x->rec, i);
    return NULL;
}

/* A chain event equals raw event i: time, type, nodes, message id. */
static void same_event(const struct raw *w, const struct explain_event *e, size_t i) {
    const struct sim_trace_rec *r = &w->r[i];
    assert_int_equal(e->seq, i);
    assert_int_equal(e->t_ns, r->time_ns);
    assert_int_equal(e->type, r->type);
    assert_int_equal(e->node, r->node);
    if (is_msg(r)) {
        assert_int_equal(e->peer, r->peer);
        assert_int_equal(e->msg, r->id);
        assert_int_equal(e->kind, r->kind);
        assert_int_equal(e->reason, r->reason);
    }
}

/* Every event of every kept chain is the raw event at its position. */
static void chains_are_raw(const struct raw *w, const struct explain_result *res) {
    for (size_t i = 0; i < res->nrecs; i++)
        for (uint32_t k = 0; k < res->recs[i].n; k++) {
            const struct explain_event *e = &res->recs[i].chain[k];
            assert_true(e->seq < w->n);
            same_event(w, e, (size_t)e->seq);
        }
}

/* Both copies of a duplicated record are in its chain as the raw visible events. */
static void copies_are_raw(const struct raw *w, const struct explain_record *x) {
    size_t vis[8], nv = raw_visible(w, x->rec, vis);
    assert_int_equal(nv, x->copies);
    for (size_t k = 0; k < nv; k++)
        same_event(w, at_seq(x, vis[k]), vis[k]);
}

/* ---- lost-ack.yaml ---- */

static void test_lost_ack_chain_is_the_dropped_ack_and_the_retry(void **state) {
    (void)state;
    struct raw w;
    raw_run("scenarios/lost-ack.yaml", DLV_AT_LEAST_ONCE, &w);
    /* the 17th ack worker-1 -> broker, counted in the raw trace: record 28's */
    size_t acks = 0, drop = SIZE_MAX;
    for (size_t i = 0; i < w.n && drop == SIZE_MAX; i++) {
        const struct sim_trace_rec *r = &w.r[i];
        if (r->type == SIM_TR_SEND && r->kind == K_ACK && r->node == WORKER1 && r->peer == BROKER &&
            ++acks == 17) {
            assert_int_equal(r->tag, 28);
            assert_true(i + 1 < w.n);
            drop = i + 1; /* dropped by the rule at the send */
        }
    }
    assert_int_equal(w.r[drop].type, SIM_TR_DROP);
    assert_int_equal(w.r[drop].reason, SIM_DROP_RULE);
    /* the broker's sends of r28: the first, then the resend after the drop */
    size_t s1 = raw_find(&w, 0, SIM_TR_SEND, BROKER, K_RECORD, 28, 0);
    size_t s2 = raw_find(&w, drop, SIM_TR_SEND, BROKER, K_RECORD, 28, 0);
    assert_true(s1 < drop && s2 != SIZE_MAX);

    struct explain_result res;
    explain(&w, DLV_AT_LEAST_ONCE, NULL, &res);
    assert_int_equal(res.outcome.duplicated, 1);
    assert_int_equal(res.ngroups, 1);
    assert_int_equal(res.groups[0].by, EXPLAIN_BY_RULE);
    assert_int_equal(res.groups[0].fault, 0); /* the file's only fault */
    assert_int_equal(res.nrecs, 1);
    const struct explain_record *x = &res.recs[0];
    assert_int_equal(x->rec, 28);
    assert_int_equal(x->verdict, EXPLAIN_DUPLICATED);
    assert_int_equal(x->copies, 2);
    assert_int_not_equal(x->cause, EXPLAIN_NONE);
    same_event(&w, &x->chain[x->cause], drop); /* the cause: the dropped ack */
    assert_int_equal(x->chain[x->cause].node, WORKER1);
    assert_int_equal(x->chain[x->cause].peer, BROKER);
    copies_are_raw(&w, x);
    /* the resend, and the broker's timer that fired just before it in the raw trace */
    const struct explain_event *resend = at_seq(x, s2);
    assert_true(resend->key);
    assert_int_equal(w.r[s2 - 1].type, SIM_TR_TIMER);
    assert_int_equal(w.r[s2 - 1].node, BROKER);
    const struct explain_event *timer = at_seq(x, s2 - 1);
    assert_int_equal(timer->role, EXPLAIN_RETRY);
    assert_int_equal(timer->a, w.r[s2].time_ns - w.r[s1].time_ns); /* its delay */
    chains_are_raw(&w, &res);
    explain_free(&res);
    raw_free(&w);
}

/* ---- crash-during-processing.yaml ---- */

/* The raw step fault (at step id 1, after-emit) and worker-1's crash and restart. */
static void raw_crash(const struct raw *w, size_t *fault, size_t *crash, size_t *restart) {
    *fault = *crash = *restart = SIZE_MAX;
    for (size_t i = 0; i < w->n; i++) {
        const struct sim_trace_rec *r = &w->r[i];
        if (r->type == SIM_TR_FAULT && *fault == SIZE_MAX) *fault = i;
        if (r->type == SIM_TR_CRASH && r->node == WORKER1 && *crash == SIZE_MAX) *crash = i;
        if (r->type == SIM_TR_RESTART && r->node == WORKER1 && *restart == SIZE_MAX) *restart = i;
    }
    assert_true(*fault != SIZE_MAX && *crash == *fault + 1 && *restart > *crash);
    assert_int_equal(w->r[*fault].node, WORKER1);
}

static void test_crash_loses_a_group_named_by_the_crash(void **state) {
    (void)state;
    struct raw w;
    raw_run("scenarios/crash-during-processing.yaml", DLV_AT_MOST_ONCE, &w);
    size_t fault, crash, restart;
    raw_crash(&w, &fault, &crash, &restart);
    uint32_t *copies = raw_copies(&w);
    struct explain_result res;
    explain(&w, DLV_AT_MOST_ONCE, NULL, &res);
    assert_true(res.outcome.lost > 1);
    assert_int_equal(res.ngroups, 1); /* one cause: the crash */
    const struct explain_group *g = &res.groups[0];
    assert_int_equal(g->verdict, EXPLAIN_LOST);
    assert_int_equal(g->by, EXPLAIN_BY_CRASH);
    same_event(&w, &g->event, crash);
    assert_true(g->has_end);
    same_event(&w, &g->end, restart);
    assert_int_equal(g->fault, 0);
    uint64_t lost = 0;
    for (uint64_t rec = 0; rec < w.sent; rec++) {
        if (copies[rec]) continue;
        assert_int_equal(g->recs[lost], rec); /* the same records, ascending */
        lost++;
        /* by hand: sent to worker-1 while it was down, dropped there, never again */
        size_t d = raw_find(&w, crash, SIM_TR_DROP, BROKER, K_RECORD, rec, SIM_DROP_DOWN);
        assert_true(d != SIZE_MAX && d < restart);
        const struct explain_record *x = find_rec(&res, rec);
        assert_int_not_equal(x->cause, EXPLAIN_NONE);
        same_event(&w, &x->chain[x->cause], d);
        same_event(&w, at_seq(x, crash), crash);
    }
    assert_int_equal(lost, g->nrec);
    assert_int_equal(lost, res.outcome.lost);
    assert_int_equal(g->n_to, lost);
    chains_are_raw(&w, &res);
    explain_free(&res);
    free(copies);
    raw_free(&w);
}

static void test_crash_after_emit_duplicates_the_emitted_record(void **state) {
    (void)state;
    struct raw w;
    raw_run("scenarios/crash-during-processing.yaml", DLV_AT_LEAST_ONCE, &w);
    size_t fault, crash, restart;
    raw_crash(&w, &fault, &crash, &restart);
    uint64_t rec = w.r[fault].arg; /* the record the step crash hit */
    /* by hand: the broker's send of it that reached worker-1 after the restart */
    size_t in = raw_find(&w, restart, SIM_TR_DELIVER, WORKER1, K_RECORD, rec, 0);
    assert_true(in != SIZE_MAX);
    size_t resend = SIZE_MAX;
    for (size_t i = 0; i < in; i++)
        if (w.r[i].type == SIM_TR_SEND && w.r[i].id == w.r[in].id) resend = i;
    assert_true(resend != SIZE_MAX);
    struct explain_result res;
    explain(&w, DLV_AT_LEAST_ONCE, NULL, &res);
    assert_int_equal(res.outcome.duplicated, 1);
    assert_int_equal(res.ngroups, 1);
    assert_int_equal(res.groups[0].by, EXPLAIN_BY_CRASH);
    same_event(&w, &res.groups[0].event, crash);
    const struct explain_record *x = find_rec(&res, rec);
    assert_int_equal(x->verdict, EXPLAIN_DUPLICATED);
    same_event(&w, &x->chain[x->cause], crash);
    same_event(&w, at_seq(x, fault), fault);
    same_event(&w, at_seq(x, restart), restart);
    const struct explain_event *r = at_seq(x, resend);
    assert_true(r->key);
    same_event(&w, r, resend);
    copies_are_raw(&w, x);
    chains_are_raw(&w, &res);
    explain_free(&res);
    raw_free(&w);
}

/* ---- checkpoint-crash.yaml ---- */

static void test_checkpoint_crash_duplicates_by_rule_and_crash(void **state) {
    (void)state;
    struct raw w;
    raw_run("scenarios/checkpoint-crash.yaml", DLV_AT_LEAST_ONCE, &w);
    uint32_t *copies = raw_copies(&w);
    /* by hand: each duplicated record had an ack dropped by the rule or is the record
     * of worker-2's step crash (after-emit) */
    uint64_t step_rec = UINT64_MAX;
    size_t crash = SIZE_MAX;
    for (size_t i = 0; i + 1 < w.n; i++)
        if (w.r[i].type == SIM_TR_FAULT && w.r[i].node == WORKER2) {
            step_rec = w.r[i].arg;
            crash = i + 1;
        }
    assert_int_equal(w.r[crash].type, SIM_TR_CRASH);
    struct explain_result res;
    explain(&w, DLV_AT_LEAST_ONCE, NULL, &res);
    uint64_t ndup = 0;
    for (uint64_t rec = 0; rec < w.sent; rec++) {
        if (copies[rec] < 2) continue;
        ndup++;
        const struct explain_record *x = find_rec(&res, rec);
        assert_int_equal(x->copies, copies[rec]);
        copies_are_raw(&w, x);
        const struct explain_group *g = &res.groups[x->group];
        size_t d = raw_find(&w, 0, SIM_TR_DROP, WORKER2, K_ACK, rec, SIM_DROP_RULE);
        if (rec == step_rec) {
            assert_int_equal(g->by, EXPLAIN_BY_CRASH);
            same_event(&w, &x->chain[x->cause], crash);
        } else {
            assert_true(d != SIZE_MAX); /* its first ack dropped by the rule is the cause */
            assert_int_equal(g->by, EXPLAIN_BY_RULE);
            same_event(&w, &x->chain[x->cause], d);
        }
    }
    assert_int_equal(ndup, res.nexplained);
    assert_int_equal(res.ngroups, 2);
    chains_are_raw(&w, &res);
    assert_true(res.rows_differ > 0); /* the window table too (the crash lost state) */
    explain_free(&res);
    free(copies);
    raw_free(&w);
}

/* A record whose output the rollback dropped: its chain names the rollback and the
 * checkpoint that committed it afterwards (by hand: an output at the sink before the
 * raw rollback, the record visible after it, with a checkpoint commit at that instant). */
static void test_checkpoint_rollback_is_in_the_chain(void **state) {
    (void)state;
    struct raw w;
    raw_run("scenarios/checkpoint-crash.yaml", DLV_EXACTLY_ONCE_CKPT, &w);
    size_t rb = SIZE_MAX;
    for (size_t i = 0; i < w.n && rb == SIZE_MAX; i++)
        if (w.r[i].type == SIM_TR_USER && w.r[i].kind == U_CKPT_ROLLBACK) rb = i;
    assert_true(rb != SIZE_MAX);
    uint64_t rec = UINT64_MAX;
    size_t vis = SIZE_MAX;
    for (size_t i = rb; i > 0 && rec == UINT64_MAX; i--) {
        const struct sim_trace_rec *r = &w.r[i - 1];
        if (r->type != SIM_TR_DELIVER || r->kind != K_OUTPUT || r->node != SINK) continue;
        size_t v[8], nv = raw_visible(&w, r->tag, v);
        if (nv == 1 && v[0] > rb) rec = r->tag, vis = v[0];
    }
    assert_true(rec != UINT64_MAX);
    size_t commit = vis + 1;
    while (commit < w.n && !(w.r[commit].type == SIM_TR_USER && w.r[commit].kind == U_CKPT_COMMIT))
        commit++;
    assert_int_equal(w.r[commit].time_ns, w.r[vis].time_ns);
    struct explain_opts o = {.has_record = true, .record = rec};
    struct explain_result res;
    explain(&w, DLV_EXACTLY_ONCE_CKPT, &o, &res);
    assert_int_equal(res.nrecs, 1);
    const struct explain_record *x = &res.recs[0];
    assert_int_equal(x->verdict, EXPLAIN_ONCE);
    same_event(&w, at_seq(x, rb), rb);
    same_event(&w, at_seq(x, vis), vis);
    const struct explain_event *c = at_seq(x, commit);
    assert_true(c->key);
    uint64_t k = w.r[commit].id;
    size_t complete = SIZE_MAX;
    for (size_t i = 0; i < commit; i++)
        if (w.r[i].type == SIM_TR_USER && w.r[i].kind == U_CKPT_COMPLETE && w.r[i].id == k)
            complete = i;
    same_event(&w, at_seq(x, complete), complete);
    chains_are_raw(&w, &res);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    explain_write_story(f, &res, x);
    fclose(f);
    assert_non_null(strstr(buf, "rolled the job back to checkpoint"));
    assert_non_null(strstr(buf, "committed checkpoint"));
    free(buf);
    explain_free(&res);
    raw_free(&w);
}

/* ---- --json ---- */

static int64_t json_int(sqlite3 *db, const char *json, const char *path) {
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT json_extract(?1, ?2)", -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void test_json_has_the_chain(void **state) {
    (void)state;
    struct raw w;
    raw_run("scenarios/lost-ack.yaml", DLV_AT_LEAST_ONCE, &w);
    size_t drop = SIZE_MAX;
    for (size_t i = 0; i < w.n && drop == SIZE_MAX; i++)
        if (w.r[i].type == SIM_TR_DROP && w.r[i].reason == SIM_DROP_RULE) drop = i;
    struct explain_result res;
    explain(&w, DLV_AT_LEAST_ONCE, NULL, &res);
    char *json = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&json, &len);
    explain_write_json(f, &res);
    fclose(f);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(json_int(db, json, "$.duplicated"), 1);
    assert_int_equal(json_int(db, json, "$.records[0].record"), 28);
    assert_int_equal(json_int(db, json, "$.records[0].copies"), 2);
    int64_t cause = json_int(db, json, "$.records[0].cause");
    char path[96];
    snprintf(path, sizeof path, "$.records[0].chain[%lld].msg", (long long)cause);
    assert_int_equal(json_int(db, json, path), w.r[drop].id);
    snprintf(path, sizeof path, "$.records[0].chain[%lld].t_ns", (long long)cause);
    assert_int_equal(json_int(db, json, path), w.r[drop].time_ns);
    assert_int_equal(json_int(db, json, "$.groups[0].records"), 1);
    assert_int_equal(json_int(db, json, "$.groups[0].ids[0]"), 28);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT json_extract(?1, '$.records[0].chain[' || ?2 || "
                                        "'].reason'), json_extract(?1, '$.groups[0].cause')",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, cause);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "rule");
    assert_string_equal((const char *)sqlite3_column_text(st, 1), "rule");
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(json);
    explain_free(&res);
    raw_free(&w);
}

static void test_unknown_record_is_refused(void **state) {
    (void)state;
    struct raw w;
    raw_run("scenarios/lost-ack.yaml", DLV_AT_LEAST_ONCE, &w);
    struct explain_opts o = {.has_record = true, .record = w.sent};
    struct explain_result res;
    struct ft_error err = {0};
    assert_int_equal(explain_run(&w.scn->pipe, DLV_AT_LEAST_ONCE, w.scn->seed, &o, &res, &err),
                     FT_ENOENT);
    assert_non_null(strstr(err.msg, "never generated"));
    raw_free(&w);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lost_ack_chain_is_the_dropped_ack_and_the_retry),
        cmocka_unit_test(test_crash_loses_a_group_named_by_the_crash),
        cmocka_unit_test(test_crash_after_emit_duplicates_the_emitted_record),
        cmocka_unit_test(test_checkpoint_crash_duplicates_by_rule_and_crash),
        cmocka_unit_test(test_checkpoint_rollback_is_in_the_chain),
        cmocka_unit_test(test_json_has_the_chain),
        cmocka_unit_test(test_unknown_record_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
