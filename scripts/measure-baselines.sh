#!/usr/bin/env bash
# Measures this machine class's committed baselines, by hand, on a machine with nothing else
# running: RUNS back-to-back `perfwarden check --no-confirm` runs of every suite on the
# committed tree (a baseline names the commit it measured, and `check` reads "nothing changed
# since that commit" from git), the middle one written as the baseline, each metric's noise
# floor calibrated from all of them. Then review `git diff baselines/` and commit it alone:
# a commit with nothing but baselines/ and documentation keeps the code the baselines' own.
#
# usage: scripts/measure-baselines.sh [WORK_DIR]
#   WORK_DIR: where the runs are kept (default: a new temporary folder, printed)
# env: PERFWARDEN_PROFILE (pr), RUNS (3, at least 2), CARGO_TARGET_DIR, SUITES (bench targets
#   separated by spaces, e.g. "gate redis_cache": only those measured and written; default all)
set -euo pipefail
cd "$(dirname "$0")/.."

die() {
  echo "measure-baselines: $*" >&2
  exit 2
}

runs="${RUNS:-3}"
if [[ ! "$runs" =~ ^[0-9]+$ ]] || ((runs < 2 || runs > 20)); then
  die "RUNS=${runs@Q} is not 2 to 20"
fi
profile="${PERFWARDEN_PROFILE:-pr}"
[[ "$profile" =~ ^(smoke|pr|nightly|full)$ ]] || die "PERFWARDEN_PROFILE=${profile@Q} is not a profile"
if ! git diff --quiet HEAD -- || [[ -n "$(git ls-files --others --exclude-standard)" ]]; then
  die "the tree has uncommitted changes: commit them first (a baseline names the commit it measured)"
fi
suite_args=()
for s in ${SUITES:-}; do
  compgen -G "crates/*/benches/$s.rs" >/dev/null || die "SUITES: ${s@Q} is not a bench target"
  suite_args+=(--suite "$s")
done
work="${1:-$(mktemp -d)}"
mkdir -p "$work"
echo "measure-baselines: $runs runs at profile $profile of commit $(git rev-parse --short HEAD), kept in $work"

cargo build --release --locked -q -p perfwarden
bin="${CARGO_TARGET_DIR:-target}/release/perfwarden"
[[ "$bin" == /* ]] || bin="$PWD/$bin"
for i in $(seq 1 "$runs"); do
  start=$SECONDS
  status=0
  PERFWARDEN_RESULTS_DIR="$work/r$i" "$bin" check --no-confirm --profile "$profile" "${suite_args[@]}" \
    --out-dir "$work/report$i" --print none >"$work/r$i.log" 2>&1 || status=$?
  # Exit 1 is a verdict against the previous baselines, not a failed run.
  ((status <= 1)) || die "run $i: check exited $status (see $work/r$i.log)"
  if grep -q "FAILED after" "$work/r$i.log"; then die "run $i: a suite failed (see $work/r$i.log)"; fi
  echo "measure-baselines: run $i in $((SECONDS - start)) s"
done

middle="$(((runs + 1) / 2))"
dest=baselines
[[ "$profile" == nightly ]] && dest=baselines/nightly
"$bin" baseline update --current "$work/r$middle" --baselines "$dest"
files=("$work/r$middle"/*.json)
class="$(jq -r '.environment.machine_class' "${files[0]}")"
for file in "${files[@]}"; do
  suite="$(basename "$file" .json)"
  cal="$work/calibration/$suite"
  mkdir -p "$cal/unchanged"
  for i in $(seq 1 "$runs"); do cp "$work/r$i/$suite.json" "$cal/unchanged/r$i.json"; done
  # Exit 1 says some metric misses calibrate's goals (shown in its table); the floors are
  # written all the same.
  "$bin" calibrate --runs-from "$cal" --profile "$profile" --out "$cal/calibration.json" \
    --write-noise "$dest/$class" >"$cal/calibrate.log" 2>&1 || (($? == 1)) ||
    die "calibrate $suite failed (see $cal/calibrate.log)"
done
echo "measure-baselines: $dest/$class written from run $middle, noise from all $runs; review git diff $dest/"
