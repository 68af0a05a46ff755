"""The fresh-clone promise: `cp .env.example .env && uv run taskservice` starts cleanly.
(tests/unit/test_env_example.py checks that .env.example lists every setting at its default.)"""

import shutil
import signal
from pathlib import Path

import pytest

from tests.ops.container import ROOT
from tests.ops.process import executable, free_port, running

pytestmark = pytest.mark.e2e


def test_cp_env_example_env_and_taskservice_starts_cleanly_and_stops_with_exit_0(tmp_path: Path) -> None:
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    port = free_port()  # the only override: 8000 may be taken on this host
    with running([executable("taskservice")], {"PORT": str(port)}, tmp_path) as server:
        server.signal(signal.SIGTERM)
        assert server.wait() == 0
        log = server.log()
    assert "Traceback" not in log
    assert " [error" not in log
    assert " [warning" not in log
    assert " [info     ] starting " in log  # dev: the readable console
    assert (tmp_path / "taskservice.db").is_file()
