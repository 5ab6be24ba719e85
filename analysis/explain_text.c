/* The words of an explanation (explain.h): a record's story, built clause by clause
 * from the chain's key events (every time, node and message id is the event's own),
 * closed by the protocol's mechanism from one table; a group's line; a window row's
 * words; the summary `ftsim check` prints. Nothing here reads the trace or the run:
 * only the result explain_run filled. explain_report.c writes the full text and JSON. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "explain_internal.h"

/* ---- small words ---- */

/* To the microsecond, as the trace prints it: 169.4 ms, 436.526 ms; 1.436526 s,
 * 2.000 s (trailing zeros dropped). --json has every time in ns. */
const char *ex_when(uint64_t t_ns, char *buf, size_t size) {
    bool ms = t_ns < SIM_NS_PER_S;
    int n = ms ? snprintf(buf, size, "%.3f", (double)t_ns / 1e6)
               : snprintf(buf, size, "%.6f", (double)t_ns / 1e9);
    if (n <= 0 || (size_t)n >= size) return buf;
    char *dot = strchr(buf, '.'), *end = buf + n;
    char *min = ms ? dot + 2 : dot + 4; /* 0.5 ms, 2.000 s */
    while (end > min && end[-1] == '0')
        end--;
    if (ms && end == dot + 2 && end[-1] == '0') end = dot; /* 170 ms */
    snprintf(end, size - (size_t)(end - buf), "%s", ms ? " ms" : " s");
    return buf;
}

static const char *name(const struct explain_result *r, uint32_t node, char *buf, size_t size) {
    if (node == 1) return "the broker";
    if (node == r->cfg->workers + 2) return "the sink";
    if (node == 0) return "the source";
    return pipe_node_name(r->cfg, node, buf, size);
}

const char *ex_bare(const struct explain_result *r, uint32_t node, char *buf, size_t size) {
    return pipe_node_name(r->cfg, node, buf, size);
}

const char *explain_cause_name(enum explain_cause c) {
    static const char *const names[] = {"crash", "partition", "rule",    "loss", "rollback",
                                        "abort", "fence",     "timeout", "end",  "none"};
    return c <= EXPLAIN_BY_NONE ? names[c] : "?";
}

const char *explain_event_name(const struct explain_event *e) {
    static const char *const user[] = {"user",           "visible",       "member",
                                       "rebalance",      "fenced",        "ckpt-triggered",
                                       "ckpt-snapshot",  "ckpt-complete", "ckpt-aborted",
                                       "ckpt-committed", "rollback"};
    if (e->type != SIM_TR_USER) return sim_trace_type_name(e->type);
    return e->kind <= PIPE_TR_CKPT_ROLLBACK ? user[e->kind] : "user";
}

const char *ex_role_name(uint8_t role) {
    static const char *const names[] = {"context", "path", "trigger", "retry", "cause"};
    return role <= EXPLAIN_CAUSE ? names[role] : "?";
}

/* The scenario's fault i as its file writes it (`{ drop: ack, from: worker-1, ... }`). */
static void fault_words(const struct pipe_config *cfg, int i, char *buf, size_t size) {
    const struct pipe_fault *f = &cfg->faults[i];
    char t[48];
    size_t n = 0;
#define ADD(...) n += (size_t)snprintf(buf + n, n < size ? size - n : 0, __VA_ARGS__)
    if (f->type == PIPE_FAULT_DROP) {
        ADD("`{ drop: %s", pipe_msg_name(f->msg_kind));
        if (f->from[0]) ADD(", from: %s", f->from);
        if (f->to[0]) ADD(", to: %s", f->to);
        if (f->record != PIPE_ANY) ADD(", record: %llu", (unsigned long long)f->record);
        ADD(", nth: %llu", (unsigned long long)(f->nth ? f->nth : 1));
        if (f->count > 1) ADD(", count: %llu", (unsigned long long)f->count);
    } else if (f->type == PIPE_FAULT_CRASH && !f->has_at) {
        ADD("`{ crash: %s, step: %s", f->node, f->step);
        if (f->record != PIPE_ANY) ADD(", record: %llu", (unsigned long long)f->record);
        ADD(", nth: %llu", (unsigned long long)(f->nth ? f->nth : 1));
    } else if (f->type == PIPE_FAULT_CRASH) {
        ADD("`{ crash: %s, at: %s", f->node, ex_when(f->at_ns, t, sizeof t));
    } else {
        ADD("`{ partition: ..., at: %s, heal: ", ex_when(f->at_ns, t, sizeof t));
        ADD("%s", ex_when(f->heal_ns, t, sizeof t));
    }
    ADD(" }`");
#undef ADD
}

