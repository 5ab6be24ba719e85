/* Windowed aggregation with watermarks and late data (DESIGN.md §5), independent of the
 * simulator: a pure function of the records it is fed and the times it is told. A record
 * at event time t belongs to every window [kS, kS+L) that contains t (starts may be
 * negative: int64). Spark Structured Streaming's rules: a window is final once its end
 * <= the watermark; a record's contribution to a final window is dropped and counted,
 * to any other window applied. Output modes append / update / complete. */
#ifndef FTSIM_WINDOW_H
#define FTSIM_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define WIN_PER_RECORD_MAX 1024u      /* ceil(length / slide): windows one record updates */
#define WIN_TIME_MAX (INT64_MAX / 4)  /* event times and window lengths accepted, ns */
#define WIN_ENTRIES_MAX (1u << 24)    /* open (window, key) aggregates in one engine */
#define WIN_TABLE_ROWS_MAX (1u << 24) /* rows in one result table */
#define WIN_NO_WATERMARK INT64_MIN

enum win_agg { WIN_AGG_COUNT = 0, WIN_AGG_SUM, WIN_AGG_MEAN, WIN_AGG_MIN, WIN_AGG_MAX };
enum win_mode { WIN_MODE_APPEND = 0, WIN_MODE_UPDATE, WIN_MODE_COMPLETE };

const char *win_agg_name(enum win_agg a);   /* "count", ... */
const char *win_mode_name(enum win_mode m); /* "append", "update", "complete" */
int win_agg_parse(const char *s);           /* the aggregate, or -1 */
int win_mode_parse(const char *s);          /* the mode, or -1 */

struct win_spec {
    uint64_t length_ns; /* L > 0 */
    uint64_t slide_ns;  /* 0 < S <= L; S == L: tumbling */
    uint64_t delay_ns;  /* watermark = max event time seen - delay */
    enum win_agg agg;
    enum win_mode mode;
};

/* 0, or FT_EINVAL with a message naming the rule broken. */
int win_spec_check(const struct win_spec *w, struct ft_error *err);

/* The starts of the windows containing t, ascending, into starts[cap]; returns how many
 * (ceil(L/S) or floor(L/S), never more than WIN_PER_RECORD_MAX). t <= WIN_TIME_MAX. */
uint32_t win_assign(const struct win_spec *w, uint64_t t_ns, int64_t *starts_ns, uint32_t cap);

/* One input record, after the stateless operators. */
struct win_input {
    uint64_t key;
    uint64_t event_ns; /* event time, <= WIN_TIME_MAX */
    int64_t value;
    uint64_t arrival_ns; /* when it entered the pipeline: latency is measured from here */
};

/* One row of a result. count/sum/min/max are the aggregate's state (so partial rows from
 * several engines can be combined); value is what the aggregate shows. */
struct win_row {
    int64_t start_ns, end_ns;
    uint64_t key;
    uint64_t count;
    int64_t sum, min, max;
    double value;
    uint64_t emitted_at_ns;
    bool final;  /* the window is closed: its value can no longer change */
    bool output; /* emitted by the output mode; false: a close notice (update mode) */
};

struct win_sink {
    void (*row)(void *ctx, const struct win_row *row);
    void (*latency)(void *ctx, uint64_t latency_ns); /* optional: one per record */
    void *ctx;
};

struct win_stats {
    uint64_t records;       /* records applied (each updated or dropped from its windows) */
    uint64_t contributions; /* (record, window) updates applied */
    uint64_t late_dropped;  /* (record, window) contributions dropped: window was final */
    uint64_t late_records;  /* records with at least one dropped contribution */
    uint64_t partly_late;   /* ... of them counted in at least one other window */
    uint64_t rows_emitted;  /* output rows */
    uint64_t emits;         /* win_emit calls (triggers) */
    uint64_t open;          /* (window, key) aggregates held now */
};

struct win_engine;

/* 0, FT_EINVAL (bad spec: err says why) or FT_ENOMEM. */
int win_new(const struct win_spec *spec, const struct win_sink *sink, struct win_engine **out,
            struct ft_error *err);
