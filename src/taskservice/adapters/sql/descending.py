"""Descending list pages read backwards from an ascending index, each run of tied sort values
turned back into ascending tie-break order (docs/storage.md, "Indexes", says how and why).
"""

from collections.abc import Sequence
from itertools import groupby
from typing import Any

from sqlalchemy import Column, ColumnElement, bindparam, func, select, type_coerce
from sqlalchemy.sql.sqltypes import NullType

from taskservice.adapters.sql.compiled import Row
from taskservice.adapters.sql.session import SqlSession
from taskservice.adapters.sql.tables import TASK_COLUMNS


class DescendingPage:
    """The statements of one filter and sort column, built once, and how to read a page with them."""

    __slots__ = ("_keys", "_ranked_above", "_run_part", "_run_range")

    def __init__(self, sort: Column[Any], ties: Sequence[Column[Any]], where: Sequence[ColumnElement[bool]]) -> None:
        """`ties`: the tie-break, ascending; `where`: the list's filter."""
        backwards = [sort.desc(), *(column.desc() for column in ties)]
        # Sort values travel as stored (no type processing): they are only compared and bound back,
        # and parsing a page of timestamps cost more than the rest of these reads.
        raw = type_coerce(sort, NullType())  # rendered as the bare column: the index still applies
        value, low, high = (bindparam(name, type_=NullType()) for name in ("value", "low", "high"))
        keys = select(raw).where(*where).order_by(*backwards)
        run_part = select(*TASK_COLUMNS).where(*where, raw == value).order_by(*ties)
        self._keys, self._run_part = (s.limit(bindparam("limit")).offset(bindparam("offset")) for s in (keys, run_part))
        self._run_range = select(*TASK_COLUMNS).where(*where, raw >= low, raw <= high).order_by(*backwards)
        self._ranked_above = select(func.count()).where(*where, raw > value)

    async def read(self, session: SqlSession, *, limit: int, offset: int) -> list[Row]:
        """The rows at [offset, offset + limit) of the descending order, ties broken ascending."""
        before = 1 if offset else 0
        window = {"limit": limit + before + 1, "offset": offset - before}
        keys = [row[0] for row in await session.rows(self._keys, window)]
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
            above = (await session.rows(self._ranked_above, {"value": first}))[0][0]
            head = await session.rows(self._run_part, {"value": first, "limit": cut_at_start, "offset": offset - above})
            if cut_at_start == len(page):
                return list(head)
        if cut_at_end:
            tail = await session.rows(self._run_part, {"value": last, "limit": cut_at_end, "offset": 0})
        inner = page[cut_at_start : len(page) - cut_at_end]
        middle: Sequence[Row] = ()
        if inner:
            middle = await session.rows(self._run_range, {"high": inner[0], "low": inner[-1]})
            if len(set(inner)) < len(inner):  # some rows tie: `middle` holds each run reversed
                backwards = iter(middle)
                middle = [row for _, run in groupby(inner) for row in reversed([next(backwards) for _ in run])]
        return [*head, *middle, *tail]


def _leading(values: Sequence[Any], value: Any) -> int:
    """How many of `values` equal `value` before the first that does not."""
    return next((i for i, other in enumerate(values) if other != value), len(values))
