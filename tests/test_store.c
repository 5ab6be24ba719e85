/* The results store (analysis/store.h): what res_store_run writes is read back with
 * independent SQL through a separate sqlite3 connection — values equal, one row per
 * (scenario_hash, seed, protocol), uint64 seeds round-trip — plus the schema version,
 * WAL mode, refusal of newer files, no half row after an injected failure, and two
 * processes writing one file. Every database lives in a mkdtemp directory. Set
 * FTSIM_STORE_KEEP_DB=path to keep the sample sweep (docs/results-schema.md uses it). */
#include <dirent.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store.h"
#include "store_testutil.h"
#include "testutil.h"

struct fx {
    char dir[PATH_MAX];
    char path[PATH_MAX + 32];
};

static int fx_setup(void **state) {
    struct fx *f = calloc(1, sizeof *f);
    if (!f) return -1;
    const char *tmp = getenv("TMPDIR");
    snprintf(f->dir, sizeof f->dir, "%s/ftsim-store-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/results.db", f->dir);
    *state = f;
    return 0;
}

/* Removes every file in the directory (the db, its -wal and -shm), then the directory. */
static int fx_teardown(void **state) {
    struct fx *f = *state;
    DIR *d = opendir(f->dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char p[PATH_MAX + 256];
        snprintf(p, sizeof p, "%s/%s", f->dir, e->d_name);
        unlink(p);
    }
    if (d) closedir(d);
    int rc = rmdir(f->dir);
    free(f);
    return rc;
}

/* ---- test data and independent readers ---- */

/* Every field a different value derived from k, so a swapped column shows. */
static struct exp_outcome sample_outcome(uint64_t k) {
    struct exp_outcome o = {0};
    o.sent = 1000 + k;
    o.delivered = 900 + k;
    o.lost = 100 + k;
    o.duplicated = 7 + k;
    o.retries = 11 + k;
    o.messages = 5000 + k;
    o.latency_p50_ns = 2000000 + k;
    o.latency_p99_ns = 9000000 + k;
    o.recovery_ns = 300000000 + k;
    o.crashes = 2 + k;
    o.end_ns = 60000000000ull + k;
    o.events = 123456 + k;
    o.matches_reference = k % 2 == 0;
    o.keys_mismatched = k % 2 == 0 ? 0 : 3 + k;
    snprintf(o.trace_hash, sizeof o.trace_hash, "%032" PRIx64, (uint64_t)0xabc0000u + k);
    return o;
}

static struct res_run sample_run(const struct exp_outcome *o, uint64_t seed, const char *proto) {
    return (struct res_run){.scenario = "lossy-link",
                            .scenario_hash = "5ca1ab1e",
                            .seed = seed,
                            .protocol = proto,
                            .status = "ok",
                            .outcome = o};
}

static void raw_exec(sqlite3 *c, const char *sql) {
    char *msg = NULL;
    if (sqlite3_exec(c, sql, NULL, NULL, &msg) != SQLITE_OK) fail_msg("%s: %s", sql, msg);
}

/* The first column of the first row of sql, as text, into out. */
static void raw_text(const char *path, const char *sql, char *out, size_t n) {
    sqlite3 *c = raw_open(path);
    sqlite3_stmt *st = raw_prepare(c, sql);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(c);
}

