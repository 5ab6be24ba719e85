/* The windowed query's stage inside the pipeline (window_stage.c), used by the worker
 * (records, restarts) and by pipeline.c (life cycle, results). Internal to stream/. */
#ifndef FTSIM_WINDOW_STAGE_H
#define FTSIM_WINDOW_STAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pipeline.h"
#include "window.h"

struct wstage;
struct pipe;

int wstage_new(struct pipe *p, struct wstage **out, struct ft_error *err);
void wstage_free(struct wstage *st);
/* A worker (re)starts: its window engine starts empty. */
void wstage_worker_start(struct sim *s, struct pipe *p, uint32_t me);
/* A worker received a source record (after its receive step). Under an idempotent
 * protocol a (partition, offset) the worker already applied is skipped: the engine's
 * state is exactly-once as long as the worker does not crash. */
struct wire;
void wstage_record(struct sim *s, struct pipe *p, uint32_t me, const struct wire *in);
/* End of the run: pending batches run, every window of every worker that is up closes. */
int wstage_finish(struct sim *s, struct wstage *st, struct ft_error *err);
int wstage_rows(const struct wstage *st, struct win_row **rows, size_t *n);
void wstage_stats(const struct wstage *st, struct pipe_window_stats *out);
const uint64_t *wstage_latencies(const struct wstage *st, size_t *n);
void wstage_keep_log(struct wstage *st, bool on);
const struct win_row *wstage_log(const struct wstage *st, size_t *n, bool *truncated);
const struct pipe_watermark *wstage_watermarks(const struct wstage *st, size_t *n);
const char *wstage_key_name(const struct wstage *st, uint64_t key, char *buf, size_t size);

#endif
