"""Users of each role for the HTTP tests of /users, /api-keys and /auth/token, made through the
API itself by the admin the app starts with; each request names its caller with `as_`."""

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

import msgspec
from litestar.testing import AsyncTestClient

from taskservice.adapters.memory import MemoryStore
from taskservice.http.middleware import RequestContextMiddleware
from tests.accounts import PASSWORD, cheap_hasher
from tests.auth import admin_app, bearer
from tests.conftest import make_settings

Client = AsyncTestClient[RequestContextMiddleware]


class Person(msgspec.Struct, kw_only=True):
    user: dict[str, Any]
    key: str

    @property
    def id(self) -> int:
        user_id: int = self.user["id"]
        return user_id

    @property
    def as_(self) -> dict[str, str]:
        return bearer(self.key)


class People:
    """The admin the app was started with (user 1), and whoever a test adds."""

    def __init__(self, client: Client, admin_key: str, store: MemoryStore) -> None:
        self.client = client
        self.store = store
        self.admin = Person(user={"id": 1, "email": "admin@localhost"}, key=admin_key)

    async def add(self, role: str, email: str | None = None, password: str | None = PASSWORD) -> Person:
        """A new user of `role` (with `password`, if not None) and an API key of it."""
        fields = {
            "email": email or f"{role}{self.store.people.last_user_id + 1}@example.com",
            "name": role,
            "role": role,
        }
        if password is not None:
            fields["password"] = password
        created = await self.client.post("/v1/users", json=fields, headers=self.admin.as_)
        assert created.status_code == 201, created.text
        user = created.json()
        issued = await self.client.post(f"/v1/users/{user['id']}/api-keys", json={"name": "t"}, headers=self.admin.as_)
        assert issued.status_code == 201, issued.text
        return Person(user=user, key=issued.json()["key"])


@asynccontextmanager
async def people(**environ: str) -> AsyncGenerator[People]:
    """The real app on a memory store (a cheap Argon2id, no credential cache unless `environ` sets
    AUTH_CACHE_TTL) and its admin."""
    store = MemoryStore()
    settings = make_settings(**{"DATABASE_URL": "memory://", "AUTH_CACHE_TTL": "0", **environ})
    app, key = admin_app(settings, store=store, hasher=cheap_hasher())
    async with AsyncTestClient(app=app) as client:
        yield People(client, key, store)
