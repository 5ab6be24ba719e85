/* Delivery protocols (DESIGN.md §3): their names, what each mechanism does, and the
 * pieces they share: retry back-off and the durable dedup set behind idempotence.
 * stream/ builds the pipeline's nodes from these properties; nothing here knows of
 * records. */
#ifndef FTSIM_DLV_H
#define FTSIM_DLV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bitset.h"

enum dlv_protocol {
    DLV_AT_MOST_ONCE = 0, /* commit on send, no retry, fire-and-forget output */
    DLV_AT_LEAST_ONCE,    /* process, then ack; retry on timeout with back-off */
    DLV_EXACTLY_ONCE,     /* at-least-once + dedup on (producer, epoch, seq), durable */
    DLV_EXACTLY_ONCE_TXN, /* output + input offsets committed in one atomic step */
    DLV_EXACTLY_ONCE_CKPT, /* barrier snapshots of state + offsets, two-phase-commit sink */
    DLV_COUNT
};

/* "at-most-once", "at-least-once", "exactly-once", "exactly-once-txn",
 * "exactly-once-checkpoint". */
const char *dlv_name(enum dlv_protocol p);
/* Parses a name; returns the protocol or -1. */
int dlv_parse(const char *name);
/* One line on the mechanism, for `ftsim list`. */
const char *dlv_about(enum dlv_protocol p);

/* Properties that steer the pipeline. */
bool dlv_retries(enum dlv_protocol p);      /* senders retry until acknowledged */
bool dlv_idempotent(enum dlv_protocol p);   /* receivers dedup (producer, seq) */
bool dlv_transactional(enum dlv_protocol p);
/* Checkpointed (Chandy-Lamport / Flink asynchronous barrier snapshots): a crash rolls
 * the whole job back to the last completed checkpoint; output becomes visible only
 * when the checkpoint that covers it completes (two-phase commit). */
bool dlv_checkpointed(enum dlv_protocol p);

/* Retry timeout after `attempt` (0-based) tries: base * factor^attempt, capped. */
struct dlv_backoff {
    uint64_t base_ns, max_ns;
    uint32_t factor; /* >= 1 */
};
uint64_t dlv_backoff_ns(const struct dlv_backoff *b, uint32_t attempt);

/* A growable bitset of sequence numbers seen, one per producer: the durable dedup
 * table of an idempotent receiver. Owned by the node's durable state. */
struct dlv_dedup {
    struct bitset seen;
    uint64_t epoch; /* highest producer epoch seen: older epochs are fenced */
};
/* Marks seq seen; returns 1 when new, 0 when a duplicate, FT_ENOMEM/FT_ELIMIT on error. */
int dlv_dedup_insert(struct dlv_dedup *d, uint64_t seq);
bool dlv_dedup_has(const struct dlv_dedup *d, uint64_t seq);
void dlv_dedup_free(struct dlv_dedup *d);
#define DLV_SEQ_MAX (1ull << 32)

#endif
