/* OM(m), oral messages, exactly as Lamport, Shostak and Pease (1982) define it, unrolled
 * into synchronous rounds. A message carries a path [0, j1, ..., jk]: "jk says that ...
 * j1 says that the commander said v"; it is sent in round k + 1, so round r carries the
 * paths of length r. In round r + 1 (r = 1..m) lieutenant i relays, for every path p of
 * length r without i, the value it got for p (RETREAT when none came) as p + [i] to every
 * lieutenant not on p + [i]. After round m + 1 it decides w([0]) where w(p) is the value
 * got for p when |p| = m + 1, else the majority of that value and w(p + [j]) for each
 * other lieutenant j not on p (a tie is RETREAT). The receiver knows who sent a message
 * (assumption A2): a path whose last id is not the sender is discarded. */
#include <stdlib.h>
#include <string.h>

#include "byz_internal.h"

#define OM_HDR 5u /* instance u32, value u8; then the path, one byte per id */

struct byz_om_state {
    uint64_t *keys; /* 0 = empty; a path packs as its length | ids << 4, 5 bits each */
    uint8_t *vals;
    uint32_t cap, used;
};

static uint64_t path_key(const uint8_t *path, uint32_t len) {
    uint64_t k = len;
    for (uint32_t t = 0; t < len; t++)
        k |= (uint64_t)path[t] << (4 + 5 * t);
    return k;
}

/* Paths [0, j1..jk] (k = 0..m) over the n - 2 lieutenants other than a given one. */
static uint64_t paths_without_one(uint32_t n, uint32_t m) {
    uint64_t total = 0, level = 1;
    for (uint32_t k = 0; k <= m; k++) {
        total += level;
        level *= n - 2 > k ? n - 2 - k : 0;
    }
    return total;
}

static uint64_t *om_slot(struct byz_om_state *st, uint64_t key) {
    uint32_t mask = st->cap - 1, h = (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 32);
    for (uint32_t probe = 0;; probe++) {
        FT_ASSERT(probe < st->cap);
        uint64_t *k = &st->keys[(h + probe) & mask];
        if (*k == 0 || *k == key) return k;
    }
}

static int om_get(struct byz_om_state *st, const uint8_t *path, uint32_t len) {
    if (!st->cap) return -1;
    uint64_t *k = om_slot(st, path_key(path, len));
    return *k ? st->vals[k - st->keys] : -1;
}

static uint8_t om_value_or_retreat(struct byz_om_state *st, const uint8_t *path, uint32_t len) {
    int v = om_get(st, path, len);
    return v < 0 ? BYZ_RETREAT : (uint8_t)v;
}

static int om_init(struct byz_node *nd, struct ft_error *err) {
    struct byz_om_state *st = calloc(1, sizeof *st);
    if (!st) return ft_fail(err, FT_ENOMEM, "out of memory for OM state");
    nd->om = st;
    if (nd->id == 0) return 0; /* the commander receives nothing */
    uint64_t need = paths_without_one(nd->cfg->n, nd->cfg->m), cap = 16;
    while (cap < 2 * need)
        cap *= 2;
    if (cap > UINT32_MAX) return ft_fail(err, FT_ELIMIT, "OM path table too large");
    st->keys = calloc(cap, sizeof *st->keys);
    st->vals = calloc(cap, 1);
    if (!st->keys || !st->vals) return ft_fail(err, FT_ENOMEM, "out of memory for OM paths");
    st->cap = (uint32_t)cap;
    return 0;
}

static void om_reset(struct byz_node *nd) {
    struct byz_om_state *st = nd->om;
    if (st->cap) memset(st->keys, 0, (size_t)st->cap * sizeof *st->keys);
    st->used = 0;
}

static void om_destroy(struct byz_node *nd) {
    if (!nd->om) return;
    free(nd->om->keys);
    free(nd->om->vals);
    free(nd->om);
    nd->om = NULL;
}

/* The lowest id that is neither the sender nor on path[0..len-2]: whom a forger names. */
static uint8_t other_than(const struct byz_node *nd, const uint8_t *path, uint32_t len) {
    for (uint32_t x = 0; x < nd->cfg->n; x++) {
        bool on = x == nd->id;
        for (uint32_t t = 0; t + 1 < len && !on; t++)
            on = path[t] == x;
        if (!on) return (uint8_t)x;
    }
    return (uint8_t)nd->id;
}

/* Sends path[0..len-1] (ending with this node) to j, where a loyal node says `truth`. */
static void send_value(struct sim *s, struct byz_node *nd, const uint8_t *path, uint32_t len,
                       uint8_t truth, uint32_t j) {
    int v = byz_traitor_value(s, nd, truth, j);
    if (v < 0) return;
    uint8_t buf[OM_HDR + BYZ_M_MAX + 1];
    memcpy(buf, &nd->inst, 4);
    buf[4] = (uint8_t)v;
    memcpy(buf + OM_HDR, path, len);
    if (nd->strategy == BYZ_FORGE) /* "it was x, not me, who said so" */
        buf[OM_HDR + len - 1] = other_than(nd, path, len);
    sim_send_tagged(s, nd->id, j, BYZ_MSG_OM, byz_tag(BYZ_MSG_OM, buf, OM_HDR + len), buf,
                    OM_HDR + len);
}

