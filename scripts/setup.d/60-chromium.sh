#!/usr/bin/env bash
# Headless Chromium renders the HTML report in tests/html.rs (the ignored test
# chromium_renders_the_report); valgrind counts instructions for `perfwarden calibrate
# --instructions` (perf's hardware counters are not exposed in these containers).
set -euo pipefail
PACKAGES=(chromium valgrind)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  ${SUDO:-} apt-get update -qq
  DEBIAN_FRONTEND=noninteractive ${SUDO:-} apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
