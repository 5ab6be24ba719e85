/* Helpers shared by the cmocka suites: a test-local PRNG (splitmix64, so test data
 * never comes from the code under test) and a binomial "within k standard deviations"
 * check. Header-only; every function is static inline. */
#ifndef FTSIM_TESTUTIL_H
#define FTSIM_TESTUTIL_H

#include <dirent.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* splitmix64 (Steele, Lea, Flood 2014), as published by Vigna. */
static inline uint64_t tu_splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* True when `count` successes out of `n` trials lie within k standard deviations of
 * Binomial(n, p)'s mean; prints the numbers either way so a failure explains itself. */
static inline bool tu_binomial_within(const char *what, uint64_t count, uint64_t n, double p,
                                      double k) {
    double mean = (double)n * p, sd = sqrt((double)n * p * (1.0 - p));
    double z = sd > 0 ? ((double)count - mean) / sd : ((double)count == mean ? 0.0 : INFINITY);
    bool ok = fabs(z) <= k;
    fprintf(ok ? stdout : stderr, "%s: %llu of %llu, expected %.1f +- %.1f (z = %.2f)%s\n", what,
            (unsigned long long)count, (unsigned long long)n, mean, sd, z,
            ok ? "" : "  <-- outside the bound");
    return ok;
}

/* A fresh directory $TMPDIR/ftsim-NAME-XXXXXX (or under /tmp) in dir; 0 or -1. */
static inline int tu_mkdtemp(const char *name, char *dir, size_t size) {
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, size, "%s/ftsim-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", name);
    return mkdtemp(dir) ? 0 : -1;
}

/* Removes every file in dir (one level: a database, its -wal and -shm), then dir. */
static inline int tu_rmdir_all(const char *dir) {
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char p[4096 + 256];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    if (d) closedir(d);
    return rmdir(dir);
}

/* The whole file at path, NUL-terminated (the caller frees it), its length in *len
 * when len is not NULL; NULL when it cannot be read. */
static inline char *tu_slurp(const char *path, long *len) {
    FILE *in = fopen(path, "rb");
    if (!in) return NULL;
    fseek(in, 0, SEEK_END);
    long n = ftell(in);
    fseek(in, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, in) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(in);
    if (buf) buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

#endif
