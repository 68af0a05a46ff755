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
