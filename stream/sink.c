/* The warehouse sink: makes output rows visible (its per-key count table) and reports
 * each one to the observer. All its state is durable. Idempotent mode drops a row
 * whose (partition, input offset) it has applied before and fences older producer
 * epochs. Transactional mode keeps a partition's open transaction invisible until a
 * COMMIT whose rows are all present; the commit also stores the input offset, so
 * output and input position move in one atomic step, and a repeated commit is
 * acknowledged without effect. Epochs (generation << 32 | incarnation + 1 of the
 * producing worker) fence per partition: with rebalance on, a partition's new owner
 * has a higher epoch than every earlier owner, so a zombie's outputs, commits and
 * inits are answered FENCED (and traced) and have no effect. Every row it makes
 * visible also goes through sinks_row (stream/lake.c): the warehouse's validation (a
 * rejected row is visible in its rejects, not in the counts) and the lake's rows. */
#include <stdlib.h>

#include "checkpoint.h"
#include "sink.h"
#include "sinks.h"

struct sink_part {
    struct dlv_dedup dedup; /* idempotent: input offsets applied; .epoch fences */
    uint64_t committed;     /* txn: input offset committed with the output */
    uint64_t last_epoch;    /* txn: the last committed transaction, ordered by */
    uint64_t last_txn;      /* (epoch, txn) */
    uint64_t open_txn, open_first;
    struct wire *rows;      /* txn: the open transaction's rows, by offset - open_first */
    uint8_t *present;
};

struct sink_dur {
    uint64_t *count; /* visible rows per key: the aggregated table */
    struct sink_part *parts;
};

size_t pipe_sink_durable_bytes(void) {
    return sizeof(struct sink_dur);
}

int pipe_sink_init(struct sim *s, struct pipe *p) {
    struct sink_dur *d = sim_node_durable(s, p->sink);
    d->count = calloc(p->cfg.source.keys, sizeof *d->count);
    d->parts = calloc(p->cfg.partitions, sizeof *d->parts);
    if (!d->count || !d->parts) return FT_ENOMEM;
    if (!dlv_transactional(p->proto)) return 0;
    for (uint32_t i = 0; i < p->cfg.partitions; i++) {
        d->parts[i].rows = calloc(p->cfg.delivery.batch, sizeof *d->parts[i].rows);
        d->parts[i].present = calloc(p->cfg.delivery.batch, 1);
        if (!d->parts[i].rows || !d->parts[i].present) return FT_ENOMEM;
    }
    return 0;
}

void pipe_sink_free(struct sim *s, struct pipe *p) {
    struct sink_dur *d = sim_node_durable(s, p->sink);
    if (d->parts)
        for (uint32_t i = 0; i < p->cfg.partitions; i++) {
            dlv_dedup_free(&d->parts[i].dedup);
            free(d->parts[i].rows);
            free(d->parts[i].present);
        }
    free(d->parts);
    free(d->count);
}

const uint64_t *pipe_sink_counts(struct sim *s, const struct pipe *p) {
    return ((struct sink_dur *)sim_node_durable(s, p->sink))->count;
}

static void apply(struct sim *s, struct pipe *p, const struct wire *w, uint32_t worker) {
    struct sink_dur *d = sim_node_durable(s, p->sink);
    bool accepted = sinks_row(p->sinks, w, worker, sim_now(s)); /* validated, kept */
    if (p->sinks->rc) sim_fail(s, p->sinks->rc, "sink: out of memory keeping rows");
    if (accepted && w->key < p->cfg.source.keys) d->count[w->key]++;
    sim_trace_user(s, p->sink, PIPE_TR_VISIBLE, w->rec, w->partition);
    if (!p->obs.visible) return;
    struct pipe_row row = {w->rec, (uint32_t)w->key, (uint32_t)w->partition, (int64_t)w->value,
                           w->event_ns, w->created_ns, worker};
    p->obs.visible(p->obs.ctx, &row, sim_now(s));
}

static void reply(struct sim *s, struct pipe *p, uint32_t to, uint32_t kind, const struct wire *w,
                  uint64_t status) {
    struct wire r = *w;
    r.status = status;
    wire_send(s, p->sink, to, kind, &r);
}

/* An epoch older than the partition's newest: with rebalance on it is traced and, when
 * `kind` is nonzero, answered FENCED so the stale owner gives the partition up. */
static void fence(struct sim *s, struct pipe *p, const struct wire *w, uint32_t from,
                  uint32_t kind) {
    if (!p->cfg.group.rebalance) return;
    sim_trace_user(s, p->sink, PIPE_TR_FENCED, w->partition, w->epoch);
    if (kind) reply(s, p, from, kind, w, WIRE_FENCED);
}

static void on_output(struct sim *s, struct pipe *p, struct sink_part *sp, const struct wire *w,
                      uint32_t from) {
    if (dlv_idempotent(p->proto)) {
        if (w->epoch < sp->dedup.epoch) { /* a fenced zombie: no effect */
            fence(s, p, w, from, PIPE_MSG_OUTPUT_ACK);
            return;
        }
        sp->dedup.epoch = w->epoch;
        int rc = dlv_dedup_insert(&sp->dedup, w->offset);
        if (rc < 0) {
            sim_fail(s, rc, "sink dedup table: %s", ft_strerror(rc));
            return;
        }
        if (rc == 1) apply(s, p, w, from);
        else PIPE_MOMENT(p, DUP_SUPPRESSED);
    } else {
        apply(s, p, w, from);
    }
    if (dlv_retries(p->proto)) reply(s, p, from, PIPE_MSG_OUTPUT_ACK, w, WIRE_OK);
}

