"""GET /metrics through the real app: counts by value after known requests, the route template as
the label, the pool and event backlog gauges, and METRICS_TOKEN."""

import asyncio

import pytest

from tests.auth import admin_client
from tests.conftest import make_settings
from tests.events.fakes import HangingListener
from tests.http.conftest import Client, ClientFactory
from tests.http.envelope import assert_error
from tests.metrics_text import Samples, parse, total, value

TOKEN = "s3cret-scrape-token-0123456789"
BY_ID = "/v1/tasks/{task_id}"


async def scrape(client: Client, **headers: str) -> Samples:
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    return parse(response.text)


async def test_counts_each_request_by_method_route_template_and_status(memory_client: Client) -> None:
    created = await memory_client.post("/v1/tasks", json={"title": "counted", "priority": 2})
    task_id = created.json()["id"]
    for _ in range(3):
        assert (await memory_client.get(f"/v1/tasks/{task_id}")).status_code == 200
    assert (await memory_client.get("/v1/tasks/999")).status_code == 404  # a route's own 404
    assert (await memory_client.head(f"/v1/tasks/{task_id}")).status_code == 200

    samples = await scrape(memory_client)

    requests = "http_requests_total"
    assert value(samples, requests, method="POST", route="/v1/tasks", status="201") == 1
    assert value(samples, requests, method="GET", route=BY_ID, status="200") == 3
    assert value(samples, requests, method="GET", route=BY_ID, status="404") == 1
    assert value(samples, requests, method="HEAD", route=BY_ID, status="200") == 1
    assert total(samples, requests) == 6  # the scrape itself is counted once it has been answered
    durations = "http_request_duration_seconds"
    assert value(samples, f"{durations}_count", method="GET", route=BY_ID) == 4
    assert value(samples, f"{durations}_bucket", method="GET", route=BY_ID, le="+Inf") == 4
    assert value(samples, f"{durations}_bucket", method="GET", route=BY_ID, le="30.0") == 4
    assert value(samples, f"{durations}_sum", method="GET", route=BY_ID) is not None
    assert not any(f"/v1/tasks/{task_id}" in dict(labels).get("route", "") for _, labels in samples)


async def test_the_scrape_itself_is_counted_by_the_next_one(memory_client: Client) -> None:
    await scrape(memory_client)
    samples = await scrape(memory_client)
    assert value(samples, "http_requests_total", method="GET", route="/metrics", status="200") == 1


async def test_unmatched_paths_and_made_up_methods_share_one_label_each(memory_client: Client) -> None:
    for path in ("/wp-admin/setup.php", "/.env", "/v1/tasks/1/../../etc/passwd", "/nope"):
        assert (await memory_client.get(path)).status_code == 404
    assert (await memory_client.request("BREW", "/v1/tasks")).status_code == 405
    assert (await memory_client.request("PROPFIND", "/v1/tasks")).status_code == 405

    samples = await scrape(memory_client)

    assert value(samples, "http_requests_total", method="GET", route="unmatched", status="404") == 4
    assert value(samples, "http_requests_total", method="other", route="unmatched", status="405") == 2
    routes = {dict(labels).get("route") for name, labels in samples if name == "http_requests_total"}
    assert routes == {"unmatched"}


async def test_the_in_memory_store_reports_a_pool_of_zero_and_no_rate_limiting_yet(memory_client: Client) -> None:
    samples = await scrape(memory_client)
    assert value(samples, "db_pool_size") == 0
    assert value(samples, "db_pool_in_use") == 0
    assert value(samples, "rate_limit_rejections_total") == 0
    assert value(samples, "rate_limit_fail_open_total") == 0


async def test_sql_stores_report_their_pool(client_for: ClientFactory, sqlite_url: str) -> None:
    async with client_for(DATABASE_URL=sqlite_url) as client:
        samples = await scrape(client)
    assert (value(samples, "db_pool_size"), value(samples, "db_pool_in_use")) == (2, 0)


async def test_events_a_listener_has_not_had_yet_are_counted_with_the_oldest_ones_age() -> None:
    hanging = HangingListener()
    settings = make_settings(DATABASE_URL="memory://", SHUTDOWN_TIMEOUT="3")
    async with admin_client(settings, listeners=[hanging]) as client:
        for title in ("first", "second"):
            assert (await client.post("/v1/tasks", json={"title": title, "priority": 1})).status_code == 201

        held = await scrape(client)
        hanging.gate.open()
        drained = await scrape(client)
        for _ in range(200):  # the lane delivers both once the gate opens
            if value(drained, "events_unpublished", listener="HangingListener") == 0:
                break
            await asyncio.sleep(0.01)
            drained = await scrape(client)

    assert value(held, "events_unpublished", listener="HangingListener") == 2  # one in flight, one queued
    oldest = value(held, "events_oldest_unpublished_age_seconds", listener="HangingListener")
    assert oldest is not None
    assert oldest > 0
    assert value(held, "events_unpublished", listener="EventLog") == 0
    assert value(drained, "events_unpublished", listener="HangingListener") == 0
    assert value(drained, "events_oldest_unpublished_age_seconds", listener="HangingListener") == 0


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token-0123456789", f"Basic {TOKEN}", TOKEN, f"Bearer {TOKEN}x", "Bearer"],
)
async def test_with_metrics_token_a_scrape_without_it_gets_401_with_the_envelope(
    client_for: ClientFactory, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    async with client_for(METRICS_TOKEN=TOKEN) as client:
        response = await client.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert_error(response, 401, "unauthenticated")
    assert TOKEN not in response.text


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
async def test_with_metrics_token_a_scrape_with_it_gets_the_metrics(client_for: ClientFactory, scheme: str) -> None:
    async with client_for(METRICS_TOKEN=TOKEN) as client:
        await client.get("/healthz")
        samples = await scrape(client, Authorization=f"{scheme} {TOKEN}")
    assert value(samples, "http_requests_total", method="GET", route="/healthz", status="200") == 1


async def test_without_metrics_token_anyone_may_scrape(memory_client: Client) -> None:
    await scrape(memory_client)
    await scrape(memory_client, Authorization="Bearer anything-at-all")


async def test_refused_scrapes_are_counted_as_401(client_for: ClientFactory) -> None:
    async with client_for(METRICS_TOKEN=TOKEN) as client:
        await client.get("/metrics")
        samples = await scrape(client, Authorization=f"Bearer {TOKEN}")
    assert value(samples, "http_requests_total", method="GET", route="/metrics", status="401") == 1
