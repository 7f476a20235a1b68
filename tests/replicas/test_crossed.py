"""A replica listed under the wrong shard gets no reads, because it would return another shard's rows."""

import os
import unittest

from replica_harness import (EU_REPLICAS, PRIMARIES, TABLE, US_REPLICAS, connect_proxy,
                             keys_on_shard, load_rows, measure_selects, query_all, replica_events,
                             row_value, sptest)

READS_PER_SHARD = 50
DOWN_TIMEOUT_S = 5


def setUpModule():
    if os.environ.get("SP_LAYOUT") != "crossed":
        raise unittest.SkipTest("needs the crossed layout")
    load_rows()


class CrossedReplicaTest(unittest.TestCase):
    def test_replica_of_another_primary_gets_no_reads(self):
        def refused(node):
            events = replica_events(node)
            return bool(events) and events[-1].kind == "replica_down" and \
                "replicates server_id" in events[-1].reason

        for node in EU_REPLICAS:
            self.assertTrue(sptest.wait_until(lambda n=node: refused(n), DOWN_TIMEOUT_S),
                            f"{node} was not refused: {replica_events(node)}")

        conn = connect_proxy()
        self.addCleanup(conn.close)
        wrong = []

        def read_both_shards():
            for shard in range(len(PRIMARIES)):
                for key in keys_on_shard(shard, READS_PER_SHARD):
                    rows = query_all(conn, f"SELECT c FROM {TABLE} WHERE id = {key}")
                    if rows != [(row_value(key),)]:
                        wrong.append((key, rows))

        window = measure_selects(read_both_shards)
        self.assertEqual(wrong, [], "reads returned another shard's rows")
        for node in EU_REPLICAS + US_REPLICAS:
            self.assertLessEqual(window.delta[node.port], window.monitor_max(),
                                 f"{node} got reads; {window.describe()}")


if __name__ == "__main__":
    unittest.main()
