/* Collecting one pipeline run for a diagram (diagram_internal.h): every message's send
 * and fate (delivered, or dropped with its reason), every crash, restart, partition,
 * heal, step fault, record made visible and partition moved, from the run's trace hook,
 * which only reads (the trace hash is that of `ftsim run`). */
#include <stdlib.h>
#include <string.h>

#include "diagram_internal.h"
#include "grow.h"

/* ---- collecting ---- */

/* Room for `need` elements, at most max. */
static bool grow(void **p, size_t *cap, size_t need, size_t elem, size_t max) {
    return need <= max && ft_grow(p, cap, need, elem, 1024) == 0;
}

static void on_send(struct dg_trace *t, const struct sim_trace_rec *r) {
    size_t cap = t->nsends;
    if (r->id >= DIAG_TRACE_MAX) {
        t->err = FT_ELIMIT;
        return;
    }
    if (r->id >= cap) {
        size_t c = cap;
        if (!grow((void **)&t->sends, &c, (size_t)r->id + 1, sizeof *t->sends, DIAG_TRACE_MAX)) {
            t->err = FT_ENOMEM;
            return;
        }
        memset(t->sends + cap, 0, (c - cap) * sizeof *t->sends);
        t->nsends = c;
    }
    t->sends[r->id] = (struct dg_send){r->time_ns, r->tag, r->node, r->peer, r->kind};
}

static void on_fate(struct dg_trace *t, const struct sim_trace_rec *r) {
    if (r->id >= t->nsends) return;
    const struct dg_send *s = &t->sends[r->id];
    if (!grow((void **)&t->arrows, &t->cap, t->narrows + 1, sizeof *t->arrows, DIAG_TRACE_MAX)) {
        t->err = t->narrows + 1 > DIAG_TRACE_MAX ? FT_ELIMIT : FT_ENOMEM;
        return;
    }
    t->arrows[t->narrows++] = (struct dg_arrow){
        s->t_ns,  r->time_ns, r->id,   s->tag,
        s->src,   s->dst,     s->kind, r->type == SIM_TR_DELIVER ? FATE_DELIVERED : FATE_DROPPED,
        r->reason};
}

static void on_mark(struct dg_trace *t, const struct sim_trace_rec *r, uint8_t type) {
    if (t->nmarks >= DIAG_TRACE_MAX ||
        !grow((void **)&t->marks, &t->mcap, t->nmarks + 1, sizeof *t->marks, DIAG_TRACE_MAX)) {
        t->err = FT_ENOMEM;
        return;
    }
    struct dg_mark m = {r->time_ns, 0, 0, r->node, 0, type, false, NULL};
    if (type == MK_CKPT) { /* the checkpoint, its job epoch and what happened to it */
        m.arg = r->id;
        m.owner_gen = r->arg;
        m.copy = r->kind;
    }
    if (type == MK_REBALANCE) {
        m.arg = r->id;
        m.owner_gen = r->arg;
    }
    if (type == MK_FAULT) {
        uint64_t rec;
        m.arg = r->arg;
        m.ckpt = !pipe_trace_record(r, &rec);
        m.step = pipe_step_name(r->kind);
        if (!m.step) m.step = "a step";
    }
    if (type == MK_VISIBLE) {
        m.arg = r->id;
        if (r->id >= t->nvisible) {
            size_t cap = t->nvisible, c = cap;
            if (r->id >= DIAG_TRACE_MAX || !grow((void **)&t->visible_count, &c, (size_t)r->id + 1,
                                                 sizeof *t->visible_count, DIAG_TRACE_MAX)) {
                t->err = FT_ENOMEM;
                return;
            }
            memset(t->visible_count + cap, 0, (c - cap) * sizeof *t->visible_count);
            t->nvisible = c;
        }
        m.copy = ++t->visible_count[r->id];
    }
    t->marks[t->nmarks++] = m;
}

void dg_on_trace(const struct sim_trace_rec *r, void *ctx) {
    struct dg_trace *t = ctx;
    if (t->err) return;
    switch (r->type) {
    case SIM_TR_SEND:
        on_send(t, r);
        break;
    case SIM_TR_DELIVER:
    case SIM_TR_DROP:
        on_fate(t, r);
        break;
    case SIM_TR_CRASH:
        on_mark(t, r, MK_CRASH);
        break;
    case SIM_TR_RESTART:
        on_mark(t, r, MK_RESTART);
        break;
    case SIM_TR_PARTITION:
        on_mark(t, r, MK_PARTITION);
        break;
    case SIM_TR_HEAL:
        on_mark(t, r, MK_HEAL);
        break;
    case SIM_TR_FAULT:
        on_mark(t, r, MK_FAULT);
        break;
    case SIM_TR_USER:
        if (r->kind == PIPE_TR_VISIBLE) on_mark(t, r, MK_VISIBLE);
        if (r->kind == PIPE_TR_REBALANCE) on_mark(t, r, MK_REBALANCE);
        if (r->kind >= PIPE_TR_CKPT_TRIGGER && r->kind <= PIPE_TR_CKPT_ROLLBACK)
            on_mark(t, r, MK_CKPT);
        break;
    default:
        break;
    }
}

int dg_by_send(const void *a, const void *b) {
    const struct dg_arrow *x = a, *y = b;
    if (x->t0 != y->t0) return x->t0 < y->t0 ? -1 : 1;
    if (x->id != y->id) return x->id < y->id ? -1 : 1;
    return (x->t1 > y->t1) - (x->t1 < y->t1);
}

void dg_trace_free(struct dg_trace *t) {
    free(t->sends);
    free(t->arrows);
    free(t->marks);
    free(t->visible_count);
}
