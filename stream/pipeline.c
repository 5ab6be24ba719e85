/* Builds the pipeline's nodes on a simulator and arms the scenario's faults by node
 * name. Node ids are assigned in a fixed order (source, broker, workers, sink), so the
 * same config always gives the same ids and the same trace. The top of stream/: it
 * assembles every module and sets the up-calls of the lower ones (struct pipe_up); no
 * module it builds calls into it. Also pipeline.h's accessors of the results. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "checkpoint.h"
#include "lambda.h"
#include "ml_feat.h"
#include "ml_stage.h"
#include "pipe_internal.h"
#include "sink.h"
#include "sinks.h"
#include "source_node.h"
#include "window_stage.h"
#include "worker.h"

const uint64_t *pipe_warehouse_counts(const struct pipe *p, uint32_t *nkeys) {
    *nkeys = p->cfg.source.keys;
    return pipe_sink_counts(p->s, p);
}

uint64_t pipe_retries(const struct pipe *p) {
    return p->retries;
}

void pipe_pending_records(const struct pipe *p, pipe_rec_fn *fn, void *ctx) {
    pipe_source_pending(p->s, p, fn, ctx);
    pipe_broker_pending(p->s, p, fn, ctx);
    if (p->ck) ckpt_sink_pending(p, fn, ctx);
}

/* The node id of name, SIM_ANY for "", or a negative FT_E*. */
static int64_t node_id(struct sim *s, const char *name, const struct pipe_fault *f,
                       struct ft_error *err) {
    if (!*name) return SIM_ANY;
    int id = sim_node_find(s, name);
    if (id < 0)
        return ft_fail(err, FT_EINVAL, "line %d: fault names unknown node '%s'", f->line, name);
    return id;
}

static int arm_crash(struct sim *s, const struct pipe_fault *f, struct ft_error *err) {
    int64_t node = node_id(s, f->node, f, err);
    if (node < 0) return (int)node;
    if (f->has_at) {
        int rc = sim_crash_at(s, (uint32_t)node, f->at_ns);
        if (rc == 0 && f->restart_after_ns)
            rc = sim_restart_at(s, (uint32_t)node, f->at_ns + f->restart_after_ns);
        return rc ? ft_fail(err, rc, "%s", sim_error(s)->msg) : 0;
    }
    struct sim_fault_rule r = {.node = (uint32_t)node,
                               .step = sim_step_id(s, f->step),
                               .arg = f->record == PIPE_ANY ? SIM_ANY : f->record,
                               .nth = f->nth ? f->nth : 1,
                               .action = SIM_FAULT_CRASH,
                               .restart_after_ns = f->restart_after_ns};
    int rc = sim_fault_add(s, &r);
    return rc ? ft_fail(err, rc, "%s", sim_error(s)->msg) : 0;
}

/* The scenario's k-th partition (0-based, in file order) is the network's partition k:
 * partitions that overlap in time stack, and each heal ends its own. */
static int arm_partition(struct sim *s, const struct pipe_fault *f, uint32_t k,
                         struct ft_error *err) {
    uint32_t n = sim_node_count(s);
    uint32_t *group = calloc(n, sizeof *group);
    if (!group) return ft_fail(err, FT_ENOMEM, "out of memory");
    int rc = 0;
    for (uint32_t side = 0; side < f->nsides && rc == 0; side++)
        for (uint32_t i = 0; i < f->side_n[side] && rc == 0; i++) {
            int64_t id = node_id(s, f->side[side][i], f, err);
            if (id < 0) rc = (int)id;
            else group[id] = side;
        }
    if (rc == 0) rc = net_partition_at(s, f->at_ns, k, group, n);
    if (rc == 0) rc = net_heal_at(s, f->heal_ns, k);
    free(group);
    if (rc && !err->msg[0]) ft_fail(err, rc, "%s", sim_error(s)->msg);
    return rc;
}

static int arm_faults(struct sim *s, struct pipe *p, struct ft_error *err) {
    uint32_t npartitions = 0;
    for (uint32_t i = 0; i < p->cfg.nfaults; i++) {
        const struct pipe_fault *f = &p->cfg.faults[i];
        int rc = 0;
        if (f->type == PIPE_FAULT_CRASH) {
            rc = arm_crash(s, f, err);
        } else if (f->type == PIPE_FAULT_DROP) {
            int64_t from = node_id(s, f->from, f, err);
            int64_t to = from < 0 ? from : node_id(s, f->to, f, err);
            if (from < 0 || to < 0) return (int)(from < 0 ? from : to);
            rc = net_drop_rule_tagged(s, (uint32_t)from, (uint32_t)to, (uint32_t)f->msg_kind,
                                      f->record == PIPE_ANY ? SIM_ANY_TAG : f->record,
                                      f->nth ? f->nth : 1, f->count ? f->count : 1);
            if (rc) ft_fail(err, rc, "%s", sim_error(s)->msg);
        } else if (f->type == PIPE_FAULT_PARTITION) {
            rc = arm_partition(s, f, npartitions++, err);
        }
        if (rc) return rc;
    }
    return 0;
}

