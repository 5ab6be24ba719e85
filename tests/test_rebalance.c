/* Consumer-group rebalancing (stream/group.c, docs/scenario-format.md `group`): the
 * assignment rule on hand-written tables; a crashed worker's partition owned by the
 * survivor the rule names, within session_timeout of the crash, and its records
 * visible again from then on; a restarted worker getting its partitions back (the
 * rows' worker field); a worker that restarts within its session keeping them; the
 * delivery guarantees over many seeds with crashes, loss and partitions; a zombie
 * behind a healed network partition fenced at the broker and the sink; and rebalance
 * off sending nothing new. Per-record visibility comes from the sink's observer, moves
 * and fencing from the trace, expected records from the generator replayed here. */
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

#define MS SIM_NS_PER_MS
#define S SIM_NS_PER_S

/* Node ids in a pipeline (pipeline.h): source 0, broker 1, worker-i is i + 1. */
#define BROKER 1u
#define WORKER(i) ((uint32_t)(i) + 1u)

/* pipeline.c's key -> partition hash, restated so expectations do not call it. */
static uint32_t partition_of(uint32_t key, uint32_t partitions) {
    return (uint32_t)((((uint64_t)key * 0x9e3779b97f4a7c15ull) >> 32) % partitions);
}

/* ---- one observed run ---- */

struct uev { /* a pipeline trace event other than VISIBLE */
    uint64_t t_ns;
    uint32_t node, kind;
    uint64_t a, b;
};

struct run {
    uint64_t n;
    struct src_record *rec; /* the generator, replayed here */
    uint32_t *count;        /* visible copies per record */
    uint64_t *first_ns;     /* when first visible */
    uint32_t *worker;       /* node id of the worker behind its last visible row */
    uint64_t unknown;       /* visible rows naming no generated record */
    struct uev *ev;
    size_t nev, cap;
    uint64_t heartbeats, assigns; /* messages of these kinds sent */
    bool matches_reference;       /* the warehouse's per-key counts equal the input's */
};

static void gen_all(const struct pipe_config *cfg, uint64_t seed, struct run *r) {
    struct src_gen g;
    assert_int_equal(src_gen_init(&g, &cfg->source, cfg->duration_ns, seed), 0);
    uint64_t cap = 1024;
    r->rec = malloc(cap * sizeof *r->rec);
    assert_non_null(r->rec);
    struct src_record x;
    while (src_gen_next(&g, &x)) {
        if (r->n == cap) {
            cap *= 2;
            r->rec = realloc(r->rec, cap * sizeof *r->rec);
            assert_non_null(r->rec);
        }
        assert_int_equal(x.id, r->n);
        r->rec[r->n++] = x;
    }
    src_gen_free(&g);
}

static void on_visible(void *ctx, const struct pipe_row *row, uint64_t now_ns) {
    struct run *r = ctx;
    if (row->rec >= r->n) {
        r->unknown++;
        return;
    }
    if (!r->count[row->rec]++) r->first_ns[row->rec] = now_ns;
    r->worker[row->rec] = row->worker;
}

static void on_trace(const struct sim_trace_rec *t, void *ctx) {
    struct run *r = ctx;
    if (t->type == SIM_TR_SEND && t->kind == PIPE_MSG_HEARTBEAT) r->heartbeats++;
    if (t->type == SIM_TR_SEND && t->kind == PIPE_MSG_ASSIGN) r->assigns++;
    if (t->type != SIM_TR_USER || t->kind == PIPE_TR_VISIBLE || t->kind >= PIPE_TR_CKPT_TRIGGER)
        return; /* group events only */
    if (r->nev == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 64;
        r->ev = realloc(r->ev, r->cap * sizeof *r->ev);
        assert_non_null(r->ev);
    }
    r->ev[r->nev++] = (struct uev){t->time_ns, t->node, t->kind, t->id, t->arg};
}

