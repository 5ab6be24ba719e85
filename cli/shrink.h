/* Shrinking a failing run (docs/swarm.md; Hypothesis and QuickCheck shrink inputs so):
 * a deterministic greedy search for a smaller scenario that fails the same way — the same
 * key (a broken guarantee, or an expect: key) for the same protocol. Passes, repeated
 * until none keeps a step: drop faults one at a time (network impairments and links
 * count as faults), shorten the duration, lower rates, devices and keys, fewer workers
 * and partitions, move fault times and nth values toward the start, simplify the query
 * (drop operators, the window's slide and the driver). A step is kept only when the
 * candidate loads, fails the same way and is smaller. With seeds > 0 a candidate that
 * passes at the seed is also tried at the next `seeds` seeds. */
#ifndef FTSIM_SHRINK_H
#define FTSIM_SHRINK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dlv.h"

#define SHRINK_STEPS_MAX 400u /* candidates tried in one shrink */

struct shrink_result {
    uint64_t seed;                             /* the seed the minimal file fails at */
    int key;                                   /* the failing key (scn_verdict_first numbering) */
    uint32_t kept, tried;                      /* steps kept, candidates run */
    uint64_t faults[2], records[2], events[2]; /* before and after */
};

/* Shrinks `file` (its text) failing under p at seed, printing each kept step to log,
 * and writes the minimal scenario to out_path (protocols: [p], seed, expect: the
 * failing key). Returns a CLI exit code: CLI_OK (written), CLI_USAGE (the run does not
 * fail, or bad input: printed), CLI_INTERNAL. */
int shrink_scenario(const char *file, const char *text, size_t len, uint64_t seed,
                    enum dlv_protocol p, uint32_t seeds, const char *out_path, FILE *log,
                    struct shrink_result *res);

#endif
