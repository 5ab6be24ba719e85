/* The windowed query's stage inside the pipeline (window_stage.c), used by the worker
 * (records, restarts) and by pipeline.c (life cycle, results). Internal to stream/. */
#ifndef FTSIM_WINDOW_STAGE_H
#define FTSIM_WINDOW_STAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pipeline.h"
#include "window.h"

struct wstage;
struct pipe;

int wstage_new(struct pipe *p, struct wstage **out, struct ft_error *err);
void wstage_free(struct wstage *st);
/* A worker (re)starts: the tasks (partitions' window state) it hosts start empty and
 * their applied offsets are forgotten (with rebalance they wait for their next claim). */
void wstage_worker_start(struct sim *s, struct pipe *p, uint32_t me);
/* Consumer-group rebalancing (worker.c). Worker me claims partition part in generation
 * gen: the task moves to it with its state (engine, batch, applied offsets) when the
 * previous host is up or revoked it, and starts empty when that host crashed (its
 * state died with it). A claim older than the task's generation is ignored. Under
 * exactly-once-txn the worker claims the task only once its init has fenced the
 * previous owner at the sink (init-ack), so no record is committed behind its back. */
void wstage_claim(struct sim *s, struct pipe *p, uint32_t me, uint32_t part, uint64_t gen);
/* Worker me learned that it lost `part` in generation gen: the task leaves it intact
 * (Kafka Streams commits a task's state on revoke) until the next claim. */
void wstage_revoke(struct pipe *p, uint32_t me, uint32_t part, uint64_t gen);
/* A worker received a source record (after its receive step); the record's partition's
 * task takes it when the worker hosts it. Under an idempotent protocol an offset the
 * task already applied is skipped: its state is exactly-once as long as it lives. With
 * rebalance a record of an older generation than the task's does not touch it. */
struct wire;
void wstage_record(struct sim *s, struct pipe *p, uint32_t me, const struct wire *in);
/* End of the run: pending batches run, every window of every task whose host is up
 * closes. */
int wstage_finish(struct sim *s, struct wstage *st, struct ft_error *err);
int wstage_rows(const struct wstage *st, struct win_row **rows, size_t *n);
void wstage_stats(struct wstage *st, struct pipe_window_stats *out);
/* Nearest-rank percentiles of the latency samples (qset_nearest_ranks). */
int wstage_latency_ranks(struct wstage *st, const uint8_t *pct, size_t k, uint64_t *out);
void wstage_keep_log(struct wstage *st, bool on);
const struct win_row *wstage_log(const struct wstage *st, size_t *n, bool *truncated);
const struct pipe_watermark *wstage_watermarks(const struct wstage *st, size_t *n);
const char *wstage_key_name(const struct wstage *st, uint64_t key, char *buf, size_t size);

/* ---- exactly-once-checkpoint (checkpoint.c drives these) ----
 * Under that protocol the rows the tasks of a worker emit are not applied to the result
 * table at once: they gather in the worker's open transaction, which its next snapshot
 * pre-commits, and the sink applies a transaction when a checkpoint at or after it
 * completes. Workers and the driver carry the job's epoch; a worker of an older epoch
 * (rolled back, not yet told) neither applies records nor takes part in triggers. */
struct wstage_txn_row {
    struct win_row row;
    uint32_t part; /* the task (partition) that emitted it */
};
struct wstage_txn {
    struct wstage_txn_row *rows; /* in emission order */
    size_t n, cap;
    uint64_t *lat_ns, *emit_ns; /* latency samples: at emission, and when */
    size_t nlat, cap_lat;
};
struct wstage_task_snap {
    uint32_t part;
    struct win_engine *eng;  /* the task's engine at the barrier; NULL: a fresh one */
    struct win_input *batch; /* micro-batch: records received, not yet triggered */
    size_t nbatch;
};
struct wstage_snap {
    bool taken;
    struct wstage_task_snap *tasks; /* the tasks the worker hosted */
    uint32_t ntasks;
    struct wstage_txn txn; /* rows emitted since the worker's previous snapshot */
};
void wstage_txn_free(struct wstage_txn *t);
void wstage_snap_free(struct wstage_snap *sn);
/* The tasks' state of a snapshot that will never be restored goes; its transaction stays. */
void wstage_snap_drop_state(struct wstage_snap *sn);
/* The state of worker w's tasks at its barrier into *out (its open transaction moves
 * there). 0 or FT_ENOMEM. */
int wstage_snapshot(struct wstage *st, uint32_t w, struct wstage_snap *out);
/* Worker w's tasks restart from snapshot sn (NULL, or a task missing from it: the empty
 * initial state) in `epoch`; its open transaction is discarded. 0 or FT_ENOMEM. */
int wstage_restore(struct sim *s, struct wstage *st, uint32_t w, const struct wstage_snap *sn,
                   uint64_t epoch);
/* Worker w (re)started with nothing in `epoch` (0: waiting to be restored). */
void wstage_set_epoch(struct wstage *st, uint32_t w, uint64_t epoch);
/* The driver rolls back with the job: its epoch, and the max event time the restored
 * engines had seen (snaps[w] per worker, NULL entries: empty). */
void wstage_rollback(struct wstage *st, uint64_t epoch, const struct wstage_snap *const *snaps);
/* The sink commits a worker's transaction: its rows reach the result table (and the
 * log), each under its task, its latencies count up to now. The transaction is emptied. */
int wstage_commit(struct sim *s, struct wstage *st, struct wstage_txn *t);
/* The open transaction of worker w (the end of the run commits it when settled). */
struct wstage_txn *wstage_open_txn(struct wstage *st, uint32_t w);

#endif
