/* The delivery figures (docs/plots.md): protocol comparison per failure scenario (runs +
 * outcomes), lost and duplicated fraction against the network loss probability of a
 * sweep (runs.params) with the analytic expectation, and the loss formula's derivation.
 * Results of a scenario come from its latest file version only (the scenario_hash of
 * its newest run), so edited scenario files never mix with old results. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot_internal.h"

#define CMP_ROWS_MAX (64u * PLOT_SERIES_MAX)

/* Runs of a scenario's newest file version; `r` is the runs alias. */
#define LATEST_HASH                                                                                \
    " r.scenario_hash = (SELECT r2.scenario_hash FROM runs r2 WHERE r2.scenario = r.scenario"      \
    " ORDER BY r2.id DESC LIMIT 1)"

/* The SQL condition "a plain run, not a sweep point and not a Byzantine run". */
static const char *plain_runs(const struct plot_ctx *c) {
    if (c->has_params && c->has_agreement)
        return " r.params = '' AND r.id NOT IN (SELECT run_id FROM agreement)";
    if (c->has_params) return " r.params = ''";
    if (c->has_agreement) return " r.id NOT IN (SELECT run_id FROM agreement)";
    return " 1";
}

/* ---- (a) comparison: lost and duplicated per protocol, one panel per scenario with a
 * failure; the scenarios without one are named under the panels, never dropped silently ---- */

#define CMP_SCENARIOS_MAX 64u

struct cmp_row {
    char scenario[PLOT_TEXT_MAX], protocol[PLOT_TEXT_MAX];
    int64_t runs;
    double sent, delivered, lost, lost_sd, dup, dup_sd;
};

/* A scenario's failures: the faults its file injects (table scenarios), or, for a
 * database without that table, what its runs show (a crash, a record lost or
 * duplicated). */
struct cmp_scenario {
    char name[PLOT_TEXT_MAX], faults[128];
    bool failure, left_out; /* left_out: a failure past the PLOT_PANELS_MAX drawn */
};

static int cmp_order(const void *a, const void *b) {
    const struct cmp_row *x = a, *y = b;
    int d = strcmp(x->scenario, y->scenario);
    if (d) return d;
    d = plot_protocol_rank(x->protocol) - plot_protocol_rank(y->protocol);
    return d ? d : strcmp(x->protocol, y->protocol);
}

static int cmp_read(struct plot_ctx *c, struct cmp_row *rows, uint32_t *n) {
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT r.scenario, r.protocol, count(*), avg(o.sent), avg(o.delivered),"
             " avg(o.lost), avg(1.0 * o.lost * o.lost), avg(o.duplicated),"
             " avg(1.0 * o.duplicated * o.duplicated)"
             " FROM runs r JOIN outcomes o ON o.run_id = r.id WHERE %s AND" LATEST_HASH
             " GROUP BY r.scenario, r.protocol ORDER BY r.scenario, r.protocol",
             plain_runs(c));
    sqlite3_stmt *st;
    int rc = plot_prepare(c, sql, &st);
    if (rc) return rc;
    *n = 0;
    while ((rc = plot_step(c, st)) == 1) {
        if (*n == CMP_ROWS_MAX) {
            rc = ft_fail(c->err, FT_ELIMIT, "comparison: more than %u (scenario, protocol) pairs",
                         CMP_ROWS_MAX);
            break;
        }
        struct cmp_row *r = &rows[(*n)++];
        plot_text(r->scenario, sizeof r->scenario, st, 0);
        plot_text(r->protocol, sizeof r->protocol, st, 1);
        r->runs = sqlite3_column_int64(st, 2);
        r->sent = sqlite3_column_double(st, 3);
        r->delivered = sqlite3_column_double(st, 4);
        r->lost = sqlite3_column_double(st, 5);
        r->lost_sd = plot_sd(r->runs, r->lost, sqlite3_column_double(st, 6));
        r->dup = sqlite3_column_double(st, 7);
        r->dup_sd = plot_sd(r->runs, r->dup, sqlite3_column_double(st, 8));
    }
    sqlite3_finalize(st);
    if (rc < 0) return rc;
    qsort(rows, *n, sizeof *rows, cmp_order);
    return 0;
}

