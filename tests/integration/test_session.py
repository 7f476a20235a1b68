"""Session state: the current database and sql_mode follow the client, not the pooled backend."""

import unittest

import pymysql

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


class SessionVariableTest(unittest.TestCase):
    """SET of common session variables: replayed on borrowed connections, never leaked."""

    @classmethod
    def setUpClass(cls):
        with sptest.connect_proxy() as conn:
            execute(conn, "DROP TABLE IF EXISTS sbtest_vars")
            execute(conn, "CREATE TABLE sbtest_vars (id INT PRIMARY KEY)")
            execute(conn, "INSERT INTO sbtest_vars (id) VALUES (1), (2), (3), (4), (5), (6)")

    @classmethod
    def tearDownClass(cls):
        with sptest.connect_proxy() as conn:
            execute(conn, "DROP TABLE IF EXISTS sbtest_vars")

    def test_variables_follow_the_client_to_every_shard(self):
        with sptest.connect_proxy() as conn:
            execute(conn, "SET time_zone = '+05:00', SESSION sql_mode = 'PIPES_AS_CONCAT',"
                          " @@session.group_concat_max_len = 1234")
            for _ in range(5):
                # A scatter read borrows a connection on every shard.
                rows = query_all(conn, "SELECT DISTINCT @@time_zone, @@sql_mode, 'a' || 'b',"
                                       " @@group_concat_max_len FROM sbtest_vars")
                self.assertEqual(rows, [("+05:00", "PIPES_AS_CONCAT", "ab", 1234)])
            execute(conn, "SET time_zone = DEFAULT")
            self.assertEqual(query_all(conn, "SELECT @@time_zone = @@GLOBAL.time_zone"), [(1,)])

    def test_a_pooled_connection_forgets_the_last_client(self):
        seen_same = False
        for _ in range(20):
            with sptest.connect_proxy() as first:
                execute(first, "SET time_zone = '-03:00', sql_mode = 'ANSI_QUOTES'")
                (first_id,), = query_all(first, "SELECT @@pseudo_thread_id")
            with sptest.connect_proxy() as second:
                rows = query_all(second, "SELECT @@pseudo_thread_id, @@time_zone = @@GLOBAL.time_zone,"
                                         " @@sql_mode = @@GLOBAL.sql_mode")
                self.assertEqual(rows[0][1:], (1, 1), "another client's variables leaked")
                seen_same = seen_same or rows[0][0] == first_id
            if seen_same:
                break
        self.assertTrue(seen_same, "the second client never reused the first one's connection")

    def test_set_names_follows_the_client(self):
        with sptest.connect_proxy() as conn:
            execute(conn, "SET NAMES latin1 COLLATE latin1_bin")
            for _ in range(3):
                rows = query_all(conn, "SELECT DISTINCT @@character_set_client,"
                                       " @@collation_connection FROM sbtest_vars")
                self.assertEqual(rows, [("latin1", "latin1_bin")])
            execute(conn, "SET NAMES 'utf8mb4'")
            self.assertEqual(query_all(conn, "SELECT @@collation_connection"),
                             [("utf8mb4_general_ci",)])
        for _ in range(5):
            with sptest.connect_proxy() as other:
                self.assertEqual(query_all(other, "SELECT @@character_set_client"), [("utf8mb4",)])

    def test_last_insert_id_answers_for_the_session(self):
        with sptest.connect_proxy() as conn, sptest.connect_proxy() as other:
            execute(conn, "DROP TABLE IF EXISTS plain_ids")
            execute(conn, "CREATE TABLE plain_ids (id INT AUTO_INCREMENT PRIMARY KEY, v INT)")
            self.addCleanup(lambda: execute(sptest.connect_proxy(), "DROP TABLE IF EXISTS plain_ids"))
            execute(conn, "INSERT INTO plain_ids (v) VALUES (1), (2)")
            execute(conn, "INSERT INTO plain_ids (v) VALUES (3)")
            execute(other, "INSERT INTO plain_ids (v) VALUES (4)")
            # Other statements and another client's inserts in between change nothing.
            query_all(conn, "SELECT COUNT(*) FROM sbtest_vars")
            self.assertEqual(query_all(conn, "SELECT LAST_INSERT_ID(), last_insert_id() + 1"), [(3, 4)])
            self.assertEqual(query_all(other, "SELECT LAST_INSERT_ID()"), [(4,)])
        with sptest.connect_proxy() as fresh:
            self.assertEqual(query_all(fresh, "SELECT LAST_INSERT_ID()"), [(0,)])

    def test_last_insert_id_set_by_client(self):
        with sptest.connect_proxy() as conn:
            execute(conn, "DROP TABLE IF EXISTS plain_seq")
            execute(conn, "CREATE TABLE plain_seq (id INT NOT NULL)")
            self.addCleanup(lambda: execute(sptest.connect_proxy(), "DROP TABLE IF EXISTS plain_seq"))
            execute(conn, "INSERT INTO plain_seq (id) VALUES (10)")

            self.assertEqual(query_all(conn, "SELECT LAST_INSERT_ID(5)"), [(5,)])
            query_all(conn, "SELECT COUNT(*) FROM sbtest_vars")
            self.assertEqual(query_all(conn, "SELECT LAST_INSERT_ID()"), [(5,)])

            # A sequence kept in a table: the UPDATE's OK packet carries the value.
            with conn.cursor() as cur:
                cur.execute("UPDATE plain_seq SET id = LAST_INSERT_ID(id + 1)")
                self.assertEqual(cur.lastrowid, 11)
            self.assertEqual(query_all(conn, "SELECT LAST_INSERT_ID()"), [(11,)])

            # The same on a sharded table, whichever shard stores the row.
            execute(conn, "DROP TABLE IF EXISTS sbtest_seq")
            execute(conn, "CREATE TABLE sbtest_seq (id INT PRIMARY KEY, n INT NOT NULL)")
            self.addCleanup(lambda: execute(sptest.connect_proxy(), "DROP TABLE IF EXISTS sbtest_seq"))
            execute(conn, "INSERT INTO sbtest_seq (id, n) VALUES (1, 100), (2, 200), (3, 300)")
            for key in (1, 2, 3):
                execute(conn, f"UPDATE sbtest_seq SET n = LAST_INSERT_ID(n + 1) WHERE id = {key}")
                self.assertEqual(query_all(conn, "SELECT LAST_INSERT_ID()"), [(key * 100 + 1,)])

            self.assertEqual(query_all(conn, "SELECT @@identity, @@last_insert_id"), [(301, 301)])
            with self.assertRaises(pymysql.MySQLError) as ctx:
                query_all(conn, "SELECT LAST_INSERT_ID(id) FROM sbtest_vars WHERE id = 2")
            self.assertEqual(sptest.mysql_error_code(ctx.exception), sptest.ER_NOT_SUPPORTED_YET)
            self.assertEqual(query_all(conn, "SELECT LAST_INSERT_ID()"), [(301,)])

    def test_row_count_and_found_rows(self):
        with sptest.connect_proxy() as conn:
            execute(conn, "DROP TABLE IF EXISTS sbtest_counts")
            execute(conn, "CREATE TABLE sbtest_counts (id INT PRIMARY KEY, n INT NOT NULL)")
            self.addCleanup(lambda: execute(sptest.connect_proxy(), "DROP TABLE IF EXISTS sbtest_counts"))
            with conn.cursor() as cur:
                # Rows on both shards: the session sums the shards' counts.
                cur.execute("INSERT INTO sbtest_counts (id, n) VALUES (1, 1), (2, 2), (3, 3), (4, 4)")
                cur.execute("SELECT ROW_COUNT(), row_count() + 1 AS next")
                self.assertEqual(cur.fetchall(), ((4, 5),))
                self.assertEqual([d[0] for d in cur.description], ["ROW_COUNT()", "next"])
                cur.execute("UPDATE sbtest_counts SET n = n + 1 WHERE id > 1")
                cur.execute("SELECT ROW_COUNT()")
                self.assertEqual(cur.fetchall(), ((3,),))

                cur.execute("SELECT id FROM sbtest_counts")
                cur.execute("SELECT FOUND_ROWS(), ROW_COUNT()")
                self.assertEqual(cur.fetchall(), ((4, -1),))
                self.assertEqual([d[0] for d in cur.description], ["FOUND_ROWS()", "ROW_COUNT()"])
                # A merged result: the rows the client got, and those its offset skipped.
                for limit, found in (("3", 3), ("1, 2", 3), ("2 OFFSET 3", 4), ("6, 1", 4)):
                    cur.execute(f"SELECT id FROM sbtest_counts ORDER BY id LIMIT {limit}")
                    cur.execute("SELECT FOUND_ROWS()")
                    self.assertEqual(cur.fetchall(), ((found,),), limit)

                with self.assertRaises(pymysql.MySQLError):
                    cur.execute("SELECT no_such_column FROM sbtest_counts")
                cur.execute("SELECT ROW_COUNT()")
                self.assertEqual(cur.fetchall(), ((-1,),))

                # SQL_CALC_FOUND_ROWS on one shard: FOUND_ROWS() runs on that shard.
                keys = {sptest.shard_of_int(key): key for key in (1, 2, 3, 4)}
                self.assertEqual(len(keys), 2, "the test rows do not cover both shards")
                for key in keys.values():
                    cur.execute("SELECT SQL_CALC_FOUND_ROWS n FROM sbtest_counts"
                                f" WHERE id = {key} LIMIT 0")
                    cur.execute("SELECT FOUND_ROWS()")
                    self.assertEqual(cur.fetchall(), ((1,),))

    def test_row_count_in_multi_statement_text(self):
        conn = sptest.connect_proxy(client_flag=pymysql.constants.CLIENT.MULTI_STATEMENTS)
        self.addCleanup(conn.close)
        with conn.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS sbtest_multi")
            cur.execute("CREATE TABLE sbtest_multi (id INT PRIMARY KEY)")
            self.addCleanup(lambda: execute(sptest.connect_proxy(), "DROP TABLE IF EXISTS sbtest_multi"))
            # The SELECT runs right after the INSERT on its shard, which has the count.
            cur.execute("INSERT INTO sbtest_multi (id) VALUES (1); SELECT ROW_COUNT()")
            cur.nextset()
            self.assertEqual(cur.fetchall(), ((1,),))

    def test_a_bad_value_changes_nothing(self):
        with sptest.connect_proxy() as conn:
            with self.assertRaises(pymysql.MySQLError):
                execute(conn, "SET time_zone = 'Not/AZone'")
            self.assertEqual(query_all(conn, "SELECT @@time_zone = @@GLOBAL.time_zone"), [(1,)])


if __name__ == "__main__":
    unittest.main()
