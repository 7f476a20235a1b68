"""Run corpus queries as server-side prepared statements (the binary protocol).

difftest.py uses this module for its prepared-statement pass. parameterize
rewrites each corpus query with '?' markers in place of its literals.
PsClient sends the statement and the typed values to ps_client, a C program
on libmariadb's mysql_stmt_* API. difftest.py then compares the binary
result, which ps_client prints as text, with the reference server's
text-protocol result of the original query, after canonical_rows.

Which literals become parameters. A literal becomes a parameter only where
a bound value means the same as the literal and cannot change the result's
column metadata. When a rule is in doubt, the literal stays in the text.

1. Clauses. Only literals in WHERE, HAVING and ON conditions, and the
   counts of LIMIT and OFFSET, become parameters. Literals in the select
   list (a parameter there changes the column name and type), GROUP BY and
   ORDER BY (a number there is a column position) stay. Parentheses that
   hold a subquery start its own clauses.
2. Function arguments stay: no literal inside the parentheses of a call
   (a word followed by '(', other than IN, EXISTS and the operator words
   below) becomes a parameter. This keeps CAST(x AS DECIMAL(10,2)), the
   places of ROUND(x, 2) and format strings in the text. IN lists and
   parentheses around conditions are no calls.
3. A literal becomes a parameter only as an operand: directly after an
   operator symbol, '(' or ',', or one of the operator words in
   OPERAND_WORDS. So typed and hex literals (DATE '...', X'41', b'1',
   N'x', _utf8mb4'x'), INTERVAL 1 DAY, ESCAPE '\\' and NULL after IS or
   IS NOT stay, as does a string next to another string ('a' 'b'). A
   typed temporal literal counts as one literal (rule 4).
4. Kinds. NULL binds as MYSQL_TYPE_NULL; an integer as LONGLONG (unsigned
   from 2^63 to 2^64-1, and outside that range as NEWDECIMAL text, as the
   server reads such a literal); a number with a decimal point as
   NEWDECIMAL text; a number with an exponent as DOUBLE; a quoted string
   as STRING, with its escapes decoded. A unary minus before a number
   moves into the value (-5 binds -5). A typed temporal literal (DATE
   '2024-03-15', TIME '01:30:00', TIMESTAMP '2024-06-01 00:00:00.5') binds
   as DATE, TIME or DATETIME when its text is a valid value in the plain
   form shown. Hex and bit numbers (0x10, 0b1) and TRUE and FALSE stay.
5. LIMIT and OFFSET take only plain unsigned integers, so LIMIT -1 and
   LIMIT 'a' keep their literals and their syntax errors.

How results are compared. ps_client prints each binary value as the text
that a text result carries for it, so most values are compared as bytes,
like the text pass does. The exceptions are FLOAT and DOUBLE, which the
server prints its own way: they are compared as numbers (canonical_value).
A DOUBLE must be the same double, after rounding the binary value to the
column's decimals when the column has fixed decimals. A FLOAT is compared
after rounding the binary value to 6 significant digits, because a text
result prints FLOAT with 6 significant digits: FLOAT 16777216 is the text
16777200. That rounding is the only tolerance.
"""

import datetime
import os
import re
import subprocess
import tempfile

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1
UINT64_MAX = (1 << 64) - 1
# The maximum number of digits of a DECIMAL literal or value in MariaDB.
MAX_DECIMAL_DIGITS = 65
TYPE_FLOAT = 4
TYPE_DOUBLE = 5
# Column decimals at or above this mean "not fixed" (31 in MariaDB).
NOT_FIXED_DECIMALS = 31
# A text result prints FLOAT with this many significant digits.
FLOAT_TEXT_DIGITS = 6

# Words after which a literal is an operand of an expression, and after
# which '-' is a unary minus.
OPERAND_WORDS = {
    "WHERE", "HAVING", "ON", "AND", "OR", "XOR", "NOT", "BETWEEN", "LIKE", "REGEXP", "RLIKE",
    "CASE", "WHEN", "THEN", "ELSE", "DIV", "MOD", "BINARY", "LIMIT", "OFFSET", "SELECT",
    "DISTINCT",
}
# Words whose '(' opens a list, a subquery or a group of conditions, not a
# function call. MOD and BINARY are left out because MOD(a, b) and BINARY(x)
# are calls, and treating a '(' as a call only keeps literals.
GROUP_WORDS = (OPERAND_WORDS - {"MOD", "BINARY"}) | {"IN", "EXISTS", "ANY", "SOME", "ALL", "FROM",
                                                   "JOIN"}
