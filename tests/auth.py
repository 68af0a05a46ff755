"""Identities for tests: users of each role with a key, seeded through the store's own ports, and
the header that carries a credential."""

from typing import Any

import msgspec
from litestar.testing import AsyncTestClient, TestClient

from taskservice.adapters.credentials import new_api_key
from taskservice.bootstrap import create_app
from taskservice.domain.user import Role, User, UserChanges, UserDraft, apply_user_changes
from taskservice.http.middleware import RequestContextMiddleware
from taskservice.ports.unit_of_work import Store
from taskservice.settings import Settings
from tests.fakes import T0


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


async def add_user(store: Store, role: Role, email: str | None = None) -> tuple[User, str]:
    """A new active user of `role` and a new API key of it."""
    key, prefix, digest = new_api_key()
    async with store.unit_of_work() as work:
        user = await work.users.add(
            UserDraft(email=email or f"{role.value}-{prefix[4:]}@example.com", name=role.value, role=role), T0
        )
        await work.api_keys.add(user.id, "test", prefix, digest, T0)
        await work.commit()
    return user, key


async def add_key(store: Store, user_id: int) -> tuple[int, str]:
    """Another key of the user: (its id, the key)."""
    key, prefix, digest = new_api_key()
    async with store.unit_of_work() as work:
        stored = await work.api_keys.add(user_id, "another", prefix, digest, T0)
        await work.commit()
    return stored.id, key


async def change_user(store: Store, user_id: int, **changes: object) -> User:
    """Change a user behind the service's back (deactivate, demote), as another worker would."""
    async with store.unit_of_work() as work:
        user = await work.users.get(user_id, for_update=True)
        assert user is not None
        updated, changed = apply_user_changes(user, msgspec.convert(changes, UserChanges), T0)
        await work.users.update(updated, changed)
        await work.commit()
    return updated


async def revoke(store: Store, key_id: int) -> None:
    async with store.unit_of_work() as work:
        assert await work.api_keys.remove(key_id) is not None
        await work.commit()


def admin_app(settings: Settings, **options: Any) -> tuple[RequestContextMiddleware, str]:
    """The real app, started with a new key of `admin@localhost`; and that key."""
    key = new_api_key()
    return create_app(settings, admin_key=key, **options), key[0]


def admin_client(settings: Settings, **options: Any) -> AsyncTestClient[RequestContextMiddleware]:
    """A client of the real app whose every request carries an admin's API key (through the real
    authentication: the app's store holds the key's digest)."""
    app, key = admin_app(settings, **options)
    client = AsyncTestClient(app=app)
    client.headers.update(bearer(key))
    return client


def admin_sync_client(settings: Settings, **options: Any) -> TestClient[RequestContextMiddleware]:
    app, key = admin_app(settings, **options)
    client = TestClient(app=app)
    client.headers.update(bearer(key))
    return client


def raw_bearer(credential: str) -> list[tuple[bytes, bytes]]:
    """The header as a raw ASGI request carries it."""
    return [(b"authorization", f"Bearer {credential}".encode())]
