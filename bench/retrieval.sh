#!/usr/bin/env bash
# Retrieval benchmark: ingest throughput (bulk into a new store, live into an indexed one), search
# latency, recall@10 against exact search and filtered search on 100k embedding-like vectors of 768
# dimensions, and the rankers on the labelled query set bench/hybrid-queries.json; in PostgreSQL +
# pgvector (run scripts/provision-services first: it also gives PostgreSQL the shared_buffers the index
# needs), on disk (Lucene) and in memory. Each store's goals are printed as met or NOT MET; the exit
# status is 3 when one is not.
#   bench/retrieval.sh [--vectors N] [--dims D] [--url postgresql://...] [--stores "pg disk memory"]
#                      [--data embedding|isotropic] (RetrievalBench lists the rest)
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
status=0
for store in $stores; do
  # The launcher's collector (./magi: serial, a small young generation: pauses of a millisecond), with
  # room for the bench's own copy of the vectors, which it needs for exact recall.
  java -XX:+UseSerialGC -Xmn4m -Xmx3g -cp "$cp" dev.magi.bench.RetrievalBench --store "$store" --labelled bench/hybrid-queries.json \
    "${args[@]}" || status=$?
done
exit "$status"
