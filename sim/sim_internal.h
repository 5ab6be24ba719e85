/* Kernel internals shared by sim.c, net.c and trace.c; not for other modules.
 * Invariants: every pending event owns exactly one slot of s->ev; a slot's gen changes
 * whenever it is freed, so a stale timer handle never matches; message buffers come
 * from per-size-class free lists, so the steady state allocates nothing. */
#ifndef FTSIM_SIM_INTERNAL_H
#define FTSIM_SIM_INTERNAL_H

#include <sodium.h>
#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t by value, inside struct sim */
#include <xxhash.h>

#include "heap.h"
#include "sim.h"
#include "u64map.h"

enum ev_type {
    EV_FREE = 0,
    EV_START,
    EV_TIMER,
    EV_MSG,
    EV_CALL,
    EV_CRASH,
    EV_RESTART,
    EV_PARTITION,
    EV_HEAL
};

struct msgbuf {
    struct msgbuf *next_free;
    uint64_t id, sent_ns, tag;
    uint32_t src, dst, kind, len;
    uint32_t cls; /* size class: capacity = 64 << cls */
    uint8_t twin; /* the network duplicated it: another copy with this id may arrive */
    uint8_t data[];
};
#define MSG_CLASSES 11 /* 64 B .. 64 KiB */

/* 32 bytes, and the pool is 64-byte aligned: an event never straddles two cache lines
 * (the loop's one likely miss per event). */
struct event {
    uint8_t type;
    uint8_t cancelled;
    uint32_t node;
    uint32_t incarnation;
    uint32_t gen;
    union {
        uint64_t tag;
        struct msgbuf *msg;
        struct {
            sim_call_fn fn;
            void *arg;
        } call;
        struct net_cut *cut; /* EV_PARTITION: owned until applied */
        uint32_t cut_id;     /* EV_HEAL: the partition it ends */
        uint32_t next_free; /* EV_FREE: the next free slot */
    } u;
};

struct arena_chunk {
    struct arena_chunk *next;
    size_t cap, used;
    _Alignas(16) unsigned char data[];
};

struct node {
    char name[SIM_NODE_NAME_MAX];
    struct sim_node_ops ops;
    void *ctx;
    bool up;
    bool crash_pending; /* crashed inside its own handler: reset after it returns */
    uint32_t incarnation;
    size_t volatile_bytes;
    size_t arena_total;
    struct arena_chunk *arena; /* first chunk holds the volatile block */
    void *durable;
    struct rng rng;
    bool dedup;
    /* dedup: ids of duplicated messages (twin) one copy of which arrived (volatile); a
     * message the network never duplicated cannot arrive twice, so it needs no entry,
     * and an entry goes when the second copy comes */
    struct u64map seen;
};

struct drop_rule {
    uint32_t src, dst, kind;
    uint64_t tag, nth, count, seen;
};

struct fault_rule {
    struct sim_fault_rule r;
    uint64_t seen;
    bool fired;
};

struct link {
    struct rng rng;
    uint64_t fifo_ns; /* latest delivery time scheduled in FIFO order */
    uint64_t busy_ns; /* serialisation: the link is busy until then */
    bool override;
    struct net_link_cfg cfg;
};

/* One partition in effect: side[i] is node i's side (every node id that can exist:
 * nodes it does not name are on side 0). */
struct net_cut {
    uint32_t id;
    uint32_t side[SIM_NODES_MAX];
};

struct net {
    struct net_link_cfg def;
    struct link *links;
    uint32_t nlinks, links_cap;
    uint64_t *tab_keys; /* open addressing: (src << 32 | dst) + 1; 0 = empty */
    uint32_t *tab_vals;
    uint32_t tab_cap;
    struct drop_rule drops[SIM_DROP_RULES_MAX];
    uint32_t ndrops;
    struct net_cut **cuts; /* the partitions in effect; they stack */
    uint32_t ncuts, cuts_cap;
    struct net_stats st;
    uint64_t msg_ids;
};

#define TRACE_BUF_BYTES 8192
struct trace {
    XXH3_state_t st; /* 64-byte aligned: struct sim is allocated so */
    size_t n;
    uint64_t count;
    sim_trace_fn hook;
    void *hook_ctx;
    unsigned char buf[TRACE_BUF_BYTES];
};

/* A delay lane: a FIFO of the pending events scheduled with one delay. Since the clock
 * never goes back, now + delay never decreases, so a lane is already in (time, seq)
 * order and costs O(1) per event; the loop takes the least of the heap's top and the
 * lanes' heads, which is the order the heap alone would give. A fixed-latency network
 * sends nearly all its messages down one lane. */
#define SIM_LANES 4u
struct lane {
    uint64_t delay_ns; /* the delay this lane holds while it is not empty */
    struct heap_entry *a;
    uint32_t head, n, cap; /* ring buffer; cap is 0 or a power of two */
};

struct sim {
    uint64_t seed, now, seq, events_run, events_max;
    uint64_t next_check; /* events_run at which run_check looks at the limit and progress */
    sim_progress_fn progress;
    void *progress_ctx;
    struct heap heap;   /* events whose delay has no lane */
    struct lane lanes[SIM_LANES];
    size_t pending;     /* in the heap and the lanes */
    struct event *ev;
    uint32_t ev_cap, ev_free; /* free-list head; UINT32_MAX = empty */
    struct node *nodes;
    uint32_t nnodes, nodes_cap;
    uint32_t current; /* node whose handler runs, or SIM_NODE_NONE */
    bool stop;
    int fail_code;
    struct ft_error err;
    struct msgbuf *msg_free[MSG_CLASSES];
    char *steps[SIM_STEPS_MAX];
    uint32_t nsteps;
    struct fault_rule faults[SIM_FAULT_RULES_MAX];
    uint32_t nfaults, faults_armed;
    struct net net;
    struct trace tr;
};

/* sim.c */
int sim_schedule(struct sim *s, uint64_t at_ns, struct event *proto, uint32_t *slot_out);
struct msgbuf *msg_alloc(struct sim *s, uint32_t len);
void msg_release(struct sim *s, struct msgbuf *m);

/* net.c */
int net_init(struct net *n);
void net_destroy(struct net *n);
void net_deliver(struct sim *s, struct msgbuf *m);
void net_apply_partition(struct sim *s, struct net_cut *cut); /* takes ownership */
void net_free_cut(struct net_cut *cut);

/* trace.c */
void trace_init(struct trace *t);
/* tag reaches the hook only (sim_trace_rec.tag); it is not part of the hashed encoding. */
void trace_emit_tagged(struct sim *s, uint8_t type, uint8_t reason, uint32_t node, uint32_t peer,
                       uint32_t kind, uint64_t id, uint64_t arg, uint64_t tag, const void *extra,
                       size_t extra_len);
static inline void trace_emit(struct sim *s, uint8_t type, uint8_t reason, uint32_t node,
                              uint32_t peer, uint32_t kind, uint64_t id, uint64_t arg,
                              const void *extra, size_t extra_len) {
    trace_emit_tagged(s, type, reason, node, peer, kind, id, arg, 0, extra, extra_len);
}

#endif
