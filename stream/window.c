/* The window engine: assignment of records to sliding/tumbling windows, per (window,
 * key) aggregates in an open-addressing table (window_state.h: a record's windows side
 * by side), the watermark, and the three output modes. Aggregates whose window closed
 * are evicted (the watermark bounds the state, as in Spark); they close in (end, key)
 * order from a heap, which is (start, key) order. Everything is integer arithmetic
 * except the shown value (a double computed the same way on every build); rows leave
 * sorted by (start, key), never in hash order (unless win_set_unordered). */
#include "window.h"

#include <stdlib.h>
#include <string.h>

#include "heap.h"
#include "window_state.h"

#define EMPTY UINT32_MAX

static const char *const agg_names[] = {"count", "sum", "mean", "min", "max"};
static const char *const mode_names[] = {"append", "update", "complete"};

const char *win_agg_name(enum win_agg a) {
    return (unsigned)a < 5 ? agg_names[a] : "?";
}

const char *win_mode_name(enum win_mode m) {
    return (unsigned)m < 3 ? mode_names[m] : "?";
}

int win_agg_parse(const char *s) {
    for (int i = 0; i < 5; i++)
        if (!strcmp(s, agg_names[i])) return i;
    return -1;
}

int win_mode_parse(const char *s) {
    for (int i = 0; i < 3; i++)
        if (!strcmp(s, mode_names[i])) return i;
    return -1;
}

int win_spec_check(const struct win_spec *w, struct ft_error *err) {
    if (!w->length_ns || !w->slide_ns)
        return ft_fail(err, FT_EINVAL, "window length and slide must be greater than 0");
    if (w->slide_ns > w->length_ns)
        return ft_fail(err, FT_EINVAL,
                       "window slide (%llu ns) must not exceed its length (%llu ns)",
                       (unsigned long long)w->slide_ns, (unsigned long long)w->length_ns);
    if (w->length_ns > WIN_TIME_MAX || w->delay_ns > WIN_TIME_MAX)
        return ft_fail(err, FT_EINVAL, "window length or watermark delay too large");
    if ((w->length_ns + w->slide_ns - 1) / w->slide_ns > WIN_PER_RECORD_MAX)
        return ft_fail(err, FT_EINVAL,
                       "a record would belong to more than %u windows: length / slide must "
                       "be at most %u",
                       WIN_PER_RECORD_MAX, WIN_PER_RECORD_MAX);
    if ((unsigned)w->agg > WIN_AGG_MAX || (unsigned)w->mode > WIN_MODE_COMPLETE)
        return ft_fail(err, FT_EINVAL, "unknown aggregate or output mode");
    return 0;
}

/* floor(a / b) for b > 0. */
static int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

/* The window indices k (start = k * S) of the windows containing t: first..last. */
static void k_range(const struct win_spec *w, uint64_t t, int64_t *first, int64_t *last) {
    int64_t S = (int64_t)w->slide_ns, L = (int64_t)w->length_ns, ts = (int64_t)t;
    *last = ts / S;
    *first = floor_div(ts - L, S) + 1;
}

uint32_t win_assign(const struct win_spec *w, uint64_t t_ns, int64_t *starts_ns, uint32_t cap) {
    FT_ASSERT(t_ns <= (uint64_t)WIN_TIME_MAX);
    int64_t first, last;
    k_range(w, t_ns, &first, &last);
    uint32_t n = 0;
    for (int64_t k = first; k <= last && n < cap; k++)
        starts_ns[n++] = k * (int64_t)w->slide_ns;
    return n;
}

double win_agg_value(enum win_agg agg, uint64_t count, int64_t sum, int64_t min, int64_t max) {
    switch (agg) {
    case WIN_AGG_COUNT:
        return (double)count;
    case WIN_AGG_SUM:
        return (double)sum;
    case WIN_AGG_MEAN:
        return count ? (double)sum / (double)count : 0.0;
    case WIN_AGG_MIN:
        return (double)min;
    case WIN_AGG_MAX:
        return (double)max;
    }
    return 0.0;
}

/* ---- the engine's state ---- */

