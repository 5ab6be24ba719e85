#!/usr/bin/env bash
# `make demo`: the lecture material with the release build — each delivery scenario's
# comparison table, stored in out/results.db, and the kernel example.
set -euo pipefail
ftsim=${1:-build/release/cli/ftsim}
mkdir -p out
rm -f out/results.db out/results.db-wal out/results.db-shm
for f in scenarios/lost-ack.yaml scenarios/crash-during-processing.yaml \
         scenarios/lossy-network.yaml scenarios/partition-heal.yaml scenarios/broker-crash.yaml; do
    echo "== $f"
    "$ftsim" run "$f" --db out/results.db
    echo
done
echo "== checking every scenario's expectations (ftsim check scenarios/)"
"$ftsim" check scenarios/ | tail -n 1
echo
echo "== kernel example: a lossy network and one crash"
"$ftsim" example --seed 1
echo
echo "results: out/results.db (sqlite3 out/results.db 'SELECT * FROM runs JOIN outcomes ON outcomes.run_id = runs.id')"
