/* Merging a shard database into the results store (DESIGN.md §9, docs/scale-out.md).
 * The shard is ATTACHed to the store's own connection and copied in one transaction:
 * first every check (schema version, scenario hashes, conflicting runs) with nothing
 * written, then the runs the store lacks, then their child rows with run ids mapped
 * through a temporary table. A run both have with the same trace hash is skipped, so
 * merging twice (or merging overlapping shards) changes nothing. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store_internal.h"

#define SHARD "ftsim_shard" /* the attached schema's name */
#define KEY_MATCH(a, b)                                                                            \
    a ".scenario_hash = " b ".scenario_hash AND " a ".params = " b ".params AND " a ".seed = " b   \
      ".seed AND " a ".protocol = " b ".protocol"

/* A statement's first row as up to 4 text columns; *found = there was a row. */
static int merge_query(struct res_db *db, const char *sql, char out[][96], int ncols, bool *found,
                       struct ft_error *err) {
    sqlite3_stmt *st = NULL;
    *found = false;
    if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK)
        return res_sql_fail(db, err, "cannot check the shard");
    int rc = sqlite3_step(st);
    *found = rc == SQLITE_ROW;
    for (int i = 0; *found && i < ncols; i++) {
        const unsigned char *t = sqlite3_column_text(st, i);
        snprintf(out[i], 96, "%s", t ? (const char *)t : "");
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return res_sql_fail(db, err, "cannot check the shard");
    return 0;
}

static int merge_check_version(struct res_db *db, const char *shard, struct ft_error *err) {
    char v[1][96];
    bool found;
    int rc = merge_query(db, "SELECT count(*) FROM " SHARD ".sqlite_schema", v, 1, &found, err);
    if (rc)
        return ft_fail(err, FT_EPARSE, "cannot merge %s: it is not an SQLite database (%s)", shard,
                       sqlite3_errmsg(db->db));
    rc = merge_query(db, "PRAGMA " SHARD ".user_version", v, 1, &found, err);
    if (rc) return rc;
    int version = found ? atoi(v[0]) : 0;
    if (version == 0)
        return ft_fail(err, FT_EPARSE,
                       "cannot merge %s: it is not an ftsim results database (schema version 0)",
                       shard);
    if (version != RES_SCHEMA_VERSION)
        return ft_fail(err, FT_EPARSE,
                       "cannot merge %s: its schema version is %d, but %s has schema version %d; "
                       "run every shard with the same ftsim (opening %s with this ftsim, e.g. "
                       "'ftsim export', migrates an older file)",
                       shard, version, db->path, RES_SCHEMA_VERSION, shard);
    return 0;
}

/* A scenario name the store knows, which the shard has under a hash the store never saw
 * for that name: the shards ran different versions of the scenario file. */
static int merge_check_hashes(struct res_db *db, const char *shard, struct ft_error *err) {
    static const char sql[] =
        "SELECT s.scenario, s.scenario_hash, (SELECT m.scenario_hash FROM main.runs m"
        " WHERE m.scenario = s.scenario ORDER BY m.id LIMIT 1)"
        " FROM (SELECT DISTINCT scenario, scenario_hash FROM " SHARD ".runs) s"
        " WHERE EXISTS (SELECT 1 FROM main.runs m WHERE m.scenario = s.scenario)"
        " AND NOT EXISTS (SELECT 1 FROM main.runs m WHERE m.scenario = s.scenario"
        " AND m.scenario_hash = s.scenario_hash) ORDER BY 1, 2 LIMIT 1";
    char v[3][96];
    bool found;
    int rc = merge_query(db, sql, v, 3, &found, err);
    if (rc || !found) return rc;
    return ft_fail(err, FT_EPARSE,
                   "cannot merge %s: scenario '%s' has hash %.16s... there but %.16s... in %s; "
                   "the shards ran different versions of the scenario file",
                   shard, v[0], v[1], v[2], db->path);
}

