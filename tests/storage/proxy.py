"""A TCP proxy the tests put between the service and PostgreSQL, to lose the database for real.

Hand-written (about 60 lines) because the test needs three behaviours on one stable port —
forward, reset (the server is gone: connections close at once) and blackhole (the network hangs:
connections open but nothing comes back) — and toxiproxy would need a separate daemon.
"""

import asyncio
import contextlib
import enum


class Mode(enum.Enum):
    FORWARD = "forward"
    RESET = "reset"
    BLACKHOLE = "blackhole"


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.mode = Mode.FORWARD

    async def start(self) -> int:
        """Listen on a free local port; return it."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    def cut(self, mode: Mode) -> None:
        """From now on behave as `mode`, and drop every open connection (the database went away)."""
        self.mode = mode
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def restore(self) -> None:
        self.mode = Mode.FORWARD

    async def close(self) -> None:
        self.cut(Mode.RESET)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.mode is Mode.RESET:
            writer.transport.abort()
            return
        self._writers.add(writer)
        if self.mode is Mode.BLACKHOLE:
            return  # held open, never answered, until cut() or close()
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.add(upstream_writer)
        for source, sink in ((reader, upstream_writer), (upstream_reader, writer)):
            task = asyncio.create_task(_pipe(source, sink))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    sink.transport.abort()
