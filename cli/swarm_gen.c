/* The swarm's scenario generator (swarm.h). Run j draws from the stream
 * "swarm:j:draft" under the swarm seed S; its simulation seed from "swarm-seed:j". Fault
 * times fall while the source sends records or soon after ([A, E) with E = the last
 * arrival + drain/3), and every crash restarts and every partition heals by E, so two
 * thirds of the drain are left to converge. Partitions follow one another (they do not
 * overlap); network impairments are the base's `network:` values replaced. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "scn_doc.h"
#include "scn_internal.h"
#include "source.h"
#include "swarm.h"

const char *swarm_kind_name(enum swarm_kind k) {
    static const char *const names[SW_KINDS] = {
        "crash-step", "crash-worker", "crash-broker", "crash-sink", "crash-source", "drop",
        "loss",       "duplicate",    "reorder",      "jitter",     "partition",    "evict"};
    return k < SW_KINDS ? names[k] : "?";
}

struct draft {
    struct rng r;
    const struct swarm_base *b;
    const struct pipe_config *c;
    struct scn_doc *d;
    struct swarm_run *run;
    uint64_t est;     /* records the source sends (estimate) */
    uint64_t A, B, E; /* faults start in [A, E), mostly in [A, B) (records flow), end by E */
    bool rebalance;
    int rc;
};

static bool has_protocol(const struct swarm_base *b, enum dlv_protocol p) {
    for (uint32_t i = 0; i < b->nprotocols; i++)
        if (b->protocols[i] == p) return true;
    return false;
}

/* A duration in whole milliseconds (whole microseconds below 1 ms). */
static const char *dur(uint64_t ns, char *buf, size_t size) {
    ns = ns >= SIM_NS_PER_MS ? ns / SIM_NS_PER_MS * SIM_NS_PER_MS
                             : ns / SIM_NS_PER_US * SIM_NS_PER_US;
    return scn_duration_str(ns, buf, size);
}

/* Log-uniform in [1, max]: small values as often as large decades. */
static uint64_t log_uniform(struct rng *r, uint64_t max) {
    if (max <= 1) return 1;
    uint64_t bits = 64 - (uint64_t)__builtin_clzll(max);
    uint64_t hi = (uint64_t)1 << rng_range(r, 1, bits);
    uint64_t v = rng_range(r, hi / 2, hi - 1);
    return v < 1 ? 1 : v > max ? max : v;
}

static void add_fault(struct draft *dr, enum swarm_kind k, const char *yaml) {
    if (!dr->rc) dr->rc = scn_doc_append(dr->d, "faults", yaml);
    dr->run->nfaults[k]++;
}

static void worker_name(struct draft *dr, char *buf, size_t size) {
    snprintf(buf, size, "worker-%llu", (unsigned long long)rng_range(&dr->r, 1, dr->c->workers));
}

/* A start time: four times in five while the source sends ([A, B)), else in [B, E - 2ms]
 * while the last records drain. */
static uint64_t start_time(struct draft *dr, uint64_t from) {
    uint64_t last = dr->E > from + 2 * SIM_NS_PER_MS ? dr->E - 2 * SIM_NS_PER_MS : from;
    if (from < dr->B && rng_bernoulli(&dr->r, 0.8)) return rng_range(&dr->r, from, dr->B - 1);
    return rng_range(&dr->r, from > dr->B ? from : dr->B, last);
}

/* A start time and a length that ends by E (at least 1 ms, at most max). */
static void span(struct draft *dr, uint64_t max, uint64_t *at, uint64_t *len) {
    *at = start_time(dr, dr->A);
    uint64_t room = dr->E - *at;
    *len = rng_range(&dr->r, SIM_NS_PER_MS, room < max ? room : max);
}

static void crash_at(struct draft *dr, enum swarm_kind k, const char *node) {
    uint64_t at, len;
    char a[32], b[32], y[160];
    span(dr, 3 * SIM_NS_PER_S, &at, &len);
    snprintf(y, sizeof y, "{ crash: %s, at: %s, restart_after: %s }", node, dur(at, a, sizeof a),
             dur(len, b, sizeof b));
    add_fault(dr, k, y);
}

