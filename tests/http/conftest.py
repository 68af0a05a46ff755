"""HTTP fixtures beyond tests/conftest.py: the real app on the in-memory store with a controlled clock,
and a builder for apps over fake stores (to reach 500 and 503)."""

from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest
from litestar.testing import AsyncTestClient

from taskservice.http.middleware import RequestContextMiddleware
from taskservice.ports.unit_of_work import Store
from tests.auth import admin_client
from tests.conftest import make_settings
from tests.fakes import FixedClock

Client = AsyncTestClient[RequestContextMiddleware]
ClientFactory = Callable[..., AbstractAsyncContextManager[Client]]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
async def clocked_client(clock: FixedClock) -> AsyncIterator[Client]:
    """The real app on the in-memory store; time moves only when the test moves `clock`."""
    async with admin_client(make_settings(DATABASE_URL="memory://"), clock=clock) as client:
        yield client


@pytest.fixture
def client_for() -> ClientFactory:
    """`async with client_for(store=..., APP_ENV="prod", ...) as client:` a real app over any store,
    every request with an admin's API key."""

    @asynccontextmanager
    async def build(*, store: Store | None = None, **environ: str) -> AsyncGenerator[Client]:
        settings = make_settings(**{"DATABASE_URL": "memory://", **environ})
        async with admin_client(settings, store=store) as client:
            yield client

    return build
