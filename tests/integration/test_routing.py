"""Routing of keyed statements: every row lands on the shard its key hashes to."""

import unittest

import sptest
from sptest import execute, query_all, shard_of_int, shard_of_str

ROUTING_IDS = list(range(-20, 180))  # 200 keys, negative ones included


class RoutingTest(sptest.ProxyTestCase):
    """200 single-row INSERTs into sbtest1, checked shard by shard."""

    TABLE = "sbtest1"

    @classmethod
    def setUpClass(cls):
        with sptest.connect_proxy() as conn:
            execute(conn, f"DROP TABLE IF EXISTS {cls.TABLE}")
            execute(conn, f"CREATE TABLE {cls.TABLE} (id INT NOT NULL PRIMARY KEY,"
                          " k INT NOT NULL DEFAULT 0, c VARCHAR(120) NOT NULL DEFAULT '')")
            for key in ROUTING_IDS:
                execute(conn, f"INSERT INTO {cls.TABLE} (id, k, c) VALUES (%s, %s, %s)",
                        (key, key * 3, f"row-{key}"))

    @classmethod
    def tearDownClass(cls):
        for index in range(len(sptest.SHARD_PORTS)):
            with sptest.connect_shard(index) as conn:
                execute(conn, f"DROP TABLE IF EXISTS {cls.TABLE}")

    def test_create_table_reaches_every_shard(self):
        for index in range(self.shard_count()):
            self.assertTrue(self.table_exists(index, self.TABLE), f"{self.TABLE} missing on shard {index}")

    def test_rows_on_hashed_shard(self):
        seen = {}
        for index in range(self.shard_count()):
            for key in self.direct_ids(index, self.TABLE):
                self.assertNotIn(key, seen, f"id {key} is on shards {seen.get(key)} and {index}")
                seen[key] = index
        self.assertEqual(sorted(seen), ROUTING_IDS)
        for key, index in seen.items():
            self.assertEqual(index, shard_of_int(key), f"id {key} is on the wrong shard")

    def test_each_shard_share(self):
        for index in range(self.shard_count()):
            share = len(self.direct_ids(index, self.TABLE)) / len(ROUTING_IDS)
            self.assertGreaterEqual(share, 0.40, f"shard {index} holds {share:.0%}")
            self.assertLessEqual(share, 0.60, f"shard {index} holds {share:.0%}")

    def test_point_select_finds_every_row(self):
        for key in ROUTING_IDS:
            rows = query_all(self.proxy, f"SELECT id, k, c FROM {self.TABLE} WHERE id = %s", (key,))
            self.assertEqual(rows, [(key, key * 3, f"row-{key}")], f"id {key}")

    def test_quoted_key_routes_like_int(self):
        # A decoy row with the same id on the other shard shows where the
        # proxy sent the statement: a scatter would return both rows.
        for key in (5, -7, 42):
            home = shard_of_int(key)
            other = (home + 1) % self.shard_count()
            decoy = self.shard(other)
            execute(decoy, f"INSERT INTO {self.TABLE} (id, k, c) VALUES (%s, 0, 'decoy')", (key,))
            try:
                for literal in (f"{key}", f"'{key}'"):
                    with self.subTest(key=literal):
                        rows = query_all(self.proxy, f"SELECT c FROM {self.TABLE} WHERE id = {literal}")
                        self.assertEqual(rows, [(f"row-{key}",)])
            finally:
                execute(decoy, f"DELETE FROM {self.TABLE} WHERE id = %s AND c = 'decoy'", (key,))


class MultiRowInsertTest(sptest.ProxyTestCase):
    """One INSERT with rows for both shards is split per shard."""

    TABLE = "sbtest3"

    def setUp(self):
        super().setUp()
        self.drop_everywhere(self.TABLE)
        self.addCleanup(self.drop_everywhere, self.TABLE)
        execute(self.proxy, f"CREATE TABLE {self.TABLE} (id INT NOT NULL PRIMARY KEY,"
                            " k INT NOT NULL, c VARCHAR(120) NOT NULL)")

    def test_one_row_per_shard_info(self):
        a = next(key for key in range(1, 50) if shard_of_int(key) == 0)
        b = next(key for key in range(1, 50) if shard_of_int(key) == 1)
        execute(self.proxy, f"INSERT INTO {self.TABLE} (id, k, c) VALUES ({a}, 1, 'x'), ({b}, 1, 'y')")
        self.assertEqual(sptest.last_info(self.proxy), "Records: 2  Duplicates: 0  Warnings: 0")
        # Each shard got one row and sent no text: the proxy counts for them.
        affected = execute(self.proxy, f"INSERT IGNORE INTO {self.TABLE} (id, k, c)"
                                       f" VALUES ({a}, 1, 'x'), ({b + 100}, 1, 'z')")
        self.assertEqual(affected, 1)
        self.assertEqual(sptest.last_info(self.proxy), "Records: 2  Duplicates: 1  Warnings: 1")

    def test_fifty_rows_one_statement(self):
        keys = list(range(1000, 1050))
        values = ", ".join(f"({key}, {key % 7}, 'multi-{key}')" for key in keys)
        affected = execute(self.proxy, f"INSERT INTO {self.TABLE} (id, k, c) VALUES {values}")
        self.assertEqual(affected, 50)
        self.assertEqual(sptest.last_info(self.proxy), "Records: 50  Duplicates: 0  Warnings: 0")

        for index in range(self.shard_count()):
            expected = sorted(key for key in keys if shard_of_int(key) == index)
            self.assertTrue(expected, f"test keys give shard {index} no rows")
            self.assertEqual(sorted(self.direct_ids(index, self.TABLE)), expected, f"shard {index}")

        rows = query_all(self.proxy, f"SELECT k, c FROM {self.TABLE} WHERE id = 1033")
        self.assertEqual(rows, [(1033 % 7, "multi-1033")])


class StringKeyTest(sptest.ProxyTestCase):
    """users_s is sharded by the string column email."""

    TABLE = "users_s"

    def setUp(self):
        super().setUp()
        self.drop_everywhere(self.TABLE)
        self.addCleanup(self.drop_everywhere, self.TABLE)
        execute(self.proxy, f"CREATE TABLE {self.TABLE} (email VARCHAR(190) NOT NULL PRIMARY KEY,"
                            " name VARCHAR(64) NOT NULL)")

    def test_rows_on_hashed_shard(self):
        emails = [f"user{n}@example.com" for n in range(40)]
        for email in emails:
            execute(self.proxy, f"INSERT INTO {self.TABLE} (email, name) VALUES (%s, %s)",
                    (email, email.split("@")[0]))

        for index in range(self.shard_count()):
            stored = sorted(self.direct_ids(index, self.TABLE, "email"))
            expected = sorted(e for e in emails if shard_of_str(e) == index)
            self.assertTrue(expected, f"test keys give shard {index} no rows")
            self.assertEqual(stored, expected, f"shard {index}")

        for email in emails:
            rows = query_all(self.proxy, f"SELECT name FROM {self.TABLE} WHERE email = %s", (email,))
            self.assertEqual(rows, [(email.split("@")[0],)], email)


if __name__ == "__main__":
    unittest.main()
