/* The ftsim kernel: a deterministic discrete-event simulator (DESIGN.md §2).
 * Simulated time is integer nanoseconds. Events are ordered by (time, seq); seq is a
 * global counter assigned at scheduling, so ties resolve in scheduling order. Every
 * random choice draws from a per-component RNG stream derived from (seed, name).
 * Every send/deliver/drop/crash/restart/timer goes through one trace hook and into a
 * running XXH3-128 hash over a canonical byte encoding: the run's fingerprint.
 * Nothing here knows of records or protocols. */
#ifndef FTSIM_SIM_H
#define FTSIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "rng.h"

/* ---- limits (checked with a clear error where input can reach them) ---- */
#define SIM_NODES_MAX 1024u
#define SIM_NODE_NAME_MAX 64u         /* bytes, including the terminating NUL */
#define SIM_EVENTS_MAX (1u << 24)     /* pending events at once */
#define SIM_MSG_BYTES_MAX 65536u      /* payload of one message */
#define SIM_NODE_ARENA_MAX (64u << 20) /* volatile bytes one node may hold */
#define SIM_FAULT_RULES_MAX 256u
#define SIM_DROP_RULES_MAX 256u
#define SIM_STEPS_MAX 64u             /* distinct named steps */
#define SIM_TIME_MAX (UINT64_MAX / 4) /* ~146 years; keeps now + delay from overflowing */

#define SIM_NS_PER_US 1000ull
#define SIM_NS_PER_MS 1000000ull
#define SIM_NS_PER_S 1000000000ull

#define SIM_ANY UINT32_MAX /* wildcard node / kind / argument in rules */
#define SIM_NODE_NONE UINT32_MAX

struct sim;

/* A message as its receiver sees it. data is valid only during the handler. */
struct sim_msg {
    uint64_t id;         /* unique per send; a duplicate keeps its original's id */
    uint64_t sent_ns;    /* simulated time of the send */
    uint32_t src, dst;   /* node ids */
    uint32_t kind;       /* caller-defined message kind */
    uint32_t len;        /* payload bytes */
    uint64_t tag;        /* caller's label (e.g. a record id) for drop rules and the trace */
    const uint8_t *data;
};

/* What a node does. Every member may be NULL. ctx is the node's code/config: treat
 * it as read-only; state goes in the volatile arena or the durable block. */
struct sim_node_ops {
    void (*on_start)(struct sim *s, uint32_t node, void *ctx);   /* first boot, at add time */
    void (*on_recover)(struct sim *s, uint32_t node, void *ctx); /* after each restart */
    void (*on_message)(struct sim *s, uint32_t node, const struct sim_msg *m, void *ctx);
    void (*on_timer)(struct sim *s, uint32_t node, uint64_t tag, void *ctx);
};

/* Called every SIM_PROGRESS_EVENTS events with the simulated time and the events run
 * so far (a count, never the wall clock: the run stays deterministic); a non-zero
 * return stops the run with FT_EINTR (e.g. Ctrl-C). */
#define SIM_PROGRESS_EVENTS (1u << 20)
typedef int (*sim_progress_fn)(void *ctx, uint64_t now_ns, uint64_t events);

struct sim_config {
    uint64_t seed;
    uint64_t events_max; /* stop with FT_ELIMIT after this many events; 0 = no limit */
    sim_progress_fn progress; /* optional */
    void *progress_ctx;
};

/* ---- life cycle ---- */
struct sim *sim_new(const struct sim_config *cfg);
void sim_free(struct sim *s);
uint64_t sim_seed(const struct sim *s);
uint64_t sim_now(const struct sim *s);
/* The last error of the kernel (a limit hit inside a handler stops the run with it). */
const struct ft_error *sim_error(const struct sim *s);

/* Runs events with time <= until_ns (SIM_TIME_MAX: until the queue is empty or
 * sim_stop). Returns 0, or a negative FT_E* with sim_error() set. Unless stopped,
 * the clock then reads until_ns (SIM_TIME_MAX: the last event run), even when the
 * queue ran dry earlier. */
int sim_run_until(struct sim *s, uint64_t until_ns);
/* Stops the run with an error (the first cause is kept): for limits and failures
 * met inside handlers. Returns code. */
