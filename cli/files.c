/* Helpers the subcommands share: finding scenario files, their one operand, parsing a
 * number, the progress bar of long work (here, not in main.c, so the tests can run the
 * subcommands in-process). */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

double cli_now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cli_progress_draw(struct cli_progress *p, uint64_t done, uint64_t total) {
    double t = cli_now_s();
    if (!p->tty || (done < total && t - p->last_draw_s < 0.1)) return;
    p->last_draw_s = t;
    double rate = t > p->t0_s ? (double)done / (t - p->t0_s) : 0;
    char eta[32] = "--:--";
    if (rate > 0 && done) {
        unsigned long secs = (unsigned long)((double)(total - done) / rate + 0.5);
        snprintf(eta, sizeof eta, "%lu:%02lu", secs / 60, secs % 60);
    }
    int width = 30, fill = total ? (int)((double)width * (double)done / (double)total) : width;
    fprintf(stderr, "\r[%.*s%*s] %llu/%llu  %.1f runs/s  ETA %s\033[K", fill,
            "==============================", width - fill, "", (unsigned long long)done,
            (unsigned long long)total, rate, eta);
    if (done == total) fputs("\r\033[K", stderr);
}
