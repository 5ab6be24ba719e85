/* Around the window engine: the two drivers over a list of records (no simulator), the
 * result table a sink keeps (rows upserted by (window, key, producing engine), partial
 * aggregates combined on read), and the comparison of a result with the no-lateness
 * reference (window_ref.c). Pure functions of their input; rows always sorted by (start, key). */
#include <stdlib.h>
#include <string.h>

#include "window.h"
#include "window_state.h"

#define EMPTY UINT32_MAX

/* ---- drivers ---- */

static uint64_t boundary(uint64_t t, uint64_t interval) {
    uint64_t k = t / interval + (t % interval != 0);
    return k * interval;
}

/* Raises the watermark from the engine's own records; true when it moved. */
static bool advance(struct win_engine *e) {
    int64_t before = win_watermark(e);
    win_set_watermark(e, win_own_watermark(e));
    return win_watermark(e) != before;
}

int win_run_micro_batch(const struct win_spec *spec, uint64_t interval_ns,
                        const struct win_input *in, size_t n, const struct win_sink *sink,
                        struct win_stats *stats, struct ft_error *err) {
    if (!interval_ns) return ft_fail(err, FT_EINVAL, "the trigger interval must be > 0");
    struct win_engine *e;
    int rc = win_new(spec, sink, &e, err);
    if (rc) return rc;
    size_t i = 0;
    uint64_t t = n ? boundary(in[0].arrival_ns, interval_ns) : 0;
    while (n) {
        for (; !rc && i < n && in[i].arrival_ns <= t; i++)
            rc = win_apply(e, &in[i], err);
        if (rc || (rc = win_emit(e, t, err))) break;
        bool moved = advance(e);
        uint64_t next = i < n ? boundary(in[i].arrival_ns, interval_ns) : 0;
        if (moved && (i == n || next > t + interval_ns)) { /* a no-data batch */
            t += interval_ns;
            if ((rc = win_emit(e, t, err))) break;
        }
        if (i == n) break;
        t = next;
    }
    if (!rc) rc = win_finish(e, t, err);
    if (!rc && stats) win_get_stats(e, stats);
    win_free(e);
    return rc;
}

int win_run_continuous(const struct win_spec *spec, const struct win_input *in, size_t n,
                       const struct win_sink *sink, struct win_stats *stats, struct ft_error *err) {
    struct win_engine *e;
    int rc = win_new(spec, sink, &e, err);
    uint64_t t = 0;
    for (size_t i = 0; !rc && i < n; i++) {
        t = in[i].arrival_ns;
        rc = win_apply(e, &in[i], err);
        advance(e);
        if (!rc) rc = win_emit(e, t, err);
    }
    if (!rc) rc = win_finish(e, t, err);
    if (!rc && stats) win_get_stats(e, stats);
    win_free(e);
    return rc;
}

/* ---- the result table ---- */

static uint64_t row_hash(int64_t start, uint64_t key, uint32_t part) {
    uint64_t h = (uint64_t)start * 0x9e3779b97f4a7c15ull ^ key * 0xc2b2ae3d27d4eb4full ^
                 (uint64_t)part * 0x165667b19e3779f9ull;
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9ull;
    return h ^ (h >> 29);
}

void win_table_init(struct win_table *t) {
    memset(t, 0, sizeof *t);
}

void win_table_free(struct win_table *t) {
    free(t->rows);
    free(t->part);
    free(t->index);
    memset(t, 0, sizeof *t);
}

/* Every row into a fresh index of cap slots. */
static int table_reindex(struct win_table *t, size_t cap) {
    uint32_t *idx = malloc(cap * sizeof *idx);
    if (!idx) return FT_ENOMEM;
    memset(idx, 0xff, cap * sizeof *idx);
    for (size_t r = 0; r < t->n; r++) {
        size_t i = row_hash(t->rows[r].start_ns, t->rows[r].key, t->part[r]) & (cap - 1);
        while (idx[i] != EMPTY)
            i = (i + 1) & (cap - 1);
        idx[i] = (uint32_t)r;
    }
    free(t->index);
    t->index = idx;
    t->index_cap = cap;
    t->indexed = t->n;
    return 0;
}

/* The rows appended without a lookup join the index. */
static int catch_up(struct win_table *t) {
    if (t->indexed == t->n && t->index_cap) return 0;
    size_t cap = t->index_cap ? t->index_cap : 64;
    while (2 * t->n > cap)
        cap *= 2;
    if (cap != t->index_cap) return table_reindex(t, cap);
    size_t m = cap - 1;
    for (size_t r = t->indexed; r < t->n; r++) {
        size_t i = row_hash(t->rows[r].start_ns, t->rows[r].key, t->part[r]) & m;
        while (t->index[i] != EMPTY)
            i = (i + 1) & m;
        t->index[i] = (uint32_t)r;
    }
    t->indexed = t->n;
    return 0;
}

/* Appends r; slot: its index slot (the index is up to date), or SIZE_MAX (it lags). */
static int table_add(struct win_table *t, uint32_t part, const struct win_row *r, size_t slot) {
    if (t->n >= WIN_TABLE_ROWS_MAX) return FT_ELIMIT;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        struct win_row *rows = realloc(t->rows, cap * sizeof *rows);
        if (rows) t->rows = rows;
        uint32_t *p = realloc(t->part, cap * sizeof *p);
        if (p) t->part = p;
        if (!rows || !p) return FT_ENOMEM;
        t->cap = cap;
    }
    t->rows[t->n] = *r;
    t->part[t->n] = part;
    if (slot == SIZE_MAX) {
        t->n++;
        return 0;
    }
    t->index[slot] = (uint32_t)t->n++;
    t->indexed = t->n;
    if (2 * t->n > t->index_cap) return table_reindex(t, t->index_cap * 2);
    return 0;
}

