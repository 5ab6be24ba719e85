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

#include "checkpoint_internal.h"
#include "ml_stage.h"

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

struct ck_meta *ck_meta_find(const struct ckpt *ck, uint64_t id) {
    for (size_t i = 0; i < ck->nmeta; i++)
        if (ck->metas[i]->id == id) return ck->metas[i];
    return NULL;
}

struct ck_meta *ck_meta_new(struct pipe *p, uint64_t id, uint64_t epoch) {
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
void ck_meta_prune(struct pipe *p, bool (*drop)(const struct ck_meta *, uint64_t),
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

bool ck_meta_above(const struct ck_meta *m, uint64_t k) {
    return m->id > k;
}

bool ck_meta_below(const struct ck_meta *m, uint64_t k) {
    return m->id < k;
}

/* Snapshots older than the restore point are never restored: their engines go (their
 * pre-committed rows stay until the sink commits them). */
void ck_drop_old_state(struct pipe *p, uint64_t restore_k) {
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
    struct ck_meta *m = ck->incarnation && ck->sp ? ck_meta_new(p, 0, 1) : NULL;
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

/* The window rows of every stored transaction up to k, in checkpoint then worker order. */
int ck_commit_windows(struct sim *s, struct pipe *p, uint64_t k) {
    for (size_t i = 0; p->ws && i < p->ck->nmeta && p->ck->metas[i]->id <= k; i++)
        for (uint32_t w = 0; w < p->cfg.workers; w++) {
            int rc = wstage_commit(s, p->ws, &p->ck->metas[i]->snap[w].txn);
            if (rc) return rc;
        }
    return 0;
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
    int rc = ck_commit_windows(s, p, UINT64_MAX);
    for (uint32_t w = 0; !rc && w < p->cfg.workers; w++)
        rc = wstage_commit(s, p->ws, wstage_open_txn(p->ws, w));
    return rc ? ft_fail(err, rc, "final window commit: %s", ft_strerror(rc)) : 0;
}

uint64_t ckpt_retain_from(const struct pipe *p, uint32_t part) {
    const struct ck_meta *m = ck_meta_find(p->ck, p->ck->completed_k);
    FT_ASSERT(m); /* the last completed checkpoint is always kept */
    return m->offsets[part];
}