static void crash_step(struct draft *dr) {
    const char *steps[5] = {PIPE_STEP_AFTER_RECEIVE, PIPE_STEP_AFTER_EMIT};
    uint32_t n = 2;
    if (has_protocol(dr->b, DLV_EXACTLY_ONCE_TXN)) steps[n++] = PIPE_STEP_BEFORE_COMMIT;
    if (has_protocol(dr->b, DLV_EXACTLY_ONCE_CKPT)) {
        steps[n++] = PIPE_STEP_DURING_CHECKPOINT;
        steps[n++] = PIPE_STEP_BEFORE_SNAPSHOT_ACK;
    }
    const char *step = steps[rng_below(&dr->r, n)];
    bool ckpt =
        !strcmp(step, PIPE_STEP_DURING_CHECKPOINT) || !strcmp(step, PIPE_STEP_BEFORE_SNAPSHOT_ACK);
    uint64_t span_ns = dr->E - dr->A, per_worker = dr->est / dr->c->workers + 1;
    uint64_t most = ckpt ? span_ns / dr->c->delivery.checkpoint_ns + 1 : per_worker;
    uint64_t drain = dr->c->drain_ns / 4,
             restart = rng_range(&dr->r, SIM_NS_PER_MS,
                                 drain < 2 * SIM_NS_PER_S ? drain : 2 * SIM_NS_PER_S);
    char w[32], m[48], r[32], y[200];
    worker_name(dr, w, sizeof w);
    if (!ckpt && rng_bernoulli(&dr->r, 0.3))
        snprintf(m, sizeof m, "record: %llu", (unsigned long long)rng_below(&dr->r, dr->est + 1));
    else
        snprintf(m, sizeof m, "nth: %llu", (unsigned long long)log_uniform(&dr->r, most));
    snprintf(y, sizeof y, "{ crash: %s, step: %s, %s, restart_after: %s }", w, step, m,
             dur(restart, r, sizeof r));
    add_fault(dr, SW_CRASH_STEP, y);
}

/* The message kinds worth dropping under the base's protocols and group. */
static uint32_t drop_kinds(const struct draft *dr, int *kinds) {
    uint32_t n = 0;
    for (int k = PIPE_MSG_PRODUCE; k <= PIPE_MSG_OUTPUT_ACK; k++)
        kinds[n++] = k;
    if (has_protocol(dr->b, DLV_EXACTLY_ONCE_TXN))
        for (int k = PIPE_MSG_COMMIT; k <= PIPE_MSG_INIT_ACK; k++)
            kinds[n++] = k;
    if (dr->rebalance) kinds[n++] = PIPE_MSG_HEARTBEAT, kinds[n++] = PIPE_MSG_ASSIGN;
    if (has_protocol(dr->b, DLV_EXACTLY_ONCE_CKPT))
        for (int k = PIPE_MSG_BARRIER; k <= PIPE_MSG_RESTORE_ACK; k++)
            kinds[n++] = k;
    return n;
}