/* Whether the scenario's runs show a failure (for databases without table scenarios). */
static int cmp_runs_fail(struct plot_ctx *c, const char *scenario, bool *fail) {
    char sql[768];
    snprintf(sql, sizeof sql,
             "SELECT EXISTS (SELECT 1 FROM runs r JOIN outcomes o ON o.run_id = r.id WHERE"
             " r.scenario = ?1 AND %s AND" LATEST_HASH
             " AND (o.lost > 0 OR o.duplicated > 0 OR o.crashes > 0))",
             plain_runs(c));
    sqlite3_stmt *st;
    int rc = plot_prepare(c, sql, &st);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, scenario, -1, SQLITE_STATIC);
    rc = plot_step(c, st);
    *fail = rc == 1 && sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return rc < 0 ? rc : 0;
}

static int cmp_classify(struct plot_ctx *c, const struct cmp_row *rows, uint32_t n,
                        struct cmp_scenario *sc, uint32_t *nsc) {
    *nsc = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (i && strcmp(rows[i].scenario, rows[i - 1].scenario) == 0) continue;
        if (*nsc == CMP_SCENARIOS_MAX)
            return ft_fail(c->err, FT_ELIMIT, "comparison: more than %u scenarios",
                           CMP_SCENARIOS_MAX);
        struct cmp_scenario *s = &sc[(*nsc)++];
        memset(s, 0, sizeof *s);
        snprintf(s->name, sizeof s->name, "%s", rows[i].scenario);
        struct plot_meta meta;
        if (plot_scenario_meta(c, s->name, &meta)) {
            snprintf(s->faults, sizeof s->faults, "%s", meta.faults);
            s->failure = meta.faults[0] != '\0';
        } else {
            int rc = cmp_runs_fail(c, s->name, &s->failure);
            if (rc) return rc;
        }
    }
    return 0;
}

/* Two-line protocol names for the x axis of a narrow panel. */
static void short_protocol(const char *p, char *buf, size_t size) {
    const char *dash = strstr(p, "-once");
    if (dash && dash[5] == '-')
        snprintf(buf, size, "%.*s\n%s", (int)(dash + 5 - p), p, dash + 6);
    else if (dash && dash > p)
        snprintf(buf, size, "%.*s\n%s", (int)(dash + 1 - p), p, dash + 1);
    else
        snprintf(buf, size, "%s", p);
}

