#!/usr/bin/env bash
# The lecture pack's figures and diagrams from the shipped scenarios, end to end
# (ctest entries figures_CASE). Expectations come from the scenario files' text, not
# from ftsim's own tables:
#   comparison   every scenario file that injects a failure (faults:, or a non-zero loss,
#                duplicate or reorder) has a panel of the comparison, every other
#                pipeline file is named under it
#   diagrams     `ftsim diagram` on every file in scenarios/ draws that file's own nodes
#                (generals for a Byzantine file, the pipeline's lifelines otherwise) or
#                exits 2 with a reason
#   byzantine    the Byzantine diagram of byzantine-sm-n3 (n = 3) has the commander's
#                round-1 orders, one to each lieutenant, under each algorithm
#   side         --protocols a,b,c draws three columns of the same record
#   events       run --events group prints only the group's events and their context
#   run-plot     run --plot DIR draws the scenario's figures
#   size         plot --size slide draws 1280 x 720 images
# Usage: figures_test.sh FTSIM CASE
set -euo pipefail
ftsim=$1
case_=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "FAIL ($case_): $*" >&2
    exit 1
}
byzantine() { grep -q '^byzantine:' "$1"; }
# The file injects a failure: a faults: list, or a loss, duplicate or reorder above 0.
injects() {
    grep -q '^faults:' "$1" ||
        grep -Eq '(loss|duplicate|reorder):[[:space:]]*(0*[1-9][0-9.]*|0*\.0*[1-9][0-9]*)' "$1"
}
name_of() { sed -n 's/^name:[[:space:]]*//p' "$1" | head -n 1; }
png_size() { od -An -tu1 -j16 -N8 "$1" | awk '{print $3 * 256 + $4 "x" $7 * 256 + $8}'; }

