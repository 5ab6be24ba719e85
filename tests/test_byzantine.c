/* Byzantine agreement (protocols/byzantine.c, byz_om.c, byz_sm.c): OM(m)'s message count
 * equals the closed form, computed here; exhaustive mode finds OM(1)'s failure with
 * n = 3 and finds none for OM(1) n = 4, OM(2) n = 7, SM(1) n = 3, SM(2) n = 4 (nor for
 * Dolev–Strong); forged and tampered chains are rejected, counted and harmless; costs
 * match counts derived by hand; the replicated stage diverges under OM exactly when the
 * gateway orders attack; runs repeat bit for bit; and the Byzantine scenario section
 * decodes every key. Expected values are stated or derived here, never read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "byzantine.h"
#include "scenario.h"

static struct byz_config base(enum byz_alg a, uint32_t n, uint32_t m) {
    struct byz_config c;
    byz_config_defaults(&c);
    c.alg = a;
    c.n = n;
    c.m = m;
    return c;
}

static struct byz_outcome run(const struct byz_config *c, uint64_t seed) {
    struct byz_outcome o;
    struct ft_error err = {0};
    int rc = byz_run(c, seed, NULL, &o, &err);
    if (rc) fprintf(stderr, "byz_run: %s\n", err.msg);
    assert_int_equal(rc, 0);
    return o;
}

static void assert_loyal_decide(const struct byz_outcome *o, uint8_t v) {
    for (uint32_t i = 1; i < o->n; i++) {
        if (o->traitors & (1ull << i))
            assert_int_equal(o->decision[i], BYZ_NO_DECISION);
        else
            assert_int_equal(o->decision[i], v);
    }
}

/* ---- OM(m): message count ---- */

/* sum over k = 1..m+1 of (n-1)(n-2)...(n-k) */
static uint64_t closed_form(uint32_t n, uint32_t m) {
    uint64_t sum = 0;
    for (uint32_t k = 1; k <= m + 1; k++) {
        uint64_t prod = 1;
        for (uint32_t i = 1; i <= k; i++)
            prod *= n - i;
        sum += prod;
    }
    return sum;
}

static void test_om_message_count_is_the_closed_form(void **state) {
    (void)state;
    for (uint32_t n = 4; n <= 8; n++)
        for (uint32_t m = 1; m <= 2; m++)
            for (int order = BYZ_ORDER_RETREAT; order <= BYZ_ORDER_ATTACK; order++) {
                struct byz_config c = base(BYZ_OM, n, m);
                c.order = (enum byz_order)order;
                struct byz_outcome o = run(&c, 1);
                assert_int_equal(o.messages, closed_form(n, m));
                assert_int_equal(o.rounds, m + 1);
                assert_true(o.ic1 && o.ic2);
                assert_loyal_decide(&o, (uint8_t)order);
            }
    assert_int_equal(closed_form(4, 1), 9);   /* 3 + 3*2, by hand */
    assert_int_equal(closed_form(7, 2), 156); /* 6 + 6*5 + 6*5*4 */
    assert_int_equal(closed_form(8, 2), 259); /* 7 + 42 + 210 */
}

/* ---- exhaustive mode ---- */

struct sweep {
    uint64_t runs, violations;
    bool silent_lieutenant_broke_ic2; /* OM n = 3: see the test */
};

static uint64_t choose(uint64_t n, uint64_t k) {
    return k == 0 ? 1 : choose(n - 1, k - 1) * n / k;
}

static struct sweep exhaustive(enum byz_alg a, uint32_t n, uint32_t m, uint64_t seed) {
    struct byz_config b = base(a, n, m), c;
    struct byz_enum it;
    struct ft_error err = {0};
    struct sweep sw = {0};
    uint64_t runs, want = 1;
    assert_int_equal(byz_enum_start(&it, &b, &runs, &err), 0);
    for (uint32_t k = 1; k <= m; k++)
        want += choose(n, k) * 6; /* six traitor strategies */
    assert_int_equal(runs, 2 * want);
    while (byz_enum_next(&it, &c)) {
        struct byz_outcome o = run(&c, seed);
        sw.runs++;
        if (!(o.ic1 && o.ic2)) {
            sw.violations++;
            if (o.traitors == 1u << 2 && c.strategy[2] == BYZ_SILENT && o.order == BYZ_ATTACK)
                sw.silent_lieutenant_broke_ic2 = !o.ic2 && o.decision[1] == BYZ_RETREAT;
        }
    }
    assert_int_equal(sw.runs, runs);
    return sw;
}

