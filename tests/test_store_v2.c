/* Results store schema v2 (analysis/store.h, docs/results-schema.md): a v1 database
 * written by the previous ftsim (tests/data/store/results-v1.db: `ftsim run
 * scenarios/lost-ack.yaml` and `ftsim run scenarios/crash-during-processing.yaml --seed 7`
 * at commit 6cdf166) migrates keeping every row; a run's child rows (time series,
 * quantiles, markers, windows, agreement, events) are written in its one transaction,
 * replaced by a rerun, rolled back together on failure; res_has_run. Values are read
 * back through a separate sqlite3 connection and compared with hand-stated ones. */
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

#include "ledger.h"
#include "store.h"
#include "store_testutil.h"
#include "testutil.h"

struct fx {
    char dir[1024];
    char path[1100];
};

static int fx_setup(void **state) {
    struct fx *f = calloc(1, sizeof *f);
    if (!f || tu_mkdtemp("store2", f->dir, sizeof f->dir) != 0) {
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

static void raw_exec(const char *path, const char *sql) {
    sqlite3 *c = raw_open(path);
    char *msg = NULL;
    if (sqlite3_exec(c, sql, NULL, NULL, &msg) != SQLITE_OK) fail_msg("%s: %s", sql, msg);
    sqlite3_close(c);
}

/* Run id's lambda_views rows in seq order, the total's key as TOTAL, no batch view as
 * none (raw_rows' format). */
static void lambda_rows(const char *path, int64_t id, char *out, size_t size) {
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT seq, t_ns, coalesce(key, 'TOTAL'), served, reference,"
             " coalesce(batch_ns, 'none'), staleness_ns FROM lambda_views WHERE run_id = %lld"
             " ORDER BY seq",
             (long long)id);
    raw_rows(path, sql, out, size);
}

/* ---- migration from v1 ---- */

static void test_v1_database_of_the_previous_ftsim_migrates_keeping_every_row(void **state) {
    struct fx *f = *state;
    raw_copy_file("tests/data/store/results-v1.db", f->path);
    assert_int_equal(raw_int(f->path, "PRAGMA user_version"), 1);
    res_close(open_ok(f->path));
    assert_int_equal(raw_int(f->path, "PRAGMA user_version"), RES_SCHEMA_VERSION);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM watermarks"), 0); /* v3 */
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM runs"), 8);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM outcomes"), 8);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM runs WHERE params = ''"), 8);
    char got[2048];
    /* the numbers the v1 ftsim printed for these runs (lost-ack seed 42, crash-during-
     * processing seed 7), stated here by hand */
    raw_rows(f->path,
             "SELECT r.id, r.scenario, printf('%u', r.seed), r.protocol, r.status, o.sent, "
             "o.delivered, o.lost, o.duplicated, o.retries, o.messages, o.matches_reference "
             "FROM runs r JOIN outcomes o ON o.run_id = r.id WHERE r.id IN (2, 4, 5) ORDER BY r.id",
             got, sizeof got);
    assert_string_equal(got,
                        "2|lost-ack|42|at-least-once|ok|999|999|0|1|1|5998|0;"
                        "4|lost-ack|42|exactly-once-txn|ok|999|999|0|0|2|5700|1;"
                        "5|crash-during-processing|7|at-most-once|ok|2000|1889|111|0|0|5889|0");
    raw_rows(f->path,
             "SELECT substr(trace_hash, 1, 16), recovery_ns FROM runs JOIN outcomes"
             " ON run_id = id WHERE id = 6",
             got, sizeof got);
    assert_string_equal(got, "e1d1133ed521af45|1004042768");
    /* the new tables and the view exist; the key now includes params */
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sqlite_schema WHERE name IN"
                                      " ('timeseries', 'latency_quantiles', 'markers',"
                                      " 'window_results', 'agreement', 'events', 'run_results',"
                                      " 'runs_by_scenario', 'runs_by_scenario_id')"),
                     9);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM run_results"), 8);
    /* deleting a migrated run still cascades to its outcome */
    raw_exec(f->path, "PRAGMA foreign_keys = ON; DELETE FROM runs WHERE id = 2;");
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM outcomes"), 7);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM outcomes WHERE run_id = 2"), 0);
}