/* Why the protocol let it happen: its mechanism (DESIGN.md §3), one table. */
static const char *mechanism(enum dlv_protocol p, enum explain_verdict v, enum explain_cause by) {
    bool lost = v == EXPLAIN_LOST;
    switch (p) {
    case DLV_AT_MOST_ONCE:
        return lost ? "at-most-once commits a record when the broker sends it and never sends "
                      "it again"
                    : "at-most-once keeps no dedup at the sink";
    case DLV_AT_LEAST_ONCE:
        return lost ? "at-least-once resends until acknowledged, so this breaks its guarantee"
                    : "at-least-once has no dedup at the sink";
    case DLV_EXACTLY_ONCE:
        return lost ? "exactly-once resends until acknowledged, so this breaks its guarantee"
                    : "exactly-once's sink keeps a durable dedup entry per input offset that "
                      "should have dropped the copy, so this breaks its guarantee";
    case DLV_EXACTLY_ONCE_TXN:
        return lost ? "exactly-once-txn replays from the offset committed with the output, so "
                      "this breaks its guarantee"
                    : "exactly-once-txn commits the output with its input offset in one "
                      "transaction, so a replay should change nothing: this breaks its guarantee";
    case DLV_EXACTLY_ONCE_CKPT:
        if (lost && (by == EXPLAIN_BY_ABORT || by == EXPLAIN_BY_END))
            return "exactly-once-checkpoint makes output visible only when a checkpoint "
                   "covering it completes, and none did";
        return lost ? "exactly-once-checkpoint rolls back to the last completed checkpoint and "
                      "replays from there, so this breaks its guarantee"
                    : "exactly-once-checkpoint commits output only with a completed checkpoint, "
                      "so this breaks its guarantee";
    default:
        return "?";
    }
}

static const char *verdict_words(enum explain_verdict v, uint32_t copies) {
    if (v == EXPLAIN_LOST) return "lost";
    if (v == EXPLAIN_ONCE) return "shown once";
    return copies == 2 ? "shown twice" : "shown more than once";
}

static const char *drop_words(uint8_t reason) {
    switch (reason) {
    case SIM_DROP_RULE:
        return "dropped by the scenario's rule";
    case SIM_DROP_LOSS:
        return "lost by the network";
    case SIM_DROP_PARTITION:
        return "cut by the partition";
    case SIM_DROP_DOWN:
        return "dropped (the receiver was down)";
    default:
        return "dropped as a duplicate copy";
    }
}

/* ---- a record's story ---- */

struct story {
    FILE *f;
    const struct explain_result *r;
    const struct explain_record *x;
    const struct explain_group *g;
    unsigned clauses, copies, outputs, sends, arrived;
    uint32_t held;                       /* skipped drops since the last clause ... */
    const struct explain_event *held_ev; /* ... the first of them */
    uint64_t held_last;                  /* ... the time of the last */
};

static void begin(struct story *s) {
    fputs(s->clauses++ ? "; " : "", s->f);
}

static void say_drop(struct story *s, const struct explain_event *e);

/* Drops left out of the story since the last clause: one is said as it is, several
 * in one clause. */
