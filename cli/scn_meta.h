/* What the results store keeps about a scenario file (store.h, struct res_scenario):
 * the file's seed, the source's duration, the failures the file injects, and what a
 * window row's value is, in words, for the figures' axis labels. Read from the loaded
 * scenario alone; the texts live in the struct, so it must outlive the res_run. */
#ifndef FTSIM_SCN_META_H
#define FTSIM_SCN_META_H

#include "scenario.h"
#include "store.h"

struct scn_meta {
    char faults[128];
    char window_value[160];
    struct res_scenario file; /* points into this struct and into the scenario */
};

/* Fills m from s; m->file is ready for res_run.file. */
void scn_meta_fill(const struct scenario *s, struct scn_meta *m);

#endif
