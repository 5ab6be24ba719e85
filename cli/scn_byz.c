/* Scenario loader, Byzantine part: a file whose top level has a `byzantine:` key is
 * decoded here (docs/scenario-format.md, "Byzantine scenarios"). Sections are decoded
 * in dependency order — n before m, traitors and exhaustive; algorithms before expect —
 * so key order never matters. Every error is FT_EPARSE with file:line:col, what was
 * expected and what was found, like the rest of the loader. */
#include <stdio.h>
#include <string.h>

#include "scn_internal.h"

enum { T_NAME, T_ABOUT, T_SEED, T_SEEDS, T_BYZANTINE, T_EXPECT, T_N };
static const char *const top_keys[T_N] = {"name", "about", "seed", "seeds", "byzantine", "expect"};

enum {
    B_ALGORITHMS,
    B_N,
    B_M,
    B_ORDER,
    B_TRAITORS,
    B_EXHAUSTIVE,
    B_DECISIONS,
    B_SINK,
    B_ROUND,
    B_LATENCY,
    B_N_KEYS
};
static const char *const byz_keys[B_N_KEYS] = {
    "algorithms", "n",         "m",    "commander_order", "traitors",
    "exhaustive", "decisions", "sink", "round",           "latency"};

bool scn_byz_is(const struct scn_node *root) {
    if (!root || root->type != SCN_Y_MAP) return false;
    for (uint32_t i = 0; i + 1 < root->n; i += 2)
        if (root->kids[i]->type == SCN_Y_SCALAR && !strcmp(root->kids[i]->text, "byzantine"))
            return true;
    return false;
}

/* ---- algorithms ---- */

static const char *const *alg_names(const char *names[BYZ_ALG_COUNT]) {
    for (int a = 0; a < BYZ_ALG_COUNT; a++)
        names[a] = byz_alg_name((enum byz_alg)a);
    return names;
}

static int get_alg(struct scn_ctx *c, const struct scn_node *n) {
    const char *names[BYZ_ALG_COUNT];
    const struct scn_mapspec s = {
        "", "in 'algorithms'", "algorithm", alg_names(names), BYZ_ALG_COUNT, 0};
    if (n->type != SCN_Y_SCALAR)
        return scn_expected(c, n, "algorithms", "an algorithm name (om, sm or dolev-strong)");
    int a = byz_alg_parse(n->text);
    return a >= 0 ? a : scn_unknown_key(c, n, &s);
}

static int sec_algorithms(struct scn_ctx *c, const struct scn_node *n) {
    struct scn_byz *b = &c->out->byz;
    bool one = n->type == SCN_Y_SCALAR && !scn_is_null(n);
    if (!one && (n->type != SCN_Y_SEQ || !n->n))
        return scn_expected(c, n, "algorithms", "an algorithm or a list like [om, sm]");
    for (uint32_t i = 0; i < (one ? 1 : n->n); i++) {
        const struct scn_node *k = one ? n : n->kids[i];
        int a = get_alg(c, k);
        if (a < 0) return a;
        for (uint32_t j = 0; j < b->nalgs; j++)
            if (b->algs[j] == (enum byz_alg)a)
                return scn_fail(c, k, "algorithm '%s' is listed twice in 'algorithms'", k->text);
        if (b->nalgs == BYZ_ALG_COUNT) return scn_fail(c, k, "too many algorithms");
        b->algs[b->nalgs++] = (enum byz_alg)a;
    }
    return 0;
}

/* ---- traitors ---- */

static int get_strategy(struct scn_ctx *c, const struct scn_node *n, enum byz_strategy *out) {
    const char *names[BYZ_STRATEGY_COUNT - 1];
    for (int s = BYZ_SILENT; s < BYZ_STRATEGY_COUNT; s++)
        names[s - 1] = byz_strategy_name((enum byz_strategy)s);
    const struct scn_mapspec spec = {"",    "for 'strategy'",       "strategy",
                                     names, BYZ_STRATEGY_COUNT - 1, 0};
    if (n->type != SCN_Y_SCALAR || scn_is_null(n))
        return scn_expected(c, n, "strategy",
                            "a strategy (silent, conflicting, random, always-attack, "
                            "tamper-relay or forge)");
    int s = byz_strategy_parse(n->text);
    if (s < 0) return scn_unknown_key(c, n, &spec);
    *out = (enum byz_strategy)s;
    return 0;
}

