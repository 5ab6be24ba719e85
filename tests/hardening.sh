#!/usr/bin/env bash
# Issue 15's cases, one per function: `bash tests/hardening.sh FTSIM CASE` runs CASE
# against the ftsim binary FTSIM from the source directory and exits 0 when ftsim
# behaves as documented (exit code, a message naming the file, no partial output),
# 1 otherwise (saying why), 77 when the machine cannot run the case (ctest: skipped).
# Each case failed on the code before issue 15 (see the note of that change).
set -uo pipefail
FTSIM=$(readlink -f "$1")
CASE=$2
SRC=$PWD
T=$(mktemp -d)
trap 'cleanup' EXIT
cleanup() {
    [ -n "${MOUNTED:-}" ] && umount "$MOUNTED" 2>/dev/null
    [ -n "${BGPID:-}" ] && kill "$BGPID" 2>/dev/null
    chmod -R u+w "$T" 2>/dev/null
    rm -rf "$T"
}
fail() {
    echo "FAIL $CASE: $*"
    [ -f "$T/err" ] && sed 's/^/  stderr: /' "$T/err" | head -n 20
    exit 1
}
# run EXPECTED_EXIT CMD...: runs with stdout in $T/out, stderr in $T/err
run() {
    local want=$1
    shift
    "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    [ "$rc" = "$want" ] || fail "exit $rc, expected $want: $*"
}
has() { grep -q -- "$1" "$T/${2:-err}" || fail "no '$1' in ${2:-stderr}"; }
hasnt() { ! grep -q -- "$1" "$T/${2:-err}" || fail "'$1' in ${2:-stderr}"; }
scenario() { # scenario FILE SOURCE-LINE [MORE-YAML]
    printf 'name: t\nabout: issue 15\nduration: 2s\nprotocols: [at-least-once]\nsource: %s\n%b' \
        "$2" "${3:-}" >"$1"
}

# ---- every error names its file ----
case_scenario_over_1mib_names_file() {
    { printf 'name: big\n'; head -c 1100000 /dev/zero | tr '\0' '#'; echo; } >"$T/big.yaml"
    run 2 "$FTSIM" check "$T/big.yaml"
    has "$T/big.yaml"
    has "at most 1048576 bytes"
}
case_csv_over_64mib_names_file() {
    truncate -s $((64 * 1024 * 1024 + 1)) "$T/huge.csv"
    scenario "$T/s.yaml" "{ kind: csv, file: huge.csv }"
    run 2 "$FTSIM" run "$T/s.yaml"
    has "$T/huge.csv"
    has "at most 67108864 bytes"
}
# A CSV buffer is sized from fstat: 11 rows need no 64 MiB (ASan's allocator refuses
# anything over 8 MiB here), and a CSV too large for memory says so, naming the file.
case_csv_buffer_from_fstat_and_enomem_message() {
    printf 'event_time,key,value\n' >"$T/small.csv"
    for i in 1 2 3 4 5 6 7 8 9 10 11; do printf '0.%02d,k%d,%d\n' "$i" "$i" "$i" >>"$T/small.csv"; done
    scenario "$T/s.yaml" "{ kind: csv, file: small.csv }"
    ASAN_OPTIONS=allocator_may_return_null=1:max_allocation_size_mb=8:detect_leaks=0 \
        run 0 "$FTSIM" run "$T/s.yaml"
    { printf 'event_time,key,value\n'; for i in $(seq 1 700000); do echo "1,k,$i"; done; } >"$T/big.csv"
    scenario "$T/b.yaml" "{ kind: csv, file: big.csv }"
    ASAN_OPTIONS=allocator_may_return_null=1:max_allocation_size_mb=8:detect_leaks=0 \
        run 3 "$FTSIM" run "$T/b.yaml"
    has "out of memory reading '$T/big.csv'"
}
case_csv_cr_only_line_ends() {
    printf 'event_time,key,value\r0.5,a,1\r1.5,b,2\r' >"$T/cr.csv"
    scenario "$T/s.yaml" "{ kind: csv, file: cr.csv }"
    run 0 "$FTSIM" run "$T/s.yaml" --json
    has '"sent":2' out
}
case_csv_quoted_line_break_explained() {
    printf 'event_time,key,value\n1,"a\nb",3\n' >"$T/q.csv"
    scenario "$T/s.yaml" "{ kind: csv, file: q.csv }"
    run 2 "$FTSIM" run "$T/s.yaml"
    has "$T/q.csv:2:"
    has "may not hold a line break"
}
case_csv_fifo_refused() {
    mkfifo "$T/f.csv"
    scenario "$T/s.yaml" "{ kind: csv, file: f.csv }"
    run 2 timeout 20 "$FTSIM" run "$T/s.yaml"
    has "'$T/f.csv' is a FIFO"
}
case_csv_iso_days_far_apart() {
    printf 'event_time,key,value\n1600-01-01T00:00:00Z,a,1\n2184-07-21T00:00:00Z,b,2\n' >"$T/iso.csv"
    scenario "$T/s.yaml" "{ kind: csv, file: iso.csv }"
    run 2 "$FTSIM" run "$T/s.yaml"
    has "$T/iso.csv:3:"
    has "below 100 days"
}

