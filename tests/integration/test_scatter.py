"""Statements without a shard key: scattered to every shard, or rejected when merging would be wrong."""

import collections
import unittest

import rawclient
import sptest
from sptest import execute, query_all, shard_of_int

KEYS = list(range(1, 41))


def row_for(key):
    """The row stored for KEY: k repeats every 5 keys, c marks every 4th row for deletion."""
    prefix = "del" if key % 4 == 0 else "keep"
    return (key, key % 5, f"{prefix}-{key}")


class ScatterTest(sptest.ProxyTestCase):

    def make_table(self, table):
        self.drop_everywhere(table)
        self.addCleanup(self.drop_everywhere, table)
        execute(self.proxy, f"CREATE TABLE {table} (id INT NOT NULL PRIMARY KEY,"
                            " k INT NOT NULL, c VARCHAR(120) NOT NULL)")
        values = ", ".join("(%d, %d, '%s')" % row_for(key) for key in KEYS)
        execute(self.proxy, f"INSERT INTO {table} (id, k, c) VALUES {values}")
        for index in range(self.shard_count()):
            self.assertTrue(self.direct_ids(index, table), f"shard {index} got no rows of {table}")

    def test_select_without_key_returns_all(self):
        self.make_table("sbtest4a")

        rows = query_all(self.proxy, "SELECT id, k, c FROM sbtest4a")
        self.assertEqual(sorted(rows), [row_for(key) for key in KEYS])

        # k repeats, so this compares multisets: a lost or doubled shard shows.
        values = [row[0] for row in query_all(self.proxy, "SELECT k FROM sbtest4a")]
        expected = collections.Counter(row_for(key)[1] for key in KEYS)
        self.assertEqual(collections.Counter(values), expected)

    def test_update_without_key_sums_affected_rows(self):
        self.make_table("sbtest4b")

        affected = execute(self.proxy, "UPDATE sbtest4b SET k = k + 100")
        self.assertEqual(affected, len(KEYS))
        self.assertEqual(sptest.last_info(self.proxy),
                         f"Rows matched: {len(KEYS)}  Changed: {len(KEYS)}  Warnings: 0")

        for index in range(self.shard_count()):
            for key, k in query_all(self.shard(index), "SELECT id, k FROM sbtest4b"):
                self.assertEqual(k, row_for(key)[1] + 100, f"id {key} on shard {index}")

    def test_delete_without_key_sums_affected_rows(self):
        self.make_table("sbtest4c")
        doomed = [key for key in KEYS if row_for(key)[2].startswith("del")]
        for index in range(self.shard_count()):
            self.assertTrue([key for key in doomed if shard_of_int(key) == index],
                            f"test keys put no deleted row on shard {index}")

        affected = execute(self.proxy, "DELETE FROM sbtest4c WHERE c LIKE 'del%'")
        self.assertEqual(affected, len(doomed))

        remaining = []
        for index in range(self.shard_count()):
            remaining += self.direct_ids(index, "sbtest4c")
        self.assertEqual(sorted(remaining), [key for key in KEYS if key not in doomed])

    def test_cross_shard_merge_rejected(self):
        self.make_table("sbtest4d")
        statements = [
            "SELECT id FROM sbtest4d ORDER BY id",
            "SELECT id FROM sbtest4d LIMIT 5",
            "SELECT k, COUNT(*) FROM sbtest4d GROUP BY k",
            "SELECT COUNT(*) FROM sbtest4d",
        ]
        with rawclient.RawClient(sptest.HOST, sptest.PROXY_PORT) as client:
            client.login_ok(sptest.USER, sptest.PASSWORD, sptest.DATABASE)
            for sql in statements:
                with self.subTest(sql=sql):
                    resp = client.query(sql)
                    self.assertEqual(resp.kind, "err", f"rows: {resp.rows[:5]}")
                    self.assertEqual(resp.err.code, sptest.ER_NOT_SUPPORTED_YET, resp.err)
                    self.assertEqual(resp.err.sqlstate, "42000", resp.err)
            # The session survives the rejections.
            self.assertEqual(client.query_ok("SELECT 1").rows, [[b"1"]])

    def test_single_shard_merge_allowed(self):
        self.make_table("sbtest4e")
        key = 7
        self.assertEqual(query_all(self.proxy, f"SELECT id FROM sbtest4e WHERE id = {key} ORDER BY id LIMIT 1"),
                         [(key,)])
        self.assertEqual(query_all(self.proxy, f"SELECT COUNT(*) FROM sbtest4e WHERE id = {key}"), [(1,)])
        self.assertEqual(query_all(self.proxy, f"SELECT k, COUNT(*) FROM sbtest4e WHERE id = {key} GROUP BY k"),
                         [(row_for(key)[1], 1)])


if __name__ == "__main__":
    unittest.main()
