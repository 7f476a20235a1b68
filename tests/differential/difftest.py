#!/usr/bin/env python3
"""Differential test driver: compare the proxy's results with one MariaDB server's.

run.sh starts the servers and the proxy and calls the subcommands below. Each
subcommand does one step and exits. The steps that talk to MariaDB use PyMySQL
with no type conversions (conv={}, use_unicode=False), so every value is
compared as the bytes of the text protocol: DECIMAL 25.0000 stays '25.0000'.

Subcommands:
  layouts                     print the layout names, in the default order
  config LAYOUT ...           write the proxy config of LAYOUT
  load-reference ...          run dataset.sql on the reference server
  run LAYOUT ...              load dataset.sql through the proxy, check where
                              the rows landed, compare every corpus case and
                              write the results as JSON; with --ps-client, run
                              the cases again as prepared statements
  check-corpus ...            compare the reference with a copy that stores its
                              rows in another order, to find cases whose result
                              one server does not define; with --ps-client,
                              also check the prepared-statement client on the
                              reference itself
  skip LAYOUT ...             write results that fail every case of LAYOUT
  drop ...                    drop the dataset's tables on the shards directly
  summary RESULTS...          print the totals; exit 1 if anything failed

A corpus case is one line of corpus/*.sql. It may start with markers:
  @ordered      compare rows in order (the ORDER BY must make the order total)
  @count-only   compare only the row count and the column metadata
  @layouts A,B  run only in these layouts

The prepared-statement pass (prepared.py) runs each case through ps_client
with its literals bound as parameters and compares the binary result with
the reference's text result of the original query.
"""

import argparse
import bisect
import collections
import json
import os
import re
import struct
import sys
import time

import pymysql
import xxhash

import prepared

HERE = os.path.dirname(os.path.abspath(__file__))
DATASET = os.path.join(HERE, "dataset.sql")
CORPUS_DIR = os.path.join(HERE, "corpus")

HOST = "127.0.0.1"
USER = "app"
PASSWORD = "app-pass"
DATABASE = "sbtest"

ER_NOT_SUPPORTED_YET = 1235
BINARY_CHARSET = 63
# VARCHAR, the BLOB types, VAR_STRING and STRING. On these types, charset 63 marks bytes, not text.
STRING_TYPES = {15, 249, 250, 251, 252, 253, 254}
# Client-side codes after which the connection cannot run another query.
CONNECTION_LOST_CODES = {2006, 2013, 2014, 2055}

# The tables of dataset.sql. Sharded tables give the shard key and its type.
SHARDED_TABLES = {
    "orders": ("id", "int"),
    "customers": ("id", "int"),
    "events": ("id", "int"),
    "sbtest1": ("id", "int"),
    "items_by_code": ("code", "string"),
}
# Unsharded tables live on the default shard. The value is the primary key column.
UNSHARDED_TABLES = {"countries": "code"}
ALL_TABLES = list(SHARDED_TABLES) + list(UNSHARDED_TABLES)

# Layouts. "ranges" lists (shard, below) pairs per range-sharded table, where
# below is exclusive and None marks the last, unbounded range. Tables not
# listed there use hash sharding. items_by_code has a string key, so it is
# hashed in every layout because range sharding takes integer keys only.
# NOTE: the range entries use the planned config syntax ("algorithm":
# "range", "ranges": [{"shard", "below"}...]), which no proxy build has
# accepted yet, so the range layouts have never run their cases.
LAYOUTS = {
    "hash-2": {"shards": 2, "ranges": {}},
    "hash-3": {"shards": 3, "ranges": {}},
    "range-2": {
        "shards": 2,
        "ranges": {
            "orders": [("s0", 200), ("s1", None)],
            "customers": [("s0", 100), ("s1", None)],
            "events": [("s0", 1000150), ("s1", None)],
            "sbtest1": [("s0", 250), ("s1", None)],
        },
    },
    # Every shard gets all rows of some table and none of another: customers
    # has no ids below 0 (s0 empty), events none in 21..999999 (s1 empty),
    # sbtest1 none from 100000 up (s2 empty).
    "range-3": {
        "shards": 3,
        "ranges": {
            "orders": [("s0", 0), ("s1", 200), ("s2", None)],
            "customers": [("s0", 0), ("s1", 10000), ("s2", None)],
            "events": [("s0", 100), ("s1", 1000000), ("s2", None)],
            "sbtest1": [("s0", 250), ("s1", 100000), ("s2", None)],
        },
    },
}
DEFAULT_SHARD = "s0"

TYPE_NAMES = {
    0: "DECIMAL", 1: "TINY", 2: "SHORT", 3: "LONG", 4: "FLOAT", 5: "DOUBLE", 6: "NULL",
    7: "TIMESTAMP", 8: "LONGLONG", 9: "INT24", 10: "DATE", 11: "TIME", 12: "DATETIME",
    13: "YEAR", 15: "VARCHAR", 16: "BIT", 245: "JSON", 246: "NEWDECIMAL", 247: "ENUM",
    248: "SET", 249: "TINY_BLOB", 250: "MEDIUM_BLOB", 251: "LONG_BLOB", 252: "BLOB",
    253: "VAR_STRING", 254: "STRING", 255: "GEOMETRY",
}

