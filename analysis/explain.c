/* One record's chain (explain_internal.h): its own events (pipe_trace_record) are
 * followed and the events around them found by rules on the trace alone: the send a
 * delivery belongs to (message id), the handler an event ran in (ex_cause_of: a retry
 * timer, a commit's arrival, a join), the crash of a node between two of the record's
 * events there, the crash or partition a "down" or "partition" drop met. The cause is
 * the first fault-like event between the record's first copy and its second (a
 * duplicate), or the last one after which it never moved again (a loss). */
#include <stdlib.h>
#include <string.h>

#include "explain_internal.h"
#include "grow.h"

#define EX_CKPT_MARKS 8u /* checkpoint aborts shown after a lost record's last event */

/* ---- one record ---- */

struct ex_rec {
    const struct ex_trace *t;
    uint64_t rec;
    const uint32_t *e; /* its own events */
    size_t ne;
    uint32_t end; /* where its story may end: its last event, or the trace's end (lost) */
    struct ex_mark *m;
    size_t nm, cap;
    int err;
    uint32_t cause; /* trace index of the cause, EXPLAIN_NONE */
    enum explain_cause by;
};

static void mark(struct ex_rec *x, uint32_t i, uint8_t role, bool key) {
    if (i == EXPLAIN_NONE) return;
    if (ft_grow((void **)&x->m, &x->cap, x->nm + 1, sizeof *x->m, 64)) {
        x->err = FT_ENOMEM;
        return;
    }
    x->m[x->nm++] = (struct ex_mark){i, role, key, 0};
}

static const struct sim_trace_rec *ev(const struct ex_rec *x, uint32_t i) {
    return &x->t->ev[i];
}

/* The last of the record's own events before index `before` that is of `type` and
 * `kind` at `node` (SIM_NODE_NONE: any node). */
static uint32_t own_before(const struct ex_rec *x, uint32_t before, uint8_t type, uint32_t kind,
                           uint32_t node) {
    for (size_t k = x->ne; k-- > 0;) {
        const struct sim_trace_rec *r = ev(x, x->e[k]);
        if (x->e[k] >= before || r->type != type || r->kind != kind) continue;
        if (node == SIM_NODE_NONE || r->node == node) return x->e[k];
    }
    return EXPLAIN_NONE;
}

static uint32_t send_of(const struct ex_rec *x, uint32_t deliver) {
    const struct sim_trace_rec *r = ev(x, deliver);
    return r->id < x->t->nmsg && x->t->send_of[r->id] ? x->t->send_of[r->id] - 1 : EXPLAIN_NONE;
}

/* How one copy became visible: the output's arrival and send, the worker's receipt of
 * the record and the broker's send of it, and the handlers that sent them. */
struct ex_path {
    uint32_t vis, trig, out_deliver, out_send, out_cause, wrk_in, rec_send, rec_cause;
};

static struct ex_path path_of(const struct ex_rec *x, uint32_t vis) {
    const struct ex_trace *t = x->t;
    struct ex_path p = {vis,          ex_cause_of(t, vis), EXPLAIN_NONE, EXPLAIN_NONE,
                        EXPLAIN_NONE, EXPLAIN_NONE,        EXPLAIN_NONE, EXPLAIN_NONE};
    p.out_deliver = own_before(x, vis + 1, SIM_TR_DELIVER, PIPE_MSG_OUTPUT, t->sink);
    if (p.out_deliver != EXPLAIN_NONE) p.out_send = send_of(x, p.out_deliver);
    if (p.out_send == EXPLAIN_NONE) return p;
    p.out_cause = ex_cause_of(t, p.out_send);
    p.wrk_in =
        own_before(x, p.out_send + 1, SIM_TR_DELIVER, PIPE_MSG_RECORD, ev(x, p.out_send)->node);
    if (p.wrk_in != EXPLAIN_NONE) p.rec_send = send_of(x, p.wrk_in);
    if (p.rec_send != EXPLAIN_NONE) p.rec_cause = ex_cause_of(t, p.rec_send);
    return p;
}

/* Checkpoint k's steps that made a copy visible: its trigger, the worker's snapshot,
 * its completion, the sink's commit right after the copy. */
