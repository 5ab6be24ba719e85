/* exactly-once-checkpoint (docs/checkpoints.md): aligned asynchronous barrier snapshots
 * (Chandy-Lamport as in Flink) and a two-phase-commit sink. The broker is the
 * coordinator: every checkpoint_ns it notes each partition's read position and sends a
 * BARRIER carrying it; a worker processes each partition strictly in offset order, stops
 * a partition at its barrier until all its partitions got there (alignment), stores its
 * state (window engine, pending batch, rows emitted since its last snapshot = the
 * pre-commit) and, once the sink has acked every output below the barriers, sends
 * SNAPSHOT_ACK. All acks: the checkpoint completes and the sink commits everything up
 * to it (a repeated commit is a no-op). A restarted worker JOINs; the coordinator bumps
 * the job epoch, rewinds every partition to the last completed checkpoint and sends
 * RESTORE: workers reload that snapshot, the sink commits up to it and aborts the rest.
 * Messages of an older epoch are ignored. The store lives outside the nodes (durable). */
#include <stdlib.h>

#include "ml_stage.h"
#include "pipe_internal.h"

struct ck_meta { /* one checkpoint in the store */
    uint64_t id, epoch;
    bool completed;
    uint64_t *offsets;        /* per partition: the barrier's position */
    struct wstage_snap *snap; /* per worker: state and pre-committed window rows */
};

struct ck_spart {       /* the sink's rows of one partition not yet committed */
    uint64_t committed; /* rows below this offset are visible */
    struct wire *rows;  /* by offset - committed; status = the producing worker's node */
    uint8_t *present;
    size_t cap, used; /* rows [used, cap) are all absent */
};

struct ckpt_cvol {    /* the coordinator's volatile state (lost with the broker) */
    uint64_t pending; /* the checkpoint in flight, 0 = none */
    uint8_t *acked;   /* per worker */
    uint32_t nacked, commit_attempt, restore_attempt;
    sim_timer_t timeout, commit_timer, restore_timer;
    uint8_t *restored; /* workers 0..W-1, the sink at W: acked the current epoch's RESTORE */
};

struct ckpt {
    /* the coordinator's durable record */
    uint64_t epoch, restore_k, next_k, completed_k, sink_acked_k;
    uint32_t *incarnation; /* per worker: incarnation + 1 it last joined with */
    struct ckpt_cvol *cvol;
    uint32_t cvol_incarnation;
    /* the checkpoint store: ascending ids, the last completed one always kept */
    struct ck_meta **metas;
    size_t nmeta, cap_meta;
    /* the sink's durable side */
    uint64_t sink_epoch, sink_committed_k;
    struct ck_spart *sp;
};

struct ck_pend {
    uint64_t off1; /* offset + 1, 0 = free */
    uint32_t attempt;
    sim_timer_t timer;
    struct wire out;
};

struct ck_wpart {
    bool owned;
    uint64_t next;           /* next offset to process */
    uint64_t out_done;       /* outputs below are acked by the sink */
    uint64_t flush_off;      /* the last snapshot's position: its ack waits for out_done */
    uint64_t bar_k, bar_off; /* the aligning checkpoint's barrier (bar_k 0: none yet) */
    struct ck_pend *pend;    /* window slots by offset */
    struct wire *rb;         /* received, not yet processed */
    uint64_t *rb_off1;
};

struct ck_wvol {
    uint64_t epoch;    /* 0: restarted, waiting for RESTORE */
    uint64_t aligning; /* checkpoint being aligned, 0 = none */
    uint64_t seen_k;   /* newest checkpoint seen in a barrier */
    uint64_t snap_k, acked_k;
    uint32_t join_attempt;
    struct ck_wpart *parts; /* per partition */
};

size_t ckpt_worker_volatile_bytes(void) {
    return sizeof(struct ck_wvol);
}

uint64_t ckpt_epoch(const struct pipe *p) {
    return p->ck->epoch;
}

