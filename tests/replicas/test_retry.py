"""A replica read that fails with a schema-behind error is retried on the primary.

The schema differences are made on the primary of s0 with sql_log_bin=0,
so its replicas never receive them and return an error for the read.
"""

import unittest

from replica_harness import (EU_REPLICAS, PRIMARIES, READ_POLICY, ReplicaTestCase, connect_proxy,
                             execute, keys_on_shard, load_rows, log_offset, node_events,
                             query_all, root_execute_local, root_query, wait_replicas_caught_up)

ONLY_PRIMARY_TABLE = "sbtest_only_primary"
COLUMNS_TABLE = "sbtest_columns"
READS = 10


def setUpModule():
    if READ_POLICY != "replica":
        raise unittest.SkipTest(f"needs read_policy replica, the proxy has {READ_POLICY}")
    load_rows()


class SchemaBehindRetryTest(ReplicaTestCase):
    def setUp(self):
        super().setUp()
        self.conn = connect_proxy()
        self.addCleanup(self.conn.close)
        self.key = keys_on_shard(0, 1)[0]

    def assertRetried(self, offset, error_code):
        lines = [e.line for e in node_events(EU_REPLICAS[0], {"replica_retry"}, offset)]
        self.assertTrue(any(f"error={error_code}" in line for line in lines),
                        f"no replica_retry with error={error_code} for {EU_REPLICAS[0]} in the "
                        f"proxy log; its retry lines: {lines}")

    def test_table_missing_on_replica(self):
        primary = PRIMARIES[0]
        root_execute_local(primary, f"CREATE TABLE sbtest.{ONLY_PRIMARY_TABLE}"
                                    " (id INT PRIMARY KEY, c VARCHAR(16) NOT NULL)")
        self.addCleanup(root_execute_local, primary,
                        f"DROP TABLE IF EXISTS sbtest.{ONLY_PRIMARY_TABLE}")
        root_execute_local(primary, f"INSERT INTO sbtest.{ONLY_PRIMARY_TABLE}"
                                    f" VALUES ({self.key}, 'primary')")
        tables = root_query(EU_REPLICAS[0], "SELECT COUNT(*) FROM information_schema.tables"
                                            " WHERE table_schema = 'sbtest' AND table_name = %s",
                            (ONLY_PRIMARY_TABLE,))
        self.assertEqual(tables, [(0,)], f"{EU_REPLICAS[0]} has the table; the test needs it absent")

        offset = log_offset()
        for _ in range(READS):
            rows = query_all(self.conn, f"SELECT c FROM {ONLY_PRIMARY_TABLE} WHERE id = %s",
                             (self.key,))
            self.assertEqual(rows, [("primary",)])
        self.assertRetried(offset, 1146)

    def test_column_missing_on_replica(self):
        execute(self.conn, f"DROP TABLE IF EXISTS {COLUMNS_TABLE}")
        execute(self.conn, f"CREATE TABLE {COLUMNS_TABLE} (id INT PRIMARY KEY)")
        self.addCleanup(execute, self.conn, f"DROP TABLE IF EXISTS {COLUMNS_TABLE}")
        execute(self.conn, f"INSERT INTO {COLUMNS_TABLE} (id) VALUES (%s)", (self.key,))
        wait_replicas_caught_up()
        root_execute_local(PRIMARIES[0], f"ALTER TABLE sbtest.{COLUMNS_TABLE}"
                                         " ADD COLUMN extra INT NOT NULL DEFAULT 7")

        # A session without writes, so that read-your-writes does not send it to the primary.
        reader = connect_proxy()
        self.addCleanup(reader.close)
        offset = log_offset()
        for _ in range(READS):
            rows = query_all(reader, f"SELECT extra FROM {COLUMNS_TABLE} WHERE id = %s",
                             (self.key,))
            self.assertEqual(rows, [(7,)])
        self.assertRetried(offset, 1054)


if __name__ == "__main__":
    unittest.main()
