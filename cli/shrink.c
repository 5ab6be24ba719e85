/* Greedy, deterministic shrinking of a failing scenario (shrink.h). The state is the
 * text of the smallest failing file so far; a candidate is that text with one edit
 * (cli/scn_doc.c), loaded by the real loader, run under the protocol and judged
 * (cli/scn_verdict.c). It is kept when it fails with the same key and its size
 * (faults, records, events, bytes) is lexicographically smaller, so every kept step
 * shrinks a tuple of naturals and the search ends; SHRINK_STEPS_MAX bounds the runs. */
#include "shrink.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "experiment.h"
#include "scn_doc.h"
#include "scn_internal.h"
#include "scn_verdict.h"
#include "swarm.h"

struct size {
    uint64_t faults, records, events, bytes;
};

struct shrinker {
    const char *file;
    enum dlv_protocol p;
    uint64_t seed;
    uint32_t seeds;
    int key;
    char *text; /* the smallest failing file so far */
    size_t len;
    struct size size;
    struct exp_outcome out; /* its outcome */
    struct scenario *scn;   /* scratch */
    FILE *log;
    uint32_t tried, kept;
    int rc; /* FT_ENOMEM met */
};

/* sh->scn becomes the current best, loaded (not run). */
static const struct pipe_config *current(struct shrinker *sh) {
    struct ft_error err = {0};
    if (scn_parse(sh->file, sh->text, sh->len, sh->scn, &err)) sh->rc = FT_EPARSE;
    return &sh->scn->pipe;
}

/* Faults, network impairments and link overrides: what "faults" counts. */
static uint64_t count_faults(const struct pipe_config *c) {
    return c->nfaults + c->nlinks + (c->network.loss_p > 0) + (c->network.dup_p > 0) +
           (c->network.reorder_p > 0) + (c->network.jitter_ns > 0);
}

static bool smaller(const struct size *a, const struct size *b) {
    if (a->faults != b->faults) return a->faults < b->faults;
    if (a->records != b->records) return a->records < b->records;
    if (a->events != b->events) return a->events < b->events;
    return a->bytes < b->bytes;
}

/* Loads and runs text at seed: 1 when it fails with key sh->key (0 when it does not,
 * -1 when the loader refuses it or the run fails). */
static int fails(struct shrinker *sh, const char *text, size_t len, uint64_t seed,
                 struct exp_outcome *o, struct scn_verdict *v, int key) {
    struct ft_error err = {0};
    if (scn_parse(sh->file, text, len, sh->scn, &err)) return -1;
    if (sh->scn->kind != SCN_KIND_PIPELINE) return -1;
    struct exp_windows w = {0};
    int rc = exp_run_windows(&sh->scn->pipe, sh->p, seed, NULL, o, &w, &err);
    if (!rc)
        scn_judge(&sh->scn->expect[sh->p], sh->p, o, &w, SCN_JUDGE_GUARANTEE | SCN_JUDGE_EXPECT, v);
    exp_windows_free(&w);
    if (rc) return -1;
    int f = key < 0 ? scn_verdict_first(v) >= 0 : scn_verdict_has(v, key);
    if (f != 1) return f; /* a failure only a short drain causes is no failure */
    return swarm_recheck(&sh->scn->pipe, &sh->scn->expect[sh->p], sh->p, seed,
                         key < 0 ? scn_verdict_first(v) : key);
}

static void print_size(FILE *f, const struct size *a, const struct size *b) {
    fprintf(f, "faults %llu -> %llu, records %llu -> %llu, events %llu -> %llu\n",
            (unsigned long long)a->faults, (unsigned long long)b->faults,
            (unsigned long long)a->records, (unsigned long long)b->records,
            (unsigned long long)a->events, (unsigned long long)b->events);
}

/* Tries the edited document d as the next step; keeps it when it fails the same way
 * and is smaller. Returns true when kept. d is consumed. */
