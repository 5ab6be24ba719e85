/* Pipeline configuration: defaults, limits helpers, the names of message kinds, steps
 * and nodes that scenario files use, and the pure functions of a record every module
 * shares (the worker's map, the partition of a key). The bottom of stream/: it calls no
 * other module of it (docs/design.md, "Layers inside stream/"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"

void pipe_config_defaults(struct pipe_config *c) {
    memset(c, 0, sizeof *c);
    c->duration_ns = 10 * SIM_NS_PER_S;
    c->drain_ns = 60 * SIM_NS_PER_S;
    c->workers = 1;
    c->partitions = 1;
    c->source = (struct pipe_source){
        .kind = SRC_KEYED, .keys = 10, .rate_per_s = 100.0, .period_ns = 100 * SIM_NS_PER_MS};
    c->network = (struct net_link_cfg){.latency_ns = SIM_NS_PER_MS};
    c->delivery = (struct pipe_delivery){.ack_timeout_ns = 50 * SIM_NS_PER_MS,
                                         .max_timeout_ns = SIM_NS_PER_S,
                                         .backoff = 2,
                                         .window = 64,
                                         .batch = 10,
                                         .linger_ns = 20 * SIM_NS_PER_MS,
                                         .checkpoint_ns = SIM_NS_PER_S,
                                         .checkpoint_timeout_ns = SIM_NS_PER_S};
    c->group = (struct pipe_group){.rebalance = false,
                                   .heartbeat_ns = 100 * SIM_NS_PER_MS,
                                   .session_timeout_ns = SIM_NS_PER_S};
    c->sink = (struct pipe_sink){.kind = PIPE_SINK_WAREHOUSE, .roll_ns = SIM_NS_PER_S};
}

uint64_t pipe_estimated_records(const struct pipe_config *c) {
    const struct pipe_source *s = &c->source;
    double secs = (double)c->duration_ns / 1e9, n = s->rate_per_s * secs;
    switch (s->kind) {
    case SRC_IOT:
        n = s->period_ns ? (double)s->keys * ((double)c->duration_ns / (double)s->period_ns) : 0;
        break;
    case SRC_CSV: n = (double)s->csv_rows; break;
    case SRC_LOGS:
        if (s->burst_rate_per_s > 0 && s->burst_every_ns && s->burst_length_ns) {
            double calm = (double)s->burst_every_ns, burst = (double)s->burst_length_ns;
            n = secs * (s->rate_per_s * calm + s->burst_rate_per_s * burst) / (calm + burst);
        }
        n += s->attack_rate_per_s * (double)s->attack_length_ns / 1e9;
        break;
    case SRC_ADS: n *= 1.0 + s->win_p * (1.0 + s->ctr); break;
    case SRC_CLICKS: n *= s->clicks_per_session > 1 ? s->clicks_per_session : 1.0; break;
    case SRC_KEYED:
    case SRC_CLUSTERS:
    case SRC_LINEAR: break;
    }
    if (n > 1e18) return UINT64_MAX;
    return (uint64_t)n;
}

uint64_t pipe_estimated_heartbeats(const struct pipe_config *c) {
    if (!c->group.rebalance || !c->group.heartbeat_ns) return 0;
    uint64_t per_worker = (c->duration_ns + c->drain_ns) / c->group.heartbeat_ns + 1;
    return per_worker > UINT64_MAX / c->workers ? UINT64_MAX : per_worker * c->workers;
}

static const char *const msg_names[PIPE_MSG_KINDS] = {
    [PIPE_MSG_PRODUCE] = "produce", [PIPE_MSG_PRODUCE_ACK] = "produce-ack",
    [PIPE_MSG_RECORD] = "record",   [PIPE_MSG_ACK] = "ack",
    [PIPE_MSG_OUTPUT] = "output",   [PIPE_MSG_OUTPUT_ACK] = "output-ack",
    [PIPE_MSG_COMMIT] = "commit",   [PIPE_MSG_COMMIT_ACK] = "commit-ack",
    [PIPE_MSG_INIT] = "init",       [PIPE_MSG_INIT_ACK] = "init-ack",
    [PIPE_MSG_HEARTBEAT] = "heartbeat", [PIPE_MSG_ASSIGN] = "assign",
    [PIPE_MSG_BARRIER] = "barrier",     [PIPE_MSG_SNAPSHOT_ACK] = "snapshot-ack",
    [PIPE_MSG_CKPT_COMMIT] = "checkpoint-commit",
    [PIPE_MSG_CKPT_COMMIT_ACK] = "checkpoint-commit-ack",
    [PIPE_MSG_JOIN] = "join",           [PIPE_MSG_RESTORE] = "restore",
    [PIPE_MSG_RESTORE_ACK] = "restore-ack", [PIPE_MSG_ASSIGN_ACK] = "assign-ack",
    [PIPE_MSG_ML_JOB] = "ml-job",       [PIPE_MSG_ML_STATS] = "ml-stats",
    [PIPE_MSG_ML_STATS_ACK] = "ml-stats-ack",
};

const char *pipe_msg_name(int kind) {
    return kind > 0 && kind < PIPE_MSG_KINDS ? msg_names[kind] : "?";
}

int pipe_msg_parse(const char *name) {
    for (int k = 1; k < PIPE_MSG_KINDS; k++)
        if (strcmp(name, msg_names[k]) == 0) return k;
    return -1;
}

bool pipe_msg_has_record(int kind) {
    return kind >= PIPE_MSG_PRODUCE && kind <= PIPE_MSG_COMMIT_ACK;
}

/* The crash steps, in the order pipe_build interns them (their ids in a pipeline run). */
static const char *const step_names[] = {PIPE_STEP_AFTER_RECEIVE, PIPE_STEP_AFTER_EMIT,
                                         PIPE_STEP_BEFORE_COMMIT, PIPE_STEP_DURING_CHECKPOINT,
                                         PIPE_STEP_BEFORE_SNAPSHOT_ACK};

