"""Where reads go with read_policy "replica": which statements a replica may serve."""

import time
import unittest

from replica_harness import (EU_REPLICAS, HEALTH_INTERVAL_S, NODES, PRIMARIES, READ_POLICY, ROWS,
                             TABLE, US_REPLICAS, ReplicaTestCase, SelectWindow, connect_proxy,
                             execute, keys_on_shard, load_rows, measure_selects, query_all,
                             row_value, shard_of_int)

POINT_READS = 400
# With at most two monitor SELECTs per node in a short window, 50 statements
# leave room for the 95% share.
STATEMENT_REPEATS = 50


def setUpModule():
    if READ_POLICY != "replica":
        raise unittest.SkipTest(f"needs read_policy replica, the proxy has {READ_POLICY}")
    load_rows()


class MonitorSelectsTest(ReplicaTestCase):
    def test_idle_monitor_selects(self):
        # The other tests allow each node the monitor's SELECTs, and this checks that bound.
        window = SelectWindow()
        time.sleep(1.0)
        window.close()
        print(f"\n  idle: {window.describe()}")
        for node in NODES:
            self.assertLessEqual(window.delta[node.port], window.monitor_max(),
                                 f"{node}: more SELECTs than one per health interval "
                                 f"({HEALTH_INTERVAL_S}s); {window.describe()}")
            self.assertGreater(window.delta[node.port], 0,
                               f"{node} got no monitor SELECT; {window.describe()}")


class ReadRoutingTest(ReplicaTestCase):
    def setUp(self):
        super().setUp()
        self.conn = connect_proxy()
        self.addCleanup(self.conn.close)

    def test_point_selects_use_local_replicas(self):
        keys = [(i % ROWS) + 1 for i in range(POINT_READS)]
        wrong = []

        def read_all():
            for key in keys:
                rows = query_all(self.conn, f"SELECT c FROM {TABLE} WHERE id = %s", (key,))
                if rows != [(row_value(key),)]:
                    wrong.append((key, rows))

        window = measure_selects(read_all)
        print(f"\n  {POINT_READS} point reads: {window.describe()}")
        self.assertEqual(wrong, [], "point reads returned wrong rows")
        self.assertReadsOn(window, EU_REPLICAS, POINT_READS, PRIMARIES + US_REPLICAS)
        for replica in EU_REPLICAS:
            expected = sum(1 for key in keys if shard_of_int(key) == replica.shard)
            self.assertGreaterEqual(window.client_selects([replica]), 0.95 * expected,
                                    f"{replica} got too few of its shard's {expected} reads; "
                                    f"{window.describe()}")

    def test_scatter_count_uses_local_replicas(self):
        results = []

        def count_rows():
            for _ in range(STATEMENT_REPEATS):
                results.append(query_all(self.conn, f"SELECT COUNT(*) FROM {TABLE}")[0][0])

        window = measure_selects(count_rows)
        self.assertEqual(set(results), {ROWS})
        for replica in EU_REPLICAS:
            self.assertReadsOn(window, [replica], STATEMENT_REPEATS, PRIMARIES + US_REPLICAS)

    def test_locking_reads_use_primary(self):
        key = keys_on_shard(0, 1)[0]
        point = f"SELECT c FROM {TABLE} WHERE id = {key}"
        cases = [
            ("FOR UPDATE", f"{point} FOR UPDATE"),
            ("LOCK IN SHARE MODE", f"{point} LOCK IN SHARE MODE"),
            ("primary hint", f"/* shardproxy: primary */ {point}"),
            ("primary hint at the end", f"{point} /* shardproxy: primary */"),
        ]
        for name, sql in cases:
            with self.subTest(name):
                window = measure_selects(lambda: self.run_reads(self.conn, sql, STATEMENT_REPEATS))
                self.assertReadsOn(window, [PRIMARIES[0]], STATEMENT_REPEATS,
                                   EU_REPLICAS + US_REPLICAS)

    def test_get_lock_uses_primary(self):
        # No table: the statement goes to the default shard, s0.
        results = []

        def lock_and_release():
            for _ in range(STATEMENT_REPEATS):
                results.append(query_all(self.conn, "SELECT GET_LOCK('sp_replicas', 0),"
                                                    " RELEASE_LOCK('sp_replicas')")[0])

        window = measure_selects(lock_and_release)
        self.assertEqual(set(results), {(1, 1)})
        self.assertReadsOn(window, [PRIMARIES[0]], STATEMENT_REPEATS, EU_REPLICAS + US_REPLICAS)

    def test_reads_in_transaction_use_primary(self):
        key = keys_on_shard(1, 1)[0]
        sql = f"SELECT c FROM {TABLE} WHERE id = {key}"

        def in_transactions():
            for _ in range(STATEMENT_REPEATS):
                execute(self.conn, "BEGIN")
                self.assertEqual(query_all(self.conn, sql), [(row_value(key),)])
                execute(self.conn, "COMMIT")

        window = measure_selects(in_transactions)
        self.assertReadsOn(window, [PRIMARIES[1]], STATEMENT_REPEATS, EU_REPLICAS + US_REPLICAS)

    def test_reads_with_autocommit_off_use_primary(self):
        key = keys_on_shard(1, 1)[0]
        sql = f"SELECT c FROM {TABLE} WHERE id = {key}"
        execute(self.conn, "SET autocommit = 0")
        self.addCleanup(execute, self.conn, "SET autocommit = 1")

        def without_autocommit():
            for _ in range(STATEMENT_REPEATS):
                self.assertEqual(query_all(self.conn, sql), [(row_value(key),)])
                execute(self.conn, "COMMIT")

        window = measure_selects(without_autocommit)
        self.assertReadsOn(window, [PRIMARIES[1]], STATEMENT_REPEATS, EU_REPLICAS + US_REPLICAS)

    def test_replica_hint_uses_replica(self):
        key = keys_on_shard(1, 1)[0]
        sql = f"/* shardproxy: replica */ SELECT c FROM {TABLE} WHERE id = {key}"
        window = measure_selects(lambda: self.run_reads(self.conn, sql, STATEMENT_REPEATS))
        self.assertReadsOn(window, [EU_REPLICAS[1]], STATEMENT_REPEATS, PRIMARIES + US_REPLICAS)

    def test_replica_hint_after_write_uses_replica(self):
        # Read-your-writes would send this session's reads of s1 to the
        # primary for a moment, but the hint skips that check.
        key = keys_on_shard(1, 2)[1]
        sql = f"/* shardproxy: replica */ SELECT c FROM {TABLE} WHERE id = {key}"

        def write_then_read():
            for _ in range(STATEMENT_REPEATS):
                execute(self.conn, f"UPDATE {TABLE} SET k = k + 1 WHERE id = {key}")
                self.assertEqual(query_all(self.conn, sql), [(row_value(key),)])

        window = measure_selects(write_then_read)
        # The UPDATEs count as Com_update, so the primaries must show no SELECT either.
        self.assertReadsOn(window, [EU_REPLICAS[1]], STATEMENT_REPEATS, PRIMARIES + US_REPLICAS)


if __name__ == "__main__":
    unittest.main()