static int merge_check_conflicts(struct res_db *db, const char *shard, struct ft_error *err) {
    static const char sql[] =
        "SELECT s.scenario, s.params, printf('%u', s.seed), s.protocol, s.trace_hash,"
        " m.trace_hash FROM " SHARD ".runs s JOIN main.runs m ON " KEY_MATCH(
            "m", "s") " WHERE m.trace_hash <> s.trace_hash ORDER BY s.id LIMIT 1";
    char v[6][96];
    bool found;
    int rc = merge_query(db, sql, v, 6, &found, err);
    if (rc || !found) return rc;
    return ft_fail(err, FT_EPARSE,
                   "cannot merge %s: the run (scenario %s, params '%s', seed %s, protocol %s) "
                   "has trace hash %.16s... there but %.16s... in %s; results from different "
                   "builds or files must not mix",
                   shard, v[0], v[1], v[2], v[3], v[4], v[5], db->path);
}

/* "a, b, c" of table's columns except run_id, each quoted. */
static int merge_columns(struct res_db *db, const char *table, char *out, size_t size,
                         struct ft_error *err) {
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT name FROM pragma_table_info('%s') ORDER BY cid", table);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK)
        return res_sql_fail(db, err, "cannot read the table's columns");
    size_t o = 0;
    out[0] = '\0';
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *c = (const char *)sqlite3_column_text(st, 0);
        if (!c || !strcmp(c, "run_id")) continue;
        o += (size_t)snprintf(out + o, o < size ? size - o : 0, ", \"%s\"", c);
    }
    sqlite3_finalize(st);
    if (o >= size) return ft_fail(err, FT_ELIMIT, "merge: table %s has too many columns", table);
    return 0;
}

static int merge_copy(struct res_db *db, struct ft_error *err) {
    static const char runs_sql[] =
        "CREATE TEMP TABLE ftsim_merge_map (old_id INTEGER PRIMARY KEY, new_id INTEGER);"
        "INSERT INTO temp.ftsim_merge_map (old_id) SELECT s.id FROM " SHARD ".runs s"
        " WHERE NOT EXISTS (SELECT 1 FROM main.runs m WHERE " KEY_MATCH(
            "m", "s") ");"
                      "INSERT INTO main.runs (scenario, scenario_hash, params, seed, protocol, "
                      "trace_hash,"
                      " sim_end_ns, events, status) SELECT s.scenario, s.scenario_hash, s.params, "
                      "s.seed,"
                      " s.protocol, s.trace_hash, s.sim_end_ns, s.events, s.status FROM " SHARD
                      ".runs s"
                      " JOIN temp.ftsim_merge_map map ON map.old_id = s.id ORDER BY s.id;"
                      "UPDATE temp.ftsim_merge_map SET new_id = (SELECT m.id FROM main.runs m "
                      "JOIN " SHARD
                      ".runs s ON " KEY_MATCH("m", "s") " WHERE s.id = ftsim_merge_map.old_id);";
    int rc = res_exec(db, runs_sql, "cannot copy the shard's runs", err);
    /* the scenario files: a hash names one file, so a row either side has is the same */
    if (!rc)
        rc = res_exec(db, "INSERT OR IGNORE INTO main.scenarios SELECT * FROM " SHARD ".scenarios",
                      "cannot copy the shard's scenarios", err);
    for (int i = 0; !rc && i < RES_NCHILD; i++) {
        char cols[1024], sql[2600];
        const char *t = res_child_tables[i];
        if ((rc = merge_columns(db, t, cols, sizeof cols, err))) break;
        snprintf(sql, sizeof sql,
                 "INSERT INTO main.%s (run_id%s) SELECT map.new_id%s FROM " SHARD
                 ".%s JOIN temp.ftsim_merge_map map ON map.old_id = " SHARD ".%s.run_id",
                 t, cols, cols, t, t);
        rc = res_exec(db, sql, "cannot copy the shard's rows", err);
    }
    return rc;
}