enum { TR_ID, TR_COUNT, TR_STRATEGY, TR_N };
static const char *const traitor_keys[TR_N] = {"id", "count", "strategy"};

static int traitor_by_id(struct scn_ctx *c, const struct scn_node *m, const struct scn_node **at) {
    struct byz_config *cfg = &c->out->byz.cfg;
    const struct scn_mapspec s = {
        "for each traitor in 'traitors'",     "in a traitor", "key", traitor_keys, TR_N,
        SCN_BIT(TR_ID) | SCN_BIT(TR_STRATEGY)};
    const struct scn_node *v[TR_N];
    uint32_t id;
    enum byz_strategy st;
    int rc = scn_map_collect(c, m, &s, v);
    if (!rc)
        rc = scn_check_allowed(c, m, &s, SCN_BIT(TR_ID) | SCN_BIT(TR_STRATEGY),
                               "a traitor "
                               "by id");
    if (!rc) rc = scn_get_u32(c, v[TR_ID], "id", 0, cfg->n - 1, &id);
    if (!rc) rc = get_strategy(c, v[TR_STRATEGY], &st);
    if (rc) return rc;
    if (at[id])
        return scn_fail(c, v[TR_ID], "node %u is listed twice in 'traitors' (first at line %d)", id,
                        at[id]->line);
    at[id] = v[TR_ID];
    cfg->strategy[id] = (uint8_t)st;
    return 0;
}

static int traitors_drawn(struct scn_ctx *c, const struct scn_node *m) {
    struct scn_byz *b = &c->out->byz;
    const struct scn_mapspec s = {"for 'traitors'",
                                  "in 'traitors'",
                                  "key",
                                  traitor_keys,
                                  TR_N,
                                  SCN_BIT(TR_COUNT) | SCN_BIT(TR_STRATEGY)};
    const struct scn_node *v[TR_N];
    int rc = scn_map_collect(c, m, &s, v);
    if (!rc)
        rc = scn_check_allowed(c, m, &s, SCN_BIT(TR_COUNT) | SCN_BIT(TR_STRATEGY),
                               "traitors drawn from the seed");
    if (!rc) rc = scn_get_u32(c, v[TR_COUNT], "count", 0, b->cfg.n, &b->draw_count);
    return rc ? rc : get_strategy(c, v[TR_STRATEGY], &b->draw_strategy);
}

static int sec_traitors(struct scn_ctx *c, const struct scn_node *n) {
    const struct scn_node *at[BYZ_NODES_MAX] = {0};
    if (n->type == SCN_Y_MAP) return traitors_drawn(c, n);
    if (n->type != SCN_Y_SEQ)
        return scn_expected(c, n, "traitors",
                            "a list like [{ id: 0, strategy: conflicting }] or a mapping like "
                            "{ count: 1, strategy: random }");
    if (n->n > c->out->byz.cfg.n)
        return scn_fail(c, n, "'traitors' lists %u nodes, more than the %u generals", n->n,
                        c->out->byz.cfg.n);
    for (uint32_t i = 0; i < n->n; i++) {
        int rc = traitor_by_id(c, n->kids[i], at);
        if (rc) return rc;
    }
    return 0;
}

/* ---- the byzantine section ---- */

static int get_sizes(struct scn_ctx *c, const struct scn_node *const *v) {
    struct byz_config *cfg = &c->out->byz.cfg;
    int rc = scn_get_u32(c, v[B_N], "n", 3, BYZ_NODES_MAX, &cfg->n);
    if (!rc) rc = scn_get_u32(c, v[B_M], "m", 0, BYZ_M_MAX, &cfg->m);
    if (!rc && cfg->m + 2 > cfg->n)
        return scn_fail(c, v[B_M],
                        "'m' must be at most n - 2 = %u (a chain of m + 1 signers must leave "
                        "someone to tell), found %u",
                        cfg->n - 2, cfg->m);
    if (!rc && v[B_DECISIONS])
        rc = scn_get_u32(c, v[B_DECISIONS], "decisions", 1, BYZ_DECISIONS_MAX, &cfg->decisions);
    return rc;
}

