"""An app on the in-memory store with one user of each role, for the access and attack tests."""

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from taskservice.adapters.memory import MemoryStore
from taskservice.domain.user import Role, User
from taskservice.http.middleware import RequestContextMiddleware
from tests.auth import add_user, admin_app, bearer
from tests.conftest import make_settings

Client = AsyncTestClient[RequestContextMiddleware]


@dataclass
class World:
    """The app (with no credential of its own on the client), its store, and a user of each role."""

    client: Client
    litestar: Litestar
    store: MemoryStore
    users: dict[Role, User]
    keys: dict[Role, str]

    def as_(self, role: Role) -> dict[str, str]:
        return bearer(self.keys[role])


@pytest.fixture
async def world() -> AsyncIterator[World]:
    store = MemoryStore()
    app, _ = admin_app(make_settings(DATABASE_URL="memory://"), store=store)
    users: dict[Role, User] = {}
    keys: dict[Role, str] = {}
    for role in Role:
        users[role], keys[role] = await add_user(store, role)
    litestar = app.app
    assert isinstance(litestar, Litestar)
    async with AsyncTestClient(app=app) as client:
        yield World(client=client, litestar=litestar, store=store, users=users, keys=keys)
