"""While a shard's primary is down, its replicas serve reads, also after a write that failed."""

import unittest

import pymysql

from replica_harness import (PRIMARIES, READ_POLICY, TABLE, ReplicaTestCase,
                             connect_proxy, execute, keys_on_shard, load_rows, query_all,
                             row_value, sptest, start_server, stop_server, wait_all_readable)

READS = 20


def setUpModule():
    if READ_POLICY != "replica":
        raise unittest.SkipTest(f"needs read_policy replica, the proxy has {READ_POLICY}")
    load_rows()


class PrimaryDownTest(ReplicaTestCase):
    def test_reads_go_on_after_a_failed_write(self):
        primary = PRIMARIES[1]
        key = keys_on_shard(1, 1)[0]
        conn = connect_proxy()
        self.addCleanup(conn.close)
        self.addCleanup(wait_all_readable)
        self.addCleanup(start_server, primary)
        stop_server(primary)

        with self.assertRaises(pymysql.MySQLError) as caught:
            execute(conn, f"UPDATE {TABLE} SET k = k + 1 WHERE id = {key}")
        self.assertEqual(sptest.mysql_error_code(caught.exception), 1105)
        # The write never reached the shard, so the session may read the replicas.
        for _ in range(READS):
            self.assertEqual(query_all(conn, f"SELECT c FROM {TABLE} WHERE id = {key}"),
                             [(row_value(key),)])


if __name__ == "__main__":
    unittest.main()