# Clause keywords and the clause they start. ON conditions follow the WHERE rules.
CLAUSE_WORDS = {
    "SELECT": "select", "FROM": "from", "WHERE": "where", "ON": "where", "HAVING": "having",
    "GROUP": "group", "ORDER": "order", "LIMIT": "limit",
}
PARAMETER_CLAUSES = {"where", "having", "limit"}

ASCII_DIGITS = "0123456789"
OPERATORS = ("<=>", "<<", ">>", "<=", ">=", "<>", "!=", "||", "&&", ":=")
WORD_RE = re.compile(r"[A-Za-z0-9_$\u0080-\uffff]+")
NUMBER_RE = re.compile(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
RADIX_NUMBER_RE = re.compile(r"0[xX][0-9A-Fa-f]+|0[bB][01]+")
DATE_RE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
TIME_RE = re.compile(r"(-?)([0-9]{1,3}):([0-9]{1,2}):([0-9]{1,2})(?:\.([0-9]{1,6}))?")
# The largest TIME value: 838:59:59.
MAX_TIME_HOURS = 838
TEMPORAL_WORDS = ("DATE", "TIME", "TIMESTAMP")
STRING_ESCAPES = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a",
                  "%": "\\%", "_": "\\_"}


class Token:
    def __init__(self, kind, text):
        self.kind = kind  # space, comment, string, number, radix, word, quoted, op
        self.text = text


def _scan_string(sql, start):
    """Index just past the string literal that starts at START (a quote)."""
    quote = sql[start]
    i = start + 1
    while i < len(sql):
        if sql[i] == "\\":
            i += 2
        elif sql[i] == quote:
            if i + 1 < len(sql) and sql[i + 1] == quote:
                i += 2
            else:
                return i + 1
        else:
            i += 1
    raise ValueError(f"unterminated string literal at offset {start}")


def _is_digit(ch):
    return len(ch) == 1 and ch in ASCII_DIGITS


def _starts_dash_comment(sql, i):
    """True when a '-- ' comment starts at I: two dashes and then a space, a control character or the end."""
    if not sql.startswith("--", i):
        return False
    return i + 2 == len(sql) or sql[i + 2] <= " "


def tokenize(sql):
    """Split SQL into tokens whose texts concatenate back to SQL."""
    tokens = []
    i = 0
    while i < len(sql):
        c = sql[i]
        if c.isspace():
            j = i
            while j < len(sql) and sql[j].isspace():
                j += 1
            tokens.append(Token("space", sql[i:j]))
        elif c == "#" or _starts_dash_comment(sql, i):
            j = sql.find("\n", i)
            j = len(sql) if j < 0 else j
            tokens.append(Token("comment", sql[i:j]))
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            j = len(sql) if j < 0 else j + 2
            tokens.append(Token("comment", sql[i:j]))
        elif c in "'\"":
            j = _scan_string(sql, i)
            tokens.append(Token("string", sql[i:j]))
        elif c == "`":
            j = sql.find("`", i + 1)
            while j >= 0 and sql.startswith("``", j):
                j = sql.find("`", j + 2)
            if j < 0:
                raise ValueError(f"unterminated quoted identifier at offset {i}")
            j += 1
            tokens.append(Token("quoted", sql[i:j]))
        elif _is_digit(c) or (c == "." and _is_digit(sql[i + 1:i + 2])
                              and not (tokens and tokens[-1].kind in ("word", "quoted"))):
            j = _scan_number(sql, i, tokens)
        elif WORD_RE.match(sql, i):
            j = WORD_RE.match(sql, i).end()
            tokens.append(Token("word", sql[i:j]))
        else:
            op = next((o for o in OPERATORS if sql.startswith(o, i)), c)
            j = i + len(op)
            tokens.append(Token("op", op))
        i = j
    return tokens


def _scan_number(sql, i, tokens):
    """Append the number (or the word that starts with digits) at I; return the index after it."""
    radix = RADIX_NUMBER_RE.match(sql, i)
    number = NUMBER_RE.match(sql, i)
    word = WORD_RE.match(sql, i)
    for match, kind in ((radix, "radix"), (number, "number")):
        if match and not (match.end() < len(sql) and WORD_RE.match(sql[match.end()])):
            tokens.append(Token(kind, match.group()))
            return match.end()
    if word and word.end() > number.end():
        # An identifier may start with digits (1abc), and 1e is not a number either.
        tokens.append(Token("word", word.group()))
        return word.end()
    tokens.append(Token("number", number.group()))
    return number.end()


