#!/usr/bin/env bash
# Sweep acceptance tests run by ctest (tests/CMakeLists.txt): sh tests/sweep_test.sh FTSIM CASE
#   kill      a sweep killed with kill -9 partway (twice), then rerun, stores exactly the
#             rows of an uninterrupted sweep, and leaves no worker behind
#   shards    shards 1/3, 2/3, 3/3 merged equal the unsharded sweep row for row; merging
#             again adds nothing
#   jobs      --jobs 2 equals --jobs 1 (with --set values, so params are compared too)
#   parallel  the GNU parallel recipe of docs/scale-out.md (exit 77 = skipped when
#             `parallel` is not installed)
#   byzantine a Byzantine exhaustive sweep (om-n3: 38 runs per algorithm and seed) stores
#             every enumerated run with its agreement row, a rerun adds nothing, and
#             shards 1/2 + 2/2 merged equal it (runs and agreement rows)
#   windows   a window query's rows (window_results, both time domains, and watermarks)
#             are the same from --jobs 2, --jobs 1 and `ftsim run --db`
#   lambda    the lambda views (lambda_views) are the same from --jobs 2, --jobs 1,
#             `ftsim run --db` and merged shards, hold the values scenarios/lambda.yaml
#             states, and
#             `ftsim plot` draws the lambda figure from the sweep's database
#   model     a model's rows (model_metrics) are the same from --jobs 2, --jobs 1,
#             `ftsim run --db` and merged shards; the sweep's database has what `ftsim plot`
#             needs for the model figures
#   refuse    merge refuses another schema version and another scenario hash (exit 2,
#             clear message); a bad --set exits 2 with a did-you-mean
# Equality is checked in SQL: EXCEPT both ways over the run key, trace hash, status and
# every outcome column, and over every time-series, quantile and marker row.
set -euo pipefail
ftsim=$(realpath "$1")
case_=$2
scn=scenarios/lost-ack.yaml
seeds=1..25   # x 4 protocols = 100 runs: a few seconds in the sanitizer build
nruns=100
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ftsim-sweep-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

count() { sqlite3 "$1" "SELECT count(*) FROM runs" 2>/dev/null || echo 0; }

# Rows in one database and not the other, both ways, over every table a sweep fills.
differences() {
    sqlite3 "$1" "ATTACH '$2' AS b;
      CREATE TEMP VIEW ra AS SELECT scenario, scenario_hash, params, seed, protocol, trace_hash,
        sim_end_ns, events, status, sent, delivered, lost, duplicated, retries, messages,
        latency_p50_ns, latency_p99_ns, recovery_ns, crashes, matches_reference, keys_mismatched
        FROM main.runs r JOIN main.outcomes o ON o.run_id = r.id;
      CREATE TEMP VIEW rb AS SELECT scenario, scenario_hash, params, seed, protocol, trace_hash,
        sim_end_ns, events, status, sent, delivered, lost, duplicated, retries, messages,
        latency_p50_ns, latency_p99_ns, recovery_ns, crashes, matches_reference, keys_mismatched
        FROM b.runs r JOIN b.outcomes o ON o.run_id = r.id;
      CREATE TEMP VIEW ta AS SELECT scenario_hash, params, seed, protocol, t.* FROM main.timeseries t
        JOIN main.runs r ON r.id = t.run_id;
      CREATE TEMP VIEW tb AS SELECT scenario_hash, params, seed, protocol, t.* FROM b.timeseries t
        JOIN b.runs r ON r.id = t.run_id;
      CREATE TEMP VIEW qa AS SELECT scenario_hash, params, seed, protocol, percent, latency_ns
        FROM main.latency_quantiles q JOIN main.runs r ON r.id = q.run_id;
      CREATE TEMP VIEW qb AS SELECT scenario_hash, params, seed, protocol, percent, latency_ns
        FROM b.latency_quantiles q JOIN b.runs r ON r.id = q.run_id;
      CREATE TEMP VIEW ma AS SELECT scenario_hash, params, seed, protocol, t_ns, kind, node
        FROM main.markers m JOIN main.runs r ON r.id = m.run_id;
      CREATE TEMP VIEW mb AS SELECT scenario_hash, params, seed, protocol, t_ns, kind, node
        FROM b.markers m JOIN b.runs r ON r.id = m.run_id;
      SELECT (SELECT count(*) FROM (SELECT * FROM ra EXCEPT SELECT * FROM rb))
           + (SELECT count(*) FROM (SELECT * FROM rb EXCEPT SELECT * FROM ra))
           + (SELECT count(*) FROM (SELECT scenario_hash, params, seed, protocol, bucket_start_ns,
                bucket_ns, visible, throughput_per_s, latency_p50_ns, latency_p99_ns, in_flight,
                retries FROM ta EXCEPT SELECT scenario_hash, params, seed, protocol,
                bucket_start_ns, bucket_ns, visible, throughput_per_s, latency_p50_ns,
                latency_p99_ns, in_flight, retries FROM tb))
           + (SELECT count(*) FROM (SELECT scenario_hash, params, seed, protocol, bucket_start_ns,
                bucket_ns, visible, throughput_per_s, latency_p50_ns, latency_p99_ns, in_flight,
                retries FROM tb EXCEPT SELECT scenario_hash, params, seed, protocol,
                bucket_start_ns, bucket_ns, visible, throughput_per_s, latency_p50_ns,
                latency_p99_ns, in_flight, retries FROM ta))
           + (SELECT count(*) FROM (SELECT * FROM qa EXCEPT SELECT * FROM qb))
           + (SELECT count(*) FROM (SELECT * FROM qb EXCEPT SELECT * FROM qa))
           + (SELECT count(*) FROM (SELECT * FROM ma EXCEPT SELECT * FROM mb))
           + (SELECT count(*) FROM (SELECT * FROM mb EXCEPT SELECT * FROM ma))
           + abs((SELECT count(*) FROM main.timeseries) - (SELECT count(*) FROM b.timeseries))
           + abs((SELECT count(*) FROM main.markers) - (SELECT count(*) FROM b.markers));"
}

