# Shared by the bench scripts (sourced, not run): a work directory, processes stopped on exit, the
# build and its class path, free ports and waiting for them. Needs $root (the checkout) to be set.
work="$(mktemp -d /tmp/magi-bench.XXXXXX)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
ulimit -n 20000 || true

mvn -B -q -DskipTests install -pl bench,gateway -am >/dev/null
mvn -B -q -pl bench dependency:build-classpath -Dmdep.outputFile="$work/cp.txt" >/dev/null
cp="$(cat "$work/cp.txt"):bench/target/classes"
# Distinct free ports: all sockets stay bound until every port is chosen, or the kernel may hand the
# same port out twice (it did: Magi then failed to bind, and its rounds measured the mock instead).
free_ports() { python3 -c 'import socket,sys
socks=[socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1",0))
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"; }
wait_port() { for _ in $(seq 1 1200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 never opened" >&2; exit 1; }
