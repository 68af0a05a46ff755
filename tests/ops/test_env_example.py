"""`.env.example` is the operator's list of settings: `cp .env.example .env && uv run taskservice`
must start cleanly, and every setting must be in it with its default."""

import re
import shutil
import signal
from pathlib import Path

import pytest

from taskservice.settings import Settings, load_settings
from tests.ops.container import ROOT
from tests.ops.process import executable, free_port, running

EXAMPLE = ROOT / ".env.example"
SETTINGS = [name.upper() for name in Settings.__struct_fields__]


@pytest.fixture
def fresh_clone(tmp_path: Path) -> Path:
    assert EXAMPLE.is_file(), ".env.example is missing: it lists every setting for operators"
    shutil.copy(EXAMPLE, tmp_path / ".env")
    return tmp_path


def test_every_setting_is_listed_in_env_example_with_a_value() -> None:
    assert EXAMPLE.is_file(), ".env.example is missing: it lists every setting for operators"
    text = EXAMPLE.read_text()
    missing = [name for name in SETTINGS if not re.search(rf"^#?\s*{name}=\S", text, flags=re.MULTILINE)]
    assert missing == [], f"not in .env.example as NAME=default (or # NAME=default): {missing}"


def test_env_example_copied_to_env_loads_to_the_defaults(fresh_clone: Path) -> None:
    assert load_settings({}, env_dir=fresh_clone) == Settings()


@pytest.mark.e2e
def test_cp_env_example_env_and_taskservice_starts_cleanly_and_stops_with_exit_0(fresh_clone: Path) -> None:
    port = free_port()  # the only override: 8000 may be taken on this host
    with running([executable("taskservice")], {"PORT": str(port)}, fresh_clone) as server:
        server.signal(signal.SIGTERM)
        assert server.wait() == 0
        log = server.log()
    assert "Traceback" not in log
    assert " [error" not in log
    assert " [warning" not in log
    assert (fresh_clone / "taskservice.db").is_file()
