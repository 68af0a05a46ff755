import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from taskservice.settings import Settings


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Undo `configure_logging` so that later tests see pytest's own logging set-up."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        yield
    finally:
        root.handlers, level = saved
        root.setLevel(level)
        logging.captureWarnings(False)
        structlog.reset_defaults()


@pytest.fixture
def operator_shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean working directory and no taskservice variables: as on a fresh host."""
    for name in Settings.__struct_fields__:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)
    assert not any(name.upper() in os.environ for name in Settings.__struct_fields__)
    return tmp_path
