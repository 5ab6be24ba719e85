/* exactly-once-checkpoint's coordinator, run by the broker (Flink's JobManager): every
 * checkpoint_ns it records each partition's read position and sends the barriers; all
 * participants' SNAPSHOT_ACKs complete the checkpoint and the sink is told to commit up
 * to it (resent until acknowledged). A worker's JOIN after a restart rolls the whole job
 * back: a new epoch, every partition rewound to the last completed checkpoint and a
 * RESTORE to every worker and the sink, resent until all acknowledged. */
#include <stdlib.h>
#include <string.h>

#include "checkpoint_internal.h"
#include "ml_stage.h"

/* The coordinator's volatile state of the broker's current incarnation, or NULL. */
static struct ckpt_cvol *cvol(struct sim *s, struct pipe *p) {
    return p->ck->cvol_incarnation == sim_node_incarnation(s, p->broker) ? p->ck->cvol : NULL;
}

static uint32_t owner_of(const struct pipe *p, uint32_t part) {
    return p->worker[part % p->cfg.workers];
}

/* The workers that take part in a checkpoint: those that own a partition (worker w owns
 * w, w + W, ...; with more workers than partitions the rest own none, get no barrier and
 * have nothing to snapshot, so the coordinator waits for no ack from them). */
static uint32_t participants(const struct pipe *p) {
    return p->cfg.workers < p->cfg.partitions ? p->cfg.workers : p->cfg.partitions;
}

static bool aborted_empty(const struct ck_meta *m, uint64_t k) {
    return m->id == k;
}

/* An aborted checkpoint is never restored: its snapshots go, and so does the whole
 * entry unless it holds pre-committed window rows (a later commit applies those). */
static void abort_pending(struct sim *s, struct pipe *p, struct ckpt_cvol *cv) {
    if (!cv->pending) return;
    sim_trace_user(s, p->broker, PIPE_TR_CKPT_ABORT, cv->pending, p->ck->epoch);
    sim_timer_cancel(s, cv->timeout);
    struct ck_meta *m = ck_meta_find(p->ck, cv->pending);
    bool rows = false;
    for (uint32_t w = 0; m && w < p->cfg.workers; w++) {
        wstage_snap_drop_state(&m->snap[w]);
        rows |= m->snap[w].txn.n > 0 || m->snap[w].txn.nlat > 0;
    }
    if (m && !rows) ck_meta_prune(p, aborted_empty, m->id);
    cv->pending = 0;
}

static bool all_restored(const struct pipe *p, const struct ckpt_cvol *cv) {
    for (uint32_t i = 0; i <= p->cfg.workers; i++)
        if (!cv->restored[i]) return false;
    return true;
}

/* RESTORE(epoch, restore point) to worker i (the sink at i = W). A worker's copy names
 * the incarnation it is meant for (value = incarnation + 1, as the worker last joined
 * with): a worker that restarted since takes no restore of a rollback decided before
 * its join, and keeps joining until the rollback its own join starts. */
static void send_restore(struct sim *s, struct pipe *p, uint32_t i) {
    struct wire w = {.epoch = p->ck->epoch, .txn = p->ck->restore_k};
    if (i < p->cfg.workers) w.value = p->ck->incarnation[i];
    wire_send(s, p->broker, i < p->cfg.workers ? p->worker[i] : p->sink, PIPE_MSG_RESTORE, &w);
}

static void restore_round(struct sim *s, struct pipe *p, struct ckpt_cvol *cv) {
    for (uint32_t i = 0; i <= p->cfg.workers; i++)
        if (!cv->restored[i]) send_restore(s, p, i);
    cv->restore_timer = sim_timer_set(
        s, p->broker, dlv_backoff_ns(&p->backoff, cv->restore_attempt), TAG(T_CK_RESTORE, 0, 0));
}

