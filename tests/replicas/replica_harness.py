"""Shared setup for the replica tests: topology, server counters, the proxy log.

run.sh starts two shards, each with a primary, a replica in the proxy's
region ("eu") and a replica in another region ("us"), and describes them
through environment variables. The tests find out where the proxy sent a
read from the servers' Com_select counters, and when the health monitor
took a replica out or back from the replica_down and replica_up lines of
the proxy log.

The tests reuse the connection helpers of tests/integration/sptest.py,
for which SP_SHARD_PORTS contains the primaries' ports.
"""

import datetime
import math
import os
import re
import signal
import subprocess
import sys
import threading
import time
import unittest

import pymysql

# Appended, not prepended: this folder has modules named like the integration
# suite's (test_routing, test_writes), and its own must win.
sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import sptest  # noqa: E402  (found through the path added above)
from sptest import connect_proxy, execute, mysql_error_code, query_all, shard_of_int  # noqa: E402,F401


def _require_env(name):
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"environment variable {name} is not set; run the tests through "
                           "tests/replicas/run.sh")
    return value


def _ports(name):
    return [int(port) for port in _require_env(name).split(",")]


CLUSTER_DIR = _require_env("SP_CLUSTER_DIR")
CLUSTER_SCRIPT = _require_env("SP_CLUSTER_SCRIPT")
PROXY_LOG = _require_env("SP_PROXY_LOG")
READ_POLICY = _require_env("SP_READ_POLICY")
READ_FROM_OTHER_REGIONS = _require_env("SP_READ_FROM_OTHER_REGIONS") == "true"
TRANSACTION_READS = _require_env("SP_TRANSACTION_READS")
HEALTH_INTERVAL_S = int(_require_env("SP_HEALTH_INTERVAL_MS")) / 1000.0
MAX_REPLICA_LAG_S = int(_require_env("SP_MAX_REPLICA_LAG_MS")) / 1000.0
HEALTH_RISE_CHECKS = int(_require_env("SP_HEALTH_RISE_CHECKS"))

# Slack added to every time bound, for scheduling on a loaded machine.
TIME_MARGIN_S = 0.5

TABLE = "sbtest_replicas"
ROWS = 200

# Timeouts of the waits that only restore the starting state.
SETTLE_TIMEOUT_S = 15
SERVER_STOP_TIMEOUT_S = 30


class Node:
    """One MariaDB server of the cluster."""

    def __init__(self, shard, role, port):
        self.shard = shard
        self.role = role  # "primary", "eu" or "us"
        self.port = port

    @property
    def socket(self):
        return os.path.join(CLUSTER_DIR, f"{self.port}.sock")

    def __repr__(self):
        if self.role == "primary":
            return f"s{self.shard} primary (port {self.port})"
        return f"s{self.shard} {self.role} replica (port {self.port})"


PRIMARIES = [Node(i, "primary", port) for i, port in enumerate(_ports("SP_SHARD_PORTS"))]
EU_REPLICAS = [Node(i, "eu", port) for i, port in enumerate(_ports("SP_EU_REPLICA_PORTS"))]
US_REPLICAS = [Node(i, "us", port) for i, port in enumerate(_ports("SP_US_REPLICA_PORTS"))]
REPLICAS = EU_REPLICAS + US_REPLICAS
NODES = PRIMARIES + REPLICAS


def replicas_of(shard):
    return [node for node in REPLICAS if node.shard == shard]


# ---- Rows ----

def keys_on_shard(shard, count=None):
    """The ids among 1..ROWS that the proxy stores on SHARD, ascending."""
    keys = [key for key in range(1, ROWS + 1) if shard_of_int(key) == shard]
    return keys if count is None else keys[:count]


def row_value(key):
    return f"row-{key}"


def load_rows():
    """Create TABLE through the proxy with ROWS rows and wait until every replica has them."""
    conn = connect_proxy()
    try:
        execute(conn, f"DROP TABLE IF EXISTS {TABLE}")
        execute(conn, f"CREATE TABLE {TABLE} (id INT PRIMARY KEY, k INT NOT NULL,"
                      " c VARCHAR(64) NOT NULL)")
        values = ", ".join(f"({key}, {key}, '{row_value(key)}')" for key in range(1, ROWS + 1))
        execute(conn, f"INSERT INTO {TABLE} (id, k, c) VALUES {values}")
    finally:
        conn.close()
    wait_replicas_caught_up()


