/* Exact percentiles from a multiset (sim/qset.h) and the map under it (sim/u64map.h):
 * the nearest ranks equal those of a qsorted copy of every value added, both while the
 * set counts a few distinct values and after it has turned to a plain array (many
 * distinct values); and the map agrees with a plain array of counts through inserts and
 * deletions that force backward shifts across the table's wrap-around; and selection in
 * place (sort.h) puts every asked position where qsort would, on inputs chosen to break
 * a quickselect (sorted, reversed, all equal, organ pipe, few values, sawtooth). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "qset.h"
#include "sort.h"
#include "testutil.h"
#include "u64map.h"

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static const uint8_t pct[] = {0, 1, 5, 25, 50, 75, 95, 99, 100};
enum { NPCT = sizeof pct / sizeof *pct };

/* Adds n values v % range (+ base) to a qset and to an array; compares every
 * percentile with sorted[ceil(n * p / 100) - 1] (sorted[0] for p = 0). */
static void check(uint64_t n, uint64_t range, uint64_t base, uint64_t seed, bool want_raw) {
    struct qset q = {0};
    uint64_t *ref = malloc((n ? n : 1) * sizeof *ref), x = seed;
    assert_non_null(ref);
    for (uint64_t i = 0; i < n; i++) {
        ref[i] = base + tu_splitmix64(&x) % range;
        assert_int_equal(qset_add(&q, ref[i]), 0);
    }
    assert_int_equal(q.raw, want_raw);
    qsort(ref, n, sizeof *ref, cmp_u64);
    uint64_t got[NPCT];
    assert_int_equal(qset_nearest_ranks(&q, pct, NPCT, got), 0);
    for (size_t i = 0; i < NPCT; i++) {
        uint64_t rank = (n * pct[i] + 99) / 100;
        assert_int_equal(got[i], n ? ref[rank ? rank - 1 : 0] : 0);
    }
    qset_free(&q);
    free(ref);
}

static void test_few_distinct_values_stay_counted(void **state) {
    (void)state;
    check(1, 1, 3000000, 1, false);
    check(200000, 3, 3000000, 2, false); /* a fixed-latency network: 3 values */
    check(100000, 1000, 1ull << 40, 3, false);
    check(7, 5, 0, 4, false);
    check(0, 1, 0, 5, false);
}

static void test_many_distinct_values_turn_to_an_array(void **state) {
    (void)state;
    check(100000, UINT64_MAX, 0, 6, true); /* every value distinct */
    check(50001, 1ull << 34, 0, 7, true);
}

/* The map against a plain array of counts, keys in a small range so that probe runs
 * meet and wrap around the table's end; deletions in random order. */
static void test_map_matches_an_array_through_deletions(void **state) {
    (void)state;
    enum { K = 5000 };
    uint64_t *want = calloc(K, sizeof *want), x = 11;
    assert_non_null(want);
    struct u64map m = {0};
    for (int round = 0; round < 200000; round++) {
        uint64_t k = tu_splitmix64(&x) % K;
        if (tu_splitmix64(&x) % 3 == 0) {
            u64map_del(&m, k * 0x100000000ull); /* keys far apart, homes anywhere */
            want[k] = 0;
        } else {
            uint64_t d = 1 + tu_splitmix64(&x) % 5;
            assert_int_equal(u64map_add(&m, k * 0x100000000ull, d), 0);
            want[k] += d;
        }
    }
    size_t n = 0;
    for (uint64_t k = 0; k < K; k++) {
        assert_int_equal(u64map_get(&m, k * 0x100000000ull), want[k]);
        n += want[k] != 0;
    }
    assert_int_equal(m.n, n);
    u64map_clear(&m);
    assert_int_equal(u64map_get(&m, 0), 0);
    u64map_free(&m);
    free(want);
}

enum { PATTERNS = 7 };

/* Key i of n in pattern `kind`: 0 sorted, 1 reversed, 2 all equal, 3 organ pipe, 4 three
 * values, 5 sawtooth, else random. */
static uint64_t pattern_key(size_t i, size_t n, int kind, uint64_t *x) {
    switch (kind) {
    case 0:
        return i;
    case 1:
        return n - i;
    case 2:
        return 7;
    case 3:
        return i < n / 2 ? i : n - i;
    case 4:
        return tu_splitmix64(x) % 3;
    case 5:
        return i % 17;
    default:
        return tu_splitmix64(x);
    }
}

static void test_select_puts_positions_where_a_sort_would(void **state) {
    (void)state;
    static const size_t sizes[] = {1, 2, 25, 26, 1000, 100003};
    uint64_t x = 21;
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        size_t n = sizes[s];
        uint64_t *a = malloc(n * sizeof *a), *ref = malloc(n * sizeof *ref);
        assert_non_null(a);
        assert_non_null(ref);
        for (int kind = 0; kind < PATTERNS; kind++) {
            for (size_t i = 0; i < n; i++)
                a[i] = pattern_key(i, n, kind, &x);
            memcpy(ref, a, n * sizeof *a);
            qsort(ref, n, sizeof *ref, cmp_u64);
            size_t pos[9] = {n - 1, 0, n / 2, n / 3, n - 1, (n * 99) / 100, n / 7, 1 % n, 0};
            size_t want[9];
            memcpy(want, pos, sizeof pos);
            select_u64(a, n, pos, 9);
            for (size_t i = 0; i < 9; i++)
                assert_int_equal(a[want[i]], ref[want[i]]);
            for (size_t i = 1; i < 9; i++)
                assert_true(pos[i - 1] <= pos[i]);
            select_u64(a, n, pos, 9); /* again on its own partly ordered output */
            for (size_t i = 0; i < 9; i++)
                assert_int_equal(a[want[i]], ref[want[i]]);
            qsort(a, n, sizeof *a, cmp_u64); /* still a permutation of the input */
            assert_memory_equal(a, ref, n * sizeof *a);
        }
        free(a);
        free(ref);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_few_distinct_values_stay_counted),
        cmocka_unit_test(test_many_distinct_values_turn_to_an_array),
        cmocka_unit_test(test_map_matches_an_array_through_deletions),
        cmocka_unit_test(test_select_puts_positions_where_a_sort_would),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
