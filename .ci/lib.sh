# .ci/lib.sh - shared by the .ci scripts (sourced, not run).
#
# lk_tree NAME: sets $tree to a source tree of $src ready to configure out of tree.
# A tree configured in place cannot also be configured out of tree, so then it is a
# copy, under $work/tree, of the files git knows (committed or not), autoreconf'd.
lk_tree() {
    local name=$1
    if [ -f "$src/config.status" ]; then
        git -C "$src" rev-parse --git-dir >/dev/null 2>&1 || {
            echo "$name: $src is configured in place and is not a git checkout;" \
                "run 'make distclean' there first" >&2
            return 1
        }
        mkdir -p "$work/tree"
        (cd "$src" && git ls-files -z --cached --others --exclude-standard |
            while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
            xargs -0 cp --parents -t "$work/tree")
        (cd "$work/tree" && autoreconf -fi >"$work/autoreconf.log" 2>&1) || {
            cat "$work/autoreconf.log" >&2
            return 1
        }
        tree=$work/tree
    else
        [ -x "$src/configure" ] || (cd "$src" && autoreconf -fi)
        tree=$src
    fi
}
