#!/usr/bin/env bash
# Kill one shard with SIGKILL during a sysbench run through shardproxy, start
# it again, and check that the proxy survives and recovers.
#
#   bench/shard_restart.sh [PROXY_BINARY]     (default: build/shardproxy)
#
# Starts two MariaDB shards with scripts/cluster.sh and the proxy in front of
# them, prepares 4 tables of 10,000 rows through the proxy, then runs sysbench
# (oltp_point_select by default, server-side prepared statements) with 8
# threads for SP_BENCH_TIME seconds (default 40), --report-interval=1 and
# --mysql-ignore-errors=all. Sysbench 1.0.20 has no --reconnect option.
# With "all" it counts every error as ignored and retries the event. After a
# lost connection (client errors 2006, 2011, 2013, 2055) it also reconnects,
# prepares its statements again and counts a reconnect. Both are in check_error
# of its drv_mysql.c and the before_restart_event hook of oltp_common.lua.
# --verbosity=5 makes it log the text of each ignored error.
# SP_KILL_AT seconds (default 10) after sysbench's threads start, shard s1's
# mariadbd gets SIGKILL (the PID from its PID file, after checking that the
# PID is that server). SP_RESTART_AT seconds (default 20) after the start,
# cluster.sh starts s1 again on the same port and data directory.
#
# Next to sysbench, one client (python3 with pymysql) sends point selects
# through the proxy, alternating between ids stored on s0 and on s1 (read
# from each shard after the prepare), and counts successes and errors per
# second and shard. The script fails unless all of these hold:
#   - the proxy process is alive for the whole run and after it, and returns
#     1 for SELECT 1;
#   - sysbench finishes, reports errors or reconnects while s1 is down, each
#     ignored error names shard s1, and it reports no errors in its last 10
#     seconds;
#   - the transactions per second of the last 10 seconds are at least
#     SP_RECOVERY_MIN_PCT percent (default 50) of those of the first 10;
#   - the s0 ids never fail and succeed in every second of the outage, and
#     the s1 ids fail during the outage and succeed again after the restart;
#   - the proxy's log has a backend_lost or backend_connect_failed line for
#     s1 after the kill (connect failures are logged at most once a second,
#     with the count of the others), none for s0, a backend_reachable line
#     for s1 after the restart and no s1 warning or error after that line;
#   - every table still has 10,000 rows, counted on the shards and through
#     the proxy.
# Everything started here is stopped by PID on exit.
#
# Environment: SP_BENCH_TIME (run length in seconds, default 40; at least
# SP_RESTART_AT + 15), SP_BENCH_THREADS (default 8), SP_BENCH_WORKERS (proxy
# worker threads, default 2), SP_BENCH_WORKLOAD (sysbench test, default
# oltp_point_select; oltp_read_write was also tried and passed), SP_KILL_AT,
# SP_RESTART_AT, SP_RECOVERY_MIN_PCT.
# Not part of the test suite: it takes about a minute and needs sysbench and
# the mariadb client.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROXY=$(realpath "${1:-$ROOT/build/shardproxy}")
CLUSTER="$ROOT/scripts/cluster.sh"
# shellcheck source=tests/lib.sh
source "$ROOT/tests/lib.sh"
BENCH_TIME=${SP_BENCH_TIME:-40}
THREADS=${SP_BENCH_THREADS:-8}
WORKERS=${SP_BENCH_WORKERS:-2}
WORKLOAD=${SP_BENCH_WORKLOAD:-oltp_point_select}
KILL_AT=${SP_KILL_AT:-10}
RESTART_AT=${SP_RESTART_AT:-20}
RECOVERY_MIN_PCT=${SP_RECOVERY_MIN_PCT:-50}
readonly TABLES=4
readonly TABLE_SIZE=10000
readonly WINDOW_S=10
readonly PROXY_READY_TIMEOUT_S=30
readonly PROXY_STOP_TIMEOUT_S=5
readonly THREADS_START_TIMEOUT_S=30
readonly SERVER_EXIT_TIMEOUT_S=10
readonly PROBE_KEYS=50

die() {
    echo "shard_restart.sh: $*" >&2
    exit 1
}