static int get_order(struct scn_ctx *c, const struct scn_node *n) {
    static const char *const names[] = {"retreat", "attack", "random"};
    for (int o = 0; n->type == SCN_Y_SCALAR && o < 3; o++)
        if (!strcmp(n->text, names[o])) {
            c->out->byz.cfg.order = (enum byz_order)o;
            return 0;
        }
    return scn_expected(c, n, "commander_order", "attack, retreat or random");
}

static int get_timing(struct scn_ctx *c, const struct scn_node *const *v) {
    struct byz_config *cfg = &c->out->byz.cfg;
    char a[32], b[32];
    int rc = v[B_ROUND] ? scn_get_duration(c, v[B_ROUND], "round", true, &cfg->round_ns) : 0;
    if (!rc && v[B_LATENCY])
        rc = scn_get_duration(c, v[B_LATENCY], "latency", true, &cfg->latency_ns);
    if (!rc && cfg->latency_ns >= cfg->round_ns)
        return scn_fail(c, v[B_LATENCY] ? v[B_LATENCY] : v[B_ROUND],
                        "'latency' (%s) must be less than 'round' (%s): a message sent at a "
                        "round's start must arrive within it",
                        scn_duration_str(cfg->latency_ns, a, sizeof a),
                        scn_duration_str(cfg->round_ns, b, sizeof b));
    return rc;
}

/* Limits that depend on the algorithm (OM's message count) and on exhaustive mode. */
static int check_limits(struct scn_ctx *c, const struct scn_node *m,
                        const struct scn_node *const *v) {
    struct scn_byz *b = &c->out->byz;
    for (uint32_t i = 0; i < b->nalgs; i++) {
        struct byz_config cfg = b->cfg;
        struct ft_error e = {0};
        cfg.alg = b->algs[i];
        if (byz_config_check(&cfg, &e)) return scn_fail(c, v[B_M], "%s", e.msg);
    }
    if (!b->exhaustive) return 0;
    if (v[B_TRAITORS])
        return scn_fail(c, scn_key_of(m, v[B_TRAITORS]),
                        "'traitors' does not apply with 'exhaustive: true' (exhaustive mode "
                        "places up to m traitors itself)");
    for (uint32_t i = 0; i < b->nalgs; i++) { /* the work depends on the algorithm */
        struct byz_enum it;
        struct byz_config cfg = b->cfg;
        uint64_t runs;
        struct ft_error e = {0};
        cfg.alg = b->algs[i];
        if (byz_enum_start(&it, &cfg, &runs, &e))
            return scn_fail(c, v[B_EXHAUSTIVE], "%s: %s", byz_alg_name(b->algs[i]), e.msg);
    }
    return 0;
}

static int sec_byzantine(struct scn_ctx *c, const struct scn_node *m) {
    static const struct scn_mapspec spec = {
        "for 'byzantine'", "in 'byzantine'", "key",
        byz_keys,          B_N_KEYS,         SCN_BIT(B_ALGORITHMS) | SCN_BIT(B_N) | SCN_BIT(B_M)};
    struct scn_byz *b = &c->out->byz;
    const struct scn_node *v[B_N_KEYS];
    int rc = scn_map_collect(c, m, &spec, v);
    if (!rc) rc = sec_algorithms(c, v[B_ALGORITHMS]);
    if (!rc) rc = get_sizes(c, v);
    if (!rc && v[B_ORDER]) rc = get_order(c, v[B_ORDER]);
    if (!rc && v[B_TRAITORS]) rc = sec_traitors(c, v[B_TRAITORS]);
    if (!rc && v[B_EXHAUSTIVE]) rc = scn_get_bool(c, v[B_EXHAUSTIVE], "exhaustive", &b->exhaustive);
    if (!rc && v[B_SINK]) rc = scn_get_bool(c, v[B_SINK], "sink", &b->cfg.sink);
    if (!rc) rc = get_timing(c, v);
    return rc ? rc : check_limits(c, m, v);
}

/* ---- expectations ---- */

enum { E_IC1, E_IC2, E_VIOLATIONS, E_DIVERGENT, E_MESSAGES, E_REJECTED, E_N };
static const char *const expect_keys[E_N] = {"ic1",       "ic2",      "violations",
                                             "divergent", "messages", "signatures_rejected"};