expect_same() { # A B N: both hold N runs and no row differs
    local na nb d
    na=$(count "$1") nb=$(count "$2") d=$(differences "$1" "$2")
    [ "$na" = "$3" ] || fail "$1 has $na runs, expected $3"
    [ "$nb" = "$3" ] || fail "$2 has $nb runs, expected $3"
    [ "$d" = 0 ] || fail "$1 and $2 differ in $d rows"
    [ "$(sqlite3 "$1" "SELECT count(*) FROM timeseries")" -gt "$3" ] || fail "no time series in $1"
    [ -z "$(sqlite3 "$1" "PRAGMA foreign_key_check")" ] || fail "$1 has rows naming no run"
    [ -z "$(sqlite3 "$2" "PRAGMA foreign_key_check")" ] || fail "$2 has rows naming no run"
    echo "same: $1 and $2 ($3 runs, 0 differing rows)"
}

reference() { "$ftsim" sweep "$scn" --seeds "$seeds" --db "$tmp/full.db" "$@" >/dev/null; }

# Starts a sweep into $1 in the background and kills it with SIGKILL once it has
# stored at least $2 runs (but not all of them).
kill_partway() {
    "$ftsim" sweep "$scn" --seeds "$seeds" --jobs "$3" --db "$1" >/dev/null 2>&1 &
    local pid=$! n=0
    for _ in $(seq 1 600); do
        n=$(count "$1")
        [ "$n" -ge "$2" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.02
    done
    kill -9 "$pid" 2>/dev/null || fail "the sweep finished before it could be killed ($n runs)"
    wait "$pid" 2>/dev/null || true
    n=$(count "$1")
    [ "$n" -lt "$nruns" ] || fail "the sweep stored every run before the kill"
    echo "killed after $n of $nruns runs"
    sleep 0.5
    ! pgrep -f -- "--db $1" >/dev/null || fail "a worker of the killed sweep is still running"
}

case $case_ in
kill)
    reference --jobs 2
    kill_partway "$tmp/k.db" 10 2
    kill_partway "$tmp/k.db" 45 1
    out=$("$ftsim" sweep "$scn" --seeds "$seeds" --jobs 2 --db "$tmp/k.db")
    echo "$out"
    grep -q "already in" <<<"$out" || fail "no summary line"
    expect_same "$tmp/k.db" "$tmp/full.db" "$nruns"
    ;;
