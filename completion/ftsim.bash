# bash completion for ftsim: commands, each command's options, scenario files (*.yaml)
# and names, protocol and algorithm names after --protocol, tables after --table,
# formats after --format, figure families after --only. Installed as
# PREFIX/share/bash-completion/completions/ftsim; or `source completion/ftsim.bash`.

_ftsim_scenario_names() {
    local d
    for d in scenarios "${FTSIM_SCENARIOS:-}"; do
        [ -n "$d" ] && [ -d "$d" ] && (cd "$d" && ls -- *.yaml 2>/dev/null) | sed 's/\.yaml$//'
    done
}

_ftsim() {
    local cur prev cmd
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD - 1]}
    local commands="run explain check list sweep swarm shrink merge export plot diagram example help"
    local protocols="at-most-once at-least-once exactly-once exactly-once-txn exactly-once-checkpoint om sm dolev-strong"
    if [ "$COMP_CWORD" -eq 1 ]; then
        mapfile -t COMPREPLY < <(compgen -W "$commands --help --version" -- "$cur")
        return
    fi
    cmd=${COMP_WORDS[1]}
    case "$prev" in
    --protocol | --protocols) mapfile -t COMPREPLY < <(compgen -W "$protocols" -- "$cur"); return ;;
    --format) mapfile -t COMPREPLY < <(compgen -W "png svg pdf" -- "$cur"); return ;;
    --table)
        mapfile -t COMPREPLY < <(compgen -W "runs outcomes timeseries latency_quantiles markers window_results agreement events watermarks lambda_views model_metrics scenarios run_results" -- "$cur")
        return ;;
    --only)
        mapfile -t COMPREPLY < <(compgen -W "comparison loss-sweep timeseries latency-cdf windows drivers byzantine lambda model-error kmeans-centres offline-vs-streaming" -- "$cur")
        return ;;
    --events) mapfile -t COMPREPLY < <(compgen -W "group checkpoint faults" -- "$cur"); return ;;
    --size) mapfile -t COMPREPLY < <(compgen -W "slide" -- "$cur"); return ;;
    --db | --junit | --out | --plot) mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;
    --seed | --seeds | --set | --jobs | --shard | --where | --record | --from | --to | --node | --runs | --font-scale)
        return ;;
    esac
    local opts=""
    case "$cmd" in
    run) opts="--seed --protocol --db --out --plot --json --trace --record --from --to --node --events --help" ;;
    explain) opts="--seed --protocol --record --json --all --help" ;;
    check) opts="--tap --junit --exhaustive --help" ;;
    list) opts="--help" ;;
    sweep) opts="--db --seeds --protocol --set --jobs --shard --help" ;;
    swarm) opts="--runs --seed --jobs --db --out --protocol --shrink --all --help" ;;
    shrink) opts="--seed --protocol --out --seeds --help" ;;
    merge) opts="--help" ;;
    export) opts="--table --where --out --help" ;;
    plot) opts="--out --format --only --size --font-scale --help" ;;
    diagram) opts="--out --seed --protocol --protocols --from --to --record --explain --size --font-scale --help" ;;
    example) opts="--seed --trace --help" ;;
    esac
    if [[ "$cur" == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
        return
    fi
    case "$cmd" in
    run | explain | check | sweep | swarm | shrink | diagram)
        mapfile -t COMPREPLY < <(compgen -f -X '!*.yaml' -- "$cur"; compgen -d -- "$cur";
            compgen -W "$(_ftsim_scenario_names)" -- "$cur")
        ;;
    list) mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
    merge | export | plot) mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
    esac
}
complete -o filenames -F _ftsim ftsim
