#!/usr/bin/env bash
# Run the replica tests against PROXY_BINARY with a replicated two-shard cluster.
#
#   tests/replicas/run.sh PROXY_BINARY
#
# Starts six MariaDB servers (scripts/cluster.sh) on free loopback ports:
# for each of two shards a primary, a GTID replica in region "eu" (the
# proxy's region) and one in region "us". Then it runs three phases, each
# with its own proxy config and Python test modules (test_*.py beside this
# script):
#
#   replica        read_policy "replica"  routing, writes, retries on ERR,
#                                         read-your-writes, lag, failover
#   primary        read_policy "primary"  reads stay on the primaries
#   other_regions  read_from_other_regions true
#   transactions   transaction_reads "replica": a transaction reads from
#                                         replicas until its first write
#   crossed        the config lists each shard's eu replica under the other
#                                         shard: the monitor must refuse them
#
# Every proxy uses health_interval_ms 200, max_replica_lag_ms 1000 and
# health_rise_checks 2. After each phase the proxy gets SIGTERM and must
# exit with status 0 within 5 s, and its log must be free of sanitizer
# reports. Everything started here is stopped by PID on exit, also on
# failure or interrupt, and the temporary directory is removed.
#
# Environment: SP_TEST_FILTER=PATTERN runs only the tests matching PATTERN
# (unittest -k). SP_KEEP_WORKDIR=1 keeps the temporary directory.
set -euo pipefail

readonly PROXY_READY_TIMEOUT_S=30
readonly PROXY_STOP_TIMEOUT_S=5
readonly WORKERS=2
readonly HEALTH_INTERVAL_MS=200
readonly MAX_REPLICA_LAG_MS=1000
readonly HEALTH_RISE_CHECKS=2

# Phase name, read_policy, read_from_other_regions, transaction_reads, layout
# (normal, or crossed: the eu replicas swapped between the shards), test modules.
readonly PHASES=(
    "replica replica false primary normal test_routing test_writes test_retry test_read_your_writes test_lag test_failover test_primary_down"
    "primary primary false primary normal test_policy_primary"
    "other_regions replica true primary normal test_other_regions"
    "transactions replica false replica normal test_transaction_reads"
    "crossed replica false primary crossed test_crossed"
)

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
export PYTHONDONTWRITEBYTECODE=1
export PYTHONUNBUFFERED=1

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sp-replicas.XXXXXX")
proxy_pid=""
proxy_log=""

# True while the proxy process runs. A zombie (exited, not yet waited for)
# does not count.
proxy_running() {
    local state

    state=$(awk '{print $3}' "/proc/$proxy_pid/stat" 2>/dev/null) || return 1
    [[ -n "$state" && "$state" != Z ]]
}

