/* Figures of a streaming model (table model_metrics, schema v6; docs/plots.md), for each
 * scenario the seed with the most protocols (the least such seed): (g) model-error: the
 * model's error against the true model over simulated time per protocol (log scale),
 * with crashes, restarts, the drift and the offline training marked, above the records
 * each update consumed (duplicates show as bumps, losses as dips); (h) kmeans-centres:
 * the points of one batch, the true centres before and after the drift, and each
 * protocol's learned centres with their trajectories; (i) offline-vs-streaming: the
 * frozen model's error and prediction error against the streaming model's. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot_internal.h"

#define MODEL_PTS_MAX 200000u

typedef int (*model_fn)(struct plot_ctx *c, const char *scenario, sqlite3_int64 seed,
                        const struct plot_run *runs, uint32_t n, const char *name);

/* fn for each scenario whose runs have `metric` rows, on its seed with most protocols. */
static int model_each(struct plot_ctx *c, const char *family, const char *metric, model_fn fn) {
    if (!plot_table_has_rows(c, "model_metrics") || !c->has_params)
        return plot_skip(c, family, "no rows in table model_metrics of %s", c->opt->db);
    sqlite3_stmt *st;
    int rc = plot_prepare(c,
                          "SELECT r.scenario, r.seed, count(DISTINCT r.protocol) AS np"
                          " FROM runs r WHERE" PLOT_PLAIN_LATEST
                          " AND EXISTS (SELECT 1 FROM model_metrics m WHERE m.run_id = r.id"
                          " AND m.metric = ?1) GROUP BY r.scenario, r.seed"
                          " ORDER BY r.scenario, np DESC, r.seed < 0, r.seed",
                          &st);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, metric, -1, SQLITE_STATIC);
    char last[PLOT_TEXT_MAX] = "";
    int step;
    while (!rc && (step = plot_step(c, st)) == 1) {
        char scn[PLOT_TEXT_MAX], slug[PLOT_TEXT_MAX], name[PLOT_NAME_MAX];
        plot_text(scn, sizeof scn, st, 0);
        if (last[0] && strcmp(scn, last) == 0) continue;
        snprintf(last, sizeof last, "%s", scn);
        plot_slug(scn, slug, sizeof slug);
        snprintf(name, sizeof name, "%s-%s", family, slug);
        if (!plot_wanted(c, family, name)) continue;
        struct plot_run runs[PLOT_SERIES_MAX];
        uint32_t n = 0;
        sqlite3_int64 seed = sqlite3_column_int64(st, 1);
        rc = plot_runs_of(c, scn, seed, "model_metrics", runs, &n);
        if (!rc && n) rc = fn(c, scn, seed, runs, n, name);
    }
    sqlite3_finalize(st);
    if (!rc && step < 0) rc = step;
    if (!rc && !last[0]) return plot_skip(c, family, "no run has a model's %s", metric);
    return rc;
}

/* A run-level metric (batch NULL); false when absent. */
static bool run_value(struct plot_ctx *c, sqlite3_int64 id, const char *metric, double *v) {
    sqlite3_stmt *st;
    if (plot_prepare(c,
                     "SELECT value FROM model_metrics WHERE run_id = ?1 AND batch IS NULL"
                     " AND metric = ?2 AND value IS NOT NULL",
                     &st))
        return false;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, metric, -1, SQLITE_STATIC);
    bool found = plot_step(c, st) == 1;
    if (found) *v = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    return found;
}

struct extent {
    double t_max, lo, hi; /* time; the smallest and largest positive value drawn */
};

static void grow(struct extent *x, double v) {
    if (v > 0 && v - v == 0) {
        x->lo = fmin(x->lo, v);
        x->hi = fmax(x->hi, v);
    }
}

/* One block for run r: per update 1 t_s  2..(1+k) the metrics (NaN when absent); the
 * first metric's positive values widen x. */
