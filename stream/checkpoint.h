/* exactly-once-checkpoint's entry points (checkpoint*.c): the broker runs the
 * coordinator, the worker and the sink their sides, pipeline.c makes, finishes and
 * frees it. Internal to stream/. Below the broker, worker and sink: it calls them only
 * through p->up (pipe_internal.h); it drives the window stage and the model's stage. */
#ifndef FTSIM_CHECKPOINT_H
#define FTSIM_CHECKPOINT_H

#include "pipe_internal.h"

/* The broker doubles as the checkpoint coordinator (Flink's JobManager); the worker and
 * the sink run their checkpoint side there too. struct ckpt holds what survives every
 * crash: the coordinator's durable record, the checkpoint store (modelled as storage
 * outside the nodes, like HDFS or S3) and the sink's uncommitted rows. */
int ckpt_new(struct pipe *p, struct ft_error *err);
void ckpt_free(struct pipe *p);
uint64_t ckpt_epoch(const struct pipe *p); /* the job's epoch, what records carry */
void ckpt_coord_start(struct sim *s, struct pipe *p);
void ckpt_coord_msg(struct sim *s, struct pipe *p, const struct sim_msg *m);
void ckpt_coord_timer(struct sim *s, struct pipe *p, uint64_t tag);
void ckpt_worker_start(struct sim *s, struct pipe *p, uint32_t me);
void ckpt_worker_msg(struct sim *s, struct pipe *p, uint32_t me, const struct sim_msg *m);
void ckpt_worker_timer(struct sim *s, struct pipe *p, uint32_t me, uint64_t tag);
void ckpt_sink_msg(struct sim *s, struct pipe *p, const struct sim_msg *m);
size_t ckpt_worker_volatile_bytes(void);
/* The job is settled: broker and every worker up and restored into the current epoch
 * (no rollback in progress). The end of the run commits the last output only then. */
bool ckpt_settled(struct sim *s, const struct pipe *p);
/* The broker's retention: partition part's offset in the checkpoint a rollback would
 * restore now (the last completed one); the log keeps everything from there. */
uint64_t ckpt_retain_from(const struct pipe *p, uint32_t part);
/* End of the run, after the window stage finished: when settled, the rows emitted since
 * the last completed checkpoint are committed (the final checkpoint of a bounded
 * stream); otherwise they stay invisible. */
int ckpt_finish(struct sim *s, struct pipe *p, struct ft_error *err);
/* pipe_pending_records' part: the checkpoint sink's uncommitted rows. */
void ckpt_sink_pending(const struct pipe *p, pipe_rec_fn *fn, void *ctx);

#endif
