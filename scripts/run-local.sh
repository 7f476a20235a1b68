#!/usr/bin/env bash
# Build shardproxy and run it in the foreground in front of two local
# MariaDB shards; the proxy listens on 127.0.0.1:6033. Each shard has a
# primary (3311, 3312) and two GTID replicas: one in the proxy's region
# "eu" (3321, 3322) and one in region "us" (3331, 3332).
# Meant for a Debian 12 machine, as root when packages are missing.
#
# Data, sockets, logs and the proxy config go to $SP_LOCAL_DIR
# (default /tmp/shardproxy-local). Ctrl-C stops the proxy, and the exit trap
# then stops the MariaDB servers by PID.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOCAL_DIR=${SP_LOCAL_DIR:-/tmp/shardproxy-local}
CLUSTER_DIR="$LOCAL_DIR/cluster"
CONFIG="$LOCAL_DIR/proxy.json"
EXAMPLE_CONFIG="$ROOT/config/example/local-2shards.json"
readonly SHARD_PORTS=(3311 3312)
readonly REPLICA_PORTS_0=(3321 3331)
readonly REPLICA_PORTS_1=(3322 3332)
readonly PROXY_PORT=6033

cd "$ROOT"
bash scripts/install-deps.sh
cmake -S . -B build
cmake --build build -j2

# shellcheck disable=SC2317  # called through the EXIT trap
cleanup() {
    trap - EXIT INT TERM
    echo "run-local.sh: stopping the MariaDB servers"
    bash "$ROOT/scripts/cluster.sh" stop "$CLUSTER_DIR" || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
proxy_pid=""

mkdir -p "$LOCAL_DIR"
# A previous run that was killed may have left its servers running.
bash scripts/cluster.sh stop "$CLUSTER_DIR"
if [[ -d "$CLUSTER_DIR/${SHARD_PORTS[0]}" && ! -d "$CLUSTER_DIR/${REPLICA_PORTS_0[0]}" ]]; then
    # Replicas copy only what is in the primary's binary log.
    echo "run-local.sh: $CLUSTER_DIR holds shards from a version without replicas;" \
        "remove $LOCAL_DIR and run again" >&2
    exit 1
fi
SP_CLUSTER_BINLOG=1 bash scripts/cluster.sh start "$CLUSTER_DIR" "${SHARD_PORTS[@]}" \
    "${REPLICA_PORTS_0[@]}" "${REPLICA_PORTS_1[@]}"
bash scripts/cluster.sh replicate "$CLUSTER_DIR" "${SHARD_PORTS[0]}" "${REPLICA_PORTS_0[@]}"
bash scripts/cluster.sh replicate "$CLUSTER_DIR" "${SHARD_PORTS[1]}" "${REPLICA_PORTS_1[@]}"

if [[ -f "$EXAMPLE_CONFIG" ]]; then
    cp "$EXAMPLE_CONFIG" "$CONFIG"
    for port in "${SHARD_PORTS[@]}" "${REPLICA_PORTS_0[@]}" "${REPLICA_PORTS_1[@]}" "$PROXY_PORT"; do
        if ! grep -q "$port" "$CONFIG"; then
            echo "run-local.sh: warning: $EXAMPLE_CONFIG does not mention port $port" >&2
        fi
    done
else
    cat >"$CONFIG" <<JSON
{
  "listen": "127.0.0.1:$PROXY_PORT",
  "region": "eu",
  "users": [{"user": "app", "password": "app-pass"}],
  "shards": [
    {"name": "s0", "primary": {"host": "127.0.0.1", "port": ${SHARD_PORTS[0]}},
     "replicas": [{"host": "127.0.0.1", "port": ${REPLICA_PORTS_0[0]}, "region": "eu"},
                  {"host": "127.0.0.1", "port": ${REPLICA_PORTS_0[1]}, "region": "us"}]},
    {"name": "s1", "primary": {"host": "127.0.0.1", "port": ${SHARD_PORTS[1]}},
     "replicas": [{"host": "127.0.0.1", "port": ${REPLICA_PORTS_1[0]}, "region": "eu"},
                  {"host": "127.0.0.1", "port": ${REPLICA_PORTS_1[1]}, "region": "us"}]}
  ],
  "default_shard": "s0",
  "tables": [
    {"name": "sbtest*", "shard_key": "id", "key_type": "int", "algorithm": "hash"}
  ]
}
JSON
fi
build/shardproxy --check-config "$CONFIG"

cat <<EOF

shardproxy is starting on 127.0.0.1:$PROXY_PORT in region eu. Shard primaries on ports
${SHARD_PORTS[*]}; replicas in region eu on ${REPLICA_PORTS_0[0]} and ${REPLICA_PORTS_1[0]}, in region us on ${REPLICA_PORTS_0[1]} and ${REPLICA_PORTS_1[1]}.
Connect with:
    mariadb -h 127.0.0.1 -P $PROXY_PORT -u app -papp-pass sbtest
Config: $CONFIG    Server logs: $CLUSTER_DIR/<port>.err
Press Ctrl-C to stop the proxy and the MariaDB servers.

EOF

# The proxy runs as a background child that the script waits for, so that a
# SIGINT or SIGTERM sent to the script alone (not only Ctrl-C, which reaches
# the whole process group) is passed on to the proxy, and the exit trap then
# stops the servers.
# shellcheck disable=SC2317  # called through the INT and TERM traps
forward_signal() {
    if [[ -n "$proxy_pid" ]]; then
        kill "-$1" "$proxy_pid" 2>/dev/null || true
    fi
}
trap 'forward_signal INT' INT
trap 'forward_signal TERM' TERM

build/shardproxy --config "$CONFIG" &
proxy_pid=$!
status=0
while true; do
    wait "$proxy_pid" && status=0 || status=$?
    # wait returns early (status > 128) when a trapped signal arrives; go on
    # waiting until the proxy itself has exited.
    if ! kill -0 "$proxy_pid" 2>/dev/null; then
        break
    fi
done
echo "run-local.sh: shardproxy exited with status $status"
exit "$status"
