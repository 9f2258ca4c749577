#!/bin/sh
# Writes OUT_DIR/BuildInfo.swift with the git commit of the package at PACKAGE_ROOT, for
# `argus --version` (run before every build by Plugins/BuildInfo):
#
#   scripts/build-info.sh PACKAGE_ROOT OUT_DIR
#
# The commit is HEAD's 40 hex digits, with "-dirty" when tracked files differ from it, or
# "unknown" when PACKAGE_ROOT is not the top of a git work tree (a source tarball, no git
# installed, or a copy vendored inside another repository). The file is replaced only when its
# text changes, so an unchanged commit recompiles nothing.
set -u
root=$1; out=$2
mkdir -p "$out" || exit 1
commit=unknown
if command -v git >/dev/null 2>&1; then
    top=$(git -C "$root" rev-parse --show-toplevel 2>/dev/null) || top=""
    here=$(cd "$root" && pwd -P)
    if [ -n "$top" ] && [ "$(cd "$top" && pwd -P)" = "$here" ]; then
        head=$(git -C "$root" rev-parse --verify --quiet HEAD 2>/dev/null) || head=""
        case $head in
            *[!0-9a-f]* | "") ;;
            *)
                commit=$head
                if [ -n "$(GIT_OPTIONAL_LOCKS=0 git -C "$root" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
                    commit="$commit-dirty"
                fi
                ;;
        esac
    fi
fi
tmp="$out/.BuildInfo.swift.$$"
{
    echo '// Generated at build time by Plugins/BuildInfo; not in git.'
    echo 'enum BuildInfo {'
    echo '    /// The git commit this binary was built from ("-dirty": with uncommitted changes), or "unknown".'
    echo "    static let commit = \"$commit\""
    echo '}'
} > "$tmp" || exit 1
if cmp -s "$tmp" "$out/BuildInfo.swift"; then rm -f "$tmp"; else mv -f "$tmp" "$out/BuildInfo.swift"; fi
