"""Writes: those the proxy must reject, and writes over several shards made all or nothing."""

import unittest

import pymysql

import sptest
from sptest import execute, query_all, shard_of_int


class ShardKeyUpdateTest(sptest.ProxyTestCase):

    TABLE = "t1"

    def count_everywhere(self, key):
        total = 0
        for index in range(self.shard_count()):
            total += query_all(self.shard(index), f"SELECT COUNT(*) FROM {self.TABLE} WHERE k = {key}")[0][0]
        return total

    def test_update_of_shard_key_rejected(self):
        self.drop_everywhere(self.TABLE)
        self.addCleanup(self.drop_everywhere, self.TABLE)
        execute(self.proxy, f"CREATE TABLE {self.TABLE} (k INT NOT NULL PRIMARY KEY, x INT NOT NULL)")
        execute(self.proxy, f"INSERT INTO {self.TABLE} (k, x) VALUES (1, 10)")
        # Key 2 hashes to the same shard as 1 and key 4 to the other one:
        # any assignment to the shard key is rejected.
        self.assertNotEqual(shard_of_int(1), shard_of_int(4), "keys 1 and 4 must hash to different shards")

        for statement in (f"UPDATE {self.TABLE} SET k = 2 WHERE k = 1",
                          f"UPDATE {self.TABLE} SET x = 11, k = 4 WHERE k = 1",
                          f"UPDATE {self.TABLE} SET k = k + 1 WHERE k = 1"):
            with self.subTest(statement=statement):
                self.assertProxyError(sptest.ER_NOT_SUPPORTED_YET, execute, self.proxy, statement)
                self.assertEqual(query_all(self.proxy, f"SELECT x FROM {self.TABLE} WHERE k = 1"), [(10,)])
                self.assertEqual(self.count_everywhere(1), 1)
                self.assertEqual(self.count_everywhere(2), 0)
                self.assertEqual(self.count_everywhere(4), 0)

        # Updating other columns stays allowed.
        self.assertEqual(execute(self.proxy, f"UPDATE {self.TABLE} SET x = 12 WHERE k = 1"), 1)
        home = self.shard(shard_of_int(1))
        self.assertEqual(query_all(home, f"SELECT x FROM {self.TABLE} WHERE k = 1"), [(12,)])


class AutoIncrementKeyTest(sptest.ProxyTestCase):

    TABLE = "photo"

    def test_insert_without_key_rejected(self):
        self.drop_everywhere(self.TABLE)
        self.addCleanup(self.drop_everywhere, self.TABLE)
        execute(self.proxy, f"CREATE TABLE {self.TABLE} (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,"
                            " title VARCHAR(64) NOT NULL)")

        with self.assertRaises(pymysql.MySQLError) as ctx:
            execute(self.proxy, f"INSERT INTO {self.TABLE} (title) VALUES ('no id')")
        self.assertIsNotNone(sptest.mysql_error_code(ctx.exception), repr(ctx.exception))
        for index in range(self.shard_count()):
            self.assertEqual(self.direct_ids(index, self.TABLE), [], f"shard {index}")

        # With the key given, the same table accepts the row on its shard.
        self.assertEqual(execute(self.proxy, f"INSERT INTO {self.TABLE} (id, title) VALUES (7, 'with id')"), 1)
        self.assertEqual(self.direct_ids(shard_of_int(7), self.TABLE), [7])


class AtomicWriteTest(sptest.ProxyTestCase):
    """A write over several shards applies everywhere or nowhere, as on one server."""

    TABLE = "sbtest_atomic"

    def setUp(self):
        super().setUp()
        self.drop_everywhere(self.TABLE)
        self.addCleanup(self.drop_everywhere, self.TABLE)
        execute(self.proxy, f"CREATE TABLE {self.TABLE} (id INT PRIMARY KEY, u INT NOT NULL,"
                            " UNIQUE KEY (u))")
        self.keys = {}
        for key in range(1, 100):
            self.keys.setdefault(sptest.shard_of_int(key), []).append(key)
        self.a = self.keys[0]
        self.b = self.keys[1]

    def rows(self, index):
        return sorted(sptest.query_all(self.shard(index), f"SELECT id, u FROM {self.TABLE}"))

    def open_transactions(self, index):
        return sptest.query_all(self.shard(index),
                                "SELECT COUNT(*) FROM information_schema.innodb_trx"
                                " WHERE trx_mysql_thread_id <> CONNECTION_ID()")[0][0]

    def test_split_insert_failing_on_one_shard(self):
        execute(self.proxy, f"INSERT INTO {self.TABLE} (id, u) VALUES ({self.a[0]}, 1)")
        err = self.assertProxyError(1062, execute, self.proxy,
                                    f"INSERT INTO {self.TABLE} (id, u) VALUES ({self.b[0]}, 10),"
                                    f" ({self.a[0]}, 11), ({self.b[1]}, 12)")
        # As on one server: the error of the row, and no row of the statement anywhere.
        self.assertNotIn("succeeded", str(err))
        self.assertEqual(self.rows(0), [(self.a[0], 1)])
        self.assertEqual(self.rows(1), [])
        self.assertTrue(sptest.wait_until(lambda: self.open_transactions(1) == 0, 5))

    def test_split_insert_succeeding(self):
        execute(self.proxy, f"INSERT INTO {self.TABLE} (id, u) VALUES ({self.a[0]}, 1), ({self.b[0]}, 2)")
        self.assertFalse(self.proxy.server_status & 0x0001, "the OK shows a transaction")
        self.assertEqual(self.rows(0), [(self.a[0], 1)])
        self.assertEqual(self.rows(1), [(self.b[0], 2)])
        for index in (0, 1):
            self.assertTrue(sptest.wait_until(lambda: self.open_transactions(index) == 0, 5))

    def test_scatter_update_failing_on_one_shard(self):
        execute(self.proxy, f"INSERT INTO {self.TABLE} (id, u) VALUES ({self.a[0]}, 1),"
                            f" ({self.b[0]}, 2), ({self.b[1]}, 3)")
        # Two rows of shard 1 would get the same unique value; shard 0's one row would not.
        self.assertProxyError(1062, execute, self.proxy, f"UPDATE {self.TABLE} SET u = 7")
        self.assertEqual(self.rows(0), [(self.a[0], 1)])
        self.assertEqual(self.rows(1), sorted([(self.b[0], 2), (self.b[1], 3)]))

    def test_failed_write_inside_transaction_is_undone(self):
        conn = self.proxy
        execute(conn, f"INSERT INTO {self.TABLE} (id, u) VALUES ({self.a[0]}, 1)")
        execute(conn, "BEGIN")
        execute(conn, f"INSERT INTO {self.TABLE} (id, u) VALUES ({self.b[0]}, 2)")
        self.assertProxyError(1062, execute, conn, f"INSERT INTO {self.TABLE} (id, u)"
                                                   f" VALUES ({self.b[1]}, 3), ({self.a[1]}, 1)")
        # The transaction goes on without the failed statement's rows.
        self.assertEqual(query_all(conn, f"SELECT COUNT(*) FROM {self.TABLE}"), [(2,)])
        execute(conn, "COMMIT")
        self.assertEqual(self.rows(0), [(self.a[0], 1)])
        self.assertEqual(self.rows(1), [(self.b[0], 2)])


if __name__ == "__main__":
    unittest.main()