static void drop(struct draft *dr) {
    int kinds[PIPE_MSG_KINDS];
    int k = kinds[rng_below(&dr->r, drop_kinds(dr, kinds))];
    const char *name = pipe_msg_name(k);
    char where[48] = "", match[48], y[220];
    bool worker_from = k == PIPE_MSG_ACK || k == PIPE_MSG_OUTPUT || k == PIPE_MSG_COMMIT ||
                       k == PIPE_MSG_INIT || k == PIPE_MSG_HEARTBEAT ||
                       k == PIPE_MSG_SNAPSHOT_ACK || k == PIPE_MSG_JOIN;
    bool worker_to = k == PIPE_MSG_RECORD || k == PIPE_MSG_OUTPUT_ACK || k == PIPE_MSG_COMMIT_ACK ||
                     k == PIPE_MSG_INIT_ACK || k == PIPE_MSG_ASSIGN || k == PIPE_MSG_BARRIER;
    if ((worker_from || worker_to) && rng_bernoulli(&dr->r, 0.5)) {
        char w[32];
        worker_name(dr, w, sizeof w);
        snprintf(where, sizeof where, ", %s: %s", worker_from ? "from" : "to", w);
    }
    uint64_t most = pipe_msg_has_record(k) ? dr->est : 20;
    if (k == PIPE_MSG_HEARTBEAT) most = (dr->E - dr->A) / dr->c->group.heartbeat_ns + 1;
    if (k == PIPE_MSG_BARRIER) most = (dr->E - dr->A) / dr->c->delivery.checkpoint_ns + 1;
    if (pipe_msg_has_record(k) && rng_bernoulli(&dr->r, 0.2))
        snprintf(match, sizeof match, "record: %llu",
                 (unsigned long long)rng_below(&dr->r, dr->est + 1));
    else
        snprintf(match, sizeof match, "nth: %llu", (unsigned long long)log_uniform(&dr->r, most));
    uint64_t count =
        rng_bernoulli(&dr->r, 0.8) ? rng_range(&dr->r, 1, 5) : rng_range(&dr->r, 6, 50);
    snprintf(y, sizeof y, "{ drop: %s%s, %s, count: %llu }", name, where, match,
             (unsigned long long)count);
    add_fault(dr, SW_DROP, y);
}

/* Partitions one after another in [A, E): each splits the nodes into 2 or 3 sides. */
static void partitions(struct draft *dr, uint32_t n) {
    uint64_t from = dr->A;
    for (uint32_t i = 0; i < n && from + 2 * SIM_NS_PER_MS < dr->E; i++) {
        uint32_t nodes = dr->c->workers + 3, sides = rng_bernoulli(&dr->r, 0.8) ? 2 : 3;
        uint32_t side[PIPE_WORKERS_MAX + 3], used = 0;
        for (uint32_t k = 0; k < nodes; k++) {
            side[k] = (uint32_t)rng_below(&dr->r, sides);
            used |= 1u << side[k];
        }
        if (__builtin_popcount(used) == 1) side[rng_below(&dr->r, nodes)] = (side[0] + 1) % sides;
        char y[2048] = "{ partition: [", a[32], b[32], nb[PIPE_NAME_MAX];
        for (uint32_t s = 0; s < sides; s++) {
            size_t len = strlen(y);
            uint32_t any = 0;
            for (uint32_t k = 0; k < nodes; k++)
                if (side[k] == s)
                    len += (size_t)snprintf(y + len, sizeof y - len, "%s%s", any++ ? ", " : "[",
                                            pipe_node_name(dr->c, k, nb, sizeof nb));
            if (any) snprintf(y + len, sizeof y - len, "]%s", s + 1 < sides ? ", " : "");
        }
        uint64_t at = start_time(dr, from), room = dr->E - at;
        uint64_t heal = at + rng_range(&dr->r, SIM_NS_PER_MS,
                                       room < 5 * SIM_NS_PER_S ? room : 5 * SIM_NS_PER_S);
        size_t len = strlen(y);
        if (y[len - 2] == ',') len -= 2; /* an empty last side */
        snprintf(y + len, sizeof y - len, "], at: %s, heal: %s }", dur(at, a, sizeof a),
                 dur(heal, b, sizeof b));
        add_fault(dr, SW_PARTITION, y);
        from = heal + SIM_NS_PER_MS;
    }
}

/* Heartbeats of one worker lost for longer than a session: it is evicted, rejoins. */
static void evict(struct draft *dr) {
    uint64_t hb = dr->c->group.heartbeat_ns, session = dr->c->group.session_timeout_ns;
    char w[32], y[200];
    worker_name(dr, w, sizeof w);
    uint64_t first = dr->A / hb + 1, last = dr->E / hb;
    uint64_t count = session / hb + rng_range(&dr->r, 1, 8);
    uint64_t nth = rng_range(&dr->r, first, last > first + count ? last - count : first);
    snprintf(y, sizeof y, "{ drop: heartbeat, from: %s, nth: %llu, count: %llu }", w,
             (unsigned long long)nth, (unsigned long long)count);
    add_fault(dr, SW_EVICT, y);
}

