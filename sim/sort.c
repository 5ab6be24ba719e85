/* LSD radix sort and in-place multi-selection of 64-bit keys; see sort.h. */
#include "sort.h"

/* Below this size an insertion sort wins: each radix pass clears 2048 counters. */
#define SORT_SMALL 192u
/* A range this short is finished by an insertion sort during selection. */
#define SELECT_SMALL 24u

static void insertion_sort(uint64_t *a, size_t n) {
    for (size_t i = 1; i < n; i++) {
        uint64_t v = a[i];
        size_t j = i;
        for (; j > 0 && a[j - 1] > v; j--)
            a[j] = a[j - 1];
        a[j] = v;
    }
}

uint64_t *sort_u64(uint64_t *a, uint64_t *tmp, size_t n) {
    enum { DIGIT_BITS = 11, DIGITS = 1 << DIGIT_BITS };
    if (n < SORT_SMALL) {
        insertion_sort(a, n);
        return a;
    }
    uint64_t max = 0;
    for (size_t i = 0; i < n; i++)
        if (a[i] > max) max = a[i];
    for (unsigned shift = 0; shift < 64 && (max >> shift) != 0; shift += DIGIT_BITS) {
        size_t count[DIGITS] = {0};
        for (size_t i = 0; i < n; i++)
            count[(a[i] >> shift) & (DIGITS - 1)]++;
        size_t sum = 0;
        for (size_t d = 0; d < DIGITS; d++) {
            size_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            tmp[count[(a[i] >> shift) & (DIGITS - 1)]++] = a[i];
        uint64_t *t = a;
        a = tmp;
        tmp = t;
    }
    return a;
}

/* ---- selection ---- */

static void sift_down(uint64_t *a, size_t root, size_t n) {
    for (size_t c; (c = 2 * root + 1) < n; root = c) {
        if (c + 1 < n && a[c + 1] > a[c]) c++;
        if (a[root] >= a[c]) return;
        uint64_t t = a[root];
        a[root] = a[c];
        a[c] = t;
    }
}

/* The fallback that bounds selection at O(n log n) whatever the input. */
static void heap_sort(uint64_t *a, size_t n) {
    for (size_t i = n / 2; i-- > 0;)
        sift_down(a, i, n);
    for (size_t end = n; end-- > 1;) {
        uint64_t t = a[0];
        a[0] = a[end];
        a[end] = t;
        sift_down(a, 0, end);
    }
}

static uint64_t median3(uint64_t x, uint64_t y, uint64_t z) {
    if (x > y) {
        uint64_t t = x;
        x = y;
        y = t;
    }
    return z <= x ? x : z >= y ? y : z;
}

/* Puts into place the sorted positions pos[0..k) (ascending, all in [lo, hi)) of a: a
 * three-way partition around a median of three (a run of equal keys costs one pass),
 * then on into the parts that hold a wanted position; at most `depth` partitions before
 * a heap sort. */
static void select_range(uint64_t *a, size_t lo, size_t hi, const size_t *pos, size_t k,
                         unsigned depth) {
    while (k && hi - lo > SELECT_SMALL) {
        if (!depth--) {
            heap_sort(a + lo, hi - lo);
            return;
        }
        uint64_t p = median3(a[lo], a[lo + (hi - lo) / 2], a[hi - 1]);
        size_t lt = lo, i = lo, gt = hi; /* [lo, lt) < p, [lt, i) == p, [gt, hi) > p */
        while (i < gt) {
            uint64_t v = a[i];
            if (v < p) {
                a[i++] = a[lt];
                a[lt++] = v;
            } else if (v > p) {
                a[i] = a[--gt];
                a[gt] = v;
            } else {
                i++;
            }
        }
        size_t kl = 0, kr = k; /* pos[0..kl) < lt, pos[kr..k) >= gt */
        while (kl < k && pos[kl] < lt)
            kl++;
        while (kr > kl && pos[kr - 1] >= gt)
            kr--;
        select_range(a, lo, lt, pos, kl, depth); /* [lt, gt) is in place already */
        lo = gt;
        pos += kr;
        k -= kr;
    }
    if (k) insertion_sort(a + lo, hi - lo);
}

void select_u64(uint64_t *a, size_t n, size_t *pos, size_t k) {
    for (size_t i = 1; i < k; i++) { /* positions ascending (k is small) */
        size_t v = pos[i], j = i;
        for (; j > 0 && pos[j - 1] > v; j--)
            pos[j] = pos[j - 1];
        pos[j] = v;
    }
    unsigned depth = 0;
    for (size_t m = n; m > 1; m >>= 1)
        depth += 2;
    select_range(a, 0, n, pos, k, depth);
}

int sort_cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}
