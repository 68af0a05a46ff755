"""Shared Hypothesis strategies. Append yours; keep them small enough to shrink well."""

from typing import TypeVar

import msgspec
from hypothesis import strategies as st

from taskservice.domain.task import TaskChanges, TaskStatus, make_changes

# A few titles that share a key (case, outer whitespace) and one that does not, so generated
# updates often hit "same value", "same key, different title" and "different title".
titles = st.sampled_from(["Ship it", "ship it", " SHIP IT ", "Other task"])
descriptions = st.one_of(st.none(), st.sampled_from(["", "why", "Why"]))
statuses = st.sampled_from(list(TaskStatus))
priorities = st.integers(min_value=1, max_value=5)


T = TypeVar("T")


def _maybe(values: st.SearchStrategy[T]) -> st.SearchStrategy[T | msgspec.UnsetType]:
    return st.one_of(st.just(msgspec.UNSET), values)


@st.composite
def task_changes(draw: st.DrawFn) -> TaskChanges:
    """A non-empty PATCH: each caller-owned field absent or set to a valid value."""
    changes = make_changes(
        title=draw(_maybe(titles)),
        description=draw(_maybe(descriptions)),
        status=draw(_maybe(statuses)),
        priority=draw(_maybe(priorities)),
    )
    if changes.is_empty():
        return make_changes(priority=draw(priorities))
    return changes
