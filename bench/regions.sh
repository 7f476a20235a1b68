#!/usr/bin/env bash
# Measure read and write latency through shardproxy when the shards'
# primaries are in a distant region and each shard has a replica in the
# proxy's own region.
#
#   bench/regions.sh [PROXY_BINARY]     (default: build/shardproxy)
#
# Topology, from the point of view of a proxy in region "eu":
#   - two shards (s0, s1), each with a primary in region "us", one replica in
#     "eu" and one replica in "us", all MariaDB servers started here with
#     scripts/cluster.sh (SP_CLUSTER_BINLOG=1, then cluster.sh replicate);
#   - the proxy reaches the primaries and the "us" replicas through
#     bench/delay_relay.py, which adds SP_BENCH_DELAY_MS (default 40) to each
#     direction, so every round trip to "us" costs about 2 x 40 ms more;
#   - the "eu" replicas are reached directly over loopback.
# Replication itself is not delayed: the replicas connect to their primaries
# directly, so replica lag stays as small as on loopback.
#
# Two proxies run side by side with the same topology: one with read_policy
# "replica" and one with read_policy "primary". Sysbench prepares 4 tables of
# 10,000 rows (hash layout on id, as bench/sysbench.sh) through the proxy,
# then runs, each for SP_BENCH_TIME seconds with SP_BENCH_THREADS threads:
#   (a) oltp_point_select through the "replica" proxy: reads that should stay
#       in "eu";
#   (c) oltp_point_select through the "primary" proxy: reads that pay the
#       distance, for comparison;
#   (b) SP_BENCH_WRITE_WORKLOAD (default oltp_update_index, one UPDATE by key
#       per event) through the "replica" proxy: writes, which go to the
#       primaries in "us".
# The writes run last so that the replica lag they cause cannot affect the
# reads. The script prints a table with each run's transactions and queries
# per second, average and 95th percentile latency and errors. After each run
# it prints the change of Com_select (and Com_update for the writes) on each
# of the six servers, which shows where the statements went. Everything
# started here is stopped by PID on exit, also after a failure. With the
# defaults it took 90 seconds on a 2-core machine.
#
# Environment: SP_BENCH_TIME (seconds per run, 5..60, default 20),
# SP_BENCH_THREADS (1..64, default 8), SP_BENCH_WORKERS (proxy worker
# threads, default 2), SP_BENCH_DELAY_MS (one-way delay to region "us",
# 0..1000, default 40), SP_BENCH_WRITE_WORKLOAD (oltp_update_index,
# oltp_update_non_index or oltp_write_only), SP_BENCH_PS_MODE (sysbench
# --db-ps-mode, default auto), SP_BENCH_PORT_BASE (use the 12 ports from this
# one on; by default free ports are picked).
# Not part of the test suite: sysbench, six servers, the relay and two
# proxies share the machine's cores, so only the differences between the
# runs mean something.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROXY=$(realpath "${1:-$ROOT/build/shardproxy}")
CLUSTER="$ROOT/scripts/cluster.sh"
RELAY="$ROOT/bench/delay_relay.py"
# shellcheck source=tests/lib.sh
source "$ROOT/tests/lib.sh"
BENCH_TIME=${SP_BENCH_TIME:-20}
THREADS=${SP_BENCH_THREADS:-8}
WORKERS=${SP_BENCH_WORKERS:-2}
DELAY_MS=${SP_BENCH_DELAY_MS:-40}
WRITE_WORKLOAD=${SP_BENCH_WRITE_WORKLOAD:-oltp_update_index}
PS_MODE=${SP_BENCH_PS_MODE:-auto}
PORT_BASE=${SP_BENCH_PORT_BASE:-}
readonly TABLES=4
readonly TABLE_SIZE=10000
readonly PROXY_REGION=eu
readonly DISTANT_REGION=us
# Health check settings written to the proxy's config. A replica that the
# proxy marked down during the prepare needs HEALTH_RISE_CHECKS good checks
# before it gets reads again, so the script waits that long before the reads.
readonly HEALTH_INTERVAL_MS=500
readonly HEALTH_RISE_CHECKS=2
readonly MAX_REPLICA_LAG_MS=5000
readonly PORT_COUNT=12
readonly PROXY_READY_TIMEOUT_S=30
readonly PROXY_STOP_TIMEOUT_S=5
readonly RELAY_READY_TIMEOUT_S=10
readonly REPLICA_WAIT_TIMEOUT_S=60
readonly PREPARE_TIMEOUT_S=180
# A sysbench run that outlives its --time by this much is stuck.
readonly RUN_GRACE_S=60
readonly RTT_SAMPLES=20

