#!/usr/bin/env bash
# .ci/fuzz.sh [SRCDIR] - build the libFuzzer target tests/fuzz/fuzz_api.c (clang,
# libFuzzer + AddressSanitizer + UndefinedBehaviorSanitizer, OpenMP on) and run it
# for a bounded time over the committed seed corpus.  Exits non-zero on a crash, a
# sanitizer report or a failed check of the target, and then keeps the work
# directory (the crashing input is there); prints the number of executions.
#
#   FUZZ_SECONDS  run time (default 60)
#   FUZZ_CC       compiler (default clang)
#   FUZZ_KEEP     set to keep the work directory (binary, corpus, log) on success
#   LK_CONFIGURE_FLAGS  extra configure arguments (e.g. --disable-simd, --disable-openmp)
#
# Installs nothing.  Needs (Debian): clang libclang-rt-14-dev libomp-dev
# autoconf automake libtool pkg-config make git.
set -euo pipefail

src=$(cd "${1:-$(dirname "$0")/..}" && pwd)
secs=${FUZZ_SECONDS:-60}
cc=${FUZZ_CC:-clang}
work=$(mktemp -d "${TMPDIR:-/tmp}/lk-fuzz.XXXXXX")
ok=0
trap '[ "$ok" = 1 ] && [ -z "${FUZZ_KEEP:-}" ] && rm -rf "$work" || echo "fuzz: work directory kept: $work" >&2' EXIT

# shellcheck source=.ci/lib.sh
. "$(dirname "$0")/lib.sh"
lk_tree fuzz

san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1"
echo "fuzz: building with $cc ($san)"
mkdir -p "$work/build"
(cd "$work/build" &&
    "$tree/configure" -q --disable-shared ${LK_CONFIGURE_FLAGS:-} CC="$cc" CFLAGS="$san -fsanitize=fuzzer-no-link" &&
    make -s -j2 src/liblosskit.la) >"$work/build.log" 2>&1 || {
    tail -n 40 "$work/build.log" >&2
    exit 1
}
omp=$(sed -n 's/^OPENMP_CFLAGS = //p' "$work/build/Makefile")
libs=$(sed -n 's/^LIBS = //p' "$work/build/Makefile")
[ -n "$omp" ] || echo "fuzz: warning: $cc has no OpenMP (Debian: libomp-dev);" \
    "the 1 vs 3 threads comparison checks nothing" >&2
"$cc" $san -fsanitize=fuzzer $omp -I"$work/build/include" -I"$tree/include" \
    -I"$tree/tests" "$tree/tests/fuzz/fuzz_api.c" "$tree/tests/robust_calls.c" \
    "$work/build/src/.libs/liblosskit.a" $libs -lm -o "$work/fuzz_api"

mkdir -p "$work/corpus"
echo "fuzz: running for ${secs}s over $(ls "$tree/tests/fuzz/corpus" | wc -l) seed inputs"
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# LLVM's OpenMP runtime itself loses track of a few team buffers when the thread
# count goes down (seen with a plain OpenMP program, no losskit code).
printf 'leak:libomp.so\n' >"$work/lsan.supp"
export LSAN_OPTIONS=suppressions=$work/lsan.supp:print_suppressions=0
# Idle OpenMP threads sleep instead of spinning: the machine may have few cores.
export OMP_WAIT_POLICY=passive
set +e
nice "$work/fuzz_api" -max_total_time="$secs" -timeout=60 -rss_limit_mb=4096 \
    -max_len=4096 -print_final_stats=1 -artifact_prefix="$work/" \
    "$work/corpus" "$tree/tests/fuzz/corpus" >"$work/fuzz.log" 2>&1
rc=$?
set -e
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log" | tail -n 1)
cov=$(grep -o 'cov: [0-9]*' "$work/fuzz.log" | tail -n 1 || true)
if [ "$rc" -ne 0 ]; then
    tail -n 60 "$work/fuzz.log" >&2
    ls "$work"/crash-* "$work"/timeout-* "$work"/oom-* 2>/dev/null >&2 || true
    echo "fuzz: FAILED (exit $rc) after ${runs:-?} executions" >&2
    exit 1
fi
echo "fuzz: ${runs:-?} executions in ${secs}s, ${cov:-cov: ?}, $(ls "$work/corpus" | wc -l) new inputs; no failure"
ok=1
