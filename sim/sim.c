/* The event loop, nodes (volatile arena + durable block), timers, crash/restart and
 * fault rules at named steps. Ordering is (time, seq) only; nothing here depends on
 * addresses or wall-clock time. A limit hit inside a handler stops the run with a
 * sticky error that sim_run_until() returns. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

#define SLOT_NONE UINT32_MAX
#define ARENA_CHUNK_MIN 4096u

int sim_fail(struct sim *s, int code, const char *fmt, ...) {
    if (s->fail_code) return code; /* keep the first cause; report this call's own */
    va_list ap;
    va_start(ap, fmt);
    ft_vfail(&s->err, code, fmt, ap);
    va_end(ap);
    s->fail_code = code;
    s->stop = true;
    return code;
}

static uint64_t next_check(const struct sim *s);

struct sim *sim_new(const struct sim_config *cfg) {
    if (sodium_init() < 0) return NULL;
    /* The XXH3 state inside wants 64-byte alignment, more than calloc promises. */
    size_t size = (sizeof(struct sim) + 63u) & ~(size_t)63u;
    struct sim *s = aligned_alloc(64, size);
    if (!s) return NULL;
    memset(s, 0, size);
    s->seed = cfg ? cfg->seed : 0;
    s->events_max = cfg ? cfg->events_max : 0;
    s->progress = cfg ? cfg->progress : NULL;
    s->progress_ctx = cfg ? cfg->progress_ctx : NULL;
    s->next_check = next_check(s);
    s->current = SIM_NODE_NONE;
    s->ev_free = SLOT_NONE;
    if (heap_init(&s->heap, 1024) != 0) goto err;
    if (net_init(&s->net) != 0) goto err;
    trace_init(&s->tr);
    return s;
err:
    sim_free(s);
    return NULL;
}

static void arena_free_all(struct arena_chunk *c) {
    while (c) {
        struct arena_chunk *next = c->next;
        free(c);
        c = next;
    }
}

void sim_free(struct sim *s) {
    if (!s) return;
    for (uint32_t i = 0; i < s->ev_cap; i++) {
        struct event *e = &s->ev[i];
        if (e->type == EV_MSG) free(e->u.msg);
        if (e->type == EV_PARTITION) net_free_cut(e->u.cut);
    }
    free(s->ev);
    heap_free(&s->heap);
    for (uint32_t i = 0; i < SIM_LANES; i++) free(s->lanes[i].a);
    for (uint32_t i = 0; i < s->nnodes; i++) {
        arena_free_all(s->nodes[i].arena);
        free(s->nodes[i].durable);
        u64map_free(&s->nodes[i].seen);
    }
    free(s->nodes);
    for (int c = 0; c < MSG_CLASSES; c++) {
        while (s->msg_free[c]) {
            struct msgbuf *m = s->msg_free[c];
            s->msg_free[c] = m->next_free;
            free(m);
        }
    }
    for (uint32_t i = 0; i < s->nsteps; i++) free(s->steps[i]);
    net_destroy(&s->net);
    free(s);
}

uint64_t sim_seed(const struct sim *s) {
    return s->seed;
}
uint64_t sim_now(const struct sim *s) {
    return s->now;
}
const struct ft_error *sim_error(const struct sim *s) {
    return &s->err;
}
uint64_t sim_events_run(const struct sim *s) {
    return s->events_run;
}
size_t sim_pending(const struct sim *s) {
    return s->pending;
}
void sim_stop(struct sim *s) {
    s->stop = true;
}

/* ---- event slots ---- */

_Static_assert(sizeof(struct event) == 32, "struct event must stay 32 bytes");

/* Grows the pool when the free list is empty (rare: the steady state reuses slots). */
static int slot_grow(struct sim *s) {
    if (s->ev_cap >= SIM_EVENTS_MAX)
        return sim_fail(s, FT_ELIMIT, "more than %u pending events (SIM_EVENTS_MAX)",
                        SIM_EVENTS_MAX);
    uint32_t cap = s->ev_cap ? s->ev_cap * 2 : 1024;
    if (cap > SIM_EVENTS_MAX) cap = SIM_EVENTS_MAX;
    /* 64-byte aligned (the size is a multiple of 64): see struct event. */
    struct event *ev = aligned_alloc(64, (size_t)cap * sizeof *ev);
    if (!ev) return sim_fail(s, FT_ENOMEM, "out of memory growing the event pool");
    if (s->ev_cap) memcpy(ev, s->ev, (size_t)s->ev_cap * sizeof *ev);
    memset(ev + s->ev_cap, 0, (size_t)(cap - s->ev_cap) * sizeof *ev);
    for (uint32_t i = cap; i-- > s->ev_cap;) {
        ev[i].u.next_free = s->ev_free;
        ev[i].gen = 1;
        s->ev_free = i;
    }
    free(s->ev);
    s->ev = ev;
    s->ev_cap = cap;
    return 0;
}

