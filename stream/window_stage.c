/* The windowed query inside the simulated pipeline. Its state is kept per input
 * partition, a task (Kafka Streams' task, Spark's state store per partition): the
 * task's window engine, its micro-batch buffer and (idempotent protocols) the offsets
 * it applied. The worker that owns the partition hosts the task and runs the stateless
 * operators on the records it receives; the state is volatile, lost when the host
 * crashes (a restart starts its tasks empty). The query's driver, as in Spark, is not a
 * node: it keeps the query-wide watermark (max event time seen in earlier triggers -
 * delay) and, in micro-batch mode, runs a trigger at every multiple of the interval on
 * the sim clock across every task whose host is up. Continuous mode applies and emits
 * each record when its host receives it, the watermark advancing per record. Emitted
 * rows land in the result table (the sink's view; the hop itself is not simulated),
 * keyed by (window, key, partition) so partial aggregates of one key from several
 * tasks combine. */
#include <stdlib.h>

#include "grow.h"
#include "pipe_internal.h"
#include "qset.h"
#include "sinks.h"
#include "window_stage.h"

struct wtask_sink {
    struct wstage *st;
    uint32_t part; /* the task's partition */
};

/* A record continuous mode holds back (lazy): the watermark its host's engine had when
 * it arrived, the one its trigger raised it to, and the time of that trigger. */
struct wdeferred {
    struct win_input r;
    int64_t wm_before, wm_after;
    uint64_t now;
};
#define DEFER_MAX WIN_FETCH_BATCH

struct wtask {              /* the window state of one input partition */
    struct win_engine *eng; /* NULL: no worker runs the task (its host never started) */
    struct wtask_sink ctx;
    uint32_t host;           /* worker index hosting it; PIPE_NO_OWNER: revoked, not claimed */
    uint64_t gen;            /* the partition's generation the task was claimed in */
    struct win_input *batch; /* micro-batch: records received, not yet triggered */
    size_t nbatch, cap_batch;
    struct bitset applied; /* idempotent protocols: offsets applied */
    int64_t idle_until; /* continuous: a watermark below this emits nothing (win_idle_until) */
    /* continuous, lazy: records whose trigger could close, emit or release nothing the
     * table sees yet, in arrival order; replay() makes the engine's calls they were due */
    struct wdeferred *defer;
    uint32_t ndefer;
    int64_t defer_due; /* the earliest first window end among them */
    int64_t vwm;       /* the engine's watermark once they are replayed */
    uint32_t engines;  /* made for the task so far: with one, its rows are all its engine's */
};

struct wstage {
    struct pipe *p;
    struct src_gen names; /* source key and value names, the join's key table */
    struct query q;
    struct win_spec spec;
    struct wtask *task; /* per partition */
    uint32_t ntask;
    bool tick_armed;
    bool has_max;
    uint64_t max_event; /* query-wide, through the last completed trigger */
    struct win_table table;
    struct qset lat; /* latency samples, exact (sim/qset.h) */
    struct win_stats gone; /* stats of engines a crash discarded */
    uint64_t filtered, unmatched, triggers, replays;
    int rc; /* first failure of a sink callback */
    /* the emission log (pipe_window_keep_log) and the watermark over time */
    bool keep_log, log_truncated;
    struct win_row *log;
    size_t nlog, cap_log;
    struct pipe_watermark *wm;
    size_t nwm, cap_wm;
    /* exactly-once-checkpoint: open transactions, worker and job epochs */
    bool ckpt;
    struct wstage_txn open[PIPE_WORKERS_MAX];
    uint64_t epoch[PIPE_WORKERS_MAX], job_epoch;
};

/* Room for element n of an array of elem-byte elements. */
static int grow_array(void **a, size_t elem, size_t *cap, size_t n) {
    return ft_grow(a, cap, n + 1, elem, 256);
}

/* The log holds what the sink shows after each emitted row, and after each window
 * closes (update mode closes without emitting): the row with every task's partial for
 * its window and key combined. */
static void log_row(struct wstage *st, const struct win_row *r) {
    if (st->nlog >= PIPE_WINDOW_LOG_MAX) {
        st->log_truncated = true;
        return;
    }
    struct win_row c;
    int rc = win_table_combined(&st->table, r->start_ns, r->key, st->ntask, st->spec.agg, &c);
    if (!rc) rc = grow_array((void **)&st->log, sizeof *st->log, &st->cap_log, st->nlog);
    if (rc) {
        if (!st->rc) st->rc = rc;
        return;
    }
    c.emitted_at_ns = r->emitted_at_ns;
    c.output = r->output;
    st->log[st->nlog++] = c;
}

