#!/usr/bin/env bash
# `make demo`: the lecture pack, with the release build. Runs every scenario in
# scenarios/ into out/results.db (its own seed, then several seeds for error bars), a
# sweep of lossy-network.yaml over the network loss, draws every figure into out/plots/
# and the message-sequence diagrams into out/diagrams/ (a failure of each kind, the same
# record under three protocols, two Byzantine runs), writes out/index.html, the gallery
# by the lecture's six parts (scripts/gallery.sh), and checks it all: each figure a PNG
# its .gp redraws (scripts/check-figures.sh) and the gallery in headless Chromium, every
# image loaded and nothing wider than 1024 pixels (scripts/check-gallery.sh).
set -euo pipefail
ftsim=${1:-build/release/cli/ftsim}
seeds=${DEMO_SEEDS:-1..10}  # seeds per scenario (error bars over seeds)
out=${DEMO_OUT:-out}        # where everything goes
check=${DEMO_CHECK:-yes}    # no: leave out `ftsim check scenarios/` (ctest runs it alone)
# `ftsim sweep` runs the seeds in two processes and the loss sweep; without it (a tree
# before the sweep command) the scenarios run one seed at a time with `ftsim run` and
# the loss sweep is left out. auto = use it when this ftsim has it; no = never.
use_sweep=auto

mkdir -p "$out"
rm -rf "$out/results.db" "$out/results.db-wal" "$out/results.db-shm" "$out/plots" \
       "$out/diagrams" "$out/index.html" "$out/data-commands.txt"
if [ "$use_sweep" = auto ] && "$ftsim" sweep --help >/dev/null 2>&1; then
    use_sweep=yes
fi
failed=()
: >"$out/data-commands.txt" # what filled results.db, for the gallery
# Runs "$@" and records it; a failure is remembered, the demo goes on.
data() {
    echo "$*" >>"$out/data-commands.txt"
    "$@" || failed+=("$*")
}

