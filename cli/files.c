/* Helpers the subcommands share: finding scenario files, their one operand, parsing a
 * number (here, not in main.c, so the tests can run the subcommands in-process). */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int cli_list_yaml(const char *dir, char ***paths, size_t *n) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    struct dirent *e;
    *paths = NULL;
    *n = 0;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".yaml") != 0) continue;
        if (*n >= CLI_YAML_FILES_MAX) break;
        char **p = realloc(*paths, (*n + 1) * sizeof *p);
        if (!p) break;
        *paths = p;
        size_t sz = strlen(dir) + len + 2;
        (*paths)[*n] = malloc(sz);
        if (!(*paths)[*n]) break;
        size_t dlen = strlen(dir);
        bool slash = dlen && dir[dlen - 1] == '/'; /* "scenarios/" names no "//" */
        snprintf((*paths)[*n], sz, "%s%s%s", dir, slash ? "" : "/", e->d_name);
        (*n)++;
    }
    closedir(d);
    qsort(*paths, *n, sizeof **paths, cmp_str);
    return 0;
}

int cli_one_operand(const char *cmd, const char *what, int argc, char **argv, const char **out) {
    if (optind != argc - 1) {
        fprintf(stderr, "ftsim %s: expected one %s (see 'ftsim %s --help')\n", cmd, what, cmd);
        return CLI_USAGE;
    }
    *out = argv[optind];
    return CLI_OK;
}

int cli_parse_u64(const char *s, unsigned long long *out) {
    if (!s || *s < '0' || *s > '9') return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end) return -1;
    *out = v;
    return 0;
}

int cli_parse_seeds(const char *s, uint64_t *first, uint64_t *last) {
    const char *dots = strstr(s, "..");
    unsigned long long a, b;
    char head[32];
    size_t n = dots ? (size_t)(dots - s) : strlen(s);
    if (n == 0 || n >= sizeof head) return -1;
    memcpy(head, s, n);
    head[n] = '\0';
    if (cli_parse_u64(head, &a) != 0) return -1;
    if (dots && cli_parse_u64(dots + 2, &b) != 0) return -1;
    *first = a;
    *last = dots ? b : a;
    return 0;
}
