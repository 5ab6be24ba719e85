/* Scenario loader, upper half: the schema of a scenario file (docs/scenario-format.md).
 * The whole file is read into a tree first; sections are then decoded in dependency
 * order (nodes before the faults that name them, network before links, protocols
 * before expect), so cross-references never depend on key order. Every error is
 * FT_EPARSE with file:line:col, what was expected and what was found. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "fileio.h"
#include "scn_internal.h"
#include "scn_verdict.h"

/* ---- names ---- */

int scn_get_node(struct scn_ctx *c, const struct scn_node *n, const char *key, bool any,
                 char out[PIPE_NAME_MAX]) {
    char t[SCN_QUOTE_BUF], w[48] = "worker-1";
    if (n->type != SCN_Y_SCALAR)
        return scn_expected(c, n, key, "a node name (source, broker, worker-N or sink)");
    if (any && !*n->text) {
        out[0] = '\0';
        return 0;
    }
    if (!pipe_node_name_valid(&c->out->pipe, n->text)) {
        if (c->out->pipe.workers > 1)
            snprintf(w, sizeof w, "worker-1 to worker-%u", c->out->pipe.workers);
        return scn_fail(c, n,
                        "unknown node '%s' for '%s' (this scenario's nodes: source, "
                        "broker, %s, sink%s)",
                        scn_text(n->text, t, sizeof t), key, w,
                        c->out->pipe.ml.spec.kind != ML_NONE ? ", driver" : "");
    }
    snprintf(out, PIPE_NAME_MAX, "%s", n->text);
    return 0;
}

static int get_name(struct scn_ctx *c, const struct scn_node *n) {
    size_t len = n->type == SCN_Y_SCALAR ? strlen(n->text) : 0;
    if (!len || len >= SCN_NAME_MAX ||
        strspn(n->text, "abcdefghijklmnopqrstuvwxyz0123456789_-") != len)
        return scn_expected(c, n, "name",
                            "a name of 1 to 63 characters a-z, 0-9, '_' or '-' (like lost-ack)");
    memcpy(c->out->name, n->text, len + 1);
    return 0;
}

static int get_about(struct scn_ctx *c, const struct scn_node *n) {
    if (n->type != SCN_Y_SCALAR || scn_is_null(n) || !n->text[strspn(n->text, " \t\r\n")])
        return scn_expected(c, n, "about", "a sentence describing the scenario");
    size_t len = strlen(n->text);
    while (len && strchr(" \t\r\n", n->text[len - 1]))
        len--;
    if (len >= SCN_ABOUT_MAX)
        return scn_fail(c, n, "'about' must be at most %u bytes, found %zu", SCN_ABOUT_MAX - 1,
                        len);
    memcpy(c->out->about, n->text, len);
    c->out->about[len] = '\0';
    return 0;
}

/* ---- the top level and its simple sections ---- */

enum {
    T_NAME,
    T_ABOUT,
    T_SEED,
    T_SEEDS,
    T_DURATION,
    T_DRAIN,
    T_NODES,
    T_SOURCE,
    T_NETWORK,
    T_LINKS,
    T_DELIVERY,
    T_SINK,
    T_PROTOCOLS,
    T_FAULTS,
    T_EXPECT,
    T_PIPELINE,
    T_DRIVER,
    T_GROUP,
    T_LAMBDA,
    T_MODEL,
    T_N
};
static const char *const top_keys[T_N] = {
    "name",    "about", "seed",     "seeds", "duration",  "drain",  "nodes",    "source", "network",
    "links",   "delivery", "sink",  "protocols", "faults", "expect", "pipeline", "driver", "group", "lambda", "model"};

typedef const struct scn_node *const *values;

static int sec_ids(struct scn_ctx *c, values v) {
    int rc = get_name(c, v[T_NAME]);
    return rc ? rc : get_about(c, v[T_ABOUT]);
}

