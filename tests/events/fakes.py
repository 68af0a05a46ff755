"""Fakes for the event tests, beyond the shared ones in tests/fakes.py."""

import asyncio
import threading
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Literal

from taskservice.adapters.memory import MemoryStore, MemoryTaskRepository, MemoryUnitOfWork
from taskservice.domain.errors import StorageUnavailable
from taskservice.domain.events import TaskEvent
from taskservice.domain.task import Task, TaskDraft
from tests.fakes import RecordingPublisher


class JournalingPublisher(RecordingPublisher):
    """The shared recording publisher, also keeping each `publish` call as one batch and writing
    "published …" to `journal`, so tests can order it against the commits of units of work."""

    def __init__(self, journal: list[str]) -> None:
        super().__init__()
        self.batches: list[list[TaskEvent]] = []
        self._journal = journal

    def publish(self, events: Sequence[TaskEvent]) -> None:
        super().publish(events)
        self.batches.append(list(events))
        self._journal.append("published " + ",".join(type(e).__name__ for e in events))

    def clear(self) -> None:
        self.events.clear()
        self.batches.clear()


class JournalingStore(MemoryStore):
    """An in-memory store whose units of work write "committed <their writes>" to `journal` when
    they commit, and which can be told to fail at the writes or at the commits (as an unreachable
    database would)."""

    def __init__(self, journal: list[str]) -> None:
        super().__init__()
        self.journal = journal
        self.failing: Literal["writes", "commits"] | None = None

    def unit_of_work(self) -> MemoryUnitOfWork:
        return JournalingUnitOfWork(self)

    def fail(self, stage: Literal["writes", "commits"]) -> None:
        if self.failing == stage:
            raise StorageUnavailable("database unreachable")


class JournalingUnitOfWork(MemoryUnitOfWork):
    def __init__(self, store: JournalingStore) -> None:
        super().__init__(store)
        self.store = store
        self.writes: list[str] = []
        self.tasks = JournalingTasks(store, self)

    async def commit(self) -> None:
        self.store.fail("commits")
        await super().commit()
        if self.writes:
            self.store.journal.append("committed " + ", ".join(self.writes))
        self.writes.clear()


class JournalingTasks(MemoryTaskRepository):
    """Notes each write in its unit of work; each read yields to other tasks before it answers, as a
    round-trip to a database would."""

    def __init__(self, store: JournalingStore, work: JournalingUnitOfWork) -> None:
        super().__init__(store, work)
        self.store = store
        self.writes = work.writes

    async def add(self, draft: TaskDraft, now: datetime, actor_id: int | None = None) -> Task:
        self.store.fail("writes")
        task = await super().add(draft, now, actor_id)
        self.writes.append(f"add {task.id}")
        return task

    async def get(self, task_id: int, *, for_update: bool = False) -> Task | None:
        task = await super().get(task_id, for_update=for_update)
        await asyncio.sleep(0)
        return task

    async def update(self, task: Task, changed: Collection[str]) -> None:
        self.store.fail("writes")
        await super().update(task, changed)
        self.writes.append(f"update {task.id}")

    async def remove(self, task_id: int) -> Task | None:
        self.store.fail("writes")
        task = await super().remove(task_id)
        if task is not None:
            self.writes.append(f"remove {task_id}")
        return task


class RecordingListener:
    """A listener that keeps what it receives and lets a test wait for it (bounded).

    Thread-safe on purpose: Litestar's AsyncTestClient runs the app (and so the dispatcher's
    workers) on its own event loop in another thread, while the test waits on its own loop.
    """

    def __init__(self) -> None:
        self.events: list[TaskEvent] = []
        self._arrived = threading.Condition()

    async def __call__(self, event: TaskEvent) -> None:
        with self._arrived:
            self.events.append(event)
            self._arrived.notify_all()

    async def wait_for(self, count: int, within: float = 5.0) -> list[TaskEvent]:
        def wait() -> bool:
            with self._arrived:
                return self._arrived.wait_for(lambda: len(self.events) >= count, within)

        if not await asyncio.to_thread(wait):
            raise TimeoutError(f"{len(self.events)} of {count} events arrived within {within} s")
        return list(self.events)


class Gate:
    """Holds listeners back until a test (on any thread or loop) opens it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open = False
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    async def wait(self) -> None:
        wake = asyncio.Event()
        with self._lock:
            if self._open:
                return
            self._waiters.append((asyncio.get_running_loop(), wake))
        await wake.wait()

    def open(self) -> None:
        with self._lock:
            self._open = True
            waiters, self._waiters = self._waiters, []
        for loop, wake in waiters:
            if not loop.is_closed():
                loop.call_soon_threadsafe(wake.set)


class HangingListener:
    """A listener that blocks on every event until the test opens its gate."""

    def __init__(self) -> None:
        self.gate = Gate()
        self._changed = threading.Condition()
        self.calls = 0
        self.cancelled = 0
        self.finished = 0

    async def __call__(self, event: TaskEvent) -> None:  # noqa: ARG002 - hangs whatever the event
        self._note("calls")
        try:
            await self.gate.wait()
        except asyncio.CancelledError:
            self._note("cancelled")
            raise
        self._note("finished")

    def _note(self, counter: str) -> None:
        with self._changed:
            setattr(self, counter, getattr(self, counter) + 1)
            self._changed.notify_all()

    async def wait_until(self, *, calls: int = 1, cancelled: int = 0, within: float = 5.0) -> None:
        """Until it has been called `calls` times and cancelled `cancelled` times (bounded)."""

        def wait() -> bool:
            with self._changed:
                return self._changed.wait_for(lambda: self.calls >= calls and self.cancelled >= cancelled, within)

        if not await asyncio.to_thread(wait):
            raise TimeoutError(f"calls={self.calls} cancelled={self.cancelled} after {within} s")


async def raising_listener(event: TaskEvent) -> None:
    raise RuntimeError(f"listener bug on {type(event).__name__}")