/* A row reaches the result table (the sink's view); slot: where the row of its
 * aggregate was stored last (win_sink.row_at), or NULL. An aggregate's first row
 * (UINT32_MAX) is new to the table when its engine is the only one the task has had: an
 * engine makes each (window, key) at most once. */
static void apply_row_at(struct wstage *st, uint32_t part, const struct win_row *r,
                         uint32_t *slot) {
    uint32_t none = UINT32_MAX;
    int rc = slot && *slot == UINT32_MAX && st->task[part].engines == 1 && !st->keep_log
                 ? win_table_append(&st->table, part, r, slot)
                 : win_table_apply_at(&st->table, part, r, slot ? slot : &none);
    if (rc && !st->rc) st->rc = rc;
    if (!rc && st->keep_log && (r->output || r->final)) log_row(st, r);
}

static void apply_row(struct wstage *st, uint32_t part, const struct win_row *r) {
    apply_row_at(st, part, r, NULL);
}

static int txn_row(struct wstage_txn *t, uint32_t part, const struct win_row *r) {
    if (grow_array((void **)&t->rows, sizeof *t->rows, &t->cap, t->n)) return FT_ENOMEM;
    t->rows[t->n++] = (struct wstage_txn_row){*r, part};
    return 0;
}

static int txn_latency(struct wstage_txn *t, uint64_t ns, uint64_t now) {
    if (t->nlat == t->cap_lat) {
        size_t cap = t->cap_lat ? 2 * t->cap_lat : 256;
        uint64_t *a = realloc(t->lat_ns, cap * sizeof *a);
        if (a) t->lat_ns = a;
        uint64_t *b = a ? realloc(t->emit_ns, cap * sizeof *b) : NULL;
        if (!b) return FT_ENOMEM;
        t->emit_ns = b;
        t->cap_lat = cap;
    }
    t->lat_ns[t->nlat] = ns;
    t->emit_ns[t->nlat++] = now;
    return 0;
}

static void on_row(void *ctx, const struct win_row *r, uint32_t *slot) {
    struct wtask_sink *ts = ctx;
    struct wstage *st = ts->st;
    if (!st->ckpt) {
        apply_row_at(st, ts->part, r, slot);
        return;
    }
    /* invisible until committed: the host's open transaction */
    int rc = txn_row(&st->open[st->task[ts->part].host], ts->part, r);
    if (rc && !st->rc) st->rc = rc;
}

static void add_latency(struct wstage *st, uint64_t ns);

static void on_latency(void *ctx, uint64_t ns) {
    struct wtask_sink *ts = ctx;
    struct wstage *st = ts->st;
    if (!st->ckpt) {
        add_latency(st, ns);
        return;
    }
    int rc = txn_latency(&st->open[st->task[ts->part].host], ns, sim_now(st->p->s));
    if (rc && !st->rc) st->rc = rc;
}

static void add_latency(struct wstage *st, uint64_t ns) {
    if (qset_add(&st->lat, ns)) st->rc = FT_ENOMEM;
}

int wstage_new(struct pipe *p, struct wstage **out, struct ft_error *err) {
    *out = NULL;
    struct wstage *st = calloc(1, sizeof *st);
    if (!st) return ft_fail(err, FT_ENOMEM, "out of memory for the window stage");
    st->p = p;
    st->spec = p->cfg.query.window;
    st->ckpt = dlv_checkpointed(p->proto);
    st->job_epoch = 1;
    for (uint32_t w = 0; w < PIPE_WORKERS_MAX; w++)
        st->epoch[w] = 1;
    win_table_init(&st->table);
    int rc = src_names_open(&st->names, &p->cfg.source, err);
    if (!rc) rc = query_compile(&p->cfg.query, &st->names, &st->q, err);
    if (!rc) rc = win_spec_check(&st->spec, err);
    if (rc) {
        wstage_free(st);
        return rc;
    }
    st->task = calloc(p->cfg.partitions, sizeof *st->task);
    if (!st->task) {
        wstage_free(st);
        return ft_fail(err, FT_ENOMEM, "out of memory for the window stage");
    }
    st->ntask = p->cfg.partitions;
    for (uint32_t i = 0; i < st->ntask; i++) { /* static assignment: p mod workers */
        st->task[i].ctx = (struct wtask_sink){st, i};
        st->task[i].host = i % p->cfg.workers;
    }
    *out = st;
    return 0;
}