/* ---- migration from v3 (tests/data/store/results-v3.db: `ftsim run --db` of
 * spark-windowed-wordcount.yaml by the v3 ftsim, 11 words under two protocols) ---- */

static void test_v3_database_migrates_keeping_every_row(void **state) {
    struct fx *f = *state;
    raw_copy_file("tests/data/store/results-v3.db", f->path);
    assert_int_equal(raw_int(f->path, "PRAGMA user_version"), 3);
    struct res_db *db = open_ok(f->path);
    assert_int_equal(raw_int(f->path, "PRAGMA user_version"), RES_SCHEMA_VERSION);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM lambda_views"), 0);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM runs"), 2);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM outcomes WHERE sent = 11"), 2);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM window_results"), 84);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM watermarks"), 10);
    /* a v4 run's lambda rows go in and come back, the total's key NULL, no batch NULL */
    struct exp_outcome o = {.sent = 3};
    const struct res_lambda rows[] = {
        {.t_ns = 500, .key = NULL, .served = 2, .reference = 3, .staleness_ns = 40},
        {.t_ns = 500,
         .key = "device-1",
         .served = 1,
         .reference = 1,
         .has_batch = true,
         .batch_ns = 0,
         .staleness_ns = 7},
    };
    struct res_run r = {.scenario = "lambda",
                        .scenario_hash = "h",
                        .seed = 1,
                        .protocol = "exactly-once",
                        .status = "ok",
                        .outcome = &o,
                        .lambda = rows,
                        .nlambda = 2};
    int64_t id = store_ok(db, &r);
    res_close(db);
    char got[512];
    lambda_rows(f->path, id, got, sizeof got);
    assert_string_equal(got, "0|500|TOTAL|2|3|none|40;1|500|device-1|1|1|0|7");
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
}

/* ---- migration from v4 (tests/data/store/results-v4.db: `ftsim run --db` of
 * crash-during-processing.yaml --seed 7 and partition-heal.yaml by the v4 ftsim at
 * commit e1f0a8d: 8 runs, 401 time buckets of which 51 saw nothing visible, 176
 * quantiles, 16 markers) ---- */

/* Every column of the time series and the quantiles, exactly (%.17g round-trips a
 * double), NULLs and storage types included. */
static const char v4_timeseries_sql[] =
    "SELECT run_id, bucket_start_ns, bucket_ns, visible, printf('%.17g', throughput_per_s),"
    " coalesce(latency_p50_ns, 'NULL'), coalesce(latency_p99_ns, 'NULL'), in_flight, retries,"
    " typeof(bucket_start_ns) || typeof(bucket_ns) || typeof(visible) ||"
    " typeof(throughput_per_s) || typeof(latency_p50_ns) || typeof(in_flight)"
    " FROM timeseries ORDER BY run_id, bucket_start_ns";
static const char v4_quantiles_sql[] =
    "SELECT run_id, percent, latency_ns, typeof(percent) || typeof(latency_ns)"
    " FROM latency_quantiles ORDER BY run_id, percent";

