/* Exact percentiles over a counted or plain multiset; see qset.h. The switch to a plain
 * array happens when the map must grow to more bytes than 8 per value added (and there
 * are at least QSET_MAP_MIN values), so the memory is never much above the array's.
 * Percentiles of the array are selected in place, without a sorted copy. */
#include "qset.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "grow.h"
#include "sort.h"

#define QSET_MAP_MIN 4096u

/* Every value of the map, each as many times as counted, into the array. */
static int to_raw(struct qset *q) {
    size_t need = (size_t)q->n + 1;
    if (ft_grow((void **)&q->vals, &q->cap_vals, need, sizeof *q->vals, 1024)) return FT_ENOMEM;
    for (size_t i = 0; i < q->counts.cap; i++)
        for (uint64_t c = 0; c < q->counts.val[i]; c++)
            q->vals[q->nvals++] = q->counts.key[i];
    u64map_free(&q->counts);
    q->raw = true;
    return 0;
}

/* c copies of v into the map or the array. */
static int store(struct qset *q, uint64_t v, uint64_t c) {
    if (q->raw && c == 1 && q->nvals < q->cap_vals) { /* the usual case once raw */
        q->vals[q->nvals++] = v;
        return 0;
    }
    const struct u64map *m = &q->counts;
    bool grows = 2 * (m->n + 1) > m->cap && !u64map_get(m, v);
    if (!q->raw && grows && q->n >= QSET_MAP_MIN &&
        u64map_bytes_for(m->n + 1) > 8 * (size_t)(q->n + 1) && to_raw(q))
        return FT_ENOMEM;
    if (!q->raw) return u64map_add(&q->counts, v, c) ? FT_ENOMEM : 0;
    if (ft_grow((void **)&q->vals, &q->cap_vals, q->nvals + c, sizeof *q->vals, 1024))
        return FT_ENOMEM;
    for (uint64_t i = 0; i < c; i++)
        q->vals[q->nvals++] = v;
    return 0;
}

/* The pending run into the map or the array. */
static int settle(struct qset *q) {
    int rc = q->run_n ? store(q, q->run_v, q->run_n) : 0;
    if (!rc) q->run_n = 0;
    return rc;
}

/* A run of equal values (one link latency after another) counts up without a lookup. */
int qset_add(struct qset *q, uint64_t v) {
    if (q->run_n && v == q->run_v) {
        q->run_n++;
        q->n++;
        return 0;
    }
    if (settle(q)) return FT_ENOMEM;
    q->run_v = v;
    q->run_n = 1;
    q->n++;
    return 0;
}

/* rank (1-based) of percentile pct among n values: ceil(n * pct / 100), at least 1. */
static uint64_t rank_of(uint64_t n, unsigned pct) {
    uint64_t r = (n * pct + 99) / 100;
    return r ? r : 1;
}

/* In place: each rank's value selected where a sort would put it (no second array,
 * which would double the memory of a set of distinct values). */
static int ranks_raw(struct qset *q, const uint8_t *pct, size_t k, uint64_t *out) {
    enum { KMAX = 32 };
    size_t pos[KMAX];
    for (size_t done = 0; done < k; done += KMAX) {
        size_t m = k - done < KMAX ? k - done : KMAX;
        for (size_t i = 0; i < m; i++)
            pos[i] = rank_of(q->n, pct[done + i]) - 1;
        select_u64(q->vals, q->nvals, pos, m);
        for (size_t i = 0; i < m; i++)
            out[done + i] = q->vals[rank_of(q->n, pct[done + i]) - 1];
    }
    return 0;
}

static int ranks_counted(const struct qset *q, const uint8_t *pct, size_t k, uint64_t *out) {
    size_t d = q->counts.n, j = 0;
    uint64_t *v = malloc((d ? d : 1) * sizeof *v), *tmp = malloc((d ? d : 1) * sizeof *tmp);
    if (!v || !tmp) {
        free(v);
        free(tmp);
        return FT_ENOMEM;
    }
    for (size_t i = 0; i < q->counts.cap; i++)
        if (q->counts.val[i]) v[j++] = q->counts.key[i];
    const uint64_t *sorted = sort_u64(v, tmp, d);
    for (size_t i = 0; i < k; i++) {
        uint64_t want = rank_of(q->n, pct[i]), cum = 0;
        size_t x = 0;
        while ((cum += u64map_get(&q->counts, sorted[x])) < want)
            x++;
        out[i] = sorted[x];
    }
    free(v);
    free(tmp);
    return 0;
}

int qset_nearest_ranks(struct qset *q, const uint8_t *pct, size_t k, uint64_t *out) {
    if (!q->n) {
        memset(out, 0, k * sizeof *out);
        return 0;
    }
    if (settle(q)) return FT_ENOMEM;
    return q->raw ? ranks_raw(q, pct, k, out) : ranks_counted(q, pct, k, out);
}

void qset_free(struct qset *q) {
    u64map_free(&q->counts);
    free(q->vals);
    memset(q, 0, sizeof *q);
}

size_t qset_bytes(const struct qset *q) {
    return q->counts.cap * 2 * sizeof(uint64_t) + q->cap_vals * sizeof *q->vals;
}