MAX_DIFF_ROWS = 10
# Labels of the results that check the harness, not the proxy. Their passes stay out of the total.
HARNESS_LABELS = ("corpus-check", "corpus-check/ps")
# Cases in a row whose proxy connection failed before the run gives up on the layout.
MAX_CLIENT_FAILURES_IN_A_ROW = 5


class HarnessError(Exception):
    """A mistake in the harness's own inputs (corpus, layouts, dataset), not in the proxy."""


def connect(port, **kwargs):
    options = {
        "host": HOST,
        "port": port,
        "user": USER,
        "password": PASSWORD,
        "database": DATABASE,
        "charset": "utf8mb4",
        "autocommit": True,
        "conv": {},
        "use_unicode": False,
        "connect_timeout": 10,
        "read_timeout": 30,
        "write_timeout": 30,
    }
    options.update(kwargs)
    return pymysql.connect(**options)


def error_code(exc):
    return exc.args[0] if exc.args and isinstance(exc.args[0], int) else None


# ---- layouts and placement ------------------------------------------------


def shard_names(layout):
    return [f"s{i}" for i in range(LAYOUTS[layout]["shards"])]


def write_config(layout, proxy_port, shard_ports, path):
    names = shard_names(layout)
    if len(shard_ports) < len(names):
        raise HarnessError(f"layout {layout} needs {len(names)} shard ports, got {len(shard_ports)}")
    tables = []
    for table, (key, key_type) in SHARDED_TABLES.items():
        entry = {"name": table, "shard_key": key, "key_type": key_type}
        ranges = LAYOUTS[layout]["ranges"].get(table)
        if ranges is None:
            entry["algorithm"] = "hash"
        else:
            entry["algorithm"] = "range"
            entry["ranges"] = [{"shard": shard} if below is None else {"shard": shard, "below": below}
                               for shard, below in ranges]
        tables.append(entry)
    config = {
        "listen": f"127.0.0.1:{proxy_port}",
        "workers": 2,
        "users": [{"user": USER, "password": PASSWORD}],
        "shards": [{"name": name, "primary": {"host": HOST, "port": port}}
                   for name, port in zip(names, shard_ports)],
        "default_shard": DEFAULT_SHARD,
        "pool_max_per_backend": 8,
        "tables": tables,
    }
    with open(path, "w", encoding="utf-8") as out:
        json.dump(config, out, indent=2)
        out.write("\n")


