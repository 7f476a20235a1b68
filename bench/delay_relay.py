#!/usr/bin/env python3
"""TCP relay on loopback that delays every chunk by a fixed time in each direction.

    bench/delay_relay.py --delay-ms 40 --map 28010:3311 [--map LISTEN:TARGET ...]

Each mapping listens on 127.0.0.1:LISTEN and connects every accepted
connection to 127.0.0.1:TARGET. A chunk read from either side is written to
the other side DELAY_MS after the relay read it, so a request and its reply
take 2 x DELAY_MS longer than without the relay. This simulates a distant
server where tc netem is not available. Byte order is kept: each direction
has a FIFO queue of (deadline, chunk) entries and one timer that writes the
entries that are due. The deadlines never decrease because the delay is
fixed and the clock is monotonic, so the relay never depends on the order
in which the event loop runs callbacks that are due at the same time.

An end of stream (half-close) is forwarded after the data queued before it.
When a side resets or fails, the other side gets the queued data and is then
closed. The relay prints one line per mapping once every listening socket is
bound, logs connection failures to standard error, and stops on SIGTERM or
SIGINT with exit status 0.

Only the Python standard library is used. The queues add no bandwidth limit,
but a direction stops reading from its source while more than
--max-queued-bytes are waiting or its destination's write buffer is full.
"""

import argparse
import asyncio
import collections
import logging
import signal
import sys
import time

HOST = "127.0.0.1"
LOG = logging.getLogger("delay_relay")


class Direction:
    """One direction of a relayed connection: a delayed FIFO from a source to a destination."""

    def __init__(self, loop, delay_s, max_queued_bytes, name):
        self.loop = loop
        self.delay_s = delay_s
        self.max_queued_bytes = max_queued_bytes
        self.name = name
        self.source = None  # transport read from
        self.destination = None  # transport written to, or None until the upstream connects
        self.queue = collections.deque()  # (deadline, chunk) pairs, chunk None for end of stream
        self.queued_bytes = 0
        self.timer = None
        self.destination_paused = False
        self.source_paused = False
        self.done = False  # end of stream delivered, or destination gone
        self.on_done = None
        self.bytes_delivered = 0

    def push(self, data):
        """Queue a chunk (bytes) or the end of stream (None), due delay_s from now."""
        if self.done:
            return
        self.queue.append((self.loop.time() + self.delay_s, data))
        if data is not None:
            self.queued_bytes += len(data)
        self._update_source_reading()
        self._schedule()

    def _schedule(self):
        if self.timer is not None or not self.queue or self.destination is None:
            return
        self.timer = self.loop.call_at(self.queue[0][0], self._deliver_due)

    def _deliver_due(self):
        self.timer = None
        if self.destination is None or self.done:
            return
        now = self.loop.time()
        while self.queue and self.queue[0][0] <= now:
            _, data = self.queue.popleft()
            if data is None:
                self._deliver_end_of_stream()
                return
            self.queued_bytes -= len(data)
            self.bytes_delivered += len(data)
            self.destination.write(data)
        self._update_source_reading()
        self._schedule()

    def _deliver_end_of_stream(self):
        if self.destination.can_write_eof():
            self.destination.write_eof()
        else:
            self.destination.close()
        self._finish()

    def _finish(self):
        self.done = True
        self.queue.clear()
        self.queued_bytes = 0
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.on_done is not None:
            self.on_done()

    def attach_destination(self, transport):
        self.destination = transport
        self._schedule()

    def destination_lost(self):
        """Drop the queue, because the destination can take no more data."""
        if not self.done:
            self._finish()

    def set_destination_paused(self, paused):
        self.destination_paused = paused
        self._update_source_reading()

    def _update_source_reading(self):
        if self.source is None or self.source.is_closing():
            return
        want_pause = self.destination_paused or self.queued_bytes > self.max_queued_bytes
        if want_pause and not self.source_paused:
            self.source.pause_reading()
            self.source_paused = True
        elif not want_pause and self.source_paused:
            self.source.resume_reading()
            self.source_paused = False


