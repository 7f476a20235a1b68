#!/usr/bin/env python3
"""Generate dataset.sql, the tables and rows that the differential test loads.

    python3 tests/differential/gen_dataset.py > tests/differential/dataset.sql

The output is deterministic: it depends only on this file (a fixed-seed
SplitMix64 generator, no clock, no hash randomization), so regenerating it
after an edit changes only what the edit changes. The SQL is one statement
per line so that run.sh can feed it to the proxy statement by statement.

Value choices that the corpus depends on:
  - DOUBLE columns that queries add up (orders.price, customers.score,
    events.value, items_by_code.weight) hold multiples of 1/8 with small
    magnitudes. Their sums are exact in binary floating point, so the order
    in which shards add partial sums cannot change the result.
    orders.ratio contains values that are not exact in binary, so the corpus
    uses it only where no arithmetic happens (filters, ORDER BY, MIN, MAX).
  - orders.tag contains values that are equal under utf8mb4_general_ci but
    spelled differently ('a'/'A', 'e'/'E'/'é'/'ë', 's'/'S'/'ß', emoji that
    all weigh the same). Which spelling a group shows is not defined, so
    queries group or deduplicate tag only when they select no tag value.
  - Grouping columns whose values each have one spelling (status, tier,
    kind, category, continent) may be selected freely.
  - Each table has groups that exist only in one id range ('returned'
    orders, 'Platinum' customers, 'legacy' events), so that under the range
    layouts a group is missing from some shards.
  - The id ranges leave gaps that the range layouts in difftest.py use to
    give one shard no rows: customers 1..150 and 20001..20150, events
    1..20 and 1000001..1000300.
"""

import sys

MASK64 = (1 << 64) - 1


class SplitMix64:
    """A small deterministic generator; its sequence never changes between Python versions."""

    def __init__(self, seed):
        self.state = seed & MASK64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def below(self, n):
        return self.next() % n

    def between(self, lo, hi):
        """An integer in lo..hi, both included."""
        return lo + self.below(hi - lo + 1)

    def choice(self, items):
        return items[self.below(len(items))]

    def chance(self, percent):
        return self.below(100) < percent


def sql_string(value):
    if value is None:
        return "NULL"
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


class Number(str):
    """Numeric SQL text, written without quotes."""


def sql_value(value):
    if value is None:
        return "NULL"
    if isinstance(value, Number):
        return str(value)
    if isinstance(value, str):
        return sql_string(value)
    return str(value)


def eighths(rng, lo, hi):
    """A multiple of 1/8 in lo..hi, written as SQL text (exact in binary floating point)."""
    n = rng.between(lo * 8, hi * 8)
    whole, frac = divmod(abs(n), 8)
    text = f"{whole}.{frac * 125:03d}".rstrip("0").rstrip(".")
    return Number("-" + text if n < 0 else text)


def cents(rng, lo, hi):
    """A DECIMAL(10,2) literal in lo..hi."""
    n = rng.between(lo * 100, hi * 100)
    sign = "-" if n < 0 else ""
    return Number(f"{sign}{abs(n) // 100}.{abs(n) % 100:02d}")


def micros(rng, lo, hi):
    """A DECIMAL(20,6) literal in lo..hi."""
    n = rng.between(lo * 1000000, hi * 1000000)
    sign = "-" if n < 0 else ""
    return Number(f"{sign}{abs(n) // 1000000}.{abs(n) % 1000000:06d}")


def datetime_value(rng, year_lo, year_hi):
    return (f"{rng.between(year_lo, year_hi):04d}-{rng.between(1, 12):02d}-{rng.between(1, 28):02d}"
            f" {rng.between(0, 23):02d}:{rng.between(0, 59):02d}:{rng.between(0, 59):02d}")


def date_value(rng, year_lo, year_hi):
    return f"{rng.between(year_lo, year_hi):04d}-{rng.between(1, 12):02d}-{rng.between(1, 28):02d}"


class Table:
    def __init__(self, name, ddl, columns):
        self.name = name
        self.ddl = ddl
        self.columns = columns
        self.rows = []

    def add(self, *values):
        if len(values) != len(self.columns):
            raise ValueError(f"{self.name}: {len(values)} values for {len(self.columns)} columns")
        self.rows.append(values)


TABLE_OPTIONS = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci"