struct win_engine {
    struct win_spec spec;
    int64_t span, span_rem; /* L / S and L mod S: the windows of t from one division */
    struct win_sink sink;
    struct wtab tab;     /* the live (window, key) aggregates */
    struct heap closing; /* (end, key, k) of every live aggregate: they close in that order */
    uint64_t seq;        /* ties in lat_heap */
    uint32_t *dirty;     /* positions in tab changed since the last emit */
    uint32_t ndirty, cap_dirty;
    struct heap lat_heap;  /* append: (end of the record's first window, seq, arrival) */
    uint64_t *lat_pending; /* update/complete: arrivals applied since the last emit */
    size_t nlat, cap_lat;
    struct wsort *scratch;
    size_t cap_scratch;
    int64_t wm;
    bool seen;
    bool unordered; /* win_set_unordered */
    bool coalesce;  /* win_set_coalesce */
    void (*row_at)(void *ctx, const struct win_row *row, uint32_t *slot); /* win_set_row_at */
    uint64_t max_event;
    struct win_stats st;
};

static int grow(void **p, size_t elem, size_t *cap, size_t need) {
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q) return FT_ENOMEM;
    *p = q;
    *cap = c;
    return 0;
}

static int grow32(void **p, size_t elem, uint32_t *cap, size_t need) {
    size_t c = *cap;
    int rc = grow(p, elem, &c, need);
    if (!rc) *cap = (uint32_t)c;
    return rc;
}

int win_new(const struct win_spec *spec, const struct win_sink *sink, struct win_engine **out,
            struct ft_error *err) {
    *out = NULL;
    int rc = win_spec_check(spec, err);
    if (rc) return rc;
    struct win_engine *e = calloc(1, sizeof *e);
    if (!e) return ft_fail(err, FT_ENOMEM, "out of memory for a window engine");
    e->spec = *spec;
    e->span = (int64_t)(spec->length_ns / spec->slide_ns);
    e->span_rem = (int64_t)(spec->length_ns % spec->slide_ns);
    if (sink) e->sink = *sink;
    e->wm = WIN_NO_WATERMARK;
    if (heap_init(&e->closing, 64) || heap_init(&e->lat_heap, 64) ||
        wtab_reserve(&e->tab, 1, NULL, 0)) {
        win_free(e);
        return ft_fail(err, FT_ENOMEM, "out of memory for a window engine");
    }
    *out = e;
    return 0;
}

void win_free(struct win_engine *e) {
    if (!e) return;
    wtab_free(&e->tab);
    heap_free(&e->closing);
    heap_free(&e->lat_heap);
    free(e->dirty);
    free(e->lat_pending);
    free(e->scratch);
    free(e);
}

static int dup_block(void **dst, const void *src, size_t bytes) {
    *dst = NULL;
    if (!src || !bytes) return 0;
    *dst = malloc(bytes);
    if (!*dst) return FT_ENOMEM;
    memcpy(*dst, src, bytes);
    return 0;
}

static int dup_heap(struct heap *dst, const struct heap *src) {
    if (heap_init(dst, src->cap ? src->cap : 64)) return FT_ENOMEM;
    if (src->n) memcpy(dst->a, src->a, src->n * sizeof *src->a);
    dst->n = src->n;
    return 0;
}

int win_clone(const struct win_engine *e, struct win_engine **out) {
    *out = NULL;
    struct win_engine *c = calloc(1, sizeof *c);
    if (!c) return FT_ENOMEM;
    *c = *e;
    c->tab = (struct wtab){0};
    c->dirty = NULL;
    c->lat_pending = NULL;
    c->scratch = NULL;
    c->cap_scratch = 0;
    c->closing = (struct heap){0};
    c->lat_heap = (struct heap){0};
    int rc = wtab_clone(&e->tab, &c->tab);
    if (!rc) rc = dup_block((void **)&c->dirty, e->dirty, (size_t)e->cap_dirty * sizeof *e->dirty);
    if (!rc)
        rc = dup_block((void **)&c->lat_pending, e->lat_pending, e->cap_lat * sizeof *e->lat_pending);
    if (!rc) rc = dup_heap(&c->closing, &e->closing);
    if (!rc) rc = dup_heap(&c->lat_heap, &e->lat_heap);
    if (rc) {
        win_free(c);
        return FT_ENOMEM;
    }
    *out = c;
    return 0;
}