/* Runs cfg under protocol p and seed to the end (duration + drain), observing it. */
static void run(const struct pipe_config *cfg, enum dlv_protocol p, uint64_t seed, struct run *r) {
    memset(r, 0, sizeof *r);
    gen_all(cfg, seed, r);
    r->count = calloc(r->n, sizeof *r->count);
    r->first_ns = calloc(r->n, sizeof *r->first_ns);
    r->worker = calloc(r->n, sizeof *r->worker);
    assert_true(r->count && r->first_ns && r->worker);
    struct sim *s = sim_new(&(struct sim_config){.seed = seed});
    assert_non_null(s);
    sim_set_trace_hook(s, on_trace, r);
    struct pipe_observer obs = {on_visible, r, NULL};
    struct pipe *pipe = NULL;
    struct ft_error err;
    memset(&err, 0, sizeof err);
    int rc = pipe_build(s, cfg, p, seed, &obs, &pipe, &err);
    if (rc) fprintf(stderr, "pipe_build: %s\n", err.msg);
    assert_int_equal(rc, 0);
    rc = sim_run_until(s, cfg->duration_ns + cfg->drain_ns);
    if (rc) fprintf(stderr, "run: %s\n", sim_error(s)->msg);
    assert_int_equal(rc, 0);
    uint32_t nkeys;
    const uint64_t *got = pipe_warehouse_counts(pipe, &nkeys);
    uint64_t *want = calloc(nkeys, sizeof *want);
    assert_non_null(want);
    for (uint64_t i = 0; i < r->n; i++) want[r->rec[i].key]++;
    r->matches_reference = memcmp(got, want, nkeys * sizeof *want) == 0 && r->unknown == 0;
    free(want);
    pipe_free(pipe);
    sim_free(s);
}

static void run_free(struct run *r) {
    free(r->rec);
    free(r->count);
    free(r->first_ns);
    free(r->worker);
    free(r->ev);
}

/* The i-th event of `kind` (0-based), or NULL. */
static const struct uev *event(const struct run *r, uint32_t kind, size_t i) {
    for (size_t k = 0; k < r->nev; k++)
        if (r->ev[k].kind == kind && i-- == 0) return &r->ev[k];
    return NULL;
}

static size_t events(const struct run *r, uint32_t kind) {
    size_t n = 0;
    for (size_t k = 0; k < r->nev; k++) n += r->ev[k].kind == kind;
    return n;
}

static void expect_move(const struct uev *e, uint32_t partition, uint64_t gen, uint32_t node,
                        uint64_t at_ns) {
    assert_non_null(e);
    if (e->a != partition || e->b != (gen << 32 | node) || e->t_ns != at_ns)
        fprintf(stderr, "move: partition %llu -> node %u gen %llu at %llu ns; expected %u -> %u "
                        "gen %llu at %llu\n",
                (unsigned long long)e->a, (uint32_t)e->b, (unsigned long long)(e->b >> 32),
                (unsigned long long)e->t_ns, partition, node, (unsigned long long)gen,
                (unsigned long long)at_ns);
    assert_int_equal(e->node, BROKER);
    assert_int_equal(e->a, partition);
    assert_int_equal(e->b, gen << 32 | node);
    assert_int_equal(e->t_ns, at_ns);
}

/* ---- configurations ---- */

/* 3 workers, 4 partitions (static owners: p0, p3 -> worker-1, p1 -> worker-2,
 * p2 -> worker-3), fixed 1 ms latency, heartbeats every 100 ms, 1 s sessions. */
static void group_config(struct pipe_config *c) {
    pipe_config_defaults(c);
    c->workers = 3;
    c->partitions = 4;
    c->duration_ns = 6 * S;
    c->drain_ns = 10 * S;
    c->source = (struct pipe_source){.kind = SRC_KEYED, .keys = 16, .rate_per_s = 400.0};
    c->network = (struct net_link_cfg){.latency_ns = MS};
    c->group = (struct pipe_group){.rebalance = true, .heartbeat_ns = 100 * MS,
                                   .session_timeout_ns = S};
}

