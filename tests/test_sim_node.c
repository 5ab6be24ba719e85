/* Nodes, timers, crash/restart and fault rules at named steps (sim/sim.h):
 * a crash loses the volatile arena and pending timers but keeps durable state; restart
 * runs on_recover (else on_start) in a new incarnation; equal-time events run in
 * scheduling order; a fault rule strikes exactly at the nth matching step; limits fail
 * with FT_ELIMIT and a message. Expected values are worked out by hand from the
 * scenario's fixed timings (no jitter, no loss), never read back from the kernel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim.h"
#include "testutil.h"

#define MS SIM_NS_PER_MS
#define LOG_MAX 512u

/* ---- shared recording context ---- */

struct log {
    uint64_t tags[LOG_MAX], tag_ns[LOG_MAX];
    uint32_t ntags;
    uint32_t starts, recovers;
    /* trace records, when the hook is installed */
    struct sim_trace_rec tr[LOG_MAX];
    uint32_t ntr;
};

static struct log *log_new(void) {
    struct log *l = calloc(1, sizeof *l);
    assert_non_null(l);
    return l;
}

static void log_trace(const struct sim_trace_rec *r, void *ctx) {
    struct log *l = ctx;
    if (l->ntr < LOG_MAX) l->tr[l->ntr++] = *r;
}

static uint32_t count_trace(const struct log *l, uint8_t type, uint8_t reason) {
    uint32_t n = 0;
    for (uint32_t i = 0; i < l->ntr; i++)
        n += l->tr[i].type == type && l->tr[i].reason == reason;
    return n;
}

static void log_tag(struct sim *s, struct log *l, uint64_t tag) {
    assert_true(l->ntags < LOG_MAX);
    l->tag_ns[l->ntags] = sim_now(s);
    l->tags[l->ntags++] = tag;
}

static void assert_tags(const struct log *l, const uint64_t *want, uint32_t n) {
    if (l->ntags != n) {
        for (uint32_t i = 0; i < l->ntags; i++)
            fprintf(stderr, "  fired %u: tag %llu at %llu ns\n", i, (unsigned long long)l->tags[i],
                    (unsigned long long)l->tag_ns[i]);
        fail_msg("%u timers fired, expected %u", l->ntags, n);
    }
    for (uint32_t i = 0; i < n; i++)
        if (l->tags[i] != want[i])
            fail_msg("timer %u: tag %llu fired, expected %llu", i, (unsigned long long)l->tags[i],
                     (unsigned long long)want[i]);
}

static struct sim *new_sim(uint64_t seed) {
    struct sim *s = sim_new(&(struct sim_config){.seed = seed});
    assert_non_null(s);
    /* Fixed 1 ms latency, no jitter, loss or duplication: timings are exact. */
    struct net_link_cfg net = {.latency_ns = 1 * MS};
    assert_int_equal(net_set_default(s, &net), 0);
    return s;
}

static void on_timer_log(struct sim *s, uint32_t node, uint64_t tag, void *ctx) {
    (void)node;
    log_tag(s, ctx, tag);
}

static void on_start_count(struct sim *s, uint32_t node, void *ctx) {
    (void)s, (void)node;
    ((struct log *)ctx)->starts++;
}

static void on_recover_count(struct sim *s, uint32_t node, void *ctx) {
    (void)s, (void)node;
    ((struct log *)ctx)->recovers++;
}

/* ---- crash: volatile state, valloc memory, durable state ---- */

#define BIG_BYTES (48u << 20) /* two of these exceed SIM_NODE_ARENA_MAX (64 MiB) */

struct vol {
    uint64_t counter;
    uint8_t *small, *big;
};
struct dur {
    uint64_t counter;
};

static void vol_start(struct sim *s, uint32_t me, void *ctx) {
    (void)ctx;
    struct vol *v = sim_node_volatile(s, me);
    struct dur *d = sim_node_durable(s, me);
    v->counter = 42;
    d->counter += 7; /* 7 at first boot, 14 after one restart */
    v->small = sim_valloc(s, me, 100);
    v->big = sim_valloc(s, me, BIG_BYTES);
    assert_non_null(v->small);
    assert_non_null(v->big);
    assert_int_equal((uintptr_t)v->small % 16, 0);
    assert_int_equal((uintptr_t)v->big % 16, 0);
    for (size_t i = 0; i < 100; i++)
        assert_int_equal(v->small[i], 0); /* zeroed */
    memset(v->small, 0xab, 100);
    memset(v->big, 0xcd, BIG_BYTES);
}

static bool all_zero(const void *p, size_t n) {
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i]) return false;
    return true;
}

static void test_crash_loses_volatile_arena_and_valloc_memory_keeps_durable(void **state) {
    (void)state;
    struct sim *s = new_sim(1);
    static const struct sim_node_ops ops = {.on_start = vol_start};
    int id = sim_node_add(s, "n", &ops, NULL, sizeof(struct vol), sizeof(struct dur));
    assert_int_equal(id, 0);
    assert_true(all_zero(sim_node_volatile(s, 0), sizeof(struct vol)));
    assert_true(all_zero(sim_node_durable(s, 0), sizeof(struct dur)));
    assert_int_equal(sim_run_until(s, 1 * MS), 0);
    struct vol *v = sim_node_volatile(s, 0);
    assert_int_equal(v->counter, 42);
    assert_int_equal(v->small[99], 0xab);

    sim_crash(s, 0);
    assert_false(sim_node_up(s, 0));
    assert_true(all_zero(sim_node_volatile(s, 0), sizeof(struct vol))); /* re-zeroed */
    assert_int_equal(((struct dur *)sim_node_durable(s, 0))->counter, 7);

    /* The valloc'd memory is gone: the node can allocate its whole budget again (48 MiB
     * twice would exceed SIM_NODE_ARENA_MAX), and fresh memory is zeroed. */
    sim_restart(s, 0); /* on_recover is NULL: on_start runs and allocates again */
    v = sim_node_volatile(s, 0);
    assert_int_equal(v->counter, 42);
    assert_int_equal(((struct dur *)sim_node_durable(s, 0))->counter, 14);
    assert_int_equal(sim_error(s)->code, 0);
    uint8_t *more = sim_valloc(s, 0, 1000);
    assert_non_null(more);
    assert_true(all_zero(more, 1000));
    assert_int_equal(sim_run_until(s, SIM_TIME_MAX), 0);
    sim_free(s);
}