# ---- Servers, as root over their sockets ----

def connect_root(node):
    return pymysql.connect(unix_socket=node.socket, user="root", password="", autocommit=True,
                           connect_timeout=5, read_timeout=60, write_timeout=60)


def connect_app(node):
    """Connect to NODE over TCP as the proxy's backend account, bypassing the proxy."""
    return pymysql.connect(host=sptest.HOST, port=node.port, user=sptest.USER,
                           password=sptest.PASSWORD, database=sptest.DATABASE, autocommit=True,
                           connect_timeout=5, read_timeout=60, write_timeout=60)


def root_query(node, sql, args=None):
    """Run SQL on NODE as root over a new socket connection and return the rows."""
    conn = connect_root(node)
    try:
        return query_all(conn, sql, args)
    finally:
        conn.close()


def root_execute_local(node, sql):
    """Run SQL on NODE with sql_log_bin=0, so that no replica receives it."""
    conn = connect_root(node)
    try:
        execute(conn, "SET SESSION sql_log_bin = 0")
        execute(conn, sql)
    finally:
        conn.close()


def wait_replicas_caught_up(timeout=SETTLE_TIMEOUT_S):
    """Wait until each replica has applied its primary's current GTID position."""
    for primary in PRIMARIES:
        position = root_query(primary, "SELECT @@gtid_binlog_pos")[0][0]
        for replica in replicas_of(primary.shard):
            result = root_query(replica, "SELECT MASTER_GTID_WAIT(%s, %s)", (position, timeout))[0][0]
            if result != 0:
                applied = root_query(replica, "SELECT @@gtid_slave_pos")[0][0]
                raise AssertionError(f"{replica} did not reach the primary's position {position} "
                                     f"within {timeout}s (gtid_slave_pos {applied})")


def stop_sql_thread(node):
    root_query(node, "STOP SLAVE SQL_THREAD")


def start_sql_thread(node):
    # Starting a running thread is only a warning, so cleanups can call this unconditionally.
    root_query(node, "START SLAVE SQL_THREAD")


def _server_pid(node):
    with open(os.path.join(CLUSTER_DIR, f"{node.port}.pid"), encoding="ascii") as pid_file:
        return int(pid_file.read().strip())


def _process_alive(pid):
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


def stop_server(node):
    """Send SIGTERM to NODE's mariadbd, wait until it exits and return the wall time of the signal.

    The PID comes from the pid file that cluster.sh start asked the server
    to write. The command line must name the server's data directory, so a
    reused PID never gets the signal.
    """
    pid = _server_pid(node)
    with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
        args = cmdline.read().split(b"\0")
    expected = f"--datadir={os.path.join(CLUSTER_DIR, str(node.port))}".encode()
    if expected not in args:
        raise AssertionError(f"PID {pid} from the pid file of {node} is not its mariadbd: {args!r}")
    sent_at = time.time()
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + SERVER_STOP_TIMEOUT_S
    while _process_alive(pid):
        if time.monotonic() >= deadline:
            raise AssertionError(f"{node} (PID {pid}) did not exit within "
                                 f"{SERVER_STOP_TIMEOUT_S}s of SIGTERM")
        time.sleep(0.02)
    return sent_at


