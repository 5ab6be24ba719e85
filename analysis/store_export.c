/* CSV export of one results table (docs/results-schema.md, `ftsim export`). The file
 * is read on a read-only connection (res_open_readonly: never migrated or changed)
 * whose authorizer allows only reading tables and calling functions, and the user's
 * --where is compiled alone as one expression before it joins the query, so it can
 * filter rows of the chosen table, never close the WHERE, add a UNION, write, attach
 * another file or change a pragma. Output follows RFC 4180. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store_internal.h"

#define RES_WHERE_MAX 4096u

const char *const res_tables[] = {
    "runs",           "outcomes",  "timeseries", "latency_quantiles", "markers",
    "window_results", "agreement", "events",     "watermarks",        "lambda_views",
    "model_metrics",  "run_results", "scenarios", NULL};
static const char *const res_order[] = {"id",
                                        "run_id",
                                        "run_id, bucket_start_ns",
                                        "run_id, percent",
                                        "run_id, t_ns, rowid",
                                        "run_id, window_start_ns, rowid",
                                        "run_id",
                                        "run_id, seq",
                                        "run_id, seq",
                                        "run_id, seq",
                                        "run_id, seq",
                                        "run_id",
                                        "scenario_hash"};
_Static_assert(sizeof res_order / sizeof res_order[0] + 1 ==
                   sizeof res_tables / sizeof res_tables[0],
               "one ordering per exported table");

static int export_authorize(void *ctx, int action, const char *a, const char *b, const char *c,
                            const char *d) {
    (void)ctx, (void)a, (void)b, (void)c, (void)d;
    return action == SQLITE_SELECT || action == SQLITE_READ || action == SQLITE_FUNCTION
               ? SQLITE_OK
               : SQLITE_DENY;
}

static void csv_field(FILE *out, const char *s, size_t n) {
    bool quote = false;
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    if (!quote) {
        fwrite(s, 1, n, out);
        return;
    }
    fputc('"', out);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') fputc('"', out);
        fputc(s[i], out);
    }
    fputc('"', out);
}

static void csv_value(FILE *out, sqlite3_stmt *st, int i) {
    char num[40];
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_NULL:
        return;
    case SQLITE_INTEGER:
        fprintf(out, "%" PRId64, (int64_t)sqlite3_column_int64(st, i));
        return;
    case SQLITE_FLOAT:
        snprintf(num, sizeof num, "%.17g", sqlite3_column_double(st, i));
        fputs(num, out);
        return;
    default:
        csv_field(out, (const char *)sqlite3_column_text(st, i),
                  (size_t)sqlite3_column_bytes(st, i));
    }
}

static int export_rows(sqlite3 *c, sqlite3_stmt *st, FILE *out, uint64_t *rows,
                       struct ft_error *err) {
    int n = sqlite3_column_count(st), rc;
    for (int i = 0; i < n; i++) {
        const char *name = sqlite3_column_name(st, i);
        if (i) fputc(',', out);
        csv_field(out, name, strlen(name));
    }
    fputs("\r\n", out);
    uint64_t k = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < n; i++) {
            if (i) fputc(',', out);
            csv_value(out, st, i);
        }
        fputs("\r\n", out);
        k++;
    }
    if (rows) *rows = k;
    if (rc != SQLITE_DONE) return ft_fail(err, FT_EPARSE, "%s", sqlite3_errmsg(c));
    if (ferror(out)) return ft_fail(err, FT_EOUT, "cannot write the CSV: %s", strerror(errno));
    return 0;
}

static int export_table_index(const char *table) {
    for (int i = 0; table && res_tables[i]; i++)
        if (!strcmp(table, res_tables[i])) return i;
    return -1;
}

/* --where must stay one expression inside "WHERE (...)": outside quoted strings and
 * identifiers its parentheses balance and never close the query's own, and it holds
 * no comment (which could hide the closing parenthesis) and no ';'. */
static int where_check(const char *w, const char *table, struct ft_error *err) {
    int depth = 0;
    for (const char *p = w; *p; p++) {
        char close = *p == '\'' ? '\'' : *p == '"' ? '"' : *p == '`' ? '`' : *p == '[' ? ']' : 0;
        if (close) { /* a literal or quoted name: skip to its end ('' and "" double) */
            for (p++; *p && !(*p == close && p[1] != close); p++)
                if (*p == close) p++;
            if (!*p) return ft_fail(err, FT_EPARSE, "--where '%s': a quote is not closed", w);
            continue;
        }
        if ((p[0] == '-' && p[1] == '-') || (p[0] == '/' && p[1] == '*') || *p == ';')
            return ft_fail(err, FT_EPARSE,
                           "--where '%s': comments and ';' are not allowed (--where is one "
                           "SQL expression over table %s)",
                           w, table);
        depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
        if (depth < 0)
            return ft_fail(err, FT_EPARSE,
                           "--where '%s': a ')' closes more than it opened (--where is one SQL "
                           "expression over table %s)",
                           w, table);
    }
    if (depth) return ft_fail(err, FT_EPARSE, "--where '%s': a '(' is not closed", w);
    return 0;
}

static int export_query(sqlite3 *c, int t, const char *where, FILE *out, uint64_t *rows,
                        struct ft_error *err) {
    int bad = where ? where_check(where, res_tables[t], err) : 0;
    if (bad) return bad;
    size_t size = strlen(where ? where : "") + 256;
    char *sql = malloc(size);
    if (!sql) return ft_fail(err, FT_ENOMEM, "out of memory");
    snprintf(sql, size, "SELECT * FROM \"%s\"%s%s%s ORDER BY %s", res_tables[t],
             where ? " WHERE (" : "", where ? where : "", where ? ")" : "", res_order[t]);
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    int rc = sqlite3_prepare_v2(c, sql, -1, &st, &tail);
    if (rc != SQLITE_OK)
        rc = ft_fail(err, FT_EPARSE, "bad --where '%s': %s", where ? where : "", sqlite3_errmsg(c));
    else if (tail && tail[strspn(tail, " \t\r\n")])
        rc = ft_fail(err, FT_EPARSE, "--where must be one SQL expression, found more: '%s'",
                     where ? where : "");
    else
        rc = export_rows(c, st, out, rows, err);
    sqlite3_finalize(st);
    free(sql);
    return rc;
}

int res_export_csv(const char *path, const char *table, const char *where, FILE *out,
                   uint64_t *rows, struct ft_error *err) {
    if (!path || !out) return ft_fail(err, FT_EINVAL, "res_export_csv: path and out are required");
    int t = export_table_index(table);
    if (t < 0) {
        char list[256];
        size_t o = 0;
        for (int i = 0; res_tables[i] && o < sizeof list; i++)
            o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "", res_tables[i]);
        return ft_fail(err, FT_EINVAL, "unknown table '%s' (expected one of: %s)",
                       table ? table : "", list);
    }
    if (where && strlen(where) > RES_WHERE_MAX)
        return ft_fail(err, FT_ELIMIT, "--where is longer than %u bytes", RES_WHERE_MAX);
    sqlite3 *c = NULL;
    int rc = res_open_readonly(path, &c, err);
    if (rc) return rc;
    sqlite3_set_authorizer(c, export_authorize, NULL);
    rc = export_query(c, t, where, out, rows, err);
    sqlite3_close(c);
    return rc;
}
