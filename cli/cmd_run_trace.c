/* `ftsim run --trace`: one line per trace event (protocol, simulated time, event, node,
 * peer, message kind, record, message id), kept only when every filter given (--record,
 * --from/--to, --events, --node) keeps it; with --db every event is also kept, up to
 * RUN_TRACE_EVENTS_MAX, for the events table. Printing never changes the run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_run.h"
#include "grow.h"

static void keep_event(struct trace_printer *tp, const struct sim_trace_rec *r) {
    if (tp->overflow) return;
    if (tp->nevents >= RUN_TRACE_EVENTS_MAX ||
        ft_grow((void **)&tp->events, &tp->cap, tp->nevents + 1, sizeof *tp->events, 4096)) {
        tp->overflow = true;
        return;
    }
    tp->events[tp->nevents++] = *r;
}

/* The events table's label: a message's kind, or "visible" for a row the sink made
 * visible. */
const char *cli_run_event_label(const struct sim_trace_rec *r) {
    switch (r->type) {
    case SIM_TR_SEND:
    case SIM_TR_DELIVER:
    case SIM_TR_DROP:
    case SIM_TR_DUP:
        return pipe_msg_name((int)r->kind);
    case SIM_TR_USER:
        switch (r->kind) {
        case PIPE_TR_VISIBLE: return "visible";
        case PIPE_TR_MEMBER: return "member";
        case PIPE_TR_REBALANCE: return "rebalance";
        case PIPE_TR_FENCED: return "fenced";
        default: return NULL;
        }
    default:
        return NULL;
    }
}

/* The pipeline's own events (pipeline.h, PIPE_TR_*). */
static void print_user(const struct trace_printer *tp, const struct sim_trace_rec *r) {
    static const char *const ckpt_what[] = {"triggered", "snapshot stored", "complete", "aborted",
                                            "committed"}; /* TRIGGER .. COMMIT */
    char b[PIPE_NAME_MAX];
    unsigned long long id = r->id, gen = r->arg >> 32, epoch = r->arg;
    uint32_t owner = (uint32_t)r->arg;
    switch (r->kind) {
    case PIPE_TR_MEMBER:
        printf(" %s %s the group", pipe_node_name(&tp->scn->pipe, (uint32_t)id, b, sizeof b),
               r->arg ? "joined" : "was evicted from");
        break;
    case PIPE_TR_REBALANCE:
        printf(" partition %llu -> %s (generation %llu)", id,
               owner == PIPE_NO_OWNER ? "no owner"
                                      : pipe_node_name(&tp->scn->pipe, owner, b, sizeof b),
               gen);
        break;
    case PIPE_TR_FENCED:
        if (r->node == 1) /* the broker: an ack of an earlier generation */
            printf(" fenced partition %llu: stale generation %llu", id,
                   (unsigned long long)r->arg);
        else /* the sink: epoch = generation << 32 | incarnation + 1 */
            printf(" fenced partition %llu: stale epoch (generation %llu, incarnation %u)", id,
                   gen, (uint32_t)r->arg - 1);
        break;
    case PIPE_TR_CKPT_TRIGGER:
    case PIPE_TR_CKPT_SNAPSHOT:
    case PIPE_TR_CKPT_COMPLETE:
    case PIPE_TR_CKPT_ABORT:
    case PIPE_TR_CKPT_COMMIT:
        printf(" checkpoint %llu %s (epoch %llu)", id, ckpt_what[r->kind - PIPE_TR_CKPT_TRIGGER],
               epoch);
        break;
    case PIPE_TR_CKPT_ROLLBACK:
        printf(" rollback to checkpoint %llu (epoch %llu)", id, epoch);
        break;
    default:
        printf(" visible record %llu (partition %llu)", id, (unsigned long long)r->arg);
        break;
    }
}

/* The node an event concerns besides its own: a message's peer, the worker that joined
 * or was evicted, a moved partition's new owner. */
static uint32_t event_peer(const struct sim_trace_rec *r) {
    if (r->type != SIM_TR_USER) return r->peer;
    if (r->kind == PIPE_TR_MEMBER) return (uint32_t)r->id;
    if (r->kind == PIPE_TR_REBALANCE && (uint32_t)r->arg != PIPE_NO_OWNER) return (uint32_t)r->arg;
    return SIM_NODE_NONE;
}