# Stop the proxy if it still runs, then the cluster. Print the end of the
# proxy log on failure and remove the work directory.
cleanup() {
    local rc=$?

    trap - EXIT INT TERM
    rm -f "$WORK/watch-armed"
    if [[ -n "$proxy_pid" ]]; then
        sp_stop_pid "$proxy_pid" "$PROXY_STOP_TIMEOUT_S"
    fi
    "$CLUSTER" stop "$WORK/cluster" >/dev/null || true

    if ((rc != 0)) && [[ -s "$proxy_log" ]]; then
        echo "---- last 80 lines of the proxy log ($proxy_log) ----" >&2
        tail -n 80 "$proxy_log" >&2
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

# Only one proxy runs at a time, and every config path starts with this
# marker, so the watcher finds whichever proxy is in WORK/proxy.pid.
sp_start_watcher "$WORK" "$CLUSTER" "$WORK/proxy-"

read -r proxy_port p0 p1 eu0 eu1 us0 us1 <<<"$(sp_free_ports 7)"
echo "run.sh: work directory $WORK; proxy port $proxy_port"
echo "run.sh: shard s0: primary $p0, eu replica $eu0, us replica $us0"
echo "run.sh: shard s1: primary $p1, eu replica $eu1, us replica $us1"

SP_CLUSTER_BINLOG=1 "$CLUSTER" start "$WORK/cluster" "$p0" "$p1" "$eu0" "$eu1" "$us0" "$us1"
"$CLUSTER" replicate "$WORK/cluster" "$p0" "$eu0" "$us0"
"$CLUSTER" replicate "$WORK/cluster" "$p1" "$eu1" "$us1"

# write_config FILE READ_POLICY READ_FROM_OTHER_REGIONS TRANSACTION_READS LAYOUT
write_config() {
    local eu_of_s0=$eu0 eu_of_s1=$eu1

    if [[ "$5" == crossed ]]; then
        eu_of_s0=$eu1
        eu_of_s1=$eu0
    fi
    cat >"$1" <<JSON
{
  "listen": "127.0.0.1:$proxy_port",
  "workers": $WORKERS,
  "region": "eu",
  "users": [{"user": "app", "password": "app-pass"}],
  "shards": [
    {"name": "s0", "primary": {"host": "127.0.0.1", "port": $p0},
     "replicas": [{"host": "127.0.0.1", "port": $eu_of_s0, "region": "eu"},
                  {"host": "127.0.0.1", "port": $us0, "region": "us"}]},
    {"name": "s1", "primary": {"host": "127.0.0.1", "port": $p1},
     "replicas": [{"host": "127.0.0.1", "port": $eu_of_s1, "region": "eu"},
                  {"host": "127.0.0.1", "port": $us1, "region": "us"}]}
  ],
  "default_shard": "s0",
  "read_policy": "$2",
  "read_from_other_regions": $3,
  "transaction_reads": "$4",
  "health_interval_ms": $HEALTH_INTERVAL_MS,
  "max_replica_lag_ms": $MAX_REPLICA_LAG_MS,
  "health_rise_checks": $HEALTH_RISE_CHECKS,
  "tables": [
    {"name": "sbtest*", "shard_key": "id", "key_type": "int", "algorithm": "hash"}
  ]
}
JSON
}

# Send SIGTERM and require exit status 0 within the stop timeout. Runs in
# this shell, because only the proxy's parent can wait for it.
stop_proxy_checked() {
    local deadline rc=0

    if ! proxy_running; then
        wait "$proxy_pid" || rc=$?
        proxy_pid=""
        echo "run.sh: the proxy exited before the end of its phase with status $rc" >&2
        return 1
    fi
    kill -TERM "$proxy_pid"
    deadline=$((SECONDS + PROXY_STOP_TIMEOUT_S))
    while proxy_running && ((SECONDS < deadline)); do
        sleep 0.1
    done
    if proxy_running; then
        sp_stop_pid "$proxy_pid" 0
        proxy_pid=""
        echo "run.sh: the proxy did not exit within ${PROXY_STOP_TIMEOUT_S}s of SIGTERM (killed)" >&2
        return 1
    fi
    wait "$proxy_pid" || rc=$?
    proxy_pid=""
    if ((rc != 0)); then
        echo "run.sh: the proxy exited with status $rc after SIGTERM (expected 0)" >&2
        return 1
    fi
}

check_sanitizer_reports() {
    if grep -E -q 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$proxy_log"; then
        echo "run.sh: sanitizer reports in $proxy_log:" >&2
        grep -E -A 30 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$proxy_log" | head -n 120 >&2
        return 1
    fi
}

# run_phase NAME READ_POLICY READ_FROM_OTHER_REGIONS TRANSACTION_READS LAYOUT MODULE...
# Starts a proxy with the phase's config, runs the modules and stops the
# proxy. Returns 1 when a test, the stop or the sanitizer check failed.
run_phase() {
    local name=$1 policy=$2 other_regions=$3 transaction_reads=$4 layout=$5
    shift 5
    local config="$WORK/proxy-$name.json"
    local failed=0 rc=0
    local filter=()

    proxy_log="$WORK/proxy-$name.log"
    write_config "$config" "$policy" "$other_regions" "$transaction_reads" "$layout"
    echo "run.sh: phase $name: read_policy=$policy read_from_other_regions=$other_regions" \
        "transaction_reads=$transaction_reads"

    # ASAN_OPTIONS and UBSAN_OPTIONS only matter to a sanitizer build.
    ASAN_OPTIONS="detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
    UBSAN_OPTIONS="print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}" \
        "$PROXY" --config "$config" >"$proxy_log" 2>&1 &
    proxy_pid=$!
    echo "$proxy_pid" >"$WORK/proxy.pid"
    # set -e does not act inside a function called from a || list, so each
    # step that can fail is checked here.
    if ! sp_wait_proxy_ready "$proxy_port" "$proxy_pid" "$PROXY_READY_TIMEOUT_S"; then
        sp_stop_pid "$proxy_pid" "$PROXY_STOP_TIMEOUT_S"
        proxy_pid=""
        echo "run.sh: phase $name FAILED: the proxy did not start (log: $proxy_log)" >&2
        tail -n 30 "$proxy_log" >&2 || true
        return 1
    fi

    if [[ -n "${SP_TEST_FILTER:-}" ]]; then
        filter=(-k "$SP_TEST_FILTER")
    fi
    (
        cd "$HERE"
        SP_PROXY_PORT=$proxy_port SP_SHARD_PORTS="$p0,$p1" \
        SP_EU_REPLICA_PORTS="$eu0,$eu1" SP_US_REPLICA_PORTS="$us0,$us1" \
        SP_USER=app SP_PASSWORD=app-pass \
        SP_PROXY_LOG="$proxy_log" SP_PROXY_PID=$proxy_pid SP_CONFIG="$config" \
        SP_CLUSTER_DIR="$WORK/cluster" SP_CLUSTER_SCRIPT="$CLUSTER" SP_RUNNER_PID=$$ \
        SP_READ_POLICY=$policy SP_READ_FROM_OTHER_REGIONS=$other_regions \
        SP_TRANSACTION_READS=$transaction_reads SP_PROXY_BIN="$PROXY" SP_LAYOUT=$layout \
        SP_HEALTH_INTERVAL_MS=$HEALTH_INTERVAL_MS SP_MAX_REPLICA_LAG_MS=$MAX_REPLICA_LAG_MS \
        SP_HEALTH_RISE_CHECKS=$HEALTH_RISE_CHECKS \
            "$PYTHON" -m unittest -v "${filter[@]}" "$@"
    ) || rc=$?
    # Python 3.12 and later exit with 5 when a filter leaves no test to run.
    if ((rc != 0)) && ! ((rc == 5 && ${#filter[@]} > 0)); then
        failed=1
    fi

    stop_proxy_checked || failed=1
    check_sanitizer_reports || failed=1
    if ((failed)); then
        echo "run.sh: phase $name FAILED (proxy log: $proxy_log)" >&2
        if [[ -s "$proxy_log" ]]; then
            echo "---- replica events and retries in the proxy log ----" >&2
            grep -E 'event=(replica_|backend_lost|partial_failure)' "$proxy_log" | tail -n 60 >&2 || true
            echo "---- end ----" >&2
        fi
    fi
    return "$failed"
}

failed_phases=()
for phase in "${PHASES[@]}"; do
    read -r -a words <<<"$phase"
    run_phase "${words[@]}" || failed_phases+=("${words[0]}")
done

if ((${#failed_phases[@]} > 0)); then
    echo "run.sh: FAILED phases: ${failed_phases[*]}"
    exit 1
fi
echo "run.sh: all replica checks passed"
