"""Hand-written stores that misbehave in one way each, for the logging and probe tests."""

import asyncio
import logging

from taskservice.adapters.memory import InMemoryTaskRepository
from taskservice.domain.task import Task


class CrashingOnGet(InMemoryTaskRepository):
    """`get` fails with an unexpected error: every GET /v1/tasks/{id} is a 500."""

    async def get(self, task_id: int) -> Task | None:
        raise RuntimeError(f"disk on fire while reading {task_id}")


class ChattyOnGet(InMemoryTaskRepository):
    """`get` logs through a library's stdlib logger, as SQLAlchemy would while serving a request."""

    async def get(self, task_id: int) -> Task | None:
        logging.getLogger("sqlalchemy.pool").error("connection %s recycled", task_id)
        return await super().get(task_id)


class HangingPing(InMemoryTaskRepository):
    """The database never answers a round-trip."""

    async def ping(self) -> None:
        await asyncio.Event().wait()


class FailingPing(InMemoryTaskRepository):
    async def ping(self) -> None:
        raise ConnectionRefusedError("connection refused")
