#!/usr/bin/env bash
# A slow-loris attack on a Magi with default settings, on this machine (loopback only), and what a
# well-behaved client sees meanwhile.
#   bench/slowloris.sh [CONNECTIONS]      (default 15000)
# Each attacking connection sends a request's headers and one byte of a 100-byte body, then nothing;
# Magi must keep answering /healthz and chat within 1 s, and close each attacker within its
# body_timeout (30 s by default) plus 1 s. Magi is pinned to core 0, the mock backend and the attacker
# to core 1. Prints one line of key=value pairs (see dev.magi.bench.SlowLoris).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
connections="${1:-15000}"
work="$(mktemp -d /tmp/magi-slowloris.XXXXXX)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
ulimit -n 20000 || true

mvn -B -q -DskipTests install -pl bench,gateway -am >/dev/null
mvn -B -q -pl bench dependency:build-classpath -Dmdep.outputFile="$work/cp.txt" >/dev/null
cp="$(cat "$work/cp.txt"):bench/target/classes"
read -r mock_port magi_port <<<"$(python3 -c 'import socket
socks=[socket.socket() for _ in range(2)]
for s in socks: s.bind(("127.0.0.1",0))
print(" ".join(str(s.getsockname()[1]) for s in socks))')"
wait_port() { for _ in $(seq 1 1200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 never opened" >&2; exit 1; }

taskset -c 1 java -XX:+UseSerialGC -Xmx512m -cp "$cp" dev.magi.bench.MockBackend "$mock_port" >"$work/mock.log" 2>&1 &
pids+=($!); wait_port "$mock_port"
# Default settings but the port, the data directory and one backend.
cat >"$work/magi.yaml" <<CONF
server: {port: $magi_port}
models: {data: $work/data}
backends:
  - {model: mock-c16-d0, url: "http://127.0.0.1:$mock_port", type: openai}
CONF
taskset -c 0 ./magi serve --config "$work/magi.yaml" >"$work/magi.log" 2>&1 &
pids+=($!); magi_pid=$!; wait_port "$magi_port"
taskset -c 1 java -XX:+UseSerialGC -Xmx1g -cp "$cp" dev.magi.bench.SlowLoris --url "http://127.0.0.1:$magi_port" \
  --connections "$connections" --deadline 30 --model mock-c16-d0 --pid "$magi_pid"
grep -E "refusing client connections" "$work/magi.log" || true
