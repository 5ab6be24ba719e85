/* Scenario loader, lower half: the file's bytes become a small YAML tree (libyaml event
 * API; aliases, tags, second documents and over-deep nesting rejected); mappings are
 * checked against their known keys (did-you-mean, duplicates, required keys); scalars
 * become checked values — integers, numbers, durations, bounds — in exact integer
 * arithmetic, every overflow an error. Every error names file:line:col. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "scn_internal.h"
#include "suggest.h"

/* ---- errors and messages ---- */

int scn_fail_pos(struct scn_ctx *c, int line, int col, const char *fmt, ...) {
    char msg[FT_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ft_fail_at(c->err, FT_EPARSE, c->file, line, col, "%s", msg);
}

int scn_fail(struct scn_ctx *c, const struct scn_node *n, const char *fmt, ...) {
    char msg[FT_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n->origin) {
        char p[SCN_QUOTE_BUF], v[SCN_QUOTE_BUF];
        return ft_fail_at(c->err, FT_EPARSE, c->file, 0, 0, "%s: --set %s=%s: %s", c->file,
                          scn_text(n->origin->path, p, sizeof p),
                          scn_text(n->origin->value, v, sizeof v), msg);
    }
    return ft_fail_at(c->err, FT_EPARSE, c->file, n->line, n->col, "%s", msg);
}

/* Copies at most SCN_QUOTE_MAX bytes of s (whole UTF-8 characters), escaping control
 * characters, and marks a cut with "...". */
const char *scn_text(const char *s, char *buf, size_t size) {
    size_t o = 0, i = 0;
    FT_ASSERT(size >= SCN_QUOTE_BUF);
    for (; i < SCN_QUOTE_MAX && s[i]; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7f)
            o += (size_t)snprintf(buf + o, size - o, "\\x%02x", ch);
        else
            buf[o++] = (char)ch;
    }
    /* the rest of a cut character: at most 3 continuation bytes (found by fuzzing: a
     * run of them after escaped control characters wrote past buf) */
    for (int k = 0; k < 3 && s[i] && ((unsigned char)s[i] & 0xc0) == 0x80; k++)
        buf[o++] = s[i++];
    if (s[i]) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    FT_ASSERT(o < size); /* 4 * SCN_QUOTE_MAX + 3 + 3 < SCN_QUOTE_BUF */
    buf[o] = '\0';
    return buf;
}

bool scn_is_null(const struct scn_node *n) {
    if (n->type != SCN_Y_SCALAR || !n->plain) return false;
    const char *t = n->text;
    return !*t || !strcmp(t, "~") || !strcmp(t, "null") || !strcmp(t, "Null") || !strcmp(t, "NULL");
}

const char *scn_found(const struct scn_node *n, char *buf, size_t size) {
    if (n->type == SCN_Y_MAP) return n->n ? "a mapping" : "an empty mapping";
    if (n->type == SCN_Y_SEQ) return n->n ? "a sequence" : "an empty sequence";
    if (scn_is_null(n)) return "nothing";
    char t[SCN_QUOTE_BUF];
    snprintf(buf, size, "'%s'", scn_text(n->text, t, sizeof t));
    return buf;
}

int scn_expected(struct scn_ctx *c, const struct scn_node *n, const char *key, const char *what) {
    char f[SCN_QUOTE_BUF + 2];
    return scn_fail(c, n, "expected %s for '%s', found %s", what, key, scn_found(n, f, sizeof f));
}

/* ---- the YAML tree ---- */

void scn_node_free(struct scn_node *n) {
    if (!n) return;
    for (uint32_t i = 0; i < n->n; i++)
        scn_node_free(n->kids[i]);
    free(n->kids);
    free(n->text);
    free(n);
}

static int oom(struct scn_ctx *c) {
    return ft_fail(c->err, FT_ENOMEM, "out of memory while reading '%s'", c->file);
}

int scn_add_kid(struct scn_ctx *c, struct scn_node *parent, struct scn_node *kid) {
    if (parent->n == parent->cap) {
        uint32_t cap = parent->cap ? 2 * parent->cap : 4;
        struct scn_node **k = realloc(parent->kids, cap * sizeof *k);
        if (!k) return oom(c);
        parent->kids = k;
        parent->cap = cap;
    }
    parent->kids[parent->n++] = kid;
    return 0;
}

struct builder {
    struct scn_node *root;
    struct scn_node *stack[SCN_DEPTH_MAX];
    int depth, docs;
    uint32_t nodes;
    bool done;
};

