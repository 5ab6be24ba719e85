/* The Byzantine half of a scenario file: a top-level `byzantine:` section (algorithms,
 * n, m, the commander's order, traitors by id or drawn from the seed, exhaustive mode,
 * a replicated stage with a sink) and expectations keyed by algorithm. Parsed by
 * cli/scn_byz.c; the field reference is docs/scenario-format.md, "Byzantine scenarios". */
#ifndef FTSIM_SCN_BYZ_H
#define FTSIM_SCN_BYZ_H

#include <stdbool.h>
#include <stdint.h>

#include "byzantine.h"
#include "err.h"
#include "scn_bound.h"

/* What `check` enforces for one algorithm. ic1/ic2: -1 unchecked, 1 held in every run,
 * 0 failed in at least one run. violations counts runs (over every seed and, in
 * exhaustive mode, every placement, strategy and order) in which IC1 or IC2 failed;
 * the other bounds hold for each run. */
struct scn_byz_expect {
    bool set;
    int ic1, ic2;
    struct scn_bound violations, divergent, messages, signatures_rejected;
    int line, col;
};

struct scn_byz {
    uint32_t nalgs;
    enum byz_alg algs[BYZ_ALG_COUNT]; /* in file order, no repeats */
    struct byz_config cfg;            /* .alg is set per run; .strategy from `traitors` ids */
    uint32_t draw_count;              /* traitors: { count, strategy }: drawn per seed */
    enum byz_strategy draw_strategy;
    bool exhaustive;
    struct scn_byz_expect expect[BYZ_ALG_COUNT]; /* indexed by algorithm */
};

/* The configuration of one run of algorithm a under seed (traitors drawn when the file
 * asks for a count). */
int scn_byz_config(const struct scn_byz *b, enum byz_alg a, uint64_t seed, struct byz_config *out,
                   struct ft_error *err);

#endif
