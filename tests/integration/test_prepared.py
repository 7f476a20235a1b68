"""Prepared statements (binary protocol) through the proxy, spoken byte by byte.

PyMySQL has no server-side prepared statements, so these tests build the
COM_STMT_* packets themselves with rawclient and decode the binary rows.
They check the answers against rows written with PyMySQL, the statement
ids the proxy gives, sticky parameter types, long data, RESET, FETCH and
CLOSE, the error codes of a server for unknown statements and malformed
packets, and that each statement lands on the shard its key hashes to.
"""

import decimal
import struct
import unittest

import pymysql

import rawclient
import sptest
from rawclient import Err

T_LONG = 3
T_DOUBLE = 5
T_LONGLONG = 8
T_NEWDECIMAL = 246
T_VAR_STRING = 253
T_STRING = 254

ER_UNKNOWN_STMT_HANDLER = 1243
ER_STMT_HAS_NO_OPEN_CURSOR = 1421
ER_MALFORMED_PACKET = 1835
ER_WRONG_ARGUMENTS = 1210
ER_NO_SUCH_TABLE = 1146

COM_STMT_EXECUTE = 0x17
COM_STMT_SEND_LONG_DATA = 0x18
COM_STMT_CLOSE = 0x19
COM_STMT_RESET = 0x1A
COM_STMT_FETCH = 0x1C

TABLE = "sbtest_ps"


def column_type(payload):
    """Return the type byte of a ColumnDefinition41 packet."""
    pos = 0
    for _ in range(6):
        _, pos = rawclient.read_lenenc_str(payload, pos)
    pos += 1  # length of the fixed fields
    return payload[pos + 6]


def encode_param(param_type, value):
    if value is None:
        return b""
    if param_type == T_LONGLONG:
        return struct.pack("<q", value)
    if param_type == T_DOUBLE:
        return struct.pack("<d", value)
    data = value.encode("utf-8") if isinstance(value, str) else value
    return rawclient.lenenc_int(len(data)) + data


def decode_value(column_type_code, payload, pos):
    if column_type_code == T_LONGLONG:
        return struct.unpack_from("<q", payload, pos)[0], pos + 8
    if column_type_code == T_LONG:
        return struct.unpack_from("<i", payload, pos)[0], pos + 4
    if column_type_code == T_DOUBLE:
        return struct.unpack_from("<d", payload, pos)[0], pos + 8
    value, pos = rawclient.read_lenenc_str(payload, pos)
    return value.decode("utf-8"), pos