static void send_commit(struct sim *s, struct pipe *p, struct ckpt_cvol *cv) {
    struct wire w = {.txn = p->ck->completed_k, .epoch = p->ck->epoch};
    wire_send(s, p->broker, p->sink, PIPE_MSG_CKPT_COMMIT, &w);
    sim_timer_cancel(s, cv->commit_timer);
    cv->commit_timer = sim_timer_set(s, p->broker, dlv_backoff_ns(&p->backoff, cv->commit_attempt),
                                     TAG(T_CK_COMMIT, 0, 0));
}

void ckpt_coord_start(struct sim *s, struct pipe *p) {
    struct ckpt *ck = p->ck;
    ck->cvol = NULL;
    ck->cvol_incarnation = sim_node_incarnation(s, p->broker);
    struct ckpt_cvol *cv = sim_valloc(s, p->broker, sizeof *cv);
    uint8_t *a = sim_valloc(s, p->broker, 2 * (size_t)p->cfg.workers + 1);
    if (!cv || !a) return;
    cv->acked = a;
    cv->restored = a + p->cfg.workers;
    ck->cvol = cv;
    sim_timer_set(s, p->broker, p->cfg.delivery.checkpoint_ns, TAG(T_CK_TRIGGER, 0, 0));
    if (ck->epoch > 1) {
        PIPE_MOMENT(p, COORD_RESUMED);
        restore_round(s, p, cv); /* a rollback may have been cut short */
    }
    else
        memset(cv->restored, 1, (size_t)p->cfg.workers + 1);
    if (ck->sink_acked_k < ck->completed_k) send_commit(s, p, cv);
}

static void trigger(struct sim *s, struct pipe *p, struct ckpt_cvol *cv) {
    struct ckpt *ck = p->ck;
    sim_timer_set(s, p->broker, p->cfg.delivery.checkpoint_ns, TAG(T_CK_TRIGGER, 0, 0));
    abort_pending(s, p, cv);          /* one checkpoint in flight: the older one is given up */
    if (!all_restored(p, cv)) return; /* a rollback is in progress */
    struct ck_meta *m = ck_meta_new(p, ck->next_k, ck->epoch);
    if (!m) {
        sim_fail(s, FT_ENOMEM, "out of memory for a checkpoint");
        return;
    }
    uint64_t k = ck->next_k++;
    sim_trace_user(s, p->broker, PIPE_TR_CKPT_TRIGGER, k, ck->epoch);
    for (uint32_t part = 0; part < p->cfg.partitions; part++) {
        m->offsets[part] = p->up.broker_position(s, p, part);
        struct wire b = {
            .partition = part, .offset = m->offsets[part], .txn = k, .epoch = ck->epoch};
        wire_send(s, p->broker, owner_of(p, part), PIPE_MSG_BARRIER, &b);
    }
    cv->pending = k;
    cv->nacked = 0;
    memset(cv->acked, 0, p->cfg.workers);
    cv->timeout =
        sim_timer_set(s, p->broker, p->cfg.delivery.checkpoint_timeout_ns, TAG(T_CK_TIMEOUT, 0, k));
}

static void complete(struct sim *s, struct pipe *p, struct ckpt_cvol *cv) {
    struct ckpt *ck = p->ck;
    uint64_t k = cv->pending;
    struct ck_meta *m = ck_meta_find(ck, k);
    FT_ASSERT(m);
    sim_timer_cancel(s, cv->timeout);
    cv->pending = 0;
    m->completed = true;
    ck->completed_k = k; /* the restore point from now on */
    sim_trace_user(s, p->broker, PIPE_TR_CKPT_COMPLETE, k, ck->epoch);
    ck_drop_old_state(p, k);
    cv->commit_attempt = 0;
    send_commit(s, p, cv);
}

