/* Open-addressing map of u64 -> nonzero u64; see u64map.h. */
#include "u64map.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

static size_t home(uint64_t key, size_t cap) {
    uint64_t h = key * 0x9e3779b97f4a7c15ull;
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ull;
    return (size_t)(h ^ (h >> 32)) & (cap - 1);
}

static size_t find(const struct u64map *m, uint64_t key) {
    size_t i = home(key, m->cap);
    while (m->val[i] && m->key[i] != key)
        i = (i + 1) & (m->cap - 1);
    return i;
}

static int rehash(struct u64map *m, size_t cap) {
    uint64_t *key = malloc(cap * sizeof *key), *val = calloc(cap, sizeof *val);
    if (!key || !val) {
        free(key);
        free(val);
        return FT_ENOMEM;
    }
    struct u64map old = *m;
    m->key = key;
    m->val = val;
    m->cap = cap;
    for (size_t i = 0; i < old.cap; i++) {
        if (!old.val[i]) continue;
        size_t j = find(m, old.key[i]);
        m->key[j] = old.key[i];
        m->val[j] = old.val[i];
    }
    free(old.key);
    free(old.val);
    return 0;
}

size_t u64map_bytes_for(size_t n) {
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    return cap * 2 * sizeof(uint64_t);
}

int u64map_add(struct u64map *m, uint64_t key, uint64_t delta) {
    if (2 * (m->n + 1) > m->cap && rehash(m, m->cap ? 2 * m->cap : 16)) return FT_ENOMEM;
    size_t i = find(m, key);
    if (!m->val[i]) {
        m->key[i] = key;
        m->n++;
    }
    m->val[i] += delta;
    return 0;
}

uint64_t u64map_get(const struct u64map *m, uint64_t key) {
    return m->cap ? m->val[find(m, key)] : 0;
}

/* Backward shift: later keys of the probe run move up, so no run is ever broken. */
void u64map_del(struct u64map *m, uint64_t key) {
    if (!m->cap) return;
    size_t mask = m->cap - 1, i = find(m, key);
    if (!m->val[i]) return;
    for (size_t j = (i + 1) & mask; m->val[j]; j = (j + 1) & mask) {
        size_t h = home(m->key[j], m->cap);
        if (i <= j ? (h <= i || h > j) : (h <= i && h > j)) {
            m->key[i] = m->key[j];
            m->val[i] = m->val[j];
            i = j;
        }
    }
    m->val[i] = 0;
    m->n--;
}

void u64map_clear(struct u64map *m) {
    if (m->val) memset(m->val, 0, m->cap * sizeof *m->val);
    m->n = 0;
}

void u64map_free(struct u64map *m) {
    free(m->key);
    free(m->val);
    memset(m, 0, sizeof *m);
}