static void add_crash(struct pipe_config *c, const char *node, uint64_t at_ns,
                      uint64_t restart_after_ns) {
    assert_true(c->nfaults < PIPE_FAULTS_MAX);
    struct pipe_fault *f = &c->faults[c->nfaults++];
    memset(f, 0, sizeof *f);
    f->type = PIPE_FAULT_CRASH;
    snprintf(f->node, sizeof f->node, "%s", node);
    f->has_at = true;
    f->at_ns = at_ns;
    f->record = PIPE_ANY;
    f->restart_after_ns = restart_after_ns;
}

/* ---- the assignment rule ---- */

static void test_assignment_rule_on_hand_written_tables(void **state) {
    (void)state;
    /* all members: the static owners p mod W */
    const uint8_t all[3] = {1, 1, 1};
    for (uint32_t p = 0; p < 6; p++) assert_int_equal(pipe_group_owner(all, 3, p), p % 3);
    /* worker index 2 out: members {0, 1}; p2 -> 2 mod 2 = 0, p5 -> 5 mod 2 = 1 */
    const uint8_t no2[3] = {1, 1, 0};
    const uint32_t want_no2[6] = {0, 1, 0, 0, 1, 1};
    for (uint32_t p = 0; p < 6; p++) assert_int_equal(pipe_group_owner(no2, 3, p), want_no2[p]);
    /* worker index 0 out: members {1, 2}; p0 -> 0th = 1, p3 -> 1st = 2, p6 -> 0th = 1 */
    const uint8_t no0[3] = {0, 1, 1};
    const uint32_t want_no0[7] = {1, 1, 2, 2, 1, 2, 1};
    for (uint32_t p = 0; p < 7; p++) assert_int_equal(pipe_group_owner(no0, 3, p), want_no0[p]);
    /* one member left takes everything; none left: no owner */
    const uint8_t only1[3] = {0, 1, 0}, none[3] = {0, 0, 0};
    for (uint32_t p = 0; p < 5; p++) {
        assert_int_equal(pipe_group_owner(only1, 3, p), 1);
        assert_int_equal(pipe_group_owner(none, 3, p), PIPE_NO_OWNER);
    }
    /* five workers, indexes 1 and 3 out: members {0, 2, 4}; p1 -> 1st = 2, p3 -> 0th = 0,
     * p6 -> 0th = 0, p8 -> 2nd = 4 */
    const uint8_t five[5] = {1, 0, 1, 0, 1};
    const uint32_t want_five[10] = {0, 2, 2, 0, 4, 0, 0, 2, 4, 4};
    for (uint32_t p = 0; p < 10; p++) assert_int_equal(pipe_group_owner(five, 5, p), want_five[p]);
}

/* ---- a crash for good: the partition moves to the survivor the rule names ---- */