static void fold_stats(struct win_stats *acc, const struct win_stats *s) {
    acc->records += s->records;
    acc->contributions += s->contributions;
    acc->late_dropped += s->late_dropped;
    acc->late_records += s->late_records;
    acc->partly_late += s->partly_late;
    acc->rows_emitted += s->rows_emitted;
    acc->emits += s->emits;
}

static int64_t query_watermark(const struct wstage *st) {
    return st->has_max ? (int64_t)st->max_event - (int64_t)st->spec.delay_ns : WIN_NO_WATERMARK;
}

/* ---- continuous mode, lazily ----
 * A record's trigger in continuous mode, when the result table is the only reader
 * (table_only) and the mode is not complete, changes only the engine: held-back rows,
 * latency samples, stats. Until the watermark reaches the first end of a window the
 * record touches, or one the engine could close (its idle_until), nothing of it reaches
 * the table. Such a record waits in its task's queue with the watermarks and the time
 * of its trigger; replay() makes the very calls its trigger would have made (apply
 * under the watermark it saw, raise the watermark, emit at its time), in arrival order,
 * when the watermark gets there, when the queue fills, and before anything reads or
 * drops the engine (settle). The engine's state, its rows, stats and latency samples
 * are the same as eagerly; the records of a queue apply together, their state loaded
 * first (win_fetch), so a record's state is no longer a cache miss of its own. */

static bool lazy_ok(const struct wstage *st) {
    return st->p->cfg.query.driver == PIPE_DRIVER_CONTINUOUS && !st->keep_log && !st->ckpt &&
           st->spec.mode != WIN_MODE_COMPLETE;
}

/* The queued records' triggers, in order. 0 or the first failure (win_apply, win_emit). */
static int replay(struct wtask *t, struct ft_error *err) {
    uint32_t n = t->ndefer;
    int rc = 0;
    t->ndefer = 0;
    _Static_assert(DEFER_MAX <= WIN_FETCH_BATCH, "a queue is fetched at once");
    win_fetch(t->eng, &t->defer[0].r, n, sizeof *t->defer);
    for (uint32_t i = 0; !rc && i < n; i++) {
        const struct wdeferred *d = &t->defer[i];
        win_set_watermark(t->eng, d->wm_before);
        rc = win_apply(t->eng, &d->r, err);
        win_set_watermark(t->eng, d->wm_after);
        if (!rc) rc = win_emit(t->eng, d->now, err);
    }
    win_set_watermark(t->eng, t->vwm);
    t->idle_until = win_idle_until(t->eng);
    return rc;
}

/* Task t's engine as if nothing had waited: before it is read, dropped or changed. */
static void settle(struct wstage *st, struct wtask *t) {
    if (!t->ndefer) return;
    struct ft_error err = {0};
    int rc = replay(t, &err);
    if (rc && !st->rc) st->rc = rc;
}

/* Holds back task t's record r, whose trigger raises the engine's watermark to wm: true
 * when that trigger would have left the table as it is (see above). */
static bool defer(struct wtask *t, const struct win_input *r, int64_t wm_before, int64_t wm,
                  uint64_t now) {
    if (t->ndefer == DEFER_MAX || r->event_ns > (uint64_t)WIN_TIME_MAX) return false;
    int64_t due = win_first_end(t->eng, r->event_ns);
    if (t->ndefer && t->defer_due < due) due = t->defer_due;
    if (wm >= due || wm >= t->idle_until) return false;
    struct win_stats ws;
    win_get_stats(t->eng, &ws); /* WIN_ENTRIES_MAX fails where it would have */
    if (ws.open + ((uint64_t)t->ndefer + 1) * WIN_PER_RECORD_MAX > WIN_ENTRIES_MAX) return false;
    if (!t->defer && !(t->defer = malloc(DEFER_MAX * sizeof *t->defer))) return false;
    t->defer[t->ndefer++] = (struct wdeferred){*r, wm_before, wm, now};
    t->defer_due = due;
    t->vwm = wm;
    return true;
}

