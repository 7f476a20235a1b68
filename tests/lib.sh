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

# sp_wait_proxy_ready PORT PID TIMEOUT_S
#
# Waits until the proxy on PORT sends a HandshakeV10 greeting. Fails with a
# message on standard error when process PID exits first (a rejected config,
# for example) or when TIMEOUT_S seconds pass.
sp_wait_proxy_ready() {
    "$PYTHON" - "$1" "$2" "$3" <<'PY'
import os, socket, sys, time
port, pid, timeout = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
deadline = time.monotonic() + timeout
while True:
    try:
        os.kill(pid, 0)
        with open(f"/proc/{pid}/stat") as stat:
            if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                raise ProcessLookupError
    except ProcessLookupError:
        sys.exit(f"the proxy (PID {pid}) exited during startup")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.settimeout(5)
            data = s.recv(5)
            if len(data) == 5 and data[4] == 0x0A:
                sys.exit(0)
    except OSError:
        pass
    if time.monotonic() >= deadline:
        sys.exit(f"the proxy sent no greeting on port {port} within {timeout:.0f}s")
    time.sleep(0.1)
PY
}

# sp_stop_pid PID TIMEOUT_S: sends SIGTERM to PID (a child of this shell),
# waits up to TIMEOUT_S seconds for it to exit, then sends SIGKILL. Does
# nothing when PID is empty or no longer running.
sp_stop_pid() {
    local pid=$1 timeout_s=$2 deadline

    if [[ -z "$pid" ]] || ! kill -0 "$pid" 2>/dev/null; then
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + timeout_s))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
