"""What the SQL store's functions run their statements on, whichever path executes them."""

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy.sql.elements import ClauseElement

Row = Sequence[Any]


class StatementRunner(Protocol):
    """Executes one Core statement inside the current transaction and returns its rows as tuples."""

    def rows(self, statement: ClauseElement, params: Mapping[str, Any] | None = None) -> Sequence[Row]: ...
