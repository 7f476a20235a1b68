#!/usr/bin/env bash
# Differential test: the proxy must return what one MariaDB server returns.
#
#   tests/differential/run.sh PROXY_BINARY [--allow-unsupported] [--filter REGEX]
#                             [--ps-client PATH | --no-ps] [LAYOUT...]
#
# Starts a reference MariaDB and three shard servers (scripts/cluster.sh) on
# free loopback ports and loads dataset.sql into the reference once. It
# first checks the corpus itself: every case must give the same result on
# a copy of the data stored in another row order, or its result depends on
# how one server breaks ties.
#
# Then it takes each LAYOUT in turn (default: every layout that
# difftest.py defines). It writes the proxy config, starts the proxy, loads
# dataset.sql through it and checks which shard each row landed on. It runs
# every case of corpus/*.sql on the reference and on the proxy and compares
# the results. It then runs every case again as a prepared statement
# through ps_client, with the query's literals bound as parameters, and
# compares the binary result with the reference's text result (the "/ps"
# lines of the summary). The corpus check does the same on the reference
# itself, which checks ps_client and the parameter rules. It stops the
# proxy with SIGTERM (exit status 0 required within 5 s), checks the proxy
# log for sanitizer reports and drops the tables on the shards directly.
#
# The last line is "N passed, M failed", and the exit status is 1 when
# anything failed.
#
# --allow-unsupported  count proxy error 1235 ("not supported yet") as
#                      unsupported instead of failed
# --filter REGEX       run only the cases whose id (file:line) or query matches
# --ps-client PATH     the ps_client binary (default: ps_client next to
#                      PROXY_BINARY, where the CMake target ps_client puts it)
# --no-ps              skip the prepared-statement passes
#
# Everything it started is stopped by PID on exit, also on failure or
# interrupt, and the temporary directory is removed (SP_KEEP_WORKDIR=1
# keeps it).
set -euo pipefail

readonly PROXY_READY_TIMEOUT_S=30
readonly PROXY_STOP_TIMEOUT_S=5
readonly SHARD_COUNT=3

die() {
    echo "run.sh: $*" >&2
    exit 1
}

usage() {
    die "usage: run.sh PROXY_BINARY [--allow-unsupported] [--filter REGEX] [--ps-client PATH | --no-ps] [LAYOUT...]"
}

