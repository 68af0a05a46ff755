"""Strict parsing of path ids and list query parameters.

Litestar's own parsing is lenient here (`{id:int}` takes `+5` and `1_0` and turns a non-number
into a 404; query ints take `5.0`; unknown and repeated parameters pass silently), so these are
declared as strings for the router and checked here.
"""

import re
from collections.abc import Callable, Iterable
from typing import Final, TypeVar

from taskservice.domain.listing import OrderBy, OrderDir, TaskQuery
from taskservice.domain.task import TaskStatus
from taskservice.http.errors import FieldError, RequestValidationError

MAX_ID: Final = 2**63 - 1
_DIGITS: Final = re.compile(r"[0-9]{1,19}")
LIST_PARAMETERS: Final = frozenset({"status", "order_by", "order_dir", "limit", "offset"})
_SINGLETONS: Final = LIST_PARAMETERS - {"status"}

EnumT = TypeVar("EnumT", OrderBy, OrderDir)
_Report = Callable[[str, str], None]


def parse_task_id(raw: str) -> int:
    return parse_path_id(raw, "task_id")


def parse_path_id(raw: str, field: str) -> int:
    """A path id (of a task, user or key): the digits of a positive 64-bit integer, nothing else."""
    if _DIGITS.fullmatch(raw) and 1 <= (value := int(raw)) <= MAX_ID:
        return value
    raise RequestValidationError([FieldError("path", field, f"must be an integer from 1 to {MAX_ID}")])


def parse_page_query(items: Iterable[tuple[str, str]], *, default_limit: int, max_limit: int) -> tuple[int, int]:
    """`limit` and `offset` (each at most once) and no other parameter: (limit, offset)."""
    values: dict[str, list[str]] = {}
    for name, value in items:
        values.setdefault(name, []).append(value)
    errors: list[FieldError] = []

    def error(field: str, message: str) -> None:
        errors.append(FieldError("query", field, message))

    for name in sorted(values.keys() - {"limit", "offset"}):
        error(name, "unknown parameter; allowed: limit, offset")
    given = {name: raw[0] for name, raw in values.items() if len(raw) == 1}
    for name in sorted({"limit", "offset"} & values.keys() - given.keys()):
        error(name, "must be given at most once")
    limit = _bounded(given.get("limit"), default=default_limit, low=1, high=max_limit, name="limit", error=error)
    offset = _bounded(given.get("offset"), default=0, low=0, high=MAX_ID, name="offset", error=error)
    if errors:
        raise RequestValidationError(errors)
    return limit, offset


def refuse_query(items: Iterable[tuple[str, str]]) -> None:
    """Routes other than the list take no query parameters; one sent is refused, never ignored.

    A caller who adds `?dry_run=true` to a DELETE must not have the task deleted anyway.
    """
    names = sorted({name for name, _ in items})
    if names:
        raise RequestValidationError(
            [FieldError("query", name, "unknown parameter; this route takes none") for name in names]
        )


def parse_list_query(items: Iterable[tuple[str, str]], *, default_limit: int, max_limit: int) -> TaskQuery:
    """Build a `TaskQuery` from raw query pairs, reporting every problem at once."""
    values: dict[str, list[str]] = {}
    for name, value in items:
        values.setdefault(name, []).append(value)
    errors: list[FieldError] = []

    def error(field: str, message: str) -> None:
        errors.append(FieldError("query", field, message))

    for name in sorted(values.keys() - LIST_PARAMETERS):
        error(name, f"unknown parameter; allowed: {', '.join(sorted(LIST_PARAMETERS))}")
    for name in sorted(_SINGLETONS & values.keys()):
        if len(values[name]) > 1:
            error(name, "must be given at most once")

    def single(name: str) -> str | None:
        given = values.get(name)
        return given[0] if given and len(given) == 1 else None

    statuses: set[TaskStatus] = set()
    for raw in values.get("status", []):
        try:
            statuses.add(TaskStatus(raw))
        except ValueError:
            error("status", f"{raw!r} is not one of {', '.join(s.value for s in TaskStatus)}")
    order_by = _choice(single("order_by"), OrderBy, default=OrderBy.PRIORITY, name="order_by", error=error)
    order_dir = _choice(single("order_dir"), OrderDir, default=OrderDir.DESC, name="order_dir", error=error)
    limit = _bounded(single("limit"), default=default_limit, low=1, high=max_limit, name="limit", error=error)
    offset = _bounded(single("offset"), default=0, low=0, high=MAX_ID, name="offset", error=error)
    if errors:
        raise RequestValidationError(errors)
    return TaskQuery(
        statuses=frozenset(statuses) if statuses else frozenset(TaskStatus),
        order_by=order_by,
        order_dir=order_dir,
        limit=limit,
        offset=offset,
    )


def _choice(raw: str | None, kind: type[EnumT], *, default: EnumT, name: str, error: _Report) -> EnumT:
    if raw is None:
        return default
    try:
        return kind(raw)
    except ValueError:
        error(name, f"{raw!r} is not one of {', '.join(m.value for m in kind)}")
        return default


def _bounded(raw: str | None, *, default: int, low: int, high: int, name: str, error: _Report) -> int:
    if raw is None:
        return default
    if _DIGITS.fullmatch(raw) and low <= (value := int(raw)) <= high:
        return value
    error(name, f"must be an integer from {low} to {high}")
    return default