static int get_seeds(struct scn_ctx *c, const struct scn_node *n) {
    const char *expect = "a seed range like 1..100 or a single seed";
    if (n->type != SCN_Y_SCALAR || n->len > SCN_NUMBER_LEN_MAX)
        return scn_expected(c, n, "seeds", expect);
    const char *t = n->text, *dots = strstr(t, "..");
    uint64_t a = 0, b = 0;
    int ra = scn_parse_u64(t, dots ? (size_t)(dots - t) : strlen(t), &a);
    int rb = dots ? scn_parse_u64(dots + 2, strlen(dots + 2), &b) : ra;
    if (ra == -1 || rb == -1) return scn_expected(c, n, "seeds", expect);
    if (ra == -2 || rb == -2)
        return scn_fail(c, n, "'seeds' must be integers between 0 and %llu, found %s",
                        (unsigned long long)UINT64_MAX, t);
    b = dots ? b : a;
    if (a > b) return scn_fail(c, n, "'seeds' range %s is reversed: expected A..B with A <= B", t);
    if (b - a >= SCN_SEEDS_MAX)
        return scn_fail(c, n, "'seeds' %s has more than the limit of %u seeds", t, SCN_SEEDS_MAX);
    c->out->seed_first = a;
    c->out->seed_last = b;
    return 0;
}

static int sec_seeds(struct scn_ctx *c, values v) {
    int rc = v[T_SEED] ? scn_get_u64(c, v[T_SEED], "seed", 0, UINT64_MAX, &c->out->seed) : 0;
    c->out->seed_first = c->out->seed_last = c->out->seed;
    return rc || !v[T_SEEDS] ? rc : get_seeds(c, v[T_SEEDS]);
}

static int sec_time(struct scn_ctx *c, values v) {
    struct pipe_config *p = &c->out->pipe;
    int rc = scn_get_duration(c, v[T_DURATION], "duration", true, &p->duration_ns);
    if (rc || !v[T_DRAIN]) return rc;
    return scn_get_duration(c, v[T_DRAIN], "drain", false, &p->drain_ns);
}

enum { N_BROKER, N_WORKERS, N_PARTITIONS, N_SINK, N_N };
static const char *const nodes_keys[N_N] = {"broker", "workers", "partitions", "sink"};
static const struct scn_mapspec nodes_spec = {"for 'nodes'", "in 'nodes'", "key",
                                              nodes_keys,    N_N,          0};

static int get_one(struct scn_ctx *c, const struct scn_node *n, const char *key) {
    uint64_t one;
    int rc = n ? scn_get_u64(c, n, key, 0, UINT64_MAX, &one) : 0;
    if (!rc && n && one != 1)
        return scn_fail(c, n, "'%s' must be 1 (ftsim models one %s), found %s", key, key, n->text);
    return rc;
}

static int sec_nodes(struct scn_ctx *c, values top) {
    struct pipe_config *p = &c->out->pipe;
    const struct scn_node *v[N_N];
    int rc = top[T_NODES] ? scn_map_collect(c, top[T_NODES], &nodes_spec, v) : 0;
    if (rc || !top[T_NODES]) return rc;
    if ((rc = get_one(c, v[N_BROKER], "broker")) || (rc = get_one(c, v[N_SINK], "sink"))) return rc;
    if (v[N_WORKERS] &&
        (rc = scn_get_u32(c, v[N_WORKERS], "workers", 1, PIPE_WORKERS_MAX, &p->workers)))
        return rc;
    p->partitions = p->workers;
    if (!v[N_PARTITIONS]) return 0;
    return scn_get_u32(c, v[N_PARTITIONS], "partitions", 1, PIPE_PARTITIONS_MAX, &p->partitions);
}

static int sec_source(struct scn_ctx *c, values top) {
    return top[T_SOURCE] ? scn_stream_source(c, top[T_SOURCE]) : 0;
}

static int sec_stream(struct scn_ctx *c, values top) {
    int rc = scn_stream_query(c, top[T_PIPELINE], top[T_DRIVER]);
    return rc ? rc : scn_ml_model(c, top[T_MODEL]);
}

/* ---- network and links ---- */

