/* Figures over simulated time and latency: (c) throughput and end-to-end latency per
 * bucket of one seed, every protocol, with the run's crashes, restarts and partitions
 * marked (tables timeseries, markers); (d) the end-to-end latency CDF per protocol,
 * each percentile averaged over the seeds (table latency_quantiles). Only plain runs
 * (params '') of a scenario's newest file version are drawn. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "plot_internal.h"

static int run_order(const void *a, const void *b) {
    const struct plot_run *x = a, *y = b;
    int d = plot_protocol_rank(x->protocol) - plot_protocol_rank(y->protocol);
    return d ? d : strcmp(x->protocol, y->protocol);
}

int plot_runs_of(struct plot_ctx *c, const char *scenario, sqlite3_int64 seed, const char *table,
                 struct plot_run *runs, uint32_t *n) {
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT r.id, r.protocol FROM runs r WHERE r.scenario = ?1 AND r.seed = ?2 "
             "AND" PLOT_PLAIN_LATEST " AND EXISTS (SELECT 1 FROM %s t WHERE t.run_id = r.id)",
             table);
    sqlite3_stmt *st;
    int rc = plot_prepare(c, sql, &st);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, scenario, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, seed);
    *n = 0;
    while ((rc = plot_step(c, st)) == 1 && *n < PLOT_SERIES_MAX) {
        runs[*n].id = sqlite3_column_int64(st, 0);
        plot_text(runs[*n].protocol, sizeof runs[*n].protocol, st, 1);
        (*n)++;
    }
    sqlite3_finalize(st);
    qsort(runs, *n, sizeof *runs, run_order);
    return rc < 0 ? rc : 0;
}

/* ---- (c) timeseries ---- */

struct ts_extent {
    double t_max_s; /* end of the last bucket in which anything happened */
    double lat_min_ms, lat_max_ms, tput_max;
};

static int ts_block(struct plot_ctx *c, struct plot_fig *f, const struct plot_run *r,
                    struct ts_extent *x) {
    sqlite3_stmt *st;
    int rc = plot_prepare(c,
                          "SELECT bucket_start_ns, bucket_ns, visible, throughput_per_s,"
                          " latency_p50_ns, latency_p99_ns, in_flight, retries"
                          " FROM timeseries WHERE run_id = ? ORDER BY bucket_start_ns",
                          &st);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, r->id);
    FILE *dat = f->dat;
    plot_block(f, "%s (run %lld)", r->protocol, (long long)r->id);
    while ((rc = plot_step(c, st)) == 1) {
        double t0 = (double)sqlite3_column_int64(st, 0) / 1e9;
        double w = (double)sqlite3_column_int64(st, 1) / 1e9;
        int64_t visible = sqlite3_column_int64(st, 2);
        double tput = sqlite3_column_double(st, 3);
        double p50 = (double)sqlite3_column_int64(st, 4) / 1e6;
        double p99 = (double)sqlite3_column_int64(st, 5) / 1e6;
        /* a drain tail with nothing visible, in flight or retried is not drawn */
        if (visible > 0 || sqlite3_column_int64(st, 6) > 0 || sqlite3_column_int64(st, 7) > 0)
            x->t_max_s = fmax(x->t_max_s, t0 + w);
        x->tput_max = fmax(x->tput_max, tput);
        fprintf(dat, "%.9g %.9g %.6g ", t0 + w / 2, w, tput);
        if (visible > 0 && p50 > 0) {
            x->lat_min_ms = fmin(x->lat_min_ms, p50);
            x->lat_max_ms = fmax(x->lat_max_ms, p99);
            fprintf(dat, "%.6g %.6g", p50, p99);
        } else {
            fputs("NaN NaN", dat); /* no record became visible: no latency to draw */
        }
        fprintf(dat, " %lld %lld\n", (long long)sqlite3_column_int64(st, 6),
                (long long)sqlite3_column_int64(st, 7));
    }
    sqlite3_finalize(st);
    return rc < 0 ? rc : 0;
}