void win_free(struct win_engine *e);
/* A deep copy of e's whole state (aggregates, watermark, pending emissions, stats) with
 * the same sink: a checkpoint's snapshot, and the engine restored from one. 0 or
 * FT_ENOMEM. */
int win_clone(const struct win_engine *e, struct win_engine **out);
/* Applies r under the current watermark: updates each of its windows that is not final,
 * drops and counts its contribution to each final one. 0, FT_EINVAL (event time above
 * WIN_TIME_MAX), FT_ELIMIT (too many open aggregates, or a sum overflow) or FT_ENOMEM. */
int win_apply(struct win_engine *e, const struct win_input *r, struct ft_error *err);
/* No effect on the result: loads the state that records r[0], r[stride], ... (n of
 * them, at most WIN_FETCH_BATCH) would update, their cache misses overlapping, so that
 * applying them next finds it in cache. stride: bytes from one record to the next. */
#define WIN_FETCH_BATCH 64u
void win_fetch(const struct win_engine *e, const struct win_input *r, size_t n, size_t stride);
/* The end of the first window an event at t_ns (<= WIN_TIME_MAX) belongs to: no
 * watermark below it can close, emit or release anything r would add. */
int64_t win_first_end(const struct win_engine *e, uint64_t t_ns);
/* The largest event time applied so far (false when none). */
bool win_max_event(const struct win_engine *e, uint64_t *max_ns);
/* Raises the watermark to wm (a lower value is ignored). Complete mode keeps it but
 * never closes a window with it. */
void win_set_watermark(struct win_engine *e, int64_t wm_ns);
int64_t win_watermark(const struct win_engine *e);
/* The watermark the engine's own records give: max event time - delay. */
int64_t win_own_watermark(const struct win_engine *e);
/* Ends a trigger at now: closes every window whose end <= watermark (append emits it,
 * update emits a close notice), then emits the rows changed since the last emit (update)
 * or every row (complete). Rows come out sorted by (start, key), the closings first. The
 * work is proportional to what changed and what closes: nothing due, nothing done. */
int win_emit(struct win_engine *e, uint64_t now_ns, struct ft_error *err);
/* Instead of the sink's row(): row_at gets the same rows and, with each, a slot the sink
 * may keep per (window, key) aggregate (UINT32_MAX at first; where it stored the row last
 * time, for win_table_apply_at), handed back with every later row of that aggregate. */
void win_set_row_at(struct win_engine *e,
                    void (*row_at)(void *ctx, const struct win_row *row, uint32_t *slot));
/* The watermark below which win_emit would do nothing (no changed row, nothing due to
 * close, no latency due): INT64_MIN when it would do something at any watermark. Valid
 * until the next win_apply, win_emit or win_finish. */
int64_t win_idle_until(const struct win_engine *e);
/* Off by default. On: the rows of one win_emit or win_finish come out unsorted (the
 * closings in end order, then the changed rows in the order they first changed), for a
 * sink that only upserts rows by (start, key), to which the order makes no difference;
 * the same rows, and the same stats. */
void win_set_unordered(struct win_engine *e, bool on);
/* Off by default. On: an output row of an aggregate that stays open is held back until
 * the aggregate changes its row again (the later row replaces it), closes, or win_flush
 * runs; the sink gets each aggregate's last row as the output mode emitted it (its
 * emission time included), not every one (the stats count every one). For a sink that
 * keeps only the last row per (start, key) and reads it only after win_flush (continuous
 * mode emits 2 rows per record for a table that keeps 1 per window). Turning it off
 * flushes. */
void win_set_coalesce(struct win_engine *e, bool on);
/* Delivers every held-back row (call between triggers: no record applied since the last
 * win_emit). */
void win_flush(struct win_engine *e);
/* End of input: closes every window and emits the last rows (final = true). */
int win_finish(struct win_engine *e, uint64_t now_ns, struct ft_error *err);
void win_get_stats(const struct win_engine *e, struct win_stats *out);

/* ---- drivers over a record list (no simulator): records in arrival order ---- */

/* Micro-batch: a trigger at every multiple of interval; batch i holds the records with
 * arrival in (T(i-1), T(i)] and runs under the watermark of the batches before it
 * (Spark: max event time of earlier triggers - delay). After the last batch a no-data
 * trigger runs if the watermark moved; then win_finish at that time. */
