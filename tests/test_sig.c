/* Signatures (protocols/sig.c): libsodium's Ed25519 gives RFC 8032's known answer; node
 * keys are exactly BLAKE2b-256(key = seed, "ftsim-ed25519" || id) expanded by
 * crypto_sign_seed_keypair, recomputed here with libsodium directly; a signature made
 * through a signer verifies under libsodium and fails after any one-bit change; a signer
 * is handed out once; the cache answers repeats without new checks and, when full,
 * changes costs but never results. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "sig.h"

static void from_hex(const char *hex, unsigned char *out, size_t n) {
    size_t len;
    assert_int_equal(sodium_hex2bin(out, n, hex, strlen(hex), NULL, &len, NULL), 0);
    assert_int_equal(len, n);
}

/* RFC 8032 section 7.1, TEST 1 (empty message). */
static void test_libsodium_ed25519_matches_rfc8032_test1(void **state) {
    (void)state;
    unsigned char seed[32], pk_want[32], sig_want[64], pk[32], sk[64], sig[64];
    from_hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", seed, 32);
    from_hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", pk_want, 32);
    from_hex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bac"
             "c61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
             sig_want, 64);
    assert_int_equal(sodium_init() >= 0, 1);
    assert_int_equal(crypto_sign_seed_keypair(pk, sk, seed), 0);
    assert_memory_equal(pk, pk_want, 32);
    assert_int_equal(crypto_sign_detached(sig, NULL, (const unsigned char *)"", 0, sk), 0);
    assert_memory_equal(sig, sig_want, 64);
    assert_int_equal(crypto_sign_verify_detached(sig_want, (const unsigned char *)"", 0, pk), 0);
}

/* The documented derivation, computed with libsodium alone. */
static void expected_pk(uint64_t seed, uint32_t id, unsigned char pk[32]) {
    unsigned char key[8], msg[13 + 4], s32[32], sk[64];
    for (int i = 0; i < 8; i++)
        key[i] = (unsigned char)(seed >> (8 * i));
    memcpy(msg, "ftsim-ed25519", 13);
    for (int i = 0; i < 4; i++)
        msg[13 + i] = (unsigned char)(id >> (8 * i));
    crypto_generichash(s32, 32, msg, sizeof msg, key, sizeof key);
    assert_int_equal(crypto_sign_seed_keypair(pk, sk, s32), 0);
}

static void test_keys_derive_from_seed_and_id_as_documented(void **state) {
    (void)state;
    static const uint64_t seeds[] = {0, 1, 42, UINT64_MAX};
    for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
        struct sig_keyring *k;
        struct ft_error err = {0};
        assert_int_equal(sig_keyring_new(seeds[s], 5, &k, &err), 0);
        assert_int_equal(sig_keyring_size(k), 5);
        assert_int_equal(sig_pubkeys_count(sig_keyring_pubkeys(k)), 5);
        for (uint32_t id = 0; id < 5; id++) {
            unsigned char want[32];
            expected_pk(seeds[s], id, want);
            assert_memory_equal(sig_pubkey(sig_keyring_pubkeys(k), id), want, 32);
        }
        assert_null(sig_pubkey(sig_keyring_pubkeys(k), 5));
        sig_keyring_free(k);
    }
}

static void test_keys_repeat_per_seed_and_differ_across_ids_and_seeds(void **state) {
    (void)state;
    struct sig_keyring *a, *b, *c;
    struct ft_error err = {0};
    assert_int_equal(sig_keyring_new(7, 8, &a, &err), 0);
    assert_int_equal(sig_keyring_new(7, 8, &b, &err), 0);
    assert_int_equal(sig_keyring_new(8, 8, &c, &err), 0);
    const struct sig_pubkeys *pa = sig_keyring_pubkeys(a), *pb = sig_keyring_pubkeys(b),
                             *pc = sig_keyring_pubkeys(c);
    for (uint32_t i = 0; i < 8; i++) {
        assert_memory_equal(sig_pubkey(pa, i), sig_pubkey(pb, i), SIG_PUBKEY_BYTES);
        assert_memory_not_equal(sig_pubkey(pa, i), sig_pubkey(pc, i), SIG_PUBKEY_BYTES);
        for (uint32_t j = 0; j < i; j++)
            assert_memory_not_equal(sig_pubkey(pa, i), sig_pubkey(pa, j), SIG_PUBKEY_BYTES);
    }
    sig_keyring_free(a);
    sig_keyring_free(b);
    sig_keyring_free(c);
}

