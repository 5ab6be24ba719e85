/* What a lecturer sees in the figures of `ftsim plot` (docs/plots.md), checked on
 * databases of the current schema filled here with hand-stated rows: a clock-time time
 * series spans its data (not midnight to the end), the drain's partial bins are left
 * out and said, a constant latency is drawn inside its axis and said, every kind of
 * fault gets a lane (a crash without restart does not hide a second one), no two
 * legend entries of one plot share colour, point and dash, at-most-once and
 * at-least-once are not two shades of one hue, a mean is drawn per key and never summed,
 * protocols that end differently get a panel of their difference, the comparison draws
 * every scenario with a failure (more than twelve) and names the others, and SVG text
 * has the PNG's size. Each expectation is read from the .gp/.dat/.svg written. */
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plot.h"
#include "store_testutil.h"
#include "testutil.h"

struct fx {
    char dir[1024], db[1100], out[1100];
    sqlite3 *c;
    int64_t next_run;
};

static int fx_setup(void **state) {
    struct fx *f = calloc(1, sizeof *f);
    if (!f || tu_mkdtemp("figures", f->dir, sizeof f->dir) != 0) {
        free(f);
        return -1;
    }
    snprintf(f->db, sizeof f->db, "%s/results.db", f->dir);
    snprintf(f->out, sizeof f->out, "%s/plots", f->dir);
    res_close(open_ok(f->db)); /* the current schema */
    f->c = raw_open(f->db);
    /* what the figures read of the scenario file (schema 6): made here when the store is
     * older, so a figure test fails on what the figure draws, not on a missing table */
    char *msg = NULL;
    sqlite3_exec(f->c,
                 "CREATE TABLE IF NOT EXISTS scenarios (scenario_hash TEXT PRIMARY KEY,"
                 " scenario TEXT NOT NULL, seed INTEGER NOT NULL, duration_ns INTEGER,"
                 " faults TEXT NOT NULL, window_aggregate TEXT, window_value TEXT,"
                 " about TEXT NOT NULL)",
                 NULL, NULL, &msg);
    sqlite3_free(msg);
    *state = f;
    return 0;
}

static int fx_teardown(void **state) {
    struct fx *f = *state;
    if (f->c) sqlite3_close(f->c);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    free(f);
    return rc;
}

