/* The scenario's `sink:` section: a kind (`sink: warehouse`, as before) or a mapping
 * { kind: lake|warehouse|both, path: DIR, roll: DURATION }. `path` is where `ftsim run`
 * writes the files (relative to the current directory; `--out` overrides it); `ftsim
 * check` never writes them. Errors are file:line:col like every other section. */
#include <stdio.h>
#include <string.h>

#include "scn_internal.h"

enum { K_KIND, K_PATH, K_ROLL, K_N };
static const char *const sink_keys[K_N] = {"kind", "path", "roll"};
static const struct scn_mapspec sink_spec = {"for 'sink'", "in 'sink'", "key",
                                             sink_keys,    K_N,         SCN_BIT(K_KIND)};
static const char *const kind_names[] = {
    [PIPE_SINK_WAREHOUSE] = "warehouse", [PIPE_SINK_LAKE] = "lake", [PIPE_SINK_BOTH] = "both"};

static int get_kind(struct scn_ctx *c, const struct scn_node *n, enum pipe_sink_kind *out) {
    for (int k = 0; n->type == SCN_Y_SCALAR && k < 3; k++)
        if (strcmp(n->text, kind_names[k]) == 0) {
            *out = (enum pipe_sink_kind)k;
            return 0;
        }
    return scn_expected(c, n, "sink", "a sink kind (warehouse, lake or both)");
}

int scn_sink(struct scn_ctx *c, const struct scn_node *n) {
    struct pipe_sink *s = &c->out->pipe.sink;
    if (!n) return 0;
    if (n->type == SCN_Y_SCALAR) return get_kind(c, n, &s->kind);
    const struct scn_node *v[K_N];
    int rc = scn_map_collect(c, n, &sink_spec, v);
    if (!rc) rc = get_kind(c, v[K_KIND], &s->kind);
    if (!rc && v[K_PATH]) {
        const struct scn_node *p = v[K_PATH];
        if (p->type != SCN_Y_SCALAR || scn_is_null(p) || !p->text[0])
            return scn_expected(c, p, "path", "a directory for the sink's files");
        if (strlen(p->text) >= sizeof s->path - 64)
            return scn_fail(c, p, "'path' is longer than %zu bytes", sizeof s->path - 65);
        snprintf(s->path, sizeof s->path, "%s", p->text);
    }
    if (!rc && v[K_ROLL]) {
        rc = scn_get_duration(c, v[K_ROLL], "roll", true, &s->roll_ns);
        if (!rc && s->roll_ns < PIPE_ROLL_MIN_NS)
            return scn_fail(c, v[K_ROLL], "'roll' must be at least 1ms");
    }
    if (!rc && v[K_ROLL] && s->kind == PIPE_SINK_WAREHOUSE)
        return scn_fail(c, scn_key_of(n, v[K_ROLL]),
                        "'roll' applies to a lake: use 'kind: lake' or 'kind: both'");
    return rc;
}
