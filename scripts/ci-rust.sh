#!/usr/bin/env bash
# Installs the Rust toolchain that Cargo.toml's rust-version names, with rustfmt and clippy,
# and makes it the default: CI builds and lints with the compiler developers use, not
# whatever stable the runner image happens to carry.
set -euo pipefail
cd "$(dirname "$0")/.."

version="$(sed -n 's/^rust-version *= *"\([0-9.]*\)".*/\1/p' Cargo.toml | head -n 1)"
if [[ -z "$version" ]]; then
  echo "ci-rust: Cargo.toml has no rust-version" >&2
  exit 2
fi
rustup toolchain install "$version" --profile minimal --component rustfmt,clippy --no-self-update
rustup default "$version"
rustc --version
cargo --version
