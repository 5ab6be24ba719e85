/* Editing a scenario file as a YAML document (scn_doc.h), on libyaml's document API.
 * Node pointers move when the document grows: every function re-reads them by index
 * after adding a node. Replaced and removed nodes stay in the document unreachable;
 * emitting walks from the root only, on a copy (yaml_emitter_dump consumes its
 * document). */
#include "scn_doc.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct scn_doc {
    yaml_document_t doc;
};

static yaml_node_t *node(struct scn_doc *d, int i) {
    return i > 0 ? yaml_document_get_node(&d->doc, i) : NULL;
}

int scn_doc_parse(const char *name, const char *text, size_t len, struct scn_doc **out,
                  struct ft_error *err) {
    *out = NULL;
    struct scn_doc *d = calloc(1, sizeof *d);
    yaml_parser_t p;
    if (!d || !yaml_parser_initialize(&p)) {
        free(d);
        return ft_fail(err, FT_ENOMEM, "out of memory reading %s", name);
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    int ok = yaml_parser_load(&p, &d->doc);
    if (ok && !yaml_document_get_root_node(&d->doc)) {
        yaml_document_delete(&d->doc);
        ok = 0;
    }
    if (!ok) {
        ft_fail(err, FT_EPARSE, "%s: %s", name, p.problem ? p.problem : "not a YAML document");
        yaml_parser_delete(&p);
        free(d);
        return FT_EPARSE;
    }
    yaml_parser_delete(&p);
    *out = d;
    return 0;
}

void scn_doc_free(struct scn_doc *d) {
    if (!d) return;
    yaml_document_delete(&d->doc);
    free(d);
}

/* The child of node i named by the path component [s, s + n): a key of a mapping (the
 * pair's index in *pair) or an index into a sequence. 0 when there is none. */
static int child(struct scn_doc *d, int i, const char *s, size_t n, int *pair) {
    yaml_node_t *x = node(d, i);
    if (!x) return 0;
    if (x->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *q = x->data.mapping.pairs.start; q < x->data.mapping.pairs.top;
             q++) {
            yaml_node_t *k = node(d, q->key);
            if (k && k->type == YAML_SCALAR_NODE && k->data.scalar.length == n &&
                !memcmp(k->data.scalar.value, s, n)) {
                if (pair) *pair = (int)(q - x->data.mapping.pairs.start);
                return q->value;
            }
        }
        return 0;
    }
    if (x->type != YAML_SEQUENCE_NODE || !n || n > 9) return 0;
    int idx = 0;
    for (size_t j = 0; j < n; j++) {
        if (s[j] < '0' || s[j] > '9') return 0;
        idx = idx * 10 + (s[j] - '0');
    }
    if (pair) *pair = idx;
    yaml_node_item_t *it = x->data.sequence.items.start + idx;
    return it < x->data.sequence.items.top ? *it : 0;
}

/* The node at path; *parent and *pair (optional) get its parent and its place there. */
static int find(struct scn_doc *d, const char *path, int *parent, int *pair) {
    int i = 1; /* the root */
    if (parent) *parent = 0;
    while (*path) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        if (parent) *parent = i;
        if (!(i = child(d, i, path, n, pair))) return 0;
        path += n + (dot != NULL);
    }
    return i;
}

const char *scn_doc_scalar(struct scn_doc *d, const char *path) {
    yaml_node_t *x = node(d, find(d, path, NULL, NULL));
    return x && x->type == YAML_SCALAR_NODE ? (const char *)x->data.scalar.value : NULL;
}

int scn_doc_len(struct scn_doc *d, const char *path) {
    yaml_node_t *x = node(d, find(d, path, NULL, NULL));
    if (x && x->type == YAML_MAPPING_NODE)
        return (int)(x->data.mapping.pairs.top - x->data.mapping.pairs.start);
    if (x && x->type == YAML_SEQUENCE_NODE)
        return (int)(x->data.sequence.items.top - x->data.sequence.items.start);
    return -1;
}