static bool try_step(struct shrinker *sh, struct scn_doc *d, const char *what) {
    char *text = NULL;
    size_t len;
    if (sh->tried >= SHRINK_STEPS_MAX || sh->rc) {
        scn_doc_free(d);
        return false;
    }
    int rc = scn_doc_emit(d, &text, &len);
    scn_doc_free(d);
    if (rc) {
        sh->rc = rc;
        return false;
    }
    struct exp_outcome o;
    struct scn_verdict v;
    uint64_t seed = sh->seed;
    sh->tried++;
    int f = fails(sh, text, len, seed, &o, &v, sh->key);
    for (uint32_t k = 1; f == 0 && k <= sh->seeds && sh->tried < SHRINK_STEPS_MAX; k++, sh->tried++)
        f = fails(sh, text, len, seed = sh->seed + k, &o, &v, sh->key);
    struct size sz = {count_faults(&sh->scn->pipe), o.sent, o.events, len};
    if (f != 1 || !smaller(&sz, &sh->size)) {
        free(text);
        return false;
    }
    sh->kept++;
    if (sh->log) {
        fprintf(sh->log, "    step %u: %s%s: ", sh->kept, what,
                seed != sh->seed ? " (seed moved)" : "");
        print_size(sh->log, &sh->size, &sz);
    }
    free(sh->text);
    sh->text = text;
    sh->len = len;
    sh->size = sz;
    sh->out = o;
    sh->seed = seed;
    return true;
}

/* The current best as a document to edit, or NULL. */
static struct scn_doc *doc(struct shrinker *sh) {
    struct scn_doc *d;
    struct ft_error err = {0};
    if (scn_doc_parse(sh->file, sh->text, sh->len, &d, &err)) {
        sh->rc = FT_ENOMEM;
        return NULL;
    }
    return d;
}

/* Tries removing path; true when kept. */
static bool try_remove(struct shrinker *sh, const char *path) {
    struct scn_doc *d = doc(sh);
    if (!d) return false;
    if (scn_doc_remove(d, path)) {
        scn_doc_free(d);
        return false;
    }
    char parent[64]; /* a list or mapping left empty goes too */
    const char *dot = strrchr(path, '.');
    snprintf(parent, sizeof parent, "%.*s", dot ? (int)(dot - path) : 0, path);
    if (dot && scn_doc_len(d, parent) == 0) scn_doc_remove(d, parent);
    char what[300];
    snprintf(what, sizeof what, "drop %s", path);
    return try_step(sh, d, what);
}

/* Tries setting path to value; true when kept. */
static bool try_set(struct shrinker *sh, const char *path, const char *value) {
    struct scn_doc *d = doc(sh);
    if (!d) return false;
    char what[300];
    const char *old = scn_doc_scalar(d, path);
    snprintf(what, sizeof what, "%s %s -> %s", path, old ? old : "(default)", value);
    if (scn_doc_set(d, path, value)) {
        scn_doc_free(d);
        return false;
    }
    return try_step(sh, d, what);
}

/* Drops each fault, link override and network impairment, and the consumer group. */
static bool pass_faults(struct shrinker *sh) {
    bool any = false;
    char path[64];
    static const char *const net[] = {"network.loss", "network.duplicate", "network.reorder",
                                      "network.reorder_delay", "network.jitter"};
    for (int i = (int)current(sh)->nfaults - 1; i >= 0; i--) {
        snprintf(path, sizeof path, "faults.%d", i);
        any |= try_remove(sh, path);
    }
    for (int i = (int)current(sh)->nlinks - 1; i >= 0; i--) {
        snprintf(path, sizeof path, "links.%d", i);
        any |= try_remove(sh, path);
    }
    for (size_t i = 0; i < sizeof net / sizeof net[0]; i++)
        any |= try_remove(sh, net[i]); /* a key the file lacks is no step */
    if (current(sh)->group.rebalance) any |= try_remove(sh, "group");
    return any;
}

/* Tries a numeric scalar or duration (whole ms from 1 ms) at path. */
static bool try_value(struct shrinker *sh, const char *path, uint64_t v, bool duration) {
    char buf[48];
    if (duration) {
        v = v >= SIM_NS_PER_MS ? v / SIM_NS_PER_MS * SIM_NS_PER_MS : v;
        scn_duration_str(v, buf, sizeof buf);
    } else {
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
    }
    return try_set(sh, path, buf);
}

/* Halves a numeric scalar or duration at path while it helps (when half fails, three
 * quarters is tried once), never below floor. */
