/* Fixture results databases for the plot tests, written with a schema v2 DDL of their
 * own (the tables and columns of analysis/store.c's schema 2, minus its second index
 * and some constraints) plus the two additions the windows figure uses when present
 * (window_results.time_domain, table watermarks; docs/plots.md). `ftsim plot` reads
 * older files as they are, so the plot tests draw from this old form, and
 * test_plot's migration test opens a copy with res_open to draw the same figures from
 * the current schema. Header-only; every function is static. */
#ifndef FTSIM_PLOT_FIXTURE_H
#define FTSIM_PLOT_FIXTURE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <sqlite3.h>

static const char fx_schema_v2[] =
    "CREATE TABLE runs (id INTEGER PRIMARY KEY, scenario TEXT NOT NULL,"
    " scenario_hash TEXT NOT NULL, seed INTEGER NOT NULL, protocol TEXT NOT NULL,"
    " trace_hash TEXT NOT NULL, sim_end_ns INTEGER, events INTEGER,"
    " status TEXT NOT NULL CHECK (status IN ('ok', 'violated', 'error')),"
    " params TEXT NOT NULL DEFAULT '', UNIQUE (scenario_hash, params, seed, protocol));"
    "CREATE INDEX runs_by_scenario ON runs (scenario, protocol, params);"
    "CREATE TABLE outcomes (run_id INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,"
    " sent INTEGER NOT NULL, delivered INTEGER NOT NULL, lost INTEGER NOT NULL,"
    " duplicated INTEGER NOT NULL, retries INTEGER NOT NULL, messages INTEGER NOT NULL,"
    " latency_p50_ns INTEGER NOT NULL, latency_p99_ns INTEGER NOT NULL,"
    " recovery_ns INTEGER NOT NULL, crashes INTEGER NOT NULL,"
    " matches_reference INTEGER NOT NULL CHECK (matches_reference IN (0, 1)),"
    " keys_mismatched INTEGER NOT NULL);"
    "CREATE TABLE timeseries (run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    " bucket_start_ns INTEGER NOT NULL, bucket_ns INTEGER NOT NULL, visible INTEGER NOT NULL,"
    " throughput_per_s REAL NOT NULL, latency_p50_ns INTEGER NOT NULL,"
    " latency_p99_ns INTEGER NOT NULL, in_flight INTEGER NOT NULL, retries INTEGER NOT NULL,"
    " PRIMARY KEY (run_id, bucket_start_ns));"
    "CREATE TABLE latency_quantiles (run_id INTEGER NOT NULL REFERENCES runs (id)"
    " ON DELETE CASCADE, percent INTEGER NOT NULL CHECK (percent BETWEEN 0 AND 100),"
    " latency_ns INTEGER NOT NULL, PRIMARY KEY (run_id, percent));"
    "CREATE TABLE markers (run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    " t_ns INTEGER NOT NULL,"
    " kind TEXT NOT NULL CHECK (kind IN ('crash', 'restart', 'partition', 'heal')), node TEXT);"
    "CREATE INDEX markers_by_run ON markers (run_id);"
    "CREATE TABLE window_results (run_id INTEGER NOT NULL REFERENCES runs (id)"
    " ON DELETE CASCADE, window_start_ns INTEGER NOT NULL, window_end_ns INTEGER NOT NULL,"
    " key TEXT NOT NULL, value REAL NOT NULL, emitted_at_ns INTEGER NOT NULL,"
    " final INTEGER NOT NULL CHECK (final IN (0, 1)));"
    "CREATE INDEX window_results_by_run ON window_results (run_id);"
    "CREATE TABLE agreement (run_id INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,"
    " algorithm TEXT NOT NULL, n INTEGER NOT NULL, m INTEGER NOT NULL, traitors TEXT NOT NULL,"
    " strategy TEXT NOT NULL, ic1 INTEGER NOT NULL, ic2 INTEGER NOT NULL, rounds INTEGER,"
    " messages INTEGER, bytes INTEGER, signatures_made INTEGER, signatures_verified INTEGER,"
    " signatures_rejected INTEGER, decisions TEXT);"
    "CREATE TABLE events (run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    " seq INTEGER NOT NULL, t_ns INTEGER NOT NULL, kind TEXT NOT NULL, node INTEGER,"
    " peer INTEGER, msg_id INTEGER, arg INTEGER, code INTEGER NOT NULL, label TEXT,"
    " reason TEXT, PRIMARY KEY (run_id, seq));"
    "PRAGMA user_version = 2;";

