/* Verdicts on runs (scn_verdict.h): the protocol's guarantee and the expect: keys. */
#include "scn_verdict.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void append(char *buf, size_t size, const char *fmt, ...) {
    size_t len = strlen(buf);
    if (len >= size) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, size - len, fmt, ap);
    va_end(ap);
}

/* Appends "name v (expect B)" to buf and returns whether the bound holds. */
static bool check_bound(const char *name, const struct scn_bound *b, uint64_t v, char *buf,
                        size_t size) {
    if (b->op == SCN_CMP_NONE) return true;
    char want[32];
    append(buf, size, "%s%s %llu (expect %s)", buf[0] ? ", " : "", name, (unsigned long long)v,
           scn_bound_str(b, want, sizeof want));
    return scn_bound_holds(b, v);
}

static uint32_t judge_expect(const struct scn_expect *e, const struct exp_outcome *o,
                             const struct exp_windows *w, char *buf, size_t size) {
    uint32_t bad = 0;
    bad |= !check_bound("lost", &e->lost, o->lost, buf, size) << SCN_EK_LOST;
    bad |= !check_bound("duplicated", &e->duplicated, o->duplicated, buf, size)
           << SCN_EK_DUPLICATED;
    bad |= !check_bound("delivered", &e->delivered, o->delivered, buf, size) << SCN_EK_DELIVERED;
    bad |= !check_bound("rejected", &e->rejected, o->rejected, buf, size) << SCN_EK_REJECTED;
    if (e->matches_reference >= 0) {
        append(buf, size, "%smatches_reference %s (expect %s)", buf[0] ? ", " : "",
               o->matches_reference ? "true" : "false", e->matches_reference ? "true" : "false");
        bad |= (o->matches_reference != (e->matches_reference == 1)) << SCN_EK_REFERENCE;
    }
    bad |= !scn_check_windows(e, o, w, buf, size) << SCN_EK_WINDOWS;
    bad |= !scn_check_lambda(e, o, buf, size) << SCN_EK_LAMBDA;
    bad |= !scn_check_model(e, o, buf, size) << SCN_EK_MODEL;
    return bad;
}

/* "lost 3 (promised 0)" for each broken promise. */
static void describe_guarantee(uint32_t bad, const struct exp_outcome *o, char *buf, size_t size) {
    const struct {
        enum vrd_key k;
        const char *fmt;
        uint64_t v;
    } say[] = {
        {VRD_LOST, "lost %llu (promised 0)", o->lost},
        {VRD_DUPLICATED, "duplicated %llu (promised 0)", o->duplicated},
        {VRD_REFERENCE, "matches_reference false (%llu keys differ)", o->keys_mismatched},
        {VRD_WINDOWS, "windows_match_reference false (%llu rows differ)", o->windows_mismatched},
        {VRD_MODEL_LOST, "model_input_lost %llu (promised 0)", o->model_input_lost},
        {VRD_MODEL_DUPLICATED, "model_input_duplicated %llu (promised 0)",
         o->model_input_duplicated}};
    for (size_t i = 0; i < sizeof say / sizeof say[0]; i++) {
        if (!(bad & VRD_BIT(say[i].k))) continue;
        append(buf, size, "%s", buf[0] ? ", " : "");
        append(buf, size, say[i].fmt, (unsigned long long)say[i].v);
    }
}

/* Whether b is "= 0", the bound a promise states. */
static bool is_zero(const struct scn_bound *b) {
    return b->op == SCN_EQ && !b->value;
}

bool scn_judge(const struct scn_expect *e, enum dlv_protocol p, const struct exp_outcome *o,
               const struct exp_windows *w, unsigned what, struct scn_verdict *v) {
    memset(v, 0, sizeof *v);
    if (what & SCN_JUDGE_GUARANTEE) {
        v->guarantee = vrd_violated(p, o);
        describe_guarantee(v->guarantee, o, v->detail, sizeof v->detail);
    }
    if (!(what & SCN_JUDGE_EXPECT) || !e) return !v->guarantee;
    struct scn_expect rest = *e; /* what the guarantee judged already is not judged twice */
    uint32_t promised = what & SCN_JUDGE_GUARANTEE ? vrd_promised(p, o) : 0;
    if ((promised & VRD_BIT(VRD_LOST)) && is_zero(&rest.lost)) rest.lost.op = SCN_CMP_NONE;
    if ((promised & VRD_BIT(VRD_DUPLICATED)) && is_zero(&rest.duplicated))
        rest.duplicated.op = SCN_CMP_NONE;
    if ((promised & VRD_BIT(VRD_REFERENCE)) && rest.matches_reference == 1)
        rest.matches_reference = -1;
    if ((promised & VRD_BIT(VRD_WINDOWS)) && rest.windows_match_reference == 1)
        rest.windows_match_reference = -1;
    const uint32_t model_both = VRD_BIT(VRD_MODEL_LOST) | VRD_BIT(VRD_MODEL_DUPLICATED);
    if ((promised & VRD_BIT(VRD_MODEL_LOST)) && is_zero(&rest.model_input_lost))
        rest.model_input_lost.op = SCN_CMP_NONE;
    if ((promised & VRD_BIT(VRD_MODEL_DUPLICATED)) && is_zero(&rest.model_input_duplicated))
        rest.model_input_duplicated.op = SCN_CMP_NONE;
    if ((promised & model_both) == model_both && rest.model_input_matches_reference == 1)
        rest.model_input_matches_reference = -1;
    v->expect = judge_expect(&rest, o, w, v->detail, sizeof v->detail);
    return !v->guarantee && !v->expect;
}

