/* Shared by cmd_diagram.c and cmd_diagram_byz.c: the Byzantine run a diagram draws. */
#ifndef FTSIM_CMD_DIAGRAM_H
#define FTSIM_CMD_DIAGRAM_H

#include "diagram.h"
#include "scenario.h"

/* Fills out with the configuration of each algorithm in algs (nalgs 0: the file's) for
 * seed; about (size bytes) says which run of an exhaustive table it is. 0, or the
 * error of scn_byz_config / byz_run with err filled. */
int cli_diagram_byz(const struct scenario *scn, const int *algs, uint32_t nalgs, uint64_t seed,
                    struct diag_byz *out, char *about, size_t size, struct ft_error *err);

#endif
