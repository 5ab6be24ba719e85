/* The data lake's files (lake.c), written after the run from the rows the sink kept:
 * for warehouse.c's pipe_sink_write. Internal to stream/. */
#ifndef FTSIM_LAKE_H
#define FTSIM_LAKE_H

#include "sinks.h"

/* Writes DIR/lake/partition=P/part-N.jsonl (dir is created if missing; files an earlier
 * run left there go first). 0 or a negative FT_E* with err filled. */
int lake_write(const struct sinks *k, const char *dir, struct ft_error *err);

#endif
