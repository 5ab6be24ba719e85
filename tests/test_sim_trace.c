/* The trace (sim/trace.c): the trace hash is the run's fingerprint. The same seed gives
 * the same hash run after run, another seed another hash; the kernel example's hash is
 * pinned; the hook sees every traced event; neither a hook nor reading the hash mid-run
 * changes the hash; and the hash is XXH3-128 over the documented canonical encoding,
 * re-encoded here from the hook's records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>
#include <xxhash.h>

#include "example.h"
#include "sim.h"

#define MS SIM_NS_PER_MS
#define US SIM_NS_PER_US

/* The trace hash of `ftsim example --seed 1` (example_run(1, ...)). It must not change by
 * accident: a refactor, an optimisation or another compiler that changes it has changed
 * the order or content of traced events. If the kernel's or the example's semantics (or
 * the trace encoding) change on purpose, check the new run with `ftsim example --trace`,
 * confirm `make hashes` agrees across compilers, and re-pin here in the same commit,
 * saying why in its message. */
static const char EXAMPLE_SEED_1_HASH[] =
    "3b525e405fb61c1ef1794b60baff2f39";

static void run_example(uint64_t seed, FILE *log, struct example_result *r) {
    struct ft_error err = {0};
    int rc = example_run(seed, log, r, &err);
    if (rc != 0) fail_msg("example_run(%llu): %s", (unsigned long long)seed, err.msg);
    assert_int_equal(strlen(r->trace_hash), 2 * SIM_HASH_BYTES);
}

static void test_same_seed_gives_same_hash_on_three_runs_other_seed_differs(void **state) {
    (void)state;
    struct example_result a, b, c, d;
    run_example(1, NULL, &a);
    run_example(1, NULL, &b);
    run_example(1, NULL, &c);
    assert_string_equal(a.trace_hash, b.trace_hash);
    assert_string_equal(a.trace_hash, c.trace_hash);
    assert_int_equal(a.events, c.events);
    run_example(2, NULL, &d);
    assert_string_not_equal(a.trace_hash, d.trace_hash);
    /* A handful more seeds: all distinct. */
    char seen[8][SIM_HASH_HEX_BYTES];
    for (int i = 0; i < 8; i++) {
        struct example_result r;
        run_example(100 + (uint64_t)i, NULL, &r);
        memcpy(seen[i], r.trace_hash, SIM_HASH_HEX_BYTES);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(seen[i], seen[j]);
    }
}

static void test_example_seed_1_hash_matches_pinned_value(void **state) {
    (void)state;
    struct example_result r;
    run_example(1, NULL, &r);
    if (strcmp(r.trace_hash, EXAMPLE_SEED_1_HASH) != 0)
        fail_msg("example seed 1: trace hash %s, pinned %s (see the comment at the pin)",
                 r.trace_hash, EXAMPLE_SEED_1_HASH);
}

static void test_example_hash_does_not_depend_on_trace_hook(void **state) {
    (void)state;
    struct example_result plain, logged;
    run_example(1, NULL, &plain);
    FILE *log = tmpfile(); /* example_run installs its printing hook when given a file */
    assert_non_null(log);
    run_example(1, log, &logged);
    assert_true(ftell(log) > 0);
    fclose(log);
    assert_string_equal(plain.trace_hash, logged.trace_hash);
    assert_int_equal(plain.events, logged.events);
}

/* ---- a small scenario with every kind of traced event ---- */

enum { KIND_PING = 1, KIND_PONG = 2, USER_CODE = 7, ROUNDS = 20 };
static const char PING[] = "ping!", PONG[] = "pong";
static const uint32_t GROUPS[3] = {0, 0, 1};

struct scenario {
    bool faults;           /* loss, dup, jitter, a crash and a partition */
    bool hash_in_handlers; /* read the hash inside handlers and from a driver */
    bool chunked;          /* run in 1 ms slices, reading the hash between them */
    uint32_t mid_reads;
    char first_mid[SIM_HASH_HEX_BYTES], last_mid[SIM_HASH_HEX_BYTES];
    /* hook bookkeeping */
    uint64_t hooked, by_type[SIM_TR_USER + 1];
    uint64_t last_time;
    bool encode;
    unsigned char *ref;   /* our own encoding of the whole trace, hashed in one shot */
    size_t ref_n, ref_cap;
};

