"""Connection churn, pool limits, and backend connections that die between statements."""

import unittest

import pymysql

import sptest
from sptest import execute, query_all, shard_of_int

CYCLES = 1000
# Connections to a shard beyond the pool limit that are not the proxy's
# pooled ones: this test's own direct connection and the proxy's health checks.
THREADS_SLACK = 4


class ConnectionChurnTest(sptest.ProxyTestCase):

    def threads_connected(self, index):
        rows = query_all(self.shard(index), "SHOW GLOBAL STATUS LIKE 'Threads_connected'")
        return int(rows[0][1])

    def test_1000_connect_cycles(self):
        for cycle in range(CYCLES):
            conn = sptest.connect_proxy()
            try:
                if cycle % 10 == 0:
                    self.assertEqual(query_all(conn, "SELECT 1"), [(1,)], f"cycle {cycle}")
            finally:
                conn.close()

        self.assertProxyAlive()
        with sptest.connect_proxy() as conn:
            self.assertEqual(query_all(conn, "SELECT 1"), [(1,)])

        limit = sptest.POOL_MAX_PER_BACKEND * sptest.WORKERS + THREADS_SLACK
        for index in range(self.shard_count()):
            # Closed backend connections leave Threads_connected a moment later.
            within = sptest.wait_until(lambda: self.threads_connected(index) <= limit, timeout=10)
            self.assertTrue(within, f"shard {index}: Threads_connected={self.threads_connected(index)},"
                                    f" limit {limit}")


class BackendKilledTest(sptest.ProxyTestCase):

    TABLE = "items_sh"

    def sleeping_app_threads(self, admin):
        rows = query_all(admin, "SELECT id FROM information_schema.processlist"
                                " WHERE user = %s AND command = 'Sleep' AND id <> CONNECTION_ID()",
                         (sptest.USER,))
        return [row[0] for row in rows]

    def test_killed_between_statements(self):
        self.drop_everywhere(self.TABLE)
        self.addCleanup(self.drop_everywhere, self.TABLE)
        execute(self.proxy, f"CREATE TABLE {self.TABLE} (id INT NOT NULL PRIMARY KEY, n INT NOT NULL)")
        key = 4242
        execute(self.proxy, f"INSERT INTO {self.TABLE} (id, n) VALUES ({key}, 42)")

        admin = self.shard(shard_of_int(key))
        victims = self.sleeping_app_threads(admin)
        self.assertTrue(victims, "no idle backend connection of the proxy to kill")
        for thread_id in victims:
            try:
                execute(admin, f"KILL {thread_id}")
            except pymysql.MySQLError as exc:
                # 1094: the thread ended by itself in the meantime.
                if sptest.mysql_error_code(exc) != 1094:
                    raise
        gone = sptest.wait_until(lambda: not set(victims) & set(self.sleeping_app_threads(admin)), timeout=10)
        self.assertTrue(gone, "killed threads are still listed")

        self.assertEqual(query_all(self.proxy, f"SELECT n FROM {self.TABLE} WHERE id = {key}"), [(42,)])
        execute(self.proxy, f"INSERT INTO {self.TABLE} (id, n) VALUES ({key + 1}, 43)")
        rows = query_all(self.proxy, f"SELECT id, n FROM {self.TABLE}")
        self.assertEqual(sorted(rows), [(key, 42), (key + 1, 43)])


if __name__ == "__main__":
    unittest.main()
