/* Growth and sift-up of the event heap; pop is inline in heap.h. */
#include "heap.h"

#include <stdlib.h>

#include "err.h"

int heap_init(struct heap *h, size_t cap) {
    h->n = 0;
    h->cap = cap ? cap : 64;
    h->a = malloc(h->cap * sizeof *h->a);
    return h->a ? 0 : FT_ENOMEM;
}

void heap_free(struct heap *h) {
    free(h->a);
    h->a = NULL;
    h->n = h->cap = 0;
}

int heap_push(struct heap *h, struct heap_entry e) {
    if (h->n == h->cap) {
        size_t cap = h->cap * 2;
        struct heap_entry *a = realloc(h->a, cap * sizeof *a);
        if (!a) return FT_ENOMEM;
        h->a = a;
        h->cap = cap;
    }
    size_t i = h->n++;
    while (i > 0) {
        size_t p = (i - 1) / SIM_HEAP_D;
        if (!heap_less(&e, &h->a[p])) break;
        h->a[i] = h->a[p];
        i = p;
    }
    h->a[i] = e;
    return 0;
}
