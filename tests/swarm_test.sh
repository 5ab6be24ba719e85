#!/usr/bin/env bash
# Swarm and shrink acceptance tests run by ctest (tests/CMakeLists.txt):
#   bash tests/swarm_test.sh FTSIM CASE
#   jobs      `swarm --jobs 2` equals `--jobs 1`: the same report, the same files
#             (--all writes every run's file) and the same --db rows, row for row
#   files     every generated file loads with `ftsim run` alone, and `ftsim check` on it
#             gives the swarm's verdict: exit 0 for a run that held, 1 for a violation
#             (the planted bug supplies violations)
#   plant     the planted bug (FTSIM_TEST_PLANT=sink-forgets-dedup: the exactly-once sink
#             forgets its dedup table when it restarts): a swarm of 10 runs over
#             lost-ack.yaml (seed 1, exactly-once) finds it; every minimal file of
#             --shrink fails alone and only with the bug; `shrink --seeds 5` reduces the
#             first violation to at most two faults and at most 500 records; `explain`
#             of the minimal file names the record the raw trace shows visible twice, the
#             sink's restart and the dedup entry; without the switch the same swarm finds
#             nothing
#   shrink    shrink is deterministic (the same steps and the same file twice), its file
#             fails the same way at its seed, and a run that holds is refused (exit 2)
#   moments   lost-ack.yaml under at-least-once reaches ack-lost-after-sink-committed
#             exactly as often as its trace shows an ack, output-ack or commit-ack of a
#             record dropped after the record's "visible" line (counted here with awk)
#   model     a swarm over ml-kmeans-lost-ack.yaml judges the model by the promise
#             (docs/ml.md): every file's expect: entry is the promise alone (model input
#             lost 0 where lost is, duplicated 0 where duplicated is) and none of the
#             base's own model keys; `ftsim check` on each file gives the swarm's verdict
#   usage     swarm without --runs, with a bad --protocol, on a Byzantine file: exit 2
set -euo pipefail
ftsim=$(realpath "$1")
case_=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ftsim-swarm-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
plant=sink-forgets-dedup

# the report without its wall-clock figures
report() { sed -E 's/; [0-9.]+ s, [0-9.]+ runs\/s$//'; }

# faults of a scenario file: list entries under faults: plus network impairments
faults_of() {
    awk '/^faults:/{f=1; next} /^[a-z]/{f=0} f && /^- /{n++}
         /^network:/{for (k in a) delete a[k]; if ($0 ~ /loss:/) n++; if ($0 ~ /duplicate:/) n++;
                     if ($0 ~ /reorder:/) n++; if ($0 ~ /jitter:/) n++}
         END{print n+0}' "$1"
}

case $case_ in
jobs)
    for j in 1 2; do
        "$ftsim" swarm scenarios/lost-ack.yaml --runs 12 --seed 3 --jobs $j --all \
            --out "$tmp/j$j" --db "$tmp/j$j.db" | report > "$tmp/j$j.txt" || true
    done
    diff "$tmp/j1.txt" "$tmp/j2.txt" || fail "the report differs between --jobs 1 and 2"
    diff -r "$tmp/j1" "$tmp/j2" || fail "the files differ between --jobs 1 and 2"
    n=$(ls "$tmp/j1" | wc -l)
    [ "$n" -eq 12 ] || fail "expected 12 files with --all, found $n"
    a=$(sqlite3 "$tmp/j1.db" .dump) b=$(sqlite3 "$tmp/j2.db" .dump)
    [ -n "$a" ] || fail "the --db has no rows"
    [ "$a" = "$b" ] || fail "the --db rows differ between --jobs 1 and 2"
    rows=$(sqlite3 "$tmp/j1.db" "SELECT count(*) FROM runs")
    [ "$rows" -eq 48 ] || fail "expected 12 runs x 4 protocols = 48 rows, found $rows"
    ;;
