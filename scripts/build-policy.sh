#!/bin/sh
# Compiles a Xen-layout FLASK policy source tree by hand, in the same order
# and with the same m4/checkpolicy options as Xen's tools/flask/policy build.
#
# usage: scripts/build-policy.sh [-m] [-s SRC] [-f FLASKDIR] [-o OUT] [-k CONF]
#   -m          build with MLS (m4 -D enable_mls, checkpolicy -M)
#   -s SRC      policy source tree            (default: policy/example)
#   -f FLASKDIR hypervisor class/SID/perm defs (default: policy/flask)
#   -o OUT      binary policy to write        (default: out/example.policy[.mls])
#   -k CONF     also keep the m4 output here  (default: OUT.conf)
# Environment: M4, CHECKPOLICY, MLS_SENS (16), MLS_CATS (256), POLICY_VER (30).
set -eu

mls=0; src=policy/example; flask=policy/flask; out=""; conf=""
while getopts ms:f:o:k: opt; do
	case $opt in
	m) mls=1 ;;
	s) src=$OPTARG ;;
	f) flask=$OPTARG ;;
	o) out=$OPTARG ;;
	k) conf=$OPTARG ;;
	*) sed -n '5,12p' "$0" >&2; exit 2 ;;
	esac
done
[ -n "$out" ] || { [ $mls = 1 ] && out=out/example.policy.mls || out=out/example.policy; }
[ -n "$conf" ] || conf=$out.conf
M4=${M4:-m4}; CHECKPOLICY=${CHECKPOLICY:-checkpolicy}
sens=${MLS_SENS:-16}; cats=${MLS_CATS:-256}; ver=${POLICY_VER:-30}

for f in security_classes initial_sids access_vectors; do
	[ -f "$flask/$f" ] || { echo "missing $flask/$f (use -f)" >&2; exit 2; }
done

# Modules switched on in modules.conf, in file order.
enabled=$(awk '/^[ \t]*[a-z]/ { if ($3 == "on") print $1 }' "$src/modules/modules.conf")
tes=""; ifs=""; cons=""
for m in $enabled; do
	tes="$tes $src/modules/$m.te"
	[ -f "$src/modules/$m.if" ] && ifs="$ifs $src/modules/$m.if"
	[ -f "$src/modules/$m.cons" ] && cons="$cons $src/modules/$m.cons"
done
spt=$(ls "$src"/policy/support/*.spt | LC_ALL=C sort)

# Section order matters; it mirrors Xen's Makefile.common.
sections="$flask/security_classes $src/policy/security_classes
	$flask/initial_sids
	$flask/access_vectors $src/policy/access_vectors
	$spt $src/policy/mls
	$ifs
	$src/policy/global_tunables
	$tes
	$src/policy/users
	$cons
	$src/policy/initial_sids $src/policy/device_contexts"

m4flags="-D self_contained_policy -s -D mls_num_sens=$sens -D mls_num_cats=$cats"
cpflags="-t Xen -c $ver"
if [ $mls = 1 ]; then m4flags="$m4flags -D enable_mls"; cpflags="$cpflags -M"; fi

mkdir -p "$(dirname "$out")" "$(dirname "$conf")"
# shellcheck disable=SC2086
$M4 $m4flags $sections > "$conf"
# shellcheck disable=SC2086
$CHECKPOLICY $cpflags "$conf" -o "$out"
