#!/usr/bin/env bash
# A slow-loris attack on a Magi with default settings, on this machine (loopback only), and what a
# well-behaved client sees meanwhile.
#   bench/slowloris.sh [CONNECTIONS [RATE]]   (default 15000, as fast as possible; RATE: connections a second)
# Each attacking connection sends a request's headers and one byte of a 100-byte body, then nothing;
# Magi must keep answering /healthz and chat within 1 s, and close each attacker within its
# body_timeout (30 s by default) plus 1 s. Magi is pinned to core 0, the mock backend and the attacker
# to core 1. Prints one line of key=value pairs (see dev.magi.bench.SlowLoris); with SLOWLORIS_DUMP=FILE
# it also writes when each attacking connection was sent and closed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
connections="${1:-15000}"
rate="${2:-0}"
# shellcheck source=bench/lib.sh
. bench/lib.sh
read -r mock_port magi_port <<<"$(free_ports 2)"

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
  --connections "$connections" --rate "$rate" --deadline 30 --model mock-c16-d0 --pid "$magi_pid" \
  ${SLOWLORIS_DUMP:+--dump "$SLOWLORIS_DUMP"}
grep -E "refusing client connections" "$work/magi.log" || true
