#!/usr/bin/python3
"""Com_select counters of MariaDB servers, for bench/replica_reads.sh.

  replica_reads_sample.py counters PORT...
      Print each server's Com_select on one line, in the order of the ports.
  replica_reads_sample.py sample START DURATION INTERVAL CSV PORT...
      Read every server's Com_select every INTERVAL seconds until DURATION
      seconds after START (seconds since the epoch) and write them to CSV,
      one row per sample: "t" (seconds since START), then one column per port.
      A server that cannot be reached gets an empty field.
  replica_reads_sample.py timeline CSV STOP RESTART IDLE LABELS STOPPED PRIMARY [OTHER...]
      Summarize the CSV of a run in which server STOPPED was stopped at STOP
      and started again at RESTART (seconds since the run's start). IDLE is
      STOPPED's SELECTs per second without clients (the health checks).
      LABELS names the CSV's server columns in order, separated by commas.
      PRIMARY is the primary of STOPPED's shard; OTHER are further columns
      to show.

Connects as user app over TCP to 127.0.0.1, as scripts/cluster.sh sets up.
SHOW GLOBAL STATUS counts in Com_show_status, so the sampler adds no SELECTs.
"""

import csv
import sys
import time

import pymysql

CONNECT_TIMEOUT_S = 1
READ_TIMEOUT_S = 2


def connect(port):
    return pymysql.connect(host="127.0.0.1", port=port, user="app", password="app-pass",
                           connect_timeout=CONNECT_TIMEOUT_S, read_timeout=READ_TIMEOUT_S,
                           write_timeout=READ_TIMEOUT_S)


def read_com_select(conn):
    with conn.cursor() as cursor:
        cursor.execute("SHOW GLOBAL STATUS LIKE 'Com_select'")
        return int(cursor.fetchone()[1])


def print_counters(ports):
    values = []
    for port in ports:
        conn = connect(port)
        try:
            values.append(str(read_com_select(conn)))
        finally:
            conn.close()
    print(" ".join(values))


def sample(start, duration, interval, path, ports):
    """Write one CSV row per INTERVAL until START + DURATION. A server whose
    connection failed gets a new one at each sample, so a restarted server
    shows up again."""
    conns = {port: None for port in ports}
    with open(path, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["t"] + [str(port) for port in ports])
        next_at = time.time()
        while next_at < start + duration:
            now = time.time()
            if now < next_at:
                time.sleep(next_at - now)
            row = [f"{time.time() - start:.3f}"]
            for port in ports:
                value = ""
                try:
                    if conns[port] is None:
                        conns[port] = connect(port)
                    value = str(read_com_select(conns[port]))
                except pymysql.err.MySQLError:
                    if conns[port] is not None:
                        try:
                            conns[port].close()
                        except pymysql.err.Error:
                            pass
                    conns[port] = None
                row.append(value)
            writer.writerow(row)
            out.flush()
            next_at += interval
    for conn in conns.values():
        if conn is not None:
            conn.close()


