/* The network model: point-to-point links with latency + jitter, loss, duplication,
 * reordering, optional bandwidth, partitions and targeted drop rules.
 * Each link (src, dst) draws from its own RNG stream "link:SRC->DST", so traffic on
 * one link never shifts another's randomness. A link is FIFO unless a message is
 * picked for reordering. The link table is looked up by key, never iterated, so no
 * address or hash order reaches the trace. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

void sim_deliver_to(struct sim *s, struct msgbuf *m);

int net_init(struct net *n) {
    memset(n, 0, sizeof *n);
    n->def.latency_ns = SIM_NS_PER_MS;
    n->tab_cap = 256;
    n->tab_keys = calloc(n->tab_cap, sizeof *n->tab_keys);
    n->tab_vals = calloc(n->tab_cap, sizeof *n->tab_vals);
    return n->tab_keys && n->tab_vals ? 0 : FT_ENOMEM;
}

void net_destroy(struct net *n) {
    free(n->links);
    free(n->tab_keys);
    free(n->tab_vals);
    for (uint32_t i = 0; i < n->ncuts; i++)
        net_free_cut(n->cuts[i]);
    free(n->cuts);
    memset(n, 0, sizeof *n);
}

static uint32_t tab_hash(uint64_t key, uint32_t cap) {
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdull;
    key ^= key >> 33;
    return (uint32_t)key & (cap - 1);
}

static int tab_grow(struct net *n) {
    uint32_t cap = n->tab_cap * 2;
    uint64_t *keys = calloc(cap, sizeof *keys);
    uint32_t *vals = calloc(cap, sizeof *vals);
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return FT_ENOMEM;
    }
    for (uint32_t i = 0; i < n->tab_cap; i++) {
        if (!n->tab_keys[i]) continue;
        uint32_t h = tab_hash(n->tab_keys[i], cap);
        while (keys[h]) h = (h + 1) & (cap - 1);
        keys[h] = n->tab_keys[i];
        vals[h] = n->tab_vals[i];
    }
    free(n->tab_keys);
    free(n->tab_vals);
    n->tab_keys = keys;
    n->tab_vals = vals;
    n->tab_cap = cap;
    return 0;
}

/* The link src->dst, created (with its own RNG stream) on first use; NULL on OOM. */
static struct link *link_get(struct sim *s, uint32_t src, uint32_t dst) {
    struct net *n = &s->net;
    uint64_t key = (((uint64_t)src << 32) | dst) + 1;
    uint32_t h = tab_hash(key, n->tab_cap);
    while (n->tab_keys[h]) {
        if (n->tab_keys[h] == key) return &n->links[n->tab_vals[h]];
        h = (h + 1) & (n->tab_cap - 1);
    }
    if ((n->nlinks + 1) * 2 > n->tab_cap) {
        if (tab_grow(n) != 0) goto oom;
        return link_get(s, src, dst);
    }
    if (n->nlinks == n->links_cap) {
        uint32_t cap = n->links_cap ? n->links_cap * 2 : 64;
        struct link *links = realloc(n->links, cap * sizeof *links);
        if (!links) goto oom;
        n->links = links;
        n->links_cap = cap;
    }
    struct link *l = &n->links[n->nlinks];
    memset(l, 0, sizeof *l);
    char name[2 * SIM_NODE_NAME_MAX + 16];
    snprintf(name, sizeof name, "link:%s->%s", s->nodes[src].name, s->nodes[dst].name);
    rng_init(&l->rng, s->seed, name);
    n->tab_keys[h] = key;
    n->tab_vals[h] = n->nlinks++;
    return l;
oom:
    sim_fail(s, FT_ENOMEM, "out of memory for the link table");
    return NULL;
}

static int check_cfg(struct sim *s, const struct net_link_cfg *c) {
    if (!c) return sim_fail(s, FT_EINVAL, "no link configuration");
    if (!(c->loss_p >= 0 && c->loss_p <= 1) || !(c->dup_p >= 0 && c->dup_p <= 1) ||
        !(c->reorder_p >= 0 && c->reorder_p <= 1))
        return sim_fail(s, FT_EINVAL, "link probabilities must lie in [0, 1]");
    if (c->latency_ns > SIM_TIME_MAX / 4 || c->jitter_ns > SIM_TIME_MAX / 4 ||
        c->reorder_ns > SIM_TIME_MAX / 4)
        return sim_fail(s, FT_ELIMIT, "link delay too large");
    return 0;
}

