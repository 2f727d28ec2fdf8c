#!/usr/bin/env bash
# Prints the services a machine set up by scripts/setup.sh must provide to the tests, as
# PERFWARDEN_REQUIRE_SERVICES takes them: a required service that is missing fails its tests
# instead of skipping them. Used by .ci/run and the workflows' test job, so both promise the
# same. Redis from Debian's redis-server, the embedded S3 server and Qdrant's engine
# in-process (both built into the harness), and, where a Docker engine answers and setup
# built the local Redis image, the container path. No Qdrant server or MinIO can be had;
# the tests that need one (gRPC/REST specifics, killing or pausing the server) skip with one
# line unless QDRANT_URL / S3_ENDPOINT or their binaries are provided.
set -euo pipefail
require="redis,s3,qdrant,redis:native,s3:embedded,qdrant:embedded"
if command -v docker >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1 \
  && [ -n "$(docker image ls -q perfwarden-local/redis 2>/dev/null || true)" ]; then
  require="$require,docker,redis:container"
fi
echo "$require"
