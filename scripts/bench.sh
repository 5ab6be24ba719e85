#!/usr/bin/env bash
# `make bench`: the kernel benchmarks (docs/PERFORMANCE.md records their figures).
#   bash scripts/bench.sh DIR [SCALE]
# DIR holds the release build's bench executables (build/release/bench). SCALE (default
# 1) scales the kernel benchmark's work and the ping-pong message count; 0.05 is a
# smoke run. Every line printed is `name value unit`.
set -euo pipefail
dir=${1:-build/release/bench}
scale=${2:-1}
for exe in kernel pingpong; do
    [ -x "$dir/$exe" ] || { echo "bench.sh: $dir/$exe not found (make release first)" >&2; exit 1; }
done
messages=$(awk -v s="$scale" 'BEGIN { m = int(2000000 * s); print (m < 1000 ? 1000 : m) }')
"$dir/kernel" "$scale"
"$dir/pingpong" 100 "$messages"