static int per_update(struct plot_ctx *c, struct plot_fig *f, const struct plot_run *r,
                      const char *const *metrics, int k, int grow_cols, struct extent *x) {
    char sql[768] = "SELECT time_ns";
    for (int i = 0; i < k; i++) {
        size_t o = strlen(sql);
        snprintf(sql + o, sizeof sql - o, ", max(CASE WHEN metric = '%s' THEN value END)",
                 metrics[i]);
    }
    size_t o = strlen(sql);
    snprintf(sql + o, sizeof sql - o,
             " FROM model_metrics WHERE run_id = ?1 AND batch IS NOT NULL"
             " AND metric NOT LIKE 'sample.%%' GROUP BY time_ns, batch ORDER BY time_ns, batch");
    sqlite3_stmt *st;
    int rc = plot_prepare(c, sql, &st);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, r->id);
    plot_block(f, "%s (run %lld)", r->protocol, (long long)r->id);
    uint32_t rows = 0;
    while ((rc = plot_step(c, st)) == 1 && rows++ < MODEL_PTS_MAX) {
        double t = (double)sqlite3_column_int64(st, 0) / 1e9;
        x->t_max = fmax(x->t_max, t);
        fprintf(f->dat, "%.9g", t);
        for (int i = 0; i < k; i++) {
            bool null = sqlite3_column_type(st, 1 + i) == SQLITE_NULL;
            double v = null ? NAN : sqlite3_column_double(st, 1 + i);
            if (i < grow_cols) grow(x, v);
            fprintf(f->dat, null ? " NaN" : " %.9g", v);
        }
        fputc('\n', f->dat);
    }
    sqlite3_finalize(st);
    return rc < 0 ? rc : 0;
}

/* The crashes and restarts of the runs as plot_markers_gp draws them (labels at the
 * top), and the drift and the offline training of the first run as grey lines labelled
 * at the bottom, where they cannot cover a crash's label. */
static int marks(struct plot_ctx *c, struct plot_fig *f, const struct plot_run *runs, uint32_t n,
                 struct extent *x) {
    struct plot_marker *m = malloc(PLOT_MARKERS_MAX * sizeof *m);
    sqlite3_int64 ids[PLOT_SERIES_MAX];
    uint32_t nm = 0;
    for (uint32_t i = 0; i < n; i++)
        ids[i] = runs[i].id;
    int rc = m ? plot_markers(c, ids, n, x->t_max, false, m, &nm)
               : ft_fail(c->err, FT_ENOMEM, "out of memory");
    if (!rc) plot_markers_gp(f, m, nm, x->t_max * 1.02);
    free(m);
    if (rc) return rc;
    const char *const extra[2][2] = {{"drift_ns", "drift of the true model"},
                                     {"frozen_ns", "offline model trained"}};
    for (int i = 0; i < 2; i++) {
        double t;
        if (!run_value(c, runs[0].id, extra[i][0], &t)) continue;
        fprintf(f->gp,
                "set arrow from %.9g, graph 0 to %.9g, graph 1 nohead lc rgb \"#444444\" dt 4 "
                "lw 2 front\nset label \"%s\" at %.9g, graph 0.03 rotate by 90 left "
                "offset -0.9,0 tc rgb \"#444444\" boxed front\n",
                t / 1e9, t / 1e9, extra[i][1], t / 1e9);
    }
    return 0;
}

static const char *error_label(struct plot_ctx *c, sqlite3_int64 id) {
    double kind = 0;
    run_value(c, id, "model_kind", &kind);
    return kind == 1 ? "model error (mean centre distance, log)"
                     : "model error (RMSE of w and b, log)";
}

/* A key entry per run: its protocol and its input (lost, duplicated). */
static void legend(struct plot_ctx *c, const struct plot_run *r, char *out, size_t size) {
    double lost = 0, dup = 0;
    run_value(c, r->id, "input_lost", &lost);
    run_value(c, r->id, "input_duplicated", &dup);
    snprintf(out, size, "%s: input %.0f lost, %.0f duplicated", r->protocol, lost, dup);
}

static void log_range(FILE *gp, const struct extent *x) {
    double lo = x->lo < INFINITY ? x->lo : 0.01, hi = x->hi > 0 ? x->hi : 1;
    fprintf(gp, "set logscale y\nset yrange [%.6g:%.6g]\n", lo / 1.5, hi * 1.5);
}

/* The start of a two-panel figure over simulated time: the title, the markers, and the
 * first panel's log-scale error axis. */
static int two_panels(struct plot_ctx *c, struct plot_fig *f, const struct plot_run *runs,
                      uint32_t n, struct extent *x, const char *title) {
    char q[900];
    fprintf(f->gp,
            "set multiplot layout 2,1 title %s\nset lmargin 12\nset rmargin 4\n"
            "set grid lc rgb \"#dddddd\"\nset style textbox opaque noborder\n"
            "set key outside top center horizontal\nset xrange [0:%.6g]\n",
            plot_q(q, sizeof q, title), x->t_max * 1.02 + (x->t_max == 0));
    int rc = marks(c, f, runs, n, x);
    fprintf(f->gp, "set xlabel \"simulated time (s)\"\nset ylabel %s\n",
            plot_q(q, sizeof q, error_label(c, runs[0].id)));
    log_range(f->gp, x);
    return rc;
}

