"""The fresh-clone promise: `cp .env.example .env && uv run taskservice` starts cleanly.
(tests/unit/test_env_example.py checks that .env.example lists every setting at its default.)"""

import shutil
from pathlib import Path

import pytest

from tests.ops.container import ROOT
from tests.process import executable, running

pytestmark = pytest.mark.e2e


def test_cp_env_example_env_and_taskservice_starts_cleanly_and_stops_with_exit_0(tmp_path: Path) -> None:
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    # No settings but .env's, except PORT (`running` picks a free one): 8000 may be taken on this host.
    with running(tmp_path, {}, argv=[executable("taskservice")]) as server:
        assert server.stop() == 0  # SIGTERM
        log = server.log()
    assert "Traceback" not in log
    assert " [error" not in log
    assert " [warning" not in log
    assert " [info     ] starting " in log  # dev: the readable console
    assert (tmp_path / "taskservice.db").is_file()