static int check_node_event(struct scn_ctx *c, struct builder *b, const yaml_event_t *ev,
                            const yaml_char_t *tag) {
    int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
    static const char core[] = "tag:yaml.org,2002:";
    if (tag) {
        const char *t = (const char *)tag;
        bool short_form = !strncmp(t, core, sizeof core - 1);
        return scn_fail_pos(c, line, col,
                            "YAML tags like '!!str' are not supported, found '%s%.40s'",
                            short_form ? "!!" : "", t + (short_form ? sizeof core - 1 : 0));
    }
    if (++b->nodes > SCN_NODES_MAX)
        return scn_fail_pos(c, line, col, "expected at most %u YAML values in a scenario file",
                            SCN_NODES_MAX);
    if (ev->type != YAML_SCALAR_EVENT && b->depth >= SCN_DEPTH_MAX)
        return scn_fail_pos(c, line, col, "expected at most %d levels of nesting, found more",
                            SCN_DEPTH_MAX);
    if (ev->type == YAML_SCALAR_EVENT && memchr(ev->data.scalar.value, 0, ev->data.scalar.length))
        return scn_fail_pos(c, line, col, "a NUL character is not allowed in a value");
    return 0;
}

/* A new node for a scalar or the start of a collection, attached to its parent at once
 * so that freeing the root frees everything. */
static int new_node(struct scn_ctx *c, struct builder *b, const yaml_event_t *ev,
                    enum scn_ytype type) {
    struct scn_node *n = calloc(1, sizeof *n);
    if (!n) return oom(c);
    n->type = type;
    n->line = (int)ev->start_mark.line + 1;
    n->col = (int)ev->start_mark.column + 1;
    int rc = b->depth ? scn_add_kid(c, b->stack[b->depth - 1], n) : 0;
    if (rc) {
        free(n);
        return rc;
    }
    if (!b->depth) b->root = n;
    if (type == SCN_Y_SCALAR) {
        n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        n->len = ev->data.scalar.length;
        n->text = malloc(n->len + 1);
        if (!n->text) return oom(c);
        memcpy(n->text, ev->data.scalar.value, ev->data.scalar.length);
        n->text[ev->data.scalar.length] = '\0';
    } else {
        b->stack[b->depth++] = n;
    }
    return 0;
}

static int on_event(struct scn_ctx *c, struct builder *b, const yaml_event_t *ev) {
    int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
    int rc;
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (b->docs++)
            return scn_fail_pos(c, line, col,
                                "expected one YAML document, found a second one ('---')");
        return 0;
    case YAML_ALIAS_EVENT:
        return scn_fail_pos(c, line, col,
                            "aliases ('*%.40s') are not supported: write the value out in full",
                            (const char *)ev->data.alias.anchor);
    case YAML_SCALAR_EVENT:
        rc = check_node_event(c, b, ev, ev->data.scalar.tag);
        return rc ? rc : new_node(c, b, ev, SCN_Y_SCALAR);
    case YAML_SEQUENCE_START_EVENT:
        rc = check_node_event(c, b, ev, ev->data.sequence_start.tag);
        return rc ? rc : new_node(c, b, ev, SCN_Y_SEQ);
    case YAML_MAPPING_START_EVENT:
        rc = check_node_event(c, b, ev, ev->data.mapping_start.tag);
        return rc ? rc : new_node(c, b, ev, SCN_Y_MAP);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        FT_ASSERT(b->depth > 0);
        b->depth--;
        return 0;
    case YAML_STREAM_END_EVENT:
        b->done = true;
        return 0;
    default:
        return 0;
    }
}

/* Line and column (1-based, in characters) of byte offset `off`. */
static void offset_pos(const char *text, size_t len, size_t off, int *line, int *col) {
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off && i < len; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch == '\n' || (ch == '\r' && (i + 1 >= len || text[i + 1] != '\n'))) {
            ++*line;
            *col = 1;
        } else if ((ch & 0xc0) != 0x80 && ch != '\r') {
            ++*col;
        }
    }
}

/* The byte at 0-based line/column (in characters), or -1. */
static int char_at(const struct scn_ctx *c, size_t line0, size_t col0) {
    size_t i = 0;
    for (size_t l = 0; l < line0 && i < c->len; i++)
        if (c->text[i] == '\n') l++;
    for (size_t k = 0; i < c->len && c->text[i] != '\n'; i++) {
        if (((unsigned char)c->text[i] & 0xc0) == 0x80) continue;
        if (k++ == col0) return (unsigned char)c->text[i];
    }
    return -1;
}

