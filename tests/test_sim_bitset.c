/* The sliding bitset (sim/bitset.h): insert and has agree with a plain byte-per-index
 * reference for in-order, out-of-order (within a window) and sparse inserts, across
 * clears; and its memory follows the span of indices not yet all seen, not the largest
 * index (the bound by which a dedup table stays as small as the protocol's window). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bitset.h"
#include "testutil.h"

enum { N = 200000 };

/* Inserts indices below N in the order `order` gives (each once or twice) and checks
 * every return value and then every has() against the reference. */
static void check_against_reference(const uint64_t *order, size_t n) {
    unsigned char *ref = calloc(N, 1);
    assert_non_null(ref);
    struct bitset b = {0};
    for (size_t i = 0; i < n; i++) {
        int want = ref[order[i]] ? 0 : 1;
        assert_int_equal(bitset_insert(&b, order[i]), want);
        ref[order[i]] = 1;
    }
    for (uint64_t i = 0; i < N; i++)
        assert_int_equal(bitset_has(&b, i), ref[i] != 0);
    assert_false(bitset_has(&b, (uint64_t)N + 12345));
    bitset_clear(&b);
    for (uint64_t i = 0; i < N; i += 997)
        assert_false(bitset_has(&b, i));
    assert_int_equal(bitset_insert(&b, 5), 1);
    assert_int_equal(bitset_insert(&b, 5), 0);
    bitset_free(&b);
    free(ref);
}

static void test_in_order_with_repeats(void **state) {
    (void)state;
    uint64_t *order = malloc(2 * N * sizeof *order);
    assert_non_null(order);
    size_t n = 0;
    for (uint64_t i = 0; i < N; i++) {
        order[n++] = i;
        if (i % 7 == 0) order[n++] = i / 2; /* a late repeat of an older index */
    }
    check_against_reference(order, n);
    free(order);
}

/* Each index arrives somewhere within a window of w places of its turn (a retry, a
 * reordering network), some twice, and one index in 5000 never arrives at all. */
static void test_out_of_order_within_a_window(void **state) {
    (void)state;
    const uint64_t windows[] = {1, 63, 64, 65, 1000};
    for (size_t k = 0; k < sizeof windows / sizeof *windows; k++) {
        uint64_t *order = malloc(2 * N * sizeof *order), x = 99 + k;
        assert_non_null(order);
        size_t n = 0;
        for (uint64_t i = 0; i < N; i++) {
            if (i % 5000 == 4999) continue;
            order[n++] = i;
            if (tu_splitmix64(&x) % 4 == 0) order[n++] = i;
        }
        for (size_t i = 0; i + 1 < n; i++) { /* local shuffle: swap with up to w ahead */
            size_t j = i + tu_splitmix64(&x) % windows[k];
            if (j >= n) j = n - 1;
            uint64_t t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        check_against_reference(order, n);
        free(order);
    }
}

static void test_sparse_indices(void **state) {
    (void)state;
    uint64_t order[4000], x = 7;
    for (size_t i = 0; i < 4000; i++)
        order[i] = tu_splitmix64(&x) % N;
    check_against_reference(order, 4000);
}

/* 10^7 indices in order, each arriving up to 100 places late: the ring never needs more
 * than a few words beyond those 100 bits, while a plain bitset would hold 1.25 MB. */
static void test_memory_follows_the_window_not_the_largest_index(void **state) {
    (void)state;
    struct bitset b = {0};
    uint64_t pending[100], x = 3;
    for (uint64_t i = 0; i < 100; i++)
        pending[i] = UINT64_MAX;
    for (uint64_t i = 0; i < 10000000; i++) {
        uint64_t slot = tu_splitmix64(&x) % 100;
        if (pending[slot] != UINT64_MAX) assert_int_equal(bitset_insert(&b, pending[slot]), 1);
        pending[slot] = i;
    }
    assert_true(bitset_bytes(&b) <= 64 * sizeof(uint64_t) * 2);
    for (uint64_t i = 0; i < 100; i++)
        if (pending[i] != UINT64_MAX) assert_false(bitset_has(&b, pending[i]));
    bitset_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order_with_repeats),
        cmocka_unit_test(test_out_of_order_within_a_window),
        cmocka_unit_test(test_sparse_indices),
        cmocka_unit_test(test_memory_follows_the_window_not_the_largest_index),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