/* Checks the joined row for run id against r, column by column. */
static void expect_row(const char *path, int64_t id, const struct res_run *r) {
    static const char sql[] =
        "SELECT r.scenario, r.scenario_hash, r.seed, r.protocol, r.trace_hash, r.sim_end_ns,"
        " r.events, r.status, o.sent, o.delivered, o.lost, o.duplicated, o.retries,"
        " o.messages, o.latency_p50_ns, o.latency_p99_ns, o.recovery_ns, o.crashes,"
        " o.matches_reference, o.keys_mismatched"
        " FROM runs r JOIN outcomes o ON o.run_id = r.id WHERE r.id = ?1";
    sqlite3 *c = raw_open(path);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(c, sql, -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_int64(st, 1, id);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    const struct exp_outcome *o = r->outcome;
    const char *texts[] = {r->scenario, r->scenario_hash, NULL, r->protocol, o->trace_hash};
    for (int i = 0; i < 5; i++)
        if (texts[i]) assert_string_equal((const char *)sqlite3_column_text(st, i), texts[i]);
    assert_true((uint64_t)sqlite3_column_int64(st, 2) == r->seed);
    assert_string_equal((const char *)sqlite3_column_text(st, 7), r->status);
    const uint64_t nums[] = {o->end_ns,
                             o->events,
                             0,
                             o->sent,
                             o->delivered,
                             o->lost,
                             o->duplicated,
                             o->retries,
                             o->messages,
                             o->latency_p50_ns,
                             o->latency_p99_ns,
                             o->recovery_ns,
                             o->crashes,
                             o->matches_reference ? 1u : 0u,
                             o->keys_mismatched};
    for (int i = 0; i < 15; i++)
        if (i != 2) assert_true((uint64_t)sqlite3_column_int64(st, 5 + i) == nums[i]);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(c);
}

/* ---- tests ---- */

static void test_stored_run_reads_back_equal_through_independent_sql(void **state) {
    struct fx *f = *state;
    struct res_db *db = open_ok(f->path);
    struct exp_outcome o1 = sample_outcome(1), o2 = sample_outcome(2);
    struct res_run r1 = sample_run(&o1, 42, "at-least-once");
    struct res_run r2 = sample_run(&o2, 42, "exactly-once");
    r2.status = "violated";
    int64_t id1 = store_ok(db, &r1), id2 = store_ok(db, &r2);
    assert_true(id1 != id2);
    expect_row(f->path, id1, &r1);
    expect_row(f->path, id2, &r2);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM runs"), 2);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM outcomes"), 2);
    res_close(db);
}

static void test_rerun_of_same_hash_seed_protocol_keeps_one_row_with_new_outcome(void **state) {
    struct fx *f = *state;
    struct res_db *db = open_ok(f->path);
    struct exp_outcome first = sample_outcome(3), second = sample_outcome(8);
    struct res_run r = sample_run(&first, 7, "at-most-once");
    int64_t id1 = store_ok(db, &r);
    r.outcome = &second;
    r.scenario = "lossy-link-renamed";
    r.status = "error";
    int64_t id2 = store_ok(db, &r);
    assert_int_equal(id1, id2);
    expect_row(f->path, id1, &r);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM runs"), 1);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM outcomes"), 1);
    r.seed = 8; /* a different seed is a different run */
    assert_true(store_ok(db, &r) != id1);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM runs"), 2);
    res_close(db);
}

static void test_seeds_at_and_above_2_pow_63_round_trip(void **state) {
    struct fx *f = *state;
    struct res_db *db = open_ok(f->path);
    const uint64_t seeds[] = {
        0, 1, INT64_MAX, (uint64_t)INT64_MAX + 1, 0xdeadbeefcafef00dull, UINT64_MAX};
    struct exp_outcome o = sample_outcome(0);
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        struct res_run r = sample_run(&o, seeds[i], "exactly-once-txn");
        int64_t id = store_ok(db, &r);
        expect_row(f->path, id, &r);
        char sql[128], got[32], want[32];
        snprintf(sql, sizeof sql, "SELECT printf('%%u', seed) FROM runs WHERE id = %" PRId64, id);
        raw_text(f->path, sql, got, sizeof got);
        snprintf(want, sizeof want, "%" PRIu64, seeds[i]);
        assert_string_equal(got, want);
    }
    assert_int_equal(raw_int(f->path, "SELECT count(DISTINCT seed) FROM runs"), 6);
    res_close(db);
}