static void flush_held(struct story *s) {
    if (!s->held) return;
    const struct explain_event *e = s->held_ev;
    char a[PIPE_NAME_MAX], b[PIPE_NAME_MAX], t[40], u[40];
    begin(s);
    if (s->held == 1) {
        s->held = 0;
        say_drop(s, e);
        return;
    }
    fprintf(s->f, "%u %s messages %s -> %s were %s (from %s to %s)", s->held,
            pipe_msg_name((int)e->kind), ex_bare(s->r, e->node, a, sizeof a),
            ex_bare(s->r, e->peer, b, sizeof b), drop_words(e->reason),
            ex_when(e->t_ns, t, sizeof t), ex_when(s->held_last, u, sizeof u));
    s->held = 0;
}

/* A send of the record: first, again, by a retry timer or on another message. */
static void say_send(struct story *s, const struct explain_event *e,
                     const struct explain_event *pv) {
    char a[PIPE_NAME_MAX], b[PIPE_NAME_MAX], t[40], d[40];
    const char *who = name(s->r, e->node, a, sizeof a), *at = ex_when(e->t_ns, t, sizeof t);
    bool same = pv && pv->node == e->node && pv->t_ns == e->t_ns;
    bool timer = same && pv->type == SIM_TR_TIMER;
    bool trig = same && pv->type == SIM_TR_DELIVER && pv->role == EXPLAIN_TRIGGER;
    bool out = e->kind == PIPE_MSG_OUTPUT, rec = e->kind == PIPE_MSG_RECORD;
    bool again = out ? s->outputs > 0 : rec && s->sends > 0;
    if (timer)
        fprintf(s->f, "%s's retry timer (%s) fired at %s and ", who, ex_when(pv->a, d, sizeof d),
                at);
    else if (trig)
        fprintf(s->f, "on the %s from %s (msg %llu) at %s, ", pipe_msg_name((int)pv->kind),
                ex_bare(s->r, pv->peer, d, sizeof d), (unsigned long long)pv->msg, at);
    if (timer || trig) again = true;
    fprintf(s->f, "%s%s", timer ? "" : who, timer ? "" : " ");
    if (out)
        fprintf(s->f, "%s r%llu", timer || trig ? "re-sent its output of" : "emitted",
                (unsigned long long)s->x->rec);
    else if (rec || e->kind == PIPE_MSG_PRODUCE)
        fprintf(s->f, "%s r%llu to %s", again ? "resent" : "sent", (unsigned long long)s->x->rec,
                ex_bare(s->r, e->peer, b, sizeof b));
    else
        fprintf(s->f, "sent the %s of r%llu to %s", pipe_msg_name((int)e->kind),
                (unsigned long long)e->rec, ex_bare(s->r, e->peer, b, sizeof b));
    if (out && again && !timer && !trig) fputs(" again", s->f);
    if (!timer && !trig) fprintf(s->f, " at %s", at);
    fprintf(s->f, " (msg %llu)", (unsigned long long)e->msg);
    s->outputs += out;
    s->sends += rec;
}

