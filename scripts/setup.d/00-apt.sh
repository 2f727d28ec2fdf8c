#!/usr/bin/env bash
# System packages, from Debian's archive.
set -euo pipefail
PACKAGES=(redis-server redis-tools iproute2 procps)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  ${SUDO:-} apt-get update -qq
  DEBIAN_FRONTEND=noninteractive ${SUDO:-} apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# The redis-server package starts a system service on 6379; perfwarden starts its own
# servers on free ports and does not need it.