static void test_valloc_over_arena_max_fails_with_elimit(void **state) {
    (void)state;
    struct sim *s = new_sim(1);
    assert_int_equal(sim_node_add(s, "n", NULL, NULL, 0, 0), 0);
    assert_non_null(sim_valloc(s, 0, BIG_BYTES));
    assert_null(sim_valloc(s, 0, BIG_BYTES));
    assert_int_equal(sim_error(s)->code, FT_ELIMIT);
    assert_non_null(strstr(sim_error(s)->msg, "SIM_NODE_ARENA_MAX"));
    sim_free(s);
}

/* ---- crash: pending timers ---- */

static void timers_start(struct sim *s, uint32_t me, void *ctx) {
    ((struct log *)ctx)->starts++;
    sim_timer_set(s, me, 10 * MS, 1);
    sim_timer_set(s, me, 20 * MS, 2);
    sim_timer_set(s, me, 30 * MS, 3);
}

static void timers_recover(struct sim *s, uint32_t me, void *ctx) {
    ((struct log *)ctx)->recovers++;
    sim_timer_set(s, me, 1 * MS, 100 + sim_node_incarnation(s, me));
}

static void test_crash_discards_pending_timers_even_after_restart(void **state) {
    (void)state;
    struct sim *s = new_sim(1);
    struct log *l = log_new();
    static const struct sim_node_ops ops = {
        .on_start = timers_start, .on_recover = timers_recover, .on_timer = on_timer_log};
    assert_int_equal(sim_node_add(s, "n", &ops, l, 0, 0), 0);
    /* Timers at 10, 20, 30 ms (incarnation 0). Crash at 15 ms, restart at 16 ms: the
     * recovery sets one at 17 ms (incarnation 1). Crash again at 16.5 ms, restart at
     * 16.8 ms: the recovery sets one at 17.8 ms (incarnation 2). The node is up from
     * 16.8 ms on, so only the timers' death keeps 17, 20 and 30 ms from firing. */
    assert_int_equal(sim_crash_at(s, 0, 15 * MS), 0);
    assert_int_equal(sim_restart_at(s, 0, 16 * MS), 0);
    assert_int_equal(sim_crash_at(s, 0, 16 * MS + 500 * SIM_NS_PER_US), 0);
    assert_int_equal(sim_restart_at(s, 0, 16 * MS + 800 * SIM_NS_PER_US), 0);
    assert_int_equal(sim_run_until(s, SIM_TIME_MAX), 0);
    static const uint64_t want[] = {1, 102};
    assert_tags(l, want, 2);
    assert_int_equal(l->tag_ns[0], 10 * MS);
    assert_int_equal(l->tag_ns[1], 17 * MS + 800 * SIM_NS_PER_US);
    assert_true(sim_node_up(s, 0));
    assert_int_equal(l->starts, 1);
    assert_int_equal(l->recovers, 2);
    assert_int_equal(sim_node_incarnation(s, 0), 2);
    free(l);
    sim_free(s);
}

/* ---- restart ---- */

static void test_restart_runs_on_recover_and_increments_incarnation(void **state) {
    (void)state;
    struct sim *s = new_sim(1);
    struct log *l = log_new();
    static const struct sim_node_ops ops = {.on_start = on_start_count,
                                            .on_recover = on_recover_count};
    sim_set_trace_hook(s, log_trace, l);
    assert_int_equal(sim_node_add(s, "n", &ops, l, 0, 0), 0);
    assert_int_equal(sim_run_until(s, 0), 0);
    assert_int_equal(l->starts, 1);
    assert_int_equal(sim_node_incarnation(s, 0), 0);
    for (uint32_t k = 1; k <= 3; k++) {
        sim_crash(s, 0);
        assert_false(sim_node_up(s, 0));
        sim_restart(s, 0);
        assert_true(sim_node_up(s, 0));
        assert_int_equal(sim_node_incarnation(s, 0), k);
        assert_int_equal(l->recovers, k);
    }
    assert_int_equal(l->starts, 1); /* on_start ran only at the first boot */
    assert_int_equal(count_trace(l, SIM_TR_CRASH, 0), 3);
    assert_int_equal(count_trace(l, SIM_TR_RESTART, 0), 3);
    free(l);
    sim_free(s);
}

static void test_restart_runs_on_start_when_on_recover_is_null(void **state) {
    (void)state;
    struct sim *s = new_sim(1);
    struct log *l = log_new();
    static const struct sim_node_ops ops = {.on_start = on_start_count};
    assert_int_equal(sim_node_add(s, "n", &ops, l, 0, 0), 0);
    assert_int_equal(sim_crash_at(s, 0, 5 * MS), 0);
    assert_int_equal(sim_restart_at(s, 0, 6 * MS), 0);
    assert_int_equal(sim_run_until(s, SIM_TIME_MAX), 0);
    assert_int_equal(l->starts, 2);
    assert_int_equal(l->recovers, 0);
    assert_int_equal(sim_node_incarnation(s, 0), 1);
    free(l);
    sim_free(s);
}

