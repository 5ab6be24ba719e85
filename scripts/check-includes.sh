#!/usr/bin/env bash
# Keeps the modules of a directory in layers (docs/design.md, "Layers inside stream/"):
# fails, printing the cycle, when the graph of modules has one. A module is a concern's
# files: X.c, X.h and X_internal.h form module X, and the multi-file modules are listed in
# the table below. Module A depends on module B when a file of A includes a header of B
# (a quoted include of a header of the same directory). With --lib LIB.a, the graph of
# calls between LIB's object files is checked too (nm: A references a symbol B defines),
# so a header that declares functions of several modules (pipeline.h, the library's
# public API) cannot hide a call back up; a lower module calls up only through a callback.
# Usage: check-includes.sh [--graph] [--lib LIB.a]... DIR...   (--graph prints the edges;
# exit 0 acyclic, 1 a cycle, 2 usage)
set -euo pipefail

# DIR MODULE GLOB...: the files of a multi-file module (the first line that matches wins).
modules() {
    cat <<'EOF'
stream api pipeline.h config.c
stream pipe pipe_internal.h
stream checkpoint checkpoint.[ch] checkpoint_*.[ch]
stream mls ml_stage.h ml_internal.h ml_wire.c ml_worker.c ml_driver.c
stream source source.[ch] sources.c source_ml.c
analysis experiment experiment.[ch] exp_*.[ch]
analysis store store.[ch] store_*.[ch]
analysis plot plot.[ch] plot_*.[ch]
analysis diagram diagram.[ch] diagram_*.[ch]
analysis explain explain.[ch] explain_*.[ch]
analysis sweep sweep.[ch] sweep_pool.c
cli scenario scenario.[ch] scn_*.[ch]
cli run cmd_run.[ch] cmd_run_*.c
cli diagram cmd_diagram.[ch] cmd_diagram_*.c
cli swarm swarm.h swarm_base.c swarm_gen.c
EOF
}

libs=()
dirs=()
graph=no
while [ $# -gt 0 ]; do
    case $1 in
    --graph) graph=yes; shift ;;
    --lib) [ $# -ge 2 ] || { echo "check-includes.sh: --lib needs a file" >&2; exit 2; }
           libs+=("$2"); shift 2 ;;
    -h|--help) sed -n '2,11s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) dirs+=("$1"); shift ;;
    esac
done
[ ${#dirs[@]} -gt 0 ] || { echo "usage: check-includes.sh [--lib LIB.a]... DIR..." >&2; exit 2; }

# Fills mod[FILE] with the module of every .c and .h of directory $1 (named $2), no fork
# per file.
map_modules() {
    local dir=$1 name=$2 f b m line d mm globs g
    local -a table
    mapfile -t table < <(modules)
    for f in "$dir"/*.c "$dir"/*.h; do
        [ -e "$f" ] || continue
        b=${f##*/}
        m=
        for line in "${table[@]}"; do
            read -r d mm globs <<<"$line"
            [ "$d" = "$name" ] || continue
            for g in $globs; do
                # shellcheck disable=SC2254 # the table's globs are patterns
                case $b in $g) m=$mm; break 2 ;; esac
            done
        done
        if [ -z "$m" ]; then
            m=${b%.*}
            m=${m%_internal}
        fi
        mod[$b]=$m
    done
}

# Reads "MODULE-A MODULE-B WHY" edges on stdin; prints one cycle and exits 1 if any.
find_cycle() {
    awk -v what="$1" '
    $1 != $2 && !(($1, $2) in why) { why[$1, $2] = $3; out[$1] = out[$1] " " $2; node[$1]; node[$2] }
    function visit(u,   n, k, vs, v) {
        color[u] = 1; path[++depth] = u
        n = split(out[u], vs, " ")
        for (k = 1; k <= n; k++) {
            v = vs[k]
            if (color[v] == 1) { report(v); return 1 }
            if (!color[v] && visit(v)) return 1
        }
        color[u] = 2; depth--
        return 0
    }
    function report(v,   i, start) {
        for (i = 1; i <= depth; i++) if (path[i] == v) start = i
        printf "%s: a cycle of modules:\n", what
        for (i = start; i <= depth; i++)
            printf "  %s -> %s  (%s)\n", path[i], (i < depth ? path[i + 1] : v), \
                   why[path[i], (i < depth ? path[i + 1] : v)]
    }
    END {
        for (u in node) if (!color[u] && visit(u)) exit 1
    }'
}

status=0
for dir in "${dirs[@]}"; do
    [ -d "$dir" ] || { echo "check-includes.sh: no directory $dir" >&2; exit 2; }
    name=${dir%/}
    name=${name##*/}
    declare -A mod=()
    map_modules "$dir" "$name"
    filemod=$(for f in "${!mod[@]}"; do echo "$f ${mod[$f]}"; done)
    # FILE:#include "HEADER" lines; an edge when HEADER is a file of this directory
    edges=$(grep -H '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$dir"/*.[ch] |
        awk -v filemod="$filemod" '
            BEGIN { n = split(filemod, a, "\n"); for (i = 1; i <= n; i++) { split(a[i], b, " "); m[b[1]] = b[2] } }
            { f = $0; sub(/:.*/, "", f); sub(/.*\//, "", f)
              h = $0; sub(/^[^"]*"/, "", h); sub(/".*/, "", h)
              if (h in m) print m[f], m[h], f ":#include-\"" h "\"" }' | sort)
    if [ $graph = yes ]; then
        awk '$1 != $2 { print "  " $1 " -> " $2 }' <<<"$edges" | sort -u | sed "1i $dir (includes):"
    fi
    if ! find_cycle "$dir (includes)" <<<"$edges"; then status=1; fi
    for lib in "${libs[@]}"; do
        # only the library built from this directory: every .c file of it is a member
        members=" $(ar t "$lib" | tr '\n' ' ') "
        mine=yes
        for f in "$dir"/*.c; do [[ $members == *" ${f##*/}.o "* ]] || mine=no; done
        [ $mine = yes ] || continue
        objmod=$(awk '$1 ~ /\.c$/ { print $1 ".o", $2 }' <<<"$filemod")
        edges=$(nm -A "$lib" | awk -v objmod="$objmod" '
            BEGIN { n = split(objmod, a, "\n"); for (i = 1; i <= n; i++) { split(a[i], b, " "); m[b[1]] = b[2] } }
            { split($1, p, ":"); o = p[2]; sub(/.*\//, "", o) }
            NF == 3 && $2 ~ /^[TDRB]$/ { def[$3] = m[o] }
            NF == 3 && $2 == "U" { use[++k] = m[o] " " $3 }
            END { for (i = 1; i <= k; i++) { split(use[i], u, " "); if (u[2] in def) print u[1], def[u[2]], u[2] "()" } }' |
            sort)
        if [ $graph = yes ]; then
            awk '$1 != $2 { print "  " $1 " -> " $2 }' <<<"$edges" | sort -u |
                sed "1i $dir (calls in ${lib##*/}):"
        fi
        if ! find_cycle "$dir (calls in ${lib##*/})" <<<"$edges"; then status=1; fi
    done
    unset mod
done
[ $status -eq 0 ] && echo "check-includes: no cycle among the modules of ${dirs[*]}"
exit $status