/* --record R: R's own events (pipe_trace_record), and the context every record shares:
 * starts, crashes, restarts, partitions, heals, crashes at a checkpoint step (a record
 * step's crash belongs to its record), group and checkpoint events. Not timers, nor
 * other records' messages, nor messages without a record. */
static bool keeps_record(struct trace_printer *tp, const struct sim_trace_rec *r) {
    uint64_t rec;
    if (pipe_trace_record(r, &rec)) {
        tp->of_record += rec == tp->filter->record;
        return rec == tp->filter->record;
    }
    switch (r->type) {
    case SIM_TR_START:
    case SIM_TR_CRASH:
    case SIM_TR_RESTART:
    case SIM_TR_PARTITION:
    case SIM_TR_HEAL:
    case SIM_TR_FAULT:
    case SIM_TR_USER:
        return true;
    default:
        return false;
    }
}

/* --events: the group's events (a worker joined or was evicted, a partition moved, a
 * stale owner fenced), exactly-once-checkpoint's steps, or the faults (a crash at a step
 * or a time, a restart, a partition and its heal, a message a drop: rule removed); the
 * group and checkpoint kinds keep crashes, restarts, partitions and heals as context. */
static bool keeps_events(const struct sim_trace_rec *r, uint32_t events) {
    bool ctx = r->type == SIM_TR_CRASH || r->type == SIM_TR_RESTART ||
               r->type == SIM_TR_PARTITION || r->type == SIM_TR_HEAL || r->type == SIM_TR_FAULT;
    bool user = r->type == SIM_TR_USER;
    if ((events & CLI_EVENTS_FAULTS) &&
        (ctx || (r->type == SIM_TR_DROP && r->reason == SIM_DROP_RULE)))
        return true;
    if ((events & CLI_EVENTS_GROUP) &&
        (ctx || (user && (r->kind == PIPE_TR_MEMBER || r->kind == PIPE_TR_REBALANCE ||
                          r->kind == PIPE_TR_FENCED))))
        return true;
    return (events & CLI_EVENTS_CHECKPOINT) &&
           (ctx || (user && r->kind >= PIPE_TR_CKPT_TRIGGER && r->kind <= PIPE_TR_CKPT_ROLLBACK));
}

static bool keeps(struct trace_printer *tp, const struct sim_trace_rec *r) {
    const struct cli_trace_filter *f = tp->filter;
    if (f->events && !keeps_events(r, f->events)) return false;
    if (f->has_record && !keeps_record(tp, r)) return false;
    return cli_filter_keeps(f, r->time_ns, r->node, event_peer(r));
}

void cli_run_print_event(const struct sim_trace_rec *r, void *ctx) {
    struct trace_printer *tp = ctx;
    if (tp->keep) keep_event(tp, r);
    if (!keeps(tp, r)) return;
    char a[PIPE_NAME_MAX], b[PIPE_NAME_MAX], rec[24] = "";
    if (r->type >= SIM_TR_SEND && r->type <= SIM_TR_DUP && pipe_msg_has_record((int)r->kind))
        snprintf(rec, sizeof rec, "r%llu", (unsigned long long)r->tag);
    printf("%-16s %12.6f s  %-8s %-9s", tp->protocol, (double)r->time_ns / 1e9,
           sim_trace_type_name(r->type), pipe_node_name(&tp->scn->pipe, r->node, a, sizeof a));
    switch (r->type) {
    case SIM_TR_SEND:
    case SIM_TR_DUP:
    case SIM_TR_DROP:
    case SIM_TR_DELIVER:
        printf(" %s %-9s %-11s %-7s msg %llu", r->type == SIM_TR_DELIVER ? "<-" : "->",
               pipe_node_name(&tp->scn->pipe, r->peer, b, sizeof b), pipe_msg_name((int)r->kind),
               rec, (unsigned long long)r->id);
        if (r->type == SIM_TR_DROP) printf(" (%s)", sim_drop_reason_name(r->reason));
        break;
    case SIM_TR_USER: print_user(tp, r); break;
    case SIM_TR_FAULT: { /* a checkpoint step's arg is the checkpoint */
        const char *step = pipe_step_name(r->kind);
        uint64_t id;
        printf(" at step %s, %s %llu", step ? step : "?",
               pipe_trace_record(r, &id) ? "record" : "checkpoint", (unsigned long long)r->arg);
        break;
    }
    default: break;
    }
    putchar('\n');
}
