/* The streaming model's worker side. A worker keeps, per partition it owns, the records
 * it applied since the last JOB (with an idempotent protocol each offset once per
 * incarnation). On JOB b it sorts each partition's records by offset, scores them with
 * the model the JOB carries and sends one STATS per partition, keeping it (retrying
 * protocols) until the driver acks it; a DUP answer names records the model already
 * has, which are dropped before the statistics are computed again. Under the retrying
 * protocols but checkpoints, a record's input ack waits until both the sink acked its
 * output and the driver acked its statistics: a crash replays what the model has not
 * made durable. All of it is volatile: a restart begins empty. */
#include <stdlib.h>

#include "grow.h"
#include "ml_internal.h"

static uint32_t windex(const struct pipe *p, uint32_t me) {
    uint32_t w = pipe_worker_index(p, me);
    FT_ASSERT(w != PIPE_NO_OWNER);
    return w;
}

static bool holds_acks(const struct pipe *p) {
    return dlv_retries(p->proto) && !p->ck;
}

void mls_buf_free(struct mls_buf *b) {
    free(b->r);
    memset(b, 0, sizeof *b);
}

void mls_out_free(struct mls_out *o) {
    mls_partial_free(&o->pt);
}

static void outbox_clear(struct sim *s, struct mls_worker *mw) {
    for (size_t i = 0; i < mw->nout; i++) {
        if (s) sim_timer_cancel(s, mw->out[i].timer);
        mls_out_free(&mw->out[i]);
    }
    mw->nout = 0;
}

static void worker_reset(struct sim *s, struct pipe *p, struct mls_worker *mw) {
    for (uint32_t part = 0; part < p->cfg.partitions; part++) {
        mw->buf[part].n = 0;
        bitset_clear(&mw->seen[part]);
        bitset_clear(&mw->held[part].sunk);
        bitset_clear(&mw->held[part].modeled);
    }
    outbox_clear(s, mw);
    if (mw->slots)
        memset(mw->slots, 0,
               (size_t)p->cfg.partitions * p->cfg.delivery.window * sizeof *mw->slots);
    mw->closed_b = 0;
    mw->commit_armed = false;
}

void mls_worker_start(struct sim *s, struct pipe *p, uint32_t me) {
    struct mls_worker *mw = &p->ml->w[windex(p, me)];
    (void)s;
    worker_reset(NULL, p, mw); /* the timers died with the last incarnation */
    /* exactly-once-checkpoint: a restarted worker waits for its RESTORE */
    mw->epoch = p->ck && sim_node_incarnation(s, me) > 0 ? 0 : 1;
}

void mls_record(struct sim *s, struct pipe *p, uint32_t me, const struct wire *in) {
    struct mls_worker *mw = &p->ml->w[windex(p, me)];
    if (!mw->epoch || in->partition >= p->cfg.partitions) return;
    struct mls_buf *b = &mw->buf[in->partition];
    if (dlv_idempotent(p->proto) && !p->ck) {
        int rc = bitset_insert(&mw->seen[in->partition], in->offset);
        if (rc < 0) sim_fail(s, rc, "model stage: out of memory");
        if (rc != 1) return; /* this incarnation has it already */
    }
    if (ft_grow((void **)&b->r, &b->cap, b->n + 1, sizeof *b->r, 256)) {
        sim_fail(s, FT_ENOMEM, "model stage: out of memory for a batch");
        return;
    }
    b->r[b->n++] = (struct mls_rec){in->offset, in->rec};
}

/* ---- held input acks ---- */

static struct mls_slot *slot_of(struct pipe *p, struct mls_worker *mw, uint32_t part,
                                uint64_t off) {
    uint32_t win = p->cfg.delivery.window;
    return &mw->slots[(size_t)part * win + off % win];
}

#define COMMIT_TAG TAG(T_ML_STATS, 0xfffff, 0) /* commit_interval's timer */

static void send_ack(struct sim *s, struct pipe *p, uint32_t me, uint32_t part, uint64_t off,
                     uint64_t rec) {
    struct wire ack = {.rec = rec, .partition = part, .offset = off, .end = off + 1};
    wire_send(s, me, p->broker, PIPE_MSG_ACK, &ack);
}

/* Both have the record: its offset is committed now, or at the next multiple of
 * commit_interval (the consumer's auto-commit). The broker sends offset o + window only
 * once o is committed, so of two offsets that share a slot the older is a repeat the
 * broker has: acked at once (the broker ignores it), it never holds the slot. */
