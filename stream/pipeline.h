/* The first pipeline (DESIGN.md §3, §5): source -> broker (partitioned log) ->
 * workers (map) -> warehouse sink (per-key count table), every hop a real message on
 * the simulated network, so acks and commits can be lost like anything else.
 * struct pipe_config is what a scenario file describes; pipe_build() adds the nodes
 * to a simulator. The sink reports each row it makes visible through a callback, so
 * analysis/ can count effects without trusting the protocol's own counters. */
#ifndef FTSIM_PIPELINE_H
#define FTSIM_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dlv.h"
#include "moments.h"
#include "ml.h"
#include "pipe_query.h"
#include "sim.h"

#define PIPE_WORKERS_MAX 64u
#define PIPE_PARTITIONS_MAX 256u
#define PIPE_KEYS_MAX 100000u
#define PIPE_RECORDS_MAX 1000000000ull /* records one run may generate (docs/memory.md) */
#define PIPE_DURATION_MAX (24ull * 3600 * SIM_NS_PER_S)
#define PIPE_FAULTS_MAX 64u
#define PIPE_LINKS_MAX 64u
#define PIPE_SIDES_MAX 4u
#define PIPE_SIDE_NODES_MAX 64u
#define PIPE_NAME_MAX SIM_NODE_NAME_MAX
#define PIPE_WINDOW_MAX 4096u
#define PIPE_BATCH_MAX 1024u
#define PIPE_HEARTBEATS_MAX 20000000ull /* heartbeats one run may send (all workers) */
#define PIPE_CHECKPOINTS_MAX 1000000ull  /* checkpoints one run may trigger */
#define PIPE_SINK_PENDING_MAX (1ull << 26) /* uncommitted rows per partition at the sink */

enum src_kind {
    SRC_KEYED = 0, /* `rate` records/s, Poisson arrivals, keys uniform over `keys` */
    SRC_IOT,       /* `devices` sensors, one reading per `period` each, +- jitter */
    SRC_CSV,       /* replay of a user's CSV table (stream/csv.h) */
    SRC_LOGS,      /* server and security logs: bursty arrivals, levels, an attack */
    SRC_ADS,       /* real-time advertising: bid requests, impressions, clicks */
    SRC_CLICKS,    /* clickstream: user sessions of page views with think times */
    SRC_CLUSTERS,  /* feature vectors around K true centres (stream/source_ml.c) */
    SRC_LINEAR     /* x uniform in a box, label y = w.x + b + noise (stream/source_ml.c) */
};
#define SRC_KINDS 8
#define PIPE_PATH_MAX 512u

/* Feature vectors (streaming ML, docs/scenario-format.md `source`): a record of a
 * clusters or linear source, or of a CSV with x1..xd columns, carries dim doubles and,
 * with `label`, a label. Each kind has a known true model so a learned one can be
 * measured: clusters draw x = centre[j] + N(0, sd^2) per coordinate, j by the shares;
 * linear draws x uniform in [lo, hi]^dim and y = w.x + b + N(0, noise^2). At drift_ns
 * (event time) the centres move by move[j], the line becomes (w2, b2). */
struct pipe_features {
    uint32_t dim; /* features per record, 0 = none */
    bool label;   /* records carry a label (linear: y; clusters: the true centre's index) */
    uint32_t k;   /* clusters */
    double centre[ML_K_MAX][ML_DIM_MAX];
    double share[ML_K_MAX]; /* relative; the cluster of a point is drawn by share */
    double sd;
    double w[ML_DIM_MAX], b, lo, hi, noise; /* linear */
    bool drift;
    uint64_t drift_ns;
    double move[ML_K_MAX][ML_DIM_MAX]; /* clusters: added to each centre at the drift */
    double w2[ML_DIM_MAX], b2;         /* linear: the line from the drift on */
};

/* Every generator is a pure function of (this, duration, seed); docs/scenario-format.md
 * documents each parameter. `keys` is the number of distinct source keys for every kind
 * (devices, hosts, campaigns, users, or the CSV's distinct keys). */