static void set(struct draft *dr, const char *path, const char *value) {
    if (!dr->rc) dr->rc = scn_doc_set(dr->d, path, value);
}

static void network(struct draft *dr, enum swarm_kind k) {
    char v[32], d[32];
    switch (k) {
    case SW_LOSS:
        snprintf(v, sizeof v, "%.3f", 0.005 + 0.095 * rng_uniform(&dr->r));
        set(dr, "network.loss", v);
        break;
    case SW_DUPLICATE:
        snprintf(v, sizeof v, "%.3f", 0.01 + 0.19 * rng_uniform(&dr->r));
        set(dr, "network.duplicate", v);
        break;
    case SW_REORDER:
        snprintf(v, sizeof v, "%.3f", 0.01 + 0.29 * rng_uniform(&dr->r));
        set(dr, "network.reorder", v);
        set(dr, "network.reorder_delay",
            dur(rng_range(&dr->r, 1, 30) * SIM_NS_PER_MS, d, sizeof d));
        break;
    default: /* SW_JITTER */
        set(dr, "network.jitter", dur(rng_range(&dr->r, 1, 20) * SIM_NS_PER_MS, d, sizeof d));
        break;
    }
    dr->run->nfaults[k]++;
}

/* Switches the group on (evictions need it) when the base has it off. */
static void group_on(struct draft *dr, struct pipe_config *c) {
    if (c->group.rebalance) return;
    char h[32], s[32];
    uint64_t hb = rng_range(&dr->r, 20, 200) * SIM_NS_PER_MS;
    uint64_t session = hb * rng_range(&dr->r, 3, 10);
    set(dr, "group.rebalance", "true");
    set(dr, "group.heartbeat", dur(hb, h, sizeof h));
    set(dr, "group.session_timeout", dur(session, s, sizeof s));
    c->group = (struct pipe_group){true, hb, session};
}

static void faults(struct draft *dr, struct pipe_config *c) {
    struct swarm_run *run = dr->run;
    for (int k = 0; k < SW_KINDS; k++)
        if ((dr->b->kinds >> k & 1) && rng_bernoulli(&dr->r, 0.5)) run->kinds |= 1u << k;
    if (!run->kinds) { /* at least one kind: the k-th allowed one */
        uint64_t pick = rng_below(&dr->r, (uint64_t)__builtin_popcount(dr->b->kinds));
        for (int k = 0; k < SW_KINDS; k++)
            if ((dr->b->kinds >> k & 1) && pick-- == 0) run->kinds |= 1u << k;
    }
    if (run->kinds & 1u << SW_EVICT) group_on(dr, c);
    dr->rebalance = c->group.rebalance;
    for (int k = 0; k < SW_KINDS && !dr->rc; k++) {
        if (!(run->kinds >> k & 1)) continue;
        uint32_t n = (uint32_t)rng_range(&dr->r, 1, 3);
        for (uint32_t i = 0; i < n; i++) {
            char w[32];
            switch ((enum swarm_kind)k) {
            case SW_CRASH_STEP:
                crash_step(dr);
                break;
            case SW_CRASH_WORKER:
                worker_name(dr, w, sizeof w), crash_at(dr, SW_CRASH_WORKER, w);
                break;
            case SW_CRASH_BROKER:
                crash_at(dr, SW_CRASH_BROKER, "broker");
                break;
            case SW_CRASH_SINK:
                crash_at(dr, SW_CRASH_SINK, "sink");
                break;
            case SW_CRASH_SOURCE:
                crash_at(dr, SW_CRASH_SOURCE, "source");
                break;
            case SW_DROP:
                drop(dr);
                break;
            case SW_EVICT:
                evict(dr);
                break;
            default:
                break;
            }
        }
        if (k == SW_PARTITION) partitions(dr, n);
        if (k >= SW_LOSS && k <= SW_JITTER) network(dr, (enum swarm_kind)k);
    }
}

