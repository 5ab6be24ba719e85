/* Keyring, signers and cached verifiers over libsodium's Ed25519 (sig.h). Secret keys
 * exist only inside struct sig_signer, defined here; they are wiped on free. The
 * verification cache is open addressing with linear probing over 32-byte BLAKE2b keys:
 * its contents depend only on the sequence of checks, never on addresses. */
#include "sig.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

_Static_assert(SIG_BYTES == crypto_sign_BYTES, "Ed25519 signature size");
_Static_assert(SIG_PUBKEY_BYTES == crypto_sign_PUBLICKEYBYTES, "Ed25519 public key size");

#define KEY_DOMAIN "ftsim-ed25519"
#define CACHE_KEY_BYTES 32u

struct sig_signer {
    uint32_t id;
    bool taken;
    uint64_t made;
    unsigned char sk[crypto_sign_SECRETKEYBYTES];
};

struct sig_pubkeys {
    uint32_t n;
    unsigned char (*pk)[crypto_sign_PUBLICKEYBYTES];
};

struct sig_keyring {
    struct sig_pubkeys pub;
    struct sig_signer *signers;
};

struct cache_slot {
    unsigned char key[CACHE_KEY_BYTES];
    uint8_t used, valid;
};

struct sig_verifier {
    const struct sig_pubkeys *pk;
    struct cache_slot *slots;
    uint32_t nslots, used;
    struct sig_stats st;
};

static void put32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void derive_seed(uint64_t seed, uint32_t id, unsigned char out[crypto_sign_SEEDBYTES]) {
    unsigned char key[8], msg[sizeof KEY_DOMAIN - 1 + 4];
    for (int i = 0; i < 8; i++)
        key[i] = (unsigned char)(seed >> (8 * i));
    memcpy(msg, KEY_DOMAIN, sizeof KEY_DOMAIN - 1);
    put32(msg + sizeof KEY_DOMAIN - 1, id);
    crypto_generichash(out, crypto_sign_SEEDBYTES, msg, sizeof msg, key, sizeof key);
}

int sig_keyring_new(uint64_t seed, uint32_t n, struct sig_keyring **out, struct ft_error *err) {
    _Static_assert(crypto_sign_SEEDBYTES == 32, "seed is BLAKE2b-256");
    *out = NULL;
    if (n == 0 || n > SIG_KEYS_MAX)
        return ft_fail(err, FT_ELIMIT, "a keyring holds 1 to %u keys, asked for %u", SIG_KEYS_MAX,
                       n);
    if (sodium_init() < 0) return ft_fail(err, FT_ECRYPTO, "libsodium failed to initialise");
    struct sig_keyring *k = calloc(1, sizeof *k);
    if (k) k->pub.pk = calloc(n, sizeof *k->pub.pk);
    if (k && k->pub.pk) k->signers = calloc(n, sizeof *k->signers);
    if (!k || !k->pub.pk || !k->signers) {
        sig_keyring_free(k);
        return ft_fail(err, FT_ENOMEM, "out of memory for %u keys", n);
    }
    k->pub.n = n;
    for (uint32_t i = 0; i < n; i++) {
        unsigned char s32[crypto_sign_SEEDBYTES];
        derive_seed(seed, i, s32);
        k->signers[i].id = i;
        int rc = crypto_sign_seed_keypair(k->pub.pk[i], k->signers[i].sk, s32);
        sodium_memzero(s32, sizeof s32);
        if (rc != 0) {
            sig_keyring_free(k);
            return ft_fail(err, FT_ECRYPTO, "crypto_sign_seed_keypair failed for node %u", i);
        }
    }
    *out = k;
    return 0;
}

void sig_keyring_free(struct sig_keyring *k) {
    if (!k) return;
    if (k->signers) {
        sodium_memzero(k->signers, (size_t)k->pub.n * sizeof *k->signers);
        free(k->signers);
    }
    free(k->pub.pk);
    free(k);
}

uint32_t sig_keyring_size(const struct sig_keyring *k) {
    return k->pub.n;
}

const struct sig_pubkeys *sig_keyring_pubkeys(const struct sig_keyring *k) {
    return &k->pub;
}

struct sig_signer *sig_keyring_take_signer(struct sig_keyring *k, uint32_t id) {
    if (id >= k->pub.n || k->signers[id].taken) return NULL;
    k->signers[id].taken = true;
    return &k->signers[id];
}

