/* (g) Micro-batch against continuous (outcomes' window columns, schema v4; docs/plots.md):
 * for each scenario swept over `--set driver.kind=...`, per driver and protocol, the
 * window query's emission latency (p50 and p99, mean over seeds) and the late
 * contributions it dropped (mean over seeds): what the driver changes for the same
 * query on the same input. */
#include <stdlib.h>
#include <string.h>

#include "plot_internal.h"

#define DRIVER_ROWS_MAX 64u

struct drv_row {
    char driver[PLOT_TEXT_MAX], protocol[PLOT_TEXT_MAX];
    double p50_s, p99_s, dropped;
    long long seeds;
};

/* The value of driver.kind in a params string ("driver.kind=continuous,x=1"). */
static void driver_of(const char *params, char *out, size_t size) {
    const char *p = strstr(params, "driver.kind=");
    if (!p) {
        snprintf(out, size, "?");
        return;
    }
    p += strlen("driver.kind=");
    size_t n = strcspn(p, ",");
    snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), p);
}

static int drv_rows(struct plot_ctx *c, const char *scenario, struct drv_row *rows, uint32_t *n) {
    sqlite3_stmt *st;
    int rc = plot_prepare(c,
                          "SELECT r.params, r.protocol, avg(o.window_latency_p50_ns) / 1e9,"
                          " avg(o.window_latency_p99_ns) / 1e9, avg(o.late_dropped), count(*)"
                          " FROM runs r JOIN outcomes o ON o.run_id = r.id"
                          " WHERE r.scenario = ?1 AND instr(r.params, 'driver.kind=') > 0"
                          " AND o.window_latency_p50_ns IS NOT NULL"
                          " GROUP BY r.params, r.protocol ORDER BY r.params, r.protocol",
                          &st);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, scenario, -1, SQLITE_STATIC);
    int step;
    *n = 0;
    while ((step = plot_step(c, st)) == 1 && *n < DRIVER_ROWS_MAX) {
        struct drv_row *r = &rows[(*n)++];
        char params[512];
        plot_text(params, sizeof params, st, 0);
        driver_of(params, r->driver, sizeof r->driver);
        plot_text(r->protocol, sizeof r->protocol, st, 1);
        r->p50_s = sqlite3_column_double(st, 2);
        r->p99_s = sqlite3_column_double(st, 3);
        r->dropped = sqlite3_column_double(st, 4);
        r->seeds = sqlite3_column_int64(st, 5);
    }
    sqlite3_finalize(st);
    return step < 0 ? step : 0;
}

static int drv_write(struct plot_ctx *c, const char *scenario, const struct drv_row *rows,
                     uint32_t n, const char *name) {
    struct plot_fig f;
    int rc = plot_fig_open(c, &f, name, "window latency and late drops per driver", 1300, 560);
    if (rc) return rc;
    plot_block(&f, "1 label (driver, protocol)  2 p50_s  3 p99_s  4 late contributions dropped"
                   "  5 seeds");
    long long seeds = 0;
    for (uint32_t i = 0; i < n; i++) {
        char label[2 * PLOT_TEXT_MAX + 4];
        snprintf(label, sizeof label, "%.*s\\n%.*s", PLOT_TEXT_MAX - 1, rows[i].driver,
                 PLOT_TEXT_MAX - 1, rows[i].protocol);
        plot_dat_str(f.dat, label);
        fprintf(f.dat, " %.9g %.9g %.9g %lld\n", rows[i].p50_s, rows[i].p99_s, rows[i].dropped,
                rows[i].seeds);
        if (rows[i].seeds > seeds) seeds = rows[i].seeds;
    }
    char title[256], q[600];
    snprintf(title, sizeof title,
             "%s: the same query under the micro-batch and the continuous driver (mean over "
             "%lld seed%s)",
             scenario, seeds, seeds == 1 ? "" : "s");
    fprintf(f.gp,
            "set multiplot layout 1,2 title %s\n"
            "set style data histogram\nset style histogram clustered gap 1\n"
            "set style fill solid 0.85 border -1\nset boxwidth 0.9\n"
            "set grid ytics lc rgb \"#dddddd\"\nset key top left\nset yrange [0:*]\n"
            "set offsets 0, 0, graph 0.1, 0\nset bmargin 5\n"
            "set title \"latency record -> window row: a record's arrival to the first emission showing it\"\n"
            "set ylabel \"latency record -> window row (s, simulated)\"\n"
            "plot \"%s.dat\" using 2:xtic(1) title \"p50\" lc rgb \"#1F5FA0\", \\\n"
            "     \"\" using 3 title \"p99\" lc rgb \"#9BB8D9\"\n"
            "set title \"late contributions dropped (a window already final)\"\n"
            "set ylabel \"contributions per run\"\nunset key\n"
            "plot \"%s.dat\" using 4:xtic(1) lc rgb \"#C00000\", \\\n"
            "     \"\" using 0:4:(sprintf(\"%%.3g\", $4)) with labels offset 0,0.8 notitle\n"
            "unset multiplot\n",
            plot_q(q, sizeof q, title), f.name, f.name);
    return plot_fig_close(c, &f);
}

static int drv_scenario(struct plot_ctx *c, const char *scn, const char *name, void *ctx) {
    (void)ctx;
    struct drv_row rows[DRIVER_ROWS_MAX];
    uint32_t n = 0;
    int rc = drv_rows(c, scn, rows, &n);
    return !rc && n ? drv_write(c, scn, rows, n, name) : rc;
}

int plot_fig_drivers(struct plot_ctx *c) {
    static const char fam[] = "drivers";
    if (!plot_column_exists(c, "outcomes", "window_latency_p50_ns") || !c->has_params)
        return plot_skip(c, fam, "%s has no window outcomes (results schema 4)", c->opt->db);
    return plot_each_scenario(
        c, fam,
        "SELECT DISTINCT r.scenario FROM runs r JOIN outcomes o ON o.run_id = r.id"
        " WHERE instr(r.params, 'driver.kind=') > 0"
        " AND o.window_latency_p50_ns IS NOT NULL ORDER BY r.scenario",
        drv_scenario, NULL, "no sweep over driver.kind");
}