# Names for customers and free text: mixed case, accents, sharp s, emoji,
# an empty string, leading and trailing spaces.
NAMES = ["alice", "Alice", "ALICE", "bob", "Bob", "Émile", "emile", "Zoë", "zoe", "Straße",
         "strasse", "Ödön", "Øystein", "ángel", "Angel", "b", "B", "a", "A", "é", "E", "ß",
         "😀 smile", "🎉", "", " padded", "padded ", "O'Brien", "back\\slash", "中文", "Ñandú",
         "nandu", "Łukasz", "lukasz", "Chloé", "chloe"]

COUNTRY_CODES = ["DE", "AT", "FR", "ES", "IE", "SE", "NO", "FI", "IT", "PT", "PL", "CZ", "GB", "US",
                 "CA", "MX", "BR", "AR", "JP", "CN", "IN", "AU", "NZ", "ZA", "EG", "KE", "NG", "CH",
                 "BE", "NL", "DK", "IS", "GR", "TR", "KR", "CI", "AX", "XK"]


def make_countries(rng):
    table = Table("countries",
                  "CREATE TABLE countries (code CHAR(2) NOT NULL PRIMARY KEY, name VARCHAR(64) NOT NULL,"
                  " continent VARCHAR(20) NULL, population BIGINT NULL, area DOUBLE NULL,"
                  " gdp DECIMAL(20,6) NULL, joined DATE NULL) " + TABLE_OPTIONS,
                  ["code", "name", "continent", "population", "area", "gdp", "joined"])
    names = {
        "DE": "Deutschland", "AT": "Österreich", "FR": "France", "ES": "España", "IE": "Éire",
        "SE": "Sverige", "NO": "Norge", "FI": "Suomi", "IT": "Italia", "PT": "Portugal",
        "PL": "Polska", "CZ": "Česko", "GB": "United Kingdom", "US": "United States",
        "CA": "Canada", "MX": "México", "BR": "Brasil", "AR": "Argentina", "JP": "日本",
        "CN": "中国", "IN": "India", "AU": "Australia", "NZ": "new zealand", "ZA": "South Africa",
        "EG": "Egypt", "KE": "Kenya", "NG": "Nigeria", "CH": "Schweiz", "BE": "belgique",
        "NL": "Nederland", "DK": "Danmark", "IS": "Ísland", "GR": "Ελλάδα", "TR": "Türkiye",
        "KR": "한국", "CI": "Côte d'Ivoire", "AX": "Åland", "XK": "",
    }
    continents = {
        "DE": "Europe", "AT": "Europe", "FR": "Europe", "ES": "Europe", "IE": "Europe",
        "SE": "Europe", "NO": "Europe", "FI": "Europe", "IT": "Europe", "PT": "Europe",
        "PL": "Europe", "CZ": "Europe", "GB": "Europe", "CH": "Europe", "BE": "Europe",
        "NL": "Europe", "DK": "Europe", "IS": "Europe", "GR": "Europe", "AX": None, "XK": None,
        "US": "north america", "CA": "north america", "MX": "north america",
        "BR": "South America", "AR": "South America", "JP": "Asia", "CN": "Asia", "IN": "Asia",
        "KR": "Asia", "TR": "Asia", "AU": "Oceania", "NZ": "Oceania", "ZA": "Africa",
        "EG": "Africa", "KE": "Africa", "NG": "Africa", "CI": "Africa",
    }
    for code in COUNTRY_CODES:
        population = None if code in ("AX", "XK") else rng.between(300000, 1400000000)
        area = None if code == "XK" else eighths(rng, 1000, 9000000)
        gdp = None if code in ("AX", "XK", "KR") else micros(rng, 10000, 25000000)
        joined = None if rng.chance(20) else date_value(rng, 1945, 2020)
        table.add(code, names[code], continents[code], population, area, gdp, joined)
    return table


def make_customers(rng):
    table = Table("customers",
                  "CREATE TABLE customers (id INT NOT NULL PRIMARY KEY, name VARCHAR(64) NULL,"
                  " country CHAR(2) NULL, tier VARCHAR(10) NOT NULL, balance DECIMAL(10,2) NULL,"
                  " credit DECIMAL(20,6) NOT NULL, score DOUBLE NULL, created DATETIME NOT NULL,"
                  " birthday DATE NULL) " + TABLE_OPTIONS,
                  ["id", "name", "country", "tier", "balance", "credit", "score", "created",
                   "birthday"])
    ids = list(range(1, 151)) + list(range(20001, 20151))
    for i, cid in enumerate(ids):
        name = None if rng.chance(6) else rng.choice(NAMES)
        country = None if rng.chance(10) else rng.choice(COUNTRY_CODES + ["ZZ"])
        if cid > 20000 and i % 37 == 0:
            tier = "Platinum"  # only in the upper id range
        else:
            tier = rng.choice(["gold", "Silver", "bronze", "bronze"])
        balance = None if rng.chance(8) else cents(rng, -5000, 20000)
        credit = micros(rng, -1000, 100000)
        score = None if rng.chance(10) else eighths(rng, -500, 1000)
        created = datetime_value(rng, 2019, 2024)
        birthday = None if rng.chance(15) else date_value(rng, 1950, 2005)
        table.add(cid, name, country, tier, balance, credit, score, created, birthday)
    return table


