/* Internals of the scenario loader shared by scenario.c (the schema: which keys, what
 * they mean, cross-references) and scn_value.c (the YAML tree and the scalar parsers).
 * Every function that can fail returns 0 or FT_EPARSE/FT_ENOMEM with ctx->err filled
 * and a position in the file; nothing here is part of the public API. */
#ifndef FTSIM_SCN_INTERNAL_H
#define FTSIM_SCN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scenario.h"

#define SCN_DEPTH_MAX 16      /* nesting levels of mappings and sequences */
#define SCN_NODES_MAX 100000u /* YAML values in one file */
#define SCN_NUMBER_LEN_MAX 64 /* characters of a number, duration or bound */
#define SCN_QUOTE_MAX 40      /* bytes of a found value quoted in a message */
#define SCN_QUOTE_BUF (4 * SCN_QUOTE_MAX + 16)

enum scn_ytype { SCN_Y_SCALAR = 1, SCN_Y_SEQ, SCN_Y_MAP };

/* One YAML value. A mapping's kids alternate key, value; positions are 1-based. */
struct scn_node {
    enum scn_ytype type;
    int line, col;
    bool plain; /* scalar written without quotes */
    char *text; /* scalar, NUL-terminated (NULs inside are rejected) */
    size_t len; /* of text */
    struct scn_node **kids;
    uint32_t n, cap;
    const struct scn_override *origin; /* set by an override: messages name it, not a line */
};

struct scn_ctx {
    const char *file;
    const char *text;
    size_t len;
    struct ft_error *err;
    struct scenario *out;
    uint64_t csv_value_abs_max; /* a csv source's largest |value| (scn_check_window_sum) */
};

/* A windowed sum or mean over `records` records (an upper estimate) must stay inside
 * int64: the largest |value| the source gives after the query's map and filter
 * operators, times the records, is checked at load (FT_EPARSE at `at` otherwise). */
int scn_check_window_sum(struct scn_ctx *c, const struct scn_node *at, uint64_t records);