static void mark_checkpoint(struct ex_rec *x, uint32_t vis, uint32_t worker) {
    const struct ex_list *l = &x->t->ckpt;
    uint32_t commit = ex_first_after(l, vis, (uint32_t)x->t->n);
    if (commit == EXPLAIN_NONE || ev(x, commit)->kind != PIPE_TR_CKPT_COMMIT ||
        ev(x, commit)->time_ns != ev(x, vis)->time_ns)
        return;
    uint64_t k = ev(x, commit)->id;
    mark(x, commit, EXPLAIN_CONTEXT, true);
    for (size_t j = ex_upper(l, vis); j-- > 0;) {
        const struct sim_trace_rec *r = ev(x, l->i[j]);
        if (r->id != k) continue;
        bool complete = r->kind == PIPE_TR_CKPT_COMPLETE;
        if (complete || r->kind == PIPE_TR_CKPT_TRIGGER ||
            (r->kind == PIPE_TR_CKPT_SNAPSHOT && r->node == worker))
            mark(x, l->i[j], EXPLAIN_CONTEXT, complete);
        if (r->kind == PIPE_TR_CKPT_TRIGGER) break;
    }
}

static void mark_path(struct ex_rec *x, const struct ex_path *p, bool again) {
    mark(x, p->vis, EXPLAIN_PATH, true);
    mark(x, p->out_send, EXPLAIN_PATH, true);
    mark(x, p->out_deliver, EXPLAIN_PATH, false);
    mark(x, p->wrk_in, EXPLAIN_PATH, false);
    bool resend =
        p->rec_send != EXPLAIN_NONE && own_before(x, p->rec_send, SIM_TR_SEND, PIPE_MSG_RECORD,
                                                  ev(x, p->rec_send)->node) != EXPLAIN_NONE;
    mark(x, p->rec_send, EXPLAIN_PATH, again || resend);
    if (p->trig != EXPLAIN_NONE && p->trig != p->out_deliver) { /* a commit, a restore */
        mark(x, p->trig, EXPLAIN_TRIGGER, true);
        mark(x, send_of(x, p->trig), EXPLAIN_TRIGGER, false);
    }
    if (p->out_send != EXPLAIN_NONE && dlv_checkpointed(x->t->proto))
        mark_checkpoint(x, p->vis, ev(x, p->out_send)->node);
}

/* ---- the events around the record ---- */

/* Crash c of node (EXPLAIN_NONE: none) in the story, with the step fault right before
 * it and the node's restart after it. */
static void mark_crash(struct ex_rec *x, uint32_t node, uint32_t c) {
    if (c == EXPLAIN_NONE || node >= EX_NODES_MAX) return;
    mark(x, c, EXPLAIN_CONTEXT, true);
    if (c > 0 && ev(x, c - 1)->type == SIM_TR_FAULT) mark(x, c - 1, EXPLAIN_CONTEXT, true);
    mark(x, ex_first_after(&x->t->restart[node], c, (uint32_t)x->t->n), EXPLAIN_CONTEXT, true);
}

/* A crash of node between indexes a and b (the record was there). */
static void crash_between(struct ex_rec *x, uint32_t node, uint32_t a, uint32_t b) {
    if (node < EX_NODES_MAX) mark_crash(x, node, ex_first_after(&x->t->crash[node], a, b));
}

/* Every crash of a node between two of the record's events there; and for a lost
 * record, a crash after its last event at the node that still held it: the node that
 * received it last, and when that was the sink, the worker whose output it was (its
 * transaction or checkpoint never committed). */
static void mark_crashes(struct ex_rec *x, bool lost) {
    uint32_t last[EX_NODES_MAX];
    for (uint32_t i = 0; i < EX_NODES_MAX; i++)
        last[i] = EXPLAIN_NONE;
    for (size_t k = 0; k < x->ne; k++) {
        uint32_t node = ev(x, x->e[k])->node;
        if (node >= EX_NODES_MAX) continue;
        if (last[node] != EXPLAIN_NONE) crash_between(x, node, last[node], x->e[k]);
        last[node] = x->e[k];
    }
    if (!lost || !x->ne) return;
    uint32_t tail = x->e[x->ne - 1], holder[2] = {SIM_NODE_NONE, SIM_NODE_NONE};
    const struct sim_trace_rec *r = ev(x, tail);
    if (r->type == SIM_TR_DELIVER || r->type == SIM_TR_FAULT) holder[0] = r->node;
    if (r->type == SIM_TR_DELIVER && r->kind == PIPE_MSG_OUTPUT) {
        uint32_t s = send_of(x, tail);
        if (s != EXPLAIN_NONE) holder[1] = ev(x, s)->node;
    }
    for (int h = 0; h < 2; h++)
        if (holder[h] < EX_NODES_MAX && last[holder[h]] != EXPLAIN_NONE)
            crash_between(x, holder[h], last[holder[h]], x->end);
}