static void test_crashed_workers_partition_moves_within_the_session_timeout(void **state) {
    (void)state;
    struct pipe_config *c = malloc(sizeof *c);
    assert_non_null(c);
    group_config(c);
    const uint64_t T = 2050 * MS, hb = c->group.heartbeat_ns, session = c->group.session_timeout_ns;
    add_crash(c, "worker-3", T, 0);
    const enum dlv_protocol ps[] = {DLV_AT_MOST_ONCE, DLV_AT_LEAST_ONCE, DLV_EXACTLY_ONCE,
                                    DLV_EXACTLY_ONCE_TXN};
    for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
        struct run r;
        run(c, ps[k], 5, &r);
        /* worker-3 is evicted once: after its last heartbeat (sent at 2.0 s) plus the
         * session, and no later than its last message (sent by T) arrives plus it */
        assert_int_equal(events(&r, PIPE_TR_MEMBER), 1);
        const struct uev *ev = event(&r, PIPE_TR_MEMBER, 0);
        assert_int_equal(ev->a, WORKER(3));
        assert_int_equal(ev->b, 0);
        uint64_t t = ev->t_ns;
        assert_true(t > T + session - hb && t <= T + session + MS);
        if (ps[k] == DLV_AT_MOST_ONCE) /* no acks: only the 2.0 s heartbeat, 1 ms away */
            assert_int_equal(t, 2000 * MS + MS + session);
        /* members {worker-1, worker-2}: partition 2 -> the (2 mod 2) = 0th, worker-1 */
        assert_int_equal(events(&r, PIPE_TR_REBALANCE), 1);
        expect_move(event(&r, PIPE_TR_REBALANCE, 0), 2, 2, WORKER(1), t);

        uint64_t lost = 0, after = 0, bad = 0;
        for (uint64_t i = 0; i < r.n; i++) {
            uint64_t ct = r.rec[i].event_ns;
            uint32_t part = partition_of(r.rec[i].key, 4);
            uint32_t want = 1;
            /* at-most-once: a record of partition 2 that reached the broker before the
             * move (ct + 1 ms < t) but worker-3 after its crash (ct + 2 ms > T) is lost */
            if (ps[k] == DLV_AT_MOST_ONCE && part == 2 && ct + 2 * MS > T && ct + MS < t) want = 0;
            lost += want == 0;
            bool ok = ps[k] == DLV_AT_LEAST_ONCE ? r.count[i] >= 1 : r.count[i] == want;
            /* partition 2 after the move: worker-1's rows; once the backlog is replayed,
             * 3 hops of 1 ms each (at-least-once and exactly-once; txn batches) */
            if (part == 2 && ct >= t + 100 * MS) {
                after++;
                ok = ok && r.worker[i] == WORKER(1);
                if (!dlv_transactional(ps[k])) ok = ok && r.first_ns[i] == ct + 3 * MS;
            }
            /* a record of partition 2 that reached the dead worker is not visible
             * before the move */
            if (part == 2 && ct + 2 * MS > T && r.count[i]) ok = ok && r.first_ns[i] > t;
            if (!ok && bad++ < 5)
                fprintf(stderr, "%s: record %llu (partition %u, created %llu) seen %u times, "
                                "first at %llu by node %u\n",
                        dlv_name(ps[k]), (unsigned long long)i, part, (unsigned long long)ct,
                        r.count[i], (unsigned long long)r.first_ns[i], r.worker[i]);
        }
        assert_int_equal(bad, 0);
        assert_true(after > 100); /* partition 2 has ~100 records/s; 3.8 s remain */
        if (ps[k] == DLV_AT_MOST_ONCE) assert_true(lost > 0);
        if (dlv_idempotent(ps[k])) assert_true(r.matches_reference);
        run_free(&r);
    }
    free(c);
}

/* ---- a restart after eviction: the partitions come back ---- */