static void test_a_signer_is_handed_out_once(void **state) {
    (void)state;
    struct sig_keyring *k;
    struct ft_error err = {0};
    assert_int_equal(sig_keyring_new(1, 3, &k, &err), 0);
    struct sig_signer *s2 = sig_keyring_take_signer(k, 2);
    assert_non_null(s2);
    assert_int_equal(sig_signer_id(s2), 2);
    assert_null(sig_keyring_take_signer(k, 2));
    assert_null(sig_keyring_take_signer(k, 3));
    assert_non_null(sig_keyring_take_signer(k, 0));
    sig_keyring_free(k);
}

static void test_keyring_size_limits(void **state) {
    (void)state;
    struct sig_keyring *k = (void *)1;
    struct ft_error err = {0};
    assert_int_equal(sig_keyring_new(1, 0, &k, &err), FT_ELIMIT);
    assert_null(k);
    assert_int_equal(sig_keyring_new(1, SIG_KEYS_MAX + 1, &k, &err), FT_ELIMIT);
    assert_non_null(strstr(err.msg, "1 to 1024 keys"));
    struct sig_verifier *v;
    assert_int_equal(sig_keyring_new(1, 2, &k, &err), 0);
    assert_int_equal(sig_verifier_new(sig_keyring_pubkeys(k), 3, &v, &err), FT_EINVAL);
    assert_int_equal(sig_verifier_new(sig_keyring_pubkeys(k), SIG_CACHE_SLOTS_MAX * 2, &v, &err),
                     FT_EINVAL);
    sig_keyring_free(k);
}

static void test_signature_verifies_and_any_flipped_bit_fails(void **state) {
    (void)state;
    struct sig_keyring *k;
    struct sig_verifier *v;
    struct ft_error err = {0};
    const char msg[] = "attack:0:2";
    uint8_t sig[SIG_BYTES], bad[SIG_BYTES];
    char m2[sizeof msg];
    assert_int_equal(sig_keyring_new(99, 4, &k, &err), 0);
    assert_int_equal(sig_verifier_new(sig_keyring_pubkeys(k), 0, &v, &err), 0);
    struct sig_signer *s = sig_keyring_take_signer(k, 2);
    sig_sign(s, msg, sizeof msg, sig);
    assert_int_equal(sig_keyring_made(k), 1);
    /* libsodium itself accepts it under node 2's public key */
    assert_int_equal(crypto_sign_verify_detached(sig, (const unsigned char *)msg, sizeof msg,
                                                 sig_pubkey(sig_keyring_pubkeys(k), 2)),
                     0);
    assert_true(sig_verify(v, 2, msg, sizeof msg, sig));
    assert_false(sig_verify(v, 1, msg, sizeof msg, sig)); /* another node's name */
    assert_false(sig_verify(v, 4, msg, sizeof msg, sig)); /* no such node */
    for (size_t bit = 0; bit < 8 * SIG_BYTES; bit += 37) {
        memcpy(bad, sig, sizeof bad);
        bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        assert_false(sig_verify(v, 2, msg, sizeof msg, bad));
    }
    for (size_t bit = 0; bit < 8 * sizeof msg; bit += 5) {
        memcpy(m2, msg, sizeof m2);
        m2[bit / 8] ^= (char)(1u << (bit % 8));
        assert_false(sig_verify(v, 2, m2, sizeof m2, sig));
    }
    struct sig_stats st;
    sig_verifier_stats(v, &st);
    size_t flips = (8 * SIG_BYTES + 36) / 37 + (8 * sizeof msg + 4) / 5;
    assert_int_equal(st.verified, 2 + flips); /* the out-of-range signer needs no check */
    assert_int_equal(st.rejected, 2 + flips);
    assert_int_equal(st.cache_hits, 0);
    sig_verifier_free(v);
    sig_keyring_free(k);
}

