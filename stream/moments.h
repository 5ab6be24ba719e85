/* Coverage moments ("sometimes" assertions, as FoundationDB's TEST() macro or Antithesis):
 * named interesting situations a run may reach, counted as they happen, so a swarm of
 * runs can say which corners it explored and which it never reached (docs/swarm.md).
 * Counting never touches the trace, an RNG stream or the run's control flow: a moment is
 * one increment of a counter indexed by this enum. The pipeline's nodes count the
 * moments only they can see (PIPE_MOMENT in pipe_internal.h); analysis/moments.c counts
 * the ones the trace shows. One list, three uses: the enum, the names and the texts. */
#ifndef FTSIM_MOMENTS_H
#define FTSIM_MOMENTS_H

#include <stdint.h>

/* X(ID, name, what it means). The first block is counted from the trace
 * (analysis/moments.c), the second by the pipeline's nodes (stream/). */
#define PIPE_MOMENT_LIST(X)                                                                        \
    X(CRASH_AFTER_RECEIVE, "crash-after-receive",                                                  \
      "a worker crashed at step after-receive: a record received, nothing emitted")                \
    X(CRASH_AFTER_EMIT, "crash-between-emit-and-ack",                                              \
      "a worker crashed at step after-emit: the output sent, the input not acknowledged")          \
    X(CRASH_BEFORE_COMMIT, "crash-before-commit",                                                  \
      "a worker crashed at step before-commit: a transaction's outputs sent, its commit not")      \
    X(CRASH_IN_CHECKPOINT, "crash-in-checkpoint",                                                  \
      "a worker crashed at step during-checkpoint or before-snapshot-ack")                         \
    X(ACK_LOST_AFTER_VISIBLE, "ack-lost-after-sink-committed",                                     \
      "an ack, output-ack or commit-ack about a record was lost after the sink had made the "      \
      "record visible")                                                                            \
    X(RETRY_OVERTOOK, "retry-overtook-original",                                                   \
      "an earlier copy of a record or output (a lower message id) arrived after a later send of "  \
      "the same record: a retry or resend overtook its original")                                  \
    X(ZOMBIE_FENCED, "zombie-write-fenced",                                                        \
      "the sink refused an output, commit or init of a stale epoch (a zombie owner)")              \
    X(STALE_ACK_FENCED, "stale-ack-fenced",                                                        \
      "the broker refused an ack of an earlier generation or job epoch")                           \
    X(EVICTED_ALIVE, "evicted-while-alive",                                                        \
      "the group coordinator evicted a worker that was up (cut off, or its heartbeats lost)")      \
    X(NO_OWNER, "partition-without-owner", "a partition was left with no live owner")              \
    X(ASSIGN_LOST, "assign-lost", "an assign or revoke message from the coordinator was lost")     \
    X(CKPT_ABORTED, "checkpoint-aborted", "a checkpoint was aborted (timeout or rollback)")        \
    X(ROLLBACK, "rollback-started", "the job began rolling back to its last completed checkpoint") \
    X(RESTART_BROKER_DOWN, "worker-restart-while-broker-down",                                     \
      "a worker restarted while the broker (coordinator) was down")                                \
    X(SINK_DOWN_OUTPUT, "output-while-sink-down",                                                  \
      "an output, commit or init reached the sink while it was down and was lost")                 \
    X(DUP_SUPPRESSED, "duplicate-suppressed-by-dedup",                                             \
      "the exactly-once sink's dedup table hid a repeated output")                                 \
    X(DUP_PRODUCE, "duplicate-produce-suppressed",                                                 \
      "the idempotent broker dropped a record the source produced again")                          \
    X(REPLAY_SKIPPED, "replay-skipped-by-window-task",                                             \
      "a window task skipped an offset it had already applied (an idempotent protocol)")           \
    X(TXN_ABORTED, "transaction-aborted",                                                          \
      "the sink aborted an open transaction (a new epoch or a newer transaction replaced it)")     \
    X(COMMIT_INCOMPLETE, "commit-incomplete",                                                      \
      "a commit reached the sink before all of its transaction's rows (one was lost)")             \
    X(BARRIER_BEHIND, "barrier-behind-records",                                                    \
      "a checkpoint barrier reached a worker already past its position: the checkpoint fails")     \
    X(ROLLBACK_DONE, "rollback-completed",                                                         \
      "every worker and the sink acknowledged a rollback's restore")                               \
    X(COORD_RESUMED, "coordinator-restarted-after-rollback",                                       \
      "the broker restarted after a rollback and re-sent its restore")                             \
    X(TASK_HANDOVER, "window-task-handed-over",                                                    \
      "a partition's window task moved intact from a live worker to another (a planned move)")     \
    X(ZOMBIE_RECORD, "zombie-record-ignored-by-task",                                              \
      "a record of an older generation reached a window task and was ignored")                     \
    X(PARTLY_LATE, "record-late-for-one-window-on-time-for-another",                               \
      "a record was dropped as late from one of its windows and counted in another")

enum pipe_moment {
#define PIPE_MOMENT_ENUM(id, name, about) PIPE_M_##id,
    PIPE_MOMENT_LIST(PIPE_MOMENT_ENUM)
#undef PIPE_MOMENT_ENUM
        PIPE_MOMENTS
};

/* "crash-between-emit-and-ack", ...; NULL for m >= PIPE_MOMENTS. */
const char *pipe_moment_name(unsigned m);
/* One sentence on what the moment means (docs/swarm.md lists them all). */
const char *pipe_moment_about(unsigned m);

#endif