enum {
    L_LATENCY,
    L_JITTER,
    L_LOSS,
    L_DUPLICATE,
    L_REORDER,
    L_REORDER_DELAY,
    L_BANDWIDTH,
    L_NET_N,
    L_FROM = L_NET_N,
    L_TO,
    L_N
};
static const char *const link_keys[L_N] = {"latency",   "jitter",  "loss",
                                           "duplicate", "reorder", "reorder_delay",
                                           "bandwidth", "from",    "to"};
static const struct scn_mapspec network_spec = {"for 'network'", "in 'network'", "key",
                                                link_keys,       L_NET_N,        0};
static const struct scn_mapspec link_spec = {
    "for each link in 'links'",     "in a link", "key", link_keys, L_N,
    SCN_BIT(L_FROM) | SCN_BIT(L_TO)};

static int net_values(struct scn_ctx *c, const struct scn_node *const *v,
                      struct net_link_cfg *cfg) {
    int rc = 0;
    if (!rc && v[L_LATENCY]) rc = scn_get_duration(c, v[L_LATENCY], "latency", 0, &cfg->latency_ns);
    if (!rc && v[L_JITTER]) rc = scn_get_duration(c, v[L_JITTER], "jitter", 0, &cfg->jitter_ns);
    if (!rc && v[L_LOSS]) rc = scn_get_number(c, v[L_LOSS], "loss", 0, 1, 0, &cfg->loss_p);
    if (!rc && v[L_DUPLICATE])
        rc = scn_get_number(c, v[L_DUPLICATE], "duplicate", 0, 1, 0, &cfg->dup_p);
    if (!rc && v[L_REORDER])
        rc = scn_get_number(c, v[L_REORDER], "reorder", 0, 1, 0, &cfg->reorder_p);
    if (!rc && v[L_REORDER_DELAY])
        rc = scn_get_duration(c, v[L_REORDER_DELAY], "reorder_delay", 0, &cfg->reorder_ns);
    if (!rc && v[L_BANDWIDTH])
        rc = scn_get_u64(c, v[L_BANDWIDTH], "bandwidth", 0, UINT64_MAX, &cfg->bandwidth_bps);
    return rc;
}

static int sec_network(struct scn_ctx *c, values top) {
    const struct scn_node *v[L_N];
    int rc = top[T_NETWORK] ? scn_map_collect(c, top[T_NETWORK], &network_spec, v) : 0;
    return rc || !top[T_NETWORK] ? rc : net_values(c, v, &c->out->pipe.network);
}

static int get_link(struct scn_ctx *c, const struct scn_node *m, struct pipe_link *l) {
    const struct scn_node *v[L_N];
    int rc = scn_map_collect(c, m, &link_spec, v);
    if (rc || (rc = scn_get_node(c, v[L_FROM], "from", false, l->from)) ||
        (rc = scn_get_node(c, v[L_TO], "to", false, l->to)))
        return rc;
    if (!strcmp(l->from, l->to))
        return scn_fail(c, v[L_TO], "a link needs two different nodes, found '%s' twice", l->to);
    l->cfg = c->out->pipe.network;
    l->line = m->line;
    l->col = m->col;
    return net_values(c, v, &l->cfg);
}

static int sec_links(struct scn_ctx *c, values top) {
    const struct scn_node *n = top[T_LINKS];
    struct pipe_config *p = &c->out->pipe;
    if (!n) return 0;
    if (n->type != SCN_Y_SEQ) return scn_expected(c, n, "links", "a list of links");
    if (n->n > PIPE_LINKS_MAX)
        return scn_fail(c, n, "expected at most %u links, found %u", PIPE_LINKS_MAX, n->n);
    for (uint32_t i = 0; i < n->n; i++) {
        struct pipe_link *l = &p->links[i];
        int rc = get_link(c, n->kids[i], l);
        if (rc) return rc;
        for (uint32_t j = 0; j < i; j++)
            if (!strcmp(p->links[j].from, l->from) && !strcmp(p->links[j].to, l->to))
                return scn_fail(c, n->kids[i], "the link %s -> %s is already defined at line %d",
                                l->from, l->to, p->links[j].line);
        p->nlinks = i + 1;
    }
    return 0;
}

/* ---- delivery, sink, protocols ---- */

