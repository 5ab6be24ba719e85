/* exactly-once-checkpoint at the sink (docs/checkpoints.md): the two-phase commit. A
 * worker's outputs of the current job epoch wait, by partition and offset, until the
 * coordinator says checkpoint k completed; then every row below k's barrier offsets is
 * made visible in offset order, with the window rows of the transactions stored up to k.
 * A repeated commit is a no-op; a RESTORE of a newer epoch aborts what is not committed. */
#include <stdlib.h>
#include <string.h>

#include "checkpoint_internal.h"

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
        p->up.sink_apply(s, p, &sp->rows[i], (uint32_t)sp->rows[i].status);
    size_t rest = sp->used > n ? sp->used - n : 0; /* only the live part moves */
    memmove(sp->rows, sp->rows + n, rest * sizeof *sp->rows);
    memmove(sp->present, sp->present + n, rest);
    memset(sp->present + rest, 0, sp->used - rest);
    sp->used = rest;
    sp->committed = end;
    return 0;
}

/* Commits checkpoint k: idempotent (k at or below the last commit is a no-op). */
static void sink_commit(struct sim *s, struct pipe *p, uint64_t k) {
    struct ckpt *ck = p->ck;
    struct ck_meta *m = ck_meta_find(ck, k);
    if (k <= ck->sink_committed_k || !m) return;
    FT_ASSERT(m->completed);
    for (uint32_t part = 0; part < p->cfg.partitions; part++)
        if (sp_commit(s, p, &ck->sp[part], m->offsets[part])) {
            sim_fail(s, FT_EINVAL, "checkpoint %llu: partition %u's rows are not all at the sink",
                     (unsigned long long)k, part);
            return;
        }
    int rc = ck_commit_windows(s, p, k);
    if (rc) {
        sim_fail(s, rc, "checkpoint commit: %s", ft_strerror(rc));
        return;
    }
    ck->sink_committed_k = k;
    sim_trace_user(s, p->sink, PIPE_TR_CKPT_COMMIT, k, ck->sink_epoch);
    ck_meta_prune(p, ck_meta_below, k);
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