struct pipe_source {
    enum src_kind kind;
    uint32_t keys;       /* keyed: distinct keys; iot: devices; logs: hosts; ads:
                            campaigns; clicks: users; csv: distinct keys in the file */
    double rate_per_s;   /* keyed; logs: calm rate; ads: bid requests/s; clicks: sessions/s */
    uint64_t period_ns;  /* iot */
    uint64_t jitter_ns;  /* iot: each reading is uniform in [-jitter, +jitter] of its slot */
    /* iot: device clocks and links (0 = off) */
    uint64_t skew_ns;    /* each device's clock is off by a fixed amount in [-skew, +skew] */
    uint64_t delay_ns;   /* each reading travels uniform [0, delay]; a device's link is FIFO */
    double outage_p;     /* per reading: the link goes down for outage_ns; readings queue */
    uint64_t outage_ns;
    double battery_p;    /* per reading: the battery dies for battery_ns; readings are lost */
    uint64_t battery_ns;
    /* logs */
    double burst_rate_per_s;  /* rate during a burst (0 = no bursts) */
    uint64_t burst_every_ns;  /* mean calm period between bursts (exponential) */
    uint64_t burst_length_ns; /* mean burst length (exponential) */
    uint64_t attack_at_ns, attack_length_ns; /* the attack burst: [at, at + length) */
    double attack_rate_per_s; /* alert lines per second from attack_host during it */
    uint32_t attack_host;
    /* ads */
    double win_p;            /* a bid request wins an impression */
    double ctr;              /* an impression is clicked (click-through rate) */
    uint64_t click_delay_ns; /* mean time from impression to click (exponential) */
    /* clicks */
    uint32_t pages;             /* page ids 0 .. pages-1, uniform */
    uint64_t think_ns;          /* mean think time between two clicks (exponential) */
    double clicks_per_session;  /* mean clicks in a session (geometric, >= 1) */
    /* csv */
    char csv_path[PIPE_PATH_MAX]; /* resolved against the scenario's directory */
    uint64_t csv_rows;            /* rows with arrival < duration (for limit checks) */
    uint64_t csv_first_arrival_ns, csv_last_arrival_ns; /* the replay's span (for figures) */
    /* every kind: the fraction of malformed records (source.h, enum src_defect) */
    double malformed_p;
    /* records with features: clusters, linear, or a csv with x1.. columns */
    struct pipe_features feat;
};

struct pipe_link {
    char from[PIPE_NAME_MAX], to[PIPE_NAME_MAX];
    struct net_link_cfg cfg;
    int line, col; /* where the scenario defines it, for error messages */
};

/* Message kinds on the wire; also the names a scenario's `drop:` uses. */
enum pipe_msg_kind {
    PIPE_MSG_PRODUCE = 1, /* source -> broker: a record */
    PIPE_MSG_PRODUCE_ACK, /* broker -> source */
    PIPE_MSG_RECORD,      /* broker -> worker */
    PIPE_MSG_ACK,         /* worker -> broker: input record done (offset commit) */
    PIPE_MSG_OUTPUT,      /* worker -> sink: an output row */
    PIPE_MSG_OUTPUT_ACK,  /* sink -> worker */
    PIPE_MSG_COMMIT,      /* worker -> sink: commit a transaction (txn only) */
    PIPE_MSG_COMMIT_ACK,  /* sink -> worker */
    PIPE_MSG_INIT,        /* worker -> sink: register a new epoch, fetch offsets (txn) */
    PIPE_MSG_INIT_ACK,    /* sink -> worker */
    PIPE_MSG_HEARTBEAT,   /* worker -> broker: group membership (rebalance on) */
    PIPE_MSG_ASSIGN,      /* broker -> worker: a partition assigned or revoked */
    /* exactly-once-checkpoint (stream/checkpoint.c); the broker is the coordinator */
    PIPE_MSG_BARRIER,         /* broker -> worker: checkpoint k's barrier in a partition */
    PIPE_MSG_SNAPSHOT_ACK,    /* worker -> broker: snapshot k stored, its outputs flushed */
    PIPE_MSG_CKPT_COMMIT,     /* broker -> sink: checkpoint k completed, commit up to it */
    PIPE_MSG_CKPT_COMMIT_ACK, /* sink -> broker */
    PIPE_MSG_JOIN,            /* worker -> broker: restarted with no state, roll back */
    PIPE_MSG_RESTORE,         /* broker -> worker / sink: new job epoch, restore point */
    PIPE_MSG_RESTORE_ACK,     /* worker / sink -> broker */
    PIPE_MSG_ASSIGN_ACK,      /* worker -> broker: an assignment received (rebalance on) */
    /* the streaming model (stream/ml_stage.h) */
    PIPE_MSG_ML_JOB,      /* driver -> worker: batch b with the model */
    PIPE_MSG_ML_STATS,    /* worker -> driver: a partition's statistics for batch b */
    PIPE_MSG_ML_STATS_ACK, /* driver -> worker: applied (or which records already were) */
    PIPE_MSG_KINDS
};
const char *pipe_msg_name(int kind);
int pipe_msg_parse(const char *name); /* kind, or -1 */
/* True for the kinds whose tag (sim_send_tagged) is a source record id: produce,
 * produce-ack, record, ack, output, output-ack, commit and commit-ack (a commit and its
 * ack name the last record of the transaction). Every other kind carries tag 0, which
 * is also record 0's id, so the kind decides. */
