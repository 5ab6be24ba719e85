/* A worker: consumes the partitions it owns, maps each record and emits the output row
 * to the sink. Without rebalance it owns the partitions p with p mod W == its index;
 * with it, the broker assigns and revokes partitions (ASSIGN) and a record of a newer
 * generation claims its partition too, so ownership is a dynamic set: a partition's
 * state is made on its first claim and reset whenever it is claimed again. Named steps
 * (after-receive, after-emit, before-commit) mark where a crash may strike.
 * at-most-once: emit and forget. at-least-once / exactly-once: keep the output until
 * the sink acks it (resending with back-off), then ack the input to the broker.
 * exactly-once-txn: register an epoch with the sink, learn the committed input offset
 * (only then, the old owner fenced, does the partition's window task move here),
 * process records strictly in offset order into a transaction of up to `batch` rows,
 * and commit rows + offset in one COMMIT; only then ack the inputs. Outputs carry the
 * partition's epoch (generation << 32 | incarnation + 1) and acks its generation, so
 * the sink and the broker can fence an owner that lost the partition. All of this
 * state is volatile. exactly-once-checkpoint workers run stream/checkpoint.c instead. */
#include <stdlib.h>

#include "checkpoint.h"
#include "ml_stage.h"
#include "window_stage.h"
#include "worker.h"

struct pend { /* an output awaiting the sink's ack */
    uint64_t offset_plus1; /* 0 = free */
    uint32_t attempt;
    sim_timer_t timer;
    struct wire out;
};

struct wpart {
    uint32_t part;
    bool owned;
    uint64_t gen;          /* the newest generation seen for it (0: static assignment) */
    uint64_t epoch;        /* gen << 32 | incarnation + 1: what fences older owners */
    struct pend *pend;     /* window slots (retrying protocols) */
    /* exactly-once-txn */
    bool ready, committing;
    uint64_t next, txn_first, txn_n;
    uint32_t commit_attempt, init_attempt;
    sim_timer_t commit_timer, linger_timer, init_timer;
    struct wire *rb;       /* received, not yet processed: window slots by offset */
    uint64_t *rb_off1;     /* offset + 1 per rb slot, 0 = empty */
    struct wire *batch;    /* the open transaction's outputs */
};

struct wrk_vol {
    struct wpart **parts; /* per partition: NULL until first claimed */
};

size_t pipe_worker_volatile_bytes(void) {
    return sizeof(struct wrk_vol);
}


/* The state of a partition this worker owns, or NULL. */
static struct wpart *wpart_of(struct sim *s, struct pipe *p, uint32_t me, uint64_t part) {
    struct wrk_vol *v = sim_node_volatile(s, me);
    if (part >= p->cfg.partitions || !v->parts) return NULL;
    struct wpart *wp = v->parts[part];
    return wp && wp->owned ? wp : NULL;
}

static struct wire map_record(const struct wpart *wp, const struct wire *in) {
    struct wire out = *in;
    out.value = (uint64_t)pipe_map_value((int64_t)in->value);
    out.epoch = wp->epoch;
    out.status = 0;
    return out;
}

/* The broker's ack of input offsets [offset, end), in the partition's generation. */
static void send_ack(struct sim *s, struct pipe *p, uint32_t me, const struct wpart *wp,
                     uint64_t rec, uint64_t offset, uint64_t end) {
    struct wire ack = {.rec = rec, .partition = wp->part, .offset = offset, .end = end,
                       .epoch = wp->gen};
    wire_send(s, me, p->broker, PIPE_MSG_ACK, &ack);
}

/* Gives the partition up: its timers stop; its buffers stay for a later claim. */
static void release(struct sim *s, struct pipe *p, struct wpart *wp) {
    if (wp->pend)
        for (uint32_t i = 0; i < p->cfg.delivery.window; i++)
            if (wp->pend[i].offset_plus1) sim_timer_cancel(s, wp->pend[i].timer);
    sim_timer_cancel(s, wp->commit_timer);
    sim_timer_cancel(s, wp->linger_timer);
    sim_timer_cancel(s, wp->init_timer);
    wp->owned = false;
}

/* ---- at-most-once, at-least-once, exactly-once (idempotent) ---- */

