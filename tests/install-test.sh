#!/bin/sh
# install-test.sh - checks losskit the way a user meets it once installed:
#   1. configure with --prefix into a temporary directory, make, make install;
#   2. check the installed files (header, version header, library, .pc, man page);
#   3. compile a small program with `pkg-config --cflags --libs losskit` (strict C99
#      warnings as errors, and as C++ when a C++ compiler is there), run it against
#      the installed shared library and check what it prints;
#   4. the same program linked statically with `pkg-config --static` (checks the
#      .pc file's Libs.private), when the static library was installed;
#   5. make uninstall leaves no file behind.
#
# usage: tests/install-test.sh [CONFIGURE_ARGUMENTS...]
#   Run from anywhere; the source tree is the one holding this script and needs
#   `configure` (run `autoreconf -fi` first).  A source tree configured in place is
#   copied and cleaned first, so it is never touched.  KEEP=1 keeps the temporary
#   directory; CC and CXX choose the compilers.
set -eu

srcdir=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -x "$srcdir/configure" ]; then
    echo "install-test: no $srcdir/configure; run 'autoreconf -fi' there first" >&2
    exit 1
fi
CC=${CC:-cc}
MAKE=${MAKE:-make}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/losskit-install.XXXXXX")
cleanup() {
    if [ "${KEEP:-0}" = 1 ]; then
        echo "install-test: kept $tmp"
    else
        rm -rf "$tmp"
    fi
}
trap cleanup EXIT
prefix=$tmp/prefix
fail() {
    echo "install-test: FAIL: $*" >&2
    exit 1
}
step() {
    printf 'install-test: %s\n' "$*"
}

# A tree configured in place cannot also host an out-of-tree build: use a clean copy.
src=$srcdir
if [ -f "$srcdir/config.status" ]; then
    step "source tree is configured in place; building from a clean copy"
    mkdir "$tmp/src"
    (cd "$srcdir" && tar --exclude=./.git -cf - .) | (cd "$tmp/src" && tar -xf -)
    (cd "$tmp/src" && $MAKE distclean >/dev/null)
    src=$tmp/src
fi

# ------------------------------------------------------------ 1. build, install
step "configure --prefix=$prefix $*"
mkdir "$tmp/build"
(cd "$tmp/build" && "$src/configure" -q --prefix="$prefix" "$@") || fail "configure"
step "make && make install"
(cd "$tmp/build" && $MAKE -j2 >/dev/null && $MAKE install >/dev/null) || fail "make install"

# ------------------------------------------------------------ 2. installed files
for f in include/losskit.h include/losskit_version.h lib/pkgconfig/losskit.pc \
         share/man/man3/losskit.3; do
    [ -f "$prefix/$f" ] || fail "$f was not installed"
done
ls "$prefix"/lib/liblosskit.so* >/dev/null 2>&1 || fail "no shared library in $prefix/lib"
if command -v groff >/dev/null 2>&1; then
    warnings=$(groff -man -Tutf8 -ww -z "$prefix/share/man/man3/losskit.3" 2>&1) || true
    [ -z "$warnings" ] || fail "groff warns about the man page: $warnings"
fi

# ------------------------------------------------------------ 3. a consumer program
PKG_CONFIG_PATH=$prefix/lib/pkgconfig
export PKG_CONFIG_PATH
pkg-config --exists losskit || fail "pkg-config does not find losskit"
cflags=$(pkg-config --cflags losskit)
libs=$(pkg-config --libs losskit)
step "pkg-config: cflags '$cflags', libs '$libs'"

