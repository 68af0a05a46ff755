"""Shared Hypothesis strategies for tasks on the wire. Append new ones; keep existing ones stable."""

from typing import Any, Final

from hypothesis import strategies as st

from taskservice.domain.task import DESCRIPTION_MAX_LENGTH, PRIORITY_MAX, PRIORITY_MIN, TITLE_MAX_LENGTH, TaskStatus

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

priorities: Final = st.integers(min_value=PRIORITY_MIN, max_value=PRIORITY_MAX)
statuses: Final = st.sampled_from(STATUSES)
descriptions: Final = st.one_of(
    st.none(),
    printable_text,
    st.just("d" * DESCRIPTION_MAX_LENGTH),
)


@st.composite
def create_bodies(draw: st.DrawFn, titles: st.SearchStrategy[str] = valid_titles) -> dict[str, Any]:
    """A valid POST/PUT body; optional fields are sometimes left out."""
    body: dict[str, Any] = {"title": draw(titles), "priority": draw(priorities)}
    if draw(st.booleans()):
        body["description"] = draw(descriptions)
    if draw(st.booleans()):
        body["status"] = draw(statuses)
    return body


@st.composite
def patch_bodies(draw: st.DrawFn, titles: st.SearchStrategy[str] = valid_titles) -> dict[str, Any]:
    """A PATCH body: any subset of the writable fields (possibly `{}`); `description` may be null."""
    fields = {
        "title": titles,
        "description": descriptions,
        "status": statuses,
        "priority": priorities,
    }
    chosen = draw(st.sets(st.sampled_from(sorted(fields)), max_size=len(fields)))
    return {name: draw(fields[name]) for name in sorted(chosen)}


@st.composite
def list_queries(draw: st.DrawFn, *, max_offset: int = 12) -> list[tuple[str, str]]:
    """Valid list query parameters, as pairs (status may repeat)."""
    pairs: list[tuple[str, str]] = [("status", s) for s in draw(st.lists(statuses, max_size=3, unique=True))]
    if draw(st.booleans()):
        pairs.append(("order_by", draw(st.sampled_from(ORDER_BY))))
    if draw(st.booleans()):
        pairs.append(("order_dir", draw(st.sampled_from(ORDER_DIR))))
    if draw(st.booleans()):
        pairs.append(("limit", str(draw(st.integers(min_value=1, max_value=8)))))
    if draw(st.booleans()):
        pairs.append(("offset", str(draw(st.integers(min_value=0, max_value=max_offset)))))
    return pairs