class Side(asyncio.Protocol):
    """Protocol for one socket of a relayed connection (the client's or the upstream's)."""

    def __init__(self, connection, incoming, outgoing):
        self.connection = connection
        self.incoming = incoming  # Direction whose source this socket is
        self.outgoing = outgoing  # Direction whose destination this socket is
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport
        self.incoming.source = transport

    def data_received(self, data):
        self.incoming.push(data)

    def eof_received(self):
        self.incoming.push(None)
        # Keep the socket open for writing, because the other direction may
        # still have data for this side.
        return True

    def connection_lost(self, exc):
        if exc is not None and not self.connection.closing:
            LOG.warning("connection %d: %s side lost: %s", self.connection.number,
                        self.incoming.name.split("->")[0], exc)
        self.outgoing.destination_lost()
        # Whatever this side sent before it went away is still delivered,
        # then the other side is closed.
        self.incoming.push(None)
        self.connection.side_lost()

    def pause_writing(self):
        self.outgoing.set_destination_paused(True)

    def resume_writing(self):
        self.outgoing.set_destination_paused(False)


class Connection:
    """One accepted client connection and its upstream connection."""

    def __init__(self, relay, number):
        self.relay = relay
        self.number = number
        loop = relay.loop
        self.upstream_dir = Direction(loop, relay.delay_s, relay.max_queued_bytes, "client->target")
        self.downstream_dir = Direction(loop, relay.delay_s, relay.max_queued_bytes, "target->client")
        self.upstream_dir.on_done = self._maybe_close
        self.downstream_dir.on_done = self._maybe_close
        self.client = ClientSide(self, self.upstream_dir, self.downstream_dir)
        self.upstream = None
        self.closing = False
        self.connect_task = None

    def client_connected(self):
        self.downstream_dir.attach_destination(self.client.transport)
        self.connect_task = self.relay.loop.create_task(self._connect_upstream())

    async def _connect_upstream(self):
        loop = self.relay.loop
        try:
            await loop.create_connection(self._make_upstream_side, HOST, self.relay.target_port)
        except OSError as exc:
            self.relay.report_connect_failure(exc)
            self.close()
            return
        if self.closing:
            self.upstream.transport.close()
            return
        self.upstream_dir.attach_destination(self.upstream.transport)

    def _make_upstream_side(self):
        self.upstream = Side(self, self.downstream_dir, self.upstream_dir)
        return self.upstream

    def side_lost(self):
        self._maybe_close()

    def _maybe_close(self):
        # Once both ends of stream are delivered, nothing more can flow.
        if self.upstream_dir.done and self.downstream_dir.done:
            self.close()

    def close(self):
        """Close both sockets; asyncio sends what their write buffers contain first."""
        if self.closing:
            return
        self.closing = True
        if self.connect_task is not None and not self.connect_task.done():
            self.connect_task.cancel()
        for side in (self.client, self.upstream):
            if side is not None and side.transport is not None:
                side.transport.close()
        self.relay.connections.discard(self)
        self.relay.bytes_up += self.upstream_dir.bytes_delivered
        self.relay.bytes_down += self.downstream_dir.bytes_delivered

    def abort(self):
        """Close both sockets at once, dropping queued data (shutdown)."""
        self.closing = True
        for side in (self.client, self.upstream):
            if side is not None and side.transport is not None:
                side.transport.abort()


class ClientSide(Side):
    """The accepted client's socket, whose arrival starts the upstream connect."""

    def connection_made(self, transport):
        super().connection_made(transport)
        self.connection.client_connected()


