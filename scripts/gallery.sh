#!/usr/bin/env bash
# Writes the lecture gallery OUT/index.html from what `make demo` left in OUT: the
# figures in OUT/plots, the diagrams in OUT/diagrams (with the commands that drew them,
# OUT/diagrams/commands.txt) and the commands that filled OUT/results.db
# (OUT/data-commands.txt). The page follows the lecture's six parts (contents first,
# an anchor per part, scenario and figure); each scenario's about: text appears once,
# each figure with one line on what to look for and the command that redraws it. A
# scenario goes to its part by name (the table below); figures of the spark.ml families
# (model-error-*, kmeans-centres-*, model-*) and their scenarios go to part 6, which
# says its scenarios are not in this build while it has none; anything else unknown to
# the table is listed after part 6. Usage: gallery.sh OUT [FTSIM]
set -euo pipefail
out=${1:?usage: gallery.sh OUT [FTSIM]}
ftsim=${2:-build/release/cli/ftsim}

parts=("Sources: sensors, logs, advertising, clickstreams"
       "The data lake and the data warehouse"
       "Failure scenarios and the Byzantine generals"
       "The lambda architecture"
       "DStream and Structured Streaming: windows, watermarks, triggers"
       "Streaming machine learning (spark.ml)")
part_intro=("Each source writes records with its own rhythm: sensors with clock skew and outages, log bursts and an attack, bids and clicks, sessions of page views. The windowed query of each scenario shows what the source looks like to the stream."
            "Schema on read against schema on write: the lake keeps every committed row as it came, the warehouse rejects malformed rows and counts them; a duplicate from a retry lands in both."
            "What each delivery protocol does when a worker crashes, an acknowledgement is lost, the network loses or partitions, a consumer group rebalances or a checkpoint is interrupted; then agreement among generals some of whom lie."
            "A batch layer recomputing views from the lake, a speed layer for what came since, and a serving layer answering both: how fresh the answer is, and how the batch view corrects the speed layer's duplicates."
            "Event time against processing time, windows, watermarks and late data, micro-batch triggers against continuous processing: the Structured Streaming guide's word count replayed."
            "Streaming k-means and streaming linear regression on the delivery protocols: how losses and duplicates bias a model learned from a stream.")
declare -A part_of=(
    [iot-sensors]=1 [security-logs]=1 [ad-clicks]=1 [clickstream-sessions]=1
    [lake-vs-warehouse]=2
    [crash-during-processing]=3 [lost-ack]=3 [lossy-network]=3 [partition-heal]=3
    [broker-crash]=3 [consumer-group-rebalance]=3 [consumer-group-windows]=3
    [checkpoint-crash]=3 [byzantine-om-n3]=3 [byzantine-om-n4]=3 [byzantine-sm-n3]=3
    [byzantine-forged-signature]=3 [byzantine-replicated-stage]=3 [byzantine-cost]=3
    [lambda]=4
    [spark-windowed-wordcount]=5 [late-data-watermark]=5
    [ml-kmeans-lost-ack]=6 [ml-regression-crash-drift]=6 [ml-offline-vs-streaming]=6)
# The figure families of one scenario, in the order its section shows them.
families=(timeseries windows lambda drivers loss-sweep latency-cdf model-error kmeans-centres
          offline-vs-streaming)

