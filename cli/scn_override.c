/* Scenario overrides (`--set PATH=VALUE`, scenario.h): each override walks the YAML
 * tree along its dotted path and puts its value where the scalar was, adding missing
 * keys as it goes, before the schema decodes the tree. Nodes it touches carry the
 * override as their origin, so every later message about them names the --set rather
 * than a line of the file, and the schema's own checks (ranges, did-you-mean for an
 * unknown key) apply unchanged. Nothing here knows which keys exist. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scn_internal.h"

static int ov_fail(struct scn_ctx *c, const struct scn_override *o, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int ov_fail(struct scn_ctx *c, const struct scn_override *o, const char *fmt, ...) {
    char msg[FT_ERROR_MSG_MAX], p[SCN_QUOTE_BUF], v[SCN_QUOTE_BUF];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ft_fail_at(c->err, FT_EPARSE, c->file, 0, 0, "%s: --set %s=%s: %s", c->file,
                      scn_text(o->path, p, sizeof p), scn_text(o->value, v, sizeof v), msg);
}

static struct scn_node *ov_node(enum scn_ytype type, const char *text, size_t len,
                                const struct scn_override *o) {
    struct scn_node *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->type = type;
    n->plain = true;
    n->origin = o;
    if (type == SCN_Y_SCALAR) {
        n->text = malloc(len + 1);
        if (!n->text) {
            free(n);
            return NULL;
        }
        memcpy(n->text, text, len);
        n->text[len] = '\0';
        n->len = len;
    }
    return n;
}

/* Replaces a scalar's text with the override's value. */
static int ov_set_scalar(struct scn_ctx *c, struct scn_node *n, const struct scn_override *o) {
    size_t len = strlen(o->value);
    char *t = malloc(len + 1);
    if (!t) return ft_fail(c->err, FT_ENOMEM, "out of memory applying --set %s", o->path);
    memcpy(t, o->value, len + 1);
    free(n->text);
    n->text = t;
    n->len = len;
    n->plain = true;
    n->origin = o;
    return 0;
}

static bool ov_is_index(const char *seg, size_t len) {
    return len && strspn(seg, "0123456789") >= len;
}

/* Adds `seg: {}` (or `seg: VALUE` when last) to mapping m; *out is the new value. */
static int ov_add_key(struct scn_ctx *c, struct scn_node *m, const char *seg, size_t len, bool last,
                      const struct scn_override *o, struct scn_node **out) {
    struct scn_node *k = ov_node(SCN_Y_SCALAR, seg, len, o);
    struct scn_node *v = last ? ov_node(SCN_Y_SCALAR, o->value, strlen(o->value), o)
                              : ov_node(SCN_Y_MAP, NULL, 0, o);
    if (!k || !v) {
        scn_node_free(k);
        scn_node_free(v);
        return ft_fail(c->err, FT_ENOMEM, "out of memory applying --set %s", o->path);
    }
    int rc = scn_add_kid(c, m, k);
    if (rc) {
        scn_node_free(k);
        scn_node_free(v);
        return rc;
    }
    if ((rc = scn_add_kid(c, m, v)) != 0) { /* the key alone stays; the parse stops here */
        scn_node_free(v);
        return rc;
    }
    *out = v;
    return 0;
}

/* The value under key seg in mapping m, or NULL. */
static struct scn_node *ov_find(struct scn_node *m, const char *seg, size_t len) {
    for (uint32_t i = 0; i + 1 < m->n; i += 2) {
        const struct scn_node *k = m->kids[i];
        if (k->type == SCN_Y_SCALAR && k->len == len && !memcmp(k->text, seg, len))
            return m->kids[i + 1];
    }
    return NULL;
}

/* One step of the walk: from node n (reached by the path's first `done` bytes) to its
 * child seg. */