static void test_crash_of_down_node_and_restart_of_up_node_are_no_ops(void **state) {
    (void)state;
    struct sim *s = new_sim(1);
    struct log *l = log_new();
    static const struct sim_node_ops ops = {.on_start = on_start_count,
                                            .on_recover = on_recover_count};
    sim_set_trace_hook(s, log_trace, l);
    assert_int_equal(sim_node_add(s, "n", &ops, l, 0, 0), 0);
    sim_restart(s, 0); /* up: nothing happens */
    assert_int_equal(sim_node_incarnation(s, 0), 0);
    sim_crash(s, 0);
    sim_crash(s, 0); /* down: nothing happens */
    assert_int_equal(count_trace(l, SIM_TR_CRASH, 0), 1);
    assert_int_equal(count_trace(l, SIM_TR_RESTART, 0), 0);
    /* The start event still runs at time 0 but finds the node down: no on_start. */
    assert_int_equal(sim_run_until(s, SIM_TIME_MAX), 0);
    assert_int_equal(l->starts, 0);
    sim_restart(s, 0);
    assert_int_equal(l->recovers, 1);
    free(l);
    sim_free(s);
}

/* ---- messages to a down node ---- */

struct pingctx {
    struct log *l;
    uint32_t received;
};

static void count_msg(struct sim *s, uint32_t me, const struct sim_msg *m, void *ctx) {
    (void)s, (void)me, (void)m;
    ((struct pingctx *)ctx)->received++;
}

static void test_message_to_down_node_is_dropped_with_reason_down(void **state) {
    (void)state;
    struct sim *s = new_sim(1);
    struct pingctx pc = {log_new(), 0};
    static const struct sim_node_ops ops = {.on_message = count_msg};
    sim_set_trace_hook(s, log_trace, pc.l);
    assert_int_equal(sim_node_add(s, "a", &ops, &pc, 0, 0), 0);
    assert_int_equal(sim_node_add(s, "b", &ops, &pc, 0, 0), 1);
    /* At 0: b is down; the message arrives at 1 ms and is dropped. */
    sim_crash(s, 1);
    assert_true(sim_send(s, 0, 1, 5, "x", 1) > 0);
    assert_int_equal(sim_run_until(s, 2 * MS), 0);
    sim_restart(s, 1);
    /* At 2 ms: b is up when the message is sent but down (3 ms..4 ms) when it arrives. */
    assert_true(sim_send(s, 0, 1, 5, "y", 1) > 0);
    assert_int_equal(sim_crash_at(s, 1, 2 * MS + 500 * SIM_NS_PER_US), 0);
    assert_int_equal(sim_restart_at(s, 1, 4 * MS), 0);
    /* At 4 ms b is up again: this one is delivered. */
    assert_int_equal(sim_run_until(s, 4 * MS), 0);
    assert_true(sim_send(s, 0, 1, 5, "z", 1) > 0);
    assert_int_equal(sim_run_until(s, SIM_TIME_MAX), 0);

    assert_int_equal(pc.received, 1);
    assert_int_equal(count_trace(pc.l, SIM_TR_DROP, SIM_DROP_DOWN), 2);
    assert_int_equal(count_trace(pc.l, SIM_TR_DELIVER, 0), 1);
    struct net_stats st;
    net_stats(s, &st);
    assert_int_equal(st.sent, 3);
    assert_int_equal(st.dropped_down, 2);
    assert_int_equal(st.delivered, 1);
    /* A down node cannot send. */
    sim_crash(s, 0);
    assert_int_equal(sim_send(s, 0, 1, 5, "w", 1), FT_EDOWN);
    free(pc.l);
    sim_free(s);
}

/* ---- timers: cancel, stale handles, order ---- */

struct cancelctx {
    struct log *l;
    sim_timer_t h[8];
};

static void cancel_start(struct sim *s, uint32_t me, void *ctx) {
    struct cancelctx *c = ctx;
    for (uint64_t t = 1; t <= 4; t++)
        c->h[t] = sim_timer_set(s, me, t * MS, t);
    for (uint64_t t = 1; t <= 4; t++)
        assert_int_not_equal(c->h[t], 0);
    sim_timer_cancel(s, c->h[2]); /* cancelled right away */
}

static void cancel_timer(struct sim *s, uint32_t me, uint64_t tag, void *ctx) {
    (void)me;
    struct cancelctx *c = ctx;
    log_tag(s, c->l, tag);
    if (tag == 1) sim_timer_cancel(s, c->h[4]); /* cancelled from another timer */
    if (tag == 3) {
        sim_timer_cancel(s, c->h[1]);       /* already fired: ignored */
        sim_timer_cancel(s, c->h[2]);       /* already cancelled: ignored */
        sim_timer_cancel(s, 0);             /* never valid: ignored */
        sim_timer_cancel(s, 0xffffffffull); /* no such slot: ignored */
    }
}

static void test_cancelled_timer_never_fires(void **state) {
    (void)state;
    struct sim *s = new_sim(1);
    struct cancelctx c = {.l = log_new()};
    static const struct sim_node_ops ops = {.on_start = cancel_start, .on_timer = cancel_timer};
    assert_int_equal(sim_node_add(s, "n", &ops, &c, 0, 0), 0);
    assert_int_equal(sim_run_until(s, SIM_TIME_MAX), 0);
    static const uint64_t want[] = {1, 3};
    assert_tags(c.l, want, 2);
    free(c.l);
    sim_free(s);
}

#define STALE_N 50u

