/* The ledger (analysis/ledger.c): lost, delivered and duplicated counts per record,
 * unknown ids, and nearest-rank p50/p99 of first-visibility latencies — checked on
 * lists stated by hand and, for large random inputs, against qsort of the same values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ledger.h"
#include "testutil.h"

static void test_counts_and_percentiles_by_hand(void **state) {
    (void)state;
    struct ledger l;
    assert_int_equal(ledger_init(&l, 6), 0);
    /* record: 0 once (lat 30), 1 twice (first 10, then 99), 2 never, 3 once (lat 20),
     * 4 three times (first 50), 5 never; plus an id past the end. */
    ledger_visible(&l, 0, 30);
    ledger_visible(&l, 1, 10);
    ledger_visible(&l, 1, 99);
    ledger_visible(&l, 3, 20);
    ledger_visible(&l, 4, 50);
    ledger_visible(&l, 4, 1);
    ledger_visible(&l, 4, 2);
    ledger_visible(&l, 6, 5);
    struct ledger_summary s;
    assert_int_equal(ledger_summarise(&l, &s), 0);
    assert_int_equal(s.delivered, 4);
    assert_int_equal(s.lost, 2);
    assert_int_equal(s.duplicated, 1 + 2);
    assert_int_equal(l.unknown, 1);
    /* first latencies 10, 20, 30, 50: p50 = rank ceil(2) = 20, p99 = rank ceil(3.96) = 50 */
    assert_int_equal(s.latency_p50_ns, 20);
    assert_int_equal(s.latency_p99_ns, 50);
    ledger_free(&l);
}

static void test_empty_and_all_lost(void **state) {
    (void)state;
    struct ledger l;
    struct ledger_summary s;
    assert_int_equal(ledger_init(&l, 0), 0);
    assert_int_equal(ledger_summarise(&l, &s), 0);
    assert_int_equal(s.delivered + s.lost + s.duplicated + s.latency_p99_ns, 0);
    ledger_free(&l);
    assert_int_equal(ledger_init(&l, 3), 0);
    assert_int_equal(ledger_summarise(&l, &s), 0);
    assert_int_equal(s.lost, 3);
    assert_int_equal(s.latency_p50_ns, 0);
    ledger_free(&l);
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Latencies spanning 0 .. 2^63 (so every radix pass runs) and a narrow range with
 * many ties: the percentiles equal those of a qsorted copy. */
static void test_percentiles_match_a_sorted_reference(void **state) {
    (void)state;
    const uint64_t ranges[] = {UINT64_MAX / 2, 1000, 1ull << 33};
    for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
        enum { N = 100003 };
        struct ledger l;
        assert_int_equal(ledger_init(&l, N), 0);
        uint64_t *ref = malloc(N * sizeof *ref), x = 17 + r, k = 0;
        assert_non_null(ref);
        for (uint64_t i = 0; i < N; i++) {
            if (tu_splitmix64(&x) % 10 == 0) continue; /* lost */
            uint64_t lat = tu_splitmix64(&x) % ranges[r];
            ledger_visible(&l, i, lat);
            ref[k++] = lat;
        }
        qsort(ref, k, sizeof *ref, cmp_u64);
        struct ledger_summary s;
        assert_int_equal(ledger_summarise(&l, &s), 0);
        assert_int_equal(s.delivered, k);
        assert_int_equal(s.latency_p50_ns, ref[(k * 50 + 99) / 100 - 1]);
        assert_int_equal(s.latency_p99_ns, ref[(k * 99 + 99) / 100 - 1]);
        free(ref);
        ledger_free(&l);
    }
}

/* ledger_sort against qsort at every size from 0 to 600 (both sides of the switch from
 * insertion sort to radix sort) and with values needing 1 to 6 radix passes. */
static void test_ledger_sort_matches_qsort_at_every_size(void **state) {
    (void)state;
    uint64_t x = 5, a[600], b[600];
    for (size_t n = 0; n <= 600; n++) {
        uint64_t range = n % 3 == 0 ? 50 : n % 3 == 1 ? (1ull << 40) : UINT64_MAX;
        for (size_t i = 0; i < n; i++) a[i] = b[i] = tu_splitmix64(&x) % range;
        assert_int_equal(ledger_sort(a, n), 0);
        qsort(b, n, sizeof *b, cmp_u64);
        if (n) assert_memory_equal(a, b, n * sizeof *a);
    }
}

/* The compact ledger (2 bits per record) and the full one (ledger_init_full) summarise
 * a random visibility pattern alike; copies read back exact from the full one and
 * saturated at 2 from the compact one, against counts kept here. */
static void test_compact_and_full_ledgers_agree(void **state) {
    (void)state;
    enum { N = 50001 };
    struct ledger c, f;
    assert_int_equal(ledger_init(&c, N), 0);
    assert_int_equal(ledger_init_full(&f, N), 0);
    uint32_t *copies = calloc(N, sizeof *copies);
    assert_non_null(copies);
    uint64_t x = 9, dup = 0, seen = 0;
    for (int i = 0; i < 3 * N; i++) {
        uint64_t rec = tu_splitmix64(&x) % (N + 10); /* a few unknown ids too */
        uint64_t lat = 1000 + tu_splitmix64(&x) % 7;
        ledger_visible(&c, rec, lat);
        ledger_visible(&f, rec, lat);
        if (rec >= N) continue;
        dup += copies[rec] > 0;
        seen += copies[rec] == 0;
        copies[rec]++;
    }
    for (uint64_t r = 0; r < N; r++) {
        assert_int_equal(ledger_copies(&f, r), copies[r]);
        assert_int_equal(ledger_copies(&c, r), copies[r] < 2 ? copies[r] : 2);
    }
    struct ledger_summary sc, sf;
    uint64_t qc[LEDGER_QUANTILES], qf[LEDGER_QUANTILES];
    uint32_t nc, nf;
    assert_int_equal(ledger_summarise_q(&c, &sc, qc, &nc), 0);
    assert_int_equal(ledger_summarise_q(&f, &sf, qf, &nf), 0);
    assert_int_equal(sc.delivered, seen);
    assert_int_equal(sc.lost, N - seen);
    assert_int_equal(sc.duplicated, dup);
    assert_memory_equal(&sc, &sf, sizeof sc);
    assert_int_equal(nc, nf);
    assert_memory_equal(qc, qf, sizeof qc);
    assert_int_equal(c.unknown, f.unknown);
    ledger_free(&c);
    ledger_free(&f);
    free(copies);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_and_percentiles_by_hand),
        cmocka_unit_test(test_empty_and_all_lost),
        cmocka_unit_test(test_percentiles_match_a_sorted_reference),
        cmocka_unit_test(test_ledger_sort_matches_qsort_at_every_size),
        cmocka_unit_test(test_compact_and_full_ledgers_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
