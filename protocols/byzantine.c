/* The Byzantine framework (byzantine.h): checks a configuration, builds the generals
 * (and, for a replicated stage, the sink) on a fresh kernel, hands each node its own
 * signer, drives synchronous rounds with timers, and reads the outcome from the trace:
 * SEND records count messages and bytes, DECIDE records carry each loyal lieutenant's
 * decision, and IC1/IC2 are judged against the orders the commander was given. */
#include "byzantine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byz_internal.h"

struct byz_sink {
    uint32_t n, decisions;
    uint8_t *outputs; /* decisions x n: what each lieutenant told the sink */
    uint64_t received;
};

struct byz_run {
    struct byz_config cfg;
    struct sim *s;
    struct byz_node nodes[BYZ_NODES_MAX];
    struct sig_keyring *keys;
    struct byz_sink sink;
    uint8_t *orders;  /* per decision */
    uint8_t *decided; /* decisions x n, from the trace */
    struct byz_outcome *out;
    struct byz_options opt;
};

/* ---- configuration ---- */

void byz_config_defaults(struct byz_config *c) {
    memset(c, 0, sizeof *c);
    c->alg = BYZ_OM;
    c->n = 4;
    c->m = 1;
    c->order = BYZ_ORDER_ATTACK;
    c->decisions = 1;
    c->round_ns = BYZ_ROUND_NS_DEFAULT;
    c->latency_ns = BYZ_LATENCY_NS_DEFAULT;
}

uint64_t byz_traitor_mask(const struct byz_config *c) {
    uint64_t mask = 0;
    for (uint32_t i = 0; i < c->n && i < BYZ_NODES_MAX; i++)
        if (c->strategy[i] != BYZ_LOYAL) mask |= 1ull << i;
    return mask;
}

uint32_t byz_rounds(const struct byz_config *c) {
    return c->m + 1;
}

/* sum over k = 1..m+1 of (n-1)(n-2)...(n-k), saturating at UINT64_MAX. */
uint64_t byz_om_messages(uint32_t n, uint32_t m) {
    uint64_t total = 0, term = 1;
    for (uint32_t k = 1; k <= m + 1 && k < n; k++) {
        if (term > UINT64_MAX / (n - k)) return UINT64_MAX;
        term *= n - k;
        if (total > UINT64_MAX - term) return UINT64_MAX;
        total += term;
    }
    return total;
}

int byz_config_check(const struct byz_config *c, struct ft_error *err) {
    if ((unsigned)c->alg >= BYZ_ALG_COUNT) return ft_fail(err, FT_EINVAL, "unknown algorithm");
    if (c->n < 3 || c->n > BYZ_NODES_MAX)
        return ft_fail(err, FT_ELIMIT, "n must be between 3 and %u generals, found %u",
                       BYZ_NODES_MAX, c->n);
    if (c->m > BYZ_M_MAX || c->m + 2 > c->n)
        return ft_fail(err, FT_ELIMIT, "m must be at most n - 2 = %u and at most %u, found %u",
                       c->n - 2, BYZ_M_MAX, c->m);
    if (c->alg == BYZ_OM && byz_om_messages(c->n, c->m) > BYZ_MESSAGES_MAX)
        return ft_fail(err, FT_ELIMIT,
                       "OM(%u) with n = %u sends %llu messages per decision, more than the "
                       "limit of %llu",
                       c->m, c->n, (unsigned long long)byz_om_messages(c->n, c->m),
                       (unsigned long long)BYZ_MESSAGES_MAX);
    if (c->decisions < 1 || c->decisions > BYZ_DECISIONS_MAX)
        return ft_fail(err, FT_ELIMIT, "decisions must be between 1 and %u, found %u",
                       BYZ_DECISIONS_MAX, c->decisions);
    if (c->alg == BYZ_OM && byz_om_messages(c->n, c->m) > BYZ_MESSAGES_MAX * 10 / c->decisions)
        return ft_fail(err, FT_ELIMIT, "%u decisions of OM(%u) with n = %u exceed %llu messages",
                       c->decisions, c->m, c->n, (unsigned long long)BYZ_MESSAGES_MAX * 10);
    if (c->latency_ns == 0 || c->latency_ns >= c->round_ns || c->round_ns > SIM_NS_PER_S * 3600)
        return ft_fail(err, FT_EINVAL,
                       "latency must be > 0 and less than the round (at most 1h), found %llu "
                       "ns and %llu ns",
                       (unsigned long long)c->latency_ns, (unsigned long long)c->round_ns);
    if ((unsigned)c->order > BYZ_ORDER_RANDOM) return ft_fail(err, FT_EINVAL, "unknown order");
    for (uint32_t i = 0; i < BYZ_NODES_MAX; i++)
        if (c->strategy[i] >= BYZ_STRATEGY_COUNT || (i >= c->n && c->strategy[i] != BYZ_LOYAL))
            return ft_fail(err, FT_EINVAL, "node %u has an invalid strategy", i);
    return 0;
}

