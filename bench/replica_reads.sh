#!/usr/bin/env bash
# Check with sysbench that shardproxy sends reads to the replicas of its own
# region, and that it moves them to the primary while such a replica is down
# and back once it returns.
#
#   bench/replica_reads.sh [PROXY_BINARY]     (default: build/shardproxy)
#
# Topology: two shards (s0, s1), each with a primary, one replica in region
# "eu" and one in region "us", all local MariaDB servers started with
# scripts/cluster.sh (SP_CLUSTER_BINLOG=1, then cluster.sh replicate) and no
# added delay. The proxy is in region "eu" with read_policy "replica",
# read_from_other_regions false, health_interval_ms SP_BENCH_HEALTH_MS and the
# extra top-level keys of SP_BENCH_PROXY_EXTRA.
#
# Steps:
#   1. sysbench oltp_read_only prepare through the proxy: 4 tables of 10,000
#      rows, hash layout on id (as bench/sysbench.sh).
#   2. Com_select of each server over 5 s with the proxy idle, which is the
#      rate of the health monitor's own SELECTs.
#   3. sysbench oltp_read_only with its defaults (server-side prepared
#      statements, each event a BEGIN ... COMMIT transaction), 8 threads,
#      SP_BENCH_TIME seconds. A background sampler writes every server's
#      Com_select every 0.5 s to a CSV. With SP_BENCH_STOP_REPLICA=1, s0's eu
#      replica gets SIGTERM at a third of the run and cluster.sh starts it
#      again at two thirds; the script then prints the reads per second of
#      s0's servers around both events and how long the proxy took to move
#      the reads away and back.
#   4. The same workload for SP_BENCH_TIME/3 seconds through a second proxy
#      without SP_BENCH_PROXY_EXTRA, so that the share of reads on the eu
#      replicas can be compared.
#   5. Rows per table, counted on the primaries.
# Sysbench's read-only transactions can use replicas only with the key
# "transaction_reads": "replica" (the default of SP_BENCH_PROXY_EXTRA), which
# lets a transaction's reads before its first write go to replicas. When the
# proxy rejects the extra keys, the script prints the proxy's error and exits
# with status 2. SP_BENCH_PROXY_EXTRA='' measures the proxy without them.
#
# The script exits with status 1 when a sysbench run fails, reports errors or
# writes a FATAL line, when the replica's restart fails, or when a table does
# not have 10,000 rows at the end. Everything started here is stopped by PID
# on exit, also after a failure. With the defaults it took about 105 s on a
# 2-core machine.
#
# Environment: SP_BENCH_TIME (seconds of the main run, 15..120, default 60),
# SP_BENCH_THREADS (1..64, default 8), SP_BENCH_WORKERS (proxy worker
# threads, default 2), SP_BENCH_HEALTH_MS (health_interval_ms, 10..10000,
# default 500), SP_BENCH_PROXY_EXTRA (JSON members added to the first proxy's
# configuration, default "transaction_reads": "replica"; empty for none),
# SP_BENCH_STOP_REPLICA (1, the default, stops and restarts s0's eu replica;
# 0 does not), SP_BENCH_IGNORE_ERRORS (sysbench --mysql-ignore-errors for both
# runs, for example "all" to keep the threads running through errors so that
# the timings can be measured; by default sysbench's own list applies and any
# other error ends the thread that got it).
# Not part of the test suite: sysbench, six servers and the proxy share the
# machine's cores.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROXY=$(realpath "${1:-$ROOT/build/shardproxy}")
CLUSTER="$ROOT/scripts/cluster.sh"
SAMPLER="$ROOT/bench/replica_reads_sample.py"
# shellcheck source=tests/lib.sh
source "$ROOT/tests/lib.sh"
BENCH_TIME=${SP_BENCH_TIME:-60}
THREADS=${SP_BENCH_THREADS:-8}
WORKERS=${SP_BENCH_WORKERS:-2}
HEALTH_MS=${SP_BENCH_HEALTH_MS:-500}
# Set but empty means no extra keys, so this expansion has no colon.
PROXY_EXTRA=${SP_BENCH_PROXY_EXTRA-'"transaction_reads": "replica"'}
STOP_REPLICA=${SP_BENCH_STOP_REPLICA:-1}
IGNORE_ERRORS=${SP_BENCH_IGNORE_ERRORS:-}
readonly TABLES=4
readonly TABLE_SIZE=10000
readonly PROXY_REGION=eu
readonly OTHER_REGION=us
# The proxy's default health_rise_checks (README.md): a replica that was taken
# out takes reads again after this many healthy checks in a row.
readonly RISE_CHECKS=3
readonly IDLE_S=5
readonly SAMPLE_INTERVAL_S=0.5
readonly PROXY_READY_TIMEOUT_S=30
readonly PROXY_STOP_TIMEOUT_S=5
readonly PREPARE_TIMEOUT_S=120
readonly REPLICA_WAIT_TIMEOUT_S=60
readonly THREADS_START_TIMEOUT_S=30
readonly SERVER_EXIT_TIMEOUT_S=30
# A sysbench run that outlives its --time by this much is stuck.
readonly RUN_GRACE_S=30