/* k_range with one division: t = last * S + r (0 <= r < S) and L = span * S + rem give
 * floor((t - L) / S) = last - span - (r < rem). */
static void windows_of(const struct win_engine *e, uint64_t t, int64_t *first, int64_t *last) {
    uint64_t S = e->spec.slide_ns, q = t / S, r = t - q * S;
    *last = (int64_t)q;
    *first = (int64_t)q + 1 - e->span - ((int64_t)r < e->span_rem);
}

static int64_t end_of(const struct win_engine *e, int64_t k) {
    return k * (int64_t)e->spec.slide_ns + (int64_t)e->spec.length_ns;
}

/* A new aggregate for (k, key) at position pos (wtab_find's insertion point). */
static int new_entry(struct win_engine *e, int64_t k, uint64_t key, uint32_t pos,
                     struct ft_error *err) {
    if (e->st.open >= WIN_ENTRIES_MAX)
        return ft_fail(err, FT_ELIMIT,
                       "more than %u open (window, key) aggregates: shorten the watermark "
                       "delay or the windows",
                       WIN_ENTRIES_MAX);
    struct wagg *x = &e->tab.a[pos];
    if (x->state == WAGG_TOMB) e->tab.tomb--;
    *x = (struct wagg){
        .k = k, .key = key, .min = INT64_MAX, .max = INT64_MIN, .slot = UINT32_MAX, .state = WAGG_LIVE};
    e->tab.live++;
    e->st.open++;
    int64_t end = end_of(e, k);
    FT_ASSERT(end > 0);
    /* (end, key) is unique among live aggregates and never comes back once closed */
    if (heap_push(&e->closing, (struct heap_entry){(uint64_t)end, key, (uint64_t)k}))
        return ft_fail(err, FT_ENOMEM, "out of memory");
    return 0;
}

static int touch(struct win_engine *e, uint32_t pos, int64_t v, struct ft_error *err) {
    struct wagg *x = &e->tab.a[pos];
    int64_t sum;
    if (__builtin_add_overflow(x->sum, v, &sum))
        return ft_fail(err, FT_ELIMIT, "a window's sum overflows 64 bits");
    x->sum = sum;
    x->count++;
    if (v < x->min) x->min = v;
    if (v > x->max) x->max = v;
    if (!x->dirty) {
        if (e->ndirty == e->cap_dirty &&
            grow32((void **)&e->dirty, sizeof *e->dirty, &e->cap_dirty, (size_t)e->ndirty + 1))
            return ft_fail(err, FT_ENOMEM, "out of memory");
        e->dirty[e->ndirty++] = pos;
        x->dirty = true;
    }
    return 0;
}

static bool is_final(const struct win_engine *e, int64_t end) {
    return e->spec.mode != WIN_MODE_COMPLETE && e->wm != WIN_NO_WATERMARK && end <= e->wm;
}

static int note_latency(struct win_engine *e, const struct win_input *r, int64_t first_end) {
    if (!e->sink.latency) return 0;
    if (e->spec.mode == WIN_MODE_APPEND)
        return heap_push(&e->lat_heap,
                         (struct heap_entry){(uint64_t)first_end, e->seq++, r->arrival_ns});
    if (e->nlat == e->cap_lat &&
        grow((void **)&e->lat_pending, sizeof *e->lat_pending, &e->cap_lat, e->nlat + 1))
        return FT_ENOMEM;
    e->lat_pending[e->nlat++] = r->arrival_ns;
    return 0;
}

int64_t win_first_end(const struct win_engine *e, uint64_t t_ns) {
    int64_t first, last;
    windows_of(e, t_ns, &first, &last);
    return end_of(e, first);
}

