/* The results store (DESIGN.md §8, docs/results-schema.md): SQLite through prepared
 * statements with bound parameters only. res_open migrates the schema forward from
 * res_migrations[] inside one transaction and refuses newer files; WAL mode and a busy
 * timeout let several processes write one file. res_store_run is one BEGIN IMMEDIATE
 * transaction over the run and all its child rows, so a failure leaves no half run.
 * Seeds (uint64) are stored as the int64 with the same 64 bits; SQL shows them
 * unsigned with printf('%u', seed). */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "ledger.h"
#include "store_internal.h"

#if SQLITE_VERSION_NUMBER < 3038000
#error "the results store needs SQLite >= 3.38 (INSERT ... RETURNING, JSON and ->>)"
#endif

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

/* A new run is inserted (RETURNING its id); a rerun of (scenario_hash, params, seed,
 * protocol) returns nothing there, and then keeps its row and id through the UPDATE,
 * which replaces the rest, and has its child rows deleted. */
static const char res_put_run_sql[] =
    "INSERT INTO runs (scenario, scenario_hash, params, seed, protocol, trace_hash, sim_end_ns,"
    " events, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
    " ON CONFLICT (scenario_hash, params, seed, protocol) DO NOTHING RETURNING id";
static const char res_update_run_sql[] =
    "UPDATE runs SET scenario = ?1, trace_hash = ?6, sim_end_ns = ?7, events = ?8, status = ?9"
    " WHERE scenario_hash = ?2 AND params = ?3 AND seed = ?4 AND protocol = ?5 RETURNING id";

static const char res_has_run_sql[] =
    "SELECT id FROM runs WHERE scenario_hash = ?1 AND params = ?2 AND seed = ?3"
    " AND protocol = ?4";

/* Each child table's columns in insert order. Rows of the tables a run may have many
 * of go in multi-row INSERTs of RES_BATCH rows (one statement step per batch), the
 * rest one by one. */
static const char *const res_child_cols[RES_NCHILD] = {
    ("run_id, sent, delivered, lost, duplicated, retries, messages, latency_p50_ns,"
     " latency_p99_ns, recovery_ns, crashes, matches_reference, keys_mismatched,"
     " window_latency_p50_ns, window_latency_p99_ns, late_dropped"),
    "run_id, buckets",
    "run_id, quantiles",
    "run_id, t_ns, kind, node, label",
    "run_id, window_start_ns, window_end_ns, key, value, emitted_at_ns, final, time_domain",
    ("run_id, algorithm, n, m, traitors, strategy, ic1, ic2, rounds, messages, bytes,"
     " signatures_made, signatures_verified, signatures_rejected, decisions"),
    "run_id, seq, t_ns, kind, node, peer, msg_id, arg, code, label, reason",
    "run_id, seq, t_ns, watermark_ns, late_dropped",
    "run_id, seq, t_ns, key, served, reference, batch_ns, staleness_ns",
    "run_id, seq, batch, time_ns, metric, value"};
static const int res_child_ncols[RES_NCHILD] = {16, 2, 2, 5, 8, 15, 11, 5, 8, 6};

#define RES_OUTCOME_COLS 12

struct res_col {
    const char *name;
    uint64_t v;
};

static void res_outcome_cols(const struct exp_outcome *o, struct res_col c[RES_OUTCOME_COLS]) {
    c[0] = (struct res_col){"sent", o->sent};
    c[1] = (struct res_col){"delivered", o->delivered};
    c[2] = (struct res_col){"lost", o->lost};
    c[3] = (struct res_col){"duplicated", o->duplicated};
    c[4] = (struct res_col){"retries", o->retries};
    c[5] = (struct res_col){"messages", o->messages};
    c[6] = (struct res_col){"latency_p50_ns", o->latency_p50_ns};
    c[7] = (struct res_col){"latency_p99_ns", o->latency_p99_ns};
    c[8] = (struct res_col){"recovery_ns", o->recovery_ns};
    c[9] = (struct res_col){"crashes", o->crashes};
    c[10] = (struct res_col){"matches_reference", o->matches_reference ? 1u : 0u};
    c[11] = (struct res_col){"keys_mismatched", o->keys_mismatched};
}

int64_t res_u64_bits(uint64_t v) {
    int64_t s;
    memcpy(&s, &v, sizeof s);
    return s;
}

int res_sql_fail(const struct res_db *db, struct ft_error *err, const char *what) {
    return ft_fail(err, FT_EDB, "results store %s: %s: %s", db->path, what, sqlite3_errmsg(db->db));
}

