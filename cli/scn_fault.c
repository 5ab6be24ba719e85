/* Scenario loader: the `faults:` section (docs/scenario-format.md). A crash at a time or
 * at the nth event of a named step, a drop rule on one message kind between two nodes
 * (which must be a route that kind travels), or a partition into sides with a heal. Node
 * names are checked against the scenario's nodes, so `nodes:` is decoded first. */
#include <stdio.h>
#include <string.h>

#include "scn_internal.h"

enum {
    F_CRASH,
    F_DROP,
    F_PARTITION,
    F_STEP,
    F_AT,
    F_RECORD,
    F_NTH,
    F_RESTART_AFTER,
    F_FROM,
    F_TO,
    F_COUNT,
    F_HEAL,
    F_N
};
static const char *const fault_keys[F_N] = {"crash", "drop",   "partition", "step",
                                            "at",    "record", "nth",       "restart_after",
                                            "from",  "to",     "count",     "heal"};
static const struct scn_mapspec fault_spec = {
    "for each fault in 'faults'", "in a fault", "key", fault_keys, F_N, 0};

/* A fault's `at`: a time before the run ends. */
static int get_at(struct scn_ctx *c, const struct scn_node *n, uint64_t *at_ns) {
    const struct pipe_config *p = &c->out->pipe;
    char a[32], b[32];
    int rc = scn_get_duration(c, n, "at", false, at_ns);
    if (!rc && *at_ns >= p->duration_ns + p->drain_ns)
        return scn_fail(c, n, "'at' must be before the run ends (duration + drain = %s), found %s",
                        scn_duration_str(p->duration_ns + p->drain_ns, a, sizeof a),
                        scn_duration_str(*at_ns, b, sizeof b));
    return rc;
}

static int get_match(struct scn_ctx *c, const struct scn_node *const *v, struct pipe_fault *f) {
    int rc = 0;
    if (v[F_RECORD]) rc = scn_get_u64(c, v[F_RECORD], "record", 0, SIM_ANY - 1u, &f->record);
    if (!rc && v[F_NTH]) rc = scn_get_u64(c, v[F_NTH], "nth", 1, UINT64_MAX, &f->nth);
    return rc;
}

static int crash_step(struct scn_ctx *c, const struct scn_node *const *v, struct pipe_fault *f) {
    const struct scn_node *s = v[F_STEP];
    if (s->type != SCN_Y_SCALAR || !pipe_step_valid(s->text))
        return scn_expected(c, s, "step",
                            "a step (after-receive, after-emit, before-commit, "
                            "during-checkpoint or before-snapshot-ack)");
    if (strncmp(f->node, "worker-", 7))
        return scn_fail(c, v[F_CRASH],
                        "steps are worker steps: 'crash: %s' needs 'at' (a time) instead of 'step'",
                        f->node);
    snprintf(f->step, sizeof f->step, "%s", s->text);
    return get_match(c, v, f);
}

static int fault_crash(struct scn_ctx *c, const struct scn_node *m, const struct scn_node *const *v,
                       struct pipe_fault *f) {
    int rc = scn_get_node(c, v[F_CRASH], "crash", false, f->node);
    if (rc) return rc;
    if (v[F_STEP] && v[F_AT])
        return scn_fail(c, scn_key_of(m, scn_later(v[F_STEP], v[F_AT])),
                        "a crash fault takes either 'step' or 'at', not both");
    if (!v[F_STEP] && !v[F_AT])
        return scn_fail(c, m,
                        "a crash fault needs 'step' (crash at a processing step) or 'at' "
                        "(crash at a time)");
    const struct scn_node *extra = v[F_AT] ? (v[F_RECORD] ? v[F_RECORD] : v[F_NTH]) : NULL;
    if (extra)
        return scn_fail(c, scn_key_of(m, extra),
                        "'%s' applies only to crashes at a 'step', not to crashes 'at' a time",
                        scn_key_of(m, extra)->text);
    f->restart_after_ns = SIM_NS_PER_S;
    if (v[F_RESTART_AFTER] && (rc = scn_get_duration(c, v[F_RESTART_AFTER], "restart_after", false,
                                                     &f->restart_after_ns)))
        return rc;
    if (v[F_STEP]) return crash_step(c, v, f);
    f->has_at = true;
    return get_at(c, v[F_AT], &f->at_ns);
}