static int syntax_error(struct scn_ctx *c, const yaml_parser_t *p) {
    int line, col;
    if (p->error == YAML_MEMORY_ERROR) return oom(c);
    if (p->error == YAML_READER_ERROR) {
        offset_pos(c->text, c->len, p->problem_offset, &line, &col);
        return scn_fail_pos(c, line, col, "expected UTF-8 text, found %s",
                            p->problem ? p->problem : "unreadable bytes");
    }
    line = (int)p->problem_mark.line + 1;
    col = (int)p->problem_mark.column + 1;
    char ctx[160] = "";
    if (p->context)
        snprintf(ctx, sizeof ctx, " (%s at line %d column %d)", p->context,
                 (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
    bool tab = char_at(c, p->problem_mark.line, p->problem_mark.column) == '\t';
    return scn_fail_pos(c, line, col, "YAML syntax error: %s%s%s",
                        p->problem ? p->problem : "malformed YAML", ctx,
                        tab ? "; tabs cannot indent YAML, use spaces" : "");
}

int scn_yaml_load(struct scn_ctx *c, struct scn_node **root) {
    yaml_parser_t p;
    struct builder b = {0};
    int rc = 0;
    *root = NULL;
    if (!yaml_parser_initialize(&p)) return oom(c);
    yaml_parser_set_input_string(&p, (const unsigned char *)c->text, c->len);
    yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
    while (!b.done && !rc) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            rc = syntax_error(c, &p);
            break;
        }
        rc = on_event(c, &b, &ev);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    if (rc) {
        scn_node_free(b.root);
        return rc;
    }
    *root = b.root;
    return 0;
}

/* ---- the bytes: UTF-8 text without NULs or control characters ---- */

/* Length of the UTF-8 sequence at s (n bytes left) and its code point, or 0 if invalid. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp) {
    size_t len = s[0] < 0x80                   ? 1
                 : s[0] >= 0xc2 && s[0] < 0xe0 ? 2
                 : s[0] >= 0xe0 && s[0] < 0xf0 ? 3
                 : s[0] >= 0xf0 && s[0] < 0xf5 ? 4
                                               : 0;
    static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (!len || len > n) return 0;
    uint32_t v = len == 1 ? s[0] : s[0] & (0x7fu >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        v = (v << 6) | (s[i] & 0x3fu);
    }
    if (v < min[len] || v > 0x10ffff || (v >= 0xd800 && v < 0xe000)) return 0;
    *cp = v;
    return len;
}

static bool printable(uint32_t cp) {
    return cp == '\t' || cp == '\n' || cp == '\r' || (cp >= 0x20 && cp < 0x7f) || cp == 0x85 ||
           (cp >= 0xa0 && cp <= 0xfffd) || cp >= 0x10000;
}

int scn_check_text(struct scn_ctx *c) {
    const unsigned char *s = (const unsigned char *)c->text;
    int line, col;
    for (size_t i = 0; i < c->len;) {
        uint32_t cp = 0;
        size_t w = utf8_decode(s + i, c->len - i, &cp);
        if (w && printable(cp)) {
            i += w;
            continue;
        }
        offset_pos(c->text, c->len, i, &line, &col);
        if (s[i] == 0)
            return scn_fail_pos(c, line, col,
                                "expected YAML text, found a NUL byte (is this a binary file?)");
        if (!w)
            return scn_fail_pos(c, line, col, "expected UTF-8 text, found the byte 0x%02x", s[i]);
        return scn_fail_pos(c, line, col, "expected printable text, found control character U+%04X",
                            (unsigned)cp);
    }
    return 0;
}

/* ---- mappings: known keys, did-you-mean, duplicates, required keys ---- */

static const char *join(const char *const *keys, uint32_t n, uint32_t mask, char *buf,
                        size_t size) {
    size_t o = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < n && o < size; i++)
        if (mask & SCN_BIT(i))
            o += (size_t)snprintf(buf + o, size - o, "%s%s", o ? ", " : "", keys[i]);
    return buf;
}