static int ov_step(struct scn_ctx *c, struct scn_node *n, const char *seg, size_t len, bool last,
                   size_t done, const struct scn_override *o, struct scn_node **next) {
    const char *path = o->path;
    if (n->type == SCN_Y_SCALAR && scn_is_null(n)) { /* `network:` with nothing: a mapping */
        free(n->text);
        n->text = NULL;
        n->len = 0;
        n->type = SCN_Y_MAP;
    }
    if (n->type == SCN_Y_SCALAR)
        return ov_fail(c, o, "'%.*s' is a single value, so it has no '%.*s'", (int)done, path,
                       (int)len, seg);
    if (n->type == SCN_Y_SEQ) {
        uint64_t i = 0;
        if (!ov_is_index(seg, len) || scn_parse_u64(seg, len, &i) != 0 || i >= n->n)
            return ov_fail(c, o,
                           "'%.*s' is a list of %u, so expected an index 0 to %u after it, "
                           "found '%.*s'",
                           (int)done, path, n->n, n->n ? n->n - 1 : 0, (int)len, seg);
        *next = n->kids[i];
        return 0;
    }
    *next = ov_find(n, seg, len);
    if (*next) return 0;
    const char *rest = seg + len + (last ? 0 : 1);
    if (!last && ov_is_index(rest, strcspn(rest, ".")))
        return ov_fail(c, o, "'%.*s' is not in the file, so it has no entry %.*s",
                       (int)(done + len + (done ? 1 : 0)), path, (int)strcspn(rest, "."), rest);
    return ov_add_key(c, n, seg, len, last, o, next);
}

static int ov_check(struct scn_ctx *c, const struct scn_override *ov, uint32_t i) {
    const struct scn_override *o = &ov[i];
    const char *p = o->path;
    size_t len = strlen(p);
    if (!len || len > SCN_OVERRIDE_PATH_MAX || p[0] == '.' || p[len - 1] == '.' || strstr(p, ".."))
        return ov_fail(c, o,
                       "expected a key path like network.loss or faults.0.nth (at most %u "
                       "bytes)",
                       SCN_OVERRIDE_PATH_MAX);
    uint32_t segs = 1;
    for (size_t k = 0; k < len; k++) {
        if ((unsigned char)p[k] < 0x21 || p[k] == 0x7f || p[k] == '=')
            return ov_fail(c, o, "a key path has no spaces, '=' or control characters");
        segs += p[k] == '.';
    }
    if (segs > SCN_DEPTH_MAX)
        return ov_fail(c, o, "a key path has at most %d parts", SCN_DEPTH_MAX);
    for (const char *v = o->value; *v; v++)
        if ((unsigned char)*v < 0x20 || *v == 0x7f)
            return ov_fail(c, o, "the value contains a control character");
    if (strlen(o->value) > SCN_NUMBER_LEN_MAX * 16)
        return ov_fail(c, o, "the value is longer than %d bytes", SCN_NUMBER_LEN_MAX * 16);
    for (uint32_t j = 0; j < i; j++)
        if (!strcmp(ov[j].path, p)) return ov_fail(c, o, "'%s' is set twice", p);
    return 0;
}

static int ov_apply(struct scn_ctx *c, struct scn_node *root, const struct scn_override *o) {
    struct scn_node *n = root;
    const char *p = o->path;
    for (size_t at = 0;;) {
        size_t len = strcspn(p + at, ".");
        bool last = p[at + len] == '\0';
        struct scn_node *next = NULL;
        int rc = ov_step(c, n, p + at, len, last, at ? at - 1 : 0, o, &next);
        if (rc) return rc;
        if (last) {
            if (next->origin == o && next->type == SCN_Y_SCALAR) return 0; /* just added */
            if (next->type != SCN_Y_SCALAR)
                return ov_fail(c, o, "'%s' is %s in the file; --set replaces single values only", p,
                               next->type == SCN_Y_MAP ? "a mapping" : "a list");
            return ov_set_scalar(c, next, o);
        }
        n = next;
        at += len + 1;
    }
}

int scn_apply_overrides(struct scn_ctx *c, struct scn_node *root, const struct scn_override *ov,
                        uint32_t n) {
    if (n > SCN_OVERRIDES_MAX)
        return ft_fail_at(c->err, FT_EPARSE, c->file, 0, 0,
                          "expected at most %u --set keys, found %u", SCN_OVERRIDES_MAX, n);
    if (!root || root->type != SCN_Y_MAP) return 0; /* the schema reports what the file is */
    for (uint32_t i = 0; i < n; i++) {
        if (!ov[i].path || !ov[i].value)
            return ft_fail(c->err, FT_EINVAL,
                           "scn_apply_overrides: an override needs a path "
                           "and a value");
        int rc = ov_check(c, ov, i);
        if (!rc) rc = ov_apply(c, root, &ov[i]);
        if (rc) return rc;
    }
    return 0;
}
