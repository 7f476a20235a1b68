#!/usr/bin/env bash
# Run the integration suite against PROXY_BINARY with two real MariaDB shards.
#
#   tests/integration/run.sh PROXY_BINARY
#
# Starts two MariaDB servers (scripts/cluster.sh) and the proxy on free
# loopback ports in a fresh temporary directory and runs the Python tests
# (test_*.py beside this script). Then it stops the proxy with SIGTERM and
# requires exit status 0 within 5 s and a proxy log free of sanitizer
# reports. Everything it started is stopped by PID on exit, also on failure
# or interrupt, and the temporary directory is removed.
#
# Environment: SP_TEST_FILTER=PATTERN runs only tests matching PATTERN
# (unittest -k); SP_KEEP_WORKDIR=1 keeps the temporary directory.
set -euo pipefail

readonly PROXY_READY_TIMEOUT_S=30
readonly PROXY_STOP_TIMEOUT_S=5
readonly POOL_MAX_PER_BACKEND=8
readonly WORKERS=2
readonly MAX_PACKET_SIZE=33554432

die() {
    echo "run.sh: $*" >&2
    exit 1
}

(($# == 1)) || die "usage: run.sh PROXY_BINARY"
PROXY=$(realpath "$1")
[[ -x "$PROXY" ]] || die "proxy binary not found or not executable: $1"

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CLUSTER="$ROOT/scripts/cluster.sh"

# shellcheck source=tests/lib.sh
source "$ROOT/tests/lib.sh"
sp_find_python || die "no python3 with the pymysql and xxhash modules; install python3-pymysql python3-xxhash"
# Keep __pycache__ out of the source tree.
export PYTHONDONTWRITEBYTECODE=1

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sp-integration.XXXXXX")
PROXY_LOG="$WORK/proxy.log"
CONFIG="$WORK/proxy.json"
proxy_pid=""

# True while the proxy process runs; an exited child that was not yet
# waited for (a zombie) does not count.
proxy_running() {
    local state

    state=$(awk '{print $3}' "/proc/$proxy_pid/stat" 2>/dev/null) || return 1
    [[ -n "$state" && "$state" != Z ]]
}

# Stop the proxy (if still running) and the cluster, show the proxy log on
# failure, and remove the work directory.
cleanup() {
    local rc=$?
    local deadline

    trap - EXIT INT TERM
    rm -f "$WORK/watch-armed"
    if [[ -n "$proxy_pid" ]]; then
        if proxy_running; then
            kill -TERM "$proxy_pid" 2>/dev/null || true
            deadline=$((SECONDS + PROXY_STOP_TIMEOUT_S))
            while proxy_running && ((SECONDS < deadline)); do
                sleep 0.1
            done
            kill -KILL "$proxy_pid" 2>/dev/null || true
        fi
        wait "$proxy_pid" 2>/dev/null || true
    fi
    "$CLUSTER" stop "$WORK/cluster" >/dev/null || true

    if ((rc != 0)) && [[ -s "$PROXY_LOG" ]]; then
        echo "---- last 80 lines of the proxy log ($PROXY_LOG) ----" >&2
        tail -n 80 "$PROXY_LOG" >&2
        echo "---- end of the proxy log ----" >&2
    fi
    if [[ "${SP_KEEP_WORKDIR:-0}" == 1 ]]; then
        echo "run.sh: kept $WORK" >&2
    else
        rm -rf "$WORK"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

sp_start_watcher "$WORK" "$CLUSTER" "$WORK/proxy.json"

write_config() {
    cat >"$CONFIG" <<JSON
{
  "listen": "127.0.0.1:$proxy_port",
  "workers": $WORKERS,
  "users": [{"user": "app", "password": "app-pass"}],
  "shards": [
    {"name": "s0", "primary": {"host": "127.0.0.1", "port": $shard0_port}},
    {"name": "s1", "primary": {"host": "127.0.0.1", "port": $shard1_port}}
  ],
  "default_shard": "s0",
  "pool_max_per_backend": $POOL_MAX_PER_BACKEND,
  "max_packet_size": $MAX_PACKET_SIZE,
  "tables": [
    {"name": "sbtest*", "shard_key": "id", "key_type": "int", "algorithm": "hash"},
    {"name": "t1", "shard_key": "k"},
    {"name": "photo", "shard_key": "id"},
    {"name": "big", "shard_key": "id"},
    {"name": "users_s", "shard_key": "email", "key_type": "string"},
    {"name": "items_sh", "shard_key": "id"}
  ]
}
JSON
}

wait_proxy_ready() {
    sp_wait_proxy_ready "$proxy_port" "$proxy_pid" "$PROXY_READY_TIMEOUT_S"
}

# Send SIGTERM and require a clean exit (status 0) within the stop timeout.
stop_proxy_checked() {
    local deadline rc=0

    if ! proxy_running; then
        wait "$proxy_pid" || rc=$?
        echo "run.sh: the proxy exited before the end of the tests with status $rc" >&2
        proxy_pid=""
        return 1
    fi
    kill -TERM "$proxy_pid"
    deadline=$((SECONDS + PROXY_STOP_TIMEOUT_S))
    while proxy_running && ((SECONDS < deadline)); do
        sleep 0.1
    done
    if proxy_running; then
        echo "run.sh: the proxy did not exit within ${PROXY_STOP_TIMEOUT_S}s of SIGTERM" >&2
        return 1
    fi
    wait "$proxy_pid" || rc=$?
    proxy_pid=""
    if ((rc != 0)); then
        echo "run.sh: the proxy exited with status $rc after SIGTERM (expected 0)" >&2
        return 1
    fi
    echo "run.sh: the proxy exited with status 0 after SIGTERM"
}

check_sanitizer_reports() {
    if grep -E -q 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$PROXY_LOG"; then
        echo "run.sh: sanitizer reports in the proxy log:" >&2
        grep -E -A 30 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$PROXY_LOG" | head -n 120 >&2
        return 1
    fi
}

read -r proxy_port shard0_port shard1_port <<<"$(sp_free_ports 3)"
echo "run.sh: work directory $WORK; shards on ports $shard0_port, $shard1_port; proxy on $proxy_port"

"$CLUSTER" start "$WORK/cluster" "$shard0_port" "$shard1_port"
write_config

# ASAN_OPTIONS and UBSAN_OPTIONS only matter to a sanitizer build.
ASAN_OPTIONS="detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
UBSAN_OPTIONS="print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}" \
    "$PROXY" --config "$CONFIG" >"$PROXY_LOG" 2>&1 &
proxy_pid=$!
echo "$proxy_pid" >"$WORK/proxy.pid"
wait_proxy_ready
echo "run.sh: proxy PID $proxy_pid is ready"

failed=0
filter=()
if [[ -n "${SP_TEST_FILTER:-}" ]]; then
    filter=(-k "$SP_TEST_FILTER")
fi
if ! SP_PROXY_PORT=$proxy_port \
    SP_SHARD_PORTS="$shard0_port,$shard1_port" \
    SP_USER=app SP_PASSWORD=app-pass \
    SP_PROXY_LOG="$PROXY_LOG" SP_PROXY_PID=$proxy_pid SP_CONFIG="$CONFIG" SP_PROXY_BIN="$PROXY" \
    SP_MAX_PACKET_SIZE=$MAX_PACKET_SIZE SP_POOL_MAX_PER_BACKEND=$POOL_MAX_PER_BACKEND SP_WORKERS=$WORKERS \
    "$PYTHON" -m unittest discover -s "$HERE" -p 'test_*.py' -v "${filter[@]}"; then
    failed=1
fi

stop_proxy_checked || failed=1
check_sanitizer_reports || failed=1

if ((failed)); then
    echo "run.sh: FAILED"
    exit 1
fi
echo "run.sh: all integration checks passed"
