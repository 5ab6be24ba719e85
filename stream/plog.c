/* Segmented partition log; see plog.h. Invariant: the segments holding offsets
 * [base, len) are allocated, every other ring slot is NULL. Segments are pages of their
 * own (mmap): one that retention drops goes back to the system at once, where freed
 * heap chunks would stay resident (a backlog drained at the end of a run would keep its
 * peak in the process's RSS). */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include "plog.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static void *seg_map(size_t bytes) {
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void **slot(const struct plog *l, uint64_t segno) {
    return &l->seg[segno & (l->nseg - 1)];
}

static size_t entry_bytes(const struct plog *l) {
    return l->wide ? sizeof(struct log_entry) : sizeof(struct plog_small);
}

/* A segment for the current entry size: a spare one (a log in steady state cycles
 * through a few without a system call) or fresh pages. */
static void *seg_alloc(struct plog *l) {
    if (l->nspare) return l->spare[--l->nspare];
    return seg_map(PLOG_SEG * entry_bytes(l));
}

static void seg_release(struct plog *l, void *seg) {
    if (l->nspare < PLOG_SPARE)
        l->spare[l->nspare++] = seg;
    else
        munmap(seg, PLOG_SEG * entry_bytes(l));
}

static void spares_free(struct plog *l) {
    while (l->nspare)
        munmap(l->spare[--l->nspare], PLOG_SEG * entry_bytes(l));
}

void plog_truncate(struct plog *l, uint64_t keep) {
    if (keep > l->len) keep = l->len;
    if (keep <= l->base) return;
    for (uint64_t s = l->base >> PLOG_SEG_BITS; s < keep >> PLOG_SEG_BITS; s++) {
        seg_release(l, *slot(l, s));
        *slot(l, s) = NULL;
    }
    l->base = keep;
}

/* Room in the ring for segment number segno (segments from base's on are live). */
static int ring_reserve(struct plog *l, uint64_t segno) {
    uint64_t first = l->base >> PLOG_SEG_BITS, need = segno - first + 1;
    if (need <= l->nseg) return 0;
    uint64_t n = l->nseg ? l->nseg : 4;
    while (n < need)
        n *= 2;
    void **seg = calloc(n, sizeof *seg);
    if (!seg) return FT_ENOMEM;
    for (uint64_t s = first; l->nseg && s < segno; s++)
        seg[s & (n - 1)] = *slot(l, s);
    free(l->seg);
    l->seg = seg;
    l->nseg = n;
    return 0;
}

/* One past the last allocated segment: the one holding len - 1, or len's when it is
 * partly written (base <= len). */
static uint64_t live_end(const struct plog *l) {
    return (l->len + PLOG_SEG - 1) >> PLOG_SEG_BITS;
}

static bool fits_small(const struct log_entry *e) {
    int64_t delta = (int64_t)(e->event_ns - e->created_ns);
    return e->rec <= UINT32_MAX && e->value >= INT32_MIN && e->value <= INT32_MAX &&
           delta >= INT32_MIN && delta <= INT32_MAX;
}

/* Every live segment rewritten with 40-byte entries (once per log at most). */
static int widen(struct plog *l) {
    spares_free(l); /* the wrong size from now on */
    for (uint64_t s = l->base >> PLOG_SEG_BITS; s < live_end(l); s++) {
        struct log_entry *w = seg_map(PLOG_SEG * sizeof *w);
        if (!w) return FT_ENOMEM;
        for (uint64_t i = 0; i < PLOG_SEG; i++) {
            uint64_t off = (s << PLOG_SEG_BITS) + i;
            if (off >= l->base && off < l->len) w[i] = plog_at(l, off);
        }
        munmap(*slot(l, s), PLOG_SEG * entry_bytes(l));
        *slot(l, s) = w;
    }
    l->wide = true;
    return 0;
}

int plog_append(struct plog *l, const struct log_entry *e) {
    if (!l->wide && !fits_small(e) && widen(l)) return FT_ENOMEM;
    uint64_t segno = l->len >> PLOG_SEG_BITS, i = l->len & (PLOG_SEG - 1);
    if (i == 0) {
        if (ring_reserve(l, segno)) return FT_ENOMEM;
        void *s = seg_alloc(l);
        if (!s) return FT_ENOMEM;
        *slot(l, segno) = s;
    }
    void *seg = *slot(l, segno);
    if (l->wide)
        ((struct log_entry *)seg)[i] = *e;
    else
        ((struct plog_small *)seg)[i] =
            (struct plog_small){e->created_ns, (uint32_t)e->rec, e->key, (int32_t)e->value,
                                (int32_t)(int64_t)(e->event_ns - e->created_ns)};
    l->len++;
    return 0;
}

void plog_free(struct plog *l) {
    for (uint64_t i = 0; i < l->nseg; i++)
        if (l->seg[i]) munmap(l->seg[i], PLOG_SEG * entry_bytes(l));
    spares_free(l);
    free(l->seg);
    memset(l, 0, sizeof *l);
}

uint64_t plog_bytes(const struct plog *l) {
    uint64_t live = live_end(l) - (l->base >> PLOG_SEG_BITS);
    return (live + l->nspare) * PLOG_SEG * entry_bytes(l) + l->nseg * sizeof *l->seg;
}