struct stalectx {
    struct log *l;
    sim_timer_t old[STALE_N], fresh[STALE_N];
    uint32_t reused;
};

static void stale_start(struct sim *s, uint32_t me, void *ctx) {
    struct stalectx *c = ctx;
    for (uint32_t i = 0; i < STALE_N; i++)
        c->old[i] = sim_timer_set(s, me, 1 * MS, i);
}

static void stale_timer(struct sim *s, uint32_t me, uint64_t tag, void *ctx) {
    struct stalectx *c = ctx;
    log_tag(s, c->l, tag);
    if (tag != STALE_N - 1) return;
    /* Every old timer has fired and freed its slot; the new timers reuse those slots. */
    for (uint32_t i = 0; i < STALE_N; i++)
        c->fresh[i] = sim_timer_set(s, me, 1 * MS, 100 + i);
    for (uint32_t i = 0; i < STALE_N; i++)
        sim_timer_cancel(s, c->old[i]);
    for (uint32_t i = 0; i < STALE_N; i++)
        for (uint32_t j = 0; j < STALE_N; j++)
            c->reused += (c->fresh[i] & 0xffffffffu) == (c->old[j] & 0xffffffffu);
}

static void test_cancel_with_stale_handle_does_not_cancel_timer_reusing_its_slot(void **state) {
    (void)state;
    struct sim *s = new_sim(1);
    struct stalectx c = {.l = log_new()};
    static const struct sim_node_ops ops = {.on_start = stale_start, .on_timer = stale_timer};
    assert_int_equal(sim_node_add(s, "n", &ops, &c, 0, 0), 0);
    assert_int_equal(sim_run_until(s, SIM_TIME_MAX), 0);
    uint64_t want[2 * STALE_N];
    for (uint32_t i = 0; i < STALE_N; i++)
        want[i] = i, want[STALE_N + i] = 100 + i;
    assert_tags(c.l, want, 2 * STALE_N);
    for (uint32_t i = 0; i < STALE_N; i++)
        for (uint32_t j = 0; j < STALE_N; j++)
            assert_int_not_equal(c.fresh[i], c.old[j]);
    free(c.l);
    sim_free(s);
    /* The handle keeps the event slot in its low 32 bits (sim.c): make sure the scenario
     * really reused slots, or it proves nothing. */
    if (c.reused == 0) skip();
}

/* Equal-time timers fire in the order they were scheduled — the (time, seq) rule, like
 * libuv's test-timer "start_id" order test. */
static void order_start_a(struct sim *s, uint32_t me, void *ctx) {
    (void)ctx;
    for (uint64_t t = 0; t < 10; t++)
        sim_timer_set(s, me, 10 * MS, t); /* all at 10 ms */
    sim_timer_set(s, me, 5 * MS, 100);
}

static void order_start_b(struct sim *s, uint32_t me, void *ctx) {
    (void)ctx;
    sim_timer_set(s, me, 10 * MS, 200); /* scheduled after a's ten (b starts second) */
}

static void order_timer(struct sim *s, uint32_t me, uint64_t tag, void *ctx) {
    log_tag(s, ctx, tag);
    if (tag == 100) sim_timer_set(s, me, 5 * MS, 10); /* also due at 10 ms, scheduled later */
    if (tag == 0) sim_timer_set(s, me, 0, 300);       /* due now: after everything pending */
}

static void test_equal_time_timers_fire_in_scheduling_order(void **state) {
    (void)state;
    struct sim *s = new_sim(1);
    struct log *l = log_new();
    static const struct sim_node_ops a = {.on_start = order_start_a, .on_timer = order_timer};
    static const struct sim_node_ops b = {.on_start = order_start_b, .on_timer = order_timer};
    assert_int_equal(sim_node_add(s, "a", &a, l, 0, 0), 0);
    assert_int_equal(sim_node_add(s, "b", &b, l, 0, 0), 1);
    assert_int_equal(sim_run_until(s, SIM_TIME_MAX), 0);
    static const uint64_t want[] = {100, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 200, 10, 300};
    assert_tags(l, want, sizeof want / sizeof want[0]);
    for (uint32_t i = 1; i < l->ntags; i++)
        assert_int_equal(l->tag_ns[i], 10 * MS);
    free(l);
    sim_free(s);
}

/* ---- the event order across the heap and the delay lanes ---- */

#define LANE_TIMERS 3000u

struct lane_world {
    uint64_t x;                      /* splitmix state: the delays */
    uint64_t due_ns[LANE_TIMERS];    /* per timer, in scheduling order: when it is due */
    uint32_t scheduled, fired;
    uint64_t last_ns, last_order;
    bool out_of_order, wrong_time;
};

static void lane_arm(struct sim *s, uint32_t me, struct lane_world *w) {
    if (w->scheduled == LANE_TIMERS) return;
    /* Mostly a few repeated delays (lanes), some zero delays, and many distinct ones
     * (more delay classes than there are lanes, so the heap is used too). */
    uint64_t r = tu_splitmix64(&w->x) % 10, delay;
    if (r < 4) delay = 1 * MS;
    else if (r < 6) delay = 3 * MS;
    else if (r < 7) delay = 0;
    else delay = 1 + tu_splitmix64(&w->x) % (5 * MS);
    w->due_ns[w->scheduled] = sim_now(s) + delay;
    assert_true(sim_timer_set(s, me, delay, w->scheduled++) != 0);
}

static void lane_start(struct sim *s, uint32_t me, void *ctx) {
    for (int i = 0; i < 20; i++) lane_arm(s, me, ctx);
}

