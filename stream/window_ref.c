/* The no-lateness reference of a window query (win_ref_*, win_reference): every record
 * counted in every window [kS, kS + L) that contains its event time, nothing late. It
 * keeps only the aggregates, in the table of window_state.h (a record's windows side by
 * side), with none of the engine's watermark, closing or output modes. To keep that
 * table small (in cache), windows that no record seen so far could still reach (their
 * end is more than the largest lateness yet seen behind the largest event time) move
 * out to a list when the table fills; a later record for one of them starts a second
 * aggregate of the same window, and the sorted rows merge them (win_ref_spill moves
 * them all out, for input grouped by key). Once the table outgrows the cache, records
 * are applied a few behind their arrival, so the state of each is fetched while earlier
 * ones apply. The rows are made in the list's own array (no second copy of the table). */
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "window.h"
#include "window_state.h"

#define REF_AHEAD 8u
#define REF_SMALL 1024u /* a working table this small is applied to at once */

struct win_ref {
    struct win_spec spec;
    struct wtab tab;
    struct wagg *out; /* aggregates moved out of the table */
    size_t nout, cap_out;
    bool seen;
    uint64_t max_event, max_late;      /* the largest event time and lateness so far */
    uint64_t last_ns;                  /* the latest arrival: the rows' emission time */
    struct win_input ahead[REF_AHEAD]; /* added, not applied yet (a ring) */
    uint32_t head, n;
};

int win_ref_new(const struct win_spec *spec, struct win_ref **out, struct ft_error *err) {
    *out = NULL;
    int rc = win_spec_check(spec, err);
    if (rc) return rc;
    struct win_ref *r = calloc(1, sizeof *r);
    if (!r) return ft_fail(err, FT_ENOMEM, "out of memory for the reference");
    r->spec = *spec;
    *out = r;
    return 0;
}

void win_ref_free(struct win_ref *r) {
    if (!r) return;
    wtab_free(&r->tab);
    free(r->out);
    free(r);
}

/* floor(a / b), b > 0. */
static int64_t div_floor(int64_t a, int64_t b) {
    return a / b - (a % b != 0 && a < 0);
}

/* kS <= t < kS + L: k from floor((t - L) / S) + 1 to floor(t / S). */
static void windows_of(const struct win_spec *w, uint64_t t_ns, int64_t *first, int64_t *last) {
    int64_t t = (int64_t)t_ns, S = (int64_t)w->slide_ns, L = (int64_t)w->length_ns;
    *first = div_floor(t - L, S) + 1;
    *last = div_floor(t, S);
}

/* Moves out the aggregates no record as late as any seen so far can reach. */
static int move_out_old(struct win_ref *r) {
    if (!r->seen || r->max_event < r->max_late) return 0;
    int64_t horizon = (int64_t)(r->max_event - r->max_late); /* every future event >= this,
                                                                  as far as we know */
    for (uint32_t i = 0; i < r->tab.cap; i++) {
        struct wagg *c = &r->tab.a[i];
        if (c->state != WAGG_LIVE ||
            c->k * (int64_t)r->spec.slide_ns + (int64_t)r->spec.length_ns > horizon)
            continue;
        if (ft_grow((void **)&r->out, &r->cap_out, r->nout + 1, sizeof *r->out, 1024))
            return FT_ENOMEM;
        r->out[r->nout++] = *c;
        wtab_remove(&r->tab, i);
    }
    return 0;
}

/* Room for n more aggregates: old ones leave first when the table is full. */
static int reserve(struct win_ref *r, uint32_t n) {
    if (r->tab.cap && 2 * ((uint64_t)r->tab.live + r->tab.tomb + n) > r->tab.cap && move_out_old(r))
        return FT_ENOMEM;
    return wtab_reserve(&r->tab, n, NULL, 0);
}

