/* Results store schemas v6 and v7 (analysis/store.h, docs/results-schema.md): a v5 database
 * written by the previous ftsim (tests/data/store/results-v5.db: `ftsim run --db` of
 * lost-ack.yaml --seed 3, lambda.yaml and late-data-watermark.yaml --protocol
 * exactly-once by the v5 ftsim at commit ed8d4f9: 7 runs, 3,300 lambda rows, 25 window
 * rows, 5 watermarks, 351 time buckets) migrates through v6 (scenarios, markers rebuilt
 * with a label) to v7 keeping every row of every table, and gains model_metrics; a
 * run's model rows are written with it (NULL batch for run-level metrics, NULL for a
 * value that is not a number), replaced by a rerun and deleted with it. Values are read back through a separate connection and compared with the ones
 * stated here. */
#include <math.h>
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
    char path[1100];
};

static int fx_setup(void **state) {
    struct fx *f = calloc(1, sizeof *f);
    if (!f || tu_mkdtemp("store6", f->dir, sizeof f->dir) != 0) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/results.db", f->dir);
    *state = f;
    return 0;
}

static int fx_teardown(void **state) {
    struct fx *f = *state;
    int rc = tu_rmdir_all(f->dir);
    free(f);
    return rc;
}

/* Every row of every v5 table and view, in a fixed order, every column as text. */
static const char *const v5_dumps[] = {
    "SELECT * FROM runs ORDER BY id",
    "SELECT * FROM outcomes ORDER BY run_id",
    "SELECT * FROM timeseries_json ORDER BY run_id",
    "SELECT * FROM latency_quantiles_json ORDER BY run_id",
    "SELECT run_id, t_ns, kind, node FROM markers ORDER BY run_id, t_ns, kind, node",
    "SELECT run_id, window_start_ns, window_end_ns, key, printf('%.17g', value), emitted_at_ns,"
    " final, time_domain FROM window_results ORDER BY rowid",
    "SELECT * FROM agreement ORDER BY run_id",
    "SELECT * FROM events ORDER BY run_id, seq",
    "SELECT * FROM watermarks ORDER BY run_id, seq",
    "SELECT * FROM lambda_views ORDER BY run_id, seq",
    "SELECT * FROM run_results ORDER BY run_id",
};
#define NDUMPS (sizeof v5_dumps / sizeof v5_dumps[0])
#define DUMP_BYTES (1u << 20)

static void test_v5_database_migrates_keeping_every_row(void **state) {
    struct fx *f = *state;
    char *before = malloc(NDUMPS * DUMP_BYTES), *after = malloc(NDUMPS * DUMP_BYTES);
    assert_non_null(before);
    assert_non_null(after);
    raw_copy_file("tests/data/store/results-v5.db", f->path);
    assert_int_equal(raw_int(f->path, "PRAGMA user_version"), 5);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM runs"), 7);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM lambda_views"), 3300);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM window_results"), 25);
    for (size_t i = 0; i < NDUMPS; i++)
        raw_rows(f->path, v5_dumps[i], before + i * DUMP_BYTES, DUMP_BYTES);
    res_close(open_ok(f->path));
    assert_int_equal(raw_int(f->path, "PRAGMA user_version"), 7);
    assert_int_equal(RES_SCHEMA_VERSION, 7);
    for (size_t i = 0; i < NDUMPS; i++) {
        raw_rows(f->path, v5_dumps[i], after + i * DUMP_BYTES, DUMP_BYTES);
        assert_string_equal(after + i * DUMP_BYTES, before + i * DUMP_BYTES);
    }
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM model_metrics"), 0);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    free(before);
    free(after);
}

static struct exp_model_row mrow(int64_t batch, uint64_t t, const char *m, double v) {
    struct exp_model_row r = {.batch = batch, .t_ns = t, .value = v};
    snprintf(r.metric, sizeof r.metric, "%s", m);
    return r;
}

static void test_model_metrics_rows_go_with_their_run(void **state) {
    struct fx *f = *state;
    raw_copy_file("tests/data/store/results-v5.db", f->path);
    struct res_db *db = open_ok(f->path);
    struct exp_model_row rows[40];
    size_t n = 0;
    for (int b = 1; b <= 35; b++) /* 35 rows: one multi-row batch of 32, then 3 singles */
        rows[n++] = mrow(b, (uint64_t)b * 1000000000u, "error", 1.0 / b);
    rows[n++] = mrow(-1, 40000000000u, "input_lost", 12);
    rows[n++] = mrow(-1, 40000000000u, "final_error", NAN);
    struct exp_stats st = {.model = rows, .nmodel = (uint32_t)n};
    struct exp_outcome o = {.sent = 10, .delivered = 10};
    snprintf(o.trace_hash, sizeof o.trace_hash, "%s", "cafe");
    struct res_run r = {.scenario = "ml-try",
                        .scenario_hash = "feedbeef",
                        .seed = 1,
                        .protocol = "at-least-once",
                        .status = "ok",
                        .outcome = &o,
                        .stats = &st};
    int64_t id = store_ok(db, &r);
    char sql[256], got[512];
    snprintf(sql, sizeof sql,
             "SELECT count(*), sum(batch IS NULL), sum(value IS NULL) FROM model_metrics"
             " WHERE run_id = %lld",
             (long long)id);
    raw_rows(f->path, sql, got, sizeof got);
    assert_string_equal(got, "37|2|1");
    snprintf(sql, sizeof sql,
             "SELECT seq, batch, time_ns, metric, value, value = 1.0 / batch FROM model_metrics"
             " WHERE run_id = %lld AND seq IN (0, 34, 35) ORDER BY seq",
             (long long)id);
    raw_rows(f->path, sql, got, sizeof got);
    /* 1 / 35 stored bit for bit: SQLite's own division gives the same double */
    assert_string_equal(got, "0|1|1000000000|error|1.0|1;34|35|35000000000|error|"
                             "0.0285714285714286|1;35||40000000000|input_lost|12.0|");
    st.nmodel = 2; /* a rerun replaces every row */
    assert_int_equal(store_ok(db, &r), id);
    res_close(db);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM model_metrics WHERE run_id = %lld",
             (long long)id);
    assert_int_equal(raw_int(f->path, sql), 2);
    sqlite3 *c = raw_open(f->path);
    snprintf(sql, sizeof sql, "PRAGMA foreign_keys = ON; DELETE FROM runs WHERE id = %lld",
             (long long)id);
    assert_int_equal(sqlite3_exec(c, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(c);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM model_metrics"), 0);
}

int main(void) {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(test_v5_database_migrates_keeping_every_row),
        T(test_model_metrics_rows_go_with_their_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
