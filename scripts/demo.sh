#!/usr/bin/env bash
# `make demo`: runs the lecture material with the release build of ftsim.
set -euo pipefail
ftsim=${1:-build/release/cli/ftsim}
echo "== kernel example: a lossy network and one crash =="
"$ftsim" example --seed 1
