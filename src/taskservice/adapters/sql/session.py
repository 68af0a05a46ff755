"""What a unit of work runs its statements on: one connection's worth of one transaction."""

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy.sql.elements import ClauseElement

from taskservice.adapters.sql.compiled import Row


class SqlSession(Protocol):
    """One unit of work's access to the database, on one connection.

    Statements run in autocommit until `begin`: a single read costs one round trip and no
    transaction. `begin(write=True)` starts the transaction a write needs (it holds the write
    lock on SQLite, and row locks taken by `FOR UPDATE` on PostgreSQL, until it ends);
    `begin(write=False)` gives the following reads one snapshot. `close` rolls back whatever
    was not committed and gives the connection back. Driver errors arrive as `errors.py` says.
    """

    async def begin(self, *, write: bool) -> None: ...

    async def rows(self, statement: ClauseElement, params: Mapping[str, Any] | None = None) -> Sequence[Row]: ...

    async def commit(self) -> None: ...

    async def close(self) -> None: ...