def string_value(literal):
    """The bytes of a quoted string literal, with its escapes and doubled quotes decoded."""
    quote, body = literal[0], literal[1:-1]
    out = []
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            out.append(STRING_ESCAPES.get(body[i + 1], body[i + 1]))
            i += 2
        elif c == quote and i + 1 < len(body) and body[i + 1] == quote:
            out.append(quote)
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out).encode("utf-8")


def number_param(text):
    """(kind, value text) for a number literal with its sign, or None when it must stay."""
    digits = sum(ch in ASCII_DIGITS for ch in text)
    if "e" in text or "E" in text:
        return ("double", text)
    if "." in text:
        return ("decimal", text) if digits <= MAX_DECIMAL_DIGITS else None
    value = int(text)
    if INT64_MIN <= value <= INT64_MAX:
        return ("int", str(value))
    if 0 <= value <= UINT64_MAX:
        return ("uint", str(value))
    return ("decimal", text) if digits <= MAX_DECIMAL_DIGITS else None


def temporal_param(word, text):
    """(kind, value text) for the typed literal WORD 'TEXT', or None when it must stay.

    Only plain forms of valid values qualify, because the server reads other
    forms (zero dates, '2024-3-5 1:2', fractions beyond 6 digits) its own way.
    """
    word = word.upper()
    if word == "TIME":
        match = TIME_RE.fullmatch(text)
        if not match:
            return None
        sign, hours, minutes, seconds, fraction = match.groups()
        if int(hours) > MAX_TIME_HOURS or int(minutes) > 59 or int(seconds) > 59:
            return None
        return ("time", f"{sign}{int(hours):02d}:{minutes:0>2}:{seconds:0>2}.{fraction or '':0<6}")
    date_text, _, time_text = text.partition(" ")
    match = DATE_RE.fullmatch(date_text)
    if not match or (word == "DATE") != (time_text == ""):
        return None
    try:
        day = datetime.date(*(int(g) for g in match.groups()))
    except ValueError:
        return None
    if word == "DATE":
        return ("date", day.isoformat())
    match = TIME_RE.fullmatch(time_text)
    if not match or match.group(1) or int(match.group(2)) > 23 or int(match.group(3)) > 59 \
            or int(match.group(4)) > 59:
        return None
    _, hours, minutes, seconds, fraction = match.groups()
    return ("datetime", f"{day.isoformat()} {int(hours):02d}:{minutes:0>2}:{seconds:0>2}"
                        f".{fraction or '':0<6}")


class _Frame:
    """One level of parentheses: the clause it is in and whether it is a call's argument list."""

    def __init__(self, clause, in_call):
        self.clause = clause
        self.in_call = in_call


def _is_operand_position(prev, before_prev):
    """True when a literal after PREV (the previous significant token) is an operand."""
    if prev is None:
        return False
    if prev.kind == "op":
        # After ')' a literal is no operand, and after '.' it is part of a name (t.5).
        return prev.text not in (")", ".")
    if prev.kind == "word":
        word = prev.text.upper()
        if word == "NOT" and before_prev is not None and before_prev.text.upper() == "IS":
            return False
        return word in OPERAND_WORDS
    return False


