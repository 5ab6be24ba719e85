/* The broker: a partitioned append-only log with committed consumer offsets, all in
 * durable state; it pushes each partition's records to the partition's owner, at most
 * `window` past the committed offset. at-most-once commits a record when it is sent;
 * the retrying protocols commit the acknowledged prefix and resend a record after a
 * back-off timeout. An idempotent broker drops re-produced records by the source's
 * sequence number (the source record id). It also coordinates the consumer group
 * (group.c): with rebalance on, owners change, a moved partition restarts from its
 * committed offset, and acks from a stale generation are fenced. */
#include <stdlib.h>

#include "broker.h"
#include "checkpoint.h"
#include "group.h"
#include "ml_feat.h"

/* A partition's log (plog.h) and its consumer's committed offset. Retention drops the
 * offsets below what the consumer committed and (exactly-once-checkpoint) below the
 * position of the checkpoint a rollback would restore, as Kafka deletes the segments
 * nobody needs: a log holds about what is in flight or not yet consumed. */
struct part_log {
    struct plog log;
    uint64_t committed; /* every offset below is done */
};

struct brk_dur {
    struct part_log *parts;
    struct dlv_dedup dedup; /* producer = the source */
    struct grp_dur grp;     /* owners and generations */
};

struct win_slot {
    sim_timer_t timer;
    uint32_t attempt;
    uint8_t acked;
};

struct brk_vol {
    uint64_t *next_send;    /* per partition */
    struct win_slot *slots; /* partitions x window */
    struct grp_vol grp;     /* when each worker was last heard from */
};

size_t pipe_broker_volatile_bytes(void) {
    return sizeof(struct brk_vol);
}

size_t pipe_broker_durable_bytes(void) {
    return sizeof(struct brk_dur);
}

int pipe_broker_init(struct sim *s, struct pipe *p) {
    struct brk_dur *d = sim_node_durable(s, p->broker);
    d->parts = calloc(p->cfg.partitions, sizeof *d->parts);
    return d->parts ? pipe_group_init(p, &d->grp) : FT_ENOMEM;
}

void pipe_broker_free(struct sim *s, struct pipe *p) {
    struct brk_dur *d = sim_node_durable(s, p->broker);
    if (d->parts)
        for (uint32_t i = 0; i < p->cfg.partitions; i++) plog_free(&d->parts[i].log);
    free(d->parts);
    dlv_dedup_free(&d->dedup);
    pipe_group_free(&d->grp);
}

static struct win_slot *slot_of(struct pipe *p, struct brk_vol *v, uint32_t part, uint64_t off) {
    return &v->slots[(size_t)part * p->cfg.delivery.window + off % p->cfg.delivery.window];
}

/* Retention: the offsets below the committed one, and (checkpoints) below the offset a
 * rollback would rewind to, are never read again. Checked whenever the committed offset
 * may have moved; cheap unless a whole segment can go. */
static void retain(const struct pipe *p, struct part_log *pl, uint32_t part) {
    uint64_t keep = pl->committed;
    if ((keep >> PLOG_SEG_BITS) <= (pl->log.base >> PLOG_SEG_BITS)) return;
    if (p->ck) {
        uint64_t k = ckpt_retain_from(p, part);
        if (k < keep) keep = k;
    }
    plog_truncate(&pl->log, keep);
}

static void send_record(struct sim *s, struct pipe *p, struct brk_vol *v, uint32_t part,
                        uint64_t off, uint32_t attempt) {
    struct brk_dur *d = sim_node_durable(s, p->broker);
    const struct log_entry e = plog_at(&d->parts[part].log, off);
    struct wire w = {.rec = e.rec, .key = e.key, .event_ns = e.event_ns,
                     .created_ns = e.created_ns, .value = (uint64_t)e.value,
                     .partition = part, .offset = off, .end = off + 1,
                     .epoch = p->ck ? ckpt_epoch(p) : d->grp.gen[part]};
    pipe_send_record(s, p, p->broker, p->worker[d->grp.owner[part]], PIPE_MSG_RECORD, &w);
    if (!dlv_retries(p->proto)) return;
    struct win_slot *sl = slot_of(p, v, part, off);
    sl->attempt = attempt;
    sl->acked = 0;
    sl->timer = sim_timer_set(s, p->broker, dlv_backoff_ns(&p->backoff, attempt),
                              TAG(T_BRK_RETRY, part, off));
}

