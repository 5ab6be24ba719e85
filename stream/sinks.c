/* The sink's row store (sinks.h). Every row the sink commits passes through sinks_row,
 * in commit order: validated against the warehouse's declared schema
 * (pipe_warehouse_reason; a rejected row is counted by reason, never summed) and kept
 * when a lake or files need it, then handed to the lambda layers' hook. sinks_json is a
 * row as the lake stores it. Nothing is written during the run: lake.c and warehouse.c
 * write the files afterwards from these rows. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "grow.h"
#include "ml_feat.h"
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
    if (k->lambda) k->lambda_free(k->lambda);
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
        if (k->lambda) k->lambda_row(k->lambda, &k->rows[k->n - 1]);
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

const char *pipe_key_name(const struct pipe *p, uint32_t key, char *buf, size_t size) {
    return src_key_name(&p->sinks->names, key, buf, size);
}

int pipe_warehouse_reason(int defect, int64_t value) {
    if (defect != SRC_DEFECT_NONE) return defect;
    return value < -PIPE_WAREHOUSE_VALUE_MAX || value > PIPE_WAREHOUSE_VALUE_MAX ? SRC_DEFECT_RANGE
                                                                                 : SRC_DEFECT_NONE;
}

int sinks_mkdir(const char *dir, struct ft_error *err) {
    char path[PIPE_PATH_MAX + 96];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof path)
        return ft_fail(err, FT_EINVAL, "bad output directory '%s'", dir);
    memcpy(path, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != '\0') continue;
        char c = path[i];
        path[i] = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            return ft_fail(err, FT_EIO, "cannot create directory '%s': %s", path, strerror(errno));
        path[i] = c;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return ft_fail(err, FT_EIO, "'%s' is not a directory", dir);
    return 0;
}