ORDER_TAGS = ["a", "A", "b", "B", "é", "E", "e", "ë", "s", "S", "ß", "😀", "🎉", "", "Zoë", "zoe",
              "x", None]
NOTES = ["", "", "gift", "Gift wrap", "express", "EXPRESS", "café", "cafe", "naïve", "größe",
         "call before 😀", "leave at door", "fragile", "Fragile!", "zzz", "Ábc", "abc"]
RATIOS = ["0.1", "0.2", "0.3", "1e-7", "-2.5e10", "3.141592653589793", "2.718281828459045",
          "-0.333333333333", "123456.789", "1e300", "-1e-300", "0.7"]


def make_orders(rng):
    table = Table("orders",
                  "CREATE TABLE orders (id INT NOT NULL PRIMARY KEY, customer_id INT NULL,"
                  " status VARCHAR(16) NOT NULL, tag VARCHAR(16) NULL, amount DECIMAL(10,2) NOT NULL,"
                  " qty INT NULL, price DOUBLE NOT NULL, ratio DOUBLE NULL, discount DECIMAL(20,6) NULL,"
                  " created DATETIME NOT NULL, ship_date DATE NULL,"
                  " note VARCHAR(100) NOT NULL DEFAULT '', KEY idx_customer (customer_id)) "
                  + TABLE_OPTIONS,
                  ["id", "customer_id", "status", "tag", "amount", "qty", "price", "ratio",
                   "discount", "created", "ship_date", "note"])
    customer_ids = list(range(1, 151)) + list(range(20001, 20151))
    # Repeated timestamps give ORDER BY created real ties.
    shared_times = [datetime_value(rng, 2023, 2023) for _ in range(6)]
    for oid in list(range(-10, 0)) + list(range(1, 391)):
        customer_id = None if rng.chance(5) else rng.choice(customer_ids)
        if oid < 0:
            status = "returned"  # only negative ids: a group that most shards lack
        else:
            status = rng.choice(["new", "paid", "paid", "shipped", "shipped", "cancelled"])
        tag = rng.choice(ORDER_TAGS)
        if oid < 0:
            amount = cents(rng, -300, -1)  # refunds
        elif rng.chance(10):
            amount = cents(rng, -300, 2000)
        else:
            amount = cents(rng, 1, 2000)
        qty = None if rng.chance(8) else rng.between(-3, 40)
        price = eighths(rng, 0, 500)
        ratio = None if rng.chance(25) else Number(rng.choice(RATIOS))
        discount = None if rng.chance(30) else micros(rng, 0, 50)
        created = rng.choice(shared_times) if rng.chance(12) else datetime_value(rng, 2022, 2024)
        ship_date = None if status in ("new", "cancelled") or rng.chance(10) else date_value(rng, 2022, 2024)
        note = rng.choice(NOTES)
        table.add(oid, customer_id, status, tag, amount, qty, price, ratio, discount, created,
                  ship_date, note)
    return table


LABELS = ["Alpha", "alpha", "BETA", "beta", "gamma", "Ünïcode", "unicode", "🚀 launch", "", None,
          "zeta", "Éta", "eta"]


def make_events(rng):
    table = Table("events",
                  "CREATE TABLE events (id BIGINT NOT NULL PRIMARY KEY, kind VARCHAR(20) NOT NULL,"
                  " user_id INT NULL, value DOUBLE NULL, amount DECIMAL(20,6) NULL,"
                  " at DATETIME NOT NULL, day DATE NOT NULL, label VARCHAR(32) NULL) "
                  + TABLE_OPTIONS,
                  ["id", "kind", "user_id", "value", "amount", "at", "day", "label"])
    for eid in list(range(1, 21)) + list(range(1000001, 1000301)):
        if eid <= 20:
            kind = rng.choice(["legacy", "legacy", "click"])  # 'legacy' only in the low range
        else:
            kind = rng.choice(["click", "click", "view", "view", "view", "purchase", "Signup"])
        user_id = None if rng.chance(10) else rng.between(1, 60)
        value = None if rng.chance(12) else eighths(rng, -100, 1000)
        amount = None if kind not in ("purchase", "legacy") else micros(rng, -10, 5000)
        at = datetime_value(rng, 2018, 2020) if eid <= 20 else datetime_value(rng, 2024, 2024)
        day = at[:10]
        label = rng.choice(LABELS)
        table.add(eid, kind, user_id, value, amount, at, day, label)
    return table