enum {
    D_ACK_TIMEOUT,
    D_MAX_TIMEOUT,
    D_BACKOFF,
    D_WINDOW,
    D_BATCH,
    D_LINGER,
    D_CHECKPOINT,
    D_CHECKPOINT_TIMEOUT,
    D_COMMIT_INTERVAL,
    D_N
};
static const char *const delivery_keys[D_N] = {"ack_timeout", "max_timeout", "backoff",
                                               "window",      "batch",       "linger",
                                               "checkpoint",  "checkpoint_timeout",
                                               "commit_interval"};
static const struct scn_mapspec delivery_spec = {
    "for 'delivery'", "in 'delivery'", "key", delivery_keys, D_N, 0};

/* exactly-once-checkpoint: the interval, and a timeout of at most the interval (it
 * defaults to the interval: one checkpoint in flight at a time). */
static int delivery_checkpoint(struct scn_ctx *c, const struct scn_node *const *v,
                               struct pipe_delivery *d) {
    char a[32], b[32];
    int rc = 0;
    if (v[D_CHECKPOINT])
        rc = scn_get_duration(c, v[D_CHECKPOINT], "checkpoint", true, &d->checkpoint_ns);
    d->checkpoint_timeout_ns = d->checkpoint_ns;
    if (!rc && v[D_CHECKPOINT_TIMEOUT])
        rc = scn_get_duration(c, v[D_CHECKPOINT_TIMEOUT], "checkpoint_timeout", true,
                              &d->checkpoint_timeout_ns);
    if (!rc && d->checkpoint_timeout_ns > d->checkpoint_ns)
        return scn_fail(c, v[D_CHECKPOINT_TIMEOUT],
                        "'checkpoint_timeout' (%s) must not exceed 'checkpoint' (%s): one "
                        "checkpoint is in flight at a time",
                        scn_duration_str(d->checkpoint_timeout_ns, a, sizeof a),
                        scn_duration_str(d->checkpoint_ns, b, sizeof b));
    return rc;
}

static int sec_delivery(struct scn_ctx *c, values top) {
    struct pipe_delivery *d = &c->out->pipe.delivery;
    const struct scn_node *v[D_N];
    char a[32], b[32];
    int rc = top[T_DELIVERY] ? scn_map_collect(c, top[T_DELIVERY], &delivery_spec, v) : 0;
    if (rc || !top[T_DELIVERY]) return rc;
    if (!rc && v[D_ACK_TIMEOUT])
        rc = scn_get_duration(c, v[D_ACK_TIMEOUT], "ack_timeout", true, &d->ack_timeout_ns);
    if (!rc && v[D_MAX_TIMEOUT])
        rc = scn_get_duration(c, v[D_MAX_TIMEOUT], "max_timeout", true, &d->max_timeout_ns);
    if (!rc && v[D_BACKOFF]) rc = scn_get_u32(c, v[D_BACKOFF], "backoff", 1, 16, &d->backoff);
    if (!rc && v[D_WINDOW])
        rc = scn_get_u32(c, v[D_WINDOW], "window", 1, PIPE_WINDOW_MAX, &d->window);
    if (!rc && v[D_BATCH]) rc = scn_get_u32(c, v[D_BATCH], "batch", 1, PIPE_BATCH_MAX, &d->batch);
    if (!rc && v[D_LINGER]) rc = scn_get_duration(c, v[D_LINGER], "linger", false, &d->linger_ns);
    if (!rc) rc = delivery_checkpoint(c, v, d);
    if (!rc && v[D_COMMIT_INTERVAL])
        rc = scn_get_duration(c, v[D_COMMIT_INTERVAL], "commit_interval", false,
                              &d->commit_interval_ns);
    if (!rc && d->max_timeout_ns < d->ack_timeout_ns)
        return scn_fail(c, v[D_MAX_TIMEOUT] ? v[D_MAX_TIMEOUT] : v[D_ACK_TIMEOUT],
                        "'max_timeout' (%s) must be at least 'ack_timeout' (%s)",
                        scn_duration_str(d->max_timeout_ns, a, sizeof a),
                        scn_duration_str(d->ack_timeout_ns, b, sizeof b));
    return rc;
}

