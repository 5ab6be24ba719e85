/* The consumer group's coordinator, run by the broker (Kafka's group coordinator,
 * simplified): workers heartbeat; one silent for session_timeout is evicted; each
 * membership change reassigns partitions by pipe_group_owner() and bumps the
 * generation of every partition that moves. Records and acks carry the generation,
 * so the broker fences acks from an evicted owner, and workers fence their outputs at
 * the sink with epoch = generation << 32 | incarnation + 1. An assignment is re-sent
 * with back-off until its new owner acknowledges it (ASSIGN_ACK), for as long as it is
 * the partition's current one: a lost assign never leaves a partition without a host.
 * Revocations are sent once (fencing stops an owner that missed one). Every join,
 * eviction and move is traced (PIPE_TR_MEMBER, PIPE_TR_REBALANCE). */
#include <stdlib.h>

#include "group.h"

uint32_t pipe_group_owner(const uint8_t *member, uint32_t workers, uint32_t partition) {
    FT_ASSERT(workers > 0);
    uint32_t preferred = partition % workers, live = 0;
    if (member[preferred]) return preferred;
    for (uint32_t i = 0; i < workers; i++)
        live += member[i] != 0;
    if (live == 0) return PIPE_NO_OWNER;
    uint32_t k = partition % live;
    for (uint32_t i = 0; i < workers; i++)
        if (member[i] && k-- == 0) return i;
    FT_ASSERT(0 && "k-th member not found");
    return PIPE_NO_OWNER;
}

int pipe_group_init(struct pipe *p, struct grp_dur *g) {
    uint32_t n = p->cfg.partitions, w = p->cfg.workers;
    g->owner = calloc(n, sizeof *g->owner);
    g->gen = calloc(n, sizeof *g->gen);
    g->member = calloc(w, sizeof *g->member);
    g->epoch = calloc(w, sizeof *g->epoch);
    if (!g->owner || !g->gen || !g->member || !g->epoch) return FT_ENOMEM;
    /* the group forms with every worker (their first incarnation) and the static
     * assignment as generation 1; without rebalance the generation stays 0 */
    for (uint32_t i = 0; i < w; i++) {
        g->member[i] = 1;
        g->epoch[i] = 1;
    }
    for (uint32_t i = 0; i < n; i++) {
        g->owner[i] = i % w;
        g->gen[i] = p->cfg.group.rebalance ? 1 : 0;
    }
    return 0;
}

void pipe_group_free(struct grp_dur *g) {
    free(g->owner);
    free(g->gen);
    free(g->member);
    free(g->epoch);
}

static void send_assign(struct sim *s, struct pipe *p, uint32_t w, uint32_t part, uint64_t gen,
                        uint64_t status) {
    struct wire a = {.partition = part, .epoch = gen, .status = status};
    wire_send(s, p->broker, p->worker[w], PIPE_MSG_ASSIGN, &a);
}

static void arm_assign(struct sim *s, struct pipe *p, struct grp_asg *a, uint32_t part) {
    a->timer = sim_timer_set(s, p->broker, dlv_backoff_ns(&p->backoff, a->attempt),
                             TAG(T_BRK_ASSIGN, part, 0));
}

/* Partition part's current assignment to its owner, re-sent until acknowledged. */
static void assign(struct sim *s, struct pipe *p, struct grp_dur *g, struct grp_vol *v,
                   uint32_t part) {
    struct grp_asg *a = &v->asg[part];
    sim_timer_cancel(s, a->timer);
    *a = (struct grp_asg){0};
    if (g->owner[part] == PIPE_NO_OWNER) return;
    *a = (struct grp_asg){.gen = g->gen[part], .to = g->owner[part]};
    send_assign(s, p, a->to, part, a->gen, WIRE_OK);
    arm_assign(s, p, a, part);
}

void pipe_group_assign_ack(struct sim *s, struct grp_vol *v, uint32_t w, uint32_t part,
                           uint64_t gen) {
    struct grp_asg *a = &v->asg[part];
    if (!a->gen || a->to != w || a->gen != gen) return; /* stale or already acknowledged */
    sim_timer_cancel(s, a->timer);
    *a = (struct grp_asg){0};
}