def load_rates(path):
    """Return (times, names, rates): rates[i][name] is the SELECTs per second
    between row i-1 and row i, or None when either sample is missing. A value
    below the one before means the server restarted with its counter at 0, so
    the new value is the increment."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    names = rows[0][1:]
    times, rates = [], []
    previous = None
    for row in rows[1:]:
        t = float(row[0])
        values = [int(v) if v else None for v in row[1:]]
        rate = {}
        for j, name in enumerate(names):
            if previous is None or previous[1][j] is None or values[j] is None:
                rate[name] = None
                continue
            increment = values[j] - previous[1][j]
            if increment < 0:
                increment = values[j]
            rate[name] = increment / (t - previous[0])
        times.append(t)
        rates.append(rate)
        previous = (t, values)
    return times, names, rates


def per_second(times, rates, name, second):
    """Mean rate of NAME over the samples that end in [second, second + 1);
    None when the server was unreachable for all of them."""
    values = [r[name] for t, r in zip(times, rates)
              if second <= t < second + 1 and r[name] is not None]
    return sum(values) / len(values) if values else None


def mean_rate(times, rates, name, first, last):
    values = [r[name] for t, r in zip(times, rates) if first <= t < last and r[name] is not None]
    return sum(values) / len(values) if values else 0.0


def timeline(path, stop, restart, idle, labels, stopped, primary, others):
    times, columns, rates = load_rates(path)
    if len(labels) != len(columns):
        sys.exit(f"replica_reads_sample.py: {len(labels)} labels for {len(columns)} CSV columns")
    for rate in rates:
        for column, label in zip(columns, labels):
            rate[label] = rate.pop(column)
    shown_labels = [stopped, primary] + others
    for label in shown_labels:
        if label not in labels:
            sys.exit(f"replica_reads_sample.py: {label} is not one of the labels {','.join(labels)}")

    print("reads per second (mean of the samples that end in that second; '-' = unreachable)")
    print("  second  " + "".join(f"{label:>14}" for label in shown_labels))
    for event, at in (("stop", stop), ("restart", restart)):
        for second in range(int(at) - 3, int(at) + 11):
            cells = []
            for label in shown_labels:
                value = per_second(times, rates, label, second)
                cells.append(f"{'-' if value is None else f'{value:.0f}':>14}")
            marker = f"  <- {event} at {at:.1f}s" if int(at) == second else ""
            print(f"  {second:>5}s  " + "".join(cells) + marker)
        print()

    # Rates before the stop, over the 3 s that end 0.5 s before it.
    before_stopped = mean_rate(times, rates, stopped, stop - 3.5, stop - 0.5)
    before_primary = mean_rate(times, rates, primary, stop - 3.5, stop - 0.5)
    print(f"before the stop: {stopped} {before_stopped:.0f}/s, {primary} {before_primary:.0f}/s")

    # The stopped server's counter stops growing at the first sample after
    # the stop that shows no increment or no server.
    still = next((t for t, r in zip(times, rates)
                  if t > stop and (r[stopped] is None or r[stopped] < 1)), None)
    # The shard's reads have moved when the primary's rate has risen by at
    # least half of what the stopped server served.
    moved = None
    if before_stopped >= 1:
        moved = next((t for t, r in zip(times, rates)
                      if t > stop and r[primary] is not None
                      and r[primary] >= before_primary + before_stopped / 2), None)
    # After the restart, the first sample with more than twice the health
    # checks' rate plus 10 shows the first client reads, and the first one
    # with a quarter of the rate before the stop shows the reads are back.
    first_reads = next((t for t, r in zip(times, rates)
                        if t > restart and r[stopped] is not None
                        and r[stopped] > 2 * idle + 10), None)
    back = None
    if before_stopped > 2 * idle + 10:
        back = next((t for t, r in zip(times, rates)
                     if t > restart and r[stopped] is not None
                     and r[stopped] >= before_stopped / 4), None)

    def since(t, at):
        return "n/a" if t is None else f"{t - at:.1f} s"

    print(f"stop -> {stopped} counter stops growing: {since(still, stop)}")
    print(f"stop -> {primary} takes over the reads: {since(moved, stop)}"
          + ("" if before_stopped >= 1 else f" ({stopped} served no reads before the stop)"))
    print(f"restart -> {stopped} serves its first client reads: {since(first_reads, restart)}")
    print(f"restart -> {stopped} serves a quarter of its rate before the stop: {since(back, restart)}")
    print("these times are as precise as the sampling interval")
    print(f"summary: stops_growing_s={since(still, stop).split()[0]}"
          f" moved_s={since(moved, stop).split()[0]}"
          f" first_reads_s={since(first_reads, restart).split()[0]}"
          f" quarter_back_s={since(back, restart).split()[0]}")


def main(argv):
    if len(argv) >= 2 and argv[0] == "counters":
        print_counters([int(p) for p in argv[1:]])
    elif len(argv) >= 6 and argv[0] == "sample":
        sample(float(argv[1]), float(argv[2]), float(argv[3]), argv[4], [int(p) for p in argv[5:]])
    elif len(argv) >= 8 and argv[0] == "timeline":
        timeline(argv[1], float(argv[2]), float(argv[3]), float(argv[4]), argv[5].split(","),
                 argv[6], argv[7], argv[8:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
