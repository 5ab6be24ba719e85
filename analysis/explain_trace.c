/* The trace an explanation reads (explain_internal.h): every event of the run kept in
 * memory (at most EXPLAIN_TRACE_MAX), indexed by message id, by record (the events
 * pipe_trace_record gives it, in order) and by kind (crashes and restarts per node,
 * partitions, heals, checkpoint and group events); each record's source key from the
 * generated input; and the one rule that links an event to the handler it ran in. */
#include <stdlib.h>
#include <string.h>

#include "explain_internal.h"
#include "grow.h"
#include "source.h"

/* ---- collecting and indexing the trace ---- */

void ex_collect(const struct sim_trace_rec *r, void *ctx) {
    struct ex_trace *t = ctx;
    if (t->err) return;
    if (t->n >= EXPLAIN_TRACE_MAX) {
        t->err = FT_ELIMIT;
        return;
    }
    if (ft_grow((void **)&t->ev, &t->cap, t->n + 1, sizeof *t->ev, 1u << 14)) {
        t->err = FT_ENOMEM;
        return;
    }
    t->ev[t->n++] = *r;
}

static int list_add(struct ex_list *l, uint32_t i) {
    if (ft_grow((void **)&l->i, &l->cap, l->n + 1, sizeof *l->i, 16)) return FT_ENOMEM;
    l->i[l->n++] = i;
    return 0;
}

/* The lists of kernel and pipeline events by kind (crashes and restarts by node). */
static int index_event(struct ex_trace *t, uint32_t i) {
    const struct sim_trace_rec *r = &t->ev[i];
    switch (r->type) {
    case SIM_TR_CRASH:
        return r->node < EX_NODES_MAX ? list_add(&t->crash[r->node], i) : 0;
    case SIM_TR_RESTART:
        return r->node < EX_NODES_MAX ? list_add(&t->restart[r->node], i) : 0;
    case SIM_TR_PARTITION:
        return list_add(&t->partition, i);
    case SIM_TR_HEAL:
        return list_add(&t->heal, i);
    case SIM_TR_USER:
        if (r->kind == PIPE_TR_VISIBLE && r->id < t->nrec) ledger_visible(&t->ledger, r->id, 0);
        if (r->kind >= PIPE_TR_CKPT_TRIGGER && r->kind <= PIPE_TR_CKPT_ROLLBACK)
            return list_add(&t->ckpt, i);
        if (r->kind == PIPE_TR_REBALANCE || r->kind == PIPE_TR_FENCED)
            return list_add(&t->group, i);
        return 0;
    default:
        return 0;
    }
}

/* send_of by message id, the per-record index (counted, then filled), the lists. */
int ex_index(struct ex_trace *t) {
    uint64_t maxid = 0, rec;
    for (size_t i = 0; i < t->n; i++)
        if (t->ev[i].type == SIM_TR_SEND && t->ev[i].id > maxid) maxid = t->ev[i].id;
    t->nmsg = maxid + 1;
    t->send_of = calloc(t->nmsg, sizeof *t->send_of);
    t->roff = calloc(t->nrec + 2, sizeof *t->roff);
    if (!t->send_of || !t->roff || ledger_init_full(&t->ledger, t->nrec) != 0) return FT_ENOMEM;
    for (size_t i = 0; i < t->n; i++) {
        const struct sim_trace_rec *r = &t->ev[i];
        if (r->type == SIM_TR_SEND) t->send_of[r->id] = (uint32_t)i + 1;
        if (pipe_trace_record(r, &rec) && rec < t->nrec) t->roff[rec + 2]++;
        if (index_event(t, (uint32_t)i) != 0) return FT_ENOMEM;
    }
    for (uint64_t r = 2; r < t->nrec + 2; r++)
        t->roff[r] += t->roff[r - 1];
    t->rix = malloc((t->roff[t->nrec + 1] + 1) * sizeof *t->rix);
    if (!t->rix) return FT_ENOMEM;
    for (size_t i = 0; i < t->n; i++) /* roff[rec + 1] is the cursor, ending at roff[rec + 2] */
        if (pipe_trace_record(&t->ev[i], &rec) && rec < t->nrec)
            t->rix[t->roff[rec + 1]++] = (uint32_t)i;
    return 0;
}

