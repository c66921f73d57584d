#!/usr/bin/env bash
# Retrieval benchmark: ingest throughput and search latency on 100k vectors of 768 dimensions, in
# PostgreSQL + pgvector (run scripts/provision-services first) and in memory.
#   bench/retrieval.sh [--vectors N] [--dims D] [--url postgresql://...]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mvn -B -q -DskipTests install -pl bench -am >/dev/null
mvn -B -q -pl bench dependency:build-classpath -Dmdep.outputFile="$root/bench/target/classpath.txt" >/dev/null
cp="$(cat bench/target/classpath.txt):bench/target/classes"
for store in pg memory; do
  java -Xmx2g -cp "$cp" dev.magi.bench.RetrievalBench --store "$store" "$@"
done
