/* The data warehouse: a SQLite file with a declared schema (schema on write). Every
 * committed row is inserted into `readings`, whose NOT NULL and CHECK constraints are
 * the schema; a row SQLite refuses goes to `rejects` with its reason and its raw JSON,
 * so nothing is dropped silently. The verdict SQLite gives must equal the one the
 * in-simulation sink gave (pipe_warehouse_reason), and the aggregated table key_totals
 * (the sink's per-key counts and sums) must equal a GROUP BY over readings: either
 * disagreement is an internal error, never a quiet difference. The tables are
 * documented in docs/scenario-format.md (`sink`). */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lake.h"
#include "pipe_internal.h"
#include "sinks.h"

void pipe_warehouse_rejects(const struct pipe *p, uint64_t out[4]) {
    _Static_assert(SRC_DEFECTS == 4, "rejects: total + three reasons");
    memcpy(out, p->sinks->rejected, 4 * sizeof *out);
}

void pipe_sink_keep_rows(struct pipe *p, bool on) {
    p->sinks->keep = on || p->cfg.sink.kind != PIPE_SINK_WAREHOUSE;
}

static const char *const schema =
    "PRAGMA journal_mode = DELETE;"
    "CREATE TABLE meta(name TEXT PRIMARY KEY, value TEXT NOT NULL);"
    /* the fact table: one row per committed record copy the schema accepts */
    "CREATE TABLE readings("
    " rec INTEGER NOT NULL CHECK (typeof(rec) = 'integer' AND rec >= 0),"
    " key TEXT NOT NULL, key_id INTEGER NOT NULL CHECK (key_id >= 0),"
    " partition INTEGER NOT NULL CHECK (partition >= 0),"
    " offset INTEGER NOT NULL CHECK (offset >= 0),"
    " event_ns INTEGER NOT NULL CHECK (event_ns >= 0),"
    " created_ns INTEGER NOT NULL CHECK (created_ns >= 0),"
    " committed_ns INTEGER NOT NULL CHECK (committed_ns >= created_ns),"
    " worker TEXT NOT NULL,"
    " value INTEGER NOT NULL CHECK (typeof(value) = 'integer'"
    "  AND value BETWEEN -1000000000 AND 1000000000));"
    "CREATE TABLE rejects(rec INTEGER NOT NULL, key TEXT NOT NULL, partition INTEGER NOT NULL,"
    " committed_ns INTEGER NOT NULL,"
    " reason TEXT NOT NULL CHECK (reason IN ('missing', 'type', 'range')), raw TEXT NOT NULL);"
    /* the aggregated tables */
    "CREATE TABLE key_totals(key TEXT PRIMARY KEY, key_id INTEGER NOT NULL UNIQUE,"
    " rows INTEGER NOT NULL, sum_value INTEGER NOT NULL);"
    "CREATE TABLE load_stats(accepted INTEGER NOT NULL, rejected INTEGER NOT NULL,"
    " rejected_missing INTEGER NOT NULL, rejected_type INTEGER NOT NULL,"
    " rejected_range INTEGER NOT NULL);"
    "CREATE TABLE window_results(window_start_ns INTEGER NOT NULL,"
    " window_end_ns INTEGER NOT NULL, key TEXT NOT NULL, value REAL NOT NULL,"
    " emitted_at_ns INTEGER NOT NULL, final INTEGER NOT NULL CHECK (final IN (0, 1)),"
    " PRIMARY KEY (window_start_ns, key));";

_Static_assert(PIPE_WAREHOUSE_VALUE_MAX == 1000000000ll, "the CHECK in readings states it");

struct wh {
    sqlite3 *db;
    sqlite3_stmt *reading, *reject;
    const struct sinks *k;
    struct ft_error *err;
};

static int db_fail(struct wh *w, const char *what) {
    return ft_fail(w->err, FT_EDB, "warehouse: %s: %s", what, sqlite3_errmsg(w->db));
}

static int exec(struct wh *w, const char *sql) {
    char *msg = NULL;
    if (sqlite3_exec(w->db, sql, NULL, NULL, &msg) == SQLITE_OK) return 0;
    int rc = ft_fail(w->err, FT_EIO, "warehouse: %s", msg ? msg : "exec failed");
    sqlite3_free(msg);
    return rc;
}

/* Binds the value as the record carries it: absent, text, a glitch or the number. */
static void bind_value(sqlite3_stmt *st, int i, const struct sink_row *r) {
    switch (r->defect) {
    case SRC_DEFECT_MISSING:
        sqlite3_bind_null(st, i);
        break;
    case SRC_DEFECT_TYPE:
        sqlite3_bind_text(st, i, "n/a", -1, SQLITE_STATIC);
        break;
    case SRC_DEFECT_RANGE:
        sqlite3_bind_int64(st, i, SRC_GLITCH_VALUE);
        break;
    default:
        sqlite3_bind_int64(st, i, r->value);
        break;
    }
}