/* What each of the record's drops met: the crash of a receiver that was down, the
 * partition that cut it. */
static void mark_drop_context(struct ex_rec *x, uint32_t i) {
    const struct sim_trace_rec *r = ev(x, i);
    const struct ex_trace *t = x->t;
    if (r->reason == SIM_DROP_DOWN && r->peer < EX_NODES_MAX) {
        mark_crash(x, r->peer, ex_last_before(&t->crash[r->peer], i));
    } else if (r->reason == SIM_DROP_PARTITION) {
        uint32_t p = ex_last_before(&t->partition, i);
        mark(x, p, EXPLAIN_CONTEXT, true);
        if (p != EXPLAIN_NONE)
            mark(x, ex_first_after(&t->heal, p, (uint32_t)t->n), EXPLAIN_CONTEXT, true);
    }
}

/* Resends: the retry timer (with its delay since the send it repeats) or the message
 * (a join, a restore's ack) whose handler sent the record again. */
static void mark_resends(struct ex_rec *x) {
    for (size_t k = 0; k < x->ne; k++) {
        const struct sim_trace_rec *r = ev(x, x->e[k]);
        if (r->type == SIM_TR_DROP && r->reason != SIM_DROP_DUP) mark_drop_context(x, x->e[k]);
        if (r->type != SIM_TR_SEND) continue;
        uint32_t prev = own_before(x, x->e[k], SIM_TR_SEND, r->kind, r->node);
        if (prev == EXPLAIN_NONE) continue; /* the first send of its kind there */
        uint32_t c = ex_cause_of(x->t, x->e[k]);
        if (c == EXPLAIN_NONE) continue;
        const struct sim_trace_rec *h = ev(x, c);
        if (h->type == SIM_TR_TIMER) {
            mark(x, c, EXPLAIN_RETRY, false);
            if (!x->err) x->m[x->nm - 1].a = r->time_ns - ev(x, prev)->time_ns;
        } else if (h->type == SIM_TR_RESTART ||
                   (h->type == SIM_TR_DELIVER &&
                    !(pipe_msg_has_record((int)h->kind) && h->tag == x->rec))) {
            mark(x, c, EXPLAIN_TRIGGER, false);
        }
    }
}

/* Checkpoint rollbacks and consumer-group moves or fences of the record's partition
 * between its first and its last event (after its last one, a loss was already sealed;
 * cause_lost looks there for the checkpoint that never committed it). */
static void mark_group_and_rollbacks(struct ex_rec *x, uint32_t part) {
    const struct ex_trace *t = x->t;
    if (!x->ne) return;
    uint32_t from = x->e[0], to = x->e[x->ne - 1];
    for (size_t j = ex_upper(&t->ckpt, from); j < t->ckpt.n && t->ckpt.i[j] < to; j++)
        if (ev(x, t->ckpt.i[j])->kind == PIPE_TR_CKPT_ROLLBACK)
            mark(x, t->ckpt.i[j], EXPLAIN_CONTEXT, true);
    for (size_t j = ex_upper(&t->group, from); j < t->group.n && t->group.i[j] < to; j++)
        if (ev(x, t->group.i[j])->id == part) mark(x, t->group.i[j], EXPLAIN_CONTEXT, true);
}

/* ---- the cause ---- */

/* A fault-like event of the chain: a drop (not of a duplicate copy), a crash (or the
 * step fault before it), a rollback, a move or fence of its partition. */
static bool fault_like(const struct ex_rec *x, uint32_t i) {
    const struct sim_trace_rec *r = ev(x, i);
    switch (r->type) {
    case SIM_TR_DROP:
        return r->reason != SIM_DROP_DUP && r->tag == x->rec;
    case SIM_TR_CRASH:
        return true;
    case SIM_TR_USER:
        return r->kind == PIPE_TR_CKPT_ROLLBACK || r->kind == PIPE_TR_CKPT_ABORT ||
               r->kind == PIPE_TR_REBALANCE || r->kind == PIPE_TR_FENCED;
    default:
        return false;
    }
}

