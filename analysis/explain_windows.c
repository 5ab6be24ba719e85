/* The window rows of an explanation (explain.h): the run's final table is compared
 * with the reference the pure window engine computes from the generated input (every
 * record in every window it belongs to, as experiment.c's reference), row by row
 * as win_rows_mismatched does (missing, extra, not final, another value). A differing
 * row is explained by its records, found in the generated input (key after the
 * query's operators, event time inside the window), and what the trace says of them:
 * how many reached a worker more than once, how many never reached one, how many
 * reached one only after the row's final emission (late), and the first crash of a
 * worker that had taken some of them before the row was last emitted. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "explain_internal.h"
#include "query.h"
#include "source.h"
#include "window.h"

/* The records the query keeps, by (key after the query, event time): a row's records
 * are one range; and the reference table. */
struct ex_in_rec {
    uint64_t key, event_ns, id;
};
struct ex_input {
    struct ex_in_rec *recs;
    size_t n;
    struct win_row *ref;
    size_t nref;
};

static int by_key_time(const void *a, const void *b) {
    const struct ex_in_rec *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    if (x->event_ns != y->event_ns) return x->event_ns < y->event_ns ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* The first of the records at or after (key, t). */
static size_t lower(const struct ex_input *in, uint64_t key, int64_t t) {
    struct ex_in_rec k = {key, t < 0 ? 0 : (uint64_t)t, 0};
    size_t lo = 0, hi = in->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (by_key_time(&in->recs[mid], &k) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int read_input(const struct ex_trace *t, struct src_gen *g, struct query *q,
                      struct ex_input *in, struct ft_error *err) {
    const struct pipe_config *cfg = t->cfg;
    struct win_ref *ref = NULL;
    int rc = query_compile(&cfg->query, g, q, err);
    if (rc) return rc;
    in->recs = malloc((t->nrec ? t->nrec : 1) * sizeof *in->recs);
    if (!in->recs) return ft_fail(err, FT_ENOMEM, "out of memory for the input");
    rc = win_ref_new(&cfg->query.window, &ref, err);
    struct src_record r;
    while (!rc && src_gen_next(g, &r)) {
        uint64_t k;
        int64_t v;
        if (r.defect || query_apply(q, r.key, r.value, &k, &v) != QUERY_KEEP) continue;
        if (r.id < t->nrec && in->n < t->nrec)
            in->recs[in->n++] = (struct ex_in_rec){k, r.event_ns, r.id};
        struct win_input wi = {k, r.event_ns, v, r.arrival_ns};
        rc = win_ref_add(ref, &wi, err);
    }
    if (!rc) rc = win_ref_rows(ref, &in->ref, &in->nref, err);
    win_ref_free(ref);
    qsort(in->recs, in->n, sizeof *in->recs, by_key_time);
    return rc;
}

/* The run's row for (start, name) among rows[lo, hi) (the rows of one window start). */
static const struct exp_window_row *find_row(const struct exp_windows *w, size_t lo, size_t hi,
                                             const char *name) {
    for (size_t i = lo; i < hi; i++)
        if (strcmp(w->rows[i].key, name) == 0) return &w->rows[i];
    return NULL;
}

static bool is_worker(const struct ex_trace *t, uint32_t node) {
    return node >= 2 && node < t->cfg->workers + 2;
}

/* What the trace says of record rec for row x: how often it reached a worker, whether
 * first after `final_ns` (the row's final emission: too late to count); the first
 * time it reached each worker (first_at, by node). */
static void row_record(const struct ex_trace *t, uint64_t rec, uint64_t final_ns,
                       struct explain_row *x, uint32_t *first_at) {
    uint32_t n = 0;
    uint64_t first_ns = UINT64_MAX;
    for (uint32_t k = t->roff[rec]; k < t->roff[rec + 1]; k++) {
        const struct sim_trace_rec *r = &t->ev[t->rix[k]];
        if (r->type != SIM_TR_DELIVER || r->kind != PIPE_MSG_RECORD || !is_worker(t, r->node))
            continue;
        n++;
        if (r->time_ns < first_ns) first_ns = r->time_ns;
        if (r->node < EX_NODES_MAX && t->rix[k] < first_at[r->node]) first_at[r->node] = t->rix[k];
    }
    if (n && first_ns > final_ns && !x->late++) x->example_late = rec;
    if (n > 1 && !x->twice++) x->example_twice = rec;
    if (n == 0 && !x->never++) x->example_never = rec;
}

/* Whether record rec reached node before trace index `before`. */
static bool reached_before(const struct ex_trace *t, uint64_t rec, uint32_t node, uint32_t before) {
    for (uint32_t k = t->roff[rec]; k < t->roff[rec + 1] && t->rix[k] < before; k++) {
        const struct sim_trace_rec *r = &t->ev[t->rix[k]];
        if (r->type == SIM_TR_DELIVER && r->kind == PIPE_MSG_RECORD && r->node == node) return true;
    }
    return false;
}

/* The row's records: in->recs[lo, hi). The first crash of a worker that had taken some
 * of them, before the row was last emitted (or the run ended), lost the row's state;
 * and how many of them it had taken by then. */
static void explain_row(const struct ex_trace *t, const struct ex_input *in, size_t lo, size_t hi,
                        const struct exp_window_row *got, struct explain_row *x) {
    uint32_t first_at[EX_NODES_MAX];
    for (uint32_t i = 0; i < EX_NODES_MAX; i++)
        first_at[i] = EXPLAIN_NONE;
    x->example_twice = x->example_never = x->example_late = UINT64_MAX;
    x->records = hi - lo;
    uint64_t until = got && got->final ? got->emitted_at_ns : UINT64_MAX;
    x->final_ns = until;
    for (size_t i = lo; i < hi; i++)
        row_record(t, in->recs[i].id, until, x, first_at);
    uint32_t best = EXPLAIN_NONE;
    for (uint32_t node = 2; node < t->cfg->workers + 2 && node < EX_NODES_MAX; node++) {
        if (first_at[node] == EXPLAIN_NONE) continue;
        uint32_t c = ex_first_after(&t->crash[node], first_at[node], (uint32_t)t->n);
        if (c != EXPLAIN_NONE && t->ev[c].time_ns <= until && c < best) best = c;
    }
    if (best == EXPLAIN_NONE) return;
    x->has_crash = true;
    ex_event(t, best, EXPLAIN_CAUSE, true, &x->crash);
    for (size_t i = lo; i < hi; i++)
        x->before_crash += reached_before(t, in->recs[i].id, t->ev[best].node, best);
}

static int add_row(struct explain_result *out, size_t *cap, const struct explain_row *x) {
    out->rows_differ++;
    if (out->nrows >= EXPLAIN_ROWS_MAX) return 0;
    struct explain_row *rows = out->rows;
    if (out->nrows == *cap) {
        *cap = *cap ? 2 * *cap : 16;
        rows = realloc(out->rows, *cap * sizeof *rows);
        if (!rows) return FT_ENOMEM;
        out->rows = rows;
    }
    out->rows[out->nrows++] = *x;
    return 0;
}

/* Walks the reference and the run's table window by window; then the run's rows that
 * matched no reference row. */
static int compare(const struct ex_trace *t, const struct query *q, const struct ex_input *in,
                   const struct exp_windows *w, struct explain_result *out) {
    size_t cap = 0, lo = 0;
    bool *matched = calloc(w->n ? w->n : 1, sizeof *matched);
    int rc = matched ? 0 : FT_ENOMEM;
    for (size_t j = 0; j < in->nref && !rc; j++) {
        const struct win_row *ref = &in->ref[j];
        while (lo < w->n && w->rows[lo].window_start_ns < ref->start_ns)
            lo++;
        size_t hi = lo;
        while (hi < w->n && w->rows[hi].window_start_ns == ref->start_ns)
            hi++;
        char name[EXP_KEY_BYTES];
        query_key_name(q, ref->key, name, sizeof name);
        const struct exp_window_row *got = find_row(w, lo, hi, name);
        if (got) matched[got - w->rows] = true;
        if (got && got->final && got->value == ref->value && got->window_end_ns == ref->end_ns)
            continue;
        struct explain_row x = {.start_ns = ref->start_ns,
                                .end_ns = ref->end_ns,
                                .value = got ? got->value : NAN,
                                .reference = ref->value};
        snprintf(x.key, sizeof x.key, "%s", name);
        if (out->nrows < EXPLAIN_ROWS_MAX)
            explain_row(t, in, lower(in, ref->key, ref->start_ns), lower(in, ref->key, ref->end_ns),
                        got, &x);
        rc = add_row(out, &cap, &x);
    }
    for (size_t i = 0; i < w->n && !rc; i++) {
        if (matched[i]) continue;
        const struct exp_window_row *g = &w->rows[i];
        struct explain_row x = {.start_ns = g->window_start_ns,
                                .end_ns = g->window_end_ns,
                                .value = g->value,
                                .reference = 0,
                                .example_twice = UINT64_MAX,
                                .example_never = UINT64_MAX};
        snprintf(x.key, sizeof x.key, "%s", g->key);
        rc = add_row(out, &cap, &x);
    }
    free(matched);
    return rc;
}

int explain_rows(const struct ex_trace *t, uint64_t seed, const struct exp_windows *w,
                 struct explain_result *out, struct ft_error *err) {
    struct src_gen g;
    struct query q = {0};
    struct ex_input in = {0};
    int rc = src_gen_open(&g, &t->cfg->source, t->cfg->duration_ns, seed, err);
    if (rc) return rc;
    rc = read_input(t, &g, &q, &in, err);
    if (!rc && (rc = compare(t, &q, &in, w, out)) != 0)
        ft_fail(err, rc, "out of memory for the window rows");
    free(in.recs);
    free(in.ref);
    query_free(&q);
    src_gen_free(&g);
    return rc;
}