static void test_restarted_worker_takes_its_partitions_back(void **state) {
    (void)state;
    struct pipe_config *c = malloc(sizeof *c);
    assert_non_null(c);
    group_config(c);
    const uint64_t T1 = 1550 * MS, T2 = 3550 * MS, session = c->group.session_timeout_ns;
    add_crash(c, "worker-1", T1, T2 - T1);
    const enum dlv_protocol ps[] = {DLV_EXACTLY_ONCE, DLV_EXACTLY_ONCE_TXN};
    for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
        struct run r;
        run(c, ps[k], 9, &r);
        assert_int_equal(events(&r, PIPE_TR_MEMBER), 2);
        const struct uev *out = event(&r, PIPE_TR_MEMBER, 0), *in = event(&r, PIPE_TR_MEMBER, 1);
        assert_true(out->a == WORKER(1) && out->b == 0);
        assert_true(out->t_ns > T1 + session - 100 * MS && out->t_ns <= T1 + session + MS);
        /* it rejoins with the heartbeat it sends as it boots, 1 ms later */
        assert_true(in->a == WORKER(1) && in->b == 1);
        assert_int_equal(in->t_ns, T2 + MS);
        /* evicted: members {worker-2, worker-3}: p0 -> the 0th (worker-2), p3 -> the
         * (3 mod 2) = 1st (worker-3); back: both to worker-1, one generation later */
        assert_int_equal(events(&r, PIPE_TR_REBALANCE), 4);
        expect_move(event(&r, PIPE_TR_REBALANCE, 0), 0, 2, WORKER(2), out->t_ns);
        expect_move(event(&r, PIPE_TR_REBALANCE, 1), 3, 2, WORKER(3), out->t_ns);
        expect_move(event(&r, PIPE_TR_REBALANCE, 2), 0, 3, WORKER(1), in->t_ns);
        expect_move(event(&r, PIPE_TR_REBALANCE, 3), 3, 3, WORKER(1), in->t_ns);

        uint64_t bad = 0, seen[3] = {0};
        for (uint64_t i = 0; i < r.n; i++) {
            uint64_t ct = r.rec[i].event_ns;
            uint32_t part = partition_of(r.rec[i].key, 4), want = 0;
            if (part == 1 || part == 2) want = WORKER(part + 1); /* never moved */
            else if (ct < T1 - 100 * MS) want = WORKER(1);
            else if (ct >= out->t_ns + 100 * MS && ct < T2 - 100 * MS)
                want = part == 0 ? WORKER(2) : WORKER(3);
            else if (ct >= in->t_ns + 100 * MS) want = WORKER(1);
            bool ok = r.count[i] == 1 && (!want || r.worker[i] == want);
            if (want == WORKER(1) && (part == 0 || part == 3)) seen[ct < T1 ? 0 : 2]++;
            if (want && want != WORKER(1) && (part == 0 || part == 3)) seen[1]++;
            if (!ok && bad++ < 5)
                fprintf(stderr, "%s: record %llu (partition %u, created %llu) seen %u times, "
                                "last by node %u, expected node %u\n",
                        dlv_name(ps[k]), (unsigned long long)i, part, (unsigned long long)ct,
                        r.count[i], r.worker[i], want);
        }
        assert_int_equal(bad, 0);
        for (int j = 0; j < 3; j++) assert_true(seen[j] > 50); /* each period has rows */
        assert_true(r.matches_reference);
        run_free(&r);
    }
    free(c);
}

/* A restart within the session: no eviction, no move; the worker keeps its partitions
 * (a new incarnation, so a new epoch) and nothing is lost or doubled. */
static void test_restart_within_the_session_keeps_the_partitions(void **state) {
    (void)state;
    struct pipe_config *c = malloc(sizeof *c);
    assert_non_null(c);
    group_config(c);
    const uint64_t T = 2050 * MS, back = T + 300 * MS;
    add_crash(c, "worker-2", T, back - T);
    for (int p = DLV_AT_LEAST_ONCE; p < DLV_EXACTLY_ONCE_CKPT; p++) { /* no rebalance there */
        struct run r;
        run(c, (enum dlv_protocol)p, 3, &r);
        assert_int_equal(events(&r, PIPE_TR_MEMBER), 0);
        assert_int_equal(events(&r, PIPE_TR_REBALANCE), 0);
        uint64_t bad = 0, after = 0;
        for (uint64_t i = 0; i < r.n; i++) {
            uint32_t part = partition_of(r.rec[i].key, 4);
            bool ok = p == DLV_AT_LEAST_ONCE ? r.count[i] >= 1 : r.count[i] == 1;
            if (part == 1 && r.rec[i].event_ns > back + 100 * MS) {
                after++;
                ok = ok && r.worker[i] == WORKER(2);
            }
            bad += !ok;
        }
        assert_int_equal(bad, 0);
        assert_true(after > 100);
        if (p != DLV_AT_LEAST_ONCE) assert_true(r.matches_reference);
        run_free(&r);
    }
    free(c);
}

/* ---- the guarantees over many seeds ---- */

