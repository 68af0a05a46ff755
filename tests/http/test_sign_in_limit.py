"""The token route's hook for the sign-in rate limit: asked once per attempt, with the client's
address and the email as sent, before any password is checked; its headers go on the answer."""

from collections.abc import AsyncGenerator
from datetime import UTC, datetime

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from taskservice.adapters.memory import MemoryStore
from taskservice.domain.errors import Forbidden
from taskservice.domain.user import Caller, Role
from taskservice.http.auth_routes import token_handlers
from taskservice.http.errors import build_exception_handlers
from taskservice.usecases.users import NewUser
from tests.accounts import PASSWORD, Accounts, accounts
from tests.fakes import FixedClock


class Limiter:
    """Allows `allowed` attempts, each answered with a header; then refuses (as a 429 would)."""

    def __init__(self, allowed: int) -> None:
        self.allowed = allowed
        self.attempts: list[tuple[str | None, str]] = []

    async def __call__(self, address: str | None, email: str) -> dict[str, str]:
        self.attempts.append((address, email))
        if len(self.attempts) > self.allowed:
            raise Forbidden("slow down")
        return {"RateLimit-Remaining": str(self.allowed - len(self.attempts))}


@pytest.fixture
def limiter() -> Limiter:
    return Limiter(allowed=1)


@pytest.fixture
async def run() -> Accounts:
    """The use cases, with root@example.com a reader with PASSWORD (the clock is now: the token is read back)."""
    cases = accounts(MemoryStore(), FixedClock(datetime.now(UTC)))
    admin = Caller(user_id=0, role=Role.ADMIN)  # no such user: the use cases go by the role alone
    await cases.users.create(admin, NewUser(email="root@example.com", name="Root", role=Role.READER, password=PASSWORD))
    return cases


@pytest.fixture
async def client(run: Accounts, limiter: Limiter) -> AsyncGenerator[AsyncTestClient[Litestar]]:
    app = Litestar(
        route_handlers=token_handlers(run.sign_in, max_body_bytes=1024, limit=limiter),
        exception_handlers=build_exception_handlers(expose_causes=False),
    )
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


async def test_the_limit_is_asked_first_and_its_headers_go_on_the_token(
    client: AsyncTestClient[Litestar], limiter: Limiter, run: Accounts
) -> None:
    response = await client.post("/auth/token", json={"username": " Root@example.com", "password": PASSWORD})
    assert response.status_code == 200
    assert response.headers["ratelimit-remaining"] == "0"
    assert limiter.attempts == [("testclient", " Root@example.com")]
    verified = run.hasher.verified
    refused = await client.post("/auth/token", json={"username": "root@example.com", "password": PASSWORD})
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    assert run.hasher.verified == verified  # refused before any password was checked
