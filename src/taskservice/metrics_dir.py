"""The directory where prometheus_client's multiprocess mode keeps every worker's metric values.

prometheus_client chooses the mode once, when it is imported, from PROMETHEUS_MULTIPROC_DIR: the
launcher sets it before any worker starts (uvicorn's workers inherit the environment), so every
worker writes its values there and a scrape answered by any one of them adds them all up.

- With several workers and no PROMETHEUS_MULTIPROC_DIR, the launcher makes a private temporary
  directory and removes it when the server stops.
- An operator's PROMETHEUS_MULTIPROC_DIR (e.g. a tmpfs mount) is used, with one worker too; its
  value files (`*.db`) are removed at start, as prometheus_client requires: values left by an
  earlier run would be added to this one's.
- A worker that exits removes its `live*` gauge files (`forget_process`); a worker that died
  without that (killed) is forgotten at the next scrape, its process being gone. Counters and
  histograms of exited workers stay: a total must never go down while the server runs.
"""

import os
import shutil
import tempfile
from collections.abc import Generator, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from prometheus_client import multiprocess

ENV_VARIABLE: Final = "PROMETHEUS_MULTIPROC_DIR"


@contextmanager
def shared_metrics_dir(workers: int, environ: MutableMapping[str, str] | None = None) -> Generator[Path | None]:
    """Set up the directory for a server of `workers` processes (None: one process, no directory
    needed); call before prometheus_client is imported in this process or any worker."""
    environ = os.environ if environ is None else environ
    given = environ.get(ENV_VARIABLE)
    if given:
        directory = Path(given)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
        yield directory
        return
    if workers == 1:
        yield None
        return
    directory = Path(tempfile.mkdtemp(prefix="taskservice-metrics-"))
    environ[ENV_VARIABLE] = str(directory)
    try:
        yield directory
    finally:
        environ.pop(ENV_VARIABLE, None)
        shutil.rmtree(directory, ignore_errors=True)


def forget_process(pid: int, directory: Path) -> None:
    """Remove the live gauges of a process that no longer serves."""
    multiprocess.mark_process_dead(pid, str(directory))  # pyright: ignore[reportUnknownMemberType]


def forget_stopped_processes(directory: Path) -> None:
    """Remove the live gauges of every process that has gone (killed, so it could not do it itself)."""
    for path in directory.glob("gauge_live*_*.db"):
        pid = path.stem.rsplit("_", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True
