/* Per-record visibility counts and latencies; see ledger.h. */
#include "ledger.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "sort.h"

const uint8_t ledger_quantile_pct[LEDGER_QUANTILES] = {0,  5,  10, 15, 20, 25, 30, 35,
                                                        40, 45, 50, 55, 60, 65, 70, 75,
                                                        80, 85, 90, 95, 99, 100};

int ledger_init(struct ledger *l, uint64_t n) {
    memset(l, 0, sizeof *l);
    l->n = n;
    l->count = calloc(n ? n : 1, sizeof *l->count);
    l->latency = malloc((n ? n : 1) * sizeof *l->latency);
    if (!l->count || !l->latency) {
        ledger_free(l);
        return FT_ENOMEM;
    }
    for (uint64_t i = 0; i < n; i++) l->latency[i] = UINT64_MAX;
    return 0;
}

void ledger_free(struct ledger *l) {
    free(l->count);
    free(l->latency);
    memset(l, 0, sizeof *l);
}

void ledger_visible(struct ledger *l, uint64_t rec, uint64_t latency_ns) {
    if (rec >= l->n) {
        l->unknown++;
        return;
    }
    if (l->count[rec] < UINT32_MAX) l->count[rec]++;
    if (l->latency[rec] == UINT64_MAX) l->latency[rec] = latency_ns;
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

int ledger_summarise(const struct ledger *l, struct ledger_summary *out) {
    return ledger_summarise_q(l, out, NULL, NULL);
}

int ledger_summarise_q(const struct ledger *l, struct ledger_summary *out,
                       uint64_t q[LEDGER_QUANTILES], uint32_t *nq) {
    memset(out, 0, sizeof *out);
    if (nq) *nq = 0;
    uint64_t *lat = malloc((l->n ? l->n : 1) * sizeof *lat);
    uint64_t *tmp = malloc((l->n ? l->n : 1) * sizeof *tmp);
    if (!lat || !tmp) {
        free(lat);
        free(tmp);
        return FT_ENOMEM;
    }
    uint64_t k = 0;
    for (uint64_t i = 0; i < l->n; i++) {
        if (l->count[i] == 0) {
            out->lost++;
            continue;
        }
        out->delivered++;
        out->duplicated += l->count[i] - 1;
        lat[k++] = l->latency[i];
    }
    const uint64_t *sorted = sort_u64(lat, tmp, k);
    out->latency_p50_ns = ledger_nearest_rank(sorted, k, 50);
    out->latency_p99_ns = ledger_nearest_rank(sorted, k, 99);
    if (q && nq && k) {
        for (unsigned i = 0; i < LEDGER_QUANTILES; i++)
            q[i] = ledger_nearest_rank(sorted, k, ledger_quantile_pct[i]);
        *nq = LEDGER_QUANTILES;
    }
    free(lat);
    free(tmp);
    return 0;
}
