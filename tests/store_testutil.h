/* Helpers of the results-store suites (test_store, test_store_v2, test_store_merge):
 * reading a database through a connection of its own, so that what the store wrote is
 * checked as any SQLite client sees it, and res_open / res_store_run that fail the test
 * on an error. Include after <cmocka.h>. Header-only; every function is static inline. */
#ifndef FTSIM_STORE_TESTUTIL_H
#define FTSIM_STORE_TESTUTIL_H

#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include "store.h"

/* A connection to path (created when missing), with the store's busy timeout. */
static inline sqlite3 *raw_open(const char *path) {
    sqlite3 *c = NULL;
    assert_int_equal(sqlite3_open_v2(path, &c, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
                     SQLITE_OK);
    sqlite3_busy_timeout(c, 5000);
    return c;
}

static inline sqlite3_stmt *raw_prepare(sqlite3 *c, const char *sql) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(c));
    return st;
}

/* The first column of the first row of sql, as an integer. */
static inline int64_t raw_int(const char *path, const char *sql) {
    sqlite3 *c = raw_open(path);
    sqlite3_stmt *st = raw_prepare(c, sql);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(c);
    return v;
}

/* All rows of sql into out: columns joined by '|', rows by ';' ("" for NULL). */
static inline void raw_rows(const char *path, const char *sql, char *out, size_t size) {
    sqlite3 *c = raw_open(path);
    sqlite3_stmt *st = raw_prepare(c, sql);
    size_t o = 0;
    out[0] = '\0';
    for (int row = 0; sqlite3_step(st) == SQLITE_ROW; row++) {
        for (int i = 0; i < sqlite3_column_count(st); i++) {
            const unsigned char *t = sqlite3_column_text(st, i);
            o += (size_t)snprintf(out + o, size - o, "%s%s", i ? "|" : (row ? ";" : ""),
                                  t ? (const char *)t : "");
            assert_true(o < size);
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(c);
}

/* Copies the file from to the file to (a database of an older ftsim, before opening it). */
static inline void raw_copy_file(const char *from, const char *to) {
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    assert_non_null(a);
    assert_non_null(b);
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, a)) > 0)
        assert_int_equal(fwrite(buf, 1, n, b), n);
    fclose(a);
    assert_int_equal(fclose(b), 0);
}

static inline struct res_db *open_ok(const char *path) {
    struct res_db *db = NULL;
    struct ft_error err = {0};
    if (res_open(path, &db, &err)) fail_msg("res_open: %s", err.msg);
    return db;
}

static inline int64_t store_ok(struct res_db *db, const struct res_run *r) {
    struct ft_error err = {0};
    int64_t id = -1;
    if (res_store_run(db, r, &id, &err)) fail_msg("res_store_run: %s", err.msg);
    return id;
}

#endif
