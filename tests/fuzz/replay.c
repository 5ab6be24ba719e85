/* Replays corpus files through a harness without libFuzzer: each argument is a file
 * or a directory whose files (not recursively) are each fed once, in name order.
 * Prints "N inputs replayed" and exits 0; a harness that fails aborts. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "fuzz.h"

#define REPLAY_FILE_MAX (4u << 20)

static int feed(const char *path) {
    char *text;
    size_t len;
    struct ft_error err = {0};
    if (ft_read_file(path, REPLAY_FILE_MAX, "corpus file", &text, &len, &err) != 0) {
        fprintf(stderr, "replay: %s\n", err.msg);
        return -1;
    }
    LLVMFuzzerTestOneInput((const uint8_t *)text, len);
    free(text);
    return 0;
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static long feed_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **grown = realloc(names, cap * sizeof *names);
            if (!grown) abort();
            names = grown;
        }
        size_t size = strlen(dir) + strlen(e->d_name) + 2;
        names[n] = malloc(size);
        if (!names[n]) abort();
        snprintf(names[n++], size, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    long fed = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat sb;
        if (stat(names[i], &sb) == 0 && S_ISREG(sb.st_mode) && feed(names[i]) == 0) fed++;
        free(names[i]);
    }
    free(names);
    return fed;
}

int main(int argc, char **argv) {
    long total = 0;
    for (int i = 1; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb) != 0) {
            fprintf(stderr, "replay: cannot open %s\n", argv[i]);
            return 2;
        }
        long n = S_ISDIR(sb.st_mode) ? feed_dir(argv[i]) : feed(argv[i]) == 0;
        if (n < 0) return 2;
        total += n;
    }
    printf("%ld inputs replayed\n", total);
    return total > 0 ? 0 : 2;
}