static int insert_row(struct wh *w, const struct sink_row *r) {
    char key[PIPE_ATTR_BYTES_MAX + 16], wname[PIPE_NAME_MAX];
    sqlite3_stmt *st = w->reading;
    src_key_name(&w->k->names, r->key, key, sizeof key);
    sqlite3_bind_int64(st, 1, (sqlite3_int64)r->rec);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, r->key);
    sqlite3_bind_int64(st, 4, r->partition);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)r->offset);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)r->event_ns);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)r->created_ns);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)r->committed_ns);
    sqlite3_bind_text(st, 9, pipe_node_name(w->k->cfg, r->worker, wname, sizeof wname), -1,
                      SQLITE_TRANSIENT);
    bind_value(st, 10, r);
    int s = sqlite3_step(st);
    sqlite3_reset(st);
    bool refused = s == SQLITE_CONSTRAINT;
    if (!refused && s != SQLITE_DONE) return db_fail(w, "inserting a reading");
    if (refused != (r->reason != 0))
        return ft_fail(w->err, FT_ESTATE,
                       "warehouse: record %llu: SQLite %s it, the sink %s it (reason %s)",
                       (unsigned long long)r->rec, refused ? "refused" : "accepted",
                       r->reason ? "rejected" : "accepted", src_defect_name(r->reason));
    if (!refused) return 0;
    char raw[SINK_JSON_BYTES];
    sinks_json(w->k, r, raw, sizeof raw);
    st = w->reject;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)r->rec);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, r->partition);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)r->committed_ns);
    sqlite3_bind_text(st, 5, src_defect_name(r->reason), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, raw, -1, SQLITE_TRANSIENT);
    s = sqlite3_step(st);
    sqlite3_reset(st);
    return s == SQLITE_DONE ? 0 : db_fail(w, "inserting a reject");
}

static int insert_meta(struct wh *w, const char *name, const char *value) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(w->db, "INSERT INTO meta VALUES (?, ?)", -1, &st, NULL) != SQLITE_OK)
        return db_fail(w, "meta");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_TRANSIENT);
    int s = sqlite3_step(st);
    sqlite3_finalize(st);
    return s == SQLITE_DONE ? 0 : db_fail(w, "meta");
}

static int write_meta(struct wh *w, const struct pipe_sink_meta *m) {
    char seed[32], maxv[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)m->seed);
    snprintf(maxv, sizeof maxv, "%lld", PIPE_WAREHOUSE_VALUE_MAX);
    int rc = insert_meta(w, "scenario", m->scenario ? m->scenario : "");
    if (!rc) rc = insert_meta(w, "protocol", m->protocol ? m->protocol : "");
    if (!rc) rc = insert_meta(w, "seed", seed);
    if (!rc) rc = insert_meta(w, "value_abs_max", maxv);
    return rc;
}

static int write_totals(struct wh *w, const uint64_t *counts) {
    const struct sinks *k = w->k;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(w->db, "INSERT INTO key_totals VALUES (?, ?, ?, ?)", -1, &st, NULL) !=
        SQLITE_OK)
        return db_fail(w, "key_totals");
    uint64_t accepted = 0;
    int rc = 0;
    for (uint32_t key = 0; key < k->cfg->source.keys && !rc; key++) {
        char name[PIPE_ATTR_BYTES_MAX + 16];
        sqlite3_bind_text(st, 1, src_key_name(&k->names, key, name, sizeof name), -1,
                          SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, key);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)counts[key]);
        sqlite3_bind_int64(st, 4, k->sum[key]);
        accepted += counts[key];
        if (sqlite3_step(st) != SQLITE_DONE) rc = db_fail(w, "key_totals");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (rc) return rc;
    char sql[256];
    snprintf(sql, sizeof sql, "INSERT INTO load_stats VALUES (%llu, %llu, %llu, %llu, %llu)",
             (unsigned long long)accepted, (unsigned long long)k->rejected[0],
             (unsigned long long)k->rejected[SRC_DEFECT_MISSING],
             (unsigned long long)k->rejected[SRC_DEFECT_TYPE],
             (unsigned long long)k->rejected[SRC_DEFECT_RANGE]);
    return exec(w, sql);
}

/* key_totals must be what readings add up to, and rejects what the sink counted. */
static int cross_check(struct wh *w) {
    static const char *const q =
        "SELECT (SELECT count(*) FROM key_totals t LEFT JOIN (SELECT key_id, count(*) AS n,"
        " sum(value) AS s FROM readings GROUP BY key_id) r USING (key_id)"
        " WHERE t.rows != coalesce(r.n, 0) OR t.sum_value != coalesce(r.s, 0)),"
        " (SELECT count(*) FROM rejects) - (SELECT rejected FROM load_stats)";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(w->db, q, -1, &st, NULL) != SQLITE_OK) return db_fail(w, "check");
    int rc = 0;
    if (sqlite3_step(st) != SQLITE_ROW)
        rc = db_fail(w, "check");
    else if (sqlite3_column_int64(st, 0) || sqlite3_column_int64(st, 1))
        rc =
            ft_fail(w->err, FT_ESTATE,
                    "warehouse: %lld keys' totals differ from their readings, rejects differ "
                    "by %lld",
                    (long long)sqlite3_column_int64(st, 0), (long long)sqlite3_column_int64(st, 1));
    sqlite3_finalize(st);
    return rc;
}

