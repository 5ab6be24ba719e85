/* The aggregates' table; see window_state.h. */
#include "window_state.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

/* Every live entry into a fresh table of cap slots; pos[] follows its entries. */
static int rebuild(struct wtab *t, uint32_t cap, uint32_t *pos, size_t npos) {
    struct wagg *a = calloc(cap, sizeof *a);
    uint32_t *moved = npos ? malloc((size_t)t->cap * sizeof *moved) : NULL;
    if (!a || (npos && !moved)) {
        free(a);
        free(moved);
        return FT_ENOMEM;
    }
    struct wtab n = {a, cap, 0, 0};
    for (uint32_t i = 0; i < t->cap; i++) {
        if (t->a[i].state != WAGG_LIVE) continue;
        bool found;
        uint32_t j = wtab_find(&n, t->a[i].k, t->a[i].key, &found);
        FT_ASSERT(!found);
        n.a[j] = t->a[i];
        n.live++;
        if (moved) moved[i] = j;
    }
    for (size_t p = 0; p < npos; p++) {
        FT_ASSERT(pos[p] < t->cap && t->a[pos[p]].state == WAGG_LIVE);
        pos[p] = moved[pos[p]];
    }
    free(moved);
    free(t->a);
    *t = n;
    return 0;
}

int wtab_reserve(struct wtab *t, uint32_t n, uint32_t *pos, size_t npos) {
    uint64_t need = (uint64_t)t->live + t->tomb + n;
    if (t->cap && 2 * need <= t->cap) return 0;
    uint64_t cap = t->cap ? t->cap : 64;
    while (2 * ((uint64_t)t->live + n) > cap)
        cap *= 2; /* the tombstones go */
    if (cap > UINT32_MAX) return FT_ENOMEM;
    return rebuild(t, (uint32_t)cap, pos, npos);
}

void wtab_remove(struct wtab *t, uint32_t i) {
    FT_ASSERT(t->a[i].state == WAGG_LIVE);
    t->a[i].state = WAGG_TOMB;
    t->live--;
    t->tomb++;
}

int wtab_clone(const struct wtab *t, struct wtab *out) {
    *out = (struct wtab){0};
    if (!t->cap) return 0;
    out->a = malloc((size_t)t->cap * sizeof *out->a);
    if (!out->a) return FT_ENOMEM;
    memcpy(out->a, t->a, (size_t)t->cap * sizeof *out->a);
    out->cap = t->cap;
    out->live = t->live;
    out->tomb = t->tomb;
    return 0;
}

void wtab_free(struct wtab *t) {
    free(t->a);
    memset(t, 0, sizeof *t);
}