static void test_cache_answers_repeats_without_a_new_check(void **state) {
    (void)state;
    struct sig_keyring *k;
    struct sig_verifier *v;
    struct ft_error err = {0};
    uint8_t sig[SIG_BYTES];
    assert_int_equal(sig_keyring_new(5, 2, &k, &err), 0);
    assert_int_equal(sig_verifier_new(sig_keyring_pubkeys(k), 64, &v, &err), 0);
    sig_sign(sig_keyring_take_signer(k, 0), "v:0", 3, sig);
    for (int i = 0; i < 4; i++)
        assert_true(sig_verify(v, 0, "v:0", 3, sig));
    for (int i = 0; i < 3; i++)
        assert_false(sig_verify(v, 1, "v:0", 3, sig)); /* cached as invalid */
    struct sig_stats st;
    sig_verifier_stats(v, &st);
    assert_int_equal(st.verified, 2);
    assert_int_equal(st.cache_hits, 5);
    assert_int_equal(st.rejected, 3);
    sig_verifier_clear(v); /* forgets results, keeps counts */
    assert_true(sig_verify(v, 0, "v:0", 3, sig));
    sig_verifier_stats(v, &st);
    assert_int_equal(st.verified, 3);
    assert_int_equal(st.cache_hits, 5);
    sig_verifier_free(v);
    sig_keyring_free(k);
}

static void test_full_cache_changes_costs_not_results(void **state) {
    (void)state;
    struct sig_keyring *k;
    struct sig_verifier *v;
    struct ft_error err = {0};
    uint8_t sig[10][SIG_BYTES];
    char msg[10][8];
    assert_int_equal(sig_keyring_new(5, 1, &k, &err), 0);
    assert_int_equal(sig_verifier_new(sig_keyring_pubkeys(k), 4, &v, &err), 0); /* holds 3 */
    struct sig_signer *s = sig_keyring_take_signer(k, 0);
    for (int i = 0; i < 10; i++) {
        snprintf(msg[i], sizeof msg[i], "m%d", i);
        sig_sign(s, msg[i], sizeof msg[i], sig[i]);
    }
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < 10; i++) {
            assert_true(sig_verify(v, 0, msg[i], sizeof msg[i], sig[i]));
            assert_false(sig_verify(v, 0, msg[(i + 1) % 10], sizeof msg[i], sig[i]));
        }
    struct sig_stats st;
    sig_verifier_stats(v, &st);
    /* 40 checks; the first 3 distinct ones stay cached and are hits on the second pass */
    assert_int_equal(st.cache_hits, 3);
    assert_int_equal(st.verified, 37);
    assert_int_equal(st.rejected, 20);
    sig_verifier_free(v);
    sig_keyring_free(k);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_libsodium_ed25519_matches_rfc8032_test1),
        cmocka_unit_test(test_keys_derive_from_seed_and_id_as_documented),
        cmocka_unit_test(test_keys_repeat_per_seed_and_differ_across_ids_and_seeds),
        cmocka_unit_test(test_a_signer_is_handed_out_once),
        cmocka_unit_test(test_keyring_size_limits),
        cmocka_unit_test(test_signature_verifies_and_any_flipped_bit_fails),
        cmocka_unit_test(test_cache_answers_repeats_without_a_new_check),
        cmocka_unit_test(test_full_cache_changes_costs_not_results),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