# ---- numbers from users ----
case_tiny_rates_refused() {
    local src
    for src in "{ kind: keyed, rate: 1e-300 }" "{ kind: keyed, rate: 1e-11 }" \
        "{ kind: clickstream, rate: 1e-11 }" "{ kind: ads, rate: 1e-300 }" \
        "{ kind: logs, rate: 10, attack_at: 1s, attack_length: 1s, attack_rate: 1e-11 }"; do
        scenario "$T/s.yaml" "$src"
        run 2 timeout 60 "$FTSIM" run "$T/s.yaml"
        has "must be between 1e-06 and 10000000"
    done
}
case_bom_scenario_loads() {
    printf '\xef\xbb\xbf' >"$T/bom.yaml"
    cat "$SRC/scenarios/lost-ack.yaml" >>"$T/bom.yaml"
    run 0 "$FTSIM" check "$T/bom.yaml"
}
case_window_sum_overflow_is_a_load_error() {
    # one device, 1000 readings of about 2 x 10^16 in a 100 s window: the sum passes 2^63
    # (the old code ran it and exited 3 with "a window's sum overflows 64 bits")
    scenario "$T/s.yaml" "{ kind: iot, devices: 1, period: 100ms }" \
        "pipeline:\n  - map: { multiply: 1000000000000 }\n  - window: { length: 100s, slide: 100s, aggregate: sum }\n"
    sed -i 's/^duration: 2s$/duration: 120s/' "$T/s.yaml"
    run 2 "$FTSIM" run "$T/s.yaml"
    has "$T/s.yaml:[0-9]*:[0-9]*: "
    has "could overflow 64 bits"
}
case_exhaustive_work_refused_with_estimate() {
    printf 'name: b\nabout: x\nbyzantine: { algorithms: [om], n: 10, m: 7, exhaustive: true }\n' >"$T/b.yaml"
    run 2 timeout 60 "$FTSIM" run "$T/b.yaml"
    has "would send about"
    has "messages"
}
case_retry_forever_stops_at_event_budget() {
    printf '%s\n' 'name: t' 'about: every message lost, retried after 1ns' 'duration: 1s' \
        'protocols: [at-least-once]' 'source: { kind: keyed, keys: 2, rate: 10 }' \
        'network: { loss: 1.0 }' 'delivery: { ack_timeout: 1ns, max_timeout: 1ns }' >"$T/s.yaml"
    run 2 timeout 120 "$FTSIM" run "$T/s.yaml"
    has "budget of"
    has "events"
}
case_ctrl_c_stops_a_run() {
    printf '%s\n' 'name: t' 'about: a long run' 'duration: 60s' 'protocols: [at-least-once]' \
        'source: { kind: keyed, keys: 50, rate: 200000 }' >"$T/s.yaml"
    "$FTSIM" run "$T/s.yaml" --db "$T/r.db" >"$T/out" 2>"$T/err" &
    BGPID=$!
    sleep 3
    kill -INT "$BGPID"
    local waited=0
    while kill -0 "$BGPID" 2>/dev/null && [ $waited -lt 60 ]; do sleep 1; waited=$((waited + 1)); done
    wait "$BGPID"
    local rc=$?
    BGPID=
    [ "$rc" = 3 ] || fail "exit $rc after Ctrl-C, expected 3"
    has "interrupted"
}