/* Loads of table slots gathered first and then issued together: a tight loop of loads
 * keeps many cache misses in flight, where loads among the hashing keep only a few. A
 * window's home slot goes with the next (half the finds probe on, at load 1/2), and the
 * next window's home is usually that next slot. */
struct fetch {
    const volatile uint8_t *at[4 * WIN_FETCH_BATCH];
    size_t n;
};

static void fetch_windows(struct fetch *f, const struct wtab *t, int64_t first, int64_t last,
                          uint64_t key) {
    uint32_t m = t->cap - 1, h = wtab_home(t, first, key), g = wtab_home(t, last, key);
    f->at[f->n++] = &t->a[h].state;
    f->at[f->n++] = &t->a[(h + 1) & m].state;
    if (g != h && g != ((h + 1) & m)) f->at[f->n++] = &t->a[g].state;
    if (g != h) f->at[f->n++] = &t->a[(g + 1) & m].state;
}

static void fetch_all(const struct fetch *f) {
    uint8_t x = 0;
    for (size_t i = 0; i < f->n; i++)
        x |= *f->at[i];
    volatile uint8_t sink = x;
    (void)sink;
}

void win_fetch(const struct win_engine *e, const struct win_input *r, size_t n, size_t stride) {
    struct fetch f;
    f.n = 0; /* the addresses are not cleared: 4 KB, at every emission */
    FT_ASSERT(n <= WIN_FETCH_BATCH);
    if (!e->tab.cap) return;
    for (size_t i = 0; i < n; i++, r = (const void *)((const char *)r + stride)) {
        int64_t first, last;
        if (r->event_ns > (uint64_t)WIN_TIME_MAX) continue;
        windows_of(e, r->event_ns, &first, &last);
        fetch_windows(&f, &e->tab, first, last, r->key);
    }
    fetch_all(&f);
}

int win_apply(struct win_engine *e, const struct win_input *r, struct ft_error *err) {
    if (r->event_ns > (uint64_t)WIN_TIME_MAX)
        return ft_fail(err, FT_EINVAL, "event time %llu ns is beyond the supported range",
                       (unsigned long long)r->event_ns);
    int64_t first, last, first_end = 0;
    uint64_t applied = 0, dropped = 0;
    windows_of(e, r->event_ns, &first, &last);
    /* room for every window of the record first: positions stay put during the loop */
    uint32_t nwin = (uint32_t)(last - first + 1);
    if (2 * ((uint64_t)e->tab.live + e->tab.tomb + nwin) > e->tab.cap &&
        wtab_reserve(&e->tab, nwin, e->dirty, e->ndirty))
        return ft_fail(err, FT_ENOMEM, "out of memory");
    for (int64_t k = first; k <= last; k++) {
        int64_t end = end_of(e, k);
        if (is_final(e, end)) {
            dropped++;
            continue;
        }
        bool found;
        uint32_t pos = wtab_find(&e->tab, k, r->key, &found);
        int rc = found ? 0 : new_entry(e, k, r->key, pos, err);
        if (!rc) rc = touch(e, pos, r->value, err);
        if (rc) return rc;
        if (!applied++) first_end = end;
    }
    e->st.records++;
    e->st.contributions += applied;
    e->st.late_dropped += dropped;
    e->st.late_records += dropped > 0;
    e->st.partly_late += dropped > 0 && applied > 0;
    if (!e->seen || r->event_ns > e->max_event) e->max_event = r->event_ns;
    e->seen = true;
    if (applied && note_latency(e, r, first_end)) return ft_fail(err, FT_ENOMEM, "out of memory");
    return 0;
}

bool win_max_event(const struct win_engine *e, uint64_t *max_ns) {
    if (e->seen) *max_ns = e->max_event;
    return e->seen;
}

void win_set_watermark(struct win_engine *e, int64_t wm_ns) {
    if (wm_ns > e->wm) e->wm = wm_ns;
}

int64_t win_watermark(const struct win_engine *e) {
    return e->wm;
}

int64_t win_own_watermark(const struct win_engine *e) {
    return e->seen ? (int64_t)e->max_event - (int64_t)e->spec.delay_ns : WIN_NO_WATERMARK;
}

