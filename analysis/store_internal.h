/* Internals of the results store shared by store.c (opening, statements),
 * store_schema.c (migrations), store_write.c (writing runs), store_read.c (readers),
 * store_merge.c (merging shard databases) and store_export.c (CSV). Not a public API:
 * callers use store.h. */
#ifndef FTSIM_STORE_INTERNAL_H
#define FTSIM_STORE_INTERNAL_H

#include <sqlite3.h>
#include <stdint.h>

#include "store.h"

#define RES_BUSY_TIMEOUT_MS 5000
#define RES_RETRY_MS 10
#define RES_BATCH 32 /* rows per multi-row INSERT */

/* Child tables: every table with a run_id column, deleted with their run. The time
 * series and quantiles are one row per run (the views timeseries and latency_quantiles
 * unpack them). */
enum res_child {
    RES_OUTCOMES,
    RES_TIMESERIES,
    RES_QUANTILES,
    RES_MARKERS,
    RES_WINDOWS,
    RES_AGREEMENT,
    RES_EVENTS,
    RES_WATERMARKS,
    RES_LAMBDA,
    RES_MODEL,
    RES_NCHILD
};
extern const char *const res_child_tables[RES_NCHILD];
extern const int res_child_ncols[RES_NCHILD]; /* columns of each, run_id included (store.c) */

struct res_db {
    sqlite3 *db;
    sqlite3_stmt *put_run, *update_run, *has_run;
    sqlite3_stmt *put_scenario;     /* prepared on first use (store_scenario.c) */
    sqlite3_stmt *put[RES_NCHILD];  /* one row */
    sqlite3_stmt *putn[RES_NCHILD]; /* RES_BATCH rows (NULL for one-row tables) */
    sqlite3_stmt *del[RES_NCHILD];
    char *json; /* a run's time series or quantiles as JSON text, being written */
    size_t json_cap;
    char *path;
};

int res_sql_fail(const struct res_db *db, struct ft_error *err, const char *what);
/* store_schema.c: applies the missing migrations and sets user_version in one
 * transaction (FT_EDB for a newer or foreign schema); then switches the file to WAL,
 * retrying while another process holds the lock. 0 or a negative FT_E* with err filled. */
int res_migrate(struct res_db *db, struct ft_error *err);
int res_enable_wal(struct res_db *db, struct ft_error *err);
/* "file:PATH?params" with PATH percent-escaped as SQLite's URI names need; -1 if it
 * does not fit (store_read.c). */
int res_uri(const char *path, const char *params, char *buf, size_t size);
/* 0 when db is an ftsim results database of a version this ftsim reads, or new and
 * empty; FT_EPARSE naming path otherwise (another program's tables, a newer schema,
 * not SQLite); FT_EDB when it cannot be read (store_read.c). */
int res_check_ftsim(sqlite3 *db, const char *path, struct ft_error *err);
/* The URI parameters a reader opens path with: "immutable=1" for a WAL file without a
 * -wal file beside it, else "mode=ro" (store_read.c). */
const char *res_read_params(const char *path);
int res_exec(struct res_db *db, const char *sql, const char *what, struct ft_error *err);
/* Rolls back the open transaction, if any; the error already reported wins. */
void res_rollback(struct res_db *db);
/* The int64 with the same bits as v: how a uint64 seed is stored. */
int64_t res_u64_bits(uint64_t v);
/* Steps a bound statement to completion; for RETURNING statements *id gets the first
 * column of the row. Resets and clears the bindings either way. */
int res_step(struct res_db *db, sqlite3_stmt *st, int64_t *id, const char *what,
             struct ft_error *err);
/* Writes r->file as the scenarios row of r->scenario_hash (inside the run's
 * transaction). */
int res_put_scenario(struct res_db *db, const struct res_run *r, struct ft_error *err);

#endif
