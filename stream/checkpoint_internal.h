/* Internals of exactly-once-checkpoint shared by its files: checkpoint.c (the store of
 * checkpoints, the end of the run), checkpoint_coord.c (the coordinator at the broker),
 * checkpoint_worker.c (a worker's alignment, snapshots and restores) and
 * checkpoint_sink.c (the two-phase-commit sink). struct ckpt is what survives every
 * crash; the coordinator's and a worker's volatile parts live in their node's arena. */
#ifndef FTSIM_CHECKPOINT_INTERNAL_H
#define FTSIM_CHECKPOINT_INTERNAL_H

#include "checkpoint.h"
#include "window_stage.h"

struct ck_meta { /* one checkpoint in the store */
    uint64_t id, epoch;
    bool completed;
    uint64_t *offsets;        /* per partition: the barrier's position */
    struct wstage_snap *snap; /* per worker: state and pre-committed window rows */
};

struct ck_spart {       /* the sink's rows of one partition not yet committed */
    uint64_t committed; /* rows below this offset are visible */
    struct wire *rows;  /* by offset - committed; status = the producing worker's node */
    uint8_t *present;
    size_t cap, used; /* rows [used, cap) are all absent */
};

struct ckpt_cvol {    /* the coordinator's volatile state (lost with the broker) */
    uint64_t pending; /* the checkpoint in flight, 0 = none */
    uint8_t *acked;   /* per worker */
    uint32_t nacked, commit_attempt, restore_attempt;
    sim_timer_t timeout, commit_timer, restore_timer;
    uint8_t *restored; /* workers 0..W-1, the sink at W: acked the current epoch's RESTORE */
};

struct ckpt {
    /* the coordinator's durable record */
    uint64_t epoch, restore_k, next_k, completed_k, sink_acked_k;
    uint32_t *incarnation; /* per worker: incarnation + 1 it last joined with */
    struct ckpt_cvol *cvol;
    uint32_t cvol_incarnation;
    /* the checkpoint store: ascending ids, the last completed one always kept */
    struct ck_meta **metas;
    size_t nmeta, cap_meta;
    /* the sink's durable side */
    uint64_t sink_epoch, sink_committed_k;
    struct ck_spart *sp;
};

struct ck_pend {
    uint64_t off1; /* offset + 1, 0 = free */
    uint32_t attempt;
    sim_timer_t timer;
    struct wire out;
};

struct ck_wpart {
    bool owned;
    uint64_t next;           /* next offset to process */
    uint64_t out_done;       /* outputs below are acked by the sink */
    uint64_t flush_off;      /* the last snapshot's position: its ack waits for out_done */
    uint64_t bar_k, bar_off; /* the aligning checkpoint's barrier (bar_k 0: none yet) */
    struct ck_pend *pend;    /* window slots by offset */
    struct wire *rb;         /* received, not yet processed */
    uint64_t *rb_off1;
};

struct ck_wvol {
    uint64_t epoch;    /* 0: restarted, waiting for RESTORE */
    uint64_t aligning; /* checkpoint being aligned, 0 = none */
    uint64_t seen_k;   /* newest checkpoint seen in a barrier */
    uint64_t snap_k, acked_k;
    uint32_t join_attempt;
    struct ck_wpart *parts; /* per partition */
};

/* ---- the store (checkpoint.c) ---- */
/* Checkpoint id's entry, or NULL (pruned, aborted or never taken). */
struct ck_meta *ck_meta_find(const struct ckpt *ck, uint64_t id);
/* A new entry (id, epoch), appended in ascending id order; NULL when out of memory. */
struct ck_meta *ck_meta_new(struct pipe *p, uint64_t id, uint64_t epoch);
/* Drops the entries for which drop(m, arg) holds, keeping the order of the rest;
 * ck_meta_above and ck_meta_below are the usual drops (id > k, id < k). */
void ck_meta_prune(struct pipe *p, bool (*drop)(const struct ck_meta *, uint64_t), uint64_t arg);
bool ck_meta_above(const struct ck_meta *m, uint64_t k);
bool ck_meta_below(const struct ck_meta *m, uint64_t k);
/* Snapshots older than the restore point are never restored: their engines go (their
 * pre-committed rows stay until the sink commits them). */
void ck_drop_old_state(struct pipe *p, uint64_t restore_k);
/* Applies the window rows of every stored transaction up to k, in checkpoint then
 * worker order. 0 or the window stage's error. */
int ck_commit_windows(struct sim *s, struct pipe *p, uint64_t k);

#endif
