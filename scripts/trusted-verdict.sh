#!/usr/bin/env bash
# The comment workflow's verdict, made by trusted code from data only. The perf-pr artifact
# was written by the pull request's code: its report.md, verdict.json and anything else it
# rendered are never used. Its results (JSON, bounded and validated by perfwarden) are gated
# again here by perfwarden built from the default branch, against the base commit's config
# and baselines; its confirmation.json, where there is one, is validated against that
# comparison (statuses re-derived from the paired ratios) and shown as reported by the PR
# job. The Markdown written to OUT_DIR/report.md is what gets posted.
#
# usage: scripts/trusted-verdict.sh ARTIFACT_DIR BASE_DIR OUT_DIR
#   ARTIFACT_DIR: the downloaded perf-pr artifact (perfwarden/*.json, perfwarden-report/)
#   BASE_DIR: a checkout of the PR's base commit (perfwarden.toml, baselines/)
# env: PERFWARDEN_BIN (default target/debug/perfwarden), RUN_URL (the perf-pr run, linked),
#      PERFWARDEN_HISTORY (the nightly history, for trend charts), HEAD_SHA and BASE_SHA
#      (the pull request's head and base commits, from GitHub's event: where their test merge
#      changes nothing that builds or runs a bench since the baseline's commit, what the gate
#      flags is the machine's; this repository's git must hold both, as data: they are never
#      checked out); writes status=<code> to $GITHUB_OUTPUT.
set -euo pipefail
cd "$(dirname "$0")/.."

die() {
  echo "trusted-verdict: $*" >&2
  exit 2
}

art="${1:?usage: scripts/trusted-verdict.sh ARTIFACT_DIR BASE_DIR OUT_DIR}"
base="${2:?usage: scripts/trusted-verdict.sh ARTIFACT_DIR BASE_DIR OUT_DIR}"
out="${3:?usage: scripts/trusted-verdict.sh ARTIFACT_DIR BASE_DIR OUT_DIR}"
bin="${PERFWARDEN_BIN:-target/debug/perfwarden}"
results="$art/perfwarden"
report="$art/perfwarden-report"

# Bounds before anything is parsed: a handful of JSON files, no links out of the artifact.
[[ -d "$results" && ! -L "$results" ]] || die "$results: no results directory in the artifact"
if find "$art" -type l | grep -q .; then die "$art: holds symbolic links"; fi
count="$(find "$results" -maxdepth 1 -type f -name '*.json' | wc -l)"
((count > 0 && count <= 64)) || die "$results: $count results files (expected 1 to 64)"
bytes="$(du -sb "$results" | cut -f1)"
((bytes <= 256 * 1024 * 1024)) || die "$results: $bytes bytes, over 256 MiB"

mkdir -p "$out"
rm -f "$out/report.md" "$out/verdict.json"
config="$base/perfwarden.toml"
if [[ ! -f "$config" ]]; then
  config="$out/base-defaults.toml"
  : >"$config"
fi
# The commits measured, as GitHub's event names them (never as the artifact does).
measured=()
head_sha="${HEAD_SHA:-}"
base_sha="${BASE_SHA:-}"
if [[ -n "$head_sha" || -n "$base_sha" ]]; then
  [[ "$head_sha" =~ ^[0-9a-f]{40}$ ]] || die "HEAD_SHA=${head_sha@Q} is not a commit id"
  [[ "$base_sha" =~ ^[0-9a-f]{40}$ ]] || die "BASE_SHA=${base_sha@Q} is not a commit id"
  measured=(--measured-commit "$head_sha" --measured-onto "$base_sha")
fi
args=(compare --current "$results" --config "$config" --out-dir "$out" --print none)
if [[ -d "$report/reference" && ! -L "$report/reference" ]]; then
  # The base had no baseline for this machine class: the PR job measured the base commit
  # now, and its numbers are the reference (the report says so).
  args+=(--baseline "$report/reference" --measured-now)
else
  args+=(--baselines-dir "$base/baselines" "${measured[@]}")
fi
if [[ -f "$report/confirmation.json" ]]; then
  args+=(--confirmations "$report/confirmation.json")
fi
if [[ -n "${RUN_URL:-}" ]]; then
  args+=(--link "perf-pr run=$RUN_URL" --link "artifact with the HTML report=$RUN_URL#artifacts")
fi

status=0
"$bin" "${args[@]}" || status=$?
if [[ ! -s "$out/report.md" ]]; then
  {
    echo "<!-- perfwarden-report -->"
    echo "### perfwarden: the pull request's results could not be judged (exit status $status)"
    echo
    echo "The comment workflow's log says why${RUN_URL:+; the measuring run is $RUN_URL}."
  } >"$out/report.md"
fi
if [[ -n "${GITHUB_OUTPUT:-}" ]]; then echo "status=$status" >>"$GITHUB_OUTPUT"; fi
echo "trusted-verdict: perfwarden compare status $status"
