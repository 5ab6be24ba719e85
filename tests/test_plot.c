/* ftsim plot (analysis/plot.h) against fixture databases written with the schema v2 DDL
 * (tests/plot_fixture.h): every figure family is drawn from hand-stated rows, each
 * image is a real PNG/SVG/PDF of plausible size, each NAME.gp redraws its image
 * byte for byte, the .dat files hold the means, spreads and closed forms computed here
 * by hand, the database is never written, absent data is skipped with a note, and bad
 * input (no file, not a database, not a results database, an unknown --only) is
 * refused. Set FTSIM_PLOT_KEEP=DIR to keep the sample database and figures in DIR. */
#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "plot.h"
#include "plot_fixture.h"
#include "store.h"
#include "testutil.h"

struct fx {
    char dir[PATH_MAX];
    char db[PATH_MAX + 32];
    char out[PATH_MAX + 32];
    bool keep;
};

static int rm_tree(const char *dir) {
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char p[PATH_MAX + 512];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
            rm_tree(p);
        else
            unlink(p);
    }
    if (d) closedir(d);
    return rmdir(dir);
}

static int fx_setup(void **state) {
    struct fx *f = calloc(1, sizeof *f);
    if (!f) return -1;
    const char *keep = getenv("FTSIM_PLOT_KEEP");
    if (keep && *keep) {
        snprintf(f->dir, sizeof f->dir, "%s", keep);
        mkdir(f->dir, 0777);
        f->keep = true;
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(f->dir, sizeof f->dir, "%s/ftsim-plot-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(f->dir)) {
            free(f);
            return -1;
        }
    }
    snprintf(f->db, sizeof f->db, "%s/results.db", f->dir);
    snprintf(f->out, sizeof f->out, "%s/plots", f->dir);
    *state = f;
    return 0;
}

static int fx_teardown(void **state) {
    struct fx *f = *state;
    int rc = f->keep ? 0 : rm_tree(f->dir);
    free(f);
    return rc;
}

/* ---- the sample database: every family, hand-stated numbers ---- */

static const char *const protos[] = {"at-most-once", "at-least-once", "exactly-once",
                                     "exactly-once-txn"};

/* comparison: scenario "alpha", 3 seeds; at-most-once loses 3, 5, 7 (mean 5, sd 2),
 * at-least-once duplicates 1, 2, 6 (mean 3, sd sqrt(7)); the others neither. */
static void fill_comparison(sqlite3 *db) {
    static const uint64_t amo_lost[] = {3, 5, 7}, alo_dup[] = {1, 2, 6};
    for (int p = 0; p < 4; p++)
        for (uint64_t s = 0; s < 3; s++) {
            int64_t id = fx_run(db, "alpha", s + 1, protos[p], "");
            fx_outcome(db, id, 1000, p == 0 ? amo_lost[s] : 0, p == 1 ? alo_dup[s] : 0);
        }
}

/* loss sweep of "lossy": p in {0, 0.1}, 2 seeds; at-most-once loses 260 and 280 of 1000
 * at p = 0.1 (mean 0.27, ci95 = 1.96 * sd / sqrt(2) = 1.96 * 0.0141421 / 1.41421 = 0.0196). */
static void fill_sweep(sqlite3 *db) {
    for (uint64_t s = 1; s <= 2; s++) {
        fx_outcome(db, fx_run(db, "lossy", s, "at-most-once", "network.loss=0"), 1000, 0, 0);
        fx_outcome(db, fx_run(db, "lossy", s, "at-most-once", "network.loss=0.1"), 1000,
                   s == 1 ? 260 : 280, 0);
        fx_outcome(db, fx_run(db, "lossy", s, "at-least-once", "network.loss=0"), 1000, 0, 0);
        fx_outcome(db, fx_run(db, "lossy", s, "at-least-once", "network.loss=0.1"), 1000, 0,
                   400 + 20 * s);
    }
}

/* timeseries, latency quantiles and markers for scenario "crashy": a crash of worker-1
 * at 2 s and its restart at 3 s; throughput halves meanwhile. */