static void cmp_panel(FILE *gp, const struct cmp_row *rows, uint32_t n, uint32_t index,
                      const char *faults) {
    double top = 0;
    int64_t runs_min = rows[0].runs, runs_max = rows[0].runs;
    for (uint32_t i = 0; i < n; i++) {
        top = fmax(top, fmax(rows[i].lost + rows[i].lost_sd, rows[i].dup + rows[i].dup_sd));
        if (rows[i].runs < runs_min) runs_min = rows[i].runs;
        if (rows[i].runs > runs_max) runs_max = rows[i].runs;
    }
    char title[4 * PLOT_TEXT_MAX + 200], seeds[48];
    if (runs_min == runs_max)
        snprintf(seeds, sizeof seeds, "%lld seed%s", (long long)runs_min, runs_min == 1 ? "" : "s");
    else
        snprintf(seeds, sizeof seeds, "%lld-%lld seeds", (long long)runs_min, (long long)runs_max);
    snprintf(title, sizeof title, "%s\n%s%s%s, %.0f sent per run", rows[0].scenario, faults,
             faults[0] ? "; " : "", seeds, rows[0].sent);
    fputs("set title ", gp);
    plot_gp_str(gp, title);
    /* at most five y tics: the least step of 1, 2 or 5 times a power of ten above ymax/5 */
    double ymax = top > 0 ? top * 1.3 : 1.0, r = ymax / 5, p = pow(10, floor(log10(r)));
    double step = r <= p ? p : r <= 2 * p ? 2 * p : r <= 5 * p ? 5 * p : 10 * p;
    fprintf(gp, "\nset xrange [-0.6:%u.6]\nset yrange [0:%.6g]\nset ytics %.6g\nset xtics (", n - 1,
            ymax, step);
    for (uint32_t i = 0; i < n; i++) {
        char two[PLOT_TEXT_MAX + 2];
        short_protocol(rows[i].protocol, two, sizeof two);
        fputs(i ? ", " : "", gp);
        plot_gp_str(gp, two);
        fprintf(gp, " %u", i);
    }
    fprintf(gp,
            ")\nplot \"comparison.dat\" index %u using ($1-bw/2):6:(bw) with boxes lc rgb c_lost "
            "title \"lost\", \\\n"
            "     \"\" index %u using ($1+bw/2):8:(bw) with boxes lc rgb c_dup "
            "title \"duplicated (extra copies)\", \\\n"
            "     \"\" index %u using ($1-bw/2):($6-$7):(0):($7 > 0 ? 2*$7 : NaN) with vectors "
            "heads size screen 0.006,90 lc rgb \"#000000\" notitle, \\\n"
            "     \"\" index %u using ($1+bw/2):($8-$9):(0):($9 > 0 ? 2*$9 : NaN) with vectors "
            "heads size screen 0.006,90 lc rgb \"#000000\" notitle, \\\n"
            "     \"\" index %u using ($1-bw/2):($6+$7):(lab($6)) with labels offset 0,0.7 "
            "font f(10) notitle, \\\n"
            "     \"\" index %u using ($1+bw/2):($8+$9):(lab($8)) with labels offset 0,0.7 "
            "font f(10) notitle\n",
            index, index, index, index, index, index);
}

/* The names of the scenarios without a failure, for the note under the panels. */
static void cmp_note(const struct cmp_scenario *sc, uint32_t nsc, bool left_out, char *buf,
                     size_t size) {
    size_t k = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < nsc && k < size; i++)
        if (left_out ? sc[i].left_out : !sc[i].failure && !sc[i].left_out)
            k += (size_t)snprintf(buf + k, size - k, "%s%s", k ? ", " : "", sc[i].name);
}

static bool cmp_drawn(const struct cmp_scenario *sc, uint32_t nsc, const char *name) {
    for (uint32_t i = 0; i < nsc; i++)
        if (strcmp(sc[i].name, name) == 0) return sc[i].failure;
    return false;
}

static const char *cmp_faults(const struct cmp_scenario *sc, uint32_t nsc, const char *name) {
    for (uint32_t i = 0; i < nsc; i++)
        if (strcmp(sc[i].name, name) == 0) return sc[i].faults;
    return "";
}

/* Panels of about 460 x 340 pixels in a grid close to 16:9: cols / rows ~ 1.3. */
static void cmp_grid(uint32_t npanels, uint32_t *cols, uint32_t *rows) {
    uint32_t k = 1;
    while (k * k * 10 < npanels * 13)
        k++;
    *cols = k < npanels ? k : npanels;
    *rows = (npanels + *cols - 1) / *cols;
}