files)
    FTSIM_TEST_PLANT=$plant "$ftsim" swarm scenarios/lost-ack.yaml --runs 8 --all \
        --out "$tmp/f" > "$tmp/report.txt" && fail "the planted swarm found nothing"
    violated=$(grep -c '^VIOLATED' "$tmp/report.txt" || true)
    [ "$violated" -gt 0 ] || fail "no violation to compare"
    seen=0
    for f in "$tmp"/f/*.yaml; do
        name=$(basename "$f" .yaml)
        FTSIM_TEST_PLANT=$plant "$ftsim" run "$f" > /dev/null || fail "$f does not run alone"
        rc=0
        FTSIM_TEST_PLANT=$plant "$ftsim" check "$f" > "$tmp/check.txt" || rc=$?
        want=0
        grep -q "^VIOLATED $name under" "$tmp/report.txt" && want=1
        [ "$rc" -eq "$want" ] || fail "check $f exits $rc, the swarm said $want"
        seen=$((seen + want))
    done
    [ "$seen" -gt 0 ] || fail "no file reproduced a violation"
    ;;
plant)
    rc=0
    FTSIM_TEST_PLANT=$plant "$ftsim" swarm scenarios/lost-ack.yaml --runs 10 --seed 1 \
        --protocol exactly-once --shrink --out "$tmp/p" > "$tmp/p.txt" || rc=$?
    [ "$rc" -eq 1 ] || { cat "$tmp/p.txt"; fail "the planted bug was not found in 10 runs (exit $rc)"; }
    for min in "$tmp"/p/*-min.yaml; do  # every minimal file fails alone, and only with the bug
        rc=0
        FTSIM_TEST_PLANT=$plant "$ftsim" check "$min" > /dev/null || rc=$?
        [ "$rc" -eq 1 ] || fail "$min does not fail alone (check exits $rc)"
        "$ftsim" check "$min" > /dev/null || fail "$min fails without the planted bug"
    done
    # the first violation, shrunk with 5 nearby seeds: at most 2 faults, 500 records
    line=$(grep -m1 '^  ftsim run' "$tmp/p.txt")
    file=$(echo "$line" | awk '{print $3}') seed=$(echo "$line" | awk '{print $5}')
    FTSIM_TEST_PLANT=$plant "$ftsim" shrink "$file" --seed "$seed" --protocol exactly-once \
        --seeds 5 --out "$tmp/first-min.yaml" > "$tmp/first.txt" || fail "shrink failed"
    nf=$(faults_of "$tmp/first-min.yaml")
    [ "$nf" -le 2 ] || { cat "$tmp/first-min.yaml"; fail "the minimal file has $nf faults (at most 2 wanted)"; }
    sent=$(FTSIM_TEST_PLANT=$plant "$ftsim" run "$tmp/first-min.yaml" --json |
           grep -o '"sent":[0-9]*' | cut -d: -f2)
    [ "$sent" -le 500 ] || fail "the minimal file sends $sent records (at most 500 wanted)"
    # explain names the record the forgotten dedup entry let through twice (the one the
    # raw trace shows visible twice) and the sink's restart (the trace's restart line)
    FTSIM_TEST_PLANT=$plant "$ftsim" run "$tmp/first-min.yaml" --protocol exactly-once \
        --trace > "$tmp/first-trace.txt" || fail "the minimal file does not run"
    dup=$(awk '$4 == "user" && $5 == "sink" && $6 == "visible" {print $8}' "$tmp/first-trace.txt" |
          sort -n | uniq -d)
    [ "$(echo "$dup" | wc -w)" -eq 1 ] || fail "expected one record visible twice, found '$dup'"
    restart=$(awk '$4 == "restart" && $5 == "sink" {print $2; exit}' "$tmp/first-trace.txt" |
              sed 's/0*$//; s/\.$//')
    [ -n "$restart" ] || fail "the minimal file's trace has no sink restart"
    FTSIM_TEST_PLANT=$plant "$ftsim" explain "$tmp/first-min.yaml" --protocol exactly-once \
        > "$tmp/why.txt" || fail "explain failed"
    grep -q "^  r$dup shown twice: " "$tmp/why.txt" || { cat "$tmp/why.txt"; fail "explain does not name r$dup"; }
    grep "^  r$dup shown twice: " "$tmp/why.txt" | grep -q "the sink restarted at $restart s" ||
        fail "explain of r$dup does not name the sink's restart at $restart s"
    grep "^  r$dup shown twice: " "$tmp/why.txt" | grep -q "dedup entry" ||
        fail "explain of r$dup does not name the dedup entry"
    "$ftsim" swarm scenarios/lost-ack.yaml --runs 10 --seed 1 --protocol exactly-once \
        --out "$tmp/q" > "$tmp/q.txt" || { cat "$tmp/q.txt"; fail "without the switch the swarm found a violation"; }
    ;;
shrink)
    FTSIM_TEST_PLANT=$plant "$ftsim" swarm scenarios/lost-ack.yaml --runs 4 --seed 1 \
        --protocol exactly-once --out "$tmp/s" > "$tmp/s.txt" || true
    line=$(grep -m1 '^  ftsim run' "$tmp/s.txt") || fail "no violation to shrink"
    file=$(echo "$line" | awk '{print $3}') seed=$(echo "$line" | awk '{print $5}')
    for k in 1 2; do
        FTSIM_TEST_PLANT=$plant "$ftsim" shrink "$file" --seed "$seed" --protocol exactly-once \
            --out "$tmp/min$k.yaml" > "$tmp/shrink$k.txt" || fail "shrink failed"
    done
    diff <(sed "s|$tmp/min[12]|MIN|" "$tmp/shrink1.txt") <(sed "s|$tmp/min[12]|MIN|" "$tmp/shrink2.txt") ||
        fail "shrink steps differ between two runs"
    cmp "$tmp/min1.yaml" "$tmp/min2.yaml" || fail "shrink wrote different files"
    grep -q 'step 1:' "$tmp/shrink1.txt" || fail "shrink kept no step"
    mseed=$(awk '/^seed:/{print $2}' "$tmp/min1.yaml")
    out=$(FTSIM_TEST_PLANT=$plant "$ftsim" run "$tmp/min1.yaml" --seed "$mseed" --json)
    echo "$out" | grep -q '"duplicated":[1-9]' || fail "the minimal file does not duplicate: $out"
    rc=0
    "$ftsim" shrink scenarios/lost-ack.yaml --protocol exactly-once --out "$tmp/x.yaml" \
        > /dev/null 2>&1 || rc=$?
    [ "$rc" -eq 2 ] || fail "shrinking a run that holds exits $rc, not 2"
    ;;
moments)
    got=$("$ftsim" run scenarios/lost-ack.yaml --protocol at-least-once --json |
          grep -o '"ack-lost-after-sink-committed":[0-9]*' | cut -d: -f2)
    want=$("$ftsim" run scenarios/lost-ack.yaml --protocol at-least-once --trace |
        awk '$4 == "user" && $6 == "visible" {seen[$8] = 1}
             $4 == "drop" && ($8 == "ack" || $8 == "output-ack" || $8 == "commit-ack") &&
               $0 !~ /\(dup\)/ { r = substr($9, 2); if (r in seen) n++ }
             END {print n+0}')
    [ "$want" -ge 1 ] || fail "the trace shows no lost ack of a visible record"
    [ "${got:-0}" -eq "$want" ] || fail "moment count ${got:-0}, the trace shows $want"
    got=$("$ftsim" run scenarios/crash-during-processing.yaml --protocol at-least-once --json |
          grep -o '"crash-between-emit-and-ack":[0-9]*' | cut -d: -f2)
    want=$("$ftsim" run scenarios/crash-during-processing.yaml --protocol at-least-once --trace |
           grep -c 'fault .*at step after-emit' || true)
    [ "${got:-0}" -eq "$want" ] && [ "$want" -ge 1 ] ||
        fail "crash-between-emit-and-ack: counted ${got:-0}, the trace shows $want"
    ;;
model)
    "$ftsim" swarm scenarios/ml-kmeans-lost-ack.yaml --runs 6 --seed 2 --all \
        --out "$tmp/m" > "$tmp/m.txt" || true
    n=$(ls "$tmp"/m/*.yaml | wc -l)
    [ "$n" -eq 6 ] || fail "expected 6 files with --all, found $n"
    for f in "$tmp"/m/*.yaml; do
        name=$(basename "$f" .yaml)
        ! grep -Eq 'model_(identical_to_fault_free|error_final|input_matches_reference)' "$f" ||
            fail "$f keeps a model key of the base that is no promise"
        grep -qx '  at-most-once: {duplicated: 0, model_input_duplicated: 0}' "$f" ||
            fail "$f: at-most-once's entry is not its promise"
        grep -qx '  at-least-once: {lost: 0, model_input_lost: 0}' "$f" ||
            fail "$f: at-least-once's entry is not its promise"
        [ "$(grep -c 'model_input_lost: 0, model_input_duplicated: 0, matches_reference: true}' \
            "$f")" -eq 2 ] || fail "$f: the exactly-once entries are not their promise"
        grep -q "^late .*$name under" "$tmp/m.txt" && continue  # held only with more drain
        rc=0
        "$ftsim" check "$f" > /dev/null || rc=$?
        want=0
        grep -q "^VIOLATED $name under" "$tmp/m.txt" && want=1
        [ "$rc" -eq "$want" ] || fail "check $f exits $rc, the swarm said $want"
    done
    ;;
usage)
    rc=0; "$ftsim" swarm scenarios/lost-ack.yaml --out "$tmp/u" > /dev/null 2>&1 || rc=$?
    [ "$rc" -eq 2 ] || fail "swarm without --runs exits $rc"
    rc=0; "$ftsim" swarm scenarios/lost-ack.yaml --runs 1 --protocol nope --out "$tmp/u" \
        > /dev/null 2>&1 || rc=$?
    [ "$rc" -eq 2 ] || fail "swarm --protocol nope exits $rc"
    rc=0; "$ftsim" swarm scenarios/byzantine-om-n3.yaml --runs 1 --out "$tmp/u" \
        > /dev/null 2>&1 || rc=$?
    [ "$rc" -eq 2 ] || fail "swarm on a Byzantine file exits $rc"
    "$ftsim" swarm --help | grep -q 'ftsim run DIR/NAME.yaml --seed K --protocol P' ||
        fail "swarm --help"
    "$ftsim" shrink --help | grep -q 'fails the same way' || fail "shrink --help"
    ;;
*) fail "unknown case $case_" ;;
esac
echo "ok: $case_"