/* Every node discards network-level duplicate copies, as TCP would: duplicates the
 * ledger sees come from the protocols' own retries, never from the wire. */
static int add_node(struct sim *s, const char *name, const struct sim_node_ops *ops,
                    struct pipe *p, size_t volatile_bytes, size_t durable_bytes) {
    int id = sim_node_add(s, name, ops, p, volatile_bytes, durable_bytes);
    if (id >= 0) sim_node_set_dedup(s, (uint32_t)id, true);
    return id;
}

/* Adds the nodes in the order pipe_node_name() describes. */
static int add_nodes(struct sim *s, struct pipe *p) {
    uint32_t w = p->cfg.workers;
    for (uint32_t i = 0; i < pipe_node_count(&p->cfg); i++) {
        char buf[PIPE_NAME_MAX];
        const char *name = pipe_node_name(&p->cfg, i, buf, sizeof buf);
        int id;
        if (i == 0)
            id = add_node(s, name, &pipe_source_ops, p, 0, pipe_source_durable_bytes());
        else if (i == 1)
            id = add_node(s, name, &pipe_broker_ops, p, pipe_broker_volatile_bytes(),
                          pipe_broker_durable_bytes());
        else if (i < w + 2)
            id = add_node(s, name, &pipe_worker_ops, p,
                          p->ck ? ckpt_worker_volatile_bytes() : pipe_worker_volatile_bytes(), 0);
        else if (i == w + 2)
            id = add_node(s, name, &pipe_sink_ops, p, 0, pipe_sink_durable_bytes());
        else /* the model's driver (stream/ml_driver.c); its state is the stage's */
            id = add_node(s, name, &pipe_driver_ops, p, 0, 0);
        if (id < 0) return id;
        FT_ASSERT((uint32_t)id == i);
    }
    p->source = 0;
    p->broker = 1;
    for (uint32_t i = 0; i < w; i++) p->worker[i] = i + 2;
    p->sink = w + 2;
    p->driver = w + 3;
    return 0;
}

static int set_links(struct sim *s, struct pipe *p, struct ft_error *err) {
    int rc = net_set_default(s, &p->cfg.network);
    for (uint32_t i = 0; i < p->cfg.nlinks && rc == 0; i++) {
        const struct pipe_link *l = &p->cfg.links[i];
        int a = sim_node_find(s, l->from), b = sim_node_find(s, l->to);
        if (a < 0 || b < 0)
            return ft_fail(err, FT_EINVAL, "line %d: link names an unknown node", l->line);
        rc = net_set_link(s, (uint32_t)a, (uint32_t)b, &l->cfg);
    }
    return rc ? ft_fail(err, rc, "%s", sim_error(s)->msg) : 0;
}

