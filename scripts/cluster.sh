#!/usr/bin/env bash
# Start, stop and inspect a local set of MariaDB servers for tests and benchmarks.
#
#   cluster.sh start DIR PORT [PORT...]   one mariadbd per port, data in DIR/<port>
#   cluster.sh replicate DIR PRIMARY_PORT REPLICA_PORT [REPLICA_PORT...]
#                                         make running servers GTID replicas of a running primary
#   cluster.sh stop DIR                   stop every server started under DIR
#   cluster.sh status DIR                 print each server's PID, whether it accepts
#                                         queries and, for a replica, its replication state
#
# The servers listen on 127.0.0.1 only and share one option file (DIR/server.cnf).
# Each server's server_id is its port. Every server has the user app/app-pass
# with all privileges and a database named sbtest. root connects without a
# password through the server's socket, DIR/<port>.sock. Servers are stopped
# by the PID they wrote, never by name.
#
# Replication: SP_CLUSTER_BINLOG=1 in the environment of start turns on the
# binary log (with log_slave_updates and gtid_strict_mode) on the servers it
# starts, and replicate needs it on the primary. replicate creates the user
# repl/repl-pass on the primary, points each replica at the primary with
# MASTER_USE_GTID=slave_pos, sets read_only=1 on it and takes the READ_ONLY
# ADMIN privilege from app there, so that app's writes to a replica fail.
# A replica copies only what is in the primary's binary log, so run replicate
# right after start, before anything is written. A replica started again with
# start under the same DIR gets read_only and the narrower app user back.
set -euo pipefail

readonly START_TIMEOUT_S=60
readonly STOP_TIMEOUT_S=60
readonly REPLICATE_TIMEOUT_S=60
readonly APP_USER=app
readonly APP_PASSWORD=app-pass
readonly REPL_USER=repl
readonly REPL_PASSWORD=repl-pass

die() {
    echo "cluster.sh: $*" >&2
    exit 1
}

usage() {
    cat >&2 <<'USAGE'
usage: cluster.sh start DIR PORT [PORT...]
       cluster.sh replicate DIR PRIMARY_PORT REPLICA_PORT [REPLICA_PORT...]
       cluster.sh stop DIR
       cluster.sh status DIR

SP_CLUSTER_BINLOG=1 makes start turn on the binary log, which replicate
needs on the primary (default 0: no binary log).
USAGE
    exit 2
}

# True when start should turn on the binary log (SP_CLUSTER_BINLOG=1).
binlog_wanted() {
    case "${SP_CLUSTER_BINLOG:-0}" in
    1) return 0 ;;
    0) return 1 ;;
    *) die "invalid SP_CLUSTER_BINLOG: ${SP_CLUSTER_BINLOG} (expected 0 or 1)" ;;
    esac
}