def start_server(node):
    """Start NODE again with cluster.sh, which restores read_only on a replica.

    Raises instead when run.sh is gone, because its cleanup (or the watcher
    that replaces it after a SIGKILL) stops the cluster only once, and a
    server started after that would keep running.
    """
    runner = int(_require_env("SP_RUNNER_PID"))
    if not _process_alive(runner):
        raise AssertionError(f"run.sh (PID {runner}) is gone; not starting {node} again")
    env = dict(os.environ, SP_CLUSTER_BINLOG="1")
    result = subprocess.run([CLUSTER_SCRIPT, "start", CLUSTER_DIR, str(node.port)], env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        raise AssertionError(f"cluster.sh start of {node} failed with status {result.returncode}:"
                             f"\n{result.stdout}{result.stderr}")


def server_running(node):
    try:
        return _process_alive(_server_pid(node))
    except (FileNotFoundError, ValueError):
        return False


# ---- Com_select ----

def com_selects(nodes=NODES):
    """Com_select of each node in NODES, keyed by port. SHOW STATUS does not count as a SELECT."""
    counts = {}
    for node in nodes:
        rows = root_query(node, "SHOW GLOBAL STATUS LIKE 'Com_select'")
        counts[node.port] = int(rows[0][1])
    return counts


class SelectWindow:
    """The Com_select deltas of some nodes over a stretch of time.

    The window runs from just before the first counter is read to just after
    the last, so monitor_max() is an upper bound for the monitor's share.
    """

    def __init__(self, nodes=NODES):
        self.nodes = list(nodes)
        self.started = time.monotonic()
        self.before = com_selects(self.nodes)
        self.delta = None
        self.elapsed = None

    def close(self):
        after = com_selects(self.nodes)
        self.elapsed = time.monotonic() - self.started
        self.delta = {port: after[port] - self.before[port] for port in after}
        return self

    def monitor_max(self):
        """The most SELECTs the health monitor can send to one node in this window.

        The monitor sends one SELECT per node and check (SELECT
        @@gtid_binlog_pos on a primary, SELECT @@gtid_slave_pos on a
        replica), one check per health interval. One more covers a check
        that started just before the window. test_routing's idle test
        checks this bound.
        """
        return math.ceil(self.elapsed / HEALTH_INTERVAL_S) + 1

    def client_selects(self, nodes):
        """The SELECTs that NODES got in this window apart from the monitor's, at the least."""
        return sum(self.delta[node.port] for node in nodes) - len(nodes) * self.monitor_max()

    def describe(self):
        parts = [f"{node}: {self.delta[node.port]}" for node in self.nodes]
        return (f"Com_select deltas over {self.elapsed:.2f}s (monitor share at most "
                f"{self.monitor_max()} per node): " + ", ".join(parts))


def measure_selects(action, nodes=NODES):
    """Run ACTION() and return the SelectWindow around it."""
    window = SelectWindow(nodes)
    action()
    return window.close()


# ---- The proxy log ----

_EVENT_RE = re.compile(r'^ts=(\S+) level=\S+ event=(replica_up|replica_down) shard=(\S+) '
                       r'addr=\S+:(\d+) region=(\S+) reason="(.*)"$')
_ADDR_EVENT_RE = re.compile(r'^ts=(\S+) level=\S+ event=(\S+) .*addr=\S+:(\d+)')


class LogEvent:
    """One line of the proxy log about a replica."""

    def __init__(self, ts, kind, port, reason, line):
        self.ts = ts  # Unix time
        self.kind = kind
        self.port = port
        self.reason = reason
        self.line = line

    def __repr__(self):
        return self.line


def _parse_ts(text):
    parsed = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    return parsed.replace(tzinfo=datetime.timezone.utc).timestamp()


def log_offset():
    """The current size of the proxy log, to read only the lines written after it."""
    return os.path.getsize(PROXY_LOG)


def log_lines(offset=0):
    with open(PROXY_LOG, "rb") as log:
        log.seek(offset)
        return log.read().decode("utf-8", "replace").splitlines()


def replica_events(node=None, offset=0):
    """The replica_up and replica_down lines (of NODE, if given) after OFFSET, oldest first."""
    events = []
    for line in log_lines(offset):
        match = _EVENT_RE.match(line)
        if match is None:
            continue
        event = LogEvent(_parse_ts(match.group(1)), match.group(2), int(match.group(4)),
                         match.group(6), line)
        if node is None or event.port == node.port:
            events.append(event)
    return events


def node_events(node, kinds, offset=0):
    """The log lines of any event in KINDS that name NODE's address, after OFFSET."""
    events = []
    for line in log_lines(offset):
        match = _ADDR_EVENT_RE.match(line)
        if match and match.group(2) in kinds and int(match.group(3)) == node.port:
            events.append(LogEvent(_parse_ts(match.group(1)), match.group(2), node.port, "", line))
    return events


def wait_replica_event(node, kind, offset, timeout):
    """Wait for NODE's first KIND event after OFFSET and return it, or None after TIMEOUT seconds."""
    def first():
        events = [e for e in replica_events(node, offset) if e.kind == kind]
        return events[0] if events else None
    return sptest.wait_until(first, timeout, interval=0.02)


def replica_readable(node):
    """Whether the proxy's last event for NODE was replica_up."""
    events = replica_events(node)
    return bool(events) and events[-1].kind == "replica_up"


def wait_all_readable(timeout=SETTLE_TIMEOUT_S):
    """Wait until the proxy has every replica in its read set, or raise naming those that are not."""
    if sptest.wait_until(lambda: all(replica_readable(node) for node in REPLICAS), timeout):
        return
    missing = [node for node in REPLICAS if not replica_readable(node)]
    last = {repr(node): (replica_events(node) or ["no event"])[-1] for node in missing}
    raise AssertionError(f"replicas not readable after {timeout}s: {last}")


# ---- Reads under load ----

class ReadLoad:
    """Threads that run point SELECTs through the proxy until stopped.

    Each thread has its own connection and cycles through KEYS, counting
    reads per shard. Every error is recorded, and the thread reconnects
    after one. A hard deadline and a maximum number of reads per thread
    bound the threads if stop() is never called.
    """

    def __init__(self, keys, threads=4, hard_deadline_s=60, max_reads_per_thread=1_000_000):
        self.keys = list(keys)
        self.thread_count = threads
        self.deadline = time.monotonic() + hard_deadline_s
        self.max_reads_per_thread = max_reads_per_thread
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.reads = {}  # shard -> count
        self.wrong_rows = []
        self.errors = []
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True)
                        for i in range(threads)]

    def start(self):
        for thread in self.threads:
            thread.start()
        return self

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=30)

    def reads_by_shard(self):
        with self.lock:
            return dict(self.reads)

    def _run(self, index):
        conn = None
        position = index
        for _ in range(self.max_reads_per_thread):
            if self.stopping.is_set() or time.monotonic() >= self.deadline:
                break
            key = self.keys[position % len(self.keys)]
            position += self.thread_count
            try:
                if conn is None:
                    conn = connect_proxy()
                rows = query_all(conn, f"SELECT c FROM {TABLE} WHERE id = %s", (key,))
            except pymysql.MySQLError as exc:
                with self.lock:
                    self.errors.append((time.time(), key, repr(exc)))
                if conn is not None:
                    conn.close()
                    conn = None
                continue
            with self.lock:
                shard = shard_of_int(key)
                self.reads[shard] = self.reads.get(shard, 0) + 1
                if rows != [(row_value(key),)]:
                    self.wrong_rows.append((key, rows))
        if conn is not None:
            conn.close()


class ReplicaTestCase(unittest.TestCase):
    """Base class: each test starts with every replica in the proxy's read set."""

    def setUp(self):
        self.assertTrue(sptest.proxy_is_alive(), f"the proxy is gone; see {PROXY_LOG}")
        for node in NODES:
            self.assertTrue(server_running(node), f"{node} is not running")
        wait_all_readable()

    def run_reads(self, conn, sql, count, args=None):
        """Run SQL COUNT times on CONN and return the last result."""
        rows = None
        for _ in range(count):
            rows = query_all(conn, sql, args)
        return rows

    def assertReadsOn(self, window, expected, count, others, share=0.95):
        """Assert that the EXPECTED nodes got at least SHARE of COUNT reads and OTHERS only the monitor's."""
        got = window.client_selects(expected)
        self.assertGreaterEqual(got, share * count,
                                f"expected >= {share:.0%} of {count} reads on {expected}, "
                                f"got {got}; {window.describe()}")
        for node in others:
            self.assertLessEqual(window.delta[node.port], window.monitor_max(),
                                 f"{node} got reads; {window.describe()}")
