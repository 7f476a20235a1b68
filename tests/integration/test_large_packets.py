"""Values and commands larger than one 16 MiB protocol packet."""

import base64
import hashlib
import random
import unittest

import rawclient
import sptest
from sptest import execute, query_all, shard_of_int

MIB = 1 << 20


def ascii_value(size, seed):
    """SIZE bytes of base64 text: safe inside a quoted SQL literal, and not compressible to a pattern."""
    raw = random.Random(seed).randbytes(size * 3 // 4 + 3)
    return base64.b64encode(raw)[:size]


class LargePacketTest(sptest.ProxyTestCase):

    TABLE = "big"

    @classmethod
    def setUpClass(cls):
        with sptest.connect_proxy() as conn:
            execute(conn, f"CREATE TABLE IF NOT EXISTS {cls.TABLE} (id BIGINT NOT NULL PRIMARY KEY, v LONGBLOB)")

    @classmethod
    def tearDownClass(cls):
        for index in range(len(sptest.SHARD_PORTS)):
            with sptest.connect_shard(index) as conn:
                execute(conn, f"DROP TABLE IF EXISTS {cls.TABLE}")

    def insert_value(self, key, value):
        execute(self.proxy, f"DELETE FROM {self.TABLE} WHERE id = {key}")
        self.addCleanup(self.delete_direct, key)
        sql = b"INSERT INTO big (id, v) VALUES (%d, '" % key + value + b"')"
        with self.proxy.cursor() as cur:
            self.assertEqual(cur.execute(sql), 1)

    def delete_direct(self, key):
        execute(self.shard(shard_of_int(key)), f"DELETE FROM {self.TABLE} WHERE id = {key}")

    def test_20mib_round_trip(self):
        key = 20
        value = ascii_value(20 * MIB, seed=20)
        self.insert_value(key, value)

        rows = query_all(self.proxy, f"SELECT v FROM {self.TABLE} WHERE id = {key}")
        self.assertEqual(len(rows), 1)
        self.assertEqual(len(rows[0][0]), len(value))
        self.assertTrue(rows[0][0] == value, "value read back differs from the value written")

        home = self.shard(shard_of_int(key))
        stored = query_all(home, f"SELECT LENGTH(v), SHA1(v) FROM {self.TABLE} WHERE id = {key}")
        self.assertEqual(stored, [(len(value), hashlib.sha1(value).hexdigest())])

    def test_query_of_exactly_max_payload(self):
        # COM_QUERY byte + SQL = 0xFFFFFF bytes: one full packet and an empty one.
        head = b"SELECT 1 /*"
        tail = b"*/"
        sql = head + b"x" * (rawclient.MAX_PAYLOAD - 1 - len(head) - len(tail)) + tail
        self.assertEqual(1 + len(sql), rawclient.MAX_PAYLOAD)

        with rawclient.RawClient(sptest.HOST, sptest.PROXY_PORT) as client:
            client.login_ok(sptest.USER, sptest.PASSWORD, sptest.DATABASE)
            next_seq = client.send_message(bytes([rawclient.COM_QUERY]) + sql)
            self.assertEqual(next_seq, 2, "the client did not send a full packet plus an empty one")
            resp = client.read_response()
            self.assertEqual(resp.kind, "resultset", resp.err)
            self.assertEqual(resp.rows, [[b"1"]])
            self.assertEqual(resp.seqs(), list(range(2, 2 + len(resp.packets))))
            self.assertEqual(client.query_ok("SELECT 2").rows, [[b"2"]])

    def test_17mib_row_split_into_packets(self):
        key = 17
        value = ascii_value(17 * MIB, seed=17)
        self.insert_value(key, value)

        for caps in (rawclient.DEFAULT_CAPABILITIES,
                     rawclient.DEFAULT_CAPABILITIES | rawclient.CLIENT_DEPRECATE_EOF):
            with self.subTest(deprecate_eof=bool(caps & rawclient.CLIENT_DEPRECATE_EOF)), \
                    rawclient.RawClient(sptest.HOST, sptest.PROXY_PORT) as client:
                client.login_ok(sptest.USER, sptest.PASSWORD, sptest.DATABASE, caps)
                resp = client.query_ok(f"SELECT v FROM {self.TABLE} WHERE id = {key}")

                self.assertEqual(len(resp.rows), 1)
                self.assertTrue(resp.rows[0][0] == value, "value read back differs from the value written")
                self.assertEqual(resp.seqs(), list(range(1, 1 + len(resp.packets))))

                # The row (lenenc header + 17 MiB) is one full packet and the rest.
                sizes = [len(packet.payload) for packet in resp.packets]
                row_size = len(value) + 9
                first_row_packet = 3 if caps & rawclient.CLIENT_DEPRECATE_EOF else 4
                self.assertEqual(sizes[first_row_packet - 1:first_row_packet + 1],
                                 [rawclient.MAX_PAYLOAD, row_size - rawclient.MAX_PAYLOAD])
                self.assertEqual(len(resp.packets), first_row_packet + 2)


if __name__ == "__main__":
    unittest.main()
