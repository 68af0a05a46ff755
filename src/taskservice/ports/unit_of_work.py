"""One atomic piece of work over the stores: every repository it needs, one commit.

A use case opens a unit of work, reaches each repository through it, and commits once; whatever
it did is undone if it leaves without committing (an error, a no-op). Events of the work are
published by the use case after `commit` returns, never before. A new table in the same
transaction (an event log, idempotency keys) is one more repository attribute here.
"""

from types import TracebackType
from typing import Protocol, Self

from taskservice.ports.repository import HealthCheck, TaskRepository
from taskservice.ports.users import ApiKeyRepository, UserRepository


class UnitOfWork(Protocol):
    @property
    def tasks(self) -> TaskRepository: ...

    @property
    def users(self) -> UserRepository: ...

    @property
    def api_keys(self) -> ApiKeyRepository: ...

    async def commit(self) -> None:
        """Make everything written so far durable, at once; the unit of work may go on reading."""
        ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Undo whatever was not committed, and give back what the unit of work held."""
        ...


class Store(HealthCheck, Protocol):
    """Where the units of work run: memory, the SQLite file or PostgreSQL."""

    def unit_of_work(self) -> UnitOfWork: ...
