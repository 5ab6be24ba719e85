/* A windowed streaming query (DESIGN.md §5): stateless operators (map, filter, key_by,
 * a stream-static join with a small reference table) followed by one window with its
 * watermark, aggregate and output mode, run by a driver (micro-batch triggers or
 * continuous, record at a time). struct pipe_query is what a scenario's `pipeline:` and
 * `driver:` describe; struct query is its compiled form, a pure function per record. */
#ifndef FTSIM_QUERY_H
#define FTSIM_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "window.h"

#define PIPE_OPS_MAX 16u
#define PIPE_JOIN_ROWS_MAX 1024u
#define PIPE_ATTR_BYTES_MAX 64u /* a join key or attribute, including the NUL */

enum op_kind { OP_MAP = 1, OP_FILTER, OP_KEY_BY, OP_JOIN };
enum op_by { OP_BY_KEY = 0, OP_BY_VALUE, OP_BY_ATTRIBUTE };

struct pipe_op {
    enum op_kind kind;
    /* map: value = set (when has_set), else value * mul / div + add, saturating */
    bool has_set;
    int64_t set, mul, div, add;
    /* filter: keeps records with min <= value <= max */
    int64_t min, max;
    /* key_by: the source key, the value, or the attribute the join added */
    enum op_by by;
};

struct pipe_join_row {
    char key[PIPE_ATTR_BYTES_MAX];  /* a source key name ("device-3", a CSV key) */
    char attr[PIPE_ATTR_BYTES_MAX]; /* its attribute ("kitchen") */
};

enum pipe_driver { PIPE_DRIVER_MICRO_BATCH = 0, PIPE_DRIVER_CONTINUOUS };

struct pipe_query {
    bool enabled; /* the scenario has a `pipeline:` (it ends in a window) */
    uint32_t nops;
    struct pipe_op ops[PIPE_OPS_MAX];
    uint32_t njoin;
    struct pipe_join_row join[PIPE_JOIN_ROWS_MAX];
    struct win_spec window;
    enum pipe_driver driver;
    uint64_t trigger_ns; /* micro-batch: a trigger at every multiple of this */
};

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
