/* The sink's storage behind its aggregated table (sinks.c, internal to stream/): every
 * row the sink commits passes through sinks_row, in commit order. The warehouse side
 * validates it against the declared schema (pipe_warehouse_reason) and keeps per-key
 * sums and rejects by reason; the lake side keeps the committed rows themselves (the
 * master dataset) when asked to. Nothing here is written to disk during the run: lake.c
 * and warehouse.c write the files afterwards from these rows, so file contents are a
 * pure function of the run and equal what the sink made visible. Below the sink node,
 * the lake, the warehouse and the lambda layers, which listen through a hook. */
#ifndef FTSIM_SINKS_H
#define FTSIM_SINKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pipeline.h"
#include "source.h"

struct sink_row {
    uint64_t rec, offset, event_ns, created_ns, committed_ns;
    int64_t value;                   /* after the worker's map */
    uint32_t key, partition, worker; /* worker: node id of the producer */
    uint8_t defect, reason;          /* enum src_defect; reason 0 = the warehouse accepted it */
};

struct sinks {
    const struct pipe_config *cfg;
    uint64_t defect_key;
    bool validate; /* the sink has a warehouse: rejects leave the aggregates */
    bool keep;     /* keep the rows (a lake, or files asked for) */
    struct sink_row *rows;
    size_t n, cap;
    int64_t *sum;                   /* per key: sum of accepted values */
    uint64_t rejected[SRC_DEFECTS]; /* [0]: all rejects, [d]: by reason d */
    struct src_gen names;           /* key names for the files */
    struct lambda *lambda;          /* the lambda layers (lambda.c), NULL without */
    /* set by lambda_new with lambda: every kept row goes to lambda_row, and sinks_free
     * frees the layers with lambda_free (a hook: this module never calls up into them) */
    void (*lambda_row)(struct lambda *l, const struct sink_row *r);
    void (*lambda_free)(struct lambda *l);
    const struct pipe *pipe;        /* its records' features (ml_feat.c), for the lake */
    int rc;                         /* first failure (FT_ENOMEM) */
};

int sinks_new(const struct pipe_config *cfg, uint64_t seed, struct sinks **out,
              struct ft_error *err);
void sinks_free(struct sinks *k);
struct wire;
/* The sink commits row w (produced by node `worker`) at now_ns. Returns true when the
 * warehouse accepts it (or there is no warehouse); false for a rejected row, or when
 * keeping it failed (k->rc is set). */
bool sinks_row(struct sinks *k, const struct wire *w, uint32_t worker, uint64_t now_ns);

/* A row as one line of JSON, the way the lake stores it (schema on read: a malformed
 * record keeps its defect; a record with features has "x": [...] and "label"). Returns
 * the length written, always < SINK_JSON_BYTES (a key is at most 63 bytes, each at most
 * 6 once escaped; at most 17 numbers of at most 24 characters). */
#define SINK_JSON_BYTES 2048u
size_t sinks_json(const struct sinks *k, const struct sink_row *r, char *buf, size_t size);

/* mkdir -p of dir; 0 or FT_EIO with err filled. */
int sinks_mkdir(const char *dir, struct ft_error *err);

#endif