static bool shrink_value(struct shrinker *sh, const char *path, uint64_t cur, uint64_t floor,
                         bool duration) {
    bool any = false;
    while (cur / 2 >= floor && cur / 2 < cur && sh->tried < SHRINK_STEPS_MAX) {
        uint64_t half = cur / 2, most = cur - cur / 4;
        if (try_value(sh, path, half, duration))
            cur = half;
        else if (most < cur && most >= floor && try_value(sh, path, most, duration))
            cur = most;
        else
            break;
        any = true;
    }
    return any;
}

/* The source's key of distinct keys for its kind ("source.keys", ...), or NULL. */
static const char *keys_key(enum src_kind k) {
    switch (k) {
    case SRC_KEYED:
        return "source.keys";
    case SRC_IOT:
        return "source.devices";
    case SRC_LOGS:
        return "source.hosts";
    case SRC_ADS:
        return "source.campaigns";
    case SRC_CLICKS:
        return "source.users";
    default:
        return NULL;
    }
}

/* Shorter duration, a lower rate, fewer keys, workers and partitions (partitions not
 * below the workers: an idle worker is a different scenario). */
static bool pass_sizes(struct shrinker *sh) {
    struct pipe_config c = *current(sh);
    bool any = shrink_value(sh, "duration", c.duration_ns, SIM_NS_PER_MS, true);
    const struct pipe_source *s = &c.source;
    if (keys_key(s->kind)) any |= shrink_value(sh, keys_key(s->kind), s->keys, 1, false);
    for (uint64_t p = s->period_ns * 2; s->kind == SRC_IOT && p <= c.duration_ns; p *= 2)
        if (!try_value(sh, "source.period", p, true))
            break; /* fewer readings per device */
        else
            any = true;
    if (s->kind != SRC_IOT && s->kind != SRC_CSV && s->rate_per_s >= 2)
        any |= shrink_value(sh, "source.rate", (uint64_t)s->rate_per_s, 1, false);
    any |= shrink_value(sh, "nodes.workers", c.workers, 1, false);
    c = *current(sh);
    any |= shrink_value(sh, "nodes.partitions", c.partitions, c.workers, false);
    return any;
}

/* Every time of the scenario scaled by num/den at once: the duration, each fault's
 * `at`, heal and restart_after, so the faults keep their order and overlaps. */
static bool try_scale(struct shrinker *sh, uint64_t num, uint64_t den) {
    const struct pipe_config c = *current(sh);
    struct scn_doc *d = doc(sh);
    if (!d) return false;
    char path[64], v[48], what[64];
#define SCALED(ns) scn_duration_str((ns)*num / den / SIM_NS_PER_MS * SIM_NS_PER_MS, v, sizeof v)
    scn_doc_set(d, "duration", SCALED(c.duration_ns));
    for (uint32_t i = 0; i < c.nfaults; i++) {
        const struct pipe_fault *f = &c.faults[i];
        snprintf(path, sizeof path, "faults.%u.at", i);
        if (f->has_at && scn_doc_scalar(d, path)) scn_doc_set(d, path, SCALED(f->at_ns));
        snprintf(path, sizeof path, "faults.%u.heal", i);
        if (f->type == PIPE_FAULT_PARTITION) scn_doc_set(d, path, SCALED(f->heal_ns));
        snprintf(path, sizeof path, "faults.%u.restart_after", i);
        if (f->type == PIPE_FAULT_CRASH && f->restart_after_ns >= 2 * SIM_NS_PER_MS &&
            scn_doc_scalar(d, path))
            scn_doc_set(d, path, SCALED(f->restart_after_ns));
    }
#undef SCALED
    snprintf(what, sizeof what, "every time scaled by %llu/%llu", (unsigned long long)num,
             (unsigned long long)den);
    return try_step(sh, d, what);
}

/* Moves the faults toward the start: first all times together, then each fault's `at`
 * (a partition keeps its length), nth and count. */
