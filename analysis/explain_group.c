/* Explaining a run (explain.h): the run with its trace collected, the records to
 * explain (lost, duplicated, or the one asked for) each explained (explain.c), and the
 * groups of records that share a cause: the same crash (behind a crash or a "down"
 * drop), the same partition, the same drop rule or lossy link (per message kind and
 * link), the same rollback; a group that is one of the scenario's faults names it. */
#include <stdlib.h>
#include <string.h>

#include "explain_internal.h"
#include "grow.h"

/* ---- groups ---- */

/* Whether drop rule f of the scenario matches the dropped message e. */
static bool rule_matches(const struct pipe_config *cfg, const struct pipe_fault *f,
                         const struct explain_event *e) {
    char a[PIPE_NAME_MAX], b[PIPE_NAME_MAX];
    if (f->type != PIPE_FAULT_DROP || (uint32_t)f->msg_kind != e->kind) return false;
    if (f->from[0] && strcmp(f->from, pipe_node_name(cfg, e->node, a, sizeof a)) != 0) return false;
    if (f->to[0] && strcmp(f->to, pipe_node_name(cfg, e->peer, b, sizeof b)) != 0) return false;
    return f->record == PIPE_ANY || f->record == e->rec;
}

/* The scenario's fault a group's event is: the drop rule, the crash (at a step: the
 * n-th step rule; at a time: node and time), the partition (its time); -1 for none. */
static int fault_of(const struct pipe_config *cfg, const struct explain_group *g,
                    const struct explain_event *fault) {
    char a[PIPE_NAME_MAX];
    int steps = 0;
    for (uint32_t i = 0; i < cfg->nfaults; i++) {
        const struct pipe_fault *f = &cfg->faults[i];
        bool step = f->type == PIPE_FAULT_CRASH && !f->has_at;
        if (g->by == EXPLAIN_BY_RULE && rule_matches(cfg, f, &g->event)) return (int)i;
        if (g->by == EXPLAIN_BY_CRASH && step && fault && (uint64_t)steps == fault->a)
            return (int)i;
        if (g->by == EXPLAIN_BY_CRASH && f->type == PIPE_FAULT_CRASH && f->has_at && !fault &&
            f->at_ns == g->event.t_ns &&
            strcmp(f->node, pipe_node_name(cfg, g->event.node, a, sizeof a)) == 0)
            return (int)i;
        if (g->by == EXPLAIN_BY_PARTITION && f->type == PIPE_FAULT_PARTITION &&
            f->at_ns == g->event.t_ns)
            return (int)i;
        steps += step;
    }
    return -1;
}

/* The event that stands for a record's group: the crash behind a crash or a "down"
 * drop, the partition behind a partition drop, the cause itself otherwise. */
static uint32_t group_event(const struct ex_trace *t, uint32_t cause, enum explain_cause by) {
    if (cause == EXPLAIN_NONE) return cause;
    const struct sim_trace_rec *r = &t->ev[cause];
    if (by == EXPLAIN_BY_CRASH && r->type == SIM_TR_DROP)
        return r->peer < EX_NODES_MAX ? ex_last_before(&t->crash[r->peer], cause) : EXPLAIN_NONE;
    if (by == EXPLAIN_BY_PARTITION) return ex_last_before(&t->partition, cause);
    return cause;
}

static bool same_group(const struct ex_trace *t, const struct explain_group *g,
                       enum explain_verdict v, enum explain_cause by, uint32_t ge) {
    if (g->verdict != v || g->by != by) return false;
    if (by == EXPLAIN_BY_RULE || by == EXPLAIN_BY_LOSS) { /* one per message kind and link */
        const struct sim_trace_rec *r = &t->ev[ge];
        return g->event.kind == r->kind && g->event.node == r->node && g->event.peer == r->peer;
    }
    if (by == EXPLAIN_BY_CRASH || by == EXPLAIN_BY_PARTITION || by == EXPLAIN_BY_ROLLBACK)
        return g->event.seq == (ge == EXPLAIN_NONE ? UINT64_MAX : ge);
    if (by == EXPLAIN_BY_FENCE) return g->event.a == t->ev[ge].id; /* the partition */
    return true; /* abort, timeout, end, none: one group each */
}

