from collections.abc import Sequence
from typing import Protocol

from taskservice.domain.events import TaskEvent


class EventPublisher(Protocol):
    def publish(self, events: Sequence[TaskEvent]) -> None:
        """Hand over events of one committed write, in order. Never raises and never blocks."""
        ...
