/* Helpers the subcommands share: finding scenario files (in a directory, or by name in
 * the scenario directories), their one operand, parsing a number (here, not in main.c,
 * so the tests can run the subcommands in-process). */
#define _XOPEN_SOURCE 700 /* realpath */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    if (*n > 1) qsort(*paths, *n, sizeof **paths, cmp_str); /* none: *paths is NULL */
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

int cli_one_scenario(const char *cmd, int argc, char **argv, const char **file) {
    static char found[CLI_DIR_MAX + 256];
    int rc = cli_one_operand(cmd, "scenario FILE", argc, argv, file);
    if (rc == CLI_OK) *file = cli_scenario_path(*file, found, sizeof found);
    return rc;
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

/* ---- scenarios by name ---- */

#ifndef FTSIM_SOURCE_DIR
#define FTSIM_SOURCE_DIR ""
#endif
#ifndef FTSIM_BINARY_DIR
#define FTSIM_BINARY_DIR ""
#endif
#ifndef FTSIM_DATADIR
#define FTSIM_DATADIR "/usr/local/share"
#endif

static bool is_dir(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* The running executable's directory (Linux /proc/self/exe), or "". */
static void exe_dir(char *out, size_t size) {
    char exe[CLI_DIR_MAX - 64];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    out[0] = '\0';
    if (n <= 0) return;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) snprintf(out, size, "%.*s", (int)(slash - exe), exe);
}

size_t cli_scenario_dirs(char dirs[][CLI_DIR_MAX], size_t max) {
    char exe[CLI_DIR_MAX - 64];
    const char *env = getenv("FTSIM_SCENARIOS");
    size_t n = 0;
    exe_dir(exe, sizeof exe);
    if (n < max) snprintf(dirs[n++], CLI_DIR_MAX, "scenarios");
    if (env && *env && n < max) snprintf(dirs[n++], CLI_DIR_MAX, "%s", env);
    /* a build-tree binary: the source tree's scenarios */
    size_t blen = strlen(FTSIM_BINARY_DIR);
    if (blen && !strncmp(exe, FTSIM_BINARY_DIR, blen) && (exe[blen] == '/' || !exe[blen]) &&
        n < max)
        snprintf(dirs[n++], CLI_DIR_MAX, "%s/scenarios", FTSIM_SOURCE_DIR);
    /* an installed binary: PREFIX/bin/ftsim -> PREFIX/share/ftsim/scenarios */
    if (exe[0] && n < max) {
        char rel[CLI_DIR_MAX];
        snprintf(rel, sizeof rel, "%s/../share/ftsim/scenarios", exe);
        if (!realpath(rel, dirs[n])) snprintf(dirs[n], CLI_DIR_MAX, "%s", rel);
        n++;
    }
    if (n < max) snprintf(dirs[n++], CLI_DIR_MAX, "%s/ftsim/scenarios", FTSIM_DATADIR);
    return n;
}

int cli_find_scenario(const char *name, char *out, size_t size) {
    size_t len = strlen(name);
    if (!len || strchr(name, '/') || len > 200) return -1; /* a path, not a name */
    bool has_ext = len > 5 && !strcmp(name + len - 5, ".yaml");
    char dirs[CLI_SCENARIO_DIRS_MAX][CLI_DIR_MAX];
    size_t n = cli_scenario_dirs(dirs, CLI_SCENARIO_DIRS_MAX);
    for (size_t i = 0; i < n; i++) {
        if (!is_dir(dirs[i])) continue;
        char path[CLI_DIR_MAX + 256];
        snprintf(path, sizeof path, "%s/%s%s", dirs[i], name, has_ext ? "" : ".yaml");
        struct stat sb;
        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) continue;
        if ((size_t)snprintf(out, size, "%s", path) >= size) return -1;
        return 0;
    }
    return -1;
}

const char *cli_scenario_path(const char *arg, char *buf, size_t size) {
    struct stat sb;
    if (stat(arg, &sb) == 0 || cli_find_scenario(arg, buf, size) != 0) return arg;
    return buf;
}
