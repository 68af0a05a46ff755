"""A task, its field rules, and how a change to it is applied.

Everything here is pure: no I/O, no clock, no framework. Callers pass `now` in.
"""

import enum
from datetime import datetime, timedelta
from typing import Annotated, Final

import msgspec

from taskservice.domain.errors import InvalidField

TITLE_MAX_LENGTH: Final = 200
DESCRIPTION_MAX_LENGTH: Final = 2000
PRIORITY_MIN: Final = 1
PRIORITY_MAX: Final = 5

Priority = Annotated[int, msgspec.Meta(ge=PRIORITY_MIN, le=PRIORITY_MAX, description="1 (lowest) to 5 (highest).")]

# The fields a caller may write, in the order the contract lists changes in events.
MUTABLE_FIELDS: Final = ("title", "description", "status", "priority")


class TaskStatus(enum.StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class Task(msgspec.Struct, frozen=True, kw_only=True):
    """A stored task. `version` starts at 1 and grows by one on every effective change."""

    id: int
    title: str
    description: str | None
    status: TaskStatus
    priority: Priority
    created_at: datetime
    updated_at: datetime
    version: int
    # Who created the task and who last changed it (user ids; None before identities existed).
    created_by: int | None = None
    updated_by: int | None = None

    @property
    def title_key(self) -> str:
        return title_key(self.title)


class TaskDraft(msgspec.Struct, frozen=True, kw_only=True):
    """The caller-owned fields of a task, validated and normalised (a create or a full replace)."""

    title: str
    description: str | None
    status: TaskStatus
    priority: int


class TaskChanges(msgspec.Struct, frozen=True, kw_only=True):
    """A partial update: `UNSET` leaves a field alone; `None` clears `description`."""

    title: str | msgspec.UnsetType = msgspec.UNSET
    description: str | msgspec.UnsetType | None = msgspec.UNSET
    status: TaskStatus | msgspec.UnsetType = msgspec.UNSET
    priority: int | msgspec.UnsetType = msgspec.UNSET

    def is_empty(self) -> bool:
        return all(getattr(self, name) is msgspec.UNSET for name in MUTABLE_FIELDS)


def title_key(title: str) -> str:
    """The uniqueness key of a title: two tasks may not share it."""
    return title.strip().casefold()


def normalize_title(raw: str) -> str:
    """Trim outer whitespace and enforce the title rules; lengths count code points after trimming."""
    title = raw.strip()
    if "\x00" in title:
        raise InvalidField("title", "must not contain NUL characters")
    if not title:
        raise InvalidField("title", "must not be empty or only whitespace")
    if len(title) > TITLE_MAX_LENGTH:
        raise InvalidField("title", f"must be at most {TITLE_MAX_LENGTH} characters after trimming")
    return title


def check_description(description: str | None) -> str | None:
    if description is None:
        return None
    if "\x00" in description:
        raise InvalidField("description", "must not contain NUL characters")
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise InvalidField("description", f"must be at most {DESCRIPTION_MAX_LENGTH} characters")
    return description


def check_priority(priority: int) -> int:
    # bool is an int subclass; a caller's `true` is never a priority.
    if isinstance(priority, bool) or not PRIORITY_MIN <= priority <= PRIORITY_MAX:
        raise InvalidField("priority", f"must be an integer from {PRIORITY_MIN} to {PRIORITY_MAX}")
    return priority


def make_draft(
    *, title: str, priority: int, description: str | None = None, status: TaskStatus = TaskStatus.NEW
) -> TaskDraft:
    """Validate caller input into a draft; the defaults are the contract's create defaults."""
    return TaskDraft(
        title=normalize_title(title),
        description=check_description(description),
        status=TaskStatus(status),
        priority=check_priority(priority),
    )


def make_changes(
    *,
    title: str | msgspec.UnsetType = msgspec.UNSET,
    description: str | msgspec.UnsetType | None = msgspec.UNSET,
    status: TaskStatus | msgspec.UnsetType = msgspec.UNSET,
    priority: int | msgspec.UnsetType = msgspec.UNSET,
) -> TaskChanges:
    return TaskChanges(
        title=msgspec.UNSET if isinstance(title, msgspec.UnsetType) else normalize_title(title),
        description=(msgspec.UNSET if isinstance(description, msgspec.UnsetType) else check_description(description)),
        status=msgspec.UNSET if isinstance(status, msgspec.UnsetType) else TaskStatus(status),
        priority=msgspec.UNSET if isinstance(priority, msgspec.UnsetType) else check_priority(priority),
    )


def new_task(draft: TaskDraft, task_id: int, now: datetime, actor_id: int | None = None) -> Task:
    """The task a store holds once it has stored `draft` under `task_id` at `now`, made by `actor_id`."""
    return Task(
        id=task_id,
        title=draft.title,
        description=draft.description,
        status=draft.status,
        priority=draft.priority,
        created_at=now,
        updated_at=now,
        version=1,
        created_by=actor_id,
        updated_by=actor_id,
    )


def changes_from_draft(draft: TaskDraft) -> TaskChanges:
    """A full replace is a change of every caller-owned field."""
    return TaskChanges(title=draft.title, description=draft.description, status=draft.status, priority=draft.priority)


def next_updated_at(previous: datetime, now: datetime) -> datetime:
    """Never let `updated_at` go backwards, even if the wall clock does."""
    return now if now > previous else previous + timedelta(microseconds=1)


def apply_changes(
    task: Task, changes: TaskChanges, now: datetime, actor_id: int | None = None
) -> tuple[Task, tuple[str, ...]]:
    """Return the task after `changes` and the names of the fields that really changed.

    A value equal to the stored one is not a change: if nothing changes, the task comes back
    as it was (same `updated_at`, same `version`). A title that differs only in case or
    outer whitespace is a change of the title but keeps its key. An effective change records
    `actor_id` as `updated_by`.
    """
    updates: dict[str, object] = {}
    for name in MUTABLE_FIELDS:
        value = getattr(changes, name)
        if value is not msgspec.UNSET and value != getattr(task, name):
            updates[name] = value
    if not updates:
        return task, ()
    changed = tuple(updates)
    updated = msgspec.structs.replace(
        task,
        **updates,
        updated_at=next_updated_at(task.updated_at, now),
        version=task.version + 1,
        updated_by=actor_id,
    )
    return updated, changed
