#!/usr/bin/env bash
# .ci/sanitize.sh [SRCDIR] - `make check` in a separate build made with sanitizers,
# every report fatal.  Exits non-zero on any test failure or sanitizer report.
#
#   SAN_KIND  address (default): AddressSanitizer (leak checking on) and
#             UndefinedBehaviorSanitizer over the whole `make check`;
#             thread: ThreadSanitizer over the concurrency and bad-input suites
#             (SAN_TESTS), with LLVM's OpenMP runtime and its Archer tool, which
#             tells ThreadSanitizer about OpenMP's synchronisation (without it the
#             uninstrumented runtime gives false reports).  clang only.
#   SAN_CC    compiler for SAN_KIND=address (default clang; gcc works too)
#   SAN_TESTS tests for SAN_KIND=thread (default "tests/test_concurrent
#             tests/test_badinput")
#   LK_CONFIGURE_FLAGS  extra configure arguments (e.g. --disable-simd, --disable-openmp)
#
# Installs nothing.  Needs (Debian): clang libclang-rt-14-dev libomp-dev check
# autoconf automake libtool pkg-config make git (with SAN_CC=gcc: gcc and
# libgomp instead of clang, libclang-rt-14-dev and libomp-dev).
set -euo pipefail

src=$(cd "${1:-$(dirname "$0")/..}" && pwd)
kind=${SAN_KIND:-address}
cc=${SAN_CC:-clang}
[ "$kind" = thread ] && cc=clang
work=$(mktemp -d "${TMPDIR:-/tmp}/lk-san.XXXXXX")
ok=0
trap '[ "$ok" = 1 ] && rm -rf "$work" || echo "sanitize: build kept: $work/build" >&2' EXIT

# shellcheck source=.ci/lib.sh
. "$(dirname "$0")/lib.sh"
lk_tree sanitize

case $kind in
address)
    san="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all -g -O1"
    export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1
    export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
    # LLVM's OpenMP runtime itself loses track of a few team buffers when the
    # thread count goes down (seen with a plain OpenMP program, no losskit code).
    printf 'leak:libomp.so\n' >"$work/lsan.supp"
    export LSAN_OPTIONS=suppressions=$work/lsan.supp:print_suppressions=0
    ;;
thread)
    san="-fsanitize=thread -g -O1"
    export TSAN_OPTIONS=halt_on_error=1:abort_on_error=1:ignore_noninstrumented_modules=1
    archer="$(cd "$(clang -print-resource-dir)/../.." && pwd)/libarcher.so"
    [ -f "$archer" ] || { echo "sanitize: no $archer (libomp-dev)" >&2; exit 1; }
    export OMP_TOOL_LIBRARIES=$archer
    # No fork: ThreadSanitizer then sees one process from start to end.
    export CK_FORK=no
    ;;
*)
    echo "sanitize: SAN_KIND must be address or thread" >&2
    exit 2
    ;;
esac
echo "sanitize: $cc $san"
mkdir -p "$work/build"
cd "$work/build"
"$tree/configure" -q --disable-shared ${LK_CONFIGURE_FLAGS:-} CC="$cc" CFLAGS="$san" LDFLAGS="$san"

# Idle OpenMP threads sleep instead of spinning: the machine may have few cores.
export OMP_WAIT_POLICY=passive
if [ "$kind" = thread ]; then
    tests=${SAN_TESTS:-tests/test_concurrent tests/test_badinput}
    checkcmd=(make -j2 check TESTS="$tests")
else
    checkcmd=(make -j2 check)
fi
if ! "${checkcmd[@]}" >"$work/check.log" 2>&1; then
    tail -n 30 "$work/check.log" >&2
    find . -name '*.log' ! -name test-suite.log ! -name config.log -print0 |
        while IFS= read -r -d '' log; do
            if grep -q -E 'FAIL|ERROR|runtime error|Sanitizer' "$log"; then
                echo "---- $log" >&2
                tail -n 60 "$log" >&2
            fi
        done
    echo "sanitize: FAILED" >&2
    exit 1
fi
# Belt and braces: no report may hide in a log of a test that passed.
if grep -rl -E 'runtime error:|ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|WARNING: ThreadSanitizer' \
    --include='*.log' --exclude=config.log . >"$work/reports"; then
    echo "sanitize: sanitizer reports in:" >&2
    cat "$work/reports" >&2
    exit 1
fi
grep -E '^# (TOTAL|PASS|FAIL|XFAIL|ERROR|SKIP)' "$work/check.log" | sed 's/^/sanitize: /'
echo "sanitize: make check passed with $cc -fsanitize for $kind, no report"
ok=1
