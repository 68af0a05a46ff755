"""Hand-written fakes for the ports: clocks that stand still or step, a publisher that records, stores
that misbehave, and `make_task`.

Shared by unit, contract and HTTP tests. Assert on what they hold, not on how they were called.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Final, NoReturn

from taskservice.adapters.memory import MemoryStore, MemoryTaskRepository, MemoryUnitOfWork
from taskservice.domain.events import TaskEvent
from taskservice.domain.task import Task, TaskStatus

T0: Final = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


class FixedClock:
    """Always the same instant, until a test moves it with `set` or `advance`."""

    def __init__(self, now: datetime = T0) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def set(self, now: datetime) -> None:
        self.current = now

    def advance(self, delta: timedelta = timedelta(seconds=1)) -> datetime:
        self.current += delta
        return self.current


class SteppingClock:
    """Each call returns `step` later than the one before: every write gets its own instant."""

    def __init__(self, start: datetime = T0, step: timedelta = timedelta(seconds=1)) -> None:
        self._next = start
        self.step = step

    def now(self) -> datetime:
        current = self._next
        self._next += self.step
        return current


class RecordingPublisher:
    """Implements the `EventPublisher` port by keeping every published event, in order."""

    def __init__(self) -> None:
        self.events: list[TaskEvent] = []

    def publish(self, events: Sequence[TaskEvent]) -> None:
        self.events.extend(events)

    def types(self) -> list[str]:
        return [type(event).__name__ for event in self.events]


def make_task(**overrides: object) -> Task:
    """A stored task with every field set, `overrides` replacing any of them."""
    fields: dict[str, object] = {
        "id": 1,
        "title": "Write the report",
        "description": None,
        "status": TaskStatus.NEW,
        "priority": 3,
        "created_at": T0,
        "updated_at": T0,
        "version": 1,
        "created_by": None,
        "updated_by": None,
    }
    fields.update(overrides)
    return Task(**fields)  # pyright: ignore[reportArgumentType]


def store_with(repository: type[MemoryTaskRepository]) -> MemoryStore:
    """An in-memory store whose units of work reach their tasks through `repository` (a subclass
    that misbehaves in some way)."""

    class Work(MemoryUnitOfWork):
        def __init__(self, store: MemoryStore) -> None:
            super().__init__(store)
            self.tasks = repository(store, self)

    class Store(MemoryStore):
        def unit_of_work(self) -> MemoryUnitOfWork:
            return Work(self)

    return Store()


class BrokenStore(MemoryStore):
    """A `Store` whose every task call and ping fails with `error` (or hangs, for readiness timeouts).

    Its users and API keys still work, so that a test's caller can authenticate and reach the
    failing task calls.
    """

    def __init__(self, error: Exception | None = None, *, hang: bool = False) -> None:
        super().__init__()
        self.error = error or RuntimeError("the store broke")
        self.hang = hang
        self.calls = 0

    async def fail(self) -> NoReturn:
        self.calls += 1
        if self.hang:
            await asyncio.Event().wait()
        raise self.error

    def unit_of_work(self) -> MemoryUnitOfWork:
        return _BrokenWork(self)

    async def ping(self) -> None:
        await self.fail()


class _BrokenTasks:
    """A task repository whose every method fails."""

    def __init__(self, store: BrokenStore) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Callable[..., Awaitable[NoReturn]]:
        async def failing(*_: object, **__: object) -> NoReturn:
            await self._store.fail()

        return failing


class _BrokenWork(MemoryUnitOfWork):
    def __init__(self, store: BrokenStore) -> None:
        super().__init__(store)
        self.tasks = _BrokenTasks(store)  # pyright: ignore[reportAttributeAccessIssue]
