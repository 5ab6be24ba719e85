/* Scenario loader (cli/scenario.c): a full file decodes into exactly the values written
 * in it, omitted keys take the documented defaults, every file in tests/data/bad/ fails
 * with the position and message its first line announces, the shipped scenarios/ load,
 * and no prefix or byte mutation of any of these files crashes, leaks or hangs the
 * loader (the dev preset runs this under ASan/UBSan). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scenario.h"

#define GOOD_DIR "tests/data/good"
#define BAD_DIR "tests/data/bad"
#define SHIPPED_DIR "scenarios"
#define MS 1000000ull
#define S 1000000000ull

static struct scenario *scn; /* ~1 MB: one, on the heap */

static int setup(void **state) {
    (void)state;
    scn = malloc(sizeof *scn);
    return scn ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    free(scn);
    return 0;
}

static int parse_str(const char *text, struct ft_error *err) {
    return scn_parse("inline.yaml", text, strlen(text), scn, err);
}

static void assert_loads(const char *path) {
    struct ft_error err = {0};
    int rc = scn_load(path, scn, &err);
    if (rc) fprintf(stderr, "%s:%d:%d: %s\n", err.file, err.line, err.col, err.msg);
    assert_int_equal(rc, 0);
}

/* ---- a full file ---- */

static void check_full_network(const struct pipe_config *p) {
    assert_int_equal(p->network.latency_ns, 1 * MS);
    assert_int_equal(p->network.jitter_ns, 250000);
    assert_true(p->network.loss_p == 0.01);
    assert_true(p->network.dup_p == 0.002);
    assert_true(p->network.reorder_p == 0.1);
    assert_int_equal(p->network.reorder_ns, 5 * MS);
    assert_int_equal(p->network.bandwidth_bps, 1000000000);
    assert_int_equal(p->nlinks, 2);
    assert_string_equal(p->links[0].from, "worker-1");
    assert_string_equal(p->links[0].to, "broker");
    assert_true(p->links[0].cfg.loss_p == 0.2);
    assert_int_equal(p->links[0].cfg.latency_ns, 1 * MS); /* inherited from network */
    assert_int_equal(p->links[0].cfg.bandwidth_bps, 1000000000);
    assert_int_equal(p->links[0].line, 19);
    assert_int_equal(p->links[0].col, 5);
    assert_string_equal(p->links[1].from, "broker");
    assert_string_equal(p->links[1].to, "worker-2");
    assert_int_equal(p->links[1].cfg.latency_ns, 1250000);
    assert_int_equal(p->links[1].cfg.bandwidth_bps, 0);
    assert_true(p->links[1].cfg.loss_p == 0.01);
}

static void check_full_faults(const struct pipe_config *p) {
    const struct pipe_fault *f = p->faults;
    assert_int_equal(p->nfaults, 5);
    assert_int_equal(f[0].type, PIPE_FAULT_CRASH);
    assert_string_equal(f[0].node, "worker-1");
    assert_string_equal(f[0].step, "after-emit");
    assert_false(f[0].has_at);
    assert_int_equal(f[0].record, 17);
    assert_int_equal(f[0].nth, 2);
    assert_int_equal(f[0].restart_after_ns, 500 * MS);
    assert_int_equal(f[0].line, 25);
    assert_int_equal(f[0].col, 5);
    assert_int_equal(f[1].type, PIPE_FAULT_CRASH);
    assert_string_equal(f[1].node, "broker");
    assert_true(f[1].has_at);
    assert_int_equal(f[1].at_ns, 5 * S);
    assert_string_equal(f[1].step, "");
    assert_int_equal(f[1].restart_after_ns, 0);
    assert_int_equal(f[2].type, PIPE_FAULT_DROP);
    assert_int_equal(f[2].msg_kind, PIPE_MSG_ACK);
    assert_string_equal(f[2].from, "worker-1");
    assert_string_equal(f[2].to, "broker");
    assert_int_equal(f[2].record, 17);
    assert_int_equal(f[2].nth, 1);
    assert_int_equal(f[2].count, 3);
    assert_int_equal(f[3].type, PIPE_FAULT_DROP);
    assert_int_equal(f[3].msg_kind, PIPE_MSG_OUTPUT);
    assert_string_equal(f[3].from, "");
    assert_string_equal(f[3].to, "");
    assert_true(f[3].record == PIPE_ANY);
    assert_int_equal(f[3].nth, 1);
    assert_int_equal(f[3].count, 1);
    assert_int_equal(f[4].type, PIPE_FAULT_PARTITION);
    assert_int_equal(f[4].nsides, 2);
    assert_int_equal(f[4].side_n[0], 2);
    assert_int_equal(f[4].side_n[1], 2);
    assert_string_equal(f[4].side[0][0], "source");
    assert_string_equal(f[4].side[0][1], "broker");
    assert_string_equal(f[4].side[1][0], "worker-1");
    assert_string_equal(f[4].side[1][1], "sink");
    assert_int_equal(f[4].at_ns, 5 * S);
    assert_int_equal(f[4].heal_ns, 10 * S);
}

