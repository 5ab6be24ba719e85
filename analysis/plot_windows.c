/* (e) windows-SCENARIO (table window_results; docs/plots.md): for one run per scenario
 * (the file's seed, exactly-once first), each event-time window's final value per key
 * and, where the protocols of that seed end differently, per protocol
 * (plot_windows_final.c); for an additive aggregate (count, sum) each window's total
 * over the keys at every emission over processing time, by event time and by processing
 * time when both are stored; and the watermark against processing time with the late
 * records dropped (table watermarks). The y axes name the aggregate (table scenarios);
 * a mean, min or max is never summed over keys. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "plot_internal.h"
#include "plot_windows.h"

#define WINDOWS_MAX 16u /* windows drawn per panel; later ones are left out (noted) */
#define WIN_ROWS_MAX 100000u

static const char *const win_colors[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                         "#E69F00", "#56B4E9", "#000000", "#8C564B"};
#define NCOLORS (sizeof win_colors / sizeof win_colors[0])

struct win_pt {
    char domain[16];
    double start_s, end_s, at_s, total;
    int final;
};

/* Each window's total at each emission: per key the latest row at or before it. */
static int win_read(struct plot_ctx *c, sqlite3_int64 run, bool domains, struct win_pt **out,
                    size_t *n) {
    const char *dom = domains ? "time_domain" : "'event'";
    char sql[1400];
    snprintf(sql, sizeof sql,
             "WITH t AS (SELECT DISTINCT %s AS dom, window_start_ns AS ws, window_end_ns AS we,"
             " emitted_at_ns AS at FROM window_results WHERE run_id = ?1),"
             " l AS (SELECT t.dom, t.ws, t.we, t.at, w.value, w.final, row_number() OVER"
             " (PARTITION BY t.dom, t.ws, t.we, t.at, w.key ORDER BY w.emitted_at_ns DESC) AS rn"
             " FROM t JOIN window_results w ON w.run_id = ?1 AND w.window_start_ns = t.ws"
             " AND w.window_end_ns = t.we AND w.emitted_at_ns <= t.at AND %s = t.dom)"
             " SELECT dom, ws, we, at, sum(value), max(final) FROM l WHERE rn = 1"
             " GROUP BY dom, ws, we, at ORDER BY dom, ws, we, at",
             dom, domains ? "w.time_domain" : "'event'");
    sqlite3_stmt *st;
    int rc = plot_prepare(c, sql, &st);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, run);
    struct win_pt *pts = NULL;
    size_t cap = 0;
    *n = 0;
    while ((rc = plot_step(c, st)) == 1) {
        if (*n >= WIN_ROWS_MAX || ft_grow((void **)&pts, &cap, *n + 1, sizeof *pts, 256)) {
            rc = ft_fail(c->err, FT_ELIMIT, "windows: more than %u emissions in run %lld",
                         WIN_ROWS_MAX, (long long)run);
            break;
        }
        struct win_pt *w = &pts[(*n)++];
        plot_text(w->domain, sizeof w->domain, st, 0);
        w->start_s = (double)sqlite3_column_int64(st, 1) / 1e9;
        w->end_s = (double)sqlite3_column_int64(st, 2) / 1e9;
        w->at_s = (double)sqlite3_column_int64(st, 3) / 1e9;
        w->total = sqlite3_column_double(st, 4);
        w->final = sqlite3_column_int(st, 5);
    }
    sqlite3_finalize(st);
    if (rc < 0) {
        free(pts);
        return rc;
    }
    *out = pts;
    return 0;
}

struct wm_pt {
    double t_s, wm_s;
    int64_t dropped;
};

static int wm_read(struct plot_ctx *c, sqlite3_int64 run, struct wm_pt **out, size_t *n) {
    *out = NULL;
    *n = 0;
    if (!plot_table_exists(c, "watermarks")) return 0;
    sqlite3_stmt *st;
    int rc = plot_prepare(c,
                          "SELECT t_ns, watermark_ns, late_dropped FROM watermarks"
                          " WHERE run_id = ? ORDER BY t_ns",
                          &st);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, run);
    size_t cap = 0;
    struct wm_pt *pts = NULL;
    while ((rc = plot_step(c, st)) == 1) {
        if (*n >= WIN_ROWS_MAX || ft_grow((void **)&pts, &cap, *n + 1, sizeof *pts, 256)) {
            rc = ft_fail(c->err, FT_ELIMIT, "windows: more than %u watermarks", WIN_ROWS_MAX);
            break;
        }
        pts[*n].t_s = (double)sqlite3_column_int64(st, 0) / 1e9;
        pts[*n].wm_s = (double)sqlite3_column_int64(st, 1) / 1e9;
        pts[*n].dropped = sqlite3_column_int64(st, 2);
        (*n)++;
    }
    sqlite3_finalize(st);
    if (rc < 0) {
        free(pts);
        return rc;
    }
    *out = pts;
    return 0;
}