int plot_markers(struct plot_ctx *c, const struct plot_run *runs, uint32_t n, double span_s,
                 struct plot_marker *m, uint32_t *nm) {
    *nm = 0;
    if (!plot_table_exists(c, "markers")) return 0;
    char sql[512] = "SELECT t_ns, kind, coalesce(node, '') FROM markers WHERE run_id IN (";
    for (uint32_t i = 0; i < n; i++) {
        size_t k = strlen(sql);
        snprintf(sql + k, sizeof sql - k, "%s%lld", i ? "," : "", (long long)runs[i].id);
    }
    strncat(sql, ") ORDER BY t_ns, kind, node", sizeof sql - strlen(sql) - 1);
    sqlite3_stmt *st;
    int rc = plot_prepare(c, sql, &st);
    if (rc) return rc;
    while ((rc = plot_step(c, st)) == 1 && *nm < PLOT_MARKERS_MAX) {
        struct plot_marker k = {(double)sqlite3_column_int64(st, 0) / 1e9, "", ""};
        plot_text(k.kind, sizeof k.kind, st, 1);
        plot_text(k.node, sizeof k.node, st, 2);
        bool near = false; /* the same event in another protocol's run, a moment apart */
        for (uint32_t i = 0; i < *nm && !near; i++)
            near = strcmp(m[i].kind, k.kind) == 0 && strcmp(m[i].node, k.node) == 0 &&
                   fabs(m[i].t_s - k.t_s) <= 0.01 * span_s;
        if (!near) m[(*nm)++] = k;
    }
    sqlite3_finalize(st);
    return rc < 0 ? rc : 0;
}

static const char *marker_color(const char *kind) {
    if (strcmp(kind, "crash") == 0) return "#C00000";
    if (strcmp(kind, "restart") == 0) return "#007A3D";
    if (strcmp(kind, "partition") == 0) return "#B8860B";
    if (strcmp(kind, "rebalance") == 0) return "#7B2FA0";
    return "#1F5FA0"; /* heal */
}

void plot_markers_gp(struct plot_fig *f, const struct plot_marker *m, uint32_t n, double t_max) {
    FILE *gp = f->gp, *dat = f->dat;
    plot_block(f, "markers: 1 t_s  2 kind  3 node");
    for (uint32_t i = 0; i < n; i++) {
        fprintf(dat, "%.9g %s ", m[i].t_s, m[i].kind);
        plot_dat_str(dat, m[i].node);
        fputc('\n', dat);
        const char *col = marker_color(m[i].kind);
        fprintf(gp,
                "set arrow from %.9g, graph 0 to %.9g, graph 1 nohead lc rgb \"%s\" dt 2 "
                "lw 1.5 front\n",
                m[i].t_s, m[i].t_s, col);
        char text[PLOT_TEXT_MAX + 32], q[2 * PLOT_TEXT_MAX + 80];
        snprintf(text, sizeof text, "%s%s%s", m[i].kind, m[i].node[0] ? " " : "", m[i].node);
        /* a marker close after the previous one puts its label right of its line */
        bool close = i > 0 && m[i].t_s - m[i - 1].t_s <= 0.02 * t_max;
        fprintf(gp,
                "set label %s at %.9g, graph 0.97 rotate by 90 right offset %s,0 "
                "tc rgb \"%s\" boxed front\n",
                plot_q(q, sizeof q, text), m[i].t_s, close ? "1.5" : "-0.9", col);
        bool crash = strcmp(m[i].kind, "crash") == 0, part = strcmp(m[i].kind, "partition") == 0;
        if (!crash && !part) continue;
        double end = t_max;
        for (uint32_t k = i + 1; k < n; k++)
            if ((crash && strcmp(m[k].kind, "restart") == 0 && strcmp(m[k].node, m[i].node) == 0) ||
                (part && strcmp(m[k].kind, "heal") == 0)) {
                end = m[k].t_s;
                break;
            }
        fprintf(gp,
                "set object rect from %.9g, graph 0 to %.9g, graph 1 behind fc rgb \"%s\" "
                "fs solid 0.12 noborder\n",
                m[i].t_s, end, col);
    }
}

