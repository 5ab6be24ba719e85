/* The stateless operators of a query, applied in order to each record. The join is an
 * inner stream-static join on the source key: a record whose key the reference table
 * does not list is dropped (and counted by the caller). Names of the final key follow
 * what the last key_by chose. */
#include "query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source.h"

const char *query_driver_name(enum pipe_driver d) {
    return d == PIPE_DRIVER_CONTINUOUS ? "continuous" : "micro-batch";
}

static int64_t sat_mul_div_add(int64_t v, int64_t mul, int64_t div, int64_t add) {
    int64_t p, r;
    if (__builtin_mul_overflow(v, mul, &p)) return (v < 0) != (mul < 0) ? INT64_MIN : INT64_MAX;
    p = div ? p / div : p;
    if (__builtin_add_overflow(p, add, &r)) return add < 0 ? INT64_MIN : INT64_MAX;
    return r;
}

/* The id of attribute `name`, added in order of first appearance. */
static uint32_t attr_id(struct query *c, const char *name) {
    for (uint32_t i = 0; i < c->nattrs; i++)
        if (!strcmp(c->attrs[i], name)) return i;
    snprintf(c->attrs[c->nattrs], PIPE_ATTR_BYTES_MAX, "%s", name);
    return c->nattrs++;
}

int query_compile(const struct pipe_query *q, const struct src_gen *src, struct query *out,
                  struct ft_error *err) {
    memset(out, 0, sizeof *out);
    out->q = q;
    out->src = src;
    out->nkeys = src->cfg.keys;
    out->domain = OP_BY_KEY;
    bool named = src_values_named(src->cfg.kind);
    for (uint32_t i = 0; i < q->nops; i++) {
        const struct pipe_op *op = &q->ops[i];
        if (op->kind == OP_MAP) named = false;
        if (op->kind == OP_KEY_BY) {
            out->domain = op->by;
            out->value_named = named;
        }
    }
    if (!q->njoin) return 0;
    out->attr_of_key = malloc((out->nkeys ? out->nkeys : 1) * sizeof *out->attr_of_key);
    out->attrs = calloc(q->njoin, sizeof *out->attrs);
    if (!out->attr_of_key || !out->attrs) {
        query_free(out);
        return ft_fail(err, FT_ENOMEM, "out of memory for the join table");
    }
    memset(out->attr_of_key, 0xff, (out->nkeys ? out->nkeys : 1) * sizeof *out->attr_of_key);
    for (uint32_t i = 0; i < q->njoin; i++) {
        int64_t k = src_key_parse(src, q->join[i].key);
        if (k < 0) {
            int rc = ft_fail(err, FT_EINVAL,
                             "the join table names '%s', which is not a key of "
                             "the source",
                             q->join[i].key);
            query_free(out);
            return rc;
        }
        out->attr_of_key[k] = attr_id(out, q->join[i].attr);
    }
    return 0;
}

void query_free(struct query *c) {
    free(c->attr_of_key);
    free(c->attrs);
    memset(c, 0, sizeof *c);
}

enum query_verdict query_apply(const struct query *c, uint32_t key, int64_t value,
                               uint64_t *out_key, int64_t *out_value) {
    uint64_t k = key;
    uint32_t attr = UINT32_MAX;
    for (uint32_t i = 0; i < c->q->nops; i++) {
        const struct pipe_op *op = &c->q->ops[i];
        switch (op->kind) {
        case OP_MAP:
            value = op->has_set ? op->set : sat_mul_div_add(value, op->mul, op->div, op->add);
            break;
        case OP_FILTER:
            if (value < op->min || value > op->max) return QUERY_FILTERED;
            break;
        case OP_JOIN:
            attr = key < c->nkeys && c->attr_of_key ? c->attr_of_key[key] : UINT32_MAX;
            if (attr == UINT32_MAX) return QUERY_UNMATCHED;
            break;
        case OP_KEY_BY:
            k = op->by == OP_BY_KEY ? key : op->by == OP_BY_VALUE ? (uint64_t)value : attr;
            break;
        }
    }
    *out_key = k;
    *out_value = value;
    return QUERY_KEEP;
}

const char *query_key_name(const struct query *c, uint64_t key, char *buf, size_t size) {
    switch (c->domain) {
    case OP_BY_VALUE:
        if (c->value_named) return src_value_name(c->src, (int64_t)key, buf, size);
        snprintf(buf, size, "%lld", (long long)(int64_t)key);
        return buf;
    case OP_BY_ATTRIBUTE:
        snprintf(buf, size, "%s", key < c->nattrs ? c->attrs[key] : "?");
        return buf;
    case OP_BY_KEY:
        break;
    }
    return src_key_name(c->src, (uint32_t)key, buf, size);
}
