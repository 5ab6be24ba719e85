/* The results store (DESIGN.md §8): one SQLite file, schema versioned with
 * PRAGMA user_version and migrated forward on open, WAL mode, one transaction per
 * run, so a killed run leaves no half row. */
#ifndef FTSIM_STORE_H
#define FTSIM_STORE_H

#include <stdint.h>

#include "err.h"
#include "experiment.h"

#define RES_SCHEMA_VERSION 1

struct res_db;

struct res_run {
    const char *scenario;      /* scenario name */
    const char *scenario_hash; /* BLAKE2b of the scenario file, hex */
    uint64_t seed;
    const char *protocol;
    const char *status; /* "ok", "violated", "error" */
    const struct exp_outcome *outcome;
};

/* Opens (creating or migrating) the database at path. A database whose user_version
 * is newer than RES_SCHEMA_VERSION is refused with FT_EDB and a clear message. */
int res_open(const char *path, struct res_db **out, struct ft_error *err);
void res_close(struct res_db *db);
/* Stores one run and its outcome in one transaction; *run_id gets the new row id. */
int res_store_run(struct res_db *db, const struct res_run *r, int64_t *run_id,
                  struct ft_error *err);

#endif
