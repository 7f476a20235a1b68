"""DDL on sharded tables is broadcast to every shard, and a partial failure names the shard."""

import re
import unittest

import pymysql

import sptest
from sptest import execute, query_all


class DdlBroadcastTest(sptest.ProxyTestCase):

    def make_table(self, table):
        self.drop_everywhere(table)
        self.addCleanup(self.drop_everywhere, table)
        execute(self.proxy, f"CREATE TABLE {table} (id INT NOT NULL PRIMARY KEY, k INT NOT NULL)")

    def column_names(self, index, table):
        rows = query_all(self.shard(index),
                         "SELECT column_name FROM information_schema.columns"
                         " WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
                         (sptest.DATABASE, table))
        return [row[0] for row in rows]

    def index_names(self, index, table):
        rows = query_all(self.shard(index),
                         "SELECT DISTINCT index_name FROM information_schema.statistics"
                         " WHERE table_schema = %s AND table_name = %s",
                         (sptest.DATABASE, table))
        return {row[0] for row in rows}

    def test_create_table(self):
        self.make_table("sbtest5a")
        for index in range(self.shard_count()):
            self.assertTrue(self.table_exists(index, "sbtest5a"), f"shard {index}")

    def test_alter_table(self):
        self.make_table("sbtest5b")
        execute(self.proxy, "ALTER TABLE sbtest5b ADD COLUMN note VARCHAR(20) NOT NULL DEFAULT ''")
        for index in range(self.shard_count()):
            self.assertEqual(self.column_names(index, "sbtest5b"), ["id", "k", "note"], f"shard {index}")

    def test_create_index(self):
        self.make_table("sbtest5c")
        execute(self.proxy, "CREATE INDEX idx_k ON sbtest5c (k)")
        for index in range(self.shard_count()):
            self.assertEqual(self.index_names(index, "sbtest5c"), {"PRIMARY", "idx_k"}, f"shard {index}")

    def test_truncate_table(self):
        self.make_table("sbtest5d")
        values = ", ".join(f"({key}, {key})" for key in range(1, 31))
        execute(self.proxy, f"INSERT INTO sbtest5d (id, k) VALUES {values}")
        for index in range(self.shard_count()):
            self.assertTrue(self.direct_ids(index, "sbtest5d"), f"shard {index} got no rows")

        execute(self.proxy, "TRUNCATE TABLE sbtest5d")
        for index in range(self.shard_count()):
            self.assertEqual(self.direct_ids(index, "sbtest5d"), [], f"shard {index}")

    def test_drop_table(self):
        self.make_table("sbtest5e")
        for index in range(self.shard_count()):
            self.assertTrue(self.table_exists(index, "sbtest5e"), f"shard {index} before DROP")
        execute(self.proxy, "DROP TABLE sbtest5e")
        for index in range(self.shard_count()):
            self.assertFalse(self.table_exists(index, "sbtest5e"), f"shard {index}")

    def test_failure_on_one_shard_names_it(self):
        table = "sbtest6"
        self.drop_everywhere(table)
        self.addCleanup(self.drop_everywhere, table)
        execute(self.shard(1), f"CREATE TABLE {table} (id INT NOT NULL PRIMARY KEY)")

        with self.assertRaises(pymysql.MySQLError) as ctx:
            execute(self.proxy, f"CREATE TABLE {table} (id INT NOT NULL PRIMARY KEY)")
        message = str(ctx.exception.args[-1])
        self.assertRegex(message, re.compile(r"\bs1\b"), f"error does not name the shard: {ctx.exception!r}")
        self.assertTrue(sptest.proxy_is_alive())
        self.assertEqual(query_all(self.proxy, "SELECT 1"), [(1,)])


class AccountTest(sptest.ProxyTestCase):
    """Account statements reach every shard, whose accounts the proxy logs in with."""

    def user_counts(self):
        return [sptest.query_all(self.shard(i), "SELECT COUNT(*) FROM mysql.user WHERE user = 'sp_reader'")[0][0]
                for i in range(self.shard_count())]

    def test_create_and_drop_user(self):
        self.addCleanup(lambda: [sptest.execute(self.shard(i), "DROP USER IF EXISTS 'sp_reader'@'localhost'")
                                 for i in range(self.shard_count())])
        sptest.execute(self.proxy, "CREATE USER 'sp_reader'@'localhost' IDENTIFIED BY 'x'")
        self.assertEqual(self.user_counts(), [1] * self.shard_count())
        # The test account may not grant: every shard refuses alike, and the
        # client gets that error as one server would send it.
        err = self.assertProxyError(1044, sptest.execute, self.proxy,
                                    f"GRANT SELECT ON {sptest.DATABASE}.* TO 'sp_reader'@'localhost'")
        self.assertNotIn("shard", str(err))
        sptest.execute(self.proxy, "DROP USER 'sp_reader'@'localhost'")
        self.assertEqual(self.user_counts(), [0] * self.shard_count())


if __name__ == "__main__":
    unittest.main()
