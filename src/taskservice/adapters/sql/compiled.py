"""SQLAlchemy Core statements compiled once per dialect, for the drivers (sqlite3, asyncpg) to run.

SQLAlchemy's engine cost more than the rest of a request (docs/performance.md); this keeps what
it would add: the dialect's SQL, the driver's parameter style, and SQLAlchemy's type processors.
"""

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import bindparam
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, ClauseElement, ColumnElement

Row = Sequence[Any]
Processor = Callable[[Any], Any]


class Compiled:
    """One statement's SQL text and how to turn named values into the driver's parameters."""

    __slots__ = ("binds", "defaults", "positions", "results", "sql")

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
        self.sql: str = compiled.string
        # asyncpg takes `$1, $2, ...`: the names in that order; sqlite3 takes the names themselves.
        self.positions: tuple[str, ...] | None = tuple(compiled.positiontup or ()) if dialect.positional else None
        self.binds: dict[str, Processor] = {}
        self.defaults: dict[str, Any] = {}  # values fixed in the statement (`literal(1)`, SQLite's OFFSET 0)
        bind_names: dict[BindParameter[Any], str] = compiled.bind_names
        for bind, name in bind_names.items():
            if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None:
                self.binds[name] = processor
            if not bind.required:
                self.defaults[name] = bind.effective_value
        columns: Sequence[ColumnElement[Any]] = getattr(statement, "exported_columns", ())
        self.results: tuple[tuple[int, Processor], ...] = tuple(
            (index, processor)
            for index, column in enumerate(columns)
            if (processor := _result_processor(column, dialect)) is not None
        )

    def parameters(self, params: Mapping[str, Any]) -> Any:
        """The driver's parameters: a dict for named styles, a tuple in `$n` order for positional ones."""
        merged = {**self.defaults, **params}
        for name, processor in self.binds.items():
            if name in merged:
                merged[name] = processor(merged[name])
        return merged if self.positions is None else tuple(merged[name] for name in self.positions)

    def row(self, raw: Row) -> Row:
        row = list(raw)
        for index, processor in self.results:
            if (value := row[index]) is not None:
                row[index] = processor(value)
        return row


def _utc_from_text(value: str) -> datetime:
    return datetime.fromisoformat(value + "+00:00")  # ~10× cheaper than `.replace(tzinfo=UTC)` on 3.11


def _result_processor(column: ColumnElement[Any], dialect: Dialect) -> Processor | None:
    # `DateTimeUTC` is naive UTC text on SQLite, which SQLAlchemy parses with a regular expression
    # (a fifth of a 100-task list); on PostgreSQL asyncpg already returns an aware datetime.
    if isinstance(column.type, DateTimeUTC):
        return _utc_from_text if dialect.name == "sqlite" else None
    return column.type.dialect_impl(dialect).result_processor(dialect, None)


def values(*columns: str) -> dict[str, BindParameter[Any]]:
    """An INSERT's or UPDATE's values bound as `w_<column>`: SQLAlchemy reserves the column names there."""
    return {column: bindparam(f"w_{column}") for column in columns}


class StatementCache(dict[ClauseElement, Compiled]):
    """Each statement compiled once for one dialect (statements are built once, so they are the keys)."""

    def __init__(self, dialect: Dialect) -> None:
        super().__init__()
        self._dialect = dialect

    def __missing__(self, statement: ClauseElement) -> Compiled:
        compiled = self[statement] = Compiled(statement, self._dialect)
        return compiled
