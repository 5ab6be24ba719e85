/* The windows figure's final tables (docs/plots.md, windows-SCENARIO): each window's
 * final value per key (the row a sink showed last, event-time windows), one series per
 * key when there are at most WF_KEYS_MAX keys (the scenario's point is often one key:
 * host-2's attack), else, for an additive aggregate (count, sum), the total over the
 * keys; and, when the protocols of the same seed end with different totals, each
 * protocol's total minus the one exactly-once protocol that promises the window table
 * (checkpoint, else idempotent, else transactional). A mean, min or max is never summed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "plot_internal.h"
#include "plot_windows.h"

#define WF_KEYS_MAX 8u
#define WF_ROWS_MAX 200000u

static const char *const key_colors[WF_KEYS_MAX] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                                    "#E69F00", "#56B4E9", "#000000", "#8C564B"};
static const int key_points[WF_KEYS_MAX] = {7, 5, 9, 11, 13, 15, 4, 6};

struct wf_row {
    double start_s, value;
    char key[PLOT_TEXT_MAX];
};

/* Run's final value per (event-time window, key), ordered by key then window; with
 * total, the sum over keys per window (key ""). */
static int wf_read(struct plot_ctx *c, sqlite3_int64 run, bool domains, bool total,
                   struct wf_row **out, size_t *n) {
    char sql[900];
    snprintf(sql, sizeof sql,
             "WITH f AS (SELECT window_start_ns AS ws, key, value, row_number() OVER (PARTITION"
             " BY window_start_ns, window_end_ns, key ORDER BY final DESC, emitted_at_ns DESC)"
             " AS rn FROM window_results WHERE run_id = ?1 AND %s = 'event')"
             " SELECT ws, %s, %s FROM f WHERE rn = 1 %s ORDER BY 2, 1",
             domains ? "time_domain" : "'event'", total ? "''" : "coalesce(key, '')",
             total ? "sum(value)" : "value", total ? "GROUP BY ws" : "");
    sqlite3_stmt *st;
    int rc = plot_prepare(c, sql, &st);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, run);
    struct wf_row *rows = NULL;
    size_t cap = 0;
    *n = 0;
    while ((rc = plot_step(c, st)) == 1) {
        if (*n >= WF_ROWS_MAX || ft_grow((void **)&rows, &cap, *n + 1, sizeof *rows, 256)) {
            rc = ft_fail(c->err, FT_ELIMIT, "windows: more than %u final rows in run %lld",
                         WF_ROWS_MAX, (long long)run);
            break;
        }
        struct wf_row *r = &rows[(*n)++];
        r->start_s = (double)sqlite3_column_int64(st, 0) / 1e9;
        plot_text(r->key, sizeof r->key, st, 1);
        r->value = sqlite3_column_double(st, 2);
    }
    sqlite3_finalize(st);
    if (rc < 0) {
        free(rows);
        return rc;
    }
    *out = rows;
    return 0;
}

static uint32_t count_keys(const struct wf_row *r, size_t n) {
    uint32_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += i == 0 || strcmp(r[i].key, r[i - 1].key) != 0;
    return k;
}

void wf_free(struct wf_data *d) {
    free(d->keys);
    for (uint32_t i = 0; i < d->nprotos; i++)
        free(d->proto_rows[i]);
    memset(d, 0, sizeof *d);
}

/* The other protocols of run's seed: their totals per window, kept only when one of
 * them differs from another. */