[[ -x "$PROXY" ]] || die "proxy binary not found: $PROXY (build it first, or pass its path)"
command -v sysbench >/dev/null || die "sysbench not found; install the sysbench package"
sp_find_python || die "no python3 can import pymysql and xxhash; install python3-pymysql and python3-xxhash"
((KILL_AT >= WINDOW_S && RESTART_AT > KILL_AT && BENCH_TIME >= RESTART_AT + WINDOW_S + 5)) ||
    die "invalid timing: need SP_KILL_AT >= $WINDOW_S, SP_RESTART_AT > SP_KILL_AT and SP_BENCH_TIME >= SP_RESTART_AT + $((WINDOW_S + 5))"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sp-restart.XXXXXX")
proxy_pid=""
background_pids=()

# shellcheck disable=SC2317  # called through the EXIT trap
cleanup() {
    local pid

    trap - EXIT INT TERM
    for pid in "${background_pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    sp_stop_pid "$proxy_pid" "$PROXY_STOP_TIMEOUT_S"
    "$CLUSTER" stop "$WORK/cluster" >/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

failures=()
check() {
    local description=$1
    shift

    if "$@"; then
        echo "PASS  $description"
    else
        echo "FAIL  $description"
        failures+=("$description")
    fi
}

# True while PID runs; a zombie counts as exited.
process_alive() {
    local pid=$1 state

    kill -0 "$pid" 2>/dev/null || return 1
    state=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
    [[ "$state" != Z ]]
}

utc_now() {
    date -u +%Y-%m-%dT%H:%M:%S.%3NZ
}

# Seconds since sysbench's threads started, with millisecond precision.
elapsed() {
    awk -v now="$EPOCHREALTIME" -v t0="$run_start" 'BEGIN { printf "%.3f", now - t0 }'
}

sleep_until() {
    local target=$1 wait_s

    wait_s=$(awk -v now="$EPOCHREALTIME" -v t0="$run_start" -v t="$target" \
        'BEGIN { d = t0 + t - now; printf "%.3f", (d > 0 ? d : 0) }')
    sleep "$wait_s"
}

read -r proxy_port shard0_port shard1_port <<<"$(sp_free_ports 3)"

"$CLUSTER" start "$WORK/cluster" "$shard0_port" "$shard1_port"

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
  "tables": [{"name": "sbtest*", "shard_key": "id"}]
}
JSON

"$PROXY" --config "$WORK/proxy.json" 2>"$WORK/proxy.log" &
proxy_pid=$!
if ! sp_wait_proxy_ready "$proxy_port" "$proxy_pid" "$PROXY_READY_TIMEOUT_S"; then
    tail -n 30 "$WORK/proxy.log" >&2
    die "the proxy did not accept connections within ${PROXY_READY_TIMEOUT_S}s"
fi

# sql PORT STATEMENT: one statement as app, tab-separated output.
sql() {
    timeout 20 mariadb --no-defaults --connect-timeout=5 -h127.0.0.1 -P"$1" -uapp -papp-pass \
        -N -B sbtest -e "$2"
}

# Sysbench through the proxy; an array so that timeout(1) can run it.
sysbench_cmd=(sysbench "$WORKLOAD" --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$proxy_port"
    --mysql-user=app --mysql-password=app-pass --mysql-db=sbtest
    --tables="$TABLES" --table-size="$TABLE_SIZE" --auto_inc=off)

echo "== prepare: $TABLES tables x $TABLE_SIZE rows through the proxy"
"${sysbench_cmd[@]}" prepare >"$WORK/prepare.log" || {
    cat "$WORK/prepare.log" >&2
    die "sysbench prepare through the proxy failed"
}

# Ids that the prepare stored on each shard, for the probe client.
s0_keys=$(sql "$shard0_port" "SELECT id FROM sbtest1 ORDER BY id LIMIT $PROBE_KEYS" | paste -sd,)
s1_keys=$(sql "$shard1_port" "SELECT id FROM sbtest1 ORDER BY id LIMIT $PROBE_KEYS" | paste -sd,)
[[ -n "$s0_keys" && -n "$s1_keys" ]] || die "sbtest1 has no rows on one of the shards"

# The probe client: point selects through the proxy, alternating s0 and s1
# ids, at most 50 a second so that it adds little load. Writes
# "second shard ok errors" lines to OUT and each distinct error once, with
# its count and first and last second, to OUT.errors. A statement that takes
# longer than 5 s counts as an error (a timeout), so a hung proxy shows up.
cat >"$WORK/probe.py" <<'PY'
import sys, time
import pymysql