int win_table_append(struct win_table *t, uint32_t part, const struct win_row *r, uint32_t *slot) {
    *slot = (uint32_t)t->n;
    return table_add(t, part, r, SIZE_MAX);
}

/* Row x takes r (a close notice keeps its emission time). */
static void table_set(struct win_table *t, size_t x, const struct win_row *r) {
    struct win_row *row = &t->rows[x];
    uint64_t emitted = row->emitted_at_ns;
    *row = *r;
    if (!r->output) row->emitted_at_ns = emitted; /* a close notice is no emission */
}

int win_table_apply_at(struct win_table *t, uint32_t part, const struct win_row *r,
                       uint32_t *slot) {
    size_t x = *slot;
    if (x < t->n && t->rows[x].start_ns == r->start_ns && t->rows[x].key == r->key &&
        t->part[x] == part) {
        table_set(t, x, r);
        return 0;
    }
    if (catch_up(t)) return FT_ENOMEM;
    size_t m = t->index_cap - 1, i = row_hash(r->start_ns, r->key, part) & m;
    for (; t->index[i] != EMPTY; i = (i + 1) & m) {
        x = t->index[i];
        if (t->rows[x].start_ns == r->start_ns && t->rows[x].key == r->key && t->part[x] == part)
            break;
    }
    if (t->index[i] == EMPTY) {
        *slot = (uint32_t)t->n; /* table_add appends the row there */
        return table_add(t, part, r, i);
    }
    *slot = t->index[i];
    table_set(t, t->index[i], r);
    return 0;
}

int win_table_apply(struct win_table *t, uint32_t part, const struct win_row *r) {
    uint32_t slot = UINT32_MAX;
    return win_table_apply_at(t, part, r, &slot);
}

int win_table_combined(struct win_table *t, int64_t start_ns, uint64_t key, uint32_t nparts,
                       enum win_agg agg, struct win_row *out) {
    bool found = false;
    if (catch_up(t)) return FT_ENOMEM;
    for (uint32_t part = 0; t->index_cap && part < nparts; part++) {
        size_t m = t->index_cap - 1, i = row_hash(start_ns, key, part) & m;
        for (; t->index[i] != EMPTY; i = (i + 1) & m) {
            const struct win_row *r = &t->rows[t->index[i]];
            if (r->start_ns != start_ns || r->key != key || t->part[t->index[i]] != part) continue;
            if (!found) {
                *out = *r;
            } else {
                if (__builtin_add_overflow(out->sum, r->sum, &out->sum)) return FT_ELIMIT;
                out->count += r->count;
                out->min = r->min < out->min ? r->min : out->min;
                out->max = r->max > out->max ? r->max : out->max;
                out->final = out->final && r->final;
                if (r->emitted_at_ns > out->emitted_at_ns) out->emitted_at_ns = r->emitted_at_ns;
            }
            found = true;
            break;
        }
    }
    if (!found) return FT_ENOENT;
    out->value = win_agg_value(agg, out->count, out->sum, out->min, out->max);
    return 0;
}

static int cmp_row(const void *a, const void *b) {
    const struct win_row *x = a, *y = b;
    if (x->start_ns != y->start_ns) return x->start_ns < y->start_ns ? -1 : 1;
    return x->key < y->key ? -1 : x->key > y->key;
}

int win_table_rows(const struct win_table *t, enum win_agg agg, struct win_row **out, size_t *n) {
    *out = NULL;
    *n = 0;
    if (!t->n) return 0;
    /* the order from (start, key) and the row's place, then the rows in that order */
    struct win_row *rows = malloc(t->n * sizeof *rows);
    struct wsort *ix = malloc(t->n * sizeof *ix);
    if (!rows || !ix) {
        free(rows);
        free(ix);
        return FT_ENOMEM;
    }
    for (size_t i = 0; i < t->n; i++)
        ix[i] = (struct wsort){t->rows[i].start_ns, t->rows[i].key, (uint32_t)i};
    qsort(ix, t->n, sizeof *ix, wsort_cmp);
    size_t m = 0;
    for (size_t i = 0; i < t->n; i++) {
        const struct win_row *r = &t->rows[ix[i].pos];
        if (m && !cmp_row(&rows[m - 1], r)) { /* another engine's partial: combine */
            struct win_row *c = &rows[m - 1];
            if (__builtin_add_overflow(c->sum, r->sum, &c->sum)) {
                free(rows);
                free(ix);
                return FT_ELIMIT;
            }
            c->count += r->count;
            c->min = r->min < c->min ? r->min : c->min;
            c->max = r->max > c->max ? r->max : c->max;
            c->final = c->final && r->final;
            if (r->emitted_at_ns > c->emitted_at_ns) c->emitted_at_ns = r->emitted_at_ns;
            c->value = win_agg_value(agg, c->count, c->sum, c->min, c->max);
            continue;
        }
        rows[m++] = *r;
    }
    free(ix);
    *out = rows;
    *n = m;
    return 0;
}

/* ---- comparison with the reference (window_ref.c) ---- */

size_t win_rows_mismatched(const struct win_row *got, size_t ngot, const struct win_row *want,
                           size_t nwant) {
    size_t i = 0, j = 0, bad = 0;
    while (i < ngot || j < nwant) {
        int c = i == ngot ? 1 : j == nwant ? -1 : cmp_row(&got[i], &want[j]);
        if (c) {
            bad++;
            if (c < 0)
                i++;
            else
                j++;
            continue;
        }
        if (!got[i].final || got[i].value != want[j].value || got[i].end_ns != want[j].end_ns)
            bad++;
        i++;
        j++;
    }
    return bad;
}