static void check_full_expect(const struct scenario *s) {
    const struct scn_expect *e = s->expect;
    assert_true(e[DLV_AT_MOST_ONCE].set);
    assert_int_equal(e[DLV_AT_MOST_ONCE].duplicated.op, SCN_EQ);
    assert_int_equal(e[DLV_AT_MOST_ONCE].duplicated.value, 0);
    assert_int_equal(e[DLV_AT_MOST_ONCE].lost.op, SCN_CMP_NONE);
    assert_int_equal(e[DLV_AT_MOST_ONCE].matches_reference, -1);
    assert_int_equal(e[DLV_AT_MOST_ONCE].line, 31);
    assert_int_equal(e[DLV_AT_MOST_ONCE].col, 18);
    assert_int_equal(e[DLV_AT_LEAST_ONCE].lost.op, SCN_EQ);
    assert_int_equal(e[DLV_AT_LEAST_ONCE].duplicated.op, SCN_GT);
    assert_int_equal(e[DLV_AT_LEAST_ONCE].duplicated.value, 0);
    assert_int_equal(e[DLV_AT_LEAST_ONCE].delivered.op, SCN_GE);
    assert_int_equal(e[DLV_AT_LEAST_ONCE].delivered.value, 1000);
    assert_int_equal(e[DLV_EXACTLY_ONCE].lost.op, SCN_LE);
    assert_int_equal(e[DLV_EXACTLY_ONCE].lost.value, 2);
    assert_int_equal(e[DLV_EXACTLY_ONCE].duplicated.op, SCN_NE);
    assert_int_equal(e[DLV_EXACTLY_ONCE].duplicated.value, 5);
    assert_int_equal(e[DLV_EXACTLY_ONCE].matches_reference, 1);
    assert_int_equal(e[DLV_EXACTLY_ONCE_TXN].delivered.op, SCN_LT);
    assert_int_equal(e[DLV_EXACTLY_ONCE_TXN].delivered.value, 15000);
    assert_int_equal(e[DLV_EXACTLY_ONCE_TXN].matches_reference, 0);
}

static void test_full_scenario_decodes_every_value(void **state) {
    (void)state;
    assert_loads(GOOD_DIR "/full.yaml");
    const struct pipe_config *p = &scn->pipe;
    assert_string_equal(scn->file, GOOD_DIR "/full.yaml");
    assert_string_equal(scn->name, "lost-ack");
    assert_string_equal(scn->about, "The ack for a processed record is lost; the sender retries.");
    /* b2sum -l 256 tests/data/good/full.yaml */
    assert_string_equal(scn->hash,
                        "d8304cbfcc84949b54bc993bcacf350f43a9251c7e3e4f3f8a745fc121389797");
    assert_int_equal(scn->seed, 42);
    assert_int_equal(scn->seed_first, 1);
    assert_int_equal(scn->seed_last, 100);
    assert_int_equal(p->duration_ns, 30 * S);
    assert_int_equal(p->drain_ns, 90 * S); /* 1.5m */
    assert_int_equal(p->workers, 2);
    assert_int_equal(p->partitions, 4);
    assert_int_equal(p->source.kind, SRC_IOT);
    assert_int_equal(p->source.keys, 50);
    assert_int_equal(p->source.period_ns, 100 * MS);
    assert_int_equal(p->source.jitter_ns, 10 * MS);
    assert_int_equal(p->delivery.ack_timeout_ns, 50 * MS);
    assert_int_equal(p->delivery.max_timeout_ns, 1 * S);
    assert_int_equal(p->delivery.backoff, 3);
    assert_int_equal(p->delivery.window, 32);
    assert_int_equal(p->delivery.batch, 20);
    assert_int_equal(p->delivery.linger_ns, 15 * MS);
    assert_int_equal(scn->nprotocols, 4);
    assert_int_equal(scn->protocols[0], DLV_AT_MOST_ONCE);
    assert_int_equal(scn->protocols[1], DLV_AT_LEAST_ONCE);
    assert_int_equal(scn->protocols[2], DLV_EXACTLY_ONCE);
    assert_int_equal(scn->protocols[3], DLV_EXACTLY_ONCE_TXN);
    check_full_network(p);
    check_full_faults(p);
    check_full_expect(scn);
}

