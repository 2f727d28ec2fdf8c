#!/usr/bin/env bash
# Lints the GitHub Actions workflows with actionlint (which runs shellcheck over their
# `run:` scripts when shellcheck is on PATH) and audits them with zizmor (offline: template
# injection, credentials, dangerous triggers, unpinned actions), and the shell glue in
# scripts/ with ShellCheck itself. scripts/setup.d/50-actionlint.sh installs all three.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v actionlint >/dev/null 2>&1; then
  echo "lint-workflows: actionlint not found; run scripts/setup.d/50-actionlint.sh" >&2
  exit 1
fi
if ! command -v zizmor >/dev/null 2>&1; then
  echo "lint-workflows: zizmor not found; run scripts/setup.d/50-actionlint.sh" >&2
  exit 1
fi
if ! command -v shellcheck >/dev/null 2>&1; then
  echo "lint-workflows: shellcheck not found; run scripts/setup.d/50-actionlint.sh" >&2
  exit 1
fi
echo "lint-workflows: $(actionlint --version | head -n 1), $(zizmor --version), shellcheck $(shellcheck --version | sed -n 's/^version: //p')"
actionlint
zizmor --offline --quiet .github/workflows
shellcheck scripts/*.sh scripts/setup.d/*.sh .ci/run
echo "lint-workflows: $(find .github/workflows -name '*.yml' | wc -l) workflows and $(find scripts -name '*.sh' | wc -l) scripts are clean"
