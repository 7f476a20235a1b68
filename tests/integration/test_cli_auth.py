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


if __name__ == "__main__":
    unittest.main()