port, start, duration = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
keys = {"s0": [int(k) for k in sys.argv[4].split(",")], "s1": [int(k) for k in sys.argv[5].split(",")]}
out = sys.argv[6]
counts = {}
errors = {}
conn = None
i = 0
while time.time() < start + duration:
    shard = "s0" if i % 2 == 0 else "s1"
    key = keys[shard][(i // 2) % len(keys[shard])]
    i += 1
    second = int(time.time() - start) + 1
    try:
        if conn is None:
            conn = pymysql.connect(host="127.0.0.1", port=port, user="app", password="app-pass",
                                   database="sbtest", autocommit=True, connect_timeout=5,
                                   read_timeout=5, write_timeout=5)
        with conn.cursor() as cur:
            cur.execute("SELECT id FROM sbtest1 WHERE id = %s", (key,))
            rows = cur.fetchall()
        if len(rows) != 1 or rows[0][0] != key:
            raise RuntimeError(f"id {key} returned {rows!r}")
        ok = True
    except Exception as exc:  # every failure is counted and reported, none ends the probe
        ok = False
        message = f"{type(exc).__name__}: {exc}"
        first, last, n = errors.get((shard, message), (second, second, 0))
        errors[(shard, message)] = (first, second, n + 1)
        code = exc.args[0] if exc.args else None
        if isinstance(exc, (pymysql.err.OperationalError, pymysql.err.InterfaceError)) and \
                code in (2006, 2013, 0):
            try:
                conn.close()
            except Exception:
                pass
            conn = None
    entry = counts.setdefault((second, shard), [0, 0])
    entry[0 if ok else 1] += 1
    time.sleep(0.02)

with open(out, "w") as f:
    for (second, shard), (ok, err) in sorted(counts.items()):
        f.write(f"{second} {shard} {ok} {err}\n")
with open(out + ".errors", "w") as f:
    for (shard, message), (first, last, n) in sorted(errors.items(), key=lambda e: e[1][0]):
        f.write(f"{shard} seconds {first}-{last} count {n}: {message}\n")
PY

echo "== $WORKLOAD, $THREADS threads, ${BENCH_TIME}s; SIGKILL to s1 at ${KILL_AT}s, restart at ${RESTART_AT}s"
: >"$WORK/run.log"
timeout --kill-after=5 $((BENCH_TIME + 60)) \
    "${sysbench_cmd[@]}" --threads="$THREADS" --time="$BENCH_TIME" --report-interval=1 \
    --mysql-ignore-errors=all --verbosity=5 run >"$WORK/run.log" 2>&1 &
sysbench_pid=$!
background_pids+=("$sysbench_pid")

deadline=$((SECONDS + THREADS_START_TIMEOUT_S))
until grep -q '^Threads started!' "$WORK/run.log"; do
    if ! process_alive "$sysbench_pid" || ((SECONDS >= deadline)); then
        cat "$WORK/run.log" >&2
        die "sysbench did not start its threads within ${THREADS_START_TIMEOUT_S}s"
    fi
    sleep 0.05
done
run_start=$EPOCHREALTIME

"$PYTHON" "$WORK/probe.py" "$proxy_port" "$run_start" "$BENCH_TIME" "$s0_keys" "$s1_keys" \
    "$WORK/probe" 2>"$WORK/probe.stderr" &
probe_pid=$!
background_pids+=("$probe_pid")

# Checks the proxy every 0.2 s until the run ends; writes the time of its
# exit to proxy-exited.
(
    while [[ ! -e "$WORK/run-done" ]]; do
        if ! process_alive "$proxy_pid"; then
            elapsed >"$WORK/proxy-exited"
            exit 0
        fi
        sleep 0.2
    done
) &
monitor_pid=$!
background_pids+=("$monitor_pid")

sleep_until "$KILL_AT"
s1_pid=$(cat "$WORK/cluster/$shard1_port.pid") || die "no PID file for s1"
cmdline=$(tr '\0' ' ' <"/proc/$s1_pid/cmdline") || die "s1 (PID $s1_pid) is not running"
[[ "$cmdline" == *mariadbd* && "$cmdline" == *"--datadir=$WORK/cluster/$shard1_port "* ]] ||
    die "PID $s1_pid is not the mariadbd of s1: $cmdline"
kill_utc=$(utc_now)
kill -KILL "$s1_pid"
kill_s=$(elapsed)
deadline=$((SECONDS + SERVER_EXIT_TIMEOUT_S))
while process_alive "$s1_pid"; do
    ((SECONDS < deadline)) || die "timed out: s1 (PID $s1_pid) still runs ${SERVER_EXIT_TIMEOUT_S}s after SIGKILL"
    sleep 0.05
done
echo "killed s1 (PID $s1_pid) at ${kill_s}s"

sleep_until "$RESTART_AT"
restart_utc=$(utc_now)
restart_s=$(elapsed)
"$CLUSTER" start "$WORK/cluster" "$shard1_port" >"$WORK/restart.log" 2>&1 || {
    cat "$WORK/restart.log" >&2
    die "restarting s1 failed"
}
ready_s=$(elapsed)
echo "restarted s1 at ${restart_s}s; cluster.sh reported it ready at ${ready_s}s (PID $(cat "$WORK/cluster/$shard1_port.pid"))"

sysbench_rc=0
wait "$sysbench_pid" || sysbench_rc=$?
wait "$probe_pid" || true
touch "$WORK/run-done"
wait "$monitor_pid" || true
background_pids=()

echo "== sysbench per-second report (tps, err/s, reconn/s)"
# Rows of "second tps errors reconnects" from lines such as
# "[ 12s ] thds: 8 tps: 4000.00 qps: ... err/s: 3.00 reconn/s: 0.00".
awk '/^\[ *[0-9]+s \]/ {
        s = $2; sub(/s$/, "", s)
        for (i = 3; i < NF; i++) {
            if ($i == "tps:") tps = $(i + 1)
            if ($i == "err/s:") err = $(i + 1)
            if ($i == "reconn/s:") rec = $(i + 1)
        }
        print s, tps, err, rec
    }' "$WORK/run.log" >"$WORK/seconds"
awk '{ printf "%s%3ds %6.0f %5.0f %2.0f", (NR % 4 == 1 ? "" : "  |  "), $1, $2, $3, $4 }
    NR % 4 == 0 { print "" }
    END { if (NR % 4 != 0) print "" }' "$WORK/seconds"

# phase FIRST LAST: "tps errors reconnects" over sysbench seconds FIRST..LAST,
# tps as the mean per second, errors and reconnects as totals.
phase() {
    awk -v a="$1" -v b="$2" '$1 >= a && $1 <= b { n++; tps += $2; err += $3; rec += $4 }
        END { printf "%.1f %.0f %.0f\n", (n ? tps / n : 0), err, rec }' "$WORK/seconds"
}

outage_last=$(awk -v r="$ready_s" 'BEGIN { printf "%d", (r == int(r) ? r : int(r) + 1) }')
read -r tps_before err_before rec_before <<<"$(phase 1 "$WINDOW_S")"
read -r tps_outage err_outage rec_outage <<<"$(phase "$((KILL_AT + 1))" "$outage_last")"
read -r tps_restart err_restart rec_restart <<<"$(phase "$((outage_last + 1))" "$((BENCH_TIME - WINDOW_S))")"
read -r tps_after err_after rec_after <<<"$(phase "$((BENCH_TIME - WINDOW_S + 1))" "$BENCH_TIME")"
# The first second after the restart in which sysbench reported no errors.
first_clean=$(awk -v a="$outage_last" '$1 > a && $3 == 0 { print $1; exit }' "$WORK/seconds")
recovery_pct=$(awk -v a="$tps_after" -v b="$tps_before" 'BEGIN { printf "%.0f", (b > 0 ? 100 * a / b : 0) }')

printf '%-34s %9s %8s %10s\n' phase "tps/s" errors reconnects
printf '%-34s %9.1f %8d %10d\n' "before (1-${WINDOW_S}s)" "$tps_before" "$err_before" "$rec_before"
printf '%-34s %9.1f %8d %10d\n' "s1 down ($((KILL_AT + 1))-${outage_last}s)" "$tps_outage" "$err_outage" "$rec_outage"
printf '%-34s %9.1f %8d %10d\n' "after restart ($((outage_last + 1))-$((BENCH_TIME - WINDOW_S))s)" \
    "$tps_restart" "$err_restart" "$rec_restart"
printf '%-34s %9.1f %8d %10d\n' "last ${WINDOW_S}s ($((BENCH_TIME - WINDOW_S + 1))-${BENCH_TIME}s)" \
    "$tps_after" "$err_after" "$rec_after"
echo "last ${WINDOW_S}s / first ${WINDOW_S}s tps: ${recovery_pct}%; first second without errors after the restart: ${first_clean:-none}"
awk '/^ *(transactions|ignored errors|reconnects):/' "$WORK/run.log"
# --verbosity=5 makes sysbench log each error that it ignores. Its logger
# prints a run of equal messages once, then "(last message repeated N
# times)" before the next different one. The per-second reports do not
# take part in that.
echo "errors that sysbench ignored (count, text):"
awk '/^\[ *[0-9]+s \]/ { next }
    /^\(last message repeated [0-9]+ times\)/ { if (last != "") count[last] += $4; next }
    { last = "" }
    /Ignoring error / { sub(/^.*Ignoring error /, ""); sub(/, *$/, ""); last = $0; count[last]++ }
    END { for (m in count) printf "%8d %s\n", count[m], m }' "$WORK/run.log" | sort -rn >"$WORK/ignored"
sed 's/^/  /' "$WORK/ignored"
ignored_total=$(awk '/^ *ignored errors:/ { print $3 }' "$WORK/run.log")
ignored_other=$(awk '!/ shard s1 / { n += $1 } END { print n + 0 }' "$WORK/ignored")

echo "== probe client (point selects through the proxy on ids stored on each shard)"
[[ -s "$WORK/probe" ]] || {
    cat "$WORK/probe.stderr" >&2
    die "the probe client wrote no results"
}
# probe_sum SHARD FIRST LAST: "ok errors" of SHARD over seconds FIRST..LAST.
probe_sum() {
    awk -v sh="$1" -v a="$2" -v b="$3" '$2 == sh && $1 >= a && $1 <= b { ok += $3; err += $4 }
        END { printf "%d %d\n", ok, err }' "$WORK/probe"
}
read -r s0_ok s0_err <<<"$(probe_sum s0 1 "$BENCH_TIME")"
read -r s0_outage_ok _ <<<"$(probe_sum s0 "$((KILL_AT + 1))" "$outage_last")"
s0_quiet_seconds=$(awk -v a="$((KILL_AT + 1))" -v b="$outage_last" '
    $2 == "s0" && $1 >= a && $1 <= b && $3 > 0 { seen[$1] = 1 }
    END { for (s = a; s <= b; s++) if (!(s in seen)) n++; print n + 0 }' "$WORK/probe")
read -r s1_outage_ok s1_outage_err <<<"$(probe_sum s1 "$((KILL_AT + 1))" "$outage_last")"
read -r s1_after_ok s1_after_err <<<"$(probe_sum s1 "$((BENCH_TIME - WINDOW_S + 1))" "$BENCH_TIME")"
s1_back=$(awk -v r="$ready_s" '$2 == "s1" && $1 > r && $3 > 0 { print $1; exit }' "$WORK/probe")
echo "s0 ids: ok=$s0_ok errors=$s0_err (while s1 was down: ok=$s0_outage_ok, seconds without a success=$s0_quiet_seconds)"
echo "s1 ids: while down ok=$s1_outage_ok errors=$s1_outage_err; last ${WINDOW_S}s ok=$s1_after_ok errors=$s1_after_err; first success after the restart in second ${s1_back:-none}"
if [[ -s "$WORK/probe.errors" ]]; then
    echo "probe errors:"
    sed 's/^/  /' "$WORK/probe.errors"
fi

echo "== proxy log"
loss_events='event=(backend_lost|backend_connect_failed|held_backend_lost)'
s1_lost=$(awk -v t="ts=$kill_utc" -v e="$loss_events" '$1 > t && $0 ~ e && / shard=s1 /' \
    "$WORK/proxy.log" | wc -l)
s0_lost=$(awk -v e="$loss_events" '$0 ~ e && / shard=s0 /' "$WORK/proxy.log" | wc -l)
# The first connection to s1 after the restart was launched marks the recovery.
# cluster.sh returns later, after it has set up the accounts.
first_ready=$(awk -v t="ts=$restart_utc" '$1 > t && /event=backend_reachable/ && / shard=s1 /' \
    "$WORK/proxy.log" | head -n 1)
s1_failed_late=0
if [[ -n "$first_ready" ]]; then
    recovered_utc=${first_ready%% *}
    recovered_s=$(awk -v t="$(date -u -d "${recovered_utc#ts=}" +%s.%N)" -v t0="$run_start" \
        'BEGIN { printf "%.3f", t - t0 }')
    s1_failed_late=$(awk -v t="$recovered_utc" '$1 > t && /level=(error|warn)/ && / shard=s1 /' \
        "$WORK/proxy.log" | wc -l)
fi
for event in backend_lost backend_connect_failed held_backend_lost; do
    echo "$event lines for s1: $(grep -c "event=$event .*shard=s1 " "$WORK/proxy.log" || true)"
done
echo "log size: $(wc -l <"$WORK/proxy.log") lines, $(du -k "$WORK/proxy.log" | cut -f1) KiB"
echo "first and last s1 loss lines:"
grep -E "$loss_events .*shard=s1 " "$WORK/proxy.log" | sed -n '1p;$p' | sed 's/^/  /'
echo "first new s1 connection after the restart (at ${recovered_s:-none}s), then $s1_failed_late s1 warnings or errors:"
echo "  ${first_ready:-none}"
echo "other warnings and errors (count, event):"
grep -E 'level=(warn|error)' "$WORK/proxy.log" | grep -vE "$loss_events" |
    sed -E 's/.*(event=[a-z_]+).*/\1/' | sort | uniq -c | sed 's/^/  /' || true

echo "== rows per table (on each shard, and through the proxy)"
rows_intact=true
for ((table = 1; table <= TABLES; table++)); do
    on_s0=$(sql "$shard0_port" "SELECT COUNT(*) FROM sbtest$table") || on_s0=-1
    on_s1=$(sql "$shard1_port" "SELECT COUNT(*) FROM sbtest$table") || on_s1=-1
    through_proxy=$(sql "$proxy_port" "SELECT COUNT(*) FROM sbtest$table") || through_proxy=-1
    echo "sbtest$table s0=$on_s0 s1=$on_s1 sum=$((on_s0 + on_s1)) through the proxy=$through_proxy"
    if ((on_s0 + on_s1 != TABLE_SIZE || through_proxy != TABLE_SIZE)); then
        rows_intact=false
    fi
done

echo "== checks"
proxy_answer=$(sql "$proxy_port" "SELECT 1" 2>&1) || true
check "proxy alive during the run" test ! -e "$WORK/proxy-exited"
check "proxy alive after the run" process_alive "$proxy_pid"
check "proxy returns 1 for SELECT 1 after the run (got: $proxy_answer)" test "$proxy_answer" = 1
check "sysbench exit status 0 (got $sysbench_rc)" test "$sysbench_rc" -eq 0
check "sysbench errors or reconnects while s1 was down ($err_outage, $rec_outage)" \
    test $((err_outage + rec_outage)) -gt 0
check "every error that sysbench ignored names shard s1 ($ignored_other others of ${ignored_total:-?})" \
    test "$ignored_other" -eq 0
check "no sysbench errors or reconnects in the last ${WINDOW_S}s ($err_after, $rec_after)" \
    test $((err_after + rec_after)) -eq 0
check "last ${WINDOW_S}s tps at least ${RECOVERY_MIN_PCT}% of the first ${WINDOW_S}s (${recovery_pct}%)" \
    test "$recovery_pct" -ge "$RECOVERY_MIN_PCT"
check "s0 ids never failed ($s0_err errors)" test "$s0_err" -eq 0
check "s0 ids succeeded in every second while s1 was down ($s0_quiet_seconds seconds without)" \
    test "$s0_quiet_seconds" -eq 0
check "s1 ids failed while s1 was down ($s1_outage_err errors)" test "$s1_outage_err" -gt 0
check "s1 ids succeeded in the last ${WINDOW_S}s without errors ($s1_after_ok ok, $s1_after_err errors)" \
    test "$s1_after_ok" -gt 0 -a "$s1_after_err" -eq 0
check "proxy log shows s1 lost after the kill ($s1_lost lines)" test "$s1_lost" -gt 0
check "proxy log shows no s0 loss ($s0_lost lines)" test "$s0_lost" -eq 0
check "proxy log shows a new s1 connection after the restart" test -n "$first_ready"
check "proxy log shows no s1 failure after that connection ($s1_failed_late lines)" \
    test "$s1_failed_late" -eq 0
check "every table has $TABLE_SIZE rows" "$rows_intact"

if ((${#failures[@]} > 0)); then
    echo "== last 40 lines of the proxy log" >&2
    tail -n 40 "$WORK/proxy.log" >&2
    die "${#failures[@]} check(s) failed"
fi
echo "all checks passed"
