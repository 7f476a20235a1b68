"""Cross-shard merges that other proxies got wrong, with the results one server returns.

Each test starts a proxy of its own (see test_limits.OwnProxy) whose table
layout puts the rows the case needs on different shards.
"""

import unittest

import sptest
from sptest import execute, query_all
from test_limits import OwnProxyTestCase


def range_table(name, key, below):
    return {"name": name, "shard_key": key, "algorithm": "range",
            "ranges": [{"shard": "s0", "below": below}, {"shard": "s1"}]}


class MergeCaseTest(OwnProxyTestCase):

    def setUp(self):
        super().setUp()
        self.proxy = self.start_proxy(tables=[
            range_table("t_order", "user_id", 1),   # user_id 0 on s0, 1 on s1
            range_table("ev", "id", 100),
            range_table("book", "id", 100),
        ])
        self.conn = self.proxy.connect()
        self.addCleanup(self.conn.close)
        for table in ("t_order", "ev", "book"):
            execute(self.conn, f"DROP TABLE IF EXISTS {table}")
            self.addCleanup(execute, self.conn, f"DROP TABLE IF EXISTS {table}")

    def test_limit_offset_single_and_scatter(self):
        execute(self.conn, "CREATE TABLE t_order (order_id INT PRIMARY KEY, user_id INT, status INT)")
        rows = [(status, 0, status) for status in range(1, 21)]
        rows += [(20 + status, 1, status) for status in range(1, 21)]
        values = ", ".join(f"({o}, {u}, {s})" for o, u, s in rows)
        execute(self.conn, f"INSERT INTO t_order (order_id, user_id, status) VALUES {values}")

        # One shard: the shard applies the offset, the proxy must not skip again.
        got = query_all(self.conn, "SELECT status FROM t_order WHERE user_id = 0 ORDER BY status LIMIT 5, 10")
        self.assertEqual([row[0] for row in got], list(range(6, 16)))

        got = query_all(self.conn,
                        "SELECT status, order_id FROM t_order ORDER BY status, order_id LIMIT 5, 10")
        self.assertEqual(got, [(3, 23), (4, 4), (4, 24), (5, 5), (5, 25),
                               (6, 6), (6, 26), (7, 7), (7, 27), (8, 8)])

    def test_min_when_first_shard_has_no_match(self):
        execute(self.conn, "CREATE TABLE ev (id INT PRIMARY KEY, ts INT)")
        execute(self.conn, "INSERT INTO ev (id, ts) VALUES (2, 1), (101, 50), (205, 60)")

        got = query_all(self.conn, "SELECT MIN(id), MAX(id), COUNT(*), SUM(id) FROM ev WHERE ts >= 10")
        self.assertEqual([tuple(str(v) for v in row) for row in got], [("101", "205", "2", "306")])

        got = query_all(self.conn, "SELECT MIN(id), COUNT(*), SUM(id) FROM ev WHERE ts >= 1000")
        self.assertEqual(got, [(None, 0, None)])

    def test_avg_is_not_an_average_of_averages(self):
        execute(self.conn, "CREATE TABLE book (id INT PRIMARY KEY, price INT)")
        execute(self.conn, "INSERT INTO book (id, price) VALUES (1, 10), (101, 20), (102, 30), (103, 40)")

        got = query_all(self.conn, "SELECT AVG(price) FROM book")
        self.assertEqual([str(row[0]) for row in got], ["25.0000"])

        got = query_all(self.conn, "SELECT AVG(price), COUNT(*) FROM book WHERE id < 0")
        self.assertEqual(got, [(None, 0)])


class ReferenceTableTest(OwnProxyTestCase):

    def setUp(self):
        super().setUp()
        self.proxy = self.start_proxy(tables=[
            {"name": "sbtest*", "shard_key": "id"},
            {"name": "currency", "type": "reference"},
        ])
        self.conn = self.proxy.connect()
        self.addCleanup(self.conn.close)
        for table in ("currency", "sbtest_ref"):
            execute(self.conn, f"DROP TABLE IF EXISTS {table}")
            self.addCleanup(execute, self.conn, f"DROP TABLE IF EXISTS {table}")

    def test_reference_writes_everywhere_counts_once(self):
        execute(self.conn, "CREATE TABLE currency (code CHAR(3) PRIMARY KEY, rate DECIMAL(8,4))")
        self.assertEqual(execute(self.conn, "INSERT INTO currency VALUES ('EUR', 1.0000), ('USD', 0.9000)"), 2)
        self.assertEqual(execute(self.conn, "UPDATE currency SET rate = 0.9100 WHERE code = 'USD'"), 1)
        for index in range(len(sptest.SHARD_PORTS)):
            with sptest.connect_shard(index) as shard:
                self.assertEqual(query_all(shard, "SELECT code, rate FROM currency ORDER BY code"),
                                 query_all(self.conn, "SELECT code, rate FROM currency ORDER BY code"),
                                 f"shard {index}")

    def test_join_with_sharded_table(self):
        execute(self.conn, "CREATE TABLE currency (code CHAR(3) PRIMARY KEY, rate DECIMAL(8,4))")
        execute(self.conn, "INSERT INTO currency VALUES ('EUR', 1.0000), ('USD', 0.5000)")
        execute(self.conn, "CREATE TABLE sbtest_ref (id INT PRIMARY KEY, cur CHAR(3), amount INT)")
        rows = [(key, "EUR" if key % 2 else "USD", key * 10) for key in range(1, 21)]
        values = ", ".join(f"({k}, '{c}', {a})" for k, c, a in rows)
        execute(self.conn, f"INSERT INTO sbtest_ref (id, cur, amount) VALUES {values}")

        got = query_all(self.conn, "SELECT s.id, s.amount * c.rate FROM sbtest_ref s"
                                   " JOIN currency c ON c.code = s.cur ORDER BY s.id")
        expected = [(k, a * (1 if c == "EUR" else 0.5)) for k, c, a in rows]
        self.assertEqual([(row[0], float(row[1])) for row in got], expected)

        got = query_all(self.conn, "SELECT c.code, SUM(s.amount) FROM sbtest_ref s"
                                   " JOIN currency c ON c.code = s.cur GROUP BY c.code")
        self.assertEqual([(code, int(total)) for code, total in got],
                         [("EUR", sum(a for _, c, a in rows if c == "EUR")),
                          ("USD", sum(a for _, c, a in rows if c == "USD"))])


if __name__ == "__main__":
    unittest.main()