static void slot_release(struct sim *s, uint32_t slot) {
    struct event *e = &s->ev[slot];
    e->type = EV_FREE;
    e->cancelled = 0;
    e->gen++;
    if (e->gen == 0) e->gen = 1;
    e->u.next_free = s->ev_free;
    s->ev_free = slot;
}

/* ---- the event queue: the heap plus the delay lanes (sim_internal.h) ---- */

static int lane_push(struct lane *l, struct heap_entry e) {
    if (l->n == l->cap) {
        uint32_t cap = l->cap ? 2 * l->cap : 256;
        struct heap_entry *a = malloc((size_t)cap * sizeof *a);
        if (!a) return FT_ENOMEM;
        for (uint32_t i = 0; i < l->n; i++) a[i] = l->a[(l->head + i) & (l->cap - 1)];
        free(l->a);
        l->a = a;
        l->head = 0;
        l->cap = cap;
    }
    l->a[(l->head + l->n++) & (l->cap - 1)] = e;
    return 0;
}

/* The lane already holding delay_ns, else an empty one (which takes that delay), else
 * the heap. */
static int queue_push(struct sim *s, uint64_t delay_ns, struct heap_entry e) {
    struct lane *empty = NULL;
    for (uint32_t i = 0; i < SIM_LANES; i++) {
        struct lane *l = &s->lanes[i];
        if (l->n && l->delay_ns == delay_ns) return lane_push(l, e);
        if (!l->n && !empty) empty = l;
    }
    if (empty) {
        empty->delay_ns = delay_ns;
        return lane_push(empty, e);
    }
    return heap_push(&s->heap, e);
}

/* The earliest pending entry by (time, seq): *lane = its lane, or SIM_LANES for the
 * heap. The queue must not be empty. */
static inline const struct heap_entry *queue_top(const struct sim *s, uint32_t *lane) {
    const struct heap_entry *best = s->heap.n ? &s->heap.a[0] : NULL;
    *lane = SIM_LANES;
    for (uint32_t i = 0; i < SIM_LANES; i++) {
        const struct lane *l = &s->lanes[i];
        if (!l->n) continue;
        const struct heap_entry *h = &l->a[l->head];
        if (!best || heap_less(h, best)) {
            best = h;
            *lane = i;
        }
    }
    return best;
}

static inline struct heap_entry queue_pop(struct sim *s, uint32_t lane) {
    s->pending--;
    if (lane == SIM_LANES) return heap_pop(&s->heap);
    struct lane *l = &s->lanes[lane];
    struct heap_entry e = l->a[l->head];
    l->head = (l->head + 1) & (l->cap - 1);
    l->n--;
    return e;
}

int sim_schedule(struct sim *s, uint64_t at_ns, struct event *proto, uint32_t *slot_out) {
    if (at_ns > SIM_TIME_MAX)
        return sim_fail(s, FT_ELIMIT, "event time %llu ns is beyond SIM_TIME_MAX",
                        (unsigned long long)at_ns);
    if (at_ns < s->now) at_ns = s->now;
    if (s->ev_free == SLOT_NONE) {
        int rc = slot_grow(s);
        if (rc) return rc;
    }
    uint32_t slot = s->ev_free;
    struct event *e = &s->ev[slot];
    s->ev_free = e->u.next_free;
    uint32_t gen = e->gen;
    *e = *proto;
    e->gen = gen;
    e->cancelled = 0;
    if (queue_push(s, at_ns - s->now, (struct heap_entry){at_ns, s->seq++, slot}) != 0) {
        slot_release(s, slot);
        return sim_fail(s, FT_ENOMEM, "out of memory growing the event queue");
    }
    s->pending++;
    if (slot_out) *slot_out = slot;
    return 0;
}

/* ---- nodes ---- */

