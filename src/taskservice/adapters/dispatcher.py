"""In-process event delivery: a bounded queue drained by one worker task, off the request path.

Delivery is at-most-once and in publication order; events still queued when the process
dies are lost (docs/events.md describes the outbox path to at-least-once). When the queue is
full, new events are dropped rather than slowing requests down: each drop is logged and counted.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping, Sequence

import structlog

from taskservice.domain.events import TaskEvent

Listener = Callable[[TaskEvent], Awaitable[None]]
Registry = Mapping[type[TaskEvent], Sequence[Listener]]

_log = structlog.get_logger("taskservice.events")


class EventDispatcher:
    """Implements the `EventPublisher` port. `start` and `stop` belong to the app's lifespan."""

    def __init__(self, registry: Registry, *, queue_size: int = 10_000, listener_timeout: float = 5.0) -> None:
        self._registry = registry
        self._queue: asyncio.Queue[TaskEvent] = asyncio.Queue(maxsize=queue_size)
        self._listener_timeout = listener_timeout
        self._worker: asyncio.Task[None] | None = None
        self.dropped = 0
        self.failed = 0

    def publish(self, events: Sequence[TaskEvent]) -> None:
        for event in events:
            try:
                self._queue.put_nowait(event)
            except asyncio.QueueFull:
                self.dropped += 1
                _log.warning(
                    "event_dropped",
                    reason="queue full",
                    event_type=type(event).__name__,
                    event_id=str(event.event_id),
                    dropped_total=self.dropped,
                )

    async def start(self) -> None:
        if self._worker is None:
            self._worker = asyncio.create_task(self._drain(), name="event-dispatcher")

    async def stop(self, drain_timeout: float = 5.0) -> None:
        """Deliver what is queued (within `timeout`), then stop the worker."""
        if self._worker is None:
            return
        try:
            await asyncio.wait_for(self._queue.join(), drain_timeout)
        except TimeoutError:
            _log.warning("events_undelivered_at_shutdown", count=self._queue.qsize())
        self._worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._worker
        self._worker = None

    async def _drain(self) -> None:
        while True:
            event = await self._queue.get()
            try:
                for listener in self._registry.get(type(event), ()):
                    await self._deliver(listener, event)
            finally:
                self._queue.task_done()

    async def _deliver(self, listener: Listener, event: TaskEvent) -> None:
        try:
            await asyncio.wait_for(listener(event), self._listener_timeout)
        except Exception:  # noqa: BLE001 - a listener's failure must never reach the others
            self.failed += 1
            _log.exception(
                "event_listener_failed",
                listener=getattr(listener, "__qualname__", repr(listener)),
                event_type=type(event).__name__,
                event_id=str(event.event_id),
            )
