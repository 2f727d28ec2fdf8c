#!/usr/bin/env bash
# Prints the machine class of this machine: the label baselines are kept under
# (baselines/<class>/). PERFWARDEN_MACHINE_CLASS wins when set; otherwise the class is
# gha-<os>-<version>-<cores>core, e.g. gha-ubuntu-24.04-4core on GitHub's standard runner
# for public repositories, so a runner with other hardware never gates against numbers
# measured on different hardware.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -n "${PERFWARDEN_MACHINE_CLASS:-}" ]]; then
  class="$PERFWARDEN_MACHINE_CLASS"
else
  ID=linux
  VERSION_ID=unknown
  # shellcheck disable=SC1091 # the OS's own description, present on every Linux runner
  [[ -r /etc/os-release ]] && . /etc/os-release
  class="gha-${ID}-${VERSION_ID}-$(nproc)core"
fi
# The class becomes a directory name and a branch name: keep it to a safe alphabet.
if [[ ! "$class" =~ ^[A-Za-z0-9._-]+$ ]]; then
  echo "machine-class: ${class@Q} is not a valid machine class (letters, digits, . _ - only)" >&2
  exit 2
fi
echo "$class"