static void say_user(struct story *s, const struct explain_event *e) {
    char a[PIPE_NAME_MAX], t[40];
    unsigned long long k = (unsigned long long)e->a, epoch = (unsigned long long)(uint32_t)e->b;
    const char *at = ex_when(e->t_ns, t, sizeof t);
    switch (e->kind) {
    case PIPE_TR_VISIBLE:
        s->copies++;
        fprintf(s->f, "the sink made it visible%s at %s",
                s->copies == 1   ? ""
                : s->copies == 2 ? " again"
                                 : " once more",
                at);
        return;
    case PIPE_TR_CKPT_SNAPSHOT:
        fprintf(s->f, "%s stored its snapshot %llu at %s", ex_bare(s->r, e->node, a, sizeof a), k,
                at);
        return;
    case PIPE_TR_CKPT_TRIGGER:
    case PIPE_TR_CKPT_COMPLETE:
    case PIPE_TR_CKPT_ABORT:
    case PIPE_TR_CKPT_COMMIT: {
        static const char *const step[] = {"the broker triggered checkpoint", "", "checkpoint",
                                           "checkpoint", "the sink committed checkpoint"};
        static const char *const done[] = {"", "", " completed", " was aborted", ""};
        int i = (int)e->kind - PIPE_TR_CKPT_TRIGGER;
        fprintf(s->f, "%s %llu%s at %s", step[i], k, done[i], at);
        return;
    }
    case PIPE_TR_CKPT_ROLLBACK:
        fprintf(s->f, "the broker rolled the job back to checkpoint %llu (epoch %llu) at %s", k,
                epoch, at);
        return;
    case PIPE_TR_REBALANCE:
        fprintf(s->f, "partition %llu moved to %s at %s", k,
                (uint32_t)e->b == PIPE_NO_OWNER ? "no owner"
                                                : ex_bare(s->r, (uint32_t)e->b, a, sizeof a),
                at);
        return;
    case PIPE_TR_FENCED:
        fprintf(s->f, "%s fenced a stale write to partition %llu at %s",
                name(s->r, e->node, a, sizeof a), k, at);
        return;
    default:
        fprintf(s->f, "%s at %s", explain_event_name(e), at);
        return;
    }
}

static void say_drop(struct story *s, const struct explain_event *e) {
    char a[PIPE_NAME_MAX], b[PIPE_NAME_MAX], t[40], rule[200];
    fprintf(s->f, "the %s r%llu %s -> %s (msg %llu) was %s", pipe_msg_name((int)e->kind),
            (unsigned long long)e->rec, ex_bare(s->r, e->node, a, sizeof a),
            ex_bare(s->r, e->peer, b, sizeof b), (unsigned long long)e->msg, drop_words(e->reason));
    if (e->reason == SIM_DROP_RULE && s->g && s->g->by == EXPLAIN_BY_RULE && s->g->fault >= 0) {
        fault_words(s->r->cfg, s->g->fault, rule, sizeof rule);
        fprintf(s->f, " %s", rule);
    }
    fprintf(s->f, " at %s", ex_when(e->t_ns, t, sizeof t));
}

/* One key event of the chain (pv: the chain event before it, nx: after it). */
static void say(struct story *s, const struct explain_event *e, const struct explain_event *pv,
                const struct explain_event *nx) {
    char a[PIPE_NAME_MAX], b[PIPE_NAME_MAX], t[40];
    const char *at = ex_when(e->t_ns, t, sizeof t), *who = name(s->r, e->node, a, sizeof a);
    if (e->type == SIM_TR_CRASH && pv && pv->type == SIM_TR_FAULT && pv->key) return; /* said */
    if (e->type == SIM_TR_TIMER && nx && nx->type == SIM_TR_SEND && nx->key) return;  /* with it */
    flush_held(s);
    begin(s);
    switch (e->type) {
    case SIM_TR_SEND:
        say_send(s, e, pv);
        return;
    case SIM_TR_DROP:
        say_drop(s, e);
        return;
    case SIM_TR_USER:
        say_user(s, e);
        return;
    case SIM_TR_CRASH:
        fprintf(s->f, "%s crashed at %s", who, at);
        return;
    case SIM_TR_RESTART:
        fprintf(s->f, "%s restarted at %s", who, at);
        return;
    case SIM_TR_PARTITION:
        fprintf(s->f, "the network was partitioned at %s", at);
        return;
    case SIM_TR_HEAL:
        fprintf(s->f, "the partition healed at %s", at);
        return;
    case SIM_TR_TIMER:
        fprintf(s->f, "%s's retry timer fired at %s", who, at);
        return;
    case SIM_TR_FAULT:
        fprintf(s->f, "%s crashed at step %s", who,
                pipe_step_name(e->kind) ? pipe_step_name(e->kind) : "?");
        if (e->rec != UINT64_MAX)
            fprintf(s->f, " of r%llu", (unsigned long long)e->rec);
        else
            fprintf(s->f, " of checkpoint %llu", (unsigned long long)e->b);
        fprintf(s->f, " at %s", at);
        return;
    case SIM_TR_DELIVER:
        if (e->kind == PIPE_MSG_OUTPUT)
            fprintf(s->f, "its output reached the sink%s at %s (msg %llu)",
                    s->arrived++ ? " again" : "", at, (unsigned long long)e->msg);
        else if (e->kind == PIPE_MSG_PRODUCE)
            fprintf(s->f, "the broker logged it at %s (produce msg %llu)", at,
                    (unsigned long long)e->msg);
        else if (e->kind == PIPE_MSG_COMMIT)
            fprintf(s->f, "%s's commit (msg %llu, ending at r%llu) reached the sink at %s",
                    ex_bare(s->r, e->peer, b, sizeof b), (unsigned long long)e->msg,
                    (unsigned long long)e->rec, at);
        else
            fprintf(s->f, "the %s from %s (msg %llu) reached %s at %s", pipe_msg_name((int)e->kind),
                    ex_bare(s->r, e->peer, b, sizeof b), (unsigned long long)e->msg, who, at);
        return;
    default:
        fprintf(s->f, "%s at %s", explain_event_name(e), at);
        return;
    }
}