int res_exec(struct res_db *db, const char *sql, const char *what, struct ft_error *err) {
    if (sqlite3_exec(db->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return res_sql_fail(db, err, what);
    return 0;
}

void res_rollback(struct res_db *db) {
    if (!sqlite3_get_autocommit(db->db)) sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
}

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
static int res_migrate(struct res_db *db, struct ft_error *err) {
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
static int res_enable_wal(struct res_db *db, struct ft_error *err) {
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

/* Whether a run may have many rows of child table t (then multi-row INSERTs). */
static bool res_child_multirow(int t) {
    return t != RES_OUTCOMES && t != RES_AGREEMENT && t != RES_TIMESERIES && t != RES_QUANTILES;
}

/* "INSERT INTO t (cols) VALUES (?, ...), ..." with `rows` rows. */
static int res_prepare_insert(struct res_db *db, int t, int rows, sqlite3_stmt **st) {
    int ncols = res_child_ncols[t];
    size_t size = 128 + strlen(res_child_cols[t]) + (size_t)rows * (3 * (size_t)ncols + 4);
    char *sql = malloc(size);
    if (!sql) return SQLITE_NOMEM;
    size_t o = (size_t)snprintf(sql, size, "INSERT INTO %s (%s) VALUES ", res_child_tables[t],
                                res_child_cols[t]);
    for (int r = 0; r < rows; r++) {
        o += (size_t)snprintf(sql + o, size - o, "%s(?", r ? ", " : "");
        for (int c = 1; c < ncols; c++)
            o += (size_t)snprintf(sql + o, size - o, ", ?");
        o += (size_t)snprintf(sql + o, size - o, ")");
    }
    FT_ASSERT(o < size);
    int rc = sqlite3_prepare_v3(db->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
    free(sql);
    return rc;
}

static int res_prepare(struct res_db *db, struct ft_error *err) {
    unsigned flags = SQLITE_PREPARE_PERSISTENT;
    int rc = sqlite3_prepare_v3(db->db, res_put_run_sql, -1, flags, &db->put_run, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v3(db->db, res_update_run_sql, -1, flags, &db->update_run, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v3(db->db, res_has_run_sql, -1, flags, &db->has_run, NULL);
    for (int i = 0; rc == SQLITE_OK && i < RES_NCHILD; i++) {
        char del[96];
        snprintf(del, sizeof del, "DELETE FROM %s WHERE run_id = ?1", res_child_tables[i]);
        rc = res_prepare_insert(db, i, 1, &db->put[i]);
        if (rc == SQLITE_OK && res_child_multirow(i))
            rc = res_prepare_insert(db, i, RES_BATCH, &db->putn[i]);
        if (rc == SQLITE_OK) rc = sqlite3_prepare_v3(db->db, del, -1, flags, &db->del[i], NULL);
    }
    return rc == SQLITE_OK ? 0 : res_sql_fail(db, err, "cannot prepare statements");
}

static int res_connect(struct res_db *db, struct ft_error *err) {
    /* NOMUTEX: a connection is used by one thread at a time, so SQLite's own locking
     * of it is pure cost */
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
                SQLITE_OPEN_URI; /* URI: merge ATTACHes its shards read-only */
    char uri[8192];
    if (res_uri(db->path, "mode=rwc", uri, sizeof uri) != 0)
        return ft_fail(err, FT_ELIMIT, "results store %s: the path is too long", db->path);
    if (sqlite3_open_v2(uri, &db->db, flags, NULL) != SQLITE_OK)
        return res_sql_fail(db, err, "cannot open");
    sqlite3_extended_result_codes(db->db, 1);
    if (sqlite3_busy_timeout(db->db, RES_BUSY_TIMEOUT_MS) != SQLITE_OK)
        return res_sql_fail(db, err, "cannot set the busy timeout");
    return 0;
}

/* In WAL mode, synchronous = NORMAL keeps every committed run through a killed
 * process (kill -9) and never corrupts the file; only an OS crash or power loss may
 * drop the last commits, which a resumed sweep simply runs again. Checkpoints (each
 * one an fsync) come every RES_CHECKPOINT_PAGES pages of WAL instead of SQLite's 1000.
 * Foreign keys are not enforced on this connection: it writes child rows only with the
 * id of the run written in the same transaction and never deletes a run, and the check
 * is a lookup per child row, about a sixth of the cost of storing a run. The schema
 * keeps its REFERENCES ... ON DELETE CASCADE for any connection that turns them on,
 * and tests verify the references with PRAGMA foreign_key_check. */
#define RES_CHECKPOINT_PAGES 4000
static int res_configure(struct res_db *db, struct ft_error *err) {
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA wal_autocheckpoint = %d", RES_CHECKPOINT_PAGES);
    int rc = res_exec(db, "PRAGMA synchronous = NORMAL", "cannot set synchronous", err);
    if (!rc) rc = res_exec(db, sql, "cannot set the checkpoint interval", err);
    return rc;
}

int res_open(const char *path, struct res_db **out, struct ft_error *err) {
    if (!path || !out) return ft_fail(err, FT_EINVAL, "res_open: path and out are required");
    *out = NULL;
    struct res_db *db = calloc(1, sizeof *db);
    if (db) db->path = strdup(path);
    if (!db || !db->path) {
        free(db);
        return ft_fail(err, FT_ENOMEM, "results store %s: out of memory", path);
    }
    int rc = res_connect(db, err);
    if (!rc) rc = res_check_ftsim(db->db, path, err); /* before anything is written */
    if (!rc) rc = res_migrate(db, err);
    if (!rc) rc = res_configure(db, err);
    if (!rc) rc = res_prepare(db, err);
    if (!rc) rc = res_enable_wal(db, err); /* last: a failed open leaves the mode as it was */
    if (rc) {
        res_close(db);
        return rc;
    }
    *out = db;
    return 0;
}

void res_close(struct res_db *db) {
    if (!db) return;
    sqlite3_finalize(db->put_run);
    sqlite3_finalize(db->update_run);
    sqlite3_finalize(db->has_run);
    sqlite3_finalize(db->put_scenario);
    for (int i = 0; i < RES_NCHILD; i++) {
        sqlite3_finalize(db->put[i]);
        sqlite3_finalize(db->putn[i]);
        sqlite3_finalize(db->del[i]);
    }
    sqlite3_close(db->db);
    free(db->json);
    free(db->path);
    free(db);
}

static bool res_valid_status(const char *s) {
    return strcmp(s, "ok") == 0 || strcmp(s, "violated") == 0 || strcmp(s, "error") == 0;
}

static int res_check_limit(const char *name, uint64_t v, struct ft_error *err) {
    if (v <= INT64_MAX) return 0;
    return ft_fail(err, FT_ELIMIT, "results store: %s = %" PRIu64 " exceeds the limit %" PRId64,
                   name, v, INT64_MAX);
}

static int res_check_children(const struct res_run *r, struct ft_error *err) {
    const struct exp_stats *s = r->stats;
    if (r->params && strlen(r->params) >= RES_PARAMS_MAX)
        return ft_fail(err, FT_ELIMIT, "res_store_run: params is longer than %u bytes",
                       RES_PARAMS_MAX - 1);
    if ((s && ((s->nbuckets && !s->buckets) || (s->nmarkers && !s->markers) ||
               (s->nwindows && !s->windows) || (s->nwatermarks && !s->watermarks) ||
               (s->nlambda && !s->lambda) || (s->nmodel && !s->model) ||
               s->nquantiles > EXP_QUANTILES)) ||
        (r->nwindows && !r->windows) || (r->nevents && !r->events) ||
        (r->nwatermarks && !r->watermarks) || (r->nlambda && !r->lambda))
        return ft_fail(err, FT_EINVAL, "res_store_run: a child row count without its rows");
    if (r->nwindows > RES_CHILD_ROWS_MAX || r->nevents > RES_CHILD_ROWS_MAX ||
        r->nwatermarks > RES_CHILD_ROWS_MAX || r->nlambda > RES_CHILD_ROWS_MAX)
        return ft_fail(err, FT_ELIMIT, "res_store_run: more than %u rows for one table",
                       RES_CHILD_ROWS_MAX);
    if (s && s->nlambda && r->nlambda) /* both would be seq 0, 1, ... */
        return ft_fail(err, FT_EINVAL,
                       "res_store_run: lambda rows given twice (in stats and in lambda)");
    const struct res_agreement *a = r->agreement;
    if (a && (!a->algorithm || !a->traitors || !a->decisions))
        return ft_fail(err, FT_EINVAL,
                       "res_store_run: an agreement row needs algorithm, traitors and decisions");
    for (size_t i = 0; r->windows && i < r->nwindows; i++)
        if (r->windows[i].emitted_at_ns > INT64_MAX)
            return res_check_limit("a window emission time", r->windows[i].emitted_at_ns, err);
    for (size_t i = 0; r->watermarks && i < r->nwatermarks; i++)
        if (r->watermarks[i].t_ns > INT64_MAX || r->watermarks[i].late_dropped > INT64_MAX)
            return res_check_limit("a watermark time or count", UINT64_MAX, err);
    return 0;
}

/* Argument checks before any write, libuv-style: caller mistakes are FT_EINVAL. */
static int res_check_run(const struct res_run *r, struct ft_error *err) {
    if (!r->scenario || !r->scenario_hash || !r->protocol || !r->status || !r->outcome)
        return ft_fail(err, FT_EINVAL,
                       "res_store_run: scenario, scenario_hash, protocol, "
                       "status and outcome are required");
    if (!res_valid_status(r->status))
        return ft_fail(err, FT_EINVAL,
                       "res_store_run: status \"%s\" is not one of \"ok\", \"violated\", \"error\"",
                       r->status);
    const struct exp_outcome *o = r->outcome;
    if (memchr(o->trace_hash, '\0', sizeof o->trace_hash) == NULL)
        return ft_fail(err, FT_EINVAL, "res_store_run: trace_hash is not NUL-terminated");
    struct res_col cols[RES_OUTCOME_COLS];
    res_outcome_cols(o, cols);
    int rc = res_check_limit("end_ns", o->end_ns, err);
    if (!rc) rc = res_check_limit("events", o->events, err);
    for (int i = 0; !rc && i < RES_OUTCOME_COLS; i++)
        rc = res_check_limit(cols[i].name, cols[i].v, err);
    return rc ? rc : res_check_children(r, err);
}

int res_step(struct res_db *db, sqlite3_stmt *st, int64_t *id, const char *what,
             struct ft_error *err) {
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && id) {
        *id = sqlite3_column_int64(st, 0);
        rc = sqlite3_step(st);
    }
    int reset_rc = sqlite3_reset(st);
    int result = (rc == SQLITE_DONE && reset_rc == SQLITE_OK) ? 0 : res_sql_fail(db, err, what);
    sqlite3_clear_bindings(st);
    return result;
}

static void res_bind_run(sqlite3_stmt *st, const struct res_run *r) {
    const struct exp_outcome *o = r->outcome;
    sqlite3_bind_text(st, 1, r->scenario, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->scenario_hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->params ? r->params : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, res_u64_bits(r->seed));
    sqlite3_bind_text(st, 5, r->protocol, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, o->trace_hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, (int64_t)o->end_ns);
    sqlite3_bind_int64(st, 8, (int64_t)o->events);
    sqlite3_bind_text(st, 9, r->status, -1, SQLITE_STATIC);
}

/* *id gets the run's id; *existed = the key was stored before (its rows must go). */
static int res_put_run(struct res_db *db, const struct res_run *r, int64_t *id, bool *existed,
                       struct ft_error *err) {
    *id = -1;
    res_bind_run(db->put_run, r);
    int rc = res_step(db, db->put_run, id, "cannot store the run", err);
    *existed = !rc && *id < 0;
    if (!rc && *existed) {
        res_bind_run(db->update_run, r);
        rc = res_step(db, db->update_run, id, "cannot store the run", err);
    }
    if (!rc && *id < 0)
        return ft_fail(err, FT_EDB, "results store %s: no run id returned", db->path);
    return rc;
}

/* A uint64 counter as an INTEGER, refusing values above INT64_MAX. */
static int res_bind_u64(sqlite3_stmt *st, int i, uint64_t v, const char *name,
                        struct ft_error *err) {
    if (v > INT64_MAX) return res_check_limit(name, v, err);
    sqlite3_bind_int64(st, i, (int64_t)v);
    return 0;
}

static int res_put_outcome(struct res_db *db, int64_t run_id, const struct exp_outcome *o,
                           struct ft_error *err) {
    sqlite3_stmt *st = db->put[RES_OUTCOMES];
    struct res_col cols[RES_OUTCOME_COLS];
    res_outcome_cols(o, cols);
    sqlite3_bind_int64(st, 1, run_id);
    for (int i = 0; i < RES_OUTCOME_COLS; i++)
        sqlite3_bind_int64(st, i + 2, (int64_t)cols[i].v);
    for (int i = 0; i < 3; i++)
        sqlite3_bind_null(st, RES_OUTCOME_COLS + 2 + i);
    if (o->windows_enabled) { /* else the three window columns are NULL */
        int rc = res_bind_u64(st, RES_OUTCOME_COLS + 2, o->window_latency_p50_ns,
                              "window_latency_p50_ns", err);
        if (!rc)
            rc = res_bind_u64(st, RES_OUTCOME_COLS + 3, o->window_latency_p99_ns,
                              "window_latency_p99_ns", err);
        if (!rc) rc = res_bind_u64(st, RES_OUTCOME_COLS + 4, o->late_dropped, "late_dropped", err);
        if (rc) return rc;
    }
    return res_step(db, st, NULL, "cannot store the outcome", err);
}

/* Binds row i of a child table at parameter base + 1 ...; 0 or FT_ELIMIT. */
typedef int (*res_bind_fn)(sqlite3_stmt *st, int base, int64_t id, const struct res_run *r,
                           size_t i, struct ft_error *err);

/* ---- a run's time series and quantiles as JSON arrays (schema 5) ---- */

/* Room for `need` more bytes in db->json; 0 or FT_ENOMEM. */
static int res_json_reserve(struct res_db *db, size_t need, struct ft_error *err) {
    if (ft_grow((void **)&db->json, &db->json_cap, need, 1, 4096))
        return ft_fail(err, FT_ENOMEM, "results store %s: out of memory", db->path);
    return 0;
}

#define RES_JSON_NUM 21 /* at most 20 digits of a uint64 and a separator */

/* Writes v in decimal at p; returns the end. */
static char *res_json_u64(char *p, uint64_t v) {
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* [v0, v1, ...] at p, the values in `null_mask` as null; returns the end. */
static char *res_json_row(char *p, const uint64_t *v, int n, unsigned null_mask) {
    *p++ = '[';
    for (int k = 0; k < n; k++) {
        if (k) *p++ = ',';
        if (null_mask & (1u << k)) {
            memcpy(p, "null", 4);
            p += 4;
        } else {
            p = res_json_u64(p, v[k]);
        }
    }
    *p++ = ']';
    return p;
}

/* Inserts (run id, db->json[0..len)) into one-row child table t. */
static int res_put_json(struct res_db *db, enum res_child t, int64_t id, size_t len,
                        struct ft_error *err) {
    sqlite3_stmt *st = db->put[t];
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, db->json, (int)len, SQLITE_STATIC);
    return res_step(db, st, NULL, "cannot store the run's rows", err);
}

/* [[bucket_start_ns, bucket_ns, visible, latency_p50_ns, latency_p99_ns, in_flight,
 *   retries], ...]: the latencies null when nothing became visible in the bucket. */
static int res_put_timeseries(struct res_db *db, int64_t id, const struct exp_stats *s,
                              struct ft_error *err) {
    enum { NCOL = 7 };
    int rc = res_json_reserve(db, 2 + (size_t)s->nbuckets * (NCOL * RES_JSON_NUM + 3), err);
    if (rc) return rc;
    char *p = db->json;
    *p++ = '[';
    for (uint32_t i = 0; !rc && i < s->nbuckets; i++) {
        const struct exp_bucket *b = &s->buckets[i];
        const uint64_t v[NCOL] = {b->start_ns,       b->width_ns,  b->visible, b->latency_p50_ns,
                                  b->latency_p99_ns, b->in_flight, b->retries};
        for (int k = 0; !rc && k < NCOL; k++)
            if (v[k] > INT64_MAX) rc = res_check_limit("a timeseries value", v[k], err);
        if (i) *p++ = ',';
        p = res_json_row(p, v, NCOL, b->visible ? 0u : 3u << 3);
    }
    *p++ = ']';
    return rc ? rc : res_put_json(db, RES_TIMESERIES, id, (size_t)(p - db->json), err);
}

/* [[percent, latency_ns], ...] in ascending percent. */
static int res_put_quantiles(struct res_db *db, int64_t id, const struct exp_stats *s,
                             struct ft_error *err) {
    int rc = res_json_reserve(db, 2 + (size_t)s->nquantiles * (2 * RES_JSON_NUM + 3), err);
    if (rc) return rc;
    char *p = db->json;
    *p++ = '[';
    for (uint32_t i = 0; !rc && i < s->nquantiles; i++) {
        const uint64_t v[2] = {ledger_quantile_pct[i], s->quantiles[i]};
        if (v[1] > INT64_MAX) rc = res_check_limit("latency_ns", v[1], err);
        if (i) *p++ = ',';
        p = res_json_row(p, v, 2, 0);
    }
    *p++ = ']';
    return rc ? rc : res_put_json(db, RES_QUANTILES, id, (size_t)(p - db->json), err);
}

static int res_bind_marker(sqlite3_stmt *st, int base, int64_t id, const struct res_run *r,
                           size_t i, struct ft_error *err) {
    const struct exp_marker *m = &r->stats->markers[i];
    sqlite3_bind_int64(st, base + 1, id);
    sqlite3_bind_text(st, base + 3, exp_marker_name(m->kind), -1, SQLITE_STATIC);
    if (m->node[0]) sqlite3_bind_text(st, base + 4, m->node, -1, SQLITE_STATIC);
    if (m->label[0]) sqlite3_bind_text(st, base + 5, m->label, -1, SQLITE_STATIC);
    return res_bind_u64(st, base + 2, m->t_ns, "t_ns", err);
}

static int res_bind_window(sqlite3_stmt *st, int base, int64_t id, const struct res_run *r,
                           size_t i, struct ft_error *err) {
    const struct res_window *w = &r->windows[i];
    (void)err; /* times were checked by res_check_children */
    sqlite3_bind_int64(st, base + 1, id);
    sqlite3_bind_int64(st, base + 2, w->window_start_ns);
    sqlite3_bind_int64(st, base + 3, w->window_end_ns);
    if (w->key) sqlite3_bind_text(st, base + 4, w->key, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, base + 5, w->value);
    sqlite3_bind_int64(st, base + 6, (int64_t)w->emitted_at_ns);
    sqlite3_bind_int(st, base + 7, w->final ? 1 : 0);
    sqlite3_bind_text(st, base + 8, w->by_processing_time ? "processing" : "event", -1,
                      SQLITE_STATIC);
    return 0;
}

/* The same rows from a run's statistics (struct exp_stats), as exp_run fills them. */
static int res_bind_stat_window(sqlite3_stmt *st, int base, int64_t id, const struct res_run *r,
                                size_t i, struct ft_error *err) {
    const struct exp_window_row *w = &r->stats->windows[i];
    sqlite3_bind_int64(st, base + 1, id);
    sqlite3_bind_int64(st, base + 2, w->window_start_ns);
    sqlite3_bind_int64(st, base + 3, w->window_end_ns);
    if (w->key[0]) sqlite3_bind_text(st, base + 4, w->key, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, base + 5, w->value);
    sqlite3_bind_int(st, base + 7, w->final ? 1 : 0);
    sqlite3_bind_text(st, base + 8, w->by_processing_time ? "processing" : "event", -1,
                      SQLITE_STATIC);
    return res_bind_u64(st, base + 6, w->emitted_at_ns, "emitted_at_ns", err);
}

static int res_bind_stat_watermark(sqlite3_stmt *st, int base, int64_t id, const struct res_run *r,
                                   size_t i, struct ft_error *err) {
    const struct pipe_watermark *w = &r->stats->watermarks[i];
    sqlite3_bind_int64(st, base + 1, id);
    sqlite3_bind_int64(st, base + 2, (int64_t)i);
    sqlite3_bind_int64(st, base + 4, w->watermark_ns);
    int rc = res_bind_u64(st, base + 3, w->t_ns, "t_ns", err);
    return rc ? rc : res_bind_u64(st, base + 5, w->late_dropped, "late_dropped", err);
}

static int res_bind_watermark(sqlite3_stmt *st, int base, int64_t id, const struct res_run *r,
                              size_t i, struct ft_error *err) {
    const struct res_watermark *w = &r->watermarks[i];
    (void)err; /* checked by res_check_children */
    sqlite3_bind_int64(st, base + 1, id);
    sqlite3_bind_int64(st, base + 2, (int64_t)i);
    sqlite3_bind_int64(st, base + 3, (int64_t)w->t_ns);
    sqlite3_bind_int64(st, base + 4, w->watermark_ns);
    sqlite3_bind_int64(st, base + 5, (int64_t)w->late_dropped);
    return 0;
}

/* Row i of lambda_views (seq = i): key NULL for the total, batch_ns NULL without a
 * batch view. The one binding of both sources of lambda rows below. */
static int res_bind_lambda_row(sqlite3_stmt *st, int base, int64_t id, size_t i,
                               const struct res_lambda *l, struct ft_error *err) {
    sqlite3_bind_int64(st, base + 1, id);
    sqlite3_bind_int64(st, base + 2, (int64_t)i);
    if (l->key) sqlite3_bind_text(st, base + 4, l->key, -1, SQLITE_STATIC);
    int rc = res_bind_u64(st, base + 3, l->t_ns, "a lambda view's t_ns", err);
    if (!rc) rc = res_bind_u64(st, base + 5, l->served, "a lambda view's served", err);
    if (!rc) rc = res_bind_u64(st, base + 6, l->reference, "a lambda view's reference", err);
    if (!rc && l->has_batch)
        rc = res_bind_u64(st, base + 7, l->batch_ns, "a lambda view's batch_ns", err);
    if (!rc) rc = res_bind_u64(st, base + 8, l->staleness_ns, "a lambda view's staleness_ns", err);
    return rc;
}

static int res_bind_lambda(sqlite3_stmt *st, int base, int64_t id, const struct res_run *r,
                           size_t i, struct ft_error *err) {
    return res_bind_lambda_row(st, base, id, i, &r->lambda[i], err);
}

/* The same rows from a run's statistics (struct exp_stats), as exp_run fills them. */
static int res_bind_stat_lambda(sqlite3_stmt *st, int base, int64_t id, const struct res_run *r,
                                size_t i, struct ft_error *err) {
    const struct exp_lambda_point *x = &r->stats->lambda[i];
    const struct res_lambda l = {.t_ns = x->t_ns,
                                 .key = x->key[0] ? x->key : NULL,
                                 .served = x->served,
                                 .reference = x->reference,
                                 .has_batch = x->has_batch,
                                 .batch_ns = x->batch_ns,
                                 .staleness_ns = x->staleness_ns};
    return res_bind_lambda_row(st, base, id, i, &l, err);
}

/* Row i of model_metrics (seq = i): batch NULL for a whole-run metric. */
static int res_bind_stat_model(sqlite3_stmt *st, int base, int64_t id, const struct res_run *r,
                               size_t i, struct ft_error *err) {
    const struct exp_model_row *m = &r->stats->model[i];
    sqlite3_bind_int64(st, base + 1, id);
    sqlite3_bind_int64(st, base + 2, (int64_t)i);
    if (m->batch >= 0) sqlite3_bind_int64(st, base + 3, m->batch);
    sqlite3_bind_text(st, base + 5, m->metric, -1, SQLITE_STATIC);
    if (m->value - m->value == 0) sqlite3_bind_double(st, base + 6, m->value); /* NaN: NULL */
    return res_bind_u64(st, base + 4, m->t_ns, "a model metric's time_ns", err);
}

static void res_bind_node(sqlite3_stmt *st, int i, uint32_t node) {
    if (node != SIM_NODE_NONE) sqlite3_bind_int64(st, i, node);
}

static int res_bind_event(sqlite3_stmt *st, int base, int64_t id, const struct res_run *r, size_t i,
                          struct ft_error *err) {
    const struct sim_trace_rec *e = &r->events[i];
    const char *label = r->event_label ? r->event_label(e) : NULL;
    (void)err;
    sqlite3_bind_int64(st, base + 1, id);
    sqlite3_bind_int64(st, base + 2, (int64_t)i);
    sqlite3_bind_int64(st, base + 3, res_u64_bits(e->time_ns));
    sqlite3_bind_text(st, base + 4, sim_trace_type_name(e->type), -1, SQLITE_STATIC);
    res_bind_node(st, base + 5, e->node);
    res_bind_node(st, base + 6, e->peer);
    sqlite3_bind_int64(st, base + 7, res_u64_bits(e->id));
    sqlite3_bind_int64(st, base + 8, res_u64_bits(e->arg));
    sqlite3_bind_int64(st, base + 9, e->kind);
    if (label) sqlite3_bind_text(st, base + 10, label, -1, SQLITE_STATIC);
    if (e->type == SIM_TR_DROP)
        sqlite3_bind_text(st, base + 11, sim_drop_reason_name(e->reason), -1, SQLITE_STATIC);
    return 0;
}

/* Inserts rows 0..n-1 of child table t: whole batches, then the rest one by one. */
static int res_put_rows(struct res_db *db, enum res_child t, int64_t id, const struct res_run *r,
                        size_t n, res_bind_fn bind, struct ft_error *err) {
    int ncols = res_child_ncols[t], rc = 0;
    size_t i = 0;
    for (; !rc && n - i >= RES_BATCH; i += RES_BATCH) {
        for (int k = 0; !rc && k < RES_BATCH; k++)
            rc = bind(db->putn[t], k * ncols, id, r, i + (size_t)k, err);
        if (!rc) rc = res_step(db, db->putn[t], NULL, "cannot store the run's rows", err);
    }
    for (; !rc && i < n; i++) {
        rc = bind(db->put[t], 0, id, r, i, err);
        if (!rc) rc = res_step(db, db->put[t], NULL, "cannot store the run's rows", err);
    }
    return rc;
}

static int res_put_stats(struct res_db *db, int64_t id, const struct res_run *r,
                         struct ft_error *err) {
    const struct exp_stats *s = r->stats;
    int rc = s->nbuckets ? res_put_timeseries(db, id, s, err) : 0;
    if (!rc && s->nquantiles) rc = res_put_quantiles(db, id, s, err);
    if (!rc) rc = res_put_rows(db, RES_MARKERS, id, r, s->nmarkers, res_bind_marker, err);
    if (!rc && s->nwindows)
        rc = res_put_rows(db, RES_WINDOWS, id, r, s->nwindows, res_bind_stat_window, err);
    if (!rc && s->nwatermarks)
        rc = res_put_rows(db, RES_WATERMARKS, id, r, s->nwatermarks, res_bind_stat_watermark, err);
    if (!rc && s->nlambda)
        rc = res_put_rows(db, RES_LAMBDA, id, r, s->nlambda, res_bind_stat_lambda, err);
    if (!rc && s->nmodel)
        rc = res_put_rows(db, RES_MODEL, id, r, s->nmodel, res_bind_stat_model, err);
    return rc;
}

static int res_put_agreement(struct res_db *db, int64_t id, const struct res_agreement *a,
                             struct ft_error *err) {
    sqlite3_stmt *st = db->put[RES_AGREEMENT];
    const uint64_t v[] = {a->rounds,
                          a->messages,
                          a->bytes,
                          a->signatures_made,
                          a->signatures_verified,
                          a->signatures_rejected};
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, a->algorithm, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, a->n);
    sqlite3_bind_int64(st, 4, a->m);
    sqlite3_bind_text(st, 5, a->traitors, -1, SQLITE_STATIC);
    if (a->strategy) sqlite3_bind_text(st, 6, a->strategy, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 7, a->ic1 ? 1 : 0);
    sqlite3_bind_int(st, 8, a->ic2 ? 1 : 0);
    for (int i = 0; i < 6; i++) {
        int rc = res_bind_u64(st, 9 + i, v[i], "an agreement count", err);
        if (rc) return rc;
    }
    sqlite3_bind_text(st, 15, a->decisions, -1, SQLITE_STATIC);
    return res_step(db, st, NULL, "cannot store the agreement", err);
}

/* Every child row of run id goes, so a rerun replaces them all. */
static int res_clear_children(struct res_db *db, int64_t id, struct ft_error *err) {
    int rc = 0;
    for (int i = 0; !rc && i < RES_NCHILD; i++) {
        sqlite3_bind_int64(db->del[i], 1, id);
        rc = res_step(db, db->del[i], NULL, "cannot replace the run's rows", err);
    }
    return rc;
}

static int res_put_all(struct res_db *db, const struct res_run *r, int64_t *id,
                       struct ft_error *err) {
    bool existed = false;
    int rc = res_put_run(db, r, id, &existed, err);
    if (!rc && existed) rc = res_clear_children(db, *id, err);
    if (!rc) rc = res_put_outcome(db, *id, r->outcome, err);
    if (!rc && r->stats) rc = res_put_stats(db, *id, r, err);
    if (!rc && r->nwindows)
        rc = res_put_rows(db, RES_WINDOWS, *id, r, r->nwindows, res_bind_window, err);
    if (!rc && r->nwatermarks)
        rc = res_put_rows(db, RES_WATERMARKS, *id, r, r->nwatermarks, res_bind_watermark, err);
    if (!rc && r->nlambda)
        rc = res_put_rows(db, RES_LAMBDA, *id, r, r->nlambda, res_bind_lambda, err);
    if (!rc && r->agreement) rc = res_put_agreement(db, *id, r->agreement, err);
    if (!rc && r->nevents)
        rc = res_put_rows(db, RES_EVENTS, *id, r, r->nevents, res_bind_event, err);
    if (!rc && r->file && (!r->params || !r->params[0])) rc = res_put_scenario(db, r, err);
    return rc;
}

/* After a failure part-way through binding: no stale binding may reach the next run
 * (NULL columns rely on cleared bindings). */
static void res_reset_all(struct res_db *db) {
    sqlite3_stmt *all[4 + 3 * RES_NCHILD] = {db->put_run, db->update_run, db->has_run,
                                             db->put_scenario};
    for (int i = 0; i < RES_NCHILD; i++) {
        all[4 + 3 * i] = db->put[i];
        all[5 + 3 * i] = db->putn[i];
        all[6 + 3 * i] = db->del[i];
    }
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (!all[i]) continue;
        sqlite3_reset(all[i]);
        sqlite3_clear_bindings(all[i]);
    }
}

int res_store_run(struct res_db *db, const struct res_run *r, int64_t *run_id,
                  struct ft_error *err) {
    if (!db || !r) return ft_fail(err, FT_EINVAL, "res_store_run: db and run are required");
    int rc = res_check_run(r, err);
    if (rc) return rc;
    int64_t id = -1;
    rc = res_exec(db, "BEGIN IMMEDIATE", "cannot start the transaction", err);
    if (!rc) rc = res_put_all(db, r, &id, err);
    if (!rc) rc = res_exec(db, "COMMIT", "cannot commit the run", err);
    if (rc) {
        res_reset_all(db);
        res_rollback(db);
        return rc;
    }
    if (run_id) *run_id = id;
    return 0;
}

int res_has_run(struct res_db *db, const char *scenario_hash, const char *params, uint64_t seed,
                const char *protocol, bool *has, struct ft_error *err) {
    if (!db || !scenario_hash || !protocol || !has)
        return ft_fail(err, FT_EINVAL,
                       "res_has_run: db, scenario_hash, protocol and has are required");
    sqlite3_stmt *st = db->has_run;
    sqlite3_bind_text(st, 1, scenario_hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, params ? params : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, res_u64_bits(seed));
    sqlite3_bind_text(st, 4, protocol, -1, SQLITE_STATIC);
    int64_t id = -1;
    int rc = res_step(db, st, &id, "cannot look up a run", err);
    *has = !rc && id >= 0;
    return rc;
}
