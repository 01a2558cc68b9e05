#!/bin/sh
# Installs what building and testing losskit needs on Debian 12 (run as root).
# "demo" adds gnuplot for the examples' loss curves; "--all" adds what the
# benchmarks and the robustness checks (sanitizers, fuzzing, valgrind) use.
set -eu
pkgs="build-essential autoconf automake libtool pkg-config check"
if [ "${1:-}" = "demo" ]; then
    pkgs="$pkgs gnuplot-nox"
elif [ "${1:-}" = "--all" ]; then
    pkgs="$pkgs gnuplot-nox clang libclang-rt-14-dev valgrind libdnnl-dev libsleef-dev python3-numpy python3-torch"
fi
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