(($# >= 1)) || usage
PROXY=$(realpath "$1")
shift
[[ -x "$PROXY" ]] || die "proxy binary not found or not executable: $PROXY"

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CLUSTER="$ROOT/scripts/cluster.sh"
DIFFTEST="$HERE/difftest.py"

# shellcheck source=tests/lib.sh
source "$ROOT/tests/lib.sh"
sp_find_python || die "no python3 with the pymysql and xxhash modules; install python3-pymysql python3-xxhash"
export PYTHONDONTWRITEBYTECODE=1
# Show each case's report as it happens, not when the pipe buffer fills.
export PYTHONUNBUFFERED=1

run_options=()
layouts=()
filter=""
PS_CLIENT="$(dirname "$PROXY")/ps_client"
run_ps=1
while (($# > 0)); do
    case "$1" in
    --allow-unsupported) run_options+=(--allow-unsupported) ;;
    --filter)
        (($# >= 2)) || usage
        filter=$2
        run_options+=(--filter "$filter")
        shift
        ;;
    --ps-client)
        (($# >= 2)) || usage
        PS_CLIENT=$2
        shift
        ;;
    --no-ps) run_ps=0 ;;
    -*) usage ;;
    *) layouts+=("$1") ;;
    esac
    shift
done
read -r -a known_layouts <<<"$("$PYTHON" "$DIFFTEST" layouts)"
if ((${#layouts[@]} == 0)); then
    layouts=("${known_layouts[@]}")
fi
for layout in "${layouts[@]}"; do
    [[ " ${known_layouts[*]} " == *" $layout "* ]] || die "unknown layout '$layout' (known: ${known_layouts[*]})"
done
if ((run_ps)); then
    [[ -x "$PS_CLIENT" ]] || die "ps_client not found or not executable: $PS_CLIENT; build the" \
        "ps_client target, pass --ps-client PATH, or skip the prepared-statement passes with --no-ps"
    PS_CLIENT=$(realpath "$PS_CLIENT")
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sp-differential.XXXXXX")
EXTRA_FAILURES="$WORK/extra-failures"
proxy_pid=""
proxy_log=""

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
        if [[ -s "$proxy_log" ]]; then
            echo "---- last 40 lines of the proxy log ($proxy_log) ----" >&2
            tail -n 40 "$proxy_log" >&2
            echo "---- end of the proxy log ----" >&2
        fi
    fi
    "$CLUSTER" stop "$WORK/cluster" >/dev/null || true

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

sp_start_watcher "$WORK" "$CLUSTER" "$WORK/proxy-"

wait_proxy_ready() {
    sp_wait_proxy_ready "$proxy_port" "$proxy_pid" "$PROXY_READY_TIMEOUT_S"
}

# Send SIGTERM and require a clean exit (status 0) within the stop timeout.
# Otherwise returns 1 with the problem in stop_problem. It runs in this
# shell, not in a $(...) subshell, because only this shell can wait for
# the proxy.
stop_proxy_checked() {
    local deadline rc=0

    stop_problem=""
    if ! proxy_running; then
        wait "$proxy_pid" || rc=$?
        proxy_pid=""
        stop_problem="the proxy exited before the end of the run with status $rc"
        return 1
    fi
    kill -TERM "$proxy_pid"
    deadline=$((SECONDS + PROXY_STOP_TIMEOUT_S))
    while proxy_running && ((SECONDS < deadline)); do
        sleep 0.1
    done
    if proxy_running; then
        kill -KILL "$proxy_pid" 2>/dev/null || true
        wait "$proxy_pid" 2>/dev/null || true
        proxy_pid=""
        stop_problem="the proxy did not exit within ${PROXY_STOP_TIMEOUT_S}s of SIGTERM (killed)"
        return 1
    fi
    wait "$proxy_pid" || rc=$?
    proxy_pid=""
    if ((rc != 0)); then
        stop_problem="the proxy exited with status $rc after SIGTERM (expected 0)"
        return 1
    fi
}

# Reap a proxy that exited during startup, or stop one that never became ready.
discard_proxy() {
    if proxy_running; then
        kill -KILL "$proxy_pid" 2>/dev/null || true
    fi
    wait "$proxy_pid" 2>/dev/null || true
    proxy_pid=""
}

check_sanitizer_reports() {
    local log=$1

    if grep -E -q 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log"; then
        echo "sanitizer reports in the proxy log:" >&2
        grep -E -A 30 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log" | head -n 120 >&2
        return 1
    fi
}

# Record a failure that belongs to a layout but to no corpus case.
record_failure() {
    echo "[$1] $2" | tee -a "$EXTRA_FAILURES" >&2
}

run_layout() {
    local layout=$1
    local config="$WORK/proxy-$layout.json"
    local results="$WORK/results-$layout.json"
    local ps_results="$WORK/results-$layout-ps.json"
    local reason
    local ps_run_args=() ps_skip_args=()

    if ((run_ps)); then
        ps_run_args=(--ps-client "$PS_CLIENT" --ps-results "$ps_results")
        ps_skip_args=(--ps-results "$ps_results")
    fi

    proxy_log="$WORK/proxy-$layout.log"
    echo "==== layout $layout"
    "$PYTHON" "$DIFFTEST" config "$layout" --proxy-port "$proxy_port" \
        --shard-ports "$shard_ports_csv" --output "$config"

    # ASAN_OPTIONS and UBSAN_OPTIONS only matter to a sanitizer build.
    ASAN_OPTIONS="detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
    UBSAN_OPTIONS="print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}" \
        "$PROXY" --config "$config" >"$proxy_log" 2>&1 &
    proxy_pid=$!
    echo "$proxy_pid" >"$WORK/proxy.pid"

    if ! reason=$(wait_proxy_ready 2>&1); then
        discard_proxy
        reason="$reason; the proxy log ends with: $(tail -n 5 "$proxy_log" | tr '\n' ' ')"
        "$PYTHON" "$DIFFTEST" skip "$layout" --reason "$reason" --results "$results" \
            "${run_options[@]}" "${ps_skip_args[@]}"
        check_sanitizer_reports "$proxy_log" || record_failure "$layout" "sanitizer reports in the proxy log"
        "$PYTHON" "$DIFFTEST" drop --shard-ports "$shard_ports_csv" ||
            record_failure "$layout" "dropping the tables on the shards failed"
        return 0
    fi

    "$PYTHON" "$DIFFTEST" run "$layout" --ref-port "$ref_port" --proxy-port "$proxy_port" \
        --shard-ports "$shard_ports_csv" --results "$results" "${run_options[@]}" "${ps_run_args[@]}" ||
        record_failure "$layout" "difftest.py run exited with status $? (see its messages above)"

    stop_proxy_checked || record_failure "$layout" "$stop_problem"
    check_sanitizer_reports "$proxy_log" || record_failure "$layout" "sanitizer reports in the proxy log"
    "$PYTHON" "$DIFFTEST" drop --shard-ports "$shard_ports_csv" ||
        record_failure "$layout" "dropping the tables on the shards failed"
}

read -r proxy_port ref_port shard_ports <<<"$(sp_free_ports $((SHARD_COUNT + 2)))"
read -r -a shard_port_list <<<"$shard_ports"
shard_ports_csv=$(IFS=,; echo "${shard_port_list[*]}")
echo "run.sh: work directory $WORK; reference on port $ref_port;" \
     "shards on ports ${shard_port_list[*]}; proxy on $proxy_port"

started=$SECONDS
"$CLUSTER" start "$WORK/cluster" "$ref_port" "${shard_port_list[@]}"
"$PYTHON" "$DIFFTEST" load-reference --ref-port "$ref_port"
echo "run.sh: cluster started and reference loaded in $((SECONDS - started))s"

# The first shard server is still empty, so it can hold the reordered copy.
echo "==== corpus check"
result_files=("$WORK/results-corpus-check.json")
corpus_filter=()
if [[ -n "$filter" ]]; then
    corpus_filter=(--filter "$filter")
fi
corpus_ps_args=()
if ((run_ps)); then
    corpus_ps_args=(--ps-client "$PS_CLIENT" --ps-results "$WORK/results-corpus-check-ps.json")
    result_files+=("$WORK/results-corpus-check-ps.json")
fi
"$PYTHON" "$DIFFTEST" check-corpus --ref-port "$ref_port" --scratch-port "${shard_port_list[0]}" \
    --results "$WORK/results-corpus-check.json" "${corpus_filter[@]}" "${corpus_ps_args[@]}" ||
    record_failure corpus-check "difftest.py check-corpus exited with status $? (see its messages above)"
"$PYTHON" "$DIFFTEST" drop --shard-ports "${shard_port_list[0]}"

for layout in "${layouts[@]}"; do
    run_layout "$layout"
    result_files+=("$WORK/results-$layout.json")
    if ((run_ps)); then
        result_files+=("$WORK/results-$layout-ps.json")
    fi
done
proxy_log=""

echo "==== summary ($((SECONDS - started))s)"
"$PYTHON" "$DIFFTEST" summary --extra-failures "$EXTRA_FAILURES" "${result_files[@]}"