CATEGORIES = ["alpha", "Beta", "gamma", "Delta", "éclair", "Zulu", "", None]


def make_items(rng):
    table = Table("items_by_code",
                  # A string shard key is hashed as the bytes the client sends,
                  # so its column compares bytes too (utf8mb4_bin): under a
                  # case-insensitive collation 'it-1' and 'IT-1' would be equal
                  # for the server but hash to different shards.
                  "CREATE TABLE items_by_code (code VARCHAR(32) COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,"
                  " name VARCHAR(64) NOT NULL, category VARCHAR(20) NULL, price DECIMAL(10,2) NOT NULL,"
                  " weight DOUBLE NULL, stock INT NULL, added DATE NOT NULL) " + TABLE_OPTIONS,
                  ["code", "name", "category", "price", "weight", "stock", "added"])
    # Codes are also unique under utf8mb4_general_ci, so none differs from
    # another only in case or accents.
    codes = [f"IT-{n:04d}" for n in range(1, 231)]
    codes += ["ÄÖ-1", "ÄÖ-2", "ß-1", "📦-1", "📦-2", "lower-1", "lower-2", "Mixed-Case",
              "with space", "quote'1", "x", "y", "z", "0", "00", "-1", "Ω-omega", "中-1", "é-1",
              "Z-last"]
    for code in codes:
        name = rng.choice(NAMES) or "unnamed"
        category = rng.choice(CATEGORIES)
        price = cents(rng, 0, 999)
        weight = None if rng.chance(10) else eighths(rng, 0, 80)
        stock = None if rng.chance(10) else rng.between(-5, 500)
        added = date_value(rng, 2020, 2024)
        table.add(code, name, category, price, weight, stock, added)
    return table


def sysbench_digits(rng, groups):
    return "-".join(f"{rng.below(10 ** 11):011d}" for _ in range(groups))


def make_sbtest(rng):
    # The layout of sysbench's oltp tables: c is 10 groups of 11 digits, pad 5 groups.
    table = Table("sbtest1",
                  "CREATE TABLE sbtest1 (id INT NOT NULL, k INT NOT NULL DEFAULT 0,"
                  " c CHAR(120) NOT NULL DEFAULT '', pad CHAR(60) NOT NULL DEFAULT '',"
                  " PRIMARY KEY (id), KEY k_1 (k)) " + TABLE_OPTIONS,
                  ["id", "k", "c", "pad"])
    cs = []
    for sid in range(1, 501):
        # Every ninth row repeats an earlier c, so DISTINCT c removes rows.
        c = cs[sid - 4] if sid % 9 == 0 and sid > 4 else sysbench_digits(rng, 10)
        cs.append(c)
        table.add(sid, rng.between(1, 500), c, sysbench_digits(rng, 5))
    return table


def batches(rows, rng):
    """Split ROWS into INSERT batches of 1 to 40 rows, so both single-row and split inserts run."""
    i = 0
    first = True
    while i < len(rows):
        size = 1 if first else rng.between(5, 40)
        first = False
        yield rows[i:i + size]
        i += size


def main():
    rng = SplitMix64(20240611)
    tables = [make_countries(rng), make_customers(rng), make_orders(rng), make_events(rng),
              make_items(rng), make_sbtest(rng)]

    out = sys.stdout
    out.write("-- Generated by tests/differential/gen_dataset.py; edit that script, not this file.\n")
    out.write("-- One statement per line. run.sh runs it on the reference server and through the proxy.\n")
    for table in tables:
        out.write(f"DROP TABLE IF EXISTS {table.name};\n")
    for table in tables:
        out.write(table.ddl + ";\n")
    for table in tables:
        columns = ", ".join(table.columns)
        for batch in batches(table.rows, rng):
            values = ", ".join("(" + ", ".join(sql_value(v) for v in row) + ")" for row in batch)
            out.write(f"INSERT INTO {table.name} ({columns}) VALUES {values};\n")


if __name__ == "__main__":
    main()
