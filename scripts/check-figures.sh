#!/usr/bin/env bash
# Checks a directory of ftsim figures (`ftsim plot`, `ftsim diagram`): every name
# pattern given matches at least one image; each PNG starts with the PNG signature and
# holds at least 10 kB (an empty gnuplot canvas is ~3 kB); each image's .dat (when the
# figure has one) is not empty; and each .gp script, run by gnuplot from that
# directory, redraws its image byte for byte. Prints one line per failure and a
# summary; exits 1 when anything failed.
# Usage: check-figures.sh DIR PATTERN...   e.g. check-figures.sh out/plots 'timeseries-*'
set -uo pipefail
if [ $# -lt 1 ] || [ "$1" = --help ]; then
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
    [ $# -ge 1 ] && exit 0 || exit 2
fi
dir=$1
shift
[ -d "$dir" ] || { echo "check-figures: $dir: not a directory" >&2; exit 2; }
fails=0
fail() { echo "check-figures: $*" >&2; fails=$((fails + 1)); }

for pat in "$@"; do
    compgen -G "$dir/$pat.png" >/dev/null || fail "$dir: no figure $pat.png"
done

tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
# One image: its checks and its redraw; problems go to the worker's file $tmp/fails-W.
check_png() {
    local png=$1 w=$2 name
    name=$(basename "$png" .png)
    say() { echo "$*" >>"$tmp/fails-$w"; }
    if [ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" != 89504e470d0a1a0a ]; then
        say "$png: not a PNG"
        return
    fi
    size=$(stat -c %s "$png")
    [ "$size" -ge 10000 ] || say "$png: $size bytes, too small for a drawn figure"
    if [ -e "$dir/$name.dat" ] && [ ! -s "$dir/$name.dat" ]; then say "$dir/$name.dat: empty"; fi
    if [ ! -f "$dir/$name.gp" ]; then
        say "$png: no $name.gp beside it"
        return
    fi
    cp "$png" "$tmp/before-$w.png"
    rm -f "$png"
    if ! (cd "$dir" && gnuplot "$name.gp" 2>"$tmp/gnuplot-$w.err"); then
        say "$dir/$name.gp: gnuplot failed: $(head -n 3 "$tmp/gnuplot-$w.err" | tr "\n" " ")"
        cp "$tmp/before-$w.png" "$png"
    elif ! cmp -s "$png" "$tmp/before-$w.png"; then
        say "$dir/$name.gp: redraws $name.png differently"
    fi
}
# Two workers (gnuplot redraws are most of the time), each every second image.
pngs=("$dir"/*.png)
[ -e "${pngs[0]}" ] || pngs=()
n=${#pngs[@]}
for w in 0 1; do
    (for ((i = w; i < n; i += 2)); do check_png "${pngs[$i]}" "$w"; done) &
done
wait
for w in 0 1; do
    [ -f "$tmp/fails-$w" ] || continue
    while IFS= read -r line; do fail "$line"; done <"$tmp/fails-$w"
done
[ "$n" -gt 0 ] || fail "$dir: no images"
if [ "$fails" -gt 0 ]; then
    echo "check-figures: $dir: $fails problem(s) in $n images" >&2
    exit 1
fi
echo "check-figures: $dir: $n images, each a PNG redrawn byte for byte by its .gp"
