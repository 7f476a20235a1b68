"""A minimal MySQL protocol client for tests that need the wire bytes.

PyMySQL hides packet boundaries, sequence ids and capability flags, so the
tests that check those use this client instead. It speaks only what the
tests need: the HandshakeV10 greeting, HandshakeResponse41 with
mysql_native_password (including an auth switch to it), COM_CHANGE_USER, COM_QUERY with
text result sets, and raw packets or raw bytes for malformed input. It does
no TLS and no compression, and it never retries.
"""

import hashlib
import socket
import struct

MAX_PAYLOAD = 0xFFFFFF

CLIENT_LONG_PASSWORD = 0x00000001
CLIENT_FOUND_ROWS = 0x00000002
CLIENT_LONG_FLAG = 0x00000004
CLIENT_CONNECT_WITH_DB = 0x00000008
CLIENT_PROTOCOL_41 = 0x00000200
CLIENT_SSL = 0x00000800
CLIENT_TRANSACTIONS = 0x00002000
CLIENT_SECURE_CONNECTION = 0x00008000
CLIENT_MULTI_STATEMENTS = 0x00010000
CLIENT_MULTI_RESULTS = 0x00020000
CLIENT_PLUGIN_AUTH = 0x00080000
CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA = 0x00200000
CLIENT_DEPRECATE_EOF = 0x01000000

DEFAULT_CAPABILITIES = (CLIENT_LONG_PASSWORD | CLIENT_LONG_FLAG | CLIENT_PROTOCOL_41
                        | CLIENT_TRANSACTIONS | CLIENT_SECURE_CONNECTION
                        | CLIENT_MULTI_RESULTS | CLIENT_PLUGIN_AUTH)

SERVER_MORE_RESULTS_EXISTS = 0x0008

COM_QUIT = 0x01
COM_CHANGE_USER = 0x11
COM_QUERY = 0x03
COM_PING = 0x0E
COM_STMT_PREPARE = 0x16

UTF8MB4_GENERAL_CI = 45


class ConnectionClosed(Exception):
    """The peer closed the connection (or reset it) before a full packet arrived."""


class ProtocolError(Exception):
    """The peer sent bytes that do not follow the protocol."""


class ServerError(Exception):
    """An ERR packet where the test expected success."""

    def __init__(self, err):
        super().__init__(f"ERR {err.code} ({err.sqlstate}): {err.message}")
        self.err = err


class Err:
    """A parsed ERR packet."""

    def __init__(self, payload):
        if not payload or payload[0] != 0xFF:
            raise ProtocolError(f"not an ERR packet: {payload[:16]!r}")
        self.code = struct.unpack_from("<H", payload, 1)[0]
        rest = payload[3:]
        if rest[:1] == b"#":
            self.sqlstate = rest[1:6].decode("ascii", "replace")
            rest = rest[6:]
        else:
            self.sqlstate = None
        self.message = rest.decode("utf-8", "replace")

    def __repr__(self):
        return f"Err({self.code}, {self.sqlstate!r}, {self.message!r})"


class Packet:
    """One wire packet: its sequence id and its payload (at most 0xFFFFFF bytes)."""

    def __init__(self, seq, payload):
        self.seq = seq
        self.payload = payload

    def __repr__(self):
        head = self.payload[:8].hex()
        return f"Packet(seq={self.seq}, len={len(self.payload)}, head={head})"


class Response:
    """The packets of one command's response and what they mean.

    kind is "ok", "err" or "resultset". packets lists every wire packet in
    arrival order. messages lists (first_seq, payload) for each logical
    message, with payloads larger than 0xFFFFFF bytes joined back together.
    """

    def __init__(self):
        self.kind = None
        self.packets = []
        self.messages = []
        self.columns = []
        self.rows = []
        self.err = None
        self.affected_rows = None
        self.last_insert_id = None
        self.status = None
        self.warnings = None

    def seqs(self):
        return [packet.seq for packet in self.packets]


def scramble_native(password, seed):
    """Return the mysql_native_password auth response for PASSWORD and the 20-byte SEED.

    The formula is SHA1(password) XOR SHA1(seed + SHA1(SHA1(password))).
    """
    if not password:
        return b""
    if isinstance(password, str):
        password = password.encode("utf-8")
    stage1 = hashlib.sha1(password).digest()
    stage2 = hashlib.sha1(stage1).digest()
    mask = hashlib.sha1(seed + stage2).digest()
    return bytes(a ^ b for a, b in zip(stage1, mask))


def scramble_caching_sha2(password, seed):
    """caching_sha2_password's first answer: XOR(SHA256(pw), SHA256(SHA256(SHA256(pw)) + seed))."""
    if not password:
        return b""
    stage1 = hashlib.sha256(password.encode("utf-8")).digest()
    stage2 = hashlib.sha256(stage1).digest()
    mix = hashlib.sha256(stage2 + seed).digest()
    return bytes(a ^ b for a, b in zip(stage1, mix))