static int apply(struct win_ref *r, const struct win_input *in, struct ft_error *err) {
    int64_t first, last;
    windows_of(&r->spec, in->event_ns, &first, &last);
    if (reserve(r, (uint32_t)(last - first + 1)))
        return ft_fail(err, FT_ENOMEM, "out of memory for the reference");
    if (r->seen && in->event_ns < r->max_event && r->max_event - in->event_ns > r->max_late)
        r->max_late = r->max_event - in->event_ns;
    if (!r->seen || in->event_ns > r->max_event) r->max_event = in->event_ns;
    r->seen = true;
    for (int64_t k = first; k <= last; k++) {
        bool found;
        uint32_t pos = wtab_find(&r->tab, k, in->key, &found);
        struct wagg *c = &r->tab.a[pos];
        if (!found) {
            if (r->tab.live + r->nout >= WIN_ENTRIES_MAX)
                return ft_fail(err, FT_ELIMIT,
                               "more than %u open (window, key) aggregates: shorten the "
                               "watermark delay or the windows",
                               WIN_ENTRIES_MAX);
            if (c->state == WAGG_TOMB) r->tab.tomb--;
            *c = (struct wagg){
                .k = k, .key = in->key, .min = INT64_MAX, .max = INT64_MIN, .state = WAGG_LIVE};
            r->tab.live++;
        }
        if (__builtin_add_overflow(c->sum, in->value, &c->sum))
            return ft_fail(err, FT_ELIMIT, "a window's sum overflows 64 bits");
        c->count++;
        if (in->value < c->min) c->min = in->value;
        if (in->value > c->max) c->max = in->value;
    }
    return 0;
}

/* Applies the oldest record waiting. */
static int apply_oldest(struct win_ref *r, struct ft_error *err) {
    const struct win_input *in = &r->ahead[r->head];
    r->head = (r->head + 1) % REF_AHEAD;
    r->n--;
    return apply(r, in, err);
}

int win_ref_spill(struct win_ref *r, struct ft_error *err) {
    int rc = 0;
    while (!rc && r->n) rc = apply_oldest(r, err);
    if (rc) return rc;
    if (ft_grow((void **)&r->out, &r->cap_out, r->nout + r->tab.live, sizeof *r->out, 1024))
        return ft_fail(err, FT_ENOMEM, "out of memory for the reference");
    for (uint32_t i = 0; i < r->tab.cap; i++) {
        struct wagg *c = &r->tab.a[i];
        if (c->state == WAGG_LIVE) r->out[r->nout++] = *c;
        c->state = WAGG_EMPTY;
    }
    r->tab.live = r->tab.tomb = 0;
    return 0;
}

int win_ref_add(struct win_ref *r, const struct win_input *in, struct ft_error *err) {
    if (in->event_ns > (uint64_t)WIN_TIME_MAX)
        return ft_fail(err, FT_EINVAL, "event time %llu ns is beyond the supported range",
                       (unsigned long long)in->event_ns);
    if (in->arrival_ns > r->last_ns) r->last_ns = in->arrival_ns;
    if (!r->n && r->tab.cap <= REF_SMALL) return apply(r, in, err); /* in cache anyway */
    int rc = r->n == REF_AHEAD ? apply_oldest(r, err) : 0;
    if (rc) return rc;
    r->ahead[(r->head + r->n++) % REF_AHEAD] = *in;
    int64_t first, last;
    windows_of(&r->spec, in->event_ns, &first, &last);
    wtab_prefetch(&r->tab, first, last, in->key);
    return 0;
}

/* out[] into (k, key) order: the order sorted on 24-byte items, then the aggregates
 * moved along its cycles, each once. 0 or FT_ENOMEM. */
static int sort_out(struct win_ref *r) {
    size_t n = r->nout;
    struct wsort *ix = malloc((n ? n : 1) * sizeof *ix);
    if (!ix) return FT_ENOMEM;
    for (size_t i = 0; i < n; i++)
        ix[i] = (struct wsort){r->out[i].k, r->out[i].key, (uint32_t)i};
    qsort(ix, n, sizeof *ix, wsort_cmp);
    for (size_t j = 0; j < n; j++) { /* sorted[j] = out[ix[j].pos] */
        if (ix[j].pos == j) continue;
        struct wagg first = r->out[j];
        size_t k = j;
        for (;;) {
            size_t from = ix[k].pos;
            ix[k].pos = (uint32_t)k; /* placed */
            if (from == j) {
                r->out[k] = first;
                break;
            }
            r->out[k] = r->out[from];
            k = from;
        }
    }
    free(ix);
    return 0;
}