static void cmp_header(FILE *gp, uint32_t npanels, const char *note) {
    uint32_t cols, nrows;
    cmp_grid(npanels, &cols, &nrows);
    fputs("c_lost = \"#D55E00\"\nc_dup = \"#CC79A7\"\nbw = 0.38\n"
          "lab(v) = v == int(v) ? sprintf(\"%d\", int(v)) : sprintf(\"%.1f\", v)\n"
          "set style fill solid 0.85 border -1\nset grid ytics lc rgb \"#dddddd\"\n"
          "unset ylabel\nunset key\nftic = f(10)\nset xtics scale 0 font ftic\n"
          "set label 2 \"records per run (mean over the seeds)\" at screen 12.0 * fs / width, "
          "screen 0.5 center rotate by 90\n"
          /* the legend as objects: a key does not fit across a narrow panel */
          "kx = 0.5\nky = 1 - 44.0 * fs / height\nkw = 26.0 * fs / width\nkh = 12.0 * fs / height\n"
          "set object 1 rect from screen kx - 12 * kw, screen ky - kh / 2 to screen kx - 11 * kw,"
          " screen ky + kh / 2 fc rgb c_lost fs solid 0.85 border -1 front\n"
          "set label 3 \"lost\" at screen kx - 10.7 * kw, screen ky left\n"
          "set object 2 rect from screen kx - 7 * kw, screen ky - kh / 2 to screen kx - 6 * kw,"
          " screen ky + kh / 2 fc rgb c_dup fs solid 0.85 border -1 front\n"
          "set label 4 \"duplicated (extra copies)\" at screen kx - 5.7 * kw, screen ky left\n",
          gp);
    char q[2400];
    fprintf(gp, "set label 1 %s at screen 0.5, screen 16.0 * fs / height center font f(11)\n",
            plot_q(q, sizeof q, note));
    fprintf(gp,
            "set multiplot layout %u,%u title \"Records lost and duplicated per protocol, in "
            "every scenario with a failure (mean over seeds, error bars: +-1 sd)\" margins "
            "100.0 * fs / width, 0.99, 80.0 * fs / height, 1 - 120.0 * fs / height spacing 80.0 * "
            "fs / width, "
            "125.0 * fs / height\n",
            nrows, cols);
}

static int cmp_write(struct plot_ctx *c, const struct cmp_row *rows, uint32_t n,
                     const struct cmp_scenario *sc, uint32_t nsc, uint32_t npanels) {
    uint32_t cols, nrows;
    cmp_grid(npanels, &cols, &nrows);
    struct plot_fig f;
    int rc = plot_fig_open(c, &f, "comparison",
                           "records lost and duplicated per protocol, one panel per scenario "
                           "with a failure",
                           (int)(cols * 460 + 80), (int)(nrows * 360 + 190));
    if (rc) return rc;
    fputs("# One block per scenario with a failure (gnuplot index 0, 1, ...), one line per\n"
          "# protocol. Means over the seeds of the scenario's newest file version, sd =\n"
          "# sample standard deviation over those seeds.\n"
          "# columns: 1 x  2 protocol  3 runs  4 sent  5 delivered  6 lost  7 lost_sd\n"
          "#          8 duplicated  9 duplicated_sd\n",
          f.dat);
    char none[1024], over[1024], note[2200];
    cmp_note(sc, nsc, false, none, sizeof none);
    cmp_note(sc, nsc, true, over, sizeof over);
    snprintf(note, sizeof note, "%s%s%s%s%s",
             none[0] ? "Scenarios without a failure (not drawn): " : "", none,
             none[0] && over[0] ? "\n" : "",
             over[0] ? "Left out, past the panels one figure holds: " : "", over);
    fprintf(f.dat, "# scenarios without a failure (not drawn): %s\n", none[0] ? none : "none");
    if (over[0])
        fprintf(f.dat, "# scenarios with a failure left out (past %u panels): %s\n",
                PLOT_PANELS_MAX, over);
    cmp_header(f.gp, npanels, note);
    uint32_t first = 0;
    for (uint32_t i = 1; i <= n; i++) {
        if (i < n && strcmp(rows[i].scenario, rows[first].scenario) == 0) continue;
        if (cmp_drawn(sc, nsc, rows[first].scenario)) {
            uint32_t b = plot_block(&f, "scenario %s", rows[first].scenario);
            for (uint32_t k = first; k < i; k++) {
                const struct cmp_row *r = &rows[k];
                fprintf(f.dat, "%u ", k - first);
                plot_dat_str(f.dat, r->protocol);
                fprintf(f.dat, " %lld %.6g %.6g %.6g %.6g %.6g %.6g\n", (long long)r->runs, r->sent,
                        r->delivered, r->lost, r->lost_sd, r->dup, r->dup_sd);
            }
            cmp_panel(f.gp, rows + first, i - first, b, cmp_faults(sc, nsc, rows[first].scenario));
        }
        first = i;
    }
    fputs("unset multiplot\n", f.gp);
    return plot_fig_close(c, &f);
}