die() {
    echo "regions.sh: $*" >&2
    exit 1
}

[[ -x "$PROXY" ]] || die "proxy binary not found: $PROXY (build it first, or pass its path)"
command -v sysbench >/dev/null || die "sysbench not found; install the sysbench package"
command -v mariadb >/dev/null || die "mariadb client not found; install mariadb-client"
sp_find_python || die "no python3 can import pymysql and xxhash; install python3-pymysql and python3-xxhash"
# is_int_in VALUE MIN MAX: true when VALUE is a whole number from MIN to MAX.
is_int_in() {
    [[ "$1" =~ ^[0-9]+$ ]] || return 1
    ((10#$1 >= $2 && 10#$1 <= $3))
}

is_int_in "$BENCH_TIME" 5 60 || die "invalid SP_BENCH_TIME '$BENCH_TIME': expected 5..60 seconds"
is_int_in "$THREADS" 1 64 || die "invalid SP_BENCH_THREADS '$THREADS': expected 1..64"
is_int_in "$DELAY_MS" 0 1000 ||
    die "invalid SP_BENCH_DELAY_MS '$DELAY_MS': expected 0..1000 (whole milliseconds)"
case "$PS_MODE" in
auto | disable) ;;
*) die "invalid SP_BENCH_PS_MODE '$PS_MODE': expected auto or disable" ;;
esac
case "$WRITE_WORKLOAD" in
oltp_update_index | oltp_update_non_index | oltp_write_only) ;;
*) die "invalid SP_BENCH_WRITE_WORKLOAD '$WRITE_WORKLOAD': expected oltp_update_index, oltp_update_non_index or oltp_write_only" ;;
esac

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sp-regions.XXXXXX")
replica_proxy_pid=""
primary_proxy_pid=""
relay_pid=""
sysbench_pid=""

# Print the end of the logs that explain a failure, before they are removed.
show_logs() {
    local log

    for log in "$WORK/proxy-replica.log" "$WORK/proxy-primary.log" "$WORK/relay.log"; do
        if [[ -s "$log" ]]; then
            echo "--- last lines of $(basename "$log")" >&2
            tail -n 15 "$log" >&2
        fi
    done
}