/* ---- defaults (the values docs/scenario-format.md promises) ---- */

static void test_omitted_keys_take_their_defaults(void **state) {
    (void)state;
    assert_loads(GOOD_DIR "/minimal.yaml");
    const struct pipe_config *p = &scn->pipe;
    assert_int_equal(scn->seed, 1);
    assert_int_equal(scn->seed_first, 1);
    assert_int_equal(scn->seed_last, 1);
    assert_int_equal(p->duration_ns, 10 * S);
    assert_int_equal(p->drain_ns, 60 * S);
    assert_int_equal(p->workers, 1);
    assert_int_equal(p->partitions, 1);
    assert_int_equal(p->source.kind, SRC_KEYED);
    assert_int_equal(p->source.keys, 10);
    assert_true(p->source.rate_per_s == 100.0);
    assert_int_equal(p->network.latency_ns, 1 * MS);
    assert_int_equal(p->network.jitter_ns, 0);
    assert_true(p->network.loss_p == 0 && p->network.dup_p == 0 && p->network.reorder_p == 0);
    assert_int_equal(p->network.bandwidth_bps, 0);
    assert_int_equal(p->delivery.ack_timeout_ns, 50 * MS);
    assert_int_equal(p->delivery.max_timeout_ns, 1 * S);
    assert_int_equal(p->delivery.backoff, 2);
    assert_int_equal(p->delivery.window, 64);
    assert_int_equal(p->delivery.batch, 10);
    assert_int_equal(p->delivery.linger_ns, 20 * MS);
    assert_int_equal(p->nlinks, 0);
    assert_int_equal(p->nfaults, 0);
    assert_int_equal(scn->nprotocols, 1);
    for (int i = 0; i < DLV_COUNT; i++) {
        assert_false(scn->expect[i].set);
        assert_int_equal(scn->expect[i].lost.op, SCN_CMP_NONE);
        assert_int_equal(scn->expect[i].matches_reference, -1);
    }
}

#define HEAD "name: t\nabout: x\nduration: 10s\nprotocols: [at-least-once]\n"

static void test_partitions_default_to_workers_and_seeds_to_seed(void **state) {
    (void)state;
    struct ft_error err = {0};
    assert_int_equal(parse_str(HEAD "seed: 7\nnodes: { workers: 3 }\n", &err), 0);
    assert_int_equal(scn->pipe.workers, 3);
    assert_int_equal(scn->pipe.partitions, 3);
    assert_int_equal(scn->seed_first, 7);
    assert_int_equal(scn->seed_last, 7);
    assert_int_equal(parse_str(HEAD "seeds: 9\n", &err), 0);
    assert_int_equal(scn->seed_first, 9);
    assert_int_equal(scn->seed_last, 9);
    assert_int_equal(parse_str(HEAD "faults: [ { crash: sink, at: 1s } ]\n", &err), 0);
    assert_int_equal(scn->pipe.faults[0].restart_after_ns, 1 * S);
}

/* ---- durations, exact ---- */

static void assert_drain(const char *text, uint64_t ns) {
    char buf[256];
    struct ft_error err = {0};
    snprintf(buf, sizeof buf, HEAD "drain: %s\n", text);
    int rc = parse_str(buf, &err);
    if (rc) fprintf(stderr, "drain %s: %s\n", text, err.msg);
    assert_int_equal(rc, 0);
    assert_int_equal(scn->pipe.drain_ns, ns);
}

static void assert_drain_rejected(const char *text, const char *msg) {
    char buf[256];
    struct ft_error err = {0};
    snprintf(buf, sizeof buf, HEAD "drain: %s\n", text);
    assert_int_equal(parse_str(buf, &err), FT_EPARSE);
    if (!strstr(err.msg, msg)) fprintf(stderr, "drain %s: %s\n", text, err.msg);
    assert_non_null(strstr(err.msg, msg));
    assert_int_equal(err.line, 5);
    assert_int_equal(err.col, 8);
}

