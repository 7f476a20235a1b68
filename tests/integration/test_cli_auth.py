"""The mariadb command-line client through the proxy, and rejected logins."""

import unittest

import pymysql

import rawclient
import sptest
from sptest import execute, run_cli

BATCH = "SELECT 1 AS a;\nSELECT 'x' AS b, 2 AS c;\nSELECT CONCAT('p', 'q') AS d, NULL AS e;\n"
BATCH_OUTPUT = "a\n1\nb\tc\nx\t2\nd\te\npq\tNULL\n"


class CliTest(sptest.ProxyTestCase):

    def test_select_one(self):
        result = run_cli(["-e", "SELECT 1"])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, "1\n1\n")

    def test_batch_from_stdin(self):
        result = run_cli([sptest.DATABASE], stdin=BATCH)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, BATCH_OUTPUT)

        direct = run_cli([sptest.DATABASE], stdin=BATCH, port=sptest.SHARD_PORTS[0])
        self.assertEqual(direct.returncode, 0, direct.stderr)
        self.assertEqual(result.stdout, direct.stdout)

    def test_sharded_row(self):
        table = "sbtest2"
        self.drop_everywhere(table)
        self.addCleanup(self.drop_everywhere, table)
        execute(self.proxy, f"CREATE TABLE {table} (id INT NOT NULL PRIMARY KEY,"
                            " k INT NOT NULL, c VARCHAR(120) NOT NULL)")
        execute(self.proxy, f"INSERT INTO {table} (id, k, c) VALUES (1, 10, 'one'), (2, 20, 'two'),"
                            " (3, 30, 'three'), (4, 40, 'four')")

        result = run_cli([sptest.DATABASE, "-e", f"SELECT * FROM {table} WHERE id=3"])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, "id\tk\tc\n3\t30\tthree\n")


class LoginRejectedTest(unittest.TestCase):

    def check_rejected(self, user, password):
        with self.assertRaises(pymysql.MySQLError) as ctx:
            sptest.connect_proxy(user=user, password=password)
        self.assertEqual(sptest.mysql_error_code(ctx.exception), sptest.ER_ACCESS_DENIED, repr(ctx.exception))

        result = run_cli(["-e", "SELECT 1"], user=user, password=password)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("ERROR 1045 (28000)", result.stderr)
        self.assertEqual(result.stdout, "")

    def test_wrong_password(self):
        self.check_rejected(sptest.USER, "not-the-password")

    def test_empty_password(self):
        self.check_rejected(sptest.USER, "")

    def test_unknown_user(self):
        self.check_rejected("nosuchuser", sptest.PASSWORD)

    def test_proxy_serves_after_rejections(self):
        for _ in range(3):
            self.check_rejected(sptest.USER, "wrong")
        self.assertTrue(sptest.proxy_is_alive())
        with sptest.connect_proxy() as conn:
            self.assertEqual(sptest.query_all(conn, "SELECT 1"), [(1,)])


class AuthSwitchTest(unittest.TestCase):
    """A MySQL 8 client offers caching_sha2_password; the proxy switches it to native."""

    def login(self, password):
        client = rawclient.RawClient(sptest.HOST, sptest.PROXY_PORT)
        self.addCleanup(client.close)
        kind, detail = client.login(sptest.USER, password, plugin="caching_sha2_password")
        return client, kind, detail

    def test_switch_then_login(self):
        client, kind, _ = self.login(sptest.PASSWORD)
        self.assertEqual(kind, "ok")
        self.assertEqual(client.auth_switches, 1)
        self.assertEqual(client.query("SELECT 1").rows, [[b"1"]])

    def test_switch_then_wrong_password(self):
        client, kind, detail = self.login("not-the-password")
        self.assertEqual(client.auth_switches, 1)
        self.assertEqual(kind, "err")
        self.assertEqual(detail.code, sptest.ER_ACCESS_DENIED)
        self.assertEqual(detail.sqlstate, "28000")


class ChangeUserTest(unittest.TestCase):
    """COM_CHANGE_USER logs in again and resets the session, as on a server."""

    def setUp(self):
        self.client = rawclient.RawClient(sptest.HOST, sptest.PROXY_PORT)
        self.addCleanup(self.client.close)
        self.client.login_ok(sptest.USER, sptest.PASSWORD, sptest.DATABASE)

    def value(self, sql):
        return self.client.query_ok(sql).rows[0][0]

    def test_change_user_resets_session(self):
        with sptest.connect_proxy() as setup:
            sptest.execute(setup, "DROP TABLE IF EXISTS sbtest_cu")
            sptest.execute(setup, "CREATE TABLE sbtest_cu (id INT PRIMARY KEY)")
        self.addCleanup(lambda: sptest.execute(sptest.connect_proxy(), "DROP TABLE IF EXISTS sbtest_cu"))
        client = self.client
        client.query_ok("SET time_zone = '+03:00'")
        client.query_ok("SET @v = 5")
        client.query_ok("BEGIN")
        client.query_ok("INSERT INTO sbtest_cu (id) VALUES (1), (2), (3)")

        kind, _ = client.change_user(sptest.USER, sptest.PASSWORD, sptest.DATABASE)
        self.assertEqual(kind, "ok")
        self.assertEqual(self.value("SELECT @@time_zone = @@GLOBAL.time_zone"), b"1")
        self.assertIsNone(self.value("SELECT @v"))
        # The open transaction was rolled back on every shard.
        self.assertEqual(self.value("SELECT COUNT(*) FROM sbtest_cu"), b"0")
        self.assertEqual(self.value("SELECT DATABASE()"), sptest.DATABASE.encode())

    def test_reset_connection_restores_login_character_set(self):
        client = self.client
        client.query_ok("SET NAMES latin1 COLLATE latin1_bin")
        self.assertEqual(self.value("SELECT 'a' = 'A'"), b"0")
        client.send_command(0x1F)  # COM_RESET_CONNECTION
        self.assertEqual(client.read_response().kind, "ok")
        # The login asked for utf8mb4_general_ci, a case-insensitive collation.
        self.assertEqual(self.value("SELECT 'a' = 'A'"), b"1")
        self.assertEqual(self.value("SELECT @@collation_connection"), b"utf8mb4_general_ci")

    def test_change_user_without_database(self):
        kind, _ = self.client.change_user(sptest.USER, sptest.PASSWORD)
        self.assertEqual(kind, "ok")
        self.assertIsNone(self.value("SELECT DATABASE()"))

    def test_change_user_auth_switch(self):
        kind, _ = self.client.change_user(sptest.USER, sptest.PASSWORD, sptest.DATABASE,
                                          plugin="caching_sha2_password")
        self.assertEqual(kind, "ok")
        self.assertEqual(self.client.auth_switches, 1)
        self.assertEqual(self.value("SELECT 1"), b"1")

    def test_change_user_wrong_password(self):
        kind, err = self.client.change_user(sptest.USER, "not-the-password", sptest.DATABASE)
        self.assertEqual(kind, "err")
        self.assertEqual(err.code, sptest.ER_ACCESS_DENIED)
        self.assertEqual(err.sqlstate, "28000")
        self.assertTrue(self.client.is_closed_by_peer())

    def test_change_user_unknown_database(self):
        kind, err = self.client.change_user(sptest.USER, sptest.PASSWORD, "no_such_db")
        self.assertEqual(kind, "err")
        self.assertEqual(err.code, 1049)


if __name__ == "__main__":
    unittest.main()