/* Relays the value got for path[0..len-1] (not containing this node) as path + [me]. */
static void relay(struct sim *s, struct byz_node *nd, uint8_t *path, uint32_t len, uint32_t used) {
    uint8_t truth = om_value_or_retreat(nd->om, path, len);
    path[len] = (uint8_t)nd->id;
    for (uint32_t j = 1; j < nd->cfg->n; j++)
        if (!(used & (1u << j))) send_value(s, nd, path, len + 1, truth, j);
}

/* Every path of length `want` that extends path[0..len-1] with unused lieutenants, in
 * lexicographic order; `used` has a bit per id on the path, and this node's. */
static void walk(struct sim *s, struct byz_node *nd, uint8_t *path, uint32_t len, uint32_t want,
                 uint32_t used) {
    if (len == want) {
        relay(s, nd, path, len, used);
        return;
    }
    for (uint32_t j = 1; j < nd->cfg->n; j++) {
        if (used & (1u << j)) continue;
        path[len] = (uint8_t)j;
        walk(s, nd, path, len + 1, want, used | (1u << j));
    }
}

static void om_send_round(struct sim *s, struct byz_node *nd) {
    uint8_t path[BYZ_M_MAX + 2] = {0};
    if (nd->id == 0) {
        if (nd->round != 1) return;
        for (uint32_t j = 1; j < nd->cfg->n; j++)
            send_value(s, nd, path, 1, nd->orders[nd->inst], j);
        return;
    }
    if (nd->round < 2 || nd->round > nd->cfg->m + 1) return;
    walk(s, nd, path, 1, nd->round - 1, 1u | (1u << nd->id));
}

/* Checks a path of length len against the round, A2 and this node; 0 or a BYZ_WHY_*. */
static uint32_t check_path(const struct byz_node *nd, const uint8_t *path, uint32_t len,
                           uint32_t src) {
    uint32_t seen = 0;
    if (path[0] != 0) return BYZ_WHY_FORMAT;
    for (uint32_t t = 0; t < len; t++) {
        if (path[t] >= nd->cfg->n || (seen & (1u << path[t])) || path[t] == nd->id)
            return BYZ_WHY_FORMAT;
        seen |= 1u << path[t];
    }
    if (len != nd->round) return BYZ_WHY_ROUND;
    return path[len - 1] == src ? 0 : BYZ_WHY_RELAY;
}

static void om_on_message(struct sim *s, struct byz_node *nd, const struct sim_msg *m) {
    uint32_t inst, len = m->len - OM_HDR, why = 0;
    if (m->kind != BYZ_MSG_OM || m->len <= OM_HDR || m->len > OM_HDR + nd->cfg->m + 1 ||
        m->data[4] > 1)
        why = BYZ_WHY_FORMAT;
    if (!why) {
        memcpy(&inst, m->data, 4);
        why = inst != nd->inst ? BYZ_WHY_INSTANCE : check_path(nd, m->data + OM_HDR, len, m->src);
    }
    if (!why && om_get(nd->om, m->data + OM_HDR, len) >= 0) why = BYZ_WHY_DUPLICATE;
    if (why) {
        byz_discard(s, nd, m, why);
        return;
    }
    struct byz_om_state *st = nd->om;
    uint64_t *k = om_slot(st, path_key(m->data + OM_HDR, len));
    FT_ASSERT(st->used < st->cap / 2); /* at most one entry per distinct valid path */
    *k = path_key(m->data + OM_HDR, len);
    st->vals[k - st->keys] = m->data[4];
    st->used++;
}

/* w(p) of the file comment; `used` marks the ids on p and this node's own. */
static uint8_t om_w(struct byz_node *nd, uint8_t *path, uint32_t len, uint32_t used) {
    uint8_t own = om_value_or_retreat(nd->om, path, len);
    if (len == nd->cfg->m + 1) return own;
    uint32_t attack = own == BYZ_ATTACK, retreat = own == BYZ_RETREAT;
    for (uint32_t j = 1; j < nd->cfg->n; j++) {
        if (used & (1u << j)) continue;
        path[len] = (uint8_t)j;
        if (om_w(nd, path, len + 1, used | (1u << j)) == BYZ_ATTACK)
            attack++;
        else
            retreat++;
    }
    return attack > retreat ? BYZ_ATTACK : BYZ_RETREAT;
}

static uint8_t om_decide(struct byz_node *nd) {
    uint8_t path[BYZ_M_MAX + 2] = {0};
    return om_w(nd, path, 1, 1u | (1u << nd->id));
}

const struct byz_alg_ops byz_om_ops = {om_init,       om_reset,  om_send_round,
                                       om_on_message, om_decide, om_destroy};