static struct node *node_get(const struct sim *s, uint32_t id) {
    FT_ASSERT(id < s->nnodes);
    return &s->nodes[id];
}

static struct arena_chunk *chunk_new(size_t cap) {
    struct arena_chunk *c = calloc(1, sizeof *c + cap);
    if (c) c->cap = cap;
    return c;
}

static size_t align16(size_t n) {
    return (n + 15u) & ~(size_t)15u;
}

/* Crash semantics in one call: all volatile memory is dropped and re-zeroed. */
static void arena_reset(struct node *n) {
    u64map_clear(&n->seen);
    arena_free_all(n->arena->next);
    n->arena->next = NULL;
    memset(n->arena->data, 0, n->arena->used);
    n->arena->used = align16(n->volatile_bytes);
    n->arena_total = n->arena->cap;
}

int sim_node_add(struct sim *s, const char *name, const struct sim_node_ops *ops, void *ctx,
                 size_t volatile_bytes, size_t durable_bytes) {
    if (!name || !*name || strlen(name) >= SIM_NODE_NAME_MAX)
        return sim_fail(s, FT_EINVAL, "node name must have 1 to %u bytes",
                        SIM_NODE_NAME_MAX - 1);
    if (sim_node_find(s, name) >= 0)
        return sim_fail(s, FT_EINVAL, "node name '%s' is used twice", name);
    if (s->nnodes >= SIM_NODES_MAX)
        return sim_fail(s, FT_ELIMIT, "more than %u nodes (SIM_NODES_MAX)", SIM_NODES_MAX);
    if (volatile_bytes > SIM_NODE_ARENA_MAX || durable_bytes > SIM_NODE_ARENA_MAX)
        return sim_fail(s, FT_ELIMIT, "node '%s' state exceeds %u bytes", name,
                        SIM_NODE_ARENA_MAX);
    if (s->nnodes == s->nodes_cap) {
        uint32_t cap = s->nodes_cap ? s->nodes_cap * 2 : 16;
        struct node *nodes = realloc(s->nodes, cap * sizeof *nodes);
        if (!nodes) return sim_fail(s, FT_ENOMEM, "out of memory adding node '%s'", name);
        s->nodes = nodes;
        s->nodes_cap = cap;
    }
    struct node *n = &s->nodes[s->nnodes];
    memset(n, 0, sizeof *n);
    snprintf(n->name, sizeof n->name, "%s", name);
    if (ops) n->ops = *ops;
    n->ctx = ctx;
    n->up = true;
    n->volatile_bytes = volatile_bytes;
    size_t first = align16(volatile_bytes);
    n->arena = chunk_new(first > ARENA_CHUNK_MIN ? first : ARENA_CHUNK_MIN);
    n->durable = calloc(1, durable_bytes ? durable_bytes : 1);
    if (!n->arena || !n->durable) {
        free(n->arena);
        free(n->durable);
        return sim_fail(s, FT_ENOMEM, "out of memory adding node '%s'", name);
    }
    n->arena->used = first;
    n->arena_total = n->arena->cap;
    char rname[SIM_NODE_NAME_MAX + 8];
    snprintf(rname, sizeof rname, "node:%s", name);
    rng_init(&n->rng, s->seed, rname);
    uint32_t id = s->nnodes++;
    struct event e = {.type = EV_START, .node = id};
    int rc = sim_schedule(s, s->now, &e, NULL);
    if (rc) {
        s->nnodes--;
        arena_free_all(n->arena);
        free(n->durable);
        return rc;
    }
    return (int)id;
}

uint32_t sim_node_count(const struct sim *s) {
    return s->nnodes;
}
const char *sim_node_name(const struct sim *s, uint32_t node) {
    return node < s->nnodes ? s->nodes[node].name : "?";
}
int sim_node_find(const struct sim *s, const char *name) {
    for (uint32_t i = 0; i < s->nnodes; i++)
        if (strcmp(s->nodes[i].name, name) == 0) return (int)i;
    return FT_ENOENT;
}
bool sim_node_up(const struct sim *s, uint32_t node) {
    return node < s->nnodes && s->nodes[node].up;
}
uint32_t sim_node_incarnation(const struct sim *s, uint32_t node) {
    return node_get(s, node)->incarnation;
}
void *sim_node_volatile(struct sim *s, uint32_t node) {
    return node_get(s, node)->arena->data;
}
void *sim_node_durable(struct sim *s, uint32_t node) {
    return node_get(s, node)->durable;
}
struct rng *sim_node_rng(struct sim *s, uint32_t node) {
    return &node_get(s, node)->rng;
}