# A --set value of control characters and then UTF-8 continuation bytes, quoted in the
# error message, wrote past the quoting buffer (found by fuzz_seeds; a crash before).
case_set_value_with_odd_bytes_is_quoted_safely() {
    local v
    v=$(printf '\002\002\002\002\002\002\002\002\002\002\002\002\002\002\002\002\002\002\002\002\002\002\002\002\002\002\002\002\002\002\002\002\002\002\002\002\002\002\002\002%s' "$(head -c 300 /dev/zero | tr '\0' '\214')")
    run 2 "$FTSIM" sweep "$SRC/scenarios/lost-ack.yaml" --db "$T/r.db" --set "seeds=$v"
    has "lost-ack.yaml: --set seeds="
    has '\\x02'
}

case_progress_on_a_tty() {
    command -v script >/dev/null || exit 77
    printf '%s\n' 'name: t' 'about: about 1.6 million events' 'duration: 2s' \
        'protocols: [at-least-once]' 'source: { kind: keyed, keys: 50, rate: 100000 }' >"$T/s.yaml"
    script -qec "$FTSIM run $T/s.yaml" /dev/null >"$T/out" 2>&1 || fail "run failed under script"
    has "t at-least-once: simulated [0-9.]* s of [0-9.]* s, [0-9.]*M events (Ctrl-C stops)" out
    # and none without a terminal
    run 0 "$FTSIM" run "$T/s.yaml"
    hasnt "simulated"
}

# ---- check, export, list ----
case_check_empty_dir_exits_2() {
    mkdir "$T/empty"
    run 2 "$FTSIM" check "$T/empty"
    has "has no \*.yaml scenario files"
}
case_check_missing_path_exits_2_naming_it() {
    run 2 "$FTSIM" check "$T/no-such-dir"
    has "'$T/no-such-dir': No such file or directory"
}
case_export_where_cannot_add_rows() {
    run 0 "$FTSIM" run "$SRC/scenarios/lost-ack.yaml" --protocol at-most-once --db "$T/r.db"
    run 2 "$FTSIM" export "$T/r.db" --table runs \
        --where "1=1) union select 1,2,3,4,5,6,7,8,9,10 --"
    hasnt "^1,2,3" out
    run 0 "$FTSIM" export "$T/r.db" --table runs --where "id IN (SELECT run_id FROM outcomes)"
    [ "$(wc -l <"$T/out")" = 2 ] || fail "expected the header and one row"
}
case_list_outside_the_repository() {
    cd "$T" || exit 1
    run 0 "$FTSIM" list
    has "scenarios in .*/scenarios/ (" out
    has "lost-ack.yaml" out
    run 2 "$FTSIM" list "$T/nowhere"
    has "'$T/nowhere'"
}

