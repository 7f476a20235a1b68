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

    def test_cross_shard_merges(self):
        self.make_table("sbtest4d")
        by_k = {}
        for key in KEYS:
            by_k[row_for(key)[1]] = by_k.get(row_for(key)[1], 0) + 1
        cases = [
            ("SELECT id FROM sbtest4d ORDER BY id", [[str(key).encode()] for key in KEYS]),
            ("SELECT id FROM sbtest4d ORDER BY id DESC LIMIT 3, 2", [[b"37"], [b"36"]]),
            ("SELECT k, COUNT(*) FROM sbtest4d GROUP BY k",
             [[str(k).encode(), str(n).encode()] for k, n in sorted(by_k.items())]),
            ("SELECT COUNT(*), SUM(id), MIN(c), MAX(id), AVG(k) FROM sbtest4d",
             [[b"40", b"820", b"del-12", b"40", b"2.0000"]]),
        ]
        with rawclient.RawClient(sptest.HOST, sptest.PROXY_PORT) as client:
            client.login_ok(sptest.USER, sptest.PASSWORD, sptest.DATABASE)
            for sql, expected in cases:
                with self.subTest(sql=sql):
                    resp = client.query(sql)
                    self.assertEqual(resp.kind, "resultset", resp.err)
                    self.assertEqual(resp.rows, expected)
                    # One result set with consecutive sequence ids, as one server sends it.
                    self.assertEqual(resp.seqs(), list(range(1, len(resp.packets) + 1)))
            self.assertEqual(client.query_ok("SELECT 1").rows, [[b"1"]])

    def test_merge_larger_than_queues(self):
        # Far more rows per shard than the merger queues per leg, with every
        # row already buffered: the merge must move on without new reads.
        table = "sbtest4g"
        self.drop_everywhere(table)
        self.addCleanup(self.drop_everywhere, table)
        execute(self.proxy, f"CREATE TABLE {table} (id INT NOT NULL PRIMARY KEY, v INT NOT NULL)")
        keys = range(1, 2001)
        values = ", ".join(f"({key}, {(key * 7919) % 1000})" for key in keys)
        execute(self.proxy, f"INSERT INTO {table} (id, v) VALUES {values}")

        got = query_all(self.proxy, f"SELECT id FROM {table} ORDER BY id")
        self.assertEqual([row[0] for row in got], list(keys))
        got = query_all(self.proxy, f"SELECT v, id FROM {table} ORDER BY v DESC, id LIMIT 10, 5")
        expected = sorted(((key * 7919) % 1000, key) for key in keys)
        expected.sort(key=lambda row: (-row[0], row[1]))
        self.assertEqual(got, expected[10:15])

    def test_unmergeable_rejected(self):
        self.make_table("sbtest4f")
        with rawclient.RawClient(sptest.HOST, sptest.PROXY_PORT) as client:
            client.login_ok(sptest.USER, sptest.PASSWORD, sptest.DATABASE)
            resp = client.query("SELECT GROUP_CONCAT(c) FROM sbtest4f")
            self.assertEqual(resp.kind, "err", f"rows: {resp.rows[:5]}")
            self.assertEqual(resp.err.code, sptest.ER_NOT_SUPPORTED_YET, resp.err)
            self.assertEqual(resp.err.sqlstate, "42000", resp.err)
            # The session survives the rejection.
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