/* Schema v1 (analysis/store.c before v2): runs without params, and outcomes. */
static const char fx_schema_v1[] =
    "CREATE TABLE runs (id INTEGER PRIMARY KEY, scenario TEXT NOT NULL,"
    " scenario_hash TEXT NOT NULL, seed INTEGER NOT NULL, protocol TEXT NOT NULL,"
    " trace_hash TEXT NOT NULL, sim_end_ns INTEGER, events INTEGER,"
    " status TEXT NOT NULL CHECK (status IN ('ok', 'violated', 'error')),"
    " UNIQUE (scenario_hash, seed, protocol));"
    "CREATE TABLE outcomes (run_id INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,"
    " sent INTEGER NOT NULL, delivered INTEGER NOT NULL, lost INTEGER NOT NULL,"
    " duplicated INTEGER NOT NULL, retries INTEGER NOT NULL, messages INTEGER NOT NULL,"
    " latency_p50_ns INTEGER NOT NULL, latency_p99_ns INTEGER NOT NULL,"
    " recovery_ns INTEGER NOT NULL, crashes INTEGER NOT NULL,"
    " matches_reference INTEGER NOT NULL CHECK (matches_reference IN (0, 1)),"
    " keys_mismatched INTEGER NOT NULL);"
    "PRAGMA user_version = 1;";

/* The windows figure's proposed additions (not in schema v2). */
static const char fx_schema_windows_ext[] =
    "ALTER TABLE window_results ADD COLUMN time_domain TEXT NOT NULL DEFAULT 'event'"
    " CHECK (time_domain IN ('event', 'processing'));"
    "CREATE TABLE watermarks (run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    " t_ns INTEGER NOT NULL, watermark_ns INTEGER NOT NULL, late_dropped INTEGER NOT NULL,"
    " PRIMARY KEY (run_id, t_ns));";

/* Runs SQL formatted by sqlite3_vmprintf (%Q quotes a string); aborts the test process
 * on an error (fixtures must load). No printf format attribute: %Q is SQLite's own. */
static void fx_exec(sqlite3 *db, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *sql = sqlite3_vmprintf(fmt, ap);
    va_end(ap);
    char *msg = NULL;
    if (!sql || sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "fixture SQL failed: %s\n  %s\n", msg ? msg : "out of memory",
                sql ? sql : "");
        abort();
    }
    sqlite3_free(sql);
}

/* A new database at path with the given schema, in an open transaction. */
static sqlite3 *fx_db_create_with(const char *path, const char *schema, const char *ext) {
    remove(path);
    sqlite3 *db = NULL;
    if (sqlite3_open(path, &db) != SQLITE_OK) {
        fprintf(stderr, "cannot create %s\n", path);
        abort();
    }
    fx_exec(db, "%s", schema);
    if (ext) fx_exec(db, "%s", ext);
    fx_exec(db, "BEGIN");
    return db;
}

/* A new database at path with the v2 schema (and the windows additions when asked). */
static sqlite3 *fx_db_create(const char *path, bool windows_ext) {
    return fx_db_create_with(path, fx_schema_v2, windows_ext ? fx_schema_windows_ext : NULL);
}

static void fx_db_close(sqlite3 *db) {
    fx_exec(db, "COMMIT");
    sqlite3_close(db);
}

/* A run; returns its id. params is the canonical sorted "key=value,..." ('' = none;
 * NULL: a schema v1 database, which has no params column). */
static int64_t fx_run(sqlite3 *db, const char *scenario, uint64_t seed, const char *protocol,
                      const char *params) {
    if (!params) {
        fx_exec(db,
                "INSERT INTO runs (scenario, scenario_hash, seed, protocol, trace_hash,"
                " sim_end_ns, events, status) VALUES (%Q, %Q, %lld, %Q, 'ab', 1, 1, 'ok')",
                scenario, scenario, (long long)seed, protocol);
        return sqlite3_last_insert_rowid(db);
    }
    fx_exec(db,
            "INSERT INTO runs (scenario, scenario_hash, seed, protocol, trace_hash, sim_end_ns,"
            " events, status, params) VALUES (%Q, %Q, %lld, %Q, 'ab', 1, 1, 'ok', %Q)",
            scenario, scenario, (long long)seed, protocol, params);
    return sqlite3_last_insert_rowid(db);
}

static void fx_outcome(sqlite3 *db, int64_t run, uint64_t sent, uint64_t lost, uint64_t dup) {
    fx_exec(db,
            "INSERT INTO outcomes VALUES (%lld, %llu, %llu, %llu, %llu, 0, %llu, 2000000,"
            " 9000000, 0, 0, 1, 0)",
            (long long)run, (unsigned long long)sent, (unsigned long long)(sent - lost),
            (unsigned long long)lost, (unsigned long long)dup, (unsigned long long)(4 * sent));
}

#endif