def hash_shard(canonical, nshards):
    """Return the index of the shard whose equal share of the XXH64 space contains CANONICAL's hash."""
    h = xxhash.xxh64_intdigest(canonical, seed=0)
    starts = [(i << 64) // nshards for i in range(nshards)]
    return bisect.bisect_right(starts, h) - 1


def expected_shard(layout, table, key):
    """Index of the shard that must hold the row whose shard key is KEY (bytes from the server)."""
    nshards = LAYOUTS[layout]["shards"]
    if table not in SHARDED_TABLES:
        return shard_names(layout).index(DEFAULT_SHARD)
    key_type = SHARDED_TABLES[table][1]
    ranges = LAYOUTS[layout]["ranges"].get(table)
    if ranges is not None:
        value = int(key)
        for shard, below in ranges:
            if below is None or value < below:
                return shard_names(layout).index(shard)
        raise HarnessError(f"layout {layout}: the ranges of {table} end with a bound")
    if key_type == "int":
        return hash_shard(struct.pack("<q", int(key)), nshards)
    return hash_shard(key, nshards)


def check_layout_design(layout, placement):
    """Raise HarnessError when a range layout does not spread rows as its comment promises."""
    if not LAYOUTS[layout]["ranges"]:
        return
    empty_somewhere = False
    for table in LAYOUTS[layout]["ranges"]:
        used = {shard for shard in placement[table].values()}
        if len(used) < 2:
            raise HarnessError(f"layout {layout}: all rows of {table} fall on one shard")
        if len(used) < LAYOUTS[layout]["shards"]:
            empty_somewhere = True
    if LAYOUTS[layout]["shards"] >= 3 and not empty_somewhere:
        raise HarnessError(f"layout {layout}: no table leaves a shard empty")


def read_keys(conn, table):
    key = SHARDED_TABLES[table][0] if table in SHARDED_TABLES else UNSHARDED_TABLES[table]
    with conn.cursor() as cur:
        cur.execute(f"SELECT {key} FROM {table}")
        return [row[0] for row in cur.fetchall()]


def check_placement(layout, ref_conn, shard_ports):
    """Compare where each row is with where the layout puts it. Returns a list of (check, message)."""
    names = shard_names(layout)
    placement = {}
    for table in ALL_TABLES:
        placement[table] = {key: expected_shard(layout, table, key) for key in read_keys(ref_conn, table)}
    check_layout_design(layout, placement)

    results = []
    for table in ALL_TABLES:
        found = {}
        problems = []
        for index, port in enumerate(shard_ports[:len(names)]):
            conn = connect(port)
            try:
                keys = read_keys(conn, table)
            except pymysql.MySQLError as exc:
                if error_code(exc) == 1146:
                    keys = []  # the table was never created there, as for an unsharded table
                else:
                    raise
            finally:
                conn.close()
            for key in keys:
                if key in found:
                    problems.append(f"key {show_value(key)} is on {names[found[key]]} and {names[index]}")
                found[key] = index
        for key, want in placement[table].items():
            got = found.get(key)
            if got is None:
                problems.append(f"key {show_value(key)} is on no shard (expected {names[want]})")
            elif got != want:
                problems.append(f"key {show_value(key)} is on {names[got]} (expected {names[want]})")
        for key in found.keys() - placement[table].keys():
            problems.append(f"key {show_value(key)} is on {names[found[key]]} but not on the reference")
        counts = collections.Counter(names[i] for i in found.values())
        spread = ", ".join(f"{name}={counts.get(name, 0)}" for name in names)
        if problems:
            listed = "; ".join(problems[:MAX_DIFF_ROWS])
            more = f" (and {len(problems) - MAX_DIFF_ROWS} more)" if len(problems) > MAX_DIFF_ROWS else ""
            results.append((f"placement/{table}", f"rows per shard {spread}: {listed}{more}"))
        else:
            results.append((f"placement/{table}", None))
            print(f"[{layout}] placement/{table}: ok ({spread})")
    return results


# ---- the dataset ----------------------------------------------------------


def dataset_statements():
    with open(DATASET, encoding="utf-8") as src:
        for number, line in enumerate(src, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("--"):
                continue
            if not line.endswith(";"):
                raise HarnessError(f"dataset.sql:{number}: a statement must fit on one line and end with ';'")
            yield number, line[:-1]


def load_dataset(conn, server_name):
    """Run dataset.sql on CONN. Returns None, or a message naming the statement that failed."""
    with conn.cursor() as cur:
        for number, statement in dataset_statements():
            try:
                cur.execute(statement)
            except pymysql.MySQLError as exc:
                return (f"loading dataset.sql through {server_name} failed at line {number}"
                        f" ({shorten(statement, 100)}): {describe_error(exc)}")
    return None


def reorder_rows(conn):
    """Store every table's rows in reverse key order, without a primary key.

    InnoDB keeps rows in primary key order, so two servers loaded with the
    same data break ties (equal sort keys, which spelling a group shows) the
    same way. Without a primary key, rows stay in insertion order, so this
    copy breaks such ties differently.
    """
    with conn.cursor() as cur:
        for table in ALL_TABLES:
            key = SHARDED_TABLES[table][0] if table in SHARDED_TABLES else UNSHARDED_TABLES[table]
            cur.execute(f"CREATE TABLE {table}_reordered LIKE {table}")
            cur.execute(f"ALTER TABLE {table}_reordered DROP PRIMARY KEY, ADD KEY reordered_key ({key})")
            cur.execute(f"INSERT INTO {table}_reordered SELECT * FROM {table} ORDER BY {key} DESC")
            cur.execute(f"DROP TABLE {table}")
            cur.execute(f"RENAME TABLE {table}_reordered TO {table}")


def drop_tables(ports):
    for port in ports:
        conn = connect(port)
        try:
            with conn.cursor() as cur:
                for table in ALL_TABLES:
                    cur.execute(f"DROP TABLE IF EXISTS {table}")
        finally:
            conn.close()


# ---- the corpus -----------------------------------------------------------


class Case:
    def __init__(self, case_id, sql, ordered, count_only, layouts):
        self.id = case_id
        self.sql = sql
        self.ordered = ordered
        self.count_only = count_only
        self.layouts = layouts

    def applies_to(self, layout):
        return self.layouts is None or layout in self.layouts


def parse_case(name, number, line):
    ordered = count_only = False
    layouts = None
    rest = line
    while rest.startswith("@"):
        marker, _, rest = rest.partition(" ")
        rest = rest.lstrip()
        if marker == "@ordered":
            ordered = True
        elif marker == "@count-only":
            count_only = True
        elif marker == "@layouts":
            value, _, rest = rest.partition(" ")
            rest = rest.lstrip()
            layouts = set(value.split(","))
            unknown = layouts - LAYOUTS.keys()
            if unknown:
                raise HarnessError(f"{name}:{number}: unknown layout(s) {sorted(unknown)} in @layouts")
        else:
            raise HarnessError(f"{name}:{number}: unknown marker {marker} "
                               "(expected @ordered, @count-only or @layouts)")
    if not rest:
        raise HarnessError(f"{name}:{number}: markers without a query")
    if ordered and count_only:
        raise HarnessError(f"{name}:{number}: @ordered and @count-only exclude each other")
    return Case(f"{name}:{number}", rest.rstrip(";").rstrip(), ordered, count_only, layouts)


def load_corpus(pattern=None):
    cases = []
    files = sorted(f for f in os.listdir(CORPUS_DIR) if f.endswith(".sql"))
    for file in files:
        name = file[:-len(".sql")]
        with open(os.path.join(CORPUS_DIR, file), encoding="utf-8") as src:
            for number, line in enumerate(src, 1):
                line = line.strip()
                if not line or line.startswith("--"):
                    continue
                cases.append(parse_case(name, number, line))
    if not cases:
        raise HarnessError(f"no cases found in {CORPUS_DIR}/*.sql")
    if pattern:
        regex = re.compile(pattern)
        cases = [c for c in cases if regex.search(c.id) or regex.search(c.sql)]
    return cases


# ---- running and comparing ------------------------------------------------


class Column:
    def __init__(self, field):
        self.name = field.name
        self.type_code = field.type_code
        self.decimals = field.scale
        self.charset = field.charsetnr
        self.length = field.length
        self.flags = field.flags


class Outcome:
    """What one statement returned: rows, an OK, a server error or a client-side failure."""

    def __init__(self, kind, rows=None, columns=None, code=None, message=None, affected=None):
        self.kind = kind  # "rows", "ok", "error" or "client"
        self.rows = rows
        self.columns = columns
        self.code = code
        self.message = message
        self.affected = affected

    def describe(self):
        if self.kind == "rows":
            return f"{len(self.rows)} row(s)"
        if self.kind == "ok":
            return f"OK, {self.affected} affected row(s)"
        if self.kind == "error":
            return f"error {self.code}: {self.message}"
        return f"client failure: {self.message}"


def describe_error(exc):
    code = error_code(exc)
    message = exc.args[1] if len(exc.args) > 1 else str(exc)
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return f"error {code}: {message}" if code is not None else f"{type(exc).__name__}: {message}"


class Endpoint:
    """One server (reference or proxy) with a connection that is reopened after a failure."""

    def __init__(self, port):
        self.port = port
        self.conn = None

    def execute(self, sql):
        if self.conn is None:
            try:
                self.conn = connect(self.port)
            except pymysql.MySQLError as exc:
                return Outcome("client", message=f"cannot connect to port {self.port}: {describe_error(exc)}")
        try:
            with self.conn.cursor() as cur:
                cur.execute(sql)
                if cur.description is None:
                    return Outcome("ok", affected=cur.rowcount)
                rows = [tuple(row) for row in cur.fetchall()]
                columns = [Column(f) for f in cur._result.fields]
                return Outcome("rows", rows=rows, columns=columns)
        except pymysql.MySQLError as exc:
            code = error_code(exc)
            if code is None or code in CONNECTION_LOST_CODES or not self.conn.open:
                self.reset()
                return Outcome("client", message=describe_error(exc))
            message = exc.args[1] if len(exc.args) > 1 else str(exc)
            return Outcome("error", code=code, message=message)
        except Exception as exc:  # a malformed reply can raise anything inside PyMySQL
            self.reset()
            return Outcome("client", message=f"{type(exc).__name__}: {exc}")

    def reset(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception:
                pass
        self.conn = None

    def close(self):
        self.reset()


def show_value(value):
    if value is None:
        return "NULL"
    if isinstance(value, bytes):
        value = value.decode("utf-8", "backslashreplace")
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def show_row(row):
    return "(" + ", ".join(show_value(v) for v in row) + ")"


def shorten(text, limit):
    return text if len(text) <= limit else text[:limit - 3] + "..."


def show_column(col):
    return (f"name {col.name!r}, type {TYPE_NAMES.get(col.type_code, '?')}({col.type_code}),"
            f" decimals {col.decimals}")


def compare_columns(expected, got):
    """Returns (failures, notes): metadata differences that fail the case, and ones only reported."""
    failures, notes = [], []
    if len(expected) != len(got):
        failures.append(f"{len(expected)} column(s) expected, got {len(got)}")
        return failures, notes
    for i, (want, have) in enumerate(zip(expected, got)):
        if (want.name, want.type_code, want.decimals) != (have.name, have.type_code, have.decimals):
            failures.append(f"column {i}: expected {show_column(want)}; got {show_column(have)}")
        if want.charset != have.charset:
            text = f"column {i} {want.name!r}: charset {want.charset}, got {have.charset}"
            # On a string column, binary versus text changes how clients decode the value.
            if BINARY_CHARSET in (want.charset, have.charset) and want.type_code in STRING_TYPES:
                failures.append(text)
            else:
                notes.append(text)
        if want.length != have.length:
            notes.append(f"column {i} {want.name!r}: length {want.length}, got {have.length}")
    return failures, notes


def ordered_diff(expected, got):
    """Lines showing the rows around the first position where EXPECTED and GOT differ."""
    first = next((i for i, (a, b) in enumerate(zip(expected, got)) if a != b),
                 min(len(expected), len(got)))
    lines = [f"first difference at row {first + 1} (rows counted from 1)"]
    start = max(0, first - 2)
    end = min(max(len(expected), len(got)), first + 6)
    for i in range(start, end):
        want = show_row(expected[i]) if i < len(expected) else "(no row)"
        have = show_row(got[i]) if i < len(got) else "(no row)"
        mark = ">>" if want != have else "  "
        lines.append(f"{mark} row {i + 1:4d} expected {shorten(want, 110)}")
        lines.append(f"            got      {shorten(have, 110)}")
    return lines


def multiset_diff(expected, got, other):
    missing = collections.Counter(expected) - collections.Counter(got)
    extra = collections.Counter(got) - collections.Counter(expected)
    lines = []
    for title, rows in ((f"only in the reference (missing from {other})", missing),
                        (f"only in {other} (unexpected)", extra)):
        if not rows:
            continue
        lines.append(f"{title}: {sum(rows.values())} row(s)")
        for row, n in list(rows.items())[:MAX_DIFF_ROWS]:
            times = f" x{n}" if n > 1 else ""
            lines.append(f"   {shorten(show_row(row), 120)}{times}")
        if len(rows) > MAX_DIFF_ROWS:
            lines.append(f"   ... {len(rows) - MAX_DIFF_ROWS} more distinct row(s)")
    return lines


def compare(case, ref, got, allow_unsupported, other="the proxy"):
    """Returns (status, detail lines, notes); status is "pass", "fail" or "unsupported".

    OTHER names the side compared with the reference in the detail lines.
    """
    if got.kind == "error" and got.code == ER_NOT_SUPPORTED_YET and not (
            ref.kind == "error" and ref.code == ER_NOT_SUPPORTED_YET):
        detail = [f"expected {ref.describe()}", f"got      error 1235: {got.message}"]
        return ("unsupported" if allow_unsupported else "fail"), detail, []
    if ref.kind == "client":
        return "fail", [f"the reference server failed: {ref.message}"], []
    if ref.kind != got.kind:
        return "fail", [f"expected {ref.describe()}", f"got      {got.describe()}"], []
    if ref.kind == "error":
        if ref.code != got.code:
            return "fail", [f"expected error {ref.code}: {ref.message}",
                            f"got      error {got.code}: {got.message}"], []
        return "pass", [], []
    if ref.kind == "ok":
        if ref.affected != got.affected:
            return "fail", [f"expected {ref.describe()}", f"got      {got.describe()}"], []
        return "pass", [], []

    detail, notes = compare_columns(ref.columns, got.columns)
    if case.count_only:
        if len(ref.rows) != len(got.rows):
            detail.append(f"expected {len(ref.rows)} row(s), got {len(got.rows)}")
    elif case.ordered:
        if ref.rows != got.rows:
            detail.append(f"rows in order: expected {len(ref.rows)} row(s), got {len(got.rows)}")
            detail.extend(ordered_diff(ref.rows, got.rows))
    elif collections.Counter(ref.rows) != collections.Counter(got.rows):
        detail.append(f"rows as a multiset: expected {len(ref.rows)} row(s), got {len(got.rows)}")
        detail.extend(multiset_diff(ref.rows, got.rows, other))
    return ("fail" if detail else "pass"), detail, notes


def mode_of(case):
    if case.ordered:
        return "ordered"
    if case.count_only:
        return "count-only"
    return "multiset"


KNOWN_UNSUPPORTED_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "unsupported.txt")


def load_known_unsupported(path=KNOWN_UNSUPPORTED_FILE):
    """Case ids (file:line) the proxy rejects with 1235 for now, one per line; # starts a comment."""
    known = set()
    if not os.path.exists(path):
        return known
    with open(path, encoding="utf-8") as listing:
        for line in listing:
            line = line.split("#", 1)[0].strip()
            if line:
                known.add(line)
    return known


def run_cases(layout, cases, ref, proxy, allow_unsupported, counts, failures, outcomes):
    """Compare every case of LAYOUT; returns the number of metadata notes printed.

    A case listed in unsupported.txt may get error 1235 without failing; once
    it passes, the listing itself fails, so that the list only shrinks.
    OUTCOMES receives (reference outcome, proxy outcome) by case id.
    """
    known = load_known_unsupported()
    notes_total = 0
    lost_in_a_row = 0
    applicable = [case for case in cases if case.applies_to(layout)]
    for position, case in enumerate(applicable):
        if lost_in_a_row >= MAX_CLIENT_FAILURES_IN_A_ROW:
            # A proxy that is gone or hangs would cost a connect or read timeout per case.
            rest = applicable[position:]
            print(f"FAIL [{layout}] {MAX_CLIENT_FAILURES_IN_A_ROW} cases in a row got no reply from"
                  f" the proxy; the remaining {len(rest)} case(s) are counted as failed without running")
            counts["fail"] += len(rest)
            failures.extend(c.id for c in rest)
            break
        want = ref.execute(case.sql)
        got = proxy.execute(case.sql)
        outcomes[case.id] = (want, got)
        lost_in_a_row = lost_in_a_row + 1 if got.kind == "client" else 0
        status, detail, notes = compare(case, want, got, allow_unsupported or case.id in known)
        if status == "pass" and case.id in known:
            status = "fail"
            detail = ["listed in tests/differential/unsupported.txt but passes now: remove its line"]
        counts[status] += 1
        if status == "fail":
            failures.append(case.id)
            print(f"FAIL [{layout}] {case.id} ({mode_of(case)})")
            print(f"    query: {case.sql}")
            for line in detail:
                print(f"    {line}")
        elif status == "unsupported":
            print(f"UNSUPPORTED [{layout}] {case.id}: {shorten(got.message or '', 140)}")
            print(f"    query: {case.sql}")
        if notes:
            notes_total += len(notes)
            for note in notes:
                print(f"note [{layout}] {case.id}: {note}")
    return notes_total


# ---- the prepared-statement pass -------------------------------------------

# Each prepared statement runs twice. The second COM_STMT_EXECUTE carries no
# parameter types, so the server must reuse the ones it stored.
PS_EXECUTIONS = 2
PS_KNOWN_FAILURES_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                      "ps_known_failures.txt")


def load_ps_known_failures(path=PS_KNOWN_FAILURES_FILE):
    """Cases that still fail as prepared statements through the proxy.

    Each line is a case id, optionally "@layouts A,B", and the reason. A line
    that starts with # is a comment. Returns {case id: set of layouts, or
    None for every layout}.
    """
    known = {}
    if not os.path.exists(path):
        return known
    with open(path, encoding="utf-8") as listing:
        for number, line in enumerate(listing, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            case_id, _, rest = line.partition(" ")
            layouts = None
            rest = rest.strip()
            if rest.startswith("@layouts "):
                value, _, rest = rest[len("@layouts "):].strip().partition(" ")
                layouts = set(value.split(","))
                unknown = layouts - LAYOUTS.keys()
                if unknown:
                    raise HarnessError(f"{os.path.basename(path)}:{number}: unknown layout(s)"
                                       f" {sorted(unknown)}")
            if not rest.strip():
                raise HarnessError(f"{os.path.basename(path)}:{number}: {case_id} needs a reason")
            known[case_id] = layouts
    return known


def with_rows(outcome, rows):
    """A copy of OUTCOME with ROWS in place of its rows (for canonical values)."""
    return Outcome(outcome.kind, rows=rows, columns=outcome.columns, code=outcome.code,
                   message=outcome.message, affected=outcome.affected)


def compare_ps(case, want, got, allow_unsupported, other):
    """compare() for GOT, a prepared-statement result, against WANT, the reference's text result."""
    return compare(case, with_rows(want, prepared.canonical_rows(want, from_binary=False)),
                   with_rows(got, prepared.canonical_rows(got, from_binary=True)),
                   allow_unsupported, other)


def ps_statement(case):
    """The prepared statement text and parameters of CASE (see prepared.py for the rules)."""
    try:
        return prepared.parameterize(case.sql)
    except ValueError as exc:
        raise HarnessError(f"{case.id}: cannot split the query into tokens: {exc}") from exc


def run_ps_cases(label, cases, outcomes, client, allow_unsupported, counts, failures,
                 known=None, layout=None):
    """Run CASES as prepared statements through CLIENT and compare with the reference's text results.

    OUTCOMES maps each case id to (reference outcome, text outcome of the
    other side), as run_cases records them. A case whose text outcome was
    error 1235 is skipped and counted as unsupported. KNOWN (from
    ps_known_failures.txt) lets its cases fail in LAYOUT without counting as
    failed; a listed case that passes fails, so that the list only shrinks.
    Returns the number of metadata notes printed.
    """
    known = known or {}
    notes_total = 0
    lost_in_a_row = 0
    applicable = [case for case in cases if case.id in outcomes]
    for position, case in enumerate(applicable):
        if lost_in_a_row >= MAX_CLIENT_FAILURES_IN_A_ROW:
            rest = applicable[position:]
            print(f"FAIL [{label}] {MAX_CLIENT_FAILURES_IN_A_ROW} cases in a row got no reply;"
                  f" the remaining {len(rest)} case(s) are counted as failed without running")
            counts["fail"] += len(rest)
            failures.extend(c.id for c in rest)
            break
        want, text_got = outcomes[case.id]
        if text_got.kind == "error" and text_got.code == ER_NOT_SUPPORTED_YET:
            counts["unsupported"] += 1
            continue
        sql, params = ps_statement(case)
        results = client.execute(sql, params, PS_EXECUTIONS)
        lost_in_a_row = lost_in_a_row + 1 if results[-1].kind == "client" else 0
        for execution, got in enumerate(results, 1):
            status, detail, notes = compare_ps(case, want, got, allow_unsupported,
                                               "the prepared statement")
            if status != "pass":
                if execution > 1:
                    detail.insert(0, f"execution {execution} of the statement (without parameter"
                                     " types; the earlier executions passed):")
                break
        listed = case.id in known and (known[case.id] is None or layout in known[case.id])
        if listed and status == "fail":
            status = "known"
        elif listed and status == "pass":
            status = "fail"
            detail = [f"listed in tests/differential/ps_known_failures.txt but passes now in {layout}:"
                      " remove its line or narrow its @layouts"]
        counts[status] += 1
        if status in ("fail", "known"):
            if status == "fail":
                failures.append(case.id)
            print(f"{'FAIL' if status == 'fail' else 'KNOWN'} [{label}] {case.id} ({mode_of(case)})")
            print(f"    query:    {case.sql}")
            print(f"    prepared: {sql}")
            print(f"    params:   {prepared.show_params(params)}")
            for line in detail:
                print(f"    {line}")
        elif status == "unsupported":
            print(f"UNSUPPORTED [{label}] {case.id}: {shorten(got.message or '', 140)}")
        for note in notes:
            notes_total += 1
            print(f"note [{label}] {case.id}: {note}")
    for problem in client.close():
        counts["fail"] += 1
        failures.append("ps_client")
        print(f"FAIL [{label}] {problem}")
    return notes_total


def ps_client_for(args, port):
    if not args.ps_client:
        return None
    if prepared.find_ps_client(args.ps_client) is None:
        raise HarnessError(f"ps_client not found or not executable: {args.ps_client}"
                           " (build the ps_client target)")
    return prepared.PsClient(args.ps_client, HOST, port, USER, PASSWORD, DATABASE, Outcome)


# ---- subcommands ----------------------------------------------------------


def parse_ports(text):
    return [int(p) for p in text.split(",") if p]


def write_results(path, layout, counts, failures, notes=0, error=None):
    with open(path, "w", encoding="utf-8") as out:
        json.dump({"layout": layout, "passed": counts["pass"], "failed": counts["fail"],
                   "unsupported": counts["unsupported"], "known": counts["known"], "notes": notes,
                   "failures": failures, "error": error}, out)


def print_totals(label, counts, notes, started):
    print(f"[{label}] {counts['pass']} passed, {counts['fail']} failed,"
          f" {counts['unsupported']} unsupported, {counts['known']} known,"
          f" {notes} metadata note(s) in {time.monotonic() - started:.1f}s")


def cmd_run(args):
    cases = load_corpus(args.filter)
    shard_ports = parse_ports(args.shard_ports)
    counts = collections.Counter()
    failures = []
    started = time.monotonic()

    ref = Endpoint(args.ref_port)
    proxy = Endpoint(args.proxy_port)
    ps_client = ps_client_for(args, args.proxy_port)
    outcomes = {}
    error = None
    try:
        if not args.skip_load:
            try:
                conn = connect(args.proxy_port)
            except pymysql.MySQLError as exc:
                error = f"connecting to the proxy on port {args.proxy_port} failed: {describe_error(exc)}"
            else:
                try:
                    error = load_dataset(conn, "the proxy")
                finally:
                    conn.close()
            if error is None:
                ref_conn = connect(args.ref_port)
                try:
                    for check, problem in check_placement(args.layout, ref_conn, shard_ports):
                        if problem is None:
                            counts["pass"] += 1
                        else:
                            counts["fail"] += 1
                            failures.append(check)
                            print(f"FAIL [{args.layout}] {check}: {problem}")
                finally:
                    ref_conn.close()
        if error is not None:
            print(f"FAIL [{args.layout}] {error}")
            applicable = [c for c in cases if c.applies_to(args.layout)]
            counts["fail"] += len(applicable)
            failures.extend(c.id for c in applicable)
            notes = 0
        else:
            notes = run_cases(args.layout, cases, ref, proxy, args.allow_unsupported, counts, failures,
                              outcomes)
    finally:
        ref.close()
        proxy.close()
    print_totals(args.layout, counts, notes, started)
    write_results(args.results, args.layout, counts, failures, notes, error)

    if ps_client is not None:
        label = f"{args.layout}/ps"
        ps_counts = collections.Counter()
        ps_failures = []
        started = time.monotonic()
        if error is not None:
            applicable = [c.id for c in cases if c.applies_to(args.layout)]
            print(f"FAIL [{label}] {error}; {len(applicable)} case(s) not run, counted as failed")
            ps_counts["fail"] += len(applicable)
            ps_failures.extend(applicable)
            ps_notes = 0
        else:
            ps_notes = run_ps_cases(label, cases, outcomes, ps_client, args.allow_unsupported,
                                    ps_counts, ps_failures, load_ps_known_failures(), args.layout)
        print_totals(label, ps_counts, ps_notes, started)
        write_results(args.ps_results, label, ps_counts, ps_failures, ps_notes, error)
    return 0


def cmd_check_corpus(args):
    """Compare every case between the reference and a copy whose rows are stored in another order.

    A case that differs there depends on how one server breaks ties, so it
    would fail through the proxy for no fault of the proxy's.
    """
    cases = load_corpus(args.filter)
    counts = collections.Counter()
    failures = []
    conn = connect(args.scratch_port)
    try:
        error = load_dataset(conn, "the scratch server")
        if error is None:
            reorder_rows(conn)
    finally:
        conn.close()
    if error is not None:
        raise HarnessError(error)

    ref = Endpoint(args.ref_port)
    copy = Endpoint(args.scratch_port)
    outcomes = {}
    try:
        for case in cases:
            want = ref.execute(case.sql)
            outcomes[case.id] = (want, want)
            status, detail, _ = compare(case, want, copy.execute(case.sql), False, "the reordered copy")
            counts[status] += 1
            if status != "pass":
                failures.append(case.id)
                print(f"FAIL [corpus-check] {case.id} ({mode_of(case)}): the result depends on the order"
                      " in which one server stores rows; make the ORDER BY total or use @count-only")
                print(f"    query: {case.sql}")
                for line in detail:
                    print(f"    {line}")
    finally:
        ref.close()
        copy.close()
    print(f"[corpus-check] {counts['pass']} passed, {counts['fail']} failed")
    write_results(args.results, "corpus-check", counts, failures)

    # The reference's own prepared-statement results must equal its text
    # results. A difference is a fault of ps_client or of the parameter
    # rules in prepared.py, not of the proxy.
    ps_client = ps_client_for(args, args.ref_port)
    if ps_client is not None:
        label = "corpus-check/ps"
        ps_counts = collections.Counter()
        ps_failures = []
        started = time.monotonic()
        notes = run_ps_cases(label, cases, outcomes, ps_client, False, ps_counts, ps_failures)
        print_totals(label, ps_counts, notes, started)
        write_results(args.ps_results, label, ps_counts, ps_failures, notes)
    return 0


def cmd_skip(args):
    cases = [c for c in load_corpus(args.filter) if c.applies_to(args.layout)]
    counts = collections.Counter(fail=len(cases))
    print(f"FAIL [{args.layout}] {args.reason}; {len(cases)} case(s) not run, counted as failed")
    write_results(args.results, args.layout, counts, [c.id for c in cases], error=args.reason)
    if args.ps_results:
        print(f"FAIL [{args.layout}/ps] {len(cases)} case(s) not run, counted as failed")
        write_results(args.ps_results, f"{args.layout}/ps", counts, [c.id for c in cases],
                      error=args.reason)
    return 0


def cmd_summary(args):
    """Print one line per results file and the totals; returns 1 when anything failed.

    The corpus checks test the harness's own cases and its prepared-statement
    client, not the proxy, so their passes stay out of the total while their
    failures count.
    """
    passed = failed = unsupported = known = 0
    print("layout             passed  failed  unsupported  known")
    for path in args.results:
        try:
            with open(path, encoding="utf-8") as src:
                result = json.load(src)
        except (OSError, ValueError) as exc:
            print(f"{os.path.basename(path)}: no results ({exc}); counted as 1 failure")
            failed += 1
            continue
        if result["layout"] not in HARNESS_LABELS:
            passed += result["passed"]
        failed += result["failed"]
        unsupported += result["unsupported"]
        known += result.get("known", 0)
        line = (f"{result['layout']:<17} {result['passed']:7d} {result['failed']:7d}"
                f" {result['unsupported']:12d} {result.get('known', 0):6d}")
        if result.get("error"):
            line += f"   ({shorten(result['error'], 100)})"
        print(line)
    if args.extra_failures and os.path.exists(args.extra_failures):
        with open(args.extra_failures, encoding="utf-8") as src:
            for line in src:
                if line.strip():
                    print(f"FAIL {line.strip()}")
                    failed += 1
    if unsupported:
        print(f"{unsupported} unsupported (error 1235 on a case listed in unsupported.txt, or with"
              " --allow-unsupported, and in the /ps passes the cases skipped because they got 1235"
              " as text: not counted as failed)")
    if known:
        print(f"{known} known prepared-statement failure(s) listed in ps_known_failures.txt"
              " (not counted as failed)")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def add_ps_arguments(parser):
    parser.add_argument("--ps-client", help="the ps_client binary; run the prepared-statement pass")
    parser.add_argument("--ps-results", help="JSON file for the prepared-statement pass's counts")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("layouts")

    p = sub.add_parser("config")
    p.add_argument("layout", choices=LAYOUTS)
    p.add_argument("--proxy-port", type=int, required=True)
    p.add_argument("--shard-ports", required=True, help="comma-separated, in shard order")
    p.add_argument("--output", required=True)

    p = sub.add_parser("load-reference")
    p.add_argument("--ref-port", type=int, required=True)

    p = sub.add_parser("run")
    p.add_argument("layout", choices=LAYOUTS)
    p.add_argument("--ref-port", type=int, required=True)
    p.add_argument("--proxy-port", type=int, required=True)
    p.add_argument("--shard-ports", required=True, help="comma-separated, in shard order")
    p.add_argument("--results", required=True, help="JSON file to write the counts to")
    p.add_argument("--allow-unsupported", action="store_true",
                   help="count proxy error 1235 as unsupported instead of failed")
    p.add_argument("--filter", help="run only cases whose id or query matches this regular expression")
    p.add_argument("--skip-load", action="store_true",
                   help="compare only; the proxy's shards already hold the dataset")
    add_ps_arguments(p)

    p = sub.add_parser("check-corpus")
    p.add_argument("--ref-port", type=int, required=True)
    p.add_argument("--scratch-port", type=int, required=True,
                   help="a server whose database sbtest may be overwritten")
    p.add_argument("--results", required=True)
    p.add_argument("--filter")
    add_ps_arguments(p)

    p = sub.add_parser("skip")
    p.add_argument("layout", choices=LAYOUTS)
    p.add_argument("--reason", required=True)
    p.add_argument("--results", required=True)
    p.add_argument("--filter")
    p.add_argument("--allow-unsupported", action="store_true", help="accepted for symmetry with run")
    p.add_argument("--ps-results", help="also write failed prepared-statement results to this file")

    p = sub.add_parser("drop")
    p.add_argument("--shard-ports", required=True)

    p = sub.add_parser("summary")
    p.add_argument("results", nargs="*")
    p.add_argument("--extra-failures", help="file with one failure per line, such as a bad proxy exit")

    args = parser.parse_args()
    if getattr(args, "ps_client", None) and not args.ps_results:
        parser.error("--ps-client needs --ps-results")
    try:
        if args.command == "layouts":
            print(" ".join(LAYOUTS))
            return 0
        if args.command == "config":
            write_config(args.layout, args.proxy_port, parse_ports(args.shard_ports), args.output)
            return 0
        if args.command == "load-reference":
            conn = connect(args.ref_port)
            try:
                error = load_dataset(conn, "the reference server")
            finally:
                conn.close()
            if error:
                print(f"difftest.py: {error}", file=sys.stderr)
                return 1
            return 0
        if args.command == "run":
            return cmd_run(args)
        if args.command == "check-corpus":
            return cmd_check_corpus(args)
        if args.command == "skip":
            return cmd_skip(args)
        if args.command == "drop":
            drop_tables(parse_ports(args.shard_ports))
            return 0
        return cmd_summary(args)
    except HarnessError as exc:
        print(f"difftest.py: harness error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