int plot_fig_comparison(struct plot_ctx *c) {
    static const char fam[] = "comparison";
    if (!plot_wanted(c, fam, fam)) return 0;
    struct cmp_row *rows = malloc(CMP_ROWS_MAX * sizeof *rows);
    struct cmp_scenario *sc = malloc(CMP_SCENARIOS_MAX * sizeof *sc);
    if (!rows || !sc) {
        free(rows);
        free(sc);
        return ft_fail(c->err, FT_ENOMEM, "out of memory");
    }
    uint32_t n = 0, nsc = 0, npanels = 0;
    int rc = cmp_read(c, rows, &n);
    if (!rc) rc = cmp_classify(c, rows, n, sc, &nsc);
    for (uint32_t i = 0; !rc && i < nsc; i++) {
        if (sc[i].failure && npanels == PLOT_PANELS_MAX) {
            sc[i].failure = false; /* named in the figure and in a note */
            sc[i].left_out = true;
            plot_note(c, fam, "%s left out: more than %u scenarios with a failure", sc[i].name,
                      PLOT_PANELS_MAX);
        }
        npanels += sc[i].failure;
    }
    if (!rc && n == 0) {
        rc = plot_skip(c, fam, "no runs with outcomes in %s (ftsim run --db fills them)",
                       c->opt->db);
    } else if (!rc && npanels == 0) {
        rc = plot_skip(c, fam, "no scenario in %s injects a failure", c->opt->db);
    } else if (!rc) {
        rc = cmp_write(c, rows, n, sc, nsc, npanels);
    }
    free(rows);
    free(sc);
    return rc;
}

/* ---- (b) loss sweep: lost / duplicated fraction against network.loss ----
 *
 * Expected loss under at-most-once (the derivation, from stream/): a record crosses
 * three links, each once and never retried: source -> broker (PRODUCE), broker ->
 * worker (RECORD), worker -> sink (OUTPUT). Every node drops network duplicates of a
 * message id (pipeline.c add_node), so a duplicated copy only gives the message a
 * second chance: with loss p and duplication d per link a hop succeeds with
 * q = (1 - p)(1 + d p) [(1-d)(1-p) + d(1-p^2)], and the record is lost with
 * 1 - q^3; with d = 0 that is 1 - (1 - p)^3. Reordering, jitter and the broker's
 * window do not lose records under at-most-once (it commits on send). This holds when
 * every link has the same loss (no per-link `links:` overrides). */

#define SWEEP_POINTS_MAX 4096u
#define LOSS_HOPS 3

struct sweep_pt {
    char scenario[PLOT_TEXT_MAX], protocol[PLOT_TEXT_MAX], rest[256];
    double p, d;
    int64_t n;
    double lost, lost_sq, dup, dup_sq; /* sums of the per-run fractions and their squares */
};

static double expected_loss(double p, double d, int hops) {
    return 1.0 - pow((1.0 - p) * (1.0 + d * p), hops);
}

/* Splits canonical params "k=v,k=v" into network.loss (p), network.duplicate (d) and
 * the rest (other overrides, which name the series). Returns false without a loss. */
