#!/usr/bin/env bash
# Builds ftsim with gcc and clang at -O0 and -O2 and prints the kernel example's trace
# hash under each; exits 1 unless all four agree (DESIGN.md rule 1).
set -euo pipefail
cd "$(dirname "$0")/.."
declare -A hash
for preset in dev release clang-dev clang-release; do
    cmake --preset "$preset" >/dev/null
    cmake --build --preset "$preset" -j "$(nproc)" --target ftsim >/dev/null
    hash[$preset]=$(build/$preset/cli/ftsim example --seed "${SEED:-1}" | awk '/trace hash/ {print $3}')
    printf '%-14s %s\n' "$preset" "${hash[$preset]}"
done
[ "$(printf '%s\n' "${hash[@]}" | sort -u | wc -l)" -eq 1 ] || { echo "hashes differ" >&2; exit 1; }
echo "all four builds agree"
