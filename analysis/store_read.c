/* Opening a results database for reading (store.h, res_open_readonly): never a write,
 * a migration or a journal-mode switch, so a failed or finished read leaves the file
 * byte-identical, and readers never wait on a writer. A WAL file whose -wal is absent
 * (no connection has it open; every commit is in the main file) is read with
 * immutable=1: no lock, no -shm or -wal created beside it, works in a directory the
 * user cannot write. With a -wal present (a writer may be active) the reader opens
 * mode=ro and reads its own snapshot while the writer goes on; should that need a
 * -shm it cannot create, it falls back to immutable=1. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store_internal.h"

#define RES_URI_MAX 8192u

int res_uri(const char *path, const char *params, char *buf, size_t size) {
    static const char hex[] = "0123456789ABCDEF";
    size_t k = 0;
    const char *pre = "file:";
    for (const char *p = pre; *p && k < size; p++)
        buf[k++] = *p;
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if (k + 4 >= size) return -1;
        if (*p == '?' || *p == '#' || *p == '%' || *p < 0x20 || *p >= 0x7f) {
            buf[k++] = '%';
            buf[k++] = hex[*p >> 4];
            buf[k++] = hex[*p & 15];
        } else {
            buf[k++] = (char)*p;
        }
    }
    int n = snprintf(buf + k, size - k, "?%s", params);
    return n < 0 || (size_t)n >= size - k ? -1 : 0;
}

/* The file's first 100 bytes: the SQLite magic, and whether it is in WAL mode. */
static int read_header(const char *path, bool *wal, struct ft_error *err) {
    unsigned char h[100];
    FILE *f = fopen(path, "rb");
    if (!f)
        return ft_fail(err, FT_EIO, "cannot open results database %s: %s", path, strerror(errno));
    size_t n = fread(h, 1, sizeof h, f);
    fclose(f);
    if (n == 0) return ft_fail(err, FT_EPARSE, "%s is empty, not an ftsim results database", path);
    if (n < sizeof h || memcmp(h, "SQLite format 3", 16) != 0)
        return ft_fail(err, FT_EPARSE,
                       "%s is not an SQLite database (so not an ftsim results "
                       "database)",
                       path);
    *wal = h[18] == 2 && h[19] == 2;
    return 0;
}

static int open_uri(const char *path, const char *params, sqlite3 **db, struct ft_error *err) {
    char uri[RES_URI_MAX];
    if (res_uri(path, params, uri, sizeof uri) != 0)
        return ft_fail(err, FT_ELIMIT, "results database path %s is too long", path);
    int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(uri, db, flags, NULL) != SQLITE_OK) {
        int rc = ft_fail(err, FT_EDB, "cannot open results database %s: %s", path,
                         *db ? sqlite3_errmsg(*db) : "out of memory");
        sqlite3_close(*db);
        *db = NULL;
        return rc;
    }
    sqlite3_extended_result_codes(*db, 1);
    return 0;
}

/* One integer from a query; the SQLite code (SQLITE_ROW on success). */
static int query_int(sqlite3 *db, const char *sql, int64_t *v) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc;
}

int res_check_ftsim(sqlite3 *db, const char *path, struct ft_error *err) {
    int64_t version = 0, tables = 0, runs = 0;
    int rc = query_int(db, "PRAGMA user_version", &version);
    if (rc == SQLITE_ROW)
        rc = query_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'", &tables);
    if (rc == SQLITE_ROW)
        rc = query_int(db,
                       "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                       "name = 'runs'",
                       &runs);
    if ((rc & 0xff) == SQLITE_NOTADB)
        return ft_fail(err, FT_EPARSE,
                       "%s is not an SQLite database (so not an ftsim results "
                       "database)",
                       path);
    if (rc != SQLITE_ROW)
        return ft_fail(err, FT_EDB, "cannot read results database %s: %s", path,
                       sqlite3_errmsg(db));
    if (version > RES_SCHEMA_VERSION)
        return ft_fail(err, FT_EPARSE,
                       "results store %s: schema version %lld is newer than this ftsim's "
                       "schema version %d; use a newer ftsim or another file",
                       path, (long long)version, RES_SCHEMA_VERSION);
    if (version == 0 && tables == 0) return 0; /* new and empty: a writer may make it ours */
    if (version < 0)
        return ft_fail(err, FT_EPARSE,
                       "results store %s: schema version %lld was not written by ftsim; it is "
                       "left unchanged",
                       path, (long long)version);
    if (version < 1 || !runs)
        return ft_fail(err, FT_EPARSE,
                       "%s is not an ftsim results database (it has %lld table%s, no table "
                       "'runs' or no ftsim schema version); it is left unchanged",
                       path, (long long)tables, tables == 1 ? "" : "s");
    return 0;
}

static bool exists(const char *path, const char *suffix) {
    char p[RES_URI_MAX];
    struct stat sb;
    return (size_t)snprintf(p, sizeof p, "%s%s", path, suffix) < sizeof p && stat(p, &sb) == 0;
}

const char *res_read_params(const char *path) {
    bool wal = false;
    return read_header(path, &wal, NULL) == 0 && wal && !exists(path, "-wal") ? "immutable=1"
                                                                              : "mode=ro";
}

int res_open_readonly(const char *path, sqlite3 **out, struct ft_error *err) {
    *out = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return ft_fail(err, FT_EIO, "cannot open results database %s: %s", path, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return ft_fail(err, FT_EPARSE, "%s is not a file, so not an ftsim results database", path);
    bool wal = false;
    int rc = read_header(path, &wal, err);
    if (rc) return rc;
    bool immutable = wal && !exists(path, "-wal");
    sqlite3 *db = NULL;
    rc = open_uri(path, immutable ? "immutable=1" : "mode=ro", &db, err);
    if (!rc) rc = res_check_ftsim(db, path, err);
    if (rc == FT_EDB && !immutable) { /* e.g. no -shm and a directory it cannot write */
        sqlite3_close(db);
        db = NULL;
        rc = open_uri(path, "immutable=1", &db, err);
        if (!rc) rc = res_check_ftsim(db, path, err);
    }
    if (rc) {
        sqlite3_close(db);
        return rc;
    }
    *out = db;
    return 0;
}
