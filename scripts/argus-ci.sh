#!/usr/bin/env bash
# The Argo policy gate for CI (GitHub Action `action.yml`, examples/ci/gitlab-ci.yml, or by hand):
# build the policy of this change and of the base ref, check the change against the rules (only
# violations the base did not already have fail), and diff base -> change for the reviewer.
# Run from the repository root:
#
#   scripts/argus-ci.sh [BASE_REF]
#
# Environment (defaults: the project's own example):
#   ARGUS    the argus binary (argus)            POLICY  policy source tree, policy.conf or binary (policy/example)
#   SYSTEM   the system file; empty: none        RULES   the rules file (examples/rules/platform.toml)
#            (examples/system.toml)              XEN     passed as --xen to check and diff, only when set
#   BASE_REF the base, also the first argument; default: origin/$GITHUB_BASE_REF (GitHub pull
#            requests) or origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME (GitLab merge requests);
#            none: no baseline and no diff
#   TODAY    --today for the check (YYYY-MM-DD; default: today)
#   OUT      report directory (out/argus-ci)
# In $OUT: new.policy, base.policy, check.txt, check.json, check.sarif, check.xml (JUnit),
# check.md, check.codeclimate.json, diff.txt, diff.md, diff.json, summary.md (check.md then diff.md).
# On GitHub Actions it also appends summary.md to $GITHUB_STEP_SUMMARY and writes the outputs
# result (pass, fail or error), report-dir and sarif to $GITHUB_OUTPUT.
# Exit status: 0 pass, 1 new rule violations, 2 bad input, a policy that does not build, or a
# base ref that cannot be found (one "argus-ci: error: ..." line on stderr).
set -euo pipefail

BASE_REF=${1:-${BASE_REF:-}}
if [ -z "$BASE_REF" ]; then
    if [ -n "${GITHUB_BASE_REF:-}" ]; then BASE_REF=origin/$GITHUB_BASE_REF
    elif [ -n "${CI_MERGE_REQUEST_TARGET_BRANCH_NAME:-}" ]; then BASE_REF=origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME
    fi
fi
ARGUS=${ARGUS:-argus}
POLICY=${POLICY:-policy/example}
SYSTEM=${SYSTEM-examples/system.toml}
RULES=${RULES:-examples/rules/platform.toml}
XEN=${XEN:-}
TODAY=${TODAY:-}
OUT=${OUT:-out/argus-ci}

output() { if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "$1=$2" >> "$GITHUB_OUTPUT"; fi; }
publish() {  # summary.md to the job summary
    if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then cat "$OUT/summary.md" >> "$GITHUB_STEP_SUMMARY"; fi
}
# An error: one line on stderr, the same in the summary, exit 2.
fail() {
    echo "argus-ci: error: $1" >&2
    mkdir -p "$OUT"
    {
        echo "### Argo policy check: ⚠️ error"
        echo
        echo '```'
        echo "$1"
        if [ -n "${2:-}" ] && [ -s "$2" ]; then cat "$2"; fi
        echo '```'
    } > "$OUT/summary.md"
    publish
    output result error
    exit 2
}
# Runs argus, its stderr kept in $OUT/stderr; "fail" when it exits with 2 or more.
run_argus() {
    local status=0
    "$ARGUS" "$@" 2> "$OUT/stderr" || status=$?
    if [ "$status" -ge 2 ]; then
        cat "$OUT/stderr" >&2
        fail "argus $1 exited with status $status" "$OUT/stderr"
    fi
    return "$status"
}

mkdir -p "$OUT"
rm -f "$OUT"/check.* "$OUT"/diff.* "$OUT"/summary.md "$OUT"/new.policy "$OUT"/base.policy
command -v "$ARGUS" >/dev/null 2>&1 || fail "no argus binary '$ARGUS' (set ARGUS)"
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || fail "not in a git work tree"
[ -z "$(git rev-parse --show-prefix)" ] || fail "run from the repository root ($(git rev-parse --show-toplevel))"
[ -e "$POLICY" ] || fail "no policy '$POLICY'"
[ -f "$RULES" ] || fail "no rules file '$RULES'"