static void send_output(struct sim *s, struct pipe *p, uint32_t me, struct pend *pe) {
    wire_send(s, me, p->sink, PIPE_MSG_OUTPUT, &pe->out);
    pe->timer = sim_timer_set(s, me, dlv_backoff_ns(&p->backoff, pe->attempt),
                              TAG(T_WRK_OUTPUT, pe->out.partition, pe->out.offset));
}

static void on_record(struct sim *s, struct pipe *p, uint32_t me, struct wpart *wp,
                      const struct wire *in) {
    if (sim_step(s, me, p->step_receive, in->rec)) return;
    if (p->ws) wstage_record(s, p, me, in);
    if (p->ml) mls_record(s, p, me, in);
    struct wire out = map_record(wp, in);
    if (!dlv_retries(p->proto)) {
        wire_send(s, me, p->sink, PIPE_MSG_OUTPUT, &out);
        sim_step(s, me, p->step_emit, in->rec);
        return;
    }
    struct pend *pe = &wp->pend[in->offset % p->cfg.delivery.window];
    sim_timer_cancel(s, pe->timer);
    *pe = (struct pend){.offset_plus1 = in->offset + 1, .out = out};
    send_output(s, p, me, pe);
    sim_step(s, me, p->step_emit, in->rec);
}

static void on_output_ack(struct sim *s, struct pipe *p, uint32_t me, struct wpart *wp,
                          const struct wire *w) {
    if (w->status == WIRE_FENCED) { /* the sink has seen a newer owner's epoch */
        if (w->epoch == wp->epoch) release(s, p, wp);
        return;
    }
    struct pend *pe = &wp->pend[w->offset % p->cfg.delivery.window];
    if (pe->offset_plus1 != w->offset + 1) return; /* stale */
    sim_timer_cancel(s, pe->timer);
    pe->offset_plus1 = 0;
    /* a model: the ack also waits for the driver to apply the record (ml_worker.c) */
    if (p->ml && mls_hold_ack(s, p, me, wp->part, wp->gen, w->rec, w->offset, w->offset + 1))
        return;
    send_ack(s, p, me, wp, w->rec, w->offset, w->offset + 1);
}

/* ---- exactly-once-txn ---- */

/* Unique within the epoch (the sink orders transactions by (epoch, txn)); without
 * rebalance the epoch is the incarnation + 1, so the id alone orders them. */
static uint64_t txn_id(const struct wpart *wp) {
    return (wp->epoch << 32) | (wp->txn_n + 1);
}

static void send_commit(struct sim *s, struct pipe *p, uint32_t me, struct wpart *wp) {
    uint64_t n = wp->next - wp->txn_first;
    struct wire c = {.rec = wp->batch[n - 1].rec, .partition = wp->part,
                     .offset = wp->txn_first, .first = wp->txn_first, .end = wp->next,
                     .epoch = wp->epoch, .txn = txn_id(wp)};
    wire_send(s, me, p->sink, PIPE_MSG_COMMIT, &c);
    wp->commit_timer = sim_timer_set(s, me, dlv_backoff_ns(&p->backoff, wp->commit_attempt),
                                     TAG(T_WRK_COMMIT, wp->part, 0));
}

static void resend_txn(struct sim *s, struct pipe *p, uint32_t me, struct wpart *wp) {
    p->retries++;
    wp->commit_attempt++;
    sim_timer_cancel(s, wp->commit_timer);
    for (uint64_t i = 0; i < wp->next - wp->txn_first; i++)
        wire_send(s, me, p->sink, PIPE_MSG_OUTPUT, &wp->batch[i]);
    send_commit(s, p, me, wp);
}

static void commit(struct sim *s, struct pipe *p, uint32_t me, struct wpart *wp) {
    if (wp->committing || wp->next == wp->txn_first) return;
    if (sim_step(s, me, p->step_commit, wp->batch[wp->next - wp->txn_first - 1].rec)) return;
    sim_timer_cancel(s, wp->linger_timer);
    wp->linger_timer = 0;
    wp->committing = true;
    wp->commit_attempt = 0;
    send_commit(s, p, me, wp);
}

