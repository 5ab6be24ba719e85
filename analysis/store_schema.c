/* The results store's schema (docs/results-schema.md): res_migrations[] takes a file
 * from version i to i + 1, one entry per version, never edited once released. res_open
 * (store.c) calls res_migrate to apply the missing ones in one transaction (refusing a
 * newer file) and res_enable_wal last, so a failed open leaves the journal mode alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

/* Migration i takes a database from schema version i to i + 1. Never edit a released
 * entry: a schema change is a new entry and RES_SCHEMA_VERSION + 1. Migrations run
 * with foreign keys off (as every ftsim connection does), so a table rebuild does not
 * cascade; PRAGMA foreign_key_check then verifies the references. */
static const char *const res_migrations[] = {
    /* 1: runs and their outcomes */
    "CREATE TABLE runs ("
    " id INTEGER PRIMARY KEY,"
    " scenario TEXT NOT NULL,"
    " scenario_hash TEXT NOT NULL,"
    " seed INTEGER NOT NULL," /* uint64 stored as the int64 with the same bits */
    " protocol TEXT NOT NULL,"
    " trace_hash TEXT NOT NULL,"
    " sim_end_ns INTEGER,"
    " events INTEGER,"
    " status TEXT NOT NULL CHECK (status IN ('ok', 'violated', 'error')),"
    " UNIQUE (scenario_hash, seed, protocol));"
    "CREATE INDEX runs_by_scenario ON runs (scenario, protocol);"
    "CREATE INDEX runs_by_protocol ON runs (protocol);"
    "CREATE TABLE outcomes ("
    " run_id INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,"
    " sent INTEGER NOT NULL,"
    " delivered INTEGER NOT NULL,"
    " lost INTEGER NOT NULL,"
    " duplicated INTEGER NOT NULL,"
    " retries INTEGER NOT NULL,"
    " messages INTEGER NOT NULL,"
    " latency_p50_ns INTEGER NOT NULL,"
    " latency_p99_ns INTEGER NOT NULL,"
    " recovery_ns INTEGER NOT NULL,"
    " crashes INTEGER NOT NULL,"
    " matches_reference INTEGER NOT NULL CHECK (matches_reference IN (0, 1)),"
    " keys_mismatched INTEGER NOT NULL);",
    /* 2: sweep parameters in the run's key (the runs table is rebuilt, ids kept), the
     * child tables for plots, agreement and traces, and a joined view */
    "CREATE TABLE runs_v2 ("
    " id INTEGER PRIMARY KEY,"
    " scenario TEXT NOT NULL,"
    " scenario_hash TEXT NOT NULL,"
    " params TEXT NOT NULL DEFAULT '',"
    " seed INTEGER NOT NULL,"
    " protocol TEXT NOT NULL,"
    " trace_hash TEXT NOT NULL,"
    " sim_end_ns INTEGER,"
    " events INTEGER,"
    " status TEXT NOT NULL CHECK (status IN ('ok', 'violated', 'error')),"
    " UNIQUE (scenario_hash, params, seed, protocol));"
    "INSERT INTO runs_v2 (id, scenario, scenario_hash, params, seed, protocol, trace_hash,"
    " sim_end_ns, events, status) SELECT id, scenario, scenario_hash, '', seed, protocol,"
    " trace_hash, sim_end_ns, events, status FROM runs ORDER BY id;"
    "DROP TABLE runs;"
    "ALTER TABLE runs_v2 RENAME TO runs;"
    "CREATE INDEX runs_by_scenario ON runs (scenario, protocol, params);"
    "CREATE INDEX runs_by_protocol ON runs (protocol);"
    "CREATE TABLE timeseries ("
    " run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    " bucket_start_ns INTEGER NOT NULL,"
    " bucket_ns INTEGER NOT NULL,"
    " visible INTEGER NOT NULL,"
    " throughput_per_s REAL NOT NULL,"
    " latency_p50_ns INTEGER," /* NULL when nothing became visible in the bucket */
    " latency_p99_ns INTEGER,"
    " in_flight INTEGER NOT NULL,"
    " retries INTEGER NOT NULL,"
    " PRIMARY KEY (run_id, bucket_start_ns)) WITHOUT ROWID;"
    "CREATE TABLE latency_quantiles ("
    " run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    " percent INTEGER NOT NULL CHECK (percent BETWEEN 0 AND 100),"
    " latency_ns INTEGER NOT NULL,"
    " PRIMARY KEY (run_id, percent)) WITHOUT ROWID;"
    "CREATE TABLE markers ("
    " run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    " t_ns INTEGER NOT NULL,"
    " kind TEXT NOT NULL CHECK (kind IN ('crash', 'restart', 'partition', 'heal', 'rebalance')),"
    " node TEXT);"
    "CREATE INDEX markers_by_run ON markers (run_id, t_ns);"
    "CREATE TABLE window_results ("
    " run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    " window_start_ns INTEGER NOT NULL,"
    " window_end_ns INTEGER NOT NULL,"
    " key TEXT,"
    " value REAL,"
    " emitted_at_ns INTEGER,"
    " final INTEGER NOT NULL CHECK (final IN (0, 1)));"
    "CREATE INDEX window_results_by_run ON window_results (run_id, window_start_ns);"
    "CREATE TABLE agreement ("
    " run_id INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,"
    " algorithm TEXT NOT NULL,"
    " n INTEGER NOT NULL,"
    " m INTEGER NOT NULL,"
    " traitors TEXT NOT NULL,"
    " strategy TEXT,"
    " ic1 INTEGER NOT NULL CHECK (ic1 IN (0, 1)),"
    " ic2 INTEGER NOT NULL CHECK (ic2 IN (0, 1)),"
    " rounds INTEGER NOT NULL,"
    " messages INTEGER NOT NULL,"
    " bytes INTEGER NOT NULL,"
    " signatures_made INTEGER NOT NULL,"
    " signatures_verified INTEGER NOT NULL,"
    " signatures_rejected INTEGER NOT NULL,"
    " decisions TEXT NOT NULL);"
    "CREATE TABLE events ("
    " run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    " seq INTEGER NOT NULL,"
    " t_ns INTEGER NOT NULL,"
    " kind TEXT NOT NULL,"
    " node INTEGER,"
    " peer INTEGER,"
    " msg_id INTEGER,"
    " arg INTEGER,"
    " code INTEGER NOT NULL,"
    " label TEXT,"
    " reason TEXT,"
    " PRIMARY KEY (run_id, seq)) WITHOUT ROWID;"
    "CREATE VIEW run_results AS SELECT r.id AS run_id, r.scenario, r.scenario_hash, r.params,"
    " printf('%u', r.seed) AS seed, r.protocol, r.trace_hash, r.sim_end_ns, r.events, r.status,"
    " o.sent, o.delivered, o.lost, o.duplicated, o.retries, o.messages, o.latency_p50_ns,"
    " o.latency_p99_ns, o.recovery_ns, o.crashes, o.matches_reference, o.keys_mismatched"
    " FROM runs r JOIN outcomes o ON o.run_id = r.id;",
    /* 3: a windowed query's watermark over processing time */
    "CREATE TABLE watermarks ("
    " run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    " seq INTEGER NOT NULL,"
    " t_ns INTEGER NOT NULL,"
    " watermark_ns INTEGER NOT NULL,"
    " late_dropped INTEGER NOT NULL,"
    " PRIMARY KEY (run_id, seq)) WITHOUT ROWID;"
    "ALTER TABLE window_results ADD COLUMN time_domain TEXT NOT NULL DEFAULT 'event'"
    " CHECK (time_domain IN ('event', 'processing'));",
    /* 4: the lambda architecture's served view against the reference over time */
    "CREATE TABLE lambda_views ("
    " run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    " seq INTEGER NOT NULL,"
    " t_ns INTEGER NOT NULL,"
    " key TEXT," /* NULL: the total over all keys */
    " served INTEGER NOT NULL,"
    " reference INTEGER NOT NULL,"
    " batch_ns INTEGER," /* NULL: no batch view yet */
    " staleness_ns INTEGER NOT NULL,"
    " PRIMARY KEY (run_id, seq)) WITHOUT ROWID;"
    /* and a window query's own outcome: its latency and its late drops (NULL without one) */
    "ALTER TABLE outcomes ADD COLUMN window_latency_p50_ns INTEGER;"
    "ALTER TABLE outcomes ADD COLUMN window_latency_p99_ns INTEGER;"
    "ALTER TABLE outcomes ADD COLUMN late_dropped INTEGER;",
    /* 5: a run's time series and latency quantiles as one row each, a JSON array, with
     * views of the old names and columns over them: writing ~75 rows per run was most of
     * what storing a run cost (docs/PERFORMANCE.md). Old rows are packed in order. */
    "CREATE TABLE timeseries_json ("
    " run_id INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,"
    /* [[bucket_start_ns, bucket_ns, visible, latency_p50_ns, latency_p99_ns, in_flight,
     *   retries], ...] in time order; the latencies are null when visible is 0 */
    " buckets TEXT NOT NULL);"
    "INSERT INTO timeseries_json (run_id, buckets) SELECT run_id,"
    " json_group_array(json_array(bucket_start_ns, bucket_ns, visible, latency_p50_ns,"
    " latency_p99_ns, in_flight, retries))"
    " FROM (SELECT * FROM timeseries ORDER BY run_id, bucket_start_ns) GROUP BY run_id;"
    "DROP TABLE timeseries;"
    "CREATE VIEW timeseries AS SELECT t.run_id AS run_id,"
    " b.value ->> 0 AS bucket_start_ns, b.value ->> 1 AS bucket_ns, b.value ->> 2 AS visible,"
    " CASE WHEN b.value ->> 1 > 0 THEN (b.value ->> 2) / ((b.value ->> 1) / 1e9)"
    " ELSE CAST(b.value ->> 2 AS REAL) END AS throughput_per_s,"
    " b.value ->> 3 AS latency_p50_ns, b.value ->> 4 AS latency_p99_ns,"
    " b.value ->> 5 AS in_flight, b.value ->> 6 AS retries"
    " FROM timeseries_json t, json_each(t.buckets) b;"
    "CREATE TABLE latency_quantiles_json ("
    " run_id INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,"
    " quantiles TEXT NOT NULL);" /* [[percent, latency_ns], ...] by percent */
    "INSERT INTO latency_quantiles_json (run_id, quantiles) SELECT run_id,"
    " json_group_array(json_array(percent, latency_ns))"
    " FROM (SELECT * FROM latency_quantiles ORDER BY run_id, percent) GROUP BY run_id;"
    "DROP TABLE latency_quantiles;"
    "CREATE VIEW latency_quantiles AS SELECT l.run_id AS run_id,"
    " q.value ->> 0 AS percent, q.value ->> 1 AS latency_ns"
    " FROM latency_quantiles_json l, json_each(l.quantiles) q;"
    /* the plots' "latest version of the file" lookup (the scenario's run of greatest id)
     * was a scan of the scenario's runs per run, quadratic in a sweep; the protocol
     * index served no query */
    "DROP INDEX IF EXISTS runs_by_protocol;"
    "CREATE INDEX runs_by_scenario_id ON runs (scenario, id);",
    /* 6: the scenario file behind a hash, for the figures: its own seed (the one `ftsim
     * run` uses), the source's duration, the failures it injects and what a window
     * row's value is (written with plain runs, store_scenario.c); and markers for the
     * messages a scenario's drop: rule removes, with a label naming the message (the
     * kind list is a CHECK, so the table is rebuilt, rows kept in order) */
    "CREATE TABLE scenarios ("
    " scenario_hash TEXT PRIMARY KEY,"
    " scenario TEXT NOT NULL,"
    " seed INTEGER NOT NULL," /* the file's seed:, stored like runs.seed */
    " duration_ns INTEGER,"   /* the source's duration; NULL for a Byzantine scenario */
    " faults TEXT NOT NULL,"  /* comma-separated failures the file injects; '' none */
    " window_aggregate TEXT," /* count, sum, mean, min, max; NULL without a window query */
    " window_value TEXT,"     /* what a window row's value is, in words */
    " about TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE markers_v6 ("
    " run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    " t_ns INTEGER NOT NULL,"
    " kind TEXT NOT NULL CHECK (kind IN ('crash', 'restart', 'partition', 'heal', 'rebalance',"
    " 'drop')),"
    " node TEXT,"
    " label TEXT);"
    "INSERT INTO markers_v6 (run_id, t_ns, kind, node) SELECT run_id, t_ns, kind, node"
    " FROM markers ORDER BY rowid;"
    "DROP TABLE markers;"
    "ALTER TABLE markers_v6 RENAME TO markers;"
    "CREATE INDEX markers_by_run ON markers (run_id, t_ns);",
    /* 7: a streaming model's measurements (struct exp_model_row), long format: one row
     * per (update, metric), batch NULL for the run as a whole */
    "CREATE TABLE model_metrics ("
    " run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    " seq INTEGER NOT NULL,"
    " batch INTEGER,"
    " time_ns INTEGER NOT NULL,"
    " metric TEXT NOT NULL,"
    " value REAL,"
    " PRIMARY KEY (run_id, seq)) WITHOUT ROWID;",
};