/* ---- group (consumer-group membership and rebalancing) ---- */

enum { G_REBALANCE, G_HEARTBEAT, G_SESSION_TIMEOUT, G_N };
static const char *const group_keys[G_N] = {"rebalance", "heartbeat", "session_timeout"};
static const struct scn_mapspec group_spec = {"for 'group'", "in 'group'", "key",
                                              group_keys,    G_N,          0};

static int group_limits(struct scn_ctx *c, const struct scn_node *const *v) {
    const struct pipe_config *p = &c->out->pipe;
    const struct pipe_group *g = &p->group;
    char a[32], b[32];
    if (g->session_timeout_ns <= g->heartbeat_ns)
        return scn_fail(c, v[G_SESSION_TIMEOUT] ? v[G_SESSION_TIMEOUT] : v[G_HEARTBEAT],
                        "'session_timeout' (%s) must be longer than 'heartbeat' (%s)",
                        scn_duration_str(g->session_timeout_ns, a, sizeof a),
                        scn_duration_str(g->heartbeat_ns, b, sizeof b));
    uint64_t n = pipe_estimated_heartbeats(p);
    if (n <= PIPE_HEARTBEATS_MAX) return 0;
    return scn_fail(c, v[G_HEARTBEAT] ? v[G_HEARTBEAT] : v[G_REBALANCE],
                    "the workers would send about %llu heartbeats in duration + drain, more than "
                    "the limit of %llu: lengthen 'heartbeat' (now %s)",
                    (unsigned long long)n, (unsigned long long)PIPE_HEARTBEATS_MAX,
                    scn_duration_str(g->heartbeat_ns, a, sizeof a));
}

static int sec_group(struct scn_ctx *c, values top) {
    struct pipe_group *g = &c->out->pipe.group;
    const struct scn_node *v[G_N];
    int rc = top[T_GROUP] ? scn_map_collect(c, top[T_GROUP], &group_spec, v) : 0;
    if (rc || !top[T_GROUP]) return rc;
    if (v[G_REBALANCE]) rc = scn_get_bool(c, v[G_REBALANCE], "rebalance", &g->rebalance);
    if (!rc && v[G_HEARTBEAT])
        rc = scn_get_duration(c, v[G_HEARTBEAT], "heartbeat", true, &g->heartbeat_ns);
    if (!rc && v[G_SESSION_TIMEOUT])
        rc = scn_get_duration(c, v[G_SESSION_TIMEOUT], "session_timeout", true,
                              &g->session_timeout_ns);
    return rc ? rc : group_limits(c, v);
}

static int sec_sink(struct scn_ctx *c, values top) {
    int rc = scn_sink(c, top[T_SINK]);
    return rc ? rc : scn_lambda(c, top[T_LAMBDA], top[T_SINK]);
}

const char *const *scn_protocol_names(const char *names[DLV_COUNT]) {
    for (int p = 0; p < DLV_COUNT; p++)
        names[p] = dlv_name((enum dlv_protocol)p);
    return names;
}

static int get_protocol(struct scn_ctx *c, const struct scn_node *n, const struct scn_mapspec *s) {
    if (n->type != SCN_Y_SCALAR) return scn_expected(c, n, "protocols", "a protocol name");
    int p = dlv_parse(n->text);
    return p >= 0 ? p : scn_unknown_key(c, n, s);
}

static int sec_protocols(struct scn_ctx *c, values top) {
    const struct scn_node *n = top[T_PROTOCOLS];
    const char *names[DLV_COUNT];
    struct scn_mapspec s = {
        "", "in 'protocols'", "protocol", scn_protocol_names(names), DLV_COUNT, 0};
    struct scenario *o = c->out;
    if (n->type != SCN_Y_SEQ || !n->n)
        return scn_expected(c, n, "protocols", "a list of at least one protocol");
    for (uint32_t i = 0; i < n->n; i++) {
        int p = get_protocol(c, n->kids[i], &s);
        if (p < 0) return p;
        for (uint32_t j = 0; j < o->nprotocols; j++)
            if (o->protocols[j] == (enum dlv_protocol)p)
                return scn_fail(c, n->kids[i], "protocol '%s' is listed twice in 'protocols'",
                                n->kids[i]->text);
        FT_ASSERT(o->nprotocols < DLV_COUNT);
        o->protocols[o->nprotocols++] = (enum dlv_protocol)p;
    }
    return 0;
}

