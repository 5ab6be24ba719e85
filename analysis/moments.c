/* Coverage moments counted from the trace (moments.h): crashes at named steps, lost acks
 * of visible records, overtaking retries, fencing, evictions, lost assigns, checkpoint
 * aborts and rollbacks, restarts while the coordinator is down, outputs lost to a down
 * sink (overtaking retries: mom_see in moments.h, inline on the hot path). Node ids follow
 * pipe_node_name(): source 0, broker 1, workers 2..W+1, sink W+2. */
#include "moments.h"

#include <stdlib.h>
#include <string.h>

int mom_init(struct mom_tracker *t, const struct pipe_config *cfg, const struct ledger *ledger) {
    memset(t, 0, sizeof *t);
    t->cfg = cfg;
    t->ledger = ledger;
    memset(t->up, 1, sizeof t->up);
    if (ledger->n > MOM_RECORDS_MAX) return 0;
    t->max_id = calloc(2 * (ledger->n ? ledger->n : 1), sizeof *t->max_id);
    return t->max_id ? 0 : FT_ENOMEM;
}

void mom_free(struct mom_tracker *t) {
    free(t->max_id);
    t->max_id = NULL;
}

static bool is_worker(const struct mom_tracker *t, uint32_t node) {
    return node >= 2 && node < 2 + t->cfg->workers;
}

static void on_fault(struct mom_tracker *t, const struct sim_trace_rec *r) {
    const char *step = pipe_step_name(r->kind);
    if (!step) return;
    if (!strcmp(step, PIPE_STEP_AFTER_RECEIVE))
        t->count[PIPE_M_CRASH_AFTER_RECEIVE]++;
    else if (!strcmp(step, PIPE_STEP_AFTER_EMIT))
        t->count[PIPE_M_CRASH_AFTER_EMIT]++;
    else if (!strcmp(step, PIPE_STEP_BEFORE_COMMIT))
        t->count[PIPE_M_CRASH_BEFORE_COMMIT]++;
    else
        t->count[PIPE_M_CRASH_IN_CHECKPOINT]++;
}

static void on_drop(struct mom_tracker *t, const struct sim_trace_rec *r) {
    if (r->reason == SIM_DROP_DUP) return; /* a copy the receiver had: nothing was lost */
    uint32_t sink = t->cfg->workers + 2;
    switch (r->kind) {
    case PIPE_MSG_ACK:
    case PIPE_MSG_OUTPUT_ACK:
    case PIPE_MSG_COMMIT_ACK:
        if (r->tag < t->ledger->n && ledger_copies(t->ledger, r->tag) > 0)
            t->count[PIPE_M_ACK_LOST_AFTER_VISIBLE]++;
        return;
    case PIPE_MSG_ASSIGN:
        t->count[PIPE_M_ASSIGN_LOST]++;
        return;
    case PIPE_MSG_OUTPUT:
    case PIPE_MSG_COMMIT:
    case PIPE_MSG_INIT:
        if (r->reason == SIM_DROP_DOWN && r->peer == sink) t->count[PIPE_M_SINK_DOWN_OUTPUT]++;
        return;
    default:
        return;
    }
}

static void on_user(struct mom_tracker *t, const struct sim_trace_rec *r) {
    switch (r->kind) {
    case PIPE_TR_FENCED:
        t->count[r->node == 1 ? PIPE_M_STALE_ACK_FENCED : PIPE_M_ZOMBIE_FENCED]++;
        return;
    case PIPE_TR_MEMBER:
        if (!r->arg && r->id < sizeof t->up && t->up[r->id]) t->count[PIPE_M_EVICTED_ALIVE]++;
        return;
    case PIPE_TR_REBALANCE:
        if ((uint32_t)r->arg == PIPE_NO_OWNER) t->count[PIPE_M_NO_OWNER]++;
        return;
    case PIPE_TR_CKPT_ABORT:
        t->count[PIPE_M_CKPT_ABORTED]++;
        return;
    case PIPE_TR_CKPT_ROLLBACK:
        t->count[PIPE_M_ROLLBACK]++;
        return;
    default:
        return;
    }
}

void mom_trace(struct mom_tracker *t, const struct sim_trace_rec *r) {
    switch (r->type) {
    case SIM_TR_FAULT:
        on_fault(t, r);
        return;
    case SIM_TR_DROP:
        on_drop(t, r);
        return;
    case SIM_TR_USER:
        on_user(t, r);
        return;
    case SIM_TR_CRASH:
        if (r->node < sizeof t->up) t->up[r->node] = 0;
        return;
    case SIM_TR_RESTART:
        if (r->node < sizeof t->up) t->up[r->node] = 1;
        if (is_worker(t, r->node) && !t->up[1]) t->count[PIPE_M_RESTART_BROKER_DOWN]++;
        return;
    default:
        return;
    }
}