int scn_unknown_key(struct scn_ctx *c, const struct scn_node *k, const struct scn_mapspec *s) {
    char t[SCN_QUOTE_BUF], list[300];
    const char *hint = cli_suggest(k->text, s->keys, s->nkeys);
    if (hint)
        return scn_fail(c, k, "unknown %s '%s' %s (did you mean '%s'?)", s->noun,
                        scn_text(k->text, t, sizeof t), s->where, hint);
    return scn_fail(c, k, "unknown %s '%s' %s (expected one of: %s)", s->noun,
                    scn_text(k->text, t, sizeof t), s->where,
                    join(s->keys, s->nkeys, ~0u, list, sizeof list));
}

static int key_index(const struct scn_mapspec *s, const char *name) {
    for (uint32_t i = 0; i < s->nkeys; i++)
        if (!strcmp(name, s->keys[i])) return (int)i;
    return -1;
}

static int duplicate_key(struct scn_ctx *c, const struct scn_node *m, uint32_t at,
                         const struct scn_mapspec *s) {
    const struct scn_node *k = m->kids[at], *first = k;
    for (uint32_t i = 0; i < at && first == k; i += 2)
        if (!strcmp(m->kids[i]->text, k->text)) first = m->kids[i];
    return scn_fail(c, k, "duplicate %s '%s' %s (first at line %d)", s->noun, k->text, s->where,
                    first->line);
}

int scn_map_collect(struct scn_ctx *c, const struct scn_node *m, const struct scn_mapspec *s,
                    const struct scn_node **v) {
    char f[SCN_QUOTE_BUF + 2];
    if (m->type != SCN_Y_MAP)
        return scn_fail(c, m, "expected a mapping %s, found %s", s->as, scn_found(m, f, sizeof f));
    for (uint32_t i = 0; i < s->nkeys; i++)
        v[i] = NULL;
    for (uint32_t i = 0; i + 1 < m->n; i += 2) {
        const struct scn_node *k = m->kids[i];
        if (k->type != SCN_Y_SCALAR)
            return scn_fail(c, k, "expected a key name %s, found %s", s->where,
                            scn_found(k, f, sizeof f));
        int idx = key_index(s, k->text);
        if (idx < 0) return scn_unknown_key(c, k, s);
        if (v[idx]) return duplicate_key(c, m, i, s);
        v[idx] = m->kids[i + 1];
    }
    for (uint32_t i = 0; i < s->nkeys; i++)
        if ((s->required & SCN_BIT(i)) && !v[i])
            return scn_fail(c, m, "missing required %s '%s' %s", s->noun, s->keys[i], s->where);
    return 0;
}

const struct scn_node *scn_key_of(const struct scn_node *m, const struct scn_node *value) {
    for (uint32_t i = 0; i + 1 < m->n; i += 2)
        if (m->kids[i + 1] == value) return m->kids[i];
    return value;
}

const struct scn_node *scn_later(const struct scn_node *a, const struct scn_node *b) {
    return a->line > b->line || (a->line == b->line && a->col > b->col) ? a : b;
}

/* Rejects present keys outside `allowed` (a kind-specific subset of s's keys). */
int scn_check_allowed(struct scn_ctx *c, const struct scn_node *m, const struct scn_mapspec *s,
                      uint32_t allowed, const char *kind) {
    char list[300];
    for (uint32_t i = 0; i + 1 < m->n; i += 2) {
        int idx = key_index(s, m->kids[i]->text);
        if (idx >= 0 && !(allowed & SCN_BIT(idx)))
            return scn_fail(c, m->kids[i], "'%s' does not apply to %s (its keys: %s)", s->keys[idx],
                            kind, join(s->keys, s->nkeys, allowed, list, sizeof list));
    }
    return 0;
}

/* ---- scalars ---- */

/* Decimal digits only. Returns 0, -1 (not digits) or -2 (above UINT64_MAX). */
int scn_parse_u64(const char *s, size_t n, uint64_t *out) {
    uint64_t v = 0;
    int rc = 0;
    if (!n) return -1;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) rc = -2;
        v = rc ? v : v * 10 + d;
    }
    *out = v;
    return rc;
}

int scn_get_u64(struct scn_ctx *c, const struct scn_node *n, const char *key, uint64_t min,
                uint64_t max, uint64_t *out) {
    if (n->type != SCN_Y_SCALAR || n->len > SCN_NUMBER_LEN_MAX)
        return scn_expected(c, n, key, "an integer");
    const char *s = n->text;
    bool neg = s[0] == '-' && s[1];
    uint64_t v = 0;
    int rc = scn_parse_u64(s + neg, strlen(s + neg), &v);
    if (rc == -1) return scn_expected(c, n, key, "an integer");
    if (rc == -2 || (neg && v) || v < min || v > max)
        return scn_fail(c, n, "'%s' must be an integer between %llu and %llu, found %s", key,
                        (unsigned long long)min, (unsigned long long)max, s);
    *out = v;
    return 0;
}