bool pipe_msg_has_record(int kind);

/* Named steps where a crash may strike a worker (the record id is the step's arg). */
#define PIPE_STEP_AFTER_RECEIVE "after-receive" /* got the record, nothing emitted */
#define PIPE_STEP_AFTER_EMIT "after-emit"       /* output sent, input not yet acked */
#define PIPE_STEP_BEFORE_COMMIT "before-commit" /* txn: outputs sent, commit not yet */
/* exactly-once-checkpoint: the step's arg is the checkpoint id, not a record id */
#define PIPE_STEP_DURING_CHECKPOINT "during-checkpoint"     /* checkpoint k's first barrier
                                                               arrived: aligning, no snapshot */
#define PIPE_STEP_BEFORE_SNAPSHOT_ACK "before-snapshot-ack" /* snapshot k stored and its
                                                               outputs flushed, ack not sent */
bool pipe_step_valid(const char *name);
/* The step a pipeline run's SIM_TR_FAULT record names by its kind (pipe_build interns
 * the five steps above in this order, ids 0..4, on its fresh simulator); NULL for
 * another id. */
const char *pipe_step_name(uint32_t step);

enum pipe_fault_type { PIPE_FAULT_CRASH = 1, PIPE_FAULT_DROP, PIPE_FAULT_PARTITION };

#define PIPE_ANY UINT64_MAX

struct pipe_fault {
    enum pipe_fault_type type;
    int line, col;
    /* crash: node, and either a time (has_at) or a step (+ record, nth) */
    char node[PIPE_NAME_MAX];
    bool has_at;
    uint64_t at_ns;
    char step[32];         /* "" when triggered by time */
    uint64_t record;       /* PIPE_ANY or a source record id */
    uint64_t nth;          /* >= 1 */
    uint64_t restart_after_ns; /* 0 = never restarts */
    /* drop: message kind on from -> to ("" = any), record (PIPE_ANY = any), nth, count */
    int msg_kind;
    char from[PIPE_NAME_MAX], to[PIPE_NAME_MAX];
    uint64_t count;
    /* partition: sides of node names (nodes named nowhere join side 0), from at_ns
     * until heal_ns */
    uint32_t nsides;
    uint32_t side_n[PIPE_SIDES_MAX];
    char side[PIPE_SIDES_MAX][PIPE_SIDE_NODES_MAX][PIPE_NAME_MAX];
    uint64_t heal_ns;
};

struct pipe_delivery {
    uint64_t ack_timeout_ns; /* first retry timeout */
    uint64_t max_timeout_ns; /* back-off cap */
    uint32_t backoff;        /* factor per retry, >= 1 */
    uint32_t window;         /* records in flight per partition */
    uint32_t batch;          /* txn: records per transaction */
    uint64_t linger_ns;      /* txn: commit a partial batch after this long */
    uint64_t checkpoint_ns;  /* checkpoint: the coordinator triggers one this often */
    uint64_t checkpoint_timeout_ns; /* checkpoint: aborted if not complete by then
                                       (<= checkpoint_ns; the next one is due anyway) */
    uint64_t commit_interval_ns; /* a model: input offsets are committed at multiples of
                                    this once applied (Kafka's auto-commit), 0 = at once */
};

