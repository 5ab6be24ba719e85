/* A bound on a count measured in a run ("0", ">0", "<=5"), as scenario files write it in
 * their expectations. Shared by scenario.h (pipelines) and scn_byz.h (Byzantine). */
#ifndef FTSIM_SCN_BOUND_H
#define FTSIM_SCN_BOUND_H

#include <stdint.h>

enum scn_cmp { SCN_CMP_NONE = 0, SCN_EQ, SCN_NE, SCN_LT, SCN_LE, SCN_GT, SCN_GE };

struct scn_bound {
    enum scn_cmp op; /* SCN_CMP_NONE: not checked */
    uint64_t value;
};

/* The same on a measured number ("<0.5", ">=1e-3"): model errors. */
struct scn_fbound {
    enum scn_cmp op; /* SCN_CMP_NONE: not checked */
    double value;
};

#endif