int scn_get_u32(struct scn_ctx *c, const struct scn_node *n, const char *key, uint32_t min,
                uint32_t max, uint32_t *out) {
    uint64_t v;
    int rc = scn_get_u64(c, n, key, min, max, &v);
    if (!rc) *out = (uint32_t)v;
    return rc;
}

static bool number_syntax(const char *s) {
    size_t digits = 0;
    if (*s == '+' || *s == '-') s++;
    for (; *s >= '0' && *s <= '9'; s++)
        digits++;
    if (*s == '.')
        for (s++; *s >= '0' && *s <= '9'; s++)
            digits++;
    if (!digits) return false;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-') s++;
        if (*s < '0' || *s > '9') return false;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    return *s == '\0';
}

int scn_get_number(struct scn_ctx *c, const struct scn_node *n, const char *key, double min,
                   double max, bool min_open, double *out) {
    if (n->type != SCN_Y_SCALAR || n->len > SCN_NUMBER_LEN_MAX || !number_syntax(n->text))
        return scn_expected(c, n, key, "a number");
    double v = strtod(n->text, NULL);
    if (!(v >= min && v <= max) || (min_open && v == min)) {
        if (min_open)
            return scn_fail(c, n, "'%s' must be greater than %.10g and at most %.10g, found %s",
                            key, min, max, n->text);
        return scn_fail(c, n, "'%s' must be between %.10g and %.10g, found %s", key, min, max,
                        n->text);
    }
    *out = v;
    return 0;
}

int scn_get_bool(struct scn_ctx *c, const struct scn_node *n, const char *key, bool *out) {
    static const char *const t[] = {"true", "True", "TRUE"}, *const f[] = {"false", "False",
                                                                           "FALSE"};
    if (n->type == SCN_Y_SCALAR)
        for (int i = 0; i < 3; i++) {
            if (!strcmp(n->text, t[i]) || !strcmp(n->text, f[i])) {
                *out = !strcmp(n->text, t[i]);
                return 0;
            }
        }
    return scn_expected(c, n, key, "true or false");
}

/* ---- durations: digits[.digits]unit, exact in integer nanoseconds ---- */

