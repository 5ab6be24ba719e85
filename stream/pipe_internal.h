/* Shared by the pipeline's node files (source_node.c, broker.c, worker.c, sink.c).
 * Wire messages are one fixed struct of 64-bit fields (no padding, so the bytes the
 * trace hashes are fully defined), in the host's byte order: little-endian is
 * asserted at compile time so the trace hash is the same on every supported build. */
#ifndef FTSIM_PIPE_INTERNAL_H
#define FTSIM_PIPE_INTERNAL_H

#include <string.h>

#include "pipeline.h"
#include "source.h"
#include "window_stage.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "wire format assumes little-endian");

struct wire {
    uint64_t rec, key, event_ns, created_ns, value;
    uint64_t partition, offset, end; /* end: exclusive end of an offset range */
    uint64_t first;                  /* txn: the transaction's first input offset */
    uint64_t epoch, txn, status;
};
enum { WIRE_OK = 0, WIRE_INCOMPLETE = 1, WIRE_FENCED = 2 };

/* Timer tags: the top 4 bits say what the timer is for. */
#define TAG_TYPE(t) ((t) >> 60)
#define TAG(type, p, off) (((uint64_t)(type) << 60) | ((uint64_t)(p) << 40) | (uint64_t)(off))
#define TAG_P(t) ((uint32_t)(((t) >> 40) & 0xfffff))
#define TAG_OFF(t) ((t) & ((1ull << 40) - 1))
enum { T_SRC_NEXT = 1, T_SRC_RETRY, T_BRK_RETRY, T_WRK_OUTPUT, T_WRK_COMMIT, T_WRK_LINGER,
       T_WRK_INIT };

struct log_entry {
    uint64_t rec, event_ns, created_ns;
    int64_t value;
    uint32_t key, pad;
};

struct pipe {
    struct sim *s;
    struct pipe_config cfg;
    enum dlv_protocol proto;
    uint64_t seed;
    struct pipe_observer obs;
    uint32_t source, broker, sink;
    uint32_t worker[PIPE_WORKERS_MAX];
    int step_receive, step_emit, step_commit;
    uint64_t retries;
    struct dlv_backoff backoff;
    struct wstage *ws; /* the windowed query (window_stage.c), NULL without one */
};

static inline void wire_send(struct sim *s, uint32_t from, uint32_t to, uint32_t kind,
                             const struct wire *w) {
    sim_send_tagged(s, from, to, kind, w->rec, w, sizeof *w);
}

static inline struct wire wire_get(const struct sim_msg *m) {
    struct wire w;
    memset(&w, 0, sizeof w);
    memcpy(&w, m->data, m->len < sizeof w ? m->len : sizeof w);
    return w;
}

static inline uint32_t pipe_worker_of(const struct pipe *p, uint32_t partition) {
    return p->worker[partition % p->cfg.workers];
}

/* Node behaviour, one file each. *_bytes give the volatile/durable block sizes. */
extern const struct sim_node_ops pipe_source_ops, pipe_broker_ops, pipe_worker_ops,
    pipe_sink_ops;
size_t pipe_source_durable_bytes(void);
size_t pipe_broker_durable_bytes(void);
size_t pipe_broker_volatile_bytes(void);
size_t pipe_sink_durable_bytes(void);
size_t pipe_worker_volatile_bytes(void);
int pipe_source_init(struct sim *s, struct pipe *p);  /* durable generator state */
int pipe_broker_init(struct sim *s, struct pipe *p);
int pipe_sink_init(struct sim *s, struct pipe *p);
void pipe_source_free(struct sim *s, struct pipe *p);
void pipe_broker_free(struct sim *s, struct pipe *p);
void pipe_sink_free(struct sim *s, struct pipe *p);
const uint64_t *pipe_sink_counts(struct sim *s, const struct pipe *p);

#endif