/* Consumer-group membership (docs/scenario-format.md, `group`). With rebalance off the
 * assignment is static (partition p -> worker (p mod W) + 1) and nothing is sent for
 * membership. With it on, workers heartbeat to the broker (the group coordinator); a
 * worker silent for session_timeout is evicted and its partitions move to the live
 * workers (pipe_group_owner), coming back when it rejoins with a heartbeat. */
struct pipe_group {
    bool rebalance;
    uint64_t heartbeat_ns;       /* > 0: a worker's heartbeat period */
    uint64_t session_timeout_ns; /* > heartbeat_ns: silence after which it is evicted */
};

/* Where committed rows land (docs/scenario-format.md, `sink`; stream/sinks.h). The
 * warehouse validates each row against its declared schema (schema on write: a
 * malformed row is rejected and counted, never added to the aggregates); the lake keeps
 * every committed row as it came (schema on read), one file per partition per `roll`
 * of processing time. Both only ever see rows the sink has committed. */
enum pipe_sink_kind { PIPE_SINK_WAREHOUSE = 0, PIPE_SINK_LAKE, PIPE_SINK_BOTH };
struct pipe_sink {
    enum pipe_sink_kind kind;
    uint64_t roll_ns;          /* lake: a partition's file covers [k*roll, (k+1)*roll) */
    char path[PIPE_PATH_MAX];  /* where `ftsim run` writes them ("": only with --out) */
};
#define PIPE_ROLL_MIN_NS SIM_NS_PER_MS
#define PIPE_LAKE_RECORDS_MAX 5000000ull /* records a run with a lake may generate: it keeps
                                            every committed row, 64 bytes, ~320 MB */
#define PIPE_WAREHOUSE_VALUE_MAX 1000000000ll /* the warehouse's range: |value| <= 10^9 */

/* The lambda architecture (docs/scenario-format.md, `lambda`; stream/lambda.c): a
 * batch layer recomputes per-key record counts from the lake (the master dataset:
 * the lake files sealed when a job starts, each record id counted once) every
 * batch_every, publishing the view batch_latency later; a speed layer counts every
 * row committed since the served batch view's snapshot; the serving layer answers
 * batch view + speed view. Needs a lake (sink kind lake or both). */
struct pipe_lambda {
    bool enabled;
    uint64_t batch_every_ns;   /* a batch job starts at every multiple of this */
    uint64_t batch_latency_ns; /* < batch_every_ns: a job's running time */
    uint64_t sample_ns;        /* the served view is sampled at every multiple of this */
};
#define PIPE_LAMBDA_KEYS_MAX 32u         /* per-key series up to this many keys */
#define PIPE_LAMBDA_SAMPLES_MAX 100000u  /* samples in duration + drain */

/* A streaming model (docs/scenario-format.md `pipeline` kmeans / linear_regression and
 * `model`; stream/ml_stage.c): workers compute each micro-batch's statistics, a driver
 * node updates the model and sends it back with the next batch. With `offline`, a batch
 * job trains a frozen model once on the lake's committed rows up to until_ns. */
struct pipe_ml {
    struct ml_spec spec; /* kind ML_NONE: no model */
    bool offline;
    uint64_t until_ns;
};
#define PIPE_ML_RECORDS_MAX 2000000ull /* records a run with a model may generate */

struct pipe_config {
    uint64_t duration_ns; /* the source generates records for this long */
    uint64_t drain_ns;    /* then the run may go on this long for retries to settle */
    uint32_t workers;     /* worker-1 .. worker-W */
    uint32_t partitions;  /* partition p prefers worker (p mod W) + 1 (its static owner) */
    struct pipe_source source;
    struct net_link_cfg network;
    uint32_t nlinks;
    struct pipe_link links[PIPE_LINKS_MAX];
    struct pipe_delivery delivery;
    struct pipe_group group;
    uint32_t nfaults;
    struct pipe_fault faults[PIPE_FAULTS_MAX];
    struct pipe_query query; /* a windowed query the workers run (stream/query.h) */
    struct pipe_sink sink;
    struct pipe_lambda lambda;
    /* Test-only, never set by a scenario file: a planted bug for the swarm's acceptance
     * test (tests/swarm_test.sh), which cli/ sets from the environment variable
     * FTSIM_TEST_PLANT=sink-forgets-dedup. */
    uint32_t test_plant;
    struct pipe_ml ml;
};
#define PIPE_PLANT_SINK_FORGETS_DEDUP 1u /* the exactly-once sink forgets its dedup table
                                            when it restarts */

