/* The windowed query as a scenario's `pipeline:` and `driver:` describe it (DESIGN.md
 * §5, docs/scenario-format.md): stateless operators (map, filter, key_by, a
 * stream-static join with a small reference table) followed by one window, run by a
 * driver (micro-batch triggers or continuous). Types only: part of struct pipe_config
 * (pipeline.h); query.h compiles it into a pure function per record. */
#ifndef FTSIM_PIPE_QUERY_H
#define FTSIM_PIPE_QUERY_H

#include <stdbool.h>
#include <stdint.h>

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

#endif
