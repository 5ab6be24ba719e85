/* Internals shared by plot.c (the driver, gnuplot, file and SQL helpers) and the
 * figure files plot_delivery.c, plot_stream.c and plot_byz.c. A figure function reads
 * the database, and for each figure it draws opens NAME.dat + NAME.gp through
 * plot_fig_open and closes them with plot_fig_close, which records the name for the
 * single gnuplot run at the end. Not part of the public API. */
#ifndef FTSIM_PLOT_INTERNAL_H
#define FTSIM_PLOT_INTERNAL_H

#include <sqlite3.h>

#include "fileio.h"
#include "plot.h"

#define PLOT_SERIES_MAX 16u /* lines or bar groups one panel draws */
#define PLOT_PANELS_MAX 24u /* scenarios side by side in one figure */

struct plot_ctx {
    sqlite3 *db;
    const struct plot_options *opt;
    struct plot_report *rep;
    struct ft_error *err;
    bool has_params;    /* runs.params exists (schema v2) */
    bool has_agreement; /* table agreement exists */
};

struct plot_fig {
    char name[PLOT_NAME_MAX];
    FILE *dat, *gp; /* the streams of dat_out and gp_out (fileio.h: temporary names,
                     * renamed by plot_fig_close when complete) */
    struct ft_out dat_out, gp_out;
    uint32_t blocks; /* data blocks written to dat (gnuplot `index`) */
};

/* Figure families: each writes zero or more figures and returns 0 or a negative FT_E*. */
int plot_fig_comparison(struct plot_ctx *c);
int plot_fig_loss_sweep(struct plot_ctx *c);
int plot_fig_timeseries(struct plot_ctx *c);
int plot_fig_latency_cdf(struct plot_ctx *c);
int plot_fig_windows(struct plot_ctx *c);
int plot_fig_drivers(struct plot_ctx *c);
int plot_fig_byzantine(struct plot_ctx *c);
int plot_fig_lambda(struct plot_ctx *c);
int plot_fig_model_error(struct plot_ctx *c);
int plot_fig_kmeans_centres(struct plot_ctx *c);
int plot_fig_offline(struct plot_ctx *c);