static int wf_protocols(struct plot_ctx *c, const struct wf_query *q, struct wf_data *d) {
    sqlite3_stmt *st;
    int rc = plot_prepare(c,
                          "SELECT r.id, r.protocol FROM runs r WHERE r.scenario = ?1 AND"
                          " r.seed = ?2 AND" PLOT_PLAIN_LATEST " AND EXISTS (SELECT 1 FROM"
                          " window_results w WHERE w.run_id = r.id)",
                          &st);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, q->scenario, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, q->seed);
    while (!rc && (rc = plot_step(c, st)) == 1 && d->nprotos < WF_PROTOS_MAX) {
        uint32_t i = d->nprotos++;
        plot_text(d->protos[i], sizeof d->protos[i], st, 1);
        rc = wf_read(c, sqlite3_column_int64(st, 0), q->domains, true, &d->proto_rows[i],
                     &d->proto_n[i]);
    }
    sqlite3_finalize(st);
    if (rc < 0) return rc;
    for (uint32_t i = 1; i < d->nprotos && !d->protos_differ; i++) {
        bool eq = d->proto_n[i] == d->proto_n[0];
        for (size_t k = 0; eq && k < d->proto_n[0]; k++)
            eq = d->proto_rows[i][k].value == d->proto_rows[0][k].value &&
                 d->proto_rows[i][k].start_s == d->proto_rows[0][k].start_s;
        d->protos_differ = !eq;
    }
    /* protocol order as everywhere else, so colours and styles match */
    for (uint32_t i = 1; i < d->nprotos; i++)
        for (uint32_t j = i;
             j > 0 && plot_protocol_rank(d->protos[j]) < plot_protocol_rank(d->protos[j - 1]);
             j--) {
            char t[PLOT_TEXT_MAX];
            struct wf_row *r = d->proto_rows[j];
            size_t m = d->proto_n[j];
            memcpy(t, d->protos[j], sizeof t);
            memcpy(d->protos[j], d->protos[j - 1], sizeof t);
            memcpy(d->protos[j - 1], t, sizeof t);
            d->proto_rows[j] = d->proto_rows[j - 1];
            d->proto_n[j] = d->proto_n[j - 1];
            d->proto_rows[j - 1] = r;
            d->proto_n[j - 1] = m;
        }
    return 0;
}

int wf_load(struct plot_ctx *c, const struct wf_query *q, struct wf_data *d) {
    memset(d, 0, sizeof *d);
    int rc = wf_read(c, q->run, q->domains, false, &d->keys, &d->nkeys_rows);
    if (rc) return rc;
    d->nkeys = count_keys(d->keys, d->nkeys_rows);
    if (d->nkeys > WF_KEYS_MAX && q->additive) { /* too many lines: their total */
        free(d->keys);
        d->keys = NULL;
        d->total = true;
        rc = wf_read(c, q->run, q->domains, true, &d->keys, &d->nkeys_rows);
    }
    if (!rc && q->additive) rc = wf_protocols(c, q, d);
    return rc;
}

/* The x axis of a final-table panel: window starts (event time). */
static void wf_axis(FILE *gp, const struct wf_row *r, size_t n, bool clock) {
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        lo = fmin(lo, r[i].start_s);
        hi = fmax(hi, r[i].start_s);
    }
    if (!(lo <= hi)) lo = hi = 0;
    double pad = 0.04 * (hi - lo) + (hi == lo);
    fprintf(gp, "set xrange [%.9g:%.9g]\n", lo - pad, hi + pad);
    if (clock)
        plot_clock_tics(gp, 'x', lo - pad, hi + pad, true);
    else
        fputs("set xtics autofreq\n", gp);
    fprintf(gp, "set xlabel \"window start (event time%s)\"\n", clock ? ", clock time" : ", s");
}

