#!/usr/bin/env bash
# Builds ftsim with gcc and clang at -O0 and -O2 and prints the kernel example's trace
# hash, the Byzantine scenarios' JSON output (trace hashes and decisions) and the
# consumer-group and checkpoint scenarios' (trace hashes per protocol) under each;
# exits 1 unless all four agree (DESIGN.md rule 1).
set -euo pipefail
cd "$(dirname "$0")/.."
declare -A hash
for preset in dev release clang-dev clang-release; do
    cmake --preset "$preset" >/dev/null
    cmake --build --preset "$preset" -j "$(nproc)" --target ftsim >/dev/null
    hash[$preset]=$(build/$preset/cli/ftsim example --seed "${SEED:-1}" | awk '/trace hash/ {print $3}')
    # plus the Byzantine scenarios' runs (OM, SM with Ed25519 signatures, Dolev-Strong)
    byz=$(for f in scenarios/byzantine-sm-n3.yaml scenarios/byzantine-forged-signature.yaml; do
              build/$preset/cli/ftsim run --json "$f"; done | b2sum | cut -c1-64)
    # and the consumer-group scenario (heartbeats, evictions, moves, fencing), every protocol
    grp=$(build/$preset/cli/ftsim run --json scenarios/consumer-group-rebalance.yaml | b2sum | cut -c1-64)
    # and the checkpoint scenario (barriers, snapshots, rollbacks, two-phase commits)
    ckp=$(build/$preset/cli/ftsim run --json scenarios/checkpoint-crash.yaml | b2sum | cut -c1-64)
    hash[$preset]="${hash[$preset]} $byz $grp $ckp"
    printf '%-14s %s\n' "$preset" "${hash[$preset]}"
done
[ "$(printf '%s\n' "${hash[@]}" | sort -u | wc -l)" -eq 1 ] || { echo "hashes differ" >&2; exit 1; }
echo "all four builds agree"