static bool same_window(const struct win_pt *a, const struct win_pt *b) {
    return strcmp(a->domain, b->domain) == 0 && a->start_s == b->start_s && a->end_s == b->end_s;
}

/* One panel: a block per window of this domain (at most WINDOWS_MAX). */
static void win_panel(struct plot_fig *f, const struct win_pt *w, size_t n, const char *domain,
                      bool clock, uint32_t *left_out) {
    char plot[8192] = "";
    size_t k = 0;
    uint32_t nwin = 0;
    for (size_t first = 0, i = 1; i <= n; i++) {
        if (i < n && same_window(&w[i], &w[first])) continue;
        if (strcmp(w[first].domain, domain) != 0) {
            first = i;
            continue;
        }
        if (nwin == WINDOWS_MAX) {
            (*left_out)++;
            first = i;
            continue;
        }
        uint32_t b = plot_block(f, "%s-time window [%.9g s, %.9g s)", domain, w[first].start_s,
                                w[first].end_s);
        for (size_t j = first; j < i; j++)
            fprintf(f->dat, "%.9g %.9g %d\n", w[j].at_s, w[j].total, w[j].final);
        const char *col = win_colors[nwin % NCOLORS];
        char t0[32], t1[32];
        int len = snprintf(
            plot + k, sizeof plot - k,
            "%s\"%s.dat\" index %u using 1:2 with steps lw 2 dt %u lc rgb \"%s\" title "
            "\"[%s, %s)\", \\\n     \"\" index %u using 1:2:($3 > 0 ? 1.5*pscale : 0.6*pscale) "
            "with points pt 7 ps variable lc rgb \"%s\" notitle",
            nwin ? ", \\\n     " : "", f->name, b, (unsigned)(1 + nwin / NCOLORS), col,
            plot_time_text(w[first].start_s, clock, t0, sizeof t0),
            plot_time_text(w[first].end_s, clock, t1, sizeof t1), b, col);
        if (len > 0 && (size_t)len < sizeof plot - k) k += (size_t)len;
        nwin++;
        first = i;
    }
    if (nwin)
        fprintf(f->gp,
                "set title \"%s-time windows: the total at each emission (large dot: "
                "final)\"\nplot %s\n",
                domain, plot);
}

static void wm_panel(struct plot_fig *f, const struct wm_pt *m, size_t n, const struct win_pt *w,
                     size_t nw, bool clock) {
    uint32_t bm = plot_block(f, "watermarks: 1 t_s  2 watermark_s (event time)  3 late records "
                                "dropped so far  4 dropped at this trigger");
    for (size_t i = 0; i < n; i++)
        fprintf(f->dat, "%.9g %.9g %lld %lld\n", m[i].t_s, m[i].wm_s, (long long)m[i].dropped,
                (long long)(m[i].dropped - (i ? m[i - 1].dropped : 0)));
    uint32_t be = plot_block(f, "window ends (event time, s)");
    double last = NAN;
    for (size_t i = 0; i < nw; i++)
        if (!(w[i].end_s == last)) {
            fprintf(f->dat, "%.9g\n", w[i].end_s);
            last = w[i].end_s;
        }
    fputs("set yrange [*:*]\nset offsets 0, 0, 0, 0\n", f->gp);
    if (clock && n) { /* tics over the watermark and every window end drawn */
        double lo = m[0].wm_s, hi = m[0].wm_s;
        for (size_t i = 0; i < n; i++) {
            lo = fmin(lo, m[i].wm_s);
            hi = fmax(hi, m[i].wm_s);
        }
        for (size_t i = 0; i < nw; i++)
            hi = fmax(hi, w[i].end_s);
        plot_clock_tics(f->gp, 'y', lo - 60, hi + 60, true);
    }
    fprintf(f->gp,
            "set title \"watermark (event time) against processing time; a window is final "
            "once the watermark passes its end\"\n"
            "set ylabel \"event time%s\"\nunset key\nset key outside right top\n"
            "plot \"%s.dat\" index %u using 1:2 with steps lw 2.5 lc rgb \"#000000\" title "
            "\"watermark\", \\\n"
            "     \"\" index %u using (xlo):1:(xhi-xlo):(0) with vectors nohead dt 3 lc rgb "
            "\"#888888\" title \"window end\", \\\n"
            "     \"\" index %u using 1:($4 > 0 ? $2 : NaN) with points pt 2 ps 1.6*pscale lw 2 "
            "lc rgb \"#C00000\" title \"late records dropped\", \\\n"
            "     \"\" index %u using 1:($4 > 0 ? $2 : NaN):(sprintf(\"+%%d\", $4)) with "
            "labels offset 0,1 tc rgb \"#C00000\" notitle\n",
            clock ? " (clock time)" : " (s)", f->name, bm, be, bm, bm);
}