static void test_new_database_has_schema_version_wal_and_documented_columns(void **state) {
    struct fx *f = *state;
    res_close(open_ok(f->path));
    assert_int_equal(raw_int(f->path, "PRAGMA user_version"), RES_SCHEMA_VERSION);
    char mode[16];
    raw_text(f->path, "PRAGMA journal_mode", mode, sizeof mode);
    assert_string_equal(mode, "wal");
    char cols[512];
    raw_text(f->path, "SELECT group_concat(name, ',') FROM pragma_table_info('runs')", cols,
             sizeof cols);
    assert_string_equal(cols, "id,scenario,scenario_hash,params,seed,protocol,trace_hash,"
                              "sim_end_ns,events,status");
    raw_text(f->path, "SELECT group_concat(name, ',') FROM pragma_table_info('outcomes')", cols,
             sizeof cols);
    assert_string_equal(cols, "run_id,sent,delivered,lost,duplicated,retries,messages,"
                              "latency_p50_ns,latency_p99_ns,recovery_ns,crashes,"
                              "matches_reference,keys_mismatched,window_latency_p50_ns,"
                              "window_latency_p99_ns,late_dropped");
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sqlite_schema WHERE type = 'index'"
                                      " AND name IN ('runs_by_scenario', 'runs_by_scenario_id')"),
                     2);
}

static void test_reopening_keeps_data_and_version(void **state) {
    struct fx *f = *state;
    struct exp_outcome o = sample_outcome(4);
    struct res_db *db = open_ok(f->path);
    struct res_run r = sample_run(&o, 1, "at-least-once");
    int64_t id = store_ok(db, &r);
    res_close(db);
    db = open_ok(f->path);
    expect_row(f->path, id, &r);
    r.seed = 2;
    store_ok(db, &r);
    res_close(db);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM runs"), 2);
    assert_int_equal(raw_int(f->path, "PRAGMA user_version"), RES_SCHEMA_VERSION);
}

static void test_newer_schema_version_is_refused_naming_both_versions(void **state) {
    struct fx *f = *state;
    sqlite3 *c = raw_open(f->path);
    raw_exec(c, "CREATE TABLE future (x); PRAGMA user_version = 99;");
    sqlite3_close(c);
    static char sentinel;
    struct res_db *db = (struct res_db *)(void *)&sentinel; /* res_open must clear it */
    struct ft_error err = {0};
    /* FT_EPARSE: a file this ftsim cannot use is bad input (exit 2), issue 15 */
    assert_int_equal(res_open(f->path, &db, &err), FT_EPARSE);
    assert_null(db);
    printf("refused: %s\n", err.msg);
    assert_non_null(strstr(err.msg, "version 99"));
    char mine[32];
    snprintf(mine, sizeof mine, "version %d", RES_SCHEMA_VERSION);
    assert_non_null(strstr(err.msg, mine));
    assert_non_null(strstr(err.msg, f->path));
    /* refused without touching the file */
    assert_int_equal(raw_int(f->path, "PRAGMA user_version"), 99);
    char mode[16];
    raw_text(f->path, "PRAGMA journal_mode", mode, sizeof mode);
    assert_string_equal(mode, "delete");
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sqlite_schema WHERE name = 'runs'"), 0);
}

static void test_negative_schema_version_is_refused(void **state) {
    struct fx *f = *state;
    sqlite3 *c = raw_open(f->path);
    raw_exec(c, "PRAGMA user_version = -3;");
    sqlite3_close(c);
    struct res_db *db = NULL;
    struct ft_error err = {0};
    assert_int_equal(res_open(f->path, &db, &err), FT_EPARSE);
    assert_null(db);
    assert_non_null(strstr(err.msg, "version -3"));
}

/* A trigger injects a failure into the outcomes insert, after the runs row is written:
 * the transaction must roll back both, and a rerun must keep the old outcome. */
