"""Shared Hypothesis strategies. Append yours; keep them small enough to shrink well."""

from typing import Any, Final, TypeVar

import msgspec
from hypothesis import strategies as st

from taskservice.domain.listing import OrderBy, OrderDir, TaskQuery
from taskservice.domain.task import (
    DESCRIPTION_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    TaskChanges,
    TaskStatus,
    make_changes,
)

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


# --- Wire-level values for HTTP tests (the state machine, hostile inputs) ---------------------

STATUSES: Final = tuple(s.value for s in TaskStatus)
ORDER_BY: Final = ("priority", "created_at", "updated_at", "title")
ORDER_DIR: Final = ("asc", "desc")

# Stems whose case, width or normal forms collide (or nearly do) under str.casefold():
# "ß" folds to "ss", "ǅ"/"Ǆ"/"ǆ" fold together, "ﬀ" folds to "ff", the Kelvin sign to "k",
# final sigma to sigma; a precomposed "é" and "e" + combining acute do NOT collide.
_STEMS: Final = (
    "Fix bug",
    "Straße",
    "STRASSE",
    "strasse",
    "ǅemal",
    "Ǆemal",
    "ǆemal",
    "ﬀort",
    "ffort",
    "\u212aelvin",
    "kelvin",
    "ΟΔΟΣ",
    "οδος",
    "café",
    "cafe\u0301",
    "Ship 🚀",
    "ship 🚀",
)
_OUTER_SPACE: Final = st.sampled_from(["", " ", "  ", "\t", "\n", "\u3000", " \u00a0"])
_NEAR_DUPLICATE: Final = st.sampled_from(["", "", "", "!", " 2", "  x", "\u200b"])

printable_text: Final = st.text(
    # No surrogates (not encodable as UTF-8 JSON) and no NUL (refused; tested separately).
    alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\x00"),
    max_size=40,
)


@st.composite
def _case_variant(draw: st.DrawFn, stem: str) -> str:
    mode = draw(st.sampled_from(["same", "upper", "lower", "title", "swap"]))
    match mode:
        case "upper":
            return stem.upper()
        case "lower":
            return stem.lower()
        case "title":
            return stem.title()
        case "swap":
            return stem.swapcase()
        case _:
            return stem


@st.composite
def colliding_titles(draw: st.DrawFn) -> str:
    """A valid title from a small pool, varied in case, outer whitespace and near-duplicate suffixes.

    Drawn repeatedly, these collide on the title key often, and nearly collide more often.
    """
    stem = draw(_case_variant(draw(st.sampled_from(_STEMS))))
    return draw(_OUTER_SPACE) + stem + draw(_NEAR_DUPLICATE) + draw(_OUTER_SPACE)


def _is_valid_title(title: str) -> bool:
    stripped = title.strip()
    return 0 < len(stripped) <= TITLE_MAX_LENGTH


valid_titles: Final = st.one_of(
    colliding_titles(),
    printable_text.filter(_is_valid_title),
)

# Titles the service refuses with 422: blank after trimming, or too long (code points).
invalid_titles: Final = st.one_of(
    st.sampled_from(["", " ", "\t\n", "\u3000"]),
    st.integers(min_value=TITLE_MAX_LENGTH + 1, max_value=TITLE_MAX_LENGTH + 3).map(lambda n: "é" * n),
)

wire_statuses: Final = st.sampled_from(STATUSES)
wire_descriptions: Final = st.one_of(
    st.none(),
    printable_text,
    st.just("d" * DESCRIPTION_MAX_LENGTH),
)


@st.composite
def create_bodies(draw: st.DrawFn, title_values: st.SearchStrategy[str] = valid_titles) -> dict[str, Any]:
    """A valid POST/PUT body; optional fields are sometimes left out."""
    body: dict[str, Any] = {"title": draw(title_values), "priority": draw(priorities)}
    if draw(st.booleans()):
        body["description"] = draw(wire_descriptions)
    if draw(st.booleans()):
        body["status"] = draw(wire_statuses)
    return body


@st.composite
def patch_bodies(draw: st.DrawFn, title_values: st.SearchStrategy[str] = valid_titles) -> dict[str, Any]:
    """A PATCH body: any subset of the writable fields (possibly `{}`); `description` may be null."""
    fields = {
        "title": title_values,
        "description": wire_descriptions,
        "status": wire_statuses,
        "priority": priorities,
    }
    chosen = draw(st.sets(st.sampled_from(sorted(fields)), max_size=len(fields)))
    return {name: draw(fields[name]) for name in sorted(chosen)}


@st.composite
def list_queries(draw: st.DrawFn, *, max_offset: int = 12) -> list[tuple[str, str]]:
    """Valid list query parameters, as pairs (status may repeat)."""
    pairs: list[tuple[str, str]] = [("status", s) for s in draw(st.lists(wire_statuses, max_size=3, unique=True))]
    if draw(st.booleans()):
        pairs.append(("order_by", draw(st.sampled_from(ORDER_BY))))
    if draw(st.booleans()):
        pairs.append(("order_dir", draw(st.sampled_from(ORDER_DIR))))
    if draw(st.booleans()):
        pairs.append(("limit", str(draw(st.integers(min_value=1, max_value=8)))))
    if draw(st.booleans()):
        pairs.append(("offset", str(draw(st.integers(min_value=0, max_value=max_offset)))))
    return pairs
