#!/bin/sh
# Argo policy gate for CI: build the policy of this change, check it against the rules
# (only violations the base branch did not already have fail), and diff it against the
# base branch's policy for the reviewer. Run from the repository root:
#
#   examples/ci/argus-ci.sh [BASE_REF]          # BASE_REF defaults to main
#
# Environment (defaults are the project's example): ARGUS (argus binary), POLICY (source
# tree), SYSTEM (system file), RULES (rules file), OUT (report directory).
# Exit status: 0 pass, 1 new rule violations, 2 bad input or a policy that does not build.
# Reports in $OUT: check.txt, check.sarif, check.xml (JUnit), check.md, diff.txt, diff.md, diff.json.
set -eu

BASE_REF=${1:-main}
ARGUS=${ARGUS:-argus}
POLICY=${POLICY:-policy/example}
SYSTEM=${SYSTEM:-examples/system.toml}
RULES=${RULES:-examples/rules/platform.toml}
OUT=${OUT:-out/argus-ci}

mkdir -p "$OUT"

# The base branch's tree, checked out beside this one (removed on exit).
base=$(mktemp -d)
cleanup() { git worktree remove --force "$base/tree" >/dev/null 2>&1 || true; rm -rf "$base"; }
trap cleanup EXIT INT TERM
git worktree add --quiet --detach "$base/tree" "$BASE_REF"

# 1. Both policies must build (m4 + checkpolicy); a failure here is exit 2 with file:line.
"$ARGUS" policy compile "$POLICY" -o "$OUT/new.policy"
"$ARGUS" policy compile "$base/tree/$POLICY" -o "$OUT/base.policy"

# 2. The gate. Source trees (not the binaries) so findings carry the rules' file:line.
status=0
"$ARGUS" check "$POLICY" --system "$SYSTEM" --rules "$RULES" --baseline "$base/tree/$POLICY" \
    -o "$OUT/check.txt" || status=$?
if [ "$status" -ge 2 ]; then exit "$status"; fi
for format in sarif junit markdown; do
    ext=$format; [ "$format" = junit ] && ext=xml; [ "$format" = markdown ] && ext=md
    "$ARGUS" check "$POLICY" --system "$SYSTEM" --rules "$RULES" --baseline "$base/tree/$POLICY" \
        --format "$format" -o "$OUT/check.$ext" || true
done
cat "$OUT/check.txt"

# 3. What changes in Argo, for the reviewer: exit 1 only means "different", not a failure.
for format in text markdown json; do
    ext=$format; [ "$format" = text ] && ext=txt; [ "$format" = markdown ] && ext=md
    rc=0
    "$ARGUS" diff "$base/tree/$POLICY" "$POLICY" --system "$SYSTEM" --format "$format" -o "$OUT/diff.$ext" || rc=$?
    if [ "$rc" -ge 2 ]; then exit "$rc"; fi
done
cat "$OUT/diff.txt"

exit "$status"