static enum explain_cause cause_kind(const struct ex_rec *x, uint32_t i) {
    const struct sim_trace_rec *r = ev(x, i);
    if (r->type == SIM_TR_CRASH) return EXPLAIN_BY_CRASH;
    if (r->type == SIM_TR_USER)
        return r->kind == PIPE_TR_CKPT_ROLLBACK ? EXPLAIN_BY_ROLLBACK
               : r->kind == PIPE_TR_CKPT_ABORT  ? EXPLAIN_BY_ABORT
                                                : EXPLAIN_BY_FENCE;
    switch (r->reason) {
    case SIM_DROP_DOWN:
        return EXPLAIN_BY_CRASH;
    case SIM_DROP_PARTITION:
        return EXPLAIN_BY_PARTITION;
    case SIM_DROP_RULE:
        return EXPLAIN_BY_RULE;
    default:
        return EXPLAIN_BY_LOSS;
    }
}

static int by_index(const void *a, const void *b) {
    const struct ex_mark *x = a, *y = b;
    if (x->i != y->i) return x->i < y->i ? -1 : 1;
    return (x->role > y->role) - (x->role < y->role);
}

/* Sorts the marks by index and merges marks of one event (the strongest role, key if
 * any is). */
static void merge_marks(struct ex_rec *x) {
    qsort(x->m, x->nm, sizeof *x->m, by_index);
    size_t u = 0;
    for (size_t k = 0; k < x->nm; k++) {
        if (u && x->m[u - 1].i == x->m[k].i) {
            struct ex_mark *p = &x->m[u - 1];
            p->key |= x->m[k].key;
            if (x->m[k].role >= p->role) p->role = x->m[k].role;
            if (x->m[k].a) p->a = x->m[k].a;
            continue;
        }
        x->m[u++] = x->m[k];
    }
    x->nm = u;
}

/* The first fault-like marked event in (from, to). */
static uint32_t first_fault(const struct ex_rec *x, uint32_t from, uint32_t to) {
    for (size_t k = 0; k < x->nm; k++)
        if (x->m[k].i > from && x->m[k].i < to && fault_like(x, x->m[k].i)) return x->m[k].i;
    return EXPLAIN_NONE;
}

static void set_cause(struct ex_rec *x, uint32_t i, enum explain_cause by) {
    x->cause = i;
    x->by = by;
    if (i == EXPLAIN_NONE) return;
    mark(x, i, EXPLAIN_CAUSE, true);
    const struct sim_trace_rec *r = ev(x, i);
    uint32_t node = r->type == SIM_TR_DROP && r->reason == SIM_DROP_DOWN ? r->peer : r->node;
    if (by == EXPLAIN_BY_CRASH && node < EX_NODES_MAX) /* the crash, its step, its restart */
        mark_crash(x, node, r->type == SIM_TR_CRASH ? i : ex_last_before(&x->t->crash[node], i));
}

/* A duplicate: what went wrong between the first copy's path and the second's. */
static void cause_duplicate(struct ex_rec *x, const struct ex_path *p1, const struct ex_path *p2) {
    uint32_t from = p1->wrk_in != EXPLAIN_NONE     ? p1->wrk_in
                    : p1->out_send != EXPLAIN_NONE ? p1->out_send
                                                   : p1->vis;
    bool new_input = p2->wrk_in != EXPLAIN_NONE && p2->wrk_in != p1->wrk_in;
    uint32_t to = new_input && p2->rec_send != EXPLAIN_NONE ? p2->rec_send
                  : p2->out_send != EXPLAIN_NONE            ? p2->out_send
                                                            : p2->vis;
    const struct sim_trace_rec *h = p2->rec_cause != EXPLAIN_NONE ? ev(x, p2->rec_cause) : NULL;
    if (new_input && h && h->type == SIM_TR_DELIVER && h->kind == PIPE_MSG_PRODUCE) {
        /* the broker logged it twice: the source produced it again (its first produce or
         * the produce-ack was lost, or the broker was down) */
        uint32_t again = send_of(x, p2->rec_cause);
        if (again != EXPLAIN_NONE && own_before(x, again, SIM_TR_SEND, PIPE_MSG_PRODUCE,
                                                ev(x, again)->node) != EXPLAIN_NONE) {
            from = x->e[0];
            to = again;
            mark(x, again, EXPLAIN_PATH, true);
        }
    }
    merge_marks(x);
    uint32_t f = first_fault(x, from, to);
    if (f != EXPLAIN_NONE) {
        set_cause(x, f, cause_kind(x, f));
        return;
    }
    uint32_t timer = new_input ? p2->rec_cause : p2->out_cause;
    if (timer != EXPLAIN_NONE && ev(x, timer)->type == SIM_TR_TIMER)
        set_cause(x, timer, EXPLAIN_BY_TIMEOUT);
    else
        set_cause(x, EXPLAIN_NONE, EXPLAIN_BY_NONE);
}