/* Defaults for every field a scenario may leave out. */
void pipe_config_defaults(struct pipe_config *c);
/* Estimated records the source generates (for limit checks before a run). */
uint64_t pipe_estimated_records(const struct pipe_config *c);
/* Heartbeats the workers send in a run with rebalance on (for limit checks), else 0. */
uint64_t pipe_estimated_heartbeats(const struct pipe_config *c);
/* Node names: "source", "broker", "sink", "worker-1".."worker-W". */
bool pipe_node_name_valid(const struct pipe_config *c, const char *name);


/* ---- building and observing a pipeline on a simulator ---- */

/* sim_trace_user codes (a = the record's id field, b = its arg):
 * VISIBLE   at the sink: a row became visible; a = record, b = partition.
 * MEMBER    at the broker: a = worker node id, b = 1 joined the group / 0 evicted.
 * REBALANCE at the broker: partition a moved; b = generation << 32 | new owner's node id
 *           (PIPE_NO_OWNER when no worker is live). One event per moved partition.
 * FENCED    at the broker (a stale ack) or the sink (a stale output, commit or init):
 *           a = partition, b = the stale generation (broker) or epoch (sink).
 * exactly-once-checkpoint (a = the checkpoint id k, b = the job epoch):
 * CKPT_TRIGGER  at the broker: barriers of k sent.
 * CKPT_SNAPSHOT at a worker: aligned on k, state stored.
 * CKPT_COMPLETE at the broker: every worker acknowledged k; k is the restore point.
 * CKPT_ABORT    at the broker: k timed out (a lost barrier or ack) or a rollback began.
 * CKPT_COMMIT   at the sink: output up to k made visible (once per k).
 * CKPT_ROLLBACK at the broker: a worker restarted; the job restarts from k in epoch b. */
enum { PIPE_TR_VISIBLE = 1, PIPE_TR_MEMBER, PIPE_TR_REBALANCE, PIPE_TR_FENCED,
       PIPE_TR_CKPT_TRIGGER, PIPE_TR_CKPT_SNAPSHOT, PIPE_TR_CKPT_COMPLETE, PIPE_TR_CKPT_ABORT,
       PIPE_TR_CKPT_COMMIT, PIPE_TR_CKPT_ROLLBACK };
#define PIPE_NO_OWNER 0xffffffffu

/* The source record a trace event of a pipeline run is about: a message of a kind that
 * carries one (pipe_msg_has_record; its tag), a row made visible (PIPE_TR_VISIBLE; its
 * id) or a crash at a record's step (SIM_TR_FAULT at after-receive, after-emit or
 * before-commit; its arg). False for every other event. */
bool pipe_trace_record(const struct sim_trace_rec *r, uint64_t *rec);

struct pipe;

/* A row the warehouse made visible (committed), with its lineage. */
struct pipe_row {
    uint64_t rec;        /* source record id */
    uint32_t key;
    uint32_t partition;
    int64_t value;       /* after the worker's map */
    uint64_t event_ns;   /* event time */
    uint64_t created_ns; /* when the source created it (processing time) */
    uint32_t worker;     /* node id of the worker that produced it */
};

struct pipe_observer {
    void (*visible)(void *ctx, const struct pipe_row *row, uint64_t now_ns);
    void *ctx;
    /* optional (a model): the driver's model consumed record rec (delta +1), or a
     * checkpoint rollback took that update back (delta -1) */
    void (*model_input)(void *ctx, uint64_t rec, int delta);
};

/* Adds source, broker, workers and sink to s and arms cfg's faults. The returned
 * pipe owns the nodes' durable stores; free it after the simulator is done. */
int pipe_build(struct sim *s, const struct pipe_config *cfg, enum dlv_protocol proto,
               uint64_t seed, const struct pipe_observer *obs, struct pipe **out,
               struct ft_error *err);
void pipe_free(struct pipe *p);
/* The name of node `id` in a pipeline built from c: ids are source 0, broker 1,
 * worker-1..worker-W 2..W+1, sink W+2, a model's driver W+3; "-" for any other id. buf
 * holds worker names. */
