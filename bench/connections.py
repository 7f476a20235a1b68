"""Hold many client connections open through shardproxy and run a light load over them.

Run by bench/connections.sh, which starts the shards and the proxy and passes their ports.
This script only connects to the given loopback ports, reads the proxy's /proc status,
and never starts or stops a process. Every loop is bounded in count and time.

It loads a table through the proxy and measures the proxy's resident memory (VmRSS)
before and with all clients connected. Then it runs rounds in which every client
connection runs one point select and one scatter read, and a timed phase in which threads
take turns over the connections. A sampler thread reads each shard's Threads_connected
once a second. Every result is checked against the data that was loaded. Exits 1 when a
check fails.
"""

import argparse
import concurrent.futures
import random
import sys
import threading
import time

import pymysql

USER = "app"
PASSWORD = "app-pass"
DATABASE = "sbtest"
TABLE = "sbtest1"
INSERT_BATCH_ROWS = 500
# A k range this wide matches exactly this many rows, because k is a permutation of the ids.
SCATTER_WIDTH = 10
WARMUP_CONNECTIONS = 20
CONNECT_THREADS = 16
CONNECT_TIMEOUT_S = 10
READ_TIMEOUT_S = 30
# Upper bound on turns per thread in the timed phase, so the loop ends even if the clock stalls.
MAX_TURNS_PER_THREAD = 1_000_000
# Distinct error messages kept for the report. Every error is counted.
MAX_ERROR_SAMPLES = 5


def k_of(row_id, rows):
    """Return the k column of ROW_ID, a permutation of 1..ROWS unless the prime 7919 divides ROWS."""
    return (row_id * 7919) % rows + 1


def c_of(row_id):
    return f"{row_id:010d}-" + "x" * 40


def connect_proxy(port):
    # autocommit=True matches the proxy's greeting, so PyMySQL sends no SET autocommit,
    # which would pin backend connections to the session.
    return pymysql.connect(host="127.0.0.1", port=port, user=USER, password=PASSWORD,
                           database=DATABASE, autocommit=True,
                           connect_timeout=CONNECT_TIMEOUT_S, read_timeout=READ_TIMEOUT_S,
                           write_timeout=READ_TIMEOUT_S)


def connect_shard(port):
    return pymysql.connect(host="127.0.0.1", port=port, user=USER, password=PASSWORD,
                           autocommit=True, connect_timeout=CONNECT_TIMEOUT_S,
                           read_timeout=READ_TIMEOUT_S)


