/* The data lake. lake_write turns the rows the sink kept (sinks.c, in commit order)
 * into DIR/lake/partition=P/part-NNNNN.jsonl: partition P's rows committed in
 * [NNNNN * roll, (NNNNN + 1) * roll) of processing time, one JSON object per line, in
 * commit order; an empty slice has no file. Files are written only after the run, so
 * a file holds committed rows only, and the same run always writes the same bytes. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lake.h"
#include "sinks.h"

/* Removes the files an earlier run left in DIR/lake (only names this writer makes:
 * partition=P/part-N.jsonl), so the directory holds exactly this run's lake. */
static int clear_lake(const char *lake, struct ft_error *err) {
    DIR *d = opendir(lake);
    if (!d)
        return errno == ENOENT
                   ? 0
                   : ft_fail(err, FT_EIO, "cannot open '%s': %s", lake, strerror(errno));
    struct dirent *e;
    int rc = 0;
    while (!rc && (e = readdir(d))) {
        if (strncmp(e->d_name, "partition=", 10) != 0) continue;
        char sub[PIPE_PATH_MAX + 300];
        snprintf(sub, sizeof sub, "%s/%s", lake, e->d_name);
        DIR *p = opendir(sub);
        if (!p) continue;
        struct dirent *f;
        while (!rc && (f = readdir(p))) {
            size_t n = strlen(f->d_name);
            if (strncmp(f->d_name, "part-", 5) != 0 || n < 6 || strcmp(f->d_name + n - 6, ".jsonl"))
                continue;
            char path[PIPE_PATH_MAX + 600];
            snprintf(path, sizeof path, "%s/%s", sub, f->d_name);
            if (unlink(path) != 0)
                rc = ft_fail(err, FT_EIO, "cannot remove '%s': %s", path, strerror(errno));
        }
        closedir(p);
    }
    closedir(d);
    return rc;
}

static int write_part(const struct sinks *k, const char *dir, uint32_t part, uint64_t slice,
                      const size_t *idx, size_t n, struct ft_error *err) {
    char path[PIPE_PATH_MAX + 96], line[SINK_JSON_BYTES];
    snprintf(path, sizeof path, "%s/lake/partition=%u", dir, part);
    int rc = sinks_mkdir(path, err);
    if (rc) return rc;
    size_t len = strlen(path);
    snprintf(path + len, sizeof path - len, "/part-%05llu.jsonl", (unsigned long long)slice);
    FILE *f = fopen(path, "w");
    if (!f) return ft_fail(err, FT_EIO, "cannot create '%s': %s", path, strerror(errno));
    for (size_t i = 0; i < n; i++) {
        size_t m = sinks_json(k, &k->rows[idx[i]], line, sizeof line);
        FT_ASSERT(m < sizeof line);
        line[m] = '\n';
        fwrite(line, 1, m + 1, f);
    }
    if (ferror(f) | fclose(f))
        return ft_fail(err, FT_EIO, "cannot write '%s': %s", path, strerror(errno));
    return 0;
}

int lake_write(const struct sinks *k, const char *dir, struct ft_error *err) {
    char lake[PIPE_PATH_MAX + 16];
    snprintf(lake, sizeof lake, "%s/lake", dir);
    int rc = sinks_mkdir(lake, err);
    if (!rc) rc = clear_lake(lake, err);
    if (rc) return rc;
    uint32_t np = k->cfg->partitions;
    size_t *start = calloc(np + 1, sizeof *start), *idx = malloc((k->n ? k->n : 1) * sizeof *idx);
    if (!start || !idx) {
        free(start);
        free(idx);
        return ft_fail(err, FT_ENOMEM, "out of memory writing the lake");
    }
    /* a stable counting sort by partition: commit order within each */
    for (size_t i = 0; i < k->n; i++)
        start[k->rows[i].partition + 1]++;
    for (uint32_t p = 0; p < np; p++)
        start[p + 1] += start[p];
    for (size_t i = 0; i < k->n; i++)
        idx[start[k->rows[i].partition]++] = i;
    uint64_t roll = k->cfg->sink.roll_ns;
    size_t at = 0;
    for (uint32_t p = 0; p < np && !rc; p++) {
        size_t end = start[p]; /* start[p] now holds partition p's end */
        while (at < end && !rc) {
            uint64_t slice = k->rows[idx[at]].committed_ns / roll;
            size_t j = at;
            while (j < end && k->rows[idx[j]].committed_ns / roll == slice)
                j++;
            rc = write_part(k, dir, p, slice, idx + at, j - at, err);
            at = j;
        }
    }
    free(start);
    free(idx);
    return rc;
}
