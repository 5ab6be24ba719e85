/* The results store (DESIGN.md §8, docs/results-schema.md): one SQLite file, schema
 * versioned with PRAGMA user_version and migrated forward on open, WAL mode, one
 * transaction per run — a run's rows in every table are written together or not at
 * all, so a killed run leaves no half row. Shard databases merge into one (res_merge)
 * and any table exports as CSV (res_export_csv). */
#ifndef FTSIM_STORE_H
#define FTSIM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "experiment.h"

#define RES_SCHEMA_VERSION 7
#define RES_PARAMS_MAX 4096u         /* bytes of a run's params string */
#define RES_CHILD_ROWS_MAX 50000000u /* rows of one child table for one run */

struct res_db;

/* One row of window_results: a window's aggregate as a sink emitted it. */
struct res_window {
    int64_t window_start_ns, window_end_ns; /* [start, end) in event time; may start < 0 */
    const char *key;                         /* NULL: the window has no key */
    double value;
    uint64_t emitted_at_ns; /* processing time of the emission */
    bool final;             /* the window was finalised (watermark passed) */
    bool by_processing_time; /* time_domain 'processing': assigned by arrival, not event time */
};

/* A row of watermarks: the query's watermark (event time) at processing time t_ns, and
 * the late contributions dropped so far. */
struct res_watermark {
    uint64_t t_ns;
    int64_t watermark_ns;
    uint64_t late_dropped;
};

/* A row of lambda_views: the lambda architecture's served view against the reference
 * at processing time t_ns, for one key or (key NULL) the total over all keys. */
struct res_lambda {
    uint64_t t_ns;
    const char *key; /* NULL: the total */
    uint64_t served, reference;
    bool has_batch;    /* false: no batch view yet (batch_ns stored as NULL) */
    uint64_t batch_ns; /* the served batch view's snapshot time */
    uint64_t staleness_ns;
};

/* The row of agreement: one Byzantine agreement run. */
struct res_agreement {
    const char *algorithm; /* "om", "sm", "dolev-strong" */
    uint32_t n, m;         /* generals, traitors tolerated (the algorithm's m) */
    const char *traitors;  /* comma-separated node ids, "" for none */
    const char *strategy;  /* traitor strategy name, NULL for none */
    bool ic1, ic2;
    uint64_t rounds, messages, bytes;
    uint64_t signatures_made, signatures_verified, signatures_rejected;
    const char *decisions; /* JSON array of {"node":id,"decision":"attack"|"retreat"} */
};

/* The scenario file a run came from, as the figures use it (table scenarios, keyed by
 * the file's hash): stored with every plain run (params ""), replacing the row. */
struct res_scenario {
    uint64_t seed;                /* the file's seed: (what `ftsim run` uses without --seed) */
    uint64_t duration_ns;         /* the source's duration; 0: none (a Byzantine scenario) */
    const char *faults;           /* comma-separated failures the file injects ("crash,drop"), "" */
    const char *window_aggregate; /* "count", "sum", "mean", "min", "max"; NULL: no query */
    const char *window_value;     /* a window row's value in words ("count of ... per
                                     host"); NULL without a window query */
    const char *about;            /* the file's about: text ("" when none) */
};

/* One run and, optionally, its child rows; every pointer after `outcome` may be NULL
 * (with its count 0), which stores no rows in that table. */
struct res_run {
    const char *scenario;      /* scenario name */
    const char *scenario_hash; /* BLAKE2b of the scenario file, hex */
    uint64_t seed;
    const char *protocol; /* delivery protocol, or the agreement algorithm */
    const char *status;   /* "ok", "violated", "error" */
    const struct exp_outcome *outcome;
    const char *params; /* canonical sorted "key=value,..." of a sweep's --set; NULL = "" */
    const struct exp_stats *stats; /* -> timeseries, latency_quantiles, markers */
    const struct res_window *windows;
    size_t nwindows;
    const struct res_watermark *watermarks;
    size_t nwatermarks;
    const struct res_lambda *lambda;
    size_t nlambda;
    const struct res_agreement *agreement;
    const struct sim_trace_rec *events; /* the full trace, in order (seq = index) */
    size_t nevents;
    /* optional: a name for an event's code (e.g. the message kind), stored as label */
    const char *(*event_label)(const struct sim_trace_rec *r);
    const struct res_scenario *file; /* optional: the scenario file (plain runs only) */
};

/* Opens (creating or migrating) the database at path, for writing. Refused before
 * anything is written, the file left byte-identical, with FT_EPARSE: a file that is
 * not SQLite, an SQLite file with tables but no ftsim schema (another program's
 * database), a user_version newer than RES_SCHEMA_VERSION. The switch to WAL mode is
 * the last step, after the migration committed. */
int res_open(const char *path, struct res_db **out, struct ft_error *err);
/* Opens an existing results database for reading only, for `plot`, `export` and
 * merge's inputs: no migration, no journal-mode switch, no lock a writer would wait
 * on, no -wal/-shm left beside it (store_read.c says how). An older schema is read as
 * it is. FT_EIO: missing or unreadable; FT_EPARSE: not an ftsim results database (not
 * SQLite, another program's tables, a newer schema); FT_EDB: SQLite failed. */
struct sqlite3;
int res_open_readonly(const char *path, struct sqlite3 **out, struct ft_error *err);
void res_close(struct res_db *db);
/* Stores one run and all its child rows in one transaction; *run_id gets the row id.
 * Storing the same (scenario_hash, params, seed, protocol) again keeps the id and
 * replaces the run's values and every child row. */
int res_store_run(struct res_db *db, const struct res_run *r, int64_t *run_id,
                  struct ft_error *err);
/* *has = a run with this key is stored. params NULL means "". */
int res_has_run(struct res_db *db, const char *scenario_hash, const char *params, uint64_t seed,
                const char *protocol, bool *has, struct ft_error *err);

/* Merges the database at shard_path into db in one transaction: runs whose key
 * (scenario_hash, params, seed, protocol) db lacks are copied with every child row;
 * runs db already has with the same trace hash are skipped (merging twice changes
 * nothing). Refused with FT_EPARSE and nothing changed: a shard of another schema
 * version, a scenario name whose hash differs between the two, a run stored in both
 * with different trace hashes. *added / *skipped (optional) count runs. */
int res_merge(struct res_db *db, const char *shard_path, uint64_t *added, uint64_t *skipped,
              struct ft_error *err);

/* The tables res_export_csv accepts, NULL-terminated. */
extern const char *const res_tables[];
/* Writes table (one of res_tables) as CSV with a header line to out (RFC 4180: CRLF
 * line ends; fields with a comma, quote, CR or LF quoted, quotes doubled; NULL as an
 * empty field). where (optional) is an SQL expression over the table's columns; it
 * runs on a read-only connection that allows only reading (see docs). Rows come in
 * primary-key order. FT_EINVAL for an unknown table, FT_EPARSE for a bad where. */
int res_export_csv(const char *path, const char *table, const char *where, FILE *out,
                   uint64_t *rows, struct ft_error *err);

#endif
