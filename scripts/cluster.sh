#!/usr/bin/env bash
# Start, stop and inspect a local set of MariaDB servers for tests and benchmarks.
#
#   cluster.sh start DIR PORT [PORT...]   one mariadbd per port, data in DIR/<port>
#   cluster.sh stop DIR                   stop every server started under DIR
#   cluster.sh status DIR                 print each server's PID and whether it accepts queries
#
# The servers listen on 127.0.0.1 only and share one option file (DIR/server.cnf).
# Every server has the user app/app-pass with all privileges and a database
# named sbtest. root connects without a password through the server's socket,
# DIR/<port>.sock. Servers are stopped by the PID they wrote, never by name.
set -euo pipefail

readonly START_TIMEOUT_S=60
readonly STOP_TIMEOUT_S=60
readonly APP_USER=app
readonly APP_PASSWORD=app-pass

die() {
    echo "cluster.sh: $*" >&2
    exit 1
}

usage() {
    cat >&2 <<'USAGE'
usage: cluster.sh start DIR PORT [PORT...]
       cluster.sh stop DIR
       cluster.sh status DIR
USAGE
    exit 2
}

# Options shared by mariadb-install-db and every server. Reading only this
# file (--defaults-file) keeps the host's /etc/mysql settings out.
write_server_cnf() {
    local dir=$1
    local run_as_root=""

    if [[ $(id -u) -eq 0 ]]; then
        run_as_root="user = root"
    fi

    cat >"$dir/server.cnf" <<CNF
[mariadbd]
$run_as_root
bind-address = 127.0.0.1
skip-name-resolve
skip-log-bin
max_allowed_packet = 1G
max_connections = 500
innodb_buffer_pool_size = 128M
# Small redo logs keep copying the template fast; 8M already takes a 20 MiB row.
innodb_log_file_size = 32M
character-set-server = utf8mb4
collation-server = utf8mb4_general_ci
# A deadlock between two shards is invisible to both servers and lasts
# until this timeout; the proxy then rolls the transaction back everywhere
# and reports a deadlock (1213). The default of 50 s would stall clients.
innodb_lock_wait_timeout = 2
CNF
}

# Initialize the system tables once in DIR/template; each server gets a copy.
init_template() {
    local dir=$1
    local log="$dir/install-db.log"

    if [[ -f "$dir/template/.initialized" ]]; then
        return 0
    fi

    rm -rf "$dir/template"
    if ! mariadb-install-db --defaults-file="$dir/server.cnf" \
            --datadir="$dir/template" \
            --auth-root-authentication-method=normal \
            --skip-test-db >"$log" 2>&1; then
        tail -n 30 "$log" >&2
        die "mariadb-install-db failed for $dir/template (log: $log)"
    fi
    touch "$dir/template/.initialized"
}

# Print the PID recorded for PORT: the server's own pid file, or the PID
# of the launched process when the server died before writing one.
server_pid() {
    local dir=$1 port=$2
    local file

    for file in "$dir/$port.pid" "$dir/$port.launch-pid"; do
        if [[ -s "$file" ]]; then
            cat "$file"
            return 0
        fi
    done
    return 1
}

# True when PID is alive and is a mariadbd that uses DIR/PORT as its
# datadir, so that a recycled PID never gets a signal from us.
is_our_server() {
    local pid=$1 dir=$2 port=$3
    local cmdline

    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
    [[ "$cmdline" == *mariadbd* && "$cmdline" == *"--datadir=$dir/$port "* ]]
}

admin_sql() {
    local dir=$1 port=$2
    shift 2
    mariadb --no-defaults --socket="$dir/$port.sock" -uroot --batch --skip-column-names "$@"
}

launch_server() {
    local dir=$1 port=$2

    if [[ ! -d "$dir/$port" ]]; then
        cp -a "$dir/template" "$dir/$port"
    fi
    rm -f "$dir/$port.pid" "$dir/$port.launch-pid"

    # The trailing space in "--datadir=... " matters to is_our_server.
    mariadbd --defaults-file="$dir/server.cnf" \
        --datadir="$dir/$port" --port="$port" \
        --socket="$dir/$port.sock" --pid-file="$dir/$port.pid" \
        --log-error="$dir/$port.err" \
        </dev/null >>"$dir/$port.out" 2>&1 &
    echo $! >"$dir/$port.launch-pid"
}