/* The record's own drops not in the story are counted into one clause. */
static void hold(struct story *s, const struct explain_event *e) {
    if (e->type != SIM_TR_DROP || e->rec != s->x->rec || s->clauses == 0 ||
        e->reason == SIM_DROP_DUP)
        return;
    if (s->held && (s->held_ev->kind != e->kind || s->held_ev->reason != e->reason ||
                    s->held_ev->peer != e->peer))
        flush_held(s);
    if (!s->held++) s->held_ev = e;
    s->held_last = e->t_ns;
}

void explain_write_story(FILE *f, const struct explain_result *r, const struct explain_record *x) {
    struct story s = {
        .f = f, .r = r, .x = x, .g = x->group < r->ngroups ? &r->groups[x->group] : NULL};
    char t[40];
    if (x->verdict == EXPLAIN_DUPLICATED && x->copies > 2)
        fprintf(f, "r%llu shown %u times: ", (unsigned long long)x->rec, x->copies);
    else
        fprintf(f, "r%llu %s: ", (unsigned long long)x->rec, verdict_words(x->verdict, x->copies));
    for (uint32_t i = 0; i < x->n; i++) {
        const struct explain_event *e = &x->chain[i];
        if (!e->key) {
            hold(&s, e);
            continue;
        }
        say(&s, e, i ? &x->chain[i - 1] : NULL, i + 1 < x->n ? &x->chain[i + 1] : NULL);
    }
    flush_held(&s);
    enum explain_cause by = s.g ? s.g->by : EXPLAIN_BY_NONE;
    bool logged = false, sent = false;
    for (uint32_t i = 0; i < x->n; i++) {
        const struct explain_event *e = &x->chain[i];
        logged |= e->type == SIM_TR_DELIVER && e->kind == PIPE_MSG_PRODUCE;
        sent |= e->type == SIM_TR_SEND && e->kind == PIPE_MSG_RECORD;
    }
    if (x->verdict == EXPLAIN_LOST && logged && !sent) {
        begin(&s);
        fputs("the broker never sent it to a worker", f);
    }
    if (x->verdict == EXPLAIN_LOST && by == EXPLAIN_BY_END) {
        begin(&s);
        fprintf(f, "the run ended at %s with it still in flight or uncommitted",
                ex_when(r->outcome.end_ns, t, sizeof t));
    }
    if (x->verdict == EXPLAIN_ONCE) {
        fputc('.', f);
        return;
    }
    if (by == EXPLAIN_BY_NONE) fputs(" (no fault in the trace explains it)", f);
    fprintf(f, ": %s, because %s.", x->verdict == EXPLAIN_LOST ? "lost" : "a duplicate",
            mechanism(r->protocol, x->verdict, by));
}

