/* A partition's log (internal to stream/): offsets 0, 1, 2, ... appended in order and
 * read back by offset, kept in segments of PLOG_SEG entries like Kafka's log segments.
 * Retention (plog_truncate) drops whole segments below an offset nobody will read
 * again, so the memory follows the retained span, not the run; no segment is copied
 * while the log grows. Entries are stored in 24 bytes while every field fits (a 32-bit
 * record id and value, event time within +-2.1 s of creation, as Kafka's record batches
 * store deltas); the first entry that does not turns the log to 40-byte entries. */
#ifndef FTSIM_PLOG_H
#define FTSIM_PLOG_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

#define PLOG_SEG_BITS 10u
#define PLOG_SEG (1u << PLOG_SEG_BITS) /* entries per segment */

struct log_entry {
    uint64_t rec, event_ns, created_ns;
    int64_t value;
    uint32_t key, pad;
};

struct plog_small { /* a log_entry whose fields fit */
    uint64_t created_ns;
    uint32_t rec, key;
    int32_t value, event_delta_ns; /* event_ns - created_ns */
};

#define PLOG_SPARE 2u /* segments retention keeps for reuse instead of unmapping */

struct plog {
    void **seg; /* ring of segments: offset o in seg[(o >> BITS) & (nseg - 1)] */
    void *spare[PLOG_SPARE];
    uint32_t nspare;
    uint64_t nseg;      /* 0 or a power of two */
    uint64_t base, len; /* offsets [base, len) are readable */
    bool wide;          /* segments hold struct log_entry, else struct plog_small */
};

/* Appends e at offset len. 0 or FT_ENOMEM. */
int plog_append(struct plog *l, const struct log_entry *e);
/* Retention: offsets below keep (at most len) will not be read again; the segments
 * wholly below go. */
void plog_truncate(struct plog *l, uint64_t keep);
/* The entry at off, base <= off < len (asserted). */
static inline struct log_entry plog_at(const struct plog *l, uint64_t off) {
    FT_ASSERT(off >= l->base && off < l->len);
    const void *seg = l->seg[(off >> PLOG_SEG_BITS) & (l->nseg - 1)];
    uint64_t i = off & (PLOG_SEG - 1);
    if (l->wide) return ((const struct log_entry *)seg)[i];
    const struct plog_small *x = &((const struct plog_small *)seg)[i];
    return (struct log_entry){x->rec,        (uint64_t)((int64_t)x->created_ns + x->event_delta_ns),
                              x->created_ns, x->value,
                              x->key,        0};
}
void plog_free(struct plog *l);
/* Bytes held now (segments and the ring of pointers). */
uint64_t plog_bytes(const struct plog *l);

#endif