/* With n = 3 a silent lieutenant 2 leaves lieutenant 1 with "attack" from the loyal
 * commander and a default RETREAT for the silence: a tie, so RETREAT, against IC2. */
static void test_exhaustive_om1_n3_finds_a_violation(void **state) {
    (void)state;
    struct sweep sw = exhaustive(BYZ_OM, 3, 1, 1);
    assert_true(sw.violations > 0);
    assert_true(sw.silent_lieutenant_broke_ic2);
}

static void test_exhaustive_om_holds_when_n_is_at_least_3m_plus_1(void **state) {
    (void)state;
    assert_int_equal(exhaustive(BYZ_OM, 4, 1, 1).violations, 0);
    assert_int_equal(exhaustive(BYZ_OM, 4, 1, 2).violations, 0);
    assert_int_equal(exhaustive(BYZ_OM, 7, 2, 1).violations, 0);
}

static void test_exhaustive_sm_holds_for_every_placement_and_strategy(void **state) {
    (void)state;
    for (uint64_t seed = 1; seed <= 3; seed++) {
        assert_int_equal(exhaustive(BYZ_SM, 3, 1, seed).violations, 0);
        assert_int_equal(exhaustive(BYZ_SM, 4, 2, seed).violations, 0);
        assert_int_equal(exhaustive(BYZ_DS, 3, 1, seed).violations, 0);
        assert_int_equal(exhaustive(BYZ_DS, 4, 2, seed).violations, 0);
    }
}

static void test_exhaustive_enumerates_each_run_once(void **state) {
    (void)state;
    struct byz_config b = base(BYZ_SM, 5, 2), c;
    struct byz_enum it;
    struct ft_error err = {0};
    uint64_t runs;
    static bool seen[1u << 5][BYZ_STRATEGY_COUNT][2];
    memset(seen, 0, sizeof seen);
    assert_int_equal(byz_enum_start(&it, &b, &runs, &err), 0);
    assert_int_equal(runs, 2 * (1 + (5 + 10) * 6));
    for (uint64_t i = 0; byz_enum_next(&it, &c); i++) {
        uint32_t mask = (uint32_t)byz_traitor_mask(&c), k = (uint32_t)__builtin_popcount(mask);
        uint8_t st = BYZ_LOYAL;
        for (uint32_t j = 0; j < 5; j++)
            if (mask & (1u << j)) {
                assert_true(st == BYZ_LOYAL || st == c.strategy[j]); /* shared by all */
                st = c.strategy[j];
            }
        assert_true(k <= 2);
        assert_true(c.order == BYZ_ORDER_ATTACK || c.order == BYZ_ORDER_RETREAT);
        assert_false(seen[mask][st][c.order]);
        seen[mask][st][c.order] = true;
    }
    b.n = 11;
    assert_int_equal(byz_enum_start(&it, &b, &runs, &err), FT_ELIMIT);
    assert_non_null(strstr(err.msg, "n <= 10"));
}

/* ---- signed chains: costs, forgeries, tampering ---- */

/* Nobody lies: the commander signs once, each of the n-1 lieutenants relays once to the
 * n-2 others. SM checks every chain: the commander's link once per lieutenant, then one
 * new link per relayed chain (its commander prefix is a cache hit). Dolev–Strong checks
 * only the first chain, the one that can change its state. */