int scn_verdict_first(const struct scn_verdict *v) {
    for (int k = 0; k < VRD_KEYS; k++)
        if (v->guarantee & VRD_BIT(k)) return k;
    for (int k = 0; k < SCN_EK_COUNT; k++)
        if (v->expect & (1u << k)) return SCN_KEY_EXPECT + k;
    return -1;
}

bool scn_verdict_has(const struct scn_verdict *v, int key) {
    if (key < 0) return false;
    if (key < SCN_KEY_EXPECT) return (v->guarantee & VRD_BIT(key)) != 0;
    return (v->expect & (1u << (key - SCN_KEY_EXPECT))) != 0;
}

const char *scn_key_name(int key) {
    static const char *const ek[SCN_EK_COUNT] = {
        "expect: lost",       "expect: duplicated",        "expect: delivered",
        "expect: rejected",   "expect: matches_reference", "expect: window keys",
        "expect: lambda keys", "expect: model keys"};
    if (key >= 0 && key < VRD_KEYS) return vrd_key_name((enum vrd_key)key);
    if (key >= SCN_KEY_EXPECT && key < SCN_KEY_EXPECT + SCN_EK_COUNT)
        return ek[key - SCN_KEY_EXPECT];
    return "none";
}

static struct scn_bound zero(void) {
    return (struct scn_bound){.op = SCN_EQ, .value = 0};
}

void scn_expect_unchecked(struct scn_expect *e) {
    memset(e, 0, sizeof *e); /* every bound SCN_CMP_NONE */
    e->matches_reference = e->windows_match_reference = e->lambda_final_match = -1;
    e->model_input_matches_reference = e->model_identical_to_fault_free = -1;
}

void scn_expect_promised(enum dlv_protocol p, const struct exp_outcome *o,
                         const struct scn_expect *base, struct scn_expect *out) {
    scn_expect_unchecked(out);
    out->set = true;
    uint32_t k = vrd_promised(p, o);
    if (k & VRD_BIT(VRD_LOST)) out->lost = zero();
    if (k & VRD_BIT(VRD_DUPLICATED)) out->duplicated = zero();
    if (k & VRD_BIT(VRD_REFERENCE)) out->matches_reference = 1;
    if (k & VRD_BIT(VRD_WINDOWS)) out->windows_match_reference = 1;
    if (k & VRD_BIT(VRD_MODEL_LOST)) out->model_input_lost = zero();
    if (k & VRD_BIT(VRD_MODEL_DUPLICATED)) out->model_input_duplicated = zero();
    if (base && base->set && p >= DLV_EXACTLY_ONCE) out->rejected = base->rejected;
}

int scn_expect_yaml(const struct scn_expect *e, char *buf, size_t size) {
    char b[32];
    buf[0] = '\0';
    const struct {
        const char *name;
        const struct scn_bound *b;
    } bounds[] = {{"lost", &e->lost},
                  {"duplicated", &e->duplicated},
                  {"delivered", &e->delivered},
                  {"rejected", &e->rejected},
                  {"model_input_lost", &e->model_input_lost},
                  {"model_input_duplicated", &e->model_input_duplicated}};
    for (size_t i = 0; i < sizeof bounds / sizeof bounds[0]; i++)
        if (bounds[i].b->op != SCN_CMP_NONE) {
            const char *t = scn_bound_str(bounds[i].b, b, sizeof b), *q = *t <= '9' ? "" : "\"";
            append(buf, size, "%s%s: %s%s%s", buf[0] ? ", " : "{ ", bounds[i].name, q, t, q);
        }
    if (e->matches_reference >= 0)
        append(buf, size, "%smatches_reference: %s", buf[0] ? ", " : "{ ",
               e->matches_reference ? "true" : "false");
    if (e->windows_match_reference >= 0)
        append(buf, size, "%swindows_match_reference: %s", buf[0] ? ", " : "{ ",
               e->windows_match_reference ? "true" : "false");
    append(buf, size, "%s", buf[0] ? " }" : "{}");
    return strlen(buf) + 1 < size ? 0 : -1;
}