static void lane_timer(struct sim *s, uint32_t me, uint64_t tag, void *ctx) {
    struct lane_world *w = ctx;
    uint64_t now = sim_now(s);
    if (w->due_ns[tag] != now) w->wrong_time = true;
    /* (time, scheduling order) strictly increases from one firing to the next */
    if (w->fired && (now < w->last_ns || (now == w->last_ns && tag <= w->last_order)))
        w->out_of_order = true;
    w->last_ns = now;
    w->last_order = tag;
    w->fired++;
    lane_arm(s, me, w);
    if (tag % 3 == 0) lane_arm(s, me, w);
}

static void test_events_fire_in_time_then_scheduling_order_across_lanes_and_heap(void **state) {
    (void)state;
    struct sim *s = new_sim(1);
    struct lane_world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    w->x = 99;
    static const struct sim_node_ops ops = {.on_start = lane_start, .on_timer = lane_timer};
    assert_int_equal(sim_node_add(s, "n", &ops, w, 0, 0), 0);
    assert_int_equal(sim_run_until(s, SIM_TIME_MAX), 0);
    assert_int_equal(w->scheduled, LANE_TIMERS);
    assert_int_equal(w->fired, LANE_TIMERS);
    assert_false(w->wrong_time);
    assert_false(w->out_of_order);
    assert_int_equal(sim_pending(s), 0);
    free(w);
    sim_free(s);
}

/* ---- fault rules at named steps ---- */

enum { MSG_RECORD = 1, MSG_ACK = 2 };
#define RECORDS 10u

struct fault_world {
    struct log *l;
    uint32_t source, worker;
    int step_emit, step_ack;
    uint32_t next_record;
    /* what the worker saw */
    uint32_t processed[RECORDS + 1], nprocessed;
    uint32_t crashed_at[4], ncrashed;
    int64_t send_after_crash;
    sim_timer_t timer_after_crash;
    uint64_t seen_in_handler_at_crash;
    uint32_t acks;
    uint32_t pred_calls, pred_bad_ctx;
};

struct worker_vol {
    uint64_t seen; /* records seen in this incarnation */
};

static void put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Source: record r (1..RECORDS) is sent at r ms and arrives at r + 1 ms. */
static void source_start(struct sim *s, uint32_t me, void *ctx) {
    (void)ctx;
    sim_timer_set(s, me, 1 * MS, 0);
}
static void source_timer(struct sim *s, uint32_t me, uint64_t tag, void *ctx) {
    (void)tag;
    struct fault_world *w = ctx;
    uint8_t buf[4];
    put_u32(buf, ++w->next_record);
    assert_true(sim_send(s, me, w->worker, MSG_RECORD, buf, 4) > 0);
    if (w->next_record < RECORDS) sim_timer_set(s, me, 1 * MS, 0);
}
static void source_msg(struct sim *s, uint32_t me, const struct sim_msg *m, void *ctx) {
    (void)s, (void)me;
    if (m->kind == MSG_ACK) ((struct fault_world *)ctx)->acks++;
}

static bool worker_crashed(struct sim *s, uint32_t me, struct fault_world *w, uint32_t r) {
    struct worker_vol *v = sim_node_volatile(s, me);
    w->crashed_at[w->ncrashed++] = r;
    w->send_after_crash = sim_send(s, me, w->source, MSG_ACK, "late", 4);
    w->timer_after_crash = sim_timer_set(s, me, 1 * MS, 77);
    w->seen_in_handler_at_crash = v->seen; /* still readable until the handler returns */
    return true;
}

/* Worker: count, step "after-emit", step "before-ack", ack. */
static void worker_msg(struct sim *s, uint32_t me, const struct sim_msg *m, void *ctx) {
    struct fault_world *w = ctx;
    struct worker_vol *v = sim_node_volatile(s, me);
    uint32_t r = get_u32(m->data);
    v->seen++;
    if (sim_step(s, me, w->step_emit, r) && worker_crashed(s, me, w, r)) return;
    if (sim_step(s, me, w->step_ack, r) && worker_crashed(s, me, w, r)) return;
    assert_true(sim_send(s, me, w->source, MSG_ACK, m->data, 4) > 0);
    w->processed[w->nprocessed++] = r;
}

static void worker_recover(struct sim *s, uint32_t me, void *ctx) {
    (void)me;
    struct fault_world *w = ctx;
    w->l->recovers++;
    log_tag(s, w->l, 1000 + sim_node_incarnation(s, me)); /* when recovery ran */
}

static struct sim *fault_world_new(struct fault_world *w) {
    struct sim *s = new_sim(1);
    memset(w, 0, sizeof *w);
    w->l = log_new();
    sim_set_trace_hook(s, log_trace, w->l);
    static const struct sim_node_ops src = {
        .on_start = source_start, .on_timer = source_timer, .on_message = source_msg};
    static const struct sim_node_ops wrk = {.on_message = worker_msg, .on_recover = worker_recover};
    w->source = (uint32_t)sim_node_add(s, "source", &src, w, 0, 0);
    w->worker = (uint32_t)sim_node_add(s, "worker", &wrk, w, sizeof(struct worker_vol), 0);
    w->step_emit = sim_step_id(s, "after-emit");
    w->step_ack = sim_step_id(s, "before-ack");
    assert_int_equal(w->step_emit, 0);
    assert_int_equal(w->step_ack, 1);
    assert_int_equal(sim_step_id(s, "after-emit"), 0); /* interned once */
    assert_string_equal(sim_step_name(s, w->step_ack), "before-ack");
    return s;
}

static void assert_processed(const struct fault_world *w, const uint32_t *want, uint32_t n) {
    if (w->nprocessed != n) {
        for (uint32_t i = 0; i < w->nprocessed; i++)
            fprintf(stderr, "  processed record %u\n", w->processed[i]);
        fail_msg("%u records processed, expected %u", w->nprocessed, n);
    }
    for (uint32_t i = 0; i < n; i++)
        assert_int_equal(w->processed[i], want[i]);
}

