/* A windowed streaming query (DESIGN.md §5): stateless operators (map, filter, key_by,
 * a stream-static join with a small reference table) followed by one window with its
 * watermark, aggregate and output mode, run by a driver (micro-batch triggers or
 * continuous, record at a time). struct pipe_query (pipe_query.h) is what a scenario's
 * `pipeline:` and `driver:` describe; struct query is its compiled form, a pure function
 * per record. */
#ifndef FTSIM_QUERY_H
#define FTSIM_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "pipe_query.h"
#include "window.h"

const char *query_driver_name(enum pipe_driver d); /* "micro-batch", "continuous" */

struct src_gen;

/* The compiled operators: the join table resolved against the source's key names. */
struct query {
    const struct pipe_query *q;
    const struct src_gen *src; /* names of source keys and values (not owned) */
    uint32_t *attr_of_key;     /* by source key: attribute id, UINT32_MAX = no match */
    uint32_t nkeys;
    char (*attrs)[PIPE_ATTR_BYTES_MAX];
    uint32_t nattrs;
    enum op_by domain; /* what the final key is */
    bool value_named;  /* a value key is named by the source (error, click, page-7) */
};

/* 0, FT_EINVAL (a join row names no source key: err says which) or FT_ENOMEM. src must
 * outlive the query. */
int query_compile(const struct pipe_query *q, const struct src_gen *src, struct query *out,
                  struct ft_error *err);
void query_free(struct query *c);

enum query_verdict { QUERY_KEEP = 0, QUERY_FILTERED, QUERY_UNMATCHED };
/* Runs the operators on one source record: out_key / out_value when kept. */
enum query_verdict query_apply(const struct query *c, uint32_t key, int64_t value,
                               uint64_t *out_key, int64_t *out_value);
/* The name of a final key: a source key, a value, or a join attribute. Returns buf. */
const char *query_key_name(const struct query *c, uint64_t key, char *buf, size_t size);

#endif