/* ---- message tags (for diagrams) ---- */

uint64_t byz_tag(uint32_t kind, const uint8_t *data, uint32_t len) {
    uint32_t value = BYZ_TAG_NO_VALUE, n = 0;
    uint8_t ids[BYZ_M_MAX + 1];
    if (kind == BYZ_MSG_OM && len >= 5) { /* instance u32, value u8, the path's ids */
        value = data[4];
        for (uint32_t i = 5; i < len && n <= BYZ_M_MAX; i++)
            ids[n++] = data[i];
    } else if (kind == BYZ_MSG_CHAIN && len >= BYZ_CHAIN_HDR) {
        value = data[5];
        for (uint32_t o = BYZ_CHAIN_HDR; o < len && n <= BYZ_M_MAX; o += BYZ_LINK_BYTES)
            ids[n++] = data[o];
    } else if (kind == BYZ_MSG_OUTPUT && len >= 5) {
        value = data[4];
    }
    uint64_t tag = (value > 1 ? BYZ_TAG_NO_VALUE : value) | (uint64_t)n << 2;
    for (uint32_t t = 0; t < n; t++)
        tag |= (uint64_t)(ids[t] & 31u) << (6 + 5 * t);
    return tag;
}

void byz_tag_decode(uint64_t tag, struct byz_tag_info *out) {
    memset(out, 0, sizeof *out);
    out->value = (uint8_t)(tag & 3u);
    out->len = (uint32_t)(tag >> 2 & 15u);
    if (out->len > BYZ_M_MAX + 1) out->len = BYZ_M_MAX + 1;
    for (uint32_t t = 0; t < out->len; t++)
        out->ids[t] = (uint8_t)(tag >> (6 + 5 * t) & 31u);
}

/* ---- node behaviour shared by every algorithm ---- */

int byz_traitor_value(struct sim *s, const struct byz_node *nd, uint8_t truth, uint32_t j) {
    switch (nd->strategy) {
    case BYZ_LOYAL:
        return truth;
    case BYZ_SILENT:
        return -1;
    case BYZ_CONFLICTING:
        return byz_odd(j) ? BYZ_ATTACK : BYZ_RETREAT;
    case BYZ_RANDOM:
        return (int)rng_below(sim_node_rng(s, nd->id), 2);
    case BYZ_ALWAYS_ATTACK:
        return BYZ_ATTACK;
    default:
        return truth ^ 1; /* tamper-relay, forge */
    }
}

void byz_discard(struct sim *s, const struct byz_node *nd, const struct sim_msg *m, uint32_t why) {
    sim_trace_user(s, nd->id, BYZ_TR_DISCARD, m->src, why);
}

static void start_decision(struct sim *s, struct byz_node *nd) {
    nd->ops->reset(nd);
    nd->round = 1;
    nd->ops->send_round(s, nd);
    sim_timer_set(s, nd->id, nd->cfg->round_ns, nd->inst);
}