system_options=(); [ -n "$SYSTEM" ] && system_options=(--system "$SYSTEM")
xen_options=(); [ -n "$XEN" ] && xen_options=(--xen "$XEN")
today_options=(); [ -n "$TODAY" ] && today_options=(--today "$TODAY")

# The base's tree, checked out beside this one (removed on exit).
base=""
base_note=""
if [ -n "$BASE_REF" ]; then
    if ! git rev-parse --verify --quiet "$BASE_REF^{commit}" >/dev/null; then
        # A shallow CI checkout may lack the base branch: fetch it once.
        case $BASE_REF in
            origin/*) git fetch --quiet --no-tags origin "+refs/heads/${BASE_REF#origin/}:refs/remotes/$BASE_REF" 2>/dev/null || true ;;
        esac
        git rev-parse --verify --quiet "$BASE_REF^{commit}" >/dev/null \
            || fail "base ref '$BASE_REF' not found (fetch it, or check out with full history)"
    fi
    policy_path=${POLICY#./}; policy_path=${policy_path%/}
    if git cat-file -e "$BASE_REF:$policy_path" 2>/dev/null; then
        base=$(mktemp -d "${TMPDIR:-/tmp}/argus-ci.XXXXXX")
        cleanup() { git worktree remove --force "$base/tree" >/dev/null 2>&1 || true; rm -rf "$base"; git worktree prune 2>/dev/null || true; }
        trap cleanup EXIT INT TERM
        git worktree add --quiet --detach "$base/tree" "$BASE_REF" 2>"$OUT/stderr" \
            || fail "cannot check out '$BASE_REF'" "$OUT/stderr"
    else
        base_note="The base \`$BASE_REF\` has no \`$policy_path\`: no baseline and no diff."
    fi
else
    base_note="No base ref: no baseline and no diff."
fi

# 1. Both policies must build (m4 + checkpolicy); a failure here is exit 2 with file:line.
run_argus policy compile "$POLICY" -o "$OUT/new.policy"
if [ -n "$base" ]; then run_argus policy compile "$base/tree/$policy_path" -o "$OUT/base.policy"; fi

# 2. The gate. Source trees (not the binaries) so findings carry the rules' file:line.
baseline_options=(); [ -n "$base" ] && baseline_options=(--baseline "$base/tree/$policy_path")
status=0
for format in text json sarif junit markdown codeclimate; do
    case $format in
        text) file=check.txt ;; junit) file=check.xml ;; markdown) file=check.md ;;
        codeclimate) file=check.codeclimate.json ;; *) file=check.$format ;;
    esac
    rc=0
    run_argus check "$POLICY" "${system_options[@]}" --rules "$RULES" "${baseline_options[@]}" \
        "${xen_options[@]}" "${today_options[@]}" --format "$format" -o "$OUT/$file" || rc=$?
    if [ "$format" = text ]; then status=$rc; fi
done
output report-dir "$OUT"
output sarif "$OUT/check.sarif"
cat "$OUT/check.txt"

# 3. What changes in Argo, for the reviewer: exit 1 only means "different", not a failure.
# The diff compares audits of a system file; without one the check ran over every valid label.
diff_base=$base
if [ -n "$base" ] && [ -z "$SYSTEM" ]; then
    base_note="No system file: the check ran over every valid label; no diff (it compares audits of a system file)."
    diff_base=""
fi
if [ -n "$diff_base" ]; then
    for format in text markdown json; do
        case $format in text) file=diff.txt ;; markdown) file=diff.md ;; *) file=diff.$format ;; esac
        run_argus diff "$base/tree/$policy_path" "$POLICY" "${system_options[@]}" "${xen_options[@]}" \
            --format "$format" -o "$OUT/$file" || true
    done
    cat "$OUT/diff.txt"
fi

{
    cat "$OUT/check.md"
    echo
    if [ -n "$diff_base" ]; then cat "$OUT/diff.md"; else echo "_${base_note}_"; fi
} > "$OUT/summary.md"
rm -f "$OUT/stderr"
publish
if [ "$status" = 0 ]; then output result pass; else output result fail; fi
exit "$status"