static void test_durations_convert_exactly_in_integers(void **state) {
    (void)state;
    assert_drain("0", 0);
    assert_drain("0s", 0);
    assert_drain("1ns", 1);
    assert_drain("7us", 7000);
    assert_drain("250ms", 250 * MS);
    assert_drain("1.5s", 1500 * MS);
    assert_drain("0.000000001s", 1);
    assert_drain("1.10s", 1100 * MS);
    assert_drain("0.1h", 360 * S);
    assert_drain("2.5m", 150 * S);
    assert_drain("0.3s", 300 * MS); /* 0.3 is not exact in binary floating point */
    assert_drain("24h", 86400 * S);
    assert_drain("86400000000000ns", 86400 * S);
    assert_drain("00010ms", 10 * MS);
}

static void test_durations_reject_bad_forms(void **state) {
    (void)state;
    assert_drain_rejected("0.0000000000001h", "whole number of nanoseconds");
    assert_drain_rejected("1.0000000001s", "whole number of nanoseconds");
    assert_drain_rejected("86400000000001ns", "at most 24h");
    assert_drain_rejected("24.000000001h", "at most 24h");
    assert_drain_rejected("18446744073709551615h", "at most 24h");
    assert_drain_rejected("18446744073709551616ns", "at most 24h");
    assert_drain_rejected("1.5", "expected a duration");
    assert_drain_rejected("1s5", "expected a duration");
    assert_drain_rejected("1.s", "expected a duration");
    assert_drain_rejected(".5s", "expected a duration");
    assert_drain_rejected("-1s", "expected a duration");
    assert_drain_rejected("1 s", "expected a duration");
    assert_drain_rejected("1d", "expected a duration");
    assert_drain_rejected("[1s]", "found a sequence");
}

/* ---- bounds ---- */

static void test_bounds_hold_and_print_as_written(void **state) {
    (void)state;
    static const struct {
        enum scn_cmp op;
        uint64_t v;
        const char *text;
        bool at0, at5, at9;
    } cases[] = {{SCN_EQ, 5, "5", false, true, false},      {SCN_NE, 5, "!=5", true, false, true},
                 {SCN_LT, 5, "<5", true, false, false},     {SCN_LE, 5, "<=5", true, true, false},
                 {SCN_GT, 5, ">5", false, false, true},     {SCN_GE, 5, ">=5", false, true, true},
                 {SCN_CMP_NONE, 0, "any", true, true, true}};
    char buf[32];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct scn_bound b = {cases[i].op, cases[i].v};
        assert_int_equal(scn_bound_holds(&b, 0), cases[i].at0);
        assert_int_equal(scn_bound_holds(&b, 5), cases[i].at5);
        assert_int_equal(scn_bound_holds(&b, 9), cases[i].at9);
        assert_string_equal(scn_bound_str(&b, buf, sizeof buf), cases[i].text);
    }
    struct ft_error err = {0};
    assert_int_equal(parse_str(HEAD "expect: { at-least-once: { lost: \"==4\", duplicated: \"> 2\","
                                    " delivered: \"0\" } }\n",
                               &err),
                     0);
    const struct scn_expect *e = &scn->expect[DLV_AT_LEAST_ONCE];
    assert_true(e->lost.op == SCN_EQ && e->lost.value == 4);
    assert_true(e->duplicated.op == SCN_GT && e->duplicated.value == 2);
    assert_true(e->delivered.op == SCN_EQ && e->delivered.value == 0);
}

/* ---- limits ---- */

