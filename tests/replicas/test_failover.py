"""A replica that stops leaves the read set without client errors and returns after a restart.

Four threads run point reads of both shards for the whole test while the
eu replica of s0 gets SIGTERM and is started again with cluster.sh.
Reads that were on their way to it must be retried elsewhere, so the
clients see no error.
"""

import time
import unittest

from replica_harness import (EU_REPLICAS, HEALTH_INTERVAL_S, HEALTH_RISE_CHECKS, PRIMARIES,
                             READ_POLICY, ROWS, TIME_MARGIN_S, US_REPLICAS, ReadLoad,
                             ReplicaTestCase, SelectWindow, load_rows, log_offset, node_events,
                             server_running, start_server, stop_server, wait_all_readable,
                             wait_replica_event)

LOAD_THREADS = 4
WINDOW_S = 2.0
# Share of a shard's reads in a window that the expected server must show.
# The load's counts and the servers' counters are not read at the same instant.
WINDOW_SHARE = 0.9


def setUpModule():
    if READ_POLICY != "replica":
        raise unittest.SkipTest(f"needs read_policy replica, the proxy has {READ_POLICY}")
    load_rows()


class FailoverTest(ReplicaTestCase):
    def setUp(self):
        super().setUp()
        self.replica = EU_REPLICAS[0]
        self.load = ReadLoad(range(1, ROWS + 1), threads=LOAD_THREADS)
        self.addCleanup(self.load.stop)
        self.addCleanup(self.restart_if_stopped)

    def restart_if_stopped(self):
        if not server_running(self.replica):
            start_server(self.replica)
        wait_all_readable()

    def read_window(self, nodes):
        """Count shard 0's reads and NODES' Com_select over WINDOW_S and return (window, reads)."""
        before = self.load.reads_by_shard().get(0, 0)
        window = SelectWindow(nodes)
        time.sleep(WINDOW_S)
        window.close()
        return window, self.load.reads_by_shard().get(0, 0) - before

    def assertWindowOn(self, name, window, reads, expected, others):
        got = window.client_selects([expected])
        # The servers' counters are the measure: the clients' count of the
        # same window can be off by the reads in flight at its edges.
        served = sum(window.delta[node.port] for node in [expected] + list(others))
        print(f"  {name}: {reads} reads of s0; {window.describe()}")
        self.assertGreater(reads, 0, f"{name}: the load made no reads of s0")
        self.assertGreaterEqual(got, WINDOW_SHARE * served,
                                f"{name}: {expected} served {got} of the {served} SELECTs of s0; "
                                f"{window.describe()}")
        for node in others:
            self.assertLessEqual(window.delta[node.port], window.monitor_max(),
                                 f"{name}: {node} got reads; {window.describe()}")

    def test_replica_stop_and_restart(self):
        print()
        started = time.monotonic()
        self.load.start()
        window, reads = self.read_window([PRIMARIES[0], self.replica, US_REPLICAS[0]])
        self.assertWindowOn("before the stop", window, reads, self.replica,
                            [PRIMARIES[0], US_REPLICAS[0]])

        offset = log_offset()
        killed_at = stop_server(self.replica)
        down_bound = 2 * HEALTH_INTERVAL_S + TIME_MARGIN_S
        down = wait_replica_event(self.replica, "replica_down", offset, down_bound + 5.0)
        self.assertIsNotNone(down, f"no replica_down for {self.replica} after SIGTERM")
        out_after = down.ts - killed_at
        print(f"  out {out_after:.3f}s after SIGTERM: {down.line}")
        self.assertLessEqual(out_after, down_bound,
                             f"replica_down came {out_after:.2f}s after SIGTERM (bound "
                             f"{down_bound:.2f}s)")

        # From one interval after replica_down on, no read may be sent to the stopped replica.
        time.sleep(HEALTH_INTERVAL_S)
        settled = time.time()
        window, reads = self.read_window([PRIMARIES[0], US_REPLICAS[0]])
        self.assertWindowOn("while stopped", window, reads, PRIMARIES[0], [US_REPLICAS[0]])
        late = [e.line for e in node_events(self.replica, {"replica_retry", "backend_lost"}, offset)
                if e.ts > settled]
        self.assertEqual(late, [], "reads were still sent to the stopped replica")

        offset = log_offset()
        start_server(self.replica)
        ready_at = time.time()
        up_bound = (HEALTH_RISE_CHECKS + 1) * HEALTH_INTERVAL_S + TIME_MARGIN_S
        up = wait_replica_event(self.replica, "replica_up", offset, up_bound + 5.0)
        self.assertIsNotNone(up, f"no replica_up for {self.replica} after the restart")
        back_after = up.ts - ready_at
        print(f"  back {back_after:.3f}s after the restart finished: {up.line}")
        self.assertLessEqual(back_after, up_bound,
                             f"replica_up came {back_after:.2f}s after the restart (bound "
                             f"{up_bound:.2f}s)")

        time.sleep(HEALTH_INTERVAL_S)
        window, reads = self.read_window([PRIMARIES[0], self.replica, US_REPLICAS[0]])
        self.assertWindowOn("after the restart", window, reads, self.replica,
                            [PRIMARIES[0], US_REPLICAS[0]])

        self.load.stop()
        total = sum(self.load.reads_by_shard().values())
        print(f"  {total} reads by {LOAD_THREADS} threads in {time.monotonic() - started:.1f}s, "
              f"{len(self.load.errors)} errors")
        self.assertEqual(self.load.errors, [], f"client errors ({len(self.load.errors)}), first: "
                                               f"{self.load.errors[:5]}")
        self.assertEqual(self.load.wrong_rows, [], "reads returned wrong rows")


if __name__ == "__main__":
    unittest.main()
