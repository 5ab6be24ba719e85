#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer harnesses (tests/fuzz/, clang, the fuzz preset) and
# runs each for FUZZ_SECONDS (default 60) on one core, starting from the committed
# corpus tests/fuzz/corpus/NAME and the seed inputs; new inputs that add coverage are
# merged (-merge=1) back into the committed corpus. A finding (crash, leak, undefined
# behaviour, failed assertion) stops the script with exit 1 and the reproducer's path:
# copy it to tests/data/bad/ (or a CSV case) so `make test` keeps it fixed.
# FUZZ_HARNESSES="scenario csv" runs only those.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-60}
harnesses=${FUZZ_HARNESSES:-scenario csv set seeds}
root=$PWD
work=${FUZZ_WORK:-build/fuzz/work}

FTSIM_DEPS_FUZZ=1 bash scripts/deps.sh
cmake --preset fuzz >/dev/null
targets=()
for h in $harnesses; do targets+=(--target "fuzz_$h"); done
cmake --build --preset fuzz -j "${FUZZ_JOBS:-2}" "${targets[@]}" >build/fuzz.log 2>&1 ||
    { cat build/fuzz.log; exit 3; }

seeds_scenario="scenarios tests/data/bad tests/data/good"
seeds_csv="scenarios/data tests/data/sinks tests/data/lambda"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for h in $harnesses; do
    var="seeds_$h"
    seeds=()
    for d in ${!var:-}; do seeds+=("$root/$d"); done
    mkdir -p "$work/$h" "$work/$h-artifacts"
    bin=$root/build/fuzz/tests/fuzz/fuzz_$h
    (cd "$work" && "$bin" -max_total_time="$secs" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
        -jobs=1 -workers=1 -print_final_stats=1 -artifact_prefix="$h-artifacts/" \
        "$h" "$root/tests/fuzz/corpus/$h" "${seeds[@]}" >/dev/null 2>&1) || status=1
    log=$work/fuzz-0.log
    execs=$(grep -ho 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$' || echo 0)
    cp "$log" "$work/$h.log"
    finding=$(ls "$work/$h-artifacts" 2>/dev/null | head -n 1)
    if [ -n "$finding" ]; then
        echo "fuzz $h: FINDING $work/$h-artifacts/$finding after $execs executions (log: $work/$h.log)"
        status=1
        continue
    fi
    # keep the committed corpus small: only inputs that add coverage
    "$bin" -merge=1 -max_len=8192 "$root/tests/fuzz/corpus/$h" "$work/$h" >/dev/null 2>&1 || true
    echo "fuzz $h: $execs executions in ${secs}s, no finding; corpus $(ls "$root/tests/fuzz/corpus/$h" | wc -l) files"
done
exit $status
