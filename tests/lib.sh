# shellcheck shell=bash
# Shell functions shared by the test runners that start MariaDB servers and
# the proxy (tests/integration/run.sh, tests/differential/run.sh). Source it;
# it defines functions only.

# Sets PYTHON to a python3 that can import pymysql and xxhash. Debian's
# python3-pymysql and python3-xxhash belong to /usr/bin/python3, which
# another python3 earlier in PATH cannot import from. Returns 1 if none can.
sp_find_python() {
    local candidate

    PYTHON=""
    for candidate in /usr/bin/python3 python3; do
        if "$candidate" -c 'import pymysql, xxhash' 2>/dev/null; then
            PYTHON=$candidate
            return 0
        fi
    done
    return 1
}

# sp_start_watcher WORK CLUSTER PROXY_MARKER
#
# A SIGKILL (ctest kills a test that exceeds its TIMEOUT) skips the EXIT trap.
# A watcher outside this process tree then stops what the caller started: the
# proxy whose PID is in WORK/proxy.pid, if its command line contains
# PROXY_MARKER, and the servers under WORK/cluster. It acts only while
# WORK/watch-armed exists, which the caller's cleanup removes first.
sp_start_watcher() {
    local work=$1 cluster=$2 marker=$3

    touch "$work/watch-armed"
    (
        # shellcheck disable=SC2016  # expanded by the inner bash
        setsid bash -c '
            parent=$1 work=$2 cluster=$3 marker=$4
            while kill -0 "$parent" 2>/dev/null; do
                sleep 2
            done
            [[ -e "$work/watch-armed" ]] || exit 0
            pid=$(cat "$work/proxy.pid" 2>/dev/null) || pid=""
            if [[ -n "$pid" ]] && tr "\0" " " <"/proc/$pid/cmdline" 2>/dev/null | grep -q -F "$marker"; then
                kill -KILL "$pid"
            fi
            "$cluster" stop "$work/cluster"
            rm -rf "$work"
        ' watcher "$$" "$work" "$cluster" "$marker" </dev/null >/dev/null 2>&1 &
    )
}

# Prints COUNT loopback ports that were free a moment ago. All sockets are
# bound before any is closed, so the ports differ from each other.
sp_free_ports() {
    "$PYTHON" - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}
