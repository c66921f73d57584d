#!/usr/bin/env bash
# Retrieval benchmark: ingest throughput, search latency, recall@10 against exact search and filtered
# search on 100k clustered vectors of 768 dimensions, in PostgreSQL + pgvector (run
# scripts/provision-services first), on disk (Lucene) and in memory.
#   bench/retrieval.sh [--vectors N] [--dims D] [--url postgresql://...] [--stores "pg disk memory"]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mvn -B -q -DskipTests install -pl bench -am >/dev/null
mvn -B -q -pl bench dependency:build-classpath -Dmdep.outputFile="$root/bench/target/classpath.txt" >/dev/null
cp="$(cat bench/target/classpath.txt):bench/target/classes"
stores="pg disk memory"
args=()
while [ $# -gt 0 ]; do
  if [ "$1" = "--stores" ]; then stores="$2"; shift 2; else args+=("$1"); shift; fi
done
for store in $stores; do
  java -Xmx3g -cp "$cp" dev.magi.bench.RetrievalBench --store "$store" "${args[@]}"
done
