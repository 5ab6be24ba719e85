/* Merging shard databases (res_merge) and CSV export (res_export_csv): merged runs
 * keep every child row under their new ids, merging twice adds nothing, and a shard of
 * another schema version, another scenario hash for the same name or a conflicting
 * run is refused with a clear message and nothing changed; the CSV follows RFC 4180
 * (expected bytes stated by hand) and --where can only read. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store.h"
#include "store_testutil.h"
#include "testutil.h"

struct fx {
    char dir[1024];
    char out[1100], a[1100], b[1100], csv[1100];
};

static int fx_setup(void **state) {
    struct fx *f = calloc(1, sizeof *f);
    if (!f || tu_mkdtemp("merge", f->dir, sizeof f->dir) != 0) {
        free(f);
        return -1;
    }
    snprintf(f->out, sizeof f->out, "%s/out.db", f->dir);
    snprintf(f->a, sizeof f->a, "%s/shard-1.db", f->dir);
    snprintf(f->b, sizeof f->b, "%s/shard-2.db", f->dir);
    snprintf(f->csv, sizeof f->csv, "%s/out.csv", f->dir);
    *state = f;
    return 0;
}

static int fx_teardown(void **state) {
    struct fx *f = *state;
    int rc = tu_rmdir_all(f->dir);
    free(f);
    return rc;
}

/* A run of scenario `name` (hash `hash`) with `nb` buckets whose visible counts are
 * seed * 10 + i, so a wrong run id after the merge shows in the sums. */
static void put(const char *path, const char *name, const char *hash, uint64_t seed,
                const char *trace) {
    struct res_db *db = open_ok(path);
    struct exp_bucket b[3];
    for (int i = 0; i < 3; i++)
        b[i] = (struct exp_bucket){
            .start_ns = (uint64_t)i * 1000, .width_ns = 1000, .visible = seed * 10 + (uint64_t)i};
    struct exp_marker m = {.t_ns = 1500, .kind = EXP_MARK_CRASH, .node = "worker-1"};
    struct exp_stats st = {
        .bucket_ns = 1000, .buckets = b, .nbuckets = 3, .markers = &m, .nmarkers = 1};
    struct exp_outcome o = {.sent = 100 + seed, .delivered = 100 + seed};
    snprintf(o.trace_hash, sizeof o.trace_hash, "%s", trace);
    struct res_run r = {.scenario = name,
                        .scenario_hash = hash,
                        .seed = seed,
                        .protocol = "at-least-once",
                        .status = "ok",
                        .outcome = &o,
                        .params = "network.loss=0.1",
                        .stats = &st};
    store_ok(db, &r);
    res_close(db);
}

static int merge(const char *out, const char *shard, uint64_t *added, uint64_t *skipped,
                 struct ft_error *err) {
    struct res_db *db = NULL;
    if (res_open(out, &db, err)) fail_msg("%s", err->msg);
    int rc = res_merge(db, shard, added, skipped, err);
    res_close(db);
    return rc;
}

