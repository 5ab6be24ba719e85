/* Shared by the pipeline's node files (source_node.c, broker.c, worker.c, sink.c).
 * Wire messages are one struct of 64-bit fields; on the network a message carries a
 * 16-bit little-endian mask of its nonzero fields and then those fields, 8
 * little-endian bytes each, in struct order: a canonical encoding (the trace hashes
 * it; little-endian hosts are asserted at compile time) and for a record a third of
 * the struct's 96 bytes. */
#ifndef FTSIM_PIPE_INTERNAL_H
#define FTSIM_PIPE_INTERNAL_H

#include <string.h>

#include "pipeline.h"
#include "plog.h"
#include "source.h"
#include "window_stage.h"

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
 * (dim + 1 little-endian doubles: x, then the label). wire_get ignores them. */
#define WIRE_FEATURES_BIT (1u << 12)
/* wire_send of a record that carries features: with them (stream/ml_wire.c). */
struct pipe;
void pipe_send_featured(struct sim *s, struct pipe *p, uint32_t from, uint32_t to, uint32_t kind,
                        const struct wire *w);

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

/* wire_send for a source record: with its features when the source has any. */
static inline void pipe_send_record(struct sim *s, struct pipe *p, uint32_t from, uint32_t to,
                                    uint32_t kind, const struct wire *w) {
    if (p->feat)
        pipe_send_featured(s, p, from, to, kind, w);
    else
        wire_send(s, from, to, kind, w);
}

/* The worker index (0-based) of node id `node`, or PIPE_NO_OWNER for another node. */
static inline uint32_t pipe_worker_index(const struct pipe *p, uint32_t node) {
    uint32_t i = node - p->worker[0];
    return node >= p->worker[0] && i < p->cfg.workers ? i : PIPE_NO_OWNER;
}

/* The group coordinator's state, kept by the broker (group.c). Durable: the
 * assignment, generations and members survive a broker crash, like Kafka's group
 * metadata; volatile: when each worker was last heard from. With rebalance off, owner
 * is the static owner, gen stays 0 and nothing else is used. */
struct grp_dur {
    uint32_t *owner; /* per partition: worker index, or PIPE_NO_OWNER */
    uint64_t *gen;   /* per partition: bumped at every move; records and acks carry it */
    uint8_t *member; /* per worker: in the group */
    uint64_t *epoch; /* per worker: incarnation + 1 from its last heartbeat */
};
struct grp_asg {  /* an assignment not yet acknowledged by its new owner */
    uint64_t gen; /* 0: none pending */
    uint32_t to;  /* the worker index it is for */
    uint32_t attempt;
    sim_timer_t timer;
};
struct grp_vol {
    uint64_t *last_seen_ns; /* per worker: the last message from it */
    uint8_t *armed;         /* per worker: a session timer is pending */
    struct grp_asg *asg;    /* per partition: its assignment, re-sent until acknowledged */
};
int pipe_group_init(struct pipe *p, struct grp_dur *g);
void pipe_group_free(struct grp_dur *g);
/* Broker start or restart: every member gets a full session from now, and each owner
 * is told its partitions again. Returns 0 or FT_ENOMEM. */
int pipe_group_start(struct sim *s, struct pipe *p, struct grp_dur *g, struct grp_vol *v);
/* A message from worker index w (any kind): it is alive. */
void pipe_group_seen(struct sim *s, struct pipe *p, struct grp_vol *v, uint32_t w);
/* A heartbeat from worker w, incarnation epoch - 1: (re)joins it or refreshes it. */
void pipe_group_heartbeat(struct sim *s, struct pipe *p, struct grp_dur *g, struct grp_vol *v,
                          uint32_t w, uint64_t epoch);
/* Worker w's session timer fired: evict it if it has been silent for the session. */
void pipe_group_timer(struct sim *s, struct pipe *p, struct grp_dur *g, struct grp_vol *v,
                      uint32_t w);
/* Worker w acknowledged the assignment of partition `part` in generation gen. */
void pipe_group_assign_ack(struct sim *s, struct grp_vol *v, uint32_t w, uint32_t part,
                           uint64_t gen);
/* The re-send timer of partition part's assignment fired: send it again while it is
 * still the partition's assignment and unacknowledged. */
