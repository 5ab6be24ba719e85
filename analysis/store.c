/* The results store (DESIGN.md §8, docs/results-schema.md): SQLite through prepared
 * statements with bound parameters only. res_open checks the file is ftsim's, migrates
 * the schema forward (store_schema.c) and refuses newer files; WAL mode and a busy
 * timeout let several processes write one file; res_store_run (store_write.c) is one
 * transaction per run. Seeds (uint64) are stored as the int64 with the same 64 bits;
 * SQL shows them unsigned with printf('%u', seed). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

#if SQLITE_VERSION_NUMBER < 3038000
#error "the results store needs SQLite >= 3.38 (INSERT ... RETURNING, JSON and ->>)"
#endif

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
const int res_child_ncols[RES_NCHILD] = {16, 2, 2, 5, 8, 15, 11, 5, 8, 6};

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
