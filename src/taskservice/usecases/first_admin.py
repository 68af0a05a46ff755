"""The first admin: so that a fresh `dev` start can be used at once, and tests can hold a key.

A minimal path through the unit of work (a user, a key, one commit); the users use cases own
the general rules of users and keys.
"""

from collections.abc import Callable
from typing import Final

from taskservice.domain.errors import DuplicateUser
from taskservice.domain.user import Role, UserDraft, email_key
from taskservice.ports.clock import Clock
from taskservice.ports.unit_of_work import UnitOfWork

FIRST_ADMIN_EMAIL: Final = "admin@localhost"
FIRST_ADMIN_NAME: Final = "Admin"
# (the key, shown once; its listing prefix; its stored digest) — adapters/credentials.new_api_key.
NewKey = tuple[str, str, str]


async def create_first_admin(
    unit_of_work: Callable[[], UnitOfWork], clock: Clock, new_key: Callable[[], NewKey]
) -> str | None:
    """On a store with no users, create `admin@localhost` (admin, no password) with one API key
    and return the key; otherwise None. Several processes may race: the email's unique index lets
    one win, and the others return None."""
    async with unit_of_work() as work:
        if await work.users.exists():
            return None
    key, prefix, digest = new_key()
    now = clock.now()
    try:
        async with unit_of_work() as work:
            user = await work.users.add(UserDraft(email=FIRST_ADMIN_EMAIL, name=FIRST_ADMIN_NAME, role=Role.ADMIN), now)
            await work.api_keys.add(user.id, "first admin", prefix, digest, now)
            await work.commit()
    except DuplicateUser:
        return None
    return key


async def grant_admin_key(unit_of_work: Callable[[], UnitOfWork], clock: Clock, key: NewKey) -> None:
    """Make `key` a key of `admin@localhost`, creating that admin if it is missing (tests start
    apps holding a key they made; the key then works through the real authentication path)."""
    _, prefix, digest = key
    now = clock.now()
    async with unit_of_work() as work:
        record = await work.users.sign_in_record(email_key(FIRST_ADMIN_EMAIL))
        if record is None:
            user = await work.users.add(UserDraft(email=FIRST_ADMIN_EMAIL, name=FIRST_ADMIN_NAME, role=Role.ADMIN), now)
        else:
            user = record.user
        await work.api_keys.add(user.id, "granted", prefix, digest, now)
        await work.commit()