static void test_signed_costs_without_traitors(void **state) {
    (void)state;
    for (uint32_t n = 3; n <= 7; n++) {
        struct byz_config c = base(BYZ_SM, n, 1);
        struct byz_outcome sm = run(&c, 4);
        c.alg = BYZ_DS;
        struct byz_outcome ds = run(&c, 4);
        uint64_t relays = (uint64_t)(n - 1) * (n - 2);
        assert_int_equal(sm.messages, (n - 1) + relays);
        assert_int_equal(sm.signatures_made, n);
        assert_int_equal(sm.signatures_verified, (n - 1) + relays);
        assert_int_equal(sm.signature_cache_hits, relays);
        assert_int_equal(sm.signatures_rejected, 0);
        assert_int_equal(ds.messages, sm.messages);
        assert_int_equal(ds.signatures_verified, n - 1);
        assert_int_equal(ds.signature_cache_hits, 0);
        assert_loyal_decide(&sm, BYZ_ATTACK);
        assert_loyal_decide(&ds, BYZ_ATTACK);
    }
}

/* A forging or tampering lieutenant (n = 4, m = 1) sends its two bad chains in round 2,
 * one to each other lieutenant: exactly two rejections, and the loyal ones obey. */
static void test_forged_and_tampered_chains_are_rejected_and_harmless(void **state) {
    (void)state;
    static const enum byz_strategy bad[] = {BYZ_FORGE, BYZ_TAMPER_RELAY};
    for (int a = BYZ_SM; a <= BYZ_DS; a++)
        for (size_t s = 0; s < 2; s++)
            for (uint32_t t = 1; t < 4; t++)
                for (int order = BYZ_ORDER_RETREAT; order <= BYZ_ORDER_ATTACK; order++) {
                    struct byz_config c = base((enum byz_alg)a, 4, 1);
                    c.strategy[t] = (uint8_t)bad[s];
                    c.order = (enum byz_order)order;
                    struct byz_outcome o = run(&c, 11);
                    assert_int_equal(o.signatures_rejected, 2);
                    assert_true(o.ic1 && o.ic2);
                    assert_loyal_decide(&o, (uint8_t)order);
                }
}

/* A forging commander orders correctly, then claims in round 2 that another lieutenant
 * relayed the opposite: n-1 forged chains, all rejected, the order obeyed. A tampering
 * commander's only chains carry an altered value: all rejected, V stays empty, and
 * choice(V) is RETREAT for everyone. */
static void test_commander_forgeries_are_rejected(void **state) {
    (void)state;
    for (int a = BYZ_SM; a <= BYZ_DS; a++)
        for (uint32_t n = 3; n <= 6; n++) {
            struct byz_config c = base((enum byz_alg)a, n, 1);
            c.strategy[0] = BYZ_FORGE;
            struct byz_outcome o = run(&c, 5);
            assert_int_equal(o.signatures_rejected, n - 1);
            assert_loyal_decide(&o, BYZ_ATTACK);
            c.strategy[0] = BYZ_TAMPER_RELAY;
            o = run(&c, 5);
            assert_int_equal(o.signatures_rejected, n - 1);
            assert_int_equal(o.messages, n - 1);
            assert_loyal_decide(&o, BYZ_RETREAT);
        }
}

/* SM(3), n = 10, a conflicting commander: the loyal lieutenants see both signed orders
 * and all retreat (choice of two values). */
static void test_sm_conflicting_commander_makes_all_retreat(void **state) {
    (void)state;
    struct byz_config c = base(BYZ_SM, 10, 3);
    c.strategy[0] = BYZ_CONFLICTING;
    c.strategy[4] = BYZ_RANDOM;
    c.strategy[7] = BYZ_TAMPER_RELAY;
    struct byz_outcome o = run(&c, 2);
    assert_true(o.ic1);
    assert_loyal_decide(&o, BYZ_RETREAT);
    assert_true(o.signatures_rejected > 0);
}

/* OM has no signatures; a forger names another relay than itself, which the receiver,
 * knowing who sent the message (A2), discards: lieutenant t's two round-2 messages. */
static void test_om_forged_relay_is_discarded(void **state) {
    (void)state;
    for (uint32_t t = 1; t < 4; t++) {
        struct byz_config c = base(BYZ_OM, 4, 1);
        c.strategy[t] = BYZ_FORGE;
        struct byz_outcome o = run(&c, 1);
        assert_int_equal(o.discarded, 2);
        assert_int_equal(o.signatures_made + o.signatures_verified, 0);
        assert_loyal_decide(&o, BYZ_ATTACK);
    }
}