/* ---- groups and the summary ---- */

/* " (the scenario's `{ ... }`)" or " `{ ... }`" when the group's event is one of
 * the scenario's faults. */
static void say_fault(FILE *f, const struct explain_result *r, const struct explain_group *g,
                      bool bare_rule) {
    char w[240];
    if (g->fault < 0) return;
    fault_words(r->cfg, g->fault, w, sizeof w);
    fprintf(f, bare_rule ? " %s" : " (the scenario's %s)", w);
}

static void say_crash_group(FILE *f, const struct explain_result *r,
                            const struct explain_group *g) {
    char a[PIPE_NAME_MAX], t[40], u[40];
    const char *node = ex_bare(r, g->event.node, a, sizeof a),
               *at = ex_when(g->event.t_ns, t, sizeof t);
    if (g->verdict == EXPLAIN_DUPLICATED)
        fprintf(f, "all in progress at or through %s when it crashed at %s", node, at);
    else if (g->n_to == g->nrec)
        fprintf(f, "all in flight to %s while it was down: it crashed at %s", node, at);
    else if (g->n_at == g->nrec)
        fprintf(f, "all at %s when it crashed at %s", node, at);
    else
        fprintf(f, "%llu at %s when it crashed at %s, %llu in flight to it while it was down",
                (unsigned long long)g->n_at, node, at, (unsigned long long)g->n_to);
    say_fault(f, r, g, false);
    if (g->has_end)
        fprintf(f, " and restarted at %s", ex_when(g->end.t_ns, u, sizeof u));
    else
        fputs(" and never restarted", f);
    if (g->verdict == EXPLAIN_DUPLICATED) fputs(", so they were sent again", f);
}

/* What the records of group g share, in words. */
static void say_group_cause(FILE *f, const struct explain_result *r,
                            const struct explain_group *g) {
    char a[PIPE_NAME_MAX], b[PIPE_NAME_MAX], t[40], u[40];
    const struct explain_event *e = &g->event;
    const char *at = ex_when(e->t_ns, t, sizeof t),
               *end = g->has_end ? ex_when(g->end.t_ns, u, sizeof u) : "";
    switch (g->by) {
    case EXPLAIN_BY_CRASH:
        say_crash_group(f, r, g);
        return;
    case EXPLAIN_BY_PARTITION:
        fprintf(f, "their messages were cut by the network partition at %s", at);
        say_fault(f, r, g, false);
        fprintf(f, g->has_end ? ", healed at %s" : ", never healed", end);
        return;
    case EXPLAIN_BY_RULE:
    case EXPLAIN_BY_LOSS:
        fprintf(f, "their %s messages %s -> %s were %s", pipe_msg_name((int)e->kind),
                ex_bare(r, e->node, a, sizeof a), ex_bare(r, e->peer, b, sizeof b),
                drop_words(g->by == EXPLAIN_BY_RULE ? SIM_DROP_RULE : SIM_DROP_LOSS));
        say_fault(f, r, g, true);
        if (g->nrec > 1)
            fprintf(f, " from %s to %s", at, end);
        else
            fprintf(f, " at %s", at);
        return;
    case EXPLAIN_BY_ROLLBACK:
    case EXPLAIN_BY_ABORT:
    case EXPLAIN_BY_FENCE: {
        static const char *const what[] = {
            "the broker rolled the job back to checkpoint %llu at %s, dropping their "
            "uncommitted output",
            "no checkpoint committed their output (checkpoint %llu was aborted at %s, the first "
            "after them)",
            "their partition %llu moved or a stale write to it was fenced at %s"};
        fprintf(f, what[g->by - EXPLAIN_BY_ROLLBACK], (unsigned long long)e->a, at);
        return;
    }
    case EXPLAIN_BY_TIMEOUT:
        fprintf(f, "a retry timer fired before their acknowledgement arrived (the first at %s)",
                at);
        return;
    case EXPLAIN_BY_END:
        fprintf(f, "still in flight or uncommitted when the run ended at %s",
                ex_when(r->outcome.end_ns, t, sizeof t));
        return;
    default:
        fputs("no fault in the trace explains them", f);
        return;
    }
}