static void test_merge_copies_runs_with_their_rows_and_is_idempotent(void **state) {
    struct fx *f = *state;
    put(f->out, "lossy", "h1", 1, "t1"); /* out already has seed 1, so ids differ */
    put(f->a, "lossy", "h1", 2, "t2");
    put(f->a, "lossy", "h1", 3, "t3");
    put(f->b, "lossy", "h1", 3, "t3"); /* the same run in both shards */
    put(f->b, "lossy", "h1", 4, "t4");
    uint64_t added = 0, skipped = 0;
    struct ft_error err = {0};
    assert_int_equal(merge(f->out, f->a, &added, &skipped, &err), 0);
    assert_int_equal(added, 2);
    assert_int_equal(skipped, 0);
    assert_int_equal(merge(f->out, f->b, &added, &skipped, &err), 0);
    assert_int_equal(added, 1);
    assert_int_equal(skipped, 1);
    assert_int_equal(raw_int(f->out, "SELECT count(*) FROM runs"), 4);
    assert_int_equal(raw_int(f->out, "SELECT count(*) FROM outcomes"), 4);
    assert_int_equal(raw_int(f->out, "SELECT count(*) FROM timeseries"), 12);
    assert_int_equal(raw_int(f->out, "SELECT count(*) FROM markers"), 4);
    /* each run's buckets sum to 3 * (seed * 10) + 0 + 1 + 2 = 30 * seed + 3 */
    assert_int_equal(raw_int(f->out, "SELECT count(*) FROM runs r WHERE (SELECT sum(visible)"
                                     " FROM timeseries t WHERE t.run_id = r.id) = 30 * r.seed + 3"
                                     " AND (SELECT sent FROM outcomes WHERE run_id = r.id)"
                                     " = 100 + r.seed AND r.params = 'network.loss=0.1'"),
                     4);
    assert_int_equal(raw_int(f->out, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    /* again: nothing changes */
    assert_int_equal(merge(f->out, f->a, &added, &skipped, &err), 0);
    assert_int_equal(added, 0);
    assert_int_equal(skipped, 2);
    assert_int_equal(raw_int(f->out, "SELECT count(*) FROM timeseries"), 12);
}

static void expect_refused(const char *out, const char *shard, int code, const char *needle1,
                           const char *needle2) {
    int64_t before = raw_int(out, "SELECT count(*) FROM runs");
    struct ft_error err = {0};
    uint64_t added = 99;
    assert_int_equal(merge(out, shard, &added, NULL, &err), code);
    printf("refused: %s\n", err.msg);
    assert_non_null(strstr(err.msg, needle1));
    assert_non_null(strstr(err.msg, needle2));
    assert_int_equal(added, 99);
    assert_int_equal(raw_int(out, "SELECT count(*) FROM runs"), before);
}

static void test_merge_refuses_another_schema_version(void **state) {
    struct fx *f = *state;
    put(f->out, "lost-ack", "h1", 1, "t1");
    FILE *src = fopen("tests/data/store/results-v1.db", "rb"), *dst = fopen(f->a, "wb");
    assert_non_null(src);
    assert_non_null(dst);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, src)) > 0)
        fwrite(buf, 1, n, dst);
    fclose(src);
    fclose(dst);
    expect_refused(f->out, f->a, FT_EPARSE, "its schema version is 1", "schema version 7");
    assert_int_equal(raw_int(f->a, "PRAGMA user_version"), 1); /* the shard is untouched */
}

static void test_merge_refuses_another_scenario_hash_for_the_same_name(void **state) {
    struct fx *f = *state;
    put(f->out, "lossy", "aaaa1111", 1, "t1");
    put(f->a, "lossy", "bbbb2222", 2, "t2");
    expect_refused(f->out, f->a, FT_EPARSE, "scenario 'lossy' has hash bbbb2222", "aaaa1111... in");
}

static void test_merge_refuses_a_conflicting_run(void **state) {
    struct fx *f = *state;
    put(f->out, "lossy", "h1", 5, "trace-one");
    put(f->a, "lossy", "h1", 6, "trace-six"); /* fine on its own, but the shard also has: */
    put(f->a, "lossy", "h1", 5, "trace-two");
    expect_refused(f->out, f->a, FT_EPARSE, "seed 5, protocol at-least-once",
                   "trace hash trace-two... there but trace-one...");
}

static void test_merge_refuses_missing_and_foreign_files(void **state) {
    struct fx *f = *state;
    put(f->out, "lossy", "h1", 1, "t1");
    expect_refused(f->out, f->a, FT_EIO, "cannot merge", "No such file");
    FILE *fp = fopen(f->a, "w");
    for (int i = 0; i < 200; i++)
        fputs("not a database at all\n", fp);
    fclose(fp);
    struct ft_error err = {0};
    int rc = merge(f->out, f->a, NULL, NULL, &err);
    printf("refused: %s\n", err.msg);
    assert_true(rc == FT_EPARSE || rc == FT_EDB);
    assert_non_null(strstr(err.msg, f->a));
    expect_refused(f->out, f->out, FT_EINVAL, "into itself", "out.db");
}