int net_set_default(struct sim *s, const struct net_link_cfg *cfg) {
    int rc = check_cfg(s, cfg);
    if (rc) return rc;
    s->net.def = *cfg;
    return 0;
}

int net_set_link(struct sim *s, uint32_t src, uint32_t dst, const struct net_link_cfg *cfg) {
    int rc = check_cfg(s, cfg);
    if (rc) return rc;
    if (src >= s->nnodes || dst >= s->nnodes)
        return sim_fail(s, FT_EINVAL, "net_set_link: no such node");
    struct link *l = link_get(s, src, dst);
    if (!l) return FT_ENOMEM;
    l->override = true;
    l->cfg = *cfg;
    return 0;
}

int net_drop_rule(struct sim *s, uint32_t src, uint32_t dst, uint32_t kind, uint64_t nth,
                  uint64_t count) {
    return net_drop_rule_tagged(s, src, dst, kind, SIM_ANY_TAG, nth, count);
}

int net_drop_rule_tagged(struct sim *s, uint32_t src, uint32_t dst, uint32_t kind, uint64_t tag,
                         uint64_t nth, uint64_t count) {
    struct net *n = &s->net;
    if (n->ndrops >= SIM_DROP_RULES_MAX)
        return sim_fail(s, FT_ELIMIT, "more than %u drop rules", SIM_DROP_RULES_MAX);
    if (nth == 0 || count == 0) return sim_fail(s, FT_EINVAL, "drop rule: nth and count >= 1");
    n->drops[n->ndrops++] = (struct drop_rule){src, dst, kind, tag, nth, count, 0};
    return 0;
}

static bool drop_by_rule(struct net *n, uint32_t src, uint32_t dst, uint32_t kind, uint64_t tag) {
    bool drop = false;
    for (uint32_t i = 0; i < n->ndrops; i++) {
        struct drop_rule *r = &n->drops[i];
        if ((r->src != SIM_ANY && r->src != src) || (r->dst != SIM_ANY && r->dst != dst) ||
            (r->kind != SIM_ANY && r->kind != kind) || (r->tag != SIM_ANY_TAG && r->tag != tag))
            continue;
        r->seen++;
        if (r->seen >= r->nth && r->seen < r->nth + r->count) drop = true;
    }
    return drop;
}

bool net_can_talk(const struct sim *s, uint32_t a, uint32_t b) {
    const struct net *n = &s->net;
    for (uint32_t i = 0; i < n->ncuts; i++) {
        const uint32_t *side = n->cuts[i]->side;
        if ((a < SIM_NODES_MAX ? side[a] : 0) != (b < SIM_NODES_MAX ? side[b] : 0)) return false;
    }
    return true;
}

static void drop(struct sim *s, const struct msgbuf *m, uint8_t reason) {
    struct net_stats *st = &s->net.st;
    if (reason == SIM_DROP_LOSS) st->lost++;
    if (reason == SIM_DROP_RULE) st->dropped_rule++;
    if (reason == SIM_DROP_PARTITION) st->dropped_partition++;
    if (reason == SIM_DROP_DOWN) st->dropped_down++;
    if (reason == SIM_DROP_DUP) st->dropped_dup++;
    trace_emit_tagged(s, SIM_TR_DROP, reason, m->src, m->dst, m->kind, m->id, m->len, m->tag, NULL,
                      0);
}

/* Schedules one copy of m on link l; takes ownership of m. */
static void transmit(struct sim *s, struct link *l, const struct net_link_cfg *c,
                     struct msgbuf *m) {
    uint64_t now = s->now, start = now;
    if (c->bandwidth_bps) {
        if (l->busy_ns > start) start = l->busy_ns;
        uint64_t tx = ((uint64_t)m->len * 8u * SIM_NS_PER_S + c->bandwidth_bps - 1) /
                      c->bandwidth_bps;
        l->busy_ns = start + tx;
        start += tx;
    }
    uint64_t at = start + c->latency_ns + rng_range(&l->rng, 0, c->jitter_ns);
    if (c->reorder_p > 0 && rng_bernoulli(&l->rng, c->reorder_p)) {
        at += rng_range(&l->rng, 1, c->reorder_ns ? c->reorder_ns : 1);
        s->net.st.reordered++;
    } else {
        if (at < l->fifo_ns) at = l->fifo_ns;
        l->fifo_ns = at;
    }
    struct event e = {.type = EV_MSG, .node = m->dst};
    e.u.msg = m;
    if (sim_schedule(s, at, &e, NULL) != 0) msg_release(s, m);
}