/* A worker restarted: the whole job goes back to the last completed checkpoint. */
static void rollback(struct sim *s, struct pipe *p, struct ckpt_cvol *cv) {
    struct ckpt *ck = p->ck;
    abort_pending(s, p, cv);
    ck->epoch++;
    ck->restore_k = ck->completed_k;
    /* never completed: their transactions abort */
    ck_meta_prune(p, ck_meta_above, ck->restore_k);
    struct ck_meta *m = ck_meta_find(ck, ck->restore_k);
    FT_ASSERT(m && m->completed);
    sim_trace_user(s, p->broker, PIPE_TR_CKPT_ROLLBACK, ck->restore_k, ck->epoch);
    if (p->ws) {
        const struct wstage_snap *snaps[PIPE_WORKERS_MAX];
        for (uint32_t w = 0; w < p->cfg.workers; w++)
            snaps[w] = &m->snap[w];
        wstage_rollback(p->ws, ck->epoch, snaps);
    }
    if (p->ml) mls_ckpt_rollback(s, p, ck->restore_k, ck->epoch); /* the model's cut */
    memset(cv->restored, 0, (size_t)p->cfg.workers + 1);
    sim_timer_cancel(s, cv->restore_timer);
    cv->restore_attempt = 0;
    restore_round(s, p, cv); /* first, so a FIFO link delivers it before the records */
    for (uint32_t part = 0; part < p->cfg.partitions; part++)
        p->up.broker_rewind(s, p, part, m->offsets[part]);
}

void ckpt_coord_msg(struct sim *s, struct pipe *p, const struct sim_msg *m) {
    struct ckpt *ck = p->ck;
    struct ckpt_cvol *cv = cvol(s, p);
    struct wire w = wire_get(m);
    uint32_t wi = pipe_worker_index(p, m->src);
    if (!cv) return;
    if (wi != PIPE_NO_OWNER && wi >= p->cfg.workers) return;
    switch (m->kind) {
    case PIPE_MSG_SNAPSHOT_ACK:
        if (wi == PIPE_NO_OWNER || wi >= participants(p) || w.epoch != ck->epoch ||
            w.txn != cv->pending || cv->acked[wi])
            return;
        cv->acked[wi] = 1;
        if (++cv->nacked == participants(p)) complete(s, p, cv);
        return;
    case PIPE_MSG_JOIN:
        if (wi == PIPE_NO_OWNER) return;
        if (w.epoch > ck->incarnation[wi]) {
            ck->incarnation[wi] = (uint32_t)w.epoch;
            rollback(s, p, cv);
        } else if (!cv->restored[wi]) {
            send_restore(s, p, wi);
        }
        return;
    case PIPE_MSG_RESTORE_ACK:
        if (w.epoch == ck->epoch && !all_restored(p, cv)) {
            cv->restored[wi == PIPE_NO_OWNER ? p->cfg.workers : wi] = 1;
            if (all_restored(p, cv)) PIPE_MOMENT(p, ROLLBACK_DONE);
        }
        if (all_restored(p, cv)) sim_timer_cancel(s, cv->restore_timer);
        return;
    case PIPE_MSG_CKPT_COMMIT_ACK:
        if (w.txn > ck->sink_acked_k) ck->sink_acked_k = w.txn;
        if (ck->sink_acked_k >= ck->completed_k) sim_timer_cancel(s, cv->commit_timer);
        return;
    default:
        return;
    }
}

void ckpt_coord_timer(struct sim *s, struct pipe *p, uint64_t tag) {
    struct ckpt_cvol *cv = cvol(s, p);
    if (!cv) return;
    switch (TAG_TYPE(tag)) {
    case T_CK_TRIGGER:
        trigger(s, p, cv);
        return;
    case T_CK_TIMEOUT:
        if (cv->pending == TAG_OFF(tag)) abort_pending(s, p, cv);
        return;
    case T_CK_COMMIT:
        if (p->ck->sink_acked_k >= p->ck->completed_k) return;
        p->retries++;
        cv->commit_attempt++;
        send_commit(s, p, cv);
        return;
    case T_CK_RESTORE:
        if (all_restored(p, cv)) return;
        p->retries++;
        cv->restore_attempt++;
        restore_round(s, p, cv);
        return;
    default:
        return;
    }
}