const char *pipe_node_name(const struct pipe_config *c, uint32_t id, char *buf, size_t size);
/* The warehouse's aggregated table: visible rows per key (nkeys = source keys). */
const uint64_t *pipe_warehouse_counts(const struct pipe *p, uint32_t *nkeys);
/* Retransmissions by every sender (source, broker, workers). */
uint64_t pipe_retries(const struct pipe *p);
/* The records the pipeline still holds for delivery when the run ends (call after the
 * simulator stopped): the source's unacknowledged produces (retrying protocols), each
 * partition's log above its committed offset (not yet acknowledged by a consumer, or
 * waiting for one) and, under exactly-once-checkpoint, the sink's rows waiting for a
 * checkpoint to commit. A record the protocol gave up on (at-most-once commits on
 * send) is not among them. fn may see a record more than once. */
typedef void pipe_rec_fn(void *ctx, uint64_t rec);
void pipe_pending_records(const struct pipe *p, pipe_rec_fn *fn, void *ctx);
/* The worker's map, exposed so the reference can apply it independently. */
int64_t pipe_map_value(int64_t v);
/* The partition of a key. */
uint32_t pipe_partition_of(uint32_t key, uint32_t partitions);
/* The assignment rule (rebalance on): the worker index (0-based) that owns `partition`
 * when member[i] says which of the `workers` are in the group. The preferred owner
 * partition mod workers keeps it while it is a member; otherwise the k-th member in
 * index order, k = partition mod (members), takes it; PIPE_NO_OWNER when none is. */
uint32_t pipe_group_owner(const uint8_t *member, uint32_t workers, uint32_t partition);

/* ---- the lake and the warehouse (stream/lake.c, stream/warehouse.c) ---- */

/* Why the warehouse rejects a row with defect `defect` (enum src_defect) and value
 * `value` (after the worker's map): SRC_DEFECT_NONE when it accepts it. The declared
 * schema: a value present, an integer, |value| <= PIPE_WAREHOUSE_VALUE_MAX. */
int pipe_warehouse_reason(int defect, int64_t value);
/* Rows the warehouse rejected, by reason (index enum src_defect; [0] = the total). */
void pipe_warehouse_rejects(const struct pipe *p, uint64_t out[4]);
/* Keeps every committed row for pipe_sink_write (call before the run; lake sinks keep
 * them anyway, the lake is their master copy). */
void pipe_sink_keep_rows(struct pipe *p, bool on);
/* Writes what the sink committed, after the run: DIR/lake/partition=P/part-NNNNN.jsonl
 * (lake, both) and DIR/warehouse.db (warehouse, both; with the window query's result
 * table when there is one: call pipe_window_finish first). `meta` names the run in the
 * warehouse's meta table. The content is a pure function of the run. */
struct pipe_sink_meta {
    const char *scenario, *protocol;
    uint64_t seed;
};
int pipe_sink_write(struct pipe *p, const char *dir, const struct pipe_sink_meta *meta,
                    struct ft_error *err);

/* The lambda views over processing time: at every sample, one point for the total
 * over all keys (key = PIPE_LAMBDA_TOTAL) and, when the source has at most
 * PIPE_LAMBDA_KEYS_MAX keys, one per key. */
#define PIPE_LAMBDA_TOTAL UINT32_MAX
struct pipe_lambda_point {
    uint64_t t_ns;
    uint32_t key;
    bool has_batch;           /* a batch view has been published */
    bool has_event;           /* the served view reflects at least one record */
    uint64_t served;          /* batch view + speed view */
    uint64_t batch;           /* the batch view alone */
    uint64_t batch_ns;        /* the served batch view's snapshot: lake files sealed by then */
    uint64_t newest_event_ns; /* the newest event time the served view reflects */
};
const struct pipe_lambda_point *pipe_lambda_series(const struct pipe *p, size_t *n);
uint64_t pipe_lambda_batches(const struct pipe *p); /* batch views published */
/* The display name of source key `key` ("device-3", a CSV key). Returns buf. */
const char *pipe_key_name(const struct pipe *p, uint32_t key, char *buf, size_t size);

/* ---- the windowed query's results (cfg.query.enabled; stream/window_stage.c) ---- */