static void test_failed_outcome_insert_leaves_no_half_row(void **state) {
    struct fx *f = *state;
    struct res_db *db = open_ok(f->path);
    struct exp_outcome old = sample_outcome(5), fresh = sample_outcome(6);
    struct res_run kept = sample_run(&old, 100, "at-least-once");
    int64_t kept_id = store_ok(db, &kept);
    sqlite3 *c = raw_open(f->path);
    raw_exec(c, "CREATE TRIGGER inject BEFORE INSERT ON outcomes"
                " BEGIN SELECT RAISE(ABORT, 'injected outcome failure'); END;");
    struct res_run r = sample_run(&fresh, 101, "at-least-once");
    struct ft_error err = {0};
    int64_t id = -7;
    assert_int_equal(res_store_run(db, &r, &id, &err), FT_EDB);
    assert_int_equal(id, -7);
    assert_non_null(strstr(err.msg, "injected outcome failure"));
    struct res_run rerun = sample_run(&fresh, 100, "at-least-once");
    assert_int_equal(res_store_run(db, &rerun, &id, &err), FT_EDB);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM runs"), 1);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM runs r WHERE NOT EXISTS"
                                      " (SELECT 1 FROM outcomes o WHERE o.run_id = r.id)"),
                     0);
    expect_row(f->path, kept_id, &kept);
    raw_exec(c, "DROP TRIGGER inject");
    sqlite3_close(c);
    expect_row(f->path, store_ok(db, &r), &r); /* the connection is usable again */
    res_close(db);
}

static void test_bad_status_and_oversized_counter_are_refused_before_writing(void **state) {
    struct fx *f = *state;
    struct res_db *db = open_ok(f->path);
    struct exp_outcome o = sample_outcome(9);
    struct res_run r = sample_run(&o, 1, "at-most-once");
    struct ft_error err = {0};
    int64_t id = 0;
    r.status = "fine";
    assert_int_equal(res_store_run(db, &r, &id, &err), FT_EINVAL);
    assert_non_null(strstr(err.msg, "\"fine\""));
    r.status = "ok";
    o.latency_p99_ns = UINT64_MAX;
    assert_int_equal(res_store_run(db, &r, &id, &err), FT_ELIMIT);
    assert_non_null(strstr(err.msg, "latency_p99_ns"));
    r.outcome = NULL;
    assert_int_equal(res_store_run(db, &r, &id, &err), FT_EINVAL);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM runs"), 0);
    res_close(db);
}

static void test_deleting_a_run_cascades_to_its_outcome(void **state) {
    struct fx *f = *state;
    struct res_db *db = open_ok(f->path);
    struct exp_outcome o = sample_outcome(1);
    struct res_run r = sample_run(&o, 1, "exactly-once");
    store_ok(db, &r);
    res_close(db);
    sqlite3 *c = raw_open(f->path);
    raw_exec(c, "PRAGMA foreign_keys = ON; DELETE FROM runs;");
    sqlite3_close(c);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM outcomes"), 0);
}

static void test_unusable_files_fail_with_edb_naming_the_path(void **state) {
    struct fx *f = *state;
    FILE *fp = fopen(f->path, "w");
    assert_non_null(fp);
    for (int i = 0; i < 64; i++)
        fputs("this is not a database\n", fp);
    fclose(fp);
    struct res_db *db = NULL;
    struct ft_error err = {0};
    /* not SQLite: bad input (FT_EPARSE, exit 2); a directory that is missing: FT_EDB */
    assert_int_equal(res_open(f->path, &db, &err), FT_EPARSE);
    assert_null(db);
    assert_non_null(strstr(err.msg, f->path));
    char missing[PATH_MAX + 32];
    snprintf(missing, sizeof missing, "%s/no/such/dir.db", f->dir);
    assert_int_equal(res_open(missing, &db, &err), FT_EDB);
    assert_non_null(strstr(err.msg, missing));
}