static void fill_time(sqlite3 *db) {
    for (int p = 0; p < 2; p++) {
        int64_t id = fx_run(db, "crashy", 1, protos[p], "");
        fx_outcome(db, id, 1000, 0, 0);
        for (int b = 0; b < 50; b++) {
            bool down = b >= 20 && b < 30;
            fx_exec(db,
                    "INSERT INTO timeseries VALUES (%lld, %lld, 100000000, %d, %d, %d, %d, 5, 0)",
                    (long long)id, (long long)b * 100000000, down ? 10 : 20, down ? 100 : 200,
                    3000000 + p * 500000, down ? 900000000 : 9000000);
        }
        for (int q = 0; q <= 100; q++)
            fx_exec(db, "INSERT INTO latency_quantiles VALUES (%lld, %d, %d)", (long long)id, q,
                    2000000 + q * 100000 * (p + 1));
        fx_exec(db, "INSERT INTO markers VALUES (%lld, 2000000000, 'crash', 'worker-1')",
                (long long)id);
        fx_exec(db, "INSERT INTO markers VALUES (%lld, 3000000000, 'restart', 'worker-1')",
                (long long)id);
    }
}

/* windows of "tumbling": two 1 s windows, keys a and b, emitted twice each. */
static void fill_windows(sqlite3 *db, bool ext) {
    int64_t id = fx_run(db, "tumbling", 1, "exactly-once", "");
    fx_outcome(db, id, 100, 0, 0);
    for (int w = 0; w < 2; w++)
        for (int e = 1; e <= 2; e++)
            for (int k = 0; k < 2; k++)
                fx_exec(db,
                        "INSERT INTO window_results (run_id, window_start_ns, window_end_ns, key,"
                        " value, emitted_at_ns, final) VALUES (%lld, %lld, %lld, '%c', %d, %lld,"
                        " %d)",
                        (long long)id, w * 1000000000ll, (w + 1) * 1000000000ll, 'a' + k,
                        10 * e + k, (w + e) * 1000000000ll + 500000000, e == 2);
    if (!ext) return;
    for (int t = 1; t <= 4; t++)
        fx_exec(db, "INSERT INTO watermarks VALUES (%lld, %lld, %lld, %d)", (long long)id,
                (long long)t * 1000000000 + 500000000, (long long)(t - 1) * 1000000000,
                t >= 3 ? 2 : 0);
}

/* agreement: OM and SM, n = 4 and 7, m = 1 and 2, with 0 and 1 traitors. */
static void fill_byzantine(sqlite3 *db) {
    static const struct {
        const char *alg;
        int n, m;
        long long messages, verified;
    } rows[] = {
        {"om", 4, 1, 9, 0}, {"om", 7, 2, 156, 0}, {"sm", 4, 1, 9, 15}, {"sm", 7, 1, 36, 66}};
    for (int i = 0; i < 4; i++)
        for (int t = 0; t <= 1; t++) {
            char scn[32];
            snprintf(scn, sizeof scn, "byz-%s-%d-%d", rows[i].alg, rows[i].n, t);
            int64_t id = fx_run(db, scn, 1, rows[i].alg, "");
            bool ok = t == 0 || strcmp(rows[i].alg, "sm") == 0 || rows[i].n >= 4;
            fx_exec(db,
                    "INSERT INTO agreement VALUES (%lld, %Q, %d, %d, %Q, 'conflicting', %d, %d,"
                    " 2, %lld, 640, 0, %lld, 0, '[]')",
                    (long long)id, rows[i].alg, rows[i].n, rows[i].m, t ? "2" : "", ok, ok,
                    rows[i].messages, rows[i].verified);
        }
}

static void make_sample(const char *path, bool windows_ext) {
    sqlite3 *db = fx_db_create(path, windows_ext);
    fill_comparison(db);
    fill_sweep(db);
    fill_time(db);
    fill_windows(db, windows_ext);
    fill_byzantine(db);
    fx_db_close(db);
}

/* ---- helpers ---- */

static const char *const sample_figures[] = {
    "comparison",       "loss-sweep-lossy",    "timeseries-crashy", "latency-cdf-crashy",
    "windows-tumbling", "byzantine-agreement", "byzantine-cost"};
#define NSAMPLE (sizeof sample_figures / sizeof sample_figures[0])

