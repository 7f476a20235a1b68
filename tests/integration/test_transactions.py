"""Transactions over several shards: a deadlock between shards, and what stays consistent.

Each shard only sees half of a deadlock between two transactions that
each hold a row on one shard and wait for a row on the other. It ends
when innodb_lock_wait_timeout (2 s in the test cluster) fails one waiting
statement; the proxy then rolls that transaction back on every shard and
reports a deadlock (1213), so that the client restarts it and the other
transaction goes on.
"""

import threading
import unittest

import pymysql

import sptest
from test_limits import OwnProxyTestCase

ER_LOCK_DEADLOCK = 1213
SERVER_STATUS_IN_TRANS = 0x0001
TABLE = "sbtest_tx"


def keys_on_two_shards():
    """Return an id on shard 0 and an id on shard 1."""
    first = {}
    for key in range(1, 100):
        first.setdefault(sptest.shard_of_int(key), key)
        if len(first) == 2:
            return first[0], first[1]
    raise AssertionError("no ids on both shards")


class CrossShardDeadlockTest(unittest.TestCase):

    def setUp(self):
        with sptest.connect_proxy() as conn:
            sptest.execute(conn, f"DROP TABLE IF EXISTS {TABLE}")
            sptest.execute(conn, f"CREATE TABLE {TABLE} (id INT PRIMARY KEY, n INT NOT NULL)"
                                 " ENGINE=InnoDB")
            self.a, self.b = keys_on_two_shards()
            sptest.execute(conn, f"INSERT INTO {TABLE} (id, n) VALUES ({self.a}, 0), ({self.b}, 0)")

    def tearDown(self):
        with sptest.connect_proxy() as conn:
            sptest.execute(conn, f"DROP TABLE IF EXISTS {TABLE}")
        self.assertTrue(sptest.proxy_is_alive(), f"proxy died; see {sptest.PROXY_LOG}")

    def test_deadlock_between_shards_rolls_back_whole_transactions(self):
        self.run_deadlock(pinned=False)

    def test_deadlock_rolls_back_pinned_sessions(self):
        # Connections that keep session state are rolled back, not closed.
        self.run_deadlock(pinned=True)

    def run_deadlock(self, pinned):
        first = sptest.connect_proxy()
        second = sptest.connect_proxy()
        self.addCleanup(first.close)
        self.addCleanup(second.close)
        if pinned:
            for conn in (first, second):
                sptest.execute(conn, "SET @kept = 7")
        sptest.execute(first, "BEGIN")
        sptest.execute(first, f"UPDATE {TABLE} SET n = n + 1 WHERE id = {self.a}")
        sptest.execute(second, "BEGIN")
        sptest.execute(second, f"UPDATE {TABLE} SET n = n + 10 WHERE id = {self.b}")

        outcome = {}

        def cross(name, conn, key, add):
            try:
                sptest.execute(conn, f"UPDATE {TABLE} SET n = n + {add} WHERE id = {key}")
                outcome[name] = "ok"
            except pymysql.MySQLError as exc:
                outcome[name] = sptest.mysql_error_code(exc)

        threads = [threading.Thread(target=cross, args=("first", first, self.b, 1)),
                   threading.Thread(target=cross, args=("second", second, self.a, 10))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
            self.assertFalse(thread.is_alive(), "a statement is still waiting after 30 s")

        # A victim gets 1213 and loses its whole transaction. Both may time
        # out at once, since both waits began together; a winner commits.
        self.assertIn(str(ER_LOCK_DEADLOCK), map(str, outcome.values()), outcome)
        self.assertTrue(set(outcome.values()) <= {"ok", ER_LOCK_DEADLOCK}, outcome)
        added = 0
        for name, conn, add in (("first", first, 1), ("second", second, 10)):
            # COMMIT after the rollback changes nothing, as on a server.
            sptest.execute(conn, "COMMIT")
            if outcome[name] == "ok":
                added = add
        with sptest.connect_proxy() as conn:
            rows = dict(sptest.query_all(conn, f"SELECT id, n FROM {TABLE}"))
        self.assertEqual(rows, {self.a: added, self.b: added},
                         "a victim's first update must be rolled back on its shard too")
        victim = first if outcome["first"] != "ok" else second
        # The victim's session starts over cleanly.
        sptest.execute(victim, "BEGIN")
        sptest.execute(victim, f"UPDATE {TABLE} SET n = n + 100 WHERE id IN ({self.a}, {self.b})")
        sptest.execute(victim, "COMMIT")
        with sptest.connect_proxy() as conn:
            rows = dict(sptest.query_all(conn, f"SELECT id, n FROM {TABLE}"))
        self.assertEqual(rows, {self.a: added + 100, self.b: added + 100})
        if pinned:
            self.assertEqual(sptest.query_all(victim, "SELECT @kept"), [(7,)])


class SavepointTest(unittest.TestCase):
    """SAVEPOINT, ROLLBACK TO and RELEASE reach every shard of the transaction."""

    def setUp(self):
        with sptest.connect_proxy() as conn:
            sptest.execute(conn, f"DROP TABLE IF EXISTS {TABLE}")
            sptest.execute(conn, f"CREATE TABLE {TABLE} (id INT PRIMARY KEY, n INT NOT NULL)")
        self.a, self.b = keys_on_two_shards()

    def tearDown(self):
        with sptest.connect_proxy() as conn:
            sptest.execute(conn, f"DROP TABLE IF EXISTS {TABLE}")

    def rows(self):
        with sptest.connect_proxy() as conn:
            return dict(sptest.query_all(conn, f"SELECT id, n FROM {TABLE}"))

    def test_rollback_to_a_savepoint_on_every_shard(self):
        with sptest.connect_proxy() as conn:
            sptest.execute(conn, "BEGIN")
            sptest.execute(conn, f"INSERT INTO {TABLE} (id, n) VALUES ({self.a}, 1)")
            sptest.execute(conn, "SAVEPOINT before_b")
            # The second shard joins the transaction after the savepoint.
            sptest.execute(conn, f"INSERT INTO {TABLE} (id, n) VALUES ({self.b}, 2)")
            sptest.execute(conn, f"UPDATE {TABLE} SET n = n + 10 WHERE id = {self.a}")
            sptest.execute(conn, "SAVEPOINT `later one`")
            sptest.execute(conn, "ROLLBACK TO SAVEPOINT before_b")
            # The later savepoint went with the rollback; the first one stays.
            with self.assertRaises(pymysql.MySQLError) as ctx:
                sptest.execute(conn, "ROLLBACK TO `later one`")
            self.assertEqual(sptest.mysql_error_code(ctx.exception), 1305)
            sptest.execute(conn, f"INSERT INTO {TABLE} (id, n) VALUES ({self.b}, 3)")
            sptest.execute(conn, "RELEASE SAVEPOINT before_b")
            sptest.execute(conn, "COMMIT")
        self.assertEqual(self.rows(), {self.a: 1, self.b: 3})

    def test_savepoint_before_any_shard_is_reached(self):
        with sptest.connect_proxy() as conn:
            sptest.execute(conn, "START TRANSACTION")
            sptest.execute(conn, "SAVEPOINT first")
            with self.assertRaises(pymysql.MySQLError) as ctx:
                sptest.execute(conn, "ROLLBACK TO nothing_here")
            self.assertEqual(sptest.mysql_error_code(ctx.exception), 1305)
            sptest.execute(conn, f"INSERT INTO {TABLE} (id, n) VALUES ({self.a}, 1), ({self.b}, 2)")
            sptest.execute(conn, "ROLLBACK TO first")
            sptest.execute(conn, f"INSERT INTO {TABLE} (id, n) VALUES ({self.b}, 5)")
            sptest.execute(conn, "COMMIT")
        self.assertEqual(self.rows(), {self.b: 5})

    def test_open_transaction_is_invisible_to_other_clients(self):
        with sptest.connect_proxy() as first, sptest.connect_proxy() as second:
            sptest.execute(first, "BEGIN")
            sptest.execute(first, f"INSERT INTO {TABLE} (id, n) VALUES ({self.a}, 1), ({self.b}, 2)")
            for _ in range(5):
                self.assertEqual(sptest.query_all(second, f"SELECT COUNT(*) FROM {TABLE}"), [(0,)])
            sptest.execute(first, "ROLLBACK")
        self.assertEqual(self.rows(), {})


class AutocommitOffTest(unittest.TestCase):
    """SET autocommit = 0 (PyMySQL's default) without pinning: the proxy opens the transactions."""

    def setUp(self):
        with sptest.connect_proxy() as conn:
            sptest.execute(conn, f"DROP TABLE IF EXISTS {TABLE}")
            sptest.execute(conn, f"CREATE TABLE {TABLE} (id INT PRIMARY KEY, n INT NOT NULL)")
        self.a, self.b = keys_on_two_shards()

    def tearDown(self):
        with sptest.connect_proxy() as conn:
            sptest.execute(conn, f"DROP TABLE IF EXISTS {TABLE}")

    def count(self):
        with sptest.connect_proxy() as conn:
            return sptest.query_all(conn, f"SELECT COUNT(*) FROM {TABLE}")[0][0]

    def test_commit_rollback_and_back_on(self):
        conn = sptest.connect_proxy(autocommit=False)
        self.addCleanup(conn.close)
        with conn.cursor() as cur:
            cur.execute(f"INSERT INTO {TABLE} (id, n) VALUES ({self.a}, 1), ({self.b}, 1)")
        self.assertEqual(self.count(), 0, "uncommitted rows are visible to another client")
        conn.commit()
        self.assertEqual(self.count(), 2)
        # The next statement opens the next transaction.
        with conn.cursor() as cur:
            cur.execute(f"UPDATE {TABLE} SET n = 2")
            cur.execute("SAVEPOINT s")
            cur.execute(f"DELETE FROM {TABLE} WHERE id = {self.a}")
            cur.execute("ROLLBACK TO s")
        conn.rollback()
        with sptest.connect_proxy() as other:
            self.assertEqual(sorted(sptest.query_all(other, f"SELECT id, n FROM {TABLE}")),
                             sorted([(self.a, 1), (self.b, 1)]))
        with conn.cursor() as cur:
            cur.execute("SELECT @@autocommit, @@session.autocommit AS s")
            self.assertEqual(cur.fetchall(), ((0, 0),))
            self.assertEqual([d[0] for d in cur.description], ["@@autocommit", "s"])
        # Turning autocommit on commits the open transaction, as on a server.
        with conn.cursor() as cur:
            cur.execute(f"DELETE FROM {TABLE} WHERE id = {self.b}")
        conn.autocommit(True)
        self.assertEqual(self.count(), 1)
        with conn.cursor() as cur:
            cur.execute(f"DELETE FROM {TABLE}")
            cur.execute("SELECT @@autocommit")
            self.assertEqual(cur.fetchall(), ((1,),))
        self.assertEqual(self.count(), 0)


    def test_autocommit_with_other_variables(self):
        with sptest.connect_proxy() as conn:
            sptest.execute(conn, "SET autocommit = 0, sql_mode = 'ANSI_QUOTES'")
            self.assertEqual(sptest.query_all(conn, "SELECT @@autocommit, @@sql_mode"),
                             [(0, "ANSI_QUOTES")])
            sptest.execute(conn, f"INSERT INTO {TABLE} (id, n) VALUES ({self.a}, 1), ({self.b}, 1)")
            self.assertEqual(self.count(), 0)
            # Turning it on with another variable commits, as on a server.
            sptest.execute(conn, "SET @@session.autocommit = ON, sql_mode = DEFAULT")
            self.assertFalse(conn.server_status & SERVER_STATUS_IN_TRANS)
            self.assertEqual(self.count(), 2)
            sptest.execute(conn, f"DELETE FROM {TABLE} WHERE id = {self.a}")
            self.assertEqual(self.count(), 1, "autocommit is still off")
            with self.assertRaises(pymysql.MySQLError) as ctx:
                sptest.execute(conn, "SET autocommit = @x, sql_mode = ''")
            self.assertEqual(sptest.mysql_error_code(ctx.exception), sptest.ER_NOT_SUPPORTED_YET)


class TransactionModeSingleTest(OwnProxyTestCase):
    """transaction_mode "single": a transaction that would reach a second shard gets an ERR."""

    def test_single_mode(self):
        proxy = self.start_proxy(transaction_mode="single")
        a, b = keys_on_two_shards()
        with proxy.connect() as conn:
            sptest.execute(conn, f"DROP TABLE IF EXISTS {TABLE}")
            sptest.execute(conn, f"CREATE TABLE {TABLE} (id INT PRIMARY KEY, n INT NOT NULL)")
            try:
                sptest.execute(conn, "BEGIN")
                sptest.execute(conn, f"INSERT INTO {TABLE} (id, n) VALUES ({a}, 1)")
                sptest.execute(conn, f"UPDATE {TABLE} SET n = 2 WHERE id = {a}")
                with self.assertRaises(pymysql.MySQLError) as ctx:
                    sptest.execute(conn, f"INSERT INTO {TABLE} (id, n) VALUES ({b}, 1)")
                self.assertEqual(sptest.mysql_error_code(ctx.exception), sptest.ER_NOT_SUPPORTED_YET)
                self.assertIn("single", str(ctx.exception))
                sptest.execute(conn, "COMMIT")
                # Outside a transaction any shard is fine.
                sptest.execute(conn, f"INSERT INTO {TABLE} (id, n) VALUES ({b}, 3)")
                self.assertEqual(sorted(sptest.query_all(conn, f"SELECT id, n FROM {TABLE}")),
                                 sorted([(a, 2), (b, 3)]))
            finally:
                sptest.execute(conn, f"DROP TABLE IF EXISTS {TABLE}")


class FailedStatementTest(sptest.ProxyTestCase):
    """A statement that fails as the first one of a transaction on a shard."""

    def setUp(self):
        super().setUp()
        sptest.execute(self.proxy, f"DROP TABLE IF EXISTS {TABLE}")
        sptest.execute(self.proxy, f"CREATE TABLE {TABLE} (id INT PRIMARY KEY, n INT NOT NULL)")
        self.addCleanup(self.drop_everywhere, TABLE)
        self.a, self.b = keys_on_two_shards()
        sptest.execute(self.proxy, f"INSERT INTO {TABLE} (id, n) VALUES ({self.b}, 0)")

    def open_transactions(self, index):
        """Transactions open on shard INDEX, other than the test's own connection's."""
        rows = sptest.query_all(self.shard(index),
                                "SELECT COUNT(*) FROM information_schema.innodb_trx"
                                " WHERE trx_mysql_thread_id <> CONNECTION_ID()")
        return rows[0][0]

    def test_failed_statement_keeps_transaction(self):
        shard_b = sptest.shard_of_int(self.b)
        with sptest.connect_proxy() as conn:
            sptest.execute(conn, "BEGIN")
            sptest.execute(conn, f"INSERT INTO {TABLE} (id, n) VALUES ({self.a}, 1)")
            # The proxy begins the transaction on the second shard, then the
            # statement fails there: the transaction stays open, as on a server.
            self.assertProxyError(1062, sptest.execute, conn,
                                  f"INSERT INTO {TABLE} (id, n) VALUES ({self.b}, 1)")
            sptest.execute(conn, "ROLLBACK")
        # The rollback reached that shard too; no connection keeps a transaction.
        self.assertTrue(sptest.wait_until(lambda: self.open_transactions(shard_b) == 0, 5),
                        "a backend connection still has a transaction open")
        self.assertEqual(sorted(sptest.query_all(self.shard(shard_b), f"SELECT id, n FROM {TABLE}")),
                         [(self.b, 0)])
        # Other clients' autocommit writes commit.
        with sptest.connect_proxy() as other:
            for n in range(1, 5):
                sptest.execute(other, f"UPDATE {TABLE} SET n = {n} WHERE id = {self.b}")
                rows = sptest.query_all(self.shard(shard_b), f"SELECT n FROM {TABLE} WHERE id = {self.b}")
                self.assertEqual(rows, [(n,)])


PLAIN = "tx_plain"


class ImplicitCommitTest(sptest.ProxyTestCase):
    """DDL inside a transaction commits it on every shard, as on one server."""

    def setUp(self):
        super().setUp()
        sptest.execute(self.proxy, f"DROP TABLE IF EXISTS {TABLE}")
        sptest.execute(self.proxy, f"CREATE TABLE {TABLE} (id INT PRIMARY KEY, n INT NOT NULL)")
        self.addCleanup(self.drop_everywhere, TABLE)
        self.addCleanup(self.drop_everywhere, PLAIN)
        self.a, self.b = keys_on_two_shards()

    def committed_rows(self):
        with sptest.connect_proxy() as other:
            return sorted(sptest.query_all(other, f"SELECT id, n FROM {TABLE}"))

    def test_ddl_commits_every_shard(self):
        conn = self.proxy
        sptest.execute(conn, "BEGIN")
        sptest.execute(conn, f"INSERT INTO {TABLE} (id, n) VALUES ({self.a}, 1), ({self.b}, 2)")
        self.assertTrue(conn.server_status & SERVER_STATUS_IN_TRANS)
        sptest.execute(conn, f"CREATE TABLE {PLAIN} (x INT)")
        self.assertFalse(conn.server_status & SERVER_STATUS_IN_TRANS,
                         "the OK after DDL still says a transaction is open")
        self.assertEqual(self.committed_rows(), sorted([(self.a, 1), (self.b, 2)]))
        # Nothing is left to roll back.
        sptest.execute(conn, "ROLLBACK")
        self.assertEqual(self.committed_rows(), sorted([(self.a, 1), (self.b, 2)]))
        for index in range(self.shard_count()):
            rows = sptest.query_all(self.shard(index),
                                    "SELECT COUNT(*) FROM information_schema.innodb_trx"
                                    " WHERE trx_mysql_thread_id <> CONNECTION_ID()")
            self.assertEqual(rows, [(0,)], f"shard {index} still has a transaction open")

    def test_failed_ddl_ends_transaction(self):
        conn = self.proxy
        sptest.execute(conn, f"CREATE TABLE {PLAIN} (x INT)")
        sptest.execute(conn, "START TRANSACTION")
        sptest.execute(conn, f"INSERT INTO {TABLE} (id, n) VALUES ({self.a}, 1), ({self.b}, 2)")
        # The server commits before it finds that the table exists.
        self.assertProxyError(1050, sptest.execute, conn, f"CREATE TABLE {PLAIN} (x INT)")
        sptest.execute(conn, "ROLLBACK")
        self.assertEqual(self.committed_rows(), sorted([(self.a, 1), (self.b, 2)]))

    def test_ddl_with_autocommit_off(self):
        conn = sptest.connect_proxy(autocommit=False)
        self.addCleanup(conn.close)
        sptest.execute(conn, f"INSERT INTO {TABLE} (id, n) VALUES ({self.a}, 1), ({self.b}, 2)")
        sptest.execute(conn, f"CREATE TABLE {PLAIN} (x INT)")
        self.assertFalse(conn.server_status & SERVER_STATUS_IN_TRANS)
        self.assertEqual(self.committed_rows(), sorted([(self.a, 1), (self.b, 2)]))
        # Autocommit stays off: the next write waits for COMMIT.
        sptest.execute(conn, f"UPDATE {TABLE} SET n = 7")
        self.assertTrue(conn.server_status & SERVER_STATUS_IN_TRANS)
        self.assertEqual(self.committed_rows(), sorted([(self.a, 1), (self.b, 2)]))
        conn.rollback()
        self.assertEqual(self.committed_rows(), sorted([(self.a, 1), (self.b, 2)]))

    def test_statements_returning_rows_commit_every_shard(self):
        conn = self.proxy
        sptest.execute(conn, f"CREATE TABLE {PLAIN} (x INT)")
        for statement in (f"ANALYZE TABLE {PLAIN}", f"CHECK TABLE {PLAIN}", "FLUSH TABLES"):
            sptest.execute(conn, f"DELETE FROM {TABLE}")
            sptest.execute(conn, "BEGIN")
            sptest.execute(conn, f"INSERT INTO {TABLE} (id, n) VALUES ({self.a}, 1), ({self.b}, 2)")
            with conn.cursor() as cur:
                cur.execute(statement)
                cur.fetchall()
            if statement.startswith("FLUSH"):
                # MariaDB still reports a transaction after ANALYZE and CHECK TABLE.
                self.assertFalse(conn.server_status & SERVER_STATUS_IN_TRANS, statement)
            sptest.execute(conn, "ROLLBACK")
            self.assertEqual(self.committed_rows(), sorted([(self.a, 1), (self.b, 2)]), statement)

    def test_temporary_table_keeps_transaction(self):
        with sptest.connect_proxy() as conn:
            sptest.execute(conn, "BEGIN")
            sptest.execute(conn, f"INSERT INTO {TABLE} (id, n) VALUES ({self.a}, 1), ({self.b}, 2)")
            sptest.execute(conn, f"CREATE TEMPORARY TABLE {PLAIN} (x INT)")
            self.assertTrue(conn.server_status & SERVER_STATUS_IN_TRANS)
            sptest.execute(conn, "ROLLBACK")
        self.assertEqual(self.committed_rows(), [])

    def test_lock_tables_sharded_rejected(self):
        err = self.assertProxyError(sptest.ER_NOT_SUPPORTED_YET, sptest.execute, self.proxy,
                                    f"LOCK TABLES {TABLE} WRITE")
        self.assertIn("LOCK TABLES", str(err))


class PinReleaseTest(OwnProxyTestCase):
    """Table locks, user locks and temporary tables keep a connection only until released."""

    def blocked(self, conn):
        """Whether the only connection to the default shard is kept by another session."""
        try:
            sptest.query_all(conn, "SELECT 1")
        except pymysql.MySQLError as exc:
            self.assertEqual(sptest.mysql_error_code(exc), 1040, str(exc))
            return True
        return False

    def test_release_lock_frees_connection(self):
        proxy = self.start_proxy(pool_max_per_backend=1, pool_wait_timeout_ms=500)
        conn, other = proxy.connect(), proxy.connect()
        self.addCleanup(conn.close)
        self.addCleanup(other.close)
        self.assertEqual(sptest.query_all(conn, "SELECT GET_LOCK('pin_a', 1), GET_LOCK('pin_b', 1)"),
                         [(1, 1)])
        self.assertTrue(self.blocked(other))
        sptest.query_all(conn, "SELECT RELEASE_LOCK('pin_a')")
        self.assertTrue(self.blocked(other), "one lock is still held")
        # Another client's session cannot take the lock while it is held.
        with sptest.connect_proxy() as third:
            self.assertEqual(sptest.query_all(third, "SELECT IS_USED_LOCK('pin_b') IS NOT NULL"), [(1,)])
        sptest.query_all(conn, "SELECT RELEASE_LOCK('pin_b')")
        self.assertFalse(self.blocked(other))
        with sptest.connect_proxy() as third:
            self.assertEqual(sptest.query_all(third, "SELECT IS_FREE_LOCK('pin_b')"), [(1,)])

    def test_drop_temporary_table_frees_connection(self):
        proxy = self.start_proxy(pool_max_per_backend=1, pool_wait_timeout_ms=500)
        conn, other = proxy.connect(), proxy.connect()
        self.addCleanup(conn.close)
        self.addCleanup(other.close)
        sptest.execute(conn, "CREATE TEMPORARY TABLE pin_tmp (x INT)")
        sptest.execute(conn, f"CREATE TEMPORARY TABLE {sptest.DATABASE}.pin_tmp2 (x INT)")
        sptest.execute(conn, "INSERT INTO pin_tmp (x) VALUES (1), (2)")
        self.assertEqual(sptest.query_all(conn, "SELECT COUNT(*) FROM pin_tmp"), [(2,)])
        self.assertTrue(self.blocked(other))
        sptest.execute(conn, "DROP TEMPORARY TABLE pin_tmp")
        self.assertTrue(self.blocked(other), "pin_tmp2 is still there")
        sptest.execute(conn, "DROP TEMPORARY TABLE IF EXISTS pin_tmp2")
        self.assertFalse(self.blocked(other))
        # The next client that gets a connection sees no temporary table.
        self.assertMysqlError(1146, sptest.execute, other, "SELECT * FROM pin_tmp2")

    def test_unlock_tables_frees_connection(self):
        # One connection per shard: a connection kept by a session blocks the others.
        proxy = self.start_proxy(pool_max_per_backend=1, pool_wait_timeout_ms=1000)
        conn, other = proxy.connect(), proxy.connect()
        self.addCleanup(other.close)
        sptest.execute(conn, f"DROP TABLE IF EXISTS {PLAIN}")
        sptest.execute(conn, f"CREATE TABLE {PLAIN} (x INT)")
        try:
            sptest.execute(conn, f"LOCK TABLES {PLAIN} WRITE")
            sptest.execute(conn, f"INSERT INTO {PLAIN} (x) VALUES (1)")
            self.assertMysqlError(1040, sptest.execute, other, f"SELECT COUNT(*) FROM {PLAIN}")
            sptest.execute(conn, "UNLOCK TABLES")
            self.assertEqual(sptest.query_all(other, f"SELECT COUNT(*) FROM {PLAIN}"), [(1,)])
            # A session with user variables keeps its connection for good.
            sptest.execute(conn, "SET @kept = 1")
            self.assertMysqlError(1040, sptest.execute, other, f"SELECT COUNT(*) FROM {PLAIN}")
        finally:
            conn.close()
            sptest.execute(other, f"DROP TABLE IF EXISTS {PLAIN}")

if __name__ == "__main__":
    unittest.main()


class LockWaitOverSeveralShardsTest(unittest.TestCase):
    """A statement over two shards that times out on a lock inside a transaction."""

    def setUp(self):
        with sptest.connect_proxy() as conn:
            sptest.execute(conn, f"DROP TABLE IF EXISTS {TABLE}")
            sptest.execute(conn, f"CREATE TABLE {TABLE} (id INT PRIMARY KEY, n INT NOT NULL)"
                                 " ENGINE=InnoDB")
            self.a, self.b = keys_on_two_shards()
            sptest.execute(conn, f"INSERT INTO {TABLE} (id, n) VALUES ({self.a}, 0), ({self.b}, 0)")

        self.holder = sptest.connect_proxy()
        self.waiter = sptest.connect_proxy()

    def tearDown(self):
        self.holder.close()
        self.waiter.close()
        with sptest.connect_proxy() as conn:
            sptest.execute(conn, f"DROP TABLE IF EXISTS {TABLE}")

    def test_reported_as_deadlock_because_all_is_rolled_back(self):
        holder, waiter = self.holder, self.waiter
        sptest.execute(holder, "BEGIN")
        sptest.execute(holder, f"UPDATE {TABLE} SET n = 5 WHERE id = {self.b}")
        sptest.execute(waiter, "BEGIN")
        sptest.execute(waiter, f"UPDATE {TABLE} SET n = 1 WHERE id = {self.a}")
        with self.assertRaises(pymysql.MySQLError) as caught:
            sptest.execute(waiter, f"UPDATE {TABLE} SET n = 2 WHERE id IN ({self.a}, {self.b})")
        # The whole transaction is gone, so the client must hear "restart it".
        self.assertEqual(sptest.mysql_error_code(caught.exception), ER_LOCK_DEADLOCK,
                         str(caught.exception))
        sptest.execute(holder, "ROLLBACK")
        sptest.execute(waiter, "COMMIT")
        with sptest.connect_proxy() as conn:
            rows = dict(sptest.query_all(conn, f"SELECT id, n FROM {TABLE}"))
        self.assertEqual(rows, {self.a: 0, self.b: 0})


class AutocommitInSeveralStatementsTest(unittest.TestCase):
    """SET autocommit inside a multi-statement text is refused whole, never half run."""

    def setUp(self):
        with sptest.connect_proxy() as conn:
            sptest.execute(conn, f"DROP TABLE IF EXISTS {TABLE}")
            sptest.execute(conn, f"CREATE TABLE {TABLE} (id INT PRIMARY KEY, n INT NOT NULL)")
            self.a, _ = keys_on_two_shards()
            sptest.execute(conn, f"INSERT INTO {TABLE} (id, n) VALUES ({self.a}, 0)")

    def tearDown(self):
        with sptest.connect_proxy() as conn:
            sptest.execute(conn, f"DROP TABLE IF EXISTS {TABLE}")

    def test_refused_before_anything_runs(self):
        conn = sptest.connect_proxy(client_flag=pymysql.constants.CLIENT.MULTI_STATEMENTS)
        self.addCleanup(conn.close)
        for text in (f"SET autocommit = 0; UPDATE {TABLE} SET n = 1 WHERE id = {self.a}",
                     f"UPDATE {TABLE} SET n = 1 WHERE id = {self.a}; SET autocommit = 0",
                     "SELECT 12; SET SESSION autocommit = 1",
                     "SET @@autocommit = 1, sql_mode = ''; SELECT 4"):
            with self.subTest(text=text):
                with self.assertRaises(pymysql.MySQLError) as caught:
                    sptest.execute(conn, text)
                self.assertEqual(sptest.mysql_error_code(caught.exception), 1235)
        self.assertEqual(sptest.query_all(conn, "SELECT @@autocommit"), [(1,)])
        with sptest.connect_proxy() as other:
            self.assertEqual(sptest.query_all(other, f"SELECT n FROM {TABLE} WHERE id = {self.a}"),
                             [(0,)])
        # A text that only reads the variable is fine.
        with conn.cursor() as cur:
            cur.execute("SELECT @@autocommit; SELECT 2")
            self.assertEqual(cur.fetchall(), ((1,),))
            cur.nextset()
            self.assertEqual(cur.fetchall(), ((2,),))