/* ---- CSV ---- */

static char *slurp(const char *path) {
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    return buf;
}

static void export_ok(const char *db, const char *table, const char *where, const char *csv,
                      uint64_t want_rows) {
    FILE *fp = fopen(csv, "wb");
    assert_non_null(fp);
    struct ft_error err = {0};
    uint64_t rows = 0;
    int rc = res_export_csv(db, table, where, fp, &rows, &err);
    fclose(fp);
    if (rc) fail_msg("export: %s", err.msg);
    assert_int_equal(rows, want_rows);
}

static void test_csv_quotes_per_rfc_4180(void **state) {
    struct fx *f = *state;
    put(f->out, "plain", "h1", 1, "t1");
    put(f->out, "a,b \"q\"\r\nz", "h2", 2, "t2");
    export_ok(f->out, "markers", NULL, f->csv, 2);
    assert_string_equal(slurp(f->csv), "run_id,t_ns,kind,node,label\r\n"
                                       "1,1500,crash,worker-1,\r\n"
                                       "2,1500,crash,worker-1,\r\n");
    export_ok(f->out, "runs", "seed = 2", f->csv, 1);
    assert_string_equal(
        slurp(f->csv),
        "id,scenario,scenario_hash,params,seed,protocol,trace_hash,sim_end_ns,"
        "events,status\r\n"
        "2,\"a,b \"\"q\"\"\r\nz\",h2,network.loss=0.1,2,at-least-once,t2,0,0,ok\r\n");
    /* NULL latencies (seed 0's first bucket shows nothing) are empty fields; reals
     * print exactly */
    put(f->out, "plain", "h1", 0, "t0");
    export_ok(f->out, "timeseries", "run_id IN (1, 3) AND bucket_start_ns = 0", f->csv, 2);
    assert_string_equal(slurp(f->csv), "run_id,bucket_start_ns,bucket_ns,visible,throughput_per_s,"
                                       "latency_p50_ns,latency_p99_ns,in_flight,retries\r\n"
                                       "1,0,1000,10,10000000,0,0,0,0\r\n"
                                       "3,0,1000,0,0,,,0,0\r\n");
}

static void test_csv_where_can_only_read(void **state) {
    struct fx *f = *state;
    put(f->out, "plain", "h1", 1, "t1");
    const char *bad[] = {"1); DELETE FROM runs; SELECT (1", "no_such_column = 3",
                         "seed = (SELECT 1 FROM nowhere)"};
    for (int i = 0; i < 3; i++) {
        FILE *fp = fopen(f->csv, "wb");
        struct ft_error err = {0};
        assert_int_equal(res_export_csv(f->out, "runs", bad[i], fp, NULL, &err), FT_EPARSE);
        fclose(fp);
        printf("refused: %s\n", err.msg);
        assert_non_null(strstr(err.msg, "--where"));
    }
    assert_int_equal(raw_int(f->out, "SELECT count(*) FROM runs"), 1);
    export_ok(f->out, "run_results", "run_id IN (SELECT id FROM runs WHERE scenario = 'plain')",
              f->csv, 1);
    FILE *fp = fopen(f->csv, "wb");
    struct ft_error err = {0};
    assert_int_equal(res_export_csv(f->out, "sqlite_schema", NULL, fp, NULL, &err), FT_EINVAL);
    fclose(fp);
    assert_non_null(strstr(err.msg, "unknown table 'sqlite_schema' (expected one of: runs,"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
        T(test_merge_copies_runs_with_their_rows_and_is_idempotent),
        T(test_merge_refuses_another_schema_version),
        T(test_merge_refuses_another_scenario_hash_for_the_same_name),
        T(test_merge_refuses_a_conflicting_run),
        T(test_merge_refuses_missing_and_foreign_files),
        T(test_csv_quotes_per_rfc_4180),
        T(test_csv_where_can_only_read),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
