/* The streaming model's state, shared by ml_worker.c and ml_driver.c (internal to the
 * ML stage). Node state is kept here, outside the simulator's arenas, and given crash
 * semantics by hand as the window stage does: a worker's part is reset when it
 * (re)starts; the driver's volatile part when it recovers, its durable part never. */
#ifndef FTSIM_ML_INTERNAL_H
#define FTSIM_ML_INTERNAL_H

#include "ml_feat.h"
#include "ml_stage.h"
#include "pipe_internal.h"

struct mls_rec {
    uint64_t off, rec;
};
struct mls_buf { /* a partition's records applied since the worker's last JOB */
    struct mls_rec *r;
    size_t n, cap;
};
struct mls_out { /* statistics sent, awaiting the driver's ack */
    struct mls_partial pt;
    struct ml_model model; /* the model that scored them (a DUP answer recomputes) */
    uint32_t attempt;
    sim_timer_t timer;
};
/* A held input ack: an offset is acked once the sink and the model both have it (in this
 * incarnation). The two sets are keyed by offset, not by a window slot: a record may be
 * marked again after its ack went (a redelivered record the model already has, a record
 * at-least-once applied twice), and such a mark must neither wait for a partner that
 * already came nor hold a slot a later offset needs. */
struct mls_held {
    struct bitset sunk, modeled;
};
struct mls_slot { /* an ack due at the next commit (commit_interval) */
    uint64_t off1, rec;
};
struct mls_worker {
    uint64_t epoch;    /* exactly-once-checkpoint: its job epoch, 0 = awaiting RESTORE */
    uint64_t closed_b; /* the last JOB it answered */
    struct mls_buf *buf;
    struct mls_out *out;
    size_t nout, cap_out;
    struct bitset *seen;    /* idempotent protocols: per partition, offsets applied */
    struct mls_held *held;  /* per partition (retrying protocols but checkpoint) */
    struct mls_slot *slots; /* partitions x window: acks due at the next commit */
    bool commit_armed;      /* commit_interval: the next commit's timer is set */
};
struct mls_wsnap { /* a worker's ML state at a checkpoint barrier */
    uint64_t closed_b;
    struct mls_buf *buf;
    struct mls_out *out;
    size_t nout;
};
struct mls_snap {
    uint64_t k;
    bool taken[PIPE_WORKERS_MAX];
    struct mls_wsnap w[PIPE_WORKERS_MAX];
};

struct mls_close { /* exactly-once-checkpoint: one logged model update */
    uint64_t b;
    double *params; /* the model after it (ml_pack) */
    struct mls_partial *pt;
    uint32_t npt;
};

struct mls_driver {
    /* durable: the model store */
    struct ml_model model, init, frozen;
    bool has_frozen;
    uint64_t frozen_ns, frozen_rows;
    uint64_t b, closed_b, epoch; /* the last JOB sent, the last batch applied, job epoch */
    struct bitset applied;       /* exactly-once: record ids in the model */
    struct bitset included;      /* checkpoint: partials (b * partitions + part) in the model */
    struct mls_close *log;       /* checkpoint: the updates, in order */
    size_t nlog, cap_log;
    bool rb_pending; /* checkpoint: a rollback recorded by the coordinator, not yet applied */
    uint64_t rb_epoch, rb_k;
    uint64_t rb_cut[PIPE_WORKERS_MAX]; /* per worker: the last batch it closed before k */
    /* volatile: the open batch (reset when the driver recovers) */
    struct mls_partial *pend;
    size_t npend, cap_pend;
};

struct mls {
    struct pipe *p;
    const struct ml_spec *spec;
    size_t nst;          /* ml_stats_len */
    uint64_t sample_key; /* mini-batch samples ("query:sample") */
    struct mls_worker w[PIPE_WORKERS_MAX];
    struct mls_driver d;
    struct mls_snap *snaps; /* checkpoint: by ascending k */
    size_t nsnaps, cap_snaps;
    /* observed, never read by the nodes */
    struct pipe_ml_point *pts;
    size_t npts, cap_pts;
    double *params;
    size_t nparams, cap_params;
};

/* ml_wire.c: the driver's side of the messages. */
bool mls_get_stats(const struct pipe *p, const struct sim_msg *m, uint64_t *epoch,
                   struct mls_partial *pt);
void mls_send_ack(struct sim *s, struct pipe *p, uint32_t to, const struct mls_ack *a);

/* ml_driver.c, for ml_worker.c's checkpoint code: the snapshot of checkpoint k. */
struct mls_snap *mls_snap_find(struct mls *ml, uint64_t k);
void mls_buf_free(struct mls_buf *b);
void mls_out_free(struct mls_out *o);

#endif