const char *scn_doc_key(struct scn_doc *d, const char *path, int i) {
    yaml_node_t *x = node(d, find(d, path, NULL, NULL));
    if (!x || x->type != YAML_MAPPING_NODE || i < 0 ||
        i >= x->data.mapping.pairs.top - x->data.mapping.pairs.start)
        return NULL;
    yaml_node_t *k = node(d, x->data.mapping.pairs.start[i].key);
    return k && k->type == YAML_SCALAR_NODE ? (const char *)k->data.scalar.value : NULL;
}

/* Copies node i of src (recursively) into dst; the new node's index, or 0. */
static int copy(yaml_document_t *dst, yaml_document_t *src, int i, int depth) {
    yaml_node_t *x = yaml_document_get_node(src, i);
    if (!x || depth > 32) return 0;
    if (x->type == YAML_SCALAR_NODE)
        return yaml_document_add_scalar(dst, NULL, x->data.scalar.value, (int)x->data.scalar.length,
                                        x->data.scalar.style);
    if (x->type == YAML_SEQUENCE_NODE) {
        int s = yaml_document_add_sequence(dst, NULL, x->data.sequence.style);
        int n = (int)(x->data.sequence.items.top - x->data.sequence.items.start);
        for (int k = 0; s && k < n; k++) {
            x = yaml_document_get_node(src, i); /* src does not move; kept for symmetry */
            int c = copy(dst, src, x->data.sequence.items.start[k], depth + 1);
            if (!c || !yaml_document_append_sequence_item(dst, s, c)) return 0;
        }
        return s;
    }
    int m = yaml_document_add_mapping(dst, NULL, x->data.mapping.style);
    int n = (int)(x->data.mapping.pairs.top - x->data.mapping.pairs.start);
    for (int k = 0; m && k < n; k++) {
        yaml_node_pair_t q = yaml_document_get_node(src, i)->data.mapping.pairs.start[k];
        int a = copy(dst, src, q.key, depth + 1), b = a ? copy(dst, src, q.value, depth + 1) : 0;
        if (!b || !yaml_document_append_mapping_pair(dst, m, a, b)) return 0;
    }
    return m;
}

/* The value `yaml` as a new node of d: its index, or 0 (a syntax error, no memory). */
static int value(struct scn_doc *d, const char *yaml) {
    yaml_parser_t p;
    yaml_document_t v;
    if (!yaml_parser_initialize(&p)) return 0;
    yaml_parser_set_input_string(&p, (const unsigned char *)yaml, strlen(yaml));
    int ok = yaml_parser_load(&p, &v), i = 0;
    yaml_parser_delete(&p);
    if (!ok) return 0;
    if (yaml_document_get_root_node(&v)) i = copy(&d->doc, &v, 1, 0);
    yaml_document_delete(&v);
    return i;
}

static int add_key(struct scn_doc *d, int map, const char *key, size_t n, int val) {
    int k = yaml_document_add_scalar(&d->doc, NULL, (const yaml_char_t *)key, (int)n,
                                     YAML_ANY_SCALAR_STYLE);
    return k && yaml_document_append_mapping_pair(&d->doc, map, k, val) ? 0 : FT_ENOMEM;
}

/* The mapping at path, added to its parent mapping when missing: in flow style
 * ("group: { rebalance: true }"), but `expect:` in block style, a protocol a line. */
static int mapping_at(struct scn_doc *d, const char *path, size_t len) {
    char buf[256];
    if (len >= sizeof buf) return 0;
    memcpy(buf, path, len);
    buf[len] = '\0';
    int i = len ? find(d, buf, NULL, NULL) : 1;
    if (i) return node(d, i)->type == YAML_MAPPING_NODE ? i : 0;
    const char *dot = strrchr(buf, '.');
    int parent = mapping_at(d, buf, dot ? (size_t)(dot - buf) : 0);
    const char *key = dot ? dot + 1 : buf;
    yaml_mapping_style_t style = strcmp(key, "expect") ? YAML_FLOW_MAPPING_STYLE
                                                       : YAML_BLOCK_MAPPING_STYLE;
    int m = parent ? yaml_document_add_mapping(&d->doc, NULL, style) : 0;
    return m && !add_key(d, parent, key, strlen(key), m) ? m : 0;
}

