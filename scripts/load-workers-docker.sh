#!/usr/bin/env bash
# Several load machines started together, for real, on this machine's Docker engine: N worker
# containers (redis_cache's worker mode, PERFWARDEN_WORKER=i/N, one shared PERFWARDEN_START_AT)
# on a private network against one real Redis container, their results merged with
# `perfwarden merge`; then one worker alone doing the same total rate. Checks that the merged
# p99 is the p99 of all requests (recomputed here from the workers' request logs) and that the
# merged rate is the sum of the workers' rates, and prints both runs side by side.
#
# No registry is needed: the worker image is a rootfs tarball (`docker import`) holding the
# bench executable built here and the libraries it links; Redis is the image
# scripts/setup.d/10-redis-image.sh builds from the host's redis-server. Run by hand (slow:
# a build, then about a minute of load); not part of CI's test command.
#
#   scripts/load-workers-docker.sh            # 3 workers, 1500 requests/s in total, 10 s
#   WORKERS=4 RATE=2000 SECS=20 scripts/load-workers-docker.sh
#   CARGO_PROFILE=bench scripts/load-workers-docker.sh   # optimized client (longer build)
set -euo pipefail
cd "$(dirname "$0")/.."

WORKERS="${WORKERS:-3}"
RATE="${RATE:-1500}"
SECS="${SECS:-10}"
KEYS="${KEYS:-100}"
# Time for every container to start and fill its keys before the shared start.
LEAD="${LEAD:-40}"
CARGO_PROFILE="${CARGO_PROFILE:-dev}"
PROFILE=smoke
WARMUP=0.1 # redis_cache's smoke warm-up, in seconds: slots due before it are not measured

if ! command -v docker >/dev/null 2>&1 || ! timeout 10 docker info >/dev/null 2>&1; then
  echo "load-workers: no Docker engine answering" >&2
  exit 2
fi
bash scripts/setup.d/10-redis-image.sh
REDIS_IMAGE="perfwarden-local/redis:$(docker image ls --format '{{.Tag}}' perfwarden-local/redis | head -n1)"

echo "load-workers: building the redis_cache bench ($CARGO_PROFILE) and perfwarden"
exe="$(cargo build --profile "$CARGO_PROFILE" -p perfwarden-harness --bench redis_cache \
  --message-format=json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "redis_cache" and m.get("executable"):
        print(m["executable"])')"
cargo build --profile "$CARGO_PROFILE" -p perfwarden --bin perfwarden --quiet
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
profile_dir="$CARGO_PROFILE"; [ "$CARGO_PROFILE" = dev ] && profile_dir=debug
[ "$CARGO_PROFILE" = bench ] && profile_dir=release
PERFWARDEN="$target_dir/$profile_dir/perfwarden"
if [ ! -x "$exe" ] || [ ! -x "$PERFWARDEN" ]; then
  echo "load-workers: the build produced no executables" >&2
  exit 1
fi

RUN_ID="pw-load-$$"
WORK="$(mktemp -d)"
IMAGE="perfwarden-local/load-worker:$RUN_ID"
NET="$RUN_ID"
cleanup() {
  docker ps -aq --filter "label=perfwarden.run=$RUN_ID" | xargs -r docker rm -f >/dev/null 2>&1 || true
  docker network rm "$NET" >/dev/null 2>&1 || true
  docker image rm "$IMAGE" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# The worker image: the executable, its libraries and the loader at their own paths, the
# collections fixture, a /tmp. Nothing else.
root="$WORK/rootfs"
mkdir -p "$root/usr/bin" "$root/fixtures" "$root/tmp" "$root/results"
chmod 1777 "$root/tmp"
cp "$exe" "$root/usr/bin/redis_cache_bench"
cp fixtures/collections.json "$root/fixtures/"
ldd "$exe" | awk '/=> \// {print $3} /^\t\// {print $1}' | while read -r lib; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
tar -C "$root" -c . | docker import --change 'ENTRYPOINT ["/usr/bin/redis_cache_bench", "--bench"]' - "$IMAGE" >/dev/null
echo "load-workers: image $IMAGE ($(du -sh "$root" | cut -f1))"

docker network create --internal "$NET" >/dev/null
docker run -d --name "$RUN_ID-redis" --network "$NET" --network-alias redis \
  --label "perfwarden.run=$RUN_ID" "$REDIS_IMAGE" >/dev/null

# Runs `n` workers of one plan (all started at once, one shared start) into $WORK/<name>/w<i>.
run_plan() {
  local name="$1" n="$2" start
  start="$(python3 -c "import time; print(round(time.time() + $LEAD, 3))")"
  echo "$start" >"$WORK/$name.start"
  for ((i = 0; i < n; i++)); do
    local out="$WORK/$name/w$i"
    mkdir -p "$out"
    chmod 777 "$out"
    docker run -d --name "$RUN_ID-$name-$i" --network "$NET" --label "perfwarden.run=$RUN_ID" \
      -v "$out:/results" \
      -e REDIS_URL=redis://redis:6379 -e PERFWARDEN_PROFILE="$PROFILE" \
      -e PERFWARDEN_MACHINE_CLASS=docker-workers -e PERFWARDEN_PROGRESS=off \
      -e PERFWARDEN_RESULTS_DIR=/results -e PERFWARDEN_QDRANT_FIXTURE=/fixtures/collections.json \
      -e PERFWARDEN_WORKER="$i/$n" -e PERFWARDEN_START_AT="$start" \
      -e PERFWARDEN_WORKER_RATE="$RATE" -e PERFWARDEN_WORKER_SECS="$SECS" \
      -e PERFWARDEN_WORKER_KEYS="$KEYS" -e PERFWARDEN_WORKER_LOG=/results/requests.log \
      "$IMAGE" >/dev/null
  done
  local failed=0
  for ((i = 0; i < n; i++)); do
    code="$(docker wait "$RUN_ID-$name-$i")"
    docker logs "$RUN_ID-$name-$i" 2>&1 | grep -v '^perfwarden: redis:' | sed "s/^/  $name $i: /"
    [ "$code" = 0 ] || failed=1
  done
  [ "$failed" = 0 ] || { echo "load-workers: a worker of $name failed" >&2; exit 1; }
}

echo "load-workers: $WORKERS workers, $RATE requests/s in total for $SECS s, start in $LEAD s"
run_plan split "$WORKERS"
"$PERFWARDEN" merge "$WORK"/split/w* --out "$WORK/merged.json"
echo "load-workers: 1 worker, the same $RATE requests/s"
run_plan single 1

python3 - "$WORK" "$WORKERS" "$RATE" "$WARMUP" <<'EOF'
import glob, json, math, sys
work, n, rate, warmup = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])