static void check_guarantees(const struct pipe_config *c, uint64_t seeds, bool amo_loses) {
    for (uint64_t seed = 1; seed <= seeds; seed++)
        for (int p = 0; p < DLV_EXACTLY_ONCE_CKPT; p++) { /* checkpoints refuse rebalance */
            struct run r;
            run(c, (enum dlv_protocol)p, seed, &r);
            uint64_t lost = 0, dup = 0;
            for (uint64_t i = 0; i < r.n; i++) {
                lost += r.count[i] == 0;
                dup += r.count[i] > 1;
            }
            bool ok = r.unknown == 0 && events(&r, PIPE_TR_REBALANCE) > 0;
            if (p == DLV_AT_MOST_ONCE) ok = ok && dup == 0 && (!amo_loses || lost > 0);
            if (p == DLV_AT_LEAST_ONCE) ok = ok && lost == 0;
            if (dlv_idempotent((enum dlv_protocol)p))
                ok = ok && lost == 0 && dup == 0 && r.matches_reference;
            if (!ok)
                fprintf(stderr, "%s seed %llu: lost %llu, duplicated %llu of %llu, %zu moves\n",
                        dlv_name((enum dlv_protocol)p), (unsigned long long)seed,
                        (unsigned long long)lost, (unsigned long long)dup,
                        (unsigned long long)r.n, events(&r, PIPE_TR_REBALANCE));
            assert_true(ok);
            run_free(&r);
        }
}

static void test_guarantees_hold_in_the_lecture_scenario_over_50_seeds(void **state) {
    (void)state;
    struct scenario *scn = malloc(sizeof *scn);
    assert_non_null(scn);
    struct ft_error err;
    memset(&err, 0, sizeof err);
    int rc = scn_load("scenarios/consumer-group-rebalance.yaml", scn, &err);
    if (rc) fprintf(stderr, "%s:%d:%d: %s\n", err.file, err.line, err.col, err.msg);
    assert_int_equal(rc, 0);
    assert_true(scn->pipe.group.rebalance);
    check_guarantees(&scn->pipe, 50, true);
    free(scn);
}

/* Lossy, duplicating, reordering links (heartbeats and assignments get lost too), a
 * worker gone for good, one restarting after eviction, one cut off and healed, a
 * broker crash and a crash at a processing step. */
static void test_guarantees_hold_with_loss_partitions_and_crashes_over_30_seeds(void **state) {
    (void)state;
    struct pipe_config *c = malloc(sizeof *c);
    assert_non_null(c);
    group_config(c);
    c->partitions = 7;
    c->source = (struct pipe_source){.kind = SRC_KEYED, .keys = 40, .rate_per_s = 500.0};
    c->network = (struct net_link_cfg){.latency_ns = MS, .jitter_ns = 2 * MS, .loss_p = 0.03,
                                       .dup_p = 0.02, .reorder_p = 0.05, .reorder_ns = 10 * MS};
    c->group.heartbeat_ns = 50 * MS;
    c->group.session_timeout_ns = 300 * MS;
    c->duration_ns = 9 * S;
    c->drain_ns = 30 * S;
    add_crash(c, "worker-3", 1500 * MS, 0);
    add_crash(c, "worker-1", 3 * S, 1500 * MS);
    add_crash(c, "broker", 7 * S, 500 * MS);
    struct pipe_fault *f = &c->faults[c->nfaults++];
    memset(f, 0, sizeof *f);
    f->type = PIPE_FAULT_PARTITION;
    f->nsides = 2;
    f->side_n[0] = 1; /* the broker, and every node named nowhere */
    snprintf(f->side[0][0], PIPE_NAME_MAX, "broker");
    f->side_n[1] = 1;
    snprintf(f->side[1][0], PIPE_NAME_MAX, "worker-2");
    f->at_ns = 5 * S;
    f->heal_ns = 6 * S;
    f = &c->faults[c->nfaults++];
    memset(f, 0, sizeof *f);
    f->type = PIPE_FAULT_CRASH;
    snprintf(f->node, sizeof f->node, "worker-1");
    snprintf(f->step, sizeof f->step, PIPE_STEP_AFTER_EMIT);
    f->record = PIPE_ANY;
    f->nth = 700;
    f->restart_after_ns = 100 * MS;
    check_guarantees(c, 30, false);
    free(c);
}

/* ---- a zombie ---- */

/* worker-2 is cut off from every other node from 2 s to 4 s and its heartbeats are
 * lost from 1.9 s on, so it never rejoins: the broker evicts it and worker-1 takes its
 * partitions, while worker-2 keeps its unacknowledged outputs and open transactions.
 * After the heal they reach the sink and the broker, which must fence them. */