void pipe_group_assign_timer(struct sim *s, struct pipe *p, struct grp_dur *g, struct grp_vol *v,
                             uint32_t part);
/* broker.c: partition `part` has a new owner and generation; restart its deliveries
 * from the committed offset. */
void pipe_broker_moved(struct sim *s, struct pipe *p, uint32_t part);

/* Node behaviour, one file each. *_bytes give the volatile/durable block sizes. */
extern const struct sim_node_ops pipe_source_ops, pipe_broker_ops, pipe_worker_ops,
    pipe_sink_ops;
size_t pipe_source_durable_bytes(void);
size_t pipe_broker_durable_bytes(void);
size_t pipe_broker_volatile_bytes(void);
size_t pipe_sink_durable_bytes(void);
size_t pipe_worker_volatile_bytes(void);
int pipe_source_init(struct sim *s, struct pipe *p);  /* durable generator state */
/* pipe_pending_records' parts: the source's unacknowledged records, the broker's log
 * above each committed offset, the checkpoint sink's uncommitted rows. */
void pipe_source_pending(struct sim *s, const struct pipe *p, pipe_rec_fn *fn, void *ctx);
void pipe_broker_pending(struct sim *s, const struct pipe *p, pipe_rec_fn *fn, void *ctx);
void ckpt_sink_pending(const struct pipe *p, pipe_rec_fn *fn, void *ctx);
int pipe_broker_init(struct sim *s, struct pipe *p);
int pipe_sink_init(struct sim *s, struct pipe *p);
void pipe_source_free(struct sim *s, struct pipe *p);
void pipe_broker_free(struct sim *s, struct pipe *p);
void pipe_sink_free(struct sim *s, struct pipe *p);
const uint64_t *pipe_sink_counts(struct sim *s, const struct pipe *p);
/* sink.c: makes one output row visible (the warehouse table, the trace, the observer). */
void pipe_sink_apply(struct sim *s, struct pipe *p, const struct wire *w, uint32_t worker);
/* broker.c: a partition's read position (the next offset it sends), and a rewind of it
 * to `offset` (in-flight records forgotten, sending resumes from there). */
uint64_t pipe_broker_position(struct sim *s, struct pipe *p, uint32_t part);
void pipe_broker_rewind(struct sim *s, struct pipe *p, uint32_t part, uint64_t offset);

/* ---- exactly-once-checkpoint (checkpoint.c) ----
 * The broker doubles as the checkpoint coordinator (Flink's JobManager); the worker and
 * the sink run their checkpoint side there too. struct ckpt holds what survives every
 * crash: the coordinator's durable record, the checkpoint store (modelled as storage
 * outside the nodes, like HDFS or S3) and the sink's uncommitted rows. */
int ckpt_new(struct pipe *p, struct ft_error *err);
void ckpt_free(struct pipe *p);
uint64_t ckpt_epoch(const struct pipe *p); /* the job's epoch, what records carry */
void ckpt_coord_start(struct sim *s, struct pipe *p);
void ckpt_coord_msg(struct sim *s, struct pipe *p, const struct sim_msg *m);
void ckpt_coord_timer(struct sim *s, struct pipe *p, uint64_t tag);
void ckpt_worker_start(struct sim *s, struct pipe *p, uint32_t me);
void ckpt_worker_msg(struct sim *s, struct pipe *p, uint32_t me, const struct sim_msg *m);
void ckpt_worker_timer(struct sim *s, struct pipe *p, uint32_t me, uint64_t tag);
void ckpt_sink_msg(struct sim *s, struct pipe *p, const struct sim_msg *m);
size_t ckpt_worker_volatile_bytes(void);
/* The job is settled: broker and every worker up and restored into the current epoch
 * (no rollback in progress). The end of the run commits the last output only then. */
bool ckpt_settled(struct sim *s, const struct pipe *p);
/* The broker's retention: partition part's offset in the checkpoint a rollback would
 * restore now (the last completed one); the log keeps everything from there. */
uint64_t ckpt_retain_from(const struct pipe *p, uint32_t part);
/* End of the run, after the window stage finished: when settled, the rows emitted since
 * the last completed checkpoint are committed (the final checkpoint of a bounded
 * stream); otherwise they stay invisible. */
int ckpt_finish(struct sim *s, struct pipe *p, struct ft_error *err);

#endif