static bool pass_times(struct shrinker *sh) {
    bool any = false;
    char path[64], v[48];
    while (sh->tried < SHRINK_STEPS_MAX && current(sh)->duration_ns >= 2 * SIM_NS_PER_MS &&
           (try_scale(sh, 1, 2) || try_scale(sh, 3, 4)))
        any = true;
    for (uint32_t i = 0; i < current(sh)->nfaults && sh->tried < SHRINK_STEPS_MAX; i++) {
        struct pipe_fault f = current(sh)->faults[i];
        snprintf(path, sizeof path, "faults.%u.nth", i);
        if (!f.has_at && f.nth > 1) any |= shrink_value(sh, path, f.nth, 1, false);
        snprintf(path, sizeof path, "faults.%u.count", i);
        if (f.type == PIPE_FAULT_DROP && f.count > 1)
            any |= shrink_value(sh, path, f.count, 1, false);
        if (!f.has_at || f.at_ns == 0) continue;
        struct scn_doc *d = doc(sh);
        if (!d) return any;
        uint64_t at = f.at_ns / 2 / SIM_NS_PER_MS * SIM_NS_PER_MS;
        snprintf(path, sizeof path, "faults.%u.at", i);
        scn_doc_set(d, path, scn_duration_str(at, v, sizeof v));
        if (f.type == PIPE_FAULT_PARTITION) {
            snprintf(path, sizeof path, "faults.%u.heal", i);
            scn_doc_set(d, path, scn_duration_str(f.heal_ns - (f.at_ns - at), v, sizeof v));
        }
        char what[96];
        snprintf(what, sizeof what, "faults.%u moved from %s", i,
                 scn_duration_str(f.at_ns, v, sizeof v));
        any |= try_step(sh, d, what);
    }
    return any;
}

/* Drops the query's stateless operators, the window's slide and watermark, the driver,
 * and the whole query. */
static bool pass_query(struct shrinker *sh) {
    bool any = false;
    char path[64];
    if (!current(sh)->query.enabled) return false;
    any |= try_remove(sh, "pipeline");
    struct scn_doc *d = doc(sh);
    int n = d ? scn_doc_len(d, "pipeline") : -1;
    scn_doc_free(d);
    for (int i = n - 2; i >= 0; i--) { /* the window is last */
        snprintf(path, sizeof path, "pipeline.%d", i);
        any |= try_remove(sh, path);
    }
    d = doc(sh);
    n = d ? scn_doc_len(d, "pipeline") : -1;
    scn_doc_free(d);
    if (n > 0) {
        snprintf(path, sizeof path, "pipeline.%d.window.slide", n - 1);
        any |= try_remove(sh, path);
        snprintf(path, sizeof path, "pipeline.%d.window.watermark", n - 1);
        any |= try_remove(sh, path);
    }
    any |= try_remove(sh, "driver");
    return any;
}

/* The minimal file: named NAME-min, protocols [p], its seed, an expect: entry for p. */
static int write_min(struct shrinker *sh, const char *out_path, const struct scenario *orig) {
    struct scn_doc *d = doc(sh);
    if (!d) return CLI_INTERNAL;
    struct exp_outcome o;
    struct scn_verdict v;
    fails(sh, sh->text, sh->len, sh->seed, &o, &v, -1);
    char name[SCN_NAME_MAX], about[SCN_ABOUT_MAX + 64], seed[32];
    snprintf(name, sizeof name, "%.59s-min", orig->name);
    snprintf(about, sizeof about,
             "\"Shrunk by ftsim shrink from %s (seed %llu): under %s it fails %s: %.600s\"",
             orig->name, (unsigned long long)sh->seed, dlv_name(sh->p), scn_key_name(sh->key),
             v.detail);
    for (char *q = about + 1; q[1]; q++)
        if (*q == '"') *q = '\'';
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)sh->seed);
    scn_doc_set(d, "name", name);
    scn_doc_set(d, "about", about);
    scn_doc_set(d, "seed", seed);
    scn_doc_remove(d, "seeds");
    char list[48];
    snprintf(list, sizeof list, "[%s]", dlv_name(sh->p));
    scn_doc_set(d, "protocols", list);
    int rc = 0;
    if (sh->key < SCN_KEY_EXPECT) { /* the promise, as the final run gives it */
        struct scn_expect e;
        scn_expect_promised(sh->p, &o, NULL, &e);
        rc = swarm_doc_expect(d, &sh->p, 1, &e);
    } else { /* the file's own expect: entry for p, every key of it */
        for (int i = scn_doc_len(d, "expect") - 1; i >= 0; i--) {
            const char *k = scn_doc_key(d, "expect", i);
            char path[64];
            snprintf(path, sizeof path, "expect.%s", k ? k : "");
            if (k && dlv_parse(k) != (int)sh->p) scn_doc_remove(d, path);
        }
    }
    char rel[512], dir[FT_ERROR_FILE_MAX];
    const char *slash = strrchr(out_path, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - out_path) : 1, slash ? out_path : ".");
    if (!rc && sh->scn->pipe.source.kind == SRC_CSV) {
        rc = swarm_rel_path(dir, sh->scn->pipe.source.csv_path, rel, sizeof rel);
        if (!rc) rc = scn_doc_set(d, "source.file", rel);
    }
    char *text = NULL;
    size_t len = 0;
    if (!rc) rc = scn_doc_emit(d, &text, &len);
    scn_doc_free(d);
    FILE *f = rc ? NULL : fopen(out_path, "w");
    bool ok = f && fwrite(text, 1, len, f) == len;
    if (f && fclose(f)) ok = false;
    free(text);
    if (!ok) fprintf(stderr, "ftsim shrink: cannot write %s\n", out_path);
    return ok ? CLI_OK : CLI_INTERNAL;
}

