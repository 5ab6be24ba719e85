/* Choosing what a message-sequence diagram draws (diagram.c runs, then calls these):
 * the record followed (--record, or the first one a fault touches), its messages or the
 * explained chain's, the view's time window, and the crashes, restarts, partitions and
 * checkpoints inside it. Reads the collected trace only; never changes it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagram_internal.h"
#include "plot_internal.h"

bool dg_dropped_at_send(const struct dg_arrow *a) {
    return a->fate == FATE_DROPPED && a->t1 == a->t0 &&
           (a->reason == SIM_DROP_RULE || a->reason == SIM_DROP_LOSS ||
            a->reason == SIM_DROP_PARTITION);
}

const char *dg_node_name(const struct pipe_config *cfg, uint32_t id, char *buf, size_t n) {
    return pipe_node_name(cfg, id, buf, n);
}

/* The first message dropped with `reason` at or after t_ns whose tag names a source
 * record (pipe_msg_has_record); SIZE_MAX without one. */
static size_t first_cut_off(const struct dg_trace *t, uint64_t t_ns, uint8_t reason) {
    for (size_t i = 0; i < t->narrows; i++) {
        const struct dg_arrow *a = &t->arrows[i];
        if (a->fate == FATE_DROPPED && a->reason == reason && a->t1 >= t_ns &&
            pipe_msg_has_record((int)a->kind))
            return i;
    }
    return SIZE_MAX;
}

/* The first fault of the run: a step crash, a time crash, a partition, or a message
 * dropped by a rule or by loss; and the record to follow: the one the fault hits, or
 * for a time crash or a partition the first record whose message it cuts off. Returns
 * false without a fault. Arrows are in send order. */
static bool first_fault(const struct diag_options *o, const struct dg_trace *t, uint64_t *at,
                        bool *has_record, uint64_t *record, char *words, size_t size) {
    uint64_t best = UINT64_MAX;
    char a[PIPE_NAME_MAX], b[PIPE_NAME_MAX];
    for (size_t i = 0; i < t->nmarks; i++) {
        const struct dg_mark *m = &t->marks[i];
        if (m->type != MK_FAULT && m->type != MK_CRASH && m->type != MK_PARTITION) continue;
        if (m->t_ns >= best) break;
        best = m->t_ns;
        bool of_rec = m->type == MK_FAULT && !m->ckpt;
        *has_record = of_rec;
        *record = m->arg;
        int k = m->type == MK_PARTITION
                    ? snprintf(words, size, "a network partition at %.3f ms", (double)best / 1e6)
                : m->type == MK_CRASH
                    ? snprintf(words, size, "%s crashes at %.3f ms",
                               dg_node_name(o->cfg, m->node, a, sizeof a), (double)best / 1e6)
                    : snprintf(words, size, "%s crashes at step %s of %s %llu",
                               dg_node_name(o->cfg, m->node, a, sizeof a), m->step,
                               m->ckpt ? "checkpoint" : "record", (unsigned long long)m->arg);
        if (of_rec) continue;
        /* a crash at a time or a checkpoint step, a partition: follow the first record
         * whose message it cuts off */
        size_t c =
            first_cut_off(t, best, m->type == MK_PARTITION ? SIM_DROP_PARTITION : SIM_DROP_DOWN);
        if (c == SIZE_MAX) continue;
        *has_record = true;
        *record = t->arrows[c].tag;
        if (k > 0 && (size_t)k < size)
            snprintf(words + k, size - (size_t)k, "; record %llu is the first it cuts off",
                     (unsigned long long)*record);
    }
    for (size_t i = 0; i < t->narrows; i++) {
        const struct dg_arrow *w = &t->arrows[i];
        if (w->t0 >= best) break;
        if (!dg_dropped_at_send(w) || w->reason == SIM_DROP_PARTITION) continue;
        best = w->t0;
        *has_record = true;
        *record = w->tag;
        snprintf(words, size, "the %s of record %llu from %s to %s is %s",
                 pipe_msg_name((int)w->kind), (unsigned long long)w->tag,
                 dg_node_name(o->cfg, w->src, a, sizeof a),
                 dg_node_name(o->cfg, w->dst, b, sizeof b),
                 w->reason == SIM_DROP_RULE ? "dropped by the scenario's rule" : "lost");
    }
    *at = best;
    return best != UINT64_MAX;
}

/* The message carries source record `record` (heartbeats, inits and checkpoint
 * messages carry none, whatever their tag). */
static bool of_record(const struct dg_arrow *a, uint64_t record) {
    return pipe_msg_has_record((int)a->kind) && a->tag == record;
}

bool dg_chain_has(const struct diag_chain *c, uint64_t msg) {
    return dg_find_u64(c->msgs, c->nmsgs, msg) != NULL;
}

/* A message of the followed record, or of the explained chain (--explain). */
static bool in_focus(const struct diag_options *o, const struct dg_arrow *a, uint64_t record) {
    return of_record(a, record) || (o->chain && dg_chain_has(o->chain, a->id));
}