# HTML-escapes stdin (a file), or with -v NAME its argument into the variable NAME: in
# bash, without a process per string (the page has hundreds).
esc() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g'; }
h() { # h VAR TEXT: VAR = TEXT, HTML-escaped (VAR must not be _h)
    local _h=${2//&/\&amp;}
    _h=${_h//</\&lt;}
    _h=${_h//>/\&gt;}
    printf -v "$1" '%s' "${_h//\"/\&quot;}"
}

# The scenarios (by their name:) and their about: texts, from `ftsim list`.
declare -A about file_of name_of_base
while read -r f name; do
    [ -n "$name" ] || continue
    file_of[$name]=$f
    name_of_base[${f##*/}]=$name
done < <(awk 'FNR == 1 { done = 0 } !done && /^name:/ { sub(/^name:[ \t]*/, ""); print FILENAME, $0; done = 1 }' scenarios/*.yaml)
while read -r base text; do
    [ -n "${name_of_base[$base]:-}" ] && about[${name_of_base[$base]}]=$text
done < <("$ftsim" list scenarios | sed -n 's/^  \([^ ]*\.yaml\)[[:space:]]*/\1 /p')

# Figures: OUT/plots/*.png, each to its scenario (FAMILY-SCENARIO) or to the part.
declare -A figs_of # scenario -> figure names, space separated
part_figs=()       # per part: figures of no one scenario
other_figs=""
for png in "$out"/plots/*.png; do
    [ -e "$png" ] || break
    name=${png##*/}
    name=${name%.png}
    owner=""
    for fam in "${families[@]}"; do
        case $name in "$fam"-*) [ -n "${file_of[${name#"$fam"-}]:-}" ] && owner=${name#"$fam"-} ;; esac
    done
    if [ -n "$owner" ]; then
        figs_of[$owner]="${figs_of[$owner]:-} $name"
        continue
    fi
    case $name in
    comparison | byzantine-*) part_figs[3]="${part_figs[3]:-} $name" ;;
    model-* | kmeans-* | ml-* | offline-*) part_figs[6]="${part_figs[6]:-} $name" ;;
    *) other_figs="$other_figs $name" ;;
    esac
done
# Diagrams: OUT/diagrams/commands.txt holds "NAME SCENARIO COMMAND..." lines.
declare -A diag_scn diag_cmd
if [ -f "$out/diagrams/commands.txt" ]; then
    while read -r d s cmd; do
        [ -f "$out/diagrams/$d.png" ] || continue
        diag_scn[$d]=$s
        diag_cmd[$d]=$cmd
    done <"$out/diagrams/commands.txt"
fi
# Every scenario's part, once: the table's, else 6 for a spark.ml figure, else 0.
for s in "${!file_of[@]}"; do
    if [ -z "${part_of[$s]:-}" ]; then
        case " ${figs_of[$s]:-} " in *" model-"* | *" kmeans-"* | *" offline-"*) part_of[$s]=6 ;; *) part_of[$s]=0 ;; esac
    fi
done