/* ---- (g) model-error ---- */

static int err_write(struct plot_ctx *c, const char *scn, sqlite3_int64 seed,
                     const struct plot_run *runs, uint32_t n, const char *name) {
    static const char *const cols[] = {"error", "applied"};
    struct plot_fig f;
    int rc = plot_fig_open(c, &f, name, "model error over time, the records each update consumed",
                           1300, 900);
    if (rc) return rc;
    fputs("# One block per protocol, then the markers block. Per model update: 1 t_s\n"
          "# 2 error against the true model at t  3 records the update consumed.\n",
          f.dat);
    struct extent x = {0, INFINITY, 0};
    for (uint32_t i = 0; !rc && i < n; i++)
        rc = per_update(c, &f, &runs[i], cols, 2, 1, &x);
    if (rc) {
        plot_fig_abort(c, &f);
        return rc;
    }
    char title[400], q[900];
    double kind = 0;
    run_value(c, runs[0].id, "model_kind", &kind);
    snprintf(title, sizeof title,
             "%s, seed %llu: the streaming model's error against the true model\n(%s) "
             "and the records each update consumed",
             scn, plot_seed(seed),
             kind == 1 ? "mean distance from each true centre to the nearest learned one"
                       : "RMSE of the learned w and b against the true ones");
    rc = two_panels(c, &f, runs, n, &x, title);
    fputs("plot ", f.gp);
    for (uint32_t i = 0; i < n; i++) {
        char key[160];
        legend(c, &runs[i], key, sizeof key);
        fprintf(f.gp,
                "%s\"%s.dat\" index %u using 1:2 with lines lw 2 dt %d lc rgb \"%s\" title %s",
                i ? ", \\\n     " : "", name, i, plot_protocol_dash(runs[i].protocol),
                plot_protocol_color(runs[i].protocol), plot_q(q, sizeof q, key));
    }
    fputs("\nunset label\nunset logscale y\nset yrange [0:*]\n"
          "set ylabel \"records the update consumed\"\nplot ",
          f.gp);
    for (uint32_t i = 0; i < n; i++)
        fprintf(f.gp,
                "%s\"%s.dat\" index %u using 1:3 with steps lw 2 dt %d lc rgb \"%s\" title \"%s\"",
                i ? ", \\\n     " : "", name, i, plot_protocol_dash(runs[i].protocol),
                plot_protocol_color(runs[i].protocol), runs[i].protocol);
    fputs("\nunset multiplot\n", f.gp);
    return rc ? (plot_fig_abort(c, &f), rc) : plot_fig_close(c, &f);
}

int plot_fig_model_error(struct plot_ctx *c) {
    return model_each(c, "model-error", "error", err_write);
}

/* ---- (h) kmeans-centres ---- */

/* Rows "x y" of metric pairs PREFIX.x / PREFIX.y sharing (batch, time): sample points
 * (prefix "sample"), or centre j's positions over the updates. */
static int xy_block(struct plot_ctx *c, FILE *dat, sqlite3_int64 id, const char *mx, const char *my,
                    bool run_level, double t_ns, double last[2]) {
    sqlite3_stmt *st;
    int rc = plot_prepare(c,
                          "SELECT a.value, b.value FROM model_metrics a JOIN model_metrics b"
                          " ON b.run_id = a.run_id AND b.time_ns = a.time_ns"
                          " AND b.batch IS a.batch AND b.metric = ?3"
                          " WHERE a.run_id = ?1 AND a.metric = ?2"
                          " AND (?4 < 0 OR a.time_ns = ?4) ORDER BY a.seq",
                          &st);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, mx, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, my, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 4, run_level ? t_ns : -1);
    uint32_t rows = 0;
    while ((rc = plot_step(c, st)) == 1 && rows++ < MODEL_PTS_MAX) {
        last[0] = sqlite3_column_double(st, 0);
        last[1] = sqlite3_column_double(st, 1);
        fprintf(dat, "%.9g %.9g\n", last[0], last[1]);
    }
    sqlite3_finalize(st);
    return rc < 0 ? rc : 0;
}

static uint32_t centres_of(struct plot_ctx *c, sqlite3_int64 id) {
    uint32_t k = 0;
    for (double v; k < 64; k++) {
        char m[32];
        snprintf(m, sizeof m, "true.%u.x", k);
        if (!run_value(c, id, m, &v)) break;
    }
    return k;
}

/* Blocks: 0 the points, 1 and 2 the true centres before and after the drift, then per
 * protocol its centres' trajectories and their final positions. */