/* The end of a group: the crashed node's restart, the heal; the last drop of a rule. */
static void group_end(const struct ex_trace *t, struct explain_group *g, uint32_t ge) {
    uint32_t end = EXPLAIN_NONE;
    if (g->by == EXPLAIN_BY_CRASH && g->event.node < EX_NODES_MAX)
        end = ex_first_after(&t->restart[g->event.node], ge, (uint32_t)t->n);
    if (g->by == EXPLAIN_BY_PARTITION) end = ex_first_after(&t->heal, ge, (uint32_t)t->n);
    if (g->by == EXPLAIN_BY_RULE || g->by == EXPLAIN_BY_LOSS) end = ge;
    if (end == EXPLAIN_NONE) return;
    g->has_end = true;
    ex_event(t, end, EXPLAIN_CONTEXT, false, &g->end);
}

/* Adds record rec (its cause: trace index, kind) to its group. */
static int add_to_group(const struct ex_trace *t, struct explain_result *res, size_t *cap,
                        const struct explain_record *x, uint32_t cause, enum explain_cause by,
                        uint32_t *group) {
    uint64_t rec = x->rec;
    enum explain_verdict v = x->verdict;
    uint32_t ge = group_event(t, cause, by);
    if (ge == EXPLAIN_NONE && by != EXPLAIN_BY_ABORT && by != EXPLAIN_BY_TIMEOUT &&
        by != EXPLAIN_BY_END && by != EXPLAIN_BY_NONE)
        by = EXPLAIN_BY_NONE;
    size_t g = 0;
    while (g < res->ngroups && !same_group(t, &res->groups[g], v, by, ge))
        g++;
    if (g == res->ngroups) {
        if (ft_grow((void **)&res->groups, cap, g + 1, sizeof *res->groups, 8)) return FT_ENOMEM;
        struct explain_group *n = &res->groups[res->ngroups++];
        memset(n, 0, sizeof *n);
        n->verdict = v;
        n->by = by;
        n->example = EXPLAIN_NONE;
        n->event.seq = UINT64_MAX;
        if (ge != EXPLAIN_NONE) ex_event(t, ge, EXPLAIN_CAUSE, true, &n->event);
        bool step = ge != EXPLAIN_NONE && ge > 0 && t->ev[ge - 1].type == SIM_TR_FAULT &&
                    t->ev[ge].type == SIM_TR_CRASH;
        struct explain_event fault;
        if (step) ex_event(t, ge - 1, EXPLAIN_CONTEXT, false, &fault);
        n->fault = ge == EXPLAIN_NONE ? -1 : fault_of(t->cfg, n, step ? &fault : NULL);
        if (ge != EXPLAIN_NONE) group_end(t, n, ge);
    } else if (by == EXPLAIN_BY_RULE || by == EXPLAIN_BY_LOSS) {
        group_end(t, &res->groups[g], ge); /* the last drop so far */
    }
    struct explain_group *G = &res->groups[g];
    if (ft_grow((void **)&G->recs, &G->recs_cap, G->nrec + 1, sizeof *G->recs, 16))
        return FT_ENOMEM;
    G->recs[G->nrec++] = rec;
    if (x->copies > G->copies_max) G->copies_max = x->copies;
    if (by == EXPLAIN_BY_CRASH) {
        bool down = cause != EXPLAIN_NONE && t->ev[cause].type == SIM_TR_DROP;
        G->n_to += down;
        G->n_at += !down;
    }
    *group = (uint32_t)g;
    return 0;
}

/* ---- the run ---- */

static bool wanted(const struct ex_trace *t, const struct explain_opts *opt, uint64_t rec) {
    if (opt && opt->has_record) return rec == opt->record;
    return t->ledger.count[rec] != 1;
}