static void test_v4_database_migrates_to_packed_rows_reading_the_same(void **state) {
    struct fx *f = *state;
    enum { SIZE = 1 << 18 };
    char *before = malloc(2 * SIZE), *after = malloc(2 * SIZE);
    assert_non_null(before);
    assert_non_null(after);
    raw_copy_file("tests/data/store/results-v4.db", f->path);
    assert_int_equal(raw_int(f->path, "PRAGMA user_version"), 4);
    raw_rows(f->path, v4_timeseries_sql, before, SIZE);
    raw_rows(f->path, v4_quantiles_sql, before + SIZE, SIZE);
    res_close(open_ok(f->path));
    assert_int_equal(raw_int(f->path, "PRAGMA user_version"), RES_SCHEMA_VERSION);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sqlite_schema WHERE type = 'view'"
                                      " AND name IN ('timeseries', 'latency_quantiles')"),
                     2);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM timeseries_json"), 8);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM latency_quantiles_json"), 8);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM timeseries"), 401);
    assert_int_equal(
        raw_int(f->path, "SELECT count(*) FROM timeseries WHERE latency_p50_ns IS NULL"), 51);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM latency_quantiles"), 176);
    raw_rows(f->path, v4_timeseries_sql, after, SIZE);
    raw_rows(f->path, v4_quantiles_sql, after + SIZE, SIZE);
    assert_string_equal(after, before);
    assert_string_equal(after + SIZE, before + SIZE);
    /* a run's packed rows go with it */
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    raw_exec(f->path, "PRAGMA foreign_keys = ON; DELETE FROM runs WHERE id = 1;");
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM timeseries_json"), 7);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM latency_quantiles WHERE run_id = 1"),
                     0);
    free(before);
    free(after);
}

static void test_migrated_key_includes_params(void **state) {
    struct fx *f = *state;
    raw_copy_file("tests/data/store/results-v1.db", f->path);
    struct res_db *db = open_ok(f->path);
    char hash[80];
    raw_rows(f->path, "SELECT scenario_hash FROM runs WHERE id = 1", hash, sizeof hash);
    struct exp_outcome o = {.sent = 5, .delivered = 5};
    snprintf(o.trace_hash, sizeof o.trace_hash, "%s", "feed");
    struct res_run r = {.scenario = "lost-ack",
                        .scenario_hash = hash,
                        .seed = 42,
                        .protocol = "at-most-once",
                        .status = "ok",
                        .outcome = &o,
                        .params = "network.loss=0.1"};
    assert_int_equal(store_ok(db, &r), 9); /* a different key: a new row */
    r.params = NULL;                       /* the v1 row's key: replaced in place */
    assert_int_equal(store_ok(db, &r), 1);
    res_close(db);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM runs"), 9);
    assert_int_equal(raw_int(f->path, "SELECT sent FROM outcomes WHERE run_id = 1"), 5);
}

/* ---- child rows ---- */

static struct exp_stats sample_stats(void) {
    static struct exp_bucket b[3] = {
        {.start_ns = 0,
         .width_ns = 50000000,
         .visible = 10,
         .latency_p50_ns = 3000000,
         .latency_p99_ns = 7000000,
         .in_flight = 2,
         .retries = 0},
        {.start_ns = 50000000, .width_ns = 50000000, .visible = 0, .in_flight = 4, .retries = 3},
        {.start_ns = 100000000,
         .width_ns = 25000000,
         .visible = 5,
         .latency_p50_ns = 4000000,
         .latency_p99_ns = 4000000,
         .in_flight = 0,
         .retries = 1}};
    static struct exp_marker m[2] = {{.t_ns = 60000000, .kind = EXP_MARK_CRASH, .node = "worker-2"},
                                     {.t_ns = 70000000, .kind = EXP_MARK_HEAL, .node = ""}};
    struct exp_stats s = {.bucket_ns = 50000000,
                          .buckets = b,
                          .nbuckets = 3,
                          .markers = m,
                          .nmarkers = 2,
                          .nquantiles = EXP_QUANTILES};
    for (unsigned i = 0; i < EXP_QUANTILES; i++) /* 1 ms + 1 us per percent */
        s.quantiles[i] = 1000000 + 1000 * (uint64_t)ledger_quantile_pct[i];
    return s;
}

static const struct sim_trace_rec sample_events[3] = {
    {.time_ns = 0, .id = 0, .arg = 0, .node = 0, .peer = SIM_NODE_NONE, .type = SIM_TR_START},
    {.time_ns = 1000, .id = 7, .arg = 96, .node = 0, .peer = 1, .kind = 1, .type = SIM_TR_SEND},
    {.time_ns = 2000,
     .id = 7,
     .arg = 96,
     .node = 0,
     .peer = 1,
     .kind = 1,
     .type = SIM_TR_DROP,
     .reason = SIM_DROP_LOSS}};