# shellcheck disable=SC2317  # called through the EXIT trap
cleanup() {
    local status=$?

    trap - EXIT INT TERM
    if ((status != 0)); then
        show_logs
    fi
    sp_stop_pid "$sysbench_pid" "$PROXY_STOP_TIMEOUT_S"
    # The proxies before the relay, so that they do not log the relay's
    # connections closing under them as lost backends.
    sp_stop_pid "$replica_proxy_pid" "$PROXY_STOP_TIMEOUT_S"
    sp_stop_pid "$primary_proxy_pid" "$PROXY_STOP_TIMEOUT_S"
    sp_stop_pid "$relay_pid" "$PROXY_STOP_TIMEOUT_S"
    "$CLUSTER" stop "$WORK/cluster" >/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# pick_ports: prints PORT_COUNT ports, from SP_BENCH_PORT_BASE on when it is
# set (failing when one of them is in use), otherwise free ones.
pick_ports() {
    if [[ -z "$PORT_BASE" ]]; then
        sp_free_ports "$PORT_COUNT"
        return
    fi
    is_int_in "$PORT_BASE" 1024 $((65536 - PORT_COUNT)) ||
        die "invalid SP_BENCH_PORT_BASE '$PORT_BASE': expected 1024..$((65536 - PORT_COUNT))"
    "$PYTHON" - "$PORT_BASE" "$PORT_COUNT" <<'PY'
import socket, sys
base, count = int(sys.argv[1]), int(sys.argv[2])
socks = []
for port in range(base, base + count):
    s = socket.socket()
    # As the servers do, so that connections in TIME_WAIT from an earlier
    # run do not count as a port in use.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
    except OSError as exc:
        sys.exit(f"regions.sh: port {port} (SP_BENCH_PORT_BASE={base}) is in use: {exc}")
    socks.append(s)
print(" ".join(str(port) for port in range(base, base + count)))
PY
}

ports=$(pick_ports) || exit 1
read -r replica_proxy_port primary_proxy_port \
    s0_primary s0_eu s0_us s1_primary s1_eu s1_us \
    s0_primary_relay s0_us_relay s1_primary_relay s1_us_relay <<<"$ports"
servers=("$s0_primary" "$s0_eu" "$s0_us" "$s1_primary" "$s1_eu" "$s1_us")
server_names=("s0.primary($DISTANT_REGION)" "s0.replica($PROXY_REGION)" "s0.replica($DISTANT_REGION)"
              "s1.primary($DISTANT_REGION)" "s1.replica($PROXY_REGION)" "s1.replica($DISTANT_REGION)")

# write_config FILE PORT READ_POLICY: the proxy's configuration.
write_config() {
    local file=$1 port=$2 policy=$3

    cat >"$file" <<JSON
{
  "listen": "127.0.0.1:$port",
  "workers": $WORKERS,
  "region": "$PROXY_REGION",
  "read_policy": "$policy",
  "read_from_other_regions": false,
  "read_your_writes": true,
  "health_interval_ms": $HEALTH_INTERVAL_MS,
  "health_rise_checks": $HEALTH_RISE_CHECKS,
  "max_replica_lag_ms": $MAX_REPLICA_LAG_MS,
  "users": [{"user": "app", "password": "app-pass"}],
  "shards": [
    {"name": "s0", "primary": {"host": "127.0.0.1", "port": $s0_primary_relay},
     "replicas": [{"host": "127.0.0.1", "port": $s0_eu, "region": "$PROXY_REGION"},
                  {"host": "127.0.0.1", "port": $s0_us_relay, "region": "$DISTANT_REGION"}]},
    {"name": "s1", "primary": {"host": "127.0.0.1", "port": $s1_primary_relay},
     "replicas": [{"host": "127.0.0.1", "port": $s1_eu, "region": "$PROXY_REGION"},
                  {"host": "127.0.0.1", "port": $s1_us_relay, "region": "$DISTANT_REGION"}]}
  ],
  "default_shard": "s0",
  "tables": [{"name": "sbtest*", "shard_key": "id"}]
}
JSON
}

# check_config NAME PORT POLICY: writes $WORK/proxy-NAME.json and fails
# when the proxy rejects it. A build that does not know a key (an older one,
# or a key renamed since) names the key and its position.
check_config() {
    local name=$1 port=$2 policy=$3
    local config="$WORK/proxy-$name.json" output

    write_config "$config" "$port" "$policy"
    if ! output=$("$PROXY" --check-config "$config" 2>&1); then
        echo "$output" >&2
        die "the proxy rejected the configuration $config (read_policy $policy); see the key named above"
    fi
}

# start_proxy NAME PORT: starts the proxy with $WORK/proxy-NAME.json, sets
# NAME_proxy_pid, which cleanup stops, and waits for the proxy's greeting.
start_proxy() {
    local name=$1 port=$2
    local pid

    "$PROXY" --config "$WORK/proxy-$name.json" 2>"$WORK/proxy-$name.log" &
    pid=$!
    printf -v "${name}_proxy_pid" '%s' "$pid"
    if ! sp_wait_proxy_ready "$port" "$pid" "$PROXY_READY_TIMEOUT_S"; then
        die "the proxy with $WORK/proxy-$name.json did not start"
    fi
}

# Checked before any server starts, so that a rejected key fails at once.
check_config replica "$replica_proxy_port" replica
check_config primary "$primary_proxy_port" primary

echo "== topology (proxy region $PROXY_REGION; region $DISTANT_REGION is ${DELAY_MS} ms away in each direction)"
echo "s0: primary $s0_primary ($DISTANT_REGION, proxy uses relay port $s0_primary_relay)," \
     "replica $s0_eu ($PROXY_REGION, direct), replica $s0_us ($DISTANT_REGION, relay port $s0_us_relay)"
echo "s1: primary $s1_primary ($DISTANT_REGION, proxy uses relay port $s1_primary_relay)," \
     "replica $s1_eu ($PROXY_REGION, direct), replica $s1_us ($DISTANT_REGION, relay port $s1_us_relay)"
echo "replication is not delayed: the replicas connect to their primaries directly"

echo "== starting six MariaDB servers with the binary log"
SP_CLUSTER_BINLOG=1 "$CLUSTER" start "$WORK/cluster" "${servers[@]}" >"$WORK/cluster.log" 2>&1 || {
    tail -n 30 "$WORK/cluster.log" >&2
    die "cluster.sh start failed"
}
"$CLUSTER" replicate "$WORK/cluster" "$s0_primary" "$s0_eu" "$s0_us"
"$CLUSTER" replicate "$WORK/cluster" "$s1_primary" "$s1_eu" "$s1_us"

"$PYTHON" "$RELAY" --delay-ms "$DELAY_MS" \
    --map "$s0_primary_relay:$s0_primary" --map "$s0_us_relay:$s0_us" \
    --map "$s1_primary_relay:$s1_primary" --map "$s1_us_relay:$s1_us" \
    >"$WORK/relay.out" 2>"$WORK/relay.log" &
relay_pid=$!
deadline=$((SECONDS + RELAY_READY_TIMEOUT_S))
# The relay prints one line per mapping once all its ports listen.
until [[ -f "$WORK/relay.out" && $(wc -l <"$WORK/relay.out") -ge 4 ]]; do
    if ! kill -0 "$relay_pid" 2>/dev/null || ((SECONDS >= deadline)); then
        die "the delay relay did not start within ${RELAY_READY_TIMEOUT_S}s"
    fi
    sleep 0.1
done
cat "$WORK/relay.out"

# sql PORT STATEMENT: runs STATEMENT as app on the server or proxy at PORT and
# prints the rows, tab-separated, without column names.
sql() {
    mariadb --no-defaults -h127.0.0.1 -P"$1" -uapp -papp-pass -N -B -e "$2"
}

echo "== relay check: SELECT 1 round trip to s0's primary, mean of $RTT_SAMPLES"
"$PYTHON" - "$s0_primary" "$s0_primary_relay" "$DELAY_MS" "$RTT_SAMPLES" <<'PY'
import sys, time
import pymysql

direct_port, relay_port, delay_ms, samples = (int(arg) for arg in sys.argv[1:])


def mean_round_trip_ms(port):
    conn = pymysql.connect(host="127.0.0.1", port=port, user="app", password="app-pass",
                           connect_timeout=10, read_timeout=10)
    total = 0.0
    with conn.cursor() as cursor:
        for i in range(samples):
            start = time.perf_counter()
            cursor.execute("SELECT %s", (i,))
            row = cursor.fetchone()
            total += time.perf_counter() - start
            if row != (i,):
                sys.exit(f"regions.sh: SELECT {i} through port {port} returned {row!r}")
    conn.close()
    return total / samples * 1000


direct = mean_round_trip_ms(direct_port)
relayed = mean_round_trip_ms(relay_port)
print(f"direct {direct:.2f} ms, through the relay {relayed:.2f} ms, "
      f"added {relayed - direct:.2f} ms (expected about {2 * delay_ms} ms)")
# The relay writes no chunk before its deadline, so it adds at least 2 x delay_ms.
if relayed - direct < 2 * delay_ms * 0.95:
    sys.exit("regions.sh: the relay added less than the configured delay")
PY

echo "== starting the proxies (read_policy replica on port $replica_proxy_port, primary on port $primary_proxy_port)"
start_proxy replica "$replica_proxy_port"
start_proxy primary "$primary_proxy_port"

# sysbench_cmd LOG TIMEOUT_S WORKLOAD PORT COMMAND [OPTION...]: runs
# sysbench with its output in LOG, killed after TIMEOUT_S seconds. It runs in
# the background with its PID in sysbench_pid, because bash runs the INT and
# TERM traps during a wait but only after a foreground command ends. LOG is
# opened for sysbench alone: a redirection of this function's output would
# also catch the messages of the EXIT trap when a signal arrives.
sysbench_cmd() {
    local log=$1 timeout_s=$2 workload=$3 port=$4 command=$5
    local status=0
    shift 5

    timeout "$timeout_s" sysbench "$workload" --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$port" \
        --mysql-user=app --mysql-password=app-pass --mysql-db=sbtest \
        --tables="$TABLES" --table-size="$TABLE_SIZE" --auto_inc=off --db-ps-mode="$PS_MODE" \
        "$@" "$command" >"$log" 2>&1 &
    sysbench_pid=$!
    wait "$sysbench_pid" || status=$?
    sysbench_pid=""
    return "$status"
}

echo "== prepare: $TABLES tables x $TABLE_SIZE rows through the proxy (every statement pays the distance)"
prepare_start=$SECONDS
sysbench_cmd "$WORK/prepare.log" "$PREPARE_TIMEOUT_S" oltp_point_select "$primary_proxy_port" prepare \
    --threads="$TABLES" || {
    tail -n 30 "$WORK/prepare.log" >&2
    die "sysbench prepare through the proxy failed or took more than ${PREPARE_TIMEOUT_S}s"
}
echo "prepare took $((SECONDS - prepare_start)) s"

# wait_replicas_caught_up: waits until every replica has applied its
# primary's binary log, and prints how long that took.
wait_replicas_caught_up() {
    local start_ms end_ms primary replica position result

    start_ms=$(date +%s%3N)
    for primary in "$s0_primary" "$s1_primary"; do
        position=$(sql "$primary" 'SELECT @@gtid_binlog_pos')
        for replica in "${servers[@]}"; do
            [[ "$(cat "$WORK/cluster/$replica.primary-port" 2>/dev/null)" == "$primary" ]] || continue
            result=$(sql "$replica" "SELECT MASTER_GTID_WAIT('$position', $REPLICA_WAIT_TIMEOUT_S)")
            [[ "$result" == 0 ]] ||
                die "the replica on port $replica did not reach its primary's GTID position $position within ${REPLICA_WAIT_TIMEOUT_S}s"
        done
    done
    end_ms=$(date +%s%3N)
    echo "every replica reached its primary's GTID position within $((end_ms - start_ms)) ms"
}

wait_replicas_caught_up

# Each primary and its replicas must hold the same rows, and the two shards
# together every row of each table.
for ((table = 1; table <= TABLES; table++)); do
    counts=()
    for port in "${servers[@]}"; do
        count=$(sql "$port" "SELECT COUNT(*) FROM sbtest.sbtest$table") || {
            tail -n 20 "$WORK/prepare.log" >&2
            die "counting the rows of sbtest$table on port $port failed; the end of the sysbench prepare output is above"
        }
        counts+=("$count")
    done
    if [[ "${counts[1]}" != "${counts[0]}" || "${counts[2]}" != "${counts[0]}" ||
          "${counts[4]}" != "${counts[3]}" || "${counts[5]}" != "${counts[3]}" ||
          $((counts[0] + counts[3])) != "$TABLE_SIZE" ]]; then
        die "sbtest$table row counts (s0 primary, eu, us, s1 primary, eu, us): ${counts[*]}; expected equal counts per shard adding up to $TABLE_SIZE"
    fi
done
echo "row counts agree on every primary and replica (s0 has ${counts[0]} and s1 ${counts[3]} rows of sbtest$TABLES)"

health_wait_ms=$((HEALTH_INTERVAL_MS * (HEALTH_RISE_CHECKS + 1) + 4 * DELAY_MS))
echo "== waiting ${health_wait_ms} ms so that the replicas pass the proxy's health checks"
sleep "$(awk -v ms="$health_wait_ms" 'BEGIN { printf "%.3f", ms / 1000 }')"

# status_counters NAME: prints the global status counter NAME of each server,
# in the order of servers[].
status_counters() {
    local port values=()

    for port in "${servers[@]}"; do
        values+=("$(sql "$port" "SHOW GLOBAL STATUS LIKE '$1'" | awk '{print $2}')")
    done
    echo "${values[*]}"
}

# print_deltas LABEL BEFORE AFTER: one line with each server's counter change.
print_deltas() {
    local label=$1 i line=""
    local -a before after

    read -r -a before <<<"$2"
    read -r -a after <<<"$3"
    for i in "${!servers[@]}"; do
        line+="  ${server_names[i]}=$((after[i] - before[i]))"
    done
    echo "$label:$line"
}

# run_case LABEL WORKLOAD POLICY PORT: runs one timed sysbench run, prints
# the counter changes and appends a row to $WORK/results.
run_case() {
    local label=$1 workload=$2 policy=$3 port=$4
    local log="$WORK/run-$label.log"
    local select_before select_after update_before update_after
    local tps qps avg p95 errors reconnects pid

    echo "== ($label) $workload through the proxy with read_policy $policy: $THREADS threads, ${BENCH_TIME}s"
    select_before=$(status_counters Com_select)
    update_before=$(status_counters Com_update)
    sysbench_cmd "$log" "$((BENCH_TIME + RUN_GRACE_S))" "$workload" "$port" run \
        --threads="$THREADS" --time="$BENCH_TIME" --report-interval=0 || {
        tail -n 30 "$log" >&2
        die "sysbench $workload through the proxy on port $port failed or did not finish"
    }
    select_after=$(status_counters Com_select)
    update_after=$(status_counters Com_update)
    for pid in "$replica_proxy_pid" "$primary_proxy_pid"; do
        kill -0 "$pid" 2>/dev/null || die "a proxy (PID $pid) exited during the $workload run"
    done

    tps=$(awk '/^ *transactions:/ {gsub(/[()]/, "", $3); print $3}' "$log")
    qps=$(awk '/^ *queries:/ {gsub(/[()]/, "", $3); print $3}' "$log")
    avg=$(awk '/^ *avg:/ {print $2}' "$log")
    p95=$(awk '/95th percentile:/ {print $3}' "$log")
    errors=$(awk '/^ *ignored errors:/ {print $3}' "$log")
    reconnects=$(awk '/^ *reconnects:/ {print $2}' "$log")
    [[ -n "$tps" && -n "$qps" && -n "$avg" && -n "$p95" && -n "$errors" ]] || {
        cat "$log" >&2
        die "could not read tps, qps, avg, p95 or errors from the sysbench output"
    }
    print_deltas "Com_select" "$select_before" "$select_after"
    if [[ "$workload" != oltp_point_select ]]; then
        print_deltas "Com_update" "$update_before" "$update_after"
    fi
    echo "$label $workload $policy $tps $qps $avg $p95 $errors ${reconnects:-0}" >>"$WORK/results"
    echo "$label $select_before $select_after" >>"$WORK/selects"
}

run_case a oltp_point_select replica "$replica_proxy_port"
run_case c oltp_point_select primary "$primary_proxy_port"
run_case b "$WRITE_WORKLOAD" replica "$replica_proxy_port"
wait_replicas_caught_up

echo "== results (one-way delay to $DISTANT_REGION: ${DELAY_MS} ms; ${THREADS} threads; ${BENCH_TIME}s per run)"
printf '%-3s %-22s %-8s %10s %10s %9s %9s %7s %10s\n' \
    run workload policy tps qps avg_ms p95_ms errors reconnects
sort "$WORK/results" | while read -r label workload policy tps qps avg p95 errors reconnects; do
    printf '%-3s %-22s %-8s %10.1f %10.1f %9.2f %9.2f %7s %10s\n' \
        "$label" "$workload" "$policy" "$tps" "$qps" "$avg" "$p95" "$errors" "$reconnects"
done

# Where the reads of run (a) went: the share of the shards' SELECTs that the
# replicas in the proxy's region executed. Health checks that the proxy sends
# as SELECT statements count too.
read -r -a counters < <(grep '^a ' "$WORK/selects" | cut -d' ' -f2-)
local_reads=0
all_reads=0
for i in "${!servers[@]}"; do
    delta=$((counters[i + ${#servers[@]}] - counters[i]))
    all_reads=$((all_reads + delta))
    if [[ "${server_names[i]}" == *"replica($PROXY_REGION)"* ]]; then
        local_reads=$((local_reads + delta))
    fi
done
if ((all_reads > 0)); then
    echo "run (a): $local_reads of $all_reads shard SELECTs ($((100 * local_reads / all_reads)) %) ran on the replicas in $PROXY_REGION"
fi
if ((local_reads * 2 < all_reads)); then
    echo "NOTE: most reads of run (a) did not reach the replicas in $PROXY_REGION, so run (a) measured" \
         "the primaries: this proxy build does not route reads to replicas, or it found the" \
         "replicas in $PROXY_REGION unhealthy"
fi

for name in replica primary; do
    problems=$(grep -c -E 'level=(warn|error|fatal)' "$WORK/proxy-$name.log" || true)
    if ((problems > 0)); then
        echo "the proxy with read_policy $name logged $problems warnings or errors; the first ones:"
        grep -E 'level=(warn|error|fatal)' "$WORK/proxy-$name.log" | head -n 5
    fi
done
