/* Per-record visibility counts and latencies; see ledger.h. duplicated = visible -
 * delivered: the extra copies summed over records need no per-record count. */
#include "ledger.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "sort.h"

const uint8_t ledger_quantile_pct[LEDGER_QUANTILES] = {0,  5,  10, 15, 20, 25, 30, 35, 40, 45, 50,
                                                       55, 60, 65, 70, 75, 80, 85, 90, 95, 99, 100};

int ledger_init(struct ledger *l, uint64_t n) {
    memset(l, 0, sizeof *l);
    l->n = n;
    l->copies2 = calloc(n / 4 + 1, 1);
    return l->copies2 ? 0 : FT_ENOMEM;
}

int ledger_init_full(struct ledger *l, uint64_t n) {
    int rc = ledger_init(l, n);
    if (rc) return rc;
    l->count = calloc(n ? n : 1, sizeof *l->count);
    l->latency = malloc((n ? n : 1) * sizeof *l->latency);
    if (!l->count || !l->latency) {
        ledger_free(l);
        return FT_ENOMEM;
    }
    for (uint64_t i = 0; i < n; i++)
        l->latency[i] = UINT64_MAX;
    return 0;
}

void ledger_free(struct ledger *l) {
    free(l->copies2);
    qset_free(&l->first);
    free(l->count);
    free(l->latency);
    memset(l, 0, sizeof *l);
}

static unsigned copies2(const struct ledger *l, uint64_t rec) {
    return l->copies2[rec >> 2] >> (2 * (rec & 3)) & 3u;
}

uint32_t ledger_copies(const struct ledger *l, uint64_t rec) {
    if (rec >= l->n) return 0;
    return l->count ? l->count[rec] : copies2(l, rec);
}

void ledger_visible(struct ledger *l, uint64_t rec, uint64_t latency_ns) {
    if (rec >= l->n) {
        l->unknown++;
        return;
    }
    unsigned c = copies2(l, rec);
    if (c == 0) {
        l->delivered++;
        if (qset_add(&l->first, latency_ns)) l->first_failed = true;
        if (l->latency) l->latency[rec] = latency_ns;
    }
    if (c < 2) l->copies2[rec >> 2] += (uint8_t)(1u << (2 * (rec & 3)));
    l->visible++;
    if (l->count && l->count[rec] < UINT32_MAX) l->count[rec]++;
}

int ledger_sort(uint64_t *v, uint64_t n) {
    uint64_t *tmp = malloc((n ? n : 1) * sizeof *tmp);
    if (!tmp) return FT_ENOMEM;
    const uint64_t *sorted = sort_u64(v, tmp, n);
    if (sorted != v) memcpy(v, sorted, n * sizeof *v);
    free(tmp);
    return 0;
}

uint64_t ledger_nearest_rank(const uint64_t *sorted, uint64_t n, unsigned pct) {
    if (n == 0) return 0;
    uint64_t rank = (n * pct + 99) / 100; /* ceil(n * pct / 100), 1-based */
    return sorted[rank ? rank - 1 : 0];
}

int ledger_summarise(struct ledger *l, struct ledger_summary *out) {
    return ledger_summarise_q(l, out, NULL, NULL);
}

int ledger_summarise_q(struct ledger *l, struct ledger_summary *out, uint64_t q[LEDGER_QUANTILES],
                       uint32_t *nq) {
    memset(out, 0, sizeof *out);
    if (nq) *nq = 0;
    if (l->first_failed) return FT_ENOMEM;
    out->delivered = l->delivered;
    out->lost = l->n - l->delivered;
    out->duplicated = l->visible - l->delivered;
    uint64_t v[LEDGER_QUANTILES];
    static const uint8_t p50_p99[2] = {50, 99};
    int rc = qset_nearest_ranks(&l->first, p50_p99, 2, v);
    if (rc) return rc;
    out->latency_p50_ns = v[0];
    out->latency_p99_ns = v[1];
    if (q && nq && l->delivered) {
        if ((rc = qset_nearest_ranks(&l->first, ledger_quantile_pct, LEDGER_QUANTILES, q)))
            return rc;
        *nq = LEDGER_QUANTILES;
    }
    return 0;
}