static const char *label_of(const struct sim_trace_rec *r) {
    return r->type == SIM_TR_START ? NULL : "produce";
}

static struct res_run full_run(const struct exp_outcome *o, const struct exp_stats *s,
                               const struct res_window *w, const struct res_agreement *a) {
    return (struct res_run){.scenario = "lossy",
                            .scenario_hash = "abc123",
                            .seed = 7,
                            .protocol = "at-least-once",
                            .status = "ok",
                            .outcome = o,
                            .params = "network.loss=0.05",
                            .stats = s,
                            .windows = w,
                            .nwindows = 2,
                            .agreement = a,
                            .events = sample_events,
                            .nevents = 3,
                            .event_label = label_of};
}

static const struct res_window sample_windows[2] = {{.window_start_ns = 0,
                                                     .window_end_ns = 600000000000ull,
                                                     .key = "sensor-1",
                                                     .value = 12.5,
                                                     .emitted_at_ns = 610000000000ull,
                                                     .final = true},
                                                    {.window_start_ns = 300000000000ull,
                                                     .window_end_ns = 900000000000ull,
                                                     .key = NULL,
                                                     .value = 3,
                                                     .emitted_at_ns = 905000000000ull,
                                                     .final = false}};

static const struct res_agreement sample_agreement = {
    .algorithm = "om",
    .n = 4,
    .m = 1,
    .traitors = "2",
    .strategy = "conflicting",
    .ic1 = true,
    .ic2 = true,
    .rounds = 2,
    .messages = 9,
    .bytes = 288,
    .signatures_made = 0,
    .signatures_verified = 0,
    .signatures_rejected = 0,
    .decisions = "[{\"node\":1,\"decision\":\"attack\"},{\"node\":3,\"decision\":\"attack\"}]"};

static void test_child_rows_read_back_equal(void **state) {
    struct fx *f = *state;
    struct res_db *db = open_ok(f->path);
    struct exp_outcome o = {.sent = 20, .delivered = 20};
    snprintf(o.trace_hash, sizeof o.trace_hash, "%s", "cafe");
    struct exp_stats s = sample_stats();
    struct res_run r = full_run(&o, &s, sample_windows, &sample_agreement);
    int64_t id = store_ok(db, &r);
    res_close(db);
    char got[4096];
    raw_rows(f->path, "SELECT params FROM runs", got, sizeof got);
    assert_string_equal(got, "network.loss=0.05");
    /* throughput = visible / width in s: 10 / 0.05 = 200, 0, 5 / 0.025 = 200; latency NULL
     * where nothing became visible */
    raw_rows(f->path,
             "SELECT bucket_start_ns, bucket_ns, visible, throughput_per_s, latency_p50_ns,"
             " latency_p99_ns, in_flight, retries FROM timeseries ORDER BY bucket_start_ns",
             got, sizeof got);
    assert_string_equal(got, "0|50000000|10|200.0|3000000|7000000|2|0;"
                             "50000000|50000000|0|0.0|||4|3;"
                             "100000000|25000000|5|200.0|4000000|4000000|0|1");
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM latency_quantiles"), 22);
    assert_int_equal(
        raw_int(f->path, "SELECT latency_ns FROM latency_quantiles WHERE percent = 99"), 1099000);
    assert_int_equal(
        raw_int(f->path, "SELECT group_concat(percent) FROM latency_quantiles WHERE percent % 5"),
        99); /* every stored percent is a multiple of 5, but 99 */
    raw_rows(f->path, "SELECT t_ns, kind, node FROM markers ORDER BY t_ns", got, sizeof got);
    assert_string_equal(got, "60000000|crash|worker-2;70000000|heal|");
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM markers WHERE node IS NULL"), 1);
    raw_rows(f->path,
             "SELECT window_start_ns, window_end_ns, key, value, emitted_at_ns, final"
             " FROM window_results ORDER BY window_start_ns",
             got, sizeof got);
    assert_string_equal(got, "0|600000000000|sensor-1|12.5|610000000000|1;"
                             "300000000000|900000000000||3.0|905000000000|0");
    raw_rows(f->path,
             "SELECT algorithm, n, m, traitors, strategy, ic1, ic2, rounds, messages,"
             " bytes, signatures_made, decisions FROM agreement",
             got, sizeof got);
    assert_string_equal(got, "om|4|1|2|conflicting|1|1|2|9|288|0|"
                             "[{\"node\":1,\"decision\":\"attack\"},"
                             "{\"node\":3,\"decision\":\"attack\"}]");
    raw_rows(f->path,
             "SELECT seq, t_ns, kind, node, peer, msg_id, arg, code, label, reason"
             " FROM events ORDER BY seq",
             got, sizeof got);
    assert_string_equal(got, "0|0|start|0||0|0|0||;"
                             "1|1000|send|0|1|7|96|1|produce|;"
                             "2|2000|drop|0|1|7|96|1|produce|loss");
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM timeseries WHERE run_id = %" PRId64, id);
    assert_int_equal(raw_int(f->path, sql), 3);
    raw_rows(f->path, "PRAGMA foreign_key_check", got, sizeof got);
    assert_string_equal(got, ""); /* every child row names its run */
}

