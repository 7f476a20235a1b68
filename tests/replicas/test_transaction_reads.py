"""With transaction_reads "replica", a transaction reads from replicas until its first write."""

import os
import subprocess
import time
import unittest

import pymysql

from replica_harness import sptest  # noqa: I001  (the harness puts sptest on the path)
from replica_harness import (EU_REPLICAS, PRIMARIES, TABLE, TRANSACTION_READS, US_REPLICAS,
                             ReplicaTestCase, connect_proxy, execute, keys_on_shard, load_rows,
                             measure_selects, mysql_error_code, query_all, row_value, start_server,
                             stop_server, wait_all_readable, wait_replicas_caught_up)

READS_PER_SHARD = 100
ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION = 1792


def setUpModule():
    if TRANSACTION_READS != "replica":
        raise unittest.SkipTest(f"needs transaction_reads replica, the proxy has {TRANSACTION_READS}")
    load_rows()


class TransactionReadsTest(ReplicaTestCase):
    def setUp(self):
        super().setUp()
        self.keys = [keys_on_shard(shard, READS_PER_SHARD) for shard in range(len(PRIMARIES))]

    def connect(self, autocommit):
        conn = connect_proxy(autocommit=autocommit)
        self.addCleanup(conn.close)
        return conn

    def read_keys(self, conn, keys):
        for key in keys:
            self.assertEqual(query_all(conn, f"SELECT c FROM {TABLE} WHERE id = {key}"),
                             [(row_value(key),)])

    def test_autocommit_off_reads_use_replicas(self):
        conn = self.connect(autocommit=False)

        def read_and_commit():
            for keys in self.keys:
                self.read_keys(conn, keys)
            conn.commit()

        window = measure_selects(read_and_commit)
        self.assertReadsOn(window, EU_REPLICAS, READS_PER_SHARD * len(PRIMARIES),
                           PRIMARIES + US_REPLICAS)

    def test_begin_reads_use_replicas(self):
        conn = self.connect(autocommit=True)

        def read_in_transaction():
            execute(conn, "BEGIN")
            for keys in self.keys:
                self.read_keys(conn, keys)
            execute(conn, "COMMIT")

        window = measure_selects(read_in_transaction)
        self.assertReadsOn(window, EU_REPLICAS, READS_PER_SHARD * len(PRIMARIES),
                           PRIMARIES + US_REPLICAS)

    def test_first_write_moves_the_transaction_to_primaries(self):
        key = self.keys[0][0]
        self.addCleanup(self.restore_k, key)  # runs after the connection below is closed
        conn = self.connect(autocommit=True)
        execute(conn, "BEGIN")
        self.read_keys(conn, [key])
        execute(conn, f"UPDATE {TABLE} SET k = k + 1 WHERE id = {key}")

        def read_after_write():
            for _ in range(READS_PER_SHARD):
                self.assertEqual(query_all(conn, f"SELECT k FROM {TABLE} WHERE id = {key}"),
                                 [(key + 1,)])
            # The other shard too: the transaction no longer reads from replicas.
            self.read_keys(conn, self.keys[1])

        window = measure_selects(read_after_write)
        self.assertReadsOn(window, [PRIMARIES[0]], READS_PER_SHARD, EU_REPLICAS + US_REPLICAS)
        self.assertReadsOn(window, [PRIMARIES[1]], READS_PER_SHARD, EU_REPLICAS + US_REPLICAS)
        execute(conn, "COMMIT")
        with connect_proxy() as other:
            self.assertEqual(query_all(other, f"/* shardproxy: primary */ SELECT k FROM {TABLE}"
                                              f" WHERE id = {key}"), [(key + 1,)])

    def restore_k(self, key):
        with connect_proxy() as conn:
            execute(conn, f"UPDATE {TABLE} SET k = {key} WHERE id = {key}")
        wait_replicas_caught_up()

    def test_snapshot_kept_on_the_replica(self):
        key = self.keys[1][0]
        self.addCleanup(self.restore_k, key)
        conn = self.connect(autocommit=True)
        execute(conn, "BEGIN")
        self.assertEqual(query_all(conn, f"SELECT k FROM {TABLE} WHERE id = {key}"), [(key,)])
        with connect_proxy() as writer:
            execute(writer, f"UPDATE {TABLE} SET k = k + 100 WHERE id = {key}")
        wait_replicas_caught_up()
        # Repeatable read, as on one server: the transaction's replica connection keeps its view.
        self.assertEqual(query_all(conn, f"SELECT k FROM {TABLE} WHERE id = {key}"), [(key,)])
        execute(conn, "COMMIT")
        deadline = time.monotonic() + 5
        while query_all(conn, f"SELECT k FROM {TABLE} WHERE id = {key}") != [(key + 100,)]:
            self.assertLess(time.monotonic(), deadline, "the update never became visible")
            time.sleep(0.05)

    def test_commit_after_only_reads_keeps_reads_on_replicas(self):
        conn = self.connect(autocommit=True)
        keys = self.keys[0]
        # A transaction that read on the primary and wrote nothing...
        execute(conn, "BEGIN")
        self.assertEqual(query_all(conn, f"/* shardproxy: primary */ SELECT c FROM {TABLE}"
                                         f" WHERE id = {keys[0]}"), [(row_value(keys[0]),)])
        execute(conn, "COMMIT")

        # ...leaves nothing that the next reads must wait for on a replica.
        window = measure_selects(lambda: self.read_keys(conn, keys))
        self.assertReadsOn(window, [EU_REPLICAS[0]], len(keys), PRIMARIES + US_REPLICAS)

    def test_prepare_keeps_reads_on_replicas(self):
        # COM_STMT_PREPARE runs on the default shard's primary and changes nothing there.
        client = os.path.join(os.path.dirname(os.environ["SP_PROXY_BIN"]), "ps_client")
        if not os.access(client, os.X_OK):
            self.skipTest(f"{client} not built")
        key = self.keys[0][0]
        sql = f"SELECT c FROM {TABLE} WHERE id = ?"
        value = str(key)
        request = (f"query 1 {len(sql)} {READS_PER_SHARD}\n{sql}\n"
                   f"param int {len(value)}\n{value}\n")
        outcome = {}

        def prepare_and_execute():
            outcome["run"] = subprocess.run(
                [client, sptest.HOST, str(sptest.PROXY_PORT), sptest.USER, sptest.PASSWORD,
                 sptest.DATABASE], input=request.encode(), capture_output=True, timeout=60)

        window = measure_selects(prepare_and_execute)
        run = outcome["run"]
        self.assertEqual(run.returncode, 0, run.stderr.decode(errors="replace"))
        self.assertNotIn(b"error ", run.stdout)
        self.assertEqual(run.stdout.count(row_value(key).encode()), READS_PER_SHARD)
        self.assertReadsOn(window, [EU_REPLICAS[0]], READS_PER_SHARD, PRIMARIES + US_REPLICAS)

    def test_replica_lost_inside_a_reading_transaction(self):
        conn = self.connect(autocommit=True)
        replica = EU_REPLICAS[0]
        keys = self.keys[0][:5]
        self.addCleanup(wait_all_readable)
        self.addCleanup(start_server, replica)
        execute(conn, "BEGIN")
        self.read_keys(conn, keys)
        stop_server(replica)
        # The transaction only read, so it goes on elsewhere without an error.
        self.read_keys(conn, keys)
        execute(conn, "COMMIT")
        self.read_keys(conn, keys)

    def test_read_only_transaction_refuses_writes(self):
        conn = self.connect(autocommit=True)
        key = self.keys[0][1]
        execute(conn, "START TRANSACTION READ ONLY")
        self.read_keys(conn, [key])
        with self.assertRaises(pymysql.MySQLError) as caught:
            execute(conn, f"UPDATE {TABLE} SET k = 0 WHERE id = {key}")
        # The server's error for a write in a READ ONLY transaction, not a replica's 1290.
        self.assertEqual(mysql_error_code(caught.exception),
                         ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION)
        execute(conn, "ROLLBACK")
        self.assertEqual(query_all(conn, f"SELECT k FROM {TABLE} WHERE id = {key}"), [(key,)])


if __name__ == "__main__":
    unittest.main()
