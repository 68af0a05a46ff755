"""A TCP proxy the tests put between the service and PostgreSQL, to lose the database for real.

Hand-written (about 100 lines) because the test needs three behaviours on one stable port —
forward; reset (the server is gone: open connections break, new ones are closed at once); and
blackhole (a network partition: connections stay open, nothing gets through, new ones never
answer) — and toxiproxy would need a separate daemon. It runs its own event loop in a thread, so
it keeps serving while the test's loop is blocked (Litestar's test client runs the app's lifespan
through a blocking portal).
"""

import asyncio
import contextlib
import enum
import threading
from collections.abc import Generator
from concurrent.futures import Future
from typing import Any

from sqlalchemy.engine import make_url


class Mode(enum.Enum):
    FORWARD = "forward"
    RESET = "reset"
    BLACKHOLE = "blackhole"


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tcp-proxy", daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.mode = Mode.FORWARD
        self.port = 0

    def start(self) -> None:
        self._thread.start()
        self._call(self._listen())

    def cut(self, mode: Mode) -> None:
        """From now on behave as `mode`; RESET also breaks every open connection."""
        self._call(self._set_mode(mode))

    def restore(self) -> None:
        self._call(self._set_mode(Mode.FORWARD))

    def close(self) -> None:
        try:
            self._call(self._shutdown())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)
            self._loop.close()

    def _call(self, coroutine: Any) -> None:
        future: Future[None] = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        future.result(timeout=5)

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _set_mode(self, mode: Mode) -> None:
        self.mode = mode
        if mode is Mode.RESET:
            for writer in list(self._writers):
                writer.transport.abort()
            self._writers.clear()

    async def _shutdown(self) -> None:
        await self._set_mode(Mode.RESET)
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.mode is Mode.RESET:
            writer.transport.abort()
            return
        self._writers.add(writer)
        if self.mode is Mode.BLACKHOLE:
            return  # held open, never answered, until a reset or close
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.add(upstream_writer)
        for source, sink in ((reader, upstream_writer), (upstream_reader, writer)):
            task = asyncio.create_task(self._pipe(source, sink))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await source.read(65536):
                if self.mode is Mode.BLACKHOLE:
                    continue  # lost in the partition
                sink.write(data)
                await sink.drain()
        sink.transport.abort()


@contextlib.contextmanager
def proxied(database_url: str) -> Generator[tuple[TcpProxy, str]]:
    """A proxy in front of the server in `database_url`, and the URL that goes through it."""
    url = make_url(database_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    proxy.start()
    try:
        yield proxy, url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    finally:
        proxy.close()
