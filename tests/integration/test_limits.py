"""Limits and unreachable shards, each against a proxy of its own with a small config.

The shared proxy of the suite keeps generous limits, so these tests start
their own proxy process (the binary under test, SP_PROXY_BIN) with the same
shards, stop it by PID, and check its log for sanitizer reports.
"""

import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import unittest

import pymysql

import sptest
from sptest import execute, query_all

ER_CON_COUNT = 1040
ER_UNKNOWN = 1105


def free_port():
    with socket.socket() as sock:
        sock.bind((sptest.HOST, 0))
        return sock.getsockname()[1]


class OwnProxy:
    """A proxy process with CONFIG_EXTRA merged into a config for the suite's shards."""

    def __init__(self, shard_ports, **config_extra):
        self.workdir = tempfile.mkdtemp(prefix="sp-limits.")
        self.port = free_port()
        config = {
            "listen": f"{sptest.HOST}:{self.port}",
            "workers": 1,
            "users": [{"user": sptest.USER, "password": sptest.PASSWORD}],
            "shards": [{"name": f"s{i}", "primary": {"host": sptest.HOST, "port": port}}
                       for i, port in enumerate(shard_ports)],
            "default_shard": "s0",
            "tables": [{"name": "sbtest*", "shard_key": "id"}],
        }
        config.update(config_extra)
        self.config_path = os.path.join(self.workdir, "proxy.json")
        with open(self.config_path, "w", encoding="utf-8") as out:
            json.dump(config, out)
        self.log_path = os.path.join(self.workdir, "proxy.log")
        self.log = open(self.log_path, "w", encoding="utf-8")
        self.process = subprocess.Popen([os.environ["SP_PROXY_BIN"], "--config", self.config_path],
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection((sptest.HOST, self.port), timeout=1):
                    break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"own proxy did not start; log: {self.log_text()}")
                time.sleep(0.05)

    def connect(self, **kwargs):
        return pymysql.connect(host=sptest.HOST, port=self.port, user=sptest.USER,
                               password=sptest.PASSWORD, database=sptest.DATABASE,
                               autocommit=True, connect_timeout=10, read_timeout=30, **kwargs)

    def log_text(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, encoding="utf-8", errors="replace") as log:
            return log.read()

    def stop(self):
        """Stops the proxy with SIGTERM; returns its exit status and log."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        return self.process.returncode, self.log_text()


class OwnProxyTestCase(unittest.TestCase):

    def start_proxy(self, shard_ports=None, **config_extra):
        proxy = OwnProxy(shard_ports or sptest.SHARD_PORTS, **config_extra)
        self.addCleanup(self.check_stopped, proxy)
        return proxy

    def check_stopped(self, proxy):
        status, log = proxy.stop()
        self.assertEqual(status, 0, f"own proxy exit status {status}; log:\n{log}")
        for marker in ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer"):
            self.assertNotIn(marker, log)

    def assertMysqlError(self, code, func, *args):
        with self.assertRaises(pymysql.MySQLError) as caught:
            func(*args)
        self.assertEqual(sptest.mysql_error_code(caught.exception), code, str(caught.exception))
        return caught.exception


class ClientLimitTest(OwnProxyTestCase):

    def test_client_over_limit_gets_1040(self):
        proxy = self.start_proxy(max_client_connections=2)
        first, second = proxy.connect(), proxy.connect()
        self.addCleanup(first.close)

        error = self.assertMysqlError(ER_CON_COUNT, proxy.connect)
        self.assertIn("Too many connections", str(error))

        # The two admitted clients still work, and a slot frees up on close.
        self.assertEqual(query_all(first, "SELECT 1"), [(1,)])
        second.close()
        self.assertTrue(sptest.wait_until(lambda: self._can_connect(proxy), timeout=5))

    @staticmethod
    def _can_connect(proxy):
        try:
            with proxy.connect() as conn:
                return query_all(conn, "SELECT 2") == [(2,)]
        except pymysql.MySQLError:
            return False


class PoolWaitTest(OwnProxyTestCase):

    def test_pool_wait_times_out_naming_shard(self):
        proxy = self.start_proxy(pool_max_per_backend=1, pool_wait_timeout_ms=300)
        # Both log in first: the login's database check needs s0 as well.
        holder, waiter = proxy.connect(), proxy.connect()
        self.addCleanup(holder.close)
        self.addCleanup(waiter.close)
        # An open transaction keeps the only backend connection to s0.
        execute(holder, "BEGIN")
        execute(holder, "SELECT 1")

        started = time.monotonic()
        error = self.assertMysqlError(ER_CON_COUNT, query_all, waiter, "SELECT 1")
        elapsed = time.monotonic() - started
        self.assertIn("s0", str(error))
        self.assertGreaterEqual(elapsed, 0.25)
        self.assertLess(elapsed, 5)

        # Once the transaction ends the connection goes back and serves the waiter.
        execute(holder, "COMMIT")
        self.assertEqual(query_all(waiter, "SELECT 3"), [(3,)])

    def test_waiters_served_in_turn(self):
        proxy = self.start_proxy(pool_max_per_backend=1, pool_wait_timeout_ms=5000)
        clients = [proxy.connect() for _ in range(4)]
        for conn in clients:
            self.addCleanup(conn.close)
        # Sequential use of one backend connection by many sessions.
        for round_number in range(5):
            for number, conn in enumerate(clients):
                self.assertEqual(query_all(conn, f"SELECT {number + round_number}"),
                                 [(number + round_number,)])


class UnreachableShardTest(OwnProxyTestCase):

    def test_down_shard_gets_error_and_log(self):
        dead_port = free_port()  # nothing listens there
        proxy = self.start_proxy(shard_ports=[sptest.SHARD_PORTS[0], dead_port],
                                 connect_timeout_ms=2000)
        conn = proxy.connect()
        self.addCleanup(conn.close)

        key_on_s1 = next(k for k in range(1, 1000) if sptest.shard_of_int(k) == 1)
        error = self.assertMysqlError(ER_UNKNOWN, query_all, conn,
                                      f"SELECT * FROM sbtest1 WHERE id = {key_on_s1}")
        self.assertIn("s1", str(error))
        self.assertIn(str(dead_port), str(error))

        # The session survives, and statements for the live shard still work.
        self.assertEqual(query_all(conn, "SELECT 1"), [(1,)])
        log = proxy.log_text()
        self.assertIn("event=backend_connect_failed", log)
        self.assertIn(f"addr={sptest.HOST}:{dead_port}", log)


if __name__ == "__main__":
    unittest.main()
