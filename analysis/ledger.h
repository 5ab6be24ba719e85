/* The ledger (DESIGN.md §3): for every source record, how many times its effect
 * became visible at the sink and how long the first visibility took. It is fed only
 * by the sink's visible rows and judged against the generated input, never against
 * the protocol's own counters. */
#ifndef FTSIM_LEDGER_H
#define FTSIM_LEDGER_H

#include <stdbool.h>
#include <stdint.h>

#include "qset.h"

/* Compact by default: two bits per record (no copy, one, two or more visible), the
 * totals, and the first-visibility latencies as an exact multiset (sim/qset.h), a few
 * bytes per record in all. ledger_init_full also keeps, per record, the exact count of
 * copies and the first latency, for a caller that reads them back. */
struct ledger {
    uint64_t n;          /* records generated */
    uint8_t *copies2;    /* 2 bits per record: visible copies, saturating at 2 */
    uint64_t visible;    /* visible rows naming a generated record, copies included */
    uint64_t delivered;  /* records visible at least once */
    struct qset first;   /* first visibility - creation, one per delivered record */
    bool first_failed;   /* out of memory adding to it: the summary fails */
    uint64_t unknown;    /* visible rows naming no generated record (must stay 0) */
    uint32_t *count;     /* full only: visible copies per record */
    uint64_t *latency;   /* full only: first visibility - creation; UINT64_MAX = never */
};

int ledger_init(struct ledger *l, uint64_t n);
int ledger_init_full(struct ledger *l, uint64_t n);
void ledger_free(struct ledger *l);
void ledger_visible(struct ledger *l, uint64_t rec, uint64_t latency_ns);
/* Visible copies of record rec: exact with ledger_init_full, else 0, 1 or 2 (= two or
 * more). 0 for an id past the end. */
uint32_t ledger_copies(const struct ledger *l, uint64_t rec);

struct ledger_summary {
    uint64_t delivered, lost, duplicated, latency_p50_ns, latency_p99_ns;
};
/* Percentiles by the nearest-rank method over the first-visibility latencies (exact in
 * either mode). */
int ledger_summarise(struct ledger *l, struct ledger_summary *out);
/* The same, also filling q[i] with percentile ledger_quantile_pct[i] (0, 5, 10, ...,
 * 95, 99, 100: q[0] = the minimum, the last = the maximum) when q is not NULL and a
 * record was delivered; *nq gets LEDGER_QUANTILES then, else 0. Twenty-two points draw
 * a CDF; 101 rows per run were a third of what storing a run cost. */
#define LEDGER_QUANTILES 22u
extern const uint8_t ledger_quantile_pct[LEDGER_QUANTILES];
int ledger_summarise_q(struct ledger *l, struct ledger_summary *out,
                       uint64_t q[LEDGER_QUANTILES], uint32_t *nq);
/* Nearest rank: sorted[ceil(n * pct / 100) - 1] (sorted[0] for pct 0); 0 when n = 0. */
uint64_t ledger_nearest_rank(const uint64_t *sorted, uint64_t n, unsigned pct);
/* Sorts n latencies ascending in place. */
int ledger_sort(uint64_t *v, uint64_t n); /* ascending, in place; 0 or FT_ENOMEM */

#endif
