/* Record generators (DESIGN.md §5): a pure function of (source config, duration,
 * seed) that yields records in event-time order. The source node replays it inside
 * the simulator; analysis/ replays it outside to compute the reference, so the
 * reference never depends on the simulator. */
#ifndef FTSIM_SOURCE_H
#define FTSIM_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "pipeline.h"
#include "rng.h"

struct src_record {
    uint64_t id;       /* 0, 1, 2, ... in emission order */
    uint64_t event_ns; /* when the record is created (event time) */
    uint32_t key;
    int64_t value;
};

struct src_device {
    struct rng rng; /* "source:iot:D": phase, then per reading its jitter and value */
    uint64_t slot;  /* the next reading's slot index */
    uint64_t phase_ns;
};

/* One slot's readings of every device, sorted by (time, device): each key is
 * (time - base_ns) << id_bits | device. Since jitter < period / 2, every reading of
 * slot k + 2 comes after every reading of slot k, so merging slots k and k + 1 and
 * generating k + 2 once k is used up yields all readings in (time, device) order. */
struct src_batch {
    uint64_t *key;
    int32_t *value; /* per device: its reading's value */
    uint64_t base_ns;
    uint32_t n, pos;
};

struct src_gen {
    struct pipe_source cfg;
    uint64_t duration_ns;
    uint64_t next_id;
    struct rng rng;        /* keyed */
    uint64_t next_ns;      /* keyed: next arrival */
    struct src_device *dev;     /* iot: one per device, its stream and next slot together */
    struct src_batch batch[2];  /* iot: the readings of slots k and k + 1 */
    uint32_t cur;               /* iot: which batch holds slot k */
    uint64_t next_slot;         /* iot: the slot the next batch generates */
    unsigned id_bits;           /* iot: low key bits that hold the device */
    uint64_t *scratch;          /* iot: the radix sort's */
};

/* Returns 0, FT_ENOMEM, or FT_EINVAL (iot with jitter >= period / 2). */
int src_gen_init(struct src_gen *g, const struct pipe_source *cfg, uint64_t duration_ns,
                 uint64_t seed);
/* The next record, or false once the generator has passed duration_ns. */
bool src_gen_next(struct src_gen *g, struct src_record *r);
void src_gen_free(struct src_gen *g);
/* The number of records per key over the whole run (counts has cfg->keys entries,
 * zeroed by the caller) and in all, computed key by key: the records src_gen_next
 * yields, without merging the per-device streams. Returns 0 or FT_ENOMEM. */
int src_gen_counts(const struct pipe_source *cfg, uint64_t duration_ns, uint64_t seed,
                   uint64_t *counts, uint64_t *total);

#endif