/* The task's engine goes; its stats count as discarded work when `keep_stats`. */
static void drop_engine(struct wstage *st, struct wtask *t, bool keep_stats) {
    if (!t->eng) return;
    settle(st, t);
    if (keep_stats) {
        struct win_stats s;
        win_get_stats(t->eng, &s);
        fold_stats(&st->gone, &s);
    }
    win_flush(t->eng); /* the rows it emitted stay in the table */
    win_free(t->eng);
    t->eng = NULL;
}

/* When the result table is the only reader of the rows (no emission log, no
 * checkpoint transactions), the engine emits them unsorted and holds back an aggregate's
 * row until its last one: the table keeps one row per (window, key, task) and is read
 * at the end, after every engine flushed (drop_engine, wstage_finish). */
static void table_only(const struct wstage *st, struct win_engine *e) {
    win_set_unordered(e, !st->keep_log);
    win_set_coalesce(e, !st->keep_log && !st->ckpt);
}

/* A fresh engine for task t under the query's watermark. */
static int new_engine(struct wstage *st, struct wtask *t, struct ft_error *err) {
    struct win_sink sink = {NULL, on_latency, &t->ctx};
    int rc = win_new(&st->spec, &sink, &t->eng, err);
    if (rc) return rc;
    t->engines++;
    win_set_row_at(t->eng, on_row);
    win_set_watermark(t->eng, query_watermark(st));
    table_only(st, t->eng);
    t->idle_until = INT64_MIN; /* unknown: the next watermark move emits */
    return 0;
}

void wstage_free(struct wstage *st) {
    if (!st) return;
    for (uint32_t i = 0; st->task && i < st->ntask; i++) {
        win_free(st->task[i].eng);
        free(st->task[i].batch);
        free(st->task[i].defer);
        bitset_free(&st->task[i].applied);
    }
    free(st->task);
    for (uint32_t w = 0; w < PIPE_WORKERS_MAX; w++)
        wstage_txn_free(&st->open[w]);
    query_free(&st->q);
    src_gen_free(&st->names);
    win_table_free(&st->table);
    qset_free(&st->lat);
    free(st->log);
    free(st->wm);
    free(st);
}

/* Worker me's index; the caller is a worker. */
static uint32_t index_of(const struct pipe *p, uint32_t me) {
    uint32_t w = pipe_worker_index(p, me);
    FT_ASSERT(w != PIPE_NO_OWNER);
    return w;
}

static uint64_t late_so_far(const struct wstage *st) {
    uint64_t n = st->gone.late_dropped;
    for (uint32_t i = 0; i < st->ntask; i++) {
        if (!st->task[i].eng) continue;
        struct win_stats s;
        win_get_stats(st->task[i].eng, &s);
        n += s.late_dropped;
    }
    return n;
}

/* One point of the watermark over processing time (when it exists and the log is kept). */
static void note_watermark(struct wstage *st, uint64_t now) {
    int64_t wm = query_watermark(st);
    if (!st->keep_log || wm == WIN_NO_WATERMARK || st->nwm >= PIPE_WINDOW_LOG_MAX) return;
    if (st->nwm && st->wm[st->nwm - 1].t_ns == now) st->nwm--; /* the latest at this time */
    if (grow_array((void **)&st->wm, sizeof *st->wm, &st->cap_wm, st->nwm)) {
        if (!st->rc) st->rc = FT_ENOMEM;
        return;
    }
    st->wm[st->nwm++] = (struct pipe_watermark){now, wm, late_so_far(st)};
}

static void fail(struct sim *s, struct wstage *st, int rc, const struct ft_error *err) {
    if (!rc && st->rc) rc = st->rc;
    if (rc) sim_fail(s, rc, "window stage: %s", err && err->msg[0] ? err->msg : ft_strerror(rc));
}

/* Whether task t's host is up and in the job's epoch: it takes part in triggers. */
static bool task_live(struct sim *s, const struct wstage *st, const struct wtask *t) {
    return t->eng && t->host != PIPE_NO_OWNER && sim_node_up(s, st->p->worker[t->host]) &&
           st->epoch[t->host] == st->job_epoch;
}

/* Task t starts empty: its engine, batch and applied offsets are gone. With `fresh` a
 * new engine is made for it, else it waits for a claim. */
static int reset_task(struct wstage *st, struct wtask *t, bool fresh, struct ft_error *err) {
    drop_engine(st, t, !st->ckpt); /* volatile state: under checkpoints a restore brings it */
    t->nbatch = 0;
    bitset_clear(&t->applied);
    return fresh ? new_engine(st, t, err) : 0;
}