int sim_node_set_dedup(struct sim *s, uint32_t node, bool on) {
    if (node >= s->nnodes) return sim_fail(s, FT_EINVAL, "no node with id %u", node);
    s->nodes[node].dedup = on;
    return 0;
}

void *sim_valloc(struct sim *s, uint32_t node, size_t bytes) {
    struct node *n = node_get(s, node);
    size_t need = align16(bytes ? bytes : 1);
    for (struct arena_chunk *c = n->arena; c; c = c->next)
        if (c->cap - c->used >= need) {
            void *p = c->data + c->used;
            c->used += need;
            return p;
        }
    size_t cap = need > ARENA_CHUNK_MIN * 16 ? need : ARENA_CHUNK_MIN * 16;
    if (n->arena_total + cap > SIM_NODE_ARENA_MAX) {
        sim_fail(s, FT_ELIMIT, "node '%s' volatile state exceeds %u bytes (SIM_NODE_ARENA_MAX)",
                 n->name, SIM_NODE_ARENA_MAX);
        return NULL;
    }
    struct arena_chunk *c = chunk_new(cap);
    if (!c) {
        sim_fail(s, FT_ENOMEM, "out of memory for node '%s' volatile state", n->name);
        return NULL;
    }
    c->next = n->arena->next;
    n->arena->next = c;
    n->arena_total += cap;
    c->used = need;
    return c->data;
}

/* ---- timers ---- */

sim_timer_t sim_timer_set(struct sim *s, uint32_t node, uint64_t delay_ns, uint64_t tag) {
    struct node *n = node_get(s, node);
    if (!n->up) return 0;
    if (delay_ns > SIM_TIME_MAX - s->now) {
        sim_fail(s, FT_ELIMIT, "timer delay %llu ns on '%s' passes SIM_TIME_MAX",
                 (unsigned long long)delay_ns, n->name);
        return 0;
    }
    struct event e = {.type = EV_TIMER, .node = node, .incarnation = n->incarnation};
    e.u.tag = tag;
    uint32_t slot;
    if (sim_schedule(s, s->now + delay_ns, &e, &slot) != 0) return 0;
    return ((uint64_t)s->ev[slot].gen << 32) | ((uint64_t)slot + 1);
}

void sim_timer_cancel(struct sim *s, sim_timer_t t) {
    if (t == 0) return;
    uint64_t slot = (t & 0xffffffffu) - 1;
    uint32_t gen = (uint32_t)(t >> 32);
    if (slot >= s->ev_cap) return;
    struct event *e = &s->ev[slot];
    if (e->gen == gen && e->type == EV_TIMER) e->cancelled = 1;
}

/* ---- messages ---- */

struct msgbuf *msg_alloc(struct sim *s, uint32_t len) {
    uint32_t cls = 0;
    while ((64u << cls) < len) cls++;
    FT_ASSERT(cls < MSG_CLASSES);
    struct msgbuf *m = s->msg_free[cls];
    if (m) {
        s->msg_free[cls] = m->next_free;
    } else {
        m = malloc(sizeof *m + (64u << cls));
        if (!m) {
            sim_fail(s, FT_ENOMEM, "out of memory for a message");
            return NULL;
        }
    }
    m->cls = cls;
    m->len = len;
    m->twin = 0;
    return m;
}

void msg_release(struct sim *s, struct msgbuf *m) {
    m->next_free = s->msg_free[m->cls];
    s->msg_free[m->cls] = m;
}

int sim_call_at(struct sim *s, uint64_t at_ns, sim_call_fn fn, void *arg) {
    if (!fn) return FT_EINVAL;
    struct event e = {.type = EV_CALL, .node = SIM_NODE_NONE};
    e.u.call.fn = fn;
    e.u.call.arg = arg;
    return sim_schedule(s, at_ns, &e, NULL);
}

/* ---- crash and restart ---- */

void sim_crash(struct sim *s, uint32_t node) {
    struct node *n = node_get(s, node);
    if (!n->up) return;
    n->up = false;
    trace_emit(s, SIM_TR_CRASH, 0, node, SIM_NODE_NONE, 0, n->incarnation, 0, NULL, 0);
    if (s->current == node)
        n->crash_pending = true; /* its handler still runs on this memory */
    else
        arena_reset(n);
}

