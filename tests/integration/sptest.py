"""Shared setup for the integration tests: environment, connections, expected routing.

run.sh starts the MariaDB shards and the proxy and describes them through
environment variables. A test reads them here, connects to the proxy (the
system under test) or straight to one shard (to see where rows really are),
and computes with XXH64 which shard a key must live on.
"""

import os
import struct
import subprocess
import time
import unittest

import pymysql
import xxhash

HOST = "127.0.0.1"


def _env_int(name, default=None):
    value = os.environ.get(name)
    if value is None or value == "":
        if default is None:
            raise RuntimeError(f"environment variable {name} is not set; run the tests through "
                               "tests/integration/run.sh or see tests/integration/README.md")
        return default
    return int(value)


PROXY_PORT = _env_int("SP_PROXY_PORT")
SHARD_PORTS = [int(p) for p in os.environ.get("SP_SHARD_PORTS", "").split(",") if p]
USER = os.environ.get("SP_USER", "app")
PASSWORD = os.environ.get("SP_PASSWORD", "app-pass")
DATABASE = os.environ.get("SP_DATABASE", "sbtest")
PROXY_LOG = os.environ.get("SP_PROXY_LOG")
PROXY_PID = _env_int("SP_PROXY_PID", 0)
MAX_PACKET_SIZE = _env_int("SP_MAX_PACKET_SIZE", 64 << 20)
POOL_MAX_PER_BACKEND = _env_int("SP_POOL_MAX_PER_BACKEND", 64)
WORKERS = _env_int("SP_WORKERS", 1)

# Large enough for the 20 MiB tests; PyMySQL refuses bigger queries by itself.
CLIENT_MAX_PACKET = 256 << 20

ER_ACCESS_DENIED = 1045
ER_UNKNOWN_COM = 1047
ER_NET_PACKET_TOO_LARGE = 1153
ER_NOT_SUPPORTED_YET = 1235
ER_UNSUPPORTED_PS = 1295


def connect_proxy(database=DATABASE, **kwargs):
    """Open a PyMySQL connection to the proxy with autocommit on."""
    return _connect(PROXY_PORT, database, **kwargs)


def connect_shard(index, database=DATABASE, **kwargs):
    """Open a PyMySQL connection straight to shard INDEX, bypassing the proxy."""
    if index >= len(SHARD_PORTS):
        raise unittest.SkipTest(f"shard {index} not configured (SP_SHARD_PORTS={SHARD_PORTS})")
    return _connect(SHARD_PORTS[index], database, **kwargs)


def _connect(port, database, **kwargs):
    options = {
        "host": HOST,
        "port": port,
        "user": USER,
        "password": PASSWORD,
        "database": database,
        "autocommit": True,
        "connect_timeout": 10,
        "read_timeout": 120,
        "write_timeout": 120,
        "max_allowed_packet": CLIENT_MAX_PACKET,
    }
    options.update(kwargs)
    return pymysql.connect(**options)


def query_all(conn, sql, args=None):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return list(cur.fetchall())


def execute(conn, sql, args=None):
    """Run a statement and return its affected-row count."""
    with conn.cursor() as cur:
        return cur.execute(sql, args)