static void zombie_config(struct pipe_config *c) {
    pipe_config_defaults(c);
    c->workers = 2;
    c->partitions = 4;
    c->duration_ns = 6 * S;
    c->drain_ns = 10 * S;
    c->source = (struct pipe_source){.kind = SRC_KEYED, .keys = 64, .rate_per_s = 8000.0};
    c->network = (struct net_link_cfg){.latency_ns = MS};
    c->group = (struct pipe_group){.rebalance = true, .heartbeat_ns = 100 * MS,
                                   .session_timeout_ns = S};
    struct pipe_fault *f = &c->faults[c->nfaults++];
    memset(f, 0, sizeof *f);
    f->type = PIPE_FAULT_PARTITION;
    f->nsides = 2;
    f->side_n[0] = 1; /* the broker, and every node named nowhere */
    snprintf(f->side[0][0], PIPE_NAME_MAX, "broker");
    f->side_n[1] = 1;
    snprintf(f->side[1][0], PIPE_NAME_MAX, "worker-2");
    f->at_ns = 2 * S;
    f->heal_ns = 4 * S;
    f = &c->faults[c->nfaults++];
    memset(f, 0, sizeof *f);
    f->type = PIPE_FAULT_DROP;
    f->msg_kind = PIPE_MSG_HEARTBEAT;
    snprintf(f->from, sizeof f->from, "worker-2");
    f->record = PIPE_ANY;
    f->nth = 20; /* the heartbeat sent at 1.9 s (the first is sent at 0) */
    f->count = 1000000;
}

static void test_zombie_behind_a_healed_partition_is_fenced(void **state) {
    (void)state;
    struct pipe_config *c = malloc(sizeof *c);
    assert_non_null(c);
    zombie_config(c);
    for (int p = DLV_AT_LEAST_ONCE; p < DLV_EXACTLY_ONCE_CKPT; p++) { /* no rebalance there */
        struct run r;
        run(c, (enum dlv_protocol)p, 2, &r);
        /* evicted once, a session after the partition cut its last message */
        assert_int_equal(events(&r, PIPE_TR_MEMBER), 1);
        const struct uev *ev = event(&r, PIPE_TR_MEMBER, 0);
        assert_true(ev->a == WORKER(2) && ev->b == 0);
        assert_true(ev->t_ns > 2 * S + c->group.session_timeout_ns - 100 * MS &&
                    ev->t_ns <= 2 * S + c->group.session_timeout_ns);
        /* worker-2's partitions 1 and 3 go to the only member left, worker-1 */
        assert_int_equal(events(&r, PIPE_TR_REBALANCE), 2);
        expect_move(event(&r, PIPE_TR_REBALANCE, 0), 1, 2, WORKER(1), ev->t_ns);
        expect_move(event(&r, PIPE_TR_REBALANCE, 1), 3, 2, WORKER(1), ev->t_ns);
        /* after the heal, worker-2's generation-1 messages are fenced: its acks at the
         * broker (at-least-once has no sink fencing), its outputs or commits at the sink
         * (exactly-once: epoch = 1 << 32 | 1, its first incarnation in generation 1) */
        uint64_t at_broker = 0, at_sink = 0;
        for (size_t k = 0; k < r.nev; k++) {
            const struct uev *e = &r.ev[k];
            if (e->kind != PIPE_TR_FENCED) continue;
            assert_true(e->t_ns >= 4 * S);
            assert_true(e->a == 1 || e->a == 3);
            if (e->node == BROKER) at_broker += e->b == 1;
            else at_sink += e->b == (1ull << 32 | 1);
        }
        if (p == DLV_AT_LEAST_ONCE) assert_true(at_broker > 0);
        else assert_true(at_sink > 0);
        uint64_t lost = 0, dup = 0;
        for (uint64_t i = 0; i < r.n; i++) {
            lost += r.count[i] == 0;
            dup += r.count[i] > 1;
        }
        fprintf(stderr, "%s: fenced %llu at the broker, %llu at the sink; lost %llu, "
                        "duplicated %llu of %llu\n",
                dlv_name((enum dlv_protocol)p), (unsigned long long)at_broker,
                (unsigned long long)at_sink, (unsigned long long)lost, (unsigned long long)dup,
                (unsigned long long)r.n);
        assert_int_equal(lost, 0);
        if (p != DLV_AT_LEAST_ONCE) {
            assert_int_equal(dup, 0);
            assert_true(r.matches_reference);
        }
        run_free(&r);
    }
    free(c);
}