# What to look for, per figure (a scenario's own where it has one, else the family's).
caption_of() {
    case $1 in
    comparison) CAPTION="Lost (vermillion) and duplicated (pink) records per protocol in every scenario that injects a failure: at-most-once loses and never duplicates, at-least-once duplicates and never loses, the exactly-once variants do neither. The scenarios without a failure are named under the panels." ;;
    timeseries-crash-during-processing) CAPTION="worker-1 is down for a second (its lane): throughput halves while its partitions wait; after the restart the redelivered backlog makes a spike and the waiting records' latency jumps. At-most-once's line has no spike: what was in flight is lost." ;;
    timeseries-lost-ack) CAPTION="One acknowledgement dropped by the scenario's rule (the lane's cross): the redelivery is one record, invisible in the throughput but visible as at-least-once's p99 spike." ;;
    timeseries-partition-heal) CAPTION="Nothing becomes visible while the network is partitioned (the lane's bar); after the heal the retrying protocols deliver the backlog with latencies up to the partition's length; at-most-once's records of the partition never arrive." ;;
    timeseries-consumer-group-rebalance) CAPTION="worker-3 crashes for good and worker-1 for three seconds (their lanes); each eviction moves partitions (triangles) and the new owner replays from the last committed offset: the spikes." ;;
    timeseries-broker-crash) CAPTION="The broker is down for two seconds (its lane): nothing is delivered; at-least-once resends from the committed offsets after the restart." ;;
    timeseries-*) CAPTION="Records made visible per second, a lane per fault (a node down until its restart, the network partitioned, partitions moved, a message dropped by rule), and the latency record -> sink row (p50 solid, p99 dashed). A line said to be the same as another lies under it." ;;
    latency-cdf-*) CAPTION="The share of records made visible within x ms (latency record -> sink row): the long tail is the retries; exactly-once-txn's step is its batching delay (linger)." ;;
    windows-security-logs) CAPTION="Per host, the error and alert lines counted per window: host-2's attack from 30 s to 40 s is the spike; the other hosts' bursts are small beside it." ;;
    windows-iot-sensors) CAPTION="Per room, the mean temperature (milli-degrees C) per window: a mean, never summed over rooms. The watermark panel's crosses are readings dropped as late after an outage." ;;
    windows-consumer-group-windows) CAPTION="Each protocol's window total minus exactly-once's: at-least-once counts the records the broker replayed after the move twice (above 0); exactly-once-txn equals exactly-once." ;;
    windows-spark-windowed-wordcount) CAPTION="The dog written at 12:04 and arriving at 12:11 counts in the event-time windows [11:55, 12:05) and [12:00, 12:10), not where its arrival time would put it (the processing-time panel)." ;;
    windows-late-data-watermark) CAPTION="The watermark panel: at the 12:15 trigger the dog is dropped from the window already final (+1), at 12:25 the cat from both of its windows (+2)." ;;
    windows-*) CAPTION="Each window's final value per key (or their total), the totals at every emission by event time and by processing time, and the watermark with the late records it dropped." ;;
    drivers-*) CAPTION="The same windowed query under the micro-batch and the continuous driver: the latency record -> window row (p50, p99) and the late contributions dropped." ;;
    loss-sweep-*) CAPTION="Lost and duplicated fraction against the network loss p: at-most-once's measured loss lies on 1-(1-p)^3, three lossy hops; at-least-once trades loss for duplicates." ;;
    lambda-*) CAPTION="The served view (batch + speed) against the reference: at-least-once's speed layer runs ahead with duplicates until the next batch view, recomputed from the lake, corrects it: a sawtooth." ;;
    byzantine-agreement) CAPTION="With one traitor, OM(1) fails in some runs with n = 3 generals and holds with n = 4 (OM needs n >= 3t+1); signed messages (SM, Dolev-Strong) hold with n = 3." ;;
    byzantine-cost) CAPTION="Messages and signature checks against n with the closed forms (dashed): OM(1), SM(1) and Dolev-Strong send the same messages; Dolev-Strong checks far fewer signatures." ;;
    model-error-*) CAPTION="A streaming model (MLlib's streaming k-means or linear regression with SGD) under each protocol: its error against the true model over simulated time (log scale), with the drift, crashes and restarts marked, above the records each model update consumed (replayed duplicates show as bumps, losses as dips); the key gives each protocol's input lost and duplicated, measured against the generated records." ;;
    kmeans-centres-*) CAPTION="Streaming k-means: the points of one batch, the true centres before and after the drift, and each protocol's learned centres with their paths over the run; the right panel zooms on one centre, where at-least-once's replayed pre-drift points pull the path back." ;;
    offline-vs-streaming-*) CAPTION="A model trained once, offline, on the lake's committed rows and then frozen (the batch layer) against the streaming model that keeps learning (the speed layer): model error and prediction error over time; after the drift the frozen model's error jumps and stays up while the streaming model recovers." ;;
    *) CAPTION="" ;;
    esac
}
diagram_caption() {
    case $1 in
    crash-during-processing) CAPTION="worker-1 crashes after emitting record 90's output and before acknowledging it; the broker redelivers and the sink makes the record visible a second time: at-least-once's duplicate." ;;
    lost-ack) CAPTION="The acknowledgement of record 28 is dropped (a dashed arrow into a cross); the broker redelivers after its timeout and the record becomes visible again." ;;
    lost-ack-protocols) CAPTION="The same record under three protocols: at-most-once never waits for the ack, at-least-once delivers it twice, exactly-once drops the second copy at the sink." ;;
    partition-heal) CAPTION="The partition cuts record 599's messages off (crosses); the retries after the heal get through." ;;
    consumer-group-windows) CAPTION="worker-3 is cut off; the broker moves partition 2 to worker-1 (triangle), which replays record 826: visible a second time under at-least-once." ;;
    checkpoint-crash) CAPTION="Exactly-once-checkpoint: the broker sends checkpoint 4's barriers, worker-1 crashes while aligning, worker-2 stores its snapshot; after the restart the job rolls back to checkpoint 3." ;;
    byzantine-om-n3) CAPTION="Three generals, lieutenant-1 silent: under OM the loyal lieutenant counts the silence as retreat and disobeys its loyal commander (IC2 fails); under SM it keeps the signed order." ;;
    byzantine-forged-signature) CAPTION="SM(2) and Dolev-Strong with a forger and a tamperer: every forged or tampered chain is rejected (crossed), and the loyal lieutenant attacks as ordered." ;;
    *) CAPTION="A message-sequence diagram of one run." ;;
    esac
}

