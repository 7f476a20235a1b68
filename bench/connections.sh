#!/usr/bin/env bash
# Hold thousands of client connections open through shardproxy, run a light
# load over them, and measure the proxy's memory per idle client connection
# and the backend connections it opens.
#
#   bench/connections.sh [PROXY_BINARY]     (default: build/shardproxy)
#
# Starts two MariaDB shards with the settings of scripts/cluster.sh and the
# proxy with a small pool (pool_max_per_backend=16 by default), so that the
# pool's bound shows in the shards' connection counts. bench/connections.py
# then loads a table of 10,000 rows through the proxy, opens SP_BENCH_CLIENTS
# connections and keeps them all open. Over them it runs SP_BENCH_ROUNDS
# rounds in which every connection runs one point select by a random id and
# one scatter read (a k range whose rows come from both shards, merged by
# ORDER BY id). A phase of SP_BENCH_TIME seconds follows, in which
# SP_BENCH_THREADS threads take turns over the connections. Every result is
# compared with the loaded data. A sampler reads each shard's
# Threads_connected once a second.
#
# Prints the proxy's VmRSS before the clients connect (after a warm-up of a
# few connections) and with all of them connected and idle, the difference
# per connection, the largest Threads_connected per shard, the error count
# and the duration. Fails when a statement or connection fails or returns a
# wrong result, or when the proxy is not running and serving at the end. It
# also fails when a shard had more than workers x pool_max_per_backend + 1
# connections, where the 1 is the sampler's own connection. Everything
# started here is stopped by PID on exit.
#
# NOTE: VmRSS counts the pages the proxy has touched, not what it has
# allocated. On a fresh heap it can therefore understate the memory that a
# connection reserves (bench/RESULTS.md has a measurement with connection
# churn).
#
# Environment: SP_BENCH_CLIENTS (client connections, default 2000),
# SP_BENCH_ROUNDS (default 3), SP_BENCH_TIME (seconds of the timed phase,
# default 20), SP_BENCH_THREADS (client threads, default 64),
# SP_BENCH_WORKERS (proxy worker threads, default 2), SP_BENCH_POOL_MAX
# (pool_max_per_backend, default 16), SP_BENCH_SEED (random seed, default
# the current time).
# Not part of the test suite: the client, the servers and the proxy share the
# machine's cores, and the RSS figure includes whatever the allocator keeps.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROXY=$(realpath "${1:-$ROOT/build/shardproxy}")
CLUSTER="$ROOT/scripts/cluster.sh"
# Debian's python3-pymysql belongs to the system interpreter.
PYTHON=/usr/bin/python3
# shellcheck source=tests/lib.sh
source "$ROOT/tests/lib.sh"
CLIENTS=${SP_BENCH_CLIENTS:-2000}
ROUNDS=${SP_BENCH_ROUNDS:-3}
BENCH_TIME=${SP_BENCH_TIME:-20}
THREADS=${SP_BENCH_THREADS:-64}
WORKERS=${SP_BENCH_WORKERS:-2}
POOL_MAX=${SP_BENCH_POOL_MAX:-16}
SEED=${SP_BENCH_SEED:-$(date +%s)}
readonly TABLE_SIZE=10000
readonly PROXY_READY_TIMEOUT_S=30
readonly PROXY_STOP_TIMEOUT_S=5
# File descriptors beyond one per client: backend connections, listeners,
# the loop's own descriptors, and the Python client's loader and sampler.
readonly FD_MARGIN=1024

die() {
    echo "connections.sh: $*" >&2
    exit 1
}

# require_positive NAME VALUE
require_positive() {
    [[ "$2" =~ ^[0-9]+$ && "$2" -gt 0 ]] || die "$1 must be a positive integer, not '$2'"
}

require_positive SP_BENCH_CLIENTS "$CLIENTS"
require_positive SP_BENCH_ROUNDS "$ROUNDS"
require_positive SP_BENCH_TIME "$BENCH_TIME"
require_positive SP_BENCH_THREADS "$THREADS"
require_positive SP_BENCH_WORKERS "$WORKERS"
require_positive SP_BENCH_POOL_MAX "$POOL_MAX"
require_positive SP_BENCH_SEED "$SEED"
[[ -x "$PROXY" ]] || die "proxy binary not found: $PROXY (build it first, or pass its path)"
"$PYTHON" -c 'import pymysql' 2>/dev/null || die "$PYTHON cannot import pymysql. Install python3-pymysql."

