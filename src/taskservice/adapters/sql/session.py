"""What a unit of work runs its statements on, and what every SQL repository does with it."""

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy.sql.elements import ClauseElement

from taskservice.adapters.sql.compiled import Row
from taskservice.adapters.sql.errors import UniqueViolation

T = TypeVar("T")
Unique = tuple[str, Exception]  # a unique index, and the domain error a violation of it means


class SqlSession(Protocol):
    """One unit of work's access to the database, on one connection (sqlite.py, postgres.py).

    Statements run in autocommit until `begin`: `write=True` starts the transaction a write needs,
    `write=False` gives the following reads one snapshot. `close` rolls back what was not
    committed and gives the connection back. Driver errors arrive as errors.py says.
    """

    async def begin(self, *, write: bool) -> None: ...

    async def rows(self, statement: ClauseElement, params: Mapping[str, Any] | None = None) -> Sequence[Row]: ...

    async def commit(self) -> None: ...

    async def close(self) -> None: ...


class SqlRepository:
    """A repository inside one unit of work: its session, a write, and a read of at most one row."""

    __slots__ = ("_session",)

    def __init__(self, session: SqlSession) -> None:
        self._session = session

    async def _write(
        self, statement: ClauseElement, params: Mapping[str, Any], unique: Unique | None = None
    ) -> Sequence[Row]:
        """Run `statement` in the write transaction; a violation of `unique`'s index raises its error."""
        await self._session.begin(write=True)
        try:
            return await self._session.rows(statement, params)
        except UniqueViolation as error:
            if unique is None or error.index != unique[0]:
                raise
            raise unique[1] from None

    async def _one(self, statement: ClauseElement, params: Mapping[str, Any], read: Callable[[Row], T]) -> T | None:
        rows = await self._session.rows(statement, params)
        return read(rows[0]) if rows else None
