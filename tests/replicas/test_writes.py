"""Writes go to the primaries, also with a replica hint.

cluster.sh makes every replica read_only and takes READ_ONLY ADMIN from
app there, so a write that reached a replica would fail with ERR 1290.
"""

import unittest

import pymysql

from replica_harness import (EU_REPLICAS, PRIMARIES, READ_POLICY, TABLE, US_REPLICAS,
                             ReplicaTestCase, connect_app, connect_proxy, execute, load_rows,
                             mysql_error_code, root_query, shard_of_int, wait_replicas_caught_up)

ER_OPTION_PREVENTS_STATEMENT = 1290  # the server runs with read_only

FIRST_NEW_ID = 1001
NEW_ROWS = 40


def setUpModule():
    if READ_POLICY != "replica":
        raise unittest.SkipTest(f"needs read_policy replica, the proxy has {READ_POLICY}")
    load_rows()


class WritesTest(ReplicaTestCase):
    def setUp(self):
        super().setUp()
        self.conn = connect_proxy()
        self.addCleanup(self.conn.close)
        self.addCleanup(self._delete_new_rows)

    def _delete_new_rows(self):
        conn = connect_proxy()
        try:
            execute(conn, f"DELETE FROM {TABLE} WHERE id >= {FIRST_NEW_ID}")
        finally:
            conn.close()

    def run_write(self, sql, args=None):
        """Run a write through the proxy and fail the test with the statement if it fails."""
        try:
            return execute(self.conn, sql, args)
        except pymysql.MySQLError as exc:
            self.fail(f"{sql!r} failed with {mysql_error_code(exc)}: {exc}")

    def primary_value(self, key):
        primary = PRIMARIES[shard_of_int(key)]
        rows = root_query(primary, f"SELECT k FROM sbtest.{TABLE} WHERE id = %s", (key,))
        return rows[0][0] if rows else None

    def test_writes_succeed_on_primaries(self):
        new_ids = list(range(FIRST_NEW_ID, FIRST_NEW_ID + NEW_ROWS))
        for key in new_ids:
            self.run_write(f"INSERT INTO {TABLE} (id, k, c) VALUES (%s, %s, 'new')", (key, key))
        for key in new_ids:
            self.assertEqual(self.primary_value(key), key, f"row {key} is not on its primary")

        for key in new_ids:
            self.assertEqual(self.run_write(f"UPDATE {TABLE} SET k = k + 1 WHERE id = %s", (key,)), 1)
        for key in new_ids:
            self.assertEqual(self.primary_value(key), key + 1, f"update of {key} is not on its primary")

        values = ", ".join(f"({key}, 0, 'multi')" for key in new_ids)
        self.run_write(f"REPLACE INTO {TABLE} (id, k, c) VALUES {values}")
        self.assertEqual(self.run_write(f"DELETE FROM {TABLE} WHERE id >= %s", (FIRST_NEW_ID,)),
                         NEW_ROWS)
        for key in new_ids:
            self.assertIsNone(self.primary_value(key), f"row {key} is still on its primary")

    def test_hinted_writes_use_primary(self):
        # A replica hint applies to reads only.
        key = FIRST_NEW_ID
        self.run_write(f"/* shardproxy: replica */ INSERT INTO {TABLE} (id, k, c) VALUES (%s, 1, 'h')",
                       (key,))
        self.run_write(f"/* shardproxy: replica */ UPDATE {TABLE} SET k = 2 WHERE id = %s", (key,))
        self.assertEqual(self.primary_value(key), 2)

    def test_replicas_reject_app_writes(self):
        # The premise of this module: a write sent to a replica fails.
        for replica in EU_REPLICAS + US_REPLICAS:
            with self.subTest(str(replica)):
                conn = connect_app(replica)
                try:
                    with self.assertRaises(pymysql.MySQLError) as ctx:
                        execute(conn, f"UPDATE {TABLE} SET k = k WHERE id = 1")
                    self.assertEqual(mysql_error_code(ctx.exception), ER_OPTION_PREVENTS_STATEMENT)
                finally:
                    conn.close()

    def test_written_rows_reach_replicas(self):
        key = FIRST_NEW_ID + 1
        self.run_write(f"INSERT INTO {TABLE} (id, k, c) VALUES (%s, 7, 'replicated')", (key,))
        wait_replicas_caught_up()
        shard = shard_of_int(key)
        for replica in (EU_REPLICAS[shard], US_REPLICAS[shard]):
            rows = root_query(replica, f"SELECT k FROM sbtest.{TABLE} WHERE id = %s", (key,))
            self.assertEqual(rows, [(7,)], f"{replica} lacks the row")


if __name__ == "__main__":
    unittest.main()
