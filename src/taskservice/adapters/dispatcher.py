"""In-process event delivery, off the request path.

Every listener gets its own lane: a bounded queue drained by its own worker task. `publish` only
enqueues, so a request never waits for a listener; and because lanes are independent, a slow or
hanging listener delays only its own lane, never the other listeners' deliveries. Each listener
sees the events in publication order; there is no order between listeners.

Guarantees (docs/events.md): at-most-once, in-process. A listener call that raises or runs past
`listener_timeout` is logged once (with the event's id and type) and skipped. When a lane's queue
is full the new event is dropped for that listener rather than slowing the request down: the first
drop of an overflow is logged with the event, the number dropped is logged when the lane accepts
again and in the shutdown summary. Events still queued when the process dies are lost.

Hand-written rather than Litestar's `SimpleEventEmitter`, which buffers without bound, starts
every listener call as a concurrent task (no per-listener order), has no timeout, and waits
without bound for running listeners at shutdown.
"""

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Final

import structlog

from taskservice.domain.events import TaskEvent

# An async function, awaited as its own task under the timeout; or a plain function for work that
# is quick and never blocks (a log line), called in its lane directly: no task and no timer per
# event, which were a tenth of a create's CPU (docs/performance.md).
Listener = Callable[[TaskEvent], Awaitable[None] | None]
Registry = Mapping[type[TaskEvent], Sequence[Listener]]

LOGGER_NAME: Final = "taskservice.events.dispatcher"


def _log() -> structlog.stdlib.BoundLogger:
    # Looked up per use, not cached at import: a logger cached before logging is configured
    # (or before a test captures logs) would keep the old pipeline.
    return structlog.stdlib.get_logger(LOGGER_NAME)


def listener_name(listener: Listener) -> str:
    """A function's qualified name, or the class name of a callable object."""
    name = getattr(listener, "__qualname__", None)
    return name if isinstance(name, str) else type(listener).__qualname__


def _about(event: TaskEvent) -> dict[str, object]:
    return {
        "event_type": type(event).__name__,
        "event_id": str(event.event_id),
        "task_id": event.task.id,
        "request_id": event.request_id,
    }


class _Lane:
    """One listener's queue and worker."""

    def __init__(self, listener: Listener, *, queue_size: int, timeout: float) -> None:
        self.listener = listener
        self.name = listener_name(listener)
        self.queue: asyncio.Queue[TaskEvent] = asyncio.Queue(maxsize=queue_size)
        self.timeout = timeout
        self.worker: asyncio.Task[None] | None = None
        # When each event not yet delivered (queued or in flight) was accepted, oldest first.
        self.accepted_at: deque[float] = deque()
        self.delivered = 0
        self.failed = 0
        self.dropped = 0
        self._overflow = 0  # drops since the queue last accepted an event
        # Timed-out listener calls that were cancelled but not awaited (see `_settle`).
        self.abandoned: set[asyncio.Task[None]] = set()

    def offer(self, event: TaskEvent) -> None:
        try:
            self.queue.put_nowait(event)
            self.accepted_at.append(time.monotonic())
        except asyncio.QueueFull:
            self.dropped += 1
            self._overflow += 1
            if self._overflow == 1:
                _log().warning(
                    "event_dropped",
                    reason="queue_full",
                    listener=self.name,
                    queue_size=self.queue.maxsize,
                    dropped_total=self.dropped,
                    **_about(event),
                )
            return
        if self._overflow:
            _log().warning(
                "event_queue_recovered", listener=self.name, dropped=self._overflow, dropped_total=self.dropped
            )
            self._overflow = 0

    async def run(self) -> None:
        queue = self.queue
        while True:
            event = await queue.get()
            # Then whatever else is queued, without a `queue.get()` coroutine per event: a plain
            # listener is called right here, so a burst costs no await at all (~2 µs per event).
            while True:
                try:
                    call = self._call(event)
                    if call is not None:
                        await self._settle(event, call)
                finally:
                    self.accepted_at.popleft()
                    queue.task_done()
                if queue.empty():
                    break
                event = queue.get_nowait()

    def _call(self, event: TaskEvent) -> asyncio.Task[None] | None:
        """Call the listener: a plain one is done when it returns; an async one's call is returned
        as a future for `_settle` to await under the timeout."""
        try:
            result = self.listener(event)
            if result is None:
                self.delivered += 1
                return None
            return asyncio.ensure_future(result)
        except Exception as error:  # noqa: BLE001 - the listener failed before it was even awaited
            self._failed(event, error)
            return None

    async def _settle(self, event: TaskEvent, call: asyncio.Task[None]) -> None:
        # The call runs as its own task so that a timeout can abandon it: `asyncio.wait_for` would
        # wait for the cancelled call to finish, and a listener that ignores or slowly handles
        # cancellation would then hold up this lane for ever.
        try:
            done, _ = await asyncio.wait({call}, timeout=self.timeout)
        except asyncio.CancelledError:
            call.cancel()
            raise
        if not done:
            call.cancel()
            self.abandoned.add(call)
            call.add_done_callback(self._forget)
            self.failed += 1
            _log().error("event_listener_timed_out", listener=self.name, timeout_s=self.timeout, **_about(event))
            return
        if call.cancelled():
            self._failed(event, asyncio.CancelledError())
        elif (error := call.exception()) is not None:
            self._failed(event, error)
        else:
            self.delivered += 1

    def _failed(self, event: TaskEvent, error: BaseException) -> None:
        self.failed += 1
        # The one line for this failure; it carries the traceback.
        _log().error("event_listener_failed", listener=self.name, exc_info=error, **_about(event))

    def _forget(self, call: asyncio.Task[None]) -> None:
        self.abandoned.discard(call)
        if not call.cancelled():
            call.exception()  # retrieved, so asyncio does not log it a second time