void ex_write_group(FILE *f, const struct explain_result *r, const struct explain_group *g) {
    if (g->nrec == 1 && g->example != EXPLAIN_NONE) {
        explain_write_story(f, r, &r->recs[g->example]);
        return;
    }
    fprintf(f, "%llu records %s: ", (unsigned long long)g->nrec,
            verdict_words(g->verdict, g->copies_max));
    say_group_cause(f, r, g);
    fprintf(f, "; %s.", mechanism(r->protocol, g->verdict, g->by));
}

/* A window bound in seconds, as `ftsim run` prints the table: -2.000 s, 4.000 s. */
static const char *bound(int64_t t_ns, char *buf, size_t size) {
    snprintf(buf, size, "%.3f s", (double)t_ns / 1e9);
    return buf;
}

/* What makes a row differ, as the summary counts it. */
enum row_kind { ROW_REPEATED = 0, ROW_CRASH, ROW_NEVER, ROW_LATE, ROW_OPEN, ROW_OTHER, ROW_KINDS };

static enum row_kind row_kind(const struct explain_row *w) {
    bool low = isnan(w->value) || w->value < w->reference;
    if (w->has_crash && low) return ROW_CRASH;
    if (w->never && low) return ROW_NEVER;
    if (w->late && (low || w->value != w->reference)) return ROW_LATE;
    if (w->twice && !low && w->value != w->reference) return ROW_REPEATED;
    if (!isnan(w->value) && w->value == w->reference) return ROW_OPEN;
    return ROW_OTHER;
}

void ex_say_row(FILE *f, const struct explain_result *r, const struct explain_row *w) {
    char a[40], b[40], t[40], n[PIPE_NAME_MAX];
    fprintf(f, "window [%s, %s) %s: ", bound(w->start_ns, a, sizeof a),
            bound(w->end_ns, b, sizeof b), w->key);
    if (isnan(w->value))
        fprintf(f, "missing, reference %g", w->reference);
    else if (w->value == w->reference)
        fprintf(f, "%g as the reference, but not final", w->value);
    else
        fprintf(f, "%g, reference %g (%+g)", w->value, w->reference, w->value - w->reference);
    const char *sep = ": ";
    if (w->twice) {
        fprintf(f, "%s%llu of its %llu records reached a worker more than once (r%llu the first)",
                sep, (unsigned long long)w->twice, (unsigned long long)w->records,
                (unsigned long long)w->example_twice);
        sep = "; ";
    }
    if (w->has_crash) {
        fprintf(f, "%s%s crashed at %s after taking %llu of its records", sep,
                ex_bare(r, w->crash.node, n, sizeof n), ex_when(w->crash.t_ns, t, sizeof t),
                (unsigned long long)w->before_crash);
        sep = "; ";
    }
    if (w->never) {
        fprintf(f, "%s%llu of its records never reached a worker (r%llu the first)", sep,
                (unsigned long long)w->never, (unsigned long long)w->example_never);
        sep = "; ";
    }
    if (w->late) {
        fprintf(f,
                "%s%llu of its records first reached a worker after the row's final emission "
                "at %s, too late to count (r%llu the first)",
                sep, (unsigned long long)w->late, ex_when(w->final_ns, t, sizeof t),
                (unsigned long long)w->example_late);
        sep = "; ";
    }
    if (sep[0] != ':') return;
    fputs(": none of its records was repeated, lost or caught in a crash", f);
    if (r->outcome.late_dropped && !isnan(w->value) && w->value != w->reference)
        fprintf(f,
                " (the run dropped %llu late contributions in all: records behind the "
                "watermark when they were applied)",
                (unsigned long long)r->outcome.late_dropped);
}

