"""With read_from_other_regions, reads use another region's replica before the primary."""

import time
import unittest

from replica_harness import (EU_REPLICAS, HEALTH_INTERVAL_S, PRIMARIES, READ_FROM_OTHER_REGIONS,
                             READ_POLICY, TABLE, TIME_MARGIN_S, US_REPLICAS, ReplicaTestCase,
                             connect_proxy, keys_on_shard, load_rows, log_offset,
                             measure_selects, row_value, server_running, start_server,
                             stop_server, wait_all_readable, wait_replica_event)

READS = 100


def setUpModule():
    if READ_POLICY != "replica" or not READ_FROM_OTHER_REGIONS:
        raise unittest.SkipTest("needs read_policy replica and read_from_other_regions true")
    load_rows()


class OtherRegionsTest(ReplicaTestCase):
    def setUp(self):
        super().setUp()
        self.conn = connect_proxy()
        self.addCleanup(self.conn.close)
        self.replica = EU_REPLICAS[0]
        self.keys = keys_on_shard(0)
        self.addCleanup(self.restart_if_stopped)

    def restart_if_stopped(self):
        if not server_running(self.replica):
            start_server(self.replica)
        wait_all_readable()

    def read_shard0(self):
        for i in range(READS):
            key = self.keys[i % len(self.keys)]
            rows = self.run_reads(self.conn, f"SELECT c FROM {TABLE} WHERE id = %s", 1, (key,))
            self.assertEqual(rows, [(row_value(key),)])

    def test_local_replica_first(self):
        window = measure_selects(self.read_shard0)
        self.assertReadsOn(window, [self.replica], READS, [PRIMARIES[0], US_REPLICAS[0]])

    def test_other_region_before_primary(self):
        offset = log_offset()
        stop_server(self.replica)
        down = wait_replica_event(self.replica, "replica_down", offset,
                                  2 * HEALTH_INTERVAL_S + TIME_MARGIN_S + 5.0)
        self.assertIsNotNone(down, f"no replica_down for {self.replica} after SIGTERM")
        time.sleep(HEALTH_INTERVAL_S)

        window = measure_selects(self.read_shard0, [PRIMARIES[0], US_REPLICAS[0]])
        print(f"\n  {self.replica} stopped: {window.describe()}")
        self.assertReadsOn(window, [US_REPLICAS[0]], READS, [PRIMARIES[0]])


if __name__ == "__main__":
    unittest.main()