echo "== the lecture scenarios: each protocol on the scenario's own seed"
for f in scenarios/*.yaml; do
    echo "-- $f"
    data "$ftsim" run "$f" --db "$out/results.db"
    echo
done

first=${seeds%..*} last=${seeds#*..}
if [ "$use_sweep" = yes ]; then
    echo "== seeds $seeds of every scenario (ftsim sweep --jobs 2), for the error bars"
    for f in scenarios/*.yaml; do
        data "$ftsim" sweep "$f" --seeds "$seeds" --jobs 2 --db "$out/results.db"
    done
    echo "== loss sweep: lossy-network.yaml, network.loss = 0 .. 0.2, duplication off"
    data "$ftsim" sweep scenarios/lossy-network.yaml --seeds "$seeds" --jobs 2 \
        --protocol at-most-once --protocol at-least-once --protocol exactly-once \
        --set network.loss=0,0.02,0.05,0.1,0.15,0.2 --set network.duplicate=0 \
        --db "$out/results.db"
    echo "== driver sweep: late-data-watermark.yaml, micro-batch against continuous"
    data "$ftsim" sweep scenarios/late-data-watermark.yaml --seeds 1..3 \
        --set driver.kind=micro-batch,continuous --db "$out/results.db"
    echo "== Byzantine cost sweep: byzantine-cost.yaml, n = 4 .. 10 generals, nobody lying"
    data "$ftsim" sweep scenarios/byzantine-cost.yaml --seeds 1..3 \
        --set byzantine.n=4,5,6,7,8,9,10 --db "$out/results.db"
else
    echo "== seeds $seeds of every scenario (ftsim run, one seed at a time; no ftsim sweep"
    echo "   in this build, so no loss sweep)"
    for f in scenarios/*.yaml; do
        for ((s = first; s <= last; s++)); do
            data "$ftsim" run "$f" --seed "$s" --db "$out/results.db" >/dev/null
        done
    done
fi
echo

echo "== figures: ftsim plot $out/results.db --out $out/plots"
"$ftsim" plot "$out/results.db" --out "$out/plots" >/dev/null \
    || failed+=("ftsim plot")
echo "== the lake and the warehouse of lake-vs-warehouse.yaml: $out/sinks/PROTOCOL/"
if [ -f scenarios/lake-vs-warehouse.yaml ]; then
    rm -rf "$out/sinks"
    "$ftsim" run scenarios/lake-vs-warehouse.yaml --out "$out/sinks" >/dev/null \
        || failed+=("ftsim run lake-vs-warehouse --out")
fi
echo "== message-sequence diagrams"
mkdir -p "$out/diagrams"
: >"$out/diagrams/commands.txt"
# NAME SCENARIO [OPTIONS]: one diagram per failure the lecture shows (checkpoint-crash
# under its own protocol, in the window of checkpoint 4), the lost ack under three
# protocols side by side, and two Byzantine runs.
while read -r name scn opts; do
    [ -f "scenarios/$scn.yaml" ] || continue
    cmd="ftsim diagram scenarios/$scn.yaml $opts${opts:+ }--out $out/diagrams/$name.png"
    echo "$name $scn $cmd" >>"$out/diagrams/commands.txt"
    # shellcheck disable=SC2086 # opts are words
    "$ftsim" diagram "scenarios/$scn.yaml" $opts --out "$out/diagrams/$name.png" >/dev/null \
        || failed+=("ftsim diagram $name")
done <<'DIAGRAMS'
crash-during-processing crash-during-processing
lost-ack lost-ack
lost-ack-protocols lost-ack --protocols at-most-once,at-least-once,exactly-once
partition-heal partition-heal
consumer-group-windows consumer-group-windows
checkpoint-crash checkpoint-crash --protocol exactly-once-checkpoint --from 4s --to 4.0025s
byzantine-om-n3 byzantine-om-n3
byzantine-forged-signature byzantine-forged-signature
DIAGRAMS
echo

echo "== checking the figures: every family there, each a PNG its .gp redraws"
bash scripts/check-figures.sh "$out/plots" comparison 'loss-sweep-*' 'timeseries-*' \
    'latency-cdf-*' 'windows-*' 'drivers-*' byzantine-agreement byzantine-cost 'lambda-*' \
    'model-error-*' 'kmeans-centres-*' 'offline-vs-streaming-*' \
    || failed+=("figure check of $out/plots")
bash scripts/check-figures.sh "$out/diagrams" crash-during-processing lost-ack \
    lost-ack-protocols partition-heal consumer-group-windows checkpoint-crash 'byzantine-*' \
    || failed+=("figure check of $out/diagrams")
echo

echo "== the gallery: $out/index.html, by the lecture's six parts"
bash scripts/gallery.sh "$out" "$ftsim" || failed+=("scripts/gallery.sh")
bash scripts/check-gallery.sh "$out/index.html" 1024 || failed+=("gallery check in Chromium")
echo

echo "== kernel example: a lossy network and one crash"
"$ftsim" example --seed 1 || failed+=("ftsim example")
echo
if [ "$check" != no ]; then
    echo "== checking every scenario's expectations (ftsim check scenarios/)"
    "$ftsim" check scenarios/ | tail -n 1 || failed+=("ftsim check")
    echo
fi
echo "results:  $out/results.db   (sqlite3 $out/results.db 'SELECT * FROM runs JOIN outcomes ON outcomes.run_id = runs.id')"
echo "figures:  $out/plots/       ($(ls "$out/plots"/*.png 2>/dev/null | wc -l) images, each with its .dat and .gp)"
echo "diagrams: $out/diagrams/"
echo "gallery:  $out/index.html"
if [ ${#failed[@]} -gt 0 ]; then
    printf 'demo: these steps failed: %s\n' "${failed[*]}" >&2
    exit 1
fi