static bool parse_params(const char *params, double *p, double *d, char *rest, size_t size) {
    bool have_p = false;
    *d = 0;
    rest[0] = '\0';
    size_t k = 0;
    while (*params) {
        size_t len = strcspn(params, ",");
        char kv[256];
        snprintf(kv, sizeof kv, "%.*s", (int)(len < 255 ? len : 255), params);
        char *eq = strchr(kv, '=');
        char *end = NULL;
        if (eq && strncmp(kv, "network.loss=", 13) == 0) {
            *p = strtod(eq + 1, &end);
            have_p = end != eq + 1 && *end == '\0';
        } else if (eq && strncmp(kv, "network.duplicate=", 18) == 0) {
            *d = strtod(eq + 1, &end);
        }
        if (!eq || strncmp(kv, "network.loss=", 13) != 0) {
            int w = snprintf(rest + k, size - k, "%s%s", k ? "," : "", kv);
            if (w > 0 && (size_t)w < size - k) k += (size_t)w;
        }
        params += len;
        if (*params == ',') params++;
    }
    return have_p && *p >= 0 && *p <= 1;
}

static int sweep_find(struct sweep_pt *pts, uint32_t *n, const char *scn, const char *proto,
                      const char *rest, double p, double d) {
    for (uint32_t i = 0; i < *n; i++)
        if (pts[i].p == p && strcmp(pts[i].scenario, scn) == 0 &&
            strcmp(pts[i].protocol, proto) == 0 && strcmp(pts[i].rest, rest) == 0)
            return (int)i;
    if (*n == SWEEP_POINTS_MAX) return -1;
    struct sweep_pt *s = &pts[*n];
    memset(s, 0, sizeof *s);
    snprintf(s->scenario, sizeof s->scenario, "%s", scn);
    snprintf(s->protocol, sizeof s->protocol, "%s", proto);
    snprintf(s->rest, sizeof s->rest, "%s", rest);
    s->p = p;
    s->d = d;
    return (int)(*n)++;
}

static int sweep_read(struct plot_ctx *c, struct sweep_pt *pts, uint32_t *n) {
    static const char sql[] =
        "SELECT r.scenario, r.protocol, r.params, o.sent, o.lost, o.duplicated"
        " FROM runs r JOIN outcomes o ON o.run_id = r.id"
        " WHERE r.params LIKE '%network.loss=%' AND o.sent > 0 AND" LATEST_HASH;
    sqlite3_stmt *st;
    int rc = plot_prepare(c, sql, &st);
    if (rc) return rc;
    *n = 0;
    while ((rc = plot_step(c, st)) == 1) {
        char scn[PLOT_TEXT_MAX], proto[PLOT_TEXT_MAX], params[1024], rest[256];
        plot_text(scn, sizeof scn, st, 0);
        plot_text(proto, sizeof proto, st, 1);
        plot_text(params, sizeof params, st, 2);
        double p = 0, d = 0, sent = sqlite3_column_double(st, 3);
        if (!parse_params(params, &p, &d, rest, sizeof rest)) continue;
        int i = sweep_find(pts, n, scn, proto, rest, p, d);
        if (i < 0) {
            rc = ft_fail(c->err, FT_ELIMIT, "loss-sweep: more than %u sweep points",
                         SWEEP_POINTS_MAX);
            break;
        }
        double lf = sqlite3_column_double(st, 4) / sent, df = sqlite3_column_double(st, 5) / sent;
        pts[i].n++;
        pts[i].lost += lf;
        pts[i].lost_sq += lf * lf;
        pts[i].dup += df;
        pts[i].dup_sq += df * df;
    }
    sqlite3_finalize(st);
    return rc < 0 ? rc : 0;
}

static int sweep_order(const void *a, const void *b) {
    const struct sweep_pt *x = a, *y = b;
    int k = strcmp(x->scenario, y->scenario);
    if (!k) k = plot_protocol_rank(x->protocol) - plot_protocol_rank(y->protocol);
    if (!k) k = strcmp(x->protocol, y->protocol);
    if (!k) k = strcmp(x->rest, y->rest);
    if (!k) k = (x->p > y->p) - (x->p < y->p);
    return k;
}

static bool same_series(const struct sweep_pt *a, const struct sweep_pt *b) {
    return strcmp(a->protocol, b->protocol) == 0 && strcmp(a->rest, b->rest) == 0;
}

