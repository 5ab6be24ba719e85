/* A worker: consumes the partitions p with p mod W == its index, maps each record and
 * emits the output row to the sink. Named steps (after-receive, after-emit,
 * before-commit) mark where a crash may strike. at-most-once: emit and forget.
 * at-least-once / exactly-once: keep the output until the sink acks it (resending
 * with back-off), then ack the input to the broker. exactly-once-txn: register an
 * epoch with the sink, learn the committed input offset, process records strictly in
 * offset order into a transaction of up to `batch` rows, and commit rows + offset in
 * one COMMIT; only then ack the inputs. All of this state is volatile. */
#include <stdlib.h>

#include "pipe_internal.h"

struct pend { /* an output awaiting the sink's ack */
    uint64_t offset_plus1; /* 0 = free */
    uint32_t attempt;
    sim_timer_t timer;
    struct wire out;
};

struct wpart {
    uint32_t part;
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
    uint32_t nparts;
    struct wpart *parts; /* index = partition / workers */
};

size_t pipe_worker_volatile_bytes(void) {
    return sizeof(struct wrk_vol);
}

static uint32_t worker_index(const struct pipe *p, uint32_t me) {
    for (uint32_t i = 0; i < p->cfg.workers; i++)
        if (p->worker[i] == me) return i;
    FT_ASSERT(0 && "not a worker");
    return 0;
}

static uint64_t epoch_of(struct sim *s, uint32_t me) {
    return (uint64_t)sim_node_incarnation(s, me) + 1;
}

static struct wpart *wpart_of(struct sim *s, struct pipe *p, uint32_t me, uint64_t part) {
    struct wrk_vol *v = sim_node_volatile(s, me);
    if (part >= p->cfg.partitions || pipe_worker_of(p, (uint32_t)part) != me) return NULL;
    uint32_t i = (uint32_t)(part / p->cfg.workers);
    return i < v->nparts && v->parts ? &v->parts[i] : NULL;
}

static struct wire map_record(struct sim *s, uint32_t me, const struct wire *in) {
    struct wire out = *in;
    out.value = (uint64_t)pipe_map_value((int64_t)in->value);
    out.epoch = epoch_of(s, me);
    out.status = 0;
    return out;
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
    struct wire out = map_record(s, me, in);
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
    struct pend *pe = &wp->pend[w->offset % p->cfg.delivery.window];
    if (pe->offset_plus1 != w->offset + 1) return; /* stale */
    sim_timer_cancel(s, pe->timer);
    pe->offset_plus1 = 0;
    struct wire ack = {.rec = w->rec, .partition = w->partition, .offset = w->offset,
                       .end = w->offset + 1};
    wire_send(s, me, p->broker, PIPE_MSG_ACK, &ack);
}

/* ---- exactly-once-txn ---- */

static uint64_t txn_id(struct sim *s, uint32_t me, const struct wpart *wp) {
    return (epoch_of(s, me) << 32) | (wp->txn_n + 1);
}

static void send_commit(struct sim *s, struct pipe *p, uint32_t me, struct wpart *wp) {
    uint64_t n = wp->next - wp->txn_first;
    struct wire c = {.rec = wp->batch[n - 1].rec, .partition = wp->part,
                     .offset = wp->txn_first, .first = wp->txn_first, .end = wp->next,
                     .epoch = epoch_of(s, me), .txn = txn_id(s, me, wp)};
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
        struct wire out = map_record(s, me, &in);
        out.txn = txn_id(s, me, wp);
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
        struct wire ack = {.rec = in->rec, .partition = in->partition, .offset = in->offset,
                           .end = in->offset + 1};
        wire_send(s, me, p->broker, PIPE_MSG_ACK, &ack);
        return;
    }
    if (in->offset < wp->next || in->offset >= wp->next + win) return;
    wp->rb[in->offset % win] = *in;
    wp->rb_off1[in->offset % win] = in->offset + 1;
    drain(s, p, me, wp);
}

static void on_commit_ack(struct sim *s, struct pipe *p, uint32_t me, struct wpart *wp,
                          const struct wire *w) {
    if (!wp->committing || w->txn != txn_id(s, me, wp)) return;
    if (w->status == WIRE_INCOMPLETE) {
        resend_txn(s, p, me, wp);
        return;
    }
    if (w->status != WIRE_OK) return;
    sim_timer_cancel(s, wp->commit_timer);
    struct wire ack = {.rec = w->rec, .partition = wp->part, .offset = wp->txn_first,
                       .end = wp->next};
    wire_send(s, me, p->broker, PIPE_MSG_ACK, &ack);
    wp->txn_first = wp->next;
    wp->txn_n++;
    wp->committing = false;
    drain(s, p, me, wp);
}

static void send_init(struct sim *s, struct pipe *p, uint32_t me, struct wpart *wp) {
    struct wire w = {.partition = wp->part, .epoch = epoch_of(s, me)};
    wire_send(s, me, p->sink, PIPE_MSG_INIT, &w);
    wp->init_timer = sim_timer_set(s, me, dlv_backoff_ns(&p->backoff, wp->init_attempt),
                                   TAG(T_WRK_INIT, wp->part, 0));
}

static void on_init_ack(struct sim *s, uint32_t me, struct wpart *wp, const struct wire *w) {
    if (wp->ready || w->epoch != epoch_of(s, me) || w->status != WIRE_OK) return;
    sim_timer_cancel(s, wp->init_timer);
    wp->ready = true;
    wp->next = wp->txn_first = w->offset;
}

/* ---- node callbacks ---- */

static void worker_start(struct sim *s, uint32_t me, void *ctx) {
    struct pipe *p = ctx;
    struct wrk_vol *v = sim_node_volatile(s, me);
    uint32_t w = worker_index(p, me), win = p->cfg.delivery.window;
    v->nparts = p->cfg.partitions > w ? (p->cfg.partitions - w - 1) / p->cfg.workers + 1 : 0;
    v->parts = sim_valloc(s, me, (v->nparts ? v->nparts : 1) * sizeof *v->parts);
    if (!v->parts) return;
    if (p->ws) wstage_worker_start(s, p, me); /* window state is volatile: starts empty */
    bool txn = dlv_transactional(p->proto);
    for (uint32_t i = 0; i < v->nparts; i++) {
        struct wpart *wp = &v->parts[i];
        wp->part = w + i * p->cfg.workers;
        if (txn) {
            wp->rb = sim_valloc(s, me, win * sizeof *wp->rb);
            wp->rb_off1 = sim_valloc(s, me, win * sizeof *wp->rb_off1);
            wp->batch = sim_valloc(s, me, p->cfg.delivery.batch * sizeof *wp->batch);
            if (!wp->rb || !wp->rb_off1 || !wp->batch) return;
            send_init(s, p, me, wp);
        } else if (dlv_retries(p->proto)) {
            wp->pend = sim_valloc(s, me, win * sizeof *wp->pend);
            if (!wp->pend) return;
        }
    }
}

static void worker_msg(struct sim *s, uint32_t me, const struct sim_msg *m, void *ctx) {
    struct pipe *p = ctx;
    struct wire w = wire_get(m);
    struct wpart *wp = wpart_of(s, p, me, w.partition);
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
        if (txn) on_init_ack(s, me, wp, &w);
        break;
    default: break;
    }
}

static void worker_timer(struct sim *s, uint32_t me, uint64_t tag, void *ctx) {
    struct pipe *p = ctx;
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
