#!/usr/bin/env bash
# `make memcheck`: every scenario in scenarios/ (the lecture material) run under valgrind
# memcheck on a release-like build without sanitizers (the memcheck preset: gcc -O1 -g),
# plus the results store's paths (run --db, export, merge, check) and a bad input
# (MEMCHECK_SCENARIOS="a.yaml b.yaml" runs only those scenarios). Each must report 0
# errors and 0 leaks (definite, indirect, possible and reachable): valgrind's exit code
# 99 marks either. Prints one line per run and a closing "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
FTSIM_DEPS_MEMCHECK=1 bash scripts/deps.sh
cmake --preset memcheck >/dev/null
cmake --build --preset memcheck -j "${MEMCHECK_JOBS:-2}" --target ftsim >build/memcheck.log 2>&1 ||
    { cat build/memcheck.log; exit 3; }
ftsim=build/memcheck/cli/ftsim
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
vg=(valgrind --tool=memcheck --error-exitcode=99 --leak-check=full --show-leak-kinds=all
    --errors-for-leak-kinds=all --track-origins=yes --quiet)
passed=0 failed=0
check() { # check NAME WANT_EXIT CMD...
    local name=$1 want=$2
    shift 2
    "${vg[@]}" --log-file="$out/vg.log" "$@" >"$out/stdout" 2>"$out/stderr"
    local rc=$?
    if [ "$rc" = 99 ] || [ -s "$out/vg.log" ]; then
        echo "FAIL $name (valgrind: errors or leaks)"
        sed 's/^/  /' "$out/vg.log" | head -n 40
        failed=$((failed + 1))
    elif [ "$rc" != "$want" ]; then
        echo "FAIL $name (exit $rc, expected $want)"
        sed 's/^/  /' "$out/stderr" | head -n 10
        failed=$((failed + 1))
    else
        echo "ok   $name: 0 errors, 0 leaks"
        passed=$((passed + 1))
    fi
}
for f in ${MEMCHECK_SCENARIOS:-scenarios/*.yaml}; do
    check "run $f" 0 "$ftsim" run "$f"
done
check "run --db --trace" 0 "$ftsim" run scenarios/lost-ack.yaml --protocol at-least-once --db "$out/r.db" --trace
check "sweep" 0 "$ftsim" sweep scenarios/lossy-network.yaml --seeds 1..2 --protocol at-least-once --db "$out/s.db"
check "merge" 0 "$ftsim" merge "$out/r.db" "$out/s.db"
check "export" 0 "$ftsim" export "$out/r.db" --table run_results --out "$out/r.csv"
check "check" 0 "$ftsim" check scenarios/lost-ack.yaml scenarios/byzantine-om-n3.yaml --tap
check "bad input" 2 "$ftsim" check tests/data/bad/bad-protocol.yaml
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