def shard_of_hash(value):
    """Return the index of the shard whose default hash range contains VALUE.

    The 64-bit space is split into equal contiguous ranges in shard order.
    NOTE: with a shard count that does not divide 2^64 this assumes the last
    shard takes the remainder; only the two-shard split is exercised.
    """
    count = len(SHARD_PORTS)
    width = (1 << 64) // count
    return min(value // width, count - 1)


def shard_of_int(key):
    """Shard of an integer shard key: XXH64 (seed 0) of the signed 64-bit value, little-endian."""
    return shard_of_hash(xxhash.xxh64_intdigest(struct.pack("<q", key), seed=0))


def shard_of_str(key):
    """Shard of a string shard key: XXH64 (seed 0) of its UTF-8 bytes."""
    if isinstance(key, str):
        key = key.encode("utf-8")
    return shard_of_hash(xxhash.xxh64_intdigest(key, seed=0))


def mysql_error_code(exc):
    """The MySQL error number carried by a PyMySQL exception."""
    return exc.args[0] if exc.args and isinstance(exc.args[0], int) else None


def last_info(conn):
    """The info text of the last OK packet ("Records: 3  Duplicates: 0  Warnings: 0")."""
    # PyMySQL keeps it only on its private result object.
    # PyMySQL keeps the raw tail of the OK packet, where MariaDB puts the text
    # as a length-encoded string: drop a one-byte length that matches.
    message = conn._result.message if conn._result is not None else b""
    if isinstance(message, bytes) and message and message[0] == len(message) - 1:
        message = message[1:]
    return message.decode() if isinstance(message, bytes) else (message or "")


def run_cli(args, stdin=None, port=None, user=USER, password=PASSWORD, timeout=60):
    """Run the mariadb command-line client against the proxy; returns CompletedProcess."""
    # --password= with an empty value sends an empty password; "-p" alone would prompt.
    command = ["mariadb", "--no-defaults", f"-h{HOST}", f"-P{port or PROXY_PORT}",
               f"-u{user}", f"--password={password}"] + list(args)
    if stdin is None:
        return subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout, check=False)
    return subprocess.run(command, input=stdin, capture_output=True, text=True,
                          timeout=timeout, check=False)


def proxy_is_alive():
    """True when the proxy process still runs; True as well when no PID was given."""
    if not PROXY_PID:
        return True
    try:
        with open(f"/proc/{PROXY_PID}/stat", encoding="ascii") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def wait_until(predicate, timeout, interval=0.1):
    """Poll PREDICATE until it returns a true value or TIMEOUT seconds pass; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


class ProxyTestCase(unittest.TestCase):
    """Base class: one proxy connection per test plus lazily opened direct shard connections."""

    def setUp(self):
        # Registered first, so it runs after every other cleanup, which may
        # still need a shard connection.
        self._shards = {}
        self.addCleanup(self._close_shards)
        self.proxy = connect_proxy()
        self.addCleanup(self.proxy.close)

    def _close_shards(self):
        for conn in self._shards.values():
            conn.close()
        self._shards.clear()

    def shard(self, index, database=DATABASE):
        """A direct connection to shard INDEX, opened on first use and closed after the test."""
        key = (index, database)
        if key not in self._shards:
            self._shards[key] = connect_shard(index, database)
        return self._shards[key]

    def shard_count(self):
        return len(SHARD_PORTS)

    def direct_ids(self, index, table, column="id"):
        """The key values stored in TABLE on shard INDEX, read directly."""
        rows = query_all(self.shard(index), f"SELECT {column} FROM {table}")
        return [row[0] for row in rows]

    def table_exists(self, index, table, database=DATABASE):
        rows = query_all(self.shard(index),
                         "SELECT COUNT(*) FROM information_schema.tables"
                         " WHERE table_schema = %s AND table_name = %s", (database, table))
        return rows[0][0] == 1

    def drop_everywhere(self, table, database=DATABASE):
        """Drop TABLE on every shard directly, so cleanup does not depend on the proxy."""
        for index in range(self.shard_count()):
            execute(self.shard(index), f"DROP TABLE IF EXISTS `{database}`.`{table}`")

    def assertProxyError(self, code, func, *args):
        """Assert that FUNC raises a PyMySQL error with MySQL error number CODE."""
        with self.assertRaises(pymysql.MySQLError) as ctx:
            func(*args)
        self.assertEqual(mysql_error_code(ctx.exception), code, f"error was {ctx.exception!r}")
        return ctx.exception

    def assertProxyAlive(self):
        self.assertTrue(proxy_is_alive(), f"proxy PID {PROXY_PID} is gone; see {PROXY_LOG}")