static int write_windows(struct wh *w, struct pipe *p) {
    struct win_row *rows;
    size_t n;
    if (!p->cfg.query.enabled) return 0;
    if (pipe_window_rows(p, &rows, &n) != 0)
        return ft_fail(w->err, FT_ENOMEM, "out of memory for the window table");
    sqlite3_stmt *st;
    int rc = 0;
    if (sqlite3_prepare_v2(w->db, "INSERT INTO window_results VALUES (?, ?, ?, ?, ?, ?)", -1, &st,
                           NULL) != SQLITE_OK)
        rc = db_fail(w, "window_results");
    for (size_t i = 0; i < n && !rc; i++) {
        char key[PIPE_ATTR_BYTES_MAX + 16];
        sqlite3_bind_int64(st, 1, rows[i].start_ns);
        sqlite3_bind_int64(st, 2, rows[i].end_ns);
        sqlite3_bind_text(st, 3, pipe_window_key_name(p, rows[i].key, key, sizeof key), -1,
                          SQLITE_TRANSIENT);
        sqlite3_bind_double(st, 4, rows[i].value);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)rows[i].emitted_at_ns);
        sqlite3_bind_int(st, 6, rows[i].final);
        if (sqlite3_step(st) != SQLITE_DONE) rc = db_fail(w, "window_results");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    free(rows);
    return rc;
}

static int fill(struct wh *w, struct pipe *p, const uint64_t *counts,
                const struct pipe_sink_meta *meta) {
    int rc = exec(w, schema);
    if (!rc) rc = exec(w, "BEGIN");
    if (!rc) rc = write_meta(w, meta);
    if (rc) return rc;
    if (sqlite3_prepare_v2(w->db, "INSERT INTO readings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1,
                           &w->reading, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(w->db, "INSERT INTO rejects VALUES (?, ?, ?, ?, ?, ?)", -1, &w->reject,
                           NULL) != SQLITE_OK)
        return db_fail(w, "preparing inserts");
    for (size_t i = 0; i < w->k->n && !rc; i++)
        rc = insert_row(w, &w->k->rows[i]);
    if (!rc) rc = write_totals(w, counts);
    if (!rc) rc = write_windows(w, p);
    if (!rc) rc = cross_check(w);
    if (!rc) rc = exec(w, "COMMIT");
    return rc;
}

static int warehouse_write(const struct sinks *k, struct pipe *p, const uint64_t *counts,
                           const char *dir, const struct pipe_sink_meta *meta,
                           struct ft_error *err) {
    char path[PIPE_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/warehouse.db", dir);
    if (unlink(path) != 0 && errno != ENOENT) /* a new file each run: same run, same rows */
        return ft_fail(err, FT_EIO, "cannot replace '%s': %s", path, strerror(errno));
    struct wh w = {.k = k, .err = err};
    if (sqlite3_open(path, &w.db) != SQLITE_OK) {
        int rc = ft_fail(err, FT_EIO, "cannot create '%s': %s", path,
                         w.db ? sqlite3_errmsg(w.db) : "out of memory");
        sqlite3_close(w.db);
        return rc;
    }
    int rc = fill(&w, p, counts, meta);
    sqlite3_finalize(w.reading);
    sqlite3_finalize(w.reject);
    if (sqlite3_close(w.db) != SQLITE_OK && !rc)
        rc = ft_fail(err, FT_EIO, "cannot close '%s'", path);
    if (rc) unlink(path); /* no half-written warehouse */
    return rc;
}

int pipe_sink_write(struct pipe *p, const char *dir, const struct pipe_sink_meta *meta,
                    struct ft_error *err) {
    const struct sinks *k = p->sinks;
    if (k->rc) return ft_fail(err, k->rc, "out of memory keeping the sink's rows");
    if (!k->keep)
        return ft_fail(err, FT_EINVAL, "the sink's rows were not kept (pipe_sink_keep_rows)");
    int rc = sinks_mkdir(dir, err);
    uint32_t nkeys;
    const uint64_t *counts = pipe_warehouse_counts(p, &nkeys);
    if (!rc && p->cfg.sink.kind != PIPE_SINK_WAREHOUSE) rc = lake_write(k, dir, err);
    if (!rc && p->cfg.sink.kind != PIPE_SINK_LAKE)
        rc = warehouse_write(k, p, counts, dir, meta, err);
    return rc;
}
