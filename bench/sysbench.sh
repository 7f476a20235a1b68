#!/usr/bin/env bash
# Compare a sysbench workload (oltp_point_select by default) through shardproxy
# with the same load on one MariaDB server directly.
#
#   bench/sysbench.sh [PROXY_BINARY]     (default: build/shardproxy)
#
# Starts three MariaDB servers with the settings of scripts/cluster.sh: two
# shards behind the proxy and one "direct" server. Prepares 4 tables of
# 10,000 rows through the proxy and on the direct server, then alternates
# runs (proxy, direct, proxy, direct, ...), each with 8 threads for
# SP_BENCH_TIME seconds (default 30). Prints each run's queries per second
# and 95th percentile latency, the ratio of the mean proxy rate to the mean
# direct rate, and each shard's share of every table's rows (which must add
# up to the table size, so a workload that deletes and re-inserts rows
# proves it lost or duplicated none). Fails when a read-only run reports
# errors; for workloads that write it counts the transactions sysbench
# restarted after a deadlock, which happen on one server too. Everything
# started here is stopped by PID on exit.
#
# Environment: SP_BENCH_TIME (seconds per run, default 30), SP_BENCH_ROUNDS
# (proxy+direct pairs, default 2), SP_BENCH_THREADS (default 8),
# SP_BENCH_WORKERS (proxy worker threads, default 2), SP_BENCH_WORKLOAD
# (sysbench test, default oltp_point_select; oltp_read_only also works),
# SP_BENCH_LAYOUT (hash, the default, or range: ids below 5001 on s0, the
# rest on s1), SP_BENCH_PS_MODE (sysbench --db-ps-mode: auto, the default,
# uses server-side prepared statements; disable sends text queries). After
# the runs it prints how many SELECTs each shard executed
# during the proxy runs (the shards' own Com_select counters), and the shards'
# Prepared_stmt_count before, during (the largest of one sample a second) and
# after the proxy runs, with the most connections the proxy had open.
# Not part of the test suite: sysbench, the servers and the proxy share the
# machine's cores, so the numbers compare the two paths on one host only.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROXY=$(realpath "${1:-$ROOT/build/shardproxy}")
CLUSTER="$ROOT/scripts/cluster.sh"
PYTHON=python3
# shellcheck source=tests/lib.sh
source "$ROOT/tests/lib.sh"
BENCH_TIME=${SP_BENCH_TIME:-30}
ROUNDS=${SP_BENCH_ROUNDS:-2}
THREADS=${SP_BENCH_THREADS:-8}
WORKERS=${SP_BENCH_WORKERS:-2}
WORKLOAD=${SP_BENCH_WORKLOAD:-oltp_point_select}
LAYOUT=${SP_BENCH_LAYOUT:-hash}
PS_MODE=${SP_BENCH_PS_MODE:-auto}
readonly TABLES=4
readonly TABLE_SIZE=10000
readonly PROXY_READY_TIMEOUT_S=30
readonly PROXY_STOP_TIMEOUT_S=5

die() {
    echo "sysbench.sh: $*" >&2
    exit 1
}

[[ -x "$PROXY" ]] || die "proxy binary not found: $PROXY (build it first, or pass its path)"
command -v sysbench >/dev/null || die "sysbench not found; install the sysbench package"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sp-bench.XXXXXX")
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

read -r proxy_port shard0_port shard1_port direct_port <<<"$(sp_free_ports 4)"

"$CLUSTER" start "$WORK/cluster" "$shard0_port" "$shard1_port" "$direct_port"

case "$LAYOUT" in
hash)
    table_rule='{"name": "sbtest*", "shard_key": "id"}'
    ;;
range)
    table_rule='{"name": "sbtest*", "shard_key": "id", "algorithm": "range",
                 "ranges": [{"shard": "s0", "below": 5001}, {"shard": "s1"}]}'
    ;;
*)
    die "SP_BENCH_LAYOUT must be hash or range, not '$LAYOUT'"
    ;;
esac

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
  "tables": [$table_rule]
}
JSON

