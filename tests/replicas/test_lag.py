"""A lagging replica leaves the read set and returns once it has caught up.

The eu replica of s1 gets STOP SLAVE SQL_THREAD while a writer updates a
row of s1 through the proxy every 50 ms, so its lag grows from the first
write on. The monitor measures lag from timestamped samples of the
primary's GTID position. So the replica must leave no sooner than
max_replica_lag_ms after the first write, and no later than two health
intervals after that: one until the primary is sampled, one until the
replica is checked.
"""

import time
import unittest

from replica_harness import (EU_REPLICAS, HEALTH_INTERVAL_S, HEALTH_RISE_CHECKS,
                             MAX_REPLICA_LAG_S, PRIMARIES, READ_POLICY, TABLE, TIME_MARGIN_S,
                             US_REPLICAS, ReplicaTestCase, connect_proxy, execute,
                             keys_on_shard, load_rows, log_offset, measure_selects,
                             start_sql_thread, stop_sql_thread, wait_replica_event,
                             wait_replicas_caught_up)

WRITE_PERIOD_S = 0.05
READS = 40
# The log's timestamps have millisecond resolution.
CLOCK_SLACK_S = 0.01


def setUpModule():
    if READ_POLICY != "replica":
        raise unittest.SkipTest(f"needs read_policy replica, the proxy has {READ_POLICY}")
    load_rows()


class ReplicaLagTest(ReplicaTestCase):
    def setUp(self):
        super().setUp()
        self.replica = EU_REPLICAS[1]
        self.write_key, *read_keys = keys_on_shard(1, 11)
        self.read_sql = f"SELECT c FROM {TABLE} WHERE id = {read_keys[0]}"
        self.writer = connect_proxy()
        self.addCleanup(self.writer.close)
        # Reads come from a session without writes, so read-your-writes plays no part.
        self.reader = connect_proxy()
        self.addCleanup(self.reader.close)

    def restore(self):
        start_sql_thread(self.replica)
        wait_replicas_caught_up()

    def write_until_down(self, offset, bound):
        """Update the row every WRITE_PERIOD_S until the replica is down and return (first write, event)."""
        first_write = None
        timeout = bound + 2.0
        deadline = time.monotonic() + timeout
        event = None
        for _ in range(int(timeout / WRITE_PERIOD_S) + 1):
            if time.monotonic() >= deadline:
                break
            sent = time.time()
            execute(self.writer, f"UPDATE {TABLE} SET k = k + 1 WHERE id = %s", (self.write_key,))
            if first_write is None:
                first_write = sent
            event = wait_replica_event(self.replica, "replica_down", offset, 0)
            if event is not None:
                break
            time.sleep(WRITE_PERIOD_S)
        return first_write, event

    def test_lagging_replica_leaves_and_returns(self):
        offset = log_offset()
        stop_sql_thread(self.replica)
        self.addCleanup(self.restore)

        bound = MAX_REPLICA_LAG_S + 2 * HEALTH_INTERVAL_S + TIME_MARGIN_S
        first_write, down = self.write_until_down(offset, bound)
        self.assertIsNotNone(down, f"{self.replica} never left the read set while lagging")
        out_after = down.ts - first_write
        print(f"\n  {self.replica} out {out_after:.2f}s after the first write: {down.line}")
        self.assertIn("lagging", down.reason)
        self.assertLessEqual(out_after, bound,
                             f"left {out_after:.2f}s after the first write (bound {bound:.2f}s)")
        self.assertGreaterEqual(out_after, MAX_REPLICA_LAG_S - CLOCK_SLACK_S,
                                f"left {out_after:.2f}s after the first write, before its lag "
                                f"could reach {MAX_REPLICA_LAG_S}s")

        window = measure_selects(lambda: self.run_reads(self.reader, self.read_sql, READS))
        self.assertReadsOn(window, [PRIMARIES[1]], READS, [self.replica, US_REPLICAS[1]])

        offset = log_offset()
        restarted = time.time()
        start_sql_thread(self.replica)
        back_bound = (HEALTH_RISE_CHECKS + 1) * HEALTH_INTERVAL_S + TIME_MARGIN_S
        up = wait_replica_event(self.replica, "replica_up", offset, back_bound + 5.0)
        self.assertIsNotNone(up, f"{self.replica} did not return after START SLAVE SQL_THREAD")
        back_after = up.ts - restarted
        print(f"  {self.replica} back {back_after:.2f}s after START SLAVE SQL_THREAD: {up.line}")
        self.assertLessEqual(back_after, back_bound,
                             f"returned {back_after:.2f}s after the restart (bound {back_bound:.2f}s)")

        window = measure_selects(lambda: self.run_reads(self.reader, self.read_sql, READS))
        self.assertReadsOn(window, [self.replica], READS, [PRIMARIES[1], US_REPLICAS[1]])


if __name__ == "__main__":
    unittest.main()