int64_t sim_send(struct sim *s, uint32_t src, uint32_t dst, uint32_t kind, const void *data,
                 uint32_t len) {
    return sim_send_tagged(s, src, dst, kind, 0, data, len);
}

int64_t sim_send_tagged(struct sim *s, uint32_t src, uint32_t dst, uint32_t kind, uint64_t tag,
                        const void *data, uint32_t len) {
    if (src >= s->nnodes || dst >= s->nnodes)
        return sim_fail(s, FT_EINVAL, "send from %u to %u: no such node", src, dst);
    if (!s->nodes[src].up) return FT_EDOWN;
    if (len > SIM_MSG_BYTES_MAX)
        return sim_fail(s, FT_ELIMIT, "message of %u bytes from '%s' exceeds %u (SIM_MSG_BYTES_MAX)",
                        len, s->nodes[src].name, SIM_MSG_BYTES_MAX);
    struct net *n = &s->net;
    struct link *l = link_get(s, src, dst);
    if (!l) return FT_ENOMEM;
    const struct net_link_cfg *c = l->override ? &l->cfg : &n->def;
    struct msgbuf *m = msg_alloc(s, len);
    if (!m) return FT_ENOMEM;
    m->id = ++n->msg_ids;
    m->sent_ns = s->now;
    m->src = src;
    m->dst = dst;
    m->kind = kind;
    m->tag = tag;
    if (len) memcpy(m->data, data, len);
    n->st.sent++;
    n->st.bytes += len;
    trace_emit_tagged(s, SIM_TR_SEND, 0, src, dst, kind, m->id, len, tag, m->data, len);
    int64_t id = (int64_t)m->id;

    uint8_t reason = SIM_DROP_NONE;
    if (!net_can_talk(s, src, dst)) reason = SIM_DROP_PARTITION;
    else if (n->ndrops && drop_by_rule(n, src, dst, kind, tag)) reason = SIM_DROP_RULE;
    if (reason) {
        drop(s, m, reason);
        msg_release(s, m);
        return id;
    }
    bool dup = c->dup_p > 0 && rng_bernoulli(&l->rng, c->dup_p);
    struct msgbuf *copy = NULL;
    if (dup) {
        copy = msg_alloc(s, len);
        if (!copy) {
            msg_release(s, m);
            return FT_ENOMEM;
        }
        uint32_t cls = copy->cls;
        m->twin = 1;
        memcpy(copy, m, sizeof *m + len);
        copy->cls = cls;
        n->st.duplicated++;
        trace_emit_tagged(s, SIM_TR_DUP, 0, src, dst, kind, m->id, len, tag, NULL, 0);
    }
    struct msgbuf *copies[2] = {m, copy};
    for (int i = 0; i < 2 && copies[i]; i++) {
        if (c->loss_p > 0 && rng_bernoulli(&l->rng, c->loss_p)) {
            drop(s, copies[i], SIM_DROP_LOSS);
            msg_release(s, copies[i]);
            continue;
        }
        transmit(s, l, c, copies[i]);
    }
    return id;
}

/* True when n already received this copy's twin (forgotten then: no third copy exists);
 * otherwise a twin's id is remembered. A message without a twin arrives once. */
static bool seen_before(struct sim *s, struct node *n, const struct msgbuf *m) {
    if (!m->twin) return false;
    if (u64map_get(&n->seen, m->id)) {
        u64map_del(&n->seen, m->id);
        return true;
    }
    if (u64map_add(&n->seen, m->id, 1))
        sim_fail(s, FT_ENOMEM, "out of memory for message ids at '%s'", n->name);
    return false;
}

void net_deliver(struct sim *s, struct msgbuf *m) {
    struct node *dst = &s->nodes[m->dst];
    if (!dst->up) {
        drop(s, m, SIM_DROP_DOWN);
    } else if (!net_can_talk(s, m->src, m->dst)) {
        drop(s, m, SIM_DROP_PARTITION);
    } else if (dst->dedup && seen_before(s, dst, m)) {
        drop(s, m, SIM_DROP_DUP);
    } else {
        s->net.st.delivered++;
        trace_emit_tagged(s, SIM_TR_DELIVER, 0, m->dst, m->src, m->kind, m->id, m->len, m->tag,
                          NULL, 0);
        sim_deliver_to(s, m);
    }
    msg_release(s, m);
}