void wstage_worker_start(struct sim *s, struct pipe *p, uint32_t me) {
    struct wstage *st = p->ws;
    uint32_t w = index_of(p, me);
    struct ft_error err = {0};
    /* the rolled-back work counts nowhere under checkpoints: the restore brings state back */
    if (st->ckpt) wstage_txn_free(&st->open[w]);
    /* a restart: the state of the tasks it hosted was volatile. With rebalance a task
     * starts again when its partition is claimed (wstage_claim) */
    bool fresh = !p->cfg.group.rebalance;
    int rc = 0;
    for (uint32_t i = 0; !rc && i < st->ntask; i++)
        if (st->task[i].host == w) rc = reset_task(st, &st->task[i], fresh, &err);
    fail(s, st, rc, &err);
}

void wstage_claim(struct sim *s, struct pipe *p, uint32_t me, uint32_t part, uint64_t gen) {
    struct wstage *st = p->ws;
    uint32_t w = index_of(p, me);
    if (part >= st->ntask || st->ckpt) return; /* checkpoints: a static assignment */
    struct wtask *t = &st->task[part];
    if (gen < t->gen) return; /* a stale assignment: a newer generation has the task */
    /* handed over intact from a live (or revoking) host; a crashed host's state is gone */
    bool intact = t->eng && (t->host == PIPE_NO_OWNER || sim_node_up(s, p->worker[t->host]));
    struct ft_error err = {0};
    if (intact && t->host != PIPE_NO_OWNER && t->host != w) PIPE_MOMENT(p, TASK_HANDOVER);
    int rc = intact ? 0 : reset_task(st, t, true, &err);
    t->host = w;
    t->gen = gen;
    fail(s, st, rc, &err);
}

void wstage_revoke(struct pipe *p, uint32_t me, uint32_t part, uint64_t gen) {
    struct wstage *st = p->ws;
    uint32_t w = index_of(p, me);
    if (part >= st->ntask || st->ckpt) return;
    struct wtask *t = &st->task[part];
    if (t->host != w || gen <= t->gen) return;
    t->host = PIPE_NO_OWNER; /* committed on revoke: the next claim restores it */
    t->gen = gen;
}

/* ---- micro-batch: the driver's trigger ---- */

static void tick(struct sim *s, void *arg);

static void arm_tick(struct sim *s, struct wstage *st, uint64_t at_ns) {
    if (st->tick_armed) return;
    int rc = sim_call_at(s, at_ns, tick, st);
    if (rc) {
        sim_fail(s, rc, "window stage: cannot schedule a trigger");
        return;
    }
    st->tick_armed = true;
}

/* Runs task t's part of a trigger: its batch under watermark wm, then its emission. */
static int trigger_task(struct wtask *t, int64_t wm, uint64_t now, bool *seen, uint64_t *max_ns,
                        struct ft_error *err) {
    win_set_watermark(t->eng, wm);
    int rc = 0;
    for (size_t i = 0; !rc && i < t->nbatch; i++) {
        const struct win_input *r = &t->batch[i];
        if (i % WIN_FETCH_BATCH == 0)
            win_fetch(t->eng, r, t->nbatch - i < WIN_FETCH_BATCH ? t->nbatch - i : WIN_FETCH_BATCH,
                      sizeof *r);
        rc = win_apply(t->eng, r, err);
        if (!*seen || r->event_ns > *max_ns) *max_ns = r->event_ns;
        *seen = true;
    }
    t->nbatch = 0;
    return rc ? rc : win_emit(t->eng, now, err);
}

static void tick(struct sim *s, void *arg) {
    struct wstage *st = arg;
    struct pipe *p = st->p;
    uint64_t now = sim_now(s), max_ns = 0;
    int64_t wm = query_watermark(st);
    bool seen = false, open = false;
    struct ft_error err = {0};
    st->tick_armed = false;
    st->triggers++;
    for (uint32_t i = 0; i < st->ntask; i++) {
        struct wtask *t = &st->task[i];
        if (!task_live(s, st, t)) continue;
        int rc = trigger_task(t, wm, now, &seen, &max_ns, &err);
        if (rc || st->rc) {
            fail(s, st, rc, &err);
            return;
        }
        struct win_stats ws;
        win_get_stats(t->eng, &ws);
        open |= ws.open > 0;
    }
    if (seen && (!st->has_max || max_ns > st->max_event)) st->max_event = max_ns;
    st->has_max |= seen;
    note_watermark(st, now);
    /* Spark runs a no-data batch when the watermark moved and state may close */
    if (query_watermark(st) != wm && open) arm_tick(s, st, now + p->cfg.query.trigger_ns);
}