/* ---- the store ---- */

static void meta_free(struct pipe *p, struct ck_meta *m) {
    if (!m) return;
    if (p->ml) mls_ckpt_forget(p, m->id); /* the model stage's part of the snapshot */
    for (uint32_t w = 0; m->snap && w < p->cfg.workers; w++)
        wstage_snap_free(&m->snap[w]);
    free(m->snap);
    free(m->offsets);
    free(m);
}

static struct ck_meta *meta_find(const struct ckpt *ck, uint64_t id) {
    for (size_t i = 0; i < ck->nmeta; i++)
        if (ck->metas[i]->id == id) return ck->metas[i];
    return NULL;
}

static struct ck_meta *meta_new(struct pipe *p, uint64_t id, uint64_t epoch) {
    struct ckpt *ck = p->ck;
    if (ck->nmeta == ck->cap_meta) {
        size_t cap = ck->cap_meta ? 2 * ck->cap_meta : 8;
        struct ck_meta **a = realloc(ck->metas, cap * sizeof *a);
        if (!a) return NULL;
        ck->metas = a;
        ck->cap_meta = cap;
    }
    struct ck_meta *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->id = id;
    m->epoch = epoch;
    m->offsets = calloc(p->cfg.partitions, sizeof *m->offsets);
    m->snap = calloc(p->cfg.workers, sizeof *m->snap);
    if (!m->offsets || !m->snap) {
        meta_free(p, m);
        return NULL;
    }
    ck->metas[ck->nmeta++] = m;
    return m;
}

/* Drops the metas for which drop(m) holds, keeping the order of the rest. */
static void meta_prune(struct pipe *p, bool (*drop)(const struct ck_meta *, uint64_t),
                       uint64_t arg) {
    struct ckpt *ck = p->ck;
    size_t k = 0;
    for (size_t i = 0; i < ck->nmeta; i++) {
        if (drop(ck->metas[i], arg))
            meta_free(p, ck->metas[i]);
        else
            ck->metas[k++] = ck->metas[i];
    }
    ck->nmeta = k;
}

static bool above(const struct ck_meta *m, uint64_t k) {
    return m->id > k;
}

static bool below(const struct ck_meta *m, uint64_t k) {
    return m->id < k;
}

/* Snapshots older than the restore point are never restored: their engines go (their
 * pre-committed rows stay until the sink commits them). */
static void drop_old_state(struct pipe *p, uint64_t restore_k) {
    for (size_t i = 0; i < p->ck->nmeta; i++) {
        struct ck_meta *m = p->ck->metas[i];
        if (m->id >= restore_k) continue;
        for (uint32_t w = 0; w < p->cfg.workers; w++)
            wstage_snap_drop_state(&m->snap[w]);
    }
}

int ckpt_new(struct pipe *p, struct ft_error *err) {
    struct ckpt *ck = calloc(1, sizeof *ck);
    if (!ck) return ft_fail(err, FT_ENOMEM, "out of memory for checkpoints");
    p->ck = ck;
    ck->epoch = ck->sink_epoch = 1;
    ck->next_k = 1;
    ck->incarnation = calloc(p->cfg.workers, sizeof *ck->incarnation);
    ck->sp = calloc(p->cfg.partitions, sizeof *ck->sp);
    /* checkpoint 0: the empty initial state, every offset 0, complete */
    struct ck_meta *m = ck->incarnation && ck->sp ? meta_new(p, 0, 1) : NULL;
    if (!m) return ft_fail(err, FT_ENOMEM, "out of memory for checkpoints");
    m->completed = true;
    for (uint32_t w = 0; w < p->cfg.workers; w++)
        ck->incarnation[w] = 1;
    return 0;
}