static void try_send(struct sim *s, struct pipe *p, uint32_t part) {
    struct brk_dur *d = sim_node_durable(s, p->broker);
    struct brk_vol *v = sim_node_volatile(s, p->broker);
    struct part_log *pl = &d->parts[part];
    bool retry = dlv_retries(p->proto);
    if (d->grp.owner[part] == PIPE_NO_OWNER) return; /* no live worker: the log waits */
    while (v->next_send[part] < pl->log.len &&
           v->next_send[part] < pl->committed + p->cfg.delivery.window) {
        uint64_t off = v->next_send[part]++;
        if (!retry) pl->committed = off + 1; /* at-most-once: committed when sent */
        send_record(s, p, v, part, off, 0);
    }
    retain(p, pl, part);
}

static int alloc_volatile(struct sim *s, struct pipe *p) {
    struct brk_vol *v = sim_node_volatile(s, p->broker);
    uint32_t n = p->cfg.partitions;
    v->next_send = sim_valloc(s, p->broker, n * sizeof *v->next_send);
    v->slots = sim_valloc(s, p->broker, (size_t)n * p->cfg.delivery.window * sizeof *v->slots);
    return v->next_send && v->slots ? 0 : FT_ENOMEM;
}

static void broker_start(struct sim *s, uint32_t me, void *ctx) {
    struct pipe *p = ctx;
    struct brk_dur *d = sim_node_durable(s, me);
    if (alloc_volatile(s, p) != 0) return;
    struct brk_vol *v = sim_node_volatile(s, me);
    if (p->cfg.group.rebalance && pipe_group_start(s, p, &d->grp, &v->grp) != 0) return;
    for (uint32_t i = 0; i < p->cfg.partitions; i++) {
        v->next_send[i] = d->parts[i].committed; /* resume from the committed offsets */
        try_send(s, p, i);
    }
    if (p->ck) ckpt_coord_start(s, p);
}

static void on_produce(struct sim *s, struct pipe *p, const struct wire *w) {
    struct brk_dur *d = sim_node_durable(s, p->broker);
    bool fresh = true;
    if (dlv_idempotent(p->proto)) {
        int rc = dlv_dedup_insert(&d->dedup, w->rec);
        if (rc < 0) {
            sim_fail(s, rc, "broker dedup table: %s", ft_strerror(rc));
            return;
        }
        fresh = rc == 1;
        if (!fresh) PIPE_MOMENT(p, DUP_PRODUCE);
    }
    if (fresh) {
        uint32_t part = pipe_partition_of((uint32_t)w->key, p->cfg.partitions);
        struct part_log *pl = &d->parts[part];
        struct log_entry e = {w->rec, w->event_ns, w->created_ns, (int64_t)w->value,
                              (uint32_t)w->key, 0};
        if (plog_append(&pl->log, &e)) {
            sim_fail(s, FT_ENOMEM, "out of memory in the broker log");
            return;
        }
        try_send(s, p, part);
    }
    if (dlv_retries(p->proto)) {
        struct wire ack = {.rec = w->rec};
        wire_send(s, p->broker, p->source, PIPE_MSG_PRODUCE_ACK, &ack);
    }
}

static void on_ack(struct sim *s, struct pipe *p, const struct wire *w) {
    struct brk_dur *d = sim_node_durable(s, p->broker);
    struct brk_vol *v = sim_node_volatile(s, p->broker);
    if (!dlv_retries(p->proto) || w->partition >= p->cfg.partitions) return;
    uint32_t part = (uint32_t)w->partition;
    struct part_log *pl = &d->parts[part];
    if (w->epoch != (p->ck ? ckpt_epoch(p) : d->grp.gen[part])) { /* an earlier generation
                                                                     or job epoch */
        sim_trace_user(s, p->broker, PIPE_TR_FENCED, part, w->epoch);
        return;
    }
    uint64_t lo = w->offset > pl->committed ? w->offset : pl->committed;
    uint64_t hi = w->end < v->next_send[part] ? w->end : v->next_send[part];
    for (uint64_t off = lo; off < hi; off++) {
        struct win_slot *sl = slot_of(p, v, part, off);
        sl->acked = 1;
        sim_timer_cancel(s, sl->timer);
    }
    while (pl->committed < v->next_send[part] && slot_of(p, v, part, pl->committed)->acked)
        slot_of(p, v, part, pl->committed++)->acked = 0;
    try_send(s, p, part);
}

