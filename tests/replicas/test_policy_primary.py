"""With read_policy "primary", reads stay on the primaries unless hinted to a replica."""

import unittest

from replica_harness import (EU_REPLICAS, PRIMARIES, READ_POLICY, REPLICAS, ROWS, TABLE,
                             US_REPLICAS, ReplicaTestCase, connect_proxy, keys_on_shard,
                             load_rows, measure_selects, query_all, row_value)

POINT_READS = 200
# With at most two monitor SELECTs per node in a short window, 50 statements
# leave room for the 95% share.
STATEMENT_REPEATS = 50


def setUpModule():
    if READ_POLICY != "primary":
        raise unittest.SkipTest(f"needs read_policy primary, the proxy has {READ_POLICY}")
    load_rows()


class PrimaryPolicyTest(ReplicaTestCase):
    def setUp(self):
        super().setUp()
        self.conn = connect_proxy()
        self.addCleanup(self.conn.close)

    def test_point_selects_use_primaries(self):
        keys = [(i % ROWS) + 1 for i in range(POINT_READS)]
        wrong = []

        def read_all():
            for key in keys:
                rows = query_all(self.conn, f"SELECT c FROM {TABLE} WHERE id = %s", (key,))
                if rows != [(row_value(key),)]:
                    wrong.append((key, rows))

        window = measure_selects(read_all)
        print(f"\n  {POINT_READS} point reads: {window.describe()}")
        self.assertEqual(wrong, [])
        self.assertReadsOn(window, PRIMARIES, POINT_READS, REPLICAS)

    def test_scatter_count_uses_primaries(self):
        results = []

        def count_rows():
            for _ in range(STATEMENT_REPEATS):
                results.append(query_all(self.conn, f"SELECT COUNT(*) FROM {TABLE}")[0][0])

        window = measure_selects(count_rows)
        self.assertEqual(set(results), {ROWS})
        for primary in PRIMARIES:
            self.assertReadsOn(window, [primary], STATEMENT_REPEATS, REPLICAS)

    def test_replica_hint_uses_replica(self):
        for shard in range(len(PRIMARIES)):
            with self.subTest(shard=shard):
                key = keys_on_shard(shard, 1)[0]
                sql = f"/* shardproxy: replica */ SELECT c FROM {TABLE} WHERE id = {key}"
                window = measure_selects(
                    lambda: self.run_reads(self.conn, sql, STATEMENT_REPEATS))
                self.assertReadsOn(window, [EU_REPLICAS[shard]], STATEMENT_REPEATS,
                                   PRIMARIES + US_REPLICAS)


if __name__ == "__main__":
    unittest.main()