def metrics(path):
    run = json.load(open(path))
    return {m["metric"]: m for m in run["metrics"] if m["benchmark"].startswith("workers/hit_path/")}

def logged(name):
    """Latency (µs) of every measured request, from the workers' own logs: completion minus
    the slot's due time on the shared schedule (start + k / rate)."""
    start = float(open(f"{work}/{name}.start").read())
    out = []
    for log in glob.glob(f"{work}/{name}/w*/requests.log"):
        for line in open(log):
            k, done_ns = line.split()
            due = start + int(k) / rate
            if int(k) / rate >= warmup:
                out.append((int(done_ns) / 1e3) - due * 1e6)
    return sorted(out)

def p(xs, q):
    return xs[max(0, math.ceil(q * len(xs)) - 1)]

merged = metrics(f"{work}/merged.json")
parts = [metrics(f) for f in sorted(glob.glob(f"{work}/split/w*/redis_cache.json"))]
single = metrics(f"{work}/single/w0/redis_cache.json")
all_split = logged("split")
all_single = logged("single")

m_p99 = merged["latency_p99"]["value"] * 1e3  # ms -> µs
log_p99 = p(all_split, 0.99)
count = merged["latency_p99"]["sample_count"]
rate_sum = sum(x["achieved_rate"]["value"] for x in parts)
print(f"split:  {n} workers, {count} requests measured (logs: {len(all_split)})")
print(f"  merged p99 {m_p99:.0f} µs (perfwarden merge, from the added histograms)")
print(f"  p99 of all requests from the logs {log_p99:.0f} µs (difference {m_p99 - log_p99:+.0f} µs, {100 * (m_p99 / log_p99 - 1):+.2f}%)")
print(f"  workers' p99s {[round(x['latency_p99']['value'] * 1e3) for x in parts]} µs (what averaging would use)")
each = " + ".join("%.1f" % x["achieved_rate"]["value"] for x in parts)
print(f"  achieved rate merged {merged['achieved_rate']['value']:.1f}/s = sum of workers {rate_sum:.1f}/s ({each}); offered {rate:.0f}/s")
print(f"  qps merged {merged['qps']['value']:.1f}/s, late {merged['late_ratio']['value']:.4f}, dropped {merged['dropped']['value']:.0f}")
print(f"single: 1 worker, {single['latency_p99']['sample_count']} requests measured (logs: {len(all_single)})")
print(f"  p99 {single['latency_p99']['value'] * 1e3:.0f} µs (logs {p(all_single, 0.99):.0f} µs), p50 {single['latency_p50']['value'] * 1e3:.0f} µs "
      f"vs split p50 {merged['latency_p50']['value'] * 1e3:.0f} µs")
print(f"  achieved rate {single['achieved_rate']['value']:.1f}/s, late {single['late_ratio']['value']:.4f}")

ok = True
if count != len(all_split):
    print(f"FAIL: the merged histogram holds {count} requests, the logs {len(all_split)}"); ok = False
# The logs take the completion inside the request, the engine a few µs after it returns, and
# the histogram keeps 3 significant digits: equal within 1% or 100 µs.
if abs(m_p99 - log_p99) > max(0.01 * log_p99, 100):
    print("FAIL: the merged p99 is not the p99 of all requests"); ok = False
if abs(merged["achieved_rate"]["value"] - rate_sum) > 1e-6 * rate_sum:
    print("FAIL: the merged rate is not the sum of the workers' rates"); ok = False
print("load-workers: " + ("ok" if ok else "FAILED"))
sys.exit(0 if ok else 1)
EOF
