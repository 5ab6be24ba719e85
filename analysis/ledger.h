/* The ledger (DESIGN.md §3): for every source record, how many times its effect
 * became visible at the sink and how long the first visibility took. It is fed only
 * by the sink's visible rows and judged against the generated input, never against
 * the protocol's own counters. */
#ifndef FTSIM_LEDGER_H
#define FTSIM_LEDGER_H

#include <stddef.h>
#include <stdint.h>

struct ledger {
    uint64_t n;          /* records generated */
    uint32_t *count;     /* visible copies per record */
    uint64_t *latency;   /* first visibility - creation, per record; UINT64_MAX = never */
    uint64_t unknown;    /* visible rows naming no generated record (must stay 0) */
};

int ledger_init(struct ledger *l, uint64_t n);
void ledger_free(struct ledger *l);
void ledger_visible(struct ledger *l, uint64_t rec, uint64_t latency_ns);

struct ledger_summary {
    uint64_t delivered, lost, duplicated, latency_p50_ns, latency_p99_ns;
};
/* Percentiles by the nearest-rank method over the first-visibility latencies. */
int ledger_summarise(const struct ledger *l, struct ledger_summary *out);
/* Nearest-rank percentiles pct[0..k) (0..100) of n samples (unsorted; not modified). */
int ledger_quantiles(const uint64_t *v, uint64_t n, const unsigned *pct, uint64_t *out, size_t k);

#endif
