#!/usr/bin/env bash
# One forwarding hop through the cluster, against going straight to the node that has the model, in
# one run on this machine (loopback only).
#   bench/forward.sh [ROUNDS]   (default 3)
# Node A serves the mock backend's model; node C has no backend and forwards to A (cluster.secret,
# one private redis-server). Both Magi nodes are pinned to core 0; the mock, Redis and wrk to core 1.
# Each round drives A directly, then C, with wrk (dev.magi.bench.WrkRun: 64 connections,
# non-streaming); `cpu_us_per_req` is the CPU of the node driven, so C's figure is the hop's own cost
# (A works for C's requests too; its share is not in C's figure).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
rounds="${1:-3}"
command -v wrk >/dev/null || { apt-get update -qq >/dev/null; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
# shellcheck source=bench/lib.sh
. bench/lib.sh
read -r mock_port redis_port a_port c_port <<<"$(free_ports 4)"

taskset -c 1 java -XX:+UseSerialGC -Xmx512m -cp "$cp" dev.magi.bench.WireMock "$mock_port" >"$work/mock.log" 2>&1 &
pids+=($!); wait_port "$mock_port"
taskset -c 1 redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no >"$work/redis.log" 2>&1 &
pids+=($!); wait_port "$redis_port"

cluster="cluster: {redis_url: \"redis://127.0.0.1:$redis_port\", secret: bench-cluster-secret-0001, heartbeat: 500ms, ttl: 3s"
cat >"$work/a.yaml" <<CONF
server: {port: $a_port, event_loops: 1}
models: {data: $work/a-data}
$cluster, node_id: a}
backends:
  - {model: mock-c16-d0, url: "http://127.0.0.1:$mock_port", type: openai, slots: 100000}
CONF
cat >"$work/c.yaml" <<CONF
server: {port: $c_port, event_loops: 1}
models: {data: $work/c-data}
router: {queue_length: 100000}
$cluster, node_id: c}
CONF
taskset -c 0 ./magi serve --config "$work/a.yaml" >"$work/a.log" 2>&1 &
pids+=($!); a_pid=$!; wait_port "$a_port"
taskset -c 0 ./magi serve --config "$work/c.yaml" >"$work/c.log" 2>&1 &
pids+=($!); c_pid=$!; wait_port "$c_port"
# C routes once A's record has been read.
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$c_port/v1/models" | grep -q mock-c16-d0 && break
  sleep 0.1
done

run() { # target url pid
  taskset -c 1 java -XX:+UseSerialGC -Xmx64m -cp "$cp" dev.magi.bench.WrkRun --url "$2" --pid "$3" --warmup 10 \
    --seconds 10 --proxy-core 0 --load-core 1 --connections 64 --model mock-c16-d0 --stream false \
    | sed "s/^/target=$1 /" | tee -a "$work/results.txt"
}
for round in $(seq 1 "$rounds"); do
  run direct-to-a "http://127.0.0.1:$a_port" "$a_pid"
  run through-c "http://127.0.0.1:$c_port" "$c_pid"
done
python3 - "$work/results.txt" <<'PY'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    kv = dict(p.split("=", 1) for p in line.split())
    rows.setdefault(kv["target"], []).append(kv)
med = lambda t, k: statistics.median(float(r[k]) for r in rows[t])
print(f"\none forwarding hop: medians of {len(rows['direct-to-a'])} rounds")
for t in rows:
    print(f"{t:12} rps={med(t,'rps'):.0f} p50_ms={med(t,'p50_ms'):.2f} p99_ms={med(t,'p99_ms'):.2f} "
          f"cpu_us_per_req={med(t,'cpu_us_per_req'):.1f} failed={med(t,'failed'):.0f}")
print(f"through C / direct to A: rate {med('through-c','rps')/med('direct-to-a','rps'):.2f}x, "
      f"added p50 {med('through-c','p50_ms')-med('direct-to-a','p50_ms'):.2f} ms")
PY
