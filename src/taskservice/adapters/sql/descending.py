"""Descending list pages read backwards from an ascending index.

A descending list still breaks ties ascending (created_at, then id), so a backward walk of the
index (sort, created_at, id) returns each run of equal sort values reversed; a second,
descending index per order would cost every write as much again (migration 0003). So: read the
page's sort values (and one each side, to see whether the first or last run goes on); read the
runs wholly on the page in one range and turn each around; read a run the page cuts (usual for
`priority`, whose five values tie in thousands) in tie-break order from its own part of the
index. Every step walks an index, in the caller's snapshot.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from sqlalchemy import Column, ColumnElement, Select, bindparam, func, select, type_coerce
from sqlalchemy.sql.sqltypes import NullType

from taskservice.adapters.sql.compiled import Row
from taskservice.adapters.sql.session import SqlSession


@dataclass(frozen=True, slots=True)
class DescendingStatements:
    """The statements of one filter and sort column, built once."""

    keys: Select[Any]
    run_range: Select[Any]
    run_part: Select[Any]
    ranked_above: Select[Any]


def descending_statements(
    columns: Sequence[Column[Any]],
    sort: Column[Any],
    tie_break: Sequence[Column[Any]],
    where: Sequence[ColumnElement[bool]],
) -> DescendingStatements:
    """`columns`: what a page's rows hold; `where`: the list's filter."""
    backwards = [sort.desc(), *(column.desc() for column in tie_break)]
    # Sort values travel as stored (no type processing): they are only compared and bound back,
    # and parsing a page of timestamps cost more than the rest of these reads.
    raw = type_coerce(sort, NullType())  # rendered as the bare column: the index still applies
    value, low, high = (bindparam(name, type_=NullType()) for name in ("value", "low", "high"))
    return DescendingStatements(
        keys=select(raw).where(*where).order_by(*backwards).limit(bindparam("limit")).offset(bindparam("offset")),
        run_range=select(*columns).where(*where, raw >= low, raw <= high).order_by(*backwards),
        run_part=select(*columns)
        .where(*where, raw == value)
        .order_by(*(column.asc() for column in tie_break))
        .limit(bindparam("limit"))
        .offset(bindparam("offset")),
        ranked_above=select(func.count()).where(*where, raw > value),
    )


async def read_descending(
    session: SqlSession,
    statements: DescendingStatements,
    params: Mapping[str, Any],
    *,
    limit: int,
    offset: int,
) -> list[Row]:
    """The rows at [offset, offset + limit) of the descending order, ties broken ascending."""
    before = 1 if offset else 0
    window = {**params, "limit": limit + before + 1, "offset": offset - before}
    keys = [row[0] for row in await session.rows(statements.keys, window)]
    page = keys[before : before + limit]
    if not page:
        return []
    first, last = page[0], page[-1]
    # How many of the page belong to a first or last run that continues beyond it.
    cut_at_start = _leading(page, first) if before and keys[0] == first else 0
    cut_at_end = _leading(page[::-1], last) if len(keys) > before + limit and keys[-1] == last else 0

    head: Sequence[Row] = ()
    tail: Sequence[Row] = ()
    if cut_at_start:
        # The run's rows above the page are those after every greater sort value.
        above = (await session.rows(statements.ranked_above, {**params, "value": first}))[0][0]
        part = {**params, "value": first, "limit": cut_at_start, "offset": offset - above}
        head = await session.rows(statements.run_part, part)
        if cut_at_start == len(page):
            return list(head)
    if cut_at_end:
        tail = await session.rows(statements.run_part, {**params, "value": last, "limit": cut_at_end, "offset": 0})
    inner = page[cut_at_start : len(page) - cut_at_end]
    middle: Sequence[Row] = ()
    if inner:
        middle = await session.rows(statements.run_range, {**params, "high": inner[0], "low": inner[-1]})
        if len(set(inner)) < len(inner):  # some rows tie: turn each run of ties around
            turned: list[Row] = []
            at = 0
            for _, tied in groupby(inner):
                count = sum(1 for _ in tied)
                turned.extend(reversed(middle[at : at + count]))
                at += count
            middle = turned
    return [*head, *middle, *tail]


def _leading(values: Sequence[Any], value: Any) -> int:
    """How many of `values` equal `value` before the first that does not."""
    if values[-1] == value:
        return len(values)  # sorted: all of them
    return next(i for i, other in enumerate(values) if other != value)