static void node_start(struct sim *s, uint32_t node, void *ctx) {
    struct byz_node *nd = ctx;
    FT_ASSERT(nd->id == node);
    nd->inst = 0;
    start_decision(s, nd);
}

/* After the last round: loyal lieutenants decide (a DECIDE trace record) and, in a
 * replicated stage, every lieutenant but a silent one reports to the sink — a traitor
 * reports the opposite of what it computed. */
static void finish_decision(struct sim *s, struct byz_node *nd) {
    if (nd->id == 0) return;
    uint8_t v = nd->ops->decide(nd);
    if (nd->strategy == BYZ_LOYAL) sim_trace_user(s, nd->id, BYZ_TR_DECIDE, nd->inst, v);
    if (nd->sink == SIM_NODE_NONE || nd->strategy == BYZ_SILENT) return;
    uint8_t buf[5];
    memcpy(buf, &nd->inst, 4);
    buf[4] = nd->strategy == BYZ_LOYAL ? v : v ^ 1;
    sim_send_tagged(s, nd->id, nd->sink, BYZ_MSG_OUTPUT, byz_tag(BYZ_MSG_OUTPUT, buf, sizeof buf),
                    buf, sizeof buf);
}

static void node_timer(struct sim *s, uint32_t node, uint64_t tag, void *ctx) {
    struct byz_node *nd = ctx;
    (void)node;
    FT_ASSERT(tag == nd->inst);
    if (nd->round < byz_rounds(nd->cfg)) {
        nd->round++;
        nd->ops->send_round(s, nd);
        sim_timer_set(s, nd->id, nd->cfg->round_ns, nd->inst);
        return;
    }
    finish_decision(s, nd);
    if (++nd->inst < nd->cfg->decisions) start_decision(s, nd);
}

static void node_message(struct sim *s, uint32_t node, const struct sim_msg *m, void *ctx) {
    (void)node;
    struct byz_node *nd = ctx;
    nd->ops->on_message(s, nd, m);
}

static const struct sim_node_ops general_ops = {node_start, NULL, node_message, node_timer};

/* The sink keeps the first output of each lieutenant per decision. */
static void sink_message(struct sim *s, uint32_t node, const struct sim_msg *m, void *ctx) {
    (void)s;
    (void)node;
    struct byz_sink *k = ctx;
    uint32_t inst;
    if (m->kind != BYZ_MSG_OUTPUT || m->len != 5 || m->src == 0 || m->src >= k->n || m->data[4] > 1)
        return;
    memcpy(&inst, m->data, 4);
    if (inst >= k->decisions) return;
    uint8_t *o = &k->outputs[(size_t)inst * k->n + m->src];
    if (*o == BYZ_NO_DECISION) *o = m->data[4];
    k->received++;
}

static const struct sim_node_ops sink_ops = {NULL, NULL, sink_message, NULL};

/* ---- the outcome, from the trace ---- */

static void on_trace(const struct sim_trace_rec *r, void *ctx) {
    struct byz_run *run = ctx;
    struct byz_outcome *o = run->out;
    if (r->type == SIM_TR_SEND && (r->kind == BYZ_MSG_OM || r->kind == BYZ_MSG_CHAIN)) {
        o->messages++;
        o->bytes += r->arg;
    } else if (r->type == SIM_TR_USER && r->kind == BYZ_TR_DECIDE && r->id < run->cfg.decisions &&
               r->node < run->cfg.n && r->arg <= 1) {
        run->decided[(size_t)r->id * run->cfg.n + r->node] = (uint8_t)r->arg;
    } else if (r->type == SIM_TR_USER && r->kind == BYZ_TR_DISCARD) {
        o->discarded++;
    }
    if (run->opt.trace) run->opt.trace(r, run->opt.trace_ctx);
}