/* ---- records ---- */

static int buffer(struct wtask *t, const struct win_input *r) {
    if (grow_array((void **)&t->batch, sizeof *t->batch, &t->cap_batch, t->nbatch))
        return FT_ENOMEM;
    t->batch[t->nbatch++] = *r;
    return 0;
}

/* Task t's queue, then r, applied. */
static int replay_then_apply(struct wtask *t, const struct win_input *r, struct ft_error *err) {
    int rc = t->ndefer ? replay(t, err) : 0;
    return rc ? rc : win_apply(t->eng, r, err);
}

/* Continuous: the record is a trigger of its own (held back when lazy allows). */
static int continuous(struct sim *s, struct wstage *st, struct wtask *t, const struct win_input *r,
                      struct ft_error *err) {
    uint64_t now = sim_now(s);
    int64_t before = query_watermark(st);
    int64_t t_wm = t->ndefer ? t->vwm : win_watermark(t->eng); /* what r is applied under */
    int64_t wm = st->has_max && r->event_ns <= st->max_event
                     ? before
                     : (int64_t)r->event_ns - (int64_t)st->spec.delay_ns;
    bool held =
        lazy_ok(st) && task_live(s, st, t) && defer(t, r, t_wm, wm > t_wm ? wm : t_wm, now);
    int rc = held ? 0 : replay_then_apply(t, r, err);
    if (rc) return rc;
    if (!st->has_max || r->event_ns > st->max_event) st->max_event = r->event_ns;
    st->has_max = true;
    FT_ASSERT(wm == query_watermark(st));
    if (wm != before) note_watermark(st, now);
    for (uint32_t i = 0; i < st->ntask && !rc; i++) {
        struct wtask *o = &st->task[i];
        if ((o != t && wm == before) || !task_live(s, st, o) || (o == t && held)) continue;
        if (o->ndefer) { /* o != t: its queue waits while nothing of it is due */
            if (o->vwm < wm) o->vwm = wm;
            if (wm < o->idle_until && wm < o->defer_due) continue;
            if ((rc = replay(o, err))) break;
        }
        win_set_watermark(o->eng, wm);
        if (o != t && wm < o->idle_until) continue; /* its trigger would do nothing */
        rc = win_emit(o->eng, now, err);
        o->idle_until = win_idle_until(o->eng);
    }
    return rc;
}

void wstage_record(struct sim *s, struct pipe *p, uint32_t me, const struct wire *in) {
    struct wstage *st = p->ws;
    uint32_t w = index_of(p, me);
    if (in->partition >= st->ntask) return;
    struct wtask *t = &st->task[in->partition];
    if (!t->eng || t->host != w || st->epoch[w] != st->job_epoch) return;
    if (p->cfg.group.rebalance && in->epoch < t->gen) { /* a zombie's record: fenced */
        PIPE_MOMENT(p, ZOMBIE_RECORD);
        return;
    }
    int rc = 0;
    if (dlv_idempotent(p->proto) && !st->ckpt &&
        (rc = bitset_insert(&t->applied, in->offset)) != 1) {
        if (rc == 0) {
            st->replays++;
            PIPE_MOMENT(p, REPLAY_SKIPPED);
        }
        fail(s, st, rc < 0 ? rc : 0, NULL);
        return;
    }
    if (p->cfg.source.malformed_p > 0 && /* the query cannot parse it: filtered */
        src_defect_of(p->sinks->defect_key, p->cfg.source.malformed_p, in->rec)) {
        st->filtered++;
        return;
    }
    uint64_t k;
    int64_t v;
    enum query_verdict verdict = query_apply(&st->q, (uint32_t)in->key, (int64_t)in->value, &k, &v);
    if (verdict != QUERY_KEEP) {
        if (verdict == QUERY_FILTERED)
            st->filtered++;
        else
            st->unmatched++;
        return;
    }
    struct win_input r = {k, in->event_ns, v, in->created_ns};
    struct ft_error err; /* only its message is read (fail), and only when set */
    err.msg[0] = '\0';
    if (p->cfg.query.driver == PIPE_DRIVER_CONTINUOUS) {
        rc = continuous(s, st, t, &r, &err);
    } else {
        rc = buffer(t, &r);
        uint64_t tr = p->cfg.query.trigger_ns, now = sim_now(s);
        if (!rc) arm_tick(s, st, (now / tr + 1) * tr);
    }
    fail(s, st, rc, &err);
}