void wf_panels(struct plot_fig *f, const struct wf_query *q, const struct wf_data *d, bool clock) {
    FILE *gp = f->gp;
    char ylabel[400], q1[900];
    if (d->total)
        plot_summed_words(q->value_words, ylabel, sizeof ylabel);
    else
        plot_per_line(q->value_words, ylabel, sizeof ylabel);
    wf_axis(gp, d->keys, d->nkeys_rows, clock);
    /* the y axis fits the values; from 0 when they come near it */
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < d->nkeys_rows; i++) {
        lo = fmin(lo, d->keys[i].value);
        hi = fmax(hi, d->keys[i].value);
    }
    if (!(lo <= hi)) lo = hi = 0;
    bool from0 = lo >= 0 && lo <= 0.3 * hi;
    double pad = 0.1 * (hi - lo) + (hi == lo);
    char note[64] = "";
    if (!from0) snprintf(note, sizeof note, "; the y axis starts at %.4g", lo - pad);
    fprintf(gp,
            "set title \"final value of each event-time window%s (%s)%s\"\nset ylabel %s\n"
            "set yrange [%.9g:%.9g]\nset key outside right top\nplot ",
            d->total ? ", all keys together" : ", per key", q->protocol, note,
            plot_q(q1, sizeof q1, ylabel), from0 ? 0.0 : lo - pad, hi + pad);
    uint32_t s = 0, left_out = 0;
    for (size_t first = 0, i = 1; i <= d->nkeys_rows; i++) {
        if (i < d->nkeys_rows && strcmp(d->keys[i].key, d->keys[first].key) == 0) continue;
        if (s == WF_KEYS_MAX) {
            left_out++;
            first = i;
            continue;
        }
        uint32_t b = plot_block(f, "final values, key %s: 1 window_start_s  2 value",
                                d->total ? "(all, summed)" : d->keys[first].key);
        for (size_t k = first; k < i; k++)
            fprintf(f->dat, "%.9g %.9g\n", d->keys[k].start_s, d->keys[k].value);
        char title[PLOT_TEXT_MAX + 16];
        snprintf(title, sizeof title, "%s", d->total ? "all keys" : d->keys[first].key);
        fprintf(gp,
                "%s\"%s.dat\" index %u using 1:2 with linespoints lw 2 pt %d ps 1.1*pscale "
                "lc rgb \"%s\" title %s",
                s ? ", \\\n     " : "", f->name, b, key_points[s], key_colors[s],
                plot_q(q1, sizeof q1, title));
        s++;
        first = i;
    }
    fputc('\n', gp);
    if (left_out)
        fprintf(gp, "# %u more keys left out (at most %u series)\n", left_out, WF_KEYS_MAX);
    if (!d->protos_differ) return;
    /* the protocols' totals differ, often by a record or two in a few hundred: each is
     * drawn as its difference from an exactly-once protocol's, so the gap shows */
    /* the reference: exactly-once-checkpoint (the one that keeps window state through a
     * crash), else exactly-once, else exactly-once-txn, else the first */
    static const char *const prefer[] = {"exactly-once-checkpoint", "exactly-once",
                                         "exactly-once-txn"};
    uint32_t ref = 0;
    for (size_t k = sizeof prefer / sizeof prefer[0]; k-- > 0;)
        for (uint32_t p = 0; p < d->nprotos; p++)
            if (strcmp(d->protos[p], prefer[k]) == 0) ref = p;
    lo = 0, hi = 0;
    for (uint32_t p = 0; p < d->nprotos; p++)
        for (size_t k = 0; k < d->proto_n[p] && k < d->proto_n[ref]; k++) {
            double v = d->proto_rows[p][k].value - d->proto_rows[ref][k].value;
            lo = fmin(lo, v);
            hi = fmax(hi, v);
        }
    char total_words[400], yl[500];
    plot_summed_words(q->value_words, total_words, sizeof total_words);
    snprintf(yl, sizeof yl, "%s:\nminus %s's", total_words, d->protos[ref]);
    fprintf(gp,
            "set title \"each protocol's window total minus %s's (0: the same table)\"\n"
            "set ylabel %s\nset yrange [%.9g:%.9g]\nplot ",
            d->protos[ref], plot_q(q1, sizeof q1, yl), lo - 0.6, hi + 0.6);
    for (uint32_t p = 0; p < d->nprotos; p++) {
        uint32_t b = plot_block(f,
                                "totals, %s: 1 window_start_s  2 value summed over keys  3 minus "
                                "%s's",
                                d->protos[p], d->protos[ref]);
        for (size_t k = 0; k < d->proto_n[p]; k++)
            fprintf(f->dat, "%.9g %.9g %.9g\n", d->proto_rows[p][k].start_s,
                    d->proto_rows[p][k].value,
                    k < d->proto_n[ref] ? d->proto_rows[p][k].value - d->proto_rows[ref][k].value
                                        : NAN);
        fprintf(gp,
                "%s\"%s.dat\" index %u using 1:3 with linespoints lw 2 dt %d pt %d ps "
                "1.3*pscale lc rgb \"%s\" title %s",
                p ? ", \\\n     " : "", f->name, b, plot_protocol_dash(d->protos[p]),
                plot_protocol_point(d->protos[p]), plot_protocol_color(d->protos[p]),
                plot_q(q1, sizeof q1, d->protos[p]));
    }
    fputc('\n', gp);
}
