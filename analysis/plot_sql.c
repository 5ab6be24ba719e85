/* The figure files' reads of the results database: prepared statements with bound
 * parameters, one scenario at a time (plot_each_scenario), checks for tables and
 * columns an older schema lacks, the scenario file's meta (schema 6), and the small
 * statistics the figures print. The database is opened read-only (plot.c). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "plot_internal.h"

/* ---- SQL ---- */

int plot_prepare(struct plot_ctx *c, const char *sql, sqlite3_stmt **st) {
    if (sqlite3_prepare_v2(c->db, sql, -1, st, NULL) != SQLITE_OK)
        return ft_fail(c->err, FT_EDB, "results database %s: %s", c->opt->db,
                       sqlite3_errmsg(c->db));
    return 0;
}

void plot_text(char *dst, size_t size, sqlite3_stmt *st, int col) {
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(dst, size, "%s", t ? (const char *)t : "");
}

int plot_each_scenario(struct plot_ctx *c, const char *family, const char *sql, plot_scenario_fn fn,
                       void *ctx, const char *none) {
    sqlite3_stmt *st;
    int rc = plot_prepare(c, sql, &st);
    if (rc) return rc;
    bool any = false;
    int step = 0;
    while (!rc && (step = plot_step(c, st)) == 1) {
        char scn[PLOT_TEXT_MAX], slug[PLOT_TEXT_MAX], name[PLOT_NAME_MAX];
        plot_text(scn, sizeof scn, st, 0);
        plot_slug(scn, slug, sizeof slug);
        snprintf(name, sizeof name, "%s-%s", family, slug);
        any = true;
        if (plot_wanted(c, family, name)) rc = fn(c, scn, name, ctx);
    }
    sqlite3_finalize(st);
    if (!rc && step < 0) rc = step;
    if (rc || any || !none) return rc;
    return plot_skip(c, family, "%s", none);
}

int plot_each_scenario_in(struct plot_ctx *c, const char *family, const char *table,
                          plot_scenario_fn fn, void *ctx, const char *none) {
    if (!plot_table_has_rows(c, table) || !c->has_params)
        return plot_skip(c, family, "no rows in table %s of %s", table, c->opt->db);
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT DISTINCT r.scenario FROM runs r WHERE" PLOT_PLAIN_LATEST
             " AND EXISTS (SELECT 1 FROM \"%s\" t WHERE t.run_id = r.id) ORDER BY r.scenario",
             table);
    return plot_each_scenario(c, family, sql, fn, ctx, none);
}

int plot_step(struct plot_ctx *c, sqlite3_stmt *st) {
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) return 1;
    if (rc == SQLITE_DONE) return 0;
    return ft_fail(c->err, FT_EDB, "results database %s: %s", c->opt->db, sqlite3_errmsg(c->db));
}

bool plot_table_exists(struct plot_ctx *c, const char *table) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(
            c->db, "SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?", -1,
            &st, NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    bool yes = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return yes;
}

bool plot_column_exists(struct plot_ctx *c, const char *table, const char *column) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(c->db, "SELECT 1 FROM pragma_table_info(?) WHERE name = ?", -1, &st,
                           NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, column, -1, SQLITE_STATIC);
    bool yes = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return yes;
}

bool plot_table_has_rows(struct plot_ctx *c, const char *table) {
    if (!plot_table_exists(c, table)) return false;
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT EXISTS (SELECT 1 FROM \"%s\")", table);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) return false;
    bool yes = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return yes;
}

/* ---- the scenario file (table scenarios, schema 6) ---- */

bool plot_scenario_meta(struct plot_ctx *c, const char *scenario, struct plot_meta *m) {
    memset(m, 0, sizeof *m);
    if (!plot_table_exists(c, "scenarios")) return false;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(c->db,
                           "SELECT seed, duration_ns, faults, coalesce(window_aggregate, ''),"
                           " coalesce(window_value, '') FROM scenarios WHERE scenario_hash ="
                           " (SELECT r.scenario_hash FROM runs r WHERE r.scenario = ?1"
                           " ORDER BY r.id DESC LIMIT 1)",
                           -1, &st, NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_text(st, 1, scenario, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        m->known = true;
        m->seed = sqlite3_column_int64(st, 0);
        m->duration_s = (double)sqlite3_column_int64(st, 1) / 1e9;
        plot_text(m->faults, sizeof m->faults, st, 2);
        plot_text(m->aggregate, sizeof m->aggregate, st, 3);
        plot_text(m->window_value, sizeof m->window_value, st, 4);
    }
    sqlite3_finalize(st);
    return m->known;
}

double plot_sd(int64_t n, double mean, double mean_sq) {
    if (n < 2) return 0.0;
    double var = (mean_sq - mean * mean) * (double)n / (double)(n - 1);
    return var > 0 ? sqrt(var) : 0.0;
}

unsigned long long plot_seed(sqlite3_int64 v) {
    return (unsigned long long)(uint64_t)v;
}