/* Which nodes each message kind travels between (pipeline.h). */
static const char *const msg_route[PIPE_MSG_KINDS][2] = {
    [PIPE_MSG_PRODUCE] = {"source", "broker"},   [PIPE_MSG_PRODUCE_ACK] = {"broker", "source"},
    [PIPE_MSG_RECORD] = {"broker", "worker"},    [PIPE_MSG_ACK] = {"worker", "broker"},
    [PIPE_MSG_OUTPUT] = {"worker", "sink"},      [PIPE_MSG_OUTPUT_ACK] = {"sink", "worker"},
    [PIPE_MSG_COMMIT] = {"worker", "sink"},      [PIPE_MSG_COMMIT_ACK] = {"sink", "worker"},
    [PIPE_MSG_INIT] = {"worker", "sink"},        [PIPE_MSG_INIT_ACK] = {"sink", "worker"},
    [PIPE_MSG_HEARTBEAT] = {"worker", "broker"}, [PIPE_MSG_ASSIGN] = {"broker", "worker"},
    [PIPE_MSG_BARRIER] = {"broker", "worker"},   [PIPE_MSG_SNAPSHOT_ACK] = {"worker", "broker"},
    [PIPE_MSG_CKPT_COMMIT] = {"broker", "sink"}, [PIPE_MSG_CKPT_COMMIT_ACK] = {"sink", "broker"},
    [PIPE_MSG_JOIN] = {"worker", "broker"},      [PIPE_MSG_RESTORE] = {"broker", NULL},
    [PIPE_MSG_RESTORE_ACK] = {NULL, "broker"},   [PIPE_MSG_ASSIGN_ACK] = {"worker", "broker"},
    [PIPE_MSG_ML_JOB] = {"driver", "worker"},    [PIPE_MSG_ML_STATS] = {"worker", "driver"},
    [PIPE_MSG_ML_STATS_ACK] = {"driver", "worker"}};

static const char *role_of(const char *node) {
    return strncmp(node, "worker-", 7) ? node : "worker";
}

static const char *article(const char *role) {
    return !strcmp(role, "worker")   ? "a worker"
           : !strcmp(role, "broker") ? "the broker"
           : !strcmp(role, "sink")   ? "the sink"
           : !strcmp(role, "driver") ? "the driver"
                                     : "the source";
}

static int check_route(struct scn_ctx *c, const struct scn_node *n, const struct pipe_fault *f,
                       int end) {
    const char *node = end ? f->to : f->from, *const *r = msg_route[f->msg_kind];
    if (!*node || !r[end] || !strcmp(role_of(node), r[end])) return 0;
    return scn_fail(c, n, "'%s' messages go from %s to %s, so '%s: %s' never matches",
                    pipe_msg_name(f->msg_kind), article(r[0]), article(r[1]), end ? "to" : "from",
                    node);
}

static int fault_drop(struct scn_ctx *c, const struct scn_node *const *v, struct pipe_fault *f) {
    const struct scn_node *k = v[F_DROP];
    f->msg_kind = k->type == SCN_Y_SCALAR ? pipe_msg_parse(k->text) : -1;
    if (f->msg_kind < 0)
        return scn_expected(c, k, "drop",
                            "a message kind (produce, produce-ack, record, ack, "
                            "output, output-ack, commit, commit-ack, init, init-ack, "
                            "heartbeat, assign, assign-ack, barrier, snapshot-ack, "
                            "checkpoint-commit, checkpoint-commit-ack, join, restore, "
                            "restore-ack, ml-job, ml-stats, ml-stats-ack)");
    int rc = 0;
    if (v[F_FROM] && ((rc = scn_get_node(c, v[F_FROM], "from", true, f->from)) ||
                      (rc = check_route(c, v[F_FROM], f, 0))))
        return rc;
    if (v[F_TO] &&
        ((rc = scn_get_node(c, v[F_TO], "to", true, f->to)) ||
         (rc = check_route(c, v[F_TO], f, 1))))
        return rc;
    if ((rc = get_match(c, v, f))) return rc;
    return v[F_COUNT] ? scn_get_u64(c, v[F_COUNT], "count", 1, UINT64_MAX, &f->count) : 0;
}

/* Where `name` already is among the sides filled so far, or -1. */
static int side_of(const struct pipe_fault *f, uint32_t nsides, uint32_t last_n, const char *name) {
    for (uint32_t i = 0; i <= nsides; i++)
        for (uint32_t j = 0; j < (i == nsides ? last_n : f->side_n[i]); j++)
            if (!strcmp(f->side[i][j], name)) return (int)i;
    return -1;
}