void pipe_group_assign_timer(struct sim *s, struct pipe *p, struct grp_dur *g, struct grp_vol *v,
                             uint32_t part) {
    struct grp_asg *a = &v->asg[part];
    if (!a->gen || g->owner[part] != a->to || g->gen[part] != a->gen) return;
    p->retries++;
    a->attempt++;
    send_assign(s, p, a->to, part, a->gen, WIRE_OK);
    arm_assign(s, p, a, part);
}

static void arm(struct sim *s, struct pipe *p, struct grp_vol *v, uint32_t w) {
    uint64_t deadline = v->last_seen_ns[w] + p->cfg.group.session_timeout_ns, now = sim_now(s);
    sim_timer_set(s, p->broker, deadline > now ? deadline - now : 0, TAG(T_BRK_SESSION, w, 0));
    v->armed[w] = 1;
}

int pipe_group_start(struct sim *s, struct pipe *p, struct grp_dur *g, struct grp_vol *v) {
    uint32_t w = p->cfg.workers;
    v->last_seen_ns = sim_valloc(s, p->broker, w * sizeof *v->last_seen_ns);
    v->armed = sim_valloc(s, p->broker, w);
    v->asg = sim_valloc(s, p->broker, p->cfg.partitions * sizeof *v->asg);
    if (!v->last_seen_ns || !v->armed || !v->asg) return FT_ENOMEM;
    for (uint32_t i = 0; i < w; i++) {
        v->last_seen_ns[i] = sim_now(s);
        if (g->member[i]) arm(s, p, v, i);
    }
    for (uint32_t i = 0; i < p->cfg.partitions; i++)
        assign(s, p, g, v, i);
    return 0;
}

/* Recomputes the assignment after a membership change; each partition whose owner
 * changes gets a new generation: the old owner is told it is revoked, the new one
 * that it is assigned, and the broker restarts its deliveries. */
static void rebalance(struct sim *s, struct pipe *p, struct grp_dur *g, struct grp_vol *v) {
    for (uint32_t i = 0; i < p->cfg.partitions; i++) {
        uint32_t to = pipe_group_owner(g->member, p->cfg.workers, i), from = g->owner[i];
        if (to == from) continue;
        g->owner[i] = to;
        g->gen[i]++;
        uint64_t node = to == PIPE_NO_OWNER ? PIPE_NO_OWNER : p->worker[to];
        sim_trace_user(s, p->broker, PIPE_TR_REBALANCE, i, g->gen[i] << 32 | node);
        if (from != PIPE_NO_OWNER) send_assign(s, p, from, i, g->gen[i], WIRE_REVOKED);
        assign(s, p, g, v, i);
        p->up.broker_moved(s, p, i);
    }
}

void pipe_group_seen(struct sim *s, struct pipe *p, struct grp_vol *v, uint32_t w) {
    (void)p;
    v->last_seen_ns[w] = sim_now(s);
}

void pipe_group_heartbeat(struct sim *s, struct pipe *p, struct grp_dur *g, struct grp_vol *v,
                          uint32_t w, uint64_t epoch) {
    pipe_group_seen(s, p, v, w);
    if (!g->member[w]) {
        g->member[w] = 1;
        g->epoch[w] = epoch;
        sim_trace_user(s, p->broker, PIPE_TR_MEMBER, p->worker[w], 1);
        if (!v->armed[w]) arm(s, p, v, w);
        rebalance(s, p, g, v);
        return;
    }
    if (epoch <= g->epoch[w]) return;
    /* a member that restarted within its session keeps its partitions (like Kafka's
     * static membership) and is told them again, since its volatile state is gone */
    g->epoch[w] = epoch;
    for (uint32_t i = 0; i < p->cfg.partitions; i++)
        if (g->owner[i] == w) assign(s, p, g, v, i);
}

void pipe_group_timer(struct sim *s, struct pipe *p, struct grp_dur *g, struct grp_vol *v,
                      uint32_t w) {
    v->armed[w] = 0;
    if (!g->member[w]) return;
    if (sim_now(s) < v->last_seen_ns[w] + p->cfg.group.session_timeout_ns) {
        arm(s, p, v, w); /* heard from since the timer was set */
        return;
    }
    g->member[w] = 0;
    sim_trace_user(s, p->broker, PIPE_TR_MEMBER, p->worker[w], 0);
    rebalance(s, p, g, v);
}