/* Processes buffered records in offset order while no commit is outstanding.
 * Returns false when the node crashed at a step. */
static bool drain(struct sim *s, struct pipe *p, uint32_t me, struct wpart *wp) {
    uint32_t win = p->cfg.delivery.window;
    while (!wp->committing && wp->rb_off1[wp->next % win] == wp->next + 1) {
        struct wire in = wp->rb[wp->next % win];
        wp->rb_off1[wp->next % win] = 0;
        if (sim_step(s, me, p->step_receive, in.rec)) return false;
        if (p->ws) wstage_record(s, p, me, &in);
        struct wire out = map_record(wp, &in);
        out.txn = txn_id(wp);
        out.first = wp->txn_first;
        wp->batch[wp->next - wp->txn_first] = out;
        wire_send(s, me, p->sink, PIPE_MSG_OUTPUT, &out);
        if (sim_step(s, me, p->step_emit, in.rec)) return false;
        wp->next++;
        if (wp->next - wp->txn_first >= p->cfg.delivery.batch) {
            commit(s, p, me, wp);
            if (!sim_node_up(s, me)) return false;
        } else if (!wp->linger_timer) {
            wp->linger_timer = sim_timer_set(s, me, p->cfg.delivery.linger_ns,
                                             TAG(T_WRK_LINGER, wp->part, 0));
        }
    }
    return true;
}

static void on_txn_record(struct sim *s, struct pipe *p, uint32_t me, struct wpart *wp,
                          const struct wire *in) {
    if (!wp->ready) return; /* the broker resends it later */
    uint32_t win = p->cfg.delivery.window;
    if (in->offset < wp->txn_first) { /* committed before: only the ack was missing */
        send_ack(s, p, me, wp, in->rec, in->offset, in->offset + 1);
        return;
    }
    if (in->offset < wp->next || in->offset >= wp->next + win) return;
    wp->rb[in->offset % win] = *in;
    wp->rb_off1[in->offset % win] = in->offset + 1;
    drain(s, p, me, wp);
}

static void on_commit_ack(struct sim *s, struct pipe *p, uint32_t me, struct wpart *wp,
                          const struct wire *w) {
    if (!wp->committing || w->txn != txn_id(wp) || w->epoch != wp->epoch) return;
    if (w->status == WIRE_INCOMPLETE) {
        resend_txn(s, p, me, wp);
        return;
    }
    if (w->status == WIRE_FENCED) { /* a newer owner registered: the partition is gone */
        release(s, p, wp);
        return;
    }
    if (w->status != WIRE_OK) return;
    sim_timer_cancel(s, wp->commit_timer);
    send_ack(s, p, me, wp, w->rec, wp->txn_first, wp->next);
    wp->txn_first = wp->next;
    wp->txn_n++;
    wp->committing = false;
    drain(s, p, me, wp);
}

static void send_init(struct sim *s, struct pipe *p, uint32_t me, struct wpart *wp) {
    struct wire w = {.partition = wp->part, .epoch = wp->epoch};
    wire_send(s, me, p->sink, PIPE_MSG_INIT, &w);
    wp->init_timer = sim_timer_set(s, me, dlv_backoff_ns(&p->backoff, wp->init_attempt),
                                   TAG(T_WRK_INIT, wp->part, 0));
}

static void on_init_ack(struct sim *s, struct pipe *p, uint32_t me, struct wpart *wp,
                        const struct wire *w) {
    if (wp->ready || w->epoch != wp->epoch) return;
    if (w->status == WIRE_FENCED) {
        release(s, p, wp);
        return;
    }
    if (w->status != WIRE_OK) return;
    sim_timer_cancel(s, wp->init_timer);
    wp->ready = true;
    wp->next = wp->txn_first = w->offset;
    /* Only now does the window task move here: the sink has fenced every earlier owner,
     * so no record can be committed behind the task's back any more, and the task holds
     * every record committed up to w->offset (an old owner applies a record before it
     * commits it, and kept hosting the task until this fence). */
    if (p->ws) wstage_claim(s, p, me, wp->part, wp->gen);
}

/* ---- partition ownership ---- */