static void test_fault_rule_crashes_node_exactly_at_nth_matching_step(void **state) {
    (void)state;
    struct fault_world w;
    struct sim *s = fault_world_new(&w);
    struct sim_fault_rule rule = {.node = w.worker,
                                  .step = w.step_emit,
                                  .arg = SIM_ANY,
                                  .nth = 3,
                                  .action = SIM_FAULT_CRASH,
                                  .restart_after_ns = 2 * MS + 500 * SIM_NS_PER_US};
    assert_int_equal(sim_fault_add(s, &rule), 0);
    assert_int_equal(sim_run_until(s, SIM_TIME_MAX), 0);

    /* Record 3 arrives at 4 ms: the 3rd "after-emit" step crashes the worker there.
     * Records 4 (5 ms) and 5 (6 ms) find it down; it restarts at 6.5 ms; the rule fired
     * once, so 6..10 are processed. */
    assert_int_equal(w.ncrashed, 1);
    assert_int_equal(w.crashed_at[0], 3);
    assert_int_equal(w.send_after_crash, FT_EDOWN);
    assert_int_equal(w.timer_after_crash, 0);
    assert_int_equal(w.seen_in_handler_at_crash, 3);
    static const uint32_t want[] = {1, 2, 6, 7, 8, 9, 10};
    assert_processed(&w, want, sizeof want / sizeof want[0]);
    assert_int_equal(w.acks, 7);
    assert_int_equal(w.l->recovers, 1);
    assert_int_equal(w.l->tag_ns[0], 6 * MS + 500 * SIM_NS_PER_US);
    assert_int_equal(sim_node_incarnation(s, w.worker), 1);
    /* Volatile state was reset after the crashing handler returned: 5 records since. */
    assert_int_equal(((struct worker_vol *)sim_node_volatile(s, w.worker))->seen, 5);
    assert_int_equal(count_trace(w.l, SIM_TR_DROP, SIM_DROP_DOWN), 2);

    /* The trace shows the fault, then the crash, at 4 ms. */
    uint32_t faults = 0;
    for (uint32_t i = 0; i < w.l->ntr; i++) {
        const struct sim_trace_rec *r = &w.l->tr[i];
        if (r->type != SIM_TR_FAULT) continue;
        faults++;
        assert_int_equal(r->time_ns, 4 * MS);
        assert_int_equal(r->node, w.worker);
        assert_int_equal(r->kind, (uint32_t)w.step_emit);
        assert_int_equal(r->arg, 3);
        assert_true(i + 1 < w.l->ntr);
        assert_int_equal(w.l->tr[i + 1].type, SIM_TR_CRASH);
        assert_int_equal(w.l->tr[i + 1].node, w.worker);
    }
    assert_int_equal(faults, 1);
    free(w.l);
    sim_free(s);
}

static bool pred_even(const struct sim_step_ctx *c, void *arg) {
    struct fault_world *w = arg;
    w->pred_calls++;
    if (c->node != w->worker || c->step != w->step_ack || c->arg < 1 || c->arg > RECORDS)
        w->pred_bad_ctx++;
    return c->arg % 2 == 0;
}

static void test_fault_rule_matches_node_arg_and_predicate(void **state) {
    (void)state;
    struct fault_world w;
    struct sim *s = fault_world_new(&w);
    /* Never fires: the worker is not the source. */
    struct sim_fault_rule other = {
        .node = w.source, .step = w.step_emit, .arg = SIM_ANY, .nth = 1, .action = SIM_FAULT_CRASH};
    /* The 2nd "before-ack" step with an even record: record 4 (arrives 5 ms). */
    struct sim_fault_rule even = {.node = SIM_ANY,
                                  .step = w.step_ack,
                                  .arg = SIM_ANY,
                                  .nth = 2,
                                  .action = SIM_FAULT_CRASH,
                                  .restart_after_ns = 1 * MS + 500 * SIM_NS_PER_US,
                                  .pred = pred_even,
                                  .pred_arg = &w};
    /* The first "after-emit" step with arg 7: record 7 (arrives 8 ms). */
    struct sim_fault_rule seven = {.node = w.worker,
                                   .step = w.step_emit,
                                   .arg = 7,
                                   .nth = 1,
                                   .action = SIM_FAULT_CRASH,
                                   .restart_after_ns = 1 * MS + 500 * SIM_NS_PER_US};
    assert_int_equal(sim_fault_add(s, &other), 0);
    assert_int_equal(sim_fault_add(s, &even), 0);
    assert_int_equal(sim_fault_add(s, &seven), 0);
    assert_int_equal(sim_run_until(s, SIM_TIME_MAX), 0);

    /* 4 crashes at 5 ms (restart 6.5: record 5 at 6 ms dropped); 7 crashes at 8 ms
     * (restart 9.5: record 8 at 9 ms dropped). */
    assert_int_equal(w.ncrashed, 2);
    assert_int_equal(w.crashed_at[0], 4);
    assert_int_equal(w.crashed_at[1], 7);
    static const uint32_t want[] = {1, 2, 3, 6, 9, 10};
    assert_processed(&w, want, sizeof want / sizeof want[0]);
    assert_int_equal(sim_node_incarnation(s, w.worker), 2);
    assert_int_equal(w.pred_bad_ctx, 0);
    /* The predicate is asked for "before-ack" steps until the rule fires: records 1..4. */
    assert_int_equal(w.pred_calls, 4);
    free(w.l);
    sim_free(s);
}