static void release(struct sim *s, struct pipe *p, uint32_t me, uint32_t part, uint64_t off,
                    uint64_t rec) {
    uint64_t every = p->cfg.delivery.commit_interval_ns, now = sim_now(s);
    struct mls_worker *mw = &p->ml->w[windex(p, me)];
    struct mls_slot *sl = every ? slot_of(p, mw, part, off) : NULL;
    if (!sl || sl->off1 > off + 1) {
        send_ack(s, p, me, part, off, rec);
        return;
    }
    if (sl->off1 && sl->off1 != off + 1) send_ack(s, p, me, part, sl->off1 - 1, sl->rec);
    *sl = (struct mls_slot){.off1 = off + 1, .rec = rec};
    if (!mw->commit_armed) sim_timer_set(s, me, (now / every + 1) * every - now, COMMIT_TAG);
    mw->commit_armed = true;
}

/* commit_interval's timer: every due offset is committed, in partition and slot order. */
static void commit_ready(struct sim *s, struct pipe *p, uint32_t me) {
    struct mls_worker *mw = &p->ml->w[windex(p, me)];
    uint32_t win = p->cfg.delivery.window;
    mw->commit_armed = false;
    for (uint32_t part = 0; part < p->cfg.partitions; part++)
        for (uint32_t i = 0; i < win; i++) {
            struct mls_slot *sl = &mw->slots[(size_t)part * win + i];
            if (!sl->off1) continue;
            send_ack(s, p, me, part, sl->off1 - 1, sl->rec);
            memset(sl, 0, sizeof *sl);
        }
}

/* Marks (part, off) done by the sink (sink) or the model (!sink); every mark that finds
 * the other side done releases the ack: a repeated mark (the broker redelivered a record
 * whose ack was lost, the driver applied resent statistics again) acks it again. */
static void mark(struct sim *s, struct pipe *p, uint32_t me, uint32_t part, uint64_t off,
                 uint64_t rec, bool sink) {
    struct mls_held *h = &p->ml->w[windex(p, me)].held[part];
    int rc = bitset_insert(sink ? &h->sunk : &h->modeled, off);
    if (rc < 0) {
        sim_fail(s, rc, "model stage: out of memory for held acks");
        return;
    }
    if (bitset_has(sink ? &h->modeled : &h->sunk, off)) release(s, p, me, part, off, rec);
}

bool mls_hold_ack(struct sim *s, struct pipe *p, uint32_t me, uint32_t part, uint64_t gen,
                  uint64_t rec, uint64_t offset, uint64_t end) {
    (void)gen; /* a model runs over a static assignment: generation 0 */
    if (!holds_acks(p) || part >= p->cfg.partitions) return false;
    for (uint64_t off = offset; off < end; off++)
        mark(s, p, me, part, off, off + 1 == end ? rec : 0, true);
    return true;
}

/* ---- batches ---- */

static int cmp_off(const void *a, const void *b) {
    const struct mls_rec *x = a, *y = b;
    return x->off < y->off ? -1 : x->off > y->off;
}

static uint64_t stats_retry_ns(const struct pipe *p, uint32_t attempt) {
    return p->cfg.query.trigger_ns + dlv_backoff_ns(&p->backoff, attempt);
}

/* The statistics of pt's records scored by the JOB's models (in pt's order). */
static void compute(struct pipe *p, const struct mls_job *j, struct mls_partial *pt) {
    const struct ml_spec *spec = &p->cfg.ml.spec;
    memset(pt->st, 0, mls_stats_len(p) * sizeof *pt->st);
    for (uint32_t i = 0; i < pt->n; i++) {
        const double *x = mls_feat_of(p, pt->rec[i]);
        FT_ASSERT(x);
        ml_stats_add(spec, &j->model, j->has_frozen ? &j->frozen : NULL, p->ml->sample_key,
                     pt->rec[i], x, x[spec->d], pt->st);
    }
}

static void send_out(struct sim *s, struct pipe *p, uint32_t me, struct mls_worker *mw,
                     struct mls_out *o) {
    mls_send_stats(s, p, me, mw->epoch, &o->pt);
    o->timer = sim_timer_set(s, me, stats_retry_ns(p, o->attempt),
                             TAG(T_ML_STATS, o->pt.part, o->pt.b & ((1ull << 40) - 1)));
}