class Relay:
    """One --map entry: a listening socket and its relayed connections."""

    def __init__(self, loop, listen_port, target_port, delay_s, max_queued_bytes):
        self.loop = loop
        self.listen_port = listen_port
        self.target_port = target_port
        self.delay_s = delay_s
        self.max_queued_bytes = max_queued_bytes
        self.server = None
        self.connections = set()
        self.accepted = 0
        self.bytes_up = 0
        self.bytes_down = 0
        self.connect_failures = 0
        self._failures_unlogged = 0
        self._last_failure_log = 0.0

    def _new_client(self):
        self.accepted += 1
        connection = Connection(self, self.accepted)
        self.connections.add(connection)
        return connection.client

    async def start(self):
        self.server = await self.loop.create_server(self._new_client, HOST, self.listen_port)

    def report_connect_failure(self, exc):
        """Log a failed upstream connect, at most once a second with the count of the others."""
        self.connect_failures += 1
        now = time.monotonic()
        if now - self._last_failure_log >= 1.0:
            suffix = f" ({self._failures_unlogged} more since the last message)" if self._failures_unlogged else ""
            LOG.warning("listen=%s:%d: connect to %s:%d failed: %s%s", HOST, self.listen_port,
                        HOST, self.target_port, exc, suffix)
            self._last_failure_log = now
            self._failures_unlogged = 0
        else:
            self._failures_unlogged += 1

    def stop(self):
        if self.server is not None:
            self.server.close()
        for connection in list(self.connections):
            connection.abort()
            self.bytes_up += connection.upstream_dir.bytes_delivered
            self.bytes_down += connection.downstream_dir.bytes_delivered
        self.connections.clear()


def parse_map(text):
    listen, sep, target = text.partition(":")
    try:
        if not sep:
            raise ValueError
        ports = int(listen), int(target)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid mapping {text!r}: expected LISTEN_PORT:TARGET_PORT") from None
    for port in ports:
        if not 1 <= port <= 65535:
            raise argparse.ArgumentTypeError(f"invalid port {port} in {text!r}: expected 1..65535")
    return ports


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Relay TCP connections on 127.0.0.1 and delay every chunk by a fixed time in each direction.")
    parser.add_argument("--map", dest="maps", action="append", type=parse_map, required=True,
                        metavar="LISTEN:TARGET",
                        help="listen on 127.0.0.1:LISTEN and connect each client to 127.0.0.1:TARGET (repeatable)")
    parser.add_argument("--delay-ms", type=float, required=True,
                        help="one-way delay in milliseconds added in each direction (0..60000)")
    parser.add_argument("--max-queued-bytes", type=int, default=4 << 20,
                        help="bytes a direction may hold before it stops reading its source (default 4 MiB)")
    args = parser.parse_args(argv)
    if not 0 <= args.delay_ms <= 60000:
        parser.error(f"invalid --delay-ms {args.delay_ms}: expected 0..60000")
    if args.max_queued_bytes < 1:
        parser.error(f"invalid --max-queued-bytes {args.max_queued_bytes}: expected at least 1")
    listen_ports = [listen for listen, _ in args.maps]
    if len(set(listen_ports)) != len(listen_ports):
        parser.error("a listening port appears in more than one --map")
    return args


async def run(args):
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)

    relays = [Relay(loop, listen, target, args.delay_ms / 1000.0, args.max_queued_bytes)
              for listen, target in args.maps]
    for relay in relays:
        try:
            await relay.start()
        except OSError as exc:
            LOG.error("cannot listen on %s:%d: %s", HOST, relay.listen_port, exc)
            for started in relays:
                started.stop()
            return 1
    for relay in relays:
        print(f"relay listen={HOST}:{relay.listen_port} target={HOST}:{relay.target_port} "
              f"delay_ms={args.delay_ms:g} (each direction)", flush=True)

    await stop.wait()
    for relay in relays:
        relay.stop()
        LOG.info("stopped listen=%s:%d connections=%d connect_failures=%d bytes_to_target=%d bytes_to_clients=%d",
                 HOST, relay.listen_port, relay.accepted, relay.connect_failures, relay.bytes_up, relay.bytes_down)
    # Let the aborted transports run their connection_lost callbacks.
    await asyncio.sleep(0)
    return 0


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s delay_relay: %(message)s")
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
