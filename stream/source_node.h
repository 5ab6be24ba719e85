/* The source node (source_node.c), for pipeline.c, which builds it and gathers the
 * records still pending at the end. Internal to stream/. */
#ifndef FTSIM_SOURCE_NODE_H
#define FTSIM_SOURCE_NODE_H

#include "pipe_internal.h"

extern const struct sim_node_ops pipe_source_ops;
/* The node's durable block size. */
size_t pipe_source_durable_bytes(void);
int pipe_source_init(struct sim *s, struct pipe *p); /* durable generator state */
void pipe_source_free(struct sim *s, struct pipe *p);
/* pipe_pending_records' part: the source's unacknowledged records. */
void pipe_source_pending(struct sim *s, const struct pipe *p, pipe_rec_fn *fn, void *ctx);

#endif