_Static_assert(sizeof res_migrations / sizeof res_migrations[0] == RES_SCHEMA_VERSION,
               "one migration per schema version");

const char *const res_child_tables[RES_NCHILD] = {
    "outcomes", "timeseries_json", "latency_quantiles_json",
    "markers",  "window_results",  "agreement",
    "events",   "watermarks",      "lambda_views",
    "model_metrics"};

/* Runs a one-row pragma and copies its first column as text into out. Returns the
 * SQLite result code; the caller reports errors (sqlite3_errmsg still holds them). */
static int res_pragma(struct res_db *db, const char *sql, char *out, size_t out_size) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) return rc;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
        const unsigned char *t = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
        snprintf(out, out_size, "%s", t ? (const char *)t : "");
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

static int res_check_version(struct res_db *db, int *version, struct ft_error *err) {
    char text[32];
    if (res_pragma(db, "PRAGMA user_version", text, sizeof text) != SQLITE_OK)
        return res_sql_fail(db, err, "cannot read the schema version");
    *version = atoi(text);
    if (*version > RES_SCHEMA_VERSION)
        return ft_fail(err, FT_EDB,
                       "results store %s: schema version %d is newer than this ftsim's "
                       "schema version %d; use a newer ftsim or another file",
                       db->path, *version, RES_SCHEMA_VERSION);
    if (*version < 0)
        return ft_fail(err, FT_EDB, "results store %s: schema version %d was not written by ftsim",
                       db->path, *version);
    return 0;
}