/* A loss: the last fault-like event after which the record never moved on; still in
 * flight (resent after it, or nothing went wrong) when the run ended otherwise. */
static void cause_lost(struct ex_rec *x) {
    const struct ex_trace *t = x->t;
    uint32_t last = x->ne ? x->e[x->ne - 1] : 0;
    if (dlv_checkpointed(t->proto)) { /* the checkpoint steps that never committed it */
        uint32_t k = 0;
        for (size_t j = ex_upper(&t->ckpt, last); j < t->ckpt.n && k < EX_CKPT_MARKS; j++) {
            uint32_t kind = ev(x, t->ckpt.i[j])->kind;
            if (kind != PIPE_TR_CKPT_ABORT && kind != PIPE_TR_CKPT_ROLLBACK) continue;
            mark(x, t->ckpt.i[j], EXPLAIN_CONTEXT, k == 0);
            k++;
        }
    }
    merge_marks(x);
    uint32_t out = own_before(x, (uint32_t)t->n, SIM_TR_DELIVER, PIPE_MSG_OUTPUT, t->sink);
    if (dlv_checkpointed(t->proto) && out != EXPLAIN_NONE) {
        /* its output reached the sink and waited for a checkpoint: the first abort or
         * rollback after that is the cause, the crashes since are how it came to be */
        uint32_t f = EXPLAIN_NONE;
        for (size_t k = 0; k < x->nm; k++) {
            const struct sim_trace_rec *r = ev(x, x->m[k].i);
            if (x->m[k].i <= out) continue;
            if (r->type == SIM_TR_CRASH || r->type == SIM_TR_RESTART) x->m[k].key = true;
            bool ck = r->type == SIM_TR_USER &&
                      (r->kind == PIPE_TR_CKPT_ABORT || r->kind == PIPE_TR_CKPT_ROLLBACK);
            if (ck && f == EXPLAIN_NONE) f = x->m[k].i;
        }
        set_cause(x, f, f == EXPLAIN_NONE ? EXPLAIN_BY_END : cause_kind(x, f));
        return;
    }
    uint32_t f = EXPLAIN_NONE;
    for (size_t k = x->nm; k-- > 0 && f == EXPLAIN_NONE;)
        if (fault_like(x, x->m[k].i)) f = x->m[k].i;
    if (f != EXPLAIN_NONE && f > last) /* after its last event: the first such one left it */
        for (size_t k = 0; k < x->nm; k++)
            if (x->m[k].i > last && fault_like(x, x->m[k].i)) {
                f = x->m[k].i;
                break;
            }
    for (size_t k = 0; f != EXPLAIN_NONE && k < x->ne; k++)
        if (x->e[k] > f && ev(x, x->e[k])->type == SIM_TR_SEND) f = EXPLAIN_NONE; /* resent */
    set_cause(x, f, f == EXPLAIN_NONE ? EXPLAIN_BY_END : cause_kind(x, f));
}