static void txn_abort_open(struct pipe *p, struct sink_part *sp) {
    sp->open_txn = 0;
    memset(sp->present, 0, p->cfg.delivery.batch);
}

static bool committed_before(const struct sink_part *sp, const struct wire *w) {
    return w->epoch < sp->last_epoch || (w->epoch == sp->last_epoch && w->txn <= sp->last_txn);
}

static void on_txn_output(struct pipe *p, struct sink_part *sp, const struct wire *w) {
    if (w->epoch < sp->dedup.epoch || committed_before(sp, w)) return;
    if (w->epoch > sp->dedup.epoch) {
        sp->dedup.epoch = w->epoch;
        if (sp->open_txn) PIPE_MOMENT(p, TXN_ABORTED);
        txn_abort_open(p, sp);
    }
    if (w->txn != sp->open_txn) {
        if (sp->open_txn) PIPE_MOMENT(p, TXN_ABORTED);
        txn_abort_open(p, sp);
        sp->open_txn = w->txn;
        sp->open_first = w->first;
    }
    if (w->offset < sp->open_first || w->offset - sp->open_first >= p->cfg.delivery.batch) return;
    sp->rows[w->offset - sp->open_first] = *w;
    sp->present[w->offset - sp->open_first] = 1;
}

static void on_commit(struct sim *s, struct pipe *p, struct sink_part *sp, const struct wire *w,
                      uint32_t from) {
    if (w->epoch < sp->dedup.epoch) {
        fence(s, p, w, from, 0);
        reply(s, p, from, PIPE_MSG_COMMIT_ACK, w, WIRE_FENCED);
        return;
    }
    if (committed_before(sp, w)) { /* already committed: a retried commit */
        reply(s, p, from, PIPE_MSG_COMMIT_ACK, w, WIRE_OK);
        return;
    }
    bool complete = w->txn == sp->open_txn && w->first == sp->committed &&
                    w->first == sp->open_first && w->end > w->first &&
                    w->end - w->first <= p->cfg.delivery.batch;
    for (uint64_t i = 0; complete && i < w->end - w->first; i++) complete = sp->present[i];
    if (!complete) {
        PIPE_MOMENT(p, COMMIT_INCOMPLETE);
        reply(s, p, from, PIPE_MSG_COMMIT_ACK, w, WIRE_INCOMPLETE);
        return;
    }
    for (uint64_t i = 0; i < w->end - w->first; i++) apply(s, p, &sp->rows[i], from);
    sp->committed = w->end;
    sp->last_epoch = w->epoch;
    sp->last_txn = w->txn;
    txn_abort_open(p, sp);
    reply(s, p, from, PIPE_MSG_COMMIT_ACK, w, WIRE_OK);
}

static void on_init(struct sim *s, struct pipe *p, struct sink_part *sp, const struct wire *w,
                    uint32_t from) {
    if (w->epoch > sp->dedup.epoch) {
        sp->dedup.epoch = w->epoch;
        if (sp->open_txn) PIPE_MOMENT(p, TXN_ABORTED);
        txn_abort_open(p, sp); /* the old epoch's open transaction is aborted */
    }
    if (w->epoch < sp->dedup.epoch) fence(s, p, w, from, 0);
    struct wire r = *w;
    r.offset = sp->committed;
    r.status = w->epoch < sp->dedup.epoch ? WIRE_FENCED : WIRE_OK;
    wire_send(s, p->sink, from, PIPE_MSG_INIT_ACK, &r);
}

static void sink_msg(struct sim *s, uint32_t me, const struct sim_msg *m, void *ctx) {
    struct pipe *p = ctx;
    if (p->ck) { /* exactly-once-checkpoint: the two-phase commit in checkpoint.c */
        ckpt_sink_msg(s, p, m);
        return;
    }
    struct sink_dur *d = sim_node_durable(s, me);
    struct wire w = wire_get(m);
    if (w.partition >= p->cfg.partitions) return;
    struct sink_part *sp = &d->parts[w.partition];
    bool txn = dlv_transactional(p->proto);
    switch (m->kind) {
    case PIPE_MSG_OUTPUT:
        if (txn) on_txn_output(p, sp, &w);
        else on_output(s, p, sp, &w, m->src);
        break;
    case PIPE_MSG_COMMIT:
        if (txn) on_commit(s, p, sp, &w, m->src);
        break;
    case PIPE_MSG_INIT:
        if (txn) on_init(s, p, sp, &w, m->src);
        break;
    default: break;
    }
}

void pipe_sink_apply(struct sim *s, struct pipe *p, const struct wire *w, uint32_t worker) {
    apply(s, p, w, worker);
}

/* Test-only: the planted bug of pipeline.h's test_plant (nothing happens without it). */
static void sink_recover(struct sim *s, uint32_t me, void *ctx) {
    struct pipe *p = ctx;
    struct sink_dur *d = sim_node_durable(s, me);
    for (uint32_t i = 0; (p->cfg.test_plant & PIPE_PLANT_SINK_FORGETS_DEDUP) && i < p->cfg.partitions; i++)
        bitset_clear(&d->parts[i].dedup.seen);
}

const struct sim_node_ops pipe_sink_ops = {.on_message = sink_msg, .on_recover = sink_recover};