/* IC1 and IC2 for one decision over row[1..n-1] (loyal lieutenants only). */
static void judge(const struct byz_config *c, const uint8_t *row, uint8_t order, bool *ic1,
                  bool *ic2) {
    uint8_t first = BYZ_NO_DECISION;
    *ic1 = *ic2 = true;
    for (uint32_t i = 1; i < c->n; i++) {
        if (c->strategy[i] != BYZ_LOYAL) continue;
        if (row[i] == BYZ_NO_DECISION) *ic1 = *ic2 = false;
        if (first == BYZ_NO_DECISION) first = row[i];
        if (row[i] != first) *ic1 = false;
        if (c->strategy[0] == BYZ_LOYAL && row[i] != order) *ic2 = false;
    }
}

static void evaluate(struct byz_run *run) {
    const struct byz_config *c = &run->cfg;
    struct byz_outcome *o = run->out;
    o->ic1 = o->ic2 = true;
    for (uint32_t k = 0; k < c->decisions; k++) {
        bool a, b;
        judge(c, &run->decided[(size_t)k * c->n], run->orders[k], &a, &b);
        o->ic1 &= a;
        o->ic2 &= b;
        if (c->sink) judge(c, &run->sink.outputs[(size_t)k * c->n], run->orders[k], &a, &b);
        o->divergent += !(a && b);
    }
    for (uint32_t i = 0; i < c->n; i++)
        o->decision[i] = run->decided[i];
    o->outputs = run->sink.received;
    o->signatures_made = run->keys ? sig_keyring_made(run->keys) : 0;
    for (uint32_t i = 0; i < c->n; i++) {
        struct sig_stats st;
        if (!run->nodes[i].verifier) continue;
        sig_verifier_stats(run->nodes[i].verifier, &st);
        o->signatures_verified += st.verified;
        o->signatures_rejected += st.rejected;
        o->signature_cache_hits += st.cache_hits;
    }
    o->events = sim_events_run(run->s);
    o->end_ns = sim_now(run->s);
    sim_trace_hash_hex(run->s, o->trace_hash);
}

/* ---- set-up ---- */

const char *byz_node_name(const struct byz_config *c, uint32_t i, char *buf, size_t size) {
    if (i == c->n && c->sink) return "sink";
    if (i >= c->n) return "-";
    if (i == 0) return c->sink ? "gateway" : "commander";
    snprintf(buf, size, "%s-%u", c->sink ? "replica" : "lieutenant", i);
    return buf;
}

static uint32_t cache_slots(const struct byz_config *c) {
    uint32_t want = 8 * c->n * (c->m + 1), slots = 64;
    while (slots < want && slots < (1u << 16))
        slots *= 2;
    return slots;
}

static int setup_node(struct byz_run *run, uint32_t i, struct ft_error *err) {
    const struct byz_config *c = &run->cfg;
    struct byz_node *nd = &run->nodes[i];
    nd->id = i;
    nd->cfg = &run->cfg;
    nd->ops = c->alg == BYZ_OM ? &byz_om_ops : &byz_sm_ops;
    nd->strategy = (enum byz_strategy)c->strategy[i];
    nd->orders = i == 0 ? run->orders : NULL;
    nd->sink = c->sink ? c->n : SIM_NODE_NONE;
    if (run->keys) {
        nd->signer = sig_keyring_take_signer(run->keys, i);
        FT_ASSERT(nd->signer);
        int rc =
            sig_verifier_new(sig_keyring_pubkeys(run->keys), cache_slots(c), &nd->verifier, err);
        if (rc) return rc;
    }
    return nd->ops->init(nd, err);
}

