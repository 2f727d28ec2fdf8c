#!/usr/bin/env bash
# Runs every benchmark suite with one profile:
#   PERFWARDEN_PROFILE=<profile> cargo bench --bench <suite>
# Each suite writes target/perfwarden/<suite>.json (under CARGO_TARGET_DIR when set). Old
# results are removed first, so nothing left from an earlier run (or restored with the cargo
# cache) is gated as current. A failing suite does not stop the others: the gate still sees
# what was measured, and the script exits 1 at the end naming the suites that failed.
#
# usage: scripts/run-suites.sh smoke|pr|nightly|full [SUITE...]
# PERFWARDEN_ITERATIONS, when set, must be a positive integer; the suites read it.
set -euo pipefail
cd "$(dirname "$0")/.."

ALL_SUITES=(grpc_windows ingest_parquet_s3 peers qdrant_search redis_cache)

profile="${1:-}"
case "$profile" in
  smoke | pr | nightly | full) ;;
  *)
    echo "usage: scripts/run-suites.sh smoke|pr|nightly|full [SUITE...]" >&2
    exit 2
    ;;
esac
shift
suites=("$@")
if [[ ${#suites[@]} -eq 0 ]]; then suites=("${ALL_SUITES[@]}"); fi

if [[ -n "${PERFWARDEN_ITERATIONS:-}" && ! "${PERFWARDEN_ITERATIONS}" =~ ^[1-9][0-9]{0,5}$ ]]; then
  echo "run-suites: PERFWARDEN_ITERATIONS=${PERFWARDEN_ITERATIONS@Q} is not a positive integer" >&2
  exit 2
fi

results="${PERFWARDEN_RESULTS_DIR:-${CARGO_TARGET_DIR:-target}/perfwarden}"
rm -rf "$results"
mkdir -p "$results"

group() { if [[ -n "${GITHUB_ACTIONS:-}" ]]; then echo "::group::$*"; else echo "== $*"; fi; }
endgroup() { if [[ -n "${GITHUB_ACTIONS:-}" ]]; then echo "::endgroup::"; fi; }

failed=()
for suite in "${suites[@]}"; do
  group "suite $suite (profile $profile)"
  start=$SECONDS
  if PERFWARDEN_PROFILE="$profile" cargo bench --locked --bench "$suite"; then
    echo "run-suites: $suite finished in $((SECONDS - start)) s"
  else
    failed+=("$suite")
    echo "run-suites: $suite FAILED after $((SECONDS - start)) s"
  fi
  endgroup
done

if [[ ${#failed[@]} -gt 0 ]]; then
  if [[ -n "${GITHUB_ACTIONS:-}" ]]; then echo "::error::suites failed: ${failed[*]}"; fi
  echo "run-suites: failed: ${failed[*]}" >&2
  exit 1
fi
echo "run-suites: all ${#suites[@]} suites ran; results in $results"
