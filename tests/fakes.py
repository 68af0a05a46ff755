"""Hand-written fakes for the ports: a clock that stands still or steps, and a publisher that records.

Shared by unit, contract and HTTP tests. Assert on what they hold, not on how they were called.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Final

from taskservice.domain.events import TaskEvent

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