#define WRITERS 6
#define RUNS_PER_WRITER 25

/* A child: opens the (possibly new) file itself and stores its share of runs. */
static int writer_child(const char *path, int w) {
    struct res_db *db = NULL;
    struct ft_error err = {0};
    if (res_open(path, &db, &err)) {
        fprintf(stderr, "writer %d: %s\n", w, err.msg);
        return 1;
    }
    for (int i = 0; i < RUNS_PER_WRITER; i++) {
        struct exp_outcome o = sample_outcome((uint64_t)i);
        struct res_run r = sample_run(&o, (uint64_t)(w * 1000 + i), "at-least-once");
        if (res_store_run(db, &r, NULL, &err)) {
            fprintf(stderr, "writer %d run %d: %s\n", w, i, err.msg);
            res_close(db);
            return 1;
        }
    }
    res_close(db);
    return 0;
}

static void test_concurrent_writer_processes_wait_and_all_runs_land(void **state) {
    struct fx *f = *state;
    pid_t pids[WRITERS];
    for (int w = 0; w < WRITERS; w++) {
        pids[w] = fork();
        assert_true(pids[w] >= 0);
        if (pids[w] == 0) _exit(writer_child(f->path, w));
    }
    int failed = 0; /* reap every child before asserting, so teardown never races them */
    for (int w = 0; w < WRITERS; w++) {
        int status = 0;
        if (waitpid(pids[w], &status, 0) != pids[w] || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0)
            failed++;
    }
    assert_int_equal(failed, 0);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM runs"), WRITERS * RUNS_PER_WRITER);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM outcomes"), WRITERS * RUNS_PER_WRITER);
    assert_int_equal(raw_int(f->path, "PRAGMA user_version"), RES_SCHEMA_VERSION);
}

/* ---- the sample sweep behind docs/results-schema.md ---- */

static const char *const sweep_protocols[] = {"at-most-once", "at-least-once", "exactly-once",
                                              "exactly-once-txn"};
static const uint64_t sweep_seeds[] = {1, 2, 0x9e3779b97f4a7c15ull};

/* Plausible numbers with each guarantee's shape; one exactly-once run misses the
 * reference (as a protocol bug would) so the documented queries have something to find. */
static struct exp_outcome sweep_outcome(int scn, int p, int s, uint64_t *rng) {
    struct exp_outcome o = {0};
    o.sent = 10000;
    uint64_t noise = tu_splitmix64(rng) % 50;
    o.lost = p == 0 ? 40 + noise + (uint64_t)scn * 100 : 0;
    o.duplicated = p == 1 ? 20 + noise + (uint64_t)scn * 60 : 0;
    o.delivered = o.sent - o.lost;
    o.retries = p == 0 ? 0 : 30 + noise;
    o.messages = (p == 0 ? 3 : 4 + (uint64_t)(p >= 3)) * o.sent + o.retries;
    o.latency_p50_ns = (2 + (uint64_t)p) * 1000000 + noise * 1000;
    o.latency_p99_ns = (10 + 5 * (uint64_t)p + 20 * (uint64_t)scn) * 1000000 + noise * 10000;
    o.crashes = (uint64_t)scn * 2;
    o.recovery_ns = scn ? (400 + noise) * 1000000 : 0;
    o.end_ns = 60ull * 1000000000;
    o.events = 50000 + noise;
    bool wrong = scn == 1 && p == 2 && s == 2;
    o.matches_reference = p >= 2 && !wrong;
    o.keys_mismatched = o.matches_reference ? 0 : 3 + noise % 7;
    snprintf(o.trace_hash, sizeof o.trace_hash, "%016" PRIx64 "%016" PRIx64, tu_splitmix64(rng),
             tu_splitmix64(rng));
    return o;
}

/* Independent sums for example query 1 (lost/duplicated per protocol, worker-crash). */
struct sweep_sums {
    uint64_t lost[4], duplicated[4];
    int mismatched_exactly_once;
};