static long file_size(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

static int run_plot(const char *db, const char *out, enum plot_format fmt, const char *only,
                    struct plot_report *rep, struct ft_error *err) {
    struct plot_options o = {
        .db = db, .out_dir = out, .format = fmt, .only = only, .notes = stdout};
    memset(err, 0, sizeof *err);
    return plot_all(&o, rep, err);
}

/* The data line of `dat` that starts with `x` inside the block whose comment contains
 * `block`; its fields split on blanks (quoted strings kept whole, quotes dropped). */
static int dat_row(const char *dat, const char *block, const char *first, char fields[][64],
                   int max) {
    const char *b = strstr(dat, block);
    assert_non_null(b);
    for (const char *line = strchr(b, '\n'); line && line[1] && line[1] != '\n';
         line = strchr(line + 1, '\n')) {
        const char *p = line + 1;
        if (*p == '#') continue;
        int n = 0;
        while (*p && *p != '\n' && n < max) {
            while (*p == ' ')
                p++;
            size_t k = 0;
            if (*p == '"') {
                for (p++; *p && *p != '"' && k < 63; p++)
                    fields[n][k++] = *p;
                if (*p == '"') p++;
            } else {
                for (; *p && *p != ' ' && *p != '\n' && k < 63; p++)
                    fields[n][k++] = *p;
            }
            fields[n++][k] = '\0';
        }
        if (n && strcmp(fields[0], first) == 0) return n;
    }
    fail_msg("no row starting with %s in block %s", first, block);
    return 0;
}

static void assert_near(const char *field, double want, double tol) {
    double got = strtod(field, NULL);
    if (fabs(got - want) > tol) fail_msg("got %s, want %.6g (+- %g)", field, want, tol);
}

/* ---- tests ---- */

static void test_every_family_draws_a_real_png_and_each_gp_redraws_it(void **state) {
    struct fx *f = *state;
    make_sample(f->db, true);
    struct plot_report rep;
    struct ft_error err;
    int rc = run_plot(f->db, f->out, PLOT_PNG, NULL, &rep, &err);
    if (rc) fail_msg("plot_all: %s", err.msg);
    assert_int_equal(rep.written, NSAMPLE);
    for (size_t i = 0; i < NSAMPLE; i++) {
        assert_string_equal(rep.names[i], sample_figures[i]);
        char img[PATH_MAX + 200], cmd[2 * PATH_MAX + 300];
        snprintf(img, sizeof img, "%s/%s.png", f->out, sample_figures[i]);
        long n0 = 0;
        char *before = tu_slurp(img, &n0);
        assert_non_null(before);
        assert_memory_equal(before, "\x89PNG\r\n\x1a\n", 8);
        if (n0 < 10000) fail_msg("%s: %ld bytes is too small for a drawn figure", img, n0);
        /* the script alone, from its directory, redraws the same bytes */
        assert_int_equal(unlink(img), 0);
        snprintf(cmd, sizeof cmd, "cd '%s' && gnuplot '%s.gp'", f->out, sample_figures[i]);
        assert_int_equal(system(cmd), 0);
        long n1 = 0;
        char *after = tu_slurp(img, &n1);
        assert_non_null(after);
        assert_int_equal(n1, n0);
        assert_memory_equal(after, before, (size_t)n0);
        free(before);
        free(after);
    }
}

static void test_dat_files_hold_hand_computed_means_spreads_and_closed_forms(void **state) {
    struct fx *f = *state;
    make_sample(f->db, true);
    struct plot_report rep;
    struct ft_error err;
    if (run_plot(f->db, f->out, PLOT_PNG, NULL, &rep, &err)) fail_msg("%s", err.msg);
    char path[PATH_MAX + 200], row[16][64];
    snprintf(path, sizeof path, "%s/comparison.dat", f->out);
    char *dat = tu_slurp(path, NULL);
    assert_non_null(dat);
    /* x protocol runs sent delivered lost lost_sd dup dup_sd */
    assert_int_equal(dat_row(dat, "scenario alpha", "0", row, 16), 9);
    assert_string_equal(row[1], "at-most-once");
    assert_string_equal(row[2], "3");
    assert_near(row[5], 5.0, 1e-9);
    assert_near(row[6], 2.0, 1e-9);
    assert_near(row[4], 995.0, 1e-9); /* delivered = 1000 - lost, mean */
    dat_row(dat, "scenario alpha", "1", row, 16);
    assert_string_equal(row[1], "at-least-once");
    assert_near(row[7], 3.0, 1e-9);
    assert_near(row[8], sqrt(7.0), 1e-5);
    free(dat);

    snprintf(path, sizeof path, "%s/loss-sweep-lossy.dat", f->out);
    dat = tu_slurp(path, NULL);
    assert_non_null(dat);
    /* p x n lost lost_ci95 dup dup_ci95 expected */
    dat_row(dat, "series at-most-once", "0.1", row, 16);
    assert_string_equal(row[2], "2");
    assert_near(row[3], 0.27, 1e-9);
    assert_near(row[4], 0.0196, 1e-6);
    assert_near(row[7], 0.271, 1e-9); /* 1 - 0.9^3 */
    dat_row(dat, "series at-most-once", "0", row, 16);
    assert_near(row[7], 0.0, 1e-12);
    dat_row(dat, "series at-least-once", "0.1", row, 16);
    assert_near(row[5], 0.43, 1e-9); /* (420 + 440) / 2 / 1000 */
    free(dat);

    snprintf(path, sizeof path, "%s/byzantine-cost.dat", f->out);
    dat = tu_slurp(path, NULL);
    assert_non_null(dat);
    dat_row(dat, "closed form OM(1)", "4", row, 16);
    assert_near(row[1], 9, 0); /* 3 + 3*2 */
    dat_row(dat, "closed form OM(2)", "7", row, 16);
    assert_near(row[1], 156, 0); /* 6 + 6*5 + 6*5*4 */
    dat_row(dat, "closed forms SM", "7", row, 16);
    assert_near(row[1], 36, 0); /* (n-1)^2 */
    assert_near(row[2], 66, 0); /* (n-1)(2n-3) */
    free(dat);

    snprintf(path, sizeof path, "%s/windows-tumbling.dat", f->out);
    dat = tu_slurp(path, NULL);
    assert_non_null(dat);
    /* window [0, 1): emitted at 1.5 s with a=10, b=11 (21), then at 2.5 s 20 + 21 = 41, final */
    dat_row(dat, "event-time window [0 s, 1 s)", "1.5", row, 16);
    assert_near(row[1], 21, 0);
    assert_string_equal(row[2], "0");
    dat_row(dat, "event-time window [0 s, 1 s)", "2.5", row, 16);
    assert_near(row[1], 41, 0);
    assert_string_equal(row[2], "1");
    dat_row(dat, "watermarks", "3.5", row, 16);
    assert_string_equal(row[2], "2"); /* dropped so far */
    assert_string_equal(row[3], "2"); /* dropped at this trigger */
    free(dat);
}

static void test_svg_and_pdf_formats(void **state) {
    struct fx *f = *state;
    make_sample(f->db, false);
    struct plot_report rep;
    struct ft_error err;
    if (run_plot(f->db, f->out, PLOT_SVG, "comparison", &rep, &err)) fail_msg("%s", err.msg);
    assert_int_equal(rep.written, 1);
    char path[PATH_MAX + 200];
    snprintf(path, sizeof path, "%s/comparison.svg", f->out);
    char *svg = tu_slurp(path, NULL);
    assert_non_null(svg);
    assert_true(strncmp(svg, "<?xml", 5) == 0 || strncmp(svg, "<svg", 4) == 0);
    assert_non_null(strstr(svg, "</svg>"));
    free(svg);
    if (run_plot(f->db, f->out, PLOT_PDF, "timeseries", &rep, &err)) fail_msg("%s", err.msg);
    assert_int_equal(rep.written, 1);
    snprintf(path, sizeof path, "%s/timeseries-crashy.pdf", f->out);
    char *pdf = tu_slurp(path, NULL);
    assert_non_null(pdf);
    assert_memory_equal(pdf, "%PDF-", 5);
    assert_true(file_size(path) > 5000);
    free(pdf);
    /* windows without the proposed additions: one panel, still drawn */
    if (run_plot(f->db, f->out, PLOT_PNG, "windows", &rep, &err)) fail_msg("%s", err.msg);
    assert_int_equal(rep.written, 1);
}

/* The sample database (schema 2, as older ftsim wrote it) opened once by the results
 * store is migrated to the current schema, where the time series and quantiles are
 * views over one JSON row per run: every figure drawn from it has the same data and
 * script as from the original, apart from the database's path in the script's header. */
static void test_a_migrated_database_draws_the_same_figures(void **state) {
    struct fx *f = *state;
    make_sample(f->db, false);
    char db2[PATH_MAX + 64], out2[PATH_MAX + 64];
    snprintf(db2, sizeof db2, "%s/migrated.db", f->dir);
    snprintf(out2, sizeof out2, "%s/plots-migrated", f->dir);
    long n = 0;
    char *bytes = tu_slurp(f->db, &n);
    assert_non_null(bytes);
    FILE *w = fopen(db2, "wb");
    assert_non_null(w);
    assert_int_equal(fwrite(bytes, 1, (size_t)n, w), (size_t)n);
    assert_int_equal(fclose(w), 0);
    free(bytes);
    struct res_db *rdb = NULL;
    struct ft_error err = {0};
    if (res_open(db2, &rdb, &err)) fail_msg("res_open: %s", err.msg);
    res_close(rdb);
    sqlite3 *c = NULL;
    assert_int_equal(sqlite3_open_v2(db2, &c, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(c,
                                        "SELECT (SELECT user_version FROM pragma_user_version),"
                                        " (SELECT type FROM sqlite_schema WHERE name ="
                                        " 'timeseries'), (SELECT count(*) FROM timeseries_json)",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), RES_SCHEMA_VERSION);
    assert_string_equal((const char *)sqlite3_column_text(st, 1), "view");
    assert_true(sqlite3_column_int(st, 2) > 0);
    sqlite3_finalize(st);
    sqlite3_close(c);
    struct plot_report rep1, rep2;
    if (run_plot(f->db, f->out, PLOT_PNG, NULL, &rep1, &err)) fail_msg("%s", err.msg);
    if (run_plot(db2, out2, PLOT_PNG, NULL, &rep2, &err)) fail_msg("%s", err.msg);
    assert_int_equal(rep2.written, rep1.written);
    assert_true(rep1.written >= 5);
    for (size_t i = 0; i < rep1.written; i++) {
        assert_string_equal(rep2.names[i], rep1.names[i]);
        static const char *const ext[] = {"dat", "gp"};
        for (int e = 0; e < 2; e++) {
            char p1[PATH_MAX + 200], p2[PATH_MAX + 200];
            snprintf(p1, sizeof p1, "%s/%s.%s", f->out, rep1.names[i], ext[e]);
            snprintf(p2, sizeof p2, "%s/%s.%s", out2, rep1.names[i], ext[e]);
            char *a = tu_slurp(p1, NULL), *b = tu_slurp(p2, NULL);
            assert_non_null(a);
            assert_non_null(b);
            if (e == 1) { /* past the "# Written by ... from the results database PATH" line */
                char *ea = strstr(a, "\n# "), *eb = strstr(b, "\n# ");
                ea = ea ? strchr(ea + 1, '\n') : NULL;
                eb = eb ? strchr(eb + 1, '\n') : NULL;
                assert_non_null(ea);
                assert_non_null(eb);
                assert_string_equal(eb, ea);
            } else {
                assert_string_equal(b, a);
            }
            free(a);
            free(b);
        }
    }
}

static void test_database_is_never_written(void **state) {
    struct fx *f = *state;
    make_sample(f->db, true);
    long n0, n1;
    char *before = tu_slurp(f->db, &n0);
    struct plot_report rep;
    struct ft_error err;
    if (run_plot(f->db, f->out, PLOT_PNG, NULL, &rep, &err)) fail_msg("%s", err.msg);
    char *after = tu_slurp(f->db, &n1);
    assert_int_equal(n0, n1);
    assert_memory_equal(before, after, (size_t)n0);
    free(before);
    free(after);
    char wal[PATH_MAX + 64];
    snprintf(wal, sizeof wal, "%s-wal", f->db);
    assert_true(file_size(wal) <= 0);
}

static void test_absent_data_is_skipped_with_a_note_and_no_image(void **state) {
    struct fx *f = *state;
    sqlite3 *db = fx_db_create(f->db, false);
    fx_db_close(db);
    char notes_path[PATH_MAX + 64];
    snprintf(notes_path, sizeof notes_path, "%s/notes.txt", f->dir);
    FILE *notes = fopen(notes_path, "w");
    assert_non_null(notes);
    struct plot_options o = {.db = f->db, .out_dir = f->out, .format = PLOT_PNG, .notes = notes};
    struct plot_report rep;
    struct ft_error err = {0};
    assert_int_equal(plot_all(&o, &rep, &err), 0);
    fclose(notes);
    assert_int_equal(rep.written, 0);
    assert_int_equal(rep.skipped, plot_nfamilies);
    char *text = tu_slurp(notes_path, NULL);
    for (uint32_t i = 0; i < plot_nfamilies; i++) {
        char want[64];
        snprintf(want, sizeof want, "skipping %s:", plot_families[i]);
        if (!strstr(text, want)) fail_msg("no note '%s' in:\n%s", want, text);
    }
    free(text);
    DIR *d = opendir(f->out);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));)
        if (strstr(e->d_name, ".png")) fail_msg("an image %s without data", e->d_name);
    closedir(d);
}

