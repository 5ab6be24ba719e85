/* Byzantine agreement on the simulation kernel (DESIGN.md §4): Lamport, Shostak and
 * Pease's OM(m) (oral messages) and SM(m) (signed messages, real Ed25519), and
 * Dolev–Strong authenticated broadcast, with named traitor strategies. Node 0 is the
 * commander, 1..n-1 the lieutenants. Rounds are synchronous: each round is a timer, a
 * message not arrived by the round's end is absent. A run's outcome (IC1, IC2, costs,
 * decisions) is read from the kernel's trace and network counters, not from the
 * protocol's own bookkeeping. Same config + seed => same trace hash and decisions. */
#ifndef FTSIM_BYZANTINE_H
#define FTSIM_BYZANTINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "sim.h"

/* ---- limits (checked by byz_config_check with a clear message) ---- */
#define BYZ_NODES_MAX 32u           /* generals: commander + lieutenants */
#define BYZ_M_MAX 10u               /* rounds = m + 1 */
#define BYZ_DECISIONS_MAX 10000u    /* decisions agreed one after another in a run */
#define BYZ_MESSAGES_MAX 4000000ull /* OM(m)'s closed-form message count per decision */
#define BYZ_EXHAUSTIVE_N_MAX 10u    /* exhaustive mode refuses larger n */
#define BYZ_EXHAUSTIVE_RUNS_MAX 200000ull /* runs x decisions in one exhaustive sweep */
/* Total work of one exhaustive sweep: runs x decisions x messages per decision (OM's
 * closed form; 2 n^2 bounds SM's and Dolev-Strong's relays of at most two values).
 * About 7 million messages a second here, so the limit is about 15 s of work. */
#define BYZ_EXHAUSTIVE_MESSAGES_MAX 100000000ull
#define BYZ_ROUND_NS_DEFAULT (10 * SIM_NS_PER_MS)
#define BYZ_LATENCY_NS_DEFAULT (1 * SIM_NS_PER_MS)

enum byz_alg { BYZ_OM = 0, BYZ_SM, BYZ_DS, BYZ_ALG_COUNT };

enum byz_value { BYZ_RETREAT = 0, BYZ_ATTACK = 1 };
#define BYZ_NO_DECISION 0xffu

/* The commander's order: fixed, or drawn per decision from the stream "byz-orders". */
enum byz_order { BYZ_ORDER_RETREAT = 0, BYZ_ORDER_ATTACK = 1, BYZ_ORDER_RANDOM = 2 };

/* What a traitor does (docs/scenario-format.md has the table per algorithm). */
enum byz_strategy {
    BYZ_LOYAL = 0,
    BYZ_SILENT,        /* sends nothing */
    BYZ_CONFLICTING,   /* ATTACK to odd ids, RETREAT to even ids */
    BYZ_RANDOM,        /* coin flips from the node's own stream */
    BYZ_ALWAYS_ATTACK, /* ATTACK whatever it was told */
    BYZ_TAMPER_RELAY,  /* flips relayed values (signed: keeps the old signatures) */
    BYZ_FORGE,         /* claims another node said or signed something */
    BYZ_STRATEGY_COUNT
};

struct byz_config {
    enum byz_alg alg;
    uint32_t n; /* generals, 3 .. BYZ_NODES_MAX */
    uint32_t m; /* OM/SM: the m of OM(m)/SM(m); Dolev–Strong: f. 0 .. BYZ_M_MAX, <= n - 2 */
    uint8_t strategy[BYZ_NODES_MAX]; /* per node: BYZ_LOYAL or a traitor strategy */
    enum byz_order order;
    uint32_t decisions;  /* >= 1: agreements run one after another */
    bool sink;           /* replicated stage: each lieutenant sends every decision to a sink */
    uint64_t round_ns;   /* length of a synchronous round */
    uint64_t latency_ns; /* every message's delay: > 0 and < round_ns */
};

/* alg OM, n 4, m 1, nobody a traitor, order attack, one decision, no sink, 10ms rounds,
 * 1ms latency. */
void byz_config_defaults(struct byz_config *c);
/* Checks ranges and limits; FT_EINVAL or FT_ELIMIT with a message naming the field. */
int byz_config_check(const struct byz_config *c, struct ft_error *err);
uint64_t byz_traitor_mask(const struct byz_config *c);
uint32_t byz_rounds(const struct byz_config *c); /* per decision: m + 1 */

struct byz_outcome {
    enum byz_alg alg;
    uint32_t n, m;
    uint64_t traitors;               /* bit i: node i is a traitor */
    uint8_t strategy[BYZ_NODES_MAX]; /* as configured */
    uint8_t order;                   /* the commander's order for the first decision */
    bool ic1, ic2;                   /* held in every decision of the run */
    uint32_t rounds;                 /* per decision */
    uint32_t decisions;
    uint32_t divergent; /* decisions in which IC1 or IC2 failed (with a sink: as it saw them) */
    uint64_t messages, bytes; /* agreement messages sent and their payload bytes */
    uint64_t outputs;         /* replicated stage: outputs the sink received */
    uint64_t signatures_made, signatures_verified, signatures_rejected, signature_cache_hits;
    uint64_t discarded; /* messages dropped unchecked: wrong round, malformed, or (OM) naming a
                           relay other than their sender */
    uint8_t decision[BYZ_NODES_MAX]; /* first decision per node; BYZ_NO_DECISION for the
                                        commander and traitors */
    uint64_t events, end_ns;
    char trace_hash[SIM_HASH_HEX_BYTES];
};

