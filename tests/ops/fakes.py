"""Hand-written stores that misbehave in one way each, for the logging and probe tests."""

import asyncio
import logging

from taskservice.adapters.memory import MemoryStore, MemoryTaskRepository, MemoryUnitOfWork
from taskservice.domain.task import Task


class _CrashingTasks(MemoryTaskRepository):
    async def get(self, task_id: int, *, for_update: bool = False) -> Task | None:  # noqa: ARG002 - the port's signature
        raise RuntimeError(f"disk on fire while reading {task_id}")


class _ChattyTasks(MemoryTaskRepository):
    async def get(self, task_id: int, *, for_update: bool = False) -> Task | None:
        logging.getLogger("sqlalchemy.pool").error("connection %s recycled", task_id)
        return await super().get(task_id, for_update=for_update)


class CrashingOnGet(MemoryStore):
    """`get` fails with an unexpected error: every GET /v1/tasks/{id} is a 500."""

    def unit_of_work(self) -> MemoryUnitOfWork:
        work = super().unit_of_work()
        work.tasks = _CrashingTasks(self, work)
        return work


class ChattyOnGet(MemoryStore):
    """`get` logs through a library's stdlib logger, as SQLAlchemy would while serving a request."""

    def unit_of_work(self) -> MemoryUnitOfWork:
        work = super().unit_of_work()
        work.tasks = _ChattyTasks(self, work)
        return work


class HangingPing(MemoryStore):
    """The database never answers a round-trip."""

    async def ping(self) -> None:
        await asyncio.Event().wait()


class FailingPing(MemoryStore):
    async def ping(self) -> None:
        raise ConnectionRefusedError("connection refused")