static int ts_write(struct plot_ctx *c, const char *scenario, sqlite3_int64 seed,
                    const struct plot_run *runs, uint32_t n, const char *name) {
    struct plot_fig f;
    int rc = plot_fig_open(c, &f, name, "throughput and end-to-end latency over simulated time",
                           1300, 860);
    if (rc) return rc;
    fputs("# One block per protocol (gnuplot index 0, 1, ...), then the markers block.\n"
          "# columns: 1 t_s (bucket middle)  2 bucket_s  3 throughput_per_s (records made\n"
          "#          visible per second)  4 latency_p50_ms  5 latency_p99_ms (NaN: no record\n"
          "#          became visible in the bucket)  6 in_flight  7 retries\n",
          f.dat);
    struct ts_extent x = {0, INFINITY, 0, 0};
    for (uint32_t i = 0; !rc && i < n; i++)
        rc = ts_block(c, &f, &runs[i], &x);
    struct plot_marker *m = malloc(PLOT_MARKERS_MAX * sizeof *m);
    uint32_t nm = 0;
    if (!rc && !m) rc = ft_fail(c->err, FT_ENOMEM, "out of memory");
    if (!rc) rc = plot_markers(c, runs, n, x.t_max_s, m, &nm);
    for (uint32_t i = 0; i < nm; i++)
        x.t_max_s = fmax(x.t_max_s, m[i].t_s * 1.02);
    if (x.t_max_s <= 0) x.t_max_s = 1;
    if (rc) {
        free(m);
        plot_fig_abort(c, &f);
        return rc;
    }
    char title[256], q[600];
    snprintf(title, sizeof title,
             "%s, seed %llu: records made visible and their end-to-end latency over time", scenario,
             plot_seed(seed));
    fprintf(f.gp,
            "set multiplot layout 2,1 title %s\n"
            "set lmargin 12\nset rmargin 4\nset grid lc rgb \"#dddddd\"\n"
            "set style textbox opaque noborder\n"
            "set key outside top center horizontal\nset xrange [0:%.9g]\n",
            plot_q(q, sizeof q, title), x.t_max_s);
    plot_markers_gp(&f, m, nm, x.t_max_s);
    free(m);
    fprintf(f.gp,
            "set xlabel \"simulated time (s)\"\nset ylabel \"throughput (records/s)\"\n"
            "set yrange [0:%.6g]\nplot ",
            x.tput_max > 0 ? x.tput_max * 1.15 : 1.0);
    for (uint32_t i = 0; i < n; i++)
        fprintf(f.gp,
                "%s\"%s.dat\" index %u using 1:3 with lines lw 2 dt %d lc rgb \"%s\" "
                "title \"%s\"",
                i ? ", \\\n     " : "", name, i, plot_protocol_dash(runs[i].protocol),
                plot_protocol_color(runs[i].protocol), runs[i].protocol);
    bool logy = x.lat_max_ms > 0 && x.lat_min_ms > 0 && x.lat_max_ms / x.lat_min_ms > 30;
    fprintf(f.gp,
            "\nunset label\nset ylabel \"end-to-end latency (ms%s)\"\nset yrange [%s:*]\n%s"
            "plot ",
            logy ? ", log scale" : "", logy ? "*" : "0", logy ? "set logscale y\n" : "");
    for (uint32_t i = 0; i < n; i++) {
        const char *col = plot_protocol_color(runs[i].protocol);
        fprintf(f.gp,
                "%s\"%s.dat\" index %u using 1:4 with lines lw 2 lc rgb \"%s\" title "
                "\"%s p50\", \\\n     \"\" index %u using 1:5 with lines lw 1.5 dt 2 lc "
                "rgb \"%s\" title \"p99\"",
                i ? ", \\\n     " : "", name, i, col, runs[i].protocol, i, col);
    }
    fputs("\nunset multiplot\n", f.gp);
    return plot_fig_close(c, &f);
}