static void ref_append(struct scenario *sc, const void *p, size_t n) {
    if (sc->ref_n + n > sc->ref_cap) {
        sc->ref_cap = 2 * (sc->ref_n + n);
        sc->ref = realloc(sc->ref, sc->ref_cap);
        assert_non_null(sc->ref);
    }
    memcpy(sc->ref + sc->ref_n, p, n);
    sc->ref_n += n;
}

/* XXH3-128 of buf in one call (the kernel hashes block by block), as canonical hex. */
static void xxh128_hex(const void *buf, size_t n, char hex[SIM_HASH_HEX_BYTES]) {
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits(buf, n));
    sodium_bin2hex(hex, SIM_HASH_HEX_BYTES, c.digest, sizeof c.digest);
}

static void read_hash(struct sim *s, struct scenario *sc) {
    char a[SIM_HASH_HEX_BYTES], b[SIM_HASH_HEX_BYTES];
    sim_trace_hash_hex(s, a);
    sim_trace_hash_hex(s, b); /* twice in a row: the same value */
    assert_string_equal(a, b);
    assert_int_equal(strlen(a), 2 * SIM_HASH_BYTES);
    if (sc->mid_reads == 0) memcpy(sc->first_mid, a, sizeof a);
    memcpy(sc->last_mid, a, sizeof a);
    sc->mid_reads++;
}

static void client_start(struct sim *s, uint32_t me, void *ctx) {
    (void)ctx;
    sim_timer_set(s, me, 1 * MS, 0);
}

static void client_timer(struct sim *s, uint32_t me, uint64_t round, void *ctx) {
    struct scenario *sc = ctx;
    sim_send(s, me, 1, KIND_PING, PING, sizeof PING - 1);
    sim_send(s, me, 2, KIND_PING, PING, sizeof PING - 1);
    if (sc->hash_in_handlers) read_hash(s, sc);
    if (round + 1 < ROUNDS) sim_timer_set(s, me, 1 * MS, round + 1);
}

static void server_msg(struct sim *s, uint32_t me, const struct sim_msg *m, void *ctx) {
    struct scenario *sc = ctx;
    sim_trace_user(s, me, USER_CODE, m->id, m->len);
    if (sc->hash_in_handlers) read_hash(s, sc);
    sim_send(s, me, m->src, KIND_PONG, PONG, sizeof PONG - 1);
}

static void driver_read(struct sim *s, void *arg) {
    struct scenario *sc = arg;
    if (sc->hash_in_handlers) read_hash(s, sc);
}