def parameterize(sql):
    """Return (prepared SQL, [(kind, value bytes)...]) for SQL, following the module's rules.

    Raises ValueError for text that cannot be tokenized (an unterminated string).
    """
    tokens = tokenize(sql)
    significant = [i for i, t in enumerate(tokens) if t.kind not in ("space", "comment")]
    replace = {}  # token index -> (first token index to drop, param)
    frames = [_Frame("select", False)]

    def sig(n):
        return tokens[significant[n]] if 0 <= n < len(significant) else None

    for n, index in enumerate(significant):
        token = tokens[index]
        frame = frames[-1]
        prev, before_prev = sig(n - 1), sig(n - 2)
        if token.kind == "op" and token.text == "(":
            in_call = prev is not None and (
                prev.kind == "quoted" or (prev.kind == "word" and prev.text.upper() not in GROUP_WORDS))
            frames.append(_Frame(frame.clause, frame.in_call or in_call))
            continue
        if token.kind == "op" and token.text == ")":
            if len(frames) > 1:
                frames.pop()
            continue
        if token.kind == "word" and not frame.in_call:
            clause = CLAUSE_WORDS.get(token.text.upper())
            if clause is not None:
                frame.clause = clause
        if frame.in_call or frame.clause not in PARAMETER_CLAUSES:
            continue

        if frame.clause == "limit":
            if (token.kind == "number" and all(ch in ASCII_DIGITS for ch in token.text) and prev is not None
                    and (prev.text == "," or prev.text.upper() in ("LIMIT", "OFFSET"))):
                replace[index] = (index, number_param(token.text))
            continue

        if token.kind == "number":
            # A '-' that follows an operand position is a unary minus: fold it into the value.
            if (prev is not None and prev.kind == "op" and prev.text == "-"
                    and _is_operand_position(before_prev, sig(n - 3))):
                param = number_param("-" + token.text)
                if param is not None:
                    replace[index] = (significant[n - 1], param)
                continue
            if _is_operand_position(prev, before_prev):
                param = number_param(token.text)
                if param is not None:
                    replace[index] = (index, param)
        elif token.kind == "string":
            next_token = sig(n + 1)
            if (_is_operand_position(prev, before_prev)
                    and not (next_token is not None and next_token.kind == "string")):
                replace[index] = (index, ("string", string_value(token.text)))
        elif token.kind == "word" and token.text.upper() == "NULL":
            if _is_operand_position(prev, before_prev):
                replace[index] = (index, ("null", b""))
        elif token.kind == "word" and token.text.upper() in TEMPORAL_WORDS:
            literal = sig(n + 1)
            if literal is not None and literal.kind == "string" and _is_operand_position(prev, before_prev):
                param = temporal_param(token.text, string_value(literal.text).decode("utf-8"))
                if param is not None:
                    replace[significant[n + 1]] = (index, param)

    out = []
    params = []
    dropped = set()
    for index in sorted(replace):
        first, _ = replace[index]
        dropped.update(range(first, index))
    for i, token in enumerate(tokens):
        if i in dropped:
            continue
        if i in replace:
            kind, value = replace[i][1]
            params.append((kind, value if isinstance(value, bytes) else value.encode("ascii")))
            out.append("?")
        else:
            out.append(token.text)
    return "".join(out), params


def show_params(params):
    """The parameters as one line for failure messages: [int 5, string 'a', null]."""
    parts = []
    for kind, value in params:
        if kind == "null":
            parts.append("null")
        elif kind == "string":
            parts.append("string " + repr(value.decode("utf-8", "backslashreplace")))
        else:
            parts.append(f"{kind} {value.decode('ascii')}")
    return "[" + ", ".join(parts) + "]"


# ---- comparing binary values with text ----------------------------------


def canonical_value(value, column, from_binary):
    """VALUE as compared: bytes, or a float for FLOAT and DOUBLE columns (see the module doc).

    FROM_BINARY is true when VALUE is ps_client's text of a binary value,
    false when it is the server's text.
    """
    if value is None or column.type_code not in (TYPE_FLOAT, TYPE_DOUBLE):
        return value
    number = float(value)
    if not from_binary:
        return number
    if column.decimals < NOT_FIXED_DECIMALS:
        return float(f"{number:.{column.decimals}f}")
    if column.type_code == TYPE_FLOAT:
        return float(f"{number:.{FLOAT_TEXT_DIGITS}g}")
    return number


def canonical_rows(outcome, from_binary):
    """OUTCOME's rows with canonical values, or None when OUTCOME has no rows."""
    if outcome.kind != "rows":
        return None
    return [tuple(canonical_value(v, col, from_binary) for v, col in zip(row, outcome.columns))
            for row in outcome.rows]


# ---- the ps_client process ----------------------------------------------


class PsColumn:
    """Column metadata as ps_client prints it, with the attributes of difftest.Column."""

    def __init__(self, header, name):
        type_code, decimals, charset, length, flags, _ = (int(x) for x in header.split()[1:])
        self.name = name.decode("utf-8", "replace")
        self.type_code = type_code
        self.decimals = decimals
        self.charset = charset
        self.length = length
        self.flags = flags


class ProtocolError(Exception):
    """ps_client's output does not follow its framing, or the process is gone."""