/* The story's events of a copy-less, once-shown or many-times-shown record. */
static void mark_story(struct ex_rec *x, enum explain_verdict v) {
    uint32_t vis[3], nv = 0;
    bool routed = own_before(x, (uint32_t)x->t->n, SIM_TR_SEND, PIPE_MSG_RECORD, x->t->broker) !=
                  EXPLAIN_NONE;
    for (size_t k = 0; k < x->ne; k++) {
        const struct sim_trace_rec *r = ev(x, x->e[k]);
        if (r->type == SIM_TR_USER) {
            if (nv < 3) vis[nv] = x->e[k];
            nv++;
            if (nv > 2) mark(x, x->e[k], EXPLAIN_PATH, true); /* third and later copies */
        }
        bool first_send = r->type == SIM_TR_SEND &&
                          own_before(x, x->e[k], SIM_TR_SEND, r->kind, r->node) == EXPLAIN_NONE;
        if (first_send && (r->kind == PIPE_MSG_RECORD || r->kind == PIPE_MSG_OUTPUT))
            mark(x, x->e[k], EXPLAIN_PATH, v != EXPLAIN_DUPLICATED);
        if (v == EXPLAIN_LOST && r->type == SIM_TR_DELIVER && r->kind == PIPE_MSG_OUTPUT)
            mark(x, x->e[k], EXPLAIN_PATH, true); /* reached the sink, never committed */
        if (v == EXPLAIN_LOST && !routed && r->type == SIM_TR_DELIVER &&
            r->kind == PIPE_MSG_PRODUCE &&
            own_before(x, x->e[k], SIM_TR_DELIVER, PIPE_MSG_PRODUCE, r->node) == EXPLAIN_NONE)
            mark(x, x->e[k], EXPLAIN_PATH, true); /* logged, never sent on */
    }
    struct ex_path p1 = {0}, p2 = {0};
    if (nv >= 1) mark_path(x, (p1 = path_of(x, vis[0]), &p1), false);
    if (nv >= 2) mark_path(x, (p2 = path_of(x, vis[1]), &p2), true);
    if (v == EXPLAIN_DUPLICATED)
        cause_duplicate(x, &p1, &p2);
    else if (v == EXPLAIN_LOST)
        cause_lost(x);
    else
        x->cause = EXPLAIN_NONE;
}

/* The chain: the record's own events (path, unless marked otherwise) and the marks, in
 * trace order; past EXPLAIN_CHAIN_MAX the unmarked ones are left out first. */
static int build_chain(struct ex_rec *x, struct explain_record *out) {
    merge_marks(x);
    size_t keep = x->nm, strong = 0;
    for (size_t k = 0; k < x->nm; k++)
        strong += x->m[k].key || x->m[k].role != EXPLAIN_PATH;
    if (keep > EXPLAIN_CHAIN_MAX) keep = strong > EXPLAIN_CHAIN_MAX ? strong : EXPLAIN_CHAIN_MAX;
    out->truncated = keep < x->nm;
    out->chain = calloc(keep ? keep : 1, sizeof *out->chain);
    if (!out->chain) return FT_ENOMEM;
    size_t weak_room = keep - (strong < keep ? strong : keep), n = 0;
    out->cause = EXPLAIN_NONE;
    for (size_t k = 0; k < x->nm && n < keep; k++) {
        const struct ex_mark *m = &x->m[k];
        bool weak = !m->key && m->role == EXPLAIN_PATH;
        if (weak && !weak_room) continue;
        weak_room -= weak;
        if (m->i == x->cause) out->cause = (uint32_t)n;
        ex_event(x->t, m->i, m->role, m->key, &out->chain[n]);
        if (ev(x, m->i)->type == SIM_TR_TIMER) out->chain[n].a = m->a;
        n++;
    }
    out->n = (uint32_t)n;
    return 0;
}

/* Explains record rec into *out (its chain, verdict and cause). */
int ex_explain_record(const struct ex_trace *t, uint64_t rec, struct explain_record *out,
                      enum explain_cause *by, struct ex_mark **scratch, size_t *scratch_cap) {
    struct ex_rec x = {.t = t,
                       .rec = rec,
                       .e = t->rix + t->roff[rec],
                       .ne = t->roff[rec + 1] - t->roff[rec],
                       .m = *scratch,
                       .cap = *scratch_cap,
                       .cause = EXPLAIN_NONE};
    uint32_t copies = t->ledger.count[rec];
    enum explain_verdict v = copies == 0  ? EXPLAIN_LOST
                             : copies > 1 ? EXPLAIN_DUPLICATED
                                          : EXPLAIN_ONCE;
    x.end = v == EXPLAIN_LOST || !x.ne ? (uint32_t)t->n : x.e[x.ne - 1];
    memset(out, 0, sizeof *out);
    out->rec = rec;
    out->verdict = v;
    out->copies = copies;
    out->partition = pipe_partition_of(t->key[rec], t->cfg->partitions);
    out->group = EXPLAIN_NONE;
    for (size_t k = 0; k < x.ne; k++)
        mark(&x, x.e[k], EXPLAIN_PATH, false);
    mark_resends(&x);
    mark_crashes(&x, v == EXPLAIN_LOST);
    mark_group_and_rollbacks(&x, out->partition);
    mark_story(&x, v);
    *by = x.by;
    int rc = x.err ? x.err : build_chain(&x, out);
    *scratch = x.m;
    *scratch_cap = x.cap;
    return rc;
}