int sim_fail(struct sim *s, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void sim_stop(struct sim *s);
uint64_t sim_events_run(const struct sim *s);
size_t sim_pending(const struct sim *s);

/* ---- nodes ---- */
/* Adds a node; on_start runs at the current time as an event. volatile_bytes is the
 * size of the zeroed block at the start of the node's volatile arena; durable_bytes
 * the size of its zeroed durable block. Returns the id (>= 0) or a negative FT_E*. */
int sim_node_add(struct sim *s, const char *name, const struct sim_node_ops *ops, void *ctx,
                 size_t volatile_bytes, size_t durable_bytes);
uint32_t sim_node_count(const struct sim *s);
const char *sim_node_name(const struct sim *s, uint32_t node);
int sim_node_find(const struct sim *s, const char *name); /* id or FT_ENOENT */
bool sim_node_up(const struct sim *s, uint32_t node);
uint32_t sim_node_incarnation(const struct sim *s, uint32_t node); /* +1 per restart */
/* Volatile state: lost on crash (the arena is reset in one call and re-zeroed). */
void *sim_node_volatile(struct sim *s, uint32_t node);
/* More volatile memory (zeroed, 16-byte aligned), freed by the next crash. NULL and
 * sim_error() set when SIM_NODE_ARENA_MAX would be exceeded. */
void *sim_valloc(struct sim *s, uint32_t node, size_t bytes);
/* Durable state: survives crashes (write-ahead log, offsets, dedup tables, ...). */
void *sim_node_durable(struct sim *s, uint32_t node);
/* The node's own RNG stream, derived from (seed, "node:" name). Not reset by crashes.
 * The pointer is valid until the next sim_node_add. */
struct rng *sim_node_rng(struct sim *s, uint32_t node);
/* Transport-level dedup, like TCP: the node discards a second copy of a message id
 * it has already received (traced as a drop with reason "dup"). The memory of ids is
 * volatile: a crash forgets it. Off by default. */
int sim_node_set_dedup(struct sim *s, uint32_t node, bool on);

/* ---- timers (belong to a node and die with its incarnation) ---- */
typedef uint64_t sim_timer_t; /* 0 is never a valid handle */
sim_timer_t sim_timer_set(struct sim *s, uint32_t node, uint64_t delay_ns, uint64_t tag);
void sim_timer_cancel(struct sim *s, sim_timer_t t); /* O(1); stale handles are ignored */

/* ---- messages ---- */
/* Sends len bytes from src to dst through the network model. Returns the message id
 * (> 0) — also when the network then loses it — or a negative FT_E* (FT_EDOWN when
 * src is down, e.g. crashed earlier in the same handler). */
int64_t sim_send(struct sim *s, uint32_t src, uint32_t dst, uint32_t kind, const void *data,
                 uint32_t len);
/* The same with a tag: drop rules can match it and the trace records it. */
int64_t sim_send_tagged(struct sim *s, uint32_t src, uint32_t dst, uint32_t kind, uint64_t tag,
                        const void *data, uint32_t len);

/* ---- kernel callbacks (drivers, scheduled faults, experiments) ---- */
typedef void (*sim_call_fn)(struct sim *s, void *arg);
int sim_call_at(struct sim *s, uint64_t at_ns, sim_call_fn fn, void *arg);

/* ---- faults ---- */
void sim_crash(struct sim *s, uint32_t node);   /* now; a no-op when already down */
void sim_restart(struct sim *s, uint32_t node); /* now; a no-op when up */
int sim_crash_at(struct sim *s, uint32_t node, uint64_t at_ns);
int sim_restart_at(struct sim *s, uint32_t node, uint64_t at_ns);

/* Named steps: a handler marks the exact points where a fault may strike,
 * e.g. sim_step(s, me, STEP_AFTER_EMIT, record) between emitting and acking.
 * Step names are interned once: sim_step_id(s, "after-emit"). */
int sim_step_id(struct sim *s, const char *name); /* >= 0, or FT_ELIMIT */
const char *sim_step_name(const struct sim *s, int step);

struct sim_step_ctx {
    uint32_t node;
    int step;
    uint64_t arg;
};
typedef bool (*sim_step_pred)(const struct sim_step_ctx *c, void *pred_arg);

enum sim_fault_action { SIM_FAULT_CRASH = 1 };

/* Crash `node` (or SIM_ANY) at the nth (1-based) occurrence of `step` whose arg equals
 * `arg` (SIM_ANY: any) and for which pred (optional) holds. When restart_after_ns > 0
 * the node restarts that long after. The rule fires once. */
struct sim_fault_rule {
    uint32_t node;
    int step;
    uint64_t arg;
    uint64_t nth;
    enum sim_fault_action action;
    uint64_t restart_after_ns;
    sim_step_pred pred;
    void *pred_arg;
};
int sim_fault_add(struct sim *s, const struct sim_fault_rule *r);

/* Returns true when the node must stop now: a rule crashed it at this step. The
 * handler then returns at once; the kernel discards its volatile state afterwards. */
bool sim_step(struct sim *s, uint32_t node, int step, uint64_t arg);

/* ---- network (net.c) ---- */
struct net_link_cfg {
    uint64_t latency_ns;    /* fixed part */
    uint64_t jitter_ns;     /* plus uniform [0, jitter_ns] */
    double loss_p;          /* each copy lost with this probability */
    double dup_p;           /* a second copy is sent with this probability */
    double reorder_p;       /* the message skips the link's FIFO order ... */
    uint64_t reorder_ns;    /* ... and is held back up to this long */
    uint64_t bandwidth_bps; /* 0 = unlimited; else serialisation delay per link */
};
/* Default for every link; FIFO per link unless a message is reordered. */
int net_set_default(struct sim *s, const struct net_link_cfg *cfg);
int net_set_link(struct sim *s, uint32_t src, uint32_t dst, const struct net_link_cfg *cfg);
/* Drop `count` messages of `kind` on src->dst starting at the nth matching one
 * (1-based). Any of src, dst, kind may be SIM_ANY. */
int net_drop_rule(struct sim *s, uint32_t src, uint32_t dst, uint32_t kind, uint64_t nth,
                  uint64_t count);
/* The same, matching only messages whose tag equals `tag` (SIM_ANY_TAG: any). */
#define SIM_ANY_TAG UINT64_MAX
int net_drop_rule_tagged(struct sim *s, uint32_t src, uint32_t dst, uint32_t kind, uint64_t tag,
                         uint64_t nth, uint64_t count);
/* Partition `id`: group[i] is node i's side; nodes on different sides cannot talk
 * (checked at send and at delivery). n must equal sim_node_count(). Partitions stack:
 * while several are in effect, two nodes talk only if every one of them puts them on
 * the same side; healing `id` ends that partition alone (a heal of an id not in effect
 * does nothing), and partitioning an id in effect replaces its sides. The trace's
 * PARTITION and HEAL records carry the id in `id`. */
int net_partition(struct sim *s, uint32_t id, const uint32_t *group, uint32_t n);
void net_heal(struct sim *s, uint32_t id);
int net_partition_at(struct sim *s, uint64_t at_ns, uint32_t id, const uint32_t *group, uint32_t n);
int net_heal_at(struct sim *s, uint64_t at_ns, uint32_t id);
bool net_can_talk(const struct sim *s, uint32_t a, uint32_t b);

struct net_stats {
    uint64_t sent, delivered, lost, duplicated, reordered, dropped_rule, dropped_partition,
        dropped_down, dropped_dup, bytes;
};
void net_stats(const struct sim *s, struct net_stats *out);

/* ---- trace (trace.c) ---- */
enum sim_trace_type {
    SIM_TR_SEND = 1,
    SIM_TR_DELIVER,
    SIM_TR_DROP,
    SIM_TR_DUP,
    SIM_TR_CRASH,
    SIM_TR_RESTART,
    SIM_TR_TIMER,
    SIM_TR_FAULT,     /* a fault rule fired at a step */
    SIM_TR_PARTITION,
    SIM_TR_HEAL,
    SIM_TR_START,
    SIM_TR_USER       /* protocol-level: commits, decisions (sim_trace_user) */
};
enum sim_drop_reason {
    SIM_DROP_NONE = 0,
    SIM_DROP_LOSS,      /* random loss */
    SIM_DROP_RULE,      /* targeted drop */
    SIM_DROP_PARTITION, /* cut by a partition */
    SIM_DROP_DOWN,      /* receiver down at delivery */
    SIM_DROP_DUP        /* a copy the receiver already had (sim_node_set_dedup) */
};

/* One trace record. For messages: node = src for SEND/DROP/DUP, dst for DELIVER;
 * peer = the other end; id = message id; arg = length. For TIMER: id = tag.
 * For FAULT: kind = step id, arg = step arg. For USER: kind = code, id/arg = values.
 * tag: for messages, the sender's tag (sim_send_tagged), else 0; the hook sees it, the
 * trace hash does not cover it (the canonical encoding is unchanged). */
struct sim_trace_rec {
    uint64_t time_ns;
    uint64_t id;
    uint64_t arg;
    uint32_t node;
    uint32_t peer;
    uint32_t kind;
    uint8_t type;   /* enum sim_trace_type */
    uint8_t reason; /* enum sim_drop_reason */
    uint64_t tag;
};
typedef void (*sim_trace_fn)(const struct sim_trace_rec *r, void *ctx);
void sim_set_trace_hook(struct sim *s, sim_trace_fn fn, void *ctx);
/* Records a protocol-level event into the trace (and hash). */
void sim_trace_user(struct sim *s, uint32_t node, uint32_t code, uint64_t a, uint64_t b);
#define SIM_HASH_BYTES 16u /* XXH3-128 */
#define SIM_HASH_HEX_BYTES (2u * SIM_HASH_BYTES + 1u)
/* The hash of everything traced so far, as 32 hex digits; the run may go on. */
void sim_trace_hash_hex(struct sim *s, char out[SIM_HASH_HEX_BYTES]);
uint64_t sim_trace_count(const struct sim *s);
const char *sim_trace_type_name(int type);
const char *sim_drop_reason_name(int reason);

#endif