void ckpt_free(struct pipe *p) {
    struct ckpt *ck = p->ck;
    if (!ck) return;
    for (size_t i = 0; i < ck->nmeta; i++)
        meta_free(p, ck->metas[i]);
    free(ck->metas);
    for (uint32_t i = 0; ck->sp && i < p->cfg.partitions; i++) {
        free(ck->sp[i].rows);
        free(ck->sp[i].present);
    }
    free(ck->sp);
    free(ck->incarnation);
    free(ck);
    p->ck = NULL;
}

/* ---- the sink: uncommitted rows, commit, abort ---- */

static int sp_reserve(struct ck_spart *sp, uint64_t need) {
    if (need <= sp->cap) return 0;
    if (need > PIPE_SINK_PENDING_MAX) return FT_ELIMIT;
    size_t cap = sp->cap ? sp->cap : 256;
    while (cap < need)
        cap *= 2;
    struct wire *r = realloc(sp->rows, cap * sizeof *r);
    if (r) sp->rows = r;
    uint8_t *q = r ? realloc(sp->present, cap) : NULL;
    if (!q) return FT_ENOMEM;
    memset(q + sp->cap, 0, cap - sp->cap);
    sp->present = q;
    sp->cap = cap;
    return 0;
}

/* Makes partition rows [committed, end) visible; all must be there (flushed before the
 * snapshot's ack). */
static int sp_commit(struct sim *s, struct pipe *p, struct ck_spart *sp, uint64_t end) {
    if (end <= sp->committed) return 0;
    uint64_t n = end - sp->committed;
    if (n > sp->cap) return FT_EINVAL;
    for (uint64_t i = 0; i < n; i++)
        if (!sp->present[i]) return FT_EINVAL;
    for (uint64_t i = 0; i < n; i++)
        pipe_sink_apply(s, p, &sp->rows[i], (uint32_t)sp->rows[i].status);
    size_t rest = sp->used > n ? sp->used - n : 0; /* only the live part moves */
    memmove(sp->rows, sp->rows + n, rest * sizeof *sp->rows);
    memmove(sp->present, sp->present + n, rest);
    memset(sp->present + rest, 0, sp->used - rest);
    sp->used = rest;
    sp->committed = end;
    return 0;
}

/* The window rows of every stored transaction up to k, in checkpoint then worker order. */
static int commit_windows(struct sim *s, struct pipe *p, uint64_t k) {
    for (size_t i = 0; p->ws && i < p->ck->nmeta && p->ck->metas[i]->id <= k; i++)
        for (uint32_t w = 0; w < p->cfg.workers; w++) {
            int rc = wstage_commit(s, p->ws, &p->ck->metas[i]->snap[w].txn);
            if (rc) return rc;
        }
    return 0;
}

/* Commits checkpoint k: idempotent (k at or below the last commit is a no-op). */
static void sink_commit(struct sim *s, struct pipe *p, uint64_t k) {
    struct ckpt *ck = p->ck;
    struct ck_meta *m = meta_find(ck, k);
    if (k <= ck->sink_committed_k || !m) return;
    FT_ASSERT(m->completed);
    for (uint32_t part = 0; part < p->cfg.partitions; part++)
        if (sp_commit(s, p, &ck->sp[part], m->offsets[part])) {
            sim_fail(s, FT_EINVAL, "checkpoint %llu: partition %u's rows are not all at the sink",
                     (unsigned long long)k, part);
            return;
        }
    int rc = commit_windows(s, p, k);
    if (rc) {
        sim_fail(s, rc, "checkpoint commit: %s", ft_strerror(rc));
        return;
    }
    ck->sink_committed_k = k;
    sim_trace_user(s, p->sink, PIPE_TR_CKPT_COMMIT, k, ck->sink_epoch);
    meta_prune(p, below, k);
}

