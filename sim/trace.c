/* The trace: every kernel event is encoded canonically (fixed-width little-endian
 * fields, then optional extra bytes such as a message payload) into a buffer that is
 * hashed with XXH3-128 block by block, and handed to the optional hook. (BLAKE2b was
 * a third of the pipeline's run time at ~0.87 GB/s; XXH3 hashes ~8.5 GB/s here, and
 * the fingerprint needs no cryptographic strength: docs/PERFORMANCE.md.) The hash covers the whole run and is the run's fingerprint:
 * same scenario + seed => same bytes => same hash, on every build. */
#include <string.h>

#include "sim_internal.h"

#define REC_BYTES 38

void trace_init(struct trace *t) {
    t->n = 0;
    t->count = 0;
    t->hook = NULL;
    t->hook_ctx = NULL;
    XXH3_INITSTATE(&t->st);
    XXH3_128bits_reset(&t->st);
}

static void flush(struct trace *t) {
    XXH3_128bits_update(&t->st, t->buf, t->n);
    t->n = 0;
}

/* Little-endian stores written out byte by byte: portable, and gcc/clang merge them
 * into one store on little-endian hosts (a loop here was not merged and cost ~10%
 * of the kernel loop). */
static inline unsigned char *put64(unsigned char *p, uint64_t v) {
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
    p[4] = (unsigned char)(v >> 32);
    p[5] = (unsigned char)(v >> 40);
    p[6] = (unsigned char)(v >> 48);
    p[7] = (unsigned char)(v >> 56);
    return p + 8;
}

static inline unsigned char *put32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
    return p + 4;
}

static void append(struct trace *t, const void *data, size_t len) {
    const unsigned char *p = data;
    while (len) {
        if (t->n == sizeof t->buf) flush(t);
        size_t k = sizeof t->buf - t->n;
        if (k > len) k = len;
        memcpy(t->buf + t->n, p, k);
        t->n += k;
        p += k;
        len -= k;
    }
}

void trace_emit_tagged(struct sim *s, uint8_t type, uint8_t reason, uint32_t node, uint32_t peer,
                       uint32_t kind, uint64_t id, uint64_t arg, uint64_t tag, const void *extra,
                       size_t extra_len) {
    struct trace *t = &s->tr;
    if (sizeof t->buf - t->n < REC_BYTES) flush(t);
    unsigned char *p = t->buf + t->n;
    p = put64(p, s->now);
    p = put64(p, id);
    p = put64(p, arg);
    p = put32(p, node);
    p = put32(p, peer);
    p = put32(p, kind);
    *p++ = type;
    *p++ = reason;
    t->n += REC_BYTES;
    if (extra_len) append(t, extra, extra_len);
    t->count++;
    if (t->hook) {
        struct sim_trace_rec r = {s->now, id, arg, node, peer, kind, type, reason, tag};
        t->hook(&r, t->hook_ctx);
    }
}

void sim_set_trace_hook(struct sim *s, sim_trace_fn fn, void *ctx) {
    s->tr.hook = fn;
    s->tr.hook_ctx = ctx;
}

void sim_trace_user(struct sim *s, uint32_t node, uint32_t code, uint64_t a, uint64_t b) {
    trace_emit(s, SIM_TR_USER, 0, node, SIM_NODE_NONE, code, a, b, NULL, 0);
}

void sim_trace_hash_hex(struct sim *s, char out[SIM_HASH_HEX_BYTES]) {
    struct trace *t = &s->tr;
    flush(t);
    XXH128_canonical_t h; /* big-endian bytes: the same hex on every host */
    XXH128_canonicalFromHash(&h, XXH3_128bits_digest(&t->st));
    sodium_bin2hex(out, SIM_HASH_HEX_BYTES, h.digest, sizeof h.digest);
}

uint64_t sim_trace_count(const struct sim *s) {
    return s->tr.count;
}

const char *sim_trace_type_name(int type) {
    static const char *const names[] = {"?",     "send",    "deliver", "drop",
                                        "dup",   "crash",   "restart", "timer",
                                        "fault", "partition", "heal",  "start", "user"};
    return type > 0 && type <= SIM_TR_USER ? names[type] : "?";
}

const char *sim_drop_reason_name(int reason) {
    static const char *const names[] = {"", "loss", "rule", "partition", "down", "dup"};
    return reason >= 0 && reason <= SIM_DROP_DUP ? names[reason] : "?";
}
