#!/usr/bin/env bash
# Builds a Debian package of exactly what `make install PREFIX=/usr` installs (`make deb`).
#
#   scripts/make-deb.sh --bin ARGUS --manual-tool GENERATE_MANUAL [--out DIR]
#
# The version is the binary's own (`argus --version`). Depends: the shared libraries the binary
# really loads (dpkg-shlibdeps over its ELF dependencies: the Swift runtime and libsepol are
# linked in statically, so this is the C and C++ runtime), plus m4 and checkpolicy, which argus
# runs to compile policy sources. Writes DIR/argus_VERSION_ARCH.deb (default DIR: out/deb).
set -euo pipefail

fail() { echo "make-deb.sh: error: $*" >&2; exit 2; }
bin=""; manual_tool=""; out=out/deb
while [ $# -gt 0 ]; do
    case $1 in
        --bin) bin=${2:?}; shift 2 ;;
        --manual-tool) manual_tool=${2:?}; shift 2 ;;
        --out) out=${2:?}; shift 2 ;;
        *) sed -n '2,4p' "$0" >&2; exit 2 ;;
    esac
done
source_root=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$bin" ] || fail "no argus binary at '$bin'"

# "argus 0.1.0 (commit 0123…)" -> 0.1.0
version=$("$bin" --version | sed -n 's/^argus \([0-9][0-9A-Za-z.+~-]*\) (commit .*)$/\1/p')
[ -n "$version" ] || fail "cannot read the version from '$("$bin" --version)'"
arch=$(dpkg --print-architecture)
if ldd "$bin" | grep -q 'libswift'; then
    fail "$bin loads the Swift runtime dynamically; build it with --static-swift-stdlib (make deb does)"
fi

mkdir -p "$out"
stage=$(mktemp -d "${TMPDIR:-/tmp}/argus-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT
root=$stage/root
"$source_root/scripts/install.sh" install --bin "$bin" --manual-tool "$manual_tool" --prefix /usr --destdir "$root"

# Shared-library dependencies, as Debian's own packaging computes them.
mkdir -p "$stage/debian"
printf 'Source: argus\n\nPackage: argus\nArchitecture: any\n' > "$stage/debian/control"
shlibs=$(cd "$stage" && dpkg-shlibdeps -O -e"$root/usr/bin/argus" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || fail "dpkg-shlibdeps found no library dependencies for $bin"
rm -rf "$stage/debian"

installed_size=$(du -sk "$root" | cut -f1)
mkdir -p "$root/DEBIAN"
cat > "$root/DEBIAN/control" <<EOF
Package: argus
Version: $version
Architecture: $arch
Maintainer: Argus developers <argus@localhost>
Installed-Size: $installed_size
Depends: $shlibs, m4, checkpolicy
Section: admin
Priority: optional
Description: which Xen domains may talk to which over Argo, under a FLASK policy
 Argus loads Xen FLASK (XSM) policies, binary or source (compiled with m4 and
 checkpolicy), audits a system of domains for Argo channels, explains each
 decision, replays hypercall scenarios through a re-implementation of Xen's
 Argo engine, and gates policy changes in CI (SARIF, JUnit, Code Climate).
EOF
deb=$out/argus_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