int scn_fail(struct scn_ctx *c, const struct scn_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int scn_fail_pos(struct scn_ctx *c, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* "expected WHAT for 'KEY', found 'x'" (or "a sequence", "nothing", ...). */
int scn_expected(struct scn_ctx *c, const struct scn_node *n, const char *key, const char *what);
/* What a node is, for messages: "a mapping", "nothing", "'text'" (shortened). */
const char *scn_found(const struct scn_node *n, char *buf, size_t size);
/* s shortened to SCN_QUOTE_MAX bytes with control characters escaped; size >= SCN_QUOTE_BUF. */
const char *scn_text(const char *s, char *buf, size_t size);
bool scn_is_null(const struct scn_node *n);

/* Bytes -> tree. scn_check_text rejects NULs, invalid UTF-8 and control characters. */
int scn_check_text(struct scn_ctx *c);
int scn_yaml_load(struct scn_ctx *c, struct scn_node **root);
void scn_node_free(struct scn_node *n);
/* Appends kid to parent's kids (parent owns it from then on). */
int scn_add_kid(struct scn_ctx *c, struct scn_node *parent, struct scn_node *kid);
/* Applies the overrides to the tree (scn_override.c); see scenario.h. */
int scn_apply_overrides(struct scn_ctx *c, struct scn_node *root, const struct scn_override *ov,
                        uint32_t n);

#define SCN_BIT(k) (1u << (k))

/* The keys a mapping may have. */
struct scn_mapspec {
    const char *as;    /* "for 'network'": where a mapping was expected */
    const char *where; /* "in 'network'": where a key was unknown */
    const char *noun;  /* "key", or "protocol" for expect */
    const char *const *keys;
    uint32_t nkeys, required; /* bit i: keys[i] must be present */
};

/* Checks m is a mapping whose keys are all in s, none twice, the required ones present;
 * v[i] becomes the value of keys[i] or NULL. Keys are checked in file order. */
int scn_map_collect(struct scn_ctx *c, const struct scn_node *m, const struct scn_mapspec *s,
                    const struct scn_node **v);
/* Rejects keys present in m but outside `allowed`, a subset of s's keys that applies to
 * `kind` ("a crash fault"). */
int scn_check_allowed(struct scn_ctx *c, const struct scn_node *m, const struct scn_mapspec *s,
                      uint32_t allowed, const char *kind);
/* "unknown key 'x' in ... (did you mean 'y'?)" or "(expected one of: ...)". */
int scn_unknown_key(struct scn_ctx *c, const struct scn_node *k, const struct scn_mapspec *s);
/* The key node of `value` in mapping m; the later of two nodes in the file. */
const struct scn_node *scn_key_of(const struct scn_node *m, const struct scn_node *value);
const struct scn_node *scn_later(const struct scn_node *a, const struct scn_node *b);

/* Scalars. Integers are plain decimal; a '-' sign only reaches the range message. */
int scn_parse_u64(const char *s, size_t n, uint64_t *out);
int scn_parse_duration(const char *s, uint64_t *out);
const char *scn_duration_str(uint64_t ns, char *buf, size_t size);
int scn_get_u64(struct scn_ctx *c, const struct scn_node *n, const char *key, uint64_t min,
                uint64_t max, uint64_t *out);
int scn_get_u32(struct scn_ctx *c, const struct scn_node *n, const char *key, uint32_t min,
                uint32_t max, uint32_t *out);
/* A decimal number in [min, max] ((min, max] when min_open). */
int scn_get_number(struct scn_ctx *c, const struct scn_node *n, const char *key, double min,
                   double max, bool min_open, double *out);
int scn_get_bool(struct scn_ctx *c, const struct scn_node *n, const char *key, bool *out);
/* A duration <= PIPE_DURATION_MAX; `positive` also rejects 0. */
int scn_get_duration(struct scn_ctx *c, const struct scn_node *n, const char *key, bool positive,
                     uint64_t *out);
int scn_get_bound(struct scn_ctx *c, const struct scn_node *n, const char *key,
                  struct scn_bound *out);

/* scenario.c: name, about, seed and seeds (any may be NULL but name and about). */
int scn_sec_common(struct scn_ctx *c, const struct scn_node *name, const struct scn_node *about,
                   const struct scn_node *seed, const struct scn_node *seeds);
/* scenario.c: a node name of the scenario's pipeline into out (any: "" allowed, meaning
 * any node); the protocols' names, indexed by enum dlv_protocol, into names; whether
 * protocol p is in the scenario's `protocols`. */
int scn_get_node(struct scn_ctx *c, const struct scn_node *n, const char *key, bool any,
                 char out[PIPE_NAME_MAX]);
const char *const *scn_protocol_names(const char *names[DLV_COUNT]);
bool scn_protocol_listed(const struct scenario *o, int p);
/* scn_fault.c: the `faults:` list (NULL: none); nodes must be decoded before. */
int scn_sec_faults(struct scn_ctx *c, const struct scn_node *n);
/* scn_expect.c: the `expect:` mapping (NULL: none); protocols must be decoded before. */
int scn_sec_expect(struct scn_ctx *c, const struct scn_node *m);
/* scn_byz.c: a mapping with a `byzantine` key is a Byzantine scenario. */
bool scn_byz_is(const struct scn_node *root);
int scn_byz_parse(struct scn_ctx *c, const struct scn_node *root);
/* scn_stream.c: source kinds, the windowed query and its expectations. */
int scn_stream_source(struct scn_ctx *c, const struct scn_node *m);
int scn_stream_query(struct scn_ctx *c, const struct scn_node *pipeline,
                     const struct scn_node *driver);
/* scn_sink.c: the `sink:` section (NULL: the default warehouse). */
int scn_sink(struct scn_ctx *c, const struct scn_node *n);
/* The `lambda:` section (NULL: none); sink is the `sink:` node, for messages. */
int scn_lambda(struct scn_ctx *c, const struct scn_node *n, const struct scn_node *sink);
/* v: the values of lambda_final_match, lambda_max_diff, lambda_overcount,
 * lambda_max_staleness_ms, lambda_max_batch_age_ms in m. */
int scn_lambda_expect(struct scn_ctx *c, const struct scn_node *m,
                      const struct scn_node *const *v, struct scn_expect *e);
/* v: the values of late_dropped, windows, windows_match_reference, window_rows in m. */
int scn_stream_expect(struct scn_ctx *c, const struct scn_node *m, const struct scn_node *const *v,
                      struct scn_expect *e);

/* Check messages (scn_stream.c): appends to buf (never past size); the bound's form
 * appends ", NAME V (expect B)" and returns whether it holds (true when unchecked). */
void scn_append(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool scn_append_bound(const char *name, const struct scn_bound *b, uint64_t v, char *buf,
                      size_t size);
/* Whether a comparison holds, given the sign of (measured - bound) (scn_value.c). */
bool scn_cmp_ok(enum scn_cmp op, int sign);

/* scn_ml.c: streaming ML. The clusters and linear source kinds; a pipeline of one kmeans
 * or linear_regression operator; `model:` (NULL: none); the cross-checks (nodes for
 * messages: pipeline, driver, group, protocols, delivery, any may be NULL); v: the
 * values of the six model_* expectations in m. */
bool scn_ml_source_kind(const char *kind);
int scn_ml_source(struct scn_ctx *c, const struct scn_node *m);
bool scn_ml_is_op(const struct scn_node *item);
int scn_ml_pipeline(struct scn_ctx *c, const struct scn_node *pipeline);
int scn_ml_model(struct scn_ctx *c, const struct scn_node *n);
int scn_ml_check(struct scn_ctx *c, const struct scn_node *pipeline, const struct scn_node *driver,
                 const struct scn_node *group, const struct scn_node *protocols,
                 const struct scn_node *delivery);
int scn_ml_expect(struct scn_ctx *c, const struct scn_node *m, const struct scn_node *const *v,
                  struct scn_expect *e);

#endif