int dg_select_view(const struct diag_options *o, const struct dg_trace *t, struct diag_report *rep,
                   struct dg_view *v, struct ft_error *err) {
    memset(v, 0, sizeof *v);
    v->sel = malloc((t->narrows ? t->narrows : 1) * sizeof *v->sel);
    if (!v->sel) return ft_fail(err, FT_ENOMEM, "out of memory");
    uint64_t fault_at = 0, frec = 0;
    bool frec_ok = false;
    bool fault = first_fault(o, t, &fault_at, &frec_ok, &frec, rep->fault, sizeof rep->fault);
    v->focused = o->has_record || (!o->has_window && fault && frec_ok);
    v->record = o->has_record ? o->record : frec;
    size_t start = 0;
    if (!o->has_window && !v->focused) { /* messages around the first fault (or the start) */
        while (fault && start < t->narrows && t->arrows[start].t0 < fault_at)
            start++;
        start = start > DIAG_BEFORE_FAULT ? start - DIAG_BEFORE_FAULT : 0;
    }
    for (size_t i = start; i < t->narrows; i++) {
        const struct dg_arrow *a = &t->arrows[i];
        if (o->has_window && (a->t0 < o->from_ns || a->t0 > o->to_ns)) continue;
        if (v->focused && !in_focus(o, a, v->record)) continue;
        if (v->nsel == (v->focused ? DIAG_ARROWS_MAX : DIAG_DEFAULT_ARROWS) && !o->has_window &&
            !o->has_record) {
            rep->truncated = true;
            break;
        }
        v->sel[v->nsel++] = i;
    }
    if (v->nsel > DIAG_ARROWS_MAX || v->nsel == 0) {
        size_t n = 0; /* all of them, for the message */
        for (size_t i = 0; i < t->narrows; i++) {
            const struct dg_arrow *a = &t->arrows[i];
            n += (!o->has_window || (a->t0 >= o->from_ns && a->t0 <= o->to_ns)) &&
                 (!v->focused || in_focus(o, a, v->record));
        }
        char what[160] = "";
        if (v->focused)
            snprintf(what, sizeof what, " of record %llu", (unsigned long long)v->record);
        if (o->has_window)
            snprintf(what + strlen(what), sizeof what - strlen(what),
                     " sent from %.3f ms to %.3f ms", (double)o->from_ns / 1e6,
                     (double)o->to_ns / 1e6);
        if (n == 0)
            return ft_fail(err, FT_ELIMIT,
                           "no messages%s: widen --from/--to or choose another "
                           "--record",
                           what);
        return ft_fail(err, FT_ELIMIT,
                       "%zu messages%s; a diagram shows at most %u (readable "
                       "on a slide): narrow --from/--to or follow one record "
                       "with --record",
                       n, what, DIAG_ARROWS_MAX);
    }
    v->from_ns = UINT64_MAX;
    v->to_ns = 0;
    for (size_t k = 0; k < v->nsel; k++) {
        const struct dg_arrow *a = &t->arrows[v->sel[k]];
        if (a->t0 < v->from_ns) v->from_ns = a->t0;
        if (a->t1 > v->to_ns) v->to_ns = a->t1;
    }
    if (o->has_window) {
        v->from_ns = o->from_ns < v->from_ns ? o->from_ns : v->from_ns;
        v->to_ns = o->to_ns > v->to_ns ? o->to_ns : v->to_ns;
    }
    /* following the record a fault cut off: the fault itself is in the picture */
    if (v->focused && !o->has_record && fault && fault_at < v->from_ns) v->from_ns = fault_at;
    return 0;
}

/* The marks to draw: crashes, restarts, partitions, heals and step faults inside the
 * view, the restart of every node that crashed in it (so recovery shows), and the
 * records made visible (the followed one only, when following a record, but then also
 * after its last message). */
/* exactly-once-checkpoint rolls the job back as soon as a crashed worker is back: the
 * rollback within DIAG_ROLLBACK_NS of a restart in view is in view too. */
#define DIAG_ROLLBACK_NS (20 * SIM_NS_PER_MS)
static void rollback_after(const struct dg_trace *t, uint64_t restart_ns, struct dg_view *v) {
    for (size_t k = 0; k < t->nmarks; k++) {
        const struct dg_mark *r = &t->marks[k];
        if (r->type == MK_CKPT && r->copy == PIPE_TR_CKPT_ROLLBACK && r->t_ns >= restart_ns &&
            r->t_ns <= restart_ns + DIAG_ROLLBACK_NS && r->t_ns > v->to_ns)
            v->to_ns = r->t_ns;
    }
}

size_t dg_select_marks(const struct dg_trace *t, struct dg_view *v, size_t *idx) {
    size_t n = 0;
    for (size_t i = 0; i < t->nmarks && n < DIAG_MARKS_MAX; i++) {
        const struct dg_mark *m = &t->marks[i];
        /* the followed record becoming visible counts even after its last message (a
         * transaction's commit carries another record's tag) */
        bool mine = v->focused && m->type == MK_VISIBLE && m->arg == v->record;
        if (m->t_ns < v->from_ns || (m->t_ns > v->to_ns && !mine)) continue;
        if (m->type == MK_VISIBLE && v->focused && !mine) continue;
        if (m->t_ns > v->to_ns) v->to_ns = m->t_ns;
        idx[n++] = i;
        if (m->type != MK_CRASH) continue;
        for (size_t k = i + 1; k < t->nmarks; k++)
            if (t->marks[k].type == MK_RESTART && t->marks[k].node == m->node) {
                if (t->marks[k].t_ns > v->to_ns) v->to_ns = t->marks[k].t_ns;
                rollback_after(t, t->marks[k].t_ns, v);
                break;
            }
    }
    return n;
}