/* Per record, its source key (from the generated input alone). */
int ex_read_keys(struct ex_trace *t, uint64_t seed, struct ft_error *err) {
    struct src_gen g;
    int rc = src_gen_open(&g, &t->cfg->source, t->cfg->duration_ns, seed, err);
    if (rc) return rc;
    t->key = calloc(t->nrec ? t->nrec : 1, sizeof *t->key);
    if (!t->key)
        rc = ft_fail(err, FT_ENOMEM, "out of memory for %llu records", (unsigned long long)t->nrec);
    struct src_record r;
    while (!rc && src_gen_next(&g, &r))
        if (r.id < t->nrec) t->key[r.id] = r.key;
    src_gen_free(&g);
    return rc;
}

void ex_trace_free(struct ex_trace *t) {
    free(t->ev);
    free(t->send_of);
    free(t->roff);
    free(t->rix);
    free(t->key);
    ledger_free(&t->ledger);
    for (uint32_t i = 0; i < EX_NODES_MAX; i++) {
        free(t->crash[i].i);
        free(t->restart[i].i);
    }
    free(t->partition.i);
    free(t->heal.i);
    free(t->ckpt.i);
    free(t->group.i);
}

/* ---- reading the trace ---- */

static bool handler_start(const struct sim_trace_rec *r) {
    return r->type == SIM_TR_DELIVER || r->type == SIM_TR_TIMER || r->type == SIM_TR_START ||
           r->type == SIM_TR_RESTART;
}

/* A drop traced by the send itself (a rule, loss, a partition seen at the send), not
 * at the delivery (receiver down, a partition met on the way, a duplicate copy). */
static bool drop_at_send(const struct ex_trace *t, uint32_t j) {
    const struct sim_trace_rec *r = &t->ev[j];
    if (r->reason == SIM_DROP_RULE || r->reason == SIM_DROP_LOSS) return true;
    if (r->reason != SIM_DROP_PARTITION || j == 0) return false;
    const struct sim_trace_rec *p = &t->ev[j - 1];
    return p->id == r->id && (p->type == SIM_TR_SEND || p->type == SIM_TR_DUP);
}

/* An event a handler traces while it runs: a send (with its dup or drop at the send),
 * a pipeline event, a step fault and the crash it causes. */
static bool in_handler(const struct ex_trace *t, uint32_t j) {
    switch (t->ev[j].type) {
    case SIM_TR_SEND:
    case SIM_TR_DUP:
    case SIM_TR_USER:
    case SIM_TR_FAULT:
        return true;
    case SIM_TR_DROP:
        return drop_at_send(t, j);
    case SIM_TR_CRASH:
        return j > 0 && t->ev[j - 1].type == SIM_TR_FAULT;
    default:
        return false;
    }
}

uint32_t ex_cause_of(const struct ex_trace *t, uint32_t i) {
    const struct sim_trace_rec *e = &t->ev[i];
    for (uint32_t j = i; j-- > 0;) {
        const struct sim_trace_rec *r = &t->ev[j];
        if (r->time_ns != e->time_ns) return EXPLAIN_NONE;
        if (handler_start(r)) return r->node == e->node ? j : EXPLAIN_NONE;
        if (!in_handler(t, j) || r->node != e->node) return EXPLAIN_NONE;
    }
    return EXPLAIN_NONE;
}

size_t ex_upper(const struct ex_list *l, uint32_t after) {
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (l->i[mid] <= after)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

uint32_t ex_first_after(const struct ex_list *l, uint32_t after, uint32_t before) {
    size_t k = after == EXPLAIN_NONE ? 0 : ex_upper(l, after);
    return k < l->n && l->i[k] < before ? l->i[k] : EXPLAIN_NONE;
}

uint32_t ex_last_before(const struct ex_list *l, uint32_t before) {
    size_t k = ex_upper(l, before - 1);
    return before && k ? l->i[k - 1] : EXPLAIN_NONE;
}

void ex_event(const struct ex_trace *t, uint32_t i, uint8_t role, bool key,
              struct explain_event *o) {
    const struct sim_trace_rec *r = &t->ev[i];
    uint64_t rec;
    *o = (struct explain_event){.t_ns = r->time_ns,
                                .seq = i,
                                .rec = UINT64_MAX,
                                .node = r->node,
                                .peer = r->peer,
                                .kind = r->kind,
                                .type = r->type,
                                .reason = r->reason,
                                .role = role,
                                .key = key};
    if (pipe_trace_record(r, &rec)) o->rec = rec;
    switch (r->type) {
    case SIM_TR_SEND:
    case SIM_TR_DELIVER:
    case SIM_TR_DROP:
    case SIM_TR_DUP:
        o->msg = r->id;
        break;
    case SIM_TR_TIMER:
        break; /* a: set by the caller (the delay) */
    default:
        o->a = r->id;
        o->b = r->arg;
        break;
    }
}