shards)
    reference --jobs 2
    for k in 1 2 3; do "$ftsim" sweep "$scn" --seeds "$seeds" --shard "$k/3" --db "$tmp/shard-$k.db" >/dev/null; done
    [ "$(count "$tmp/shard-1.db")" = 34 ] || fail "shard 1/3 of 100 runs should hold 34"
    [ "$(count "$tmp/shard-3.db")" = 33 ] || fail "shard 3/3 of 100 runs should hold 33"
    "$ftsim" merge "$tmp/merged.db" "$tmp"/shard-*.db
    expect_same "$tmp/merged.db" "$tmp/full.db" "$nruns"
    again=$("$ftsim" merge "$tmp/merged.db" "$tmp"/shard-*.db)
    grep -q "shard-2.db: 0 runs added, 33 already in" <<<"$again" || fail "merging twice added runs: $again"
    expect_same "$tmp/merged.db" "$tmp/full.db" "$nruns"
    ;;
jobs)
    set_args=(--set network.loss=0,0.02 --seeds 1..8)
    "$ftsim" sweep "$scn" "${set_args[@]}" --jobs 1 --db "$tmp/j1.db" >/dev/null
    "$ftsim" sweep "$scn" "${set_args[@]}" --jobs 2 --db "$tmp/j2.db" >/dev/null
    [ "$(sqlite3 "$tmp/j2.db" "SELECT count(DISTINCT params) FROM runs")" = 2 ] || fail "params"
    expect_same "$tmp/j2.db" "$tmp/j1.db" 64
    ;;
parallel)
    command -v parallel >/dev/null || { echo "GNU parallel is not installed: skipped"; exit 77; }
    reference --jobs 2
    # docs/scale-out.md, "Locally with GNU parallel"
    parallel --will-cite --halt now,fail=1 -j 2 \
        "$ftsim" sweep "$scn" --seeds "$seeds" --shard {}/4 --db "$tmp/shard-{}.db" ::: 1 2 3 4 >/dev/null
    "$ftsim" merge "$tmp/results.db" "$tmp"/shard-*.db
    expect_same "$tmp/results.db" "$tmp/full.db" "$nruns"
    ;;
refuse)
    "$ftsim" sweep "$scn" --seeds 1..2 --protocol at-least-once --db "$tmp/a.db" >/dev/null
    cp tests/data/store/results-v1.db "$tmp/v1.db"
    set +e
    msg=$("$ftsim" merge "$tmp/a.db" "$tmp/v1.db" 2>&1); rc=$?
    set -e
    echo "$msg"
    [ $rc = 2 ] || fail "merge of a v1 shard exited $rc, expected 2"
    grep -q "its schema version is 1, but .* has schema version 7" <<<"$msg" || fail "message"
    # the same scenario name from an edited file: another hash
    cp "$scn" "$tmp/lost-ack.yaml"
    echo "# edited" >>"$tmp/lost-ack.yaml"
    "$ftsim" sweep "$tmp/lost-ack.yaml" --seeds 1..2 --protocol at-least-once --db "$tmp/b.db" >/dev/null
    set +e
    msg=$("$ftsim" merge "$tmp/a.db" "$tmp/b.db" 2>&1); rc=$?
    set -e
    echo "$msg"
    [ $rc = 2 ] || fail "merge of another scenario hash exited $rc, expected 2"
    grep -q "scenario 'lost-ack' has hash .* there but .* in .*different versions of the scenario file" <<<"$msg" || fail "message"
    [ "$(count "$tmp/a.db")" = 2 ] || fail "a refused merge changed the database"
    set +e
    msg=$("$ftsim" sweep "$scn" --seeds 1..2 --set network.los=0.1 --db "$tmp/c.db" 2>&1); rc=$?
    set -e
    echo "$msg"
    [ $rc = 2 ] || fail "an unknown --set path exited $rc, expected 2"
    grep -q "did you mean 'loss'" <<<"$msg" || fail "no did-you-mean"
    [ "$(count "$tmp/c.db")" = 0 ] || fail "a refused sweep stored runs"
    ;;
