/* Scenario files (YAML, parsed with libyaml): one experiment each — the pipeline,
 * the protocols to compare, the faults, the seeds, and the expectations that
 * `ftsim check` enforces (DESIGN.md §6; the field reference is docs/scenario-format.md).
 * Every error names file:line:col, what was expected and what was found; unknown keys
 * get a "did you mean". The loader never crashes or leaks, whatever the input. */
#ifndef FTSIM_SCENARIO_H
#define FTSIM_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>

#include "dlv.h"
#include "err.h"
#include "pipeline.h"
#include "scn_bound.h"
#include "scn_byz.h"

#define SCN_NAME_MAX 64u
#define SCN_ABOUT_MAX 1024u
#define SCN_SEEDS_MAX 100000u /* seeds one check may run */
#define SCN_FILE_BYTES_MAX (1u << 20)

/* A window row an expectation names: it must exist, be final and show `value`. */
#define SCN_WINDOW_ROWS_MAX 32u
struct scn_window_row {
    int64_t start_ns, end_ns; /* end defaults to start + the window's length */
    char key[64];
    double value; /* equal within 1e-9 relative */
    int line, col;
};

/* What `check` enforces for one protocol. */
struct scn_expect {
    bool set; /* the file has an expect entry for this protocol */
    struct scn_bound lost, duplicated, delivered;
    int matches_reference; /* -1 unchecked, 0 must be false, 1 must be true */
    struct scn_bound rejected; /* rows the warehouse rejected (schema on write) */
    /* the lambda architecture (cli/scn_sink.c): -1 unchecked; bounds in ms */
    int lambda_final_match;
    struct scn_bound lambda_max_diff, lambda_overcount, lambda_max_staleness_ms,
        lambda_max_batch_age_ms;
    int line, col;
    /* the windowed query (cli/scn_stream.c) */
    struct scn_bound late_dropped, windows;
    int windows_match_reference; /* -1 unchecked */
    uint32_t nrows;
    struct scn_window_row rows[SCN_WINDOW_ROWS_MAX];
    /* a streaming model (cli/scn_ml.c): -1 unchecked */
    struct scn_bound model_input_lost, model_input_duplicated;
    int model_input_matches_reference, model_identical_to_fault_free;
    struct scn_fbound model_error_final, model_frozen_error_final;
};

/* A pipeline scenario compares delivery protocols; a Byzantine one (a file with a
 * top-level `byzantine:` section) runs agreement algorithms and fills only `byz`
 * besides the common fields (file, name, hash, about, seeds). */
enum scn_kind { SCN_KIND_PIPELINE = 0, SCN_KIND_BYZANTINE };

struct scenario {
    enum scn_kind kind;
    char file[FT_ERROR_FILE_MAX];
    char name[SCN_NAME_MAX];
    char hash[65]; /* BLAKE2b-256 of the file bytes, hex: identifies the experiment */
    char about[SCN_ABOUT_MAX];
    uint64_t seed;                   /* `seed:` (default 1): what `run` uses */
    uint64_t seed_first, seed_last;  /* `seeds: A..B` (default seed..seed): what `check` runs */
    struct pipe_config pipe;
    uint32_t nprotocols;
    enum dlv_protocol protocols[DLV_COUNT]; /* in file order, no repeats */
    struct scn_expect expect[DLV_COUNT];    /* indexed by protocol */
    struct scn_byz byz;                     /* SCN_KIND_BYZANTINE */
};

/* Loads and validates `path`. Returns 0, or FT_EPARSE (bad input: err has the file,
 * line, column and message) or FT_EIO (cannot read: err says why). */
int scn_load(const char *path, struct scenario *out, struct ft_error *err);
/* The same from a buffer; `name` is the file name used in messages. */
int scn_parse(const char *name, const char *text, size_t len, struct scenario *out,
              struct ft_error *err);

/* Overrides (`ftsim sweep --set`): the scalar at a YAML key path is replaced by `value`
 * before the file is decoded, so the value passes the same checks, with the same
 * messages, as if the file held it; a message about it starts "FILE: --set PATH=VALUE:".
 * A path is keys joined by '.', with 0-based indices into lists ("network.loss",
 * "faults.0.nth", "expect.at-least-once.lost"); a missing key is added (an unknown one
 * is then refused with a did-you-mean); a path through a single value, past the end
 * of a list, or onto a mapping or list is refused. scenario.hash stays the hash of
 * the file's bytes. */
#define SCN_OVERRIDES_MAX 32u
#define SCN_OVERRIDE_PATH_MAX 256u
struct scn_override {
    const char *path;
    const char *value;
};
int scn_load_with(const char *path, const struct scn_override *ov, uint32_t nov,
                  struct scenario *out, struct ft_error *err);
int scn_parse_with(const char *name, const char *text, size_t len, const struct scn_override *ov,
                   uint32_t nov, struct scenario *out, struct ft_error *err);
/* Reads a scenario file (at most SCN_FILE_BYTES_MAX bytes) into *text (NUL-terminated,
 * the caller frees it): FT_EIO when it cannot be read, FT_EPARSE when too large. */
int scn_read_file(const char *path, char **text, size_t *len, struct ft_error *err);
/* Checks a bound: "lost: 0" holds for 0; ">0" for 3, ... */
bool scn_bound_holds(const struct scn_bound *b, uint64_t v);
/* Checks the window expectations of e against a run (windows may be NULL when e names
 * no rows); appends "name value (expect B)" items to buf. */
struct exp_outcome;
struct exp_windows;
bool scn_check_windows(const struct scn_expect *e, const struct exp_outcome *o,
                       const struct exp_windows *w, char *buf, size_t size);
/* Checks the lambda expectations of e against a run; appends like scn_check_windows. */
bool scn_check_lambda(const struct scn_expect *e, const struct exp_outcome *o, char *buf,
                      size_t size);
/* Checks the model expectations of e against a run; appends like scn_check_windows. */
bool scn_check_model(const struct scn_expect *e, const struct exp_outcome *o, char *buf,
                     size_t size);
/* Writes a bound as the file would ("0", ">0", "<=5") into buf. */
const char *scn_bound_str(const struct scn_bound *b, char *buf, size_t size);

#endif
