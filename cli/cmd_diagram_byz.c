/* The Byzantine half of `ftsim diagram` (cli/cmd_diagram.c): which run of a Byzantine
 * scenario the diagram draws. Without exhaustive mode, each algorithm's configuration
 * for the seed (scn_byz_config); in exhaustive mode the first run of the table that
 * breaks agreement under the first algorithm, or, when none does, the first in which a
 * lieutenant lies (conflicting), or else the first; every algorithm drawn side by side
 * gets that same placement, strategy and order. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_diagram.h"

static void describe(const struct byz_config *c, const char *why, char *buf, size_t size) {
    char who[64] = "", nm[32];
    size_t k = 0;
    for (uint32_t i = 0; i < c->n; i++)
        if (c->strategy[i] != BYZ_LOYAL && k < sizeof who)
            k += (size_t)snprintf(who + k, sizeof who - k, "%s%s", k ? ", " : "",
                                  byz_node_name(c, i, nm, sizeof nm));
    snprintf(buf, size, "%s: traitor %s (%s), order %s", why, k ? who : "none",
             byz_strategy_summary(c->strategy, c->n), byz_order_name(c->order));
}

static bool lying_lieutenant(const struct byz_config *c) {
    for (uint32_t i = 1; i < c->n; i++)
        if (c->strategy[i] == BYZ_CONFLICTING) return true;
    return false;
}

/* The exhaustive table's run to draw, into *cfg. */
static int pick_exhaustive(const struct scenario *scn, enum byz_alg a, uint64_t seed,
                           struct byz_config *cfg, char *about, size_t size, struct ft_error *err) {
    struct byz_config base, c, lying = {0}, first = {0};
    struct byz_enum it;
    uint64_t runs;
    bool have_lying = false, have_first = false;
    int rc = scn_byz_config(&scn->byz, a, seed, &base, err);
    if (!rc) rc = byz_enum_start(&it, &base, &runs, err);
    while (!rc && byz_enum_next(&it, &c)) {
        struct byz_outcome o;
        if ((rc = byz_run(&c, seed, NULL, &o, err)) != 0) break;
        if (!o.ic1 || !o.ic2) {
            *cfg = c;
            describe(cfg, "the first run of the exhaustive table that breaks agreement", about,
                     size);
            return 0;
        }
        if (!have_lying && lying_lieutenant(&c)) lying = c, have_lying = true;
        if (!have_first) first = c, have_first = true;
    }
    if (rc) return rc;
    *cfg = have_lying ? lying : first;
    describe(cfg,
             have_lying ? "no run of the exhaustive table breaks agreement; one with a lying "
                          "lieutenant"
                        : "the first run of the exhaustive table",
             about, size);
    return 0;
}

int cli_diagram_byz(const struct scenario *scn, const int *algs, uint32_t nalgs, uint64_t seed,
                    struct diag_byz *out, char *about, size_t size, struct ft_error *err) {
    memset(out, 0, sizeof *out);
    about[0] = '\0';
    if (nalgs == 0) { /* the file's algorithms */
        static int file_algs[BYZ_ALG_COUNT];
        for (uint32_t i = 0; i < scn->byz.nalgs; i++)
            file_algs[i] = scn->byz.algs[i];
        algs = file_algs;
        nalgs = scn->byz.nalgs;
    }
    if (nalgs > DIAG_BYZ_ALGS_MAX) nalgs = DIAG_BYZ_ALGS_MAX;
    out->nalgs = nalgs;
    int rc = 0;
    for (uint32_t i = 0; !rc && i < nalgs; i++) {
        enum byz_alg a = (enum byz_alg)algs[i];
        if (scn->byz.exhaustive && i == 0) {
            rc = pick_exhaustive(scn, a, seed, &out->cfg[0], about, size, err);
        } else if (scn->byz.exhaustive) { /* the same placement, strategy and order */
            out->cfg[i] = out->cfg[0];
            out->cfg[i].alg = a;
        } else {
            rc = scn_byz_config(&scn->byz, a, seed, &out->cfg[i], err);
        }
    }
    out->about_run = about;
    return rc;
}
