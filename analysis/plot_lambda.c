/* (f) The lambda architecture (table lambda_views, schema v4; docs/plots.md): for each
 * scenario, every protocol's run on the file's seed (else the least), three panels over
 * processing time: the served view's total against the reference (records created so
 * far), the difference served - reference (above zero: duplicates the speed layer counted, until
 * a batch view recomputed from the lake corrects them; below: records in flight), and
 * the staleness of the served view with the age of the batch view it uses. */
#include <stdlib.h>
#include <string.h>

#include "plot_internal.h"

#define LAMBDA_PTS_MAX 200000u
#define LAMBDA_PROTOCOLS_MAX 8u

struct lam_run {
    sqlite3_int64 id, seed;
    char protocol[PLOT_TEXT_MAX];
};

/* The runs to draw: per protocol, the file's seed (table scenarios), else the least, with
 * lambda rows. */
static int lam_runs(struct plot_ctx *c, const char *scenario, struct lam_run *runs, uint32_t *n) {
    sqlite3_stmt *st;
    int rc = plot_prepare(c,
                          "SELECT r.id, r.seed, r.protocol FROM runs r WHERE r.scenario = ?1"
                          " AND" PLOT_PLAIN_LATEST " AND EXISTS (SELECT 1 FROM lambda_views v"
                          " WHERE v.run_id = r.id) ORDER BY r.protocol, r.seed = ?2 DESC,"
                          " r.seed < 0, r.seed",
                          &st);
    if (rc) return rc;
    struct plot_meta meta; /* the file's own seed first (table scenarios), as ftsim run */
    bool known = plot_scenario_meta(c, scenario, &meta);
    sqlite3_bind_text(st, 1, scenario, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, known ? meta.seed : 0);
    *n = 0;
    while ((rc = plot_step(c, st)) == 1 && *n < LAMBDA_PROTOCOLS_MAX) {
        char proto[PLOT_TEXT_MAX];
        plot_text(proto, sizeof proto, st, 2);
        if (*n && strcmp(runs[*n - 1].protocol, proto) == 0) continue; /* a later seed */
        runs[*n] = (struct lam_run){sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), ""};
        snprintf(runs[*n].protocol, sizeof runs[*n].protocol, "%s", proto);
        (*n)++;
    }
    sqlite3_finalize(st);
    if (rc < 0) return rc;
    /* documented protocol order, so colours and dashes match the other figures */
    for (uint32_t i = 1; i < *n; i++)
        for (uint32_t j = i; j > 0 && plot_protocol_rank(runs[j].protocol) <
                                          plot_protocol_rank(runs[j - 1].protocol);
             j--) {
            struct lam_run t = runs[j];
            runs[j] = runs[j - 1];
            runs[j - 1] = t;
        }
    return 0;
}

/* One block per run: 1 t_s  2 served  3 reference  4 served - reference  5 staleness_s
 * 6 batch view age_s (NaN before the first view). Returns the last time. */
static int lam_block(struct plot_ctx *c, struct plot_fig *f, const struct lam_run *r,
                     double *tmax) {
    sqlite3_stmt *st;
    int rc = plot_prepare(c,
                          "SELECT t_ns, served, reference, batch_ns, staleness_ns FROM lambda_views"
                          " WHERE run_id = ?1 AND key IS NULL ORDER BY seq",
                          &st);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, r->id);
    plot_block(f, "%s, seed %llu", r->protocol, plot_seed(r->seed));
    uint32_t rows = 0;
    while ((rc = plot_step(c, st)) == 1 && rows++ < LAMBDA_PTS_MAX) {
        double t = (double)sqlite3_column_int64(st, 0) / 1e9;
        long long served = sqlite3_column_int64(st, 1), ref = sqlite3_column_int64(st, 2);
        fprintf(f->dat, "%.9g %lld %lld %lld %.9g ", t, served, ref, served - ref,
                (double)sqlite3_column_int64(st, 4) / 1e9);
        if (sqlite3_column_type(st, 3) == SQLITE_NULL)
            fputs("NaN\n", f->dat);
        else
            fprintf(f->dat, "%.9g\n", t - (double)sqlite3_column_int64(st, 3) / 1e9);
        if (t > *tmax) *tmax = t;
    }
    sqlite3_finalize(st);
    return rc < 0 ? rc : 0;
}