struct byz_options {
    sim_trace_fn trace; /* optional: sees every trace event */
    void *trace_ctx;
};

/* Runs one configuration under seed. Returns 0, or a negative FT_E* with err filled. */
int byz_run(const struct byz_config *c, uint64_t seed, const struct byz_options *opt,
            struct byz_outcome *out, struct ft_error *err);

/* Makes `count` nodes (the commander among the candidates) traitors with strategy st
 * and the others loyal, drawn from the stream "byz-traitors" of seed by a partial
 * Fisher–Yates shuffle of 0..n-1. FT_EINVAL when count > n. */
int byz_draw_traitors(struct byz_config *c, uint64_t seed, uint32_t count, enum byz_strategy st,
                      struct ft_error *err);

/* ---- exhaustive mode: every placement of 0..m traitors (the commander included),
 * every strategy (all traitors of a run share it), both orders ---- */
struct byz_enum {
    struct byz_config base;
    uint32_t k;               /* traitors in the current placement */
    uint32_t pick[BYZ_M_MAX]; /* their ids, ascending */
    uint32_t strategy, order; /* indices of the next run */
    bool done;
};
/* OM(m)'s messages per decision with n generals: sum over k = 1..m+1 of
 * (n-1)(n-2)...(n-k), saturating at UINT64_MAX. */
uint64_t byz_om_messages(uint32_t n, uint32_t m);
/* Starts the enumeration; FT_ELIMIT when base.n > BYZ_EXHAUSTIVE_N_MAX or runs x
 * decisions would exceed BYZ_EXHAUSTIVE_RUNS_MAX. *runs gets the number of runs. */
int byz_enum_start(struct byz_enum *it, const struct byz_config *base, uint64_t *runs,
                   struct ft_error *err);
/* The next configuration; false when every one has been produced. */
bool byz_enum_next(struct byz_enum *it, struct byz_config *out);

/* ---- names ---- */
const char *byz_alg_name(enum byz_alg a); /* "om", "sm", "dolev-strong" */
int byz_alg_parse(const char *name);      /* enum value or -1 */
const char *byz_alg_about(enum byz_alg a);
const char *byz_strategy_name(enum byz_strategy s); /* "loyal", "silent", ... */
int byz_strategy_parse(const char *name);           /* a traitor strategy (not loyal) or -1 */
const char *byz_strategy_about(enum byz_strategy s);
const char *byz_value_name(uint8_t v);        /* "attack", "retreat", "-" */
const char *byz_order_name(enum byz_order o); /* "attack", "retreat", "random" */
/* The traitors' strategy: one name when they share it, else "mixed"; "none" without. */
const char *byz_strategy_summary(const uint8_t strategy[BYZ_NODES_MAX], uint32_t n);

/* The traitors as comma-separated ids ("0,2"; "" when none), as the results store's
 * agreement.traitors column holds them. */
#define BYZ_TRAITORS_CSV_MAX (3 * BYZ_NODES_MAX + 1)
const char *byz_traitors_csv(const struct byz_outcome *o, char *buf, size_t size);
/* The loyal lieutenants' first decisions as a JSON array,
 * [{"node":1,"decision":"attack"},...], as agreement.decisions holds them. */
#define BYZ_DECISIONS_JSON_MAX (40 * BYZ_NODES_MAX + 3)
const char *byz_decisions_json(const struct byz_outcome *o, char *buf, size_t size);

/* Node i's name: commander / lieutenant-i, or gateway / replica-i / sink with a sink. */
const char *byz_node_name(const struct byz_config *c, uint32_t i, char *buf, size_t size);

/* Message kinds on the wire and codes of the user trace records. */
enum { BYZ_MSG_OM = 1, BYZ_MSG_CHAIN, BYZ_MSG_OUTPUT, BYZ_MSG_KINDS };
enum { BYZ_TR_DECIDE = 1, BYZ_TR_REJECT, BYZ_TR_DISCARD };
const char *byz_msg_name(uint32_t kind);

/* What a message says, as its tag (sim_send_tagged: the trace hook sees it, the trace
 * hash does not): the value (BYZ_TAG_NO_VALUE when the payload has none) and the path
 * (OM: "j1 says the commander said") or chain of signers (SM, Dolev-Strong) it names,
 * read from the bytes on the wire, so a traitor's lie shows as it was sent. For
 * message-sequence diagrams; nothing in the agreement reads it. */
#define BYZ_TAG_NO_VALUE 3u
struct byz_tag_info {
    uint8_t value; /* BYZ_RETREAT, BYZ_ATTACK or BYZ_TAG_NO_VALUE */
    uint32_t len;  /* ids in the path or chain */
    uint8_t ids[BYZ_M_MAX + 1];
};
uint64_t byz_tag(uint32_t kind, const uint8_t *data, uint32_t len);
void byz_tag_decode(uint64_t tag, struct byz_tag_info *out);

#endif