static int ctr_data(struct plot_ctx *c, struct plot_fig *f, const struct plot_run *runs, uint32_t n,
                    uint32_t k, double drift_ns, double zoom[3]) {
    double last[2] = {0, 0}, fin[64][2];
    char mx[32], my[32];
    plot_block(f, "points of one batch (the last full batch interval): 1 x  2 y");
    int rc = xy_block(c, f->dat, runs[0].id, "sample.x", "sample.y", false, 0, last);
    for (int after = 0; !rc && after < 2; after++) {
        plot_block(f, "true centres %s: 1 x  2 y", after ? "after the drift" : "at the start");
        for (uint32_t j = 0; !rc && j < k; j++) {
            snprintf(mx, sizeof mx, "true.%u.x", j);
            snprintf(my, sizeof my, "true.%u.y", j);
            rc = xy_block(c, f->dat, runs[0].id, mx, my, true, after ? drift_ns : 0, last);
            if (j == 0) zoom[0] = last[0], zoom[1] = last[1]; /* true centre 0, at the end */
        }
    }
    zoom[2] = 0; /* the farthest any protocol's nearest final centre is from it */
    for (uint32_t i = 0; !rc && i < n; i++) {
        plot_block(f, "%s: each centre's trajectory (one dataset per centre): 1 x  2 y",
                   runs[i].protocol);
        for (uint32_t j = 0; !rc && j < k; j++) {
            snprintf(mx, sizeof mx, "centre.%u.x", j);
            snprintf(my, sizeof my, "centre.%u.y", j);
            rc = xy_block(c, f->dat, runs[i].id, mx, my, false, 0, fin[j]);
            fputs("\n", f->dat);
        }
        plot_block(f, "%s: the final centres: 1 x  2 y", runs[i].protocol);
        double near = INFINITY;
        for (uint32_t j = 0; !rc && j < k; j++) {
            fprintf(f->dat, "%.9g %.9g\n", fin[j][0], fin[j][1]);
            near = fmin(near, hypot(fin[j][0] - zoom[0], fin[j][1] - zoom[1]));
        }
        zoom[2] = fmax(zoom[2], near);
    }
    return rc;
}

/* One panel's plot command: points, true centres, every protocol's paths and finals. */
static void ctr_plot(FILE *gp, const char *name, const struct plot_run *runs, uint32_t n,
                     bool drifted, bool keys) {
    fprintf(gp,
            "plot \"%s.dat\" index 0 using 1:2 with points pt 7 ps 0.5 lc rgb \"#bbbbbb\" "
            "%s, \\\n     \"\" index 1 using 1:2 with points pt 6 ps 3 lw 2 lc rgb "
            "\"#000000\" %s",
            name, keys ? "title \"points of one batch\"" : "notitle",
            !keys     ? "notitle"
            : drifted ? "title \"true centres before the drift\""
                      : "title \"true centres\"");
    if (drifted)
        fprintf(gp,
                ", \\\n     \"\" index 2 using 1:2 with points pt 2 ps 3 lw 3 lc rgb \"#000000\" "
                "%s",
                keys ? "title \"true centres after the drift\"" : "notitle");
    for (uint32_t i = 0; i < n; i++) {
        const char *p = runs[i].protocol, *col = plot_protocol_color(p);
        fprintf(gp,
                ", \\\n     \"\" index %u using 1:2 with lines lw 1.5 dt %d lc rgb \"%s\" "
                "%s%s%s, \\\n     \"\" index %u using 1:2 with points pt %u ps 2 lw 2 lc rgb "
                "\"%s\" notitle",
                3 + 2 * i, plot_protocol_dash(p), col, keys ? "title \"" : "notitle", keys ? p : "",
                keys ? " (path, final mark)\"" : "", 4 + 2 * i, 9 + 2 * (i % 3), col);
    }
    fputc('\n', gp);
}