/* OM(1), n = 4, commander conflicting: lieutenants 1 and 3 (odd) get attack, 2 retreat;
 * each then holds {attack, retreat, attack} and attacks. */
static void test_om_conflicting_commander_hand_traced(void **state) {
    (void)state;
    struct byz_config c = base(BYZ_OM, 4, 1);
    c.strategy[0] = BYZ_CONFLICTING;
    c.order = BYZ_ORDER_RETREAT;
    struct byz_outcome o = run(&c, 1);
    assert_loyal_decide(&o, BYZ_ATTACK);
    assert_true(o.ic1 && o.ic2); /* IC2 does not bind a traitorous commander */
}

/* ---- the replicated stage ---- */

/* Gateway + 2 replicas, replica 2 silent. Under OM replica 1 holds the order and a
 * default RETREAT: it retreats on every decision, so exactly the decisions the gateway
 * ordered "attack" diverge. The orders come from the stream "byz-orders" (rng.h). */
static void test_replicated_stage_diverges_under_om_not_sm(void **state) {
    (void)state;
    for (uint64_t seed = 1; seed <= 4; seed++) {
        struct byz_config c = base(BYZ_OM, 3, 1);
        c.sink = true;
        c.decisions = 40;
        c.order = BYZ_ORDER_RANDOM;
        c.strategy[2] = BYZ_SILENT;
        struct rng r;
        uint32_t attacks = 0;
        rng_init(&r, seed, "byz-orders");
        for (uint32_t k = 0; k < c.decisions; k++)
            attacks += rng_below(&r, 2) == BYZ_ATTACK;
        struct byz_outcome om = run(&c, seed);
        assert_int_equal(om.divergent, attacks);
        assert_int_equal(om.outputs, 40); /* the loyal replica's; the silent one sends none */
        assert_int_equal(om.messages, 40 * 3);
        assert_true(om.ic1);
        assert_int_equal(om.ic2, attacks == 0);
        c.alg = BYZ_SM;
        struct byz_outcome sm = run(&c, seed);
        assert_int_equal(sm.divergent, 0);
        assert_true(sm.ic1 && sm.ic2);
        assert_int_equal(sm.outputs, 40);
    }
}

/* ---- determinism, limits, traitors drawn from the seed ---- */

static void test_same_seed_same_trace_and_decisions(void **state) {
    (void)state;
    for (int a = 0; a < BYZ_ALG_COUNT; a++) {
        struct byz_config c = base((enum byz_alg)a, 7, 2);
        c.strategy[0] = BYZ_RANDOM;
        c.strategy[3] = BYZ_RANDOM;
        c.decisions = 3;
        c.order = BYZ_ORDER_RANDOM;
        struct byz_outcome x = run(&c, 77);
        struct byz_config other = base(BYZ_SM, 5, 1); /* a run in between shares nothing */
        run(&other, 78);
        struct byz_outcome y = run(&c, 77), z = run(&c, 79);
        assert_string_equal(x.trace_hash, y.trace_hash);
        assert_memory_equal(x.decision, y.decision, sizeof x.decision);
        assert_int_equal(x.messages, y.messages);
        assert_int_equal(x.events, y.events);
        assert_string_not_equal(x.trace_hash, z.trace_hash);
    }
}

static void test_config_limits_are_checked(void **state) {
    (void)state;
    struct byz_outcome o;
    struct ft_error err = {0};
    struct byz_config c = base(BYZ_OM, 2, 0);
    assert_int_equal(byz_run(&c, 1, NULL, &o, &err), FT_ELIMIT);
    c = base(BYZ_SM, 4, 3);
    assert_int_equal(byz_run(&c, 1, NULL, &o, &err), FT_ELIMIT);
    assert_non_null(strstr(err.msg, "at most n - 2"));
    c = base(BYZ_OM, 32, 10);
    assert_int_equal(byz_run(&c, 1, NULL, &o, &err), FT_ELIMIT);
    assert_non_null(strstr(err.msg, "messages per decision"));
    c = base(BYZ_OM, 4, 1);
    c.latency_ns = c.round_ns;
    assert_int_equal(byz_run(&c, 1, NULL, &o, &err), FT_EINVAL);
    c = base(BYZ_OM, 4, 1);
    c.strategy[5] = BYZ_SILENT; /* not a node of this run */
    assert_int_equal(byz_run(&c, 1, NULL, &o, &err), FT_EINVAL);
    c = base(BYZ_OM, 4, 1);
    c.decisions = BYZ_DECISIONS_MAX + 1;
    assert_int_equal(byz_run(&c, 1, NULL, &o, &err), FT_ELIMIT);
}

