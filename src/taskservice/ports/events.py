"""Where use cases hand over the events of a committed write."""

from collections.abc import Sequence
from typing import Protocol

from taskservice.domain.events import TaskEvent


class EventPublisher(Protocol):
    def publish(self, events: Sequence[TaskEvent]) -> None:
        """Hand over the events of one committed write, in order.

        Called once per effective write, after it committed, and never for a failed, refused or
        no-op one. Never raises and never blocks: delivery to listeners is the implementation's
        business, and a listener's failure never reaches the caller.
        """
        ...
