/* Explaining records (explain.h): the run's trace is collected through exp_run's hook
 * and indexed; for each record to explain, its own events (pipe_trace_record) are
 * followed and the events around them are found by rules on the trace alone: the send
 * a delivery belongs to (message id), the handler an event ran in (same node, same
 * instant, nothing else between: a retry timer, a commit's arrival, a join), the
 * crash of a node between two of the record's events there, the crash or partition a
 * "down" or "partition" drop met. The cause is the first fault-like event between the
 * record's first visibility and its second (a duplicate), or the last one after which
 * it never moved again (a loss); records whose causes match share a group. */
#include "explain.h"

#include <stdlib.h>
#include <string.h>

#include "explain_internal.h"
#include "grow.h"
#include "source.h"

#define EX_CKPT_MARKS 8u /* checkpoint aborts shown after a lost record's last event */

/* ---- collecting and indexing the trace ---- */

static void collect(const struct sim_trace_rec *r, void *ctx) {
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
static int index_trace(struct ex_trace *t) {
    uint64_t maxid = 0, rec;
    for (size_t i = 0; i < t->n; i++)
        if (t->ev[i].type == SIM_TR_SEND && t->ev[i].id > maxid) maxid = t->ev[i].id;
    t->nmsg = maxid + 1;
    t->send_of = calloc(t->nmsg, sizeof *t->send_of);
    t->roff = calloc(t->nrec + 2, sizeof *t->roff);
    if (!t->send_of || !t->roff || ledger_init(&t->ledger, t->nrec) != 0) return FT_ENOMEM;
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
static int read_keys(struct ex_trace *t, uint64_t seed, struct ft_error *err) {
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

static void trace_free(struct ex_trace *t) {
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

/* The position of the first element of l that is > after. */
static size_t upper(const struct ex_list *l, uint32_t after) {
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
    size_t k = after == EXPLAIN_NONE ? 0 : upper(l, after);
    return k < l->n && l->i[k] < before ? l->i[k] : EXPLAIN_NONE;
}

uint32_t ex_last_before(const struct ex_list *l, uint32_t before) {
    size_t k = upper(l, before - 1);
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

/* ---- one record ---- */

struct ex_mark {
    uint32_t i;
    uint8_t role;
    bool key;
    uint64_t a; /* a retry timer's delay */
};

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
    for (size_t j = upper(l, vis); j-- > 0;) {
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

/* A crash of node between indexes a and b (the record was there), with the step fault
 * before it and the restart after it. Returns the crash's index or EXPLAIN_NONE. */
static uint32_t crash_between(struct ex_rec *x, uint32_t node, uint32_t a, uint32_t b) {
    if (node >= EX_NODES_MAX) return EXPLAIN_NONE;
    uint32_t c = ex_first_after(&x->t->crash[node], a, b);
    if (c == EXPLAIN_NONE) return c;
    mark(x, c, EXPLAIN_CONTEXT, false);
    if (c > 0 && ev(x, c - 1)->type == SIM_TR_FAULT) mark(x, c - 1, EXPLAIN_CONTEXT, false);
    mark(x, ex_first_after(&x->t->restart[node], c, (uint32_t)x->t->n), EXPLAIN_CONTEXT, false);
    return c;
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
        uint32_t c = ex_last_before(&t->crash[r->peer], i);
        mark(x, c, EXPLAIN_CONTEXT, false);
        if (c != EXPLAIN_NONE)
            mark(x, ex_first_after(&t->restart[r->peer], c, (uint32_t)t->n), EXPLAIN_CONTEXT,
                 false);
    } else if (r->reason == SIM_DROP_PARTITION) {
        uint32_t p = ex_last_before(&t->partition, i);
        mark(x, p, EXPLAIN_CONTEXT, false);
        if (p != EXPLAIN_NONE)
            mark(x, ex_first_after(&t->heal, p, (uint32_t)t->n), EXPLAIN_CONTEXT, false);
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
    for (size_t j = upper(&t->ckpt, from); j < t->ckpt.n && t->ckpt.i[j] < to; j++)
        if (ev(x, t->ckpt.i[j])->kind == PIPE_TR_CKPT_ROLLBACK)
            mark(x, t->ckpt.i[j], EXPLAIN_CONTEXT, true);
    for (size_t j = upper(&t->group, from); j < t->group.n && t->group.i[j] < to; j++)
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
    if (by == EXPLAIN_BY_CRASH && node < EX_NODES_MAX) { /* and the crash's restart */
        uint32_t c = r->type == SIM_TR_CRASH ? i : ex_last_before(&x->t->crash[node], i);
        mark(x, c, EXPLAIN_CONTEXT, true);
        if (c != EXPLAIN_NONE && c > 0 && ev(x, c - 1)->type == SIM_TR_FAULT)
            mark(x, c - 1, EXPLAIN_CONTEXT, true);
        if (c != EXPLAIN_NONE)
            mark(x, ex_first_after(&x->t->restart[node], c, (uint32_t)x->t->n), EXPLAIN_CONTEXT,
                 true);
    }
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
        for (size_t j = upper(&t->ckpt, last); j < t->ckpt.n && k < EX_CKPT_MARKS; j++) {
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
static int explain_one(const struct ex_trace *t, uint64_t rec, struct explain_record *out,
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
        rc = explain_one(t, rec, &x, &by, &scratch, &scap);
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
    struct exp_options eo = {.trace = collect, .trace_ctx = &t};
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
    if (!rc && index_trace(&t) != 0) rc = ft_fail(err, FT_ENOMEM, "out of memory for the trace");
    if (!rc) rc = read_keys(&t, seed, err);
    if (!rc && (rc = explain_records(&t, opt, out)) != 0)
        ft_fail(err, rc, "out of memory explaining the records");
    if (!rc && cfg->query.enabled && !out->has_record) rc = explain_rows(&t, seed, &w, out, err);
    exp_windows_free(&w);
    trace_free(&t);
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
