/* The consumer group's coordinator (group.c), run by the broker: its state and the calls
 * broker.c makes on a heartbeat, any message from a worker, an assignment's ack and the
 * group's timers. Internal to stream/. The group sits below the broker: when a partition
 * moves it calls the broker back through p->up.broker_moved (pipe_internal.h). */
#ifndef FTSIM_GROUP_H
#define FTSIM_GROUP_H

#include "pipe_internal.h"

/* The group coordinator's state, kept by the broker (group.c). Durable: the
 * assignment, generations and members survive a broker crash, like Kafka's group
 * metadata; volatile: when each worker was last heard from. With rebalance off, owner
 * is the static owner, gen stays 0 and nothing else is used. */
struct grp_dur {
    uint32_t *owner; /* per partition: worker index, or PIPE_NO_OWNER */
    uint64_t *gen;   /* per partition: bumped at every move; records and acks carry it */
    uint8_t *member; /* per worker: in the group */
    uint64_t *epoch; /* per worker: incarnation + 1 from its last heartbeat */
};
struct grp_asg {  /* an assignment not yet acknowledged by its new owner */
    uint64_t gen; /* 0: none pending */
    uint32_t to;  /* the worker index it is for */
    uint32_t attempt;
    sim_timer_t timer;
};
struct grp_vol {
    uint64_t *last_seen_ns; /* per worker: the last message from it */
    uint8_t *armed;         /* per worker: a session timer is pending */
    struct grp_asg *asg;    /* per partition: its assignment, re-sent until acknowledged */
};
int pipe_group_init(struct pipe *p, struct grp_dur *g);
void pipe_group_free(struct grp_dur *g);
/* Broker start or restart: every member gets a full session from now, and each owner
 * is told its partitions again. Returns 0 or FT_ENOMEM. */
int pipe_group_start(struct sim *s, struct pipe *p, struct grp_dur *g, struct grp_vol *v);
/* A message from worker index w (any kind): it is alive. */
void pipe_group_seen(struct sim *s, struct pipe *p, struct grp_vol *v, uint32_t w);
/* A heartbeat from worker w, incarnation epoch - 1: (re)joins it or refreshes it. */
void pipe_group_heartbeat(struct sim *s, struct pipe *p, struct grp_dur *g, struct grp_vol *v,
                          uint32_t w, uint64_t epoch);
/* Worker w's session timer fired: evict it if it has been silent for the session. */
void pipe_group_timer(struct sim *s, struct pipe *p, struct grp_dur *g, struct grp_vol *v,
                      uint32_t w);
/* Worker w acknowledged the assignment of partition `part` in generation gen. */
void pipe_group_assign_ack(struct sim *s, struct grp_vol *v, uint32_t w, uint32_t part,
                           uint64_t gen);
/* The re-send timer of partition part's assignment fired: send it again while it is
 * still the partition's assignment and unacknowledged. */
void pipe_group_assign_timer(struct sim *s, struct pipe *p, struct grp_dur *g, struct grp_vol *v,
                             uint32_t part);

#endif
