#!/usr/bin/env bash
# The PR gate: `perfwarden check` on the pull request's tree, judged by the base commit's
# config and baselines (a checkout of the base commit, never the PR's own perfwarden.toml or
# baselines/, so a PR cannot loosen its own gate). check runs the benches of the profile,
# gates them, re-measures what fails against the baseline's commit, and writes report.md,
# verdict.json and confirmation.json into the report directory; where the base has no
# baseline for this machine class, it measures the base commit now instead. Its exit status
# (0 pass, 1 regression, 2 bad input) goes to $GITHUB_OUTPUT as `status=<code>` and this
# script exits 0, so the workflow can upload the results before it fails the job; with
# --strict it exits with check's status instead.
#
# usage: scripts/gate.sh [--strict] BASE_DIR
#   BASE_DIR: a checkout of the base commit holding perfwarden.toml and baselines/
# env: PERFWARDEN_BIN (default target/release/perfwarden), PERFWARDEN_REPORT_DIR
#      (target/perfwarden-report), PERFWARDEN_THRESHOLD (percent, optional),
#      PERFWARDEN_BASE_SHA (the base commit, measured now where no baseline is committed),
#      PERFWARDEN_SUITES (bench targets to run, space-separated; default: all),
#      PERFWARDEN_INSTRUCTIONS (BENCH=SUITE/BENCHMARK pairs counted under callgrind too,
#      instead of the base config's `[check] instructions`; set and empty for none)
set -euo pipefail
cd "$(dirname "$0")/.."

strict=false
if [[ "${1:-}" == "--strict" ]]; then
  strict=true
  shift
fi
base="${1:?usage: scripts/gate.sh [--strict] BASE_DIR}"
bin="${PERFWARDEN_BIN:-target/release/perfwarden}"
out="${PERFWARDEN_REPORT_DIR:-${CARGO_TARGET_DIR:-target}/perfwarden-report}"
mkdir -p "$out"
# A report left from an earlier run (or restored with the cargo cache) must never be posted
# as this run's.
rm -rf "$out/report.md" "$out/verdict.json" "$out/confirmation.json" "$out/reference" \
  "$out/report.html" "$out/pr-number"

# Without a config at the base, the built-in defaults judge: never the PR's own file.
config="$base/perfwarden.toml"
if [[ ! -f "$config" ]]; then
  config="$out/base-defaults.toml"
  : >"$config"
fi
args=(check --config "$config" --baselines-dir "$base/baselines" --out-dir "$out")
if [[ -n "${PERFWARDEN_THRESHOLD:-}" ]]; then
  if [[ ! "$PERFWARDEN_THRESHOLD" =~ ^[0-9]{1,3}([.][0-9]{1,3})?$ ]]; then
    echo "gate: PERFWARDEN_THRESHOLD=${PERFWARDEN_THRESHOLD@Q} is not a percentage like 10 or 7.5" >&2
    exit 2
  fi
  args+=(--threshold "$PERFWARDEN_THRESHOLD")
fi
if [[ -n "${PERFWARDEN_BASE_SHA:-}" ]]; then
  [[ "$PERFWARDEN_BASE_SHA" =~ ^[0-9a-f]{40}$ ]] || {
    echo "gate: PERFWARDEN_BASE_SHA=${PERFWARDEN_BASE_SHA@Q} is not a commit id" >&2
    exit 2
  }
  args+=(--base "$PERFWARDEN_BASE_SHA")
fi

for suite in ${PERFWARDEN_SUITES:-}; do
  [[ "$suite" =~ ^[A-Za-z0-9_-]{1,64}$ ]] || {
    echo "gate: PERFWARDEN_SUITES: ${suite@Q} is not a bench target name" >&2
    exit 2
  }
  args+=(--suite "$suite")
done

# CPU-bound paths are gated on instruction counts too, where valgrind is installed: counts do
# not move with a busy runner, so their 2% threshold catches what time's noise-aware rule
# must confirm first. Which benches: the base config's `[check] instructions`, unless the
# workflow names others here. Pairs naming a bench that does not run are ignored.
if [[ -n "${PERFWARDEN_INSTRUCTIONS+set}" ]]; then
  [[ -n "$PERFWARDEN_INSTRUCTIONS" ]] || args+=(--no-instructions)
  for pair in $PERFWARDEN_INSTRUCTIONS; do
    [[ "$pair" =~ ^[A-Za-z0-9_-]{1,64}=[A-Za-z0-9_./-]{1,200}$ ]] || {
      echo "gate: PERFWARDEN_INSTRUCTIONS: ${pair@Q} is not BENCH=SUITE/BENCHMARK" >&2
      exit 2
    }
    args+=(--instructions "$pair")
  done
fi

status=0
"$bin" "${args[@]}" || status=$?
if [[ -s "$out/report.md" ]]; then
  # The same comparison as one page with charts, for the artifact.
  html=(report --html "$out/report.html" --config "$config")
  if [[ -d "$out/reference" ]]; then
    html+=(--baseline "$out/reference")
  else
    html+=(--baselines-dir "$base/baselines")
  fi
  "$bin" "${html[@]}" >/dev/null || echo "gate: the HTML report could not be written" >&2
else
  # check may stop before writing its report (bad input): the pull request still gets a
  # report saying the gate could not run, instead of none or an old one.
  run_url="${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_REPOSITORY:-}/actions/runs/${GITHUB_RUN_ID:-}"
  {
    echo "<!-- perfwarden-report -->"
    echo "### perfwarden: the gate could not run (exit status $status)"
    echo
    echo "\`perfwarden check\` wrote no report; its error is in the log of $run_url."
  } >"$out/report.md"
fi

if [[ -n "${GITHUB_OUTPUT:-}" ]]; then echo "status=$status" >>"$GITHUB_OUTPUT"; fi
echo "gate: perfwarden check status $status"
if $strict; then exit "$status"; fi