bool scn_protocol_listed(const struct scenario *o, int p) {
    for (uint32_t i = 0; i < o->nprotocols; i++)
        if (o->protocols[i] == (enum dlv_protocol)p) return true;
    return false;
}

static int check_records(struct scn_ctx *c, values top) {
    const struct pipe_config *p = &c->out->pipe;
    int rc = scn_ml_check(c, top[T_PIPELINE], top[T_DRIVER], top[T_GROUP], top[T_PROTOCOLS],
                          top[T_DELIVERY]);
    if (rc) return rc;
    /* A window query's state is kept per partition (a task) and moves with it when the
     * group rebalances (stream/window_stage.c, docs/scenario-format.md `group`). */
    /* Checkpoints roll back the whole job over a static assignment; moving a partition
     * would need its offsets and state moved between snapshots, which is not built. */
    if (p->group.rebalance && scn_protocol_listed(c->out, DLV_EXACTLY_ONCE_CKPT))
        return scn_fail(c, top[T_GROUP],
                        "'group: { rebalance: true }' cannot be combined with protocol "
                        "'exactly-once-checkpoint': a checkpoint rolls back a static "
                        "assignment of partitions to workers");
    if (scn_protocol_listed(c->out, DLV_EXACTLY_ONCE_CKPT) &&
        (p->duration_ns + p->drain_ns) / p->delivery.checkpoint_ns > PIPE_CHECKPOINTS_MAX) {
        char i[32];
        return scn_fail(c, top[T_DELIVERY] ? top[T_DELIVERY] : top[T_DURATION],
                        "the run would trigger more than %llu checkpoints in duration + drain: "
                        "lengthen 'checkpoint' (now %s)",
                        PIPE_CHECKPOINTS_MAX,
                        scn_duration_str(p->delivery.checkpoint_ns, i, sizeof i));
    }
    uint64_t n = pipe_estimated_records(p);
    char d[32];
    /* Poisson sources may exceed their estimate a little: twice it bounds a window */
    rc = n <= PIPE_RECORDS_MAX
             ? scn_check_window_sum(c, top[T_PIPELINE] ? top[T_PIPELINE] : top[T_SOURCE],
                                    2 * n + 1000)
             : 0;
    if (rc || n <= PIPE_RECORDS_MAX) return rc;
    return scn_fail(c, top[T_SOURCE] ? top[T_SOURCE] : top[T_DURATION],
                    "the source would generate about %llu records in 'duration' (%s), more than "
                    "the limit of %llu: lower the rate or the duration",
                    (unsigned long long)n, scn_duration_str(p->duration_ns, d, sizeof d),
                    (unsigned long long)PIPE_RECORDS_MAX);
}

int scn_sec_common(struct scn_ctx *c, const struct scn_node *name, const struct scn_node *about,
                   const struct scn_node *seed, const struct scn_node *seeds) {
    const struct scn_node *v[T_N] = {0};
    v[T_NAME] = name;
    v[T_ABOUT] = about;
    v[T_SEED] = seed;
    v[T_SEEDS] = seeds;
    int rc = sec_ids(c, v);
    return rc ? rc : sec_seeds(c, v);
}

static int sec_faults(struct scn_ctx *c, values top) {
    return scn_sec_faults(c, top[T_FAULTS]);
}

static int sec_expect(struct scn_ctx *c, values top) {
    return scn_sec_expect(c, top[T_EXPECT]);
}