static void sql(struct fx *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sql(struct fx *f, const char *fmt, ...) {
    char buf[1 << 16];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *msg = NULL;
    if (sqlite3_exec(f->c, buf, NULL, NULL, &msg) != SQLITE_OK) fail_msg("%s: %s", buf, msg);
}

/* A plain run with an outcome; returns its id. */
static int64_t run(struct fx *f, const char *scn, int seed, const char *proto, int lost, int dup) {
    int64_t id = ++f->next_run;
    sql(f,
        "INSERT INTO runs (id, scenario, scenario_hash, params, seed, protocol, trace_hash,"
        " status) VALUES (%lld, '%s', 'h-%s', '', %d, '%s', 't', 'ok');"
        "INSERT INTO outcomes (run_id, sent, delivered, lost, duplicated, retries, messages,"
        " latency_p50_ns, latency_p99_ns, recovery_ns, crashes, matches_reference,"
        " keys_mismatched) VALUES (%lld, 1000, %d, %d, %d, 0, 4000, 3000000, 3000000, 0, 0, 1,"
        " 0)",
        (long long)id, scn, scn, seed, proto, (long long)id, 1000 - lost, lost, dup);
    return id;
}

static void scenario(struct fx *f, const char *scn, int seed, double duration_s, const char *faults,
                     const char *agg, const char *words) {
    sql(f, "INSERT INTO scenarios VALUES ('h-%s', '%s', %d, %lld, '%s', %s%s%s, %s%s%s, '')", scn,
        scn, seed, (long long)(duration_s * 1e9), faults, agg ? "'" : "", agg ? agg : "NULL",
        agg ? "'" : "", words ? "'" : "", words ? words : "NULL", words ? "'" : "");
}

/* Buckets [t0 + k w, ...) for k < n: visible v(k) each with latency lat_ms. */
static void buckets(struct fx *f, int64_t run_id, double t0_s, double w_s, int n,
                    int (*visible)(int k), double lat_ms) {
    char json[1 << 15];
    size_t o = 0;
    o += (size_t)snprintf(json + o, sizeof json - o, "[");
    for (int k = 0; k < n; k++) {
        int v = visible(k);
        long long lat = (long long)(lat_ms * 1e6);
        o += (size_t)snprintf(json + o, sizeof json - o, "%s[%lld,%lld,%d,%s%lld,%s%lld,0,0]",
                              k ? "," : "", (long long)((t0_s + k * w_s) * 1e9),
                              (long long)(w_s * 1e9), v, "", v ? lat : 0, "", v ? lat : 0);
    }
    snprintf(json + o, sizeof json - o, "]");
    sql(f, "INSERT INTO timeseries_json VALUES (%lld, '%s')", (long long)run_id, json);
}

static void plot(struct fx *f, const char *only, enum plot_format fmt) {
    struct plot_options o = {.db = f->db, .out_dir = f->out, .format = fmt, .only = only};
    struct plot_report rep;
    struct ft_error err = {0};
    if (plot_all(&o, &rep, &err) != 0) fail_msg("plot_all: %s", err.msg);
}

static char *read_out(struct fx *f, const char *name) {
    char path[1300];
    snprintf(path, sizeof path, "%s/%s", f->out, name);
    char *s = tu_slurp(path, NULL);
    if (!s) fail_msg("no %s", path);
    return s;
}

/* ---- the time series ---- */

static int words_visible(int k) { /* records at 12:02 .. 12:16 only */
    return k >= 2 && k <= 16 && k % 3 == 2;
}

static void test_clock_time_timeseries_spans_the_data(void **state) {
    struct fx *f = *state;
    scenario(f, "words", 1, 45000, "", "count", "count of rows per key");
    int64_t id = run(f, "words", 1, "exactly-once", 0, 0);
    /* one-minute buckets from noon; activity from 12:02 to 12:17 (k = 2 .. 16) */
    buckets(f, id, 43200, 60, 40, words_visible, 3);
    plot(f, "timeseries", PLOT_PNG);
    char *gp = read_out(f, "timeseries-words.gp");
    const char *x = strstr(gp, "set xrange [");
    assert_non_null(x);
    double lo, hi;
    assert_int_equal(sscanf(x, "set xrange [%lf:%lf]", &lo, &hi), 2);
    /* the data: the first active bucket starts at 12:02 (43320 s, k = 2), the last
     * (k = 14) ends at 12:15 (44100 s) */
    double first = 43320, last = 44100, span = last - first;
    printf("x range %.1f .. %.1f, data %.1f .. %.1f\n", lo, hi, first, last);
    assert_true(lo >= first - 0.05 * span && lo <= first);
    assert_true(hi >= last && hi <= last + 0.05 * span);
    assert_non_null(strstr(gp, "\"12:04\"")); /* clock-time tics */
    free(gp);
}

static int steady(int k) {
    return k < 50 ? 20 : 2; /* 200 records/s; the drain bucket after 5 s has 2 */
}

static void test_drain_bins_are_left_out_and_said(void **state) {
    struct fx *f = *state;
    scenario(f, "drainy", 7, 5.0, "crash", NULL, NULL);
    for (int p = 0; p < 2; p++)
        buckets(f, run(f, "drainy", 7, p ? "at-least-once" : "at-most-once", 0, 0), 0, 0.1, 51,
                steady, 3);
    plot(f, "timeseries", PLOT_PNG);
    char *dat = read_out(f, "timeseries-drainy.dat"), *gp = read_out(f, "timeseries-drainy.gp");
    /* buckets [4.9, 5.0) is the last drawn (middle 4.95); [5.0, 5.1) is the drain */
    assert_non_null(strstr(dat, "\n4.95 "));
    assert_null(strstr(dat, "\n5.05 "));
    assert_non_null(strstr(gp, "drain after the source's end at 5 s (up to 2 more rows"));
    free(dat);
    free(gp);
}

static void test_constant_latency_is_drawn_inside_its_axis(void **state) {
    struct fx *f = *state;
    scenario(f, "flat", 1, 5.0, "", NULL, NULL);
    buckets(f, run(f, "flat", 1, "exactly-once", 0, 0), 0, 0.1, 50, steady, 3);
    plot(f, "timeseries", PLOT_PNG);
    char *gp = read_out(f, "timeseries-flat.gp");
    /* the latency panel's range (after its ylabel): 3 ms lies inside, not on the top */
    const char *lat = strstr(gp, "latency record -> sink row");
    assert_non_null(lat);
    const char *y = strstr(lat, "set yrange [");
    assert_non_null(y);
    double lo, hi;
    assert_int_equal(sscanf(y, "set yrange [%lf:%lf]", &lo, &hi), 2);
    assert_true(lo <= 0 && hi >= 4.5);
    assert_non_null(strstr(lat, "after 3 ms (constant)"));
    free(gp);
}

static int busy(int k) {
    (void)k;
    return 30;
}

static void test_every_fault_has_a_lane(void **state) {
    struct fx *f = *state;
    scenario(f, "faulty", 1, 10.0, "crash,drop,partition", NULL, NULL);
    int64_t id = run(f, "faulty", 1, "at-least-once", 0, 1);
    buckets(f, id, 0, 0.1, 100, busy, 4);
    sql(f,
        "INSERT INTO markers (run_id, t_ns, kind, node, label) VALUES"
        " (%lld, 1000000000, 'drop', 'worker-1', 'ack r28 -> broker'),"
        " (%lld, 2000000000, 'crash', 'worker-3', NULL),"
        " (%lld, 3000000000, 'partition', NULL, NULL), (%lld, 4000000000, 'heal', NULL, NULL),"
        " (%lld, 5000000000, 'crash', 'worker-1', NULL),"
        " (%lld, 8000000000, 'restart', 'worker-1', NULL)",
        (long long)id, (long long)id, (long long)id, (long long)id, (long long)id, (long long)id);
    plot(f, "timeseries", PLOT_PNG);
    char *dat = read_out(f, "timeseries-faulty.dat"), *gp = read_out(f, "timeseries-faulty.gp");
    const char *bars = strstr(dat, "fault bars");
    assert_non_null(bars);
    /* worker-3 never restarts: its bar runs to the axis's end and says so, and worker-1's
     * own bar (5 s to 8 s) is a separate lane, not hidden under it */
    assert_non_null(strstr(bars, "\n2 "));
    assert_non_null(strstr(bars, "crash \"no restart\""));
    assert_non_null(strstr(bars, "\n5 8 "));
    assert_non_null(strstr(bars, "\n3 4 "));
    assert_non_null(strstr(dat, "drop \"ack r28 -> broker\""));
    assert_non_null(strstr(gp, "\"worker-3 down\""));
    assert_non_null(strstr(gp, "\"worker-1 down\""));
    assert_non_null(strstr(gp, "\"network partitioned\""));
    assert_non_null(strstr(gp, "\"dropped by rule\""));
    free(dat);
    free(gp);
}

/* ---- legends ---- */

/* Each clause of each plot command: its title (or none) and its style. */
struct clause {
    char title[160], color[16];
    int pt, dt;
};

static int clauses_of(const char *cmd, size_t len, struct clause *c, int max) {
    int n = 0;
    char buf[1 << 15];
    snprintf(buf, sizeof buf, "%.*s", (int)(len < sizeof buf - 1 ? len : sizeof buf - 1), cmd);
    for (char *s = buf; s && n < max;) {
        char *next = strstr(s, ", \\\n");
        if (next) *next = '\0';
        struct clause k = {"", "", -1, 1};
        char *t = strstr(s, " title ");
        if (t && t[7] == '"') sscanf(t + 8, "%159[^\"]", k.title);
        char *lc = strstr(s, "lc rgb ");
        if (lc) sscanf(lc + 7 + (lc[7] == '"'), "%15[^\" ,]", k.color);
        if (strstr(s, "lc rgb variable")) snprintf(k.color, sizeof k.color, "variable");
        char *pt = strstr(s, " pt ");
        if (pt) k.pt = atoi(pt + 4);
        char *dt = strstr(s, " dt ");
        if (dt) k.dt = atoi(dt + 4);
        if (k.title[0]) c[n++] = k;
        s = next ? next + 4 : NULL;
    }
    return n;
}

/* Every plot command of a script: two titled clauses must differ in colour, point or
 * dash; returns how many pairs do not. */
static int same_style_pairs(const char *gp, const char *name) {
    int bad = 0;
    for (const char *p = gp; (p = strstr(p, "\nplot ")) != NULL; p++) {
        const char *end = p + 1;
        while ((end = strchr(end, '\n')) && end[-1] == '\\')
            end++;
        if (!end) end = p + strlen(p);
        static struct clause c[256];
        int n = clauses_of(p + 6, (size_t)(end - p - 6), c, 256);
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
                if (!strcmp(c[i].color, c[j].color) && c[i].pt == c[j].pt && c[i].dt == c[j].dt) {
                    print_message("%s: \"%s\" and \"%s\" look alike (%s, pt %d, dt %d)\n", name,
                                  c[i].title, c[j].title, c[i].color, c[i].pt, c[i].dt);
                    bad++;
                }
    }
    return bad;
}

static double hue(const char *rgb) {
    unsigned v = (unsigned)strtoul(rgb + 1, NULL, 16);
    double r = (v >> 16) / 255.0, g = (v >> 8 & 255) / 255.0, b = (v & 255) / 255.0;
    double mx = fmax(r, fmax(g, b)), mn = fmin(r, fmin(g, b)), d = mx - mn;
    if (d == 0) return 0;
    double h = mx == r ? fmod((g - b) / d, 6) : mx == g ? (b - r) / d + 2 : (r - g) / d + 4;
    return fmod(60 * h + 360, 360);
}

static void test_no_two_legend_entries_look_alike(void **state) {
    struct fx *f = *state;
    static const char *const protos[] = {"at-most-once", "at-least-once", "exactly-once",
                                         "exactly-once-txn"};
    scenario(f, "four", 1, 5.0, "crash", NULL, NULL);
    for (int p = 0; p < 4; p++)
        buckets(f, run(f, "four", 1, protos[p], p == 0 ? 5 : 0, p == 1 ? 2 : 0), 0, 0.1, 50, steady,
                3 + p);
    /* Byzantine runs: Dolev-Strong and SM with m = 1 and m = 2 at n = 4, OM at n = 3..10 */
    for (int n = 3; n <= 10; n++)
        for (int m = 1; m <= 2; m++)
            for (int a = 0; a < 3; a++) {
                static const char *const alg[] = {"om", "sm", "dolev-strong"};
                if (m == 2 && (a == 0 || n != 4)) continue;
                int64_t id = run(f, "byz", 1, alg[a], 0, 0);
                sql(f,
                    "UPDATE runs SET params = 'n=%d,m=%d' WHERE id = %lld;"
                    "INSERT INTO agreement VALUES (%lld, '%s', %d, %d, '%s', NULL, 1, %d, 2,"
                    " %d, 100, 0, %d, 0, '[]')",
                    n, m, (long long)id, (long long)id, alg[a], n, m, n == 3 ? "2" : "",
                    !(a == 0 && n == 3), (n - 1) * (n - 1), a ? n : 0);
            }
    plot(f, NULL, PLOT_PNG);
    static const char *const names[] = {"timeseries-four", "byzantine-agreement", "byzantine-cost",
                                        "comparison"};
    int bad = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char file[128];
        snprintf(file, sizeof file, "%s.gp", names[i]);
        char *gp = read_out(f, file);
        bad += same_style_pairs(gp, names[i]);
        free(gp);
    }
    assert_int_equal(bad, 0);
    /* the protocols' colours: at-most-once and at-least-once of different hues */
    char *gp = read_out(f, "timeseries-four.gp");
    struct clause c[32];
    const char *p = strstr(gp, "\nplot ");
    assert_non_null(p);
    int n = clauses_of(p + 6, strlen(p + 6), c, 32);
    assert_true(n >= 2);
    double d = fabs(hue(c[0].color) - hue(c[1].color));
    d = d > 180 ? 360 - d : d;
    printf("%s %s, %s %s: hues %.0f apart\n", c[0].title, c[0].color, c[1].title, c[1].color, d);
    assert_true(d >= 40);
    free(gp);
}