struct pipe_window_stats {
    uint64_t applied;       /* records the window engines applied */
    uint64_t filtered;      /* records a filter dropped */
    uint64_t unmatched;     /* records the inner join dropped (key not in the table) */
    uint64_t contributions; /* (record, window) updates applied */
    uint64_t late_dropped;  /* (record, window) contributions dropped: the window was final */
    uint64_t late_records;  /* records with at least one dropped contribution */
    uint64_t rows_emitted;  /* rows the output mode emitted */
    uint64_t triggers;      /* micro-batch triggers, or records (continuous) */
    uint64_t partly_late;   /* records dropped from one window and counted in another */
    uint64_t tasks_idle;    /* tasks with state but no running host (no owner, a host that
                               is down or not yet restored): the end of the run cannot
                               close their windows */
};

/* End of the run: closes every window of the workers that are up (call once, after the
 * simulator stopped). 0 or a negative FT_E* with err filled. */
int pipe_window_finish(struct pipe *p, struct ft_error *err);
/* The result table: one row per (window, key), partial aggregates of several workers
 * combined, sorted by (start, key). The caller frees *rows. 0 or FT_ENOMEM. */
int pipe_window_rows(const struct pipe *p, struct win_row **rows, size_t *n);
void pipe_window_stats(const struct pipe *p, struct pipe_window_stats *out);
/* Nearest-rank percentiles pct[0..k) of the per-record latency samples (arrival at the
 * source -> first emitted row showing it), exact (sim/qset.h); all 0 without samples.
 * 0 or FT_ENOMEM. */
int pipe_window_latency_ranks(struct pipe *p, const uint8_t *pct, size_t k, uint64_t *out);
/* The emission log: every row the output mode emitted and every window closing (a
 * row with final set and output clear: update mode closes without emitting), in order,
 * as the result table showed it right after (the partials of all workers combined;
 * final only once every worker's partial closed). Kept only after
 * pipe_window_keep_log(p, true) before the run; at most PIPE_WINDOW_LOG_MAX rows
 * (*truncated says when more were emitted). */
#define PIPE_WINDOW_LOG_MAX 2000000u
void pipe_window_keep_log(struct pipe *p, bool on);
const struct win_row *pipe_window_log(const struct pipe *p, size_t *n, bool *truncated);
/* The query's watermark over processing time (kept with the log): one point per trigger
 * (micro-batch) or per change (continuous), with the late contributions dropped so far. */
struct pipe_watermark {
    uint64_t t_ns;
    int64_t watermark_ns;
    uint64_t late_dropped;
};
const struct pipe_watermark *pipe_window_watermarks(const struct pipe *p, size_t *n);
/* The display name of a result key ("dog", "device-3", "error", "kitchen"). */
const char *pipe_window_key_name(const struct pipe *p, uint64_t key, char *buf, size_t size);

/* The coverage moments the pipeline's nodes counted in this run (moments.h), added to
 * out[0 .. PIPE_MOMENTS-1]; call after pipe_window_finish. */
void pipe_moments_add(const struct pipe *p, uint64_t out[PIPE_MOMENTS]);
/* ---- the streaming model (cfg.ml; stream/ml_stage.h) ---- */

/* One model update of the driver (or a rollback's restored model), in order: when,
 * which batch (JOB id) and job epoch,
 * the records it consumed, the scores of the records the workers scored in the batches
 * it applied (scored records, Σ score under the model that scored them, Σ score under
 * the frozen model; ml.h says what a score is), and the model after it, flat
 * (ml_pack; pipe_ml_params()[params ..]). */
struct pipe_ml_point {
    uint64_t t_ns, batch, epoch;
    bool restored; /* not an update: the model a checkpoint rollback restored */
    uint64_t applied;
    double scored, score, score_frozen;
    size_t params;
};
#define PIPE_ML_POINTS_MAX 200000u
const struct pipe_ml_point *pipe_ml_series(const struct pipe *p, size_t *n);
const double *pipe_ml_params(const struct pipe *p);
/* The model the driver holds at the end, and the initial one (ml_init). */
void pipe_ml_final(const struct pipe *p, struct ml_model *out);
void pipe_ml_initial(const struct pipe *p, struct ml_model *out);
/* The frozen (offline) model and when it was trained; false without one. */
bool pipe_ml_frozen(const struct pipe *p, struct ml_model *out, uint64_t *trained_ns,
                    uint64_t *rows);
/* Nodes in a pipeline built from c: source, broker, workers, sink, and a model's driver. */
uint32_t pipe_node_count(const struct pipe_config *c);

#endif