static struct wpart *alloc_part(struct sim *s, struct pipe *p, uint32_t me, uint32_t part) {
    uint32_t win = p->cfg.delivery.window;
    struct wpart *wp = sim_valloc(s, me, sizeof *wp);
    if (!wp) return NULL;
    wp->part = part;
    if (dlv_transactional(p->proto)) {
        wp->rb = sim_valloc(s, me, win * sizeof *wp->rb);
        wp->rb_off1 = sim_valloc(s, me, win * sizeof *wp->rb_off1);
        wp->batch = sim_valloc(s, me, p->cfg.delivery.batch * sizeof *wp->batch);
        if (!wp->rb || !wp->rb_off1 || !wp->batch) return NULL;
    } else if (dlv_retries(p->proto)) {
        wp->pend = sim_valloc(s, me, win * sizeof *wp->pend);
        if (!wp->pend) return NULL;
    }
    return wp;
}

/* Takes `part` in generation gen with fresh state (what an earlier claim left is
 * dropped; the new owner starts from the committed offset). NULL when out of memory. */
static struct wpart *claim(struct sim *s, struct pipe *p, uint32_t me, uint32_t part,
                           uint64_t gen) {
    struct wrk_vol *v = sim_node_volatile(s, me);
    struct wpart *wp = v->parts[part];
    if (!wp && !(wp = v->parts[part] = alloc_part(s, p, me, part))) return NULL;
    if (wp->owned) release(s, p, wp);
    struct wpart fresh = {.part = part, .owned = true, .gen = gen, .pend = wp->pend,
                          .rb = wp->rb, .rb_off1 = wp->rb_off1, .batch = wp->batch};
    fresh.epoch = gen << 32 | ((uint64_t)sim_node_incarnation(s, me) + 1);
    *wp = fresh;
    uint32_t win = p->cfg.delivery.window;
    if (wp->pend) memset(wp->pend, 0, win * sizeof *wp->pend);
    if (wp->rb_off1) memset(wp->rb_off1, 0, win * sizeof *wp->rb_off1);
    if (dlv_transactional(p->proto)) {
        send_init(s, p, me, wp); /* the task follows once the init fenced the old owner */
        return wp;
    }
    if (p->ws) wstage_claim(s, p, me, part, gen); /* the partition's window task comes along */
    return wp;
}

/* ASSIGN from the coordinator: claim a partition in a newer generation, or give it up. */
static void on_assign(struct sim *s, struct pipe *p, uint32_t me, const struct wire *w) {
    struct wrk_vol *v = sim_node_volatile(s, me);
    struct wpart *wp = v->parts[w->partition];
    if (w->status == WIRE_REVOKED) {
        if (!wp || wp->gen >= w->epoch) return;
        if (wp->owned) release(s, p, wp);
        wp->gen = w->epoch; /* records of older generations are stale from now on */
        if (p->ws) wstage_revoke(p, me, (uint32_t)w->partition, w->epoch);
        return;
    }
    if (!wp || w->epoch > wp->gen) claim(s, p, me, (uint32_t)w->partition, w->epoch);
}

/* A record with rebalance on: a newer generation claims the partition (its ASSIGN may
 * have been lost), an older one is stale. Returns the owned state, or NULL. */
static struct wpart *owner_of_record(struct sim *s, struct pipe *p, uint32_t me,
                                     const struct wire *w) {
    struct wrk_vol *v = sim_node_volatile(s, me);
    struct wpart *wp = v->parts[w->partition];
    if (!wp || w->epoch > wp->gen) return claim(s, p, me, (uint32_t)w->partition, w->epoch);
    return wp->owned && wp->gen == w->epoch ? wp : NULL;
}

static void send_heartbeat(struct sim *s, struct pipe *p, uint32_t me) {
    struct wire hb = {.epoch = (uint64_t)sim_node_incarnation(s, me) + 1};
    wire_send(s, me, p->broker, PIPE_MSG_HEARTBEAT, &hb);
    sim_timer_set(s, me, p->cfg.group.heartbeat_ns, TAG(T_WRK_HEARTBEAT, 0, 0));
}

/* ---- node callbacks ---- */