/* ---- the end of the run and the results ---- */

int wstage_finish(struct sim *s, struct wstage *st, struct ft_error *err) {
    uint64_t now = sim_now(s), max_ns = 0;
    bool seen = false;
    for (uint32_t i = 0; i < st->ntask; i++) {
        struct wtask *t = &st->task[i];
        settle(st, t);
        if (!task_live(s, st, t)) {
            if (t->eng) win_flush(t->eng); /* what it emitted before its host went */
            continue;
        }
        int rc = trigger_task(t, query_watermark(st), now, &seen, &max_ns, err);
        if (!rc) rc = win_finish(t->eng, now, err);
        if (rc) return rc;
    }
    return st->rc ? ft_fail(err, st->rc, "window stage: %s", ft_strerror(st->rc)) : 0;
}

int wstage_rows(const struct wstage *st, struct win_row **rows, size_t *n) {
    return win_table_rows(&st->table, st->spec.agg, rows, n);
}

void wstage_stats(struct wstage *st, struct pipe_window_stats *out) {
    for (uint32_t i = 0; i < st->ntask; i++)
        settle(st, &st->task[i]);
    struct win_stats acc = st->gone;
    uint64_t idle = 0;
    for (uint32_t i = 0; i < st->ntask; i++) {
        if (!st->task[i].eng) continue;
        idle += !task_live(st->p->s, st, &st->task[i]);
        struct win_stats s;
        win_get_stats(st->task[i].eng, &s);
        fold_stats(&acc, &s);
    }
    *out = (struct pipe_window_stats){
        .applied = acc.records,
        .filtered = st->filtered,
        .unmatched = st->unmatched,
        .contributions = acc.contributions,
        .late_dropped = acc.late_dropped,
        .late_records = acc.late_records,
        .rows_emitted = acc.rows_emitted,
        .partly_late = acc.partly_late,
        .tasks_idle = idle,
        .triggers = st->p->cfg.query.driver == PIPE_DRIVER_CONTINUOUS ? acc.records : st->triggers};
}

int wstage_latency_ranks(struct wstage *st, const uint8_t *pct, size_t k, uint64_t *out) {
    return qset_nearest_ranks(&st->lat, pct, k, out);
}

void wstage_keep_log(struct wstage *st, bool on) {
    for (uint32_t i = 0; i < st->ntask; i++)
        settle(st, &st->task[i]);
    st->keep_log = on;
    for (uint32_t i = 0; i < st->ntask; i++)
        if (st->task[i].eng) table_only(st, st->task[i].eng);
}

const struct win_row *wstage_log(const struct wstage *st, size_t *n, bool *truncated) {
    *n = st->nlog;
    *truncated = st->log_truncated;
    return st->log;
}

const struct pipe_watermark *wstage_watermarks(const struct wstage *st, size_t *n) {
    *n = st->nwm;
    return st->wm;
}

const char *wstage_key_name(const struct wstage *st, uint64_t key, char *buf, size_t size) {
    return query_key_name(&st->q, key, buf, size);
}

/* ---- exactly-once-checkpoint ---- */

void wstage_txn_free(struct wstage_txn *t) {
    free(t->rows);
    free(t->lat_ns);
    free(t->emit_ns);
    memset(t, 0, sizeof *t);
}

static void task_snap_free(struct wstage_task_snap *ts) {
    win_free(ts->eng);
    free(ts->batch);
    memset(ts, 0, sizeof *ts);
}

void wstage_snap_drop_state(struct wstage_snap *sn) {
    for (uint32_t i = 0; i < sn->ntasks; i++)
        task_snap_free(&sn->tasks[i]);
    free(sn->tasks);
    sn->tasks = NULL;
    sn->ntasks = 0;
}

void wstage_snap_free(struct wstage_snap *sn) {
    wstage_snap_drop_state(sn);
    wstage_txn_free(&sn->txn);
    memset(sn, 0, sizeof *sn);
}