void win_get_stats(const struct win_engine *e, struct win_stats *out) {
    *out = e->st;
}

/* ---- emission ---- */

static void deliver(struct win_engine *e, struct wagg *x, uint64_t now, bool output, bool final) {
    int64_t start = x->k * (int64_t)e->spec.slide_ns;
    struct win_row row = {.start_ns = start,
                          .end_ns = start + (int64_t)e->spec.length_ns,
                          .key = x->key,
                          .count = x->count,
                          .sum = x->sum,
                          .min = x->min,
                          .max = x->max,
                          .value = win_agg_value(e->spec.agg, x->count, x->sum, x->min, x->max),
                          .emitted_at_ns = now,
                          .final = final,
                          .output = output};
    if (e->row_at)
        e->row_at(e->sink.ctx, &row, &x->slot);
    else if (e->sink.row)
        e->sink.row(e->sink.ctx, &row);
}

/* The output mode emits a row of x (output) or closes it (final): with coalescing an
 * output row of an aggregate that stays open is held back, and the one held back goes
 * before anything else of x leaves, so the sink sees the last row of every emission it
 * would have kept. */
static void send_row(struct win_engine *e, struct wagg *x, uint64_t now, bool output,
                     bool final) {
    if (output) e->st.rows_emitted++;
    if (e->coalesce && output && !final) {
        x->pending = true;
        x->emitted_at_ns = now;
        return;
    }
    if (x->pending) deliver(e, x, x->emitted_at_ns, true, false);
    x->pending = false;
    deliver(e, x, now, output, final);
}

/* The watermark has passed time t (an end in the closing or latency heap). */
static bool passed(const struct win_engine *e, uint64_t t) {
    return e->wm != WIN_NO_WATERMARK && e->wm >= 0 && t <= (uint64_t)e->wm;
}

static int scratch_push(struct win_engine *e, size_t n, uint32_t pos) {
    if (grow((void **)&e->scratch, sizeof *e->scratch, &e->cap_scratch, n + 1)) return FT_ENOMEM;
    e->scratch[n] = (struct wsort){e->tab.a[pos].k, e->tab.a[pos].key, pos};
    return 0;
}

static void close_one(struct win_engine *e, const struct heap_entry *h, uint64_t now) {
    bool found;
    uint32_t pos = wtab_find(&e->tab, (int64_t)h->slot, h->seq, &found);
    FT_ASSERT(found);
    struct wagg *x = &e->tab.a[pos];
    bool out = e->spec.mode != WIN_MODE_UPDATE || x->dirty;
    send_row(e, x, now, out, true);
    x->dirty = false;
    wtab_remove(&e->tab, pos);
    e->st.open--;
}

/* Closes the live aggregates whose end the watermark passed (all when everything), in
 * (end, key) order: the heap's, which is (start, key) order. They leave the heap a batch
 * at a time, their state loaded together. */
static void close_due(struct win_engine *e, uint64_t now, bool everything) {
    struct heap_entry due[WIN_FETCH_BATCH];
    for (;;) {
        const struct heap_entry *top;
        struct fetch f;
        f.n = 0;
        size_t n = 0;
        while (n < WIN_FETCH_BATCH && (top = heap_top(&e->closing)) &&
               (everything || passed(e, top->time))) {
            due[n] = heap_pop(&e->closing);
            fetch_windows(&f, &e->tab, (int64_t)due[n].slot, (int64_t)due[n].slot, due[n].seq);
            n++;
        }
        if (!n) return;
        fetch_all(&f);
        for (size_t i = 0; i < n; i++)
            close_one(e, &due[i], now);
    }
}

