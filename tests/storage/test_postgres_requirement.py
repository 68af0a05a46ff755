"""Without PostgreSQL, its tests skip locally with one clear reason and fail in CI."""

import pytest

from tests.databases import require_postgres
from tests.process import free_port


@pytest.fixture
def unreachable_postgres(monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/test"  # nothing listens there
    monkeypatch.setenv("TEST_DATABASE_URL", url)
    return url


def test_postgres_tests_skip_with_the_reason_when_the_server_is_unreachable_outside_ci(
    unreachable_postgres: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)

    with pytest.raises(pytest.skip.Exception, match="is not reachable") as skipped:
        require_postgres()

    assert unreachable_postgres.split("@")[1] in str(skipped.value)
    assert "TEST_DATABASE_URL" in str(skipped.value)


def test_postgres_tests_fail_when_the_server_is_unreachable_in_ci(
    unreachable_postgres: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")

    with pytest.raises(pytest.fail.Exception, match="CI requires PostgreSQL"):
        require_postgres()
