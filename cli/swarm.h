/* Swarm testing (docs/swarm.md; FoundationDB's swarm testing, TigerBeetle's VOPR): from a
 * base scenario, run j of a swarm with seed S draws — from its own RNG stream, named by S
 * and j — a random subset of fault kinds, then the faults of each kind and their
 * parameters, every one healed or restarted early enough for the run to converge. The
 * draft is an ordinary scenario file (the base's nodes, source, query and protocols,
 * the drawn faults, the run's seed) that the real loader must accept; a refused draft
 * is counted and drawn again. Everything here is a pure function of (base, S, j). */
#ifndef FTSIM_SWARM_H
#define FTSIM_SWARM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scenario.h"

#define SWARM_RUNS_MAX 100000u /* runs of one swarm */
#define SWARM_DRAFTS_MAX 64u   /* drafts of one run the loader may refuse */

/* The fault kinds a run may switch on (each with probability 1/2). */
enum swarm_kind {
    SW_CRASH_STEP = 0, /* a worker crashes at a named step, restarts */
    SW_CRASH_WORKER,   /* a worker crashes at a time, restarts */
    SW_CRASH_BROKER,
    SW_CRASH_SINK,
    SW_CRASH_SOURCE,
    SW_DROP,      /* drops of a message kind (nth, count, record) */
    SW_LOSS,      /* network loss */
    SW_DUPLICATE, /* network duplication */
    SW_REORDER,   /* network reordering */
    SW_JITTER,    /* network jitter */
    SW_PARTITION, /* network partitions that heal, one after another */
    SW_EVICT,     /* consumer-group evictions: heartbeats lost for a session */
    SW_KINDS
};
const char *swarm_kind_name(enum swarm_kind k);

/* The base of a swarm: read and checked once. */
struct swarm_base {
    const char *file;
    char *text; /* the base file's bytes */
    size_t len;
    struct scenario *scn; /* the base, loaded */
    uint64_t seed;        /* S */
    enum dlv_protocol protocols[DLV_COUNT];
    uint32_t nprotocols; /* the protocols each run judges (--protocol, else the base's) */
    const char *out_dir; /* where run files are written: a CSV path is made relative to it */
    char csv_rel[512];   /* the base's CSV as seen from out_dir ("" without a CSV) */
    uint64_t active_from_ns, active_to_ns; /* when the source sends records */
    uint32_t kinds;                        /* the kinds this base allows (bit per swarm_kind) */
};

/* Loads the base and works out what it allows. Returns a CLI exit code (printing why). */
int swarm_base_open(struct swarm_base *b, const char *file, uint64_t seed,
                    const enum dlv_protocol *protocols, uint32_t nprotocols, const char *out_dir);
void swarm_base_close(struct swarm_base *b);

/* One generated run. */
struct swarm_run {
    uint64_t index; /* j */
    uint64_t seed;  /* K: the simulation seed of the run */
    uint32_t kinds; /* bit per swarm_kind switched on */
    uint32_t nfaults[SW_KINDS];
    uint32_t refused; /* drafts of this run the loader refused */
    bool ok;          /* false: every draft was refused (the run is skipped) */
    char name[SCN_NAME_MAX];
    char hash[65]; /* the file's BLAKE2b-256, hex */
    char *text;    /* the scenario file, without expect: (it depends on the outcome) */
    size_t len;
};

/* Draws run j. 0, or FT_ENOMEM. */
int swarm_generate(const struct swarm_base *b, uint64_t j, struct swarm_run *out);
void swarm_run_free(struct swarm_run *r);
/* The path of run r's file in b->out_dir (DIR/NAME.yaml). */
void swarm_run_path(const struct swarm_base *b, const char *name, char *buf, size_t size);

/* The run's file with an expect: entry per protocol that states what was judged:
 * expects[i] for b->protocols[i]. The caller frees *text. 0, or an FT_E* code. */
int swarm_file_with_expect(const struct swarm_base *b, const char *text, size_t len,
                           const struct scn_expect *expects, char **out, size_t *out_len);
/* Sets `expect:` of the scenario text to expects[i] for protocols[i] (the other entries
 * and an old expect: go); used by swarm and shrink. */
struct scn_doc;
int swarm_doc_expect(struct scn_doc *d, const enum dlv_protocol *protocols, uint32_t n,
                     const struct scn_expect *expects);

/* Judges every run (out[j * nprotocols + i] is run j under protocols[i]), writes the
 * violating runs' files (all of them with `all`) with their reproducing lines, shrinks
 * them with `shrink`, and prints the summary; secs is the time the runs took. Returns
 * CLI_OK, CLI_VIOLATED or CLI_INTERNAL. */
int swarm_report(const struct swarm_base *b, const struct swarm_run *runs, uint64_t n,
                 const struct exp_outcome *out, bool all, bool shrink, double secs);

/* A run that fails key may only not have converged in its drain: records still on their
 * way when the run stopped. swarm_recheck runs it again with swarm_recheck_drain_ns more
 * drain: 1 it still fails key (a violation), 0 it held (it converges late: not a
 * violation), -1 the run failed. e: the expect: keys judged besides the guarantee. A broken
 * duplicated or model_input_duplicated key is not re-run (time does not mend a
 * duplicate): 1. */
#define SWARM_RECHECK_DRAIN_NS (300ull * 1000000000ull)
/* The extra drain: SWARM_RECHECK_DRAIN_NS, or 300 back-off ceilings (300 x max_timeout)
 * when that is longer: the same number of retry rounds for a base whose retries back off
 * to tens of seconds (a model's ack_timeout exceeds its trigger) as for one capped at 1 s. */
uint64_t swarm_recheck_drain_ns(const struct pipe_config *cfg);
int swarm_recheck(const struct pipe_config *cfg, const struct scn_expect *e, enum dlv_protocol p,
                  uint64_t seed, int key);

/* A path to `target` (absolute, or relative to the current directory) as seen from the
 * directory `from_dir`; both must exist. 0, or -1. */
int swarm_rel_path(const char *from_dir, const char *target, char *buf, size_t size);

#endif