static void put_le(unsigned char *p, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* The canonical encoding (trace.c): time, id, arg as u64 LE; node, peer, kind as u32
 * LE; type, reason as one byte each; then the extra bytes: a SEND's payload, a
 * PARTITION's side per node as u32 LE. */
static void on_trace(const struct sim_trace_rec *r, void *ctx) {
    struct scenario *sc = ctx;
    sc->hooked++;
    assert_in_range(r->type, SIM_TR_SEND, SIM_TR_USER);
    sc->by_type[r->type]++;
    assert_true(r->time_ns >= sc->last_time); /* the trace runs forward in time */
    sc->last_time = r->time_ns;
    if (!sc->encode) return;
    unsigned char rec[38];
    put_le(rec, r->time_ns, 8);
    put_le(rec + 8, r->id, 8);
    put_le(rec + 16, r->arg, 8);
    put_le(rec + 24, r->node, 4);
    put_le(rec + 28, r->peer, 4);
    put_le(rec + 32, r->kind, 4);
    rec[36] = r->type;
    rec[37] = r->reason;
    ref_append(sc, rec, sizeof rec);
    if (r->type == SIM_TR_SEND) {
        const char *payload = r->kind == KIND_PING ? PING : PONG;
        assert_int_equal(r->arg, strlen(payload));
        ref_append(sc, payload, strlen(payload));
    }
    if (r->type == SIM_TR_PARTITION) {
        assert_int_equal(r->arg, 3);
        unsigned char sides[12];
        for (int i = 0; i < 3; i++)
            put_le(sides + 4 * i, GROUPS[i], 4);
        ref_append(sc, sides, sizeof sides);
    }
}

/* Runs the scenario; returns its final hash in `hash` and its trace count. */
static uint64_t run_scenario(uint64_t seed, bool hook, struct scenario *sc,
                             char hash[SIM_HASH_HEX_BYTES]) {
    struct sim *s = sim_new(&(struct sim_config){.seed = seed});
    assert_non_null(s);
    if (hook) sim_set_trace_hook(s, on_trace, sc);
    struct net_link_cfg net = {.latency_ns = 1 * MS};
    if (sc->faults) {
        net.jitter_ns = 300 * US;
        net.loss_p = 0.1;
        net.dup_p = 0.1;
    }
    assert_int_equal(net_set_default(s, &net), 0);
    static const struct sim_node_ops client = {.on_start = client_start, .on_timer = client_timer};
    static const struct sim_node_ops server = {.on_message = server_msg};
    assert_int_equal(sim_node_add(s, "client", &client, sc, 0, 0), 0);
    assert_int_equal(sim_node_add(s, "s1", &server, sc, 0, 0), 1);
    assert_int_equal(sim_node_add(s, "s2", &server, sc, 0, 0), 2);
    if (sc->faults) {
        assert_int_equal(sim_crash_at(s, 2, 5 * MS + 500 * US), 0);
        assert_int_equal(sim_restart_at(s, 2, 8 * MS + 500 * US), 0);
        assert_int_equal(net_partition_at(s, 10 * MS + 500 * US, 0, GROUPS, 3), 0);
        assert_int_equal(net_heal_at(s, 12 * MS + 500 * US, 0), 0);
    }
    for (uint64_t t = 0; t < 30; t++) /* the same driver events in every variant */
        assert_int_equal(sim_call_at(s, t * MS + 250 * US, driver_read, sc), 0);
    if (sc->chunked) {
        for (uint64_t t = 0; t < 30; t++) {
            assert_int_equal(sim_run_until(s, t * MS), 0);
            read_hash(s, sc);
        }
    }
    assert_int_equal(sim_run_until(s, SIM_TIME_MAX), 0);
    sim_trace_hash_hex(s, hash);
    uint64_t count = sim_trace_count(s);
    sim_free(s);
    return count;
}

static void test_trace_hook_sees_every_event_and_count_matches(void **state) {
    (void)state;
    /* No randomness or faults: the events can be counted by hand. 3 starts; 20 client
     * timers; 20 rounds x 2 pings + 40 pongs = 80 sends, 80 deliveries; a user event per
     * ping delivered: 40. */
    struct scenario sc = {0};
    char hash[SIM_HASH_HEX_BYTES];
    uint64_t count = run_scenario(1, true, &sc, hash);
    assert_int_equal(sc.by_type[SIM_TR_START], 3);
    assert_int_equal(sc.by_type[SIM_TR_TIMER], ROUNDS);
    assert_int_equal(sc.by_type[SIM_TR_SEND], 4 * ROUNDS);
    assert_int_equal(sc.by_type[SIM_TR_DELIVER], 4 * ROUNDS);
    assert_int_equal(sc.by_type[SIM_TR_USER], 2 * ROUNDS);
    assert_int_equal(sc.hooked, 3 + ROUNDS + 4 * ROUNDS + 4 * ROUNDS + 2 * ROUNDS);
    assert_int_equal(count, sc.hooked);

    /* With faults: every kind of event shows up, and the hook still sees them all. */
    struct scenario sf = {.faults = true};
    count = run_scenario(1, true, &sf, hash);
    assert_int_equal(count, sf.hooked);
    static const int kinds[] = {SIM_TR_SEND,  SIM_TR_DELIVER, SIM_TR_DROP,  SIM_TR_DUP,
                                SIM_TR_CRASH, SIM_TR_RESTART, SIM_TR_TIMER, SIM_TR_PARTITION,
                                SIM_TR_HEAL,  SIM_TR_START,   SIM_TR_USER};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (sf.by_type[kinds[i]] == 0)
            fail_msg("no '%s' event in the faulty scenario", sim_trace_type_name(kinds[i]));
}

static void test_trace_hash_does_not_depend_on_trace_hook(void **state) {
    (void)state;
    for (int faults = 0; faults < 2; faults++) {
        struct scenario a = {.faults = faults}, b = {.faults = faults};
        char ha[SIM_HASH_HEX_BYTES], hb[SIM_HASH_HEX_BYTES];
        uint64_t ca = run_scenario(3, true, &a, ha);
        uint64_t cb = run_scenario(3, false, &b, hb);
        assert_string_equal(ha, hb);
        assert_int_equal(ca, cb);
        assert_int_equal(b.hooked, 0);
    }
}

static void test_reading_hash_mid_run_does_not_change_final_hash(void **state) {
    (void)state;
    struct scenario plain = {.faults = true};
    struct scenario reads = {.faults = true, .hash_in_handlers = true};
    struct scenario chunks = {.faults = true, .hash_in_handlers = true, .chunked = true};
    char h0[SIM_HASH_HEX_BYTES], h1[SIM_HASH_HEX_BYTES], h2[SIM_HASH_HEX_BYTES];
    run_scenario(4, false, &plain, h0);
    run_scenario(4, false, &reads, h1);
    run_scenario(4, false, &chunks, h2);
    assert_true(reads.mid_reads > 50);
    assert_true(chunks.mid_reads > reads.mid_reads);
    assert_string_equal(h0, h1);
    assert_string_equal(h0, h2);
    /* The reads saw the run in progress: the first one differs from the final hash; the
     * last driver read (29.25 ms) comes after the last event and equals it. */
    assert_string_not_equal(reads.first_mid, h1);
    assert_string_equal(reads.last_mid, h1);
}

static void test_different_seed_gives_different_scenario_hash(void **state) {
    (void)state;
    struct scenario a = {.faults = true}, b = {.faults = true}, c = {.faults = true};
    char ha[SIM_HASH_HEX_BYTES], hb[SIM_HASH_HEX_BYTES], hc[SIM_HASH_HEX_BYTES];
    run_scenario(5, false, &a, ha);
    run_scenario(5, false, &b, hb);
    run_scenario(6, false, &c, hc);
    assert_string_equal(ha, hb);
    assert_string_not_equal(ha, hc);
}

static void test_trace_hash_is_xxh3_128_of_canonical_encoding(void **state) {
    (void)state;
    /* If the encoding changes on purpose, update on_trace's encoder and the pinned
     * example hash together. */
    for (int faults = 0; faults < 2; faults++) {
        struct scenario sc = {.faults = faults, .encode = true};
        char hash[SIM_HASH_HEX_BYTES];
        run_scenario(7, true, &sc, hash);
        char ref_hex[SIM_HASH_HEX_BYTES];
        assert_true(sc.ref_n > 8192); /* more than one of the kernel's 8 KiB hashing blocks */
        xxh128_hex(sc.ref, sc.ref_n, ref_hex);
        assert_string_equal(hash, ref_hex);
        free(sc.ref);
    }
    /* The empty trace hashes to XXH3-128 of nothing (xxHash's published test vector). */
    struct sim *s = sim_new(&(struct sim_config){.seed = 1});
    assert_non_null(s);
    char hash[SIM_HASH_HEX_BYTES];
    sim_trace_hash_hex(s, hash);
    assert_string_equal(hash, "99aa06d3014798d86001c324468d497f");
    assert_int_equal(sim_trace_count(s), 0);
    sim_free(s);
}

static int setup_sodium(void **state) {
    (void)state;
    return sodium_init() < 0 ? -1 : 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seed_gives_same_hash_on_three_runs_other_seed_differs),
        cmocka_unit_test(test_example_seed_1_hash_matches_pinned_value),
        cmocka_unit_test(test_example_hash_does_not_depend_on_trace_hook),
        cmocka_unit_test(test_trace_hook_sees_every_event_and_count_matches),
        cmocka_unit_test(test_trace_hash_does_not_depend_on_trace_hook),
        cmocka_unit_test(test_reading_hash_mid_run_does_not_change_final_hash),
        cmocka_unit_test(test_different_seed_gives_different_scenario_hash),
        cmocka_unit_test(test_trace_hash_is_xxh3_128_of_canonical_encoding),
    };
    return cmocka_run_group_tests(tests, setup_sodium, NULL);
}