static void test_rerun_replaces_every_child_row(void **state) {
    struct fx *f = *state;
    struct res_db *db = open_ok(f->path);
    struct exp_outcome o = {.sent = 20};
    snprintf(o.trace_hash, sizeof o.trace_hash, "%s", "cafe");
    struct exp_stats s = sample_stats();
    struct res_run r = full_run(&o, &s, sample_windows, &sample_agreement);
    int64_t id = store_ok(db, &r);
    struct exp_stats fewer = s;
    fewer.nbuckets = 1;
    fewer.nmarkers = 0;
    r.stats = &fewer;
    r.nwindows = 0;
    r.agreement = NULL;
    r.nevents = 0;
    assert_int_equal(store_ok(db, &r), id);
    res_close(db);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM runs"), 1);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM timeseries"), 1);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM latency_quantiles"), 22);
    const char *gone[] = {"markers", "window_results", "agreement", "events"};
    for (int i = 0; i < 4; i++) {
        char sql[64];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", gone[i]);
        assert_int_equal(raw_int(f->path, sql), 0);
    }
}

/* A failure in the last table written (events) rolls back the run and all its rows. */
static void test_failure_in_events_leaves_nothing_of_the_run(void **state) {
    struct fx *f = *state;
    struct res_db *db = open_ok(f->path);
    raw_exec(f->path, "CREATE TRIGGER inject BEFORE INSERT ON events WHEN NEW.seq = 2"
                      " BEGIN SELECT RAISE(ABORT, 'injected events failure'); END;");
    struct exp_outcome o = {.sent = 20};
    snprintf(o.trace_hash, sizeof o.trace_hash, "%s", "cafe");
    struct exp_stats s = sample_stats();
    struct res_run r = full_run(&o, &s, sample_windows, &sample_agreement);
    struct ft_error err = {0};
    assert_int_equal(res_store_run(db, &r, NULL, &err), FT_EDB);
    assert_non_null(strstr(err.msg, "injected events failure"));
    const char *tables[] = {"runs",    "outcomes",       "timeseries", "latency_quantiles",
                            "markers", "window_results", "agreement",  "events"};
    for (int i = 0; i < 8; i++) {
        char sql[64];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", tables[i]);
        assert_int_equal(raw_int(f->path, sql), 0);
    }
    raw_exec(f->path, "DROP TRIGGER inject");
    store_ok(db, &r); /* usable again, and no stale binding leaks into the rows */
    res_close(db);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM events"), 3);
    assert_int_equal(
        raw_int(f->path, "SELECT count(*) FROM timeseries WHERE latency_p50_ns IS NULL"), 1);
}

