/* The delivery guarantees as a function of protocol and outcome (verdict.h), and
 * experiment.h's exp_guarantee_held, which is their verdict on a run: defined here so
 * that verdict stays below the experiment runner whose outcome it judges. */
#include "verdict.h"

const char *vrd_key_name(enum vrd_key k) {
    static const char *const names[VRD_KEYS] = {"lost",
                                                "duplicated",
                                                "matches_reference",
                                                "windows_match_reference",
                                                "model_input_lost",
                                                "model_input_duplicated"};
    return k < VRD_KEYS ? names[k] : "?";
}

/* The window promise rule (verdict.h): only a window query without late drops, and
 * only where the protocol keeps its window state through the run's crashes. */
static bool windows_promised(enum dlv_protocol p, const struct exp_outcome *o) {
    if (!o->windows_enabled || o->late_dropped > 0) return false;
    if (p == DLV_EXACTLY_ONCE_CKPT) return true;
    return (p == DLV_EXACTLY_ONCE || p == DLV_EXACTLY_ONCE_TXN) && o->worker_crashes == 0;
}

/* The delivery promises alone: what the sink's output must be. */
static uint32_t delivery_promised(enum dlv_protocol p, const struct exp_outcome *o) {
    switch (p) {
    case DLV_AT_MOST_ONCE:
        return VRD_BIT(VRD_DUPLICATED);
    case DLV_AT_LEAST_ONCE:
        return VRD_BIT(VRD_LOST);
    case DLV_EXACTLY_ONCE:
    case DLV_EXACTLY_ONCE_TXN:
    case DLV_EXACTLY_ONCE_CKPT:
        return VRD_BIT(VRD_LOST) | VRD_BIT(VRD_DUPLICATED) | VRD_BIT(VRD_REFERENCE) |
               (windows_promised(p, o) ? VRD_BIT(VRD_WINDOWS) : 0);
    case DLV_COUNT:
        break;
    }
    return 0;
}

uint32_t vrd_promised(enum dlv_protocol p, const struct exp_outcome *o) {
    uint32_t k = delivery_promised(p, o);
    if (!o->model_enabled) return k;
    if (k & VRD_BIT(VRD_LOST)) k |= VRD_BIT(VRD_MODEL_LOST);
    if (k & VRD_BIT(VRD_DUPLICATED)) k |= VRD_BIT(VRD_MODEL_DUPLICATED);
    return k;
}

uint32_t vrd_violated(enum dlv_protocol p, const struct exp_outcome *o) {
    uint32_t bad = 0;
    if (o->lost) bad |= VRD_BIT(VRD_LOST);
    if (o->duplicated) bad |= VRD_BIT(VRD_DUPLICATED);
    if (!o->matches_reference) bad |= VRD_BIT(VRD_REFERENCE);
    if (o->windows_enabled && !o->windows_match_reference) bad |= VRD_BIT(VRD_WINDOWS);
    if (o->model_enabled && o->model_input_lost) bad |= VRD_BIT(VRD_MODEL_LOST);
    if (o->model_enabled && o->model_input_duplicated) bad |= VRD_BIT(VRD_MODEL_DUPLICATED);
    return bad & vrd_promised(p, o);
}

bool exp_guarantee_held(enum dlv_protocol p, const struct exp_outcome *o) {
    return (unsigned)p < DLV_COUNT && vrd_violated(p, o) == 0;
}