int pipe_build(struct sim *s, const struct pipe_config *cfg, enum dlv_protocol proto,
               uint64_t seed, const struct pipe_observer *obs, struct pipe **out,
               struct ft_error *err) {
    *out = NULL;
    if (cfg->workers < 1 || cfg->workers > PIPE_WORKERS_MAX || cfg->partitions < 1 ||
        cfg->partitions > PIPE_PARTITIONS_MAX || cfg->source.keys < 1 ||
        cfg->delivery.window < 1 || cfg->delivery.batch < 1 ||
        cfg->delivery.batch > PIPE_BATCH_MAX || (unsigned)proto >= DLV_COUNT)
        return ft_fail(err, FT_EINVAL, "pipeline configuration out of range");
    if (dlv_checkpointed(proto) &&
        (cfg->group.rebalance || !cfg->delivery.checkpoint_ns ||
         !cfg->delivery.checkpoint_timeout_ns ||
         cfg->delivery.checkpoint_timeout_ns > cfg->delivery.checkpoint_ns ||
         (cfg->duration_ns + cfg->drain_ns) / cfg->delivery.checkpoint_ns > PIPE_CHECKPOINTS_MAX))
        return ft_fail(err, FT_EINVAL,
                       "exactly-once-checkpoint needs a static assignment (no rebalance), "
                       "0 < checkpoint_timeout <= checkpoint and at most %llu checkpoints",
                       PIPE_CHECKPOINTS_MAX);
    struct pipe *p = calloc(1, sizeof *p);
    if (!p) return ft_fail(err, FT_ENOMEM, "out of memory");
    p->s = s;
    p->cfg = *cfg;
    p->proto = proto;
    p->seed = seed;
    if (obs) p->obs = *obs;
    p->up = (struct pipe_up){.broker_position = pipe_broker_position,
                             .broker_rewind = pipe_broker_rewind,
                             .broker_moved = pipe_broker_moved,
                             .sink_apply = pipe_sink_apply};
    p->backoff = (struct dlv_backoff){cfg->delivery.ack_timeout_ns, cfg->delivery.max_timeout_ns,
                                      cfg->delivery.backoff};
    p->step_receive = sim_step_id(s, PIPE_STEP_AFTER_RECEIVE);
    p->step_emit = sim_step_id(s, PIPE_STEP_AFTER_EMIT);
    p->step_commit = sim_step_id(s, PIPE_STEP_BEFORE_COMMIT);
    p->step_during_ckpt = sim_step_id(s, PIPE_STEP_DURING_CHECKPOINT);
    p->step_snapshot_ack = sim_step_id(s, PIPE_STEP_BEFORE_SNAPSHOT_ACK);
    /* a fresh simulator: the ids are those pipe_step_name() gives the trace's readers */
    FT_ASSERT(p->step_receive == 0 && p->step_emit == 1 && p->step_commit == 2 &&
              p->step_during_ckpt == 3 && p->step_snapshot_ack == 4);
    int rc = dlv_checkpointed(proto) ? ckpt_new(p, err) : 0;
    if (rc) {
        ckpt_free(p);
        free(p);
        return rc;
    }
    rc = add_nodes(s, p);
    if (rc < 0) {
        ft_fail(err, rc, "%s", sim_error(s)->msg);
        ckpt_free(p);
        free(p);
        return rc;
    }
    *out = p;
    if (cfg->query.enabled && (rc = wstage_new(p, &p->ws, err))) return rc;
    if (cfg->source.feat.dim && (rc = mls_feat_new(p, err))) return rc;
    if (cfg->ml.spec.kind != ML_NONE && (rc = mls_new(p, err))) return rc;
    if ((rc = sinks_new(&p->cfg, seed, &p->sinks, err)) || (rc = lambda_new(s, p->sinks, err)))
        return rc;
    p->sinks->pipe = p; /* the lake's rows show their records' features */
    if (pipe_source_init(s, p) || pipe_broker_init(s, p) || pipe_sink_init(s, p))
        return ft_fail(err, FT_ENOMEM, "out of memory building the pipeline");
    rc = set_links(s, p, err);
    if (rc == 0) rc = arm_faults(s, p, err);
    return rc;
}

void pipe_free(struct pipe *p) {
    if (!p) return;
    pipe_source_free(p->s, p);
    pipe_broker_free(p->s, p);
    pipe_sink_free(p->s, p);
    ckpt_free(p);
    wstage_free(p->ws);
    mls_free(p);
    mls_feat_free(p);
    sinks_free(p->sinks);
    free(p);
}

int pipe_window_finish(struct pipe *p, struct ft_error *err) {
    int rc = p->ws ? wstage_finish(p->s, p->ws, err) : 0;
    return !rc && p->ck ? ckpt_finish(p->s, p, err) : rc;
}

int pipe_window_rows(const struct pipe *p, struct win_row **rows, size_t *n) {
    *rows = NULL;
    *n = 0;
    return p->ws ? wstage_rows(p->ws, rows, n) : 0;
}

void pipe_window_stats(const struct pipe *p, struct pipe_window_stats *out) {
    memset(out, 0, sizeof *out);
    if (p->ws) wstage_stats(p->ws, out);
}

int pipe_window_latency_ranks(struct pipe *p, const uint8_t *pct, size_t k, uint64_t *out) {
    if (p->ws) return wstage_latency_ranks(p->ws, pct, k, out);
    memset(out, 0, k * sizeof *out);
    return 0;
}

void pipe_window_keep_log(struct pipe *p, bool on) {
    if (p->ws) wstage_keep_log(p->ws, on);
}

const struct win_row *pipe_window_log(const struct pipe *p, size_t *n, bool *truncated) {
    *n = 0;
    *truncated = false;
    return p->ws ? wstage_log(p->ws, n, truncated) : NULL;
}

const struct pipe_watermark *pipe_window_watermarks(const struct pipe *p, size_t *n) {
    *n = 0;
    return p->ws ? wstage_watermarks(p->ws, n) : NULL;
}

const char *pipe_window_key_name(const struct pipe *p, uint64_t key, char *buf, size_t size) {
    if (p->ws) return wstage_key_name(p->ws, key, buf, size);
    snprintf(buf, size, "%llu", (unsigned long long)key);
    return buf;
}

void pipe_moments_add(const struct pipe *p, uint64_t out[PIPE_MOMENTS]) {
    for (unsigned m = 0; m < PIPE_MOMENTS; m++)
        out[m] += p->moment[m];
    struct pipe_window_stats ws;
    pipe_window_stats(p, &ws);
    out[PIPE_M_PARTLY_LATE] += ws.partly_late;
}