/* The table's aggregates join those moved out, sorted by (k, key); two of one window
 * (a record later than any before it) combine. */
static int gather(struct win_ref *r, struct ft_error *err) {
    if (ft_grow((void **)&r->out, &r->cap_out, r->nout + r->tab.live, sizeof *r->out, 1024))
        return ft_fail(err, FT_ENOMEM, "cannot hold the reference table");
    for (uint32_t i = 0; i < r->tab.cap; i++)
        if (r->tab.a[i].state == WAGG_LIVE) r->out[r->nout++] = r->tab.a[i];
    if (sort_out(r)) return ft_fail(err, FT_ENOMEM, "cannot hold the reference table");
    size_t m = 0;
    for (size_t i = 0; i < r->nout; i++) {
        struct wagg *c = &r->out[i], *p = m ? &r->out[m - 1] : NULL;
        if (!p || p->k != c->k || p->key != c->key) {
            r->out[m++] = *c;
            continue;
        }
        if (__builtin_add_overflow(p->sum, c->sum, &p->sum))
            return ft_fail(err, FT_ELIMIT, "a window's sum overflows 64 bits");
        p->count += c->count;
        if (c->min < p->min) p->min = c->min;
        if (c->max > p->max) p->max = c->max;
    }
    r->nout = m;
    return 0;
}

/* The final row of aggregate c. */
static struct win_row row_of(const struct win_ref *r, const struct wagg *c) {
    int64_t start = c->k * (int64_t)r->spec.slide_ns;
    return (struct win_row){.start_ns = start,
                            .end_ns = start + (int64_t)r->spec.length_ns,
                            .key = c->key,
                            .count = c->count,
                            .sum = c->sum,
                            .min = c->min,
                            .max = c->max,
                            .value = win_agg_value(r->spec.agg, c->count, c->sum, c->min, c->max),
                            .emitted_at_ns = r->last_ns,
                            .final = true,
                            .output = true};
}

int win_ref_rows(struct win_ref *r, struct win_row **out, size_t *n, struct ft_error *err) {
    *out = NULL;
    *n = 0;
    int rc = 0;
    while (!rc && r->n)
        rc = apply_oldest(r, err);
    if (!rc) rc = gather(r, err);
    if (rc) return rc;
    /* The rows take the aggregates' own array, grown to row size and filled from the
     * end: row i (at 80 i bytes) covers aggregates i and later only, which are read
     * already. No second array of the whole table. */
    _Static_assert(sizeof(struct win_row) >= sizeof(struct wagg), "rows fill from the end");
    struct win_row *rows = realloc(r->out, (r->nout ? r->nout : 1) * sizeof *rows);
    if (!rows) return ft_fail(err, FT_ENOMEM, "cannot hold the reference table");
    r->out = NULL;
    r->cap_out = 0;
    for (size_t i = r->nout; i-- > 0;) {
        struct wagg c = ((const struct wagg *)(void *)rows)[i];
        rows[i] = row_of(r, &c);
    }
    *out = rows;
    *n = r->nout;
    r->nout = 0;
    return 0;
}

int win_reference(const struct win_spec *spec, const struct win_input *in, size_t n,
                  struct win_row **out, size_t *nout, struct ft_error *err) {
    struct win_ref *r;
    int rc = win_ref_new(spec, &r, err);
    for (size_t i = 0; !rc && i < n; i++)
        rc = win_ref_add(r, &in[i], err);
    if (!rc) rc = win_ref_rows(r, out, nout, err);
    win_ref_free(r);
    return rc;
}