/* ---- windows ---- */

static void window_row(struct fx *f, int64_t id, int start_s, const char *key, double v) {
    sql(f,
        "INSERT INTO window_results (run_id, window_start_ns, window_end_ns, key, value,"
        " emitted_at_ns, final, time_domain) VALUES (%lld, %lld, %lld, '%s', %g, %lld, 1,"
        " 'event')",
        (long long)id, start_s * 1000000000ll, (start_s + 10) * 1000000000ll, key, v,
        (start_s + 12) * 1000000000ll);
}

static void test_a_mean_is_drawn_per_key_and_never_summed(void **state) {
    struct fx *f = *state;
    scenario(f, "rooms", 3, 60, "", "mean", "mean reading (milli-degrees C) per joined attribute");
    int64_t id = run(f, "rooms", 3, "exactly-once", 0, 0);
    static const char *const rooms[] = {"hall", "kitchen", "office"};
    for (int w = 0; w < 5; w++)
        for (int r = 0; r < 3; r++)
            window_row(f, id, 10 * w, rooms[r], 20000 + 100 * r + w);
    plot(f, "windows", PLOT_PNG);
    char *dat = read_out(f, "windows-rooms.dat"), *gp = read_out(f, "windows-rooms.gp");
    for (int r = 0; r < 3; r++) {
        char want[64];
        snprintf(want, sizeof want, "final values, key %s", rooms[r]);
        assert_non_null(strstr(dat, want));
    }
    assert_non_null(strstr(dat, "\n20 20202\n")); /* office (+200), window at 20 s (+2) */
    assert_null(strstr(gp, "summed"));            /* a mean is never added up */
    assert_null(strstr(gp, "records in window"));
    assert_non_null(strstr(gp, "mean reading (milli-degrees C)"));
    free(dat);
    free(gp);
}

