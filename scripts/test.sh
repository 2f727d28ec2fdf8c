#!/usr/bin/env bash
# The test command: unit and integration tests, then the #[ignore]d tests that need real
# services, for every service this machine can provide (see README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --locked
cargo test --locked --test tests -- --ignored