/* ---- rebalance off, and the scenario keys ---- */

/* Off (the default): no heartbeat or assign message, no move, and a worker that never
 * restarts leaves its partition unconsumed under every protocol. */
static void test_rebalance_off_keeps_the_static_assignment(void **state) {
    (void)state;
    struct pipe_config *c = malloc(sizeof *c);
    assert_non_null(c);
    group_config(c);
    c->group.rebalance = false;
    const uint64_t T = 2050 * MS;
    add_crash(c, "worker-3", T, 0);
    for (int p = 0; p < DLV_COUNT; p++) {
        struct run r;
        run(c, (enum dlv_protocol)p, 5, &r);
        assert_int_equal(r.heartbeats, 0);
        assert_int_equal(r.assigns, 0);
        assert_int_equal(r.nev, 0);
        uint64_t bad = 0;
        for (uint64_t i = 0; i < r.n; i++)
            if (partition_of(r.rec[i].key, 4) == 2 && r.rec[i].event_ns > T)
                bad += r.count[i] != 0;
        assert_int_equal(bad, 0);
        run_free(&r);
    }
    free(c);
}

static void test_group_keys_decode_and_default(void **state) {
    (void)state;
    struct scenario *scn = malloc(sizeof *scn);
    assert_non_null(scn);
    struct ft_error err;
    memset(&err, 0, sizeof err);
    const char *plain = "name: t\nabout: x\nduration: 1s\nprotocols: [at-least-once]\n";
    assert_int_equal(scn_parse("a.yaml", plain, strlen(plain), scn, &err), 0);
    assert_false(scn->pipe.group.rebalance);
    assert_int_equal(scn->pipe.group.heartbeat_ns, 100 * MS);
    assert_int_equal(scn->pipe.group.session_timeout_ns, 1 * S);
    const char *set = "name: t\nabout: x\nduration: 1s\nprotocols: [at-least-once]\n"
                      "group: { rebalance: true, heartbeat: 250ms, session_timeout: 1.5s }\n"
                      "faults:\n  - { drop: assign, from: broker, to: worker-1 }\n";
    assert_int_equal(scn_parse("b.yaml", set, strlen(set), scn, &err), 0);
    assert_true(scn->pipe.group.rebalance);
    assert_int_equal(scn->pipe.group.heartbeat_ns, 250 * MS);
    assert_int_equal(scn->pipe.group.session_timeout_ns, 1500 * MS);
    assert_int_equal(scn->pipe.faults[0].msg_kind, PIPE_MSG_ASSIGN);
    /* 1 worker x (1 s + 60 s drain) / 250 ms + 1 */
    assert_int_equal(pipe_estimated_heartbeats(&scn->pipe), 245);
    free(scn);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_assignment_rule_on_hand_written_tables),
        cmocka_unit_test(test_crashed_workers_partition_moves_within_the_session_timeout),
        cmocka_unit_test(test_restarted_worker_takes_its_partitions_back),
        cmocka_unit_test(test_restart_within_the_session_keeps_the_partitions),
        cmocka_unit_test(test_guarantees_hold_in_the_lecture_scenario_over_50_seeds),
        cmocka_unit_test(test_guarantees_hold_with_loss_partitions_and_crashes_over_30_seeds),
        cmocka_unit_test(test_zombie_behind_a_healed_partition_is_fenced),
        cmocka_unit_test(test_rebalance_off_keeps_the_static_assignment),
        cmocka_unit_test(test_group_keys_decode_and_default),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
