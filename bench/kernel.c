/* Kernel benchmarks: how close the event loop runs to its own heap.
 *
 *   kernel [SCALE]
 *
 * (a) heap.ops_per_s.pending_N: the raw heap (sim/heap.h, the kernel's own code) in the
 *     hold model: pop the minimum, push it back at its time + an increment, N entries
 *     pending. One op = one pop + one push.
 * (b) kernel.events_per_s.pending_N: the same hold model through the kernel: 1000
 *     nodes hold N timers in all; each fired timer re-arms one timer. The increments
 *     are the very same table, in the same order, so both runs see the same
 *     (time, seq) sequence. The trace hash is on (it always is).
 *     kernel.heap_ratio.pending_N = (b) / (a), both measured in this run.
 * (c) net.messages_per_s: 100 nodes send 64-byte messages to random peers through
 *     the network model with 1 ms latency, 1 ms jitter and 1% loss; every delivery
 *     triggers a send (plus one more per 99, making up for the loss).
 *
 * SCALE (default 1) multiplies the measured work: `kernel 0.05` is a smoke run.
 * Each figure is the best of REPS runs; heap and kernel runs alternate so that
 * their ratio sees the same machine load. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "heap.h"
#include "sim.h"

#define INC_BITS 16
#define INC_N (1u << INC_BITS)
#define INC_MASK (INC_N - 1u)
#define INC_MEAN_NS SIM_NS_PER_MS
#define HOLD_NODES 1000u
#define REPS 3
#define OPS_BASE 2000000.0 /* measured ops per run at SCALE 1 */

static uint64_t inc_tab[INC_N];

static void die(const char *what, const struct sim *s) {
    fprintf(stderr, "kernel: %s: %s\n", what, s ? sim_error(s)->msg : "out of memory");
    exit(1);
}

/* Exponential increments (mean 1 ms, at least 1 ns), the classic hold model. */
static void make_increments(void) {
    struct rng r;
    rng_init(&r, 1, "bench:hold");
    for (uint32_t i = 0; i < INC_N; i++)
        inc_tab[i] = 1 + rng_exponential(&r, INC_MEAN_NS);
}

/* ---- (a) raw heap ---- */

static double heap_run(size_t pending, uint64_t warm, uint64_t ops) {
    struct heap h;
    if (heap_init(&h, pending + 1) != 0) die("heap_init", NULL);
    uint64_t seq = 0, k = 0;
    for (size_t i = 0; i < pending; i++)
        if (heap_push(&h, (struct heap_entry){inc_tab[k++ & INC_MASK], seq++, i}) != 0)
            die("heap_push", NULL);
    double t0 = 0;
    uint64_t check = 0;
    for (uint64_t i = 0; i < warm + ops; i++) {
        if (i == warm) t0 = bench_seconds(CLOCK_MONOTONIC);
        struct heap_entry e = heap_pop(&h);
        check += e.slot;
        e.time += inc_tab[k++ & INC_MASK];
        e.seq = seq++;
        if (heap_push(&h, e) != 0) die("heap_push", NULL);
    }
    double dt = bench_seconds(CLOCK_MONOTONIC) - t0;
    if (check == 1) puts(""); /* keeps the payload live */
    heap_free(&h);
    return (double)ops / dt;
}

/* ---- (b) the kernel loop, same hold model ---- */

struct hold {
    uint64_t k;     /* next increment */
    uint64_t fired; /* timers fired so far */
    uint64_t stop_at;
    uint32_t per_node;
};

static void hold_start(struct sim *s, uint32_t node, void *ctx) {
    struct hold *b = ctx;
    for (uint32_t i = 0; i < b->per_node; i++)
        sim_timer_set(s, node, inc_tab[b->k++ & INC_MASK], i);
}

static void hold_timer(struct sim *s, uint32_t node, uint64_t tag, void *ctx) {
    struct hold *b = ctx;
    sim_timer_set(s, node, inc_tab[b->k++ & INC_MASK], tag);
    if (++b->fired == b->stop_at) sim_stop(s);
}

static double kernel_run(size_t pending, uint64_t warm, uint64_t ops) {
    struct sim_config cfg = {.seed = 1};
    struct sim *s = sim_new(&cfg);
    if (!s) die("sim_new", NULL);
    uint32_t nodes = pending < HOLD_NODES ? (uint32_t)pending : HOLD_NODES;
    struct hold b = {.per_node = (uint32_t)(pending / nodes)};
    struct sim_node_ops ops_tab = {.on_start = hold_start, .on_timer = hold_timer};
    for (uint32_t i = 0; i < nodes; i++) {
        char name[32];
        snprintf(name, sizeof name, "n%u", i);
        if (sim_node_add(s, name, &ops_tab, &b, 0, 0) < 0) die("sim_node_add", s);
    }
    /* The start events run first (time 0); then warm up. */
    b.stop_at = warm;
    if (sim_run_until(s, SIM_TIME_MAX) != 0) die("warm-up", s);
    if (sim_pending(s) != nodes * (size_t)b.per_node) die("pending count", s);
    b.stop_at = warm + ops;
    double t0 = bench_seconds(CLOCK_MONOTONIC);
    if (sim_run_until(s, SIM_TIME_MAX) != 0) die("run", s);
    double dt = bench_seconds(CLOCK_MONOTONIC) - t0;
    if (b.fired != warm + ops) die("fired count", s);
    sim_free(s);
    return (double)ops / dt;
}