/* The draft's frame: name, about, seed, protocols, the CSV path; no faults, no expect. */
static void frame(struct draft *dr, uint64_t j) {
    const struct swarm_base *b = dr->b;
    struct swarm_run *run = dr->run;
    char v[SCN_ABOUT_MAX], s[32];
    snprintf(run->name, sizeof run->name, "%.40s-swarm%llu-%llu", b->scn->name,
             (unsigned long long)(b->seed % 100000), (unsigned long long)j);
    scn_doc_remove(dr->d, "faults");
    scn_doc_remove(dr->d, "expect");
    scn_doc_remove(dr->d, "seeds");
    set(dr, "name", run->name);
    snprintf(v, sizeof v,
             "\"Swarm run %llu of %s (swarm seed %llu): a random subset of fault "
             "kinds, every fault healed by %s.\"",
             (unsigned long long)j, b->scn->name, (unsigned long long)b->seed,
             dur(dr->E, s, sizeof s));
    set(dr, "about", v);
    snprintf(s, sizeof s, "%llu", (unsigned long long)run->seed);
    set(dr, "seed", s);
    char list[256] = "[";
    for (uint32_t i = 0; i < b->nprotocols; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                 dlv_name(b->protocols[i]));
    strcat(list, "]");
    set(dr, "protocols", list);
    if (b->csv_rel[0]) set(dr, "source.file", b->csv_rel);
}

/* One draft of run j: 0 and the text in run, FT_EPARSE when the loader refuses it. */
static int draft(const struct swarm_base *b, uint64_t j, uint32_t attempt, struct swarm_run *run,
                 struct scenario *check) {
    char name[64], path[FT_ERROR_FILE_MAX];
    struct draft dr = {.b = b, .run = run};
    struct pipe_config c = b->scn->pipe;
    dr.c = &c;
    snprintf(name, sizeof name, "swarm:%llu:%u", (unsigned long long)j, attempt);
    rng_init(&dr.r, b->seed, name);
    dr.est = pipe_estimated_records(&c);
    dr.A = b->active_from_ns;
    dr.B = b->active_to_ns > dr.A ? b->active_to_ns : dr.A + 1;
    dr.E = b->active_to_ns + c.drain_ns / 3;
    run->kinds = 0;
    memset(run->nfaults, 0, sizeof run->nfaults);
    struct ft_error err = {0};
    if (scn_doc_parse(b->file, b->text, b->len, &dr.d, &err)) return FT_ENOMEM;
    frame(&dr, j);
    faults(&dr, &c);
    free(run->text);
    run->text = NULL;
    if (!dr.rc) dr.rc = scn_doc_emit(dr.d, &run->text, &run->len);
    scn_doc_free(dr.d);
    if (dr.rc) return dr.rc == FT_ENOMEM ? FT_ENOMEM : FT_EPARSE;
    swarm_run_path(b, run->name, path, sizeof path);
    if (scn_parse(path, run->text, run->len, check, &err)) return FT_EPARSE;
    memcpy(run->hash, check->hash, sizeof run->hash);
    return 0;
}

int swarm_generate(const struct swarm_base *b, uint64_t j, struct swarm_run *out) {
    memset(out, 0, sizeof *out);
    out->index = j;
    struct rng r;
    char name[48];
    snprintf(name, sizeof name, "swarm-seed:%llu", (unsigned long long)j);
    rng_init(&r, b->seed, name);
    out->seed = rng_range(&r, 1, 999999999);
    struct scenario *check = malloc(sizeof *check);
    if (!check) return FT_ENOMEM;
    int rc = FT_EPARSE;
    for (uint32_t a = 0; a < SWARM_DRAFTS_MAX && rc == FT_EPARSE; a++) {
        rc = draft(b, j, a, out, check);
        if (rc == FT_EPARSE) out->refused++;
    }
    free(check);
    out->ok = rc == 0;
    return rc == FT_ENOMEM ? rc : 0;
}

void swarm_run_free(struct swarm_run *r) {
    free(r->text);
    r->text = NULL;
}

void swarm_run_path(const struct swarm_base *b, const char *name, char *buf, size_t size) {
    snprintf(buf, size, "%s/%s.yaml", b->out_dir, name);
}
