"""A reference model of the task list, written from the contract alone (not from the service's code).

The state machine in this package checks every response of the real service against it.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

WireTask = dict[str, Any]

TASK_FIELDS: Final = frozenset(
    {"id", "title", "description", "status", "priority", "created_at", "updated_at", "version"}
    | {"created_by", "updated_by"}  # the caller's user id (one caller in the state machine)
)
RFC3339_UTC: Final = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z")
WRITABLE: Final = ("title", "description", "status", "priority")


def key_of(title: str) -> str:
    """The contract's title key."""
    return title.strip().casefold()


def instant(timestamp: str) -> datetime:
    assert RFC3339_UTC.fullmatch(timestamp), f"not RFC 3339 UTC with Z: {timestamp!r}"
    return datetime.fromisoformat(timestamp)


@dataclass
class ReferenceModel:
    """The tasks that exist, as last returned by the service, and every id it ever handed out."""

    tasks: dict[int, WireTask] = field(default_factory=dict[int, WireTask])
    ids_seen: set[int] = field(default_factory=set[int])

    def holder_of(self, title: str) -> int | None:
        key = key_of(title)
        return next((task_id for task_id, task in self.tasks.items() if key_of(task["title"]) == key), None)

    def candidate_ids(self) -> list[int]:
        """Ids worth aiming at: live ones, deleted ones, and one that never existed."""
        never = max(self.ids_seen, default=0) + 1_000
        return [*sorted(self.ids_seen), never]

    @staticmethod
    def expected_after_write(current: WireTask, values: dict[str, Any]) -> dict[str, Any]:
        """The writable fields after a write of `values` (already defaulted for PUT)."""
        expected = {name: current[name] for name in WRITABLE}
        expected.update(values)
        if "title" in values:
            expected["title"] = values["title"].strip()
        return expected

    def page(self, query: list[tuple[str, str]], *, default_limit: int) -> dict[str, Any]:
        """What GET /tasks must answer for these (valid) query pairs."""
        params: dict[str, list[str]] = {}
        for name, value in query:
            params.setdefault(name, []).append(value)
        statuses = set(params.get("status", [])) or {"new", "in_progress", "completed"}
        order_by = params.get("order_by", ["priority"])[0]
        descending = params.get("order_dir", ["desc"])[0] == "desc"
        limit = int(params.get("limit", [str(default_limit)])[0])
        offset = int(params.get("offset", ["0"])[0])
        matching = [t for t in self.tasks.values() if t["status"] in statuses]
        # Ties: created_at asc, then id asc, whatever the direction (stable sorts, tie-break first).
        ordered = sorted(matching, key=lambda t: (instant(t["created_at"]), t["id"]))
        if order_by == "title":
            ordered.sort(key=lambda t: key_of(t["title"]), reverse=descending)
        elif order_by == "priority":
            ordered.sort(key=lambda t: t["priority"], reverse=descending)
        else:
            ordered.sort(key=lambda t: instant(t[order_by]), reverse=descending)
        return {"items": ordered[offset : offset + limit], "total": len(matching), "limit": limit, "offset": offset}