# ---- CLI errors ----
case_misspelt_command_suggests() {
    run 2 "$FTSIM" rnu
    has "did you mean 'run'"
}
case_misspelt_protocol_suggests() {
    run 2 "$FTSIM" run "$SRC/scenarios/lost-ack.yaml" --protocol at-least-onse
    has "did you mean 'at-least-once'"
    run 2 "$FTSIM" diagram "$SRC/scenarios/lost-ack.yaml" --out "$T/d.svg" --protocol exactly-onse
    has "did you mean 'exactly-once'"
    run 2 "$FTSIM" sweep "$SRC/scenarios/byzantine-om-n3.yaml" --db "$T/r.db" --protocol sn
    has "unknown algorithm 'sn' (did you mean 'sm'?)"
    run 2 "$FTSIM" plot "$T/r.db" --out "$T/p" --only timeseris
    has "unknown figure 'timeseris' (did you mean 'timeseries'?)"
}
case_unknown_option_is_one_line() {
    run 2 "$FTSIM" run "$SRC/scenarios/lost-ack.yaml" --sed 3
    [ "$(wc -l <"$T/err")" = 1 ] || fail "expected one line on stderr"
    has "unknown option '--sed' (did you mean '--seed'?); see 'ftsim run --help'"
    run 2 "$FTSIM" plot x.db --out d --fromat svg
    has "did you mean '--format'"
}
case_check_tap_is_pure_tap13_with_repro() {
    run 1 "$FTSIM" check --tap "$SRC/tests/data/violated/at-least-once-no-duplicates.yaml" \
        "$SRC/scenarios/lost-ack.yaml"
    head -n 1 "$T/out" | grep -qx 'TAP version 13' || fail "first line is not 'TAP version 13'"
    # every line is TAP: the version, a test line, the plan, a comment or a YAML block
    if grep -Ev '^(TAP version 13|(not )?ok [0-9]+ - .*|1\.\.[0-9]+|#.*|  ---|  \.\.\.|  [a-z]+: .*|  [a-z]+:|    - ".*")$' \
        "$T/out"; then fail "non-TAP line above"; fi
    has "^# [0-9]* passed, [1-9][0-9]* failed$" out
    has "reproduce: \"ftsim run $SRC/tests/data/violated/at-least-once-no-duplicates.yaml --seed [0-9]* --protocol at-least-once\"" out
}
case_check_fail_line_and_junit_reproduce() {
    local v=$SRC/tests/data/violated/at-least-once-no-duplicates.yaml
    run 1 "$FTSIM" check "$v" --junit "$T/j.xml"
    has "reproduce: ftsim run $v --seed [0-9]* --protocol at-least-once" out
    grep -q "reproduce: ftsim run $v --seed [0-9]* --protocol at-least-once$" "$T/j.xml" ||
        fail "the JUnit failure has no reproduce command"
    # the command reproduces the failure: the violated duplicated bound shows in its row
    local cmd
    cmd=$(sed -n 's/.*reproduce: ftsim run //p' "$T/out" | head -n 1)
    # shellcheck disable=SC2086
    run 0 "$FTSIM" run $cmd
    grep -Eq '^at-least-once +[0-9]+ +[0-9]+ +[0-9]+ +[1-9]' "$T/out" || fail "no duplicate in the rerun"
}
case_trace_results_row_has_header() {
    run 0 "$FTSIM" run "$SRC/scenarios/lost-ack.yaml" --protocol at-most-once --trace
    grep -B1 -E '^at-most-once +[0-9]+ ' "$T/out" | head -n 1 | grep -q '^protocol  *sent  *delivered' ||
        fail "the results row has no header above it"
}
case_plot_help_names_every_family() {
    run 0 "$FTSIM" plot --help
    for fam in comparison loss-sweep timeseries latency-cdf windows drivers byzantine lambda; do
        has "  $fam" out
    done
}