static void test_has_run_finds_exactly_the_stored_key(void **state) {
    struct fx *f = *state;
    struct res_db *db = open_ok(f->path);
    struct exp_outcome o = {0};
    snprintf(o.trace_hash, sizeof o.trace_hash, "%s", "cafe");
    struct res_run r = {.scenario = "s",
                        .scenario_hash = "h1",
                        .seed = UINT64_MAX,
                        .protocol = "exactly-once",
                        .status = "ok",
                        .outcome = &o,
                        .params = "a=1"};
    store_ok(db, &r);
    struct ft_error err = {0};
    bool has = false;
    assert_int_equal(res_has_run(db, "h1", "a=1", UINT64_MAX, "exactly-once", &has, &err), 0);
    assert_true(has);
    const struct {
        const char *hash, *params;
        uint64_t seed;
        const char *proto;
    } misses[] = {{"h2", "a=1", UINT64_MAX, "exactly-once"},
                  {"h1", "a=2", UINT64_MAX, "exactly-once"},
                  {"h1", NULL, UINT64_MAX, "exactly-once"},
                  {"h1", "a=1", 0, "exactly-once"},
                  {"h1", "a=1", UINT64_MAX, "at-least-once"}};
    for (size_t i = 0; i < sizeof misses / sizeof misses[0]; i++) {
        assert_int_equal(res_has_run(db, misses[i].hash, misses[i].params, misses[i].seed,
                                     misses[i].proto, &has, &err),
                         0);
        assert_false(has);
    }
    res_close(db);
}

static void test_child_count_without_rows_is_refused(void **state) {
    struct fx *f = *state;
    struct res_db *db = open_ok(f->path);
    struct exp_outcome o = {0};
    snprintf(o.trace_hash, sizeof o.trace_hash, "%s", "cafe");
    struct res_run r = {.scenario = "s",
                        .scenario_hash = "h",
                        .protocol = "p",
                        .status = "ok",
                        .outcome = &o,
                        .nevents = 4};
    struct ft_error err = {0};
    assert_int_equal(res_store_run(db, &r, NULL, &err), FT_EINVAL);
    res_close(db);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM runs"), 0);
}

/* A run's lambda points in its statistics (as exp_run fills them for `ftsim sweep` and
 * `ftsim run --db`) become lambda_views rows numbered by seq: the total's key NULL, no
 * batch view a NULL batch_ns (a batch view of snapshot 0 a 0). Given both there and in
 * res_run.lambda they are refused; a value over INT64_MAX rolls the run back. */
static void test_stats_lambda_points_store_as_lambda_views(void **state) {
    struct fx *f = *state;
    struct res_db *db = open_ok(f->path);
    struct exp_outcome o = {.sent = 6};
    snprintf(o.trace_hash, sizeof o.trace_hash, "%s", "cafe");
    struct exp_lambda_point pts[3] = {
        {.t_ns = 500, .served = 2, .reference = 3, .staleness_ns = 40},
        {.t_ns = 500, .served = 1, .reference = 1, .has_batch = true, .staleness_ns = 7},
        {.t_ns = 1000,
         .served = 6,
         .reference = 6,
         .batch = 4,
         .has_batch = true,
         .batch_ns = 800,
         .staleness_ns = 0}};
    snprintf(pts[1].key, sizeof pts[1].key, "%s", "device-1");
    struct exp_stats s = {.lambda = pts, .nlambda = 3};
    struct res_run r = {.scenario = "lambda",
                        .scenario_hash = "h",
                        .seed = 1,
                        .protocol = "at-least-once",
                        .status = "ok",
                        .outcome = &o,
                        .stats = &s};
    int64_t id = store_ok(db, &r);
    char got[512];
    lambda_rows(f->path, id, got, sizeof got);
    assert_string_equal(got, "0|500|TOTAL|2|3|none|40;1|500|device-1|1|1|0|7;"
                             "2|1000|TOTAL|6|6|800|0");
    /* the same rows twice: refused before anything is written */
    const struct res_lambda again = {.t_ns = 500, .served = 2, .reference = 3};
    r.seed = 2;
    r.lambda = &again;
    r.nlambda = 1;
    struct ft_error err = {0};
    assert_int_equal(res_store_run(db, &r, NULL, &err), FT_EINVAL);
    assert_non_null(strstr(err.msg, "lambda rows given twice"));
    /* a staleness over INT64_MAX in the last point: the whole run rolled back */
    r.lambda = NULL;
    r.nlambda = 0;
    pts[2].staleness_ns = (uint64_t)INT64_MAX + 1;
    memset(&err, 0, sizeof err);
    assert_int_equal(res_store_run(db, &r, NULL, &err), FT_ELIMIT);
    assert_non_null(strstr(err.msg, "staleness_ns"));
    res_close(db);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM runs"), 1);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM lambda_views"), 3);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM outcomes"), 1);
}