static int get_side(struct scn_ctx *c, const struct scn_node *n, struct pipe_fault *f, uint32_t i) {
    if (n->type != SCN_Y_SEQ || !n->n)
        return scn_expected(c, n, "partition", "a list of node names for each side");
    if (n->n > PIPE_SIDE_NODES_MAX)
        return scn_fail(c, n, "a side of 'partition' has at most %u nodes, found %u",
                        PIPE_SIDE_NODES_MAX, n->n);
    for (uint32_t j = 0; j < n->n; j++) {
        int rc = scn_get_node(c, n->kids[j], "partition", false, f->side[i][j]);
        if (rc) return rc;
        int other = side_of(f, i, j, f->side[i][j]);
        if (other >= 0)
            return scn_fail(c, n->kids[j],
                            "node '%s' is in two sides of the partition (sides %d and %u)",
                            f->side[i][j], other + 1, i + 1);
        f->side_n[i] = j + 1;
    }
    return 0;
}

static int fault_partition(struct scn_ctx *c, const struct scn_node *m,
                           const struct scn_node *const *v, struct pipe_fault *f) {
    const struct scn_node *n = v[F_PARTITION];
    char a[32], b[32];
    int rc = 0;
    if (n->type != SCN_Y_SEQ)
        return scn_expected(c, n, "partition", "a list of sides like [[source, broker], [sink]]");
    if (n->n < 2 || n->n > PIPE_SIDES_MAX)
        return scn_fail(c, n, "'partition' needs 2 to %u sides, found %u", PIPE_SIDES_MAX, n->n);
    for (uint32_t i = 0; i < n->n && !rc; i++)
        rc = get_side(c, n->kids[i], f, i);
    f->nsides = n->n;
    if (rc || (v[F_AT] && (rc = get_at(c, v[F_AT], &f->at_ns)))) return rc;
    f->has_at = true;
    if (!v[F_HEAL])
        return scn_fail(c, m, "a partition fault needs 'heal' (the time the sides rejoin)");
    if ((rc = scn_get_duration(c, v[F_HEAL], "heal", false, &f->heal_ns))) return rc;
    if (f->heal_ns <= f->at_ns)
        return scn_fail(c, v[F_HEAL], "'heal' (%s) must be later than 'at' (%s)",
                        scn_duration_str(f->heal_ns, a, sizeof a),
                        scn_duration_str(f->at_ns, b, sizeof b));
    return 0;
}

static int get_fault(struct scn_ctx *c, const struct scn_node *m, struct pipe_fault *f) {
    static const uint32_t allowed[3] = {SCN_BIT(F_CRASH) | SCN_BIT(F_STEP) | SCN_BIT(F_AT) |
                                            SCN_BIT(F_RECORD) | SCN_BIT(F_NTH) |
                                            SCN_BIT(F_RESTART_AFTER),
                                        SCN_BIT(F_DROP) | SCN_BIT(F_FROM) | SCN_BIT(F_TO) |
                                            SCN_BIT(F_RECORD) | SCN_BIT(F_NTH) | SCN_BIT(F_COUNT),
                                        SCN_BIT(F_PARTITION) | SCN_BIT(F_AT) | SCN_BIT(F_HEAL)};
    static const char *const kinds[3] = {"a crash fault", "a drop fault", "a partition fault"};
    const struct scn_node *v[F_N];
    int rc = scn_map_collect(c, m, &fault_spec, v), type = -1;
    if (rc) return rc;
    for (int t = F_CRASH; t <= F_PARTITION; t++) {
        if (v[t] && type >= 0)
            return scn_fail(c, scn_key_of(m, scn_later(v[t], v[type])),
                            "a fault is one of 'crash', "
                            "'drop' or 'partition', found both '%s' and '%s'",
                            fault_keys[type], fault_keys[t]);
        if (v[t]) type = t;
    }
    if (type < 0) return scn_fail(c, m, "a fault needs one of 'crash', 'drop' or 'partition'");
    if ((rc = scn_check_allowed(c, m, &fault_spec, allowed[type], kinds[type]))) return rc;
    *f = (struct pipe_fault){.type = (enum pipe_fault_type)(PIPE_FAULT_CRASH + type),
                             .line = m->line,
                             .col = m->col,
                             .record = PIPE_ANY,
                             .nth = 1,
                             .count = 1};
    if (type == F_CRASH) return fault_crash(c, m, v, f);
    return type == F_DROP ? fault_drop(c, v, f) : fault_partition(c, m, v, f);
}

int scn_sec_faults(struct scn_ctx *c, const struct scn_node *n) {
    struct pipe_config *p = &c->out->pipe;
    if (!n) return 0;
    if (n->type != SCN_Y_SEQ) return scn_expected(c, n, "faults", "a list of faults");
    if (n->n > PIPE_FAULTS_MAX)
        return scn_fail(c, n, "expected at most %u faults, found %u", PIPE_FAULTS_MAX, n->n);
    for (uint32_t i = 0; i < n->n; i++) {
        int rc = get_fault(c, n->kids[i], &p->faults[i]);
        if (rc) return rc;
        p->nfaults = i + 1;
    }
    return 0;
}