class PsClient:
    """One ps_client process with one connection to PORT, started on first use and after a failure.

    OUTCOME is difftest.Outcome, the class of the results that execute returns.
    """

    def __init__(self, binary, host, port, user, password, database, outcome):
        self.argv = [binary, host, str(port), user, password, database]
        self.port = port
        self.outcome = outcome
        self.process = None
        self.stderr = None
        self.problems = []

    def execute(self, sql, params, executions):
        """Prepare SQL and execute it EXECUTIONS times with PARAMS.

        Returns one Outcome per execution, up to and including the first
        error or client failure.
        """
        outcomes = []
        try:
            if self.process is None:
                self.stderr = tempfile.TemporaryFile()
                self.process = subprocess.Popen(self.argv, stdin=subprocess.PIPE,
                                                stdout=subprocess.PIPE, stderr=self.stderr)
            self._send(sql, params, executions)
            while len(outcomes) < executions:
                outcomes.append(self._receive())
                if outcomes[-1].kind in ("error", "client"):
                    break
            return outcomes
        except (OSError, ProtocolError, ValueError) as exc:
            message = f"ps_client for port {self.port} failed: {exc}"
            self._stop(message)
            return outcomes + [self.outcome("client", message=message)]

    def _send(self, sql, params, executions):
        data = sql.encode("utf-8")
        parts = [b"query %d %d %d\n" % (len(params), len(data), executions), data, b"\n"]
        for kind, value in params:
            parts += [b"param %s %d\n" % (kind.encode("ascii"), len(value)), value, b"\n"]
        self.process.stdin.write(b"".join(parts))
        self.process.stdin.flush()

    def _line(self):
        line = self.process.stdout.readline()
        if not line.endswith(b"\n"):
            raise ProtocolError("the process ended in the middle of a response")
        return line[:-1].decode("ascii")

    def _payload(self, length):
        data = self.process.stdout.read(length + 1)
        if len(data) != length + 1 or not data.endswith(b"\n"):
            raise ProtocolError("the process ended in the middle of a value")
        return data[:-1]

    def _receive(self):
        line = self._line()
        word = line.split(" ", 1)[0]
        if word == "error":
            _, code, _sqlstate, length = line.split(" ")
            return self.outcome("error", code=int(code),
                                message=self._payload(int(length)).decode("utf-8", "replace"))
        if word == "client":
            message = self._payload(int(line.split(" ")[1])).decode("utf-8", "replace")
            return self.outcome("client", message=f"ps_client: {message}")
        if word == "ok":
            return self.outcome("ok", affected=int(line.split(" ")[1]))
        if word != "columns":
            raise ProtocolError(f"unexpected response line {line!r}")
        columns = []
        for _ in range(int(line.split(" ")[1])):
            header = self._line()
            if not header.startswith("column "):
                raise ProtocolError(f"expected a column line, got {header!r}")
            columns.append(PsColumn(header, self._payload(int(header.split(" ")[-1]))))
        rows = []
        while True:
            line = self._line()
            if line.startswith("end "):
                return self.outcome("rows", rows=rows, columns=columns)
            if line.startswith("error "):
                # A fetch that failed after some rows: the statement failed as a whole.
                _, code, _sqlstate, length = line.split(" ")
                return self.outcome("error", code=int(code),
                                    message=self._payload(int(length)).decode("utf-8", "replace"))
            if line != "row":
                raise ProtocolError(f"expected a row, got {line!r}")
            row = []
            for _ in columns:
                value_line = self._line()
                if value_line == "null":
                    row.append(None)
                elif value_line.startswith("value "):
                    row.append(self._payload(int(value_line.split(" ")[1])))
                else:
                    raise ProtocolError(f"expected a value, got {value_line!r}")
            rows.append(tuple(row))

    def _stop(self, reason=None):
        """End the process; note a non-zero exit status or REASON in self.problems."""
        if self.process is None:
            return
        process, self.process = self.process, None
        try:
            process.stdin.close()
        except OSError:
            pass
        try:
            status = process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            status = process.wait()
        self.stderr.seek(0)
        errors = self.stderr.read().decode("utf-8", "replace").strip()
        self.stderr.close()
        self.stderr = None
        if status != 0 or reason is not None:
            tail = "\n".join(errors.splitlines()[-30:])
            self.problems.append(f"ps_client for port {self.port} exited with status {status}"
                                 + (f" after: {reason}" if reason else "")
                                 + (f"; its standard error ends with:\n{tail}" if tail else ""))

    def close(self):
        """Stop the process. Returns the problems seen (non-zero exits, broken output)."""
        self._stop()
        return self.problems


def find_ps_client(path):
    """PATH if it is an executable file, else None."""
    return path if path and os.path.isfile(path) and os.access(path, os.X_OK) else None