def decode_binary_row(payload, types):
    assert payload[0] == 0, f"binary row header {payload[0]:#x}"
    bitmap_len = (len(types) + 7 + 2) // 8
    bitmap = payload[1:1 + bitmap_len]
    pos = 1 + bitmap_len
    row = []
    for i, code in enumerate(types):
        bit = i + 2
        if bitmap[bit // 8] & (1 << (bit % 8)):
            row.append(None)
            continue
        value, pos = decode_value(code, payload, pos)
        row.append(value)
    assert pos == len(payload), f"{len(payload) - pos} bytes after the last value"
    return row


class PreparedClient:
    """A raw connection that prepares, executes and reads binary results."""

    def __init__(self, test):
        self.client = rawclient.RawClient(sptest.HOST, sptest.PROXY_PORT)
        test.addCleanup(self.client.close)
        self.client.login_ok(sptest.USER, sptest.PASSWORD, sptest.DATABASE)

    def prepare(self, sql):
        """Return (id, parameter count, column count), or an Err."""
        self.client.send_command(rawclient.COM_STMT_PREPARE, sql.encode("utf-8"))
        _, payload = self.client.read_message()
        if payload[:1] == b"\xff":
            return Err(payload)
        stmt_id, columns, params = struct.unpack_from("<IHH", payload, 1)
        for count in (params, columns):
            for _ in range(count):
                self.client.read_message()
            if count:
                _, eof = self.client.read_message()
                assert rawclient.is_eof_packet(eof), eof[:8]
        return stmt_id, params, columns

    def send_execute(self, stmt_id, params, send_types=True, flags=0):
        body = struct.pack("<IBI", stmt_id, flags, 1)
        if params:
            bitmap = bytearray((len(params) + 7) // 8)
            for i, (_, value) in enumerate(params):
                if value is None:
                    bitmap[i // 8] |= 1 << (i % 8)
            body += bytes(bitmap) + bytes([1 if send_types else 0])
            if send_types:
                body += b"".join(struct.pack("<BB", t, 0) for t, _ in params)
            body += b"".join(encode_param(t, v) for t, v in params)
        self.client.send_command(COM_STMT_EXECUTE, body)

    def read_result(self):
        """Return ("ok", affected rows), ("err", Err) or ("rows", rows)."""
        _, payload = self.client.read_message()
        if payload[:1] == b"\xff":
            return "err", Err(payload)
        if payload[:1] == b"\x00":
            affected, _ = rawclient.read_lenenc_int(payload, 1)
            return "ok", affected
        ncolumns, _ = rawclient.read_lenenc_int(payload, 0)
        definitions = [self.client.read_message()[1] for _ in range(ncolumns)]
        types = [column_type(definition) for definition in definitions]
        self.names = [rawclient.parse_column(definition) for definition in definitions]
        _, eof = self.client.read_message()
        assert rawclient.is_eof_packet(eof)
        rows = []
        while True:
            _, payload = self.client.read_message()
            if rawclient.is_eof_packet(payload):
                return "rows", rows
            if payload[:1] == b"\xff":
                return "err", Err(payload)
            rows.append(decode_binary_row(payload, types))

    def execute(self, stmt_id, params, send_types=True):
        self.send_execute(stmt_id, params, send_types)
        return self.read_result()

    def open_cursor(self, stmt_id, params):
        """Execute with CURSOR_TYPE_READ_ONLY; return (column types, status of the final EOF)."""
        self.send_execute(stmt_id, params, flags=1)
        _, payload = self.client.read_message()
        if payload[:1] == b"\xff":
            raise rawclient.ServerError(Err(payload))
        ncolumns, _ = rawclient.read_lenenc_int(payload, 0)
        types = [column_type(self.client.read_message()[1]) for _ in range(ncolumns)]
        _, eof = self.client.read_message()
        assert rawclient.is_eof_packet(eof), eof[:8]
        return types, struct.unpack_from("<H", eof, 3)[0]

    def fetch(self, stmt_id, count, types):
        """COM_STMT_FETCH; return (rows, EOF status) or an Err."""
        self.client.send_command(COM_STMT_FETCH, struct.pack("<II", stmt_id, count))
        rows = []
        while True:
            _, payload = self.client.read_message()
            if payload[:1] == b"\xff":
                return Err(payload)
            if rawclient.is_eof_packet(payload):
                return rows, struct.unpack_from("<H", payload, 3)[0]
            rows.append(decode_binary_row(payload, types))


class PreparedStatementTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        with sptest.connect_proxy() as conn:
            sptest.execute(conn, f"DROP TABLE IF EXISTS {TABLE}")
            sptest.execute(conn, f"CREATE TABLE {TABLE} (id INT NOT NULL PRIMARY KEY, k INT NOT NULL,"
                                 " c VARCHAR(40) NOT NULL, price DECIMAL(10,2) NULL)")
            sptest.execute(conn, f"INSERT INTO {TABLE} (id, k, c, price) VALUES " +
                           ", ".join(f"({i}, {i % 7}, 'row-{i}', {i}.25)" for i in range(1, 41)))

    @classmethod
    def tearDownClass(cls):
        with sptest.connect_proxy() as conn:
            sptest.execute(conn, f"DROP TABLE IF EXISTS {TABLE}")

    def tearDown(self):
        self.assertTrue(sptest.proxy_is_alive(), f"proxy died; see {sptest.PROXY_LOG}")

    def test_point_select_and_sticky_types(self):
        ps = PreparedClient(self)
        stmt_id, params, columns = ps.prepare(f"SELECT id, c, price FROM {TABLE} WHERE id = ?")
        self.assertEqual((params, columns), (1, 3))
        self.assertEqual(ps.execute(stmt_id, [(T_LONGLONG, 7)]),
                         ("rows", [[7, "row-7", "7.25"]]))
        # A later execute may leave the types out: the first execute bound them.
        self.assertEqual(ps.execute(stmt_id, [(T_LONGLONG, 12)], send_types=False),
                         ("rows", [[12, "row-12", "12.25"]]))
        self.assertEqual(ps.execute(stmt_id, [(T_LONGLONG, 999)]), ("rows", []))

    def test_scatter_merge_and_string_parameters(self):
        ps = PreparedClient(self)
        stmt_id, _, _ = ps.prepare(f"SELECT COUNT(*), SUM(price) FROM {TABLE} WHERE id BETWEEN ? AND ?")
        self.assertEqual(ps.execute(stmt_id, [(T_LONGLONG, 1), (T_LONGLONG, 10)]),
                         ("rows", [[10, "57.50"]]))
        stmt_id, _, _ = ps.prepare(f"SELECT id FROM {TABLE} WHERE c IN (?, ?) ORDER BY id DESC")
        self.assertEqual(ps.execute(stmt_id, [(T_STRING, "row-3"), (T_VAR_STRING, "row-33")]),
                         ("rows", [[33], [3]]))
        # Quotes and backslashes in a value are data, not SQL.
        stmt_id, _, _ = ps.prepare("SELECT ? AS v")
        tricky = "it's a \\ 'quoted' \"value\" \\' --"
        self.assertEqual(ps.execute(stmt_id, [(T_STRING, tricky)]), ("rows", [[tricky]]))
        self.assertEqual(ps.execute(stmt_id, [(T_STRING, None)]), ("rows", [[None]]))

    def test_insert_lands_on_the_hashed_shard(self):
        ps = PreparedClient(self)
        stmt_id, params, _ = ps.prepare(f"INSERT INTO {TABLE} (id, k, c) VALUES (?, ?, ?), (?, ?, ?)")
        self.assertEqual(params, 6)
        ids = [1001, 1002]
        result = ps.execute(stmt_id, [(T_LONGLONG, ids[0]), (T_LONGLONG, 1), (T_STRING, "a"),
                                      (T_LONGLONG, ids[1]), (T_LONGLONG, 2), (T_STRING, "b")])
        self.assertEqual(result, ("ok", 2))
        try:
            for key in ids:
                shard = sptest.shard_of_int(key)
                with sptest.connect_shard(shard) as conn:
                    self.assertEqual(sptest.query_all(conn, f"SELECT id FROM {TABLE} WHERE id = {key}"),
                                     [(key,)], f"id {key} not on shard {shard}")
        finally:
            with sptest.connect_proxy() as conn:
                sptest.execute(conn, f"DELETE FROM {TABLE} WHERE id IN (1001, 1002)")

    def test_long_data_reset_and_fetch(self):
        ps = PreparedClient(self)
        stmt_id, _, _ = ps.prepare(f"SELECT id FROM {TABLE} WHERE c = ?")
        # The value arrives in two COM_STMT_SEND_LONG_DATA pieces, which get no reply.
        for piece in (b"row-", b"21"):
            ps.client.send_command(COM_STMT_SEND_LONG_DATA, struct.pack("<IH", stmt_id, 0) + piece)
        # A parameter with long data has no bytes in the execute packet.
        ps.client.send_command(COM_STMT_EXECUTE, struct.pack("<IBIBBBB", stmt_id, 0, 1, 0, 1,
                                                             T_STRING, 0))
        self.assertEqual(ps.read_result(), ("rows", [[21]]))
        # The data is used once: the next execute binds its own value.
        self.assertEqual(ps.execute(stmt_id, [(T_STRING, "row-22")]), ("rows", [[22]]))

        # On one shard the statement runs there, with the long data sent inline.
        point, _, _ = ps.prepare(f"SELECT id FROM {TABLE} WHERE id = ? AND c = ?")
        ps.client.send_command(COM_STMT_SEND_LONG_DATA, struct.pack("<IH", point, 1) + b"row-17")
        ps.client.send_command(COM_STMT_EXECUTE, struct.pack("<IBIBB", point, 0, 1, 0, 1) +
                               struct.pack("<BBBB", T_LONGLONG, 0, T_STRING, 0) +
                               struct.pack("<q", 17))
        self.assertEqual(ps.read_result(), ("rows", [[17]]))

        ps.client.send_command(COM_STMT_RESET, struct.pack("<I", stmt_id))
        _, payload = ps.client.read_message()
        self.assertEqual(payload[:1], b"\x00", payload[:16])
        ps.client.send_command(COM_STMT_FETCH, struct.pack("<II", stmt_id, 10))
        _, payload = ps.client.read_message()
        self.assertEqual(Err(payload).code, ER_STMT_HAS_NO_OPEN_CURSOR)

    def test_unknown_closed_and_malformed(self):
        ps = PreparedClient(self)
        self.assertEqual(ps.execute(4242, [])[1].code, ER_UNKNOWN_STMT_HANDLER)
        stmt_id, _, _ = ps.prepare("SELECT 1")
        self.assertEqual(ps.execute(stmt_id, []), ("rows", [[1]]))
        ps.client.send_command(COM_STMT_CLOSE, struct.pack("<I", stmt_id))
        self.assertEqual(ps.execute(stmt_id, [])[1].code, ER_UNKNOWN_STMT_HANDLER)

        stmt_id, _, _ = ps.prepare(f"SELECT c FROM {TABLE} WHERE id = ?")
        # Cut in the middle of the parameter types, then types never bound.
        ps.client.send_command(COM_STMT_EXECUTE, struct.pack("<IBI", stmt_id, 0, 1) + b"\x00\x01\x08")
        self.assertEqual(ps.read_result()[1].code, ER_MALFORMED_PACKET)
        # Types never bound: the server calls that incorrect arguments.
        ps.send_execute(stmt_id, [(T_LONGLONG, 5)], send_types=False)
        self.assertEqual(ps.read_result()[1].code, ER_WRONG_ARGUMENTS)
        # The session still works.
        self.assertEqual(ps.execute(stmt_id, [(T_LONGLONG, 5)]), ("rows", [["row-5"]]))

    def test_numbers_bound_as_double(self):
        """Drivers such as Node's mysql2 bind every number as DOUBLE."""
        ps = PreparedClient(self)
        executes = sum(self.shard_status("Com_stmt_execute"))
        point, _, _ = ps.prepare(f"SELECT c FROM {TABLE} WHERE id = ?")
        self.assertEqual(ps.execute(point, [(T_DOUBLE, 11.0)]), ("rows", [["row-11"]]))
        # 11e0 names one row, so one shard ran the statement itself.
        self.assertEqual(sum(self.shard_status("Com_stmt_execute")) - executes, 1)
        insert, _, _ = ps.prepare(f"INSERT INTO {TABLE} (id, k, c) VALUES (?, ?, ?)")
        try:
            self.assertEqual(ps.execute(insert, [(T_DOUBLE, 2001.0), (T_DOUBLE, 1.0),
                                                 (T_STRING, "d")]), ("ok", 1))
            with sptest.connect_shard(sptest.shard_of_int(2001)) as conn:
                self.assertEqual(sptest.query_all(conn, f"SELECT c FROM {TABLE} WHERE id = 2001"),
                                 [("d",)])
        finally:
            with sptest.connect_proxy() as conn:
                sptest.execute(conn, f"DELETE FROM {TABLE} WHERE id = 2001")
        # LIMIT counts bound as DOUBLE or as strings, over both shards.
        page, _, _ = ps.prepare(f"SELECT id FROM {TABLE} WHERE id > ? ORDER BY id LIMIT ?, ?")
        self.assertEqual(ps.execute(page, [(T_DOUBLE, 30.0), (T_DOUBLE, 1.0), (T_STRING, "2")]),
                         ("rows", [[32], [33]]))
        rounded, _, _ = ps.prepare(f"SELECT ROUND(AVG(price), ?) FROM {TABLE} WHERE id <= ?")
        self.assertEqual(ps.execute(rounded, [(T_DOUBLE, 1.0), (T_DOUBLE, 4.0)]),
                         ("rows", [["2.8"]]))

    def test_column_names_keep_their_markers(self):
        ps = PreparedClient(self)
        # Over both shards the statement runs as text with values in it; names stay as written.
        stmt_id, _, _ = ps.prepare(f"SELECT SUM(k) + ?, COUNT(*) AS n, ? FROM {TABLE} WHERE id <= ?")
        self.assertEqual(ps.execute(stmt_id, [(T_LONGLONG, 1000), (T_STRING, "x"), (T_LONGLONG, 3)]),
                         ("rows", [["1006", 3, "x"]]))
        self.assertEqual(ps.names, ["SUM(k) + ?", "n", "?"])

    def test_prepare_without_eof_for_deprecate_eof_clients(self):
        client = rawclient.RawClient(sptest.HOST, sptest.PROXY_PORT)
        self.addCleanup(client.close)
        client.login_ok(sptest.USER, sptest.PASSWORD, sptest.DATABASE,
                        rawclient.DEFAULT_CAPABILITIES | rawclient.CLIENT_DEPRECATE_EOF)
        client.send_command(rawclient.COM_STMT_PREPARE, f"SELECT c FROM {TABLE} WHERE id = ?".encode())
        _, payload = client.read_message()
        self.assertEqual(struct.unpack_from("<HH", payload, 5), (1, 1))
        for _ in range(2):
            _, definition = client.read_message()
            self.assertFalse(rawclient.is_eof_packet(definition))
        # Nothing else follows: the next reply is the one to COM_PING.
        client.send_command(rawclient.COM_PING)
        _, payload = client.read_message()
        self.assertEqual(payload[:1], b"\x00", payload[:16])

    def test_prepare_error_comes_from_the_shard(self):
        ps = PreparedClient(self)
        err = ps.prepare("SELECT * FROM no_such_table_here WHERE id = ?")
        self.assertIsInstance(err, Err)
        self.assertEqual(err.code, ER_NO_SUCH_TABLE)
        err = ps.prepare("SELEC nonsense ?")
        self.assertEqual(err.code, 1064)

    def shard_status(self, name):
        """Return the global status counter NAME of each shard."""
        values = []
        for index in range(len(sptest.SHARD_PORTS)):
            with sptest.connect_shard(index) as conn:
                rows = sptest.query_all(conn, f"SHOW GLOBAL STATUS LIKE '{name}'")
                values.append(int(rows[0][1]))
        return values

    def test_shards_run_statements_and_close_them_after(self):
        baseline = self.shard_status("Prepared_stmt_count")
        executes = sum(self.shard_status("Com_stmt_execute"))
        ps = PreparedClient(self)
        count = 150  # over 64 per shard, so connections evict and close statements
        for n in range(count):
            stmt_id, _, _ = ps.prepare(f"SELECT c FROM {TABLE} WHERE id = ? /* statement {n} */")
            key = n % 40 + 1
            self.assertEqual(ps.execute(stmt_id, [(T_LONGLONG, key)]), ("rows", [[f"row-{key}"]]))
        # Each execute ran as a prepared statement on the shard that holds the row.
        self.assertGreaterEqual(sum(self.shard_status("Com_stmt_execute")) - executes, count)
        # A backend connection keeps at most 64 statements; one client used one per shard here.
        connections = self.shard_status("Threads_connected")
        for shard, (now, before) in enumerate(zip(self.shard_status("Prepared_stmt_count"), baseline)):
            self.assertLessEqual(now - before, 64 * connections[shard], f"shard {shard}")
        ps.client.close()
        self.assertTrue(sptest.wait_until(
            lambda: self.shard_status("Prepared_stmt_count") == baseline, timeout=10),
            f"prepared statements left on the shards: {self.shard_status('Prepared_stmt_count')}"
            f" instead of {baseline}")

    def test_statement_survives_a_lost_backend_connection(self):
        ps = PreparedClient(self)
        stmt_id, _, _ = ps.prepare(f"SELECT c FROM {TABLE} WHERE id = ?")
        key = 9
        self.assertEqual(ps.execute(stmt_id, [(T_LONGLONG, key)]), ("rows", [[f"row-{key}"]]))
        # Every idle connection of the proxy to the row's shard goes away, statements and all.
        with sptest.connect_shard(sptest.shard_of_int(key)) as admin:
            threads = [row[0] for row in sptest.query_all(
                admin, "SELECT id FROM information_schema.processlist"
                       " WHERE user = %s AND command = 'Sleep' AND id <> CONNECTION_ID()",
                (sptest.USER,))]
            self.assertTrue(threads, "no idle backend connection to kill")
            for thread_id in threads:
                try:
                    sptest.execute(admin, f"KILL {thread_id}")
                except pymysql.MySQLError as exc:
                    if sptest.mysql_error_code(exc) != 1094:  # it ended by itself meanwhile
                        raise
        # The next execute prepares again on a new connection.
        self.assertEqual(ps.execute(stmt_id, [(T_LONGLONG, key)]), ("rows", [[f"row-{key}"]]))
        self.assertEqual(ps.execute(stmt_id, [(T_LONGLONG, key + 1)]),
                         ("rows", [[f"row-{key + 1}"]]))

    def test_cursor_on_one_shard(self):
        cursor_exists, last_row_sent = 0x40, 0x80
        with sptest.connect_proxy() as conn:
            # A table no config entry shards lives on the default shard alone.
            sptest.execute(conn, "DROP TABLE IF EXISTS ps_plain")
            sptest.execute(conn, "CREATE TABLE ps_plain (id INT PRIMARY KEY, v VARCHAR(10))")
            sptest.execute(conn, "INSERT INTO ps_plain VALUES " +
                           ", ".join(f"({i}, 'v{i}')" for i in range(1, 6)))
        self.addCleanup(lambda: sptest.execute(sptest.connect_proxy(), "DROP TABLE IF EXISTS ps_plain"))
        ps = PreparedClient(self)
        stmt_id, _, _ = ps.prepare("SELECT id, v FROM ps_plain WHERE id >= ? ORDER BY id")
        types, status = ps.open_cursor(stmt_id, [(T_LONGLONG, 2)])
        self.assertTrue(status & cursor_exists, hex(status))
        rows, status = ps.fetch(stmt_id, 2, types)
        self.assertEqual(rows, [[2, "v2"], [3, "v3"]])
        self.assertFalse(status & last_row_sent, hex(status))
        # Other statements may run while the cursor is open.
        other, _, _ = ps.prepare("SELECT COUNT(*) FROM ps_plain")
        self.assertEqual(ps.execute(other, []), ("rows", [[5]]))
        rows, status = ps.fetch(stmt_id, 10, types)
        self.assertEqual(rows, [[4, "v4"], [5, "v5"]])
        self.assertTrue(status & last_row_sent, hex(status))
        self.assertEqual(ps.fetch(stmt_id, 1, types).code, ER_STMT_HAS_NO_OPEN_CURSOR)

        # A cursor ends when its statement is closed; the session goes on.
        types, status = ps.open_cursor(stmt_id, [(T_LONGLONG, 1)])
        self.assertEqual(ps.fetch(stmt_id, 1, types)[0], [[1, "v1"]])
        ps.client.send_command(COM_STMT_CLOSE, struct.pack("<I", stmt_id))
        self.assertEqual(ps.execute(other, []), ("rows", [[5]]))

    def test_cursor_over_shards_returns_rows_at_once(self):
        ps = PreparedClient(self)
        stmt_id, _, _ = ps.prepare(f"SELECT id FROM {TABLE} WHERE id <= ? ORDER BY id")
        # Rows from both shards: no cursor is opened, the rows follow the definitions.
        ps.send_execute(stmt_id, [(T_LONGLONG, 3)], flags=1)
        self.assertEqual(ps.read_result(), ("rows", [[1], [2], [3]]))

    def test_ids_are_per_session_and_reused_statements_stay_apart(self):
        first, second = PreparedClient(self), PreparedClient(self)
        a, _, _ = first.prepare(f"SELECT c FROM {TABLE} WHERE id = ?")
        b, _, _ = second.prepare(f"SELECT k FROM {TABLE} WHERE id = ?")
        self.assertEqual(first.execute(a, [(T_LONGLONG, 2)]), ("rows", [["row-2"]]))
        self.assertEqual(second.execute(b, [(T_LONGLONG, 2)]), ("rows", [[2]]))
        # The other session's id means nothing here.
        if a != b:
            self.assertEqual(first.execute(b, [(T_LONGLONG, 2)])[1].code, ER_UNKNOWN_STMT_HANDLER)


if __name__ == "__main__":
    unittest.main()


class SqlPreparedStatementTest(unittest.TestCase):
    """PREPARE, EXECUTE ... USING @v and DEALLOCATE PREPARE in SQL, routed like the statement."""

    @classmethod
    def setUpClass(cls):
        PreparedStatementTest.setUpClass()

    @classmethod
    def tearDownClass(cls):
        PreparedStatementTest.tearDownClass()

    def test_execute_routes_with_the_variables(self):
        with sptest.connect_proxy() as conn:
            sptest.execute(conn, f"PREPARE point FROM 'SELECT c FROM {TABLE} WHERE id = ?'")
            # Rows on both shards: each EXECUTE goes where its key hashes.
            for key in (3, 7, 12, 21, 33):
                sptest.execute(conn, f"SET @i = {key}")
                self.assertEqual(sptest.query_all(conn, "EXECUTE point USING @i"),
                                 [(f"row-{key}",)])
            sptest.execute(conn, "PREPARE total FROM "
                                 f"'SELECT COUNT(*), SUM(price) FROM {TABLE} WHERE id BETWEEN ? AND ?'")
            sptest.execute(conn, "SET @lo = 1, @hi := 10")
            self.assertEqual(sptest.query_all(conn, "EXECUTE total USING @lo, @hi"),
                             [(10, decimal.Decimal("57.50"))])
            sptest.execute(conn, "SET @c = 'row-3'")
            sptest.execute(conn, f"PREPARE by_c FROM \"SELECT id FROM {TABLE} WHERE c = ?\"")
            self.assertEqual(sptest.query_all(conn, "EXECUTE by_c USING @c"), [(3,)])
            sptest.execute(conn, "SET @c = _utf8mb4'row-4'")
            self.assertEqual(sptest.query_all(conn, "EXECUTE by_c USING @c"), [(4,)])
            sptest.execute(conn, "SET @i := 6")
            self.assertEqual(sptest.query_all(conn, "EXECUTE point USING @i"), [("row-6",)])
            # A variable never set is NULL.
            self.assertEqual(sptest.query_all(conn, "EXECUTE point USING @never_set_here"), [])
            sptest.execute(conn, "DEALLOCATE PREPARE point")
            sptest.execute(conn, "DROP PREPARE total")

    def test_errors(self):
        with sptest.connect_proxy() as conn:
            sptest.execute(conn, f"PREPARE point FROM 'SELECT c FROM {TABLE} WHERE id = ?'")
            self.assertEqual(self.error(conn, "EXECUTE point"), 1210)
            self.assertEqual(self.error(conn, "EXECUTE nothing_here USING @i"), ER_UNKNOWN_STMT_HANDLER)
            self.assertEqual(self.error(conn, "DEALLOCATE PREPARE nothing_here"), ER_UNKNOWN_STMT_HANDLER)
            # Values the proxy cannot know are refused, never guessed.
            sptest.execute(conn, "SET @now = NOW()")
            self.assertEqual(self.error(conn, "EXECUTE point USING @now"), sptest.ER_NOT_SUPPORTED_YET)
            sptest.query_all(conn, "SELECT 5 INTO @five")
            self.assertEqual(self.error(conn, "EXECUTE point USING @five"), sptest.ER_NOT_SUPPORTED_YET)
            self.assertEqual(self.error(conn, "PREPARE p2 FROM @text"), sptest.ER_NOT_SUPPORTED_YET)
            sptest.execute(conn, "SET @five = 5")
            self.assertEqual(sptest.query_all(conn, "EXECUTE point USING @five"), [("row-5",)])

    def error(self, conn, sql):
        with self.assertRaises(pymysql.MySQLError) as ctx:
            sptest.query_all(conn, sql)
        return sptest.mysql_error_code(ctx.exception)