def lenenc_int(value):
    """Encode VALUE as a length-encoded integer."""
    if value < 251:
        return bytes([value])
    if value < 1 << 16:
        return b"\xfc" + struct.pack("<H", value)
    if value < 1 << 24:
        return b"\xfd" + struct.pack("<I", value)[:3]
    return b"\xfe" + struct.pack("<Q", value)


def read_lenenc_int(data, pos):
    """Return (value, new_pos); value is None for the NULL marker 0xFB."""
    if pos >= len(data):
        raise ProtocolError("length-encoded integer past the end of the packet")
    first = data[pos]
    if first < 0xFB:
        return first, pos + 1
    if first == 0xFB:
        return None, pos + 1
    if first == 0xFC:
        return struct.unpack_from("<H", data, pos + 1)[0], pos + 3
    if first == 0xFD:
        return int.from_bytes(data[pos + 1:pos + 4], "little"), pos + 4
    if first == 0xFE:
        return struct.unpack_from("<Q", data, pos + 1)[0], pos + 9
    raise ProtocolError(f"invalid length-encoded integer prefix 0xff at {pos}")


def read_lenenc_str(data, pos):
    length, pos = read_lenenc_int(data, pos)
    if length is None:
        return None, pos
    if pos + length > len(data):
        raise ProtocolError("length-encoded string past the end of the packet")
    return bytes(data[pos:pos + length]), pos + length


def is_eof_packet(payload):
    """A classic EOF packet: 0xFE header and shorter than 9 bytes."""
    return len(payload) < 9 and payload[:1] == b"\xfe"


