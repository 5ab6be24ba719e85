/* The event heap (sim/heap.h): pops come out in (time, seq) order — ties in time
 * resolve by seq — and the payload travels with its key. Expected orders come from a
 * qsort-sorted reference or a linear-scan minimum, never from the heap itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "heap.h"
#include "testutil.h"

#define HEAP_N 100000u

static int cmp_time_seq(const void *a, const void *b) {
    const struct heap_entry *x = a, *y = b;
    if (x->time != y->time) return x->time < y->time ? -1 : 1;
    if (x->seq != y->seq) return x->seq < y->seq ? -1 : 1;
    return 0;
}

/* Pushes `n` entries with times in [0, time_range) (so many share a time) and
 * seq[i] from `seqs`, pops them all and compares with the sorted reference. */
static void check_pop_order(const uint64_t *seqs, uint32_t n, uint64_t time_range,
                            uint64_t rng_seed) {
    struct heap_entry *ref = malloc(n * sizeof *ref);
    assert_non_null(ref);
    struct heap h;
    assert_int_equal(heap_init(&h, 16), 0); /* small: growth is exercised too */
    uint64_t x = rng_seed;
    for (uint32_t i = 0; i < n; i++) {
        ref[i] = (struct heap_entry){tu_splitmix64(&x) % time_range, seqs[i], i};
        assert_int_equal(heap_push(&h, ref[i]), 0);
    }
    assert_int_equal(h.n, n);
    qsort(ref, n, sizeof *ref, cmp_time_seq);
    for (uint32_t i = 0; i < n; i++) {
        assert_non_null(heap_top(&h));
        assert_int_equal(heap_top(&h)->seq, ref[i].seq);
        struct heap_entry e = heap_pop(&h);
        if (e.time != ref[i].time || e.seq != ref[i].seq || e.slot != ref[i].slot)
            fail_msg("pop %u: got (%llu, %llu, slot %llu), expected (%llu, %llu, slot %llu)", i,
                     (unsigned long long)e.time, (unsigned long long)e.seq,
                     (unsigned long long)e.slot, (unsigned long long)ref[i].time,
                     (unsigned long long)ref[i].seq, (unsigned long long)ref[i].slot);
    }
    assert_int_equal(h.n, 0);
    assert_null(heap_top(&h));
    heap_free(&h);
    free(ref);
}

static void test_pop_order_matches_sorted_reference_with_many_equal_times(void **state) {
    (void)state;
    uint64_t *seqs = malloc(HEAP_N * sizeof *seqs);
    assert_non_null(seqs);
    for (uint32_t i = 0; i < HEAP_N; i++)
        seqs[i] = i;                              /* as the kernel assigns them */
    check_pop_order(seqs, HEAP_N, 1000, 1);       /* ~100 entries per time */
    check_pop_order(seqs, HEAP_N, 3, 2);          /* ~33000 entries per time */
    check_pop_order(seqs, HEAP_N, UINT64_MAX, 3); /* nearly all distinct */
    free(seqs);
}

static void test_ties_come_out_in_seq_order_whatever_the_push_order(void **state) {
    (void)state;
    uint64_t *seqs = malloc(HEAP_N * sizeof *seqs);
    assert_non_null(seqs);
    for (uint32_t i = 0; i < HEAP_N; i++)
        seqs[i] = i;
    uint64_t x = 42; /* Fisher-Yates shuffle: seqs are unique but pushed out of order */
    for (uint32_t i = HEAP_N - 1; i > 0; i--) {
        uint32_t j = (uint32_t)(tu_splitmix64(&x) % (i + 1));
        uint64_t t = seqs[i];
        seqs[i] = seqs[j];
        seqs[j] = t;
    }
    check_pop_order(seqs, HEAP_N, 100, 4);
    check_pop_order(seqs, HEAP_N, 1, 5); /* every time equal: pure seq order */
    free(seqs);
}

/* Reference queue: an unsorted array; pop takes the (time, seq) minimum by linear scan. */
struct ref_queue {
    struct heap_entry *a;
    size_t n;
};

static struct heap_entry ref_pop(struct ref_queue *q) {
    size_t best = 0;
    for (size_t i = 1; i < q->n; i++)
        if (cmp_time_seq(&q->a[i], &q->a[best]) < 0) best = i;
    struct heap_entry e = q->a[best];
    q->a[best] = q->a[--q->n];
    return e;
}

static void test_interleaved_push_pop_replace_matches_reference(void **state) {
    (void)state;
    enum { OPS = 30000, CAP = 30000 };
    struct ref_queue q = {malloc(CAP * sizeof *q.a), 0};
    assert_non_null(q.a);
    struct heap h;
    assert_int_equal(heap_init(&h, 0), 0);
    uint64_t x = 7, seq = 0, now = 0;
    for (uint32_t op = 0; op < OPS; op++) {
        /* Phases: mostly pushes, balanced, mostly pops, so the size rises and falls. */
        uint32_t push_pct = op < OPS / 3 ? 70 : op < 2 * OPS / 3 ? 50 : 30;
        bool push = q.n == 0 || tu_splitmix64(&x) % 100 < push_pct;
        if (push) {
            /* Like the kernel: times never before the last popped time, often equal. */
            struct heap_entry e = {now + tu_splitmix64(&x) % 50, seq++, op};
            q.a[q.n++] = e;
            assert_int_equal(heap_push(&h, e), 0);
        } else {
            /* A third of the pops are replace-tops: pop the minimum, then push e (which
             * may be smaller than everything left, even than the popped one). */
            bool replace = tu_splitmix64(&x) % 3 == 0;
            struct heap_entry e = {now + tu_splitmix64(&x) % 50, seq++, op};
            struct heap_entry want = ref_pop(&q);
            struct heap_entry got = replace ? heap_replace_top(&h, e) : heap_pop(&h);
            if (replace) q.a[q.n++] = e;
            if (got.time != want.time || got.seq != want.seq || got.slot != want.slot)
                fail_msg("op %u: popped (%llu, %llu), expected (%llu, %llu)", op,
                         (unsigned long long)got.time, (unsigned long long)got.seq,
                         (unsigned long long)want.time, (unsigned long long)want.seq);
            now = got.time;
        }
        assert_int_equal(h.n, q.n);
    }
    while (q.n) {
        struct heap_entry want = ref_pop(&q), got = heap_pop(&h);
        assert_int_equal(got.seq, want.seq);
    }
    assert_null(heap_top(&h));
    heap_free(&h);
    free(q.a);
}

static void test_single_entry_and_empty_heap(void **state) {
    (void)state;
    struct heap h;
    assert_int_equal(heap_init(&h, 1), 0);
    assert_null(heap_top(&h));
    assert_int_equal(heap_push(&h, (struct heap_entry){5, 9, 77}), 0);
    assert_int_equal(heap_top(&h)->time, 5);
    struct heap_entry e = heap_pop(&h);
    assert_int_equal(e.time, 5);
    assert_int_equal(e.seq, 9);
    assert_int_equal(e.slot, 77);
    assert_int_equal(h.n, 0);
    assert_null(heap_top(&h));
    heap_free(&h);
    assert_null(h.a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pop_order_matches_sorted_reference_with_many_equal_times),
        cmocka_unit_test(test_ties_come_out_in_seq_order_whatever_the_push_order),
        cmocka_unit_test(test_interleaved_push_pop_replace_matches_reference),
        cmocka_unit_test(test_single_entry_and_empty_heap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