static void test_traitors_drawn_from_the_seed(void **state) {
    (void)state;
    uint32_t hits[7] = {0};
    for (uint64_t seed = 1; seed <= 300; seed++) {
        struct byz_config c = base(BYZ_OM, 7, 2), d = c;
        struct ft_error err = {0};
        assert_int_equal(byz_draw_traitors(&c, seed, 2, BYZ_RANDOM, &err), 0);
        assert_int_equal(byz_draw_traitors(&d, seed, 2, BYZ_RANDOM, &err), 0);
        assert_int_equal(__builtin_popcountll(byz_traitor_mask(&c)), 2);
        assert_memory_equal(c.strategy, d.strategy, sizeof c.strategy);
        for (uint32_t i = 0; i < 7; i++)
            hits[i] += c.strategy[i] == BYZ_RANDOM;
    }
    for (uint32_t i = 0; i < 7; i++) /* 600 picks over 7 nodes: about 86 each */
        assert_true(hits[i] > 40 && hits[i] < 140);
    struct byz_config c = base(BYZ_OM, 4, 1);
    struct ft_error err = {0};
    assert_int_equal(byz_draw_traitors(&c, 1, 5, BYZ_SILENT, &err), FT_EINVAL);
}

/* The agreement table's text columns, for traitors 0 and 2 of five generals. */
static void test_traitors_and_decisions_format_for_the_store(void **state) {
    (void)state;
    struct byz_config c = base(BYZ_SM, 5, 2);
    c.strategy[0] = BYZ_SILENT;
    c.strategy[2] = BYZ_FORGE;
    struct byz_outcome o = run(&c, 1);
    char t[BYZ_TRAITORS_CSV_MAX], d[BYZ_DECISIONS_JSON_MAX];
    assert_string_equal(byz_traitors_csv(&o, t, sizeof t), "0,2");
    /* a silent commander: no valid order, choice of the empty set */
    assert_string_equal(byz_decisions_json(&o, d, sizeof d),
                        "[{\"node\":1,\"decision\":\"retreat\"},{\"node\":3,\"decision\":"
                        "\"retreat\"},{\"node\":4,\"decision\":\"retreat\"}]");
    c = base(BYZ_OM, 4, 1);
    o = run(&c, 1);
    assert_string_equal(byz_traitors_csv(&o, t, sizeof t), "");
    assert_string_equal(byz_decisions_json(&o, d, sizeof d),
                        "[{\"node\":1,\"decision\":\"attack\"},{\"node\":2,\"decision\":"
                        "\"attack\"},{\"node\":3,\"decision\":\"attack\"}]");
}

/* ---- the scenario section ---- */

