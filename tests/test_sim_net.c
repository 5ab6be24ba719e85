/* The network model (sim/sim.h, net.c): loss, duplication and reordering happen at the
 * configured rates (within 4 standard deviations over 1e5 messages); latency stays in
 * [fixed, fixed + jitter]; links are FIFO unless reordering is on; partitions cut exactly
 * the links between sides, at send and at delivery, and heal; a targeted drop rule drops
 * exactly the nth..nth+count-1 matching messages; bandwidth adds len*8/bps. Expected
 * values are worked out from the configuration, never read back from the kernel. */
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
#define US SIM_NS_PER_US
#define N_MSGS 100000u

/* ---- a recording world ---- */

struct delivery {
    uint64_t id, sent_ns, at_ns;
    uint32_t src, dst, kind, seq;
};
struct dropped {
    uint64_t id, at_ns;
    uint32_t src, dst, kind;
    uint8_t reason;
};

struct world {
    struct sim *s;
    struct delivery *d;
    size_t nd, dcap;
    struct dropped *x;
    size_t nx, xcap;
    uint64_t by_reason[SIM_DROP_DOWN + 1];
    uint64_t partitions, heals;
    uint32_t next_seq[16][16]; /* per link */
};

static void *grow(void *p, size_t *cap, size_t n, size_t elem) {
    if (n < *cap) return p;
    *cap = *cap ? *cap * 2 : 1024;
    p = realloc(p, *cap * elem);
    assert_non_null(p);
    return p;
}

static uint32_t get_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void on_msg(struct sim *s, uint32_t me, const struct sim_msg *m, void *ctx) {
    struct world *w = ctx;
    w->d = grow(w->d, &w->dcap, w->nd, sizeof *w->d);
    assert_int_equal(m->dst, me);
    assert_int_equal(m->len, 4);
    w->d[w->nd++] =
        (struct delivery){m->id, m->sent_ns, sim_now(s), m->src, m->dst, m->kind, get_u32(m->data)};
}

static void on_trace(const struct sim_trace_rec *r, void *ctx) {
    struct world *w = ctx;
    if (r->type == SIM_TR_PARTITION) w->partitions++;
    if (r->type == SIM_TR_HEAL) w->heals++;
    if (r->type != SIM_TR_DROP) return;
    assert_true(r->reason >= SIM_DROP_LOSS && r->reason <= SIM_DROP_DOWN);
    w->by_reason[r->reason]++;
    w->x = grow(w->x, &w->xcap, w->nx, sizeof *w->x);
    w->x[w->nx++] = (struct dropped){r->id, r->time_ns, r->node, r->peer, r->kind, r->reason};
}

/* A world of `n` nodes "n0".."n{n-1}" (or the given names) under `cfg`. */
static struct world *world_new(uint64_t seed, uint32_t n, const char *const *names,
                               const struct net_link_cfg *cfg) {
    struct world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    w->s = sim_new(&(struct sim_config){.seed = seed});
    assert_non_null(w->s);
    sim_set_trace_hook(w->s, on_trace, w);
    assert_int_equal(net_set_default(w->s, cfg), 0);
    static const struct sim_node_ops ops = {.on_message = on_msg};
    for (uint32_t i = 0; i < n; i++) {
        char name[16];
        snprintf(name, sizeof name, "n%u", i);
        assert_int_equal(sim_node_add(w->s, names ? names[i] : name, &ops, w, 0, 0), (int)i);
    }
    return w;
}

static void world_free(struct world *w) {
    sim_free(w->s);
    free(w->d);
    free(w->x);
    free(w);
}

/* Sends one message with the link's next sequence number as payload. */
static int64_t send_seq(struct world *w, uint32_t src, uint32_t dst, uint32_t kind) {
    uint32_t seq = w->next_seq[src][dst]++;
    uint8_t buf[4] = {(uint8_t)seq, (uint8_t)(seq >> 8), (uint8_t)(seq >> 16),
                      (uint8_t)(seq >> 24)};
    int64_t id = sim_send(w->s, src, dst, kind, buf, 4);
    assert_true(id > 0);
    return id;
}

static void run_all(struct world *w) {
    assert_int_equal(sim_run_until(w->s, SIM_TIME_MAX), 0);
}

/* ---- loss and duplication ---- */