static void sink_output(struct sim *s, struct pipe *p, const struct wire *w, uint32_t from) {
    struct ckpt *ck = p->ck;
    if (w->epoch != ck->sink_epoch) return; /* older: a zombie; newer: RESTORE first */
    struct ck_spart *sp = &ck->sp[w->partition];
    if (w->offset >= sp->committed) {
        uint64_t i = w->offset - sp->committed;
        int rc = sp_reserve(sp, i + 1);
        if (rc) {
            sim_fail(s, rc,
                     "sink: more than %llu uncommitted rows in partition %llu (no checkpoint "
                     "completes: does a crashed worker never restart?)",
                     PIPE_SINK_PENDING_MAX, (unsigned long long)w->partition);
            return;
        }
        sp->rows[i] = *w;
        sp->rows[i].status = from;
        sp->present[i] = 1;
        if (i + 1 > sp->used) sp->used = i + 1;
    }
    struct wire r = *w;
    r.status = WIRE_OK;
    wire_send(s, p->sink, from, PIPE_MSG_OUTPUT_ACK, &r);
}

static void sink_restore(struct sim *s, struct pipe *p, const struct wire *w, uint32_t from) {
    struct ckpt *ck = p->ck;
    if (w->epoch > ck->sink_epoch) {
        sink_commit(s, p, w->txn); /* the restore point's output is due: commit it first */
        for (uint32_t part = 0; part < p->cfg.partitions; part++) { /* abort the rest */
            if (ck->sp[part].cap) memset(ck->sp[part].present, 0, ck->sp[part].cap);
            ck->sp[part].used = 0;
        }
        ck->sink_epoch = w->epoch;
    }
    struct wire r = {.epoch = w->epoch};
    wire_send(s, p->sink, from, PIPE_MSG_RESTORE_ACK, &r);
}

void ckpt_sink_pending(const struct pipe *p, pipe_rec_fn *fn, void *ctx) {
    for (uint32_t part = 0; part < p->cfg.partitions; part++) {
        const struct ck_spart *sp = &p->ck->sp[part];
        for (size_t i = 0; i < sp->used; i++)
            if (sp->present[i]) fn(ctx, sp->rows[i].rec);
    }
}

void ckpt_sink_msg(struct sim *s, struct pipe *p, const struct sim_msg *m) {
    struct wire w = wire_get(m);
    if (m->kind == PIPE_MSG_OUTPUT && w.partition < p->cfg.partitions) {
        sink_output(s, p, &w, m->src);
    } else if (m->kind == PIPE_MSG_CKPT_COMMIT) {
        sink_commit(s, p, w.txn);
        struct wire r = {.txn = w.txn, .epoch = w.epoch};
        wire_send(s, p->sink, m->src, PIPE_MSG_CKPT_COMMIT_ACK, &r);
    } else if (m->kind == PIPE_MSG_RESTORE) {
        sink_restore(s, p, &w, m->src);
    }
}

/* ---- the coordinator (at the broker) ---- */

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
    struct ck_meta *m = meta_find(p->ck, cv->pending);
    bool rows = false;
    for (uint32_t w = 0; m && w < p->cfg.workers; w++) {
        wstage_snap_drop_state(&m->snap[w]);
        rows |= m->snap[w].txn.n > 0 || m->snap[w].txn.nlat > 0;
    }
    if (m && !rows) meta_prune(p, aborted_empty, m->id);
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
    struct ck_meta *m = meta_new(p, ck->next_k, ck->epoch);
    if (!m) {
        sim_fail(s, FT_ENOMEM, "out of memory for a checkpoint");
        return;
    }
    uint64_t k = ck->next_k++;
    sim_trace_user(s, p->broker, PIPE_TR_CKPT_TRIGGER, k, ck->epoch);
    for (uint32_t part = 0; part < p->cfg.partitions; part++) {
        m->offsets[part] = pipe_broker_position(s, p, part);
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
    struct ck_meta *m = meta_find(ck, k);
    FT_ASSERT(m);
    sim_timer_cancel(s, cv->timeout);
    cv->pending = 0;
    m->completed = true;
    ck->completed_k = k; /* the restore point from now on */
    sim_trace_user(s, p->broker, PIPE_TR_CKPT_COMPLETE, k, ck->epoch);
    drop_old_state(p, k);
    cv->commit_attempt = 0;
    send_commit(s, p, cv);
}

