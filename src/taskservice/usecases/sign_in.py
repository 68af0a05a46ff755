"""Sign-in: an email and a password for an access token (the OAuth2 password grant's use case)."""

from collections.abc import Callable

from taskservice.domain.errors import InvalidCredentials
from taskservice.domain.user import Caller, email_key
from taskservice.ports.clock import Clock
from taskservice.ports.credentials import AccessToken, PasswordHasher, TokenCodec
from taskservice.ports.unit_of_work import UnitOfWork


class SignIn:
    def __init__(
        self, unit_of_work: Callable[[], UnitOfWork], clock: Clock, hasher: PasswordHasher, codec: TokenCodec
    ) -> None:
        self._unit_of_work = unit_of_work
        self._clock = clock
        self._hasher = hasher
        self._codec = codec

    async def sign_in(self, email: str, password: str) -> AccessToken:
        """An access token for the user with this email and password. Raises `InvalidCredentials`
        for an unknown email, a wrong password, a user without a password and an inactive user
        alike: one error, and always one Argon2 verification (of a dummy hash when there is no
        hash to check), so that neither the answer nor its timing tells these cases apart."""
        async with self._unit_of_work() as work:
            record = await work.users.sign_in_record(email_key(email))
        matches = await self._hasher.verify(record.password_hash if record else None, password)
        if record is None or not matches or not record.user.active:
            raise InvalidCredentials()
        user = record.user
        return self._codec.issue(Caller(user_id=user.id, role=user.role), self._clock.now())