static int add_nodes(struct byz_run *run, struct ft_error *err) {
    const struct byz_config *c = &run->cfg;
    char buf[32];
    for (uint32_t i = 0; i <= c->n; i++) {
        if (i == c->n && !c->sink) break;
        int id = i < c->n ? sim_node_add(run->s, byz_node_name(c, i, buf, sizeof buf), &general_ops,
                                         &run->nodes[i], 0, 0)
                          : sim_node_add(run->s, "sink", &sink_ops, &run->sink, 0, 0);
        if (id < 0) return ft_fail(err, id, "%s", sim_error(run->s)->msg);
        FT_ASSERT((uint32_t)id == i);
    }
    return 0;
}

static void run_free(struct byz_run *run) {
    for (uint32_t i = 0; i < run->cfg.n; i++) {
        if (run->nodes[i].ops) run->nodes[i].ops->destroy(&run->nodes[i]);
        sig_verifier_free(run->nodes[i].verifier);
    }
    sig_keyring_free(run->keys);
    sim_free(run->s);
    free(run->orders);
    free(run->decided);
    free(run->sink.outputs);
    free(run);
}

static int run_alloc(struct byz_run *run, uint64_t seed, struct ft_error *err) {
    const struct byz_config *c = &run->cfg;
    size_t cells = (size_t)c->decisions * c->n;
    run->orders = malloc(c->decisions);
    run->decided = malloc(cells);
    run->sink.outputs = malloc(cells);
    struct sim_config sc = {.seed = seed};
    run->s = sim_new(&sc);
    if (!run->orders || !run->decided || !run->sink.outputs || !run->s)
        return ft_fail(err, FT_ENOMEM, "out of memory for a Byzantine run");
    memset(run->decided, BYZ_NO_DECISION, cells);
    memset(run->sink.outputs, BYZ_NO_DECISION, cells);
    run->sink.n = c->n;
    run->sink.decisions = c->decisions;
    struct rng orders;
    rng_init(&orders, seed, "byz-orders");
    for (uint32_t k = 0; k < c->decisions; k++)
        run->orders[k] =
            c->order == BYZ_ORDER_RANDOM ? (uint8_t)rng_below(&orders, 2) : (uint8_t)c->order;
    if (c->alg != BYZ_OM) return sig_keyring_new(seed, c->n, &run->keys, err);
    return 0;
}

static void outcome_init(struct byz_outcome *o, const struct byz_config *c, uint8_t order) {
    memset(o, 0, sizeof *o);
    o->alg = c->alg;
    o->n = c->n;
    o->m = c->m;
    o->traitors = byz_traitor_mask(c);
    memcpy(o->strategy, c->strategy, sizeof o->strategy);
    o->order = order;
    o->rounds = byz_rounds(c);
    o->decisions = c->decisions;
    memset(o->decision, BYZ_NO_DECISION, sizeof o->decision);
}

int byz_run(const struct byz_config *c, uint64_t seed, const struct byz_options *opt,
            struct byz_outcome *out, struct ft_error *err) {
    int rc = byz_config_check(c, err);
    if (rc) return rc;
    struct byz_run *run = calloc(1, sizeof *run);
    if (!run) return ft_fail(err, FT_ENOMEM, "out of memory for a Byzantine run");
    run->cfg = *c;
    run->out = out;
    if (opt) run->opt = *opt;
    rc = run_alloc(run, seed, err);
    for (uint32_t i = 0; rc == 0 && i < c->n; i++)
        rc = setup_node(run, i, err);
    if (rc == 0) {
        outcome_init(out, c, run->orders[0]);
        sim_set_trace_hook(run->s, on_trace, run);
        struct net_link_cfg net = {.latency_ns = c->latency_ns};
        rc = net_set_default(run->s, &net);
        if (rc) ft_fail(err, rc, "%s", sim_error(run->s)->msg);
    }
    if (rc == 0) rc = add_nodes(run, err);
    if (rc == 0 && (rc = sim_run_until(run->s, SIM_TIME_MAX)) != 0)
        ft_fail(err, rc, "%s", sim_error(run->s)->msg);
    if (rc == 0) evaluate(run);
    run_free(run);
    return rc;
}