windows)
    wscn=scenarios/spark-windowed-wordcount.yaml
    "$ftsim" sweep "$wscn" --seeds 1..3 --jobs 2 --db "$tmp/w2.db" >/dev/null
    "$ftsim" sweep "$wscn" --seeds 1..3 --jobs 1 --db "$tmp/w1.db" >/dev/null
    for s in 1 2 3; do "$ftsim" run "$wscn" --seed "$s" --db "$tmp/wr.db" >/dev/null; done
    rows() { # every window and watermark row with its run's key, one line each
        sqlite3 "$1" "SELECT r.seed, r.protocol, w.time_domain, w.window_start_ns, w.window_end_ns,
            w.key, w.value, w.emitted_at_ns, w.final FROM window_results w JOIN runs r ON r.id = w.run_id
            UNION ALL SELECT r.seed, r.protocol, 'watermark', m.seq, m.t_ns, m.watermark_ns,
            m.late_dropped, NULL, NULL FROM watermarks m JOIN runs r ON r.id = m.run_id
            ORDER BY 1, 2, 3, 4, 5, 6, 8"
    }
    rows "$tmp/w2.db" >"$tmp/w2.txt"
    rows "$tmp/w1.db" >"$tmp/w1.txt"
    rows "$tmp/wr.db" >"$tmp/wr.txt"
    # 2 protocols x 3 seeds, each with its event-time log, processing-time table and watermark
    [ "$(grep -c '|processing|' "$tmp/w2.txt")" -gt 0 ] || fail "no processing-time rows"
    [ "$(grep -c '|watermark|' "$tmp/w2.txt")" -gt 0 ] || fail "no watermark rows"
    [ "$(grep -c '|event|' "$tmp/w2.txt")" -gt 0 ] || fail "no window rows"
    cmp "$tmp/w2.txt" "$tmp/w1.txt" || fail "--jobs 2 and --jobs 1 store other window rows"
    cmp "$tmp/w2.txt" "$tmp/wr.txt" || fail "sweep and run --db store other window rows"
    echo "same: $(wc -l <"$tmp/w2.txt") window and watermark rows from --jobs 2, --jobs 1 and run --db"
    ;;
