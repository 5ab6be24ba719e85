/* Shared by the windows figure's two files: plot_windows.c (the figure, the emissions
 * over processing time, the watermark) and plot_windows_final.c (the final tables per
 * key and per protocol). Not part of the public API. */
#ifndef FTSIM_PLOT_WINDOWS_H
#define FTSIM_PLOT_WINDOWS_H

#include "plot_internal.h"

#define WF_PROTOS_MAX 8u

/* Which run the figure draws and what its values are. */
struct wf_query {
    const char *scenario, *protocol;
    sqlite3_int64 run, seed;
    bool domains;            /* window_results.time_domain exists */
    bool additive;           /* count or sum: values of keys may be added */
    const char *value_words; /* a window value, in words, for the y axis */
};

struct wf_row;
/* The final tables: the drawn run's per key (or, total, summed over keys) and, for an
 * additive aggregate, every protocol's sum over keys of the same seed. */
struct wf_data {
    struct wf_row *keys;
    size_t nkeys_rows;
    uint32_t nkeys; /* distinct keys of the run */
    bool total;     /* keys holds the sum over keys (too many keys to draw apart) */
    uint32_t nprotos;
    char protos[WF_PROTOS_MAX][PLOT_TEXT_MAX];
    struct wf_row *proto_rows[WF_PROTOS_MAX];
    size_t proto_n[WF_PROTOS_MAX];
    bool protos_differ; /* some protocol's totals differ from another's: a panel */
};

int wf_load(struct plot_ctx *c, const struct wf_query *q, struct wf_data *d);
void wf_free(struct wf_data *d);
/* Writes the final-table panel (and the protocols' panel when they differ) into f. */
void wf_panels(struct plot_fig *f, const struct wf_query *q, const struct wf_data *d, bool clock);

#endif
