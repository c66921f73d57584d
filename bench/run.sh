#!/usr/bin/env bash
# Magi against a direct backend and nginx, in one run, on this machine (loopback only).
#   bench/run.sh SCENARIO [ROUNDS]
# Scenarios: nonstream-1, nonstream-64, stream-throughput, stream-latency, hold-1000, hold-5000, hold-8000.
# The proxies (nginx, Magi) are pinned to core 0; the mock backend and the load generator to core 1.
# The rate scenarios (nonstream-*, stream-throughput) are driven by wrk (dev.magi.bench.WrkRun), which
# leaves the proxies' core the bottleneck; the Java load generator (dev.magi.bench.LoadGen) drives the
# scenarios wrk cannot measure: time to first event (stream-latency) and held streams (hold-*).
# Rounds interleave direct, nginx and Magi (3 by default); the table shows the medians.
# TARGETS="direct magi" runs only those targets (for profiling; the README's table uses all three).
# MAGI_BASE=DIR adds the target "base": the Magi of another checkout (say, `git worktree add DIR COMMIT`),
# run through its own launcher with the same configuration, so that an A/B comparison shares one run
# and one machine state rather than two runs minutes apart on a machine whose speed drifts. The base
# gets its launcher's JVM options even when MAGI_JAVA_OPTS is set, so that pointing MAGI_BASE at this
# same checkout compares JVM options alone. BASE_YAML_EXTRA=TEXT appends TEXT to the base's configuration,
# so that MAGI_BASE=. compares one setting: BASE_YAML_EXTRA='metrics: {enabled: false}' measures what the
# metrics cost.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scenario="${1:?usage: bench/run.sh SCENARIO [ROUNDS]}"
rounds="${2:-3}"
install_missing() { # command package
  command -v "$1" >/dev/null || [ -x "/usr/sbin/$1" ] || { apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; }
}
install_missing nginx nginx-light
install_missing wrk wrk
# shellcheck source=bench/lib.sh
. bench/lib.sh

read -r mock_port nginx_port magi_port base_port <<<"$(free_ports 4)"
# The harness's heaps: small for the rate scenarios (a 2 GB young generation made the direct baseline
# slower). For the holds, LoadGen asks the mock and itself to collect after each warmup, and both get
# a young generation so large that they do not collect at all while streams are held: a measured
# round allocates about 300 MB in the mock. With a 1 GB heap the mock's young collections, which copy
# the state of thousands of open connections, paused it for 170-390 ms once a round (seen with
# -Xlog:gc), and that pause, landing in one target's ramp or another's, was most of every target's
# time-to-first-event tail (direct's p99 ranged from 14 to 356 ms between rounds of one run).
case "$scenario" in
  hold-*) mock_heap="-Xms3g -Xmx3g -Xmn2g -XX:+AlwaysPreTouch"; gen_heap="-Xms3g -Xmx3g -Xmn2g -XX:+AlwaysPreTouch" ;;
  *)      mock_heap="-Xmx512m";      gen_heap="-Xmx2g" ;;
esac
# shellcheck disable=SC2086 # the heap options are words on purpose
# The rate scenarios get the mock that answers straight on Netty (WireMock): with the Vert.x one
# (MockBackend) the load core saturated before nginx's core did.
case "$scenario" in
  nonstream-*|stream-throughput) mock=WireMock ;;
  *) mock=MockBackend ;;
esac
taskset -c 1 java -XX:+UseSerialGC $mock_heap -cp "$cp" "dev.magi.bench.$mock" "$mock_port" >"$work/mock.log" 2>&1 &
pids+=($!); wait_port "$mock_port"

cat >"$work/nginx.conf" <<CONF
worker_processes 1;
worker_rlimit_nofile 20000;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 19000; }
http {
  access_log off;
  client_body_temp_path $work; proxy_temp_path $work;
  upstream mock { server 127.0.0.1:$mock_port; keepalive 256; }
  server {
    listen 127.0.0.1:$nginx_port backlog=20000;
    location / {
      proxy_pass http://mock; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_buffering off; proxy_read_timeout 300s;
    }
  }
}
CONF
taskset -c 0 nginx -c "$work/nginx.conf" -g 'daemon off;' &
pids+=($!); nginx_pid=$!; wait_port "$nginx_port"

cat >"$work/magi.yaml" <<CONF
server: {port: $magi_port, event_loops: 1}
models: {data: $work/data}
router: {queue_length: 100000}
limits: {max_tokens: 100000}
backends:
CONF
for model in mock-c16-d0 mock-c16-d20 mock-c20-d1000 mock-c2-d500; do
  printf '  - {model: %s, url: "http://127.0.0.1:%s", type: openai, slots: 100000}\n' "$model" "$mock_port" >>"$work/magi.yaml"
done
# Magi runs through its launcher, with the JVM options users get (MAGI_JAVA_OPTS replaces them).
taskset -c 0 ./magi serve --config "$work/magi.yaml" \
  >"$work/magi.log" 2>&1 &