static char *many(const char *item, unsigned n) {
    size_t len = strlen(HEAD) + 16 + n * (strlen(item) + 1);
    char *buf = malloc(len);
    assert_non_null(buf);
    size_t o = (size_t)snprintf(buf, len, HEAD "faults:\n");
    for (unsigned i = 0; i < n; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s\n", item);
    return buf;
}

static void test_fault_count_limit_is_enforced(void **state) {
    (void)state;
    struct ft_error err = {0};
    char *ok = many("  - { drop: ack }", PIPE_FAULTS_MAX);
    char *bad = many("  - { drop: ack }", PIPE_FAULTS_MAX + 1);
    assert_int_equal(parse_str(ok, &err), 0);
    assert_int_equal(scn->pipe.nfaults, PIPE_FAULTS_MAX);
    assert_int_equal(parse_str(bad, &err), FT_EPARSE);
    assert_non_null(strstr(err.msg, "at most 64 faults, found 65"));
    assert_int_equal(err.line, 6); /* the list starts at its first '-' */
    free(ok);
    free(bad);
}

static void test_empty_oversized_and_unreadable_inputs(void **state) {
    (void)state;
    struct ft_error err = {0};
    assert_int_equal(scn_parse("e.yaml", "", 0, scn, &err), FT_EPARSE);
    assert_non_null(strstr(err.msg, "empty file"));
    assert_int_equal(err.line, 1);
    assert_int_equal(err.col, 1);
    assert_int_equal(scn_parse("e.yaml", NULL, 0, scn, &err), FT_EPARSE);
    assert_int_equal(parse_str("---\n...\n", &err), FT_EPARSE);
    assert_non_null(strstr(err.msg, "empty file"));
    size_t big = SCN_FILE_BYTES_MAX + 1;
    char *buf = malloc(big);
    assert_non_null(buf);
    memset(buf, '#', big);
    assert_int_equal(scn_parse("big.yaml", buf, big, scn, &err), FT_EPARSE);
    assert_non_null(strstr(err.msg, "at most 1048576 bytes"));
    FILE *f = fopen("big-scenario.tmp", "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, big, f), big);
    fclose(f);
    assert_int_equal(scn_load("big-scenario.tmp", scn, &err), FT_EPARSE);
    assert_non_null(strstr(err.msg, "at most 1048576 bytes"));
    assert_non_null(strstr(err.msg, "big-scenario.tmp")); /* names its file (issue 15) */
    assert_string_equal(err.file, "big-scenario.tmp");
    remove("big-scenario.tmp");
    free(buf);
    assert_int_equal(scn_load("tests/data/no-such-file.yaml", scn, &err), FT_EIO);
    assert_non_null(strstr(err.msg, "no-such-file.yaml"));
    /* a directory, like a FIFO, is refused before any read (it could block for ever) */
    assert_int_equal(scn_load("tests/data", scn, &err), FT_EPARSE);
    assert_non_null(strstr(err.msg, "'tests/data' is a directory"));
}

/* ---- the bad files ---- */

struct names {
    char **v;
    size_t n;
};

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.yaml files of dir, sorted, as "dir/name". */
static struct names list_yaml(const char *dir) {
    struct names l = {0};
    DIR *d = opendir(dir);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".yaml")) continue;
        l.v = realloc(l.v, (l.n + 1) * sizeof *l.v);
        assert_non_null(l.v);
        l.v[l.n] = malloc(strlen(dir) + len + 2);
        assert_non_null(l.v[l.n]);
        sprintf(l.v[l.n++], "%s/%s", dir, e->d_name);
    }
    closedir(d);
    qsort(l.v, l.n, sizeof *l.v, cmp_str);
    return l;
}

static void free_names(struct names *l) {
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

/* Reads a whole test file; *len gets its size. */
static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(SCN_FILE_BYTES_MAX);
    assert_non_null(buf);
    *len = fread(buf, 1, SCN_FILE_BYTES_MAX, f);
    fclose(f);
    return buf;
}

/* Checks one bad file against its "# expect: LINE:COL substring" first line. */
static bool bad_file_matches(const char *path) {
    size_t len;
    char *text = slurp(path, &len), want[400] = "";
    int line = 0, col = 0, used = 0;
    struct ft_error err = {0};
    char *nl = memchr(text, '\n', len);
    if (nl) *nl = '\0';
    bool ok = sscanf(text, "# expect: %d:%d %n", &line, &col, &used) == 2 && used > 0;
    if (ok) snprintf(want, sizeof want, "%s", text + used);
    if (nl) *nl = '\n';
    int rc = scn_parse(path, text, len, scn, &err);
    ok = ok && rc == FT_EPARSE && err.line == line && err.col == col && strstr(err.msg, want) &&
         !strcmp(err.file, path);
    if (!ok)
        fprintf(stderr, "%s: expected %d:%d '%s'\n    got rc %d at %d:%d: %s\n", path, line, col,
                want, rc, err.line, err.col, err.msg);
    free(text);
    return ok;
}