static int parse_top(struct scn_ctx *c, const struct scn_node *root) {
    if (scn_byz_is(root)) return scn_byz_parse(c, root);
    static const struct scn_mapspec spec = {"at the top level",
                                            "in the top level",
                                            "key",
                                            top_keys,
                                            T_N,
                                            SCN_BIT(T_NAME) | SCN_BIT(T_ABOUT) |
                                                SCN_BIT(T_DURATION) | SCN_BIT(T_PROTOCOLS)};
    static int (*const sections[])(struct scn_ctx *, values) = {
        sec_ids,      sec_seeds, sec_time, sec_nodes,  sec_source,    sec_network, sec_links,
        sec_delivery, sec_group, sec_sink, sec_stream, sec_protocols, sec_faults,  sec_expect,
        check_records};
    const struct scn_node *v[T_N];
    int rc = scn_map_collect(c, root, &spec, v);
    for (size_t i = 0; !rc && i < sizeof sections / sizeof sections[0]; i++)
        rc = sections[i](c, v);
    return rc;
}

/* ---- entry points ---- */

static void scenario_init(struct scenario *o, const char *name, const char *text, size_t len) {
    unsigned char h[crypto_generichash_BYTES];
    memset(o, 0, sizeof *o);
    snprintf(o->file, sizeof o->file, "%s", name);
    o->seed = o->seed_first = o->seed_last = 1;
    pipe_config_defaults(&o->pipe);
    for (int p = 0; p < DLV_COUNT; p++)
        scn_expect_unchecked(&o->expect[p]);
    crypto_generichash(h, sizeof h, (const unsigned char *)text, len, NULL, 0);
    sodium_bin2hex(o->hash, sizeof o->hash, h, sizeof h);
}

int scn_parse(const char *name, const char *text, size_t len, struct scenario *out,
              struct ft_error *err) {
    return scn_parse_with(name, text, len, NULL, 0, out, err);
}

int scn_parse_with(const char *name, const char *text, size_t len, const struct scn_override *ov,
                   uint32_t nov, struct scenario *out, struct ft_error *err) {
    _Static_assert(crypto_generichash_BYTES == 32, "the scenario hash is BLAKE2b-256");
    name = name ? name : "<input>";
    if (!out || (!text && len)) return ft_fail(err, FT_EINVAL, "scn_parse: no buffer");
    if (len > SCN_FILE_BYTES_MAX)
        return ft_fail_at(err, FT_EPARSE, name, 0, 0,
                          "expected a file of at most %u bytes, found %zu bytes",
                          SCN_FILE_BYTES_MAX, len);
    if (sodium_init() < 0) return ft_fail(err, FT_ECRYPTO, "libsodium failed to initialise");
    scenario_init(out, name, text ? text : "", len);
    size_t bom = len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3) ? 3 : 0; /* as Notepad saves */
    struct scn_ctx c = {
        .file = name, .text = text ? text + bom : "", .len = len - bom, .err = err, .out = out};
    struct scn_node *root = NULL;
    int rc = scn_check_text(&c);
    if (!rc) rc = scn_yaml_load(&c, &root);
    if (!rc && (!root || scn_is_null(root)))
        rc = scn_fail_pos(&c, 1, 1,
                          "empty file: expected a scenario (a mapping with name, "
                          "about, duration and protocols)");
    if (!rc && nov) rc = scn_apply_overrides(&c, root, ov, nov);
    if (!rc) rc = parse_top(&c, root);
    scn_node_free(root);
    /* test-only (pipeline.h): a planted bug the swarm's acceptance test must find */
    const char *plant = getenv("FTSIM_TEST_PLANT");
    if (!rc && plant && !strcmp(plant, "sink-forgets-dedup"))
        out->pipe.test_plant = PIPE_PLANT_SINK_FORGETS_DEDUP;
    return rc;
}

int scn_read_file(const char *path, char **text, size_t *len, struct ft_error *err) {
    return ft_read_file(path, SCN_FILE_BYTES_MAX, "scenario file", text, len, err);
}

int scn_load(const char *path, struct scenario *out, struct ft_error *err) {
    return scn_load_with(path, NULL, 0, out, err);
}

int scn_load_with(const char *path, const struct scn_override *ov, uint32_t nov,
                  struct scenario *out, struct ft_error *err) {
    char *buf;
    size_t n;
    int rc = scn_read_file(path, &buf, &n, err);
    if (rc) return rc;
    rc = scn_parse_with(path, buf, n, ov, nov, out, err);
    free(buf);
    return rc;
}