uint64_t sig_keyring_made(const struct sig_keyring *k) {
    uint64_t made = 0;
    for (uint32_t i = 0; i < k->pub.n; i++)
        made += k->signers[i].made;
    return made;
}

uint32_t sig_signer_id(const struct sig_signer *s) {
    return s->id;
}

void sig_sign(struct sig_signer *s, const void *msg, size_t len, uint8_t sig[SIG_BYTES]) {
    crypto_sign_detached(sig, NULL, msg, len, s->sk);
    s->made++;
}

const uint8_t *sig_pubkey(const struct sig_pubkeys *pk, uint32_t id) {
    return id < pk->n ? pk->pk[id] : NULL;
}

uint32_t sig_pubkeys_count(const struct sig_pubkeys *pk) {
    return pk->n;
}

int sig_verifier_new(const struct sig_pubkeys *pk, uint32_t cache_slots, struct sig_verifier **out,
                     struct ft_error *err) {
    *out = NULL;
    if (cache_slots > SIG_CACHE_SLOTS_MAX || (cache_slots & (cache_slots - 1)))
        return ft_fail(err, FT_EINVAL,
                       "a verification cache has a power-of-two number of slots up to %u, "
                       "asked for %u",
                       SIG_CACHE_SLOTS_MAX, cache_slots);
    struct sig_verifier *v = calloc(1, sizeof *v);
    if (v && cache_slots) v->slots = calloc(cache_slots, sizeof *v->slots);
    if (!v || (cache_slots && !v->slots)) {
        free(v);
        return ft_fail(err, FT_ENOMEM, "out of memory for a verification cache");
    }
    v->pk = pk;
    v->nslots = cache_slots;
    *out = v;
    return 0;
}

void sig_verifier_free(struct sig_verifier *v) {
    if (!v) return;
    free(v->slots);
    free(v);
}

void sig_verifier_clear(struct sig_verifier *v) {
    if (v->slots) memset(v->slots, 0, (size_t)v->nslots * sizeof *v->slots);
    v->used = 0;
}

static void cache_key(uint32_t signer, const void *msg, size_t len, const uint8_t *sig,
                      unsigned char out[CACHE_KEY_BYTES]) {
    crypto_generichash_state st;
    unsigned char id[4];
    put32(id, signer);
    crypto_generichash_init(&st, NULL, 0, CACHE_KEY_BYTES);
    crypto_generichash_update(&st, id, sizeof id);
    crypto_generichash_update(&st, msg, len);
    crypto_generichash_update(&st, sig, SIG_BYTES);
    crypto_generichash_final(&st, out, CACHE_KEY_BYTES);
}

/* The slot holding key, or the empty slot where it would go (NULL: table full). */
static struct cache_slot *cache_find(struct sig_verifier *v, const unsigned char *key) {
    uint32_t mask = v->nslots - 1, h = 0;
    for (int i = 0; i < 4; i++)
        h |= (uint32_t)key[i] << (8 * i);
    for (uint32_t probe = 0; probe < v->nslots; probe++) {
        struct cache_slot *sl = &v->slots[(h + probe) & mask];
        if (!sl->used || memcmp(sl->key, key, CACHE_KEY_BYTES) == 0) return sl;
    }
    return NULL;
}

bool sig_verify(struct sig_verifier *v, uint32_t signer, const void *msg, size_t len,
                const uint8_t sig[SIG_BYTES]) {
    const uint8_t *pk = sig_pubkey(v->pk, signer);
    if (!pk) {
        v->st.rejected++;
        return false;
    }
    unsigned char key[CACHE_KEY_BYTES];
    struct cache_slot *sl = NULL;
    if (v->nslots) {
        cache_key(signer, msg, len, sig, key);
        sl = cache_find(v, key);
        if (sl && sl->used) {
            v->st.cache_hits++;
            v->st.rejected += !sl->valid;
            return sl->valid;
        }
    }
    bool ok = crypto_sign_verify_detached(sig, msg, len, pk) == 0;
    v->st.verified++;
    v->st.rejected += !ok;
    if (sl && v->used < v->nslots / 4 * 3) { /* keep a quarter empty: probes stay short */
        memcpy(sl->key, key, CACHE_KEY_BYTES);
        sl->used = 1;
        sl->valid = ok;
        v->used++;
    }
    return ok;
}

void sig_verifier_stats(const struct sig_verifier *v, struct sig_stats *out) {
    *out = v->st;
}