static void test_schema_v1_database_draws_the_comparison_only(void **state) {
    struct fx *f = *state;
    sqlite3 *db = fx_db_create_with(f->db, fx_schema_v1, NULL);
    for (uint64_t s = 1; s <= 2; s++)
        fx_outcome(db, fx_run(db, "old", s, "at-most-once", NULL), 500, 10 * s, 0);
    fx_db_close(db);
    struct plot_report rep;
    struct ft_error err;
    if (run_plot(f->db, f->out, PLOT_PNG, NULL, &rep, &err)) fail_msg("%s", err.msg);
    assert_int_equal(rep.written, 1);
    assert_string_equal(rep.names[0], "comparison");
    assert_int_equal(rep.skipped, plot_nfamilies - 1);
}

static void test_bad_input_is_refused(void **state) {
    struct fx *f = *state;
    struct plot_report rep;
    struct ft_error err;
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/missing.db", f->dir);
    assert_int_equal(run_plot(path, f->out, PLOT_PNG, NULL, &rep, &err), FT_EDB);
    assert_non_null(strstr(err.msg, "missing.db"));
    snprintf(path, sizeof path, "%s/text.db", f->dir);
    FILE *t = fopen(path, "w");
    assert_non_null(t);
    fputs("this is not a database, just some text long enough to have a header\n", t);
    fclose(t);
    assert_int_equal(run_plot(path, f->out, PLOT_PNG, NULL, &rep, &err), FT_EDB);
    snprintf(path, sizeof path, "%s/other.db", f->dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    fx_exec(db, "CREATE TABLE something (x)");
    sqlite3_close(db);
    assert_int_equal(run_plot(path, f->out, PLOT_PNG, NULL, &rep, &err), FT_EDB);
    assert_non_null(strstr(err.msg, "not an ftsim results database"));
    make_sample(f->db, false);
    assert_int_equal(run_plot(f->db, f->out, PLOT_PNG, "nonsense", &rep, &err), FT_EINVAL);
    assert_int_equal(run_plot(f->db, f->out, PLOT_PNG, "timeseries-nosuch", &rep, &err), FT_EINVAL);
    assert_non_null(strstr(err.msg, "timeseries-nosuch"));
    /* --only one figure of a family draws just that one */
    if (run_plot(f->db, f->out, PLOT_PNG, "byzantine-cost", &rep, &err)) fail_msg("%s", err.msg);
    assert_int_equal(rep.written, 1);
    assert_string_equal(rep.names[0], "byzantine-cost");
}

static void test_missing_gnuplot_is_an_environment_error(void **state) {
    struct fx *f = *state;
    make_sample(f->db, false);
    struct plot_options o = {.db = f->db,
                             .out_dir = f->out,
                             .format = PLOT_PNG,
                             .only = "comparison",
                             .gnuplot = "/nonexistent/gnuplot"};
    struct plot_report rep;
    struct ft_error err = {0};
    assert_int_equal(plot_all(&o, &rep, &err), FT_EIO);
    assert_non_null(strstr(err.msg, "gnuplot"));
    char img[PATH_MAX + 64];
    snprintf(img, sizeof img, "%s/comparison.png", f->out);
    assert_int_equal(file_size(img), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_family_draws_a_real_png_and_each_gp_redraws_it,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(
            test_dat_files_hold_hand_computed_means_spreads_and_closed_forms, fx_setup,
            fx_teardown),
        cmocka_unit_test_setup_teardown(test_svg_and_pdf_formats, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_a_migrated_database_draws_the_same_figures, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_database_is_never_written, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_absent_data_is_skipped_with_a_note_and_no_image,
                                        fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_schema_v1_database_draws_the_comparison_only, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_bad_input_is_refused, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_missing_gnuplot_is_an_environment_error, fx_setup,
                                        fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