"$PROXY" --config "$WORK/proxy.json" 2>"$WORK/proxy.log" &
proxy_pid=$!
deadline=$((SECONDS + PROXY_READY_TIMEOUT_S))
until mariadb --no-defaults -h127.0.0.1 -P"$proxy_port" -uapp -papp-pass -e 'SELECT 1' >/dev/null 2>&1; do
    if ! kill -0 "$proxy_pid" 2>/dev/null || ((SECONDS >= deadline)); then
        tail -n 30 "$WORK/proxy.log" >&2
        die "the proxy did not accept connections within ${PROXY_READY_TIMEOUT_S}s"
    fi
    sleep 0.2
done

# sysbench_cmd PORT COMMAND [OPTION...]
sysbench_cmd() {
    local port=$1 command=$2
    shift 2

    sysbench "$WORKLOAD" --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$port" \
        --mysql-user=app --mysql-password=app-pass --mysql-db=sbtest \
        --tables="$TABLES" --table-size="$TABLE_SIZE" --auto_inc=off --db-ps-mode="$PS_MODE" \
        "$@" "$command"
}

echo "== prepare: $TABLES tables x $TABLE_SIZE rows through the proxy and on the direct server"
sysbench_cmd "$proxy_port" prepare >"$WORK/prepare-proxy.log" || {
    cat "$WORK/prepare-proxy.log" >&2
    die "sysbench prepare through the proxy failed"
}
sysbench_cmd "$direct_port" prepare >"$WORK/prepare-direct.log" || {
    cat "$WORK/prepare-direct.log" >&2
    die "sysbench prepare on the direct server failed"
}

# run_one LABEL PORT: one timed run; appends "LABEL QPS P95" to the results.
run_one() {
    local label=$1 port=$2
    local log="$WORK/run-$label-$RANDOM.log"
    local qps p95 errors reads tps

    sysbench_cmd "$port" run --threads="$THREADS" --time="$BENCH_TIME" --report-interval=0 >"$log" || {
        cat "$log" >&2
        die "sysbench run against $label failed"
    }
    qps=$(awk '/^ *queries:/ {gsub(/[()]/, "", $3); print $3}' "$log")
    p95=$(awk '/95th percentile:/ {print $3}' "$log")
    errors=$(awk '/^ *ignored errors:/ {print $3}' "$log")
    reads=$(awk '/^ *read:/ {print $2; exit}' "$log")
    [[ -n "$qps" && -n "$p95" && -n "$errors" ]] || {
        cat "$log" >&2
        die "could not read qps, p95 or errors from the sysbench output"
    }
    # Sysbench restarts a transaction after a deadlock (1213) or lock wait
    # timeout (1205) and counts it as an ignored error; workloads that write
    # see those on one server too. A read-only workload must see none.
    if [[ "$errors" != 0 && "$WORKLOAD" != *write* ]]; then
        cat "$log" >&2
        die "$label run reported $errors errors"
    fi
    tps=$(awk '/^ *transactions:/ {gsub(/[()]/, "", $3); print $3}' "$log")
    printf '%-7s qps=%10.1f  tps=%8.1f  p95=%7.2f ms  restarted transactions (deadlocks)=%s\n' \
        "$label" "$qps" "${tps:-0}" "$p95" "$errors"
    echo "$label $qps $p95 ${reads:-0}" >>"$WORK/results"
}

# com_select PORT: the server's Com_select counter.
com_select() {
    mariadb --no-defaults -h127.0.0.1 -P"$1" -uapp -papp-pass -N -B \
        -e "SHOW GLOBAL STATUS LIKE 'Com_select'" | awk '{print $2}'
}

# status_value PORT NAME: a global status counter of the server at PORT.
status_value() {
    mariadb --no-defaults -h127.0.0.1 -P"$1" -uapp -papp-pass -N -B \
        -e "SHOW GLOBAL STATUS LIKE '$2'" | awk '{print $2}'
}