static int get_tristate(struct scn_ctx *c, const struct scn_node *n, const char *key, int *out) {
    bool b;
    int rc = n ? scn_get_bool(c, n, key, &b) : 0;
    if (!rc && n) *out = b;
    return rc;
}

static int get_expect(struct scn_ctx *c, const struct scn_node *m, const char *alg,
                      struct scn_byz_expect *e) {
    char as[80], where[80];
    snprintf(as, sizeof as, "for 'expect: %s'", alg);
    snprintf(where, sizeof where, "in 'expect: %s'", alg);
    const struct scn_mapspec s = {as, where, "key", expect_keys, E_N, 0};
    const struct scn_node *v[E_N];
    int rc = scn_map_collect(c, m, &s, v);
    if (!rc) rc = get_tristate(c, v[E_IC1], "ic1", &e->ic1);
    if (!rc) rc = get_tristate(c, v[E_IC2], "ic2", &e->ic2);
    if (!rc && v[E_VIOLATIONS])
        rc = scn_get_bound(c, v[E_VIOLATIONS], "violations", &e->violations);
    if (!rc && v[E_DIVERGENT]) rc = scn_get_bound(c, v[E_DIVERGENT], "divergent", &e->divergent);
    if (!rc && v[E_MESSAGES]) rc = scn_get_bound(c, v[E_MESSAGES], "messages", &e->messages);
    if (!rc && v[E_REJECTED])
        rc = scn_get_bound(c, v[E_REJECTED], "signatures_rejected", &e->signatures_rejected);
    e->set = true;
    e->line = m->line;
    e->col = m->col;
    return rc;
}

static int sec_expect(struct scn_ctx *c, const struct scn_node *m) {
    const char *names[BYZ_ALG_COUNT];
    const struct scn_mapspec s = {"for 'expect'",   "in 'expect'", "algorithm",
                                  alg_names(names), BYZ_ALG_COUNT, 0};
    const struct scn_node *v[BYZ_ALG_COUNT];
    struct scn_byz *b = &c->out->byz;
    int rc = scn_map_collect(c, m, &s, v);
    for (uint32_t i = 0; !rc && i + 1 < m->n; i += 2) {
        const struct scn_node *k = m->kids[i];
        int a = byz_alg_parse(k->text);
        bool listed = false;
        for (uint32_t j = 0; j < b->nalgs; j++)
            listed |= b->algs[j] == (enum byz_alg)a;
        if (!listed)
            return scn_fail(c, k, "'expect' has an entry for '%s', which is not in 'algorithms'",
                            k->text);
        rc = get_expect(c, m->kids[i + 1], k->text, &b->expect[a]);
    }
    return rc;
}

int scn_byz_parse(struct scn_ctx *c, const struct scn_node *root) {
    static const struct scn_mapspec spec = {"at the top level",
                                            "in the top level of a Byzantine scenario",
                                            "key",
                                            top_keys,
                                            T_N,
                                            SCN_BIT(T_NAME) | SCN_BIT(T_ABOUT) |
                                                SCN_BIT(T_BYZANTINE)};
    struct scn_byz *b = &c->out->byz;
    const struct scn_node *v[T_N];
    c->out->kind = SCN_KIND_BYZANTINE;
    byz_config_defaults(&b->cfg);
    for (int a = 0; a < BYZ_ALG_COUNT; a++)
        b->expect[a].ic1 = b->expect[a].ic2 = -1;
    int rc = scn_map_collect(c, root, &spec, v);
    if (!rc) rc = scn_sec_common(c, v[T_NAME], v[T_ABOUT], v[T_SEED], v[T_SEEDS]);
    if (!rc) rc = sec_byzantine(c, v[T_BYZANTINE]);
    if (!rc && v[T_EXPECT]) rc = sec_expect(c, v[T_EXPECT]);
    return rc;
}

int scn_byz_config(const struct scn_byz *b, enum byz_alg a, uint64_t seed, struct byz_config *out,
                   struct ft_error *err) {
    *out = b->cfg;
    out->alg = a;
    if (b->draw_count) return byz_draw_traitors(out, seed, b->draw_count, b->draw_strategy, err);
    return 0;
}
