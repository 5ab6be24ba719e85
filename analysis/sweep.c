/* The sweep plan (sweep.h): --set arguments become keys with value lists, sorted by
 * path so the order of the --set options never changes a run's index or its params
 * string; runs are numbered in mixed radix (combination, protocol, seed). */
#include "sweep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *sweep_strndup(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static void sweep_key_free(struct sweep_key *k) {
    for (uint32_t i = 0; i < k->nvalues; i++)
        free(k->values[i]);
    free(k->values);
    free(k->path);
    memset(k, 0, sizeof *k);
}

void sweep_plan_free(struct sweep_plan *p) {
    for (uint32_t i = 0; i < p->nkeys; i++)
        sweep_key_free(&p->keys[i]);
    p->nkeys = 0;
}

static int sweep_add_value(struct sweep_key *k, const char *v, size_t n, struct ft_error *err) {
    for (uint32_t i = 0; i < k->nvalues; i++)
        if (strlen(k->values[i]) == n && !memcmp(k->values[i], v, n))
            return ft_fail(err, FT_EPARSE, "--set %s: the value '%s' is listed twice", k->path,
                           k->values[i]);
    if (k->nvalues == SWEEP_VALUES_MAX)
        return ft_fail(err, FT_EPARSE, "--set %s: at most %u values", k->path, SWEEP_VALUES_MAX);
    char **vals = realloc(k->values, (k->nvalues + 1) * sizeof *vals);
    if (!vals) return ft_fail(err, FT_ENOMEM, "out of memory");
    k->values = vals;
    if (!(vals[k->nvalues] = sweep_strndup(v, n))) return ft_fail(err, FT_ENOMEM, "out of memory");
    k->nvalues++;
    return 0;
}

int sweep_plan_add_set(struct sweep_plan *p, const char *arg, struct ft_error *err) {
    const char *eq = strchr(arg, '=');
    if (strlen(arg) > SWEEP_ARG_MAX)
        return ft_fail(err, FT_EPARSE, "--set: the argument is longer than %u bytes",
                       SWEEP_ARG_MAX);
    if (!eq || eq == arg)
        return ft_fail(err, FT_EPARSE,
                       "--set expects PATH=VALUE[,VALUE...] like "
                       "network.loss=0,0.01, found '%s'",
                       arg);
    size_t plen = (size_t)(eq - arg);
    for (uint32_t i = 0; i < p->nkeys; i++)
        if (strlen(p->keys[i].path) == plen && !memcmp(p->keys[i].path, arg, plen))
            return ft_fail(err, FT_EPARSE,
                           "--set %s is given twice: list all its values in one "
                           "--set, separated by commas",
                           p->keys[i].path);
    if (p->nkeys == SWEEP_KEYS_MAX)
        return ft_fail(err, FT_EPARSE, "at most %u --set keys", SWEEP_KEYS_MAX);
    struct sweep_key *k = &p->keys[p->nkeys];
    memset(k, 0, sizeof *k);
    if (!(k->path = sweep_strndup(arg, plen))) return ft_fail(err, FT_ENOMEM, "out of memory");
    p->nkeys++; /* owned by the plan from here, freed on error by sweep_plan_free */
    for (const char *v = eq + 1;;) {
        size_t n = strcspn(v, ",");
        int rc = sweep_add_value(k, v, n, err);
        if (rc) return rc;
        if (!v[n]) break;
        v += n + 1;
    }
    return 0;
}

static int cmp_key(const void *a, const void *b) {
    return strcmp(((const struct sweep_key *)a)->path, ((const struct sweep_key *)b)->path);
}

int sweep_plan_finish(struct sweep_plan *p, struct ft_error *err) {
    if (!p->nprotocols) return ft_fail(err, FT_EINVAL, "sweep: no protocol to run");
    if (p->seed_first > p->seed_last)
        return ft_fail(err, FT_EPARSE, "--seeds %llu..%llu is reversed: expected A..B with A <= B",
                       (unsigned long long)p->seed_first, (unsigned long long)p->seed_last);
    qsort(p->keys, p->nkeys, sizeof p->keys[0], cmp_key);
    p->ncombos = 1;
    for (uint32_t i = 0; i < p->nkeys; i++) {
        p->ncombos *= p->keys[i].nvalues; /* <= 1000 each: checked before it can overflow */
        if (p->ncombos > SWEEP_COMBOS_MAX)
            return ft_fail(err, FT_ELIMIT, "the --set values make more than %u combinations",
                           SWEEP_COMBOS_MAX);
    }
    uint64_t span = p->seed_last - p->seed_first;
    if (span >= SWEEP_RUNS_MAX)
        return ft_fail(err, FT_ELIMIT, "a sweep runs at most %llu runs; --seeds spans more",
                       (unsigned long long)SWEEP_RUNS_MAX);
    p->nseeds = span + 1;
    p->nruns = p->ncombos * p->nprotocols * p->nseeds;
    if (p->nruns > SWEEP_RUNS_MAX)
        return ft_fail(err, FT_ELIMIT,
                       "the sweep has %llu runs (%llu combinations x %u protocols x %llu seeds), "
                       "more than the limit of %llu: split it into several sweeps",
                       (unsigned long long)p->nruns, (unsigned long long)p->ncombos, p->nprotocols,
                       (unsigned long long)p->nseeds, (unsigned long long)SWEEP_RUNS_MAX);
    return 0;
}

void sweep_point_of(const struct sweep_plan *p, uint64_t index, struct sweep_point *out) {
    FT_ASSERT(index < p->nruns);
    out->seed = p->seed_first + index % p->nseeds;
    index /= p->nseeds;
    out->protocol = p->protocols[index % p->nprotocols];
    out->combo = index / p->nprotocols;
}

const char *sweep_value(const struct sweep_plan *p, uint64_t combo, uint32_t k) {
    FT_ASSERT(k < p->nkeys && combo < p->ncombos);
    for (uint32_t i = p->nkeys - 1; i > k; i--)
        combo /= p->keys[i].nvalues;
    return p->keys[k].values[combo % p->keys[k].nvalues];
}

int sweep_params(const struct sweep_plan *p, uint64_t combo, char *buf, size_t size) {
    size_t o = 0;
    if (size) buf[0] = '\0';
    for (uint32_t k = 0; k < p->nkeys; k++) {
        int n = snprintf(buf + o, o < size ? size - o : 0, "%s%s=%s", k ? "," : "", p->keys[k].path,
                         sweep_value(p, combo, k));
        if (n < 0) return -1;
        o += (size_t)n;
    }
    return o < size ? (int)o : -1;
}

bool sweep_in_shard(uint64_t index, uint32_t k, uint32_t n) {
    return n <= 1 || index % n == (uint64_t)(k - 1);
}
