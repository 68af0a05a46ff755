"""The serving process tunes its garbage collector once start-up is done; tests and scripts do not.

Each case runs in a fresh interpreter: freezing the collector is process-wide and would leak
every later test's objects into the permanent generation here.
"""

import json
import subprocess
import sys
import textwrap

from taskservice.gc_tuning import YOUNG_THRESHOLD

_PROBE = textwrap.dedent(
    """
    import asyncio, gc, json, os
    from litestar.testing import AsyncTestClient
    from taskservice.bootstrap import app_from_environment, create_app
    from taskservice.settings import load_settings

    async def main(serving):
        before = gc.get_freeze_count()
        app = app_from_environment() if serving else create_app(load_settings())
        async with AsyncTestClient(app=app) as client:
            status = (await client.get("/healthz")).status_code
            print("PROBE", json.dumps({"before": before, "after": gc.get_freeze_count(),
                              "threshold": gc.get_threshold()[0], "status": status}))

    asyncio.run(main(os.environ["PROBE_SERVING"] == "1"))
    """
)


def _probe(serving: bool) -> dict[str, int]:
    env = {
        "APP_ENV": "prod",
        "JWT_SECRET": "an-operator-secret-of-at-least-32-bytes",
        "DATABASE_URL": "memory://",
        "PROBE_SERVING": "1" if serving else "0",
    }
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    # The service's own log lines share stdout; the probe's line is marked.
    line = next(line for line in done.stdout.splitlines() if line.startswith("PROBE "))
    return json.loads(line.removeprefix("PROBE "))


def test_the_server_factory_freezes_start_up_objects_and_raises_the_young_threshold() -> None:
    seen = _probe(serving=True)
    assert seen["status"] == 200
    assert seen["before"] == 0
    assert seen["after"] > 10_000  # the imported modules and the app at least
    assert seen["threshold"] == YOUNG_THRESHOLD


def test_an_app_built_for_tests_or_scripts_leaves_the_collector_alone() -> None:
    seen = _probe(serving=False)
    assert seen["status"] == 200
    assert seen["after"] == 0
    assert seen["threshold"] == 700  # CPython's default