class RawClient:
    """One connection. Every read has a timeout, so a silent peer fails a test instead of hanging it."""

    def __init__(self, host, port, timeout=30.0):
        self.host = host
        self.port = port
        self.timeout = timeout
        self.sock = None
        self.greeting = None
        self.capabilities = 0
        self.next_seq = 0
        self._buf = bytearray()

    # -- transport ---------------------------------------------------------

    def connect(self):
        """Open the TCP connection and parse the server greeting."""
        self.sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        packet = self.read_packet()
        self.greeting = parse_greeting(packet.payload)
        return self.greeting

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send_raw(self, data):
        """Send DATA as is: no header, no sequence id."""
        self.sock.sendall(data)

    def write_packet(self, payload, seq):
        """Send one packet with sequence id SEQ; PAYLOAD must fit in one packet."""
        if len(payload) > MAX_PAYLOAD:
            raise ValueError(f"payload of {len(payload)} bytes does not fit in one packet")
        header = struct.pack("<I", len(payload))[:3] + bytes([seq & 0xFF])
        self.sock.sendall(header + payload)

    def send_message(self, payload, seq=0):
        """Send PAYLOAD split as the protocol requires.

        Every full 0xFFFFFF-byte chunk is followed by another packet, so a
        payload that is an exact multiple of 0xFFFFFF ends with an empty
        packet. Returns the sequence id after the last packet sent.
        """
        view = memoryview(payload)
        while True:
            chunk = view[:MAX_PAYLOAD]
            view = view[MAX_PAYLOAD:]
            header = struct.pack("<I", len(chunk))[:3] + bytes([seq & 0xFF])
            self.sock.sendall(header)
            self.sock.sendall(chunk)
            seq = (seq + 1) & 0xFF
            if len(chunk) < MAX_PAYLOAD:
                return seq

    def _recv_exact(self, count):
        while len(self._buf) < count:
            try:
                data = self.sock.recv(max(65536, count - len(self._buf)))
            except ConnectionResetError as exc:
                raise ConnectionClosed("connection reset by peer") from exc
            if not data:
                raise ConnectionClosed(
                    f"connection closed with {len(self._buf)} of {count} bytes read")
            self._buf += data
        out = bytes(self._buf[:count])
        del self._buf[:count]
        return out

    def read_packet(self):
        """Read one wire packet (not joined with continuation packets)."""
        header = self._recv_exact(4)
        length = int.from_bytes(header[:3], "little")
        seq = header[3]
        payload = self._recv_exact(length)
        return Packet(seq, payload)

    def read_message(self, packets=None):
        """Read one logical message, joining 0xFFFFFF-byte packets with the next ones.

        Returns (first_seq, payload). Each wire packet is appended to PACKETS
        when it is given.
        """
        parts = []
        first_seq = None
        while True:
            packet = self.read_packet()
            if packets is not None:
                packets.append(packet)
            if first_seq is None:
                first_seq = packet.seq
            parts.append(packet.payload)
            self.next_seq = (packet.seq + 1) & 0xFF
            if len(packet.payload) < MAX_PAYLOAD:
                return first_seq, b"".join(parts)

    def is_closed_by_peer(self, wait=5.0):
        """Return True when the peer closes within WAIT seconds without sending anything more."""
        old = self.sock.gettimeout()
        self.sock.settimeout(wait)
        try:
            data = self.sock.recv(1)
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False
        finally:
            self.sock.settimeout(old)
        return data == b""

    # -- authentication ----------------------------------------------------

    def login(self, user, password, database=None, capabilities=DEFAULT_CAPABILITIES,
              charset=UTF8MB4_GENERAL_CI, max_packet=1 << 30, plugin="mysql_native_password"):
        """Send HandshakeResponse41 and read the outcome.

        Returns ("ok", payload) or ("err", Err). CAPABILITIES are sent as
        given, not intersected with the server's, so a test can ask for a
        flag the server did not offer. With PLUGIN "caching_sha2_password"
        the first answer is that plugin's 32-byte scramble, as a MySQL 8
        client sends it; self.auth_switches counts the switches that follow.
        """
        self.auth_switches = 0
        if self.greeting is None:
            self.connect()
        if database is not None:
            capabilities |= CLIENT_CONNECT_WITH_DB
        self.capabilities = capabilities
        if plugin == "caching_sha2_password":
            auth = scramble_caching_sha2(password, self.greeting["seed"])
        else:
            auth = scramble_native(password, self.greeting["seed"])

        body = struct.pack("<IIB", capabilities, max_packet, charset) + b"\x00" * 23
        body += user.encode("utf-8") + b"\x00"
        if capabilities & CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA:
            body += lenenc_int(len(auth)) + auth
        elif capabilities & CLIENT_SECURE_CONNECTION:
            body += bytes([len(auth)]) + auth
        else:
            body += auth + b"\x00"
        if capabilities & CLIENT_CONNECT_WITH_DB:
            body += database.encode("utf-8") + b"\x00"
        if capabilities & CLIENT_PLUGIN_AUTH:
            body += plugin.encode("ascii") + b"\x00"
        self.write_packet(body, 1)
        return self._auth_outcome(password)

    def _auth_outcome(self, password):
        """Read OK or ERR after a login or COM_CHANGE_USER, answering auth switches."""
        while True:
            seq, payload = self.read_message()
            if payload[:1] == b"\x00":
                return "ok", payload
            if payload[:1] == b"\xff":
                return "err", Err(payload)
            if payload[:1] == b"\xfe":
                plugin, _, data = payload[1:].partition(b"\x00")
                if plugin != b"mysql_native_password":
                    raise ProtocolError(f"auth switch to unsupported plugin {plugin!r}")
                seed = data.rstrip(b"\x00")[:20]
                self.auth_switches += 1
                self.write_packet(scramble_native(password, seed), seq + 1)
                continue
            raise ProtocolError(f"unexpected packet during authentication: {payload[:16]!r}")

    def change_user(self, user, password, database="", charset=UTF8MB4_GENERAL_CI,
                    plugin="mysql_native_password"):
        """Send COM_CHANGE_USER and read the outcome, after an auth switch if one comes.

        The auth response uses the greeting's scramble, as libmysqlclient
        does. Returns ("ok", payload) or ("err", Err), like login().
        """
        self.auth_switches = 0
        if plugin == "caching_sha2_password":
            auth = scramble_caching_sha2(password, self.greeting["seed"])
        else:
            auth = scramble_native(password, self.greeting["seed"])
        body = user.encode("utf-8") + b"\x00" + bytes([len(auth)]) + auth
        body += database.encode("utf-8") + b"\x00" + struct.pack("<H", charset)
        if self.capabilities & CLIENT_PLUGIN_AUTH:
            body += plugin.encode("ascii") + b"\x00"
        self.send_command(COM_CHANGE_USER, body)
        return self._auth_outcome(password)

    def login_ok(self, user, password, database=None, capabilities=DEFAULT_CAPABILITIES):
        """login() that raises ServerError on ERR."""
        kind, detail = self.login(user, password, database, capabilities)
        if kind == "err":
            raise ServerError(detail)
        return detail

    # -- commands ----------------------------------------------------------

    def send_command(self, command, body=b""):
        """Send one command (a fresh sequence starting at 0)."""
        self.send_message(bytes([command]) + body, 0)

    def query(self, sql):
        """Send COM_QUERY and read its whole response (all result sets)."""
        if isinstance(sql, str):
            sql = sql.encode("utf-8")
        self.send_command(COM_QUERY, sql)
        return self.read_response()

    def query_ok(self, sql):
        """query() that raises ServerError on ERR."""
        resp = self.query(sql)
        if resp.kind == "err":
            raise ServerError(resp.err)
        return resp

    def read_response(self):
        """Read an OK, an ERR or a text result set, following SERVER_MORE_RESULTS_EXISTS."""
        resp = Response()
        while True:
            more = self._read_one_result(resp)
            if not more:
                return resp

    def _next(self, resp):
        seq, payload = self.read_message(resp.packets)
        resp.messages.append((seq, payload))
        return payload

    def _read_one_result(self, resp):
        payload = self._next(resp)
        head = payload[:1]
        if head == b"\xff":
            resp.kind = "err"
            resp.err = Err(payload)
            return False
        if head == b"\x00":
            resp.kind = "ok"
            self._parse_ok(resp, payload)
            return bool(resp.status & SERVER_MORE_RESULTS_EXISTS)
        if head == b"\xfb":
            raise ProtocolError("LOCAL INFILE requests are not supported by this client")

        resp.kind = "resultset"
        ncolumns, _ = read_lenenc_int(payload, 0)
        for _ in range(ncolumns):
            resp.columns.append(parse_column(self._next(resp)))
        deprecate_eof = bool(self.capabilities & CLIENT_DEPRECATE_EOF)
        if not deprecate_eof:
            payload = self._next(resp)
            if not is_eof_packet(payload):
                raise ProtocolError(f"expected EOF after column definitions, got {payload[:16]!r}")

        while True:
            payload = self._next(resp)
            if payload[:1] == b"\xff":
                resp.kind = "err"
                resp.err = Err(payload)
                return False
            if deprecate_eof and payload[:1] == b"\xfe" and len(payload) < MAX_PAYLOAD:
                self._parse_ok(resp, payload)
                return bool(resp.status & SERVER_MORE_RESULTS_EXISTS)
            if not deprecate_eof and is_eof_packet(payload):
                resp.warnings, resp.status = struct.unpack_from("<HH", payload, 1)
                return bool(resp.status & SERVER_MORE_RESULTS_EXISTS)
            resp.rows.append(parse_text_row(payload, ncolumns))

    @staticmethod
    def _parse_ok(resp, payload):
        pos = 1
        resp.affected_rows, pos = read_lenenc_int(payload, pos)
        resp.last_insert_id, pos = read_lenenc_int(payload, pos)
        resp.status, resp.warnings = struct.unpack_from("<HH", payload, pos)