/* "52 window rows differ from the reference: 16 count records that reached a worker
 * twice, 18 lost state in a crash of their worker, ..." */
void ex_say_rows(FILE *f, const struct explain_result *r) {
    static const char *const what[ROW_KINDS] = {
        "count again records that reached a worker twice",
        "lost records their worker had taken when it crashed",
        "miss records that never reached a worker",
        "miss records that reached a worker after the row was final (late data)",
        "are not final",
        "differ otherwise"};
    uint64_t n[ROW_KINDS] = {0};
    for (size_t i = 0; i < r->nrows; i++)
        n[row_kind(&r->rows[i])]++;
    fprintf(f, "%llu window row%s differ%s from the reference", (unsigned long long)r->rows_differ,
            r->rows_differ == 1 ? "" : "s", r->rows_differ == 1 ? "s" : "");
    const char *sep = ": ";
    for (int k = 0; k < ROW_KINDS; k++) {
        if (!n[k]) continue;
        fprintf(f, "%s%llu %s", sep, (unsigned long long)n[k], what[k]);
        sep = ", ";
    }
    if (r->nrows < r->rows_differ) fprintf(f, " (of the first %zu)", r->nrows);
    for (size_t i = 0; i < r->nrows; i++)
        if (r->rows[i].has_crash) {
            char a[PIPE_NAME_MAX], t[40];
            fprintf(f, "; the crash: %s at %s", ex_bare(r, r->rows[i].crash.node, a, sizeof a),
                    ex_when(r->rows[i].crash.t_ns, t, sizeof t));
            break;
        }
}

void explain_write_summary(FILE *f, const struct explain_result *r, const char *indent,
                           size_t lines_max) {
    size_t lines = 0, total = r->ngroups + (r->rows_differ ? 1 : 0);
    if (lines_max == 0) lines_max = 1;
    if (total == 0) {
        fprintf(f, "%s", indent);
        if (r->has_record && r->nrecs)
            explain_write_story(f, r, &r->recs[0]);
        else
            fprintf(f, "every record shown exactly once%s",
                    r->outcome.windows_enabled ? " and every window row as the reference" : "");
        fputc('\n', f);
        return;
    }
    size_t room = total > lines_max ? lines_max - 1 : total; /* the last line counts the rest */
    if (r->rows_differ && room) { /* the rows first: the groups' lines may be many */
        fprintf(f, "%s", indent);
        ex_say_rows(f, r);
        fputc('\n', f);
        lines++;
    }
    for (size_t g = 0; g < r->ngroups && lines < room; g++, lines++) {
        fprintf(f, "%s", indent);
        ex_write_group(f, r, &r->groups[g]);
        fputc('\n', f);
    }
    if (total > lines) fprintf(f, "%s... and %zu more causes\n", indent, total - lines);
}

void explain_cause_words(const struct explain_result *r, const struct explain_record *x, char *buf,
                         size_t size) {
    char a[PIPE_NAME_MAX];
    if (x->cause == EXPLAIN_NONE) {
        snprintf(buf, size, "%s", x->verdict == EXPLAIN_ONCE ? "none (shown once)" : "not found");
        return;
    }
    const struct explain_event *e = &x->chain[x->cause];
    switch (e->type) {
    case SIM_TR_DROP:
        snprintf(buf, size, "%s r%llu %s", pipe_msg_name((int)e->kind), (unsigned long long)e->rec,
                 drop_words(e->reason));
        return;
    case SIM_TR_CRASH:
        snprintf(buf, size, "%s crashed", ex_bare(r, e->node, a, sizeof a));
        return;
    case SIM_TR_TIMER:
        snprintf(buf, size, "%s's retry timer fired before the ack came",
                 ex_bare(r, e->node, a, sizeof a));
        return;
    default:
        snprintf(buf, size, "%s", explain_event_name(e));
        return;
    }
}
