"""The launcher's directory for prometheus_client's multiprocess mode (taskservice/metrics_dir.py)."""

import os
import subprocess
import sys
from pathlib import Path

from taskservice.metrics_dir import ENV_VARIABLE, forget_stopped_processes, shared_metrics_dir


def test_one_worker_needs_no_directory() -> None:
    environ: dict[str, str] = {}
    with shared_metrics_dir(1, environ) as directory:
        assert directory is None
        assert environ == {}


def test_several_workers_get_a_private_directory_for_the_run_removed_afterwards() -> None:
    environ: dict[str, str] = {}
    with shared_metrics_dir(2, environ) as directory:
        assert directory is not None
        assert directory.is_dir()
        assert list(directory.iterdir()) == []
        assert environ == {ENV_VARIABLE: str(directory)}
    assert not directory.exists()
    assert environ == {}


def test_an_operators_directory_is_used_and_emptied_of_values_left_by_an_earlier_run(tmp_path: Path) -> None:
    given = tmp_path / "metrics"
    given.mkdir()
    (given / "counter_123.db").write_bytes(b"old counts")
    (given / "gauge_livesum_123.db").write_bytes(b"old gauges")
    (given / "README").write_text("not ours")
    environ = {ENV_VARIABLE: str(given)}

    with shared_metrics_dir(1, environ) as directory:
        assert directory == given
        assert sorted(p.name for p in given.iterdir()) == ["README"]
    assert given.is_dir()  # the operator's: kept
    assert environ == {ENV_VARIABLE: str(given)}


def test_a_missing_operators_directory_is_created(tmp_path: Path) -> None:
    given = tmp_path / "not" / "yet"
    with shared_metrics_dir(4, {ENV_VARIABLE: str(given)}) as directory:
        assert directory == given
        assert given.is_dir()


def test_the_live_gauges_of_processes_that_are_gone_are_forgotten_and_the_rest_kept(tmp_path: Path) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True)
    dead_pid = int(gone.stdout)
    alive_pid = os.getpid()  # this test's own process
    files = [
        f"gauge_livesum_{dead_pid}.db",
        f"gauge_livemax_{dead_pid}.db",
        f"counter_{dead_pid}.db",  # a total of a process that has gone still counts
        f"gauge_livesum_{alive_pid}.db",
    ]
    for name in files:
        (tmp_path / name).write_bytes(b"")

    forget_stopped_processes(tmp_path)

    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"counter_{dead_pid}.db", f"gauge_livesum_{alive_pid}.db"]
    )
