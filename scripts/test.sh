#!/usr/bin/env bash
# The test command: unit and integration tests, then the #[ignore]d tests that need real
# services, for every service this machine can provide (see README.md).
set -euo pipefail
cd "$(dirname "$0")/.."

# Where scripts/setup.d/10-redis-image.sh built a local Redis image (Docker engines without a
# registry have no other) and no image was chosen, the container tests use it.
if [ -z "${PERFWARDEN_REDIS_IMAGE:-}" ] && command -v docker >/dev/null 2>&1; then
  tag="$(docker image ls --format '{{.Tag}}' perfwarden-local/redis 2>/dev/null | head -n1 || true)"
  if [ -n "$tag" ]; then
    export PERFWARDEN_REDIS_IMAGE=perfwarden-local/redis PERFWARDEN_REDIS_TAG="$tag"
  fi
fi

cargo test --locked
# The drill (scripts/drill.sh) is run by hand: it builds and runs benches for minutes.
cargo test --locked --test tests -- --ignored --skip drill
