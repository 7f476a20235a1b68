"""Clients with and without CLIENT_DEPRECATE_EOF get their own result-set framing."""

import unittest

import rawclient
import sptest
from rawclient import CLIENT_DEPRECATE_EOF, DEFAULT_CAPABILITIES, is_eof_packet


class DeprecateEofTest(unittest.TestCase):

    def login(self, capabilities):
        client = rawclient.RawClient(sptest.HOST, sptest.PROXY_PORT)
        self.addCleanup(client.close)
        greeting = client.connect()
        if capabilities & CLIENT_DEPRECATE_EOF:
            self.assertTrue(greeting["capabilities"] & CLIENT_DEPRECATE_EOF,
                            "the server greeting does not offer CLIENT_DEPRECATE_EOF")
        client.login_ok(sptest.USER, sptest.PASSWORD, sptest.DATABASE, capabilities)
        return client

    def check_classic(self, resp):
        """Column count, column definition, EOF, row, EOF with sequence ids 1..5."""
        self.assertEqual(resp.seqs(), [1, 2, 3, 4, 5])
        payloads = [packet.payload for packet in resp.packets]
        self.assertEqual(payloads[0], b"\x01")
        self.assertEqual(rawclient.parse_column(payloads[1]), "1")
        self.assertTrue(is_eof_packet(payloads[2]), payloads[2])
        self.assertEqual(payloads[3], b"\x011")
        self.assertTrue(is_eof_packet(payloads[4]), payloads[4])

    def check_deprecated(self, resp):
        """Column count, column definition, row, OK with a 0xFE header with sequence ids 1..4."""
        self.assertEqual(resp.seqs(), [1, 2, 3, 4])
        payloads = [packet.payload for packet in resp.packets]
        self.assertEqual(payloads[0], b"\x01")
        self.assertEqual(rawclient.parse_column(payloads[1]), "1")
        self.assertEqual(payloads[2], b"\x011")
        self.assertEqual(payloads[3][:1], b"\xfe")
        self.assertGreaterEqual(len(payloads[3]), 7, "an OK packet has at least 7 bytes")

    def test_alternating_clients(self):
        classic = self.login(DEFAULT_CAPABILITIES)
        deprecated = self.login(DEFAULT_CAPABILITIES | CLIENT_DEPRECATE_EOF)

        for round_no in range(10):
            order = (classic, deprecated) if round_no % 2 == 0 else (deprecated, classic)
            for client in order:
                with self.subTest(round=round_no, deprecate_eof=client is deprecated):
                    resp = client.query_ok("SELECT 1")
                    if client is classic:
                        self.check_classic(resp)
                    else:
                        self.check_deprecated(resp)

        self.assertEqual(classic.query_ok("SELECT 2").rows, [[b"2"]])
        self.assertEqual(deprecated.query_ok("SELECT 2").rows, [[b"2"]])

    def test_overlapping_queries(self):
        # Both queries are in flight before either response is read, so a
        # backend connection handed from one session to the other mid-way
        # would show up as the wrong framing.
        classic = self.login(DEFAULT_CAPABILITIES)
        deprecated = self.login(DEFAULT_CAPABILITIES | CLIENT_DEPRECATE_EOF)
        for _ in range(10):
            classic.send_command(rawclient.COM_QUERY, b"SELECT 1")
            deprecated.send_command(rawclient.COM_QUERY, b"SELECT 1")
            self.check_deprecated(deprecated.read_response())
            self.check_classic(classic.read_response())


if __name__ == "__main__":
    unittest.main()
