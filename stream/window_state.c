/* The aggregates' table; see window_state.h. */
#include "window_state.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

/* A table array of cap entries, each in a cache line of its own (malloc aligns to 16
 * bytes only: an entry would straddle two lines, and a probe would miss twice). */
static struct wagg *aligned_table(size_t cap) {
    void *a;
    return posix_memalign(&a, sizeof(struct wagg), cap * sizeof(struct wagg)) ? NULL : a;
}

/* Every live entry, in slot order, into a cleared table of cap slots; pos[] follows its
 * entries. The entries wait in a compact list while the array itself is cleared (a
 * purge), or replaced by a larger aligned one (growth). */
static int rebuild(struct wtab *t, uint32_t cap, uint32_t *pos, size_t npos) {
    struct wagg *list = malloc((t->live ? t->live : 1) * sizeof *list);
    uint32_t *idx = npos ? malloc((size_t)t->cap * sizeof *idx) : NULL;        /* slot -> list */
    uint32_t *to = npos ? malloc((t->live ? t->live : 1) * sizeof *to) : NULL; /* list -> slot */
    struct wagg *old = t->a, *a = old;
    if (cap != t->cap && (!list || !(a = aligned_table(cap)))) a = NULL;
    if (!list || (npos && (!idx || !to)) || !a) {
        if (a != old) free(a);
        free(list);
        free(idx);
        free(to);
        return FT_ENOMEM;
    }
    for (size_t p = 0; p < npos; p++)
        FT_ASSERT(pos[p] < t->cap && old[pos[p]].state == WAGG_LIVE);
    uint32_t m = 0;
    for (uint32_t i = 0; i < t->cap; i++) {
        if (old[i].state != WAGG_LIVE) continue;
        if (idx) idx[i] = m;
        list[m++] = old[i];
    }
    FT_ASSERT(m == t->live);
    if (a != old) free(old);
    memset(a, 0, (size_t)cap * sizeof *a);
    *t = (struct wtab){a, cap, 0, 0};
    for (uint32_t j = 0; j < m; j++) {
        bool found;
        uint32_t s = wtab_find(t, list[j].k, list[j].key, &found);
        FT_ASSERT(!found);
        t->a[s] = list[j];
        t->live++;
        if (to) to[j] = s;
    }
    for (size_t p = 0; p < npos; p++)
        pos[p] = to[idx[pos[p]]];
    free(list);
    free(idx);
    free(to);
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
    out->a = aligned_table(t->cap);
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