void sim_restart(struct sim *s, uint32_t node) {
    struct node *n = node_get(s, node);
    if (n->up) return;
    n->up = true;
    n->incarnation++;
    trace_emit(s, SIM_TR_RESTART, 0, node, SIM_NODE_NONE, 0, n->incarnation, 0, NULL, 0);
    void (*fn)(struct sim *, uint32_t, void *) = n->ops.on_recover ? n->ops.on_recover
                                                                   : n->ops.on_start;
    if (!fn) return;
    uint32_t prev = s->current;
    s->current = node;
    fn(s, node, n->ctx);
    s->current = prev;
    n = node_get(s, node); /* the handler may have added nodes and moved the table */
    if (n->crash_pending) {
        n->crash_pending = false;
        arena_reset(n);
    }
}

static int schedule_node_event(struct sim *s, uint8_t type, uint32_t node, uint64_t at_ns) {
    if (node >= s->nnodes) return sim_fail(s, FT_EINVAL, "no node with id %u", node);
    struct event e = {.type = type, .node = node};
    return sim_schedule(s, at_ns, &e, NULL);
}

int sim_crash_at(struct sim *s, uint32_t node, uint64_t at_ns) {
    return schedule_node_event(s, EV_CRASH, node, at_ns);
}
int sim_restart_at(struct sim *s, uint32_t node, uint64_t at_ns) {
    return schedule_node_event(s, EV_RESTART, node, at_ns);
}

/* ---- named steps and fault rules ---- */

int sim_step_id(struct sim *s, const char *name) {
    for (uint32_t i = 0; i < s->nsteps; i++)
        if (strcmp(s->steps[i], name) == 0) return (int)i;
    if (s->nsteps >= SIM_STEPS_MAX)
        return sim_fail(s, FT_ELIMIT, "more than %u named steps", SIM_STEPS_MAX);
    size_t len = strlen(name) + 1;
    char *copy = malloc(len);
    if (!copy) return sim_fail(s, FT_ENOMEM, "out of memory");
    memcpy(copy, name, len);
    s->steps[s->nsteps] = copy;
    return (int)s->nsteps++;
}

const char *sim_step_name(const struct sim *s, int step) {
    return step >= 0 && (uint32_t)step < s->nsteps ? s->steps[step] : "?";
}

int sim_fault_add(struct sim *s, const struct sim_fault_rule *r) {
    if (s->nfaults >= SIM_FAULT_RULES_MAX)
        return sim_fail(s, FT_ELIMIT, "more than %u fault rules", SIM_FAULT_RULES_MAX);
    if (r->step < 0 || (uint32_t)r->step >= s->nsteps || r->nth == 0 ||
        r->action != SIM_FAULT_CRASH || (r->node != SIM_ANY && r->node >= s->nnodes))
        return sim_fail(s, FT_EINVAL, "invalid fault rule");
    s->faults[s->nfaults++] = (struct fault_rule){.r = *r};
    s->faults_armed++;
    return 0;
}

static bool rule_matches(const struct fault_rule *f, const struct sim_step_ctx *c) {
    const struct sim_fault_rule *r = &f->r;
    if (f->fired || r->step != c->step) return false;
    if (r->node != SIM_ANY && r->node != c->node) return false;
    if (r->arg != SIM_ANY && r->arg != c->arg) return false;
    return !r->pred || r->pred(c, r->pred_arg);
}

bool sim_step(struct sim *s, uint32_t node, int step, uint64_t arg) {
    if (s->faults_armed == 0) return false;
    struct sim_step_ctx c = {node, step, arg};
    for (uint32_t i = 0; i < s->nfaults; i++) {
        struct fault_rule *f = &s->faults[i];
        if (!rule_matches(f, &c) || ++f->seen < f->r.nth) continue;
        f->fired = true;
        s->faults_armed--;
        trace_emit(s, SIM_TR_FAULT, 0, node, SIM_NODE_NONE, (uint32_t)step, i, arg, NULL, 0);
        sim_crash(s, node);
        if (f->r.restart_after_ns) sim_restart_at(s, node, s->now + f->r.restart_after_ns);
        return true;
    }
    return false;
}

/* ---- the loop ---- */