die() {
    echo "replica_reads.sh: $*" >&2
    exit 1
}

# is_int_in VALUE MIN MAX: true when VALUE is a whole number from MIN to MAX.
is_int_in() {
    [[ "$1" =~ ^[0-9]+$ ]] && ((10#$1 >= $2 && 10#$1 <= $3))
}

[[ -x "$PROXY" ]] || die "proxy binary not found: $PROXY (build it first, or pass its path)"
command -v sysbench >/dev/null || die "sysbench not found; install the sysbench package"
command -v mariadb >/dev/null || die "mariadb client not found; install mariadb-client"
sp_find_python || die "no python3 can import pymysql and xxhash; install python3-pymysql and python3-xxhash"
is_int_in "$BENCH_TIME" 15 120 || die "invalid SP_BENCH_TIME '$BENCH_TIME': expected 15..120 seconds"
is_int_in "$THREADS" 1 64 || die "invalid SP_BENCH_THREADS '$THREADS': expected 1..64"
is_int_in "$WORKERS" 1 64 || die "invalid SP_BENCH_WORKERS '$WORKERS': expected 1..64"
is_int_in "$HEALTH_MS" 10 10000 || die "invalid SP_BENCH_HEALTH_MS '$HEALTH_MS': expected 10..10000 milliseconds"
[[ "$STOP_REPLICA" == 0 || "$STOP_REPLICA" == 1 ]] ||
    die "invalid SP_BENCH_STOP_REPLICA '$STOP_REPLICA': expected 0 or 1"
[[ "$IGNORE_ERRORS" =~ ^(all|[0-9]+(,[0-9]+)*)?$ ]] ||
    die "invalid SP_BENCH_IGNORE_ERRORS '$IGNORE_ERRORS': expected all or a comma-separated list of error codes"
sysbench_options=()
if [[ -n "$IGNORE_ERRORS" ]]; then
    sysbench_options+=("--mysql-ignore-errors=$IGNORE_ERRORS")
fi
SECOND_TIME=$((BENCH_TIME / 3))
STOP_AT=$((BENCH_TIME / 3))
RESTART_AT=$((2 * BENCH_TIME / 3))

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sp-replica-reads.XXXXXX")
main_proxy_pid=""
plain_proxy_pid=""
sysbench_pid=""
sampler_pid=""

# shellcheck disable=SC2317  # called through the EXIT trap
cleanup() {
    local status=$? log

    trap - EXIT INT TERM
    if ((status != 0 && status != 2)); then
        for log in "$WORK/proxy-main.log" "$WORK/proxy-plain.log"; do
            if [[ -s "$log" ]]; then
                echo "--- last lines of $(basename "$log")" >&2
                tail -n 15 "$log" >&2
            fi
        done
    fi
    sp_stop_pid "$sampler_pid" "$PROXY_STOP_TIMEOUT_S"
    sp_stop_pid "$sysbench_pid" "$PROXY_STOP_TIMEOUT_S"
    sp_stop_pid "$main_proxy_pid" "$PROXY_STOP_TIMEOUT_S"
    sp_stop_pid "$plain_proxy_pid" "$PROXY_STOP_TIMEOUT_S"
    "$CLUSTER" stop "$WORK/cluster" >/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

read -r main_proxy_port plain_proxy_port s0_primary s0_eu s0_us s1_primary s1_eu s1_us \
    <<<"$(sp_free_ports 8)"
servers=("$s0_primary" "$s0_eu" "$s0_us" "$s1_primary" "$s1_eu" "$s1_us")
names=(s0-primary "s0-$PROXY_REGION" "s0-$OTHER_REGION" s1-primary "s1-$PROXY_REGION" "s1-$OTHER_REGION")
readonly S0_EU_INDEX=1

# write_config FILE PORT EXTRA: the proxy's configuration, with the JSON
# members EXTRA (may be empty) at the top level.
write_config() {
    local file=$1 port=$2 extra=$3

    {
        echo "{"
        if [[ -n "$extra" ]]; then
            echo "  $extra,"
        fi
        cat <<JSON
  "listen": "127.0.0.1:$port",
  "workers": $WORKERS,
  "region": "$PROXY_REGION",
  "read_policy": "replica",
  "read_from_other_regions": false,
  "health_interval_ms": $HEALTH_MS,
  "users": [{"user": "app", "password": "app-pass"}],
  "shards": [
    {"name": "s0", "primary": {"host": "127.0.0.1", "port": $s0_primary},
     "replicas": [{"host": "127.0.0.1", "port": $s0_eu, "region": "$PROXY_REGION"},
                  {"host": "127.0.0.1", "port": $s0_us, "region": "$OTHER_REGION"}]},
    {"name": "s1", "primary": {"host": "127.0.0.1", "port": $s1_primary},
     "replicas": [{"host": "127.0.0.1", "port": $s1_eu, "region": "$PROXY_REGION"},
                  {"host": "127.0.0.1", "port": $s1_us, "region": "$OTHER_REGION"}]}
  ],
  "default_shard": "s0",
  "tables": [{"name": "sbtest*", "shard_key": "id"}]
}
JSON
    } >"$file"
}

# Both configurations are checked before any server starts. Exit status 2
# means that only the extra keys were rejected.
write_config "$WORK/proxy-plain.json" "$plain_proxy_port" ""
write_config "$WORK/proxy-main.json" "$main_proxy_port" "$PROXY_EXTRA"
if ! output=$("$PROXY" --check-config "$WORK/proxy-plain.json" 2>&1); then
    echo "$output" >&2
    die "the proxy rejected the configuration without SP_BENCH_PROXY_EXTRA ($WORK/proxy-plain.json)"
fi
if ! output=$("$PROXY" --check-config "$WORK/proxy-main.json" 2>&1); then
    echo "$output" >&2
    echo "replica_reads.sh: the proxy $PROXY rejected SP_BENCH_PROXY_EXTRA ($PROXY_EXTRA);" \
         "see the error above. Build a proxy that supports it, or run with SP_BENCH_PROXY_EXTRA=''" >&2
    exit 2
fi

# sql PORT STATEMENT: runs STATEMENT as app on PORT, prints tab-separated rows.
sql() {
    timeout 70 mariadb --no-defaults --connect-timeout=5 -h127.0.0.1 -P"$1" -uapp -papp-pass \
        -N -B -e "$2"
}

# counters PORT...: prints the Com_select of each server on one line.
counters() {
    "$PYTHON" "$SAMPLER" counters "$@"
}

# Seconds since the main run's threads started, with millisecond precision.
elapsed() {
    awk -v now="$EPOCHREALTIME" -v t0="$run_start" 'BEGIN { printf "%.3f", now - t0 }'
}

sleep_until() {
    sleep "$(awk -v now="$EPOCHREALTIME" -v t0="$run_start" -v t="$1" \
        'BEGIN { d = t0 + t - now; printf "%.3f", (d > 0 ? d : 0) }')"
}

# start_proxy NAME PORT: starts the proxy with $WORK/proxy-NAME.json, stores
# its PID in NAME_proxy_pid and waits for its greeting.
start_proxy() {
    local name=$1 port=$2 pid

    "$PROXY" --config "$WORK/proxy-$name.json" 2>"$WORK/proxy-$name.log" &
    pid=$!
    printf -v "${name}_proxy_pid" '%s' "$pid"
    sp_wait_proxy_ready "$port" "$pid" "$PROXY_READY_TIMEOUT_S" ||
        die "the proxy with $WORK/proxy-$name.json did not start"
}

# start_sysbench LOG TIMEOUT_S PORT COMMAND [OPTION...]: starts sysbench
# oltp_read_only in the background, killed after TIMEOUT_S seconds, and
# stores its PID in sysbench_pid. It keeps sysbench's defaults for the
# prepared statement mode and for transactions.
start_sysbench() {
    local log=$1 timeout_s=$2 port=$3 command=$4
    shift 4

    timeout --kill-after=5 "$timeout_s" sysbench oltp_read_only --db-driver=mysql \
        --mysql-host=127.0.0.1 --mysql-port="$port" --mysql-user=app --mysql-password=app-pass \
        --mysql-db=sbtest --tables="$TABLES" --table-size="$TABLE_SIZE" --auto_inc=off \
        "$@" "$command" >"$log" 2>&1 &
    sysbench_pid=$!
}

# wait_sysbench: waits for the sysbench started last and returns its status.
wait_sysbench() {
    local status=0

    wait "$sysbench_pid" || status=$?
    sysbench_pid=""
    return "$status"
}

# process_alive PID: true while PID runs; a zombie counts as exited.
process_alive() {
    local state

    kill -0 "$1" 2>/dev/null || return 1
    state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
    [[ "$state" != Z ]]
}

script_start=$SECONDS
echo "== topology: proxy in region $PROXY_REGION, workers $WORKERS, health_interval_ms $HEALTH_MS"
for i in "${!servers[@]}"; do
    printf '%s=%s ' "${names[i]}" "${servers[i]}"
done
echo
echo "extra proxy keys: ${PROXY_EXTRA:-(none)}"

echo "== starting six MariaDB servers with the binary log"
SP_CLUSTER_BINLOG=1 "$CLUSTER" start "$WORK/cluster" "${servers[@]}" >"$WORK/cluster.log" 2>&1 || {
    tail -n 30 "$WORK/cluster.log" >&2
    die "cluster.sh start failed"
}
"$CLUSTER" replicate "$WORK/cluster" "$s0_primary" "$s0_eu" "$s0_us" >>"$WORK/cluster.log"
"$CLUSTER" replicate "$WORK/cluster" "$s1_primary" "$s1_eu" "$s1_us" >>"$WORK/cluster.log"
start_proxy main "$main_proxy_port"

echo "== prepare: $TABLES tables x $TABLE_SIZE rows through the proxy"
start_sysbench "$WORK/prepare.log" "$PREPARE_TIMEOUT_S" "$main_proxy_port" prepare --threads="$TABLES"
wait_sysbench || {
    tail -n 30 "$WORK/prepare.log" >&2
    die "sysbench prepare through the proxy failed or took more than ${PREPARE_TIMEOUT_S}s"
}

# Every replica applies its primary's binary log before the reads start.
for primary in "$s0_primary" "$s1_primary"; do
    position=$(sql "$primary" 'SELECT @@gtid_binlog_pos')
    for replica in "${servers[@]}"; do
        [[ "$(cat "$WORK/cluster/$replica.primary-port" 2>/dev/null)" == "$primary" ]] || continue
        [[ "$(sql "$replica" "SELECT MASTER_GTID_WAIT('$position', $REPLICA_WAIT_TIMEOUT_S)")" == 0 ]] ||
            die "the replica on port $replica did not reach GTID position $position within ${REPLICA_WAIT_TIMEOUT_S}s"
    done
done
# A replica that lagged during the prepare needs RISE_CHECKS healthy checks.
sleep "$(awk -v ms="$HEALTH_MS" -v n="$RISE_CHECKS" 'BEGIN { printf "%.3f", ms * (n + 1) / 1000 }')"

echo "== health monitor: Com_select per second over ${IDLE_S}s with the proxy idle"
idle_before=$(counters "${servers[@]}")
sleep "$IDLE_S"
idle_after=$(counters "${servers[@]}")
read -r -a before <<<"$idle_before"
read -r -a after <<<"$idle_after"
idle_rates=()
line=""
for i in "${!servers[@]}"; do
    idle_rates+=("$(awk -v d="$((after[i] - before[i]))" -v s="$IDLE_S" 'BEGIN { printf "%.1f", d / s }')")
    line+="  ${names[i]}=${idle_rates[i]}/s"
done
echo "monitor SELECTs:$line"

# parse_run LOG: prints "tps qps avg_ms p95_ms errors fatal" from a sysbench
# run's output, "-" for each figure that is missing.
parse_run() {
    local log=$1 tps qps avg p95 errors fatal

    tps=$(awk '/^ *transactions:/ { gsub(/[()]/, "", $3); print $3 }' "$log")
    qps=$(awk '/^ *queries:/ { gsub(/[()]/, "", $3); print $3 }' "$log")
    avg=$(awk '/^ *avg:/ { print $2 }' "$log")
    p95=$(awk '/95th percentile:/ { print $3 }' "$log")
    errors=$(awk '/^ *ignored errors:/ { print $3 }' "$log")
    fatal=$(grep -c FATAL "$log" || true)
    echo "${tps:--} ${qps:--} ${avg:--} ${p95:--} ${errors:--} $fatal"
}

# report_errors LOG STATUS: prints sysbench's exit status when it failed, how
# many FATAL lines it wrote and the distinct ones (at most 5), and the last
# second of its per-second report.
report_errors() {
    local log=$1 status=$2 fatal last

    fatal=$(grep -c FATAL "$log" || true)
    if ((status == 0 && fatal == 0)); then
        return 0
    fi
    echo "sysbench exited with status $status and wrote $fatal FATAL lines; the distinct ones:"
    { grep FATAL "$log" | sort | uniq -c | sort -rn | head -n 5; } || true
    last=$(grep -E '^\[ *[0-9]+s \]' "$log" | tail -n 1) || true
    echo "its last per-second report: ${last:-(none)}"
}

# report_reads LABEL BEFORE AFTER SECONDS: prints each server's Com_select
# change and the eu replicas' share of the total, and stores that share in
# eu_share. The health checks' part is estimated as the idle rate times SECONDS.
report_reads() {
    local label=$1 seconds=$4 i delta total=0 eu=0 monitor line=""
    local -a start end

    read -r -a start <<<"$2"
    read -r -a end <<<"$3"
    for i in "${!servers[@]}"; do
        delta=$((end[i] - start[i]))
        total=$((total + delta))
        if [[ "${names[i]}" == *-"$PROXY_REGION" ]]; then
            eu=$((eu + delta))
        fi
        monitor=$(awk -v r="${idle_rates[i]}" -v s="$seconds" 'BEGIN { printf "%.0f", r * s }')
        line+=$(printf '\n  %-12s %10d  (about %d of them health checks)' "${names[i]}" "$delta" "$monitor")
    done
    eu_share=$(awk -v e="$eu" -v t="$total" 'BEGIN { printf "%.1f", (t > 0 ? 100 * e / t : 0) }')
    echo "Com_select change during $label:$line"
    echo "eu replicas: $eu of $total SELECTs on the shards ($eu_share %)"
}

echo "== main run: oltp_read_only through the proxy, $THREADS threads, ${BENCH_TIME}s"
if ((STOP_REPLICA)); then
    echo "s0-$PROXY_REGION (port $s0_eu) gets SIGTERM at ${STOP_AT}s and starts again at ${RESTART_AT}s"
fi
main_before=$(counters "${servers[@]}")
start_sysbench "$WORK/main.log" "$((BENCH_TIME + RUN_GRACE_S))" "$main_proxy_port" run \
    --threads="$THREADS" --time="$BENCH_TIME" --report-interval=1 "${sysbench_options[@]}"
deadline=$((SECONDS + THREADS_START_TIMEOUT_S))
until grep -q '^Threads started!' "$WORK/main.log"; do
    if ! process_alive "$sysbench_pid" || ((SECONDS >= deadline)); then
        cat "$WORK/main.log" >&2
        die "sysbench did not start its threads within ${THREADS_START_TIMEOUT_S}s"
    fi
    sleep 0.05
done
run_start=$EPOCHREALTIME
"$PYTHON" "$SAMPLER" sample "$run_start" "$((BENCH_TIME + 1))" "$SAMPLE_INTERVAL_S" \
    "$WORK/samples.csv" "${servers[@]}" 2>"$WORK/sampler.log" &
sampler_pid=$!

# The Com_select of s0-eu just before the stop, because the restarted server
# counts from 0.
# NOTE: reads that s0-eu runs between this sample and its exit are not counted.
s0_eu_at_stop=""
stop_s=""
restart_s=""
restart_failed=0
if ((STOP_REPLICA)); then
    sleep_until "$STOP_AT"
    s0_eu_at_stop=$(counters "$s0_eu")
    s0_eu_pid=$(cat "$WORK/cluster/$s0_eu.pid") || die "no PID file for s0-$PROXY_REGION"
    cmdline=$(tr '\0' ' ' <"/proc/$s0_eu_pid/cmdline") || die "s0-$PROXY_REGION (PID $s0_eu_pid) is not running"
    [[ "$cmdline" == *mariadbd* && "$cmdline" == *"--datadir=$WORK/cluster/$s0_eu "* ]] ||
        die "PID $s0_eu_pid is not the mariadbd of s0-$PROXY_REGION: $cmdline"
    kill -TERM "$s0_eu_pid"
    stop_s=$(elapsed)
    deadline=$((SECONDS + SERVER_EXIT_TIMEOUT_S))
    while kill -0 "$s0_eu_pid" 2>/dev/null; do
        ((SECONDS < deadline)) ||
            die "s0-$PROXY_REGION (PID $s0_eu_pid) still runs ${SERVER_EXIT_TIMEOUT_S}s after SIGTERM"
        sleep 0.05
    done
    echo "stopped s0-$PROXY_REGION (PID $s0_eu_pid) at ${stop_s}s; it was gone at $(elapsed)s"

    sleep_until "$RESTART_AT"
    restart_s=$(elapsed)
    if SP_CLUSTER_BINLOG=1 "$CLUSTER" start "$WORK/cluster" "$s0_eu" >"$WORK/restart.log" 2>&1; then
        echo "restarted s0-$PROXY_REGION at ${restart_s}s; cluster.sh reported it ready at $(elapsed)s"
    else
        restart_failed=1
        cat "$WORK/restart.log" >&2
        echo "FAIL: restarting s0-$PROXY_REGION failed" >&2
    fi
fi

main_rc=0
wait_sysbench || main_rc=$?
wait "$sampler_pid" || echo "the sampler failed: $(tail -n 3 "$WORK/sampler.log")" >&2
sampler_pid=""
main_after=$(counters "${servers[@]}") || die "reading Com_select after the main run failed"
read -r main_tps main_qps main_avg main_p95 main_errors main_fatal <<<"$(parse_run "$WORK/main.log")"
report_errors "$WORK/main.log" "$main_rc"
if ((main_rc == 0)) && ! grep -q '^ *transactions:' "$WORK/main.log"; then
    main_rc=1
fi

# The restarted s0-eu counts from 0: its change is the count at the stop
# minus the one before the run, plus its count at the end.
if [[ -n "$s0_eu_at_stop" ]]; then
    read -r -a start <<<"$main_before"
    read -r -a end <<<"$main_after"
    end[S0_EU_INDEX]=$((s0_eu_at_stop + end[S0_EU_INDEX]))
    main_after="${end[*]}"
fi
report_reads "the main run" "$main_before" "$main_after" "$BENCH_TIME"
main_share=$eu_share

if ((STOP_REPLICA)); then
    echo "== s0 around the stop and the restart of s0-$PROXY_REGION"
    labels=$(IFS=,; echo "${names[*]}")
    "$PYTHON" "$SAMPLER" timeline "$WORK/samples.csv" "$stop_s" "$restart_s" \
        "${idle_rates[S0_EU_INDEX]}" "$labels" \
        "s0-$PROXY_REGION" s0-primary "s0-$OTHER_REGION" >"$WORK/timeline.txt" ||
        echo "summary: the timeline of $WORK/samples.csv failed" >>"$WORK/timeline.txt"
    grep -v '^summary:' "$WORK/timeline.txt" || true
fi
echo "proxy log, replica_down and replica_up, with the second of the run:"
grep -E 'event=replica_(down|up)' "$WORK/proxy-main.log" >"$WORK/replica-events" || true
while read -r event_line; do
    event_ts=${event_line#ts=}
    event_ts=${event_ts%% *}
    event_s=$(awk -v t="$(date -d "$event_ts" +%s.%N)" -v t0="$run_start" 'BEGIN { printf "%.1f", t - t0 }')
    echo "  [${event_s}s] $event_line"
done <"$WORK/replica-events"
[[ -s "$WORK/replica-events" ]] || echo "  (none)"

echo "== second pass: the proxy without SP_BENCH_PROXY_EXTRA, ${SECOND_TIME}s"
if [[ -z "$PROXY_EXTRA" ]]; then
    echo "SP_BENCH_PROXY_EXTRA is empty, so this proxy has the same configuration as the main run"
fi
sp_stop_pid "$main_proxy_pid" "$PROXY_STOP_TIMEOUT_S"
main_proxy_pid=""
start_proxy plain "$plain_proxy_port"
# Each replica joins the read set at its first healthy check.
sleep "$(awk -v ms="$HEALTH_MS" 'BEGIN { printf "%.3f", 2 * ms / 1000 }')"
plain_before=$(counters "${servers[@]}")
start_sysbench "$WORK/plain.log" "$((SECOND_TIME + RUN_GRACE_S))" "$plain_proxy_port" run \
    --threads="$THREADS" --time="$SECOND_TIME" --report-interval=0 "${sysbench_options[@]}"
plain_rc=0
wait_sysbench || plain_rc=$?
plain_after=$(counters "${servers[@]}") || die "reading Com_select after the second pass failed"
read -r plain_tps plain_qps plain_avg plain_p95 plain_errors plain_fatal <<<"$(parse_run "$WORK/plain.log")"
report_errors "$WORK/plain.log" "$plain_rc"
report_reads "the second pass" "$plain_before" "$plain_after" "$SECOND_TIME"
plain_share=$eu_share

echo "== rows per table (COUNT(*) on the primaries)"
rows_ok=1
for ((table = 1; table <= TABLES; table++)); do
    s0_rows=$(sql "$s0_primary" "SELECT COUNT(*) FROM sbtest.sbtest$table") || s0_rows=0
    s1_rows=$(sql "$s1_primary" "SELECT COUNT(*) FROM sbtest.sbtest$table") || s1_rows=0
    echo "sbtest$table: s0 $s0_rows + s1 $s1_rows = $((s0_rows + s1_rows))"
    ((s0_rows + s1_rows == TABLE_SIZE)) || rows_ok=0
done

echo "== summary"
printf '%-12s %6s %9s %10s %8s %8s %7s %6s %9s\n' \
    run seconds tps qps avg_ms p95_ms errors fatal eu_share
printf '%-12s %6s %9s %10s %8s %8s %7s %6s %8s%%\n' \
    main "$BENCH_TIME" "$main_tps" "$main_qps" "$main_avg" "$main_p95" "$main_errors" "$main_fatal" "$main_share"
printf '%-12s %6s %9s %10s %8s %8s %7s %6s %8s%%\n' \
    "without-extra" "$SECOND_TIME" "$plain_tps" "$plain_qps" "$plain_avg" "$plain_p95" "$plain_errors" \
    "$plain_fatal" "$plain_share"
if ((STOP_REPLICA)); then
    grep '^summary:' "$WORK/timeline.txt" | sed 's/^summary: /s0-eu stop and restart: /'
fi
echo "total time: $((SECONDS - script_start)) s"

failed=0
for rc_errors in "$main_rc $main_errors $main_fatal" "$plain_rc $plain_errors $plain_fatal"; do
    read -r rc errors fatal <<<"$rc_errors"
    if [[ "$rc" != 0 || "$errors" != 0 || "$fatal" != 0 ]]; then
        failed=1
    fi
done
((restart_failed == 0 && rows_ok == 1)) || failed=1
if ((failed)); then
    echo "FAIL: a sysbench run failed or reported errors, the restart failed, or a table lost rows"
    exit 1
fi
echo "PASS: no sysbench errors, every table has $TABLE_SIZE rows"