static uint64_t gcd_u64(uint64_t a, uint64_t b) {
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static uint64_t unit_ns(const char *u) {
    static const struct {
        const char *name;
        uint64_t ns;
    } units[] = {{"ns", 1},           {"us", SIM_NS_PER_US},    {"ms", SIM_NS_PER_MS},
                 {"s", SIM_NS_PER_S}, {"m", 60 * SIM_NS_PER_S}, {"h", 3600 * SIM_NS_PER_S}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (!strcmp(u, units[i].name)) return units[i].ns;
    return 0;
}

/* The fraction's value in ns: frac / 10^fd units of mult ns. -3 if not whole. */
static int frac_ns(const char *f, size_t fd, uint64_t mult, uint64_t *out) {
    while (fd && f[fd - 1] == '0')
        fd--; /* 1.50s == 1.5s */
    *out = 0;
    if (!fd) return 0;
    if (fd > 13) return -3; /* 10^fd / gcd(10^fd, mult <= 2^13 * 3^2 * 5^11) ends in 10 */
    uint64_t frac, den = 1;
    if (scn_parse_u64(f, fd, &frac)) return -1;
    for (size_t i = 0; i < fd; i++)
        den *= 10;
    uint64_t g = gcd_u64(mult, den), step = den / g;
    if (frac % step) return -3;
    *out = frac / step * (mult / g); /* < mult: no overflow */
    return 0;
}

/* Returns 0, -1 (not a duration), -2 (above PIPE_DURATION_MAX) or -3 (not whole ns). */
int scn_parse_duration(const char *s, uint64_t *out) {
    if (!strcmp(s, "0")) {
        *out = 0;
        return 0;
    }
    size_t id = strspn(s, "0123456789"), fd = 0;
    const char *f = s + id, *u;
    if (*f == '.') fd = strspn(++f, "0123456789");
    u = f + fd;
    uint64_t mult = unit_ns(u), ip = 0, fns = 0;
    if (!id || !mult || (*(f - 1) == '.' && !fd)) return -1;
    while (id > 1 && *s == '0')
        s++, id--;
    if (scn_parse_u64(s, id, &ip) == -2) return -2;
    int rc = frac_ns(f, fd, mult, &fns);
    if (rc) return rc;
    if (ip > (UINT64_MAX - fns) / mult) return -2;
    *out = ip * mult + fns;
    return *out > PIPE_DURATION_MAX ? -2 : 0;
}

const char *scn_duration_str(uint64_t ns, char *buf, size_t size) {
    static const char *const names[] = {"h", "m", "s", "ms", "us", "ns"};
    static const uint64_t mult[] = {3600 * SIM_NS_PER_S, 60 * SIM_NS_PER_S, SIM_NS_PER_S,
                                    SIM_NS_PER_MS,       SIM_NS_PER_US,     1};
    size_t i = 0;
    while (ns && ns % mult[i])
        i++;
    snprintf(buf, size, "%llu%s", (unsigned long long)(ns / mult[i]), ns ? names[i] : "s");
    return buf;
}

int scn_get_duration(struct scn_ctx *c, const struct scn_node *n, const char *key, bool positive,
                     uint64_t *out) {
    uint64_t v = 0;
    int rc = -1;
    if (n->type == SCN_Y_SCALAR && n->len <= SCN_NUMBER_LEN_MAX)
        rc = scn_parse_duration(n->text, &v);
    if (rc == -1) return scn_expected(c, n, key, "a duration like 250ms or 10s");
    if (rc == -2) return scn_fail(c, n, "'%s' must be at most 24h, found %s", key, n->text);
    if (rc == -3)
        return scn_fail(c, n, "'%s' must be a whole number of nanoseconds, found %s", key, n->text);
    if (positive && !v)
        return scn_fail(c, n, "'%s' must be greater than 0, found %s", key, n->text);
    *out = v;
    return 0;
}

/* ---- bounds: 0, ">0", ">=3", "<5", "<=2", "==4", "!=0" ---- */

int scn_get_bound(struct scn_ctx *c, const struct scn_node *n, const char *key,
                  struct scn_bound *out) {
    static const struct {
        const char *op;
        enum scn_cmp cmp;
    } ops[] = {{"==", SCN_EQ}, {"!=", SCN_NE}, {"<=", SCN_LE}, {">=", SCN_GE},
               {"<", SCN_LT},  {">", SCN_GT},  {"", SCN_EQ}};
    const char *expect = "a count or a comparison like 0, \">0\", \"<=5\"";
    if (n->type != SCN_Y_SCALAR || n->len > SCN_NUMBER_LEN_MAX)
        return scn_expected(c, n, key, expect);
    size_t i = 0;
    while (strncmp(n->text, ops[i].op, strlen(ops[i].op)))
        i++;
    const char *num = n->text + strlen(ops[i].op);
    num += strspn(num, " ");
    uint64_t v;
    int rc = scn_parse_u64(num, strlen(num), &v);
    if (rc == -1) return scn_expected(c, n, key, expect);
    if (rc == -2)
        return scn_fail(c, n, "'%s' must compare with a count of at most %llu, found %s", key,
                        (unsigned long long)UINT64_MAX, n->text);
    *out = (struct scn_bound){.op = ops[i].cmp, .value = v};
    return 0;
}

bool scn_cmp_ok(enum scn_cmp op, int sign) {
    switch (op) {
    case SCN_EQ:
        return sign == 0;
    case SCN_NE:
        return sign != 0;
    case SCN_LT:
        return sign < 0;
    case SCN_LE:
        return sign <= 0;
    case SCN_GT:
        return sign > 0;
    case SCN_GE:
        return sign >= 0;
    case SCN_CMP_NONE:
        return true;
    }
    return true;
}

bool scn_bound_holds(const struct scn_bound *b, uint64_t v) {
    return scn_cmp_ok(b->op, (v > b->value) - (v < b->value));
}

const char *scn_bound_str(const struct scn_bound *b, char *buf, size_t size) {
    static const char *const ops[] = {[SCN_EQ] = "",   [SCN_NE] = "!=", [SCN_LT] = "<",
                                      [SCN_LE] = "<=", [SCN_GT] = ">",  [SCN_GE] = ">="};
    if (b->op == SCN_CMP_NONE)
        snprintf(buf, size, "any");
    else
        snprintf(buf, size, "%s%llu", ops[b->op], (unsigned long long)b->value);
    return buf;
}