static void store_sweep(struct res_db *db, struct sweep_sums *sums) {
    static const char *const names[] = {"lossy-link", "worker-crash"};
    static const char *const hashes[] = {"8f1c0d2e", "b47a9e03"};
    uint64_t rng = 2024;
    memset(sums, 0, sizeof *sums);
    for (int scn = 0; scn < 2; scn++)
        for (int p = 0; p < 4; p++)
            for (int s = 0; s < 3; s++) {
                struct exp_outcome o = sweep_outcome(scn, p, s, &rng);
                /* only the exactly-once protocols promise to match the reference */
                const char *status = p >= 2 && !o.matches_reference ? "violated" : "ok";
                struct res_run r = {.scenario = names[scn],
                                    .scenario_hash = hashes[scn],
                                    .seed = sweep_seeds[s],
                                    .protocol = sweep_protocols[p],
                                    .status = status,
                                    .outcome = &o};
                store_ok(db, &r);
                if (scn == 1) {
                    sums->lost[p] += o.lost;
                    sums->duplicated[p] += o.duplicated;
                }
                if (p >= 2 && !o.matches_reference) sums->mismatched_exactly_once++;
            }
}

static void test_sample_sweep_answers_the_documented_queries(void **state) {
    struct fx *f = *state;
    const char *keep = getenv("FTSIM_STORE_KEEP_DB");
    const char *path = keep && *keep ? keep : f->path;
    struct res_db *db = open_ok(path);
    struct sweep_sums sums;
    store_sweep(db, &sums);
    res_close(db);
    static const char q1[] = "SELECT r.protocol, sum(o.lost), sum(o.duplicated), count(*)"
                             " FROM runs r JOIN outcomes o ON o.run_id = r.id"
                             " WHERE r.scenario = 'worker-crash' GROUP BY r.protocol";
    sqlite3 *c = raw_open(path);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(c, q1, -1, &st, NULL), SQLITE_OK);
    int rows = 0;
    for (; sqlite3_step(st) == SQLITE_ROW; rows++) {
        int p = 0;
        while (p < 4 && strcmp((const char *)sqlite3_column_text(st, 0), sweep_protocols[p]))
            p++;
        assert_true(p < 4);
        assert_true((uint64_t)sqlite3_column_int64(st, 1) == sums.lost[p]);
        assert_true((uint64_t)sqlite3_column_int64(st, 2) == sums.duplicated[p]);
        assert_int_equal(sqlite3_column_int64(st, 3), 3);
    }
    assert_int_equal(rows, 4);
    sqlite3_finalize(st);
    sqlite3_close(c);
    assert_int_equal(raw_int(path, "SELECT count(*) FROM runs r JOIN outcomes o ON o.run_id = r.id"
                                   " WHERE r.protocol LIKE 'exactly-once%'"
                                   " AND o.matches_reference = 0"),
                     sums.mismatched_exactly_once);
    assert_int_equal(sums.mismatched_exactly_once, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
        T(test_stored_run_reads_back_equal_through_independent_sql),
        T(test_rerun_of_same_hash_seed_protocol_keeps_one_row_with_new_outcome),
        T(test_seeds_at_and_above_2_pow_63_round_trip),
        T(test_new_database_has_schema_version_wal_and_documented_columns),
        T(test_reopening_keeps_data_and_version),
        T(test_newer_schema_version_is_refused_naming_both_versions),
        T(test_negative_schema_version_is_refused),
        T(test_failed_outcome_insert_leaves_no_half_row),
        T(test_bad_status_and_oversized_counter_are_refused_before_writing),
        T(test_deleting_a_run_cascades_to_its_outcome),
        T(test_unusable_files_fail_with_edb_naming_the_path),
        T(test_concurrent_writer_processes_wait_and_all_runs_land),
        T(test_sample_sweep_answers_the_documented_queries),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
