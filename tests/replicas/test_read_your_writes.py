"""Read-your-writes: a session reads its own writes while the replicas are stale.

Both replicas of s0 have their SQL thread stopped, so they still serve
reads (until their lag passes max_replica_lag_ms) but never see the
writes. A replica hint skips the read-your-writes check and shows the
stale value, which proves that the replicas were stale and readable.
"""

import time
import unittest

from replica_harness import (EU_REPLICAS, HEALTH_INTERVAL_S, HEALTH_RISE_CHECKS, READ_POLICY,
                             TABLE, TIME_MARGIN_S, ReplicaTestCase, connect_proxy, execute,
                             keys_on_shard, load_rows, log_offset, measure_selects, query_all,
                             replica_events, replicas_of, row_value, start_sql_thread,
                             stop_sql_thread, wait_replicas_caught_up)

ITERATIONS = 50
RETURN_READS = 50
MAX_RETURN_BATCHES = 200


def setUpModule():
    if READ_POLICY != "replica":
        raise unittest.SkipTest(f"needs read_policy replica, the proxy has {READ_POLICY}")
    load_rows()


class ReadYourWritesTest(ReplicaTestCase):
    def setUp(self):
        super().setUp()
        self.shard = 0
        self.key = keys_on_shard(self.shard, 3)[2]
        self.stale = row_value(self.key)
        self.conn = connect_proxy()
        self.addCleanup(self.conn.close)

    def stop_replication(self):
        for replica in replicas_of(self.shard):
            stop_sql_thread(replica)
        self.addCleanup(self.restore_replication)

    def restore_replication(self):
        for replica in replicas_of(self.shard):
            start_sql_thread(replica)
        wait_replicas_caught_up()

    def test_session_reads_own_writes(self):
        offset = log_offset()
        self.stop_replication()
        plain = f"SELECT c FROM {TABLE} WHERE id = {self.key}"
        hinted = f"/* shardproxy: replica */ {plain}"
        missed = []
        hinted_fresh = []

        started = time.monotonic()
        for i in range(ITERATIONS):
            value = f"ryw-{i}"
            execute(self.conn, f"UPDATE {TABLE} SET c = %s WHERE id = %s", (value, self.key))
            got = query_all(self.conn, plain)
            if got != [(value,)]:
                missed.append((i, got))
            got = query_all(self.conn, hinted)
            if got != [(self.stale,)]:
                hinted_fresh.append((i, got))
        elapsed = time.monotonic() - started

        other = connect_proxy()
        self.addCleanup(other.close)
        other_rows = query_all(other, plain)
        downs = [e for e in replica_events(offset=offset) if e.kind == "replica_down"]

        print(f"\n  {ITERATIONS} write-read pairs in {elapsed:.2f}s")
        self.assertEqual(missed, [], f"reads after a write missed it ({len(missed)} of "
                                     f"{ITERATIONS}): {missed[:5]}")
        self.assertEqual(hinted_fresh, [],
                         f"hinted reads saw the write, so the replicas were not stale or not in "
                         f"the read set; {elapsed:.2f}s elapsed, replica_down events: {downs}")
        self.assertEqual(other_rows, [(self.stale,)],
                         "a session that wrote nothing should read the stale replica")

    def test_session_returns_to_replica(self):
        # Once a replica has applied the session's write, the session's reads go there again.
        execute(self.conn, f"UPDATE {TABLE} SET k = k + 1 WHERE id = %s", (self.key,))
        sql = f"SELECT c FROM {TABLE} WHERE id = {self.key}"
        bound = 2 * HEALTH_INTERVAL_S + TIME_MARGIN_S
        started = time.monotonic()
        deadline = started + bound + HEALTH_RISE_CHECKS * HEALTH_INTERVAL_S + 2.0
        window = None
        for _ in range(MAX_RETURN_BATCHES):
            if time.monotonic() >= deadline:
                break
            window = measure_selects(lambda: self.run_reads(self.conn, sql, RETURN_READS))
            if window.client_selects([EU_REPLICAS[self.shard]]) >= 0.95 * RETURN_READS:
                break
            time.sleep(0.05)
        returned = time.monotonic() - started
        print(f"\n  reads back on {EU_REPLICAS[self.shard]} {returned:.2f}s after the write")
        self.assertGreaterEqual(window.client_selects([EU_REPLICAS[self.shard]]),
                                0.95 * RETURN_READS,
                                f"reads did not return to the replica; {window.describe()}")
        self.assertLessEqual(returned, bound,
                             f"reads returned to the replica {returned:.2f}s after the write "
                             f"(bound {bound:.2f}s)")


if __name__ == "__main__":
    unittest.main()
