"""The in-process dispatcher: ordering, isolation of failing and hanging listeners, the bounded
queue, and the drain on shutdown."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from structlog.testing import capture_logs
from structlog.typing import EventDict

from taskservice.adapters.dispatcher import EventDispatcher, Listener
from taskservice.domain.events import EVENT_TYPES, TaskCreated, TaskDeleted, TaskEvent
from tests.events.fakes import HangingListener, RecordingListener, raising_listener
from tests.fakes import make_task

NOW = datetime(2026, 1, 2, tzinfo=UTC)


def created(task_id: int) -> TaskEvent:
    return TaskCreated(event_id=uuid.uuid4(), occurred_at=NOW, request_id=f"req-{task_id}", task=make_task(id=task_id))


def deleted(task_id: int) -> TaskEvent:
    return TaskDeleted(event_id=uuid.uuid4(), occurred_at=NOW, request_id=f"req-{task_id}", task=make_task(id=task_id))


def for_all(*listeners: Listener) -> dict[type[TaskEvent], tuple[Listener, ...]]:
    return dict.fromkeys(EVENT_TYPES, listeners)


def logged(logs: list[EventDict], name: str) -> list[EventDict]:
    return [entry for entry in logs if entry["event"] == name]


@pytest.fixture
async def stoppable() -> AsyncIterator[list[EventDispatcher]]:
    """Dispatchers a test started; stopped at the end even if the test fails."""
    started: list[EventDispatcher] = []
    yield started
    for dispatcher in started:
        await dispatcher.stop(drain_timeout=1)


async def test_each_listener_gets_the_events_of_its_types_in_publication_order(
    stoppable: list[EventDispatcher],
) -> None:
    everything, deletions = RecordingListener(), RecordingListener()
    registry: dict[type[TaskEvent], tuple[Listener, ...]] = {
        **for_all(everything),
        TaskDeleted: (everything, deletions),
    }
    dispatcher = EventDispatcher(registry)
    stoppable.append(dispatcher)
    await dispatcher.start()
    events = [created(1), deleted(1), created(2), deleted(2)]

    dispatcher.publish(events[:2])
    dispatcher.publish(events[2:])

    assert await everything.wait_for(4) == events
    assert await deletions.wait_for(2) == [events[1], events[3]]


async def test_a_raising_listener_is_logged_once_per_event_and_the_others_still_get_everything(
    stoppable: list[EventDispatcher],
) -> None:
    before, after = RecordingListener(), RecordingListener()
    dispatcher = EventDispatcher(for_all(before, raising_listener, after))
    stoppable.append(dispatcher)
    events = [created(1), created(2)]

    with capture_logs() as logs:
        await dispatcher.start()
        dispatcher.publish(events)
        assert await before.wait_for(2) == events
        assert await after.wait_for(2) == events
        await dispatcher.stop(drain_timeout=1)

    failures = logged(logs, "event_listener_failed")
    assert [(f["event_id"], f["event_type"], f["listener"]) for f in failures] == [
        (str(e.event_id), "TaskCreated", "raising_listener") for e in events
    ]
    assert all(isinstance(f["exc_info"], RuntimeError) for f in failures)  # the traceback, once
    assert [f["request_id"] for f in failures] == ["req-1", "req-2"]
    assert dispatcher.failed == 2
    assert dispatcher.delivered == 4


async def test_a_listener_past_its_timeout_is_abandoned_logged_and_still_gets_later_events(
    stoppable: list[EventDispatcher],
) -> None:
    hanging, other = HangingListener(), RecordingListener()
    dispatcher = EventDispatcher(for_all(hanging, other), listener_timeout=0.05)
    stoppable.append(dispatcher)
    first, second = created(1), created(2)

    with capture_logs() as logs:
        await dispatcher.start()
        dispatcher.publish([first])
        await hanging.wait_until(calls=1)
        dispatcher.publish([second])
        await other.wait_for(2)
        await hanging.wait_until(calls=2, cancelled=2)  # both calls timed out
        await dispatcher.stop(drain_timeout=1)

    timeouts = logged(logs, "event_listener_timed_out")
    assert [(t["event_id"], t["listener"]) for t in timeouts] == [
        (str(first.event_id), "HangingListener"),
        (str(second.event_id), "HangingListener"),
    ]
    assert logged(logs, "event_listener_failed") == []
    assert other.events == [first, second]


async def test_a_hanging_listener_does_not_delay_the_other_listeners(stoppable: list[EventDispatcher]) -> None:
    hanging, other = HangingListener(), RecordingListener()
    dispatcher = EventDispatcher(for_all(hanging, other), listener_timeout=600)
    stoppable.append(dispatcher)
    await dispatcher.start()
    events = [created(n) for n in range(1, 6)]

    try:
        dispatcher.publish(events)
        assert await other.wait_for(5) == events
        await hanging.wait_until(calls=1)
        assert (hanging.calls, hanging.finished) == (1, 0)  # still stuck on the first event
    finally:
        hanging.gate.open()
    await dispatcher.stop(drain_timeout=5)
    assert hanging.finished == 5


async def test_a_listener_that_resists_cancellation_does_not_hold_up_its_lane(
    stoppable: list[EventDispatcher],
) -> None:
    unwound = asyncio.Event()
    seen = RecordingListener()

    async def stubborn(event: TaskEvent) -> None:
        await seen(event)
        if len(seen.events) == 1:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                await unwound.wait()  # slow clean-up after the timeout cancelled it...
                raise RuntimeError("...that fails, too") from None

    dispatcher = EventDispatcher(for_all(stubborn), listener_timeout=0.05)
    stoppable.append(dispatcher)
    await dispatcher.start()
    try:
        dispatcher.publish([created(1), created(2)])
        assert [e.task.id for e in await seen.wait_for(2)] == [1, 2]
    finally:
        unwound.set()


async def test_a_plain_function_listener_is_called_in_order_and_its_failures_are_logged(
    stoppable: list[EventDispatcher],
) -> None:
    calls: list[TaskEvent] = []

    def plain(event: TaskEvent) -> None:
        calls.append(event)
        if event.task.id == 2:
            raise RuntimeError("plain listener bug")

    def returns_a_value(event: TaskEvent) -> int:
        return event.task.id  # neither None nor awaitable: a broken listener

    after = RecordingListener()
    dispatcher = EventDispatcher(for_all(plain, returns_a_value, after))  # pyright: ignore[reportArgumentType]
    stoppable.append(dispatcher)
    events = [created(1), created(2), created(3)]

    with capture_logs() as logs:
        await dispatcher.start()
        dispatcher.publish(events)
        await after.wait_for(3)
        await dispatcher.stop(drain_timeout=1)

    assert calls == events
    failures = [(f["listener"], f["event_id"]) for f in logged(logs, "event_listener_failed")]
    assert (plain.__qualname__, str(events[1].event_id)) in failures
    assert [f for f in failures if f[0] == plain.__qualname__] == [(plain.__qualname__, str(events[1].event_id))]
    assert [f for f in failures if f[0] == returns_a_value.__qualname__] == [
        (returns_a_value.__qualname__, str(e.event_id)) for e in events
    ]
    assert dispatcher.delivered == 2 + 3  # plain: 1 and 3; the recorder: all three


async def test_a_full_queue_drops_new_events_counts_them_and_never_blocks_publish() -> None:
    listener = RecordingListener()
    dispatcher = EventDispatcher(for_all(listener), queue_size=2)
    events = [created(n) for n in range(1, 6)]

    with capture_logs() as logs:
        dispatcher.publish(events)  # not started: nothing drains, so the queue fills up
        await dispatcher.start()
        await listener.wait_for(2)
        dispatcher.publish([created(6)])
        await listener.wait_for(3)
        await dispatcher.stop(drain_timeout=1)

    assert [e.task.id for e in listener.events] == [1, 2, 6]
    drops = logged(logs, "event_dropped")
    assert len(drops) == 1  # the first drop of an overflow, not one line per event
    assert drops[0]["event_id"] == str(events[2].event_id)
    assert drops[0]["reason"] == "queue_full"
    assert [r["dropped"] for r in logged(logs, "event_queue_recovered")] == [3]
    [summary] = logged(logs, "event_dispatcher_stopped")
    assert (summary["delivered"], summary["dropped"], summary["undelivered"]) == (3, 3, 0)


async def test_stop_delivers_everything_queued_before_returning() -> None:
    listener = RecordingListener()
    dispatcher = EventDispatcher(for_all(listener))
    events = [created(n) for n in range(1, 4)]
    dispatcher.publish(events)

    await dispatcher.start()
    await dispatcher.stop(drain_timeout=5)

    assert listener.events == events


async def test_stop_gives_up_after_the_drain_timeout_and_logs_what_was_not_delivered() -> None:
    hanging = HangingListener()
    dispatcher = EventDispatcher(for_all(hanging), listener_timeout=600)
    dispatcher.publish([created(1), created(2), created(3)])
    await dispatcher.start()
    await hanging.wait_until(calls=1)

    with capture_logs() as logs:
        await dispatcher.stop(drain_timeout=0.05)

    assert [(e["listener"], e["count"]) for e in logged(logs, "events_undelivered_at_shutdown")] == [
        ("HangingListener", 3)
    ]
    assert hanging.cancelled == 1
    assert hanging.finished == 0


async def test_events_published_after_stop_are_dropped_and_logged() -> None:
    listener = RecordingListener()
    dispatcher = EventDispatcher(for_all(listener))
    await dispatcher.start()
    await dispatcher.stop(drain_timeout=1)
    late = created(1)

    with capture_logs() as logs:
        dispatcher.publish([late])

    assert [(e["event_id"], e["reason"]) for e in logged(logs, "event_dropped")] == [
        (str(late.event_id), "dispatcher_stopped")
    ]
    assert dispatcher.dropped == 1
    assert listener.events == []
