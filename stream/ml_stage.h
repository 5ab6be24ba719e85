/* The streaming model inside the simulated pipeline (internal to stream/): the workers'
 * per-batch statistics (ml_worker.c) and the driver node that owns the global model
 * (ml_driver.c); the records' features are ml_feat.h's. Spark's shape: at every trigger the driver sends
 * JOB b with the model to every worker; a worker scores the records it applied since
 * its last JOB with that model, sends one STATS per partition (sufficient statistics and
 * the record ids, summed in offset order) and keeps it until the driver's STATS_ACK; the
 * driver applies a batch's statistics in partition order once all partitions reported
 * (or at the next trigger), stores the model and acks. docs/ml.md says which state lives
 * where under each protocol. */
#ifndef FTSIM_ML_STAGE_H
#define FTSIM_ML_STAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bitset.h"
#include "ml.h"
#include "pipeline.h"

struct pipe;
struct wire;

/* One partition's statistics for one batch, as a worker sent them. */
struct mls_partial {
    uint32_t w, part, inc; /* worker index, partition, the worker's incarnation */
    uint64_t b;            /* the batch (JOB) it answers */
    double *st;            /* ml_stats_len doubles */
    uint64_t *rec;         /* the record ids it covers, in offset order */
    uint64_t *off;         /* their offsets (the worker's copy only) */
    uint32_t n;
};
void mls_partial_free(struct mls_partial *pt);
int mls_partial_copy(const struct mls_partial *from, struct mls_partial *to, size_t nst);

/* ---- the stage ---- */
struct mls;
int mls_new(struct pipe *p, struct ft_error *err); /* cfg.ml.spec.kind != ML_NONE */
void mls_free(struct pipe *p);
size_t mls_stats_len(const struct pipe *p);

/* Messages (ml_driver.c encodes and decodes them for both sides). */
struct mls_job {
    uint64_t epoch, b;
    bool has_frozen;
    struct ml_model model, frozen;
};
void mls_send_job(struct sim *s, struct pipe *p, uint32_t to, const struct mls_job *j);
bool mls_get_job(const struct pipe *p, const struct sim_msg *m, struct mls_job *j);
void mls_send_stats(struct sim *s, struct pipe *p, uint32_t from, uint64_t epoch,
                    const struct mls_partial *pt);
enum { MLS_ACK_OK = 0, MLS_ACK_DUP = 1 };
struct mls_ack {
    uint64_t epoch, b, status;
    uint32_t part, inc;
    uint64_t *dup; /* MLS_ACK_DUP: the records the model has already applied */
    uint32_t ndup;
};
bool mls_get_ack(const struct sim_msg *m, struct mls_ack *a); /* a->dup points into m */

/* ---- the worker side (ml_worker.c) ---- */
void mls_worker_start(struct sim *s, struct pipe *p, uint32_t me);
/* A record the worker applied (where the window stage gets it). */
void mls_record(struct sim *s, struct pipe *p, uint32_t me, const struct wire *in);
/* ML messages and timers; true when it was one. */
bool mls_worker_msg(struct sim *s, struct pipe *p, uint32_t me, const struct sim_msg *m);
bool mls_worker_timer(struct sim *s, struct pipe *p, uint32_t me, uint64_t tag);
/* The worker would ack input [offset, end) of part now (its output reached the sink):
 * with a model the ack waits until the driver also applied those records. Returns
 * true: the stage sends it when due. */
bool mls_hold_ack(struct sim *s, struct pipe *p, uint32_t me, uint32_t part, uint64_t gen,
                  uint64_t rec, uint64_t offset, uint64_t end);

/* ---- the driver node (ml_driver.c) ---- */
extern const struct sim_node_ops pipe_driver_ops;
size_t mls_driver_durable_bytes(void);
/* ml_driver.c's view of a partial received, for the series and the ledger */
void mls_observe_series(struct sim *s, struct pipe *p);

/* ---- exactly-once-checkpoint (checkpoint.c calls these) ----
 * A worker's snapshot at checkpoint k holds its open batches, the last batch it
 * closed and its unacknowledged statistics; the driver's model versions stay in the
 * checkpoint store as it logs each update, and a rollback to k restores the version
 * that matches the cut (every batch each worker closed before its barrier). */
int mls_ckpt_snapshot(struct pipe *p, uint32_t w, uint64_t k);
int mls_ckpt_restore(struct sim *s, struct pipe *p, uint32_t w, uint64_t k, uint64_t epoch);
void mls_ckpt_forget(struct pipe *p, uint64_t k);
void mls_ckpt_rollback(struct sim *s, struct pipe *p, uint64_t k, uint64_t epoch);
/* The driver is up and in the job's epoch (the end of the run checks it). */
bool mls_ckpt_settled(struct sim *s, const struct pipe *p, uint64_t epoch);

#endif