const char *pipe_step_name(uint32_t step) {
    return step < sizeof step_names / sizeof *step_names ? step_names[step] : NULL;
}

bool pipe_step_valid(const char *name) {
    for (uint32_t i = 0; pipe_step_name(i); i++)
        if (strcmp(name, pipe_step_name(i)) == 0) return true;
    return false;
}

bool pipe_trace_record(const struct sim_trace_rec *r, uint64_t *rec) {
    const char *step = r->type == SIM_TR_FAULT ? pipe_step_name(r->kind) : NULL;
    switch (r->type) {
    case SIM_TR_SEND:
    case SIM_TR_DELIVER:
    case SIM_TR_DROP:
    case SIM_TR_DUP:
        *rec = r->tag;
        return pipe_msg_has_record((int)r->kind);
    case SIM_TR_USER:
        *rec = r->id;
        return r->kind == PIPE_TR_VISIBLE;
    case SIM_TR_FAULT: /* the checkpoint steps' arg is a checkpoint id */
        *rec = r->arg;
        return step && (strcmp(step, PIPE_STEP_AFTER_RECEIVE) == 0 ||
                        strcmp(step, PIPE_STEP_AFTER_EMIT) == 0 ||
                        strcmp(step, PIPE_STEP_BEFORE_COMMIT) == 0);
    default:
        return false;
    }
}

uint32_t pipe_node_count(const struct pipe_config *c) {
    return c->workers + 3 + (c->ml.spec.kind != ML_NONE);
}

bool pipe_node_name_valid(const struct pipe_config *c, const char *name) {
    if (strcmp(name, "source") == 0 || strcmp(name, "broker") == 0 || strcmp(name, "sink") == 0)
        return true;
    if (strcmp(name, "driver") == 0) return c->ml.spec.kind != ML_NONE;
    if (strncmp(name, "worker-", 7) != 0 || name[7] < '1' || name[7] > '9') return false;
    char *end;
    unsigned long w = strtoul(name + 7, &end, 10);
    return *end == '\0' && w >= 1 && w <= c->workers;
}

int64_t pipe_map_value(int64_t v) {
    return v * 9 / 5 + 32000; /* milli-degrees Celsius -> milli-degrees Fahrenheit */
}

uint32_t pipe_partition_of(uint32_t key, uint32_t partitions) {
    uint64_t h = (uint64_t)key * 0x9e3779b97f4a7c15ull;
    return (uint32_t)((h >> 32) % partitions);
}

const char *pipe_node_name(const struct pipe_config *c, uint32_t id, char *buf, size_t size) {
    if (id == 0) return "source";
    if (id == 1) return "broker";
    if (id >= 2 && id - 2 < c->workers) {
        snprintf(buf, size, "worker-%u", id - 1);
        return buf;
    }
    if (id == c->workers + 3 && c->ml.spec.kind != ML_NONE) return "driver";
    return id == c->workers + 2 ? "sink" : "-";
}
