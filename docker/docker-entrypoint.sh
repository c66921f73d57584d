#!/bin/sh
# The Magi image's entrypoint: reads secrets from files, listens on every interface, and runs the
# gateway in the foreground (tini, PID 1, reaps llama-server children and forwards signals).
#   MAGI_ADMIN_TOKEN_FILE, MAGI_API_KEYS_FILE, MAGI_METRICS_TOKEN_FILE: Docker secrets holding those
#     values (POSTGRES_PASSWORD_FILE is read by Magi itself)
#   MAGI_JAR: the gateway's jar (default /opt/magi/magi.jar)
#   MAGI_JAVA_OPTS: replaces the JVM options below
# Arguments are passed to `magi serve` (--config, --log-level, ...).
set -eu

for name in MAGI_ADMIN_TOKEN MAGI_API_KEYS MAGI_METRICS_TOKEN; do
  eval "file=\${${name}_FILE:-}"
  [ -n "$file" ] || continue
  eval "direct=\${${name}:-}"
  if [ -n "$direct" ]; then
    echo "magi: both $name and ${name}_FILE are set; set one" >&2
    exit 2
  fi
  if [ ! -r "$file" ]; then
    echo "magi: ${name}_FILE names $file, which cannot be read" >&2
    exit 2
  fi
  value="$(cat "$file")"
  export "$name=$value"
  unset "${name}_FILE"
done

: "${MAGI_HOST:=0.0.0.0}"
export MAGI_HOST
jar="${MAGI_JAR:-/opt/magi/magi.jar}"
# shellcheck disable=SC2086 # the options are words on purpose
exec java ${MAGI_JAVA_OPTS:--XX:+UseSerialGC -Xms256m -Xmx512m -Xmn4m -XX:MetaspaceSize=64m} -jar "$jar" serve "$@"