# ---- the results store ----
md5() { md5sum "$1" | cut -d' ' -f1; }
case_foreign_database_refused_by_every_command() {
    sqlite3 "$T/foo.db" "CREATE TABLE foo (x); INSERT INTO foo VALUES (1);"
    local sum
    sum=$(md5 "$T/foo.db")
    run 2 "$FTSIM" export "$T/foo.db" --table runs
    has "not an ftsim results database"
    run 2 "$FTSIM" plot "$T/foo.db" --out "$T/p"
    run 2 "$FTSIM" run "$SRC/scenarios/lost-ack.yaml" --db "$T/foo.db"
    has "not an ftsim results database"
    run 2 "$FTSIM" sweep "$SRC/scenarios/lost-ack.yaml" --seeds 1..1 --db "$T/foo.db"
    run 2 "$FTSIM" run "$SRC/scenarios/byzantine-om-n3.yaml" --db "$T/foo.db"
    run 0 "$FTSIM" run "$SRC/scenarios/lost-ack.yaml" --protocol at-most-once --db "$T/ok.db"
    run 2 "$FTSIM" merge "$T/foo.db" "$T/ok.db"
    run 2 "$FTSIM" merge "$T/ok.db" "$T/foo.db"
    [ "$(md5 "$T/foo.db")" = "$sum" ] || fail "foo.db changed"
    [ "$(sqlite3 "$T/foo.db" 'PRAGMA journal_mode')" = delete ] || fail "journal mode changed"
    ls "$T"/foo.db-* 2>/dev/null && fail "files left beside foo.db"
    return 0
}
case_failed_open_leaves_file_identical() {
    sqlite3 "$T/new.db" "CREATE TABLE runs (x); PRAGMA user_version = 99;"
    echo "not a database at all, but long enough to look like one ......" >"$T/junk.db"
    local f sum
    for f in new junk; do
        sum=$(md5 "$T/$f.db")
        run 2 "$FTSIM" run "$SRC/scenarios/lost-ack.yaml" --db "$T/$f.db"
        has "$T/$f.db"
        run 2 "$FTSIM" export "$T/$f.db" --table runs
        [ "$(md5 "$T/$f.db")" = "$sum" ] || fail "$f.db changed"
    done
    [ "$(sqlite3 "$T/new.db" 'PRAGMA journal_mode')" = delete ] || fail "journal mode changed"
}
case_reader_in_readonly_directory() {
    command -v setpriv >/dev/null || exit 77
    mkdir "$T/ro"
    run 0 "$FTSIM" run "$SRC/scenarios/lost-ack.yaml" --db "$T/ro/r.db"
    local sum
    sum=$(md5 "$T/ro/r.db")
    chmod -R a+rX "$T" && chmod 555 "$T/ro" && chmod 444 "$T/ro/r.db" && chmod 777 "$T"
    local as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    [ "$(id -u)" = 0 ] || as=()
    # a copy the other user can run, wherever the build tree is
    mkdir "$T/bin" && cp "$FTSIM" "$T/bin/ftsim" && chmod 755 "$T/bin" "$T/bin/ftsim"
    local FTSIM=$T/bin/ftsim
    "${as[@]}" "$FTSIM" export "$T/ro/r.db" --table runs >"$T/out" 2>"$T/err" || fail "export failed"
    [ "$(wc -l <"$T/out")" -ge 4 ] || fail "export gave too few rows"
    "${as[@]}" "$FTSIM" plot "$T/ro/r.db" --out "$T/plots" --only comparison >"$T/out" 2>"$T/err" ||
        fail "plot failed"
    ls "$T"/ro/r.db-* 2>/dev/null && fail "-wal/-shm left beside the read-only file"
    [ "$(md5 "$T/ro/r.db")" = "$sum" ] || fail "r.db changed"
}
case_reader_never_waits_on_a_writer() {
    run 0 "$FTSIM" run "$SRC/scenarios/lost-ack.yaml" --protocol at-most-once --db "$T/r.db"
    # a writer holds a write transaction for 15 s
    { echo "BEGIN IMMEDIATE;"; echo "UPDATE runs SET status = status;"; echo ".system touch $T/held"
      sleep 15; echo "COMMIT;"; } | sqlite3 "$T/r.db" >"$T/writer" 2>&1 &
    BGPID=$!
    local i=0
    while [ ! -e "$T/held" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
    [ -e "$T/held" ] || fail "the writer did not start"
    run 0 "$FTSIM" export "$T/r.db" --table runs
    kill -0 "$BGPID" 2>/dev/null || fail "the writer ended before the export (machine too slow?)"
    [ "$(wc -l <"$T/out")" = 2 ] || fail "expected the header and one row"
    run 0 "$FTSIM" plot "$T/r.db" --out "$T/p" --only comparison
    kill -0 "$BGPID" 2>/dev/null || fail "the writer ended before the plot"
}
case_full_disk_exit_3_no_partial_file() {
    mkdir "$T/small"
    mount -t tmpfs -o size=96k tmpfs "$T/small" 2>/dev/null || exit 77
    MOUNTED=$T/small
    run 0 "$FTSIM" sweep "$SRC/scenarios/lost-ack.yaml" --seeds 1..20 --db "$T/r.db"
    run 3 "$FTSIM" export "$T/r.db" --table timeseries --out "$T/small/t.csv"
    has "No space left on device"
    has "$T/small/t.csv"
    [ -z "$(ls -A "$T/small")" ] || fail "left in the full directory: $(ls -A "$T/small")"
    # plot: .dat/.gp and images; fill all but a little of the disk first
    head -c 60000 /dev/zero >"$T/small/filler"
    run 3 "$FTSIM" plot "$T/r.db" --out "$T/small/p" --format svg
    has "No space left on device"
    local left
    left=$(find "$T/small/p" -type f \( -name '.*' -o -name '*.svg' \) 2>/dev/null)
    for f in $left; do
        tail -c 7 "$f" | grep -q '</svg>' || fail "partial file $f"
    done
    find "$T/small/p" -name '.*' | grep -q . && fail "temporary files left"
    return 0
}

# ---- install: a temporary prefix, a scenario by name from elsewhere, the man page,
# completion (BUILD: the build directory, third argument) ----
case_install_into_a_prefix() {
    local build=${BUILD_DIR:?}
    run 0 cmake --install "$build" --prefix "$T/prefix"
    local p=$T/prefix
    for f in bin/ftsim share/man/man1/ftsim.1 share/bash-completion/completions/ftsim \
        share/ftsim/scenarios/lost-ack.yaml share/ftsim/scenarios/data/spark-words.csv; do
        [ -f "$p/$f" ] || fail "not installed: $f"
    done
    mkdir "$T/elsewhere"
    cd "$T/elsewhere" || exit 1
    run 0 "$p/bin/ftsim" run lost-ack
    has "scenario lost-ack, seed 42" out
    run 0 "$p/bin/ftsim" run spark-windowed-wordcount --protocol at-least-once
    run 0 "$p/bin/ftsim" list
    local n
    n=$(find "$p/share/ftsim/scenarios" -maxdepth 1 -name '*.yaml' | wc -l)
    has "scenarios in $(readlink -f "$p")/share/ftsim/scenarios/ ($n)" out
    cd "$SRC" || exit 1
}
case_man_page_renders() {
    command -v man >/dev/null || exit 77
    MANWIDTH=80 man --warnings -l "$SRC/man/ftsim.1" >"$T/out" 2>"$T/err" || fail "man failed"
    [ -s "$T/err" ] && fail "man warned"
    for c in $(commands_of_help); do
        grep -q "^     $c" "$T/out" || fail "the page has no command $c"
    done
    has "EXIT STATUS" out
    has "FILES" out
}
# The commands `ftsim --help` lists (the man page and the completion must know each).
commands_of_help() {
    "$FTSIM" --help | awk '/^commands:/{f=1; next} f && /^  [a-z]/{print $1} f && /^$/{if (n++) exit}'
}
case_completion_knows_every_command_and_its_options() {
    local c o
    for c in $(commands_of_help); do
        bash -c 'source completion/ftsim.bash; COMP_WORDS=(ftsim "$1"); COMP_CWORD=1; _ftsim
            echo "${COMPREPLY[*]}"' _ "$c" | grep -qw -- "$c" || fail "completion lacks command $c"
        # every option of the command's --help list (lines "  --opt ...") is completed
        for o in $("$FTSIM" "$c" --help | grep -oE -- '^ +--[a-z][a-z-]*' | sort -u); do
            bash -c 'source completion/ftsim.bash; COMP_WORDS=(ftsim "$1" "$2"); COMP_CWORD=2
                _ftsim; echo "${COMPREPLY[*]}"' _ "$c" "$o" | grep -qw -- "$o" ||
                fail "completion of 'ftsim $c' lacks $o"
        done
    done
}
case_completion_completes_commands_and_names() {
    bash -c 'source completion/ftsim.bash
        COMP_WORDS=(ftsim ru); COMP_CWORD=1; _ftsim; echo "1:${COMPREPLY[*]}"
        COMP_WORDS=(ftsim run --protocol exactly-once-t); COMP_CWORD=3; _ftsim; echo "2:${COMPREPLY[*]}"
        COMP_WORDS=(ftsim check lost-a); COMP_CWORD=2; _ftsim; echo "3:${COMPREPLY[*]}"
        COMP_WORDS=(ftsim plot --form); COMP_CWORD=2; _ftsim; echo "4:${COMPREPLY[*]}"' >"$T/out" 2>"$T/err"
    grep -qx '1:run' "$T/out" || fail "ftsim ru<TAB> did not give run"
    grep -qx '2:exactly-once-txn' "$T/out" || fail "--protocol exactly-once-t<TAB>"
    grep -qx '3:lost-ack' "$T/out" || fail "a scenario name"
    grep -qx '4:--format' "$T/out" || fail "an option"
}
case_readme_points_only_inside_the_repository() {
    if grep -n 'shared project folder\|/work/\|DESIGN.md\|STYLE.md' "$SRC/README.md"; then
        fail "README names something outside the repository"
    fi
    # every relative link of README and docs/design.md names a file of the repository
    local f link
    for f in README.md docs/design.md docs/tutorial.md; do
        for link in $(grep -o '](\([^)#]*\)' "$SRC/$f" | sed 's/^](//'); do
            case $link in http*) continue ;; esac
            [ -e "$(dirname "$SRC/$f")/$link" ] || fail "$f links to missing $link"
        done
    done
}

declare -F "case_$CASE" >/dev/null || { echo "FAIL $CASE: no such case in $0"; exit 1; }
"case_$CASE"
echo "ok $CASE"