static int emit_changed(struct win_engine *e, uint64_t now) {
    size_t n = 0;
    if (e->spec.mode == WIN_MODE_UPDATE && e->unordered) { /* no sort: the dirty list itself */
        for (uint32_t i = 0; i < e->ndirty; i++) {
            struct wagg *x = &e->tab.a[e->dirty[i]];
            if (x->state == WAGG_LIVE) send_row(e, x, now, true, false);
            x->dirty = false;
        }
        e->ndirty = 0;
        return 0;
    }
    if (e->spec.mode == WIN_MODE_COMPLETE) {
        for (uint32_t pos = 0; pos < e->tab.cap; pos++)
            if (e->tab.a[pos].state == WAGG_LIVE && scratch_push(e, n++, pos)) return FT_ENOMEM;
    } else if (e->spec.mode == WIN_MODE_UPDATE) {
        for (uint32_t i = 0; i < e->ndirty; i++)
            if (e->tab.a[e->dirty[i]].state == WAGG_LIVE && scratch_push(e, n++, e->dirty[i]))
                return FT_ENOMEM;
    }
    if (n > 1 && !e->unordered) qsort(e->scratch, n, sizeof *e->scratch, wsort_cmp);
    for (size_t i = 0; i < n; i++)
        send_row(e, &e->tab.a[e->scratch[i].pos], now, true, false);
    for (uint32_t i = 0; i < e->ndirty; i++)
        e->tab.a[e->dirty[i]].dirty = false;
    e->ndirty = 0;
    return 0;
}

static void flush_latency(struct win_engine *e, uint64_t now, bool everything) {
    if (!e->sink.latency) return;
    const struct heap_entry *top;
    while ((top = heap_top(&e->lat_heap)) && (everything || passed(e, top->time))) {
        struct heap_entry h = heap_pop(&e->lat_heap);
        e->sink.latency(e->sink.ctx, now >= h.slot ? now - h.slot : 0);
    }
    for (size_t i = 0; i < e->nlat; i++)
        e->sink.latency(e->sink.ctx, now >= e->lat_pending[i] ? now - e->lat_pending[i] : 0);
    e->nlat = 0;
}

void win_set_row_at(struct win_engine *e,
                    void (*row_at)(void *ctx, const struct win_row *row, uint32_t *slot)) {
    e->row_at = row_at;
}

void win_set_unordered(struct win_engine *e, bool on) {
    e->unordered = on;
}

void win_set_coalesce(struct win_engine *e, bool on) {
    if (!on) win_flush(e);
    e->coalesce = on;
}

void win_flush(struct win_engine *e) {
    for (uint32_t pos = 0; pos < e->tab.cap; pos++) {
        struct wagg *x = &e->tab.a[pos];
        if (x->state != WAGG_LIVE || !x->pending) continue;
        FT_ASSERT(!x->dirty); /* between triggers: the aggregate is as it was emitted */
        deliver(e, x, x->emitted_at_ns, true, false);
        x->pending = false;
    }
}

int64_t win_idle_until(const struct win_engine *e) {
    if (e->spec.mode == WIN_MODE_COMPLETE || e->ndirty || e->nlat) return INT64_MIN;
    const struct heap_entry *c = heap_top(&e->closing), *l = heap_top(&e->lat_heap);
    uint64_t due = UINT64_MAX; /* the first end a watermark must reach */
    if (c) due = c->time;
    if (l && l->time < due) due = l->time;
    return due > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)due;
}

/* A trigger would do nothing: nothing changed, nothing closes, no latency is due. */
static bool idle(const struct win_engine *e) {
    return e->wm < win_idle_until(e); /* WIN_NO_WATERMARK is below every due time */
}

int win_emit(struct win_engine *e, uint64_t now_ns, struct ft_error *err) {
    e->st.emits++;
    if (idle(e)) return 0;
    if (e->spec.mode != WIN_MODE_COMPLETE) close_due(e, now_ns, false);
    if (emit_changed(e, now_ns)) return ft_fail(err, FT_ENOMEM, "out of memory emitting window rows");
    flush_latency(e, now_ns, false);
    return 0;
}

int win_finish(struct win_engine *e, uint64_t now_ns, struct ft_error *err) {
    (void)err;
    e->st.emits++;
    close_due(e, now_ns, true);
    for (uint32_t i = 0; i < e->ndirty; i++)
        if (e->tab.a[e->dirty[i]].state == WAGG_LIVE) e->tab.a[e->dirty[i]].dirty = false;
    e->ndirty = 0;
    flush_latency(e, now_ns, true);
    return 0;
}