/* Partition part's batch for JOB j: sorted by offset, scored, sent. */
static int close_part(struct sim *s, struct pipe *p, uint32_t me, struct mls_worker *mw,
                      uint32_t part, const struct mls_job *j) {
    struct mls_buf *b = &mw->buf[part];
    size_t nst = mls_stats_len(p);
    if (b->n > 1) qsort(b->r, b->n, sizeof *b->r, cmp_off);
    struct mls_out o = {.pt = {.w = windex(p, me),
                               .part = part,
                               .b = j->b,
                               .n = (uint32_t)b->n,
                               .inc = sim_node_incarnation(s, me)},
                        .model = j->model};
    o.pt.st = malloc(nst * sizeof *o.pt.st);
    o.pt.rec = malloc((b->n ? b->n : 1) * sizeof *o.pt.rec);
    o.pt.off = malloc((b->n ? b->n : 1) * sizeof *o.pt.off);
    if (!o.pt.st || !o.pt.rec || !o.pt.off) {
        mls_out_free(&o);
        return FT_ENOMEM;
    }
    for (size_t i = 0; i < b->n; i++) {
        o.pt.rec[i] = b->r[i].rec;
        o.pt.off[i] = b->r[i].off;
    }
    b->n = 0;
    compute(p, j, &o.pt);
    if (!dlv_retries(p->proto)) { /* at-most-once: sent once, forgotten */
        mls_send_stats(s, p, me, mw->epoch, &o.pt);
        mls_out_free(&o);
        return 0;
    }
    if (ft_grow((void **)&mw->out, &mw->cap_out, mw->nout + 1, sizeof *mw->out, 16)) {
        mls_out_free(&o);
        return FT_ENOMEM;
    }
    mw->out[mw->nout] = o;
    send_out(s, p, me, mw, &mw->out[mw->nout++]);
    return 0;
}

static void on_job(struct sim *s, struct pipe *p, uint32_t me, const struct sim_msg *m) {
    static _Thread_local struct mls_job j;
    struct mls_worker *mw = &p->ml->w[windex(p, me)];
    if (!mls_get_job(p, m, &j) || !mw->epoch || j.epoch != mw->epoch || j.b <= mw->closed_b)
        return; /* malformed, stale, of another job epoch, or answered */
    mw->closed_b = j.b;
    for (uint32_t part = windex(p, me); part < p->cfg.partitions; part += p->cfg.workers) {
        int rc = close_part(s, p, me, mw, part, &j);
        if (rc) {
            sim_fail(s, rc, "model stage: out of memory closing a batch");
            return;
        }
    }
}

static struct mls_out *out_find(struct mls_worker *mw, uint32_t part, uint64_t b) {
    for (size_t i = 0; i < mw->nout; i++)
        if (mw->out[i].pt.part == part && mw->out[i].pt.b == b) return &mw->out[i];
    return NULL;
}

static void out_remove(struct sim *s, struct mls_worker *mw, struct mls_out *o) {
    sim_timer_cancel(s, o->timer);
    mls_out_free(o);
    *o = mw->out[--mw->nout];
}

static bool listed(const struct mls_ack *a, uint64_t rec) {
    for (uint32_t i = 0; i < a->ndup; i++) {
        uint64_t d;
        memcpy(&d, a->dup + i, sizeof d); /* unaligned in the message */
        if (d == rec) return true;
    }
    return false;
}

/* DUP: the records the model has are done; the rest is scored again and resent. */
static void on_dup(struct sim *s, struct pipe *p, uint32_t me, struct mls_worker *mw,
                   struct mls_out *o, const struct mls_ack *a) {
    struct mls_partial *pt = &o->pt;
    uint32_t k = 0;
    for (uint32_t i = 0; i < pt->n; i++) {
        if (listed(a, pt->rec[i])) {
            if (holds_acks(p)) mark(s, p, me, pt->part, pt->off[i], pt->rec[i], false);
            continue;
        }
        pt->rec[k] = pt->rec[i];
        pt->off[k++] = pt->off[i];
    }
    pt->n = k;
    struct mls_job j = {.epoch = mw->epoch, .b = pt->b, .model = o->model};
    compute(p, &j, pt); /* the frozen model's score is dropped: the batch's total moves on */
    sim_timer_cancel(s, o->timer);
    o->attempt = 0;
    send_out(s, p, me, mw, o);
}

static void on_ack(struct sim *s, struct pipe *p, uint32_t me, const struct sim_msg *m) {
    struct mls_worker *mw = &p->ml->w[windex(p, me)];
    struct mls_ack a;
    if (!mls_get_ack(m, &a) || a.epoch != mw->epoch || a.inc != sim_node_incarnation(s, me)) return;
    struct mls_out *o = out_find(mw, a.part, a.b);
    if (!o) return;
    if (a.status == MLS_ACK_DUP) {
        on_dup(s, p, me, mw, o, &a);
        return;
    }
    for (uint32_t i = 0; holds_acks(p) && i < o->pt.n; i++)
        mark(s, p, me, o->pt.part, o->pt.off[i], o->pt.rec[i], false);
    out_remove(s, mw, o);
}