static void lam_plot(FILE *gp, const char *name, const struct lam_run *runs, uint32_t n,
                     const char *col_fmt, bool reference, bool age) {
    char q[160];
    fputs("plot ", gp);
    for (uint32_t i = 0; i < n; i++) {
        const char *p = runs[i].protocol;
        fprintf(gp,
                "%s\"%s.dat\" index %u using 1:%s with steps lw 2.5 dt %d lc rgb \"%s\" title %s",
                i ? ", \\\n     " : "", name, i, col_fmt, plot_protocol_dash(p),
                plot_protocol_color(p), plot_q(q, sizeof q, p));
    }
    if (reference)
        fprintf(gp,
                ", \\\n     \"%s.dat\" index 0 using 1:3 with lines lw 1.5 dt 3 lc rgb "
                "\"#000000\" title \"reference\"",
                name);
    if (age)
        fprintf(gp,
                ", \\\n     \"%s.dat\" index 0 using 1:6 with steps lw 2 lc rgb \"#888888\" "
                "title \"batch view age\"",
                name);
    fputc('\n', gp);
}

static int lam_write(struct plot_ctx *c, const char *scenario, const struct lam_run *runs,
                     uint32_t n, const char *name) {
    struct plot_fig f;
    int rc = plot_fig_open(c, &f, name, "lambda architecture: served view vs reference, staleness",
                           1300, 1100);
    if (rc) return rc;
    fputs("# One block per protocol (the file's seed, else its least), the total over all\n"
          "# keys: 1 t_s  2 served (batch view + speed view)  3 reference (records created\n"
          "# by t)  4 served -\n"
          "# reference  5 staleness_s (t - newest event served)  6 batch view age_s.\n",
          f.dat);
    double tmax = 0;
    for (uint32_t i = 0; i < n && !rc; i++)
        rc = lam_block(c, &f, &runs[i], &tmax);
    if (rc) {
        plot_fig_abort(c, &f);
        return rc;
    }
    char title[256], q[600];
    snprintf(title, sizeof title, "%s, seed %llu: lambda architecture, served view vs reference",
             scenario, plot_seed(runs[0].seed));
    fprintf(f.gp,
            "set multiplot layout 3,1 title %s\nset lmargin 12\nset rmargin 30\n"
            "set grid lc rgb \"#dddddd\"\nset key outside right top\n"
            "set xlabel \"processing time (s, simulated)\"\nset xrange [0:%.9g]\n",
            plot_q(q, sizeof q, title), tmax * 1.01 + (tmax == 0));
    fputs("set title \"records per view: served (batch + speed) and reference (created so "
          "far)\"\nset ylabel \"records\"\nset yrange [0:*]\n",
          f.gp);
    lam_plot(f.gp, name, runs, n, "2", true, false);
    fputs("set title \"served - reference: above 0 duplicates counted by the speed layer "
          "(a batch view fixes them), below 0 records in flight\"\n"
          "set ylabel \"records\"\nset yrange [*:*]\nset xzeroaxis lt -1\n",
          f.gp);
    lam_plot(f.gp, name, runs, n, "4", false, false);
    fputs("set title \"staleness of the served view (t - newest event it reflects; grows once "
          "the source stops) and the age of its batch view\"\nset ylabel \"seconds\"\nset yrange "
          "[0:*]\nset logscale y\n"
          "set yrange [0.001:*]\n",
          f.gp);
    lam_plot(f.gp, name, runs, n, "($5 > 0.001 ? $5 : 0.001)", false, true);
    fputs("unset logscale y\nunset multiplot\n", f.gp);
    return plot_fig_close(c, &f);
}

static int lam_scenario(struct plot_ctx *c, const char *scn, const char *name, void *ctx) {
    (void)ctx;
    struct lam_run runs[LAMBDA_PROTOCOLS_MAX];
    uint32_t n = 0;
    int rc = lam_runs(c, scn, runs, &n);
    return !rc && n ? lam_write(c, scn, runs, n, name) : rc;
}

int plot_fig_lambda(struct plot_ctx *c) {
    return plot_each_scenario_in(c, "lambda", "lambda_views", lam_scenario, NULL, NULL);
}
