/* The scenarios table of the results store (schema 6, docs/results-schema.md): one row
 * per scenario file hash, written in the transaction of each plain run (params "") of
 * that file and replaced by the next, so it always describes the file the hash names:
 * its own seed, the source's duration, the failures it injects and what a window row's
 * value is. The figures read it when present (analysis/plot*.c); nothing else does. */
#include <string.h>

#include "store_internal.h"

static const char res_put_scenario_sql[] =
    "INSERT INTO scenarios (scenario_hash, scenario, seed, duration_ns, faults,"
    " window_aggregate, window_value, about) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
    " ON CONFLICT (scenario_hash) DO UPDATE SET scenario = ?2, seed = ?3, duration_ns = ?4,"
    " faults = ?5, window_aggregate = ?6, window_value = ?7, about = ?8";

int res_put_scenario(struct res_db *db, const struct res_run *r, struct ft_error *err) {
    const struct res_scenario *f = r->file;
    if (!db->put_scenario &&
        sqlite3_prepare_v3(db->db, res_put_scenario_sql, -1, SQLITE_PREPARE_PERSISTENT,
                           &db->put_scenario, NULL) != SQLITE_OK)
        return res_sql_fail(db, err, "cannot prepare the scenario row");
    if (f->duration_ns > INT64_MAX)
        return ft_fail(err, FT_ELIMIT, "results store: a scenario duration exceeds the limit");
    sqlite3_stmt *st = db->put_scenario;
    sqlite3_bind_text(st, 1, r->scenario_hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->scenario, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, res_u64_bits(f->seed));
    if (f->duration_ns) sqlite3_bind_int64(st, 4, (int64_t)f->duration_ns);
    sqlite3_bind_text(st, 5, f->faults ? f->faults : "", -1, SQLITE_STATIC);
    if (f->window_aggregate) sqlite3_bind_text(st, 6, f->window_aggregate, -1, SQLITE_STATIC);
    if (f->window_value) sqlite3_bind_text(st, 7, f->window_value, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, f->about ? f->about : "", -1, SQLITE_STATIC);
    return res_step(db, st, NULL, "cannot store the scenario row", err);
}