static void test_sim_step_returns_false_without_rules_and_bad_rules_fail(void **state) {
    (void)state;
    struct fault_world w;
    struct sim *s = fault_world_new(&w);
    assert_false(sim_step(s, w.worker, w.step_emit, 1));
    assert_int_equal(sim_run_until(s, SIM_TIME_MAX), 0);
    static const uint32_t want[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    assert_processed(&w, want, RECORDS);
    struct sim_fault_rule bad = {
        .node = w.worker, .step = w.step_emit, .arg = SIM_ANY, .nth = 0, .action = SIM_FAULT_CRASH};
    assert_int_equal(sim_fault_add(s, &bad), FT_EINVAL);
    free(w.l);
    sim_free(s);
    s = fault_world_new(&w);
    bad.nth = 1;
    bad.step = 17; /* never interned */
    assert_int_equal(sim_fault_add(s, &bad), FT_EINVAL);
    free(w.l);
    sim_free(s);
}

/* ---- limits ---- */

static void test_more_than_nodes_max_fails_with_elimit_and_message(void **state) {
    (void)state;
    struct sim *s = new_sim(1);
    char name[32];
    for (uint32_t i = 0; i < SIM_NODES_MAX; i++) {
        snprintf(name, sizeof name, "n%u", i);
        assert_int_equal(sim_node_add(s, name, NULL, NULL, 0, 0), (int)i);
    }
    assert_int_equal(sim_node_add(s, "one-too-many", NULL, NULL, 0, 0), FT_ELIMIT);
    assert_int_equal(sim_node_count(s), SIM_NODES_MAX);
    assert_int_equal(sim_error(s)->code, FT_ELIMIT);
    assert_non_null(strstr(sim_error(s)->msg, "SIM_NODES_MAX"));
    sim_free(s);
}

static void test_message_over_bytes_max_fails_with_elimit(void **state) {
    (void)state;
    struct sim *s = new_sim(1);
    uint8_t *buf = malloc(SIM_MSG_BYTES_MAX + 1);
    assert_non_null(buf);
    for (uint32_t i = 0; i <= SIM_MSG_BYTES_MAX; i++)
        buf[i] = (uint8_t)(i * 7);
    assert_int_equal(sim_node_add(s, "a", NULL, NULL, 0, 0), 0);
    assert_int_equal(sim_node_add(s, "b", NULL, NULL, 0, 0), 1);
    assert_true(sim_send(s, 0, 1, 0, buf, SIM_MSG_BYTES_MAX) > 0); /* exactly the max */
    assert_int_equal(sim_send(s, 0, 1, 0, buf, SIM_MSG_BYTES_MAX + 1), FT_ELIMIT);
    assert_int_equal(sim_error(s)->code, FT_ELIMIT);
    assert_non_null(strstr(sim_error(s)->msg, "SIM_MSG_BYTES_MAX"));
    struct net_stats st;
    net_stats(s, &st);
    assert_int_equal(st.sent, 1);
    free(buf);
    sim_free(s);
}

struct bigsend {
    uint8_t *buf;
    uint32_t after;
};

static void bigsend_start(struct sim *s, uint32_t me, void *ctx) {
    struct bigsend *b = ctx;
    sim_timer_set(s, me, 1 * MS, 0);
    sim_send(s, me, me, 0, b->buf, SIM_MSG_BYTES_MAX + 1);
}
static void bigsend_timer(struct sim *s, uint32_t me, uint64_t tag, void *ctx) {
    (void)s, (void)me, (void)tag;
    ((struct bigsend *)ctx)->after++;
}

static void test_message_over_bytes_max_in_handler_stops_the_run(void **state) {
    (void)state;
    struct sim *s = new_sim(1);
    struct bigsend b = {calloc(1, SIM_MSG_BYTES_MAX + 1), 0};
    assert_non_null(b.buf);
    static const struct sim_node_ops ops = {.on_start = bigsend_start, .on_timer = bigsend_timer};
    assert_int_equal(sim_node_add(s, "a", &ops, &b, 0, 0), 0);
    assert_int_equal(sim_run_until(s, SIM_TIME_MAX), FT_ELIMIT);
    assert_int_equal(b.after, 0); /* the run stopped before the 1 ms timer */
    assert_non_null(strstr(sim_error(s)->msg, "SIM_MSG_BYTES_MAX"));
    free(b.buf);
    sim_free(s);
}

static void test_duplicate_or_malformed_node_name_fails(void **state) {
    (void)state;
    struct sim *s = new_sim(1);
    assert_int_equal(sim_node_add(s, "x", NULL, NULL, 0, 0), 0);
    assert_int_equal(sim_node_add(s, "x", NULL, NULL, 0, 0), FT_EINVAL);
    assert_non_null(strstr(sim_error(s)->msg, "'x'"));
    assert_int_equal(sim_node_count(s), 1);
    assert_int_equal(sim_node_find(s, "x"), 0);
    assert_int_equal(sim_node_find(s, "y"), FT_ENOENT);
    sim_free(s);

    char name[SIM_NODE_NAME_MAX + 1];
    memset(name, 'n', sizeof name);
    name[SIM_NODE_NAME_MAX - 1] = '\0'; /* 63 bytes: fits */
    s = new_sim(1);
    assert_int_equal(sim_node_add(s, name, NULL, NULL, 0, 0), 0);
    assert_string_equal(sim_node_name(s, 0), name);
    sim_free(s);
    name[SIM_NODE_NAME_MAX - 1] = 'n';
    name[SIM_NODE_NAME_MAX] = '\0'; /* 64 bytes: too long */
    s = new_sim(1);
    assert_int_equal(sim_node_add(s, name, NULL, NULL, 0, 0), FT_EINVAL);
    sim_free(s);
    s = new_sim(1);
    assert_int_equal(sim_node_add(s, "", NULL, NULL, 0, 0), FT_EINVAL);
    assert_int_equal(sim_node_count(s), 0);
    sim_free(s);
}

static void test_failed_call_returns_its_own_code_after_an_earlier_failure(void **state) {
    (void)state;
    struct sim *s = new_sim(1);
    assert_int_equal(sim_node_add(s, "a", NULL, NULL, 0, 0), 0);
    assert_int_equal(sim_node_add(s, "a", NULL, NULL, 0, 0), FT_EINVAL);
    /* A different mistake afterwards still reports what went wrong this time. */
    assert_int_equal(sim_node_add(s, "b", NULL, NULL, 0, SIM_NODE_ARENA_MAX + 1u), FT_ELIMIT);
    assert_int_equal(sim_send(s, 0, 0, 0, NULL, SIM_MSG_BYTES_MAX + 1), FT_ELIMIT);
    sim_free(s);
}

/* ---- handlers may add nodes (the node table may move under them) ---- */

struct spawnctx {
    uint32_t starts, spawned_by_start, spawned_by_recover, received;
};

static void spawned_start(struct sim *s, uint32_t me, void *ctx) {
    (void)s, (void)me;
    ((struct spawnctx *)ctx)->starts++;
}

/* Batches of 50 grow the node table (capacity 16, doubling) inside each handler:
 * 1 -> 51 (on_start), -> 101 (on_message), -> 151 (on_recover). */
#define SPAWN_BATCH 50u

static void spawn_many(struct sim *s, struct spawnctx *c, const char *prefix, uint32_t *count) {
    static const struct sim_node_ops ops = {.on_start = spawned_start};
    char name[32];
    for (uint32_t i = 0; i < SPAWN_BATCH; i++) {
        snprintf(name, sizeof name, "%s%u", prefix, i);
        assert_true(sim_node_add(s, name, &ops, c, 8, 8) >= 0);
        (*count)++;
    }
}

static void spawner_start(struct sim *s, uint32_t me, void *ctx) {
    (void)me;
    spawn_many(s, ctx, "start-", &((struct spawnctx *)ctx)->spawned_by_start);
}
static void spawner_recover(struct sim *s, uint32_t me, void *ctx) {
    (void)me;
    spawn_many(s, ctx, "recover-", &((struct spawnctx *)ctx)->spawned_by_recover);
}
static void spawner_msg(struct sim *s, uint32_t me, const struct sim_msg *m, void *ctx) {
    (void)m;
    struct spawnctx *c = ctx;
    c->received++;
    spawn_many(s, ctx, "msg-", &c->spawned_by_start);
    if (c->received == 1) sim_crash(s, me); /* crash with the table moved underneath */
}

static void test_handlers_may_add_nodes(void **state) {
    (void)state;
    struct sim *s = new_sim(1);
    struct spawnctx c = {0};
    static const struct sim_node_ops ops = {
        .on_start = spawner_start, .on_recover = spawner_recover, .on_message = spawner_msg};
    assert_int_equal(sim_node_add(s, "spawner", &ops, &c, 16, 16), 0);
    assert_int_equal(sim_run_until(s, 1 * MS), 0);
    assert_true(sim_send(s, 0, 0, 0, NULL, 0) > 0);
    assert_int_equal(sim_run_until(s, 3 * MS), 0);
    assert_false(sim_node_up(s, 0));
    sim_restart(s, 0);
    assert_int_equal(sim_run_until(s, SIM_TIME_MAX), 0);
    assert_int_equal(sim_node_count(s), 1 + SPAWN_BATCH * 3);
    assert_int_equal(c.starts, SPAWN_BATCH * 3);
    assert_int_equal(c.spawned_by_recover, SPAWN_BATCH);
    sim_free(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crash_loses_volatile_arena_and_valloc_memory_keeps_durable),
        cmocka_unit_test(test_valloc_over_arena_max_fails_with_elimit),
        cmocka_unit_test(test_crash_discards_pending_timers_even_after_restart),
        cmocka_unit_test(test_restart_runs_on_recover_and_increments_incarnation),
        cmocka_unit_test(test_restart_runs_on_start_when_on_recover_is_null),
        cmocka_unit_test(test_crash_of_down_node_and_restart_of_up_node_are_no_ops),
        cmocka_unit_test(test_message_to_down_node_is_dropped_with_reason_down),
        cmocka_unit_test(test_cancelled_timer_never_fires),
        cmocka_unit_test(test_cancel_with_stale_handle_does_not_cancel_timer_reusing_its_slot),
        cmocka_unit_test(test_equal_time_timers_fire_in_scheduling_order),
        cmocka_unit_test(test_events_fire_in_time_then_scheduling_order_across_lanes_and_heap),
        cmocka_unit_test(test_fault_rule_crashes_node_exactly_at_nth_matching_step),
        cmocka_unit_test(test_fault_rule_matches_node_arg_and_predicate),
        cmocka_unit_test(test_sim_step_returns_false_without_rules_and_bad_rules_fail),
        cmocka_unit_test(test_more_than_nodes_max_fails_with_elimit_and_message),
        cmocka_unit_test(test_message_over_bytes_max_fails_with_elimit),
        cmocka_unit_test(test_message_over_bytes_max_in_handler_stops_the_run),
        cmocka_unit_test(test_duplicate_or_malformed_node_name_fails),
        cmocka_unit_test(test_failed_call_returns_its_own_code_after_an_earlier_failure),
        cmocka_unit_test(test_handlers_may_add_nodes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
