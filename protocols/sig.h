/* Ed25519 signatures for signed-message agreement (DESIGN.md §4), over libsodium.
 * A run's keyring derives every node's key pair from (run seed, node id); the secret
 * keys never leave sig.c. A node's code gets one `struct sig_signer` — its own — which
 * the keyring hands out once per id, so no code path signs as another node. Anyone may
 * verify with the public keys; a per-node verifier caches (message, signature) results
 * so a repeated chain prefix costs one Ed25519 check, and counts what it did. */
#ifndef FTSIM_SIG_H
#define FTSIM_SIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define SIG_BYTES 64u        /* crypto_sign_BYTES */
#define SIG_PUBKEY_BYTES 32u /* crypto_sign_PUBLICKEYBYTES */
#define SIG_KEYS_MAX 1024u   /* nodes in one keyring */
#define SIG_CACHE_SLOTS_MAX (1u << 20)

struct sig_keyring;  /* every key pair of a run: only the run's framework holds it */
struct sig_signer;   /* one node's secret key: signs as that node and no other */
struct sig_pubkeys;  /* every node's public key: anyone may verify */
struct sig_verifier; /* one node's verification context: public keys, cache, counters */

/* Derives n key pairs: node i's 32-byte Ed25519 seed is
 * BLAKE2b-256(key = seed as 8 little-endian bytes, message = "ftsim-ed25519" ||
 * i as 4 little-endian bytes), expanded by crypto_sign_seed_keypair. */
int sig_keyring_new(uint64_t seed, uint32_t n, struct sig_keyring **out, struct ft_error *err);
/* Frees the keyring; its signers must not be used afterwards. Secret keys are wiped. */
void sig_keyring_free(struct sig_keyring *k);
uint32_t sig_keyring_size(const struct sig_keyring *k);
const struct sig_pubkeys *sig_keyring_pubkeys(const struct sig_keyring *k);
/* Hands out node id's signer, once: a second call for the same id, or an id out of
 * range, returns NULL. The signer lives as long as the keyring. */
struct sig_signer *sig_keyring_take_signer(struct sig_keyring *k, uint32_t id);
/* Signatures made by all signers of the keyring so far. */
uint64_t sig_keyring_made(const struct sig_keyring *k);

uint32_t sig_signer_id(const struct sig_signer *s);
/* Signs msg with the signer's own secret key (crypto_sign_detached). */
void sig_sign(struct sig_signer *s, const void *msg, size_t len, uint8_t sig[SIG_BYTES]);

/* The public key of node id (SIG_PUBKEY_BYTES bytes), or NULL when out of range. */
const uint8_t *sig_pubkey(const struct sig_pubkeys *pk, uint32_t id);
uint32_t sig_pubkeys_count(const struct sig_pubkeys *pk);

/* A verifier whose cache holds up to cache_slots * 3/4 results (0: no cache; a power
 * of two otherwise, at most SIG_CACHE_SLOTS_MAX). The cache key is
 * BLAKE2b-256(signer id || msg || sig); a full cache stops remembering, which changes
 * costs, never results. */
int sig_verifier_new(const struct sig_pubkeys *pk, uint32_t cache_slots, struct sig_verifier **out,
                     struct ft_error *err);
void sig_verifier_free(struct sig_verifier *v);
/* Forgets every cached result (counters are kept). */
void sig_verifier_clear(struct sig_verifier *v);
/* True when sig is signer's valid signature of msg (crypto_sign_verify_detached, or
 * the cached result of the same check). A signer out of range is simply invalid. */
bool sig_verify(struct sig_verifier *v, uint32_t signer, const void *msg, size_t len,
                const uint8_t sig[SIG_BYTES]);

struct sig_stats {
    uint64_t verified;   /* Ed25519 verifications actually run (cache misses) */
    uint64_t rejected;   /* sig_verify calls that answered "invalid" */
    uint64_t cache_hits; /* sig_verify calls answered from the cache */
};
void sig_verifier_stats(const struct sig_verifier *v, struct sig_stats *out);

#endif
