/* bench/byzantine: wall time, messages and signature work of OM(m), SM(m) and
 * Dolev–Strong for n = 4..10, m = 1..3, with nobody lying and with m traitors (a
 * conflicting commander plus m - 1 tampering lieutenants), next to libsodium's own
 * Ed25519 rates measured in the same run, so SM's cost reads as key pairs + signatures
 * + verifications, each times libsodium's time for one (model_us). OM is skipped where
 * n < 3m + 1 (it cannot agree there), every algorithm where n < m + 2. Prints a table,
 * then `name value unit` lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "byzantine.h"
#include "clock.h"

#define REPS 5 /* best of */

/* libsodium alone: seconds per crypto_sign_seed_keypair, per crypto_sign_detached and
 * per crypto_sign_verify_detached on a 300-byte message (about an SM chain of four
 * links), best of REPS batches each. */
static void sodium_rates(double *keygen_s, double *sign_s, double *verify_s) {
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    unsigned char msg[300], sig[crypto_sign_BYTES], seed[crypto_sign_SEEDBYTES] = {7};
    memset(msg, 0xa5, sizeof msg);
    crypto_sign_seed_keypair(pk, sk, seed);
    const int batch = 2000;
    *keygen_s = *sign_s = *verify_s = 1e30;
    for (int r = 0; r < REPS; r++) {
        double tk = bench_seconds(CLOCK_MONOTONIC);
        for (int i = 0; i < batch; i++) {
            seed[1] = (unsigned char)i;
            crypto_sign_seed_keypair(pk, sk, seed);
        }
        double t0 = bench_seconds(CLOCK_MONOTONIC);
        if ((t0 - tk) / batch < *keygen_s) *keygen_s = (t0 - tk) / batch;
        for (int i = 0; i < batch; i++) {
            msg[0] = (unsigned char)i;
            crypto_sign_detached(sig, NULL, msg, sizeof msg, sk);
        }
        double t1 = bench_seconds(CLOCK_MONOTONIC);
        int bad = 0;
        for (int i = 0; i < batch; i++)
            bad += crypto_sign_verify_detached(sig, msg, sizeof msg, pk) != 0;
        double t2 = bench_seconds(CLOCK_MONOTONIC);
        if (bad) {
            fprintf(stderr, "byzantine: libsodium rejected a valid signature\n");
            exit(3);
        }
        if ((t1 - t0) / batch < *sign_s) *sign_s = (t1 - t0) / batch;
        if ((t2 - t1) / batch < *verify_s) *verify_s = (t2 - t1) / batch;
    }
}

/* Best wall time of REPS runs; *o gets the (identical) outcome. */
static double timed(const struct byz_config *c, struct byz_outcome *o) {
    double best = 1e30;
    struct ft_error err = {0};
    for (int r = 0; r < REPS; r++) {
        double t0 = bench_seconds(CLOCK_MONOTONIC);
        if (byz_run(c, 1, NULL, o, &err) != 0) {
            fprintf(stderr, "byzantine: %s\n", err.msg);
            exit(3);
        }
        double t = bench_seconds(CLOCK_MONOTONIC) - t0;
        if (t < best) best = t;
    }
    return best;
}

int main(int argc, char **argv) {
    uint32_t n_max = argc > 1 ? (uint32_t)atoi(argv[1]) : 10;
    if (sodium_init() < 0 || n_max < 4 || n_max > 10) {
        fprintf(stderr, "usage: byzantine [N_MAX (4..10, default 10)]\n");
        return 2;
    }
    double keygen_s, sign_s, verify_s, sm10_s = 0, sm10_model_s = 0;
    sodium_rates(&keygen_s, &sign_s, &verify_s);
    printf("%-12s %3s %2s %-8s %10s %9s %7s %9s %6s %9s %9s\n", "algorithm", "n", "m", "traitors",
           "wall_us", "messages", "signed", "verified", "hits", "rejected", "model_us");
    for (uint32_t n = 4; n <= n_max; n++)
        for (uint32_t m = 1; m <= 3; m++)
            for (int a = 0; a < BYZ_ALG_COUNT; a++)
                for (int lying = 0; lying < 2; lying++) {
                    if (m + 2 > n) {
                        if (!lying && a == 0)
                            printf("%-12s %3u %2u   skipped: m = %u needs n >= m + 2\n", "all", n,
                                   m, m);
                        continue;
                    }
                    if (a == BYZ_OM && n < 3 * m + 1) {
                        if (!lying)
                            printf("%-12s %3u %2u   skipped: OM(m) needs n >= 3m + 1\n", "om", n,
                                   m);
                        continue;
                    }
                    struct byz_config c;
                    byz_config_defaults(&c);
                    c.alg = (enum byz_alg)a;
                    c.n = n;
                    c.m = m;
                    if (lying) {
                        c.strategy[0] = BYZ_CONFLICTING;
                        for (uint32_t t = 1; t < m; t++)
                            c.strategy[t] = BYZ_TAMPER_RELAY;
                    }
                    struct byz_outcome o;
                    double wall = timed(&c, &o);
                    /* the crypto model: every Ed25519 operation at libsodium's own rate (n
                     * key pairs, the signatures made, the verifications run) */
                    double model = c.alg == BYZ_OM
                                       ? 0
                                       : (double)n * keygen_s + (double)o.signatures_made * sign_s +
                                             (double)o.signatures_verified * verify_s;
                    printf("%-12s %3u %2u %-8s %10.1f %9llu %7llu %9llu %6llu %9llu %9.1f\n",
                           byz_alg_name(c.alg), n, m, lying ? "m" : "none", wall * 1e6,
                           (unsigned long long)o.messages, (unsigned long long)o.signatures_made,
                           (unsigned long long)o.signatures_verified,
                           (unsigned long long)o.signature_cache_hits,
                           (unsigned long long)o.signatures_rejected, model * 1e6);
                    if (a == BYZ_SM && n == n_max && m == 3 && lying) {
                        sm10_s = wall;
                        sm10_model_s = model;
                    }
                    fflush(stdout);
                }
    printf("sodium.keygen_per_s %.0f keypairs/s\n", 1.0 / keygen_s);
    printf("sodium.sign_per_s %.0f signatures/s\n", 1.0 / sign_s);
    printf("sodium.verify_per_s %.0f verifications/s\n", 1.0 / verify_s);
    printf("sodium.verify_us %.2f us\n", verify_s * 1e6);
    if (n_max == 10) {
        printf("byz.sm.n10.m3.traitors_m.wall_ms %.3f ms\n", sm10_s * 1e3);
        printf("byz.sm.n10.m3.traitors_m.crypto_share %.2f ratio\n", sm10_model_s / sm10_s);
    }
    return 0;
}