figure() { # id, image, title, caption, command
    local t c k
    h t "$3"
    h c "$4"
    h k "$5"
    printf '<figure id="%s">\n  <a href="%s"><img src="%s" alt="%s"></a>\n' "${1//[^A-Za-z0-9._-]/-}" \
        "$2" "$2" "$t"
    printf '  <figcaption><b>%s</b>. %s\n  <pre>%s</pre></figcaption>\n</figure>\n' "$t" "$c" "$k"
}
plot_figure() {
    caption_of "$1"
    figure "fig-$1" "plots/$1.png" "$1" "$CAPTION" \
        "ftsim plot $out/results.db --out $out/plots --only $1    # or: cd $out/plots && gnuplot $1.gp"
}
diagram_figure() {
    diagram_caption "$1"
    figure "diagram-$1" "diagrams/$1.png" "$1: message-sequence diagram" "$CAPTION" \
        "${diag_cmd[$1]}    # or: cd $out/diagrams && gnuplot $1.gp"
}
scenario_block() {
    local s=$1 f d fam
    local t
    h t "$s"
    printf '<section class="scenario" id="scn-%s">\n<h3>%s</h3>\n' "${s//[^A-Za-z0-9._-]/-}" "$t"
    if [ -n "${about[$s]:-}" ]; then
        h t "${about[$s]}"
        printf '<p class="about">%s</p>\n' "$t"
    fi
    h t "${file_of[$s]}"
    printf '<pre>ftsim run %s</pre>\n' "$t"
    for d in "${!diag_scn[@]}"; do
        if [ "${diag_scn[$d]}" = "$s" ]; then echo "$d"; fi
    done | sort | while read -r d; do diagram_figure "$d"; done
    for fam in "${families[@]}"; do
        for f in ${figs_of[$s]:-}; do
            case $f in "$fam-$s") plot_figure "$f" ;; esac
        done
    done
    echo "</section>"
}
# The lecture's order within a part; scenarios not listed follow, by name.
order=(iot-sensors security-logs ad-clicks clickstream-sessions lake-vs-warehouse
       crash-during-processing lost-ack lossy-network partition-heal broker-crash
       consumer-group-rebalance consumer-group-windows checkpoint-crash byzantine-om-n3
       byzantine-om-n4 byzantine-sm-n3 byzantine-forged-signature byzantine-replicated-stage
       byzantine-cost lambda spark-windowed-wordcount late-data-watermark)
scenarios_of_part() { # part number -> scenario names
    local p=$1 s
    for s in "${order[@]}"; do
        if [ -n "${file_of[$s]:-}" ] && [ "${part_of[$s]}" = "$p" ]; then echo "$s"; fi
    done
    for s in $(printf '%s\n' "${!file_of[@]}" | sort); do
        case " ${order[*]} " in *" $s "*) continue ;; esac
        if [ "${part_of[$s]}" = "$p" ]; then echo "$s"; fi
    done
}

