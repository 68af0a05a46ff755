"""Hand-written fakes for the ports: clocks that stand still or step, a publisher that records, a broken store.

Shared by unit, contract and HTTP tests. Assert on what they hold, not on how they were called.
"""

import asyncio
from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Final, NoReturn

from taskservice.domain.events import TaskEvent
from taskservice.domain.listing import TaskPage, TaskQuery
from taskservice.domain.task import Task, TaskDraft

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


class BrokenStore:
    """A `TaskStore` whose every call fails with `error` (or hangs, for readiness timeouts)."""

    def __init__(self, error: Exception | None = None, *, hang: bool = False) -> None:
        self.error = error or RuntimeError("the store broke")
        self.hang = hang
        self.calls = 0

    async def _fail(self) -> NoReturn:
        self.calls += 1
        if self.hang:
            await asyncio.Event().wait()
        raise self.error

    async def add(self, draft: TaskDraft, now: datetime) -> Task:  # noqa: ARG002 - the port's signature
        await self._fail()

    async def get(self, task_id: int) -> Task | None:  # noqa: ARG002 - the port's signature
        await self._fail()

    async def save(self, task: Task, expected_version: int, changed: Collection[str] | None = None) -> Task | None:  # noqa: ARG002 - the port's signature
        await self._fail()

    async def remove(self, task_id: int) -> Task | None:  # noqa: ARG002 - the port's signature
        await self._fail()

    async def list(self, query: TaskQuery) -> TaskPage:  # noqa: ARG002 - the port's signature
        await self._fail()

    async def ping(self) -> None:
        await self._fail()
