/* The kernel example (see example.h). Client: one request every 10 ms to replica
 * (i mod 3), a retry after 50 ms without an ack, up to 8 tries. Replica: applies a
 * request once (durable dedup bitmap), counts requests in volatile state, acks every
 * copy. Network: 5 ms + up to 2 ms jitter, 10% loss, 2% duplication.
 * replica-2 crashes at 300 ms and restarts at 600 ms. */
#include "example.h"

#include <string.h>

#define EX_REQUESTS 60u
#define EX_PERIOD_NS (10 * SIM_NS_PER_MS)
#define EX_TIMEOUT_NS (50 * SIM_NS_PER_MS)
#define EX_TRIES_MAX 8u

enum { MSG_REQ = 1, MSG_ACK = 2 };
enum { TIMER_NEXT = 0, TIMER_RETRY_BASE = 1 };

struct client_vol {
    uint32_t next;
    uint32_t tries[EX_REQUESTS];
    sim_timer_t retry[EX_REQUESTS];
    bool acked[EX_REQUESTS];
};
struct client_dur {
    uint64_t requests, acked, retries;
};
struct replica_vol {
    uint64_t seen;
};
struct replica_dur {
    uint64_t applied;
    uint8_t done[EX_REQUESTS];
};

struct example {
    uint32_t client, replica[3];
    FILE *log;
    struct sim *s;
};

static void send_req(struct sim *s, uint32_t me, struct example *ex, uint32_t i) {
    struct client_vol *v = sim_node_volatile(s, me);
    uint8_t buf[4] = {(uint8_t)i, (uint8_t)(i >> 8), (uint8_t)(i >> 16), (uint8_t)(i >> 24)};
    sim_send(s, me, ex->replica[i % 3], MSG_REQ, buf, sizeof buf);
    v->tries[i]++;
    v->retry[i] = sim_timer_set(s, me, EX_TIMEOUT_NS, TIMER_RETRY_BASE + i);
}

static uint32_t get_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void client_start(struct sim *s, uint32_t me, void *ctx) {
    (void)ctx;
    sim_timer_set(s, me, 0, TIMER_NEXT);
}

static void client_timer(struct sim *s, uint32_t me, uint64_t tag, void *ctx) {
    struct example *ex = ctx;
    struct client_vol *v = sim_node_volatile(s, me);
    struct client_dur *d = sim_node_durable(s, me);
    if (tag == TIMER_NEXT) {
        uint32_t i = v->next++;
        d->requests++;
        send_req(s, me, ex, i);
        if (v->next < EX_REQUESTS) sim_timer_set(s, me, EX_PERIOD_NS, TIMER_NEXT);
        return;
    }
    uint32_t i = (uint32_t)(tag - TIMER_RETRY_BASE);
    if (v->acked[i] || v->tries[i] >= EX_TRIES_MAX) return;
    d->retries++;
    send_req(s, me, ex, i);
}

static void client_msg(struct sim *s, uint32_t me, const struct sim_msg *m, void *ctx) {
    (void)ctx;
    struct client_vol *v = sim_node_volatile(s, me);
    struct client_dur *d = sim_node_durable(s, me);
    uint32_t i = get_u32(m->data);
    if (m->kind != MSG_ACK || i >= EX_REQUESTS || v->acked[i]) return;
    v->acked[i] = true;
    sim_timer_cancel(s, v->retry[i]);
    d->acked++;
}

static void replica_msg(struct sim *s, uint32_t me, const struct sim_msg *m, void *ctx) {
    (void)ctx;
    struct replica_vol *v = sim_node_volatile(s, me);
    struct replica_dur *d = sim_node_durable(s, me);
    uint32_t i = get_u32(m->data);
    if (m->kind != MSG_REQ || i >= EX_REQUESTS) return;
    v->seen++;
    if (!d->done[i]) {
        d->done[i] = 1;
        d->applied++;
    }
    sim_send(s, me, m->src, MSG_ACK, m->data, 4);
}