static int ctr_write(struct plot_ctx *c, const char *scn, sqlite3_int64 seed,
                     const struct plot_run *runs, uint32_t n, const char *name) {
    uint32_t k = centres_of(c, runs[0].id);
    double drift = -1, zoom[3] = {0, 0, 0};
    bool drifted = run_value(c, runs[0].id, "drift_ns", &drift);
    if (!k) return plot_skip(c, "kmeans-centres", "%s: no true centres stored", scn);
    struct plot_fig f;
    int rc = plot_fig_open(c, &f, name, "k-means: points, true and learned centres", 1600, 850);
    if (rc) return rc;
    fputs("# Blocks: 0 a batch's points; 1 true centres at the start; 2 after the drift\n"
          "# (without one: the same); then per protocol two: each learned centre's positions\n"
          "# after every model update (one dataset per centre), and the final centres.\n",
          f.dat);
    rc = ctr_data(c, &f, runs, n, k, drifted ? drift : 0, zoom);
    if (rc) {
        plot_fig_abort(c, &f);
        return rc;
    }
    double half = fmax(0.25, 3 * zoom[2]);
    char title[256], q[600];
    snprintf(title, sizeof title, "%s, seed %llu: learned centres against the true ones", scn,
             plot_seed(seed));
    fprintf(f.gp,
            "set multiplot layout 1,2 title %s\nset size ratio -1\nset grid lc rgb \"#eeeeee\"\n"
            "set key outside bottom center horizontal maxrows 3\n"
            "set xlabel \"feature x1\"\nset ylabel \"feature x2\"\n"
            "set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05\n"
            "set title \"every centre over the run, with one batch's points\"\n",
            plot_q(q, sizeof q, title));
    ctr_plot(f.gp, name, runs, n, drifted, true);
    fprintf(f.gp,
            "set offsets 0, 0, 0, 0\nset title \"zoom: the learned centres nearest the true "
            "centre (%.3g, %.3g), within %.2g\"\nset xrange [%.9g:%.9g]\nset yrange "
            "[%.9g:%.9g]\nunset key\n",
            zoom[0], zoom[1], half, zoom[0] - half, zoom[0] + half, zoom[1] - half, zoom[1] + half);
    ctr_plot(f.gp, name, runs, n, drifted, false);
    fputs("unset multiplot\n", f.gp);
    return plot_fig_close(c, &f);
}

int plot_fig_kmeans_centres(struct plot_ctx *c) {
    return model_each(c, "kmeans-centres", "centre.0.x", ctr_write);
}

/* ---- (i) offline-vs-streaming ---- */

static int off_write(struct plot_ctx *c, const char *scn, sqlite3_int64 seed,
                     const struct plot_run *runs, uint32_t n, const char *name) {
    static const char *const cols[] = {"error", "frozen_error", "cost", "frozen_cost"};
    struct plot_fig f;
    int rc =
        plot_fig_open(c, &f, name, "offline (frozen) model against the streaming model", 1300, 900);
    if (rc) return rc;
    fputs("# One block per protocol: per update 1 t_s  2 streaming model's error  3 frozen\n"
          "# model's error  4 streaming prediction error (mean score of the records scored)\n"
          "# 5 frozen prediction error; then the markers block.\n",
          f.dat);
    struct extent x = {0, INFINITY, 0};
    for (uint32_t i = 0; !rc && i < n; i++) {
        rc = per_update(c, &f, &runs[i], cols, 4, 2, &x);
        if (rc) break;
    }
    if (rc) {
        plot_fig_abort(c, &f);
        return rc;
    }
    char title[256];
    snprintf(title, sizeof title,
             "%s, seed %llu: a model trained offline on the lake, frozen, against the "
             "streaming model",
             scn, plot_seed(seed));
    rc = two_panels(c, &f, runs, n, &x, title);
    for (int panel = 0; panel < 2; panel++) {
        if (panel)
            fputs("unset label\nset ylabel \"prediction error (MSE of the records scored, "
                  "log)\"\nset yrange [*:*]\n",
                  f.gp);
        fputs("plot ", f.gp);
        for (uint32_t i = 0; i < n; i++) {
            const char *p = runs[i].protocol;
            fprintf(f.gp,
                    "%s\"%s.dat\" index %u using 1:%d with lines lw 2 dt %d lc rgb \"%s\" "
                    "title \"%s, streaming model\"",
                    i ? ", \\\n     " : "", name, i, panel ? 4 : 2, plot_protocol_dash(p),
                    plot_protocol_color(p), p);
        }
        for (uint32_t i = 0; i < n; i++) /* one line each, all but identical: one key */
            fprintf(f.gp,
                    ", \\\n     \"%s.dat\" index %u using 1:%d with lines lw 3 dt 3 lc rgb "
                    "\"#000000\" %s",
                    name, i, panel ? 5 : 3,
                    i ? "notitle" : "title \"frozen offline model (each protocol's lake)\"");
        fputc('\n', f.gp);
    }
    fputs("unset logscale y\nunset multiplot\n", f.gp);
    return rc ? (plot_fig_abort(c, &f), rc) : plot_fig_close(c, &f);
}

int plot_fig_offline(struct plot_ctx *c) {
    return model_each(c, "offline-vs-streaming", "frozen_error", off_write);
}