/* ---- (c) the network model ---- */

#define NET_NODES 100u
#define NET_FANOUT 100u /* messages each node starts with */
#define NET_MSG_BYTES 64u

struct netb {
    uint64_t sent, delivered, stop_at;
};

static void net_send_random(struct sim *s, uint32_t me, struct netb *b) {
    uint8_t buf[NET_MSG_BYTES];
    memset(buf, 0, sizeof buf);
    memcpy(buf, &b->sent, sizeof b->sent);
    uint32_t dst = (uint32_t)rng_below(sim_node_rng(s, me), NET_NODES - 1);
    if (dst >= me) dst++;
    if (sim_send(s, me, dst, 1, buf, sizeof buf) < 0) die("sim_send", s);
    if (++b->sent == b->stop_at) sim_stop(s);
}

static void net_start(struct sim *s, uint32_t me, void *ctx) {
    for (uint32_t i = 0; i < NET_FANOUT; i++)
        net_send_random(s, me, ctx);
}

static void net_msg(struct sim *s, uint32_t me, const struct sim_msg *m, void *ctx) {
    struct netb *b = ctx;
    (void)m;
    net_send_random(s, me, b);
    if (++b->delivered % 99 == 0) net_send_random(s, me, b);
}

static double net_run(uint64_t warm, uint64_t msgs) {
    struct sim_config cfg = {.seed = 1};
    struct sim *s = sim_new(&cfg);
    if (!s) die("sim_new", NULL);
    struct net_link_cfg link = {
        .latency_ns = SIM_NS_PER_MS, .jitter_ns = SIM_NS_PER_MS, .loss_p = 0.01};
    if (net_set_default(s, &link) != 0) die("net_set_default", s);
    struct netb b = {.stop_at = warm};
    struct sim_node_ops ops = {.on_start = net_start, .on_message = net_msg};
    for (uint32_t i = 0; i < NET_NODES; i++) {
        char name[32];
        snprintf(name, sizeof name, "n%u", i);
        if (sim_node_add(s, name, &ops, &b, 0, 0) < 0) die("sim_node_add", s);
    }
    if (sim_run_until(s, SIM_TIME_MAX) != 0) die("warm-up", s);
    uint64_t sent0 = b.sent;
    b.stop_at = sent0 + msgs;
    double t0 = bench_seconds(CLOCK_MONOTONIC);
    if (sim_run_until(s, SIM_TIME_MAX) != 0) die("run", s);
    double dt = bench_seconds(CLOCK_MONOTONIC) - t0;
    double rate = (double)(b.sent - sent0) / dt;
    sim_free(s);
    return rate;
}

static void print_rate(const char *name, const char *suffix, double v, const char *unit) {
    printf("%s%s %.0f %s\n", name, suffix, v, unit);
}

int main(int argc, char **argv) {
    double scale = 1.0;
    if (argc > 2 || (argc == 2 && ((scale = strtod(argv[1], NULL)) <= 0 || scale > 100))) {
        fprintf(stderr, "usage: kernel [SCALE]   (SCALE in (0, 100], default 1)\n");
        return 2;
    }
    make_increments();
    static const struct {
        size_t pending;
        const char *suffix;
    } sizes[] = {{1000, ".pending_1e3"}, {100000, ".pending_1e5"}, {1000000, ".pending_1e6"}};
    uint64_t ops = (uint64_t)(OPS_BASE * scale);
    if (ops < 1000) ops = 1000;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i].pending;
        uint64_t warm = n < ops ? n : ops; /* about one pass over the pending set */
        double best_h = 0, best_k = 0;
        for (int r = 0; r < REPS; r++) {
            double h = heap_run(n, warm, ops);
            double k = kernel_run(n, warm, ops);
            if (h > best_h) best_h = h;
            if (k > best_k) best_k = k;
        }
        print_rate("heap.ops_per_s", sizes[i].suffix, best_h, "ops/s");
        print_rate("kernel.events_per_s", sizes[i].suffix, best_k, "events/s");
        printf("kernel.heap_ratio%s %.2f ratio\n", sizes[i].suffix, best_k / best_h);
        fflush(stdout);
    }
    uint64_t msgs = (uint64_t)(OPS_BASE * scale / 2);
    if (msgs < 1000) msgs = 1000;
    double best_n = 0;
    for (int r = 0; r < REPS; r++) {
        double v = net_run(msgs / 4, msgs);
        if (v > best_n) best_n = v;
    }
    print_rate("net.messages_per_s", "", best_n, "msgs/s");
    return 0;
}
