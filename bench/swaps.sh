#!/usr/bin/env bash
# Two models that cannot both fit the memory budget, asked for alternately (200 requests,
# concurrency 8): swaps and the longest wait with Magi's swap scheduler (models.max_swap_wait 30s)
# against a naive first-come order (max_swap_wait 0s: a model that is asked for swaps the other out
# as soon as that one's requests in flight are done).
# Then the same with an open loop: the requests sent at RATE a second whatever the answers do.
#   bench/swaps.sh [REQUESTS [CONCURRENCY [RATE]]]
# The models are the fake llama-server (a real child process; 1 s to load, 20 ms a token), so what is
# measured is the scheduling, not a GPU. Prints one line per order.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
requests="${1:-200}"
concurrency="${2:-8}"
rate="${3:-10}"
# shellcheck source=bench/lib.sh
. bench/lib.sh
fake="$(java -cp "$cp" dev.magi.bench.SwapBench --prepare "$work" "load_ms=1000,token_ms=20")"

run() {  # run NAME MAX_SWAP_WAIT [SwapBench options]
  local port data
  read -r port <<<"$(free_ports 1)"
  read -r first <<<"$(free_ports 1)"
  data="$work/data-$1"
  cat >"$work/$1.yaml" <<CONF
server: {port: $port}
models:
  dir: $work/models
  data: $data
  logs: $work/logs-$1
  llama_server: $fake
  port_range_start: $first
  port_range_end: $((first + 3))
  memory_budget: 100MiB
  max_swap_wait: $2
  defaults: {context: 512, parallel: 2}
CONF
  ./magi serve --config "$work/$1.yaml" >"$work/$1.log" 2>&1 &
  local magi=$!
  pids+=("$magi")
  wait_port "$port"
  printf '%s: ' "$1"
  java -cp "$cp" dev.magi.bench.SwapBench --url "http://127.0.0.1:$port" --log "$work/$1.log" \
    --requests "$requests" "${@:3}"
  kill "$magi"; wait "$magi" 2>/dev/null || true
}

run scheduler 30s --concurrency "$concurrency"
run naive 0s --concurrency "$concurrency"
run scheduler-open 30s --rate "$rate"
run naive-open 0s --rate "$rate"
