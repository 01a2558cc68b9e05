#!/usr/bin/env bash
# .ci/valgrind.sh [SRCDIR] - every compiled test program of `make check` (the Check
# suites: cross-entropy, regression, binary losses, bad input, concurrency, ...)
# under valgrind memcheck: invalid reads and writes, uses of uninitialised values,
# and definite or indirect leaks are errors.  Built with gcc -O2 -g, static
# library, OpenMP on (libgomp at the default thread count; its thread pool shows
# only as "possibly lost", which is not counted).  Check runs without fork
# (CK_FORK=no) so valgrind sees the tests themselves.  Takes a few minutes.
#
#   VG_TESTS  space-separated test programs to run instead of all (e.g.
#             "tests/test_golden_ce tests/test_binary")
#   LK_CONFIGURE_FLAGS  extra configure arguments (e.g. --disable-simd, --disable-openmp)
#
# Installs nothing.  Needs (Debian): valgrind gcc check autoconf automake libtool
# pkg-config make git.
set -euo pipefail

src=$(cd "${1:-$(dirname "$0")/..}" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/lk-vg.XXXXXX")
ok=0
trap '[ "$ok" = 1 ] && rm -rf "$work" || echo "valgrind: build kept: $work/build" >&2' EXIT

# shellcheck source=.ci/lib.sh
. "$(dirname "$0")/lib.sh"
lk_tree valgrind

mkdir -p "$work/build"
cd "$work/build"
"$tree/configure" -q --disable-shared ${LK_CONFIGURE_FLAGS:-} CC="${CC:-gcc}" CFLAGS="-g -O2"
make -s -j2 check TESTS= >"$work/build.log" 2>&1 || {
    tail -n 40 "$work/build.log" >&2
    exit 1
}
if [ -n "${VG_TESTS:-}" ]; then
    tests=$VG_TESTS
else
    # The TESTS of the Makefile that are compiled programs (scripts are skipped).
    all=$(make -s -f Makefile -f <(printf 'lk-print-tests:\n\t@echo $(TESTS)\n') lk-print-tests)
    tests=
    for t in $all; do
        if [ -f "$t" ] && head -c 4 "$t" | grep -q 'ELF'; then
            tests="$tests $t"
        fi
    done
fi

export srcdir=$tree CK_FORK=no
failed=0
for t in $tests; do
    start=$(date +%s)
    if nice valgrind -q --error-exitcode=99 --leak-check=full \
        --errors-for-leak-kinds=definite,indirect \
        --show-leak-kinds=definite,indirect \
        "./$t" >"$work/$(basename "$t").vg.log" 2>&1; then
        echo "valgrind: $t clean ($(($(date +%s) - start)) s)"
    else
        echo "valgrind: $t FAILED" >&2
        tail -n 60 "$work/$(basename "$t").vg.log" >&2
        failed=1
    fi
done
[ -n "$tests" ] || { echo "valgrind: no test program found" >&2; exit 1; }
[ "$failed" = 0 ] || exit 1
echo "valgrind: memcheck clean on all $(echo $tests | wc -w) test programs"
ok=1