static int start(struct shrinker *sh, const char *text, size_t len, struct scenario *orig) {
    struct ft_error err = {0};
    int rc = scn_parse(sh->file, text, len, orig, &err);
    if (rc) return cli_print_load_error("shrink", rc, &err);
    if (orig->kind != SCN_KIND_PIPELINE) {
        fprintf(stderr, "ftsim shrink: %s is a Byzantine scenario\n", sh->file);
        return CLI_USAGE;
    }
    struct scn_verdict v;
    int f = fails(sh, text, len, sh->seed, &sh->out, &v, -1);
    if (f < 0) {
        fprintf(stderr, "ftsim shrink: %s: the run under %s failed to run\n", sh->file,
                dlv_name(sh->p));
        return CLI_INTERNAL;
    }
    if (f == 0) {
        fprintf(stderr,
                "ftsim shrink: %s does not fail under %s at seed %llu (its guarantee and "
                "expect: hold): nothing to shrink\n",
                sh->file, dlv_name(sh->p), (unsigned long long)sh->seed);
        return CLI_USAGE;
    }
    sh->key = scn_verdict_first(&v);
    sh->text = malloc(len + 1);
    if (!sh->text) return CLI_INTERNAL;
    memcpy(sh->text, text, len + 1);
    sh->len = len;
    sh->size = (struct size){count_faults(&orig->pipe), sh->out.sent, sh->out.events, len};
    if (sh->log)
        fprintf(sh->log, "    fails %s under %s at seed %llu: %s\n", scn_key_name(sh->key),
                dlv_name(sh->p), (unsigned long long)sh->seed, v.detail);
    return CLI_OK;
}

int shrink_scenario(const char *file, const char *text, size_t len, uint64_t seed,
                    enum dlv_protocol p, uint32_t seeds, const char *out_path, FILE *log,
                    struct shrink_result *res) {
    struct shrinker sh = {.file = file, .p = p, .seed = seed, .seeds = seeds, .log = log};
    struct scenario *orig = malloc(sizeof *orig);
    sh.scn = malloc(sizeof *sh.scn);
    int rc = orig && sh.scn ? start(&sh, text, len, orig) : CLI_INTERNAL;
    struct size first = sh.size;
    for (bool again = rc == CLI_OK; again && !sh.rc;) {
        again = pass_faults(&sh);
        again |= pass_sizes(&sh);
        again |= pass_times(&sh);
        again |= pass_query(&sh);
        again &= sh.tried < SHRINK_STEPS_MAX;
    }
    if (!rc && sh.rc) rc = CLI_INTERNAL;
    if (!rc) rc = write_min(&sh, out_path, orig);
    if (!rc && log) {
        fprintf(log, "    minimal (%u steps kept of %u tried): ", sh.kept, sh.tried);
        print_size(log, &first, &sh.size);
        fprintf(log, "    written to %s\n", out_path);
    }
    if (res)
        *res = (struct shrink_result){.seed = sh.seed,
                                      .key = sh.key,
                                      .kept = sh.kept,
                                      .tried = sh.tried,
                                      .faults = {first.faults, sh.size.faults},
                                      .records = {first.records, sh.size.records},
                                      .events = {first.events, sh.size.events}};
    free(sh.text);
    free(sh.scn);
    free(orig);
    return rc;
}