/* True when --only asks for this figure (its exact name or its family). */
bool plot_wanted(const struct plot_ctx *c, const char *family, const char *name);
/* One line on the notes stream: "ftsim plot: skipping FAMILY: why". Returns 0. */
int plot_skip(struct plot_ctx *c, const char *family, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same without counting a skip: a remark about a figure that is drawn. */
void plot_note(struct plot_ctx *c, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Opens DIR/NAME.dat and DIR/NAME.gp and writes the script's header: what it shows,
 * how to re-run it, the restyling variables (size, font) and the terminal + output. */
int plot_fig_open(struct plot_ctx *c, struct plot_fig *f, const char *name, const char *what,
                  int width, int height);
/* Ends the script (unset output), closes both files and records the figure. */
int plot_fig_close(struct plot_ctx *c, struct plot_fig *f);
/* Starts the next data block of f.dat (two blank lines after the previous one, as gnuplot
 * separates `index` blocks) with a comment line naming it; returns its index. */
uint32_t plot_block(struct plot_fig *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Closes without recording and removes the partial files (on an error path). */
void plot_fig_abort(struct plot_ctx *c, struct plot_fig *f);

int plot_prepare(struct plot_ctx *c, const char *sql, sqlite3_stmt **st);
/* Column col of the current row as text in dst ("" for NULL), truncated to fit. */
#define PLOT_TEXT_MAX 64 /* scenario, protocol and node names the figures read */
void plot_text(char *dst, size_t size, sqlite3_stmt *st, int col);
/* SQL condition on runs r: a run without --set parameters, of the scenario file's
 * latest version (the hash of its newest run). */
#define PLOT_PLAIN_LATEST                                                                          \
    " r.params = '' AND r.scenario_hash = (SELECT r2.scenario_hash FROM runs r2"                   \
    " WHERE r2.scenario = r.scenario ORDER BY r2.id DESC LIMIT 1)"
/* For each scenario in the first column of sql's rows: draws figure FAMILY-SLUG with
 * fn(c, scenario, name, ctx) when --only wants it. When sql lists no scenario, says
 * so with plot_skip(c, family, "%s", none), or says nothing when none is NULL. */
typedef int (*plot_scenario_fn)(struct plot_ctx *c, const char *scenario, const char *name,
                                void *ctx);
int plot_each_scenario(struct plot_ctx *c, const char *family, const char *sql, plot_scenario_fn fn,
                       void *ctx, const char *none);
/* plot_each_scenario over the scenarios whose latest plain runs have rows in `table`
 * (a table or view with a run_id column). Without any row there (or without params in
 * runs) the family is skipped: "no rows in table TABLE of DB". */
int plot_each_scenario_in(struct plot_ctx *c, const char *family, const char *table,
                          plot_scenario_fn fn, void *ctx, const char *none);
/* sqlite3_step wrapper: 1 = a row, 0 = done, negative FT_EDB with err filled. */
int plot_step(struct plot_ctx *c, sqlite3_stmt *st);
/* A table or view of that name exists. */
bool plot_table_exists(struct plot_ctx *c, const char *table);
bool plot_column_exists(struct plot_ctx *c, const char *table, const char *column);
/* The table or view exists and has a row (without counting them: the time series is a
 * view that unpacks every run's JSON). */
bool plot_table_has_rows(struct plot_ctx *c, const char *table);

/* ---- shared by the figures over simulated time (plot_timeseries.c) ---- */
struct plot_run {
    sqlite3_int64 id;
    char protocol[PLOT_TEXT_MAX];
};
/* The runs of (scenario, seed) that have rows in `table`, in protocol order (at most
 * PLOT_SERIES_MAX). */
int plot_runs_of(struct plot_ctx *c, const char *scenario, sqlite3_int64 seed, const char *table,
                 struct plot_run *runs, uint32_t *n);
#define PLOT_MARKERS_MAX 256u
struct plot_marker {
    double t_s;
    char kind[16], node[PLOT_TEXT_MAX], label[PLOT_TEXT_MAX];
};
/* The markers of the runs ids[0..n-1] (crash, restart, partition, heal, rebalance, and
 * with `drops` the drop rule's, labelled), one per event when the runs share it within
 * 1% of span_s, in time order; at most PLOT_MARKERS_MAX into m. */
int plot_markers(struct plot_ctx *c, const sqlite3_int64 *ids, uint32_t n, double span_s,
                 bool drops, struct plot_marker *m, uint32_t *nm);
/* A marker kind's colour: crash and drop red, restart green, partition ochre, rebalance
 * purple, heal blue. */
const char *plot_marker_color(const char *kind);
/* Vertical lines for every marker, labels at the top of the next plot, shaded spans
 * while a node is down (crash -> its restart) or the network is partitioned (partition
 * -> heal); the markers also go to a data block of f. */
void plot_markers_gp(struct plot_fig *f, const struct plot_marker *m, uint32_t n, double t_max);

/* s as a double-quoted gnuplot string literal in buf (truncated to fit); returns buf. */
const char *plot_q(char *buf, size_t size, const char *s);
/* s as a quoted string column of a .dat file (a '"' inside becomes '\''). */
void plot_dat_str(FILE *dat, const char *s);
/* Name with every byte outside [A-Za-z0-9._-] replaced by '-', for file names. */
void plot_slug(const char *in, char *out, size_t size);
/* Delivery protocols in their documented order first, others after (for sorting). */
int plot_protocol_rank(const char *protocol);
/* A colour for a protocol or algorithm, stable across figures ("#rrggbb"). */
const char *plot_protocol_color(const char *protocol);
/* A dash type for a protocol's line: later protocols dashed, so a line drawn over an
 * identical earlier one leaves it visible (gnuplot dt). */
int plot_protocol_dash(const char *protocol);
/* A point type (gnuplot pt) per protocol or algorithm: with the colour and the dash,
 * no two protocols share a style. */
int plot_protocol_point(const char *protocol);
/* A time as "12.5 s", or as clock time "HH:MM" (clock: input replayed from clock times,
 * simulated seconds since midnight). Returns buf. */
#define PLOT_CLOCK_FROM_S 3600.0 /* data starting this late is clock time */
const char *plot_time_text(double t_s, bool clock, char *buf, size_t size);
/* Explicit tics on axis ('x' or 'y') every 1, 2, 5, ... 240 minutes (about 8 over
 * [lo, hi]), labelled HH:MM (or unlabelled, for a panel above another). */
void plot_clock_tics(FILE *gp, char axis, double lo, double hi, bool labels);
/* What the results store knows of a scenario's newest file (table scenarios, schema
 * 6); known false for an older database or a file stored only in sweep points. */
struct plot_meta {
    bool known;
    sqlite3_int64 seed; /* the file's seed: (the seed `ftsim run` uses) */
    double duration_s;  /* the source's duration; 0: none */
    char faults[128];   /* "crash,drop", "" */
    char aggregate[16]; /* "count", "mean", ...; "" without a window query */
    char window_value[160];
};
bool plot_scenario_meta(struct plot_ctx *c, const char *scenario, struct plot_meta *m);
/* words with a line break before " per " (an axis label: "count of log lines\nper host"). */
void plot_per_line(const char *words, char *buf, size_t size);
/* The same words for a sum over keys: "count of log lines,\nsummed over every host". */
void plot_summed_words(const char *words, char *buf, size_t size);
/* Sample standard deviation from n, the mean and the mean of squares (0 when n < 2). */
double plot_sd(int64_t n, double mean, double mean_sq);
/* A uint64 seed stored as int64 bits, back to unsigned. */
unsigned long long plot_seed(sqlite3_int64 v);

#endif
