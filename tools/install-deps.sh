#!/bin/sh
# Installs the Debian 12 packages losskit needs (run as root).
#   tools/install-deps.sh          build and test
#   tools/install-deps.sh demo     + gnuplot, for the examples' loss curves
#   tools/install-deps.sh robust   + clang, sanitizer runtimes, libomp, valgrind
#   tools/install-deps.sh bench    + oneDNN, PyTorch, NumPy, gnuplot (the peers)
#   tools/install-deps.sh --all    everything above
set -eu
pkgs="build-essential autoconf automake libtool pkg-config check libsleef-dev git"
demo="gnuplot-nox"
robust="clang libclang-rt-14-dev libomp-dev valgrind"
bench="gnuplot-nox libdnnl-dev python3-numpy python3-torch"
for mode in "$@"; do
    case "$mode" in
    demo) pkgs="$pkgs $demo" ;;
    robust) pkgs="$pkgs $robust" ;;
    bench) pkgs="$pkgs $bench" ;;
    --all) pkgs="$pkgs $demo $robust $bench" ;;
    *) echo "usage: $0 [demo|robust|bench|--all]..." >&2; exit 2 ;;
    esac
done
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $missing
fi