def query_all(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def proxy_rss_bytes(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"VmRSS not found in /proc/{pid}/status")


def proxy_alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


class ErrorLog:
    """Thread-safe count of failed statements, with the first distinct messages."""

    def __init__(self):
        self.lock = threading.Lock()
        self.count = 0
        self.samples = {}

    def add(self, message):
        with self.lock:
            self.count += 1
            if message in self.samples:
                self.samples[message] += 1
            elif len(self.samples) < MAX_ERROR_SAMPLES:
                self.samples[message] = 1


class Workload:
    """The two checked statements: a point select by id and a merged scatter read by k."""

    def __init__(self, rows, errors):
        self.rows = rows
        self.errors = errors
        self.id_of_k = {k_of(row_id, rows): row_id for row_id in range(1, rows + 1)}

    def point_select(self, conn, rng):
        row_id = rng.randint(1, self.rows)
        try:
            got = query_all(conn, f"SELECT id, k, c FROM {TABLE} WHERE id = {row_id}")
        except pymysql.MySQLError as exc:
            self.errors.add(f"point select: {exc!r}")
            return
        expected = ((row_id, k_of(row_id, self.rows), c_of(row_id)),)
        if got != expected:
            self.errors.add(f"point select id={row_id}: wrong result {got!r:.200}")

    def scatter_read(self, conn, rng):
        low = rng.randint(1, self.rows - SCATTER_WIDTH + 1)
        high = low + SCATTER_WIDTH - 1
        try:
            got = query_all(conn, f"SELECT id FROM {TABLE} WHERE k BETWEEN {low} AND {high} ORDER BY id")
        except pymysql.MySQLError as exc:
            self.errors.add(f"scatter read: {exc!r}")
            return
        expected = tuple((row_id,) for row_id in sorted(self.id_of_k[k] for k in range(low, high + 1)))
        if got != expected:
            self.errors.add(f"scatter read k={low}..{high}: wrong result {got!r:.200}")

    def turn(self, conn, rng):
        self.point_select(conn, rng)
        self.scatter_read(conn, rng)


class ThreadsConnectedSampler(threading.Thread):
    """Thread that reads each shard's Threads_connected once a second and keeps the maximum."""

    def __init__(self, shard_ports, max_seconds):
        super().__init__(daemon=True)
        self.shard_ports = shard_ports
        self.max_seconds = max_seconds
        self.stop_event = threading.Event()
        self.maximum = [0] * len(shard_ports)
        self.samples = 0
        self.failures = []

    def run(self):
        try:
            conns = [connect_shard(port) for port in self.shard_ports]
        except pymysql.MySQLError as exc:
            self.failures.append(f"connect: {exc!r}")
            return
        deadline = time.monotonic() + self.max_seconds
        try:
            while not self.stop_event.is_set() and time.monotonic() < deadline:
                for index, conn in enumerate(conns):
                    try:
                        value = int(query_all(conn, "SHOW GLOBAL STATUS LIKE 'Threads_connected'")[0][1])
                    except pymysql.MySQLError as exc:
                        self.failures.append(f"shard {index}: {exc!r}")
                        continue
                    self.maximum[index] = max(self.maximum[index], value)
                self.samples += 1
                self.stop_event.wait(1.0)
        finally:
            for conn in conns:
                conn.close()


def load_table(port, rows):
    conn = connect_proxy(port)
    try:
        with conn.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {TABLE}")
            cur.execute(f"CREATE TABLE {TABLE} (id INT NOT NULL PRIMARY KEY, k INT NOT NULL,"
                        " c CHAR(120) NOT NULL, pad CHAR(60) NOT NULL, KEY k_1 (k))")
            for start in range(1, rows + 1, INSERT_BATCH_ROWS):
                stop = min(start + INSERT_BATCH_ROWS, rows + 1)
                values = ",".join(f"({i},{k_of(i, rows)},'{c_of(i)}','pad')" for i in range(start, stop))
                cur.execute(f"INSERT INTO {TABLE} (id, k, c, pad) VALUES {values}")
        return query_all(conn, f"SELECT COUNT(*) FROM {TABLE}")[0][0]
    finally:
        conn.close()


def shard_row_counts(shard_ports):
    counts = []
    for port in shard_ports:
        conn = connect_shard(port)
        try:
            counts.append(query_all(conn, f"SELECT COUNT(*) FROM {DATABASE}.{TABLE}")[0][0])
        finally:
            conn.close()
    return counts


def open_clients(port, count, errors):
    """Open COUNT connections in parallel. Failed ones count as errors and are left out."""

    def open_one(_):
        try:
            return connect_proxy(port)
        except pymysql.MySQLError as exc:
            errors.add(f"connect: {exc!r}")
            return None

    with concurrent.futures.ThreadPoolExecutor(CONNECT_THREADS) as pool:
        conns = list(pool.map(open_one, range(count)))
    return [conn for conn in conns if conn is not None]


def run_threads(target, slices):
    threads = [threading.Thread(target=target, args=(index, part)) for index, part in enumerate(slices)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def run_round(conns, threads, workload, seed):
    """Run one turn on every connection, with THREADS threads sharing the connections."""

    def worker(index, part):
        rng = random.Random(seed * 1000 + index)
        for conn in part:
            workload.turn(conn, rng)

    run_threads(worker, [conns[i::threads] for i in range(threads)])


def run_timed(conns, threads, workload, seconds, seed):
    """Run turns from THREADS threads, each cycling over its share of the connections, for SECONDS.

    Returns the number of turns run.
    """
    turns = [0] * threads
    deadline = time.monotonic() + seconds

    def worker(index, part):
        rng = random.Random(seed * 1000 + index)
        for turn in range(MAX_TURNS_PER_THREAD):
            if time.monotonic() >= deadline:
                break
            workload.turn(part[turn % len(part)], rng)
            turns[index] += 1

    run_threads(worker, [conns[i::threads] for i in range(threads)])
    return sum(turns)


def settle_rss(pid):
    # The proxy frees a closed session on its next loop iteration, so wait a moment first.
    time.sleep(1.0)
    return proxy_rss_bytes(pid)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proxy-port", type=int, required=True)
    parser.add_argument("--proxy-pid", type=int, required=True)
    parser.add_argument("--shard-ports", type=int, nargs="+", required=True)
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--rounds", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True, help="length of the timed phase in seconds")
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--max-backends", type=int, required=True,
                        help="largest Threads_connected allowed on a shard")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    return parser.parse_args()


def main():
    args = parse_args()
    errors = ErrorLog()
    failures = []
    workload = Workload(args.rows, errors)
    started = time.monotonic()
    print(f"seed {args.seed}")

    total = load_table(args.proxy_port, args.rows)
    per_shard = shard_row_counts(args.shard_ports)
    print(f"loaded {TABLE}: {total} rows through the proxy, per shard {per_shard}")
    if total != args.rows or sum(per_shard) != args.rows:
        failures.append(f"table holds {total} rows through the proxy and {sum(per_shard)} on the shards,"
                        f" expected {args.rows}")

    rng = random.Random(args.seed)
    for _ in range(WARMUP_CONNECTIONS):
        conn = connect_proxy(args.proxy_port)
        workload.turn(conn, rng)
        conn.close()
    rss_before = settle_rss(args.proxy_pid)

    sampler = ThreadsConnectedSampler(args.shard_ports, max_seconds=args.seconds + 120)
    sampler.start()

    phase = time.monotonic()
    conns = open_clients(args.proxy_port, args.clients, errors)
    connect_s = time.monotonic() - phase
    rss_idle = settle_rss(args.proxy_pid)
    print(f"opened {len(conns)} of {args.clients} connections in {connect_s:.1f} s")
    if not conns:
        print("FAILED: no client connection could be opened:", file=sys.stderr)
        for message, count in errors.samples.items():
            print(f"  {count} x {message}", file=sys.stderr)
        return 1

    # A thread without a connection of its own would have nothing to run.
    threads = min(args.threads, len(conns))
    phase = time.monotonic()
    for round_number in range(args.rounds):
        run_round(conns, threads, workload, args.seed + round_number)
    rounds_s = time.monotonic() - phase
    rss_used = settle_rss(args.proxy_pid)
    round_statements = args.rounds * len(conns) * 2
    print(f"rounds: {args.rounds} x {len(conns)} connections x 2 statements = {round_statements}"
          f" in {rounds_s:.1f} s ({round_statements / rounds_s:.0f} statements/s)")

    phase = time.monotonic()
    turns = run_timed(conns, threads, workload, args.seconds, args.seed + args.rounds)
    timed_s = time.monotonic() - phase
    print(f"timed phase: {threads} threads, {turns * 2} statements in {timed_s:.1f} s"
          f" ({turns * 2 / timed_s:.0f} statements/s)")

    sampler.stop_event.set()
    sampler.join()
    for conn in conns:
        conn.close()
    rss_closed = settle_rss(args.proxy_pid)

    alive = proxy_alive(args.proxy_pid)
    if alive:
        try:
            conn = connect_proxy(args.proxy_port)
            alive = query_all(conn, "SELECT 1") == ((1,),)
            conn.close()
        except pymysql.MySQLError as exc:
            failures.append(f"the proxy accepts no new connection after the run: {exc!r}")
            alive = False

    mib = 1024 * 1024
    print("== summary")
    print(f"proxy VmRSS: before {rss_before / mib:.1f} MiB,"
          f" {len(conns)} idle clients {rss_idle / mib:.1f} MiB,"
          f" after the load (still connected) {rss_used / mib:.1f} MiB,"
          f" after close {rss_closed / mib:.1f} MiB")
    print(f"bytes per idle client connection: {(rss_idle - rss_before) / len(conns):.0f} (never used),"
          f" {(rss_used - rss_before) / len(conns):.0f} (after running statements)")
    print(f"max Threads_connected per shard: {sampler.maximum} over {sampler.samples} samples,"
          f" bound {args.max_backends}")
    print(f"statements: {round_statements + turns * 2}, errors: {errors.count}")
    for message, count in errors.samples.items():
        print(f"  {count} x {message}")
    print(f"proxy alive at the end: {'yes' if alive else 'no'}")
    print(f"duration of the client part: {time.monotonic() - started:.1f} s")

    if errors.count:
        failures.append(f"{errors.count} statements or connections failed")
    if sampler.failures:
        failures.append(f"Threads_connected sampling failed: {sampler.failures[:3]}")
    if sampler.samples == 0:
        failures.append("no Threads_connected sample was taken")
    for index, value in enumerate(sampler.maximum):
        if value > args.max_backends:
            failures.append(f"shard {index} had {value} connections, more than the bound {args.max_backends}")
    if not alive:
        failures.append("the proxy is not running at the end")
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