/* A migration must leave every child row pointing at a run. */
static int res_check_foreign_keys(struct res_db *db, struct ft_error *err) {
    char row[64];
    if (res_pragma(db, "PRAGMA foreign_key_check", row, sizeof row) != SQLITE_OK)
        return res_sql_fail(db, err, "cannot check foreign keys after the migration");
    if (row[0])
        return ft_fail(err, FT_EDB,
                       "results store %s: a row of table %s names no run after the "
                       "migration; the file is left unchanged",
                       db->path, row);
    return 0;
}

/* Applies the missing migrations and sets user_version, all in one transaction; the
 * version is read inside it, so two processes opening a new file migrate it once. */
int res_migrate(struct res_db *db, struct ft_error *err) {
    int version = 0, rc = res_exec(db, "BEGIN IMMEDIATE", "cannot start the migration", err);
    if (!rc) rc = res_check_version(db, &version, err);
    for (int v = version; !rc && v < RES_SCHEMA_VERSION; v++)
        rc = res_exec(db, res_migrations[v], "schema migration failed", err);
    if (!rc && version < RES_SCHEMA_VERSION) {
        char sql[48];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", RES_SCHEMA_VERSION);
        rc = res_exec(db, sql, "cannot set the schema version", err);
        if (!rc && version > 0) rc = res_check_foreign_keys(db, err);
    }
    if (!rc) rc = res_exec(db, "COMMIT", "cannot commit the migration", err);
    if (rc) res_rollback(db);
    return rc;
}

/* Switching a file to WAL takes an exclusive lock, and SQLite answers SQLITE_BUSY at
 * once, without the busy handler, when waiting could deadlock with another process
 * opening the same new file; so this retries for up to the busy timeout. */
int res_enable_wal(struct res_db *db, struct ft_error *err) {
    static const char sql[] = "PRAGMA journal_mode = WAL";
    char mode[16] = "";
    int rc = res_pragma(db, sql, mode, sizeof mode);
    for (int waited_ms = 0; (rc & 0xff) == SQLITE_BUSY && waited_ms < RES_BUSY_TIMEOUT_MS;
         waited_ms += RES_RETRY_MS) {
        sqlite3_sleep(RES_RETRY_MS);
        rc = res_pragma(db, sql, mode, sizeof mode);
    }
    if (rc != SQLITE_OK) return res_sql_fail(db, err, "cannot switch to WAL mode");
    if (strcmp(mode, "wal") != 0 && strcmp(mode, "memory") != 0)
        return ft_fail(err, FT_EDB,
                       "results store %s: cannot switch to WAL mode (journal_mode is %s)", db->path,
                       mode);
    return 0;
}