int scn_doc_set(struct scn_doc *d, const char *path, const char *yaml) {
    int parent, pair, v = value(d, yaml);
    if (!v) return FT_EINVAL;
    if (find(d, path, &parent, &pair)) {
        yaml_node_t *p = node(d, parent);
        if (p->type == YAML_MAPPING_NODE)
            p->data.mapping.pairs.start[pair].value = v;
        else
            p->data.sequence.items.start[pair] = v;
        return 0;
    }
    const char *dot = strrchr(path, '.');
    int m = mapping_at(d, path, dot ? (size_t)(dot - path) : 0);
    const char *key = dot ? dot + 1 : path;
    return m ? add_key(d, m, key, strlen(key), v) : FT_EINVAL;
}

int scn_doc_remove(struct scn_doc *d, const char *path) {
    int parent, pair;
    if (!find(d, path, &parent, &pair)) return FT_ENOENT;
    yaml_node_t *p = node(d, parent);
    if (p->type == YAML_MAPPING_NODE) {
        yaml_node_pair_t *q = p->data.mapping.pairs.start + pair;
        memmove(q, q + 1, (size_t)(p->data.mapping.pairs.top - q - 1) * sizeof *q);
        p->data.mapping.pairs.top--;
    } else {
        yaml_node_item_t *q = p->data.sequence.items.start + pair;
        memmove(q, q + 1, (size_t)(p->data.sequence.items.top - q - 1) * sizeof *q);
        p->data.sequence.items.top--;
    }
    return 0;
}

int scn_doc_append(struct scn_doc *d, const char *path, const char *yaml) {
    int s = find(d, path, NULL, NULL);
    if (!s) {
        int q = yaml_document_add_sequence(&d->doc, NULL, YAML_BLOCK_SEQUENCE_STYLE);
        const char *dot = strrchr(path, '.');
        int m = q ? mapping_at(d, path, dot ? (size_t)(dot - path) : 0) : 0;
        const char *key = dot ? dot + 1 : path;
        if (!m || add_key(d, m, key, strlen(key), q)) return FT_EINVAL;
        s = q;
    }
    if (node(d, s)->type != YAML_SEQUENCE_NODE) return FT_EINVAL;
    int v = value(d, yaml);
    if (!v) return FT_EINVAL;
    return yaml_document_append_sequence_item(&d->doc, s, v) ? 0 : FT_ENOMEM;
}

struct outbuf {
    char *p;
    size_t n, cap;
};

static int write_out(void *data, unsigned char *buf, size_t size) {
    struct outbuf *o = data;
    if (o->n + size + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 4096;
        while (cap < o->n + size + 1)
            cap *= 2;
        char *q = realloc(o->p, cap);
        if (!q) return 0;
        o->p = q;
        o->cap = cap;
    }
    memcpy(o->p + o->n, buf, size);
    o->n += size;
    o->p[o->n] = '\0';
    return 1;
}

int scn_doc_emit(struct scn_doc *d, char **text, size_t *len) {
    yaml_document_t c;
    yaml_emitter_t e;
    struct outbuf o = {0};
    *text = NULL;
    if (!yaml_document_initialize(&c, NULL, NULL, NULL, 1, 1)) return FT_ENOMEM;
    if (!copy(&c, &d->doc, 1, 0) || !yaml_emitter_initialize(&e)) {
        yaml_document_delete(&c);
        return FT_ENOMEM;
    }
    yaml_emitter_set_output(&e, write_out, &o);
    yaml_emitter_set_unicode(&e, 1);
    yaml_emitter_set_width(&e, -1);
    yaml_emitter_set_indent(&e, 2);
    int ok = yaml_emitter_open(&e) && yaml_emitter_dump(&e, &c) && yaml_emitter_close(&e);
    yaml_emitter_delete(&e);
    if (!ok || !o.p) {
        free(o.p);
        return FT_ENOMEM;
    }
    *text = o.p;
    *len = o.n;
    return 0;
}