static void worker_start(struct sim *s, uint32_t me, void *ctx) {
    struct pipe *p = ctx;
    if (p->ml) mls_worker_start(s, p, me); /* the model's batches are volatile too */
    if (p->ck) { /* exactly-once-checkpoint: checkpoint.c */
        ckpt_worker_start(s, p, me);
        return;
    }
    struct wrk_vol *v = sim_node_volatile(s, me);
    v->parts = sim_valloc(s, me, p->cfg.partitions * sizeof *v->parts);
    if (!v->parts) return;
    if (p->ws) wstage_worker_start(s, p, me); /* window state is volatile: starts empty */
    if (p->cfg.group.rebalance) { /* (re)join the group; the broker assigns partitions */
        send_heartbeat(s, p, me);
        return;
    }
    for (uint32_t part = pipe_worker_index(p, me); part < p->cfg.partitions; part += p->cfg.workers)
        if (!claim(s, p, me, part, 0)) return;
}

static void worker_msg(struct sim *s, uint32_t me, const struct sim_msg *m, void *ctx) {
    struct pipe *p = ctx;
    if (p->ml && mls_worker_msg(s, p, me, m)) return;
    if (p->ck) {
        ckpt_worker_msg(s, p, me, m);
        return;
    }
    struct wire w = wire_get(m);
    struct wrk_vol *v = sim_node_volatile(s, me);
    if (w.partition >= p->cfg.partitions || !v->parts) return;
    if (m->kind == PIPE_MSG_ASSIGN) {
        on_assign(s, p, me, &w);
        if (w.status == WIRE_OK) { /* received: the coordinator stops re-sending it */
            struct wire a = {.partition = w.partition, .epoch = w.epoch};
            wire_send(s, me, p->broker, PIPE_MSG_ASSIGN_ACK, &a);
        }
        return;
    }
    struct wpart *wp = m->kind == PIPE_MSG_RECORD && p->cfg.group.rebalance
                           ? owner_of_record(s, p, me, &w)
                           : wpart_of(s, p, me, w.partition);
    if (!wp) return;
    bool txn = dlv_transactional(p->proto);
    switch (m->kind) {
    case PIPE_MSG_RECORD:
        if (txn) on_txn_record(s, p, me, wp, &w);
        else on_record(s, p, me, wp, &w);
        break;
    case PIPE_MSG_OUTPUT_ACK:
        if (wp->pend) on_output_ack(s, p, me, wp, &w);
        break;
    case PIPE_MSG_COMMIT_ACK:
        if (txn) on_commit_ack(s, p, me, wp, &w);
        break;
    case PIPE_MSG_INIT_ACK:
        if (txn) on_init_ack(s, p, me, wp, &w);
        break;
    default: break;
    }
}

static void worker_timer(struct sim *s, uint32_t me, uint64_t tag, void *ctx) {
    struct pipe *p = ctx;
    if (p->ml && mls_worker_timer(s, p, me, tag)) return;
    if (p->ck) {
        ckpt_worker_timer(s, p, me, tag);
        return;
    }
    if (TAG_TYPE(tag) == T_WRK_HEARTBEAT) {
        send_heartbeat(s, p, me);
        return;
    }
    struct wpart *wp = wpart_of(s, p, me, TAG_P(tag));
    if (!wp) return;
    switch (TAG_TYPE(tag)) {
    case T_WRK_OUTPUT: {
        struct pend *pe = &wp->pend[TAG_OFF(tag) % p->cfg.delivery.window];
        if (pe->offset_plus1 != TAG_OFF(tag) + 1) return;
        p->retries++;
        pe->attempt++;
        send_output(s, p, me, pe);
        return;
    }
    case T_WRK_COMMIT:
        if (wp->committing) resend_txn(s, p, me, wp);
        return;
    case T_WRK_LINGER:
        wp->linger_timer = 0;
        commit(s, p, me, wp);
        return;
    case T_WRK_INIT:
        if (wp->ready) return;
        p->retries++;
        wp->init_attempt++;
        send_init(s, p, me, wp);
        return;
    default: return;
    }
}

const struct sim_node_ops pipe_worker_ops = {.on_start = worker_start,
                                             .on_timer = worker_timer,
                                             .on_message = worker_msg};
