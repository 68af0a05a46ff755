"""Domain errors. Each carries a stable `code`; only the HTTP layer knows status codes."""


class DomainError(Exception):
    code: str = "domain_error"


class TaskNotFound(DomainError):
    code = "task_not_found"

    def __init__(self, task_id: int) -> None:
        super().__init__(f"No task with id {task_id}.")
        self.task_id = task_id


class DuplicateTitle(DomainError):
    code = "duplicate_task"

    def __init__(self, title: str) -> None:
        super().__init__("A task with this title already exists.")
        self.title = title


class InvalidField(DomainError):
    """A caller-supplied value breaks a field rule."""

    code = "validation_error"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class EmptyUpdate(DomainError):
    code = "empty_update"

    def __init__(self) -> None:
        super().__init__("The update names no field to change.")


class StorageUnavailable(DomainError):
    """The store cannot be reached or is saturated; the caller may retry."""

    code = "service_unavailable"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UserNotFound(DomainError):
    code = "user_not_found"

    def __init__(self, user_id: int) -> None:
        super().__init__(f"No user with id {user_id}.")
        self.user_id = user_id


class ApiKeyNotFound(DomainError):
    code = "api_key_not_found"

    def __init__(self, key_id: int) -> None:
        super().__init__(f"No API key with id {key_id}.")
        self.key_id = key_id


class DuplicateUser(DomainError):
    code = "duplicate_user"

    def __init__(self, email: str) -> None:
        super().__init__("A user with this email already exists.")
        self.email = email


class InvalidCredentials(DomainError):
    """A sign-in with an unknown email or a wrong password: one code, one message for both."""

    code = "invalid_credentials"

    def __init__(self) -> None:
        super().__init__("The email or password is wrong.")


class Unauthenticated(DomainError):
    """No credential, or one that is malformed, expired, revoked, unknown or of an inactive user."""

    code = "unauthenticated"

    def __init__(self, reason: str = "A valid bearer credential is required.") -> None:
        super().__init__(reason)


class Forbidden(DomainError):
    """Authenticated, but the caller's role (or identity) does not allow this."""

    code = "forbidden"

    def __init__(self, reason: str = "Your role does not allow this.") -> None:
        super().__init__(reason)