def parse_greeting(payload):
    """Parse a HandshakeV10 greeting (or raise with the ERR it carries instead)."""
    if payload[:1] == b"\xff":
        raise ServerError(Err(payload))
    if payload[:1] != b"\x0a":
        raise ProtocolError(f"unexpected greeting protocol version {payload[:1]!r}")

    pos = 1
    end = payload.index(b"\x00", pos)
    server_version = payload[pos:end].decode("utf-8", "replace")
    pos = end + 1
    connection_id = struct.unpack_from("<I", payload, pos)[0]
    pos += 4
    seed = payload[pos:pos + 8]
    pos += 9  # the first 8 seed bytes and a filler byte

    caps_low = struct.unpack_from("<H", payload, pos)[0]
    charset = payload[pos + 2]
    status = struct.unpack_from("<H", payload, pos + 3)[0]
    caps_high = struct.unpack_from("<H", payload, pos + 5)[0]
    auth_data_len = payload[pos + 7]
    pos += 8 + 10  # 10 reserved bytes (MariaDB keeps extended capabilities there)
    capabilities = caps_low | (caps_high << 16)

    plugin = None
    if capabilities & CLIENT_SECURE_CONNECTION:
        rest_len = max(13, auth_data_len - 8)
        seed += payload[pos:pos + rest_len].rstrip(b"\x00")
        pos += rest_len
    if capabilities & CLIENT_PLUGIN_AUTH:
        plugin = payload[pos:].split(b"\x00", 1)[0].decode("ascii", "replace")
    return {
        "server_version": server_version,
        "connection_id": connection_id,
        "seed": seed[:20],
        "capabilities": capabilities,
        "charset": charset,
        "status": status,
        "auth_plugin": plugin,
    }


def parse_column(payload):
    """Return the column name of a ColumnDefinition41 packet."""
    pos = 0
    fields = []
    for _ in range(6):  # catalog, schema, table, org_table, name, org_name
        value, pos = read_lenenc_str(payload, pos)
        fields.append(value)
    return fields[4].decode("utf-8", "replace")


def parse_text_row(payload, ncolumns):
    """Return the values of a text row as bytes (None for SQL NULL)."""
    pos = 0
    values = []
    for _ in range(ncolumns):
        value, pos = read_lenenc_str(payload, pos)
        values.append(value)
    if pos != len(payload):
        raise ProtocolError(f"text row has {len(payload) - pos} trailing bytes")
    return values
