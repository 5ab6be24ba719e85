/* Determinism guard (STYLE.md §5): simulation code (every .c file in sim/ and protocols/)
 * calls no wall-clock or global-RNG function: rand, srand, time, clock_gettime, gettimeofday. A
 * small C scanner skips comments and string/character literals and matches whole identifiers
 * followed by '(' (so "runtime(" or "sim_time(" do not count). Runs from the source dir. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>

static const char *const FORBIDDEN[] = {"rand", "srand", "time", "clock_gettime", "gettimeofday"};
#define NFORBIDDEN (sizeof FORBIDDEN / sizeof FORBIDDEN[0])

static int is_ident(int c) {
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Counts calls of forbidden functions in C source `src`, printing each as file:line. */
static unsigned scan_source(const char *file, const char *src) {
    unsigned hits = 0, line = 1;
    for (const char *p = src; *p;) {
        if (*p == '\n') {
            line++;
            p++;
        } else if (p[0] == '/' && p[1] == '*') {
            for (p += 2; *p && !(p[0] == '*' && p[1] == '/'); p++)
                line += *p == '\n';
            p += *p ? 2 : 0;
        } else if (p[0] == '/' && p[1] == '/') {
            while (*p && *p != '\n')
                p++;
        } else if (*p == '"' || *p == '\'') {
            char q = *p++;
            for (; *p && *p != q; p++) {
                if (*p == '\\' && p[1]) p++;
                line += *p == '\n';
            }
            p += *p ? 1 : 0;
        } else if (is_ident((unsigned char)*p) && !(*p >= '0' && *p <= '9')) {
            const char *start = p;
            while (is_ident((unsigned char)*p))
                p++;
            size_t len = (size_t)(p - start);
            const char *q = p;
            while (*q == ' ' || *q == '\t')
                q++;
            if (*q != '(') continue;
            for (size_t i = 0; i < NFORBIDDEN; i++)
                if (strlen(FORBIDDEN[i]) == len && memcmp(FORBIDDEN[i], start, len) == 0) {
                    fprintf(stderr, "%s:%u: calls %s() in simulation code\n", file, line,
                            FORBIDDEN[i]);
                    hits++;
                }
        } else {
            p++;
        }
    }
    return hits;
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    assert_non_null(buf);
    size_t k;
    while ((k = fread(buf + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
            assert_non_null(buf);
        }
    }
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void test_scanner_finds_calls_and_ignores_comments_strings_and_longer_names(void **state) {
    (void)state;
    assert_int_equal(scan_source("t", "int x = rand();\n"), 1);
    assert_int_equal(scan_source("t", "srand (1); t = time(NULL);\n"), 2);
    assert_int_equal(scan_source("t", "clock_gettime(CLOCK_MONOTONIC, &ts);"), 1);
    assert_int_equal(scan_source("t", "gettimeofday\t(&tv, 0);"), 1);
    assert_int_equal(scan_source("t", "/* no rand() or time() here */ x = 1;"), 0);
    assert_int_equal(scan_source("t", "// time(NULL) in a comment\n"), 0);
    assert_int_equal(scan_source("t", "puts(\"time(\"); c = '(';"), 0);
    assert_int_equal(scan_source("t", "runtime(); sim_time(s); rand_r(&x); time_ns = 1;"), 0);
    assert_int_equal(scan_source("t", "s = \"a \\\" rand()\"; rand();"), 1);
}

/* Scans every .c file of dir; *files counts them. Returns the forbidden calls found. */
static unsigned scan_dir(const char *dir, unsigned *files) {
    DIR *d = opendir(dir);
    if (!d) fail_msg("cannot open %s/: the test must run from the source directory", dir);
    unsigned hits = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 3 || strcmp(e->d_name + len - 2, ".c") != 0) continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char *src = read_file(path);
        if (!src) fail_msg("cannot read %s", path);
        hits += scan_source(path, src);
        (*files)++;
        free(src);
    }
    closedir(d);
    return hits;
}

static void test_simulation_code_has_no_wall_clock_or_global_rng_calls(void **state) {
    (void)state;
    unsigned sim_files = 0, protocol_files = 0;
    unsigned hits = scan_dir("sim", &sim_files) + scan_dir("protocols", &protocol_files);
    assert_true(sim_files >= 4);      /* err.c heap.c net.c rng.c sim.c trace.c: not vacuous */
    assert_true(protocol_files >= 2); /* dlv.c, byzantine.c, ... */
    assert_int_equal(hits, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scanner_finds_calls_and_ignores_comments_strings_and_longer_names),
        cmocka_unit_test(test_simulation_code_has_no_wall_clock_or_global_rng_calls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
