/* Shared by byzantine.c (the framework: rounds, set-up, outcome) and the algorithm
 * files byz_om.c and byz_sm.c. A node's code sees only its struct byz_node: its id,
 * the read-only config, its own signer (never the keyring), its own verifier, and
 * — for the commander only — the orders it is to give. Byzantine generals never crash
 * (a crashed general is a silent traitor), so a node's agreement state lives in its
 * struct byz_node, owned by the run, and is reset at the start of every decision. */
#ifndef FTSIM_BYZ_INTERNAL_H
#define FTSIM_BYZ_INTERNAL_H

#include "byzantine.h"
#include "sig.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "wire format assumes little-endian");
_Static_assert(BYZ_NODES_MAX <= 32, "node sets are 32-bit masks; OM paths pack 5-bit ids");
_Static_assert(4 + 5 * (BYZ_M_MAX + 1) <= 64, "an OM path (m + 1 ids) packs into 64 bits");
_Static_assert(6 + 5 * (BYZ_M_MAX + 1) <= 64 && BYZ_M_MAX + 1 <= 15,
               "a message tag (byz_tag) packs a path");

/* Signed chains on the wire: a 6-byte header (instance u32, algorithm u8, value u8)
 * then one (signer id u8, Ed25519 signature) link per signer. Link t's signature covers
 * the bytes before it: header, ids 0..t and signatures 0..t-1 — the whole chain so far,
 * so a relay signs everything it received plus its own name. */
#define BYZ_CHAIN_HDR 6u
#define BYZ_LINK_BYTES (1u + SIG_BYTES)
#define BYZ_CHAIN_MAX_BYTES (BYZ_CHAIN_HDR + (BYZ_M_MAX + 1) * BYZ_LINK_BYTES)

struct byz_om_state; /* byz_om.c */

struct byz_chain {
    uint32_t len; /* bytes; 0 = none */
    uint8_t b[BYZ_CHAIN_MAX_BYTES];
};

struct byz_node {
    uint32_t id;
    const struct byz_alg_ops *ops;
    const struct byz_config *cfg;
    enum byz_strategy strategy;
    const uint8_t *orders;         /* the commander's orders per decision; NULL elsewhere */
    struct sig_signer *signer;     /* SM/DS: this node's own key */
    struct sig_verifier *verifier; /* SM/DS */
    uint32_t sink;                 /* the sink's node id, or SIM_NODE_NONE */
    uint32_t inst, round;          /* current decision (0-based) and round (1-based) */
    /* OM */
    struct byz_om_state *om;
    /* SM and Dolev–Strong: values accepted (bit v) and, per value, the chain that
     * brought it and the round it arrived in (it is relayed in the next round). */
    uint8_t values;
    struct byz_chain got[2];
    uint32_t got_round[2];
    bool forged;
};

/* One algorithm's node behaviour; the framework drives rounds and decisions. */
struct byz_alg_ops {
    int (*init)(struct byz_node *nd, struct ft_error *err); /* once, at set-up */
    void (*reset)(struct byz_node *nd);                     /* start of every decision */
    void (*send_round)(struct sim *s, struct byz_node *nd); /* start of nd->round */
    void (*on_message)(struct sim *s, struct byz_node *nd, const struct sim_msg *m);
    uint8_t (*decide)(struct byz_node *nd); /* end of the last round (lieutenants) */
    void (*destroy)(struct byz_node *nd);
};
extern const struct byz_alg_ops byz_om_ops, byz_sm_ops;

/* Helpers for the algorithm files. */
static inline bool byz_odd(uint32_t id) {
    return id & 1u;
}
/* The value node nd sends to receiver j where a loyal node would send `truth`; -1:
 * nothing. TAMPER_RELAY and FORGE invert the value; how they disguise it (a changed
 * path, kept or forged signatures) is each algorithm's business. */
int byz_traitor_value(struct sim *s, const struct byz_node *nd, uint8_t truth, uint32_t j);
/* Records that a message was dropped unchecked (wrong round, malformed, ...). */
void byz_discard(struct sim *s, const struct byz_node *nd, const struct sim_msg *m, uint32_t why);
enum {
    BYZ_WHY_INSTANCE = 1, /* for another decision */
    BYZ_WHY_ROUND,        /* a chain or path whose length is not the round's */
    BYZ_WHY_FORMAT,       /* malformed payload */
    BYZ_WHY_RELAY,        /* OM: the path names a relay other than the sender (A2) */
    BYZ_WHY_DUPLICATE,    /* OM: a second value for the same path */
};
uint32_t byz_chain_links(const struct byz_chain *c); /* signers in a chain */

#endif