int win_run_micro_batch(const struct win_spec *spec, uint64_t interval_ns,
                        const struct win_input *in, size_t n, const struct win_sink *sink,
                        struct win_stats *stats, struct ft_error *err);
/* Continuous: each record is a trigger of its own at its arrival time; the watermark
 * advances after every record. win_finish after the last one. */
int win_run_continuous(const struct win_spec *spec, const struct win_input *in, size_t n,
                       const struct win_sink *sink, struct win_stats *stats, struct ft_error *err);

/* ---- a result table: what a sink holds after applying emitted rows ---- */

/* Rows are keyed by (start, key, part): `part` names the engine (in the pipeline a task:
 * an input partition) whose partial aggregate the row holds; a later row for the same
 * triple replaces it. */
struct win_table {
    struct win_row *rows;
    uint32_t *part;
    size_t n, cap;
    uint32_t *index; /* open addressing over rows, UINT32_MAX = empty */
    size_t index_cap;
    size_t indexed; /* rows [0, indexed) are in the index; the rest join it at a lookup */
};

void win_table_init(struct win_table *t);
void win_table_free(struct win_table *t);
/* Upserts an output row; a close notice only sets final. 0, FT_ENOMEM or FT_ELIMIT. */
int win_table_apply(struct win_table *t, uint32_t part, const struct win_row *r);
/* The same with a slot (win_sink.row_at): when *slot names the row of (start, key, part)
 * it is updated without a lookup; otherwise *slot is set to where the row is. */
int win_table_apply_at(struct win_table *t, uint32_t part, const struct win_row *r,
                       uint32_t *slot);
/* Adds the row of a (start, key, part) the table does not hold (the caller knows: the
 * first row of an aggregate of an engine that is the only one to have written rows of
 * that part), without a lookup: *slot is set to it. The index takes it at the next
 * lookup. 0, FT_ENOMEM or FT_ELIMIT. */
int win_table_append(struct win_table *t, uint32_t part, const struct win_row *r, uint32_t *slot);
/* The table with the partial rows of each (start, key) combined under agg, sorted by
 * (start, key); final only when every part's row is final; emitted_at the latest. The
 * caller frees *out. */
int win_table_rows(const struct win_table *t, enum win_agg agg, struct win_row **out, size_t *n);
/* The row of (start, key) with the partials of parts 0 .. nparts-1 combined, as
 * win_table_rows would show it now. 0, FT_ENOENT (no such row), FT_ELIMIT or FT_ENOMEM. */
int win_table_combined(struct win_table *t, int64_t start_ns, uint64_t key, uint32_t nparts,
                       enum win_agg agg, struct win_row *out);
/* The value an aggregate shows for (count, sum, min, max). */
double win_agg_value(enum win_agg agg, uint64_t count, int64_t sum, int64_t min, int64_t max);

/* The reference: every record counted in every one of its windows (nothing is late),
 * as a sorted final table. The caller frees *out. */
int win_reference(const struct win_spec *spec, const struct win_input *in, size_t n,
                  struct win_row **out, size_t *nout, struct ft_error *err);
/* The same fed one record at a time (win_ref_rows finishes it; call it once). */
struct win_ref;
int win_ref_new(const struct win_spec *spec, struct win_ref **out, struct ft_error *err);
int win_ref_add(struct win_ref *r, const struct win_input *in, struct ft_error *err);
/* A memory hint that changes no row: the aggregates so far leave the working table (for
 * input grouped by key: call it between keys; a later record of a window spilled starts
 * a second aggregate, and the rows merge the two). */
int win_ref_spill(struct win_ref *r, struct ft_error *err);
int win_ref_rows(struct win_ref *r, struct win_row **out, size_t *n, struct ft_error *err);
void win_ref_free(struct win_ref *r);
/* How many (start, key) differ between a result and a reference: a row missing on
 * either side, not final in `got`, or with another value. */
size_t win_rows_mismatched(const struct win_row *got, size_t ngot, const struct win_row *want,
                           size_t nwant);

#endif