int plot_fig_timeseries(struct plot_ctx *c) {
    static const char fam[] = "timeseries";
    if (!plot_table_has_rows(c, "timeseries") || !c->has_params)
        return plot_skip(c, fam, "no rows in table timeseries of %s", c->opt->db);
    sqlite3_stmt *st;
    int rc = plot_prepare(c,
                          "SELECT r.scenario, r.seed, count(DISTINCT r.protocol) AS np"
                          " FROM runs r WHERE" PLOT_PLAIN_LATEST
                          " AND EXISTS (SELECT 1 FROM timeseries t WHERE t.run_id = r.id)"
                          " GROUP BY r.scenario, r.seed"
                          " ORDER BY r.scenario, np DESC, r.seed < 0, r.seed",
                          &st);
    if (rc) return rc;
    char last[PLOT_TEXT_MAX] = "";
    bool any = false;
    int step = 0;
    while (!rc && (step = plot_step(c, st)) == 1) {
        char scn[PLOT_TEXT_MAX], slug[PLOT_TEXT_MAX], name[PLOT_NAME_MAX];
        plot_text(scn, sizeof scn, st, 0);
        if (any && strcmp(scn, last) == 0) continue; /* the first row: most protocols, least seed */
        any = true;
        snprintf(last, sizeof last, "%s", scn);
        plot_slug(scn, slug, sizeof slug);
        snprintf(name, sizeof name, "%s-%s", fam, slug);
        if (!plot_wanted(c, fam, name)) continue;
        struct plot_run runs[PLOT_SERIES_MAX];
        uint32_t n;
        sqlite3_int64 seed = sqlite3_column_int64(st, 1);
        rc = plot_runs_of(c, scn, seed, "timeseries", runs, &n);
        if (!rc) rc = ts_write(c, scn, seed, runs, n, name);
    }
    sqlite3_finalize(st);
    if (!rc && step < 0) rc = step;
    if (rc) return rc;
    return any ? 0 : plot_skip(c, fam, "no plain runs (params '') with timeseries rows");
}

/* ---- (d) latency CDF ---- */

struct cdf_pt {
    char protocol[PLOT_TEXT_MAX];
    double percent, ms;
    int64_t seeds;
};

static int cdf_order(const void *a, const void *b) {
    const struct cdf_pt *x = a, *y = b;
    int d = plot_protocol_rank(x->protocol) - plot_protocol_rank(y->protocol);
    if (!d) d = strcmp(x->protocol, y->protocol);
    return d ? d : (x->percent > y->percent) - (x->percent < y->percent);
}

static int cdf_read(struct plot_ctx *c, const char *scenario, struct cdf_pt **out, size_t *n) {
    sqlite3_stmt *st;
    int rc =
        plot_prepare(c,
                     "SELECT r.protocol, q.percent, avg(q.latency_ns),"
                     " count(DISTINCT r.id) FROM latency_quantiles q"
                     " JOIN runs r ON r.id = q.run_id WHERE r.scenario = ?1 AND" PLOT_PLAIN_LATEST
                     " GROUP BY r.protocol, q.percent",
                     &st);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, scenario, -1, SQLITE_STATIC);
    struct cdf_pt *pts = NULL;
    size_t cap = 0;
    *n = 0;
    while ((rc = plot_step(c, st)) == 1) {
        if (*n >= 128u * PLOT_SERIES_MAX ||
            ft_grow((void **)&pts, &cap, *n + 1, sizeof *pts, 256)) {
            rc = ft_fail(c->err, FT_ELIMIT, "latency-cdf: more than %u protocols", PLOT_SERIES_MAX);
            break;
        }
        struct cdf_pt *q = &pts[(*n)++];
        plot_text(q->protocol, sizeof q->protocol, st, 0);
        q->percent = sqlite3_column_double(st, 1);
        q->ms = sqlite3_column_double(st, 2) / 1e6;
        q->seeds = sqlite3_column_int64(st, 3);
    }
    sqlite3_finalize(st);
    if (rc < 0) {
        free(pts);
        return rc;
    }
    qsort(pts, *n, sizeof *pts, cdf_order);
    *out = pts;
    return 0;
}