# sample_prepared SECONDS: once a second, the largest Prepared_stmt_count and
# Threads_connected of each shard, written to $WORK/prepared-max. Bounded by
# SECONDS samples.
sample_prepared() {
    local seconds=$1 i max0=0 max1=0 conn0=0 conn1=0 v

    for ((i = 0; i < seconds; i++)); do
        sleep 1
        v=$(status_value "$shard0_port" Prepared_stmt_count) && ((v > max0)) && max0=$v
        v=$(status_value "$shard1_port" Prepared_stmt_count) && ((v > max1)) && max1=$v
        v=$(status_value "$shard0_port" Threads_connected) && ((v > conn0)) && conn0=$v
        v=$(status_value "$shard1_port" Threads_connected) && ((v > conn1)) && conn1=$v
        echo "$max0 $max1 $conn0 $conn1" >"$WORK/prepared-max"
    done
}

echo "== $WORKLOAD, $LAYOUT layout: $ROUNDS x (proxy, direct), $THREADS threads, ${BENCH_TIME}s each"
shard_selects=(0 0)
prepared_before=("$(status_value "$shard0_port" Prepared_stmt_count)" "$(status_value "$shard1_port" Prepared_stmt_count)")
for ((round = 1; round <= ROUNDS; round++)); do
    before=("$(com_select "$shard0_port")" "$(com_select "$shard1_port")")
    sample_prepared "$((BENCH_TIME - 2))" &
    sampler=$!
    run_one proxy "$proxy_port"
    wait "$sampler" || true
    after=("$(com_select "$shard0_port")" "$(com_select "$shard1_port")")
    for i in 0 1; do
        shard_selects[i]=$((shard_selects[i] + after[i] - before[i]))
    done
    run_one direct "$direct_port"
done

awk '
    $1 == "proxy" { pq += $2; pp += $3; pn++ }
    $1 == "direct" { dq += $2; dp += $3; dn++ }
    END {
        printf "mean    proxy qps=%.1f p95=%.2f ms | direct qps=%.1f p95=%.2f ms\n", pq / pn, pp / pn, dq / dn, dp / dn
        printf "ratio   proxy/direct qps = %.3f\n", (pq / pn) / (dq / dn)
    }' "$WORK/results"

echo "== SELECTs executed by each shard during the proxy runs (Com_select)"
awk -v a="${shard_selects[0]}" -v b="${shard_selects[1]}" '
    $1 == "proxy" { reads += $4 }
    END {
        printf "s0=%d  s1=%d  client reads=%d  shard SELECTs per client read=%.2f\n", a, b, reads, (a + b) / reads
    }' "$WORK/results"

echo "== prepared statements on the shards (Prepared_stmt_count)"
read -r max0 max1 conn0 conn1 <"$WORK/prepared-max" || die "no Prepared_stmt_count samples"
sleep 1 # the proxy closes the statements once the clients are gone
echo "before the runs: s0=${prepared_before[0]} s1=${prepared_before[1]}" \
     " | largest during a proxy run: s0=$max0 s1=$max1 (connections: s0=$conn0 s1=$conn1)" \
     " | after: s0=$(status_value "$shard0_port" Prepared_stmt_count) s1=$(status_value "$shard1_port" Prepared_stmt_count)"

echo "== row share per table (counted on each shard directly)"
for ((table = 1; table <= TABLES; table++)); do
    counts=()
    for port in "$shard0_port" "$shard1_port"; do
        if ! count=$(mariadb --no-defaults -h127.0.0.1 -P"$port" -uapp -papp-pass -N -B sbtest \
                -e "SELECT COUNT(*) FROM sbtest$table" 2>&1); then
            die "counting sbtest$table on the shard at port $port failed: $count"
        fi
        counts+=("$count")
    done
    total=$((counts[0] + counts[1]))
    awk -v t="sbtest$table" -v a="${counts[0]}" -v b="${counts[1]}" -v n="$total" \
        'BEGIN { printf "%-8s s0=%d (%.1f%%)  s1=%d (%.1f%%)  total=%d\n", t, a, 100 * a / n, b, 100 * b / n, n }'
    if ((total != TABLE_SIZE)); then
        die "sbtest$table has $total rows across the shards, expected $TABLE_SIZE"
    fi
done

echo "== cleanup"
sysbench_cmd "$proxy_port" cleanup >/dev/null
sysbench_cmd "$direct_port" cleanup >/dev/null
