/* The pipeline's core, below every node and stage of stream/ (docs/design.md, "Layers
 * inside stream/"): wire format, timer tags, struct pipe; no module's functions (each has
 * its own header; lower ones call up through struct pipe_up). On the network a message
 * is a 16-bit little-endian mask of its nonzero 64-bit fields, then those fields, 8
 * little-endian bytes each, in struct order: canonical (the trace hashes it; little-endian
 * hosts asserted at compile time), a third of the struct's 96 bytes for a record. */
#ifndef FTSIM_PIPE_INTERNAL_H
#define FTSIM_PIPE_INTERNAL_H

#include <string.h>

#include "pipeline.h"
#include "plog.h"
#include "query.h" /* the window stage compiles the query (window_stage.c) */
#include "source.h"

struct wire {
    uint64_t rec, key, event_ns, created_ns, value;
    uint64_t partition, offset, end; /* end: exclusive end of an offset range */
    uint64_t first;                  /* txn: the transaction's first input offset */
    uint64_t epoch, txn, status;
};
enum { WIRE_OK = 0, WIRE_INCOMPLETE = 1, WIRE_FENCED = 2, WIRE_REVOKED = 3 };
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "wire format assumes little-endian");
#define WIRE_FIELDS 12u
#define WIRE_BYTES_MAX (2u + 8u * WIRE_FIELDS)
_Static_assert(sizeof(struct wire) == WIRE_FIELDS * sizeof(uint64_t), "wire: 64-bit fields only");

/* Timer tags: the top 4 bits say what the timer is for. */
#define TAG_TYPE(t) ((t) >> 60)
#define TAG(type, p, off) (((uint64_t)(type) << 60) | ((uint64_t)(p) << 40) | (uint64_t)(off))
#define TAG_P(t) ((uint32_t)(((t) >> 40) & 0xfffff))
#define TAG_OFF(t) ((t) & ((1ull << 40) - 1))
enum { T_SRC_NEXT = 1, T_SRC_RETRY, T_BRK_RETRY, T_WRK_OUTPUT, T_WRK_COMMIT, T_WRK_LINGER,
       T_WRK_INIT, T_BRK_SESSION, T_WRK_HEARTBEAT,
       /* the checkpoint coordinator's timers at the broker (checkpoint.c) */
       T_CK_TRIGGER, T_CK_TIMEOUT, T_CK_COMMIT, T_CK_RESTORE,
       T_BRK_ASSIGN, /* the group coordinator re-sends an unacknowledged assignment */
       /* the streaming model: a worker's statistics retry (and its commit timer) */
       T_ML_STATS,
       /* the driver's trigger: the driver is a node of its own and this is its only
        * timer, so it shares the last 4-bit type with the workers' T_ML_STATS */
       T_ML_TRIGGER = T_ML_STATS };
_Static_assert(T_ML_STATS < 16, "timer types fit in 4 bits");

struct pipe;
/* Calls up the layers: the consumer group (group.c) sits below the broker and
 * exactly-once-checkpoint (checkpoint*.c) below the broker and the sink, so they reach
 * those nodes through these, which pipe_build sets; no module includes one above it. */
struct pipe_up {
    /* broker.c: partition part's read position (the next offset it sends); a rewind of
     * it to offset (in-flight records forgotten, sending resumes there); a move to a new
     * owner and generation (deliveries restart from the committed offset) */
    uint64_t (*broker_position)(struct sim *s, struct pipe *p, uint32_t part);
    void (*broker_rewind)(struct sim *s, struct pipe *p, uint32_t part, uint64_t offset);
    void (*broker_moved)(struct sim *s, struct pipe *p, uint32_t part);
    /* sink.c: makes one output row visible (the warehouse table, the trace, the observer) */
    void (*sink_apply)(struct sim *s, struct pipe *p, const struct wire *w, uint32_t worker);
};

struct pipe {
    struct sim *s;
    struct pipe_config cfg;
    enum dlv_protocol proto;
    uint64_t seed;
    struct pipe_observer obs;
    uint32_t source, broker, sink;
    uint32_t worker[PIPE_WORKERS_MAX];
    int step_receive, step_emit, step_commit, step_during_ckpt, step_snapshot_ack;
    uint64_t retries;
    struct dlv_backoff backoff;
    struct wstage *ws; /* the windowed query (window_stage.c), NULL without one */
    struct ckpt *ck;   /* exactly-once-checkpoint (checkpoint.c), NULL otherwise */
    struct sinks *sinks; /* the sink's rows, rejects and sums (stream/sinks.h) */
    uint64_t moment[PIPE_MOMENTS]; /* coverage moments the nodes counted (moments.h) */
    struct mls_feat *feat; /* records' features (stream/ml_wire.c), NULL without */
    struct mls *ml;        /* the streaming model (stream/ml_*.c), NULL without */
    uint32_t driver;       /* the model's driver node */
    struct pipe_up up;     /* set by pipe_build */
};
/* Counts a coverage moment: one increment, nothing traced, nothing else changed. */
#define PIPE_MOMENT(p, id) ((void)((p)->moment[PIPE_M_##id]++))

/* The canonical encoding of w into buf (at least WIRE_BYTES_MAX bytes); its length. */
static inline size_t wire_encode(const struct wire *w, unsigned char *buf) {
    uint64_t f[WIRE_FIELDS];
    memcpy(f, w, sizeof f);
    unsigned char *p = buf + 2;
    unsigned mask = 0;
    for (unsigned i = 0; i < WIRE_FIELDS; i++) {
        if (!f[i]) continue;
        mask |= 1u << i;
        memcpy(p, &f[i], 8); /* little-endian: asserted below */
        p += 8;
    }
    buf[0] = (unsigned char)mask;
    buf[1] = (unsigned char)(mask >> 8);
    return (size_t)(p - buf);
}

static inline void wire_send(struct sim *s, uint32_t from, uint32_t to, uint32_t kind,
                             const struct wire *w) {
    unsigned char buf[WIRE_BYTES_MAX];
    size_t n = wire_encode(w, buf);
    sim_send_tagged(s, from, to, kind, w->rec, buf, (uint32_t)n);
}

/* Mask bit 12 of a produce or record message: the record's features follow the fields
 * (dim + 1 little-endian doubles: x, then the label; ml_feat.h). wire_get ignores them. */
#define WIRE_FEATURES_BIT (1u << 12)

/* Decodes a message; a short or malformed one yields zeros for what it lacks. */
static inline struct wire wire_get(const struct sim_msg *m) {
    uint64_t f[WIRE_FIELDS] = {0};
    const unsigned char *p = m->data, *end = p + m->len;
    if (m->len >= 2) {
        unsigned mask = p[0] | (unsigned)p[1] << 8;
        p += 2;
        for (unsigned i = 0; i < WIRE_FIELDS && end - p >= 8; i++) {
            if (!(mask & (1u << i))) continue;
            memcpy(&f[i], p, 8);
            p += 8;
        }
    }
    struct wire w;
    memcpy(&w, f, sizeof w);
    return w;
}

/* The worker index (0-based) of node id `node`, or PIPE_NO_OWNER for another node. */
static inline uint32_t pipe_worker_index(const struct pipe *p, uint32_t node) {
    uint32_t i = node - p->worker[0];
    return node >= p->worker[0] && i < p->cfg.workers ? i : PIPE_NO_OWNER;
}

#endif