cat > "$tmp/consumer.c" <<'EOF'
/* A user's first program: the seed's two examples and one error. */
#include <losskit.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    const float logits[6] = { 2.0f, 0.5f, 0.1f, 0.3f, 1.8f, 0.2f };
    const int64_t labels[2] = { 0, 1 };
    const float pred[3] = { 200.0f, 250.0f, 300.0f }, price[3] = { 195.0f, 260.0f, 290.0f };
    float ce = 0.0f, mse = 0.0f;
    lk_status st;

    if (strcmp(lk_version(), LOSSKIT_VERSION) != 0) {
        printf("header %s but library %s\n", LOSSKIT_VERSION, lk_version());
        return 1;
    }
    st = lk_cross_entropy_f32(2, 3, logits, 3, labels, NULL, &ce);
    if (st != LK_OK) {
        printf("lk_cross_entropy_f32: %s\n", lk_strerror(st));
        return 1;
    }
    st = lk_mse_f32(3, pred, price, LK_REDUCTION_MEAN, &mse);
    if (st != LK_OK) {
        printf("lk_mse_f32: %s\n", lk_strerror(st));
        return 1;
    }
    printf("cross-entropy %.6f\n", (double)ce);
    printf("mse %.2f\n", (double)mse);
    /* The error contract: a NULL input is reported, and the output is untouched. */
    st = lk_cross_entropy_f32(2, 3, NULL, 3, labels, NULL, &ce);
    printf("null logits: status %d, output %s\n", (int)st,
           ce > 0.335f && ce < 0.336f ? "unchanged" : "CHANGED");
    return 0;
}
EOF
cat > "$tmp/expected" <<'EOF'
cross-entropy 0.335485
mse 75.00
null logits: status 1, output unchanged
EOF

step "compile the consumer (C99, -Wall -Wextra -pedantic -Werror) and run it"
# shellcheck disable=SC2086  # cflags and libs are word lists
$CC -std=c99 -Wall -Wextra -pedantic -Werror $cflags -o "$tmp/consumer" "$tmp/consumer.c" $libs \
    || fail "the consumer does not compile against the installed headers"
LD_LIBRARY_PATH=$prefix/lib "$tmp/consumer" > "$tmp/got" || fail "the consumer failed: $(cat "$tmp/got")"
diff -u "$tmp/expected" "$tmp/got" || fail "unexpected output from the consumer"

if command -v "${CXX:-c++}" >/dev/null 2>&1; then
    step "the header compiles as C++ too"
    # shellcheck disable=SC2086
    "${CXX:-c++}" -x c++ -Wall -Wextra -Werror $cflags -o "$tmp/consumer-cxx" "$tmp/consumer.c" $libs \
        || fail "the consumer does not compile as C++"
    LD_LIBRARY_PATH=$prefix/lib "$tmp/consumer-cxx" > "$tmp/got-cxx" || fail "the C++ consumer failed"
    diff -u "$tmp/expected" "$tmp/got-cxx" || fail "unexpected output from the C++ consumer"
fi

# ------------------------------------------------------------ 4. static link
if [ -f "$prefix/lib/liblosskit.a" ]; then
    slibs=$(pkg-config --static --libs losskit)
    step "static link with '$slibs'"
    # Take liblosskit from the .a, everything else (libgomp, libm, libc) as usual.
    slibs=$(printf '%s\n' "$slibs" | sed 's/-llosskit/-Wl,-Bstatic -llosskit -Wl,-Bdynamic/')
    # shellcheck disable=SC2086
    $CC -std=c99 $cflags -o "$tmp/consumer-static" "$tmp/consumer.c" $slibs \
        || fail "static link with pkg-config --static fails (Libs.private?)"
    "$tmp/consumer-static" > "$tmp/got-static" || fail "the static consumer failed"
    diff -u "$tmp/expected" "$tmp/got-static" || fail "unexpected output from the static consumer"
fi

# ------------------------------------------------------------ 5. uninstall
(cd "$tmp/build" && $MAKE uninstall >/dev/null) || fail "make uninstall"
left=$(find "$prefix" -type f | head -5)
[ -z "$left" ] || fail "make uninstall left files behind: $left"

echo "install-test: PASS"
