"""A dev start of the real command on an empty SQLite file, with two workers: one admin is
created, its key printed once, and it works on every worker."""

import re
from pathlib import Path

import httpx
import pytest

from tests.process import MODULE, running

pytestmark = pytest.mark.e2e

KEY = re.compile(r"^    (tsk_[A-Za-z0-9_-]{43})$", re.MULTILINE)


def test_two_dev_workers_print_one_admin_key_and_both_accept_it(tmp_path: Path) -> None:
    environ = {"APP_ENV": "dev", "HOST": "127.0.0.1", "PYTHONUNBUFFERED": "1", "LOG_LEVEL": "INFO"}
    with running(tmp_path, environ, argv=[*MODULE, "serve"], workers=2) as service:
        [key] = KEY.findall(service.log())
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=service.base_url, timeout=10) as client:
            # New connections: the kernel spreads them over both workers.
            statuses = {httpx.get(service.url("/v1/tasks"), headers=headers, timeout=10).status_code for _ in range(20)}
            assert statuses == {200}
            assert client.get("/v1/tasks").status_code == 401
        assert service.stop() == 0
    with running(tmp_path, environ, argv=[*MODULE, "serve"], workers=1) as again:
        assert len(KEY.findall(again.log())) == 1  # the first start's; this one printed none
        assert httpx.get(again.url("/v1/tasks"), headers=headers, timeout=10).status_code == 200
