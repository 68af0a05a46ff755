"""The in-memory store: per-process state, gone with the process. For tests and throw-away runs.

A unit of work that writes holds the store's lock until it ends, and keeps an undo entry per
write, so that one that leaves without committing leaves the store as it found it. Reads of other
units of work wait for that lock, so none sees what another has not committed (as on SQLite).
"""

import asyncio
from collections.abc import Callable, Collection
from datetime import datetime
from types import TracebackType
from typing import Self

import msgspec

from taskservice.adapters.memory_users import MemoryApiKeyRepository, MemoryUserRepository, UserTables
from taskservice.domain.errors import DuplicateTitle
from taskservice.domain.listing import TaskPage, TaskQuery, order_tasks
from taskservice.domain.task import Task, TaskDraft, new_task


class MemoryStore:
    """The `Store` port in a dict."""

    def __init__(self) -> None:
        self.tasks: dict[int, Task] = {}
        self.ids_by_key: dict[str, int] = {}
        self.last_id = 0
        self.people = UserTables()
        self.writer = asyncio.Lock()

    def unit_of_work(self) -> "MemoryUnitOfWork":
        return MemoryUnitOfWork(self)

    async def ping(self) -> None:
        return None

    def snapshot(self) -> list[Task]:
        """Every stored task, by id (for tests that check nothing else changed)."""
        return [msgspec.structs.replace(t) for _, t in sorted(self.tasks.items())]


class MemoryUnitOfWork:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self._undo: list[Callable[[], None]] = []
        self._writing = False
        self.tasks = MemoryTaskRepository(store, self)
        self.users = MemoryUserRepository(store.people, self)
        self.api_keys = MemoryApiKeyRepository(store.people, self)

    async def lock(self) -> None:
        if not self._writing:
            await self._store.writer.acquire()
            self._writing = True

    async def settle(self) -> None:
        """Wait until no other unit of work is writing (before a read)."""
        if not self._writing and self._store.writer.locked():
            async with self._store.writer:
                pass

    def on_rollback(self, undo: Callable[[], None]) -> None:
        self._undo.append(undo)

    async def commit(self) -> None:
        self._undo.clear()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        while self._undo:
            self._undo.pop()()
        if self._writing:
            self._writing = False
            self._store.writer.release()


class MemoryTaskRepository:
    """The `TaskRepository` port; reads wait for no one, writes hold the store's lock."""

    def __init__(self, store: MemoryStore, work: MemoryUnitOfWork) -> None:
        self._store = store
        self._work = work

    async def add(self, draft: TaskDraft, now: datetime, actor_id: int | None = None) -> Task:
        await self._work.lock()
        store = self._store
        key = draft.title.casefold()
        if key in store.ids_by_key:
            raise DuplicateTitle(draft.title)
        store.last_id += 1  # never handed back, even on rollback: ids are never reused
        task = new_task(draft, store.last_id, now, actor_id)
        self._put(task)
        return task

    async def get(self, task_id: int, *, for_update: bool = False) -> Task | None:
        await (self._work.lock() if for_update else self._work.settle())
        return self._store.tasks.get(task_id)

    async def update(self, task: Task, changed: Collection[str]) -> None:  # noqa: ARG002 - a dict stores whole tasks
        await self._work.lock()
        holder = self._store.ids_by_key.get(task.title_key)
        if holder is not None and holder != task.id:
            raise DuplicateTitle(task.title)
        self._put(task)

    async def remove(self, task_id: int) -> Task | None:
        await self._work.lock()
        task = self._store.tasks.get(task_id)
        if task is not None:
            self._drop(task)
            self._work.on_rollback(lambda: self._put(task, undoable=False))
        return task

    async def list(self, query: TaskQuery) -> TaskPage:
        await self._work.settle()
        matching = [t for t in self._store.tasks.values() if t.status in query.statuses]
        page = order_tasks(matching, query.order_by, query.order_dir)[query.offset : query.offset + query.limit]
        return TaskPage(items=page, total=len(matching), limit=query.limit, offset=query.offset)

    def _put(self, task: Task, *, undoable: bool = True) -> None:
        store = self._store
        previous = store.tasks.get(task.id)
        if previous is not None:
            self._drop(previous)
        store.tasks[task.id] = task
        store.ids_by_key[task.title_key] = task.id
        if undoable:
            self._work.on_rollback(lambda: self._restore(task, previous))

    def _drop(self, task: Task) -> None:
        del self._store.tasks[task.id]
        del self._store.ids_by_key[task.title_key]

    def _restore(self, written: Task, previous: Task | None) -> None:
        self._drop(written)
        if previous is not None:
            self._put(previous, undoable=False)
