/* The event queue: a d-ary min-heap of (time, seq, slot) entries, 24 bytes each.
 * Ordered by time, then seq; seq is unique, so the order is total and pops are
 * deterministic. SIM_HEAP_D = 2: a binary heap measured faster than a 4-ary one here
 * (DESIGN.md §2). The bench uses this same code as the "raw heap" baseline. */
#ifndef FTSIM_HEAP_H
#define FTSIM_HEAP_H

#include <stddef.h>
#include <stdint.h>

#ifndef SIM_HEAP_D
#define SIM_HEAP_D 2
#endif

struct heap_entry {
    uint64_t time;
    uint64_t seq;
    uint64_t slot; /* caller's payload: an event slot index */
};

struct heap {
    struct heap_entry *a;
    size_t n, cap;
};

int heap_init(struct heap *h, size_t cap);
void heap_free(struct heap *h);
/* Grows as needed; returns 0 or FT_ENOMEM. */
int heap_push(struct heap *h, struct heap_entry e);

static inline int heap_less(const struct heap_entry *x, const struct heap_entry *y) {
    return x->time < y->time || (x->time == y->time && x->seq < y->seq);
}

/* Sifts `e` down from the root, as if the root had been removed and e pushed, in one
 * pass; the heap must not be empty. */
static inline void heap_sift_root(struct heap *h, struct heap_entry e) {
    size_t n = h->n, i = 0;
    for (;;) {
        size_t c = i * SIM_HEAP_D + 1;
        if (c >= n) break;
        size_t best = c;
        size_t end = c + SIM_HEAP_D < n ? c + SIM_HEAP_D : n;
        for (size_t k = c + 1; k < end; k++)
            if (heap_less(&h->a[k], &h->a[best])) best = k;
        if (!heap_less(&h->a[best], &e)) break;
        h->a[i] = h->a[best];
        i = best;
    }
    h->a[i] = e;
}

/* Removes and returns the minimum; the heap must not be empty. */
static inline struct heap_entry heap_pop(struct heap *h) {
    struct heap_entry top = h->a[0];
    struct heap_entry last = h->a[--h->n];
    if (h->n > 0) heap_sift_root(h, last);
    return top;
}

/* Removes and returns the minimum and inserts e: one sift instead of a pop and a push.
 * The heap must not be empty. */
static inline struct heap_entry heap_replace_top(struct heap *h, struct heap_entry e) {
    struct heap_entry top = h->a[0];
    heap_sift_root(h, e);
    return top;
}

static inline const struct heap_entry *heap_top(const struct heap *h) {
    return h->n ? &h->a[0] : NULL;
}

#endif
