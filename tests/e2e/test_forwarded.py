"""FORWARDED_ALLOW_IPS: X-Forwarded-For is believed only from the peers it names (by default the
host itself), and it reaches the server from settings, so a .env file sets it too."""

import json
from pathlib import Path

import httpx
import pytest

from tests.process import executable, running

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("env_file", "logged"),
    [("", "203.0.113.9"), ("FORWARDED_ALLOW_IPS=10.9.9.9\n", "127.0.0.1")],
    ids=["default: the host itself is trusted", "only 10.9.9.9 is trusted"],
)
def test_the_client_address_logged_follows_x_forwarded_for_only_from_trusted_peers(
    tmp_path: Path, env_file: str, logged: str
) -> None:
    (tmp_path / ".env").write_text(env_file)
    environ = {"APP_ENV": "qa", "DATABASE_URL": "memory://", "JWT_SECRET": "an-operator-secret-of-at-least-32-bytes"}
    with running(tmp_path, environ, argv=[executable("taskservice")]) as server:
        response = httpx.get(
            server.url("/healthz"), headers={"X-Forwarded-For": "203.0.113.9", "X-Request-ID": "fwd"}, timeout=10
        )
        assert response.status_code == 200
        assert server.stop() == 0
    access = [json.loads(line) for line in server.log().splitlines() if '"fwd"' in line]
    assert [line["client"].rsplit(":", 1)[0] for line in access] == [logged]