static void test_byzantine_scenario_decodes_every_value(void **state) {
    (void)state;
    struct scenario *s = malloc(sizeof *s);
    struct ft_error err = {0};
    assert_non_null(s);
    assert_int_equal(scn_load("tests/data/good/byzantine-full.yaml", s, &err), 0);
    const struct scn_byz *b = &s->byz;
    assert_int_equal(s->kind, SCN_KIND_BYZANTINE);
    assert_string_equal(s->name, "byz-full");
    assert_int_equal(s->seed, 9);
    assert_int_equal(s->seed_first, 3);
    assert_int_equal(s->seed_last, 4);
    assert_int_equal(b->nalgs, 3);
    assert_int_equal(b->algs[0], BYZ_DS);
    assert_int_equal(b->algs[1], BYZ_OM);
    assert_int_equal(b->algs[2], BYZ_SM);
    assert_int_equal(b->cfg.n, 7);
    assert_int_equal(b->cfg.m, 2);
    assert_int_equal(b->cfg.order, BYZ_ORDER_RETREAT);
    assert_int_equal(b->cfg.strategy[0], BYZ_CONFLICTING);
    assert_int_equal(b->cfg.strategy[5], BYZ_TAMPER_RELAY);
    assert_int_equal(byz_traitor_mask(&b->cfg), (1u << 0) | (1u << 5));
    assert_int_equal(b->cfg.decisions, 12);
    assert_true(b->cfg.sink);
    assert_int_equal(b->cfg.round_ns, 20 * SIM_NS_PER_MS);
    assert_int_equal(b->cfg.latency_ns, 3 * SIM_NS_PER_MS);
    assert_false(b->exhaustive);
    const struct scn_byz_expect *om = &b->expect[BYZ_OM], *sm = &b->expect[BYZ_SM];
    assert_true(om->set && sm->set && !b->expect[BYZ_DS].set);
    assert_int_equal(om->ic1, 0);
    assert_int_equal(om->ic2, 1);
    assert_true(om->violations.op == SCN_GT && om->violations.value == 0);
    assert_true(om->divergent.op == SCN_LE && om->divergent.value == 12);
    assert_true(om->messages.op == SCN_GE && om->messages.value == 156);
    assert_true(om->signatures_rejected.op == SCN_EQ && om->signatures_rejected.value == 0);
    assert_int_equal(sm->ic1, 1);
    assert_int_equal(sm->ic2, -1);
    assert_int_equal(sm->messages.op, SCN_CMP_NONE);
    /* defaults, and traitors drawn per seed */
    const char *text = "name: d\nabout: x\nbyzantine: { algorithms: om, n: 5, m: 1,"
                       " traitors: { count: 2, strategy: forge } }\n";
    assert_int_equal(scn_parse("d.yaml", text, strlen(text), s, &err), 0);
    assert_int_equal(b->nalgs, 1);
    assert_int_equal(b->cfg.order, BYZ_ORDER_ATTACK);
    assert_int_equal(b->cfg.decisions, 1);
    assert_false(b->cfg.sink);
    assert_int_equal(b->cfg.round_ns, 10 * SIM_NS_PER_MS);
    assert_int_equal(b->cfg.latency_ns, 1 * SIM_NS_PER_MS);
    assert_int_equal(byz_traitor_mask(&b->cfg), 0);
    assert_int_equal(b->draw_count, 2);
    assert_int_equal(b->draw_strategy, BYZ_FORGE);
    struct byz_config c;
    assert_int_equal(scn_byz_config(b, BYZ_OM, 3, &c, &err), 0);
    assert_int_equal(__builtin_popcountll(byz_traitor_mask(&c)), 2);
    free(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_om_message_count_is_the_closed_form),
        cmocka_unit_test(test_exhaustive_om1_n3_finds_a_violation),
        cmocka_unit_test(test_exhaustive_om_holds_when_n_is_at_least_3m_plus_1),
        cmocka_unit_test(test_exhaustive_sm_holds_for_every_placement_and_strategy),
        cmocka_unit_test(test_exhaustive_enumerates_each_run_once),
        cmocka_unit_test(test_signed_costs_without_traitors),
        cmocka_unit_test(test_forged_and_tampered_chains_are_rejected_and_harmless),
        cmocka_unit_test(test_commander_forgeries_are_rejected),
        cmocka_unit_test(test_sm_conflicting_commander_makes_all_retreat),
        cmocka_unit_test(test_om_forged_relay_is_discarded),
        cmocka_unit_test(test_om_conflicting_commander_hand_traced),
        cmocka_unit_test(test_replicated_stage_diverges_under_om_not_sm),
        cmocka_unit_test(test_same_seed_same_trace_and_decisions),
        cmocka_unit_test(test_config_limits_are_checked),
        cmocka_unit_test(test_traitors_drawn_from_the_seed),
        cmocka_unit_test(test_traitors_and_decisions_format_for_the_store),
        cmocka_unit_test(test_byzantine_scenario_decodes_every_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
