"""Session state: the current database and sql_mode follow the client, not the pooled backend."""

import unittest

import sptest
from sptest import execute, query_all, shard_of_int

DATABASES = ("db1", "db2")


def drop_databases():
    for index in range(len(sptest.SHARD_PORTS)):
        with sptest.connect_shard(index) as conn:
            for name in DATABASES:
                execute(conn, f"DROP DATABASE IF EXISTS {name}")


class UseDatabaseTest(sptest.ProxyTestCase):
    """db1.t contains x=1 and db2.t contains x=2. Table t is not sharded, so it lives on s0."""

    @classmethod
    def setUpClass(cls):
        drop_databases()
        with sptest.connect_proxy() as conn:
            for number, name in enumerate(DATABASES, start=1):
                execute(conn, f"CREATE DATABASE {name}")
        for number, name in enumerate(DATABASES, start=1):
            with sptest.connect_proxy(database=name) as conn:
                execute(conn, "CREATE TABLE t (x INT NOT NULL)")
                execute(conn, f"INSERT INTO t (x) VALUES ({number})")
        with sptest.connect_proxy(database="db2") as conn:
            execute(conn, "CREATE TABLE sbtest_use (id INT NOT NULL PRIMARY KEY, v INT NOT NULL)")

    @classmethod
    def tearDownClass(cls):
        drop_databases()

    def test_create_database_reaches_every_shard(self):
        for index in range(self.shard_count()):
            names = {row[0] for row in query_all(self.shard(index), "SHOW DATABASES")}
            self.assertTrue(set(DATABASES) <= names, f"shard {index} has {sorted(names)}")

    def test_unsharded_table_on_default_shard(self):
        for number, name in enumerate(DATABASES, start=1):
            self.assertEqual(query_all(self.shard(0), f"SELECT x FROM {name}.t"), [(number,)])

    def test_use_after_comment(self):
        for attempt in range(5):
            with sptest.connect_proxy(database="db1") as conn:
                execute(conn, "/* app:checkout */ USE db2")
                self.assertEqual(query_all(conn, "SELECT DATABASE(), x FROM t"), [("db2", 2)],
                                 f"connection {attempt}")

    def test_database_kept_across_statements(self):
        keys = list(range(300, 310))
        for index in range(self.shard_count()):
            self.assertTrue([k for k in keys if shard_of_int(k) == index], f"no test key for shard {index}")

        with sptest.connect_proxy(database="db1") as conn:
            execute(conn, "/* app:checkout */ USE db2")
            # 20 statements on both shards; each fails unless its backend
            # connection has db2 selected, because only db2 has sbtest_use.
            for key in keys:
                self.assertEqual(execute(conn, f"INSERT INTO sbtest_use (id, v) VALUES ({key}, {key * 2})"), 1)
                self.assertEqual(query_all(conn, f"SELECT v FROM sbtest_use WHERE id = {key}"), [(key * 2,)])
            self.assertEqual(query_all(conn, "SELECT DATABASE(), x FROM t"), [("db2", 2)])

        for index in range(self.shard_count()):
            stored = sorted(self.direct_ids(index, "db2.sbtest_use"))
            self.assertEqual(stored, [k for k in keys if shard_of_int(k) == index], f"shard {index}")

    def test_init_db(self):
        with sptest.connect_proxy(database="db1") as conn:
            self.assertEqual(query_all(conn, "SELECT DATABASE(), x FROM t"), [("db1", 1)])
            conn.select_db("db2")
            self.assertEqual(query_all(conn, "SELECT DATABASE(), x FROM t"), [("db2", 2)])


class LoginDatabaseTest(unittest.TestCase):

    def test_unknown_database_rejected_at_login(self):
        with self.assertRaises(sptest.pymysql.MySQLError) as caught:
            sptest.connect_proxy(database="no_such_database")
        self.assertEqual(sptest.mysql_error_code(caught.exception), 1049)
        with sptest.connect_proxy() as conn:
            self.assertEqual(query_all(conn, "SELECT 1"), [(1,)])

    def test_session_without_database_sees_none(self):
        # Pooled connections that served a session with a database must not
        # hand that database to a session that has none.
        for _ in range(4):
            with sptest.connect_proxy(database=sptest.DATABASE) as conn:
                self.assertEqual(query_all(conn, "SELECT DATABASE()"), [(sptest.DATABASE,)])
        for client in range(10):
            with sptest.connect_proxy(database=None) as conn:
                self.assertEqual(query_all(conn, "SELECT DATABASE()"), [(None,)], f"client {client}")


class SqlModeIsolationTest(unittest.TestCase):

    def test_sql_mode_not_leaked(self):
        # Several setters, so that both workers' pools likely hold a backend
        # connection that once ran with PIPES_AS_CONCAT.
        for _ in range(4):
            with sptest.connect_proxy() as conn:
                execute(conn, "SET SESSION sql_mode = 'PIPES_AS_CONCAT'")
                self.assertEqual(query_all(conn, "SELECT 'a' || 'b'"), [("ab",)])

        for client in range(20):
            with sptest.connect_proxy() as conn:
                rows = query_all(conn, "SELECT @@SESSION.sql_mode = @@GLOBAL.sql_mode, 'a' || 'b'")
                self.assertEqual(rows, [(1, 0)], f"client {client}")


if __name__ == "__main__":
    unittest.main()