lambda)
    lscn=scenarios/lambda.yaml
    "$ftsim" sweep "$lscn" --seeds 1..2 --jobs 2 --db "$tmp/l2.db" >/dev/null
    "$ftsim" sweep "$lscn" --seeds 1..2 --jobs 1 --db "$tmp/l1.db" >/dev/null
    for s in 1 2; do "$ftsim" run "$lscn" --seed "$s" --db "$tmp/lr.db" >/dev/null; done
    lambda_differences() { # rows of lambda_views in one database and not the other, both ways
        sqlite3 "$1" "ATTACH '$2' AS b;
          CREATE TEMP VIEW la AS SELECT r.scenario_hash, r.params, r.seed, r.protocol, v.seq,
            v.t_ns, v.key, v.served, v.reference, v.batch_ns, v.staleness_ns
            FROM main.lambda_views v JOIN main.runs r ON r.id = v.run_id;
          CREATE TEMP VIEW lb AS SELECT r.scenario_hash, r.params, r.seed, r.protocol, v.seq,
            v.t_ns, v.key, v.served, v.reference, v.batch_ns, v.staleness_ns
            FROM b.lambda_views v JOIN b.runs r ON r.id = v.run_id;
          SELECT (SELECT count(*) FROM (SELECT * FROM la EXCEPT SELECT * FROM lb))
               + (SELECT count(*) FROM (SELECT * FROM lb EXCEPT SELECT * FROM la))
               + abs((SELECT count(*) FROM la) - (SELECT count(*) FROM lb));"
    }
    q() { sqlite3 "$tmp/l2.db" "$1"; }
    # 2 protocols x 2 seeds; a sample every 500 ms over 60 s + 15 s of drain = 150
    # samples, each with the total and one row per sensor (10): 1650 rows per run
    [ "$(q "SELECT count(*) FROM runs")" = 4 ] || fail "expected 4 runs"
    [ "$(q "SELECT count(*) FROM lambda_views")" = 6600 ] || fail "expected 4 x 1650 lambda rows, found $(q "SELECT count(*) FROM lambda_views")"
    [ "$(q "SELECT count(DISTINCT run_id) || ' ' || count(DISTINCT key) || ' ' || min(t_ns) || ' ' || max(t_ns) FROM lambda_views")" = "4 10 500000000 75000000000" ] || fail "lambda rows: runs, keys, first and last sample"
    # the last sample of each run's total: ten sensors every 100 ms for a minute = 6000
    # readings, and the served view equals the reference (the file's lambda_final_match)
    [ "$(q "SELECT group_concat(served || '/' || reference, ' ') FROM lambda_views v
            WHERE key IS NULL AND t_ns = 75000000000")" = "6000/6000 6000/6000 6000/6000 6000/6000" ] || fail "final totals"
    # exactly-once never serves more than the reference; at-least-once runs ahead (its
    # duplicates) in every run until a batch view corrects it
    [ "$(q "SELECT max(v.served - v.reference) FROM lambda_views v JOIN runs r ON r.id = v.run_id
            WHERE v.key IS NULL AND r.protocol = 'exactly-once'")" = 0 ] || fail "exactly-once overcounted"
    [ "$(q "SELECT count(DISTINCT r.seed) FROM lambda_views v JOIN runs r ON r.id = v.run_id
            WHERE v.key IS NULL AND r.protocol = 'at-least-once' AND v.served > v.reference")" = 2 ] || fail "no at-least-once sawtooth"
    # batch_ns is NULL up to the first batch view (job at 10 s, published 3 s later,
    # after that instant's sample); then the snapshot of a job started every 10 s, at
    # least 3 s before the sample
    [ "$(q "SELECT count(*) FROM lambda_views WHERE (t_ns <= 13000000000) != (batch_ns IS NULL)
            OR batch_ns % 10000000000 != 0 OR batch_ns > t_ns - 3000000000")" = 0 ] || fail "batch_ns: NULL before the first batch view, then a job's start"
    for other in l1 lr; do
        d=$(lambda_differences "$tmp/l2.db" "$tmp/$other.db")
        [ "$d" = 0 ] || fail "l2.db and $other.db differ in $d lambda rows"
    done
    for k in 1 2; do "$ftsim" sweep "$lscn" --seeds 1..2 --shard "$k/2" --db "$tmp/ls-$k.db" >/dev/null; done
    "$ftsim" merge "$tmp/lm.db" "$tmp"/ls-1.db "$tmp"/ls-2.db >/dev/null
    d=$(lambda_differences "$tmp/l2.db" "$tmp/lm.db")
    [ "$d" = 0 ] || fail "merged shards and the sweep differ in $d lambda rows"
    echo "same: 6600 lambda rows from --jobs 2, --jobs 1, run --db and merged shards"
    "$ftsim" plot "$tmp/l2.db" --out "$tmp/plots" --only lambda >/dev/null
    png=$tmp/plots/lambda-lambda.png
    [ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "$png is not a PNG"
    [ "$(wc -c <"$png")" -gt 10000 ] || fail "$png is too small for a drawn figure"
    # the figure's data: per protocol its least seed, the total ending at 6000 = 6000
    [ "$(grep -c '^# index [01]: .*, seed 1$' "$tmp/plots/lambda-lambda.dat")" = 2 ] || fail "figure blocks"
    [ "$(grep -c '^75 6000 6000 0 ' "$tmp/plots/lambda-lambda.dat")" = 2 ] || fail "figure's last samples"
    echo "plotted: $png ($(wc -c <"$png") bytes)"
    ;;
model)
    mscn=scenarios/ml-kmeans-lost-ack.yaml
    "$ftsim" sweep "$mscn" --seeds 1..2 --jobs 2 --db "$tmp/m2.db" >/dev/null
    "$ftsim" sweep "$mscn" --seeds 1..2 --jobs 1 --db "$tmp/m1.db" >/dev/null
    for s in 1 2; do "$ftsim" run "$mscn" --seed "$s" --db "$tmp/mr.db" >/dev/null; done
    for k in 1 2; do "$ftsim" sweep "$mscn" --seeds 1..2 --shard "$k/2" --db "$tmp/ms-$k.db" >/dev/null; done
    "$ftsim" merge "$tmp/mm.db" "$tmp"/ms-1.db "$tmp"/ms-2.db >/dev/null
    dump() { sqlite3 "$1" "SELECT r.params, r.seed, r.protocol, m.seq, m.batch, m.time_ns, m.metric,
        printf('%!.17g', m.value) FROM model_metrics m JOIN runs r ON r.id = m.run_id
        ORDER BY r.params, r.seed, r.protocol, m.seq"; }
    dump "$tmp/m2.db" >"$tmp/m2.txt"
    n=$(wc -l <"$tmp/m2.txt")
    [ "$n" -gt 1000 ] || fail "only $n model rows"
    # 4 protocols x 2 seeds, each with its run-level input ledger
    [ "$(grep -c '|input_duplicated|' "$tmp/m2.txt")" = 8 ] || fail "input_duplicated rows"
    for other in m1 mr mm; do
        dump "$tmp/$other.db" >"$tmp/$other.txt"
        cmp "$tmp/m2.txt" "$tmp/$other.txt" || fail "m2.db and $other.db store other model rows"
    done
    echo "same: $n model rows from --jobs 2, --jobs 1, run --db and merged shards"
    "$ftsim" plot "$tmp/m2.db" --out "$tmp/plots" >/dev/null
    for fig in model-error-ml-kmeans-lost-ack kmeans-centres-ml-kmeans-lost-ack; do
        [ -s "$tmp/plots/$fig.png" ] || fail "no $fig.png"
    done
    echo "plotted: the model figures"
    ;;
byzantine)
    bscn=scenarios/byzantine-om-n3.yaml
    "$ftsim" sweep "$bscn" --seeds 1..2 --db "$tmp/full.db" >/dev/null
    # 3 generals, 0..1 traitors (none, or each of 3 nodes x 6 strategies) x 2 orders = 38
    # runs per algorithm and seed; 2 algorithms x 2 seeds
    [ "$(count "$tmp/full.db")" = 152 ] || fail "expected 152 runs, found $(count "$tmp/full.db")"
    [ "$(sqlite3 "$tmp/full.db" "SELECT count(*) FROM agreement")" = 152 ] || fail "agreement rows"
    [ "$(sqlite3 "$tmp/full.db" "SELECT count(*) FROM agreement WHERE algorithm = 'sm' AND NOT (ic1 AND ic2)")" = 0 ] || fail "SM(1) n = 3 broke agreement"
    [ "$(sqlite3 "$tmp/full.db" "SELECT count(*) FROM agreement WHERE algorithm = 'om' AND NOT (ic1 AND ic2)")" -gt 0 ] || fail "OM(1) n = 3 never broke"
    again=$("$ftsim" sweep "$bscn" --seeds 1..2 --db "$tmp/full.db")
    grep -q "152 runs already in .*, 0 run" <<<"$again" || fail "a rerun ran again: $again"
    for k in 1 2; do "$ftsim" sweep "$bscn" --seeds 1..2 --shard "$k/2" --db "$tmp/shard-$k.db" >/dev/null; done
    "$ftsim" merge "$tmp/merged.db" "$tmp"/shard-*.db >/dev/null
    d=$(sqlite3 "$tmp/merged.db" "ATTACH '$tmp/full.db' AS b;
      CREATE TEMP VIEW xa AS SELECT r.params, r.seed, r.protocol, r.trace_hash, a.traitors, a.strategy,
        a.ic1, a.ic2, a.messages, a.signatures_verified, a.signatures_rejected, a.decisions
        FROM main.runs r JOIN main.agreement a ON a.run_id = r.id;
      CREATE TEMP VIEW xb AS SELECT r.params, r.seed, r.protocol, r.trace_hash, a.traitors, a.strategy,
        a.ic1, a.ic2, a.messages, a.signatures_verified, a.signatures_rejected, a.decisions
        FROM b.runs r JOIN b.agreement a ON a.run_id = r.id;
      SELECT (SELECT count(*) FROM (SELECT * FROM xa EXCEPT SELECT * FROM xb))
           + (SELECT count(*) FROM (SELECT * FROM xb EXCEPT SELECT * FROM xa))
           + abs((SELECT count(*) FROM xa) - 152);")
    [ "$d" = 0 ] || fail "merged shards and the full sweep differ in $d rows"
    echo "same: merged shards and the full Byzantine sweep (152 runs)"
    ;;
*) fail "unknown case $case_" ;;
esac
echo "ok: $case_"
