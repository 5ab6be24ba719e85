/* The source node: replays the generator in simulated time, one PRODUCE per record to
 * the broker. With a retrying protocol it keeps every record in a durable outbox and
 * resends it with back-off until the broker acknowledges it; after a restart it
 * resends every unacknowledged record. The outbox is a ring of the records from the
 * lowest unacknowledged one on: an acknowledged prefix needs nothing kept. */
#include <stdlib.h>

#include "ml_feat.h"
#include "source_node.h"

struct out_slot {
    struct src_record r;
    uint8_t acked, attempts;
};

struct src_dur {
    struct src_gen gen;
    bool have_next;
    struct src_record next;
    uint64_t emitted;         /* records sent at least once */
    struct out_slot *outbox;  /* retrying protocols: ids [low_unacked, emitted), id at
                                 outbox[id & (cap - 1)] */
    uint64_t cap;             /* 0 or a power of two */
    uint64_t low_unacked;     /* every id below is acknowledged */
};

size_t pipe_source_durable_bytes(void) {
    return sizeof(struct src_dur);
}

int pipe_source_init(struct sim *s, struct pipe *p) {
    struct src_dur *d = sim_node_durable(s, p->source);
    if (src_gen_init(&d->gen, &p->cfg.source, p->cfg.duration_ns, p->seed) != 0) return FT_ENOMEM;
    d->have_next = src_gen_next(&d->gen, &d->next);
    if (d->have_next && p->feat) mls_feat_note(s, p, &d->gen, &d->next);
    return 0;
}

void pipe_source_free(struct sim *s, struct pipe *p) {
    struct src_dur *d = sim_node_durable(s, p->source);
    src_gen_free(&d->gen);
    free(d->outbox);
}

/* The outbox slot of an emitted, unacknowledged id. */
static struct out_slot *slot_of(struct src_dur *d, uint64_t id) {
    FT_ASSERT(id >= d->low_unacked && id < d->emitted);
    return &d->outbox[id & (d->cap - 1)];
}

/* Record r (the next id) into the outbox; the ring doubles when it is full. */
static int outbox_put(struct sim *s, struct src_dur *d, const struct src_record *r) {
    FT_ASSERT(r->id == d->emitted);
    if (r->id - d->low_unacked == d->cap) {
        uint64_t cap = d->cap ? d->cap * 2 : 1024;
        struct out_slot *o = malloc(cap * sizeof *o);
        if (!o) return sim_fail(s, FT_ENOMEM, "out of memory in the source outbox");
        for (uint64_t id = d->low_unacked; id < d->emitted; id++)
            o[id & (cap - 1)] = *slot_of(d, id);
        free(d->outbox);
        d->outbox = o;
        d->cap = cap;
    }
    d->outbox[r->id & (d->cap - 1)] = (struct out_slot){.r = *r};
    return 0;
}

/* Whether id is still waiting for the broker's acknowledgement. */
static bool unacked(const struct src_dur *d, uint64_t id) {
    return id >= d->low_unacked && id < d->emitted && !d->outbox[id & (d->cap - 1)].acked;
}

void pipe_source_pending(struct sim *s, const struct pipe *p, pipe_rec_fn *fn, void *ctx) {
    const struct src_dur *d = sim_node_durable(s, p->source);
    for (uint64_t id = d->low_unacked; d->outbox && id < d->emitted; id++)
        if (unacked(d, id)) fn(ctx, id);
}

static void send_produce(struct sim *s, struct pipe *p, const struct src_record *r) {
    struct wire w = {.rec = r->id, .key = r->key, .event_ns = r->event_ns,
                     .created_ns = r->arrival_ns, .value = (uint64_t)r->value};
    pipe_send_record(s, p, p->source, p->broker, PIPE_MSG_PRODUCE, &w);
}

static void arm_retry(struct sim *s, struct pipe *p, struct src_dur *d, uint64_t id) {
    sim_timer_set(s, p->source, dlv_backoff_ns(&p->backoff, slot_of(d, id)->attempts),
                  TAG(T_SRC_RETRY, 0, id));
}

static void arm_next(struct sim *s, struct pipe *p, struct src_dur *d) {
    if (!d->have_next) return;
    uint64_t now = sim_now(s);
    sim_timer_set(s, p->source, d->next.arrival_ns > now ? d->next.arrival_ns - now : 0,
                  TAG(T_SRC_NEXT, 0, 0));
}

static void emit_due(struct sim *s, struct pipe *p, struct src_dur *d) {
    bool retry = dlv_retries(p->proto);
    while (d->have_next && d->next.arrival_ns <= sim_now(s)) {
        if (retry && outbox_put(s, d, &d->next) != 0) return;
        d->emitted = d->next.id + 1;
        if (retry) arm_retry(s, p, d, d->next.id);
        send_produce(s, p, &d->next);
        d->have_next = src_gen_next(&d->gen, &d->next);
        if (d->have_next && p->feat) mls_feat_note(s, p, &d->gen, &d->next);
    }
    arm_next(s, p, d);
}

static void source_start(struct sim *s, uint32_t me, void *ctx) {
    struct pipe *p = ctx;
    arm_next(s, p, sim_node_durable(s, me));
}

static void source_recover(struct sim *s, uint32_t me, void *ctx) {
    struct pipe *p = ctx;
    struct src_dur *d = sim_node_durable(s, me);
    if (dlv_retries(p->proto))
        for (uint64_t id = d->low_unacked; id < d->emitted; id++)
            if (unacked(d, id)) {
                send_produce(s, p, &slot_of(d, id)->r);
                arm_retry(s, p, d, id);
            }
    arm_next(s, p, d);
}

static void source_timer(struct sim *s, uint32_t me, uint64_t tag, void *ctx) {
    struct pipe *p = ctx;
    struct src_dur *d = sim_node_durable(s, me);
    if (TAG_TYPE(tag) == T_SRC_NEXT) {
        emit_due(s, p, d);
        return;
    }
    uint64_t id = TAG_OFF(tag);
    if (!unacked(d, id)) return;
    struct out_slot *o = slot_of(d, id);
    if (o->attempts < UINT8_MAX) o->attempts++;
    p->retries++;
    send_produce(s, p, &o->r);
    arm_retry(s, p, d, id);
}

static void source_msg(struct sim *s, uint32_t me, const struct sim_msg *m, void *ctx) {
    (void)ctx;
    struct src_dur *d = sim_node_durable(s, me);
    if (m->kind != PIPE_MSG_PRODUCE_ACK) return;
    struct wire w = wire_get(m);
    if (!d->outbox || !unacked(d, w.rec)) return;
    slot_of(d, w.rec)->acked = 1;
    while (d->low_unacked < d->emitted && slot_of(d, d->low_unacked)->acked) d->low_unacked++;
}

const struct sim_node_ops pipe_source_ops = {.on_start = source_start,
                                             .on_recover = source_recover,
                                             .on_timer = source_timer,
                                             .on_message = source_msg};