# Options shared by mariadb-install-db and every server. Reading only this
# file (--defaults-file) keeps the host's /etc/mysql settings out. The
# server_id is not here but on each server's command line (launch_server).
write_server_cnf() {
    local dir=$1
    local run_as_root="" binlog="skip-log-bin"

    if [[ $(id -u) -eq 0 ]]; then
        run_as_root="user = root"
    fi
    if binlog_wanted; then
        # Relative names put the binary and relay logs in each server's
        # datadir. Stored functions need log_bin_trust_function_creators
        # to be created as they are without a binary log.
        binlog="log-bin = binlog
relay-log = relay-bin
log_slave_updates
gtid_strict_mode
log_bin_trust_function_creators"
    fi

    cat >"$dir/server.cnf" <<CNF
[mariadbd]
$run_as_root
bind-address = 127.0.0.1
skip-name-resolve
$binlog
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
    # Every server gets a copy of the template, so it must not contain a
    # binary log of its own.
    if ! mariadb-install-db --defaults-file="$dir/server.cnf" \
            --datadir="$dir/template" \
            --auth-root-authentication-method=normal \
            --skip-test-db --skip-log-bin >"$log" 2>&1; then
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

# Run mariadb as root over PORT's socket. Statements sent this way stay out
# of the binary log: they set up one server only, and on a replica a GTID of
# its own would break gtid_strict_mode once the primary's events arrive.
admin_sql() {
    local dir=$1 port=$2
    shift 2
    mariadb --no-defaults --socket="$dir/$port.sock" -uroot --batch --skip-column-names \
        --init-command='SET SESSION sql_log_bin = 0' "$@"
}

launch_server() {
    local dir=$1 port=$2

    if [[ ! -d "$dir/$port" ]]; then
        cp -a "$dir/template" "$dir/$port"
        # A fresh datadir has no replication settings.
        rm -f "$dir/$port.primary-port"
    fi
    rm -f "$dir/$port.pid" "$dir/$port.launch-pid"

    # The trailing space in "--datadir=... " matters to is_our_server.
    # The port is the server_id, so that servers under one DIR never share
    # one (replication needs distinct ids).
    mariadbd --defaults-file="$dir/server.cnf" \
        --datadir="$dir/$port" --port="$port" --server-id="$port" \
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
    if [[ -f "$dir/$port.primary-port" ]]; then
        restrict_replica "$dir" "$port"
    fi
}

# Make app's writes to a replica fail: read_only=1 (lost on restart, so
# setup_accounts applies it again) and no READ_ONLY ADMIN, which in MariaDB
# 10.11 is the privilege that bypasses read_only and is part of ALL PRIVILEGES.
# The replication threads are not affected by read_only.
restrict_replica() {
    local dir=$1 port=$2
    local host

    for host in '%' '127.0.0.1' 'localhost'; do
        admin_sql "$dir" "$port" -e "REVOKE READ_ONLY ADMIN ON *.* FROM '$APP_USER'@'$host';"
    done
    admin_sql "$dir" "$port" -e "SET GLOBAL read_only = 1;"
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

# Fail unless a server that start launched under DIR runs on PORT and
# accepts queries.
require_ready() {
    local dir=$1 port=$2
    local pid

    if ! pid=$(server_pid "$dir" "$port") || ! is_our_server "$pid" "$dir" "$port"; then
        die "no server for port $port runs under $dir; run cluster.sh start $dir $port first"
    fi
    if ! admin_sql "$dir" "$port" -e 'SELECT 1' >/dev/null 2>&1; then
        die "the server on port $port (PID $pid) does not accept queries (log: $dir/$port.err)"
    fi
}

# Print SHOW SLAVE STATUS of PORT as "Field: value" lines, nothing for a
# server that is no replica.
slave_status() {
    local dir=$1 port=$2

    admin_sql "$dir" "$port" --column-names --vertical -e 'SHOW SLAVE STATUS' | sed -n 's/^ *\([A-Za-z_]*\): /\1: /p'
}

# Print the value of FIELD in the output of slave_status.
status_field() {
    local text=$1 field=$2

    awk -v prefix="$field: " 'index($0, prefix) == 1 { print substr($0, length(prefix) + 1); exit }' <<<"$text"
}

# Point REPLICA at PRIMARY. Both run, and PRIMARY has the replication user.
configure_replica() {
    local dir=$1 primary=$2 replica=$3
    local own_gtids

    # With gtid_strict_mode, a GTID that the replica logged itself would
    # make the primary's events with lower sequence numbers fail.
    if [[ -z $(slave_status "$dir" "$replica") ]]; then
        own_gtids=$(admin_sql "$dir" "$replica" -e 'SELECT @@gtid_binlog_pos')
        if [[ -n "$own_gtids" ]]; then
            die "the server on port $replica has transactions of its own in its binary log (gtid_binlog_pos $own_gtids); replicate needs replicas that nothing was written to, so start them in a new DIR"
        fi
    fi

    echo "$primary" >"$dir/$replica.primary-port"
    restrict_replica "$dir" "$replica"
    # MASTER_CONNECT_RETRY=1 reconnects within a second after the primary
    # restarts; the default is 60 s.
    admin_sql "$dir" "$replica" -e "
        STOP SLAVE;
        CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = $primary,
            MASTER_USER = '$REPL_USER', MASTER_PASSWORD = '$REPL_PASSWORD',
            MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1;
        START SLAVE;"
}

# Wait until both replication threads of PORT run. A thread in state No has
# stopped for good, so that fails at once with the thread's last error.
wait_replica_running() {
    local dir=$1 port=$2 deadline=$3
    local text io sql

    while true; do
        text=$(slave_status "$dir" "$port")
        io=$(status_field "$text" Slave_IO_Running)
        sql=$(status_field "$text" Slave_SQL_Running)
        if [[ "$io" == Yes && "$sql" == Yes ]]; then
            return 0
        fi
        if [[ "$io" == No || "$sql" == No ]] || ((SECONDS >= deadline)); then
            echo "cluster.sh: replica on port $port: Slave_IO_Running=$io Slave_SQL_Running=$sql" >&2
            echo "cluster.sh: last IO error: $(status_field "$text" Last_IO_Error)" >&2
            echo "cluster.sh: last SQL error: $(status_field "$text" Last_SQL_Error)" >&2
            if [[ "$io" == No || "$sql" == No ]]; then
                die "replication stopped on port $port (log: $dir/$port.err)"
            fi
            die "timed out after ${REPLICATE_TIMEOUT_S}s waiting for replication to run on port $port (log: $dir/$port.err)"
        fi
        sleep 0.2
    done
}

# Wait until REPLICA has applied the GTID position TARGET of the primary.
wait_replica_caught_up() {
    local dir=$1 replica=$2 target=$3 deadline=$4
    local remaining result

    if [[ -z "$target" ]]; then
        return 0
    fi
    remaining=$((deadline - SECONDS))
    if ((remaining < 1)); then
        remaining=1
    fi
    result=$(admin_sql "$dir" "$replica" -e "SELECT MASTER_GTID_WAIT('$target', $remaining)")
    if [[ "$result" != 0 ]]; then
        die "replica on port $replica did not reach the primary's GTID position $target within ${REPLICATE_TIMEOUT_S}s (its gtid_slave_pos: $(admin_sql "$dir" "$replica" -e 'SELECT @@gtid_slave_pos'))"
    fi
}

cmd_replicate() {
    local dir=$1
    shift
    (($# >= 2)) || usage
    local primary=$1
    shift
    local port replica target deadline text

    for port in "$primary" "$@"; do
        [[ "$port" =~ ^[0-9]+$ ]] || die "invalid port: $port"
    done
    for replica in "$@"; do
        [[ "$replica" != "$primary" ]] || die "port $primary cannot be a replica of itself"
    done
    [[ -d "$dir" ]] || die "cluster directory not found: $dir"
    dir=$(cd "$dir" && pwd)
    for port in "$primary" "$@"; do
        require_ready "$dir" "$port"
    done
    if [[ $(admin_sql "$dir" "$primary" -e 'SELECT @@log_bin') != 1 ]]; then
        die "the server on port $primary has no binary log; start it with SP_CLUSTER_BINLOG=1 in the environment"
    fi

    admin_sql "$dir" "$primary" -e "
        CREATE USER IF NOT EXISTS '$REPL_USER'@'127.0.0.1' IDENTIFIED BY '$REPL_PASSWORD';
        GRANT REPLICATION SLAVE ON *.* TO '$REPL_USER'@'127.0.0.1';"
    for replica in "$@"; do
        configure_replica "$dir" "$primary" "$replica"
    done

    deadline=$((SECONDS + REPLICATE_TIMEOUT_S))
    for replica in "$@"; do
        wait_replica_running "$dir" "$replica" "$deadline"
    done
    target=$(admin_sql "$dir" "$primary" -e 'SELECT @@gtid_binlog_pos')
    for replica in "$@"; do
        wait_replica_caught_up "$dir" "$replica" "$target" "$deadline"
        text=$(slave_status "$dir" "$replica")
        echo "replica port=$replica primary_port=$primary" \
            "io_running=$(status_field "$text" Slave_IO_Running)" \
            "sql_running=$(status_field "$text" Slave_SQL_Running)" \
            "gtid_slave_pos=$(status_field "$text" Gtid_Slave_Pos)"
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

# Print the replication fields of a replica's status line, nothing for a
# server that is no replica.
replica_status() {
    local dir=$1 port=$2
    local text

    text=$(slave_status "$dir" "$port" 2>/dev/null) || return 0
    if [[ -z "$text" ]]; then
        return 0
    fi
    echo " primary_port=$(status_field "$text" Master_Port)" \
        "io_running=$(status_field "$text" Slave_IO_Running)" \
        "sql_running=$(status_field "$text" Slave_SQL_Running)" \
        "seconds_behind_master=$(status_field "$text" Seconds_Behind_Master)"
}

cmd_status() {
    local dir=$1
    local port pid state replication

    [[ -d "$dir" ]] || die "cluster directory not found: $dir"
    dir=$(cd "$dir" && pwd)
    for port in $(list_ports "$dir"); do
        state=stopped
        replication=""
        if ! pid=$(server_pid "$dir" "$port"); then
            pid=-
        elif is_our_server "$pid" "$dir" "$port"; then
            state=running
            if admin_sql "$dir" "$port" -e 'SELECT 1' >/dev/null 2>&1; then
                state=ready
                replication=$(replica_status "$dir" "$port")
            fi
        fi
        echo "port=$port pid=$pid state=$state$replication"
    done
}

main() {
    (($# >= 2)) || usage
    local cmd=$1 dir=$2
    shift 2

    case "$cmd" in
    start) cmd_start "$dir" "$@" ;;
    replicate) cmd_replicate "$dir" "$@" ;;
    stop) (($# == 0)) || usage; cmd_stop "$dir" ;;
    status) (($# == 0)) || usage; cmd_status "$dir" ;;
    *) usage ;;
    esac
}

main "$@"