/* A worker restarted: the whole job goes back to the last completed checkpoint. */
static void rollback(struct sim *s, struct pipe *p, struct ckpt_cvol *cv) {
    struct ckpt *ck = p->ck;
    abort_pending(s, p, cv);
    ck->epoch++;
    ck->restore_k = ck->completed_k;
    meta_prune(p, above, ck->restore_k); /* never completed: their transactions abort */
    struct ck_meta *m = meta_find(ck, ck->restore_k);
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
        pipe_broker_rewind(s, p, part, m->offsets[part]);
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

/* ---- the worker ---- */

static uint32_t windex(const struct pipe *p, uint32_t me) {
    uint32_t w = pipe_worker_index(p, me);
    FT_ASSERT(w != PIPE_NO_OWNER);
    return w;
}

static void send_join(struct sim *s, struct pipe *p, uint32_t me, struct ck_wvol *v) {
    struct wire j = {.epoch = (uint64_t)sim_node_incarnation(s, me) + 1};
    wire_send(s, me, p->broker, PIPE_MSG_JOIN, &j);
    sim_timer_set(s, me, dlv_backoff_ns(&p->backoff, v->join_attempt), TAG(T_WRK_INIT, 0, 0));
}

void ckpt_worker_start(struct sim *s, struct pipe *p, uint32_t me) {
    struct ck_wvol *v = sim_node_volatile(s, me);
    uint32_t w = windex(p, me), win = p->cfg.delivery.window;
    v->parts = sim_valloc(s, me, p->cfg.partitions * sizeof *v->parts);
    if (!v->parts) return;
    for (uint32_t part = w; part < p->cfg.partitions; part += p->cfg.workers) {
        struct ck_wpart *wp = &v->parts[part];
        wp->owned = true;
        wp->pend = sim_valloc(s, me, win * sizeof *wp->pend);
        wp->rb = sim_valloc(s, me, win * sizeof *wp->rb);
        wp->rb_off1 = sim_valloc(s, me, win * sizeof *wp->rb_off1);
        if (!wp->pend || !wp->rb || !wp->rb_off1) return;
    }
    bool first = sim_node_incarnation(s, me) == 0;
    v->epoch = first ? 1 : 0; /* first boot: checkpoint 0, the empty state */
    if (p->ws) {
        wstage_worker_start(s, p, me);
        wstage_set_epoch(p->ws, w, v->epoch);
    }
    if (!first) send_join(s, p, me, v);
}

static void send_output(struct sim *s, struct pipe *p, uint32_t me, struct ck_pend *pe) {
    wire_send(s, me, p->sink, PIPE_MSG_OUTPUT, &pe->out);
    pe->timer = sim_timer_set(s, me, dlv_backoff_ns(&p->backoff, pe->attempt),
                              TAG(T_WRK_OUTPUT, pe->out.partition, pe->out.offset));
}

static void send_ack(struct sim *s, struct pipe *p, uint32_t me, const struct ck_wvol *v,
                     uint32_t part, uint64_t rec, uint64_t offset, uint64_t end) {
    struct wire a = {
        .rec = rec, .partition = part, .offset = offset, .end = end, .epoch = v->epoch};
    wire_send(s, me, p->broker, PIPE_MSG_ACK, &a);
}

/* Processes partition part's buffered records in offset order up to its barrier.
 * Returns false when the node crashed at a step. */
static bool drain(struct sim *s, struct pipe *p, uint32_t me, struct ck_wvol *v, uint32_t part) {
    struct ck_wpart *wp = &v->parts[part];
    uint32_t win = p->cfg.delivery.window;
    while (wp->rb_off1[wp->next % win] == wp->next + 1 && wp->next < wp->out_done + win) {
        if (v->aligning && wp->bar_k == v->aligning && wp->next == wp->bar_off) break;
        struct wire in = wp->rb[wp->next % win];
        wp->rb_off1[wp->next % win] = 0;
        if (sim_step(s, me, p->step_receive, in.rec)) return false;
        if (p->ws) wstage_record(s, p, me, &in);
        if (p->ml) mls_record(s, p, me, &in);
        struct ck_pend *pe = &wp->pend[wp->next % win];
        *pe = (struct ck_pend){.off1 = wp->next + 1, .out = in};
        pe->out.value = (uint64_t)pipe_map_value((int64_t)in.value);
        pe->out.epoch = v->epoch;
        pe->out.status = 0;
        send_output(s, p, me, pe);
        if (sim_step(s, me, p->step_emit, in.rec)) return false;
        wp->next++;
    }
    return true;
}

/* Sends the last snapshot's ack once the sink has every output below its barriers. */
static bool maybe_ack_snapshot(struct sim *s, struct pipe *p, uint32_t me, struct ck_wvol *v) {
    if (v->snap_k <= v->acked_k) return true;
    for (uint32_t part = 0; part < p->cfg.partitions; part++)
        if (v->parts[part].owned && v->parts[part].out_done < v->parts[part].flush_off) return true;
    if (sim_step(s, me, p->step_snapshot_ack, v->snap_k)) return false;
    struct wire a = {.txn = v->snap_k, .epoch = v->epoch};
    wire_send(s, me, p->broker, PIPE_MSG_SNAPSHOT_ACK, &a);
    v->acked_k = v->snap_k;
    return true;
}

static void clear_barriers(const struct pipe *p, struct ck_wvol *v) {
    v->aligning = 0;
    for (uint32_t part = 0; part < p->cfg.partitions; part++)
        v->parts[part].bar_k = 0;
}

/* Every owned partition stands at the aligning checkpoint's barrier: snapshot. Returns
 * true when it took one (the partitions may move on). */
static bool try_snapshot(struct sim *s, struct pipe *p, uint32_t me, struct ck_wvol *v) {
    if (!v->aligning) return false;
    for (uint32_t part = 0; part < p->cfg.partitions; part++) {
        const struct ck_wpart *wp = &v->parts[part];
        if (wp->owned && (wp->bar_k != v->aligning || wp->next != wp->bar_off)) return false;
    }
    uint64_t k = v->aligning;
    uint32_t w = windex(p, me);
    struct ck_meta *m = meta_find(p->ck, k);
    clear_barriers(p, v);
    if (!m || m->epoch != v->epoch) return true; /* given up by the coordinator */
    if (p->ws) {
        int rc = wstage_snapshot(p->ws, w, &m->snap[w]);
        if (rc) {
            sim_fail(s, rc, "worker snapshot: %s", ft_strerror(rc));
            return false;
        }
    }
    int rc = p->ml ? mls_ckpt_snapshot(p, w, k) : 0; /* the model's open batches */
    if (rc) {
        sim_fail(s, rc, "worker snapshot: %s", ft_strerror(rc));
        return false;
    }
    m->snap[w].taken = true;
    sim_trace_user(s, me, PIPE_TR_CKPT_SNAPSHOT, k, v->epoch);
    for (uint32_t part = 0; part < p->cfg.partitions; part++)
        v->parts[part].flush_off = v->parts[part].next;
    v->snap_k = k;
    return true;
}

/* Runs every owned partition as far as it can, snapshotting at aligned barriers. */
static void progress(struct sim *s, struct pipe *p, uint32_t me, struct ck_wvol *v) {
    for (;;) {
        for (uint32_t part = 0; part < p->cfg.partitions; part++)
            if (v->parts[part].owned && !drain(s, p, me, v, part)) return;
        if (!try_snapshot(s, p, me, v)) break;
        if (!sim_node_up(s, me) || !maybe_ack_snapshot(s, p, me, v)) return;
    }
}

static void on_record(struct sim *s, struct pipe *p, uint32_t me, struct ck_wvol *v,
                      const struct wire *in) {
    struct ck_wpart *wp = &v->parts[in->partition];
    uint32_t win = p->cfg.delivery.window;
    if (in->epoch != v->epoch) return; /* a stale epoch, or not restored yet */
    if (in->offset < wp->next) {       /* processed before: the broker may lack the ack */
        if (in->offset < wp->out_done)
            send_ack(s, p, me, v, (uint32_t)in->partition, in->rec, in->offset, in->offset + 1);
        return;
    }
    if (in->offset >= wp->next + win) return;
    wp->rb[in->offset % win] = *in;
    wp->rb_off1[in->offset % win] = in->offset + 1;
    progress(s, p, me, v);
}

static void on_output_ack(struct sim *s, struct pipe *p, uint32_t me, struct ck_wvol *v,
                          const struct wire *a) {
    struct ck_wpart *wp = &v->parts[a->partition];
    uint32_t win = p->cfg.delivery.window;
    struct ck_pend *pe = &wp->pend[a->offset % win];
    if (a->epoch != v->epoch || pe->off1 != a->offset + 1) return;
    sim_timer_cancel(s, pe->timer);
    pe->off1 = 0;
    uint64_t from = wp->out_done;
    while (wp->out_done < wp->next && !wp->pend[wp->out_done % win].off1)
        wp->out_done++;
    if (wp->out_done > from)
        send_ack(s, p, me, v, (uint32_t)a->partition, a->rec, from, wp->out_done);
    if (maybe_ack_snapshot(s, p, me, v)) progress(s, p, me, v);
}

static void on_barrier(struct sim *s, struct pipe *p, uint32_t me, struct ck_wvol *v,
                       const struct wire *b) {
    struct ck_wpart *wp = &v->parts[b->partition];
    uint64_t k = b->txn;
    if (b->epoch != v->epoch || (k <= v->seen_k && k != v->aligning)) return; /* stale */
    if (k > v->seen_k) { /* a newer checkpoint: an unfinished alignment is given up */
        clear_barriers(p, v);
        v->aligning = v->seen_k = k;
        if (sim_step(s, me, p->step_during_ckpt, k)) return;
    }
    if (wp->next > b->offset) { /* already past it (a reordered barrier): k fails here */
        PIPE_MOMENT(p, BARRIER_BEHIND);
        clear_barriers(p, v);
    }
    else {
        wp->bar_k = k;
        wp->bar_off = b->offset;
    }
    progress(s, p, me, v);
}

static void on_restore(struct sim *s, struct pipe *p, uint32_t me, struct ck_wvol *v,
                       const struct wire *r) {
    uint32_t w = windex(p, me), win = p->cfg.delivery.window;
    struct wire ack = {.epoch = r->epoch};
    /* meant for an earlier incarnation (a restarted coordinator resending a rollback it
     * decided before this worker restarted): its offsets are not where the job stands */
    if (r->value != (uint64_t)sim_node_incarnation(s, me) + 1) return;
    if (r->epoch < v->epoch) return;
    if (r->epoch > v->epoch) {
        struct ck_meta *m = meta_find(p->ck, r->txn);
        if (!m || !m->completed) return; /* superseded by a later rollback */
        for (uint32_t part = 0; part < p->cfg.partitions; part++) {
            struct ck_wpart *wp = &v->parts[part];
            if (!wp->owned) continue;
            for (uint32_t i = 0; i < win; i++)
                sim_timer_cancel(s, wp->pend[i].timer);
            memset(wp->pend, 0, win * sizeof *wp->pend);
            memset(wp->rb_off1, 0, win * sizeof *wp->rb_off1);
            wp->next = wp->out_done = wp->flush_off = m->offsets[part];
            wp->bar_k = 0;
        }
        v->epoch = r->epoch;
        v->aligning = 0;
        v->seen_k = v->snap_k = v->acked_k = r->txn;
        int rc = p->ws ? wstage_restore(s, p->ws, w, &m->snap[w], v->epoch) : 0;
        if (!rc && p->ml) rc = mls_ckpt_restore(s, p, w, r->txn, v->epoch);
        if (rc) {
            sim_fail(s, rc, "worker restore: %s", ft_strerror(rc));
            return;
        }
    }
    wire_send(s, me, p->broker, PIPE_MSG_RESTORE_ACK, &ack);
}

void ckpt_worker_msg(struct sim *s, struct pipe *p, uint32_t me, const struct sim_msg *m) {
    struct ck_wvol *v = sim_node_volatile(s, me);
    struct wire w = wire_get(m);
    if (!v->parts || w.partition >= p->cfg.partitions) return;
    if (m->kind == PIPE_MSG_RESTORE) {
        on_restore(s, p, me, v, &w);
        return;
    }
    if (!v->parts[w.partition].owned) return;
    if (m->kind == PIPE_MSG_RECORD)
        on_record(s, p, me, v, &w);
    else if (m->kind == PIPE_MSG_OUTPUT_ACK)
        on_output_ack(s, p, me, v, &w);
    else if (m->kind == PIPE_MSG_BARRIER)
        on_barrier(s, p, me, v, &w);
}

void ckpt_worker_timer(struct sim *s, struct pipe *p, uint32_t me, uint64_t tag) {
    struct ck_wvol *v = sim_node_volatile(s, me);
    if (!v->parts) return;
    if (TAG_TYPE(tag) == T_WRK_INIT) {
        if (v->epoch) return; /* restored */
        p->retries++;
        v->join_attempt++;
        send_join(s, p, me, v);
        return;
    }
    if (TAG_TYPE(tag) != T_WRK_OUTPUT || TAG_P(tag) >= p->cfg.partitions) return;
    struct ck_wpart *wp = &v->parts[TAG_P(tag)];
    if (!wp->owned) return;
    struct ck_pend *pe = &wp->pend[TAG_OFF(tag) % p->cfg.delivery.window];
    if (pe->off1 != TAG_OFF(tag) + 1) return;
    p->retries++;
    pe->attempt++;
    send_output(s, p, me, pe);
}

/* ---- the end of the run ---- */

bool ckpt_settled(struct sim *s, const struct pipe *p) {
    const struct ckpt *ck = p->ck;
    if (!sim_node_up(s, p->broker) || ck->sink_epoch != ck->epoch) return false;
    for (uint32_t w = 0; w < p->cfg.workers; w++) {
        const struct ck_wvol *v = sim_node_volatile((struct sim *)s, p->worker[w]);
        if (!sim_node_up(s, p->worker[w]) || v->epoch != ck->epoch) return false;
    }
    return !p->ml || mls_ckpt_settled(s, p, ck->epoch);
}

int ckpt_finish(struct sim *s, struct pipe *p, struct ft_error *err) {
    if (!p->ws || !ckpt_settled(s, p)) return 0; /* uncommitted output stays invisible */
    int rc = commit_windows(s, p, UINT64_MAX);
    for (uint32_t w = 0; !rc && w < p->cfg.workers; w++)
        rc = wstage_commit(s, p->ws, wstage_open_txn(p->ws, w));
    return rc ? ft_fail(err, rc, "final window commit: %s", ft_strerror(rc)) : 0;
}

uint64_t ckpt_retain_from(const struct pipe *p, uint32_t part) {
    const struct ck_meta *m = meta_find(p->ck, p->ck->completed_k);
    FT_ASSERT(m); /* the last completed checkpoint is always kept */
    return m->offsets[part];
}
