/* The source node: replays the generator in simulated time, one PRODUCE per record to
 * the broker. With a retrying protocol it keeps every record in a durable outbox and
 * resends it with back-off until the broker acknowledges it; after a restart it
 * resends every unacknowledged record. */
#include <stdlib.h>

#include "ml_stage.h"
#include "pipe_internal.h"

struct src_dur {
    struct src_gen gen;
    bool have_next;
    struct src_record next;
    uint64_t emitted;            /* records sent at least once */
    struct src_record *outbox;   /* retrying protocols: every emitted record */
    uint8_t *acked, *attempts;   /* per record */
    uint64_t cap;
    uint64_t low_unacked;
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
    free(d->acked);
    free(d->attempts);
}

static int outbox_put(struct sim *s, struct src_dur *d, const struct src_record *r) {
    if (r->id >= d->cap) {
        uint64_t cap = d->cap ? d->cap * 2 : 1024;
        struct src_record *o = realloc(d->outbox, cap * sizeof *o);
        if (o) d->outbox = o;
        uint8_t *a = realloc(d->acked, cap), *t = realloc(d->attempts, cap);
        if (a) d->acked = a;
        if (t) d->attempts = t;
        if (!o || !a || !t) return sim_fail(s, FT_ENOMEM, "out of memory in the source outbox");
        memset(d->acked + d->cap, 0, cap - d->cap);
        memset(d->attempts + d->cap, 0, cap - d->cap);
        d->cap = cap;
    }
    d->outbox[r->id] = *r;
    return 0;
}

static void send_produce(struct sim *s, struct pipe *p, const struct src_record *r) {
    struct wire w = {.rec = r->id, .key = r->key, .event_ns = r->event_ns,
                     .created_ns = r->arrival_ns, .value = (uint64_t)r->value};
    pipe_send_record(s, p, p->source, p->broker, PIPE_MSG_PRODUCE, &w);
}

static void arm_retry(struct sim *s, struct pipe *p, struct src_dur *d, uint64_t id) {
    sim_timer_set(s, p->source, dlv_backoff_ns(&p->backoff, d->attempts[id]),
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
        if (retry) {
            if (outbox_put(s, d, &d->next) != 0) return;
            arm_retry(s, p, d, d->next.id);
        }
        send_produce(s, p, &d->next);
        d->emitted = d->next.id + 1;
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
            if (!d->acked[id]) {
                send_produce(s, p, &d->outbox[id]);
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
    if (id >= d->emitted || d->acked[id]) return;
    if (d->attempts[id] < UINT8_MAX) d->attempts[id]++;
    p->retries++;
    send_produce(s, p, &d->outbox[id]);
    arm_retry(s, p, d, id);
}

static void source_msg(struct sim *s, uint32_t me, const struct sim_msg *m, void *ctx) {
    (void)ctx;
    struct src_dur *d = sim_node_durable(s, me);
    if (m->kind != PIPE_MSG_PRODUCE_ACK) return;
    struct wire w = wire_get(m);
    if (w.rec >= d->emitted || !d->acked) return;
    d->acked[w.rec] = 1;
    while (d->low_unacked < d->emitted && d->acked[d->low_unacked]) d->low_unacked++;
}

const struct sim_node_ops pipe_source_ops = {.on_start = source_start,
                                             .on_recover = source_recover,
                                             .on_timer = source_timer,
                                             .on_message = source_msg};