/* Schema 6: a plain run writes its scenario file's row (replaced by the next plain run
 * of the same hash), a sweep point (params) does not; a drop marker keeps its label; the
 * markers of a v4 file survive the table's rebuild. */
static void test_plain_runs_describe_their_scenario_file(void **state) {
    struct fx *f = *state;
    raw_copy_file("tests/data/store/results-v4.db", f->path);
    int64_t markers = raw_int(f->path, "SELECT count(*) FROM markers");
    struct res_db *db = open_ok(f->path);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM markers"), markers);
    struct exp_outcome o = {.sent = 20};
    snprintf(o.trace_hash, sizeof o.trace_hash, "%s", "cafe");
    struct exp_marker drop = {
        .t_ns = 5, .kind = EXP_MARK_DROP, .node = "worker-1", .label = "ack r28 -> broker"};
    struct exp_stats s = {.markers = &drop, .nmarkers = 1};
    struct res_scenario file = {
        .seed = 42, .duration_ns = 5000000000ull, .faults = "drop", .about = "one ack lost"};
    struct res_run r = {.scenario = "lost",
                        .scenario_hash = "h6",
                        .seed = 1,
                        .protocol = "at-least-once",
                        .status = "ok",
                        .outcome = &o,
                        .params = "network.loss=0.1",
                        .stats = &s,
                        .file = &file};
    store_ok(db, &r);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM scenarios"), 0);
    r.params = "";
    store_ok(db, &r);
    file.seed = 43;
    file.window_aggregate = "count";
    file.window_value = "count of records per key";
    r.seed = 2;
    store_ok(db, &r);
    res_close(db);
    char got[512];
    raw_rows(f->path,
             "SELECT scenario_hash, scenario, seed, duration_ns, faults, window_aggregate,"
             " window_value, about FROM scenarios",
             got, sizeof got);
    assert_string_equal(got, "h6|lost|43|5000000000|drop|count|count of records per key|"
                             "one ack lost");
    raw_rows(f->path, "SELECT DISTINCT kind, node, label FROM markers WHERE kind = 'drop'", got,
             sizeof got);
    assert_string_equal(got, "drop|worker-1|ack r28 -> broker");
}

int main(void) {
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
        T(test_v1_database_of_the_previous_ftsim_migrates_keeping_every_row),
        T(test_v3_database_migrates_keeping_every_row),
        T(test_v4_database_migrates_to_packed_rows_reading_the_same),
        T(test_migrated_key_includes_params),
        T(test_child_rows_read_back_equal),
        T(test_rerun_replaces_every_child_row),
        T(test_failure_in_events_leaves_nothing_of_the_run),
        T(test_has_run_finds_exactly_the_stored_key),
        T(test_child_count_without_rows_is_refused),
        T(test_stats_lambda_points_store_as_lambda_views),
        T(test_plain_runs_describe_their_scenario_file),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