wait_ready() {
    local dir=$1 port=$2
    local deadline=$((SECONDS + START_TIMEOUT_S))
    local pid

    pid=$(cat "$dir/$port.launch-pid")
    while ! admin_sql "$dir" "$port" -e 'SELECT 1' >/dev/null 2>&1; do
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 30 "$dir/$port.err" >&2 || true
            die "mariadbd on port $port exited during startup (log: $dir/$port.err)"
        fi
        if ((SECONDS >= deadline)); then
            tail -n 30 "$dir/$port.err" >&2 || true
            die "timed out after ${START_TIMEOUT_S}s waiting for mariadbd on port $port to accept queries (log: $dir/$port.err)"
        fi
        sleep 0.2
    done
}

setup_accounts() {
    local dir=$1 port=$2
    local host

    for host in '%' '127.0.0.1' 'localhost'; do
        admin_sql "$dir" "$port" -e "
            CREATE USER IF NOT EXISTS '$APP_USER'@'$host' IDENTIFIED BY '$APP_PASSWORD';
            GRANT ALL PRIVILEGES ON *.* TO '$APP_USER'@'$host';"
    done
    # Anonymous accounts would match before app@'%' for local connections,
    # and root without a password stays reachable through the socket only.
    admin_sql "$dir" "$port" -e "
        DELETE FROM mysql.global_priv
         WHERE User = '' OR (User = 'root' AND Host <> 'localhost');
        FLUSH PRIVILEGES;
        CREATE DATABASE IF NOT EXISTS sbtest;"
}

cmd_start() {
    local dir=$1
    shift
    local port pid

    (($# > 0)) || usage
    for port in "$@"; do
        [[ "$port" =~ ^[0-9]+$ ]] || die "invalid port: $port"
    done
    command -v mariadbd >/dev/null || die "mariadbd not found; install mariadb-server"

    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    write_server_cnf "$dir"
    init_template "$dir"

    for port in "$@"; do
        if pid=$(server_pid "$dir" "$port") && is_our_server "$pid" "$dir" "$port"; then
            die "a server for port $port already runs under $dir (PID $pid)"
        fi
        launch_server "$dir" "$port"
    done
    for port in "$@"; do
        wait_ready "$dir" "$port"
        setup_accounts "$dir" "$port"
        echo "mariadbd port=$port pid=$(cat "$dir/$port.pid") datadir=$dir/$port"
    done
}

# Stop one server: SIGTERM, a bounded wait, then SIGKILL.
stop_server() {
    local dir=$1 port=$2
    local pid deadline

    if ! pid=$(server_pid "$dir" "$port"); then
        return 0
    fi
    if is_our_server "$pid" "$dir" "$port"; then
        kill -TERM "$pid" 2>/dev/null || true
        deadline=$((SECONDS + STOP_TIMEOUT_S))
        while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
            sleep 0.2
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "cluster.sh: mariadbd port $port (PID $pid) ignored SIGTERM for ${STOP_TIMEOUT_S}s; sending SIGKILL" >&2
            kill -KILL "$pid" 2>/dev/null || true
            while kill -0 "$pid" 2>/dev/null; do
                sleep 0.1
            done
        fi
        echo "stopped mariadbd port=$port pid=$pid"
    fi
    rm -f "$dir/$port.pid" "$dir/$port.launch-pid"
}

# Ports come from the data directories, so stop works after a failed or
# partial start and needs no port list.
list_ports() {
    local dir=$1
    local path

    for path in "$dir"/[0-9]*; do
        if [[ -d "$path" ]]; then
            basename "$path"
        fi
    done
}

cmd_stop() {
    local dir=$1
    local port

    [[ -d "$dir" ]] || return 0
    dir=$(cd "$dir" && pwd)
    for port in $(list_ports "$dir"); do
        stop_server "$dir" "$port"
    done
}

cmd_status() {
    local dir=$1
    local port pid state

    [[ -d "$dir" ]] || die "cluster directory not found: $dir"
    dir=$(cd "$dir" && pwd)
    for port in $(list_ports "$dir"); do
        state=stopped
        if ! pid=$(server_pid "$dir" "$port"); then
            pid=-
        elif is_our_server "$pid" "$dir" "$port"; then
            state=running
            if admin_sql "$dir" "$port" -e 'SELECT 1' >/dev/null 2>&1; then
                state=ready
            fi
        fi
        echo "port=$port pid=$pid state=$state"
    done
}

main() {
    (($# >= 2)) || usage
    local cmd=$1 dir=$2
    shift 2

    case "$cmd" in
    start) cmd_start "$dir" "$@" ;;
    stop) (($# == 0)) || usage; cmd_stop "$dir" ;;
    status) (($# == 0)) || usage; cmd_status "$dir" ;;
    *) usage ;;
    esac
}

main "$@"
