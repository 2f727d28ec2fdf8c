#!/usr/bin/env bash
# Gates the current results against one machine class's baselines with `perfwarden compare`,
# which writes report.md (first line: the comment marker) and verdict.json into the report
# directory. compare's exit status (0 pass, 1 regression, 2 bad input) goes to
# $GITHUB_OUTPUT as `status=<code>` and this script exits 0, so the workflow can upload the
# report before it fails the job; with --strict it exits with compare's status instead.
#
# Where the machine class has no baseline yet, the report says so and the status is 0: the
# baseline workflows propose the first one.
#
# usage: scripts/gate.sh [--strict] BASELINE_DIR
# env: PERFWARDEN_BIN (default target/release/perfwarden), PERFWARDEN_CURRENT (target/perfwarden),
#      PERFWARDEN_REPORT_DIR (target/perfwarden-report), PERFWARDEN_THRESHOLD (percent, optional)
set -euo pipefail
cd "$(dirname "$0")/.."

strict=false
if [[ "${1:-}" == "--strict" ]]; then
  strict=true
  shift
fi
baseline="${1:?usage: scripts/gate.sh [--strict] BASELINE_DIR}"
bin="${PERFWARDEN_BIN:-target/release/perfwarden}"
current="${PERFWARDEN_CURRENT:-${CARGO_TARGET_DIR:-target}/perfwarden}"
out="${PERFWARDEN_REPORT_DIR:-${CARGO_TARGET_DIR:-target}/perfwarden-report}"
mkdir -p "$out"
# A report left from an earlier run (or restored with the cargo cache) must never be posted
# as this run's.
rm -f "$out/report.md" "$out/verdict.json" "$out/history-line.jsonl" "$out/pr-number"

args=(compare --baseline "$baseline" --current "$current" --out-dir "$out")
if [[ -n "${PERFWARDEN_THRESHOLD:-}" ]]; then
  if [[ ! "$PERFWARDEN_THRESHOLD" =~ ^[0-9]{1,3}([.][0-9]{1,3})?$ ]]; then
    echo "gate: PERFWARDEN_THRESHOLD=${PERFWARDEN_THRESHOLD@Q} is not a percentage like 10 or 7.5" >&2
    exit 2
  fi
  args+=(--threshold "$PERFWARDEN_THRESHOLD")
fi

shopt -s nullglob
baselines=("$baseline"/*.json)
status=0
if [[ ${#baselines[@]} -eq 0 ]]; then
  class="$(basename "$baseline")"
  {
    echo "<!-- perfwarden-report -->"
    echo "### perfwarden: no baseline for machine class \`$class\` yet"
    echo
    echo "Nothing was gated. The baseline workflow measures this machine class on the default"
    echo "branch and opens a pull request adding \`$baseline\`; once merged, runs are gated against it."
  } >"$out/report.md"
  echo "gate: no baselines in $baseline; wrote $out/report.md"
  if [[ -n "${GITHUB_STEP_SUMMARY:-}" ]]; then cat "$out/report.md" >>"$GITHUB_STEP_SUMMARY"; fi
else
  "$bin" "${args[@]}" || status=$?
  # compare may stop before writing its report (bad input): the pull request still gets a
  # comment saying the gate could not run, instead of none or an old one.
  if [[ ! -s "$out/report.md" ]]; then
    run_url="${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_REPOSITORY:-}/actions/runs/${GITHUB_RUN_ID:-}"
    {
      echo "<!-- perfwarden-report -->"
      echo "### perfwarden: the gate could not run (exit status $status)"
      echo
      echo "\`perfwarden compare\` wrote no report; its error is in the log of $run_url."
    } >"$out/report.md"
  fi
fi

if [[ -n "${GITHUB_OUTPUT:-}" ]]; then echo "status=$status" >>"$GITHUB_OUTPUT"; fi
echo "gate: perfwarden compare status $status"
if $strict; then exit "$status"; fi