# The proxy and the Python client each hold one descriptor per client
# connection, and both inherit this limit.
fds_needed=$((CLIENTS + FD_MARGIN))
fds_hard=$(ulimit -Hn)
if (($(ulimit -Sn) < fds_needed)); then
    if [[ "$fds_hard" != unlimited ]] && ((fds_hard < fds_needed)); then
        die "$CLIENTS clients need an open file limit of $fds_needed, but the hard limit is $fds_hard. Lower SP_BENCH_CLIENTS or raise the hard limit."
    fi
    ulimit -Sn "$fds_needed"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sp-bench-conn.XXXXXX")
proxy_pid=""

# shellcheck disable=SC2317  # called through the EXIT trap
cleanup() {
    trap - EXIT INT TERM
    sp_stop_pid "$proxy_pid" "$PROXY_STOP_TIMEOUT_S"
    "$CLUSTER" stop "$WORK/cluster" >/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

read -r proxy_port shard0_port shard1_port <<<"$(sp_free_ports 3)"

"$CLUSTER" start "$WORK/cluster" "$shard0_port" "$shard1_port"

# status_value PORT NAME: a global status variable of the server at PORT.
status_value() {
    mariadb --no-defaults -h127.0.0.1 -P"$1" -uapp -papp-pass -N -B \
        -e "SHOW GLOBAL STATUS LIKE '$2'" | awk '{print $2}'
}

# Threads_connected counts the asking connection itself. Read before the
# proxy starts, it shows what else is connected to a fresh shard.
baseline=("$(status_value "$shard0_port" Threads_connected)" "$(status_value "$shard1_port" Threads_connected)")

cat >"$WORK/proxy.json" <<JSON
{
  "listen": "127.0.0.1:$proxy_port",
  "workers": $WORKERS,
  "users": [{"user": "app", "password": "app-pass"}],
  "shards": [
    {"name": "s0", "primary": {"host": "127.0.0.1", "port": $shard0_port}},
    {"name": "s1", "primary": {"host": "127.0.0.1", "port": $shard1_port}}
  ],
  "default_shard": "s0",
  "tables": [{"name": "sbtest*", "shard_key": "id"}],
  "max_client_connections": $((CLIENTS + 100)),
  "pool_max_per_backend": $POOL_MAX
}
JSON

start_s=$SECONDS
"$PROXY" --config "$WORK/proxy.json" 2>"$WORK/proxy.log" &
proxy_pid=$!
if ! sp_wait_proxy_ready "$proxy_port" "$proxy_pid" "$PROXY_READY_TIMEOUT_S"; then
    tail -n 30 "$WORK/proxy.log" >&2
    die "the proxy did not start"
fi

max_backends=$((WORKERS * POOL_MAX + 1))
echo "== $CLIENTS clients, $ROUNDS rounds, ${BENCH_TIME}s timed phase with $THREADS threads;" \
     "workers=$WORKERS pool_max_per_backend=$POOL_MAX; open file limit $(ulimit -Sn)"
echo "Threads_connected before the proxy connected: s0=${baseline[0]} s1=${baseline[1]};" \
     "bound per shard: $WORKERS x $POOL_MAX + 1 (the sampler) = $max_backends"

status=0
"$PYTHON" "$ROOT/bench/connections.py" --proxy-port "$proxy_port" --proxy-pid "$proxy_pid" \
    --shard-ports "$shard0_port" "$shard1_port" --clients "$CLIENTS" --rounds "$ROUNDS" \
    --seconds "$BENCH_TIME" --threads "$THREADS" --rows "$TABLE_SIZE" \
    --max-backends "$max_backends" --seed "$SEED" || status=$?

problems=$(grep -c -E 'level=(warn|error)' "$WORK/proxy.log" || true)
echo "proxy log: $problems warnings and errors"
if ((problems > 0)); then
    # Without the timestamp, repeats of one message group together.
    grep -E 'level=(warn|error)' "$WORK/proxy.log" | sed 's/^ts=[^ ]* //' | sort | uniq -c | sort -rn | head -n 10
fi
echo "duration from proxy start: $((SECONDS - start_s)) s"

if ! kill -0 "$proxy_pid" 2>/dev/null; then
    tail -n 30 "$WORK/proxy.log" >&2
    die "the proxy exited during the run"
fi
((status == 0)) || die "a check failed (see FAILED above)"
echo "all checks passed"
