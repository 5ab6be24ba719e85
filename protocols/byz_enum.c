/* Names of the Byzantine algorithms, strategies and values; traitors drawn from the
 * seed; and the exhaustive enumeration: every placement of 0..m traitors among the n
 * generals (combinations in lexicographic order), every traitor strategy (shared by the
 * run's traitors), and both orders, attack first. The order of runs is fixed, so a
 * table of results is the same on every build. */
#include <stdio.h>
#include <string.h>

#include "byzantine.h"

static const struct {
    const char *name, *about;
} algs[BYZ_ALG_COUNT] = {
    [BYZ_OM] = {"om", "oral messages OM(m): recursive majority; needs n >= 3m + 1"},
    [BYZ_SM] = {"sm", "signed messages SM(m): Ed25519 chains, choice(V); any m with n >= m + 2"},
    [BYZ_DS] = {"dolev-strong",
                "Dolev-Strong broadcast: f + 1 rounds, relays at most two values, verifies "
                "only chains that can change its state"},
};

static const struct {
    const char *name, *about;
} strategies[BYZ_STRATEGY_COUNT] = {
    [BYZ_LOYAL] = {"loyal", "follows the algorithm"},
    [BYZ_SILENT] = {"silent", "sends nothing (a crashed general looks the same)"},
    [BYZ_CONFLICTING] = {"conflicting", "attack to odd ids, retreat to even ids"},
    [BYZ_RANDOM] = {"random", "a coin flip per message (signed: per relay) from its own stream"},
    [BYZ_ALWAYS_ATTACK] = {"always-attack", "says attack whatever it was told"},
    [BYZ_TAMPER_RELAY] = {"tamper-relay",
                          "flips the values it relays; signed: keeps the old signatures and "
                          "signs its own link, so the chain is rejected"},
    [BYZ_FORGE] = {"forge",
                   "claims another node said or signed the opposite: OM names another relay, "
                   "signed chains carry a signature made with the forger's own key"},
};

const char *byz_alg_name(enum byz_alg a) {
    return (unsigned)a < BYZ_ALG_COUNT ? algs[a].name : "?";
}

const char *byz_alg_about(enum byz_alg a) {
    return (unsigned)a < BYZ_ALG_COUNT ? algs[a].about : "?";
}

int byz_alg_parse(const char *name) {
    for (int a = 0; a < BYZ_ALG_COUNT; a++)
        if (strcmp(name, algs[a].name) == 0) return a;
    return -1;
}

const char *byz_strategy_name(enum byz_strategy s) {
    return (unsigned)s < BYZ_STRATEGY_COUNT ? strategies[s].name : "?";
}

const char *byz_strategy_about(enum byz_strategy s) {
    return (unsigned)s < BYZ_STRATEGY_COUNT ? strategies[s].about : "?";
}

int byz_strategy_parse(const char *name) {
    for (int s = BYZ_SILENT; s < BYZ_STRATEGY_COUNT; s++)
        if (strcmp(name, strategies[s].name) == 0) return s;
    return -1;
}

const char *byz_value_name(uint8_t v) {
    return v == BYZ_ATTACK ? "attack" : v == BYZ_RETREAT ? "retreat" : "-";
}

const char *byz_order_name(enum byz_order o) {
    return o == BYZ_ORDER_RANDOM ? "random" : byz_value_name((uint8_t)o);
}

const char *byz_strategy_summary(const uint8_t strategy[BYZ_NODES_MAX], uint32_t n) {
    uint8_t seen = BYZ_LOYAL;
    for (uint32_t i = 0; i < n && i < BYZ_NODES_MAX; i++) {
        if (strategy[i] == BYZ_LOYAL) continue;
        if (seen != BYZ_LOYAL && strategy[i] != seen) return "mixed";
        seen = strategy[i];
    }
    return seen == BYZ_LOYAL ? "none" : byz_strategy_name((enum byz_strategy)seen);
}

const char *byz_traitors_csv(const struct byz_outcome *o, char *buf, size_t size) {
    size_t len = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < o->n && i < BYZ_NODES_MAX && len < size; i++)
        if (o->traitors & (1ull << i))
            len += (size_t)snprintf(buf + len, size - len, "%s%u", len ? "," : "", i);
    return buf;
}

const char *byz_decisions_json(const struct byz_outcome *o, char *buf, size_t size) {
    size_t len = (size_t)snprintf(buf, size, "[");
    bool first = true;
    for (uint32_t i = 1; i < o->n && i < BYZ_NODES_MAX && len < size; i++) {
        if (o->traitors & (1ull << i)) continue;
        len += (size_t)snprintf(buf + len, size - len, "%s{\"node\":%u,\"decision\":\"%s\"}",
                                first ? "" : ",", i, byz_value_name(o->decision[i]));
        first = false;
    }
    if (len < size) snprintf(buf + len, size - len, "]");
    return buf;
}

const char *byz_msg_name(uint32_t kind) {
    static const char *const names[BYZ_MSG_KINDS] = {"?", "oral", "chain", "output"};
    return kind < BYZ_MSG_KINDS ? names[kind] : "?";
}