pids+=($!); magi_pid=$!; wait_port "$magi_port"
kill -0 "$magi_pid" 2>/dev/null || { echo "Magi exited at startup; see $work/magi.log" >&2; exit 1; }
if [ -n "${MAGI_BASE:-}" ]; then
  (cd "$MAGI_BASE" && mvn -B -q -DskipTests package >/dev/null)
  sed -e "s/port: $magi_port,/port: $base_port,/" -e "s#data: $work/data#data: $work/base-data#" "$work/magi.yaml" \
    >"$work/base.yaml"
  [ -n "${BASE_YAML_EXTRA:-}" ] && printf '%s\n' "$BASE_YAML_EXTRA" >>"$work/base.yaml"
  (cd "$MAGI_BASE" && unset MAGI_JAVA_OPTS && exec taskset -c 0 ./magi serve --config "$work/base.yaml") >"$work/base.log" 2>&1 &
  pids+=($!); base_pid=$!; wait_port "$base_port"
  kill -0 "$base_pid" 2>/dev/null || { echo "the base Magi exited at startup; see $work/base.log" >&2; exit 1; }
fi

driver=LoadGen
case "$scenario" in
  nonstream-1)       driver=WrkRun; args=(--connections 1 --model mock-c16-d0 --stream false) ;;
  nonstream-64)      driver=WrkRun; args=(--connections 64 --model mock-c16-d0 --stream false) ;;
  stream-throughput) driver=WrkRun; args=(--connections 64 --model mock-c16-d0 --stream true) ;;
  stream-latency)    args=(--mode closed --connections 64 --model mock-c16-d20 --stream true) ;;
  hold-*)            n="${scenario#hold-}"; args=(--mode open --streams "$n" --rate 500 --model mock-c20-d1000 --stream true
                       --warmup-model mock-c16-d0 --warmup-streams 3000) ;;
  *) echo "unknown scenario $scenario" >&2; exit 2 ;;
esac

run() { # target url pid
  # 10 s of warmup: on one core the JIT needs that long before the numbers mean anything.
  if [ "$driver" = WrkRun ]; then
    taskset -c 1 java -XX:+UseSerialGC -Xmx64m -cp "$cp" dev.magi.bench.WrkRun --url "$2" --pid "$3" --warmup 10 \
      --seconds 10 --proxy-core 0 --load-core 1 "${args[@]}" | sed "s/^/target=$1 /" | tee -a "$work/results.txt"
    return
  fi
  # shellcheck disable=SC2086
  taskset -c 1 java -XX:+UseSerialGC $gen_heap -cp "$cp" dev.magi.bench.LoadGen --url "$2" --pid "$3" --warmup 10 \
    --mock "http://127.0.0.1:$mock_port" --timeline "$work/timeline-$1-$round.txt" "${args[@]}" \
    | sed "s/^/target=$1 /" | tee -a "$work/results.txt"
}
targets="${TARGETS:-direct nginx magi${MAGI_BASE:+ base}}"
for round in $(seq 1 "$rounds"); do
  for target in $targets; do
    case "$target" in
      direct) run direct "http://127.0.0.1:$mock_port" 0 ;;
      nginx)  run nginx "http://127.0.0.1:$nginx_port" "$nginx_pid" ;;
      magi)   run magi "http://127.0.0.1:$magi_port" "$magi_pid" ;;
      base)   run base "http://127.0.0.1:$base_port" "$base_pid" ;;
      *) echo "unknown target $target" >&2; exit 2 ;;
    esac
  done
done

python3 - "$work/results.txt" "$scenario" <<'PY'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    kv = dict(p.split("=", 1) for p in line.split())
    rows.setdefault(kv["target"], []).append(kv)
def med(target, key):
    return statistics.median(float(r[key]) for r in rows[target])
first = next(iter(rows))
keys = [k for k in ["rps", "p50_ms", "p99_ms", "ttfe_p99_ms", "worst_gap_ms", "failed", "cpu_us_per_req", "rss_mb",
                    "steal_pct", "held_peak", "proxy_core_pct", "load_core_pct"] if k in rows[first][0]]
if not sys.argv[2].startswith("hold-") and "held_peak" in keys:
    keys.remove("held_peak")
print(f"\nscenario {sys.argv[2]}: medians of {len(rows[first])} rounds")
print(f"{'target':8}" + "".join(f"{k:>15}" for k in keys) + f"{'rps/direct':>12}{'rps/nginx':>11}")
def ratio(t, base):
    return f"{med(t, 'rps') / med(base, 'rps'):.2f}" if base in rows else "-"
for t in [t for t in ["direct", "nginx", "magi", "base"] if t in rows]:
    print(f"{t:8}" + "".join(f"{med(t, k):15.2f}" for k in keys) + f"{ratio(t, 'direct'):>12}{ratio(t, 'nginx'):>11}")
for t, target_rows in rows.items():
    for r in target_rows:
        if t != "direct" and float(r.get("load_core_pct", 0)) > 95 and float(r.get("proxy_core_pct", 100)) < 90:
            print(f"warning: a round of {t} had the load core {r['load_core_pct']}% busy and the proxy's "
                  f"{r['proxy_core_pct']}%: it measured the load side, not the proxy")
if "ttfe_p99_ms" in keys and "direct" in rows:
    print("added ttfe p99 over direct: " + ", ".join(
        f"{t} {med(t, 'ttfe_p99_ms') - med('direct', 'ttfe_p99_ms'):.2f} ms" for t in ["nginx", "magi", "base"] if t in rows))
PY
echo "first-event timelines (sent_ms ttfe_ms per stream): $work/timeline-TARGET-ROUND.txt"