/* ---- partitions ---- */

void net_free_cut(struct net_cut *cut) {
    free(cut);
}

/* The index of partition id among those in effect, or ncuts. */
static uint32_t cut_index(const struct net *n, uint32_t id) {
    uint32_t i = 0;
    while (i < n->ncuts && n->cuts[i]->id != id)
        i++;
    return i;
}

void net_apply_partition(struct sim *s, struct net_cut *cut) {
    struct net *n = &s->net;
    uint32_t i = cut_index(n, cut->id);
    if (i < n->ncuts) { /* the same partition again: its new sides replace the old */
        net_free_cut(n->cuts[i]);
        n->cuts[i] = cut;
    } else {
        if (n->ncuts == n->cuts_cap) {
            uint32_t cap = n->cuts_cap ? 2 * n->cuts_cap : 4;
            struct net_cut **a = realloc(n->cuts, cap * sizeof *a);
            if (!a) {
                net_free_cut(cut);
                sim_fail(s, FT_ENOMEM, "out of memory for a partition");
                return;
            }
            n->cuts = a;
            n->cuts_cap = cap;
        }
        n->cuts[n->ncuts++] = cut;
    }
    uint32_t nn = s->nnodes;
    unsigned char enc[4 * SIM_NODES_MAX];
    for (uint32_t k = 0; k < nn; k++)
        for (int b = 0; b < 4; b++)
            enc[4 * k + b] = (unsigned char)(cut->side[k] >> (8 * b));
    trace_emit(s, SIM_TR_PARTITION, 0, SIM_NODE_NONE, SIM_NODE_NONE, 0, cut->id, nn, enc, 4u * nn);
}

static struct net_cut *new_cut(struct sim *s, uint32_t id, const uint32_t *group, uint32_t n) {
    if (!group || n != s->nnodes) {
        sim_fail(s, FT_EINVAL, "a partition needs one side per node (%u), got %u", s->nnodes, n);
        return NULL;
    }
    /* Room for every node id that can exist: nodes added before a scheduled partition
     * takes effect get side 0, as net_can_talk gives any node the partition omits. */
    struct net_cut *c = calloc(1, sizeof *c);
    if (!c) {
        sim_fail(s, FT_ENOMEM, "out of memory for a partition");
        return NULL;
    }
    c->id = id;
    memcpy(c->side, group, (size_t)n * sizeof *group);
    return c;
}

int net_partition(struct sim *s, uint32_t id, const uint32_t *group, uint32_t n) {
    struct net_cut *c = new_cut(s, id, group, n);
    if (!c) return s->err.code;
    net_apply_partition(s, c);
    return s->err.code;
}

int net_partition_at(struct sim *s, uint64_t at_ns, uint32_t id, const uint32_t *group,
                     uint32_t n) {
    struct net_cut *c = new_cut(s, id, group, n);
    if (!c) return s->err.code;
    struct event e = {.type = EV_PARTITION, .node = SIM_NODE_NONE};
    e.u.cut = c;
    int rc = sim_schedule(s, at_ns, &e, NULL);
    if (rc) net_free_cut(c);
    return rc;
}

void net_heal(struct sim *s, uint32_t id) {
    struct net *n = &s->net;
    uint32_t i = cut_index(n, id);
    if (i == n->ncuts) return;
    net_free_cut(n->cuts[i]);
    memmove(n->cuts + i, n->cuts + i + 1, (n->ncuts - i - 1) * sizeof *n->cuts);
    n->ncuts--;
    trace_emit(s, SIM_TR_HEAL, 0, SIM_NODE_NONE, SIM_NODE_NONE, 0, id, 0, NULL, 0);
}

int net_heal_at(struct sim *s, uint64_t at_ns, uint32_t id) {
    struct event e = {.type = EV_HEAL, .node = SIM_NODE_NONE};
    e.u.cut_id = id;
    return sim_schedule(s, at_ns, &e, NULL);
}

void net_stats(const struct sim *s, struct net_stats *out) {
    *out = s->net.st;
}
