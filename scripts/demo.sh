#!/usr/bin/env bash
# `make demo`: the lecture pack, with the release build. Runs every scenario in
# scenarios/ into out/results.db (several seeds, for error bars), a small sweep of
# lossy-network.yaml over the network loss, draws every figure into out/plots/, the
# message-sequence diagrams of crash-during-processing and lost-ack into
# out/diagrams/, and writes out/index.html: a gallery of every figure with its
# scenario's about: text and the command that reproduces it.
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
       "$out/diagrams" "$out/index.html"
if [ "$use_sweep" = auto ] && "$ftsim" sweep --help >/dev/null 2>&1; then
    use_sweep=yes
fi
failed=()
data_cmds=() # what filled results.db, for the gallery
# Runs "$@" and records it; a failure is remembered, the demo goes on.
data() {
    data_cmds+=("$*")
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
"$ftsim" plot "$out/results.db" --out "$out/plots" >"$out/plots.list" \
    || failed+=("ftsim plot")
echo "== the lake and the warehouse of lake-vs-warehouse.yaml: $out/sinks/PROTOCOL/"
if [ -f scenarios/lake-vs-warehouse.yaml ]; then
    rm -rf "$out/sinks"
    "$ftsim" run scenarios/lake-vs-warehouse.yaml --out "$out/sinks" >/dev/null \
        || failed+=("ftsim run lake-vs-warehouse --out")
fi
echo "== message-sequence diagrams"
mkdir -p "$out/diagrams"
for s in crash-during-processing lost-ack; do
    [ -f "scenarios/$s.yaml" ] || continue
    "$ftsim" diagram "scenarios/$s.yaml" --out "$out/diagrams/$s.png" \
        || failed+=("ftsim diagram $s")
done
echo

echo "== checking the figures: every family there, each a PNG its .gp redraws"
bash scripts/check-figures.sh "$out/plots" comparison 'loss-sweep-*' 'timeseries-*' \
    'latency-cdf-*' 'windows-*' 'drivers-*' byzantine-agreement byzantine-cost 'lambda-*' \
    'model-error-*' 'kmeans-centres-*' 'offline-vs-streaming-*' \
    || failed+=("figure check of $out/plots")
bash scripts/check-figures.sh "$out/diagrams" crash-during-processing lost-ack \
    || failed+=("figure check of $out/diagrams")
echo

# ---- the gallery ----
html_escape() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g'; }
# The about: text of the scenario whose name: is $1 ("" when none is).
about_of() {
    local f
    for f in scenarios/*.yaml; do
        if [ "$(sed -n 's/^name:[[:space:]]*//p' "$f" | head -n 1)" = "$1" ]; then
            "$ftsim" list scenarios | sed -n "s/^  $(basename "$f")[[:space:]]*//p"
            return
        fi
    done
}
# What a figure family shows (docs/plots.md has the long form).
caption_of() {
    case $1 in
    comparison) echo "Records lost and duplicated (extra copies) per protocol, one panel per failure scenario: mean over the seeds, error bars one standard deviation." ;;
    loss-sweep-*) echo "Lost and duplicated fraction against the network loss probability p of a sweep; the dashed line is the analytic expectation for at-most-once, 1-(1-p)^3 over its three lossy hops." ;;
    timeseries-*) echo "Records made visible per second and their end-to-end latency (p50, p99) over simulated time, with crashes, restarts and partitions marked." ;;
    latency-cdf-*) echo "End-to-end latency CDF per protocol (record created to first visible at the sink), each percentile averaged over the seeds." ;;
    windows-*) echo "Window counts over processing time, with the watermark and the late records dropped." ;;
    drivers-*) echo "The same windowed query under the micro-batch and the continuous driver: emission latency (p50, p99) and the late contributions each drops." ;;
    lambda-*) echo "The lambda architecture: the served view (batch view + speed view) against the reference, their difference (the at-least-once sawtooth a batch view recomputed from the lake corrects), and the staleness of the served view beside the age of its batch view." ;;
    model-error-*) echo "A streaming model (MLlib's streaming k-means or linear regression with SGD) under each protocol: its error against the true model over simulated time (log scale), with the drift, crashes and restarts marked, above the records each model update consumed (replayed duplicates show as bumps, losses as dips); the key gives each protocol's input lost and duplicated, measured against the generated records." ;;
    kmeans-centres-*) echo "Streaming k-means: the points of one batch, the true centres before and after the drift, and each protocol's learned centres with their paths over the run; the right panel zooms on one centre, where at-least-once's replayed pre-drift points pull the path back." ;;
    offline-vs-streaming-*) echo "A model trained once, offline, on the lake's committed rows and then frozen (the batch layer) against the streaming model that keeps learning (the speed layer): model error and prediction error over time; after the drift the frozen model's error jumps and stays up while the streaming model recovers." ;;
    byzantine-agreement) echo "Byzantine agreement: share of runs in which IC1 and IC2 hold against the number of traitors, OM and SM." ;;
    byzantine-cost) echo "Byzantine agreement: messages and signature verifications against n (log scale), beside the closed forms." ;;
    *) echo "" ;;
    esac
}
figure() { # image, title, caption, about, command
    cat <<EOF
<figure>
  <a href="$1"><img src="$1" alt="$(printf '%s' "$2" | html_escape)"></a>
  <figcaption><b>$(printf '%s' "$2" | html_escape)</b>. $(printf '%s' "$3" | html_escape)
EOF
    [ -n "$4" ] && printf '  <p class="about">Scenario: %s</p>\n' "$(printf '%s' "$4" | html_escape)"
    printf '  <pre>%s</pre></figcaption>\n</figure>\n' "$(printf '%s' "$5" | html_escape)"
}
{
    cat <<'EOF'
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>ftsim lecture pack</title>
<style>
body { font-family: sans-serif; max-width: 1300px; margin: 2em auto; padding: 0 1em; }
figure { margin: 2.5em 0; border-top: 1px solid #ccc; padding-top: 1em; }
img { max-width: 100%; border: 1px solid #eee; }
pre { background: #f6f6f6; padding: .6em; overflow-x: auto; }
.about { color: #444; font-style: italic; }
</style></head><body>
<h1>ftsim lecture pack</h1>
<p>Every figure was drawn by <code>make demo</code> from <code>out/results.db</code>. Beside
each image lie its data (<code>NAME.dat</code>) and its gnuplot script
(<code>NAME.gp</code>): edit the script to restyle the figure and run it again from its
directory. docs/plots.md explains each figure.</p>
<details><summary>The commands that filled out/results.db</summary><pre>
EOF
    printf '%s\n' "${data_cmds[@]}" | html_escape
    echo "</pre></details>"
    echo "<h2>Message-sequence diagrams</h2>"
    for s in crash-during-processing lost-ack; do
        [ -f "$out/diagrams/$s.png" ] || continue
        figure "diagrams/$s.png" "$s: message-sequence diagram" \
            "One run under at-least-once: each node a lifeline, each message an arrow in simulated time; lost messages end in a cross; crashes, restarts and records made visible at the sink are marked." \
            "$(about_of "$s")" \
            "$ftsim diagram scenarios/$s.yaml --out $s.png    # or: cd $out/diagrams && gnuplot $s.gp"
    done
    echo "<h2>Figures</h2>"
    while read -r img; do
        name=$(basename "$img" .png)
        scenario=""
        for fam in loss-sweep timeseries latency-cdf windows lambda model-error kmeans-centres \
            offline-vs-streaming; do
            case $name in "$fam"-*) scenario=${name#"$fam"-} ;; esac
        done
        figure "plots/$name.png" "$name" "$(caption_of "$name")" \
            "$( [ -n "$scenario" ] && about_of "$scenario" )" \
            "$ftsim plot $out/results.db --out $out/plots --only $name    # or: cd $out/plots && gnuplot $name.gp"
    done <"$out/plots.list"
    echo "</body></html>"
} >"$out/index.html"
rm -f "$out/plots.list"

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