/* Task t's engine and batch into *out. 0 or FT_ENOMEM. */
static int task_snapshot(const struct wtask *t, uint32_t part, struct wstage_task_snap *out) {
    out->part = part;
    int rc = t->eng ? win_clone(t->eng, &out->eng) : 0;
    if (!rc && t->nbatch) {
        out->batch = malloc(t->nbatch * sizeof *out->batch);
        if (!out->batch)
            rc = FT_ENOMEM;
        else
            memcpy(out->batch, t->batch, t->nbatch * sizeof *out->batch);
        out->nbatch = rc ? 0 : t->nbatch;
    }
    return rc;
}

int wstage_snapshot(struct wstage *st, uint32_t w, struct wstage_snap *out) {
    wstage_snap_free(out);
    uint32_t n = 0;
    for (uint32_t i = 0; i < st->ntask; i++)
        n += st->task[i].host == w;
    out->tasks = n ? calloc(n, sizeof *out->tasks) : NULL;
    if (n && !out->tasks) return FT_ENOMEM;
    int rc = 0;
    for (uint32_t i = 0; !rc && i < st->ntask; i++)
        if (st->task[i].host == w) rc = task_snapshot(&st->task[i], i, &out->tasks[out->ntasks++]);
    if (rc) {
        wstage_snap_free(out);
        return rc;
    }
    out->txn = st->open[w]; /* pre-committed: the store holds it now */
    memset(&st->open[w], 0, sizeof st->open[w]);
    out->taken = true;
    return 0;
}

/* Task t (partition part) from its snapshot in sn; a fresh engine when sn has none. */
static int task_restore(struct wstage *st, struct wtask *t, uint32_t part,
                        const struct wstage_snap *sn, struct ft_error *err) {
    const struct wstage_task_snap *ts = NULL;
    for (uint32_t i = 0; sn && i < sn->ntasks && !ts; i++)
        if (sn->tasks[i].part == part) ts = &sn->tasks[i];
    drop_engine(st, t, false);
    t->nbatch = 0;
    int rc = ts && ts->eng ? win_clone(ts->eng, &t->eng) : new_engine(st, t, err);
    if (!rc && ts && ts->eng) t->engines++;
    t->idle_until = INT64_MIN;
    for (size_t i = 0; !rc && ts && i < ts->nbatch; i++)
        rc = buffer(t, &ts->batch[i]);
    if (!rc) win_set_watermark(t->eng, query_watermark(st));
    return rc;
}

int wstage_restore(struct sim *s, struct wstage *st, uint32_t w, const struct wstage_snap *sn,
                   uint64_t epoch) {
    struct ft_error err = {0};
    wstage_txn_free(&st->open[w]);
    st->epoch[w] = epoch;
    int rc = 0;
    bool pending = false;
    for (uint32_t i = 0; !rc && i < st->ntask; i++) {
        struct wtask *t = &st->task[i];
        if (t->host != w) continue;
        rc = task_restore(st, t, i, sn, &err);
        pending |= t->nbatch > 0;
    }
    if (!rc && pending) { /* the restored batches run at the next trigger */
        uint64_t tr = st->p->cfg.query.trigger_ns;
        arm_tick(s, st, (sim_now(s) / tr + 1) * tr);
    }
    return rc;
}

void wstage_set_epoch(struct wstage *st, uint32_t w, uint64_t epoch) {
    st->epoch[w] = epoch;
}

void wstage_rollback(struct wstage *st, uint64_t epoch, const struct wstage_snap *const *snaps) {
    st->job_epoch = epoch;
    st->has_max = false;
    st->max_event = 0;
    for (uint32_t w = 0; w < st->p->cfg.workers; w++)
        for (uint32_t i = 0; snaps[w] && i < snaps[w]->ntasks; i++) {
            uint64_t m;
            const struct win_engine *e = snaps[w]->tasks[i].eng;
            if (!e || !win_max_event(e, &m)) continue;
            if (!st->has_max || m > st->max_event) st->max_event = m;
            st->has_max = true;
        }
}

int wstage_commit(struct sim *s, struct wstage *st, struct wstage_txn *t) {
    uint64_t now = sim_now(s);
    for (size_t i = 0; i < t->n && !st->rc; i++)
        apply_row(st, t->rows[i].part, &t->rows[i].row);
    for (size_t i = 0; i < t->nlat && !st->rc; i++) /* visible now, not at emission */
        add_latency(st, t->lat_ns[i] + (now - t->emit_ns[i]));
    wstage_txn_free(t);
    return st->rc;
}

struct wstage_txn *wstage_open_txn(struct wstage *st, uint32_t w) {
    return &st->open[w];
}
