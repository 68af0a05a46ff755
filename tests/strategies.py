"""Shared Hypothesis strategies. Append yours; keep them small enough to shrink well."""

from typing import TypeVar

import msgspec
from hypothesis import strategies as st

from taskservice.domain.listing import OrderBy, OrderDir, TaskQuery
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


# --- listing (tests/contract/test_list_oracle.py) ---

# Titles from a tiny alphabet with case pairs and a casefold expansion (ß → ss), so title order
# and key collisions are exercised; unique by key, as a store holds them.
list_titles = st.text(alphabet="aAbBsSß ", min_size=1, max_size=4).filter(lambda t: t.strip() != "")


@st.composite
def stored_tasks(draw: st.DrawFn) -> list[tuple[str, int, TaskStatus, int, int]]:
    """(title, priority, status, created second, updated minute) for up to 12 tasks; few distinct
    instants and priorities, so ties on every sort field are common."""
    return draw(
        st.lists(
            st.tuples(list_titles, priorities, statuses, st.integers(0, 2), st.integers(0, 2)),
            max_size=12,
            unique_by=lambda row: row[0].strip().casefold(),
        )
    )


task_queries = st.builds(
    TaskQuery,
    statuses=st.frozensets(statuses, min_size=1),
    order_by=st.sampled_from(list(OrderBy)),
    order_dir=st.sampled_from(list(OrderDir)),
    limit=st.integers(1, 14),
    offset=st.integers(0, 13),
)