static int cdf_write(struct plot_ctx *c, const char *scenario, const struct cdf_pt *pts, size_t n,
                     const char *name) {
    struct plot_fig f;
    int rc = plot_fig_open(c, &f, name, "end-to-end latency CDF per protocol", 1100, 700);
    if (rc) return rc;
    double lo = INFINITY, hi = 0;
    for (size_t i = 0; i < n; i++)
        if (pts[i].ms > 0) {
            lo = fmin(lo, pts[i].ms);
            hi = fmax(hi, pts[i].ms);
        }
    fputs("# One block per protocol; the latency of each percentile averaged over the seeds.\n"
          "# columns: 1 latency_ms  2 percent  3 seeds\n",
          f.dat);
    char title[256], q[600];
    snprintf(title, sizeof title,
             "%s: end-to-end latency CDF per protocol\nlatency = record "
             "created -> first visible at the sink; each percentile "
             "averaged over the seeds",
             scenario);
    bool logx = lo > 0 && hi / lo > 20;
    fprintf(
        f.gp,
        "set title %s\nset grid lc rgb \"#dddddd\"\nset key bottom right opaque box\n"
        "set xlabel \"end-to-end latency (ms%s)\"\nset ylabel \"records with latency <= x (%%)\"\n"
        "set yrange [0:100]\n%splot ",
        plot_q(q, sizeof q, title), logx ? ", log scale" : "", logx ? "set logscale x\n" : "");
    uint32_t block = 0;
    for (size_t first = 0, i = 1; i <= n; i++) {
        if (i < n && strcmp(pts[i].protocol, pts[first].protocol) == 0) continue;
        const char *proto = pts[first].protocol;
        uint32_t b = plot_block(&f, "%s", proto);
        for (size_t k = first; k < i; k++)
            fprintf(f.dat, "%.6g %.6g %lld\n", pts[k].ms > 0 ? pts[k].ms : NAN, pts[k].percent,
                    (long long)pts[k].seeds);
        char label[PLOT_TEXT_MAX + 32];
        snprintf(label, sizeof label, "%s (%lld seed%s)", proto, (long long)pts[first].seeds,
                 pts[first].seeds == 1 ? "" : "s");
        fprintf(f.gp,
                "%s\"%s.dat\" index %u using 1:2 with lines lw 2.5 dt %d lc rgb \"%s\" "
                "title %s",
                block ? ", \\\n     " : "", name, b, plot_protocol_dash(proto),
                plot_protocol_color(proto), plot_q(q, sizeof q, label));
        block++;
        first = i;
    }
    fputc('\n', f.gp);
    return plot_fig_close(c, &f);
}

static int cdf_scenario(struct plot_ctx *c, const char *scn, const char *name, void *ctx) {
    (void)ctx;
    struct cdf_pt *pts = NULL;
    size_t n = 0;
    int rc = cdf_read(c, scn, &pts, &n);
    if (!rc && n) rc = cdf_write(c, scn, pts, n, name);
    free(pts);
    return rc;
}

int plot_fig_latency_cdf(struct plot_ctx *c) {
    return plot_each_scenario_in(c, "latency-cdf", "latency_quantiles", cdf_scenario, NULL,
                                 "no plain runs (params '') with latency quantiles");
}
