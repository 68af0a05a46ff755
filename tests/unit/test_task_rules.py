"""The field rules of a task and how a change is applied: pure functions, no I/O."""

from datetime import timedelta

import msgspec
import pytest

from taskservice.domain.errors import InvalidField
from taskservice.domain.task import (
    DESCRIPTION_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Task,
    TaskChanges,
    TaskStatus,
    apply_changes,
    changes_from_draft,
    check_description,
    check_priority,
    make_changes,
    make_draft,
    next_updated_at,
    normalize_title,
    title_key,
)
from tests.fakes import T0, make_task


def a_task() -> Task:
    return make_task(id=7, title="Ship it", description="soon")


class TestTitle:
    def test_outer_whitespace_is_trimmed_and_inner_whitespace_kept(self) -> None:
        assert normalize_title(" \t Fix  the bug \n") == "Fix  the bug"

    def test_unicode_whitespace_counts_as_outer_whitespace(self) -> None:
        assert normalize_title("\u00a0\u3000Fix\u2003") == "Fix"

    @pytest.mark.parametrize("raw", ["", " ", "\t\n\r ", "\u00a0"])
    def test_is_refused_when_empty_after_trimming(self, raw: str) -> None:
        with pytest.raises(InvalidField) as caught:
            normalize_title(raw)
        assert caught.value.field == "title"

    @pytest.mark.parametrize("raw", ["a\x00b", "\x00", "ab\x00 "])
    def test_is_refused_when_it_contains_nul(self, raw: str) -> None:
        with pytest.raises(InvalidField, match="NUL"):
            normalize_title(raw)

    def test_length_counts_characters_after_trimming(self) -> None:
        longest = "é" * TITLE_MAX_LENGTH  # 2 bytes each in UTF-8: characters, not bytes, count
        assert normalize_title(f"   {longest}   ") == longest

    def test_is_refused_one_character_over_the_limit(self) -> None:
        with pytest.raises(InvalidField, match="at most 200"):
            normalize_title("x" * (TITLE_MAX_LENGTH + 1))

    def test_astral_characters_count_once(self) -> None:
        assert normalize_title("🚀" * TITLE_MAX_LENGTH) == "🚀" * TITLE_MAX_LENGTH

    @pytest.mark.parametrize(
        ("a", "b"),
        [("Fix bug", " fix BUG "), ("Fix bug", "FIX BUG"), ("Straße", "STRASSE"), ("ǅ", "ǆ")],
    )
    def test_keys_collide_for_case_and_outer_whitespace_variants(self, a: str, b: str) -> None:
        assert title_key(a) == title_key(b)

    @pytest.mark.parametrize(
        ("a", "b"),
        [("Fix bug", "Fix  bug"), ("Fix bug", "Fix bug!"), ("é", "e\u0301")],
    )
    def test_keys_differ_for_anything_else(self, a: str, b: str) -> None:
        # No Unicode normalisation: the key is exactly strip().casefold(), as the contract defines it.
        assert title_key(a) != title_key(b)


class TestDescriptionAndPriority:
    def test_description_may_be_null_or_empty(self) -> None:
        assert check_description(None) is None
        assert check_description("") == ""

    def test_description_is_kept_as_sent_without_trimming(self) -> None:
        assert check_description("  spaced  ") == "  spaced  "

    def test_description_of_exactly_the_limit_in_characters_is_accepted(self) -> None:
        assert check_description("🚀" * DESCRIPTION_MAX_LENGTH) == "🚀" * DESCRIPTION_MAX_LENGTH

    def test_description_over_the_limit_is_refused(self) -> None:
        with pytest.raises(InvalidField) as caught:
            check_description("x" * (DESCRIPTION_MAX_LENGTH + 1))
        assert caught.value.field == "description"

    def test_description_with_nul_is_refused(self) -> None:
        with pytest.raises(InvalidField, match="NUL"):
            check_description("a\x00")

    @pytest.mark.parametrize("priority", [1, 2, 3, 4, 5])
    def test_priorities_one_to_five_are_accepted(self, priority: int) -> None:
        assert check_priority(priority) == priority

    @pytest.mark.parametrize("priority", [0, 6, -1, True, False])
    def test_other_priorities_and_booleans_are_refused(self, priority: int) -> None:
        with pytest.raises(InvalidField) as caught:
            check_priority(priority)
        assert caught.value.field == "priority"


class TestDraftsAndChanges:
    def test_a_draft_takes_the_create_defaults(self) -> None:
        draft = make_draft(title=" New ", priority=2)
        assert (draft.title, draft.description, draft.status, draft.priority) == ("New", None, TaskStatus.NEW, 2)

    def test_changes_leave_absent_fields_unset_and_keep_null(self) -> None:
        changes = make_changes(description=None)
        assert changes.description is None
        assert changes.title is msgspec.UNSET
        assert not changes.is_empty()

    def test_no_fields_is_an_empty_change(self) -> None:
        assert make_changes().is_empty()

    def test_changes_are_validated_like_a_draft(self) -> None:
        with pytest.raises(InvalidField):
            make_changes(title="   ")
        assert make_changes(title="  Trim me ").title == "Trim me"

    def test_a_full_replace_changes_every_caller_owned_field(self) -> None:
        changes = changes_from_draft(make_draft(title="T", priority=1))
        assert (changes.title, changes.description, changes.status, changes.priority) == (
            "T",
            None,
            TaskStatus.NEW,
            1,
        )


class TestApplyChanges:
    def test_equal_values_change_nothing_and_bump_nothing(self) -> None:
        task = a_task()
        later = T0 + timedelta(hours=1)
        same = TaskChanges(title="Ship it", description="soon", status=TaskStatus.NEW, priority=3)
        assert apply_changes(task, same, later) == (task, ())

    def test_changed_fields_are_listed_in_field_order_and_bump_version_and_updated_at(self) -> None:
        task = a_task()
        later = T0 + timedelta(hours=1)
        updated, changed = apply_changes(task, TaskChanges(priority=5, title="Ship", description=None), later)
        assert changed == ("title", "description", "priority")
        assert (updated.title, updated.description, updated.priority) == ("Ship", None, 5)
        assert (updated.updated_at, updated.version) == (later, 2)
        assert (updated.id, updated.created_at, updated.status) == (task.id, task.created_at, task.status)

    def test_a_case_only_rename_is_a_change_that_keeps_the_key(self) -> None:
        updated, changed = apply_changes(a_task(), TaskChanges(title="SHIP IT"), T0 + timedelta(seconds=1))
        assert changed == ("title",)
        assert updated.title_key == a_task().title_key

    def test_updated_at_never_goes_backwards_when_the_clock_does(self) -> None:
        earlier = T0 - timedelta(days=1)
        updated, _ = apply_changes(a_task(), TaskChanges(priority=1), earlier)
        assert updated.updated_at > T0
        assert next_updated_at(T0, T0) == T0 + timedelta(microseconds=1)
        assert next_updated_at(T0, T0 + timedelta(seconds=2)) == T0 + timedelta(seconds=2)
