#!/usr/bin/env bash
# Prepares a fresh Debian/Ubuntu machine for perfwarden: system packages the suites and tests
# use, and local container images where a Docker engine runs. Idempotent; run as root (or
# with sudo available). Each step lives in scripts/setup.d/, run in name order.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export SUDO

for step in scripts/setup.d/*.sh; do
  [ -e "$step" ] || continue
  echo "setup: $step"
  bash "$step"
done
echo "setup: done"