case $case_ in
comparison)
    for f in scenarios/*.yaml; do
        byzantine "$f" && continue
        "$ftsim" run "$f" --db "$tmp/r.db" >/dev/null
    done
    "$ftsim" plot "$tmp/r.db" --out "$tmp/p" --only comparison >/dev/null
    dat="$tmp/p/comparison.dat"
    drawn=0
    for f in scenarios/*.yaml; do
        byzantine "$f" && continue
        n=$(name_of "$f")
        if injects "$f"; then
            grep -q "^# index [0-9]*: scenario $n\$" "$dat" || fail "no panel for $n ($f injects a failure)"
            drawn=$((drawn + 1))
        else
            grep -Eq "^# scenarios without a failure \(not drawn\):(.*,)? $n(,|\$)" "$dat" ||
                fail "$n (no failure) is neither drawn nor named"
        fi
    done
    echo "comparison: $drawn panels, one per scenario file with a failure"
    ;;
diagrams)
    n=0
    for f in scenarios/*.yaml; do
        name=$(basename "$f" .yaml)
        set +e
        "$ftsim" diagram "$f" --out "$tmp/$name.svg" >"$tmp/out" 2>"$tmp/err"
        rc=$?
        set -e
        if [ $rc = 2 ]; then
            grep -q "ftsim diagram: $f: ." "$tmp/err" || fail "$f: exit 2 without a reason"
            echo "$f: refused: $(cat "$tmp/err")"
            continue
        fi
        [ $rc = 0 ] || fail "$f: exit $rc: $(cat "$tmp/err")"
        head -c 5 "$tmp/$name.svg" | grep -q '<' || fail "$f: no image"
        if byzantine "$f"; then
            # the generals: commander (or gateway) and lieutenants (or replicas)
            grep -Eq '"(commander|gateway)\\n' "$tmp/$name.gp" || fail "$f: no commander lifeline"
            grep -Eq '"(lieutenant|replica)-1\\n' "$tmp/$name.gp" || fail "$f: no lieutenant lifeline"
            ! grep -q '"broker"' "$tmp/$name.gp" || fail "$f: a pipeline drawn for a Byzantine file"
        else
            grep -q '"source" 0' "$tmp/$name.gp" || grep -q '"broker" 0' "$tmp/$name.gp" ||
                fail "$f: no pipeline lifelines"
        fi
        n=$((n + 1))
    done
    echo "diagrams: $n files drawn"
    ;;
byzantine)
    "$ftsim" diagram scenarios/byzantine-sm-n3.yaml --out "$tmp/b.svg" >/dev/null
    # algorithms om, sm, dolev-strong; n = 3: the commander (0) orders each of the two
    # lieutenants in round 1 (rows: 1 y, 2 x from, 3 dx, 4 round, 5 value)
    for alg in om sm dolev-strong; do
        d="$tmp/b-$alg.dat"
        [ -f "$d" ] || fail "no panel for $alg"
        orders=$(awk '/^# index 0/{on=1; next} /^# index/{on=0} on && $2 == 0 && $4 == 1' "$d" | wc -l)
        to=$(awk '/^# index 0/{on=1; next} /^# index/{on=0} on && $2 == 0 && $4 == 1 {print $2 + $3}' "$d" | sort -u | tr '\n' ' ')
        [ "$orders" = 2 ] || fail "$alg: $orders round-1 orders from the commander, expected 2"
        [ "$to" = "1 2 " ] || fail "$alg: round-1 orders go to '$to', expected lieutenants 1 and 2"
    done
    echo "byzantine: the commander's round-1 orders to lieutenants 1 and 2 under om, sm, dolev-strong"
    ;;
side)
    "$ftsim" diagram scenarios/lost-ack.yaml --protocols at-most-once,at-least-once,exactly-once \
        --out "$tmp/s.png" >/dev/null
    [ "$(grep -c '^set origin' "$tmp/s.gp")" = 3 ] || fail "not three columns"
    for p in at-most-once at-least-once exactly-once; do
        d="$tmp/s-$p.dat"
        [ -f "$d" ] || fail "no column for $p"
        # index 2: messages, column 11 the record: all of one record, the same in each
        recs=$(awk '/^# index 2/{on=1; next} /^# index/{on=0} on && !/^#/ && NF > 10 {print $11}' "$d" | sort -u)
        [ "$recs" = 28 ] || fail "$p: records '$recs', expected the lost ack's record 28 alone"
    done
    echo "side: three columns, record 28 in each"
    ;;
events)
    out=$("$ftsim" run scenarios/consumer-group-rebalance.yaml --protocol at-least-once --events group)
    lines=$(grep -c ' s  ' <<<"$out")
    other=$(grep ' s  ' <<<"$out" | grep -Ev ' (crash|restart|partition|heal|fault) | user .*(joined|evicted|->|fenced)' || true)
    [ -z "$other" ] || fail "lines that are not group events: $other"
    [ "$(grep -c 'was evicted from the group' <<<"$out")" -ge 2 ] || fail "fewer than two evictions"
    [ "$lines" -lt 100 ] || fail "$lines lines"
    echo "events: $lines lines, every one a group event or a crash, restart, partition, heal"
    ;;
run-plot)
    "$ftsim" run scenarios/lost-ack.yaml --plot "$tmp/p" >"$tmp/out"
    for fig in comparison timeseries-lost-ack latency-cdf-lost-ack; do
        [ "$(head -c 4 "$tmp/p/$fig.png" | od -An -c | tr -d ' \n')" = 211PNG ] || fail "no $fig.png"
        grep -q "figure: $tmp/p/$fig.png" "$tmp/out" || fail "$fig.png not listed"
    done
    echo "run-plot: comparison, timeseries and latency-cdf of lost-ack"
    ;;
size)
    "$ftsim" run scenarios/lost-ack.yaml --db "$tmp/r.db" >/dev/null
    "$ftsim" plot "$tmp/r.db" --out "$tmp/p" --size slide --font-scale 1.3 >/dev/null
    for png in "$tmp"/p/*.png; do
        [ "$(png_size "$png")" = 1280x720 ] || fail "$png is $(png_size "$png")"
    done
    "$ftsim" diagram scenarios/lost-ack.yaml --size 1920x1080 --out "$tmp/d.png" >/dev/null
    [ "$(png_size "$tmp/d.png")" = 1920x1080 ] || fail "diagram $(png_size "$tmp/d.png")"
    grep -q '^fs = 1.30' "$tmp/p/comparison.gp" || fail "no font scale in the script"
    echo "size: figures 1280x720, diagram 1920x1080"
    ;;
*)
    echo "figures_test.sh: unknown case $case_" >&2
    exit 2
    ;;
esac
