/* SM(m), signed messages (Lamport, Shostak, Pease 1982), and Dolev–Strong authenticated
 * broadcast, over the signed chains of byz_internal.h. In round 1 the commander sends
 * its signed order v:0. A chain with k + 1 signers (v:0:j1:...:jk) is valid in round
 * k + 1 only, when its signers are distinct, start with the commander, exclude the
 * receiver and every signature verifies. A lieutenant adds a valid chain's value to its
 * set V; when the value is new and k < m it signs the chain and relays it, in the next
 * round, to every lieutenant not on it. After round m + 1 it obeys choice(V): the value
 * when V holds exactly one, otherwise RETREAT (no order, or a commander shown to have
 * signed both). SM authenticates every message it receives (cached per node, so a chain
 * prefix seen before costs no new check); Dolev–Strong, with f = m, verifies only a
 * chain that could change its state — a value not yet extracted while fewer than two
 * are — and so relays at most two values with far fewer checks. */
#include <string.h>

#include "byz_internal.h"

uint32_t byz_chain_links(const struct byz_chain *c) {
    return c->len > BYZ_CHAIN_HDR ? (c->len - BYZ_CHAIN_HDR) / BYZ_LINK_BYTES : 0;
}

static uint8_t link_id(const uint8_t *b, uint32_t t) {
    return b[BYZ_CHAIN_HDR + t * BYZ_LINK_BYTES];
}

/* Bytes covered by link t's signature (the chain up to and including its signer id). */
static uint32_t signed_len(uint32_t t) {
    return BYZ_CHAIN_HDR + t * BYZ_LINK_BYTES + 1;
}

static void chain_start(struct byz_chain *c, const struct byz_node *nd, uint8_t value) {
    memcpy(c->b, &nd->inst, 4);
    c->b[4] = (uint8_t)nd->cfg->alg;
    c->b[5] = value;
    c->len = BYZ_CHAIN_HDR;
}

/* Appends a link naming `id`, signed with this node's own key (a forgery when id is
 * not this node: the signature then fails under id's public key). */
static void chain_sign(struct byz_chain *c, struct byz_node *nd, uint32_t id) {
    FT_ASSERT(c->len + BYZ_LINK_BYTES <= sizeof c->b);
    c->b[c->len] = (uint8_t)id;
    sig_sign(nd->signer, c->b, c->len + 1, c->b + c->len + 1);
    c->len += BYZ_LINK_BYTES;
}

static bool on_chain(const struct byz_chain *c, uint32_t id) {
    for (uint32_t t = 0; t < byz_chain_links(c); t++)
        if (link_id(c->b, t) == id) return true;
    return false;
}

static void send_chain(struct sim *s, const struct byz_node *nd, const struct byz_chain *c,
                       uint32_t j) {
    sim_send_tagged(s, nd->id, j, BYZ_MSG_CHAIN, byz_tag(BYZ_MSG_CHAIN, c->b, c->len), c->b,
                    c->len);
}

static int sm_init(struct byz_node *nd, struct ft_error *err) {
    if (!nd->signer || !nd->verifier)
        return ft_fail(err, FT_EINVAL, "signed agreement needs a signer and a verifier");
    return 0;
}

static void sm_reset(struct byz_node *nd) {
    nd->values = 0;
    nd->got[0].len = nd->got[1].len = 0;
    nd->got_round[0] = nd->got_round[1] = 0;
    nd->forged = false;
    sig_verifier_clear(nd->verifier);
}

static void sm_destroy(struct byz_node *nd) {
    (void)nd;
}

/* Round 1: the order, signed, to every lieutenant (per the commander's strategy). */
static void commander_round1(struct sim *s, struct byz_node *nd) {
    uint8_t order = nd->orders[nd->inst];
    struct byz_chain c[2];
    bool made[2] = {false, false};
    for (uint32_t j = 1; j < nd->cfg->n; j++) {
        int v = byz_traitor_value(s, nd, order, j);
        if (v < 0) continue;
        if (nd->strategy == BYZ_TAMPER_RELAY || nd->strategy == BYZ_FORGE)
            v = order; /* tamper: sign the order, then alter it; forge: lie in round 2 */
        if (!made[v]) {
            chain_start(&c[v], nd, (uint8_t)v);
            chain_sign(&c[v], nd, nd->id);
            if (nd->strategy == BYZ_TAMPER_RELAY) c[v].b[5] ^= 1;
            made[v] = true;
        }
        send_chain(s, nd, &c[v], j);
    }
}

/* A forging commander, round 2: to each j, "x relayed the opposite order", where the
 * opposite order carries the commander's own valid signature and x's is forged. */
static void commander_forge(struct sim *s, struct byz_node *nd) {
    uint8_t fake = nd->orders[nd->inst] ^ 1;
    for (uint32_t j = 1; j < nd->cfg->n; j++) {
        uint32_t x = j == 1 ? 2 : 1;
        struct byz_chain c;
        chain_start(&c, nd, fake);
        chain_sign(&c, nd, nd->id);
        chain_sign(&c, nd, x);
        send_chain(s, nd, &c, j);
    }
}

/* A forging lieutenant, round 2: "the commander signed the opposite", signed by the
 * forger with its own key under the commander's name, then by itself. */