static void test_each_bad_file_fails_where_and_how_its_first_line_says(void **state) {
    (void)state;
    struct names l = list_yaml(BAD_DIR);
    size_t failed = 0;
    for (size_t i = 0; i < l.n; i++)
        failed += !bad_file_matches(l.v[i]);
    printf("%zu bad files checked\n", l.n);
    assert_true(l.n >= 30);
    assert_int_equal(failed, 0);
    free_names(&l);
}

/* ---- robustness: prefixes and mutations ---- */

static uint64_t xorshift64(uint64_t *x) {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void assert_clean(const char *name, const char *text, size_t len) {
    struct ft_error err = {0};
    int rc = scn_parse(name, text, len, scn, &err);
    if (rc != 0 && rc != FT_EPARSE) fprintf(stderr, "%s: rc %d: %s\n", name, rc, err.msg);
    assert_true(rc == 0 || rc == FT_EPARSE);
    if (rc) {
        assert_true(err.msg[0] != '\0');
        assert_true(err.line >= 1 && err.col >= 1);
    } else if (scn->kind == SCN_KIND_BYZANTINE) {
        assert_true(scn->byz.nalgs >= 1 && scn->byz.nalgs <= BYZ_ALG_COUNT);
        assert_true(scn->byz.cfg.n >= 3 && scn->byz.cfg.m + 2 <= scn->byz.cfg.n);
        assert_int_equal(scn->nprotocols, 0);
    } else {
        assert_true(scn->nprotocols >= 1 && scn->nprotocols <= DLV_COUNT);
        assert_true(scn->pipe.nfaults <= PIPE_FAULTS_MAX);
        assert_true(pipe_estimated_records(&scn->pipe) <= PIPE_RECORDS_MAX);
    }
}

static void mutate(char *buf, size_t len, uint64_t *rng) {
    static const char pool[] = ":-[]{},#&*!|>'\"\t\n 0123456789.sm\x00\xff\xc3\x80";
    unsigned edits = 1 + (unsigned)(xorshift64(rng) % 4);
    for (unsigned e = 0; e < edits; e++) {
        uint64_t r = xorshift64(rng);
        size_t at = (size_t)(r % len);
        buf[at] = (r >> 32) & 1 ? (char)(r >> 40) : pool[(r >> 40) % (sizeof pool - 1)];
    }
}

static void fuzz_file(const char *path, uint64_t *rng) {
    size_t len;
    char *text = slurp(path, &len), *buf = malloc(len + 1);
    assert_non_null(buf);
    for (size_t n = 0; n <= len; n++) { /* exact-size copies: ASan sees reads past the end */
        char *exact = malloc(n ? n : 1);
        assert_non_null(exact);
        memcpy(exact, text, n);
        assert_clean(path, exact, n);
        free(exact);
    }
    for (int m = 0; m < 300 && len; m++) {
        memcpy(buf, text, len);
        mutate(buf, len, rng);
        assert_clean(path, buf, len);
    }
    free(buf);
    free(text);
}

static void test_shipped_scenarios_load(void **state) {
    (void)state;
    struct names l = list_yaml(SHIPPED_DIR);
    for (size_t i = 0; i < l.n; i++)
        assert_loads(l.v[i]);
    free_names(&l);
}

static void test_no_prefix_or_mutation_crashes_the_loader(void **state) {
    (void)state;
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    struct names dirs[3] = {list_yaml(GOOD_DIR), list_yaml(SHIPPED_DIR), list_yaml(BAD_DIR)};
    for (int d = 0; d < 3; d++) {
        for (size_t i = 0; i < dirs[d].n; i++)
            fuzz_file(dirs[d].v[i], &rng);
        free_names(&dirs[d]);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_scenario_decodes_every_value),
        cmocka_unit_test(test_omitted_keys_take_their_defaults),
        cmocka_unit_test(test_partitions_default_to_workers_and_seeds_to_seed),
        cmocka_unit_test(test_durations_convert_exactly_in_integers),
        cmocka_unit_test(test_durations_reject_bad_forms),
        cmocka_unit_test(test_bounds_hold_and_print_as_written),
        cmocka_unit_test(test_fault_count_limit_is_enforced),
        cmocka_unit_test(test_empty_oversized_and_unreadable_inputs),
        cmocka_unit_test(test_each_bad_file_fails_where_and_how_its_first_line_says),
        cmocka_unit_test(test_shipped_scenarios_load),
        cmocka_unit_test(test_no_prefix_or_mutation_crashes_the_loader),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
