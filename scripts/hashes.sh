#!/usr/bin/env bash
# Builds ftsim with gcc and clang at -O0 and -O2 and prints, under each, the kernel
# example's trace hash and a digest of `ftsim run --json` over every scenario in
# scenarios/ (each protocol's or algorithm's trace hash, outcome, window table and
# decisions); exits 1 unless all four builds agree (DESIGN.md rule 1).
set -euo pipefail
cd "$(dirname "$0")/.."
declare -A hash
for preset in dev release clang-dev clang-release; do
    cmake --preset "$preset" >/dev/null
    cmake --build --preset "$preset" -j "$(nproc)" --target ftsim >/dev/null
    hash[$preset]=$(build/$preset/cli/ftsim example --seed "${SEED:-1}" | awk '/trace hash/ {print $3}')
    runs=$(for f in scenarios/*.yaml; do build/$preset/cli/ftsim run --json "$f"; done | b2sum | cut -c1-64)
    hash[$preset]="${hash[$preset]} $runs"
    printf '%-14s %s\n' "$preset" "${hash[$preset]}"
done
[ "$(printf '%s\n' "${hash[@]}" | sort -u | wc -l)" -eq 1 ] || { echo "hashes differ" >&2; exit 1; }
echo "all four builds agree (the example and $(ls scenarios/*.yaml | wc -l) scenarios)"