/* Takes the id, not a pointer: the handler may have added nodes and moved the table. */
static void run_handler_end(struct sim *s, uint32_t node) {
    struct node *n = &s->nodes[node];
    s->current = SIM_NODE_NONE;
    if (n->crash_pending) {
        n->crash_pending = false;
        arena_reset(n);
    }
}

static void dispatch(struct sim *s, const struct event *e) {
    struct node *n = e->node == SIM_NODE_NONE ? NULL : &s->nodes[e->node];
    switch (e->type) {
    case EV_START:
        trace_emit(s, SIM_TR_START, 0, e->node, SIM_NODE_NONE, 0, 0, 0, NULL, 0);
        if (!n->up || !n->ops.on_start) return;
        s->current = e->node;
        n->ops.on_start(s, e->node, n->ctx);
        run_handler_end(s, e->node);
        return;
    case EV_TIMER:
        if (!n->up || n->incarnation != e->incarnation) return; /* died with a crash */
        trace_emit(s, SIM_TR_TIMER, 0, e->node, SIM_NODE_NONE, 0, e->u.tag, 0, NULL, 0);
        if (!n->ops.on_timer) return;
        s->current = e->node;
        n->ops.on_timer(s, e->node, e->u.tag, n->ctx);
        run_handler_end(s, e->node);
        return;
    case EV_MSG: net_deliver(s, e->u.msg); return;
    case EV_CALL: e->u.call.fn(s, e->u.call.arg); return;
    case EV_CRASH: sim_crash(s, e->node); return;
    case EV_RESTART: sim_restart(s, e->node); return;
    case EV_PARTITION: net_apply_partition(s, e->u.cut); return;
    case EV_HEAL: net_heal(s, e->u.cut_id); return;
    default: FT_ASSERT(0 && "bad event type");
    }
}

/* Called by net_deliver once the message is admitted. */
void sim_deliver_to(struct sim *s, struct msgbuf *m);
void sim_deliver_to(struct sim *s, struct msgbuf *m) {
    struct node *n = &s->nodes[m->dst];
    if (!n->ops.on_message) return;
    struct sim_msg msg = {m->id, m->sent_ns, m->src, m->dst, m->kind, m->len, m->tag, m->data};
    s->current = m->dst;
    n->ops.on_message(s, m->dst, &msg, n->ctx);
    run_handler_end(s, m->dst);
}

/* The next events_run at which run_check has something to do (UINT64_MAX: never). */
static uint64_t next_check(const struct sim *s) {
    uint64_t n = UINT64_MAX;
    if (s->progress) n = (s->events_run / SIM_PROGRESS_EVENTS + 1) * SIM_PROGRESS_EVENTS;
    if (s->events_max && s->events_max < n) n = s->events_max;
    return n;
}

/* The event budget and the progress callback, off the hot path. */
static void run_check(struct sim *s) {
    if (s->events_max && s->events_run >= s->events_max && !s->stop)
        sim_fail(s, FT_ELIMIT, "run stopped after %llu events (events_max)",
                 (unsigned long long)s->events_max);
    if (!s->stop && s->progress && s->events_run % SIM_PROGRESS_EVENTS == 0 &&
        s->progress(s->progress_ctx, s->now, s->events_run) != 0)
        sim_fail(s, FT_EINTR, "interrupted after %llu events at simulated time %.6f s",
                 (unsigned long long)s->events_run, (double)s->now / 1e9);
    s->next_check = next_check(s);
}

int sim_run_until(struct sim *s, uint64_t until_ns) {
    s->stop = s->fail_code != 0;
    while (!s->stop && s->pending) {
        uint32_t lane;
        const struct heap_entry *top = queue_top(s, &lane);
        if (top->time > until_ns) break;
        /* The event's slot is a likely cache miss: fetch it while the pop sifts down. */
        __builtin_prefetch(&s->ev[top->slot]);
        struct heap_entry he = queue_pop(s, lane);
        struct event e = s->ev[he.slot];
        slot_release(s, (uint32_t)he.slot); /* the handler may reuse the slot */
        if (e.cancelled) continue;
        s->now = he.time;
        s->events_run++;
        dispatch(s, &e);
        if (s->events_run >= s->next_check) run_check(s);
    }
    if (s->fail_code) return s->fail_code;
    if (!s->stop && until_ns != SIM_TIME_MAX && s->now < until_ns) s->now = until_ns;
    return 0;
}
