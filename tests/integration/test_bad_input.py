"""Malformed and hostile client input: the proxy returns an error or closes the connection, and keeps serving."""

import random
import socket
import struct
import unittest

import pymysql

import rawclient
import sptest
from rawclient import ConnectionClosed, Err

# Command bytes that a backend would act on server-wide (shutdown, kill,
# flush, debug dump, binlog and daemon commands). Random packets skip them so
# that a proxy forwarding them cannot take the shared test servers down; this
# file checks parsing, not command filtering.
SERVER_WIDE_COMMANDS = {0x07, 0x08, 0x0C, 0x0D, 0x12, 0x1D}

MALFORMED_SQL = [
    "SELEC * FROM sbtest1 WHERE",
    "SELECT * FROM sbtest1 WHERE id = ",
    "SELECT * FROM sbtest1 WHERE id = 'unterminated",
    "INSERT INTO sbtest1 (id) VALUES (",
    "UPDATE sbtest1 SET",
    "DELETE FROM sbtest1 WHERE id IN (1,",
    "SELECT * FROM sbtest1 WHERE id = 1 /* unterminated comment",
    "",
]


class BadInputTest(unittest.TestCase):

    def tearDown(self):
        self.assertTrue(sptest.proxy_is_alive(), f"proxy died; see {sptest.PROXY_LOG}")
        with sptest.connect_proxy() as conn:
            self.assertEqual(sptest.query_all(conn, "SELECT 1"), [(1,)])

    def logged_in(self, capabilities=rawclient.DEFAULT_CAPABILITIES, timeout=30.0):
        client = rawclient.RawClient(sptest.HOST, sptest.PROXY_PORT, timeout=timeout)
        self.addCleanup(client.close)
        client.login_ok(sptest.USER, sptest.PASSWORD, sptest.DATABASE, capabilities)
        return client

    def assert_closed_after_errors(self, client, wait=15.0):
        """Read until the peer closes; only ERR packets may come before the close."""
        client.sock.settimeout(wait)
        while True:
            try:
                packet = client.read_packet()
            except ConnectionClosed:
                return
            except socket.timeout:
                self.fail(f"connection still open {wait}s after bad input")
            self.assertEqual(packet.payload[:1], b"\xff", f"expected ERR or close, got {packet}")

    def test_command_over_max_packet_size(self):
        client = self.logged_in()
        head = b"SELECT 1 /*"
        tail = b"*/"
        size = sptest.MAX_PACKET_SIZE + 1
        sql = head + b"x" * (size - 1 - len(head) - len(tail)) + tail
        try:
            client.send_message(bytes([rawclient.COM_QUERY]) + sql)
        except (BrokenPipeError, ConnectionResetError):
            pass  # closed while we were sending: accepted
        except socket.timeout:
            pass  # stopped reading; an ERR must still be waiting for us

        try:
            resp = client.read_response()
        except ConnectionClosed:
            return
        self.assertEqual(resp.kind, "err", f"a {size}-byte command was accepted")
        self.assertEqual(resp.err.code, sptest.ER_NET_PACKET_TOO_LARGE, resp.err)
        self.assertEqual(resp.err.sqlstate, "08S01", resp.err)

    def test_garbage_handshake_response(self):
        payload = random.Random(7).randbytes(64)
        client = rawclient.RawClient(sptest.HOST, sptest.PROXY_PORT)
        self.addCleanup(client.close)
        client.connect()
        client.write_packet(payload, 1)
        self.assert_closed_after_errors(client)

    def test_short_handshake_response(self):
        client = rawclient.RawClient(sptest.HOST, sptest.PROXY_PORT)
        self.addCleanup(client.close)
        client.connect()
        client.write_packet(b"\x05\xa2\x00", 1)
        self.assert_closed_after_errors(client)

    def test_http_request_then_half_close(self):
        client = rawclient.RawClient(sptest.HOST, sptest.PROXY_PORT)
        self.addCleanup(client.close)
        client.connect()
        try:
            client.send_raw(b"GET / HTTP/1.0\r\n\r\n")
            client.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the peer closed first, which assert_closed_after_errors accepts
        self.assert_closed_after_errors(client)

    def test_unknown_command(self):
        client = self.logged_in()
        client.send_command(0x99, b"")
        resp = client.read_response()
        self.assertEqual(resp.kind, "err")
        self.assertEqual(resp.err.code, sptest.ER_UNKNOWN_COM, resp.err)

    def test_malformed_sql(self):
        with sptest.connect_proxy() as conn:
            for sql in MALFORMED_SQL:
                with self.subTest(sql=sql):
                    with self.assertRaises(pymysql.MySQLError) as ctx:
                        sptest.execute(conn, sql)
                    self.assertIsNotNone(sptest.mysql_error_code(ctx.exception), repr(ctx.exception))
                    self.assertNotEqual(sptest.mysql_error_code(ctx.exception), 0, repr(ctx.exception))
                    # An ERR packet leaves the session usable.
                    self.assertEqual(sptest.query_all(conn, "SELECT 1"), [(1,)])

    def test_prepare_rejected_or_supported(self):
        client = self.logged_in()
        client.send_command(rawclient.COM_STMT_PREPARE, b"SELECT 1")
        seq, payload = client.read_message()
        self.assertEqual(seq, 1)
        if payload[:1] == b"\xff":
            err = Err(payload)
            self.assertEqual(err.code, sptest.ER_UNSUPPORTED_PS, err)
        else:
            self.assertEqual(payload[:1], b"\x00", f"neither ERR nor COM_STMT_PREPARE_OK: {payload[:16]!r}")
            columns, params = struct.unpack_from("<HH", payload, 5)
            definitions = params + columns
            if not client.capabilities & rawclient.CLIENT_DEPRECATE_EOF:
                # Each non-empty definition list ends with an EOF packet.
                if params:
                    definitions += 1
                if columns:
                    definitions += 1
            for _ in range(definitions):
                client.read_message()
        self.assertEqual(client.query_ok("SELECT 1").rows, [[b"1"]])

    def test_random_packets_after_login(self):
        rng = random.Random(1234)
        for number in range(100):
            if number % 2 == 0:
                command = rawclient.COM_QUERY
            else:
                command = rng.choice([c for c in range(256) if c not in SERVER_WIDE_COMMANDS])
            body = rng.randbytes(rng.randint(0, 200))
            client = rawclient.RawClient(sptest.HOST, sptest.PROXY_PORT)
            try:
                client.login_ok(sptest.USER, sptest.PASSWORD, sptest.DATABASE)
                client.sock.settimeout(1.0)
                try:
                    client.send_command(command, body)
                    # Some commands have no response, so a read timeout is fine.
                    client.read_message()
                except (ConnectionClosed, ConnectionResetError, BrokenPipeError, socket.timeout):
                    pass
            finally:
                client.close()
            self.assertTrue(sptest.proxy_is_alive(), f"proxy died after packet {number} (command {command:#04x})")


if __name__ == "__main__":
    unittest.main()