/* The x range of the processing-time panels: the emissions and watermarks, not the
 * idle time before them. */
static void win_proc_axis(const struct win_pt *w, size_t n, const struct wm_pt *m, size_t nm,
                          double *xlo, double *xhi, bool *clock) {
    double tmax = 0, tmin = INFINITY;
    for (size_t i = 0; i < n; i++) {
        tmax = fmax(tmax, w[i].at_s);
        tmin = fmin(tmin, w[i].at_s);
    }
    for (size_t i = 0; i < nm; i++) {
        tmax = fmax(tmax, m[i].t_s);
        tmin = fmin(tmin, m[i].t_s);
    }
    if (!(tmin <= tmax)) tmin = tmax = 0;
    *clock = tmin >= PLOT_CLOCK_FROM_S;
    double span = tmax - tmin, pad = 0.03 * span + (span == 0);
    *xlo = *clock || tmin > 0.25 * tmax ? tmin - pad : 0;
    *xhi = tmax + pad;
}

static int win_write(struct plot_ctx *c, const struct wf_query *q, bool file_seed,
                     const struct win_pt *w, size_t n, const struct wm_pt *m, size_t nm,
                     const char *name) {
    bool ev = false, pr = false;
    for (size_t i = 0; q->additive && i < n; i++) {
        ev |= strcmp(w[i].domain, "event") == 0;
        pr |= strcmp(w[i].domain, "processing") == 0;
    }
    double xlo, xhi;
    bool clock;
    win_proc_axis(w, ev || pr ? n : 0, m, nm, &xlo, &xhi, &clock);
    struct wf_data d;
    int rc = wf_load(c, q, &d);
    if (rc) return rc;
    uint32_t panels = 1 + (uint32_t)d.protos_differ + (uint32_t)ev + (uint32_t)pr + (nm > 0);
    struct plot_fig f;
    rc = plot_fig_open(c, &f, name,
                       "window values: final per key and protocol, emissions, watermark", 1300,
                       (int)(panels * 320 + 80));
    if (rc) {
        wf_free(&d);
        return rc;
    }
    fputs("# Final tables first (one block per key or protocol: 1 window_start_s  2 value),\n"
          "# then the emissions: one block per window: 1 emitted_at_s (processing time)\n"
          "# 2 total (latest value per key, summed over keys)  3 final (1: the window's final\n"
          "# emission); then the watermark.\n",
          f.dat);
    char title[512], qt[1100];
    snprintf(title, sizeof title, "%s, seed %llu%s: windowed query, %s%s", q->scenario,
             plot_seed(q->seed), file_seed ? " (the file's)" : "", q->value_words,
             d.nprotos > 1 && !d.protos_differ ? "; every protocol ends with the same totals" : "");
    fprintf(f.gp,
            "set multiplot layout %u,1 title %s\nset lmargin 14\nset rmargin 26\n"
            "set grid lc rgb \"#dddddd\"\nset key outside right top\n"
            "set offsets 0, 0, graph 0.08, 0\n",
            panels, plot_q(qt, sizeof qt, title));
    wf_panels(&f, q, &d, clock);
    fprintf(f.gp, "xlo = %.9g\nxhi = %.9g\nset xrange [xlo:xhi]\nset yrange [0:*]\n", xlo, xhi);
    if (clock) {
        plot_clock_tics(f.gp, 'x', xlo, xhi, true);
        fputs("set xlabel \"processing time (clock time of the replayed input, simulated)\"\n",
              f.gp);
    } else {
        fputs("set xtics autofreq\nset xlabel \"processing time (s, simulated)\"\n", f.gp);
    }
    char yl[400];
    plot_summed_words(q->value_words, yl, sizeof yl);
    if (ev || pr) fprintf(f.gp, "set ylabel %s\n", plot_q(qt, sizeof qt, yl));
    uint32_t left_out = 0;
    if (ev) win_panel(&f, w, n, "event", clock, &left_out);
    if (pr) win_panel(&f, w, n, "processing", clock, &left_out);
    if (nm) wm_panel(&f, m, nm, w, n, clock);
    fputs("unset multiplot\n", f.gp);
    if (left_out)
        plot_note(c, name, "%u windows after the first %u per panel left out", left_out,
                  WINDOWS_MAX);
    wf_free(&d);
    return plot_fig_close(c, &f);
}

