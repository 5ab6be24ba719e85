/* Protocol names and properties, retry back-off, and the durable dedup bitset. */
#include "dlv.h"

#include <string.h>

#include "err.h"

static const struct {
    const char *name, *about;
    bool retries, idempotent, transactional, checkpointed;
} protocols[DLV_COUNT] = {
    [DLV_AT_MOST_ONCE] = {"at-most-once",
                          "offsets committed when a record is sent; no retry; never duplicates",
                          false, false, false, false},
    [DLV_AT_LEAST_ONCE] = {"at-least-once",
                           "process, then ack; senders retry on timeout; never loses",
                           true, false, false, false},
    [DLV_EXACTLY_ONCE] = {"exactly-once",
                          "at-least-once + receivers dedup (producer, epoch, seq) in durable state",
                          true, true, false, false},
    [DLV_EXACTLY_ONCE_TXN] = {"exactly-once-txn",
                              "output and input offsets committed in one atomic transaction",
                              true, true, true, false},
    [DLV_EXACTLY_ONCE_CKPT] = {"exactly-once-checkpoint",
                               "barrier snapshots of window state + offsets; 2PC sink; roll back "
                               "to the last checkpoint",
                               true, true, false, true},
};

const char *dlv_name(enum dlv_protocol p) {
    return (unsigned)p < DLV_COUNT ? protocols[p].name : "?";
}

const char *dlv_about(enum dlv_protocol p) {
    return (unsigned)p < DLV_COUNT ? protocols[p].about : "?";
}

int dlv_parse(const char *name) {
    for (int p = 0; p < DLV_COUNT; p++)
        if (strcmp(name, protocols[p].name) == 0) return p;
    return -1;
}

bool dlv_retries(enum dlv_protocol p) {
    return protocols[p].retries;
}
bool dlv_idempotent(enum dlv_protocol p) {
    return protocols[p].idempotent;
}
bool dlv_transactional(enum dlv_protocol p) {
    return protocols[p].transactional;
}
bool dlv_checkpointed(enum dlv_protocol p) {
    return protocols[p].checkpointed;
}

uint64_t dlv_backoff_ns(const struct dlv_backoff *b, uint32_t attempt) {
    uint64_t t = b->base_ns;
    for (uint32_t i = 0; i < attempt && t < b->max_ns; i++) {
        if (t > b->max_ns / (b->factor ? b->factor : 1)) return b->max_ns;
        t *= b->factor ? b->factor : 1;
    }
    return t < b->max_ns ? t : b->max_ns;
}

int dlv_dedup_insert(struct dlv_dedup *d, uint64_t seq) {
    if (seq >= DLV_SEQ_MAX) return FT_ELIMIT;
    return bitset_insert(&d->seen, seq);
}

bool dlv_dedup_has(const struct dlv_dedup *d, uint64_t seq) {
    return bitset_has(&d->seen, seq);
}

void dlv_dedup_free(struct dlv_dedup *d) {
    bitset_free(&d->seen);
    d->epoch = 0;
}