int byz_draw_traitors(struct byz_config *c, uint64_t seed, uint32_t count, enum byz_strategy st,
                      struct ft_error *err) {
    if (c->n > BYZ_NODES_MAX || count > c->n)
        return ft_fail(err, FT_EINVAL, "cannot draw %u traitors among %u generals", count, c->n);
    uint32_t ids[BYZ_NODES_MAX];
    struct rng r;
    rng_init(&r, seed, "byz-traitors");
    for (uint32_t i = 0; i < c->n; i++)
        ids[i] = i;
    memset(c->strategy, BYZ_LOYAL, sizeof c->strategy);
    for (uint32_t i = 0; i < count; i++) {
        uint32_t j = i + (uint32_t)rng_below(&r, c->n - i), t = ids[i];
        ids[i] = ids[j];
        ids[j] = t;
        c->strategy[ids[i]] = (uint8_t)st;
    }
    return 0;
}

/* ---- exhaustive enumeration ---- */

static uint64_t choose(uint32_t n, uint32_t k) {
    uint64_t r = 1;
    for (uint32_t i = 1; i <= k; i++)
        r = r * (n - k + i) / i; /* exact: r * (n-k+i) is divisible by i */
    return r;
}

static uint32_t max_traitors(const struct byz_config *c) {
    return c->m < c->n ? c->m : c->n;
}

int byz_enum_start(struct byz_enum *it, const struct byz_config *base, uint64_t *runs,
                   struct ft_error *err) {
    if (base->n > BYZ_EXHAUSTIVE_N_MAX)
        return ft_fail(err, FT_ELIMIT,
                       "exhaustive mode enumerates every placement of traitors, so it is limited "
                       "to n <= %u generals, found n = %u",
                       BYZ_EXHAUSTIVE_N_MAX, base->n);
    if (base->m > BYZ_M_MAX) return ft_fail(err, FT_ELIMIT, "m above %u", BYZ_M_MAX);
    uint64_t total = 1;
    for (uint32_t k = 1; k <= max_traitors(base); k++)
        total += choose(base->n, k) * (BYZ_STRATEGY_COUNT - 1);
    total *= 2;
    uint64_t agreements = total * (base->decisions ? base->decisions : 1);
    if (agreements > BYZ_EXHAUSTIVE_RUNS_MAX)
        return ft_fail(err, FT_ELIMIT,
                       "exhaustive mode would run %llu runs x %u decisions = %llu agreements, "
                       "more than %llu",
                       (unsigned long long)total, base->decisions, (unsigned long long)agreements,
                       (unsigned long long)BYZ_EXHAUSTIVE_RUNS_MAX);
    uint64_t per =
        base->alg == BYZ_OM ? byz_om_messages(base->n, base->m) : 2ull * base->n * base->n;
    if (per > BYZ_EXHAUSTIVE_MESSAGES_MAX / agreements)
        return ft_fail(err, FT_ELIMIT,
                       "exhaustive mode would send about %.3g messages (%llu runs x %u decisions "
                       "x %llu messages each), more than the limit of %.3g (about 15 s of "
                       "work): lower m or n, or set exhaustive: false",
                       (double)agreements * (double)per, (unsigned long long)total,
                       base->decisions ? base->decisions : 1, (unsigned long long)per,
                       (double)BYZ_EXHAUSTIVE_MESSAGES_MAX);
    memset(it, 0, sizeof *it);
    it->base = *base;
    *runs = total;
    return 0;
}

/* The next combination of it->k ids out of n in lexicographic order; false after the last. */
static bool next_pick(struct byz_enum *it) {
    uint32_t k = it->k, n = it->base.n;
    for (uint32_t i = k; i-- > 0;) {
        if (it->pick[i] < n - k + i) {
            it->pick[i]++;
            for (uint32_t j = i + 1; j < k; j++)
                it->pick[j] = it->pick[j - 1] + 1;
            return true;
        }
    }
    return false;
}

static void advance(struct byz_enum *it) {
    if (++it->order < 2) return;
    it->order = 0;
    if (it->k > 0 && ++it->strategy < BYZ_STRATEGY_COUNT) return;
    it->strategy = BYZ_SILENT;
    if (it->k > 0 && next_pick(it)) return;
    if (++it->k > max_traitors(&it->base)) {
        it->done = true;
        return;
    }
    for (uint32_t i = 0; i < it->k; i++)
        it->pick[i] = i;
}

bool byz_enum_next(struct byz_enum *it, struct byz_config *out) {
    if (it->done) return false;
    *out = it->base;
    memset(out->strategy, BYZ_LOYAL, sizeof out->strategy);
    for (uint32_t i = 0; i < it->k; i++)
        out->strategy[it->pick[i]] = (uint8_t)it->strategy;
    out->order = it->order == 0 ? BYZ_ORDER_ATTACK : BYZ_ORDER_RETREAT;
    advance(it);
    return true;
}
