/* The sink's row store and the data lake. Every committed row passes through sinks_row
 * in commit order: validated for the warehouse (counted by reason when rejected), and
 * kept when a lake or files need it. lake_write turns the kept rows into the lake:
 * DIR/lake/partition=P/part-NNNNN.jsonl holds partition P's rows committed in
 * [NNNNN * roll, (NNNNN + 1) * roll) of processing time, one JSON object per line, in
 * commit order; an empty slice has no file. Files are written only after the run, so
 * a file holds committed rows only, and the same run always writes the same bytes. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grow.h"
#include "ml_stage.h"
#include "pipe_internal.h"
#include "sinks.h"

int sinks_new(const struct pipe_config *cfg, uint64_t seed, struct sinks **out,
              struct ft_error *err) {
    *out = NULL;
    struct sinks *k = calloc(1, sizeof *k);
    if (!k) return ft_fail(err, FT_ENOMEM, "out of memory for the sink");
    k->cfg = cfg;
    k->validate = cfg->sink.kind != PIPE_SINK_LAKE;
    k->keep = cfg->sink.kind != PIPE_SINK_WAREHOUSE;
    if (cfg->source.malformed_p > 0) k->defect_key = src_defect_key(seed);
    k->sum = calloc(cfg->source.keys, sizeof *k->sum);
    if (!k->sum) {
        sinks_free(k);
        return ft_fail(err, FT_ENOMEM, "out of memory for the sink");
    }
    int rc = src_names_open(&k->names, &cfg->source, err);
    if (rc) {
        free(k->sum);
        free(k);
        return rc;
    }
    *out = k;
    return 0;
}

void sinks_free(struct sinks *k) {
    if (!k) return;
    src_gen_free(&k->names);
    lambda_free(k->lambda);
    free(k->rows);
    free(k->sum);
    free(k);
}

bool sinks_row(struct sinks *k, const struct wire *w, uint32_t worker, uint64_t now_ns) {
    uint8_t defect = (uint8_t)src_defect_of(k->defect_key, k->cfg->source.malformed_p, w->rec);
    uint8_t reason = k->validate ? (uint8_t)pipe_warehouse_reason(defect, (int64_t)w->value) : 0;
    if (reason) {
        k->rejected[0]++;
        k->rejected[reason]++;
    } else if (k->validate && w->key < k->cfg->source.keys) {
        k->sum[w->key] += (int64_t)w->value; /* |value| <= 10^9, rows <= 2 * 10^7 */
    }
    if (k->keep && !k->rc) {
        if (ft_grow((void **)&k->rows, &k->cap, k->n + 1, sizeof *k->rows, 4096)) {
            k->rc = FT_ENOMEM;
            return !reason;
        }
        k->rows[k->n++] = (struct sink_row){.rec = w->rec,
                                            .offset = w->offset,
                                            .event_ns = w->event_ns,
                                            .created_ns = w->created_ns,
                                            .committed_ns = now_ns,
                                            .value = (int64_t)w->value,
                                            .key = (uint32_t)w->key,
                                            .partition = (uint32_t)w->partition,
                                            .worker = worker,
                                            .defect = defect,
                                            .reason = reason};
        if (k->lambda) lambda_row(k->lambda, &k->rows[k->n - 1]);
    }
    return !reason;
}

/* Appends s as a JSON string. */
static size_t json_str(char *buf, size_t size, size_t at, const char *s) {
    if (at < size) buf[at] = '"';
    at++;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        int n = c == '"' || c == '\\' ? snprintf(esc, sizeof esc, "\\%c", c)
                : c < 0x20            ? snprintf(esc, sizeof esc, "\\u%04x", c)
                                      : snprintf(esc, sizeof esc, "%c", c);
        for (int i = 0; i < n; i++, at++)
            if (at < size) buf[at] = esc[i];
    }
    if (at < size) buf[at] = '"';
    return at + 1;
}

static size_t append(char *buf, size_t size, size_t at, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(at < size ? buf + at : NULL, at < size ? size - at : 0, fmt, ap);
    va_end(ap);
    return at + (n > 0 ? (size_t)n : 0);
}

size_t sinks_json(const struct sinks *k, const struct sink_row *r, char *buf, size_t size) {
    char name[PIPE_ATTR_BYTES_MAX + 16], wname[PIPE_NAME_MAX];
    size_t at = append(buf, size, 0, "{\"rec\":%llu,\"key\":", (unsigned long long)r->rec);
    at = json_str(buf, size, at, src_key_name(&k->names, r->key, name, sizeof name));
    at = append(buf, size, at,
                ",\"partition\":%u,\"offset\":%llu,\"event_ns\":%llu,\"created_ns\":%llu,"
                "\"committed_ns\":%llu,\"worker\":",
                r->partition, (unsigned long long)r->offset, (unsigned long long)r->event_ns,
                (unsigned long long)r->created_ns, (unsigned long long)r->committed_ns);
    at = json_str(buf, size, at, pipe_node_name(k->cfg, r->worker, wname, sizeof wname));
    switch (r->defect) {
    case SRC_DEFECT_MISSING:
        break; /* the field is absent */
    case SRC_DEFECT_TYPE:
        at = append(buf, size, at, ",\"value\":\"n/a\"");
        break;
    case SRC_DEFECT_RANGE:
        at = append(buf, size, at, ",\"value\":%lld", SRC_GLITCH_VALUE);
        break;
    default:
        at = append(buf, size, at, ",\"value\":%lld", (long long)r->value);
        break;
    }
    const double *x = k->pipe ? mls_feat_of(k->pipe, r->rec) : NULL;
    uint32_t dim = k->cfg->source.feat.dim;
    for (uint32_t i = 0; x && i < dim; i++) /* %.17g: the double back bit for bit */
        at = append(buf, size, at, "%s%.17g", i ? "," : ",\"x\":[", x[i]);
    if (x) at = append(buf, size, at, "]");
    if (x && k->cfg->source.feat.label) at = append(buf, size, at, ",\"label\":%.17g", x[dim]);
    at = append(buf, size, at, "}");
    if (size) buf[at < size ? at : size - 1] = '\0';
    return at;
}

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

const char *pipe_key_name(const struct pipe *p, uint32_t key, char *buf, size_t size) {
    return src_key_name(&p->sinks->names, key, buf, size);
}
