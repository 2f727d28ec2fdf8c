#!/usr/bin/env bash
# Builds a local Redis container image from the host's own redis-server, for CI runners whose
# Docker engine has no registry to pull from. The image holds only redis-server, the shared
# libraries it links and the dynamic loader; tests reach it through PERFWARDEN_REDIS_IMAGE and
# PERFWARDEN_REDIS_TAG (set by scripts/test.sh). Nothing here is used by the library itself.
# Skipped quietly where no Docker engine answers or redis-server is not installed.
set -euo pipefail

IMAGE="${PERFWARDEN_LOCAL_REDIS_IMAGE:-perfwarden-local/redis}"
BIN="$(command -v redis-server || true)"
if [ -z "$BIN" ]; then
  echo "setup: no redis-server on PATH, no local Redis image built"
  exit 0
fi
if ! command -v docker >/dev/null 2>&1 || ! timeout 10 docker info >/dev/null 2>&1; then
  echo "setup: no Docker engine answering, no local Redis image built"
  exit 0
fi

# The tag is the server's own version, so the line perfwarden prints names what really runs.
VERSION="$("$BIN" --version | sed -n 's/.* v=\([0-9.]*\).*/\1/p')"
TAG="${VERSION:-local}"
if docker image inspect "$IMAGE:$TAG" >/dev/null 2>&1; then
  echo "setup: $IMAGE:$TAG already present"
  exit 0
fi

ROOT="$(mktemp -d)"
trap 'rm -rf "$ROOT"' EXIT
mkdir -p "$ROOT/usr/bin" "$ROOT/data" "$ROOT/tmp"
chmod 1777 "$ROOT/tmp"
# redis-server is a symlink to redis-check-rdb that picks its mode from argv[0], so the copy
# must keep the name redis-server.
cp -L "$BIN" "$ROOT/usr/bin/redis-server"
# Every library ldd resolves, plus the loader (the line without "=>"), at its own path.
ldd "$BIN" | awk '/=> \// {print $3} /^\t\// {print $1}' | while read -r lib; do
  mkdir -p "$ROOT$(dirname "$lib")"
  cp -L "$lib" "$ROOT$lib"
done

# No config file: bind every interface and turn protected mode off so connections through
# Docker's port mapping are accepted; no RDB snapshots, so a stop never waits on a save.
tar -C "$ROOT" -c . | docker import \
  --change 'WORKDIR /data' \
  --change 'EXPOSE 6379' \
  --change 'CMD ["/usr/bin/redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--save", "", "--appendonly", "no"]' \
  - "$IMAGE:$TAG" >/dev/null
echo "setup: built $IMAGE:$TAG from $BIN"
