"""The rate limiter's two counters, as the limiter will call them (one call per event)."""

from taskservice.metrics import Metrics
from tests.metrics_text import parse, value


def test_rejections_and_fail_opens_are_counted_apart_and_exposed() -> None:
    metrics = Metrics(pool=lambda: None, backlog=list)
    limits = metrics.rate_limits

    limits.rejected()
    limits.rejected()
    limits.failed_open()

    samples = parse(metrics.exposition().decode())
    assert value(samples, "rate_limit_rejections_total") == 2
    assert value(samples, "rate_limit_fail_open_total") == 1
    assert value(samples, "http_requests_total") is None  # nothing else was counted
