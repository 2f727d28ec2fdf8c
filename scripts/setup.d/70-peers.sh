#!/usr/bin/env bash
# The tools the peers bench measures our load engine against: wrk (Debian), Locust (PyPI),
# oha (crates.io). redis-benchmark comes with redis-tools (00-apt.sh). Each one missing is
# skipped by the bench with one line, so this script is for machines that run it in full.
# Opt-in (PERFWARDEN_SETUP_PEERS=1, as the nightly job sets it): oha alone is a long cargo
# build, which the test run of .ci/run does not need.
set -euo pipefail
if [ "${PERFWARDEN_SETUP_PEERS:-}" != 1 ]; then
  echo "setup: peers tools skipped (PERFWARDEN_SETUP_PEERS=1 installs wrk, locust, oha)"
  exit 0
fi
if ! command -v wrk >/dev/null 2>&1; then
  ${SUDO:-} apt-get update -qq
  DEBIAN_FRONTEND=noninteractive ${SUDO:-} apt-get install -y -qq --no-install-recommends wrk
fi
if ! command -v locust >/dev/null 2>&1; then
  # Debian's own Python refuses pip outside a virtual environment (PEP 668): one of our own.
  if ! python3 -m pip install --quiet locust 2>/dev/null; then
    DEBIAN_FRONTEND=noninteractive ${SUDO:-} apt-get install -y -qq --no-install-recommends python3-venv
    ${SUDO:-} python3 -m venv /opt/perfwarden-locust
    ${SUDO:-} /opt/perfwarden-locust/bin/pip install --quiet locust
    ${SUDO:-} ln -sf /opt/perfwarden-locust/bin/locust /usr/local/bin/locust
  fi
fi
# oha 1.16 builds with Rust 1.95 (a few minutes on 2 cores).
command -v oha >/dev/null 2>&1 || cargo install oha --locked
