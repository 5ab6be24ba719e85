#!/usr/bin/env bash
# Runs every test of a configured preset through ctest, then repeats each cmocka
# suite's summary line and, last, ctest's own closing line.
set -uo pipefail
preset=${1:-dev}
dir=build/$preset
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --preset "$preset" -j "$(nproc 2>/dev/null || echo 2)" >"$dir/ctest.out" 2>&1
rc=$?
grep -v 'tests passed\|tests failed out of\|^Total Test time' "$dir/ctest.out"
echo
echo "cmocka suites:"
log=$dir/Testing/Temporary/LastTest.log
if [ -f "$log" ]; then
    awk '/^[0-9]+\/[0-9]+ Test:/ {name=$3} /\[  PASSED  \]|\[  FAILED  \]/ {print "  " name ": " $0}' "$log"
fi
grep -h 'Total Test time' "$dir/ctest.out" || true
grep -h 'tests passed\|tests failed out of' "$dir/ctest.out"
exit $rc