/* Half-width of the 95% confidence interval of a mean over n runs. */
static double ci95(int64_t n, double sum, double sum_sq) {
    double mean = sum / (double)n;
    return n > 1 ? 1.96 * plot_sd(n, mean, sum_sq / (double)n) / sqrt((double)n) : 0.0;
}

/* Writes one scenario's points: one index block per series. */
static int sweep_write(struct plot_ctx *c, const struct sweep_pt *pts, uint32_t n,
                       const char *name) {
    struct plot_fig f;
    int rc = plot_fig_open(c, &f, name, "lost and duplicated fraction vs network loss", 1400, 620);
    if (rc) return rc;
    double pmax = 0, dmin = pts[0].d, dmax = pts[0].d;
    for (uint32_t i = 0; i < n; i++) {
        pmax = fmax(pmax, pts[i].p);
        dmin = fmin(dmin, pts[i].d);
        dmax = fmax(dmax, pts[i].d);
    }
    fprintf(f.dat,
            "# One block per series (protocol and other overrides); ci95 = 1.96 sd/sqrt(n)\n"
            "# over the n seeds; expected_lost = 1-((1-p)(1+d p))^%d, the at-most-once\n"
            "# loss over %d lossy hops (d = network.duplicate of the run, 0 when unset).\n"
            "# columns: 1 p  2 x (p, nudged apart per series)  3 n  4 lost_mean\n"
            "#          5 lost_ci95  6 duplicated_mean  7 duplicated_ci95  8 expected_lost\n",
            LOSS_HOPS, LOSS_HOPS);
    uint32_t nseries = 1;
    bool one_rest = true; /* every series has the same other overrides: name them once */
    int64_t nmin = pts[0].n, nmax = pts[0].n;
    for (uint32_t i = 1; i < n; i++) {
        nseries += !same_series(&pts[i], &pts[i - 1]);
        one_rest &= strcmp(pts[i].rest, pts[0].rest) == 0;
        nmin = pts[i].n < nmin ? pts[i].n : nmin;
        nmax = pts[i].n > nmax ? pts[i].n : nmax;
    }
    double nudge = (pmax > 0 ? pmax : 1) * 0.006;
    char title[512], qt[1100], seeds[48];
    if (nmin == nmax)
        snprintf(seeds, sizeof seeds, "%lld", (long long)nmin);
    else
        snprintf(seeds, sizeof seeds, "%lld-%lld", (long long)nmin, (long long)nmax);
    snprintf(title, sizeof title,
             "%s%s%s%s: records lost and duplicated vs network loss p\n"
             "mean over %s seeds per point, error bars: 95%% confidence interval of the mean",
             pts[0].scenario, one_rest && pts[0].rest[0] ? " (" : "", one_rest ? pts[0].rest : "",
             one_rest && pts[0].rest[0] ? ")" : "", seeds);
    fprintf(f.gp,
            "d = %.6g\nhops = %d\nexpected(p) = 1 - ((1 - p) * (1 + d * p))**hops\n"
            "set multiplot layout 1,2 title %s\n"
            "set grid lc rgb \"#dddddd\"\nset key top left opaque box\n"
            "set xlabel \"network loss probability p (per message, every link)\"\n"
            "set xrange [%.6g:%.6g]\nset yrange [0:*]\n",
            dmin, LOSS_HOPS, plot_q(qt, sizeof qt, title), -pmax * 0.04, pmax * 1.04 + (pmax == 0));
    char plot_lost[8192], plot_dup[8192];
    size_t kl = 0, kd = 0;
    uint32_t s = 0, first = 0;
    for (uint32_t i = 1; i <= n; i++) {
        if (i < n && same_series(&pts[i], &pts[first])) continue;
        const struct sweep_pt *h = &pts[first];
        char label[512];
        bool tag = !one_rest && h->rest[0];
        snprintf(label, sizeof label, "%s%s%s%s", h->protocol, tag ? " (" : "", tag ? h->rest : "",
                 tag ? ")" : "");
        uint32_t b = plot_block(&f, "series %s", label);
        double off = ((double)s - (double)(nseries - 1) / 2.0) * nudge;
        for (uint32_t k = first; k < i; k++) {
            const struct sweep_pt *q = &pts[k];
            fprintf(f.dat, "%.6g %.6g %lld %.6g %.6g %.6g %.6g %.6g\n", q->p, q->p + off,
                    (long long)q->n, q->lost / (double)q->n, ci95(q->n, q->lost, q->lost_sq),
                    q->dup / (double)q->n, ci95(q->n, q->dup, q->dup_sq),
                    expected_loss(q->p, q->d, LOSS_HOPS));
        }
        const char *col = plot_protocol_color(h->protocol);
        char q[1100];
        plot_q(q, sizeof q, label);
        int w = snprintf(plot_lost + kl, sizeof plot_lost - kl,
                         "%s\"%s.dat\" index %u using 2:4:5 with yerrorbars lc rgb \"%s\" pt 7 "
                         "ps 1.3*pscale lw 1.5 title %s",
                         s ? ", \\\n     " : "", name, b, col, q);
        if (w > 0 && (size_t)w < sizeof plot_lost - kl) kl += (size_t)w;
        w = snprintf(plot_dup + kd, sizeof plot_dup - kd,
                     "%s\"%s.dat\" index %u using 2:6:7 with yerrorlines lc rgb \"%s\" pt 7 ps "
                     "1.2 lw 1.5 title %s",
                     s ? ", \\\n     " : "", name, b, col, q);
        if (w > 0 && (size_t)w < sizeof plot_dup - kd) kd += (size_t)w;
        s++;
        first = i;
    }
    fprintf(f.gp,
            "set title \"lost: records never visible at the sink\\nat-most-once crosses 3 "
            "lossy hops once each (produce, record, output)\"\n"
            "set ylabel \"lost records / records sent\"\n"
            "plot %s, \\\n     expected(x) with lines lc rgb \"#000000\" dt 2 lw 2 title "
            "\"expected, at-most-once: %s\"\n",
            plot_lost, dmax > 0 ? "1-((1-p)(1+dp))^3" : "1-(1-p)^3");
    fprintf(f.gp,
            "set title \"duplicated: extra visible copies\\n(retries after lost "
            "acknowledgements)\"\n"
            "set ylabel \"extra copies / records sent\"\nplot %s\nunset multiplot\n",
            plot_dup);
    if (dmin != dmax)
        plot_note(c, name, "runs differ in network.duplicate; the curve uses d = %g", dmin);
    return plot_fig_close(c, &f);
}

