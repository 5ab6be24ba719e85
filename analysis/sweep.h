/* Sweeps (DESIGN.md §9, docs/scale-out.md): the canonical run list of a sweep — every
 * combination of --set values x protocols x seeds, numbered 0..nruns-1 in one fixed
 * order — the shard a run belongs to, and a pool of worker processes that compute
 * runs while the parent alone stores them. Nothing here knows of scenario files: the
 * caller computes a run from its index and stores its result. */
#ifndef FTSIM_SWEEP_H
#define FTSIM_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dlv.h"
#include "err.h"
#include "experiment.h"

#define SWEEP_KEYS_MAX 16u         /* --set keys */
#define SWEEP_VALUES_MAX 1000u     /* values of one key */
#define SWEEP_COMBOS_MAX 10000u    /* combinations of values */
#define SWEEP_RUNS_MAX 10000000ull /* runs in one sweep */
#define SWEEP_JOBS_MAX 256u
#define SWEEP_SHARDS_MAX 1000000u
#define SWEEP_ARG_MAX 8192u /* bytes of one --set argument */

struct sweep_key {
    char *path;    /* "network.loss" */
    char **values; /* in the order given */
    uint32_t nvalues;
};

/* index = (combo * nprotocols + protocol) * nseeds + (seed - seed_first), where
 * combo counts through the keys sorted by path, the last key fastest. */
struct sweep_plan {
    struct sweep_key keys[SWEEP_KEYS_MAX];
    uint32_t nkeys;
    enum dlv_protocol protocols[DLV_COUNT];
    uint32_t nprotocols;
    uint64_t seed_first, seed_last;
    uint64_t ncombos, nseeds, nruns; /* set by sweep_plan_finish */
};

struct sweep_point {
    uint64_t combo;
    enum dlv_protocol protocol;
    uint64_t seed;
};

/* Adds one --set argument "PATH=V1,V2,...". FT_EPARSE with a message on bad input
 * (no '=', an empty path, a repeated path or value, over a limit). */
int sweep_plan_add_set(struct sweep_plan *p, const char *arg, struct ft_error *err);
/* Sorts the keys and counts the runs; FT_ELIMIT past a limit. Call once, after every
 * key, protocol and the seed range are set. */
int sweep_plan_finish(struct sweep_plan *p, struct ft_error *err);
void sweep_plan_free(struct sweep_plan *p);
void sweep_point_of(const struct sweep_plan *p, uint64_t index, struct sweep_point *out);
/* The value of key k in combination combo. */
const char *sweep_value(const struct sweep_plan *p, uint64_t combo, uint32_t k);
/* The canonical params string of combo: "k1=v1,k2=v2" with keys sorted, "" without
 * keys. Returns the length, or -1 when it does not fit in size. */
int sweep_params(const struct sweep_plan *p, uint64_t combo, char *buf, size_t size);
/* Shard k of n (1-based k) takes the runs whose index mod n is k - 1. */
bool sweep_in_shard(uint64_t index, uint32_t k, uint32_t n);

/* ---- the pool ---- */

/* Computes run `index` (in a worker process, or in the caller's when jobs = 1): fills
 * out and stats, returns 0 or a negative FT_E* with err filled; a failed run is
 * reported through on_failed and the sweep goes on. */
typedef int (*sweep_compute_fn)(void *ctx, uint64_t index, struct exp_outcome *out,
                                struct exp_stats *stats, struct ft_error *err);
/* Stores a computed run (always in the calling process); an error stops the sweep. */
typedef int (*sweep_store_fn)(void *ctx, uint64_t index, const struct exp_outcome *out,
                              const struct exp_stats *stats, struct ft_error *err);
typedef void (*sweep_failed_fn)(void *ctx, uint64_t index, const char *msg);
typedef void (*sweep_progress_fn)(void *ctx, uint64_t done, uint64_t total);

struct sweep_pool_ops {
    sweep_compute_fn compute;
    sweep_store_fn store;
    sweep_failed_fn failed;     /* optional */
    sweep_progress_fn progress; /* optional: after every stored or failed run */
    void *ctx;
};

/* Runs the n runs todo[0..n-1] on `jobs` worker processes (fork; each child takes
 * indices over a pipe and sends back results; the caller's process stores them, in
 * the order they finish). *failed counts runs whose compute failed. Returns 0, or the
 * error that stopped the sweep (a store error, a worker that died, a system call);
 * every child is gone when it returns. */
int sweep_pool_run(const uint64_t *todo, uint64_t n, uint32_t jobs,
                   const struct sweep_pool_ops *ops, uint64_t *failed, struct ft_error *err);

#endif
