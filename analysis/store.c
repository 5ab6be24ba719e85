/* The results store (DESIGN.md §8, docs/results-schema.md): SQLite through prepared
 * statements with bound parameters only. res_open migrates the schema forward from
 * res_migrations[] inside one transaction and refuses newer files; WAL mode and a busy
 * timeout let several processes write one file. res_store_run is one BEGIN IMMEDIATE
 * transaction, so a failure leaves no half row. Seeds (uint64) are stored as the int64
 * with the same 64 bits; SQL shows them unsigned with printf('%u', seed). */
#include "store.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if SQLITE_VERSION_NUMBER < 3035000
#error "the results store needs SQLite >= 3.35 (INSERT ... RETURNING)"
#endif

#define RES_BUSY_TIMEOUT_MS 5000
#define RES_RETRY_MS 10

/* Migration i takes a database from schema version i to i + 1. Never edit a released
 * entry: a schema change is a new entry and RES_SCHEMA_VERSION + 1. */
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
};

_Static_assert(sizeof res_migrations / sizeof res_migrations[0] == RES_SCHEMA_VERSION,
               "one migration per schema version");

/* A rerun of (scenario_hash, seed, protocol) keeps its row and id, and replaces the rest. */
static const char res_put_run_sql[] =
    "INSERT INTO runs (scenario, scenario_hash, seed, protocol, trace_hash, sim_end_ns,"
    " events, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
    " ON CONFLICT (scenario_hash, seed, protocol) DO UPDATE SET"
    " scenario = excluded.scenario, trace_hash = excluded.trace_hash,"
    " sim_end_ns = excluded.sim_end_ns, events = excluded.events, status = excluded.status"
    " RETURNING id";

/* Parameters ?2.. follow the order of res_outcome_cols(). */
static const char res_put_outcome_sql[] =
    "INSERT OR REPLACE INTO outcomes (run_id, sent, delivered, lost, duplicated, retries,"
    " messages, latency_p50_ns, latency_p99_ns, recovery_ns, crashes, matches_reference,"
    " keys_mismatched) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";

#define RES_OUTCOME_COLS 12

struct res_col {
    const char *name;
    uint64_t v;
};

struct res_db {
    sqlite3 *db;
    sqlite3_stmt *put_run;
    sqlite3_stmt *put_outcome;
    char *path;
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

/* The int64 with the same bits as v: how a uint64 seed is stored. */
static int64_t res_u64_bits(uint64_t v) {
    int64_t s;
    memcpy(&s, &v, sizeof s);
    return s;
}

static int res_sql_fail(const struct res_db *db, struct ft_error *err, const char *what) {
    return ft_fail(err, FT_EDB, "results store %s: %s: %s", db->path, what, sqlite3_errmsg(db->db));
}

static int res_exec(struct res_db *db, const char *sql, const char *what, struct ft_error *err) {
    if (sqlite3_exec(db->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return res_sql_fail(db, err, what);
    return 0;
}

/* Rolls back the open transaction, if any; the error already reported wins. */
static void res_rollback(struct res_db *db) {
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

static int res_prepare(struct res_db *db, struct ft_error *err) {
    unsigned flags = SQLITE_PREPARE_PERSISTENT;
    if (sqlite3_prepare_v3(db->db, res_put_run_sql, -1, flags, &db->put_run, NULL) != SQLITE_OK ||
        sqlite3_prepare_v3(db->db, res_put_outcome_sql, -1, flags, &db->put_outcome, NULL) !=
            SQLITE_OK)
        return res_sql_fail(db, err, "cannot prepare statements");
    return 0;
}

static int res_connect(struct res_db *db, struct ft_error *err) {
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(db->path, &db->db, flags, NULL) != SQLITE_OK)
        return res_sql_fail(db, err, "cannot open");
    sqlite3_extended_result_codes(db->db, 1);
    if (sqlite3_busy_timeout(db->db, RES_BUSY_TIMEOUT_MS) != SQLITE_OK)
        return res_sql_fail(db, err, "cannot set the busy timeout");
    return res_exec(db, "PRAGMA foreign_keys = ON", "cannot enable foreign keys", err);
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
    if (!rc) rc = res_migrate(db, err);
    if (!rc) rc = res_enable_wal(db, err);
    if (!rc) rc = res_prepare(db, err);
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
    sqlite3_finalize(db->put_outcome);
    sqlite3_close(db->db);
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
    return rc;
}

/* Steps a bound insert; for RETURNING statements, *id gets the first column. */
static int res_step(struct res_db *db, sqlite3_stmt *st, int64_t *id, const char *what,
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

static int res_put_run(struct res_db *db, const struct res_run *r, int64_t *id,
                       struct ft_error *err) {
    sqlite3_stmt *st = db->put_run;
    const struct exp_outcome *o = r->outcome;
    sqlite3_bind_text(st, 1, r->scenario, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->scenario_hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, res_u64_bits(r->seed));
    sqlite3_bind_text(st, 4, r->protocol, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, o->trace_hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, (int64_t)o->end_ns);
    sqlite3_bind_int64(st, 7, (int64_t)o->events);
    sqlite3_bind_text(st, 8, r->status, -1, SQLITE_STATIC);
    *id = -1;
    int rc = res_step(db, st, id, "cannot store the run", err);
    if (!rc && *id < 0)
        return ft_fail(err, FT_EDB, "results store %s: no run id returned", db->path);
    return rc;
}

static int res_put_outcome(struct res_db *db, int64_t run_id, const struct exp_outcome *o,
                           struct ft_error *err) {
    sqlite3_stmt *st = db->put_outcome;
    struct res_col cols[RES_OUTCOME_COLS];
    res_outcome_cols(o, cols);
    sqlite3_bind_int64(st, 1, run_id);
    for (int i = 0; i < RES_OUTCOME_COLS; i++)
        sqlite3_bind_int64(st, i + 2, (int64_t)cols[i].v);
    return res_step(db, st, NULL, "cannot store the outcome", err);
}

int res_store_run(struct res_db *db, const struct res_run *r, int64_t *run_id,
                  struct ft_error *err) {
    if (!db || !r) return ft_fail(err, FT_EINVAL, "res_store_run: db and run are required");
    int rc = res_check_run(r, err);
    if (rc) return rc;
    int64_t id = -1;
    rc = res_exec(db, "BEGIN IMMEDIATE", "cannot start the transaction", err);
    if (!rc) rc = res_put_run(db, r, &id, err);
    if (!rc) rc = res_put_outcome(db, id, r->outcome, err);
    if (!rc) rc = res_exec(db, "COMMIT", "cannot commit the run", err);
    if (rc) {
        res_rollback(db);
        return rc;
    }
    if (run_id) *run_id = id;
    return 0;
}