static void lieutenant_forge(struct sim *s, struct byz_node *nd) {
    uint8_t fake = nd->values == (1u << BYZ_RETREAT)  ? BYZ_ATTACK
                   : nd->values == (1u << BYZ_ATTACK) ? BYZ_RETREAT
                                                      : BYZ_ATTACK;
    struct byz_chain c;
    chain_start(&c, nd, fake);
    chain_sign(&c, nd, 0);
    chain_sign(&c, nd, nd->id);
    for (uint32_t j = 1; j < nd->cfg->n; j++)
        if (j != nd->id) send_chain(s, nd, &c, j);
    nd->forged = true;
}

/* Whether this node relays a chain of value v to j, by its strategy. */
static bool relays_to(struct sim *s, const struct byz_node *nd, uint8_t v, uint32_t j) {
    switch (nd->strategy) {
    case BYZ_SILENT:
    case BYZ_FORGE:
        return false;
    case BYZ_CONFLICTING:
        return (v == BYZ_ATTACK) == byz_odd(j);
    case BYZ_RANDOM:
        return rng_below(sim_node_rng(s, nd->id), 2) == 1;
    case BYZ_ALWAYS_ATTACK:
        return v == BYZ_ATTACK;
    default:
        return true; /* loyal; tamper-relay relays everything, altered */
    }
}

static void relay(struct sim *s, struct byz_node *nd, uint8_t v) {
    struct byz_chain c = nd->got[v];
    if (nd->strategy == BYZ_TAMPER_RELAY) c.b[5] ^= 1; /* old signatures kept */
    chain_sign(&c, nd, nd->id);
    for (uint32_t j = 1; j < nd->cfg->n; j++)
        if (!on_chain(&c, j) && relays_to(s, nd, v, j)) send_chain(s, nd, &c, j);
}

static void sm_send_round(struct sim *s, struct byz_node *nd) {
    if (nd->id == 0) {
        if (nd->round == 1) commander_round1(s, nd);
        if (nd->round == 2 && nd->strategy == BYZ_FORGE) commander_forge(s, nd);
        return;
    }
    if (nd->round == 2 && nd->strategy == BYZ_FORGE && !nd->forged) lieutenant_forge(s, nd);
    for (uint8_t v = 0; v < 2; v++) {
        const struct byz_chain *c = &nd->got[v];
        if (c->len && nd->got_round[v] + 1 == nd->round && byz_chain_links(c) <= nd->cfg->m)
            relay(s, nd, v);
    }
}

/* The cheap checks, before any signature: 0 or a BYZ_WHY_*. */
static uint32_t check_chain(const struct byz_node *nd, const struct sim_msg *m) {
    uint32_t links = (m->len - BYZ_CHAIN_HDR) / BYZ_LINK_BYTES, inst, seen = 0;
    if (m->kind != BYZ_MSG_CHAIN || m->len < BYZ_CHAIN_HDR + BYZ_LINK_BYTES ||
        (m->len - BYZ_CHAIN_HDR) % BYZ_LINK_BYTES || links > nd->cfg->m + 1 ||
        m->data[4] != (uint8_t)nd->cfg->alg || m->data[5] > 1)
        return BYZ_WHY_FORMAT;
    memcpy(&inst, m->data, 4);
    if (inst != nd->inst) return BYZ_WHY_INSTANCE;
    if (link_id(m->data, 0) != 0) return BYZ_WHY_FORMAT;
    for (uint32_t t = 0; t < links; t++) {
        uint8_t id = link_id(m->data, t);
        if (id >= nd->cfg->n || (seen & (1u << id)) || id == nd->id) return BYZ_WHY_FORMAT;
        seen |= 1u << id;
    }
    return links == nd->round ? 0 : BYZ_WHY_ROUND;
}

static bool chain_valid(struct sim *s, struct byz_node *nd, const struct sim_msg *m) {
    uint32_t links = (m->len - BYZ_CHAIN_HDR) / BYZ_LINK_BYTES;
    for (uint32_t t = 0; t < links; t++) {
        uint32_t at = signed_len(t);
        if (!sig_verify(nd->verifier, link_id(m->data, t), m->data, at, m->data + at)) {
            sim_trace_user(s, nd->id, BYZ_TR_REJECT, m->src, t);
            return false;
        }
    }
    return true;
}

static void sm_on_message(struct sim *s, struct byz_node *nd, const struct sim_msg *m) {
    uint32_t why = check_chain(nd, m);
    if (why) {
        byz_discard(s, nd, m, why);
        return;
    }
    uint8_t v = m->data[5];
    bool fresh = !(nd->values & (1u << v));
    if (nd->cfg->alg == BYZ_DS && (!fresh || nd->values == 3)) return; /* cannot matter */
    if (!chain_valid(s, nd, m) || !fresh) return;
    nd->values |= (uint8_t)(1u << v);
    memcpy(nd->got[v].b, m->data, m->len);
    nd->got[v].len = m->len;
    nd->got_round[v] = nd->round;
}

/* choice(V): the single value in V, otherwise RETREAT. */
static uint8_t sm_decide(struct byz_node *nd) {
    if (nd->values == (1u << BYZ_ATTACK)) return BYZ_ATTACK;
    return BYZ_RETREAT;
}

const struct byz_alg_ops byz_sm_ops = {sm_init,       sm_reset,  sm_send_round,
                                       sm_on_message, sm_decide, sm_destroy};