class EventDispatcher:
    """Implements the `EventPublisher` port. `start` and `stop` belong to the app's lifespan.

    Events published before `start` wait in their lanes and are delivered once it runs; events
    published after `stop` are dropped (and logged), never left in a queue nobody drains.
    """

    def __init__(self, registry: Registry, *, queue_size: int = 10_000, listener_timeout: float = 5.0) -> None:
        self._registry = registry
        self._lanes: dict[int, _Lane] = {}
        for listeners in registry.values():
            for listener in listeners:
                if id(listener) not in self._lanes:
                    self._lanes[id(listener)] = _Lane(listener, queue_size=queue_size, timeout=listener_timeout)
        self._stopped = False

    @property
    def delivered(self) -> int:
        return sum(lane.delivered for lane in self._lanes.values())

    @property
    def failed(self) -> int:
        return sum(lane.failed for lane in self._lanes.values())

    @property
    def dropped(self) -> int:
        return sum(lane.dropped for lane in self._lanes.values())

    def backlog(self) -> list[tuple[str, int, float]]:
        """Per listener, for the metrics: its name, the events it has not had yet, the oldest's age (s)."""
        now, lanes = time.monotonic(), self._lanes.values()
        return [(lane.name, len(lane.accepted_at), now - (lane.accepted_at or [now])[0]) for lane in lanes]

    def publish(self, events: Sequence[TaskEvent]) -> None:
        for event in events:
            listeners = self._registry.get(type(event), ())
            if self._stopped:
                for listener in listeners:
                    self._lanes[id(listener)].dropped += 1
                _log().warning("event_dropped", reason="dispatcher_stopped", listeners=len(listeners), **_about(event))
                continue
            for listener in listeners:
                self._lanes[id(listener)].offer(event)

    async def start(self) -> None:
        self._stopped = False
        for lane in self._lanes.values():
            if lane.worker is None:
                lane.worker = asyncio.create_task(lane.run(), name=f"event-listener:{lane.name}")

    async def stop(self, drain_timeout: float = 5.0) -> None:
        """Stop accepting events, deliver what is queued within `drain_timeout`, stop the workers."""
        self._stopped = True
        lanes = [lane for lane in self._lanes.values() if lane.worker is not None]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + drain_timeout
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout_at(deadline):
                await asyncio.gather(*(lane.queue.join() for lane in lanes))
        undelivered = 0
        workers: list[asyncio.Task[None]] = []
        for lane in lanes:
            if left := len(lane.accepted_at):
                undelivered += left
                _log().warning("events_undelivered_at_shutdown", listener=lane.name, count=left)
            if lane.worker is not None:
                lane.worker.cancel()
                workers.append(lane.worker)
                lane.worker = None
        await asyncio.gather(*workers, return_exceptions=True)
        abandoned = {call for lane in lanes for call in lane.abandoned}
        if abandoned:
            # Already cancelled on timeout; give them what is left of the deadline to unwind.
            await asyncio.wait(abandoned, timeout=max(0.0, deadline - loop.time()))
        _log().info(
            "event_dispatcher_stopped",
            delivered=self.delivered,
            failed=self.failed,
            dropped=self.dropped,
            undelivered=undelivered,
        )
