/* The sink node (sink.c), for pipeline.c, which builds it, reads its per-key counts and
 * sets the up-call checkpoint_sink.c makes to it (p->up.sink_apply). Internal to
 * stream/. */
#ifndef FTSIM_SINK_H
#define FTSIM_SINK_H

#include "pipe_internal.h"

extern const struct sim_node_ops pipe_sink_ops;
/* The node's durable block size. */
size_t pipe_sink_durable_bytes(void);
int pipe_sink_init(struct sim *s, struct pipe *p);
void pipe_sink_free(struct sim *s, struct pipe *p);
/* The aggregated table: visible rows per key. */
const uint64_t *pipe_sink_counts(struct sim *s, const struct pipe *p);
/* Makes one output row visible (the warehouse table, the trace, the observer). */
void pipe_sink_apply(struct sim *s, struct pipe *p, const struct wire *w, uint32_t worker);

#endif
