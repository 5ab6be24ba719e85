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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
