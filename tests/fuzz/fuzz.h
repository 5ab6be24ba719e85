/* The libFuzzer entry point every harness in tests/fuzz/ defines. Built two ways:
 * with clang -fsanitize=fuzzer,address,undefined by `make fuzz` (scripts/fuzz.sh), and
 * with gcc against replay.c, whose main() feeds each committed corpus file once, so
 * `make test` replays the corpus without clang. A harness aborts (FT_ASSERT) on any
 * outcome the parser promises never to give: a crash, a leak, undefined behaviour, an
 * error without a message or position, a code other than ok or bad input. */
#ifndef FTSIM_FUZZ_H
#define FTSIM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a NUL-terminated string the caller frees (a NUL inside ends it early). */
static inline char *fuzz_text(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    if (!text) abort();
    memcpy(text, data, size);
    text[size] = '\0';
    return text;
}

/* One scenario buffer for the whole fuzzing process (struct scenario is large). */
struct scenario;
static inline void *fuzz_scenario_buf(size_t size) {
    static void *buf;
    if (!buf && !(buf = malloc(size))) abort();
    return buf;
}

#endif
