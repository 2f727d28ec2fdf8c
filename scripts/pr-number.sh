#!/usr/bin/env bash
# Reads the pull-request number a perf-pr run uploaded, for the comment workflow, and
# believes it only after checking it: the artifact was written by untrusted PR code. The
# number must be a plain integer, one of the run's pull requests when GitHub lists them
# (it does for pull requests from the same repository, not from forks), and a pull request
# of this repository whose head is the very commit the run measured. A pull request that
# has moved on since gets no comment from this (stale) run: `skip=true`.
#
# usage: scripts/pr-number.sh PR_NUMBER_FILE
# env: HEAD_SHA (the workflow_run's head_sha), RUN_PRS (toJSON of its pull_requests),
#      GH_REPO (owner/name), GH_TOKEN; writes number=N, base=<the PR's base commit, from
#      GitHub, never from the artifact> and skip=true|false to $GITHUB_OUTPUT.
set -euo pipefail
cd "$(dirname "$0")/.."

die() {
  echo "pr-number: $*" >&2
  exit 1
}

file="${1:?usage: scripts/pr-number.sh PR_NUMBER_FILE}"
: "${HEAD_SHA:?HEAD_SHA must be the workflow_run head_sha}"
: "${GH_REPO:?GH_REPO must be owner/name}"
output="${GITHUB_OUTPUT:-/dev/stdout}"

[[ -f "$file" && ! -L "$file" ]] || die "$file: missing (the perf-pr run uploaded no PR number)"
[[ "$(wc -c <"$file")" -le 32 ]] || die "$file: too large for a PR number"
pr="$(<"$file")"
[[ "$pr" =~ ^[1-9][0-9]{0,9}$ ]] || die "$file: ${pr@Q} is not a pull-request number"
[[ "$HEAD_SHA" =~ ^[0-9a-f]{40}$ ]] || die "HEAD_SHA ${HEAD_SHA@Q} is not a commit id"

listed="$(jq -r '.[]?.number' <<<"${RUN_PRS:-[]}")"
if [[ -n "$listed" ]] && ! grep -qx -- "$pr" <<<"$listed"; then
  die "PR #$pr is not among the run's pull requests ($(paste -sd ' ' <<<"$listed"))"
fi

head="$(gh api "repos/$GH_REPO/pulls/$pr" --jq '.head.sha')"
if [[ "$head" != "$HEAD_SHA" ]]; then
  echo "::notice::PR #$pr now heads at $head, not at $HEAD_SHA that this run measured; a newer run comments."
  echo "skip=true" >>"$output"
  exit 0
fi
base="$(gh api "repos/$GH_REPO/pulls/$pr" --jq '.base.sha')"
[[ "$base" =~ ^[0-9a-f]{40}$ ]] || die "PR #$pr: GitHub gave no base commit (${base@Q})"
echo "pr-number: PR #$pr heads at the measured commit $HEAD_SHA, based on $base"
{
  echo "number=$pr"
  echo "base=$base"
  echo "skip=false"
} >>"$output"