static void test_loss_rate_within_4_sd_of_loss_p(void **state) {
    (void)state;
    static const double ps[] = {0.01, 0.1, 0.5};
    for (size_t c = 0; c < sizeof ps / sizeof ps[0]; c++) {
        struct world *w = world_new(1 + c, 2, NULL,
                                    &(struct net_link_cfg){.latency_ns = 1 * MS, .loss_p = ps[c]});
        for (uint32_t i = 0; i < N_MSGS; i++)
            send_seq(w, 0, 1, 0);
        run_all(w);
        uint64_t lost = N_MSGS - w->nd;
        char what[32];
        snprintf(what, sizeof what, "lost at loss_p %g", ps[c]);
        assert_true(tu_binomial_within(what, lost, N_MSGS, ps[c], 4.0));
        struct net_stats st;
        net_stats(w->s, &st);
        assert_int_equal(st.sent, N_MSGS);
        assert_int_equal(st.lost, lost);
        assert_int_equal(st.delivered, w->nd);
        assert_int_equal(w->by_reason[SIM_DROP_LOSS], lost);
        assert_int_equal(st.duplicated, 0);
        world_free(w);
    }
    /* The extremes are exact. */
    struct world *w = world_new(9, 2, NULL, &(struct net_link_cfg){.loss_p = 0.0});
    for (uint32_t i = 0; i < 1000; i++)
        send_seq(w, 0, 1, 0);
    run_all(w);
    assert_int_equal(w->nd, 1000);
    world_free(w);
    w = world_new(9, 2, NULL, &(struct net_link_cfg){.loss_p = 1.0});
    for (uint32_t i = 0; i < 1000; i++)
        send_seq(w, 0, 1, 0);
    run_all(w);
    assert_int_equal(w->nd, 0);
    assert_int_equal(w->by_reason[SIM_DROP_LOSS], 1000);
    world_free(w);
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Number of ids delivered exactly twice; fails if any id arrives three times or more. */
static uint64_t ids_delivered_twice(const struct world *w) {
    uint64_t *ids = malloc((w->nd + 1) * sizeof *ids);
    assert_non_null(ids);
    for (size_t i = 0; i < w->nd; i++)
        ids[i] = w->d[i].id;
    qsort(ids, w->nd, sizeof *ids, cmp_u64);
    uint64_t twice = 0;
    for (size_t i = 0; i < w->nd;) {
        size_t j = i;
        while (j < w->nd && ids[j] == ids[i])
            j++;
        assert_true(j - i <= 2);
        twice += j - i == 2;
        i = j;
    }
    free(ids);
    return twice;
}

static void test_dup_rate_within_4_sd_and_copies_keep_their_id(void **state) {
    (void)state;
    struct world *w =
        world_new(2, 2, NULL,
                  &(struct net_link_cfg){.latency_ns = 1 * MS, .jitter_ns = 1 * MS, .dup_p = 0.05});
    int64_t *ids = malloc(N_MSGS * sizeof *ids);
    assert_non_null(ids);
    for (uint32_t i = 0; i < N_MSGS; i++)
        ids[i] = send_seq(w, 0, 1, 0);
    run_all(w);
    uint64_t dups = w->nd - N_MSGS;
    assert_true(tu_binomial_within("duplicated at dup_p 0.05", dups, N_MSGS, 0.05, 4.0));
    assert_int_equal(ids_delivered_twice(w), dups);
    struct net_stats st;
    net_stats(w->s, &st);
    assert_int_equal(st.duplicated, dups);
    assert_int_equal(st.sent, N_MSGS);
    /* A copy carries its original's id and payload (seq i was sent as ids[i]). */
    for (size_t i = 0; i < w->nd; i++)
        assert_int_equal(w->d[i].id, (uint64_t)ids[w->d[i].seq]);
    free(ids);
    world_free(w);
}

static void test_loss_applies_to_each_copy_of_a_duplicated_message(void **state) {
    (void)state;
    struct world *w = world_new(
        3, 2, NULL, &(struct net_link_cfg){.latency_ns = 1 * MS, .loss_p = 0.2, .dup_p = 0.3});
    for (uint32_t i = 0; i < N_MSGS; i++)
        send_seq(w, 0, 1, 0);
    run_all(w);
    struct net_stats st;
    net_stats(w->s, &st);
    assert_true(tu_binomial_within("duplicated at dup_p 0.3", st.duplicated, N_MSGS, 0.3, 4.0));
    uint64_t copies = N_MSGS + st.duplicated;
    assert_true(tu_binomial_within("copies lost at loss_p 0.2", st.lost, copies, 0.2, 4.0));
    assert_int_equal(w->nd, copies - st.lost);
    assert_int_equal(w->by_reason[SIM_DROP_LOSS], st.lost);
    world_free(w);
}

/* ---- latency ---- */

struct spaced {
    struct world *w;
    uint32_t left;
    uint64_t every_ns;
};

static void send_spaced(struct sim *s, void *arg) {
    struct spaced *sp = arg;
    send_seq(sp->w, 0, 1, 0);
    if (--sp->left) assert_int_equal(sim_call_at(s, sim_now(s) + sp->every_ns, send_spaced, sp), 0);
}

static void test_latency_stays_within_fixed_plus_jitter(void **state) {
    (void)state;
    const uint64_t fixed = 5 * MS, jitter = 2 * MS;
    /* Spaced 3 ms apart (more than the jitter), so FIFO order never holds one back and
     * the jitter shows its own distribution: uniform on [0, 2 ms]. */
    struct world *w =
        world_new(4, 2, NULL, &(struct net_link_cfg){.latency_ns = fixed, .jitter_ns = jitter});
    struct spaced sp = {w, 20000, 3 * MS};
    assert_int_equal(sim_call_at(w->s, 0, send_spaced, &sp), 0);
    run_all(w);
    assert_int_equal(w->nd, 20000);
    uint64_t lo = UINT64_MAX, hi = 0;
    double sum = 0;
    for (size_t i = 0; i < w->nd; i++) {
        uint64_t delay = w->d[i].at_ns - w->d[i].sent_ns;
        assert_in_range(delay, fixed, fixed + jitter);
        lo = delay < lo ? delay : lo;
        hi = delay > hi ? delay : hi;
        sum += (double)(delay - fixed);
    }
    assert_true(lo < fixed + jitter / 100); /* the jitter really spans its range */
    assert_true(hi > fixed + jitter - jitter / 100);
    double mean = sum / (double)w->nd, sd = (double)jitter / sqrt(12.0 * (double)w->nd);
    assert_true(fabs(mean - (double)jitter / 2) <= 4 * sd);
    world_free(w);

    /* A burst: FIFO holds later copies back, but never past fixed + jitter. */
    w = world_new(5, 2, NULL, &(struct net_link_cfg){.latency_ns = fixed, .jitter_ns = jitter});
    for (uint32_t i = 0; i < 10000; i++)
        send_seq(w, 0, 1, 0);
    run_all(w);
    for (size_t i = 0; i < w->nd; i++)
        assert_in_range(w->d[i].at_ns - w->d[i].sent_ns, fixed, fixed + jitter);
    world_free(w);

    /* No jitter: exactly the fixed latency. */
    w = world_new(6, 2, NULL, &(struct net_link_cfg){.latency_ns = fixed});
    for (uint32_t i = 0; i < 100; i++)
        send_seq(w, 0, 1, 0);
    run_all(w);
    for (size_t i = 0; i < w->nd; i++)
        assert_int_equal(w->d[i].at_ns, fixed);
    world_free(w);
}

/* ---- FIFO and reordering ---- */

struct burst {
    struct world *w;
    uint32_t left;
};

/* Every 100 us, a burst of 5 messages on each of n0->n2 and n1->n2. */
static void send_burst(struct sim *s, void *arg) {
    struct burst *b = arg;
    for (int k = 0; k < 5; k++) {
        send_seq(b->w, 0, 2, 0);
        send_seq(b->w, 1, 2, 0);
    }
    if (--b->left) assert_int_equal(sim_call_at(s, sim_now(s) + 100 * US, send_burst, b), 0);
}

/* Inversions per link: deliveries whose seq is below an earlier one on the same link. */
static uint64_t count_inversions(const struct world *w, bool *complete) {
    uint32_t max_seen[16][16];
    bool any[16][16] = {{false}};
    uint64_t inv = 0;
    for (size_t i = 0; i < w->nd; i++) {
        const struct delivery *d = &w->d[i];
        if (any[d->src][d->dst] && d->seq < max_seen[d->src][d->dst]) {
            inv++;
            continue;
        }
        max_seen[d->src][d->dst] = d->seq;
        any[d->src][d->dst] = true;
    }
    *complete = w->nd == (size_t)w->next_seq[0][2] + w->next_seq[1][2];
    return inv;
}

static void test_links_are_fifo_without_reordering(void **state) {
    (void)state;
    struct world *w =
        world_new(7, 3, NULL, &(struct net_link_cfg){.latency_ns = 1 * MS, .jitter_ns = 2 * MS});
    struct burst b = {w, 10000};
    assert_int_equal(sim_call_at(w->s, 0, send_burst, &b), 0);
    run_all(w);
    bool complete;
    assert_int_equal(count_inversions(w, &complete), 0);
    assert_true(complete);
    /* Strictly in order, link by link, with nothing missing. */
    uint32_t next[2] = {0, 0};
    for (size_t i = 0; i < w->nd; i++)
        assert_int_equal(w->d[i].seq, next[w->d[i].src]++);
    world_free(w);
}

static void test_reorder_p_reorders_some_messages_at_its_rate(void **state) {
    (void)state;
    struct world *w = world_new(
        8, 3, NULL,
        &(struct net_link_cfg){
            .latency_ns = 1 * MS, .jitter_ns = 100 * US, .reorder_p = 0.2, .reorder_ns = 5 * MS});
    struct burst b = {w, 10000};
    assert_int_equal(sim_call_at(w->s, 0, send_burst, &b), 0);
    run_all(w);
    bool complete;
    uint64_t inv = count_inversions(w, &complete);
    assert_true(complete);
    struct net_stats st;
    net_stats(w->s, &st);
    printf("reordering: %llu inversions among %zu deliveries\n", (unsigned long long)inv, w->nd);
    assert_true(inv > 0);
    assert_true(tu_binomial_within("reordered at reorder_p 0.2", st.reordered, st.sent, 0.2, 4.0));
    /* A held-back message arrives within fixed + jitter + reorder_ns. */
    for (size_t i = 0; i < w->nd; i++)
        assert_in_range(w->d[i].at_ns - w->d[i].sent_ns, 1 * MS, 1 * MS + 100 * US + 5 * MS);
    world_free(w);
}

/* ---- partitions ---- */

#define PN 5u
static const uint32_t SIDES[PN] = {0, 0, 1, 1, 2};

/* Sends one message on every ordered pair; kind = src * PN + dst. */
static void send_all_pairs(struct world *w, int64_t ids[PN][PN]) {
    for (uint32_t i = 0; i < PN; i++)
        for (uint32_t j = 0; j < PN; j++)
            if (i != j) ids[i][j] = send_seq(w, i, j, i * PN + j);
}

/* Checks every pair's fate: delivered iff `ok(i, j)`, else dropped with `reason`. */
static void check_pairs(const struct world *w, size_t d0, size_t x0, int64_t ids[PN][PN],
                        bool cut[PN][PN], uint8_t reason) {
    for (uint32_t i = 0; i < PN; i++)
        for (uint32_t j = 0; j < PN; j++) {
            if (i == j) continue;
            uint32_t delivered = 0, dropped = 0;
            for (size_t k = d0; k < w->nd; k++)
                delivered += w->d[k].id == (uint64_t)ids[i][j];
            for (size_t k = x0; k < w->nx; k++)
                if (w->x[k].id == (uint64_t)ids[i][j]) {
                    dropped++;
                    assert_int_equal(w->x[k].reason, reason);
                    assert_int_equal(w->x[k].src, i);
                    assert_int_equal(w->x[k].dst, j);
                }
            if (cut[i][j] && (delivered != 0 || dropped != 1))
                fail_msg("n%u->n%u crosses the cut: delivered %u, dropped %u", i, j, delivered,
                         dropped);
            if (!cut[i][j] && (delivered != 1 || dropped != 0))
                fail_msg("n%u->n%u is within a side: delivered %u, dropped %u", i, j, delivered,
                         dropped);
        }
}

static void test_partition_blocks_exactly_the_cut_links_and_heal_restores_them(void **state) {
    (void)state;
    struct world *w = world_new(10, PN, NULL, &(struct net_link_cfg){.latency_ns = 1 * MS});
    bool cut[PN][PN], none[PN][PN];
    uint64_t ncut = 0;
    for (uint32_t i = 0; i < PN; i++)
        for (uint32_t j = 0; j < PN; j++) {
            cut[i][j] = SIDES[i] != SIDES[j];
            none[i][j] = false;
            ncut += i != j && cut[i][j];
        }
    assert_int_equal(ncut, 16); /* 5*4 ordered pairs minus 2+2 within sides {0,1}, {2,3} */
    assert_int_equal(net_partition(w->s, 0, SIDES, PN), 0);
    for (uint32_t i = 0; i < PN; i++)
        for (uint32_t j = 0; j < PN; j++)
            assert_int_equal(net_can_talk(w->s, i, j), !cut[i][j]);
    int64_t ids[PN][PN];
    send_all_pairs(w, ids);
    run_all(w);
    check_pairs(w, 0, 0, ids, cut, SIM_DROP_PARTITION);
    struct net_stats st;
    net_stats(w->s, &st);
    assert_int_equal(st.dropped_partition, ncut);

    net_heal(w->s, 0);
    for (uint32_t i = 0; i < PN; i++)
        for (uint32_t j = 0; j < PN; j++)
            assert_true(net_can_talk(w->s, i, j));
    size_t d0 = w->nd, x0 = w->nx;
    send_all_pairs(w, ids);
    run_all(w);
    check_pairs(w, d0, x0, ids, none, 0);
    assert_int_equal(w->partitions, 1);
    assert_int_equal(w->heals, 1);
    world_free(w);
}

static void send_all_pairs_cb(struct sim *s, void *arg) {
    (void)s;
    struct world *w = arg;
    int64_t ids[PN][PN];
    send_all_pairs(w, ids);
}

static void test_scheduled_partition_cuts_in_flight_messages_and_heal_at_restores(void **state) {
    (void)state;
    struct world *w = world_new(11, PN, NULL, &(struct net_link_cfg){.latency_ns = 1 * MS});
    /* t=0: all pairs sent, arriving at 1 ms; the partition starts at 0.5 ms, so the
     * crossing ones are cut at delivery. t=2 ms: sent inside the partition, cut at send.
     * Heal at 3 ms; t=4 ms: all delivered. */
    int64_t ids0[PN][PN];
    send_all_pairs(w, ids0);
    assert_int_equal(net_partition_at(w->s, 500 * US, 0, SIDES, PN), 0);
    assert_int_equal(net_heal_at(w->s, 3 * MS, 0), 0);
    assert_int_equal(sim_call_at(w->s, 2 * MS, send_all_pairs_cb, w), 0);
    assert_int_equal(sim_call_at(w->s, 4 * MS, send_all_pairs_cb, w), 0);
    assert_true(net_can_talk(w->s, 0, 4)); /* not yet */
    run_all(w);

    uint64_t ncut = 0;
    for (uint32_t i = 0; i < PN; i++)
        for (uint32_t j = 0; j < PN; j++)
            ncut += SIDES[i] != SIDES[j];
    assert_int_equal(w->by_reason[SIM_DROP_PARTITION], 2 * ncut);
    assert_int_equal(w->nd, 3 * PN * (PN - 1) - 2 * ncut);
    for (size_t k = 0; k < w->nx; k++) {
        const struct dropped *x = &w->x[k];
        assert_int_equal(x->reason, SIM_DROP_PARTITION);
        assert_int_not_equal(SIDES[x->src], SIDES[x->dst]);
        /* Cut at delivery (1 ms) for the t=0 batch, at send (2 ms) for the next. */
        assert_true(x->at_ns == 1 * MS || x->at_ns == 2 * MS);
        assert_int_equal(x->at_ns == 1 * MS, x->id == (uint64_t)ids0[x->src][x->dst]);
    }
    for (size_t k = 0; k < w->nd; k++) {
        const struct delivery *d = &w->d[k];
        if (d->sent_ns == 0 || d->sent_ns == 2 * MS) assert_int_equal(SIDES[d->src], SIDES[d->dst]);
    }
    assert_int_equal(w->partitions, 1);
    assert_int_equal(w->heals, 1);
    world_free(w);
}

static void test_partition_needs_one_side_per_node(void **state) {
    (void)state;
    struct world *w = world_new(12, PN, NULL, &(struct net_link_cfg){.latency_ns = 1 * MS});
    assert_int_equal(net_partition(w->s, 0, SIDES, PN - 1), FT_EINVAL);
    world_free(w);
    w = world_new(12, PN, NULL, &(struct net_link_cfg){.latency_ns = 1 * MS});
    assert_int_equal(net_partition_at(w->s, 1 * MS, 0, SIDES, PN + 1), FT_EINVAL);
    world_free(w);
}

static void test_node_added_after_scheduling_a_partition_is_on_side_0(void **state) {
    (void)state;
    /* The partition covers n0..n4; n5 joins before it takes effect. Nodes the partition
     * does not name are on side 0, as for one applied at once (net_can_talk). */
    struct world *w = world_new(13, PN, NULL, &(struct net_link_cfg){.latency_ns = 1 * MS});
    assert_int_equal(net_partition_at(w->s, 1 * MS, 0, SIDES, PN), 0);
    static const struct sim_node_ops ops = {.on_message = on_msg};
    assert_int_equal(sim_node_add(w->s, "late", &ops, w, 0, 0), (int)PN);
    assert_int_equal(sim_run_until(w->s, 2 * MS), 0);
    for (uint32_t i = 0; i < PN; i++) {
        assert_int_equal(net_can_talk(w->s, PN, i), SIDES[i] == 0);
        assert_int_equal(net_can_talk(w->s, i, PN), SIDES[i] == 0);
    }
    world_free(w);
}

/* Two partitions in effect at once stack: a pair talks only if both put it on one side;
 * healing one leaves the other's cuts; a heal of a partition not in effect does nothing
 * (and traces nothing). Sides here: A = {n0, n1} | {n2, n3, n4}, B = {n0, n2} | rest. */
static void test_overlapping_partitions_stack_and_each_heal_ends_its_own(void **state) {
    (void)state;
    static const uint32_t A[PN] = {0, 0, 1, 1, 1}, B[PN] = {0, 1, 0, 1, 1};
    struct world *w = world_new(16, PN, NULL, &(struct net_link_cfg){.latency_ns = 1 * MS});
    assert_int_equal(net_partition(w->s, 3, A, PN), 0);
    assert_int_equal(net_partition(w->s, 7, B, PN), 0);
    for (uint32_t i = 0; i < PN; i++)
        for (uint32_t j = 0; j < PN; j++)
            assert_int_equal(net_can_talk(w->s, i, j), A[i] == A[j] && B[i] == B[j]);
    assert_false(net_can_talk(w->s, 0, 1)); /* cut by B alone */
    assert_false(net_can_talk(w->s, 0, 2)); /* cut by A alone */
    assert_true(net_can_talk(w->s, 3, 4));  /* together in both */
    net_heal(w->s, 3);                      /* A ends; B's cuts stay */
    for (uint32_t i = 0; i < PN; i++)
        for (uint32_t j = 0; j < PN; j++)
            assert_int_equal(net_can_talk(w->s, i, j), B[i] == B[j]);
    net_heal(w->s, 3); /* not in effect any more: nothing */
    assert_false(net_can_talk(w->s, 0, 1));
    assert_int_equal(net_partition(w->s, 7, A, PN), 0); /* B's id again: its sides replaced */
    for (uint32_t i = 0; i < PN; i++)
        for (uint32_t j = 0; j < PN; j++)
            assert_int_equal(net_can_talk(w->s, i, j), A[i] == A[j]);
    net_heal(w->s, 7);
    for (uint32_t i = 0; i < PN; i++)
        for (uint32_t j = 0; j < PN; j++)
            assert_true(net_can_talk(w->s, i, j));
    assert_int_equal(w->partitions, 3);
    assert_int_equal(w->heals, 2);
    world_free(w);
}

/* ---- targeted drop rules ---- */

struct planned {
    uint32_t src, dst, kind;
};

static void test_drop_rule_drops_exactly_nth_to_nth_plus_count_minus_1_matches(void **state) {
    (void)state;
    /* Rule: n0->n1, kind 7, from the 3rd match, 2 messages. Other kinds on the same link
     * and kind 7 on other links (including n1->n0) do not count and are not dropped. */
    static const struct planned plan[] = {{0, 1, 7}, {0, 1, 8}, {0, 2, 7}, {2, 1, 7}, {0, 1, 7},
                                          {1, 0, 7}, {0, 1, 8}, {0, 1, 7}, /* 3rd match: dropped */
                                          {0, 2, 7}, {0, 1, 8}, {0, 1, 7}, /* 4th match: dropped */
                                          {0, 1, 7},                       /* 5th: delivered */
                                          {2, 1, 7}, {0, 1, 7}, {0, 1, 8}};
    const size_t n = sizeof plan / sizeof plan[0];
    struct world *w = world_new(14, 3, NULL, &(struct net_link_cfg){.latency_ns = 1 * MS});
    assert_int_equal(net_drop_rule(w->s, 0, 1, 7, 3, 2), 0);
    int64_t ids[sizeof plan / sizeof plan[0]];
    bool want_drop[sizeof plan / sizeof plan[0]];
    uint64_t matches = 0;
    for (size_t i = 0; i < n; i++) {
        ids[i] = send_seq(w, plan[i].src, plan[i].dst, plan[i].kind);
        bool match = plan[i].src == 0 && plan[i].dst == 1 && plan[i].kind == 7;
        matches += match;
        want_drop[i] = match && matches >= 3 && matches <= 4;
    }
    run_all(w);
    assert_int_equal(w->nx, 2);
    for (size_t i = 0; i < n; i++) {
        bool dropped = false, delivered = false;
        for (size_t k = 0; k < w->nx; k++)
            if (w->x[k].id == (uint64_t)ids[i]) {
                dropped = true;
                assert_int_equal(w->x[k].reason, SIM_DROP_RULE);
            }
        for (size_t k = 0; k < w->nd; k++)
            delivered |= w->d[k].id == (uint64_t)ids[i];
        if (dropped != want_drop[i] || delivered == want_drop[i])
            fail_msg("message %zu (n%u->n%u kind %u): dropped %d delivered %d, expected %s", i,
                     plan[i].src, plan[i].dst, plan[i].kind, dropped, delivered,
                     want_drop[i] ? "dropped" : "delivered");
    }
    struct net_stats st;
    net_stats(w->s, &st);
    assert_int_equal(st.dropped_rule, 2);
    world_free(w);
}

static void test_drop_rule_wildcards_match_any_src_dst_kind(void **state) {
    (void)state;
    /* "Drop the 2nd and 3rd message of any kind from anyone to n1." */
    struct world *w = world_new(15, 3, NULL, &(struct net_link_cfg){.latency_ns = 1 * MS});
    assert_int_equal(net_drop_rule(w->s, SIM_ANY, 1, SIM_ANY, 2, 2), 0);
    int64_t a = send_seq(w, 0, 1, 1); /* 1st to n1 */
    int64_t b = send_seq(w, 0, 2, 1); /* not to n1 */
    int64_t c = send_seq(w, 2, 1, 9); /* 2nd: dropped */
    int64_t d = send_seq(w, 0, 1, 4); /* 3rd: dropped */
    int64_t e = send_seq(w, 2, 1, 1); /* 4th */
    run_all(w);
    assert_int_equal(w->nx, 2);
    assert_int_equal(w->x[0].id, (uint64_t)c);
    assert_int_equal(w->x[1].id, (uint64_t)d);
    assert_int_equal(w->nd, 3);
    assert_int_equal(w->d[0].id, (uint64_t)a);
    assert_int_equal(w->d[1].id, (uint64_t)b);
    assert_int_equal(w->d[2].id, (uint64_t)e);
    world_free(w);
    w = world_new(15, 3, NULL, &(struct net_link_cfg){.latency_ns = 1 * MS});
    assert_int_equal(net_drop_rule(w->s, 0, 1, 7, 0, 1), FT_EINVAL);
    world_free(w);
}

/* ---- bandwidth ---- */

static void send_len(struct world *w, uint32_t src, uint32_t dst, uint32_t len) {
    static uint8_t buf[4096];
    assert_true(sim_send(w->s, src, dst, 0, buf, len) > 0);
}

struct arrivals {
    uint64_t at[16];
    uint32_t from[16], to[16], len[16];
    size_t n;
};

/* Arrival time of the message of `len` bytes on src->dst (UINT64_MAX: none). */
static uint64_t arrival_of(const struct arrivals *a, uint32_t src, uint32_t dst, uint32_t len) {
    for (size_t i = 0; i < a->n; i++)
        if (a->from[i] == src && a->to[i] == dst && a->len[i] == len) return a->at[i];
    return UINT64_MAX;
}

static void on_any_msg(struct sim *s, uint32_t me, const struct sim_msg *m, void *ctx) {
    struct arrivals *a = ctx;
    assert_true(a->n < 16);
    a->at[a->n] = sim_now(s);
    a->from[a->n] = m->src;
    a->to[a->n] = me;
    a->len[a->n++] = m->len;
}

static void test_bandwidth_adds_serialisation_delay_len_times_8_over_bps(void **state) {
    (void)state;
    struct sim *s = sim_new(&(struct sim_config){.seed = 16});
    assert_non_null(s);
    struct arrivals a = {0};
    static const struct sim_node_ops ops = {.on_message = on_any_msg};
    for (int i = 0; i < 3; i++) {
        char name[8];
        snprintf(name, sizeof name, "n%d", i);
        assert_int_equal(sim_node_add(s, name, &ops, &a, 0, 0), i);
    }
    assert_int_equal(net_set_default(s, &(struct net_link_cfg){.latency_ns = 1 * MS}), 0);
    /* Only n0->n1 has a bandwidth: 8 Mbit/s = 1 byte per microsecond. */
    assert_int_equal(
        net_set_link(s, 0, 1,
                     &(struct net_link_cfg){.latency_ns = 1 * MS, .bandwidth_bps = 8000000}),
        0);
    struct world fake = {.s = s};
    send_len(&fake, 0, 1, 1000); /* serialised 0..1 ms, arrives 2 ms */
    send_len(&fake, 0, 1, 2000); /* waits for the link: 1..3 ms, arrives 4 ms */
    send_len(&fake, 0, 1, 500);  /* 3..3.5 ms, arrives 4.5 ms */
    send_len(&fake, 0, 2, 4000); /* another link, no bandwidth: 1 ms */
    send_len(&fake, 1, 0, 4000); /* the reverse direction has no bandwidth either */
    assert_int_equal(sim_run_until(s, 10 * MS), 0);
    send_len(&fake, 0, 1, 250); /* idle link again at 10 ms: 10.25 ms + 1 ms */
    assert_int_equal(sim_run_until(s, SIM_TIME_MAX), 0);
    assert_int_equal(a.n, 6);
    assert_int_equal(arrival_of(&a, 0, 1, 1000), 2 * MS);
    assert_int_equal(arrival_of(&a, 0, 1, 2000), 4 * MS);
    assert_int_equal(arrival_of(&a, 0, 1, 500), 4500 * US);
    assert_int_equal(arrival_of(&a, 0, 2, 4000), 1 * MS);
    assert_int_equal(arrival_of(&a, 1, 0, 4000), 1 * MS);
    assert_int_equal(arrival_of(&a, 0, 1, 250), 11250 * US);
    sim_free(s);

    /* A delay that is not a whole number of nanoseconds: 8 bits at 3 bit/s = 2.666... s. */
    s = sim_new(&(struct sim_config){.seed = 16});
    assert_non_null(s);
    a.n = 0;
    assert_int_equal(sim_node_add(s, "p", &ops, &a, 0, 0), 0);
    assert_int_equal(sim_node_add(s, "q", &ops, &a, 0, 0), 1);
    assert_int_equal(net_set_default(s, &(struct net_link_cfg){.bandwidth_bps = 3}), 0);
    fake.s = s;
    send_len(&fake, 0, 1, 1);
    assert_int_equal(sim_run_until(s, SIM_TIME_MAX), 0);
    assert_int_equal(a.n, 1);
    assert_in_range(a.at[0], 2666666666u, 2666666667u);
    sim_free(s);
}

/* ---- link streams do not depend on node order or other traffic ---- */

static void link_delays(const char *const *names, bool other_traffic_first, uint64_t out[200]) {
    struct world *w =
        world_new(17, 3, names,
                  &(struct net_link_cfg){.latency_ns = 1 * MS, .jitter_ns = 1 * MS, .loss_p = 0.1});
    uint32_t a = (uint32_t)sim_node_find(w->s, "a"), b = (uint32_t)sim_node_find(w->s, "b");
    uint32_t c = (uint32_t)sim_node_find(w->s, "c");
    if (other_traffic_first)
        for (int i = 0; i < 50; i++)
            send_seq(w, c, a, 0);
    for (int i = 0; i < 200; i++) {
        send_seq(w, a, b, 0);
        assert_int_equal(sim_run_until(w->s, sim_now(w->s) + 3 * MS), 0); /* no FIFO clamp */
    }
    run_all(w);
    for (int i = 0; i < 200; i++)
        out[i] = UINT64_MAX; /* lost */
    for (size_t k = 0; k < w->nd; k++)
        if (w->d[k].src == a && w->d[k].dst == b)
            out[w->d[k].seq] = w->d[k].at_ns - w->d[k].sent_ns;
    world_free(w);
}

static void test_link_randomness_depends_only_on_seed_and_link_names(void **state) {
    (void)state;
    static const char *const abc[] = {"a", "b", "c"};
    static const char *const cba[] = {"c", "b", "a"};
    uint64_t x[200], y[200];
    link_delays(abc, false, x);
    link_delays(cba, true, y);
    assert_memory_equal(x, y, sizeof x);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loss_rate_within_4_sd_of_loss_p),
        cmocka_unit_test(test_dup_rate_within_4_sd_and_copies_keep_their_id),
        cmocka_unit_test(test_loss_applies_to_each_copy_of_a_duplicated_message),
        cmocka_unit_test(test_latency_stays_within_fixed_plus_jitter),
        cmocka_unit_test(test_links_are_fifo_without_reordering),
        cmocka_unit_test(test_reorder_p_reorders_some_messages_at_its_rate),
        cmocka_unit_test(test_partition_blocks_exactly_the_cut_links_and_heal_restores_them),
        cmocka_unit_test(test_scheduled_partition_cuts_in_flight_messages_and_heal_at_restores),
        cmocka_unit_test(test_partition_needs_one_side_per_node),
        cmocka_unit_test(test_overlapping_partitions_stack_and_each_heal_ends_its_own),
        cmocka_unit_test(test_node_added_after_scheduling_a_partition_is_on_side_0),
        cmocka_unit_test(test_drop_rule_drops_exactly_nth_to_nth_plus_count_minus_1_matches),
        cmocka_unit_test(test_drop_rule_wildcards_match_any_src_dst_kind),
        cmocka_unit_test(test_bandwidth_adds_serialisation_delay_len_times_8_over_bps),
        cmocka_unit_test(test_link_randomness_depends_only_on_seed_and_link_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