bool mls_worker_msg(struct sim *s, struct pipe *p, uint32_t me, const struct sim_msg *m) {
    if (m->kind == PIPE_MSG_ML_JOB)
        on_job(s, p, me, m);
    else if (m->kind == PIPE_MSG_ML_STATS_ACK)
        on_ack(s, p, me, m);
    else
        return false;
    return true;
}

bool mls_worker_timer(struct sim *s, struct pipe *p, uint32_t me, uint64_t tag) {
    if (TAG_TYPE(tag) != T_ML_STATS) return false;
    if (tag == COMMIT_TAG) {
        commit_ready(s, p, me);
        return true;
    }
    struct mls_worker *mw = &p->ml->w[windex(p, me)];
    struct mls_out *o = out_find(mw, TAG_P(tag), TAG_OFF(tag));
    if (!o) return true;
    p->retries++;
    o->attempt++;
    send_out(s, p, me, mw, o);
    return true;
}

/* ---- exactly-once-checkpoint ---- */

static int buf_copy(const struct mls_buf *from, struct mls_buf *to) {
    *to = (struct mls_buf){0};
    if (!from->n) return 0;
    to->r = malloc(from->n * sizeof *to->r);
    if (!to->r) return FT_ENOMEM;
    memcpy(to->r, from->r, from->n * sizeof *to->r);
    to->n = to->cap = from->n;
    return 0;
}

static int out_copy(const struct mls_out *from, size_t n, size_t nst, struct mls_out **to) {
    *to = calloc(n ? n : 1, sizeof **to);
    if (!*to) return FT_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        (*to)[i] = from[i];
        (*to)[i].timer = 0;
        if (mls_partial_copy(&from[i].pt, &(*to)[i].pt, nst)) return FT_ENOMEM;
    }
    return 0;
}

int mls_ckpt_snapshot(struct pipe *p, uint32_t w, uint64_t k) {
    struct mls *ml = p->ml;
    struct mls_snap *sn = mls_snap_find(ml, k);
    if (!sn) {
        if (ft_grow((void **)&ml->snaps, &ml->cap_snaps, ml->nsnaps + 1, sizeof *ml->snaps, 8))
            return FT_ENOMEM;
        sn = &ml->snaps[ml->nsnaps++];
        memset(sn, 0, sizeof *sn);
        sn->k = k;
    }
    const struct mls_worker *mw = &ml->w[w];
    struct mls_wsnap *ws = &sn->w[w];
    ws->closed_b = mw->closed_b;
    ws->buf = calloc(p->cfg.partitions, sizeof *ws->buf);
    if (!ws->buf) return FT_ENOMEM;
    sn->taken[w] = true;
    for (uint32_t part = 0; part < p->cfg.partitions; part++)
        if (buf_copy(&mw->buf[part], &ws->buf[part])) return FT_ENOMEM;
    ws->nout = mw->nout;
    return out_copy(mw->out, mw->nout, ml->nst, &ws->out);
}

int mls_ckpt_restore(struct sim *s, struct pipe *p, uint32_t w, uint64_t k, uint64_t epoch) {
    struct mls *ml = p->ml;
    struct mls_worker *mw = &ml->w[w];
    const struct mls_snap *sn = mls_snap_find(ml, k);
    const struct mls_wsnap *ws = sn && sn->taken[w] ? &sn->w[w] : NULL;
    worker_reset(s, p, mw);
    mw->epoch = epoch;
    if (!ws) return 0; /* checkpoint 0: the empty initial state */
    mw->closed_b = ws->closed_b;
    for (uint32_t part = 0; part < p->cfg.partitions; part++) {
        const struct mls_buf *b = &ws->buf[part];
        if (ft_grow((void **)&mw->buf[part].r, &mw->buf[part].cap, b->n, sizeof *b->r, 256))
            return FT_ENOMEM;
        if (b->n) memcpy(mw->buf[part].r, b->r, b->n * sizeof *b->r);
        mw->buf[part].n = b->n;
    }
    if (ft_grow((void **)&mw->out, &mw->cap_out, ws->nout, sizeof *mw->out, 16)) return FT_ENOMEM;
    for (size_t i = 0; i < ws->nout; i++) {
        mw->out[i] = ws->out[i];
        mw->out[i].attempt = 0;
        if (mls_partial_copy(&ws->out[i].pt, &mw->out[i].pt, ml->nst)) return FT_ENOMEM;
        mw->out[i].pt.inc = sim_node_incarnation(s, p->worker[w]);
        mw->nout = i + 1;
        send_out(s, p, p->worker[w], mw, &mw->out[i]);
    }
    return 0;
}
