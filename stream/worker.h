/* The worker node (worker.c), for pipeline.c, which builds it. Internal to stream/. */
#ifndef FTSIM_WORKER_H
#define FTSIM_WORKER_H

#include "pipe_internal.h"

extern const struct sim_node_ops pipe_worker_ops;
/* The node's volatile block size (exactly-once-checkpoint: ckpt_worker_volatile_bytes). */
size_t pipe_worker_volatile_bytes(void);

#endif
