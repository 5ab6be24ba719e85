/* The broker node (broker.c), for pipeline.c, which builds it and gathers the records
 * still pending at the end, and sets the up-calls group.c and checkpoint_coord.c make to
 * it (pipe_internal.h, struct pipe_up). Internal to stream/. */
#ifndef FTSIM_BROKER_H
#define FTSIM_BROKER_H

#include "pipe_internal.h"

extern const struct sim_node_ops pipe_broker_ops;
/* The node's durable and volatile block sizes. */
size_t pipe_broker_durable_bytes(void);
size_t pipe_broker_volatile_bytes(void);
int pipe_broker_init(struct sim *s, struct pipe *p);
void pipe_broker_free(struct sim *s, struct pipe *p);
/* pipe_pending_records' part: the broker's log above each committed offset. */
void pipe_broker_pending(struct sim *s, const struct pipe *p, pipe_rec_fn *fn, void *ctx);
/* A partition's read position (the next offset it sends), and a rewind of it
 * to `offset` (in-flight records forgotten, sending resumes from there). */
uint64_t pipe_broker_position(struct sim *s, struct pipe *p, uint32_t part);
void pipe_broker_rewind(struct sim *s, struct pipe *p, uint32_t part, uint64_t offset);
/* Partition `part` has a new owner and generation; restart its deliveries
 * from the committed offset. */
void pipe_broker_moved(struct sim *s, struct pipe *p, uint32_t part);

#endif