static void test_protocols_that_differ_get_their_difference(void **state) {
    struct fx *f = *state;
    scenario(f, "moving", 58, 8, "partition", "count", "count of records per key");
    for (int p = 0; p < 2; p++) {
        int64_t id = run(f, "moving", 58, p ? "exactly-once" : "at-least-once", 0, p ? 0 : 2);
        for (int w = 0; w < 4; w++)
            for (int k = 0; k < 12; k++) { /* 12 keys, 33 each: 396 a window */
                char key[16];
                snprintf(key, sizeof key, "key-%d", k);
                window_row(f, id, 10 * w, key, 33 + (p == 0 && w == 1 && k < 2));
            }
    }
    plot(f, "windows", PLOT_PNG);
    char *dat = read_out(f, "windows-moving.dat"), *gp = read_out(f, "windows-moving.gp");
    /* at-least-once counted two records twice in the window at 10 s: +2 */
    const char *alo = strstr(dat, "totals, at-least-once");
    assert_non_null(alo);
    assert_non_null(strstr(alo, "\n10 398 2\n"));
    assert_non_null(strstr(gp, "minus exactly-once's"));
    free(dat);
    free(gp);
}

/* ---- comparison ---- */

static void test_comparison_draws_every_failure_and_names_the_rest(void **state) {
    struct fx *f = *state;
    char scn[32];
    for (int s = 0; s < 16; s++) {
        snprintf(scn, sizeof scn, "s%02d", s);
        scenario(f, scn, 1, 5, s < 14 ? "crash" : "", NULL, NULL);
        run(f, scn, 1, "at-most-once", s < 14 ? 10 : 0, 0);
        run(f, scn, 1, "at-least-once", 0, s < 14 ? 3 : 0);
    }
    plot(f, "comparison", PLOT_PNG);
    char *dat = read_out(f, "comparison.dat");
    for (int s = 0; s < 14; s++) {
        char want[48];
        snprintf(want, sizeof want, "scenario s%02d\n", s);
        if (!strstr(dat, want)) fail_msg("comparison.dat has no block for s%02d", s);
    }
    assert_null(strstr(dat, "scenario s14\n"));
    assert_non_null(strstr(dat, "without a failure (not drawn): s14, s15"));
    free(dat);
}

/* ---- SVG like PNG ---- */

static void test_svg_text_is_the_png_size(void **state) {
    struct fx *f = *state;
    scenario(f, "flat", 1, 5.0, "crash", NULL, NULL);
    run(f, "flat", 1, "at-most-once", 3, 0);
    plot(f, "comparison", PLOT_SVG);
    char *svg = read_out(f, "comparison.svg");
    /* pngcairo draws 12 pt as 16 px (96 dpi); the svg terminal's sizes are px */
    assert_non_null(strstr(svg, "font-size=\"16.00\""));
    free(svg);
}

int main(void) {
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
        T(test_clock_time_timeseries_spans_the_data),
        T(test_drain_bins_are_left_out_and_said),
        T(test_constant_latency_is_drawn_inside_its_axis),
        T(test_every_fault_has_a_lane),
        T(test_no_two_legend_entries_look_alike),
        T(test_a_mean_is_drawn_per_key_and_never_summed),
        T(test_protocols_that_differ_get_their_difference),
        T(test_comparison_draws_every_failure_and_names_the_rest),
        T(test_svg_text_is_the_png_size),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