static void log_event(const struct sim_trace_rec *r, void *ctx) {
    struct example *ex = ctx;
    struct sim *s = ex->s;
    fprintf(ex->log, "%10.3f ms  %-8s %-10s", (double)r->time_ns / 1e6,
            sim_trace_type_name(r->type), sim_node_name(s, r->node));
    switch (r->type) {
    case SIM_TR_SEND:
    case SIM_TR_DUP:
        fprintf(ex->log, " -> %-10s %s #%llu", sim_node_name(s, r->peer),
                r->kind == MSG_REQ ? "req" : "ack", (unsigned long long)r->id);
        break;
    case SIM_TR_DELIVER:
        fprintf(ex->log, " <- %-10s %s #%llu", sim_node_name(s, r->peer),
                r->kind == MSG_REQ ? "req" : "ack", (unsigned long long)r->id);
        break;
    case SIM_TR_DROP:
        fprintf(ex->log, " -> %-10s %s #%llu (%s)", sim_node_name(s, r->peer),
                r->kind == MSG_REQ ? "req" : "ack", (unsigned long long)r->id,
                sim_drop_reason_name(r->reason));
        break;
    case SIM_TR_TIMER: fprintf(ex->log, " tag %llu", (unsigned long long)r->id); break;
    default: break;
    }
    fputc('\n', ex->log);
}

int example_run(uint64_t seed, FILE *log, struct example_result *out, struct ft_error *err) {
    memset(out, 0, sizeof *out);
    struct sim *s = sim_new(&(struct sim_config){.seed = seed});
    if (!s) return ft_fail(err, FT_ENOMEM, "cannot create the simulator");
    struct example ex = {.log = log, .s = s};
    if (log) sim_set_trace_hook(s, log_event, &ex);
    struct net_link_cfg net = {.latency_ns = 5 * SIM_NS_PER_MS,
                               .jitter_ns = 2 * SIM_NS_PER_MS,
                               .loss_p = 0.10,
                               .dup_p = 0.02};
    static const struct sim_node_ops client_ops = {
        .on_start = client_start, .on_timer = client_timer, .on_message = client_msg};
    static const struct sim_node_ops replica_ops = {.on_message = replica_msg};
    int rc = net_set_default(s, &net);
    if (rc == 0) rc = sim_node_add(s, "client", &client_ops, &ex, sizeof(struct client_vol),
                                   sizeof(struct client_dur));
    const char *names[3] = {"replica-0", "replica-1", "replica-2"};
    for (int i = 0; i < 3 && rc >= 0; i++) {
        rc = sim_node_add(s, names[i], &replica_ops, &ex, sizeof(struct replica_vol),
                          sizeof(struct replica_dur));
        ex.replica[i] = (uint32_t)rc;
    }
    if (rc >= 0) rc = sim_crash_at(s, ex.replica[2], 300 * SIM_NS_PER_MS);
    if (rc >= 0) rc = sim_restart_at(s, ex.replica[2], 600 * SIM_NS_PER_MS);
    if (rc >= 0) rc = sim_run_until(s, 2 * SIM_NS_PER_S);
    if (rc < 0) {
        ft_fail(err, rc, "%s", sim_error(s)->msg);
        sim_free(s);
        return rc;
    }
    const struct client_dur *cd = sim_node_durable(s, ex.client);
    out->requests = cd->requests;
    out->acked = cd->acked;
    out->retries = cd->retries;
    for (int i = 0; i < 3; i++) {
        out->replica_durable[i] = ((struct replica_dur *)sim_node_durable(s, ex.replica[i]))->applied;
        out->replica_volatile[i] = ((struct replica_vol *)sim_node_volatile(s, ex.replica[i]))->seen;
    }
    net_stats(s, &out->net);
    out->events = sim_events_run(s);
    out->end_ns = sim_now(s);
    sim_trace_hash_hex(s, out->trace_hash);
    sim_free(s);
    return 0;
}
