/* exactly-once-checkpoint at a worker: each partition is processed strictly in offset
 * order; a barrier stops its partition until every owned partition reached the same
 * checkpoint's barrier (alignment); the worker then snapshots its window tasks and model
 * state and, once the sink acknowledged every output below the barriers, sends
 * SNAPSHOT_ACK. A restarted worker JOINs and waits for the RESTORE of the new epoch,
 * which reloads the snapshot of the restore point. */
#include <stdlib.h>
#include <string.h>

#include "checkpoint_internal.h"
#include "ml_stage.h"

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
    struct ck_meta *m = ck_meta_find(p->ck, k);
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
        struct ck_meta *m = ck_meta_find(p->ck, r->txn);
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