static int merge_count(struct res_db *db, const char *sql, uint64_t *n, struct ft_error *err) {
    char v[1][96];
    bool found;
    int rc = merge_query(db, sql, v, 1, &found, err);
    if (!rc) *n = found ? strtoull(v[0], NULL, 10) : 0;
    return rc;
}

/* Refuses a missing shard (ATTACH would create it) and the store itself. */
static int merge_check_file(struct res_db *db, const char *shard, struct ft_error *err) {
    struct stat st;
    if (stat(shard, &st) != 0)
        return ft_fail(err, FT_EIO, "cannot merge %s: %s", shard, strerror(errno));
    if (!S_ISREG(st.st_mode)) return ft_fail(err, FT_EIO, "cannot merge %s: not a file", shard);
    char a[PATH_MAX], b[PATH_MAX];
    if (realpath(shard, a) && realpath(db->path, b) && !strcmp(a, b))
        return ft_fail(err, FT_EINVAL, "cannot merge %s into itself", shard);
    return 0;
}

/* The shard is an input: checked through the read-only open (an ftsim database, no
 * migration), then attached read-only, so merging never changes it. */
static int merge_attach(struct res_db *db, const char *shard, struct ft_error *err) {
    sqlite3 *ro = NULL;
    int ok = res_open_readonly(shard, &ro, err);
    sqlite3_close(ro);
    if (ok) return ok;
    char uri[8192];
    if (res_uri(shard, res_read_params(shard), uri, sizeof uri) != 0)
        return ft_fail(err, FT_ELIMIT, "cannot merge %s: the path is too long", shard);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->db, "ATTACH DATABASE ?1 AS " SHARD, -1, &st, NULL) != SQLITE_OK)
        return res_sql_fail(db, err, "cannot attach the shard");
    sqlite3_bind_text(st, 1, uri, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return ft_fail(err, FT_EDB, "cannot merge %s: %s", shard, sqlite3_errmsg(db->db));
    return 0;
}

static int merge_in_transaction(struct res_db *db, const char *shard, uint64_t *added,
                                uint64_t *skipped, struct ft_error *err) {
    uint64_t total = 0;
    int rc = merge_check_version(db, shard, err);
    if (!rc) rc = merge_check_hashes(db, shard, err);
    if (!rc) rc = merge_check_conflicts(db, shard, err);
    if (!rc) rc = merge_copy(db, err);
    if (!rc) rc = merge_count(db, "SELECT count(*) FROM temp.ftsim_merge_map", added, err);
    if (!rc) rc = merge_count(db, "SELECT count(*) FROM " SHARD ".runs", &total, err);
    if (!rc) *skipped = total - *added;
    return rc;
}

int res_merge(struct res_db *db, const char *shard_path, uint64_t *added, uint64_t *skipped,
              struct ft_error *err) {
    if (!db || !shard_path) return ft_fail(err, FT_EINVAL, "res_merge: db and shard are required");
    uint64_t a = 0, s = 0;
    int rc = merge_check_file(db, shard_path, err);
    if (!rc) rc = merge_attach(db, shard_path, err);
    if (rc) return rc;
    rc = res_exec(db, "BEGIN IMMEDIATE", "cannot start the merge", err);
    if (!rc) rc = merge_in_transaction(db, shard_path, &a, &s, err);
    if (!rc) rc = res_exec(db, "DROP TABLE temp.ftsim_merge_map", "cannot finish the merge", err);
    if (!rc) rc = res_exec(db, "COMMIT", "cannot commit the merge", err);
    if (rc) res_rollback(db);
    sqlite3_exec(db->db, "DETACH DATABASE " SHARD, NULL, NULL, NULL);
    if (rc) return rc;
    if (added) *added = a;
    if (skipped) *skipped = s;
    return 0;
}
