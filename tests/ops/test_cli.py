"""The `taskservice` command as an operator meets it: help, bad settings, migrate, check."""

import json
import sqlite3
from importlib.metadata import version
from pathlib import Path

import pytest

from taskservice.__main__ import main

pytestmark = pytest.mark.usefixtures("restore_logging")


@pytest.mark.parametrize(
    ("command", "explains"),
    [
        ([], ["serve", "migrate", "check", ".env.<APP_ENV>"]),
        (["serve"], ["HOST:PORT", "MIGRATE_ON_START", "SIGTERM", "SHUTDOWN_TIMEOUT"]),
        (["migrate"], ["DATABASE_URL", "newest schema"]),
        (["check"], ["/healthz", "exit 0", "curl"]),
        (["healthcheck"], ["/healthz"]),
    ],
)
def test_help_explains_each_command(
    command: list[str], explains: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*command, "--help"])
    assert exited.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for phrase in explains:
        assert phrase in text


def test_version_names_the_installed_release(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"taskservice {version('taskservice')}\n"


BAD_SETTINGS = {
    "APP_ENV=staging": "taskservice: invalid setting APP_ENV: 'staging' is not valid; "
    "expected one of dev, test, qa, prod",
    "PORT=abc": "taskservice: invalid setting PORT: 'abc' is not valid; expected a whole number from 0 to 65535",
    "LOG_LEVEL=loud": "taskservice: invalid setting LOG_LEVEL: 'loud' is not valid; "
    "expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
}


@pytest.mark.parametrize("command", [[], ["serve"], ["migrate"], ["check"]])
@pytest.mark.parametrize("assignment", BAD_SETTINGS)
def test_a_bad_setting_stops_every_command_with_one_line_and_exit_2(
    operator_shell: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
    assignment: str,
) -> None:
    variable, value = assignment.split("=", 1)
    monkeypatch.setenv(variable, value)
    assert main(command) == 2
    captured = capsys.readouterr()
    assert captured.err == BAD_SETTINGS[assignment] + "\n"
    assert captured.out == ""
    assert not (operator_shell / "taskservice.db").exists()


def test_a_bad_value_in_the_env_file_is_reported_like_one_in_the_environment(
    operator_shell: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (operator_shell / ".env").write_text("MAX_LIST_LIMIT=50\n")
    assert main(["serve"]) == 2
    assert capsys.readouterr().err == (
        "taskservice: invalid setting MAX_LIST_LIMIT: 50 is below DEFAULT_LIST_LIMIT (100); expected at least 100\n"
    )


def test_migrate_creates_the_schema_in_the_default_sqlite_file_and_is_repeatable(
    operator_shell: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("APP_ENV", "prod")
    monkeypatch.setenv("JWT_SECRET", "an-operator-secret-of-at-least-32-bytes")
    assert main(["migrate"]) == 0
    assert main(["migrate"]) == 0
    with sqlite3.connect(operator_shell / "taskservice.db") as connection:
        assert connection.execute("SELECT count(*) FROM tasks").fetchone() == (0,)
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["event"] for r in records if r["logger"] == "taskservice"] == ["database_at_newest_schema"] * 2


@pytest.mark.parametrize("command", [["migrate"], ["serve"], []])
def test_an_unreachable_database_is_one_error_line_without_the_password_and_exit_1(
    operator_shell: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    monkeypatch.setenv("APP_ENV", "qa")
    monkeypatch.setenv("JWT_SECRET", "an-operator-secret-of-at-least-32-bytes")
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:s3cr3t-pw@127.0.0.1:1/tasks")
    assert main(command) == 1
    captured = capsys.readouterr()
    assert "s3cr3t-pw" not in captured.out + captured.err
    records = [json.loads(line) for line in captured.out.splitlines()]
    errors = [r for r in records if r["level"] == "error"]
    assert len(errors) == 1
    assert errors[0]["event"] == "database_not_ready"
    assert errors[0]["database"] == "postgresql+asyncpg://app:***@127.0.0.1:1/tasks"
    assert "refused" in errors[0]["reason"].lower() or "connect" in errors[0]["reason"].lower()


def test_migrate_with_the_memory_store_has_nothing_to_do(operator_shell: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "memory://")
    assert main(["migrate"]) == 0
    assert list(operator_shell.iterdir()) == []


@pytest.mark.parametrize("command", ["check", "healthcheck"])
def test_check_fails_when_nothing_answers(
    operator_shell: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    monkeypatch.setenv("HOST", "0.0.0.0")  # noqa: S104 - the check asks the loopback for a wildcard bind
    monkeypatch.setenv("PORT", "1")
    assert main([command]) == 1
    assert capsys.readouterr().out.startswith("unhealthy: http://127.0.0.1:1/healthz")
