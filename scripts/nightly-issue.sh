#!/usr/bin/env bash
# Opens an issue for a nightly regression, or adds the new report to the one already open,
# so a regression that lasts several nights is one issue with a comment per night.
#
# usage: scripts/nightly-issue.sh REPORT_MD
# env: GH_TOKEN (issues: write), GH_REPO, and GitHub's GITHUB_SERVER_URL, GITHUB_RUN_ID,
#      GITHUB_SHA; PERFWARDEN_MACHINE_CLASS for the text.
set -euo pipefail
cd "$(dirname "$0")/.."

report="${1:?usage: scripts/nightly-issue.sh REPORT_MD}"
: "${GH_REPO:?GH_REPO must be owner/name}"
[[ -s "$report" ]] || { echo "nightly-issue: $report is missing or empty" >&2; exit 1; }

label="perf-regression"
title="Nightly performance regression"
run_url="${GITHUB_SERVER_URL:-https://github.com}/${GH_REPO}/actions/runs/${GITHUB_RUN_ID:-0}"
body="$(mktemp)"
trap 'rm -f "$body"' EXIT
{
  echo "The nightly run $run_url measured regressions on commit ${GITHUB_SHA:-unknown}"
  echo "(machine class \`${PERFWARDEN_MACHINE_CLASS:-unknown}\`). Its report:"
  echo
  # Keep the issue within GitHub's 65,536-character limit; the artifact has the rest.
  if [[ "$(wc -c <"$report")" -gt 60000 ]]; then
    head -c 60000 "$report"
    echo
    echo "_The report was cut; the run's artifact holds all of it._"
  else
    cat "$report"
  fi
} >"$body"

# The label may exist already; creating it is only to make the first issue possible.
gh label create "$label" --color D93F0B --description "Found by perfwarden's nightly run" \
  >/dev/null 2>&1 || true

existing="$(gh issue list --state open --label "$label" --search "in:title \"$title\"" \
  --json number --jq '.[0].number // empty' --limit 1)"
if [[ -n "$existing" ]]; then
  gh issue comment "$existing" --body-file "$body"
  echo "nightly-issue: added the report to issue #$existing"
else
  gh issue create --title "$title" --label "$label" --body-file "$body"
fi