/* The run to draw for a scenario: the file's seed when stored (else the least), the
 * protocol most likely to show the window semantics undisturbed (exactly-once first). */
static int pick_run(struct plot_ctx *c, const char *scenario, sqlite3_int64 file_seed,
                    sqlite3_int64 *run, sqlite3_int64 *seed, char *protocol, size_t size) {
    sqlite3_stmt *st;
    int rc = plot_prepare(c,
                          "SELECT r.id, r.seed, r.protocol FROM runs r WHERE r.scenario = ?1"
                          " AND" PLOT_PLAIN_LATEST " AND EXISTS (SELECT 1 FROM window_results w"
                          " WHERE w.run_id = r.id) ORDER BY r.seed = ?2 DESC, r.seed < 0, r.seed,"
                          " CASE r.protocol WHEN 'exactly-once' THEN 0"
                          " WHEN 'exactly-once-txn' THEN 1 WHEN 'at-least-once' THEN 2"
                          " WHEN 'at-most-once' THEN 3 ELSE 4 END, r.protocol LIMIT 1",
                          &st);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, scenario, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, file_seed);
    rc = plot_step(c, st);
    if (rc == 1) {
        *run = sqlite3_column_int64(st, 0);
        *seed = sqlite3_column_int64(st, 1);
        plot_text(protocol, size, st, 2);
    }
    sqlite3_finalize(st);
    return rc < 0 ? rc : rc == 1 ? 0 : FT_ENOENT;
}

static int win_scenario(struct plot_ctx *c, const char *scn, bool domains, const char *name) {
    struct plot_meta meta;
    bool known = plot_scenario_meta(c, scn, &meta);
    char proto[PLOT_TEXT_MAX];
    struct wf_query q = {.scenario = scn, .protocol = proto, .domains = domains};
    int rc = pick_run(c, scn, known ? meta.seed : 0, &q.run, &q.seed, proto, sizeof proto);
    if (rc == FT_ENOENT) return 0;
    /* without the scenario's row the aggregate is unknown: the values are added up as
     * counts, and the axis says so */
    q.additive = !known || !meta.aggregate[0] || strcmp(meta.aggregate, "count") == 0 ||
                 strcmp(meta.aggregate, "sum") == 0;
    q.value_words =
        known && meta.window_value[0] ? meta.window_value : "window value (aggregate not recorded)";
    struct win_pt *w = NULL;
    struct wm_pt *m = NULL;
    size_t n = 0, nm = 0;
    if (!rc) rc = win_read(c, q.run, domains, &w, &n);
    if (!rc) rc = wm_read(c, q.run, &m, &nm);
    if (!rc && n) rc = win_write(c, &q, known && q.seed == meta.seed, w, n, m, nm, name);
    free(w);
    free(m);
    return rc;
}

static int win_each(struct plot_ctx *c, const char *scn, const char *name, void *ctx) {
    return win_scenario(c, scn, *(const bool *)ctx, name);
}

int plot_fig_windows(struct plot_ctx *c) {
    bool domains = plot_column_exists(c, "window_results", "time_domain");
    return plot_each_scenario_in(c, "windows", "window_results", win_each, &domains,
                                 "no plain runs (params '') with window results");
}