void pipe_broker_moved(struct sim *s, struct pipe *p, uint32_t part) {
    struct brk_dur *d = sim_node_durable(s, p->broker);
    pipe_broker_rewind(s, p, part, d->parts[part].committed);
}

void pipe_broker_rewind(struct sim *s, struct pipe *p, uint32_t part, uint64_t offset) {
    struct brk_dur *d = sim_node_durable(s, p->broker);
    struct brk_vol *v = sim_node_volatile(s, p->broker);
    struct part_log *pl = &d->parts[part];
    if (dlv_retries(p->proto))
        for (uint64_t off = pl->committed; off < v->next_send[part]; off++) {
            struct win_slot *sl = slot_of(p, v, part, off);
            sim_timer_cancel(s, sl->timer);
            sl->acked = 0;
        }
    FT_ASSERT(offset <= pl->log.len && offset >= pl->log.base); /* retention kept it */
    pl->committed = offset;
    v->next_send[part] = offset; /* sending starts again from there */
    try_send(s, p, part);
}

void pipe_broker_pending(struct sim *s, const struct pipe *p, pipe_rec_fn *fn, void *ctx) {
    const struct brk_dur *d = sim_node_durable(s, p->broker);
    for (uint32_t i = 0; i < p->cfg.partitions; i++)
        for (uint64_t off = d->parts[i].committed; off < d->parts[i].log.len; off++)
            fn(ctx, plog_at(&d->parts[i].log, off).rec);
}

uint64_t pipe_broker_position(struct sim *s, struct pipe *p, uint32_t part) {
    struct brk_vol *v = sim_node_volatile(s, p->broker);
    return v->next_send[part];
}

static void broker_msg(struct sim *s, uint32_t me, const struct sim_msg *m, void *ctx) {
    struct pipe *p = ctx;
    struct wire w = wire_get(m);
    if (p->cfg.group.rebalance) {
        uint32_t wi = pipe_worker_index(p, m->src);
        if (wi != PIPE_NO_OWNER) {
            struct brk_dur *d = sim_node_durable(s, me);
            struct brk_vol *v = sim_node_volatile(s, me);
            if (m->kind == PIPE_MSG_HEARTBEAT) {
                pipe_group_heartbeat(s, p, &d->grp, &v->grp, wi, w.epoch);
                return;
            }
            pipe_group_seen(s, p, &v->grp, wi);
            if (m->kind == PIPE_MSG_ASSIGN_ACK) {
                if (w.partition < p->cfg.partitions)
                    pipe_group_assign_ack(s, &v->grp, wi, (uint32_t)w.partition, w.epoch);
                return;
            }
        }
    }
    if (m->kind == PIPE_MSG_PRODUCE) on_produce(s, p, &w);
    else if (m->kind == PIPE_MSG_ACK) on_ack(s, p, &w);
    else if (p->ck) ckpt_coord_msg(s, p, m); /* the checkpoint coordinator's messages */
}

static void broker_timer(struct sim *s, uint32_t me, uint64_t tag, void *ctx) {
    struct pipe *p = ctx;
    struct brk_dur *d = sim_node_durable(s, me);
    struct brk_vol *v = sim_node_volatile(s, me);
    if (TAG_TYPE(tag) == T_BRK_SESSION) {
        if (TAG_P(tag) < p->cfg.workers) pipe_group_timer(s, p, &d->grp, &v->grp, TAG_P(tag));
        return;
    }
    if (TAG_TYPE(tag) == T_BRK_ASSIGN) {
        if (TAG_P(tag) < p->cfg.partitions)
            pipe_group_assign_timer(s, p, &d->grp, &v->grp, TAG_P(tag));
        return;
    }
    if (TAG_TYPE(tag) >= T_CK_TRIGGER) {
        if (p->ck) ckpt_coord_timer(s, p, tag);
        return;
    }
    uint32_t part = TAG_P(tag);
    uint64_t off = TAG_OFF(tag);
    if (off < d->parts[part].committed || off >= v->next_send[part]) return;
    struct win_slot *sl = slot_of(p, v, part, off);
    if (sl->acked) return;
    p->retries++;
    send_record(s, p, v, part, off, sl->attempt + 1);
}

const struct sim_node_ops pipe_broker_ops = {.on_start = broker_start,
                                             .on_timer = broker_timer,
                                             .on_message = broker_msg};
