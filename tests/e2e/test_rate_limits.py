"""The real process with RATE_LIMIT and RATE_LIMIT_STORE set as an operator would: two workers
counting in one (private) Redis give one caller one budget, answered with the contract's 429."""

from pathlib import Path

import httpx
import pytest

from tests.limits.redis_server import PrivateRedis
from tests.process import MODULE, running

pytestmark = pytest.mark.e2e


def test_two_workers_on_redis_hold_one_caller_to_one_budget(tmp_path: Path) -> None:
    with PrivateRedis() as redis:
        environ = {
            "APP_ENV": "test",
            "LOG_LEVEL": "INFO",  # the workers' start-up lines, which `running` waits for
            "HOST": "127.0.0.1",
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'tasks.db'}",
            "RATE_LIMIT": "5/minute",
            "RATE_LIMIT_STORE": redis.url,
        }
        with running(tmp_path, environ, argv=[*MODULE, "serve"], workers=2) as service:
            answers: list[httpx.Response] = []
            for _ in range(8):
                # A new connection each time, so that both workers take some.
                with httpx.Client(base_url=service.base_url, headers=service.headers, timeout=10) as http:
                    answers.append(http.get("/v1/tasks"))
            assert [answer.status_code for answer in answers] == [200] * 5 + [429] * 3
            assert [answer.headers["ratelimit-remaining"] for answer in answers[:5]] == ["4", "3", "2", "1", "0"]
            refused = answers[-1]
            assert refused.json()["error"]["code"] == "rate_limited"
            assert refused.headers["retry-after"] == refused.headers["ratelimit-reset"]
            assert (http_healthz := httpx.get(service.url("/healthz"), timeout=10)).status_code == 200
            assert "ratelimit-limit" not in http_healthz.headers
