#!/usr/bin/env bash
# Installs the Debian packages ftsim needs to build, test, plot and check the gallery
# (chromium, run headless), and only those that are missing. Idempotent: prints nothing
# when everything is present; never asks (no stdin, no recommended packages).
# Runs as root, or through sudo when it is available.
set -euo pipefail

pkgs=(gcc clang make cmake pkg-config libsodium-dev libsqlite3-dev libyaml-dev
      libcmocka-dev libxxhash-dev gnuplot-nox fonts-dejavu-core sqlite3 parallel
      chromium) # chromium: make demo checks the gallery in it, headless
# Only for what needs them: `make fuzz` (libFuzzer's runtime), `make memcheck`
# (valgrind); `make test` renders the man page with man-db when it is there.
[ -n "${FTSIM_DEPS_FUZZ:-}" ] && pkgs+=(libclang-rt-14-dev)
[ -n "${FTSIM_DEPS_MEMCHECK:-}" ] && pkgs+=(valgrind)

missing=()
for p in "${pkgs[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo="sudo"
    else
        echo "deps.sh: missing packages: ${missing[*]}; run as root or install sudo" >&2
        exit 3
    fi
fi

echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq </dev/null >/dev/null
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