static int explain_records(const struct ex_trace *t, const struct explain_opts *opt,
                           struct explain_result *res) {
    size_t rcap = 0, gcap = 0, scap = 0;
    struct ex_mark *scratch = NULL;
    int rc = 0;
    for (uint64_t rec = 0; rec < t->nrec && !rc; rec++) {
        if (!wanted(t, opt, rec)) continue;
        struct explain_record x;
        enum explain_cause by;
        rc = ex_explain_record(t, rec, &x, &by, &scratch, &scap);
        if (rc) break;
        res->nexplained++;
        if (x.verdict != EXPLAIN_ONCE) {
            uint32_t cause =
                x.cause == EXPLAIN_NONE ? EXPLAIN_NONE : (uint32_t)x.chain[x.cause].seq;
            rc = add_to_group(t, res, &gcap, &x, cause, by, &x.group);
        }
        if (rc || res->nrecs >= EXPLAIN_CHAINS_MAX ||
            ft_grow((void **)&res->recs, &rcap, res->nrecs + 1, sizeof *res->recs, 64)) {
            free(x.chain);
            if (!rc && res->nrecs < EXPLAIN_CHAINS_MAX) rc = FT_ENOMEM;
            continue;
        }
        if (x.group != EXPLAIN_NONE && res->groups[x.group].example == EXPLAIN_NONE)
            res->groups[x.group].example = (uint32_t)res->nrecs;
        res->recs[res->nrecs++] = x;
    }
    free(scratch);
    return rc;
}

int explain_run(const struct pipe_config *cfg, enum dlv_protocol p, uint64_t seed,
                const struct explain_opts *opt, struct explain_result *out, struct ft_error *err) {
    memset(out, 0, sizeof *out);
    out->cfg = cfg;
    out->protocol = p;
    out->seed = seed;
    out->has_record = opt && opt->has_record;
    out->record = opt ? opt->record : 0;
    struct ex_trace t = {.cfg = cfg, .proto = p, .broker = 1, .sink = cfg->workers + 2};
    struct exp_options eo = {.trace = ex_collect, .trace_ctx = &t};
    struct exp_windows w = {0};
    int rc = exp_run_windows(cfg, p, seed, &eo, &out->outcome, cfg->query.enabled ? &w : NULL, err);
    if (!rc && t.err)
        rc = ft_fail(err, t.err,
                     t.err == FT_ELIMIT ? "the run has more than %u trace events: too many to "
                                          "explain (shorten the duration)"
                                        : "out of memory for the run's trace (%u events at most)",
                     EXPLAIN_TRACE_MAX);
    t.nrec = out->outcome.sent;
    if (!rc && out->has_record && out->record >= t.nrec)
        rc = ft_fail(err, FT_ENOENT, "record %llu was never generated: the run has records 0..%llu",
                     (unsigned long long)out->record, (unsigned long long)t.nrec - 1);
    if (!rc && ex_index(&t) != 0) rc = ft_fail(err, FT_ENOMEM, "out of memory for the trace");
    if (!rc) rc = ex_read_keys(&t, seed, err);
    if (!rc && (rc = explain_records(&t, opt, out)) != 0)
        ft_fail(err, rc, "out of memory explaining the records");
    if (!rc && cfg->query.enabled && !out->has_record) rc = explain_rows(&t, seed, &w, out, err);
    exp_windows_free(&w);
    ex_trace_free(&t);
    if (rc) explain_free(out);
    return rc;
}

void explain_free(struct explain_result *r) {
    if (!r) return;
    for (size_t i = 0; i < r->nrecs; i++)
        free(r->recs[i].chain);
    for (size_t i = 0; i < r->ngroups; i++)
        free(r->groups[i].recs);
    free(r->recs);
    free(r->groups);
    free(r->rows);
    r->recs = NULL;
    r->groups = NULL;
    r->rows = NULL;
    r->nrecs = r->ngroups = r->nrows = 0;
}
