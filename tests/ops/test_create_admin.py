"""`taskservice create-admin` as an operator runs it: the key alone on stdout, everything else on
stderr, and an exit code for each way it can end (tests/e2e/test_create_admin.py uses the key)."""

import asyncio
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from taskservice.__main__ import main
from taskservice.adapters.credentials import key_digest
from taskservice.adapters.sql.store import SqlStore
from taskservice.domain.user import Role, UserDraft
from tests.conftest import TEST_JWT_SECRET

pytestmark = pytest.mark.usefixtures("restore_logging")

KEY_LINE = re.compile(r"tsk_[A-Za-z0-9_-]{43}\n")


@pytest.fixture
def database(operator_shell: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{operator_shell / 'admin.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    qa(monkeypatch)
    return url


def qa(monkeypatch: pytest.MonkeyPatch) -> None:
    """APP_ENV=qa: JSON log lines (they must go to stderr too), and so a JWT_SECRET."""
    monkeypatch.setenv("APP_ENV", "qa")
    monkeypatch.setenv("JWT_SECRET", TEST_JWT_SECRET)


async def key_owner(url: str, key: str) -> tuple[str, Role] | None:
    store = SqlStore(url)
    await store.open(migrate=False)
    try:
        async with store.unit_of_work() as work:
            found = await work.api_keys.owner(key_digest(key))
    finally:
        await store.close()
    return None if found is None else (found.user.email, found.user.role)


def test_it_migrates_creates_the_admin_and_prints_only_its_key_on_stdout(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["create-admin", "--email", "ops@example.com", "--name", "Ops"]) == 0
    captured = capsys.readouterr()
    assert KEY_LINE.fullmatch(captured.out)
    assert "created admin ops@example.com (user 1)" in captured.err
    assert "database_at_newest_schema" not in captured.out
    assert asyncio.run(key_owner(database, captured.out.strip())) == ("ops@example.com", Role.ADMIN)


def test_a_second_run_gives_the_same_admin_another_key_and_both_work(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["create-admin", "--email", "ops@example.com"]) == 0
    first = capsys.readouterr().out.strip()
    assert main(["create-admin", "--email", "OPS@example.com"]) == 0
    captured = capsys.readouterr()
    assert "a new API key for the existing admin ops@example.com (user 1)" in captured.err
    assert captured.out.strip() != first
    for key in (first, captured.out.strip()):
        assert asyncio.run(key_owner(database, key)) == ("ops@example.com", Role.ADMIN)


def test_an_email_of_a_user_who_is_not_admin_is_refused_with_exit_3_and_no_key(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async def add_writer() -> None:
        store = SqlStore(database)
        await store.open(migrate=True)
        try:
            async with store.unit_of_work() as work:
                draft = UserDraft(email="w@example.com", name="W", role=Role.WRITER)
                await work.users.add(draft, datetime.now(UTC))
                await work.commit()
        finally:
            await store.close()

    asyncio.run(add_writer())
    assert main(["create-admin", "--email", "w@example.com"]) == 3
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "refused: w@example.com belongs to a writer (user 1)" in captured.err


def test_an_invalid_email_is_refused_with_exit_3(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["create-admin", "--email", "not-an-email"]) == 3
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "refused: email" in captured.err


def test_the_memory_store_is_refused_with_the_reason_and_exit_3(
    operator_shell: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "memory://")
    assert main(["create-admin", "--email", "ops@example.com"]) == 3
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "a memory store lives inside one process" in captured.err
    assert list(operator_shell.iterdir()) == []


def test_an_unreachable_database_is_one_line_on_stderr_without_the_password_and_exit_1(
    operator_shell: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    qa(monkeypatch)
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:s3cr3t-pw@127.0.0.1:1/tasks")
    assert main(["create-admin", "--email", "ops@example.com"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "s3cr3t-pw" not in captured.err
    records = [json.loads(line) for line in captured.err.splitlines() if line.startswith("{")]
    assert [r["event"] for r in records if r["level"] == "error"] == ["database_not_ready"]


def test_help_names_the_flags_and_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["create-admin", "--help"])
    assert exited.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for phrase in ("--email", "--name", "alone on stdout", "memory://", "Exit codes: 0", "3 refused"):
        assert phrase in text