{
    cat <<'EOF'
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>ftsim lecture pack</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { font-family: sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; line-height: 1.4; }
h2 { border-bottom: 2px solid #333; padding-bottom: .2em; margin-top: 2.5em; }
h3 { margin-top: 2em; }
figure { margin: 1.5em 0; border-top: 1px solid #ccc; padding-top: 1em; }
img { max-width: 100%; height: auto; border: 1px solid #eee; }
pre { background: #f6f6f6; padding: .5em; white-space: pre-wrap; overflow-wrap: anywhere; }
.about { color: #333; font-style: italic; }
nav#contents ol > li { margin: .4em 0; font-weight: bold; }
nav#contents ul { font-weight: normal; }
nav#contents ul li { display: inline; margin-right: .8em; }
.missing { color: #777; }
</style></head><body>
<h1>ftsim lecture pack</h1>
EOF
    printf '<p>Every figure was drawn by <code>make demo</code> from <code>%s/results.db</code>, ' "$out"
    echo 'each diagram by one <code>ftsim diagram</code> run. <code>ftsim</code> is <code>build/release/cli/ftsim</code>.'
    echo 'Beside each image lie its data (<code>NAME.dat</code>) and its gnuplot script (<code>NAME.gp</code>): edit the script'
    echo 'to restyle the figure and run it again from its directory. docs/lecture-guide.md says what to show when;'
    echo 'docs/plots.md explains each figure.</p>'
    echo '<nav id="contents"><h2>Contents</h2><ol>'
    for p in 1 2 3 4 5 6; do
        printf '<li><a href="#part-%s">%s</a>\n<ul>' "$p" "${parts[$((p - 1))]}"
        for s in $(scenarios_of_part "$p"); do
            printf '<li><a href="#scn-%s">%s</a></li>' "${s//[^A-Za-z0-9._-]/-}" "$s"
        done
        echo '</ul></li>'
    done
    echo '</ol>'
    if [ -n "$(scenarios_of_part 0)$other_figs" ]; then
        echo '<p><a href="#other">Also: other scenarios and figures</a></p>'
    fi
    echo '</nav>'
    for p in 1 2 3 4 5 6; do
        h t "${part_intro[$((p - 1))]}"
        printf '<section id="part-%s">\n<h2>%s. %s</h2>\n<p>%s</p>\n' "$p" "$p" \
            "${parts[$((p - 1))]}" "$t"
        for f in ${part_figs[$p]:-}; do
            case $f in byzantine-*) ;; *) plot_figure "$f" ;; esac
        done
        n=0
        for s in $(scenarios_of_part "$p"); do
            case $s in byzantine-*) continue ;; esac
            scenario_block "$s"
            n=$((n + 1))
        done
        if [ "$p" = 3 ]; then
            echo '<h3 id="byzantine">The Byzantine generals</h3>'
            for f in ${part_figs[3]:-}; do
                case $f in byzantine-*) plot_figure "$f" ;; esac
            done
            for s in $(scenarios_of_part 3); do
                case $s in byzantine-*) scenario_block "$s"; n=$((n + 1)) ;; esac
            done
        fi
        if [ "$n" = 0 ] && [ -z "${part_figs[$p]:-}" ]; then
            printf '<p class="missing">The scenarios of this part are not in this build: no file in scenarios/ belongs to it yet (its figures, model-error-SCENARIO and kmeans-centres-SCENARIO, appear here once one does).</p>\n'
        fi
        echo '</section>'
    done
    if [ -n "$(scenarios_of_part 0)$other_figs" ]; then
        echo '<section id="other"><h2>Other scenarios and figures</h2>'
        for s in $(scenarios_of_part 0); do scenario_block "$s"; done
        for f in $other_figs; do plot_figure "$f"; done
        echo '</section>'
    fi
    echo '<details><summary>The commands that filled the results database</summary><pre>'
    if [ -f "$out/data-commands.txt" ]; then esc <"$out/data-commands.txt"; fi
    echo '</pre></details>'
    echo '</body></html>'
} >"$out/index.html"