int plot_fig_loss_sweep(struct plot_ctx *c) {
    static const char fam[] = "loss-sweep";
    if (!c->has_params)
        return plot_skip(c, fam, "%s has no runs.params column (schema v1: no sweeps)", c->opt->db);
    struct sweep_pt *pts = malloc(SWEEP_POINTS_MAX * sizeof *pts);
    if (!pts) return ft_fail(c->err, FT_ENOMEM, "out of memory");
    uint32_t n = 0;
    int rc = sweep_read(c, pts, &n);
    if (!rc && n == 0)
        rc = plot_skip(c, fam,
                       "no sweep over network.loss in %s (ftsim sweep FILE --set "
                       "network.loss=0,0.05,...)",
                       c->opt->db);
    if (!rc) qsort(pts, n, sizeof *pts, sweep_order);
    uint32_t first = 0;
    for (uint32_t i = 1; !rc && i <= n; i++) {
        if (i < n && strcmp(pts[i].scenario, pts[first].scenario) == 0) continue;
        char slug[PLOT_TEXT_MAX], name[PLOT_NAME_MAX];
        plot_slug(pts[first].scenario, slug, sizeof slug);
        snprintf(name, sizeof name, "%s-%s", fam, slug);
        if (plot_wanted(c, fam, name)) rc = sweep_write(c, pts + first, i - first, name);
        first = i;
    }
    free(pts);
    return rc;
}
